/* The heartbeat thread: its poll loop, the state machine's inputs, and the actions the machine asks for, in docs/ha.md's order. */
#include "controller/ha/ha_engine-int.h"

#include "controller/ha/ha_timer.h"
#include "controller/lib/log.h"

#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The machine's numbers are the status types' (both are the wire's). */
_Static_assert((int)HA_ROLE_STARTING == (int)STATUS_ROLE_STARTING &&
		   (int)HA_ROLE_STANDALONE == (int)STATUS_ROLE_STANDALONE,
	       "ha_role and status_role differ");
_Static_assert((int)HA_PEER_DEAD == (int)STATUS_PEER_DEAD, "peer states differ");
_Static_assert(HA_FLAG_IPVS == STATUS_HA_IPVS && HA_FLAG_HEARS_PEER == STATUS_HA_HEARS_PEER &&
		   HA_FLAG_CONFIG == STATUS_HA_CONFIG,
	       "health flags differ");
_Static_assert(HA_PACKET_RESULT_COUNT <= STATUS_HA_RESULTS, "status_cluster.received too small");

#define HA_BEAT_RT_PRIORITY  10      /* SCHED_FIFO: above every normal thread, below the kernel's */
#define HA_BEAT_STOP_WAIT_US 2000000 /* at most this for the VIPs' release on stop */

static uint64_t ha_beat_ms(uint64_t us)
{
	return us / 1000;
}

/* Unix ms of the monotonic time t_ms, as seen now. */
static int64_t ha_beat_wall(uint64_t now_ms, uint64_t t_ms)
{
	return t_ms ? ha_engine_wall_ms() - (int64_t)(now_ms - t_ms) : 0;
}

static void ha_beat_take(struct ha_engine *e, const char *why)
{
	struct ha_beat *b = &e->beat;
	unsigned lifetime = e->standalone ? 0 : (unsigned)e->conf.ha_vip_lifetime;

	b->holding = true;
	b->take_gen = ha_addr_want(e->addr, true, lifetime, b->vips, b->nvips, why);
	b->announce_pending = true;
	b->announce_left = 0;
	/* after the VIPs: a sync daemon start takes the RTNL lock the adds need */
	b->sync_pending = !e->standalone;
}

static void ha_beat_release(struct ha_engine *e, const char *why)
{
	struct ha_beat *b = &e->beat;

	b->holding = false;
	b->announce_pending = false;
	b->sync_pending = false;
	b->announce_left = 0;
	b->stop_gen = ha_addr_want(e->addr, false, 0, b->vips, b->nvips, why);
	if (!e->standalone)
		ha_sync_want(e->sync, b->stopping ? HA_SYNC_NONE : HA_SYNC_BACKUP, why);
}

/* A heartbeat now (the machine asked, or its time came): the next one an interval later. */
static void ha_beat_send(struct ha_engine *e, uint64_t now_us)
{
	if (e->standalone)
		return;
	ha_path_send(e, HA_MSG_HEARTBEAT);
	e->beat.next_send_us = now_us + e->conf.ha_interval * 1000;
}

/* Tells the main loop the peer's state changed, and logs it. */
static void ha_beat_peer_check(struct ha_engine *e, uint64_t now_ms)
{
	struct ha_beat *b = &e->beat;
	const struct ha_fsm_peer *p = &b->fsm.peer;
	struct ha_event ev = {.kind = HA_EV_PEER};

	if (p->state == b->peer_state)
		return;
	ev.peer.state = (enum status_peer_state)p->state;
	ev.peer.previous = (enum status_peer_state)b->peer_state;
	snprintf(ev.peer.peer, sizeof(ev.peer.peer), "%s", p->node);
	ev.peer.at = ha_engine_wall_ms();
	ev.peer.silent_ms = p->last_heard ? now_ms - p->last_heard : 0;
	if (p->state == HA_PEER_ALIVE && b->peer_state == HA_PEER_UNKNOWN)
		log_notice("ha", "peer %s heard on %s: %s, term %" PRIu64 ", revision %" PRId64,
			   p->node, b->peer_addr, ha_fsm_role_name(p->role), p->term, p->revision);
	else if (p->state == HA_PEER_DEAD && ev.peer.silent_ms < e->conf.ha_deadtime)
		log_notice("ha", "peer %s is gone: it said it is shutting down (seq %" PRIu64 ")",
			   p->node, p->seq);
	else if (p->state == HA_PEER_DEAD)
		log_notice("ha",
			   "peer %s is dead: silent for %" PRIu64 " ms (ha_deadtime %lu ms), last "
			   "heard seq %" PRIu64,
			   p->node, ev.peer.silent_ms, e->conf.ha_deadtime, p->seq);
	b->peer_state = p->state;
	b->peer_state_since = now_ms;
	ha_engine_post(e, &ev);
}

