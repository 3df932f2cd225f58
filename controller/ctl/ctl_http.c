/* fulcrumctl's HTTP transport: libcurl's easy interface, JSON in and out, failures as the API words them. */
#include "controller/ctl/ctl_http.h"
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define BODY_MAX (16u << 20)

struct ctl_http {
	struct ctl_transport t; /* first: the operations are handed &t */
	CURL *curl;             /* one handle, so that requests reuse the connection */
	char *base;             /* without a trailing '/' */
	char *auth;             /* "Authorization: Bearer <token>" */
};

/* One answer from the API. */
struct http_reply {
	long status;      /* HTTP status */
	json_t *json;     /* the body parsed, or NULL when it was empty; owned by the reply */
	int64_t revision; /* from the ETag header, or -1 when there was none */
};

/* The body as it arrives. */
struct body {
	char *data;
	size_t len, cap;
	size_t max; /* the largest answer taken */
	bool too_big;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Reads the token file at path: see ctl_http_token_find(). */
static int token_read_file(const char *path, char *buf, size_t len, char *msg, size_t msglen)
{
	struct stat st;
	ssize_t n;
	int fd, rc = -EACCES;
	char *end;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ELOOP) {
		set_err(msg, msglen, "token file %s is a symbolic link; refused", path);
		return -EACCES;
	}
	if (fd < 0) {
		rc = -errno;
		set_err(msg, msglen, "token file %s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		set_err(msg, msglen, "token file %s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		set_err(msg, msglen, "token file %s is not a regular file; refused", path);
	} else if (st.st_uid != geteuid()) {
		set_err(msg, msglen, "token file %s belongs to uid %ld, not to you; refused", path,
			(long)st.st_uid);
	} else if (st.st_mode & 077) {
		set_err(msg, msglen,
			"token file %s is mode %04o: others may read it, so it is refused; make "
			"it mode 0600 (chmod 600 %s)",
			path, (unsigned)(st.st_mode & 07777), path);
	} else if ((n = read(fd, buf, len - 1)) < 0) {
		rc = -errno;
		set_err(msg, msglen, "token file %s: %s", path, strerror(errno));
	} else {
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		for (end = buf + strlen(buf); end > buf && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = '\0';
		rc = *buf ? 0 : -EINVAL;
		if (rc != 0)
			set_err(msg, msglen, "token file %s is empty", path);
	}
	close(fd);
	return rc;
}

int ctl_http_token_find(const char *given, char *buf, size_t len, char *msg, size_t msglen)
{
	const char *env = getenv("FULCRUM_TOKEN");
	const char *home = getenv("HOME");
	struct passwd *pw;
	char path[4096];
	int rc;

	if (given || (env && *env)) {
		snprintf(buf, len, "%s", given ? given : env);
		return 0;
	}
	if ((!home || !*home) && (pw = getpwuid(geteuid())))
		home = pw->pw_dir;
	snprintf(path, sizeof(path), "%s/%s", home && *home ? home : "", CTL_HTTP_TOKEN_FILE);
	rc = token_read_file(path, buf, len, msg, msglen);
	if (rc == -ENOENT)
		set_err(msg, msglen,
			"no API token: give --token TOKEN, set FULCRUM_TOKEN, or put it in %s "
			"(mode 0600); or use --db PATH on the director",
			path);
	return rc;
}

static size_t on_body(char *ptr, size_t size, size_t n, void *userdata)
{
	struct body *b = userdata;
	size_t len = size * n;

	if (len > b->max - b->len) {
		b->too_big = true;
		return 0; /* libcurl stops with CURLE_WRITE_ERROR */
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return 0;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* Keeps the revision of an ETag header: "12", W/"12" or 12. */
static size_t on_header(char *ptr, size_t size, size_t n, void *userdata)
{
	int64_t *revision = userdata;
	size_t len = size * n;
	const char *p = ptr, *end = ptr + len;
	int64_t v = 0;
	bool digits = false;

	if (len < 5 || strncasecmp(ptr, "etag:", 5) != 0)
		return len;
	for (p += 5; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
		p += 2;
	if (p < end && *p == '"')
		p++;
	for (; p < end && isdigit((unsigned char)*p) && v < INT64_MAX / 10 - 9; p++) {
		v = v * 10 + (*p - '0');
		digits = true;
	}
	if (digits)
		*revision = v;
	return len;
}

static void http_free(struct ctl_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	h->curl = NULL;
	free(h->base);
	h->base = NULL;
	if (h->auth) /* the token is a secret: leave no copy in freed memory */
		memset(h->auth, 0, strlen(h->auth));
	free(h->auth);
	h->auth = NULL;
	free(h);
	curl_global_cleanup();
}

/* Releases what reply holds and clears it; accepts an already cleared reply. */
static void http_reply_clear(struct http_reply *reply)
{
	json_decref(reply->json);
	reply->json = NULL;
	reply->status = 0;
	reply->revision = -1;
}

/* Sets the options of one request on the (reset) handle; returns CURLE_OK or the first failure. */
static CURLcode setup(struct ctl_http *h, const char *method, const char *url, const char *text,
		      size_t text_len, struct curl_slist *headers, struct body *in,
		      int64_t *revision, char *errbuf)
{
	CURL *c = h->curl;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(c, opt, val);                                        \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_CONNECTTIMEOUT, 5L);
	SET(CURLOPT_TIMEOUT, 30L);
	SET(CURLOPT_USERAGENT, "fulcrumctl/" PACKAGE_VERSION);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, in);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, revision);
	if (strcmp(method, "GET") != 0)
		SET(CURLOPT_CUSTOMREQUEST, method);
	if (text) {
		SET(CURLOPT_POSTFIELDS, text);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)text_len);
	}
#undef SET
	return rc;
}

