#!/bin/bash
# The kernel refusing part of the configuration: the active hands over to a peer whose kernel holds all of it and stays an eligible standby; a part refused on both, the active stays, and when it dies the standby takes over anyway; fixed, no failback.
# vm-timeout: 420 (the default 300 s is too close: runs took up to ~60% of this under TCG)
#
# Both directors hold one configuration (replication, docs/ha.md); what differs is their
# kernels. IPVS refuses a real server whose address its namespace's routing calls a broadcast
# (EINVAL: ip_vs_ctl.c wants a unicast or local address), as a wrong prefix on one director's
# interface would make it; a broadcast route in each director's local table (on lo: one through
# eth-rs would go with that link when the scenario takes it down) sets which kernel refuses
# what: 10.0.1.99 on dir1 only, 10.0.1.98 on both. What it checks and measures
# ("measure:" lines; times from the daemons' logs and a client's tries through the VIP):
#   - service 'bad' (TCP VIP:81, real server .99) added through the active dir1's API is on the
#     standby dir2 when the POST answers (sync replication: same id, revision); dir1's kernel
#     refuses the real server, logged; the next full pass (reconcile_interval 5 s) refuses it
#     again, and only then does its configuration flag go down (not the IPVS flag), the object
#     and the kernel's reason in the log and /cluster; dir2's kernel holds it;
#   - ha_repair_timeout (3 s) later, the peer holding all of its own, dir1 steps down to
#     STANDBY (not fault: it serves all the rest, and stays eligible), saying why; dir2 takes
#     over; the client's longest time without an answer;
#   - real server .98 added through dir2, now active: its flag goes down too, and with its peer
#     lacking part as well it stays active past ha_repair_timeout, /cluster's blocked saying
#     why; the VIP answers;
#   - dir2 dies (links down, fulcrumd SIGKILLed) while both lack the flag: dir1 takes over all
#     the same (the case one IPVS flag broke: the standby was in fault), the VIP answers;
#   - dir2 restarted with its database: a standby lacking the flag, dir1 stays; the standby's
#     API refuses writes (503); .98 deleted through the active dir1: dir2's flag back, dir1
#     (lacking its own past ha_repair_timeout) hands over to it (rule 1 again); dir1's
#     broadcast route deleted: its next pass adds .99, its flag back, it stays standby (no
#     failback, despite priority 110).
# shellcheck disable=SC2015 # ok and not_ok always succeed: "A && ok || not_ok" is if-then-else here
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ha.sh
. "$FULCRUM_TOP/tests/vm/lib/ha.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$FULCRUM_TOP/tests/vm/lib/tap.sh"

ha_logs_on_error
in_run() { awk '/^--- fulcrumd start/ { n = 0 } { l[n++] = $0 } END { for (i = 0; i < n; i++) print l[i] }' "${HA_LOG[$1]}" | grep -qE -- "$2"; } # N REGEX: in its last run

ha_topo_up
only1=10.0.1.99 both=10.0.1.98
ip -n dir1 route add broadcast "$only1" dev lo table local || fail "dir1: broadcast route $only1"
for n in 1 2; do
    ip -n "dir$n" route add broadcast "$both" dev lo table local || fail "dir$n: broadcast route $both"
done
# the kernel's answer, before any director asks: dir1 refuses .99, dir2 takes it
in_ns dir1 ipvsadm -A -t 10.9.9.9:9 -s rr && in_ns dir2 ipvsadm -A -t 10.9.9.9:9 -s rr || fail "ipvsadm -A"
if err=$(in_ns dir1 ipvsadm -a -t 10.9.9.9:9 -r "$only1:80" -m 2>&1); then
    fail "dir1's kernel takes real server $only1"
fi
in_ns dir2 ipvsadm -a -t 10.9.9.9:9 -r "$only1:80" -m || fail "dir2's kernel refuses real server $only1"
in_ns dir1 ipvsadm -D -t 10.9.9.9:9 && in_ns dir2 ipvsadm -D -t 10.9.9.9:9 || fail "ipvsadm -D"
ok "dir1's kernel refuses real server $only1 (ipvsadm: $err), dir2's takes it"
ha_start 1 "ha_priority = 110"
ha_start 2 "ha_priority = 100"
wait_for 15 ha_is 1 active || fail "dir1 did not become active (role '$(ha_role 1)')"
wait_for 10 ha_is 2 standby || fail "dir2 did not become standby (role '$(ha_role 2)')"
is "dir1 active, dir2 standby" "$(ha_role 1)/$(ha_role 2)" "active/standby"
flags_up() { [[ $(ha_cluster 1 '"ipvs" in c["flags"] and "config" in c["flags"]') == True ]]; }
wait_for 5 flags_up && ok "dir1's IPVS and configuration flags are up" ||
    not_ok "dir1's IPVS and configuration flags are up" "$(ha_cluster 1 'c["flags"]')"
