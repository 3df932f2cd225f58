#!/usr/bin/env bash
# The manual pages (man/): mandoc has nothing to warn about, and they name every setting with its default,
# unit and range, every fulcrumctl command, option and field, every FULCRUM-MIB group, table, switch and
# notification; each check is shown to catch a page that lacks what it looks for.
#
# Reads the pages the build wrote (make writes man/*.8 from man/*.8.in) and asks the code what they must
# hold: tests/host/conf-settings prints the settings table, fulcrumctl --help its commands and fields.
# FULCRUM_BUILDDIR names the build tree (default: the top).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${FULCRUM_BUILDDIR:-$top}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

ok() { echo "  ok   $1"; passed=$((passed + 1)); }
bad() { echo "  FAIL $1"; shift; for l in "$@"; do sed 's/^/       /' <<<"$l"; done; failed=$((failed + 1)); }
finish() { echo "man: $passed passed, $failed failed"; [[ $failed == 0 ]]; exit; }

pages=(fulcrumd.8 fulcrumctl.8 fulcrumd.conf.5 fulcrum-mib.7)
settings_tool=$builddir/tests/host/conf-settings
fulcrumctl=$builddir/fulcrumctl
mib=$top/mib/FULCRUM-MIB.txt

if ! command -v mandoc >/dev/null; then
	bad "mandoc is installed (scripts/install-deps)"
	finish
fi
for f in "${pages[@]/#/$builddir/man/}" "$settings_tool" "$fulcrumctl"; do
	if [[ ! -s $f ]]; then
		bad "$f is built (make && make tests/host/conf-settings)"
		finish
	fi
done

# A page as a reader sees it: plain text without overstrike, a paragraph on one line (up to 1000 columns).
render() {
	local out
	out=$(mandoc -T ascii -O width=1000 "$1") || { echo "mandoc cannot render $1" >&2; return 1; }
	sed 's/.\x08//g' <<<"$out"
}

# The lines of section $2 (a .Sh title) of rendered page $1.
section() { render "$1" | awk -v s="$2" '/^[A-Z]/ { on = ($0 == s) ; next } on'; }

# lint_problems PAGE: what mandoc says at level warning and above, and @dir@ the build left; empty when clean.
lint_problems() {
	mandoc -T lint -W warning "$1" 2>&1
	grep -n '@[a-z]*@' "$1" | sed 's/^/left unsubstituted: /'
}

# settings_problems PAGE: each setting of the table whose entry in SETTINGS is missing or lacks its
# "Default: D" (D "empty" for none), "Unit: " or, for a number, "Range: MIN to MAX"; each entry that is
# no setting. Empty when the page documents the table exactly.
settings_problems() {
	local entries name type def min max body want
	entries=$(section "$1" SETTINGS | awk '
		/^     [a-z0-9_]+ = / { if (name != "") print name "\t" body; name = $1; body = ""; next }
		/^   [^ ]/ { if (name != "") print name "\t" body; name = "" ; next }
		name != "" && /^      / { sub(/^ +/, ""); body = body " " $0 }
		END { if (name != "") print name "\t" body }')
	while IFS=$'\t' read -r name type def min max; do
		body=$(awk -F'\t' -v n="$name" '$1 == n { print $2; exit }' <<<"$entries")
		if [[ -z $body ]]; then
			echo "$name: no entry '$name = ...' in SETTINGS"
			continue
		fi
		want="Default: ${def:-empty}"
		[[ "$body " == *"$want"[.,\;\ ]* ]] || echo "$name: its entry lacks '$want'"
		[[ $body == *"Unit: "* ]] || echo "$name: its entry names no 'Unit: '"
		if [[ $type == number ]]; then
			want="Range: $min to $max"
			[[ "$body " == *"$want"[.,\;\ ]* ]] || echo "$name: its entry lacks '$want'"
		fi
		if [[ $type == boolean && $body != *"Unit: a boolean"* ]]; then
			echo "$name: its entry does not say 'Unit: a boolean'"
		fi
	done < <("$settings_tool")
	cut -f1 <<<"$entries" | while read -r name; do
		[[ -z $name ]] && continue
		"$settings_tool" | cut -f1 | grep -qx -- "$name" || echo "$name: documented, but fulcrumd has no such setting"
	done
}

# The usage's commands, one a line, alternatives spelled out: "service enable", "import --from kernel".
ctl_commands() {
	"$fulcrumctl" --help | awk '
		/^Commands/ { on = 1; next }
		on && /^$/ { exit }
		on && /^  [a-z]/ {
			n = split($0, w, " "); k = 0
			for (i = 1; i <= n; i++) {
				if (w[i] ~ /^[a-z]+(\|[a-z]+)*$/) words[++k] = w[i]
				else if (w[i] ~ /^--[a-z-]+$/ && w[i + 1] ~ /^[a-z]+(\|[a-z]+)*$/) words[++k] = w[i]
				else break
			}
			# spell out each alternative (a|b) of each word
			m = 1; out[1] = ""
			for (j = 1; j <= k; j++) {
				na = split(words[j], alt, "|"); nm = 0
				for (x = 1; x <= m; x++)
					for (y = 1; y <= na; y++) next_[++nm] = out[x] (j > 1 ? " " : "") alt[y]
				m = nm
				for (x = 1; x <= m; x++) out[x] = next_[x]
			}
			for (x = 1; x <= m; x++) print out[x]
		}'
}

# The usage's fields under heading $1 ("Service fields:"), one a line.
ctl_fields() {
	"$fulcrumctl" --help | awk -v h="$1" '
		index($0, h) == 1 { on = 1; sub(h, ""); text = $0; next }
		on && /^  / { text = text " " $0; next }
		on { exit }
		END {
			while (match(text, /\([^)]*\)/)) text = substr(text, 1, RSTART - 1) " " substr(text, RSTART + RLENGTH)
			n = split(text, w, /[ ,]+/)
			for (i = 1; i <= n; i++)
				if (w[i] ~ /^[a-z][a-z_]*(\.[a-z_]+)*$/ && w[i] !~ /^(and|its|own|overriding|the)$/) print w[i]
		}'
}

