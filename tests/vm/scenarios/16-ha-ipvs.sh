#!/bin/bash
# IPVS made unusable on the active: the kernel keeps refusing a service only the active holds; the active steps down after ha_repair_timeout, the peer serves, the old active waits in fault saying why and comes back as standby once the service is deleted.
#
# The kernel refuses a service when its scheduler's module cannot be loaded: the guest's
# ip_vs_fo is unloaded and its file deleted from the initramfs (the root the kernel's modprobe
# runs in, /proc/1/root here; each scenario boots a fresh guest), so adding a service with
# scheduler fo gets ENOENT. Configuration is not replicated: a service added through dir1's API
# is dir1's only, so dir2 stays healthy. What it checks and measures ("measure:" lines; times
# from the daemons' logs and a client's tries through the VIP):
#   - the active's commit of the service is refused and logged; the next full pass
#     (reconcile_interval 5 s) refuses it again, and only then does the IPVS flag go down,
#     with the object and the kernel's reason in the log and in /cluster's health;
#   - ha_repair_timeout (3 s) later, the peer healthy, dir1 steps down to fault (reason
#     "IPVS unusable for N ms, not repaired"), dir2 takes over; the client's longest time
#     without an answer;
#   - dir1 stays in fault past its hold while the kernel still refuses, /cluster saying why,
#     and dir2 sees it in fault;
#   - the same service added on dir2, now active: its flag goes down too, and with its peer in
#     fault it stays active past ha_repair_timeout, /cluster's blocked saying why; deleted again;
#   - the service deleted through dir1's API: the flag comes back, dir1 becomes an eligible
#     standby, dir2 stays active (no failback).
# shellcheck disable=SC2015 # ok and not_ok always succeed: "A && ok || not_ok" is if-then-else here
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ha.sh
. "$FULCRUM_TOP/tests/vm/lib/ha.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$FULCRUM_TOP/tests/vm/lib/tap.sh"

trap 'for n in 1 2; do echo "--- dir$n log (tail)"; tail -n 40 "${HA_LOG[$n]:-/dev/null}"; done' ERR
measure() { printf 'measure: %s\n' "$*"; }
line_of() { grep -E -- "$2" "${HA_LOG[$1]}" | tail -n 1 | cut -c25-; } # N REGEX: the line, without its time
at_of() { ha_report at "${HA_LOG[$1]}" "$2"; }                           # N REGEX: its Unix ms

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
is "dir1's IPVS flag is up" "$(ha_cluster 1 '"ipvs" in c["flags"]')" True
poll=$HA_DIR/poll.txt
bg_in_ns client "$HA_DIR/poller.log" python3 -c "$HA_POLLER_PY" "$HA_VIP" 80 "$poll"
poller=$BG_PID
wait_for 20 grep -q ' ok$' "$poll" || fail "the poller never got an answer"
sleep 1

