#!/usr/bin/env bash
# Replication under load in a real pair: 1,000 writes through the active's API and SNMP agent at once while traffic flows, the standby's database then equal to the active's row for row; the standby stopped in the middle of writes and started again catches up from the change log, and one further behind than the log reaches takes a snapshot; digests equal each time.
# vm-timeout: 480
#
# What it checks and measures ("measure:" lines). Both directors keep repl_log_retention = 300.
#   - 1,000 writes on the active dir1 (repl_mode sync) while a client connects to the VIP every
#     10 ms: 850 through the API on one keep-alive connection (50 services created with two real
#     servers each, 775 PATCHes of their descriptions and real servers' weights, 25 deletions)
#     and, at the same time, 150 SNMP SETs of the web service's real servers' weights through
#     dir1's snmpd (net-snmp's Perl module, SNMPv3 authPriv, one SET PDU per write). Every API
#     write answered and held by the standby ("Fulcrum-Replicated: standby"), every SET
#     noError; the client's connections all answered; then both databases equal (sqlite3 on
#     each file: the revision, services, real servers, VIPs, tokens, switches, next ids, and the
#     change log's rows of the retained window: revision, time, actor, object, before, after),
#     both kernels' IPVS tables equal, the active's digest comparison equal at the last revision;
#     the active measured each revision's commit-to-acknowledgement time (GET /cluster's
#     ack_lag_ms, fulcrumctl cluster status's "repl lag"): median and 99th percentile printed;
#   - dir2 (standby) stopped by SIGTERM in the middle of 200 writes: the writes go on, answered
#     "alone"; dir2 started again with its database: dir1 streams the missing revisions from its
#     change log (no snapshot), databases and digests equal;
#   - dir2 stopped again, 400 writes (more than the retention): dir1's log no longer reaches
#     dir2's revision; started again, dir2 takes a snapshot, not called a divergence (the
#     histories cannot be compared: it keeps its change log aside in a 0600 file named in
#     /cluster, in case); databases and digests equal.
# Refusals of a wrong key, another cluster's name or a newer schema are tested where they can
# be made (tests/unit/test_repl.c, with real TLS on loopback, both sides' messages): in a real
# pair a wrong key or cluster name already fails the heartbeats (scenario 14), and a newer
# schema needs a second build.
# shellcheck disable=SC2015 # ok and not_ok always succeed: "A && ok || not_ok" is if-then-else here
# shellcheck disable=SC2119 # ha_topo_up takes optional extras
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ha.sh
. "$FULCRUM_TOP/tests/vm/lib/ha.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$FULCRUM_TOP/tests/vm/lib/tap.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/snmp.sh
. "$FULCRUM_TOP/tests/vm/lib/snmp.sh"

ha_logs_on_error

RETENTION=300

