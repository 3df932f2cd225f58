#!/bin/bash
# Two directors with real traffic: the standby's IPVS table is the active's, a long download survives the active's death (connection sync, masq), switchover and maintenance move the role with few lost probes.
# vm-timeout: 420 (the default 300 s is too close: runs took up to ~60% of this under TCG)
#
# What it checks and measures ("measure:" lines; times from the daemons' logs and the clients'
# own records, not the script's clock, which TCG makes slow):
#   - both directors' whole IPVS tables (ipvsadm -Sn: six services of every kind, one disabled,
#     a drained real server) are the same, as each fulcrumd programs its own;
#   - a 6 MB download through the VIP, held to 400 KB/s, while dir1 is active: IPVS's sync
#     daemon (master on dir1, backup on dir2) puts the connection in dir2's table; dir1 dies (its
#     links down, fulcrumd killed) a third of the way; dir2 takes over and the download completes
#     with the right size and SHA-256. Masq: the real servers answer through the gateway VIP,
#     which moves with the role, and IPVS keeps its own NAT state in the synced connection
#     (conntrack is not involved: net.ipv4.vs.conntrack is 0). Measured: the download's longest
#     stall, the takeover's steps;
#   - switchover by the API (POST /cluster/switchover) on the active: the peer takes over, the
#     client connecting every ~10 ms (TCG: ~60 ms a try) loses at most a few tries; refused on
#     the standby;
#   - maintenance on the active (POST /cluster/maintenance) hands the role over; off again, the
#     role stays where it is (stickiness);
#   - writes on the standby (docs/ha.md): its API answers 503 with Retry-After and the active's
#     address, its SNMP agent resourceUnavailable, fulcrumctl --db on its database refuses unless
#     --force; nothing changes. After the takeover the new active takes a write at once (the
#     gate opens before the role change is announced): measured from its role change. A write
#     forced on the standby's database is not the active's: replication exports it (once) and
#     the standby takes the active's configuration back;
#   - replication cut (dir1's segments to dir2:7694 lost, heartbeats passing): a write on the
#     active waits repl_sync_timeout (500 ms), is answered with Fulcrum-Replicated: alone, the
#     active logs and shows "alone" (API, fulcrumReplState, the notification fulcrumReplStateChange
#     alone(6) to an snmptrapd); a switchover is refused while the standby lacks that revision;
#     healed, the standby catches up, replication is in_sync again and inSync(5) is told;
#   - the same by SNMP (an snmpd in each director's namespace, fulcrumd its AgentX subagent):
#     SET fulcrumHaSwitchover.0 = switchover(2) on the active, then fulcrumHaMaintenance.0 =
#     true(1) on the new active and false(2) again.
# shellcheck disable=SC2015 # ok and not_ok always succeed: "A && ok || not_ok" is if-then-else here
# shellcheck disable=SC2119 # ha_topo_up takes optional extras
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ha.sh
. "$FULCRUM_TOP/tests/vm/lib/ha.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$FULCRUM_TOP/tests/vm/lib/tap.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/snmp.sh
. "$FULCRUM_TOP/tests/vm/lib/snmp.sh"

ha_logs_on_error

# Five more services beside 'web', the same in both databases: IPv6 with sh and its flags, UDP
# with weights, a firewall mark with mh, persistence, a drained real server, and a disabled
# service (in neither kernel).
# shellcheck disable=SC2089 # SQL quotes, for sqlite3, not for the shell
HA_SQL="INSERT INTO services (name, family, address, port, protocol, fwmark, scheduler, scheduler_flags,
    persistence_timeout, persistence_netmask, admin_state) VALUES
