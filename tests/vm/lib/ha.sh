# Guest-side helper for failover scenarios: two director namespaces sharing the client and real-server bridges, each with its own fulcrumd.
# shellcheck shell=bash disable=SC2034 # the variables are for the scenarios that source it
#
# Source after topology.sh (it uses in_ns, bg_in_ns, wait_for, fail, log, _topo_ns, _topo_leg,
# rs_http_start). The layout:
#
#   client 10.0.2.10 ─[br-cl]─ eth-cl: dir1 10.0.2.1, dir2 10.0.2.2; VIP 10.0.2.100/24, fd00:2::100/64
#   rs1 10.0.1.11, rs2 ─[br-rs]─ eth-rs: dir1 10.0.1.1, dir2 10.0.1.2; VIP 10.0.1.254/24 (the real
#                                servers' gateway: masq replies go back through the active)
#
# Heartbeats: path 1 over br-cl, path 2 over br-rs; the tie-breaker is the client's address
# (HA_TIEBREAKER to change it). Each director's database holds the same TCP service
# 10.0.2.100:80 (rr, masq to rs1 and rs2) and the three VIPs; fulcrumd serves its API on
# 127.0.0.1:8080 in its namespace, no SNMP, and the scenarios mostly read its log.
#
#   ha_topo_up [EXTRA...]  bridges, dir1, dir2, client, rs1, rs2 (httpd); the VIPs nowhere yet. EXTRA:
#                          router   a router on both bridges, 10.0.2.254 and 10.0.1.253 (HA_ROUTER_CL,
#                                   HA_ROUTER_RS): the tie-breakers, as Pacemaker's ping resource pings
#                          mallory  a third node on both bridges, 10.0.2.66 and 10.0.1.66: the attacker
#   ha_start N [CONF...]   fulcrumd in dirN (a fresh copy of the pair's seed database unless HA_KEEP_DB=1); extra settings;
#                          HA_STANDALONE=1: no ha_ settings (a standalone director, as with no peer);
#                          HA_LOG_LEVEL (info); HA_SEED=K adds K services (10.100.x.y:80, in the database and in IPVS);
#                          HA_SQL: more SQL for the database, run in its transaction; HA_AGENTX: the
#                          AgentX socket of an snmpd in dirN (tests/vm/lib/snmp.sh), none by default
#   ha_kill N [SIGNAL]     the signal (default KILL) to dirN's fulcrumd, waited for
#   ha_role N              the role dirN's log last reported ("active", "standby", ...; "" none)
#   ha_has_vip N ADDR      dirN's interfaces hold ADDR
#   ha_api N PATH          GET PATH from dirN's API (127.0.0.1:8080 in its namespace), the body
#   ha_post N PATH JSON    POST JSON to PATH of dirN's API: the body, then a line "HTTP nnn"
#   ha_delete N PATH       DELETE PATH of dirN's API: the body, then a line "HTTP nnn"
#   ha_cluster N EXPR      GET /cluster of dirN and print the Python expression EXPR of it (c)
#   ha_hb_loss N PCT       heartbeats (UDP 694) leaving dirN on either path are lost at PCT% (tc netem
#                          on a band of a prio qdisc that only they reach); other traffic passes.
#                          Prints how many heartbeats dirN's netem dropped before this change.
#   ha_tb_cut N / ha_tb_heal N   the router stops / starts answering dirN (both its addresses)
#   ha_repl_cut N / ha_repl_heal N   replication's segments from dirN (TCP to 7694) lost / passing
#   ha_monitor N           dirN's address events, timestamped by the kernel, in $HA_DIR/addr-dirN.txt
#   ha_report CMD ARGS...  questions to the logs, the address events and the poller's file
#                          (tests/vm/lib/ha_report.py: takeover, at, event, before, outage)
#   ha_ms                  now, Unix ms
# HA_POLLER_PY: a client that connects to the VIP every 10 ms and writes "ms ok|fail" per try.
# HA_DOWNLOAD_PY: a client that downloads a URL path at a set rate (see below).
# Variables: HA_DIR, HA_LOG[N], HA_PID[N], HA_VIP HA_VIP6 HA_GW HA_ROUTER_CL HA_ROUTER_RS HA_MALLORY

