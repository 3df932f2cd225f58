#!/usr/bin/env bash
# One benchmark on two commits in the same run, alternating A B A B, each from a clean build of
# its own worktree, so both meet the same machine at the same hour. Each round's output is kept
# whole; the lines that carry figures are printed side by side at the end.
#
#   bench/ab.sh [--rounds N] REV_A REV_B BENCH [ARG...]     e.g. bench/ab.sh 95a414a HEAD api
#
# BENCH is a host benchmark of bench/ (api, patch-scale, snmp-walk, health-5k); its own
# environment variables pass through. Worktrees go in bench/out/ab-REV (kept for reruns).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
rounds=2
if [[ ${1:-} == --rounds ]]; then
	rounds=$2
	shift 2
fi
[[ $# -ge 3 ]] || {
	sed -n '2,9p' "$0"
	exit 2
}
revs=("$1" "$2")
bench=$3
shift 3
out=${BENCH_DIR:-$top/bench/out}
mkdir -p "$out"

# build REV: a worktree at REV, built; prints its path
build() {
	local rev sha dir
	rev=$1
	sha=$(git -C "$top" rev-parse --short "$rev")
	dir=$out/ab-$sha
	if [[ ! -d $dir ]]; then
		git -C "$top" worktree add -q --detach "$dir" "$sha" >&2
	fi
	if [[ ! -x $dir/fulcrumd || ! -x $dir/bench/bare-mhd ]]; then
		(cd "$dir" && autoreconf -fi && ./configure && make -j"$(nproc)") >"$dir.build.log" 2>&1 ||
			{
				echo "ab: building $rev failed: $dir.build.log" >&2
				exit 1
			}
	fi
	echo "$dir"
}

dirs=()
for rev in "${revs[@]}"; do
	dirs+=("$(build "$rev")")
done
logs=()
for ((r = 1; r <= rounds; r++)); do
	for i in 0 1; do
		log=$out/ab-$bench-$r-$i.log
		echo "== round $r: ${revs[$i]} ($(git -C "${dirs[$i]}" rev-parse --short HEAD)): bench/$bench.sh $*"
		(cd "${dirs[$i]}" && BENCH_DIR=$out "bench/$bench.sh" "$@") >"$log" 2>&1 ||
			echo "ab: bench/$bench.sh failed on ${revs[$i]}: $log"
		logs+=("$log")
		grep -Ei 'median|ratio|p99|req/s|walk|ms' "$log" | head -40 || true
	done
done
echo "== logs: ${logs[*]}"
