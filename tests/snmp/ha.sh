#!/usr/bin/env bash
# FULCRUM-MIB's failover objects through a real snmpd: a pair of fulcrumds on loopback (the first with the
# subagent), read with snmpget and snmpwalk, commanded with snmpset, watched with snmptrapd. This host's
# kernel has no IPVS: both nodes are in fault, so switchovers are refused (as on any node that is not
# active) and maintenance is accepted. The last line is "snmp-ha: N passed, N failed, N skipped".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/snmp/lib.sh
. "$here/lib.sh"

ROLE=$R.1.1.3.0       # fulcrumRole.0
PEER_STATE=$R.1.1.4.0 # fulcrumPeerState.0
HA=$R.1.7             # fulcrumCluster: HA.N.0
REJECT=$R.1.8.1       # fulcrumHaRejectEntry: REJECT.COL.REASON
NOTIFY_CFG=$R.1.2.3.0 # fulcrumNotifyConfigChangeEnable.0
REV=$R.1.1.5.0        # fulcrumConfigRevision.0
VS_NEXT=$R.1.1.9.0    # fulcrumVsNextId.0
NOTIFY_PEER=$R.1.2.5.0 # fulcrumNotifyPeerStateEnable.0
N_ROLE=$R.0.4         # fulcrumRoleChange
N_PEER=$R.0.5         # fulcrumPeerStateChange
N_REPL=$R.0.6         # fulcrumReplStateChange
NOTIFY_REPL=$R.1.2.6.0 # fulcrumNotifyReplStateEnable.0
PEER_NODE=snmp-test-peer
SECRET='a-test-secret-of-enough-length'

# set_refused WHAT ERROR OID VALUE...: the SET is refused with ERROR on OID, fast (the engine answers).
set_refused() {
	local what=$1 err=$2 oid=$3 out t0 t1
	shift 3
	t0=$(date +%s%N)
	out=$(rset "$oid" "$@")
	t1=$(date +%s%N)
	if grep -qE "^Reason: $err( |\$)" <<<"$out" && [[ $(sed -n 's/^Failed object: //p' <<<"$out") == "$oid" ]]; then
		pass "$what: $err"
	else
		fail "$what: $err" "snmpset $oid $*" "$out"
	fi
	cmp_num "... answered within 1 s (the engine, not a timeout)" $(((t1 - t0) / 1000000)) -lt 1000
}

# repl_num NAME: FulcrumReplicationState's number of the API's replication.state.
repl_num() {
	local i names=(off waiting catching_up snapshot in_sync alone diverged refused)
	for i in "${!names[@]}"; do
		[[ ${names[$i]} == "$1" ]] && { echo $((i + 1)); return; }
	done
	echo "(not a state: $1)"
}

# peer_start [AGENTX] / peer_stop: the second fulcrumd of the pair, no subagent unless AGENTX is given.
PEER_PID=
peer_start() {
	"$top/fulcrumd" --foreground -c "$T/peer.conf" --log-level info --agentx "${1:-}" >>"$T/peer.log" 2>&1 &
	PEER_PID=$!
	track "$PEER_PID"
	wait_for 10 curl -s -f -m 2 -o /dev/null "http://127.0.0.1:$PEER_HTTP/api/v1/openapi.json"
}
peer_stop() {
	stop_pid "$PEER_PID" 10
	local rc=$?
	PEER_PID=
	return $rc
}

# ==== start: snmpd, snmptrapd, the pair ====================================================

snmp_setup || bail "snmpd and snmptrapd start" "$(tail -n 20 "$T"/*.log 2>/dev/null)"
fulcrumd_setup || bail "fulcrumctl makes an admin token" "$(cat "$T/fulcrumctl.log")"
HA_PORT=$(free_port udp)
PEER_PORT=$(free_port udp)
PEER_HTTP=$(free_port tcp)
REPL_PORT=$(free_port tcp)
PEER_REPL=$(free_port tcp)
(umask 077 && printf 'auth 1\n1 hmac-sha256 %s\n' "$SECRET" >"$T/authkeys")
# the subagent's node starts slowly (ha_initdead 8 s) so that its first role change is sent as a trap, and
# so that it is still starting (it takes no configuration writes) when the SETs below arrive
printf 'ha_peer = 127.0.0.1:%s\nha_bind = 127.0.0.1\nha_port = %s\nha_keyfile = %s\nha_realtime = no\nha_initdead = 8000\nha_cluster = snmp-pair\nrepl_port = %s\nrepl_peer_port = %s\n' \
	"$PEER_PORT" "$HA_PORT" "$T/authkeys" "$REPL_PORT" "$PEER_REPL" >>"$T/fulcrumd.conf"
