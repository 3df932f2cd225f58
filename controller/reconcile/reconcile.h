/* Reconcile: makes the kernel's IPVS table match the store, with the fewest netlink operations. */
#ifndef FULCRUM_RECONCILE_H
#define FULCRUM_RECONCILE_H

#include "controller/core/status.h"
#include "controller/core/store.h"
#include "controller/ipvs/ipvs.h"

#include <stdbool.h>
#include <stdint.h>

struct reconcile;
struct event_base;

/* Whether a health check has found real server rs_id down (NULL: no checks). */
typedef bool (*reconcile_health_fn)(void *arg, int64_t rs_id);

struct reconcile_conf {
	unsigned interval_ms; /* full pass (drift repair, counters) period; 0: none */
	bool own_table;       /* delete kernel services Fulcrum does not manage */
	reconcile_health_fn health_down;
	void *health_arg;
};

/* Totals since start, for status lines, the API and benchmarks. */
struct reconcile_totals {
	uint64_t passes;  /* full passes completed */
	uint64_t syncs;   /* service syncs, after commits and in passes */
	uint64_t ops;     /* netlink writes */
	uint64_t repairs; /* writes a full pass made: drift */
	uint64_t errors;  /* writes the kernel refused */
	uint64_t changes; /* moves when kernel states or reasons changed (a pass's: at its end) */
	double
	    last_pass_ms;  /* the last full pass, first slice to last, loop work between included */
	bool dump_failing; /* the last full pass could not read the kernel's services */
	char dump_error[128]; /* why, in words */
	/*
	 * Objects the kernel keeps refusing: enabled services and real servers
	 * whose last write the kernel refused, retried by a full pass and
	 * refused again (reconcile_stuck_next()). The failover engine hears it
	 * as its configuration flag (reconcile_complete()): this node's IPVS
	 * cannot hold all its store holds, and serves the rest.
	 */
	size_t stuck;
	char stuck_what[160]; /* one of them and the kernel's reason, in words; "" when none */
};

/*
 * Starts reconciling st into ipvs on base: a full pass as soon as the loop
 * runs (adopting what the kernel holds for the store's services, without
 * flushing), a sync of what each committed revision changed, and a full pass
 * again interval_ms after each one ends (passes never overlap). A full pass
 * runs in slices of about 10 ms with the loop free between them, so a large
 * table never holds the API, the subagent or the health checks for long;
 * commits are synced between slices as always. When ipvs is unavailable it
 * does nothing and says so in every object's state. Returns 0 or a negative
 * errno.
 */
int reconcile_new(struct event_base *base, struct store *st, struct ipvs *ipvs,
		  const struct reconcile_conf *conf, struct reconcile **out);

/* Stops and frees; leaves the kernel as it is. Accepts NULL. */
void reconcile_free(struct reconcile *recon);

/*
 * Syncs service vs_id now, as after a commit that changed it: when a real
 * server's health changed (a failed one gets weight 0 or leaves the kernel
 * by its check's on_failure; the service's fallback server comes in when
 * none of its real servers is up, and leaves when one is).
 */
void reconcile_vs_sync(struct reconcile *recon, int64_t vs_id);

/* Kernel state of service id / real server id. */
void reconcile_vs_kernel(struct reconcile *recon, int64_t id, struct status_kernel *out);
void reconcile_rs_kernel(struct reconcile *recon, int64_t id, struct status_kernel *out);

/*
 * Zeroes the kernel's counters and rates of service id and its real servers
 * (and the cached copies the API and the MIB serve). Returns 0, -ESRCH when
 * the kernel does not hold the service, or the kernel's negative errno.
 */
int reconcile_vs_zero(struct reconcile *recon, int64_t id);

/*
 * Whether the kernel holds service id, so that reconcile_vs_zero() can zero
 * its counters: its one check, for the SNMP SET that asks first (the API's
 * reset answers 409 where this is false).
 */
bool reconcile_vs_held(const struct reconcile *recon, int64_t id);

void reconcile_totals_get(const struct reconcile *recon, struct reconcile_totals *out);

/*
 * Where the first full pass, the one at start, stands: fulcrumd tells systemd
 * it is ready once it has started, and says how far it is while it runs.
 * started: its first slice ran (the kernel's services were read, or could
 * not be); done: it ended. While it is in the services, services_done of
 * services are done. With IPVS unavailable no pass runs: all stay zero.
 */
struct reconcile_first {
	bool started, done;
	size_t services_done, services;
};
void reconcile_first_get(const struct reconcile *recon, struct reconcile_first *out);

#endif
