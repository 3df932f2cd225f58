/* What the committed revisions touched: the services and real servers the change log names. */
#include "controller/core/touched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int touched_id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts ids[0..*n) and keeps each once. */
static void touched_unique(int64_t *ids, size_t *n)
{
	size_t k = 0;

	if (*n == 0)
		return;
	qsort(ids, *n, sizeof(*ids), touched_id_cmp);
	for (size_t i = 1; i < *n; i++)
		if (ids[i] != ids[k])
			ids[++k] = ids[i];
	*n = k + 1;
}

/*
 * Fills t's lists from the rows ch[0..n) of the revisions after since up to
 * upto; -ESTALE when a revision in between has no row (the log was cut, or
 * is not the store's), -ENOMEM.
 */
static int touched_collect(struct touched *t, const struct fulcrum_change *ch, size_t n,
			   int64_t since, int64_t upto)
{
	int64_t want = since + 1; /* the next revision that must have a row */

	t->vs = malloc((n ? n : 1) * sizeof(*t->vs));
	t->rs = malloc((n ? n : 1) * sizeof(*t->rs));
	if (!t->vs || !t->rs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (ch[i].revision > upto)
			break; /* another process's commit the store has not read yet: next time */
		if (ch[i].revision == want)
			want++;
		else if (ch[i].revision != want - 1)
			return -ESTALE;
		if (strcmp(ch[i].object_type, "service") == 0)
			t->vs[t->nvs++] = ch[i].object_id;
		else if (strcmp(ch[i].object_type, "real") == 0)
			t->rs[t->nrs++] = ch[i].object_id;
		else
			return -ESTALE; /* a kind of row this code does not know */
	}
	if (want != upto + 1)
		return -ESTALE;
	touched_unique(t->vs, &t->nvs);
	touched_unique(t->rs, &t->nrs);
	return 0;
}

static void touched_lists_free(struct touched *t)
{
	free(t->vs);
	free(t->rs);
	t->vs = t->rs = NULL;
	t->nvs = t->nrs = 0;
}

void touched_next(struct touched *t, struct store *st)
{
	int64_t upto = store_revision(st);
	struct fulcrum_change *ch = NULL;
	size_t n = 0;
	int rc = -ESTALE;

	touched_lists_free(t);
	t->all = false;
	if (t->started && store_loads(st) == t->loads && upto == t->revision)
		return;
	if (t->started && store_loads(st) == t->loads && upto > t->revision &&
	    (rc = db_change_objects(store_db(st), t->revision, &ch, &n)) == 0)
		rc = touched_collect(t, ch, n, t->revision, upto);
	fulcrum_change_list_free(ch, n);
	if (rc != 0) {
		touched_lists_free(t);
		t->all = true;
	}
	t->revision = upto;
	t->loads = store_loads(st);
	t->started = true;
}

void touched_clear(struct touched *t)
{
	touched_lists_free(t);
	t->all = false;
	t->started = false;
}