HA_DIR=${SCENARIO_TMP:-/tmp}/ha
HA_VIP=10.0.2.100
HA_VIP6=fd00:2::100
HA_GW=10.0.1.254
HA_CLIENT=10.0.2.10
HA_ROUTER_CL=10.0.2.254
HA_ROUTER_RS=10.0.1.253
HA_MALLORY=10.0.2.66
HA_MALLORY_RS=10.0.1.66
declare -A HA_PID=()
declare -A HA_TOKEN=()
declare -A HA_LOG=()

ha_ms() { date +%s%3N; }

ha_topo_up() { # [EXTRA...] one ip -batch per namespace: under TCG each process start costs up to a second
    local n i x
    HA_EXTRA=("$@")
    mkdir -p "$HA_DIR" "$TOPO_DIR/www" /run/netns
    {
        for br in br-rs br-cl; do
            echo "link add $br type bridge stp_state 0 mcast_snooping 0"
            echo "link set $br up"
        done
        for ns in dir1 dir2 client rs1 rs2 "${HA_EXTRA[@]}"; do echo "netns add $ns"; done
        for x in "${HA_EXTRA[@]}"; do
            echo "link add v-$x-cl type veth peer name eth-cl netns $x"
            echo "link set v-$x-cl master br-cl up"
            echo "link add v-$x-rs type veth peer name eth-rs netns $x"
            echo "link set v-$x-rs master br-rs up"
        done
        for n in 1 2; do
            echo "link add v-d$n-cl type veth peer name eth-cl netns dir$n"
            echo "link set v-d$n-cl master br-cl up"
            echo "link add v-d$n-rs type veth peer name eth-rs netns dir$n"
            echo "link set v-d$n-rs master br-rs up"
        done
        echo "link add v-client type veth peer name eth0 netns client"
        echo "link set v-client master br-cl up"
        for i in 1 2; do
            echo "link add v-rs$i type veth peer name eth0 netns rs$i"
            echo "link set v-rs$i master br-rs up"
        done
    } | ip -batch - || fail "ha topology: the links"
    for n in 1 2; do
        in_ns "dir$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
            net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
            net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
        printf '%s\n' "link set lo up" "link set eth-cl up" "link set eth-rs up" \
            "addr add 10.0.2.$n/24 dev eth-cl" "addr add 10.0.1.$n/24 dev eth-rs" \
            "addr add fd00:2::$n/64 dev eth-cl nodad" | ip -n "dir$n" -batch - || fail "ha topology: dir$n"
    done
    in_ns client sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    printf '%s\n' "link set lo up" "link set eth0 up" "addr add $HA_CLIENT/24 dev eth0" \
        "addr add fd00:2::10/64 dev eth0 nodad" | ip -n client -batch - || fail "ha topology: client"
    for x in "${HA_EXTRA[@]}"; do
        case $x in
        router) printf '%s\n' "link set lo up" "link set eth-cl up" "link set eth-rs up" \
            "addr add $HA_ROUTER_CL/24 dev eth-cl" "addr add $HA_ROUTER_RS/24 dev eth-rs" | ip -n router -batch - ;;
        mallory) printf '%s\n' "link set lo up" "link set eth-cl up" "link set eth-rs up" \
            "addr add $HA_MALLORY/24 dev eth-cl" "addr add $HA_MALLORY_RS/24 dev eth-rs" | ip -n mallory -batch - ;;
        *) fail "ha_topo_up: unknown extra '$x'" ;;
        esac || fail "ha topology: $x"
    done
    for i in 1 2; do
        printf '%s\n' "link set lo up" "link set eth0 up" "addr add $(rs_ip "$i")/24 dev eth0" \
            "route add default via $HA_GW" | ip -n "rs$i" -batch - || fail "ha topology: rs$i"
        mkdir -p "$TOPO_DIR/www/rs$i"
        printf 'rs%s\n' "$i" >"$TOPO_DIR/www/rs$i/index.html"
        bg_in_ns "rs$i" "$TOPO_DIR/httpd-rs$i.log" busybox httpd -f -p 80 -h "$TOPO_DIR/www/rs$i"
        TOPO_HTTPD_PID["rs$i"]=$BG_PID
    done
    RS_NAMES=(rs1 rs2)
    wait_for 5 in_ns dir1 busybox ping -c1 -W1 10.0.2.2 || fail "ha topology: dir1 cannot reach dir2"
    # the key file both nodes sign their heartbeats with
    printf 'auth 1\n1 hmac-sha256 hex:%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
        >"$HA_DIR/authkeys"
    chmod 600 "$HA_DIR/authkeys"
}

