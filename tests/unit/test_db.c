/* Unit tests of db/: opening and migrating real files, CRUD round trips, revision, change log. */
#include "controller/model/model.h"
#include "db/db.h"
#include "db/db_schema.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* A service with every field away from its default. */
static struct fulcrum_vs vs_v4(void)
{
	struct fulcrum_vs vs;

	model_vs_init(&vs);
	strcpy(vs.name, "web");
	model_addr_parse("192.0.2.10", &vs.addr);
	vs.port = 443;
	vs.protocol = FULCRUM_PROTO_TCP;
	vs.scheduler = FULCRUM_SCHED_SH;
	vs.scheduler_flags = FULCRUM_SCHED_F_FALLBACK | FULCRUM_SCHED_F_PORT;
	vs.persistence_timeout = 2592000;
	vs.persistence_netmask = 24;
	vs.admin_state = FULCRUM_VS_DISABLED;
	strcpy(vs.description, "front door ☃");
	vs.check.type = FULCRUM_CHECK_HTTPS;
	strcpy(vs.check.path, "/healthz?x=1");
	strcpy(vs.check.host, "www.example.com:8443");
	strcpy(vs.check.expect_status, "200-299,301");
	strcpy(vs.check.expect, "ok ☃");
	vs.check.verify_tls = false;
	strcpy(vs.check.command, "/bin/true a b");
	vs.check.interval = 3600;
	vs.check.timeout = 300;
	vs.check.rise = 100;
	vs.check.fall = 1;
	model_addr_parse("192.0.2.99", &vs.check.check_address);
	vs.check.check_port = 65535;
	vs.check.on_failure = FULCRUM_ON_FAILURE_REMOVE;
	model_addr_parse("192.0.2.200", &vs.fallback.addr);
	vs.fallback.port = 8080;
	vs.min_up = 65535;
	return vs;
}

static struct fulcrum_vs vs_v6(void)
{
	struct fulcrum_vs vs;

	model_vs_init(&vs);
	strcpy(vs.name, "dns6");
	model_addr_parse("2001:db8::53", &vs.addr);
	vs.family = AF_INET6;
	vs.port = 53;
	vs.protocol = FULCRUM_PROTO_UDP;
	vs.one_packet = true;
	vs.scheduler = FULCRUM_SCHED_TWOS;
	vs.persistence_netmask = 128;
	vs.check.type = FULCRUM_CHECK_EXTERNAL;
	vs.check.head = true;
	strcpy(vs.check.expect_regex, "");
	strcpy(vs.check.command, "/usr/lib/fulcrum/dns-check");
	return vs;
}

static struct fulcrum_vs vs_fwmark(void)
{
	struct fulcrum_vs vs;

	model_vs_init(&vs);
	strcpy(vs.name, "fw.mark");
	vs.fwmark = 4294967295u;
	vs.family = AF_INET6;
	vs.persistence_netmask = 64;
	vs.scheduler = FULCRUM_SCHED_MH;
	strcpy(vs.check.expect_regex, "^(ok|ready)$");
	model_addr_parse("2001:db8::99", &vs.fallback.addr);
	vs.fallback.forwarding = FULCRUM_FWD_TUNNEL;
	return vs;
}

static struct fulcrum_rs rs_make(int64_t vs_id, const char *addr, uint16_t port,
				 enum fulcrum_forwarding fwd, enum fulcrum_tunnel tun)
{
	struct fulcrum_rs rs;

	model_rs_init(&rs);
	rs.vs_id = vs_id;
	CU_ASSERT_EQUAL(model_addr_parse(addr, &rs.addr), 0);
	rs.port = port;
	rs.forwarding = fwd;
	rs.tunnel_type = tun;
	rs.tunnel_port = tun == FULCRUM_TUN_GUE ? 6080 : 0;
	rs.weight = 65535;
	rs.upper_threshold = 4294967295u;
	rs.lower_threshold = 7;
	rs.admin_state = FULCRUM_RS_DRAINED;
	snprintf(rs.description, sizeof(rs.description), "%s port %u", addr, (unsigned)port);
	return rs;
}

/* Only the fields set are compared: the others are not stored. */
static bool override_same(const struct fulcrum_check_override *a,
			  const struct fulcrum_check_override *b)
{
	uint32_t s = a->set;

	return a->set == b->set && (!(s & FULCRUM_CHECK_F_TYPE) || a->type == b->type) &&
	       (!(s & FULCRUM_CHECK_F_INTERVAL) || a->interval == b->interval) &&
	       (!(s & FULCRUM_CHECK_F_TIMEOUT) || a->timeout == b->timeout) &&
	       (!(s & FULCRUM_CHECK_F_RISE) || a->rise == b->rise) &&
	       (!(s & FULCRUM_CHECK_F_FALL) || a->fall == b->fall) &&
	       (!(s & FULCRUM_CHECK_F_CHECK_ADDRESS) ||
		model_addr_equal(&a->check_address, &b->check_address)) &&
	       (!(s & FULCRUM_CHECK_F_CHECK_PORT) || a->check_port == b->check_port) &&
	       (!(s & FULCRUM_CHECK_F_ON_FAILURE) || a->on_failure == b->on_failure) &&
	       (!(s & FULCRUM_CHECK_F_VERIFY_TLS) || a->verify_tls == b->verify_tls);
}

static bool vs_same(const struct fulcrum_vs *a, const struct fulcrum_vs *b)
{
	return unit_check_same(&a->check, &b->check) &&
	       model_addr_equal(&a->fallback.addr, &b->fallback.addr) &&
	       a->fallback.port == b->fallback.port &&
	       a->fallback.forwarding == b->fallback.forwarding && a->min_up == b->min_up &&
	       a->id == b->id && strcmp(a->name, b->name) == 0 && a->family == b->family &&
	       model_addr_equal(&a->addr, &b->addr) && a->port == b->port &&
	       a->protocol == b->protocol && a->fwmark == b->fwmark &&
	       a->scheduler == b->scheduler && a->scheduler_flags == b->scheduler_flags &&
	       a->persistence_timeout == b->persistence_timeout &&
	       a->persistence_netmask == b->persistence_netmask && a->one_packet == b->one_packet &&
	       a->admin_state == b->admin_state && strcmp(a->description, b->description) == 0;
}

