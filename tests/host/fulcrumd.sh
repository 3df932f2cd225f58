#!/usr/bin/env bash
# fulcrumd on the host's kernel (no IPVS): start-up errors, signals, daemon mode, as an operator sees them.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fulcrumd=$top/fulcrumd
fulcrumctl=$top/fulcrumctl
work=$(mktemp -d)
trap 'pkill -KILL -f "$work" 2>/dev/null; rm -rf "$work"' EXIT
passed=0
failed=0

ok() { echo "  ok   $1"; passed=$((passed + 1)); }
bad() { echo "  FAIL $1"; shift; for l in "$@"; do printf '       %s\n' "$l"; done; failed=$((failed + 1)); }
# check NAME COMMAND...: the command must succeed
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
wait_for() { local t=$1; shift; for _ in $(seq $((t * 10))); do "$@" && return 0; sleep 0.1; done; return 1; }

# 1. On a kernel without IPVS it starts, says so once with the reason, and stops cleanly.
log=$work/fg.log
"$fulcrumd" --foreground --http '' -c /dev/null --db "$work/a.db" --log-level info >"$log" 2>&1 &
pid=$!
if wait_for 10 grep -q 'status: node' "$log"; then
	n=$(grep -c 'IPVS unavailable' "$log")
	check "no IPVS: said once, with the reason" test "$n" = 1 -a -n "$(grep 'IPVS unavailable: the kernel has no IPVS' "$log")"
	kill -USR1 "$pid"
	check "SIGUSR1 logs status with IPVS state" wait_for 5 grep -q 'status: IPVS unavailable' "$log"
	kill -TERM "$pid"
	wait "$pid"
	check "SIGTERM: exit status 0" test $? = 0
	check "SIGTERM: logs that it stopped" grep -q 'fulcrumd stopped; IPVS left as it is' "$log"
else
	bad "fulcrumd did not start" "$(cat "$log")"
	kill -KILL "$pid" 2>/dev/null
fi

# 2. A bad config file stops it at start, naming the file and the line.
printf 'db = %s/b.db\nlog_levle = debug\n' "$work" >"$work/bad.conf"
out=$("$fulcrumd" --foreground -c "$work/bad.conf" 2>&1)
rc=$?
check "bad config: exit 1" test "$rc" = 1
check "bad config: names file:line and setting" grep -q "$work/bad.conf:2: unknown setting 'log_levle'" <<<"$out"
out=$("$fulcrumd" --foreground -c "$work/absent.conf" 2>&1)
check "missing -c file: refused, named" grep -q "absent.conf: No such file or directory" <<<"$out"
out=$("$fulcrumd" --foreground --http '' -c /dev/null --log-level loud 2>&1)
check "bad --log-level: names the value" grep -q "'loud' is not one of" <<<"$out"

# 3. A database that is not one, or from a newer Fulcrum, stops it with a message naming it.
head -c 4096 /dev/urandom >"$work/garbage.db"
out=$("$fulcrumd" --foreground --http '' -c /dev/null --db "$work/garbage.db" 2>&1)
rc=$?
check "garbage database: exit 1, path named" test "$rc" = 1 -a -n "$(grep "$work/garbage.db" <<<"$out")"
"$fulcrumctl" --db "$work/new.db" status >/dev/null
sqlite3 "$work/new.db" 'PRAGMA user_version = 99'
out=$("$fulcrumd" --foreground --http '' -c /dev/null --db "$work/new.db" 2>&1)
check "newer schema: refused, says upgrade" grep -q "newer than this Fulcrum.*upgrade" <<<"$out"
out=$("$fulcrumd" --foreground --http '' -c /dev/null --db "$work/nodir/x.db" 2>&1)
check "database in a missing folder: refused, path named" grep -q "$work/nodir/x.db" <<<"$out"

