#!/bin/bash
# Replication in a real pair: every write the active acknowledged is on the standby, through the active's death; the new active goes on from the same revision; a returning node catches up; after a split brain the side that steps down exports the revisions only it committed and takes the winner's configuration.
# vm-timeout: 360
#
# What it checks and measures ("measure:" lines; writes through the API by one client on a
# keep-alive connection, each answer's ETag revision and Fulcrum-Replicated header recorded):
#   - 20 services and 300 changes through the active dir1 (repl_mode sync): each answered
#     "replicated: standby"; both directors' API configuration, revisions and change logs' actors
#     equal; both kernels' IPVS tables equal (ipvsadm -Sn: the standby reconciles warm);
#     per-write latency, median and 95th percentile;
#   - dir1 SIGKILLed while the client writes as fast as it can: dir2 takes over holding the last
#     write dir1 acknowledged (or the one after it, committed but not yet answered): nothing
#     acknowledged is lost; dir2 takes a write at once, its revision the next one;
#   - dir1 restarted with its database: standby, it catches up from dir2's change log; both
#     equal again;
#   - split brain: heartbeats lost both ways (tc netem, 100%), both active, each takes a write;
#     healed, one steps down, exports the revision only it committed to a file (mode 0600,
#     naming the write) and takes the winner's configuration; both equal; the loser's /cluster
#     names the file.
# shellcheck disable=SC2015 # ok and not_ok always succeed: "A && ok || not_ok" is if-then-else here
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/ha.sh
. "$FULCRUM_TOP/tests/vm/lib/ha.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$FULCRUM_TOP/tests/vm/lib/tap.sh"

ha_logs_on_error

# WRITER_PY TOKEN OUT SPEC...: writes through 127.0.0.1:8080 on one connection, one line per write to
# OUT: "ms status replicated revision label". SPEC: "post:N" (N services 10.0.3.x:80, one real server
# each), "patch:N:PREFIX" (N descriptions PREFIX0.. of service 1), "patch:forever:PREFIX" (until
# the connection fails).
WRITER_PY='
import http.client, json, sys, time
token, out = sys.argv[1], open(sys.argv[2], "a", buffering=1)
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=5)
def write(method, path, body, label):
    c.request(method, path, json.dumps(body), {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    out.write("%d %d %s %s %s\n" % (int(time.time() * 1000), r.status, r.getheader("Fulcrum-Replicated", "-"),
                                     (r.getheader("ETag") or "-").strip("\""), label))
for spec in sys.argv[3:]:
    kind, n = spec.split(":")[:2]
    if kind == "post":
        for i in range(int(n)):
            write("POST", "/api/v1/services", {"name": "s%d" % i, "address": "10.0.3.%d" % (i + 1), "port": 80,
                  "protocol": "tcp", "reals": [{"address": "10.0.1.11", "port": 80, "forwarding": "masq"}]}, "s%d" % i)
    else:
        prefix, i = spec.split(":")[2], 0
        while n == "forever" or i < int(n):
            try:
                write("PATCH", "/api/v1/services/1", {"description": "%s%d" % (prefix, i)}, "%s%d" % (prefix, i))
            except OSError as e:
                out.write("%d error %s\n" % (int(time.time() * 1000), type(e).__name__))
                break
            i += 1
'
writer() { # N OUT SPEC...
    local n=$1 out=$2
    shift 2
    in_ns "dir$n" python3 -c "$WRITER_PY" "$(cat "$HA_DIR/dir$n/token")" "$out" "$@"
}
# what a director's API holds: services (with reals) and VIPs, ids and all, but no status
config_of() { # N
    for path in /services /vips; do ha_api "$1" "$path"; echo; done | python3 -c '
import json, sys
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in ("status", "revision")}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
for line in sys.stdin:
    if line.strip():
        print(json.dumps(strip(json.loads(line)), sort_keys=True))'
}
same_config() { [[ $(config_of 1) == "$(config_of 2)" && -n $(config_of 1) ]]; }
rev_of() { ha_cluster "$1" 'c["revision"]'; }
repl_of() { ha_cluster "$1" 'c["replication"]["state"]'; }
in_sync() { [[ $(repl_of "$1") == in_sync ]]; } # N: as the active N sees it
desc_of() { ha_api "$1" /services/1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["description"])'; }
ipvs_of() { in_ns "dir$1" ipvsadm -Sn | sort; }
changes_of() { # N: the whole change log, a line per row (origin aside: "sync" on the standby)
    local since=0 page
    while :; do
        page=$(ha_api "$1" "/changes?since=$since&limit=1000")
        python3 -c '
import json, sys
for c in json.load(sys.stdin)["changes"]:
    print(c["revision"], c["time"], c["actor"], c["object_type"], c["object_id"], c["before"], c["after"])' <<<"$page"
        [[ $(python3 -c 'import json, sys; print(json.load(sys.stdin)["more"])' <<<"$page") == True ]] || break
        since=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["next_since"])' <<<"$page")
    done
}

