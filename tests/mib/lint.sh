#!/usr/bin/env bash
# Lints mib/FULCRUM-MIB.txt with smilint and Net-SNMP, and checks its OIDs against the layout.
#
# Needs smitools and snmp (scripts/debian-packages.txt) and, on the first run,
# Debian's package archive: scripts/ietf-mibs fetches the IETF modules the MIB
# imports into FULCRUM_MIB_CACHE (default tests/mib/cache). FULCRUM_BUILDDIR
# names the build tree whose mib/mib-root.h is compared (default: the top).
# Prints one line per check and exits non-zero when any fails.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${FULCRUM_MIB_CACHE:-$top/tests/mib/cache}
builddir=${FULCRUM_BUILDDIR:-$top}
mib=$top/mib/FULCRUM-MIB.txt
passed=0
failed=0
skipped=0

ok() {
	echo "ok - $1"
	passed=$((passed + 1))
}
not_ok() {
	echo "not ok - $1"
	failed=$((failed + 1))
	if [[ -n ${2:-} ]]; then
		printf '#   %s\n' "${2//$'\n'/$'\n'#   }"
	fi
}
skip() {
	echo "ok - $1 # SKIP $2"
	skipped=$((skipped + 1))
}
finish() {
	echo "mib-lint: $passed passed, $failed failed, $skipped skipped"
	exit $((failed > 0))
}

for tool in smilint snmptranslate; do
	if ! command -v "$tool" >/dev/null; then
		not_ok "$tool is installed (scripts/install-deps)"
		finish
	fi
done

if out=$("$top/scripts/ietf-mibs" "$cache" 2>&1); then
	ok "scripts/ietf-mibs put the IETF modules in $cache"
else
	not_ok "scripts/ietf-mibs put the IETF modules in $cache" "$out"
	finish
fi

# Net-SNMP with the cache and mib/ only: no module from /usr/share/snmp/mibs.
translate() {
	snmptranslate -M "$cache:$top/mib" -m FULCRUM-MIB "$@"
}

# smilint: no error nor warning at all, with no site configuration in the way.
if out=$(SMIPATH=$cache smilint -c /dev/null -l 6 -s "$mib" 2>&1) && [[ -z $out ]]; then
	ok "smilint -l 6 -s reports nothing"
else
	not_ok "smilint -l 6 -s reports nothing" "$out"
fi

# The tree as a NOC engineer gets it, on top of Net-SNMP's default modules
# (which print "Cannot find module" for those Debian does not ship).
if tree=$(snmptranslate -M "+$cache:$top/mib" -m +FULCRUM-MIB -Tp 2>/dev/null) &&
	grep -q 'fulcrumMIB(1)' <<<"$tree" && grep -q 'fulcrumRsWeight(8)' <<<"$tree" &&
	grep -q 'fulcrumVsNameId(2)' <<<"$tree"; then
	ok "snmptranslate -m +FULCRUM-MIB -Tp shows the tree"
else
	not_ok "snmptranslate -m +FULCRUM-MIB -Tp shows the tree" "$tree"
fi

if out=$(translate -Tp 2>&1 >/dev/null) && [[ -z $out ]]; then
	ok "Net-SNMP loads FULCRUM-MIB and its imports without a warning"
else
	not_ok "Net-SNMP loads FULCRUM-MIB and its imports without a warning" "$out"
fi

# The root is written once: what the build derives from the MIB is what
# Net-SNMP reads in it, and what the built header holds.
oid_of() {
	translate -On "FULCRUM-MIB::$1" 2>&1
}
header_oid() {
	awk '$2 == "FULCRUM_MIB_ROOT_OID" { $1 = $2 = ""; gsub(/[ ,]+/, "."); print }' "$1"
}
header=$(mktemp)
trap 'rm -f "$header"' EXIT
if awk -f "$top/mib/code.awk" -f "$top/mib/root.awk" "$mib" >"$header" 2>&1; then
	root=$(header_oid "$header")
	got=$(oid_of fulcrumMIB)
	if [[ $got == "$root" ]]; then
		ok "fulcrumMIB is $root, the root mib/root.awk derives"
	else
		not_ok "fulcrumMIB is $root, the root mib/root.awk derives" "got $got"
	fi
else
	not_ok "mib/root.awk derives the root" "$(cat "$header")"
	finish
