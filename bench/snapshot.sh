#!/usr/bin/env bash
# Snapshot and digest at 10,000 services x 10 real servers: time and peak RSS of writing a
# snapshot, applying it to another database (which held other rows) and digesting, against
# `sqlite3 .backup` of the same file in the same run. Prints numbers; asserts nothing.
# Usage: make bench/snapshot-tool && bench/snapshot.sh
# Environment: BENCH_SERVICES (10000), BENCH_REALS (10), BENCH_DIR (a scratch folder under
# bench/out; put it on a real disk: apply commits with fsync).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tool=$top/bench/snapshot-tool
[[ -x $tool ]] || { echo "bench/snapshot.sh: build it first: make bench/snapshot-tool"; exit 1; }
services=${BENCH_SERVICES:-10000}
reals=${BENCH_REALS:-10}
mkdir -p "$top/bench/out"
dir=${BENCH_DIR:-$(mktemp -d "$top/bench/out/snapshot-XXXXXX")}
trap 'rm -rf "$dir"' EXIT

# Runs a command under /usr/bin/time: "label: wall s, peak RSS MB" after the command's own lines.
measure() { # LABEL CMD...
	local label=$1
	shift
	/usr/bin/time -f "$label: %e s wall, peak RSS %M KB" "$@" 2>&1 |
		awk '/peak RSS/ { sub(/[0-9]+ KB$/, sprintf("%.1f MB", $(NF-1) / 1024)) } { print }'
}

"$tool" build "$dir/a.db" "$services" "$reals"
"$tool" build "$dir/b.db" 100 2 # other contents, replaced by the snapshot
echo "== $services services x $reals real servers: $(du -h "$dir/a.db" | cut -f1) database"
measure "sqlite3 .backup (baseline)" sqlite3 "$dir/a.db" ".backup '$dir/backup.db'"
measure "snapshot write" "$tool" write "$dir/a.db" "$dir/snap.jsonl"
echo "snapshot: $(wc -l <"$dir/snap.jsonl") chunks, $(du -h "$dir/snap.jsonl" | cut -f1)," \
	"largest $(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$dir/snap.jsonl") bytes"
measure "snapshot apply" "$tool" apply "$dir/b.db" "$dir/snap.jsonl"
measure "digest (source)" "$tool" digest "$dir/a.db"
measure "digest (applied)" "$tool" digest "$dir/b.db"
