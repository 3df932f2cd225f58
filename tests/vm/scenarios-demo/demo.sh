#!/bin/bash
# Guest side of tests/vm/demo.sh: topology, fulcrumd in the director namespace, its log and `ipvsadm -Ln` streamed to the console until stopped.
#
# Runs inside the rig's guest (tests/vm/demo.sh boots it). Stops when the host
# creates /tmp/results/stop (Ctrl-C or --for on the host), then stops fulcrumd
# with SIGTERM and exits.
# Environment: DEMO_INTERVAL seconds between two `ipvsadm -Ln` (default 5);
# DEMO_HOST_PORT, DEMO_SNMP_PORT the host ports that reach the API and snmpd (for the banner).
# snmpd (from the host root) runs in the director namespace as the AgentX master
# of fulcrumd's FULCRUM-MIB subagent, on udp and tcp 161 there (the host's
# forward is TCP: qemu's restricted user network drops UDP from the guest).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
SNMP_DIR=/tmp/demo-snmp
# shellcheck source-path=SCRIPTDIR source=../lib/snmp.sh
. "$FULCRUM_TOP/tests/vm/lib/snmp.sh"

interval=${DEMO_INTERVAL:-5}
stop_file=${RESULTS_DIR:-/tmp/results}/stop
demo=/tmp/demo
db=$demo/fulcrum.db
daemon_log=$demo/fulcrumd.log
fulcrumd=$FULCRUM_TOP/fulcrumd
pid=""
tail_pid=""

# demo_seed: the demo's virtual services and real servers, through fulcrumctl
# over the HTTP API (origin http, actor "demo-admin"), then what fulcrumd
# holds. Called once fulcrumd has logged "IPVS available".
token=""
host_port=${DEMO_HOST_PORT:-8080}
snmp_port=${DEMO_SNMP_PORT:-16161}
snmp_up=0
ctl() { in_ns director "$FULCRUM_TOP/fulcrumctl" --url http://127.0.0.1:8080 --token "$token" "$@"; }
demo_seed() {
    wait_for 10 in_ns director curl -sf --max-time 1 http://127.0.0.1:8080/api/v1/openapi.json ||
        log "demo: WARNING: the API does not answer"
    log "demo: seeding two virtual services with fulcrumctl over the API"
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
    log "demo: each change was reconciled into IPVS as it committed:"
    in_ns director ipvsadm -Ln
    for i in 1 2 3 4; do
        printf 'client GET http://%s/ -> %s\n' "$VIP" "$(client_get "http://$VIP/" || echo failed)"
    done
    local snmp_banner="" vs_id="" rs_oid=""
    if [[ $snmp_up == 1 ]]; then
        if snmp_wait_agent 20; then
            # web's id from fulcrumVsNameTable (index: length, then the name's bytes), then its first real server.
            vs_id=$(sget "$R.1.5.1.2.3.119.101.98") || vs_id=""
            log "demo: the same over SNMP (snmpwalk of fulcrumRsWeight, FULCRUM-MIB):"
            sro snmpwalk -On "$RS.8" || true
            rs_oid=$(sro snmpwalk -On "$RS.8.$vs_id" 2>/dev/null | awk 'NR == 1 { print $1 }') || rs_oid=""
        else
            log "demo: WARNING: fulcrumd's subagent did not answer through snmpd within 20 s"
        fi
        [[ -n $rs_oid ]] || rs_oid="$RS.8.VSID.RSID"
        snmp_banner="
   SNMP (over TCP) read, v2c:   snmpwalk -v2c -c $SNMP_COMMUNITY tcp:127.0.0.1:$snmp_port ${R#.}
   SNMP write, v3 authPriv SHA/AES: the weight of web's first real server, then read it back:
     snmpset -v3 -l authPriv -u $SNMP_USER -a SHA -A $SNMP_AUTH_PASS -x AES -X $SNMP_PRIV_PASS \\
       tcp:127.0.0.1:$snmp_port ${rs_oid#.} u 5
     snmpget -v2c -c $SNMP_COMMUNITY tcp:127.0.0.1:$snmp_port ${rs_oid#.}"
    fi
    if [[ -n $nic ]]; then
        cat <<BANNER

==============================================================================
 Fulcrum is running in the guest. On the host:
   web page:  http://127.0.0.1:$host_port/   (sign in with the token below)
   API:       curl -H "Authorization: Bearer $token" http://127.0.0.1:$host_port/api/v1/services
   CLI:       fulcrumctl --url http://127.0.0.1:$host_port --token $token service list
   admin token (this demo's database only): $token$snmp_banner
==============================================================================

BANNER
    fi
}

# The demo's NIC (qemu user networking; its only way in is the host's loopback
# port) goes into the director namespace, where fulcrumd's API listens.
nic=""
demo_nic() {
    [[ -e /sys/class/net/eth0 ]] || { log "demo: no NIC: the API is reachable only inside the guest"; return 0; }
    ip link set eth0 netns director
    ip -n director addr add 192.0.2.15/24 dev eth0
    ip -n director link set eth0 up
    nic=eth0
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
    snmp_stop
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
    token=$("$FULCRUM_TOP/fulcrumctl" --db "$db" token create demo-admin --role admin 2>/dev/null)
    demo_nic
    # snmpd on udp and tcp 161 of every address in the director namespace (the
    # host's forward arrives on eth0); fulcrumd connects to its AgentX socket.
    rm -rf "$SNMP_DIR"
    agentx=""
    if snmp_start udp:161 tcp:161; then
        snmp_up=1
        agentx=$SNMP_AGENTX
        log "demo: snmpd (AgentX master) runs in the director namespace, log $SNMP_LOG"
    else
        log "demo: WARNING: no snmpd; the demo goes on without SNMP"
    fi
    printf 'web_root = %s/web/static\n' "$FULCRUM_TOP" >"$demo/fulcrumd.conf"
    bg_in_ns director "$daemon_log" "$fulcrumd" --foreground -c "$demo/fulcrumd.conf" --db "$db" \
        --log-level info --http 0.0.0.0:8080 --agentx "$agentx"
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
