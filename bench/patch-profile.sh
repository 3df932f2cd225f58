#!/bin/bash
# Where a weight PATCH's time goes in the real kernel: perf profile of fulcrumd in the guest.
# Seeds BENCH_SIZE services x 10 real servers (SQLite and ipvsadm -R), starts fulcrumd under
# `perf record` (call graphs by DWARF, recording off until the PATCHes), then times PATCHes
# alternating with GET /status: 20 before recording, 100 recorded, 20 after. Prints the medians
# and perf's report (by library, by function with callees, and what calls memmove). Asserts nothing.
#
# A guest script for the real-kernel rig:
#     tests/vm/run.sh --timeout 1500 bench/patch-profile.sh
# Output in tests/vm/results/patch-profile/guest.log. BENCH_SIZE (10000) from a wrapper that
# exports it and sources this file.
# shellcheck disable=SC2153 # FULCRUM_TOP comes from the rig, FULCRUM_* from fulcrum.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/fulcrum.sh
. "$FULCRUM_TOP/tests/vm/lib/fulcrum.sh"

n=${BENCH_SIZE:-10000}
topo_up 2
fulcrum_seed "$n" 10
fulcrum_seed_ipvs "$n" 10
printf 'reconcile_interval = 600\n' >"$FULCRUM_DIR/fulcrumd.conf"
ctl=$SCENARIO_TMP/perf-ctl ack=$SCENARIO_TMP/perf-ack data=$SCENARIO_TMP/perf.data
mkfifo "$ctl" "$ack"
# perf runs fulcrumd itself: attached from outside the namespace it cannot read the maps.
bg_in_ns director "$FULCRUM_LOG" perf record -D -1 --control "fifo:$ctl,$ack" \
    -F 2000 -e cpu-clock --call-graph dwarf,16384 -o "$data" -- \
    "$FULCRUM_TOP/fulcrumd" --foreground -c "$FULCRUM_DIR/fulcrumd.conf" --db "$FULCRUM_DB" \
    --http 127.0.0.1:8080 --log-level notice
perf_pid=$BG_PID
wait_for 300 grep -q 'reconcile: started' "$FULCRUM_LOG" || { cat "$FULCRUM_LOG"; fail "no first pass"; }
grep 'reconcile: started' "$FULCRUM_LOG"
wait_for 20 in_ns director curl -sf --max-time 1 "$API/openapi.json" || fail "the API did not answer"

rid=$(((n / 2) * 10 + 1)) # a real server in the middle of the table
patches() { # COUNT
    in_ns director python3 - "$FULCRUM_TOKEN" "$rid" "$1" <<'PY'
import http.client, json, sys, time
token, rid, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=60)
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
pat, get = [], []
for k in range(n):
    t = time.monotonic(); c.request("GET", "/api/v1/status", headers=h); c.getresponse().read()
    get.append((time.monotonic() - t) * 1000)
    t = time.monotonic()
    c.request("PATCH", "/api/v1/reals/" + rid, json.dumps({"weight": k % 50 + 2}), h)
    r = c.getresponse(); r.read()
    pat.append((time.monotonic() - t) * 1000)
    if r.status != 200:
        sys.exit("PATCH: HTTP %d" % r.status)
med = lambda v: sorted(v)[len(v) // 2]
print("GET /status median %.1f ms, PATCH median %.1f ms (%d each, alternating)" % (med(get), med(pat), n))
PY
}
patches 20
echo enable >"$ctl" && read -r _ <"$ack"
patches 100
echo disable >"$ctl" && read -r _ <"$ack"
patches 20
kill -TERM "$(pgrep -x fulcrumd)"
wait "$perf_pid" || true

report() { perf report -i "$data" --stdio "$@" 2>&1 | grep -v '^#' | grep -v '^$' || true; }
say() { printf '%s\n' "$*"; }
say "=== by library (self)"
report --no-children --sort dso -g none | head -15
say "=== by function, with callees"
report --children --sort sym -g none | head -80
say "=== what calls memmove"
report --no-children --sort sym -S __memmove_avx_unaligned_erms -G | head -40
