#!/bin/bash
# fulcrumd starts in the director namespace on a fresh database, finds IPVS, stops cleanly on SIGTERM and leaves IPVS as it found it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"

fulcrumd=$FULCRUM_TOP/fulcrumd
[[ -x $fulcrumd ]] || fail "fulcrumd is not built: $fulcrumd is missing (at the repo top: autoreconf -fi && ./configure && make)"

work=$SCENARIO_TMP/s02
mkdir -p "$work"
db=$work/fulcrum.db
daemon_log=$work/fulcrumd.log
rm -f "$db"

topo_up 2

# A service fulcrumd did not make: it must still be there, unchanged, after it stops.
in_ns director ipvsadm -A -t "$VIP:80" -s wlc
in_ns director ipvsadm -a -t "$VIP:80" -r "$(rs_ip 1):80" -m -w 3
in_ns director ipvsadm -A -u "$VIP:53" -s rr
before=$(in_ns director ipvsadm -Ln)
printf 'ipvsadm -Ln before:\n%s\n' "$before"

log "starting fulcrumd"
: >"$daemon_log"
bg_in_ns director "$daemon_log" "$fulcrumd" --foreground -c /dev/null --db "$db" --log-level debug
pid=$BG_PID

show_log() { printf -- '--- fulcrumd log:\n'; cat "$daemon_log"; printf -- '--- end of fulcrumd log\n'; }
stop_hard() { kill -KILL "$pid" 2>/dev/null || true; }
trap 'stop_hard' EXIT

started() { grep -q 'IPVS available' "$daemon_log"; }
if ! wait_for 10 started; then
    show_log
    if kill -0 "$pid" 2>/dev/null; then
        fail "fulcrumd did not log 'IPVS available' within 10 s"
    fi
    rc=0
    wait "$pid" || rc=$?
    fail "fulcrumd exited with status $rc before logging 'IPVS available'"
fi
log "fulcrumd logged 'IPVS available'"
kill -0 "$pid" 2>/dev/null || { show_log; fail "fulcrumd logged 'IPVS available' and then exited"; }
[[ -f $db ]] || { show_log; fail "database file $db does not exist after start"; }

log "sending SIGTERM"
kill -TERM "$pid"
gone() { ! kill -0 "$pid" 2>/dev/null; }
if ! wait_for 5 gone; then
    show_log
    fail "fulcrumd still running 5 s after SIGTERM"
fi
rc=0
wait "$pid" || rc=$?
trap - EXIT
show_log
assert_eq 0 "$rc" "fulcrumd exit status after SIGTERM"
grep -q 'fulcrumd stopped' "$daemon_log" || fail "fulcrumd did not log 'fulcrumd stopped'"

after=$(in_ns director ipvsadm -Ln)
if [[ $before != "$after" ]]; then
    printf 'ipvsadm -Ln after:\n%s\n' "$after"
    diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") || true
    fail "IPVS changed: ipvsadm -Ln differs before start and after stop"
fi
log "PASS: started, found IPVS, stopped with 0, IPVS untouched"
