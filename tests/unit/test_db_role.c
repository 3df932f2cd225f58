/* Unit tests of db/db_role.c: the role history is written, read newest first, and trimmed. */
#include "db/db.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_db_role_history(void)
{
	char dir[256], path[512], err[512];
	struct db *db = NULL;
	struct db_role_change c = {.at = 1765000000123,
				   .role = "active",
				   .previous = "standby",
				   .term = 4,
				   .peer = "ldirector1"};
	struct db_role_change *list = NULL;
	size_t n = 0;

	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/role.db", dir);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &db, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(db_role_history_list(db, 10, &list, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(list);
	snprintf(c.reason, sizeof(c.reason),
		 "peer ldirector1 silent for 312 ms, last heard seq 88120: taking the active role");
	CU_ASSERT_EQUAL(db_role_history_add(db, &c), 0);
	CU_ASSERT(c.id > 0);
	c.at += 5000;
	snprintf(c.role, sizeof(c.role), "standby");
	snprintf(c.previous, sizeof(c.previous), "active");
	snprintf(c.reason, sizeof(c.reason), "switchover requested by admin");
	CU_ASSERT_EQUAL(db_role_history_add(db, &c), 0);
	/* a role the schema does not know changes nothing */
	snprintf(c.role, sizeof(c.role), "leader");
	CU_ASSERT_EQUAL(db_role_history_add(db, &c), -EINVAL);
	CU_ASSERT_EQUAL(db_role_history_list(db, 10, &list, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(list[0].role, "standby");
	CU_ASSERT_STRING_EQUAL(list[0].reason, "switchover requested by admin");
	CU_ASSERT_STRING_EQUAL(list[1].role, "active");
	CU_ASSERT_EQUAL(list[1].at, 1765000000123);
	CU_ASSERT_EQUAL(list[1].term, 4);
	CU_ASSERT_STRING_EQUAL(list[1].peer, "ldirector1");
	free(list);
	CU_ASSERT_EQUAL(db_role_history_list(db, 1, &list, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	free(list);
	/* it moves no revision: it is not configuration */
	CU_ASSERT_EQUAL(db_revision(db), 0);
	db_close(db);
	unit_tmpdir_cleanup(dir);
}

UNIT_SUITE(db_role)
{
	CU_pSuite s = CU_add_suite("db_role", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "role changes stored, newest first, no revision", test_db_role_history);
	return CU_get_error();
}
