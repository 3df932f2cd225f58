#!/usr/bin/env bash
# The configuration file at 10,000 services x 10 real servers: export and apply, time and peak
# memory, against replication's snapshot (the project's other whole-configuration path) in the
# same run; then an apply of a file that changes one weight against one PATCH of that weight,
# both with fulcrumctl --db and through a running fulcrumd (its VmHWM before and after).
# Prints numbers and ratios; asserts only that each step did what it says.
# Usage: make bench/snapshot-tool && bench/config.sh
# Environment: BENCH_SERVICES (10000), BENCH_REALS (10), BENCH_REPEAT (5: the small operations'
# runs, medians), BENCH_DIR (bench/out; a disk, not a tmpfs: every apply commits with fsync).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
services=${BENCH_SERVICES:-10000}
reals=${BENCH_REALS:-10}
repeat=${BENCH_REPEAT:-5}
tool=$top/bench/snapshot-tool
ctl=$top/fulcrumctl
for f in "$tool" "$ctl" "$top/fulcrumd"; do
	[[ -x $f ]] || die "$f is not built: make && make bench/snapshot-tool"
done

bench_private_net "$@"
bench_workdir

# measure LABEL CMD...: the command under /usr/bin/time; prints "LABEL: S s wall, peak RSS M MB"
# and sets SECONDS_ (wall) and RSS_MB; the command's stdout goes to $work/out, stderr to $work/err.
measure() {
	local label=$1
	shift
	/usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" ||
		die "$label failed: $(tail -3 "$work/err")"
	read -r SECONDS_ rss <"$work/time"
	RSS_MB=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
	printf '%-44s %8.2f s wall, peak RSS %7.1f MB\n' "$label:" "$SECONDS_" "$RSS_MB"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }

"$tool" build "$work/a.db" "$services" "$reals" >/dev/null
echo "== $services services x $reals real servers ($(du -h "$work/a.db" | cut -f1) database)," \
	"fulcrumctl $(cd "$top" && git rev-parse --short HEAD 2>/dev/null || echo '?')"

# ---- export ----------------------------------------------------------------------------------
measure "baseline: snapshot write (replication)" "$tool" write "$work/a.db" "$work/snap.jsonl"
snap_s=$SECONDS_ snap_mb=$RSS_MB
measure "fulcrumctl --db export (XML)" "$ctl" --db "$work/a.db" export
cp "$work/out" "$work/a.xml"
echo "  $(du -h "$work/a.xml" | cut -f1) of XML, $(wc -l <"$work/a.xml") lines;" \
	"x$(ratio "$SECONDS_" "$snap_s") the snapshot's time, x$(ratio "$RSS_MB" "$snap_mb") its memory"
measure "fulcrumctl --db export --format json" "$ctl" --db "$work/a.db" export --format json
cp "$work/out" "$work/a.json"
echo "  $(du -h "$work/a.json" | cut -f1) of JSON"

# ---- apply to an empty director --------------------------------------------------------------
"$tool" build "$work/snapdst.db" 1 1 >/dev/null
measure "baseline: snapshot apply (replication)" "$tool" apply "$work/snapdst.db" "$work/snap.jsonl"
snapa_s=$SECONDS_ snapa_mb=$RSS_MB
measure "fulcrumctl --db apply (XML, empty database)" "$ctl" --db "$work/b.db" apply "$work/a.xml"
tail -1 "$work/out" | sed 's/^/  /'
grep -q "^$((services * (reals + 1))) created, 0 changed" "$work/out" || die "the apply did not create everything"
echo "  x$(ratio "$SECONDS_" "$snapa_s") the snapshot apply's time, x$(ratio "$RSS_MB" "$snapa_mb") its memory"
"$ctl" --db "$work/b.db" export >"$work/b.xml"
if diff <(grep -v '<fulcrum ' "$work/a.xml") <(grep -v '<fulcrum ' "$work/b.xml") >/dev/null; then
	echo "  its export is the source's, byte for byte (but the revision)"
else
	die "the applied database exports another document"
fi
measure "fulcrumctl --db apply (JSON, empty database)" "$ctl" --db "$work/c.db" apply "$work/a.json"
measure "the same XML again (nothing changes)" "$ctl" --db "$work/b.db" apply "$work/a.xml"
tail -1 "$work/out" | sed 's/^/  /'

