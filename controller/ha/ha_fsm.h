/* The active/standby role state machine: pure, the caller brings time and does the work. */
#ifndef FULCRUM_HA_FSM_H
#define FULCRUM_HA_FSM_H

#include "controller/ha/ha-t.h"
#include "controller/ha/ha_packet.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * The rules are docs/ha.md's. Each input (init, tick, a heard message, a
 * health report, maintenance, switchover, stop) takes the caller's monotonic
 * time in milliseconds and fills a struct ha_fsm_result: the role and term
 * after it, and actions the caller carries out in this order: RELEASE_VIPS,
 * SEND_STEPDOWN, TAKE_VIPS, ANNOUNCE_AGAIN, SEND_HEARTBEAT_NOW. Nothing here
 * reads a clock, sleeps, allocates or does I/O.
 *
 * The term counts takeovers: a node that takes the active role makes it one
 * more than any it has seen; a node that is not active adopts the highest it
 * hears. Two actives that meet compare terms (among other things, see
 * ha_fsm_heard()), so the newer one stays.
 */

enum ha_peer_state {
	HA_PEER_UNKNOWN = 0, /* not heard since start */
	HA_PEER_ALIVE,       /* heard within ha_deadtime */
	HA_PEER_DEAD,        /* silent for ha_deadtime, or said it is shutting down */
};

enum ha_action {
	HA_ACT_TAKE_VIPS = 1u << 0, /* add and announce the VIPs, start the sync daemon as master */
	HA_ACT_RELEASE_VIPS = 1u << 1,   /* remove the VIPs, the sync daemon becomes backup */
	HA_ACT_SEND_STEPDOWN = 1u << 2,  /* send a STEPDOWN (ha_fsm_msg_fill()) on every path */
	HA_ACT_ANNOUNCE_AGAIN = 1u << 3, /* gratuitous ARP / unsolicited NA for the VIPs again */
	HA_ACT_SEND_HEARTBEAT_NOW = 1u << 4, /* the role or flags changed: tell the peer now */
};

#define HA_FSM_TEXT_MAX 192

struct ha_fsm_conf {
	char node[HA_NAME_MAX + 1]; /* this node's name, as its heartbeats carry it */
	unsigned priority;          /* 0..255, ha_priority */
	uint64_t interval, deadtime, initdead, repair_timeout; /* ms, the ha_ settings */
	bool tiebreakers; /* ha_tiebreaker lists addresses: their reachability counts */
	bool standalone;  /* no ha_peer: the machine stays STANDALONE and does nothing */
	uint64_t epoch;   /* this node's boot epoch: the echo that proves a message is newer */
};

struct ha_fsm_result {
	enum ha_role role;
	uint64_t term;
	unsigned actions;          /* enum ha_action bits */
	enum ha_stepdown stepdown; /* with HA_ACT_SEND_STEPDOWN: why */
	bool changed;              /* the role changed */
	char reason
	    [HA_FSM_TEXT_MAX]; /* why, when changed, refused, or something new to log; else "" */
};

/* What the peer's last message said, and when it came. */
struct ha_fsm_peer {
	enum ha_peer_state state;
	char node[HA_NAME_MAX + 1]; /* "" until heard */
	enum ha_role role;
	uint64_t term, seq;
	unsigned flags, priority;
	int64_t revision;
	uint64_t last_heard;  /* ms, the caller's clock */
	bool echoed;          /* its last message echoed this node's epoch: sent after its start */
	uint64_t stale_since; /* ms, the first of its messages with a stale echo in a row */
};

/* For status pages, the MIB and the API. */
struct ha_fsm_status {
	enum ha_role role;
	uint64_t term;
	unsigned flags; /* this node's, as its heartbeats carry them */
	bool maintenance;
	struct ha_fsm_peer peer;
	uint64_t since;                /* ms, the last role change */
	char reason[HA_FSM_TEXT_MAX];  /* of the last role change */
	char blocked[HA_FSM_TEXT_MAX]; /* what keeps a wanted change from happening now, or "" */
};

