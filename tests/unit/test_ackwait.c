/* Unit tests of controller/core/ackwait.c: answers held until the standby holds them, or alone. */
#include "controller/core/ackwait.h"
#include "tests/unit/unit.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

/* What the callbacks saw. */
struct seen {
	int64_t answered[16]; /* revisions answered, in the order they were */
	size_t nanswered;
	unsigned alone_calls;
	int64_t alone_rev;
	unsigned alone_waited;
};

/* One waiter's argument: its revision and where to write it down. */
struct waiter {
	struct seen *seen;
	int64_t revision;
};

static void on_done(void *arg)
{
	struct waiter *w = arg;

	if (w->seen->nanswered < 16)
		w->seen->answered[w->seen->nanswered] = w->revision;
	w->seen->nanswered++;
}

static void on_alone(void *arg, int64_t revision, unsigned waited_ms)
{
	struct seen *s = arg;

	s->alone_calls++;
	s->alone_rev = revision;
	s->alone_waited = waited_ms;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Answers go in revision order, and only up to the revision the standby holds. */
static void test_ackwait_order(void)
{
	struct seen s = {0};
	struct waiter w[4] = {{&s, 3}, {&s, 1}, {&s, 7}, {&s, 5}};
	struct ackwait *aw = ackwait_new(10000, on_alone, &s);

	CU_ASSERT_PTR_NOT_NULL_FATAL(aw);
	ackwait_mode_set(aw, ACKWAIT_SYNC);
	for (size_t i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(ackwait_wait(aw, w[i].revision, on_done, &w[i]), 0);
	ackwait_dispatch(aw);
	CU_ASSERT_EQUAL(s.nanswered, 0); /* nothing acknowledged yet */
	ackwait_acked(aw, 5);
	CU_ASSERT_EQUAL(ackwait_acked_revision(aw), 5);
	ackwait_acked(aw, 4); /* lower than known: ignored */
	CU_ASSERT_EQUAL(ackwait_acked_revision(aw), 5);
	ackwait_dispatch(aw);
	CU_ASSERT_EQUAL_FATAL(s.nanswered, 3);
	CU_ASSERT_EQUAL(s.answered[0], 1);
	CU_ASSERT_EQUAL(s.answered[1], 3);
	CU_ASSERT_EQUAL(s.answered[2], 5);
	/* 7 still waits, with a deadline ahead */
	CU_ASSERT(ackwait_next_deadline(aw) > 9000);
	ackwait_acked(aw, 7);
	CU_ASSERT_EQUAL(ackwait_next_deadline(aw), 0); /* its answer is due */
	ackwait_dispatch(aw);
	CU_ASSERT_EQUAL_FATAL(s.nanswered, 4);
	CU_ASSERT_EQUAL(s.answered[3], 7);
	CU_ASSERT_EQUAL(ackwait_next_deadline(aw), -1);
	CU_ASSERT_EQUAL(s.alone_calls, 0);
	CU_ASSERT_EQUAL(ackwait_mode(aw), ACKWAIT_SYNC);
	ackwait_free(aw);
}

/* OFF and ALONE hold nothing: a wait ends at once, blocking or not, and nothing is called. */
static void test_ackwait_not_sync_returns_at_once(void)
{
	static const enum ackwait_mode modes[] = {ACKWAIT_OFF, ACKWAIT_ALONE};
	struct seen s = {0};
	struct waiter w = {&s, 9};

	for (size_t i = 0; i < 2; i++) {
		struct ackwait *aw = ackwait_new(5000, on_alone, &s);
		int64_t t0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(aw);
		if (modes[i] != ACKWAIT_OFF)
			ackwait_mode_set(aw, modes[i]);
		CU_ASSERT_EQUAL(ackwait_mode(aw), modes[i]);
		CU_ASSERT_EQUAL(ackwait_wait(aw, 9, on_done, &w), 1);
		t0 = now_ms();
		CU_ASSERT_FALSE(ackwait_wait_blocking(aw, 9)); /* not held: nobody has it */
		CU_ASSERT(now_ms() - t0 < 100);
		CU_ASSERT_EQUAL(ackwait_next_deadline(aw), -1);
		ackwait_dispatch(aw);
		ackwait_free(aw);
	}
	CU_ASSERT_EQUAL(s.nanswered, 0);
	CU_ASSERT_EQUAL(s.alone_calls, 0);
}

/* In sync, a revision the standby already holds needs no wait. */
static void test_ackwait_already_held(void)
{
	struct seen s = {0};
	struct waiter w = {&s, 4};
	struct ackwait *aw = ackwait_new(5000, on_alone, &s);

	CU_ASSERT_PTR_NOT_NULL_FATAL(aw);
	ackwait_mode_set(aw, ACKWAIT_SYNC);
	ackwait_acked(aw, 4);
	CU_ASSERT_EQUAL(ackwait_wait(aw, 4, on_done, &w), 1);
	CU_ASSERT_EQUAL(ackwait_wait(aw, 3, on_done, &w), 1);
	CU_ASSERT_TRUE(ackwait_wait_blocking(aw, 4));
	CU_ASSERT_EQUAL(s.nanswered, 0);
	ackwait_free(aw);
}

/*
 * The oldest waiter reaches the timeout: the barrier goes alone, on_alone is
 * called once with its revision and wait, every waiter is answered, and
 * later waits end at once.
 */
static void test_ackwait_timeout_goes_alone_once(void)
{
	struct seen s = {0};
	struct waiter w[3] = {{&s, 10}, {&s, 11}, {&s, 12}};
	struct ackwait *aw = ackwait_new(40, on_alone, &s);
	int left;

	CU_ASSERT_PTR_NOT_NULL_FATAL(aw);
	ackwait_mode_set(aw, ACKWAIT_SYNC);
	CU_ASSERT_EQUAL(ackwait_wait(aw, 10, on_done, &w[0]), 0);
	CU_ASSERT_EQUAL(ackwait_wait(aw, 11, on_done, &w[1]), 0);
	left = ackwait_next_deadline(aw);
	CU_ASSERT(left > 0 && left <= 40);
	ackwait_dispatch(aw); /* before the timeout: nothing */
	CU_ASSERT_EQUAL(s.nanswered, 0);
	CU_ASSERT_EQUAL(s.alone_calls, 0);
	usleep(60 * 1000);
	CU_ASSERT_EQUAL(ackwait_next_deadline(aw), 0);
	ackwait_dispatch(aw);
	CU_ASSERT_EQUAL(s.alone_calls, 1);
	CU_ASSERT_EQUAL(s.alone_rev, 10);
	CU_ASSERT(s.alone_waited >= 40);
	CU_ASSERT_EQUAL(s.nanswered, 2);
	CU_ASSERT_EQUAL(ackwait_mode(aw), ACKWAIT_ALONE);
	/* alone: the next write is answered at once, on_alone is not called again */
	CU_ASSERT_EQUAL(ackwait_wait(aw, 12, on_done, &w[2]), 1);
	CU_ASSERT_FALSE(ackwait_wait_blocking(aw, 12));
	ackwait_dispatch(aw);
	CU_ASSERT_EQUAL(s.alone_calls, 1);
	CU_ASSERT_EQUAL(s.nanswered, 2);
	ackwait_free(aw);
}

/* A blocking wait that nobody answers ends at the timeout, alone, on_alone called once. */
static void test_ackwait_blocking_timeout(void)
{
	struct seen s = {0};
	struct ackwait *aw = ackwait_new(50, on_alone, &s);
	int64_t t0, took;

	CU_ASSERT_PTR_NOT_NULL_FATAL(aw);
	ackwait_mode_set(aw, ACKWAIT_SYNC);
	t0 = now_ms();
	CU_ASSERT_FALSE(ackwait_wait_blocking(aw, 20));
	took = now_ms() - t0;
	CU_ASSERT(took >= 50 && took < 1000);
	CU_ASSERT_EQUAL(ackwait_mode(aw), ACKWAIT_ALONE);
	CU_ASSERT_EQUAL(s.alone_calls, 1);
	CU_ASSERT_EQUAL(s.alone_rev, 20);
	CU_ASSERT(s.alone_waited >= 50);
	ackwait_dispatch(aw);
	CU_ASSERT_EQUAL(s.alone_calls, 1);
	ackwait_free(aw);
}

/* Replication's thread: after a pause, acknowledges a revision or changes the mode. */
struct replicator {
	struct ackwait *aw;
	unsigned delay_ms;
	int64_t acked;          /* > 0: ackwait_acked(acked) */
	enum ackwait_mode mode; /* else ackwait_mode_set(mode) */
};

static void *replicator_run(void *arg)
{
	struct replicator *r = arg;

	usleep(r->delay_ms * 1000);
	if (r->acked > 0)
		ackwait_acked(r->aw, r->acked);
	else
		ackwait_mode_set(r->aw, r->mode);
	return NULL;
}

/* A blocking wait is woken by an acknowledgement from another thread, long before its timeout. */
static void test_ackwait_blocking_woken_by_ack(void)
{
	struct seen s = {0};
	struct ackwait *aw = ackwait_new(5000, on_alone, &s);
	struct replicator r = {aw, 50, 31, ACKWAIT_SYNC};
	pthread_t t;
	int64_t t0, took;

	CU_ASSERT_PTR_NOT_NULL_FATAL(aw);
	ackwait_mode_set(aw, ACKWAIT_SYNC);
	ackwait_acked(aw, 29);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, replicator_run, &r), 0);
	t0 = now_ms();
	CU_ASSERT_TRUE(ackwait_wait_blocking(aw, 30)); /* 31 acknowledged covers 30 */
	took = now_ms() - t0;
	pthread_join(t, NULL);
	CU_ASSERT(took >= 40 && took < 2000);
	CU_ASSERT_EQUAL(ackwait_mode(aw), ACKWAIT_SYNC);
	CU_ASSERT_EQUAL(s.alone_calls, 0);
	ackwait_free(aw);
}