('web6', 'ipv6', '$HA_VIP6', 80, 'tcp', 0, 'sh', 3, 0, 128, 'enabled'),
('dns', 'ipv4', '$HA_VIP', 53, 'udp', 0, 'wrr', 0, 0, 32, 'enabled'),
('mark', 'ipv4', NULL, 0, NULL, 7, 'mh', 1, 0, 32, 'enabled'),
('sticky', 'ipv4', '$HA_VIP', 443, 'tcp', 0, 'wlc', 0, 300, 24, 'enabled'),
('off', 'ipv4', '$HA_VIP', 8080, 'tcp', 0, 'rr', 0, 0, 32, 'disabled');
INSERT INTO reals (service_id, address, port, forwarding, weight, admin_state)
SELECT id, 'fd00:1::11', 80, 'masq', 1, 'enabled' FROM services WHERE name = 'web6' UNION ALL
SELECT id, 'fd00:1::12', 80, 'masq', 2, 'enabled' FROM services WHERE name = 'web6' UNION ALL
SELECT id, '$(rs_ip 1)', 53, 'masq', 3, 'enabled' FROM services WHERE name = 'dns' UNION ALL
SELECT id, '$(rs_ip 2)', 53, 'masq', 1, 'enabled' FROM services WHERE name = 'dns' UNION ALL
SELECT id, '$(rs_ip 1)', 0, 'masq', 1, 'enabled' FROM services WHERE name = 'mark' UNION ALL
SELECT id, '$(rs_ip 2)', 0, 'masq', 1, 'drained' FROM services WHERE name = 'mark' UNION ALL
SELECT id, '$(rs_ip 1)', 443, 'masq', 1, 'enabled' FROM services WHERE name = 'sticky' UNION ALL
SELECT id, '$(rs_ip 1)', 8080, 'masq', 1, 'enabled' FROM services WHERE name = 'off';"

ha_topo_up
# the download: the same 6 MB of random bytes on both real servers
size=$((6 * 1024 * 1024))
head -c "$size" /dev/urandom >"$TOPO_DIR/www/rs1/big"
ln "$TOPO_DIR/www/rs1/big" "$TOPO_DIR/www/rs2/big"
want_sha=$(sha256sum "$TOPO_DIR/www/rs1/big" | cut -d' ' -f1)

# an snmpd in each director's namespace; snmp_on N points tests/vm/lib/snmp.sh's helpers at dirN's
HA=$R.1.7 # fulcrumCluster: HA.9.0 fulcrumHaMaintenance, HA.10.0 fulcrumHaSwitchover
declare -A SNMPD=() SNMPTRAPD=()
snmp_on() { # N
    SNMP_NS=dir$1 SNMP_DIR=$HA_DIR/snmp-dir$1
    SNMP_LOG=$SNMP_DIR/snmpd.log SNMP_AGENTX=$SNMP_DIR/agentx.sock SNMP_PID=${SNMPD[$1]:-}
    SNMP_TRAP_LOG=$SNMP_DIR/traps.log SNMP_TRAPD_PID=${SNMPTRAPD[$1]:-}
}
for n in 1 2; do # each with an snmptrapd in its namespace, where its snmpd sends notifications
    snmp_on "$n"
    snmp_traps_start || fail "snmptrapd did not start in dir$n"
    SNMPTRAPD[$n]=$SNMP_TRAPD_PID
    snmp_start || fail "snmpd did not start in dir$n"
    SNMPD[$n]=$SNMP_PID
done
ha_agentx() { printf '%s/snmp-dir%s/agentx.sock' "$HA_DIR" "$1"; }

HA_AGENTX=$(ha_agentx 1) ha_start 1 "ha_priority = 110"
HA_AGENTX=$(ha_agentx 2) ha_start 2 "ha_priority = 100"
wait_for 15 ha_is 1 active || fail "dir1 did not become active (role '$(ha_role 1)')"
wait_for 10 ha_is 2 standby || fail "dir2 did not become standby (role '$(ha_role 2)')"
is "dir1 active, dir2 standby" "$(ha_role 1)/$(ha_role 2)" "active/standby"

# --- writes on the standby: refused, naming the active; nothing changes
desc() { ha_api "$1" /services/1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["description"])'; }
rev() { ha_api "$1" /status | python3 -c 'import json, sys; print(json.load(sys.stdin)["revision"])'; }
rev2=$(rev 2)
ha_write_refused "PATCH on the standby dir2: refused" 2 '10\.0\.[12]\.1' PATCH /services/1 '{"description": "on the standby"}'
ha_write_refused "POST /vips on the standby dir2: refused" 2 '10\.0\.[12]\.1' POST /vips \
    '{"address": "10.0.0.99", "interface": "eth-cl"}'
