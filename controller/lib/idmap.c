/* A hash map from positive 64-bit ids to pointers: the per-object state of reconcile. */
#include "controller/lib/idmap.h"

#include <errno.h>
#include <stdlib.h>

#define IDMAP_EMPTY   0
#define IDMAP_DELETED (-1)

static size_t idmap_slot(int64_t id, size_t cap)
{
	uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 17) & (cap - 1);
}

void *idmap_get(const struct idmap *m, int64_t id)
{
	if (!m->cap || id <= 0)
		return NULL;
	for (size_t i = idmap_slot(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == id)
			return m->vals[i];
		if (m->keys[i] == IDMAP_EMPTY)
			return NULL;
	}
}

/* Rehashes m into a table with room for extra more entries at half load. */
static int idmap_grow(struct idmap *m, size_t extra)
{
	size_t cap = m->cap ? m->cap : 64;
	struct idmap fresh = {0};

	while ((m->n + extra) * 2 > cap)
		cap *= 2;
	fresh.keys = calloc(cap, sizeof(*fresh.keys));
	fresh.vals = calloc(cap, sizeof(*fresh.vals));
	if (!fresh.keys || !fresh.vals) {
		free(fresh.keys);
		free(fresh.vals);
		return -ENOMEM;
	}
	fresh.cap = cap;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] > 0) {
			size_t j = idmap_slot(m->keys[i], cap);

			while (fresh.keys[j] != IDMAP_EMPTY)
				j = (j + 1) & (cap - 1);
			fresh.keys[j] = m->keys[i];
			fresh.vals[j] = m->vals[i];
		}
	}
	fresh.n = fresh.used = m->n;
	idmap_clear(m);
	*m = fresh;
	return 0;
}

int idmap_put(struct idmap *m, int64_t id, void *val)
{
	size_t i, tomb = SIZE_MAX;

	if (id <= 0 || !val)
		return -EINVAL;
	if ((m->used + 1) * 4 > m->cap * 3) {
		int rc = idmap_grow(m, 1);

		if (rc != 0)
			return rc;
	}
	for (i = idmap_slot(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == id) {
			m->vals[i] = val;
			return 0;
		}
		if (m->keys[i] == IDMAP_DELETED && tomb == SIZE_MAX)
			tomb = i;
		if (m->keys[i] == IDMAP_EMPTY)
			break;
	}
	if (tomb != SIZE_MAX) {
		i = tomb;
	} else {
		m->used++;
	}
	m->keys[i] = id;
	m->vals[i] = val;
	m->n++;
	return 0;
}

int idmap_reserve(struct idmap *m, size_t extra)
{
	/* idmap_put() grows when its entry would take the table past three quarters */
	if ((m->used + extra) * 4 <= m->cap * 3)
		return 0;
	return idmap_grow(m, extra);
}

void *idmap_del(struct idmap *m, int64_t id)
{
	if (!m->cap || id <= 0)
		return NULL;
	for (size_t i = idmap_slot(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == id) {
			void *val = m->vals[i];

			m->keys[i] = IDMAP_DELETED;
			m->vals[i] = NULL;
			m->n--;
			return val;
		}
		if (m->keys[i] == IDMAP_EMPTY)
			return NULL;
	}
}

void *idmap_next(const struct idmap *m, size_t *pos, int64_t *id)
{
	for (; *pos < m->cap; (*pos)++) {
		if (m->keys[*pos] > 0) {
			*id = m->keys[*pos];
			return m->vals[(*pos)++];
		}
	}
	return NULL;
}

void idmap_clear(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = m->used = 0;
}
