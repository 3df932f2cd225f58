/* The model's routes that read: services, real servers and VIPs from the store, and their status. */
#include "web/web-int.h"

#include "controller/lib/log.h"
#include "controller/model/model.h"
#include "controller/model/model_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* IPVS's counters of an object the kernel holds, from reconcile's cache; null otherwise. */
static json_t *api_stats_json(const struct status_kernel *k, bool real)
{
	const struct status_counters *c = &k->stats;
	json_t *o;

	if (!k->present)
		return json_null();
	o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "conns", (json_int_t)c->conns,
		      "inpkts", (json_int_t)c->inpkts, "outpkts", (json_int_t)c->outpkts, "inbytes",
		      (json_int_t)c->inbytes, "outbytes", (json_int_t)c->outbytes, "cps",
		      (json_int_t)c->cps, "inpps", (json_int_t)c->inpps, "outpps",
		      (json_int_t)c->outpps, "inbps", (json_int_t)c->inbps, "outbps",
		      (json_int_t)c->outbps);
	if (o && real) {
		json_object_set_new(o, "active_conns", json_integer(k->active_conns));
		json_object_set_new(o, "inactive_conns", json_integer(k->inactive_conns));
	}
	return o;
}

/* The status block every object carries: kernel state from reconcile, operational state. */
static json_t *api_status_json(struct web_req *r, bool real, int64_t id,
			       const struct status_daemon *st)
{
	struct status_object k = {.kernel = {.state = STATUS_KERNEL_PENDING,
					     .reason = "not reconciled into the kernel yet"}};
	const char *kstate;
	json_t *o;

	if (r->w->p.kernel)
		r->w->p.kernel(r->w->p.kernel_arg, real, id, &k);
	else if (!st->ipvs.available)
		k.kernel =
		    (struct status_kernel){.state = STATUS_KERNEL_UNAVAILABLE,
					   .reason = st->ipvs.reason ? st->ipvs.reason : "unknown"};
	kstate = status_kernel_state_name(k.kernel.state);
	o = json_pack("{s:s,s:s,s:s,s:s,s:o}", "kernel_state", kstate ? kstate : "pending",
		      "kernel_reason", k.kernel.reason ? k.kernel.reason : "", "oper_state",
		      k.oper_state ? k.oper_state : "unknown", "oper_reason", k.oper_reason,
		      "stats", api_stats_json(&k.kernel, real));
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

json_t *web_api_vs_json(struct web_req *r, const struct fulcrum_vs *vs,
			const struct status_daemon *st)
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

json_t *web_api_rs_json(struct web_req *r, const struct fulcrum_rs *rs,
			const struct status_daemon *st)
{
	json_t *o = model_rs_to_json(rs);

	if (o && json_object_set_new(o, "status", api_status_json(r, true, rs->id, st)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

json_t *web_api_stored_rs_json(struct web_req *r, const struct fulcrum_rs_stored *rs,
			       const struct status_daemon *st)
{
	struct fulcrum_rs whole;

	model_rs_copy(&whole, rs);
	return web_api_rs_json(r, &whole, st);
}

void web_api_status_get(struct web_req *r, struct status_daemon *st)
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

/*
 * GET services is answered from text built once per revision: a thousand
 * services are half a megabyte of JSON, too much to build for every poll.
 * What the objects' status shows is part of the key (IPVS, and the kernel
 * states' generation); health, when it comes, must join it.
 */
static void api_services_key(struct web_req *r, const struct status_daemon *st, char *key,
			     size_t len)
{
	uint64_t gen =
	    r->w->p.kernel_generation ? r->w->p.kernel_generation(r->w->p.kernel_arg) : 0;

	snprintf(key, len, "%d %" PRIu64 " %s", st->ipvs.available, gen,
		 st->ipvs.reason ? st->ipvs.reason : "");
}

static enum MHD_Result api_services_cached(struct web_req *r, const struct status_daemon *st)
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
	struct status_daemon st;
	size_t n;
	const struct fulcrum_vs *const *all = store_vs_all(w->p.store, &n);
	json_t *items, *o;
	char *text;

	web_api_status_get(r, &st);
	if (api_services_cached(r, &st) == MHD_YES || r->replied)
		return MHD_YES;
	items = json_array();
	for (size_t i = 0; items && i < n; i++) {
		if (json_array_append_new(items, web_api_vs_json(r, all[i], &st)) != 0) {
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
	struct status_daemon st;

	if (!vs)
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "service %" PRId64 " does not exist", r->id);
	web_api_status_get(r, &st);
	return web_reply_json(r, MHD_HTTP_OK, web_api_vs_json(r, vs, &st));
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
	struct status_daemon st;
	const struct fulcrum_rs_stored *const *all;
	json_t *items;
	size_t n;

	if (!store_vs_get(r->w->p.store, r->id))
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "service %" PRId64 " does not exist", r->id);
	web_api_status_get(r, &st);
	all = store_rs_all(r->w->p.store, r->id, &n);
	items = json_array();
	for (size_t i = 0; items && i < n; i++) {
		if (json_array_append_new(items, web_api_stored_rs_json(r, all[i], &st)) != 0) {
			json_decref(items);
			items = NULL;
		}
	}
	return api_reply_list(r, "reals", items);
}

enum MHD_Result web_api_real_get(struct web_req *r)
{
	const struct fulcrum_rs_stored *rs = store_rs_get(r->w->p.store, r->id);
	struct status_daemon st;

	if (!rs)
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "real server %" PRId64 " does not exist", r->id);
	web_api_status_get(r, &st);
	return web_reply_json(r, MHD_HTTP_OK, web_api_stored_rs_json(r, rs, &st));
}

/*
 * The main loop's turns (controller/lib/looplag.h): how many, their time,
 * the longest, and how many took at most each bound (cumulative, the last
 * bound null: all of them), as GET /metrics has them in seconds.
 */
static json_t *api_loop_json(const struct looplag *h)
{
	json_t *buckets = json_array(), *o;

	for (unsigned i = 0; buckets && i <= LOOPLAG_BOUNDS; i++) {
		json_t *b =
		    json_pack("{s:o,s:I}", "le_ms",
			      i < LOOPLAG_BOUNDS ? json_integer(looplag_bounds_ms[i]) : json_null(),
			      "turns", (json_int_t)looplag_cumulative(h, i));

		if (json_array_append_new(buckets, b) != 0) {
			json_decref(buckets);
			buckets = NULL;
		}
	}
	o = buckets ? json_pack("{s:I,s:f,s:f,s:o}", "turns", (json_int_t)h->turns, "busy_ms",
				h->sum_ms, "max_ms", h->max_ms, "buckets", buckets)
		    : NULL;
	return o;
}

enum MHD_Result web_api_status(struct web_req *r)
{
	struct status_daemon st;
	struct status_cluster cl;
	size_t nvs, nrs, nvips;
	json_t *o;

	web_api_status_get(r, &st);
	web_cluster_get_status(r->w, &cl);
	store_vs_all(r->w->p.store, &nvs);
	store_rs_all(r->w->p.store, 0, &nrs);
	store_vip_all(r->w->p.store, &nvips);
	o = json_pack("{s:s?,s:s?,s:I,s:I,s:s,s:I,s:I,s:I,s:{s:b,s:s?,s:s}}", "node_name",
		      st.node_name, "version", st.version, "uptime_seconds",
		      (json_int_t)(st.started ? time(NULL) - st.started : 0), "revision",
		      (json_int_t)store_revision(r->w->p.store), "role",
		      status_role_name(cl.role) ? status_role_name(cl.role) : "starting",
		      "services", (json_int_t)nvs, "reals", (json_int_t)nrs, "vips",
		      (json_int_t)nvips, "ipvs", "available", st.ipvs.available, "version",
		      st.ipvs.available ? st.ipvs.version : NULL, "reason",
		      st.ipvs.reason ? st.ipvs.reason : "unknown");
	if (o && json_object_set_new(o, "loop", api_loop_json(&st.loop)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return web_reply_json(r, MHD_HTTP_OK, o);
}

json_t *web_api_vip_json(struct web_req *r, const struct fulcrum_vip *vip)
{
	struct status_vip held = {.held = false, .reason = "nothing reports whether it is held"};
	json_t *o = model_vip_to_json(vip);

	if (r->w->p.vip)
		r->w->p.vip(r->w->p.vip_arg, vip->id, &held);
	if (o && json_object_set_new(o, "status",
				     json_pack("{s:b,s:s}", "held", held.held, "reason",
					       held.reason ? held.reason : "")) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

enum MHD_Result web_api_vips_list(struct web_req *r)
{
	size_t n;
	const struct fulcrum_vip *const *all = store_vip_all(r->w->p.store, &n);
	json_t *items = json_array();

	for (size_t i = 0; items && i < n; i++) {
		if (json_array_append_new(items, web_api_vip_json(r, all[i])) != 0) {
			json_decref(items);
			items = NULL;
		}
	}
	return api_reply_list(r, "vips", items);
}

enum MHD_Result web_api_vip_get(struct web_req *r)
{
	const struct fulcrum_vip *vip = store_vip_get(r->w->p.store, r->id);

	if (!vip)
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "VIP %" PRId64 " does not exist", r->id);
	return web_reply_json(r, MHD_HTTP_OK, web_api_vip_json(r, vip));
}
