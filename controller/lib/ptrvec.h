/* A growable array of pointers kept sorted by a comparison: ordered lookups without a tree. */
#ifndef FULCRUM_LIB_PTRVEC_H
#define FULCRUM_LIB_PTRVEC_H

#include <stdbool.h>
#include <stddef.h>

struct ptrvec {
	void **v; /* malloc'ed, cap of them; NULL while empty */
	size_t n, cap;
};

/*
 * Orders key against an element of the array: negative, 0 or positive, as
 * strcmp(). Every call on one array must use the same comparison.
 */
typedef int (*ptrvec_cmp_fn)(const void *key, const void *elem);

/* The index of the first element not less than key: pv->n when every one is. */
size_t ptrvec_lower(const struct ptrvec *pv, const void *key, ptrvec_cmp_fn cmp);

/* The element equal to key, or NULL. */
void *ptrvec_find(const struct ptrvec *pv, const void *key, ptrvec_cmp_fn cmp);

/*
 * Inserts elem in its place (before any equal one). The array holds the pointer,
 * not a copy. 0, or -ENOMEM with pv unchanged.
 */
int ptrvec_insert(struct ptrvec *pv, void *elem, ptrvec_cmp_fn cmp);

/* Removes the first element equal to key (not freed); absent is fine. */
void ptrvec_remove(struct ptrvec *pv, const void *key, ptrvec_cmp_fn cmp);

/* Empties pv and frees its array; with free_elems, free()s each element first. */
void ptrvec_clear(struct ptrvec *pv, bool free_elems);

#endif
