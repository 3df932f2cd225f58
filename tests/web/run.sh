#!/usr/bin/env bash
# The web page in Debian's Chromium, clicked through against a real fulcrumd on a scratch database.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "  FAIL $1"
	[[ -s $work/fulcrumd.log ]] && sed 's/^/       /' "$work/fulcrumd.log" | tail -n 20
	echo "web: 0 passed, 1 failed"
	exit 1
}

cd "$here" || exit 1
if [[ ! -d node_modules/playwright-core ]]; then
	npm ci --silent --no-audit --no-fund --loglevel=error >"$work/npm.log" 2>&1 ||
		fail "npm ci: $(tail -n 5 "$work/npm.log")"
fi
[[ -x /usr/bin/chromium ]] || fail "/usr/bin/chromium is missing (apt-get install chromium)"

# A free loopback port: the kernel picks one, then it is released for fulcrumd.
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
db=$work/fulcrum.db
# ha_standalone_vips no: VIPs the page creates stay off this host's interfaces
printf 'db = %s\nweb_root = %s\nha_standalone_vips = no\n' "$db" "$top/web/static" >"$work/fulcrumd.conf"

# The token first: fulcrumctl creates and migrates the database, fulcrumd then finds the token.
token=$("$top/fulcrumctl" --db "$db" token create web-test --role admin 2>"$work/token.err") ||
	fail "fulcrumctl token create: $(cat "$work/token.err")"

"$top/fulcrumd" --foreground -c "$work/fulcrumd.conf" --http "127.0.0.1:$port" \
	--log-level info >"$work/fulcrumd.log" 2>&1 &
pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 100); do
	curl -fs -o /dev/null -H "Authorization: Bearer $token" "$url/api/v1/status" && break
	kill -0 "$pid" 2>/dev/null || fail "fulcrumd stopped at start"
	sleep 0.1
done
curl -fs -o /dev/null "$url/" || fail "fulcrumd does not serve the page at $url/"

# The test starts a second fulcrumd itself, a node of a pair, in $work (FULCRUM_TOP, WORK).
FULCRUM_URL=$url FULCRUM_TOKEN=$token ARTIFACTS=$here/artifacts FULCRUM_TOP=$top WORK=$work \
	node "$here/page.test.mjs" 2>&1 | tee "$work/out"
rc=${PIPESTATUS[0]}
summary=$(grep '^web: ' "$work/out" | tail -n 1)
if [[ $rc != 0 ]]; then
	echo "  fulcrumd's log (last lines):"
	tail -n 20 "$work/fulcrumd.log" | sed 's/^/       /'
	echo "${summary:-web: 0 passed, 1 failed}" # the summary stays the last line
fi
exit "$rc"
