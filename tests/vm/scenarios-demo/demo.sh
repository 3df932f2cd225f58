#!/bin/bash
# Guest side of tests/vm/demo.sh: topology, fulcrumd in the director namespace, its log and `ipvsadm -Ln` streamed to the console until stopped.
#
# Runs inside the rig's guest (tests/vm/demo.sh boots it). Stops when the host
# creates /tmp/results/stop (Ctrl-C or --for on the host), then stops fulcrumd
# with SIGTERM and exits.
# Environment: DEMO_INTERVAL seconds between two `ipvsadm -Ln` (default 5).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"

interval=${DEMO_INTERVAL:-5}
stop_file=${RESULTS_DIR:-/tmp/results}/stop
demo=/tmp/demo
db=$demo/fulcrum.db
daemon_log=$demo/fulcrumd.log
fulcrumd=$FULCRUM_TOP/fulcrumd
pid=""
tail_pid=""

# demo_seed: the demo's virtual services and real servers, through fulcrumctl
# (local mode, origin cli), then what the store holds. Called once fulcrumd
# has logged "IPVS available".
ctl() { "$FULCRUM_TOP/fulcrumctl" --db "$db" "$@"; }
demo_seed() {
    log "demo: seeding two virtual services with fulcrumctl"
    ctl service add web address="$VIP" port=80 protocol=tcp scheduler=wrr description="demo web, IPv4"
    ctl real add web address="$(rs_ip 1)" port=80 forwarding=masq weight=3
    ctl real add web address="$(rs_ip 2)" port=80 forwarding=masq weight=1
    ctl service add web6 address="$VIP6" port=80 protocol=tcp scheduler=rr description="demo web, IPv6"
    ctl real add web6 address="$(rs_ip6 1)" port=80 forwarding=masq
    ctl real add web6 address="$(rs_ip6 2)" port=80 forwarding=masq
    log "demo: a bad change is refused and changes nothing:"
    ctl real add web address="$(rs_ip 1)" port=80 weight=70000 || true
    ctl service list
    ctl real list
    ctl changes
    log "demo: fulcrumd picks these up within a second and reconciles them into IPVS;"
    log "demo: ipvsadm -Ln below shows the kernel's table, then a client's requests through the VIP"
    sleep 2
    in_ns director ipvsadm -Ln
    for i in 1 2 3 4; do
        printf 'client GET http://%s/ -> %s\n' "$VIP" "$(client_get "http://$VIP/" || echo failed)"
    done
}

daemon_gone() { ! kill -0 "$pid" 2>/dev/null; }
daemon_started() { grep -q 'IPVS available' "$daemon_log"; }

stop_daemon() {
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        log "stopping fulcrumd (SIGTERM)"
        kill -TERM "$pid" 2>/dev/null || true
        wait_for 5 daemon_gone || { log "fulcrumd still running 5 s after SIGTERM, killing it"; kill -KILL "$pid" 2>/dev/null || true; }
    fi
    local rc=0
    wait "$pid" 2>/dev/null || rc=$?
    log "fulcrumd exited with status $rc"
    pid=""
}

cleanup() {
    stop_daemon
    sleep 0.5 # let tail print fulcrumd's last lines
    [[ -z $tail_pid ]] || kill "$tail_pid" 2>/dev/null || true
}
trap cleanup EXIT

log "demo: building the topology (director, rs1, rs2, client)"
topo_up 2
log "demo: VIP $VIP / $VIP6 on the director; real servers $(rs_ip 1) $(rs_ip 2); client $CLIENT_IP"

rm -rf "$demo"
mkdir -p "$demo"
: >"$daemon_log"
if [[ -x $fulcrumd ]]; then
    tail -n +1 -F "$daemon_log" 2>/dev/null | sed -u 's/^/fulcrumd| /' &
    tail_pid=$!
    log "demo: starting fulcrumd in the director namespace, database $db"
    bg_in_ns director "$daemon_log" "$fulcrumd" --foreground -c /dev/null --db "$db" --log-level debug
    pid=$BG_PID
    if wait_for 15 daemon_started; then
        demo_seed
    else
        log "demo: WARNING: fulcrumd did not log 'IPVS available' within 15 s; not seeding"
    fi
else
    log "demo: WARNING: $fulcrumd is not built (autoreconf -fi && ./configure && make); showing IPVS only"
fi

next=0
reported_exit=0
while [[ ! -e $stop_file ]]; do
    if ((SECONDS >= next)); then
        next=$((SECONDS + interval))
        printf -- '---- ipvsadm -Ln in director, %s\n' "$(date +%H:%M:%S)"
        in_ns director ipvsadm -Ln || true
    fi
    if [[ -n $pid && $reported_exit == 0 ]] && ! kill -0 "$pid" 2>/dev/null; then
        rc=0
        wait "$pid" || rc=$?
        log "demo: fulcrumd exited by itself with status $rc"
        pid=""
        reported_exit=1
    fi
    sleep 1
done
log "demo: stop requested"
