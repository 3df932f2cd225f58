/* The daemon's failover side: the engine started and fed, its events passed on, its status, commands and role history. */
#include "controller/daemon-int.h"

#include "controller/core/store.h"
#include "controller/ha/ha_engine.h"
#include "controller/ha/ha_vip.h"
#include "controller/ha/repl.h"
#include "controller/ipvs/ipvs.h"
#include "controller/lib/log.h"
#include "controller/lib/looplag.h"
#include "controller/reconcile/reconcile.h"
#include "controller/reconcile/reconcile_stuck.h"
#include "db/db.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The VIPs the engine holds: the store's, as struct ha_vip. *out malloc'ed (NULL: none). */
static int daemon_vips_read(struct daemon *d, struct ha_vip **out, size_t *n)
{
	size_t nv = 0;
	const struct fulcrum_vip *const *v = store_vip_all(d->store, &nv);

	*out = NULL;
	*n = 0;
	if (!nv)
		return 0;
	*out = calloc(nv, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < nv; i++) {
		(*out)[i].addr = v[i]->addr;
		(*out)[i].prefix = v[i]->prefix;
		snprintf((*out)[i].ifname, sizeof((*out)[i].ifname), "%s", v[i]->interface);
	}
	*n = nv;
	return 0;
}

/* Gives the engine the store's VIPs (after a commit or a reload that may have changed them). */
void daemon_ha_vips(struct daemon *d)
{
	struct ha_vip *vips;
	size_t n;

	if (!d->ha)
		return;
	if (daemon_vips_read(d, &vips, &n) != 0 || ha_engine_vips_set(d->ha, vips, n) != 0)
		log_warnx("ha", "out of memory: the engine keeps the VIP list it has");
	free(vips);
}

/* Reconcile's totals, read once into buf for the flags below; NULL without reconcile. */
static const struct reconcile_totals *daemon_totals(struct daemon *d, struct reconcile_totals *buf)
{
	if (!d->reconcile)
		return NULL;
	reconcile_totals_get(d->reconcile, buf);
	return buf;
}

/*
 * Whether IPVS can serve, and why not in words: available, and reconcile's
 * last full pass could read the kernel's services (reconcile_usable()). t:
 * reconcile's totals, NULL without reconcile.
 */
static bool daemon_ipvs_usable(struct daemon *d, const struct reconcile_totals *t, char *why,
			       size_t len)
{
	const struct ipvs_info *info = ipvs_info(d->ipvs);

	why[0] = '\0';
	if (!info->available) {
		snprintf(why, len, "%.150s", info->reason);
		return false;
	}
	return t ? reconcile_usable(t, why, len) : true;
}

/*
 * Whether the kernel holds all the configuration: no service or real server
 * it keeps refusing (reconcile_complete()); what it refuses in words. known:
 * false until reconcile's first full pass ends. t as above.
 */
static bool daemon_config_complete(struct daemon *d, const struct reconcile_totals *t, bool *known,
				   char *why, size_t len)
{
	why[0] = '\0';
	*known = true;
	/* without IPVS reconcile writes nothing, so nothing is refused: the IPVS flag says it */
	if (!t || !ipvs_info(d->ipvs)->available)
		return true;
	*known = t->passes > 0;
	return reconcile_complete(t, why, len);
}

/*
 * The store's write gate from the engine's status (status_writes_refused()):
 * role is the role to judge, which a role change passes before the
 * engine's snapshot may show it (0: the snapshot's). Logged when it moves.
 */
