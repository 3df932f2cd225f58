/* Unit tests of controller/core/command_vip.c: VIPs through the one write path, on a real file. */
#include "controller/core/command.h"
#include "controller/model/model.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static struct fulcrum_vip vip_of(const char *addr, const char *ifname)
{
	struct fulcrum_vip vip;

	model_vip_init(&vip);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", addr, NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "interface", ifname, NULL), 0);
	return vip;
}

/* What a refused command must leave as it was: the revision, the VIPs, the log. */
struct snap {
	int64_t rev;
	size_t nvips, nchanges;
};

static struct snap snap_take(struct db *db)
{
	struct fulcrum_vip *vips;
	struct fulcrum_change *ch;
	struct snap s;

	s.rev = db_revision(db);
	CU_ASSERT_EQUAL(db_vip_list(db, &vips, &s.nvips), 0);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &ch, &s.nchanges), 0);
	free(vips);
	fulcrum_change_list_free(ch, s.nchanges);
	return s;
}

static void snap_same(struct db *db, struct snap before)
{
	struct snap now = snap_take(db);

	CU_ASSERT_EQUAL(now.rev, before.rev);
	CU_ASSERT_EQUAL(now.nvips, before.nvips);
	CU_ASSERT_EQUAL(now.nchanges, before.nchanges);
}

/* Create, update, delete: one revision each, one change-log row of kind vip each. */
static void test_vip_create_update_delete_logged(void)
{
	struct db *db = open_db("cud.db");
	struct fulcrum_vip vip = vip_of("192.0.2.10", "eth0"), out;
	struct fulcrum_change *ch = NULL;
	struct fulcrum_err err;
	int64_t rev = 0;
	size_t n = 0;

	vip.id = 77; /* ignored: only a batch names ids */
	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &vip, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(vip.id, 1);
	CU_ASSERT_EQUAL(rev, 1);
	CU_ASSERT_EQUAL(db_vip_get(db, vip.id, &out), 0);
	CU_ASSERT_EQUAL(out.prefix, 32);
	vip.prefix = 24;
	strcpy(vip.description, "masq gateway");
	CU_ASSERT_EQUAL(command_vip_update(db, &alice, &vip, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(rev, 2);
	/* the same again changes nothing: no revision, no row */
	CU_ASSERT_EQUAL(command_vip_update(db, &alice, &vip, 0, &rev, &err), 0);
	CU_ASSERT_EQUAL(rev, 2);
	CU_ASSERT_EQUAL(command_vip_delete(db, &alice, vip.id, 2, &rev, &err), 0);
	CU_ASSERT_EQUAL(rev, 3);
	CU_ASSERT_EQUAL(db_vip_get(db, vip.id, &out), -ENOENT);
	CU_ASSERT_EQUAL(db_change_list(db, 0, 0, &ch, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_STRING_EQUAL(ch[i].object_type, "vip");
		CU_ASSERT_EQUAL(ch[i].object_id, vip.id);
		CU_ASSERT_STRING_EQUAL(ch[i].actor, "alice");
		CU_ASSERT_EQUAL(ch[i].revision, (int64_t)i + 1);
	}
	CU_ASSERT_PTR_NULL(ch[0].before);
	CU_ASSERT_STRING_EQUAL(ch[0].after, "{\"id\":1,\"address\":\"192.0.2.10\",\"prefix\":32,"
					    "\"interface\":\"eth0\",\"description\":\"\"}");
	CU_ASSERT_STRING_EQUAL(ch[1].before, ch[0].after);
	CU_ASSERT_PTR_NOT_NULL(strstr(ch[1].after, "\"prefix\":24"));
	CU_ASSERT_STRING_EQUAL(ch[2].before, ch[1].after);
	CU_ASSERT_PTR_NULL(ch[2].after);
	fulcrum_change_list_free(ch, n);
	db_close(db);
}

/* A second VIP on an address one has is a conflict naming "address" and the VIP that has it. */
static void test_vip_conflicts_name_the_field(void)
{
	struct db *db = open_db("conflict.db");
	struct fulcrum_vip a = vip_of("192.0.2.10", "eth0"), b = vip_of("2001:db8::1", "eth1"),
			   dup = vip_of("192.0.2.10", "eth2");
	struct fulcrum_err err;
	struct snap s;

	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &a, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &b, 0, NULL, NULL), 0);
	s = snap_take(db);
	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &dup, 0, NULL, &err), -EEXIST);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_CONFLICT);
	CU_ASSERT_STRING_EQUAL(err.field, "address");
	CU_ASSERT_STRING_EQUAL(err.message, "VIP address: 192.0.2.10 is already VIP 1 (on eth0)");
	CU_ASSERT_EQUAL(dup.id, 0);
	/* an update onto another VIP's address too; one that keeps its own address is fine */
	b.addr = a.addr;
	b.prefix = 24;
	CU_ASSERT_EQUAL(command_vip_update(db, &alice, &b, 0, NULL, &err), -EEXIST);
	CU_ASSERT_STRING_EQUAL(err.field, "address");
	snap_same(db, s);
	a.prefix = 16;
	CU_ASSERT_EQUAL(command_vip_update(db, &alice, &a, 0, NULL, &err), 0);
	/* the same address written another way is the same address */
	dup = vip_of("2001:0db8:0:0::1", "eth3");
	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &dup, 0, NULL, &err), -EEXIST);
	CU_ASSERT_STRING_EQUAL(err.message, "VIP address: 2001:db8::1 is already VIP 2 (on eth1)");
	db_close(db);
}

