#!/bin/bash
# The ways in from what users run today, in a real kernel: Debian's keepalived sample imported
# and applied gives the IPVS table keepalived itself programs from the same file (run side by
# side in a namespace of its own) and carries traffic; Debian's ldirectord example applied
# through the API (replacing it, --prune) carries direct-routing traffic; a table made with
# ipvsadm is taken over with `import --from kernel` without touching it or an open connection.
# vm-timeout: 420
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/fulcrum.sh
. "$FULCRUM_TOP/tests/vm/lib/fulcrum.sh"

CTL=$FULCRUM_TOP/fulcrumctl
SAMPLES=/usr/share/doc/keepalived/samples
LDIR_EXAMPLE=/usr/share/doc/ldirectord/examples/ldirectord.cf
[[ -f $SAMPLES/keepalived.conf.sample && -f $LDIR_EXAMPLE ]] ||
    fail "Debian's keepalived samples and ldirectord example are missing (scripts/install-deps installs them)"
command -v keepalived >/dev/null || fail "keepalived is not installed (scripts/install-deps)"

topo_up 3
topo_lan_client
trap 'tail -n 40 "$FULCRUM_LOG"' ERR

# ipvs_table NS: the IPVS table as a sorted list, without the header and the connection counts:
# what a service and its real servers are (scheduler, persistence, forwarding, weight).
ipvs_table() {
    in_ns "$1" ipvsadm -Ln | awk 'NR > 3 { if ($1 == "->") print "  ->", $2, $3, $4; else print }' | sort
}

# --- 1. keepalived's sample, adapted to the rig: its addresses and port become the rig's, its
# checks ask for / (busybox httpd's page) instead of a JSP, and without the digest (an MD5 of a
# page that is not there; Fulcrum has no digest check and says so). Everything else is the file.
sed -e "s/10\.10\.10\.2 1358/$VIP 80/" -e "s/192\.168\.200\.2 1358/$(rs_ip 1) 80/" \
    -e "s/192\.168\.200\.200 1358/$(rs_ip 3) 80/" -e 's|path /testurl3/test.jsp|path /|' \
    -e '/digest /d' "$SAMPLES/keepalived.conf.sample" >"$SCENARIO_TMP/keepalived.conf"
log "keepalived.conf.sample, adapted:"
diff "$SAMPLES/keepalived.conf.sample" "$SCENARIO_TMP/keepalived.conf" || true

# keepalived, its checkers only (-C: no VRRP), in a director namespace of its own on the real
# servers' LAN: it programs that namespace's IPVS from the file.
_topo_ns kad
_topo_leg kad eth-rs br-rs v-kad-rs
ip -n kad addr add 10.0.1.2/24 dev eth-rs
bg_in_ns kad "$SCENARIO_TMP/keepalived.log" keepalived -C -n -l -f "$SCENARIO_TMP/keepalived.conf" \
    -p "$SCENARIO_TMP/keepalived.pid" -c "$SCENARIO_TMP/keepalived-checkers.pid"
KAD_PID=$BG_PID
wait_for 20 bash -c "ip netns exec kad ipvsadm -Ln | grep -q '$(rs_ip 1):80'" ||
    { cat "$SCENARIO_TMP/keepalived.log"; fail "keepalived did not program its IPVS within 20 s"; }

# Fulcrum: the same file imported and applied, before fulcrumd starts (the --db way)
mkdir -p "$FULCRUM_DIR"
FULCRUM_TOKEN=$("$CTL" --db "$FULCRUM_DB" token create scenario --role admin 2>/dev/null) ||
    fail "fulcrumctl token create failed"
"$CTL" --db "$FULCRUM_DB" import --from keepalived "$SCENARIO_TMP/keepalived.conf" \
    >"$SCENARIO_TMP/keepalived.xml" 2>"$SCENARIO_TMP/import.log" || { cat "$SCENARIO_TMP/import.log"; fail "import"; }
log "what the import says it could not map exactly:"
cat "$SCENARIO_TMP/import.log"
grep -q "keepalived.conf:15: 'virtual_router_id 50': ignored" "$SCENARIO_TMP/import.log" ||
    fail "the import did not say what it left out of the VRRP block"
