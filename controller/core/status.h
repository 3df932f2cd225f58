/* What fulcrumd reports of itself and of each object beyond its configuration: the API's and the MIB's read side. */
#ifndef FULCRUM_CORE_STATUS_H
#define FULCRUM_CORE_STATUS_H

#include "controller/lib/looplag.h"

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

/* The health checks' counters since start (the engine's totals, as the daemon copies them). */
#define STATUS_CHECK_TYPES 5 /* none, tcp, http, https, external: model_check_type_name() */
struct status_checks {
	uint64_t runs[STATUS_CHECK_TYPES];   /* checks started, by type */
	uint64_t failed[STATUS_CHECK_TYPES]; /* of those, results that failed */
	uint64_t skipped;                    /* runs not started: the previous had not finished */
	uint64_t changes;                    /* state changes */
	uint32_t in_flight;                  /* running now */
	size_t targets;                      /* real servers the checks know */
	size_t probes;                       /* distinct checks run for them */
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
	struct looplag loop; /* the main loop's turns (controller/lib/looplag.h) */
	struct status_checks checks;
};

/* Fills out; its pointers stay valid while the daemon lives. */
typedef void (*status_daemon_fn)(void *arg, struct status_daemon *out);

/*
 * The SNMP subagent's requests since it started, counted where it handles
 * them (mib/): each request once, whatever its varbinds, phases or
 * repetitions.
 */
struct status_snmp {
	bool running; /* a subagent runs (agentx is set) */
	/* a GETBULK counts as a getnext: snmpd hands it to the subagent as GETNEXTs */
	uint64_t get, getnext, set;
	uint64_t set_refused; /* SETs answered with an error (refused, or failed) */
};

/* Fills out (running false, zeros: no subagent). */
typedef void (*status_snmp_fn)(void *arg, struct status_snmp *out);

/*
 * Failover (docs/ha.md): what the failover engine (controller/ha/) reports,
 * in types of their own so that the web, the MIB and fulcrumctl show it
 * without including ha/ headers. The daemon copies the engine's snapshot into
 * struct status_cluster; role and peer changes come as events.
 */

/* A director's role; the numbers are the heartbeat's (docs/ha.md, "The roles"). */
enum status_role {
	STATUS_ROLE_STARTING = 1, /* listening for ha_initdead before it may become active */
	STATUS_ROLE_ACTIVE,       /* holds the VIPs and serves */
	STATUS_ROLE_STANDBY,      /* ready to take over */
	STATUS_ROLE_FAULT, /* cannot serve (IPVS, main loop, links) or a failure not repaired */
	STATUS_ROLE_STANDALONE, /* no ha_peer: no failover; holds the configured VIPs itself */
};

/* What this node knows of its peer. */
enum status_peer_state {
	STATUS_PEER_UNKNOWN = 0, /* not heard since start */
	STATUS_PEER_ALIVE,       /* heard within ha_deadtime */
	STATUS_PEER_DEAD,        /* silent for ha_deadtime, or said it is shutting down */
};

/*
 * Health bits, as each heartbeat carries them (docs/ha.md, the wire format's
 * flags): the same numbers, so a MIB BITS object or the API can show them.
 */
#define STATUS_HA_IPVS        0x001u /* IPVS usable */
#define STATUS_HA_VIPS        0x002u /* holds the VIPs */
#define STATUS_HA_TIEBREAKER  0x004u /* reaches a tie-breaker */
#define STATUS_HA_LOOP        0x008u /* main loop alive */
#define STATUS_HA_CARRIER     0x010u /* links up */
#define STATUS_HA_ELIGIBLE    0x020u /* may be active */
#define STATUS_HA_MAINTENANCE 0x040u /* in maintenance */
#define STATUS_HA_YIELDING    0x080u /* stepped down, waiting for the peer */
#define STATUS_HA_HEARS_PEER  0x100u /* hears the other node */
#define STATUS_HA_CONFIG      0x200u /* the kernel holds all the configuration */

