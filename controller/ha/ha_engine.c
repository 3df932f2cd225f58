/* The failover engine's main-thread side: start and stop, commands in, events out through an eventfd the main loop watches. */
#include "controller/ha/ha_engine-int.h"

#include "controller/ha/ha_epoch.h"
#include "controller/lib/log.h"
#include "controller/lib/looplag.h"

#include <errno.h>
#include <event2/event.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HA_ENGINE_ALIVE_MS     100  /* the main loop's proof of life */
#define HA_ENGINE_SYNC_WAIT_MS 5000 /* a sync daemon stop at exit is waited for this long */

uint64_t ha_engine_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int64_t ha_engine_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ha_engine_efd_write(int fd)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is full, the reader is woken anyway */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("ha", "cannot write an eventfd");
}

void ha_engine_kick(struct ha_engine *e)
{
	ha_engine_efd_write(e->beat_efd);
}

void ha_engine_post(struct ha_engine *e, const struct ha_event *ev)
{
	pthread_mutex_lock(&e->lock);
	if (e->nevents == e->capevents) {
		size_t cap = e->capevents ? e->capevents * 2 : 16;
		struct ha_event *grown = realloc(e->events, cap * sizeof(*grown));

		if (!grown) {
			pthread_mutex_unlock(&e->lock);
			log_warnx("ha", "out of memory: an event for the main loop is lost");
			return;
		}
		e->events = grown;
		e->capevents = cap;
	}
	e->events[e->nevents++] = *ev;
	pthread_mutex_unlock(&e->lock);
	ha_engine_efd_write(e->main_efd);
}

/* The address thread's report changed: the heartbeat thread looks (to announce, to report). */
static void ha_engine_addr_wake(void *arg)
{
	ha_engine_kick(arg);
}

/* In the main loop: the heartbeat thread's events, in order, outside the lock. */
static void ha_engine_on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct ha_engine *e = arg;
	struct ha_event *evs;
	size_t n;
	uint64_t v;

	looplag_mark();
	(void)what;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&e->lock);
	evs = e->events;
	n = e->nevents;
	e->events = NULL;
	e->nevents = e->capevents = 0;
	pthread_mutex_unlock(&e->lock);
	for (size_t i = 0; i < n; i++) {
		const struct ha_event *ev = &evs[i];

		switch (ev->kind) {
		case HA_EV_ROLE:
			ha_role_hook_run(&e->role_hook, &ev->role);
			break;
		case HA_EV_PEER:
			ha_peer_hook_run(&e->peer_hook, &ev->peer);
			break;
		case HA_EV_DONE:
			if (ev->fn)
				ev->fn(ev->arg, ev->rc, ev->reason);
			break;
		case HA_EV_STOPPED:
			if (e->stopped_fn)
				e->stopped_fn(e->stopped_arg);
			break;
		}
	}
	free(evs);
}

static void ha_engine_on_alive(evutil_socket_t fd, short what, void *arg)
{
	struct ha_engine *e = arg;

	looplag_mark();
	(void)fd;
	(void)what;
	atomic_store(&e->loop_alive, ha_engine_now_us() / 1000);
}

