# tests/snmp/lib.sh: a private snmpd, snmptrapd and fulcrumd per test run on 127.0.0.1, with helpers and checks.
# shellcheck shell=bash disable=SC2034 # the variables set here are for the tests that source it
#
# Sourced by tests/snmp/*.sh (bash, `set -uo pipefail`). Everything lives in one temp folder $T: configs,
# persistent state (SNMP_PERSISTENT_DIR), the AgentX socket, logs, the database. Ports are free high ports
# picked at start. snmp_setup installs an EXIT trap that stops every process started here and removes $T
# (SNMP_KEEP=1 keeps it). Nothing system-wide is read or written: snmpd runs with -C, clients with their
# own SNMPCONFPATH.
#
# Environment: FULCRUM_IETF_MIBS=DIR uses DIR as the IETF MIB modules instead of running
# scripts/ietf-mibs; FULCRUMD_WRAPPER (e.g. "valgrind -q") runs fulcrumd under a wrapper.

snmp_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$snmp_here/../.." && pwd)
py=/usr/bin/python3 # Debian's, stdlib only
[[ -x $py ]] || py=python3
unset POSIXLY_CORRECT # the net-snmp tools take options after the agent address (getopt permutes)

R=.1.3.6.1.4.1.32473.1 # FULCRUM-MIB root (/work/notes/mib-spec.md; RFC 5612's documentation PEN)
VS=$R.1.3.1            # fulcrumVsEntry: VS.COL.VSID
RS=$R.1.4.1            # fulcrumRsEntry: RS.COL.VSID.RSID
NAMES=$R.1.5.1         # fulcrumVsNameEntry: NAMES.COL.LEN.CHARS
VIPS=$R.1.6.1          # fulcrumVipEntry: VIPS.COL.VIPID
SNMP_RO_COMMUNITY=fulcrum-ro
SNMP_TRAP_COMMUNITY=fulcrum-trap
SNMP_USER=fulcrum-admin
SNMP_AUTH_PASS=fulcrum-auth-pass
SNMP_PRIV_PASS=fulcrum-priv-pass
FULCRUM_NODE=snmp-test-node
SNMP_AGENTX_TIMEOUT='' # snmpd's agentXTimeout in seconds; empty: snmpd's default (1 s, 5 retries)

T=
SNMP_PORT=
TRAP_PORT=
HTTP_PORT=
SNMPD_PID=
SNMPTRAPD_PID=
FULCRUMD_PID=
FULCRUM_DB=
FULCRUM_TOKEN=
SNMP_NAMES=0    # 1 when FULCRUM-MIB and its IETF imports load: `named` then shows names
SNMP_NAMES_WHY= # why not
_snmp_pids=()   # other background jobs (churn loops, lock holders), stopped at teardown

# ---- checks ------------------------------------------------------------------------------
# TAP-like lines: "ok N - what" / "not ok N - what" with "#   " detail lines saying what came back.

_t_n=0
_t_pass=0
_t_fail=0
_t_skip=0

pass() {
	_t_n=$((_t_n + 1))
	_t_pass=$((_t_pass + 1))
	echo "ok $_t_n - $1"
}

# fail WHAT [DETAIL...]: each detail (may span lines) is printed under the line, prefixed "#   ".
fail() {
	local what=$1 l
	shift
	_t_n=$((_t_n + 1))
	_t_fail=$((_t_fail + 1))
	echo "not ok $_t_n - $what"
	for l in "$@"; do
		printf '%s\n' "$l" | head -40 | sed 's/^/#   /'
	done
}

# skip WHAT WHY: not run, and said so; counted apart from passes.
skip() {
	_t_n=$((_t_n + 1))
	_t_skip=$((_t_skip + 1))
	echo "ok $_t_n - $1 # SKIP $2"
}

# check WHAT COMMAND...: the command must succeed; its output is shown when it does not.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$what"
	else
		fail "$what" "command: $*" "$out"
	fi
}
ok() { check "$@"; }

# is WHAT GOT WANT: string equality.
is() {
	if [[ $2 == "$3" ]]; then
		pass "$1"
	else
		fail "$1" "got:  $2" "want: $3"
	fi
}