"$CTL" --db "$FULCRUM_DB" apply "$SCENARIO_TMP/keepalived.xml" || fail "apply of the imported file"
FULCRUM_KEEP_DB=1 FULCRUM_CONF=$'reconcile_interval = 1\nha_standalone_vips = no' fulcrum_start
wait_for 10 kernel_has "$(rs_ip 1):80" || fail "fulcrumd did not program the imported service"
sleep 7 # keepalived's first checks (delay_loop 6) have run: what it holds is what it keeps
kad_table=$(ipvs_table kad)
ful_table=$(ipvs_table director)
log "keepalived's IPVS:"$'\n'"$kad_table"
log "fulcrumd's IPVS:"$'\n'"$ful_table"
assert_eq "$kad_table" "$ful_table" "the IPVS table Fulcrum made from keepalived's file, against keepalived's own"
got=$(answers 4 "http://$VIP/")
assert_eq "rs1=4" "$got" "traffic through the imported service (its one real server)"
kill "$KAD_PID" 2>/dev/null || true
wait "$KAD_PID" 2>/dev/null || true

# --- 2. ldirectord's example through the API, replacing everything (--prune): its virtual
# service and three gate (direct routing) real servers become the rig's; the check asks for
# index.html expecting "Test Page" (its request and receive lines), so the pages say so.
sed -e "s/192\.168\.6\.240:80/$VIP:80/" -e "s/192\.168\.6\.2:80/$(rs_ip 1):80/" \
    -e "s/192\.168\.6\.3:80/$(rs_ip 2):80/" -e "s/192\.168\.6\.6:80/$(rs_ip 3):80/" \
    "$LDIR_EXAMPLE" >"$SCENARIO_TMP/ldirectord.cf"
for i in 1 2 3; do
    rs_page "$i" "Test Page rs$i"
    rs_accept_dr "$i"
done
in_ns director "$CTL" --url "${API%/api/v1}" --token "$FULCRUM_TOKEN" import --from ldirectord \
    "$SCENARIO_TMP/ldirectord.cf" --apply --prune >"$SCENARIO_TMP/apply.out" 2>&1 ||
    { cat "$SCENARIO_TMP/apply.out"; fail "import --from ldirectord --apply"; }
cat "$SCENARIO_TMP/apply.out"
# both importers name a service after its key: the same service, changed field by field (its
# check, persistence, fallback; rs1 from masq to route), two real servers created, and the 3
# VIPs of keepalived's vrrp_instance, which the ldirectord file lacks, deleted (--prune)
grep -q "^~ service tcp-10.0.2.100-80 (id 1): persistence_timeout 50 -> 0" "$SCENARIO_TMP/apply.out" &&
    grep -q "^~ real tcp-10.0.2.100-80/10.0.1.11:80 (id 1): forwarding masq -> route" "$SCENARIO_TMP/apply.out" &&
    grep -q "^2 created, 2 changed, 3 deleted, 0 unchanged" "$SCENARIO_TMP/apply.out" ||
    fail "the ldirectord import did not turn the keepalived service into its own"
wait_for 10 kernel_has "$(rs_ip 3):80 +Route" || fail "the ldirectord service's real servers are not in IPVS"
in_ns director ipvsadm -Ln
# checks pass (receive "Test Page"): every real server serves; rr over three
service_up() { api GET /services && [[ $(jget "[s['status']['oper_state'] for s in d['services']]") == '["up"]' ]]; }
wait_for 20 service_up || fail "the ldirectord service did not come up: $(api_body)"
seen=""
for _ in 1 2 3 4 5 6; do seen+=$(in_ns lanclient curl -sS --max-time 3 "http://$VIP/")$'\n'; done
for i in 1 2 3; do
    grep -q "Test Page rs$i" <<<"$seen" || fail "rs$i never answered through the ldirectord service: $seen"
done
log "direct routing through the ldirectord example's service: every real server answered"
fulcrum_stop

