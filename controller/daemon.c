/* fulcrumd's running state: the event loop and the modules plugged into it. */
#include "controller/daemon-int.h"

#include "controller/core/ackwait.h"
#include "controller/core/auth.h"
#include "controller/core/oper.h"
#include "controller/core/store.h"
#include "controller/ha/ha_engine.h"
#include "controller/ha/ha_keys.h"
#include "controller/ha/repl.h"
#include "controller/health/health.h"
#include "controller/health/health_targets.h"
#include "controller/lib/idmap.h"
#include "controller/lib/log.h"
#include "controller/lib/looplag.h"
#include "controller/model/model.h"
#include "controller/reconcile/reconcile.h"
#include "db/db.h"

#include "config.h"

#include <assert.h>
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A graceful stop waits this long for the failover engine to hand over before the loop ends. */
#define DAEMON_HA_STOP_MS 5000

static void daemon_on_ha_stopped(void *arg)
{
	struct daemon *d = arg;

	event_base_loopbreak(d->base);
}

static void daemon_on_ha_stop_timeout(evutil_socket_t fd, short what, void *arg)
{
	looplag_mark();
	(void)fd;
	(void)what;
	log_warnx("ha", "the failover engine did not finish its stop within %d ms; stopping anyway",
		  DAEMON_HA_STOP_MS);
	daemon_on_ha_stopped(arg);
}

/*
 * SIGTERM, SIGINT: with the failover engine, the loop goes on (the API
 * answers) until the engine has stepped down and released the VIPs, or
 * DAEMON_HA_STOP_MS; a second signal ends it at once.
 */
static void daemon_on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval wait = {DAEMON_HA_STOP_MS / 1000, (DAEMON_HA_STOP_MS % 1000) * 1000};

	looplag_mark();
	(void)what;
	log_notice("daemon", "%s received, stopping", strsignal((int)sig));
	daemon_notify_stopping(d);
	if (!d->ha || d->stopping) {
		event_base_loopbreak(d->base);
		return;
	}
	d->stopping = true;
	ha_engine_stop(d->ha, daemon_on_ha_stopped, d);
	d->ha_stop_timer = evtimer_new(d->base, daemon_on_ha_stop_timeout, d);
	if (!d->ha_stop_timer || evtimer_add(d->ha_stop_timer, &wait) != 0)
		event_base_loopbreak(d->base);
}

static void daemon_on_hup(evutil_socket_t sig, short what, void *arg)
{
	looplag_mark();
	(void)sig;
	(void)what;
	(void)arg;
	if (log_reopen() == 0)
		log_notice("daemon", "SIGHUP received, log reopened");
}

