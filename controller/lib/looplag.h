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

/* Adds one turn of ms milliseconds to h (looplag_turn_end()'s second half, for tests). */
void looplag_add(struct looplag *h, double ms);

/* The turns of h up to and including bucket i (i = LOOPLAG_BOUNDS: all of them). */
uint64_t looplag_cumulative(const struct looplag *h, unsigned i);

#endif
