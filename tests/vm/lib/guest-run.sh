#!/bin/bash
# Guest-side runner of the real-kernel rig: /init chroots into the host root and runs this with the job in /tmp/results/job.env.
#
# job.env (written by tests/vm/run.sh or tests/vm/demo.sh on the host) sets:
#   JOB_NAME      scenario name, for the log
#   JOB_SCRIPT    the script to run (a path in the host root, seen read-only here)
#   JOB_TIMEOUT   seconds the script may run before it is killed here (0: no limit)
#   JOB_CONSOLE   1: also copy the script's output to the serial console
#   JOB_KEEP      1: copy the script's working folder ($SCENARIO_TMP) back even if it passed
#   FULCRUM_TOP   the repo top
# The script's output goes to /tmp/results/guest.log; /init writes our exit
# status to /tmp/results/exit-status and powers the guest off.
set -euo pipefail

results=/tmp/results
# shellcheck source=/dev/null
. "$results/job.env"

export FULCRUM_TOP
export FULCRUM_VM=1
export SCENARIO_NAME=$JOB_NAME
export SCENARIO_TMP=/tmp/scenario
export RESULTS_DIR=$results
mkdir -p "$SCENARIO_TMP"
cd "$SCENARIO_TMP"

# Net namespaces made by `ip netns` need /run/netns; /run is a fresh tmpfs.
mkdir -p /run/netns
ip link set lo up

{
    echo "== guest: $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
    echo "== scenario $JOB_NAME: $JOB_SCRIPT (started $(date +%H:%M:%S.%3N), $(cut -d" " -f1 /proc/uptime) s after boot)"
} >"$results/guest.log"

run() {
    if [[ ${JOB_TIMEOUT:-0} -gt 0 ]]; then
        timeout -k 5 "$JOB_TIMEOUT" bash "$JOB_SCRIPT"
    else
        bash "$JOB_SCRIPT"
    fi
}

set +e
if [[ ${JOB_CONSOLE:-0} == 1 ]]; then
    run 2>&1 | tee -a "$results/guest.log"
    rc=${PIPESTATUS[0]}
else
    run >>"$results/guest.log" 2>&1
    rc=$?
fi
set -e
if [[ $rc == 124 ]]; then
    echo "== scenario $JOB_NAME: killed in the guest after ${JOB_TIMEOUT} s (timeout)" >>"$results/guest.log"
fi
echo "== scenario $JOB_NAME: exit status $rc" >>"$results/guest.log"
dmesg >"$results/dmesg.log" 2>/dev/null || true
if [[ $rc != 0 || ${JOB_KEEP:-0} == 1 ]]; then
    # Databases and daemon logs, for a look after the guest is gone (sockets and fifos are skipped).
    cp -r "$SCENARIO_TMP" "$results/tmp" 2>/dev/null || true
fi
exit "$rc"