# _ha_db N: dirN's database with the service and the VIPs, written with sqlite3 (no API needed).
# The pair holds one configuration (replication keeps it so): the first database of a kind
# (HA_SQL, HA_SEED) is the seed, every later one a copy of it, with the same token.
_ha_db() {
    local db=$HA_DIR/dir$1/fulcrum.db key seed
    rm -f "$db" "$db"-wal "$db"-shm "$db".ha-epoch "$db".ha-peer
    key=$(printf '%s\n%s\n' "${HA_SQL:-}" "${HA_SEED:-0}" | md5sum | cut -c1-12)
    seed=$HA_DIR/seed-$key.db
    [[ -f $seed ]] || _ha_seed "$seed"
    cp "$seed" "$db" || fail "copying the seed database to dir$1"
    HA_TOKEN[$1]=$(cat "$seed.token")
    printf '%s\n' "${HA_TOKEN[$1]}" >"$HA_DIR/dir$1/token"
    [[ ${HA_SEED:-0} -gt 0 ]] || return 0
    # the seeded services are already in dirN's IPVS (ipvsadm -R), so the first pass adopts them
    awk -v n="$HA_SEED" -v rs="$(rs_ip 1)" 'BEGIN {
        for (i = 0; i < n; i++) {
            v = sprintf("10.100.%d.%d:80", int(i / 250), i % 250 + 1)
            printf "-A -t %s -s wrr\n-a -t %s -r %s:80 -m -w 1\n", v, v, rs
        }
    }' | in_ns "dir$1" ipvsadm -R || fail "ipvsadm -R of dir$1's seeded table failed"
}

_ha_seed() { # FILE: a database with a token (FILE.token), the service, the VIPs, HA_SQL, HA_SEED
    local db=$1 token
    mkdir -p "$(dirname "$db")"
    token=$("$FULCRUM_TOP/fulcrumctl" --db "$db" token create scenario --role admin 2>/dev/null) ||
        fail "fulcrumctl could not create the seed database"
    printf '%s\n' "$token" >"$db.token"
    sqlite3 "$db" "BEGIN;
INSERT INTO services (name, family, address, port, protocol, scheduler, persistence_netmask, admin_state)
VALUES ('web', 'ipv4', '$HA_VIP', 80, 'tcp', 'rr', 32, 'enabled');
INSERT INTO reals (service_id, address, port, forwarding, weight, admin_state)
VALUES (1, '$(rs_ip 1)', 80, 'masq', 1, 'enabled'), (1, '$(rs_ip 2)', 80, 'masq', 1, 'enabled');
INSERT INTO vips (address, prefix, interface, description) VALUES
('$HA_VIP', 24, 'eth-cl', 'the service'), ('$HA_VIP6', 64, 'eth-cl', 'the service, IPv6'),
('$HA_GW', 24, 'eth-rs', 'the real servers'' gateway');
${HA_SQL:-}
UPDATE meta SET revision = revision + 1;
COMMIT;" || fail "seeding the database failed"
    [[ ${HA_SEED:-0} -gt 0 ]] || return 0
    # HA_SEED more services b0.. at 10.100.x.y:80, one masq real server each (rs1)
    sqlite3 "$db" "BEGIN;
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $HA_SEED - 1)
INSERT INTO services (name, family, address, port, protocol, scheduler, persistence_netmask, admin_state)
SELECT 'b' || i, 'ipv4', '10.100.' || (i / 250) || '.' || (i % 250 + 1), 80, 'tcp', 'wrr', 32, 'enabled' FROM s;
INSERT INTO reals (service_id, address, port, forwarding, weight, admin_state)
SELECT id, '$(rs_ip 1)', 80, 'masq', 1, 'enabled' FROM services WHERE name GLOB 'b*';
UPDATE meta SET revision = revision + 1;
COMMIT;" || fail "seeding $HA_SEED services failed"
}