fi
if [[ -f $builddir/mib/mib-root.h ]]; then
	built=$(header_oid "$builddir/mib/mib-root.h")
	len=$(awk '$2 == "FULCRUM_MIB_ROOT_LEN" { print $3 }' "$builddir/mib/mib-root.h")
	dots=${built//[^.]/}
	if [[ $built == "$root" && $len == "${#dots}" ]]; then
		ok "the built mib/mib-root.h holds fulcrumMIB ($built, $len arcs)"
	else
		not_ok "the built mib/mib-root.h holds fulcrumMIB" \
			"built $built ($len arcs), MIB $root: run make"
	fi
else
	skip "the built mib/mib-root.h holds fulcrumMIB" "not built in $builddir"
fi

spot() {
	local got
	got=$(oid_of "$1")
	if [[ $got == "$root.$2" ]]; then
		ok "$1 is $got"
	else
		not_ok "$1 is $root.$2" "got $got"
	fi
}
spot fulcrumRsWeight 1.4.1.8
spot fulcrumVsRowStatus 1.3.1.36
spot fulcrumRsRowStatus 1.4.1.30
spot fulcrumVsNameId 1.5.1.2
spot fulcrumRsNextId 1.1.10
spot fulcrumVipNextId 1.1.11
spot fulcrumVipRowStatus 1.6.1.8
spot fulcrumNotifyRoleChangeEnable 1.2.4
spot fulcrumRsStateChange 0.1
spot fulcrumVsAvailabilityChange 0.2
spot fulcrumConfigChange 0.3
spot fulcrumRoleChange 0.4
spot fulcrumPeerStateChange 0.5
spot fulcrumNotifyPeerStateEnable 1.2.5
spot fulcrumHaTerm 1.7.1
spot fulcrumHaMaintenance 1.7.9
spot fulcrumHaSwitchover 1.7.10
spot fulcrumHaRejectCount 1.8.1.3
spot fulcrumReplStateChange 0.6
spot fulcrumNotifyReplStateEnable 1.2.6
spot fulcrumReplState 1.7.27
spot fulcrumReplDivergences 1.7.43

# The whole layout the subagent implements: every name at its OID under the
# root, and nothing else there.
want=$(mktemp)
have=$(mktemp)
trap 'rm -f "$header" "$want" "$have"' EXIT
while read -r name suffix; do
	echo "$name $root${suffix:+.$suffix}"
done >"$want" <<'EOF'
fulcrumMIB
fulcrumNotifications 0
fulcrumRsStateChange 0.1
fulcrumVsAvailabilityChange 0.2
fulcrumConfigChange 0.3
fulcrumRoleChange 0.4
fulcrumPeerStateChange 0.5
fulcrumReplStateChange 0.6
fulcrumObjects 1
fulcrumDirector 1.1
fulcrumNodeName 1.1.1
fulcrumVersion 1.1.2
fulcrumRole 1.1.3
fulcrumPeerState 1.1.4
fulcrumConfigRevision 1.1.5
fulcrumConfigLastChange 1.1.6
fulcrumConfigLastActor 1.1.7
fulcrumConfigLastOrigin 1.1.8
fulcrumVsNextId 1.1.9
fulcrumRsNextId 1.1.10
fulcrumVipNextId 1.1.11
fulcrumConfigChangeRevision 1.1.12
fulcrumNotifyControl 1.2
fulcrumNotifyRsStateEnable 1.2.1
fulcrumNotifyVsAvailabilityEnable 1.2.2
fulcrumNotifyConfigChangeEnable 1.2.3
fulcrumNotifyRoleChangeEnable 1.2.4
fulcrumNotifyPeerStateEnable 1.2.5
fulcrumNotifyReplStateEnable 1.2.6
fulcrumVsTable 1.3
fulcrumVsEntry 1.3.1
fulcrumVsId 1.3.1.1
fulcrumVsName 1.3.1.2
fulcrumVsFamily 1.3.1.3
fulcrumVsAddressType 1.3.1.4
fulcrumVsAddress 1.3.1.5
fulcrumVsPort 1.3.1.6
fulcrumVsProtocol 1.3.1.7
fulcrumVsFwmark 1.3.1.8
fulcrumVsScheduler 1.3.1.9
fulcrumVsSchedulerFlags 1.3.1.10
fulcrumVsPersistenceTimeout 1.3.1.11
fulcrumVsPersistenceNetmask 1.3.1.12
fulcrumVsOnePacket 1.3.1.13
fulcrumVsAdminState 1.3.1.14
fulcrumVsDescription 1.3.1.15
fulcrumVsOperState 1.3.1.16
fulcrumVsOperReason 1.3.1.17
fulcrumVsOperLastChange 1.3.1.18
fulcrumVsRealsUp 1.3.1.19
fulcrumVsRealsTotal 1.3.1.20
fulcrumVsKernelState 1.3.1.21
fulcrumVsKernelReason 1.3.1.22
fulcrumVsConns 1.3.1.23
fulcrumVsInPkts 1.3.1.24
fulcrumVsOutPkts 1.3.1.25
fulcrumVsInBytes 1.3.1.26
fulcrumVsOutBytes 1.3.1.27
fulcrumVsActiveConns 1.3.1.28
fulcrumVsInactiveConns 1.3.1.29
fulcrumVsConnRate 1.3.1.30
fulcrumVsInPktRate 1.3.1.31
fulcrumVsOutPktRate 1.3.1.32
fulcrumVsInByteRate 1.3.1.33
fulcrumVsOutByteRate 1.3.1.34
fulcrumVsStatsReset 1.3.1.35
fulcrumVsRowStatus 1.3.1.36
fulcrumRsTable 1.4
fulcrumRsEntry 1.4.1
fulcrumRsId 1.4.1.1
fulcrumRsAddressType 1.4.1.2
fulcrumRsAddress 1.4.1.3
fulcrumRsPort 1.4.1.4
fulcrumRsForwarding 1.4.1.5
fulcrumRsTunnelType 1.4.1.6
fulcrumRsTunnelPort 1.4.1.7
fulcrumRsWeight 1.4.1.8
fulcrumRsUpperThreshold 1.4.1.9
fulcrumRsLowerThreshold 1.4.1.10
fulcrumRsAdminState 1.4.1.11
fulcrumRsDescription 1.4.1.12
fulcrumRsOperState 1.4.1.13
fulcrumRsOperReason 1.4.1.14
fulcrumRsOperLastChange 1.4.1.15
fulcrumRsKernelState 1.4.1.16
fulcrumRsKernelReason 1.4.1.17
fulcrumRsConns 1.4.1.18
fulcrumRsInPkts 1.4.1.19
fulcrumRsOutPkts 1.4.1.20
fulcrumRsInBytes 1.4.1.21
fulcrumRsOutBytes 1.4.1.22
fulcrumRsActiveConns 1.4.1.23
fulcrumRsInactiveConns 1.4.1.24
fulcrumRsConnRate 1.4.1.25
fulcrumRsInPktRate 1.4.1.26
fulcrumRsOutPktRate 1.4.1.27
fulcrumRsInByteRate 1.4.1.28
fulcrumRsOutByteRate 1.4.1.29
fulcrumRsRowStatus 1.4.1.30
fulcrumVsNameTable 1.5
fulcrumVsNameEntry 1.5.1
fulcrumVsNameKey 1.5.1.1
fulcrumVsNameId 1.5.1.2
fulcrumVipTable 1.6
fulcrumVipEntry 1.6.1
fulcrumVipId 1.6.1.1
fulcrumVipAddressType 1.6.1.2
fulcrumVipAddress 1.6.1.3
fulcrumVipPrefixLength 1.6.1.4
fulcrumVipInterface 1.6.1.5
fulcrumVipDescription 1.6.1.6
fulcrumVipHeld 1.6.1.7
fulcrumVipRowStatus 1.6.1.8
fulcrumCluster 1.7
fulcrumHaTerm 1.7.1
fulcrumHaClusterName 1.7.2
fulcrumHaFlags 1.7.3
fulcrumHaLastChange 1.7.4
fulcrumHaLastChangeReason 1.7.5
fulcrumHaPreviousRole 1.7.6
fulcrumHaBlocked 1.7.7
fulcrumHaHealth 1.7.8
fulcrumHaMaintenance 1.7.9
fulcrumHaSwitchover 1.7.10
fulcrumHaPeerName 1.7.11
fulcrumHaPeerAddressType 1.7.12
fulcrumHaPeerAddress 1.7.13
fulcrumHaPeerPort 1.7.14
fulcrumHaPeerRole 1.7.15
fulcrumHaPeerTerm 1.7.16
fulcrumHaPeerFlags 1.7.17
fulcrumHaPeerLastHeard 1.7.18
fulcrumHaPeerSilence 1.7.19
fulcrumHaHeartbeatsSent 1.7.20
fulcrumHaHeartbeatsReceived 1.7.21
fulcrumHaSendErrors 1.7.22
fulcrumHaRoleChanges 1.7.23
fulcrumHaVipsConfigured 1.7.24
fulcrumHaVipsHeld 1.7.25
fulcrumHaCountersSince 1.7.26
fulcrumReplState 1.7.27
fulcrumReplMode 1.7.28
fulcrumReplPeerName 1.7.29
fulcrumReplPeerRevision 1.7.30
fulcrumReplLagRevisions 1.7.31
fulcrumReplLagTime 1.7.32
fulcrumReplLastChange 1.7.33
fulcrumReplReason 1.7.34
fulcrumReplDigest 1.7.35
fulcrumReplDigestTime 1.7.36
fulcrumReplRevisionsSent 1.7.37
fulcrumReplRevisionsApplied 1.7.38
fulcrumReplSnapshotsSent 1.7.39
fulcrumReplSnapshotsTaken 1.7.40
fulcrumReplConnects 1.7.41
fulcrumReplRefusals 1.7.42
fulcrumReplDivergences 1.7.43
fulcrumHaRejectTable 1.8
fulcrumHaRejectEntry 1.8.1
fulcrumHaRejectReason 1.8.1.1
fulcrumHaRejectName 1.8.1.2
fulcrumHaRejectCount 1.8.1.3
fulcrumConformance 2
fulcrumCompliances 2.1
fulcrumCompliance 2.1.1
fulcrumCompliance2 2.1.2
fulcrumCompliance3 2.1.3
fulcrumCompliance4 2.1.4
fulcrumCompliance5 2.1.5
fulcrumGroups 2.2
fulcrumDirectorGroup 2.2.1
fulcrumNotifyControlGroup 2.2.2
fulcrumVsGroup 2.2.3
fulcrumRsGroup 2.2.4
fulcrumVsNameGroup 2.2.5
fulcrumNotificationsGroup 2.2.6
fulcrumVipGroup 2.2.7
fulcrumClusterGroup 2.2.8
fulcrumClusterNotificationsGroup 2.2.9
fulcrumReplGroup 2.2.10
fulcrumReplNotificationsGroup 2.2.11
fulcrumConfigChangeGroup 2.2.12
EOF
# -Tz lists every name and OID Net-SNMP loaded; keep those at or under the root.
translate -Tz 2>/dev/null | tr -d '"' |
	awk -v r="${root#.}" '$2 == r || index($2, r ".") == 1 { print $1, "." $2 }' >"$have"
if diff=$(diff <(sort "$want") <(sort "$have")); then
	ok "all $(wc -l <"$want") names sit at the layout's OIDs, and no other name is there"
else
	not_ok "all names sit at the layout's OIDs (< layout, > MIB)" "$diff"
fi

# Wire types the subagent encodes: the 64-bit rates are Counter64, RowStatus is read-create.
syntax_is() {
	local got
	got=$(translate -Td "FULCRUM-MIB::$1" 2>&1 | awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }')
	if [[ $got == "$3"* ]]; then
		ok "$1 has $2 $3"
	else
		not_ok "$1 has $2 $3" "got '$got'"
	fi
}
syntax_is fulcrumVsConnRate SYNTAX Counter64
syntax_is fulcrumRsOutByteRate SYNTAX Counter64
syntax_is fulcrumConfigRevision SYNTAX Counter64
syntax_is fulcrumVsRowStatus MAX-ACCESS read-create
syntax_is fulcrumNotifyRsStateEnable MAX-ACCESS read-write
syntax_is fulcrumVsOperState MAX-ACCESS read-only
syntax_is fulcrumVipRowStatus MAX-ACCESS read-create
syntax_is fulcrumVipHeld MAX-ACCESS read-only
syntax_is fulcrumVipPrefixLength SYNTAX "Unsigned32 (0..2040)"
syntax_is fulcrumHaTerm SYNTAX Unsigned32
syntax_is fulcrumHaHeartbeatsSent SYNTAX Counter64
syntax_is fulcrumReplPeerRevision SYNTAX Counter64
syntax_is fulcrumReplLagRevisions SYNTAX Gauge32
syntax_is fulcrumNotifyReplStateEnable MAX-ACCESS read-write
syntax_is fulcrumReplState MAX-ACCESS read-only
syntax_is fulcrumHaRejectCount SYNTAX Counter64
syntax_is fulcrumHaPeerAddress SYNTAX "OCTET STRING (0..255)"
syntax_is fulcrumHaMaintenance MAX-ACCESS read-write
syntax_is fulcrumHaSwitchover MAX-ACCESS read-write
syntax_is fulcrumNotifyPeerStateEnable MAX-ACCESS read-write
syntax_is fulcrumHaRejectName MAX-ACCESS read-only

finish
