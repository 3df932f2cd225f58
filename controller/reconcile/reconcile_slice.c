/* The bookkeeping of a full pass done in slices: a cursor in service id order and a time budget. */
#include "controller/reconcile/reconcile_slice.h"

#include <string.h>

void reconcile_slice_init(struct reconcile_slice *s, double budget_ms)
{
	memset(s, 0, sizeof(*s));
	s->budget_ms = budget_ms;
}

size_t reconcile_slice_seek(const struct reconcile_slice *s, const struct fulcrum_vs *const *vs,
			    size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (vs[mid]->id <= s->after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void reconcile_slice_begin(struct reconcile_slice *s, double now_ms)
{
	s->started_ms = now_ms;
	s->steps = 0;
}

bool reconcile_slice_step(struct reconcile_slice *s, int64_t id, double now_ms)
{
	if (id > s->after)
		s->after = id;
	s->steps++;
	return now_ms - s->started_ms >= s->budget_ms;
}

void reconcile_slice_end(struct reconcile_slice *s, double now_ms)
{
	double took = now_ms - s->started_ms;

	if (took < 0)
		took = 0;
	s->slices++;
	s->busy_ms += took;
	if (took > s->longest_ms)
		s->longest_ms = took;
}
