#!/usr/bin/env bash
# The layer check: the tree follows docs/architecture.md's table, and a broken rule is caught, named by file:line.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
check=$top/scripts/check-includes
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

ok() { echo "  ok   $1"; passed=$((passed + 1)); }
bad() { echo "  FAIL $1"; shift; for l in "$@"; do printf '       %s\n' "$l"; done; failed=$((failed + 1)); }

# 1. The tree itself.
if out=$("$check" --root "$top" 2>&1); then ok "the tree follows the layer table"; else bad "the tree breaks the layer table" "$out"; fi

# A small tree with the real table and files that break one rule each.
mkdir -p "$work/docs" "$work/controller/core" "$work/controller/reconcile" "$work/controller/model" \
	"$work/web" "$work/db"
cp "$top/docs/architecture.md" "$work/docs/"
printf '/* x */\n' >"$work/controller/reconcile/reconcile.h"
printf '/* x */\n' >"$work/controller/model/model.h"
printf '/* x */\n' >"$work/db/db.h"
printf '#include "controller/model/model.h"\n#include "db/db.h"\n' >"$work/controller/core/ok.c"
run() { out=$("$check" --root "$work" 2>&1); rc=$?; }

# 2. A clean small tree passes (the rules, not the files, decide).
run
if [[ $rc == 0 ]]; then ok "allowed includes pass"; else bad "allowed includes refused" "$out"; fi

# 3. The core including reconcile: refused, naming file:line and the rule.
printf '/* the core */\n#include "controller/model/model.h"\n#include "controller/reconcile/reconcile.h"\n' \
	>"$work/controller/core/store.c"
run
want='controller/core/store.c:3: #include "controller/reconcile/reconcile.h": controller/core/ may not include controller/reconcile/'
if [[ $rc == 1 && $out == *"$want"* ]]; then ok "core -> reconcile refused at file:line"; else bad "core -> reconcile not refused as expected (rc $rc)" "$out"; fi
rm "$work/controller/core/store.c"

# 4. A bare name that hides its folder: refused.
printf '#include "model.h"\n' >"$work/controller/core/bare.c"
run
if [[ $rc == 1 && $out == *'controller/core/bare.c:1: #include "model.h": name the file from the top'* ]]; then
	ok "a bare include name refused"
else
	bad "a bare include name not refused" "$out"
fi
rm "$work/controller/core/bare.c"

# 5. A library header outside its folder: sqlite3 in web/.
printf '#include <sqlite3.h>\n' >"$work/web/web_x.c"
run
if [[ $rc == 1 && $out == *'web/web_x.c:1: #include <sqlite3.h>: web/ may not use sqlite3'* ]]; then
	ok "sqlite3.h outside db/ refused"
else
	bad "sqlite3.h outside db/ not refused" "$out"
fi

# 6. Every callback of the loop begins its turn's measure (scripts/check-looplag): the tree does ...
if out=$("$top/scripts/check-looplag" --root "$top" 2>&1); then ok "every loop callback calls looplag_mark()"; else bad "a loop callback misses looplag_mark()" "$out"; fi

# ... and one that does not is named by file:line, declarations before the mark allowed.
lag=$work/lag
mkdir -p "$lag/web"
printf '%s\n' '/* x */' 'static void web_on_a(evutil_socket_t fd, short what, void *arg)' '{' \
	'	struct web *w = arg;' '	int n =' '	    1;' '' '	looplag_mark();' '	(void)fd;' '}' '' \
	'static void web_on_b(evutil_socket_t fd, short what, void *arg)' '{' '	(void)fd;' '	looplag_mark();' '}' \
	>"$lag/web/web_x.c"
out=$("$top/scripts/check-looplag" --root "$lag" 2>&1)
rc=$?
if [[ $rc == 1 && $out == 'web/web_x.c:12: web_on_b() does not begin with looplag_mark()' ]]; then
	ok "a callback without looplag_mark() first refused at file:line"
else
	bad "a callback without looplag_mark() first not refused as expected (rc $rc)" "$out"
fi

echo "layers: $passed passed, $failed failed"
[[ $failed == 0 ]]
