/* The in-memory model: the configuration mirrored from SQLite, and the write path around it. */
#include "controller/core/store-int.h"

#include "controller/model/model.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int vs_cmp(const void *key, const void *elem)
{
	return store_cmp_i64(((const struct fulcrum_vs *)key)->id,
			     ((const struct fulcrum_vs *)elem)->id);
}

static int rs_id_cmp(const void *key, const void *elem)
{
	return store_cmp_i64(((const struct fulcrum_rs_stored *)key)->id,
			     ((const struct fulcrum_rs_stored *)elem)->id);
}

static int rs_vs_cmp(const void *key, const void *elem)
{
	const struct fulcrum_rs_stored *a = key, *b = elem;
	int c = store_cmp_i64(a->vs_id, b->vs_id);

	return c ? c : store_cmp_i64(a->id, b->id);
}

static int store_add_vs(struct store *st, const struct fulcrum_vs *vs)
{
	struct fulcrum_vs *copy = malloc(sizeof(*copy));
	int rc;

	if (!copy)
		return -ENOMEM;
	*copy = *vs;
	rc = ptrvec_insert(&st->vs, copy, vs_cmp);
	if (rc != 0)
		free(copy);
	return rc;
}

/*
 * Keeps a copy of rs only as long as its description: a description is the
 * largest field and most are short or empty, and there are many real servers.
 */
static int store_add_rs(struct store *st, const struct fulcrum_rs *rs)
{
	struct fulcrum_rs_stored *copy = model_rs_stored_new(rs);
	int rc;

	if (!copy)
		return -ENOMEM;
	assert(st->rs_by_id.n == st->rs_by_vs.n);
	rc = ptrvec_insert(&st->rs_by_id, copy, rs_id_cmp);
	if (rc == 0) {
		rc = ptrvec_insert(&st->rs_by_vs, copy, rs_vs_cmp);
		if (rc != 0)
			ptrvec_remove(&st->rs_by_id, copy, rs_id_cmp);
	}
	if (rc != 0)
		free(copy);
	return rc;
}

static void store_drop_rs(struct store *st, int64_t id)
{
	assert(st->rs_by_id.n == st->rs_by_vs.n); /* one real server, two indexes */
	struct fulcrum_rs_stored key = {.id = id};
	struct fulcrum_rs_stored *rs = ptrvec_find(&st->rs_by_id, &key, rs_id_cmp);

	if (!rs)
		return;
	ptrvec_remove(&st->rs_by_vs, rs, rs_vs_cmp);
	ptrvec_remove(&st->rs_by_id, rs, rs_id_cmp);
	free(rs);
}

/*
 * Puts rs in the mirror in place of the real server with its id, or adds it.
 * In place, no array moves: a change of one real server costs the same with
 * ten as with a hundred thousand stored. Moving to another service re-sorts.
 */
static int store_put_rs(struct store *st, const struct fulcrum_rs *rs)
{
	struct fulcrum_rs_stored key = {.id = rs->id};
	size_t i = ptrvec_lower(&st->rs_by_id, &key, rs_id_cmp), j;
	struct fulcrum_rs_stored *old, *copy;

	if (i == st->rs_by_id.n || ((struct fulcrum_rs_stored *)st->rs_by_id.v[i])->id != rs->id)
		return store_add_rs(st, rs);
	old = st->rs_by_id.v[i];
	if (old->vs_id != rs->vs_id) {
		store_drop_rs(st, rs->id);
		return store_add_rs(st, rs);
	}
	j = ptrvec_lower(&st->rs_by_vs, old, rs_vs_cmp);
	assert(j < st->rs_by_vs.n && st->rs_by_vs.v[j] == old); /* the two indexes agree */
	copy = model_rs_stored_new(rs);
	if (!copy)
		return -ENOMEM;
	st->rs_by_id.v[i] = copy;
	st->rs_by_vs.v[j] = copy; /* the same (vs_id, id): the same place */
	free(old);
	return 0;
}