/* The model's refusals, a missing VIP and a stale revision change nothing. */
static void test_vip_refusals_write_nothing(void)
{
	struct db *db = open_db("refused.db");
	struct fulcrum_vip vip = vip_of("192.0.2.10", "eth0"), bad;
	struct fulcrum_err err;
	struct snap s;

	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &vip, 0, NULL, NULL), 0);
	s = snap_take(db);
	bad = vip_of("192.0.2.11", "");
	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &bad, 0, NULL, &err), -EINVAL);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.field, "interface");
	bad = vip;
	bad.prefix = 40;
	CU_ASSERT_EQUAL(command_vip_update(db, &alice, &bad, 0, NULL, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "VIP prefix: 40 is outside 1..32 for IPv4");
	bad = vip_of("224.0.0.18", "eth0");
	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &bad, 0, NULL, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "address");
	bad = vip;
	bad.id = 99;
	CU_ASSERT_EQUAL(command_vip_update(db, &alice, &bad, 0, NULL, &err), -ENOENT);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_NOTFOUND);
	CU_ASSERT_STRING_EQUAL(err.field, "id");
	CU_ASSERT_STRING_EQUAL(err.message, "VIP 99 does not exist");
	CU_ASSERT_EQUAL(command_vip_delete(db, &alice, 99, 0, NULL, &err), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err.message, "VIP 99 does not exist");
	CU_ASSERT_EQUAL(command_vip_delete(db, &alice, vip.id, s.rev + 5, NULL, &err), -ESTALE);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_STALE);
	snap_same(db, s);
	db_close(db);
}

/* Ids are never reused: a batch may name a new id, never a used or taken one. */
static void test_vip_ids_never_reused(void)
{
	struct db *db = open_db("ids.db");
	struct fulcrum_vip a = vip_of("192.0.2.1", "eth0"), b = vip_of("192.0.2.2", "eth0");
	struct command_op op = {.kind = COMMAND_VIP_CREATE};
	struct fulcrum_err err;
	size_t failed = 9;
	int64_t next = 0;

	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &a, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &b, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(command_vip_delete(db, &alice, b.id, 0, NULL, NULL), 0);
	b.id = 0;
	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &b, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(b.id, 3); /* not 2, the deleted one's */
	op.vip = vip_of("192.0.2.3", "eth0");
	op.vip.id = 2;
	CU_ASSERT_EQUAL(command_batch(db, &alice, &op, 1, 0, NULL, &err, &failed), -EINVAL);
	CU_ASSERT_EQUAL(failed, 0);
	CU_ASSERT_STRING_EQUAL(err.field, "id");
	CU_ASSERT_STRING_EQUAL(err.message, "VIP id 2 was used before and ids are never reused: "
					    "the next free id is 4");
	op.vip.id = 3;
	CU_ASSERT_EQUAL(command_batch(db, &alice, &op, 1, 0, NULL, &err, NULL), -EEXIST);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_CONFLICT);
	CU_ASSERT_STRING_EQUAL(err.message, "VIP id 3 exists");
	op.vip.id = 10;
	CU_ASSERT_EQUAL(command_batch(db, &alice, &op, 1, 0, NULL, &err, NULL), 0);
	CU_ASSERT_EQUAL(op.vip.id, 10);
	CU_ASSERT_EQUAL(db_vip_next_id(db, &next), 0);
	CU_ASSERT_EQUAL(next, 11);
	db_close(db);
}

