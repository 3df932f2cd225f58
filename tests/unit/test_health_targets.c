/* Unit tests of controller/health/health_targets.c: the checks follow each commit event, and only it. */
#include "controller/health/health_int.h"
#include "controller/health/health_targets.h"
#include "controller/model/model.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct command_actor eve = {"eve", FULCRUM_ORIGIN_HTTP};

/* One engine following the store commit by commit, beside what a rebuild would give. */
struct rig {
	char dir[512];
	struct db *db;
	struct store *st;
	struct event_base *base;
	struct health *h;
	size_t events;   /* commit events heard since the last comparison */
	bool reload;     /* the last one was a reload */
	size_t nvs, nrs; /* the services and real servers the last one named */
	size_t heard;    /* state changes told to the subscriber */
};

static void rig_on_change(void *arg, const struct health_change *ch)
{
	(void)ch;
	((struct rig *)arg)->heard++;
}

/* The commit event: the engine follows it, as the daemon makes it do. */
static void rig_on_commit(void *arg, const struct store_commit *ev)
{
	struct rig *r = arg;

	r->events++;
	r->reload = ev->reload;
	r->nvs = r->nrs = 0;
	for (size_t i = 0; i < ev->n; i++) {
		r->nvs += ev->changes[i].kind == FULCRUM_KIND_VS;
		r->nrs += ev->changes[i].kind == FULCRUM_KIND_RS;
	}
	CU_ASSERT_EQUAL(health_targets_follow(r->h, r->st, ev), 0);
}

static void rig_open(struct rig *r)
{
	char path[1024], err[512] = "";

	memset(r, 0, sizeof(*r));
	unit_tmpdir(r->dir, sizeof(r->dir));
	snprintf(path, sizeof(path), "%s/fulcrum.db", r->dir);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &r->db, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(store_open(r->db, &r->st), 0);
	r->base = event_base_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->base);
	CU_ASSERT_EQUAL_FATAL(health_new(r->base, &r->h), 0);
	CU_ASSERT_EQUAL_FATAL(health_subscribe(r->h, rig_on_change, r), 0);
	CU_ASSERT_EQUAL(health_targets_rebuild(r->h, r->st), 0); /* the start */
	CU_ASSERT_EQUAL_FATAL(store_subscribe(r->st, rig_on_commit, r), 0);
}

static void rig_close(struct rig *r)
{
	health_free(r->h);
	event_base_free(r->base);
	store_free(r->st);
	db_close(r->db);
	unit_tmpdir_cleanup(r->dir);
}

/* True when a and b check the same way (the same probe settings), or are both none / absent. */
static bool same_check(const struct health *ha, const struct hl_probe *a, const struct health *hb,
		       const struct hl_probe *b)
{
	if (!a || !b)
		return !a && !b;
	if (a == &ha->none || b == &hb->none)
		return a == &ha->none && b == &hb->none;
	return a->keylen == b->keylen && memcmp(a->key, b->key, a->keylen) == 0;
}

/*
 * After commits: r's engine followed their events (a reload's when
 * want_reload), and holds exactly the targets, and checks, a rebuild from
 * the store gives.
 */
static void rig_follow_and_compare(struct rig *r, bool want_reload)
{
	struct health *ref = NULL;
	struct health_totals a, b;
	size_t n;
	const struct fulcrum_rs_stored *const *rs = store_rs_all(r->st, 0, &n);

	CU_ASSERT_NOT_EQUAL(r->events, 0);
	CU_ASSERT_EQUAL(r->reload, want_reload);
	r->events = 0;
	CU_ASSERT_EQUAL_FATAL(health_new(r->base, &ref), 0);
	CU_ASSERT_EQUAL_FATAL(health_targets_rebuild(ref, r->st), 0);
	health_stats(r->h, &a);
	health_stats(ref, &b);
	CU_ASSERT_EQUAL(a.targets, b.targets);
	CU_ASSERT_EQUAL(a.probes, b.probes);
	CU_ASSERT_EQUAL(r->h->rs.n, ref->rs.n);
	for (size_t i = 0; i < n; i++) {
		const struct hl_probe *p = health_probe_of(r->h, rs[i]->id);

		CU_ASSERT_TRUE(same_check(r->h, p, ref, health_probe_of(ref, rs[i]->id)));
		if (p && p != &r->h->none) { /* p lists rs among its members, once */
			size_t k = 0;

			for (size_t m = 0; m < p->nmembers; m++)
				k += p->members[m] == rs[i]->id;
			CU_ASSERT_EQUAL(k, 1);
		}
	}
	/* and no target the store does not have: every probe's members are ids of the store */
	for (const struct hl_probe *p = r->h->probes; p; p = p->next) {
		CU_ASSERT_NOT_EQUAL(p->nmembers, 0);
		for (size_t m = 0; m < p->nmembers; m++)
			CU_ASSERT_PTR_EQUAL(health_probe_of(r->h, p->members[m]), p);
	}
	health_free(ref);
}

