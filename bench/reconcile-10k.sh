#!/bin/bash
# Reconcile at 10,000 services x 10 real servers in a real kernel: cold load, no-op pass and
# one weight change, against `ipvsadm -R` of the same table. Prints numbers; asserts nothing.
# A PATCH is timed three ways: right after `ipvsadm` polls (the headline), back to back
# (each after a GET /status) and after a second of idleness; what comes before it moves its
# time on these machines (bench/README.md).
#
# A guest script for the real-kernel rig (it needs IPVS; run it on the host as):
#     tests/vm/run.sh --timeout 2400 bench/reconcile-10k.sh
# The numbers come back in tests/vm/results/reconcile-10k/guest.log.
#
# Environment (the rig does not pass the host's: export them in a wrapper that sources this file):
#   BENCH_SIZES   "10000"  service counts to measure, in order (e.g. "1000 5000 10000")
#   BENCH_REALS   10       real servers per service
#   BENCH_PATCHES 5        weight changes timed at each size
# shellcheck disable=SC2153 # FULCRUM_TOP comes from the rig, FULCRUM_DIR from fulcrum.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/fulcrum.sh
. "$FULCRUM_TOP/tests/vm/lib/fulcrum.sh"

sizes=${BENCH_SIZES:-10000}
nreals=${BENCH_REALS:-10}
npatches=${BENCH_PATCHES:-5}
out=$SCENARIO_TMP/bench
mkdir -p "$out"
summary=()

now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }
say() { printf '%s\n' "$*"; }
vip() { printf '10.100.%d.%d' $(($1 / 250)) $(($1 % 250 + 1)); }
# Real server j (0-based) of service i: 10.1.j.(i % 250 + 1), port 80.
mem() { awk '/^Vm(RSS|HWM)/ { printf "%s %.1f MB  ", $1, $2 / 1024 }' "/proc/$1/status"; }

# fulcrumd in namespace $FD_NS (the director's unless set) with the database kept; no 20 s
# limit on the API (the first pass runs before the API answers). Sets T0 (ms) just before the exec.
FD_NS=director
fd_start() { # CONF
    mkdir -p "$FULCRUM_DIR"
    printf '%s\n' "$1" >"$FULCRUM_DIR/fulcrumd.conf"
    printf -- '--- fulcrumd start %s\n' "$(date +%T)" >>"$FULCRUM_LOG"
    T0=$(now_ms)
    bg_in_ns "$FD_NS" "$FULCRUM_LOG" "$FULCRUM_TOP/fulcrumd" --foreground -c "$FULCRUM_DIR/fulcrumd.conf" \
        --db "$FULCRUM_DB" --http 127.0.0.1:8080 --log-level info
    FULCRUM_PID=$BG_PID
}
# Waits for this start's "reconcile: started" line; sets STARTED (the line), PASS_MS (its ms)
# and WALL_MS (from exec to the line's own timestamp).
fd_wait_started() {
    local lines
    lines=$(grep -c -- '--- fulcrumd start' "$FULCRUM_LOG")
    wait_for 900 bash -c "awk -v n=$lines '/^--- fulcrumd start/ { s++ } s == n && /reconcile: started/ { f = 1 } END { exit !f }' '$FULCRUM_LOG'" ||
        fail "no 'reconcile: started' line within 900 s"
    STARTED=$(grep 'reconcile: started' "$FULCRUM_LOG" | tail -n 1)
    PASS_MS=$(sed -n 's/.* in \([0-9.]*\) ms$/\1/p' <<<"$STARTED")
    local ts
    ts=$(cut -d' ' -f1-2 <<<"$STARTED")
    WALL_MS=$(($(date -d "$ts" +%s%3N) - T0))
    wait_for 60 in_ns "$FD_NS" curl -sf --max-time 1 "$API/openapi.json" || fail "API did not answer after the pass"
}

topo_up 2
say "machine: $(nproc) vCPU TCG guest, $(uname -r), $(awk '/MemTotal/ { print $2 / 1024 " MB" }' /proc/meminfo), db on $(stat -f -c %T "$SCENARIO_TMP")"

