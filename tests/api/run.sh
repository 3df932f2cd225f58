#!/usr/bin/env bash
# The HTTP API against a real fulcrumd on loopback (builds nothing); the last line is "api: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
for f in fulcrumd fulcrumctl; do
	if [[ ! -x $top/$f ]]; then
		echo "$top/$f is not built (make)"
		echo "api: 0 passed, 1 failed"
		exit 1
	fi
done
py=/usr/bin/python3 # Debian's, stdlib only
[[ -x $py ]] || py=python3
PYTHONDONTWRITEBYTECODE=1 FULCRUM_TOP=$top exec "$py" "$here/test_api.py"
