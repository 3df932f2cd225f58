/* The HTTP admin API and web page: what fulcrumd's main needs to start and stop them. */
#ifndef FULCRUM_WEB_H
#define FULCRUM_WEB_H

#include "controller/core/auth.h"
#include "controller/core/conf.h"
#include "controller/core/status.h"
#include "controller/core/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ackwait;
struct event_base;
struct web;

/* A number that changes whenever any object's kernel state may have changed. */
typedef uint64_t (*web_kernel_generation_fn)(void *arg);

/* Zeroes the kernel's counters of service id: 0, -ESRCH (not in the kernel) or a negative errno. */
typedef int (*web_reset_fn)(void *arg, int64_t id);

/* What the web module is given; every pointer must outlive the web. */
struct web_params {
	struct event_base *base; /* the loop MHD runs in, on the loop's thread */
	struct store *store;     /* every read and write of the model */
	struct auth *auth;       /* bearer tokens */
	const struct conf *conf; /* http, http_tls_*, http_max_body, http_timeout, web_root,
				    metrics_allow */
	status_daemon_fn status;
	void *status_arg;
	status_object_fn kernel; /* NULL: "pending", or "unavailable" with IPVS's reason */
	web_kernel_generation_fn kernel_generation; /* NULL: none changes */
	void *kernel_arg;
	web_reset_fn reset; /* NULL: no counters to reset (409) */
	void *reset_arg;
	status_vip_fn vip; /* whether this director holds a VIP; NULL: not held, nothing says */
	void *vip_arg;
	status_cluster_fn cluster; /* the failover status; NULL: a standalone node's */
	void *cluster_arg;
	status_role_history_fn role_history; /* the last role changes; NULL: none kept */
	void *role_history_arg;
	status_cluster_cmd_fn cluster_cmd; /* switchover and maintenance; NULL: refused (409) */
	void *cluster_cmd_arg;
	status_snmp_fn snmp; /* the SNMP subagent's request counters; NULL: no subagent */
	void *snmp_arg;
	/*
	 * Commit mode sync (controller/core/ackwait.h): a group's committed writes
	 * are answered once the standby holds the group's highest revision, or
	 * the barrier says not to wait. NULL: answers never wait (no replication).
	 * Called on the loop's thread; its waiters are answered by
	 * ackwait_dispatch(), from replication's handler or the web's own timer.
	 */
	struct ackwait *ackwait;
};

/*
 * Checks the HTTP settings of conf without opening anything but the TLS files:
 * the listening address, TLS set fully or not at all, a key file readable by
 * its owner only. Returns 0, or a negative errno with err saying what and
 * naming the setting or file. fulcrumd calls it before it detaches.
 */
int web_conf_validate(const struct conf *conf, char *err, size_t errlen);

/*
 * Starts the API: binds conf->http, adds its events to p->base and subscribes
 * to p->store. With conf->http empty it does nothing and sets *out to NULL.
 * Returns 0, or a negative errno with err saying what failed (a port in use,
 * an unreadable key); *out is then NULL. The store must not be written to
 * after web_free().
 */
int web_open(const struct web_params *p, struct web **out, char *err, size_t errlen);

/*
 * Tells every open event stream that an object's state changed: "event:
 * state" with json, one JSON object on one line (its object, id, states
 * and reasons). No id: state events are not replayed.
 */
void web_state_event(struct web *w, const char *json);

/*
 * Whether an event stream is open to hear state events: when none is, the
 * caller need not build them (after a first pass at 10,000 services,
 * 110,000 objects leave unknown at once).
 */
bool web_state_events_wanted(const struct web *w);

/*
 * Tell every open event stream of a role change ("event: role": role,
 * previous, term, reason, at, peer), a change of the peer's state ("event:
 * peer": state, previous, peer, at, silent_ms) or a notable change of
 * replication's state ("event: replication": state, previous, peer, reason,
 * at, revision, peer_revision, lag_revisions), one JSON object on one line,
 * no id (not replayed), as state events. web is a struct web: the signatures
 * are the daemon's hooks' (controller/daemon.h), so fulcrumd subscribes them
 * as they are.
 */
void web_role_event(void *web, const struct status_role_change *ev);
void web_peer_event(void *web, const struct status_peer_change *ev);
void web_repl_event(void *web, const struct status_repl_change *ev);

/* Closes every connection (event streams end) and frees the web; accepts NULL. */
void web_free(struct web *w);

#endif