/* One request's text both ways, for http_send(). */
struct http_raw {
	const char *text; /* the body sent, or NULL */
	size_t text_len;
	const char *content_type; /* its type */
	const char *accept;       /* the Accept header */
	size_t max;               /* the largest answer taken */
	char *answer;             /* out: the answer's body, malloc'ed (NULL when empty) */
	size_t answer_len;
};

/*
 * Sends method to path ("/api/v1/services"; it must start with '/' and be
 * URL-safe already) with raw's body and waits for the answer: *status its
 * HTTP status, *revision its ETag's (-1: none), raw->answer its body.
 * Returns 0 when the server answered, whatever the status; -EIO when it
 * could not be reached or the transfer failed, -E2BIG when the answer is
 * larger than raw->max; err says why in words.
 */
static int http_send(struct ctl_http *h, const char *method, const char *path, struct http_raw *raw,
		     long *status, int64_t *revision, char *err, size_t errlen)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL, *l;
	struct body in = {.max = raw->max};
	char *url = NULL, *ctype = NULL, *accept = NULL;
	const char *lines[4];
	CURLcode crc;
	int rc = -ENOMEM;

	*status = 0;
	*revision = -1;
	raw->answer = NULL;
	raw->answer_len = 0;
	if (asprintf(&url, "%s%s", h->base, path) < 0)
		url = NULL;
	if (asprintf(&accept, "Accept: %s", raw->accept) < 0)
		accept = NULL;
	if (raw->text && asprintf(&ctype, "Content-Type: %s", raw->content_type) < 0)
		ctype = NULL;
	if (!url || !accept || (raw->text && !ctype))
		goto nomem;
	lines[0] = h->auth;
	lines[1] = accept;
	lines[2] = ctype;
	lines[3] = "Expect:"; /* no waiting for a 100 Continue on larger bodies */
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (!lines[i])
			continue;
		if (!(l = curl_slist_append(headers, lines[i])))
			goto nomem;
		headers = l;
	}
	curl_easy_reset(h->curl);
	crc = setup(h, method, url, raw->text, raw->text_len, headers, &in, revision, errbuf);
	if (crc == CURLE_OK)
		crc = curl_easy_perform(h->curl);
	if (crc != CURLE_OK) {
		if (in.too_big) {
			set_err(err, errlen, "%s %s: the answer is larger than %zu MiB", method,
				url, raw->max >> 20);
			rc = -E2BIG;
		} else {
			set_err(err, errlen, "%s: %s", h->base,
				*errbuf ? errbuf : curl_easy_strerror(crc));
			rc = -EIO;
		}
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
	raw->answer = in.data;
	raw->answer_len = in.len;
	in.data = NULL;
	rc = 0;
	goto out;
nomem:
	set_err(err, errlen, "out of memory");
out:
	curl_slist_free_all(headers);
	free(in.data);
	free(url);
	free(accept);
	free(ctype);
	return rc;
}