printf 'db = %s\nhttp = 127.0.0.1:%s\nnode_name = %s\nha_standalone_vips = no\nha_peer = 127.0.0.1:%s\nha_bind = 127.0.0.1\nha_port = %s\nha_keyfile = %s\nha_realtime = no\nha_cluster = snmp-pair\nrepl_port = %s\nrepl_peer_port = %s\n' \
	"$T/peer.db" "$PEER_HTTP" "$PEER_NODE" "$HA_PORT" "$PEER_PORT" "$T/authkeys" "$PEER_REPL" "$REPL_PORT" >"$T/peer.conf"
peer_start || bail "the peer fulcrumd starts" "$(tail -n 20 "$T/peer.log")"
n0=$(trap_count)
fulcrumd_start || bail "fulcrumd starts with --agentx $T/agentx.sock" "$(tail -n 20 "$T/fulcrumd.log")"
if snmp_wait_agent 15; then
	pass "the subagent registers with snmpd"
else
	bail "the subagent registers with snmpd" "$(tail -n 20 "$T/fulcrumd.log")"
fi

# ==== writes while starting: refused whole, before anything is written (docs/ha.md) ======

is "fulcrumRole.0 is starting(4): ha_initdead has not ended" "$(sget "$ROLE")" 4
rev0=$(sget "$REV")
out=$(rset "$NOTIFY_CFG" i 2)
like "a SET of fulcrumNotifyConfigChangeEnable while starting: resourceUnavailable" "$out" \
	'Reason: resourceUnavailable( |$)'
is "... on that object" "$(sed -n 's/^Failed object: //p' <<<"$out")" "$NOTIFY_CFG"
is "... nothing changed: it still reads true(1)" "$(sget "$NOTIFY_CFG")" 1
like "... fulcrumd logs the reason" "$(tail -n 20 "$T/fulcrumd.log")" \
	'snmp: SET refused: this director is starting: writes go to the active, 127\.0\.0\.1'
nid=$(sget "$VS_NEXT")
out=$(rset "$VS.36.$nid" i 4 "$VS.2.$nid" s snmp-ro "$VS.4.$nid" i 1 "$VS.5.$nid" x "$(ip_hex 192.0.2.90)" \
	"$VS.6.$nid" u 80 "$VS.7.$nid" i 6)
like "a createAndGo of service $nid while starting: resourceUnavailable" "$out" 'Reason: resourceUnavailable( |$)'
like "... no service $nid" "$(ro snmpget -On -Oqv "$VS.2.$nid" 2>&1)" '^No Such (Instance|Object)'
is "... fulcrumConfigRevision.0 did not move" "$(sget "$REV")" "$rev0"

# ==== the role change at the end of ha_initdead: a notification and the scalars ==========

if hit=$(wait_trap 15 "$n0" "$N_ROLE"); then
	pass "fulcrumRoleChange when ha_initdead ends"
	like "... fulcrumRole.0 = fault(5)" "$hit" "$(q "$ROLE") = INTEGER: 5( |\$)"
	like "... fulcrumPeerState.0 = up(2)" "$hit" "$(q "$PEER_STATE") = INTEGER: 2( |\$)"
	like "... fulcrumHaPreviousRole.0 = starting(4)" "$hit" "$(q "$HA.6.0") = INTEGER: 4( |\$)"
	like "... fulcrumHaTerm.0 = 0" "$hit" "$(q "$HA.1.0") = Gauge32: 0( |\$)"
	like "... fulcrumHaLastChangeReason.0 says why" "$hit" "$(q "$HA.5.0") = STRING: \"initdead over, this node cannot serve"
	like "... fulcrumHaPeerName.0" "$hit" "$(q "$HA.11.0") = STRING: \"$PEER_NODE\""
else
	fail "fulcrumRoleChange when ha_initdead ends" "$(traps_since "$n0")" "$(tail -n 20 "$T/fulcrumd.log")"
fi