# ---- one weight: an apply against a PATCH -------------------------------------------------------
# the file with real server 1's weight changed, each run to another value
rs_line=$(grep -n '<real id="1" ' "$work/a.xml" | cut -d: -f1)
onefile() { sed "${rs_line}s/weight=\"[0-9]*\"/weight=\"$1\"/" "$work/a.xml" >"$work/one.xml"; }
apply_t=() patch_t=()
for ((i = 0; i < repeat; i++)); do
	onefile $((100 + i))
	t0=$(now)
	"$ctl" --db "$work/b.db" apply "$work/one.xml" >"$work/out" 2>&1
	t1=$(now)
	grep -q '^0 created, 1 changed, 0 deleted' "$work/out" || die "one weight: $(tail -2 "$work/out")"
	"$ctl" --db "$work/b.db" real set 1 weight=$((200 + i)) >/dev/null
	t2=$(now)
	apply_t+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
	patch_t+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')")
done
ma=$(printf '%s\n' "${apply_t[@]}" | median)
mp=$(printf '%s\n' "${patch_t[@]}" | median)
printf '%-44s %8.3f s (median of %d)\n' "--db: apply of a file changing one weight:" "$ma" "$repeat"
printf '%-44s %8.3f s (median of %d)  apply/PATCH x%s\n' "--db: fulcrumctl real set (one PATCH):" "$mp" \
	"$repeat" "$(ratio "$ma" "$mp")"

# ---- through fulcrumd --------------------------------------------------------------------------
"$ctl" --db "$work/b.db" token create bench --role admin >"$work/token" 2>/dev/null
printf 'db = %s\n' "$work/b.db" >"$work/d.conf"
"$top/fulcrumd" --foreground -c "$work/d.conf" --http 127.0.0.1:0 --agentx '' >"$work/d.log" 2>&1 &
pids+=($!)
dpid=$!
port=
for ((i = 0; i < 600; i++)); do
	port=$(sed -n 's|.*API on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/d.log")
	[[ -n $port ]] && break
	kill -0 "$dpid" 2>/dev/null || die "fulcrumd did not start: $(tail -3 "$work/d.log")"
	sleep 0.1
done
[[ -n $port ]] || die "fulcrumd did not start"
url=http://127.0.0.1:$port/api/v1
auth="Authorization: Bearer $(cat "$work/token")"
hwm() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$dpid/status"; }
# the loop is busy with the load's own work (operational state, health targets) for a while
sleep 5
echo "fulcrumd: loaded, VmHWM $(hwm) MB"
t0=$(now)
curl -sf -H "$auth" -H 'Accept: application/xml' "$url/config" -o "$work/d.xml" || die "GET /config failed"
t1=$(now)
printf '%-44s %8.2f s, VmHWM after %s MB\n' "GET /config (XML)" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$(hwm)"
t0=$(now)
curl -sf -X PUT -H "$auth" -H 'Content-Type: application/xml' --data-binary "@$work/d.xml" "$url/config" \
	-o "$work/put.json" || die "PUT /config failed: $(cat "$work/put.json")"
t1=$(now)
printf '%-44s %8.2f s, VmHWM after %s MB\n' "PUT /config, the same file (nothing changes)" \
	"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$(hwm)"
rs_line=$(grep -n '<real id="1" ' "$work/d.xml" | cut -d: -f1)
apply_t=() patch_t=()
for ((i = 0; i < repeat; i++)); do
	sed "${rs_line}s/weight=\"[0-9]*\"/weight=\"$((300 + i))\"/" "$work/d.xml" >"$work/one.xml"
	t0=$(now)
	curl -sf -X PUT -H "$auth" -H 'Content-Type: application/xml' --data-binary "@$work/one.xml" \
		"$url/config" -o "$work/put.json" || die "PUT one weight failed"
	t1=$(now)
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(r["updated"] != 1 or r["created"] or r["deleted"])' \
		"$work/put.json" || die "PUT one weight did not change exactly one object: $(head -c 300 "$work/put.json")"
	curl -sf -X PATCH -H "$auth" -H 'Content-Type: application/json' -d "{\"weight\": $((400 + i))}" \
		"$url/reals/1" -o /dev/null || die "PATCH failed"
	t2=$(now)
	apply_t+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
	patch_t+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')")
done
ma=$(printf '%s\n' "${apply_t[@]}" | median)
mp=$(printf '%s\n' "${patch_t[@]}" | median)
printf '%-44s %8.3f s (median of %d)\n' "PUT /config changing one weight:" "$ma" "$repeat"
printf '%-44s %8.3f s (median of %d)  PUT/PATCH x%s\n' "PATCH /reals/1 (one weight):" "$mp" "$repeat" \
	"$(ratio "$ma" "$mp")"
echo "fulcrumd: VmHWM $(hwm) MB at the end"
