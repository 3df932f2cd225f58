/* Unit tests of controller/core/store_vip.c: the mirror's VIPs follow every commit, the event names them. */
#include "controller/core/store.h"
#include "controller/model/model.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];
static const struct command_actor dana = {"dana", FULCRUM_ORIGIN_HTTP};

/* What a subscriber heard: the last event's VIP changes, as a failover engine would take them. */
struct heard {
	int calls;
	bool reload;
	size_t n, vips;
	enum command_change_op op; /* of the last VIP change */
	int64_t id;                /* of the last VIP change */
	bool after_has_address;    /* its JSON after names the address */
};

static void on_commit(void *arg, const struct store_commit *ev)
{
	struct heard *h = arg;

	h->calls++;
	h->reload = ev->reload;
	h->n = ev->n;
	h->vips = 0;
	for (size_t i = 0; i < ev->n; i++) {
		const struct command_change *c = &ev->changes[i];

		if (c->kind != FULCRUM_KIND_VIP)
			continue;
		h->vips++;
		h->op = c->op;
		h->id = c->id;
		h->after_has_address = c->after && strstr(c->after, "\"address\":");
	}
}

static struct db *open_db(const char *name)
{
	char path[1024], err[512] = "";
	struct db *db = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &db, err, sizeof(err)), 0);
	return db;
}

static struct fulcrum_vip vip_of(const char *addr, const char *ifname)
{
	struct fulcrum_vip vip;

	model_vip_init(&vip);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", addr, NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "interface", ifname, NULL), 0);
	return vip;
}

void unit_assert_mirror_vips_match(struct store *st)
{
	struct fulcrum_vip *vips = NULL;
	size_t n = 0, m;
	const struct fulcrum_vip *const *mv = store_vip_all(st, &m);
	int64_t next = 0;

	CU_ASSERT_EQUAL_FATAL(db_vip_list(store_db(st), &vips, &n), 0);
	CU_ASSERT_EQUAL_FATAL(m, n);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(memcmp(mv[i], &vips[i], sizeof(vips[i])), 0);
		CU_ASSERT_PTR_EQUAL(store_vip_get(st, vips[i].id), mv[i]);
	}
	CU_ASSERT_EQUAL(db_vip_next_id(store_db(st), &next), 0);
	CU_ASSERT_EQUAL(store_vip_next_id(st), next);
	free(vips);
}