/* Logs the loop's histogram: turns, their time, and how many took up to each bound. */
static void daemon_loop_log(const struct looplag *h)
{
	char buckets[256] = "";
	size_t used = 0;

	for (unsigned i = 0; i <= LOOPLAG_BOUNDS && used < sizeof(buckets); i++) {
		int n;

		if (i < LOOPLAG_BOUNDS)
			n = snprintf(buckets + used, sizeof(buckets) - used, "%s<=%ums %llu",
				     i ? ", " : "", looplag_bounds_ms[i],
				     (unsigned long long)h->buckets[i]);
		else
			n = snprintf(buckets + used, sizeof(buckets) - used, ", more %llu",
				     (unsigned long long)h->buckets[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	log_notice("status", "loop: %llu turns, busy %.0f ms, the longest %.1f ms; by length: %s",
		   (unsigned long long)h->turns, h->sum_ms, h->max_ms, buckets);
}

/*
 * Logs what fulcrumd holds; with_ipvs adds IPVS's state (the start says that
 * once already) and the loop's histogram (empty at the start).
 */
static void daemon_status_log(struct daemon *d, bool with_ipvs)
{
	struct status_daemon st;

	daemon_status_get(d, &st);
	log_notice("status",
		   "node %s, version %s, up %lds, revision %lld, %zu services, %zu real servers",
		   st.node_name, st.version, (long)(time(NULL) - st.started),
		   (long long)st.revision, st.services, st.reals);
	if (d->ha) {
		struct status_cluster c;

		ha_engine_status(d->ha, &c);
		if (c.enabled)
			log_notice(
			    "status",
			    "ha: %s, term %llu, since %s; peer %s %s (%s), heard %llu ms ago; "
			    "VIPs %zu of %zu held; %llu heartbeats sent, %llu accepted; sends late "
			    "by %.1f ms at most, %llu times by over half an interval (%s)",
			    status_role_name(c.role), (unsigned long long)c.term, c.reason,
			    c.peer.name[0] ? c.peer.name : "(never heard)",
			    status_peer_state_name(c.peer.state),
			    c.peer.role ? status_role_name(c.peer.role) : "-",
			    (unsigned long long)c.peer.silent_ms, c.vips_held, c.vips,
			    (unsigned long long)c.sent, (unsigned long long)c.received[0].n,
			    c.late_max_ms, (unsigned long long)c.late_over_half,
			    c.realtime ? "SCHED_FIFO" : "normal priority");
		else
			log_notice("status", "ha: standalone; VIPs %zu of %zu held", c.vips_held,
				   c.vips);
	}
	if (!with_ipvs)
		return;
	daemon_loop_log(&st.loop);
	if (st.ipvs.available)
		log_notice("status", "IPVS available: version %s, connection table %u entries",
			   st.ipvs.version, st.ipvs.conn_table_size);
	else
		log_notice("status", "IPVS unavailable: %s", st.ipvs.reason);
}

static void daemon_on_usr1(evutil_socket_t sig, short what, void *arg)
{
	looplag_mark();
	(void)sig;
	(void)what;
	daemon_status_log(arg, true);
}

static int daemon_signal_add(struct daemon *d, struct event **ev, int sig, event_callback_fn fn)
{
	*ev = evsignal_new(d->base, sig, fn, d);
	if (!*ev || evsignal_add(*ev, NULL) != 0)
		return -ENOMEM;
	return 0;
}

/*
 * The kernel states' version: it moves when reconcile changed one (a full
 * pass tells its changes once, at its end). oper re-evaluates every object
 * when it moves, so a pass or a sync that changed nothing must not move it;
 * health results are told to oper one by one (oper_dirty()).
 */
static uint64_t daemon_reconcile_generation(struct daemon *d)
{
	struct reconcile_totals t;

	if (!d->reconcile)
		return 0;
	reconcile_totals_get(d->reconcile, &t);
	return t.changes;
}

static void daemon_kernel_get(void *arg, bool real, int64_t id, struct status_kernel *out)
{
	if (real)
		reconcile_rs_kernel(arg, id, out);
	else
		reconcile_vs_kernel(arg, id, out);
}

/* Reconcile's question: has a health check found rs_id down? */
static bool daemon_health_down(void *arg, int64_t rs_id)
{
	struct daemon *d = arg;
	struct health_state hs;

	if (!d->health)
		return false;
	health_get(d->health, rs_id, &hs);
	return hs.state == HEALTH_DOWN;
}

void daemon_health_of(struct daemon *d, int64_t rs_id, struct health_state *out)
{
	const struct fulcrum_rs_stored *rs = store_rs_get(d->store, rs_id);
	const struct fulcrum_vs *vs = rs ? store_vs_get(d->store, rs->vs_id) : NULL;

	/* a real server without a check is no target of the engine: it is up */
	if (vs && health_targets_unchecked(vs, rs)) {
		memset(out, 0, sizeof(*out));
		out->state = HEALTH_UP;
		snprintf(out->reason, sizeof(out->reason), "no check configured");
		return;
	}
	health_get(d->health, rs_id, out);
}

/* The state tracker's question: what do the checks say of rs_id? */
static void daemon_health_get(void *arg, int64_t rs_id, struct oper_health *out)
{
	struct daemon *d = arg;
	struct health_state hs;

	daemon_health_of(d, rs_id, &hs);
	out->state = hs.state == HEALTH_UP     ? OPER_UP
		     : hs.state == HEALTH_DOWN ? OPER_DOWN
					       : OPER_UNKNOWN;
	snprintf(out->reason, sizeof(out->reason), "%s", hs.reason);
}

/*
 * The commit event (and a reload of the store): the health targets follow
 * what the revision changed, so a weight PATCH costs the same with 10
 * services as with 10,000; a reload rebuilds them.
 */
static void daemon_on_commit(void *arg, const struct store_commit *ev)
{
	struct daemon *d = arg;
	int rc;

	if (d->targets_behind)
		rc = health_targets_rebuild(d->health, d->store);
	else
		rc = health_targets_follow(d->health, d->store, ev);
	d->targets_behind = rc != 0;
	if (rc != 0)
		log_warnx("health", "out of memory: health checks keep their previous targets "
				    "until the next commit");
	if (d->ha)
		ha_engine_revision_set(d->ha, store_revision(d->store));
	bool vips = ev->reload;

	for (size_t i = 0; i < ev->n && !vips; i++)
		vips = ev->changes[i].kind == FULCRUM_KIND_VIP;
	if (vips)
		daemon_ha_vips(d); /* the engine ignores a list that did not change */
}

/*
 * A real server's health changed. Going down, and coming back from down, is
 * logged and resyncs its service at once (weight 0 or out; the fallback).
 * The first answer of a new check (unknown to up) changes nothing in the
 * kernel, which counts unknown as up: it is only counted, so that a start
 * with 100,000 real servers neither floods the log nor syncs each service
 * ten times.
 */
static void daemon_on_health(void *arg, const struct health_change *ch)
{
	struct daemon *d = arg;
	int64_t rs_id = ch->rs_id;
	const struct health_state *st = ch->state;
	const struct fulcrum_rs_stored *rs = store_rs_get(d->store, rs_id);
	const struct fulcrum_vs *vs = rs ? store_vs_get(d->store, rs->vs_id) : NULL;
	bool was_down = idmap_get(&d->health_down, rs_id) != NULL;
	bool down = st->state == HEALTH_DOWN;
	char ep[MODEL_ENDPOINT_STRLEN];

	d->health_changes++;
	if (d->oper)
		oper_dirty(d->oper, true, rs_id);
	if (down == was_down)
		return;
	if (down && idmap_put(&d->health_down, rs_id, d) != 0)
		log_warnx("health",
			  "out of memory: a failed real server may not be logged back up");
	else if (!down)
		idmap_del(&d->health_down, rs_id);
	if (!rs || !vs)
		return;
	log_notice("health", "service '%s': real server %s is %s: %s", vs->name,
		   model_endpoint_format(&rs->addr, rs->port, ep, sizeof(ep)),
		   down ? "down" : "up again", st->reason);
	if (d->reconcile)
		reconcile_vs_sync(d->reconcile, vs->id);
}

/*
 * fulcrumctl --db writes straight to the database; the store picks that up
 * within a second (a reload only when the revision moved), and reconcile and
 * the event stream follow from the store's listeners.
 */
static void daemon_on_reload(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timespec t0, t1;
	double ms;
	size_t changes;
	int rc;

	looplag_mark();
	(void)fd;
	(void)what;
	rc = store_reload(d->store);
	if (rc != 0)
		log_warnx("store", "cannot reread the database: %s", db_errmsg(d->db));
	if (d->targets_behind && health_targets_rebuild(d->health, d->store) == 0)
		d->targets_behind = false;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	changes = oper_refresh(d->oper, daemon_reconcile_generation(d));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* a re-evaluation of every object is one sweep that holds the loop: say when it is long */
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (ms >= 50)
		log_debug("oper", "states re-evaluated in %.1f ms, %zu changes", ms, changes);
	daemon_ha_tick(d);
	daemon_notify_tick(d);
}

/*
 * A sync answer waited repl_sync_timeout for the standby: the barrier went
 * alone, every answer goes at once until replication sets it back to sync.
 */
static void daemon_on_alone(void *arg, int64_t revision, unsigned waited_ms)
{
	struct daemon *d = arg;

	log_warnx("replication",
		  "the standby did not acknowledge revision %lld within %u ms "
		  "(repl_sync_timeout %lu ms): this director goes on alone",
		  (long long)revision, waited_ms, d->conf.repl_sync_timeout);
	if (d->repl)
		repl_sync_timed_out(d->repl, revision);
}

/*
 * The barrier of commit mode sync. An SNMP SET waits for it inside its
 * handler, holding the loop: a wait near ha_loop_timeout would look like a
 * stalled loop to the failover engine (it bumps the loop's time every
 * 100 ms), so say so at start.
 */
static int daemon_ackwait_new(struct daemon *d, char *err, size_t errlen)
{
	const struct conf *c = &d->conf;

	d->ackwait = ackwait_new((unsigned)c->repl_sync_timeout, daemon_on_alone, d);
	if (!d->ackwait) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (c->ha_peer[0] && c->agentx[0] && c->repl_mode == CONF_REPL_SYNC &&
	    c->repl_sync_timeout + 100 >= c->ha_loop_timeout)
		log_warnx("replication",
			  "repl_sync_timeout (%lu ms) is not below ha_loop_timeout (%lu ms) less "
			  "100 ms: an SNMP SET waiting that long for the standby holds the main "
			  "loop, which the failover engine counts as a failure (main loop stalled) "
			  "until it turns again",
			  c->repl_sync_timeout, c->ha_loop_timeout);
	return 0;
}

/* The core modules that run in the loop: reconcile and the store's reload. */
static int daemon_modules_new(struct daemon *d, char *err, size_t errlen)
{
	struct reconcile_conf rconf = {
	    .interval_ms = (unsigned)d->conf.reconcile_interval * 1000u,
	    .own_table = d->conf.ipvs_own_table,
	    .health_down = daemon_health_down,
	    .health_arg = d,
	};
	struct oper_kernel k = {.fn = daemon_kernel_get, .health = daemon_health_get, .harg = d};
	struct timeval second = {1, 0};
	int rc = health_new(d->base, &d->health);

	if (rc == 0)
		rc = health_subscribe(d->health, daemon_on_health, d);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the health checks: %s", strerror(-rc));
		return rc;
	}
	rc = reconcile_new(d->base, d->store, d->ipvs, &rconf, &d->reconcile);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start reconcile: %s", strerror(-rc));
		return rc;
	}
	k.arg = d->reconcile;
	d->kernel = k;
	rc = oper_new(d->store, &k, &d->oper);
	if (rc == 0)
		rc = store_subscribe(d->store, daemon_on_commit, d);
	if (rc == 0)
		rc = health_targets_rebuild(d->health, d->store);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the state tracker: %s", strerror(-rc));
		return rc;
	}
	/* the same second-long tick also notices changes of operational state */
	d->reload = event_new(d->base, -1, EV_PERSIST, daemon_on_reload, d);
	if (!d->reload || event_add(d->reload, &second) != 0) {
		snprintf(err, errlen, "cannot start the database watch");
		return -ENOMEM;
	}
	return 0;
}

