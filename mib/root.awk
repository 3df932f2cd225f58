# Writes mib/mib-root.h: FULCRUM-MIB's root OID, read from its MODULE-IDENTITY line.
#
# The root is written once, as "::= { enterprises N ... }" ending the
# MODULE-IDENTITY; the subagent registers under what this derives from it.
# Text inside "..." and after "--" is skipped, so the DESCRIPTIONs may quote
# the line. An OBJECT IDENTIFIER naming another enterprise arc than the
# root's is refused, so a half-done move of the arc fails the build.
#
# usage: awk -f mib/code.awk -f mib/root.awk mib/FULCRUM-MIB.txt > mib/mib-root.h

BEGIN {
	enterprises = "1, 3, 6, 1, 4, 1"
	enterprises_len = 6
	in_string = 0
	state = "before" # before, in, done: where we are relative to MODULE-IDENTITY
}

function fail(msg) {
	printf "%s: %s\n", FILENAME, msg > "/dev/stderr"
	failed = 1
	exit 1
}

{
	text = code($0)
}

state == "before" && text ~ /^[ \t]*[a-z][-A-Za-z0-9]*[ \t]+MODULE-IDENTITY([ \t]|$)/ {
	state = "in"
	name = text
	sub(/^[ \t]*/, "", name)
	sub(/[ \t].*/, "", name)
	identity_line = FNR
}

state == "in" && text ~ /::=/ {
	# Text before "::=" is the next definition: the identity's own value is missing.
	if (text !~ /^[ \t]*::=/)
		fail(sprintf("line %d: no '::= { enterprises N ... }' line ends %s MODULE-IDENTITY " \
			     "(line %d)", FNR, name, identity_line))
	value = text
	sub(/.*::=[ \t]*/, "", value)
	if (value !~ /^\{[ \t]*enterprises([ \t]+[0-9]+)+[ \t]*\}[ \t]*$/)
		fail(sprintf("line %d: %s must end with '::= { enterprises N ... }' " \
			     "on one line, not '%s'", FNR, name, value))
	gsub(/[{}]|enterprises/, "", value)
	n = split(value, arcs, " ")
	oid = enterprises
	dotted = "1.3.6.1.4.1"
	for (i = 1; i <= n; i++) {
		oid = oid ", " arcs[i]
		dotted = dotted "." arcs[i]
	}
	len = enterprises_len + n
	pen = arcs[1]
	root_line = FNR
	state = "done"
	next
}

# Another definition under enterprises, such as the arc's own name.
text ~ /OBJECT[ \t]+IDENTIFIER[ \t]*::=[ \t]*\{[ \t]*enterprises[ \t]+[0-9]+/ {
	arc = text
	sub(/.*enterprises[ \t]+/, "", arc)
	sub(/[^0-9].*/, "", arc)
	other_arc = arc
	other_line = FNR
}

END {
	if (failed)
		exit 1
	if (state == "before")
		fail("no MODULE-IDENTITY found")
	if (state == "in")
		fail(sprintf("line %d: no '::= { enterprises N ... }' line after %s MODULE-IDENTITY",
			     identity_line, name))
	if (other_line && other_arc != pen)
		fail(sprintf("line %d names enterprises %s but %s (line %d) is under " \
			     "enterprises %s: change both when moving the arc",
			     other_line, other_arc, name, root_line, pen))
	print "/* Generated from FULCRUM-MIB's MODULE-IDENTITY by mib/root.awk: do not edit. */"
	print "#ifndef FULCRUM_MIB_ROOT_H"
	print "#define FULCRUM_MIB_ROOT_H"
	print ""
	printf "/* %s: %s */\n", name, dotted
	printf "#define FULCRUM_MIB_ROOT_OID %s\n", oid
	printf "#define FULCRUM_MIB_ROOT_LEN %d\n", len
	print ""
	print "#endif"
}