is "fulcrumRole.0 is fault(5): this host has no IPVS" "$(sget "$ROLE")" 5
is "fulcrumPeerState.0 is up(2)" "$(sget "$PEER_STATE")" 2
is "fulcrumHaTerm.0 is 0: no node was ever active" "$(sget "$HA.1.0")" 0
is "fulcrumHaClusterName.0 is ha_cluster" "$(sget "$HA.2.0")" snmp-pair
like "fulcrumHaHealth.0 says what is wrong" "$(sget "$HA.8.0")" '^IPVS unusable'
is "fulcrumHaMaintenance.0 is false(2)" "$(sget "$HA.9.0")" 2
is "fulcrumHaSwitchover.0 reads idle(1)" "$(sget "$HA.10.0")" 1
is "fulcrumHaPeerName.0" "$(sget "$HA.11.0")" "$PEER_NODE"
is "fulcrumHaPeerAddressType.0 is ipv4(1)" "$(sget "$HA.12.0")" 1
is "fulcrumHaPeerAddress.0 is 127.0.0.1" "$(sget_hex "$HA.13.0")" 7F000001
is "fulcrumHaPeerPort.0 is the peer's ha_port" "$(sget "$HA.14.0")" "$PEER_PORT"
is "fulcrumHaPeerRole.0 is fault(5)" "$(sget "$HA.15.0")" 5
cmp_num "fulcrumHaPeerSilence.0 is under ha_deadtime" "$(sget "$HA.19.0")" -lt 300
like "fulcrumHaPeerLastHeard.0 is a DateAndTime" "$(sget_hex "$HA.18.0")" '^07[0-9A-F]{20}$'
sent0=$(sget "$HA.20.0") recv0=$(sget "$HA.21.0")
sleep 0.5
cmp_num "fulcrumHaHeartbeatsSent.0 grows (ha_interval 50 ms)" "$(sget "$HA.20.0")" -ge $((sent0 + 5))
cmp_num "fulcrumHaHeartbeatsReceived.0 grows" "$(sget "$HA.21.0")" -ge $((recv0 + 5))
is "fulcrumHaSendErrors.0 is 0" "$(sget "$HA.22.0")" 0
cmp_num "fulcrumHaRoleChanges.0 counts the change" "$(sget "$HA.23.0")" -ge 1
api GET /cluster
is "the API says the same: peer, term, role" "$(jv 'd["peer"]["name"]') $(jv 'd["term"]') $(jv 'd["role"]')" \
	"$PEER_NODE 0 fault"

# ==== replication: this node follows, and no node is active ==============================

_repl_settled() { [[ $(sget "$HA.34.0") == "the peer is fault, not active" ]]; }
check "fulcrumReplReason.0: the peer is fault, not active" wait_for 5 _repl_settled
api GET /cluster
is "fulcrumReplState.0 is the API's replication.state, waiting(2)" \
	"$(sget "$HA.27.0") $(repl_num "$(jv 'd["replication"]["state"]')")" "2 2"
is "fulcrumReplReason.0 is the API's replication.error" "$(sget "$HA.34.0")" "$(jv 'd["replication"]["error"]')"
is "fulcrumReplMode.0 is sync(1), as the API's mode" "$(sget "$HA.28.0") $(jv 'd["replication"]["mode"]')" "1 sync"
is "fulcrumReplPeerName.0 is the API's replication.peer (empty: no active ever welcomed it)" \
	"[$(sget "$HA.29.0")]" "[$(jv 'd["replication"]["peer"]')]"
is "fulcrumReplPeerRevision.0 and fulcrumReplLagRevisions.0 are 0 on a follower never welcomed" \
	"$(sget "$HA.30.0") $(sget "$HA.31.0")" "0 0"
is "fulcrumReplDigest.0 is unknown(1): never compared" "$(sget "$HA.35.0")" 1
like "fulcrumReplLastChange.0 is a DateAndTime" "$(sget_hex "$HA.33.0")" '^07[0-9A-F]{20}$'
is "fulcrumReplConnects.0, ...Refusals.0, ...Divergences.0 are the API's counters" \
	"$(sget "$HA.41.0") $(sget "$HA.42.0") $(sget "$HA.43.0")" \
	"$(jv 'd["replication"]["counters"]["connects"]') $(jv 'd["replication"]["counters"]["refusals"]') $(jv 'd["replication"]["counters"]["divergences"]')"