for n in $sizes; do
    nr=$((n * nreals))
    say ""
    say "=== $n services x $nreals real servers ($nr reals) ==="
    in_ns director ipvsadm -C

    # ---- 1. baseline: ipvsadm -R into the empty table --------------------------------------
    awk -v n="$n" -v r="$nreals" 'BEGIN {
        for (i = 0; i < n; i++) {
            v = sprintf("10.100.%d.%d:80", int(i / 250), i % 250 + 1)
            printf "-A -t %s -s wrr\n", v
            for (j = 0; j < r; j++)
                printf "-a -t %s -r 10.1.%d.%d:80 -m -w 1\n", v, j, i % 250 + 1
        }
    }' >"$out/restore-$n.txt"
    t=$(now_ms)
    in_ns director ipvsadm -R <"$out/restore-$n.txt"
    restore_ms=$(($(now_ms) - t))
    got=$(in_ns director ipvsadm -Ln | grep -c -- '-> 10\.1\.' || true)
    [[ $got == "$nr" ]] || fail "ipvsadm -R left $got reals, not $nr"
    say "ipvsadm -R: $n services, $nr reals: $(secs "$restore_ms") s"
    t=$(now_ms)
    in_ns director ipvsadm -C
    say "ipvsadm -C: $n services: $(secs $(($(now_ms) - t))) s"

    # ---- 2a. API create rate (fresh database; fulcrumd programs IPVS as it commits) --------
    mkdir -p "$FULCRUM_DIR"
    rm -f "$FULCRUM_DB" "$FULCRUM_DB"-wal "$FULCRUM_DB"-shm "$FULCRUM_LOG"
    FULCRUM_TOKEN=$("$FULCRUM_TOP/fulcrumctl" --db "$FULCRUM_DB" token create bench --role admin 2>/dev/null) ||
        fail "fulcrumctl token create failed"
    fd_start "reconcile_interval = 0"
    wait_for 20 in_ns director curl -sf --max-time 1 "$API/openapi.json" || fail "API did not answer"
    # Two keep-alive connections, each creating every other service, so the client's Python
    # overlaps fulcrumd's work (fulcrumd itself commits one request at a time).
    cat >"$out/create.py" <<'EOF'
