#!/bin/bash
# Services made through the API reach IPVS and carry real traffic: masq, route, tunnel, IPv6.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/fulcrum.sh
. "$FULCRUM_TOP/tests/vm/lib/fulcrum.sh"

topo_up 2
topo_lan_client
FULCRUM_CONF="reconcile_interval = 1" fulcrum_start
trap 'tail -n 40 "$FULCRUM_LOG"' ERR

# both_answered COUNTS: each of rs1, rs2 answered exactly half.
expect_split() { # WANT COUNTS WHAT
    [[ $2 == "$1" ]] || { in_ns director ipvsadm -Ln; fail "$3: expected '$1', got '$2'"; }
    log "$3: $2"
}

# 1. NAT: a service with two masq real servers, created in one request.
api_ok POST /services "{\"name\":\"nat\",\"address\":\"$VIP\",\"port\":80,\"protocol\":\"tcp\",\"scheduler\":\"rr\",
  \"reals\":[{\"address\":\"$(rs_ip 1)\",\"port\":80,\"forwarding\":\"masq\"},
             {\"address\":\"$(rs_ip 2)\",\"port\":80,\"forwarding\":\"masq\"}]}"
nat=$(jget "d['id']")
wait_for 5 kernel_has "TCP +$VIP:80 rr" || fail "service nat not in IPVS within 5 s"
in_ns director ipvsadm -Ln
expect_split "rs1=2 rs2=2" "$(answers 4 "http://$VIP/")" "masq: 4 requests from the client"
api_ok GET "/services/$nat"
assert_eq in_sync "$(jget "d['status']['kernel_state']")" "nat's kernel state in the API"
# IPVS's counters reach the API from reconcile's cache (passes every second; 6.1 lags ~2 s).
api_conns() { api GET "/services/$nat" && [[ $(jget "(d['status']['stats'] or {}).get('conns')") == 4 ]]; }
wait_for 8 api_conns || fail "the API's counters for nat: $(jget "d['status']['stats']")"
log "nat's counters in the API: $(jget "d['status']['stats']")"
api_ok GET "/services/$nat/reals"
assert_eq "2 2" "$(jget "' '.join(str(r['status']['stats']['conns']) for r in d['reals'])")" \
    "connections per real server in the API"
# A counter reset is a write (an operator's): the kernel's counters and the API's read 0.
api_ok POST "/services/$nat/reset-counters"
assert_eq 0 "$(in_ns director ipvsadm -Ln --stats --exact -t "$VIP:80" | awk '$1 == "TCP" {print $3}')" \
    "IPVS's connection counter of nat after the reset"
api_ok GET "/services/$nat"
assert_eq 0 "$(jget "d['status']['stats']['conns']")" "the API's counter of nat after the reset"
api_ok DELETE "/services/$nat"
wait_for 5 bash -c "! ip netns exec director ipvsadm -Ln | grep -q '$VIP:80'" || fail "nat still in IPVS after DELETE"

# 2. Direct routing: the real servers hold the VIP on lo and answer lanclient on-link.
rs_accept_dr 1
rs_accept_dr 2
api_ok POST /services "{\"name\":\"dr\",\"address\":\"$VIP\",\"port\":80,\"protocol\":\"tcp\",\"scheduler\":\"rr\",
  \"reals\":[{\"address\":\"$(rs_ip 1)\",\"port\":80,\"forwarding\":\"route\"},
             {\"address\":\"$(rs_ip 2)\",\"port\":80,\"forwarding\":\"route\"}]}"
dr=$(jget "d['id']")
wait_for 5 kernel_has "$(rs_ip 2):80 +Route" || fail "dr real servers not in IPVS"
expect_split "rs1=2 rs2=2" "$(answers 4 "http://$VIP/" lanclient)" "route: 4 requests from lanclient"
api_ok DELETE "/services/$dr"

# 3. Tunnel (IP-in-IP): the real servers decapsulate on tunl0.
rs_accept_tun 1
rs_accept_tun 2
api_ok POST /services "{\"name\":\"tun\",\"address\":\"$VIP\",\"port\":80,\"protocol\":\"tcp\",\"scheduler\":\"rr\",
  \"reals\":[{\"address\":\"$(rs_ip 1)\",\"port\":80,\"forwarding\":\"tunnel\",\"tunnel_type\":\"ipip\"},
             {\"address\":\"$(rs_ip 2)\",\"port\":80,\"forwarding\":\"tunnel\",\"tunnel_type\":\"ipip\"}]}"
tun=$(jget "d['id']")
wait_for 5 kernel_has "$(rs_ip 2):80 +Tunnel" || fail "tunnel real servers not in IPVS"
expect_split "rs1=2 rs2=2" "$(answers 4 "http://$VIP/" lanclient)" "tunnel ipip: 4 requests from lanclient"
api_ok DELETE "/services/$tun"

# 4. IPv6, masq.
api_ok POST /services "{\"name\":\"nat6\",\"address\":\"$VIP6\",\"port\":80,\"protocol\":\"tcp\",\"scheduler\":\"rr\",
  \"reals\":[{\"address\":\"$(rs_ip6 1)\",\"port\":80},{\"address\":\"$(rs_ip6 2)\",\"port\":80}]}"
wait_for 5 kernel_has "TCP +\\[$VIP6\\]:80" || fail "IPv6 service not in IPVS"
expect_split "rs1=2 rs2=2" "$(answers 4 "http://[$VIP6]/")" "IPv6 masq: 4 requests from the client"

in_ns director ipvsadm -Ln
fulcrum_stop
trap - ERR
log "PASS: masq, route, tunnel and IPv6 services made through the API carried traffic"
