/* One HTTP request: its route, token and role, If-Match, and its body's headers and JSON. */
#include "web/web-int.h"
#include "web/web_parse.h"

#include "controller/config/config_io.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WEB_URL_MAX 2048 /* bytes of a request's path */

/* One operation of a route: who may call it, and whether it reads a body. */
struct web_req_op {
	enum web_method method;
	enum fulcrum_role role;
	int body; /* 0: none, true: JSON, BODY_CONFIG: a configuration file (XML or JSON) */
	web_handler_fn fn; /* NULL ends the list */
};

/* A path under /api/v1/; "{id}" stands for one id segment. */
struct web_req_route {
	const char *path;
	bool public; /* no token needed */
	struct web_req_op ops[4];
};

#define VIEWER      FULCRUM_ROLE_VIEWER
#define OPERATOR    FULCRUM_ROLE_OPERATOR
#define ADMIN       FULCRUM_ROLE_ADMIN
#define BODY_CONFIG 2

static const struct web_req_route web_req_routes[] = {
    {"services",
     false,
     {{WEB_GET, VIEWER, false, web_api_services_list},
      {WEB_POST, ADMIN, true, web_write_services_create}}},
    {"services/{id}",
     false,
     {{WEB_GET, VIEWER, false, web_api_service_get},
      {WEB_PATCH, OPERATOR, true, web_write_service_patch},
      {WEB_DELETE, ADMIN, false, web_write_service_delete}}},
    {"services/{id}/reals",
     false,
     {{WEB_GET, VIEWER, false, web_api_reals_list},
      {WEB_POST, ADMIN, true, web_write_reals_create}}},
    {"services/{id}/reset-counters", false, {{WEB_POST, OPERATOR, false, web_api_service_reset}}},
    {"reals/{id}",
     false,
     {{WEB_GET, VIEWER, false, web_api_real_get},
      {WEB_PATCH, OPERATOR, true, web_write_real_patch},
      {WEB_DELETE, ADMIN, false, web_write_real_delete}}},
    {"vips",
     false,
     {{WEB_GET, VIEWER, false, web_api_vips_list}, {WEB_POST, ADMIN, true, web_write_vips_create}}},
    {"vips/{id}",
     false,
     {{WEB_GET, VIEWER, false, web_api_vip_get},
      {WEB_PATCH, ADMIN, true, web_write_vip_patch},
      {WEB_DELETE, ADMIN, false, web_write_vip_delete}}},
    {"status", false, {{WEB_GET, VIEWER, false, web_api_status}}},
    {"cluster", false, {{WEB_GET, VIEWER, false, web_cluster_get}}},
    {"cluster/switchover", false, {{WEB_POST, OPERATOR, true, web_cluster_switchover}}},
    {"cluster/maintenance", false, {{WEB_POST, OPERATOR, true, web_cluster_maintenance}}},
    {"changes", false, {{WEB_GET, VIEWER, false, web_events_changes}}},
    {"config",
     false,
     {{WEB_GET, VIEWER, false, web_config_get}, {WEB_PUT, ADMIN, BODY_CONFIG, web_config_put}}},
    {"events", false, {{WEB_GET, VIEWER, false, web_events_stream}}},
    {"openapi.json", true, {{WEB_GET, VIEWER, false, web_static_openapi}}},
};

const char *const web_method_names[WEB_METHODS_COUNTED] = {"GET",    "POST", "PATCH",
							   "DELETE", "PUT",  "other"};

