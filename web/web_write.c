/* The model's routes that write: each request checked, queued for a group commit, then answered. */
#include "web/web-int.h"

#include "controller/lib/log.h"
#include "controller/model/model.h"
#include "controller/model/model_json.h"
#include "controller/model/model_kind.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRITE_REALS_MAX 10000 /* real servers created with one service */

/* Fields an operator may change; everything else is an admin's (a VIP's: all of it). */
static const char *const write_vs_operator_fields[] = {"admin_state", NULL};
static const char *const write_rs_operator_fields[] = {"weight", "admin_state", NULL};
static const char *const write_vip_operator_fields[] = {NULL};

/* Read-only fields of the API's objects, accepted in a body and ignored (GET, edit, send back). */
static const char *const write_computed_fields[] = {"status", "reals_total", NULL};

void web_write_free(struct web_write *wr)
{
	if (!wr)
		return;
	json_decref(wr->body);
	wr->body = NULL;
	free(wr->reals);
	wr->reals = NULL;
	if (wr->extra_free)
		wr->extra_free(wr->extra);
	free(wr);
}

struct web_write *web_write_new(struct web_req *r, command_txn_fn fn, web_handler_fn answer)
{
	struct web_write *wr = calloc(1, sizeof(*wr));

	if (!wr) {
		web_reply_json(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
		return NULL;
	}
	wr->r = r;
	wr->actor.name = r->who.name;
	wr->actor.origin = FULCRUM_ORIGIN_HTTP;
	wr->sw.actor = &wr->actor;
	/* checked again in the group, against the revision as it stands there */
	wr->sw.if_revision = r->has_if_match && !r->if_match_any ? r->if_revision : 0;
	wr->sw.fn = fn;
	wr->sw.arg = wr;
	wr->answer = answer;
	r->write = wr;
	return wr;
}

static void write_strip_computed(json_t *body)
{
	for (size_t i = 0; write_computed_fields[i]; i++)
		json_object_del(body, write_computed_fields[i]);
}

/*
 * An operator's PATCH may change only wr->operator_fields. Compares the
 * object as the group has it (before) with the PATCH applied (after), and
 * takes both; wr->unchanged says whether they are the same. Returns 0, or -EPERM with wr->forbidden naming a field the
 * operator may not change (the answer is 403), or -ENOMEM with err filled.
 */
static int write_operator_may(struct web_write *wr, json_t *before, json_t *after,
			      struct fulcrum_err *err)
{
	const char *key;
	json_t *v;
	int rc = 0;

	wr->unchanged = before && after && json_equal(before, after);
	if (wr->r->who.role >= FULCRUM_ROLE_ADMIN) {
		rc = 0;
	} else if (!before || !after) {
		rc = model_err_set(err, FULCRUM_ERR_INTERNAL, NULL, "out of memory");
	} else {
		json_object_foreach(after, key, v)
		{
			bool allowed = false;

			for (size_t i = 0; wr->operator_fields[i] && !allowed; i++)
				allowed = strcmp(wr->operator_fields[i], key) == 0;
			if (allowed || json_equal(v, json_object_get(before, key)))
				continue;
			snprintf(wr->forbidden, sizeof(wr->forbidden), "%s", key);
			rc = -EPERM;
			break;
		}
	}
	json_decref(before);
	json_decref(after);
	return rc;
}

/* Answers a write that failed: its own refusal, the server stopping, or the model's error. */
static enum MHD_Result write_failed(struct web_req *r)
{
	struct web_write *wr = r->write;
	char list[64] = "";

	if (wr->forbidden[0]) {
		for (size_t i = 0; wr->operator_fields[i]; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? " and " : "", wr->operator_fields[i]);
		return web_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden", wr->forbidden,
				       "token '%s' has the role %s, which may change only %s; "
				       "changing %s needs admin",
				       r->who.name, auth_role_name(r->who.role), list,
				       wr->forbidden);
	}
	if (wr->sw.rc == -ECANCELED)
		return web_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL,
				       "fulcrumd is stopping: nothing was written");
	return web_reply_err(r, &wr->sw.err);
}

/* ---- POST services ---------------------------------------------------------------- */

/* Prefixes err's field with "reals[i]." so the client knows which real server. */
static void write_err_in_real(struct fulcrum_err *err, size_t i)
{
	char field[sizeof(err->field)];

	if (snprintf(field, sizeof(field), "reals[%zu]%s%s", i, err->field[0] ? "." : "",
		     err->field) < (int)sizeof(field))
		memcpy(err->field, field, sizeof(field));
}

