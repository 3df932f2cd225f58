#!/usr/bin/env bash
# Fuzzes the HA parsers with libFuzzer (clang, ASan, UBSan) on their committed corpora.
# Usage: tests/fuzz/run.sh [TARGET...]   (default: every tests/fuzz/fuzz_*.c)
# FUZZ_SECONDS (default 20) per target. New inputs go to a scratch folder, never into the
# corpus; a crash fails the run and leaves the input beside it, to add to
# tests/fuzz/corpus/TARGET/ once fixed. Needs clang and libclang-rt-14-dev.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
seconds=${FUZZ_SECONDS:-20}
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/fulcrum-fuzz-XXXXXX")}
cc=${CLANG:-clang}
# What the targets are made of: the parsers themselves, as make builds them, minus -Werror
# for warnings clang has and gcc has not.
sources=(controller/ha/ha_keys.c controller/ha/ha_packet.c)
flags=(-std=c11 -D_GNU_SOURCE -I. -g -O1 -Wall -Wextra
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
read -r -a sodium_cflags <<<"$(pkg-config --cflags libsodium)"
read -r -a sodium_libs <<<"$(pkg-config --libs libsodium)"
if [[ $# -gt 0 ]]; then
	targets=("$@")
else
	targets=()
	for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi

rc=0
for t in "${targets[@]}"; do
	echo "== fuzz $t for ${seconds} s (scratch: $out/$t)"
	mkdir -p "$out/$t/new" "$out/$t/crash"
	"$cc" "${flags[@]}" "${sodium_cflags[@]}" "tests/fuzz/$t.c" "${sources[@]}" \
		"${sodium_libs[@]}" -o "$out/$t/$t"
	if ! "$out/$t/$t" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$out/$t/crash/" "$out/$t/new" "tests/fuzz/corpus/$t" \
		>"$out/$t/log" 2>&1; then
		tail -n 40 "$out/$t/log"
		echo "fuzz: $t failed: the input is in $out/$t/crash/"
		rc=1
		continue
	fi
	grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE' "$out/$t/log" || true
done
exit $rc