/* A blocking wait ends when replication leaves sync (the standby went away): not held, not alone. */
static void test_ackwait_blocking_woken_by_mode(void)
{
	struct seen s = {0};
	struct ackwait *aw = ackwait_new(5000, on_alone, &s);
	struct replicator r = {aw, 50, 0, ACKWAIT_OFF};
	pthread_t t;
	int64_t t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(aw);
	ackwait_mode_set(aw, ACKWAIT_SYNC);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, replicator_run, &r), 0);
	t0 = now_ms();
	CU_ASSERT_FALSE(ackwait_wait_blocking(aw, 8));
	CU_ASSERT(now_ms() - t0 < 2000);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(ackwait_mode(aw), ACKWAIT_OFF);
	CU_ASSERT_EQUAL(s.alone_calls, 0);
	ackwait_free(aw);
}

/* Alone, then the standby caught up: ackwait_mode_set(SYNC) makes writes wait again. */
static void test_ackwait_alone_then_sync_again(void)
{
	struct seen s = {0};
	struct waiter w = {&s, 41};
	struct ackwait *aw = ackwait_new(30, on_alone, &s);

	CU_ASSERT_PTR_NOT_NULL_FATAL(aw);
	ackwait_mode_set(aw, ACKWAIT_SYNC);
	CU_ASSERT_FALSE(ackwait_wait_blocking(aw, 40));
	CU_ASSERT_EQUAL(ackwait_mode(aw), ACKWAIT_ALONE);
	CU_ASSERT_EQUAL(ackwait_wait(aw, 41, on_done, &w), 1);
	ackwait_acked(aw, 40);
	ackwait_mode_set(aw, ACKWAIT_SYNC);
	CU_ASSERT_EQUAL(ackwait_wait(aw, 41, on_done, &w), 0);
	ackwait_dispatch(aw);
	CU_ASSERT_EQUAL(s.nanswered, 0);
	ackwait_acked(aw, 41);
	ackwait_dispatch(aw);
	CU_ASSERT_EQUAL(s.nanswered, 1);
	CU_ASSERT_EQUAL(s.alone_calls, 1); /* the first time only */
	ackwait_free(aw);
}