# --- a service only dir1 holds, which its kernel refuses
added=$(ha_ms)
resp=$(ha_post 1 /services "{\"name\": \"bad\", \"address\": \"$HA_VIP\", \"port\": 81, \"protocol\": \"tcp\", \"scheduler\": \"$sched\"}")
[[ $resp == *"HTTP 201"* ]] && ok "dir1's API took service 'bad' (scheduler $sched)" || fail "POST /services on dir1: $resp"
id=$(head -n 1 <<<"$resp" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
refused_re="service 'bad': scheduler '$sched' is not available in this kernel"
wait_for 5 grep -q "$refused_re" "${HA_LOG[1]}" && ok "dir1 logs the refusal: $(line_of 1 "$refused_re")" ||
    not_ok "dir1 logs the kernel's refusal"
kstate() { ha_api 1 "/services/$id" | python3 -c 'import json, sys; s = json.load(sys.stdin)["status"]; print(s["kernel_state"] + ": " + s["kernel_reason"])'; }
is "dir1's API: the service's kernel state" "$(kstate)" "error: scheduler '$sched' is not available in this kernel"
lost_re='IPVS unusable: this node cannot serve: reconcile: the kernel refuses service'
wait_for 10 grep -q "$lost_re" "${HA_LOG[1]}" && ok "dir1's IPVS flag went down: $(line_of 1 "$lost_re")" ||
    not_ok "dir1's IPVS flag went down"
refused=$(at_of 1 "$refused_re") || refused=0
lost=$(at_of 1 "$lost_re") || lost=0
measure "the commit's refusal $((refused - added)) ms after the POST; the IPVS flag down $((lost - refused)) ms after it" \
    "(the next full pass refused it again: reconcile_interval 5 s, read every second)"
health=$(ha_cluster 1 'c["health"]')
[[ $health == "IPVS unusable: reconcile: the kernel refuses service 'bad' (TCP $HA_VIP:81): scheduler '$sched'"* ]] &&
    ok "dir1's /cluster health says why: $health" || not_ok "dir1's /cluster health says why" "$health"

# --- after ha_repair_timeout it steps down; dir2 takes over
wait_for 10 ha_is 2 active && ok "dir2 took over" || not_ok "dir2 took over" "role '$(ha_role 2)'"
wait_for 5 ha_is 1 fault && ok "dir1 stepped down to fault" || not_ok "dir1 is in fault" "role '$(ha_role 1)'"
why=$(line_of 1 'became fault')
[[ $why == *"IPVS unusable for "*" ms, not repaired: peer dir2 takes over"* ]] && ok "dir1 says why: $why" ||
    not_ok "dir1 stepped down for IPVS" "$why"
down=$(at_of 1 'STEPDOWN \(failure\) sent') || down=0
out=$(ha_report takeover "${HA_LOG[2]}" "IPVS refused on the active")
at=$(head -n 1 <<<"$out")
tail -n +2 <<<"$out"
measure "dir1 stepped down $((down - lost)) ms after its IPVS flag went down (ha_repair_timeout 3000 ms)," \
    "$((down - added)) ms after the POST; dir2 active $((at - down)) ms after the STEPDOWN"
((down - lost >= 3000 && down - lost < 4500)) && ok "the step-down came after ha_repair_timeout ($((down - lost)) ms)" ||
    not_ok "the step-down came 3 to 4.5 s after the flag went down" "$((down - lost)) ms"
sleep 1
read -r gap _ _ < <(ha_report outage "$poll" "$((down - 2000))" "$((at + 1000))")
measure "the client's longest time without an answer around the takeover: $gap ms"
((gap < 1000)) && ok "the client kept getting answers ($gap ms at most without one)" ||
    not_ok "the client's outage under a second" "$gap ms"
in_ns client curl -s --max-time 2 "http://$HA_VIP/" | grep -q '^rs[12]$' && ok "the VIP answers through dir2" ||
    not_ok "the VIP answers through dir2"
ha_has_vip 1 "$HA_VIP" && not_ok "dir1 released the VIP" || ok "dir1 released the VIP"

# --- dir1 waits in fault past its hold (ha_repair_timeout) while the kernel still refuses
while (($(ha_ms) < down + 4500)); do sleep 0.2; done
is "dir1 still in fault after its hold, the service still refused" "$(ha_role 1)" fault
is "dir1's /cluster: role and health" "$(ha_cluster 1 'c["role"] + " / " + c["health"][:40]')" \
    "fault / IPVS unusable: reconcile: the kernel ref"
is "dir2 sees dir1 in fault without the ipvs flag" \
    "$(ha_cluster 2 'c["peer"]["role"] + " " + str("ipvs" in c["peer"]["flags"])')" "fault False"
is "the standby's kernel never had the service" "$(in_ns dir2 ipvsadm -Ln | grep -c ":81 ")" 0

# --- the same service on dir2 too: neither is healthy for the other, the active stays
resp=$(ha_post 2 /services "{\"name\": \"bad\", \"address\": \"$HA_VIP\", \"port\": 81, \"protocol\": \"tcp\", \"scheduler\": \"$sched\"}")
[[ $resp == *"HTTP 201"* ]] || fail "POST /services on dir2: $resp"
id2=$(head -n 1 <<<"$resp" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
wait_for 10 grep -q "$lost_re" "${HA_LOG[2]}" && ok "dir2's IPVS flag went down too" || not_ok "dir2's IPVS flag went down"
lost2=$(at_of 2 "$lost_re") || lost2=0
while (($(ha_ms) < lost2 + 4500)); do sleep 0.2; done
is "dir2 stays active past ha_repair_timeout, its peer in fault" "$(ha_role 2)/$(ha_role 1)" "active/fault"
blocked=$(ha_cluster 2 'c["blocked"]')
[[ $blocked == "IPVS unusable for "*" ms, but peer dir1 cannot serve (IPVS unusable): staying active" ]] &&
    ok "dir2's /cluster says what blocks the step-down: $blocked" || not_ok "dir2's /cluster blocked" "$blocked"
in_ns client curl -s --max-time 2 "http://$HA_VIP/" | grep -q '^rs[12]$' && ok "the VIP still answers through dir2" ||
    not_ok "the VIP still answers through dir2"
resp=$(ha_delete 2 "/services/$id2")
[[ $resp == *"HTTP 204"* ]] || not_ok "DELETE /services/$id2 on dir2" "$resp"
wait_for 5 grep -q 'IPVS usable again' "${HA_LOG[2]}" && ok "dir2's IPVS flag is back" || not_ok "dir2's IPVS flag is back"

# --- the service deleted: the flag comes back, dir1 an eligible standby, no failback
deleted=$(ha_ms)
resp=$(ha_delete 1 "/services/$id")
answered=$(ha_ms)
[[ $resp == *"HTTP 204"* ]] && ok "service 'bad' deleted through dir1's API" || not_ok "DELETE /services/$id on dir1" "$resp"
wait_for 5 grep -q 'IPVS usable again' "${HA_LOG[1]}" && ok "dir1's IPVS flag is back" || not_ok "dir1's IPVS flag is back"
wait_for 5 ha_is 1 standby && ok "dir1 left fault for standby: $(line_of 1 'became standby')" ||
    not_ok "dir1 became standby" "role '$(ha_role 1)'"
back=$(at_of 1 'IPVS usable again') || back=0
left=$(at_of 1 'became standby') || left=0
measure "the flag back $((back - deleted)) ms after the DELETE was sent ($((answered - deleted)) ms to its answer under TCG;" \
    "the daemon reads the flag every second); dir1 standby $((left - back)) ms later"
is "dir1's /cluster: standby, healthy" "$(ha_cluster 1 'c["role"] + " [" + c["health"] + "]"')" "standby []"
is "dir2 sees dir1 as a standby with the ipvs flag" \
    "$(ha_cluster 2 'c["peer"]["role"] + " " + str("ipvs" in c["peer"]["flags"])')" "standby True"
sleep 2
is "dir2 stays active (no failback)" "$(ha_role 2)/$(ha_role 1)" "active/standby"
read -r gap _ _ < <(ha_report outage "$poll" "$added" "$(ha_ms)")
measure "the client's longest time without an answer from the POST to the end: $gap ms"

kill "$poller" 2>/dev/null || true
wait "$poller" 2>/dev/null || true
echo "# the story, both logs:"
grep -hE ' (ha: (became|STEPDOWN|IPVS)|reconcile: service .bad.)' "${HA_LOG[1]}" "${HA_LOG[2]}" |
    sort | cut -c12- | sed 's/^/#   /'
ha_down
trap - ERR
echo "$n_ok passed, $n_fail failed"
((n_fail == 0))