/* Queues an error built by web_reply_error_response() with one more header. */
static enum MHD_Result web_req_reply_with(struct web_req *r, unsigned status,
					  struct MHD_Response *resp, const char *header,
					  const char *value)
{
	enum MHD_Result ret;

	if (!resp) {
		r->replied = true;
		return MHD_NO;
	}
	MHD_add_response_header(resp, header, value);
	ret = web_reply_queue(r, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result web_req_not_allowed(struct web_req *r, const char *allow)
{
	return web_req_reply_with(r, MHD_HTTP_METHOD_NOT_ALLOWED,
				  web_reply_error_response("method_not_allowed",
							   "%.16s is not allowed here; use %s",
							   r->method_name, allow),
				  MHD_HTTP_HEADER_ALLOW, allow);
}

/* Finds the handler of r's method and path; replies 404 or 405 itself. */
static const struct web_req_op *web_req_route(struct web_req *r, bool *public, bool *replied)
{
	const char *path = r->url + strlen(WEB_API_PREFIX);
	char allow[64] = "";

	*replied = false;
	for (size_t i = 0; i < sizeof(web_req_routes) / sizeof(web_req_routes[0]); i++) {
		const struct web_req_route *rt = &web_req_routes[i];

		if (!web_parse_route(rt->path, path, &r->id))
			continue;
		*public = rt->public;
		for (const struct web_req_op *op = rt->ops; op->fn; op++) {
			if (strcmp(r->method_name, web_method_names[op->method]) == 0) {
				r->method = op->method;
				return op;
			}
			snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
				 allow[0] ? ", " : "", web_method_names[op->method]);
		}
		*replied = true;
		web_req_not_allowed(r, allow);
		return NULL;
	}
	return NULL;
}

/* Checks the bearer token; replies 401 (with WWW-Authenticate) or 403 itself. */
static bool web_req_authorize(struct web_req *r, enum fulcrum_role need)
{
	const char *h =
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *why = h ? "Authorization: only Bearer tokens are taken"
			    : "send Authorization: Bearer TOKEN (fulcrumctl token create)";
	char token[AUTH_TOKEN_SIZE + 1];
	int rc = -EACCES, parsed = h ? web_parse_bearer(h, token, sizeof(token)) : -ENOENT;

	if (parsed != -ENOENT) {
		why = "the token is not known (or was deleted)";
		if (parsed == 0)
			rc = auth_verify(r->w->p.auth, token, &r->who);
		explicit_bzero(token, sizeof(token));
	}
	if (rc != 0) {
		web_req_reply_with(r, MHD_HTTP_UNAUTHORIZED,
				   web_reply_error_response("unauthorized", "%s", why),
				   MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				   h ? "Bearer realm=\"fulcrum\", error=\"invalid_token\""
				     : "Bearer realm=\"fulcrum\"");
		return false;
	}
	if (r->who.role < need) {
		web_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden", NULL,
				"token '%s' has the role %s; %s %s needs %s", r->who.name,
				auth_role_name(r->who.role), r->method_name, r->url,
				auth_role_name(need));
		return false;
	}
	return true;
}

/* Whether r comes from metrics_allow's address: the scraper that needs no token. */
static bool web_req_metrics_allowed(struct web_req *r)
{
	const struct sockaddr_storage *want = &r->w->metrics_allow;
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	if (!r->w->metrics_allow_set)
		return false;
	ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci ? ci->client_addr : NULL;
	if (!sa || sa->sa_family != want->ss_family)
		return false;
	if (sa->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)sa)->sin_addr,
			      &((const struct sockaddr_in *)want)->sin_addr,
			      sizeof(struct in_addr)) == 0;
	if (sa->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr,
			      &((const struct sockaddr_in6 *)want)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return false;
}

/* Parses If-Match: "*", or a list of entity tags "N" (N also bare); weak tags never match. */
static bool web_req_if_match(struct web_req *r)
{
	const char *h =
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MATCH);
	int64_t cur = store_revision(r->w->p.store);

	if (!h)
		return true;
	r->has_if_match = true;
	if (web_parse_if_match(h, cur, &r->if_match_any, &r->if_revision) == 0)
		return true;
	web_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", NULL,
			"If-Match: expected \"REVISION\" (the ETag of a response) or *");
	return false;
}

bool web_req_precondition(struct web_req *r)
{
	int64_t cur = store_revision(r->w->p.store);

	if (!r->has_if_match || r->if_match_any || r->if_revision == cur)
		return true;
	web_reply_error(r, MHD_HTTP_PRECONDITION_FAILED, "stale", NULL,
			"If-Match names revision %lld, the configuration is at revision %lld: "
			"read it again",
			(long long)r->if_revision, (long long)cur);
	return false;
}

