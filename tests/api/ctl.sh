#!/usr/bin/env bash
# fulcrumctl over HTTP against a real fulcrumd, and with --db on its database: every command, its output, its exit status.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fulcrumd=$top/fulcrumd
ctl=$top/fulcrumctl
work=$(mktemp -d)
pid=
pair=() # the failover pair's fulcrumds (section 11)
cleanup() {
	local p
	for p in "$pid" "${pair[@]}"; do
		[[ -n $p ]] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0

ok() { echo "  ok   $1"; passed=$((passed + 1)); }
bad() {
	echo "  FAIL $1"
	shift
	for l in "$@"; do printf '       %s\n' "$l"; done
	failed=$((failed + 1))
}

# run COMMAND...: keeps stdout in $out, stderr in $err, the exit status in $rc
run() {
	out=$("$@" 2>"$work/stderr")
	rc=$?
	err=$(cat "$work/stderr")
}
# expect NAME RC [REGEX [REGEX_ON_STDERR]]: checks the last run
expect() {
	local name=$1 want=$2 re=${3:-} ere=${4:-}
	if [[ $rc != "$want" ]]; then
		bad "$name" "exit status $rc, expected $want" "stdout: $out" "stderr: $err"
	elif [[ -n $re ]] && ! grep -Eq -- "$re" <<<"$out"; then
		bad "$name" "stdout does not match /$re/:" "$out"
	elif [[ -n $ere ]] && ! grep -Eq -- "$ere" <<<"$err"; then
		bad "$name" "stderr does not match /$ere/:" "$err"
	else
		ok "$name"
	fi
}
# json EXPR: evaluates a Python expression on the last stdout parsed as JSON (j)
json() { python3 -c "import json,sys; j = json.load(sys.stdin); sys.exit(0 if ($1) else 1)" <<<"$out"; }
expect_json() {
	local name=$1 e=$2
	if [[ $rc == 0 ]] && json "$e"; then ok "$name"; else bad "$name" "exit $rc; not ($e):" "$out" "$err"; fi
}

# masked: stdin with what only fulcrumd knows masked, the same for HTTP and --db: the KERNEL
# column of a table row (a VIP's HELD), and the values of the status.* lines (its stats, when the
# kernel holds the object, as one line); the columns and keys stay, so that one missing is a
# difference
masked() {
	sed -E '/^[0-9]/ s/ (unknown|pending|in_sync|error|unavailable|yes|no)( +|$)/ <kernel> /' |
		awk '/^status\./ { k = $1; sub(/^status\.stats\..*/, "status.stats", k)
			if (!(k in seen)) print k, "<daemon>"; seen[k] = 1; next } { print }'
}
# json_masked: stdin's JSON, in its order, with each "status" object replaced by its member names
json_masked() {
	python3 -c '
import json, sys
def mask(v):
    if isinstance(v, dict):
        return {k: list(x) if k == "status" and isinstance(x, dict) else mask(x) for k, x in v.items()}
    return [mask(x) for x in v] if isinstance(v, list) else v
print(json.dumps(mask(json.load(sys.stdin)), indent=1))'
}
# same NAME ARG...: fulcrumctl ARG... over HTTP, then with --db on fulcrumd's own database: the
# same exit status, the same stderr, and the same stdout but for what masked hides
same() {
	local name=$1 h_out h_err h_rc mask=masked
	shift
	[[ $1 == --json ]] && mask=json_masked
	run "$ctl" "$@"
	h_out=$out h_err=$err h_rc=$rc
	run "$ctl" --db "$db" "$@"
	if [[ $rc != "$h_rc" ]]; then
		bad "$name" "exit status $h_rc over HTTP, $rc with --db" "HTTP: $h_err" "--db: $err"
	elif [[ $err != "$h_err" ]]; then
		bad "$name" "stderr differs" "HTTP: $h_err" "--db: $err"
	elif ! diff <($mask <<<"$h_out" 2>&1) <($mask <<<"$out" 2>&1) >"$work/diff"; then
		bad "$name" "stdout differs (< HTTP, > --db):" "$(cat "$work/diff")"
	elif [[ -z $h_out && -z $h_err ]]; then
		bad "$name" "nothing was printed"
	else
		ok "$name: the same over HTTP and with --db"
	fi
}

db=$work/fulcrum.db
admin=$("$ctl" --db "$db" token create ctl-admin --role admin 2>/dev/null)
viewer=$("$ctl" --db "$db" token create ctl-viewer --role viewer 2>/dev/null)
operator=$("$ctl" --db "$db" token create ctl-operator --role operator 2>/dev/null)
if [[ -z $admin || -z $viewer || -z $operator ]]; then
	bad "tokens created with fulcrumctl --db"
	echo "ctl: $passed passed, $failed failed"
	exit 1
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
# ha_standalone_vips no: the VIPs added below stay off this host's interfaces
echo "ha_standalone_vips = no" >"$work/fulcrumd.conf"
"$fulcrumd" --foreground -c "$work/fulcrumd.conf" --db "$db" --http "127.0.0.1:$port" >"$work/fulcrumd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	curl -fs -o /dev/null -H "Authorization: Bearer $admin" "$url/api/v1/status" && break
	sleep 0.1
