/* The active/standby role state machine: pure, the caller brings time and does the work. */
#include "controller/ha/ha_fsm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * What a node needs to serve; an active also needs HA_FLAG_VIPS. Not
 * HA_FLAG_CONFIG: a node whose kernel refuses one object serves the rest, so
 * it stays eligible and only gives way to a node that has it all.
 */
#define HA_FSM_CAN_SERVE (HA_FLAG_IPVS | HA_FLAG_LOOP | HA_FLAG_CARRIER)

/* Role changes one input may chain (FAULT, STANDBY, ACTIVE); more would be a bug's loop. */
#define HA_FSM_PASSES 4

static const char *const ha_fsm_role_names[HA_ROLE_LAST + 1] = {
    [HA_ROLE_STARTING] = "starting",     [HA_ROLE_ACTIVE] = "active",
    [HA_ROLE_STANDBY] = "standby",       [HA_ROLE_FAULT] = "fault",
    [HA_ROLE_STANDALONE] = "standalone",
};

static const char *const ha_fsm_peer_names[] = {"unknown", "alive", "dead"};

const char *ha_fsm_role_name(enum ha_role r)
{
	return (unsigned)r <= HA_ROLE_LAST ? ha_fsm_role_names[r] : NULL;
}

const char *ha_fsm_peer_state_name(enum ha_peer_state s)
{
	return (unsigned)s <= HA_PEER_DEAD ? ha_fsm_peer_names[s] : NULL;
}

