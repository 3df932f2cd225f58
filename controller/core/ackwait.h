/* Commit mode sync: a client's answer waits until the standby holds its revision, or the pair goes on alone. */
#ifndef FULCRUM_ACKWAIT_H
#define FULCRUM_ACKWAIT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The barrier between a local commit and its answer to the client (docs/ha.md,
 * "Replication"). Replication (controller/ha/repl*.c) tells it which revision
 * the standby holds durably (ackwait_acked(), any thread); the writers (the
 * API's group commit, the SNMP SET) ask it to hold an answer until the
 * standby holds the write's revision (ackwait_wait(), ackwait_wait_blocking(),
 * the loop's thread). When the mode is not ACKWAIT_SYNC every wait ends at
 * once: a standalone node, commit mode async, a pair that goes on alone.
 *
 * A wait never lasts longer than the timeout given to ackwait_new(): the
 * first wait that reaches it puts the barrier in ACKWAIT_ALONE (every
 * waiter is answered, later waits end at once) and calls on_alone; only
 * ackwait_mode_set(ACKWAIT_SYNC) (the standby caught up) makes writes wait
 * again.
 */
struct ackwait;

enum ackwait_mode {
	ACKWAIT_OFF = 0, /* no standby to wait for (standalone, async, not active) */
	ACKWAIT_SYNC,    /* answers wait for the standby's acknowledgement */
	ACKWAIT_ALONE,   /* the standby did not answer in time: answers go at once */
};

/* Called on the loop's thread when a wait timed out and the barrier went alone. */
typedef void (*ackwait_alone_fn)(void *arg, int64_t revision, unsigned waited_ms);

/* A barrier in mode ACKWAIT_OFF; timeout_ms > 0. NULL when out of memory. */
struct ackwait *ackwait_new(unsigned timeout_ms, ackwait_alone_fn on_alone, void *arg);

/* Frees; pending waiters are answered first (as if acknowledged). Accepts NULL. */
void ackwait_free(struct ackwait *aw);

/* Sets the mode (any thread); leaving ACKWAIT_SYNC answers every waiter at the next dispatch. */
void ackwait_mode_set(struct ackwait *aw, enum ackwait_mode mode);
enum ackwait_mode ackwait_mode(struct ackwait *aw);

/* The standby holds revision (any thread); a lower revision than known is ignored. */
void ackwait_acked(struct ackwait *aw, int64_t revision);
int64_t ackwait_acked_revision(struct ackwait *aw);

/*
 * Loop thread: fn(arg) once the standby holds revision. Returns 1 when no
 * wait is needed (fn is not called), 0 when fn will be called from a later
 * ackwait_dispatch() (or ackwait_free()), -ENOMEM (treat as 1).
 */
typedef void (*ackwait_done_fn)(void *arg);
int ackwait_wait(struct ackwait *aw, int64_t revision, ackwait_done_fn fn, void *arg);

/*
 * Loop thread: blocks until the standby holds revision, the mode leaves
 * ACKWAIT_SYNC or the timeout passes (then the barrier goes alone). For the
 * SNMP SET, which must answer within its handler. Returns true when the
 * standby holds it.
 */
bool ackwait_wait_blocking(struct ackwait *aw, int64_t revision);

/*
 * Loop thread: answers the waiters whose revision the standby holds (all of
 * them when the mode is not ACKWAIT_SYNC), and goes alone when the oldest
 * has waited the timeout. Replication's eventfd handler calls it after each
 * acknowledgement; a timer calls it often enough for the timeout (the
 * next deadline in ms from now: ackwait_next_deadline(), -1 for none).
 */
void ackwait_dispatch(struct ackwait *aw);
int ackwait_next_deadline(struct ackwait *aw);

#endif