/* Carries out a result: log, event, then RELEASE_VIPS, SEND_STEPDOWN, TAKE_VIPS, ANNOUNCE_AGAIN, SEND_HEARTBEAT_NOW. */
static void ha_beat_apply(struct ha_engine *e, const struct ha_fsm_result *res, enum ha_role prev,
			  uint64_t now_us)
{
	struct ha_beat *b = &e->beat;
	uint64_t now_ms = ha_beat_ms(now_us);

	if (res->changed) {
		struct ha_event ev = {.kind = HA_EV_ROLE};

		log_notice("ha", "became %s: %s", ha_fsm_role_name(res->role), res->reason);
		b->role_changes++;
		ev.role.role = (enum status_role)res->role;
		ev.role.previous = (enum status_role)prev;
		ev.role.term = res->term;
		ev.role.at = ha_engine_wall_ms();
		snprintf(ev.role.reason, sizeof(ev.role.reason), "%s", res->reason);
		snprintf(ev.role.peer, sizeof(ev.role.peer), "%s", b->fsm.peer.node);
		ha_engine_post(e, &ev);
	} else if (res->reason[0]) {
		log_notice("ha", "%s", res->reason);
	}
	if (res->actions & HA_ACT_RELEASE_VIPS)
		ha_beat_release(e, b->stopping ? "shutdown" : "stepped down");
	if ((res->actions & HA_ACT_SEND_STEPDOWN) && !e->standalone) {
		ha_path_send(e, HA_MSG_STEPDOWN);
		log_notice("ha", "STEPDOWN (%s) sent on %zu path%s, seq %" PRIu64,
			   ha_packet_stepdown_name(res->stepdown), b->npaths,
			   b->npaths == 1 ? "" : "s", b->seq);
	}
	if (res->actions & HA_ACT_TAKE_VIPS)
		ha_beat_take(e, "became active");
	if ((res->actions & HA_ACT_ANNOUNCE_AGAIN) && b->holding)
		b->announce_pending = true;
	/* after a goodbye nothing but the second goodbye: a heartbeat would say "I am back" */
	if ((res->actions & HA_ACT_SEND_HEARTBEAT_NOW) && !b->stopping)
		ha_beat_send(e, now_us);
	ha_beat_peer_check(e, now_ms);
}

/* Whether ifname is up with carrier (IFF_RUNNING). */
static bool ha_beat_link_up(struct ha_beat *b, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(b->ifd, SIOCGIFFLAGS, &ifr) != 0)
		return false;
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

/* The first link (a VIP's, a heartbeat path's) that is down, or NULL. */
static const char *ha_beat_link_down(struct ha_engine *e)
{
	struct ha_beat *b = &e->beat;

	for (size_t i = 0; i < b->nvips; i++)
		if (!ha_beat_link_up(b, b->vips[i].ifname))
			return b->vips[i].ifname;
	for (size_t i = 0; i < e->nbind_ifs; i++)
		if (!ha_beat_link_up(b, e->bind_ifs[i]))
			return e->bind_ifs[i];
	return NULL;
}

