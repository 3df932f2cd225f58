/* fulcrumd's running state: the event loop and the modules plugged into it. */
#ifndef FULCRUM_DAEMON_H
#define FULCRUM_DAEMON_H

#include "controller/core/conf.h"
#include "controller/core/status.h"
#include "controller/lib/hook.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ackwait;
struct auth;
struct daemon;
struct db;
struct event_base;
struct health;
struct oper;
struct oper_kernel;
struct reconcile;
struct store;

/*
 * Builds the daemon from conf: opens (and migrates) the database, loads the
 * in-memory store and the API tokens, checks the HA settings and loads the
 * key file when ha_peer is set (refusing to start with the key loader's
 * message), probes IPVS, creates the event loop and
 * its signal handlers. Returns 0, or a negative
 * errno with err saying what failed and where; *out is then NULL.
 */
int daemon_new(const struct conf *conf, struct daemon **out, char *err, size_t errlen);

/*
 * Starts the failover engine (a standalone node's too: it holds the VIPs),
 * then runs the event loop until SIGTERM or SIGINT; with a peer, the engine
 * steps down and releases the VIPs first. Under systemd it says READY=1 in
 * the loop's first turn after reconcile's first pass started, then pings the
 * watchdog from the loop (daemon-int.h, daemon_notify_start()). Leaves IPVS
 * as it is. Returns 0 on a clean stop, a negative errno if the engine could
 * not start (logged) or the loop failed.
 */
int daemon_run(struct daemon *d);

/*
 * Tells systemd (sd_notify(3)) what fulcrumd does while it starts, before
 * the loop runs: STATUS=starting: and the text fmt makes. Nothing without a
 * notification socket.
 */
void daemon_notify_starting(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Tells systemd that the start failed and why (STATUS=cannot start: why,
 * which `systemctl status` shows), and waits up to a second for systemd to
 * have read it, so that the process may exit at once. Nothing without a
 * notification socket.
 */
void daemon_notify_failed(const char *why);

/* Frees the daemon and closes the database; accepts NULL. */
void daemon_free(struct daemon *d);

/* The event loop, for modules to add their events to. */
struct event_base *daemon_base(struct daemon *d);

/* The modules main plugs in use these; each stays valid while d lives. */
struct store *daemon_store(struct daemon *d);
struct db *daemon_db(struct daemon *d);
struct auth *daemon_auth(struct daemon *d);
struct reconcile *daemon_reconcile(struct daemon *d);
struct oper *daemon_oper(struct daemon *d);
struct health *daemon_health(struct daemon *d);

/*
 * What the health checks say of real server rs_id: the engine's answer, or
 * up "no check configured" when its check is none (no target of the engine).
 */
struct health_state;
void daemon_health_of(struct daemon *d, int64_t rs_id, struct health_state *out);

/* Kernel states and health as the state tracker reads them (for the API and the MIB). */
const struct oper_kernel *daemon_oper_kernel(struct daemon *d);

/* The kernel states' and counters' version: it moves when reconcile may have changed one. */
uint64_t daemon_generation(struct daemon *d);

/* Fills st; pointers stay valid while d lives. */
void daemon_status_get(struct daemon *d, struct status_daemon *st);

/*
 * The failover status (controller/core/status.h): the engine's last snapshot,
 * or a standalone node's empty one before daemon_run() started the engine.
 */
void daemon_cluster_get(struct daemon *d, struct status_cluster *out);

/*
 * The role history, newest first (status_role_history_fn's contract): up to
 * 32 rows from memory (the database's at start, then each change), more from
 * the database.
 */
int daemon_role_history(struct daemon *d, size_t max, struct status_role_change *out, size_t *n);

/*
 * The failover engine's events, passed on in the main loop: each role change
 * after it is in the role history, each change of the peer's state. They
 * exist from daemon_new(), so modules subscribe before daemon_run() starts
 * the engine and miss nothing. Subscribe: 0 or -ENOMEM; a subscriber freed
 * before the daemon unsubscribes.
 */
HOOK_DECLARE(daemon_role_hook, struct status_role_change)
HOOK_DECLARE(daemon_peer_hook, struct status_peer_change)
int daemon_role_subscribe(struct daemon *d, daemon_role_hook_fn fn, void *arg);
void daemon_role_unsubscribe(struct daemon *d, daemon_role_hook_fn fn, void *arg);
int daemon_peer_subscribe(struct daemon *d, daemon_peer_hook_fn fn, void *arg);
void daemon_peer_unsubscribe(struct daemon *d, daemon_peer_hook_fn fn, void *arg);

/*
 * Replication's changes of state that operators hear of (to alone, diverged,
 * refused, and back to in_sync: status_repl_notable()), passed on in the
 * main loop like the engine's events; never on a standalone node. Same
 * contract as the two above.
 */
HOOK_DECLARE(daemon_repl_hook, struct status_repl_change)
int daemon_repl_subscribe(struct daemon *d, daemon_repl_hook_fn fn, void *arg);
void daemon_repl_unsubscribe(struct daemon *d, daemon_repl_hook_fn fn, void *arg);

/*
 * A switchover or maintenance command for the engine: status_cluster_cmd_fn's
 * contract (-ENOTCONN before daemon_run() started the engine, -ECANCELED once
 * fulcrumd is stopping).
 */
int daemon_cluster_command(struct daemon *d, enum status_cluster_cmd cmd, bool flag,
			   status_cluster_done_fn done, void *arg);

/*
 * The barrier of commit mode sync (controller/core/ackwait.h), for the API
 * and the SNMP SETs to wait on and for replication to drive: made by
 * daemon_new() in mode ACKWAIT_OFF with repl_sync_timeout, valid while d
 * lives. When a wait times out it logs that this director goes on alone.
 * Replication sets its mode (ACKWAIT_SYNC once the standby holds the
 * active's revision, and only with repl_mode sync), reports each
 * acknowledgement, and calls ackwait_dispatch() on the loop after each (and
 * after a mode change) so the API's waiting groups are answered; the API's
 * own timer answers them at their timeout, the SET's wait times itself.
 */
struct ackwait *daemon_ackwait(struct daemon *d);

/* Replication's state (controller/ha/repl.h); STATUS_REPL_OFF on a standalone node. */
struct status_repl;
void daemon_repl_get(struct daemon *d, struct status_repl *out);

/* The failover engine, for commands (switchover, maintenance); NULL before daemon_run(). */
struct ha_engine;
struct ha_engine *daemon_ha(struct daemon *d);

/*
 * Whether this director holds VIP id now: its address on its interface, as
 * the failover engine's address thread last saw it. out->reason stays valid
 * while d lives.
 */
void daemon_vip_status(struct daemon *d, int64_t id, struct status_vip *out);

#endif
