#!/usr/bin/env bash
# Fuzzes the parsers of outside input with libFuzzer (clang, ASan, UBSan) on their committed corpora.
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
# for warnings clang has and gcc has not. fuzz_snapshot needs the model, the db layer (with the
# generated db/schema-sql.c: run make first) and SQLite and jansson too.
sources=(controller/ha/ha_keys.c controller/ha/ha_packet.c)
snapshot_sources=(controller/core/snapshot.c controller/core/snapshot_apply.c
	controller/lib/utf8.c controller/model/model.c controller/model/model_check.c controller/model/model_regex.c controller/model/model_json.c
	controller/model/model_kind.c controller/model/model_vip.c
	db/db.c db/db_vs.c db/db_rs.c db/db_vip.c db/db_change.c db/db_token.c db/db_notify.c
	db/db_role.c db/db_repl.c db/schema-sql.c)
# fuzz_repl: the replication codec and the replay command on a database of its own.
repl_sources=(controller/ha/repl_msg.c controller/core/command.c controller/core/command_batch.c
	controller/core/command_group.c controller/core/command_vip.c controller/core/command_replay.c
	controller/lib/utf8.c controller/model/model.c controller/model/model_check.c controller/model/model_regex.c controller/model/model_json.c
	controller/model/model_kind.c controller/model/model_vip.c
	db/db.c db/db_vs.c db/db_rs.c db/db_vip.c db/db_change.c db/db_token.c db/db_notify.c
	db/db_role.c db/db_repl.c db/schema-sql.c)
# fuzz_import_*: the importers, the document's containers and the model it validates with.
import_sources=(controller/config/config_doc.c controller/config/config_ldirectord.c
	controller/config/config_ldirectord_addr.c controller/config/config_ldirectord_map.c
	controller/config/config_keepalived.c controller/config/config_keepalived_lvs.c
	controller/config/config_keepalived_make.c
	controller/lib/utf8.c controller/model/model.c controller/model/model_check.c controller/model/model_regex.c controller/model/model_json.c
	controller/model/model_kind.c controller/model/model_vip.c)
# fuzz_config: the configuration file's readers and writer, libxml2 and jansson (and the db
# layer, which names the notification switches).
config_sources=(controller/config/config_doc.c controller/config/config_write.c
	controller/config/config_read.c controller/config/config_read_xml.c
	controller/config/config_read_json.c controller/lib/idmap.c
	controller/lib/utf8.c controller/model/model.c controller/model/model_check.c controller/model/model_regex.c controller/model/model_json.c
	controller/model/model_kind.c controller/model/model_vip.c
	db/db.c db/db_vs.c db/db_rs.c db/db_vip.c db/db_change.c db/db_token.c db/db_notify.c
	db/db_role.c db/db_repl.c db/schema-sql.c)
# fuzz_api_json: the model and its JSON form, as the API's writes use them.
model_sources=(controller/lib/utf8.c controller/model/model.c controller/model/model_check.c controller/model/model_regex.c
	controller/model/model_json.c controller/model/model_kind.c controller/model/model_vip.c)
# fuzz_conf: fulcrumd.conf's reader and its settings (and the log's level names).
conf_sources=(controller/core/conf.c controller/lib/log.c controller/lib/utf8.c)
# fuzz_health_expect: what an HTTP check expects, checked against the model's rules for it.
health_sources=(controller/health/health_expect.c "${model_sources[@]}")
# fuzz_web_req: what the API reads from a request's path and headers, without libmicrohttpd.
web_sources=(web/web_parse.c)
flags=(-std=c11 -D_GNU_SOURCE -I. -g -O1 -Wall -Wextra
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
read -r -a sodium_cflags <<<"$(pkg-config --cflags libsodium)"
read -r -a sodium_libs <<<"$(pkg-config --libs libsodium)"
read -r -a db_cflags <<<"$(pkg-config --cflags sqlite3 jansson)"
read -r -a db_libs <<<"$(pkg-config --libs sqlite3 jansson)"
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
	if [[ $t == fuzz_repl ]]; then
		[[ -f db/schema-sql.c ]] || { echo "fuzz: run make first (db/schema-sql.c)"; exit 1; }
		"$cc" "${flags[@]}" "${sodium_cflags[@]}" "${db_cflags[@]}" "tests/fuzz/$t.c" \
			"${repl_sources[@]}" "${sodium_libs[@]}" "${db_libs[@]}" -o "$out/$t/$t"
	elif [[ $t == fuzz_config ]]; then
		[[ -f db/schema-sql.c ]] || { echo "fuzz: run make first (db/schema-sql.c)"; exit 1; }
		read -r -a xml_cflags <<<"$(pkg-config --cflags libxml-2.0 jansson sqlite3)"
		read -r -a xml_libs <<<"$(pkg-config --libs libxml-2.0 jansson sqlite3)"
		"$cc" "${flags[@]}" "${xml_cflags[@]}" "tests/fuzz/$t.c" "${config_sources[@]}" \
			"${xml_libs[@]}" -o "$out/$t/$t"
	elif [[ $t == fuzz_import_* ]]; then
		"$cc" "${flags[@]}" "${db_cflags[@]}" "tests/fuzz/$t.c" "${import_sources[@]}" \
			"${db_libs[@]}" -o "$out/$t/$t"
	elif [[ $t == fuzz_api_json ]]; then
		"$cc" "${flags[@]}" "${db_cflags[@]}" "tests/fuzz/$t.c" "${model_sources[@]}" \
			"${db_libs[@]}" -o "$out/$t/$t"
	elif [[ $t == fuzz_conf ]]; then
		"$cc" "${flags[@]}" -DSYSCONFDIR='"/etc"' -DLOCALSTATEDIR='"/var"' -DRUNSTATEDIR='"/run"' \
			"tests/fuzz/$t.c" "${conf_sources[@]}" -o "$out/$t/$t"
	elif [[ $t == fuzz_health_expect ]]; then
		"$cc" "${flags[@]}" "${db_cflags[@]}" "tests/fuzz/$t.c" "${health_sources[@]}" \
			"${db_libs[@]}" -o "$out/$t/$t"
	elif [[ $t == fuzz_web_req ]]; then
		"$cc" "${flags[@]}" "tests/fuzz/$t.c" "${web_sources[@]}" -o "$out/$t/$t"
	elif [[ $t == fuzz_snapshot ]]; then
		[[ -f db/schema-sql.c ]] || { echo "fuzz: run make first (db/schema-sql.c)"; exit 1; }
		"$cc" "${flags[@]}" "${sodium_cflags[@]}" "${db_cflags[@]}" "tests/fuzz/$t.c" \
			"${snapshot_sources[@]}" "${sodium_libs[@]}" "${db_libs[@]}" -o "$out/$t/$t"
	else
		"$cc" "${flags[@]}" "${sodium_cflags[@]}" "tests/fuzz/$t.c" "${sources[@]}" \
			"${sodium_libs[@]}" -o "$out/$t/$t"
	fi
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
