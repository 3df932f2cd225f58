/* Unit tests of controller/core/command.c: the write path on a real SQLite file. */
#include "controller/core/command.h"
#include "controller/model/model.h"
#include "controller/model/model_json.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static char dir[512];
static const struct command_actor alice = {"alice", FULCRUM_ORIGIN_HTTP};

static struct db *open_db(const char *name)
{
	char path[1024], err[512] = "";
	struct db *db = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &db, err, sizeof(err)), 0);
	return db;
}

static struct fulcrum_vs svc(const char *name, const char *addr, uint16_t port)
{
	struct fulcrum_vs vs;

	model_vs_init(&vs);
	snprintf(vs.name, sizeof(vs.name), "%s", name);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "address", addr, NULL), 0);
	vs.port = port;
	vs.protocol = FULCRUM_PROTO_TCP;
	return vs;
}

static struct fulcrum_rs real(const char *addr, uint16_t port)
{
	struct fulcrum_rs rs;

	model_rs_init(&rs);
	CU_ASSERT_EQUAL(model_addr_parse(addr, &rs.addr), 0);
	rs.port = port;
	return rs;
}

/* What a failed command must leave exactly as it was. */
struct snap {
	int64_t rev;
	size_t nvs, nrs, nchanges;
};

static struct snap snap_take(struct db *db)
{
	struct fulcrum_vs *vs;
	struct fulcrum_rs *rs;
	struct fulcrum_change *ch;
	struct snap s;

	s.rev = db_revision(db);
	CU_ASSERT_EQUAL(db_vs_list(db, &vs, &s.nvs), 0);
	CU_ASSERT_EQUAL(db_rs_list(db, 0, &rs, &s.nrs), 0);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &ch, &s.nchanges), 0);
	free(vs);
	free(rs);
	fulcrum_change_list_free(ch, s.nchanges);
	return s;
}

static void snap_same(struct db *db, struct snap before)
{
	struct snap now = snap_take(db);

	CU_ASSERT_EQUAL(now.rev, before.rev);
	CU_ASSERT_EQUAL(now.nvs, before.nvs);
	CU_ASSERT_EQUAL(now.nrs, before.nrs);
	CU_ASSERT_EQUAL(now.nchanges, before.nchanges);
}

/* Checks that text is the JSON model_json gives for the object now stored. */
static void json_is(const char *text, json_t *want)
{
	json_t *got = text ? json_loads(text, 0, NULL) : NULL;

	CU_ASSERT_PTR_NOT_NULL(got);
	CU_ASSERT_TRUE(got && want && json_equal(got, want));
	json_decref(got);
	json_decref(want);
}

static void test_create_with_reals(void)
{
	struct db *db = open_db("create.db");
	struct fulcrum_vs vs = svc("web", "192.0.2.1", 80), stored;
	struct fulcrum_rs reals[2] = {real("10.0.0.1", 8080), real("10.0.0.2", 8080)}, got;
	struct fulcrum_change *ch;
	struct fulcrum_err err;
	int64_t rev = 0, t0 = (int64_t)time(NULL);
	size_t n;

	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &vs, reals, 2, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_NONE);
	CU_ASSERT_EQUAL(rev, 1);
	CU_ASSERT_EQUAL(db_revision(db), 1);
	CU_ASSERT(vs.id > 0);
	CU_ASSERT(reals[0].id > 0 && reals[1].id > reals[0].id);
	CU_ASSERT_EQUAL(reals[1].vs_id, vs.id);
	CU_ASSERT_EQUAL(db_vs_get(db, vs.id, &stored), 0);
	CU_ASSERT_STRING_EQUAL(stored.name, "web");
	CU_ASSERT_EQUAL(db_rs_get(db, reals[1].id, &got), 0);
	CU_ASSERT_EQUAL(got.vs_id, vs.id);
	CU_ASSERT_EQUAL(got.port, 8080);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3); /* one row per object, all of revision 1 */
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(ch[i].revision, 1);
		CU_ASSERT_STRING_EQUAL(ch[i].actor, "alice");
		CU_ASSERT_EQUAL(ch[i].origin, FULCRUM_ORIGIN_HTTP);
		CU_ASSERT_PTR_NULL(ch[i].before);
		CU_ASSERT(ch[i].time >= t0 && ch[i].time <= (int64_t)time(NULL));
	}
	CU_ASSERT_STRING_EQUAL(ch[0].object_type, "service");
	CU_ASSERT_EQUAL(ch[0].object_id, vs.id);
	json_is(ch[0].after, model_vs_to_json(&stored));
	CU_ASSERT_STRING_EQUAL(ch[2].object_type, "real");
	CU_ASSERT_EQUAL(ch[2].object_id, reals[1].id);
	json_is(ch[2].after, model_rs_to_json(&got));
	fulcrum_change_list_free(ch, n);
	db_close(db);
}

