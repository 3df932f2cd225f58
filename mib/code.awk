# code(): a line of FULCRUM-MIB without its quoted text and comments, for mib/root.awk and
# mib/names.awk (awk -f mib/code.awk -f mib/X.awk). Strings may span lines: in_string carries
# over (0 at the start, as awk's variables are).
function code(line,    out, n, parts, i, rest) {
	out = ""
	n = split(line, parts, "\"")
	for (i = 1; i <= n; i++) {
		if (i > 1)
			in_string = !in_string
		if (in_string)
			continue
		rest = parts[i]
		if (index(rest, "--")) {
			# A comment runs to the end of the line, quotes included.
			return out " " substr(rest, 1, index(rest, "--") - 1)
		}
		out = out " " rest
	}
	return out
}
