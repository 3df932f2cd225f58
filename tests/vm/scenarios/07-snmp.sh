#!/bin/bash
# FULCRUM-MIB through a real snmpd: a service made with one SNMPv3 SET carries real traffic, IPVS's counters and kernel state read back over SNMP, drain and stats reset written over SNMP act on the kernel.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/fulcrum.sh
. "$FULCRUM_TOP/tests/vm/lib/fulcrum.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/snmp.sh
. "$FULCRUM_TOP/tests/vm/lib/snmp.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$FULCRUM_TOP/tests/vm/lib/tap.sh"

# bail WHAT [DETAIL...]: a check that the rest depends on failed: stop here.
bail() {
    not_ok "$@"
    echo "# snmpd log:"
    tail -n 20 "$SNMP_LOG" 2>/dev/null | sed 's/^/#   /' || true
    echo "# fulcrumd log:"
    tail -n 40 "$FULCRUM_LOG" 2>/dev/null | sed 's/^/#   /' || true
    in_ns director ipvsadm -Ln --stats | sed 's/^/#   /' || true
    exit 1
}

topo_up 2
snmp_traps_start || bail "snmptrapd starts in the director namespace"
snmp_start udp:127.0.0.1:161 || bail "snmpd starts in the director namespace"
ok "snmpd (master agentx, v2c '$SNMP_COMMUNITY' read, SNMPv3 '$SNMP_USER' authPriv SHA/AES read-write) answers in the director"
# reconcile's full pass refreshes IPVS's counters every second.
FULCRUM_CONF="reconcile_interval = 1" fulcrum_start --agentx "$SNMP_AGENTX"
snmp_wait_agent 30 || bail "fulcrumd's subagent registered with snmpd within 30 s" "$(sget "$R.1.1.9.0")"
ok "fulcrumd's subagent answers through snmpd"

# 1. One SET PDU: the service and its two real servers, indexed by the next ids.
vs=$(sget "$R.1.1.9.0") || true
r1=$(sget "$R.1.1.10.0") || true
[[ $vs =~ ^[0-9]+$ && $r1 =~ ^[0-9]+$ ]] || bail "fulcrumVsNextId.0 and fulcrumRsNextId.0 read" "$vs $r1"
r2=$((r1 + 1))
declare -A rsid=([rs1]=$r1 [rs2]=$r2)
vbs=("$VS.36.$vs" i 4 "$VS.2.$vs" s web "$VS.4.$vs" i 1 "$VS.5.$vs" x "$(ip_hex "$VIP")"
    "$VS.6.$vs" u 80 "$VS.7.$vs" i 6 "$VS.9.$vs" i 1)
for n in 1 2; do
    r=${rsid[rs$n]}
    vbs+=("$RS.30.$vs.$r" i 4 "$RS.2.$vs.$r" i 1 "$RS.3.$vs.$r" x "$(ip_hex "$(rs_ip "$n")")"
        "$RS.4.$vs.$r" u 80 "$RS.5.$vs.$r" i 1 "$RS.8.$vs.$r" u 1)
done
sset "${vbs[@]}" || bail "snmpset createAndGo of service $vs and real servers $vs.$r1, $vs.$r2 in one PDU" "$SNMP_OUT"
ok "snmpset (SNMPv3 authPriv) createAndGo of service $vs (web, $VIP:80 tcp rr) and real servers $vs.$r1, $vs.$r2 (masq, weight 1) in one PDU"
is "fulcrumConfigLastOrigin.0 is snmp(3)" "$(sget "$R.1.1.8.0")" 3
if ! wait_for 20 kernel_has "$(rs_ip 1):80 +Masq +1 " || ! wait_for 20 kernel_has "$(rs_ip 2):80 +Masq +1 "; then
    bail "the service and both real servers in IPVS within 20 s"
fi
ok "service $VIP:80 rr with $(rs_ip 1) and $(rs_ip 2) (Masq, weight 1) in IPVS"
api_ok GET "/services/$vs"
is "the API has the same service under the same id" "$(jget "d['name']") $(jget "d['address']")" "web $VIP"

# 2. Real traffic through the VIP.
got=$(answers 4 "http://$VIP/") || true
is "4 client requests through the VIP" "$got" "rs1=2 rs2=2"

# 3. Kernel state and IPVS's counters over SNMP (IPVS's own estimator lags ~2 s on 6.1).
reads() { [[ $(sget "$1") == "$2" ]]; } # OID VALUE
for n in 1 2; do
    r=${rsid[rs$n]}
    wait_for 10 reads "$RS.16.$vs.$r" 1 || true
    is "fulcrumRsKernelState.$vs.$r (rs$n) is inSync(1)" "$(sget "$RS.16.$vs.$r")" 1
done
wait_for 10 reads "$VS.21.$vs" 1 || true
is "fulcrumVsKernelState.$vs is inSync(1)" "$(sget "$VS.21.$vs")" 1
# Notifications: an object's first known state being up is no news (a restart with 100,000 real
# servers would otherwise send as many); a change from a known state is (section 7).
for n in 1 2; do
    wait_for 20 reads "$RS.13.$vs.${rsid[rs$n]}" 1 || true
    is "fulcrumRsOperState.$vs.${rsid[rs$n]} (rs$n) is up(1)" "$(sget "$RS.13.$vs.${rsid[rs$n]}")" 1
