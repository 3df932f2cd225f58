/* The failover engine: the heartbeat thread that drives the role state machine, and its handoff to the main loop. */
#ifndef FULCRUM_HA_ENGINE_H
#define FULCRUM_HA_ENGINE_H

#include "controller/core/conf.h"
#include "controller/core/status.h"
#include "controller/ha/ha_keys.h"
#include "controller/ha/ha_vip.h"
#include "controller/lib/hook.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Threads (docs/ha.md, "The engine"):
 *
 * - the heartbeat thread owns the UDP sockets, the tie-breaker pings, the
 *   announcements and the state machine, on its own clock (CLOCK_MONOTONIC)
 *   and poll loop: nothing fulcrumd's main loop does delays a heartbeat;
 * - the address thread adds and removes the VIPs (ha_addr.h);
 * - the slow-work thread runs IPVS's sync daemon and saves the peer's epoch
 *   (ha_sync.h).
 *
 * The main thread talks to the engine only through the calls below. Each
 * takes the engine's lock for a copy and never waits for the heartbeat
 * thread's work; the heartbeat thread answers through a queue of events that
 * an eventfd hands to the main loop, where the hooks and done callbacks run.
 * So the main loop never blocks on the engine, and the engine never on it:
 * a stalled main loop is seen by the engine (the loop-alive timestamp the
 * main loop's own timer bumps every 100 ms) and reported in the heartbeats.
 *
 * With no ha_peer the engine is STANDALONE: no heartbeat, no sync daemon; it
 * holds the configured VIPs itself (permanent addresses), announces them once,
 * puts back one deleted behind its back, and leaves them on stop as IPVS is
 * left.
 */

/* The events the main loop hears, in its own thread. */
HOOK_DECLARE(ha_role_hook, struct status_role_change)
HOOK_DECLARE(ha_peer_hook, struct status_peer_change)

struct event_base;
struct ha_engine;

struct ha_engine_params {
	struct event_base *base; /* the main loop: the engine's events and its loop-alive timer */
	const struct conf *conf; /* the ha_ settings; copied */
	const char *node;        /* this node's name as heartbeats carry it */
	struct ha_keys *keys;    /* the key file (NULL when standalone); the engine's on success */
	const char *db_path;     /* the epoch files live beside it (ha_epoch.h) */
	bool ipvs_usable;        /* as the daemon found IPVS (ha_engine_ipvs_set() later) */
	const char *ipvs_why;    /* why not, in words */
	bool config_partial;    /* the kernel refuses some configuration (ha_engine_config_set()) */
	bool config_pending;    /* not known yet (reconcile's first full pass not ended) */
	const char *config_why; /* what, in words */
	int64_t revision;       /* the configuration revision at start */
	const struct ha_vip *vips; /* the VIPs at start (copied), n of them */
	size_t nvips;
};

/*
 * Reads and advances this node's epoch and restores the peer's window (the
 * main thread, before any thread starts), opens the sockets, starts the
 * threads. Returns 0 with *out, or a negative errno with err saying what
 * failed (a socket that cannot bind, an epoch file that cannot be written);
 * p->keys is then still the caller's.
 */
int ha_engine_new(const struct ha_engine_params *p, struct ha_engine **out, char *err,
		  size_t errlen);

/*
 * Stops the threads and frees. Without a completed ha_engine_stop() the VIPs
 * and sync daemon stay as they are (use it for an abort). Accepts NULL.
 */
void ha_engine_free(struct ha_engine *e);

/*
 * A graceful stop (SIGTERM): an active sends STEPDOWN (reason shutdown) on
 * every path and releases the VIPs, a standby says it leaves; the sync daemon
 * is stopped; then fn(arg) runs in the main loop. IPVS's services stay. A
 * standalone node keeps its VIPs. Call once.
 */
typedef void (*ha_engine_stopped_fn)(void *arg);
void ha_engine_stop(struct ha_engine *e, ha_engine_stopped_fn fn, void *arg);

/* Answers to commands, in the main loop: rc 0, -EPERM, -EAGAIN; reason in words. */
typedef void (*ha_engine_done_fn)(void *arg, int rc, const char *reason);

/*
 * Asks the active to hand over (ha_fsm_switchover()): fn gets 0 when it
 * stepped down, -EPERM on a node that is not active, -EAGAIN when the peer
 * cannot take over and force is false; reason says why. fn may be NULL.
 * Returns 0, or -ENOMEM / -ECANCELED (stopping) without calling fn. After 0,
 * fn is called exactly once: in the main loop with the answer, or from
 * ha_engine_free() (with the answer, or -ECANCELED when the engine never
 * took the command), so a caller may free what arg points to there.
 */
int ha_engine_switchover(struct ha_engine *e, bool force, ha_engine_done_fn fn, void *arg);

/*
 * Turns maintenance on or off (ha_fsm_maintenance()); fn gets 0 and what it
 * did (-EPERM on a standalone node), with ha_engine_switchover()'s promise.
 */
int ha_engine_maintenance(struct ha_engine *e, bool on, ha_engine_done_fn fn, void *arg);

/* Replaces the VIPs (copied): the active adds the new and removes the dropped at once. */
int ha_engine_vips_set(struct ha_engine *e, const struct ha_vip *vips, size_t n);

/* The configuration revision heartbeats carry. */
void ha_engine_revision_set(struct ha_engine *e, int64_t revision);

/* Whether IPVS is usable (available, and reconcile can read it); why in words when not. */
void ha_engine_ipvs_set(struct ha_engine *e, bool usable, const char *why);

/*
 * Whether the kernel holds all the configuration (no object reconcile's full
 * pass could not repair: HA_FLAG_CONFIG); what it refuses in words when not.
 * Not known (reconcile's first full pass still running): the flag is not
 * claimed, and an active does not step down for it.
 */
void ha_engine_config_set(struct ha_engine *e, bool complete, bool known, const char *why);

/*
 * Replication's word on the peer: "" when it holds every revision this node
 * committed (or nothing is replicated), else why not. An active does not
 * hand over to it of its own accord (ha_fsm_peer_behind()).
 */
void ha_engine_peer_behind_set(struct ha_engine *e, const char *why);

/* Subscribes to role changes / peer state changes; 0 or -ENOMEM. Main thread only. */
int ha_engine_role_subscribe(struct ha_engine *e, ha_role_hook_fn fn, void *arg);
int ha_engine_peer_subscribe(struct ha_engine *e, ha_peer_hook_fn fn, void *arg);

/*
 * Whether this node holds v now (its address on its interface, as the address
 * thread last saw it), and why in words: a static text, valid forever.
 * Any thread.
 */
bool ha_engine_vip_held(struct ha_engine *e, const struct ha_vip *v, const char **reason);

/* A copy of the last snapshot the heartbeat thread published (at most one ha_interval old). */
void ha_engine_status(struct ha_engine *e, struct status_cluster *out);

#endif
