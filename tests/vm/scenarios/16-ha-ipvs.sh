#!/bin/bash
# The kernel refusing a service: the active hands over to a peer whose kernel holds all its configuration and stays an eligible standby; the same service refused on both, the active stays, and when it dies the standby takes over anyway; fixed, no failback.
# vm-timeout: 420 (the default 300 s is too close: runs took up to ~60% of this under TCG)
#
# The kernel refuses a service when its scheduler's module cannot be loaded: the guest's
# ip_vs_fo is unloaded and its file deleted from the initramfs (the root the kernel's modprobe
# runs in, /proc/1/root here; each scenario boots a fresh guest), so adding a service with
# scheduler fo gets ENOENT. Configuration is not replicated: a service added through one
# director's API is that director's only. What it checks and measures ("measure:" lines; times
# from the daemons' logs and a client's tries through the VIP):
#   - the active's commit of the service is refused and logged; the next full pass
#     (reconcile_interval 5 s) refuses it again, and only then does its configuration flag go
#     down (not the IPVS flag), the object and the kernel's reason in the log and /cluster;
#   - ha_repair_timeout (3 s) later, the peer holding all of its own, dir1 steps down to
#     STANDBY (not fault: it serves all the rest, and stays eligible), saying why; dir2 takes
#     over; the client's longest time without an answer;
#   - the same service added on dir2, now active: its flag goes down too, and with its peer
#     lacking it as well it stays active past ha_repair_timeout, /cluster's blocked saying why;
#     the VIP answers;
#   - dir2 dies (links down, fulcrumd SIGKILLed) while both lack the flag: dir1 takes over all
#     the same (the case one IPVS flag broke: the standby was in fault), the VIP answers;
#   - dir2 restarted, its service still in its database: a standby lacking the flag, dir1
#     stays; dir2's service deleted: its flag back, dir1 hands over to it (rule 1 again);
#     dir1's deleted: its flag back, it stays standby (no failback, despite priority 110). A
#     standby's API refuses writes (docs/ha.md, "Writes on the standby"): each standby's service
#     is deleted on its database with fulcrumctl --db --force, which its fulcrumd reloads.
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

# --- the kernel loses the fo scheduler: unloaded, and its module file gone from the root the
# kernel's modprobe runs in (the initramfs: /init stays PID 1, the scenario runs chrooted)
sched=fo
if [[ -d /sys/module/ip_vs_$sched ]]; then
    rmmod "ip_vs_$sched" || fail "cannot unload ip_vs_$sched"
fi
mods=/proc/1/root/lib/modules/$(uname -r)
find "$mods" -name "ip_vs_$sched.ko*" -print -delete | sed 's/^/# deleted /'

ha_topo_up
# the client's namespace has IPVS too: the kernel's answer there, before any director asks
if err=$(in_ns client ipvsadm -A -t 10.9.9.9:9 -s "$sched" 2>&1); then
    in_ns client ipvsadm -D -t 10.9.9.9:9 || true
    fail "the kernel still takes scheduler $sched"
fi
ok "the kernel refuses scheduler $sched now (ipvsadm: $err; dmesg: $(dmesg | grep "ip_vs_$sched not found" | tail -n 1 | cut -c16-))"
ha_start 1 "ha_priority = 110"
ha_start 2 "ha_priority = 100"
wait_for 15 ha_is 1 active || fail "dir1 did not become active (role '$(ha_role 1)')"
wait_for 10 ha_is 2 standby || fail "dir2 did not become standby (role '$(ha_role 2)')"
is "dir1 active, dir2 standby" "$(ha_role 1)/$(ha_role 2)" "active/standby"
flags_up() { [[ $(ha_cluster 1 '"ipvs" in c["flags"] and "config" in c["flags"]') == True ]]; }
wait_for 5 flags_up && ok "dir1's IPVS and configuration flags are up" ||
    not_ok "dir1's IPVS and configuration flags are up" "$(ha_cluster 1 'c["flags"]')"
