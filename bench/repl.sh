#!/bin/bash
# What replication costs a write: PATCHes through the active's API with repl_mode sync and async,
# against the same director standalone (no peer), in one guest, alternately (standalone, async,
# sync, and again), medians and ratios. Prints numbers; asserts nothing, but fails when a write
# is refused.
#
# A guest script for the real-kernel rig (two director namespaces, tests/vm/lib/ha.sh); run on
# the host:
#     flock /work/rig.lock tests/vm/run.sh --timeout 900 bench/repl.sh
# The numbers come back in tests/vm/results/repl/guest.log (bench/README.md, "Replication").
#
# Environment (the rig does not pass the host's: export them in a wrapper that sources this file):
#   BENCH_ROUNDS  3    rounds of the three modes
#   BENCH_WRITES  150  PATCHes per connection and run
#   BENCH_CONNS   8    connections of the parallel run (the single run has one)
#
# Per mode and round, on a fresh pair (both from one seed database, the active dir1): one
# client on one keep-alive connection, then BENCH_CONNS clients at once (group commit: writes
# arriving together share one commit and, in sync mode, one round trip to the standby). Each
# client is a thread of one Python process in dir1's namespace; a write is timed from its
# request to its answer. Reported: writes per second and the median and 95th-percentile
# latency, in sync mode the standby's acknowledgements per write (under 1: grouped), replication's
# lag by fulcrumd's own clock (GET /cluster's ack_lag_ms: each revision's commit on the active to
# the standby's acknowledgement, median and 99th percentile), and the CPU
# each fulcrumd used per write (/proc/PID/stat), the active's and the standby's: both run in the
# one guest and share its two CPUs, so the standby's work slows the active here as it would not
# on two machines.
# shellcheck disable=SC2153 # FULCRUM_TOP and SCENARIO_TMP come from the rig
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/ha.sh
. "$FULCRUM_TOP/tests/vm/lib/ha.sh"

rounds=${BENCH_ROUNDS:-3}
writes=${BENCH_WRITES:-150}
conns=${BENCH_CONNS:-8}
out=$SCENARIO_TMP/bench
mkdir -p "$out"
records=$out/runs.txt
: >"$records"
trap 'for n in 1 2; do echo "--- dir$n log (tail)"; tail -n 30 "${HA_LOG[$n]:-/dev/null}"; done' ERR