# ctl_problems PAGE: each command of the usage that has no entry in COMMANDS, each field no tag of its
# subsection of FIELDS, each option of the usage the page never names, each exit status not in EXIT STATUS.
ctl_problems() {
	local text commands fields cmd heading sub f opt code
	text=$(render "$1")
	commands=$(section "$1" COMMANDS)
	fields=$(section "$1" FIELDS)
	while read -r cmd; do
		grep -qE "^     ${cmd//./\\.}( |\$)" <<<"$commands" ||
			echo "command '$cmd': no entry in COMMANDS"
	done < <(ctl_commands)
	for heading in "Service fields:" "Real server fields:" "VIP fields:"; do
		sub=$(awk -v s="   ${heading%:}" '/^   [^ ]/ { on = ($0 == s); next } on && /^     [^ ]/' <<<"$fields")
		while read -r f; do
			grep -qE "^     (.*[ ,])?${f//./\\.}(,| |\$)" <<<"$sub" ||
				echo "${heading%:}: field '$f' has no entry"
		done < <(ctl_fields "$heading")
	done
	while read -r opt; do
		grep -qE -- "(^|[^a-z-])$opt([^a-z-]|\$)" <<<"$text" || echo "option '$opt' is never named"
	done < <("$fulcrumctl" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u)
	while read -r code; do
		section "$1" "EXIT STATUS" | grep -qE "^     $code( |\$)" || echo "exit status $code: no entry in EXIT STATUS"
	done < <("$fulcrumctl" --help | tr '\n' ' ' | sed -n 's/.*Exit status: //p' | grep -oE '(^|, )[0-9]+ ' | grep -oE '[0-9]+')
}

