# Guest-side helper: a private snmpd (AgentX master for fulcrumd's FULCRUM-MIB subagent) in a namespace, and net-snmp clients against it.
# shellcheck shell=bash disable=SC2034 # the variables are for the scenarios that source it
#
# Source after topology.sh (it uses in_ns, bg_in_ns, wait_for, fail). Runs inside the rig's guest,
# where the host root is read-only: everything snmpd writes (config, persistent state, AgentX
# socket, log, pid) lives in $SNMP_DIR, snmpd runs with -C (no system config), and no MIB is loaded
# (MIBS= and an empty MIBDIRS), so configs and outputs are numeric.
#
#   snmp_start [LISTEN...]   snmpd in namespace $SNMP_NS (default director) listening on LISTEN
#                            (net-snmp transports: udp:127.0.0.1:161 (the default), tcp:161, ...), `master agentx` on $SNMP_AGENTX; waits until
#                            it answers. Access: community $SNMP_COMMUNITY reads (from anywhere that
#                            reaches LISTEN), SNMPv3 user $SNMP_USER (authPriv, SHA + AES) reads and
#                            writes. SNMP_NS= (empty) runs it in the current namespace.
#                            Non-zero (and why, on stderr) when snmpd is missing or does not answer.
#   snmp_stop                SIGTERM, waits (snmptrapd too)
#   snmp_traps_start         snmptrapd in $SNMP_NS on udp:127.0.0.1:$SNMP_TRAP_PORT, one line per
#                            notification in $SNMP_TRAP_LOG (OIDs numeric); an snmpd started after it
#                            sends its notifications (and its subagents') there
#   traps [OID]              the notification lines so far (of that kind if given)
#   snmp_wait_agent [S]      until fulcrumd's subagent answers through snmpd (fulcrumVsNextId.0)
#   sro CMD [OPTION...] ARGS...  a net-snmp tool (snmpget, snmpwalk, ...) as the v2c read community;
#                            OPTIONs are single words (-On, -t30), the agent address is added
#   srw CMD [OPTION...] ARGS...  the same as the SNMPv3 user that may write
#   sget OID                 the value alone (-Oqv, enums as numbers, strings unquoted)
#   sset OID TYPE VALUE ...  one SET PDU as the SNMPv3 user; output in SNMP_OUT, non-zero on error
#   ip_hex A.B.C.D           an IPv4 address as the hex of an InetAddress (0A020064)
# Variables: R (FULCRUM-MIB root), VS (fulcrumVsEntry), RS (fulcrumRsEntry), SNMP_DIR SNMP_LOG
#   SNMP_AGENTX SNMP_TARGET (agent address the clients use) SNMP_PID

R=.1.3.6.1.4.1.32473.1 # FULCRUM-MIB root (/work/notes/mib-spec.md)
VS=$R.1.3.1            # fulcrumVsEntry: VS.COL.VSID
RS=$R.1.4.1            # fulcrumRsEntry: RS.COL.VSID.RSID
SNMP_NS=${SNMP_NS-director}
SNMP_DIR=${SNMP_DIR:-${SCENARIO_TMP:-/tmp}/snmp}
SNMP_LOG=$SNMP_DIR/snmpd.log
SNMP_AGENTX=$SNMP_DIR/agentx.sock
SNMP_TARGET=${SNMP_TARGET:-udp:127.0.0.1:161}
SNMP_COMMUNITY=${SNMP_COMMUNITY:-public}
SNMP_USER=${SNMP_USER:-fulcrum-admin}
SNMP_AUTH_PASS=${SNMP_AUTH_PASS:-fulcrum-auth-pass}
SNMP_PRIV_PASS=${SNMP_PRIV_PASS:-fulcrum-priv-pass}
SNMP_PID=""
SNMP_OUT=""
SNMP_TRAP_PORT=${SNMP_TRAP_PORT:-16200}
SNMP_TRAP_COMMUNITY=${SNMP_TRAP_COMMUNITY:-fulcrum-trap}
SNMP_TRAP_LOG=$SNMP_DIR/traps.log
SNMP_TRAPD_PID=""

