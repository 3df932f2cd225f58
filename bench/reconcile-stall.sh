#!/bin/bash
# How long reconcile's periodic full passes hold the event loop at 10,000 services x 10 real
# servers: API answer times (GET /api/v1/status, one request after another) while passes run,
# and the time of a no-op full pass. Prints numbers; asserts nothing.
#
# A guest script for the real-kernel rig (it needs IPVS; run it on the host as):
#     tests/vm/run.sh --timeout 900 bench/reconcile-stall.sh
# The numbers come back in tests/vm/results/reconcile-stall/guest.log.
#
# To compare builds in one guest (same kernel, same table), build the other tree somewhere
# under this one that the rig shares (bench/out/ is ignored by git), e.g. main's:
#     git archive main | tar -x -C bench/out/main && (cd bench/out/main && autoreconf -fi &&
#         ./configure && make -j2)
# and run a wrapper that sets the environment and sources this file, e.g. bench/out/stall.sh:
#     export BENCH_BINARIES="$FULCRUM_TOP/bench/out/main/fulcrumd $FULCRUM_TOP/fulcrumd"
#     . "$FULCRUM_TOP/bench/reconcile-stall.sh"
#
# Environment (the rig does not pass the host's: export them in such a wrapper):
#   BENCH_SERVICES 10000   services
#   BENCH_REALS    10      real servers per service
#   BENCH_SECONDS  30      how long the API is timed after the first pass, per round
#   BENCH_INTERVAL 5       reconcile_interval (seconds; 5 is the default)
#   BENCH_ROUNDS   2       rounds; each round runs every binary once, in turn (A B A B)
#   BENCH_BINARIES "$FULCRUM_TOP/fulcrumd"   the fulcrumd builds to compare
#
# The guest is qemu TCG on a machine shared with other builds and VMs: numbers move by tens
# of percent between runs. Medians over rounds are printed; compare builds within one run.
# shellcheck disable=SC2153 # FULCRUM_TOP comes from the rig, FULCRUM_DIR from fulcrum.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/fulcrum.sh
. "$FULCRUM_TOP/tests/vm/lib/fulcrum.sh"

nsvc=${BENCH_SERVICES:-10000}
nreals=${BENCH_REALS:-10}
seconds=${BENCH_SECONDS:-30}
interval=${BENCH_INTERVAL:-5}
rounds=${BENCH_ROUNDS:-2}
read -r -a binaries <<<"${BENCH_BINARIES:-$FULCRUM_TOP/fulcrumd}"
out=$SCENARIO_TMP/bench
mkdir -p "$out"

now_ms() { date +%s%3N; }
say() { printf '%s\n' "$*"; }

topo_up 2
say "machine: $(nproc) vCPU TCG guest, $(uname -r), $(awk '/MemTotal/ { print $2 / 1024 " MB" }' /proc/meminfo)"
t=$(now_ms)
fulcrum_seed "$nsvc" "$nreals"
say "database: $nsvc services x $nreals real servers written in $(($(now_ms) - t)) ms"
t=$(now_ms)
fulcrum_seed_ipvs "$nsvc" "$nreals"
say "IPVS: the same table with ipvsadm -R in $(($(now_ms) - t)) ms (each pass below has nothing to change)"

cat >"$out/probe.py" <<'EOF'
# GET /api/v1/status one after another for SECONDS; prints "start (Unix s) answer time (ms)" a line.
import http.client, sys, time
token, seconds = sys.argv[1], float(sys.argv[2])
h = {"Authorization": "Bearer " + token}
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=60)
end = time.monotonic() + seconds
while time.monotonic() < end:
    t = time.monotonic()
    c.request("GET", "/api/v1/status", headers=h)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("HTTP %d" % r.status)
    print("%.3f %.2f" % (time.time() - (time.monotonic() - t), (time.monotonic() - t) * 1000))
EOF

# Percentiles of the answer times in a probe's output: "n N p50 X p99 Y max Z".
stats() {
    awk '{ print $2 }' "$1" | sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "n 0"; exit }
        i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
        printf "n %d p50 %.1f p99 %.1f max %.1f", NR, v[i50], v[i99], v[NR] }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