ha_topo_up
ha_start 1 "ha_priority = 110"
ha_start 2 "ha_priority = 100"
wait_for 15 ha_is 1 active || fail "dir1 did not become active (role '$(ha_role 1)')"
wait_for 10 ha_is 2 standby || fail "dir2 did not become standby (role '$(ha_role 2)')"
wait_for 15 in_sync 1 && ok "dir1 active, dir2 standby, replication in_sync" ||
    not_ok "replication in_sync" "$(ha_cluster 1 'c["replication"]')"

# --- 20 services and 300 changes through the active, each held by the standby when answered
w1=$HA_DIR/writes1.txt
writer 1 "$w1" post:20 patch:300:d
is "writes answered" "$(wc -l <"$w1")" 320
is "every write answered 201/200, replicated: standby" \
    "$(awk '!(($2 == 201 || $2 == 200) && $3 == "standby")' "$w1" | head -n 3)" ""
read -r n p50 p95 rate < <(python3 -c '
import sys
t = [int(l.split()[0]) for l in open(sys.argv[1])]
d = sorted(b - a for a, b in zip(t, t[1:]))
print(len(d), d[len(d) // 2], d[int(len(d) * 0.95)], round(1000 * len(d) / max(1, t[-1] - t[0]), 1))' "$w1")
measure "sync writes through the active: $rate writes/s on one connection; between answers median $p50 ms, 95th percentile $p95 ms ($n writes, under TCG)"
last=$(awk 'END { print $4 }' "$w1")
is "dir2's revision is dir1's last answered one" "$(rev_of 2)" "$last"
wait_for 10 same_config && ok "both APIs hold the same services, real servers and VIPs (ids included)" ||
    not_ok "same configuration on both" "$(diff <(config_of 1) <(config_of 2) | head -n 5)"
is "the change log reads the same on both (revision, time, actor, object, before, after; $(changes_of 1 | wc -l) rows)" \
    "$(changes_of 2 | md5sum)" "$(changes_of 1 | md5sum)"
same_ipvs() { [[ $(ipvs_of 1) == "$(ipvs_of 2)" ]]; }
wait_for 15 same_ipvs && ok "both kernels' IPVS tables equal ($(ipvs_of 1 | grep -c '^-A') services, ipvsadm -Sn)" ||
    not_ok "both IPVS tables equal" "$(diff <(ipvs_of 1) <(ipvs_of 2) | head -n 5)"

# --- dir1 killed in the middle of writes: nothing it acknowledged is lost
w2=$HA_DIR/writes2.txt
: >"$w2"
bg_in_ns dir1 "$HA_DIR/writer2.log" python3 -c "$WRITER_PY" "$(cat "$HA_DIR/dir1/token")" "$w2" patch:forever:k
wpid=$BG_PID
wait_for 20 bash -c "[[ \$(wc -l <'$w2') -ge 50 ]]" || not_ok "the writer got going" "$(cat "$HA_DIR/writer2.log")"
killed=$(ha_ms)
ha_kill 1 KILL
wait "$wpid" 2>/dev/null || true
read -r acked_rev acked_label < <(awk '$2 == 200 && $3 == "standby" { r = $4; l = $5 } END { print r, l }' "$w2")
is "no write answered alone before the kill" "$(awk '$2 == 200 && $3 != "standby"' "$w2" | wc -l)" 0
wait_for 5 ha_is 2 active && ok "dir2 took over" || not_ok "dir2 took over" "role '$(ha_role 2)'"
got=$(desc_of 2)
next="k$((${acked_label#k} + 1))"
[[ $got == "$acked_label" || $got == "$next" ]] &&
    ok "dir2 holds the last acknowledged write ($acked_label, revision $acked_rev; it holds $got)" ||
    not_ok "dir2 holds the last acknowledged write" "acknowledged $acked_label (revision $acked_rev), dir2 holds $got"
rev2=$(rev_of 2)
((rev2 >= acked_rev)) && ok "dir2's revision $rev2 is not behind the last acknowledged $acked_rev" ||
    not_ok "dir2's revision behind the acknowledged one" "$rev2 < $acked_rev"
measure "dir1 killed after $(($(wc -l <"$w2") - 1)) writes; the last acknowledged revision $acked_rev, dir2 at $rev2"
out=$(ha_write 2 PATCH /services/1 '{"description": "after"}')
[[ $out == "HTTP 200"* ]] && ok "the new active takes a write at once" || not_ok "dir2 takes a write" "$out"
is "its revision is the next one" "$(rev_of 2)" "$((rev2 + 1))"
measure "dir2 active $(($(at_of 2 'ha: became active') - killed)) ms after the kill"

# --- dir1 back with its database: standby, caught up from dir2's change log
HA_KEEP_DB=1 ha_start 1 "ha_priority = 110"
wait_for 10 ha_is 1 standby && ok "dir1 back as standby" || not_ok "dir1 back as standby" "role '$(ha_role 1)'"
wait_for 15 in_sync 2 && ok "dir2 sees dir1 in_sync" || not_ok "dir2's replication in_sync" "$(ha_cluster 2 'c["replication"]')"
wait_for 10 same_config && ok "both hold the same configuration again" ||
    not_ok "same configuration after the catch-up" "$(diff <(config_of 1) <(config_of 2) | head -n 5)"
is "dir1's description is the new active's" "$(desc_of 1)" after
# dir1 may have committed a write dir2 never got (killed before the standby acknowledged it, so
# never answered): then its history differs, and it exports that revision before taking dir2's
line=$(line_of 2 'repl: replication: dir1 connected at revision' || true)
own_export=$(line_of 1 'replication: revisions [0-9]+\.\.[0-9]+ were committed on this node and not on dir2' || true)
if [[ -n $own_export ]]; then
    ok "dir1 had committed a write dir2 never got (unanswered): $own_export"
else
    [[ $line == *"streaming from the change log" ]] && ok "dir2 streams the missing revisions from its change log: $line" ||
        not_ok "dir2 streams to dir1 from its change log" "$line"
fi

# --- split brain: heartbeats lost both ways, both active, a write on each; healed, one exports
export_re='replication: revisions [0-9]+\.\.[0-9]+ were committed on this node and not on dir'
exports_of() { grep -cE "$export_re" "${HA_LOG[$1]}" || true; } # N
declare -A exports_before=([1]=$(exports_of 1) [2]=$(exports_of 2))
ha_hb_loss 1 100 >/dev/null
ha_hb_loss 2 100 >/dev/null
wait_for 10 ha_is 1 active && ok "heartbeats lost both ways: dir1 active too (split brain)" ||
    not_ok "dir1 active in the split" "role '$(ha_role 1)'"
is "dir2 still active" "$(ha_role 2)" active
out1=$(ha_write 1 PATCH /services/1 '{"description": "split-dir1"}')
out2=$(ha_write 2 PATCH /services/1 '{"description": "split-dir2"}')
[[ $out1 == "HTTP 200"* && $out2 == "HTTP 200"* ]] && ok "each active took a write of its own" ||
    not_ok "both actives took a write" "$out1 / $out2"
healed=$(ha_ms)
ha_hb_loss 1 0 >/dev/null
ha_hb_loss 2 0 >/dev/null
one_active() { [[ $(ha_role 1)/$(ha_role 2) == active/standby || $(ha_role 1)/$(ha_role 2) == standby/active ]]; }
wait_for 15 one_active && ok "healed: one active ($(ha_role 1)/$(ha_role 2))" || not_ok "one active after the heal" "$(ha_role 1)/$(ha_role 2)"
if ha_is 1 standby; then loser=1 winner=2; else loser=2 winner=1; fi
exported() { (($(exports_of "$loser") > ${exports_before[$loser]})); }
wait_for 15 exported && ok "dir$loser says what it exports: $(line_of "$loser" "$export_re")" ||
    not_ok "dir$loser exports its own revisions"
file=$(ha_cluster "$loser" 'c["replication"]["export_file"]')
[[ -f $file ]] && ok "dir$loser's /cluster names the file: $file" || not_ok "the export file exists" "'$file'"
is "the file's mode" "$(stat -c %a "$file" 2>/dev/null)" 600
grep -q "split-dir$loser" "$file" && ok "the file holds dir$loser's own write (split-dir$loser)" ||
    not_ok "the file holds the loser's write" "$(head -c 400 "$file")"
wait_for 15 same_config && ok "both hold the winner's configuration" ||
    not_ok "same configuration after the split" "$(diff <(config_of 1) <(config_of 2) | head -n 5)"
is "dir$loser's description is the winner's" "$(desc_of "$loser")" "split-dir$winner"
wait_for 15 in_sync "$winner" && ok "dir$winner sees dir$loser in_sync" ||
    not_ok "in_sync after the split" "$(ha_cluster "$winner" 'c["replication"]')"
snap_at=$(at_of "$loser" 'snapshot of revision [0-9]+ committed here') || snap_at=$healed
measure "split brain healed: dir$loser exported and took dir$winner's snapshot $((snap_at - healed)) ms after the heal"

ha_story ' (ha: became|repl: replication: (following|connection|revisions|the standby|dir[12].s snapshot))'
ha_down
trap - ERR
echo "$n_ok passed, $n_fail failed"
((n_fail == 0))