static void store_drop_vs(struct store *st, int64_t id)
{
	struct fulcrum_vs key = {.id = id};
	struct fulcrum_vs *vs = ptrvec_find(&st->vs, &key, vs_cmp);
	size_t n;
	const struct fulcrum_rs_stored *const *rs = store_rs_all(st, id, &n);

	/* Dropping shifts the array: take the ids from the front each time. */
	while (n > 0) {
		store_drop_rs(st, rs[0]->id);
		rs = store_rs_all(st, id, &n);
	}
	if (vs) {
		ptrvec_remove(&st->vs, vs, vs_cmp);
		free(vs);
	}
}

/*
 * Reads what the store keeps beside the objects: the next ids and the
 * notification switches. The data version is read first, so a commit by
 * another process in between is seen again at the next reload, not missed.
 */
static int store_load_side(struct store *st)
{
	int rc = db_data_version(st->db, &st->data_version);

	if (rc == 0)
		rc = db_vs_next_id(st->db, &st->vs_next);
	if (rc == 0)
		rc = db_rs_next_id(st->db, &st->rs_next);
	if (rc == 0)
		rc = db_vip_next_id(st->db, &st->vip_next);
	if (rc == 0)
		rc = db_notify_get(st->db, st->notify);
	return rc;
}

static int store_load_vs(const struct fulcrum_vs *vs, void *arg)
{
	return store_add_vs(arg, vs);
}

static int store_load_rs(const struct fulcrum_rs *rs, void *arg)
{
	return store_add_rs(arg, rs);
}

/* Reads who made revision rev, from its first change-log row; none: time 0, actor "". */
static int store_load_last(struct store *st, int64_t rev)
{
	struct fulcrum_change *c = NULL;
	size_t n = 0;
	int rc = rev > 0 ? db_change_list(st->db, rev - 1, 1, &c, &n) : 0;

	memset(&st->last, 0, sizeof(st->last));
	st->last.revision = rev;
	if (rc == 0 && n > 0 && c[0].revision == rev) {
		st->last.time = c[0].time;
		snprintf(st->last.actor, sizeof(st->last.actor), "%s", c[0].actor);
		st->last.origin = c[0].origin;
	}
	fulcrum_change_list_free(c, n);
	return rc;
}

/*
 * Loads everything from the database into st, which must be empty; row by
 * row, so that loading never holds a second copy of the whole table.
 */
static int store_load(struct store *st)
{
	int rc = store_load_side(st);
	int64_t rev = rc ? rc : db_revision(st->db);

	if (rev < 0)
		return (int)rev;
	rc = db_vs_each(st->db, store_load_vs, st);
	if (rc == 0)
		rc = db_rs_each(st->db, 0, store_load_rs, st);
	if (rc == 0)
		rc = store_vip_load(st);
	if (rc == 0)
		rc = store_load_last(st, rev);
	if (rc == 0)
		st->revision = rev;
	st->loads++;
	return rc;
}

static void store_empty(struct store *st)
{
	ptrvec_clear(&st->rs_by_vs, false);
	ptrvec_clear(&st->rs_by_id, true);
	ptrvec_clear(&st->vs, true);
	ptrvec_clear(&st->vips, true);
}

