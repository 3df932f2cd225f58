/* The bookkeeping of a full pass done in slices: where it stands, when a slice is over, how long slices took. */
#ifndef FULCRUM_RECONCILE_SLICE_H
#define FULCRUM_RECONCILE_SLICE_H

#include "controller/model/model-t.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A pass walks the services in id order and remembers the last id it did,
 * not a position: between two slices the store may gain or lose services
 * (the array moves), but ids only grow and are never reused, so "the first
 * service after id X" stays the right place to go on.
 *
 * A slice ends once it has run for budget_ms, after at least one step, so
 * every slice makes progress and no slice runs much longer than the budget
 * plus one step. Times are milliseconds on any monotonic clock the caller
 * reads; the module reads none itself.
 */
struct reconcile_slice {
	double budget_ms;
	int64_t after;     /* the last service id done; 0 before the first */
	double started_ms; /* when the current slice began */
	unsigned steps;    /* steps done in the current slice */
	/* over the whole pass */
	unsigned slices;
	double busy_ms;    /* time spent inside slices */
	double longest_ms; /* the longest slice */
};

/* Starts a pass: cursor before the first service, no slices yet. */
void reconcile_slice_init(struct reconcile_slice *s, double budget_ms);

/*
 * The index in vs (n services in id order, as store_vs_all() gives them) of
 * the first service whose id is above s->after; n when there is none.
 */
size_t reconcile_slice_seek(const struct reconcile_slice *s, const struct fulcrum_vs *const *vs,
			    size_t n);

/* A slice begins at now_ms. */
void reconcile_slice_begin(struct reconcile_slice *s, double now_ms);

/*
 * One step of the current slice is done (id: the service it did, or 0 for a
 * step that is not a service). Returns true when the slice should end: at
 * least one step done and budget_ms spent since it began.
 */
bool reconcile_slice_step(struct reconcile_slice *s, int64_t id, double now_ms);

/* The current slice ends at now_ms: counts it and its time. */
void reconcile_slice_end(struct reconcile_slice *s, double now_ms);

#endif
