/* Unit tests of controller/core/store.c: the in-memory model follows every commit, and only commits. */
#include "controller/core/store.h"
#include "controller/model/model.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];
static const struct command_actor bob = {"bob", FULCRUM_ORIGIN_SNMP};

/* What a subscriber heard of the commit events. */
struct heard {
	int calls;
	int64_t last;
	bool reload;
	size_t n;                         /* objects the last event named */
	size_t creates, updates, deletes; /* of them */
	enum fulcrum_kind last_kind;      /* the kind of the last object it named */
	char actor[65];
};

static void on_commit(void *arg, const struct store_commit *ev)
{
	struct heard *h = arg;

	h->calls++;
	h->last = ev->revision;
	h->reload = ev->reload;
	h->n = ev->n;
	h->creates = h->updates = h->deletes = 0;
	for (size_t i = 0; i < ev->n; i++) {
		const struct command_change *c = &ev->changes[i];

		h->creates += c->op == COMMAND_CHANGE_CREATE;
		h->updates += c->op == COMMAND_CHANGE_UPDATE;
		h->deletes += c->op == COMMAND_CHANGE_DELETE;
		h->last_kind = c->kind;
		/* what it says matches the object's JSON: no after for a deletion, no before for a creation */
		CU_ASSERT((c->op == COMMAND_CHANGE_CREATE) == (c->before == NULL));
		CU_ASSERT((c->op == COMMAND_CHANGE_DELETE) == (c->after == NULL));
	}
	snprintf(h->actor, sizeof(h->actor), "%s", ev->actor);
}

static struct db *open_db(const char *name)
{
	char path[1024], err[512] = "";
	struct db *db = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &db, err, sizeof(err)), 0);
	return db;
}

/* The mirror holds exactly what the database holds. */
void unit_assert_mirror_matches(struct store *st)
{
	struct fulcrum_vs *vs = NULL;
	struct fulcrum_rs *rs = NULL;
	size_t nvs = 0, nrs = 0, mvs, mrs;
	const struct fulcrum_vs *const *mv = store_vs_all(st, &mvs);
	const struct fulcrum_rs_stored *const *mr = store_rs_all(st, 0, &mrs);

	CU_ASSERT_EQUAL_FATAL(db_vs_list(store_db(st), &vs, &nvs), 0);
	CU_ASSERT_EQUAL_FATAL(db_rs_list(store_db(st), 0, &rs, &nrs), 0);
	CU_ASSERT_EQUAL(store_revision(st), db_revision(store_db(st)));
	CU_ASSERT_EQUAL_FATAL(mvs, nvs);
	CU_ASSERT_EQUAL_FATAL(mrs, nrs);
	for (size_t i = 0; i < nvs; i++)
		CU_ASSERT_EQUAL(memcmp(mv[i], &vs[i], sizeof(vs[i])), 0);
	for (size_t i = 0; i < nrs; i++) {
		const struct fulcrum_rs_stored *m = store_rs_get(st, rs[i].id);

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(memcmp(m, &rs[i], offsetof(struct fulcrum_rs, description)), 0);
		CU_ASSERT_STRING_EQUAL(m->description, rs[i].description);
	}
	/* And the (service, id) order the MIB walks. */
	for (size_t i = 1; i < mrs; i++)
		CU_ASSERT(mr[i - 1]->vs_id < mr[i]->vs_id ||
			  (mr[i - 1]->vs_id == mr[i]->vs_id && mr[i - 1]->id < mr[i]->id));
	free(vs);
	free(rs);
	unit_assert_mirror_vips_match(st);
}