static void test_update_logs_before_and_after(void)
{
	const struct command_actor snmp = {"public@192.0.2.9", FULCRUM_ORIGIN_SNMP};
	struct db *db = open_db("update.db");
	struct fulcrum_vs vs = svc("web", "192.0.2.1", 80), old;
	struct fulcrum_rs rs = real("10.0.0.1", 8080);
	struct fulcrum_change *ch;
	int64_t rev;
	size_t n;

	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &vs, &rs, 1, 0, &rev, NULL), 0);
	old = vs;
	vs.scheduler = FULCRUM_SCHED_RR;
	strcpy(vs.description, "now round robin");
	CU_ASSERT_EQUAL(command_vs_update(db, &snmp, &vs, 1, &rev, NULL), 0);
	CU_ASSERT_EQUAL(rev, 2);
	/* the same again changes nothing: no revision, no row */
	CU_ASSERT_EQUAL(command_vs_update(db, &snmp, &vs, 0, &rev, NULL), 0);
	CU_ASSERT_EQUAL(rev, 2);
	rs.weight = 0;
	rs.admin_state = FULCRUM_RS_DRAINED;
	CU_ASSERT_EQUAL(command_rs_update(db, &snmp, &rs, 2, &rev, NULL), 0);
	CU_ASSERT_EQUAL(rev, 3);
	CU_ASSERT_EQUAL(db_change_list(db, 1, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(ch[0].revision, 2);
	CU_ASSERT_STRING_EQUAL(ch[0].actor, "public@192.0.2.9");
	CU_ASSERT_EQUAL(ch[0].origin, FULCRUM_ORIGIN_SNMP);
	json_is(ch[0].before, model_vs_to_json(&old));
	json_is(ch[0].after, model_vs_to_json(&vs));
	CU_ASSERT_EQUAL(ch[1].revision, 3);
	CU_ASSERT_STRING_EQUAL(ch[1].object_type, "real");
	CU_ASSERT_PTR_NOT_NULL(strstr(ch[1].before, "\"weight\":1,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ch[1].after, "\"weight\":0,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ch[1].after, "\"admin_state\":\"drained\""));
	fulcrum_change_list_free(ch, n);
	db_close(db);
}

static void test_delete_logs_every_object(void)
{
	struct db *db = open_db("delete.db");
	struct fulcrum_vs vs = svc("web", "192.0.2.1", 80), other = svc("api", "192.0.2.2", 80);
	struct fulcrum_rs reals[2] = {real("10.0.0.1", 80), real("10.0.0.2", 80)}, extra;
	struct fulcrum_change *ch;
	struct fulcrum_err err;
	int64_t rev;
	size_t n;

	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &vs, reals, 2, 0, &rev, NULL), 0);
	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &other, NULL, 0, 0, &rev, NULL), 0);
	extra = real("10.0.0.3", 80);
	extra.vs_id = other.id;
	CU_ASSERT_EQUAL(command_rs_create(db, &alice, &extra, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(rev, 3);
	CU_ASSERT_EQUAL(command_rs_delete(db, &alice, extra.id, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(command_vs_delete(db, &alice, vs.id, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(rev, 5);
	CU_ASSERT_EQUAL(db_rs_get(db, reals[0].id, &extra), -ENOENT);
	CU_ASSERT_EQUAL(db_change_list(db, 3, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(ch[0].revision, 4);
	CU_ASSERT_PTR_NULL(ch[0].after);
	CU_ASSERT_PTR_NOT_NULL(strstr(ch[0].before, "\"address\":\"10.0.0.3\""));
	for (size_t i = 1; i < 4; i++) {
		CU_ASSERT_EQUAL(ch[i].revision, 5);
		CU_ASSERT_PTR_NOT_NULL(ch[i].before);
		CU_ASSERT_PTR_NULL(ch[i].after);
	}
	CU_ASSERT_STRING_EQUAL(ch[1].object_type, "real");
	CU_ASSERT_EQUAL(ch[1].object_id, reals[0].id);
	CU_ASSERT_STRING_EQUAL(ch[3].object_type, "service");
	CU_ASSERT_EQUAL(ch[3].object_id, vs.id);
	fulcrum_change_list_free(ch, n);
	db_close(db);
}

/* Checks err and the return code of a refused command. */
static void refused(int rc, const struct fulcrum_err *err, enum fulcrum_err_status status,
		    const char *field)
{
	static const int codes[] = {[FULCRUM_ERR_INVALID] = -EINVAL,
				    [FULCRUM_ERR_CONFLICT] = -EEXIST,
				    [FULCRUM_ERR_NOTFOUND] = -ENOENT,
				    [FULCRUM_ERR_STALE] = -ESTALE};

	CU_ASSERT_EQUAL(rc, codes[status]);
	CU_ASSERT_EQUAL(err->status, status);
	CU_ASSERT_STRING_EQUAL(err->field, field);
	if (err->status != status || strcmp(err->field, field) != 0)
		fprintf(stderr, "\n  got %d '%s': %s\n", err->status, err->field, err->message);
}

static void test_conflicts_name_the_field(void)
{
	struct db *db = open_db("conflict.db");
	struct fulcrum_vs web = svc("web", "192.0.2.1", 80), vs, fw;
	struct fulcrum_rs rs[2] = {real("10.0.0.1", 80), real("10.0.0.1", 80)};
	struct fulcrum_err err;
	struct snap s;
	int64_t rev;

	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &web, rs, 1, 0, &rev, NULL), 0);
	model_vs_init(&fw);
	strcpy(fw.name, "fw");
	fw.fwmark = 42;
	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &fw, NULL, 0, 0, &rev, NULL), 0);
	s = snap_take(db);
	vs = svc("web", "192.0.2.2", 80);
	refused(command_vs_create(db, &alice, &vs, NULL, 0, 0, &rev, &err), &err,
		FULCRUM_ERR_CONFLICT, "name");
	CU_ASSERT_STRING_EQUAL(err.message, "service name: 'web' is taken by service 1");
	CU_ASSERT_EQUAL(vs.id, 0);
	vs = svc("web2", "192.0.2.1", 80);
	refused(command_vs_create(db, &alice, &vs, NULL, 0, 0, &rev, &err), &err,
		FULCRUM_ERR_CONFLICT, "address");
	CU_ASSERT_STRING_EQUAL(err.message, "service address: 192.0.2.1:80/tcp is already service "
					    "'web'");
	vs = fw;
	strcpy(vs.name, "fw2");
	refused(command_vs_create(db, &alice, &vs, NULL, 0, 0, &rev, &err), &err,
		FULCRUM_ERR_CONFLICT, "fwmark");
	vs = svc("web3", "192.0.2.3", 80);
	refused(command_vs_create(db, &alice, &vs, rs, 2, 0, &rev, &err), &err,
		FULCRUM_ERR_CONFLICT, "address");
	CU_ASSERT_STRING_EQUAL(err.message, "real server address: 10.0.0.1:80 is given twice for "
					    "service 'web3' (real servers 1 and 2)");
	rs[1].vs_id = web.id;
	refused(command_rs_create(db, &alice, &rs[1], 0, &rev, &err), &err, FULCRUM_ERR_CONFLICT,
		"address");
	CU_ASSERT_STRING_EQUAL(err.message, "real server address: 10.0.0.1:80 is already in "
					    "service 'web' (real server 1)");
	/* an update may not take another service's name either */
	vs = fw;
	strcpy(vs.name, "web");
	refused(command_vs_update(db, &alice, &vs, 0, &rev, &err), &err, FULCRUM_ERR_CONFLICT,
		"name");
	/* and a real server moved onto another's address:port conflicts too */
	rs[1] = real("10.0.0.9", 80);
	rs[1].vs_id = web.id;
	CU_ASSERT_EQUAL(command_rs_create(db, &alice, &rs[1], 0, &rev, &err), 0);
	s = snap_take(db);
	rs[1].addr = rs[0].addr;
	refused(command_rs_update(db, &alice, &rs[1], 0, &rev, &err), &err, FULCRUM_ERR_CONFLICT,
		"address");
	snap_same(db, s);
	db_close(db);
}

static void test_not_found_and_stale(void)
{
	struct db *db = open_db("notfound.db");
	struct fulcrum_vs vs = svc("web", "192.0.2.1", 80);
	struct fulcrum_rs rs = real("10.0.0.1", 80);
	struct fulcrum_err err;
	struct snap s;
	int64_t rev = 0;

	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &vs, NULL, 0, 0, &rev, NULL), 0);
	s = snap_take(db);
	vs.id = 77;
	refused(command_vs_update(db, &alice, &vs, 0, &rev, &err), &err, FULCRUM_ERR_NOTFOUND,
		"id");
	CU_ASSERT_STRING_EQUAL(err.message, "service 77 does not exist");
	refused(command_vs_delete(db, &alice, 77, 0, &rev, &err), &err, FULCRUM_ERR_NOTFOUND, "id");
	rs.vs_id = 77;
	refused(command_rs_create(db, &alice, &rs, 0, &rev, &err), &err, FULCRUM_ERR_NOTFOUND,
		"service_id");
	CU_ASSERT_STRING_EQUAL(err.message, "real server service_id: service 77 does not exist");
	rs.id = 5;
	refused(command_rs_update(db, &alice, &rs, 0, &rev, &err), &err, FULCRUM_ERR_NOTFOUND,
		"id");
	refused(command_rs_delete(db, &alice, 5, 0, &rev, &err), &err, FULCRUM_ERR_NOTFOUND, "id");
	vs.id = 1;
	rev = 12345;
	refused(command_vs_delete(db, &alice, vs.id, 7, &rev, &err), &err, FULCRUM_ERR_STALE, "");
	CU_ASSERT_STRING_EQUAL(err.message,
			       "revision 7 is not the current one (1): read again and retry");
	CU_ASSERT_EQUAL(rev, 12345); /* untouched on failure */
	rs.vs_id = 1;
	rs.id = 0;
	refused(command_rs_create(db, &alice, &rs, 2, &rev, &err), &err, FULCRUM_ERR_STALE, "");
	snap_same(db, s);
	CU_ASSERT_EQUAL(command_rs_create(db, &alice, &rs, 1, &rev, &err), 0); /* current: fine */
	CU_ASSERT_EQUAL(rev, 2);
	db_close(db);
}

static void test_invalid_writes_nothing(void)
{
	struct db *db = open_db("invalid.db");
	struct fulcrum_vs vs = svc("web", "192.0.2.1", 80), bad;
	struct fulcrum_rs reals[2] = {real("10.0.0.1", 80), real("10.0.0.2", 80)}, rs;
	struct fulcrum_err err;
	struct snap s;
	int64_t rev;

	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &vs, reals, 1, 0, &rev, NULL), 0);
	s = snap_take(db);
	bad = svc("web2", "192.0.2.2", 80);
	bad.persistence_netmask = 33;
	refused(command_vs_create(db, &alice, &bad, NULL, 0, 0, &rev, &err), &err,
		FULCRUM_ERR_INVALID, "persistence_netmask");
	bad = svc("web2", "192.0.2.2", 80);
	reals[1].weight = 70000;
	refused(command_vs_create(db, &alice, &bad, reals, 2, 0, &rev, &err), &err,
		FULCRUM_ERR_INVALID, "weight");
	CU_ASSERT_STRING_EQUAL(err.message, "real server weight: 70000 is outside 0..65535 (real "
					    "server 2 of 2)");
	CU_ASSERT_EQUAL(bad.id, 0);
	CU_ASSERT_EQUAL(reals[1].id, 0);
	rs = reals[0];
	rs.forwarding = FULCRUM_FWD_ROUTE;
	rs.port = 8080;
	refused(command_rs_update(db, &alice, &rs, 0, &rev, &err), &err, FULCRUM_ERR_INVALID,
		"port");
	rs = real("fd00::1", 80);
	rs.vs_id = vs.id;
	refused(command_rs_create(db, &alice, &rs, 0, &rev, &err), &err, FULCRUM_ERR_INVALID,
		"address");
	CU_ASSERT_STRING_EQUAL(err.message,
			       "real server address: fd00::1 is IPv6 but service 'web' is IPv4");
	rs = reals[0];
	rs.vs_id = vs.id + 1;
	refused(command_rs_update(db, &alice, &rs, 0, &rev, &err), &err, FULCRUM_ERR_INVALID,
		"service_id");
	snap_same(db, s);
	db_close(db);
}