int daemon_new(const struct conf *conf, struct daemon **out, char *err, size_t errlen)
{
	struct daemon *d = calloc(1, sizeof(*d));
	char dberr[512];
	int rc;

	*out = NULL;
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->conf = *conf;
	d->started = time(NULL);
	if (conf->node_name[0])
		snprintf(d->node_name, sizeof(d->node_name), "%s", conf->node_name);
	else if (gethostname(d->node_name, sizeof(d->node_name) - 1) != 0)
		snprintf(d->node_name, sizeof(d->node_name), "unknown");

	daemon_notify_starting("loading %s", conf->db_path);
	rc = db_open(conf->db_path, &d->db, dberr, sizeof(dberr));
	if (rc != 0) {
		snprintf(err, errlen, "%s", dberr);
		goto fail;
	}
	rc = store_open(d->db, &d->store);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot load the configuration: %s", conf->db_path,
			 db_errmsg(d->db));
		goto fail;
	}
	rc = auth_open(d->db, &d->auth);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot load the API tokens: %s", conf->db_path,
			 db_errmsg(d->db));
		goto fail;
	}
	if (conf->ha_peer[0]) {
		char why[512];

		rc = conf_ha_check(conf, why, sizeof(why));
		if (rc == 0)
			rc = ha_keys_load(conf->ha_keyfile, &d->ha_keys, why, sizeof(why));
		if (rc != 0) {
			snprintf(err, errlen, "failover (ha_peer %s): %s", conf->ha_peer, why);
			goto fail;
		}
	}
	rc = ipvs_open(&d->ipvs);
	if (rc != 0) {
		snprintf(err, errlen, "cannot set up the IPVS client: %s", strerror(-rc));
		goto fail;
	}
	d->base = event_base_new();
	if (!d->base) {
		rc = -ENOMEM;
		snprintf(err, errlen, "cannot create the event loop");
		goto fail;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = daemon_signal_add(d, &d->sig_term, SIGTERM, daemon_on_stop);
	if (rc == 0)
		rc = daemon_signal_add(d, &d->sig_int, SIGINT, daemon_on_stop);
	if (rc == 0)
		rc = daemon_signal_add(d, &d->sig_hup, SIGHUP, daemon_on_hup);
	if (rc == 0)
		rc = daemon_signal_add(d, &d->sig_usr1, SIGUSR1, daemon_on_usr1);
	if (rc != 0) {
		snprintf(err, errlen, "cannot install signal handlers");
		goto fail;
	}
	rc = daemon_modules_new(d, err, errlen);
	if (rc == 0)
		rc = daemon_ackwait_new(d, err, errlen);
	if (rc != 0)
		goto fail;
	/* the API and the MIB show the last role change from before this start */
	daemon_ha_roles_load(d);
	*out = d;
	return 0;
fail:
	daemon_free(d);
	return rc;
}

