/* Unit tests of the store's write gate: a director that takes no writes refuses each kind, changes nothing, lets sync through. */
#include "controller/core/store.h"
#include "controller/model/model.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];
static const struct command_actor api = {"alice", FULCRUM_ORIGIN_HTTP};
static const struct command_actor snmp = {"snmp", FULCRUM_ORIGIN_SNMP};
static const struct command_actor cli = {"root", FULCRUM_ORIGIN_CLI};
static const struct command_actor sync_ = {"alice", FULCRUM_ORIGIN_SYNC};

#define WHY      "this director is standby"
#define REFUSAL  WHY ": writes go to the active, 192.0.2.250"
#define NO_ADDR  WHY ": writes go to the active director"
#define GATE_ADR "192.0.2.250"

static void on_commit(void *arg, const struct store_commit *ev)
{
	(void)ev;
	(*(int *)arg)++;
}

static struct fulcrum_vip vip_of(const char *addr)
{
	struct fulcrum_vip vip;

	model_vip_init(&vip);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", addr, NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "interface", "eth0", NULL), 0);
	return vip;
}

/* A store with one service, one real server and one VIP, the gate open. */
struct fixture {
	struct db *db;
	struct store *st;
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	struct fulcrum_vip vip;
	int64_t rev; /* the revision after them */
	size_t nlog; /* change-log rows then */
	int heard;   /* commit events since */
};

static size_t log_rows(struct db *db)
{
	struct fulcrum_change *c = NULL;
	size_t n = 0;

	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &c, &n), 0);
	fulcrum_change_list_free(c, n);
	return n;
}

static void fixture_open(struct fixture *f, const char *name)
{
	char path[1024], err[512] = "";
	struct fulcrum_err e = {0};

	memset(f, 0, sizeof(*f));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &f->db, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(store_open(f->db, &f->st), 0);
	f->vs = unit_vs("web", "192.0.2.1");
	f->rs = unit_rs("10.0.0.1");
	f->vip = vip_of("192.0.2.1");
	CU_ASSERT_EQUAL_FATAL(store_vs_create(f->st, &api, &f->vs, &f->rs, 1, 0, NULL, &e), 0);
	f->rs.id = store_rs_all(f->st, f->vs.id, &(size_t){0})[0]->id;
	f->rs.vs_id = f->vs.id;
	CU_ASSERT_EQUAL_FATAL(store_vip_create(f->st, &api, &f->vip, 0, &f->rev, &e), 0);
	f->nlog = log_rows(f->db);
	CU_ASSERT_EQUAL(store_subscribe(f->st, on_commit, &f->heard), 0);
}

static void fixture_close(struct fixture *f)
{
	store_free(f->st);
	db_close(f->db);
}

/* A refusal: -EROFS, the status and message, and nothing moved anywhere. */
static void assert_refused(struct fixture *f, int rc, const struct fulcrum_err *e, const char *msg)
{
	CU_ASSERT_EQUAL(rc, -EROFS);
	CU_ASSERT_EQUAL(e->status, FULCRUM_ERR_UNAVAILABLE);
	CU_ASSERT_STRING_EQUAL(e->message, msg);
	CU_ASSERT_STRING_EQUAL(e->field, "");
	CU_ASSERT_EQUAL(store_revision(f->st), f->rev);
	CU_ASSERT_EQUAL(db_revision(f->db), f->rev);
	CU_ASSERT_EQUAL(log_rows(f->db), f->nlog);
	CU_ASSERT_EQUAL(f->heard, 0);
	unit_assert_mirror_matches(f->st);
}

