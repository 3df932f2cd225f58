/* A hash map from positive 64-bit ids to pointers: the per-object state of reconcile. */
#ifndef FULCRUM_IDMAP_H
#define FULCRUM_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap {
	int64_t *keys; /* 0: empty slot, -1: deleted slot */
	void **vals;
	size_t cap;  /* a power of two, or 0 */
	size_t n;    /* live entries */
	size_t used; /* live and deleted slots */
};

/* The value of id (> 0), or NULL. */
void *idmap_get(const struct idmap *m, int64_t id);

/* Sets id (> 0) to val (not NULL), replacing any value. 0 or -ENOMEM (m unchanged). */
int idmap_put(struct idmap *m, int64_t id, void *val);

/*
 * Makes room for extra more entries: the next extra idmap_put()s of new ids
 * cannot fail (until the next idmap_clear()). 0 or -ENOMEM (m unchanged).
 */
int idmap_reserve(struct idmap *m, size_t extra);

/* Removes id and returns its value (the caller frees it), or NULL when absent. */
void *idmap_del(struct idmap *m, int64_t id);

/*
 * Iterates: start with *pos = 0; each call returns the next value and its id
 * in *id, or NULL at the end. The map must not change during the iteration,
 * except through idmap_del() of the entry just returned. An iteration that
 * goes on after other changes (a sweep done in slices) still ends and reads
 * no freed memory, but may then miss entries or return one twice.
 */
void *idmap_next(const struct idmap *m, size_t *pos, int64_t *id);

/* Frees the table (not the values). */
void idmap_clear(struct idmap *m);

#endif