static void daemon_ha_gate(struct daemon *d, enum status_role role)
{
	struct status_cluster c;
	char why[96], active[64];
	const char *was_why = NULL, *was_active = NULL;
	bool was, refuse;

	ha_engine_status(d->ha, &c);
	if (!c.role) { /* no snapshot yet (the heartbeat thread takes it): as configured, starting */
		c.enabled = d->conf.ha_peer[0] != '\0';
		c.role = c.enabled ? STATUS_ROLE_STARTING : STATUS_ROLE_STANDALONE;
		c.npaths = 1;
		snprintf(c.paths[0].peer, sizeof(c.paths[0].peer), "%.*s",
			 (int)sizeof(c.paths[0].peer) - 1, d->conf.ha_peer);
	}
	if (role)
		c.role = role;
	refuse = status_writes_refused(&c, why, sizeof(why), active, sizeof(active));
	was = store_writes_refused(d->store, &was_why, &was_active);
	if (was == refuse && strcmp(was_why, why) == 0 && strcmp(was_active, active) == 0)
		return;
	store_writes_refuse(d->store, refuse, why, active);
	if (refuse)
		log_notice("ha", "configuration writes refused: %s: writes go to the active, %s",
			   why, active[0] ? active : "not known");
	else if (was)
		log_notice("ha", "configuration writes accepted again: this director is %s",
			   status_role_name(c.role));
}

/* Every second: what the engine reads of the daemon (IPVS, the configuration, the revision). */
void daemon_ha_tick(struct daemon *d)
{
	struct reconcile_totals t;
	const struct reconcile_totals *tp;
	char why[160];
	int64_t rev;
	bool ok, known;

	if (!d->ha)
		return;
	tp = daemon_totals(d, &t);
	ok = daemon_ipvs_usable(d, tp, why, sizeof(why));
	ha_engine_ipvs_set(d->ha, ok, why);
	ok = daemon_config_complete(d, tp, &known, why, sizeof(why));
	ha_engine_config_set(d->ha, ok, known, why);
	rev = store_revision(d->store);
	ha_engine_revision_set(d->ha, rev);
	daemon_ha_gate(d, 0); /* the peer's role and address move without this node's */
	if (d->repl) {
		struct status_cluster c;
		struct status_repl r;
		char behind[192] = "";

		ha_engine_status(d->ha, &c);
		repl_peer_set(d->repl, c.peer.state == STATUS_PEER_ALIVE, c.peer.role);
		/* an active hands over of its own accord only to a peer that holds it all */
		repl_status(d->repl, &r);
		if (!status_repl_may_hand_over(&r, why, sizeof(why)))
			snprintf(behind, sizeof(behind),
				 "%s does not hold every revision of this node (replication %s, "
				 "%lld behind)",
				 *r.peer ? r.peer : "the peer",
				 status_repl_state_name(r.state) ? status_repl_state_name(r.state)
								 : "?",
				 (long long)r.lag_revisions);
		ha_engine_peer_behind_set(d->ha, behind);
	}
}

/*
 * Each role change first sets the store's write gate (the new active takes
 * writes before anyone hears it is active), goes to the role history (never
 * replicated) and its copy in memory, then to the daemon's subscribers (the event stream, the MIB's
 * notification), from the main thread.
 */
static void daemon_on_role(void *arg, const struct status_role_change *ev)
{
	struct daemon *d = arg;
	struct db_role_change c = {.at = ev->at, .term = ev->term};
	int rc;

	daemon_ha_gate(d, ev->role);
	if (d->repl)
		repl_role_set(d->repl, ev->role);
	snprintf(c.role, sizeof(c.role), "%s", status_role_name(ev->role));
	snprintf(c.previous, sizeof(c.previous), "%s",
		 status_role_name(ev->previous) ? status_role_name(ev->previous) : "");
	snprintf(c.reason, sizeof(c.reason), "%s", ev->reason);
	snprintf(c.peer, sizeof(c.peer), "%s", ev->peer);
	rc = db_role_history_add(d->db, &c);
	if (rc != 0)
		log_warnx("ha", "role change to %s not written to the role history: %s", c.role,
			  db_errmsg(d->db));
	if (d->nroles == DAEMON_ROLE_RING)
		d->nroles--;
	memmove(&d->roles[1], &d->roles[0], d->nroles * sizeof(d->roles[0]));
	d->roles[0] = *ev;
	d->nroles++;
	daemon_role_hook_run(&d->role_hook, ev);
}

/* A change of the peer's state: to the daemon's subscribers. */
static void daemon_on_peer(void *arg, const struct status_peer_change *ev)
{
	struct daemon *d = arg;

	daemon_peer_hook_run(&d->peer_hook, ev);
}