done
if ! curl -fs -o /dev/null -H "Authorization: Bearer $admin" "$url/api/v1/status"; then
	bad "fulcrumd answers on $url" "$(tail -n 20 "$work/fulcrumd.log")"
	echo "ctl: $passed passed, $failed failed"
	exit 1
fi

# Every command below goes over HTTP: the URL and the token from the environment.
export FULCRUM_URL=$url FULCRUM_TOKEN=$admin HOME=$work/home
mkdir -p "$HOME"

# 1. Reading.
run "$ctl" status
expect "status" 0 'revision'
run "$ctl" --json status
expect_json "status --json is the API's JSON" 'isinstance(j, dict) and "revision" in json.dumps(j)'
run "$ctl" service list
expect "service list: a header and no rows" 0 '^ID +NAME +ADDRESS'
[[ $(wc -l <<<"$out") == 1 ]] || bad "service list: empty store lists nothing" "$out"

# 2. Services.
run "$ctl" service add web address=192.0.2.10 port=80 protocol=tcp scheduler=wrr
expect "service add" 0 '^service web created with id [0-9]+ \(revision [0-9]+\)$'
svc=$(sed -nE 's/.* with id ([0-9]+) .*/\1/p' <<<"$out")
run "$ctl" service add bad address=192.0.2.11 port=70000 protocol=tcp
expect "service add port=70000: refused, the API's message" 1 '' '^fulcrumctl: service port: .*70000'
run "$ctl" service add web address=192.0.2.12 port=80 protocol=tcp
expect "service add of a taken name: refused" 1 '' '^fulcrumctl: .*name'
run "$ctl" service add noaddr port=80 protocol=tcp
expect "service add without address: refused, names it" 1 '' '^fulcrumctl: service address'
run "$ctl" service list
expect "service list: the service, its state and kernel state" 0 "^$svc +web +192\.0\.2\.10:80 +tcp +wrr +enabled +[a-z_]+ +0 "
run "$ctl" service show web
expect "service show NAME" 0 '^name +web$'
run "$ctl" service show "$svc"
expect "service show ID" 0 '^scheduler +wrr$'
run "$ctl" --json service show web
expect_json "service show --json: the API's service and its reals" 'j["name"] == "web" and j["port"] == 80 and j["reals"] == []'
run "$ctl" service set web scheduler=sh scheduler_flags=fallback,port persistence_timeout=300 "description=front door"
expect "service set: several fields" 0 '^service web updated \(revision [0-9]+\)$'
run "$ctl" --json service show web
expect_json "service set: the API holds them" 'j["scheduler"] == "sh" and j["scheduler_flags"] == ["fallback", "port"] and j["persistence_timeout"] == 300 and j["description"] == "front door"'
run "$ctl" service set web one_packet=true
expect "service set one_packet on tcp: refused, names it" 1 '' '^fulcrumctl: service one_packet'
run "$ctl" service set web check.type=http check.path=/health check.interval=10 check.verify_tls=false \
	fallback.address=192.0.2.99 fallback.port=8080 min_up=1
expect "service set check.*, fallback.*, min_up" 0 '^service web updated'
run "$ctl" --json service show web
expect_json "service set check: the API holds them" 'j["check"]["type"] == "http" and j["check"]["path"] == "/health" and j["check"]["interval"] == 10 and j["check"]["verify_tls"] is False and j["check"]["timeout"] == 3 and j["fallback"] == {"address": "192.0.2.99", "port": 8080, "forwarding": "masq"} and j["min_up"] == 1'
run "$ctl" service show web
expect "service show: the check's fields, one a line" 0 '^check\.interval +10$'
run "$ctl" service set web 'check.expect_regex=(['
expect "service set check.expect_regex=([: refused, names it" 1 '' '^fulcrumctl: service check\.expect_regex: '
run "$ctl" service set web check.interval=0
expect "service set check.interval=0: refused" 1 '' '^fulcrumctl: service check\.interval: 0 is outside 1\.\.3600$'
run "$ctl" service set web fallback=none check.host=
expect "service set fallback=none" 0 'updated'
run "$ctl" --json service show web
expect_json "fallback removed, check kept" 'j["fallback"] is None and j["check"]["path"] == "/health"'
run "$ctl" service disable web
expect "service disable" 0 'updated'
run "$ctl" service show web
expect "service show: disabled" 0 '^admin_state +disabled$'
run "$ctl" service enable web
expect "service enable" 0 'updated'
run "$ctl" --json service add dns address=192.0.2.53 port=53 protocol=udp one_packet=yes
expect_json "service add --json: the API's new service" 'j["name"] == "dns" and j["one_packet"] is True and j["protocol"] == "udp"'