static void test_service_change_keeps_reals_valid(void)
{
	struct db *db = open_db("family.db");
	struct fulcrum_vs vs = svc("web", "192.0.2.1", 80), lone = svc("lone", "192.0.2.2", 80);
	struct fulcrum_rs rs = real("10.0.0.1", 0);
	struct fulcrum_err err;
	struct snap s;
	int64_t rev;

	rs.forwarding = FULCRUM_FWD_ROUTE;
	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &vs, &rs, 1, 0, &rev, NULL), 0);
	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &lone, NULL, 0, 0, &rev, NULL), 0);
	s = snap_take(db);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "address", "2001:db8::1", NULL), 0);
	refused(command_vs_update(db, &alice, &vs, 0, &rev, &err), &err, FULCRUM_ERR_INVALID,
		"family");
	CU_ASSERT_STRING_EQUAL(err.message, "service family: real server 10.0.0.1:0 would become "
					    "invalid (real server address: 10.0.0.1 is IPv4 but "
					    "service 'web' is IPv6)");
	snap_same(db, s);
	/* a route real server on port 0 survives a port change; one on port 80 would not */
	vs = svc("web", "192.0.2.1", 8080);
	vs.id = 1;
	CU_ASSERT_EQUAL(command_vs_update(db, &alice, &vs, 0, &rev, &err), 0);
	rs.port = 8080;
	CU_ASSERT_EQUAL(command_rs_update(db, &alice, &rs, 0, &rev, &err), 0);
	s = snap_take(db);
	vs.port = 80;
	refused(command_vs_update(db, &alice, &vs, 0, &rev, &err), &err, FULCRUM_ERR_INVALID,
		"port");
	snap_same(db, s);
	/* without real servers the family may change */
	CU_ASSERT_EQUAL(model_vs_set_field(&lone, "address", "2001:db8::2", NULL), 0);
	CU_ASSERT_EQUAL(command_vs_update(db, &alice, &lone, 0, &rev, &err), 0);
	db_close(db);
}