/* Every typed write, from the API, SNMP and fulcrumctl alike. */
static void test_gate_refuses_each_write(void)
{
	const struct command_actor *who[] = {&api, &snmp, &cli};
	struct fixture f;
	struct fulcrum_err e;
	const char *why = NULL, *active = NULL;

	fixture_open(&f, "each.db");
	CU_ASSERT_FALSE(store_writes_refused(f.st, NULL, NULL));
	store_writes_refuse(f.st, true, WHY, GATE_ADR);
	CU_ASSERT_TRUE(store_writes_refused(f.st, &why, &active));
	CU_ASSERT_STRING_EQUAL(why, WHY);
	CU_ASSERT_STRING_EQUAL(active, GATE_ADR);
	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		const struct command_actor *a = who[i];
		struct fulcrum_vs vs = unit_vs("new", "192.0.2.2"), upd = f.vs;
		struct fulcrum_rs rs = unit_rs("10.0.0.2"), rupd = f.rs;
		struct fulcrum_vip vip = vip_of("192.0.2.2"), vupd = f.vip;
		int64_t rev = -7;

		upd.port = 8080;
		rs.vs_id = f.vs.id;
		rupd.weight = 9;
		snprintf(vupd.description, sizeof(vupd.description), "moved");
		assert_refused(&f, store_vs_create(f.st, a, &vs, NULL, 0, 0, &rev, &e), &e,
			       REFUSAL);
		CU_ASSERT_EQUAL(vs.id, 0); /* no id given out */
		CU_ASSERT_EQUAL(rev, -7);  /* nor a revision */
		assert_refused(&f, store_vs_update(f.st, a, &upd, 0, NULL, &e), &e, REFUSAL);
		assert_refused(&f, store_vs_delete(f.st, a, f.vs.id, 0, NULL, &e), &e, REFUSAL);
		assert_refused(&f, store_rs_create(f.st, a, &rs, 0, NULL, &e), &e, REFUSAL);
		assert_refused(&f, store_rs_update(f.st, a, &rupd, 0, NULL, &e), &e, REFUSAL);
		assert_refused(&f, store_rs_delete(f.st, a, f.rs.id, 0, NULL, &e), &e, REFUSAL);
		assert_refused(&f, store_vip_create(f.st, a, &vip, 0, NULL, &e), &e, REFUSAL);
		assert_refused(&f, store_vip_update(f.st, a, &vupd, 0, NULL, &e), &e, REFUSAL);
		assert_refused(&f, store_vip_delete(f.st, a, f.vip.id, 0, NULL, &e), &e, REFUSAL);
		/* the refusal comes before the revision check: a stale if_revision says standby too */
		assert_refused(&f, store_vs_delete(f.st, a, f.vs.id, f.rev + 5, NULL, &e), &e,
			       REFUSAL);
	}
	CU_ASSERT_EQUAL(store_vs_next_id(f.st), f.vs.id + 1);
	fixture_close(&f);
}

/* A batch (SNMP's SET), its rehearsal (SNMP's check phase), a notification switch. */
static void test_gate_refuses_batches(void)
{
	struct fixture f;
	struct fulcrum_err e;
	struct command_op ops[3] = {
	    {.kind = COMMAND_VS_CREATE, .vs = unit_vs("b", "192.0.2.3")},
	    {.kind = COMMAND_NOTIFY_SET, .notify = COMMAND_NOTIFY_RS_STATE, .enabled = false},
	    {.kind = COMMAND_VS_DELETE},
	};
	size_t failed = 99;

	fixture_open(&f, "batch.db");
	ops[2].vs.id = f.vs.id;
	store_writes_refuse(f.st, true, WHY, "");
	assert_refused(&f, store_batch(f.st, &snmp, ops, 3, 0, NULL, &e, &failed), &e, NO_ADDR);
	CU_ASSERT_EQUAL(failed, 3); /* no one op at fault: the whole SET is */
	CU_ASSERT_TRUE(store_notify_enabled(f.st, COMMAND_NOTIFY_RS_STATE));
	failed = 99;
	assert_refused(&f, store_batch_rehearse(f.st, &snmp, ops, 3, &e, &failed), &e, NO_ADDR);
	CU_ASSERT_EQUAL(failed, 3);
	/* the switch alone is refused too: it is replicated configuration */
	assert_refused(&f, store_batch(f.st, &snmp, &ops[1], 1, 0, NULL, &e, NULL), &e, NO_ADDR);
	CU_ASSERT_TRUE(store_notify_enabled(f.st, COMMAND_NOTIFY_RS_STATE));
	/* NULL active reads as "" */
	store_writes_refuse(f.st, true, WHY, NULL);
	assert_refused(&f, store_batch(f.st, &api, ops, 1, 0, NULL, &e, NULL), &e, NO_ADDR);
	fixture_close(&f);
}

/* A write of a group commit, as the API runs each PATCH, POST and DELETE. */
static int describe(struct command_txn *t, void *arg)
{
	struct fulcrum_vs vs;
	int rc;

	if ((rc = command_txn_vs_get(t, *(int64_t *)arg, &vs)) != 0)
		return rc;
	snprintf(vs.description, sizeof(vs.description), "described");
	return command_txn_vs_update(t, &vs);
}

