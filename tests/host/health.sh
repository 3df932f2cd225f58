#!/usr/bin/env bash
# Health checks against real servers on this host's loopback: every check type, its reasons, rise and fall.
# Needs python3 and openssl; runs tests/host/health-driver (make tests/host/health-driver).
# VALGRIND=1 runs the driver under valgrind and fails on leaks or errors.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
driver=${HEALTH_DRIVER:-$top/tests/host/health-driver}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0

ok() { echo "ok - $1"; passed=$((passed + 1)); }
bad() {
	echo "not ok - $1"
	shift
	[[ $# == 0 ]] || printf '%s\n' "$@" | sed 's/^/#   /'
	failed=$((failed + 1))
}
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
wait_for() { local t=$1; shift; for _ in $(seq $((t * 10))); do "$@" && return 0; sleep 0.1; done; return 1; }

for tool in python3 openssl; do
	command -v "$tool" >/dev/null || { echo "not ok - $tool is needed"; exit 1; }
done
[[ -x $driver ]] || { echo "not ok - $driver not built (make tests/host/health-driver)"; exit 1; }

# An HTTP server whose answers the test controls, a TCP port that drops SYNs, a closed port.
cat >"$work/server.py" <<'EOF'
import http.server, os, socket, sys, threading, time
work = sys.argv[1]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def answer(self, body_wanted):
        p = self.path
        status, body = 200, b"Still alive\n"
        if p == "/flip":
            with open(os.path.join(work, "flip.status")) as f:
                status = int(f.read().strip() or 200)
        elif p == "/503":
            status, body = 503, b"Service Unavailable\n"
        elif p == "/big":
            body = b"Early bird " + b"x" * 509 + b"MARKER\n"
        elif p == "/slow":
            time.sleep(3)
        elif p == "/host":
            body = ("Host: %s\n" % self.headers.get("Host")).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body_wanted:
            self.wfile.write(body)
    def do_GET(self): self.answer(True)
    def do_HEAD(self): self.answer(False)

class S(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    def handle_error(self, request, client_address): pass  # checks that time out hang up
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

try:
    srv = S(("::", 0), H)
except OSError:
    S.address_family = socket.AF_INET
    S.server_bind = http.server.ThreadingHTTPServer.server_bind
    srv = S(("127.0.0.1", 0), H)
    open(os.path.join(work, "no-ipv6"), "w").close()
# a listener that never accepts: once its queue is full, the kernel drops new SYNs
drop = socket.socket()
drop.bind(("127.0.0.1", 0))
drop.listen(0)
fill = []
for _ in range(3):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", drop.getsockname()[1]))
    except BlockingIOError: pass
    fill.append(c)
free = []
for _ in range(2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); free.append(s.getsockname()[1]); s.close()
with open(os.path.join(work, "ports.tmp"), "w") as f:
    f.write("http=%d drop=%d closed=%d tls=%d\n" % (srv.server_address[1], drop.getsockname()[1], free[0], free[1]))
os.rename(os.path.join(work, "ports.tmp"), os.path.join(work, "ports"))
srv.serve_forever()
EOF
echo 200 >"$work/flip.status"
python3 "$work/server.py" "$work" &
pids+=($!)
if ! wait_for 10 test -s "$work/ports"; then
	echo "not ok - the test HTTP server did not start"
	exit 1
fi
read -r http_kv drop_kv closed_kv tls_kv <"$work/ports"
http=${http_kv#http=} drop=${drop_kv#drop=} closed=${closed_kv#closed=} tls=${tls_kv#tls=}

# An HTTPS server with a self-signed certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=localhost -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
openssl s_server -accept "127.0.0.1:$tls" -cert "$work/cert.pem" -key "$work/key.pem" -www -quiet \
	</dev/null >/dev/null 2>&1 &
pids+=($!)
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$tls" 2>/dev/null || bad "openssl s_server did not start"

# External commands: slow.sh outlives its timeout (its sleep must die with it), args.sh checks its arguments.
printf '#!/bin/sh\nsleep 4321\n' >"$work/slow.sh"
printf '#!/bin/sh\n[ $# = 2 ] && [ "$1" = 127.0.0.1 ] && [ "$2" = 4242 ] && ! read -r x\n' >"$work/args.sh"
chmod +x "$work/slow.sh" "$work/args.sh"

# the checks not about timeouts get room for a slow start under valgrind
T=1
[[ ${VALGRIND:-0} == 1 ]] && T=3
L="addr=127.0.0.1;port=$http;timeout=$T"
targets=(
	"id=1;type=http;$L;expect=Still alive"
	"id=2;type=http;$L;path=/503"
	"id=3;type=http;$L;path=/503;status=200-299,503"
	"id=4;type=http;$L;expect=Nope"
	"id=5;type=http;$L;path=/big;regex=MARKER"
	"id=6;type=http;$L;path=/big;regex=^Early (bird|worm)"
	"id=7;type=http;$L;path=/503;head=1;status=503"
	"id=8;type=http;$L;path=/host;host=health.test;expect=Host: health.test"
	"id=9;type=http;addr=127.0.0.1;port=$http;path=/slow;interval=2;timeout=1"
	"id=10;type=http;addr=127.0.0.1;port=$closed"
	"id=11;type=https;addr=127.0.0.1;port=$tls;verify=1;timeout=$T"
	"id=12;type=https;addr=127.0.0.1;port=$tls;verify=0;timeout=$T"
	"id=13;type=tcp;$L"
	"id=14;type=tcp;addr=127.0.0.1;port=$closed"
	"id=15;type=tcp;addr=127.0.0.1;port=$drop;interval=2;timeout=1"
	"id=16;type=external;$L;command=/bin/true"
	"id=17;type=external;$L;command=/bin/false"
	"id=18;type=external;addr=127.0.0.1;port=$http;command=$work/slow.sh;interval=2;timeout=1"
	"id=19;type=external;addr=127.0.0.1;port=4242;command=$work/args.sh"
	"id=20;type=external;$L;command=$work/absent-program"
	"id=21;type=none;$L"
	"id=30;type=http;$L;path=/flip;rise=2;fall=2"
	"id=31;type=http;$L;expect=Still alive"
	"id=32;type=http;addr=192.0.2.7;port=9;check_addr=127.0.0.1;check_port=$http;timeout=$T;expect=Still alive"
	"id=33;type=http;$L;expect=Still alive;rise=3"
)
if [[ ! -e $work/no-ipv6 ]]; then
	targets+=("id=40;type=http;addr=::1;port=$http;timeout=$T;expect=Still alive" "id=41;type=tcp;addr=::1;port=$closed")
fi
log=$work/driver.log
wrap=()
[[ ${VALGRIND:-0} == 1 ]] && wrap=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9)
"${wrap[@]}" "$driver" "${targets[@]}" >"$log" 2>"$work/driver.err" &
dpid=$!
pids+=("$dpid")

# Rise and fall: /flip is up, goes down after exactly 2 failed checks, comes back after exactly 2 good ones.
# lines_of30 MARK DROP: id 30's lines written after line MARK of the log, without those whose reason is DROP
lines_of30() { tail -n +$(($1 + 1)) "$log" | grep '^[a-z]* id=30 ' | grep -v "reason=$2\$"; }
# seq_is NAME MARK DROP LINE1 LINE2: the first two such lines match the patterns
seq_is() {
	local got
	got=$(lines_of30 "$2" "$3" | head -2)
	if grep -q "$4" <<<"$(sed -n 1p <<<"$got")" && grep -q "$5" <<<"$(sed -n 2p <<<"$got")"; then
		ok "$1"
	else
		bad "$1" "$(lines_of30 "$2" "$3" | head -4)"
	fi
}
if wait_for 15 grep -q '^change id=30 state=up' "$log"; then
	mark=$(wc -l <"$log")
	echo 503 >"$work/flip.status"
	if wait_for 15 bash -c "tail -n +$((mark + 1)) '$log' | grep -q '^change id=30 state=down'"; then
		seq_is "fall 2: one failure keeps it up (and says so), the second marks it down" "$mark" "http: status 200" \
			'^result id=30 state=up failures=1 .*reason=http: status 503, expected 200 (1 of 2 failures to go down)$' \
			'^change id=30 state=down failures=2 .*reason=http: status 503, expected 200$'
		mark=$(wc -l <"$log")
		echo 200 >"$work/flip.status"
		if wait_for 15 bash -c "tail -n +$((mark + 1)) '$log' | grep -q '^change id=30 state=up'"; then
			seq_is "rise 2: one success keeps it down (and says so), the second marks it up" "$mark" \
				"http: status 503, expected 200" \
				'^result id=30 state=down failures=0 .*reason=http: status 200 (1 of 2 successes to come up)$' \
				'^change id=30 state=up failures=0 .*reason=http: status 200$'
		else
			bad "id 30 did not come back up" "$(lines_of30 "$mark" x)"
		fi
	else
		bad "id 30 did not go down" "$(lines_of30 "$mark" x)"
	fi
else
	bad "id 30 never came up" "$(grep ' id=30 ' "$log")"
fi
# every check has answered at least twice by now (intervals are 1 and 2 s)
wait_for 10 bash -c "[ \$(grep -c '^result id=18 ' '$log') -ge 2 ]"
kill -TERM "$dpid"
if wait_for 20 bash -c "! kill -0 $dpid 2>/dev/null"; then
	wait "$dpid"
	rc=$?
	check "driver stops on SIGTERM, exit status 0" test "$rc" = 0
else
	bad "driver did not stop on SIGTERM"
fi
# valgrind has no pidfd_open: it says so, and the driver polls for its children instead
grep -v '^--[0-9]*--' "$work/driver.err" >"$work/driver.err2"
[[ -s $work/driver.err2 ]] && bad "driver wrote to stderr" "$(head -20 "$work/driver.err2")"

# expect_final ID STATE REASON
expect_final() {
	local line state reason
	line=$(grep "^final id=$1 " "$log")
	state=${line#*state=}
	state=${state%% *}
	reason=${line#*reason=}
	if [[ $state == "$2" && $reason == "$3" ]]; then
		ok "id $1: $2, $3"
	else
		bad "id $1: $2, $3" "got: ${line:-nothing}"
	fi
}
expect_final 1 up "http: status 200"
expect_final 2 down "http: status 503, expected 200"
expect_final 3 up "http: status 503"
expect_final 4 down "http: 'Nope' not in the first 512 bytes of the reply"
expect_final 5 down "http: no match for /MARKER/ in the first 512 bytes of the reply"
expect_final 6 up "http: status 200"
expect_final 7 up "http: status 503"
expect_final 8 up "http: status 200"
expect_final 9 down "http: timed out after 1 s"
expect_final 10 down "http: connection refused"
expect_final 11 down "https: certificate verify failed (SSL certificate problem: self-signed certificate)"
expect_final 12 up "https: status 200"
expect_final 13 up "tcp: connected"
expect_final 14 down "tcp: connection refused"
expect_final 15 down "tcp: timed out after 1 s"
expect_final 16 up "external: exit status 0"
expect_final 17 down "external: exit status 1"
expect_final 18 down "external: timed out after 1 s, killed"
expect_final 19 up "external: exit status 0"
if [[ ${VALGRIND:-0} == 1 ]]; then # under valgrind the exec fails in the child
	expect_final 20 down "external: exit status 127"
else
	expect_final 20 down "external: cannot run $work/absent-program: No such file or directory"
fi
expect_final 21 up "no check configured"
expect_final 30 up "http: status 200"
expect_final 31 up "http: status 200"
expect_final 32 up "http: status 200"
expect_final 33 up "http: status 200"
if [[ ! -e $work/no-ipv6 ]]; then
	expect_final 40 up "http: status 200"
	expect_final 41 down "tcp: connection refused"
fi

# 1, 31 and 32 (checked at the same address and port) share one check; 33 (rise 3) does not.
c1=$(grep -c '^result id=1 ' "$log")
check "identical checks share one run and one result" \
	test "$(grep '^final id=1 ' "$log" | sed 's/.*checks=\([0-9]*\).*/\1/')" = "$(grep '^final id=32 ' "$log" | sed 's/.*checks=\([0-9]*\).*/\1/')" -a "$c1" -ge 2
n=${#targets[@]}
check "stats: $n targets, $((n - 3)) distinct checks (none and two duplicates)" \
	grep -q "^stats targets=$n probes=$((n - 3)) " "$log"
check "the command's own children die with it at the timeout" \
	bash -c "! pgrep -f 'sleep [4]321' >/dev/null"

if [[ $failed != 0 ]]; then
	cp "$log" "${TMPDIR:-/tmp}/health-driver.log"
	echo "# the driver's output: ${TMPDIR:-/tmp}/health-driver.log"
fi
echo "# health: $passed passed, $failed failed"
[[ $failed == 0 ]]