/* A failure after the service row is written: the whole command must still vanish. */
static void test_failure_midway_leaves_no_trace(void)
{
	struct db *db = open_db("midway.db");
	struct fulcrum_vs vs = svc("web", "192.0.2.1", 80), vs2, out;
	struct fulcrum_rs reals[2] = {real("10.0.0.1", 80), real("10.0.0.2", 80)};
	struct fulcrum_err err;
	char path[1024];
	sqlite3 *side;
	struct snap s;
	int64_t rev, first_id;

	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &vs, NULL, 0, 0, &rev, NULL), 0);
	first_id = vs.id;
	snprintf(path, sizeof(path), "%s/midway.db", dir);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &side), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(side,
				     "CREATE TRIGGER boom BEFORE INSERT ON reals "
				     "WHEN NEW.description = 'boom' BEGIN SELECT RAISE(ABORT, "
				     "'disk on fire'); END",
				     NULL, NULL, NULL),
			SQLITE_OK);
	s = snap_take(db);
	vs2 = svc("api", "192.0.2.2", 80);
	strcpy(reals[1].description, "boom");
	CU_ASSERT(command_vs_create(db, &alice, &vs2, reals, 2, 0, &rev, &err) < 0);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_INTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "disk on fire"));
	CU_ASSERT_EQUAL(vs2.id, 0);
	CU_ASSERT_EQUAL(reals[0].id, 0);
	snap_same(db, s);
	CU_ASSERT_EQUAL(db_vs_find_by_name(db, "api", &out), -ENOENT);
	CU_ASSERT_EQUAL(sqlite3_exec(side, "DROP TRIGGER boom", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(side);
	/* ids go on upwards: never one that was given out before */
	CU_ASSERT_EQUAL(command_vs_delete(db, &alice, first_id, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &vs2, reals, 2, 0, &rev, &err), 0);
	CU_ASSERT(vs2.id > first_id);
	CU_ASSERT_EQUAL(rev, 3);
	db_close(db);
}

static void test_actor_is_cut_on_a_character(void)
{
	struct db *db = open_db("actor.db");
	struct fulcrum_vs vs = svc("web", "192.0.2.1", 80);
	struct command_actor who = {NULL, FULCRUM_ORIGIN_CLI};
	struct fulcrum_change *ch;
	char name[200] = "";
	size_t n;

	for (int i = 0; i < 40; i++)
		strcat(name, "é"); /* 2 bytes each: 80 bytes */
	who.name = name;
	CU_ASSERT_EQUAL(command_vs_create(db, &who, &vs, NULL, 0, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(strlen(ch[0].actor), 64);
	CU_ASSERT_EQUAL(strncmp(ch[0].actor, name, 64), 0);
	CU_ASSERT_EQUAL(ch[0].origin, FULCRUM_ORIGIN_CLI);
	fulcrum_change_list_free(ch, n);
	db_close(db);
}

/* The ids a failed command must leave as they were, beside snap_take()'s counts. */
static int str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * What a committed command says it did (its result: the commit event's body)
 * must be exactly what its change-log rows say: the same objects in the same
 * order, with the same JSON before and after, revision, time, actor, origin.
 */
static void result_is_log(struct db *db, const struct command_result *res, int64_t since)
{
	struct fulcrum_change *ch = NULL;
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(db_change_list(db, since, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL(res->n, n);
	for (size_t i = 0; i < n && i < res->n; i++) {
		const struct command_change *c = &res->changes[i];

		CU_ASSERT_EQUAL(ch[i].revision, res->revision);
		CU_ASSERT_EQUAL(ch[i].time, res->time);
		CU_ASSERT_STRING_EQUAL(ch[i].actor, res->actor);
		CU_ASSERT_EQUAL(ch[i].origin, res->origin);
		CU_ASSERT_STRING_EQUAL(ch[i].object_type, model_kind_name(c->kind));
		CU_ASSERT_EQUAL(ch[i].object_id, c->id);
		CU_ASSERT(str_same(ch[i].before, c->before));
		CU_ASSERT(str_same(ch[i].after, c->after));
		CU_ASSERT_EQUAL(c->op, !c->before  ? COMMAND_CHANGE_CREATE
				       : !c->after ? COMMAND_CHANGE_DELETE
						   : COMMAND_CHANGE_UPDATE);
	}
	if (n == 0)
		CU_ASSERT_EQUAL(res->time, 0);
	fulcrum_change_list_free(ch, n);
}

/* command_batch() as these tests call it: *rev (may be NULL) gets its revision on success. */
static int batch(struct db *db, const struct command_actor *actor, struct command_op *ops, size_t n,
		 int64_t if_revision, int64_t *rev, struct fulcrum_err *err, size_t *failed)
{
	struct command_result res = {0};
	int64_t since = db_revision(db);
	int rc = command_batch(db, actor, ops, n, if_revision, &res, err, failed);

	if (rc == 0) {
		if (rev)
			*rev = res.revision;
		result_is_log(db, &res, since);
	} else {
		CU_ASSERT_EQUAL(res.n, 0);
	}
	command_result_clear(&res);
	return rc;
}

static void next_ids(struct db *db, int64_t *vs, int64_t *rs)
{
	CU_ASSERT_EQUAL(db_vs_next_id(db, vs), 0);
	CU_ASSERT_EQUAL(db_rs_next_id(db, rs), 0);
}

static struct command_op op_vs(enum command_op_kind kind, struct fulcrum_vs vs)
{
	struct command_op op = {.kind = kind, .vs = vs};

	return op;
}

static struct command_op op_rs(enum command_op_kind kind, struct fulcrum_rs rs, int64_t vs_id)
{
	struct command_op op = {.kind = kind, .rs = rs};

	op.rs.vs_id = vs_id;
	return op;
}

static void test_batch_is_one_revision(void)
{
	struct db *db = open_db("batch.db");
	struct command_op ops[3] = {
	    op_vs(COMMAND_VS_CREATE, svc("web", "192.0.2.1", 80)),
	    op_rs(COMMAND_RS_CREATE, real("10.0.0.1", 80), 5),
	    op_rs(COMMAND_RS_CREATE, real("10.0.0.2", 80), 5),
	};
	struct fulcrum_change *ch;
	struct fulcrum_err err;
	struct fulcrum_rs got;
	int64_t rev = 0, vs_next, rs_next;
	size_t n, failed = 99;

	ops[0].vs.id = 5; /* named up front, as an SNMP index is */
	CU_ASSERT_EQUAL(batch(db, &alice, ops, 3, 0, &rev, &err, &failed), 0);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_NONE);
	CU_ASSERT_EQUAL(failed, 3);
	CU_ASSERT_EQUAL(rev, 1);
	CU_ASSERT_EQUAL(ops[0].vs.id, 5);
	CU_ASSERT_EQUAL(ops[1].rs.id, 1);
	CU_ASSERT_EQUAL(ops[2].rs.id, 2);
	CU_ASSERT_EQUAL(ops[2].rs.vs_id, 5);
	CU_ASSERT_EQUAL(db_rs_get(db, 2, &got), 0);
	CU_ASSERT_EQUAL(got.vs_id, 5);
	next_ids(db, &vs_next, &rs_next);
	CU_ASSERT_EQUAL(vs_next, 6);
	CU_ASSERT_EQUAL(rs_next, 3);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(ch[i].revision, 1);
		CU_ASSERT_PTR_NULL(ch[i].before);
	}
	CU_ASSERT_STRING_EQUAL(ch[0].object_type, "service");
	CU_ASSERT_EQUAL(ch[0].object_id, 5);
	CU_ASSERT_EQUAL(ch[2].object_id, 2);
	json_is(ch[2].after, model_rs_to_json(&got));
	fulcrum_change_list_free(ch, n);
	/* nothing at all is a command too: no revision */
	CU_ASSERT_EQUAL(batch(db, &alice, NULL, 0, 1, &rev, NULL, NULL), 0);
	CU_ASSERT_EQUAL(rev, 1);
	db_close(db);
}

static void test_batch_failure_leaves_nothing(void)
{
	struct db *db = open_db("batchfail.db");
	struct fulcrum_vs web = svc("web", "192.0.2.1", 80);
	struct fulcrum_rs rs = real("10.0.0.1", 80);
	struct command_op ops[4] = {
	    op_vs(COMMAND_VS_CREATE, svc("api", "192.0.2.2", 80)),
	    op_rs(COMMAND_RS_CREATE, real("10.0.0.2", 80), 1),
	    op_rs(COMMAND_RS_CREATE, real("10.0.0.1", 80), 1), /* web has it already */
	    {.kind = COMMAND_NOTIFY_SET, .notify = COMMAND_NOTIFY_RS_STATE, .enabled = false},
	};
	bool on[COMMAND_NOTIFY_COUNT];
	int64_t rev = 0, vs_next, rs_next, vs_now, rs_now;
	struct fulcrum_err err;
	size_t failed = 99;
	struct snap s;

	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &web, &rs, 1, 0, &rev, NULL), 0);
	s = snap_take(db);
	next_ids(db, &vs_next, &rs_next);
	refused(batch(db, &alice, ops, 4, 0, &rev, &err, &failed), &err, FULCRUM_ERR_CONFLICT,
		"address");
	CU_ASSERT_EQUAL(failed, 2);
	CU_ASSERT_STRING_EQUAL(err.message, "real server address: 10.0.0.1:80 is already in "
					    "service 'web' (real server 1)");
	CU_ASSERT_EQUAL(rev, 1);
	snap_same(db, s);
	next_ids(db, &vs_now, &rs_now);
	CU_ASSERT_EQUAL(vs_now, vs_next);
	CU_ASSERT_EQUAL(rs_now, rs_next);
	CU_ASSERT_EQUAL(ops[0].vs.id, 0); /* ops untouched */
	CU_ASSERT_EQUAL(ops[1].rs.id, 0);
	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	CU_ASSERT_TRUE(on[COMMAND_NOTIFY_RS_STATE]);
	/* the single command's checks, in a batch: an invalid field, a stale revision */
	ops[2] = op_rs(COMMAND_RS_CREATE, real("10.0.0.3", 80), 1);
	ops[2].rs.weight = 70000;
	refused(batch(db, &alice, ops, 3, 0, &rev, &err, &failed), &err, FULCRUM_ERR_INVALID,
		"weight");
	CU_ASSERT_EQUAL(failed, 2);
	refused(batch(db, &alice, ops, 1, 7, &rev, &err, &failed), &err, FULCRUM_ERR_STALE, "");
	CU_ASSERT_EQUAL(failed, 1); /* no one change at fault */
	ops[0].kind = (enum command_op_kind)42;
	refused(batch(db, &alice, ops, 1, 0, &rev, &err, &failed), &err, FULCRUM_ERR_INVALID,
		"kind");
	CU_ASSERT_EQUAL(failed, 0);
	snap_same(db, s);
	db_close(db);
}

static void test_batch_explicit_ids(void)
{
	struct db *db = open_db("batchids.db");
	struct fulcrum_vs a = svc("a", "192.0.2.1", 80), b = svc("b", "192.0.2.2", 80);
	struct fulcrum_rs r = real("10.0.0.1", 80), r2 = real("10.0.0.2", 80);
	struct command_op op;
	struct fulcrum_err err;
	int64_t rev = 0, vs_next, rs_next;
	size_t failed = 99;
	struct snap s;

	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &a, &r, 1, 0, &rev, NULL), 0);
	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &b, &r2, 1, 0, &rev, NULL), 0);
	CU_ASSERT_EQUAL(command_vs_delete(db, &alice, b.id, 0, &rev, NULL), 0);
	s = snap_take(db);
	op = op_vs(COMMAND_VS_CREATE, svc("c", "192.0.2.3", 80));
	op.vs.id = a.id;
	refused(batch(db, &alice, &op, 1, 0, &rev, &err, &failed), &err, FULCRUM_ERR_CONFLICT,
		"id");
	CU_ASSERT_STRING_EQUAL(err.message, "service id 1 exists");
	CU_ASSERT_EQUAL(failed, 0);
	op.vs.id = b.id;
	refused(batch(db, &alice, &op, 1, 0, &rev, &err, NULL), &err, FULCRUM_ERR_INVALID, "id");
	CU_ASSERT_STRING_EQUAL(err.message, "service id 2 was used before and ids are never "
					    "reused: the next free id is 3");
	op.vs.id = -4;
	refused(batch(db, &alice, &op, 1, 0, &rev, &err, NULL), &err, FULCRUM_ERR_INVALID, "id");
	op = op_rs(COMMAND_RS_CREATE, real("10.0.0.9", 80), a.id);
	op.rs.id = r2.id;
	refused(batch(db, &alice, &op, 1, 0, &rev, &err, NULL), &err, FULCRUM_ERR_INVALID, "id");
	CU_ASSERT_STRING_EQUAL(err.message, "real server id 2 was used before and ids are never "
					    "reused: the next free id is 3");
	op.rs.id = r.id;
	refused(batch(db, &alice, &op, 1, 0, &rev, &err, NULL), &err, FULCRUM_ERR_CONFLICT, "id");
	CU_ASSERT_STRING_EQUAL(err.message, "real server id 1 exists");
	snap_same(db, s);
	/* above the next id: taken as asked, and the next id moves past it */
	op.rs.id = 40;
	CU_ASSERT_EQUAL(batch(db, &alice, &op, 1, 0, &rev, &err, NULL), 0);
	CU_ASSERT_EQUAL(op.rs.id, 40);
	op = op_vs(COMMAND_VS_CREATE, svc("c", "192.0.2.3", 80));
	op.vs.id = 10;
	CU_ASSERT_EQUAL(batch(db, &alice, &op, 1, 0, &rev, &err, NULL), 0);
	CU_ASSERT_EQUAL(op.vs.id, 10);
	next_ids(db, &vs_next, &rs_next);
	CU_ASSERT_EQUAL(vs_next, 11);
	CU_ASSERT_EQUAL(rs_next, 41);
	/* the single commands take the next id, whatever id they are given */
	b = svc("d", "192.0.2.4", 80);
	b.id = 3;
	r2.id = 5;
	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &b, &r2, 1, 0, &rev, NULL), 0);
	CU_ASSERT_EQUAL(b.id, 11);
	CU_ASSERT_EQUAL(r2.id, 41);
	db_close(db);
}