/* Leaving sync answers every waiter at the next dispatch; freeing answers those left. */
static void test_ackwait_leave_sync_and_free_answer_all(void)
{
	struct seen s = {0};
	struct waiter w[3] = {{&s, 50}, {&s, 51}, {&s, 52}};
	struct ackwait *aw = ackwait_new(10000, on_alone, &s);

	CU_ASSERT_PTR_NOT_NULL_FATAL(aw);
	ackwait_mode_set(aw, ACKWAIT_SYNC);
	CU_ASSERT_EQUAL(ackwait_wait(aw, 50, on_done, &w[0]), 0);
	CU_ASSERT_EQUAL(ackwait_wait(aw, 51, on_done, &w[1]), 0);
	ackwait_mode_set(aw, ACKWAIT_OFF);
	CU_ASSERT_EQUAL(ackwait_next_deadline(aw), 0);
	ackwait_dispatch(aw);
	CU_ASSERT_EQUAL(s.nanswered, 2);
	CU_ASSERT_EQUAL(s.alone_calls, 0);
	ackwait_mode_set(aw, ACKWAIT_SYNC);
	CU_ASSERT_EQUAL(ackwait_wait(aw, 52, on_done, &w[2]), 0);
	ackwait_free(aw);
	CU_ASSERT_EQUAL(s.nanswered, 3);
	CU_ASSERT_EQUAL(s.answered[2], 52);
	ackwait_free(NULL);
}

UNIT_SUITE(ackwait)
{
	CU_pSuite s = CU_add_suite("ackwait", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "answers in revision order up to the acknowledged", test_ackwait_order);
	CU_add_test(s, "off and alone: every wait ends at once",
		    test_ackwait_not_sync_returns_at_once);
	CU_add_test(s, "sync: a revision already held needs no wait", test_ackwait_already_held);
	CU_add_test(s, "timeout: alone, on_alone once, all answered",
		    test_ackwait_timeout_goes_alone_once);
	CU_add_test(s, "blocking wait: timeout goes alone", test_ackwait_blocking_timeout);
	CU_add_test(s, "blocking wait woken by another thread's ack",
		    test_ackwait_blocking_woken_by_ack);
	CU_add_test(s, "blocking wait woken by leaving sync", test_ackwait_blocking_woken_by_mode);
	CU_add_test(s, "alone, then sync again: writes wait again",
		    test_ackwait_alone_then_sync_again);
	CU_add_test(s, "leaving sync and freeing answer every waiter",
		    test_ackwait_leave_sync_and_free_answer_all);
	return CU_get_error();
}
