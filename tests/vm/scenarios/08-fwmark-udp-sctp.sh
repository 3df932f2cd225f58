#!/bin/bash
# A firewall-mark service (nftables marks two ports), a UDP and an SCTP service, made through the API, carry real traffic from the client to both real servers.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/fulcrum.sh
. "$FULCRUM_TOP/tests/vm/lib/fulcrum.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$FULCRUM_TOP/tests/vm/lib/tap.sh"

# bail WHAT [DETAIL...]: a check that the rest depends on failed: stop here.
bail() {
    not_ok "$@"
    echo "# fulcrumd log:"
    tail -n 40 "$FULCRUM_LOG" 2>/dev/null | sed 's/^/#   /' || true
    in_ns director ipvsadm -Ln --stats 2>&1 | sed 's/^/#   /' || true
    exit 1
}
# ipvs SVC...: ipvsadm in the director, e.g. `ipvs -Ln -f 7`
ipvs() { in_ns director ipvsadm "$@"; }
# SVC below is one service in ipvsadm's words ("-f 7", "-u A:P", "--sctp-service A:P"), split on purpose.
# shellcheck disable=SC2086
# svc_has SVC REGEX: a line of `ipvsadm -Ln SVC` matches
svc_has() { ipvs -Ln $1 | grep -Eq -- "$2"; }
# svc_conns SVC: IPVS's connection counter of one service
# shellcheck disable=SC2086
svc_conns() { ipvs -Ln --stats $1 | awk '$1 ~ /^(TCP|UDP|SCTP|FWM)$/ { print $3; exit }'; }
conns_are() { [[ $(svc_conns "$1") == "$2" ]]; } # SVC N
in_sync() { # ID NAME: the API reports the service in sync with the kernel
    api_ok GET "/services/$1"
    is "service $1: kernel state in the API" "$(jget "d['name'] + ' ' + d['status']['kernel_state']")" "$2 in_sync"
}
# reals_json PORT: two masq real servers, rs1 and rs2, on PORT
reals_json() {
    printf '[{"address":"%s","port":%s,"forwarding":"masq"},{"address":"%s","port":%s,"forwarding":"masq"}]' \
        "$(rs_ip 1)" "$1" "$(rs_ip 2)" "$1"
}

# What the guest kernel and the host root must provide; say exactly what is missing.
init_log=$RESULTS_DIR/init.log
for m in nf_tables sctp; do
    [[ -d /sys/module/$m ]] || bail "kernel module $m is loaded in the guest" \
        "$(grep -h "$m" "$init_log" 2>/dev/null || echo "not in the initramfs (tests/vm/mkinitramfs.sh)")"
done
command -v nft >/dev/null || bail "nft is on the host root (apt-get install nftables)"
ok "guest has nf_tables and sctp loaded, and nft ($(nft --version))"

topo_up 2
rs_name_start 1 udp:53 sctp:9999
rs_name_start 2 udp:53 sctp:9999
ok "rs1 and rs2 answer their name on udp/53 and sctp/9999 (and http on tcp/80)"
# reconcile's full pass refreshes IPVS's counters every second.
FULCRUM_CONF="reconcile_interval = 1" fulcrum_start

# ---- 1. Firewall mark: one service behind two marked ports ---------------------
if ! in_ns director nft -f - <<EOF; then
table ip mangle {
    chain prerouting {
        type filter hook prerouting priority mangle; policy accept;
        ip daddr $VIP tcp dport { 80, 8080 } counter meta mark set 7
    }
}
EOF
    bail "nft marks $VIP tcp/80 and tcp/8080 with 7 in the director"
fi
ok "nftables in the director: ip daddr $VIP tcp dport {80, 8080} meta mark set 7"

api_ok POST /services "{\"name\":\"fwm\",\"fwmark\":7,\"family\":\"ipv4\",\"scheduler\":\"rr\",\"reals\":$(reals_json 80)}"
fwm=$(jget "d['id']")
is "fwm in the API: address, port, protocol, fwmark" "$(jget "[d['address'], d['port'], d['protocol'], d['fwmark']]")" \
    '[null, 0, null, 7]'
if ! wait_for 10 svc_has "-f 7" "^FWM +7 +rr" || ! wait_for 10 svc_has "-f 7" "$(rs_ip 1):80 +Masq +1 " ||
    ! wait_for 10 svc_has "-f 7" "$(rs_ip 2):80 +Masq +1 "; then
    bail "FWM 7 rr with $(rs_ip 1):80 and $(rs_ip 2):80 (Masq) in IPVS within 10 s"