if ro snmpwalk -On "$HA" >"$T/cluster.txt" 2>&1 && check_order=$(oid_order "$HA" <"$T/cluster.txt"); then
	is "fulcrumCluster walks in order, the replication objects after the failover ones" "$check_order" "43 OIDs in order"
	like "... its last is fulcrumReplDivergences.0" "$(tail -1 "$T/cluster.txt")" "^$(q "$HA.43.0") = Counter64: "
else
	fail "fulcrumCluster walks in order" "$(head -60 "$T/cluster.txt")"
fi
out=$(rset "$HA.27.0" i 5)
like "fulcrumReplState: notWritable" "$out" 'Reason: notWritable '

# ==== the reject table ===================================================================

if ro snmpwalk -On "$R.1.8" >"$T/reject.txt" 2>&1 && check_order=$(oid_order "$R.1.8" <"$T/reject.txt"); then
	is "fulcrumHaRejectTable: 12 reasons, name and count, in order ($check_order)" "$check_order" "24 OIDs in order"
else
	fail "fulcrumHaRejectTable walks in order" "$(head -30 "$T/reject.txt")"
fi
is "fulcrumHaRejectName.5 is forged" "$(sget "$REJECT.2.5")" forged
is "fulcrumHaRejectName.2 is bad_magic" "$(sget "$REJECT.2.2")" bad_magic
forged0=$(sget "$REJECT.3.5")
"$py" -c 'import hashlib, hmac, socket, struct, sys, time
body = b"FUHB" + bytes([1, 1, 1, 3, 0, 100]) + struct.pack(">H", 0)
body += struct.pack(">QQQqQ", int(time.time() * 1000), 1, 0, 0, 0) + bytes([9]) + b"snmp-pair" + bytes([8]) + b"intruder"
mac = hmac.new(b"not-the-secret-not-the-secret", body, hashlib.sha256).digest()
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(body + mac, ("127.0.0.1", int(sys.argv[1])))' "$HA_PORT"
_forged_moved() { [[ $(sget "$REJECT.3.5") == $((forged0 + 1)) ]]; }
check "a heartbeat signed with the wrong key: fulcrumHaRejectCount.5 (forged) + 1" wait_for 3 _forged_moved

# ==== commands ===========================================================================

set_refused "fulcrumHaSwitchover = switchover(2) on a node in fault" inconsistentValue "$HA.10.0" i 2
like "... fulcrumd logs the engine's reason" "$(tail -n 20 "$T/fulcrumd.log")" \
	'snmp: SET fulcrumHaSwitchover = switchover\(2\) refused: switchover refused: this node is fault, ask the active node'
set_refused "fulcrumHaSwitchover = forceSwitchover(3) on a node in fault" inconsistentValue "$HA.10.0" i 3
out=$(rset "$HA.10.0" i 1)
like "fulcrumHaSwitchover = idle(1): wrongValue" "$out" 'Reason: wrongValue '
out=$(rset "$HA.1.0" u 5)
like "fulcrumHaTerm: notWritable" "$out" 'Reason: notWritable '
out=$(rset "$HA.9.0" i 3)
like "fulcrumHaMaintenance = 3: wrongValue" "$out" 'Reason: wrongValue '
out=$(rset "$HA.9.0" i 1 "$HA.10.0" i 2)
like "maintenance and switchover in one PDU: inconsistentValue" "$out" 'Reason: inconsistentValue '
is "... nothing done: fulcrumHaMaintenance.0 is still false(2)" "$(sget "$HA.9.0")" 2

set_ok "fulcrumHaMaintenance = true(1)" "$HA.9.0" i 1
is "... reads true(1)" "$(sget "$HA.9.0")" 1
api GET /cluster
is "... the API says maintenance" "$(jv 'd["maintenance"]') $(jv '"maintenance" in d["flags"]')" "true true"
like "... fulcrumd logs it" "$(tail -n 20 "$T/fulcrumd.log")" 'snmp: SET fulcrumHaMaintenance = true\(1\): maintenance on'
_peer_sees_maintenance() {
	curl -s -H "Authorization: Bearer $PEER_TOKEN" "http://127.0.0.1:$PEER_HTTP/api/v1/cluster" |
		"$py" -c 'import json, sys; sys.exit(0 if "maintenance" in json.load(sys.stdin)["peer"]["flags"] else 1)'
}
PEER_TOKEN=$("$top/fulcrumctl" --db "$T/peer.db" token create viewer --role viewer 2>>"$T/fulcrumctl.log")
check "... the peer hears it in the heartbeats" wait_for 3 _peer_sees_maintenance
set_ok "fulcrumHaMaintenance = false(2) with fulcrumNotifyConfigChangeEnable in the same PDU" \
	"$HA.9.0" i 2 "$NOTIFY_CFG" i 1
