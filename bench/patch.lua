-- bench/api.sh's write load for wrk: PATCH one real server's weight, a new weight each request.
-- BENCH_TOKEN: a bearer token (operator or admin); BENCH_REAL_ID: the real server's id.
local token = os.getenv("BENCH_TOKEN")
local id = os.getenv("BENCH_REAL_ID") or "1"
local n = 0

if not token or token == "" then
	error("patch.lua: set BENCH_TOKEN to an API token")
end

wrk.method = "PATCH"
wrk.path = "/api/v1/reals/" .. id
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"

-- Consecutive requests never repeat a weight, even reordered across connections: each one commits.
function request()
	n = n + 1
	return wrk.format(nil, nil, nil, string.format('{"weight":%d}', n % 65535 + 1))
end