static void test_batch_update_and_delete(void)
{
	struct db *db = open_db("batchmix.db");
	struct fulcrum_vs a = svc("a", "192.0.2.1", 80), b = svc("b", "192.0.2.2", 80);
	struct fulcrum_rs ra[2] = {real("10.0.0.1", 80), real("10.0.0.2", 80)};
	struct fulcrum_rs rb[2] = {real("10.0.1.1", 80), real("10.0.1.2", 80)};
	struct command_op ops[5];
	struct fulcrum_change *ch;
	struct fulcrum_err err;
	struct fulcrum_rs got;
	int64_t rev = 0;
	size_t n, failed;
	struct snap s;

	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &a, ra, 2, 0, &rev, NULL), 0);
	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &b, rb, 2, 0, &rev, NULL), 0);
	ops[0] = op_vs(COMMAND_VS_UPDATE, a);
	ops[0].vs.scheduler = FULCRUM_SCHED_RR;
	ops[1] = op_rs(COMMAND_RS_UPDATE, ra[0], 0);
	ops[1].rs.weight = 9;
	ops[2] = op_rs(COMMAND_RS_UPDATE, ra[1], a.id); /* changes nothing: no row */
	ops[3] = op_vs(COMMAND_VS_DELETE, b);
	ops[4] = op_rs(COMMAND_RS_DELETE, ra[1], 0);
	CU_ASSERT_EQUAL(batch(db, &alice, ops, 5, 2, &rev, &err, &failed), 0);
	CU_ASSERT_EQUAL(rev, 3);
	CU_ASSERT_EQUAL(db_rs_get(db, ra[0].id, &got), 0);
	CU_ASSERT_EQUAL(got.weight, 9);
	CU_ASSERT_EQUAL(db_rs_get(db, ra[1].id, &got), -ENOENT);
	CU_ASSERT_EQUAL(db_rs_get(db, rb[0].id, &got), -ENOENT);
	CU_ASSERT_EQUAL(db_change_list(db, 2, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 6); /* a, ra[0], rb[0], rb[1], b, ra[1] */
	CU_ASSERT_STRING_EQUAL(ch[0].object_type, "service");
	CU_ASSERT_PTR_NOT_NULL(ch[0].before);
	CU_ASSERT_PTR_NOT_NULL(ch[0].after);
	CU_ASSERT_EQUAL(ch[1].object_id, ra[0].id);
	CU_ASSERT_EQUAL(ch[2].object_id, rb[0].id);
	CU_ASSERT_PTR_NULL(ch[2].after);
	CU_ASSERT_EQUAL(ch[4].object_id, b.id);
	CU_ASSERT_EQUAL(ch[5].object_id, ra[1].id);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(ch[i].revision, 3);
	fulcrum_change_list_free(ch, n);
	/* updates that change nothing: no revision */
	ops[0] = op_rs(COMMAND_RS_UPDATE, ra[0], 0);
	ops[0].rs.weight = 9;
	CU_ASSERT_EQUAL(batch(db, &alice, ops, 1, 0, &rev, &err, NULL), 0);
	CU_ASSERT_EQUAL(rev, 3);
	/* a real server of a service the batch deleted is gone for the rest of it */
	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &b, rb, 1, 0, &rev, NULL), 0);
	s = snap_take(db);
	ops[0] = op_vs(COMMAND_VS_DELETE, b);
	ops[1] = op_rs(COMMAND_RS_UPDATE, rb[0], 0);
	refused(batch(db, &alice, ops, 2, 0, &rev, &err, &failed), &err, FULCRUM_ERR_NOTFOUND,
		"id");
	CU_ASSERT_EQUAL(failed, 1);
	ops[1] = op_rs(COMMAND_RS_DELETE, rb[0], 0);
	refused(batch(db, &alice, ops, 2, 0, &rev, &err, &failed), &err, FULCRUM_ERR_NOTFOUND,
		"id");
	ops[1] = op_rs(COMMAND_RS_CREATE, real("10.0.1.9", 80), b.id);
	refused(batch(db, &alice, ops, 2, 0, &rev, &err, &failed), &err, FULCRUM_ERR_NOTFOUND,
		"service_id");
	CU_ASSERT_EQUAL(failed, 1);
	snap_same(db, s);
	db_close(db);
}