/*
 * http_send() with body as JSON (NULL: no body) and a JSON answer: reply
 * filled (release it with http_reply_clear()); -EPROTO when the body is not
 * JSON, -E2BIG when it is larger than 16 MiB.
 */
static int http_request(struct ctl_http *h, const char *method, const char *path,
			const json_t *body, struct http_reply *reply, char *err, size_t errlen)
{
	struct http_raw raw = {
	    .content_type = "application/json", .accept = "application/json", .max = BODY_MAX};
	char *text = NULL;
	json_error_t jerr;
	int rc;

	reply->json = NULL;
	if (body && !(text = json_dumps(body, JSON_COMPACT))) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	raw.text = text;
	raw.text_len = text ? strlen(text) : 0;
	rc = http_send(h, method, path, &raw, &reply->status, &reply->revision, err, errlen);
	if (rc == 0 && raw.answer_len > 0 &&
	    !(reply->json = json_loadb(raw.answer, raw.answer_len, 0, &jerr))) {
		set_err(err, errlen, "%s %s%s: the answer (HTTP %ld) is not JSON: %s", method,
			h->base, path, reply->status, jerr.text);
		rc = -EPROTO;
	}
	if (rc != 0)
		http_reply_clear(reply);
	free(raw.answer);
	free(text);
	return rc;
}

/* ---- the API's operations ------------------------------------------------------ */

static struct ctl_http *http_of(struct ctl_transport *t)
{
	return (struct ctl_http *)t;
}

/* The errno of an HTTP status that is not 2xx, as the transport's operations return it. */
static int http_errno(long status)
{
	switch (status) {
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 409:
		return -EEXIST;
	case 412:
		return -ESTALE;
	case 503:
		return -EROFS; /* a standby's refusal; else the server is stopping */
	default:
		return status >= 400 && status < 500 ? -EINVAL : -EIO;
	}
}

/*
 * Sends one request. Returns 0 with reply filled for a 2xx answer; otherwise
 * a negative errno with err holding the API's error message and field (or
 * what failed): CTL_EXIT_REFUSED for a 4xx answer and for a write a standby
 * refused (503 naming the active), CTL_EXIT_SERVER for anything else.
 */
static int http_call(struct ctl_http *h, const char *method, const char *path, const json_t *body,
		     struct http_reply *reply, struct ctl_transport_err *err)
{
	const json_t *e;
	const char *msg;
	bool standby;
	char text[512];
	int rc;