/* A batch of VIPs and a service: one revision, every object logged; a refusal undoes all of it. */
static void test_vip_batch(void)
{
	struct db *db = open_db("batch.db");
	struct command_op ops[3] = {
	    {.kind = COMMAND_VIP_CREATE, .vip = vip_of("192.0.2.10", "eth0")},
	    {.kind = COMMAND_VS_CREATE, .vs = unit_vs("web", "192.0.2.10")},
	    {.kind = COMMAND_VIP_CREATE, .vip = vip_of("10.0.0.1", "eth1")},
	};
	struct command_op move[2];
	struct command_result res = {0};
	struct fulcrum_vip out;
	struct fulcrum_err err;
	size_t failed = 9;
	struct snap s;

	CU_ASSERT_EQUAL(command_batch(db, &alice, ops, 3, 0, &res, &err, &failed), 0);
	CU_ASSERT_EQUAL(failed, 3);
	CU_ASSERT_EQUAL(res.revision, 1);
	CU_ASSERT_EQUAL_FATAL(res.n, 3);
	CU_ASSERT_EQUAL(res.changes[0].kind, FULCRUM_KIND_VIP);
	CU_ASSERT_EQUAL(res.changes[0].id, ops[0].vip.id);
	CU_ASSERT_EQUAL(res.changes[0].op, COMMAND_CHANGE_CREATE);
	CU_ASSERT_EQUAL(res.changes[1].kind, FULCRUM_KIND_VS);
	CU_ASSERT_EQUAL(res.changes[2].kind, FULCRUM_KIND_VIP);
	CU_ASSERT_EQUAL(ops[2].vip.id, 2);
	command_result_clear(&res);

	/* the last op takes the first's address: nothing of the batch is written */
	s = snap_take(db);
	ops[0].kind = COMMAND_VIP_UPDATE;
	ops[0].vip.prefix = 24;
	ops[1] = (struct command_op){.kind = COMMAND_VIP_CREATE, .vip = vip_of("10.0.0.2", "eth1")};
	ops[2] = (struct command_op){.kind = COMMAND_VIP_CREATE, .vip = vip_of("10.0.0.1", "eth2")};
	CU_ASSERT_EQUAL(command_batch(db, &alice, ops, 3, 0, &res, &err, &failed), -EEXIST);
	CU_ASSERT_EQUAL(failed, 2);
	CU_ASSERT_EQUAL(res.n, 0);
	CU_ASSERT_STRING_EQUAL(err.field, "address");
	snap_same(db, s);
	CU_ASSERT_EQUAL(db_vip_get(db, 1, &out), 0);
	CU_ASSERT_EQUAL(out.prefix, 32);

	/* a deletion first frees the address for a creation after it, in one revision */
	move[0] = (struct command_op){.kind = COMMAND_VIP_DELETE, .vip.id = 2};
	move[1] =
	    (struct command_op){.kind = COMMAND_VIP_CREATE, .vip = vip_of("10.0.0.1", "eth2")};
	CU_ASSERT_EQUAL(command_batch(db, &alice, move, 2, 0, &res, &err, NULL), 0);
	CU_ASSERT_EQUAL(res.revision, s.rev + 1);
	CU_ASSERT_EQUAL_FATAL(res.n, 2);
	CU_ASSERT_EQUAL(res.changes[0].op, COMMAND_CHANGE_DELETE);
	CU_ASSERT_EQUAL(res.changes[1].op, COMMAND_CHANGE_CREATE);
	CU_ASSERT_EQUAL(move[1].vip.id, 3);
	command_result_clear(&res);
	/* the rehearsal says the same as the batch would, and writes nothing */
	s = snap_take(db);
	move[1].vip.id = 0;
	CU_ASSERT_EQUAL(command_batch_rehearse(db, &alice, &move[1], 1, &err, &failed), -EEXIST);
	CU_ASSERT_EQUAL(failed, 0);
	snap_same(db, s);
	db_close(db);
}

