/* The in-memory model: the configuration mirrored from SQLite, and the write path around it. */
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A growable array of pointers kept sorted by a comparison. */
struct ptrvec {
	void **v;
	size_t n, cap;
};

typedef int (*ptrvec_cmp_fn)(const void *key, const void *elem);

struct listener {
	store_listener_fn fn;
	void *arg;
};

struct store {
	struct db *db;
	int64_t revision;
	struct ptrvec vs;       /* struct fulcrum_vs *, by id */
	struct ptrvec rs_by_id; /* struct fulcrum_rs *, by id */
	struct ptrvec rs_by_vs; /* the same objects, by (vs_id, id) */
	struct listener *listeners;
	size_t nlisteners;
};

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int vs_cmp(const void *key, const void *elem)
{
	return cmp_i64(((const struct fulcrum_vs *)key)->id, ((const struct fulcrum_vs *)elem)->id);
}

static int rs_id_cmp(const void *key, const void *elem)
{
	return cmp_i64(((const struct fulcrum_rs *)key)->id, ((const struct fulcrum_rs *)elem)->id);
}

static int rs_vs_cmp(const void *key, const void *elem)
{
	const struct fulcrum_rs *a = key, *b = elem;
	int c = cmp_i64(a->vs_id, b->vs_id);

	return c ? c : cmp_i64(a->id, b->id);
}

