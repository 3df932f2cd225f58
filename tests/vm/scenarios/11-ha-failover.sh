#!/bin/bash
# Two directors fail over: one active at start, the standby takes over a SIGKILLed or dead active, stickiness, a deleted VIP put back, SIGTERM hands over.
# vm-timeout: 420 (the default 300 s is too close: runs took up to ~60% of this under TCG)
#
# What it measures (printed as "measure:" lines), from the daemons' own log timestamps, the
# kernel's address events (ip -ts monitor) and a client's tries: not from the script's clock,
# which TCG makes slow (a process start costs 0.1-1 s here).
#   - the takeover's steps on the new active: the peer's silence when declared dead (detection),
#     then VIPs added, first announcement, sync daemon master, each after the role change;
#   - the outage a client connecting to the VIP every ~10 ms sees (TCG makes it ~60 ms a try):
#     (a) fulcrumd SIGKILLed on the active (its kernel still forwards: no outage expected);
#     (b) the active node dies (links down, then fulcrumd killed): detection by silence,
#         takeover, gratuitous ARP; (c) SIGTERM of the active: STEPDOWN, the peer at once;
#   - how long the killed node's VIP outlives its last refresh (ha_vip_lifetime 3 s);
#   - how long a VIP deleted with `ip addr del` on the active stays away.
# Default timers: interval 50 ms, deadtime 300 ms, initdead 1000 ms.
# shellcheck disable=SC2015 # ok and not_ok always succeed: "A && ok || not_ok" is if-then-else here
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ha.sh
. "$FULCRUM_TOP/tests/vm/lib/ha.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$FULCRUM_TOP/tests/vm/lib/tap.sh"

ha_logs_on_error

ha_topo_up
ha_monitor 1
ha_monitor 2

# The takeover on dirN: detection and each step after the role change, from its log; sets TAKEOVER_AT.
takeover_report() { # N LABEL
    local out
    out=$(ha_report takeover "${HA_LOG[$1]}" "$2")
    TAKEOVER_AT=$(head -n 1 <<<"$out")
    tail -n +2 <<<"$out"
}

# --- start: exactly one active (dir1 has the higher priority), the VIP answers through IPVS
ha_start 1 "ha_priority = 110"
ha_start 2 "ha_priority = 100"
wait_for 15 ha_is 1 active || fail "dir1 did not become active (role '$(ha_role 1)')"
wait_for 10 ha_is 2 standby || fail "dir2 did not become standby (role '$(ha_role 2)')"
is "dir1 active, dir2 standby" "$(ha_role 1)/$(ha_role 2)" "active/standby"
wait_for 5 ha_has_vip 1 "$HA_VIP" && ok "dir1 holds $HA_VIP" || not_ok "dir1 holds $HA_VIP"
ha_has_vip 2 "$HA_VIP" && not_ok "dir2 does not hold $HA_VIP" || ok "dir2 does not hold $HA_VIP"
ha_has_vip 1 "$HA_GW" && ok "dir1 holds the gateway VIP $HA_GW" || not_ok "dir1 holds $HA_GW"
ip -n dir1 -o addr show dev eth-cl | grep "$HA_VIP/" | sed 's/^/#   /'
warm() { in_ns dir2 ipvsadm -Ln | grep -q "$HA_VIP:80"; }
wait_for 10 warm && ok "the standby's IPVS is programmed (warm)" || not_ok "the standby's IPVS holds the service"
wait_for 10 client_url_ok && ok "the VIP answers through IPVS" || not_ok "the VIP answers"
in_ns dir1 ipvsadm -L --daemon | grep -q master && ok "dir1 runs the sync daemon as master" ||
    not_ok "dir1's sync daemon is master" "$(in_ns dir1 ipvsadm -L --daemon)"
in_ns dir2 ipvsadm -L --daemon | grep -q backup && ok "dir2 runs the sync daemon as backup" ||
    not_ok "dir2's sync daemon is backup" "$(in_ns dir2 ipvsadm -L --daemon)"