is "... reads false(2)" "$(sget "$HA.9.0")" 2

# ==== fulcrumPeerStateChange =============================================================

set_ok "fulcrumNotifyPeerStateEnable = false(2)" "$NOTIFY_PEER" i 2
n=$(trap_count)
peer_stop
is "the peer stops on SIGTERM with status 0" "$?" 0
_peer_down() { [[ $(sget "$PEER_STATE") == 3 ]]; }
check "fulcrumPeerState.0 goes down(3) at once (the peer said it is shutting down)" wait_for 2 _peer_down
sleep 1
is "switch off: no fulcrumPeerStateChange" "$(traps_since "$n" "$N_PEER")" ""
set_ok "fulcrumNotifyPeerStateEnable = true(1)" "$NOTIFY_PEER" i 1
n=$(trap_count)
peer_start || fail "the peer starts again" "$(tail -n 20 "$T/peer.log")"
if hit=$(wait_trap 5 "$n" "$N_PEER"); then
	pass "fulcrumPeerStateChange when the peer is heard again"
	like "... fulcrumPeerState.0 = up(2)" "$hit" "$(q "$PEER_STATE") = INTEGER: 2( |\$)"
	like "... fulcrumHaPeerName.0" "$hit" "$(q "$HA.11.0") = STRING: \"$PEER_NODE\""
	like "... fulcrumRole.0" "$hit" "$(q "$ROLE") = INTEGER: 5( |\$)"
else
	fail "fulcrumPeerStateChange when the peer is heard again" "$(traps_since "$n")"
fi
n=$(trap_count)
peer_stop
if hit=$(wait_trap 5 "$n" "$N_PEER"); then
	pass "fulcrumPeerStateChange when the peer is stopped (SIGTERM)"
	like "... fulcrumPeerState.0 = down(3)" "$hit" "$(q "$PEER_STATE") = INTEGER: 3( |\$)"
	like "... fulcrumHaPeerName.0" "$hit" "$(q "$HA.11.0") = STRING: \"$PEER_NODE\""
	like "... fulcrumHaPeerSilence.0, under ha_deadtime" "$hit" "$(q "$HA.19.0") = Gauge32: [0-9]{1,3}( |\$)"
else
	fail "fulcrumPeerStateChange when the peer is stopped (SIGTERM)" "$(traps_since "$n")"
fi
is "no fulcrumRoleChange meanwhile: the role stayed fault" "$(traps_since "$n" "$N_ROLE")" ""

# ==== fulcrumReplStateChange ==============================================================
# A stand-in for the peer: heartbeats (the real key) that say it is active, and a replication port that
# closes every connection without TLS. This node follows it, its TLS handshake fails: refused(8). The
# return to inSync needs a real active, which this host cannot have (no IPVS): the rig's scenarios.

is "fulcrumNotifyReplStateEnable.0 defaults to true(1)" "$(sget "$NOTIFY_REPL")" 1
set_ok "fulcrumNotifyReplStateEnable = false(2)" "$NOTIFY_REPL" i 2
is "... reads false(2)" "$(sget "$NOTIFY_REPL")" 2
set_ok "fulcrumNotifyReplStateEnable = true(1)" "$NOTIFY_REPL" i 1
is "... reads true(1)" "$(sget "$NOTIFY_REPL")" 1
n=$(trap_count)
"$py" -c 'import hashlib, hmac, socket, struct, sys, threading, time
ha_port, my_port, repl_port, secret = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", repl_port))
srv.listen(4)
def refuse():
    while True:
        c, _ = srv.accept()
        c.close()
threading.Thread(target=refuse, daemon=True).start()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", my_port))
epoch, seq = int(time.time() * 1000), 0
flags = 0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x100 | 0x200
while True:
    seq += 1
    body = b"FUHB" + bytes([1, 1, 1, 2, 0, 100]) + struct.pack(">H", flags)
    body += struct.pack(">QQQqQ", epoch, seq, 1, 0, 0) + bytes([9]) + b"snmp-pair" + bytes([14]) + b"snmp-test-peer"
    udp.sendto(body + hmac.new(secret, body, hashlib.sha256).digest(), ("127.0.0.1", ha_port))
    time.sleep(0.04)' "$HA_PORT" "$PEER_PORT" "$PEER_REPL" "$SECRET" >>"$T/fake-peer.log" 2>&1 &