static void test_store_vip_follows_writes(void)
{
	struct db *db = open_db("follow.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct fulcrum_vip a = vip_of("192.0.2.10", "eth0"), b = vip_of("2001:db8::10", "eth1"),
			   copy;
	struct fulcrum_err err;
	int64_t rev = 0;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_vip_next_id(st), 1);
	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	CU_ASSERT_EQUAL(store_vip_create(st, &dana, &b, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(store_vip_create(st, &dana, &a, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(rev, 2);
	CU_ASSERT_EQUAL(store_vip_next_id(st), 3);
	CU_ASSERT_EQUAL(h.calls, 2);
	CU_ASSERT_EQUAL(h.vips, 1);
	CU_ASSERT_EQUAL(h.op, COMMAND_CHANGE_CREATE);
	CU_ASSERT_EQUAL(h.id, a.id);
	CU_ASSERT_TRUE(h.after_has_address);
	/* in id order, whatever the addresses */
	CU_ASSERT_EQUAL_FATAL(store_vip_all(st, &n)[0]->id, b.id);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_STRING_EQUAL(store_vip_get(st, a.id)->interface, "eth0");
	unit_assert_mirror_matches(st);

	a.prefix = 24;
	CU_ASSERT_EQUAL(store_vip_update(st, &dana, &a, rev, &rev, &err), 0);
	CU_ASSERT_EQUAL(store_vip_get(st, a.id)->prefix, 24);
	CU_ASSERT_EQUAL(h.op, COMMAND_CHANGE_UPDATE);
	CU_ASSERT_EQUAL(store_copy(st, FULCRUM_KIND_VIP, a.id, &copy), 0);
	CU_ASSERT_EQUAL(memcmp(&copy, store_vip_get(st, a.id), sizeof(copy)), 0);
	CU_ASSERT_EQUAL(store_copy(st, FULCRUM_KIND_VIP, 99, &copy), -ENOENT);
	/* a VIP's id is no service's: copying service a.id finds none */
	CU_ASSERT_EQUAL(store_copy(st, FULCRUM_KIND_VS, a.id, &copy), -ENOENT);

	CU_ASSERT_EQUAL(store_vip_delete(st, &dana, b.id, 0, &rev, &err), 0);
	CU_ASSERT_PTR_NULL(store_vip_get(st, b.id));
	CU_ASSERT_EQUAL(h.op, COMMAND_CHANGE_DELETE);
	CU_ASSERT_EQUAL(h.id, b.id);
	CU_ASSERT_EQUAL(h.calls, 4);
	CU_ASSERT_EQUAL(store_last_change(st)->revision, rev);
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

/* A refused write changes neither the mirror nor anyone's view: no event. */
static void test_store_vip_refused_changes_nothing(void)
{
	struct db *db = open_db("refused.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct fulcrum_vip a = vip_of("192.0.2.10", "eth0"), dup = vip_of("192.0.2.10", "eth1");
	struct fulcrum_err err;
	int64_t rev;

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_vip_create(st, &dana, &a, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	rev = store_revision(st);
	CU_ASSERT_EQUAL(store_vip_create(st, &dana, &dup, 0, NULL, &err), -EEXIST);
	CU_ASSERT_STRING_EQUAL(err.field, "address");
	a.prefix = 0;
	CU_ASSERT_EQUAL(store_vip_update(st, &dana, &a, 0, NULL, &err), -EINVAL);
	CU_ASSERT_EQUAL(store_vip_delete(st, &dana, 5, 0, NULL, &err), -ENOENT);
	CU_ASSERT_EQUAL(h.calls, 0);
	CU_ASSERT_EQUAL(store_revision(st), rev);
	CU_ASSERT_EQUAL(store_vip_get(st, a.id)->prefix, 32);
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

/* Another process's commit (fulcrumctl --db) is taken at the next reload, as for the others. */
static void test_store_vip_reload(void)
{
	struct db *db = open_db("reload.db"), *other = open_db("reload.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct fulcrum_vip a = vip_of("192.0.2.10", "eth0");
	size_t n;

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	CU_ASSERT_EQUAL(command_vip_create(other, &dana, &a, 0, NULL, NULL), 0);
	store_vip_all(st, &n);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(store_reload(st), 0);
	CU_ASSERT_PTR_NOT_NULL(store_vip_get(st, a.id));
	CU_ASSERT_EQUAL(store_vip_next_id(st), a.id + 1);
	CU_ASSERT_EQUAL(h.calls, 1);
	CU_ASSERT_TRUE(h.reload);
	CU_ASSERT_EQUAL(command_vip_delete(other, &dana, a.id, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(store_reload(st), 0);
	CU_ASSERT_PTR_NULL(store_vip_get(st, a.id));
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(other);
	db_close(db);
}

/* A batch of one op each kind: the mirror follows each, the event names each with its kind. */
static void test_store_vip_batch_event(void)
{
	struct db *db = open_db("batch.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct command_op ops[3] = {
	    {.kind = COMMAND_VS_CREATE, .vs = unit_vs("web", "192.0.2.10")},
	    {.kind = COMMAND_VIP_CREATE, .vip = vip_of("192.0.2.10", "eth0")},
	    {.kind = COMMAND_VIP_CREATE, .vip = vip_of("10.0.0.1", "eth1")},
	};
	struct fulcrum_err err;

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	ops[2].vip.id = 7; /* a batch may name a new id */
	CU_ASSERT_EQUAL(store_batch(st, &dana, ops, 3, 0, NULL, &err, NULL), 0);
	CU_ASSERT_EQUAL(h.calls, 1);
	CU_ASSERT_EQUAL(h.n, 3);
	CU_ASSERT_EQUAL(h.vips, 2);
	CU_ASSERT_EQUAL(h.id, 7);
	CU_ASSERT_PTR_NOT_NULL(store_vip_get(st, ops[1].vip.id));
	CU_ASSERT_PTR_NOT_NULL(store_vip_get(st, 7));
	CU_ASSERT_EQUAL(store_vip_next_id(st), 8);
	CU_ASSERT_PTR_NOT_NULL(store_vs_get(st, ops[0].vs.id));
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

/* One write of a group commit (store_group_run()). */
static int group_retarget(struct command_txn *t, void *arg)
{
	struct fulcrum_vip *vip = arg;
	int rc = command_txn_vip_get(t, vip->id, vip);

	if (rc != 0)
		return rc;
	strcpy(vip->interface, "eth5");
	return command_txn_update(t, FULCRUM_KIND_VIP, vip);
}

static int group_create(struct command_txn *t, void *arg)
{
	return command_txn_vip_create(t, arg);
}

static int group_delete(struct command_txn *t, void *arg)
{
	return command_txn_vip_delete(t, *(int64_t *)arg);
}

/* The HTTP API's way: several writes, one COMMIT, the mirror after each write in its turn. */
static void test_store_vip_group(void)
{
	struct db *db = open_db("group.db");
	struct store *st = NULL;
	struct heard h = {0};
	struct fulcrum_vip a = vip_of("192.0.2.10", "eth0"), b = vip_of("192.0.2.11", "eth0"),
			   dup = vip_of("192.0.2.11", "eth1"), edit;
	struct store_write w[4];
	int64_t gone;

	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	CU_ASSERT_EQUAL(store_vip_create(st, &dana, &a, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(store_subscribe(st, on_commit, &h), 0);
	edit = a;
	gone = a.id;
	memset(w, 0, sizeof(w));
	w[0] = (struct store_write){.actor = &dana, .fn = group_retarget, .arg = &edit};
	w[1] = (struct store_write){.actor = &dana, .fn = group_create, .arg = &b};
	w[2] = (struct store_write){.actor = &dana, .fn = group_create, .arg = &dup};
	w[3] = (struct store_write){.actor = &dana, .fn = group_delete, .arg = &gone};
	CU_ASSERT_EQUAL(store_group_run(st, w, 4), 0);
	CU_ASSERT_EQUAL(w[0].rc, 0);
	CU_ASSERT_EQUAL(w[1].rc, 0);
	CU_ASSERT_EQUAL(w[2].rc, -EEXIST); /* b's address, taken in the same group */
	CU_ASSERT_STRING_EQUAL(w[2].err.field, "address");
	CU_ASSERT_EQUAL(w[3].rc, 0);
	CU_ASSERT_EQUAL(h.calls, 3);
	CU_ASSERT_PTR_NULL(store_vip_get(st, a.id));
	CU_ASSERT_PTR_NOT_NULL_FATAL(store_vip_get(st, b.id));
	CU_ASSERT_STRING_EQUAL(store_vip_get(st, b.id)->interface, "eth0");
	CU_ASSERT_EQUAL(w[0].revision + 1, w[1].revision);
	unit_assert_mirror_matches(st);
	store_free(st);
	db_close(db);
}

static int store_vip_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int store_vip_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(store_vip)
{
	CU_pSuite s = CU_add_suite("store_vip", store_vip_setup, store_vip_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "the mirror follows VIP writes; the event names them",
		    test_store_vip_follows_writes);
	CU_add_test(s, "a refused write: no change, no event",
		    test_store_vip_refused_changes_nothing);
	CU_add_test(s, "another process's VIPs at the next reload", test_store_vip_reload);
	CU_add_test(s, "a batch with services and VIPs: one event", test_store_vip_batch_event);
	CU_add_test(s, "VIPs in a group commit", test_store_vip_group);
	return CU_get_error();
}