# What the MIB defines: "table NAME", "group NAME", "switch NAME" (read-write), "notification NAME".
mib_names() {
	awk '
		/^[a-zA-Z][a-zA-Z0-9]* +OBJECT-TYPE *$/ { obj = $1; next }
		obj != "" && /SYNTAX +SEQUENCE OF/ { print "table " obj }
		obj != "" && /MAX-ACCESS +read-write/ { print "switch " obj }
		/^[a-zA-Z][a-zA-Z0-9]* +NOTIFICATION-TYPE *$/ { print "notification " $1 }
		/^[a-zA-Z][a-zA-Z0-9]* +OBJECT IDENTIFIER +::= *\{ *fulcrumObjects / { print "group " $1 }
		/::=/ { obj = "" }' "$mib"
}

# mib_problems PAGE: each group and table without a subsection of its own, each notification without an
# entry in NOTIFICATIONS, each writable scalar never named, each snmpd.conf line of README.md's not shown.
mib_problems() {
	local text kind name line
	text=$(render "$1")
	if ! mib_names | grep -q '^notification ' || ! mib_names | grep -q '^table '; then
		echo "found no tables or notifications in $mib"
	fi
	while read -r kind name; do
		case $kind in
		table | group) grep -qE "^   $name( |\$)" <<<"$text" || echo "$kind $name: no subsection" ;;
		notification) section "$1" NOTIFICATIONS | grep -qE "^     $name\$" || echo "notification $name: no entry" ;;
		switch) grep -qE "(^|[^A-Za-z])$name([^A-Za-z]|\$)" <<<"$text" || echo "writable $name: never named" ;;
		esac
	done < <(mib_names)
	while read -r line; do
		grep -qxF "           $line" <<<"$text" || echo "README.md's snmpd.conf line '$line' is not shown"
	done < <(sed -n '/^    master agentx$/,/^$/p' "$top/README.md" | sed -e 's/#.*//' -e 's/^ *//' -e 's/ *$//' | grep .)
}

# 1. Each page: mandoc -T lint -W warning says nothing, and no @dir@ is left.
for p in "${pages[@]}"; do
	out=$(lint_problems "$builddir/man/$p")
	if [[ -z $out ]]; then ok "$p: mandoc -T lint -W warning is silent"; else bad "$p: lint" "$out"; fi
done

# 2. fulcrumd.conf(5): every setting, with its default, unit and range; no setting that is not.
n=$("$settings_tool" | wc -l)
out=$(settings_problems "$builddir/man/fulcrumd.conf.5")
if [[ $n -gt 30 && -z $out ]]; then
	ok "fulcrumd.conf.5: all $n settings, each with its default, unit and range"
else
	bad "fulcrumd.conf.5 does not match the settings table ($n settings)" "$out"
fi

# 3. fulcrumctl(8): every command, field, option and exit status of fulcrumctl --help.
n=$(ctl_commands | wc -l)
out=$(ctl_problems "$builddir/man/fulcrumctl.8")
if [[ $n -gt 30 && -z $out ]]; then
	ok "fulcrumctl.8: all $n commands, and every field, option and exit status of the usage"
else
	bad "fulcrumctl.8 does not match fulcrumctl --help ($n commands)" "$out"
fi

# 4. fulcrum-mib(7): every group, table, writable scalar and notification, and README.md's snmpd.conf.
n=$(mib_names | wc -l)
out=$(mib_problems "$builddir/man/fulcrum-mib.7")
if [[ $n -gt 15 && -z $out ]]; then
	ok "fulcrum-mib.7: all $n groups, tables, switches and notifications, and README.md's snmpd.conf lines"
else
	bad "fulcrum-mib.7 does not match mib/FULCRUM-MIB.txt ($n names)" "$out"
fi

# 5. The checks catch a page that lacks what they look for: each on a copy with one thing changed, and
# each says exactly what is wrong.
mutant() { sed "$2" "$builddir/man/$1" >"$work/$1"; }
# caught NAME CHECK PAGE WANT: CHECK finds in the changed copy of PAGE exactly the problems WANT more
# than in PAGE itself (so that a problem of the page, which its own check reports, is not said twice).
caught() {
	local got
	got=$(comm -13 <("$2" "$builddir/man/$3" | sort) <("$2" "$work/$3" | sort))
	if [[ $got == "$(sort <<<"$4")" ]]; then ok "$1"; else bad "$1: not caught as expected" "wanted: $4" "got: $got"; fi
}

mutant fulcrumd.8 's/^\.Sh OPTIONS$/.Xx OPTIONS/'
out=$(lint_problems "$work/fulcrumd.8")
if [[ $out == *"unknown macro"* ]]; then ok "a lint error is caught"; else bad "a page with an unknown macro passed lint" "$out"; fi
mutant fulcrumd.8 's/^\.Xr ipvsadm 8 ,$/.Xr ipvsadm 8/'
out=$(lint_problems "$work/fulcrumd.8")
if [[ $out == *WARNING* ]]; then ok "a lint warning is caught"; else bad "a page with a lint warning passed" "$out"; fi
mutant fulcrumd.8 's|^\.It Pa /var/agentx/master$|.It Pa @localstatedir@/agentx|'
out=$(lint_problems "$work/fulcrumd.8")
if [[ $out == *"left unsubstituted"*"@localstatedir@"* ]]; then ok "an @dir@ left is caught"; else bad "an @dir@ left passed" "$out"; fi

