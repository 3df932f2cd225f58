#!/usr/bin/env bash
# FULCRUM-MIB under a real snmpd against a minimal AgentX subagent in the same run: bulk walk rate,
# GET latency, and the HTTP API's latency while a walk runs. Builds nothing (run make first).
#
# Usage: bench/snmp-walk.sh [--services N] [--reals M] [--rounds R] [--gets G]
#            [--table-rounds T] [--full-table F] [--reseed] [--perf]
# Environment: BENCH_DIR (bench/out: scratch, and the cached seeded database).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
nservices=10000 nreals=10 rounds=5 ngets=1000 idle_s=5 table_rounds=1 full=0 reseed=0 perf=0

usage() {
	sed -n '5,6s/^# \{0,1\}//p' "$0"
	exit "${1:-2}"
}

args=("$@")
while (($#)); do
	case $1 in
	--services) nservices=${2:?}; shift ;;
	--reals) nreals=${2:?}; shift ;;
	--rounds) rounds=${2:?}; shift ;;
	--gets) ngets=${2:?}; shift ;;
	--table-rounds) table_rounds=${2:?}; shift ;;
	--full-table) full=${2:?}; shift ;;
	--reseed) reseed=1 ;;
	--perf) perf=1 ;;
	-h | --help) usage 0 ;;
	*) usage ;;
	esac
	shift
done
[[ $nservices =~ ^[1-9][0-9]*$ && $nservices -le 64000 ]] || die "--services: 1 to 64000"
[[ $nreals =~ ^[1-9][0-9]*$ && $nreals -le 250 ]] || die "--reals: 1 to 250"
[[ $rounds =~ ^[1-9][0-9]*$ && $ngets =~ ^[1-9][0-9]*$ && $full =~ ^[0-9]+$ &&
	$table_rounds =~ ^[0-9]+$ ]] || die "--rounds, --gets, --table-rounds, --full-table: numbers"

for f in fulcrumd fulcrumctl bench/ref-subagent; do
	[[ -x $top/$f ]] || die "$top/$f is not built: run make"
done
for c in snmpd snmpbulkwalk snmpget python3 curl; do
	command -v "$c" >/dev/null || die "$c is not installed"
done
((perf == 0)) || command -v perf >/dev/null || die "--perf: perf is not installed"

bench_private_net "${args[@]}"

bench_workdir
out=$outdir