static void test_gate_refuses_group_writes(void)
{
	struct fixture f;
	struct store_write w[2];
	int64_t id;

	fixture_open(&f, "group.db");
	id = f.vs.id;
	w[0] = (struct store_write){.actor = &api, .fn = describe, .arg = &id};
	w[1] = (struct store_write){.actor = &cli, .fn = describe, .arg = &id};
	store_writes_refuse(f.st, true, WHY, GATE_ADR);
	CU_ASSERT_EQUAL(store_group_run(f.st, w, 2), 0);
	for (size_t i = 0; i < 2; i++) {
		assert_refused(&f, w[i].rc, &w[i].err, REFUSAL);
		CU_ASSERT_EQUAL(w[i].revision, 0);
	}
	CU_ASSERT_STRING_EQUAL(store_vs_get(f.st, id)->description, "");
	/* a group with a replicated write in it: that one goes in, the other does not */
	w[0].actor = &sync_;
	CU_ASSERT_EQUAL(store_group_run(f.st, w, 2), 0);
	CU_ASSERT_EQUAL(w[0].rc, 0);
	CU_ASSERT_EQUAL(w[0].revision, f.rev + 1);
	CU_ASSERT_EQUAL(w[1].rc, -EROFS);
	CU_ASSERT_EQUAL(w[1].err.status, FULCRUM_ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(store_revision(f.st), f.rev + 1);
	CU_ASSERT_EQUAL(f.heard, 1);
	CU_ASSERT_STRING_EQUAL(store_vs_get(f.st, id)->description, "described");
	unit_assert_mirror_matches(f.st);
	fixture_close(&f);
}

/* Replication writes through the closed gate; opened again, everyone writes at once. */
static void test_gate_sync_passes_and_reopens(void)
{
	struct fixture f;
	struct fulcrum_err e;
	struct fulcrum_vs vs = unit_vs("synced", "192.0.2.9"), more = unit_vs("after", "192.0.2.8");
	int64_t rev = 0;
	const char *why = NULL, *active = NULL;

	fixture_open(&f, "sync.db");
	store_writes_refuse(f.st, true, WHY, GATE_ADR);
	CU_ASSERT_EQUAL(store_vs_create(f.st, &sync_, &vs, NULL, 0, 0, &rev, &e), 0);
	CU_ASSERT_EQUAL(rev, f.rev + 1);
	CU_ASSERT_PTR_NOT_NULL(store_vs_get(f.st, vs.id));
	CU_ASSERT_EQUAL(store_last_change(f.st)->origin, FULCRUM_ORIGIN_SYNC);
	CU_ASSERT_EQUAL(f.heard, 1);
	/* still closed for the rest */
	CU_ASSERT_EQUAL(store_vs_create(f.st, &api, &more, NULL, 0, 0, NULL, &e), -EROFS);
	/* the failover: the gate opens and the next write goes through, from the same revision */
	store_writes_refuse(f.st, false, "ignored", "ignored");
	CU_ASSERT_FALSE(store_writes_refused(f.st, &why, &active));
	CU_ASSERT_STRING_EQUAL(why, "");
	CU_ASSERT_STRING_EQUAL(active, "");
	CU_ASSERT_EQUAL(store_vs_create(f.st, &api, &more, NULL, 0, 0, &rev, &e), 0);
	CU_ASSERT_EQUAL(rev, f.rev + 2);
	CU_ASSERT_EQUAL(f.heard, 2);
	unit_assert_mirror_matches(f.st);
	/* a reload (fulcrumctl --db wrote) keeps the gate as it was */
	store_writes_refuse(f.st, true, WHY, GATE_ADR);
	CU_ASSERT_EQUAL(store_reload(f.st), 0);
	CU_ASSERT_TRUE(store_writes_refused(f.st, NULL, NULL));
	fixture_close(&f);
}

static int gate_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int gate_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(store_gate)
{
	CU_pSuite s = CU_add_suite("store_gate", gate_setup, gate_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "closed: each write kind refused, nothing moves",
		    test_gate_refuses_each_write);
	CU_add_test(s, "closed: batches, rehearsals, switches refused", test_gate_refuses_batches);
	CU_add_test(s, "closed: each write of a group refused alone",
		    test_gate_refuses_group_writes);
	CU_add_test(s, "sync passes; opened, writes go at once", test_gate_sync_passes_and_reopens);
	return CU_get_error();
}