ha_write_refused "DELETE on the standby dir2: refused" 2 '10\.0\.[12]\.1' DELETE /services/1 ''
is "dir2's revision did not move, the service is as it was" "$(rev 2) [$(desc 2)]" "$rev2 []"
is "dir1 (active) unchanged" "$(desc 1)" ""
snmp_on 2
snmp_wait_agent 20 || not_ok "dir2's fulcrumd answers through its snmpd"
if ! sset "$R.1.2.3.0" i 2 && grep -q 'Reason: resourceUnavailable' <<<"$SNMP_OUT"; then
    ok "SET fulcrumNotifyConfigChangeEnable.0 on the standby dir2: resourceUnavailable"
else
    not_ok "SET on the standby dir2: resourceUnavailable" "$SNMP_OUT"
fi
is "... it still reads true(1)" "$(sget "$R.1.2.3.0")" 1
grep -q 'snmp: SET refused: this director is standby: writes go to the active, 10\.0\.[12]\.1' "${HA_LOG[2]}" &&
    ok "dir2 logged the SET's refusal: $(line_of 2 'snmp: SET refused')" || not_ok "dir2 logged the SET's refusal"

# --- the standby's IPVS table is the active's, every service and real server
table() { in_ns "dir$1" ipvsadm -Sn | sort; }
programmed() { [[ $(table "$1" | grep -c '^-A') == 5 ]]; }
wait_for 20 programmed 1 && wait_for 20 programmed 2 || true
t1=$(table 1) t2=$(table 2)
if [[ $t1 == "$t2" && $(grep -c '^-A' <<<"$t1") == 5 ]]; then
    ok "both directors' IPVS tables are the same: $(grep -c '^-A' <<<"$t1") services, $(grep -c '^-a' <<<"$t1") real servers (ipvsadm -Sn)"
else
    not_ok "both directors' IPVS tables are the same, 5 services" "$(diff <(echo "$t1") <(echo "$t2") | head -n 20)" \
        "dir1: $(grep -c '^-A' <<<"$t1") services"
fi
while read -r l; do echo "#   $l"; done <<<"$t1"
grep -q -- '-a -f 7 -r 10.0.1.12:0 -m -w 0' <<<"$t1" && ok "the drained real server is in both with weight 0" ||
    not_ok "the drained real server has weight 0"
grep -q ':8080' <<<"$t1$t2" && not_ok "the disabled service is in neither kernel" || ok "the disabled service is in neither kernel"

# --- a long download survives dir1's death
wait_for 10 client_url_ok || fail "the VIP does not answer"
progress=$HA_DIR/download.progress
bg_in_ns client "$HA_DIR/download.txt" python3 -c "$HA_DOWNLOAD_PY" "$HA_VIP" /big 409600 "$progress"
dl=$BG_PID
got() { tail -n 1 "$progress" 2>/dev/null | awk -v min="$1" '$2 >= min { f = 1 } END { exit !f }'; }
wait_for 60 got $((size / 3)) || fail "the download did not reach a third in 60 s: $(tail -n 2 "$progress" "$HA_DIR/download.txt")"
# the connection is in the standby's table too, put there by the sync daemon
conn_re="ESTABLISHED +$HA_CLIENT:[0-9]+ +${HA_VIP//./\\.}:80 "
synced() { in_ns dir2 ipvsadm -Lnc | grep -Eq "$conn_re"; }
if wait_for 5 synced; then
    ok "the download's connection is in dir2's table (synced): $(in_ns dir2 ipvsadm -Lnc | grep -E "$conn_re" | head -n 1 | tr -s ' ')"
else
    not_ok "the download's connection is synced to dir2" "dir2: $(in_ns dir2 ipvsadm -Lnc | tail -n +3)" \
        "dir1: $(in_ns dir1 ipvsadm -Lnc | tail -n +3)"
fi
before=$(tail -n 1 "$progress" | cut -d' ' -f2)
printf 'link set eth-cl down\nlink set eth-rs down\n' | ip -n dir1 -batch -
ha_kill 1 KILL
wait_for 5 ha_is 2 active && ok "dir2 took over from the dead dir1 mid-download" || not_ok "dir2 took over" "role '$(ha_role 2)'"
# the new active takes a write at once, from the revision it held
sent=$(ha_ms)
out=$(ha_write 2 PATCH /services/1 '{"description": "written on the new active"}')
answered=$(ha_ms)
[[ $(head -n 1 <<<"$out") == "HTTP 200" ]] && ok "the new active dir2 took a PATCH at once (HTTP 200)" ||
    not_ok "the new active dir2 took a PATCH" "$out"
