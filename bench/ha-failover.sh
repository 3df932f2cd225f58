#!/bin/bash
# Failover of a director pair in a real kernel: Fulcrum's (process killed, node cut, switchover)
# against keepalived's VRRP pair (defaults, fastest timers) on the same VIP and client, the
# heartbeat's CPU, and role changes under 1% and 5% heartbeat loss. Prints numbers; asserts
# nothing, but fails when a failover did not happen.
#
# A guest script for the real-kernel rig (two director namespaces, tests/vm/lib/ha.sh); run on
# the host, with keepalived installed there (the guest runs the host's binaries):
#     flock /work/rig.lock tests/vm/run.sh --timeout 4200 bench/ha-failover.sh
# (about 55 minutes with the defaults; bench/README.md splits it in two runs with wrappers)
# The numbers come back in tests/vm/results/ha-failover/guest.log (bench/README.md, "Failover").
#
# Environment (the rig does not pass the host's: export them in a wrapper that sources this file):
#   BENCH_ROUNDS        20   failovers of each kind
#   BENCH_LOSS_SECONDS  600  seconds of 1% heartbeat loss, then as many of 5%
#   BENCH_CPU_SECONDS   60   seconds of an idle pair, then of standalone fulcrumds, for the CPU
#   BENCH_PARTS         "fulcrum loss cpu keepalived"  what to run (the order is fixed)
#   BENCH_KA_TIMERS     "default fastest"  keepalived's timer sets: advert_int 1 (VRRPv2, its
#                       defaults) and advert_int 0.01 with VRRPv3 (the smallest 2.2.7 accepts)
#   BENCH_FD_TIMERS     ""   Fulcrum's timers, settings separated by ';' (e.g. "ha_interval = 10;
#                            ha_deadtime = 30", its fastest); empty: the defaults
#   BENCH_FD_KINDS      "kill cut switch"  Fulcrum's kinds of failover
#
# What is measured, all by the guest's one clock: the kill's instant (bash's EPOCHREALTIME, no
# process start), fulcrumd's own log lines (detection: the peer's silence when it was declared
# dead, or STEPDOWN sent to the role change; the role change to VIPs added and to the first
# gratuitous ARP), the kernel's address events (`ip -ts monitor`: when the VIP appeared on the
# new node, for keepalived too) and a client connecting to the VIP every ~10 ms (tests/vm/lib/ha.sh).
# The old active (or master) is restarted as standby (backup) after each failover, so the
# direction alternates. bench/ha_failover_report.py turns the records into the tables.
# shellcheck disable=SC2153 # FULCRUM_TOP and SCENARIO_TMP come from the rig
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/ha.sh
. "$FULCRUM_TOP/tests/vm/lib/ha.sh"

rounds=${BENCH_ROUNDS:-20}
loss_s=${BENCH_LOSS_SECONDS:-600}
cpu_s=${BENCH_CPU_SECONDS:-60}
parts=" ${BENCH_PARTS:-fulcrum loss cpu keepalived} "
ka_timers=${BENCH_KA_TIMERS:-default fastest}
fd_kinds=${BENCH_FD_KINDS:-kill cut switch}
fd_timers=()
IFS=';' read -r -a fd_timers <<<"${BENCH_FD_TIMERS:-}"
fd_label=${BENCH_FD_TIMERS:+"timers: ${BENCH_FD_TIMERS}"}
fd_label=${fd_label:-"default timers (interval 50 ms, deadtime 300 ms)"}
out=$SCENARIO_TMP/bench
mkdir -p "$out"
records=$out/rounds.txt
: >"$records"
summary=()

say() { printf '%s\n' "$*"; }
want() { [[ $parts == *" $1 "* ]]; }
# Unix ms without a process (a process start costs 0.1-1 s under TCG)
now_ms() { local t=${EPOCHREALTIME/./}; printf '%s' "${t:0:-3}"; }
prio() { echo $((120 - 10 * $1)); } # dir1 110, dir2 100
trap 'for n in 1 2; do echo "--- dir$n log (tail)"; tail -n 30 "${HA_LOG[$n]:-/dev/null}"; tail -n 20 "$HA_DIR/dir$n/keepalived.log" 2>/dev/null; done' ERR

