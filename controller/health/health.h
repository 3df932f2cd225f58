/* Health checks: is each real server answering, asked in fulcrumd's loop without ever blocking it. */
#ifndef FULCRUM_HEALTH_H
#define FULCRUM_HEALTH_H

#include "controller/lib/hook.h"
#include "controller/model/model-t.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct event_base;

/*
 * The engine: one per daemon. It runs each distinct check every interval
 * seconds (the first run of each at a phase within the interval, so that
 * thousands of checks spread evenly), and turns results into states with
 * ldirectord's rules: the first result decides at once; then an UP server
 * goes DOWN after `fall` consecutive failures, a DOWN one UP after `rise`
 * consecutive successes.
 */
struct health;

/*
 * One real server to check: its id, where it listens, and its check as
 * model_check_effective() resolves it (the service's, with the server's own
 * fields). check->check_address and check->check_port, when set, say where the
 * check goes instead of addr and port. check is a pointer so that a commit of
 * many real servers need not copy a whole struct fulcrum_check for each.
 */
struct health_target {
	int64_t rs_id; /* > 0 (others are skipped); the first of a repeated id counts */
	struct fulcrum_addr addr;
	uint16_t port;
	/*
	 * the effective check (the service's merged with the real server's
	 * override); read only during health_set_targets(), may be shared by
	 * many targets
	 */
	const struct fulcrum_check *check;
};

enum health_status {
	HEALTH_UNKNOWN = 0, /* not checked yet */
	HEALTH_UP,
	HEALTH_DOWN,
};

/* A real server's health, as health_get() reports it. */
struct health_state {
	enum health_status state;
	char reason[160];   /* the last result, in words a person can act on */
	time_t last_check;  /* wall clock of the last result; 0: none yet */
	time_t last_change; /* when state last changed; 0: never */
	uint32_t failures;  /* consecutive failed checks (0 after a success) */
	uint64_t checks;    /* results so far (of the check, shared by identical targets) */
};

/* Counters for status pages and the benchmark; latencies in microseconds. */
struct health_totals {
	uint64_t runs[FULCRUM_CHECK_EXTERNAL + 1];       /* checks started, by type */
	uint64_t failed[FULCRUM_CHECK_EXTERNAL + 1];     /* of those, results that failed */
	uint64_t latency_us[FULCRUM_CHECK_EXTERNAL + 1]; /* sum of start-to-result times */
	uint64_t latency_max_us;
	uint64_t skipped; /* runs not started: the previous run had not finished */
	uint64_t changes; /* state changes told to subscribers */
	uint32_t in_flight;
	size_t targets; /* real servers known */
	size_t probes;  /* distinct checks run for them (identical ones are shared) */
};

/* "unknown", "up", "down". */
const char *health_status_name(enum health_status s);

/*
 * Makes an engine that runs in base (which must outlive it). Returns 0, or
 * -ENOMEM (*out is then NULL). Checks start only with health_set_targets().
 */
int health_new(struct event_base *base, struct health **out);

/* Stops every check in flight (killing external commands) and frees h; accepts NULL. */
void health_free(struct health *h);

/*
 * Replaces the set of real servers to check with t[0..n) (the caller keeps
 * t and the checks it points to, which are read only during this call and
 * not kept; after each commit, every enabled or drained real server). A
 * target whose check is NULL counts as one of type none. Targets with
 * the same address, port and check settings share one check and its result;
 * a target whose check did not change keeps its state; a changed check starts
 * over as UNKNOWN. on_failure is not a check setting: changing it keeps the
 * state. Listeners hear of targets whose state differs from before (new ones
 * count as UNKNOWN before); targets dropped are forgotten silently.
 * Returns 0, or -ENOMEM with nothing changed. A check that cannot run as
 * configured (an expect_regex that does not compile, a bad expect_status)
 * makes its targets DOWN with the reason, it is not an error here.
 */
int health_set_targets(struct health *h, const struct health_target *t, size_t n);

/*
 * Changes part of the set: each target of t[0..n) is added, or replaces the
 * one with its id, and each id of gone[0..ngone) is dropped (an id in both
 * counts as in t); every other target stays as it is. The rules are
 * health_set_targets()'s: a target whose check did not change keeps its state
 * and its schedule, a changed one starts over as UNKNOWN, subscribers hear of
 * the targets whose state differs from before, dropped ones are forgotten
 * silently, and a check left with no target stops. It costs what t and gone
 * hold, not what the engine holds (but for checks shared by many targets:
 * moving one off such a check looks through its targets). Returns 0, or
 * -ENOMEM with nothing changed.
 */
int health_update_targets(struct health *h, const struct health_target *t, size_t n,
			  const int64_t *gone, size_t ngone);

/*
 * Fills out with rs_id's health: UNKNOWN "not checked yet" when the id is
 * not a target or its check has not answered yet; UP "no check configured"
 * for type none.
 */
void health_get(const struct health *h, int64_t rs_id, struct health_state *out);

/*
 * Published once per real server whose state (UNKNOWN, UP, DOWN) changes,
 * from the loop or from health_set_targets(); state is valid only during
 * the call. A change of reason alone is not announced. A subscriber may call
 * health_get() and health_stats(), not health_set_targets() nor
 * health_free().
 */
struct health_change {
	int64_t rs_id;
	const struct health_state *state;
};

HOOK_DECLARE(health_change_hook, struct health_change)

/* Subscribes fn to the changes of state: 0 or -ENOMEM. */
int health_subscribe(struct health *h, health_change_hook_fn fn, void *arg);

/* Fills out with the counters since health_new(). */
void health_stats(const struct health *h, struct health_totals *out);

#endif