is "... its revision is one more than it held as standby" "$(rev 2)" "$((rev2 + 1))"
became=$(at_of 2 'ha: became active') || became=0
opened=$(at_of 2 'configuration writes accepted again: this director is active') || opened=0
measure "the new active's write gate opened $((opened - became)) ms after its role change; the PATCH was sent" \
    "$((sent - became)) ms after it (the script's clock, TCG) and answered in $((answered - sent)) ms"
out=$(ha_report takeover "${HA_LOG[2]}" "dir1 dies mid-download")
at=$(head -n 1 <<<"$out")
tail -n +2 <<<"$out"
measure "dir1 died with $before of $size bytes downloaded"
for _ in $(seq 1 120); do kill -0 "$dl" 2>/dev/null || break; sleep 0.5; done
kill "$dl" 2>/dev/null && not_ok "the download ended within 60 s of the takeover" || true
wait "$dl" 2>/dev/null || true
read -r _ got_size _ got_sha _ gap _ gap_at _ status < <(grep '^size' "$HA_DIR/download.txt" || echo "size 0 sha256 - gap 0 at 0 status -")
is "the download's status" "$status" "HTTP/1.1_200_OK"
is "the download's size" "$got_size" "$size"
is "the download's SHA-256 is the file's" "$got_sha" "$want_sha"
measure "the download's longest stall: $gap ms, beginning $((at - gap_at)) ms before dir2's role change (masq, connection synced)"
((gap < 5000)) && ok "the download stalled under 5 s ($gap ms)" || not_ok "the download stalled under 5 s" "$gap ms"
measure "net.ipv4.vs.conntrack: dir1 $(in_ns dir1 sysctl -n net.ipv4.vs.conntrack), dir2 $(in_ns dir2 sysctl -n net.ipv4.vs.conntrack)" \
    "(0: IPVS untracks what it forwards; its NAT state is the synced connection)"
grep -v '^size' "$HA_DIR/download.txt" | sed 's/^/#   /' || true

# --- dir1 comes back as standby; switchover by the API moves the role back
printf 'link set eth-cl up\nlink set eth-rs up\n' | ip -n dir1 -batch -
HA_KEEP_DB=1 HA_AGENTX=$(ha_agentx 1) ha_start 1 "ha_priority = 110"
wait_for 10 ha_is 1 standby && ok "dir1 back as standby" || not_ok "dir1 back as standby" "role '$(ha_role 1)'"
ha_write_refused "the returned dir1, standby: refuses a write, names dir2" 1 '10\.0\.[12]\.2' PATCH /services/1 '{"description": "x"}'
# fulcrumctl --db on the standby's database: refused unless --force (its role history says standby)
db1=$HA_DIR/dir1/fulcrum.db
out=$("$FULCRUM_TOP/fulcrumctl" --db "$db1" service set web description=local 2>&1) && rc=0 || rc=$?
[[ $rc == 1 && $out == *"this database is a standby's: its fulcrumd was last standby"*"--force"* ]] &&
    ok "fulcrumctl --db on the standby dir1's database: refused (exit 1): $out" ||
    not_ok "fulcrumctl --db on the standby's database refused" "exit $rc: $out"
snmp_on 1 # what dir1's snmpd told of replication so far (its restart's own catch-up included)
div_re="${HA//./\\.}\\.27\\.0 = INTEGER: 7( |\$)" # fulcrumReplState = diverged(7)
div_before=$(traps "$R.0.6" | grep -cE "$div_re" || true)
out=$("$FULCRUM_TOP/fulcrumctl" --db "$db1" --force service set web description=forced 2>&1) && rc=0 || rc=$?
[[ $rc == 0 ]] && ok "fulcrumctl --db --force on it: written" || not_ok "fulcrumctl --db --force" "exit $rc: $out"
# dir1's fulcrumd takes it (a reload), but that revision is not the active's: replication
# compares histories again, dir1 exports it (once) and takes dir2's configuration back
export_re='replication: revisions [0-9]+\.\.[0-9]+ were committed on this node and not on dir2'
exports() { awk '/^--- fulcrumd start/ { n = 0 } $0 ~ rx { n++ } END { print n + 0 }' rx="$export_re" "${HA_LOG[1]}"; }
exported_some() { (($(exports) >= 1)); }
wait_for 15 exported_some &&
    ok "dir1 exports the forced revision: $(line_of 1 "$export_re")" || not_ok "dir1 exports the forced revision"
