/* The VIPs of the in-memory mirror: loaded, followed after each commit, and their write path. */
#include "controller/core/store-int.h"

#include <errno.h>
#include <stdlib.h>

static int vip_cmp(const void *key, const void *elem)
{
	return store_cmp_i64(((const struct fulcrum_vip *)key)->id,
			     ((const struct fulcrum_vip *)elem)->id);
}

/* A create stored id: the database's sequence is past it now (ids are never reused). */
static void vip_note_id(struct store *st, int64_t id)
{
	if (id >= st->vip_next)
		st->vip_next = id + 1;
}

const struct fulcrum_vip *store_vip_get(const struct store *st, int64_t id)
{
	struct fulcrum_vip key = {.id = id};

	return ptrvec_find(&st->vips, &key, vip_cmp);
}

const struct fulcrum_vip *const *store_vip_all(const struct store *st, size_t *n)
{
	*n = st->vips.n;
	return (const struct fulcrum_vip *const *)st->vips.v;
}

int64_t store_vip_next_id(const struct store *st)
{
	return st->vip_next;
}

int store_mirror_put_vip(struct store *st, const struct fulcrum_vip *vip)
{
	struct fulcrum_vip *cur = (struct fulcrum_vip *)store_vip_get(st, vip->id), *copy;
	int rc;

	vip_note_id(st, vip->id);
	if (cur) {
		*cur = *vip;
		return 0;
	}
	if (!(copy = malloc(sizeof(*copy))))
		return -ENOMEM;
	*copy = *vip;
	if ((rc = ptrvec_insert(&st->vips, copy, vip_cmp)) != 0)
		free(copy);
	return rc;
}

void store_mirror_drop_vip(struct store *st, int64_t id)
{
	struct fulcrum_vip *vip = (struct fulcrum_vip *)store_vip_get(st, id);

	if (vip) {
		ptrvec_remove(&st->vips, vip, vip_cmp);
		free(vip);
	}
}

static int vip_load_one(const struct fulcrum_vip *vip, void *arg)
{
	return store_mirror_put_vip(arg, vip);
}

int store_vip_load(struct store *st)
{
	return db_vip_each(st->db, vip_load_one, st);
}

int store_vip_refresh(struct store *st, int64_t id)
{
	struct fulcrum_vip vip;
	int rc = db_vip_get(st->db, id, &vip);

	if (rc == -ENOENT) { /* a batch deleted it after writing it */
		store_mirror_drop_vip(st, id);
		vip_note_id(st, id);
		return 0;
	}
	return rc ? rc : store_mirror_put_vip(st, &vip);
}

int store_vip_create(struct store *st, const struct command_actor *actor, struct fulcrum_vip *vip,
		     int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_VIP_CREATE, .vip = *vip};
	int rc;

	op.vip.id = 0; /* only a batch may name the id */
	if ((rc = store_batch(st, actor, &op, 1, if_revision, revision_out, err, NULL)) == 0)
		vip->id = op.vip.id;
	return rc;
}

int store_vip_update(struct store *st, const struct command_actor *actor,
		     const struct fulcrum_vip *vip, int64_t if_revision, int64_t *revision_out,
		     struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_VIP_UPDATE, .vip = *vip};

	return store_batch(st, actor, &op, 1, if_revision, revision_out, err, NULL);
}

int store_vip_delete(struct store *st, const struct command_actor *actor, int64_t id,
		     int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_VIP_DELETE, .vip.id = id};

	return store_batch(st, actor, &op, 1, if_revision, revision_out, err, NULL);
}
