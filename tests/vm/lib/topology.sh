# Guest-side helper for real-kernel scenarios: builds a director, real servers and a client in network namespaces.
# shellcheck shell=bash
#
# Source it from a scenario (it runs inside the rig's guest, never on the host):
#     . "$FULCRUM_TOP/tests/vm/lib/topology.sh"
#     topo_up          # director, rs1, rs2, client; `topo_up 4` for rs1..rs4
#
# The layout (all of it inside the guest; nothing leaves it):
#
#   client ──eth0── [br-cl] ──eth-cl── director ──eth-rs── [br-rs] ──eth0── rs1, rs2, ...
#   10.0.2.10            10.0.2.0/24     10.0.2.1 | 10.0.1.1   10.0.1.0/24      10.0.1.11, .12, ...
#   fd00:2::10           fd00:2::/64   fd00:2::1 | fd00:1::1   fd00:1::/64      fd00:1::11, ::12, ...
#
# - director: ip_forward=1 (v4 and v6), its own IPVS table (IPVS is per netns).
#   The VIP (10.0.2.100, fd00:2::100) sits on its client leg eth-cl, so the
#   client reaches it directly; set TOPO_VIP=0 before topo_up to leave it off
#   (for scenarios where fulcrumd brings the VIP up itself).
# - rsN: default routes via the director, so masq (NAT) replies go back
#   through it. Each runs `busybox httpd -f -p 80` serving index.html = "rsN".
# - client: on its own subnet, routed via the director (if it shared the real
#   servers' subnet, replies to masq traffic would bypass the director).
# - Bridges br-rs and br-cl live in the guest's initial namespace.
#
# Variables: DIRECTOR_RS_IP DIRECTOR_CL_IP DIRECTOR_RS_IP6 DIRECTOR_CL_IP6
#   DIRECTOR_RS_IF DIRECTOR_CL_IF  VIP VIP6  CLIENT_IP CLIENT_IP6
#   RS_NAMES (array: rs1 rs2 ...)  rs_ip N, rs_ip6 N print rsN's addresses
#   TOPO_DIR (docroots and httpd logs, under $SCENARIO_TMP)
# Functions:
#   topo_up [N_REAL]     build it (default 2 real servers); waits until every httpd answers
#   topo_down            stop httpds, delete namespaces, veths and bridges
#   in_ns NS CMD...      run CMD in namespace NS (a function: `in_ns ... &` gives $! of a
#                        subshell, not of CMD; start daemons with bg_in_ns instead)
#   bg_in_ns NS LOGFILE CMD...  start CMD in NS in the background, output to LOGFILE;
#                        BG_PID is CMD's own pid (kill it, wait for it)
#   client_get URL       body of URL fetched from the client namespace (curl, 3 s limit); non-zero on error
#   rs_http_stop N / rs_http_start N   stop or start rsN's web server (health-check scenarios)
#   rs_page N [TEXT]     rsN's index.html holds TEXT (default: its name, as topo_up writes it)
#   rs_listens N PORT    something in rsN listens on TCP PORT
#   topo_lan_client      a second client, "lanclient" (LAN_CLIENT_IP, LAN_CLIENT_IP6), on the
#                        real servers' subnet with the VIPs routed via the director: direct
#                        routing and tunnel replies go to it on-link, not through the director
#   rs_accept_dr N       rsN takes the VIPs on lo without answering ARP for them (direct routing)
#   rs_accept_tun N      rsN decapsulates IP-in-IP (tunl0, ip6tnl0) and takes the VIPs (tunnel)
#   lan_get URL          like client_get, from lanclient
#   rs_name_start N SPEC...  a responder in rsN that answers "rsN" on each SPEC (udp:PORT: one
#                        datagram back per datagram; sctp:PORT: a one-to-one SCTP socket that
#                        sends the name and closes), on rsN's IPv4 and IPv6 addresses; waits
#                        until the director gets the name on every SPEC (python3, ~1 s under TCG)
#   rs_name_stop N       stop it
#   name_ask PROTO ADDR PORT [NS]      one exchange (udp or sctp) from NS (default client);
#                        prints the name that answered, non-zero on no answer (2 s)
#   name_answers N PROTO ADDR PORT [NS]  N exchanges (10 s each at most), each from a new socket (so a new source
#                        port, all N held open until the end so no port repeats); prints
#                        "rs1=X rs2=Y ..." counts like answers (fulcrum.sh), "none=K" for no answer
#   assert_eq EXPECTED ACTUAL MSG      fail unless equal
#   fail MSG             print "FAIL: MSG" and exit 1 (from a subshell: exits the subshell only)
#   wait_for SECONDS CMD...  retry CMD every 0.2 s until it succeeds; non-zero after SECONDS
#   log MSG              timestamped line on stdout

