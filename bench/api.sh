#!/usr/bin/env bash
# The HTTP API's speed against its baselines measured in the same run: GET services vs bare
# libmicrohttpd, PATCH weight vs SQLite's durable commits. Builds nothing (run make first).
#
# Environment: BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_SERVICES (1000), BENCH_CONNS (10),
# BENCH_DIR (bench/out: where the scratch databases go; use a disk, not a tmpfs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
rounds=${BENCH_ROUNDS:-3}
seconds=${BENCH_SECONDS:-5}
nservices=${BENCH_SERVICES:-1000}
conns=${BENCH_CONNS:-10}

for f in fulcrumd fulcrumctl bench/bare-mhd bench/sqlite-commit; do
	[[ -x $top/$f ]] || die "$top/$f is not built: run make"
done
for c in wrk curl; do
	command -v "$c" >/dev/null || die "$c is not installed"
done

# As root, fulcrumd would write its 1,000 services into this machine's IPVS: run in a private
# network namespace instead (its own IPVS table and loopback, gone when we exit).
bench_private_net "$@"

bench_workdir

# ---- the store: services, one real server, a token, before fulcrumd starts ----------------

db=$work/fulcrum.db
echo "machine: $(machine), $(uname -r), scratch on $(stat -f -c %T "$work") ($work)"
echo "loading $nservices services with fulcrumctl --db ..."
for ((i = 0; i < nservices; i++)); do
	"$top/fulcrumctl" --db "$db" service add "bench$i" address="198.18.$((i / 250)).$((i % 250 + 1))" \
		port=80 protocol=tcp scheduler=wrr >/dev/null
done
"$top/fulcrumctl" --db "$db" real add bench0 address=10.0.0.1 port=80 forwarding=masq \
	weight=1 >/dev/null
real_id=$("$top/fulcrumctl" --db "$db" real list bench0 | awk 'NR == 2 { print $1 }')
token=$("$top/fulcrumctl" --db "$db" token create bench --role admin 2>/dev/null)
[[ $real_id =~ ^[0-9]+$ && $token == ful_* ]] || die "cannot set up the store in $db"

# ---- the servers ---------------------------------------------------------------------------

printf 'db = %s\n' "$db" >"$work/fulcrumd.conf" # nothing from /etc/fulcrum
# the logs the loops below read exist before the servers start (a busy machine may start them late)
: >"$work/fulcrumd.log"
: >"$work/bare.port"
"$top/fulcrumd" --foreground -c "$work/fulcrumd.conf" --http 127.0.0.1:0 \
	>"$work/fulcrumd.log" 2>&1 &