# 3. Real servers.
run "$ctl" real add web address=10.0.1.11 port=80 weight=3
expect "real add" 0 '^real server created with id [0-9]+ \(revision [0-9]+\)$'
rs1=$(sed -nE 's/.* with id ([0-9]+) .*/\1/p' <<<"$out")
run "$ctl" real add "$svc" address=10.0.1.12 port=80
expect "real add to a service by id" 0 'created'
rs2=$(sed -nE 's/.* with id ([0-9]+) .*/\1/p' <<<"$out")
run "$ctl" real add web address=10.0.1.13 port=80 weight=70000
expect "real add weight=70000: the API's message, exit 1" 1 '' '^fulcrumctl: real server weight: 70000 is outside 0\.\.65535$'
run "$ctl" real add web address=10.0.1.13 port=80 weight=heavy
expect "real add weight=heavy: refused, names weight" 1 '' '^fulcrumctl: real server weight'
run "$ctl" real add web address=2001:db8::1 port=80
expect "real add IPv6 to an IPv4 service: refused" 1 '' '^fulcrumctl: real server address'
run "$ctl" real add nosuch address=10.0.1.14 port=80
expect "real add to a missing service: refused" 1 '' "^fulcrumctl: no service 'nosuch'$"
run "$ctl" real list web
expect "real list SERVICE" 0 "^$rs1 +$svc +10\.0\.1\.11:80 +masq +3 +enabled"
[[ $(grep -c '^[0-9]' <<<"$out") == 2 ]] || bad "real list SERVICE: two rows" "$out"
run "$ctl" real list
expect "real list: every service's" 0 "^$rs2 +$svc +10\.0\.1\.12:80 +masq +1 +enabled"
run "$ctl" --json real list web
expect_json "real list --json" 'len(j["reals"]) == 2'
run "$ctl" real show "$rs1"
expect "real show" 0 '^weight +3$'
run "$ctl" real set "$rs1" weight=5 "description=rack a"
expect "real set" 0 "^real server $rs1 updated \(revision [0-9]+\)$"
run "$ctl" --json real show "$rs1"
expect_json "real set: the API holds it" 'j["weight"] == 5 and j["description"] == "rack a"'
run "$ctl" real set "$rs1" forwarding=tunnel tunnel_type=gue
expect "real set gue without a port: refused, names tunnel_port" 1 '' '^fulcrumctl: real server tunnel_port'
run "$ctl" real set "$rs1" check.interval=20 check.type=tcp
expect "real set check.*: overrides" 0 'updated'
run "$ctl" --json real show "$rs1"
expect_json "real show: only the overrides" 'j["check"] == {"type": "tcp", "interval": 20}'
run "$ctl" real set "$rs1" check.interval=
expect "real set check.interval=: removes that override" 0 'updated'
run "$ctl" --json real show "$rs1"
expect_json "real show: the other override stays" 'j["check"] == {"type": "tcp"}'
run "$ctl" real set "$rs1" check.path=/x
expect "real set check.path: refused, the service's" 1 '' "^fulcrumctl: real server check\.path: is the service's"
run "$ctl" real set "$rs1" check=
expect "real set check=: removes every override" 0 'updated'
run "$ctl" --json real show "$rs1"
expect_json "real show: no override" 'j["check"] == {}'
for verb in drain disable enable; do
	state=${verb}d
	[[ $verb == drain ]] && state=drained
	run "$ctl" real "$verb" "$rs1"
	expect "real $verb" 0 'updated'
	api=$(curl -s -H "Authorization: Bearer $admin" "$url/api/v1/reals/$rs1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["admin_state"])')
	if [[ $api == "$state" ]]; then ok "real $verb: the API says $state"; else bad "real $verb: the API says $state" "it says '$api'"; fi
done
run "$ctl" real show abc
expect "real show abc: refused" 1 '' "is not a positive integer"
run "$ctl" real show 99999
expect "real show of a missing one: refused (404)" 1 '' '^fulcrumctl: '

# 3b. VIPs.
run "$ctl" vip list
expect "vip list: a header and no rows" 0 '^ID +ADDRESS +INTERFACE +HELD +DESCRIPTION$'
[[ $(wc -l <<<"$out") == 1 ]] || bad "vip list: none lists nothing" "$out"
run "$ctl" vip add 192.0.2.10/24 interface=eth0 "description=masq gateway"
expect "vip add ADDRESS/PREFIX" 0 '^VIP 192\.0\.2\.10 created with id [0-9]+ \(revision [0-9]+\)$'
vip1=$(sed -nE 's/.* with id ([0-9]+) .*/\1/p' <<<"$out")
run "$ctl" vip add 2001:db8:0::10 interface=bond0.100
expect "vip add IPv6: its canonical form" 0 '^VIP 2001:db8::10 created with id'
vip2=$(sed -nE 's/.* with id ([0-9]+) .*/\1/p' <<<"$out")
run "$ctl" vip add 192.0.2.10 interface=eth1
expect "vip add of a taken address: refused, names who has it" 1 '' "^fulcrumctl: VIP address: 192\.0\.2\.10 is already VIP $vip1 \(on eth0\)$"
run "$ctl" vip add 192.0.2.11/33 interface=eth0
expect "vip add /33: refused" 1 '' '^fulcrumctl: VIP prefix: 33 is outside 1\.\.32 for IPv4$'
run "$ctl" vip add 192.0.2.11
expect "vip add without an interface: refused, names it" 1 '' '^fulcrumctl: VIP interface: required'
run "$ctl" vip add 127.0.0.1 interface=lo
expect "vip add of a loopback address: refused" 1 '' '^fulcrumctl: VIP address: 127\.0\.0\.1 is a loopback address'
run "$ctl" vip list
expect "vip list: address/prefix, interface, not held" 0 "^$vip1 +192\.0\.2\.10/24 +eth0 +no +masq gateway$"
expect "vip list: an IPv6 VIP's whole prefix" 0 "^$vip2 +2001:db8::10/128 +bond0\.100 +no"
run "$ctl" vip show 192.0.2.10
expect "vip show ADDRESS" 0 '^interface +eth0$'
run "$ctl" vip show 2001:0db8::10
expect "vip show: the address in another spelling" 0 "^id +$vip2$"
run "$ctl" vip show "$vip1"
expect "vip show ID: not held, and why" 0 '^status\.reason +standalone with ha_standalone_vips = no'
run "$ctl" vip set "$vip2" prefix=64 interface=eth1
expect "vip set" 0 "^VIP $vip2 updated \(revision [0-9]+\)$"
run "$ctl" --json vip show "$vip2"
expect_json "vip set: the API holds it" 'j["prefix"] == 64 and j["interface"] == "eth1" and j["status"]["held"] is False'
run "$ctl" vip set "$vip2" interface=eth/1
expect "vip set interface=eth/1: refused, names it" 1 '' "^fulcrumctl: VIP interface: 'eth/1' may hold only"
run "$ctl" vip show 192.0.2.99
expect "vip show of no VIP: refused" 1 '' "^fulcrumctl: no VIP '192\.0\.2\.99'$"
run "$ctl" vip show eth0
expect "vip show of neither an id nor an address: refused" 1 '' "is neither an id nor an IPv4 or IPv6 address"
run "$ctl" vip frob
expect "vip frob: usage" 2 '' '^Usage:'
FULCRUM_TOKEN=$viewer run "$ctl" vip list
expect "viewer: vip list" 0 '192\.0\.2\.10/24'
FULCRUM_TOKEN=$operator run "$ctl" vip set "$vip1" prefix=25
expect "operator: vip set refused (403), VIPs are an admin's" 1 '' '^fulcrumctl: '

# 4. Roles: what a viewer and an operator may do.
FULCRUM_TOKEN=$viewer run "$ctl" real list
expect "viewer: reads" 0 '10\.0\.1\.11'
FULCRUM_TOKEN=$viewer run "$ctl" real drain "$rs2"
expect "viewer: drain refused (403)" 1 '' '^fulcrumctl: '
FULCRUM_TOKEN=$operator run "$ctl" real drain "$rs2"
expect "operator: drain" 0 'updated'
FULCRUM_TOKEN=$operator run "$ctl" service delete web
expect "operator: delete refused (403)" 1 '' '^fulcrumctl: '

# 5. Changes: the log, with who made each change.
run "$ctl" changes
expect "changes: the log, actor and origin http" 0 '^[0-9]+ +[0-9T:-]+Z +ctl-admin +http +service [0-9]+ +created$'
rev=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $admin" "$url/api/v1/services" | sed -nE 's/^[Ee][Tt][Aa][Gg]: *"?([0-9]+).*/\1/p')
run "$ctl" changes "$((rev - 1))"
expect "changes SINCE: only the last one" 0 "^$rev "
[[ $(grep -c '^[0-9]' <<<"$out") == 1 ]] || bad "changes SINCE: one row" "$out"
if grep -q 'ctl-operator' <<<"$out"; then ok "changes: the operator's drain is recorded as theirs"; else bad "changes: operator named" "$out"; fi
run "$ctl" --json changes
expect_json "changes --json" 'len(j["changes"] if isinstance(j, dict) else j) >= 10'
run "$ctl" changes soon
expect "changes soon: usage" 2

# 6. One set of commands: with --db on fulcrumd's database, each prints what it prints over HTTP.
run "$ctl" service add mark fwmark=7 family=ipv6 scheduler=sh scheduler_flags=port
expect "service add: a firewall-mark service" 0 'created'
run "$ctl" real add mark address=2001:db8::7 port=0 forwarding=tunnel tunnel_type=ipip
expect "real add: a tunnelled IPv6 real server" 0 'created'
same "service list" service list
same "service list --json" --json service list
same "real list" real list
same "real list SERVICE" real list web
same "real list --json" --json real list
same "service show NAME" service show web
same "service show ID (firewall mark)" service show mark
same "service show --json" --json service show web
same "real show" real show "$rs1"
same "real show --json" --json real show "$rs1"
same "changes" changes
same "changes SINCE" changes 5
same "changes --json" --json changes
same "real set that changes nothing: the same line and revision" real set "$rs1" weight=5
same "real set --json that changes nothing" --json real set "$rs1" "description=rack a"
same "service enable of an enabled one" service enable web
same "refused: a value out of range" real add web address=10.0.1.13 port=80 weight=70000
same "refused: a value of the wrong type" real add web address=10.0.1.13 port=80 weight=heavy
same "refused: a check field only services have" real set "$rs1" check.path=/x
same "refused: a rule across fields" service set web one_packet=true
same "refused: a taken name" service add web address=192.0.2.12 port=80 protocol=tcp
same "refused: no such real server" real show 99999
same "refused: no such service" service show nosuch
same "refused: not FIELD=VALUE" service set web weight
same "usage: changes soon" changes soon
same "vip list" vip list
same "vip list --json" --json vip list
same "vip show ADDRESS" vip show 192.0.2.10
same "vip show --json" --json vip show "$vip1"
same "vip set that changes nothing: the same line and revision" vip set "$vip1" prefix=24
same "refused: a taken VIP address" vip add 192.0.2.10 interface=eth1
same "refused: a VIP prefix out of range" vip add 192.0.2.11/33 interface=eth0
same "refused: an unknown VIP field" vip set "$vip1" weight=3
same "refused: no such VIP" vip show 99999
same "usage: vip frob" vip frob
run "$ctl" --db "$db" vip list
expect "--db vip list: the HELD column says it does not know" 0 "^$vip1 +192\.0\.2\.10/24 +eth0 +unknown +masq gateway$"
run "$ctl" --db "$db" vip show "$vip1"
expect "--db vip show: status.held too" 0 '^status\.held +-$'
run "$ctl" --db "$db" service list
expect "--db service list: the KERNEL column says it does not know" 0 "^$svc +web +.* enabled +unknown +2 "
run "$ctl" --db "$db" service show web
expect "--db service show: the status lines say so too" 0 '^status\.kernel_state +unknown$'
run "$ctl" --db "$db" real show "$rs1"
expect "--db real show: and the health" 0 '^status\.health\.state +unknown$'
run "$ctl" status
keys=$(awk '{ print $1 }' <<<"$out")
run "$ctl" --db "$db" status
missing=$(comm -23 <(sort <<<"$keys") <(awk '{ print $1 }' <<<"$out" | sort))
if [[ $rc == 0 && -z $missing ]]; then ok "--db status: every line of the daemon's status"; else bad "--db status: every line of the daemon's status" "missing: $missing" "$out"; fi
run "$ctl" service delete mark
expect "service delete: the firewall-mark service" 0 'deleted'

# 7. Deleting.
run "$ctl" real delete "$rs2"
expect "real delete" 0 "^real server $rs2 deleted"
run "$ctl" real show "$rs2"
expect "real show after delete: refused" 1
run "$ctl" service delete web
expect "service delete" 0 '^service web deleted'
run "$ctl" service show web
expect "service show after delete: refused" 1 '' "^fulcrumctl: no service 'web'$"
run "$ctl" real show "$rs1"
expect "its real servers went with it" 1

run "$ctl" changes
expect "changes: VIP rows, by kind vip" 0 "^[0-9]+ +[0-9T:-]+Z +ctl-admin +http +vip $vip2 +updated$"
run "$ctl" vip delete 2001:db8::10
expect "vip delete ADDRESS" 0 "^VIP $vip2 deleted \(revision [0-9]+\)$"
run "$ctl" vip delete "$vip1"
expect "vip delete ID" 0 "^VIP $vip1 deleted"
run "$ctl" vip show "$vip1"
expect "vip show after delete: refused" 1 '' "^fulcrumctl: VIP $vip1 does not exist$"
run "$ctl" vip add 192.0.2.10 interface=eth0
expect "vip add again: a new id, never the old one" 0 "created with id $((vip2 + 1)) "

# 8. The token: --token, FULCRUM_TOKEN, or ~/.config/fulcrum/token at mode 0600.
FULCRUM_TOKEN=ful_wrong run "$ctl" service list
expect "a wrong token: refused (401), exit 1" 1 '' '^fulcrumctl: '
run env -u FULCRUM_TOKEN "$ctl" --token "$viewer" service list
expect "--token" 0 '^ID'
run env -u FULCRUM_TOKEN "$ctl" service list
expect "no token anywhere: usage, says where to put one" 2 '' 'no API token.*FULCRUM_TOKEN'
mkdir -p "$HOME/.config/fulcrum"
echo "$viewer" >"$HOME/.config/fulcrum/token"
chmod 644 "$HOME/.config/fulcrum/token"
run env -u FULCRUM_TOKEN "$ctl" service list
expect "token file of mode 0644: refused, says so" 1 '' 'token file .* is mode 0644.*refused.*0600'
chmod 600 "$HOME/.config/fulcrum/token"
run env -u FULCRUM_TOKEN "$ctl" service list
expect "token file of mode 0600: used" 0 '^ID'

# 9. Where the API is, and when it is not there.
run env -u FULCRUM_URL "$ctl" --url "$url/" status
expect "--url (a trailing slash is fine)" 0 'revision'
run "$ctl" --url http://127.0.0.1:1 service list
expect "no server: exit 3, says why" 3 '' '^fulcrumctl: http://127\.0\.0\.1:1: .*'
run "$ctl" --url ftp://x service list
expect "--url that is not http: usage" 2 '' 'not an http'
run "$ctl" service frob
expect "unknown command: usage" 2 '' '^Usage:'
run "$ctl" token list
expect "token commands need --db" 2 '' 'give --db PATH'

# 10. Local mode on a database of its own.
run "$ctl" --db "$work/local.db" service add loc address=192.0.2.20 port=80 protocol=tcp
expect "--db: works on the database" 0 'created'
run "$ctl" --db "$work/local.db" changes
expect "--db: origin cli" 0 ' cli +service'
run "$ctl" --db "$work/local.db" service set loc check.type=tcp check.interval=7 fallback.address=192.0.2.21 fallback.port=80
expect "--db: check and fallback fields" 0 'updated'
run "$ctl" --db "$work/local.db" --json service show loc
expect_json "--db: they are stored" 'j["check"]["type"] == "tcp" and j["check"]["interval"] == 7 and j["fallback"]["port"] == 80'
run "$ctl" --db "$work/local.db" service set loc check.timeout=8
expect "--db: a timeout longer than the interval: refused" 1 '' 'check\.timeout'
run "$ctl" --db "$work/local.db" vip add 192.0.2.20/28 interface=eth0
expect "--db: vip add" 0 '^VIP 192\.0\.2\.20 created with id 1 \(revision [0-9]+\)$'
run "$ctl" --db "$work/local.db" changes
expect "--db: vip rows, origin cli" 0 ' cli +vip 1 +created$'
run "$ctl" --db "$work/local.db" vip add 192.0.2.21 interface=.
expect "--db: vip interface '.': refused" 1 '' "^fulcrumctl: VIP interface: '\.' is not an interface name$"

# 10b. A standby's database: the newest row of its role history says its fulcrumd was last standby.
role_row() { # DB ROLE: the row fulcrumd writes at a role change
	python3 -c 'import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO role_history (at, role, previous, term, reason, peer) VALUES (?, ?, ?, 1, ?, ?)",
           (int(time.time() * 1000), sys.argv[2], "starting", "the ctl test says so", "peer"))
db.commit()' "$@"
}
sdb=$work/standby.db
run "$ctl" --db "$sdb" service add sb address=192.0.2.30 port=80 protocol=tcp
expect "--db: a database without role history takes writes" 0 'created'
role_row "$sdb" standby
rev_of() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT revision FROM meta").fetchone()[0])' "$1"; }
rev0=$(rev_of "$sdb")
standby_re="^fulcrumctl: this database is a standby's: its fulcrumd was last standby \(the role history's newest row\), and writes go to the active director; --force writes here all the same$"
run "$ctl" --db "$sdb" service set sb description=x
expect "--db on a standby's database: service set refused, exit 1, names the reason and --force" 1 '' "$standby_re"
run "$ctl" --db "$sdb" service add sb2 address=192.0.2.31 port=80 protocol=tcp
expect "--db on a standby's database: service add refused" 1 '' "$standby_re"
run "$ctl" --db "$sdb" vip add 192.0.2.31 interface=eth0
expect "--db on a standby's database: vip add refused" 1 '' "$standby_re"
run "$ctl" --db "$sdb" service delete sb
expect "--db on a standby's database: service delete refused" 1 '' "$standby_re"
run "$ctl" --db "$sdb" token create t1 --role viewer
expect "--db on a standby's database: token create refused" 1 '' "$standby_re"
if [[ $(rev_of "$sdb") == "$rev0" ]]; then
	ok "--db on a standby's database: the revision did not move"
