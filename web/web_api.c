/* The model's routes: services and real servers read from the store, written through it. */
#include "web-int.h"

#include "log.h"
#include "model.h"
#include "model_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_REALS_MAX 10000 /* real servers created with one service */

/* Fields an operator may change; everything else is an admin's. */
static const char *const api_vs_operator_fields[] = {"admin_state", NULL};
static const char *const api_rs_operator_fields[] = {"weight", "admin_state", NULL};

/* Read-only fields of the API's objects, accepted in a body and ignored (GET, edit, send back). */
static const char *const api_computed_fields[] = {"status", "reals_total", NULL};

static struct command_actor api_actor(const struct web_req *r)
{
	struct command_actor a = {.name = r->who.name, .origin = FULCRUM_ORIGIN_HTTP};

	return a;
}

/* The revision If-Match named, for the command to check again inside its transaction. */
static int64_t api_if_revision(const struct web_req *r)
{
	return r->has_if_match && !r->if_match_any ? r->if_revision : 0;
}

static void api_strip_computed(json_t *body)
{
	for (size_t i = 0; api_computed_fields[i]; i++)
		json_object_del(body, api_computed_fields[i]);
}

/* IPVS's counters of an object the kernel holds, from reconcile's cache; null otherwise. */
static json_t *api_stats_json(const struct web_kernel *k)
{
	static const char *const names[10] = {"conns", "inpkts", "outpkts", "inbytes", "outbytes",
					      "cps",   "inpps",  "outpps",  "inbps",   "outbps"};
	json_t *o;

	if (!k->present)
		return json_null();
	o = json_object();
	for (size_t i = 0; o && i < 10; i++)
		json_object_set_new(o, names[i], json_integer((json_int_t)k->counters[i]));
	if (o && k->real) {
		json_object_set_new(o, "active_conns", json_integer(k->active_conns));
		json_object_set_new(o, "inactive_conns", json_integer(k->inactive_conns));
	}
	return o;
}

/* The status block every object carries: kernel state from reconcile, operational state. */
static json_t *api_status_json(struct web_req *r, bool real, int64_t id,
			       const struct daemon_status *st)
{
	struct web_kernel k = {.state = "pending", .reason = "not reconciled into the kernel yet"};
	json_t *o;

	if (r->w->p.kernel)
		r->w->p.kernel(r->w->p.kernel_arg, real, id, &k);
	else if (!st->ipvs || !st->ipvs->available)
		k = (struct web_kernel){.state = "unavailable",
					.reason = st->ipvs ? st->ipvs->reason : "unknown"};
	o = json_pack("{s:s,s:s,s:s,s:s,s:o}", "kernel_state", k.state ? k.state : "pending",
		      "kernel_reason", k.reason ? k.reason : "", "oper_state",
		      k.oper_state ? k.oper_state : "unknown", "oper_reason", k.oper_reason,
		      "stats", api_stats_json(&k));
	if (o && real && k.health_state)
		json_object_set_new(
		    o, "health",
		    json_pack("{s:s,s:s,s:o,s:o,s:I}", "state", k.health_state, "reason",
			      k.health_reason, "last_check",
			      k.health_last_check ? json_integer(k.health_last_check) : json_null(),
			      "last_change",
			      k.health_last_change ? json_integer(k.health_last_change)
						   : json_null(),
			      "failures", (json_int_t)k.health_failures));
	return o;
}

