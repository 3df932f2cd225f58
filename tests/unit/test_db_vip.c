/* Unit tests of db/db_vip.c and schema 5: VIP rows round trip, backstops, ids, the upgrade. */
#include "controller/model/model.h"
#include "db/db.h"
#include "db/db_schema.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static char dir[512];

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

/* Runs sql on the file at path through a separate connection; its first integer, or -1. */
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

static struct fulcrum_vip vip_make(const char *addr, uint8_t prefix, const char *ifname)
{
	struct fulcrum_vip vip;

	model_vip_init(&vip);
	CU_ASSERT_EQUAL(model_addr_parse(addr, &vip.addr), 0);
	vip.prefix = prefix;
	snprintf(vip.interface, sizeof(vip.interface), "%s", ifname);
	snprintf(vip.description, sizeof(vip.description), "%s on %s ☃", addr, ifname);
	return vip;
}

static bool vip_same(const struct fulcrum_vip *a, const struct fulcrum_vip *b)
{
	return a->id == b->id && model_addr_equal(&a->addr, &b->addr) && a->prefix == b->prefix &&
	       strcmp(a->interface, b->interface) == 0 &&
	       strcmp(a->description, b->description) == 0;
}

static int count_one(const struct fulcrum_vip *vip, void *arg)
{
	int64_t *last = arg;

	CU_ASSERT(vip->id > *last); /* in id order */
	*last = vip->id;
	return 0;
}

static int stop_at_first(const struct fulcrum_vip *vip, void *arg)
{
	(void)vip;
	(*(int *)arg)++;
	return -ECANCELED;
}

static void test_db_vip_round_trip(void)
{
	struct db *db = open_ok("vip.db");
	struct fulcrum_vip in[3] = {vip_make("192.0.2.10", 24, "eth0"),
				    vip_make("2001:db8::10", 64, "bond0.100"),
				    vip_make("10.0.0.1", 32, "eth1:gw")},
			   out, *list = NULL;
	int64_t last = 0;
	size_t n = 0;
	int calls = 0;

	CU_ASSERT_EQUAL(db_vip_list(db, &list, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(list);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(db_vip_insert(db, &in[i]), 0);
		CU_ASSERT_EQUAL(in[i].id, i + 1);
		CU_ASSERT_EQUAL(db_vip_get(db, in[i].id, &out), 0);
		CU_ASSERT_TRUE(vip_same(&out, &in[i]));
	}
	CU_ASSERT_EQUAL(db_vip_find_by_addr(db, &in[1].addr, &out), 0);
	CU_ASSERT_EQUAL(out.id, in[1].id);
	CU_ASSERT_EQUAL(db_vip_list(db, &list, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_TRUE(vip_same(&list[i], &in[i]));
	free(list);
	CU_ASSERT_EQUAL(db_vip_each(db, count_one, &last), 0);
	CU_ASSERT_EQUAL(last, in[2].id);
	CU_ASSERT_EQUAL(db_vip_each(db, stop_at_first, &calls), -ECANCELED);
	CU_ASSERT_EQUAL(calls, 1);
	/* the address is stored as inet_ntop() writes it: what sqlite3 shows an operator */
	CU_ASSERT_EQUAL(side_query(db_path("vip.db"),
				   "SELECT count(*) FROM vips WHERE address = '2001:db8::10'"),
			1);
	db_close(db);
}

static void test_db_vip_update_delete(void)
{
	struct db *db = open_ok("vipud.db");
	struct fulcrum_vip a = vip_make("192.0.2.10", 24, "eth0"), out;

	CU_ASSERT_EQUAL(db_vip_insert(db, &a), 0);
	CU_ASSERT_EQUAL(model_addr_parse("2001:db8::1", &a.addr), 0);
	a.prefix = 128;
	strcpy(a.interface, "eth9");
	strcpy(a.description, "");
	CU_ASSERT_EQUAL(db_vip_update(db, &a), 0);
	CU_ASSERT_EQUAL(db_vip_get(db, a.id, &out), 0);
	CU_ASSERT_TRUE(vip_same(&out, &a));
	a.id = 99;
	CU_ASSERT_EQUAL(db_vip_update(db, &a), -ENOENT);
	CU_ASSERT_EQUAL(db_vip_delete(db, 99), -ENOENT);
	CU_ASSERT_EQUAL(db_vip_delete(db, out.id), 0);
	CU_ASSERT_EQUAL(db_vip_get(db, out.id, &out), -ENOENT);
	CU_ASSERT_EQUAL(db_vip_find_by_addr(db, &a.addr, &out), -ENOENT);
	db_close(db);
}

/* What the model refuses, the schema refuses too; one VIP per address. */
static void test_db_vip_backstops(void)
{
	struct db *db = open_ok("vipcheck.db");
	struct fulcrum_vip a = vip_make("192.0.2.10", 24, "eth0"), b;

	CU_ASSERT_EQUAL(db_vip_insert(db, &a), 0);
	b = vip_make("192.0.2.10", 32, "eth1");
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(db_errmsg(db), "UNIQUE"));
	b = vip_make("192.0.2.11", 24, "eth0");
	b.id = a.id;
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), -EEXIST); /* the id is taken */
	b.id = 0;
	b.prefix = 33;
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), -EINVAL);
	b.prefix = 0;
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), -EINVAL);
	b = vip_make("2001:db8::2", 128, "eth0");
	b.prefix = 129;
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), -EINVAL);
	b = vip_make("192.0.2.12", 24, "");
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), -EINVAL);
	b = vip_make("192.0.2.12", 24, "eth 0");
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), -EINVAL);
	b = vip_make("192.0.2.12", 24, "..");
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), -EINVAL);
	b = vip_make("192.0.2.12", 24, "eth0");
	b.addr.family = AF_UNSPEC;
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), -EINVAL); /* NOT NULL */
	b = vip_make("2001:db8::2", 64, "eth0");
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), 0);
	/* an update onto another VIP's address: the same index */
	b.addr = a.addr;
	b.prefix = 24;
	CU_ASSERT_EQUAL(db_vip_update(db, &b), -EEXIST);
	db_close(db);
}