pids+=($!)
fport=
for ((i = 0; i < 100; i++)); do
	fport=$(sed -n 's|.*API on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/fulcrumd.log")
	[[ -n $fport ]] && break
	kill -0 "${pids[-1]}" 2>/dev/null || break
	sleep 0.1
done
[[ -n $fport ]] || die "fulcrumd did not start: $(tail -5 "$work/fulcrumd.log")"
furl=http://127.0.0.1:$fport/api/v1/services
auth="Authorization: Bearer $token"

curl -sf -H "$auth" -o "$work/services.json" "$furl" || die "GET $furl failed"
size=$(stat -c %s "$work/services.json")
got=$(grep -o '"reals_total"' "$work/services.json" | wc -l)
((got == nservices)) || die "GET services answered $got services, not $nservices"
ipvs=$(curl -sf -H "$auth" "http://127.0.0.1:$fport/api/v1/status" |
	grep -o '"available": *[a-z]*' | grep -o '[a-z]*$' || echo unknown)

"$top/bench/bare-mhd" 0 "$size" >"$work/bare.port" 2>"$work/bare.log" &
pids+=($!)
bport=
for ((i = 0; i < 100; i++)); do
	bport=$(head -1 "$work/bare.port")
	[[ -n $bport ]] && break
	sleep 0.1
done
[[ -n $bport ]] || die "bare-mhd did not start: $(cat "$work/bare.log")"
burl=http://127.0.0.1:$bport/api/v1/services
bsize=$(curl -sf -o /dev/null -w '%{size_download}' "$burl")
((bsize == size)) || die "bare-mhd answers $bsize bytes, fulcrumd $size"
echo "GET services: $nservices services, $size bytes a response; IPVS available to fulcrumd: $ipvs"

# ---- the runs ------------------------------------------------------------------------------

# wrk ARGS...: prints "REQ_PER_S P99_MS"; dies on socket errors or non-2xx answers.
run_wrk() {
	local out
	out=$(wrk -t1 -c"$conns" -d"${seconds}s" --latency "$@") || die "wrk failed: $out"
	if grep -q -e 'Non-2xx' -e 'Socket errors' <<<"$out"; then
		die "wrk saw errors: $(grep -e 'Non-2xx' -e 'Socket errors' <<<"$out")"
	fi
	awk '
		/^Requests\/sec:/ { rps = $2 }
		$1 == "99%" {
			v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
			p99 = u == "us" ? v / 1000 : u == "ms" ? v : u == "s" ? v * 1000 : u == "m" ? v * 60000 : -1
		}
		END { printf "%.1f %.3f\n", rps, p99 }' <<<"$out"
}

# sqlite-commit: prints "COMMITS_PER_S P99_MS".
run_commit() {
	local out
	rm -f "$work/commit.db" "$work/commit.db-wal" "$work/commit.db-shm"
	out=$("$top/bench/sqlite-commit" "$work/commit.db" "$seconds") || die "sqlite-commit failed"
	# commits N seconds S commits/s R p50_ms X p99_ms Y
	awk '$5 == "commits/s" && $9 == "p99_ms" { printf "%.1f %.3f\n", $6, $10 }' <<<"$out"
}

# median of the arguments
median() {
	printf '%s\n' "$@" | sort -g |
		awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -a g_rps g_p99 b_rps b_p99 p_rps p_p99 c_rps c_p99
printf '\n%-6s %-24s %12s %10s\n' round run 'requests/s' 'p99 ms'
for ((r = 1; r <= rounds; r++)); do
	res=$(run_wrk -H "$auth" "$furl")
	read -r rps p99 <<<"$res"
	g_rps+=("$rps") g_p99+=("$p99")
	printf '%-6s %-24s %12s %10s\n' "$r" "A GET fulcrumd" "$rps" "$p99"
	res=$(run_wrk "$burl")
	read -r rps p99 <<<"$res"
	b_rps+=("$rps") b_p99+=("$p99")
	printf '%-6s %-24s %12s %10s\n' "$r" "B GET bare-mhd" "$rps" "$p99"
	res=$(BENCH_TOKEN=$token BENCH_REAL_ID=$real_id \
		run_wrk -s "$here/patch.lua" "http://127.0.0.1:$fport")
	read -r rps p99 <<<"$res"
	p_rps+=("$rps") p_p99+=("$p99")
	printf '%-6s %-24s %12s %10s\n' "$r" "A PATCH weight fulcrumd" "$rps" "$p99"
	res=$(run_commit)
	read -r rps p99 <<<"$res"
	c_rps+=("$rps") c_p99+=("$p99")
	printf '%-6s %-24s %12s %10s\n' "$r" "B sqlite-commit" "$rps" "$p99"
done

# ---- the report ----------------------------------------------------------------------------

gm=$(median "${g_rps[@]}") bm=$(median "${b_rps[@]}")
pm=$(median "${p_rps[@]}") cm=$(median "${c_rps[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
cat <<EOF

medians of $rounds runs (wrk -t1 -c$conns -d${seconds}s --latency; sqlite-commit ${seconds}s):
  GET /api/v1/services  fulcrumd  $gm req/s  p99 $(median "${g_p99[@]}") ms
                        bare-mhd  $bm req/s  p99 $(median "${b_p99[@]}") ms
                        ratio fulcrumd/bare $(ratio "$gm" "$bm")  (target >= 0.5)
  PATCH /api/v1/reals   fulcrumd  $pm req/s  p99 $(median "${p_p99[@]}") ms
                        sqlite    $cm commits/s  p99 $(median "${c_p99[@]}") ms
                        ratio PATCH/commit $(ratio "$pm" "$cm")  (target: close to 1)
machine: $(machine), $(date -u '+%Y-%m-%d %H:%M UTC')
EOF
