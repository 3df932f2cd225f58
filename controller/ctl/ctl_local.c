/* fulcrumctl's local transport: each operation of the API run on the database, as fulcrumd runs it. */
#include "controller/ctl/ctl_local.h"
#include "config.h"
#include "controller/config/config_apply.h"
#include "controller/config/config_export.h"
#include "controller/core/auth.h"
#include "controller/core/command.h"
#include "controller/model/model.h"
#include "controller/model/model_json.h"
#include "controller/model/model_kind.h"
#include "db/db.h"

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Why every state is unknown here: no daemon is asked. */
#define LOCAL_NO_STATE "unknown with --db: the database holds no kernel or operational state"
#define LOCAL_NO_VIP_STATE                                                                         \
	"unknown with --db: the database does not say which director holds its VIPs"

struct ctl_local {
	struct ctl_transport t; /* first: the operations are handed &t */
	struct db *db;
	char actor[65];
	char path[4096];
	bool force; /* --force: write even on a standby's database */
};

/* One write: what it is given, and the object as stored once it is done. */
struct local_write {
	json_t *body;
	int64_t id;             /* the object's; a new real server's service */
	enum fulcrum_kind kind; /* of a PATCH or a delete: which of the three it is */
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	struct fulcrum_vip vip;
};

/* w's object of its kind. */
static void *local_obj(struct local_write *w)
{
	switch (w->kind) {
	case FULCRUM_KIND_VS:
		return &w->vs;
	case FULCRUM_KIND_RS:
		return &w->rs;
	case FULCRUM_KIND_VIP:
		break;
	}
	return &w->vip;
}

/* A PATCH of any kind, as the API's: the object as it stands in the transaction, the body on it. */
static int local_patch_run(struct command_txn *t, void *arg)
{
	struct local_write *w = arg;
	const struct model_kind *k = model_kind(w->kind);
	void *obj = local_obj(w);
	int rc;

	if ((rc = command_txn_get(t, w->kind, w->id, obj)) != 0 ||
	    (rc = k->from_json(w->body, obj, command_txn_err(t))) != 0 ||
	    (rc = command_txn_update(t, w->kind, obj)) != 0)
		return rc;
	return command_txn_get(t, w->kind, w->id, obj);
}

static int local_delete_run(struct command_txn *t, void *arg)
{
	struct local_write *w = arg;

	return command_txn_delete(t, w->kind, w->id);
}

static struct ctl_local *local_of(struct ctl_transport *t)
{
	return (struct ctl_local *)t;
}

/* A storage failure, in SQLite's words. */
static int local_db_failed(struct ctl_local *l, int rc, struct ctl_transport_err *err)
{
	return ctl_transport_err_set(err, rc, CTL_EXIT_SERVER, NULL, "%s", db_errmsg(l->db));
}

/* The model's or the write path's refusal, as the API would word it. */
static int local_failed(int rc, const struct fulcrum_err *ferr, struct ctl_transport_err *err)
{
	if (ferr->status == FULCRUM_ERR_NONE)
		return ctl_transport_err_set(err, rc, CTL_EXIT_SERVER, NULL, "%s", strerror(-rc));
	return ctl_transport_err_set(
	    err, rc, ferr->status == FULCRUM_ERR_INTERNAL ? CTL_EXIT_SERVER : CTL_EXIT_REFUSED,
	    ferr->field, "%s", ferr->message);
}

static int local_nomem(struct ctl_transport_err *err)
{
	return ctl_transport_err_set(err, -ENOMEM, CTL_EXIT_SERVER, NULL, "out of memory");
}

/*
 * The API's "status" block, with nothing known: the same members, so that
 * the same lines and columns print. A real server's has its health too.
 */
