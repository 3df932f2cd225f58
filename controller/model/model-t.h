/* Types of Fulcrum's desired configuration: virtual services, real servers and VIPs. */
#ifndef FULCRUM_MODEL_T_H
#define FULCRUM_MODEL_T_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define FULCRUM_NAME_MAX   64  /* service name, without the NUL */
#define FULCRUM_DESC_MAX   255 /* description, bytes, without the NUL */
#define FULCRUM_IFNAME_MAX 15  /* network interface name, without the NUL (IFNAMSIZ - 1) */

enum fulcrum_protocol {
	FULCRUM_PROTO_NONE = 0, /* firewall-mark services have none */
	FULCRUM_PROTO_TCP,
	FULCRUM_PROTO_UDP,
	FULCRUM_PROTO_SCTP,
};

/* Every scheduler IPVS has; the kernel may lack some modules. */
enum fulcrum_scheduler {
	FULCRUM_SCHED_RR = 0,
	FULCRUM_SCHED_WRR,
	FULCRUM_SCHED_LC,
	FULCRUM_SCHED_WLC,
	FULCRUM_SCHED_LBLC,
	FULCRUM_SCHED_LBLCR,
	FULCRUM_SCHED_DH,
	FULCRUM_SCHED_SH,
	FULCRUM_SCHED_SED,
	FULCRUM_SCHED_NQ,
	FULCRUM_SCHED_FO,
	FULCRUM_SCHED_OVF,
	FULCRUM_SCHED_MH,
	FULCRUM_SCHED_TWOS,
	FULCRUM_SCHED_COUNT,
};

/* Scheduler flags, as IPVS's sched-flag-1/2 mean them for sh and mh. */
#define FULCRUM_SCHED_F_FALLBACK 0x1u /* "fallback": skip unavailable servers */
#define FULCRUM_SCHED_F_PORT     0x2u /* "port": hash the source port too */

enum fulcrum_vs_admin {
	FULCRUM_VS_ENABLED = 0,
	FULCRUM_VS_DISABLED,
};

enum fulcrum_forwarding {
	FULCRUM_FWD_MASQ = 0, /* NAT */
	FULCRUM_FWD_ROUTE,    /* direct routing */
	FULCRUM_FWD_TUNNEL,   /* IP-in-IP, GUE or GRE */
};

enum fulcrum_tunnel {
	FULCRUM_TUN_NONE = 0, /* not a tunnel */
	FULCRUM_TUN_IPIP,
	FULCRUM_TUN_GUE,
	FULCRUM_TUN_GRE,
};

enum fulcrum_rs_admin {
	FULCRUM_RS_ENABLED = 0,
	FULCRUM_RS_DRAINED,  /* weight 0 in the kernel, existing connections finish */
	FULCRUM_RS_DISABLED, /* absent from the kernel */
};

/* Where a change came from; recorded in the change log. */
enum fulcrum_origin {
	FULCRUM_ORIGIN_HTTP = 0,
	FULCRUM_ORIGIN_SNMP,
	FULCRUM_ORIGIN_IMPORT,
	FULCRUM_ORIGIN_SYNC,
	FULCRUM_ORIGIN_CLI,
};

/*
 * The kinds of object the configuration is made of: what the change log's
 * object_type names ("service", "real", "vip"; model_kind_name()), and what
 * a commit event says each change was about.
 */
enum fulcrum_kind {
	FULCRUM_KIND_VS = 0, /* a virtual service */
	FULCRUM_KIND_RS,     /* a real server */
	FULCRUM_KIND_VIP,    /* a virtual IP address the active director holds */
};

/* An IPv4 or IPv6 address; family is AF_INET, AF_INET6, or AF_UNSPEC (none). */
struct fulcrum_addr {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
};

/* How a real server's health is checked (ldirectord's checks and more). */
enum fulcrum_check_type {
	FULCRUM_CHECK_NONE = 0, /* always up */
	FULCRUM_CHECK_TCP,      /* a TCP connection opens */
	FULCRUM_CHECK_HTTP,     /* a GET (or HEAD) answers as expected */
	FULCRUM_CHECK_HTTPS,
	FULCRUM_CHECK_EXTERNAL, /* a command (no shell) exits 0 */
};

/* What a failed check does to the real server in the kernel. */
enum fulcrum_on_failure {
	FULCRUM_ON_FAILURE_QUIESCE =
	    0,                     /* weight 0: existing connections finish (ldirectord's way) */
	FULCRUM_ON_FAILURE_REMOVE, /* out of the kernel */
};