/* This node's health as the machine wants it (HA_FLAGS_LOCAL), with what is wrong in text. */
static unsigned ha_beat_health(struct ha_engine *e, uint64_t now_ms, char *text, size_t len)
{
	struct ha_beat *b = &e->beat;
	struct ha_addr_report ar;
	uint64_t alive = atomic_load(&e->loop_alive);
	unsigned flags = 0;
	const char *down;
	bool ipvs, complete, known;
	char why[160], config_why[160], behind[HA_FSM_TEXT_MAX];

	text[0] = '\0';
	pthread_mutex_lock(&e->lock);
	ipvs = e->ipvs_usable;
	memcpy(why, e->ipvs_why, sizeof(why));
	complete = e->config_complete;
	known = e->config_known;
	memcpy(config_why, e->config_why, sizeof(config_why));
	memcpy(behind, e->peer_behind, sizeof(behind));
	pthread_mutex_unlock(&e->lock);
	ha_fsm_peer_behind(&b->fsm, behind);
	if (ipvs)
		flags |= HA_FLAG_IPVS;
	else
		snprintf(text, len, "IPVS unusable: %s", why);
	if (complete)
		flags |= HA_FLAG_CONFIG;
	else if (!known)
		flags |= HA_FLAG_CONFIG_PENDING;
	ha_fsm_config_why(&b->fsm, complete ? "" : config_why);
	/* after a freeze of this node, the loop gets one interval to turn before it counts */
	if (ha_timer_loop_alive(now_ms, alive, e->conf.ha_loop_timeout) ||
	    (ha_engine_now_us() < b->grace_until_us && (b->health & HA_FLAG_LOOP)))
		flags |= HA_FLAG_LOOP;
	else if (!text[0])
		snprintf(text, len, "main loop stalled: no turn for %" PRIu64 " ms",
			 now_ms - alive);
	down = ha_beat_link_down(e);
	snprintf(b->carrier_down, sizeof(b->carrier_down), "%s", down ? down : "");
	if (!down)
		flags |= HA_FLAG_CARRIER;
	else if (!text[0])
		snprintf(text, len, "link %s down", down);
	/* fresh to take the role; long silent to give it up (docs/ha.md, "Tie-breakers") */
	if (b->tb && ha_tiebreaker_reached(b->tb, now_ms,
					   b->fsm.role == HA_ROLE_ACTIVE ? HA_TIEBREAKER_HOLD
									 : HA_TIEBREAKER_WINDOW))
		flags |= HA_FLAG_TIEBREAKER;
	else if (b->tb && !text[0])
		snprintf(text, len, "no tie-breaker answers");
	ha_addr_report(e->addr, &ar);
	if (b->holding && ar.done >= b->take_gen && ar.held == ar.wanted)
		flags |= HA_FLAG_VIPS;
	else if (b->holding && !text[0])
		snprintf(text, len, "VIPs held: %zu of %zu", ar.held, b->nvips);
	if (!(flags & HA_FLAG_CONFIG) && !text[0])
		snprintf(text, len, "configuration %s: %s", known ? "refused" : "not checked yet",
			 config_why);
	return flags;
}

/* Logs each health change once, with numbers. */
static void ha_beat_health_log(struct ha_engine *e, unsigned before, unsigned now_flags,
			       uint64_t now_ms)
{
	struct ha_beat *b = &e->beat;
	unsigned lost = before & ~now_flags, back = now_flags & ~before;
	const unsigned known = HA_FLAG_CONFIG | HA_FLAG_CONFIG_PENDING; /* either: not refused */

	if (e->standalone)
		return; /* no role hangs on it: the status says it */

	if (lost & HA_FLAG_LOOP) {
		b->loop_bad_since = now_ms;
		log_warnx("ha",
			  "main loop stalled: no turn for %" PRIu64 " ms (ha_loop_timeout %lu ms)",
			  now_ms - atomic_load(&e->loop_alive), e->conf.ha_loop_timeout);
	}
	if (back & HA_FLAG_LOOP)
		log_notice("ha", "main loop turns again, after %" PRIu64 " ms",
			   now_ms - b->loop_bad_since);
	if (lost & HA_FLAG_CARRIER)
		log_warnx("ha", "link %s is down", b->carrier_down);
	if (back & HA_FLAG_CARRIER)
		log_notice("ha", "links up again");
	if (lost & HA_FLAG_IPVS) {
		char why[sizeof(e->ipvs_why)];

		pthread_mutex_lock(&e->lock);
		memcpy(why, e->ipvs_why, sizeof(why));
		pthread_mutex_unlock(&e->lock);
		log_warnx("ha", "IPVS unusable: this node cannot serve: %s", why);
	}
	if (back & HA_FLAG_IPVS)
		log_notice("ha", "IPVS usable again");
	if (!(now_flags & known) && (before & known)) {
		char why[sizeof(e->config_why)];

		pthread_mutex_lock(&e->lock);
		memcpy(why, e->config_why, sizeof(why));
		pthread_mutex_unlock(&e->lock);
		log_warnx("ha", "configuration refused: %s; this node still serves the rest", why);
	}
	if ((back & HA_FLAG_CONFIG) && (before & HA_FLAG_CONFIG_PENDING))
		log_info("ha", "configuration checked: the kernel holds all of it");
	else if (back & HA_FLAG_CONFIG)
		log_notice("ha", "configuration whole again: the kernel holds all of it");
	if (b->tb && (lost & HA_FLAG_TIEBREAKER))
		log_warnx("ha", "no tie-breaker answered in the last %d probes",
			  HA_TIEBREAKER_WINDOW);
	if (b->tb && (back & HA_FLAG_TIEBREAKER)) {
		if (b->tb_reached_once)
			log_notice("ha", "a tie-breaker answers again");
		else
			log_info("ha", "a tie-breaker answers");
		b->tb_reached_once = true;
	}
}