/* A notable change of replication's state: to the daemon's subscribers. */
static void daemon_on_repl(void *arg, const struct status_repl_change *ev)
{
	struct daemon *d = arg;

	daemon_repl_hook_run(&d->repl_hook, ev);
}

/*
 * Starts replication for a pair (ha_peer set): the active listens on
 * repl_port (on ha_bind's address, or every address of the peer's family),
 * the others connect to the peer's address on it. Before the failover
 * engine: the keys are still the daemon's. 0 or a negative errno, logged.
 */
static int daemon_repl_start(struct daemon *d)
{
	struct sockaddr_storage peer, listen;
	socklen_t plen = sizeof(peer), llen = sizeof(listen);
	char err[512];
	struct repl_params p = {
	    .base = d->base,
	    .store = d->store,
	    .aw = d->conf.repl_mode == CONF_REPL_SYNC ? d->ackwait : NULL,
	    .db_path = d->conf.db_path,
	    .node = d->node_name,
	    .cluster = d->conf.ha_cluster,
	    .keys = d->ha_keys,
	    .retention = d->conf.repl_log_retention,
	};
	int rc;

	if (!*d->conf.ha_peer || !d->ha_keys)
		return 0;
	if (conf_peer_parse(d->conf.ha_peer, (unsigned)d->conf.ha_port, &peer, &plen, err,
			    sizeof(err)) != 0) {
		log_errx("repl", "replication: ha_peer: %s", err);
		return -EINVAL;
	}
	memset(&listen, 0, sizeof(listen));
	listen.ss_family = peer.ss_family;
	llen =
	    peer.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (*d->conf.ha_bind && conf_addr_parse(d->conf.ha_bind, &listen, &llen) != 0) {
		log_errx("repl", "replication: ha_bind: '%s' is not an address", d->conf.ha_bind);
		return -EINVAL;
	}
	unsigned long peer_port =
	    d->conf.repl_peer_port ? d->conf.repl_peer_port : d->conf.repl_port;

	if (peer.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&peer)->sin6_port = htons((uint16_t)peer_port);
		((struct sockaddr_in6 *)&listen)->sin6_port = htons((uint16_t)d->conf.repl_port);
	} else {
		((struct sockaddr_in *)&peer)->sin_port = htons((uint16_t)peer_port);
		((struct sockaddr_in *)&listen)->sin_port = htons((uint16_t)d->conf.repl_port);
	}
	p.peer = (struct sockaddr *)&peer;
	p.peer_len = plen;
	p.listen = (struct sockaddr *)&listen;
	p.listen_len = llen;
	rc = repl_new(&p, &d->repl, err, sizeof(err));
	if (rc != 0) {
		log_errx("repl", "cannot start replication: %s", err);
		return rc;
	}
	if (repl_state_subscribe(d->repl, daemon_on_repl, d) != 0)
		log_warnx("repl", "out of memory: replication's state changes will not reach the "
				  "API and MIB");
	log_info("repl", "replication: port %lu, commit mode %s", d->conf.repl_port,
		 conf_repl_mode_name(d->conf.repl_mode));
	return 0;
}