int store_open(struct db *db, struct store **out)
{
	struct store *st = calloc(1, sizeof(*st));
	int rc;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	st->db = db;
	rc = store_load(st);
	if (rc != 0) {
		store_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	store_empty(st);
	hook_clear(&st->commit_hook);
	free(st);
}

struct db *store_db(struct store *st)
{
	return st->db;
}

int64_t store_revision(const struct store *st)
{
	return st->revision;
}

uint64_t store_loads(const struct store *st)
{
	return st->loads;
}

int store_subscribe(struct store *st, store_commit_hook_fn fn, void *arg)
{
	return store_commit_hook_add(&st->commit_hook, fn, arg);
}

void store_unsubscribe(struct store *st, store_commit_hook_fn fn, void *arg)
{
	store_commit_hook_remove(&st->commit_hook, fn, arg);
}

const struct store_last *store_last_change(const struct store *st)
{
	return &st->last;
}

int store_changes(struct store *st, int64_t since, size_t limit, struct fulcrum_change **out,
		  size_t *n)
{
	return db_change_list(st->db, since, limit, out, n);
}

const char *store_errmsg(struct store *st)
{
	return db_errmsg(st->db);
}

unsigned store_busy_timeout(struct store *st, unsigned ms)
{
	return db_busy_timeout(st->db, ms);
}

/* Publishes ev: the last change follows it, then every subscriber hears it. */
static void store_publish(struct store *st, const struct store_commit *ev)
{
	if (ev->reload) {
		if (store_load_last(st, ev->revision) != 0)
			st->last.revision = ev->revision;
	} else {
		st->last.revision = ev->revision;
		st->last.time = ev->time;
		snprintf(st->last.actor, sizeof(st->last.actor), "%s", ev->actor);
		st->last.origin = ev->origin;
	}
	store_commit_hook_run(&st->commit_hook, ev);
}

/* The mirror was loaded whole: subscribers hear that anything may have changed. */
static void store_publish_reload(struct store *st)
{
	struct store_commit ev = {.revision = st->revision, .actor = "", .reload = true};

	store_publish(st, &ev);
}

const struct fulcrum_vs *store_vs_get(const struct store *st, int64_t id)
{
	struct fulcrum_vs key = {.id = id};

	return ptrvec_find(&st->vs, &key, vs_cmp);
}

const struct fulcrum_vs *store_vs_find_by_name(const struct store *st, const char *name)
{
	for (size_t i = 0; i < st->vs.n; i++) {
		const struct fulcrum_vs *vs = st->vs.v[i];

		if (strcmp(vs->name, name) == 0)
			return vs;
	}
	return NULL;
}

const struct fulcrum_rs_stored *store_rs_get(const struct store *st, int64_t id)
{
	struct fulcrum_rs_stored key = {.id = id};

	return ptrvec_find(&st->rs_by_id, &key, rs_id_cmp);
}

int store_copy(const struct store *st, enum fulcrum_kind kind, int64_t id, void *out)
{
	const struct fulcrum_vs *vs = kind == FULCRUM_KIND_VS ? store_vs_get(st, id) : NULL;
	const struct fulcrum_rs_stored *rs = kind == FULCRUM_KIND_RS ? store_rs_get(st, id) : NULL;
	const struct fulcrum_vip *vip = kind == FULCRUM_KIND_VIP ? store_vip_get(st, id) : NULL;

	if (vs)
		*(struct fulcrum_vs *)out = *vs;
	else if (rs)
		model_rs_copy(out, rs);
	else if (vip)
		*(struct fulcrum_vip *)out = *vip;
	else
		return -ENOENT;
	return 0;
}

const struct fulcrum_vs *const *store_vs_all(const struct store *st, size_t *n)
{
	*n = st->vs.n;
	return (const struct fulcrum_vs *const *)st->vs.v;
}

const struct fulcrum_rs_stored *const *store_rs_all(const struct store *st, int64_t vs_id,
						    size_t *n)
{
	struct fulcrum_rs_stored lo = {.vs_id = vs_id, .id = INT64_MIN};
	struct fulcrum_rs_stored hi = {.vs_id = vs_id, .id = INT64_MAX};
	size_t a, b;

	if (vs_id == 0) {
		*n = st->rs_by_vs.n;
		return (const struct fulcrum_rs_stored *const *)st->rs_by_vs.v;
	}
	a = ptrvec_lower(&st->rs_by_vs, &lo, rs_vs_cmp);
	b = ptrvec_lower(&st->rs_by_vs, &hi, rs_vs_cmp);
	if (b < st->rs_by_vs.n && rs_vs_cmp(&hi, st->rs_by_vs.v[b]) == 0)
		b++;
	*n = b - a;
	return (const struct fulcrum_rs_stored *const *)(st->rs_by_vs.v ? st->rs_by_vs.v + a
									: NULL);
}

int64_t store_vs_next_id(const struct store *st)
{
	return st->vs_next;
}

int64_t store_rs_next_id(const struct store *st)
{
	return st->rs_next;
}

bool store_notify_enabled(const struct store *st, enum command_notify which)
{
	return (unsigned)which < COMMAND_NOTIFY_COUNT && st->notify[which];
}

/* A create stored id: the database's sequence is past it now (ids are never reused). */
static void store_note_vs_id(struct store *st, int64_t id)
{
	if (id >= st->vs_next)
		st->vs_next = id + 1;
}

static void store_note_rs_id(struct store *st, int64_t id)
{
	if (id >= st->rs_next)
		st->rs_next = id + 1;
}

/*
 * After a commit: the mirror followed by rereading what changed (writes may
 * touch the disk; reads never do); rc says whether that worked. If it did
 * not (out of memory), or another process committed since the mirror last
 * looked (its data version moved: this connection's commits do not move
 * it), the whole mirror is reloaded so it cannot drift from the database.
 * The commit event, or a reload event, is published when the revision moved.
 */
static void store_committed(struct store *st, int rc, const struct command_result *res)
{
	/*
	 * A write of a group whose mirror was reloaded whole after an earlier
	 * write of the same group (another connection had committed between: a
	 * fulcrumctl --db, replication's tokens): the reload read the group's
	 * every write and its event told the subscribers. Nothing more here.
	 */
	if (rc == 0 && res->n > 0 && res->revision <= st->revision && st->revision > 0)
		return;
	/* a command never moves the revision back, and names what it wrote only when it moved it */
	assert(res->revision >= st->revision || rc != 0);
	assert(res->n == 0 || res->revision > st->revision || rc != 0);
	int64_t was = st->revision, dv = 0;
	struct store_commit ev = {
	    .revision = res->revision,
	    .time = res->time,
	    .actor = res->actor,
	    .origin = res->origin,
	    .changes = res->changes,
	    .n = res->n,
	};

	if (rc == 0 && (rc = db_data_version(st->db, &dv)) == 0 && dv != st->data_version)
		rc = -ESTALE;
	if (rc != 0) {
		store_empty(st);
		if (store_load(st) != 0)
			st->revision = -1;
	}
	if (res->revision > st->revision)
		st->revision = res->revision;
	if (st->revision == was)
		return;
	if (rc != 0)
		store_publish_reload(st);
	else
		store_publish(st, &ev);
}

/* Rereads service id into the mirror; one the database no longer has leaves it too. */
static int store_refresh_vs(struct store *st, int64_t id)
{
	struct fulcrum_vs vs;
	struct fulcrum_vs *cur = (struct fulcrum_vs *)store_vs_get(st, id);
	int rc = db_vs_get(st->db, id, &vs);

	if (rc == -ENOENT) { /* a batch deleted it after writing it */
		store_drop_vs(st, id);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (cur) {
		*cur = vs;
		return 0;
	}
	return store_add_vs(st, &vs);
}

/* Rereads real server id into the mirror; one the database no longer has leaves it too. */
static int store_refresh_rs(struct store *st, int64_t id)
{
	struct fulcrum_rs rs;
	int rc = db_rs_get(st->db, id, &rs);

	if (rc != 0 && rc != -ENOENT)
		return rc;
	if (rc != 0) {
		store_drop_rs(st, id);
		return 0;
	}
	return store_put_rs(st, &rs);
}

/*
 * The mirror follows what res says a committed command wrote, in order: each
 * service, real server or VIP created or changed is read from the database,
 * each one deleted dropped (a service with its real servers). 0 or a negative
 * errno (then store_committed() reloads the mirror).
 */
static int store_follow(struct store *st, const struct command_result *res)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < res->n; i++) {
		const struct command_change *c = &res->changes[i];
		bool gone = c->op == COMMAND_CHANGE_DELETE;

		if (c->kind == FULCRUM_KIND_VIP && gone) {
			store_mirror_drop_vip(st, c->id);
		} else if (c->kind == FULCRUM_KIND_VIP) {
			rc = store_vip_refresh(st, c->id);
		} else if (c->kind == FULCRUM_KIND_VS && gone) {
			store_drop_vs(st, c->id); /* and its real servers, as the database did */
		} else if (c->kind == FULCRUM_KIND_VS) {
			store_note_vs_id(st, c->id);
			rc = store_refresh_vs(st, c->id);
		} else if (gone) {
			store_drop_rs(st, c->id);
		} else {
			store_note_rs_id(st, c->id);
			rc = store_refresh_rs(st, c->id);
		}
	}
	return rc;
}

