#!/bin/bash
# Proves the rig: a masq rr service made with ipvsadm in the director namespace spreads 4 client requests 2/2 over rs1 and rs2.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"

topo_up 2
log "topology up"

in_ns director ipvsadm -A -t "$VIP:80" -s rr
in_ns director ipvsadm -a -t "$VIP:80" -r "$(rs_ip 1):80" -m
in_ns director ipvsadm -a -t "$VIP:80" -r "$(rs_ip 2):80" -m
in_ns director ipvsadm -Ln

declare -A seen=([rs1]=0 [rs2]=0)
for i in 1 2 3 4; do
    body=$(client_get "http://$VIP/") || fail "request $i to http://$VIP/ failed (is the client routed via the director?)"
    log "request $i answered by: $body"
    case $body in
    rs1 | rs2) seen[$body]=$((seen[$body] + 1)) ;;
    *) fail "request $i: unexpected answer '$body'" ;;
    esac
done
assert_eq 2 "${seen[rs1]}" "requests answered by rs1 (rr over 2 real servers, 4 requests)"
assert_eq 2 "${seen[rs2]}" "requests answered by rs2 (rr over 2 real servers, 4 requests)"

# Kernels before 6.2 fold the per-cpu counters into what ipvsadm shows only
# every 2 s (the rate estimator's timer), so give it up to 6 s to catch up.
svc_conns() {
    in_ns director ipvsadm -Ln --stats |
        awk -v svc="$VIP:80" '$1 == "TCP" && $2 == svc { print $3 }'
}
conns_are_4() { [[ $(svc_conns) == 4 ]]; }
wait_for 6 conns_are_4 || true
in_ns director ipvsadm -Ln --stats
assert_eq 4 "$(svc_conns)" "connections counted by IPVS for TCP $VIP:80 (ipvsadm -Ln --stats)"

log "PASS: 4 requests split 2/2, IPVS counted 4 connections"