	rc = http_request(h, method, path, body, reply, text, sizeof(text));
	if (rc != 0)
		return ctl_transport_err_set(err, rc, CTL_EXIT_SERVER, NULL, "%s", text);
	if (reply->status >= 200 && reply->status < 300)
		return 0;
	e = json_object_get(reply->json, "error");
	if (!(msg = json_string_value(json_object_get(e, "message")))) {
		snprintf(text, sizeof(text), "%s %s: HTTP %ld", method, path, reply->status);
		msg = text;
	}
	/* a director that takes no writes names the active (null when it does not know it) */
	standby = reply->status == 503 && json_object_get(e, "active");
	/* copied before the reply, which holds msg, is cleared */
	rc = ctl_transport_err_set(err, http_errno(reply->status),
				   (reply->status >= 400 && reply->status < 500) || standby
				       ? CTL_EXIT_REFUSED
				       : CTL_EXIT_SERVER,
				   json_string_value(json_object_get(e, "field")), "%s", msg);
	if (reply->status == 401)
		snprintf(err->hint, sizeof(err->hint),
			 "the token comes from --token, FULCRUM_TOKEN or ~/%s",
			 CTL_HTTP_TOKEN_FILE);
	http_reply_clear(reply);
	return rc;
}

/* A request whose answer is an object: *out takes it. */
static int http_object(struct ctl_transport *t, const char *method, const char *path,
		       const json_t *body, json_t **out, int64_t *revision,
		       struct ctl_transport_err *err)
{
	struct http_reply reply;
	int rc = http_call(http_of(t), method, path, body, &reply, err);

	if (rc != 0)
		return rc;
	if (out && !json_is_object(reply.json)) {
		http_reply_clear(&reply);
		return ctl_transport_err_set(err, -EPROTO, CTL_EXIT_SERVER, NULL,
					     "%s %s: the answer holds no JSON object", method,
					     path);
	}
	if (revision)
		*revision = reply.revision;
	if (out) {
		*out = reply.json;
		reply.json = NULL;
	}
	http_reply_clear(&reply);
	return 0;
}

static int http_get(struct ctl_transport *t, const char *path, json_t **out,
		    struct ctl_transport_err *err)
{
	return http_object(t, "GET", path, NULL, out, NULL, err);
}

/* An object's path: services/{id}, reals/{id} or vips/{id}. */
static void http_obj_path(char *buf, size_t len, enum fulcrum_kind kind, int64_t id)
{
	const char *plural = kind == FULCRUM_KIND_VS   ? "services"
			     : kind == FULCRUM_KIND_RS ? "reals"
						       : "vips";

	snprintf(buf, len, "/api/v1/%s/%" PRId64, plural, id);
}

static int http_obj_get(struct ctl_transport *t, enum fulcrum_kind kind, int64_t id, json_t **out,
			struct ctl_transport_err *err)
{
	char path[64];

	http_obj_path(path, sizeof(path), kind, id);
	return http_get(t, path, out, err);
}

static int http_obj_patch(struct ctl_transport *t, enum fulcrum_kind kind, int64_t id,
			  const json_t *body, json_t **out, int64_t *revision,
			  struct ctl_transport_err *err)
{
	char path[64];

	http_obj_path(path, sizeof(path), kind, id);
	return http_object(t, "PATCH", path, body, out, revision, err);
}

static int http_obj_delete(struct ctl_transport *t, enum fulcrum_kind kind, int64_t id,
			   int64_t *revision, struct ctl_transport_err *err)
{
	char path[64];

	http_obj_path(path, sizeof(path), kind, id);
	return http_object(t, "DELETE", path, NULL, NULL, revision, err);
}

static int http_services_list(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err)
{
	return http_get(t, "/api/v1/services", out, err);
}

static int http_service_create(struct ctl_transport *t, const json_t *body, json_t **out,
			       int64_t *revision, struct ctl_transport_err *err)
{
	return http_object(t, "POST", "/api/v1/services", body, out, revision, err);
}

static int http_reals_list(struct ctl_transport *t, int64_t service_id, json_t **out,
			   struct ctl_transport_err *err)
{
	char path[80];

	snprintf(path, sizeof(path), "/api/v1/services/%" PRId64 "/reals", service_id);
	return http_get(t, path, out, err);
}