void store_writes_refuse(struct store *st, bool refuse, const char *why, const char *active)
{
	st->gate.refuse = refuse;
	snprintf(st->gate.why, sizeof(st->gate.why), "%s", refuse && why ? why : "");
	snprintf(st->gate.active, sizeof(st->gate.active), "%s", refuse && active ? active : "");
}

bool store_writes_refused(const struct store *st, const char **why, const char **active)
{
	if (why)
		*why = st->gate.why;
	if (active)
		*active = st->gate.active;
	return st->gate.refuse;
}

int store_writes_check(const struct store *st, const struct command_actor *actor,
		       struct fulcrum_err *err)
{
	if (!st->gate.refuse || (actor && actor->origin == FULCRUM_ORIGIN_SYNC))
		return 0;
	if (st->gate.active[0])
		return model_err_set(err, FULCRUM_ERR_UNAVAILABLE, NULL,
				     "%s: writes go to the active, %s", st->gate.why,
				     st->gate.active);
	return model_err_set(err, FULCRUM_ERR_UNAVAILABLE, NULL,
			     "%s: writes go to the active director", st->gate.why);
}

int store_batch(struct store *st, const struct command_actor *actor, struct command_op *ops,
		size_t n, int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err,
		size_t *failed)
{
	struct command_result res = {0};
	int rc = store_writes_check(st, actor, err);

	if (rc != 0) {
		if (failed)
			*failed = n; /* no one op is at fault */
		return rc;
	}
	rc = command_batch(st->db, actor, ops, n, if_revision, &res, err, failed);
	if (rc != 0)
		return rc;
	rc = store_follow(st, &res);
	for (size_t i = 0; i < n; i++)
		if (ops[i].kind == COMMAND_NOTIFY_SET)
			st->notify[ops[i].notify] = ops[i].enabled; /* the batch checked notify */
	store_committed(st, rc, &res);
	if (revision_out)
		*revision_out = res.revision;
	command_result_clear(&res);
	return 0;
}