unforced() { [[ $(desc 1) == "$(desc 2)" ]]; }
wait_for 10 unforced && ok "dir1 holds the active's configuration again (description '$(desc 1)')" ||
    not_ok "dir1 back to the active's configuration" "dir1 '$(desc 1)', dir2 '$(desc 2)'"
is "the forced revision exported once" "$(exports)" 1
file=$(ha_cluster 1 'c["replication"]["export_file"]')
grep -q '"description":"forced"\|forced' "$file" 2>/dev/null && ok "the file dir1's /cluster names holds the forced write: $file" ||
    not_ok "the export file holds the forced write" "'$file'"
snmp_on 1
diverged_told() { (($(traps "$R.0.6" | grep -cE "$div_re" || true) > div_before)); }
wait_for 10 diverged_told && ok "dir1's snmpd sent fulcrumReplStateChange diverged(7): $(traps "$R.0.6" | grep -E "$div_re" | tail -n 1 | grep -o "$HA.34.0 = [^|]*")" ||
    not_ok "fulcrumReplStateChange diverged(7) from dir1" "$(traps "$R.0.6")"
poll=$HA_DIR/poll.txt
bg_in_ns client "$HA_DIR/poller.log" python3 -c "$HA_POLLER_PY" "$HA_VIP" 80 "$poll"
poller=$BG_PID
wait_for 20 grep -q ' ok$' "$poll" || fail "the poller never got an answer"
sleep 1
# lost tries and the longest time without an answer around a role change at AT (Unix ms)
lost() { # LABEL AT
    local worst fails
    read -r worst _ _ < <(ha_report outage "$poll" "$(($2 - 1000))" "$(($2 + 3000))")
    fails=$(awk -v a=$(($2 - 1000)) -v b=$(($2 + 3000)) '$1 >= a && $1 <= b && $2 == "fail"' "$poll" | wc -l)
    measure "$1: $fails client tries failed, longest without an answer $worst ms (role change -1 s .. +3 s)"
    ((fails <= 5)) && ok "$1: at most a few lost tries ($fails)" || not_ok "$1: at most 5 lost tries" "$fails"
}
# --- replication cut (dir1's segments to dir2:7694 lost, heartbeats pass): a write on the active
# waits repl_sync_timeout (500 ms) for the standby, then is answered, the active going on alone and
# saying so; a switchover is refused while the standby lacks that revision; healed, it catches up
repl2() { ha_cluster 2 'c["replication"]["state"]'; }
in_sync2() { [[ $(repl2) == in_sync ]]; }
caught_up() { [[ $(desc 1) == "while cut" ]]; }
wait_for 30 in_sync2 && ok "dir2's replication in_sync with the returned dir1" || not_ok "dir2's replication in_sync" "$(repl2)"
snmp_on 2
N_REPL=$R.0.6 # fulcrumReplStateChange; HA.27.0 fulcrumReplState, HA.34.0 fulcrumReplReason
repl_before=$(traps "$N_REPL" | wc -l) # what was told before the cut (dir1's death and return)
repl_trap() { traps "$N_REPL" | tail -n +$((repl_before + 1)) | grep -E "${HA//./\\.}\\.27\\.0 = INTEGER: $1( |\$)" | tail -n 1; }
ha_repl_cut 1
t0=$(ha_ms)
out=$(ha_write 2 PATCH /services/1 '{"description": "while cut"}')
t1=$(ha_ms)
[[ $out == "HTTP 200"* ]] && ok "the active dir2 answers a write while its standby is cut off ($((t1 - t0)) ms)" ||
    not_ok "the active answers a write while cut off" "$out"
