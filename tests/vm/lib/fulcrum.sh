# Guest-side helper: runs fulcrumd in the director namespace and drives it through its HTTP API.
# shellcheck shell=bash
#
# Source after topology.sh. Functions:
#   fulcrum_start [FLAG...]   fresh database (unless FULCRUM_KEEP_DB=1), admin token, fulcrumd on
#                             127.0.0.1:8080 in the director namespace; waits for the API.
#                             FULCRUM_CONF: lines for its config file ("reconcile_interval = 2")
#   fulcrum_stop              SIGTERM, waits, fails unless it exits 0
#   api METHOD PATH [JSON]    API_STATUS holds the HTTP status, api_body prints the body
#   api_ok METHOD PATH [JSON] the same, failing the scenario unless the status is 2xx
#   jget EXPR                 a value from the last body (EXPR indexes `d`, e.g. "d['id']")
#   answers N URL [ns]        N requests (new connection each) from the client (or ns); prints
#                             "rs1=X rs2=Y ..." counts of who answered
#   kernel_has SPEC           true when `ipvsadm -Ln` in the director has a line matching SPEC
#   fulcrum_seed N R          a fresh database (and admin token) holding N TCP services b0..b(N-1)
#                             (10.100.x.y:80, wrr, ids 1..N) with R masq real servers each
#                             (10.1.j.x:80, weight 1), written with sqlite3 in one transaction
#                             (seconds for 10,000 x 10, where the API takes minutes); start
#                             fulcrumd on it with FULCRUM_KEEP_DB=1
#   fulcrum_seed_ipvs N R     the same table into the director's IPVS with ipvsadm -R
#   seed_vip I                service bI's VIP (its real server j is 10.1.j.(I % 250 + 1):80)
# Variables: FULCRUM_DB FULCRUM_LOG FULCRUM_PID FULCRUM_TOKEN API

FULCRUM_DIR=${SCENARIO_TMP:-/tmp}/fulcrum
FULCRUM_DB=$FULCRUM_DIR/fulcrum.db
FULCRUM_LOG=$FULCRUM_DIR/fulcrumd.log
FULCRUM_PID=""
FULCRUM_TOKEN=""
API=http://127.0.0.1:8080/api/v1
API_STATUS=""
API_BODY=${SCENARIO_TMP:-/tmp}/api-body.json

fulcrum_start() {
    mkdir -p "$FULCRUM_DIR"
    if [[ ${FULCRUM_KEEP_DB:-0} != 1 ]]; then
        rm -f "$FULCRUM_DB" "$FULCRUM_DB"-wal "$FULCRUM_DB"-shm
        FULCRUM_TOKEN=$("$FULCRUM_TOP/fulcrumctl" --db "$FULCRUM_DB" token create scenario --role admin 2>/dev/null) ||
            fail "fulcrumctl token create failed"
    fi
    printf '%s\n' "${FULCRUM_CONF:-}" >"$FULCRUM_DIR/fulcrumd.conf"
    printf -- '--- fulcrumd start %s\n' "$(date +%T)" >>"$FULCRUM_LOG"
    bg_in_ns director "$FULCRUM_LOG" "$FULCRUM_TOP/fulcrumd" --foreground -c "$FULCRUM_DIR/fulcrumd.conf" \
        --db "$FULCRUM_DB" --http "${FULCRUM_HTTP:-127.0.0.1:8080}" --log-level info "$@"
    FULCRUM_PID=$BG_PID
    wait_for 20 in_ns director curl -sf --max-time 1 "$API/openapi.json" || {
        cat "$FULCRUM_LOG"
        fail "fulcrumd's API did not answer within 20 s"
    }
}

fulcrum_stop() {
    [[ -n $FULCRUM_PID ]] || return 0
    kill -TERM "$FULCRUM_PID"
    local rc=0
    wait "$FULCRUM_PID" || rc=$?
    FULCRUM_PID=""
    [[ $rc == 0 ]] || { tail -n 30 "$FULCRUM_LOG"; fail "fulcrumd exited with $rc after SIGTERM"; }
}