else
	bad "--db on a standby's database: the revision moved" "$rev0 -> $(rev_of "$sdb")"
fi
run "$ctl" --db "$sdb" service show sb
expect "--db on a standby's database: reads work" 0 '^name +sb$'
run "$ctl" --db "$sdb" changes
expect "--db on a standby's database: the change log reads" 0 ' cli +service'
run "$ctl" --db "$sdb" --force service set sb description=forced
expect "--db --force on a standby's database: written" 0 'updated'
run "$ctl" --db "$sdb" --json service show sb
expect_json "--db --force: the change is stored" 'j["description"] == "forced"'
run "$ctl" --force service list
expect "--force without --db: usage, exit 2" 2 '' '^fulcrumctl: --force is for --db'
role_row "$sdb" starting
run "$ctl" --db "$sdb" service set sb description=y
expect "--db on a starting node's database: refused" 1 '' 'its fulcrumd was last starting'
role_row "$sdb" active
run "$ctl" --db "$sdb" service set sb description=y
expect "--db on an active's database: written" 0 'updated'
role_row "$sdb" fault
run "$ctl" --db "$sdb" service set sb description=z
expect "--db on a database last in fault: written (docs/ha.md)" 0 'updated'
run "$ctl" --help
expect "--help names --force" 0 '--force +with --db: write even when the database is a standby'"'"'s'

