/* Operational state: is each real server and service carrying traffic, and since when. */
#ifndef FULCRUM_OPER_H
#define FULCRUM_OPER_H

#include "controller/core/status.h"
#include "controller/core/store.h"
#include "controller/lib/hook.h"
#include "controller/model/model-t.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * A real server is up when its health check passes (or it has none) and the
 * kernel holds it as configured (enabled or drained: draining is an admin's
 * choice, not a failure); down when its check failed, an admin disabled it
 * or the kernel refused it; unknown while nothing is known yet (not checked
 * or not reconciled yet, or a kernel without IPVS). This is the one place
 * that decides, for the API and the MIB alike.
 */
enum oper_state {
	OPER_UNKNOWN = 0,
	OPER_UP,
	OPER_DEGRADED, /* services only: some enabled real servers are up, not all */
	OPER_DOWN,
};

/* What the health checks say of a real server. */
struct oper_health {
	enum oper_state state; /* UP, DOWN, or UNKNOWN (not checked yet) */
	char reason[160];
};

/*
 * Where an object's kernel state comes from (NULL fn: "no IPVS here"), and
 * its health (NULL health: no checks, as if every real server passed).
 */
struct oper_kernel {
	void (*fn)(void *arg, bool real, int64_t id, struct status_kernel *out);
	void *arg;
	void (*health)(void *harg, int64_t rs_id, struct oper_health *out);
	void *harg;
};

/* One object's operational state, with the words a person can act on. */
struct oper_view {
	enum oper_state state;
	char reason[160];
	unsigned up, total; /* services: real servers up, and configured */
	time_t since;       /* when state last changed (0: not tracked) */
};

/* Fills out with object id's kernel state from k (UNAVAILABLE when k has no fn). */
void oper_kernel_read(const struct oper_kernel *k, bool real, int64_t id,
		      struct status_kernel *out);

/* "unknown", "up", "degraded", "down". */
const char *oper_state_name(enum oper_state state);

/* Fills out for real server rs (since is 0). */
void oper_rs_eval(const struct oper_kernel *k, const struct fulcrum_rs_stored *rs,
		  struct oper_view *out);

/* Fills out for service vs, from its real servers in st (since is 0). */
void oper_vs_eval(const struct oper_kernel *k, const struct store *st, const struct fulcrum_vs *vs,
		  struct oper_view *out);

/*
 * The tracker remembers each object's last state and when it changed, and
 * tells its subscribers about each change (after the first evaluation, which
 * only records). Objects that disappear are forgotten silently. It follows
 * the store's commit events itself: what a revision changed is evaluated at
 * the next refresh.
 */
struct oper;

/* One change of state: view holds the new state, old the previous one. */
struct oper_change {
	bool real; /* a real server; else a service */
	int64_t id;
	enum oper_state old;
	const struct oper_view *view;
};

/* Subscribers of the tracker's changes (oper_subscribe()). */
HOOK_DECLARE(oper_change_hook, struct oper_change)

/*
 * Returns 0 or -ENOMEM. st and the kernel source must outlive the tracker;
 * the tracker subscribes to st's commit event until oper_free().
 */
int oper_new(struct store *st, const struct oper_kernel *k, struct oper **out);
void oper_free(struct oper *o); /* accepts NULL */

/* Subscribes fn to the changes of state (0 or -ENOMEM); unsubscribes it (absent is fine). */
int oper_subscribe(struct oper *o, oper_change_hook_fn fn, void *arg);
void oper_unsubscribe(struct oper *o, oper_change_hook_fn fn, void *arg);

/*
 * Re-evaluates what may have changed since the last call, and tells the
 * subscribers what did: only the objects marked dirty (oper_dirty(), and
 * what each commit event named) when the tracker heard every revision since
 * and generation (the kernel states' version, from the caller) did not move;
 * otherwise, and at the first call, every object. Returns the number of
 * changes.
 */
size_t oper_refresh(struct oper *o, uint64_t generation);

/*
 * Something that decides object id's state changed (its health, say): the
 * next refresh evaluates it, and a real server's service, or a service's real
 * servers too. Out of memory, the next refresh evaluates everything.
 */
void oper_dirty(struct oper *o, bool real, int64_t id);

/* The time object id's state last changed, or 0 when not tracked. */
time_t oper_since(const struct oper *o, bool real, int64_t id);

#endif
