/* Answers of the HTTP API: JSON bodies, the error form, and the headers every answer carries. */
#include "web/web-int.h"

#include "controller/lib/log.h"
#include "controller/lib/utf8.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one mapping of the model's error statuses to HTTP. */
static const struct {
	enum fulcrum_err_status status;
	unsigned http;
	const char *code;
} web_reply_errors[] = {
    {FULCRUM_ERR_INVALID, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid"},
    {FULCRUM_ERR_CONFLICT, MHD_HTTP_CONFLICT, "conflict"},
    {FULCRUM_ERR_NOTFOUND, MHD_HTTP_NOT_FOUND, "not_found"},
    {FULCRUM_ERR_STALE, MHD_HTTP_PRECONDITION_FAILED, "stale"},
    {FULCRUM_ERR_INTERNAL, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal"},
    {FULCRUM_ERR_UNAVAILABLE, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable"},
};

/* How long a client refused by a director that takes no writes waits before it tries again. */
#define WEB_REPLY_RETRY_AFTER "1"

/* What is said when even the error cannot be built. */
static const char web_reply_nomem[] =
    "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\",\"field\":null}}";

/*
 * Makes s valid UTF-8 in place, for jansson (which refuses anything else) and
 * for people: control characters and the bytes of a broken or overlong
 * sequence become '?'. Messages quote what clients sent, cut to a length.
 */
static void web_reply_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		uint32_t cp;
		size_t n = utf8_decode(p, strnlen((const char *)p, 4), &cp);

		if (n == 0 || cp < 0x20 || cp == 0x7f) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

/* Copies what a client sent into dst for a log line: printable ASCII only, cut to fit. */
static void web_reply_printable(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
	for (char *c = dst; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
}

/* Counts an answer by its method and status class (GET /metrics shows them). */
static void web_reply_count(struct web_req *r, unsigned status)
{
	size_t m = 0;

	/* by name: a request refused before its route was found has no r->method */
	while (m < WEB_METHODS_COUNTED - 1 && strcmp(r->method_name, web_method_names[m]) != 0)
		m++;
	if (status >= 200 && status < 600)
		r->w->requests[m][status / 100 - 2]++;
}

enum MHD_Result web_reply_queue(struct web_req *r, unsigned status, struct MHD_Response *resp)
{
	char etag[32], url[128], method[12];
	enum MHD_Result ret;

	snprintf(etag, sizeof(etag), "\"%" PRId64 "\"",
		 r->etag_rev ? r->etag_rev : store_revision(r->w->p.store));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->write && r->write->replicated)
		MHD_add_response_header(resp, WEB_REPLICATED_HEADER, r->write->replicated);
	r->replied = true;
	web_conn_clear(r->wc);
	web_reply_printable(url, sizeof(url), r->url);
	web_reply_printable(method, sizeof(method), r->method_name);
	if (r->gone) {
		log_notice("http", "%s %s: %u not sent: %s before its answer", method, url, status,
			   r->gone);
		return MHD_NO;
	}
	web_reply_count(r, status);
	ret = MHD_queue_response(r->conn, status, resp);
	if (status >= 500 && status != MHD_HTTP_SERVICE_UNAVAILABLE)
		log_warnx("http", "%s %s: %u", method, url, status);
	else
		log_debug("http", "%s %s: %u%s%s", method, url, status,
			  r->who.name[0] ? " for " : "", r->who.name);
	return ret;
}

/*
 * Queues text (malloc'ed, taken) as the JSON body of a status answer;
 * location and retry_after (headers) may be NULL.
 */
static enum MHD_Result web_reply_text(struct web_req *r, unsigned status, char *text,
				      const char *location, const char *retry_after)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!text) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		resp = MHD_create_response_from_buffer(
		    strlen(web_reply_nomem), (void *)web_reply_nomem, MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		if (!resp)
			free(text);
	}
	if (!resp) {
		r->replied = true;
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (location)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	if (retry_after)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
	ret = web_reply_queue(r, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result web_reply_json(struct web_req *r, unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	return web_reply_text(r, status, text, NULL, NULL);
}

/* 201 Created with Location: the path of what was made. */
enum MHD_Result web_reply_created(struct web_req *r, const char *location, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	return web_reply_text(r, MHD_HTTP_CREATED, text, location, NULL);
}

static json_t *web_reply_error_json(const char *code, const char *field, const char *fmt,
				    va_list ap)
{
	char msg[512], f[64];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vsnprintf(msg, sizeof(msg), fmt, ap);
#pragma GCC diagnostic pop
	snprintf(f, sizeof(f), "%s", field ? field : "");
	web_reply_clean(msg);
	web_reply_clean(f);
	return json_pack("{s:{s:s,s:s,s:s?}}", "error", "code", code, "message", msg, "field",
			 f[0] ? f : NULL);
}

enum MHD_Result web_reply_error(struct web_req *r, unsigned status, const char *code,
				const char *field, const char *fmt, ...)
{
	va_list ap;
	json_t *body;

	va_start(ap, fmt);
	body = web_reply_error_json(code, field, fmt, ap);
	va_end(ap);
	return web_reply_json(r, status, body);
}

struct MHD_Response *web_reply_error_response(const char *code, const char *fmt, ...)
{
	struct MHD_Response *resp;
	va_list ap;
	json_t *body;
	char *text;

	va_start(ap, fmt);
	body = web_reply_error_json(code, NULL, fmt, ap);
	va_end(ap);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return NULL;
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	return resp;
}

/*
 * A write refused by the store's gate (this director takes no writes): 503,
 * Retry-After, and the active's address beside the message, null when this
 * director does not know it.
 */
static enum MHD_Result web_reply_unavailable(struct web_req *r, const struct fulcrum_err *err)
{
	const char *active = NULL;
	char msg[sizeof(err->message)];
	json_t *body;
	char *text;

	store_writes_refused(r->w->p.store, NULL, &active);
	snprintf(msg, sizeof(msg), "%s", err->message);
	web_reply_clean(msg);
	body = json_pack("{s:{s:s,s:s,s:n,s:s?}}", "error", "code", "unavailable", "message", msg,
			 "field", "active", active && active[0] ? active : NULL);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	return web_reply_text(r, MHD_HTTP_SERVICE_UNAVAILABLE, text, NULL, WEB_REPLY_RETRY_AFTER);
}

enum MHD_Result web_reply_err(struct web_req *r, const struct fulcrum_err *err)
{
	if (err->status == FULCRUM_ERR_UNAVAILABLE)
		return web_reply_unavailable(r, err);
	if (err->status == FULCRUM_ERR_INTERNAL || err->status == FULCRUM_ERR_NONE)
		log_warnx("http", "%.8s %.64s failed: %s", r->method_name, r->url,
			  err->message[0] ? err->message : "no reason given");
	for (size_t i = 0; i < sizeof(web_reply_errors) / sizeof(web_reply_errors[0]); i++)
		if (web_reply_errors[i].status == err->status)
			return web_reply_error(r, web_reply_errors[i].http,
					       web_reply_errors[i].code, err->field, "%s",
					       err->message[0] ? err->message : "failed");
	return web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL, "%s",
			       err->message[0] ? err->message : "the command failed");
}

enum MHD_Result web_reply_empty(struct web_req *r, unsigned status)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp) {
		r->replied = true;
		return MHD_NO;
	}
	ret = web_reply_queue(r, status, resp);
	MHD_destroy_response(resp);
	return ret;
}