/* The interfaces that hold the heartbeat paths' bind addresses: their carrier counts too. */
static void ha_engine_bind_ifs(struct ha_engine *e)
{
	const char *binds[HA_PATHS_MAX] = {e->conf.ha_bind, e->conf.ha_bind2};
	struct ifaddrs *ifa = NULL;

	if (getifaddrs(&ifa) != 0)
		return;
	for (size_t i = 0; i < HA_PATHS_MAX; i++) {
		struct sockaddr_storage want;
		socklen_t len;

		if (!binds[i][0] || conf_addr_parse(binds[i], &want, &len) != 0)
			continue;
		for (struct ifaddrs *a = ifa; a; a = a->ifa_next) {
			bool same;

			if (!a->ifa_addr || a->ifa_addr->sa_family != want.ss_family)
				continue;
			if (want.ss_family == AF_INET)
				same = ((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr ==
				       ((struct sockaddr_in *)&want)->sin_addr.s_addr;
			else
				same = memcmp(&((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr,
					      &((struct sockaddr_in6 *)&want)->sin6_addr, 16) == 0;
			if (same) {
				snprintf(e->bind_ifs[e->nbind_ifs++], sizeof(e->bind_ifs[0]), "%s",
					 a->ifa_name);
				break;
			}
		}
	}
	freeifaddrs(ifa);
}

/* The epochs: this start's (greater than any before), and the peer's window as saved. */
static int ha_engine_epochs(struct ha_engine *e, const char *db_path, char *err, size_t errlen)
{
	char path[4200], node[HA_NAME_MAX + 1];
	uint64_t epoch, seq;
	int rc = ha_epoch_path(db_path, "ha-epoch", path, sizeof(path));

	if (rc == 0)
		rc = ha_epoch_path(db_path, "ha-peer", e->peer_path, sizeof(e->peer_path));
	if (rc != 0) {
		snprintf(err, errlen, "%s: the path of the epoch files is too long", db_path);
		return rc;
	}
	rc = ha_epoch_next(path, (uint64_t)ha_engine_wall_ms(), &e->epoch, err, errlen);
	if (rc != 0)
		return rc;
	rc = ha_epoch_peer_load(e->peer_path, node, sizeof(node), &epoch, &seq, err, errlen);
	if (rc != 0)
		return rc;
	ha_replay_init(&e->beat.replay, epoch, seq);
	snprintf(e->beat.replay_node, sizeof(e->beat.replay_node), "%s", node);
	e->beat.saved_epoch = epoch;
	ha_replay_init(&e->beat.stranger, 0, 0);
	log_info("ha", "epoch %" PRIu64 "%s%s%s", e->epoch, node[0] ? "; peer " : "", node,
		 node[0] ? " last seen in its epoch saved beside the database" : "");
	return 0;
}

int ha_engine_new(const struct ha_engine_params *p, struct ha_engine **out, char *err,
		  size_t errlen)
{
	struct ha_engine *e = calloc(1, sizeof(*e));
	struct timeval alive = {0, HA_ENGINE_ALIVE_MS * 1000};
	int rc;

	*out = NULL;
	if (!e)
		return -ENOMEM;
	e->conf = *p->conf;
	snprintf(e->node, sizeof(e->node), "%s", p->node);
	e->standalone = !p->conf->ha_peer[0];
	e->base = p->base;
	e->main_efd = e->beat_efd = -1;
	e->beat.ifd = -1;
	pthread_mutex_init(&e->lock, NULL);
	e->ipvs_usable = p->ipvs_usable;
	snprintf(e->ipvs_why, sizeof(e->ipvs_why), "%s", p->ipvs_why ? p->ipvs_why : "");
	e->config_complete = !p->config_partial && !p->config_pending;
	e->config_known = !p->config_pending;
	snprintf(e->config_why, sizeof(e->config_why), "%s", p->config_why ? p->config_why : "");
	atomic_store(&e->revision, p->revision);
	atomic_store(&e->loop_alive, ha_engine_now_us() / 1000);
	if (p->nvips) {
		e->beat.vips = malloc(p->nvips * sizeof(*e->beat.vips));
		if (!e->beat.vips) {
			rc = -ENOMEM;
			goto fail;
		}
		memcpy(e->beat.vips, p->vips, p->nvips * sizeof(*e->beat.vips));
		e->beat.nvips = p->nvips;
	}
	e->main_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	e->beat_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	e->beat.ifd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (e->main_efd < 0 || e->beat_efd < 0 || e->beat.ifd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create the engine's descriptors: %s", strerror(-rc));
		goto fail;
	}
	if (!e->standalone) {
		rc = ha_engine_epochs(e, p->db_path, err, errlen);
		if (rc == 0)
			rc = ha_path_open(e, err, errlen);
		if (rc == 0)
			rc = ha_tiebreaker_new(
			    e->conf.ha_tiebreaker,
			    ha_timer_probe_ms(e->conf.ha_deadtime, HA_TIEBREAKER_WINDOW),
			    &e->beat.tb, err, errlen);
		if (rc == 0)
			rc = ha_sync_new(e->conf.ha_sync_interface, (unsigned)e->conf.ha_sync_id,
					 e->peer_path, &e->sync, err, errlen);
		if (rc != 0)
			goto fail;
		ha_engine_bind_ifs(e);
	}
	rc = ha_addr_new(ha_engine_addr_wake, e, &e->addr, err, errlen);
	if (rc != 0)
		goto fail;
	e->wake_ev = event_new(e->base, e->main_efd, EV_READ | EV_PERSIST, ha_engine_on_wake, e);
	e->alive_ev = event_new(e->base, -1, EV_PERSIST, ha_engine_on_alive, e);
	if (!e->wake_ev || !e->alive_ev || event_add(e->wake_ev, NULL) != 0 ||
	    event_add(e->alive_ev, &alive) != 0) {
		rc = -ENOMEM;
		snprintf(err, errlen, "cannot add the engine's events to the loop");
		goto fail;
	}
	e->keys = p->keys; /* before the thread: it signs with them */
	rc = -pthread_create(&e->thread, NULL, ha_beat_main, e);
	if (rc != 0) {
		e->keys = NULL; /* still the caller's */
		snprintf(err, errlen, "cannot start the heartbeat thread: %s", strerror(-rc));
		goto fail;
	}
	e->started = true;
	*out = e;
	return 0;
fail:
	ha_engine_free(e);
	return rc;
}

/*
 * The threads are gone: every command still owed an answer gets one, so its
 * caller can free what it waits with. One the heartbeat thread answered
 * has its answer; one it never took is cancelled. Role and peer events are
 * dropped: their subscribers may be gone already.
 */
static void ha_engine_answer_all(struct ha_engine *e)
{
	for (size_t i = 0; i < e->nevents; i++)
		if (e->events[i].kind == HA_EV_DONE && e->events[i].fn)
			e->events[i].fn(e->events[i].arg, e->events[i].rc, e->events[i].reason);
	for (size_t i = 0; i < e->ncmds; i++)
		if (e->cmds[i].fn)
			e->cmds[i].fn(
			    e->cmds[i].arg, -ECANCELED,
			    "fulcrumd stopped before the failover engine took the command");
	e->nevents = e->ncmds = 0;
}

void ha_engine_free(struct ha_engine *e)
{
	if (!e)
		return;
	if (e->started) {
		pthread_mutex_lock(&e->lock);
		e->exit_now = true;
		pthread_mutex_unlock(&e->lock);
		ha_engine_kick(e);
		pthread_join(e->thread, NULL);
	}
	ha_engine_answer_all(e);
	ha_addr_free(e->addr);
	ha_sync_free(e->sync, HA_ENGINE_SYNC_WAIT_MS);
	ha_tiebreaker_free(e->beat.tb);
	ha_announce_close(e->beat.ann);
	ha_path_close(e);
	if (e->wake_ev)
		event_free(e->wake_ev);
	if (e->alive_ev)
		event_free(e->alive_ev);
	if (e->main_efd >= 0)
		close(e->main_efd);
	if (e->beat_efd >= 0)
		close(e->beat_efd);
	if (e->beat.ifd >= 0)
		close(e->beat.ifd);
	hook_clear(&e->role_hook);
	hook_clear(&e->peer_hook);
	free(e->events);
	free(e->new_vips);
	free(e->beat.vips);
	if (e->started)
		ha_keys_free(e->keys); /* the caller's until the engine started */
	pthread_mutex_destroy(&e->lock);
	free(e);
}

void ha_engine_stop(struct ha_engine *e, ha_engine_stopped_fn fn, void *arg)
{
	e->stopped_fn = fn;
	e->stopped_arg = arg;
	pthread_mutex_lock(&e->lock);
	e->stop_asked = true;
	pthread_mutex_unlock(&e->lock);
	ha_engine_kick(e);
}

static int ha_engine_cmd(struct ha_engine *e, enum ha_cmd_kind kind, bool flag,
			 ha_engine_done_fn fn, void *arg)
{
	int rc = 0;

	pthread_mutex_lock(&e->lock);
	if (e->stop_asked)
		rc = -ECANCELED;
	else if (e->ncmds == sizeof(e->cmds) / sizeof(e->cmds[0]))
		rc = -ENOMEM;
	else
		e->cmds[e->ncmds++] =
		    (struct ha_cmd){.kind = kind, .flag = flag, .fn = fn, .arg = arg};
	pthread_mutex_unlock(&e->lock);
	if (rc == 0)
		ha_engine_kick(e);
	return rc;
}

int ha_engine_switchover(struct ha_engine *e, bool force, ha_engine_done_fn fn, void *arg)
{
	return ha_engine_cmd(e, HA_CMD_SWITCHOVER, force, fn, arg);
}

int ha_engine_maintenance(struct ha_engine *e, bool on, ha_engine_done_fn fn, void *arg)
{
	return ha_engine_cmd(e, HA_CMD_MAINTENANCE, on, fn, arg);
}

int ha_engine_vips_set(struct ha_engine *e, const struct ha_vip *vips, size_t n)
{
	struct ha_vip *copy = malloc((n + 1) * sizeof(*copy));

	if (!copy)
		return -ENOMEM;
	if (n)
		memcpy(copy, vips, n * sizeof(*copy));
	pthread_mutex_lock(&e->lock);
	free(e->new_vips);
	e->new_vips = copy;
	e->nnew_vips = n;
	e->vips_changed = true;
	pthread_mutex_unlock(&e->lock);
	ha_engine_kick(e);
	return 0;
}

void ha_engine_revision_set(struct ha_engine *e, int64_t revision)
{
	atomic_store(&e->revision, revision);
}

void ha_engine_ipvs_set(struct ha_engine *e, bool usable, const char *why)
{
	bool changed;

	pthread_mutex_lock(&e->lock);
	changed = e->ipvs_usable != usable;
	e->ipvs_usable = usable;
	snprintf(e->ipvs_why, sizeof(e->ipvs_why), "%s", why ? why : "");
	pthread_mutex_unlock(&e->lock);
	if (changed)
		ha_engine_kick(e);
}

void ha_engine_config_set(struct ha_engine *e, bool complete, bool known, const char *why)
{
	bool changed;

	pthread_mutex_lock(&e->lock);
	changed = e->config_complete != complete || e->config_known != known;
	e->config_complete = complete;
	e->config_known = known;
	snprintf(e->config_why, sizeof(e->config_why), "%s", why ? why : "");
	pthread_mutex_unlock(&e->lock);
	if (changed)
		ha_engine_kick(e);
}

void ha_engine_peer_behind_set(struct ha_engine *e, const char *why)
{
	bool changed;

	pthread_mutex_lock(&e->lock);
	changed = strcmp(e->peer_behind, why ? why : "") != 0;
	snprintf(e->peer_behind, sizeof(e->peer_behind), "%s", why ? why : "");
	pthread_mutex_unlock(&e->lock);
	if (changed)
		ha_engine_kick(e);
}

int ha_engine_role_subscribe(struct ha_engine *e, ha_role_hook_fn fn, void *arg)
{
	return ha_role_hook_add(&e->role_hook, fn, arg);
}

int ha_engine_peer_subscribe(struct ha_engine *e, ha_peer_hook_fn fn, void *arg)
{
	return ha_peer_hook_add(&e->peer_hook, fn, arg);
}

void ha_engine_status(struct ha_engine *e, struct status_cluster *out)
{
	pthread_mutex_lock(&e->lock);
	*out = e->snap;
	pthread_mutex_unlock(&e->lock);
}

bool ha_engine_vip_held(struct ha_engine *e, const struct ha_vip *v, const char **reason)
{
	bool held = ha_addr_holds(e->addr, v);
	enum status_role role;

	pthread_mutex_lock(&e->lock);
	role = e->snap.role;
	pthread_mutex_unlock(&e->lock);
	if (role == STATUS_ROLE_STANDALONE && !e->conf.ha_standalone_vips)
		*reason = "standalone with ha_standalone_vips = no: fulcrumd adds no VIP to any "
			  "interface; the system holds them, or not";
	else if (role == STATUS_ROLE_STANDALONE)
		*reason = held
			      ? "on its interface: a standalone node holds its VIPs"
			      : "missing from its interface: a standalone node adds it, or puts it "
				"back (see the log)";
	else if (role == STATUS_ROLE_ACTIVE)
		*reason = held ? "on its interface: this node is active"
			       : "missing from its interface: this active node adds it, or puts it "
				 "back (see the log)";
	else
		*reason = held ? "on its interface although this node is not active: being removed"
			       : "not on this node: it is not the active one";
	return held;
}
