/* Failover over HTTP: GET cluster (the engine's status and the role history), the switchover and maintenance commands, the role and peer events. */
#include "web/web-int.h"

#include "controller/lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLUSTER_HISTORY 20 /* role changes GET cluster lists, newest first */

/*
 * A command waiting for the engine's answer. The engine holds it until it
 * calls cluster_on_done() (exactly once, status_cluster_cmd_fn's promise);
 * the request holds it until it completes. Whichever lets go last frees it.
 */
struct web_cluster_cmd {
	struct web_cluster_cmd *prev,
	    *next;         /* in the web's list while the engine owes the answer */
	struct web *w;     /* NULL once the web is freed */
	struct web_req *r; /* NULL once the request is gone */
	enum status_cluster_cmd cmd;
	bool flag;     /* force, or on */
	bool answered; /* the engine answered: rc and reason hold its answer */
	bool ready;    /* the request may be answered (the engine answered, or the web stops) */
	int rc;
	char reason[STATUS_HA_TEXT + 64];
};

/* ---- the status as JSON --------------------------------------------------------- */

/* Unix milliseconds, or null for 0 (never). */
static json_t *cluster_ms(int64_t ms)
{
	return ms ? json_integer(ms) : json_null();
}

static json_t *cluster_role(enum status_role role)
{
	const char *name = status_role_name(role);

	return name ? json_string(name) : json_null();
}

/* The STATUS_HA_* bits as a list of their names, lowest bit first. */
static json_t *cluster_flags(unsigned flags)
{
	json_t *a = json_array();

	for (unsigned bit = 1; a && bit <= STATUS_HA_CONFIG; bit <<= 1)
		if ((flags & bit) &&
		    json_array_append_new(a, json_string(status_ha_flag_name(bit))))
			break;
	return a;
}

json_t *web_cluster_change_json(const struct status_role_change *c)
{
	return json_pack("{s:o,s:o,s:I,s:s,s:o,s:s}", "role", cluster_role(c->role), "previous",
			 cluster_role(c->previous), "term", (json_int_t)c->term, "reason",
			 c->reason, "at", cluster_ms(c->at), "peer", c->peer);
}

json_t *web_cluster_peer_change_json(const struct status_peer_change *c)
{
	const char *state = status_peer_state_name(c->state);
	const char *previous = status_peer_state_name(c->previous);

	return json_pack("{s:s,s:s,s:s,s:o,s:I}", "state", state ? state : "unknown", "previous",
			 previous ? previous : "unknown", "peer", c->peer, "at", cluster_ms(c->at),
			 "silent_ms", (json_int_t)c->silent_ms);
}

static json_t *cluster_peer_json(const struct status_cluster *c)
{
	const struct status_ha_peer *p = &c->peer;
	const char *state = status_peer_state_name(p->state);

	if (!c->enabled)
		return json_null();
	return json_pack("{s:s,s:s,s:s,s:o,s:I,s:o,s:I,s:I,s:I,s:I,s:o,s:I,s:o}", "state",
			 state ? state : "unknown", "name", p->name, "address", p->addr, "role",
			 cluster_role(p->role), "term", (json_int_t)p->term, "flags",
			 cluster_flags(p->flags), "priority", (json_int_t)p->priority, "revision",
			 (json_int_t)p->revision, "epoch", (json_int_t)p->epoch, "seq",
			 (json_int_t)p->seq, "last_heard", cluster_ms(p->last_heard), "silent_ms",
			 (json_int_t)p->silent_ms, "since", cluster_ms(p->state_since));
}