poll=$HA_DIR/poll.txt
bg_in_ns client "$HA_DIR/poller.log" python3 -c "$HA_POLLER_PY" "$HA_VIP" 80 "$poll"
poller=$BG_PID
wait_for 20 grep -q ' ok$' "$poll" || fail "the poller never got an answer"
sleep 1
outage() { # LABEL: the longest time without an answer from 1 s before to 3 s after the takeover
    local out
    read -r out _ _ < <(ha_report outage "$poll" "$((TAKEOVER_AT - 1000))" "$((TAKEOVER_AT + 3000))")
    measure "$1 client outage: ${out} ms (longest time without an answer, takeover -1 s .. +3 s)"
    ((out < 1000)) && ok "$1 the client's outage ends in well under a second ($out ms)" ||
        not_ok "$1 outage under a second" "$out ms"
}

# --- (a) SIGKILL of the active's fulcrumd: dir2 takes over; dir1's VIP lapses within its lifetime
ha_kill 1 KILL
wait_for 5 ha_is 2 active && ok "dir2 took over after dir1's fulcrumd was killed" ||
    not_ok "dir2 took over" "role '$(ha_role 2)'"
takeover_report 2 "(a) SIGKILL"
v4re="inet ${HA_VIP//./\\.}/"
lapsed() { grep -q "Deleted .*$v4re" "$HA_DIR/addr-dir1.txt"; }
if wait_for 10 lapsed; then
    gone=$(ha_report event "$HA_DIR/addr-dir1.txt" "$TAKEOVER_AT" "^Deleted .*$v4re")
    refresh=$(ha_report before "$HA_DIR/addr-dir1.txt" "$gone" "^(?!Deleted).*$v4re" || echo 0)
    measure "(a) the killed node's VIP left its interface $((gone - refresh)) ms after its last refresh" \
        "(ha_vip_lifetime 3 s; the kernel checks lifetimes about once a second)"
    ((gone - refresh <= 5000)) && ok "dir1's VIP gone within its lifetime ($((gone - refresh)) ms)" ||
        not_ok "dir1's VIP gone within 5 s of its last refresh" "$((gone - refresh)) ms"
else
    not_ok "dir1's VIP gone within 10 s" "$(ip -n dir1 -o addr show dev eth-cl)"
fi
outage "(a)"
client_url_ok && ok "the VIP answers through dir2" || not_ok "the VIP answers through dir2"

# --- stickiness: dir1 comes back and stays standby
HA_KEEP_DB=1 ha_start 1 "ha_priority = 110"
wait_for 10 ha_is 1 standby && ok "dir1 restarted and stays standby (stickiness, despite priority 110)" ||
    not_ok "dir1 stays standby" "role '$(ha_role 1)'"
is "dir2 still active" "$(ha_role 2)" active
ha_has_vip 1 "$HA_VIP" && not_ok "the restarted standby holds no VIP" || ok "the restarted standby holds no VIP"
# the API says the same: every VIP held on the active, none on the standby, with the engine's words
helds() { ha_api "$1" /vips | python3 -c 'import json,sys; print(" ".join(str(v["status"]["held"]).lower() for v in json.load(sys.stdin)["vips"]))'; }
is "dir2's API: every VIP held" "$(helds 2)" "true true true"
is "dir1's API: no VIP held" "$(helds 1)" "false false false"
ha_api 1 /vips | python3 -c 'import json,sys; print("#   dir1: " + json.load(sys.stdin)["vips"][0]["status"]["reason"])' || true

# --- a VIP deleted behind the active's back is put back
from=$(ha_ms)
ip -n dir2 addr del "$HA_VIP/24" dev eth-cl
readded() { grep -A100 "Deleted .*$v4re" "$HA_DIR/addr-dir2.txt" | grep -v Deleted | grep -q "$v4re"; }
if wait_for 5 readded; then
    del=$(ha_report event "$HA_DIR/addr-dir2.txt" "$from" "^Deleted .*$v4re")
    back=$(ha_report event "$HA_DIR/addr-dir2.txt" "$del" "^(?!Deleted).*$v4re")
    measure "(vip) put back $((back - del)) ms after ip addr del (kernel timestamps)"
    ok "the deleted VIP is back on dir2"
    grep -q "VIP $HA_VIP/24 on eth-cl was deleted behind our back: put back" "${HA_LOG[2]}" &&
        ok "logged: $(line_of 2 'deleted behind our back')" || not_ok "the put-back was logged"
