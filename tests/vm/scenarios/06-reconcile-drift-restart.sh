#!/bin/bash
# Drift made with ipvsadm is repaired within one period, unmanaged services stay, a restart keeps connections, kernel errors show in the API.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/fulcrum.sh
. "$FULCRUM_TOP/tests/vm/lib/fulcrum.sh"

topo_up 2
# Small client socket buffers: a rate-limited download then really paces the server.
in_ns client sysctl -qw net.ipv4.tcp_rmem='4096 16384 65536'
# Someone else's service, made before fulcrumd starts: it must never be touched.
in_ns director ipvsadm -A -u "$VIP:53" -s rr
in_ns director ipvsadm -a -u "$VIP:53" -r "$(rs_ip 1):53" -m -w 7
FULCRUM_CONF="reconcile_interval = 2" fulcrum_start
trap 'tail -n 40 "$FULCRUM_LOG"' ERR

api_ok POST /services "{\"name\":\"web\",\"address\":\"$VIP\",\"port\":80,\"protocol\":\"tcp\",\"scheduler\":\"wrr\",
  \"reals\":[{\"address\":\"$(rs_ip 1)\",\"port\":80,\"weight\":2},{\"address\":\"$(rs_ip 2)\",\"port\":80,\"weight\":5}]}"
svc=$(jget "d['id']")
wait_for 5 kernel_has "$(rs_ip 2):80 +Masq +5 " || fail "web not in IPVS"

# Drift: a real server deleted and a weight changed behind fulcrumd's back.
in_ns director ipvsadm -d -t "$VIP:80" -r "$(rs_ip 1):80"
in_ns director ipvsadm -e -t "$VIP:80" -r "$(rs_ip 2):80" -m -w 1
start=$(date +%s%3N)
repaired() { kernel_has "$(rs_ip 1):80 +Masq +2 " && kernel_has "$(rs_ip 2):80 +Masq +5 "; }
wait_for 5 repaired || { in_ns director ipvsadm -Ln; fail "drift not repaired within 5 s (period 2 s)"; }
log "drift repaired after $(($(date +%s%3N) - start)) ms"
# One pass may catch both changes, or each its own if a pass falls between the two ipvsadm commands.
logged() {
    grep 'reconcile: repaired' "$FULCRUM_LOG" | grep -q "added real server $(rs_ip 1):80 (weight 2)" &&
        grep 'reconcile: repaired' "$FULCRUM_LOG" | grep -q "real server $(rs_ip 2):80 now weight 5"
}
wait_for 3 logged || { grep 'reconcile' "$FULCRUM_LOG"; fail "the repair was not logged with what it changed"; }
grep 'reconcile: repaired' "$FULCRUM_LOG"
kernel_has "UDP +$VIP:53 rr" || fail "the unmanaged UDP service was removed"
kernel_has "$(rs_ip 1):53 +Masq +7 " || fail "the unmanaged UDP service was changed"

# Restart: a slow download through the VIP lives through a restart of fulcrumd,
# and the kernel's objects are adopted, not recreated (their counters go on).
head -c 8000000 /dev/zero >"$TOPO_DIR/www/rs1/big.bin"
head -c 8000000 /dev/zero >"$TOPO_DIR/www/rs2/big.bin"
in_ns client curl -s --limit-rate 400k -o /dev/null -w '%{http_code} %{size_download}\n' \
    "http://$VIP/big.bin" >"$SCENARIO_TMP/download.txt" 2>&1 &
dl=$!
sleep 1
conns_of() { in_ns director ipvsadm -Ln --stats --exact | awk -v s="$VIP:80" '$1 == "TCP" && $2 == s { print $3 }'; }
before=$(conns_of)
fulcrum_stop
FULCRUM_KEEP_DB=1 FULCRUM_CONF="reconcile_interval = 2" fulcrum_start
wait_for 5 grep -q 'reconcile: started' "$FULCRUM_LOG" || fail "reconcile did not start"
started=$(grep 'reconcile: started' "$FULCRUM_LOG" | tail -n 1)
log "$started"
[[ $started == *"1 services and 2 real servers adopted or added with 0 writes"* ]] ||
    fail "the restart rewrote kernel objects instead of adopting them"
sleep 2 # the 6.1 counters lag up to 2 s
after=$(conns_of)
((after >= before && after >= 1)) || fail "service counters went from $before to $after: the service was recreated"
wait "$dl" || fail "the download failed across the restart"
assert_eq "200 8000000" "$(cat "$SCENARIO_TMP/download.txt")" "download across a restart of fulcrumd"
log "download across the restart completed; connections counted $before -> $after"

# Errors: a scheduler this kernel lacks shows in the API; the other service keeps working.
api_ok POST /services "{\"name\":\"new\",\"address\":\"$VIP\",\"port\":81,\"protocol\":\"tcp\",\"scheduler\":\"twos\",
  \"reals\":[{\"address\":\"$(rs_ip 1)\",\"port\":80}]}"
bad=$(jget "d['id']")
api_ok GET "/services/$bad"
assert_eq error "$(jget "d['status']['kernel_state']")" "kernel state of a twos service"
reason=$(jget "d['status']['kernel_reason']")
[[ $reason == *"scheduler 'twos' is not available in this kernel"* ]] || fail "kernel reason was '$reason'"
log "twos service: $reason"
got=$(answers 7 "http://$VIP/")
assert_eq "rs1=2 rs2=5" "$got" "web still serves while another service fails"

fulcrum_stop
trap - ERR
log "PASS: drift repaired and logged, unmanaged service untouched, restart kept the download, kernel error shown"