command -v keepalived >/dev/null || ! want keepalived ||
    fail "keepalived is not installed on the host (apt-get install -y keepalived): the guest runs the host's binaries"

# The client, connecting to the VIP every ~10 ms, into POLL (a new file each time it starts)
POLL="" POLLER=""
poller_start() { # NAME
    POLL=$out/poll-$1.txt
    bg_in_ns client "$out/poller.log" python3 -c "$HA_POLLER_PY" "$HA_VIP" 80 "$POLL"
    POLLER=$BG_PID
    wait_for 30 grep -q ' ok$' "$POLL" || fail "the client never got an answer through $HA_VIP"
}
poller_stop() { kill "$POLLER" 2>/dev/null || true; wait "$POLLER" 2>/dev/null || true; POLLER=""; }
# The client's last try answered and began after T (Unix ms)
answered_after() { # T
    local t s
    read -r t s < <(tail -n 1 "$POLL") || return 1
    [[ $s == ok && $t -gt $1 ]]
}

ha_topo_up
ha_monitor 1
ha_monitor 2
# the links' events too, with the kernel's timestamps: a cut's instant is when eth-cl went down
for n in 1 2; do bg_in_ns "dir$n" "$HA_DIR/link-dir$n.txt" ip -ts monitor link; done
say "machine: $(nproc) vCPU TCG guest, $(uname -r); rounds $rounds, loss $loss_s s a level, cpu $cpu_s s; parts:$parts"
say "keepalived: $(keepalived --version 2>&1 | head -n 1)"

# ---- Fulcrum's pair ---------------------------------------------------------------------------
if want fulcrum || want loss || want cpu; then
    ha_start 1 "ha_priority = $(prio 1)" "${fd_timers[@]}"
    ha_start 2 "ha_priority = $(prio 2)" "${fd_timers[@]}"
    wait_for 15 ha_is 1 active || fail "dir1 did not become active (role '$(ha_role 1)')"
    wait_for 10 ha_is 2 standby || fail "dir2 did not become standby (role '$(ha_role 2)')"
    wait_for 10 in_ns dir2 ipvsadm -Ln -t "$HA_VIP:80" || fail "the standby's IPVS is not programmed"
    poller_start fulcrum
fi

one_active() { { ha_is 1 active && ha_is 2 standby; } || { ha_is 2 active && ha_is 1 standby; }; }
# One failover of Fulcrum's pair, KIND kill|cut|switch, then the old active restarted as standby.
# Returns 2 (nothing recorded) when the standby had taken the role by itself before the kill (a
# flap, as timers as short as keepalived's fastest make under TCG); a restarted node that takes
# the role back is logged, and the next round starts from the roles as they are.
fd_round() { # KIND
    local kind=$1 a=1 s t_start t_kill t_restart t_end t changed
    wait_for 10 one_active || fail "before a $kind round: no single active: dir1 $(ha_role 1), dir2 $(ha_role 2)"
    ha_is 1 active || a=2
    s=$((3 - a))
    t=$(now_ms)
    wait_for 10 answered_after "$t" || fail "the client got no answer before a $kind round"
    t_start=$(now_ms) t_kill=$t_start
    case $kind in
    kill) ha_kill "$a" KILL ;;
    cut) # the node is dead when its links are: the report takes the kernel's time of it
        printf 'link set eth-cl down\nlink set eth-rs down\n' | ip -n "dir$a" -batch -
        t_kill=$(now_ms)
        ha_kill "$a" KILL
        ;;
    switch)
        ha_post "$a" /cluster/switchover '{}' >"$out/switchover.txt"
        grep -q 'HTTP 200' "$out/switchover.txt" || fail "switchover on dir$a refused: $(cat "$out/switchover.txt")"
        ;;
    esac
    wait_for 10 ha_is "$s" active || fail "$kind: dir$s did not take over within 10 s (role '$(ha_role "$s")')"
    wait_for 10 answered_after "$t_kill" || fail "$kind: the client got no answer within 10 s of the takeover"
    changed=$(ha_report at "${HA_LOG[$s]}" ' ha: became active')
    sleep 0.5
    t_restart=$(now_ms)
    case $kind in
    cut) printf 'link set eth-cl up\nlink set eth-rs up\n' | ip -n "dir$a" -batch - ;&
    kill) HA_KEEP_DB=1 ha_start "$a" "ha_priority = $(prio "$a")" "${fd_timers[@]}" ;;
    esac
    if ! wait_for 15 ha_is "$a" standby; then
        wait_for 10 one_active || fail "$kind: after dir$a's restart dir$a is $(ha_role "$a"), dir$s $(ha_role "$s")"
        log "fulcrum-$kind: flap: the restarted dir$a took the role back (dir$a $(ha_role "$a"), dir$s $(ha_role "$s"))"
    fi
    sleep 1
    t_end=$(now_ms)
    if ((changed < t_start)); then
        log "fulcrum-$kind: flap: dir$s became active $((t_start - changed)) ms before dir$a was killed: not counted, again"
        return 2
    fi
    echo "fulcrum-$kind $a $s $t_start $t_kill $t_restart $t_end $POLL" >>"$records"
    log "fulcrum-$kind dir$a>dir$s: role change $((changed - t_kill)) ms after the $kind"
}