# 4. As a daemon: detaches, writes its pid file, logs to log_file, SIGHUP reopens it.
printf 'http =\ndb = %s/d.db\nlog_file = %s/d.log\npid_file = %s/d.pid\n' "$work" "$work" "$work" >"$work/d.conf"
"$fulcrumd" -c "$work/d.conf"
check "daemon: start command returns 0" test $? = 0
if wait_for 5 test -s "$work/d.pid"; then
	dpid=$(cat "$work/d.pid")
	check "daemon: pid file names a live process" kill -0 "$dpid"
	# Idle, a standalone director sleeps: its CPU time (utime + stime, in clock ticks) over 2 s.
	cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
	t0=$(cpu_ticks "$dpid")
	sleep 2
	idle=$(($(cpu_ticks "$dpid") - t0))
	hz=$(getconf CLK_TCK)
	if ((idle * 100 < hz * 2 * 10)); then
		ok "daemon: idle and standalone, it uses under 10% of a CPU ($idle ticks of $((hz * 2)) in 2 s)"
	else
		bad "daemon: idle and standalone, it uses under 10% of a CPU" "$idle ticks of $((hz * 2)) in 2 s"
	fi
	out=$("$fulcrumd" -c "$work/d.conf" 2>&1)
	rc=$?
	check "daemon: a second one is refused before detaching" test "$rc" = 1 -a -n "$(grep "another fulcrumd holds $work/d.pid" <<<"$out")"
	mv "$work/d.log" "$work/d.log.1"
	kill -HUP "$dpid"
	check "daemon: SIGHUP reopens the log file" wait_for 5 grep -q 'log reopened' "$work/d.log"
	kill -TERM "$dpid"
	check "daemon: SIGTERM stops it" wait_for 5 bash -c "! kill -0 $dpid 2>/dev/null"
else
	bad "daemon: no pid file" "$(cat "$work/d.log" 2>/dev/null)"
fi

# 5. --help and --version answer without touching anything.
check "--version" grep -q "^fulcrumd [0-9]" <<<"$("$fulcrumd" --version)"
check "--help names every flag" bash -c "'$fulcrumd' --help | grep -q -- --db && '$fulcrumd' --help | grep -q -- --log-level"

# 6. Issue 18: fulcrumd's first start and fulcrumctl --db create the same new database at once. Each
# waits for the others (SQLite alone would fail the switch to WAL at once: "database is locked").
# Without the fix about one round in forty failed here; the unit db suite catches it every run.
race_fail=()
for r in $(seq 10); do
	db=$work/race-$r.db
	"$fulcrumd" --foreground --http '' -c /dev/null --db "$db" >"$work/race-$r.log" 2>&1 &
	dpid=$!
	cpids=()
	for i in $(seq 6); do
		"$fulcrumctl" --db "$db" token create "race-$i" --role viewer >/dev/null 2>"$work/race-$r.$i" &
		cpids+=($!)
	done
	for i in $(seq 6); do
		wait "${cpids[i - 1]}" || race_fail+=("round $r: $(cat "$work/race-$r.$i")")
	done
	wait_for 10 grep -q 'status: node' "$work/race-$r.log" ||
		race_fail+=("round $r: fulcrumd: $(tail -n 3 "$work/race-$r.log")")
	kill -TERM "$dpid" 2>/dev/null
	wait "$dpid" || race_fail+=("round $r: fulcrumd exit status $?: $(tail -n 3 "$work/race-$r.log")")
	n=$("$fulcrumctl" --db "$db" token list 2>&1 | grep -c ' race-[1-6] ')
	[[ $n == 6 ]] || race_fail+=("round $r: $n tokens of 6")
done
if ((${#race_fail[@]} == 0)); then
	ok "a new database created by fulcrumd and 6 fulcrumctl at once: all succeed, 6 tokens (10 rounds)"
else
	bad "a new database created by fulcrumd and 6 fulcrumctl at once" "${race_fail[@]}"
fi

echo "host: $passed passed, $failed failed"
[[ $failed == 0 ]]
