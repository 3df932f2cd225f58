/* Group commit through the store: many writes, one COMMIT, then the mirror and listeners per write. */
#include "controller/core/store-int.h"

#include "controller/model/model.h"
#include "controller/model/model_kind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * What one write of the group left, read inside the transaction right after
 * it: each object it wrote as it stood then (NULL: gone). The mirror takes
 * these only once the COMMIT succeeded, so that after each write's turn it
 * holds that revision even when a later write of the group changes the same
 * object again.
 */
struct group_done {
	struct command_result res; /* what the write did: its revision and the objects it wrote */
	void **objs; /* the kind's struct (struct fulcrum_vs ...), malloc'ed; NULL: gone */
	int rc;      /* 0, or why the objects could not be read (the mirror reloads) */
};

/* Reads object id of kind from the database into out, its kind's struct: 0, -ENOENT or an error. */
static int group_get(struct db *db, enum fulcrum_kind kind, int64_t id, void *out)
{
	switch (kind) {
	case FULCRUM_KIND_VS:
		return db_vs_get(db, id, out);
	case FULCRUM_KIND_RS:
		return db_rs_get(db, id, out);
	case FULCRUM_KIND_VIP:
		return db_vip_get(db, id, out);
	}
	return -EINVAL;
}

static void group_done_free(struct group_done *d)
{
	for (size_t i = 0; d->objs && i < d->res.n; i++)
		free(d->objs[i]);
	free(d->objs);
	command_result_clear(&d->res);
	memset(d, 0, sizeof(*d));
}

/* Reads the objects d->res names as they stand in the open transaction. */
static int group_read(struct db *db, struct group_done *d)
{
	int rc = 0;

	if (d->res.n && !(d->objs = calloc(d->res.n, sizeof(*d->objs))))
		return -ENOMEM;
	for (size_t i = 0; rc == 0 && i < d->res.n; i++) {
		const struct command_change *t = &d->res.changes[i];
		void *o = malloc(model_kind(t->kind)->size);

		if (!o)
			return -ENOMEM;
		rc = group_get(db, t->kind, t->id, o);
		if (rc == 0) {
			d->objs[i] = o;
		} else {
			free(o);
			if (rc == -ENOENT) /* deleted */
				rc = 0;
		}
	}
	return rc;
}

/* The mirror takes what one committed write left, in the order it wrote. */
static int group_apply(struct store *st, const struct group_done *d)
{
	int rc = d->rc;

	for (size_t i = 0; rc == 0 && i < d->res.n; i++) {
		const struct command_change *t = &d->res.changes[i];

		switch (t->kind) {
		case FULCRUM_KIND_VS:
			if (d->objs[i])
				rc = store_mirror_put_vs(st, d->objs[i]);
			else
				store_mirror_drop_vs(st, t->id);
			break;
		case FULCRUM_KIND_RS:
			if (d->objs[i])
				rc = store_mirror_put_rs(st, d->objs[i]);
			else
				store_mirror_drop_rs(st, t->id);
			break;
		case FULCRUM_KIND_VIP:
			if (d->objs[i])
				rc = store_mirror_put_vip(st, d->objs[i]);
			else
				store_mirror_drop_vip(st, t->id);
			break;
		}
	}
	return rc;
}

/* Every write of a group that failed as a whole gets its error. */
static void group_fail(struct store_write *w, size_t n, int rc, const struct fulcrum_err *err)
{
	for (size_t i = 0; i < n; i++) {
		w[i].rc = rc;
		w[i].revision = 0;
		w[i].err = *err;
	}
}

/* Runs the writes inside the open transaction; a failure that lost it is returned. */
static int group_add_all(struct store *st, struct store_write *w, size_t n, struct group_done *done,
			 struct fulcrum_err *gerr)
{
	struct db *db = store_db(st);

	for (size_t i = 0; i < n; i++) {
		struct store_write *x = &w[i];

		if ((x->rc = store_writes_check(st, x->actor, &x->err)) != 0)
			continue; /* refused alone: the others of the group go on */
		x->rc = command_group_add(db, x->actor, x->if_revision, x->fn, x->arg, &done[i].res,
					  &x->err);
		if (x->rc == 0) {
			x->revision = done[i].res.revision;
			done[i].rc = group_read(db, &done[i]);
		} else if (!db_in_transaction(db)) {
			model_err_set(gerr, FULCRUM_ERR_INTERNAL, NULL,
				      "storage: a write of the same group commit failed and took "
				      "the transaction with it: %.300s",
				      x->err.message);
			return x->rc;
		}
	}
	return 0;
}

int store_group_run(struct store *st, struct store_write *w, size_t n)
{
	struct db *db = store_db(st);
	bool switches[COMMAND_NOTIFY_COUNT];
	struct group_done *done;
	struct fulcrum_err gerr;
	int rc;

	model_err_clear(&gerr);
	for (size_t i = 0; i < n; i++) {
		w[i].rc = 0;
		w[i].revision = 0;
		model_err_clear(&w[i].err);
	}
	if (n == 0)
		return 0;
	done = calloc(n, sizeof(*done));
	if (!done) {
		model_err_set(&gerr, FULCRUM_ERR_INTERNAL, NULL, "out of memory");
		group_fail(w, n, -ENOMEM, &gerr);
		return -ENOMEM;
	}
	rc = command_group_begin(db, &gerr);
	if (rc == 0 && (rc = group_add_all(st, w, n, done, &gerr)) != 0)
		command_group_rollback(db);
	else if (rc == 0)
		rc = command_group_commit(db, &gerr);
	if (rc != 0)
		group_fail(w, n, rc, &gerr);
	else if (db_notify_get(db, switches) == 0) /* a write may have set one (a file's apply) */
		memcpy(st->notify, switches, sizeof(switches));
	/* committed: the mirror follows each write in its turn, and its commit event is published */
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (w[i].rc == 0 && done[i].res.n > 0)
			store_mirror_committed(st, group_apply(st, &done[i]), &done[i].res);
	for (size_t i = 0; i < n; i++)
		group_done_free(&done[i]);
	free(done);
	return rc;
}

static int replay_run(struct command_txn *t, void *arg)
{
	return command_txn_replay(t, arg);
}

int store_replay(struct store *st, const struct command_actor *actor,
		 const struct command_replay *r, size_t n, size_t *applied, struct fulcrum_err *err)
{
	struct store_write *w;
	int rc;

	*applied = 0;
	if (err)
		model_err_clear(err);
	if (n == 0)
		return 0;
	if (!(w = calloc(n, sizeof(*w)))) {
		if (err)
			model_err_set(err, FULCRUM_ERR_INTERNAL, NULL, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		w[i] = (struct store_write){.actor = actor, .fn = replay_run, .arg = (void *)&r[i]};
	rc = store_group_run(st, w, n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (w[i].rc != 0) {
			rc = w[i].rc;
			break;
		}
		(*applied)++;
	}
	if (rc != 0 && err)
		*err = w[*applied < n ? *applied : 0].err;
	free(w);
	return rc;
}
