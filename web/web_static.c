/* Files over HTTP: the embedded OpenAPI document, and the web page's files from web_root. */
#include "web/web-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_NAME_MAX 255      /* bytes of a file's path under web_root */
#define STATIC_SIZE_MAX 33554432 /* bytes of one file */

static const struct {
	const char *ext;
	const char *type;
} static_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

/* The page's own rules: its files only, never framed. */
static const char static_csp[] = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
				 "form-action 'self'; object-src 'none'";

static const char *static_type(const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < sizeof(static_types) / sizeof(static_types[0]); i++) {
		size_t elen = strlen(static_types[i].ext);

		if (len > elen && strcmp(name + len - elen, static_types[i].ext) == 0)
			return static_types[i].type;
	}
	return "application/octet-stream";
}

/*
 * A name under web_root: segments of [A-Za-z0-9._-], none empty and none
 * starting with a dot (no "..", no hidden files), so no path leaves the folder.
 */
static bool static_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > STATIC_NAME_MAX)
		return false;
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") !=
	    len)
		return false;
	for (const char *seg = name; *seg;) {
		size_t slen = strcspn(seg, "/");

		if (slen == 0 || seg[0] == '.')
			return false;
		seg += slen;
		if (*seg == '/' && *++seg == '\0')
			return false; /* a trailing slash: a folder */
	}
	return true;
}

static enum MHD_Result static_not_found(struct web_req *r)
{
	return web_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no such page: %.200s",
			       r->url);
}

/* Serves web_root/name: regular files only, never a listing. */
static enum MHD_Result static_serve(struct web_req *r, const char *name)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	const char *type;
	struct stat st;
	int dir, fd;

	if (!static_name_ok(name))
		return static_not_found(r);
	dir = open(r->w->web_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return static_not_found(r);
	/* O_NONBLOCK: a FIFO put there must not block the loop; fstat refuses it next */
	fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	close(dir);
	if (fd < 0)
		return static_not_found(r);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_SIZE_MAX) {
		close(fd);
		return static_not_found(r);
	}
	resp = MHD_create_response_from_fd((size_t)st.st_size, fd); /* MHD closes fd */
	if (!resp) {
		close(fd);
		return web_reply_json(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	}
	type = static_type(name);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (strncmp(type, "text/html", 9) == 0) {
		MHD_add_response_header(resp, "Content-Security-Policy", static_csp);
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
		MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	}
	ret = web_reply_queue(r, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result web_static_index(struct web_req *r)
{
	return static_serve(r, "index.html");
}

enum MHD_Result web_static_file(struct web_req *r)
{
	return static_serve(r, r->url + strlen("/static/"));
}

enum MHD_Result web_static_openapi(struct web_req *r)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    web_openapi_json_len, (void *)web_openapi_json, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return web_reply_json(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = web_reply_queue(r, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}
