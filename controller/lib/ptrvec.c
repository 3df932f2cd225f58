/* A growable array of pointers kept sorted by a comparison: binary search, insert, remove. */
#include "controller/lib/ptrvec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t ptrvec_lower(const struct ptrvec *pv, const void *key, ptrvec_cmp_fn cmp)
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

void *ptrvec_find(const struct ptrvec *pv, const void *key, ptrvec_cmp_fn cmp)
{
	size_t i = ptrvec_lower(pv, key, cmp);

	return i < pv->n && cmp(key, pv->v[i]) == 0 ? pv->v[i] : NULL;
}

int ptrvec_insert(struct ptrvec *pv, void *elem, ptrvec_cmp_fn cmp)
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

void ptrvec_remove(struct ptrvec *pv, const void *key, ptrvec_cmp_fn cmp)
{
	size_t i = ptrvec_lower(pv, key, cmp);

	if (i < pv->n && cmp(key, pv->v[i]) == 0) {
		memmove(&pv->v[i], &pv->v[i + 1], (pv->n - i - 1) * sizeof(*pv->v));
		pv->n--;
	}
}

void ptrvec_clear(struct ptrvec *pv, bool free_elems)
{
	if (free_elems)
		for (size_t i = 0; i < pv->n; i++)
			free(pv->v[i]);
	free(pv->v);
	memset(pv, 0, sizeof(*pv));
}