static int http_real_create(struct ctl_transport *t, int64_t service_id, const json_t *body,
			    json_t **out, int64_t *revision, struct ctl_transport_err *err)
{
	char path[80];

	snprintf(path, sizeof(path), "/api/v1/services/%" PRId64 "/reals", service_id);
	return http_object(t, "POST", path, body, out, revision, err);
}

static int http_vips_list(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err)
{
	return http_get(t, "/api/v1/vips", out, err);
}

static int http_vip_create(struct ctl_transport *t, const json_t *body, json_t **out,
			   int64_t *revision, struct ctl_transport_err *err)
{
	return http_object(t, "POST", "/api/v1/vips", body, out, revision, err);
}

static int http_changes_page(struct ctl_transport *t, int64_t since, json_t **out,
			     struct ctl_transport_err *err)
{
	char path[80];

	snprintf(path, sizeof(path), "/api/v1/changes?since=%" PRId64, since);
	return http_get(t, path, out, err);
}

static int http_status(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err)
{
	return http_get(t, "/api/v1/status", out, err);
}

static void http_transport_free(struct ctl_transport *t)
{
	http_free(http_of(t));
}

/* No token operations: the API makes none, so that only the director's administrator can. */
static int http_cluster_get(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err)
{
	return http_get(t, "/api/v1/cluster", out, err);
}

/* POST path with body {key: flag}. */
static int http_cluster_command(struct ctl_transport *t, const char *path, const char *key,
				bool flag, json_t **out, struct ctl_transport_err *err)
{
	json_t *body = json_pack("{s:b}", key, flag);
	int rc;

	if (!body)
		return ctl_transport_err_set(err, -ENOMEM, CTL_EXIT_SERVER, NULL, "out of memory");
	rc = http_object(t, "POST", path, body, out, NULL, err);
	json_decref(body);
	return rc;
}

static int http_cluster_switchover(struct ctl_transport *t, bool force, json_t **out,
				   struct ctl_transport_err *err)
{
	return http_cluster_command(t, "/api/v1/cluster/switchover", "force", force, out, err);
}

static int http_cluster_maintenance(struct ctl_transport *t, bool on, json_t **out,
				    struct ctl_transport_err *err)
{
	return http_cluster_command(t, "/api/v1/cluster/maintenance", "on", on, out, err);
}

/* The error of a config request's answer that is not 2xx; *out the apply's result when it has one. */
static int http_config_failed(const char *method, long status, const char *answer, size_t len,
			      json_t **out, struct ctl_transport_err *err)
{
	json_t *j = answer ? json_loadb(answer, len, 0, NULL) : NULL;
	const json_t *e = json_object_get(j, "error");
	const char *msg = json_string_value(json_object_get(e, "message"));
	const json_t *errors = json_object_get(j, "errors");
	int rc;

	if (!msg && json_array_size(errors))
		msg = json_string_value(json_array_get(errors, 0));
	rc = ctl_transport_err_set(err, http_errno(status),
				   status >= 400 && status < 500 ? CTL_EXIT_REFUSED
								 : CTL_EXIT_SERVER,
				   json_string_value(json_object_get(e, "field")), "%s config: %s",
				   method, msg ? msg : "refused");
	if (out && json_is_object(j) && json_object_get(j, "created")) {
		*out = j;
		j = NULL;
	}
	json_decref(j);
	return rc;
}

static int http_config_get(struct ctl_transport *t, enum config_format fmt, char **text,
			   size_t *len, int64_t *revision, struct ctl_transport_err *err)
{
	struct http_raw raw = {.accept = fmt == CONFIG_XML ? "application/xml" : "application/json",
			       .max = 4 * (size_t)CONFIG_FILE_MAX};
	char msg[512];
	long status;
	int rc = http_send(http_of(t), "GET", "/api/v1/config", &raw, &status, revision, msg,
			   sizeof(msg));

	if (rc != 0)
		return ctl_transport_err_set(err, rc, CTL_EXIT_SERVER, NULL, "%s", msg);
	if (status != 200) {
		rc = http_config_failed("GET", status, raw.answer, raw.answer_len, NULL, err);
		free(raw.answer);
		return rc;
	}
	*text = raw.answer ? raw.answer : strdup("");
	*len = raw.answer_len;
	return *text ? 0
		     : ctl_transport_err_set(err, -ENOMEM, CTL_EXIT_SERVER, NULL, "out of memory");
}