for ((round = 1; round <= rounds; round++)); do
    for b in "${!binaries[@]}"; do
        bin=${binaries[$b]}
        tag="b$b-r$round"
        printf 'reconcile_interval = %s\n' "$interval" >"$FULCRUM_DIR/fulcrumd.conf"
        : >"$FULCRUM_LOG"
        bg_in_ns director "$FULCRUM_LOG" "$bin" --foreground -c "$FULCRUM_DIR/fulcrumd.conf" \
            --db "$FULCRUM_DB" --http 127.0.0.1:8080 --log-level debug
        FULCRUM_PID=$BG_PID
        wait_for 300 grep -q 'reconcile: started' "$FULCRUM_LOG" || fail "$bin: no 'reconcile: started'"
        # a build that holds the loop through back-to-back passes answers only now and then
        wait_for 120 in_ns director curl -sf --max-time 30 "$API/openapi.json" || fail "$bin: no API"
        started=$(grep 'reconcile: started' "$FULCRUM_LOG")
        first_ms=$(sed -n 's/.* in \([0-9.]*\) ms$/\1/p' <<<"$started")
        in_ns director python3 "$out/probe.py" "$FULCRUM_TOKEN" "$seconds" >"$out/lat-$tag.txt" ||
            fail "$bin: the probe failed"
        # fulcrumd's own instrument, where the build has it (GET /api/v1/status's loop: each turn's
        # work from the first pass on, issue 17's 50 ms line among its bounds)
        in_ns director curl -s --max-time 30 -H "Authorization: Bearer $FULCRUM_TOKEN" "$API/status" |
            python3 -c '
import json, sys
l = json.load(sys.stdin).get("loop")
if l:
    over = lambda ms: l["turns"] - next(b["turns"] for b in l["buckets"] if b["le_ms"] == ms)
    print("  loop (fulcrumd): %d turns, busy %.0f ms, longest %.1f ms; over 20 ms %d, over 50 ms %d, over 100 ms %d"
          % (l["turns"], l["busy_ms"], l["max_ms"], over(20), over(50), over(100)))' || true
        fulcrum_stop
        cp "$FULCRUM_LOG" "$out/fulcrumd-$tag.log"
        # Periodic passes, where the build logs them (debug "reconcile: pass ..." lines).
        grep 'reconcile: pass ' "$FULCRUM_LOG" >"$out/passes-$tag.txt" || true
        passes=$(sed -n 's/.* in \([0-9.]*\) ms.*/\1/p' "$out/passes-$tag.txt" | median)
        longest=$(sed -n 's/.*longest slice \([0-9.]*\) ms.*/\1/p' "$out/passes-$tag.txt" | sort -n | tail -n 1)
        # longer than 500 ms: when, to set beside the fulcrumd log (kept with --keep)
        awk '$2 > 500 { printf "  slow answer: started %s, %.0f ms\n", strftime("%T", $1), $2 }' "$out/lat-$tag.txt"
        grep 'oper: states re-evaluated' "$FULCRUM_LOG" | sed 's/^/  /' || true
        printf '%s %s %s %s %s\n' "$b" "$first_ms" "$(stats "$out/lat-$tag.txt")" "$passes" "${longest:--}" \
            >>"$out/rows.txt"
        say "round $round, ${bin#"$FULCRUM_TOP"/}: first (no-op) pass $first_ms ms; API while periodic passes ran: $(stats "$out/lat-$tag.txt") ms; periodic passes logged: $(wc -l <"$out/passes-$tag.txt") (median $passes ms, longest slice ${longest:--} ms)"
    done
done

say ""
say "=== $nsvc services x $nreals real servers, reconcile_interval $interval s, $rounds rounds of $seconds s; medians over rounds ==="
for b in "${!binaries[@]}"; do
    col() { awk -v b="$b" -v f="$1" '$1 == b { print $f }' "$out/rows.txt" | median; }
    say "${binaries[$b]#"$FULCRUM_TOP"/}: no-op first pass $(col 2) ms | API answers: p50 $(col 6) ms, p99 $(col 8) ms, max $(col 10) ms ($(col 4) requests per round) | periodic pass $(col 11) ms, longest slice $(col 12) ms"
done
in_ns director ipvsadm -C
log "done"