static json_t *cluster_paths_json(const struct status_cluster *c)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < c->npaths && i < STATUS_HA_PATHS; i++) {
		const struct status_ha_path *p = &c->paths[i];

		if (json_array_append_new(
			a, json_pack("{s:s,s:s,s:I,s:I,s:s,s:I,s:o}", "peer", p->peer, "bind",
				     p->bind, "sent", (json_int_t)p->sent, "send_errors",
				     (json_int_t)p->send_errors, "send_error", p->send_error,
				     "received", (json_int_t)p->received, "last_heard",
				     cluster_ms(p->last_heard))) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *cluster_counters_json(const struct status_cluster *c)
{
	json_t *received = json_object();

	for (size_t i = 0; received && i < STATUS_HA_RESULTS && c->received[i].name; i++)
		json_object_set_new(received, c->received[i].name,
				    json_integer((json_int_t)c->received[i].n));
	return json_pack("{s:I,s:I,s:I,s:o,s:I}", "sent", (json_int_t)c->sent, "sent_stepdown",
			 (json_int_t)c->sent_stepdown, "send_errors", (json_int_t)c->send_errors,
			 "received", received, "role_changes", (json_int_t)c->role_changes);
}

static json_t *cluster_tiebreakers_json(const struct status_cluster *c)
{
	json_t *targets = json_array();

	for (size_t i = 0; targets && i < c->ntargets && i < STATUS_HA_TARGETS; i++) {
		const struct status_ha_target *t = &c->targets[i];

		json_array_append_new(targets, json_pack("{s:s,s:o,s:I,s:I}", "address", t->addr,
							 "last_answer", cluster_ms(t->last_answer),
							 "sent", (json_int_t)t->sent, "answered",
							 (json_int_t)t->answered));
	}
	return json_pack("{s:b,s:o}", "reached", c->tiebreaker_reached, "targets", targets);
}

/* The role history's newest changes, newest first; an empty list when nothing keeps one. */
static json_t *cluster_history_json(struct web *w)
{
	struct status_role_change *rows;
	size_t n = 0;
	json_t *a = json_array();

	if (!a || !w->p.role_history)
		return a;
	rows = calloc(CLUSTER_HISTORY, sizeof(*rows));
	if (!rows || w->p.role_history(w->p.role_history_arg, CLUSTER_HISTORY, rows, &n) != 0)
		n = 0;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, web_cluster_change_json(&rows[i]));
	free(rows);
	return a;
}

/* Replication's state (docs/ha.md, "Replication"): the "replication" object of GET /cluster. */
static json_t *cluster_repl_json(const struct status_repl *r)
{
	const char *state = status_repl_state_name(r->state);
	json_t *digest =
	    r->digest_at ? json_pack("{s:I,s:b,s:I}", "revision", (json_int_t)r->digest_revision,
				     "equal", r->digest_equal, "at", (json_int_t)r->digest_at)
			 : json_null();

	json_t *ack_lag =
	    r->lag_samples
		? json_pack("{s:I,s:f,s:f,s:f}", "revisions", (json_int_t)r->lag_samples, "p50",
			    r->lag_p50_ms, "p99", r->lag_p99_ms, "max", r->lag_max_ms)
		: json_null();

	return json_pack(
	    "{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:f,s:o,s:o,s:s,s:o,s:o,"
	    "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
	    "state", state ? state : "off", "side", r->side, "peer", r->peer, "mode", r->mode,
	    "revision", (json_int_t)r->revision, "peer_revision", (json_int_t)r->peer_revision,
	    "lag_revisions", (json_int_t)r->lag_revisions, "lag_ms", r->lag_ms, "ack_lag_ms",
	    ack_lag ? ack_lag : json_null(), "since", cluster_ms(r->since), "error", r->error,
	    "digest", digest ? digest : json_null(), "export_file",
	    *r->export_file ? json_string(r->export_file) : json_null(), "counters",
	    "revisions_sent", (json_int_t)r->revisions_sent, "revisions_applied",
	    (json_int_t)r->revisions_applied, "acks", (json_int_t)r->acks, "snapshots_sent",
	    (json_int_t)r->snapshots_sent, "snapshots_taken", (json_int_t)r->snapshots_taken,
	    "connects", (json_int_t)r->connects, "refusals", (json_int_t)r->refusals, "divergences",
	    (json_int_t)r->divergences);
}

void web_cluster_get_status(struct web *w, struct status_cluster *c)
{
	memset(c, 0, sizeof(*c));
	c->role = STATUS_ROLE_STANDALONE;
	snprintf(c->sync_state, sizeof(c->sync_state), "none");
	if (w->p.cluster)
		w->p.cluster(w->p.cluster_arg, c);
}

json_t *web_cluster_json(struct web *w, const struct status_cluster *c)
{
	json_t *o = json_pack("{s:b,s:s,s:s,s:o,s:I,s:o,s:I,s:b,s:I,s:I,s:o,s:s,s:s,s:s}",
			      "enabled", c->enabled, "node", c->node, "cluster", c->cluster, "role",
			      cluster_role(c->role), "term", (json_int_t)c->term, "flags",
			      cluster_flags(c->flags), "priority", (json_int_t)c->priority,
			      "maintenance", c->maintenance, "epoch", (json_int_t)c->epoch,
			      "revision", (json_int_t)c->revision, "since", cluster_ms(c->since),
			      "reason", c->reason, "blocked", c->blocked, "health", c->health);

	if (!o)
		return NULL;
	if (json_object_set_new(o, "peer", cluster_peer_json(c)) != 0 ||
	    json_object_set_new(o, "paths", cluster_paths_json(c)) != 0 ||
	    json_object_set_new(o, "counters", cluster_counters_json(c)) != 0 ||
	    json_object_set_new(o, "vips",
				json_pack("{s:I,s:I,s:I,s:I}", "configured", (json_int_t)c->vips,
					  "held", (json_int_t)c->vips_held, "put_back",
					  (json_int_t)c->vips_put_back, "announcements",
					  (json_int_t)c->announcements)) != 0 ||
	    json_object_set_new(o, "tiebreakers", cluster_tiebreakers_json(c)) != 0 ||
	    json_object_set_new(o, "sync",
				json_pack("{s:s,s:s,s:f}", "state", c->sync_state, "error",
					  c->sync_error, "last_ms", c->sync_last_ms)) != 0 ||
	    json_object_set_new(o, "timing",
				json_pack("{s:f,s:I,s:I,s:b}", "late_max_ms", c->late_max_ms,
					  "late_over_half", (json_int_t)c->late_over_half,
					  "freezes", (json_int_t)c->freezes, "realtime",
					  c->realtime)) != 0 ||
	    json_object_set_new(o, "replication", cluster_repl_json(&c->repl)) != 0 ||
	    json_object_set_new(o, "history", cluster_history_json(w)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

enum MHD_Result web_cluster_get(struct web_req *r)
{
	struct status_cluster c;

	web_cluster_get_status(r->w, &c);
	return web_reply_json(r, MHD_HTTP_OK, web_cluster_json(r->w, &c));
}

/* ---- the commands ----------------------------------------------------------------- */

static const char *cluster_cmd_name(enum status_cluster_cmd cmd)
{
	return cmd == STATUS_CLUSTER_SWITCHOVER ? "switchover" : "maintenance";
}

static void cluster_unlink(struct web_cluster_cmd *c)
{
	if (!c->w)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->w->cluster_cmds = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* The engine's answer, in the main loop: the request is resumed to answer, or it is gone. */
static void cluster_on_done(void *arg, int rc, const char *reason)
{
	struct web_cluster_cmd *c = arg;

	cluster_unlink(c);
	if (!c->r) {
		free(c);
		return;
	}
	c->answered = true;
	c->rc = rc;
	snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "");
	if (!c->ready) {
		c->ready = true;
		MHD_resume_connection(c->r->conn);
		web_wake(c->w);
	}
}

/* The answer, once the engine gave it: the new state, or the refusal and its reason. */
static enum MHD_Result cluster_answer(struct web_req *r)
{
	struct web_cluster_cmd *c = r->cluster;
	struct status_cluster st;
	json_t *o;

	if (!c->answered)
		return web_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL,
				       "fulcrumd is stopping: the %s was not made",
				       cluster_cmd_name(c->cmd));
	log_notice("http", "token '%s' asked for %s %s: %s%s", r->who.name,
		   cluster_cmd_name(c->cmd),
		   c->cmd == STATUS_CLUSTER_SWITCHOVER ? (c->flag ? "(forced)" : "(not forced)")
		   : c->flag                           ? "on"
						       : "off",
		   c->rc == 0 ? "" : "refused: ", c->reason);
	if (c->rc == -EAGAIN)
		return web_reply_error(r, MHD_HTTP_CONFLICT, "conflict", "force", "%s", c->reason);
	if (c->rc == -EPERM)
		return web_reply_error(r, MHD_HTTP_CONFLICT, "conflict", NULL, "%s", c->reason);
	if (c->rc != 0)
		return web_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, "%s",
				       c->reason[0] ? c->reason : "the failover engine failed");
	web_cluster_get_status(r->w, &st);
	o = json_pack("{s:s,s:s,s:o}", "result", cluster_cmd_name(c->cmd), "reason", c->reason,
		      "cluster", web_cluster_json(r->w, &st));
	return web_reply_json(r, MHD_HTTP_OK, o);
}

/*
 * Reads the command's one boolean member (name) from the body; no body, or
 * no member, is dflt unless required. Replies 422 naming the field itself.
 */
static bool cluster_body_flag(struct web_req *r, const char *name, bool required, bool dflt,
			      bool *out)
{
	json_t *body = NULL, *v;
	const char *key;

	*out = dflt;
	if ((!r->body || r->body_len == 0) && !required)
		return true;
	if (!r->body || r->body_len == 0) {
		web_reply_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid", name,
				"%s: required (true or false), as {\"%s\": true}", name, name);
		return false;
	}
	if (!web_req_json(r, &body))
		return false;
	json_object_foreach(body, key, v)
	{
		if (strcmp(key, name) != 0) {
			web_reply_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid", key,
					"%.48s: not a field of this command (it takes only %s)",
					key, name);
			json_decref(body);
			return false;
		}
	}
	v = json_object_get(body, name);
	if ((!v && required) || (v && !json_is_boolean(v))) {
		web_reply_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid", name,
				"%s: %s (true or false)", name, v ? "not a boolean" : "required");
		json_decref(body);
		return false;
	}
	if (v)
		*out = json_is_true(v);
	json_decref(body);
	return true;
}

