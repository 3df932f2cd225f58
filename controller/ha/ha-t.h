/* The types the HA files share: roles, health flags, step-down reasons, the names' limit. */
#ifndef FULCRUM_HA_T_H
#define FULCRUM_HA_T_H

/* A cluster's or a node's name: 1..HA_NAME_MAX characters of 0x21..0x7e. */
#define HA_NAME_MAX 64

/* A node's role; the numbers are the wire's (docs/ha.md). */
enum ha_role {
	HA_ROLE_STARTING = 1, /* listening for ha_initdead before it may become active */
	HA_ROLE_ACTIVE,       /* holds the VIPs, serves */
	HA_ROLE_STANDBY,      /* ready to take over */
	HA_ROLE_FAULT,        /* cannot serve: IPVS unusable, or a failure it could not repair */
	HA_ROLE_STANDALONE,   /* no HA configured */
};
#define HA_ROLE_LAST HA_ROLE_STANDALONE

/*
 * A node's health, as the caller reports it to the state machine and as each
 * heartbeat carries it (a 16-bit field). Bits a receiver does not know are
 * kept, so a newer peer may add some.
 */
enum ha_flag {
	HA_FLAG_IPVS = 1u << 0,        /* IPVS answers: services can be read and written */
	HA_FLAG_VIPS = 1u << 1,        /* the node holds the VIPs */
	HA_FLAG_TIEBREAKER = 1u << 2,  /* at least one tie-breaker answers */
	HA_FLAG_LOOP = 1u << 3,        /* the main loop turned within ha_loop_timeout */
	HA_FLAG_CARRIER = 1u << 4,     /* the links the VIPs live on are up */
	HA_FLAG_ELIGIBLE = 1u << 5,    /* may be active: healthy, not in maintenance, not FAULT */
	HA_FLAG_MAINTENANCE = 1u << 6, /* put in maintenance by an admin */
	HA_FLAG_YIELDING = 1u << 7,    /* stepped down, waits for the peer to take over */
	HA_FLAG_HEARS_PEER = 1u << 8,  /* hears the receiver's heartbeats */
	HA_FLAG_CONFIG = 1u << 9,      /* the kernel holds all the configuration: none refused */
	/* the caller's report only, never sent: not known yet whether the kernel holds it all */
	HA_FLAG_CONFIG_PENDING = 1u << 15,
};

/* What the state machine reads of the caller's report; the rest it computes. */
#define HA_FLAGS_LOCAL                                                                             \
	(HA_FLAG_IPVS | HA_FLAG_VIPS | HA_FLAG_TIEBREAKER | HA_FLAG_LOOP | HA_FLAG_CARRIER |       \
	 HA_FLAG_CONFIG)

enum ha_msg_type {
	HA_MSG_HEARTBEAT = 1,
	HA_MSG_STEPDOWN = 2, /* "I am stepping down now, take over" */
};

/* Why a STEPDOWN was sent; 0 in a HEARTBEAT. */
enum ha_stepdown {
	HA_STEPDOWN_NONE = 0,
	HA_STEPDOWN_SWITCHOVER,  /* an admin moved the active role */
	HA_STEPDOWN_FAILURE,     /* a failure lasted ha_repair_timeout */
	HA_STEPDOWN_TIEBREAKER,  /* lost every tie-breaker while the peer reaches one */
	HA_STEPDOWN_MAINTENANCE, /* put in maintenance */
	HA_STEPDOWN_SHUTDOWN,    /* fulcrumd is stopping */
};
#define HA_STEPDOWN_LAST HA_STEPDOWN_SHUTDOWN

#endif
