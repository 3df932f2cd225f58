#!/bin/bash
# The heartbeat link: 1% loss for two minutes and forged, replayed and spoofed datagrams from a third node change no role; an outage of the heartbeats alone makes two actives, and when it heals exactly one remains.
# vm-timeout: 480 (the default 300 s is too close: runs took up to ~60% of this under TCG)
#
# What it checks and measures ("measure:" lines; times from the daemons' logs):
#   - heartbeats (UDP 694, and nothing else) leaving either director on either path are lost at
#     1% (tc netem on a band of a prio qdisc only they reach) for 120 s while a client polls the
#     VIP: no role change, no peer declared dead; how many heartbeats netem dropped;
#   - meanwhile a third node, mallory, on both bridges, sends with a raw socket and the directors'
#     own source addresses (tests/vm/lib/ha_inject.py): messages signed with a wrong key, with an
#     unknown key id, real datagrams with flipped bits, cut short, with a bad magic, a STEPDOWN
#     signed with a wrong key, real datagrams recorded earlier in dir1's namespace (AF_PACKET) and
#     sent again: older than the replay window (replayed), of dir1's epoch before it restarted
#     (old_epoch), the real STEPDOWNs of two switchovers and a shutdown; and messages with the
#     right key but another cluster's name, which show the injector's signatures are right. Each
#     target's counters (GET /cluster, counters.received) move by exactly what was sent, and
#     no role changes. Before that, dir1 restarts while mallory floods it with dir2's recorded
#     STEPDOWN of dir2's current epoch: its restored replay window takes one message of that
#     epoch before dir2's next (docs/ha.md), and the echo drops it: it echoes dir1's epoch
#     before the restart (stale_echo, counted once, logged); dir1's role history has no active
#     entry since its restart (no take-and-give-back), and it ends standby with no VIP and no
#     sync master;
#   - then every heartbeat is lost (netem 100%, both directors, both paths) while traffic flows:
#     the standby takes over after ha_deadtime, the active stays (its peer is silent): two
#     actives, the VIP still answers. The loss ends: exactly one active remains (rule 9: the
#     higher term), the loser says why, the VIP answers. Measured: detection, how long the two
#     actives lasted, the client's longest outage.
# Default timers: interval 50 ms, deadtime 300 ms, initdead 1000 ms; tie-breaker: the client.
# shellcheck disable=SC2015 # ok and not_ok always succeed: "A && ok || not_ok" is if-then-else here
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ha.sh
. "$FULCRUM_TOP/tests/vm/lib/ha.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$FULCRUM_TOP/tests/vm/lib/tap.sh"

loss_s=120
ha_logs_on_error
inject() { python3 "$FULCRUM_TOP/tests/vm/lib/ha_inject.py" "$@"; }
# dirN's received counters, "name=count ..." in the API's order
received() { ha_cluster "$1" '" ".join("%s=%d" % kv for kv in c["counters"]["received"].items())'; }

ha_topo_up mallory
ha_start 1 "ha_priority = 110"
ha_start 2 "ha_priority = 100"
wait_for 15 ha_is 1 active || fail "dir1 did not become active (role '$(ha_role 1)')"
wait_for 10 ha_is 2 standby || fail "dir2 did not become standby (role '$(ha_role 2)')"

# --- record real datagrams in dir1's namespace (path 1) across two switchovers and dir1's restart
cap=$HA_DIR/capture.jsonl
bg_in_ns dir1 "$HA_DIR/capture.log" python3 "$FULCRUM_TOP/tests/vm/lib/ha_inject.py" capture eth-cl "$cap" 90
capture=$BG_PID
wait_for 20 test -s "$cap" || fail "the capture recorded nothing: $(cat "$HA_DIR/capture.log")"
sleep 5 # over 100 heartbeats each way before the first STEPDOWN
ha_post 1 /cluster/switchover '{}' | grep -q 'HTTP 200' || fail "switchover on dir1 refused"
wait_for 5 ha_is 2 active || fail "dir2 did not take over by switchover"
sleep 1
ha_post 2 /cluster/switchover '{}' | grep -q 'HTTP 200' || fail "switchover on dir2 refused"
wait_for 5 ha_is 1 active || fail "dir1 did not take the role back by switchover"
sleep 1
ha_kill 1 TERM # a STEPDOWN (shutdown) of dir1's first epoch; dir2 takes over
wait_for 5 ha_is 2 active || fail "dir2 did not take over after dir1's SIGTERM"
# dir1 restarts under a flood of dir2's recorded STEPDOWN, of dir2's current epoch
flood=$HA_DIR/flood.txt
bg_in_ns mallory "$flood" python3 "$FULCRUM_TOP/tests/vm/lib/ha_inject.py" attack "$HA_DIR/authkeys" "$cap" \
    flood-stepdown 10.0.2.2 10.0.2.1 10