ha_start() { # N [SETTING...]
    local n=$1 other=$((3 - $1)) dir=$HA_DIR/dir$1
    shift
    mkdir -p "$dir"
    [[ ${HA_KEEP_DB:-0} == 1 ]] || _ha_db "$n"
    {
        echo "node_name = dir$n"
        if [[ ${HA_STANDALONE:-0} != 1 ]]; then
            echo "ha_peer = 10.0.2.$other"
            echo "ha_bind = 10.0.2.$n"
            echo "ha_peer2 = 10.0.1.$other"
            echo "ha_bind2 = 10.0.1.$n"
            echo "ha_keyfile = $HA_DIR/authkeys"
            echo "ha_tiebreaker = ${HA_TIEBREAKER:-$HA_CLIENT}"
            echo "ha_sync_interface = eth-rs"
        fi
        echo "reconcile_interval = 5"
        printf '%s\n' "$@"
    } >"$dir/fulcrumd.conf"
    HA_LOG[$n]=$dir/fulcrumd.log
    printf -- '--- fulcrumd start %s\n' "$(date +%T.%3N)" >>"${HA_LOG[$n]}"
    bg_in_ns "dir$n" "${HA_LOG[$n]}" "$FULCRUM_TOP/fulcrumd" --foreground -c "$dir/fulcrumd.conf" \
        --db "$dir/fulcrum.db" --http 127.0.0.1:8080 --agentx "${HA_AGENTX:-}" --log-level "${HA_LOG_LEVEL:-info}"
    HA_PID[$n]=$BG_PID
    local started='failover engine started'
    [[ ${HA_STANDALONE:-0} == 1 ]] && started=' ha: standalone'
    # this run's line: the log keeps the earlier runs'
    # shellcheck disable=SC2016 # an awk program
    wait_for 20 awk -v rx="$started" '/^--- fulcrumd start/ { f = 0 } $0 ~ rx { f = 1 } END { exit !f }' "${HA_LOG[$n]}" || {
        tail -n 30 "${HA_LOG[$n]}"
        fail "dir$n's fulcrumd did not start its failover engine within 20 s"
    }
}

ha_kill() { # N [SIGNAL]
    local n=$1 pid=${HA_PID[$1]:-}
    [[ -n $pid ]] || return 0
    kill "-${2:-KILL}" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    HA_PID[$n]=""
}

# The role of the last "became ROLE" line of dirN's current run.
ha_role() {
    awk '/^--- fulcrumd start/ { role = "" } / ha: became / { sub(/.* ha: became /, ""); sub(/:.*/, ""); role = $0 }
         END { print role }' "${HA_LOG[$1]}"
}

ha_is() { [[ $(ha_role "$1") == "$2" ]]; } # N ROLE

# dirN's API (127.0.0.1:8080 in its namespace): GET PATH, the body on stdout.
ha_api() { # N PATH
    HA_TOKEN[$1]=${HA_TOKEN[$1]:-$(cat "$HA_DIR/dir$1/token")}
    in_ns "dir$1" curl -s --max-time 5 -H "Authorization: Bearer ${HA_TOKEN[$1]}" "http://127.0.0.1:8080/api/v1$2"
}

# POST JSON to dirN's API: the body, then "HTTP nnn" on a line of its own.
ha_post() { # N PATH JSON
    HA_TOKEN[$1]=${HA_TOKEN[$1]:-$(cat "$HA_DIR/dir$1/token")}
    in_ns "dir$1" curl -s --max-time 10 -H "Authorization: Bearer ${HA_TOKEN[$1]}" \
        -H 'Content-Type: application/json' -d "$3" -w '\nHTTP %{http_code}\n' "http://127.0.0.1:8080/api/v1$2"
}

# DELETE PATH of dirN's API: the body, then "HTTP nnn" on a line of its own.
ha_delete() { # N PATH
    HA_TOKEN[$1]=${HA_TOKEN[$1]:-$(cat "$HA_DIR/dir$1/token")}
    in_ns "dir$1" curl -s --max-time 10 -X DELETE -H "Authorization: Bearer ${HA_TOKEN[$1]}" \
        -w '\nHTTP %{http_code}\n' "http://127.0.0.1:8080/api/v1$2"
}

# A write to dirN's API: METHOD PATH with JSON; prints "HTTP nnn", "Retry-After: V" ("" when the answer has
# none), then the body on one line.
ha_write() { # N METHOD PATH JSON
    HA_TOKEN[$1]=${HA_TOKEN[$1]:-$(cat "$HA_DIR/dir$1/token")}
    in_ns "dir$1" curl -s --max-time 10 -X "$2" -H "Authorization: Bearer ${HA_TOKEN[$1]}" \
        -H 'Content-Type: application/json' -d "$4" -D "$HA_DIR/write.headers" -o "$HA_DIR/write.body" \
        -w 'HTTP %{http_code}\n' "http://127.0.0.1:8080/api/v1$3"
    printf 'Retry-After: %s\n' "$(tr -d '\r' <"$HA_DIR/write.headers" | sed -n 's/^[Rr]etry-[Aa]fter: //p')"
    cat "$HA_DIR/write.body"
    echo
}