/* The machine; embed it, read it through ha_fsm_status(). Fields are private. */
struct ha_fsm {
	struct ha_fsm_conf conf;
	enum ha_role role;
	uint64_t term;
	unsigned local; /* the caller's HA_FLAGS_LOCAL report */
	bool maintenance, stopped, failing, yielding;
	bool config_failing; /* active, HA_FLAG_CONFIG down (and known) since config_since */
	bool config_pending; /* HA_FLAG_CONFIG_PENDING reported */
	uint64_t started, since, failing_since, fault_until, yield_until, config_since;
	uint64_t evaluated;        /* the last input's time: its rules were applied then */
	enum ha_stepdown stepdown; /* the last one sent */
	struct ha_fsm_peer peer;
	char reason[HA_FSM_TEXT_MAX], blocked[HA_FSM_TEXT_MAX], said[HA_FSM_TEXT_MAX];
	char stranger[HA_NAME_MAX + 1];    /* the last foreign node name reported */
	char config_why[HA_FSM_TEXT_MAX];  /* what the kernel refuses, ha_fsm_config_why() */
	char peer_behind[HA_FSM_TEXT_MAX]; /* why the peer lacks revisions, ha_fsm_peer_behind() */
};

/*
 * Starts the machine at now: STANDALONE when conf says so, else STARTING,
 * with no health reported (not eligible until ha_fsm_health() says so) and
 * the peer unknown. res gets the role.
 */
void ha_fsm_init(struct ha_fsm *f, const struct ha_fsm_conf *conf, uint64_t now,
		 struct ha_fsm_result *res);

/*
 * Lets time pass: ends ha_initdead, declares a silent peer dead and takes
 * over, ends a repair timeout. Call it by ha_fsm_deadline() at the latest, or
 * simply every ha_interval.
 */
void ha_fsm_tick(struct ha_fsm *f, uint64_t now, struct ha_fsm_result *res);

/*
 * Whether m may be given to ha_fsm_heard(): HA_PACKET_STALE_ECHO for a
 * STEPDOWN whose echo is not this node's epoch (conf.epoch): it was sent
 * before this node started, so it proves nothing new (a recording played
 * again, or a peer that had not heard this start yet); HA_PACKET_OK
 * otherwise. A HEARTBEAT with a stale echo is given: it proves the peer is
 * alive, but no rule acts on it at once (ha_fsm_heard()).
 */
enum ha_packet_result ha_fsm_echo_check(const struct ha_fsm *f, const struct ha_msg *m);

/*
 * An authentic, fresh message from the peer (ha_packet_decode() and
 * ha_replay_check() both said HA_PACKET_OK). A message bearing this node's own
 * name, or another node's while the peer is alive, is ignored (res->reason
 * says so). A STEPDOWN makes a STARTING or STANDBY node take over at once if
 * it is eligible. Two actives: the one reaching a tie-breaker stays over one
 * that reaches none, then the higher term, then the higher priority, then the
 * lower node name; the loser releases the VIPs at once, the winner announces
 * them again.
 *
 * A message whose echo is not this node's epoch may have been sent before
 * this node started: a STEPDOWN is ignored (ha_fsm_echo_check()), and the
 * rules that would move the role at once on the peer's word (rule 2's
 * takeover, the duel of two actives, a step-down for a healthy peer) wait
 * until the peer echoes this node's epoch, or has sent stale echoes for
 * ha_deadtime (a peer that cannot hear this node). Becoming STANDBY because
 * the peer says it is active needs no echo: it gives nothing up.
 */
void ha_fsm_heard(struct ha_fsm *f, const struct ha_msg *m, uint64_t now,
		  struct ha_fsm_result *res);

