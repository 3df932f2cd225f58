/* The batch command (one transaction, one revision); each single command is a batch of one op. */
#include "controller/core/command-int.h"
#include "controller/model/model.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

/* The ids a create is stored with, kept aside until the commit makes them true. */
struct batch_ids {
	int64_t id, vs_id;
	int64_t *reals; /* a VS_CREATE's real servers' ids, nreals of them; malloc'ed */
};

int cmd_notify_set(struct cmd *c, const struct command_op *op)
{
	int rc;

	if ((unsigned)op->notify >= COMMAND_NOTIFY_COUNT)
		return model_err_set(c->err, FULCRUM_ERR_INVALID, "notify",
				     "notification switch: %d is not one of rs_state, "
				     "vs_availability, config_change, role_change",
				     (int)op->notify);
	rc = db_notify_set(c->db, op->notify, op->enabled);
	return rc ? cmd_storage(c, rc, "store a notification switch") : 0;
}

/*
 * Runs op inside the batch's transaction, with the checks its single command
 * makes before its transaction first; out gets a create's stored ids.
 */
static int batch_op(struct cmd *c, const struct command_op *op, struct batch_ids *out)
{
	struct fulcrum_vs vs = op->vs;
	struct fulcrum_rs rs = op->rs;
	struct fulcrum_vip vip = op->vip;
	int rc;

	switch (op->kind) {
	case COMMAND_VS_CREATE:
		if (op->nreals && !(out->reals = calloc(op->nreals, sizeof(*out->reals))))
			return model_err_set(c->err, FULCRUM_ERR_INTERNAL, NULL, "out of memory");
		if ((rc = cmd_vs_create_verify(c, &vs, op->reals, op->nreals)) == 0 &&
		    (rc = cmd_vs_create(c, &vs, op->reals, op->nreals, out->reals)) == 0)
			out->id = vs.id;
		return rc;
	case COMMAND_VS_UPDATE:
		rc = model_vs_validate(&vs, c->err);
		return rc ? rc : cmd_vs_update(c, &vs);
	case COMMAND_VS_DELETE:
		return cmd_vs_delete(c, vs.id);
	case COMMAND_RS_CREATE:
		if ((rc = cmd_rs_create(c, &rs)) == 0) {
			out->id = rs.id;
			out->vs_id = rs.vs_id;
		}
		return rc;
	case COMMAND_RS_UPDATE:
		return cmd_rs_update(c, &rs);
	case COMMAND_RS_DELETE:
		return cmd_rs_delete(c, rs.id);
	case COMMAND_NOTIFY_SET:
		return cmd_notify_set(c, op);
	case COMMAND_VIP_CREATE:
		if ((rc = cmd_vip_create(c, &vip)) == 0)
			out->id = vip.id;
		return rc;
	case COMMAND_VIP_UPDATE:
		return cmd_vip_update(c, &vip);
	case COMMAND_VIP_DELETE:
		return cmd_vip_delete(c, vip.id);
	}
	return model_err_set(c->err, FULCRUM_ERR_INVALID, "kind",
			     "change: %d is not a kind of change", (int)op->kind);
}

/* Opens the transaction and runs the n ops in it; *at gets the index of the one that failed. */
static int batch_run(struct cmd *c, const struct command_op *ops, size_t n, int64_t if_revision,
		     struct batch_ids *ids, size_t *at)
{
	int rc = cmd_begin(c, if_revision);

	for (size_t i = 0; rc == 0 && i < n; i++)
		if ((rc = batch_op(c, &ops[i], &ids[i])) != 0)
			*at = i;
	return rc;
}

/* After the commit: the creates of ops[0..n) take the ids they were stored with. */
static void batch_ids_give(struct command_op *ops, size_t n, const struct batch_ids *ids)
{
	for (size_t i = 0; i < n; i++) {
		if (ops[i].kind == COMMAND_VS_CREATE) {
			cmd_vs_created(&ops[i].vs, ids[i].id, ops[i].reals, ids[i].reals,
				       ops[i].nreals);
		} else if (ops[i].kind == COMMAND_RS_CREATE) {
			ops[i].rs.id = ids[i].id;
			ops[i].rs.vs_id = ids[i].vs_id;
		} else if (ops[i].kind == COMMAND_VIP_CREATE) {
			ops[i].vip.id = ids[i].id;
		}
	}
}