# No MIB files, no snmp.conf from this machine: numeric OIDs only, the same for every tool.
export MIBS='' MIBDIRS='' SNMPCONFPATH=$work/snmpconf SNMP_PERSISTENT_DIR=$work/snmp-persist
mkdir -p "$SNMPCONFPATH"

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# median of the arguments
median() {
	printf '%s\n' "$@" | sort -g |
		awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

free_udp_port() {
	python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

root_f=.1.3.6.1.4.1.32473.1    # FULCRUM-MIB
root_r=.1.3.6.1.4.1.32473.99   # bench/ref-subagent
nrows=$((nservices * nreals))
echo "machine: $(machine), $(uname -r), $(snmpd -v | awk '/version/ { print "Net-SNMP " $NF }')"

# ---- the database: N services of M real servers, seeded through the API once and cached --------

# fd_start DB AGENTX LOG: starts fulcrumd on DB (HTTP on a free port); sets FD_PID and FD_PORT.
fd_start() {
	: >"$work/fulcrumd.conf" # nothing from /etc/fulcrum
	"$top/fulcrumd" --foreground -c "$work/fulcrumd.conf" --db "$1" --http 127.0.0.1:0 \
		--agentx "$2" >"$3" 2>&1 &
	FD_PID=$!
	pids+=("$FD_PID")
	FD_PORT=
	for ((i = 0; i < 600; i++)); do
		FD_PORT=$(sed -n 's|.*API on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$3")
		[[ -n $FD_PORT ]] && break
		kill -0 "$FD_PID" 2>/dev/null || break
		sleep 0.1
	done
	[[ -n $FD_PORT ]] || die "fulcrumd did not start: $(tail -5 "$3")"
}

fd_stop() {
	kill -TERM "$FD_PID"
	wait "$FD_PID" || true
	unset 'pids[-1]'
}

# The cache is keyed by the size and the schema, so a schema change seeds again.
schema=$(cat "$top"/schema/*.sql | sha1sum | cut -c1-12)
cache=$out/snmp-walk-seed-${nservices}x${nreals}-$schema.db
db=$work/fulcrum.db
if ((reseed)) || [[ ! -s $cache ]]; then
	echo "seeding $nservices services x $nreals real servers through the API (not measured) ..."
	token=$("$top/fulcrumctl" --db "$db" token create seed --role admin 2>/dev/null)
	[[ $token == ful_* ]] || die "cannot create a token in $db"
	fd_start "$db" "" "$work/seed.log"
	cat >"$work/seed.py" <<'EOF'
import http.client, json, sys
port, n, r, token, part, parts = [sys.argv[1]] + [int(a) for a in sys.argv[2:4]] + [sys.argv[4]] + [int(a) for a in sys.argv[5:7]]
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=120)
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
for i in range(part, n, parts):
    body = {"name": "b%d" % i, "address": "10.100.%d.%d" % (i // 250, i % 250 + 1), "port": 80,
            "protocol": "tcp", "scheduler": "wrr",
            "reals": [{"address": "10.1.%d.%d" % (j, i % 250 + 1), "port": 80, "weight": 1}
                      for j in range(r)]}
    c.request("POST", "/api/v1/services", json.dumps(body), h)
    resp = c.getresponse()
    data = resp.read()
    if resp.status // 100 != 2:
        sys.exit("POST %d: HTTP %d: %s" % (i, resp.status, data[:300]))
EOF
	t0=$(now)
	# two keep-alive connections, so the client's Python overlaps fulcrumd's commits
	python3 "$work/seed.py" "$FD_PORT" "$nservices" "$nreals" "$token" 0 2 &
	s0=$!
	python3 "$work/seed.py" "$FD_PORT" "$nservices" "$nreals" "$token" 1 2 || die "seeding failed"
	wait "$s0" || die "seeding failed"
	t1=$(now)
	fd_stop
	echo "seeded in $(elapsed "$t0" "$t1") s ($(awk -v n="$nservices" -v s="$(elapsed "$t0" "$t1")" \
		'BEGIN { printf "%.0f", n / s }') services/s, on $(stat -f -c %T "$work"))"
	rm -f "$out/snmp-walk-seed-${nservices}x${nreals}"-*.db
	cp "$db" "$cache.tmp" && mv "$cache.tmp" "$cache"
	rm -f "$db"-wal "$db"-shm
else
	echo "seeded database from the cache: $cache (--reseed to make it again)"
fi
cp "$cache" "$db"
token=$("$top/fulcrumctl" --db "$db" token create bench --role admin 2>/dev/null)
[[ $token == ful_* ]] || die "cannot create a token in $db"

# ---- snmpd, fulcrumd, the reference --------------------------------------------------------

sock=$work/agentx.sock
port=$(free_udp_port)
cat >"$work/snmpd.conf" <<EOF
master agentx
agentXSocket $sock
agentXTimeout 10
rocommunity bench 127.0.0.1
dontLogTCPWrappersConnects yes
EOF
snmpd -f -C -c "$work/snmpd.conf" -p "$work/snmpd.pid" -Lf "$work/snmpd.log" \
	"udp:127.0.0.1:$port" &
pids+=($!)
agent=127.0.0.1:$port
snmp_opts=(-v2c -c bench -t 10 -r 0 -On -Oq)
for ((i = 0; i < 100; i++)); do
	[[ -S $sock ]] && snmpget "${snmp_opts[@]}" -t 1 "$agent" .1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 &&
		break
	kill -0 "${pids[-1]}" 2>/dev/null || die "snmpd did not start: $(tail -5 "$work/snmpd.log")"
	sleep 0.1
done

# answers AGENT OID: true when OID has a value (not noSuch*)
answers() {
	local v
	v=$(snmpget "${snmp_opts[@]}" -t 1 "$agent" "$1" 2>/dev/null) || return 1
	[[ -n $v && $v != *"No Such"* ]]
}

t0=$(now)
fd_start "$db" "$sock" "$work/fulcrumd.log"
t1=$(now)
for ((i = 0; i < 300; i++)); do
	answers "$root_f.1.4.1.8.1.1" && break
	sleep 0.1
done
answers "$root_f.1.4.1.8.1.1" ||
	die "fulcrumd does not answer over AgentX: $(tail -5 "$work/fulcrumd.log")"
t2=$(now)
echo "fulcrumd: $nrows real servers loaded, API after $(elapsed "$t0" "$t1") s," \
	"SNMP after $(elapsed "$t0" "$t2") s"
"$top/bench/ref-subagent" --agentx "$sock" --services "$nservices" --reals "$nreals" \
	>"$work/ref.log" 2>&1 &
pids+=($!)
ref_pid=$!
for ((i = 0; i < 100; i++)); do
	answers "$root_r.1.4.1.8.1.1" && break
	sleep 0.1
done
answers "$root_r.1.4.1.8.1.1" || die "ref-subagent does not answer: $(tail -5 "$work/ref.log")"
# ids: service k holds real servers (k-1)*M+1 .. k*M in both
for r in "$root_f" "$root_r"; do
	answers "$r.1.4.1.8.$nservices.$nrows" || die "$r has no row $nservices.$nrows"
done
api=http://127.0.0.1:$FD_PORT/api/v1/status
curl -sf -H "Authorization: Bearer $token" -o /dev/null "$api" || die "GET $api failed"

# ---- helpers: the walk, the GET client, the API poller -------------------------------------

# CPU seconds (user + system) process PID has used so far
cpu_of() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ printf "%.2f", ($12 + $13) / 100 }'
}

# walk OID PID: one snmpbulkwalk; prints "SECONDS VARBINDS CPU_SECONDS_OF_PID"
walk() {
	local a b n c
	a=$(now) c=$(cpu_of "$2")
	n=$(snmpbulkwalk "${snmp_opts[@]}" -Cr50 "$agent" "$1" | wc -l) || die "snmpbulkwalk $1 failed"
	b=$(now)
	echo "$(elapsed "$a" "$b") $n $(awk -v a="$c" -v b="$(cpu_of "$2")" 'BEGIN { printf "%.2f", b - a }')"
}

# One process, one GET in flight: SNMPv2c GetRequests built by hand, the same random instance
# (row and column) of A then B, so a burst of load from elsewhere falls on both. Per-request time
# from send to the answer; prints "A_US B_US" a line; exits 1 if a GET failed.
cat >"$work/get.py" <<'EOF'
import random, socket, sys, time
port, roots, n, nvs, nrs, seed = int(sys.argv[1]), sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
def ln(n):
    if n < 128: return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big"); return bytes([0x80 | len(b)]) + b
def tlv(t, v): return bytes([t]) + ln(len(v)) + v
def integer(i): return tlv(2, i.to_bytes(i.bit_length() // 8 + 1, "big", signed=True))
def objid(o):
    b = bytearray([o[0] * 40 + o[1]])
    for s in o[2:]:
        c = [s & 0x7f]; s >>= 7
        while s: c.append(0x80 | (s & 0x7f)); s >>= 7
        b += bytes(reversed(c))
    return tlv(6, bytes(b))
def parse(b, i):  # -> tag, value start, value end
    t, l = b[i], b[i + 1]; i += 2
    if l & 0x80:
        k = l & 0x7f; l = int.from_bytes(b[i:i + k], "big"); i += k
    return t, i, i + l
bases = [[int(x) for x in r.strip(".").split(".")] + [1, 4, 1] for r in roots]
rng = random.Random(seed)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.connect(("127.0.0.1", port))
rid, bad, first = 0, 0, ""
for k in range(n):
    vs = rng.randrange(nvs) + 1; rs = (vs - 1) * nrs + rng.randrange(nrs) + 1; col = rng.randrange(2, 31)
    times = []
    for base in bases:
        rid += 1
        pdu = tlv(0xa0, integer(rid) + integer(0) + integer(0) + tlv(0x30, tlv(0x30, objid(base + [col, vs, rs]) + b"\x05\x00")))
        msg = tlv(0x30, integer(1) + tlv(4, b"bench") + pdu)
        t = time.perf_counter_ns()
        s.send(msg)
        while True:
            r = s.recv(65536)
            _, i, _ = parse(r, 0)                 # message
            _, i, e = parse(r, i); i = e          # version
            _, i, e = parse(r, i); i = e          # community
            _, i, _ = parse(r, i)                 # response PDU
            _, i, e = parse(r, i); got = int.from_bytes(r[i:e], "big"); i = e
            if got == rid: break
        times.append((time.perf_counter_ns() - t) / 1000)
        _, i, e = parse(r, i); err = int.from_bytes(r[i:e], "big"); i = e
        _, i, e = parse(r, i); i = e              # error index
        _, i, _ = parse(r, i); _, i, _ = parse(r, i)  # varbind list, varbind
        _, i, e = parse(r, i); i = e              # name
        vt, _, _ = parse(r, i)
        if err or vt in (0x80, 0x81, 0x82):
            bad += 1; first = first or ".".join(map(str, base + [col, vs, rs]))
    print(" ".join("%.1f" % x for x in times))
if bad: sys.exit("%d GETs failed (the first: %s)" % (bad, first))
EOF

# GET /api/v1/status every 50 ms on one keep-alive connection until killed; one line a request:
# "START_EPOCH LATENCY_MS HTTP_STATUS".
cat >"$work/poll.py" <<'EOF'
import http.client, sys, time
port, token, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
h = {"Authorization": "Bearer " + token}
nxt = time.monotonic()
while True:
    w = time.time(); t = time.perf_counter()
    try:
        c.request("GET", path, headers=h); r = c.getresponse(); r.read(); st = r.status
    except Exception:
        c.close(); st = 0
    print("%.6f %.3f %d" % (w, (time.perf_counter() - t) * 1000, st), flush=True)
    nxt = max(nxt + 0.05, time.monotonic())  # after a SIGSTOP: on, not a burst to catch up
    time.sleep(max(0.0, nxt - time.monotonic()))
EOF

# Percentiles of the poller's samples per phase: "LABEL START END" lines in $work/phases.
phase() { echo "$1 $2 $3" >>"$work/phases"; }
cat >"$work/phases.py" <<'EOF'
import sys
samples = [l.split() for l in open(sys.argv[1]) if l.strip()]
phases = {}
for l in open(sys.argv[2]):
    lab, a, b = l.split(); phases.setdefault(lab, []).append((float(a), float(b)))
def pct(v, p): return v[min(len(v) - 1, int(p / 100 * len(v)))] if v else float("nan")
for lab in sys.argv[3:]:
    v = sorted(float(s[1]) for s in samples if any(a <= float(s[0]) < b for a, b in phases.get(lab, [])))
    bad = sum(1 for s in samples if s[2] != "200" and any(a <= float(s[0]) < b for a, b in phases.get(lab, [])))
    print("%-22s %6d %9.2f %9.2f %9.2f %6d" % (lab, len(v), pct(v, 50), pct(v, 99), v[-1] if v else float("nan"), bad))
EOF

python3 "$work/poll.py" "$FD_PORT" "$token" /api/v1/status >"$work/poll.txt" &
pids+=($!)
poll_pid=$!

perf_rec() { # perf_rec PID NAME: perf record in the background; sets PERF_PID
	perf record -q -F 499 --call-graph dwarf -o "$out/snmp-walk-$2.perf.data" -p "$1" >/dev/null 2>&1 &
	PERF_PID=$!
	sleep 0.5
}
perf_stop() {
	kill -INT "$PERF_PID" 2>/dev/null || true
	wait "$PERF_PID" 2>/dev/null || true
}

# ---- the runs ------------------------------------------------------------------------------

# one_walk WHO OID EXPECT PHASE: walks OID in fulcrumd (f) or the reference (r), checks the count,
# records the phase; sets W_S (seconds) and W_CPU (the subagent's CPU seconds).
one_walk() {
	local a pid=$FD_PID n
	[[ $1 == r ]] && pid=$ref_pid
	a=$(now)
	read -r W_S n W_CPU <<<"$(walk "$2" "$pid")"
	phase "$4" "$a" "$(now)"
	[[ $n == "$3" ]] || die "the walk of $2 gave $n varbinds, not $3"
}
row() { printf '%-6s %-28s %9s %7s %9s %10.0f\n' "$1" "$2" "$3" "$4" "$5" "$(ratio "$5" "$3")"; }
head_row() { printf '%-6s %-28s %9s %7s %9s %10s\n' round run seconds 'cpu s' varbinds varbinds/s; }

col=8 # fulcrumRsWeight, Unsigned32: one varbind per real server
wf=$root_f.1.4.1.$col wr=$root_r.1.4.1.$col
per=$(((ngets + rounds - 1) / rounds))
cat <<EOF
A = fulcrumd ($root_f), B = bench/ref-subagent ($root_r); cpu s: the subagent's

1. one column: snmpbulkwalk -v2c -Cr50 of R.1.4.1.$col (fulcrumRsWeight), $nrows varbinds each;
   $rounds rounds of: ${idle_s} s idle, walk A, walk B, $per GETs of A and B alternating;
   all along, except during the GETs, GET /api/v1/status of fulcrumd every 50 ms
EOF
head_row
declare -a f_s r_s f_cpu r_cpu
: >"$work/get.txt"
for ((r = 1; r <= rounds; r++)); do
	a=$(now)
	sleep "$idle_s"
	phase idle "$a" "$(now)"

	((perf && r == 1)) && perf_rec "$FD_PID" fulcrumd
	one_walk f "$wf" "$nrows" walk-fulcrum
	((perf && r == 1)) && perf_stop
	f_s+=("$W_S") f_cpu+=("$W_CPU")
	row "$r" "A walk fulcrumd" "$W_S" "$W_CPU" "$nrows"

	((perf && r == 1)) && perf_rec "$ref_pid" ref
	one_walk r "$wr" "$nrows" walk-reference
	((perf && r == 1)) && perf_stop
	r_s+=("$W_S") r_cpu+=("$W_CPU")
	row "$r" "B walk ref-subagent" "$W_S" "$W_CPU" "$nrows"

	# GETs of A and B alternating; the API poller paused, as the reference has no HTTP
	# requests to serve between its GETs
	kill -STOP "$poll_pid"
	python3 "$work/get.py" "$port" "$root_f,$root_r" "$per" "$nservices" "$nreals" "$r" \
		>>"$work/get.txt" || die "GETs failed"
	kill -CONT "$poll_pid"
done

# The whole table as its 29 column walks, A and B alternating column by column (the order
# swapped every column): the GETNEXTs of one walk of R.1.4, but a burst of load from the
# machine's neighbours falls on both sides instead of on one long walk.
declare -a t_f t_r t_ratio
n29=$((nrows * 29))
if ((table_rounds)); then
	echo
	echo "2. the whole table, column by column: R.1.4.1.2 .. R.1.4.1.30, $n29 varbinds a side"
	head_row
	for ((r = 1; r <= table_rounds; r++)); do
		sf=0 sr=0 cf=0 cr=0
		for ((c = 2; c <= 30; c++)); do
			order="f r"
			((c % 2)) && order="r f"
			for who in $order; do
				if [[ $who == f ]]; then
					one_walk f "$root_f.1.4.1.$c" "$nrows" walk-table-fulcrum
					fs=$W_S
					read -r sf cf <<<"$(awk -v a="$sf" -v b="$W_S" -v c="$cf" -v d="$W_CPU" \
						'BEGIN { print a + b, c + d }')"
				else
					one_walk r "$root_r.1.4.1.$c" "$nrows" walk-table-reference
					rs=$W_S
					read -r sr cr <<<"$(awk -v a="$sr" -v b="$W_S" -v c="$cr" -v d="$W_CPU" \
						'BEGIN { print a + b, c + d }')"
				fi
			done
			t_ratio+=("$(ratio "$rs" "$fs")")
		done
		t_f+=("$sf") t_r+=("$sr")
		row "$r" "A fulcrumd, 29 walks" "$sf" "$cf" "$n29"
		row "$r" "B ref-subagent, 29 walks" "$sr" "$cr" "$n29"
	done
fi

declare -a ff_s fr_s
if ((full)); then
	echo
	echo "3. the whole table in one snmpbulkwalk -Cr50 of R.1.4, $n29 varbinds, A B alternating"
	head_row
	for ((r = 1; r <= full; r++)); do
		one_walk f "$root_f.1.4" "$n29" walk-full-fulcrum
		ff_s+=("$W_S")
		row "$r" "A walk fulcrumd" "$W_S" "$W_CPU" "$n29"
		one_walk r "$root_r.1.4" "$n29" walk-full-reference
		fr_s+=("$W_S")
		row "$r" "B walk ref-subagent" "$W_S" "$W_CPU" "$n29"
	done
fi

# ---- the report ----------------------------------------------------------------------------

pct() { # pct FILE P: the P-th percentile of the numbers in FILE
	sort -g "$1" | awk -v p="$2" '{ v[NR] = $1 }
		END { i = int(p / 100 * NR) + 1; if (i > NR) i = NR; print v[i] }'
}
rate() { printf '%.0f' "$(ratio "$1" "$2")"; }
fm=$(median "${f_s[@]}") rm_=$(median "${r_s[@]}")
cut -d' ' -f1 "$work/get.txt" >"$work/get-f.txt"
cut -d' ' -f2 "$work/get.txt" >"$work/get-r.txt"
gf50=$(pct "$work/get-f.txt" 50) gf99=$(pct "$work/get-f.txt" 99)
gr50=$(pct "$work/get-r.txt" 50) gr99=$(pct "$work/get-r.txt" 99)
cat <<EOF

$nservices services x $nreals real servers = $nrows rows
1. one column (fulcrumRsWeight, $nrows varbinds), median of $rounds rounds
     fulcrumd   $fm s  $(rate "$nrows" "$fm") varbinds/s  (subagent CPU $(median "${f_cpu[@]}") s)
     reference  $rm_ s  $(rate "$nrows" "$rm_") varbinds/s  (subagent CPU $(median "${r_cpu[@]}") s)
     ratio fulcrumd/reference $(ratio "$rm_" "$fm")  (target >= 0.8)
EOF
if ((table_rounds)); then
	tf=$(median "${t_f[@]}") tr=$(median "${t_r[@]}")
	cat <<EOF
2. whole table as 29 alternating column walks ($n29 varbinds a side), median of $table_rounds
     fulcrumd   $tf s  $(rate "$n29" "$tf") varbinds/s
     reference  $tr s  $(rate "$n29" "$tr") varbinds/s
     ratio fulcrumd/reference $(ratio "$tr" "$tf")  (target >= 0.8)
     median of the 29 column ratios $(median "${t_ratio[@]}")
EOF
fi
if ((full)); then
	full_f=$(median "${ff_s[@]}") full_r=$(median "${fr_s[@]}")
	cat <<EOF
3. whole table, one walk of R.1.4 ($n29 varbinds), median of $full
     fulcrumd   $full_f s  $(rate "$n29" "$full_f") varbinds/s
     reference  $full_r s  $(rate "$n29" "$full_r") varbinds/s
     ratio fulcrumd/reference $(ratio "$full_r" "$full_f")
EOF
fi
cat <<EOF
GET, one varbind, one in flight, A and B alternating, random row and column
   ($(wc -l <"$work/get.txt") each, microseconds)
     fulcrumd   p50 $gf50  p99 $gf99
     reference  p50 $gr50  p99 $gr99
     ratio fulcrumd/reference p50 $(ratio "$gf50" "$gr50")  p99 $(ratio "$gf99" "$gr99")
GET /api/v1/status every 50 ms on one keep-alive connection, by what ran meanwhile (ms)
EOF
printf '     %-22s %6s %9s %9s %9s %6s\n' phase samples p50 p99 max non-200
phases=(idle walk-fulcrum walk-reference)
((table_rounds == 0)) || phases+=(walk-table-fulcrum walk-table-reference)
((full == 0)) || phases+=(walk-full-fulcrum walk-full-reference)
python3 "$work/phases.py" "$work/poll.txt" "$work/phases" "${phases[@]}" | sed 's/^/     /'
echo "machine: $(machine), $(date -u '+%Y-%m-%d %H:%M UTC')"
# the raw samples, for a closer look: replaced by the next run
rm -rf "$out/snmp-walk-last"
mkdir -p "$out/snmp-walk-last"
cp "$work"/{poll.txt,phases,get.txt,fulcrumd.log,snmpd.log,ref.log} "$out/snmp-walk-last/"
echo "raw samples and logs: $out/snmp-walk-last/"
((perf == 0)) ||
	echo "perf (round 1's walks): $out/snmp-walk-fulcrumd.perf.data, $out/snmp-walk-ref.perf.data"
