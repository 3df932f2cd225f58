/* Commit mode sync: the barrier between a local commit and its answer (the contract is ackwait.h). */
#include "controller/core/ackwait.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

/* One answer held back until the standby holds its revision. */
struct ackwait_waiter {
	struct ackwait_waiter *next;
	int64_t revision;
	int64_t since_ms; /* CLOCK_MONOTONIC, when it began to wait */
	ackwait_done_fn fn;
	void *arg;
};

/*
 * The mutex guards mode, acked and the waiters: replication's thread writes
 * the first two, the loop's thread everything. Callbacks (fn, on_alone) run
 * with it released, so that they may call ackwait again.
 */
struct ackwait {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* acked or mode moved: ackwait_wait_blocking() looks again */
	enum ackwait_mode mode;
	int64_t acked;
	unsigned timeout_ms;
	ackwait_alone_fn on_alone;
	void *arg;
	struct ackwait_waiter *head; /* by revision, lowest first */
};

static int64_t ackwait_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct ackwait *ackwait_new(unsigned timeout_ms, ackwait_alone_fn on_alone, void *arg)
{
	struct ackwait *aw = calloc(1, sizeof(*aw));
	pthread_condattr_t ca;

	if (!aw)
		return NULL;
	if (pthread_condattr_init(&ca) != 0) {
		free(aw);
		return NULL;
	}
	/* the timed wait counts on the monotonic clock: a clock step changes no timeout */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&aw->cv, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		free(aw);
		return NULL;
	}
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&aw->mu, NULL);
	aw->mode = ACKWAIT_OFF;
	aw->timeout_ms = timeout_ms ? timeout_ms : 1;
	aw->on_alone = on_alone;
	aw->arg = arg;
	return aw;
}

/* Calls and frees a list of waiters taken off the barrier, in order. */
static void ackwait_answer(struct ackwait_waiter *list)
{
	while (list) {
		struct ackwait_waiter *next = list->next;

		list->fn(list->arg);
		free(list);
		list = next;
	}
}

void ackwait_free(struct ackwait *aw)
{
	struct ackwait_waiter *list;

	if (!aw)
		return;
	pthread_mutex_lock(&aw->mu);
	list = aw->head;
	aw->head = NULL;
	pthread_mutex_unlock(&aw->mu);
	ackwait_answer(list);
	pthread_cond_destroy(&aw->cv);
	pthread_mutex_destroy(&aw->mu);
	free(aw);
}

void ackwait_mode_set(struct ackwait *aw, enum ackwait_mode mode)
{
	pthread_mutex_lock(&aw->mu);
	aw->mode = mode;
	pthread_cond_broadcast(&aw->cv);
	pthread_mutex_unlock(&aw->mu);
}

enum ackwait_mode ackwait_mode(struct ackwait *aw)
{
	enum ackwait_mode mode;

	pthread_mutex_lock(&aw->mu);
	mode = aw->mode;
	pthread_mutex_unlock(&aw->mu);
	return mode;
}

void ackwait_acked(struct ackwait *aw, int64_t revision)
{
	pthread_mutex_lock(&aw->mu);
	if (revision > aw->acked) {
		aw->acked = revision;
		pthread_cond_broadcast(&aw->cv);
	}
	pthread_mutex_unlock(&aw->mu);
}

int64_t ackwait_acked_revision(struct ackwait *aw)
{
	int64_t acked;

	pthread_mutex_lock(&aw->mu);
	acked = aw->acked;
	pthread_mutex_unlock(&aw->mu);
	return acked;
}

