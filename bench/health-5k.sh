#!/usr/bin/env bash
# Health checks at scale: 5,000 real servers checked by HTTP every second. Checks per second as the
# real servers count them, fulcrumd's CPU and memory, and the API's latency with the checks running
# against the same services with check type none, alternately in the same run. Builds nothing.
#
# Usage: bench/health-5k.sh [--reals N] [--per-service N] [--rounds N] [--seconds N]
#                           [--stall S] [--perf]
#   --reals N        real servers in all (5000), each on its own address 127.0.X.Y
#   --per-service N  real servers per service (10)
#   --rounds N       alternating rounds, checks then none (3)
#   --seconds N      each measured window (10)
#   --stall S        then pause fulcrumd S seconds (SIGSTOP) and measure two windows after it
#                    (1.5; 0: not)
#   --perf           at the end profile fulcrumd (perf record), as the windows left it and with
#                    fresh checks: BENCH_DIR/health-5k.perf-now.txt and health-5k.perf-fresh.txt
# The same from the environment: BENCH_REALS, BENCH_PER_SERVICE, BENCH_ROUNDS, BENCH_SECONDS,
# BENCH_STALL, BENCH_PERF=1; also BENCH_PROBE_MS (50: the API is asked every so many ms) and
# BENCH_DIR (bench/out: the scratch database; use a disk, not a tmpfs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
nreals=${BENCH_REALS:-5000}
per=${BENCH_PER_SERVICE:-10}
rounds=${BENCH_ROUNDS:-3}
seconds=${BENCH_SECONDS:-10}
probe_ms=${BENCH_PROBE_MS:-50}
perf=${BENCH_PERF:-}
stall=${BENCH_STALL:-1.5}

args=("$@")
while (($#)); do
	case $1 in
	--reals) nreals=${2:?}; shift ;;
	--per-service) per=${2:?}; shift ;;
	--rounds) rounds=${2:?}; shift ;;
	--seconds) seconds=${2:?}; shift ;;
	--stall) stall=${2:?}; shift ;;
	--perf) perf=1 ;;
	-h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (try --help)" ;;
	esac
	shift
