/* Which real server is checked how: the health engine's targets, following the store. */
#include "controller/health/health_targets.h"

#include "controller/model/model.h"

#include <errno.h>
#include <stdlib.h>

bool health_targets_unchecked(const struct fulcrum_vs *vs, const struct fulcrum_rs_stored *rs)
{
	return vs->check.type == FULCRUM_CHECK_NONE &&
	       (!(rs->check.set & FULCRUM_CHECK_F_TYPE) || rs->check.type == FULCRUM_CHECK_NONE);
}

/*
 * Targets under construction. They point into the store, or into own[] for
 * the real servers that override something; health copies what it keeps.
 */
struct ht_build {
	struct health_target *t;
	size_t n;
	struct fulcrum_check *own;
	size_t nown;
	int64_t *gone;
	size_t ngone;
};

/* Room for max real servers, of which nown override something. 0 or -ENOMEM. */
static int ht_build_init(struct ht_build *b, size_t max, size_t nown)
{
	b->n = b->nown = b->ngone = 0;
	b->t = calloc(max ? max : 1, sizeof(*b->t));
	b->own = calloc(nown ? nown : 1, sizeof(*b->own));
	b->gone = calloc(max ? max : 1, sizeof(*b->gone));
	return b->t && b->own && b->gone ? 0 : -ENOMEM;
}

static void ht_build_fini(struct ht_build *b)
{
	free(b->t);
	free(b->own);
	free(b->gone);
	b->t = NULL;
	b->own = NULL;
	b->gone = NULL;
}

/* Adds rs (of service vs, NULL when none) as a target, or to gone when it is not one. */
static void ht_build_add(struct ht_build *b, const struct fulcrum_vs *vs,
			 const struct fulcrum_rs_stored *rs)
{
	struct health_target *t;

	if (!vs || vs->admin_state == FULCRUM_VS_DISABLED ||
	    rs->admin_state == FULCRUM_RS_DISABLED || health_targets_unchecked(vs, rs)) {
		b->gone[b->ngone++] = rs->id;
		return;
	}
	t = &b->t[b->n++];
	t->rs_id = rs->id;
	t->addr = rs->addr;
	t->port = rs->port;
	if (rs->check.set) {
		model_check_effective(&vs->check, &rs->check, &b->own[b->nown]);
		t->check = &b->own[b->nown++];
	} else {
		t->check = &vs->check;
	}
}

int health_targets_rebuild(struct health *h, const struct store *st)
{
	size_t n, nown = 0;
	const struct fulcrum_rs_stored *const *rs = store_rs_all(st, 0, &n);
	struct ht_build b;
	int rc;

	for (size_t i = 0; i < n; i++)
		nown += rs[i]->check.set != 0;
	rc = ht_build_init(&b, n, nown);
	for (size_t i = 0; rc == 0 && i < n; i++)
		ht_build_add(&b, store_vs_get(st, rs[i]->vs_id), rs[i]);
	if (rc == 0)
		rc = health_set_targets(h, b.t, b.n);
	ht_build_fini(&b);
	return rc;
}

int health_targets_follow(struct health *h, const struct store *st, const struct store_commit *ev)
{
	size_t max = 0, n;
	struct ht_build b;
	int rc;

	if (ev->reload)
		return health_targets_rebuild(h, st);
	for (size_t i = 0; i < ev->n; i++) {
		if (ev->changes[i].kind == FULCRUM_KIND_VS)
			store_rs_all(st, ev->changes[i].id, &n);
		else
			n = ev->changes[i].kind == FULCRUM_KIND_RS; /* nothing checks a VIP */
		max += n;
	}
	if (max == 0)
		return 0;
	/* every one may override: a few more bytes, for one walk of them fewer */
	rc = ht_build_init(&b, max, max);
	for (size_t i = 0; rc == 0 && i < ev->n; i++) {
		const struct command_change *ch = &ev->changes[i];
		const struct fulcrum_rs_stored *const *all;
		const struct fulcrum_rs_stored *rs;

		if (ch->kind == FULCRUM_KIND_VS) {
			all = store_rs_all(st, ch->id, &n);
			for (size_t k = 0; k < n; k++)
				ht_build_add(&b, store_vs_get(st, ch->id), all[k]);
		} else if (ch->kind != FULCRUM_KIND_RS) {
			continue;
		} else if ((rs = store_rs_get(st, ch->id)) != NULL) {
			ht_build_add(&b, store_vs_get(st, rs->vs_id), rs);
		} else {
			b.gone[b.ngone++] = ch->id; /* deleted */
		}
	}
	/* a real server named twice (its service too) is the same target twice: the first counts */
	if (rc == 0)
		rc = health_update_targets(h, b.t, b.n, b.gone, b.ngone);
	ht_build_fini(&b);
	return rc;
}