flooder=$BG_PID
sleep 1
restart=$(ha_ms)
HA_KEEP_DB=1 ha_start 1 "ha_priority = 110"
wait_for 10 ha_is 1 standby || fail "dir1 did not come back as standby"
wait "$flooder" || true
sed 's/^/#   /' "$flood"
is "dir1 restarted under the flood: dir1 standby, dir2 active" "$(ha_role 1)/$(ha_role 2)" "standby/active"
ha_has_vip 1 "$HA_VIP" && not_ok "the restarting dir1 holds no VIP" "$(ip -n dir1 -o addr show)" ||
    ok "the restarting dir1 holds no VIP"
in_ns dir1 ipvsadm -L --daemon | grep -q master && not_ok "dir1 runs no sync master" "$(in_ns dir1 ipvsadm -L --daemon)" ||
    ok "dir1 runs no sync master"
# its restored window takes the first of the flood when it comes before dir2's live heartbeat
# (one at most every 50 ms, the flood every 2 ms: nearly always): the echo, dir1's epoch before
# the restart, drops it as stale_echo. If the live heartbeat comes first, the window drops every
# recording as replayed. Either way each copy is dropped and counted, and none moves the role.
flooded=$(ha_cluster 1 '" ".join("%s=%d" % (k, c["counters"]["received"][k]) for k in ("stale_echo", "duplicate", "replayed"))')
measure "the restarting dir1 counted the flood: $flooded"
stale=$(ha_cluster 1 'c["counters"]["received"]["stale_echo"]')
is "dir1 dropped the flood: replayed or duplicate, and stale_echo at most once" \
    "$(ha_cluster 1 'int(c["counters"]["received"]["stale_echo"] <= 1 and c["counters"]["received"]["replayed"] + c["counters"]["received"]["duplicate"] > 0)')" 1
if [[ $stale == 1 ]]; then
    dropped=$(awk '/^--- fulcrumd start/ { l = "" } /dropped a STEPDOWN .*stale_echo/ { l = $0 } END { print substr(l, 25) }' "${HA_LOG[1]}")
    [[ -n $dropped ]] && ok "dir1 logs the stale_echo drop: $dropped" || not_ok "dir1 logs the stale_echo drop"
else
    measure "dir2's live heartbeat reached dir1 before the flood: its window dropped every recording as replayed"
fi
is "dir1's role history since its restart has no active entry (no take-and-give-back)" \
    "$(ha_cluster 1 "sum(1 for h in c['history'] if h['role'] == 'active' and (h['at'] or 0) >= $restart)")" 0
is "dir1's log since its restart has no 'became active'" \
    "$(awk '/^--- fulcrumd start/ { n = 0 } / ha: became active/ { n++ } END { print n + 0 }' "${HA_LOG[1]}")" 0
sleep 6 # dir1's new epoch recorded too: over 100 heartbeats
kill "$capture" 2>/dev/null || true
wait "$capture" 2>/dev/null || true
inject show "$cap" | awk '{ print $2, $3, $4, "epoch", $7 }' | sort | uniq -c | sed 's/^/#   captured: /'
is "after the switchovers and dir1's restart: dir1 standby, dir2 active" "$(ha_role 1)/$(ha_role 2)" "standby/active"

