# Writes mib/mib-names.h: each OBJECT-TYPE of FULCRUM-MIB with its arcs under the root, so
# the subagent can name an OID in its log (fulcrumRsWeight.3.5) without loading the MIB.
#
# usage: awk -f mib/code.awk -f mib/names.awk mib/FULCRUM-MIB.txt > mib/mib-names.h

BEGIN {
	in_string = 0
	current = ""
}

# The arcs of name below the module's identity, comma-separated; "" for the identity; "?" if not under it.
function arcs(name,    p) {
	if (name == root)
		return ""
	if (!(name in parent))
		return "?"
	p = arcs(parent[name])
	if (p == "?")
		return "?"
	return p == "" ? arc[name] : p ", " arc[name]
}

{
	text = code($0)
}

text ~ /^[ \t]*[a-z][-A-Za-z0-9]*[ \t]+MODULE-IDENTITY([ \t]|$)/ {
	root = text
	sub(/^[ \t]*/, "", root)
	sub(/[ \t].*/, "", root)
}

text ~ /^[ \t]*[a-z][-A-Za-z0-9]*[ \t]+(OBJECT-TYPE|OBJECT[ \t]+IDENTIFIER|NOTIFICATION-TYPE|OBJECT-GROUP|NOTIFICATION-GROUP|MODULE-COMPLIANCE|MODULE-IDENTITY)/ {
	current = text
	sub(/^[ \t]*/, "", current)
	sub(/[ \t].*/, "", current)
	kind[current] = text ~ /OBJECT-TYPE/ ? "object" : "other"
	if (kind[current] == "object")
		order[++n] = current
}

current != "" && text ~ /::=[ \t]*\{[ \t]*[a-zA-Z][-A-Za-z0-9]*[ \t]+[0-9]+[ \t]*\}/ {
	v = text
	sub(/.*::=[ \t]*\{[ \t]*/, "", v)
	split(v, w, /[ \t}]+/)
	parent[current] = w[1]
	arc[current] = w[2]
	current = ""
}

END {
	print "/* Generated from FULCRUM-MIB's OBJECT-TYPEs by mib/names.awk: do not edit. */"
	print "#ifndef FULCRUM_MIB_NAMES_H"
	print "#define FULCRUM_MIB_NAMES_H"
	print ""
	print "/* An object's name and its arcs under the root (at most 5). */"
	print "struct mib_name_def {"
	print "\tconst char *name;"
	print "\tunsigned len;"
	print "\tunsigned arcs[5];"
	print "};"
	print ""
	print "static const struct mib_name_def mib_names[] = {"
	for (i = 1; i <= n; i++) {
		a = arcs(order[i])
		if (a == "?" || a == "")
			continue
		k = split(a, parts, ", ")
		if (k > 5) {
			printf "%s: %s is %d arcs deep, more than 5\n", FILENAME, order[i], k > "/dev/stderr"
			exit 1
		}
		printf "    {\"%s\", %d, {%s}},\n", order[i], k, a
	}
	print "};"
	print ""
	print "#endif"
}
