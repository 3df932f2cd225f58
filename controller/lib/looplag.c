/* The main loop's lag: turns measured from their first callback to the next wait. */
#include "controller/lib/looplag.h"

#include <time.h>

const unsigned looplag_bounds_ms[LOOPLAG_BOUNDS] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};

/* The current turn's start; only the loop's thread marks and ends turns. */
static _Thread_local struct timespec looplag_start;
static _Thread_local bool looplag_marked;

void looplag_mark(void)
{
	if (looplag_marked)
		return;
	clock_gettime(CLOCK_MONOTONIC, &looplag_start);
	looplag_marked = true;
}

void looplag_turn_begin(void)
{
	looplag_marked = false;
}

void looplag_add(struct looplag *h, double ms)
{
	unsigned i = 0;

	if (ms < 0)
		ms = 0;
	while (i < LOOPLAG_BOUNDS && ms > (double)looplag_bounds_ms[i])
		i++;
	h->buckets[i]++;
	h->turns++;
	h->sum_ms += ms;
	if (ms > h->max_ms)
		h->max_ms = ms;
}

double looplag_turn_end(struct looplag *h)
{
	struct timespec now;
	double ms;

	if (!looplag_marked)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	looplag_marked = false;
	ms = (double)(now.tv_sec - looplag_start.tv_sec) * 1e3 +
	     (double)(now.tv_nsec - looplag_start.tv_nsec) / 1e6;
	looplag_add(h, ms);
	return ms;
}

bool looplag_slow_tell(struct looplag_slow *s, double ms, int64_t now, uint64_t *more,
		       double *more_max)
{
	if (ms <= LOOPLAG_SLOW_MS)
		return false;
	if (s->told && now - s->told < LOOPLAG_SLOW_QUIET_S) {
		s->quiet++;
		if (ms > s->quiet_max)
			s->quiet_max = ms;
		return false;
	}
	*more = s->quiet;
	*more_max = s->quiet_max;
	s->told = now ? now : 1;
	s->quiet = 0;
	s->quiet_max = 0;
	return true;
}

uint64_t looplag_cumulative(const struct looplag *h, unsigned i)
{
	uint64_t n = 0;

	for (unsigned b = 0; b <= i && b <= LOOPLAG_BOUNDS; b++)
		n += h->buckets[b];
	return n;
}
