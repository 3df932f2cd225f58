#!/bin/bash
# Weights through the API split traffic as configured, a change shows in the next requests, and drain lets a running download finish.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/fulcrum.sh
. "$FULCRUM_TOP/tests/vm/lib/fulcrum.sh"

topo_up 2
# Small client socket buffers: a rate-limited download then really paces the server.
in_ns client sysctl -qw net.ipv4.tcp_rmem='4096 16384 65536'
fulcrum_start
trap 'tail -n 40 "$FULCRUM_LOG"' ERR

api_ok POST /services "{\"name\":\"web\",\"address\":\"$VIP\",\"port\":80,\"protocol\":\"tcp\",\"scheduler\":\"wrr\",
  \"reals\":[{\"address\":\"$(rs_ip 1)\",\"port\":80,\"weight\":3},{\"address\":\"$(rs_ip 2)\",\"port\":80,\"weight\":1}]}"
svc=$(jget "d['id']")
api_ok GET "/services/$svc/reals"
rs1=$(jget "[r['id'] for r in d['reals'] if r['address'] == '$(rs_ip 1)'][0]")
rs2=$(jget "[r['id'] for r in d['reals'] if r['address'] == '$(rs_ip 2)'][0]")
wait_for 5 kernel_has "$(rs_ip 2):80 +Masq +1 " || fail "web not in IPVS"

got=$(answers 400 "http://$VIP/")
assert_eq "rs1=300 rs2=100" "$got" "wrr 3:1 over 400 requests"
log "wrr 3:1: $got"

# The weight is in the kernel by the time the API answers.
api_ok PATCH "/reals/$rs2" '{"weight": 3}'
kernel_has "$(rs_ip 2):80 +Masq +3 " || { in_ns director ipvsadm -Ln; fail "weight 3 not in IPVS when the PATCH answered"; }
got=$(answers 400 "http://$VIP/")
assert_eq "rs1=200 rs2=200" "$got" "wrr 3:3 after PATCH, 400 requests"
log "after PATCH weight 3: $got"

# Also when the kernel's entry was changed or deleted behind fulcrumd's back
# just before: the weight is written over the drift, the entry added again.
in_ns director ipvsadm -e -t "$VIP:80" -r "$(rs_ip 2):80" -m -w 9
api_ok PATCH "/reals/$rs2" '{"weight": 4}'
kernel_has "$(rs_ip 2):80 +Masq +4 " || { in_ns director ipvsadm -Ln; fail "weight 4 not written over a drifted weight"; }
in_ns director ipvsadm -d -t "$VIP:80" -r "$(rs_ip 2):80"
api_ok PATCH "/reals/$rs2" '{"weight": 3}'
kernel_has "$(rs_ip 2):80 +Masq +3 " || { in_ns director ipvsadm -Ln; fail "a deleted real server was not added again by its PATCH"; }
grep -q "reconcile: service 'web': added real server $(rs_ip 2):80 (weight 3)" "$FULCRUM_LOG" ||
    grep -q "reconcile: repaired.*added real server $(rs_ip 2):80" "$FULCRUM_LOG" ||
    fail "the re-added real server was not logged"
log "PATCH over drift: weight written over ipvsadm -e, deleted entry added again"

# Drain: a slow download from rs1 starts, rs1 is drained, new requests all go to
# rs2, and the download finishes whole.
for n in 1 2; do
    head -c 6000000 /dev/zero >"$TOPO_DIR/www/rs$n/big.bin"
done
api_ok PATCH "/reals/$rs2" '{"admin_state": "disabled"}'
wait_for 5 bash -c "! ip netns exec director ipvsadm -Ln | grep -q '$(rs_ip 2):80'" || fail "disabled rs2 still in IPVS"
in_ns client curl -s --limit-rate 300k -o "$SCENARIO_TMP/big.bin" -w '%{http_code} %{size_download}\n' \
    "http://$VIP/big.bin" >"$SCENARIO_TMP/download.txt" 2>&1 &
dl=$!
log "download started"
sleep 2
api_ok PATCH "/reals/$rs2" '{"admin_state": "enabled"}'
api_ok PATCH "/reals/$rs1" '{"admin_state": "drained"}'
api_ok GET "/reals/$rs1"
assert_eq drained "$(jget "d['admin_state']")" "rs1 admin state in the API"
wait_for 5 kernel_has "$(rs_ip 1):80 +Masq +0 " || fail "drained rs1 does not have weight 0 in IPVS"
log "rs1 drained"
kill -0 "$dl" 2>/dev/null || fail "the download ended before the drain: $(cat "$SCENARIO_TMP/download.txt")"
got=$(answers 20 "http://$VIP/")
assert_eq "rs2=20" "$got" "new requests while rs1 is drained"
log "while rs1 is drained: $got"
wait "$dl" || fail "the download through drained rs1 failed: $(cat "$SCENARIO_TMP/download.txt")"
assert_eq "200 6000000" "$(cat "$SCENARIO_TMP/download.txt")" "download that started before the drain"
log "download through drained rs1 completed: $(cat "$SCENARIO_TMP/download.txt")"

fulcrum_stop
trap - ERR
log "PASS: wrr 300:100, weight change 200:200, drain kept the running download and took no new ones"
