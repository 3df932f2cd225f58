/* Unit tests of controller/core/snapshot.c: the digest, a snapshot's round trip, bad chunks, pruning. */
#include "controller/core/command.h"
#include "controller/core/snapshot.h"
#include "controller/model/model.h"
#include "controller/model/model_json.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void digest_of(struct db *db, unsigned char d[SNAPSHOT_DIGEST_SIZE])
{
	char err[512] = "";
	int rc = snapshot_digest(db, NULL, NULL, d, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "digest: %s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static bool same_digest(struct db *a, struct db *b)
{
	unsigned char da[SNAPSHOT_DIGEST_SIZE], db_[SNAPSHOT_DIGEST_SIZE];

	digest_of(a, da);
	digest_of(b, db_);
	return memcmp(da, db_, sizeof(da)) == 0;
}

static void token_add(struct db *db, const char *name, const char *role, char hexdigit,
		      int64_t created)
{
	struct db_token t = {0};

	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.role, sizeof(t.role), "%s", role);
	memset(t.hash, hexdigit, 64);
	t.created = created;
	CU_ASSERT_EQUAL(db_token_insert(db, &t), 0);
}

/*
 * The same writes on any database: services with real servers, a deleted
 * service (ids are not reused: the next id is above the highest), VIPs, a
 * switch, tokens. Through the command path, as the daemon writes.
 */
static void build(struct db *db)
{
	struct fulcrum_err e;
	struct fulcrum_vs vs;
	struct fulcrum_rs rs[3];
	struct fulcrum_vip vip;
	char name[16], addr[32];
	int64_t rev;

	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "web%d", i);
		snprintf(addr, sizeof(addr), "192.0.2.%d", 10 + i);
		vs = unit_vs(name, addr);
		for (int k = 0; k < 3; k++) {
			snprintf(addr, sizeof(addr), "10.0.%d.%d", i, k + 1);
			rs[k] = unit_rs(addr);
			rs[k].weight = (uint32_t)(k + 1);
		}
		CU_ASSERT_EQUAL_FATAL(command_vs_create(db, &alice, &vs, rs, 3, 0, &rev, &e), 0);
	}
	CU_ASSERT_EQUAL(command_vs_delete(db, &alice, 4, 0, &rev, &e), 0);
	model_vip_init(&vip);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", "192.0.2.10", NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "prefix", "24", NULL), 0);
	snprintf(vip.interface, sizeof(vip.interface), "eth0");
	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &vip, 0, &rev, &e), 0);
	model_vip_init(&vip);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", "2001:db8::1", NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "prefix", "64", NULL), 0);
	snprintf(vip.interface, sizeof(vip.interface), "eth1");
	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &vip, 0, &rev, &e), 0);
	CU_ASSERT_EQUAL(db_notify_set(db, COMMAND_NOTIFY_RS_STATE, false), 0);
	token_add(db, "ops", "admin", 'a', 1765000000);
	token_add(db, "nagios", "viewer", 'b', 1765000100);
}

/* A fresh pair of databases with build()'s writes. */
static void pair(struct db **a, struct db **b)
{
	static int n;
	char name[32];

	snprintf(name, sizeof(name), "a%d.db", n);
	*a = open_db(name);
	snprintf(name, sizeof(name), "b%d.db", n++);
	*b = open_db(name);
	build(*a);
	build(*b);
}