static int http_config_put(struct ctl_transport *t, const char *text, size_t len, bool dry_run,
			   bool prune, json_t **out, struct ctl_transport_err *err)
{
	struct http_raw raw = {.text = text,
			       .text_len = len,
			       .content_type = config_format_sniff(text, len) == CONFIG_XML
						   ? "application/xml"
						   : "application/json",
			       .accept = "application/json",
			       .max = BODY_MAX};
	char path[64], msg[512];
	int64_t revision;
	long status;
	int rc;

	snprintf(path, sizeof(path), "/api/v1/config?dry_run=%s&prune=%s",
		 dry_run ? "true" : "false", prune ? "true" : "false");
	rc = http_send(http_of(t), "PUT", path, &raw, &status, &revision, msg, sizeof(msg));
	if (rc != 0)
		return ctl_transport_err_set(err, rc, CTL_EXIT_SERVER, NULL, "%s", msg);
	if (status != 200) {
		rc = http_config_failed("PUT", status, raw.answer, raw.answer_len, out, err);
		free(raw.answer);
		return rc;
	}
	*out = raw.answer ? json_loadb(raw.answer, raw.answer_len, 0, NULL) : NULL;
	free(raw.answer);
	return *out ? 0
		    : ctl_transport_err_set(err, -EPROTO, CTL_EXIT_SERVER, NULL,
					    "PUT config: the answer is not JSON");
}

static const struct ctl_transport_ops http_ops = {
    .config_get = http_config_get,
    .config_put = http_config_put,
    .services_list = http_services_list,
    .get = http_obj_get,
    .patch = http_obj_patch,
    .del = http_obj_delete,
    .service_create = http_service_create,
    .reals_list = http_reals_list,
    .real_create = http_real_create,
    .vips_list = http_vips_list,
    .vip_create = http_vip_create,
    .changes_page = http_changes_page,
    .status = http_status,
    .cluster_get = http_cluster_get,
    .cluster_switchover = http_cluster_switchover,
    .cluster_maintenance = http_cluster_maintenance,
    .free = http_transport_free,
};

int ctl_http_open(const char *base_url, const char *token, struct ctl_transport **out, char *err,
		  size_t errlen)
{
	struct ctl_http *h = NULL;
	size_t len = strlen(base_url);

	*out = NULL;
	if (strncasecmp(base_url, "http://", 7) != 0 && strncasecmp(base_url, "https://", 8) != 0) {
		set_err(err, errlen, "--url: '%s' is not an http:// or https:// URL", base_url);
		return -EINVAL;
	}
	if (!*token) {
		set_err(err, errlen, "the token is empty");
		return -EINVAL;
	}
	for (const char *p = token; *p; p++) {
		if (*p <= ' ' || *p == 0x7f) {
			set_err(err, errlen, "the token holds a space or a control character");
			return -EINVAL;
		}
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		set_err(err, errlen, "libcurl failed to start");
		return -ENOMEM;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		goto nomem;
	while (len > 0 && base_url[len - 1] == '/')
		len--;
	h->base = strndup(base_url, len);
	h->curl = curl_easy_init();
	if (!h->base || !h->curl || asprintf(&h->auth, "Authorization: Bearer %s", token) < 0) {
		h->auth = NULL;
		goto nomem;
	}
	h->t.ops = &http_ops;
	*out = &h->t;
	return 0;
nomem:
	http_free(h);
	if (!h)
		curl_global_cleanup();
	set_err(err, errlen, "out of memory");
	return -ENOMEM;
}