/* Reads the "reals" of a new service into *out (calloc'ed, *n of them); replies 422 itself. */
static bool write_reals_parse(struct web_req *r, json_t *list, const struct fulcrum_vs *vs,
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
	if (!json_is_array(list) || json_array_size(list) > WRITE_REALS_MAX) {
		web_reply_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid", "reals",
				"service reals: expected an array of at most %d real servers",
				WRITE_REALS_MAX);
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
			write_strip_computed(item);
		if (model_rs_from_json(item, &rs[i], &err) != 0 ||
		    model_rs_validate(&rs[i], vs, &err) != 0) {
			write_err_in_real(&err, i);
			web_reply_err(r, &err);
			free(rs);
			return false;
		}
	}
	*out = rs;
	*n = json_array_size(list);
	return true;
}

static int services_create_run(struct command_txn *t, void *arg)
{
	struct web_write *wr = arg;

	return command_txn_vs_create(t, &wr->vs, wr->reals, wr->nreals);
}

static enum MHD_Result services_create_answer(struct web_req *r)
{
	struct web_write *wr = r->write;
	const struct fulcrum_vs *stored;
	struct status_daemon st;
	char location[64];
	json_t *out;

	if (wr->sw.rc != 0)
		return write_failed(r);
	log_info("http",
		 "%s created service %" PRId64 " '%s' with %zu real servers (revision %" PRId64 ")",
		 r->who.name, wr->vs.id, wr->vs.name, wr->nreals, wr->sw.revision);
	r->etag_rev = wr->sw.revision;
	web_api_status_get(r, &st);
	stored = store_vs_get(r->w->p.store, wr->vs.id);
	out = web_api_vs_json(r, stored ? stored : &wr->vs, &st);
	if (out && wr->nreals) {
		json_t *items = json_array();

		for (size_t i = 0; items && i < wr->nreals; i++) {
			const struct fulcrum_rs_stored *rs =
			    store_rs_get(r->w->p.store, wr->reals[i].id);

			json_array_append_new(items, rs ? web_api_stored_rs_json(r, rs, &st)
							: web_api_rs_json(r, &wr->reals[i], &st));
		}
		json_object_set_new(out, "reals", items);
	}
	snprintf(location, sizeof(location), WEB_API_PREFIX "services/%" PRId64, wr->vs.id);
	return web_reply_created(r, location, out);
}

enum MHD_Result web_write_services_create(struct web_req *r)
{
	struct web_write *wr;
	struct fulcrum_err err;
	json_t *body = NULL, *list = NULL;
	enum MHD_Result ret = MHD_YES;

	if (!web_req_precondition(r) || !web_req_json(r, &body) ||
	    !(wr = web_write_new(r, services_create_run, services_create_answer)))
		goto out;
	list = json_incref(json_object_get(body, "reals"));
	json_object_del(body, "reals");
	write_strip_computed(body);
	model_err_clear(&err);
	model_vs_init(&wr->vs);
	if (model_vs_from_json(body, &wr->vs, &err) != 0 || model_vs_validate(&wr->vs, &err) != 0)
		ret = web_reply_err(r, &err);
	else if (write_reals_parse(r, list, &wr->vs, &wr->reals, &wr->nreals))
		ret = web_group_add(r);
out:
	json_decref(list);
	json_decref(body);
	return ret;
}

/* ---- PATCH services/{id} and reals/{id}: one path for every kind ------------------ */

/* Room for an object of any kind. */
union write_any {
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	struct fulcrum_vip vip;
};

/* The object of wr's kind that the write fills: wr->vs, wr->rs or wr->vip. */
static void *write_obj(struct web_write *wr)
{
	switch (wr->kind) {
	case FULCRUM_KIND_VS:
		return &wr->vs;
	case FULCRUM_KIND_RS:
		return &wr->rs;
	case FULCRUM_KIND_VIP:
		break;
	}
	return &wr->vip;
}

/* The object of wr's kind as the API shows it. */
static json_t *write_obj_json(struct web_req *r, struct web_write *wr,
			      const struct status_daemon *st)
{
	switch (wr->kind) {
	case FULCRUM_KIND_VS:
		return web_api_vs_json(r, &wr->vs, st);
	case FULCRUM_KIND_RS:
		return web_api_rs_json(r, &wr->rs, st);
	case FULCRUM_KIND_VIP:
		break;
	}
	return web_api_vip_json(r, &wr->vip);
}

