/* Unit tests of controller/ha/ha_keys.c: the authkeys format, its refusals, the file's checks. */
#include "controller/ha/ha_keys.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[512];

/* Parses text; returns the rc, err holds the message, the keys are freed unless out is given. */
static int parse(const char *text, char *err, size_t errlen, struct ha_keys **out)
{
	struct ha_keys *k = NULL;
	int rc;

	err[0] = '\0';
	rc = ha_keys_parse(text, strlen(text), "authkeys", &k, err, errlen);
	CU_ASSERT_EQUAL(rc == 0, k != NULL);
	if (out)
		*out = k;
	else
		ha_keys_free(k);
	return rc;
}

static void test_ha_keys_parse_good(void)
{
	const char *text = "# the pair's keys\r\n"
			   "\n"
			   "   auth 2\r\n"
			   "1 hmac-sha256   some secret text # with a hash  \r\n"
			   "\t2 HMAC-SHA256 hex:000102030405060708090a0b0c0d0e0f10\n"
			   "255 hmac-sha256 base64:AAECAwQFBgcICQoLDA0ODxA=";
	const unsigned char *s;
	struct ha_keys *k;
	char err[256];
	size_t len;

	CU_ASSERT_EQUAL_FATAL(parse(text, err, sizeof(err), &k), 0);
	CU_ASSERT_EQUAL(ha_keys_send_id(k), 2);
	CU_ASSERT_EQUAL(ha_keys_count(k), 3);
	CU_ASSERT_EQUAL(ha_keys_get(k, 1, &s, &len), 0);
	CU_ASSERT_EQUAL(len, strlen("some secret text # with a hash"));
	CU_ASSERT_EQUAL(memcmp(s, "some secret text # with a hash", len), 0);
	CU_ASSERT_EQUAL(ha_keys_get(k, 2, &s, &len), 0);
	CU_ASSERT_EQUAL(len, 17);
	CU_ASSERT_EQUAL(s[0], 0);
	CU_ASSERT_EQUAL(s[16], 0x10);
	CU_ASSERT_EQUAL(ha_keys_get(k, 255, &s, &len), 0);
	CU_ASSERT_EQUAL(len, 17);
	CU_ASSERT_EQUAL(s[15], 0x0f);
	CU_ASSERT_EQUAL(ha_keys_get(k, 3, &s, &len), -ENOENT);
	CU_ASSERT_EQUAL(ha_keys_get(k, 0, &s, &len), -ENOENT);
	CU_ASSERT_EQUAL(ha_keys_get(k, 256, &s, &len), -ENOENT);
	ha_keys_free(k);
	ha_keys_free(NULL);
}

static void test_ha_keys_weak_methods(void)
{
	char err[256];

	CU_ASSERT_EQUAL(parse("auth 1\n\n1 sha1 0123456789abcdef0123\n", err, sizeof(err), NULL),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "authkeys:3: key 1: method 'sha1' is too weak: write '1 "
				    "hmac-sha256 SECRET' (a secret of at least 16 bytes)");
	CU_ASSERT_EQUAL(parse("auth 7\n7 md5 0123456789abcdef0123\n", err, sizeof(err), NULL),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: key 7: method 'md5' is too weak: write '7 "));
	CU_ASSERT_EQUAL(parse("auth 1\n1 crc\n", err, sizeof(err), NULL), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "method 'crc' is too weak"));
}

/* What a person may have pasted where a method goes is never repeated into a log. */
static void test_ha_keys_messages_never_quote_secrets(void)
{
	char err[256];

	CU_ASSERT_EQUAL(parse("auth 1\n1 hunter2hunter2hunter2\n", err, sizeof(err), NULL),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "authkeys:2: key 1: unknown method: write '1 hmac-sha256 "
				    "SECRET' (a secret of at least 16 bytes)");
	CU_ASSERT_EQUAL(parse("auth 1\nhunter2hunter2hunter2\n", err, sizeof(err), NULL), -EINVAL);
	CU_ASSERT_STRING_EQUAL(
	    err, "authkeys:2: expected 'auth N' or 'N hmac-sha256 SECRET' (N in 1..255)");
	CU_ASSERT_EQUAL(parse("auth 1\n1 hmac-sha256 short-secret\n", err, sizeof(err), NULL),
			-EINVAL);
	CU_ASSERT_PTR_NULL(strstr(err, "short-secret"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "key 1: the secret is 12 bytes, at least 16"));
}

