#!/usr/bin/env bash
# The SNMP tests against a real snmpd on loopback (builds nothing): tests/snmp/run.sh [harness|agent|ha]...
# Runs harness.sh (the rig alone), agent.sh (fulcrumd's subagent) and ha.sh (a failover pair on loopback)
# by default; each prints TAP-like lines and its own total. The last line is "snmp: N passed, N failed, N skipped"; the status is 0 only when
# every script passed. SNMP_KEEP=1 keeps each run's temp folder; FULCRUM_IETF_MIBS=DIR skips fetching
# the IETF MIB modules.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

missing=
for t in snmpd snmptrapd snmpget snmpset snmpgetnext snmpwalk snmpbulkwalk snmptable snmptranslate snmptrap \
	curl python3; do
	command -v "$t" >/dev/null || missing+=" $t"
done
if [[ -n $missing ]]; then
	echo "missing:$missing (Debian: snmpd snmptrapd snmp curl python3)"
	echo "snmp: 0 passed, 1 failed, 0 skipped"
	exit 1
fi

names=("$@")
((${#names[@]})) || names=(harness agent ha)
passed=0 failed=0 skipped=0 status=0
for n in "${names[@]}"; do
	if [[ ! -f $here/$n.sh ]]; then
		echo "no test $here/$n.sh"
		failed=$((failed + 1))
		status=1
		continue
	fi
	echo "# ==== $n"
	out=$(mktemp)
	bash "$here/$n.sh" | tee "$out"
	rc=${PIPESTATUS[0]}
	last=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
	rm -f "$out"
	if [[ $last =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		skipped=$((skipped + ${BASH_REMATCH[4]:-0}))
	else
		echo "# $n.sh ended without its total (status $rc)"
		failed=$((failed + 1))
	fi
	[[ $rc == 0 ]] || status=1
done
echo "snmp: $passed passed, $failed failed, $skipped skipped"
exit $status