if want fulcrum; then
    say ""
    say "=== Fulcrum: $rounds failovers of each kind, $fd_label ==="
    fd_tries=0
    for kind in $fd_kinds; do
        for ((r = 1; r <= rounds; )); do
            fd_tries=$((fd_tries + 1))
            ((fd_tries <= 3 * rounds)) || fail "Fulcrum: $fd_tries rounds and still not $rounds without a flap"
            rc=0
            fd_round "$kind" || rc=$?
            ((rc == 2)) || r=$((r + 1))
        done
    done
    actives=$(cat "${HA_LOG[1]}" "${HA_LOG[2]}" | grep -c ' ha: became active' || true)
    line="Fulcrum ($fd_label): $actives role changes to active in $fd_tries failovers, the first start's included (more: it flapped; $((fd_tries - $(wc -w <<<"$fd_kinds") * rounds)) rounds found the roles swapped before the kill and were run again)"
    say "$line"
    summary+=("$line")
fi

# ---- heartbeat loss, both directors, both paths: role changes ----------------------------------
if want loss; then
    say ""
    say "=== Fulcrum: heartbeats (UDP 694) lost at 1% then 5%, $loss_s s each, both directors, both paths ==="
    before=$(ha_report count 0 99999999999999 ' ha: became' "${HA_LOG[1]}" "${HA_LOG[2]}")
    ha_hb_loss 1 1 >/dev/null
    ha_hb_loss 2 1 >/dev/null
    from=$(now_ms)
    sleep "$loss_s"
    d1=$(ha_hb_loss 1 5) d2=$(ha_hb_loss 2 5)
    mid=$(now_ms)
    sleep "$loss_s"
    e1=$(ha_hb_loss 1 0) e2=$(ha_hb_loss 2 0)
    to=$(now_ms)
    for lvl in 1 5; do
        if [[ $lvl == 1 ]]; then lo=$from hi=$mid dr1=$d1 dr2=$d2; else lo=$mid hi=$to dr1=$((e1 - d1)) dr2=$((e2 - d2)); fi
        changes=$(ha_report count "$lo" "$hi" ' ha: became' "${HA_LOG[1]}" "${HA_LOG[2]}")
        dead=$(ha_report count "$lo" "$hi" ' ha: peer .* is dead' "${HA_LOG[1]}" "${HA_LOG[2]}")
        late=$(ha_report count "$lo" "$hi" 'woke .* late' "${HA_LOG[1]}" "${HA_LOG[2]}")
        read -r gap _ _ < <(ha_report outage "$POLL" "$lo" "$hi")
        line="$lvl% loss for $(((hi - lo) / 1000)) s: $changes role changes, $dead peers declared dead; netem dropped $dr1 of dir1's and $dr2 of dir2's heartbeats (of about $(((hi - lo) * 2 / 50)) each); $late freezes noticed; client's longest time without an answer $gap ms"
        say "$line"
        summary+=("loss: $line")
    done
    say "# role changes and deaths during the loss, both logs:"
    python3 - "$from" "$to" "${HA_LOG[1]}" "${HA_LOG[2]}" <<'EOF'