# --- 1% heartbeat loss on both directors, both paths, for loss_s seconds; mallory attacks meanwhile
poll=$HA_DIR/poll.txt
bg_in_ns client "$HA_DIR/poller.log" python3 -c "$HA_POLLER_PY" "$HA_VIP" 80 "$poll"
poller=$BG_PID
wait_for 20 grep -q ' ok$' "$poll" || fail "the poller never got an answer"
ha_hb_loss 1 1 >/dev/null
ha_hb_loss 2 1 >/dev/null
from=$(ha_ms)
log "heartbeats lost at 1% from now for $loss_s s"
sleep 3
declare -A before=() after=()
before[1]=$(received 1) before[2]=$(received 2)
cases=$HA_DIR/cases.txt
# dir1 is the standby: a forged STEPDOWN in dir2's name would make it take over
in_ns mallory python3 "$FULCRUM_TOP/tests/vm/lib/ha_inject.py" attack "$HA_DIR/authkeys" "$cap" \
    other-cluster 10.0.2.2 10.0.2.1 dir2 wrong-key 10.0.2.2 10.0.2.1 dir2 unknown-key 10.0.2.2 10.0.2.1 dir2 \
    spoofed-stepdown 10.0.2.2 10.0.2.1 dir2 bitflip 10.0.2.2 10.0.2.1 bad-magic 10.0.2.2 10.0.2.1 \
    truncated 10.0.2.2 10.0.2.1 cut-long 10.0.2.2 10.0.2.1 replay-old 10.0.2.2 10.0.2.1 \
    replay-stepdown 10.0.2.2 10.0.2.1 \
    wrong-key 10.0.1.2 10.0.1.1 dir2 spoofed-stepdown 10.0.1.2 10.0.1.1 dir2 \
    replay-epoch 10.0.2.1 10.0.2.2 replay-stepdown 10.0.2.1 10.0.2.2 replay-old 10.0.2.1 10.0.2.2 \
    wrong-key 10.0.2.1 10.0.2.2 dir1 truncated 10.0.2.1 10.0.2.2 >"$cases" 2>&1 ||
    not_ok "the injector sent every case" "$(cat "$cases")"