done
for v in nreals per rounds seconds probe_ms; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive number, not '${!v}'"
done
[[ $stall =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--stall takes seconds, not '$stall'"
((nreals <= 64000)) || die "at most 64000 real servers (addresses 127.0.0.1 to 127.0.255.250)"

for f in fulcrumd fulcrumctl bench/health-responder; do
	[[ -x $top/$f ]] || die "$top/$f is not built: run make"
done
command -v python3 >/dev/null || die "python3 is not installed"
if [[ -n $perf ]]; then
	command -v perf >/dev/null || die "--perf needs perf"
fi

bench_private_net "${args[@]}"

bench_workdir

# ---- the API client: a few Python functions over http.client ----------------------------

cat >"$work/api.py" <<'EOF'
import http.client, json, os, sys, time

PORT = int(os.environ["FPORT"])
AUTH = {"Authorization": "Bearer " + os.environ["FTOKEN"]}
conn = None

def call(method, path, body=None):
    """One request on a kept-alive connection; the decoded answer. Dies on an error status."""
    global conn
    for attempt in (1, 2):
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        try:
            headers = dict(AUTH)
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, "/api/v1" + path, body=data, headers=headers)
            r = conn.getresponse()
            text = r.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            conn = None
            if attempt == 2:
                raise
            continue
        if r.status >= 300:
            sys.exit("%s %s: %d %s" % (method, path, r.status, text[:300].decode(errors="replace")))
        return json.loads(text) if text else None

def service_ids():
    return [s["id"] for s in call("GET", "/services")["services"]]

def healths():
    """Every real server's status.health."""
    out = []
    for sid in service_ids():
        for r in call("GET", "/services/%d/reals" % sid)["reals"]:
            out.append(r["status"].get("health") or {})
    return out

def quantile(v, q):
    """The q-quantile of sorted v, the nearest rank."""
    if not v:
        return 0.0
    i = max(0, min(len(v) - 1, int(q * len(v) + 0.999999) - 1))
    return v[i]

def create(nreals, per, port, check):
    t0 = time.monotonic()
    s = 0
    for first in range(0, nreals, per):
        reals = [{"address": "127.0.%d.%d" % (i // 250, i % 250 + 1), "port": port, "weight": 1}
                 for i in range(first, min(nreals, first + per))]
        call("POST", "/services", {
            "name": "hc%d" % s, "address": "198.18.%d.%d" % (s // 250, s % 250 + 1),
            "port": 80, "protocol": "tcp", "scheduler": "wrr", "check": check, "reals": reals})
        s += 1
    print("%d %.2f" % (s, time.monotonic() - t0))

def set_check(kind):
    t0 = time.monotonic()
    ids = service_ids()
    for sid in ids:
        call("PATCH", "/services/%d" % sid, {"check": {"type": kind}})
    print("%d %.2f" % (len(ids), time.monotonic() - t0))

def wait_up(nreals, timeout):
    t0 = time.monotonic()
    while True:
        h = healths()
        up = sum(1 for x in h if x.get("state") == "up")
        if up == nreals:
            print("%.1f" % (time.monotonic() - t0))
            return
        if time.monotonic() - t0 > timeout:
            reasons = sorted({x.get("reason", "") for x in h if x.get("state") != "up"})
            sys.exit("after %d s: %d of %d real servers up, %d listed; not up: %s"
                     % (timeout, up, nreals, len(h), "; ".join(reasons[:5])))
        time.sleep(0.5)

def snapshot():
    """up down unknown, and how long ago each was last checked: p50 and max seconds."""
    h = healths()
    now = time.time()
    n = {"up": 0, "down": 0, "unknown": 0}
    for x in h:
        n[x.get("state", "unknown")] = n.get(x.get("state", "unknown"), 0) + 1
    age = sorted(now - x["last_check"] for x in h if x.get("last_check"))
    print("%d %d %d %.1f %.1f" % (n["up"], n["down"], n["unknown"], quantile(age, 0.5),
                                  age[-1] if age else -1))

def probe(seconds, every_ms):
    """GET /api/v1/status on a new connection every every_ms: n p50 p99 max (ms) errors."""
    t = []
    errors = 0
    start = time.monotonic()
    k = 0
    while True:
        due = start + k * every_ms / 1000.0
        now = time.monotonic()
        if due - start >= seconds:
            break
        if due > now:
            time.sleep(due - now)
        k += 1
        t0 = time.perf_counter()
        try:
            c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
            c.request("GET", "/api/v1/status", headers=AUTH)
            r = c.getresponse()
            r.read()
            c.close()
            if r.status != 200:
                errors += 1
                continue
        except (http.client.HTTPException, OSError):
            errors += 1
            continue
        t.append((time.perf_counter() - t0) * 1000.0)
        if time.monotonic() > due + every_ms / 1000.0:
            k = int((time.monotonic() - start) * 1000.0 / every_ms) + 1  # late: skip, no burst
    t.sort()
    print("%d %.3f %.3f %.3f %d" % (len(t), quantile(t, 0.5), quantile(t, 0.99),
                                    t[-1] if t else 0, errors))

cmd = sys.argv[1]
if cmd == "create":
    create(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5]))
elif cmd == "set_check":
    set_check(sys.argv[2])
elif cmd == "wait_up":
    wait_up(int(sys.argv[2]), int(sys.argv[3]))
elif cmd == "snapshot":
    snapshot()
elif cmd == "probe":
    probe(float(sys.argv[2]), float(sys.argv[3]))
else:
    sys.exit("api.py: unknown command " + cmd)
EOF
api() {
	FPORT=$fport FTOKEN=$token python3 "$work/api.py" "$@"
}

# ---- the real servers and fulcrumd --------------------------------------------------------

echo "machine: $(machine), $(uname -r), scratch on $(stat -f -c %T "$work") ($work)"
: >"$work/responder.out" # there before the responder opens it, for the loop below
"$top/bench/health-responder" 0 "Still alive
" >"$work/responder.out" 2>"$work/responder.err" &
rpid=$!
pids+=("$rpid")
rport=
for ((i = 0; i < 50; i++)); do
	rport=$(awk '$1 == "port" { print $2 }' "$work/responder.out")
	[[ -n $rport ]] && break
	sleep 0.1
done
[[ -n $rport ]] || die "health-responder did not start: $(cat "$work/responder.err")"

db=$work/fulcrum.db
token=$("$top/fulcrumctl" --db "$db" token create bench --role admin 2>/dev/null)
[[ $token == ful_* ]] || die "cannot make a token in $db"
printf 'db = %s\n' "$db" >"$work/fulcrumd.conf" # nothing from /etc/fulcrum
: >"$work/fulcrumd.log" # there before fulcrumd opens it, for the loop below
"$top/fulcrumd" --foreground -c "$work/fulcrumd.conf" --http 127.0.0.1:0 --agentx '' \
	>"$work/fulcrumd.log" 2>&1 &
fpid=$!
pids+=("$fpid")
fport=
for ((i = 0; i < 100; i++)); do
	fport=$(sed -n 's|.*API on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/fulcrumd.log")
	[[ -n $fport ]] && break
	kill -0 "$fpid" 2>/dev/null || break
	sleep 0.1
done
[[ -n $fport ]] || die "fulcrumd did not start: $(tail -5 "$work/fulcrumd.log")"
ipvs=$(FPORT=$fport FTOKEN=$token python3 -c '
import http.client, json, os
c = http.client.HTTPConnection("127.0.0.1", int(os.environ["FPORT"]))
c.request("GET", "/api/v1/status", headers={"Authorization": "Bearer " + os.environ["FTOKEN"]})
print(json.loads(c.getresponse().read()).get("ipvs", {}).get("available"))')

check='{"type": "http", "path": "/", "expect": "Still alive", "interval": 1, "timeout": 1, "rise": 1, "fall": 1}'
nservices=$(((nreals + per - 1) / per))
echo "creating $nservices services with $nreals real servers (127.0.X.Y:$rport), check $check"
read -r made took <<<"$(api create "$nreals" "$per" "$rport" "$check")"
echo "  $made services in $took s through POST /api/v1/services; IPVS available to fulcrumd: $ipvs"
echo "  all $nreals up after $(api wait_up "$nreals" 60) s more"

# ---- the windows --------------------------------------------------------------------------

hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$fpid/stat"; }
now() { date +%s.%N; }
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$fpid/status"; }
downs() { grep -c ' is down: ' "$work/fulcrumd.log" || true; }

# window N: measures the Nth window; sets W_* (responder line, fulcrumd cpu %, probe results,
# real servers that went down)
window() {
	local c0 c1 t0 t1 d0 line
	d0=$(downs) c0=$(cpu_ticks) t0=$(now)
	kill -USR1 "$rpid"
	read -r _ W_P50 W_P99 W_MAX W_ERR <<<"$(api probe "$seconds" "$probe_ms")"
	kill -USR2 "$rpid"
	c1=$(cpu_ticks) t1=$(now)
	W_DOWN=$(($(downs) - d0))
	W_CPU=$(awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" -v hz="$hz" \
		'BEGIN { printf "%.1f", (b - a) / hz / (e - s) * 100 }')
	line=
	for ((i = 0; i < 50; i++)); do
		line=$(grep '^window seconds=' "$work/responder.out" | sed -n "${1}p")
		[[ -n $line ]] && break
		sleep 0.1
	done
	[[ -n $line ]] || die "health-responder did not report"
	W_LINE=$line
}
field() { grep -o "$1=[0-9.]*" <<<"$W_LINE" | head -1 | cut -d= -f2; }

# the responder's p99 or max after its name: "p99 gap_ms" reads "gap_ms_p50=.. p99=X"
sub() { grep -o "$2_p50=[^ ]* p99=[^ ]* max=[0-9.]*" <<<"$W_LINE" | sed "s/.*$1=//; s/ .*//"; }

declare -a a_rate a_min a_t99 a_gap50 a_gap99 a_gapmax a_conn50 a_conn99 a_cpu a_p50 a_p99 a_max
declare -a a_addrs a_rcpu a_stale a_down b_cpu b_p50 b_p99 b_max
nwin=0
row() { printf '%-7s %-6s %9s %6s %8s %6s %15s %17s %6s %24s %15s\n' "$@"; }
echo
row round side 'checks/s' min/s '10ms p99' addrs 'gap p50/p99 ms' 'conn p50/p99 ms' 'cpu %' \
	'API p50/p99/max ms' 'up/stale/downs'
# checks_window ROUND: a window with the checks running, its row printed and kept in a_*
checks_window() {
	local up down unknown stalemax
	window $((++nwin))
	read -r up down unknown _ stalemax <<<"$(api snapshot)"
	a_rate+=("$(field rate)") a_min+=("$(field per_second_min)") a_addrs+=("$(field addrs)")
	a_t99+=("$(sub p99 per_10ms)") a_gap50+=("$(field gap_ms_p50)") a_gap99+=("$(sub p99 gap_ms)")
	a_gapmax+=("$(sub max gap_ms)") a_conn50+=("$(field conn_ms_p50)") a_conn99+=("$(sub p99 conn_ms)")
	a_rcpu+=("$(field cpu_pct)") a_cpu+=("$W_CPU") a_p50+=("$W_P50") a_p99+=("$W_P99") a_max+=("$W_MAX")
	a_stale+=("$stalemax") a_down+=("$W_DOWN")
	row "$1" checks "$(field rate)" "$(field per_second_min)" "${a_t99[-1]}" "$(field addrs)" \
		"${a_gap50[-1]}/${a_gap99[-1]}" "${a_conn50[-1]}/${a_conn99[-1]}" "$W_CPU" \
		"$W_P50/$W_P99/$W_MAX" "$up/${stalemax}s/$W_DOWN"
	((W_ERR == 0)) || echo "       ($W_ERR API requests failed)"
	((up == nreals)) || echo "       (at the end: $down down, $unknown unknown)"
}
fresh_checks() { # type none then http again: every check starts over at its own phase
	api set_check none >/dev/null
	api set_check http >/dev/null
	api wait_up "$nreals" 60 >/dev/null
	sleep 3 # past the first runs, which land at each check's phase
}
for ((r = 1; r <= rounds; r++)); do
	if ((r == 1)); then
		sleep 3
	else
		fresh_checks
	fi
	checks_window "$r"
	api set_check none >/dev/null
	sleep 2
	window $((++nwin))
	b_cpu+=("$W_CPU") b_p50+=("$W_P50") b_p99+=("$W_P99") b_max+=("$W_MAX")
	row "$r" none "$(field rate)" - - - - - "$W_CPU" "$W_P50/$W_P99/$W_MAX" -
	((W_ERR == 0)) || echo "       ($W_ERR API requests failed)"
done
rss=$(kb VmRSS) hwm=$(kb VmHWM)
nrounds=${#a_rate[@]}

# One pause of fulcrumd as long as the check interval and a half (SIGSTOP: a busy machine, a
# slow disk, a debugger): then two windows, from 5 s after it, each as in the rounds.
if [[ $stall != 0 ]]; then
	fresh_checks
	kill -STOP "$fpid"
	sleep "$stall"
	kill -CONT "$fpid"
	sleep 5
	checks_window "stall+5"
	checks_window "+$((seconds + 5))"
fi

perf_window() { # FILE TITLE
	perf record -q -e cpu-clock --call-graph dwarf -p "$fpid" -o "$work/perf.data" \
		-- sleep "$seconds" >/dev/null 2>&1 || die "perf record failed"
	{
		echo "# fulcrumd, $nreals http checks every second: $2; $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "# perf record -e cpu-clock --call-graph dwarf, $seconds s; by object:"
		perf report -i "$work/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null |
			grep '%'
		echo "# self, by symbol (libcurl's own functions have no symbols: addresses in it):"
		perf report -i "$work/perf.data" --stdio --no-children --sort dso,symbol \
			--percent-limit 0.5 -g none 2>/dev/null | grep '%'
		echo "# with children:"
		perf report -i "$work/perf.data" --stdio --children --sort symbol \
			--percent-limit 3 -g none 2>/dev/null | grep '%'
		echo "# the 15 commonest stacks, 8 frames each (perf script):"
		perf script -i "$work/perf.data" -F ip,sym,dso 2>/dev/null | sed "s|(/.*/|(|" | awk 'BEGIN { RS = "" } {
			n = split($0, l, "\n"); k = ""
			for (i = 1; i <= n && i <= 8; i++) { f = l[i]; gsub(/^[ \t]+/, "", f); k = k " <- " f }
			c[substr(k, 5)]++; t++
		} END { for (k in c) printf "%5.1f%% %s\n", 100 * c[k] / t, k }' | sort -rn | sed 15q
	} >"$1" || true # a report cut short is still worth keeping
	echo "  profile: $1"
}
if [[ -n $perf ]]; then
	echo "profiling fulcrumd for $seconds s, as it is now and with fresh checks ..."
	perf_window "$outdir/health-5k.perf-now.txt" "as the windows above left it"
	fresh_checks
	perf_window "$outdir/health-5k.perf-fresh.txt" "every check at its own phase"
fi

# ---- the report ---------------------------------------------------------------------------

# of the numbers on stdin, one a line
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minimum() { sort -g | head -1; }
maximum() { sort -g | tail -1; }
total() { awk '{ s += $1 } END { print s + 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# an array's values, one a line: all; the rounds' (a_* from 0 to nrounds); after the pause
all() { local -n v=$1; printf '%s\n' "${v[@]}"; }
rounds_of() { local -n v=$1; printf '%s\n' "${v[@]:0:nrounds}"; }
after() { local -n v=$1; printf '%s\n' "${v[@]:nrounds}"; }
med() { rounds_of "$1" | median; }
ca=$(med a_cpu) cb=$(all b_cpu | median)
pa=$(med a_p99) pb=$(all b_p99 | median)
ma=$(med a_p50) mb=$(all b_p50 | median)
cat <<EOF

medians of $rounds rounds of ${seconds} s each side, $nreals real servers in $nservices services,
each round with fresh checks (type none, then http again):
  checks/s (requests the real servers answered)  $(med a_rate)   target $nreals (every real server every second)
    slowest whole second                         $(rounds_of a_min | minimum) (lowest of all rounds)
    requests in 10 ms, p99                       $(med a_t99) (spread evenly: about $((nreals / 100)))
    real servers asked in a window               $(med a_addrs) of $nreals
    between two checks of one server, ms         p50 $(med a_gap50)  p99 $(med a_gap99)  max $(rounds_of a_gapmax | maximum) (max of all rounds)
    a check's connection, accept to close, ms    p50 $(med a_conn50)  p99 $(med a_conn99)
    oldest last_check in the API after a window  $(rounds_of a_stale | maximum) s (max of all rounds)
    real servers gone down in the windows        $(rounds_of a_down | total) (all rounds; none should: every one answers)
  fulcrumd CPU, % of one core                    checks $ca  none $cb  difference $(awk -v a="$ca" -v b="$cb" 'BEGIN { printf "%.1f", a - b }')   target < 50
  responder CPU, % of one core                   $(med a_rcpu)
  GET /api/v1/status every $probe_ms ms, ms$(printf '%*s' $((7 - ${#probe_ms})) '')checks p50 $ma p99 $pa max $(rounds_of a_max | maximum)
                                                 none   p50 $mb p99 $pb max $(all b_max | maximum)
                                                 ratio checks/none p50 $(ratio "$ma" "$mb") p99 $(ratio "$pa" "$pb")
  fulcrumd memory after the rounds               VmRSS $((rss / 1024)) MB, VmHWM $((hwm / 1024)) MB
EOF
if [[ $stall != 0 ]]; then
	cat <<EOF
after one ${stall} s pause of fulcrumd (the rows stall+5 and +$((seconds + 5)) above):
  checks/s $(after a_rate | median), requests in 10 ms p99 $(after a_t99 | median), gap p99 $(after a_gap99 | median) ms, fulcrumd CPU $(after a_cpu | median) %, API p99 $(after a_p99 | median) ms,
  real servers gone down $(after a_down | total); fulcrumd VmRSS $(($(kb VmRSS) / 1024)) MB, VmHWM $(($(kb VmHWM) / 1024)) MB
EOF
fi
echo "machine: $(machine), $(date -u '+%Y-%m-%d %H:%M UTC')"