/* A turn held the loop for ms: over a second is logged, one line a minute at most. */
static void daemon_turn_slow(struct daemon *d, double ms)
{
	struct timespec now;
	uint64_t more;
	double more_max;

	if (ms <= LOOPLAG_SLOW_MS)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!looplag_slow_tell(&d->slow, ms, (int64_t)now.tv_sec, &more, &more_max))
		return;
	if (more)
		log_warnx(
		    "daemon",
		    "one turn of the main loop took %.0f ms: nothing was answered meanwhile "
		    "(and %llu more over %d ms since the last such line, the longest %.0f ms)",
		    ms, (unsigned long long)more, LOOPLAG_SLOW_MS, more_max);
	else
		log_warnx("daemon",
			  "one turn of the main loop took %.0f ms: nothing was answered meanwhile",
			  ms);
}

/*
 * event_base_dispatch(), one turn at a time: each turn's work, from its
 * first callback to the next wait, goes into the loop's histogram
 * (controller/lib/looplag.h). Returns 0 when the loop was broken (a stop)
 * or has nothing left to wait for, -1 when libevent failed.
 */
static int daemon_loop(struct daemon *d)
{
	for (;;) {
		int rc;

		looplag_turn_begin();
		rc = event_base_loop(d->base, EVLOOP_ONCE);
		daemon_turn_slow(d, looplag_turn_end(&d->loop));
		if (rc < 0)
			return -1;
		if (rc == 1 || event_base_got_break(d->base) || event_base_got_exit(d->base))
			return 0;
	}
}