else
    not_ok "the deleted VIP is back on dir2 within 5 s"
fi

# --- (b) the active node dies: its links go down (one ip process), then fulcrumd is killed
sleep 1
printf 'link set eth-cl down\nlink set eth-rs down\n' | ip -n dir2 -batch -
ha_kill 2 KILL
wait_for 5 ha_is 1 active && ok "dir1 took over from the dead dir2" || not_ok "dir1 took over" "role '$(ha_role 1)'"
takeover_report 1 "(b) node death"
sleep 1
outage "(b)"

# dir2 comes back and stays standby. A restart under TCG takes longer than the VIPs' lifetime, so
# a leftover is made by hand (as a fulcrumd killed and restarted at once, or an older one, leaves it);
# replace, not add: the killed node's own VIP may not have expired yet ("File exists" failed the batch).
printf 'link set eth-cl up\nlink set eth-rs up\naddr replace %s/24 dev eth-cl\n' "$HA_VIP" | ip -n dir2 -batch -
HA_KEEP_DB=1 ha_start 2 "ha_priority = 100"
wait_for 10 ha_is 2 standby && ok "dir2 back as standby" || not_ok "dir2 back as standby" "role '$(ha_role 2)'"
grep -q "VIP $HA_VIP/24 on eth-cl found at start while this node is not active" "${HA_LOG[2]}" &&
    ok "the leftover VIP was removed at start: $(line_of 2 'found at start')" ||
    not_ok "the leftover VIP was removed at start, logged"
ha_has_vip 2 "$HA_VIP" && not_ok "dir2 holds no VIP after its restart" || ok "dir2 holds no VIP after its restart"

# --- (c) SIGTERM of the active: STEPDOWN, dir2 takes over at once
sleep 1
ha_kill 1 TERM
wait_for 5 ha_is 2 active && ok "dir2 took over after SIGTERM of dir1" || not_ok "dir2 took over after SIGTERM"
takeover_report 2 "(c) SIGTERM"
stepdown=$(ha_report at "${HA_LOG[1]}" 'STEPDOWN \(shutdown\) sent')
measure "(c) STEPDOWN sent by dir1 to dir2's role change: $((TAKEOVER_AT - stepdown)) ms"
grep -q 'stepped down (shutdown)' "${HA_LOG[2]}" && ok "dir2 heard the STEPDOWN (shutdown)" ||
    not_ok "dir2 heard a STEPDOWN"
ha_has_vip 1 "$HA_VIP" && not_ok "dir1 released its VIPs on SIGTERM" || ok "dir1 released its VIPs on SIGTERM"
in_ns dir1 ipvsadm -Ln | grep -q "$HA_VIP:80" && ok "SIGTERM left IPVS as it is" || not_ok "SIGTERM left IPVS"
grep -q 'fulcrumd stopped' "${HA_LOG[1]}" && ok "dir1 exited cleanly after the hand-over" || not_ok "dir1 exited"
sleep 1
outage "(c)"

kill "$poller" 2>/dev/null || true
wait "$poller" 2>/dev/null || true
measure "$(grep -h 'heartbeat thread runs' "${HA_LOG[2]}" | tail -n 1 | cut -c25-)"
kill -USR1 "${HA_PID[2]}" && sleep 1 && grep ' status: ha:' "${HA_LOG[2]}" | tail -n 1 | cut -c25- | sed 's/^/# dir2: /'
grep -h 'heartbeat thread: ' "${HA_LOG[1]}" "${HA_LOG[2]}" | cut -c25- | sed 's/^/measure: /'
ha_story ' ha: (became|STEPDOWN|sync daemon|VIPs (added|removed)|VIP .* (put back|found at start))'
ha_down
trap - ERR
echo "$n_ok passed, $n_fail failed"
((n_fail == 0))
