/* Group commit: several commands in one transaction, each in its own savepoint, one COMMIT. */
#include "controller/core/command-int.h"
#include "controller/model/model.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A command in progress for the group's own steps (begin, commit): storage errors only. */
static void group_cmd(struct cmd *c, struct db *db, struct fulcrum_err *err)
{
	memset(c, 0, sizeof(*c));
	c->db = db;
	c->err = err ? err : &c->scratch;
	model_err_clear(c->err);
}

int command_group_begin(struct db *db, struct fulcrum_err *err)
{
	struct cmd c;
	int rc;

	group_cmd(&c, db, err);
	if ((rc = db_begin(db)) != 0)
		cmd_storage(&c, rc, "start a transaction");
	return rc;
}

int command_group_add(struct db *db, const struct command_actor *actor, int64_t if_revision,
		      command_txn_fn fn, void *arg, struct command_result *res,
		      struct fulcrum_err *err)
{
	struct command_txn t;
	int rc;

	assert(fn && res);
	command_result_clear(res);
	cmd_init(&t.c, db, actor, err);
	t.c.res = res;
	if ((rc = db_savepoint(db)) != 0)
		return cmd_storage(&t.c, rc, "open a savepoint");
	if ((rc = cmd_revision_verify(&t.c, if_revision)) == 0 && (rc = fn(&t, arg)) == 0 &&
	    (rc = db_release(db)) != 0)
		cmd_storage(&t.c, rc, "release a savepoint");
	if (rc != 0) {
		/*
		 * Undo this command alone. If even that fails, its writes must not
		 * reach the COMMIT: the whole group goes, and db_in_transaction()
		 * tells the caller.
		 */
		if (db_in_transaction(db) && db_rollback_to(db) != 0)
			db_rollback(db);
		command_result_clear(res);
		return rc;
	}
	cmd_result_done(&t.c);
	return 0;
}

int command_group_commit(struct db *db, struct fulcrum_err *err)
{
	struct cmd c;
	int rc;

	group_cmd(&c, db, err);
	if ((rc = db_commit(db)) != 0) {
		cmd_storage(&c, rc, "commit");
		db_rollback(db);
	}
	return rc;
}

void command_group_rollback(struct db *db)
{
	db_rollback(db);
}

int command_txn_vs_create(struct command_txn *t, struct fulcrum_vs *vs, struct fulcrum_rs *reals,
			  size_t nreals)
{
	struct cmd *c = &t->c;
	struct fulcrum_vs nvs = *vs;
	int64_t *ids = NULL;
	int rc;

	nvs.id = 0; /* only a batch may name the id */
	if ((rc = cmd_vs_create_verify(c, &nvs, reals, nreals)) != 0)
		return rc;
	if (nreals && !(ids = calloc(nreals, sizeof(*ids))))
		return model_err_set(c->err, FULCRUM_ERR_INTERNAL, NULL, "out of memory");
	rc = cmd_vs_create(c, &nvs, reals, nreals, ids);
	if (rc == 0)
		cmd_vs_created(vs, nvs.id, reals, ids, nreals);
	free(ids);
	return rc;
}

int command_txn_vs_update(struct command_txn *t, const struct fulcrum_vs *vs)
{
	int rc = model_vs_validate(vs, t->c.err);

	return rc ? rc : cmd_vs_update(&t->c, vs);
}

int command_txn_vs_delete(struct command_txn *t, int64_t id)
{
	return cmd_vs_delete(&t->c, id);
}

int command_txn_rs_create(struct command_txn *t, struct fulcrum_rs *rs)
{
	struct fulcrum_rs nrs = *rs;
	int rc;

	nrs.id = 0; /* only a batch may name the id */
	if ((rc = cmd_rs_create(&t->c, &nrs)) == 0)
		rs->id = nrs.id;
	return rc;
}

int command_txn_rs_update(struct command_txn *t, const struct fulcrum_rs *rs)
{
	return cmd_rs_update(&t->c, rs);
}

int command_txn_rs_delete(struct command_txn *t, int64_t id)
{
	return cmd_rs_delete(&t->c, id);
}

int command_txn_vs_get(struct command_txn *t, int64_t id, struct fulcrum_vs *out)
{
	return cmd_vs_get(&t->c, id, out);
}

int command_txn_rs_get(struct command_txn *t, int64_t id, struct fulcrum_rs *out)
{
	return cmd_rs_get(&t->c, id, out);
}

int command_txn_get(struct command_txn *t, enum fulcrum_kind kind, int64_t id, void *out)
{
	switch (kind) {
	case FULCRUM_KIND_VS:
		return command_txn_vs_get(t, id, out);
	case FULCRUM_KIND_RS:
		return command_txn_rs_get(t, id, out);
	case FULCRUM_KIND_VIP:
		return command_txn_vip_get(t, id, out);
	}
	return model_err_set(t->c.err, FULCRUM_ERR_INVALID, "kind", "%d is no kind of object",
			     (int)kind);
}

int command_txn_update(struct command_txn *t, enum fulcrum_kind kind, const void *obj)
{
	switch (kind) {
	case FULCRUM_KIND_VS:
		return command_txn_vs_update(t, obj);
	case FULCRUM_KIND_RS:
		return command_txn_rs_update(t, obj);
	case FULCRUM_KIND_VIP:
		return command_txn_vip_update(t, obj);
	}
	return model_err_set(t->c.err, FULCRUM_ERR_INVALID, "kind", "%d is no kind of object",
			     (int)kind);
}

int command_txn_delete(struct command_txn *t, enum fulcrum_kind kind, int64_t id)
{
	switch (kind) {
	case FULCRUM_KIND_VS:
		return command_txn_vs_delete(t, id);
	case FULCRUM_KIND_RS:
		return command_txn_rs_delete(t, id);
	case FULCRUM_KIND_VIP:
		return command_txn_vip_delete(t, id);
	}
	return model_err_set(t->c.err, FULCRUM_ERR_INVALID, "kind", "%d is no kind of object",
			     (int)kind);
}

struct fulcrum_err *command_txn_err(struct command_txn *t)
{
	return t->c.err;
}

int command_txn_create(struct command_txn *t, enum fulcrum_kind kind, void *obj)
{
	struct cmd *c = &t->c;
	int rc;

	switch (kind) {
	case FULCRUM_KIND_VS:
		if ((rc = cmd_vs_create_verify(c, obj, NULL, 0)) != 0)
			return rc;
		return cmd_vs_create(c, obj, NULL, 0, NULL);
	case FULCRUM_KIND_RS:
		return cmd_rs_create(c, obj);
	case FULCRUM_KIND_VIP:
		return cmd_vip_create(c, obj);
	}
	return model_err_set(c->err, FULCRUM_ERR_INVALID, "kind", "create: %d is not a kind",
			     (int)kind);
}

int command_txn_notify_set(struct command_txn *t, enum command_notify which, bool enabled)
{
	struct command_op op = {.kind = COMMAND_NOTIFY_SET, .notify = which, .enabled = enabled};

	return cmd_notify_set(&t->c, &op);
}

struct db *command_txn_db(struct command_txn *t)
{
	return t->c.db;
}