/* Finds, in a tree parsed with JSON_DECODE_INT_AS_REAL, a number beyond 64 bits; names its field. */
static bool web_req_find_huge(const json_t *v, char *path, size_t len, int depth)
{
	size_t used = strlen(path), i;
	const char *key;
	json_t *item;

	if (depth > 32)
		return false;
	if (json_is_real(v))
		return json_real_value(v) >= 9.2e18 || json_real_value(v) <= -9.2e18;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item)
		{
			snprintf(path + used, len - used, "%s%s", used ? "." : "", key);
			if (web_req_find_huge(item, path, len, depth + 1))
				return true;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
		{
			snprintf(path + used, len - used, "[%zu]", i);
			if (web_req_find_huge(item, path, len, depth + 1))
				return true;
		}
	}
	path[used] = '\0';
	return false;
}

bool web_req_json(struct web_req *r, json_t **out)
{
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	if (!r->body || r->body_len == 0) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "malformed_json", NULL,
				"%s needs a JSON object as its body", r->method_name);
		return false;
	}
	j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!j && json_error_code(&jerr) == json_error_numeric_overflow) {
		char field[48] = "";

		j = json_loadb(r->body, r->body_len,
			       JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
			       NULL);
		if (j && web_req_find_huge(j, field, sizeof(field), 0)) {
			json_decref(j);
			web_reply_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid", field,
					"%s: the number is beyond any field's range", field);
			return false;
		}
		json_decref(j);
		j = NULL;
	}
	if (!j) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "malformed_json", NULL,
				"malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
				jerr.text);
		return false;
	}
	if (!json_is_object(j)) {
		web_reply_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid", NULL,
				"the body must be a JSON object, not %s",
				json_is_array(j) ? "an array" : "a single value");
		json_decref(j);
		return false;
	}
	*out = j;
	return true;
}

static bool web_req_is_json(const char *ct)
{
	return web_parse_is_type(ct, "application/json");
}

/* Checks the headers about the body before reading any of it; replies 411, 413 or 415. */
static bool web_req_body_headers(struct web_req *r, int wants_body)
{
	const char *te = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_TRANSFER_ENCODING);
	const char *cl =
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *ct =
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	unsigned long long len = 0;
	/* a configuration file is larger than any object: its own bound */
	size_t max = wants_body == BODY_CONFIG ? CONFIG_FILE_MAX : r->w->max_body;

	if (te) {
		web_reply_error(r, MHD_HTTP_LENGTH_REQUIRED, "length_required", NULL,
				"send the body with a Content-Length, not chunked");
		return false;
	}
	if (cl) {
		/* MHD has checked the syntax; more than 20 digits cannot fit anyway */
		if (strlen(cl) > 20 || (len = strtoull(cl, NULL, 10)) > max) {
			web_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "body_too_large", NULL,
					"the body is larger than %s (%zu bytes)",
					wants_body == BODY_CONFIG ? "a configuration file may be"
								  : "http_max_body",
					max);
			return false;
		}
	}
	if (len == 0)
		return true;
	if (wants_body == BODY_CONFIG && !web_req_is_json(ct) &&
	    !web_parse_is_type(ct, "application/xml") && !web_parse_is_type(ct, "text/xml")) {
		web_reply_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", NULL,
				"Content-Type: expected application/xml or application/json, got "
				"%.64s",
				ct ? ct : "none");
		return false;
	}
	if (wants_body == true && !web_req_is_json(ct)) {
		web_reply_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", NULL,
				"Content-Type: expected application/json, got %.64s",
				ct ? ct : "none");
		return false;
	}
	r->body = malloc((size_t)len + 1);
	if (!r->body) {
		web_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL,
				"out of memory");
		return false;
	}
	r->body_cap = (size_t)len;
	r->body[0] = '\0';
	return true;
}

/* What web_req_headers_ok() found wrong, the first thing. */
struct web_req_hdrs {
	char why[160];
	const char *content_length; /* the first one, to compare the others with */
};