int ackwait_wait(struct ackwait *aw, int64_t revision, ackwait_done_fn fn, void *arg)
{
	struct ackwait_waiter *w, **at;

	pthread_mutex_lock(&aw->mu);
	if (aw->mode != ACKWAIT_SYNC || aw->acked >= revision) {
		pthread_mutex_unlock(&aw->mu);
		return 1;
	}
	w = malloc(sizeof(*w));
	if (!w) {
		pthread_mutex_unlock(&aw->mu);
		return -ENOMEM;
	}
	w->revision = revision;
	w->since_ms = ackwait_now_ms();
	w->fn = fn;
	w->arg = arg;
	/* revisions only grow, so this is nearly always the end of the list */
	for (at = &aw->head; *at && (*at)->revision <= revision; at = &(*at)->next)
		;
	w->next = *at;
	*at = w;
	pthread_mutex_unlock(&aw->mu);
	return 0;
}

/* With the mutex held: the waiter that has waited longest (not always the lowest revision). */
static const struct ackwait_waiter *ackwait_oldest(const struct ackwait *aw)
{
	const struct ackwait_waiter *oldest = aw->head;

	for (const struct ackwait_waiter *w = aw->head; w; w = w->next)
		if (w->since_ms < oldest->since_ms)
			oldest = w;
	return oldest;
}

void ackwait_dispatch(struct ackwait *aw)
{
	struct ackwait_waiter *done = NULL, **tail = &done;
	int64_t now = ackwait_now_ms(), alone_rev = 0;
	unsigned waited = 0;
	bool alone = false;

	pthread_mutex_lock(&aw->mu);
	if (aw->mode == ACKWAIT_SYNC && aw->head) {
		const struct ackwait_waiter *oldest = ackwait_oldest(aw);

		/* the oldest is answered by this acknowledgement: it does not count */
		if (oldest->revision > aw->acked && now - oldest->since_ms >= aw->timeout_ms) {
			alone = true;
			alone_rev = oldest->revision;
			waited = (unsigned)(now - oldest->since_ms);
			aw->mode = ACKWAIT_ALONE;
			pthread_cond_broadcast(&aw->cv);
		}
	}
	/* lowest revisions first: those the standby holds, or every one when not in sync */
	while (aw->head && (aw->mode != ACKWAIT_SYNC || aw->head->revision <= aw->acked)) {
		*tail = aw->head;
		aw->head = aw->head->next;
		tail = &(*tail)->next;
		*tail = NULL;
	}
	pthread_mutex_unlock(&aw->mu);
	if (alone && aw->on_alone)
		aw->on_alone(aw->arg, alone_rev, waited);
	ackwait_answer(done);
}

int ackwait_next_deadline(struct ackwait *aw)
{
	int64_t left;
	int ms;

	pthread_mutex_lock(&aw->mu);
	if (!aw->head) {
		ms = -1;
	} else if (aw->mode != ACKWAIT_SYNC || aw->head->revision <= aw->acked) {
		ms = 0; /* answers are due now */
	} else {
		left = ackwait_oldest(aw)->since_ms + aw->timeout_ms - ackwait_now_ms();
		ms = left < 0 ? 0 : (int)left;
	}
	pthread_mutex_unlock(&aw->mu);
	return ms;
}

bool ackwait_wait_blocking(struct ackwait *aw, int64_t revision)
{
	int64_t since = ackwait_now_ms(), until = since + aw->timeout_ms;
	struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000};
	bool held, alone = false;
	unsigned waited = 0;

	pthread_mutex_lock(&aw->mu);
	while (aw->mode == ACKWAIT_SYNC && aw->acked < revision) {
		if (pthread_cond_timedwait(&aw->cv, &aw->mu, &ts) == ETIMEDOUT &&
		    aw->mode == ACKWAIT_SYNC && aw->acked < revision) {
			alone = true;
			waited = (unsigned)(ackwait_now_ms() - since);
			aw->mode = ACKWAIT_ALONE;
			break;
		}
	}
	held = aw->acked >= revision;
	pthread_mutex_unlock(&aw->mu);
	/* the waiters of the API follow at the next ackwait_dispatch(): the mode left sync */
	if (alone && aw->on_alone)
		aw->on_alone(aw->arg, revision, waited);
	return held;
}