FAKE_PID=$!
track "$FAKE_PID"
if hit=$(wait_trap 10 "$n" "$N_REPL"); then
	pass "fulcrumReplStateChange when the peer (active, heartbeats say) refuses the TLS handshake"
	like "... fulcrumReplState.0 = refused(8)" "$hit" "$(q "$HA.27.0") = INTEGER: 8( |\$)"
	like "... fulcrumReplReason.0 says why" "$hit" "$(q "$HA.34.0") = STRING: \"TLS handshake failed: "
	like "... fulcrumReplPeerName.0: empty, no HELLO was answered" "$hit" "$(q "$HA.29.0") = \"\"( |\$)"
	like "... fulcrumReplLagRevisions.0 = 0 (a follower)" "$hit" "$(q "$HA.31.0") = Gauge32: 0( |\$)"
	like "... fulcrumRole.0 = fault(5)" "$hit" "$(q "$ROLE") = INTEGER: 5( |\$)"
else
	fail "fulcrumReplStateChange when the peer refuses the TLS handshake" "$(traps_since "$n")" \
		"$(tail -n 20 "$T/fulcrumd.log")"
fi
is "fulcrumReplState.0 reads refused(8)" "$(sget "$HA.27.0")" 8
api GET /cluster
is "... the API says refused too" "$(jv 'd["replication"]["state"]')" refused
like "fulcrumd logs the change at notice" "$(grep 'replication: .* -> refused' "$T/fulcrumd.log" | tail -1)" \
	'\[notice\] repl: replication: waiting -> refused: TLS handshake failed: '
sleep 11 # this node tries again meanwhile (10 s after a refusal), refused again
is "one notification for the refusal, not one per attempt" "$(traps_since "$n" "$N_REPL" | wc -l)" 1
stop_pid "$FAKE_PID" 5
_repl_waits() { [[ $(sget "$HA.27.0") == 2 ]]; }
check "the stand-in gone: fulcrumReplState.0 goes back to waiting(2)" wait_for 12 _repl_waits
like "... fulcrumReplReason.0: the peer is silent" "$(sget "$HA.34.0")" '^the peer is silent$'
is "... no notification for that step" "$(traps_since "$n" "$N_REPL" | wc -l)" 1

# ==== the end ============================================================================

check "fulcrumd is still running" test -z "$(_proc_gone "$FULCRUMD_PID" && echo gone)"
fulcrumd_stop
is "fulcrumd stops on SIGTERM with status 0" "$?" 0

# ==== the other node of the pair, through the same snmpd =================================

peer_start "$T/agentx.sock" || fail "the peer starts with a subagent" "$(tail -n 20 "$T/peer.log")"
_peer_agent() { [[ $(sget "$R.1.1.1.0") == "$PEER_NODE" ]]; }
if wait_for 15 _peer_agent; then
	pass "the peer's subagent registers with snmpd"
	_peer_repl_settled() { [[ $(sget "$HA.34.0") == "the peer is silent" ]]; }
	check "its fulcrumReplReason.0: the peer is silent (this node's partner stopped)" wait_for 10 _peer_repl_settled
	curl -s -H "Authorization: Bearer $PEER_TOKEN" "http://127.0.0.1:$PEER_HTTP/api/v1/cluster" >"$T/peer-cluster.json"
	API_OUT=$T/peer-cluster.json
	is "its fulcrumReplState.0 is its API's replication.state, waiting(2)" \
		"$(sget "$HA.27.0") $(repl_num "$(jv 'd["replication"]["state"]')")" "2 2"
	is "its fulcrumReplMode.0 is sync(1)" "$(sget "$HA.28.0")" 1
	is "its fulcrumReplPeerName.0 is its API's replication.peer" "[$(sget "$HA.29.0")]" "[$(jv 'd["replication"]["peer"]')]"
	is "its fulcrumNotifyReplStateEnable.0 is true(1)" "$(sget "$NOTIFY_REPL")" 1
	unset API_OUT
else
	fail "the peer's subagent registers with snmpd" "$(tail -n 20 "$T/peer.log")"
fi
peer_stop
is "the peer stops on SIGTERM with status 0" "$?" 0

snmp_summary snmp-ha