# _snmp_env CMD...: CMD in $SNMP_NS with the private config, state and no MIBs.
_snmp_env() {
    local env=(env SNMPCONFPATH="$SNMP_DIR/conf" SNMP_PERSISTENT_DIR="$SNMP_DIR/persist"
        MIBS= MIBDIRS="$SNMP_DIR/no-mibs")
    if [[ -n $SNMP_NS ]]; then
        in_ns "$SNMP_NS" "${env[@]}" "$@"
    else
        "${env[@]}" "$@"
    fi
}

# _snmp_call CMD CREDENTIALS... -- [OPTION...] ARGS...: the tools want every option before the agent
# address; the caller's OPTIONs are single words (-On, -t30) and come after the defaults, so they win.
_snmp_call() {
    local cmd=$1 opts=()
    shift
    while [[ $1 != -- ]]; do
        opts+=("$1")
        shift
    done
    shift
    while [[ $# -gt 0 && $1 == -* ]]; do
        opts+=("$1")
        shift
    done
    _snmp_env "$cmd" "${opts[@]}" "$SNMP_TARGET" "$@"
}

sro() { # CMD [OPTION...] ARGS...
    local cmd=$1
    shift
    _snmp_call "$cmd" -v2c -c "$SNMP_COMMUNITY" -r1 -t3 -- "$@"
}

srw() { # CMD [OPTION...] ARGS...
    local cmd=$1
    shift
    _snmp_call "$cmd" -v3 -l authPriv -u "$SNMP_USER" -a SHA -A "$SNMP_AUTH_PASS" -x AES -X "$SNMP_PRIV_PASS" \
        -r1 -t5 -- "$@"
}

sget() { # OID
    local v
    v=$(sro snmpget -On -Oqv -Oe "$1" 2>&1) || { printf '%s' "$v"; return 1; }
    [[ $v == \"*\" && ${#v} -ge 2 ]] && v=${v:1:${#v}-2}
    printf '%s' "$v"
}

sset() { # OID TYPE VALUE ...
    SNMP_OUT=$(srw snmpset -On "$@" 2>&1)
}

ip_hex() { # A.B.C.D
    local IFS=.
    # shellcheck disable=SC2086 # splitting on dots is the point
    printf '%02X' $1
}

snmp_start() { # [LISTEN...]
    local listen=("$@")
    [[ ${#listen[@]} -gt 0 ]] || listen=(udp:127.0.0.1:161)
    if ! command -v snmpd >/dev/null || ! command -v snmpget >/dev/null; then
        echo "snmp_start: snmpd or snmpget is not installed (apt-get install snmpd snmp)" >&2
        return 1
    fi
    mkdir -p "$SNMP_DIR/persist/cert_indexes" "$SNMP_DIR/conf" "$SNMP_DIR/no-mibs"
    chmod 700 "$SNMP_DIR" "$SNMP_DIR/persist/cert_indexes"
    echo "# net-snmp client config of this run: nothing from /etc/snmp" >"$SNMP_DIR/conf/snmp.conf"
    {
        echo "# snmpd of one rig run (tests/vm/lib/snmp.sh); started with -C: nothing else is read."
        (IFS=,; echo "agentaddress ${listen[*]}")
        echo "master agentx"
        echo "agentXSocket $SNMP_AGENTX"
        echo "agentXPerms 0600 0700"
        # fulcrumd's SQLite may wait for a lock, and TCG is slow: give the subagent time.
        echo "agentXTimeout 10"
        echo "rocommunity $SNMP_COMMUNITY default"
        echo "createUser $SNMP_USER SHA \"$SNMP_AUTH_PASS\" AES \"$SNMP_PRIV_PASS\""
        echo "rwuser $SNMP_USER priv"
        if [[ -n $SNMP_TRAPD_PID ]]; then
            echo "[snmp] clientaddr 127.0.0.1"
            echo "trapsess -v 2c -c $SNMP_TRAP_COMMUNITY 127.0.0.1:$SNMP_TRAP_PORT"
        fi
    } >"$SNMP_DIR/snmpd.conf"
    : >>"$SNMP_LOG"
    if [[ -n $SNMP_NS ]]; then
        bg_in_ns "$SNMP_NS" "$SNMP_LOG" env SNMP_PERSISTENT_DIR="$SNMP_DIR/persist" MIBS= MIBDIRS="$SNMP_DIR/no-mibs" \
            snmpd -f -Lf "$SNMP_LOG" -C -c "$SNMP_DIR/snmpd.conf" -p "$SNMP_DIR/snmpd.pid"
        SNMP_PID=$BG_PID
    else
        # shellcheck disable=SC2094 # both append: snmpd's log and what it prints before it opens it
        env SNMP_PERSISTENT_DIR="$SNMP_DIR/persist" MIBS= MIBDIRS="$SNMP_DIR/no-mibs" \
            snmpd -f -Lf "$SNMP_LOG" -C -c "$SNMP_DIR/snmpd.conf" -p "$SNMP_DIR/snmpd.pid" >>"$SNMP_LOG" 2>&1 &
        SNMP_PID=$!
    fi
    # sysUpTime.0 from snmpd's own MIB-II.
    wait_for 20 sro snmpget -On -Oqv .1.3.6.1.2.1.1.3.0 || {
        echo "snmp_start: snmpd did not answer on $SNMP_TARGET within 20 s; its log:" >&2
        tail -n 20 "$SNMP_LOG" >&2
        snmp_stop
        return 1
    }
}

snmp_stop() {
    local pid
    for pid in "$SNMP_PID" "$SNMP_TRAPD_PID"; do
        [[ -n $pid ]] || continue
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    SNMP_PID="" SNMP_TRAPD_PID=""
}

snmp_traps_start() {
    mkdir -p "$SNMP_DIR/persist" "$SNMP_DIR/no-mibs"
    {
        echo "# snmptrapd of one rig run (tests/vm/lib/snmp.sh): one line per notification, OIDs numeric."
        echo "authCommunity log $SNMP_TRAP_COMMUNITY"
        echo "disableAuthorization no"
        printf '%s\n' 'format2 TRAP %B [%P] %V | %v\n'
    } >"$SNMP_DIR/snmptrapd.conf"
    : >>"$SNMP_TRAP_LOG"
    bg_in_ns "$SNMP_NS" "$SNMP_DIR/snmptrapd.out" env SNMP_PERSISTENT_DIR="$SNMP_DIR/persist" MIBS= \
        MIBDIRS="$SNMP_DIR/no-mibs" snmptrapd -f -n -C -c "$SNMP_DIR/snmptrapd.conf" -Lf "$SNMP_TRAP_LOG" \
        -On -p "$SNMP_DIR/snmptrapd.pid" "udp:127.0.0.1:$SNMP_TRAP_PORT"
    SNMP_TRAPD_PID=$BG_PID
    wait_for 20 grep -q 'NET-SNMP version' "$SNMP_TRAP_LOG" || {
        echo "snmp_traps_start: snmptrapd did not start; its output:" >&2
        cat "$SNMP_DIR/snmptrapd.out" "$SNMP_TRAP_LOG" >&2 || true
        return 1
    }
}

traps() { # [NOTIFICATION-OID]
    local re=.
    [[ -n ${1:-} ]] && re="= OID: ${1//./\\.}( \\||\$)"
    grep '^TRAP ' "$SNMP_TRAP_LOG" 2>/dev/null | grep -E -- "$re" || true
}

# A number (fulcrumVsNextId.0) from the subagent, not noSuchObject from snmpd alone.
_snmp_agent_answers() { [[ $(sget "$R.1.1.9.0") =~ ^[0-9]+$ ]]; }
snmp_wait_agent() { wait_for "${1:-20}" _snmp_agent_answers; }