measure "a write on the active with its standby cut off: answered in $((t1 - t0)) ms (repl_sync_timeout 500 ms)"
is "its answer says the standby does not hold it" "$(tr -d '\r' <"$HA_DIR/write.headers" | sed -n 's/^[Ff]ulcrum-[Rr]eplicated: //p')" alone
((t1 - t0 >= 500)) && ok "it waited repl_sync_timeout for the standby first" || not_ok "the write waited 500 ms" "$((t1 - t0)) ms"
alone_re='replication: the standby did not acknowledge revision [0-9]+ within [0-9]+ ms \(repl_sync_timeout 500 ms\): this director goes on alone'
wait_for 3 grep -qE "$alone_re" "${HA_LOG[2]}" && ok "dir2 says it goes on alone: $(line_of 2 "$alone_re")" ||
    not_ok "dir2 logs that it goes on alone"
is "dir2's /cluster: replication alone" "$(repl2)" alone
alone_trap() { [[ -n $(repl_trap 6) ]]; }
wait_for 10 alone_trap && ok "dir2's snmpd sent fulcrumReplStateChange alone(6): $(repl_trap 6 | grep -o "$HA.34.0 = [^|]*" | head -n 1)" ||
    not_ok "fulcrumReplStateChange alone(6) from dir2" "$(traps "$N_REPL")"
is "fulcrumReplState.0 on dir2 reads alone(6)" "$(sget "$HA.27.0")" 6
resp=$(ha_post 2 /cluster/switchover '{"force": false}')
[[ $resp == *"HTTP 409"* && $resp == *"dir1 is not in sync"* ]] &&
    ok "a switchover on dir2 refused while dir1 lacks a revision: $(head -n 1 <<<"$resp")" ||
    not_ok "switchover refused while the standby is not in sync" "$resp"
is "no role moved" "$(ha_role 1)/$(ha_role 2)" "standby/active"
ha_repl_heal 1
healed=$(ha_ms)
wait_for 20 caught_up && ok "healed: the standby dir1 caught up (the write made while it was cut off)" ||
    not_ok "dir1 caught up after the cut" "$(desc 1)"
measure "the standby caught up $(($(ha_ms) - healed)) ms after the cut healed (at most that: polled)"
wait_for 10 in_sync2 && ok "dir2's replication in_sync again" || not_ok "dir2's replication in_sync again" "$(repl2)"
snmp_on 2
in_sync_trap() { [[ -n $(repl_trap 5) ]]; }
wait_for 10 in_sync_trap && ok "dir2's snmpd sent fulcrumReplStateChange inSync(5), the all-clear" ||
    not_ok "fulcrumReplStateChange inSync(5) from dir2" "$(traps "$N_REPL")"

resp=$(ha_post 1 /cluster/switchover '{"force": false}')
grep -q 'HTTP 409' <<<"$resp" && ok "switchover refused on the standby (409): $(head -c 160 <<<"$resp" | tr '\n' ' ')" ||
    not_ok "switchover refused on the standby" "$resp"
resp=$(ha_post 2 /cluster/switchover '{"force": false}')
grep -q 'HTTP 200' <<<"$resp" && ok "switchover accepted by the active dir2" || not_ok "switchover accepted by dir2" "$resp"
wait_for 5 ha_is 1 active && ok "dir1 took the role by switchover" || not_ok "dir1 took over by switchover" "role '$(ha_role 1)'"
wait_for 5 ha_is 2 standby || true
is "after the switchover: dir1 active, dir2 standby" "$(ha_role 1)/$(ha_role 2)" "active/standby"
out=$(ha_report takeover "${HA_LOG[1]}" "switchover (API)")
at=$(head -n 1 <<<"$out")
tail -n +2 <<<"$out"
sent=$(ha_report at "${HA_LOG[2]}" 'STEPDOWN \(switchover\) sent')
measure "switchover: STEPDOWN sent by dir2 to dir1's role change: $((at - sent)) ms"
grep -q 'stepped down (switchover)' "${HA_LOG[1]}" && ok "dir1: $(line_of 1 'stepped down \(switchover\)')" ||
    not_ok "dir1 heard the STEPDOWN (switchover)"
sleep 2
lost "switchover (API)" "$at"