static void test_batch_notify_switches(void)
{
	struct db *db = open_db("notify.db");
	struct command_op ops[2] = {
	    {.kind = COMMAND_NOTIFY_SET, .notify = COMMAND_NOTIFY_CONFIG_CHANGE, .enabled = false},
	    {.kind = COMMAND_NOTIFY_SET, .notify = COMMAND_NOTIFY_ROLE_CHANGE, .enabled = false},
	};
	bool on[COMMAND_NOTIFY_COUNT];
	struct fulcrum_err err;
	int64_t rev = -1;
	struct snap s = snap_take(db);

	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	for (size_t i = 0; i < COMMAND_NOTIFY_COUNT; i++)
		CU_ASSERT_TRUE(on[i]);
	CU_ASSERT_EQUAL(batch(db, &alice, ops, 2, 0, &rev, &err, NULL), 0);
	CU_ASSERT_EQUAL(rev, 0); /* not configuration: no revision, no change log */
	snap_same(db, s);
	db_close(db);
	db = open_db("notify.db");
	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	CU_ASSERT_TRUE(on[COMMAND_NOTIFY_RS_STATE]);
	CU_ASSERT_TRUE(on[COMMAND_NOTIFY_VS_AVAILABILITY]);
	CU_ASSERT_FALSE(on[COMMAND_NOTIFY_CONFIG_CHANGE]);
	CU_ASSERT_FALSE(on[COMMAND_NOTIFY_ROLE_CHANGE]);
	/* with a change of configuration the revision moves once, for the change */
	ops[0].enabled = true;
	ops[1] = op_vs(COMMAND_VS_CREATE, svc("web", "192.0.2.1", 80));
	CU_ASSERT_EQUAL(batch(db, &alice, ops, 2, 0, &rev, &err, NULL), 0);
	CU_ASSERT_EQUAL(rev, 1);
	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	CU_ASSERT_TRUE(on[COMMAND_NOTIFY_CONFIG_CHANGE]);
	ops[0].notify = COMMAND_NOTIFY_COUNT;
	refused(batch(db, &alice, ops, 1, 0, &rev, &err, NULL), &err, FULCRUM_ERR_INVALID,
		"notify");
	db_close(db);
}