static bool rs_same(const struct fulcrum_rs *a, const struct fulcrum_rs *b)
{
	return override_same(&a->check, &b->check) && a->id == b->id && a->vs_id == b->vs_id &&
	       model_addr_equal(&a->addr, &b->addr) && a->port == b->port &&
	       a->forwarding == b->forwarding && a->tunnel_type == b->tunnel_type &&
	       a->tunnel_port == b->tunnel_port && a->weight == b->weight &&
	       a->upper_threshold == b->upper_threshold &&
	       a->lower_threshold == b->lower_threshold && a->admin_state == b->admin_state &&
	       strcmp(a->description, b->description) == 0;
}

/* Runs sql on the file at path through a separate connection; returns its first integer. */
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

static void test_db_new_file(void)
{
	struct db *db = open_ok("new.db");
	struct fulcrum_vs *vs = (void *)1;
	struct fulcrum_rs *rs = (void *)1;
	struct fulcrum_change *ch = (void *)1;
	size_t n = 99;

	CU_ASSERT_EQUAL(db_revision(db), 0);
	CU_ASSERT_EQUAL(db_vs_list(db, &vs, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(vs);
	CU_ASSERT_EQUAL(db_rs_list(db, 0, &rs, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_STRING_EQUAL(db_errmsg(db), "");
	db_close(db);
	db_close(NULL);
	CU_ASSERT_EQUAL(side_query(db_path("new.db"), "PRAGMA user_version"), db_schema_version());
	CU_ASSERT(db_schema_version() >= 1);
	/* WAL and the schema persist in the file: another connection sees them */
	CU_ASSERT_EQUAL(
	    side_query(db_path("new.db"), "SELECT journal_mode = 'wal' FROM pragma_journal_mode"),
	    1);
	CU_ASSERT_EQUAL(side_query(db_path("new.db"), "SELECT count(*) FROM sqlite_master WHERE "
						      "name IN ('services','reals','change_log')"),
			3);
}

static void test_db_vs_round_trip(void)
{
	struct fulcrum_vs in[3] = {vs_v4(), vs_v6(), vs_fwmark()}, out, *list;
	struct db *db = open_ok("vs.db");
	size_t n;

	for (size_t i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(model_vs_validate(&in[i], NULL), 0);
		in[i].id = 0;
		CU_ASSERT_EQUAL(db_vs_insert(db, &in[i]), 0);
		CU_ASSERT(in[i].id > 0);
		CU_ASSERT_EQUAL(db_vs_get(db, in[i].id, &out), 0);
		CU_ASSERT_TRUE(vs_same(&in[i], &out));
		CU_ASSERT_EQUAL(db_vs_find_by_name(db, in[i].name, &out), 0);
		CU_ASSERT_EQUAL(out.id, in[i].id);
		CU_ASSERT_EQUAL(db_vs_find_by_key(db, &in[i], &out), 0);
		CU_ASSERT_EQUAL(out.id, in[i].id);
	}
	CU_ASSERT(in[0].id < in[1].id && in[1].id < in[2].id);
	CU_ASSERT_EQUAL(db_vs_list(db, &list, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (size_t i = 0; i < 3; i++)
		CU_ASSERT_TRUE(vs_same(&in[i], &list[i]));
	free(list);
	CU_ASSERT_EQUAL(db_vs_get(db, 999, &out), -ENOENT);
	CU_ASSERT_EQUAL(db_vs_find_by_name(db, "nope", &out), -ENOENT);
	/* the key is address, port, protocol and family together */
	out = in[0];
	out.protocol = FULCRUM_PROTO_UDP;
	CU_ASSERT_EQUAL(db_vs_find_by_key(db, &out, &out), -ENOENT);
	out = in[2];
	out.family = AF_INET;
	CU_ASSERT_EQUAL(db_vs_find_by_key(db, &out, &out), -ENOENT);
	db_close(db);
}

static void test_db_vs_update_delete(void)
{
	struct db *db = open_ok("vsu.db");
	struct fulcrum_vs vs = vs_v4(), out;

	CU_ASSERT_EQUAL(db_vs_insert(db, &vs), 0);
	strcpy(vs.name, "web2");
	model_addr_parse("2001:db8::1", &vs.addr);
	vs.family = AF_INET6;
	vs.port = 8443;
	vs.protocol = FULCRUM_PROTO_SCTP;
	vs.scheduler = FULCRUM_SCHED_RR;
	vs.scheduler_flags = 0;
	vs.persistence_timeout = 0;
	vs.persistence_netmask = 100;
	vs.admin_state = FULCRUM_VS_ENABLED;
	vs.description[0] = '\0';
	CU_ASSERT_EQUAL(db_vs_update(db, &vs), 0);
	CU_ASSERT_EQUAL(db_vs_get(db, vs.id, &out), 0);
	CU_ASSERT_TRUE(vs_same(&vs, &out));
	/* to a fwmark service and back: address and protocol become NULL */
	vs.addr.family = AF_UNSPEC;
	vs.port = 0;
	vs.protocol = FULCRUM_PROTO_NONE;
	vs.fwmark = 3;
	CU_ASSERT_EQUAL(db_vs_update(db, &vs), 0);
	CU_ASSERT_EQUAL(db_vs_get(db, vs.id, &out), 0);
	CU_ASSERT_TRUE(vs_same(&vs, &out));
	vs.id = 4242;
	CU_ASSERT_EQUAL(db_vs_update(db, &vs), -ENOENT);
	CU_ASSERT_EQUAL(db_vs_delete(db, out.id), 0);
	CU_ASSERT_EQUAL(db_vs_get(db, out.id, &out), -ENOENT);
	CU_ASSERT_EQUAL(db_vs_delete(db, out.id), -ENOENT);
	db_close(db);
}

static void test_db_rs_round_trip(void)
{
	struct db *db = open_ok("rs.db");
	struct fulcrum_vs v4 = vs_v4(), v6 = vs_v6(), fw = vs_fwmark();
	struct fulcrum_rs in[6], out, *list;
	size_t n;

	CU_ASSERT_EQUAL(db_vs_insert(db, &v4), 0);
	CU_ASSERT_EQUAL(db_vs_insert(db, &v6), 0);
	CU_ASSERT_EQUAL(db_vs_insert(db, &fw), 0);
	in[0] = rs_make(v4.id, "10.0.0.1", 8443, FULCRUM_FWD_MASQ, FULCRUM_TUN_NONE);
	in[1] = rs_make(v4.id, "10.0.0.2", 443, FULCRUM_FWD_ROUTE, FULCRUM_TUN_NONE);
	in[2] = rs_make(v4.id, "10.0.0.3", 0, FULCRUM_FWD_TUNNEL, FULCRUM_TUN_IPIP);
	in[3] = rs_make(v6.id, "2001:db8::1:1", 0, FULCRUM_FWD_TUNNEL, FULCRUM_TUN_GUE);
	in[4] = rs_make(v6.id, "2001:db8::1:2", 53, FULCRUM_FWD_TUNNEL, FULCRUM_TUN_GRE);
	in[5] = rs_make(fw.id, "2001:db8::2:1", 0, FULCRUM_FWD_MASQ, FULCRUM_TUN_NONE);
	in[0].check = (struct fulcrum_check_override){
	    .set = 0x1ff,
	    .type = FULCRUM_CHECK_TCP,
	    .interval = 3600,
	    .timeout = 300,
	    .rise = 1,
	    .fall = 100,
	    .check_port = 0, /* the real server's port, whatever the service's check says */
	    .on_failure = FULCRUM_ON_FAILURE_QUIESCE,
	    .verify_tls = true,
	};
	model_addr_parse("10.0.0.101", &in[0].check.check_address);
	in[3].check.set = FULCRUM_CHECK_F_CHECK_ADDRESS | FULCRUM_CHECK_F_FALL;
	model_addr_parse("2001:db8::1:99", &in[3].check.check_address);
	in[3].check.fall = 7;
	for (size_t i = 0; i < 6; i++) {
		const struct fulcrum_vs *owner = in[i].vs_id == v4.id   ? &v4
						 : in[i].vs_id == v6.id ? &v6
									: &fw;

		CU_ASSERT_EQUAL(model_rs_validate(&in[i], owner, NULL), 0);
		CU_ASSERT_EQUAL(db_rs_insert(db, &in[i]), 0);
		CU_ASSERT_EQUAL(db_rs_get(db, in[i].id, &out), 0);
		CU_ASSERT_TRUE(rs_same(&in[i], &out));
		CU_ASSERT_EQUAL(db_rs_find_by_addr(db, in[i].vs_id, &in[i].addr, in[i].port, &out),
				0);
		CU_ASSERT_EQUAL(out.id, in[i].id);
	}
	CU_ASSERT_EQUAL(db_rs_find_by_addr(db, v4.id, &in[0].addr, 1, &out), -ENOENT);
	CU_ASSERT_EQUAL(db_rs_find_by_addr(db, v6.id, &in[0].addr, in[0].port, &out), -ENOENT);
	CU_ASSERT_EQUAL(db_rs_list(db, v6.id, &list, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_TRUE(rs_same(&list[0], &in[3]));
	CU_ASSERT_TRUE(rs_same(&list[1], &in[4]));
	free(list);
	CU_ASSERT_EQUAL(db_rs_list(db, 0, &list, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 6);
	for (size_t i = 0; i < 6; i++)
		CU_ASSERT_TRUE(rs_same(&list[i], &in[i]));
	free(list);
	/* update writes every field but never moves a real server */
	out = in[1];
	out.vs_id = v6.id;
	out.forwarding = FULCRUM_FWD_MASQ;
	out.port = 9000;
	out.weight = 0;
	out.upper_threshold = 0;
	out.lower_threshold = 0;
	out.admin_state = FULCRUM_RS_DISABLED;
	strcpy(out.description, "moved?");
	out.check.set = FULCRUM_CHECK_F_ON_FAILURE | FULCRUM_CHECK_F_VERIFY_TLS;
	out.check.on_failure = FULCRUM_ON_FAILURE_REMOVE;
	out.check.verify_tls = false;
	CU_ASSERT_EQUAL(db_rs_update(db, &out), 0);
	out.vs_id = v4.id;
	CU_ASSERT_EQUAL(db_rs_get(db, out.id, &in[1]), 0);
	CU_ASSERT_TRUE(rs_same(&in[1], &out));
	/* and every override away again: the columns are NULL once more */
	out.check.set = 0;
	CU_ASSERT_EQUAL(db_rs_update(db, &out), 0);
	CU_ASSERT_EQUAL(db_rs_get(db, out.id, &in[1]), 0);
	CU_ASSERT_TRUE(rs_same(&in[1], &out));
	CU_ASSERT_EQUAL(in[1].check.set, 0);
	/* deleting a service deletes its real servers */
	CU_ASSERT_EQUAL(db_vs_delete(db, v6.id), 0);
	CU_ASSERT_EQUAL(db_rs_get(db, in[3].id, &out), -ENOENT);
	CU_ASSERT_EQUAL(db_rs_list(db, 0, &list, &n), 0);
	CU_ASSERT_EQUAL(n, 4);
	free(list);
	CU_ASSERT_EQUAL(db_rs_delete(db, in[0].id), 0);
	CU_ASSERT_EQUAL(db_rs_delete(db, in[0].id), -ENOENT);
	out = rs_make(999, "10.0.0.9", 80, FULCRUM_FWD_MASQ, FULCRUM_TUN_NONE);
	CU_ASSERT_EQUAL(db_rs_insert(db, &out), -ENOENT); /* no service 999 */
	db_close(db);
}

static void test_db_unique_and_check_backstops(void)
{
	struct db *db = open_ok("uniq.db");
	struct fulcrum_vs a = vs_v4(), b, fw = vs_fwmark();
	struct fulcrum_rs r1, r2;

	CU_ASSERT_EQUAL(db_vs_insert(db, &a), 0);
	CU_ASSERT_EQUAL(db_vs_insert(db, &fw), 0);
	b = a;
	b.id = 0; /* a new row: an id not 0 is stored as given, and a's is taken */
	strcpy(b.name, "other");
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), -EEXIST); /* same address:port/protocol */
	CU_ASSERT_PTR_NOT_NULL(strstr(db_errmsg(db), "UNIQUE"));
	b.protocol = FULCRUM_PROTO_SCTP;
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), 0);
	b = a;
	b.id = 0;
	b.port = 444;
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), -EEXIST); /* same name */
	b = fw;
	b.id = 0;
	strcpy(b.name, "fw2");
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), -EEXIST); /* same fwmark and family */
	b.family = AF_INET;
	b.persistence_netmask = 32;
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), 0);
	r1 = rs_make(a.id, "10.0.0.1", 80, FULCRUM_FWD_MASQ, FULCRUM_TUN_NONE);
	r2 = r1;
	CU_ASSERT_EQUAL(db_rs_insert(db, &r1), 0);
	CU_ASSERT_EQUAL(db_rs_insert(db, &r2), -EEXIST);
	r2.port = 81;
	CU_ASSERT_EQUAL(db_rs_insert(db, &r2), 0);
	/* what the model would refuse, the CHECK constraints refuse too */
	b = vs_v4();
	strcpy(b.name, "bad");
	b.port = 1;
	b.protocol = FULCRUM_PROTO_NONE;
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), -EINVAL);
	b = vs_v4();
	strcpy(b.name, "bad name");
	b.port = 2;
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), -EINVAL);
	r2 = rs_make(a.id, "10.0.0.5", 80, FULCRUM_FWD_ROUTE, FULCRUM_TUN_GUE);
	CU_ASSERT_EQUAL(db_rs_insert(db, &r2), -EINVAL);
	r2 = rs_make(a.id, "10.0.0.5", 80, FULCRUM_FWD_MASQ, FULCRUM_TUN_NONE);
	r2.weight = 65536;
	CU_ASSERT_EQUAL(db_rs_insert(db, &r2), -EINVAL);
	/* the check's too */
	b = vs_v4();
	strcpy(b.name, "badcheck");
	b.port = 3;
	b.check.timeout = b.check.interval;
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), -EINVAL);
	b.check.timeout = 1;
	b.check.type = FULCRUM_CHECK_EXTERNAL;
	b.check.command[0] = '\0';
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), -EINVAL);
	b = vs_v4();
	strcpy(b.name, "badfallback");
	b.port = 4;
	b.fallback.addr.family = AF_UNSPEC;
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), -EINVAL); /* a port and no address */
	r2 = rs_make(a.id, "10.0.0.6", 80, FULCRUM_FWD_MASQ, FULCRUM_TUN_NONE);
	r2.check.set = FULCRUM_CHECK_F_CHECK_ADDRESS; /* the bit, and no address: NULL */
	CU_ASSERT_EQUAL(db_rs_insert(db, &r2), -EINVAL);
	r2.check.set = 0x200;
	CU_ASSERT_EQUAL(db_rs_insert(db, &r2), -EINVAL);
	r2.check.set = FULCRUM_CHECK_F_INTERVAL;
	r2.check.interval = 0;
	CU_ASSERT_EQUAL(db_rs_insert(db, &r2), -EINVAL);
	r2.check.interval = 1;
	CU_ASSERT_EQUAL(db_rs_insert(db, &r2), 0);
	db_close(db);
}

