#!/usr/bin/env bash
# One weight PATCH with 10 services loaded against one with 10,000: the same cost is the target.
# Two fulcrumd instances, each with an http check on every service, asked alternately (A B A B),
# single requests on a kept-alive connection; medians, p90s and the ratio big/small. Builds nothing.
#
# Usage: bench/patch-scale.sh [--small N] [--big N] [--reals M] [--patches P] [--rounds R]
#                             [--interval S] [--bin DIR] [--reseed] [--perf]
#   --small N     services of the small instance (10)
#   --big N       services of the big instance (10000)
#   --reals M     real servers per service (10), each on its own address 127.X.Y.Z
#   --patches P   PATCHes to each instance per round (50), each to another weight
#   --rounds R    rounds (3); the ratio is of the medians over all rounds
#   --interval S  the check's interval in seconds (300: the checks do not dominate)
#   --bin DIR     where fulcrumd and fulcrumctl are (the top of the tree): to measure another build
#   --reseed      make the seed databases again
#   --perf        profile the big fulcrumd during the last round (perf record):
#                 BENCH_DIR/patch-scale.perf.txt
# The same from the environment: BENCH_SMALL, BENCH_BIG, BENCH_REALS, BENCH_PATCHES,
# BENCH_ROUNDS, BENCH_INTERVAL, BENCH_BIN, BENCH_PERF=1; BENCH_DIR (bench/out: scratch and the cached seed
# databases; use a disk, not a tmpfs: every PATCH is a durable commit).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
small=${BENCH_SMALL:-10}
big=${BENCH_BIG:-10000}
nreals=${BENCH_REALS:-10}
patches=${BENCH_PATCHES:-50}
rounds=${BENCH_ROUNDS:-3}
interval=${BENCH_INTERVAL:-300}
bin=${BENCH_BIN:-$top}
perf=${BENCH_PERF:-}
reseed=0

args=("$@")
while (($#)); do
	case $1 in
	--small) small=${2:?}; shift ;;
	--big) big=${2:?}; shift ;;
	--reals) nreals=${2:?}; shift ;;
	--patches) patches=${2:?}; shift ;;
	--rounds) rounds=${2:?}; shift ;;
	--interval) interval=${2:?}; shift ;;
	--bin) bin=${2:?}; shift ;;
	--reseed) reseed=1 ;;
	--perf) perf=1 ;;
	-h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (try --help)" ;;
	esac
	shift
done
for v in small big nreals patches rounds interval; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive number, not '${!v}'"
done
((interval <= 3600)) || die "--interval: at most 3600 s (the model's limit)"
((big * nreals <= 125000)) || die "at most 125000 real servers (addresses 127.0-1.x.y)"
((big <= 62500 && small <= 62500)) || die "at most 62500 services (addresses 198.18-.x.y)"
bin=$(cd "$bin" && pwd)

for f in "$bin/fulcrumd" "$bin/fulcrumctl" "$top/bench/health-responder"; do
	[[ -x $f ]] || die "$f is not built: run make"
done
command -v python3 >/dev/null || die "python3 is not installed"
if [[ -n $perf ]]; then
	command -v perf >/dev/null || die "--perf needs perf"
fi

bench_private_net "${args[@]}"

bench_workdir

# ---- the seed databases: written with SQLite directly, cached by size, check and schema -----

# Real servers listen on this port of every 127.x.y.z (the responder, started below).
rport=18080
cat >"$work/seed.py" <<'EOF'
import sqlite3, sys

