#!/bin/bash
# Runs real-kernel scenarios (tests/vm/scenarios/NAME.sh), each in its own fresh qemu guest with Debian's IPVS-enabled kernel.
#
# Usage: tests/vm/run.sh [--timeout SECONDS] [--keep] [SCENARIO...]
#   SCENARIO     a name (01-rig-ipvsadm), a file name or a path; none: every tests/vm/scenarios/*.sh, in order
#   --timeout S  kill a guest that runs longer than S seconds, boot included (default 300, or
#                the scenario's own "# vm-timeout: S" line, for the long ones)
#   --keep       also copy a passing scenario's $SCENARIO_TMP back (a failing one's always is)
#
# Per scenario, results go to $builddir/tests/vm/results/NAME/:
#   guest.log (the scenario's output), console.log (serial console), init.log
#   (module load failures), dmesg.log, exit-status, qemu.log, tmp/ (see --keep).
# Prints "PASS name (12.3 s)" or "FAIL name (...)" with the tail of the guest
# log, then "N passed, N failed"; exits 1 if any failed, 2 on a usage error.
# See tests/vm/lib/topology.sh for what a scenario can use, and
# docs/real-kernel-rig.md for the facts this relies on.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/qemu.sh
. "$here/lib/qemu.sh"

usage() { sed -n '3,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

timeout=300
timeout_given=0
keep=0
names=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --timeout)
        [[ ${2:-} =~ ^[0-9]+$ && $2 -gt 0 ]] || { usage >&2; exit 2; }
        timeout=$2; timeout_given=1; shift 2 ;;
    --timeout=*)
        timeout=${1#--timeout=}; timeout_given=1
        [[ $timeout =~ ^[0-9]+$ && $timeout -gt 0 ]] || { usage >&2; exit 2; }
        shift ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; names+=("$@"); break ;;
    -*) printf 'run.sh: unknown option %s\n' "$1" >&2; usage >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
    esac
done

scripts=()
if [[ ${#names[@]} == 0 ]]; then
    for f in "$here"/scenarios/*.sh; do
        [[ -e $f ]] && scripts+=("$f")
    done
    [[ ${#scripts[@]} -gt 0 ]] || vm_die "no scenarios in $here/scenarios"
else
    for n in "${names[@]}"; do
        if [[ $n == */* ]]; then
            scripts+=("$n")
        else
            scripts+=("$here/scenarios/${n%.sh}.sh")
        fi
    done
fi

vm_prepare

# The in-guest limit is a little shorter than ours, so a stuck scenario is
# killed inside the guest and its log still comes back.
limits() { # SCRIPT: sets limit and guest_timeout for it
    local own
    limit=$timeout
    own=$(sed -n 's/^# vm-timeout: \([0-9][0-9]*\).*/\1/p' "$1" | head -n 1)
    [[ $timeout_given == 0 && -n $own ]] && limit=$own
    local margin=$((limit / 3 < 30 ? limit / 3 : 30))
    guest_timeout=$((limit - margin))
}

qpid=""
on_signal() {
    [[ -n $qpid ]] && kill -TERM "$qpid" 2>/dev/null
    wait 2>/dev/null
    printf '\nrun.sh: interrupted\n' >&2
    exit 130
}
trap on_signal INT TERM

now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

show_tail() { # FILE N
    [[ -s $1 ]] || return 0
    printf '  --- %s (last %s lines)\n' "${1#"$VM_BUILDDIR"/}" "$2"
    tail -n "$2" "$1" | tr -d '\r' | sed 's/\x1b[[][0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/^/  | /'
}

passed=0
failed=0
for script in "${scripts[@]}"; do
    name=$(basename "$script" .sh)
    if [[ ! -f $script ]]; then
        echo "FAIL $name: no such scenario ($script)"
        failed=$((failed + 1))
        continue
    fi
    script=$(realpath "$script")
    case $script in
    "$VM_TOP"/*) ;;
    /tmp/* | /run/*) echo "FAIL $name: $script is under /tmp or /run outside the tree, which the guest does not see"
        failed=$((failed + 1)); continue ;;
    esac
    res=$VM_BUILDDIR/tests/vm/results/$name
    rm -rf "$res"
    mkdir -p "$res"
    limits "$script"
    vm_write_job "$res" "$name" "$script" "$guest_timeout" 0 "$keep"
    vm_qemu_args "$res"

    start=$(now_ms)
    set +e
    timeout -k 5 "$limit" "$VM_QEMU" "${VM_ARGS[@]}" \
        -serial "file:$res/console.log" -monitor none </dev/null >"$res/qemu.log" 2>&1 &
    qpid=$!
    wait "$qpid"
    qrc=$?
    set -e
    qpid=""
    t=$(secs $(($(now_ms) - start)))

    if [[ $qrc == 124 || $qrc == 137 ]]; then
        echo "FAIL $name: guest hung, killed after $limit s"
        show_tail "$res/guest.log" 30
        [[ -s $res/guest.log ]] || show_tail "$res/console.log" 30
        failed=$((failed + 1))
        continue
    fi
    status=$(cat "$res/exit-status" 2>/dev/null || true)
    if [[ $status == 0 ]]; then
        echo "PASS $name ($t s)"
        passed=$((passed + 1))
    else
        if [[ -z $status ]]; then
            why="guest reported no exit status; qemu exited with $qrc"
        elif [[ $status == 124 ]]; then
            why="scenario killed in the guest after $guest_timeout s"
        else
            why="exit status $status"
        fi
        echo "FAIL $name ($t s, $why)"
        show_tail "$res/guest.log" 40
        [[ -s $res/guest.log ]] || { show_tail "$res/console.log" 40; show_tail "$res/qemu.log" 10; }
        failed=$((failed + 1))
    fi
    if [[ -s $res/init.log ]]; then
        printf '  note: %s line(s) in %s\n' "$(wc -l <"$res/init.log")" "${res#"$VM_BUILDDIR"/}/init.log"
    fi
done

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