static void ha_beat_health_feed(struct ha_engine *e, uint64_t now_us, bool force)
{
	struct ha_beat *b = &e->beat;
	uint64_t now_ms = ha_beat_ms(now_us);
	unsigned flags = ha_beat_health(e, now_ms, b->health_text, sizeof(b->health_text));
	struct ha_fsm_result res;
	enum ha_role prev = b->fsm.role;

	if (flags == b->health && !force)
		return;
	/* at start, say only what is wrong (a tie-breaker has had no time to answer yet) */
	ha_beat_health_log(e, force ? HA_FLAGS_LOCAL & ~HA_FLAG_TIEBREAKER : b->health, flags,
			   now_ms);
	b->health = flags;
	ha_fsm_health(&b->fsm, flags, now_ms, &res);
	ha_beat_apply(e, &res, prev, now_us);
}

static void ha_beat_heard(struct ha_engine *e, const struct ha_msg *m, uint64_t now_ms)
{
	struct ha_beat *b = &e->beat;
	struct ha_fsm_result res;
	enum ha_role prev = b->fsm.role;

	ha_fsm_heard(&b->fsm, m, now_ms, &res);
	ha_beat_apply(e, &res, prev, ha_engine_now_us());
}

/* Once the VIPs are up: the sync daemon as master, and the announcements, each round when due. */
static void ha_beat_announce(struct ha_engine *e, uint64_t now_us)
{
	struct ha_beat *b = &e->beat;
	struct ha_addr_report ar;
	char err[192], text[HA_VIP_STRLEN];
	size_t ok = 0;

	if (b->announce_pending || b->sync_pending) {
		ha_addr_report(e->addr, &ar);
		if (!b->holding || ar.done < b->take_gen)
			return;
		if (b->sync_pending)
			ha_sync_want(e->sync, HA_SYNC_MASTER, "VIPs up");
		b->sync_pending = false;
		if (b->announce_pending) {
			b->announce_left = (unsigned)e->conf.ha_announce_count;
			b->next_announce_us = now_us;
		}
		b->announce_pending = false;
	}
	if (!b->nvips)
		b->announce_left = 0; /* nothing to announce: done, or the deadline stays due */
	if (!b->announce_left || now_us < b->next_announce_us)
		return;
	if (!b->ann && ha_announce_open(&b->ann) != 0) {
		log_warn("ha", "cannot open the sockets to announce the VIPs");
		b->announce_left = 0;
		return;
	}
	for (size_t i = 0; i < b->nvips; i++) {
		if (ha_announce_send(b->ann, &b->vips[i], err, sizeof(err)) == 0) {
			ok++;
			continue;
		}
		log_warnx("ha", "cannot announce VIP %s: %s",
			  ha_vip_format(&b->vips[i], text, sizeof(text)), err);
	}
	b->announcements += ok;
	b->announce_left--;
	log_info("ha", "announced %zu VIP%s (%lu of %lu)", ok, ok == 1 ? "" : "s",
		 e->conf.ha_announce_count - b->announce_left, e->conf.ha_announce_count);
	b->next_announce_us = now_us + e->conf.ha_announce_interval * 1000;
}

static bool ha_beat_vips_same(const struct ha_vip *a, size_t na, const struct ha_vip *b, size_t nb)
{
	bool *added, *removed;
	size_t changes;

	if (na != nb)
		return false;
	added = calloc(na + 1, sizeof(bool));
	removed = calloc(na + 1, sizeof(bool));
	changes = added && removed ? ha_vip_diff(a, na, b, nb, added, removed) : 1;
	free(added);
	free(removed);
	return changes == 0;
}

