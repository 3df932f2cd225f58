/* Unit tests of db/db_notify.c and the notify_switches table: every switch on at first, kept, refused when unknown, upgraded. */
#include "db/db.h"
#include "db/db_schema.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static char dir[256];

static const char *db_path(const char *name)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static struct db *open_ok(const char *name)
{
	char err[512] = "";
	struct db *db = NULL;
	int rc = db_open(db_path(name), &db, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "\ndb_open: %s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return db;
}

/* One number from another connection to the file, as another process would read it. */
static long long side_query(const char *path, const char *sql)
{
	sqlite3 *conn = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &conn), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(conn);
	return v;
}

static void test_db_notify_switches(void)
{
	bool on[COMMAND_NOTIFY_COUNT];
	struct db *db = open_ok("notify.db");

	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	for (size_t i = 0; i < COMMAND_NOTIFY_COUNT; i++)
		CU_ASSERT_TRUE(on[i]); /* every switch on at first */
	CU_ASSERT_EQUAL(db_notify_set(db, COMMAND_NOTIFY_VS_AVAILABILITY, false), 0);
	CU_ASSERT_EQUAL(db_notify_set(db, COMMAND_NOTIFY_COUNT, false), -EINVAL);
	db_close(db);
	db = open_ok("notify.db");
	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	CU_ASSERT_TRUE(on[COMMAND_NOTIFY_RS_STATE]);
	CU_ASSERT_FALSE(on[COMMAND_NOTIFY_VS_AVAILABILITY]);
	CU_ASSERT_EQUAL(db_notify_set(db, COMMAND_NOTIFY_VS_AVAILABILITY, true), 0);
	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	CU_ASSERT_TRUE(on[COMMAND_NOTIFY_VS_AVAILABILITY]);
	db_close(db);
	/* the schema keeps the six switches and refuses any other */
	side_query(db_path("notify.db"), "INSERT INTO notify_switches VALUES ('bogus', 1)");
	CU_ASSERT_EQUAL(side_query(db_path("notify.db"),
				   "SELECT count(*) FROM notify_switches WHERE enabled = 1"),
			6);
}

/*
 * A file of schema 6 whose role_change switch is off, upgraded by db_open():
 * the switch stays as it was set, and peer_state (schema 7) comes in on.
 */
static void test_db_upgrade_from_schema_6(void)
{
	const char *path = db_path("v6.db");
	bool on[COMMAND_NOTIFY_COUNT];
	struct db *db;
	sqlite3 *conn;

	CU_ASSERT_FATAL(db_schema_count >= 7);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &conn), SQLITE_OK);
	for (size_t i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(sqlite3_exec(conn, db_schema_migrations[i].sql, NULL, NULL, NULL),
				SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(conn,
				     "UPDATE notify_switches SET enabled = 0 WHERE name = "
				     "'role_change'; PRAGMA user_version = 6",
				     NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(conn);
	db = open_ok("v6.db");
	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	CU_ASSERT_FALSE(on[COMMAND_NOTIFY_ROLE_CHANGE]);
	CU_ASSERT_TRUE(on[COMMAND_NOTIFY_PEER_STATE]);
	CU_ASSERT_TRUE(on[COMMAND_NOTIFY_RS_STATE]);
	CU_ASSERT_EQUAL(db_notify_set(db, COMMAND_NOTIFY_PEER_STATE, false), 0);
	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	CU_ASSERT_FALSE(on[COMMAND_NOTIFY_PEER_STATE]);
	db_close(db);
	CU_ASSERT_EQUAL(side_query(path, "PRAGMA user_version"), db_schema_version());
	CU_ASSERT_EQUAL(side_query(path, "SELECT count(*) FROM notify_switches"), 6);
}

/*
 * A file of schema 7 whose peer_state switch is off, upgraded by db_open():
 * the switch stays off, and repl_state (schema 8) comes in on.
 */
static void test_db_upgrade_from_schema_7(void)
{
	const char *path = db_path("v7.db");
	bool on[COMMAND_NOTIFY_COUNT];
	struct db *db;
	sqlite3 *conn;

	CU_ASSERT_FATAL(db_schema_count >= 8);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &conn), SQLITE_OK);
	for (size_t i = 0; i < 7; i++)
		CU_ASSERT_EQUAL(sqlite3_exec(conn, db_schema_migrations[i].sql, NULL, NULL, NULL),
				SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(conn,
				     "UPDATE notify_switches SET enabled = 0 WHERE name = "
				     "'peer_state'; PRAGMA user_version = 7",
				     NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(conn);
	db = open_ok("v7.db");
	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	CU_ASSERT_FALSE(on[COMMAND_NOTIFY_PEER_STATE]);
	CU_ASSERT_TRUE(on[COMMAND_NOTIFY_REPL_STATE]);
	CU_ASSERT_TRUE(on[COMMAND_NOTIFY_ROLE_CHANGE]);
	CU_ASSERT_EQUAL(db_notify_set(db, COMMAND_NOTIFY_REPL_STATE, false), 0);
	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	CU_ASSERT_FALSE(on[COMMAND_NOTIFY_REPL_STATE]);
	CU_ASSERT_STRING_EQUAL(db_notify_name(COMMAND_NOTIFY_REPL_STATE), "repl_state");
	db_close(db);
	CU_ASSERT_EQUAL(side_query(path, "PRAGMA user_version"), db_schema_version());
	CU_ASSERT_EQUAL(side_query(path, "SELECT count(*) FROM notify_switches"), 6);
}

static int setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(db_notify)
{
	CU_pSuite s = CU_add_suite("db_notify", setup, teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "notification switches", test_db_notify_switches);
	CU_add_test(s, "a schema 6 file is upgraded (the peer state switch)",
		    test_db_upgrade_from_schema_6);
	CU_add_test(s, "a schema 7 file is upgraded (the replication state switch)",
		    test_db_upgrade_from_schema_7);
	return CU_get_error();
}