mutant fulcrumd.conf.5 '/^\.It Cm ha_deadtime /d'
caught "a setting left out is caught" settings_problems fulcrumd.conf.5 \
	"ha_deadtime: no entry 'ha_deadtime = ...' in SETTINGS"
mutant fulcrumd.conf.5 's/^Default: 300\.$/Default: 200./'
caught "a wrong default is caught" settings_problems fulcrumd.conf.5 \
	"ha_deadtime: its entry lacks 'Default: 300'"
mutant fulcrumd.conf.5 's/^Range: 1024 to 16777216\.$/Range: 1024 to 1048576./'
caught "a wrong range is caught" settings_problems fulcrumd.conf.5 \
	"http_max_body: its entry lacks 'Range: 1024 to 16777216'"
mutant fulcrumd.conf.5 '/^\.It Cm ha_realtime /,/^\.It/{/^Unit: a boolean\.$/d}'
caught "a boolean without its unit is caught" settings_problems fulcrumd.conf.5 \
	"ha_realtime: its entry names no 'Unit: '
ha_realtime: its entry does not say 'Unit: a boolean'"
mutant fulcrumd.conf.5 's/^\.It Cm ha_sync_id No/.It Cm ha_sync_idx No/'
caught "a setting that does not exist is caught" settings_problems fulcrumd.conf.5 \
	"ha_sync_id: no entry 'ha_sync_id = ...' in SETTINGS
ha_sync_idx: documented, but fulcrumd has no such setting"

mutant fulcrumctl.8 '/^\.It Cm real drain /d'
caught "a fulcrumctl command left out is caught" ctl_problems fulcrumctl.8 \
	"command 'real drain': no entry in COMMANDS"
mutant fulcrumctl.8 '/^\.It Cm import Fl \\-from Cm kernel /d'
caught "an import source left out is caught" ctl_problems fulcrumctl.8 \
	"command 'import --from kernel': no entry in COMMANDS"
mutant fulcrumctl.8 's/^\.It Cm tunnel_type , tunnel_port$/.It Cm tunnel_type/'
caught "a field left out is caught" ctl_problems fulcrumctl.8 \
	"Real server fields: field 'tunnel_port' has no entry"
mutant fulcrumctl.8 's/--lenient/--strict/g; s/\\-lenient/\\-strict/g'
caught "an option left out is caught" ctl_problems fulcrumctl.8 \
	"option '--lenient' is never named"
mutant fulcrumctl.8 '/^\.Sh EXIT STATUS$/,/^\.El$/{/^\.It 3$/d}'
caught "an exit status left out is caught" ctl_problems fulcrumctl.8 \
	"exit status 3: no entry in EXIT STATUS"

mutant fulcrum-mib.7 '/^\.It Va fulcrumPeerStateChange$/d'
caught "a notification left out is caught" mib_problems fulcrum-mib.7 \
	"notification fulcrumPeerStateChange: no entry"
mutant fulcrum-mib.7 's/^\.Ss fulcrumVipTable /.Ss fulcrumVipTabel /'
caught "a table left out is caught" mib_problems fulcrum-mib.7 \
	"table fulcrumVipTable: no subsection"
mutant fulcrum-mib.7 's/^\.Ss fulcrumCluster /.Ss Failover /'
caught "a group left out is caught" mib_problems fulcrum-mib.7 \
	"group fulcrumCluster: no subsection"
mutant fulcrum-mib.7 's/fulcrumHaMaintenance/fulcrumHaMaint/g'
caught "a writable scalar left out is caught" mib_problems fulcrum-mib.7 \
	"writable fulcrumHaMaintenance: never named"
mutant fulcrum-mib.7 's/^agentXPerms 0660 0550$/agentXPerms 0666 0555/'
caught "an snmpd.conf line unlike README.md's is caught" mib_problems fulcrum-mib.7 \
	"README.md's snmpd.conf line 'agentXPerms 0660 0550' is not shown"

finish
