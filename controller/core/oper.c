/* Operational state of real servers and services, and the tracker that notices its changes. */
#include "controller/core/oper.h"
#include "controller/lib/idmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *oper_state_name(enum oper_state state)
{
	switch (state) {
	case OPER_UP:
		return "up";
	case OPER_DEGRADED:
		return "degraded";
	case OPER_DOWN:
		return "down";
	case OPER_UNKNOWN:
		break;
	}
	return "unknown";
}

void oper_kernel_read(const struct oper_kernel *k, bool real, int64_t id, struct status_kernel *out)
{
	memset(out, 0, sizeof(*out));
	out->reason = "";
	if (k && k->fn)
		k->fn(k->arg, real, id, out);
	else
		out->state = STATUS_KERNEL_UNAVAILABLE;
}

/* Fills view from a kernel state that is not IN_SYNC; returns true when it did. */
static bool kernel_not_ready(const struct status_kernel *kern, struct oper_view *view)
{
	switch (kern->state) {
	case STATUS_KERNEL_ERROR:
		view->state = OPER_DOWN;
		snprintf(view->reason, sizeof(view->reason), "kernel: %s", kern->reason);
		return true;
	case STATUS_KERNEL_PENDING:
		view->state = OPER_UNKNOWN;
		snprintf(view->reason, sizeof(view->reason), "not reconciled into IPVS yet");
		return true;
	case STATUS_KERNEL_UNAVAILABLE:
		view->state = OPER_UNKNOWN;
		snprintf(view->reason, sizeof(view->reason), "this kernel has no IPVS");
		return true;
	case STATUS_KERNEL_IN_SYNC:
		break;
	}
	return false;
}

void oper_rs_eval(const struct oper_kernel *k, const struct fulcrum_rs_stored *rs,
		  struct oper_view *out)
{
	struct status_kernel kern;

	memset(out, 0, sizeof(*out));
	if (rs->admin_state == FULCRUM_RS_DISABLED) {
		out->state = OPER_DOWN;
		snprintf(out->reason, sizeof(out->reason), "disabled by an admin");
		return;
	}
	if (k && k->health) {
		struct oper_health h = {.state = OPER_UNKNOWN};

		k->health(k->harg, rs->id, &h);
		if (h.state != OPER_UP) {
			out->state = h.state;
			snprintf(out->reason, sizeof(out->reason), "%s", h.reason);
			return;
		}
	}
	oper_kernel_read(k, true, rs->id, &kern);
	if (kernel_not_ready(&kern, out))
		return;
	out->state = OPER_UP;
	if (rs->admin_state == FULCRUM_RS_DRAINED)
		snprintf(out->reason, sizeof(out->reason),
			 "drained by an admin: no new connections");
}

void oper_vs_eval(const struct oper_kernel *k, const struct store *st, const struct fulcrum_vs *vs,
		  struct oper_view *out)
{
	const struct fulcrum_rs_stored *const *rs;
	struct status_kernel kern;
	unsigned enabled = 0, unknown = 0;
	size_t n;

	memset(out, 0, sizeof(*out));
	rs = store_rs_all(st, vs->id, &n);
	out->total = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		struct oper_view v;

		oper_rs_eval(k, rs[i], &v);
		if (rs[i]->admin_state != FULCRUM_RS_DISABLED)
			enabled++;
		if (v.state == OPER_UP)
			out->up++;
		else if (v.state == OPER_UNKNOWN)
			unknown++;
	}
	if (vs->admin_state == FULCRUM_VS_DISABLED) {
		out->state = OPER_DOWN;
		snprintf(out->reason, sizeof(out->reason), "disabled by an admin");
		return;
	}
	oper_kernel_read(k, false, vs->id, &kern);
	if (kernel_not_ready(&kern, out))
		return;
	if (n == 0) {
		out->state = OPER_DOWN;
		snprintf(out->reason, sizeof(out->reason), "no real servers");
	} else if (out->up == 0 && unknown > 0) {
		out->state = OPER_UNKNOWN;
		snprintf(out->reason, sizeof(out->reason), "real servers not reconciled yet");
	} else if (out->up == 0) {
		out->state = OPER_DOWN;
		snprintf(out->reason, sizeof(out->reason), "no real server is up (%zu configured)",
			 n);
	} else if (out->up < (vs->min_up ? vs->min_up : enabled)) {
		out->state = OPER_DEGRADED;
		snprintf(out->reason, sizeof(out->reason), "%u of %u enabled real servers up%s",
			 out->up, enabled, vs->min_up ? " (below min_up)" : "");
	} else {
		out->state = OPER_UP;
	}
}

