#!/bin/bash
# Snapshot resync of 10,000 services x 10 real servers between two running fulcrumds (issue 14's
# second benchmark): the active dir1 holds the configuration, the standby dir2 starts with an
# empty database and takes all of it as one snapshot. Reported from fulcrumd's own log lines and
# /proc: how long the snapshot took to send (dir1's "sent in N ms"), dir2's start to "committed
# here", and each fulcrumd's peak memory (VmHWM) against dir1's own before dir2 came, the
# baseline of a director holding this configuration. Prints numbers; asserts nothing.
#
# A guest script for the real-kernel rig (two director namespaces, tests/vm/lib/ha.sh); run on
# the host, after `make bench/snapshot-tool`:
#     flock /work/rig.lock tests/vm/run.sh --timeout 1500 bench/repl-snapshot.sh
# The numbers come back in tests/vm/results/repl-snapshot/guest.log.
# Environment (export in a wrapper that sources this file): BENCH_SERVICES 10000, BENCH_REALS 10.
#
# It found three defects of issue 14 (bench/README.md): the standby closed on the active's
# silent digest, the active closed on a standby slow to take the chunks, and the active handed
# its role to the empty standby when its own loop stalled. It fails unless dir1 stays active.
# shellcheck disable=SC2153 # FULCRUM_TOP and SCENARIO_TMP come from the rig
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/ha.sh
. "$FULCRUM_TOP/tests/vm/lib/ha.sh"

services=${BENCH_SERVICES:-10000}
reals=${BENCH_REALS:-10}
# each fulcrumd's whole log comes back beside guest.log (dir1.log, dir2.log)
keep_logs() { for n in 1 2; do cp "${HA_LOG[$n]:-/dev/null}" "${RESULTS_DIR:-/tmp}/dir$n.log" 2>/dev/null || true; done; }
trap 'for n in 1 2; do echo "--- dir$n log (tail)"; tail -n 30 "${HA_LOG[$n]:-/dev/null}"; done; keep_logs' ERR

hwm() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/${HA_PID[$1]}/status"; } # N: MB
rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/${HA_PID[$1]}/status"; } # N: MB
role_is() { [[ $(ha_role "$1") == "$2" ]]; }
in_sync() { [[ $(ha_cluster 1 'c["replication"]["state"]') == in_sync ]]; }
digest_done() { [[ $(ha_cluster 1 'c["replication"]["digest"]') != None ]]; }

ha_topo_up
mkdir -p "$HA_DIR/dir1" "$HA_DIR/dir2"
t=$(ha_ms)
"$FULCRUM_TOP/bench/snapshot-tool" build "$HA_DIR/dir1/fulcrum.db" "$services" "$reals" >/dev/null
# no change log: the standby cannot stream from it and takes one snapshot
sqlite3 "$HA_DIR/dir1/fulcrum.db" 'DELETE FROM change_log'
"$FULCRUM_TOP/fulcrumctl" --db "$HA_DIR/dir1/fulcrum.db" token create bench --role admin 2>/dev/null \
    >"$HA_DIR/dir1/token"
cp "$HA_DIR/dir1/token" "$HA_DIR/dir2/token" # the snapshot brings the token's hash to dir2
echo "database: $services services x $reals real servers in $(($(ha_ms) - t)) ms (bench/snapshot-tool)"

HA_KEEP_DB=1 ha_start 1 "ha_priority = 110"
wait_for 60 role_is 1 active || { echo "dir1 not active: $(ha_role 1)"; false; }
wait_for 300 grep -q 'reconcile: started' "${HA_LOG[1]}" || { echo "dir1: no first pass"; false; }
sleep 10 # the first pass's programming and oper's re-evaluation behind it
base_hwm=$(hwm 1) base_rss=$(rss 1)
echo "dir1 alone, active, holding it (IPVS programmed): VmHWM $base_hwm MB, VmRSS $base_rss MB"

t_start=$(ha_ms)
HA_KEEP_DB=1 ha_start 2 "ha_priority = 100"
wait_for 600 grep -q 'snapshot of revision [0-9]* committed here' "${HA_LOG[2]}" ||
    { echo "dir2 took no snapshot"; false; }
wait_for 120 in_sync || { echo "not in sync: $(ha_cluster 1 'c["replication"]')"; false; }
committed=$(at_of 2 'snapshot of revision [0-9]+ committed here')
sent=$(line_of 1 'a snapshot of revision [0-9]+ sent to dir2 in' || true)
echo "dir1: ${sent#*repl: replication: }"
echo "dir2: $(line_of 2 'snapshot of revision [0-9]+ committed here' | sed 's/.*repl: replication: //')"
echo "dir2: started to the snapshot committed: $((committed - t_start)) ms"
sleep 10 # dir2's own first pass after the swap
echo "dir1 after sending: VmHWM $(hwm 1) MB (alone it was $base_hwm MB), VmRSS $(rss 1) MB"
echo "dir2 after taking it and its first pass: VmHWM $(hwm 2) MB, VmRSS $(rss 2) MB (dir1 holding the same: $base_hwm MB)"
# the pair's first digest comparison after the snapshot (each side digests 110,000 objects)
wait_for 300 digest_done || true
echo "digest comparison (dir1): $(ha_cluster 1 'c["replication"]["digest"]')"
echo "services on dir2: $(ha_api 2 /status | python3 -c 'import json, sys; s = json.load(sys.stdin); print(s["services"], "services,", s["reals"], "real servers, revision", s["revision"])')"
echo "dir1's role: $(ha_role 1), dir2's: $(ha_role 2) (dir1 must still be active)"
[[ $(ha_role 1) == active ]]
keep_logs
ha_down
trap - ERR