# ha_write_refused LABEL N ACTIVE_RE METHOD PATH JSON: dirN refuses the write as a director that takes none
# (docs/ha.md): 503, Retry-After, the error naming the active, whose address matches ACTIVE_RE.
ha_write_refused() {
    local label=$1 n=$2 re=$3 out
    out=$(ha_write "$n" "$4" "$5" "$6")
    if python3 -c 'import json, re, sys
lines = sys.argv[1].split("\n", 2)
e = json.loads(lines[2])["error"]
role = sys.argv[3]
ok = (lines[0] == "HTTP 503" and lines[1] == "Retry-After: 1" and e["code"] == "unavailable"
      and re.fullmatch(sys.argv[2], e["active"] or "")
      and e["message"] == "this director is %s: writes go to the active, %s" % (role, e["active"]))
sys.exit(0 if ok else 1)' "$out" "$re" "$(ha_role "$n")"; then
        ok "$label: $(tr '\n' ' ' <<<"$out" | head -c 240)"
    else
        not_ok "$label" "$out"
    fi
}

# GET /cluster of dirN and print a Python expression of it, c being the JSON (one process each side).
ha_cluster() { # N EXPR
    ha_api "$1" /cluster | python3 -c 'import json, sys; c = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

ha_has_vip() { ip -n "dir$1" -o addr show | grep -q " ${2//./\\.}/"; } # N ADDR

# Heartbeat loss on dirN's egress, both paths: a prio qdisc with a fourth band that only a u32
# filter for UDP to port 694 reaches (the priomap never does), and netem on that band. One tc
# process for both links (tc -batch): the first call builds it, later ones read netem's drops
# and change the loss.
declare -A HA_NETEM=()
ha_hb_loss() { # N PCT
    local n=$1 pct=$2 dev out
    out=$(for dev in eth-cl eth-rs; do
        if [[ -z ${HA_NETEM[$n]:-} ]]; then
            echo "qdisc add dev $dev root handle 1: prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1"
            echo "qdisc add dev $dev parent 1:4 handle 40: netem loss $pct%"
            echo "filter add dev $dev parent 1: protocol ip prio 1 u32 match ip protocol 17 0xff match ip dport 694 0xffff flowid 1:4"
        else
            echo "qdisc show dev $dev"
            echo "qdisc change dev $dev parent 1:4 handle 40: netem loss $pct%"
        fi
    done | in_ns "dir$n" tc -s -batch -) || fail "tc on dir$n: heartbeat loss $pct%"
    HA_NETEM[$n]=1
    awk '/^qdisc netem/ { on = 1; next } /^qdisc/ { on = 0 }
        on && /dropped/ { sub(/.*dropped /, ""); sub(/,.*/, ""); n += $0 } END { print n + 0 }' <<<"$out"
}

# Replication's segments leaving dirN (TCP to port 7694, the active's repl_port) lost on the client
# side's link, where ha_peer is: heartbeats and everything else pass. A prio qdisc of its own, so not
# with ha_hb_loss on the same node.
ha_repl_cut() { # N
    printf '%s\n' "qdisc add dev eth-cl root handle 2: prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1" \
        "qdisc add dev eth-cl parent 2:4 handle 42: netem loss 100%" \
        "filter add dev eth-cl parent 2: protocol ip prio 1 u32 match ip protocol 6 0xff match ip dport 7694 0xffff flowid 2:4" |
        in_ns "dir$1" tc -batch - || fail "tc on dir$1: cutting replication"
}
ha_repl_heal() { in_ns "dir$1" tc qdisc del dev eth-cl root || fail "tc on dir$1: healing replication"; } # N

# The router stops answering dirN (both its addresses): its replies have no route.
ha_tb_cut() { printf 'route add blackhole 10.0.2.%s/32\nroute add blackhole 10.0.1.%s/32\n' "$1" "$1" | ip -n router -batch -; }
ha_tb_heal() { printf 'route del blackhole 10.0.2.%s/32\nroute del blackhole 10.0.1.%s/32\n' "$1" "$1" | ip -n router -batch -; }

# Address events of dirN with the kernel's timestamps, in $HA_DIR/addr-dirN.txt (ip -ts monitor).
ha_monitor() { # N
    bg_in_ns "dir$1" "$HA_DIR/addr-dir$1.txt" ip -ts monitor address
    HA_MON[$1]=$BG_PID
}
declare -A HA_MON=()

# Questions to the records, one python process each (tests/vm/lib/ha_report.py says which).
ha_report() { python3 "$FULCRUM_TOP/tests/vm/lib/ha_report.py" "$@"; }

ha_down() {
    local n
    for n in 1 2; do
        ha_kill "$n" TERM
        [[ -n ${HA_MON[$n]:-} ]] && kill "${HA_MON[$n]}" 2>/dev/null
    done
    topo_down
    for n in dir1 dir2 "${HA_EXTRA[@]}"; do
        ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del "$n" 2>/dev/null || true
    done
}
HA_EXTRA=()

# A client that connects to URL every 10 ms (100 ms timeout) and writes "ms ok|fail" per try.
HA_POLLER_PY='
import socket, sys, time
host, port, out = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "w", buffering=1)
while True:
    t0 = time.time()
    ok = "fail"
    try:
        s = socket.create_connection((host, port), timeout=0.1)
        s.settimeout(0.2)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        if s.recv(64).startswith(b"HTTP/1."):
            ok = "ok"
        s.close()
    except OSError:
        pass
    out.write("%d %s\n" % (int(t0 * 1000), ok))
    time.sleep(max(0, 0.01 - (time.time() - t0)))