#define STATUS_HA_TEXT    192 /* a reason's room */
#define STATUS_HA_NAME    65  /* a node's or cluster's name and its NUL */
#define STATUS_HA_ADDR    64  /* "[v6]:port" and its NUL */
#define STATUS_HA_PATHS   2   /* heartbeat paths */
#define STATUS_HA_RESULTS 16  /* receive results (ha_packet_result), room for more */
#define STATUS_HA_TARGETS 8   /* tie-breaker targets shown */

/* One receive result's counter: "ok", "forged", "duplicate", ... (docs/ha.md, "Receiving"). */
struct status_ha_count {
	const char *name; /* static; NULL past the last */
	uint64_t n;
};

/* One heartbeat path (ha_peer/ha_bind, ha_peer2/ha_bind2). */
struct status_ha_path {
	char peer[STATUS_HA_ADDR]; /* the peer's address and port */
	char bind[STATUS_HA_ADDR]; /* the local address, "" for any */
	uint64_t sent;             /* datagrams sent */
	uint64_t send_errors;      /* sendto() failures (the last in send_error) */
	char send_error[96];
	uint64_t received;  /* datagrams from this path's peer address, accepted or not */
	int64_t last_heard; /* Unix ms of the last accepted message on this path; 0: never */
};

/* A tie-breaker target. */
struct status_ha_target {
	char addr[STATUS_HA_ADDR];
	int64_t last_answer; /* Unix ms; 0: never */
	uint64_t sent, answered;
};

/* The peer, as its last accepted message said. */
struct status_ha_peer {
	enum status_peer_state state;
	char name[STATUS_HA_NAME]; /* "" until heard */
	char addr[STATUS_HA_ADDR]; /* where its last accepted message came from */
	enum status_role role;
	uint64_t term;
	unsigned flags; /* STATUS_HA_* */
	unsigned priority;
	int64_t revision;    /* the configuration revision it holds */
	uint64_t epoch, seq; /* of its last accepted message */
	int64_t last_heard;  /* Unix ms; 0: never */
	uint64_t silent_ms;  /* ms since then, when the snapshot was taken */
	int64_t state_since; /* Unix ms of the last change of state */
};

/* Replication of the configuration to the standby (docs/ha.md, "Replication"). */
enum status_repl_state {
	STATUS_REPL_OFF = 0,     /* standalone: nothing to replicate */
	STATUS_REPL_WAITING,     /* no peer connected yet / connecting */
	STATUS_REPL_CATCHING_UP, /* streaming revisions the other side lacks */
	STATUS_REPL_SNAPSHOT,    /* sending or taking a whole snapshot */
	STATUS_REPL_IN_SYNC,     /* the standby holds every revision */
	STATUS_REPL_ALONE,       /* active: the standby is gone or late; writes go on without it */
	STATUS_REPL_DIVERGED,    /* the two histories differ: a resync is under way or needed */
	STATUS_REPL_REFUSED,     /* the peer was refused, or refused us (key, cluster, schema) */
};

/* "off", "waiting", "catching_up", "snapshot", "in_sync", "alone", "diverged", "refused"; NULL outside. */
const char *status_repl_state_name(enum status_repl_state s);

struct status_repl;

/*
 * Whether an active with replication r may hand over by a switchover that
 * was not forced: only to a standby that holds every revision (state
 * in_sync, nothing unacknowledged); otherwise the switchover would lose
 * configuration the operators committed, and why says so in words (the
 * state, how far behind). A standalone node (state off) is not for this
 * rule to refuse. Returns true when it may.
 */
bool status_repl_may_hand_over(const struct status_repl *r, char *why, size_t whylen);

struct status_repl {
	enum status_repl_state state;
	char side[8];              /* "active" (serves), "standby" (follows), "" */
	char peer[STATUS_HA_NAME]; /* the other director's node name, "" before a HELLO */
	char mode[8];              /* commit mode: "sync" or "async" */
	int64_t revision;          /* this node's */
	int64_t peer_revision; /* active: what the standby acknowledged; standby: the active's */
	int64_t lag_revisions; /* active: revision - peer_revision */
	double lag_ms;         /* active: how long the oldest unacknowledged revision waits */
	/*
	 * active: of the last lag_samples (at most 1024) revisions the standby
	 * acknowledged, the time from each one's commit here to its
	 * acknowledgement: median, 99th percentile, largest (ms; 0 without samples)
	 */
	size_t lag_samples;
	double lag_p50_ms, lag_p99_ms, lag_max_ms;
	int64_t since;              /* Unix ms of the last state change */
	char error[STATUS_HA_TEXT]; /* the last failure, "" when none */
	/* the last digest comparison: revision, whether equal, when (0: never) */
	int64_t digest_revision;
	bool digest_equal;
	int64_t digest_at;
	/* counters since start */
	uint64_t revisions_sent, revisions_applied, acks, snapshots_sent, snapshots_taken, connects,
	    refusals, divergences;
	/*
	 * where this node's own revisions went after a divergence (FILE.diverged-*),
	 * or its change log after a snapshot its history could not be compared
	 * with (FILE.unverified-*); "" when neither happened
	 */
	char export_file[256];
};