/*
 * Asks the engine and suspends the connection until it answers, as a write
 * waits for its group commit: the loop runs on meanwhile.
 */
static enum MHD_Result cluster_ask(struct web_req *r, enum status_cluster_cmd cmd, bool flag)
{
	struct web *w = r->w;
	struct web_cluster_cmd *c;
	int rc = -ENOTCONN;

	if (!w->p.cluster_cmd)
		return web_reply_error(r, MHD_HTTP_CONFLICT, "conflict", NULL,
				       "this node is standalone (no ha_peer): no %s",
				       cluster_cmd_name(cmd));
	c = calloc(1, sizeof(*c));
	if (!c)
		return web_reply_json(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	c->w = w;
	c->r = r;
	c->cmd = cmd;
	c->flag = flag;
	rc = w->p.cluster_cmd(w->p.cluster_cmd_arg, cmd, flag, cluster_on_done, c);
	if (rc != 0) {
		free(c);
		return web_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL,
				       "the failover engine cannot take the %s now: %s",
				       cluster_cmd_name(cmd),
				       rc == -ECANCELED  ? "fulcrumd is stopping"
				       : rc == -ENOTCONN ? "it is not running yet"
				       : rc == -ENOMEM   ? "too many commands are waiting"
							 : strerror(-rc));
	}
	c->next = w->cluster_cmds;
	if (c->next)
		c->next->prev = c;
	w->cluster_cmds = c;
	r->cluster = c;
	web_suspend(r); /* until the engine answers */
	return MHD_YES;
}