/* A single write: a batch of one op (command.h's single commands' contract). */
static int store_one(struct store *st, const struct command_actor *actor, struct command_op *op,
		     int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	return store_batch(st, actor, op, 1, if_revision, revision_out, err, NULL);
}

int store_vs_create(struct store *st, const struct command_actor *actor, struct fulcrum_vs *vs,
		    struct fulcrum_rs *reals, size_t nreals, int64_t if_revision,
		    int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {
	    .kind = COMMAND_VS_CREATE, .vs = *vs, .reals = reals, .nreals = nreals};
	int rc;

	op.vs.id = 0; /* only a batch may name the id */
	if ((rc = store_one(st, actor, &op, if_revision, revision_out, err)) == 0)
		vs->id = op.vs.id;
	return rc;
}

int store_vs_update(struct store *st, const struct command_actor *actor,
		    const struct fulcrum_vs *vs, int64_t if_revision, int64_t *revision_out,
		    struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_VS_UPDATE, .vs = *vs};

	return store_one(st, actor, &op, if_revision, revision_out, err);
}

int store_vs_delete(struct store *st, const struct command_actor *actor, int64_t id,
		    int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_VS_DELETE, .vs.id = id};

	return store_one(st, actor, &op, if_revision, revision_out, err);
}

int store_rs_create(struct store *st, const struct command_actor *actor, struct fulcrum_rs *rs,
		    int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_RS_CREATE};
	int rc;

	op.rs = *rs;
	op.rs.id = 0; /* only a batch may name the id */
	if ((rc = store_one(st, actor, &op, if_revision, revision_out, err)) == 0)
		rs->id = op.rs.id;
	return rc;
}

