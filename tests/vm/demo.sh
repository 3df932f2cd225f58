#!/bin/bash
# Boots the real-kernel rig and runs tests/vm/scenarios-demo/demo.sh in it: fulcrumd's log and `ipvsadm -Ln` stream to the console until Ctrl-C or --for.
#
# Usage: tests/vm/demo.sh [--for SECONDS] [--interval SECONDS] [--port PORT] [--snmp-port PORT]
#   --for S       stop by itself after S seconds (default: run until Ctrl-C or SIGTERM)
#   --interval S  seconds between two `ipvsadm -Ln` (default 5)
#   --port P      the host loopback port that reaches the API and page (default 8080)
#   --snmp-port P the host loopback port that reaches the guest's snmpd, SNMP over TCP (default 16161)
# Ctrl-C (or SIGINT/SIGTERM) asks the guest to stop fulcrumd and power off; a
# guest that does not within 20 s is killed; a second Ctrl-C kills it at once.
# Exits 0 when stopped that way; 1 if the guest side failed (e.g. the topology).
# Works without a TTY. Logs: $builddir/tests/vm/results/demo/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/qemu.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/qemu.sh"

usage() { sed -n '4,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

for_s=0
interval=5
port=8080
snmp_port=16161
while [[ $# -gt 0 ]]; do
    case $1 in
    --for | --interval | --port | --snmp-port)
        [[ ${2:-} =~ ^[0-9]+$ ]] || { usage >&2; exit 2; }
        case $1 in --for) for_s=$2 ;; --interval) interval=$2 ;; --port) port=$2 ;; --snmp-port) snmp_port=$2 ;; esac
        shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) printf 'demo.sh: unknown argument %s\n' "$1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ $interval -ge 1 ]] || interval=1

# qemu cannot forward a port that something else holds; say so before booting.
for fwd in "tcp $port --port" "tcp $snmp_port --snmp-port"; do
    read -r proto p opt <<<"$fwd"
    if ! python3 - "$proto" "$p" <<'PY' 2>/dev/null; then
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as qemu does: TIME_WAIT leftovers do not count
s.bind(("127.0.0.1", int(sys.argv[2])))
PY
        printf 'demo.sh: port 127.0.0.1:%s is in use on the host; pick another with %s\n' "$p" "$opt" >&2
        exit 2
    fi
done

vm_prepare
here=$VM_TOP/tests/vm
res=$VM_BUILDDIR/tests/vm/results/demo
rm -rf "$res"
mkdir -p "$res"
vm_write_job "$res" demo "$here/scenarios-demo/demo.sh" 0 1 0 "DEMO_INTERVAL=$interval" \
    "DEMO_HOST_PORT=$port" "DEMO_SNMP_PORT=$snmp_port"
# The API and page, and SNMP, reach the host's loopback only, through qemu's user
# network. SNMP goes over TCP (RFC 3430, net-snmp's "tcp:" transport; snmpd
# listens on tcp 161 in the director namespace): with restrict=on, slirp drops
# every UDP datagram the guest sends, replies to a UDP hostfwd included.
# lib/qemu.sh puts VM_HOSTFWD after "hostfwd=", so a second rule is ",hostfwd=...".
VM_HOSTFWD="tcp:127.0.0.1:$port-:8080,hostfwd=tcp:127.0.0.1:$snmp_port-:161"
vm_qemu_args "$res"

stty_saved=""
if [[ -t 0 ]]; then stty_saved=$(stty -g 2>/dev/null || true); fi
qpid=""
stop_requested=0
stop_at=0
# shellcheck disable=SC2317 # run from traps
on_exit() {
    [[ -z $qpid ]] || kill -KILL "$qpid" 2>/dev/null || true
    [[ -z $stty_saved ]] || stty "$stty_saved" 2>/dev/null || true
}
trap on_exit EXIT
# shellcheck disable=SC2317 # run from traps
request_stop() {
    if [[ $stop_requested == 1 ]]; then
        # Second Ctrl-C: no more patience.
        printf '\ndemo.sh: killing the guest\n' >&2
        kill -TERM "$qpid" 2>/dev/null || true
        return 0
    fi
    stop_requested=1
    stop_at=$SECONDS
    printf '\ndemo.sh: stopping the guest (Ctrl-C again to kill it)\n' >&2
    : >"$res/stop"
}
trap request_stop INT TERM HUP

printf 'demo.sh: booting %s (logs in %s)%s\n' "$VM_KVER" "$res" \
    "$( ((for_s > 0)) && printf ', for %s s' "$for_s" || printf ', Ctrl-C to stop')"
# The guest's console is our stdout. qemu gets its own session, so Ctrl-C
# reaches only this script (which stops the guest in order), and qemu never
# touches the terminal (stdin is /dev/null): nothing to restore if it dies.
setsid "$VM_QEMU" "${VM_ARGS[@]}" -chardev stdio,id=con,signal=off -serial chardev:con \
    -monitor none </dev/null 2>"$res/qemu.log" &
qpid=$!

start=$SECONDS
while kill -0 "$qpid" 2>/dev/null; do
    if [[ $stop_requested == 0 ]] && ((for_s > 0 && SECONDS - start >= for_s)); then
        printf '\ndemo.sh: %s s elapsed\n' "$for_s" >&2
        stop_requested=1
        stop_at=$SECONDS
        : >"$res/stop"
    fi
    if [[ $stop_requested == 1 ]] && ((SECONDS - stop_at >= 20)); then
        printf 'demo.sh: the guest did not stop within 20 s, killing it\n' >&2
        kill -TERM "$qpid" 2>/dev/null || true
        stop_at=$((SECONDS + 1000))
    fi
    sleep 0.5 &
    wait $! 2>/dev/null || true
done
qrc=0
wait "$qpid" 2>/dev/null || qrc=$?
qpid=""

status=$(cat "$res/exit-status" 2>/dev/null || true)
if [[ $stop_requested == 1 && ( -z $status || $status == 0 ) ]]; then
    printf 'demo.sh: stopped after %s s\n' "$((SECONDS - start))"
    exit 0
fi
if [[ $status == 0 ]]; then
    exit 0
fi
printf 'demo.sh: the guest stopped on its own (status %s, qemu %s); see %s\n' "${status:-none}" "$qrc" "$res" >&2
tail -n 20 "$res/qemu.log" >&2 || true
exit 1