in_sync() { [[ $(ha_cluster 1 'c["replication"]["state"]') == in_sync ]]; }
wait_for 15 in_sync && ok "dir1's replication: in_sync with dir2" ||
    not_ok "dir1's replication in_sync" "$(ha_cluster 1 'c["replication"]')"
poll=$HA_DIR/poll.txt
bg_in_ns client "$HA_DIR/poller.log" python3 -c "$HA_POLLER_PY" "$HA_VIP" 80 "$poll"
poller=$BG_PID
wait_for 20 grep -q ' ok$' "$poll" || fail "the poller never got an answer"
sleep 1

# --- service 'bad' through the active: replicated; dir1's kernel refuses its real server
bad_json="{\"name\": \"bad\", \"address\": \"$HA_VIP\", \"port\": 81, \"protocol\": \"tcp\", \"scheduler\": \"rr\",
  \"reals\": [{\"address\": \"$only1\", \"port\": 80, \"forwarding\": \"masq\"}]}"
added=$(ha_ms)
resp=$(ha_post 1 /services "$bad_json")
[[ $resp == *"HTTP 201"* ]] && ok "dir1's API took service 'bad' (real server $only1)" || fail "POST /services on dir1: $resp"
read -r id rid99 < <(head -n 1 <<<"$resp" | python3 -c 'import json, sys; s = json.load(sys.stdin); print(s["id"], s["reals"][0]["id"])')
# sync: the POST answered after the standby committed it
is "the standby dir2 holds service $id when the POST answers (same id)" \
    "$(ha_api 2 "/services/$id" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("name"))')" bad
is "both at the same revision" "$(ha_cluster 2 'c["revision"]')" "$(ha_cluster 1 'c["revision"]')"
refused_re="reconcile: service 'bad': real server ${only1//./\\.}:80.*the kernel refused the real server"
wait_for 5 grep -qE "$refused_re" "${HA_LOG[1]}" && ok "dir1 logs the refusal: $(line_of 1 "$refused_re")" ||
    not_ok "dir1 logs the kernel's refusal"
kstate() { ha_api "$1" "/reals/$rid99" | python3 -c 'import json, sys; s = json.load(sys.stdin)["status"]; print(s["kernel_state"])'; }
is "dir1's API: the real server's kernel state" "$(kstate 1)" "error"
lost_re="ha: configuration refused: service 'bad': real server ${only1//./\\.}:80"
wait_for 10 grep -qE "$lost_re" "${HA_LOG[1]}" && ok "dir1's configuration flag went down: $(line_of 1 "$lost_re")" ||
    not_ok "dir1's configuration flag went down"
refused=$(at_of 1 "$refused_re") || refused=0
lost=$(at_of 1 "$lost_re") || lost=0
measure "the commit's refusal $((refused - added)) ms after the POST; the configuration flag down $((lost - refused)) ms" \
    "after it (the next full pass refused it again: reconcile_interval 5 s, read every second)"
is "dir1's flags: IPVS usable, configuration not whole" \
    "$(ha_cluster 1 'str("ipvs" in c["flags"]) + " " + str("config" in c["flags"])')" "True False"
health=$(ha_cluster 1 'c["health"]')
[[ $health == "configuration refused: service 'bad': real server $only1:80"* ]] &&
    ok "dir1's /cluster health says why: $health" || not_ok "dir1's /cluster health says why" "$health"
grep -q 'IPVS unusable' "${HA_LOG[1]}" && not_ok "the IPVS flag stays up" "$(line_of 1 'IPVS unusable')" ||
    ok "the IPVS flag stays up"
wait_for 5 bash -c "ip netns exec dir2 ipvsadm -Ln | grep -q ' ${only1//./\\.}:80 '" &&
    ok "dir2's kernel holds real server $only1" || not_ok "dir2's kernel holds real server $only1" "$(in_ns dir2 ipvsadm -Ln)"

# --- after ha_repair_timeout it steps down to standby; dir2 takes over
wait_for 10 ha_is 2 active && ok "dir2 took over" || not_ok "dir2 took over" "role '$(ha_role 2)'"
wait_for 5 ha_is 1 standby && ok "dir1 stepped down to standby (not fault)" || not_ok "dir1 is standby" "role '$(ha_role 1)'"
why=$(line_of 1 'ha: became standby')
[[ $why == *"configuration refused for "*" ms, not repaired, peer dir2 has all of it: stepping down; service 'bad'"* ]] &&
    ok "dir1 says why: $why" || not_ok "dir1 stepped down for the refused service" "$why"