/* RFC 9110's tchar: what a header's name is made of. */
static bool web_req_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static enum MHD_Result web_req_header_check(void *cls, enum MHD_ValueKind kind, const char *key,
					    size_t key_size, const char *value, size_t value_size)
{
	struct web_req_hdrs *h = cls;
	char shown[40];

	(void)kind;
	if (key_size == 0) {
		snprintf(h->why, sizeof(h->why), "a header line without a name");
		return MHD_NO;
	}
	for (size_t i = 0; i < key_size; i++)
		if (!web_req_tchar((unsigned char)key[i])) {
			snprintf(shown, sizeof(shown), "%.*s", (int)(key_size < 32 ? key_size : 32),
				 key);
			for (char *c = shown; *c; c++)
				*c = *c >= 0x20 && *c < 0x7f ? *c : '?';
			snprintf(
			    h->why, sizeof(h->why),
			    "header name '%s' holds a character a name may not hold (RFC 9110)",
			    shown);
			return MHD_NO;
		}
	for (size_t i = 0; value && i < value_size; i++) {
		unsigned char c = (unsigned char)value[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(h->why, sizeof(h->why),
				 "header %.*s: a control character (0x%02x) in its value",
				 (int)(key_size < 32 ? key_size : 32), key, c);
			return MHD_NO;
		}
	}
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (h->content_length && strcmp(h->content_length, value ? value : "") != 0) {
			snprintf(h->why, sizeof(h->why),
				 "two Content-Length headers that differ (RFC 9112: the message's "
				 "length is unknown)");
			return MHD_NO;
		}
		h->content_length = value ? value : "";
	}
	return MHD_YES;
}

/*
 * Every header line is a header: a name of token characters, a value
 * without control characters, one Content-Length (RFC 9110, 9112). A
 * request that breaks this is answered 400 before anything reads it, so
 * that no proxy in front and this server disagree on where it ends.
 */
static bool web_req_headers_ok(struct web_req *r)
{
	struct web_req_hdrs h = {.why = ""};

	MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, web_req_header_check, &h);
	if (!h.why[0])
		return true;
	web_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", NULL, "%s", h.why);
	return false;
}

/* The first call for a request: route, token, role, body headers. Early replies end it here. */
enum MHD_Result web_req_begin(struct web_req *r)
{
	const struct web_req_op *op;
	bool public = false, replied = false;

	if (strlen(r->url) > WEB_URL_MAX)
		return web_reply_error(r, MHD_HTTP_URI_TOO_LONG, "uri_too_long", NULL,
				       "the path is longer than %d bytes", WEB_URL_MAX);
	if (!web_req_headers_ok(r))
		return MHD_YES;
	if (strcmp(r->url, WEB_METRICS_PATH) == 0) {
		/* a token of any role, or none from metrics_allow's address */
		if (strcmp(r->method_name, "GET") != 0)
			return web_req_not_allowed(r, "GET");
		if (!web_req_metrics_allowed(r) && !web_req_authorize(r, FULCRUM_ROLE_VIEWER))
			return MHD_YES;
		r->fn = web_metrics_get;
		web_req_body_headers(r, false);
		return MHD_YES;
	}
	if (strncmp(r->url, WEB_API_PREFIX, strlen(WEB_API_PREFIX)) != 0) {
		bool index = strcmp(r->url, "/") == 0;

		if (!index && strncmp(r->url, "/static/", 8) != 0)
			return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
					       "no such page: %.200s", r->url);
		if (strcmp(r->method_name, "GET") != 0)
			return web_req_not_allowed(r, "GET");
		r->fn = index ? web_static_index : web_static_file;
		web_req_body_headers(r, false);
		return MHD_YES;
	}
	op = web_req_route(r, &public, &replied);
	if (replied)
		return MHD_YES;
	if (!op)
		return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				       "no such route: %s %.200s", r->method_name, r->url);
	if (!public && !web_req_authorize(r, op->role))
		return MHD_YES;
	if (!web_req_body_headers(r, op->body))
		return MHD_YES;
	if (op->method != WEB_GET && !web_req_if_match(r))
		return MHD_YES;
	r->fn = op->fn;
	return MHD_YES;
}