path, nservices, nreals, port, interval = sys.argv[1], *map(int, sys.argv[2:6])
db = sqlite3.connect(path)
db.execute("BEGIN")
db.executemany(
    "INSERT INTO services (id, name, family, address, port, protocol, scheduler,"
    " persistence_netmask, admin_state, check_type, check_path, check_expect,"
    " check_interval, check_timeout, check_rise, check_fall)"
    " VALUES (?, ?, 'ipv4', ?, 80, 'tcp', 'wrr', 32, 'enabled', 'http', '/', 'Still alive',"
    " ?, 2, 1, 1)",
    ((s + 1, "ps%d" % s, "198.%d.%d.%d" % (18 + s // 62500, s // 250 % 250, s % 250 + 1),
      interval) for s in range(nservices)))
db.executemany(
    "INSERT INTO reals (id, service_id, address, port, forwarding, weight, admin_state)"
    " VALUES (?, ?, ?, ?, 'masq', 1, 'enabled')",
    ((i + 1, i // nreals + 1, "127.%d.%d.%d" % (i // 62500, i // 250 % 250, i % 250 + 1), port)
     for i in range(nservices * nreals)))
db.execute("UPDATE meta SET revision = revision + 1")
db.commit()
print(db.execute("SELECT count(*) FROM services").fetchone()[0],
      db.execute("SELECT count(*) FROM reals").fetchone()[0])
EOF
schema=$(cat "$top"/schema/*.sql | sha1sum | cut -c1-12)
# seed N: prints the path of a database of N services (cached), made with fulcrumctl's schema
seed() {
	local n=$1 cache=$outdir/patch-scale-seed-${1}x$nreals-i$interval-$schema.db t0 t1
	if ((reseed)) || [[ ! -s $cache ]]; then
		rm -f "$cache" "$cache.tmp"
		t0=$(date +%s.%N)
		# fulcrumctl --db makes the file with the schema; a token is the first write
		"$bin/fulcrumctl" --db "$cache.tmp" token create bench --role admin \
			>"$cache.token" 2>/dev/null || die "fulcrumctl cannot make $cache.tmp"
		read -r ns nr <<<"$(python3 "$work/seed.py" "$cache.tmp" "$n" "$nreals" "$rport" \
			"$interval")" || die "seeding $cache.tmp failed"
		((ns == n && nr == n * nreals)) || die "seeded $ns services and $nr reals, not $n"
		mv "$cache.tmp" "$cache"
		t1=$(date +%s.%N)
		echo "seeded $n x $nreals in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s: $cache" >&2
	fi
	echo "$cache"
}

# ---- the real servers and the two fulcrumds -------------------------------------------------

echo "machine: $(machine), $(uname -r), scratch on $(stat -f -c %T "$work") ($work)"
echo "fulcrumd: $bin/fulcrumd ($(cd "$bin" && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
: >"$work/responder.out"
"$top/bench/health-responder" "$rport" "Still alive
" >"$work/responder.out" 2>"$work/responder.err" &
pids+=($!)
for ((i = 0; i < 50; i++)); do
	grep -q '^port ' "$work/responder.out" && break
	sleep 0.1
done
grep -q "^port $rport\$" "$work/responder.out" ||
	die "health-responder did not start on $rport: $(cat "$work/responder.err")"

# start NAME SERVICES: a fulcrumd on a copy of the seed; sets PORT_<NAME>, TOKEN_<NAME>, PID_<NAME>
start() {
	local name=$1 src db port t0 t1 i
	src=$(seed "$2")
	db=$work/$name.db
	cp "$src" "$db"
	printf 'db = %s\n' "$db" >"$work/$name.conf" # nothing from /etc/fulcrum
	: >"$work/$name.log"
	t0=$(date +%s.%N)
	"$bin/fulcrumd" --foreground -c "$work/$name.conf" --http 127.0.0.1:0 --agentx '' \
		>"$work/$name.log" 2>&1 &
	pids+=($!)
	port=
	for ((i = 0; i < 600; i++)); do
		port=$(sed -n 's|.*API on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/$name.log")
		[[ -n $port ]] && break
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	[[ -n $port ]] || die "fulcrumd $name did not start: $(tail -5 "$work/$name.log")"
	t1=$(date +%s.%N)
	printf -v "PORT_$name" %s "$port"
	printf -v "TOKEN_$name" %s "$(cat "$src.token")"
	printf -v "PID_$name" %s "${pids[-1]}"
	echo "$name: $2 services x $nreals real servers, http check every ${interval}s;" \
		"API up $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after exec"
}
start small "$small"
start big "$big"
echo "settling 5 s (the first checks land at each check's phase within ${interval}s) ..."
sleep 5

# ---- the PATCHes ----------------------------------------------------------------------------

cat >"$work/patch.py" <<'EOF'
import http.client, json, random, sys, time

# argv: patches, then per side: name port token real_id
n = int(sys.argv[1])
sides = []
for i in range(2, len(sys.argv), 4):
    name, port, token, rid = sys.argv[i:i + 4]
    sides.append({"name": name, "conn": http.client.HTTPConnection("127.0.0.1", int(port), timeout=30),
                  "auth": {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
                  "path": "/api/v1/reals/%s" % rid, "weight": None, "ms": []})

def patch(s):
    # a weight other than the last one, so that every PATCH commits a revision
    w = s["weight"]
    while w == s["weight"]:
        w = random.randint(2, 1000)
    s["weight"] = w
    body = json.dumps({"weight": w}).encode()
    t0 = time.perf_counter()
    s["conn"].request("PATCH", s["path"], body=body, headers=s["auth"])
    r = s["conn"].getresponse()
    text = r.read()
    ms = (time.perf_counter() - t0) * 1000.0
    if r.status != 200:
        sys.exit("PATCH %s on %s: %d %s" % (s["path"], s["name"], r.status, text[:200]))
    s["ms"].append(ms)

for s in sides:  # warm the connection and the path, not measured
    patch(s)
    s["ms"].clear()
for k in range(n):
    for s in sides:  # A B A B: the two instances one after the other
        patch(s)
        time.sleep(random.uniform(0.02, 0.06))  # single requests, not a load
for s in sides:
    print(s["name"], " ".join("%.3f" % v for v in s["ms"]))
EOF

# the middle service's first real server of each instance
rid_small=$(((small / 2) * nreals + 1))
rid_big=$(((big / 2) * nreals + 1))
declare -a ms_small ms_big
quantile() { # Q VALUES...: the nearest-rank quantile
	local q=$1
	shift
	printf '%s\n' "$@" | sort -g | awk -v q="$q" '{ v[NR] = $1 }
		END { i = int(q * NR + 0.999999); if (i < 1) i = 1; print v[i] }'
}
median() { # the median of the values
	printf '%s\n' "$@" | sort -g |
		awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo
printf '%-6s %-24s %-24s %s\n' round 'small p50 / p90 ms' 'big p50 / p90 ms' 'ratio p50'
# shellcheck disable=SC2154 # PORT_*, TOKEN_*, PID_*: set by start() with printf -v
for ((r = 1; r <= rounds; r++)); do
	if [[ -n $perf ]] && ((r == rounds)); then
		perf record -q -e cpu-clock --call-graph dwarf -p "$PID_big" -o "$work/perf.data" \
			>/dev/null 2>&1 &
		perf_pid=$!
		sleep 1
	fi
	out=$(python3 "$work/patch.py" "$patches" \
		small "$PORT_small" "$TOKEN_small" "$rid_small" \
		big "$PORT_big" "$TOKEN_big" "$rid_big") || die "the PATCHes failed"
	read -r -a rs <<<"$(awk '$1 == "small" { $1 = ""; print }' <<<"$out")"
	read -r -a rb <<<"$(awk '$1 == "big" { $1 = ""; print }' <<<"$out")"
	ms_small+=("${rs[@]}") ms_big+=("${rb[@]}")
	if [[ -n ${perf_pid:-} ]]; then
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
		{
			echo "# the big fulcrumd during round $r ($patches PATCHes); perf record -e cpu-clock"
			echo "# self, by symbol:"
			perf report -i "$work/perf.data" --stdio --no-children --sort dso,symbol \
				--percent-limit 1 -g none 2>/dev/null | grep '%'
			echo "# with children:"
			perf report -i "$work/perf.data" --stdio --children --sort symbol \
				--percent-limit 3 -g none 2>/dev/null | grep '%'
		} >"$outdir/patch-scale.perf.txt" || true # a report cut short is still worth keeping
	fi
	ps=$(median "${rs[@]}") pb=$(median "${rb[@]}")
	printf '%-6s %-24s %-24s %s\n' "$r" "$ps / $(quantile 0.9 "${rs[@]}")" \
		"$pb / $(quantile 0.9 "${rb[@]}")" "$(awk -v a="$ps" -v b="$pb" 'BEGIN { printf "%.2f", b / a }')"
done
for name in small big; do
	kill -0 "$(eval echo "\$PID_$name")" 2>/dev/null || die "fulcrumd $name died: $(tail -3 "$work/$name.log")"
done

ps=$(median "${ms_small[@]}") pb=$(median "${ms_big[@]}")
qs=$(quantile 0.9 "${ms_small[@]}") qb=$(quantile 0.9 "${ms_big[@]}")
echo
echo "all rounds, ${#ms_small[@]} PATCHes a side (ms):"
echo "  small ($small x $nreals): median $ps, p90 $qs"
echo "  big   ($big x $nreals): median $pb, p90 $qb"
echo "  ratio big/small: median $(awk -v a="$ps" -v b="$pb" 'BEGIN { printf "%.2f", b / a }')," \
	"p90 $(awk -v a="$qs" -v b="$qb" 'BEGIN { printf "%.2f", b / a }')"
for name in small big; do
	pid=$(eval echo "\$PID_$name")
	echo "  $name fulcrumd: VmRSS $(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status") kB," \
		"CPU $(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$pid/stat") s in all"
done
echo "machine at the end: $(machine) (a shared machine: the medians are noisy)"