/* Texts a person reads are cut at their buffer's size by design: the numbers come first. */
static void __attribute__((format(printf, 3, 4)))
ha_fsm_print(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Milliseconds from then to now; 0 if the caller's clock stood still or went back. */
static uint64_t ha_fsm_age(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static bool ha_fsm_can_serve(unsigned flags)
{
	return (flags & HA_FSM_CAN_SERVE) == HA_FSM_CAN_SERVE;
}

/* What is wrong with a node's own flags, in words. */
static const char *ha_fsm_unfit(unsigned flags)
{
	if (!(flags & HA_FLAG_IPVS))
		return "IPVS unusable";
	if (!(flags & HA_FLAG_LOOP))
		return "main loop stalled";
	if (!(flags & HA_FLAG_CARRIER))
		return "link down";
	if (!(flags & HA_FLAG_VIPS))
		return "VIPs not held";
	return "healthy";
}

static bool ha_fsm_eligible(const struct ha_fsm *f)
{
	return ha_fsm_can_serve(f->local) && !f->maintenance && f->role != HA_ROLE_FAULT &&
	       !f->stopped;
}

static bool ha_fsm_peer_alive(const struct ha_fsm *f)
{
	return f->peer.state == HA_PEER_ALIVE;
}

/* "peer ldirector1", or "the peer" before it was ever heard. */
static const char *ha_fsm_peer_name(const struct ha_fsm *f, char *buf, size_t len)
{
	if (!f->peer.node[0])
		return "the peer";
	ha_fsm_print(buf, len, "peer %s", f->peer.node);
	return buf;
}

static unsigned ha_fsm_flags(const struct ha_fsm *f)
{
	unsigned flags = f->local & HA_FLAGS_LOCAL;

	if (ha_fsm_eligible(f))
		flags |= HA_FLAG_ELIGIBLE;
	if (f->maintenance)
		flags |= HA_FLAG_MAINTENANCE;
	if (f->yielding)
		flags |= HA_FLAG_YIELDING;
	if (ha_fsm_peer_alive(f))
		flags |= HA_FLAG_HEARS_PEER;
	return flags;
}

/* Every input starts here: nothing said, nothing blocked yet. */
static void ha_fsm_begin(struct ha_fsm *f, struct ha_fsm_result *res)
{
	memset(res, 0, sizeof(*res));
	f->blocked[0] = '\0';
}

/* Adds a sentence to res->reason: an input may have more than one thing to say. */
static void __attribute__((format(printf, 2, 3)))
ha_fsm_say(struct ha_fsm_result *res, const char *fmt, ...)
{
	size_t used = strlen(res->reason);
	va_list ap;

	if (used && used + 2 < sizeof(res->reason)) {
		memcpy(res->reason + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(res->reason + used, sizeof(res->reason) - used, fmt, ap);
	va_end(ap);
}

/* Whether two texts are the same but for their numbers ("silent for 300 ms", "... 350 ms"). */
static bool ha_fsm_same_words(const char *a, const char *b)
{
	while (*a && *b) {
		bool da = *a >= '0' && *a <= '9', db = *b >= '0' && *b <= '9';

		if (da != db)
			return false;
		if (da) {
			a += strspn(a, "0123456789");
			b += strspn(b, "0123456789");
			continue;
		}
		if (*a++ != *b++)
			return false;
	}
	return *a == *b;
}

/*
 * Records what keeps a wanted change from happening (a takeover, a step-down);
 * res->reason gets it only when it differs from the last one said in more
 * than its numbers, so the caller logs it once, not at every tick.
 */
static void __attribute__((format(printf, 3, 4)))
ha_fsm_blocked(struct ha_fsm *f, struct ha_fsm_result *res, const char *fmt, ...)
{
	char text[HA_FSM_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (f->blocked[0])
		return; /* the first reason of this input is the one that counts */
	memcpy(f->blocked, text, sizeof(text));
	if (ha_fsm_same_words(text, f->said))
		return;
	memcpy(f->said, text, sizeof(text));
	ha_fsm_say(res, "%s", text);
}

static void __attribute__((format(printf, 5, 6)))
ha_fsm_become(struct ha_fsm *f, enum ha_role role, uint64_t now, struct ha_fsm_result *res,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
	if (f->role != role) {
		f->role = role;
		f->since = now;
		res->changed = true;
		res->actions |= HA_ACT_SEND_HEARTBEAT_NOW;
	}
	ha_fsm_print(res->reason, sizeof(res->reason), "%s", f->reason);
	f->blocked[0] = '\0';
}

static void ha_fsm_activate(struct ha_fsm *f, uint64_t now, struct ha_fsm_result *res,
			    const char *why)
{
	bool partial = !(f->local & HA_FLAG_CONFIG) && !f->config_pending;

	f->term = (f->term > f->peer.term ? f->term : f->peer.term) + 1;
	f->yielding = false;
	f->failing = false;
	f->config_failing = false;
	res->actions |= HA_ACT_TAKE_VIPS;
	/* better than no active: it serves all the rest */
	ha_fsm_become(f, HA_ROLE_ACTIVE, now, res,
		      "%s: taking the active role, term %" PRIu64 "%s%s", why, f->term,
		      partial ? ", though this node's kernel refuses part of its configuration: "
			      : "",
		      partial ? f->config_why : "");
}

/* Leaves the active role; reason HA_STEPDOWN_NONE sends no STEPDOWN (the peer is active). */
static void ha_fsm_step_down(struct ha_fsm *f, enum ha_role to, enum ha_stepdown reason,
			     uint64_t now, struct ha_fsm_result *res, const char *why)
{
	/* the role may have been taken in this same input (rule 4, then rule 8): not the VIPs then */
	res->actions &= ~(HA_ACT_TAKE_VIPS | HA_ACT_ANNOUNCE_AGAIN);
	res->actions |= HA_ACT_RELEASE_VIPS;
	if (reason != HA_STEPDOWN_NONE) {
		res->actions |= HA_ACT_SEND_STEPDOWN;
		res->stepdown = reason;
		f->stepdown = reason;
	}
	/* Until the peer is heard active, or ha_deadtime passed: this node does not come back. */
	f->yielding = true;
	f->yield_until = now + f->conf.deadtime;
	f->failing = false;
	f->config_failing = false;
	ha_fsm_become(f, to, now, res, "%s", why);
}

/* Whether this node may take the active role now; if not, why says why. */
static bool ha_fsm_can_activate(const struct ha_fsm *f, uint64_t now, char *why, size_t len)
{
	if (f->maintenance)
		ha_fsm_print(why, len, "this node is in maintenance");
	else if (f->role == HA_ROLE_FAULT || !ha_fsm_can_serve(f->local))
		ha_fsm_print(why, len, "this node cannot serve (%s)", ha_fsm_unfit(f->local));
	else if (f->conf.tiebreakers && !(f->local & HA_FLAG_TIEBREAKER))
		ha_fsm_print(why, len, "this node reaches no tie-breaker");
	else if (f->yielding && now < f->yield_until)
		ha_fsm_print(why, len,
			     "this node stepped down %" PRIu64 " ms ago and waits for the peer",
			     ha_fsm_age(now, f->since));
	else
		return true;
	return false;
}

/* Whether the peer could take the active role from this node; if not, why says why. */
static bool ha_fsm_peer_fit(const struct ha_fsm *f, uint64_t now, char *why, size_t len)
{
	char n[HA_NAME_MAX + 8];
	const char *peer = ha_fsm_peer_name(f, n, sizeof(n));
	unsigned pf = f->peer.flags;

	if (f->peer.state == HA_PEER_UNKNOWN)
		ha_fsm_print(why, len, "%s was never heard", peer);
	else if (f->peer.state == HA_PEER_DEAD)
		ha_fsm_print(why, len, "%s is silent (last heard %" PRIu64 " ms ago)", peer,
			     ha_fsm_age(now, f->peer.last_heard));
	else if (pf & HA_FLAG_MAINTENANCE)
		ha_fsm_print(why, len, "%s is in maintenance", peer);
	else if (f->peer.role == HA_ROLE_FAULT || !ha_fsm_can_serve(pf))
		ha_fsm_print(why, len, "%s cannot serve (%s)", peer,
			     f->peer.role == HA_ROLE_FAULT && ha_fsm_can_serve(pf)
				 ? "in fault"
				 : ha_fsm_unfit(pf));
	else if (!(pf & HA_FLAG_ELIGIBLE))
		ha_fsm_print(why, len, "%s is not eligible", peer);
	else if (f->conf.tiebreakers && !(pf & HA_FLAG_TIEBREAKER))
		ha_fsm_print(why, len, "%s reaches no tie-breaker", peer);
	else
		return true;
	return false;
}

/*
 * Whether the peer's last word may move this node's role at once: its message
 * echoed this node's epoch (it was sent after this start), or its echoes have
 * been stale for ha_deadtime (a live peer that does not hear this node: then
 * believed, as a silence would be). If not, why says why.
 */
static bool ha_fsm_peer_confirmed(const struct ha_fsm *f, uint64_t now, char *why, size_t len)
{
	char n[HA_NAME_MAX + 8];

	if (!ha_fsm_peer_alive(f) || f->peer.echoed ||
	    ha_fsm_age(now, f->peer.stale_since) >= f->conf.deadtime)
		return true;
	ha_fsm_print(why, len,
		     "%s has not echoed this node's epoch %" PRIu64 " for %" PRIu64
		     " ms (its word may predate this start)",
		     ha_fsm_peer_name(f, n, sizeof(n)), f->conf.epoch,
		     ha_fsm_age(now, f->peer.stale_since));
	return false;
}

/*
 * No node is active and the peer is alive: whether this one takes the role.
 * Both sides compute it from the same facts, so exactly one does: an able
 * node (tie-breaker reached, if any) over one that is not (or yields), then
 * the one whose kernel holds all its configuration over one that refuses
 * part, then the higher priority, then the lower name. why tells the outcome.
 */
static bool ha_fsm_tiebreak(const struct ha_fsm *f, uint64_t now, char *why, size_t len)
{
	char n[HA_NAME_MAX + 8], not [HA_FSM_TEXT_MAX];
	const char *peer = ha_fsm_peer_name(f, n, sizeof(n));
	int cmp;

	if (!ha_fsm_can_activate(f, now, not, sizeof(not ))) {
		ha_fsm_print(why, len, "%s", not );
		return false;
	}
	if (f->peer.flags & HA_FLAG_YIELDING) {
		ha_fsm_print(why, len, "%s stepped down", peer);
		return true;
	}
	if (f->peer.role != HA_ROLE_STARTING && f->peer.role != HA_ROLE_STANDBY) {
		ha_fsm_print(why, len, "%s is %s", peer, ha_fsm_role_name(f->peer.role));
		return true;
	}
	if (!ha_fsm_peer_fit(f, now, why, len))
		return true;
	if (!(f->local & HA_FLAG_CONFIG) != !(f->peer.flags & HA_FLAG_CONFIG)) {
		bool mine = f->local & HA_FLAG_CONFIG;

		ha_fsm_print(why, len,
			     "%s's kernel holds all its configuration, %s's does not (refused, or "
			     "not checked yet)",
			     mine ? "this node" : peer, mine ? peer : "this node");
		return mine;
	}
	if (f->conf.priority != f->peer.priority) {
		ha_fsm_print(why, len, "priority %u, %s %u", f->conf.priority, peer,
			     f->peer.priority);
		return f->conf.priority > f->peer.priority;
	}
	cmp = strcmp(f->conf.node, f->peer.node);
	ha_fsm_print(why, len, "equal priority %u, name %s sorts %s %s", f->conf.priority,
		     f->conf.node, cmp < 0 ? "before" : "after", f->peer.node);
	return cmp < 0;
}

/*
 * Two actives met: > 0 when this node stays, < 0 when it steps down. Both
 * sides apply the same order, so exactly one stays: reaching a tie-breaker
 * over reaching none, the higher term, the higher priority, the lower name.
 */
static int ha_fsm_duel(const struct ha_fsm *f, char *why, size_t len)
{
	unsigned mine = f->local & HA_FLAG_TIEBREAKER, theirs = f->peer.flags & HA_FLAG_TIEBREAKER;
	int cmp;

	if (f->conf.tiebreakers && !mine != !theirs) {
		ha_fsm_print(why, len, "%s reaches a tie-breaker and %s none",
			     mine ? "this node" : "peer", mine ? "peer" : "this node");
		return mine ? 1 : -1;
	}
	if (f->term != f->peer.term) {
		ha_fsm_print(why, len, "peer has term %" PRIu64 " %s %" PRIu64, f->peer.term,
			     f->peer.term > f->term ? ">" : "<", f->term);
		return f->term > f->peer.term ? 1 : -1;
	}
	if (f->conf.priority != f->peer.priority) {
		ha_fsm_print(why, len, "equal terms %" PRIu64 ", peer has priority %u %s %u",
			     f->term, f->peer.priority,
			     f->peer.priority > f->conf.priority ? ">" : "<", f->conf.priority);
		return f->conf.priority > f->peer.priority ? 1 : -1;
	}
	cmp = strcmp(f->conf.node, f->peer.node);
	ha_fsm_print(why, len, "equal terms and priorities, name %s sorts %s %s", f->conf.node,
		     cmp < 0 ? "before" : "after", f->peer.node);
	return cmp < 0 ? 1 : -1;
}

static bool ha_fsm_eval_starting(struct ha_fsm *f, uint64_t now, struct ha_fsm_result *res)
{
	char n[HA_NAME_MAX + 8], why[HA_FSM_TEXT_MAX], text[HA_FSM_TEXT_MAX];
	const char *peer = ha_fsm_peer_name(f, n, sizeof(n));
	bool can = ha_fsm_can_serve(f->local);

	if (ha_fsm_peer_alive(f) && f->peer.role == HA_ROLE_ACTIVE) {
		ha_fsm_become(
		    f, can ? HA_ROLE_STANDBY : HA_ROLE_FAULT, now, res,
		    "%s is active (term %" PRIu64 ")%s%s", peer, f->peer.term,
		    can ? "" : "; this node cannot serve: ", can ? "" : ha_fsm_unfit(f->local));
		return true;
	}
	if (ha_fsm_age(now, f->started) < f->conf.initdead)
		return false;
	if (!can) {
		ha_fsm_become(f, HA_ROLE_FAULT, now, res,
			      "initdead over, this node cannot serve: %s", ha_fsm_unfit(f->local));
		return true;
	}
	if (ha_fsm_peer_alive(f)) {
		bool win;

		if (!ha_fsm_peer_confirmed(f, now, why, sizeof(why))) {
			ha_fsm_blocked(f, res, "initdead over, but %s: still starting", why);
			return false;
		}
		win = ha_fsm_tiebreak(f, now, why, sizeof(why));
		ha_fsm_print(text, sizeof(text), "initdead over, no active node (%s)", why);
		if (win)
			ha_fsm_activate(f, now, res, text);
		else
			ha_fsm_become(f, HA_ROLE_STANDBY, now, res, "%s", text);
		return true;
	}
	ha_fsm_print(text, sizeof(text), "%s silent through initdead (%" PRIu64 " ms)", peer,
		     f->conf.initdead);
	if (ha_fsm_can_activate(f, now, why, sizeof(why)))
		ha_fsm_activate(f, now, res, text);
	else
		ha_fsm_become(f, HA_ROLE_STANDBY, now, res, "%s, but %s", text, why);
	return true;
}

static bool ha_fsm_eval_standby(struct ha_fsm *f, uint64_t now, struct ha_fsm_result *res)
{
	char n[HA_NAME_MAX + 8], why[HA_FSM_TEXT_MAX], text[HA_FSM_TEXT_MAX];
	const char *peer = ha_fsm_peer_name(f, n, sizeof(n));

	if (!ha_fsm_can_serve(f->local)) {
		ha_fsm_become(f, HA_ROLE_FAULT, now, res, "this node cannot serve: %s",
			      ha_fsm_unfit(f->local));
		return true;
	}
	if (ha_fsm_peer_alive(f)) {
		if (f->peer.role == HA_ROLE_ACTIVE)
			return false;
		ha_fsm_print(text, sizeof(text), "no active node, %s is %s", peer,
			     ha_fsm_role_name(f->peer.role));
		if (!ha_fsm_peer_confirmed(f, now, why, sizeof(why))) {
			ha_fsm_blocked(f, res, "%s, but %s: staying standby", text, why);
			return false;
		}
		if (ha_fsm_tiebreak(f, now, why, sizeof(why))) {
			ha_fsm_print(text + strlen(text), sizeof(text) - strlen(text), " (%s)",
				     why);
			ha_fsm_activate(f, now, res, text);
			return true;
		}
		ha_fsm_blocked(f, res, "%s: staying standby (%s)", text, why);
		return false;
	}
	if (f->peer.state == HA_PEER_DEAD)
		ha_fsm_print(text, sizeof(text),
			     "%s silent for %" PRIu64 " ms, last heard seq %" PRIu64, peer,
			     ha_fsm_age(now, f->peer.last_heard), f->peer.seq);
	else
		ha_fsm_print(text, sizeof(text), "%s not heard since start (%" PRIu64 " ms)", peer,
			     ha_fsm_age(now, f->started));
	if (!ha_fsm_can_activate(f, now, why, sizeof(why))) {
		ha_fsm_blocked(f, res, "%s, but %s: staying standby", text, why);
		return false;
	}
	ha_fsm_activate(f, now, res, text);
	return true;
}

static bool ha_fsm_eval_fault(struct ha_fsm *f, uint64_t now, struct ha_fsm_result *res)
{
	if (!ha_fsm_can_serve(f->local) || now < f->fault_until)
		return false;
	ha_fsm_become(f, HA_ROLE_STANDBY, now, res,
		      "this node can serve again (IPVS, main loop and links up)");
	return true;
}

/*
 * A serving active whose kernel refuses part of its configuration: after
 * ha_repair_timeout it hands over to a healthy peer that has all of its own,
 * and becomes STANDBY, still eligible (it serves the rest, so it takes over
 * again if that peer dies). A peer refusing part too is no better: it stays.
 */
static bool ha_fsm_eval_config(struct ha_fsm *f, uint64_t now, struct ha_fsm_result *res,
			       bool peer_fit, const char *why)
{
	char n[HA_NAME_MAX + 8], text[HA_FSM_TEXT_MAX];
	const char *peer = ha_fsm_peer_name(f, n, sizeof(n));
	uint64_t failed;

	if (!f->config_failing)
		return false;
	failed = ha_fsm_age(now, f->config_since);
	if (failed < f->conf.repair_timeout)
		return false;
	if (!peer_fit) {
		ha_fsm_blocked(f, res,
			       "configuration refused for %" PRIu64 " ms, but %s: staying active",
			       failed, why);
		return false;
	}
	if (!(f->peer.flags & HA_FLAG_CONFIG)) {
		ha_fsm_blocked(f, res,
			       "configuration refused for %" PRIu64
			       " ms, but %s's kernel refuses part of its own too: staying active",
			       failed, peer);
		return false;
	}
	ha_fsm_print(text, sizeof(text),
		     "configuration refused for %" PRIu64
		     " ms, not repaired, %s has all of it: stepping down; %s",
		     failed, peer, f->config_why);
	ha_fsm_step_down(f, HA_ROLE_STANDBY, HA_STEPDOWN_FAILURE, now, res, text);
	return true;
}

static bool ha_fsm_eval_active(struct ha_fsm *f, uint64_t now, struct ha_fsm_result *res)
{
	char n[HA_NAME_MAX + 8], why[HA_FSM_TEXT_MAX], text[HA_FSM_TEXT_MAX];
	const char *peer = ha_fsm_peer_name(f, n, sizeof(n));
	bool peer_fit = ha_fsm_peer_fit(f, now, why, sizeof(why)) &&
			ha_fsm_peer_confirmed(f, now, why, sizeof(why));
	bool serving = ha_fsm_can_serve(f->local) && (f->local & HA_FLAG_VIPS);
	uint64_t failed = 0;

	if (peer_fit && f->peer_behind[0]) { /* handing over would lose revisions */
		peer_fit = false;
		ha_fsm_print(why, sizeof(why), "%s", f->peer_behind);
	}
	if (serving) {
		f->failing = false;
	} else if (!f->failing) {
		f->failing = true;
		f->failing_since = now;
	} else {
		failed = ha_fsm_age(now, f->failing_since);
	}
	if ((f->local & HA_FLAG_CONFIG) || f->config_pending) {
		f->config_failing = false;
	} else if (!f->config_failing) {
		f->config_failing = true;
		f->config_since = now;
	}
	if (f->maintenance) {
		if (!peer_fit) {
			ha_fsm_blocked(
			    f, res, "in maintenance, but %s: staying active until it can take over",
			    why);
			return false;
		}
		ha_fsm_print(text, sizeof(text), "maintenance: %s takes over", peer);
		ha_fsm_step_down(f, HA_ROLE_STANDBY, HA_STEPDOWN_MAINTENANCE, now, res, text);
		return true;
	}
	if (f->conf.tiebreakers && !(f->local & HA_FLAG_TIEBREAKER)) {
		if (!peer_fit) {
			ha_fsm_blocked(f, res,
				       "this node reaches no tie-breaker, but %s: staying active",
				       why);
			return false;
		}
		ha_fsm_print(text, sizeof(text),
			     "this node reaches no tie-breaker and %s does: stepping down", peer);
		ha_fsm_step_down(f, HA_ROLE_STANDBY, HA_STEPDOWN_TIEBREAKER, now, res, text);
		return true;
	}
	if (serving)
		return ha_fsm_eval_config(f, now, res, peer_fit, why);
	if (failed < f->conf.repair_timeout)
		return false;
	if (!peer_fit) {
		ha_fsm_blocked(f, res, "%s for %" PRIu64 " ms, but %s: staying active",
			       ha_fsm_unfit(f->local), failed, why);
		return false;
	}
	ha_fsm_print(text, sizeof(text), "%s for %" PRIu64 " ms, not repaired: %s takes over",
		     ha_fsm_unfit(f->local), failed, peer);
	/* FAULT at least as long again, so two failing nodes hand the role over no faster. */
	f->fault_until = now + f->conf.repair_timeout;
	ha_fsm_step_down(f, HA_ROLE_FAULT, HA_STEPDOWN_FAILURE, now, res, text);
	return true;
}

/* Applies the rules of the current role once; true when the role changed. */
static bool ha_fsm_eval_once(struct ha_fsm *f, uint64_t now, struct ha_fsm_result *res)
{
	char n[HA_NAME_MAX + 8];

	if (ha_fsm_peer_alive(f) && ha_fsm_age(now, f->peer.last_heard) >= f->conf.deadtime) {
		f->peer.state = HA_PEER_DEAD;
		if (f->role != HA_ROLE_STANDBY)
			ha_fsm_say(res,
				   "%s silent for %" PRIu64 " ms, last heard seq %" PRIu64
				   ": it is dead",
				   ha_fsm_peer_name(f, n, sizeof(n)),
				   ha_fsm_age(now, f->peer.last_heard), f->peer.seq);
	}
	if (f->yielding && now >= f->yield_until)
		f->yielding = false;
	switch (f->role) {
	case HA_ROLE_STARTING:
		return ha_fsm_eval_starting(f, now, res);
	case HA_ROLE_STANDBY:
		return ha_fsm_eval_standby(f, now, res);
	case HA_ROLE_FAULT:
		return ha_fsm_eval_fault(f, now, res);
	case HA_ROLE_ACTIVE:
		return ha_fsm_eval_active(f, now, res);
	case HA_ROLE_STANDALONE:
		break;
	}
	return false;
}

/* Runs the rules until the role holds, then reports; every input ends here. */
static void ha_fsm_settle(struct ha_fsm *f, unsigned flags_before, uint64_t now,
			  struct ha_fsm_result *res)
{
	if (!f->stopped && f->role != HA_ROLE_STANDALONE)
		for (int i = 0; i < HA_FSM_PASSES && ha_fsm_eval_once(f, now, res); i++)
			;
	f->evaluated = now;
	if (!f->blocked[0])
		f->said[0] = '\0'; /* what blocked is gone: say it again if it comes back */
	if (ha_fsm_flags(f) != flags_before)
		res->actions |= HA_ACT_SEND_HEARTBEAT_NOW;
	res->role = f->role;
	res->term = f->term;
}

void ha_fsm_init(struct ha_fsm *f, const struct ha_fsm_conf *conf, uint64_t now,
		 struct ha_fsm_result *res)
{
	memset(f, 0, sizeof(*f));
	f->conf = *conf;
	f->started = f->since = f->evaluated = now;
	f->role = conf->standalone ? HA_ROLE_STANDALONE : HA_ROLE_STARTING;
	if (conf->standalone)
		ha_fsm_print(f->reason, sizeof(f->reason), "no ha_peer: standalone");
	else
		ha_fsm_print(f->reason, sizeof(f->reason), "starting: listening for %" PRIu64 " ms",
			     conf->initdead);
	ha_fsm_begin(f, res);
	res->changed = true;
	ha_fsm_print(res->reason, sizeof(res->reason), "%s", f->reason);
	res->role = f->role;
}

void ha_fsm_tick(struct ha_fsm *f, uint64_t now, struct ha_fsm_result *res)
{
	ha_fsm_begin(f, res);
	ha_fsm_settle(f, ha_fsm_flags(f), now, res);
}

/* This node is active and the peer's message says it is too. */
static void ha_fsm_two_actives(struct ha_fsm *f, uint64_t now, struct ha_fsm_result *res)
{
	char why[HA_FSM_TEXT_MAX], text[HA_FSM_TEXT_MAX];

	if (!ha_fsm_peer_confirmed(f, now, why, sizeof(why))) {
		ha_fsm_blocked(f, res, "two actives, but %s: staying active", why);
		return;
	}
	if (ha_fsm_duel(f, why, sizeof(why)) > 0) {
		res->actions |= HA_ACT_ANNOUNCE_AGAIN;
		ha_fsm_say(res,
			   "two actives: %s; this node stays active and announces the VIPs again",
			   why);
		return;
	}
	ha_fsm_print(text, sizeof(text), "two actives: %s, stepping down", why);
	ha_fsm_step_down(f, HA_ROLE_STANDBY, HA_STEPDOWN_NONE, now, res, text);
	if (f->peer.term > f->term)
		f->term = f->peer.term;
}

/* A STEPDOWN: the peer asks this node to take over (or says it is leaving). */
static void ha_fsm_stepdown_heard(struct ha_fsm *f, const struct ha_msg *m, uint64_t now,
				  struct ha_fsm_result *res)
{
	char why[HA_FSM_TEXT_MAX], text[HA_FSM_TEXT_MAX];
	const char *reason = ha_packet_stepdown_name(m->reason);

	if (m->reason == HA_STEPDOWN_SHUTDOWN)
		f->peer.state = HA_PEER_DEAD; /* it said goodbye: nothing more will come */
	if (f->role == HA_ROLE_ACTIVE || f->role == HA_ROLE_FAULT)
		return;
	ha_fsm_print(text, sizeof(text), "peer %s stepped down (%s)", m->node, reason);
	/* A request, not a silence: no tie-breaker needed, and this node's own yielding gives way. */
	if (ha_fsm_eligible(f)) {
		ha_fsm_activate(f, now, res, text);
		return;
	}
	ha_fsm_can_activate(f, now, why, sizeof(why));
	ha_fsm_say(res, "%s, but %s: not taking over", text, why);
}

enum ha_packet_result ha_fsm_echo_check(const struct ha_fsm *f, const struct ha_msg *m)
{
	return m->type == HA_MSG_STEPDOWN && m->echo != f->conf.epoch ? HA_PACKET_STALE_ECHO
								      : HA_PACKET_OK;
}

void ha_fsm_heard(struct ha_fsm *f, const struct ha_msg *m, uint64_t now, struct ha_fsm_result *res)
{
	unsigned flags_before = ha_fsm_flags(f), prev_flags = 0;
	enum ha_role prev_role = 0;
	bool echoed = m->echo == f->conf.epoch;

	ha_fsm_begin(f, res);
	if (f->stopped || f->role == HA_ROLE_STANDALONE)
		goto out;
	if (strcmp(m->node, f->conf.node) == 0 ||
	    (ha_fsm_peer_alive(f) && strcmp(m->node, f->peer.node) != 0)) {
		/* Said once per stranger, not at each of its heartbeats. */
		if (strcmp(m->node, f->stranger) != 0)
			ha_fsm_say(res, "ignoring heartbeats of node %s: %s", m->node,
				   strcmp(m->node, f->conf.node) == 0
				       ? "this node's own name (a loop, or the peer has the same "
					 "node_name)"
				       : "the peer is another node, alive");
		ha_fsm_print(f->stranger, sizeof(f->stranger), "%s", m->node);
		goto out;
	}
	if (ha_fsm_echo_check(f, m) != HA_PACKET_OK) {
		ha_fsm_say(res,
			   "ignoring a STEPDOWN of peer %s, seq %" PRIu64
			   ": it echoes epoch %" PRIu64 ", not this node's %" PRIu64,
			   m->node, m->seq, m->echo, f->conf.epoch);
		goto out;
	}
	/* a run of stale echoes starts here: a peer heard again starts one afresh */
	if (!echoed && (f->peer.echoed || !ha_fsm_peer_alive(f)))
		f->peer.stale_since = now;
	f->peer.echoed = echoed;
	if (ha_fsm_peer_alive(f)) {
		prev_role = f->peer.role;
		prev_flags = f->peer.flags;
	} else if (f->peer.state == HA_PEER_DEAD &&
		   !(m->type == HA_MSG_STEPDOWN && m->reason == HA_STEPDOWN_SHUTDOWN)) {
		/* (a second goodbye after the first is not the peer coming back) */
		ha_fsm_say(res,
			   "peer %s heard again after %" PRIu64 " ms of silence: %s, term %" PRIu64,
			   m->node, ha_fsm_age(now, f->peer.last_heard), ha_fsm_role_name(m->role),
			   m->term);
	}
	f->peer.state = HA_PEER_ALIVE;
	ha_fsm_print(f->peer.node, sizeof(f->peer.node), "%s", m->node);
	f->peer.role = m->role;
	f->peer.term = m->term;
	f->peer.seq = m->seq;
	f->peer.flags = m->flags;
	f->peer.priority = m->priority;
	f->peer.revision = m->revision;
	f->peer.last_heard = now;
	if (f->role != HA_ROLE_ACTIVE && m->term > f->term)
		f->term = m->term;
	if (m->role == HA_ROLE_ACTIVE)
		f->yielding = false; /* the peer took over: waiting for it is done */
	if (m->type == HA_MSG_STEPDOWN)
		ha_fsm_stepdown_heard(f, m, now, res);
	else if (f->role == HA_ROLE_ACTIVE && m->role == HA_ROLE_ACTIVE)
		ha_fsm_two_actives(f, now, res);
	/* The peer just let go of the VIPs: neighbours may still send their traffic to it. */
	if (f->role == HA_ROLE_ACTIVE &&
	    ((prev_role == HA_ROLE_ACTIVE && m->role != HA_ROLE_ACTIVE) ||
	     ((prev_flags & HA_FLAG_VIPS) && !(m->flags & HA_FLAG_VIPS)))) {
		res->actions |= HA_ACT_ANNOUNCE_AGAIN;
		ha_fsm_say(res, "peer %s released the VIPs: announcing them again", m->node);
	}
out:
	ha_fsm_settle(f, flags_before, now, res);
}

void ha_fsm_health(struct ha_fsm *f, unsigned flags, uint64_t now, struct ha_fsm_result *res)
{
	unsigned before = ha_fsm_flags(f);

	ha_fsm_begin(f, res);
	f->local = flags & HA_FLAGS_LOCAL;
	f->config_pending = !(flags & HA_FLAG_CONFIG) && (flags & HA_FLAG_CONFIG_PENDING);
	ha_fsm_settle(f, before, now, res);
}

void ha_fsm_maintenance(struct ha_fsm *f, bool on, uint64_t now, struct ha_fsm_result *res)
{
	unsigned before = ha_fsm_flags(f);

	ha_fsm_begin(f, res);
	if (f->maintenance != on)
		ha_fsm_say(res, "maintenance %s", on ? "on" : "off");
	f->maintenance = on;
	ha_fsm_settle(f, before, now, res);
}

int ha_fsm_switchover(struct ha_fsm *f, bool force, uint64_t now, struct ha_fsm_result *res)
{
	unsigned before = ha_fsm_flags(f);
	char why[HA_FSM_TEXT_MAX], text[HA_FSM_TEXT_MAX];
	int rc = 0;

	ha_fsm_begin(f, res);
	if (f->role != HA_ROLE_ACTIVE || f->stopped) {
		ha_fsm_say(res, "switchover refused: this node is %s, ask the active node",
			   ha_fsm_role_name(f->role));
		rc = -EPERM;
	} else if ((!ha_fsm_peer_fit(f, now, why, sizeof(why)) ||
		    !ha_fsm_peer_confirmed(f, now, why, sizeof(why))) &&
		   !force) {
		ha_fsm_say(res, "switchover refused: %s (force it to step down anyway)", why);
		rc = -EAGAIN;
	} else if (!(f->peer.flags & HA_FLAG_CONFIG) && !force) {
		ha_fsm_say(res,
			   "switchover refused: %s's kernel refuses part of its configuration "
			   "(force it to step down anyway)",
			   ha_fsm_peer_name(f, why, sizeof(why)));
		rc = -EAGAIN;
	} else {
		ha_fsm_print(text, sizeof(text), "switchover requested by admin%s",
			     force ? " (forced)" : "");
		ha_fsm_step_down(f, HA_ROLE_STANDBY, HA_STEPDOWN_SWITCHOVER, now, res, text);
	}
	ha_fsm_settle(f, before, now, res);
	return rc;
}

void ha_fsm_stop(struct ha_fsm *f, uint64_t now, struct ha_fsm_result *res)
{
	ha_fsm_begin(f, res);
	if (!f->stopped && f->role == HA_ROLE_ACTIVE) {
		ha_fsm_step_down(f, HA_ROLE_STANDBY, HA_STEPDOWN_SHUTDOWN, now, res,
				 "fulcrumd stopping: releasing the VIPs");
	} else if (!f->stopped && f->role != HA_ROLE_STANDALONE) {
		res->actions |= HA_ACT_SEND_STEPDOWN;
		res->stepdown = f->stepdown = HA_STEPDOWN_SHUTDOWN;
		ha_fsm_say(res, "fulcrumd stopping");
	}
	f->stopped = true;
	res->role = f->role;
	res->term = f->term;
}

void ha_fsm_msg_fill(const struct ha_fsm *f, enum ha_msg_type type, struct ha_msg *m)
{
	m->type = type;
	m->role = f->role;
	m->reason = type == HA_MSG_STEPDOWN ? f->stepdown : HA_STEPDOWN_NONE;
	m->priority = f->conf.priority;
	m->flags = ha_fsm_flags(f);
	m->term = f->term;
	m->echo = 0; /* the caller's: the peer's epoch is the replay window's */
	ha_fsm_print(m->node, sizeof(m->node), "%s", f->conf.node);
}

/* t becomes the deadline if it is sooner and still to come (later than the last input). */
static void ha_fsm_min(const struct ha_fsm *f, uint64_t *d, uint64_t t)
{
	if (t < *d && t > f->evaluated)
		*d = t;
}

uint64_t ha_fsm_deadline(const struct ha_fsm *f)
{
	uint64_t d = UINT64_MAX;

	if (f->stopped || f->role == HA_ROLE_STANDALONE)
		return d;
	if (f->role == HA_ROLE_STARTING)
		ha_fsm_min(f, &d, f->started + f->conf.initdead);
	if (ha_fsm_peer_alive(f))
		ha_fsm_min(f, &d, f->peer.last_heard + f->conf.deadtime);
	if (ha_fsm_peer_alive(f) && !f->peer.echoed)
		ha_fsm_min(f, &d, f->peer.stale_since + f->conf.deadtime);
	if (f->role == HA_ROLE_ACTIVE && f->failing)
		ha_fsm_min(f, &d, f->failing_since + f->conf.repair_timeout);
	if (f->role == HA_ROLE_ACTIVE && f->config_failing)
		ha_fsm_min(f, &d, f->config_since + f->conf.repair_timeout);
	if (f->role == HA_ROLE_FAULT && f->fault_until > f->since)
		ha_fsm_min(f, &d, f->fault_until);
	if (f->yielding)
		ha_fsm_min(f, &d, f->yield_until);
	return d;
}

void ha_fsm_status(const struct ha_fsm *f, struct ha_fsm_status *st)
{
	memset(st, 0, sizeof(*st));
	st->role = f->role;
	st->term = f->term;
	st->flags = ha_fsm_flags(f);
	st->maintenance = f->maintenance;
	st->peer = f->peer;
	st->since = f->since;
	memcpy(st->reason, f->reason, sizeof(st->reason));
	memcpy(st->blocked, f->blocked, sizeof(st->blocked));
}

void ha_fsm_config_why(struct ha_fsm *f, const char *why)
{
	ha_fsm_print(f->config_why, sizeof(f->config_why), "%s", why ? why : "");
}

void ha_fsm_peer_behind(struct ha_fsm *f, const char *why)
{
	ha_fsm_print(f->peer_behind, sizeof(f->peer_behind), "%s", why ? why : "");
}