sed 's/^/#   /' "$cases"
sleep 2
after[1]=$(received 1) after[2]=$(received 2)
# each target's counters moved by what was sent to it, result by result
for n in 1 2; do
    want=$(awk -v dst="10.0.[12].$n" '{ x = 0; for (i = 1; i <= NF; i++) if ($i == "sent") x = $(i + 1) }
        /\(expect / && $0 ~ "to " dst " " { r = $0; sub(/.*\(expect /, "", r); sub(/\).*/, "", r); w[r] += x }
        END { for (k in w) print k "=" w[k] }' "$cases" | sort)
    got=$(python3 -c 'import sys
a = dict(kv.split("=") for kv in sys.argv[1].split())
b = dict(kv.split("=") for kv in sys.argv[2].split())
for k in sorted(sys.argv[3].split()):
    print("%s=%d" % (k, int(b[k]) - int(a[k])))' "${before[$n]}" "${after[$n]}" "$(cut -d= -f1 <<<"$want" | tr '\n' ' ')")
    is "dir$n counted every injected datagram as what it is" "$(tr '\n' ' ' <<<"$got")" "$(tr '\n' ' ' <<<"$want")"
    measure "dir$n received during the attack: $(python3 -c 'import sys
a = dict(kv.split("=") for kv in sys.argv[1].split())
b = dict(kv.split("=") for kv in sys.argv[2].split())
print(" ".join("%s +%d" % (k, int(b[k]) - int(a[k])) for k in b if int(b[k]) != int(a[k])))' "${before[$n]}" "${after[$n]}")"
done
grep -q 'other_cluster' "$cases" && ok "the injector signs as fulcrumd does (the right key, another cluster: other_cluster, not forged)"
# the rest of the two minutes; each status line near its end
while (($(ha_ms) - from < (loss_s - 3) * 1000)); do sleep 2; done
kill -USR1 "${HA_PID[1]}" "${HA_PID[2]}"
while (($(ha_ms) - from < loss_s * 1000)); do sleep 0.5; done
until_ms=$(ha_ms)

# --- every heartbeat lost, traffic still flowing: two actives; healed: one
d1=$(ha_hb_loss 1 100) # (each prints what netem dropped during the 1% loss)
d2=$(ha_hb_loss 2 100)
cut=$(ha_ms)
# the loss period's checks, by the logs' own times, while the split forms
is "no role changed during $loss_s s of 1% heartbeat loss and the attacks" \
    "$(ha_report count "$from" "$until_ms" ' ha: became' "${HA_LOG[1]}" "${HA_LOG[2]}")" 0
is "no peer declared dead during the loss" \
    "$(ha_report count "$from" "$until_ms" ' ha: peer .* is dead' "${HA_LOG[1]}" "${HA_LOG[2]}")" 0
measure "netem dropped $d1 of dir1's and $d2 of dir2's heartbeats in $(((until_ms - from) / 1000)) s" \
    "(both paths, each copy on its own; 1% of 20 a second a path is about $((loss_s * 20 * 2 / 100)))"
((d1 > 0 && d2 > 0)) && ok "heartbeats were lost on both directors ($d1, $d2)" || not_ok "netem dropped heartbeats" "$d1 $d2"
measure "freezes the nodes noticed of their own during the loss (a wake-up over an interval late):" \
    "$(ha_report count "$from" "$until_ms" 'woke .* late' "${HA_LOG[1]}" "${HA_LOG[2]}")"
read -r gap _ _ < <(ha_report outage "$poll" "$from" "$until_ms")
measure "the client's longest time without an answer during the loss: $gap ms"
for n in 1 2; do grep ' status: ha:' "${HA_LOG[$n]}" | tail -n 1 | cut -c25- | sed "s/^/#   dir$n: /"; done

wait_for 5 ha_is 1 active && ok "dir1 took over when the heartbeats stopped (dir2 still active: split)" ||
    not_ok "dir1 took over on the heartbeat outage" "role '$(ha_role 1)'"
out=$(ha_report takeover "${HA_LOG[1]}" "heartbeat outage")
at=$(head -n 1 <<<"$out")
tail -n +2 <<<"$out"
is "both active during the outage (dir1, dir2)" "$(ha_role 1)/$(ha_role 2)" "active/active"
grep -q 'peer dir1 is dead' "${HA_LOG[2]}" && ok "dir2, active, saw its peer die and stays: $(line_of 2 'peer dir1 is dead')" ||
    not_ok "dir2 saw dir1 silent"
read -r gap _ _ < <(ha_report outage "$poll" "$((at - 1000))" "$(ha_ms)")
measure "the client's longest time without an answer from the heartbeat outage to now (two actives): $gap ms"
ha_hb_loss 1 0 >/dev/null
ha_hb_loss 2 0 >/dev/null
wait_for 5 ha_is 2 standby && ok "the heartbeats are back: dir2 stepped down" || not_ok "dir2 stepped down after the heal" "role '$(ha_role 2)'"
sleep 1
is "exactly one active after the heal (dir1, dir2)" "$(ha_role 1)/$(ha_role 2)" "active/standby"
why=$(line_of 2 'became standby: two actives')
[[ -n $why ]] && ok "the loser says why: $why" || not_ok "dir2 says why it stepped down" "$(line_of 2 'became standby')"
down=$(ha_report at "${HA_LOG[2]}" 'became standby: two actives') || down=0
measure "two actives for $((down - at)) ms (dir1's takeover to dir2's step-down: the script's pace);" \
    "dir2 stepped down on the first heartbeat it heard from dir1 (the machine decides on each message)"
grep -q 'announcing them again' "${HA_LOG[1]}" && ok "dir1 announced the VIPs again: $(line_of 1 'announc.* again')" ||
    not_ok "dir1 announced the VIPs again"
sleep 1
client_url_ok && ok "the VIP answers after the heal" || not_ok "the VIP answers after the heal"
read -r gap _ _ < <(ha_report outage "$poll" "$cut" "$(ha_ms)")
measure "the client's longest time without an answer from the outage's start through the heal: $gap ms (${cut}..now)"
ha_has_vip 2 "$HA_VIP" && not_ok "dir2 released the VIPs" || ok "dir2 released the VIPs"

kill "$poller" 2>/dev/null || true
wait "$poller" 2>/dev/null || true
ha_story ' ha: (became|STEPDOWN|peer .* (dead|heard again)|two actives)'
ha_down
trap - ERR
echo "$n_ok passed, $n_fail failed"
((n_fail == 0))