/* Index of the first element not less than key. */
static size_t ptrvec_lower(const struct ptrvec *pv, const void *key, ptrvec_cmp_fn cmp)
{
	size_t lo = 0, hi = pv->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, pv->v[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void *ptrvec_find(const struct ptrvec *pv, const void *key, ptrvec_cmp_fn cmp)
{
	size_t i = ptrvec_lower(pv, key, cmp);

	return i < pv->n && cmp(key, pv->v[i]) == 0 ? pv->v[i] : NULL;
}

static int ptrvec_insert(struct ptrvec *pv, void *elem, ptrvec_cmp_fn cmp)
{
	size_t i;

	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 64;
		void **v = realloc(pv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		pv->v = v;
		pv->cap = cap;
	}
	i = ptrvec_lower(pv, elem, cmp);
	memmove(&pv->v[i + 1], &pv->v[i], (pv->n - i) * sizeof(*pv->v));
	pv->v[i] = elem;
	pv->n++;
	return 0;
}

static void ptrvec_remove(struct ptrvec *pv, const void *key, ptrvec_cmp_fn cmp)
{
	size_t i = ptrvec_lower(pv, key, cmp);

	if (i < pv->n && cmp(key, pv->v[i]) == 0) {
		memmove(&pv->v[i], &pv->v[i + 1], (pv->n - i - 1) * sizeof(*pv->v));
		pv->n--;
	}
}

static void ptrvec_clear(struct ptrvec *pv, bool free_elems)
{
	if (free_elems)
		for (size_t i = 0; i < pv->n; i++)
			free(pv->v[i]);
	free(pv->v);
	memset(pv, 0, sizeof(*pv));
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

static int store_add_rs(struct store *st, const struct fulcrum_rs *rs)
{
	struct fulcrum_rs *copy = malloc(sizeof(*copy));
	int rc;

	if (!copy)
		return -ENOMEM;
	*copy = *rs;
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
	struct fulcrum_rs key = {.id = id};
	struct fulcrum_rs *rs = ptrvec_find(&st->rs_by_id, &key, rs_id_cmp);

	if (!rs)
		return;
	ptrvec_remove(&st->rs_by_vs, rs, rs_vs_cmp);
	ptrvec_remove(&st->rs_by_id, rs, rs_id_cmp);
	free(rs);
}

static void store_drop_vs(struct store *st, int64_t id)
{
	struct fulcrum_vs key = {.id = id};
	struct fulcrum_vs *vs = ptrvec_find(&st->vs, &key, vs_cmp);
	size_t n;
	const struct fulcrum_rs *const *rs = store_rs_all(st, id, &n);

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

/* Loads everything from the database into st, which must be empty. */
static int store_load(struct store *st)
{
	struct fulcrum_vs *vs = NULL;
	struct fulcrum_rs *rs = NULL;
	size_t nvs = 0, nrs = 0;
	int64_t rev = db_revision(st->db);
	int rc;

	if (rev < 0)
		return (int)rev;
	rc = db_vs_list(st->db, &vs, &nvs);
	if (rc == 0)
		rc = db_rs_list(st->db, 0, &rs, &nrs);
	for (size_t i = 0; rc == 0 && i < nvs; i++)
		rc = store_add_vs(st, &vs[i]);
	for (size_t i = 0; rc == 0 && i < nrs; i++)
		rc = store_add_rs(st, &rs[i]);
	free(vs);
	free(rs);
	if (rc == 0)
		st->revision = rev;
	return rc;
}

static void store_empty(struct store *st)
{
	ptrvec_clear(&st->rs_by_vs, false);
	ptrvec_clear(&st->rs_by_id, true);
	ptrvec_clear(&st->vs, true);
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
	free(st->listeners);
	st->listeners = NULL;
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

int store_listen(struct store *st, store_listener_fn fn, void *arg)
{
	struct listener *l = realloc(st->listeners, (st->nlisteners + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	st->listeners = l;
	l[st->nlisteners].fn = fn;
	l[st->nlisteners].arg = arg;
	st->nlisteners++;
	return 0;
}

static void store_notify(struct store *st)
{
	for (size_t i = 0; i < st->nlisteners; i++)
		st->listeners[i].fn(st->revision, st->listeners[i].arg);
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

const struct fulcrum_rs *store_rs_get(const struct store *st, int64_t id)
{
	struct fulcrum_rs key = {.id = id};

	return ptrvec_find(&st->rs_by_id, &key, rs_id_cmp);
}

const struct fulcrum_vs *const *store_vs_all(const struct store *st, size_t *n)
{
	*n = st->vs.n;
	return (const struct fulcrum_vs *const *)st->vs.v;
}

const struct fulcrum_rs *const *store_rs_all(const struct store *st, int64_t vs_id, size_t *n)
{
	struct fulcrum_rs lo = {.vs_id = vs_id, .id = INT64_MIN};
	struct fulcrum_rs hi = {.vs_id = vs_id, .id = INT64_MAX};
	size_t a, b;

	if (vs_id == 0) {
		*n = st->rs_by_vs.n;
		return (const struct fulcrum_rs *const *)st->rs_by_vs.v;
	}
	a = ptrvec_lower(&st->rs_by_vs, &lo, rs_vs_cmp);
	b = ptrvec_lower(&st->rs_by_vs, &hi, rs_vs_cmp);
	if (b < st->rs_by_vs.n && rs_vs_cmp(&hi, st->rs_by_vs.v[b]) == 0)
		b++;
	*n = b - a;
	return (const struct fulcrum_rs *const *)(st->rs_by_vs.v ? st->rs_by_vs.v + a : NULL);
}

/*
 * After a commit: the mirror follows by rereading what changed (writes may
 * touch the disk; reads never do). If memory runs out, the whole mirror is
 * reloaded so it cannot drift from the database.
 */
static void store_committed(struct store *st, int rc, int64_t rev)
{
	if (rc != 0) {
		store_empty(st);
		if (store_load(st) != 0)
			st->revision = -1;
	}
	if (rev > st->revision)
		st->revision = rev;
	store_notify(st);
}

static int store_refresh_vs(struct store *st, int64_t id)
{
	struct fulcrum_vs vs;
	struct fulcrum_vs *cur = (struct fulcrum_vs *)store_vs_get(st, id);
	int rc = db_vs_get(st->db, id, &vs);

	if (rc != 0)
		return rc;
	if (cur) {
		*cur = vs;
		return 0;
	}
	return store_add_vs(st, &vs);
}

static int store_refresh_rs(struct store *st, int64_t id)
{
	struct fulcrum_rs rs;
	int rc = db_rs_get(st->db, id, &rs);

	if (rc != 0)
		return rc;
	store_drop_rs(st, id);
	return store_add_rs(st, &rs);
}

int store_vs_create(struct store *st, const struct command_actor *actor, struct fulcrum_vs *vs,
		    struct fulcrum_rs *reals, size_t nreals, int64_t if_revision,
		    int64_t *revision_out, struct fulcrum_err *err)
{
	int64_t rev = 0;
	int rc = command_vs_create(st->db, actor, vs, reals, nreals, if_revision, &rev, err);

	if (rc != 0)
		return rc;
	rc = store_refresh_vs(st, vs->id);
	for (size_t i = 0; rc == 0 && i < nreals; i++)
		rc = store_refresh_rs(st, reals[i].id);
	store_committed(st, rc, rev);
	if (revision_out)
		*revision_out = rev;
	return 0;
}

int store_vs_update(struct store *st, const struct command_actor *actor,
		    const struct fulcrum_vs *vs, int64_t if_revision, int64_t *revision_out,
		    struct fulcrum_err *err)
{
	int64_t rev = 0;
	int rc = command_vs_update(st->db, actor, vs, if_revision, &rev, err);

	if (rc != 0)
		return rc;
	if (rev != st->revision)
		store_committed(st, store_refresh_vs(st, vs->id), rev);
	if (revision_out)
		*revision_out = rev;
	return 0;
}

int store_vs_delete(struct store *st, const struct command_actor *actor, int64_t id,
		    int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	int64_t rev = 0;
	int rc = command_vs_delete(st->db, actor, id, if_revision, &rev, err);

	if (rc != 0)
		return rc;
	store_drop_vs(st, id);
	store_committed(st, 0, rev);
	if (revision_out)
		*revision_out = rev;
	return 0;
}

int store_rs_create(struct store *st, const struct command_actor *actor, struct fulcrum_rs *rs,
		    int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	int64_t rev = 0;
	int rc = command_rs_create(st->db, actor, rs, if_revision, &rev, err);

	if (rc != 0)
		return rc;
	store_committed(st, store_refresh_rs(st, rs->id), rev);
	if (revision_out)
		*revision_out = rev;
	return 0;
}

int store_rs_update(struct store *st, const struct command_actor *actor,
		    const struct fulcrum_rs *rs, int64_t if_revision, int64_t *revision_out,
		    struct fulcrum_err *err)
{
	int64_t rev = 0;
	int rc = command_rs_update(st->db, actor, rs, if_revision, &rev, err);

	if (rc != 0)
		return rc;
	if (rev != st->revision)
		store_committed(st, store_refresh_rs(st, rs->id), rev);
	if (revision_out)
		*revision_out = rev;
	return 0;
}

int store_rs_delete(struct store *st, const struct command_actor *actor, int64_t id,
		    int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	int64_t rev = 0;
	int rc = command_rs_delete(st->db, actor, id, if_revision, &rev, err);

	if (rc != 0)
		return rc;
	store_drop_rs(st, id);
	store_committed(st, 0, rev);
	if (revision_out)
		*revision_out = rev;
	return 0;
}

int store_reload(struct store *st)
{
	struct store fresh = {.db = st->db};
	int64_t rev = db_revision(st->db);
	int rc;

	if (rev < 0)
		return (int)rev;
	if (rev == st->revision)
		return 0;
	rc = store_load(&fresh);
	if (rc != 0) {
		store_empty(&fresh);
		return rc;
	}
	store_empty(st);
	st->vs = fresh.vs;
	st->rs_by_id = fresh.rs_by_id;
	st->rs_by_vs = fresh.rs_by_vs;
	st->revision = fresh.revision;
	store_notify(st);
	return 0;
}