/* A row the model cannot read (written by hand) is an error naming the column, not a guess. */
static void test_db_vip_unreadable_row(void)
{
	struct db *db = open_ok("vipbad.db");
	struct fulcrum_vip out, *list = (void *)1;
	size_t n = 9;

	db_close(db);
	side_query(db_path("vipbad.db"), "INSERT INTO vips (address, prefix, interface) VALUES "
					 "('not.an.address', 8, 'eth0')");
	db = open_ok("vipbad.db");
	CU_ASSERT_EQUAL(db_vip_get(db, 1, &out), -EBADMSG);
	CU_ASSERT_STRING_EQUAL(db_errmsg(db),
			       "VIP 1: column address holds a value Fulcrum cannot read");
	CU_ASSERT_EQUAL(db_vip_list(db, &list, &n), -EBADMSG);
	CU_ASSERT_PTR_NULL(list);
	CU_ASSERT_EQUAL(n, 0);
	db_close(db);
}

/* AUTOINCREMENT: a deleted VIP's id is never given again, not even after a restart. */
static void test_db_vip_ids_never_reused(void)
{
	struct db *db = open_ok("vipids.db");
	struct fulcrum_vip a = vip_make("192.0.2.1", 32, "eth0"),
			   b = vip_make("192.0.2.2", 32, "eth0");
	int64_t next = 0, old;

	CU_ASSERT_EQUAL(db_vip_next_id(db, &next), 0);
	CU_ASSERT_EQUAL(next, 1);
	CU_ASSERT_EQUAL(db_vip_insert(db, &a), 0);
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), 0);
	old = b.id;
	CU_ASSERT_EQUAL(db_vip_delete(db, b.id), 0); /* the newest */
	db_close(db);
	db = open_ok("vipids.db");
	CU_ASSERT_EQUAL(db_vip_next_id(db, &next), 0);
	CU_ASSERT_EQUAL(next, old + 1);
	b.id = 0;
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), 0);
	CU_ASSERT(b.id > old);
	/* an explicit id above the next moves the next past it */
	CU_ASSERT_EQUAL(db_vip_delete(db, b.id), 0);
	b.id = 40;
	CU_ASSERT_EQUAL(db_vip_insert(db, &b), 0);
	CU_ASSERT_EQUAL(db_vip_next_id(db, &next), 0);
	CU_ASSERT_EQUAL(next, 41);
	/* the sequences are apart: a VIP takes no service's id */
	CU_ASSERT_EQUAL(db_vs_next_id(db, &next), 0);
	CU_ASSERT_EQUAL(next, 1);
	db_close(db);
}