# CONNS N PREFIX: N PATCHes on each of CONNS connections; prints "writes/s p50_ms p95_ms"
WRITER_PY='
import http.client, json, sys, threading, time
token, conns, n, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
lat, lock, failed = [], threading.Lock(), []
def run(k):
    c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=10)
    for i in range(n):
        t = time.time()
        c.request("PATCH", "/api/v1/services/1", json.dumps({"description": "%s%d-%d" % (prefix, k, i)}),
                  {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            failed.append(r.status)
            return
        with lock:
            lat.append(time.time() - t)
t0 = time.time()
ts = [threading.Thread(target=run, args=(k,)) for k in range(conns)]
for t in ts:
    t.start()
for t in ts:
    t.join()
el = time.time() - t0
if failed:
    sys.exit("refused: HTTP %s" % failed[0])
lat.sort()
print("%.1f %.1f %.1f" % (len(lat) / el, 1000 * lat[len(lat) // 2], 1000 * lat[int(len(lat) * 0.95)]))
'
acks() { ha_cluster 1 'c["replication"]["counters"]["acks"]'; }
# CPU seconds (user + system) dirN's fulcrumd has used; 0 when it does not run
cpu_of() { # N
    local pid=${HA_PID[$1]:-}
    [[ -n $pid && -r /proc/$pid/stat ]] || { echo 0; return; }
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$pid/stat"
}
in_sync() { [[ $(ha_cluster 1 'c["replication"]["state"]') == in_sync ]]; }

ha_topo_up
for round in $(seq 1 "$rounds"); do
    for mode in standalone async sync; do
        if [[ $mode == standalone ]]; then
            HA_STANDALONE=1 ha_start 1
            wait_for 10 bash -c "ip netns exec dir1 curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/api/v1/openapi.json | grep -q 200"
        else
            ha_start 1 "ha_priority = 110" "repl_mode = $mode"
            ha_start 2 "ha_priority = 100" "repl_mode = $mode"
            wait_for 15 ha_is 1 active || { echo "dir1 not active"; false; }
            wait_for 15 in_sync || { echo "replication not in_sync: $(ha_cluster 1 'c["replication"]')"; false; }
        fi
        token=$(cat "$HA_DIR/dir1/token")
        for c in 1 "$conns"; do
            a0=0
            [[ $mode == standalone ]] || a0=$(acks)
            c1=$(cpu_of 1) c2=$(cpu_of 2)
            read -r rate p50 p95 < <(in_ns dir1 python3 -c "$WRITER_PY" "$token" "$c" "$writes" "r$round$mode")
            # CPU ms per write of the active and of the standby (the two share the guest's CPUs)
            cpu1=$(python3 -c "print(round(1000 * ($(cpu_of 1) - $c1) / ($c * $writes), 2))")
            cpu2=$(python3 -c "print(round(1000 * ($(cpu_of 2) - $c2) / ($c * $writes), 2))")
            per=- lag50=- lag99=-
            if [[ $mode == sync ]]; then
                per=$(python3 -c "print(round(($(acks) - $a0) / ($c * $writes), 2))")
            fi
            if [[ $mode != standalone ]]; then
                # fulcrumd's own figures: each revision's commit to the standby's acknowledgement,
                # the last 1,024 revisions (this run's: 150, then the last 1,024 of 1,200)
                read -r lag50 lag99 < <(ha_cluster 1 '"%.1f %.1f" % (c["replication"]["ack_lag_ms"]["p50"], c["replication"]["ack_lag_ms"]["p99"])')
            fi
            printf '%s %s %s %s %s %s %s %s %s %s %s\n' "$round" "$mode" "$c" "$rate" "$p50" "$p95" "$per" "$cpu1" "$cpu2" \
                "$lag50" "$lag99" | tee -a "$records"
        done
        ha_kill 1 TERM
        ha_kill 2 TERM
    done
done

python3 - "$records" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(mode, conns, col):
    return statistics.median(float(r[col]) for r in rows if r[1] == mode and r[2] == conns)
print("\nreplication's cost per write (medians of %d rounds; TCG: compare the ratios)" % len({r[0] for r in rows}))
print("%-11s %5s %10s %9s %9s %11s %11s %11s %11s %9s %9s" % ("mode", "conns", "writes/s", "p50 ms", "p95 ms",
      "rate/alone", "acks/write", "active CPU", "standby CPU", "lag p50", "lag p99"))
print("%-11s %5s %10s %9s %9s %11s %11s %11s %11s %9s %9s" % ("", "", "", "", "", "", "", "ms/write", "ms/write",
      "ms", "ms"))
for conns in sorted({r[2] for r in rows}, key=int):
    base = med("standalone", conns, 3)
    for mode in ("standalone", "async", "sync"):
        acks = [float(r[6]) for r in rows if r[1] == mode and r[2] == conns and r[6] != "-"]
        lag = lambda col: "-" if mode == "standalone" else "%.1f" % med(mode, conns, col)
        print("%-11s %5s %10.1f %9.1f %9.1f %11.2f %11s %11.2f %11.2f %9s %9s" % (
            mode, conns, med(mode, conns, 3), med(mode, conns, 4), med(mode, conns, 5),
            med(mode, conns, 3) / base, "%.2f" % statistics.median(acks) if acks else "-",
            med(mode, conns, 7), med(mode, conns, 8), lag(9), lag(10)))
PY
ha_down
trap - ERR
