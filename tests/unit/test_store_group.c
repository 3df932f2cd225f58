/* Unit tests of controller/core/store_group.c and command_group.c: many writes, one COMMIT. */
#include "controller/core/store.h"
#include "controller/model/model.h"
#include "db/db-int.h" /* the connection, to make a COMMIT fail */
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];
static const struct command_actor alice = {"alice", FULCRUM_ORIGIN_HTTP};
static const struct command_actor bob = {"bob", FULCRUM_ORIGIN_HTTP};
static const struct command_actor carol = {"carol", FULCRUM_ORIGIN_HTTP};

/* One write of a test group: what its body does inside its savepoint. */
struct op {
	enum { OP_RS_WEIGHT, OP_RS_CREATE, OP_VS_DESCRIBE, OP_REFUSE } kind;
	int64_t id;     /* the object changed; the service of a create */
	unsigned value; /* a weight */
	const char *addr;
	struct fulcrum_rs seen; /* OP_RS_WEIGHT: the real server as the group had it before */
};

static int op_run(struct command_txn *t, void *arg)
{
	struct op *op = arg;
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	int rc;

	switch (op->kind) {
	case OP_RS_WEIGHT:
		if ((rc = command_txn_rs_get(t, op->id, &rs)) != 0)
			return rc;
		op->seen = rs;
		rs.weight = op->value;
		return command_txn_rs_update(t, &rs);
	case OP_RS_CREATE:
		model_rs_init(&rs);
		rs.vs_id = op->id;
		CU_ASSERT_EQUAL(model_rs_set_field(&rs, "address", op->addr, NULL), 0);
		CU_ASSERT_EQUAL(model_rs_set_field(&rs, "port", "80", NULL), 0);
		rs.weight = op->value;
		rc = command_txn_rs_create(t, &rs);
		if (rc == 0)
			op->id = rs.id;
		return rc;
	case OP_VS_DESCRIBE:
		if ((rc = command_txn_vs_get(t, op->id, &vs)) != 0)
			return rc;
		snprintf(vs.description, sizeof(vs.description), "described");
		return command_txn_vs_update(t, &vs);
	case OP_REFUSE: /* a caller's own refusal after a write: the write must go too */
		if ((rc = command_txn_vs_get(t, op->id, &vs)) != 0)
			return rc;
		snprintf(vs.description, sizeof(vs.description), "refused");
		rc = command_txn_vs_update(t, &vs);
		return rc ? rc : -EPERM;
	}
	return -EINVAL;
}

static struct store_write wr(const struct command_actor *who, struct op *op, int64_t if_revision)
{
	struct store_write w = {.actor = who, .if_revision = if_revision, .fn = op_run, .arg = op};

	return w;
}

/* What the subscribers heard: each revision, and the weight of one real server then. */
struct heard {
	int calls;
	int64_t revs[16];
	unsigned weights[16];
	char actors[16][65]; /* each event's actor: each write of a group keeps its own */
	struct store *st;
	int64_t watch;
};

static void on_commit(void *arg, const struct store_commit *ev)
{
	struct heard *h = arg;
	const struct fulcrum_rs_stored *rs = store_rs_get(h->st, h->watch);

	CU_ASSERT_FALSE(ev->reload);
	CU_ASSERT(ev->n > 0);
	if (h->calls < 16) {
		h->revs[h->calls] = ev->revision;
		h->weights[h->calls] = rs ? rs->weight : 0;
		snprintf(h->actors[h->calls], sizeof(h->actors[0]), "%s", ev->actor);
	}
	h->calls++;
}