/* What the tracker remembers of one object. */
struct seen {
	enum oper_state state;
	time_t since;
	uint64_t mark; /* the full refresh that last saw the object */
	int64_t vs_id; /* real servers: their service, to redo it when they are gone */
	bool fresh;    /* created by a commit, not evaluated yet: since is the commit's time */
};

/* Ids to evaluate again at the next refresh; repeats are dropped then. */
struct idlist {
	int64_t *v;
	size_t n, cap;
};

struct oper {
	struct store *st;
	struct oper_kernel k;
	struct idmap vs, rs;
	struct hook change_hook;
	uint64_t mark;
	int64_t revision; /* the store's revision the tracker was told of, or saw */
	uint64_t generation;
	bool started;
	bool all;               /* the next refresh evaluates everything */
	struct idlist vs_dirty; /* services to evaluate, with all their real servers */
	struct idlist rs_dirty; /* real servers to evaluate, with their service */
};

/*
 * An object a commit created: its last change is that commit's time from now
 * on, not 0 until the next refresh evaluates it (which keeps that time). Out
 * of memory, it is tracked from the refresh, as before.
 */
static void oper_born(struct oper *o, bool real, int64_t id, time_t when)
{
	struct idmap *m = real ? &o->rs : &o->vs;
	struct seen *s;

	if (id <= 0 || idmap_get(m, id))
		return;
	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->state = OPER_UNKNOWN;
	s->since = when;
	s->mark = o->mark;
	s->fresh = true;
	if (idmap_put(m, id, s) != 0)
		free(s);
}

/* The commit event: what the revision changed is evaluated at the next refresh. */
static void oper_on_commit(void *arg, const struct store_commit *ev)
{
	struct oper *o = arg;

	if (ev->reload)
		o->all = true;
	for (size_t i = 0; !o->all && i < ev->n; i++) {
		enum fulcrum_kind kind = ev->changes[i].kind;

		/* a VIP has no operational state of its own (failover reports whether it is held) */
		if (kind == FULCRUM_KIND_VS || kind == FULCRUM_KIND_RS) {
			oper_dirty(o, kind == FULCRUM_KIND_RS, ev->changes[i].id);
			if (ev->changes[i].op == COMMAND_CHANGE_CREATE)
				oper_born(o, kind == FULCRUM_KIND_RS, ev->changes[i].id,
					  ev->time > 0 ? (time_t)ev->time : time(NULL));
		}
	}
	o->revision = ev->revision;
}

int oper_new(struct store *st, const struct oper_kernel *k, struct oper **out)
{
	struct oper *o = calloc(1, sizeof(*o));

	*out = NULL;
	if (!o)
		return -ENOMEM;
	o->st = st;
	if (k)
		o->k = *k;
	if (store_subscribe(st, oper_on_commit, o) != 0) {
		free(o);
		return -ENOMEM;
	}
	*out = o;
	return 0;
}

static void seen_clear(struct idmap *m)
{
	size_t pos = 0;
	int64_t id;
	void *v;

	while ((v = idmap_next(m, &pos, &id)) != NULL)
		free(idmap_del(m, id));
	idmap_clear(m);
}

static int idlist_add(struct idlist *l, int64_t id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		int64_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = id;
	return 0;
}