# like WHAT GOT REGEX / unlike WHAT GOT REGEX: bash regex (ERE) match, or no match.
like() {
	if [[ $2 =~ $3 ]]; then
		pass "$1"
	else
		fail "$1" "got:  $2" "want: a match for /$3/"
	fi
}
unlike() {
	if [[ $2 =~ $3 ]]; then
		fail "$1" "got:  $2" "want: no match for /$3/"
	else
		pass "$1"
	fi
}

# cmp_num WHAT GOT OP WANT: integer comparison (OP: -eq -ne -lt -le -gt -ge); non-numbers fail.
cmp_num() {
	if [[ $2 =~ ^[0-9]+$ && $4 =~ ^[0-9]+$ ]] && test "$2" "$3" "$4"; then
		pass "$1"
	else
		fail "$1" "got:  $2" "want: $3 $4"
	fi
}

# bail WHY: stop the test here, counting it as a failure (teardown still runs).
bail() {
	fail "$@"
	echo "# bailing out: $1"
	exit 1
}

# snmp_summary NAME: the plan and the last line "NAME: N passed, N failed, N skipped"; status 0 when none failed.
snmp_summary() {
	echo "1..$_t_n"
	echo "$1: $_t_pass passed, $_t_fail failed, $_t_skip skipped"
	[[ $_t_fail == 0 ]]
}

# wait_for SECONDS COMMAND...: polls every 0.1 s until the command succeeds.
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# ---- processes ---------------------------------------------------------------------------

# A child is gone once it has exited (a zombie still answers kill -0).
_proc_gone() {
	local st
	[[ -e /proc/$1/stat ]] || return 0
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[[ -z $st || $st == Z || $st == X ]]
}

# stop_pid PID [SECONDS]: TERM, then KILL after SECONDS (default 10); reaps it; returns its exit status.
stop_pid() {
	local pid=$1 t=${2:-10} i rc
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < t * 10; i++)); do
		_proc_gone "$pid" && break
		sleep 0.1
	done
	_proc_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	return $rc
}

# track PID: a background job of the test, stopped at teardown if still running.
track() { _snmp_pids+=("$1"); }

# snmp_stop_all: stops everything this run started, the test's own jobs first.
snmp_stop_all() {
	local p
	for p in "${_snmp_pids[@]}"; do
		stop_pid "$p" 5
	done
	_snmp_pids=()
	stop_pid "$FULCRUMD_PID" 10
	FULCRUMD_PID=
	stop_pid "$SNMPD_PID" 10
	SNMPD_PID=
	stop_pid "$SNMPTRAPD_PID" 10
	SNMPTRAPD_PID=
}

# snmp_dump_logs: the ends of the logs, as TAP comments.
snmp_dump_logs() {
	local f
	for f in snmpd.log traps.log fulcrumd.log; do
		[[ -s $T/$f ]] || continue
		echo "# ---- last lines of $T/$f"
		tail -n 25 "$T/$f" | sed 's/^/#   /'
	done
}

snmp_teardown() {
	local rc=$?
	trap - EXIT
	[[ -n $T ]] || exit $rc
	snmp_stop_all
	if [[ $rc != 0 || $_t_fail != 0 ]]; then
		snmp_dump_logs
	fi
	if [[ ${SNMP_KEEP:-} == 1 ]]; then
		echo "# kept $T"
	else
		rm -rf "$T"
	fi
	exit $rc
}

# free_port udp|tcp: a loopback port the kernel had free a moment ago.
free_port() {
	"$py" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' "$1"
}

# ---- SNMP clients ------------------------------------------------------------------------
# Clients print OIDs and values numerically (no MIBs loaded: values look the same whether or not
# FULCRUM-MIB loads); `named` loads FULCRUM-MIB for the checks about names.

