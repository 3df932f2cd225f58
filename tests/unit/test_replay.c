/* Unit tests of controller/core/command_replay.c and store_replay(): the active's revisions committed on the standby. */
#include "controller/core/store.h"
#include "controller/model/model.h"
#include "controller/model/model_kind.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char dir[512];
static const struct command_actor alice = {"alice", FULCRUM_ORIGIN_HTTP};
static const struct command_actor nms = {"public", FULCRUM_ORIGIN_SNMP};
static const struct command_actor peer = {"lb-a", FULCRUM_ORIGIN_SYNC};

static struct store *open_store(const char *name, struct db **dbp)
{
	char path[1024], err[512] = "";
	struct store *st = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CU_ASSERT_EQUAL_FATAL(db_open(path, dbp, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(store_open(*dbp, &st), 0);
	return st;
}

/* The change log after since, grouped by revision into r (at most max); *nrev of them. */
struct log {
	struct fulcrum_change *rows;
	size_t n;
	struct command_replay revs[64];
	size_t nrev;
};

static void log_read(struct db *db, int64_t since, struct log *l)
{
	memset(l, 0, sizeof(*l));
	CU_ASSERT_EQUAL_FATAL(db_change_list(db, since, 0, &l->rows, &l->n), 0);
	for (size_t i = 0; i < l->n; i++) {
		struct command_replay *r = l->nrev ? &l->revs[l->nrev - 1] : NULL;

		if (!r || r->revision != l->rows[i].revision) {
			CU_ASSERT_FATAL(l->nrev < 64);
			r = &l->revs[l->nrev++];
			r->revision = l->rows[i].revision;
			r->time = l->rows[i].time;
			r->actor = l->rows[i].actor;
			r->origin = l->rows[i].origin;
			r->changes = &l->rows[i];
		}
		r->n++;
	}
}

static void log_free(struct log *l)
{
	fulcrum_change_list_free(l->rows, l->n);
}

/* Every row of the two logs, equal field by field; b's times shift seconds from a's. */
static void assert_logs_equal(struct db *a, struct db *b, int64_t shift)
{
	struct log la, lb;

	log_read(a, 0, &la);
	log_read(b, 0, &lb);
	CU_ASSERT_EQUAL(la.n, lb.n);
	for (size_t i = 0; i < la.n && i < lb.n; i++) {
		const struct fulcrum_change *x = &la.rows[i], *y = &lb.rows[i];

		CU_ASSERT_EQUAL(x->revision, y->revision);
		CU_ASSERT_EQUAL(x->time + shift, y->time);
		CU_ASSERT_STRING_EQUAL(x->actor, y->actor);
		CU_ASSERT_EQUAL(x->origin, y->origin);
		CU_ASSERT_STRING_EQUAL(x->object_type, y->object_type);
		CU_ASSERT_EQUAL(x->object_id, y->object_id);
		CU_ASSERT((!x->before && !y->before) ||
			  (x->before && y->before && strcmp(x->before, y->before) == 0));
		CU_ASSERT((!x->after && !y->after) ||
			  (x->after && y->after && strcmp(x->after, y->after) == 0));
	}
	log_free(&la);
	log_free(&lb);
}

/* The JSON of every object of both stores, and their next ids, equal. */
static void assert_stores_equal(struct store *a, struct store *b)
{
	size_t na, nb;
	const struct fulcrum_vs *const *va = store_vs_all(a, &na), *const *vb =
								       store_vs_all(b, &nb);

	CU_ASSERT_EQUAL(store_revision(a), store_revision(b));
	CU_ASSERT_EQUAL(na, nb);
	for (size_t i = 0; i < na && i < nb; i++) {
		json_t *jx = model_kind(FULCRUM_KIND_VS)->to_json(va[i]);
		json_t *jy = model_kind(FULCRUM_KIND_VS)->to_json(vb[i]);
		char *x = json_dumps(jx, JSON_COMPACT), *y = json_dumps(jy, JSON_COMPACT);

		CU_ASSERT_STRING_EQUAL(x, y);
		free(x);
		free(y);
		json_decref(jx);
		json_decref(jy);
	}
	const struct fulcrum_rs_stored *const *ra = store_rs_all(a, 0, &na);
	const struct fulcrum_rs_stored *const *rb = store_rs_all(b, 0, &nb);

	CU_ASSERT_EQUAL(na, nb);
	for (size_t i = 0; i < na && i < nb; i++) {
		CU_ASSERT_EQUAL(ra[i]->id, rb[i]->id);
		CU_ASSERT_EQUAL(ra[i]->weight, rb[i]->weight);
		CU_ASSERT_EQUAL(ra[i]->vs_id, rb[i]->vs_id);
	}
	const struct fulcrum_vip *const *pa = store_vip_all(a, &na), *const *pb =
									 store_vip_all(b, &nb);

	CU_ASSERT_EQUAL(na, nb);
	for (size_t i = 0; i < na && i < nb; i++) {
		CU_ASSERT_EQUAL(pa[i]->id, pb[i]->id);
		CU_ASSERT_EQUAL(pa[i]->prefix, pb[i]->prefix);
	}
	CU_ASSERT_EQUAL(store_vs_next_id(a), store_vs_next_id(b));
	CU_ASSERT_EQUAL(store_rs_next_id(a), store_rs_next_id(b));
	CU_ASSERT_EQUAL(store_vip_next_id(a), store_vip_next_id(b));
}

/* Writes of every kind on a: creates (one with real servers), updates, deletes. */
static void write_some(struct store *a)
{
	struct fulcrum_rs reals[3] = {unit_rs("10.0.0.1"), unit_rs("10.0.0.2"),
				      unit_rs("10.0.0.3")};
	struct fulcrum_vs web = unit_vs("web", "192.0.2.1"), mail = unit_vs("mail", "192.0.2.2");
	struct fulcrum_rs extra = unit_rs("10.0.0.9");
	struct fulcrum_vip vip;
	struct fulcrum_rs rs;

	CU_ASSERT_EQUAL_FATAL(store_vs_create(a, &alice, &web, reals, 3, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_vs_create(a, &nms, &mail, NULL, 0, 0, NULL, NULL), 0);
	extra.vs_id = mail.id;
	CU_ASSERT_EQUAL_FATAL(store_rs_create(a, &alice, &extra, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_copy(a, FULCRUM_KIND_RS, reals[1].id, &rs), 0);
	rs.weight = 7;
	CU_ASSERT_EQUAL_FATAL(store_rs_update(a, &nms, &rs, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_rs_delete(a, &alice, reals[2].id, 0, NULL, NULL), 0);
	model_vip_init(&vip);
	CU_ASSERT_EQUAL_FATAL(model_vip_set_field(&vip, "address", "192.0.2.100", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(model_vip_set_field(&vip, "interface", "eth0", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_vip_create(a, &alice, &vip, 0, NULL, NULL), 0);
	vip.prefix = 24;
	CU_ASSERT_EQUAL_FATAL(store_vip_update(a, &alice, &vip, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_vs_delete(a, &alice, web.id, 0, NULL, NULL), 0);
}

struct heard {
	int calls;
	int64_t last;
	char actor[65];
	enum fulcrum_origin origin;
};

static void on_commit(void *arg, const struct store_commit *ev)
{
	struct heard *h = arg;

	h->calls++;
	h->last = ev->revision;
	snprintf(h->actor, sizeof(h->actor), "%s", ev->actor);
	h->origin = ev->origin;
}

/*
 * Every revision of the active, replayed on an empty standby in one group:
 * the same objects with the same ids, the same next ids, a change log equal
 * row for row (revision, time, actor, origin, JSON), and one commit event per
 * revision with the active's actor.
 */
static void test_replay_makes_the_same_database(void)
{
	struct db *da, *db;
	struct store *a = open_store("a.db", &da), *b = open_store("b.db", &db);
	struct heard h = {0};
	struct fulcrum_err err;
	struct log l;
	size_t applied = 9;

	write_some(a);
	CU_ASSERT_EQUAL_FATAL(store_subscribe(b, on_commit, &h), 0);
	log_read(da, 0, &l);
	/* an hour ago on the active: the standby logs the active's time, not its own */
	for (size_t i = 0; i < l.n; i++)
		l.rows[i].time -= 3600;
	for (size_t i = 0; i < l.nrev; i++)
		l.revs[i].time -= 3600;
	CU_ASSERT_EQUAL(l.nrev, (size_t)store_revision(a));
	CU_ASSERT_EQUAL(store_replay(b, &peer, l.revs, l.nrev, &applied, &err), 0);
	CU_ASSERT_EQUAL(applied, l.nrev);
	CU_ASSERT_EQUAL(h.calls, (int)l.nrev);
	CU_ASSERT_EQUAL(h.last, store_revision(a));
	CU_ASSERT_STRING_EQUAL(h.actor, "alice");
	assert_stores_equal(a, b);
	assert_logs_equal(da, db, -3600);
	unit_assert_mirror_matches(b);
	log_free(&l);
	store_free(a);
	store_free(b);
	db_close(da);
	db_close(db);
}

/*
 * A revision that does not follow the standby's (one skipped) is refused as
 * stale and leaves nothing; the ones before it in the same group commit.
 */
static void test_replay_gap_is_stale(void)
{
	struct db *da, *db;
	struct store *a = open_store("gap-a.db", &da), *b = open_store("gap-b.db", &db);
	struct fulcrum_err err;
	struct command_replay r[2];
	struct log l;
	size_t applied = 9;

	write_some(a);
	log_read(da, 0, &l);
	CU_ASSERT_FATAL(l.nrev >= 3);
	r[0] = l.revs[0];
	r[1] = l.revs[2];
	CU_ASSERT_EQUAL(store_replay(b, &peer, r, 2, &applied, &err), -ESTALE);
	CU_ASSERT_EQUAL(applied, 1);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_STALE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "this director holds 1"));
	CU_ASSERT_EQUAL(store_revision(b), 1);
	log_free(&l);
	store_free(a);
	store_free(b);
	db_close(da);
	db_close(db);
}

/*
 * Hostile or broken rows are refused with the row named, nothing written:
 * a weight out of range, an after that is not JSON, an unknown object type,
 * an id that is not the row's.
 */
static void test_replay_refuses_bad_rows(void)
{
	struct db *da, *db;
	struct store *a = open_store("bad-a.db", &da), *b = open_store("bad-b.db", &db);
	static const struct {
		const char *type, *after, *says;
	} bad[] = {
	    {"service",
	     "{\"id\": 1, \"name\": \"web\", \"address\": \"192.0.2.1\", \"port\": 70000}", "port"},
	    {"service", "not json", "not a JSON object"},
	    {"printer", "{\"id\": 1}", "not service, real or vip"},
	    {"service", "{\"id\": 2, \"name\": \"web\", \"address\": \"192.0.2.1\", \"port\": 80}",
	     "id is not the row's"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fulcrum_change ch = {.revision = 1, .time = 1700000000, .object_id = 1};
		struct command_replay r = {
		    .revision = 1, .time = 1700000000, .actor = "x", .changes = &ch, .n = 1};
		struct fulcrum_err err;
		size_t applied = 9;

		snprintf(ch.object_type, sizeof(ch.object_type), "%s", bad[i].type);
		ch.after = (char *)bad[i].after;
		CU_ASSERT(store_replay(b, &peer, &r, 1, &applied, &err) < 0);
		CU_ASSERT_EQUAL(applied, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, bad[i].says));
		if (!strstr(err.message, bad[i].says))
			fprintf(stderr, "\n  row %zu: %s\n", i, err.message);
		CU_ASSERT_EQUAL(store_revision(b), 0);
	}
	store_free(a);
	store_free(b);
	db_close(da);
	db_close(db);
}

/*
 * A standby whose configuration differs (a change made behind replication's
 * back) refuses the update whose before it does not hold: -EPROTO, the
 * configurations differ, nothing written.
 */
static void test_replay_divergence(void)
{
	struct db *da, *db;
	struct store *a = open_store("div-a.db", &da), *b = open_store("div-b.db", &db);
	struct fulcrum_vs web = unit_vs("web", "192.0.2.1"), mine;
	struct fulcrum_err err;
	struct log l;
	size_t applied = 9;

	CU_ASSERT_EQUAL_FATAL(store_vs_create(a, &alice, &web, NULL, 0, 0, NULL, NULL), 0);
	log_read(da, 0, &l);
	CU_ASSERT_EQUAL_FATAL(store_replay(b, &peer, l.revs, l.nrev, &applied, &err), 0);
	log_free(&l);
	/* the standby's copy differs: written around replication (fulcrumctl --db --force) */
	CU_ASSERT_EQUAL_FATAL(store_copy(b, FULCRUM_KIND_VS, web.id, &mine), 0);
	snprintf(mine.description, sizeof(mine.description), "only here");
	CU_ASSERT_EQUAL_FATAL(command_vs_update(db, &alice, &mine, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_reload(b), 0);
	/* the active's next revision (2) does not follow the standby's (2): stale */
	snprintf(web.description, sizeof(web.description), "there");
	CU_ASSERT_EQUAL_FATAL(store_vs_update(a, &alice, &web, 0, NULL, NULL), 0);
	log_read(da, 1, &l);
	CU_ASSERT_EQUAL(store_replay(b, &peer, l.revs, l.nrev, &applied, &err), -ESTALE);
	log_free(&l);
	/* the same revision number, a different history: the before differs */
	CU_ASSERT_EQUAL_FATAL(store_vs_update(a, &alice, &web, 0, NULL, NULL), 0); /* no-op */
	snprintf(web.description, sizeof(web.description), "there, again");
	CU_ASSERT_EQUAL_FATAL(store_vs_update(a, &alice, &web, 0, NULL, NULL), 0);
	log_read(da, 2, &l);
	CU_ASSERT_EQUAL_FATAL(l.nrev, 1);
	CU_ASSERT_EQUAL(store_replay(b, &peer, l.revs, l.nrev, &applied, &err), -EPROTO);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_CONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "configurations differ"));
	CU_ASSERT_EQUAL(store_revision(b), 2);
	CU_ASSERT_EQUAL(store_copy(b, FULCRUM_KIND_VS, web.id, &mine), 0);
	CU_ASSERT_STRING_EQUAL(mine.description, "only here");
	log_free(&l);
	store_free(a);
	store_free(b);
	db_close(da);
	db_close(db);
}

static int replay_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int replay_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(replay)
{
	CU_pSuite s = CU_add_suite("replay", replay_setup, replay_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "replayed revisions make the same database",
		    test_replay_makes_the_same_database);
	CU_add_test(s, "a revision that skips one is stale", test_replay_gap_is_stale);
	CU_add_test(s, "bad rows refused, nothing written", test_replay_refuses_bad_rows);
	CU_add_test(s, "a standby that differs refuses", test_replay_divergence);
	return CU_get_error();
}
