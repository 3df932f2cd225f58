/* Unit tests of controller/core/conf.c: the settings file, its errors, and its documentation. */
#include "controller/core/conf.h"
#include "tests/unit/unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];

static const char *write_file(const char *name, const char *text)
{
	static char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_conf_defaults(void)
{
	struct conf c;

	conf_defaults(&c);
	CU_ASSERT_STRING_EQUAL(c.db_path, "/var/lib/fulcrum/fulcrum.db");
	CU_ASSERT_EQUAL(c.log_level, LOG_LEVEL_INFO);
	CU_ASSERT_STRING_EQUAL(c.log_file, "");
	CU_ASSERT_STRING_EQUAL(c.node_name, "");
	CU_ASSERT_STRING_EQUAL(c.http, "127.0.0.1:8080");
	CU_ASSERT_STRING_EQUAL(c.http_tls_cert, "");
	CU_ASSERT_STRING_EQUAL(c.http_tls_key, "");
	CU_ASSERT_EQUAL(c.http_max_body, 65536);
	CU_ASSERT_EQUAL(c.http_timeout, 10);
	CU_ASSERT_STRING_EQUAL(c.web_root, "");
	CU_ASSERT_EQUAL(c.repl_mode, CONF_REPL_SYNC);
	CU_ASSERT_EQUAL(c.repl_sync_timeout, 500);
}

/* Commit modes: sync or async from the file; anything else named with the reason, nothing changed. */
static void test_conf_repl(void)
{
	struct conf c;
	char err[512] = "";
	const char *path = write_file("repl.conf", "repl_mode = async\nrepl_sync_timeout = 250\n");

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_load(&c, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.repl_mode, CONF_REPL_ASYNC);
	CU_ASSERT_STRING_EQUAL(conf_repl_mode_name(c.repl_mode), "async");
	CU_ASSERT_EQUAL(c.repl_sync_timeout, 250);
	CU_ASSERT_EQUAL(conf_set(&c, "repl_mode", "sync", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.repl_mode, CONF_REPL_SYNC);
	CU_ASSERT_STRING_EQUAL(conf_repl_mode_name(c.repl_mode), "sync");

	path = write_file("repl-bad.conf", "\nrepl_mode = semi-sync\n");
	CU_ASSERT_EQUAL(conf_load(&c, path, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: repl_mode: 'semi-sync' is not sync"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "or async"));
	CU_ASSERT_EQUAL(c.repl_mode, CONF_REPL_SYNC);
	CU_ASSERT_EQUAL(conf_set(&c, "repl_mode", "", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(conf_set(&c, "repl_mode", "SYNC", err, sizeof(err)), -EINVAL);

	CU_ASSERT_EQUAL(conf_set(&c, "repl_sync_timeout", "9", err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "repl_sync_timeout: '9' is not a number in 10..60000"));
	CU_ASSERT_EQUAL(conf_set(&c, "repl_sync_timeout", "60001", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(conf_set(&c, "repl_sync_timeout", "1s", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(c.repl_sync_timeout, 250);
	CU_ASSERT_EQUAL(conf_set(&c, "repl_sync_timeout", "60000", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "repl_sync_timeout", "10", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.repl_sync_timeout, 10);
}

static void test_conf_http_listen(void)
{
	static const char *const good[] = {"127.0.0.1:8080", "0.0.0.0:0", "[::1]:8080",
					   "[2001:db8::1]:65535", ""};
	static const char *const bad[] = {"127.0.0.1",
					  "127.0.0.1:",
					  "localhost:80",
					  "::1:8080",
					  "[::1]8080",
					  "[::1]:",
					  "1.2.3.4:65536",
					  "1.2.3.4:+80",
					  "1.2.3.4:0x50",
					  "[1.2.3.4]:80",
					  "1.2.3.4:99999999999999999999"};
	struct sockaddr_storage ss;
	socklen_t len;
	struct conf c;
	char err[256];

	conf_defaults(&c);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CU_ASSERT_EQUAL(conf_set(&c, "http", good[i], err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.http, "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(conf_set(&c, "http", bad[i], err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "http: "));
	}
	CU_ASSERT_STRING_EQUAL(c.http, "");
	CU_ASSERT_EQUAL(conf_listen_parse("[::1]:8080", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(len, sizeof(struct sockaddr_in6));
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 8080);
}

static void test_conf_numbers(void)
{
	struct conf c;
	char err[256];

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_set(&c, "http_max_body", "1048576", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.http_max_body, 1048576);
	CU_ASSERT_EQUAL(conf_set(&c, "http_max_body", "12", err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "http_max_body: '12' is not a number in 1024..16777216"));
	CU_ASSERT_EQUAL(conf_set(&c, "http_max_body", "-1", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(conf_set(&c, "http_max_body", "", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(conf_set(&c, "http_timeout", "99999999999999999999999", err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_EQUAL(conf_set(&c, "http_timeout", "0", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(c.http_max_body, 1048576);
	CU_ASSERT_EQUAL(c.http_timeout, 10);
}

static void test_conf_repl_log_retention(void)
{
	struct conf c;
	char err[256];

	conf_defaults(&c);
	CU_ASSERT_EQUAL(c.repl_log_retention, 10000);
	CU_ASSERT_EQUAL(conf_set(&c, "repl_log_retention", "0", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.repl_log_retention, 0);
	CU_ASSERT_EQUAL(conf_set(&c, "repl_log_retention", "100000000", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "repl_log_retention", "100000001", err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "repl_log_retention: '100000001' is not a number in 0..100000000"));
	CU_ASSERT_EQUAL(conf_set(&c, "repl_log_retention", "-1", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(c.repl_log_retention, 100000000);
}

static void test_conf_load_values(void)
{
	struct conf c;
	char err[512] = "";
	const char *path = write_file("good.conf", "# a comment\n"
						   "\n"
						   "db = /srv/f.db   # trailing comment\n"
						   "  log_level=debug\n"
						   "node_name = lb-a\n");

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_load(&c, path, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.db_path, "/srv/f.db");
	CU_ASSERT_EQUAL(c.log_level, LOG_LEVEL_DEBUG);
	CU_ASSERT_STRING_EQUAL(c.node_name, "lb-a");
	CU_ASSERT_STRING_EQUAL(c.log_file, "");
}

static void test_conf_unknown_setting_names_line(void)
{
	struct conf c;
	char err[512] = "", want[1100];
	const char *path = write_file("bad.conf", "db = /x.db\nlog_levle = debug\n");

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_load(&c, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: unknown setting 'log_levle'", path);
	CU_ASSERT_STRING_EQUAL(err, want);
}

static void test_conf_bad_value_names_setting(void)
{
	struct conf c;
	char err[512] = "";
	const char *path = write_file("bad2.conf", "log_level = loud\n");

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_load(&c, path, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1: log_level: 'loud' is not one of"));
	CU_ASSERT_EQUAL(c.log_level, LOG_LEVEL_INFO);
}

static void test_conf_missing_equals(void)
{
	struct conf c;
	char err[512] = "";
	const char *path = write_file("bad3.conf", "\n\ndb /x.db\n");

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_load(&c, path, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":3: expected 'name = value'"));
}

/* A NUL byte is no character of a setting: the line is refused as holding one, not called long. */
static void test_conf_nul_byte(void)
{
	static const char mid[] = "db = /x.db\nrepl_port = 7\0\0\n";
	static const char last[] = "db = /x.db\ndb = /y.db\0junk";
	struct conf c;
	char err[512] = "", path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/nul.conf", dir);
	CU_ASSERT_FATAL((f = fopen(path, "w")) != NULL);
	fwrite(mid, 1, sizeof(mid) - 1, f);
	fclose(f);
	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_load(&c, path, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nul.conf:2: holds a NUL byte"));
	/* the last line, with no newline: not cut at the NUL and taken */
	CU_ASSERT_FATAL((f = fopen(path, "w")) != NULL);
	fwrite(last, 1, sizeof(last) - 1, f);
	fclose(f);
	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_load(&c, path, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nul.conf:2: holds a NUL byte"));
	CU_ASSERT_STRING_EQUAL(c.db_path, "/x.db");
}

static void test_conf_missing_file(void)
{
	struct conf c;
	char err[512] = "", path[600];

	snprintf(path, sizeof(path), "%s/absent.conf", dir);
	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_load(&c, path, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "absent.conf"));
}

static void test_conf_string_too_long(void)
{
	struct conf c;
	char err[512] = "", big[200];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_set(&c, "node_name", big, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(c.node_name, "");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "node_name: longer than 64"));
}

/* The shipped example documents every setting, commented out, with its real default. */
static void test_conf_example_documents_every_setting(void)
{
	char path[1024], line[1024], want[512];
	const struct conf_setting *s;
	size_t n;
	struct conf from_file, defaults;
	char err[512] = "";

	snprintf(path, sizeof(path), "%s/controller/fulcrumd.conf.example", FULCRUM_SRCDIR);
	s = conf_settings(&n);
	for (size_t i = 0; i < n; i++) {
		FILE *f = fopen(path, "r");
		int found = 0;

		CU_ASSERT_FATAL(f != NULL);
		if (s[i].def[0])
			snprintf(want, sizeof(want), "# %s = %s\n", s[i].name, s[i].def);
		else
			snprintf(want, sizeof(want), "# %s =\n", s[i].name);
		while (fgets(line, sizeof(line), f))
			found |= strcmp(line, want) == 0;
		fclose(f);
		if (!found)
			fprintf(stderr, "\n  example lacks the line: %s", want);
		CU_ASSERT(found);
	}
	/* And it loads: everything in it is a comment or a valid setting. */
	conf_defaults(&from_file);
	conf_defaults(&defaults);
	CU_ASSERT_EQUAL(conf_load(&from_file, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&from_file, &defaults, sizeof(defaults)), 0);
}

static int conf_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int conf_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(conf)
{
	CU_pSuite s = CU_add_suite("conf", conf_setup, conf_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "defaults", test_conf_defaults);
	CU_add_test(s, "file values override defaults", test_conf_load_values);
	CU_add_test(s, "unknown setting names file and line", test_conf_unknown_setting_names_line);
	CU_add_test(s, "bad value names the setting", test_conf_bad_value_names_setting);
	CU_add_test(s, "line without '=' is refused", test_conf_missing_equals);
	CU_add_test(s, "http: ADDR:PORT, [v6]:PORT or empty", test_conf_http_listen);
	CU_add_test(s, "numbers: digits within bounds", test_conf_numbers);
	CU_add_test(s, "repl_mode and repl_sync_timeout", test_conf_repl);
	CU_add_test(s, "repl_log_retention: default 10000, 0 keeps all",
		    test_conf_repl_log_retention);
	CU_add_test(s, "a NUL byte names its line", test_conf_nul_byte);
	CU_add_test(s, "missing file is -ENOENT", test_conf_missing_file);
	CU_add_test(s, "over-long value refused, nothing changed", test_conf_string_too_long);
	CU_add_test(s, "example file documents every setting",
		    test_conf_example_documents_every_setting);
	return CU_get_error();
}