import os, re, sys
sys.path.insert(0, os.path.join(os.environ["FULCRUM_TOP"], "tests/vm/lib"))
import ha_report
lo, hi = int(sys.argv[1]), int(sys.argv[2])
rows = sorted((t, n, l) for n, p in enumerate(sys.argv[3:], 1) for t, l in ha_report.log_lines(p)
              if lo <= t <= hi and re.search(r" ha: (became|peer .* (is dead|heard again))|woke .* late", l))
for t, n, l in rows[:60]:
    print("#   dir%d %d %s" % (n, t, l))
EOF
    for n in 1 2; do
        kill -USR1 "${HA_PID[$n]}"
    done
    sleep 1
    for n in 1 2; do grep ' status: ha:' "${HA_LOG[$n]}" | tail -n 1 | cut -c25- | sed "s/^/#   dir$n: /"; done
    say "roles after the loss: dir1 $(ha_role 1), dir2 $(ha_role 2); role changes before it: $before"
fi

# ---- CPU: utime + stime of each fulcrumd and of each thread, over cpu_s seconds ----------------
# cpu_snap PID...: "pid tid policy ticks" per thread (policy 1: SCHED_FIFO, the heartbeat thread)
cpu_snap() {
    python3 -c '
import os, sys
for pid in sys.argv[1:]:
    for tid in sorted(os.listdir("/proc/%s/task" % pid), key=int):
        f = open("/proc/%s/task/%s/stat" % (pid, tid)).read().rsplit(")", 1)[1].split()
        print(pid, tid, f[38], int(f[11]) + int(f[12]))' "$@"
}
cpu_measure() { # LABEL PID...: prints a line per process and thread
    local label=$1 a b
    shift
    a=$(cpu_snap "$@")
    sleep "$cpu_s"
    b=$(cpu_snap "$@")
    python3 - "$label" "$cpu_s" "$(getconf CLK_TCK)" "$a" "$b" <<'EOF'
import sys
label, secs, hz = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
a = {(l.split()[0], l.split()[1]): l.split() for l in sys.argv[4].splitlines()}
b = {(l.split()[0], l.split()[1]): l.split() for l in sys.argv[5].splitlines()}
procs = {}
for k, v in b.items():
    d = int(v[3]) - int(a[k][3]) if k in a else int(v[3])
    procs.setdefault(k[0], []).append((d, k[1], v[2]))
for pid, th in procs.items():
    tot = sum(d for d, _, _ in th)
    print("cpu %s pid %s: %.2f s of CPU in %.0f s = %.2f%% of a CPU; threads: %s" % (
        label, pid, tot / hz, secs, 100.0 * tot / hz / secs,
        ", ".join("%s%s %.2f s" % (tid, " (SCHED_FIFO)" if pol == "1" else "", d / hz)
                  for d, tid, pol in sorted(th, reverse=True) if d)))
EOF
}

if want cpu; then
    say ""
    say "=== CPU of fulcrumd over $cpu_s s, idle (no client): the pair (default timers), then standalone ==="
    poller_stop
    sleep 2
    line=$(cpu_measure "pair (dir1 $(ha_role 1), dir2 $(ha_role 2))" "${HA_PID[1]}" "${HA_PID[2]}")
    say "$line"
    summary+=("$line")
fi

# Fulcrum's pair stops (SIGTERM: each releases its VIPs); from here on fulcrumd is standalone on
# both directors, programming IPVS and leaving the VIPs to the system (ha_standalone_vips no)
if want cpu || want keepalived; then
    [[ -n $POLLER ]] && poller_stop
    for n in 2 1; do ha_kill "$n" TERM; done
    for n in 1 2; do
        keep=0
        [[ -e $HA_DIR/dir$n/fulcrum.db ]] && keep=1 # else a fresh one, seeded as the pair's
        HA_KEEP_DB=$keep HA_STANDALONE=1 ha_start "$n" "ha_standalone_vips = no"
    done
    for n in 1 2; do ha_has_vip "$n" "$HA_VIP" && fail "dir$n still holds $HA_VIP after its fulcrumd stopped"; done
    if want cpu; then
        sleep 5
        line=$(cpu_measure "standalone (ha_standalone_vips no)" "${HA_PID[1]}" "${HA_PID[2]}")
        say "$line"
        summary+=("$line")
    fi
