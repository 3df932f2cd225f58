/* Unit tests of controller/core/auth.c: tokens are random, stored only as hashes, checked from memory. */
#include "controller/core/auth.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char dir[512];

static struct db *open_db(const char *name, char *path, size_t len)
{
	char err[512] = "";
	struct db *db = NULL;

	snprintf(path, len, "%s/%s", dir, name);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &db, err, sizeof(err)), 0);
	return db;
}

/* True when needle occurs anywhere in the file's bytes. */
static bool file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	static char buf[1 << 20];
	size_t n;
	bool found = false;

	CU_ASSERT_FATAL(f != NULL);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (size_t i = 0; !found && i + strlen(needle) <= n; i++)
		found = memcmp(buf + i, needle, strlen(needle)) == 0;
	return found;
}

static void test_auth_create_and_check(void)
{
	char path[1024], tok_a[AUTH_TOKEN_SIZE], tok_v[AUTH_TOKEN_SIZE], msg[256];
	struct db *db = open_db("a.db", path, sizeof(path));
	struct auth *a = NULL;
	struct auth_identity who;
	struct stat st;

	CU_ASSERT_EQUAL(auth_token_create(db, "alice", FULCRUM_ROLE_ADMIN, tok_a, msg, sizeof(msg)),
			0);
	CU_ASSERT_EQUAL(
	    auth_token_create(db, "noc.viewer", FULCRUM_ROLE_VIEWER, tok_v, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(strlen(tok_a), AUTH_TOKEN_SIZE - 1);
	CU_ASSERT_EQUAL(strncmp(tok_a, "ful_", 4), 0);
	CU_ASSERT_NOT_EQUAL(strcmp(tok_a, tok_v), 0);
	CU_ASSERT_EQUAL_FATAL(auth_open(db, &a), 0);
	CU_ASSERT_EQUAL(auth_verify(a, tok_a, &who), 0);
	CU_ASSERT_STRING_EQUAL(who.name, "alice");
	CU_ASSERT_EQUAL(who.role, FULCRUM_ROLE_ADMIN);
	CU_ASSERT_EQUAL(auth_verify(a, tok_v, &who), 0);
	CU_ASSERT_STRING_EQUAL(who.name, "noc.viewer");
	CU_ASSERT_EQUAL(who.role, FULCRUM_ROLE_VIEWER);

	/* Near misses and junk are refused. */
	tok_a[10] = tok_a[10] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(auth_verify(a, tok_a, &who), -EACCES);
	CU_ASSERT_EQUAL(auth_verify(a, "", &who), -EACCES);
	CU_ASSERT_EQUAL(auth_verify(a, NULL, &who), -EACCES);
	CU_ASSERT_EQUAL(auth_verify(a, "ful_", &who), -EACCES);

	/* The database keeps no token, and only its owner can read it. */
	db_close(db);
	db = NULL;
	CU_ASSERT(!file_contains(path, tok_v));
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0077, 0);
	auth_free(a);
}

static void test_auth_bad_names(void)
{
	char path[1024], tok[AUTH_TOKEN_SIZE], msg[256] = "";
	struct db *db = open_db("names.db", path, sizeof(path));

	CU_ASSERT_EQUAL(
	    auth_token_create(db, "has space", FULCRUM_ROLE_ADMIN, tok, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "token name"));
	CU_ASSERT_EQUAL(auth_token_create(db, "", FULCRUM_ROLE_ADMIN, tok, msg, sizeof(msg)),
			-EINVAL);
	CU_ASSERT_EQUAL(auth_token_create(db, "ok", (enum fulcrum_role)7, tok, msg, sizeof(msg)),
			-EINVAL);
	CU_ASSERT_EQUAL(auth_token_create(db, "ok", FULCRUM_ROLE_OPERATOR, tok, msg, sizeof(msg)),
			0);
	CU_ASSERT_EQUAL(auth_token_create(db, "ok", FULCRUM_ROLE_ADMIN, tok, msg, sizeof(msg)),
			-EEXIST);
	CU_ASSERT_STRING_EQUAL(msg, "token name: 'ok' is taken");
	db_close(db);
}

/* fulcrumctl writes tokens from another process: the daemon sees new ones and forgets deleted ones. */
static void test_auth_other_process(void)
{
	char path[1024], tok[AUTH_TOKEN_SIZE], msg[256], err[512];
	struct db *db = open_db("other.db", path, sizeof(path)), *ctl = NULL;
	struct auth *a = NULL;
	struct auth_identity who;

	CU_ASSERT_EQUAL_FATAL(auth_open(db, &a), 0);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &ctl, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(
	    auth_token_create(ctl, "late", FULCRUM_ROLE_OPERATOR, tok, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(auth_verify(a, tok, &who), 0);
	CU_ASSERT_EQUAL(who.role, FULCRUM_ROLE_OPERATOR);
	CU_ASSERT_EQUAL(db_token_delete(ctl, "late"), 0);
	CU_ASSERT_EQUAL(auth_verify(a, tok, &who), -EACCES);
	CU_ASSERT_EQUAL(db_token_delete(ctl, "late"), -ENOENT);
	db_close(ctl);
	auth_free(a);
	db_close(db);
}

static void test_auth_roles(void)
{
	enum fulcrum_role r;

	CU_ASSERT_EQUAL(auth_role_parse("operator", &r), 0);
	CU_ASSERT_EQUAL(r, FULCRUM_ROLE_OPERATOR);
	CU_ASSERT_EQUAL(auth_role_parse("root", &r), -EINVAL);
	CU_ASSERT_STRING_EQUAL(auth_role_name(FULCRUM_ROLE_ADMIN), "admin");
	CU_ASSERT(FULCRUM_ROLE_VIEWER < FULCRUM_ROLE_OPERATOR &&
		  FULCRUM_ROLE_OPERATOR < FULCRUM_ROLE_ADMIN);
}

static int auth_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int auth_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(auth)
{
	CU_pSuite s = CU_add_suite("auth", auth_setup, auth_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "tokens check with their name and role", test_auth_create_and_check);
	CU_add_test(s, "bad names and roles refused, names unique", test_auth_bad_names);
	CU_add_test(s, "another process's create and delete count at once",
		    test_auth_other_process);
	CU_add_test(s, "roles are ordered and named", test_auth_roles);
	return CU_get_error();
}