down=$(at_of 1 'STEPDOWN \(failure\) sent') || down=0
out=$(ha_report takeover "${HA_LOG[2]}" "service refused on the active")
at=$(head -n 1 <<<"$out")
tail -n +2 <<<"$out"
measure "dir1 stepped down $((down - lost)) ms after its configuration flag went down (ha_repair_timeout 3000 ms)," \
    "$((down - added)) ms after the POST; dir2 active $((at - down)) ms after the STEPDOWN"
((down - lost >= 3000 && down - lost < 4500)) && ok "the step-down came after ha_repair_timeout ($((down - lost)) ms)" ||
    not_ok "the step-down came 3 to 4.5 s after the flag went down" "$((down - lost)) ms"
sleep 1
read -r gap _ _ < <(ha_report outage "$poll" "$((down - 2000))" "$((at + 1000))")
measure "the client's longest time without an answer around the hand-over: $gap ms"
((gap < 1000)) && ok "the client kept getting answers ($gap ms at most without one)" ||
    not_ok "the client's outage under a second" "$gap ms"
client_url_ok && ok "the VIP answers through dir2" || not_ok "the VIP answers through dir2"
ha_has_vip 1 "$HA_VIP" && not_ok "dir1 released the VIP" || ok "dir1 released the VIP"
while (($(ha_ms) < down + 4500)); do sleep 0.2; done
is "dir1 still standby after its hold, eligible, the service still refused" \
    "$(ha_cluster 1 'c["role"] + " " + str("eligible" in c["flags"]) + " " + str("config" in c["flags"])')" \
    "standby True False"
is "dir2 sees dir1 as an eligible standby without the config flag" \
    "$(ha_cluster 2 'c["peer"]["role"] + " " + str("eligible" in c["peer"]["flags"]) + " " + str("config" in c["peer"]["flags"])')" \
    "standby True False"