import http.client, json, sys, time
n, r, token, part = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=120)
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
t = t0 = time.monotonic()
for i in range(part, n, 2):
    body = {"name": "b%d" % i, "address": "10.100.%d.%d" % (i // 250, i % 250 + 1), "port": 80,
            "protocol": "tcp", "scheduler": "wrr",
            "reals": [{"address": "10.1.%d.%d" % (j, i % 250 + 1), "port": 80, "weight": 1}
                      for j in range(r)]}
    c.request("POST", "/api/v1/services", json.dumps(body), h)
    resp = c.getresponse()
    data = resp.read()
    if resp.status // 100 != 2:
        sys.exit("POST %d: HTTP %d: %s" % (i, resp.status, data[:300]))
    if i in (0, n // 2, n - 1):
        d = json.loads(data)
        print("id %d %d %s" % (i, d["reals"][0]["id"], d["address"]), flush=True)
    if part == 0 and i > 0 and i % 1000 == 0:
        now = time.monotonic()
        print("  created %d services so far, %.1f s; the last 1000 at %.1f services/s"
              % (i, now - t0, 1000 / (now - t)), file=sys.stderr, flush=True)
        t = now
EOF
    t=$(now_ms)
    in_ns director python3 "$out/create.py" "$n" "$nreals" "$FULCRUM_TOKEN" 0 >"$out/ids0-$n.txt" &
    c0=$!
    in_ns director python3 "$out/create.py" "$n" "$nreals" "$FULCRUM_TOKEN" 1 >"$out/ids1-$n.txt" &
    c1=$!
    wait "$c0" || fail "the API create failed"
    wait "$c1" || fail "the API create failed"
    create_ms=$(($(now_ms) - t))
    sed -n 's/^id //p' "$out/ids0-$n.txt" "$out/ids1-$n.txt" | sort -n >"$out/ids-$n.txt"
    say "API create: $n services with $nreals reals each in $(secs "$create_ms") s: $(awk -v n="$n" -v ms="$create_ms" 'BEGIN { printf "%.1f services/s (%.2f ms each)", n * 1000 / ms, ms / n }'), two keep-alive connections"
    got=$(in_ns director ipvsadm -Ln | grep -c -- '-> 10\.1\.' || true)
    say "  (after the API create, IPVS holds $got of $nr reals: commits are programmed as they happen)"
    say "fulcrumd memory after API create: $(mem "$FULCRUM_PID")"
    fulcrum_stop

    # ---- 2b. cold load: the same database, an empty table -----------------------------------
    in_ns director ipvsadm -C
    fd_start "reconcile_interval = 30"
    fd_wait_started
    cold_ms=$PASS_MS cold_wall=$WALL_MS
    say "$STARTED"
    got=$(in_ns director ipvsadm -Ln | grep -c -- '-> 10\.1\.' || true)
    [[ $got == "$nr" ]] || fail "the cold load left $got reals, not $nr"
    say "fulcrumd cold load: $n services, $nr reals: pass $(secs "${cold_ms%.*}") s ($cold_ms ms), exec to log line $(secs "$cold_wall") s"
    say "fulcrumd memory after cold load: $(mem "$FULCRUM_PID")"
    fulcrum_stop

    # ---- 2c. cold load into a fresh table: a new network namespace --------------------------
    # IPVS keeps its state, the dest trash included, per network namespace: a new namespace
    # has the same fresh, never-cleared table that ipvsadm -R met in step 1.
    ip netns add "fresh$n"
    ip -n "fresh$n" link set lo up
    FD_NS=fresh$n
    fd_start "reconcile_interval = 30"
    fd_wait_started
    fresh_ms=$PASS_MS fresh_wall=$WALL_MS
    say "$STARTED"
    got=$(in_ns "fresh$n" ipvsadm -Ln | grep -c -- '-> 10\.1\.' || true)
    [[ $got == "$nr" ]] || fail "the cold load into a fresh namespace left $got reals, not $nr"
    say "fulcrumd cold load into a fresh namespace: $n services, $nr reals: pass $(secs "${fresh_ms%.*}") s ($fresh_ms ms), exec to log line $(secs "$fresh_wall") s"
    say "fulcrumd memory after cold load into a fresh namespace: $(mem "$FULCRUM_PID")"
    fulcrum_stop
    FD_NS=director
    ip netns del "fresh$n"

    # ---- 3. no-op pass: adoption of a table already in sync ---------------------------------
    fd_start "reconcile_interval = 30"
    fd_wait_started
    noop_ms=$PASS_MS noop_wall=$WALL_MS
    say "$STARTED"
    say "fulcrumd no-op pass (adoption on restart, table in sync): $n services: $(secs "${noop_ms%.*}") s ($noop_ms ms), exec to log line $(secs "$noop_wall") s"

    # ---- 4. one weight change at this size ------------------------------------------------
    read -r _ rid addr < <(sed -n 2p "$out/ids-$n.txt")
    # The weight is written to IPVS in the commit's callback, before the API answers; the
    # answer time is what fulcrumd takes, the poll adds ipvsadm's own start-up under TCG.
    read -r patch_ans patch_med patch_tool patch_warm patch_idle < <(in_ns director python3 - "$FULCRUM_TOKEN" "$rid" "$addr" "$npatches" <<'EOF2'
import hashlib, http.client, json, re, subprocess, sys, time
token, rid, addr, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=60)
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
def ipvs():
    return subprocess.run(["ipvsadm", "-Ln", "-t", addr + ":80"], capture_output=True, text=True).stdout
t = time.monotonic(); ipvs(); tool = (time.monotonic() - t) * 1000
ans, tot, first = [], [], 0
for k in range(n):
    w = k + 2
    pat = re.compile(r"-> 10\.1\.0\.\d+:80\s+Masq\s+%d\s" % w)
    t = time.monotonic()
    c.request("PATCH", "/api/v1/reals/" + rid, json.dumps({"weight": w}), h)
    r = c.getresponse(); r.read()
    if r.status // 100 != 2:
        sys.exit("PATCH: HTTP %d" % r.status)
    ans.append((time.monotonic() - t) * 1000)
    polls = 0
    while True:
        polls += 1
        if pat.search(ipvs()):
            break
        if time.monotonic() - t > 30:
            sys.exit("weight %d not in IPVS after 30 s" % w)
    tot.append((time.monotonic() - t) * 1000)
    first += polls == 1
# What comes just before a PATCH moves its time on these machines: the same PATCH
# back to back (each after a GET /status) and after a second of idleness.
def patch(w):
    t = time.monotonic()
    c.request("PATCH", "/api/v1/reals/" + rid, json.dumps({"weight": w}), h)
    r = c.getresponse(); r.read()
    if r.status // 100 != 2:
        sys.exit("PATCH: HTTP %d" % r.status)
    return (time.monotonic() - t) * 1000
warm, idle = [], []
for k in range(20):
    c.request("GET", "/api/v1/status", headers=h); c.getresponse().read()
    warm.append(patch(100 + k))
for k in range(5):
    time.sleep(1)
    idle.append(patch(200 + k))
# The machine's own part, a baseline in the same run: a fixed piece of work in C about as
# long as a PATCH (SHA-256 of 128 KB, in this client), back to back and after 1 s idle.
block = b"x" * 131072
def sha():
    t = time.monotonic()
    hashlib.sha256(block).digest()
    return (time.monotonic() - t) * 1000
sha_warm, sha_idle = [], []
for k in range(20):
    c.request("GET", "/api/v1/status", headers=h); c.getresponse().read()
    sha_warm.append(sha())
for k in range(5):
    time.sleep(1)
    sha_idle.append(sha())
med = lambda v: sorted(v)[len(v) // 2]
print("%.1f %.1f %.1f %.1f %.1f" % (med(ans), med(tot), tool, med(warm), med(idle)))
print("  SHA-256 of 128 KB (the machine's baseline): back to back %.1f ms, after 1 s idle %.1f ms (x %.1f)"
      % (med(sha_warm), med(sha_idle), med(sha_idle) / med(sha_warm)), file=sys.stderr)
print("  PATCH answers (ms): %s; to ipvsadm showing it (ms): %s; seen on the first poll %d of %d"
      % (" ".join("%.1f" % x for x in ans), " ".join("%.1f" % x for x in tot), first, n), file=sys.stderr)
print("  PATCH answers back to back, each after a GET /status (ms): %s" % " ".join("%.1f" % x for x in warm), file=sys.stderr)
print("  PATCH answers after 1 s idle (ms): %s" % " ".join("%.1f" % x for x in idle), file=sys.stderr)
EOF2
)
    [[ -n $patch_ans ]] || fail "the PATCH measurement failed"
    say "PATCH weight, API answer (IPVS already written): $n services: median $patch_ans ms"
    say "PATCH weight to ipvsadm -Ln -t showing it: $n services: median $patch_med ms (one ipvsadm -Ln -t run alone: $patch_tool ms)"
    say "PATCH weight back to back: median $patch_warm ms; after 1 s idle: median $patch_idle ms"
    wait_for 5 grep -q 'reconcile: started' "$FULCRUM_LOG" || true
    say "fulcrumd memory at $n services (RSS now, HWM peak): $(mem "$FULCRUM_PID")"
    fulcrum_stop

    # ---- 5. the baseline again, in the kernel state the cold load met -----------------------
    # ipvsadm -C leaves every dest in the kernel's dest trash for 2-3 minutes, and each dest
    # add walks that list first; the cold load (2b) ran seconds after a -C of the full table,
    # the baseline (1) into a fresh kernel. Time ipvsadm -R right after a -C of the full table.
    in_ns director ipvsadm -C
    t=$(now_ms)
    in_ns director ipvsadm -R <"$out/restore-$n.txt"
    restore_trash_ms=$(($(now_ms) - t))
    say "ipvsadm -R right after ipvsadm -C of the full table (the cold load's kernel state): $(secs "$restore_trash_ms") s"

    summary+=("$(awk -v n="$n" -v r="$restore_ms" -v rt="$restore_trash_ms" -v f="$fresh_ms" -v fw="$fresh_wall" -v c="$cold_ms" -v cw="$cold_wall" -v z="$noop_ms" -v p="$patch_med" -v pa="$patch_ans" -v pw="$patch_warm" -v pi="$patch_idle" 'BEGIN {
        printf "%6d services: fresh table: ipvsadm -R %.2f s, cold load %.2f s (wall %.2f s) = %.2f x | after a -C of the full table: ipvsadm -R %.2f s, cold load %.2f s (wall %.2f s) = %.2f x | no-op pass %.2f s | PATCH answer %.1f ms = 1/%.0f of the fresh cold load (back to back %.1f ms = 1/%.0f, after 1 s idle %.1f ms = 1/%.0f), to ipvsadm %.0f ms = 1/%.0f", \
            n, r / 1000, f / 1000, fw / 1000, f / r, rt / 1000, c / 1000, cw / 1000, c / rt, z / 1000, pa, f / pa, pw, f / pw, pi, f / pi, p, f / p }')")
done

say ""
say "=== summary (targets: cold load <= ipvsadm -R, i.e. ratio <= 1; PATCH < 1/1000 of cold load) ==="
printf '%s\n' "${summary[@]}"
in_ns director ipvsadm -C
log "done"