int daemon_run(struct daemon *d)
{
	const struct ipvs_info *info = ipvs_info(d->ipvs);

	log_notice("daemon", "fulcrumd %s started: node %s, database %s", PACKAGE_VERSION,
		   d->node_name, d->conf.db_path);
	if (info->available) {
		char ver[16];

		log_notice("ipvs", "IPVS available: version %s, connection table %u entries",
			   ipvs_version_format(info->version, ver, sizeof(ver)),
			   info->conn_table_size);
	} else {
		log_warnx("ipvs",
			  "IPVS unavailable: %s. Fulcrum keeps and serves its configuration, "
			  "but programs nothing into the kernel",
			  info->reason);
	}
	daemon_status_log(d, false);
	if (daemon_ha_start(d) != 0) {
		daemon_notify_failed("the failover engine did not start: the log says why");
		return -EIO;
	}
	if (daemon_notify_start(d) != 0) {
		log_errx("daemon", "out of memory");
		return -ENOMEM;
	}
	if (daemon_loop(d) < 0) {
		log_errx("daemon", "event loop failed");
		return -EIO;
	}
	log_notice("daemon", "fulcrumd stopped; IPVS left as it is");
	return 0;
}

void daemon_status_get(struct daemon *d, struct status_daemon *st)
{
	const struct ipvs_info *info = ipvs_info(d->ipvs);

	memset(st, 0, sizeof(*st));
	st->node_name = d->node_name;
	st->version = PACKAGE_VERSION;
	st->started = d->started;
	st->revision = store_revision(d->store);
	store_vs_all(d->store, &st->services);
	store_rs_all(d->store, 0, &st->reals);
	st->ipvs.available = info->available;
	if (info->available)
		ipvs_version_format(info->version, st->ipvs.version, sizeof(st->ipvs.version));
	st->ipvs.conn_table_size = info->conn_table_size;
	st->ipvs.reason = info->reason;
	st->loop = d->loop;
	if (d->health) {
		struct health_totals t;

		static_assert(STATUS_CHECK_TYPES == FULCRUM_CHECK_EXTERNAL + 1,
			      "status_checks has a slot per check type");
		health_stats(d->health, &t);
		memcpy(st->checks.runs, t.runs, sizeof(st->checks.runs));
		memcpy(st->checks.failed, t.failed, sizeof(st->checks.failed));
		st->checks.skipped = t.skipped;
		st->checks.changes = t.changes;
		st->checks.in_flight = t.in_flight;
		st->checks.targets = t.targets;
		st->checks.probes = t.probes;
	}
}