DIRECTOR_RS_IF=eth-rs
DIRECTOR_CL_IF=eth-cl
DIRECTOR_RS_IP=10.0.1.1
DIRECTOR_CL_IP=10.0.2.1
DIRECTOR_RS_IP6=fd00:1::1
DIRECTOR_CL_IP6=fd00:2::1
VIP=10.0.2.100
VIP6=fd00:2::100
CLIENT_IP=10.0.2.10
CLIENT_IP6=fd00:2::10
LAN_CLIENT_IP=10.0.1.50
LAN_CLIENT_IP6=fd00:1::50
RS_NAMES=()
BG_PID=""
TOPO_DIR=${SCENARIO_TMP:-/tmp}/topology
declare -A TOPO_HTTPD_PID=()
declare -A TOPO_NAME_PID=()

rs_ip() { printf '10.0.1.%d\n' $((10 + $1)); }
rs_ip6() { printf 'fd00:1::%d\n' $((10 + $1)); }

log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }

fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

assert_eq() { # EXPECTED ACTUAL MSG
    if [[ "$1" != "$2" ]]; then
        fail "${3:-assert_eq}: expected '$1', got '$2'"
    fi
}

wait_for() { # SECONDS CMD...
    local deadline=$(($(date +%s%3N) + $1 * 1000))
    shift
    until "$@" >/dev/null 2>&1; do
        (($(date +%s%3N) < deadline)) || return 1
        sleep 0.2
    done
}

