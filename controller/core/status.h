/* What fulcrumd reports of itself and of each object beyond its configuration: the API's and the MIB's read side. */
#ifndef FULCRUM_CORE_STATUS_H
#define FULCRUM_CORE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * The web and the MIB read these through callbacks the daemon gives them,
 * so that neither includes reconcile, the health checks or the IPVS client:
 * the daemon (controller/daemon.c) fills them from those modules.
 */

/* Where an object stands in the kernel (reconcile decides; the types live here for its readers). */
enum status_kernel_state {
	STATUS_KERNEL_PENDING = 0, /* not reconciled yet */
	STATUS_KERNEL_IN_SYNC,     /* the kernel holds it as configured (or, disabled, lacks it) */
	STATUS_KERNEL_ERROR,       /* the kernel refused it: reason says why */
	STATUS_KERNEL_UNAVAILABLE, /* this kernel has no IPVS */
};

/* IPVS's counters and rates of one service or real server, as the last pass or sync read them. */
struct status_counters {
	uint64_t conns;    /* connections scheduled */
	uint64_t inpkts;   /* packets from clients */
	uint64_t outpkts;  /* packets to clients (masq only) */
	uint64_t inbytes;  /* bytes from clients */
	uint64_t outbytes; /* bytes to clients */
	uint64_t cps;      /* connections per second */
	uint64_t inpps;    /* packets per second from clients */
	uint64_t outpps;   /* packets per second to clients */
	uint64_t inbps;    /* bytes per second from clients */
	uint64_t outbps;   /* bytes per second to clients */
};

/* An object's kernel state and, while the kernel holds it, its counters. */
struct status_kernel {
	enum status_kernel_state state;
	const char *reason; /* valid until the loop runs on; "" when none */
	bool present;       /* the kernel holds it now: the counters mean something */
	struct status_counters stats;
	uint32_t active_conns, inactive_conns; /* real servers only */
};

/* "pending", "in_sync", "error", "unavailable"; NULL outside the enum. */
const char *status_kernel_state_name(enum status_kernel_state state);

/* Everything an object carries beside its configuration (the API's "status" block). */
struct status_object {
	struct status_kernel kernel;
	const char *oper_state; /* "up", "degraded" (services), "down", "unknown"; NULL: unknown */
	char oper_reason[160];  /* why, or "" */
	/* real servers: what the health checks say */
	const char *health_state; /* "unknown", "up", "down"; NULL: no health block */
	char health_reason[160];
	int64_t health_last_check, health_last_change; /* Unix seconds; 0: never */
	uint32_t health_failures;                      /* consecutive */
};

/* Fills out for service id, or real server id when real is true. */
typedef void (*status_object_fn)(void *arg, bool real, int64_t id, struct status_object *out);

/*
 * Whether this director holds a VIP now: its address is on its interface
 * here. The failover engine knows; until it exists the daemon says no, and
 * why. A callback, so that the engine plugs in without the web or the MIB
 * knowing it.
 */
struct status_vip {
	bool held;
	const char *reason; /* why it is or is not held, in words; valid until the loop runs on */
};

/* Fills out for VIP id (held false and a reason when id is no VIP). */
typedef void (*status_vip_fn)(void *arg, int64_t id, struct status_vip *out);

/* IPVS as fulcrumd found it at its start. */
struct status_ipvs {
	bool available;
	char version[16];         /* "1.2.1"; "" when unavailable */
	unsigned conn_table_size; /* connection hash table entries */
	const char *reason;       /* why IPVS is unavailable, in words; "" when available */
};

/* What fulcrumd reports of itself (logged on SIGUSR1, GET /api/v1/status, the MIB's scalars). */
struct status_daemon {
	const char *node_name;
	const char *version;
	time_t started;
	int64_t revision;
	size_t services;
	size_t reals;
	struct status_ipvs ipvs;
};

/* Fills out; its pointers stay valid while the daemon lives. */
typedef void (*status_daemon_fn)(void *arg, struct status_daemon *out);

#endif