static void ha_beat_publish(struct ha_engine *e, uint64_t now_ms);

/*
 * Takes what the main thread queued: commands, a new VIP list, a stop. The
 * snapshot is published before the commands' answers are posted, so that a
 * caller reading the status when its answer comes sees what it did.
 */
static void ha_beat_commands(struct ha_engine *e, uint64_t now_us)
{
	struct ha_beat *b = &e->beat;
	struct ha_cmd cmds[16];
	struct ha_event answers[16];
	size_t n, nanswers = 0;
	struct ha_vip *vips = NULL;
	size_t nvips = 0;
	bool changed, stop;

	pthread_mutex_lock(&e->lock);
	n = e->ncmds;
	memcpy(cmds, e->cmds, n * sizeof(cmds[0]));
	e->ncmds = 0;
	changed = e->vips_changed;
	if (changed) {
		vips = e->new_vips;
		nvips = e->nnew_vips;
		e->new_vips = NULL;
		e->vips_changed = false;
	}
	stop = e->stop_asked && !b->stopping;
	pthread_mutex_unlock(&e->lock);

	if (changed && e->standalone && !e->conf.ha_standalone_vips) {
		free(b->vips); /* kept for the status; nothing to add or remove */
		b->vips = vips;
		b->nvips = nvips;
	} else if (changed && ha_beat_vips_same(b->vips, b->nvips, vips, nvips)) {
		free(vips); /* a revision that did not touch the VIPs: nothing to add or announce */
	} else if (changed) {
		free(b->vips);
		b->vips = vips;
		b->nvips = nvips;
		if (b->holding)
			ha_beat_take(e, "VIPs changed");
		else
			ha_addr_want(e->addr, false, 0, b->vips, b->nvips, "VIPs changed");
	}
	for (size_t i = 0; i < n; i++) {
		struct ha_event ev = {.kind = HA_EV_DONE, .fn = cmds[i].fn, .arg = cmds[i].arg};
		struct ha_fsm_result res;
		enum ha_role prev = b->fsm.role;
		uint64_t now_ms = ha_beat_ms(now_us);

		memset(&res, 0, sizeof(res));
		if (e->standalone) {
			ev.rc = -EPERM;
			snprintf(ev.reason, sizeof(ev.reason),
				 "this node is standalone (no ha_peer)");
		} else if (cmds[i].kind == HA_CMD_SWITCHOVER) {
			ev.rc = ha_fsm_switchover(&b->fsm, cmds[i].flag, now_ms, &res);
			ha_beat_apply(e, &res, prev, now_us);
		} else {
			ha_fsm_maintenance(&b->fsm, cmds[i].flag, now_ms, &res);
			ha_beat_apply(e, &res, prev, now_us);
		}
		if (!ev.reason[0])
			snprintf(ev.reason, sizeof(ev.reason), "%s",
				 res.reason[0] ? res.reason : "nothing to change");
		if (ev.fn)
			answers[nanswers++] = ev;
	}
	if (nanswers) {
		ha_beat_publish(e, ha_beat_ms(now_us));
		for (size_t i = 0; i < nanswers; i++)
			ha_engine_post(e, &answers[i]);
	}
	if (stop) {
		struct ha_fsm_result res;
		enum ha_role prev = b->fsm.role;

		b->stopping = true;
		b->stop_gen = 0;
		b->stop_deadline_us = now_us + HA_BEAT_STOP_WAIT_US;
		if (!e->standalone) {
			ha_fsm_stop(&b->fsm, ha_beat_ms(now_us), &res);
			ha_beat_apply(e, &res, prev, now_us);
		}
	}
}