static void test_ha_keys_refusals(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"", "authkeys: no keys: add a line '1 hmac-sha256 SECRET' and 'auth 1'"},
	    {"# nothing\n", "authkeys: no keys"},
	    {"1 hmac-sha256 0123456789abcdef\n", "authkeys: no 'auth N' line"},
	    {"auth 2\n1 hmac-sha256 0123456789abcdef\n",
	     "authkeys:1: auth 2 names no key the file lists"},
	    {"auth 1\nauth 1\n1 hmac-sha256 0123456789abcdef\n",
	     "authkeys:2: a second 'auth' line (the first is line 1)"},
	    {"auth 1 2\n", "authkeys:1: expected 'auth N', N the key to send with (1..255)"},
	    {"auth 0\n", "authkeys:1: expected 'auth N'"},
	    {"auth\n", "authkeys:1: expected 'auth N'"},
	    {"auth 1\n0 hmac-sha256 0123456789abcdef\n", "authkeys:2: expected 'auth N' or"},
	    {"auth 1\n256 hmac-sha256 0123456789abcdef\n", "authkeys:2: expected 'auth N' or"},
	    {"auth 1\n1 hmac-sha256 0123456789abcdef\n1 hmac-sha256 0123456789abcdef\n",
	     "authkeys:3: key 1 is listed twice (first on line 2)"},
	    {"auth 1\n1 hmac-sha256\n", "authkeys:2: key 1: no secret after hmac-sha256"},
	    {"auth 1\n1\n", "authkeys:2: key 1: no method: write '1 hmac-sha256 SECRET'"},
	    {"auth 1\n1 hmac-sha256 hex:0001020304050607080910111213141\n",
	     "authkeys:2: key 1: the hex: secret is not pairs of hexadecimal digits"},
	    {"auth 1\n1 hmac-sha256 hex:00010203040506070809101112131415zz\n",
	     "authkeys:2: key 1: the hex: secret is not pairs"},
	    {"auth 1\n1 hmac-sha256 hex:\n", "authkeys:2: key 1: the secret is 0 bytes"},
	    {"auth 1\n1 hmac-sha256 base64:AAECAwQFBgcICQoLDA0ODxA\n",
	     "authkeys:2: key 1: the base64: secret is not base64"},
	    {"auth 1\n1 hmac-sha256 base64:AAECAwQFBgcICQoLDA0O\n",
	     "authkeys:2: key 1: the secret is 15 bytes, at least 16 are needed"},
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(parse(cases[i].text, err, sizeof(err), NULL), -EINVAL);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0) {
			fprintf(stderr, "\n  case %zu: got '%s', want '%s...'", i, err,
				cases[i].want);
			CU_FAIL("message");
		}
	}
}

/* sodium_malloc() aligns a block's end; the keys' start must still suit their struct (UBSan). */
static void test_ha_keys_aligned(void)
{
	char text[200], err[256];

	for (size_t pad = 0; pad < 17; pad++) {
		struct ha_keys *k;

		snprintf(text, sizeof(text), "auth 1\n1 hmac-sha256 0123456789abcdef%.*s\n",
			 (int)pad, "#################");
		CU_ASSERT_EQUAL_FATAL(parse(text, err, sizeof(err), &k), 0);
		CU_ASSERT_EQUAL((uintptr_t)k % alignof(max_align_t), 0);
		ha_keys_free(k);
	}
}