static void test_batch_check_writes_nothing(void)
{
	struct db *db = open_db("batchcheck.db");
	struct command_op ops[3] = {
	    op_vs(COMMAND_VS_CREATE, svc("web", "192.0.2.1", 80)),
	    op_rs(COMMAND_RS_CREATE, real("10.0.0.1", 80), 1),
	    {.kind = COMMAND_NOTIFY_SET, .notify = COMMAND_NOTIFY_RS_STATE, .enabled = false},
	};
	bool on[COMMAND_NOTIFY_COUNT];
	struct fulcrum_err err;
	int64_t vs_next, rs_next;
	size_t failed = 99;
	struct snap s = snap_take(db);

	CU_ASSERT_EQUAL(command_batch_rehearse(db, &alice, ops, 3, &err, &failed), 0);
	CU_ASSERT_EQUAL(failed, 3);
	CU_ASSERT_EQUAL(ops[0].vs.id, 0);
	snap_same(db, s);
	next_ids(db, &vs_next, &rs_next);
	CU_ASSERT_EQUAL(vs_next, 1);
	CU_ASSERT_EQUAL(rs_next, 1);
	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	CU_ASSERT_TRUE(on[COMMAND_NOTIFY_RS_STATE]);
	/* a failure is reported as the batch itself would report it */
	ops[1].rs.vs_id = 2;
	refused(command_batch_rehearse(db, &alice, ops, 3, &err, &failed), &err,
		FULCRUM_ERR_NOTFOUND, "service_id");
	CU_ASSERT_EQUAL(failed, 1);
	snap_same(db, s);
	/* and the database is free for the real thing */
	ops[1].rs.vs_id = 1;
	CU_ASSERT_EQUAL(batch(db, &alice, ops, 3, 0, NULL, &err, NULL), 0);
	CU_ASSERT_EQUAL(ops[1].rs.id, 1);
	db_close(db);
}