/* The snapshot the main thread reads. */
static void ha_beat_publish(struct ha_engine *e, uint64_t now_ms)
{
	struct ha_beat *b = &e->beat;
	struct status_cluster st;
	struct ha_fsm_status fs;
	struct ha_addr_report ar;
	struct ha_sync_report sr;

	memset(&st, 0, sizeof(st));
	ha_fsm_status(&b->fsm, &fs);
	ha_addr_report(e->addr, &ar);
	st.enabled = !e->standalone;
	snprintf(st.node, sizeof(st.node), "%s", e->node);
	snprintf(st.cluster, sizeof(st.cluster), "%s", e->conf.ha_cluster);
	st.role = (enum status_role)fs.role;
	st.term = fs.term;
	st.flags = fs.flags;
	st.priority = (unsigned)e->conf.ha_priority;
	st.maintenance = fs.maintenance;
	st.epoch = e->epoch;
	st.revision = atomic_load(&e->revision);
	st.since = ha_beat_wall(now_ms, fs.since);
	snprintf(st.reason, sizeof(st.reason), "%s", fs.reason);
	snprintf(st.blocked, sizeof(st.blocked), "%s", fs.blocked);
	snprintf(st.health, sizeof(st.health), "%s", b->health_text);
	st.peer.state = (enum status_peer_state)fs.peer.state;
	snprintf(st.peer.name, sizeof(st.peer.name), "%s", fs.peer.node);
	snprintf(st.peer.addr, sizeof(st.peer.addr), "%s", b->peer_addr);
	st.peer.role = (enum status_role)fs.peer.role;
	st.peer.term = fs.peer.term;
	st.peer.flags = fs.peer.flags;
	st.peer.priority = fs.peer.priority;
	st.peer.revision = fs.peer.revision;
	st.peer.epoch = ha_replay_epoch(&b->replay);
	st.peer.seq = fs.peer.seq;
	st.peer.last_heard = ha_beat_wall(now_ms, fs.peer.last_heard);
	st.peer.silent_ms = fs.peer.last_heard ? now_ms - fs.peer.last_heard : 0;
	st.peer.state_since = ha_beat_wall(now_ms, b->peer_state_since);
	st.npaths = b->npaths;
	for (size_t i = 0; i < b->npaths; i++) {
		const struct ha_path *p = &b->paths[i];
		struct status_ha_path *o = &st.paths[i];

		memcpy(o->peer, p->peer_text, sizeof(o->peer));
		memcpy(o->bind, p->bind_text, sizeof(o->bind));
		o->sent = p->sent;
		o->send_errors = p->send_errors;
		snprintf(o->send_error, sizeof(o->send_error), "%s", p->send_error);
		o->received = p->received;
		o->last_heard = ha_beat_wall(now_ms, p->last_heard);
	}
	st.sent = b->sent;
	st.sent_stepdown = b->sent_stepdown;
	st.send_errors = b->send_errors;
	for (int r = 0; r < HA_PACKET_RESULT_COUNT; r++) {
		st.received[r].name = ha_packet_result_name((enum ha_packet_result)r);
		st.received[r].n = b->rx.n[r];
	}
	st.role_changes = b->role_changes;
	st.vips = b->nvips;
	st.vips_held = b->holding && ar.done >= b->take_gen ? ar.held : 0;
	st.vips_put_back = ar.put_back;
	st.announcements = b->announcements;
	if (b->tb)
		ha_tiebreaker_status(b->tb, now_ms, ha_engine_wall_ms(), &st);
	if (!e->standalone) {
		ha_sync_report(e->sync, &sr);
		snprintf(st.sync_state, sizeof(st.sync_state), "%s", sr.state);
		snprintf(st.sync_error, sizeof(st.sync_error), "%s", sr.error);
		st.sync_last_ms = sr.last_ms;
	} else {
		snprintf(st.sync_state, sizeof(st.sync_state), "none");
	}
	st.late_max_ms = b->late.max_ms;
	st.late_over_half = b->late.over_half;
	st.freezes = b->freezes;
	st.realtime = b->realtime;
	pthread_mutex_lock(&e->lock);
	e->snap = st;
	pthread_mutex_unlock(&e->lock);
}

static void ha_beat_min(uint64_t *d, uint64_t t)
{
	if (t < *d)
		*d = t;
}

/* The next time the loop has something to do, in monotonic µs. */
static uint64_t ha_beat_deadline(struct ha_engine *e, uint64_t now_us)
{
	struct ha_beat *b = &e->beat;
	uint64_t d = now_us + e->conf.ha_interval * 1000; /* health is looked at every interval */
	uint64_t f = ha_fsm_deadline(&b->fsm);

	if (!e->standalone)
		ha_beat_min(&d, b->next_send_us);
	/* after a freeze the machine's tick waits out the grace: so does the wait for it */
	if (f != UINT64_MAX)
		ha_beat_min(&d, f * 1000 > b->grace_until_us ? f * 1000 : b->grace_until_us);
	if (b->tb)
		ha_beat_min(&d, ha_tiebreaker_next(b->tb) * 1000);
	if (b->announce_left)
		ha_beat_min(&d, b->next_announce_us);
	return d;
}

