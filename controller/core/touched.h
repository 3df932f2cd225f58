/* What the committed revisions touched: the services and real servers the change log names. */
#ifndef FULCRUM_TOUCHED_H
#define FULCRUM_TOUCHED_H

#include "controller/core/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A follower of the store's revisions, for modules that keep something per
 * object and want to redo only what changed. touched_next() moves it to the
 * store's revision and says what the revisions since the last call touched,
 * or, when that cannot be told, that everything may have changed (all).
 * Zero-initialise it; the first touched_next() says all.
 */
struct touched {
	bool all;    /* anything may have changed: redo everything (vs and rs are then empty) */
	int64_t *vs; /* services a change-log row names, sorted, each once */
	size_t nvs;
	int64_t *rs; /* real servers a row names (created, changed or deleted), sorted, each once */
	size_t nrs;
	/* where the follower stands */
	int64_t revision; /* the store's revision at the last call */
	uint64_t loads;   /* store_loads() then */
	bool started;
};

/*
 * Fills t->vs and t->rs with what the revisions after t->revision up to the
 * store's touched, read from st's change log; then t->revision is the
 * store's. Sets t->all instead, with empty lists, on the first call, after
 * the store was loaded whole (store_loads() moved), when the revision went
 * back, when the log misses a revision in between, and on any error reading
 * it (out of memory too): a follower never misses a change. Nothing changed
 * since the last call: both lists empty and all false. The lists stay t's,
 * valid until the next call or touched_clear().
 */
void touched_next(struct touched *t, struct store *st);

/* Frees the lists; t can be used again (and says all at its next call). */
void touched_clear(struct touched *t);

#endif