void daemon_repl_get(struct daemon *d, struct status_repl *out)
{
	if (d->repl) {
		repl_status(d->repl, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->state = STATUS_REPL_OFF;
	out->revision = store_revision(d->store);
	snprintf(out->mode, sizeof(out->mode), "%s", conf_repl_mode_name(d->conf.repl_mode));
}

/* Starts the failover engine (standalone too: it holds the VIPs). 0 or a negative errno, logged. */
int daemon_ha_start(struct daemon *d)
{
	char why[160], config_why[160], err[512];
	struct reconcile_totals t;
	const struct reconcile_totals *tp;
	bool known;
	struct ha_engine_params p = {
	    .base = d->base,
	    .conf = &d->conf,
	    .node = d->node_name,
	    .keys = d->ha_keys,
	    .db_path = d->conf.db_path,
	    .ipvs_why = why,
	    .config_why = config_why,
	    .revision = store_revision(d->store),
	};
	struct ha_vip *vips = NULL;
	size_t n = 0;
	int rc = daemon_repl_start(d);

	if (rc != 0)
		return rc;
	rc = daemon_vips_read(d, &vips, &n);
	if (rc != 0) {
		log_errx("ha", "out of memory reading the VIPs");
		return rc;
	}
	p.vips = vips;
	p.nvips = n;
	tp = daemon_totals(d, &t);
	p.ipvs_usable = daemon_ipvs_usable(d, tp, why, sizeof(why));
	p.config_partial = !daemon_config_complete(d, tp, &known, config_why, sizeof(config_why));
	p.config_pending = !known;
	rc = ha_engine_new(&p, &d->ha, err, sizeof(err));
	free(vips);
	if (rc != 0) {
		log_errx("ha", "cannot start the failover engine: %s", err);
		return rc;
	}
	d->ha_keys = NULL;    /* the engine's now */
	daemon_ha_gate(d, 0); /* starting: no writes until the role is known */
	rc = ha_engine_role_subscribe(d->ha, daemon_on_role, d);
	if (rc != 0)
		log_warnx("ha", "out of memory: role changes will not reach the role history");
	if (ha_engine_peer_subscribe(d->ha, daemon_on_peer, d) != 0)
		log_warnx("ha", "out of memory: peer state changes will not reach the API and MIB");
	return 0;
}

/* The newest max rows of the role history from the database, newest first. */
static int daemon_role_rows(struct daemon *d, size_t max, struct status_role_change *out, size_t *n)
{
	struct db_role_change *rows = NULL;
	size_t nrows = 0;
	int rc = db_role_history_list(d->db, max, &rows, &nrows);

	*n = 0;
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < nrows; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].role = status_role_parse(rows[i].role);
		out[i].previous = status_role_parse(rows[i].previous);
		out[i].term = rows[i].term;
		out[i].at = rows[i].at;
		snprintf(out[i].reason, sizeof(out[i].reason), "%.*s",
			 (int)sizeof(out[i].reason) - 1, rows[i].reason);
		snprintf(out[i].peer, sizeof(out[i].peer), "%s", rows[i].peer);
	}
	*n = nrows;
	free(rows);
	return 0;
}

int daemon_role_history(struct daemon *d, size_t max, struct status_role_change *out, size_t *n)
{
	if (max > DAEMON_ROLE_RING)
		return daemon_role_rows(d, max, out, n);
	*n = max < d->nroles ? max : d->nroles;
	memcpy(out, d->roles, *n * sizeof(*out));
	return 0;
}

int daemon_role_subscribe(struct daemon *d, daemon_role_hook_fn fn, void *arg)
{
	return daemon_role_hook_add(&d->role_hook, fn, arg);
}

void daemon_role_unsubscribe(struct daemon *d, daemon_role_hook_fn fn, void *arg)
{
	daemon_role_hook_remove(&d->role_hook, fn, arg);
}

int daemon_peer_subscribe(struct daemon *d, daemon_peer_hook_fn fn, void *arg)
{
	return daemon_peer_hook_add(&d->peer_hook, fn, arg);
}

void daemon_peer_unsubscribe(struct daemon *d, daemon_peer_hook_fn fn, void *arg)
{
	daemon_peer_hook_remove(&d->peer_hook, fn, arg);
}

int daemon_repl_subscribe(struct daemon *d, daemon_repl_hook_fn fn, void *arg)
{
	return daemon_repl_hook_add(&d->repl_hook, fn, arg);
}

void daemon_repl_unsubscribe(struct daemon *d, daemon_repl_hook_fn fn, void *arg)
{
	daemon_repl_hook_remove(&d->repl_hook, fn, arg);
}

/* A command refused by the daemon itself: answered on the loop's next turn, as the engine's are. */
struct daemon_refusal {
	struct daemon *d;
	struct event *ev;
	status_cluster_done_fn done;
	void *arg;
	char reason[320];
	struct daemon_refusal *next;
};

