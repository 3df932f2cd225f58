#!/usr/bin/env bash
# The API's cost in instructions, not seconds: fulcrumd under callgrind, counters zeroed after
# the start, then N GET /api/v1/services (1,000 services) and N weight PATCHes, each counted
# apart. Instruction counts do not move with the machine's load, so two builds compare on a
# busy machine too: give two trees and the second's counts are divided by the first's.
#
#   bench/api-instr.sh [TREE_A [TREE_B]]    (default TREE_A: this tree; BENCH_REQUESTS: 200)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
n=${BENCH_REQUESTS:-200}
trees=("$top")
[[ $# -ge 1 ]] && trees=("$(cd "$1" && pwd)")
[[ $# -ge 2 ]] && trees+=("$(cd "$2" && pwd)")
for c in valgrind callgrind_control curl; do
	command -v "$c" >/dev/null || die "$c is not installed"
done
bench_private_net "$@"
bench_workdir

# total Ir of the newest dump of pid in dir
ir_of() {
	local f
	f=$(ls -t "$2"/callgrind.out."$1"* | head -1)
	awk '/^(summary|totals):/ { print $2; exit }' "$f"
}

# measure TREE: prints "GET_IR PATCH_IR" per request
measure() {
	local t=$1 d db port pid tok i
	d=$(mktemp -d "$work/run.XXXXXX")
	db=$d/fulcrum.db
	for ((i = 0; i < 1000; i++)); do
		echo "service add b$i address=198.18.$((i / 250)).$((i % 250 + 1)) port=80 protocol=tcp"
	done | while read -r line; do
		# shellcheck disable=SC2086
		"$t/fulcrumctl" --db "$db" $line >/dev/null
	done
	"$t/fulcrumctl" --db "$db" real add b0 address=10.0.0.1 port=80 weight=1 >/dev/null
	tok=$("$t/fulcrumctl" --db "$db" token create bench --role admin 2>/dev/null | tail -1)
	: >"$d/fulcrumd.conf"
	(cd "$d" && exec valgrind --tool=callgrind --callgrind-out-file="$d/callgrind.out.%p" \
		"$t/fulcrumd" --foreground -c "$d/fulcrumd.conf" --db "$db" --http 127.0.0.1:18089 \
		--agentx '' --log-level warning) >"$d/log" 2>&1 &
	pid=$!
	pids+=("$pid")
	for ((i = 0; i < 600; i++)); do
		curl -sf -o /dev/null -H "Authorization: Bearer $tok" http://127.0.0.1:18089/api/v1/status && break
		sleep 0.5
	done
	curl -sf -o /dev/null -H "Authorization: Bearer $tok" http://127.0.0.1:18089/api/v1/services
	callgrind_control -z "$pid" >/dev/null 2>&1
	for ((i = 0; i < n; i++)); do
		curl -sf -o /dev/null -H "Authorization: Bearer $tok" http://127.0.0.1:18089/api/v1/services
	done
	callgrind_control -d "$pid" >/dev/null 2>&1
	local get
	get=$(ir_of "$pid" "$d")
	callgrind_control -z "$pid" >/dev/null 2>&1
	for ((i = 0; i < n; i++)); do
		curl -sf -o /dev/null -X PATCH -H "Authorization: Bearer $tok" \
			-H 'Content-Type: application/json' -d "{\"weight\": $((i % 50 + 2))}" \
			http://127.0.0.1:18089/api/v1/reals/1
	done
	callgrind_control -d "$pid" >/dev/null 2>&1
	echo "$((get / n)) $(($(ir_of "$pid" "$d") / n))"
	kill -TERM "$pid"
	wait "$pid" || true
}

echo "instructions per request (callgrind, $n requests each, 1,000 services):"
declare -a res
for i in "${!trees[@]}"; do
	res[i]=$(measure "${trees[i]}")
	read -r g p <<<"${res[i]}"
	printf '  %-40s GET /services %12d   PATCH weight %10d\n' \
		"$(cd "${trees[i]}" && git rev-parse --short HEAD 2>/dev/null || echo "${trees[i]}")" "$g" "$p"
done
if [[ ${#trees[@]} == 2 ]]; then
	read -r g0 p0 <<<"${res[0]}"
	read -r g1 p1 <<<"${res[1]}"
	awk -v a="$g0" -v b="$g1" -v c="$p0" -v d="$p1" \
		'BEGIN { printf "  ratio second/first                       GET %.3f              PATCH %.3f\n", b / a, d / c }'
fi