static void test_db_ids_never_reused(void)
{
	struct db *db = open_ok("ids.db");
	struct fulcrum_vs a = vs_v4(), b = vs_v6(), c = vs_fwmark();
	struct fulcrum_rs r = rs_make(0, "10.0.0.1", 80, FULCRUM_FWD_MASQ, FULCRUM_TUN_NONE), r2;
	int64_t old_b, old_r;

	CU_ASSERT_EQUAL(db_vs_insert(db, &a), 0);
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), 0);
	r.vs_id = b.id;
	CU_ASSERT_EQUAL(db_rs_insert(db, &r), 0);
	old_b = b.id;
	old_r = r.id;
	CU_ASSERT_EQUAL(db_vs_delete(db, b.id), 0); /* the newest service and its real */
	db_close(db);
	db = open_ok("ids.db");
	CU_ASSERT_EQUAL(db_vs_insert(db, &c), 0);
	CU_ASSERT(c.id > old_b);
	r2 = rs_make(a.id, "10.0.0.1", 80, FULCRUM_FWD_MASQ, FULCRUM_TUN_NONE);
	CU_ASSERT_EQUAL(db_rs_insert(db, &r2), 0);
	CU_ASSERT(r2.id > old_r);
	db_close(db);
}

static void test_db_transactions(void)
{
	struct db *db = open_ok("txn.db");
	struct fulcrum_vs a = vs_v4(), b = vs_v6(), out;
	int64_t rev = -1;

	CU_ASSERT_EQUAL(db_rollback(db), 0); /* nothing open: a no-op */
	CU_ASSERT_EQUAL(db_begin(db), 0);
	CU_ASSERT_EQUAL(db_vs_insert(db, &a), 0);
	CU_ASSERT_EQUAL(db_revision_bump(db, &rev), 0);
	CU_ASSERT_EQUAL(rev, 1);
	CU_ASSERT_EQUAL(db_rollback(db), 0);
	CU_ASSERT_EQUAL(db_vs_get(db, a.id, &out), -ENOENT);
	CU_ASSERT_EQUAL(db_revision(db), 0);
	CU_ASSERT_EQUAL(db_begin(db), 0);
	CU_ASSERT(db_begin(db) < 0); /* no nesting */
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), 0);
	CU_ASSERT_EQUAL(db_revision_bump(db, &rev), 0);
	CU_ASSERT_EQUAL(db_commit(db), 0);
	CU_ASSERT_EQUAL(db_revision(db), 1);
	CU_ASSERT_EQUAL(db_vs_get(db, b.id, &out), 0);
	CU_ASSERT(db_commit(db) < 0); /* nothing to commit */
	/* WAL: a writer does not block readers on another connection */
	{
		struct db *other = open_ok("txn.db");

		CU_ASSERT_EQUAL(db_begin(db), 0);
		CU_ASSERT_EQUAL(db_revision(other), 1);
		db_close(other);
		CU_ASSERT_EQUAL(db_rollback(db), 0);
	}
	db_close(db);
}