/* A store with one service ("web", 192.0.2.1:80) and two real servers (10.0.0.1-2, weight 1). */
static struct store *open_store(const char *name, struct db **dbp, int64_t *vs_id, int64_t rs_id[2])
{
	char path[1024], err[512] = "";
	struct fulcrum_rs reals[2];
	struct fulcrum_vs vs;
	struct store *st = NULL;
	struct db *db = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &db, err, sizeof(err)), 0);
	vs = unit_vs("web", "192.0.2.1");
	reals[0] = unit_rs("10.0.0.1");
	reals[1] = unit_rs("10.0.0.2");
	CU_ASSERT_EQUAL_FATAL(command_vs_create(db, &alice, &vs, reals, 2, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	*dbp = db;
	*vs_id = vs.id;
	rs_id[0] = reals[0].id;
	rs_id[1] = reals[1].id;
	return st;
}

/* The change log after revision since: *n rows, the caller frees them. */
static struct fulcrum_change *changes(struct db *db, int64_t since, size_t *n)
{
	struct fulcrum_change *ch = NULL;

	CU_ASSERT_EQUAL(db_change_list(db, since, 0, &ch, n), 0);
	return ch;
}

/*
 * Five writes, the second (a weight out of range), third (a real server the
 * first made already) and fourth (its caller refuses after writing) fail:
 * the first and the last commit with consecutive revisions, their own
 * change-log rows and actors; the failed ones leave nothing.
 */
static void test_group_middle_fails(void)
{
	struct db *db;
	int64_t vs_id, rs_id[2];
	struct store *st = open_store("middle.db", &db, &vs_id, rs_id);
	int64_t r0 = store_revision(st);
	struct heard h = {.st = st, .watch = rs_id[0]};
	struct op create = {.kind = OP_RS_CREATE, .id = vs_id, .addr = "10.0.0.9", .value = 4};
	struct op bad = {.kind = OP_RS_WEIGHT, .id = rs_id[0], .value = 70000};
	struct op dup = {.kind = OP_RS_CREATE, .id = vs_id, .addr = "10.0.0.9", .value = 5};
	struct op refuse = {.kind = OP_REFUSE, .id = vs_id};
	struct op weight = {.kind = OP_RS_WEIGHT, .id = rs_id[0], .value = 7};
	struct store_write w[] = {wr(&alice, &create, 0), wr(&bob, &bad, 0), wr(&bob, &dup, 0),
				  wr(&bob, &refuse, 0), wr(&carol, &weight, 0)};
	struct fulcrum_change *ch;
	size_t n = 0;

	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	CU_ASSERT_EQUAL(store_group_run(st, w, 5), 0);
	CU_ASSERT_EQUAL(w[0].rc, 0);
	CU_ASSERT_EQUAL(w[0].revision, r0 + 1);
	CU_ASSERT_EQUAL(w[1].rc, -EINVAL);
	CU_ASSERT_EQUAL(w[1].err.status, FULCRUM_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(w[1].err.field, "weight");
	CU_ASSERT_EQUAL(w[2].rc, -EEXIST);
	CU_ASSERT_EQUAL(w[2].err.status, FULCRUM_ERR_CONFLICT);
	CU_ASSERT_EQUAL(w[3].rc, -EPERM);
	CU_ASSERT_EQUAL(w[4].rc, 0);
	CU_ASSERT_EQUAL(w[4].revision, r0 + 2);
	CU_ASSERT_EQUAL(db_revision(db), r0 + 2);
	CU_ASSERT_EQUAL(store_revision(st), r0 + 2);

	ch = changes(db, r0, &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(ch[0].revision, r0 + 1);
	CU_ASSERT_STRING_EQUAL(ch[0].actor, "alice");
	CU_ASSERT_EQUAL(ch[0].object_id, create.id);
	CU_ASSERT_PTR_NULL(ch[0].before);
	CU_ASSERT_EQUAL(ch[1].revision, r0 + 2);
	CU_ASSERT_STRING_EQUAL(ch[1].actor, "carol");
	CU_ASSERT_EQUAL(ch[1].object_id, rs_id[0]);
	CU_ASSERT_PTR_NOT_NULL(strstr(ch[1].after, "\"weight\":7"));
	fulcrum_change_list_free(ch, n);

	CU_ASSERT_STRING_EQUAL(store_vs_get(st, vs_id)->description, ""); /* the refusal's write */
	CU_ASSERT_EQUAL(store_rs_get(st, create.id)->weight, 4);
	CU_ASSERT_EQUAL(store_rs_get(st, rs_id[0])->weight, 7);
	CU_ASSERT_EQUAL(h.calls, 2);
	CU_ASSERT_EQUAL(h.revs[0], r0 + 1);
	CU_ASSERT_EQUAL(h.revs[1], r0 + 2);
	CU_ASSERT_STRING_EQUAL(h.actors[0], "alice"); /* each event is its own write's */
	CU_ASSERT_STRING_EQUAL(h.actors[1], "carol");
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

/*
 * If-Match inside a group: each write is checked against the revision as the
 * writes before it left it, in order.
 */
static void test_group_stale_if_match(void)
{
	struct db *db;
	int64_t vs_id, rs_id[2];
	struct store *st = open_store("stale.db", &db, &vs_id, rs_id);
	int64_t r0 = store_revision(st);
	struct op a = {.kind = OP_RS_WEIGHT, .id = rs_id[0], .value = 2};
	struct op b = {.kind = OP_RS_WEIGHT, .id = rs_id[1], .value = 3};
	struct op c = {.kind = OP_RS_WEIGHT, .id = rs_id[1], .value = 4};
	struct op d = {.kind = OP_VS_DESCRIBE, .id = vs_id};
	struct store_write w[] = {wr(&alice, &a, r0), wr(&bob, &b, r0), wr(&carol, &c, r0 + 1),
				  wr(&bob, &d, r0 + 5)};
	struct fulcrum_change *ch;
	size_t n = 0;

	CU_ASSERT_EQUAL(store_group_run(st, w, 4), 0);
	CU_ASSERT_EQUAL(w[0].rc, 0);
	CU_ASSERT_EQUAL(w[0].revision, r0 + 1);
	CU_ASSERT_EQUAL(w[1].rc, -ESTALE); /* r0 was current when it arrived, not in its turn */
	CU_ASSERT_EQUAL(w[1].err.status, FULCRUM_ERR_STALE);
	CU_ASSERT_EQUAL(w[2].rc, 0);
	CU_ASSERT_EQUAL(w[2].revision, r0 + 2);
	CU_ASSERT_EQUAL(w[3].rc, -ESTALE);
	CU_ASSERT_EQUAL(store_rs_get(st, rs_id[1])->weight, 4);
	ch = changes(db, r0, &n);
	CU_ASSERT_EQUAL(n, 2);
	fulcrum_change_list_free(ch, n);
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

/* Two writes of one object in one group: each listener call sees the object as of its revision. */
static void test_group_same_object_twice(void)
{
	struct db *db;
	int64_t vs_id, rs_id[2];
	struct store *st = open_store("twice.db", &db, &vs_id, rs_id);
	struct heard h = {.st = st, .watch = rs_id[0]};
	struct op a = {.kind = OP_RS_WEIGHT, .id = rs_id[0], .value = 10};
	struct op b = {.kind = OP_RS_WEIGHT, .id = rs_id[0], .value = 20};
	struct store_write w[] = {wr(&alice, &a, 0), wr(&bob, &b, 0)};

	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	CU_ASSERT_EQUAL(store_group_run(st, w, 2), 0);
	CU_ASSERT_EQUAL(b.seen.weight, 10); /* the second saw the first's write */
	CU_ASSERT_EQUAL_FATAL(h.calls, 2);
	CU_ASSERT_EQUAL(h.weights[0], 10);
	CU_ASSERT_EQUAL(h.weights[1], 20);
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

static int refuse_commit(void *arg)
{
	(void)arg;
	return 1; /* SQLite turns the COMMIT into a ROLLBACK */
}

/* The COMMIT fails: every write gets the error, nothing is on disk, the mirror did not move. */
static void test_group_commit_fails(void)
{
	struct db *db;
	int64_t vs_id, rs_id[2];
	struct store *st = open_store("commit.db", &db, &vs_id, rs_id);
	int64_t r0 = store_revision(st);
	struct heard h = {.st = st, .watch = rs_id[0]};
	struct op a = {.kind = OP_RS_WEIGHT, .id = rs_id[0], .value = 30};
	struct op b = {.kind = OP_RS_CREATE, .id = vs_id, .addr = "10.0.0.8", .value = 1};
	struct op c = {.kind = OP_RS_WEIGHT, .id = rs_id[1], .value = 70000};
	struct store_write w[] = {wr(&alice, &a, 0), wr(&bob, &b, 0), wr(&carol, &c, 0)};
	size_t nrs = 0, n = 0;
	struct fulcrum_change *ch;
	int rc;

	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	sqlite3_commit_hook(db->conn, refuse_commit, NULL);
	rc = store_group_run(st, w, 3);
	sqlite3_commit_hook(db->conn, NULL, NULL);
	CU_ASSERT(rc < 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(w[i].rc, rc);
		CU_ASSERT_EQUAL(w[i].err.status, FULCRUM_ERR_INTERNAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(w[i].err.message, "commit"));
	}
	CU_ASSERT_EQUAL(h.calls, 0);
	CU_ASSERT_EQUAL(db_revision(db), r0);
	CU_ASSERT_EQUAL(store_revision(st), r0);
	CU_ASSERT_EQUAL(store_rs_get(st, rs_id[0])->weight, 1);
	store_rs_all(st, vs_id, &nrs);
	CU_ASSERT_EQUAL(nrs, 2);
	ch = changes(db, r0, &n);
	CU_ASSERT_EQUAL(n, 0);
	fulcrum_change_list_free(ch, n);
	unit_assert_mirror_matches(st);
	CU_ASSERT_FALSE(db_in_transaction(db));

	/* and the next group works */
	b.id = vs_id; /* the create in the failed group had set it to its (lost) id */
	CU_ASSERT_EQUAL(store_group_run(st, w, 2), 0);
	CU_ASSERT_EQUAL(w[0].rc, 0);
	CU_ASSERT_EQUAL(w[1].rc, 0);
	CU_ASSERT_EQUAL(w[1].revision, r0 + 2);
	CU_ASSERT_EQUAL(h.calls, 2);
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

/* Another process holds the write lock: BEGIN fails, every write gets the error. */
static void test_group_begin_fails(void)
{
	struct db *db, *other = NULL;
	int64_t vs_id, rs_id[2];
	struct store *st = open_store("busy.db", &db, &vs_id, rs_id);
	int64_t r0 = store_revision(st);
	struct op a = {.kind = OP_RS_WEIGHT, .id = rs_id[0], .value = 30};
	struct store_write w[] = {wr(&alice, &a, 0)};
	char path[1024], err[256];

	snprintf(path, sizeof(path), "%s/busy.db", dir);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &other, err, sizeof(err)), 0);
	db_busy_timeout(db, 10);
	CU_ASSERT_EQUAL_FATAL(db_begin(other), 0);
	CU_ASSERT_EQUAL(store_group_run(st, w, 1), -EBUSY);
	CU_ASSERT_EQUAL(w[0].rc, -EBUSY);
	CU_ASSERT_EQUAL(w[0].err.status, FULCRUM_ERR_INTERNAL);
	CU_ASSERT_EQUAL(db_rollback(other), 0);
	CU_ASSERT_EQUAL(store_revision(st), r0);
	CU_ASSERT_EQUAL(store_group_run(st, NULL, 0), 0);
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(other);
	db_close(db);
}

static int store_group_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int store_group_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(store_group)
{
	CU_pSuite s = CU_add_suite("store_group", store_group_setup, store_group_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "failed writes in the middle leave no trace", test_group_middle_fails);
	CU_add_test(s, "If-Match checked in each write's turn", test_group_stale_if_match);
	CU_add_test(s, "one object twice: listeners see each revision",
		    test_group_same_object_twice);
	CU_add_test(s, "a failed COMMIT fails every write", test_group_commit_fails);
	CU_add_test(s, "a failed BEGIN fails every write", test_group_begin_fails);
	return CU_get_error();
}