static int idlist_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts the list and keeps each id once. */
static void idlist_unique(struct idlist *l)
{
	size_t k = 0;

	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(*l->v), idlist_cmp);
	for (size_t i = 1; i < l->n; i++)
		if (l->v[i] != l->v[k])
			l->v[++k] = l->v[i];
	l->n = k + 1;
}

static void idlist_free(struct idlist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void oper_free(struct oper *o)
{
	if (!o)
		return;
	store_unsubscribe(o->st, oper_on_commit, o);
	seen_clear(&o->vs);
	seen_clear(&o->rs);
	idlist_free(&o->vs_dirty);
	idlist_free(&o->rs_dirty);
	hook_clear(&o->change_hook);
	free(o);
}

int oper_subscribe(struct oper *o, oper_change_hook_fn fn, void *arg)
{
	return oper_change_hook_add(&o->change_hook, fn, arg);
}

void oper_unsubscribe(struct oper *o, oper_change_hook_fn fn, void *arg)
{
	oper_change_hook_remove(&o->change_hook, fn, arg);
}

/* Records view for id (of service vs_id, for a real server); true when that is a change to tell. */
static bool oper_note(struct oper *o, bool real, int64_t id, int64_t vs_id, struct oper_view *view,
		      time_t now, enum oper_state *old)
{
	struct idmap *m = real ? &o->rs : &o->vs;
	struct seen *s = idmap_get(m, id);

	if (s)
		s->vs_id = vs_id;
	if (!s || s->fresh) {
		if (!s) {
			s = calloc(1, sizeof(*s));
			if (!s || idmap_put(m, id, s) != 0) {
				free(s);
				return false; /* out of memory: tracked next time */
			}
			s->since = now;
		}
		s->fresh = false; /* one its commit created keeps the commit's time */
		s->state = view->state;
		s->mark = o->mark;
		s->vs_id = vs_id;
		view->since = s->since;
		/* a new object is news only once the tracker has started */
		*old = OPER_UNKNOWN;
		return o->started && view->state != OPER_UNKNOWN;
	}
	s->mark = o->mark;
	*old = s->state;
	if (s->state == view->state) {
		view->since = s->since;
		return false;
	}
	s->state = view->state;
	s->since = now;
	view->since = now;
	return o->started;
}

static void oper_tell(struct oper *o, bool real, int64_t id, enum oper_state old,
		      const struct oper_view *view)
{
	struct oper_change ch = {.real = real, .id = id, .old = old, .view = view};

	oper_change_hook_run(&o->change_hook, &ch);
}

/* Forgets the objects the last refresh did not see. */
static void oper_sweep(struct oper *o, struct idmap *m)
{
	size_t pos = 0;
	int64_t id;
	struct seen *s;

	while ((s = idmap_next(m, &pos, &id)) != NULL)
		if (s->mark != o->mark)
			free(idmap_del(m, id));
}

/* Evaluates rs, or forgets it when the store no longer holds it; its service is to redo. */
static size_t oper_refresh_rs(struct oper *o, int64_t id, time_t now, int *rc)
{
	const struct fulcrum_rs_stored *rs = store_rs_get(o->st, id);
	struct seen *s;
	struct oper_view v;
	enum oper_state old;

	if (!rs) {
		s = idmap_del(&o->rs, id);
		if (s && *rc == 0)
			*rc = idlist_add(&o->vs_dirty, s->vs_id);
		free(s);
		return 0;
	}
	if (*rc == 0)
		*rc = idlist_add(&o->vs_dirty, rs->vs_id);
	oper_rs_eval(&o->k, rs, &v);
	if (!oper_note(o, true, id, rs->vs_id, &v, now, &old))
		return 0;
	oper_tell(o, true, id, old, &v);
	return 1;
}

static size_t oper_refresh_vs(struct oper *o, int64_t id, time_t now)
{
	const struct fulcrum_vs *vs = store_vs_get(o->st, id);
	struct oper_view v;
	enum oper_state old;

	if (!vs) {
		free(idmap_del(&o->vs, id));
		return 0;
	}
	oper_vs_eval(&o->k, o->st, vs, &v);
	if (!oper_note(o, false, id, 0, &v, now, &old))
		return 0;
	oper_tell(o, false, id, old, &v);
	return 1;
}

/*
 * Evaluates only what is dirty: the services marked with all their real
 * servers, the real servers marked, and the services of those. Real servers
 * first, then services, each in id order. -ENOMEM (o->all is then set) when
 * the lists could not grow: the caller evaluates everything.
 */
static int oper_refresh_dirty(struct oper *o, time_t now, size_t *changes)
{
	int rc = 0;

	idlist_unique(&o->vs_dirty);
	for (size_t i = 0, nvs = o->vs_dirty.n; rc == 0 && i < nvs; i++) {
		size_t n;
		const struct fulcrum_rs_stored *const *rs =
		    store_rs_all(o->st, o->vs_dirty.v[i], &n);

		for (size_t k = 0; rc == 0 && k < n; k++)
			rc = idlist_add(&o->rs_dirty, rs[k]->id);
	}
	idlist_unique(&o->rs_dirty);
	for (size_t i = 0; i < o->rs_dirty.n; i++)
		*changes += oper_refresh_rs(o, o->rs_dirty.v[i], now, &rc);
	idlist_unique(&o->vs_dirty);
	for (size_t i = 0; i < o->vs_dirty.n; i++)
		*changes += oper_refresh_vs(o, o->vs_dirty.v[i], now);
	o->vs_dirty.n = o->rs_dirty.n = 0;
	if (rc != 0)
		o->all = true;
	return rc;
}

/* Evaluates every object, and forgets those the store no longer holds. */
static size_t oper_refresh_all(struct oper *o, time_t now)
{
	const struct fulcrum_rs_stored *const *rs;
	const struct fulcrum_vs *const *vs;
	size_t nvs, nrs, changes = 0;
	enum oper_state old;

	o->mark++;
	rs = store_rs_all(o->st, 0, &nrs);
	for (size_t i = 0; i < nrs; i++) {
		struct oper_view v;

		oper_rs_eval(&o->k, rs[i], &v);
		if (oper_note(o, true, rs[i]->id, rs[i]->vs_id, &v, now, &old)) {
			oper_tell(o, true, rs[i]->id, old, &v);
			changes++;
		}
	}
	vs = store_vs_all(o->st, &nvs);
	for (size_t i = 0; i < nvs; i++) {
		struct oper_view v;

		oper_vs_eval(&o->k, o->st, vs[i], &v);
		if (oper_note(o, false, vs[i]->id, 0, &v, now, &old)) {
			oper_tell(o, false, vs[i]->id, old, &v);
			changes++;
		}
	}
	oper_sweep(o, &o->rs);
	oper_sweep(o, &o->vs);
	o->vs_dirty.n = o->rs_dirty.n = 0;
	o->all = false;
	return changes;
}

size_t oper_refresh(struct oper *o, uint64_t generation)
{
	time_t now = time(NULL);
	size_t changes = 0;

	if (o->started && !o->all && o->revision == store_revision(o->st) &&
	    o->generation == generation) {
		if (oper_refresh_dirty(o, now, &changes) == 0)
			return changes;
	}
	changes += oper_refresh_all(o, now);
	o->revision = store_revision(o->st);
	o->generation = generation;
	o->started = true;
	return changes;
}

void oper_dirty(struct oper *o, bool real, int64_t id)
{
	if (id > 0 && idlist_add(real ? &o->rs_dirty : &o->vs_dirty, id) != 0)
		o->all = true;
}

time_t oper_since(const struct oper *o, bool real, int64_t id)
{
	const struct seen *s = idmap_get(real ? &o->rs : &o->vs, id);

	return s ? s->since : 0;
}
