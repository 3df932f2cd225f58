#!/usr/bin/env bash
# The SNMP test rig itself, without fulcrumd: snmpd, its users, notification forwarding, restart, cleanup.
# The last line is "snmp-harness: N passed, N failed, N skipped".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/snmp/lib.sh
. "$here/lib.sh"

sys_state() { ls -la --time-style=full-iso /var/lib/snmp /var/agentx 2>&1; }
before_sys=$(sys_state)

snmp_setup || bail "snmpd and snmptrapd start" "$(cat "$T"/*.log 2>/dev/null | tail -n 20)"

SYSDESCR=.1.3.6.1.2.1.1.1.0
SYSCONTACT=.1.3.6.1.2.1.1.4.0
SYSUPTIME=.1.3.6.1.2.1.1.3.0

# 1. The read-only community reads; nothing else gets in.
like "v2c ro community reads sysDescr.0" "$(sget $SYSDESCR)" '^Linux '
out=$(ro snmpset -On $SYSCONTACT s nope 2>&1)
like "v2c ro community cannot write: noAccess" "$out" 'Reason: noAccess'
like "v2c ro community write: failed object is sysContact.0" "$out" "Failed object: $SYSCONTACT"$'(\n|$)'
out=$(snmpget -v2c -c public -r 0 -t 1 -On "127.0.0.1:$SNMP_PORT" $SYSDESCR 2>&1)
like "another community gets no answer" "$out" '^Timeout'

# 2. The SNMPv3 user: authPriv only, reads and writes.
like "v3 user (authPriv SHA+AES) reads sysUpTime.0" "$(rw snmpget -On -Oqv $SYSUPTIME 2>&1)" '^[0-9]+:'
stamp="fulcrum harness $$ $RANDOM"
out=$(rset $SYSCONTACT s "$stamp")
like "v3 user sets sysContact.0" "$out" "^$SYSCONTACT = STRING: \"$stamp\"$"
is "the ro community reads the new sysContact.0" "$(sget $SYSCONTACT)" "$stamp"
out=$(rset $SYSCONTACT i 5)
like "snmpset's error report is parsed: wrongType" "$out" 'Reason: wrongType'
like "snmpset's error report names the failed object" "$out" "Failed object: $SYSCONTACT"$'(\n|$)'
out=$(rw snmpget -A wrong-auth-pass -On $SYSUPTIME 2>&1)
like "v3 user with a wrong auth passphrase is refused" "$out" 'Authentication failure'
out=$(rw snmpset -l authNoPriv -On $SYSCONTACT s nope 2>&1)
like "v3 user without privacy cannot write (rwuser ... priv)" "$out" 'authorizationError|noAccess'
is "... and sysContact.0 is unchanged" "$(sget $SYSCONTACT)" "$stamp"

# 3. The AgentX socket is in the test's folder, for root only; no other socket leaves 127.0.0.1.
if command -v ss >/dev/null; then
	socks=$(ss -Hantup 2>/dev/null | grep -E "pid=($SNMPD_PID|$SNMPTRAPD_PID),")
	like "snmpd and snmptrapd have sockets" "$socks" 'snmpd'
	is "... all on 127.0.0.1 (no SMUX on :199, notifications sent from 127.0.0.1)" \
		"$(awk '$5 !~ /^127\.0\.0\.1:/' <<<"$socks")" ""
fi
check "AgentX socket $T/agentx.sock exists" test -S "$T/agentx.sock"
like "snmpd.conf has README.md's agentXPerms line" "$(grep '^agentXPerms ' "$T/snmpd.conf")" '^agentXPerms [0-7]+'
perms=$(awk '$1 == "agentXPerms" { print $2 }' "$T/snmpd.conf")
is "AgentX socket mode is the README's" "$(stat -c %a "$T/agentx.sock")" "${perms#0}"
# net-snmp takes a user or group that resolves to 0 (root) for one it cannot find, and says so
is "snmpd logs no \"Can't identify\" for README.md's agentXPerms line" \
	"$(grep -E "Can't identify (user|group)" "$T/snmpd.log")" ""

# 4. Notifications: snmptrapd logs those sent with the trap community, and what snmpd forwards.
n=$(trap_count)
snmptrap -v2c -c "$SNMP_TRAP_COMMUNITY" "127.0.0.1:$TRAP_PORT" '' "$R.0.3" "$R.1.1.5.0" s "harness-$$"
if hit=$(wait_trap 5 "$n" "$R.0.3" "harness-$$"); then
	pass "snmptrapd logs a v2c trap sent to it (fulcrumConfigChange OID)"
	like "the line carries the varbind, numerically" "$hit" "$R.1.1.5.0 = STRING: \"harness-$$\""
else
	fail "snmptrapd logs a v2c trap sent to it (fulcrumConfigChange OID)" "$(tail -n 5 "$T/traps.log")"
fi
n=$(trap_count)
snmptrap -v2c -c wrong-community "127.0.0.1:$TRAP_PORT" '' "$R.0.4"
snmptrap -v2c -c "$SNMP_TRAP_COMMUNITY" "127.0.0.1:$TRAP_PORT" '' "$R.0.2"
check "... while one with the trap community arrives" wait_trap 5 "$n" "$R.0.2"
is "a trap with another community is not logged" "$(traps_since "$n" "$R.0.4")" ""
like "snmpd forwards its own coldStart to snmptrapd (trapsess works)" \
	"$(traps_since 0 .1.3.6.1.6.3.1.1.5.1)" 'community fulcrum-trap'

# 5. Restart: same port, same users, a new process.
old=$SNMPD_PID
up_before=$(rw snmpget -On -Oqv -Ot $SYSUPTIME 2>&1)
sleep 1
if snmp_restart; then
	pass "snmp_restart: snmpd answers again"
	check "a new snmpd process" test "$SNMPD_PID" != "$old"
	check "the old one is gone" _proc_gone "$old"
	up_after=$(rw snmpget -On -Oqv -Ot $SYSUPTIME 2>&1)
	cmp_num "v3 user still works after the restart; sysUpTime went back" "$up_after" -lt "$up_before"
	check "AgentX socket is back" test -S "$T/agentx.sock"
	like "the ro community still reads" "$(sget $SYSDESCR)" '^Linux '
else
	fail "snmp_restart: snmpd answers again" "$(tail -n 10 "$T/snmpd.log")"
fi

# 6. Nothing outside the test's folder: state went to $T/persist; /var/lib/snmp and /var/agentx untouched.
check "snmpd keeps its state in \$T/persist" test -s "$T/persist/snmpd.conf"
is "nothing written to /var/lib/snmp or /var/agentx" "$(sys_state)" "$before_sys"

# 7. Cleanup: every process gone, nothing left listening on the test's ports.
pids="$SNMPD_PID $SNMPTRAPD_PID"
snmp_stop_all
left=
for p in $pids; do _proc_gone "$p" || left+=" $p"; done
is "snmp_stop_all stops snmpd and snmptrapd" "$left" ""
if command -v ss >/dev/null; then
	is "nothing listens on the test's ports" \
		"$(ss -Hlunp "( sport = :$SNMP_PORT or sport = :$TRAP_PORT )" 2>&1)" ""
	is "nothing listens on the AgentX socket" "$(ss -Hlxp 2>/dev/null | grep -F "$T/" || true)" ""
fi

snmp_summary snmp-harness
