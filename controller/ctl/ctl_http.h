/* fulcrumctl's HTTP client: one request at a time to fulcrumd's API, with a bearer token (libcurl). */
#ifndef FULCRUM_CTL_HTTP_H
#define FULCRUM_CTL_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_http;

/* Where the token is kept, under the user's home folder. */
#define CTL_HTTP_TOKEN_FILE ".config/fulcrum/token"

/*
 * Finds the API token and copies it to buf (len bytes): given (--token) when
 * not NULL, else $FULCRUM_TOKEN when set, else the first line of
 * ~/CTL_HTTP_TOKEN_FILE, trimmed. The file must be a regular file of this
 * user that no one else may read or write (0600 or 0400), as ssh demands of
 * its keys. Returns 0; -ENOENT when there is no token anywhere; -EACCES when
 * the file is refused; another negative errno when it cannot be read. msg
 * says why, in words, on every error.
 */
int ctl_http_token_find(const char *given, char *buf, size_t len, char *msg, size_t msglen);

/* One answer from the API. */
struct ctl_http_reply {
	long status;      /* HTTP status */
	json_t *json;     /* the body parsed, or NULL when it was empty; owned by the reply */
	int64_t revision; /* from the ETag header, or -1 when there was none */
};

/*
 * Makes a client for the API at base_url ("http://host:port", http or https,
 * a trailing '/' allowed) that sends token as "Authorization: Bearer". Both
 * strings are copied. Returns 0 and *out (free it with ctl_http_free()), or
 * -EINVAL for a URL that is not http(s) or a token with control characters,
 * or -ENOMEM; err says why.
 */
int ctl_http_open(const char *base_url, const char *token, struct ctl_http **out, char *err,
		  size_t errlen);

/* Frees h; accepts NULL. */
void ctl_http_free(struct ctl_http *h);

/*
 * Sends method (GET, POST, PATCH, DELETE) to path ("/api/v1/services"; it
 * must start with '/' and be URL-safe already) with body as JSON (NULL: no
 * body) and waits for the answer: at most 5 s to connect, 30 s in all.
 * Redirects are not followed (the token goes only where it was sent).
 *
 * Returns 0 when the server answered, whatever the status, with reply filled
 * (release it with ctl_http_reply_clear()); -EIO when it could not be reached
 * or the transfer failed, -EPROTO when the body is not JSON, -E2BIG when it
 * is larger than 16 MiB; err says why in words, reply is cleared.
 */
int ctl_http_request(struct ctl_http *h, const char *method, const char *path, const json_t *body,
		     struct ctl_http_reply *reply, char *err, size_t errlen);

/* Releases what reply holds and clears it; accepts an already cleared reply. */
void ctl_http_reply_clear(struct ctl_http_reply *reply);

#endif