enum MHD_Result web_cluster_switchover(struct web_req *r)
{
	bool force;

	if (r->cluster)
		return cluster_answer(r);
	if (!cluster_body_flag(r, "force", false, false, &force))
		return MHD_YES;
	return cluster_ask(r, STATUS_CLUSTER_SWITCHOVER, force);
}

enum MHD_Result web_cluster_maintenance(struct web_req *r)
{
	bool on;

	if (r->cluster)
		return cluster_answer(r);
	if (!cluster_body_flag(r, "on", true, false, &on))
		return MHD_YES;
	return cluster_ask(r, STATUS_CLUSTER_MAINTENANCE, on);
}

bool web_cluster_ready(const struct web_req *r)
{
	return r->cluster->ready;
}

void web_cluster_release(struct web_req *r)
{
	struct web_cluster_cmd *c = r->cluster;

	if (!c)
		return;
	r->cluster = NULL;
	c->r = NULL;
	if (c->answered) /* else the engine still owes its answer: cluster_on_done() frees it */
		free(c);
}

void web_cluster_close(struct web *w)
{
	struct web_cluster_cmd *c = w->cluster_cmds;

	w->cluster_cmds = NULL;
	while (c) {
		struct web_cluster_cmd *next = c->next;

		c->prev = c->next = NULL;
		c->w = NULL;
		if (c->r && !c->ready) {
			c->ready =
			    true; /* answered 503: the engine's answer will find no request */
			MHD_resume_connection(c->r->conn);
		}
		c = next;
	}
}

/* ---- events ------------------------------------------------------------------------- */

static void cluster_event(struct web *w, const char *type, json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	if (text && w->events)
		web_events_send(w->events, type, text);
	free(text);
	json_decref(o);
}

void web_role_event(void *arg, const struct status_role_change *ev)
{
	struct web *w = arg;

	if (w->events && web_events_listening(w->events))
		cluster_event(w, "role", web_cluster_change_json(ev));
}

void web_peer_event(void *arg, const struct status_peer_change *ev)
{
	struct web *w = arg;

	if (w->events && web_events_listening(w->events))
		cluster_event(w, "peer", web_cluster_peer_change_json(ev));
}

void web_repl_event(void *arg, const struct status_repl_change *ev)
{
	struct web *w = arg;
	const char *state = status_repl_state_name(ev->state);
	const char *previous = status_repl_state_name(ev->previous);

	if (!w->events || !web_events_listening(w->events))
		return;
	cluster_event(w, "replication",
		      json_pack("{s:s,s:s,s:s,s:s,s:o,s:I,s:I,s:I}", "state", state ? state : "off",
				"previous", previous ? previous : "off", "peer", ev->peer, "reason",
				ev->reason, "at", cluster_ms(ev->at), "revision",
				(json_int_t)ev->revision, "peer_revision",
				(json_int_t)ev->peer_revision, "lag_revisions",
				(json_int_t)ev->lag_revisions));
}