# --- maintenance on the active hands over; off again, the role stays (stickiness)
resp=$(ha_post 1 /cluster/maintenance '{"on": true}')
grep -q 'HTTP 200' <<<"$resp" && ok "maintenance on, on the active dir1" || not_ok "maintenance on" "$resp"
wait_for 5 ha_is 2 active && ok "dir2 took over from dir1 in maintenance" || not_ok "dir2 took over (maintenance)" "role '$(ha_role 2)'"
out=$(ha_report takeover "${HA_LOG[2]}" "maintenance (API)")
at=$(head -n 1 <<<"$out")
tail -n +2 <<<"$out"
is "dir1 in maintenance, standby" "$(ha_cluster 1 'c["role"] + " " + str(c["maintenance"])')" "standby True"
grep -q 'stepped down (maintenance)' "${HA_LOG[2]}" && ok "dir2: $(line_of 2 'stepped down \(maintenance\)')" ||
    not_ok "dir2 heard the STEPDOWN (maintenance)"
resp=$(ha_post 1 /cluster/maintenance '{"on": false}')
grep -q 'HTTP 200' <<<"$resp" && ok "maintenance off on dir1" || not_ok "maintenance off" "$resp"
sleep 2
is "maintenance off changes nothing: dir1 standby, dir2 active" "$(ha_role 1)/$(ha_role 2)" "standby/active"
is "dir1 out of maintenance" "$(ha_cluster 1 'c["maintenance"]')" "False"
lost "maintenance (API)" "$at"

# --- the same by SNMP: switchover on the active dir2, maintenance on and off on dir1 then
snmp_on 2
snmp_wait_agent 20 || not_ok "dir2's fulcrumd answers through its snmpd"
is "dir2: fulcrumHaSwitchover.0 reads idle(1)" "$(sget "$HA.10.0")" 1
sset "$HA.10.0" i 2 && ok "SET fulcrumHaSwitchover.0 = switchover(2) on dir2: noError" ||
    not_ok "SET fulcrumHaSwitchover.0 = switchover(2) on dir2" "$SNMP_OUT"
wait_for 5 ha_is 1 active && ok "dir1 took the role by the SNMP switchover" || not_ok "dir1 took over (SNMP)" "role '$(ha_role 1)'"
out=$(ha_report takeover "${HA_LOG[1]}" "switchover (SNMP)")
at=$(head -n 1 <<<"$out")
tail -n +2 <<<"$out"
grep -q 'snmp: SET fulcrumHaSwitchover = switchover(2)' "${HA_LOG[2]}" &&
    ok "dir2 logged it: $(line_of 2 'snmp: SET fulcrumHaSwitchover')" || not_ok "dir2 logged the SNMP switchover"
sleep 2
lost "switchover (SNMP)" "$at"
snmp_on 1
snmp_wait_agent 20 || not_ok "dir1's fulcrumd answers through its snmpd"
sset "$HA.9.0" i 1 && ok "SET fulcrumHaMaintenance.0 = true(1) on the active dir1: noError" ||
    not_ok "SET fulcrumHaMaintenance.0 = true(1) on dir1" "$SNMP_OUT"
wait_for 5 ha_is 2 active && ok "dir2 took over from dir1 in maintenance (SNMP)" || not_ok "dir2 took over (SNMP maintenance)" "role '$(ha_role 2)'"
is "dir1: fulcrumHaMaintenance.0 reads true(1)" "$(sget "$HA.9.0")" 1
sset "$HA.9.0" i 2 && ok "SET fulcrumHaMaintenance.0 = false(2) on dir1: noError" ||
    not_ok "SET fulcrumHaMaintenance.0 = false(2) on dir1" "$SNMP_OUT"
sleep 2
is "maintenance off by SNMP changes nothing: dir1 standby, dir2 active" "$(ha_role 1)/$(ha_role 2)" "standby/active"

kill "$poller" 2>/dev/null || true
wait "$poller" 2>/dev/null || true
ha_story ' ha: (became|STEPDOWN|sync daemon|maintenance|switchover)'
ha_down
for n in 1 2; do
    snmp_on "$n"
    snmp_stop
done
trap - ERR
echo "$n_ok passed, $n_fail failed"
((n_fail == 0))
