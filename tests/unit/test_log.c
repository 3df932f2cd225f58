/* Unit tests of controller/lib/log.c: what reaches a log line from outside is escaped. */
#include "controller/lib/log.h"
#include "tests/unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];

/* Logs fmt's line to a file of its own and returns the file's text (malloc'ed). */
static char *logged(const char *value)
{
	char path[600];
	FILE *f;
	char *text = calloc(1, 8192);
	size_t n;

	snprintf(path, sizeof(path), "%s/log", dir);
	remove(path);
	CU_ASSERT_EQUAL_FATAL(log_init("fulcrum", LOG_TARGET_FILE, path, LOG_LEVEL_INFO), 0);
	log_info("http", "service name: '%s' is refused", value);
	log_close();
	log_init("fulcrum", LOG_TARGET_STDERR, NULL, LOG_LEVEL_INFO);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(path, "r"));
	n = fread(text, 1, 8191, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/*
 * Issue 18: the raw bytes of a refused value (a service name of bytes F4 C6
 * 7F) reached the log as they were. Bytes that are no UTF-8 and control
 * characters are written \xHH; a newline cannot forge a second line.
 */
static void test_raw_bytes_are_escaped(void)
{
	char *t = logged("\xf4\xc6\x7f");

	CU_ASSERT_PTR_NOT_NULL(strstr(t, "service name: '\\xf4\\xc6\\x7f' is refused\n"));
	free(t);
	t = logged("web\nfulcrumd[notice] daemon: a forged line");
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "'web\\x0afulcrumd[notice] daemon: a forged line'"));
	CU_ASSERT_PTR_NULL(strchr(strchr(t, '\n') + 1, '\n')); /* one line */
	free(t);
	/* what is valid UTF-8 stays as it is */
	t = logged("caf\xc3\xa9 \xe2\x9c\x93 \\d+");
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "'caf\xc3\xa9 \xe2\x9c\x93 \\d+'"));
	free(t);
	/* overlong forms and surrogates are not UTF-8 */
	t = logged("\xc0\xaf \xed\xa0\x80");
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "'\\xc0\\xaf \\xed\\xa0\\x80'"));
	free(t);
}

static int log_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int log_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(log)
{
	CU_pSuite s = CU_add_suite("log", log_setup, log_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "what comes from outside is escaped in a log line",
		    test_raw_bytes_are_escaped);
	return CU_get_error();
}