/* Applies the PATCH to the object as it stands in the group; wr's object gets it as stored. */
static int patch_run(struct command_txn *t, void *arg)
{
	struct web_write *wr = arg;
	const struct model_kind *k = model_kind(wr->kind);
	union write_any cur;
	void *obj = write_obj(wr);
	int rc;

	if ((rc = command_txn_get(t, wr->kind, wr->r->id, &cur)) != 0)
		return rc;
	memcpy(obj, &cur, k->size);
	if ((rc = k->from_json(wr->body, obj, command_txn_err(t))) != 0 ||
	    (rc = write_operator_may(wr, k->to_json(&cur), k->to_json(obj), command_txn_err(t))) !=
		0 ||
	    (rc = command_txn_update(t, wr->kind, obj)) != 0)
		return rc;
	return command_txn_get(t, wr->kind, wr->r->id, obj);
}

static enum MHD_Result patch_answer(struct web_req *r)
{
	struct web_write *wr = r->write;
	struct status_daemon st;
	json_t *out;

	if (wr->sw.rc != 0)
		return write_failed(r);
	log_info("http", "%s %s %s %" PRId64 "%s (revision %" PRId64 ")", r->who.name,
		 wr->unchanged ? "left" : "changed", model_kind(wr->kind)->what, r->id,
		 wr->unchanged ? " unchanged" : "", wr->sw.revision);
	r->etag_rev = wr->sw.revision;
	web_api_status_get(r, &st);
	out = write_obj_json(r, wr, &st);
	return web_reply_json(r, MHD_HTTP_OK, out);
}

/* A PATCH of object r->id of kind, of which an operator may change operator_fields. */
static enum MHD_Result write_patch(struct web_req *r, enum fulcrum_kind kind,
				   const char *const *operator_fields)
{
	const struct model_kind *k = model_kind(kind);
	union write_any obj;
	struct web_write *wr;
	struct fulcrum_err err;
	json_t *body = NULL;

	if (store_copy(r->w->p.store, kind, r->id, &obj) != 0)
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "%s %" PRId64 " does not exist", k->what, r->id);
	if (!web_req_precondition(r) || !web_req_json(r, &body))
		return MHD_YES;
	write_strip_computed(body);
	model_err_clear(&err);
	/* refused now when it would be in any state; applied again in the group */
	if (k->from_json(body, &obj, &err) != 0) {
		json_decref(body);
		return web_reply_err(r, &err);
	}
	if (!(wr = web_write_new(r, patch_run, patch_answer))) {
		json_decref(body);
		return MHD_YES;
	}
	wr->kind = kind;
	wr->body = body;
	wr->operator_fields = operator_fields;
	return web_group_add(r);
}

enum MHD_Result web_write_service_patch(struct web_req *r)
{
	return write_patch(r, FULCRUM_KIND_VS, write_vs_operator_fields);
}

enum MHD_Result web_write_real_patch(struct web_req *r)
{
	return write_patch(r, FULCRUM_KIND_RS, write_rs_operator_fields);
}

enum MHD_Result web_write_vip_patch(struct web_req *r)
{
	return write_patch(r, FULCRUM_KIND_VIP, write_vip_operator_fields);
}

/* ---- POST services/{id}/reals ----------------------------------------------------- */

static int reals_create_run(struct command_txn *t, void *arg)
{
	struct web_write *wr = arg;
	int rc = command_txn_rs_create(t, &wr->rs);

	return rc ? rc : command_txn_rs_get(t, wr->rs.id, &wr->rs);
}

static enum MHD_Result reals_create_answer(struct web_req *r)
{
	struct web_write *wr = r->write;
	struct status_daemon st;
	char location[64];

	if (wr->sw.rc != 0)
		return write_failed(r);
	log_info("http",
		 "%s created real server %" PRId64 " in service %" PRId64 " (revision %" PRId64 ")",
		 r->who.name, wr->rs.id, wr->rs.vs_id, wr->sw.revision);
	r->etag_rev = wr->sw.revision;
	web_api_status_get(r, &st);
	snprintf(location, sizeof(location), WEB_API_PREFIX "reals/%" PRId64, wr->rs.id);
	return web_reply_created(r, location, web_api_rs_json(r, &wr->rs, &st));
}