fi

# ---- keepalived's pair: the same VIP and gateway VIP, the same client ---------------------------
declare -A KA_PID=()
# keepalived.conf for dirN, TIMERS default (advert_int 1, VRRPv2) or fastest (0.01, VRRPv3).
# Both start BACKUP with nopreempt, so a restarted node stays backup (as Fulcrum's stickiness).
ka_conf() { # N TIMERS
    local adv=1 ver=2
    [[ $2 == fastest ]] && adv=0.01 ver=3
    cat <<EOF
global_defs {
    router_id dir$1
    vrrp_version $ver
}
vrrp_instance VI_1 {
    state BACKUP
    nopreempt
    interface eth-cl
    virtual_router_id 51
    priority $(prio "$1")
    advert_int $adv
    virtual_ipaddress {
        $HA_VIP/24 dev eth-cl
        $HA_GW/24 dev eth-rs
    }
}
EOF
}
ka_log() { echo "$HA_DIR/dir$1/keepalived.log"; }
# The state of the last "Entering ... STATE" of dirN's current keepalived run
ka_role() {
    awk '/^--- keepalived start/ { s = "" } /Entering [A-Z]+ STATE/ { sub(/.*Entering /, ""); sub(/ STATE.*/, ""); s = $0 }
         END { print s }' "$(ka_log "$1")"
}
ka_is() { [[ $(ka_role "$1") == "$2" ]]; }
ka_start() { # N TIMERS [STATE]: keepalived's VRRP process only (-P), in the foreground, logging to
    # its file; waits for it to enter STATE (default: any state)
    local d=$HA_DIR/dir$1 st=${3:-}
    ka_conf "$1" "$2" >"$d/keepalived.conf"
    printf -- '--- keepalived start %s\n' "$(date +%T.%3N)" >>"$(ka_log "$1")"
    rm -f "$d/keepalived.pid" "$d/keepalived_vrrp.pid"
    bg_in_ns "dir$1" "$(ka_log "$1")" keepalived -n -l -D -P -f "$d/keepalived.conf" \
        -p "$d/keepalived.pid" -r "$d/keepalived_vrrp.pid"
    KA_PID[$1]=$BG_PID
    wait_for 20 eval "[[ \$(ka_role $1) == ${st:-?*} ]]" ||
        fail "dir$1's keepalived did not enter ${st:-a} state within 20 s: $(tail -n 20 "$(ka_log "$1")")"
}
ka_kill() { # N SIGNAL: the VRRP child first (its parent would restart it), then the parent
    local d=$HA_DIR/dir$1 child=""
    read -r child <"$d/keepalived_vrrp.pid" || true
    # shellcheck disable=SC2086 # child may be empty
    kill "-$2" $child "${KA_PID[$1]}" 2>/dev/null || true
    wait "${KA_PID[$1]}" 2>/dev/null || true
}

