/* The main loop's lag: how long each turn's work holds the loop, in a fixed-bucket histogram. */
#ifndef FULCRUM_LOOPLAG_H
#define FULCRUM_LOOPLAG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A turn is the loop's work between two waits: from its wake-up (the first
 * callback that runs) to the moment it waits again. While it works, nothing
 * else is answered: a turn's length is the delay it adds to every event
 * that came in meanwhile (an API request, an SNMP GET, a health result).
 * libevent 2.1 tells nobody when it wakes, so each of the loop's callbacks
 * begins with looplag_mark() (scripts/check-looplag checks it); the loop's
 * driver (controller/daemon.c) calls looplag_turn_begin() before each turn
 * and looplag_turn_end() after.
 */

#define LOOPLAG_BOUNDS 10 /* the buckets' upper bounds below; one more bucket holds the rest */

/* Upper bounds of the buckets in milliseconds: 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000. */
extern const unsigned looplag_bounds_ms[LOOPLAG_BOUNDS];

/* The histogram of turns since start. */
struct looplag {
	uint64_t turns; /* turns counted */
	uint64_t
	    buckets[LOOPLAG_BOUNDS + 1]; /* turns by length, not cumulative; the last: over 1 s */
	double sum_ms;                   /* their lengths added up */
	double max_ms;                   /* the longest */
};

/*
 * The first line of every callback the main loop runs: the first call in a
 * turn notes the monotonic time at which the turn's work began; later ones
 * cost a test. Per thread: only the loop's thread's turns are measured.
 */
void looplag_mark(void);

/* The loop is about to wait and turn: forgets the last turn's mark. */
void looplag_turn_begin(void);

/*
 * The turn ended: adds its length, from the mark to now, to h and returns
 * it in milliseconds; a turn in which no marked callback ran is not counted
 * (returns -1).
 */
double looplag_turn_end(struct looplag *h);

#define LOOPLAG_SLOW_MS      1000 /* a turn longer than this is logged ... */
#define LOOPLAG_SLOW_QUIET_S 60   /* ... one line in this many seconds at most */

/* The turns over LOOPLAG_SLOW_MS, and when the last line about one was logged. */
struct looplag_slow {
	int64_t told;     /* monotonic seconds of that line; 0: none yet */
	uint64_t quiet;   /* slow turns since, not logged */
	double quiet_max; /* the longest of them, in milliseconds */
};

/*
 * Whether a turn of ms milliseconds that ended at now (monotonic seconds) is
 * to be logged: one over LOOPLAG_SLOW_MS is, unless a line was logged less
 * than LOOPLAG_SLOW_QUIET_S ago; then it is counted. When it is, *more and
 * *more_max say how many were counted since the last line and the longest
 * of them, and the count starts again.
 */
bool looplag_slow_tell(struct looplag_slow *s, double ms, int64_t now, uint64_t *more,
		       double *more_max);

/* Adds one turn of ms milliseconds to h (looplag_turn_end()'s second half, for tests). */
void looplag_add(struct looplag *h, double ms);

/* The turns of h up to and including bucket i (i = LOOPLAG_BOUNDS: all of them). */
uint64_t looplag_cumulative(const struct looplag *h, unsigned i);

#endif
