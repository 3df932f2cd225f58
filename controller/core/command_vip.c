/* The write path of VIPs: create, update and delete, checked, stored and logged like the others. */
#include "controller/core/command-int.h"
#include "controller/model/model.h"

#include <errno.h>

/* Checks that no other stored VIP has vip's address. */
static int verify_vip_unique(struct cmd *c, const struct fulcrum_vip *vip)
{
	char addr[MODEL_ADDR_STRLEN];
	struct fulcrum_vip other;
	int rc = db_vip_find_by_addr(c->db, &vip->addr, &other);

	if (rc == 0 && other.id != vip->id)
		return model_err_set(c->err, FULCRUM_ERR_CONFLICT, "address",
				     "VIP address: %s is already VIP %lld (on %s)",
				     model_addr_format(&vip->addr, addr, sizeof(addr)),
				     (long long)other.id, other.interface);
	if (rc != 0 && rc != -ENOENT)
		return cmd_storage(c, rc, "look up a VIP by address");
	return 0;
}

static int verify_vip_id(struct cmd *c, int64_t id)
{
	struct fulcrum_vip old;
	int64_t next = 0;
	int rc = db_vip_get(c->db, id, &old);
	bool found = rc == 0;

	if (rc != 0 && rc != -ENOENT)
		return cmd_storage(c, rc, "read the VIP");
	if ((rc = db_vip_next_id(c->db, &next)) != 0)
		return cmd_storage(c, rc, "read the next VIP id");
	return cmd_verify_new_id(c, "VIP", id, found, next);
}

int cmd_vip_get(struct cmd *c, int64_t id, struct fulcrum_vip *old)
{
	int rc = db_vip_get(c->db, id, old);

	if (rc == -ENOENT)
		return model_err_set(c->err, FULCRUM_ERR_NOTFOUND, "id", "VIP %lld does not exist",
				     (long long)id);
	return rc ? cmd_storage(c, rc, "read the VIP") : 0;
}

int cmd_vip_create(struct cmd *c, struct fulcrum_vip *vip)
{
	int rc;

	if ((rc = model_vip_validate(vip, c->err)) != 0 ||
	    (vip->id != 0 && (rc = verify_vip_id(c, vip->id)) != 0) ||
	    (rc = verify_vip_unique(c, vip)) != 0)
		return rc;
	if ((rc = db_vip_insert(c->db, vip)) != 0)
		return cmd_storage(c, rc, "store the VIP");
	if ((rc = cmd_bump(c)) == 0)
		rc =
		    cmd_log(c, FULCRUM_KIND_VIP, vip->id, NULL, cmd_json(c, FULCRUM_KIND_VIP, vip));
	return rc;
}

int cmd_vip_update(struct cmd *c, const struct fulcrum_vip *vip)
{
	struct fulcrum_vip old;
	int rc;

	if ((rc = model_vip_validate(vip, c->err)) != 0 ||
	    (rc = cmd_vip_get(c, vip->id, &old)) != 0 || (rc = verify_vip_unique(c, vip)) != 0)
		return rc;
	return cmd_update_write(c, FULCRUM_KIND_VIP, vip->id, &old, vip);
}

int cmd_vip_delete(struct cmd *c, int64_t id)
{
	struct fulcrum_vip old;
	int rc;

	if ((rc = cmd_vip_get(c, id, &old)) != 0)
		return rc;
	if ((rc = db_vip_delete(c->db, id)) != 0)
		return cmd_storage(c, rc, "delete the VIP");
	if ((rc = cmd_bump(c)) == 0)
		rc = cmd_log(c, FULCRUM_KIND_VIP, id, cmd_json(c, FULCRUM_KIND_VIP, &old), NULL);
	return rc;
}

int command_vip_create(struct db *db, const struct command_actor *actor, struct fulcrum_vip *vip,
		       int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_VIP_CREATE, .vip = *vip};
	int rc;

	op.vip.id = 0; /* only a batch may name the id */
	if ((rc = cmd_one(db, actor, &op, if_revision, revision_out, err)) == 0)
		vip->id = op.vip.id;
	return rc;
}

int command_vip_update(struct db *db, const struct command_actor *actor,
		       const struct fulcrum_vip *vip, int64_t if_revision, int64_t *revision_out,
		       struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_VIP_UPDATE, .vip = *vip};

	return cmd_one(db, actor, &op, if_revision, revision_out, err);
}

int command_vip_delete(struct db *db, const struct command_actor *actor, int64_t id,
		       int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_VIP_DELETE, .vip.id = id};

	return cmd_one(db, actor, &op, if_revision, revision_out, err);
}

/* ---- in a group commit (command_group.c) -------------------------------------- */

int command_txn_vip_create(struct command_txn *t, struct fulcrum_vip *vip)
{
	struct fulcrum_vip nvip = *vip;
	int rc;

	nvip.id = 0; /* only a batch may name the id */
	if ((rc = cmd_vip_create(&t->c, &nvip)) == 0)
		vip->id = nvip.id;
	return rc;
}

int command_txn_vip_update(struct command_txn *t, const struct fulcrum_vip *vip)
{
	return cmd_vip_update(&t->c, vip);
}

int command_txn_vip_delete(struct command_txn *t, int64_t id)
{
	return cmd_vip_delete(&t->c, id);
}

int command_txn_vip_get(struct command_txn *t, int64_t id, struct fulcrum_vip *out)
{
	return cmd_vip_get(&t->c, id, out);
}