in_ns() { # NS CMD...
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

bg_in_ns() { # NS LOGFILE CMD...
    local ns=$1 logfile=$2
    shift 2
    # `ip netns exec` execs CMD, so $! is CMD itself.
    ip netns exec "$ns" "$@" >>"$logfile" 2>&1 &
    BG_PID=$!
}

client_get() { # URL
    in_ns client curl -sS -g --noproxy '*' --connect-timeout 2 --max-time 3 "$1"
}

# _topo_leg NS IFNAME BRIDGE HOSTSIDE: a veth with one end (IFNAME) in NS, the other on BRIDGE.
_topo_leg() {
    local ns=$1 ifname=$2 br=$3 peer=$4
    ip link add "$peer" type veth peer name "$ifname" netns "$ns"
    ip link set "$peer" master "$br" up
    ip -n "$ns" link set "$ifname" up
}

_topo_ns() { # NS
    ip netns add "$1"
    ip -n "$1" link set lo up
    in_ns "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
        net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
}

rs_http_start() { # N
    local n=$1 name=rs$1
    bg_in_ns "$name" "$TOPO_DIR/httpd-$name.log" busybox httpd -f -p 80 -h "$TOPO_DIR/www/$name"
    TOPO_HTTPD_PID[$name]=$BG_PID
    wait_for 5 in_ns director curl -sf --max-time 1 "http://$(rs_ip "$n")/" ||
        fail "topology: $name's httpd does not answer on $(rs_ip "$n"):80"
}

rs_http_stop() { # N
    local name=rs$1 pid
    pid=${TOPO_HTTPD_PID[$name]:-}
    [[ -n $pid ]] || return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "TOPO_HTTPD_PID[$name]"
}

rs_listens() { # N PORT
    [[ -n $(in_ns "rs$1" ss -Hltn "sport = :$2") ]]
}

rs_page() { # N [TEXT]: written aside and renamed, so no request sees half a page
    local page=$TOPO_DIR/www/rs$1/index.html
    printf '%s\n' "${2:-rs$1}" >"$page.new"
    mv -f "$page.new" "$page"
}

topo_up() { # [N_REAL]
    local n_real=${1:-2} i name
    [[ $n_real =~ ^[0-9]+$ && $n_real -ge 1 && $n_real -le 200 ]] || fail "topo_up: bad number of real servers '$n_real'"
    mkdir -p "$TOPO_DIR/www" /run/netns

    for br in br-rs br-cl; do
        ip link add "$br" type bridge stp_state 0 mcast_snooping 0
        ip link set "$br" up
    done

    _topo_ns director
    _topo_leg director "$DIRECTOR_RS_IF" br-rs v-dir-rs
    _topo_leg director "$DIRECTOR_CL_IF" br-cl v-dir-cl
    ip -n director addr add "$DIRECTOR_RS_IP/24" dev "$DIRECTOR_RS_IF"
    ip -n director addr add "$DIRECTOR_CL_IP/24" dev "$DIRECTOR_CL_IF"
    ip -n director addr add "$DIRECTOR_RS_IP6/64" dev "$DIRECTOR_RS_IF" nodad
    ip -n director addr add "$DIRECTOR_CL_IP6/64" dev "$DIRECTOR_CL_IF" nodad
    if [[ ${TOPO_VIP:-1} == 1 ]]; then
        ip -n director addr add "$VIP/32" dev "$DIRECTOR_CL_IF"
        ip -n director addr add "$VIP6/128" dev "$DIRECTOR_CL_IF" nodad
    fi
    in_ns director sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

    _topo_ns client
    _topo_leg client eth0 br-cl v-client
    ip -n client addr add "$CLIENT_IP/24" dev eth0
    ip -n client addr add "$CLIENT_IP6/64" dev eth0 nodad
    ip -n client route add default via "$DIRECTOR_CL_IP"
    ip -n client -6 route add default via "$DIRECTOR_CL_IP6"

    RS_NAMES=()
    for ((i = 1; i <= n_real; i++)); do
        name=rs$i
        RS_NAMES+=("$name")
        _topo_ns "$name"
        _topo_leg "$name" eth0 br-rs "v-$name"
        ip -n "$name" addr add "$(rs_ip "$i")/24" dev eth0
        ip -n "$name" addr add "$(rs_ip6 "$i")/64" dev eth0 nodad
        ip -n "$name" route add default via "$DIRECTOR_RS_IP"
        ip -n "$name" -6 route add default via "$DIRECTOR_RS_IP6"
        mkdir -p "$TOPO_DIR/www/$name"
        printf '%s\n' "$name" >"$TOPO_DIR/www/$name/index.html"
        rs_http_start "$i"
    done
    wait_for 5 in_ns client busybox ping -c1 -W1 "$DIRECTOR_CL_IP" || fail "topology: client cannot reach the director"
}

topo_lan_client() {
    _topo_ns lanclient
    _topo_leg lanclient eth0 br-rs v-lanclient
    ip -n lanclient addr add "$LAN_CLIENT_IP/24" dev eth0
    ip -n lanclient addr add "$LAN_CLIENT_IP6/64" dev eth0 nodad
    ip -n lanclient route add "$VIP/32" via "$DIRECTOR_RS_IP"
    ip -n lanclient -6 route add "$VIP6/128" via "$DIRECTOR_RS_IP6"
    RS_NAMES+=(lanclient)
    wait_for 5 in_ns lanclient busybox ping -c1 -W1 "$DIRECTOR_RS_IP" || fail "topology: lanclient cannot reach the director"
}

lan_get() { # URL
    in_ns lanclient curl -sS -g --noproxy '*' --connect-timeout 2 --max-time 3 "$1"
}

rs_accept_dr() { # N
    local ns=rs$1
    in_ns "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
    ip -n "$ns" addr replace "$VIP/32" dev lo
    ip -n "$ns" addr replace "$VIP6/128" dev lo nodad
}

rs_accept_tun() { # N
    local ns=rs$1
    in_ns "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
        net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
    ip -n "$ns" link set tunl0 up
    in_ns "$ns" sysctl -qw net.ipv4.conf.tunl0.rp_filter=0
    ip -n "$ns" addr replace "$VIP/32" dev lo
}

topo_down() {
    local name
    for name in "${!TOPO_HTTPD_PID[@]}"; do
        rs_http_stop "${name#rs}"
    done
    for name in client director "${RS_NAMES[@]}"; do
        ip netns pids "$name" 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del "$name" 2>/dev/null || true
    done
    ip link del br-rs 2>/dev/null || true
    ip link del br-cl 2>/dev/null || true
    RS_NAMES=()
}

# The responder and client behind rs_name_start, name_ask and name_answers.
# server NAME SPEC...  |  client PROTO ADDR PORT COUNT TIMEOUT
_TOPO_NAME_PY='
import socket, sys, threading, time
def kind(proto):
    if proto == "udp":
        return socket.SOCK_DGRAM, socket.IPPROTO_UDP
    if proto == "sctp":
        return socket.SOCK_STREAM, socket.IPPROTO_SCTP
    sys.exit("unknown protocol " + proto)
def serve(name, proto, port, af):
    typ, pro = kind(proto)
    s = socket.socket(af, typ, pro)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if af == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if af == socket.AF_INET6 else "0.0.0.0", port))
    reply = (name + "\n").encode()
    if proto == "udp":
        while True:
            _, peer = s.recvfrom(2048)
            s.sendto(reply, peer)
    s.listen(64)
    while True:
        c, _ = s.accept()
        try:
            c.sendall(reply)
        except OSError:
            pass
        c.close()