/* One write of a group, by kind as a PATCH does it. */
static int patch_prefix(struct command_txn *t, void *arg)
{
	struct fulcrum_vip vip;
	int rc = command_txn_get(t, FULCRUM_KIND_VIP, *(int64_t *)arg, &vip);

	if (rc != 0)
		return rc;
	vip.prefix = 28;
	return command_txn_update(t, FULCRUM_KIND_VIP, &vip);
}

static int create_then_delete(struct command_txn *t, void *arg)
{
	struct fulcrum_vip vip = vip_of("192.0.2.99", "eth9"), back;
	int rc;

	(void)arg;
	if ((rc = command_txn_vip_create(t, &vip)) != 0 ||
	    (rc = command_txn_vip_get(t, vip.id, &back)) != 0)
		return rc;
	CU_ASSERT_STRING_EQUAL(back.interface, "eth9");
	strcpy(back.interface, "eth8");
	if ((rc = command_txn_vip_update(t, &back)) != 0)
		return rc;
	return command_txn_vip_delete(t, vip.id);
}

/* The group commit's calls, typed and by kind. */
static void test_vip_in_a_group(void)
{
	struct db *db = open_db("group.db");
	struct fulcrum_vip vip = vip_of("192.0.2.10", "eth0"), out;
	struct command_result res = {0};
	struct fulcrum_err err;

	CU_ASSERT_EQUAL(command_vip_create(db, &alice, &vip, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(command_group_begin(db, &err), 0);
	CU_ASSERT_EQUAL(command_group_add(db, &alice, 0, patch_prefix, &vip.id, &res, &err), 0);
	CU_ASSERT_EQUAL(res.n, 1);
	command_result_clear(&res);
	CU_ASSERT_EQUAL(command_group_add(db, &alice, 0, create_then_delete, NULL, &res, &err), 0);
	CU_ASSERT_EQUAL_FATAL(res.n, 3);
	CU_ASSERT_EQUAL(res.changes[2].op, COMMAND_CHANGE_DELETE);
	command_result_clear(&res);
	vip.id = 42;
	CU_ASSERT_EQUAL(command_group_add(db, &alice, 0, patch_prefix, &vip.id, &res, &err),
			-ENOENT);
	CU_ASSERT_STRING_EQUAL(err.message, "VIP 42 does not exist");
	CU_ASSERT_EQUAL(command_group_commit(db, &err), 0);
	CU_ASSERT_EQUAL(db_vip_get(db, 1, &out), 0);
	CU_ASSERT_EQUAL(out.prefix, 28);
	CU_ASSERT_EQUAL(db_revision(db), 3);
	db_close(db);
}

static int command_vip_setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	return 0;
}

static int command_vip_teardown(void)
{
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(command_vip)
{
	CU_pSuite s = CU_add_suite("command_vip", command_vip_setup, command_vip_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "create, update, delete: each logged as a vip",
		    test_vip_create_update_delete_logged);
	CU_add_test(s, "a taken address is a conflict naming the field",
		    test_vip_conflicts_name_the_field);
	CU_add_test(s, "refusals write nothing", test_vip_refusals_write_nothing);
	CU_add_test(s, "ids are never reused", test_vip_ids_never_reused);
	CU_add_test(s, "batches of VIPs", test_vip_batch);
	CU_add_test(s, "VIPs in a group commit, by kind", test_vip_in_a_group);
	return CU_get_error();
}
