/* Unit tests of controller/core/oper.c: the tracker tells each change, evaluating only what may have changed. */
#include "controller/core/oper.h"
#include "controller/model/model.h"
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct command_actor ann = {"ann", FULCRUM_ORIGIN_HTTP};

/* What the checks say, by real server id (ids below 16); the kernel holds everything. */
static enum oper_state health_of[16];

static void fake_kernel(void *arg, bool real, int64_t id, struct status_kernel *out)
{
	(void)arg;
	(void)real;
	(void)id;
	out->state = STATUS_KERNEL_IN_SYNC;
	out->present = true;
}

static void fake_health(void *arg, int64_t rs_id, struct oper_health *out)
{
	(void)arg;
	out->state = rs_id > 0 && rs_id < 16 ? health_of[rs_id] : OPER_UNKNOWN;
	snprintf(out->reason, sizeof(out->reason), "checked");
}

struct told {
	size_t n;
	bool real[8];
	int64_t id[8];
	enum oper_state state[8];
};

static void on_told(void *arg, const struct oper_change *ch)
{
	struct told *t = arg;

	if (t->n < 8) {
		t->real[t->n] = ch->real;
		t->id[t->n] = ch->id;
		t->state[t->n++] = ch->view->state;
	}
}

static void test_oper_dirty_only(void)
{
	char dir[512], path[1024], err[512] = "";
	struct db *db = NULL, *other = NULL;
	struct store *st = NULL;
	struct oper *o = NULL;
	struct oper_kernel k = {.fn = fake_kernel, .health = fake_health};
	struct told told = {0};
	struct fulcrum_err ferr;
	struct fulcrum_vs a = unit_vs("a", "192.0.2.1"), b = unit_vs("b", "192.0.2.2");
	struct fulcrum_rs ra[2] = {unit_rs("10.0.0.1"), unit_rs("10.0.0.2")},
			  rb = unit_rs("10.0.0.3");

	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/fulcrum.db", dir);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &db, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL_FATAL(store_vs_create(st, &ann, &a, ra, 2, 0, NULL, &ferr), 0);
	CU_ASSERT_EQUAL_FATAL(store_vs_create(st, &ann, &b, &rb, 1, 0, NULL, &ferr), 0);
	CU_ASSERT_FATAL(ra[1].id < 16 && rb.id < 16);
	for (int i = 0; i < 16; i++)
		health_of[i] = OPER_UP;
	CU_ASSERT_EQUAL_FATAL(oper_new(st, &k, &o), 0);
	CU_ASSERT_EQUAL(oper_subscribe(o, on_told, &told), 0);
	CU_ASSERT_EQUAL(oper_refresh(o, 0), 0); /* the first records */

	/* one health change, marked dirty: the real server and its service are told, nothing else */
	health_of[ra[0].id] = OPER_DOWN;
	oper_dirty(o, true, ra[0].id);
	CU_ASSERT_EQUAL(oper_refresh(o, 0), 2);
	CU_ASSERT_TRUE(told.real[0]);
	CU_ASSERT_EQUAL(told.id[0], ra[0].id);
	CU_ASSERT_EQUAL(told.state[0], OPER_DOWN);
	CU_ASSERT_FALSE(told.real[1]);
	CU_ASSERT_EQUAL(told.id[1], a.id);
	CU_ASSERT_EQUAL(told.state[1], OPER_DEGRADED);

	/* nothing dirty, nothing moved: nothing is looked at (a mark or a generation would be) */
	told.n = 0;
	health_of[rb.id] = OPER_DOWN;
	CU_ASSERT_EQUAL(oper_refresh(o, 0), 0);
	CU_ASSERT_EQUAL(oper_refresh(o, 1), 2); /* the kernel's generation moved: everything */
	CU_ASSERT_EQUAL(told.id[0], rb.id);
	CU_ASSERT_EQUAL(told.id[1], b.id);

	/* a commit event: the real server deleted is forgotten, its service redone */
	told.n = 0;
	CU_ASSERT_EQUAL_FATAL(store_rs_delete(st, &ann, ra[1].id, 0, NULL, &ferr), 0);
	CU_ASSERT_EQUAL(oper_refresh(o, 1), 1);
	CU_ASSERT_EQUAL(told.id[0], a.id);
	CU_ASSERT_EQUAL(told.state[0], OPER_DOWN);
	CU_ASSERT_EQUAL(oper_since(o, true, ra[1].id), 0);
	CU_ASSERT_NOT_EQUAL(oper_since(o, true, ra[0].id), 0);

	/* a commit event of b: b and its real servers are looked at, not a's */
	told.n = 0;
	health_of[ra[0].id] = OPER_UP;
	b = *store_vs_get(st, b.id);
	snprintf(b.description, sizeof(b.description), "changed");
	CU_ASSERT_EQUAL_FATAL(store_vs_update(st, &ann, &b, 0, NULL, &ferr), 0);
	CU_ASSERT_EQUAL(oper_refresh(o, 1), 0);

	/* another process's commit: a reload event, everything is looked at */
	CU_ASSERT_EQUAL_FATAL(db_open(path, &other, err, sizeof(err)), 0);
	snprintf(b.description, sizeof(b.description), "changed elsewhere");
	CU_ASSERT_EQUAL_FATAL(command_vs_update(other, &ann, &b, 0, NULL, &ferr), 0);
	CU_ASSERT_EQUAL(store_reload(st), 0);
	CU_ASSERT_EQUAL(oper_refresh(o, 1), 2); /* ra[0] up again, a with it */

	oper_free(o);
	store_free(st);
	db_close(other);
	db_close(db);
	unit_tmpdir_cleanup(dir);
}