#define FULCRUM_CHECK_PATH_MAX    255 /* path, host, expect, expect_regex: bytes without NUL */
#define FULCRUM_CHECK_STATUS_MAX  63  /* expect_status: "200", "200-299,301" */
#define FULCRUM_CHECK_COMMAND_MAX 255 /* external: the program and its arguments, space-separated */

/*
 * A service's health check: what to ask each real server, how often, and
 * what a failure does. Defaults (model_check_init()): type none, path "/",
 * expect_status "200", verify_tls true, interval 5 s, timeout 3 s, rise 2,
 * fall 3, on_failure quiesce.
 */
struct fulcrum_check {
	enum fulcrum_check_type type;
	char path[FULCRUM_CHECK_PATH_MAX + 1];
	char host[FULCRUM_CHECK_PATH_MAX + 1]; /* the Host header; "": the address */
	bool head;                             /* HEAD instead of GET (then no body to match) */
	char expect_status[FULCRUM_CHECK_STATUS_MAX + 1];
	char expect[FULCRUM_CHECK_PATH_MAX + 1]; /* found in the body's first 512 bytes; "": none */
	char expect_regex[FULCRUM_CHECK_PATH_MAX + 1]; /* POSIX extended; "": none */
	bool verify_tls;
	char command[FULCRUM_CHECK_COMMAND_MAX +
		     1];                   /* external; gets address and port as arguments */
	uint32_t interval;                 /* seconds, 1..3600 */
	uint32_t timeout;                  /* seconds, 1..300, at most interval */
	uint32_t rise, fall;               /* consecutive results to change state, 1..100 */
	struct fulcrum_addr check_address; /* AF_UNSPEC: the real server's address */
	uint16_t check_port;               /* 0: the real server's port */
	enum fulcrum_on_failure on_failure;
};

/* Fields of a real server's own check (struct fulcrum_check_override.set). */
#define FULCRUM_CHECK_F_TYPE          0x001u
#define FULCRUM_CHECK_F_INTERVAL      0x002u
#define FULCRUM_CHECK_F_TIMEOUT       0x004u
#define FULCRUM_CHECK_F_RISE          0x008u
#define FULCRUM_CHECK_F_FALL          0x010u
#define FULCRUM_CHECK_F_CHECK_ADDRESS 0x020u
#define FULCRUM_CHECK_F_CHECK_PORT    0x040u
#define FULCRUM_CHECK_F_ON_FAILURE    0x080u
#define FULCRUM_CHECK_F_VERIFY_TLS    0x100u

/*
 * A real server's own check: the fields whose bit is in set override its
 * service's. What is asked (path, host, expected answer, command) stays the
 * service's: it describes the application; where and how often is per server.
 * Kept small on purpose: 100,000 real servers carry one each.
 */
struct fulcrum_check_override {
	uint32_t set; /* FULCRUM_CHECK_F_*; 0: none */
	enum fulcrum_check_type type;
	uint32_t interval, timeout, rise, fall;
	struct fulcrum_addr check_address;
	uint16_t check_port;
	enum fulcrum_on_failure on_failure;
	bool verify_tls;
};

/* The "sorry" server put in when no real server of a service is up; addr AF_UNSPEC: none. */
struct fulcrum_fallback {
	struct fulcrum_addr addr;
	uint16_t port;
	enum fulcrum_forwarding forwarding;
};

/*
 * A virtual service, as configured. Either addr+port+protocol, or fwmark (then
 * addr.family is AF_UNSPEC, port 0, protocol NONE, and family says v4 or v6).
 */
struct fulcrum_vs {
	int64_t id; /* stable, never reused; 0 before it is stored */
	char name[FULCRUM_NAME_MAX + 1];
	int family; /* AF_INET or AF_INET6: of addr, or of a fwmark service */
	struct fulcrum_addr addr;
	uint16_t port;
	enum fulcrum_protocol protocol;
	uint32_t fwmark; /* 0: not a firewall-mark service */
	enum fulcrum_scheduler scheduler;
	unsigned scheduler_flags;     /* FULCRUM_SCHED_F_* */
	uint32_t persistence_timeout; /* seconds; 0: no persistence */
	uint8_t persistence_netmask;  /* prefix length: 0..32 (v4), 0..128 (v6) */
	bool one_packet;
	enum fulcrum_vs_admin admin_state;
	char description[FULCRUM_DESC_MAX + 1];
	struct fulcrum_check check;
	struct fulcrum_fallback fallback;
	uint32_t min_up; /* fewer real servers up: degraded; 0: every enabled one must be up */
};