'


# A client that downloads PATH from HOST:80 at RATE bytes/s at most (a small receive buffer, so the
# server cannot run ahead: the transfer lasts as long as the rate says), writing "ms bytes" to
# PROGRESS at most every 100 ms, then one line: "size N sha256 HEX gap MS at MS status LINE",
# gap being the longest time without a byte (and when it began).
HA_DOWNLOAD_PY='
import hashlib, socket, sys, time
host, path, rate, progress = sys.argv[1], sys.argv[2], int(sys.argv[3]), open(sys.argv[4], "w", buffering=1)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
s.settimeout(60)
s.connect((host, 80))
s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode())
head, body, h, in_body = b"", 0, hashlib.sha256(), False
t0 = last = time.time()
gap, gap_at, shown = 0.0, 0.0, 0.0
while True:
    try:
        chunk = s.recv(16384)
    except OSError as e:
        print("error %r" % e)
        break
    now = time.time()
    if not chunk:
        break
    if now - last > gap:
        gap, gap_at = now - last, last
    last = now
    if not in_body:
        head += chunk
        if b"\r\n\r\n" not in head:
            continue
        head, chunk = head.split(b"\r\n\r\n", 1)
        in_body = True
    body += len(chunk)
    h.update(chunk)
    if now - shown >= 0.1:
        progress.write("%d %d\n" % (now * 1000, body))
        shown = now
    ahead = body / rate - (now - t0)
    if ahead > 0:
        time.sleep(ahead)
progress.write("%d %d\n" % (time.time() * 1000, body))
print("size %d sha256 %s gap %d at %d status %s" % (body, h.hexdigest(), gap * 1000, gap_at * 1000,
      head.split(b"\r\n", 1)[0].decode(errors="replace").replace(" ", "_")))
'

# ---- what every failover scenario reads and prints -------------------------------------------
measure() { printf 'measure: %s\n' "$*"; }
line_of() { grep -E -- "$2" "${HA_LOG[$1]}" | tail -n 1 | cut -c25-; } # N REGEX: the line, without its time
at_of() { ha_report at "${HA_LOG[$1]}" "$2"; }                           # N REGEX: its Unix ms
client_url_ok() { in_ns client curl -s --max-time 2 "http://$HA_VIP/" | grep -q '^rs[12]$'; }
# Both directors' log lines matching REGEX, in time order, as a scenario's closing story.
ha_story() { # REGEX
    echo "# the story, both logs:"
    grep -hE -- "$1" "${HA_LOG[1]}" "${HA_LOG[2]}" | sort | cut -c12- | sed 's/^/#   /'
}
# On a failing command, the tail of both directors' logs (N lines, 40); `trap - ERR` ends it.
ha_logs_on_error() { # [N]
    # shellcheck disable=SC2064 # the line count is fixed now, on purpose
    trap "for n in 1 2; do echo \"--- dir\$n log (tail)\"; tail -n ${1:-40} \"\${HA_LOG[\$n]:-/dev/null}\"; done" ERR
}