static void test_store_follows_writes(void)
{
	struct db *db = open_db("follow.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct fulcrum_vs a = unit_vs("a", "192.0.2.1"), b = unit_vs("b", "192.0.2.2");
	struct fulcrum_rs reals[2] = {unit_rs("10.0.0.1"), unit_rs("10.0.0.2")},
			  extra = unit_rs("10.0.0.3");
	struct fulcrum_err err = {0};
	int64_t rev = 0;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	CU_ASSERT_EQUAL(store_vs_create(st, &bob, &a, reals, 2, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(store_vs_create(st, &bob, &b, NULL, 0, 0, &rev, &err), 0);
	extra.vs_id = a.id;
	CU_ASSERT_EQUAL(store_rs_create(st, &bob, &extra, 0, &rev, &err), 0);
	/* A real server added later to the first service sorts before the second service's. */
	store_rs_all(st, a.id, &n);
	CU_ASSERT_EQUAL(n, 3);
	unit_assert_mirror_matches(st);

	/* Changed in place: both indexes hold the new copy, however long its description. */
	extra.weight = 7;
	snprintf(extra.description, sizeof(extra.description), "%s", "moved to the new rack");
	CU_ASSERT_EQUAL(store_rs_update(st, &bob, &extra, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(store_rs_get(st, extra.id)->weight, 7);
	{
		const struct fulcrum_rs_stored *const *of_a = store_rs_all(st, a.id, &n);

		CU_ASSERT_EQUAL_FATAL(n, 3);
		CU_ASSERT_PTR_EQUAL(of_a[2], store_rs_get(st, extra.id));
		CU_ASSERT_STRING_EQUAL(of_a[2]->description, "moved to the new rack");
	}
	a.admin_state = FULCRUM_VS_DISABLED;
	CU_ASSERT_EQUAL(store_vs_update(st, &bob, &a, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(store_vs_find_by_name(st, "a")->admin_state, FULCRUM_VS_DISABLED);
	CU_ASSERT_EQUAL(h.calls, 5);
	CU_ASSERT_EQUAL(h.last, rev);
	unit_assert_mirror_matches(st);

	/* Deleting a service takes its real servers out of the mirror too. */
	CU_ASSERT_EQUAL(store_vs_delete(st, &bob, a.id, 0, &rev, &err), 0);
	CU_ASSERT_PTR_NULL(store_vs_get(st, a.id));
	CU_ASSERT_PTR_NULL(store_rs_get(st, extra.id));
	store_rs_all(st, 0, &n);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(h.calls, 6);
	/* its event names the three real servers and the service, deleted, service last */
	CU_ASSERT_FALSE(h.reload);
	CU_ASSERT_EQUAL(h.n, 4);
	CU_ASSERT_EQUAL(h.deletes, 4);
	CU_ASSERT_EQUAL(h.last_kind, FULCRUM_KIND_VS);
	CU_ASSERT_STRING_EQUAL(h.actor, "bob");
	CU_ASSERT_EQUAL(store_last_change(st)->revision, rev);
	CU_ASSERT_STRING_EQUAL(store_last_change(st)->actor, "bob");
	CU_ASSERT_EQUAL(store_last_change(st)->origin, FULCRUM_ORIGIN_SNMP);
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

static void test_store_failed_write_changes_nothing(void)
{
	struct db *db = open_db("fail.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct fulcrum_vs a = unit_vs("a", "192.0.2.1"), dup = unit_vs("a", "192.0.2.9");
	struct fulcrum_rs bad = unit_rs("10.0.0.1");
	struct fulcrum_err err = {0};
	int64_t rev = 0;

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_vs_create(st, &bob, &a, NULL, 0, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	CU_ASSERT_EQUAL(store_vs_create(st, &bob, &dup, NULL, 0, 0, NULL, &err), -EEXIST);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_CONFLICT);
	bad.vs_id = a.id;
	bad.weight = 70000;
	CU_ASSERT_EQUAL(store_rs_create(st, &bob, &bad, 0, NULL, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "weight");
	CU_ASSERT_EQUAL(store_vs_delete(st, &bob, a.id, rev - 1 + 5, NULL, &err), -ESTALE);
	CU_ASSERT_PTR_NOT_NULL(store_vs_get(st, a.id));
	CU_ASSERT_EQUAL(h.calls, 0);
	CU_ASSERT_EQUAL(store_revision(st), rev);
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

/* A write by another process (fulcrumctl in local mode) reaches the mirror on reload. */
static void test_store_reload_sees_other_writer(void)
{
	struct db *db = open_db("reload.db"), *other = open_db("reload.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct fulcrum_vs a = unit_vs("a", "192.0.2.1");
	struct fulcrum_err err = {0};

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	CU_ASSERT_EQUAL(command_vs_create(other, &bob, &a, NULL, 0, 0, NULL, &err), 0);
	CU_ASSERT_PTR_NULL(store_vs_get(st, a.id));
	CU_ASSERT_EQUAL(store_reload(st), 0);
	CU_ASSERT_PTR_NOT_NULL(store_vs_get(st, a.id));
	CU_ASSERT_EQUAL(h.calls, 1);
	/* another process's commit: a reload event, and the last change read from the log */
	CU_ASSERT_TRUE(h.reload);
	CU_ASSERT_EQUAL(h.n, 0);
	CU_ASSERT_STRING_EQUAL(store_last_change(st)->actor, "bob");
	CU_ASSERT_NOT_EQUAL(store_last_change(st)->time, 0);
	/* Nothing new: no reload, no notification. */
	CU_ASSERT_EQUAL(store_reload(st), 0);
	CU_ASSERT_EQUAL(h.calls, 1);
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(other);
	db_close(db);
}

/* The next ids the store answers from memory are the database's. */
static void assert_next_ids_match(struct store *st)
{
	int64_t vs = 0, rs = 0;

	CU_ASSERT_EQUAL(db_vs_next_id(store_db(st), &vs), 0);
	CU_ASSERT_EQUAL(db_rs_next_id(store_db(st), &rs), 0);
	CU_ASSERT_EQUAL(store_vs_next_id(st), vs);
	CU_ASSERT_EQUAL(store_rs_next_id(st), rs);
}

static void test_store_batch(void)
{
	struct db *db = open_db("batch.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct fulcrum_vs a = unit_vs("a", "192.0.2.1"), b = unit_vs("b", "192.0.2.2");
	struct fulcrum_rs ra = unit_rs("10.0.0.1"),
			  rb[2] = {unit_rs("10.0.1.1"), unit_rs("10.0.1.2")};
	struct command_op ops[7] = {
	    {.kind = COMMAND_VS_CREATE, .vs = unit_vs("c", "192.0.2.3")},
	    {.kind = COMMAND_RS_CREATE, .rs = unit_rs("10.0.2.1")},
	    {.kind = COMMAND_RS_CREATE, .rs = unit_rs("10.0.2.2")},
	    {.kind = COMMAND_VS_DELETE},
	    {.kind = COMMAND_RS_UPDATE},
	    {.kind = COMMAND_VS_CREATE, .vs = unit_vs("gone", "192.0.2.4")},
	    {.kind = COMMAND_VS_DELETE},
	};
	struct fulcrum_err err = {0};
	int64_t rev = 0;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	assert_next_ids_match(st);
	CU_ASSERT_EQUAL(store_vs_create(st, &bob, &a, &ra, 1, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(store_vs_create(st, &bob, &b, rb, 2, 0, &rev, &err), 0);
	assert_next_ids_match(st); /* single commands move them too */
	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	ops[0].vs.id = 20;
	ops[1].rs.vs_id = ops[2].rs.vs_id = 20;
	ops[3].vs.id = b.id; /* and its two real servers */
	ops[4].rs = ra;
	ops[4].rs.weight = 3;
	ops[5].vs.id = 21; /* created and deleted in one go: the id is spent all the same */
	ops[6].vs.id = 21;
	CU_ASSERT_EQUAL(store_batch(st, &bob, ops, 7, 0, &rev, &err, NULL), 0);
	CU_ASSERT_EQUAL(h.calls, 1);
	CU_ASSERT_EQUAL(h.last, rev);
	/* one event for the batch: 20 and its two, 21 made and gone, b's two and b gone, ra changed */
	CU_ASSERT_EQUAL(h.creates, 4);
	CU_ASSERT_EQUAL(h.deletes, 4);
	CU_ASSERT_EQUAL(h.updates, 1);
	CU_ASSERT_EQUAL(store_revision(st), rev);
	CU_ASSERT_PTR_NOT_NULL(store_vs_get(st, 20));
	CU_ASSERT_PTR_NULL(store_vs_get(st, b.id));
	CU_ASSERT_PTR_NULL(store_vs_get(st, 21));
	CU_ASSERT_PTR_NULL(store_rs_get(st, rb[0].id));
	CU_ASSERT_EQUAL(store_rs_get(st, ra.id)->weight, 3);
	store_rs_all(st, 20, &n);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(store_vs_next_id(st), 22);
	assert_next_ids_match(st);
	unit_assert_mirror_matches(st);
	/* a failed batch: nothing moves, no one hears */
	ops[0].kind = COMMAND_RS_DELETE;
	ops[0].rs.id = ra.id;
	ops[1].kind = COMMAND_RS_DELETE; /* gone already */
	ops[1].rs.id = rb[0].id;
	CU_ASSERT_EQUAL(store_batch(st, &bob, ops, 2, 0, NULL, &err, NULL), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(store_rs_get(st, ra.id));
	CU_ASSERT_EQUAL(h.calls, 1);
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

static void test_store_notify_switches(void)
{
	struct db *db = open_db("notify.db"), *other = open_db("notify.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct command_op op = {
	    .kind = COMMAND_NOTIFY_SET, .notify = COMMAND_NOTIFY_RS_STATE, .enabled = false};
	struct fulcrum_err err = {0};
	int64_t rev = -1;

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	for (int i = 0; i < COMMAND_NOTIFY_COUNT; i++)
		CU_ASSERT_TRUE(store_notify_enabled(st, (enum command_notify)i));
	CU_ASSERT_FALSE(store_notify_enabled(st, COMMAND_NOTIFY_COUNT));
	CU_ASSERT_EQUAL(store_batch(st, &bob, &op, 1, 0, &rev, &err, NULL), 0);
	CU_ASSERT_EQUAL(rev, 0);
	CU_ASSERT_FALSE(store_notify_enabled(st, COMMAND_NOTIFY_RS_STATE));
	CU_ASSERT_EQUAL(h.calls, 0); /* not configuration: no listener */
	/* another process's switch reaches the store on reload, still without listeners */
	op.notify = COMMAND_NOTIFY_ROLE_CHANGE;
	CU_ASSERT_EQUAL(command_batch(other, &bob, &op, 1, 0, NULL, &err, NULL), 0);
	CU_ASSERT_TRUE(store_notify_enabled(st, COMMAND_NOTIFY_ROLE_CHANGE));
	CU_ASSERT_EQUAL(store_reload(st), 0);
	CU_ASSERT_FALSE(store_notify_enabled(st, COMMAND_NOTIFY_ROLE_CHANGE));
	CU_ASSERT_EQUAL(h.calls, 0);
	/* and a reopened store reads them back */
	store_free(st);
	CU_ASSERT_EQUAL_FATAL(store_open(other, &st), 0);
	CU_ASSERT_FALSE(store_notify_enabled(st, COMMAND_NOTIFY_RS_STATE));
	CU_ASSERT_TRUE(store_notify_enabled(st, COMMAND_NOTIFY_VS_AVAILABILITY));
	store_free(st);
	db_close(other);
	db_close(db);
}

/* A commit that lands right after another process's: the mirror takes both. */
static void test_store_write_after_other_writer(void)
{
	struct db *db = open_db("race.db"), *other = open_db("race.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct fulcrum_vs a = unit_vs("a", "192.0.2.1"), b = unit_vs("b", "192.0.2.2");
	struct fulcrum_err err = {0};
	int64_t rev = 0;

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	CU_ASSERT_EQUAL(command_vs_create(other, &bob, &a, NULL, 0, 0, NULL, &err), 0);
	CU_ASSERT_EQUAL(store_vs_create(st, &bob, &b, NULL, 0, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(rev, 2);
	CU_ASSERT_PTR_NOT_NULL(store_vs_get(st, a.id));
	CU_ASSERT_EQUAL(h.calls, 1);
	unit_assert_mirror_matches(st);
	assert_next_ids_match(st);
	store_free(st);
	db_close(other);
	db_close(db);
}

/*
 * The mirror keeps each real server only as long as its description (100,000
 * of them at 256 bytes each were a quarter of fulcrumd's memory); a copy
 * taken with model_rs_copy() is the whole real server again, the same as the
 * database's, whatever dst held before.
 */
static void test_store_rs_kept_short(void)
{
	struct db *db = open_db("short.db");
	struct store *st = NULL;
	struct fulcrum_vs a = unit_vs("a", "192.0.2.1");
	struct fulcrum_rs reals[2] = {unit_rs("10.0.0.1"), unit_rs("10.0.0.2")}, stored, copy;
	struct fulcrum_err err = {0};
	int64_t rev = 0;

	memset(reals[1].description, 'd', 200);
	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL_FATAL(store_vs_create(st, &bob, &a, reals, 2, 0, &rev, &err), 0);
	for (size_t i = 0; i < 2; i++) {
		const struct fulcrum_rs_stored *m = store_rs_get(st, reals[i].id);

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		/* The mirror keeps a real server only as long as its description. */
		CU_ASSERT_EQUAL(model_rs_stored_size(&reals[i]),
				offsetof(struct fulcrum_rs_stored, description) +
				    strlen(reals[i].description) + 1);
		CU_ASSERT(malloc_usable_size((void *)m) < sizeof(struct fulcrum_rs));
		CU_ASSERT(malloc_usable_size((void *)m) >= model_rs_stored_size(&reals[i]));
		memset(&copy, 0xa5, sizeof(copy));
		model_rs_copy(&copy, m);
		CU_ASSERT_EQUAL_FATAL(db_rs_get(store_db(st), reals[i].id, &stored), 0);
		CU_ASSERT_EQUAL(memcmp(&copy, &stored, sizeof(copy)), 0);
		CU_ASSERT_STRING_EQUAL(copy.description, reals[i].description);
	}
	store_free(st);
	db_close(db);
}

static int store_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int store_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(store)
{
	CU_pSuite s = CU_add_suite("store", store_setup, store_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "mirror follows every committed write", test_store_follows_writes);
	CU_add_test(s, "failed write leaves mirror and listeners alone",
		    test_store_failed_write_changes_nothing);
	CU_add_test(s, "reload sees another process's commit", test_store_reload_sees_other_writer);
	CU_add_test(s, "a batch: the mirror follows, listeners run once", test_store_batch);
	CU_add_test(s, "notification switches from memory", test_store_notify_switches);
	CU_add_test(s, "a real server is kept short, copied out whole", test_store_rs_kept_short);
	CU_add_test(s, "a write right after another process's",
		    test_store_write_after_other_writer);
	return CU_get_error();
}
