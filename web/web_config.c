/* GET and PUT /api/v1/config: the whole configuration as one document, and a document applied as one write. */
#include "web/web-int.h"

#include "controller/config/config_apply.h"
#include "controller/config/config_export.h"
#include "controller/lib/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Whether the client's Accept asks for XML (application/xml or text/xml) before JSON. */
static bool config_wants_xml(struct web_req *r)
{
	const char *a =
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	const char *xml, *json;

	if (!a)
		return false;
	xml = strstr(a, "application/xml");
	if (!xml)
		xml = strstr(a, "text/xml");
	json = strstr(a, "application/json");
	return xml && (!json || xml < json);
}

enum MHD_Result web_config_get(struct web_req *r)
{
	bool xml = config_wants_xml(r);
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text;
	size_t len;
	int rc;

	rc = config_export_store(r->w->p.store, xml ? CONFIG_XML : CONFIG_JSON, &text, &len);
	if (rc != 0)
		return web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
				       "export: %s", strerror(-rc));
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		r->replied = true;
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				xml ? "application/xml" : "application/json");
	ret = web_reply_queue(r, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void config_apply_free(void *arg)
{
	struct config_apply *a = arg;

	if (!a)
		return;
	config_apply_clear(a);
	free(a);
}

/* A query parameter that is true, false or absent: 0, or -EINVAL after replying 400. */
static int config_flag(struct web_req *r, const char *name, bool *out)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);

	*out = false;
	if (!v || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		return 0;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || v[0] == '\0') {
		*out = true;
		return 0;
	}
	web_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", name,
			"%s: true or false, not '%.32s'", name, v);
	return -EINVAL;
}

static enum MHD_Result config_put_answer(struct web_req *r)
{
	struct web_write *wr = r->write;
	struct config_apply *a = wr->extra;
	int rc = wr->sw.rc;
	unsigned status = MHD_HTTP_OK;
	json_t *out;

	if (rc == -ECANCELED) { /* a dry run, undone on purpose */
		rc = 0;
		r->etag_rev = store_revision(r->w->p.store);
	} else if (rc == 0) {
		r->etag_rev = wr->sw.revision;
		log_info("http",
			 "%s applied a configuration file: %zu created, %zu changed, %zu deleted, "
			 "%zu unchanged (revision %" PRId64 ")",
			 r->who.name, a->created, a->updated, a->deleted, a->unchanged,
			 wr->sw.revision);
	} else if (a->errors.n == 0) {
		/* refused before the file was read: the store's own words (503 on a standby, 412) */
		return web_reply_err(r, &wr->sw.err);
	} else {
		status = a->status == FULCRUM_ERR_CONFLICT ? MHD_HTTP_CONFLICT
			 : rc == -ENOMEM || a->status == FULCRUM_ERR_INTERNAL
			     ? MHD_HTTP_INTERNAL_SERVER_ERROR
			     : MHD_HTTP_UNPROCESSABLE_CONTENT;
		log_info("http", "%s's configuration file was refused: %zu error(s), the first: %s",
			 r->who.name, a->errors.n + a->errors.dropped, a->errors.text[0]);
	}
	out = config_apply_json(a, rc == 0 && !a->dry_run ? wr->sw.revision
							  : store_revision(r->w->p.store));
	if (out && status != MHD_HTTP_OK)
		json_object_set_new(out, "error",
				    json_pack("{s:s,s:s,s:n}", "code",
					      status == MHD_HTTP_CONFLICT ? "conflict" : "invalid",
					      "message", a->errors.text[0], "field"));
	return web_reply_json(r, status, out);
}

enum MHD_Result web_config_put(struct web_req *r)
{
	const char *ct =
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct config_apply *a;
	struct web_write *wr;
	bool dry_run, prune;

	if (config_flag(r, "dry_run", &dry_run) != 0 || config_flag(r, "prune", &prune) != 0)
		return MHD_YES;
	if (!web_req_precondition(r))
		return MHD_YES;
	if (!r->body || r->body_len == 0)
		return web_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", NULL,
				       "PUT config needs a configuration file (XML or JSON) as its "
				       "body");
	if (!(a = calloc(1, sizeof(*a))))
		return web_reply_json(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	a->fmt = ct && strstr(ct, "json") ? CONFIG_JSON : CONFIG_XML;
	a->text = r->body;
	a->len = r->body_len;
	a->dry_run = dry_run;
	a->prune = prune;
	a->changes_max = 10000; /* the answer stays bounded; the counts are whole */
	if (!(wr = web_write_new(r, config_apply_txn, config_put_answer))) {
		free(a);
		return MHD_YES;
	}
	wr->actor.origin = FULCRUM_ORIGIN_IMPORT;
	wr->sw.arg = a;
	wr->extra = a;
	wr->extra_free = config_apply_free;
	return web_group_add(r);
}