/*
 * This thread woke more than an interval after its deadline: the node itself
 * was frozen (a stalled VM, a starved CPU, a stop signal). The silence it now
 * sees is its own, not evidence against the peer, whose heartbeats may sit
 * unread in the same stalled kernel: for one interval the machine's deadline
 * waits (no tick) and the main loop's staleness is not held against it, so
 * the peer and the loop get a chance to be heard. Corosync's pause detection
 * does the same. Logged, counted as a late send.
 */
static void ha_beat_frozen(struct ha_engine *e, uint64_t deadline_us, uint64_t now_us)
{
	struct ha_beat *b = &e->beat;
	uint64_t interval_us = e->conf.ha_interval * 1000;

	if (!ha_timer_frozen(deadline_us, now_us, e->conf.ha_interval))
		return;
	b->grace_until_us = now_us + interval_us;
	b->freezes++;
	log_notice("ha",
		   "heartbeat thread woke %" PRIu64 " ms late (this node was frozen): silences end "
		   "one interval later",
		   (now_us - deadline_us) / 1000);
}

/* Asks for SCHED_FIFO: heartbeats then go out even when every CPU is busy with fulcrumd or others. */
static void ha_beat_realtime(struct ha_beat *b)
{
	struct sched_param sp = {.sched_priority = HA_BEAT_RT_PRIORITY};
	int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);

	b->realtime = rc == 0;
	if (rc == 0)
		log_info("ha", "heartbeat thread runs SCHED_FIFO, priority %d",
			 HA_BEAT_RT_PRIORITY);
	else
		log_notice("ha",
			   "heartbeat thread runs at normal priority: SCHED_FIFO refused (%s)",
			   strerror(rc));
}

static void ha_beat_start(struct ha_engine *e, uint64_t now_us)
{
	struct ha_beat *b = &e->beat;
	struct ha_fsm_conf fc = {
	    .priority = (unsigned)e->conf.ha_priority,
	    .interval = e->conf.ha_interval,
	    .deadtime = e->conf.ha_deadtime,
	    .initdead = e->conf.ha_initdead,
	    .repair_timeout = e->conf.ha_repair_timeout,
	    .tiebreakers = b->tb != NULL,
	    .standalone = e->standalone,
	    .epoch = e->epoch,
	};
	struct ha_fsm_result res;

	snprintf(fc.node, sizeof(fc.node), "%s", e->node);
	ha_fsm_init(&b->fsm, &fc, ha_beat_ms(now_us), &res);
	if (e->standalone && !e->conf.ha_standalone_vips)
		log_notice("ha", "standalone (no ha_peer), ha_standalone_vips no: the system holds "
				 "the VIPs, fulcrumd adds none");
	else if (e->standalone)
		log_notice("ha", "standalone (no ha_peer): this node holds its %zu VIP%s itself",
			   b->nvips, b->nvips == 1 ? "" : "s");
	else
		log_notice("ha",
			   "failover engine started: node %s, epoch %" PRIu64
			   ", %zu heartbeat path%s, "
			   "%zu VIP%s; %s",
			   e->node, e->epoch, b->npaths, b->npaths == 1 ? "" : "s", b->nvips,
			   b->nvips == 1 ? "" : "s", res.reason);
	b->peer_state = HA_PEER_UNKNOWN;
	if (e->standalone) {
		if (e->conf.ha_standalone_vips)
			ha_beat_take(e, "standalone");
	} else {
		/* VIPs on our interfaces now were left by a killed fulcrumd: the peer may hold them */
		b->holding = false;
		ha_addr_want(e->addr, false, 0, b->vips, b->nvips, "start");
		ha_sync_want(e->sync, HA_SYNC_BACKUP, "start");
	}
	b->next_send_us = now_us;
	ha_beat_health_feed(e, now_us, true);
}