/*
 * The caller's health report: HA_FLAG_IPVS, HA_FLAG_VIPS (the node holds the
 * VIPs), HA_FLAG_TIEBREAKER, HA_FLAG_LOOP, HA_FLAG_CARRIER, HA_FLAG_CONFIG;
 * other bits are ignored. IPVS, LOOP and CARRIER make a node able to serve;
 * an active also needs VIPS, or it is failing (and steps down to FAULT after
 * ha_repair_timeout when the peer is healthy). CONFIG (the kernel holds all
 * the configuration) is not needed to serve: a node without it stays
 * eligible, loses the tie-break to a node with it, and as active hands over
 * after ha_repair_timeout to a healthy peer that has it, as STANDBY.
 * HA_FLAG_CONFIG_PENDING (never sent) says CONFIG is down because it is not
 * known yet (a first check still running): the node claims nothing, but an
 * active does not step down for it.
 */
void ha_fsm_health(struct ha_fsm *f, unsigned flags, uint64_t now, struct ha_fsm_result *res);

/*
 * What the kernel refuses of this node's configuration, in words, for the
 * reasons said while HA_FLAG_CONFIG is down; give it before ha_fsm_health().
 * Copied (cut at HA_FSM_TEXT_MAX); changes no role.
 */
void ha_fsm_config_why(struct ha_fsm *f, const char *why);

/*
 * Replication's word on the peer, for an active: "" when the peer holds
 * every revision this node committed (or nothing is replicated), else why
 * not ("peer lb-b does not hold every revision (replication snapshot)"). An
 * active does not hand over to such a peer of its own accord (rules 7, 8, 10,
 * maintenance): it would lose configuration, so a half-working active stays,
 * as with no healthy peer. A dead active is still taken over (rules 3, 4).
 * Copied; changes no role by itself: the next input applies it.
 */
void ha_fsm_peer_behind(struct ha_fsm *f, const char *why);

/*
 * Turns maintenance on or off. In maintenance a node is not eligible: it
 * stays STANDBY, and an ACTIVE steps down as soon as the peer is healthy.
 */
void ha_fsm_maintenance(struct ha_fsm *f, bool on, uint64_t now, struct ha_fsm_result *res);

/*
 * An admin's switchover, made on the active: it steps down (SEND_STEPDOWN,
 * RELEASE_VIPS, STANDBY) and returns 0. Returns -EPERM when this node is not
 * active, -EAGAIN when the peer is not healthy (silent, not eligible, reaching
 * no tie-breaker) or lacks HA_FLAG_CONFIG and force is false; res->reason
 * says why.
 */
int ha_fsm_switchover(struct ha_fsm *f, bool force, uint64_t now, struct ha_fsm_result *res);

/*
 * fulcrumd is stopping: an active releases the VIPs; every node sends a
 * STEPDOWN (reason shutdown) so the peer takes over, or marks it gone, at
 * once. Inputs after it change nothing.
 */
void ha_fsm_stop(struct ha_fsm *f, uint64_t now, struct ha_fsm_result *res);

/*
 * Fills the fields of m the machine knows: type, role, reason (for a STEPDOWN,
 * the last step-down's), priority, flags, term, node; echo 0. The caller sets
 * cluster, epoch, seq, revision and echo.
 */
void ha_fsm_msg_fill(const struct ha_fsm *f, enum ha_msg_type type, struct ha_msg *m);

/*
 * The next time ha_fsm_tick() has something to do, UINT64_MAX if none; always
 * later than the last input, so a caller that sleeps until it never spins (a
 * time the rules were applied at or after was dealt with: what the machine
 * waits for then is an input, such as a health change or the peer).
 */
uint64_t ha_fsm_deadline(const struct ha_fsm *f);

void ha_fsm_status(const struct ha_fsm *f, struct ha_fsm_status *st);

/* "starting", "active", ...; NULL if none. */
const char *ha_fsm_role_name(enum ha_role r);

/* "unknown", "alive", "dead"; NULL if none. */
const char *ha_fsm_peer_state_name(enum ha_peer_state s);

#endif