poll=$HA_DIR/poll.txt
bg_in_ns client "$HA_DIR/poller.log" python3 -c "$HA_POLLER_PY" "$HA_VIP" 80 "$poll"
poller=$BG_PID
wait_for 20 grep -q ' ok$' "$poll" || fail "the poller never got an answer"
sleep 1

# --- a service only dir1 holds, which its kernel refuses
bad_json="{\"name\": \"bad\", \"address\": \"$HA_VIP\", \"port\": 81, \"protocol\": \"tcp\", \"scheduler\": \"$sched\"}"
added=$(ha_ms)
resp=$(ha_post 1 /services "$bad_json")
[[ $resp == *"HTTP 201"* ]] && ok "dir1's API took service 'bad' (scheduler $sched)" || fail "POST /services on dir1: $resp"
id=$(head -n 1 <<<"$resp" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
refused_re="service 'bad': scheduler '$sched' is not available in this kernel"
wait_for 5 grep -q "$refused_re" "${HA_LOG[1]}" && ok "dir1 logs the refusal: $(line_of 1 "$refused_re")" ||
    not_ok "dir1 logs the kernel's refusal"
kstate() { ha_api 1 "/services/$id" | python3 -c 'import json, sys; s = json.load(sys.stdin)["status"]; print(s["kernel_state"] + ": " + s["kernel_reason"])'; }
is "dir1's API: the service's kernel state" "$(kstate)" "error: scheduler '$sched' is not available in this kernel"
lost_re="ha: configuration refused: service 'bad' \(TCP $HA_VIP:81\): scheduler '$sched'"
wait_for 10 grep -qE "$lost_re" "${HA_LOG[1]}" && ok "dir1's configuration flag went down: $(line_of 1 "$lost_re")" ||
    not_ok "dir1's configuration flag went down"
refused=$(at_of 1 "$refused_re") || refused=0
lost=$(at_of 1 "$lost_re") || lost=0
measure "the commit's refusal $((refused - added)) ms after the POST; the configuration flag down $((lost - refused)) ms" \
    "after it (the next full pass refused it again: reconcile_interval 5 s, read every second)"
is "dir1's flags: IPVS usable, configuration not whole" \
    "$(ha_cluster 1 'str("ipvs" in c["flags"]) + " " + str("config" in c["flags"])')" "True False"
health=$(ha_cluster 1 'c["health"]')
[[ $health == "configuration refused: service 'bad' (TCP $HA_VIP:81): scheduler '$sched'"* ]] &&
    ok "dir1's /cluster health says why: $health" || not_ok "dir1's /cluster health says why" "$health"
grep -q 'IPVS unusable' "${HA_LOG[1]}" && not_ok "the IPVS flag stays up" "$(line_of 1 'IPVS unusable')" ||
    ok "the IPVS flag stays up"

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
is "the new active's kernel never had the service" "$(in_ns dir2 ipvsadm -Ln | grep -c ":81 ")" 0

# --- the same service on dir2 too: both lack the flag, the active stays
resp=$(ha_post 2 /services "$bad_json")
[[ $resp == *"HTTP 201"* ]] || fail "POST /services on dir2: $resp"
id2=$(head -n 1 <<<"$resp" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
wait_for 12 grep -qE "$lost_re" "${HA_LOG[2]}" && ok "dir2's configuration flag went down too" ||
    not_ok "dir2's configuration flag went down"
lost2=$(at_of 2 "$lost_re") || lost2=0
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
[[ $why == *"though this node's kernel refuses part of its configuration: service 'bad'"* ]] &&
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

# --- dir2 back, its service still in its database: a standby lacking the flag; dir1 stays
printf 'link set eth-cl up\nlink set eth-rs up\n' | ip -n dir2 -batch -
HA_KEEP_DB=1 ha_start 2 "ha_priority = 100"
wait_for 10 ha_is 2 standby && ok "dir2 back as standby" || not_ok "dir2 back as standby" "role '$(ha_role 2)'"
wait_for 12 in_run 2 "$lost_re" && ok "dir2's flag down again after its first pass" ||
    not_ok "dir2's flag down after its restart"
sleep 1
is "dir1 stays active: the restarted dir2 lacks the flag too" "$(ha_role 1)/$(ha_role 2)" "active/standby"

# --- dir2's service deleted: its flag back, dir1 hands over to it (it lacked the flag for long)
# dir2 is standby: its API refuses writes (docs/ha.md); until replication brings the active's
# configuration, a standby's own is fixed on its database, forced
resp=$(ha_delete 2 "/services/$id2")
[[ $resp == *"HTTP 503"* ]] && ok "the standby dir2's API refuses the DELETE (503)" || not_ok "DELETE on the standby dir2: 503" "$resp"
out=$("$FULCRUM_TOP/fulcrumctl" --db "$HA_DIR/dir2/fulcrum.db" --force service delete "$id2" 2>&1) &&
    ok "service 'bad' deleted on dir2's database (fulcrumctl --db --force): $out" || not_ok "fulcrumctl --db --force service delete on dir2" "$out"
wait_for 5 in_run 2 'configuration whole again' && ok "dir2's flag is back" || not_ok "dir2's flag is back"
wait_for 5 ha_is 2 active && ok "dir2 took over from dir1, which still lacks the flag" ||
    not_ok "dir2 took over" "role '$(ha_role 2)'"
back2=$(at_of 2 'configuration whole again') || back2=0
handed=$(at_of 1 'STEPDOWN \(failure\) sent') || handed=0
measure "dir1 stepped down $((handed - back2)) ms after dir2's flag came back (dir1 had lacked its own past ha_repair_timeout)"
wait_for 3 ha_is 1 standby && ok "dir1 standby again: $(line_of 1 'ha: became standby')" || not_ok "dir1 standby" "role '$(ha_role 1)'"

# --- dir1's service deleted: its flag back, no failback
resp=$(ha_delete 1 "/services/$id")
[[ $resp == *"HTTP 503"* ]] && ok "the standby dir1's API refuses the DELETE (503)" || not_ok "DELETE on the standby dir1: 503" "$resp"
deleted=$(ha_ms)
out=$("$FULCRUM_TOP/fulcrumctl" --db "$HA_DIR/dir1/fulcrum.db" --force service delete "$id" 2>&1) &&
    ok "service 'bad' deleted on dir1's database (fulcrumctl --db --force): $out" || not_ok "fulcrumctl --db --force service delete on dir1" "$out"
answered=$(ha_ms)
wait_for 5 grep -q 'configuration whole again' "${HA_LOG[1]}" && ok "dir1's flag is back" || not_ok "dir1's flag is back"
back=$(at_of 1 'configuration whole again') || back=0
measure "dir1's flag back $((back - deleted)) ms after fulcrumctl --db --force started ($((answered - deleted)) ms to its end under TCG;" \
    "the daemon rereads the database and reads the flag every second)"
is "dir1's /cluster: standby, healthy, config" \
    "$(ha_cluster 1 'c["role"] + " [" + c["health"] + "] " + str("config" in c["flags"])')" "standby [] True"
sleep 3
is "dir2 stays active (no failback, despite dir1's priority 110)" "$(ha_role 2)/$(ha_role 1)" "active/standby"
client_url_ok && ok "the VIP answers through dir2" || not_ok "the VIP answers through dir2"
read -r gap _ _ < <(ha_report outage "$poll" "$added" "$(ha_ms)")
measure "the client's longest time without an answer from the first POST to the end: $gap ms"

kill "$poller" 2>/dev/null || true
wait "$poller" 2>/dev/null || true
ha_story ' (ha: (became|STEPDOWN|configuration|IPVS)|reconcile: service .bad.)'
ha_down
trap - ERR
echo "$n_ok passed, $n_fail failed"
((n_fail == 0))