static json_t *local_status_json(bool real)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:n}", "kernel_state", "unknown", "kernel_reason",
			      LOCAL_NO_STATE, "oper_state", "unknown", "oper_reason",
			      LOCAL_NO_STATE, "stats");

	if (o && real &&
	    json_object_set_new(o, "health",
				json_pack("{s:s,s:s,s:n,s:n,s:n}", "state", "unknown", "reason",
					  LOCAL_NO_STATE, "last_check", "last_change",
					  "failures")) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static int local_rs_count(const struct fulcrum_rs *rs, void *arg)
{
	(void)rs;
	(*(size_t *)arg)++;
	return 0;
}

static int local_vs_count(const struct fulcrum_vs *vs, void *arg)
{
	(void)vs;
	(*(size_t *)arg)++;
	return 0;
}

static int local_vip_count(const struct fulcrum_vip *vip, void *arg)
{
	(void)vip;
	(*(size_t *)arg)++;
	return 0;
}

/* A service as the API shows it: its fields, reals_total and status. */
static int local_vs_json(struct ctl_local *l, const struct fulcrum_vs *vs, json_t **out,
			 struct ctl_transport_err *err)
{
	size_t n = 0;
	int rc = db_rs_each(l->db, vs->id, local_rs_count, &n);
	json_t *o;

	if (rc != 0)
		return local_db_failed(l, rc, err);
	o = model_vs_to_json(vs);
	if (!o || json_object_set_new(o, "reals_total", json_integer((json_int_t)n)) != 0 ||
	    json_object_set_new(o, "status", local_status_json(false)) != 0) {
		json_decref(o);
		return local_nomem(err);
	}
	*out = o;
	return 0;
}

static json_t *local_rs_json(const struct fulcrum_rs *rs)
{
	json_t *o = model_rs_to_json(rs);

	if (o && json_object_set_new(o, "status", local_status_json(true)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* A VIP as the API shows it: whether this director holds it is the daemon's to say. */
static json_t *local_vip_json(const struct fulcrum_vip *vip)
{
	json_t *o = model_vip_to_json(vip);

	if (o &&
	    json_object_set_new(
		o, "status", json_pack("{s:n,s:s}", "held", "reason", LOCAL_NO_VIP_STATE)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* ---- reading ------------------------------------------------------------------ */

static int local_services_list(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	struct fulcrum_vs *vs = NULL;
	json_t *items = json_array(), *one;
	size_t n = 0;
	int rc = db_vs_list(l->db, &vs, &n);

	if (rc != 0)
		rc = local_db_failed(l, rc, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if ((rc = local_vs_json(l, &vs[i], &one, err)) == 0 &&
		    json_array_append_new(items, one) != 0)
			rc = local_nomem(err);
	}
	free(vs);
	if (rc == 0 && !(*out = json_pack("{s:I,s:O}", "revision", (json_int_t)db_revision(l->db),
					  "services", items)))
		rc = local_nomem(err);
	json_decref(items);
	return rc;
}

static int local_rs_append(const struct fulcrum_rs *rs, void *arg)
{
	return json_array_append_new(arg, local_rs_json(rs)) == 0 ? 0 : -ENOMEM;
}

static int local_reals_list(struct ctl_transport *t, int64_t service_id, json_t **out,
			    struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	struct fulcrum_vs vs;
	json_t *items;
	int rc = db_vs_get(l->db, service_id, &vs);

	if (rc == -ENOENT)
		return ctl_transport_err_set(err, rc, CTL_EXIT_REFUSED, NULL,
					     "service %" PRId64 " does not exist", service_id);
	if (rc != 0)
		return local_db_failed(l, rc, err);
	if (!(items = json_array()))
		return local_nomem(err);
	rc = db_rs_each(l->db, service_id, local_rs_append, items);
	if (rc == -ENOMEM)
		rc = local_nomem(err);
	else if (rc != 0)
		rc = local_db_failed(l, rc, err);
	else if (!(*out = json_pack("{s:I,s:O}", "revision", (json_int_t)db_revision(l->db),
				    "reals", items)))
		rc = local_nomem(err);
	json_decref(items);
	return rc;
}

static int local_vip_append(const struct fulcrum_vip *vip, void *arg)
{
	return json_array_append_new(arg, local_vip_json(vip)) == 0 ? 0 : -ENOMEM;
}

static int local_vips_list(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	json_t *items = json_array();
	int rc = items ? db_vip_each(l->db, local_vip_append, items) : -ENOMEM;

	if (rc == -ENOMEM)
		rc = local_nomem(err);
	else if (rc != 0)
		rc = local_db_failed(l, rc, err);
	else if (!(*out = json_pack("{s:I,s:O}", "revision", (json_int_t)db_revision(l->db), "vips",
				    items)))
		rc = local_nomem(err);
	json_decref(items);
	return rc;
}

/* obj, of kind, as the API shows it. */
static int local_obj_json(struct ctl_local *l, enum fulcrum_kind kind, const void *obj,
			  json_t **out, struct ctl_transport_err *err)
{
	switch (kind) {
	case FULCRUM_KIND_VS:
		return local_vs_json(l, obj, out, err);
	case FULCRUM_KIND_RS:
		*out = local_rs_json(obj);
		break;
	case FULCRUM_KIND_VIP:
		*out = local_vip_json(obj);
		break;
	}
	return *out ? 0 : local_nomem(err);
}

static int local_get(struct ctl_transport *t, enum fulcrum_kind kind, int64_t id, json_t **out,
		     struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	struct local_write w = {.id = id, .kind = kind};
	void *obj = local_obj(&w);
	int rc;

	switch (kind) {
	case FULCRUM_KIND_VS:
		rc = db_vs_get(l->db, id, obj);
		break;
	case FULCRUM_KIND_RS:
		rc = db_rs_get(l->db, id, obj);
		break;
	case FULCRUM_KIND_VIP:
	default:
		rc = db_vip_get(l->db, id, obj);
		break;
	}
	if (rc == -ENOENT)
		return ctl_transport_err_set(err, rc, CTL_EXIT_REFUSED, NULL,
					     "%s %" PRId64 " does not exist",
					     model_kind(kind)->what, id);
	if (rc != 0)
		return local_db_failed(l, rc, err);
	return local_obj_json(l, kind, obj, out, err);
}

/* A change-log row as GET changes has it: before and after as JSON, not text. */
static json_t *local_change_json(const struct fulcrum_change *c)
{
	const char *texts[2] = {c->before, c->after};
	json_t *o = json_pack("{s:I,s:I,s:s,s:s?,s:s,s:I}", "revision", (json_int_t)c->revision,
			      "time", (json_int_t)c->time, "actor", c->actor, "origin",
			      model_origin_name(c->origin), "object_type", c->object_type,
			      "object_id", (json_int_t)c->object_id);

	for (int i = 0; o && i < 2; i++) {
		json_t *j = texts[i] ? json_loads(texts[i], JSON_DECODE_ANY, NULL) : json_null();

		if (!j && texts[i])
			j = json_string(texts[i]);
		if (json_object_set_new(o, i ? "after" : "before", j) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

/* One page holds the whole log after since: the rows are read at once anyway. */
static int local_changes_page(struct ctl_transport *t, int64_t since, json_t **out,
			      struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	struct fulcrum_change *ch = NULL;
	json_t *items;
	size_t n = 0;
	int rc = db_change_list(l->db, since, 0, &ch, &n);

	if (rc != 0)
		return local_db_failed(l, rc, err);
	items = json_array();
	for (size_t i = 0; items && i < n; i++) {
		if (json_array_append_new(items, local_change_json(&ch[i])) != 0) {
			json_decref(items);
			items = NULL;
		}
	}
	*out = items ? json_pack("{s:o,s:I,s:b,s:I}", "changes", items, "next_since",
				 (json_int_t)(n ? ch[n - 1].revision : since), "more", 0,
				 "revision", (json_int_t)db_revision(l->db))
		     : NULL;
	fulcrum_change_list_free(ch, n);
	return *out ? 0 : local_nomem(err);
}

/*
 * The API's status with what the database knows; what only the daemon knows
 * (its uptime, role, IPVS, its loop's turns) is null. The database's path
 * and schema version are --db's own.
 */
static int local_status(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	size_t nvs = 0, nrs = 0, nvips = 0;
	int rc;

	if ((rc = db_vs_each(l->db, local_vs_count, &nvs)) != 0 ||
	    (rc = db_rs_each(l->db, 0, local_rs_count, &nrs)) != 0 ||
	    (rc = db_vip_each(l->db, local_vip_count, &nvips)) != 0)
		return local_db_failed(l, rc, err);
	*out = json_pack("{s:n,s:s,s:n,s:I,s:n,s:I,s:I,s:I,s:{s:n,s:n,s:s},s:{s:n,s:n,s:n,s:n},"
			 "s:s,s:i}",
			 "node_name", "version", PACKAGE_VERSION, "uptime_seconds", "revision",
			 (json_int_t)db_revision(l->db), "role", "services", (json_int_t)nvs,
			 "reals", (json_int_t)nrs, "vips", (json_int_t)nvips, "ipvs", "available",
			 "version", "reason", LOCAL_NO_STATE, "loop", "turns", "busy_ms", "max_ms",
			 "buckets", "database", l->path, "schema_version", db_schema_version());
	return *out ? 0 : local_nomem(err);
}

/* The role history's newest rows a --db cluster status lists. */
#define LOCAL_ROLE_HISTORY 20

/*
 * What the database keeps of failover: the role history, newest first, in
 * GET cluster's form; the live state is the running fulcrumd's.
 */
static int local_cluster_get(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	struct db_role_change *rows = NULL;
	size_t n = 0;
	json_t *history;
	int rc = db_role_history_list(l->db, LOCAL_ROLE_HISTORY, &rows, &n);

	if (rc != 0)
		return local_db_failed(l, rc, err);
	history = json_array();
	for (size_t i = 0; history && i < n; i++)
		json_array_append_new(
		    history, json_pack("{s:s,s:s?,s:I,s:s,s:I,s:s}", "role", rows[i].role,
				       "previous", rows[i].previous[0] ? rows[i].previous : NULL,
				       "term", (json_int_t)rows[i].term, "reason", rows[i].reason,
				       "at", (json_int_t)rows[i].at, "peer", rows[i].peer));
	free(rows);
	*out = history ? json_pack("{s:b,s:s,s:o}", "live", false, "database", l->path, "history",
				   history)
		       : NULL;
	return *out ? 0 : local_nomem(err);
}

/* ---- writing ------------------------------------------------------------------ */

/*
 * Whether this database may be written: not when the newest row of its role
 * history says the fulcrumd that used it last was standby or starting (its
 * writes go to the active: docs/ha.md, "Writes on the standby"), unless
 * --force was given. 0, or -EROFS with err saying why and naming the flag.
 */
static int local_writable(struct ctl_local *l, struct ctl_transport_err *err)
{
	struct db_role_change *rows = NULL;
	size_t n = 0;
	char role[sizeof(rows->role)];
	int rc;

	if (l->force)
		return 0;
	if ((rc = db_role_history_list(l->db, 1, &rows, &n)) != 0)
		return local_db_failed(l, rc, err);
	snprintf(role, sizeof(role), "%s", n ? rows[0].role : "");
	free(rows);
	if (strcmp(role, "standby") != 0 && strcmp(role, "starting") != 0)
		return 0;
	return ctl_transport_err_set(err, -EROFS, CTL_EXIT_REFUSED, NULL,
				     "this database is a standby's: its fulcrumd was last %s (the "
				     "role history's newest row), and writes go to the active "
				     "director; --force writes here all the same",
				     role);
}

/*
 * Runs fn as a command of its own group, as fulcrumd's API runs each write:
 * the object is read and changed in one transaction, so that a PATCH
 * applies to what is stored at that moment. *revision gets its revision.
 */
static int local_write_run(struct ctl_local *l, command_txn_fn fn, struct local_write *w,
			   int64_t *revision, struct ctl_transport_err *err)
{
	const struct command_actor actor = {l->actor, FULCRUM_ORIGIN_CLI};
	struct command_result res = {0};
	struct fulcrum_err ferr;
	int rc;

	if ((rc = local_writable(l, err)) != 0)
		return rc;
	model_err_clear(&ferr);
	if ((rc = command_group_begin(l->db, &ferr)) != 0)
		return local_failed(rc, &ferr, err);
	if ((rc = command_group_add(l->db, &actor, 0, fn, w, &res, &ferr)) != 0) {
		command_group_rollback(l->db);
		return local_failed(rc, &ferr, err);
	}
	if ((rc = command_group_commit(l->db, &ferr)) != 0) {
		command_result_clear(&res);
		return local_failed(rc, &ferr, err);
	}
	*revision = res.revision;
	command_result_clear(&res);
	return 0;
}

/*
 * A copy of body without the members the API computes and ignores in a body
 * (a GET's answer may be sent back). NULL when memory runs out.
 */
static json_t *local_body(const json_t *body)
{
	json_t *copy = json_deep_copy(body);

	json_object_del(copy, "status");
	json_object_del(copy, "reals_total");
	return copy;
}

/* Runs fn on a write of kind with body and id, then answers the object it leaves in w. */
static int local_write_json(struct ctl_transport *t, enum fulcrum_kind kind, command_txn_fn fn,
			    int64_t id, const json_t *body, json_t **out, int64_t *revision,
			    struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	struct local_write w = {.body = local_body(body), .id = id, .kind = kind};
	int rc;

	if (!w.body)
		return local_nomem(err);
	if ((rc = local_write_run(l, fn, &w, revision, err)) == 0)
		rc = local_obj_json(l, kind, local_obj(&w), out, err);
	json_decref(w.body);
	return rc;
}

static int local_patch(struct ctl_transport *t, enum fulcrum_kind kind, int64_t id,
		       const json_t *body, json_t **out, int64_t *revision,
		       struct ctl_transport_err *err)
{
	return local_write_json(t, kind, local_patch_run, id, body, out, revision, err);
}

static int local_delete(struct ctl_transport *t, enum fulcrum_kind kind, int64_t id,
			int64_t *revision, struct ctl_transport_err *err)
{
	struct local_write w = {.id = id, .kind = kind};

	return local_write_run(local_of(t), local_delete_run, &w, revision, err);
}

static int local_vs_create_run(struct command_txn *t, void *arg)
{
	struct local_write *w = arg;
	int rc;

	model_vs_init(&w->vs);
	if ((rc = model_vs_from_json(w->body, &w->vs, command_txn_err(t))) != 0 ||
	    (rc = command_txn_vs_create(t, &w->vs, NULL, 0)) != 0)
		return rc;
	return command_txn_vs_get(t, w->vs.id, &w->vs);
}

/* The service's real servers come with it only over HTTP: fulcrumctl never sends them. */
static int local_reals_refuse(const json_t *body, struct ctl_transport_err *err)
{
	if (!json_object_get(body, "reals"))
		return 0;
	return ctl_transport_err_set(err, -EINVAL, CTL_EXIT_REFUSED, "reals", "%s",
				     json_is_array(json_object_get(body, "reals"))
					 ? "service reals: give them with real add"
					 : "service reals: expected an array of at most 10000 real "
					   "servers");
}

static int local_service_create(struct ctl_transport *t, const json_t *body, json_t **out,
				int64_t *revision, struct ctl_transport_err *err)
{
	int rc = local_reals_refuse(body, err);

	return rc ? rc
		  : local_write_json(t, FULCRUM_KIND_VS, local_vs_create_run, 0, body, out,
				     revision, err);
}

/* The service is read first so that a missing one is worded as the API's 404. */
static int local_rs_create_run(struct command_txn *t, void *arg)
{
	struct local_write *w = arg;
	int rc;

	if ((rc = command_txn_vs_get(t, w->id, &w->vs)) != 0)
		return rc;
	model_rs_init(&w->rs);
	w->rs.vs_id = w->id;
	if ((rc = model_rs_from_json(w->body, &w->rs, command_txn_err(t))) != 0 ||
	    (rc = command_txn_rs_create(t, &w->rs)) != 0)
		return rc;
	return command_txn_rs_get(t, w->rs.id, &w->rs);
}

static int local_real_create(struct ctl_transport *t, int64_t service_id, const json_t *body,
			     json_t **out, int64_t *revision, struct ctl_transport_err *err)
{
	return local_write_json(t, FULCRUM_KIND_RS, local_rs_create_run, service_id, body, out,
				revision, err);
}

static int local_vip_create_run(struct command_txn *t, void *arg)
{
	struct local_write *w = arg;
	int rc;

	model_vip_init(&w->vip);
	if ((rc = model_vip_from_json(w->body, &w->vip, command_txn_err(t))) != 0 ||
	    (rc = command_txn_vip_create(t, &w->vip)) != 0)
		return rc;
	return command_txn_vip_get(t, w->vip.id, &w->vip);
}

static int local_vip_create(struct ctl_transport *t, const json_t *body, json_t **out,
			    int64_t *revision, struct ctl_transport_err *err)
{
	return local_write_json(t, FULCRUM_KIND_VIP, local_vip_create_run, 0, body, out, revision,
				err);
}

/* ---- tokens ------------------------------------------------------------------- */

static int local_token_create(struct ctl_transport *t, const char *name, const char *role_name,
			      char *buf, size_t len, struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	enum fulcrum_role role;
	char token[AUTH_TOKEN_SIZE], msg[256];
	int rc;

	if (auth_role_parse(role_name, &role) != 0)
		return ctl_transport_err_set(err, -EINVAL, CTL_EXIT_REFUSED, "role",
					     "token role: '%s' is not viewer, operator or admin",
					     role_name);
	if (len < sizeof(token))
		return ctl_transport_err_set(err, -ENOBUFS, CTL_EXIT_SERVER, NULL,
					     "no room for the token");
	if ((rc = local_writable(l, err)) != 0)
		return rc;
	if ((rc = auth_token_create(l->db, name, role, token, msg, sizeof(msg))) != 0)
		return ctl_transport_err_set(
		    err, rc, rc == -EINVAL || rc == -EEXIST ? CTL_EXIT_REFUSED : CTL_EXIT_SERVER,
		    "name", "%s", msg);
	memcpy(buf, token, sizeof(token));
	memset(token, 0, sizeof(token));
	return 0;
}

static int local_token_list(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	struct db_token *tok = NULL;
	json_t *items = json_array();
	size_t n = 0;
	int rc = db_token_list(l->db, &tok, &n);

	if (rc != 0)
		rc = local_db_failed(l, rc, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:I}", "id",
							   (json_int_t)tok[i].id, "name",
							   tok[i].name, "role", tok[i].role,
							   "created", (json_int_t)tok[i].created)))
			rc = local_nomem(err);
	free(tok);
	if (rc == 0 && !(*out = json_pack("{s:O}", "tokens", items)))
		rc = local_nomem(err);
	json_decref(items);
	return rc;
}

static int local_token_delete(struct ctl_transport *t, const char *name,
			      struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	int rc = local_writable(l, err);

	if (rc != 0)
		return rc;
	rc = db_token_delete(l->db, name);
	if (rc != 0)
		return ctl_transport_err_set(err, rc,
					     rc == -ENOENT ? CTL_EXIT_REFUSED : CTL_EXIT_SERVER,
					     NULL, "%s", db_errmsg(l->db));
	return 0;
}

/* ---- the transport ------------------------------------------------------------ */

static void local_free(struct ctl_transport *t)
{
	struct ctl_local *l = local_of(t);

	db_close(l->db);
	l->db = NULL;
	free(l);
}

/* ---- the configuration as a file ------------------------------------------------ */

static int local_config_get(struct ctl_transport *t, enum config_format fmt, char **text,
			    size_t *len, int64_t *revision, struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	int rc = config_export_db(l->db, fmt, text, len, revision);

	return rc ? local_db_failed(l, rc, err) : 0;
}

/* Applies text as one command of its own group (origin import), as fulcrumd's PUT does. */
static int local_config_put(struct ctl_transport *t, const char *text, size_t len, bool dry_run,
			    bool prune, json_t **out, struct ctl_transport_err *err)
{
	struct ctl_local *l = local_of(t);
	const struct command_actor actor = {l->actor, FULCRUM_ORIGIN_IMPORT};
	struct config_apply a = {.fmt = config_format_sniff(text, len),
				 .text = text,
				 .len = len,
				 .prune = prune,
				 .dry_run = dry_run};
	struct command_result res = {0};
	struct fulcrum_err ferr;
	int64_t revision;
	int rc;

	if (!dry_run && (rc = local_writable(l, err)) != 0)
		return rc;
	model_err_clear(&ferr);
	if ((rc = command_group_begin(l->db, &ferr)) != 0)
		return local_failed(rc, &ferr, err);
	revision = db_revision(l->db);
	rc = command_group_add(l->db, &actor, 0, config_apply_txn, &a, &res, &ferr);
	if (rc == 0) {
		rc = command_group_commit(l->db, &ferr);
		revision = res.revision;
		if (rc != 0)
			config_msgs_add(&a.errors, "%s", ferr.message);
	} else {
		command_group_rollback(l->db);
		if (rc == -ECANCELED)
			rc = 0; /* a dry run: undone on purpose */
	}
	command_result_clear(&res);
	*out = config_apply_json(&a, revision);
	if (rc != 0)
		ctl_transport_err_set(
		    err, rc, rc == -ENOMEM || rc == -EIO ? CTL_EXIT_SERVER : CTL_EXIT_REFUSED, NULL,
		    "%s", a.errors.n ? a.errors.text[0] : ferr.message);
	config_apply_clear(&a);
	return rc;
}

static const struct ctl_transport_ops local_ops = {
    .config_get = local_config_get,
    .config_put = local_config_put,
    .services_list = local_services_list,
    .get = local_get,
    .patch = local_patch,
    .del = local_delete,
    .service_create = local_service_create,
    .reals_list = local_reals_list,
    .real_create = local_real_create,
    .vips_list = local_vips_list,
    .vip_create = local_vip_create,
    .changes_page = local_changes_page,
    .status = local_status,
    .token_create = local_token_create,
    .token_list = local_token_list,
    .token_delete = local_token_delete,
    .cluster_get = local_cluster_get,
    .free = local_free,
};

/* Who is recorded in the change log: the user behind sudo, else this one. */
static void local_actor(char *buf, size_t len)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());

	if (sudo && *sudo)
		snprintf(buf, len, "%s", sudo);
	else if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid%ld", (long)getuid());
}

int ctl_local_open(const char *db_path, bool force, struct ctl_transport **out, char *err,
		   size_t errlen)
{
	struct ctl_local *l = calloc(1, sizeof(*l));
	int rc;

	*out = NULL;
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((rc = db_open(db_path, &l->db, err, errlen)) != 0) {
		free(l);
		return rc;
	}
	l->t.ops = &local_ops;
	l->force = force;
	local_actor(l->actor, sizeof(l->actor));
	snprintf(l->path, sizeof(l->path), "%s", db_path);
	*out = &l->t;
	return 0;
}