# _snmp_call CMD [FIXED-OPTION...] -- [OPTION...] ARGS...: runs CMD with the fixed options, the caller's
# leading options, then the agent address, then the rest. snmpset sets POSIXLY_CORRECT for itself (so a
# value may be negative), hence every option must come before the agent address.
_snmp_call() {
	local cmd=$1 a
	local -a opts=()
	shift
	while [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	shift
	while [[ $# -gt 0 && $1 == -?* ]]; do
		a=$1
		opts+=("$a")
		shift
		case $a in
		-[trlaAxXucvmMeEnZ] | -Cf) # an option whose value is the next word
			opts+=("$1")
			shift
			;;
		esac
	done
	"$cmd" "${opts[@]}" "127.0.0.1:$SNMP_PORT" "$@"
}

# ro CMD [OPTION...] ARGS...: a net-snmp tool as the v2c read-only community.
ro() {
	local cmd=$1
	shift
	_snmp_call "$cmd" -v2c -c "$SNMP_RO_COMMUNITY" -r 1 -t 2 -- "$@"
}

# rw CMD [OPTION...] ARGS...: a net-snmp tool as the SNMPv3 user (authPriv, SHA + AES) that may write.
rw() {
	local cmd=$1
	shift
	_snmp_call "$cmd" -v3 -l authPriv -u "$SNMP_USER" -a SHA -A "$SNMP_AUTH_PASS" -x AES -X "$SNMP_PRIV_PASS" \
		-r 1 -t 2 -- "$@"
}

# named CMD ARGS...: CMD with FULCRUM-MIB and its IETF imports loaded (see SNMP_NAMES).
named() {
	MIBDIRS=$SNMP_NAMED_MIBDIRS MIBS=$SNMP_NAMED_MIBS "$@"
}

# _unquote: a value as printed by -Oqv, without the quotes of a string.
_unquote() {
	local v=$1
	if [[ $v == \"*\" && ${#v} -ge 2 ]]; then
		v=${v:1:${#v}-2}
	fi
	printf '%s' "$v"
}

# sget OID: the value alone (-Oqv, enums as numbers), strings unquoted; "No Such ..." texts as they are.
sget() {
	local out
	out=$(ro snmpget -On -Oqv -Oe "$1" 2>&1)
	_unquote "$out"
}

# sget_hex OID: an OCTET STRING as upper-case hex without spaces ("" when empty).
sget_hex() {
	local out
	out=$(ro snmpget -On -Oqv -Ox "$1" 2>&1)
	out=$(_unquote "$out")
	if [[ $out =~ ^[0-9A-Fa-f\ ]*$ ]]; then
		out=${out// /}
		printf '%s' "${out^^}"
	else
		printf '%s' "$out"
	fi
}

# rset VARBINDS...: snmpset as the v3 user, values unchecked by the client (-Ir: the agent must judge),
# output and errors together on stdout; status as snmpset's.
rset() {
	rw snmpset -On -Ir "$@" 2>&1
}

# q OID: OID as a regex matching itself.
q() { printf '%s' "${1//./\\.}"; }

# set_ok WHAT VARBINDS...: the v3 user's SET succeeds.
set_ok() {
	local what=$1 out rc
	shift
	out=$(rset "$@")
	rc=$?
	if [[ $rc == 0 && $out != *"Error in packet"* && $out != *Timeout* ]]; then
		pass "$what"
	else
		fail "$what" "snmpset $*" "$out"
	fi
}

# oid_order PREFIX: reads -On output; fails unless there is at least one OID, all under PREFIX and
# strictly increasing (which also rules out repeats). Prints how many OIDs, or the first offence.
oid_order() {
	"$py" -c 'import sys
prefix = tuple(int(x) for x in sys.argv[1].strip(".").split("."))
prev = prev_oid = None
n = 0
for line in sys.stdin:
    if not line.startswith(".1."):
        continue  # the next line of a value that spans lines
    oid = line.split(" ", 1)[0]
    t = tuple(int(x) for x in oid.strip(".").split("."))
    if t[:len(prefix)] != prefix:
        sys.exit("outside %s: %s" % (sys.argv[1], line.rstrip()))
    if prev is not None and t <= prev:
        sys.exit("not increasing: %s then %s" % (prev_oid, oid))
    prev, prev_oid, n = t, oid, n + 1
if n == 0:
    sys.exit("no OIDs")
print("%d OIDs in order" % n)' "$1"
}

# str_index TEXT: TEXT as a length-prefixed OID index (.LEN.C1.C2...).
str_index() {
	local s=$1 i out=.${#1}
	for ((i = 0; i < ${#s}; i++)); do
		out+=.$(printf '%d' "'${s:i:1}")
	done
	printf '%s' "$out"
}

# ip_hex ADDRESS: an IPv4 or IPv6 address as the upper-case hex of its octets.
ip_hex() {
	"$py" -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).packed.hex().upper())' "$1"
}

# ---- notifications -----------------------------------------------------------------------
# snmptrapd writes one line per notification to $T/traps.log:
#   TRAP 127.0.0.1 [TRAP2, SNMP v2c, community fulcrum-trap] .1.3.6.1.2.1.1.3.0 = Timeticks: ... | .1.3.6.1.6.3.1.1.4.1.0 = OID: ... | ...

trap_count() { grep -c '^TRAP ' "$T/traps.log" 2>/dev/null || true; }

# traps_since N [NOTIFICATION-OID]: the notification lines after the first N, of that kind if given.
traps_since() {
	local re=
	[[ -n ${2:-} ]] && re="= OID: ${2//./\\.}( \\||\$)"
	grep '^TRAP ' "$T/traps.log" 2>/dev/null | tail -n +$(($1 + 1)) | grep -E -- "${re:-.}" || true
}

# wait_trap SECONDS N NOTIFICATION-OID [FIXED-TEXT]: waits for such a notification after the first N
# lines (one that also contains FIXED-TEXT); prints it.
wait_trap() {
	local t=$1 n=$2 oid=$3 text=${4:-} i hit
	for ((i = 0; i < t * 10; i++)); do
		hit=$(traps_since "$n" "$oid" | grep -F -- "$text" | head -1)
		if [[ -n $hit ]]; then
			printf '%s\n' "$hit"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# ---- snmpd and snmptrapd -----------------------------------------------------------------

# README.md's agentXPerms line, as it documents it for /etc/snmp/snmpd.conf (its comment dropped): the rig
# runs what users are told to; empty when the README has none (harness.sh fails then).
SNMP_README_PERMS=$(sed -n 's/^    \(agentXPerms [^#]*[^# ]\) *\(#.*\)\{0,1\}$/\1/p' "$top/README.md" | head -n 1)

_snmpd_conf() {
	local timeout="# agentXTimeout: snmpd's default"
	# fulcrumd's SQLite waits up to 5 s for a lock: give the subagent longer than that to answer.
	[[ -n $SNMP_AGENTX_TIMEOUT ]] && timeout="agentXTimeout $SNMP_AGENTX_TIMEOUT"
	cat >"$T/snmpd.conf" <<EOF
# snmpd for one Fulcrum test run (tests/snmp/lib.sh); started with -C so nothing else is read.
agentaddress udp:127.0.0.1:$SNMP_PORT
master agentx
agentXSocket $T/agentx.sock
# README.md's line: root's fulcrumd connects
${SNMP_README_PERMS:-# (no agentXPerms line in README.md)}
$timeout
rocommunity $SNMP_RO_COMMUNITY 127.0.0.1
createUser $SNMP_USER SHA "$SNMP_AUTH_PASS" AES "$SNMP_PRIV_PASS"
rwuser $SNMP_USER priv
# notifications leave from 127.0.0.1 too, not from 0.0.0.0
[snmp] clientaddr 127.0.0.1
# README.md's trap2sink (a v2c sink), to snmptrapd
trap2sink 127.0.0.1:$TRAP_PORT $SNMP_TRAP_COMMUNITY
EOF
}

_snmptrapd_conf() {
	cat >"$T/snmptrapd.conf" <<EOF
# snmptrapd for one Fulcrum test run (tests/snmp/lib.sh): one line per notification, OIDs numeric.
authCommunity log $SNMP_TRAP_COMMUNITY
disableAuthorization no
format2 TRAP %B [%P] %V | %v\n
EOF
}

# The daemons load no MIBs at all: their configs are numeric and their logs stay quiet.
_snmptrapd_start() {
	: >>"$T/traps.log"
	SNMP_PERSISTENT_DIR=$T/persist MIBS='' MIBDIRS=$T/no-mibs \
		snmptrapd -f -n -X -C -c "$T/snmptrapd.conf" -Lf "$T/traps.log" -On -p "$T/snmptrapd.pid" \
		"udp:127.0.0.1:$TRAP_PORT" &
	SNMPTRAPD_PID=$!
	wait_for 10 grep -q 'NET-SNMP version' "$T/traps.log" && ! _proc_gone "$SNMPTRAPD_PID"
}

_snmpd_answers() { ro snmpget -t 1 -r 0 -On -Oqv .1.3.6.1.2.1.1.3.0 >/dev/null 2>&1; }

_snmpd_start() {
	local i
	SNMP_PERSISTENT_DIR=$T/persist MIBS='' MIBDIRS=$T/no-mibs \
		snmpd -f -I -smux -Lf "$T/snmpd.log" -C -c "$T/snmpd.conf" -p "$T/snmpd.pid" &
	SNMPD_PID=$!
	for ((i = 0; i < 100; i++)); do
		_proc_gone "$SNMPD_PID" && break
		_snmpd_answers && return 0
		sleep 0.1
	done
	stop_pid "$SNMPD_PID" 2
	SNMPD_PID=
	return 1
}

# snmp_restart: stops snmpd and starts it again on the same port, AgentX socket and config.
snmp_restart() {
	stop_pid "$SNMPD_PID" 10
	SNMPD_PID=
	_snmpd_start
}

# snmp_reconfigure: rewrites snmpd.conf from the variables above (SNMP_AGENTX_TIMEOUT) and restarts.
snmp_reconfigure() {
	_snmpd_conf
	snmp_restart
}

# _snmp_mibs: where the named checks find FULCRUM-MIB and the IETF modules it imports.
_snmp_mibs() {
	local ietf=${FULCRUM_IETF_MIBS:-} err
	SNMP_NAMES=0
	SNMP_NAMED_MIBDIRS=$T/no-mibs
	SNMP_NAMED_MIBS=
	if [[ -z $ietf ]]; then
		if [[ -x $top/scripts/ietf-mibs ]]; then
			ietf=$T/mibs
			if ! "$top/scripts/ietf-mibs" "$ietf" >"$T/ietf-mibs.log" 2>&1; then
				SNMP_NAMES_WHY="scripts/ietf-mibs $ietf failed: $(tail -n 3 "$T/ietf-mibs.log")"
				return
			fi
		else
			SNMP_NAMES_WHY="no scripts/ietf-mibs to fetch the IETF MIB modules"
			return
		fi
	fi
	if [[ ! -f $top/mib/FULCRUM-MIB.txt ]]; then
		SNMP_NAMES_WHY="no mib/FULCRUM-MIB.txt"
		return
	fi
	SNMP_NAMED_MIBDIRS=$ietf:$top/mib
	SNMP_NAMED_MIBS=SNMPv2-MIB:FULCRUM-MIB
	err=$(named snmptranslate -On FULCRUM-MIB::fulcrumMIB 2>&1 >/dev/null)
	if [[ -n $err ]]; then
		SNMP_NAMES_WHY="FULCRUM-MIB does not load cleanly: $err"
		return
	fi
	SNMP_NAMES=1
}

# snmp_setup: $T, snmptrapd, snmpd; installs the EXIT trap. Fails (status 1) when they do not start.
snmp_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/fulcrum-snmp.XXXXXX") || return 1
	trap snmp_teardown EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$T/persist/cert_indexes" "$T/conf" "$T/no-mibs"
	chmod 700 "$T/persist/cert_indexes" # made here, or the first client says "Created directory" on stderr
	echo "# client config of one test run: nothing from /etc/snmp or ~/.snmp" >"$T/conf/snmp.conf"
	export SNMPCONFPATH=$T/conf SNMP_PERSISTENT_DIR=$T/persist MIBS='' MIBDIRS=$T/no-mibs
	_snmp_mibs
	for _ in 1 2 3 4 5; do
		TRAP_PORT=$(free_port udp)
		_snmptrapd_conf
		_snmptrapd_start && break
		stop_pid "$SNMPTRAPD_PID" 2
		SNMPTRAPD_PID=
	done
	[[ -n $SNMPTRAPD_PID ]] || { echo "# snmptrapd did not start: $(tail -n 5 "$T/traps.log")"; return 1; }
	for _ in 1 2 3 4 5; do
		SNMP_PORT=$(free_port udp)
		[[ $SNMP_PORT == "$TRAP_PORT" ]] && continue
		_snmpd_conf
		_snmpd_start && break
	done
	[[ -n $SNMPD_PID ]] || { echo "# snmpd did not start: $(tail -n 5 "$T/snmpd.log")"; return 1; }
	echo "# $T: snmpd udp:127.0.0.1:$SNMP_PORT, snmptrapd udp:127.0.0.1:$TRAP_PORT, AgentX $T/agentx.sock"
	if [[ $SNMP_NAMES == 1 ]]; then
		echo "# MIB names from $SNMP_NAMED_MIBDIRS"
	else
		echo "# MIB names unavailable ($SNMP_NAMES_WHY); numeric OIDs only"
	fi
}

# ---- fulcrumd ----------------------------------------------------------------------------

# fulcrumd_setup: its config (node name, database, HTTP port) and an admin token in FULCRUM_TOKEN.
fulcrumd_setup() {
	FULCRUM_DB=$T/fulcrum.db
	HTTP_PORT=$(free_port tcp)
	# ha_standalone_vips no: the MIB is tested here; VIPs stay off this host's interfaces
	printf 'db = %s\nhttp = 127.0.0.1:%s\nnode_name = %s\nhttp_timeout = 2\nha_standalone_vips = no\n' \
		"$FULCRUM_DB" "$HTTP_PORT" "$FULCRUM_NODE" >"$T/fulcrumd.conf"
	FULCRUM_TOKEN=$("$top/fulcrumctl" --db "$FULCRUM_DB" token create admin --role admin 2>>"$T/fulcrumctl.log")
	[[ -n $FULCRUM_TOKEN ]]
}

_http_up() { curl -s -f -m 2 -o /dev/null "http://127.0.0.1:$HTTP_PORT/api/v1/openapi.json"; }

# fulcrumd_start [ARGS...]: fulcrumd in the foreground as a background job, subagent on $T/agentx.sock;
# waits until its HTTP API answers. Fails when it exits or does not answer within 10 s.
fulcrumd_start() {
	local i wrap=()
	[[ -x $top/fulcrumd ]] || { echo "$top/fulcrumd is not built (make)" >>"$T/fulcrumd.log"; return 1; }
	read -r -a wrap <<<"${FULCRUMD_WRAPPER:-}"
	"${wrap[@]}" "$top/fulcrumd" --foreground -c "$T/fulcrumd.conf" --log-level info \
		--agentx "$T/agentx.sock" "$@" >>"$T/fulcrumd.log" 2>&1 &
	FULCRUMD_PID=$!
	for ((i = 0; i < 100; i++)); do
		_proc_gone "$FULCRUMD_PID" && break
		_http_up && return 0
		sleep 0.1
	done
	stop_pid "$FULCRUMD_PID" 2
	FULCRUMD_PID=
	return 1
}

# fulcrumd_stop: SIGTERM; returns its exit status.
fulcrumd_stop() {
	local rc
	stop_pid "$FULCRUMD_PID" 10
	rc=$?
	FULCRUMD_PID=
	return $rc
}

fulcrumd_restart() {
	fulcrumd_stop
	fulcrumd_start "$@"
}

# snmp_wait_agent [SECONDS]: until fulcrumNodeName.0 answers through snmpd (the subagent is registered).
_agent_answers() { [[ $(sget "$R.1.1.1.0") == "$FULCRUM_NODE" ]]; }
snmp_wait_agent() { wait_for "${1:-15}" _agent_answers; }

# ---- HTTP API ----------------------------------------------------------------------------

# api METHOD PATH [JSON]: one request as the admin to /api/v1PATH. Body to $API_OUT (default
# $T/api.json), status in API_STATUS, the ETag's revision in API_REV. Call it in the current shell.
api() {
	local out=${API_OUT:-$T/api.json} args
	args=(-s -S -m 10 -o "$out" -D "$out.head" -w '%{http_code}' -X "$1"
		-H "Authorization: Bearer $FULCRUM_TOKEN")
	if [[ $# -ge 3 ]]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$3")
	fi
	API_STATUS=$(curl "${args[@]}" "http://127.0.0.1:$HTTP_PORT/api/v1$2" 2>>"$T/curl.log")
	API_REV=$(tr -d '\r' <"$out.head" 2>/dev/null | sed -n 's/^[Ee][Tt][Aa][Gg]: *"\([0-9]*\)".*/\1/p')
}

# jv EXPR: a Python expression over the last API body `d`; strings printed raw, the rest as JSON.
jv() {
	"$py" -c 'import json, sys
try:
    d = json.load(open(sys.argv[1]))
    v = eval(sys.argv[2])
except Exception as e:
    print("(%s: %s)" % (type(e).__name__, e))
    sys.exit(0)
print(v if isinstance(v, str) else json.dumps(v))' "${API_OUT:-$T/api.json}" "$1"
}

# api_body: the last body, for failure details.
api_body() { head -c 600 "${API_OUT:-$T/api.json}" 2>/dev/null; }