struct ackwait *daemon_ackwait(struct daemon *d)
{
	return d->ackwait;
}

struct event_base *daemon_base(struct daemon *d)
{
	return d->base;
}

struct store *daemon_store(struct daemon *d)
{
	return d->store;
}

struct db *daemon_db(struct daemon *d)
{
	return d->db;
}

struct auth *daemon_auth(struct daemon *d)
{
	return d->auth;
}

struct reconcile *daemon_reconcile(struct daemon *d)
{
	return d->reconcile;
}

struct oper *daemon_oper(struct daemon *d)
{
	return d->oper;
}

struct health *daemon_health(struct daemon *d)
{
	return d->health;
}

const struct oper_kernel *daemon_oper_kernel(struct daemon *d)
{
	return &d->kernel;
}

uint64_t daemon_generation(struct daemon *d)
{
	struct reconcile_totals t;

	if (!d->reconcile)
		return d->health_changes;
	/* counters too: they move with every service a pass or a commit synced */
	reconcile_totals_get(d->reconcile, &t);
	return t.passes + t.syncs + d->health_changes;
}

void daemon_free(struct daemon *d)
{
	if (!d)
		return;
	struct event **sigs[] = {&d->sig_term, &d->sig_int, &d->sig_hup,
				 &d->sig_usr1, &d->reload,  &d->ha_stop_timer};

	/* first: its events live in the loop, its threads read the daemon's nothing */
	ha_engine_free(d->ha);
	d->ha = NULL;
	daemon_refusals_cancel(d);
	repl_free(d->repl); /* its thread reads its own connection; its loop event goes here */
	d->repl = NULL;
	ha_keys_free(d->ha_keys);
	d->ha_keys = NULL;
	hook_clear(&d->role_hook);
	hook_clear(&d->peer_hook);
	hook_clear(&d->repl_hook);

	daemon_notify_free(d);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (*sigs[i])
			event_free(*sigs[i]);
		*sigs[i] = NULL;
	}
	if (d->store)
		store_unsubscribe(d->store, daemon_on_commit, d);
	oper_free(d->oper);
	d->oper = NULL;
	reconcile_free(d->reconcile);
	d->reconcile = NULL;
	health_free(d->health);
	d->health = NULL;
	idmap_clear(&d->health_down);
	/* after the API and the MIB (fulcrumd frees them first): its last answers go nowhere */
	ackwait_free(d->ackwait);
	d->ackwait = NULL;
	if (d->base)
		event_base_free(d->base);
	d->base = NULL;
	ipvs_close(d->ipvs);
	d->ipvs = NULL;
	auth_free(d->auth);
	d->auth = NULL;
	store_free(d->store);
	d->store = NULL;
	db_close(d->db);
	d->db = NULL;
	free(d);
}