static void batch_ids_free(struct batch_ids *ids, size_t n)
{
	for (size_t i = 0; ids && i < n; i++)
		free(ids[i].reals);
	free(ids);
}

int command_batch(struct db *db, const struct command_actor *actor, struct command_op *ops,
		  size_t n, int64_t if_revision, struct command_result *res,
		  struct fulcrum_err *err, size_t *failed)
{
	struct batch_ids *ids = NULL;
	size_t at = n; /* no one op at fault: the revision, the commit */
	struct cmd c;
	int rc;

	assert(ops || n == 0);
	cmd_init(&c, db, actor, err);
	if (res)
		command_result_clear(res);
	c.res = res;
	if (failed)
		*failed = n;
	if (n && !(ids = calloc(n, sizeof(*ids))))
		return model_err_set(c.err, FULCRUM_ERR_INTERNAL, NULL, "out of memory");
	rc = batch_run(&c, ops, n, if_revision, ids, &at);
	rc = cmd_end(&c, rc);
	if (rc != 0 && failed)
		*failed = at;
	if (rc == 0)
		batch_ids_give(ops, n, ids);
	batch_ids_free(ids, n);
	return rc;
}

int command_batch_rehearse(struct db *db, const struct command_actor *actor,
			   const struct command_op *ops, size_t n, struct fulcrum_err *err,
			   size_t *failed)
{
	struct batch_ids *ids = NULL;
	size_t at = n;
	struct cmd c;
	int rc;

	assert(ops || n == 0);
	cmd_init(&c, db, actor, err);
	if (failed)
		*failed = n;
	if (n && !(ids = calloc(n, sizeof(*ids))))
		return model_err_set(c.err, FULCRUM_ERR_INTERNAL, NULL, "out of memory");
	rc = batch_run(&c, ops, n, 0, ids, &at);
	db_rollback(db); /* a rehearsal: nothing it wrote stays */
	if (rc != 0 && failed)
		*failed = at;
	batch_ids_free(ids, n);
	return rc;
}

/* ---- the single commands: each a batch of one op ---------------------------------- */

/* Runs one op as a batch of one; the single commands' contract (command.h). */
int cmd_one(struct db *db, const struct command_actor *actor, struct command_op *op,
	    int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_result res = {0};
	int rc = command_batch(db, actor, op, 1, if_revision, &res, err, NULL);

	if (rc == 0 && revision_out)
		*revision_out = res.revision;
	command_result_clear(&res);
	return rc;
}

int command_vs_create(struct db *db, const struct command_actor *actor, struct fulcrum_vs *vs,
		      struct fulcrum_rs *reals, size_t nreals, int64_t if_revision,
		      int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {
	    .kind = COMMAND_VS_CREATE, .vs = *vs, .reals = reals, .nreals = nreals};
	int rc;

	op.vs.id = 0; /* only a batch may name the id */
	rc = cmd_one(db, actor, &op, if_revision, revision_out, err);
	if (rc == 0)
		vs->id = op.vs.id;
	return rc;
}

int command_vs_update(struct db *db, const struct command_actor *actor, const struct fulcrum_vs *vs,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_VS_UPDATE, .vs = *vs};

	return cmd_one(db, actor, &op, if_revision, revision_out, err);
}

int command_vs_delete(struct db *db, const struct command_actor *actor, int64_t id,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_VS_DELETE, .vs.id = id};

	return cmd_one(db, actor, &op, if_revision, revision_out, err);
}

int command_rs_create(struct db *db, const struct command_actor *actor, struct fulcrum_rs *rs,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_RS_CREATE};
	int rc;

	op.rs = *rs;
	op.rs.id = 0; /* only a batch may name the id */
	rc = cmd_one(db, actor, &op, if_revision, revision_out, err);
	if (rc == 0)
		rs->id = op.rs.id;
	return rc;
}

int command_rs_update(struct db *db, const struct command_actor *actor, const struct fulcrum_rs *rs,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_RS_UPDATE};

	op.rs = *rs;
	return cmd_one(db, actor, &op, if_revision, revision_out, err);
}

int command_rs_delete(struct db *db, const struct command_actor *actor, int64_t id,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_RS_DELETE, .rs.id = id};

	return cmd_one(db, actor, &op, if_revision, revision_out, err);
}
