# The scenarios' TAP-like checks: ok, not_ok, is, counted in n_ok and n_fail. Sourced.
# shellcheck shell=bash

n_ok=0
n_fail=0
ok() { n_ok=$((n_ok + 1)); echo "ok - $*"; }
not_ok() { # WHAT [DETAIL...]
    n_fail=$((n_fail + 1))
    echo "not ok - $1"
    shift
    [[ $# == 0 ]] || printf '#   %s\n' "$@"
}
# is WHAT GOT WANT
is() { if [[ $2 == "$3" ]]; then ok "$1 ($2)"; else not_ok "$1" "got:  $2" "want: $3"; fi; }
