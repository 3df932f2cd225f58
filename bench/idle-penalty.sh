#!/bin/bash
# What a second of idleness does to a request in the guest, against baselines in the same run:
# back to back (15) and each after 1 s asleep (6), medians, for a weight PATCH and a GET /status
# to fulcrumd (10 x 10), a TCP echo between two Python processes and SHA-256 of 128 KB (C code).
# Asserts nothing. A guest script for the real-kernel rig:
#     tests/vm/run.sh --timeout 600 bench/idle-penalty.sh
# Output in tests/vm/results/idle-penalty/guest.log.
# shellcheck disable=SC2153,SC2119 # FULCRUM_TOP comes from the rig; fulcrum_start takes no args here
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib/fulcrum.sh
. "$FULCRUM_TOP/tests/vm/lib/fulcrum.sh"
topo_up 2
fulcrum_seed 10 10
fulcrum_seed_ipvs 10 10
FULCRUM_KEEP_DB=1 FULCRUM_CONF="reconcile_interval = 600" fulcrum_start
wait_for 60 grep -q 'reconcile: started' "$FULCRUM_LOG" || fail "no first pass"
# The echo server: one connection, every read sent back.
in_ns director python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 9999)); s.listen(1)
c, _ = s.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
while True:
    d = c.recv(4096)
    if not d: break
    c.sendall(d)
' &
echo_pid=$!
sleep 1
in_ns director python3 - "$FULCRUM_TOKEN" <<'PY'
import hashlib, http.client, json, socket, sys, time
token = sys.argv[1]
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=60)
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
e = socket.create_connection(("127.0.0.1", 9999)); e.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
k = [0]
def ms(t): return (time.monotonic() - t) * 1000
def patch():
    k[0] += 1; t = time.monotonic()
    c.request("PATCH", "/api/v1/reals/5", json.dumps({"weight": k[0] % 50 + 2}), h); r = c.getresponse(); r.read(); return ms(t)
def get():
    t = time.monotonic(); c.request("GET", "/api/v1/status", headers=h); c.getresponse().read(); return ms(t)
def echo():
    t = time.monotonic(); e.sendall(b"x" * 200); e.recv(4096); return ms(t)
block = b"x" * 131072
def sha():
    t = time.monotonic(); hashlib.sha256(block).digest(); return ms(t)
tests = (("PATCH", patch), ("GET /status", get), ("TCP echo, 2 processes", echo), ("SHA-256 of 128 KB", sha))
res = {}
for name, f in tests:
    for _ in range(3): f()
    warm = [f() for _ in range(15)]
    idle = []
    for _ in range(6):
        time.sleep(1); idle.append(f())
    med = lambda v: sorted(v)[len(v)//2]
    print("guest %-22s back to back %6.2f ms, after 1 s idle %6.2f ms (x %.1f)" % (name, med(warm), med(idle), med(idle) / med(warm)))
PY
fulcrum_stop
kill "$echo_pid" 2>/dev/null || true