# 11. Failover: the standalone fulcrumd above, then a pair on loopback (both in fault: no IPVS here).
run "$ctl" cluster status
expect "cluster status: standalone" 0 '^role +standalone \(no ha_peer'
if grep -Eq '^replication +off \(standalone: nothing to replicate\)$' <<<"$out"; then
	ok "cluster status: standalone: replication off"
else
	bad "cluster status: standalone: replication off" "$out"
fi
run "$ctl" --json cluster status
expect_json "cluster status --json: the API's" 'j["enabled"] is False and j["role"] == "standalone" and j["peer"] is None'
run "$ctl" cluster switchover
expect "cluster switchover on a standalone node: refused, says why" 1 '' '^fulcrumctl: this node is standalone'
run "$ctl" cluster maintenance on
expect "cluster maintenance on a standalone node: refused" 1 '' 'standalone'
run env FULCRUM_TOKEN="$viewer" "$ctl" cluster maintenance on
expect "cluster maintenance as a viewer: refused (403)" 1 '' 'needs operator'
run "$ctl" cluster maintenance maybe
expect "cluster maintenance maybe: usage" 2 '' '^Usage:'
run "$ctl" cluster switchover now
expect "cluster switchover now: usage" 2 '' '^Usage:'
run "$ctl" cluster
expect "cluster alone: usage" 2 '' '^Usage:'
run "$ctl" --db "$db" cluster status
expect "--db cluster status: the live state needs the daemon" 0 '^live state +unknown with --db'
if [[ $out == *"role history, newest first"* ]]; then
	ok "--db cluster status: the role history"