static void test_digest_same_writes(void)
{
	struct fulcrum_err e;
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	struct fulcrum_vip vip;
	struct db *a, *b;
	unsigned char d1[SNAPSHOT_DIGEST_SIZE], d2[SNAPSHOT_DIGEST_SIZE];
	int64_t rev, at;
	char err[256];

	unit_tmpdir(dir, sizeof(dir));
	pair(&a, &b);
	CU_ASSERT(same_digest(a, b));
	/* stable: twice the same, and at the revision it says */
	CU_ASSERT_EQUAL(snapshot_digest(a, NULL, &at, d1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(snapshot_digest(a, NULL, NULL, d2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(d1, d2, sizeof(d1)), 0);
	CU_ASSERT_EQUAL(at, db_revision(a));

	/* one field of a service */
	CU_ASSERT_EQUAL_FATAL(db_vs_get(b, 1, &vs), 0);
	vs.persistence_timeout = 300;
	CU_ASSERT_EQUAL(command_vs_update(b, &alice, &vs, 0, &rev, &e), 0);
	CU_ASSERT_EQUAL_FATAL(db_vs_get(a, 1, &vs), 0);
	vs.persistence_timeout = 301;
	CU_ASSERT_EQUAL(command_vs_update(a, &alice, &vs, 0, &rev, &e), 0);
	CU_ASSERT(!same_digest(a, b));
	db_close(a);
	db_close(b);

	/* one real server's weight */
	pair(&a, &b);
	CU_ASSERT_EQUAL_FATAL(db_rs_get(b, 2, &rs), 0);
	rs.weight = 7;
	CU_ASSERT_EQUAL(command_rs_update(b, &alice, &rs, 0, &rev, &e), 0);
	rs.weight = 8;
	CU_ASSERT_EQUAL(command_rs_update(a, &alice, &rs, 0, &rev, &e), 0);
	CU_ASSERT(!same_digest(a, b));
	db_close(a);
	db_close(b);

	/* a VIP's description */
	pair(&a, &b);
	CU_ASSERT_EQUAL_FATAL(db_vip_get(b, 1, &vip), 0);
	snprintf(vip.description, sizeof(vip.description), "gateway");
	CU_ASSERT_EQUAL(command_vip_update(b, &alice, &vip, 0, &rev, &e), 0);
	snprintf(vip.description, sizeof(vip.description), "gateway.");
	CU_ASSERT_EQUAL(command_vip_update(a, &alice, &vip, 0, &rev, &e), 0);
	CU_ASSERT(!same_digest(a, b));
	db_close(a);
	db_close(b);

	/* a switch: no revision moves, the digest does */
	pair(&a, &b);
	CU_ASSERT_EQUAL(db_notify_set(b, COMMAND_NOTIFY_PEER_STATE, false), 0);
	CU_ASSERT(!same_digest(a, b));
	CU_ASSERT_EQUAL(db_notify_set(b, COMMAND_NOTIFY_PEER_STATE, true), 0);
	CU_ASSERT(same_digest(a, b));
	db_close(a);
	db_close(b);

	/* a token's creation time */
	pair(&a, &b);
	token_add(a, "backup", "operator", 'c', 1765000200);
	token_add(b, "backup", "operator", 'c', 1765000201);
	CU_ASSERT(!same_digest(a, b));
	db_close(a);
	db_close(b);

	/* the same rows, but b gave out one more id: the next ids differ */
	pair(&a, &b);
	vs = unit_vs("gone", "192.0.2.99");
	CU_ASSERT_EQUAL(command_vs_create(b, &alice, &vs, NULL, 0, 0, &rev, &e), 0);
	CU_ASSERT_EQUAL(command_vs_delete(b, &alice, vs.id, 0, &rev, &e), 0);
	vs = unit_vs("gone", "192.0.2.99");
	CU_ASSERT_EQUAL(command_vs_create(a, &alice, &vs, NULL, 0, 0, &rev, &e), 0);
	CU_ASSERT_EQUAL(db_revision_set(a, db_revision(b)), 0);
	CU_ASSERT_EQUAL(command_vs_delete(a, &alice, vs.id, 0, &rev, &e), 0);
	CU_ASSERT_EQUAL(db_revision_set(a, db_revision(b)), 0);
	CU_ASSERT(same_digest(a, b));
	vs = unit_vs("once", "192.0.2.98");
	CU_ASSERT_EQUAL(command_vs_create(b, &alice, &vs, NULL, 0, 0, &rev, &e), 0);
	CU_ASSERT_EQUAL(command_vs_delete(b, &alice, vs.id, 0, &rev, &e), 0);
	CU_ASSERT_EQUAL(db_revision_set(a, db_revision(b)), 0);
	CU_ASSERT(!same_digest(a, b));
	db_close(a);
	db_close(b);

	/* the role history is not replicated: it changes nothing */
	pair(&a, &b);
	{
		struct db_role_change c = {.at = 1765000000123, .term = 3};

		snprintf(c.role, sizeof(c.role), "active");
		snprintf(c.reason, sizeof(c.reason), "peer silent");
		CU_ASSERT_EQUAL(db_role_history_add(b, &c), 0);
	}
	CU_ASSERT(same_digest(a, b));
	db_close(a);
	db_close(b);
	unit_tmpdir_cleanup(dir);
}

/* The replication thread's own connection reads one revision while the main one commits. */
static void test_digest_own_connection(void)
{
	unsigned char d1[SNAPSHOT_DIGEST_SIZE], d2[SNAPSHOT_DIGEST_SIZE];
	struct fulcrum_err e;
	struct fulcrum_vs vs;
	struct db *w, *r;
	int64_t rev, at;
	char err[256];

	unit_tmpdir(dir, sizeof(dir));
	w = open_db("one.db");
	build(w);
	r = open_db("one.db");
	CU_ASSERT_EQUAL(db_read_begin(r), 0);
	CU_ASSERT_EQUAL(db_read_begin(r), -EBUSY);
	rev = db_revision(r);
	vs = unit_vs("later", "192.0.2.200");
	CU_ASSERT_EQUAL(command_vs_create(w, &alice, &vs, NULL, 0, 0, NULL, &e), 0);
	/* the read transaction still sees the revision it began at */
	CU_ASSERT_EQUAL(db_revision(r), rev);
	CU_ASSERT_EQUAL(db_read_end(r), 0);
	CU_ASSERT_EQUAL(db_revision(r), rev + 1);
	CU_ASSERT_EQUAL(snapshot_digest(r, NULL, &at, d1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(at, rev + 1);
	CU_ASSERT_EQUAL(snapshot_digest(w, NULL, NULL, d2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(d1, d2, sizeof(d1)), 0);
	/* not inside another transaction: it would not be one revision */
	CU_ASSERT_EQUAL(db_begin(w), 0);
	CU_ASSERT_EQUAL(snapshot_digest(w, NULL, NULL, d2, err, sizeof(err)), -EBUSY);
	CU_ASSERT_EQUAL(db_rollback(w), 0);
	db_close(r);
	db_close(w);
	unit_tmpdir_cleanup(dir);
}

/* Chunks kept in memory, as a test's wire. */
struct wire {
	char *chunks[256];
	size_t n;
	size_t max_len;
};

static int wire_emit(const char *json, size_t len, void *arg)
{
	struct wire *w = arg;

	CU_ASSERT_EQUAL(json[len], '\0');
	CU_ASSERT_EQUAL(strlen(json), len);
	if (w->n == sizeof(w->chunks) / sizeof(w->chunks[0]))
		return -ENOSPC;
	w->chunks[w->n] = strdup(json);
	if (!w->chunks[w->n])
		return -ENOMEM;
	w->n++;
	if (len > w->max_len)
		w->max_len = len;
	return 0;
}

static void wire_clear(struct wire *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->chunks[i]);
	w->n = 0;
}

static int hash_emit(const char *json, size_t len, void *arg)
{
	crypto_hash_sha256_update(arg, (const unsigned char *)json, len);
	return 0;
}

/* What "exactly as it was" means: every replicated row with the change log, and the role history. */
struct state {
	unsigned char all[32]; /* the hash of a snapshot's whole text: every row, the log too */
	int64_t rev;
	size_t nroles;
};

static struct state state_of(struct db *db)
{
	crypto_hash_sha256_state sha;
	struct db_role_change *roles = NULL;
	struct state s;
	char err[256];

	crypto_hash_sha256_init(&sha);
	CU_ASSERT_EQUAL_FATAL(snapshot_write(db, hash_emit, &sha, NULL, &s.rev, err, sizeof(err)),
			      0);
	crypto_hash_sha256_final(&sha, s.all);
	CU_ASSERT_EQUAL(db_role_history_list(db, 100, &roles, &s.nroles), 0);
	free(roles);
	return s;
}

static bool state_same(struct state a, struct state b)
{
	return memcmp(a.all, b.all, sizeof(a.all)) == 0 && a.rev == b.rev && a.nroles == b.nroles;
}

/* Applies the chunks of w into db; returns the first error (0 when all went in and end passed). */
static int wire_apply(struct db *db, const struct wire *w, char *err, size_t errlen)
{
	struct snapshot_apply *s;
	int rc = snapshot_apply_begin(db, NULL, &s, err, errlen);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < w->n; i++) {
		rc = snapshot_apply_chunk(s, w->chunks[i], strlen(w->chunks[i]), err, errlen);
		if (rc != 0) {
			snapshot_apply_abort(s);
			return rc;
		}
	}
	return snapshot_apply_end(s, NULL, err, errlen);
}

/* b: other contents, a higher revision, a role history of its own. */
static struct db *other(const char *name)
{
	struct db *b = open_db(name);
	struct db_role_change c = {.at = 1765000000123, .term = 3};
	struct fulcrum_err e;
	struct fulcrum_vs vs;
	int64_t rev;

	for (int i = 0; i < 30; i++) {
		char n[16], addr[32];

		snprintf(n, sizeof(n), "old%d", i);
		snprintf(addr, sizeof(addr), "198.51.100.%d", i + 1);
		vs = unit_vs(n, addr);
		CU_ASSERT_EQUAL(command_vs_create(b, &alice, &vs, NULL, 0, 0, &rev, &e), 0);
	}
	token_add(b, "ops", "viewer", 'f', 1);
	snprintf(c.role, sizeof(c.role), "standby");
	snprintf(c.reason, sizeof(c.reason), "started");
	CU_ASSERT_EQUAL(db_role_history_add(b, &c), 0);
	return b;
}

static void test_snapshot_round_trip(void)
{
	struct db *a, *b;
	struct wire w = {0};
	struct db_next_ids ia, ib;
	struct fulcrum_err e;
	struct fulcrum_vs vs;
	struct state sa, sb;
	char err[512] = "";
	int64_t rev, id_a, id_b;

	unit_tmpdir(dir, sizeof(dir));
	a = open_db("a.db");
	build(a);
	b = other("b.db");
	CU_ASSERT(db_revision(b) != db_revision(a));
	CU_ASSERT_EQUAL(snapshot_write(a, wire_emit, &w, NULL, &rev, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rev, db_revision(a));
	/* header, services, reals, vips, switches, tokens, changes, end */
	CU_ASSERT_EQUAL(w.n, 8);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.chunks[0], "\"type\":\"header\""));
	CU_ASSERT_EQUAL(wire_apply(b, &w, err, sizeof(err)), 0);
	if (*err)
		fprintf(stderr, "apply: %s\n", err);
	CU_ASSERT(same_digest(a, b));
	CU_ASSERT_EQUAL(db_revision(b), db_revision(a));
	/* every row, the change log too: the snapshots of both are the same text */
	sa = state_of(a);
	sb = state_of(b);
	CU_ASSERT_EQUAL(memcmp(sa.all, sb.all, sizeof(sa.all)), 0);
	/* the role history is b's own */
	CU_ASSERT_EQUAL(sa.nroles, 0);
	CU_ASSERT_EQUAL(sb.nroles, 1);
	/* ids are never reused: b gives the next id a gives */
	CU_ASSERT_EQUAL(db_next_ids_get(a, &ia), 0);
	CU_ASSERT_EQUAL(db_next_ids_get(b, &ib), 0);
	CU_ASSERT_EQUAL(ia.vs, 5); /* service 4 was deleted */
	CU_ASSERT_EQUAL(memcmp(&ia, &ib, sizeof(ia)), 0);
	vs = unit_vs("next", "192.0.2.77");
	CU_ASSERT_EQUAL(command_vs_create(a, &alice, &vs, NULL, 0, 0, &rev, &e), 0);
	id_a = vs.id;
	vs = unit_vs("next", "192.0.2.77");
	CU_ASSERT_EQUAL(command_vs_create(b, &alice, &vs, NULL, 0, 0, &rev, &e), 0);
	id_b = vs.id;
	CU_ASSERT_EQUAL(id_a, 5);
	CU_ASSERT_EQUAL(id_b, 5);
	CU_ASSERT(same_digest(a, b));
	wire_clear(&w);
	db_close(a);
	db_close(b);
	unit_tmpdir_cleanup(dir);
}

/* Every field a service and a real server have, set away from its default, survives the trip. */
static void test_snapshot_every_field(void)
{
	static const char *const svc =
	    "{\"name\": \"rich\", \"address\": \"2001:db8::80\", \"port\": 443, "
	    "\"protocol\": \"udp\", \"scheduler\": \"sh\", \"scheduler_flags\": [\"fallback\", "
	    "\"port\"], \"persistence_timeout\": 600, \"persistence_netmask\": 64, "
	    "\"one_packet\": true, \"admin_state\": \"disabled\", \"description\": \"caf\u00e9 "
	    "\\\"quoted\\\"\", \"min_up\": 2, \"fallback\": {\"address\": \"2001:db8::99\", "
	    "\"port\": 8080, \"forwarding\": \"masq\"}, \"check\": {\"type\": \"https\", "
	    "\"path\": \"/ready?x=1\", \"host\": \"rich.example\", \"expect_status\": "
	    "\"200-299,301\", \"expect\": \"ok\", \"verify_tls\": false, \"interval\": 10, "
	    "\"timeout\": 4, \"rise\": 3, \"fall\": 5, \"check_address\": \"2001:db8::5\", "
	    "\"check_port\": 8443, \"on_failure\": \"remove\"}}";
	static const char *const real =
	    "{\"address\": \"2001:db8:1::1\", \"port\": 443, \"forwarding\": \"tunnel\", "
	    "\"tunnel_type\": \"gue\", \"tunnel_port\": 6080, \"weight\": 65535, "
	    "\"upper_threshold\": 1000, \"lower_threshold\": 10, \"admin_state\": \"drained\", "
	    "\"description\": \"rack 4\", \"check\": {\"type\": \"tcp\", \"interval\": 20, "
	    "\"timeout\": 2, \"rise\": 1, \"fall\": 9, \"check_address\": \"2001:db8:1::9\", "
	    "\"check_port\": 22, \"on_failure\": \"quiesce\", \"verify_tls\": true}}";
	struct fulcrum_err e;
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	struct wire w = {0};
	struct db *a, *b;
	json_error_t jerr;
	json_t *j;
	char err[512] = "";
	int64_t rev;

	unit_tmpdir(dir, sizeof(dir));
	a = open_db("a.db");
	b = open_db("b.db");
	model_vs_init(&vs);
	j = json_loads(svc, 0, &jerr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(model_vs_from_json(j, &vs, &e), 0);
	json_decref(j);
	model_rs_init(&rs);
	j = json_loads(real, 0, &jerr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(model_rs_from_json(j, &rs, &e), 0);
	json_decref(j);
	if (command_vs_create(a, &alice, &vs, &rs, 1, 0, &rev, &e) != 0)
		fprintf(stderr, "create: %s\n", e.message);
	CU_ASSERT_EQUAL_FATAL(rs.id, 1);
	CU_ASSERT_EQUAL(snapshot_write(a, wire_emit, &w, NULL, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(wire_apply(b, &w, err, sizeof(err)), 0);
	if (*err)
		fprintf(stderr, "apply: %s\n", err);
	CU_ASSERT(same_digest(a, b));
	CU_ASSERT(state_same(state_of(a), state_of(b)));
	CU_ASSERT_PTR_NOT_NULL(strstr(w.chunks[1], "\"description\":\"caf\u00e9 \\\"quoted\\\"\""));
	wire_clear(&w);
	db_close(a);
	db_close(b);
	unit_tmpdir_cleanup(dir);
}

/* Replaces the first "from" in chunk i of w with "to". */
static void wire_edit(struct wire *w, size_t i, const char *from, const char *to)
{
	char *at = strstr(w->chunks[i], from), *s;
	size_t len = strlen(w->chunks[i]) - strlen(from) + strlen(to) + 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	s = malloc(len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	snprintf(s, len, "%.*s%s%s", (int)(at - w->chunks[i]), w->chunks[i], to, at + strlen(from));
	free(w->chunks[i]);
	w->chunks[i] = s;
}

/* Each corruption of a good snapshot is refused, err says where, and b is exactly as it was. */
static void bad_case(struct db *a, struct db *b, void (*corrupt)(struct wire *w), const char *want)
{
	struct wire w = {0};
	struct state before = state_of(b);
	char err[512] = "";

	CU_ASSERT_EQUAL_FATAL(snapshot_write(a, wire_emit, &w, NULL, NULL, err, sizeof(err)), 0);
	corrupt(&w);
	CU_ASSERT(wire_apply(b, &w, err, sizeof(err)) < 0);
	if (!strstr(err, want)) {
		fprintf(stderr, "want \"%s\" in \"%s\"\n", want, err);
		CU_FAIL("the error does not say what is wrong");
	}
	CU_ASSERT(state_same(state_of(b), before));
	CU_ASSERT(!db_in_transaction(b));
	wire_clear(&w);
}

static void weight_out_of_range(struct wire *w)
{
	wire_edit(w, 2, "\"weight\":1", "\"weight\":70000");
}

static void digest_changed(struct wire *w)
{
	char *d = strstr(w->chunks[0], "\"digest\":\"");

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	d += strlen("\"digest\":\"");
	*d = *d == '0' ? '1' : '0';
}

static void truncated(struct wire *w)
{
	free(w->chunks[--w->n]); /* no end */
}

static void chunk_lost(struct wire *w)
{
	free(w->chunks[6]); /* the change log: not in the digest, the end's counts see it */
	w->chunks[6] = w->chunks[7];
	w->n--;
}

static void field_changed(struct wire *w)
{
	/* valid, but not what the digest was of */
	wire_edit(w, 3, "\"interface\":\"eth0\"", "\"interface\":\"eth9\"");
}

static void newer_schema(struct wire *w)
{
	char schema[32], newer[32];

	snprintf(schema, sizeof(schema), "\"schema\":%d", db_schema_version());
	snprintf(newer, sizeof(newer), "\"schema\":%d", db_schema_version() + 1);
	wire_edit(w, 0, schema, newer);
}

static void order_swapped(struct wire *w)
{
	char *t = w->chunks[1];

	w->chunks[1] = w->chunks[2]; /* reals before services */
	w->chunks[2] = t;
}

static void unknown_member(struct wire *w)
{
	wire_edit(w, 5, "\"role\":\"admin\"", "\"role\":\"admin\",\"root\":true");
}

static void not_json(struct wire *w)
{
	wire_edit(w, 1, "{", "{{");
}

static void id_reused(struct wire *w)
{
	/* a service id at or above the next id the header gives */
	wire_edit(w, 0, "\"service\":5", "\"service\":3");
}

static void test_snapshot_bad_chunks(void)
{
	struct db *a, *b;

	unit_tmpdir(dir, sizeof(dir));
	a = open_db("a.db");
	build(a);
	b = other("b.db");
	bad_case(a, b, weight_out_of_range,
		 "chunk 3: real server 1: real server weight: 70000 is outside 0..65535");
	bad_case(a, b, digest_changed, "snapshot: digest mismatch");
	bad_case(a, b, truncated, "no end marker");
	bad_case(a, b, chunk_lost, "the snapshot had 22 changes, 0 arrived");
	bad_case(a, b, field_changed, "snapshot: digest mismatch");
	bad_case(a, b, newer_schema, "schema version");
	bad_case(a, b, order_swapped, "real server 1: service 1 is not in the snapshot");
	bad_case(a, b, unknown_member, "token 1: unknown member \"root\"");
	bad_case(a, b, not_json, "chunk 2: not JSON");
	bad_case(a, b, id_reused, "is not below the header's next id 3");
	db_close(a);
	db_close(b);
	unit_tmpdir_cleanup(dir);
}

static void test_snapshot_prune(void)
{
	struct fulcrum_err e;
	struct fulcrum_vs vs;
	struct fulcrum_change *list;
	struct db *db;
	int64_t rev, oldest, deleted;
	char err[256];
	size_t n;

	unit_tmpdir(dir, sizeof(dir));
	db = open_db("p.db");
	CU_ASSERT_EQUAL(db_change_oldest(db, &oldest), 0);
	CU_ASSERT_EQUAL(oldest, 0);
	vs = unit_vs("web", "192.0.2.1");
	CU_ASSERT_EQUAL(command_vs_create(db, &alice, &vs, NULL, 0, 0, &rev, &e), 0);
	for (int i = 0; i < 49; i++) {
		vs.persistence_timeout = (uint32_t)i + 1;
		CU_ASSERT_EQUAL(command_vs_update(db, &alice, &vs, 0, &rev, &e), 0);
	}
	CU_ASSERT_EQUAL(rev, 50);
	CU_ASSERT_EQUAL(db_change_oldest(db, &oldest), 0);
	CU_ASSERT_EQUAL(oldest, 1);
	{
		bool covers = false;

		/* a new node (revision 0) catches up from the log while it holds revision 1 */
		CU_ASSERT_EQUAL(snapshot_log_covers(db, 0, &covers, NULL, err, sizeof(err)), 0);
		CU_ASSERT(covers);
	}
	/* 0 keeps all */
	CU_ASSERT_EQUAL(snapshot_prune(db, 0, &deleted, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(deleted, 0);
	/* more than there is: nothing */
	CU_ASSERT_EQUAL(snapshot_prune(db, 50, &deleted, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(deleted, 0);
	/* the newest 10 revisions: 41..50 */
	CU_ASSERT_EQUAL(snapshot_prune(db, 10, &deleted, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(deleted, 40);
	CU_ASSERT_EQUAL(db_change_oldest(db, &oldest), 0);
	CU_ASSERT_EQUAL(oldest, 41);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &list, &n), 0);
	CU_ASSERT_EQUAL(n, 10);
	CU_ASSERT_EQUAL(list[0].revision, 41);
	CU_ASSERT_EQUAL(list[9].revision, 50);
	fulcrum_change_list_free(list, n);
	/* a node at 40 needs 41..50: the log has them; one at 39 needs 40, gone */
	{
		bool covers = false;

		CU_ASSERT_EQUAL(snapshot_log_covers(db, 40, &covers, &rev, err, sizeof(err)), 0);
		CU_ASSERT(covers);
		CU_ASSERT_EQUAL(rev, 50);
		CU_ASSERT_EQUAL(snapshot_log_covers(db, 39, &covers, NULL, err, sizeof(err)), 0);
		CU_ASSERT(!covers);
		CU_ASSERT_EQUAL(snapshot_log_covers(db, 50, &covers, NULL, err, sizeof(err)), 0);
		CU_ASSERT(covers); /* up to date: nothing to send */
		CU_ASSERT_EQUAL(snapshot_log_covers(db, 51, &covers, NULL, err, sizeof(err)), 0);
		CU_ASSERT(!covers); /* ahead of the active: diverged */
		CU_ASSERT_EQUAL(snapshot_log_covers(db, 0, &covers, NULL, err, sizeof(err)), 0);
		CU_ASSERT(!covers); /* new */
	}
	/* again: nothing more */
	CU_ASSERT_EQUAL(snapshot_prune(db, 10, &deleted, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(deleted, 0);
	CU_ASSERT_EQUAL(db_revision(db), 50);
	db_close(db);
	unit_tmpdir_cleanup(dir);
}

/* The db/ functions a snapshot writes with: ids as given, sequences that never go back. */
static void test_db_repl_rows(void)
{
	struct db_next_ids ids, got;
	struct fulcrum_change c = {
	    .revision = 3, .time = 1765000000, .origin = FULCRUM_ORIGIN_SYNC};
	struct db_token t = {.id = 40, .created = 7};
	struct db *db;

	unit_tmpdir(dir, sizeof(dir));
	db = open_db("r.db");
	CU_ASSERT_EQUAL(db_next_ids_get(db, &got), 0);
	CU_ASSERT(got.vs == 1 && got.rs == 1 && got.vip == 1 && got.token == 1);
	snprintf(t.name, sizeof(t.name), "peer");
	snprintf(t.role, sizeof(t.role), "operator");
	memset(t.hash, 'e', 64);
	CU_ASSERT_EQUAL(db_token_insert(db, &t), 0);
	CU_ASSERT_EQUAL(t.id, 40);
	CU_ASSERT_EQUAL(db_begin(db), 0);
	ids = (struct db_next_ids){.vs = 9, .rs = 1, .vip = 3, .token = 40};
	CU_ASSERT_EQUAL(db_next_ids_set(db, &ids), -EINVAL); /* token 40 exists */
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(db_errmsg(db), "tokens (40) is not above its highest id (40)"));
	ids.token = 41;
	CU_ASSERT_EQUAL(db_next_ids_set(db, &ids), 0);
	CU_ASSERT_EQUAL(db_revision_set(db, 3), 0);
	snprintf(c.actor, sizeof(c.actor), "lb-a");
	snprintf(c.object_type, sizeof(c.object_type), "service");
	c.object_id = 8;
	c.after = "{\"id\":8}";
	CU_ASSERT_EQUAL(db_change_insert(db, &c, 2), 0);
	CU_ASSERT_EQUAL(db_change_insert(db, &c, 2), -EEXIST);
	CU_ASSERT_EQUAL(db_commit(db), 0);
	CU_ASSERT_EQUAL(db_next_ids_get(db, &got), 0);
	CU_ASSERT_EQUAL(memcmp(&got, &ids, sizeof(got)), 0);
	CU_ASSERT_EQUAL(db_revision(db), 3);
	/* the wipe is for a transaction only: it could not be undone otherwise */
	CU_ASSERT_EQUAL(db_replicated_clear(db), -EINVAL);
	db_close(db);
	unit_tmpdir_cleanup(dir);
}

/*
 * Streams a's chunks straight into b, as replication does: nothing held but
 * one chunk. 10,000 services x 10 real servers; FULCRUM_UNIT_SNAPSHOT_SERVICES
 * makes it fewer (quickstart's memcheck: valgrind would take minutes).
 */
struct pipe {
	struct snapshot_apply *s;
	size_t chunks, max_len, bytes;
	char err[512];
};

static int pipe_emit(const char *json, size_t len, void *arg)
{
	struct pipe *p = arg;

	p->chunks++;
	p->bytes += len;
	if (len > p->max_len)
		p->max_len = len;
	return snapshot_apply_chunk(p->s, json, len, p->err, sizeof(p->err));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_snapshot_large(void)
{
	struct db *a, *b;
	struct pipe p = {0};
	char err[512] = "";
	double t0, t1, t2;
	int64_t rev;

	const char *env = getenv("FULCRUM_UNIT_SNAPSHOT_SERVICES");
	int nservices = env && atoi(env) > 0 && atoi(env) <= 10000 ? atoi(env) : 10000;

	unit_tmpdir(dir, sizeof(dir));
	a = open_db("big.db");
	CU_ASSERT_EQUAL_FATAL(db_begin(a), 0);
	unit_db_services(a, nservices);
	CU_ASSERT_EQUAL(db_revision_bump(a, &rev), 0);
	CU_ASSERT_EQUAL_FATAL(db_commit(a), 0);
	b = other("b.db");
	t0 = now_s();
	CU_ASSERT_EQUAL_FATAL(snapshot_apply_begin(b, NULL, &p.s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(snapshot_write(a, pipe_emit, &p, NULL, NULL, err, sizeof(err)), 0);
	if (*p.err)
		fprintf(stderr, "apply: %s\n", p.err);
	t1 = now_s();
	CU_ASSERT_EQUAL(snapshot_apply_end(p.s, NULL, err, sizeof(err)), 0);
	t2 = now_s();
	CU_ASSERT(p.chunks >= (size_t)(nservices * 11 + 999) / 1000 + 3);
	CU_ASSERT(p.max_len <= SNAPSHOT_CHUNK_MAX);
	CU_ASSERT(same_digest(a, b));
	printf("\n    %d services x 10 reals: %zu chunks, %.1f MB, largest %zu bytes; "
	       "write+apply %.2f s, end (digest, commit) %.2f s ",
	       nservices, p.chunks, (double)p.bytes / 1e6, p.max_len, t1 - t0, t2 - t1);
	db_close(a);
	db_close(b);
	unit_tmpdir_cleanup(dir);
}

struct ticks {
	int n, stop_at; /* calls so far; the call that stops the walk, 0 none */
};

static int tick_count(void *arg)
{
	struct ticks *t = arg;

	return ++t->n == t->stop_at ? -ECANCELED : 0;
}

static int end_seen(const char *json, size_t len, void *arg)
{
	(void)len;
	if (strstr(json, "\"type\":\"end\""))
		*(bool *)arg = true;
	return 0;
}

/*
 * The long walks call their tick every SNAPSHOT_TICK_ITEMS objects
 * (replication pings its peer from it), and a tick's error stops the walk:
 * no end marker goes, and an apply stopped at its digest changes nothing.
 */
static void test_snapshot_tick(void)
{
	struct db *a, *b;
	struct ticks t = {0};
	struct snapshot_tick tick = {tick_count, &t};
	struct pipe p = {0};
	unsigned char d[SNAPSHOT_DIGEST_SIZE];
	char err[512] = "";
	bool end = false;
	struct state before;
	int64_t rev;

	unit_tmpdir(dir, sizeof(dir));
	a = open_db("tick.db");
	CU_ASSERT_EQUAL_FATAL(db_begin(a), 0);
	unit_db_services(a, 300); /* 3,300 objects: 51 ticks a walk */
	CU_ASSERT_EQUAL(db_revision_bump(a, &rev), 0);
	CU_ASSERT_EQUAL_FATAL(db_commit(a), 0);
	CU_ASSERT_EQUAL(snapshot_digest(a, &tick, NULL, d, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(t.n, 3300 / SNAPSHOT_TICK_ITEMS);
	t.n = 0;
	CU_ASSERT_EQUAL(snapshot_write(a, end_seen, &end, &tick, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(t.n,
			2 * (3300 / SNAPSHOT_TICK_ITEMS)); /* the digest's walk, then the rows' */
	CU_ASSERT(end);
	t = (struct ticks){.stop_at = 2};
	end = false;
	CU_ASSERT_EQUAL(snapshot_write(a, end_seen, &end, &tick, NULL, err, sizeof(err)),
			-ECANCELED);
	CU_ASSERT(!end);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "stopped"));
	/* an apply whose digest is stopped: rolled back, b as it was */
	b = other("tick-b.db");
	before = state_of(b);
	t = (struct ticks){.stop_at = 3300 / SNAPSHOT_TICK_ITEMS + 1}; /* the chunks' ticks pass */
	CU_ASSERT_EQUAL_FATAL(snapshot_apply_begin(b, &tick, &p.s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(snapshot_write(a, pipe_emit, &p, NULL, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(t.n, 3300 / SNAPSHOT_TICK_ITEMS); /* the apply ticks through the chunks */
	CU_ASSERT_EQUAL(snapshot_apply_end(p.s, NULL, err, sizeof(err)), -ECANCELED);
	CU_ASSERT(state_same(state_of(b), before));
	CU_ASSERT(!state_same(state_of(b), state_of(a)));
	db_close(b);
	db_close(a);
	unit_tmpdir_cleanup(dir);
}

UNIT_SUITE(snapshot)
{
	CU_pSuite s = CU_add_suite("snapshot", NULL, NULL);

	if (!s)
		return CU_get_error();
	if (!CU_add_test(s, "digest: equal for equal writes, each table and the next ids count",
			 test_digest_same_writes) ||
	    !CU_add_test(s, "digest on a connection of its own, at one revision",
			 test_digest_own_connection) ||
	    !CU_add_test(s, "snapshot round trip: rows, ids, sequences; role history kept",
			 test_snapshot_round_trip) ||
	    !CU_add_test(s, "every field of a service and a real server survives",
			 test_snapshot_every_field) ||
	    !CU_add_test(s, "bad chunks refused by name, the standby untouched",
			 test_snapshot_bad_chunks) ||
	    !CU_add_test(s, "db: ids and change-log rows as given, sequences never back",
			 test_db_repl_rows) ||
	    !CU_add_test(s, "prune keeps the newest revisions", test_snapshot_prune) ||
	    !CU_add_test(s, "the long walks tick, and a tick's error stops them",
			 test_snapshot_tick) ||
	    !CU_add_test(s, "10,000 services x 10 reals streamed", test_snapshot_large))
		return CU_get_error();
	return CUE_SUCCESS;
}