done
wait_for 20 reads "$VS.16.$vs" 1 || true
is "fulcrumVsOperState.$vs is up(1)" "$(sget "$VS.16.$vs")" 1
sleep 2
is "no fulcrumRsStateChange for real servers whose first known state is up" "$(traps "$R.0.1")" ""
is "no fulcrumVsAvailabilityChange for a service whose first known state is up" "$(traps "$R.0.2")" ""
conns_are() { # WANT_RS1 WANT_RS2 WANT_VS
    [[ $(sget "$RS.18.$vs.$r1") == "$1" && $(sget "$RS.18.$vs.$r2") == "$2" && $(sget "$VS.23.$vs") == "$3" ]]
}
conns_now() { echo "rs1=$(sget "$RS.18.$vs.$r1") rs2=$(sget "$RS.18.$vs.$r2") vs=$(sget "$VS.23.$vs")"; }
if wait_for 30 conns_are 2 2 4; then
    ok "fulcrumRsConns (Counter64) rs1=2 rs2=2, fulcrumVsConns 4: what each served"
else
    not_ok "fulcrumRsConns/fulcrumVsConns after 4 requests" "got:  $(conns_now)" "want: rs1=2 rs2=2 vs=4" \
        "ipvsadm: $(in_ns director ipvsadm -Ln --stats | tr '\n' '|')"
fi

# 4. Drain rs1 over SNMP: new connections go to rs2 only.
sset "$RS.11.$vs.$r1" i 2 || bail "snmpset fulcrumRsAdminState.$vs.$r1 = drained(2)" "$SNMP_OUT"
ok "snmpset fulcrumRsAdminState.$vs.$r1 (rs1) = drained(2)"
wait_for 20 kernel_has "$(rs_ip 1):80 +Masq +0 " || bail "drained rs1 has weight 0 in IPVS within 20 s"
ok "rs1 has weight 0 in IPVS"
is "fulcrumRsAdminState.$vs.$r1 reads drained(2)" "$(sget "$RS.11.$vs.$r1")" 2
got=$(answers 6 "http://$VIP/") || true
is "6 requests while rs1 is drained" "$got" "rs2=6"
if wait_for 30 conns_are 2 8 10; then
    ok "counters after the drain: rs1=2 rs2=8, service 10"
else
    not_ok "counters after the drain" "got:  $(conns_now)" "want: rs1=2 rs2=8 vs=10"
fi

# 5. fulcrumVsStatsReset = reset(2) zeroes the service's and its real servers' counters.
sset "$VS.35.$vs" i 2 || bail "snmpset fulcrumVsStatsReset.$vs = reset(2)" "$SNMP_OUT"
ok "snmpset fulcrumVsStatsReset.$vs = reset(2)"
is "fulcrumVsStatsReset.$vs reads idle(1)" "$(sget "$VS.35.$vs")" 1
if wait_for 30 conns_are 0 0 0; then
    ok "counters read 0 after the reset"
else
    not_ok "counters after the reset" "got:  $(conns_now)" "want: rs1=0 rs2=0 vs=0" \
        "ipvsadm: $(in_ns director ipvsadm -Ln --stats | tr '\n' '|')"
fi
got=$(answers 3 "http://$VIP/") || true
is "3 more requests" "$got" "rs2=3"
if wait_for 30 conns_are 0 3 3; then
    ok "counting goes on from 0: rs1=0 rs2=3, service 3"
else
    not_ok "counters after the reset and 3 requests" "got:  $(conns_now)" "want: rs1=0 rs2=3 vs=3"
fi

# 6. The walk a user would do.
walk=$(sro snmpwalk -On "$R.1.4.1.18" 2>&1) || true
is "snmpwalk fulcrumRsConns" "$(tr '\n' ' ' <<<"$walk" | sed 's/ *$//')" \
    "$RS.18.$vs.$r1 = Counter64: 0 $RS.18.$vs.$r2 = Counter64: 3"

# 7. A known state that changes is news: rs2 disabled (down) and enabled again (up).
has_trap() { traps "$1" | grep -qF -- "$2"; } # NOTIFICATION-OID TEXT
api_ok PATCH "/reals/$r2" '{"admin_state": "disabled"}'
if wait_for 10 has_trap "$R.0.1" "$RS.13.$vs.$r2 = INTEGER: 2"; then
    ok "fulcrumRsStateChange down(2) when rs2 is disabled"
else
    not_ok "fulcrumRsStateChange down(2) when rs2 is disabled" "traps: $(traps | tail -n 3)"
fi
api_ok PATCH "/reals/$r2" '{"admin_state": "enabled"}'
if wait_for 10 has_trap "$R.0.1" "$RS.13.$vs.$r2 = INTEGER: 1"; then
    ok "fulcrumRsStateChange up(1) when rs2 is enabled again (up after down is news)"
else
    not_ok "fulcrumRsStateChange up(1) when rs2 is enabled again" "traps: $(traps | tail -n 3)"
fi

in_ns director ipvsadm -Ln --stats
fulcrum_stop
snmp_stop
echo "# $n_ok passed, $n_fail failed"
[[ $n_fail == 0 ]] || exit 1
log "PASS: a service made over SNMPv3 carried traffic; counters, kernel state, drain and stats reset over SNMP"