else
	bad "--db cluster status: the role history" "$out"
fi
run "$ctl" --db "$db" cluster switchover --force
expect "--db cluster switchover: refused, exit 2" 2 '' 'running fulcrumd'
run "$ctl" --db "$db" cluster maintenance on
expect "--db cluster maintenance: refused, exit 2" 2 '' 'running fulcrumd'

udp_ports() { python3 -c 'import socket; s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]; [x.bind(("127.0.0.1", 0)) for x in s]; print(" ".join(str(x.getsockname()[1]) for x in s))'; }
(umask 077 && printf 'auth 1\n1 hmac-sha256 a-test-secret-of-enough-length\n' >"$work/authkeys")
read -r ha_a ha_b <<<"$(udp_ports)" # the heartbeats: distinct, as the TCP ports below
# N distinct free TCP ports: each held until all are picked (one at a time, the kernel may give
# the same port twice: a replication port once equalled the other node's HTTP port)
tcp_ports() { python3 -c 'import socket, sys; s = [socket.socket() for _ in range(int(sys.argv[1]))]; [x.bind(("127.0.0.1", 0)) for x in s]; print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"; }
read -r repl_a repl_b http_a http_b <<<"$(tcp_ports 4)" # replication and HTTP: one port each
declare -A http_of=([a]=$http_a [b]=$http_b)
for n in a b; do
	me=$ha_a peer=$ha_b repl=$repl_a repl_peer=$repl_b
	[[ $n == b ]] && me=$ha_b peer=$ha_a repl=$repl_b repl_peer=$repl_a
	printf 'node_name = ctl-%s\nha_standalone_vips = no\nha_peer = 127.0.0.1:%s\nha_bind = 127.0.0.1\nha_port = %s\nha_keyfile = %s\nha_realtime = no\nrepl_port = %s\nrepl_peer_port = %s\n' \
		"$n" "$peer" "$me" "$work/authkeys" "$repl" "$repl_peer" >"$work/ha-$n.conf"
	"$ctl" --db "$work/ha-$n.db" token create admin --role admin >"$work/ha-$n.token" 2>/dev/null
	"$fulcrumd" --foreground -c "$work/ha-$n.conf" --db "$work/ha-$n.db" --http "127.0.0.1:${http_of[$n]}" \
		>"$work/ha-$n.log" 2>&1 &
	pair+=($!)
done
ha_url=http://127.0.0.1:${http_of[a]}
ha_token=$(cat "$work/ha-a.token")
# both nodes out of starting, each heard by the other, replication told so (the daemon tells it each second)
in_fault() {
	FULCRUM_URL=$ha_url FULCRUM_TOKEN=$ha_token "$ctl" --json cluster status 2>/dev/null |
		python3 -c 'import json, sys; j = json.load(sys.stdin); sys.exit(0 if j["role"] == "fault" and j["peer"]["state"] == "alive" and j["peer"]["role"] == "fault" and j["replication"]["error"] == "the peer is fault, not active" else 1)'
}
for _ in $(seq 100); do in_fault && break; sleep 0.1; done
export FULCRUM_URL=$ha_url FULCRUM_TOKEN=$ha_token
run "$ctl" cluster status
expect "pair: cluster status says the role, why, and the peer" 0 '^role +fault since .* UTC, term 0$'
for re in '^why +initdead over, this node cannot serve' '^health +IPVS unusable' '^peer +ctl-b alive: fault, term 0, at 127\.0\.0\.1:[0-9]+$' \
	'^heartbeats +sent [0-9]+ \(0 step-downs, 0 send errors\), accepted [1-9][0-9]*$' '^dropped +none$' \
	'^[0-9-]+ [0-9:]+ UTC +fault +starting +0 +initdead over' \
	'^replication +waiting since [0-9-]+ [0-9:]+ UTC, standby side, commit mode sync, peer -$' \
	'^revisions +this node [0-9]+, peer 0, lag 0 revisions \(0 ms\)$' \
	'^repl reason +the peer is fault, not active$' '^digest +not compared since fulcrumd started$' \
	'^repl counts +0 sent, 0 applied, snapshots 0 sent 0 taken, 0 connects, 0 refusals, 0 divergences$'; do
	if grep -Eq -- "$re" <<<"$out"; then
		ok "pair: cluster status shows /$re/"
	else
		bad "pair: cluster status shows /$re/" "$out"
	fi
done
run "$ctl" cluster switchover
expect "pair: switchover on a node in fault: refused with the engine's reason, exit 1" 1 '' \
	'^fulcrumctl: switchover refused: this node is fault, ask the active node$'
run "$ctl" cluster switchover --force
expect "pair: switchover --force: refused all the same (not active)" 1 '' 'ask the active node'
run "$ctl" cluster maintenance on
expect "pair: maintenance on" 0 '^maintenance: maintenance on; this node is fault \(in maintenance\), its peer alive$'
run "$ctl" --json cluster status
expect_json "pair: --json cluster status says maintenance" 'j["maintenance"] is True and "maintenance" in j["flags"]'
run "$ctl" --json cluster maintenance off
expect_json "pair: --json maintenance off: the API's answer" 'j["result"] == "maintenance" and j["reason"] == "maintenance off" and j["cluster"]["maintenance"] is False'
unset FULCRUM_URL FULCRUM_TOKEN
run "$ctl" --db "$work/ha-a.db" cluster status
expect "pair: --db cluster status lists the role history" 0 ' UTC +fault +starting +0 +initdead over'
for p in "${pair[@]}"; do
	if kill "$p" 2>/dev/null && wait "$p"; then
		ok "pair: a fulcrumd of the pair stops on SIGTERM with status 0"
	else
		bad "pair: a fulcrumd of the pair stops on SIGTERM with status 0" "$(tail -n 5 "$work"/ha-*.log)"
	fi
done
pair=()

if ! kill -0 "$pid" 2>/dev/null; then
	bad "fulcrumd still runs" "$(tail -n 20 "$work/fulcrumd.log")"
fi
echo "ctl: $passed passed, $failed failed"
[[ $failed == 0 ]]