/*
 * A change of replication's state that an operator hears of (the
 * fulcrumReplStateChange notification, the event stream's "replication"),
 * as status_repl_notable() picks them. Published on the main loop.
 */
struct status_repl_change {
	enum status_repl_state state, previous; /* previous: the state right before this one */
	char peer[STATUS_HA_NAME];              /* the other director's name, "" before a HELLO */
	char reason[STATUS_HA_TEXT];            /* why, in words; "" for the return to in_sync */
	int64_t at;                             /* Unix ms */
	int64_t revision, peer_revision, lag_revisions; /* as status_repl has them then */
};

/*
 * Whether a change to state s is told to operators, when the last state told
 * was last (STATUS_REPL_OFF before any): entering alone, diverged or refused
 * (each once, until another of them or in_sync is told), and in_sync after
 * one of those (the all-clear). The steps between (waiting, catching_up,
 * snapshot, and in_sync after them alone: an active goes catching_up and back
 * at each write) are not: the log and the API's state show them.
 */
bool status_repl_notable(enum status_repl_state last, enum status_repl_state s);

/*
 * The whole failover status (GET /api/v1/cluster, the MIB's cluster group,
 * fulcrumctl cluster): a copy, complete in itself, no pointers to follow
 * but the counters' static names. Times are Unix milliseconds (0: never).
 */
struct status_cluster {
	bool enabled; /* ha_peer set; false: standalone (role STANDALONE, the rest zero) */
	char node[STATUS_HA_NAME], cluster[STATUS_HA_NAME];
	enum status_role role;
	uint64_t term;
	unsigned flags; /* this node's STATUS_HA_* as its heartbeats carry them */
	unsigned priority;
	bool maintenance;
	uint64_t epoch;               /* this run's boot epoch */
	int64_t revision;             /* the configuration revision heartbeats carry */
	int64_t since;                /* the last role change */
	char reason[STATUS_HA_TEXT];  /* why that change */
	char blocked[STATUS_HA_TEXT]; /* what keeps a wanted change from happening, or "" */
	char health[STATUS_HA_TEXT];  /* what is wrong with this node, or "" */
	struct status_ha_peer peer;
	size_t npaths;
	struct status_ha_path paths[STATUS_HA_PATHS];
	/* counters since start */
	uint64_t sent, sent_stepdown, send_errors;
	struct status_ha_count received[STATUS_HA_RESULTS]; /* by result, name NULL at the end */
	uint64_t role_changes;
	/* the VIPs */
	size_t vips;            /* configured */
	size_t vips_held;       /* on their interfaces now (as the address thread last saw) */
	uint64_t vips_put_back; /* deleted behind this node's back and added again */
	uint64_t announcements; /* gratuitous ARPs and unsolicited NAs sent */
	/* tie-breakers */
	size_t ntargets;
	bool tiebreaker_reached;
	struct status_ha_target targets[STATUS_HA_TARGETS];
	/* IPVS's connection sync daemon: "master", "backup", "none" (what was asked last) */
	char sync_state[16];
	char sync_error[STATUS_HA_TEXT]; /* the last failure, or "" */
	double sync_last_ms;             /* how long the last start or stop took */
	/* the heartbeat thread's timing: how late it woke for a send, worst since start */
	double late_max_ms;
	uint64_t late_over_half; /* wake-ups later than half an ha_interval */
	uint64_t freezes;        /* wake-ups over an interval late: this node was frozen */
	bool realtime;           /* the heartbeat thread runs SCHED_FIFO */
	struct status_repl repl; /* replication of the configuration (OFF when standalone) */
};

