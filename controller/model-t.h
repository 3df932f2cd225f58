/* Types of Fulcrum's desired configuration: virtual services and real servers. */
#ifndef FULCRUM_MODEL_T_H
#define FULCRUM_MODEL_T_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define FULCRUM_NAME_MAX 64  /* service name, without the NUL */
#define FULCRUM_DESC_MAX 255 /* description, bytes, without the NUL */

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

/* An IPv4 or IPv6 address; family is AF_INET, AF_INET6, or AF_UNSPEC (none). */
struct fulcrum_addr {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
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
};

/* A real server of one virtual service, as configured. */
struct fulcrum_rs {
	int64_t id; /* stable, never reused; 0 before it is stored */
	int64_t vs_id;
	struct fulcrum_addr addr;
	uint16_t port;
	enum fulcrum_forwarding forwarding;
	enum fulcrum_tunnel tunnel_type; /* NONE unless forwarding is TUNNEL */
	uint16_t tunnel_port;            /* GUE only */
	uint32_t weight;                 /* 0..65535 */
	uint32_t upper_threshold;        /* 0: no limit */
	uint32_t lower_threshold;
	enum fulcrum_rs_admin admin_state;
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
	char object_type[16]; /* "service" or "real" */
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
	COMMAND_NOTIFY_COUNT,
};

#endif