static void refusal_unlink(struct daemon_refusal *f)
{
	for (struct daemon_refusal **p = &f->d->refusals; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
}

static void refusal_on_turn(evutil_socket_t fd, short what, void *arg)
{
	struct daemon_refusal *f = arg;

	looplag_mark();
	(void)fd;
	(void)what;
	refusal_unlink(f);
	event_free(f->ev);
	if (f->done)
		f->done(f->arg, -EAGAIN, f->reason);
	free(f);
}

void daemon_refusals_cancel(struct daemon *d)
{
	while (d->refusals) {
		struct daemon_refusal *f = d->refusals;

		d->refusals = f->next;
		event_free(f->ev);
		if (f->done)
			f->done(f->arg, -ECANCELED, "fulcrumd stopped");
		free(f);
	}
}

/*
 * A switchover that is not forced, asked of an active whose standby does not
 * hold every revision: refused here (status_repl_may_hand_over()), with
 * -EAGAIN as the engine refuses an unhealthy peer. Returns 1 when refused
 * (done will be called), 0 to go on, a negative errno.
 */
static int daemon_switchover_guard(struct daemon *d, status_cluster_done_fn done, void *arg)
{
	struct daemon_refusal *f;
	struct status_cluster c;
	char why[300];

	if (!d->repl)
		return 0;
	ha_engine_status(d->ha, &c);
	if (c.role != STATUS_ROLE_ACTIVE)
		return 0; /* the engine refuses it with its own reason */
	repl_status(d->repl, &c.repl);
	if (status_repl_may_hand_over(&c.repl, why, sizeof(why)))
		return 0;
	if (!(f = calloc(1, sizeof(*f))))
		return -ENOMEM;
	f->d = d;
	f->done = done;
	f->arg = arg;
	snprintf(f->reason, sizeof(f->reason), "switchover refused: %s", why);
	if (!(f->ev = event_new(d->base, -1, 0, refusal_on_turn, f))) {
		free(f);
		return -ENOMEM;
	}
	f->next = d->refusals;
	d->refusals = f;
	event_active(f->ev, EV_TIMEOUT, 1);
	log_notice("ha", "%s", f->reason);
	return 1;
}

int daemon_cluster_command(struct daemon *d, enum status_cluster_cmd cmd, bool flag,
			   status_cluster_done_fn done, void *arg)
{
	int rc;

	if (!d->ha)
		return -ENOTCONN;
	if (d->stopping)
		return -ECANCELED;
	switch (cmd) {
	case STATUS_CLUSTER_SWITCHOVER:
		if (!flag && (rc = daemon_switchover_guard(d, done, arg)) != 0)
			return rc < 0 ? rc : 0;
		return ha_engine_switchover(d->ha, flag, done, arg);
	case STATUS_CLUSTER_MAINTENANCE:
		return ha_engine_maintenance(d->ha, flag, done, arg);
	}
	return -EINVAL;
}

void daemon_cluster_get(struct daemon *d, struct status_cluster *out)
{
	if (d->ha) {
		ha_engine_status(d->ha, out);
	} else {
		memset(out, 0, sizeof(*out));
		out->role = STATUS_ROLE_STANDALONE;
		snprintf(out->node, sizeof(out->node), "%s", d->node_name);
	}
	daemon_repl_get(d, &out->repl);
}

struct ha_engine *daemon_ha(struct daemon *d)
{
	return d->ha;
}

void daemon_vip_status(struct daemon *d, int64_t id, struct status_vip *out)
{
	const struct fulcrum_vip *v = store_vip_get(d->store, id);
	struct ha_vip hv;

	out->held = false;
	if (!v) {
		out->reason = "no such VIP";
		return;
	}
	if (!d->ha) {
		out->reason = "fulcrumd is starting: the failover engine is not running yet";
		return;
	}
	memset(&hv, 0, sizeof(hv));
	hv.addr = v->addr;
	hv.prefix = v->prefix;
	snprintf(hv.ifname, sizeof(hv.ifname), "%s", v->interface);
	out->held = ha_engine_vip_held(d->ha, &hv, &out->reason);
}

void daemon_ha_roles_load(struct daemon *d)
{
	if (daemon_role_rows(d, DAEMON_ROLE_RING, d->roles, &d->nroles) != 0)
		log_warnx("ha", "cannot read the role history: %s", db_errmsg(d->db));
}