api() { # METHOD PATH [JSON]: body in $API_BODY (file) and on `api_body`, status in API_STATUS
    local method=$1 path=$2 body=${3:-}
    local args=(-s -g --noproxy '*' --max-time 10 -X "$method" -H "Authorization: Bearer $FULCRUM_TOKEN"
        -o "$API_BODY" -w '%{http_code}')
    [[ -z $body ]] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
    API_STATUS=$(in_ns director curl "${args[@]}" "$API$path") || fail "curl $method $path failed"
}

api_body() { cat "$API_BODY"; }

api_ok() { # METHOD PATH [JSON]: like api, failing the scenario unless 2xx
    api "$@"
    [[ $API_STATUS == 2?? ]] || fail "$1 $2: HTTP $API_STATUS: $(api_body)"
}

jget() { # EXPR [FILE]: a value from the last body (or FILE); EXPR indexes d
    python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); v=eval(sys.argv[1]); print(v if not isinstance(v,(dict,list)) else json.dumps(v))' "$1" "${2:-$API_BODY}"
}

answers() { # N URL [NS]: who answered N requests, each on a new connection
    local n=$1 url=$2 ns=${3:-client} urls=() i
    for ((i = 0; i < n; i++)); do urls+=("$url"); done
    in_ns "$ns" curl -s -g --noproxy '*' --max-time 120 -H 'Connection: close' "${urls[@]}" |
        sort | uniq -c | awk '{ printf "%s%s=%s", sep, $2, $1; sep=" " } END { print "" }'
}

kernel_has() { # REGEX: true when a line of ipvsadm -Ln in the director matches
    in_ns director ipvsadm -Ln | grep -Eq -- "$1"
}

seed_vip() { printf '10.100.%d.%d\n' $(($1 / 250)) $(($1 % 250 + 1)); } # I: service bI's VIP

fulcrum_seed() { # N R
    local n=$1 r=$2
    mkdir -p "$FULCRUM_DIR"
    rm -f "$FULCRUM_DB" "$FULCRUM_DB"-wal "$FULCRUM_DB"-shm
    FULCRUM_TOKEN=$("$FULCRUM_TOP/fulcrumctl" --db "$FULCRUM_DB" token create scenario --role admin 2>/dev/null) ||
        fail "fulcrumctl token create failed"
    sqlite3 "$FULCRUM_DB" "BEGIN;
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $n - 1)
INSERT INTO services (name, family, address, port, protocol, scheduler, persistence_netmask, admin_state)
SELECT 'b' || i, 'ipv4', '10.100.' || (i / 250) || '.' || (i % 250 + 1), 80, 'tcp', 'wrr', 32, 'enabled' FROM s;
WITH RECURSIVE j(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM j WHERE k < $r - 1)
INSERT INTO reals (service_id, address, port, forwarding, weight, admin_state)
SELECT s.id, '10.1.' || j.k || '.' || ((s.id - 1) % 250 + 1), 80, 'masq', 1, 'enabled'
FROM services s, j ORDER BY s.id, j.k;
UPDATE meta SET revision = revision + 1;
COMMIT;" || fail "seeding the database failed"
}

fulcrum_seed_ipvs() { # N R
    awk -v n="$1" -v r="$2" 'BEGIN {
        for (i = 0; i < n; i++) {
            v = sprintf("10.100.%d.%d:80", int(i / 250), i % 250 + 1)
            printf "-A -t %s -s wrr\n", v
            for (j = 0; j < r; j++)
                printf "-a -t %s -r 10.1.%d.%d:80 -m -w 1\n", v, j, i % 250 + 1
        }
    }' | in_ns director ipvsadm -R || fail "ipvsadm -R of the seeded table failed"
}