/* A service and real server created after the tracker started: their last change is their commit's time
 * at once, not 0 until the next refresh;
 * the first refresh keeps it. */
static void test_oper_since_creation(void)
{
	char dir[512], path[1024], err[512] = "";
	struct db *db = NULL;
	struct store *st = NULL;
	struct oper *o = NULL;
	struct oper_kernel k = {.fn = fake_kernel, .health = fake_health};
	struct fulcrum_err ferr;
	struct fulcrum_vs a = unit_vs("a", "192.0.2.1");
	struct fulcrum_rs ra = unit_rs("10.0.0.1");
	time_t before, at;

	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/fulcrum.db", dir);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &db, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL_FATAL(oper_new(st, &k, &o), 0);
	CU_ASSERT_EQUAL(oper_refresh(o, 0), 0);
	before = time(NULL);
	CU_ASSERT_EQUAL_FATAL(store_vs_create(st, &ann, &a, &ra, 1, 0, NULL, &ferr), 0);
	CU_ASSERT_FATAL(ra.id > 0 && ra.id < 16);
	at = (time_t)store_last_change(st)->time;
	CU_ASSERT_TRUE(at >= before && at <= time(NULL));
	CU_ASSERT_EQUAL(oper_since(o, false, a.id), at);
	CU_ASSERT_EQUAL(oper_since(o, true, ra.id), at);
	health_of[ra.id] = OPER_UP;
	oper_refresh(o, 0);
	CU_ASSERT_EQUAL(oper_since(o, false, a.id), at);
	CU_ASSERT_EQUAL(oper_since(o, true, ra.id), at);
	/* deleted before any refresh: forgotten */
	CU_ASSERT_EQUAL_FATAL(store_vs_delete(st, &ann, a.id, 0, NULL, &ferr), 0);
	oper_refresh(o, 0);
	CU_ASSERT_EQUAL(oper_since(o, false, a.id), 0);
	CU_ASSERT_EQUAL(oper_since(o, true, ra.id), 0);

	oper_free(o);
	store_free(st);
	db_close(db);
	unit_tmpdir_cleanup(dir);
}

UNIT_SUITE(oper)
{
	CU_pSuite s = CU_add_suite("oper", NULL, NULL);

	if (!s || !CU_add_test(s, "only what may have changed", test_oper_dirty_only) ||
	    !CU_add_test(s, "a new object's last change is its creation", test_oper_since_creation))
		return CU_get_error();
	return CUE_SUCCESS;
}