is "the new active's kernel holds service 'bad' with its real server" \
    "$(in_ns dir2 ipvsadm -Ln | grep -c " ${only1//./\\.}:80 ")" 1

# --- real server .98, refused on both, through dir2 (now active): both lack the flag, the active stays
resp=$(ha_post 2 "/services/$id/reals" "{\"address\": \"$both\", \"port\": 80, \"forwarding\": \"masq\"}")
[[ $resp == *"HTTP 201"* ]] || fail "POST /services/$id/reals on dir2: $resp"
rid98=$(head -n 1 <<<"$resp" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
lost98_re="ha: configuration refused: service 'bad': real server ${both//./\\.}:80"
wait_for 12 grep -qE "$lost98_re" "${HA_LOG[2]}" && ok "dir2's configuration flag went down too" ||
    not_ok "dir2's configuration flag went down"
lost2=$(at_of 2 "$lost98_re") || lost2=0
while (($(ha_ms) < lost2 + 4000)); do sleep 0.2; done
is "dir2 stays active past ha_repair_timeout, dir1 standby" "$(ha_role 2)/$(ha_role 1)" "active/standby"
blocked=$(ha_cluster 2 'c["blocked"]')
[[ $blocked == "configuration refused for "*" ms, but peer dir1's kernel refuses part of its own too: staying active" ]] &&
    ok "dir2's /cluster says what keeps it: $blocked" || not_ok "dir2's /cluster blocked" "$blocked"
client_url_ok && ok "the VIP still answers through dir2" || not_ok "the VIP still answers through dir2"

# --- dir2 dies while both lack the flag: dir1 takes over all the same
killed=$(ha_ms)
printf 'link set eth-cl down\nlink set eth-rs down\n' | ip -n dir2 -batch -
ha_kill 2 KILL
wait_for 5 ha_is 1 active && ok "dir1 took over from the dead dir2, lacking the flag itself" ||
    not_ok "dir1 took over" "role '$(ha_role 1)'"
why=$(line_of 1 'ha: became active')
[[ $why == *"though this node's kernel refuses part of its configuration: "*"service 'bad'"* ]] &&
    ok "dir1 says it lacks the flag: $why" || not_ok "dir1's takeover says it lacks the flag" "$why"
out=$(ha_report takeover "${HA_LOG[1]}" "dir2 killed, both lacking the flag")
at2=$(head -n 1 <<<"$out")
tail -n +2 <<<"$out"
measure "dir1 active $((at2 - killed)) ms after dir2's links went down and its fulcrumd was killed"
sleep 1
read -r gap2 _ _ < <(ha_report outage "$poll" "$((killed - 1000))" "$((at2 + 1000))")
measure "the client's longest time without an answer around that takeover: $gap2 ms"
((gap2 < 1500)) && ok "the client's outage ends within 1.5 s ($gap2 ms)" || not_ok "the client's outage under 1.5 s" "$gap2 ms"
wait_for 5 client_url_ok && ok "the VIP answers through dir1" || not_ok "the VIP answers through dir1"
wait_for 8 bash -c "! ip -n dir2 -o addr show | grep -q ' ${HA_VIP//./\\.}/'" || true

# --- dir2 back with its database: a standby lacking the flag; dir1 stays
printf 'link set eth-cl up\nlink set eth-rs up\n' | ip -n dir2 -batch -
HA_KEEP_DB=1 ha_start 2 "ha_priority = 100"
wait_for 10 ha_is 2 standby && ok "dir2 back as standby" || not_ok "dir2 back as standby" "role '$(ha_role 2)'"
wait_for 12 in_run 2 "$lost98_re" && ok "dir2's flag down again after its first pass" ||
    not_ok "dir2's flag down after its restart"
sleep 1
is "dir1 stays active: the restarted dir2 lacks the flag too" "$(ha_role 1)/$(ha_role 2)" "active/standby"
wait_for 15 in_sync && ok "dir1's replication: in_sync with the restarted dir2" ||
    not_ok "dir1's replication in_sync again" "$(ha_cluster 1 'c["replication"]')"

# --- .98 deleted through the active: dir2's flag back, dir1 hands over to it (it lacked its own for long)
resp=$(ha_delete 2 "/reals/$rid98")
[[ $resp == *"HTTP 503"* ]] && ok "the standby dir2's API refuses the DELETE (503)" || not_ok "DELETE on the standby dir2: 503" "$resp"
resp=$(ha_delete 1 "/reals/$rid98")
[[ $resp == *"HTTP 20"* ]] && ok "the active dir1's API deletes real server $both" || not_ok "DELETE on the active dir1" "$resp"
wait_for 8 in_run 2 'configuration whole again' && ok "dir2's flag is back (the delete replicated)" || not_ok "dir2's flag is back"
wait_for 5 ha_is 2 active && ok "dir2 took over from dir1, which still lacks the flag" ||
    not_ok "dir2 took over" "role '$(ha_role 2)'"
back2=$(at_of 2 'configuration whole again') || back2=0
handed=$(at_of 1 'STEPDOWN \(failure\) sent') || handed=0
measure "dir1 stepped down $((handed - back2)) ms after dir2's flag came back (dir1 had lacked its own past ha_repair_timeout)"
wait_for 3 ha_is 1 standby && ok "dir1 standby again: $(line_of 1 'ha: became standby')" || not_ok "dir1 standby" "role '$(ha_role 1)'"

# --- dir1's broadcast route deleted: its next pass adds .99, its flag back, no failback
deleted=$(ha_ms)
ip -n dir1 route del broadcast "$only1" dev lo table local || fail "deleting dir1's broadcast route"
wait_for 10 in_run 1 'configuration whole again' && ok "dir1's flag is back" || not_ok "dir1's flag is back"
back=$(at_of 1 'configuration whole again') || back=0
measure "dir1's flag back $((back - deleted)) ms after its route went (its next full pass: reconcile_interval 5 s)"
is "dir1's kernel holds real server $only1 now" "$(in_ns dir1 ipvsadm -Ln | grep -c " ${only1//./\\.}:80 ")" 1
is "dir1's /cluster: standby, healthy, config" \
    "$(ha_cluster 1 'c["role"] + " [" + c["health"] + "] " + str("config" in c["flags"])')" "standby [] True"
sleep 3
is "dir2 stays active (no failback, despite dir1's priority 110)" "$(ha_role 2)/$(ha_role 1)" "active/standby"
client_url_ok && ok "the VIP answers through dir2" || not_ok "the VIP answers through dir2"
read -r gap _ _ < <(ha_report outage "$poll" "$added" "$(ha_ms)")
measure "the client's longest time without an answer from the first POST to the end: $gap ms"

kill "$poller" 2>/dev/null || true
wait "$poller" 2>/dev/null || true
ha_story ' (ha: (became|STEPDOWN|configuration|IPVS)|reconcile: service .bad.|repl: replication: (following|connection))'
ha_down
trap - ERR
echo "$n_ok passed, $n_fail failed"
((n_fail == 0))