fi
ok "ipvsadm -Ln: FWM 7 rr -> $(rs_ip 1):80, $(rs_ip 2):80 Masq"
in_ns director ipvsadm -Ln -f 7 | sed 's/^/#   /'
in_sync "$fwm" fwm

is "fwmark: 4 HTTP requests to $VIP:80" "$(answers 4 "http://$VIP:80/")" "rs1=2 rs2=2"
# Nothing listens on 8080 in the real servers: an answer means IPVS rewrote the
# destination port to the real server's port (80), as masq does with a non-zero port.
is "fwmark: 4 HTTP requests to $VIP:8080 (same service)" "$(answers 4 "http://$VIP:8080/")" "rs1=2 rs2=2"
got=$(ipvs -Lnc | awk -v v="$VIP:8080" '$5 == v { print $6 }' | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep=", " }')
is "connections to $VIP:8080 in IPVS's table go to port 80 (ipvsadm -Lnc)" "$got" "$(rs_ip 1):80 x2, $(rs_ip 2):80 x2"
wait_for 8 conns_are "-f 7" 8 || true
is "IPVS counted the 8 connections on FWM 7" "$(svc_conns "-f 7")" 8
if client_get "http://$VIP:81/" >/dev/null 2>&1; then
    not_ok "unmarked $VIP:81 is not balanced" "a request to $VIP:81 was answered"
else
    ok "unmarked $VIP:81 is not balanced (the request fails)"
fi
marked=$(in_ns director nft list chain ip mangle prerouting | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
if [[ ${marked:-0} -ge 8 ]]; then
    ok "nft counted $marked marked packets"
else
    not_ok "nft counted marked packets" "got: ${marked:-none}"
fi

# ---- 2. UDP ------------------------------------------------------------------------
api_ok POST /services "{\"name\":\"dns\",\"address\":\"$VIP\",\"port\":53,\"protocol\":\"udp\",\"scheduler\":\"rr\",\"reals\":$(reals_json 53)}"
dns=$(jget "d['id']")
if ! wait_for 10 svc_has "-u $VIP:53" "^UDP +$VIP:53 rr" || ! wait_for 10 svc_has "-u $VIP:53" "$(rs_ip 1):53 +Masq" ||
    ! wait_for 10 svc_has "-u $VIP:53" "$(rs_ip 2):53 +Masq"; then
    bail "UDP $VIP:53 rr with both real servers in IPVS within 10 s"
fi
ok "ipvsadm -Ln: UDP $VIP:53 rr -> $(rs_ip 1):53, $(rs_ip 2):53 Masq"
in_sync "$dns" dns
got=$(name_answers 10 udp "$VIP" 53 || true)
is "UDP: 10 datagrams to $VIP:53, each from its own source port" "$got" "rs1=5 rs2=5"
wait_for 8 conns_are "-u $VIP:53" 10 || true
is "IPVS counted 10 UDP connections" "$(svc_conns "-u $VIP:53")" 10

# ---- 3. SCTP -----------------------------------------------------------------------
api_ok POST /services "{\"name\":\"sig\",\"address\":\"$VIP\",\"port\":9999,\"protocol\":\"sctp\",\"scheduler\":\"rr\",\"reals\":$(reals_json 9999)}"
sig=$(jget "d['id']")
if ! wait_for 10 svc_has "--sctp-service $VIP:9999" "^SCTP +$VIP:9999 rr" ||
    ! wait_for 10 svc_has "--sctp-service $VIP:9999" "$(rs_ip 1):9999 +Masq" ||
    ! wait_for 10 svc_has "--sctp-service $VIP:9999" "$(rs_ip 2):9999 +Masq"; then
    bail "SCTP $VIP:9999 rr with both real servers in IPVS within 10 s"
fi
ok "ipvsadm -Ln: SCTP $VIP:9999 rr -> $(rs_ip 1):9999, $(rs_ip 2):9999 Masq"
in_sync "$sig" sig
got=$(name_answers 6 sctp "$VIP" 9999 || true)
is "SCTP: 6 associations to $VIP:9999" "$got" "rs1=3 rs2=3"
wait_for 8 conns_are "--sctp-service $VIP:9999" 6 || true
is "IPVS counted 6 SCTP connections" "$(svc_conns "--sctp-service $VIP:9999")" 6

in_ns director ipvsadm -Ln --stats | sed 's/^/#   /'
fulcrum_stop
echo "# $n_ok ok, $n_fail not ok"
[[ $n_fail == 0 ]]