# --- 3. a director moving to Fulcrum: a table made with ipvsadm, a connection open through it,
# taken over with `import --from kernel` and fulcrumd started on the result.
in_ns director ipvsadm -C
in_ns director ipvsadm -A -t "$VIP:9000" -s wlc -p 120
in_ns director ipvsadm -a -t "$VIP:9000" -r "$(rs_ip 1):9000" -m -w 3
in_ns director ipvsadm -a -t "$VIP:9000" -r "$(rs_ip 2):9000" -m -w 0 # quiesced: the connection goes to rs1
in_ns director ipvsadm -A -u "$VIP:53" -s rr -o
in_ns director ipvsadm -a -u "$VIP:53" -r "$(rs_ip 1):53" -m -w 2
in_ns director ipvsadm -A -f 7 -s sh -b sh-port
in_ns director ipvsadm -a -f 7 -r "$(rs_ip 3):0" -g -w 1
before=$(ipvs_table director)
# a long connection: rs1 listens on 9000 and writes what it gets; the client keeps its end open.
# Each nc reads a fifo this shell holds open (read-write, so opening blocks no one): a job started
# with & would read /dev/null, and nc ends its connection at the end of its input.
mkfifo "$SCENARIO_TMP/to-rs" "$SCENARIO_TMP/to-client"
exec 7<>"$SCENARIO_TMP/to-rs" 8<>"$SCENARIO_TMP/to-client"
ip netns exec rs1 busybox nc -l -p 9000 <"$SCENARIO_TMP/to-client" >"$SCENARIO_TMP/nc-rs1.out" 2>&1 &
NC_SRV=$!
wait_for 5 rs_listens 1 9000 || fail "rs1's nc does not listen on 9000"
ip netns exec client busybox nc "$VIP" 9000 <"$SCENARIO_TMP/to-rs" >"$SCENARIO_TMP/nc-client.log" 2>&1 &
NC_CLI=$!
echo "line before the import" >&7
wait_for 5 grep -q "line before the import" "$SCENARIO_TMP/nc-rs1.out" || fail "the long connection does not carry data"
conn_before=$(in_ns director ipvsadm -Lnc | awk '$5 ~ /:9000$/ && $3 == "ESTABLISHED" { print $4, $6 }')
[[ -n $conn_before ]] || fail "no established IPVS connection for the long connection"
rm -f "$FULCRUM_DB" "$FULCRUM_DB"-wal "$FULCRUM_DB"-shm
FULCRUM_TOKEN=$("$CTL" --db "$FULCRUM_DB" token create scenario --role admin 2>/dev/null)
in_ns director "$CTL" --db "$FULCRUM_DB" import --from kernel >"$SCENARIO_TMP/kernel.xml" 2>"$SCENARIO_TMP/kernel.log" ||
    { cat "$SCENARIO_TMP/kernel.log"; fail "import --from kernel"; }
cat "$SCENARIO_TMP/kernel.xml"
in_ns director "$CTL" --db "$FULCRUM_DB" import --from kernel --apply || fail "import --from kernel --apply"
FULCRUM_KEEP_DB=1 FULCRUM_CONF=$'reconcile_interval = 1\nha_standalone_vips = no' fulcrum_start
api_ok GET /services
assert_eq "fwmark-7 tcp-10.0.2.100-9000 udp-10.0.2.100-53" \
    "$(jget "' '.join(sorted(s['name'] for s in d['services']))")" "the services fulcrumd took over"
all_in_sync() { api GET /services && [[ $(jget "all(s['status']['kernel_state'] == 'in_sync' for s in d['services'])") == True ]]; }
wait_for 10 all_in_sync || fail "the taken-over services are not in_sync: $(api_body)"
sleep 3 # a few full passes (reconcile_interval 1): none may change the table
after=$(ipvs_table director)
assert_eq "$before" "$after" "the IPVS table after fulcrumd took it over (nothing re-made)"
started=$(grep -a "reconcile: started:" "$FULCRUM_LOG" | tail -n 1)
log "$started"
[[ $started == *"adopted or added with 0 writes"* ]] || fail "the first pass wrote to the kernel: $started"
awk '/^--- fulcrumd start/ { run = "" } { run = run $0 "\n" } END { printf "%s", run }' "$FULCRUM_LOG" |
    grep -q "repaired" && fail "a pass repaired something: $(grep -a repaired "$FULCRUM_LOG")"
echo "line after the import" >&7
wait_for 5 grep -q "line after the import" "$SCENARIO_TMP/nc-rs1.out" ||
    fail "the connection opened before the import no longer carries data"
conn_after=$(in_ns director ipvsadm -Lnc | awk '$5 ~ /:9000$/ && $3 == "ESTABLISHED" { print $4, $6 }')
assert_eq "$conn_before" "$conn_after" "the IPVS connection entry (client, real server) of the long connection"
exec 7>&- 8>&-
kill "$NC_CLI" "$NC_SRV" 2>/dev/null || true
fulcrum_stop
trap - ERR
log "PASS: keepalived's sample gives keepalived's own table and traffic; ldirectord's example carries DR traffic; an ipvsadm table and its open connection are taken over untouched"