/* Gives rs_id's check one result, as a finished run would. */
static void feed(struct health *h, int64_t rs_id, bool ok)
{
	struct hl_probe *p = health_probe_of(h, rs_id);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p->running = true;
	h->totals.in_flight++;
	health_probe_done(h, p, ok, ok ? "http: status 200" : "http: status 503");
}

static struct fulcrum_vs rig_service(const char *name, const char *addr,
				     enum fulcrum_check_type type)
{
	struct fulcrum_vs vs = unit_vs(name, addr);

	vs.check.type = type;
	return vs;
}

/* A copy of real server id as the store holds it, to change and write back. */
static struct fulcrum_rs rig_rs(struct rig *r, int64_t id)
{
	const struct fulcrum_rs_stored *rs = store_rs_get(r->st, id);
	struct fulcrum_rs copy;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	model_rs_copy(&copy, rs);
	return copy;
}

static void test_health_targets_follow_commits(void)
{
	struct rig r;
	struct fulcrum_err err;
	struct fulcrum_vs web = rig_service("web", "192.0.2.10", FULCRUM_CHECK_HTTP),
			  db = rig_service("db", "192.0.2.20", FULCRUM_CHECK_TCP),
			  plain = rig_service("plain", "192.0.2.30", FULCRUM_CHECK_NONE);
	struct fulcrum_rs reals[4] = {unit_rs("10.0.0.1"), unit_rs("10.0.0.2"), unit_rs("10.0.0.3"),
				      unit_rs("10.0.0.4")};
	struct fulcrum_rs dbr[2] = {unit_rs("10.0.1.1"), unit_rs("10.0.1.2")};
	struct fulcrum_rs pr = unit_rs("10.0.2.1"), rs;
	struct health_state before, after;
	struct hl_probe *p;
	int64_t due, r1, r2, r3, r4;
	uint32_t successes;

	rig_open(&r);
	snprintf(web.check.path, sizeof(web.check.path), "/health");
	web.check.rise = 2;
	CU_ASSERT_EQUAL_FATAL(store_vs_create(r.st, &eve, &web, reals, 4, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false);
	CU_ASSERT_EQUAL_FATAL(store_vs_create(r.st, &eve, &db, dbr, 2, 0, NULL, &err), 0);
	CU_ASSERT_EQUAL_FATAL(store_vs_create(r.st, &eve, &plain, &pr, 1, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false); /* two revisions at once */
	r1 = reals[0].id, r2 = reals[1].id, r3 = reals[2].id, r4 = reals[3].id;
	CU_ASSERT_PTR_NULL(health_probe_of(r.h, pr.id)); /* no check: no target */
	CU_ASSERT_PTR_NOT_NULL(health_probe_of(r.h, r1));

	/* r1 comes up (rise 2); its check is due at a phase */
	feed(r.h, r1, true);
	feed(r.h, r1, true);
	p = health_probe_of(r.h, r1);
	health_get(r.h, r1, &before);
	CU_ASSERT_EQUAL(before.state, HEALTH_UP);
	CU_ASSERT_EQUAL(before.checks, 2);
	successes = p->successes;
	due = p->due_ms;
	CU_ASSERT_TRUE(evtimer_pending(p->timer, NULL));

	/* a weight PATCH: nothing about r1's check changes, nothing is told */
	rs = rig_rs(&r, r1);
	rs.weight = 7;
	r.heard = 0;
	CU_ASSERT_EQUAL_FATAL(store_rs_update(r.st, &eve, &rs, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false);
	CU_ASSERT_EQUAL(r.nrs, 1);
	CU_ASSERT_EQUAL(r.nvs, 0);
	CU_ASSERT_PTR_EQUAL(health_probe_of(r.h, r1), p);
	health_get(r.h, r1, &after);
	CU_ASSERT_EQUAL(memcmp(&before, &after, sizeof(before)), 0);
	CU_ASSERT_EQUAL(p->successes, successes);
	CU_ASSERT_EQUAL(p->due_ms, due);
	CU_ASSERT_TRUE(evtimer_pending(p->timer, NULL));
	CU_ASSERT_EQUAL(r.heard, 0);

	/* r2's own interval: r2 starts over, r1 (an unrelated commit) keeps its state */
	rs = rig_rs(&r, r2);
	rs.check.set |= FULCRUM_CHECK_F_INTERVAL;
	rs.check.interval = 10;
	CU_ASSERT_EQUAL_FATAL(store_rs_update(r.st, &eve, &rs, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false);
	CU_ASSERT_EQUAL(health_probe_of(r.h, r2)->interval, 10);
	CU_ASSERT_PTR_EQUAL(health_probe_of(r.h, r1), p);
	health_get(r.h, r1, &after);
	CU_ASSERT_EQUAL(memcmp(&before, &after, sizeof(before)), 0);

	/* the service's path: every real server of it gets the new check, as new */
	web = *store_vs_get(r.st, web.id);
	snprintf(web.check.path, sizeof(web.check.path), "/ready");
	CU_ASSERT_EQUAL_FATAL(store_vs_update(r.st, &eve, &web, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false);
	CU_ASSERT_EQUAL(r.nvs, 1);
	CU_ASSERT_STRING_EQUAL(health_probe_of(r.h, r1)->path, "/ready");
	CU_ASSERT_STRING_EQUAL(health_probe_of(r.h, r4)->path, "/ready");
	health_get(r.h, r1, &after);
	CU_ASSERT_EQUAL(after.state, HEALTH_UNKNOWN);

	/* r3's check set to none: answered up without a check; r4 unchanged */
	p = health_probe_of(r.h, r4);
	rs = rig_rs(&r, r3);
	rs.check.set |= FULCRUM_CHECK_F_TYPE;
	rs.check.type = FULCRUM_CHECK_NONE;
	CU_ASSERT_EQUAL_FATAL(store_rs_update(r.st, &eve, &rs, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false);
	health_get(r.h, r3, &after);
	CU_ASSERT_EQUAL(after.state, HEALTH_UP);
	CU_ASSERT_PTR_EQUAL(health_probe_of(r.h, r4), p);

	/* the tcp service's check to none: its real servers stop being targets */
	db = *store_vs_get(r.st, db.id);
	db.check.type = FULCRUM_CHECK_NONE;
	CU_ASSERT_EQUAL_FATAL(store_vs_update(r.st, &eve, &db, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false);
	CU_ASSERT_PTR_NULL(health_probe_of(r.h, dbr[0].id));

	/* a real server disabled, one deleted, then a whole service */
	rs = rig_rs(&r, r4);
	rs.admin_state = FULCRUM_RS_DISABLED;
	CU_ASSERT_EQUAL_FATAL(store_rs_update(r.st, &eve, &rs, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false);
	CU_ASSERT_PTR_NULL(health_probe_of(r.h, r4));
	CU_ASSERT_EQUAL_FATAL(store_rs_delete(r.st, &eve, r2, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false);
	CU_ASSERT_PTR_NULL(health_probe_of(r.h, r2));
	CU_ASSERT_EQUAL_FATAL(store_vs_delete(r.st, &eve, web.id, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false);
	CU_ASSERT_EQUAL(r.h->rs.n, 0);
	CU_ASSERT_PTR_NULL(r.h->probes);

	/* an update that changes nothing: no revision, no event */
	CU_ASSERT_EQUAL_FATAL(
	    store_vs_update(r.st, &eve, store_vs_find_by_name(r.st, "db"), 0, NULL, &err), 0);
	CU_ASSERT_EQUAL(r.events, 0);
	rig_close(&r);
}

/* Another process commits: the store reloads whole, and the follower says all. */
static void test_health_targets_reload_is_all(void)
{
	struct rig r;
	struct fulcrum_err err;
	struct fulcrum_vs web = rig_service("web", "192.0.2.10", FULCRUM_CHECK_HTTP);
	struct fulcrum_rs reals[2] = {unit_rs("10.0.0.1"), unit_rs("10.0.0.2")};
	struct db *other = NULL;
	struct store *ost = NULL;
	char path[1024], e[512];
	const struct fulcrum_rs_stored *rs;
	struct health_state st;

	rig_open(&r);
	CU_ASSERT_EQUAL_FATAL(store_vs_create(r.st, &eve, &web, reals, 2, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false);
	snprintf(path, sizeof(path), "%s/fulcrum.db", r.dir);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &other, e, sizeof(e)), 0);
	CU_ASSERT_EQUAL_FATAL(store_open(other, &ost), 0);
	rs = store_rs_get(ost, reals[1].id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	model_rs_copy(&reals[1], rs);
	reals[1].check.set = FULCRUM_CHECK_F_CHECK_PORT;
	reals[1].check.check_port = 8080;
	CU_ASSERT_EQUAL(store_rs_update(ost, &eve, &reals[1], 0, NULL, &err), 0);
	store_free(ost);
	db_close(other);
	feed(r.h, reals[0].id, false);
	CU_ASSERT_EQUAL(store_reload(r.st), 0);
	rig_follow_and_compare(&r, true);
	CU_ASSERT_EQUAL(health_probe_of(r.h, reals[1].id)->port, 8080);
	/* a rebuild keeps the state of a check that did not change */
	health_get(r.h, reals[0].id, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_DOWN);
	rig_close(&r);
}

/*
 * A VIP's commit names a VIP, whose id may be a real server's: the checks
 * keep their targets and state (a deleted VIP does not take the real server
 * with its id away), and nothing is told.
 */
static void test_health_targets_ignore_vips(void)
{
	struct rig r;
	struct fulcrum_err err;
	struct fulcrum_vs web = rig_service("web", "192.0.2.10", FULCRUM_CHECK_TCP);
	struct fulcrum_rs reals[1] = {unit_rs("10.0.0.1")};
	struct fulcrum_vip vip;
	struct health_state before, after;
	struct hl_probe *p;

	rig_open(&r);
	CU_ASSERT_EQUAL_FATAL(store_vs_create(r.st, &eve, &web, reals, 1, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false);
	feed(r.h, reals[0].id, false);
	p = health_probe_of(r.h, reals[0].id);
	health_get(r.h, reals[0].id, &before);
	r.heard = 0;
	model_vip_init(&vip);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", "192.0.2.10", NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "interface", "eth0", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_vip_create(r.st, &eve, &vip, 0, NULL, &err), 0);
	CU_ASSERT_EQUAL(vip.id, reals[0].id); /* the case that matters: the same number */
	vip.prefix = 24;
	CU_ASSERT_EQUAL_FATAL(store_vip_update(r.st, &eve, &vip, 0, NULL, &err), 0);
	CU_ASSERT_EQUAL_FATAL(store_vip_delete(r.st, &eve, vip.id, 0, NULL, &err), 0);
	rig_follow_and_compare(&r, false);
	CU_ASSERT_EQUAL(r.nrs + r.nvs, 0);
	CU_ASSERT_PTR_EQUAL(health_probe_of(r.h, reals[0].id), p);
	health_get(r.h, reals[0].id, &after);
	CU_ASSERT_EQUAL(memcmp(&before, &after, sizeof(before)), 0);
	CU_ASSERT_EQUAL(r.heard, 0);
	rig_close(&r);
}

UNIT_SUITE(health_targets)
{
	CU_pSuite s = CU_add_suite("health_targets", NULL, NULL);

	if (!s || !CU_add_test(s, "follows each commit", test_health_targets_follow_commits) ||
	    !CU_add_test(s, "a reload redoes all", test_health_targets_reload_is_all) ||
	    !CU_add_test(s, "a VIP's commit changes no check", test_health_targets_ignore_vips))
		return CU_get_error();
	return CUE_SUCCESS;
}