/* Fills out; the daemon's callback for the web and the MIB. */
typedef void (*status_cluster_fn)(void *arg, struct status_cluster *out);

/* A role change, as the role-change event carries it (and as role history stores it). */
struct status_role_change {
	enum status_role role, previous;
	uint64_t term;
	int64_t at; /* Unix ms */
	char reason
	    [STATUS_HA_TEXT]; /* "peer ldirector1 silent for 312 ms, last heard seq 88120: ..." */
	char peer[STATUS_HA_NAME]; /* the peer's name, "" if never heard */
};

/* A change of the peer's state (alive, dead). */
struct status_peer_change {
	enum status_peer_state state, previous;
	char peer[STATUS_HA_NAME];
	int64_t at;         /* Unix ms */
	uint64_t silent_ms; /* to dead: how long it had been silent */
};

/*
 * The role history (this node's role changes, kept in its database across
 * restarts): the newest max, newest first, into out[0..*n). 0 or a negative
 * errno.
 */
typedef int (*status_role_history_fn)(void *arg, size_t max, struct status_role_change *out,
				      size_t *n);

/*
 * The failover commands an operator gives (POST /api/v1/cluster/switchover
 * and /maintenance, fulcrumHaSwitchover and fulcrumHaMaintenance, fulcrumctl
 * cluster): the web and the MIB ask through a callback the daemon gives them,
 * and hear the engine's answer later, in the main loop.
 */
enum status_cluster_cmd {
	STATUS_CLUSTER_SWITCHOVER =
	    1,                      /* flag: force (step down even when the peer is not healthy) */
	STATUS_CLUSTER_MAINTENANCE, /* flag: on */
};

/*
 * A command's answer: rc 0 (done; reason says what changed), -EPERM (not on
 * this node: not active, or standalone), -EAGAIN (the peer cannot take over
 * and the switchover was not forced), -ECANCELED (fulcrumd stopped before the
 * engine took it: nothing was done). reason is in words, valid during the call.
 */
typedef void (*status_cluster_done_fn)(void *arg, int rc, const char *reason);

/*
 * Asks the failover engine for cmd. Returns 0, and then done(done_arg, ...)
 * is called exactly once, in the main loop, never from inside this call (and
 * at the latest when the daemon frees the engine, with -ECANCELED); or a
 * negative errno without ever calling done: -ECANCELED (fulcrumd is stopping),
 * -ENOMEM (too many commands waiting), -ENOTCONN (the engine is not running
 * yet). done may be NULL (nobody waits for the answer).
 */
typedef int (*status_cluster_cmd_fn)(void *arg, enum status_cluster_cmd cmd, bool flag,
				     status_cluster_done_fn done, void *done_arg);

/* "starting", "active", "standby", "fault", "standalone"; NULL outside the enum. */
const char *status_role_name(enum status_role role);

/* The role of a name status_role_name() gives; 0 for any other text. */
enum status_role status_role_parse(const char *name);

/* "unknown", "alive", "dead"; NULL outside the enum. */
const char *status_peer_state_name(enum status_peer_state state);

/*
 * The name of one STATUS_HA_* bit ("ipvs", "vips", "tiebreaker", "loop",
 * "carrier", "eligible", "maintenance", "yielding", "hears_peer", "config"); NULL for
 * any other value, several bits included.
 */
const char *status_ha_flag_name(unsigned flag);

/*
 * Whether a director in c's state refuses configuration writes (the store's
 * write gate, docs/ha.md "Writes on the standby"): only the one that accepts
 * writes takes them. Refused in starting and standby; in fault only while
 * the peer is alive and active (someone else takes them); never on the
 * active nor on a standalone node (no ha_peer). When it refuses, why gets
 * "this director is <role>" and active the address the active is reached
 * at, without the heartbeat's port: the peer's as its last message came
 * from, else the first configured ha_peer ("" when neither is known). Both
 * get "" when it does not refuse.
 */
bool status_writes_refused(const struct status_cluster *c, char *why, size_t whylen, char *active,
			   size_t activelen);

#endif