/* The change log takes rows about VIPs, and still no other kind. */
static void test_db_vip_change_log(void)
{
	struct db *db = open_ok("viplog.db");
	struct fulcrum_change *ch = NULL;
	size_t n = 0;

	CU_ASSERT_EQUAL(
	    db_change_add(db, 1, 100, "alice", FULCRUM_ORIGIN_CLI, "vip", 3, NULL, "{\"id\":3}"),
	    0);
	CU_ASSERT_EQUAL(
	    db_change_add(db, 1, 100, "alice", FULCRUM_ORIGIN_CLI, "bogus", 3, NULL, "{}"),
	    -EINVAL);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(ch[0].object_type, "vip");
	CU_ASSERT_EQUAL(ch[0].object_id, 3);
	fulcrum_change_list_free(ch, n);
	db_close(db);
}

/* A file of schema 4 with a service and its change-log rows, upgraded by db_open(). */
static void test_db_vip_upgrade_from_schema_4(void)
{
	const char *path = db_path("v4.db");
	struct fulcrum_change *ch = NULL;
	struct fulcrum_vip vip = vip_make("192.0.2.10", 24, "eth0");
	struct fulcrum_vs out;
	struct db *db;
	sqlite3 *conn;
	size_t n = 0;

	CU_ASSERT_FATAL(db_schema_count >= 5);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &conn), SQLITE_OK);
	for (size_t i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(sqlite3_exec(conn, db_schema_migrations[i].sql, NULL, NULL, NULL),
				SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(conn,
				     "INSERT INTO services (name, family, address, port, protocol, "
				     "scheduler, persistence_netmask, admin_state) VALUES ('old', "
				     "'ipv4', '192.0.2.1', 80, 'tcp', 'wlc', 32, 'enabled'); "
				     "UPDATE meta SET revision = 2; "
				     "INSERT INTO change_log VALUES (1, 1, 10, 'bob', 'http', "
				     "'service', 1, NULL, '{}'), (2, 1, 20, 'eve', 'snmp', 'real', "
				     "4, '{}', NULL); PRAGMA user_version = 4",
				     NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(conn);
	db = open_ok("v4.db");
	CU_ASSERT_EQUAL(side_query(path, "PRAGMA user_version"), db_schema_version());
	CU_ASSERT_EQUAL(db_vs_find_by_name(db, "old", &out), 0);
	CU_ASSERT_EQUAL(db_revision(db), 2);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(ch[0].actor, "bob");
	CU_ASSERT_STRING_EQUAL(ch[1].object_type, "real");
	CU_ASSERT_PTR_NULL(ch[1].after);
	CU_ASSERT_STRING_EQUAL(ch[1].before, "{}");
	fulcrum_change_list_free(ch, n);
	CU_ASSERT_EQUAL(db_vip_insert(db, &vip), 0);
	CU_ASSERT_EQUAL(
	    db_change_add(db, 3, 30, "carol", FULCRUM_ORIGIN_HTTP, "vip", vip.id, NULL, "{}"), 0);
	db_close(db);
	CU_ASSERT_EQUAL(side_query(path, "SELECT count(*) FROM change_log"), 3);
	/* the table is the one name: no copy is left behind */
	CU_ASSERT_EQUAL(side_query(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
					 "AND name LIKE 'change_log%'"),
			1);
}

static int db_vip_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int db_vip_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(db_vip)
{
	CU_pSuite s = CU_add_suite("db_vip", db_vip_setup, db_vip_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "VIPs round trip (v4, v6), in id order", test_db_vip_round_trip);
	CU_add_test(s, "VIP update and delete", test_db_vip_update_delete);
	CU_add_test(s, "UNIQUE and CHECK backstops", test_db_vip_backstops);
	CU_add_test(s, "a row the model cannot read", test_db_vip_unreadable_row);
	CU_add_test(s, "ids are never reused", test_db_vip_ids_never_reused);
	CU_add_test(s, "the change log takes VIPs", test_db_vip_change_log);
	CU_add_test(s, "a schema 4 file is upgraded, its log kept",
		    test_db_vip_upgrade_from_schema_4);
	return CU_get_error();
}