static int command_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int command_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(command)
{
	CU_pSuite s = CU_add_suite("command", command_setup, command_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "create a service with its real servers", test_create_with_reals);
	CU_add_test(s, "update logs before and after", test_update_logs_before_and_after);
	CU_add_test(s, "delete logs every object", test_delete_logs_every_object);
	CU_add_test(s, "conflicts name the field", test_conflicts_name_the_field);
	CU_add_test(s, "not found and stale", test_not_found_and_stale);
	CU_add_test(s, "invalid input writes nothing", test_invalid_writes_nothing);
	CU_add_test(s, "a service change keeps its reals valid",
		    test_service_change_keeps_reals_valid);
	CU_add_test(s, "a failure midway leaves no trace", test_failure_midway_leaves_no_trace);
	CU_add_test(s, "the actor is cut on a character", test_actor_is_cut_on_a_character);
	CU_add_test(s, "a batch is one revision", test_batch_is_one_revision);
	CU_add_test(s, "a failed batch leaves nothing", test_batch_failure_leaves_nothing);
	CU_add_test(s, "a batch may name new ids, never old ones", test_batch_explicit_ids);
	CU_add_test(s, "a batch updates and deletes", test_batch_update_and_delete);
	CU_add_test(s, "notification switches persist, off the revision",
		    test_batch_notify_switches);
	CU_add_test(s, "a batch check writes nothing", test_batch_check_writes_nothing);
	return CU_get_error();
}