# WRITER_PY TOKEN OUT SPEC...: writes through 127.0.0.1:8080 on one keep-alive connection, one
# line per write to OUT: "ms status replicated revision label". SPEC: "mix:N" (N services
# m0.. at 10.0.4.x:80 with two real servers each, then 775 PATCHes in turn of a service's
# description and a real server's weight, then 25 deletions of the first services: N + 800
# writes), "patch:N:PREFIX" (N descriptions of service 1).
WRITER_PY='
import http.client, json, sys, time
token, out = sys.argv[1], open(sys.argv[2], "a", buffering=1)
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=10)
def write(method, path, body, label):
    c.request(method, path, None if body is None else json.dumps(body),
              {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    out.write("%d %d %s %s %s\n" % (int(time.time() * 1000), r.status, r.getheader("Fulcrum-Replicated", "-"),
                                     (r.getheader("ETag") or "-").strip("\""), label))
    return json.loads(data) if data else None
for spec in sys.argv[3:]:
    kind, n = spec.split(":")[:2]
    n = int(n)
    if kind == "mix":
        created, patches, deletes = n, 775, 25
        svcs = []
        for i in range(created):
            s = write("POST", "/api/v1/services", {"name": "m%d" % i, "address": "10.0.4.%d" % (i + 1), "port": 80,
                      "protocol": "tcp", "scheduler": "wrr",
                      "reals": [{"address": "10.0.1.11", "port": 80, "forwarding": "masq"},
                                {"address": "10.0.1.12", "port": 80, "forwarding": "masq"}]}, "m%d" % i)
            svcs.append((s["id"], [r["id"] for r in s["reals"]]))
        for i in range(patches):
            sid, rids = svcs[i % created]
            if i % 2:
                write("PATCH", "/api/v1/reals/%d" % rids[i // 2 % 2], {"weight": 2 + i % 9}, "w%d" % i)
            else:
                write("PATCH", "/api/v1/services/%d" % sid, {"description": "d%d" % i}, "d%d" % i)
        for i in range(deletes):
            write("DELETE", "/api/v1/services/%d" % svcs[i][0], None, "x%d" % i)
    else:
        prefix = spec.split(":")[2]
        for i in range(n):
            try:
                write("PATCH", "/api/v1/services/1", {"description": "%s%d" % (prefix, i)}, "%s%d" % (prefix, i))
            except OSError as e:
                out.write("%d error %s\n" % (int(time.time() * 1000), type(e).__name__))
                break
'
writer() { # N OUT SPEC...
    local n=$1 out=$2
    shift 2
    in_ns "dir$n" python3 -c "$WRITER_PY" "$(cat "$HA_DIR/dir$n/token")" "$out" "$@"
}

# SETTER_PL OUT N: N SETs of fulcrumRsWeight.1.1 and .1.2 in turn (weights 2..6, each a change) through the
# snmpd at 127.0.0.1:161, SNMPv3 authPriv, one SET PDU each; a line per SET to OUT: "ms ok|error".
# shellcheck disable=SC2016 # a Perl program
SETTER_PL='
use strict; use warnings; use SNMP; use Time::HiRes qw(time);
my ($out, $n, $rs, $user, $auth, $priv) = @ARGV;
open(my $fh, ">>", $out) or die "$out: $!"; $fh->autoflush(1);
my $s = SNMP::Session->new(DestHost => "127.0.0.1:161", Version => 3, SecLevel => "authPriv",
    SecName => $user, AuthProto => "SHA", AuthPass => $auth, PrivProto => "AES", PrivPass => $priv,
    Timeout => 10000000, Retries => 0, UseNumeric => 1) or die "no SNMP session";
for my $i (0 .. $n - 1) {
    my $r = 1 + $i % 2;
    my $vb = SNMP::Varbind->new(["$rs.8.1.$r", undef, 2 + $i % 5, "GAUGE"]);
    my $ok = defined $s->set($vb) && !$s->{ErrorNum};
    printf $fh "%d %s %s\n", time() * 1000, $ok ? "ok" : "error", $ok ? "" : $s->{ErrorStr};
}
'
setter() { # OUT N
    in_ns dir1 env MIBS= MIBDIRS="$SNMP_DIR/no-mibs" SNMPCONFPATH="$SNMP_DIR/conf" \
        SNMP_PERSISTENT_DIR="$SNMP_DIR/persist" perl -e "$SETTER_PL" "$1" "$2" "$RS" \
        "$SNMP_USER" "$SNMP_AUTH_PASS" "$SNMP_PRIV_PASS"
}

# What a director's database holds that replication keeps equal: every replicated table, the
# next ids, and the change log of the window both keep (each prunes on its own thread).
db_of() { # N
    sqlite3 -readonly "$HA_DIR/dir$1/fulcrum.db" "
SELECT 'revision', revision FROM meta;
SELECT 'service', * FROM services ORDER BY id;
SELECT 'real', * FROM reals ORDER BY id;
SELECT 'vip', * FROM vips ORDER BY id;
SELECT 'token', * FROM tokens ORDER BY id;
SELECT 'switch', * FROM notify_switches ORDER BY name;
SELECT 'next', * FROM sqlite_sequence ORDER BY name;
SELECT 'change', revision, seq, time, actor, object_type, object_id, before, after FROM change_log
 WHERE revision > (SELECT revision FROM meta) - $RETENTION ORDER BY revision, seq;"
}
same_db() { [[ $(db_of 1 | md5sum) == "$(db_of 2 | md5sum)" ]]; }
db_summary() { # N
    db_of "$1" | cut -d'|' -f1 | sort | uniq -c | awk '{ printf "%s %s, ", $1, $2 }'
}
rev_of() { ha_cluster "$1" 'c["revision"]'; }
repl_of() { ha_cluster "$1" 'c["replication"]["state"]'; }
in_sync() { [[ $(repl_of 1) == in_sync && $(rev_of 1) == "$(rev_of 2)" ]]; }
# the active's last digest comparison: at its newest revision, and equal
digest_now() { ha_cluster 1 'c["replication"]["digest"] and "%d %s" % (c["replication"]["digest"]["revision"], c["replication"]["digest"]["equal"])'; }
digest_equal() { [[ $(digest_now) == "$(rev_of 1) True" ]]; }
ipvs_of() { in_ns "dir$1" ipvsadm -Sn | sort; }
same_ipvs() { [[ $(ipvs_of 1) == "$(ipvs_of 2)" ]]; }
snapshots_taken() { ha_cluster 2 'c["replication"]["counters"]["snapshots_taken"]'; }
# dir2's divergences since its start and the divergence export files it ever wrote
divergence_of() {
    printf '%s divergences, %s export files' "$(ha_cluster 2 'c["replication"]["counters"]["divergences"]')" \
        "$(find "$HA_DIR/dir2" -name '*.diverged-*' | wc -l)"
}
answered_with() { # FILE STATUS REPLICATED: how many lines of FILE do not say that
    awk -v s="$2" -v r="$3" '$2 != s || $3 != r' "$1" | wc -l
}
pair_equal() { # WHAT: the databases, the digest and the kernels, after WHAT
    wait_for 20 same_db && ok "$1: both databases equal ($(db_summary 1)revision $(rev_of 1))" ||
        not_ok "$1: both databases equal" "$(diff <(db_of 1) <(db_of 2) | head -n 6)"
    wait_for 25 digest_equal && ok "$1: the active's digest comparison equal at its newest revision ($(digest_now))" ||
        not_ok "$1: digest equal at the newest revision" "digest $(digest_now), revision $(rev_of 1)"
    wait_for 20 same_ipvs && ok "$1: both kernels' IPVS tables equal ($(ipvs_of 1 | grep -c '^-A') services, $(ipvs_of 1 | grep -c '^-a') real servers)" ||
        not_ok "$1: both IPVS tables equal" "$(diff <(ipvs_of 1) <(ipvs_of 2) | head -n 6)"
}

ha_topo_up
SNMP_NS=dir1 SNMP_DIR=$HA_DIR/snmp-dir1
SNMP_LOG=$SNMP_DIR/snmpd.log SNMP_AGENTX=$SNMP_DIR/agentx.sock
snmp_start || fail "snmpd did not start in dir1"
HA_AGENTX=$SNMP_AGENTX ha_start 1 "ha_priority = 110" "repl_log_retention = $RETENTION"
ha_start 2 "ha_priority = 100" "repl_log_retention = $RETENTION"
wait_for 15 ha_is 1 active || fail "dir1 did not become active (role '$(ha_role 1)')"
wait_for 10 ha_is 2 standby || fail "dir2 did not become standby (role '$(ha_role 2)')"
wait_for 15 in_sync && ok "dir1 active, dir2 standby, replication in_sync" ||
    not_ok "replication in_sync" "$(ha_cluster 1 'c["replication"]')"
snmp_wait_agent 20 || fail "fulcrumd's subagent does not answer through dir1's snmpd"

# --- 1,000 writes through the API and SNMP at once, while traffic flows
poll=$HA_DIR/poll.txt
# the failover scenarios' poller, with timeouts of 2 s instead of 0.1 and 0.2: here it tells
# whether connections are answered while the guest's CPUs are busy with the writes, and under
# TCG a starved client misses a 0.2 s timeout without anything being wrong with the path
poller_py=${HA_POLLER_PY//timeout=0.1/timeout=2}
poller_py=${poller_py//settimeout(0.2)/settimeout(2)}
bg_in_ns client "$HA_DIR/poller.log" python3 -c "$poller_py" "$HA_VIP" 80 "$poll"
poller=$BG_PID
wait_for 10 grep -q ' ok$' "$poll" || fail "the client reaches no real server through the VIP"
w1=$HA_DIR/writes1.txt s1=$HA_DIR/sets1.txt
rev0=$(rev_of 1)
t0=$(ha_ms)
setter "$s1" 150 &
setter_pid=$!
writer 1 "$w1" mix:50
wait "$setter_pid" || not_ok "the SNMP setter ended with an error" "$(tail -n 3 "$s1")"
t1=$(ha_ms)
sleep 0.5
kill "$poller" 2>/dev/null || true
wait "$poller" 2>/dev/null || true
is "API writes answered" "$(wc -l <"$w1")" 850
is "every API write answered 2xx and held by the standby (Fulcrum-Replicated: standby)" \
    "$(awk '!($2 >= 200 && $2 < 300 && $3 == "standby")' "$w1" | head -n 3)" ""
is "SNMP SETs answered noError" "$(grep -c ' ok ' "$s1" || true) of $(wc -l <"$s1")" "150 of 150"
is "the active's revision moved by the 1,000 writes" "$(($(rev_of 1) - rev0))" 1000
polls=$(awk -v a="$t0" -v b="$t1" '$1 >= a && $1 <= b' "$poll")
is "the client's connections to the VIP during the writes all answered ($(wc -l <<<"$polls") tries)" \
    "$(grep -c fail <<<"$polls" || true)" 0
measure "1,000 writes (850 API on one connection, 150 SNMP SETs beside it) in $((t1 - t0)) ms: $((1000000 / (t1 - t0 + 1))) writes/s in sync mode, under TCG"
pair_equal "after 1,000 writes"
# how long each revision waited for the standby, from fulcrumd's own clock (GET /cluster's
# ack_lag_ms: commit here to the standby's acknowledgement, the last 1,024 revisions at most)
lag=$(ha_cluster 1 'c["replication"]["ack_lag_ms"]')
is "dir1 measured each of the 1,000 revisions' commit to acknowledgement" \
    "$(ha_cluster 1 'c["replication"]["ack_lag_ms"]["revisions"]')" 1000
measure "replication lag in sync mode under that load (commit to acknowledgement): $lag"
out=$(in_ns dir1 "$FULCRUM_TOP/fulcrumctl" --token "$(cat "$HA_DIR/dir1/token")" cluster status 2>&1 | grep '^repl lag' || true)
[[ $out =~ ^repl\ lag\ +commit\ to\ the\ standby.s\ acknowledgement:\ median\ [0-9.]+\ ms,.*\(last\ 1000\ revisions\)$ ]] &&
    ok "fulcrumctl cluster status says it: $out" || not_ok "fulcrumctl cluster status's repl lag line" "$out"

# --- the standby stopped in the middle of 200 writes, started again: the change log brings it up
w2=$HA_DIR/writes2.txt
: >"$w2"
writer 1 "$w2" patch:200:a &
writer_pid=$!
wait_for 30 awk 'END { exit NR < 50 }' "$w2" || fail "the writer did not get 50 answers"
ha_kill 2 TERM
stopped_after=$(wc -l <"$w2")
wait "$writer_pid" || true
is "200 writes answered while dir2 stopped" "$(awk '$2 == 200' "$w2" | wc -l)" 200
is "the last ones answered alone (the standby gone)" "$(tail -n 1 "$w2" | cut -d' ' -f3)" alone
HA_KEEP_DB=1 ha_start 2 "ha_priority = 100" "repl_log_retention = $RETENTION"
wait_for 10 ha_is 2 standby || not_ok "dir2 back as standby" "role '$(ha_role 2)'"
wait_for 20 in_sync && ok "dir2 back (stopped after $stopped_after of 200 writes): in_sync" ||
    not_ok "in_sync after the restart" "$(ha_cluster 1 'c["replication"]')"
line=$(line_of 1 'repl: replication: dir2 connected at revision' || true)
[[ $line == *"streaming from the change log" ]] && ok "dir1 streams what dir2 missed from its change log: $line" ||
    not_ok "dir1 streams from its change log" "$line"
is "dir2 took no snapshot" "$(snapshots_taken)" 0
is "no divergence: both hold the same history, dir2's log only reaches further back" "$(divergence_of)" \
    "0 divergences, 0 export files"
pair_equal "after the catch-up from the log"

# --- stopped again, 400 writes: the log no longer reaches its revision: a snapshot
held=$(rev_of 2)
ha_kill 2 TERM
w3=$HA_DIR/writes3.txt
writer 1 "$w3" patch:400:b
is "400 writes answered alone" "$(answered_with "$w3" 200 alone)" 0
oldest=$(sqlite3 -readonly "$HA_DIR/dir1/fulcrum.db" 'SELECT min(revision) FROM change_log')
[[ $oldest -gt $((held + 1)) ]] && ok "dir1's change log begins at revision $oldest, past dir2's $held (retention $RETENTION, pruned as it grew)" ||
    not_ok "dir1's log pruned past dir2's revision" "oldest $oldest, dir2 at $held, newest $(rev_of 1)"
t_start=$(ha_ms)
HA_KEEP_DB=1 ha_start 2 "ha_priority = 100" "repl_log_retention = $RETENTION"
wait_for 10 ha_is 2 standby || not_ok "dir2 back as standby" "role '$(ha_role 2)'"
wait_for 30 in_sync && ok "dir2 back: in_sync" || not_ok "in_sync after the second restart" "$(ha_cluster 1 'c["replication"]')"
line=$(line_of 1 'repl: replication: dir2 connected at revision' || true)
[[ $line == *"sending a snapshot (this node's change log begins at revision "*", after dir2's: the histories cannot be compared)" ]] &&
    ok "dir1 sends a snapshot: $line" || not_ok "dir1 sends a snapshot, saying why" "$line"
is "dir2 took one snapshot" "$(snapshots_taken)" 1
is "no divergence: the log was pruned, nothing says the histories differ" "$(divergence_of)" \
    "0 divergences, 0 export files"
kept=$(ha_cluster 2 'c["replication"]["export_file"]')
[[ $kept == *.unverified-* && $(stat -c %a "$kept") == 600 ]] &&
    python3 -c 'import json, sys; r = [c["revision"] for c in json.load(open(sys.argv[1]))]; sys.exit(not (max(r) == int(sys.argv[2])))' "$kept" "$held" &&
    ok "dir2 kept its own change log aside, up to its revision $held, mode 0600, named in /cluster: $kept" ||
    not_ok "dir2 keeps its change log aside (FILE.unverified-*)" "$kept"
snap=$(line_of 2 "snapshot of revision [0-9]+ committed here" || true)
[[ -n $snap ]] && ok "dir2: $snap" || not_ok "dir2 logs the snapshot it took"
measure "dir2 in_sync $(($(at_of 2 'snapshot of revision [0-9]+ committed here') - t_start)) ms after its start, by snapshot"
pair_equal "after the snapshot"
ha_story ' (ha: became|repl: replication: (following|connection|dir[12] connected|dir[12].s snapshot))'
snmp_stop
ha_down
trap - ERR
echo "$n_ok passed, $n_fail failed"
((n_fail == 0))
