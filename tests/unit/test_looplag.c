/* Unit tests of controller/lib/looplag.c: buckets at their bounds, turns measured from their first mark. */
#include "controller/lib/looplag.h"
#include "tests/unit/unit.h"

#include <time.h>

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* A bound belongs to its own bucket (le: less or equal); past 1 s is the last; sum and max follow. */
static void test_looplag_buckets(void)
{
	struct looplag h = {0};
	const double turns[] = {0, 0.5, 1, 1.0001, 2, 999, 1000, 1000.5, 60000, -3};

	for (size_t i = 0; i < sizeof(turns) / sizeof(turns[0]); i++)
		looplag_add(&h, turns[i]);
	CU_ASSERT_EQUAL(h.turns, 10);
	CU_ASSERT_EQUAL(h.buckets[0], 4); /* 0, 0.5, 1 and the negative one, counted as 0 */
	CU_ASSERT_EQUAL(h.buckets[1], 2); /* 1.0001, 2 */
	CU_ASSERT_EQUAL(h.buckets[LOOPLAG_BOUNDS - 1], 2); /* 999, 1000 */
	CU_ASSERT_EQUAL(h.buckets[LOOPLAG_BOUNDS], 2);     /* 1000.5, 60000 */
	CU_ASSERT_EQUAL(looplag_cumulative(&h, 0), 4);
	CU_ASSERT_EQUAL(looplag_cumulative(&h, 1), 6);
	CU_ASSERT_EQUAL(looplag_cumulative(&h, LOOPLAG_BOUNDS - 1), 8);
	CU_ASSERT_EQUAL(looplag_cumulative(&h, LOOPLAG_BOUNDS), 10);
	CU_ASSERT_DOUBLE_EQUAL(h.sum_ms, 0 + 0.5 + 1 + 1.0001 + 2 + 999 + 1000 + 1000.5 + 60000,
			       1e-6);
	CU_ASSERT_DOUBLE_EQUAL(h.max_ms, 60000, 1e-9);
	for (unsigned i = 1; i < LOOPLAG_BOUNDS; i++)
		CU_ASSERT(looplag_bounds_ms[i] > looplag_bounds_ms[i - 1]);
	CU_ASSERT_EQUAL(looplag_bounds_ms[LOOPLAG_BOUNDS - 1], 1000);
}

/*
 * A turn runs from its first mark to its end: a later mark does not move
 * its start, the wait before the first mark is not counted, and a turn
 * without a mark (no callback of ours ran) is not a turn.
 */
static void test_looplag_turns(void)
{
	struct looplag h = {0};
	double ms;

	looplag_turn_begin();
	CU_ASSERT_EQUAL(looplag_turn_end(&h), -1);
	CU_ASSERT_EQUAL(h.turns, 0);

	looplag_turn_begin();
	sleep_ms(30); /* the wait: not work */
	looplag_mark();
	sleep_ms(15);
	looplag_mark();
	sleep_ms(15);
	ms = looplag_turn_end(&h);
	CU_ASSERT(ms >= 30);
	CU_ASSERT(ms < 60 + 500); /* generous: a loaded machine may oversleep */
	CU_ASSERT_EQUAL(h.turns, 1);
	CU_ASSERT_EQUAL(h.buckets[0] + h.buckets[1] + h.buckets[2] + h.buckets[3], 0);
	CU_ASSERT_DOUBLE_EQUAL(h.sum_ms, ms, 1e-9);

	/* the mark is per turn: the next turn without one counts nothing */
	looplag_turn_begin();
	CU_ASSERT_EQUAL(looplag_turn_end(&h), -1);
	CU_ASSERT_EQUAL(h.turns, 1);
}

/*
 * A turn over a second is logged, one line a minute at most: the others
 * in between are counted, and the next line says how many and the longest.
 */
static void test_looplag_slow(void)
{
	struct looplag_slow s = {0};
	uint64_t more = 99;
	double max = 99;

	CU_ASSERT_FALSE(looplag_slow_tell(&s, 1000, 100, &more, &max)); /* a second is not over */
	CU_ASSERT_TRUE(looplag_slow_tell(&s, 1500, 100, &more, &max));
	CU_ASSERT_EQUAL(more, 0);
	CU_ASSERT_FALSE(looplag_slow_tell(&s, 2000, 110, &more, &max));
	CU_ASSERT_FALSE(looplag_slow_tell(&s, 5000, 159, &more, &max));
	CU_ASSERT_FALSE(looplag_slow_tell(&s, 999, 170, &more, &max)); /* not slow: not counted */
	CU_ASSERT_TRUE(looplag_slow_tell(&s, 1200, 160, &more, &max));
	CU_ASSERT_EQUAL(more, 2);
	CU_ASSERT_DOUBLE_EQUAL(max, 5000, 1e-9);
	CU_ASSERT_FALSE(looplag_slow_tell(&s, 1100, 161, &more, &max));
	CU_ASSERT_TRUE(looplag_slow_tell(&s, 1100, 300, &more, &max));
	CU_ASSERT_EQUAL(more, 1);
	CU_ASSERT_DOUBLE_EQUAL(max, 1100, 1e-9);
	/* a clock at 0 (a fresh boot's monotonic time) still starts the quiet minute */
	s = (struct looplag_slow){0};
	CU_ASSERT_TRUE(looplag_slow_tell(&s, 1500, 0, &more, &max));
	CU_ASSERT_FALSE(looplag_slow_tell(&s, 1500, 30, &more, &max));
}

UNIT_SUITE(looplag)
{
	CU_pSuite s = CU_add_suite("looplag", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "bounds are their buckets' own; past 1 s the last", test_looplag_buckets);
	CU_add_test(s, "a turn runs from its first mark to its end", test_looplag_turns);
	CU_add_test(s, "a turn over 1 s is logged, one line a minute at most", test_looplag_slow);
	return CU_get_error();
}