static json_t *api_vs_json(struct web_req *r, const struct fulcrum_vs *vs,
			   const struct daemon_status *st)
{
	json_t *o = model_vs_to_json(vs);
	size_t n = 0;

	store_rs_all(r->w->p.store, vs->id, &n);
	if (o && (json_object_set_new(o, "reals_total", json_integer((json_int_t)n)) != 0 ||
		  json_object_set_new(o, "status", api_status_json(r, false, vs->id, st)) != 0)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static json_t *api_rs_json(struct web_req *r, const struct fulcrum_rs *rs,
			   const struct daemon_status *st)
{
	json_t *o = model_rs_to_json(rs);

	if (o && json_object_set_new(o, "status", api_status_json(r, true, rs->id, st)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static void api_status_get(struct web_req *r, struct daemon_status *st)
{
	memset(st, 0, sizeof(*st));
	if (r->w->p.status)
		r->w->p.status(r->w->p.status_arg, st);
}

/* A list answer: {"revision": N, key: [...]}; NULL items mean memory ran out. */
static enum MHD_Result api_reply_list(struct web_req *r, const char *key, json_t *items)
{
	json_t *o = json_object();

	if (!items || !o ||
	    json_object_set_new(o, "revision", json_integer(store_revision(r->w->p.store))) != 0 ||
	    json_object_set_new(o, key, items) != 0) {
		json_decref(o);
		return web_reply_json(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	}
	return web_reply_json(r, MHD_HTTP_OK, o);
}

static bool api_field_allowed(const char *const *allowed, const char *key)
{
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(allowed[i], key) == 0)
			return true;
	return false;
}

/* An operator's PATCH may change only the fields allowed; replies 403 naming another. */
static bool api_operator_may(struct web_req *r, json_t *before, json_t *after,
			     const char *const *allowed)
{
	const char *key;
	json_t *v;
	bool ok = true;

	if (r->who.role >= FULCRUM_ROLE_ADMIN)
		return true;
	if (!before || !after) {
		web_reply_json(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
		return false;
	}
	json_object_foreach(after, key, v)
	{
		char list[64] = "";

		if (api_field_allowed(allowed, key) || json_equal(v, json_object_get(before, key)))
			continue;
		for (size_t i = 0; allowed[i]; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? " and " : "", allowed[i]);
		web_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden", key,
				"token '%s' has the role %s, which may change only %s; "
				"changing %s needs admin",
				r->who.name, auth_role_name(r->who.role), list, key);
		ok = false;
		break;
	}
	return ok;
}

/* Prefixes err's field with "reals[i]." so the client knows which real server. */
static void api_err_in_real(struct fulcrum_err *err, size_t i)
{
	char field[sizeof(err->field)];

	if (snprintf(field, sizeof(field), "reals[%zu]%s%s", i, err->field[0] ? "." : "",
		     err->field) < (int)sizeof(field))
		memcpy(err->field, field, sizeof(field));
}

/*
 * GET services is answered from text built once per revision: a thousand
 * services are half a megabyte of JSON, too much to build for every poll.
 * What the objects' status shows is part of the key (IPVS, and the kernel
 * states' generation); health, when it comes, must join it.
 */
static void api_services_key(struct web_req *r, const struct daemon_status *st, char *key,
			     size_t len)
{
	uint64_t gen =
	    r->w->p.kernel_generation ? r->w->p.kernel_generation(r->w->p.kernel_arg) : 0;

	snprintf(key, len, "%d %" PRIu64 " %s", st->ipvs && st->ipvs->available, gen,
		 st->ipvs ? st->ipvs->reason : "");
}

static enum MHD_Result api_services_cached(struct web_req *r, const struct daemon_status *st)
{
	struct web *w = r->w;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char key[sizeof(w->services_cache.key)];

	api_services_key(r, st, key, sizeof(key));
	if (!w->services_cache.text || w->services_cache.revision != store_revision(w->p.store) ||
	    strcmp(w->services_cache.key, key) != 0)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(w->services_cache.len, w->services_cache.text,
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return web_reply_json(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = web_reply_queue(r, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result web_api_services_list(struct web_req *r)
{
	struct web *w = r->w;
	struct daemon_status st;
	size_t n;
	const struct fulcrum_vs *const *all = store_vs_all(w->p.store, &n);
	json_t *items, *o;
	char *text;

	api_status_get(r, &st);
	if (api_services_cached(r, &st) == MHD_YES || r->replied)
		return MHD_YES;
	items = json_array();
	for (size_t i = 0; items && i < n; i++) {
		if (json_array_append_new(items, api_vs_json(r, all[i], &st)) != 0) {
			json_decref(items);
			items = NULL;
		}
	}
	o = items ? json_pack("{s:I,s:o}", "revision", (json_int_t)store_revision(w->p.store),
			      "services", items)
		  : NULL;
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return web_reply_json(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	free(w->services_cache.text);
	w->services_cache.text = text;
	w->services_cache.len = strlen(text);
	w->services_cache.revision = store_revision(w->p.store);
	api_services_key(r, &st, w->services_cache.key, sizeof(w->services_cache.key));
	return api_services_cached(r, &st);
}

enum MHD_Result web_api_service_get(struct web_req *r)
{
	const struct fulcrum_vs *vs = store_vs_get(r->w->p.store, r->id);
	struct daemon_status st;

	if (!vs)
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "service %" PRId64 " does not exist", r->id);
	api_status_get(r, &st);
	return web_reply_json(r, MHD_HTTP_OK, api_vs_json(r, vs, &st));
}

/* Reads the "reals" of a new service into *out (calloc'ed, *n of them); replies 422 itself. */
static bool api_reals_parse(struct web_req *r, json_t *list, const struct fulcrum_vs *vs,
			    struct fulcrum_rs **out, size_t *n)
{
	struct fulcrum_err err;
	struct fulcrum_rs *rs;
	json_t *item;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!list)
		return true;
	if (!json_is_array(list) || json_array_size(list) > API_REALS_MAX) {
		web_reply_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid", "reals",
				"service reals: expected an array of at most %d real servers",
				API_REALS_MAX);
		return false;
	}
	if (json_array_size(list) == 0)
		return true;
	rs = calloc(json_array_size(list), sizeof(*rs));
	if (!rs) {
		web_reply_json(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
		return false;
	}
	json_array_foreach(list, i, item)
	{
		model_err_clear(&err);
		model_rs_init(&rs[i]);
		if (json_is_object(item))
			api_strip_computed(item);
		if (model_rs_from_json(item, &rs[i], &err) != 0 ||
		    model_rs_validate(&rs[i], vs, &err) != 0) {
			api_err_in_real(&err, i);
			web_reply_err(r, &err);
			free(rs);
			return false;
		}
	}
	*out = rs;
	*n = json_array_size(list);
	return true;
}

enum MHD_Result web_api_services_create(struct web_req *r)
{
	struct command_actor actor = api_actor(r);
	struct fulcrum_err err;
	struct fulcrum_vs vs;
	const struct fulcrum_vs *stored;
	struct fulcrum_rs *reals = NULL;
	struct daemon_status st;
	size_t nreals = 0;
	json_t *body = NULL, *list, *out;
	int64_t rev = 0;
	char location[64];
	enum MHD_Result ret = MHD_YES;

	if (!web_req_precondition(r) || !web_req_json(r, &body))
		goto out;
	list = json_incref(json_object_get(body, "reals"));
	json_object_del(body, "reals");
	api_strip_computed(body);
	model_err_clear(&err);
	model_vs_init(&vs);
	if (model_vs_from_json(body, &vs, &err) != 0 || model_vs_validate(&vs, &err) != 0) {
		json_decref(list);
		ret = web_reply_err(r, &err);
		goto out;
	}
	if (!api_reals_parse(r, list, &vs, &reals, &nreals)) {
		json_decref(list);
		goto out;
	}
	json_decref(list);
	if (store_vs_create(r->w->p.store, &actor, &vs, reals, nreals, api_if_revision(r), &rev,
			    &err) != 0) {
		ret = web_reply_err(r, &err);
		goto out;
	}
	log_info("http",
		 "%s created service %" PRId64 " '%s' with %zu real servers (revision %" PRId64 ")",
		 r->who.name, vs.id, vs.name, nreals, rev);
	api_status_get(r, &st);
	stored = store_vs_get(r->w->p.store, vs.id);
	out = api_vs_json(r, stored ? stored : &vs, &st);
	if (out && nreals) {
		json_t *items = json_array();

		for (size_t i = 0; items && i < nreals; i++) {
			const struct fulcrum_rs *rs = store_rs_get(r->w->p.store, reals[i].id);

			json_array_append_new(items, api_rs_json(r, rs ? rs : &reals[i], &st));
		}
		json_object_set_new(out, "reals", items);
	}
	snprintf(location, sizeof(location), WEB_API_PREFIX "services/%" PRId64, vs.id);
	ret = web_reply_created(r, location, out);
out:
	free(reals);
	json_decref(body);
	return ret;
}

enum MHD_Result web_api_service_patch(struct web_req *r)
{
	const struct fulcrum_vs *cur = store_vs_get(r->w->p.store, r->id);
	struct command_actor actor = api_actor(r);
	struct fulcrum_err err;
	struct fulcrum_vs vs;
	struct daemon_status st;
	json_t *body = NULL, *before = NULL, *after = NULL;
	int64_t rev = 0;
	enum MHD_Result ret = MHD_YES;

	if (!cur)
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "service %" PRId64 " does not exist", r->id);
	vs = *cur;
	if (!web_req_precondition(r) || !web_req_json(r, &body))
		goto out;
	api_strip_computed(body);
	model_err_clear(&err);
	if (model_vs_from_json(body, &vs, &err) != 0) {
		ret = web_reply_err(r, &err);
		goto out;
	}
	before = model_vs_to_json(cur);
	after = model_vs_to_json(&vs);
	if (!api_operator_may(r, before, after, api_vs_operator_fields))
		goto out;
	if (store_vs_update(r->w->p.store, &actor, &vs, api_if_revision(r), &rev, &err) != 0) {
		ret = web_reply_err(r, &err);
		goto out;
	}
	log_info("http", "%s changed service %" PRId64 " (revision %" PRId64 ")", r->who.name,
		 vs.id, rev);
	api_status_get(r, &st);
	cur = store_vs_get(r->w->p.store, vs.id);
	ret = web_reply_json(r, MHD_HTTP_OK, api_vs_json(r, cur ? cur : &vs, &st));
out:
	json_decref(before);
	json_decref(after);
	json_decref(body);
	return ret;
}

enum MHD_Result web_api_service_delete(struct web_req *r)
{
	struct command_actor actor = api_actor(r);
	struct fulcrum_err err;
	int64_t rev = 0;

	if (!store_vs_get(r->w->p.store, r->id))
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "service %" PRId64 " does not exist", r->id);
	if (!web_req_precondition(r))
		return MHD_YES;
	model_err_clear(&err);
	if (store_vs_delete(r->w->p.store, &actor, r->id, api_if_revision(r), &rev, &err) != 0)
		return web_reply_err(r, &err);
	log_info("http", "%s deleted service %" PRId64 " (revision %" PRId64 ")", r->who.name,
		 r->id, rev);
	return web_reply_empty(r, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result web_api_service_reset(struct web_req *r)
{
	int rc;

	if (!store_vs_get(r->w->p.store, r->id))
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "service %" PRId64 " does not exist", r->id);
	if (!web_req_precondition(r))
		return MHD_YES;
	rc = r->w->p.reset ? r->w->p.reset(r->w->p.reset_arg, r->id) : -ESRCH;
	if (rc == -ESRCH)
		return web_reply_error(r, MHD_HTTP_CONFLICT, "conflict", NULL,
				       "service %" PRId64 " is not in the kernel: no counters to "
				       "reset (see its status.kernel_state)",
				       r->id);
	if (rc != 0)
		return web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
				       "the kernel refused to zero the counters of service %" PRId64
				       ": %s",
				       r->id, strerror(-rc));
	log_info("http", "%s reset the counters of service %" PRId64, r->who.name, r->id);
	return web_reply_empty(r, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result web_api_reals_list(struct web_req *r)
{
	struct daemon_status st;
	const struct fulcrum_rs *const *all;
	json_t *items;
	size_t n;

	if (!store_vs_get(r->w->p.store, r->id))
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "service %" PRId64 " does not exist", r->id);
	api_status_get(r, &st);
	all = store_rs_all(r->w->p.store, r->id, &n);
	items = json_array();
	for (size_t i = 0; items && i < n; i++) {
		if (json_array_append_new(items, api_rs_json(r, all[i], &st)) != 0) {
			json_decref(items);
			items = NULL;
		}
	}
	return api_reply_list(r, "reals", items);
}

enum MHD_Result web_api_reals_create(struct web_req *r)
{
	struct command_actor actor = api_actor(r);
	struct fulcrum_err err;
	struct fulcrum_rs rs;
	struct daemon_status st;
	const struct fulcrum_rs *stored;
	json_t *body = NULL;
	int64_t rev = 0;
	char location[64];
	enum MHD_Result ret = MHD_YES;

	if (!store_vs_get(r->w->p.store, r->id))
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "service %" PRId64 " does not exist", r->id);
	if (!web_req_precondition(r) || !web_req_json(r, &body))
		goto out;
	api_strip_computed(body);
	model_err_clear(&err);
	model_rs_init(&rs);
	rs.vs_id = r->id;
	if (model_rs_from_json(body, &rs, &err) != 0 ||
	    store_rs_create(r->w->p.store, &actor, &rs, api_if_revision(r), &rev, &err) != 0) {
		ret = web_reply_err(r, &err);
		goto out;
	}
	log_info("http",
		 "%s created real server %" PRId64 " in service %" PRId64 " (revision %" PRId64 ")",
		 r->who.name, rs.id, rs.vs_id, rev);
	api_status_get(r, &st);
	stored = store_rs_get(r->w->p.store, rs.id);
	snprintf(location, sizeof(location), WEB_API_PREFIX "reals/%" PRId64, rs.id);
	ret = web_reply_created(r, location, api_rs_json(r, stored ? stored : &rs, &st));
out:
	json_decref(body);
	return ret;
}

enum MHD_Result web_api_real_get(struct web_req *r)
{
	const struct fulcrum_rs *rs = store_rs_get(r->w->p.store, r->id);
	struct daemon_status st;

	if (!rs)
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "real server %" PRId64 " does not exist", r->id);
	api_status_get(r, &st);
	return web_reply_json(r, MHD_HTTP_OK, api_rs_json(r, rs, &st));
}

enum MHD_Result web_api_real_patch(struct web_req *r)
{
	const struct fulcrum_rs *cur = store_rs_get(r->w->p.store, r->id);
	struct command_actor actor = api_actor(r);
	struct fulcrum_err err;
	struct fulcrum_rs rs;
	struct daemon_status st;
	json_t *body = NULL, *before = NULL, *after = NULL;
	int64_t rev = 0;
	enum MHD_Result ret = MHD_YES;

	if (!cur)
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "real server %" PRId64 " does not exist", r->id);
	model_rs_copy(&rs, cur);
	if (!web_req_precondition(r) || !web_req_json(r, &body))
		goto out;
	api_strip_computed(body);
	model_err_clear(&err);
	if (model_rs_from_json(body, &rs, &err) != 0) {
		ret = web_reply_err(r, &err);
		goto out;
	}
	before = model_rs_to_json(cur);
	after = model_rs_to_json(&rs);
	if (!api_operator_may(r, before, after, api_rs_operator_fields))
		goto out;
	if (store_rs_update(r->w->p.store, &actor, &rs, api_if_revision(r), &rev, &err) != 0) {
		ret = web_reply_err(r, &err);
		goto out;
	}
	log_info("http", "%s changed real server %" PRId64 " (revision %" PRId64 ")", r->who.name,
		 rs.id, rev);
	api_status_get(r, &st);
	cur = store_rs_get(r->w->p.store, rs.id);
	ret = web_reply_json(r, MHD_HTTP_OK, api_rs_json(r, cur ? cur : &rs, &st));
out:
	json_decref(before);
	json_decref(after);
	json_decref(body);
	return ret;
}

enum MHD_Result web_api_real_delete(struct web_req *r)
{
	struct command_actor actor = api_actor(r);
	struct fulcrum_err err;
	int64_t rev = 0;

	if (!store_rs_get(r->w->p.store, r->id))
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "real server %" PRId64 " does not exist", r->id);
	if (!web_req_precondition(r))
		return MHD_YES;
	model_err_clear(&err);
	if (store_rs_delete(r->w->p.store, &actor, r->id, api_if_revision(r), &rev, &err) != 0)
		return web_reply_err(r, &err);
	log_info("http", "%s deleted real server %" PRId64 " (revision %" PRId64 ")", r->who.name,
		 r->id, rev);
	return web_reply_empty(r, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result web_api_status(struct web_req *r)
{
	struct daemon_status st;
	char ver[16];
	const struct ipvs_info *ipvs;
	size_t nvs, nrs;
	json_t *o;

	api_status_get(r, &st);
	ipvs = st.ipvs;
	store_vs_all(r->w->p.store, &nvs);
	store_rs_all(r->w->p.store, 0, &nrs);
	o = json_pack("{s:s?,s:s?,s:I,s:I,s:s,s:I,s:I,s:{s:b,s:s?,s:s}}", "node_name", st.node_name,
		      "version", st.version, "uptime_seconds",
		      (json_int_t)(st.started ? time(NULL) - st.started : 0), "revision",
		      (json_int_t)store_revision(r->w->p.store), "role", "standalone", "services",
		      (json_int_t)nvs, "reals", (json_int_t)nrs, "ipvs", "available",
		      ipvs && ipvs->available, "version",
		      ipvs && ipvs->available ? ipvs_version_format(ipvs->version, ver, sizeof(ver))
					      : NULL,
		      "reason", ipvs ? ipvs->reason : "unknown");
	return web_reply_json(r, MHD_HTTP_OK, o);
}
