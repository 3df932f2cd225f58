/* Unit tests of controller/store.c: the in-memory model follows every commit, and only commits. */
#include "model.h"
#include "store.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];
static const struct command_actor bob = {"bob", FULCRUM_ORIGIN_SNMP};

struct heard {
	int calls;
	int64_t last;
};

static void on_commit(int64_t revision, void *arg)
{
	struct heard *h = arg;

	h->calls++;
	h->last = revision;
}

static struct db *open_db(const char *name)
{
	char path[1024], err[512] = "";
	struct db *db = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &db, err, sizeof(err)), 0);
	return db;
}

static struct fulcrum_vs svc(const char *name, const char *addr)
{
	struct fulcrum_vs vs;

	model_vs_init(&vs);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "name", name, NULL), 0);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "address", addr, NULL), 0);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "port", "80", NULL), 0);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "protocol", "tcp", NULL), 0);
	return vs;
}

static struct fulcrum_rs real(const char *addr)
{
	struct fulcrum_rs rs;

	model_rs_init(&rs);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "address", addr, NULL), 0);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "port", "80", NULL), 0);
	return rs;
}

/* The mirror holds exactly what the database holds. */
static void assert_mirror_matches(struct store *st)
{
	struct fulcrum_vs *vs = NULL;
	struct fulcrum_rs *rs = NULL;
	size_t nvs = 0, nrs = 0, mvs, mrs;
	const struct fulcrum_vs *const *mv = store_vs_all(st, &mvs);
	const struct fulcrum_rs *const *mr = store_rs_all(st, 0, &mrs);

	CU_ASSERT_EQUAL_FATAL(db_vs_list(store_db(st), &vs, &nvs), 0);
	CU_ASSERT_EQUAL_FATAL(db_rs_list(store_db(st), 0, &rs, &nrs), 0);
	CU_ASSERT_EQUAL(store_revision(st), db_revision(store_db(st)));
	CU_ASSERT_EQUAL_FATAL(mvs, nvs);
	CU_ASSERT_EQUAL_FATAL(mrs, nrs);
	for (size_t i = 0; i < nvs; i++)
		CU_ASSERT_EQUAL(memcmp(mv[i], &vs[i], sizeof(vs[i])), 0);
	for (size_t i = 0; i < nrs; i++) {
		const struct fulcrum_rs *m = store_rs_get(st, rs[i].id);

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(memcmp(m, &rs[i], sizeof(rs[i])), 0);
	}
	/* And the (service, id) order the MIB walks. */
	for (size_t i = 1; i < mrs; i++)
		CU_ASSERT(mr[i - 1]->vs_id < mr[i]->vs_id ||
			  (mr[i - 1]->vs_id == mr[i]->vs_id && mr[i - 1]->id < mr[i]->id));
	free(vs);
	free(rs);
}

static void test_store_follows_writes(void)
{
	struct db *db = open_db("follow.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct fulcrum_vs a = svc("a", "192.0.2.1"), b = svc("b", "192.0.2.2");
	struct fulcrum_rs reals[2] = {real("10.0.0.1"), real("10.0.0.2")}, extra = real("10.0.0.3");
	struct fulcrum_err err = {0};
	int64_t rev = 0;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_listen(st, on_commit, &h), 0);
	CU_ASSERT_EQUAL(store_vs_create(st, &bob, &a, reals, 2, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(store_vs_create(st, &bob, &b, NULL, 0, 0, &rev, &err), 0);
	extra.vs_id = a.id;
	CU_ASSERT_EQUAL(store_rs_create(st, &bob, &extra, 0, &rev, &err), 0);
	/* A real server added later to the first service sorts before the second service's. */
	store_rs_all(st, a.id, &n);
	CU_ASSERT_EQUAL(n, 3);
	assert_mirror_matches(st);

	extra.weight = 7;
	CU_ASSERT_EQUAL(store_rs_update(st, &bob, &extra, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(store_rs_get(st, extra.id)->weight, 7);
	a.admin_state = FULCRUM_VS_DISABLED;
	CU_ASSERT_EQUAL(store_vs_update(st, &bob, &a, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(store_vs_find_by_name(st, "a")->admin_state, FULCRUM_VS_DISABLED);
	CU_ASSERT_EQUAL(h.calls, 5);
	CU_ASSERT_EQUAL(h.last, rev);
	assert_mirror_matches(st);

	/* Deleting a service takes its real servers out of the mirror too. */
	CU_ASSERT_EQUAL(store_vs_delete(st, &bob, a.id, 0, &rev, &err), 0);
	CU_ASSERT_PTR_NULL(store_vs_get(st, a.id));
	CU_ASSERT_PTR_NULL(store_rs_get(st, extra.id));
	store_rs_all(st, 0, &n);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(h.calls, 6);
	assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

static void test_store_failed_write_changes_nothing(void)
{
	struct db *db = open_db("fail.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct fulcrum_vs a = svc("a", "192.0.2.1"), dup = svc("a", "192.0.2.9");
	struct fulcrum_rs bad = real("10.0.0.1");
	struct fulcrum_err err = {0};
	int64_t rev = 0;

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_vs_create(st, &bob, &a, NULL, 0, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(store_listen(st, on_commit, &h), 0);
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
	assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

/* A write by another process (fulcrumctl in local mode) reaches the mirror on reload. */
static void test_store_reload_sees_other_writer(void)
{
	struct db *db = open_db("reload.db"), *other = open_db("reload.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct fulcrum_vs a = svc("a", "192.0.2.1");
	struct fulcrum_err err = {0};

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_listen(st, on_commit, &h), 0);
	CU_ASSERT_EQUAL(command_vs_create(other, &bob, &a, NULL, 0, 0, NULL, &err), 0);
	CU_ASSERT_PTR_NULL(store_vs_get(st, a.id));
	CU_ASSERT_EQUAL(store_reload(st), 0);
	CU_ASSERT_PTR_NOT_NULL(store_vs_get(st, a.id));
	CU_ASSERT_EQUAL(h.calls, 1);
	/* Nothing new: no reload, no notification. */
	CU_ASSERT_EQUAL(store_reload(st), 0);
	CU_ASSERT_EQUAL(h.calls, 1);
	assert_mirror_matches(st);
	store_free(st);
	db_close(other);
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
	return CU_get_error();
}