static void test_db_change_log(void)
{
	struct db *db = open_ok("log.db");
	struct fulcrum_change *ch;
	char actor[80];
	size_t n;
	int64_t rev;

	CU_ASSERT_EQUAL(db_revision_bump(db, &rev), 0);
	CU_ASSERT_EQUAL(rev, 1);
	CU_ASSERT_EQUAL(db_change_add(db, 1, 1700000000, "alice", FULCRUM_ORIGIN_HTTP, "service", 5,
				      NULL, "{\"id\":5}"),
			0);
	CU_ASSERT_EQUAL(db_change_add(db, 1, 1700000000, "alice", FULCRUM_ORIGIN_HTTP, "real", 9,
				      NULL, "{\"id\":9}"),
			0);
	CU_ASSERT_EQUAL(db_revision_bump(db, &rev), 0);
	CU_ASSERT_EQUAL(db_change_add(db, 2, 1700000060, "public@192.0.2.1", FULCRUM_ORIGIN_SNMP,
				      "real", 9, "{\"id\":9}", NULL),
			0);
	CU_ASSERT_EQUAL(db_change_add(db, 2, 1, "x", FULCRUM_ORIGIN_CLI, "real", 9, NULL, NULL),
			-EINVAL); /* neither before nor after */
	CU_ASSERT_EQUAL(db_change_add(db, 2, 1, "x", FULCRUM_ORIGIN_CLI, "pool", 9, NULL, "{}"),
			-EINVAL); /* no such kind of object */
	memset(actor, 'a', sizeof(actor) - 1);
	actor[sizeof(actor) - 1] = '\0';
	CU_ASSERT_EQUAL(db_change_add(db, 2, 1, actor, FULCRUM_ORIGIN_CLI, "real", 9, NULL, "{}"),
			-EINVAL);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(ch[0].revision, 1);
	CU_ASSERT_STRING_EQUAL(ch[0].object_type, "service"); /* in the order written */
	CU_ASSERT_EQUAL(ch[0].object_id, 5);
	CU_ASSERT_STRING_EQUAL(ch[1].object_type, "real");
	CU_ASSERT_PTR_NULL(ch[1].before);
	CU_ASSERT_STRING_EQUAL(ch[1].after, "{\"id\":9}");
	CU_ASSERT_EQUAL(ch[2].revision, 2);
	CU_ASSERT_EQUAL(ch[2].time, 1700000060);
	CU_ASSERT_STRING_EQUAL(ch[2].actor, "public@192.0.2.1");
	CU_ASSERT_EQUAL(ch[2].origin, FULCRUM_ORIGIN_SNMP);
	CU_ASSERT_STRING_EQUAL(ch[2].before, "{\"id\":9}");
	CU_ASSERT_PTR_NULL(ch[2].after);
	fulcrum_change_list_free(ch, n);
	CU_ASSERT_EQUAL(db_change_list(db, 1, 0, &ch, &n), 0); /* after revision 1 */
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ch[0].revision, 2);
	fulcrum_change_list_free(ch, n);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 2, &ch, &n), 0); /* at most 2 */
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(ch[1].object_id, 9);
	fulcrum_change_list_free(ch, n);
	/* What changed, without the rest: the same rows, in the same order. */
	CU_ASSERT_EQUAL(db_change_objects(db, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(ch[0].revision, 1);
	CU_ASSERT_STRING_EQUAL(ch[0].object_type, "service");
	CU_ASSERT_EQUAL(ch[0].object_id, 5);
	CU_ASSERT_STRING_EQUAL(ch[1].object_type, "real");
	CU_ASSERT_EQUAL(ch[2].revision, 2);
	CU_ASSERT_EQUAL(ch[2].object_id, 9);
	CU_ASSERT_PTR_NULL(ch[2].before);
	fulcrum_change_list_free(ch, n);
	CU_ASSERT_EQUAL(db_change_objects(db, 2, &ch, &n), 0); /* nothing after the last */
	CU_ASSERT_EQUAL(n, 0);
	fulcrum_change_list_free(ch, n);
	fulcrum_change_list_free(NULL, 0);
	db_close(db);
}

static void test_db_reopen_keeps_everything(void)
{
	struct db *db = open_ok("reopen.db");
	struct fulcrum_vs vs = vs_v4(), *list;
	struct fulcrum_rs rs, *rlist;
	struct fulcrum_change *ch;
	size_t n;
	int64_t rev;

	CU_ASSERT_EQUAL(db_begin(db), 0);
	CU_ASSERT_EQUAL(db_vs_insert(db, &vs), 0);
	rs = rs_make(vs.id, "10.0.0.1", 443, FULCRUM_FWD_ROUTE, FULCRUM_TUN_NONE);
	CU_ASSERT_EQUAL(db_rs_insert(db, &rs), 0);
	CU_ASSERT_EQUAL(db_revision_bump(db, &rev), 0);
	CU_ASSERT_EQUAL(
	    db_change_add(db, rev, 5, "bob", FULCRUM_ORIGIN_IMPORT, "service", vs.id, NULL, "{}"),
	    0);
	CU_ASSERT_EQUAL(db_commit(db), 0);
	db_close(db);
	db = open_ok("reopen.db");
	CU_ASSERT_EQUAL(db_revision(db), 1);
	CU_ASSERT_EQUAL(db_vs_list(db, &list, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_TRUE(vs_same(&list[0], &vs));
	free(list);
	CU_ASSERT_EQUAL(db_rs_list(db, vs.id, &rlist, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_TRUE(rs_same(&rlist[0], &rs));
	free(rlist);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(ch[0].actor, "bob");
	CU_ASSERT_EQUAL(ch[0].origin, FULCRUM_ORIGIN_IMPORT);
	fulcrum_change_list_free(ch, n);
	db_close(db);
}

static void test_db_newer_schema_refused(void)
{
	const char *path = db_path("newer.db");
	char err[512], want[1200], sql[128];
	int newer = db_schema_version() + 1; /* the nearest version this build must refuse */
	struct db *db = (void *)1;
	sqlite3 *conn;

	snprintf(sql, sizeof(sql), "CREATE TABLE future (x); PRAGMA user_version = %d", newer);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &conn), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(conn, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(conn);
	CU_ASSERT_EQUAL(db_open(path, &db, err, sizeof(err)), -ENOTSUP);
	CU_ASSERT_PTR_NULL(db);
	snprintf(want, sizeof(want),
		 "database %s has schema version %d, newer than this Fulcrum (knows up to %d): "
		 "upgrade Fulcrum",
		 path, newer, db_schema_version());
	CU_ASSERT_STRING_EQUAL(err, want);
	/* untouched: same version, still in its old journal mode, no tables of ours */
	CU_ASSERT_EQUAL(side_query(path, "PRAGMA user_version"), newer);
	CU_ASSERT_EQUAL(side_query(path, "SELECT journal_mode = 'delete' FROM pragma_journal_mode"),
			1);
	CU_ASSERT_EQUAL(side_query(path, "SELECT count(*) FROM sqlite_master"), 1);
}

static void test_db_garbage_refused(void)
{
	const char *path = db_path("garbage.db");
	char err[512], want[1100];
	struct db *db = (void *)1;
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database, it is a shopping list\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(db_open(path, &db, err, sizeof(err)), -EBADMSG);
	CU_ASSERT_PTR_NULL(db);
	snprintf(want, sizeof(want), "database %s: not a SQLite database", path);
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
	if (strncmp(err, want, strlen(want)) != 0)
		fprintf(stderr, "\n%s\n", err);
	/* and a path that cannot be created names itself too */
	snprintf(want, sizeof(want), "%s/no/such/dir/x.db", dir);
	CU_ASSERT(db_open(want, &db, err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	CU_ASSERT(db_open(want, &db, NULL, 0) < 0); /* no error buffer is fine */
}

static void test_db_next_ids_and_explicit_ids(void)
{
	struct db *db = open_ok("next.db");
	struct fulcrum_vs a = vs_v4(), b = vs_v6(), c = vs_fwmark();
	struct fulcrum_rs r = rs_make(0, "10.0.0.1", 80, FULCRUM_FWD_MASQ, FULCRUM_TUN_NONE);
	int64_t next = 0;

	CU_ASSERT_EQUAL(db_vs_next_id(db, &next), 0);
	CU_ASSERT_EQUAL(next, 1); /* nothing ever stored */
	CU_ASSERT_EQUAL(db_rs_next_id(db, &next), 0);
	CU_ASSERT_EQUAL(next, 1);
	a.id = 7; /* an explicit id is stored as given, and the sequence follows it */
	CU_ASSERT_EQUAL(db_vs_insert(db, &a), 0);
	CU_ASSERT_EQUAL(a.id, 7);
	CU_ASSERT_EQUAL(db_vs_next_id(db, &next), 0);
	CU_ASSERT_EQUAL(next, 8);
	CU_ASSERT_EQUAL(db_vs_insert(db, &b), 0);
	CU_ASSERT_EQUAL(b.id, 8);
	c.id = 7;
	CU_ASSERT_EQUAL(db_vs_insert(db, &c), -EEXIST);
	r.vs_id = a.id;
	r.id = 30;
	CU_ASSERT_EQUAL(db_rs_insert(db, &r), 0);
	CU_ASSERT_EQUAL(db_rs_next_id(db, &next), 0);
	CU_ASSERT_EQUAL(next, 31);
	/* deleting does not lower it; a rolled-back insert leaves it as it was */
	CU_ASSERT_EQUAL(db_vs_delete(db, b.id), 0);
	CU_ASSERT_EQUAL(db_begin(db), 0);
	c.id = 0;
	CU_ASSERT_EQUAL(db_vs_insert(db, &c), 0);
	CU_ASSERT_EQUAL(c.id, 9);
	CU_ASSERT_EQUAL(db_vs_next_id(db, &next), 0);
	CU_ASSERT_EQUAL(next, 10); /* inside the transaction: counts its inserts */
	CU_ASSERT_EQUAL(db_rollback(db), 0);
	CU_ASSERT_EQUAL(db_vs_next_id(db, &next), 0);
	CU_ASSERT_EQUAL(next, 9);
	db_close(db);
}

/* A file of schema 2, with a service in it, upgraded by db_open(). */
static void test_db_upgrade_from_schema_2(void)
{
	const char *path = db_path("v2.db");
	struct fulcrum_vs out;
	bool on[COMMAND_NOTIFY_COUNT];
	struct db *db;
	sqlite3 *conn;

	CU_ASSERT_FATAL(db_schema_count >= 3);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &conn), SQLITE_OK);
	for (size_t i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(sqlite3_exec(conn, db_schema_migrations[i].sql, NULL, NULL, NULL),
				SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(conn,
				     "INSERT INTO services (name, family, address, port, protocol, "
				     "scheduler, persistence_netmask, admin_state) VALUES ('old', "
				     "'ipv4', '192.0.2.1', 80, 'tcp', 'wlc', 32, 'enabled'); "
				     "PRAGMA user_version = 2",
				     NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(conn);
	db = open_ok("v2.db");
	CU_ASSERT_EQUAL(db_vs_find_by_name(db, "old", &out), 0);
	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	for (size_t i = 0; i < COMMAND_NOTIFY_COUNT; i++)
		CU_ASSERT_TRUE(on[i]);
	db_close(db);
	CU_ASSERT_EQUAL(side_query(path, "PRAGMA user_version"), db_schema_version());
	CU_ASSERT_EQUAL(side_query(path, "SELECT count(*) FROM notify_switches"), 6);
}

/*
 * A file of schema 3, with a service and a real server in it, upgraded by
 * db_open(): they come out with the model's default check, no fallback,
 * min_up 0 and no override, and every new column then round-trips.
 */
static void test_db_upgrade_from_schema_3(void)
{
	const char *path = db_path("v3.db");
	struct fulcrum_vs out, want;
	struct fulcrum_rs rs, rwant;
	struct db *db;
	sqlite3 *conn;

	CU_ASSERT_FATAL(db_schema_count >= 4);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &conn), SQLITE_OK);
	for (size_t i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(sqlite3_exec(conn, db_schema_migrations[i].sql, NULL, NULL, NULL),
				SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(conn,
				     "INSERT INTO services (name, family, address, port, protocol, "
				     "scheduler, persistence_netmask, admin_state) VALUES ('old', "
				     "'ipv4', '192.0.2.1', 80, 'tcp', 'wlc', 32, 'enabled'); "
				     "INSERT INTO reals (service_id, address, port, forwarding, "
				     "weight, admin_state) VALUES (1, '10.0.0.1', 8080, 'masq', 1, "
				     "'enabled'); PRAGMA user_version = 3",
				     NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(conn);
	db = open_ok("v3.db");
	CU_ASSERT_EQUAL(side_query(path, "PRAGMA user_version"), db_schema_version());
	CU_ASSERT_EQUAL_FATAL(db_vs_find_by_name(db, "old", &out), 0);
	model_vs_init(&want);
	CU_ASSERT_TRUE(unit_check_same(&out.check, &want.check));
	CU_ASSERT_EQUAL(out.fallback.addr.family, AF_UNSPEC);
	CU_ASSERT_EQUAL(out.min_up, 0);
	CU_ASSERT_EQUAL(model_vs_validate(&out, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(db_rs_get(db, 1, &rs), 0);
	CU_ASSERT_EQUAL(rs.check.set, 0);
	CU_ASSERT_EQUAL(model_rs_validate(&rs, &out, NULL), 0);
	/* the upgraded rows take every new field */
	want = vs_v4();
	want.id = out.id;
	strcpy(want.name, "old");
	CU_ASSERT_EQUAL(db_vs_update(db, &want), 0);
	CU_ASSERT_EQUAL(db_vs_get(db, out.id, &out), 0);
	CU_ASSERT_TRUE(vs_same(&out, &want));
	rwant = rs;
	rwant.check.set = FULCRUM_CHECK_F_TYPE | FULCRUM_CHECK_F_RISE;
	rwant.check.type = FULCRUM_CHECK_HTTP;
	rwant.check.rise = 3;
	CU_ASSERT_EQUAL(db_rs_update(db, &rwant), 0);
	CU_ASSERT_EQUAL(db_rs_get(db, rs.id, &rs), 0);
	CU_ASSERT_TRUE(rs_same(&rs, &rwant));
	db_close(db);
	CU_ASSERT_EQUAL(side_query(path, "SELECT check_type = 'http' AND check_rise = 3 AND "
					 "check_interval IS NULL FROM reals WHERE id = 1"),
			1);
}

/*
 * Forks a process that waits until every copy of gate[1] is closed (the
 * parent's barrier), opens path with db_open() and, when token is 0 or more,
 * stores the token "racer-<token>". It exits 0 when all of that succeeded;
 * else it writes the message, which names the file, to report and exits 1.
 * It ends with exit(), not _exit(), so that the libraries' destructors free
 * what they hold and valgrind finds nothing lost in it. Returns its pid, or -1.
 */
static pid_t opener_start(const char *path, int token, const int gate[2], int report)
{
	char err[512] = "", c;
	struct db_token t = {.created = 1};
	struct db *db = NULL;
	pid_t pid;
	int rc;

	fflush(NULL); /* what CUnit has buffered is printed once, by the parent */
	pid = fork();
	if (pid != 0)
		return pid;
	close(gate[1]);
	if (read(gate[0], &c, 1) != 0)
		exit(2);
	rc = db_open(path, &db, err, sizeof(err));
	if (rc == 0 && token >= 0) {
		snprintf(t.name, sizeof(t.name), "racer-%d", token);
		strcpy(t.role, "viewer");
		snprintf(t.hash, sizeof(t.hash), "%064d", token);
		rc = db_token_insert(db, &t);
		if (rc != 0)
			snprintf(err, sizeof(err), "token %s: %s", t.name, db_errmsg(db));
	}
	db_close(db);
	if (rc != 0)
		dprintf(report, "%s\n", err);
	exit(rc == 0 ? 0 : 1);
}

/* Waits for the child pid; whether it exited 0. */
static bool exited_ok(pid_t pid)
{
	int status = 0;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * The moment of that race made still: another process holds the write lock of
 * the new file (as one that is switching it to WAL does) when db_open() comes
 * to switch it too. db_open() waits for it and succeeds.
 */
static void test_db_new_file_waits_for_a_writer(void)
{
	const char *path = db_path("held.db");
	sqlite3 *conn = NULL;
	int gate[2];
	pid_t pid;

	CU_ASSERT_FATAL(pipe(gate) == 0);
	/* before the parent opens the file: SQLite's locks must not cross a fork */
	pid = opener_start(path, -1, gate, STDERR_FILENO);
	CU_ASSERT_FATAL(pid > 0);
	close(gate[0]);
	CU_ASSERT_EQUAL(sqlite3_open(path, &conn), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(conn, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	close(gate[1]); /* the child opens now, and finds the file locked */
	usleep(300 * 1000);
	CU_ASSERT_EQUAL(sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(conn);
	CU_ASSERT(exited_ok(pid));
	CU_ASSERT_EQUAL(side_query(path, "PRAGMA user_version"), db_schema_version());
	CU_ASSERT_EQUAL(side_query(path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"),
			1);
}

/* PRAGMA data_version on conn: it moves when another connection commits. */
static long long data_version(sqlite3 *conn)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;

	CU_ASSERT_EQUAL(sqlite3_prepare_v2(conn, "PRAGMA data_version", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * The other half of that race: db_open() read an empty file, and another
 * process created the schema before db_open() could. It waits for that
 * process, takes the schema as it finds it and writes nothing: a fulcrumd
 * that created the file does not see another's commit and reload.
 */
static void test_db_schema_created_once(void)
{
	const char *path = db_path("once.db");
	long long before, after;
	sqlite3 *conn = NULL;
	int gate[2];
	char sql[64];
	pid_t pid;

	CU_ASSERT_FATAL(pipe(gate) == 0);
	pid = opener_start(path, -1, gate, STDERR_FILENO);
	CU_ASSERT_FATAL(pid > 0);
	close(gate[0]);
	CU_ASSERT_EQUAL(sqlite3_open(path, &conn), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(conn, "PRAGMA journal_mode = WAL", NULL, NULL, NULL),
			SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(conn, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (size_t i = 0; i < db_schema_count; i++)
		CU_ASSERT_EQUAL(sqlite3_exec(conn, db_schema_migrations[i].sql, NULL, NULL, NULL),
				SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", db_schema_version());
	CU_ASSERT_EQUAL(sqlite3_exec(conn, sql, NULL, NULL, NULL), SQLITE_OK);
	close(gate[1]); /* the child reads version 0, then waits for the write lock */
	usleep(300 * 1000);
	CU_ASSERT_EQUAL(sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	before = data_version(conn);
	CU_ASSERT(exited_ok(pid));
	after = data_version(conn);
	CU_ASSERT_EQUAL(after, before);
	sqlite3_close(conn);
	CU_ASSERT_EQUAL(side_query(path, "PRAGMA user_version"), db_schema_version());
}

/*
 * Two processes meet in the race most often (a third of the rounds failed
 * before issue 18 was fixed, on two cores); eight, as at a first start with
 * scripts around it, every third round.
 */
#define RACE_PROCS_MAX 8
#define RACE_ROUNDS    24

/*
 * Issue 18: processes that open the same new file at the same moment
 * (fulcrumd's first start beside fulcrumctl --db) each wait for the others
 * within the busy timeout: every one succeeds, the schema is created once,
 * and every write lands.
 */
static void test_db_new_file_opened_at_once(void)
{
	/* fewer under valgrind (quickstart's memcheck): round 2 is still one of eight */
	const char *env = getenv("FULCRUM_UNIT_RACE_ROUNDS");
	int rounds = env && atoi(env) >= 3 && atoi(env) <= RACE_ROUNDS ? atoi(env) : RACE_ROUNDS;
	int failed_rounds = 0, failed_procs = 0;
	char first[512] = "";

	for (int round = 0; round < rounds; round++) {
		int procs = round % 3 == 2 ? RACE_PROCS_MAX : 2, failed = 0;
		pid_t pids[RACE_PROCS_MAX];
		int gate[2], report[2];
		char name[32];

		snprintf(name, sizeof(name), "race-%d.db", round);
		CU_ASSERT_FATAL(pipe(gate) == 0 && pipe(report) == 0);
		for (int i = 0; i < procs; i++) {
			pids[i] = opener_start(db_path(name), i, gate, report[1]);
			if (pids[i] < 0) {
				CU_FAIL("fork");
				procs = i; /* those started are let go and waited for */
				break;
			}
		}
		close(gate[0]);
		close(report[1]);
		close(gate[1]); /* every child starts now */
		for (int i = 0; i < procs; i++)
			failed += !exited_ok(pids[i]);
		if (failed && !first[0]) {
			ssize_t n = read(report[0], first, sizeof(first) - 1);

			first[n > 0 ? n : 0] = '\0';
			first[strcspn(first, "\n")] = '\0';
		}
		close(report[0]);
		failed_procs += failed;
		failed_rounds += failed != 0;
		if (failed)
			continue;
		CU_ASSERT_EQUAL(side_query(db_path(name), "SELECT count(*) FROM tokens"), procs);
		CU_ASSERT_EQUAL(side_query(db_path(name), "PRAGMA user_version"),
				db_schema_version());
	}
	if (failed_procs)
		fprintf(stderr, "\n%d of %d rounds failed (%d processes), first: %s\n",
			failed_rounds, rounds, failed_procs, first);
	CU_ASSERT_EQUAL(failed_procs, 0);
}

static int db_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int db_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(db)
{
	CU_pSuite s = CU_add_suite("db", db_setup, db_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "a new file is an empty store", test_db_new_file);
	CU_add_test(s, "services round trip (v4, v6, fwmark)", test_db_vs_round_trip);
	CU_add_test(s, "service update and delete", test_db_vs_update_delete);
	CU_add_test(s, "real servers round trip (every forwarding)", test_db_rs_round_trip);
	CU_add_test(s, "UNIQUE and CHECK backstops", test_db_unique_and_check_backstops);
	CU_add_test(s, "ids are never reused", test_db_ids_never_reused);
	CU_add_test(s, "transactions", test_db_transactions);
	CU_add_test(s, "change log", test_db_change_log);
	CU_add_test(s, "reopening keeps everything", test_db_reopen_keeps_everything);
	CU_add_test(s, "a newer schema is refused, untouched", test_db_newer_schema_refused);
	CU_add_test(s, "garbage and bad paths are refused", test_db_garbage_refused);
	CU_add_test(s, "next ids, and explicit ids", test_db_next_ids_and_explicit_ids);
	CU_add_test(s, "a schema 2 file is upgraded", test_db_upgrade_from_schema_2);
	CU_add_test(s, "a schema 3 file is upgraded (checks)", test_db_upgrade_from_schema_3);
	CU_add_test(s, "a new file waits for another process's write lock",
		    test_db_new_file_waits_for_a_writer);
	CU_add_test(s, "a schema another process creates meanwhile is not written again",
		    test_db_schema_created_once);
	CU_add_test(s, "a new file opened by many processes at once",
		    test_db_new_file_opened_at_once);
	return CU_get_error();
}