def ask(proto, addr, port, timeout, keep):
    typ, pro = kind(proto)
    af = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(af, typ, pro)
    keep.append(s)
    try:
        if proto == "udp":
            # Resent (same socket, same source port) every 2 s until timeout: a lost datagram is not an error.
            s.settimeout(min(timeout, 2))
            deadline = time.monotonic() + timeout
            while True:
                s.sendto(b"who?\n", (addr, port))
                try:
                    got = s.recv(2048).decode().strip()
                    break
                except socket.timeout:
                    if time.monotonic() >= deadline:
                        raise
        else:
            s.settimeout(timeout)
            s.connect((addr, port))
            got = s.recv(2048).decode().strip()
        if got:
            return got
        why = "closed without an answer"
    except OSError as e:
        why = repr(e)
    print("%s %s:%d from %s: %s" % (proto, addr, port, s.getsockname(), why), file=sys.stderr)
    return "none"
if sys.argv[1] == "server":
    name = sys.argv[2]
    for spec in sys.argv[3:]:
        proto, port = spec.split(":")
        for af in (socket.AF_INET, socket.AF_INET6):
            threading.Thread(target=serve, args=(name, proto, int(port), af), daemon=True).start()
    print("serving", " ".join(sys.argv[3:]), flush=True)
    threading.Event().wait()
proto, addr, port, count, timeout = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
keep, seen = [], {}
for _ in range(count):
    who = ask(proto, addr, port, timeout, keep)
    seen[who] = seen.get(who, 0) + 1
print(" ".join("%s=%d" % kv for kv in sorted(seen.items())))
sys.exit(0 if "none" not in seen else 1)
'

rs_name_start() { # N SPEC...
    local n=$1 name=rs$1 spec
    shift
    mkdir -p "$TOPO_DIR"
    bg_in_ns "$name" "$TOPO_DIR/name-$name.log" python3 -c "$_TOPO_NAME_PY" server "$name" "$@"
    TOPO_NAME_PID[$name]=$BG_PID
    for spec in "$@"; do
        wait_for 20 _topo_name_is "$name" "${spec%%:*}" "$(rs_ip "$n")" "${spec#*:}" ||
            fail "topology: $name's responder does not answer on $(rs_ip "$n") $spec: $(cat "$TOPO_DIR/name-$name.log")"
    done
}

_topo_name_is() { [[ $(name_ask "$2" "$3" "$4" director) == "$1" ]]; } # NAME PROTO ADDR PORT

rs_name_stop() { # N
    local name=rs$1 pid
    pid=${TOPO_NAME_PID[$name]:-}
    [[ -n $pid ]] || return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "TOPO_NAME_PID[$name]"
}

name_ask() { # PROTO ADDR PORT [NS]
    local out
    out=$(in_ns "${4:-client}" python3 -c "$_TOPO_NAME_PY" client "$1" "$2" "$3" 1 2) || return 1
    printf '%s\n' "${out%=1}"
}

name_answers() { # N PROTO ADDR PORT [NS]
    in_ns "${5:-client}" python3 -c "$_TOPO_NAME_PY" client "$2" "$3" "$4" "$1" 10
}