/* A real server of one virtual service, as configured. */
/*
 * A real server's fields but its description, in the one order both forms
 * below declare them (the layout is the same: model.c checks it).
 */
#define FULCRUM_RS_FIELDS                                                                          \
	int64_t id; /* stable, never reused; 0 before it is stored */                              \
	int64_t vs_id;                                                                             \
	struct fulcrum_addr addr;                                                                  \
	uint16_t port;                                                                             \
	enum fulcrum_forwarding forwarding;                                                        \
	enum fulcrum_tunnel tunnel_type; /* NONE unless forwarding is TUNNEL */                    \
	uint16_t tunnel_port;            /* GUE only */                                            \
	uint32_t weight;                 /* 0..65535 */                                            \
	uint32_t upper_threshold;        /* 0: no limit */                                         \
	uint32_t lower_threshold;                                                                  \
	enum fulcrum_rs_admin admin_state;                                                         \
	struct fulcrum_check_override check;

/* A real server, whole: what commands, the database, JSON and an edit work on. */
struct fulcrum_rs {
	FULCRUM_RS_FIELDS
	char description[FULCRUM_DESC_MAX + 1];
};

/*
 * A real server as the store keeps it: the same fields, its description
 * only as long as it is (there are 100,000 of them and most descriptions
 * are short). A type of its own so that copying one into a struct
 * fulcrum_rs by assignment, which would read past its end, does not
 * compile: model_rs_copy() makes the whole one. Only the store allocates
 * them (model_rs_stored_new()).
 */
struct fulcrum_rs_stored {
	FULCRUM_RS_FIELDS
	char description[];
};

/*
 * A virtual IP address (VIP): an address the active director of a pair holds
 * on one of its interfaces and the standby does not (docs/ha.md). The
 * services' addresses and the gateway that masq real servers route through
 * are VIPs. Configuration only: the failover engine adds and removes them.
 */
struct fulcrum_vip {
	int64_t id;               /* stable, never reused; 0 before it is stored */
	struct fulcrum_addr addr; /* IPv4 or IPv6; one VIP per address */
	uint8_t prefix;           /* prefix length on the interface: 1..32 (v4), 1..128 (v6) */
	char interface[FULCRUM_IFNAME_MAX + 1]; /* "eth0", "bond0.100" */
	char description[FULCRUM_DESC_MAX + 1];
};

/* How a command failed; status picks the HTTP status / SNMP error later. */
enum fulcrum_err_status {
	FULCRUM_ERR_NONE = 0,
	FULCRUM_ERR_INVALID,  /* a field fails validation (422, wrongValue) */
	FULCRUM_ERR_CONFLICT, /* duplicate of an existing object (409, inconsistentValue) */
	FULCRUM_ERR_NOTFOUND, /* no such object (404, noCreation) */
	FULCRUM_ERR_STALE,    /* expected revision is not the current one (412) */
	FULCRUM_ERR_INTERNAL, /* storage failed (500, commitFailed) */
	FULCRUM_ERR_UNAVAILABLE, /* this director takes no writes now: a standby (503, resourceUnavailable) */
};

/* The one error report: which field, why, in words a person can act on. */
struct fulcrum_err {
	enum fulcrum_err_status status;
	char field[48];    /* e.g. "weight"; empty when no one field is at fault */
	char message[256]; /* e.g. "real server weight: 70000 is outside 0..65535" */
};

/* One row of the change log. before/after are JSON text (NULL: none). */
struct fulcrum_change {
	int64_t revision;
	int64_t time; /* Unix seconds */
	char actor[65];
	enum fulcrum_origin origin;
	char object_type[16]; /* "service", "real" or "vip" */
	int64_t object_id;
	char *before; /* owned by the change; freed by fulcrum_change_list_free */
	char *after;
};

/*
 * The notification switches: which kinds of SNMP notification are sent. Not
 * configuration (no revision, no change log), but stored and set by commands.
 */
enum command_notify {
	COMMAND_NOTIFY_RS_STATE = 0,
	COMMAND_NOTIFY_VS_AVAILABILITY,
	COMMAND_NOTIFY_CONFIG_CHANGE,
	COMMAND_NOTIFY_ROLE_CHANGE,
	COMMAND_NOTIFY_PEER_STATE,
	COMMAND_NOTIFY_REPL_STATE,
	COMMAND_NOTIFY_COUNT,
};

#endif