void *ha_beat_main(void *arg)
{
	struct ha_engine *e = arg;
	struct ha_beat *b = &e->beat;
	uint64_t now_us = ha_engine_now_us();

	if (!e->standalone && e->conf.ha_realtime)
		ha_beat_realtime(b);
	else if (!e->standalone)
		log_info("ha", "heartbeat thread runs at normal priority (ha_realtime no)");
	ha_beat_start(e, now_us);
	for (;;) {
		struct pollfd pfd[1 + HA_PATHS_MAX + 2];
		size_t n = 0, nsock, ntb;
		int tbfds[2];
		uint64_t deadline, wait_us, now_ms, f;
		struct timespec ts;

		now_us = ha_engine_now_us();
		deadline = ha_beat_deadline(e, now_us);
		pfd[n++] = (struct pollfd){.fd = e->beat_efd, .events = POLLIN};
		for (size_t i = 0; i < b->nfds; i++)
			pfd[n++] = (struct pollfd){.fd = b->fds[i], .events = POLLIN};
		nsock = n;
		ntb = b->tb ? ha_tiebreaker_fds(b->tb, tbfds) : 0;
		for (size_t i = 0; i < ntb; i++)
			pfd[n++] = (struct pollfd){.fd = tbfds[i], .events = POLLIN};
		wait_us = deadline > now_us ? deadline - now_us : 0;
		ts.tv_sec = (time_t)(wait_us / 1000000);
		ts.tv_nsec = (long)(wait_us % 1000000) * 1000;
		ppoll(pfd, n, &ts, NULL);

		/* a deadline already past when the wait began is due at once, not late */
		ha_beat_frozen(e, deadline > now_us ? deadline : now_us, ha_engine_now_us());
		now_us = ha_engine_now_us();
		now_ms = ha_beat_ms(now_us);
		if (pfd[0].revents & POLLIN) {
			uint64_t v;

			if (read(e->beat_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				log_warn("ha", "heartbeat thread: reading its wake-up");
		}
		pthread_mutex_lock(&e->lock);
		bool exit_now = e->exit_now;
		pthread_mutex_unlock(&e->lock);
		if (exit_now)
			break;
		ha_beat_commands(e, now_us);
		for (size_t i = 1; i < nsock; i++)
			if (pfd[i].revents & POLLIN)
				ha_path_read(e, pfd[i].fd, now_ms, ha_beat_heard);
		for (size_t i = nsock; i < n; i++)
			if (pfd[i].revents & POLLIN)
				ha_tiebreaker_read(b->tb, pfd[i].fd, now_ms);
		if (b->tb && now_ms >= ha_tiebreaker_next(b->tb))
			ha_tiebreaker_probe(b->tb, now_ms);
		ha_beat_health_feed(e, now_us, false);
		f = ha_fsm_deadline(&b->fsm);
		if (f != UINT64_MAX && now_ms >= f && now_us >= b->grace_until_us) {
			struct ha_fsm_result res;
			enum ha_role prev = b->fsm.role;

			ha_fsm_tick(&b->fsm, now_ms, &res);
			ha_beat_apply(e, &res, prev, now_us);
		}
		ha_beat_announce(e, now_us);
		if (!e->standalone && !b->stopping && now_us >= b->next_send_us) {
			uint64_t due = b->next_send_us;

			ha_timer_late_note(&b->late, due, now_us, e->conf.ha_interval);
			ha_path_send(e, HA_MSG_HEARTBEAT);
			b->next_send_us = ha_timer_next_send(due, now_us, e->conf.ha_interval);
		}
		ha_beat_publish(e, now_ms);
		if (b->stopping) {
			struct ha_addr_report ar;

			ha_addr_report(e->addr, &ar);
			if (ar.done < b->stop_gen && now_us < b->stop_deadline_us)
				continue;
			if (!e->standalone) {
				/* a second STEPDOWN, once the VIPs are gone: one lost on the wire is not fatal */
				ha_path_send(e, HA_MSG_STEPDOWN);
				ha_sync_want(e->sync, HA_SYNC_NONE, "shutdown");
			}
			if (ar.done < b->stop_gen)
				log_warnx("ha", "the VIPs' release did not finish within %d ms",
					  HA_BEAT_STOP_WAIT_US / 1000);
			if (!e->standalone)
				log_notice("ha",
					   "heartbeat thread: %" PRIu64
					   " sends, late by %.1f ms at most, "
					   "%" PRIu64 " times by over half an interval (%s)",
					   b->late.sends, b->late.max_ms, b->late.over_half,
					   b->realtime ? "SCHED_FIFO" : "normal priority");
			ha_engine_post(e, &(struct ha_event){.kind = HA_EV_STOPPED});
			break;
		}
	}
	return NULL;
}