enum MHD_Result web_write_reals_create(struct web_req *r)
{
	struct web_write *wr;
	struct fulcrum_err err;
	json_t *body = NULL;
	enum MHD_Result ret = MHD_YES;

	if (!store_vs_get(r->w->p.store, r->id))
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "service %" PRId64 " does not exist", r->id);
	if (!web_req_precondition(r) || !web_req_json(r, &body) ||
	    !(wr = web_write_new(r, reals_create_run, reals_create_answer)))
		goto out;
	write_strip_computed(body);
	model_err_clear(&err);
	model_rs_init(&wr->rs);
	wr->rs.vs_id = r->id;
	if (model_rs_from_json(body, &wr->rs, &err) != 0)
		ret = web_reply_err(r, &err);
	else
		ret = web_group_add(r);
out:
	json_decref(body);
	return ret;
}

/* ---- POST vips --------------------------------------------------------------------- */

static int vips_create_run(struct command_txn *t, void *arg)
{
	struct web_write *wr = arg;
	int rc = command_txn_vip_create(t, &wr->vip);

	return rc ? rc : command_txn_vip_get(t, wr->vip.id, &wr->vip);
}

static enum MHD_Result vips_create_answer(struct web_req *r)
{
	struct web_write *wr = r->write;
	char location[64], addr[MODEL_ADDR_STRLEN];

	if (wr->sw.rc != 0)
		return write_failed(r);
	log_info("http", "%s created VIP %" PRId64 " %s/%u on %s (revision %" PRId64 ")",
		 r->who.name, wr->vip.id, model_addr_format(&wr->vip.addr, addr, sizeof(addr)),
		 (unsigned)wr->vip.prefix, wr->vip.interface, wr->sw.revision);
	r->etag_rev = wr->sw.revision;
	snprintf(location, sizeof(location), WEB_API_PREFIX "vips/%" PRId64, wr->vip.id);
	return web_reply_created(r, location, web_api_vip_json(r, &wr->vip));
}

enum MHD_Result web_write_vips_create(struct web_req *r)
{
	struct web_write *wr;
	struct fulcrum_err err;
	json_t *body = NULL;
	enum MHD_Result ret = MHD_YES;

	if (!web_req_precondition(r) || !web_req_json(r, &body) ||
	    !(wr = web_write_new(r, vips_create_run, vips_create_answer)))
		goto out;
	write_strip_computed(body);
	model_err_clear(&err);
	model_vip_init(&wr->vip);
	/* refused now, before the queue, when the body alone says it is wrong */
	if (model_vip_from_json(body, &wr->vip, &err) != 0 ||
	    model_vip_validate(&wr->vip, &err) != 0)
		ret = web_reply_err(r, &err);
	else
		ret = web_group_add(r);
out:
	json_decref(body);
	return ret;
}

/* ---- DELETE services/{id}, reals/{id}, vips/{id}: one path for every kind ---------- */

static int delete_run(struct command_txn *t, void *arg)
{
	struct web_write *wr = arg;

	return command_txn_delete(t, wr->kind, wr->r->id);
}

static enum MHD_Result delete_answer(struct web_req *r)
{
	struct web_write *wr = r->write;

	if (wr->sw.rc != 0)
		return write_failed(r);
	log_info("http", "%s deleted %s %" PRId64 " (revision %" PRId64 ")", r->who.name,
		 model_kind(wr->kind)->what, r->id, wr->sw.revision);
	r->etag_rev = wr->sw.revision;
	return web_reply_empty(r, MHD_HTTP_NO_CONTENT);
}

/* A DELETE of object r->id of kind (a service takes its real servers along). */
static enum MHD_Result write_delete(struct web_req *r, enum fulcrum_kind kind)
{
	union write_any obj;
	struct web_write *wr;

	if (store_copy(r->w->p.store, kind, r->id, &obj) != 0)
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "%s %" PRId64 " does not exist", model_kind(kind)->what,
				       r->id);
	if (!web_req_precondition(r) || !(wr = web_write_new(r, delete_run, delete_answer)))
		return MHD_YES;
	wr->kind = kind;
	return web_group_add(r);
}

enum MHD_Result web_write_service_delete(struct web_req *r)
{
	return write_delete(r, FULCRUM_KIND_VS);
}

enum MHD_Result web_write_real_delete(struct web_req *r)
{
	return write_delete(r, FULCRUM_KIND_RS);
}

enum MHD_Result web_write_vip_delete(struct web_req *r)
{
	return write_delete(r, FULCRUM_KIND_VIP);
}