int store_rs_update(struct store *st, const struct command_actor *actor,
		    const struct fulcrum_rs *rs, int64_t if_revision, int64_t *revision_out,
		    struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_RS_UPDATE};

	op.rs = *rs;
	return store_one(st, actor, &op, if_revision, revision_out, err);
}

int store_rs_delete(struct store *st, const struct command_actor *actor, int64_t id,
		    int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct command_op op = {.kind = COMMAND_RS_DELETE, .rs.id = id};

	return store_one(st, actor, &op, if_revision, revision_out, err);
}

int store_batch_rehearse(struct store *st, const struct command_actor *actor,
			 const struct command_op *ops, size_t n, struct fulcrum_err *err,
			 size_t *failed)
{
	int rc = store_writes_check(st, actor, err);

	if (rc != 0) {
		if (failed)
			*failed = n; /* no one op is at fault */
		return rc;
	}
	return command_batch_rehearse(st->db, actor, ops, n, err, failed);
}

/* Takes what store_load_side() read into fresh. */
static void store_take_side(struct store *st, const struct store *fresh)
{
	st->data_version = fresh->data_version;
	st->vs_next = fresh->vs_next;
	st->rs_next = fresh->rs_next;
	st->vip_next = fresh->vip_next;
	memcpy(st->notify, fresh->notify, sizeof(st->notify));
}

/* Takes fresh's contents (a complete load) in place of st's; subscribers stay. */
static void store_take(struct store *st, struct store *fresh)
{
	store_empty(st);
	st->vs = fresh->vs;
	st->rs_by_id = fresh->rs_by_id;
	st->rs_by_vs = fresh->rs_by_vs;
	st->vips = fresh->vips;
	st->revision = fresh->revision;
	st->loads++;
	store_take_side(st, fresh);
}

/* store_reload(); whole: the mirror is read again even when the revision did not move. */
static int store_reload_as(struct store *st, bool whole)
{
	struct store fresh = {.db = st->db};
	int64_t rev = db_revision(st->db), dv = 0;
	int rc;

	if (rev < 0)
		return (int)rev;
	if (rev == st->revision && !whole) {
		/* no new configuration; another process may still have set a switch */
		if ((rc = db_data_version(st->db, &dv)) != 0 || dv == st->data_version)
			return rc;
		rc = store_load_side(&fresh);
		if (rc == 0)
			store_take_side(st, &fresh);
		return rc;
	}
	rc = store_load(&fresh);
	if (rc != 0) {
		store_empty(&fresh);
		return rc;
	}
	store_take(st, &fresh);
	store_publish_reload(st);
	return 0;
}

int store_reload(struct store *st)
{
	return store_reload_as(st, false);
}

int store_reload_whole(struct store *st)
{
	return store_reload_as(st, true);
}

/* ---- for the group commit (store_group.c, store-int.h) ---------------------- */

int store_mirror_put_vs(struct store *st, const struct fulcrum_vs *vs)
{
	struct fulcrum_vs *cur = (struct fulcrum_vs *)store_vs_get(st, vs->id);

	store_note_vs_id(st, vs->id);
	if (cur) {
		*cur = *vs;
		return 0;
	}
	return store_add_vs(st, vs);
}

int store_mirror_put_rs(struct store *st, const struct fulcrum_rs *rs)
{
	store_note_rs_id(st, rs->id);
	return store_put_rs(st, rs);
}

void store_mirror_drop_vs(struct store *st, int64_t id)
{
	store_drop_vs(st, id);
}

void store_mirror_drop_rs(struct store *st, int64_t id)
{
	store_drop_rs(st, id);
}

void store_mirror_committed(struct store *st, int rc, const struct command_result *res)
{
	store_committed(st, rc, res);
}