static void test_ha_keys_nul_byte(void)
{
	static const char text[] = "auth 1\n1 hmac-sha256 0123456789\0abcdef\n";
	struct ha_keys *k = (struct ha_keys *)1;
	char err[256];

	CU_ASSERT_EQUAL(ha_keys_parse(text, sizeof(text) - 1, "authkeys", &k, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NULL(k);
	CU_ASSERT_STRING_EQUAL(err, "authkeys:2: a NUL byte: a key file is text");
}

static const char *write_keys(const char *name, const char *text, mode_t mode)
{
	static char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
	CU_ASSERT_EQUAL(chmod(path, mode), 0);
	return path;
}

static const char good_file[] = "auth 1\n1 hmac-sha256 0123456789abcdef0123\n";

static void test_ha_keys_load_modes(void)
{
	struct ha_keys *k = NULL;
	char err[1500], want[1500];
	const char *path;

	path = write_keys("ok", good_file, 0600);
	CU_ASSERT_EQUAL(ha_keys_load(path, &k, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(k);
	CU_ASSERT_EQUAL(ha_keys_send_id(k), 1);
	ha_keys_free(k);
	path = write_keys("ro", good_file, 0400);
	CU_ASSERT_EQUAL(ha_keys_load(path, &k, err, sizeof(err)), 0);
	ha_keys_free(k);

	path = write_keys("open", good_file, 0644);
	CU_ASSERT_EQUAL(ha_keys_load(path, &k, err, sizeof(err)), -EACCES);
	CU_ASSERT_PTR_NULL(k);
	snprintf(want, sizeof(want), "%s: mode 0644 lets others read the keys: chmod 600 %s", path,
		 path);
	CU_ASSERT_STRING_EQUAL(err, want);
	path = write_keys("gw", good_file, 0620);
	CU_ASSERT_EQUAL(ha_keys_load(path, &k, err, sizeof(err)), -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ": mode 0620 lets others change the keys: chmod 600 "));
	path = write_keys("ox", good_file, 0601);
	CU_ASSERT_EQUAL(ha_keys_load(path, &k, err, sizeof(err)), -EACCES);

	/* The loader's parse errors name the file and the line. */
	path = write_keys("weak", "auth 1\n1 sha1 0123456789abcdef0123\n", 0600);
	CU_ASSERT_EQUAL(ha_keys_load(path, &k, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: key 1: method 'sha1' is too weak", path);
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
}

static void test_ha_keys_load_file_kinds(void)
{
	struct ha_keys *k = NULL;
	char err[1500], want[1500], path[1024], link[1024];
	const char *target = write_keys("target", good_file, 0600);

	snprintf(link, sizeof(link), "%s/link", dir);
	CU_ASSERT_EQUAL_FATAL(symlink(target, link), 0);
	CU_ASSERT_EQUAL(ha_keys_load(link, &k, err, sizeof(err)), -ELOOP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ": a symbolic link: name the key file itself"));

	CU_ASSERT_EQUAL(ha_keys_load(dir, &k, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	CU_ASSERT_STRING_EQUAL(err, want);

	snprintf(path, sizeof(path), "%s/fifo", dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	CU_ASSERT_EQUAL(ha_keys_load(path, &k, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "fifo: not a regular file"));

	snprintf(path, sizeof(path), "%s/absent", dir);
	CU_ASSERT_EQUAL(ha_keys_load(path, &k, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "absent: No such file or directory"));
	CU_ASSERT_PTR_NULL(k);
}

static void test_ha_keys_load_owner_and_size(void)
{
	static char big[HA_KEYS_FILE_MAX + 2];
	struct ha_keys *k = NULL;
	char err[1500];
	const char *path;

	memset(big, '#', sizeof(big) - 1);
	path = write_keys("big", big, 0600);
	CU_ASSERT_EQUAL(ha_keys_load(path, &k, err, sizeof(err)), -EFBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "big: 65537 bytes, a key file is at most 65536"));

	path = write_keys("theirs", good_file, 0600);
	if (geteuid() != 0) {
		fprintf(stderr,
			"\n  not root: the test of a file owned by another user is skipped");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(chown(path, 65534, 65534), 0);
	CU_ASSERT_EQUAL(ha_keys_load(path, &k, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "theirs: owned by uid 65534, not by fulcrumd's uid 0: "
					   "chown 0 "));
	CU_ASSERT_PTR_NULL(k);
}

static int ha_keys_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int ha_keys_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(ha_keys)
{
	CU_pSuite s = CU_add_suite("ha_keys", ha_keys_setup, ha_keys_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "auth N, plain, hex: and base64: secrets", test_ha_keys_parse_good);
	CU_add_test(s, "sha1, md5, crc refused with what to write", test_ha_keys_weak_methods);
	CU_add_test(s, "messages never quote a secret", test_ha_keys_messages_never_quote_secrets);
	CU_add_test(s, "every refusal names the line and the reason", test_ha_keys_refusals);
	CU_add_test(s, "a NUL byte is refused", test_ha_keys_nul_byte);
	CU_add_test(s, "the keys are aligned whatever the file's length", test_ha_keys_aligned);
	CU_add_test(s, "load: group or others may not read or write", test_ha_keys_load_modes);
	CU_add_test(s, "load: no link, no directory, no FIFO", test_ha_keys_load_file_kinds);
	CU_add_test(s, "load: owned by the effective user, 64 KiB at most",
		    test_ha_keys_load_owner_and_size);
	return CU_get_error();
}