one_master() { { ka_is 1 MASTER && ka_is 2 BACKUP; } || { ka_is 2 MASTER && ka_is 1 BACKUP; }; }
# One failover of keepalived's pair; returns 2 (nothing recorded) when the backup had taken the
# master role by itself before the kill (a flap: the kill then hit a backup)
ka_round() { # TIMERS KIND
    local timers=$1 kind=$2 a=1 s t_start t_kill t_restart t_end t
    wait_for 10 one_master || fail "before a $kind round: no single master: dir1 $(ka_role 1), dir2 $(ka_role 2)"
    ka_is 1 MASTER || a=2
    s=$((3 - a))
    t=$(now_ms)
    wait_for 10 answered_after "$t" || fail "the client got no answer before a keepalived $kind round"
    t_start=$(now_ms)
    [[ $kind == cut ]] && printf 'link set eth-cl down\nlink set eth-rs down\n' | ip -n "dir$a" -batch -
    t_kill=$(now_ms)
    ka_kill "$a" KILL
    wait_for 20 ka_is "$s" MASTER || fail "keepalived $timers $kind: dir$s did not become master within 20 s"
    wait_for 10 answered_after "$t_kill" || fail "keepalived $timers $kind: the client got no answer within 10 s"
    local flap=0
    ha_report event "$HA_DIR/addr-dir$s.txt" "$t_start" "^(?!Deleted).*inet ${HA_VIP//./\\.}/" >/dev/null || flap=1
    sleep 0.5
    t_restart=$(now_ms)
    [[ $kind == cut ]] && printf 'link set eth-cl up\nlink set eth-rs up\n' | ip -n "dir$a" -batch -
    ka_start "$a" "$timers" BACKUP
    sleep "$([[ $timers == default ]] && echo 4 || echo 1)" # over its master-down interval: it stays backup
    if ! { ka_is "$a" BACKUP && ka_is "$s" MASTER; }; then
        wait_for 10 one_master || fail "keepalived $timers: after dir$a's restart dir$a is $(ka_role "$a"), dir$s $(ka_role "$s")"
        log "keepalived-$timers: flap: the restarted dir$a took the master role back by itself (dir$a $(ka_role "$a"), dir$s $(ka_role "$s"))"
    fi
    t_end=$(now_ms)
    if ((flap)); then
        log "keepalived-$timers-$kind: flap: dir$s held $HA_VIP before dir$a was killed: not counted, again"
        return 2
    fi
    echo "keepalived-$timers-$kind $a $s $t_start $t_kill $t_restart $t_end $POLL" >>"$records"
    log "keepalived-$timers-$kind dir$a>dir$s"
}

if want keepalived; then
    for timers in $ka_timers; do
        say ""
        say "=== keepalived ($timers timers): $rounds failovers of each kind ==="
        sed 's/^/#   /' < <(ka_conf 1 "$timers")
        ka_start 1 "$timers"
        ka_start 2 "$timers"
        wait_for 30 one_master || fail "keepalived ($timers): no single master: dir1 $(ka_role 1), dir2 $(ka_role 2)"
        if want cpu; then # keepalived's own cost at these timers, idle, both processes of each
            sleep 2
            pids=()
            for n in 1 2; do
                pids+=("${KA_PID[$n]}" "$(cat "$HA_DIR/dir$n/keepalived_vrrp.pid")")
            done
            line=$(cpu_measure "keepalived $timers (dir1 $(ka_role 1), dir2 $(ka_role 2); parent, VRRP child)" "${pids[@]}")
            say "$line"
            summary+=("$line")
        fi
        poller_start "keepalived-$timers"
        masters0=$(cat "$(ka_log 1)" "$(ka_log 2)" | grep -c 'Entering MASTER STATE' || true)
        tries=0
        for kind in kill cut; do
            for ((r = 1; r <= rounds; )); do
                tries=$((tries + 1))
                ((tries <= 3 * rounds)) || fail "keepalived $timers: $tries rounds and still not $rounds without a flap"
                rc=0
                ka_round "$timers" "$kind" || rc=$?
                ((rc == 2)) || r=$((r + 1))
            done
        done
        masters=$(($(cat "$(ka_log 1)" "$(ka_log 2)" | grep -c 'Entering MASTER STATE' || true) - masters0))
        line="keepalived $timers: $masters transitions to MASTER in $tries failovers (more: it flapped; $((tries - 2 * rounds)) rounds found the roles swapped before the kill and were run again)"
        say "$line"
        summary+=("$line")
        poller_stop
        for n in 1 2; do ka_kill "$n" TERM; done
    done
fi

say ""
say "=== the failovers ==="
if [[ -s $records ]]; then
    python3 "$FULCRUM_TOP/bench/ha_failover_report.py" "$records" "$HA_DIR"
fi
say ""
say "=== summary ==="
printf '%s\n' "${summary[@]}"
ha_down
trap - ERR
log "done"
