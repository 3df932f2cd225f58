/* fulcrumctl's HTTP transport: the API's operations as requests to fulcrumd, with a bearer token (libcurl). */
#ifndef FULCRUM_CTL_HTTP_H
#define FULCRUM_CTL_HTTP_H

#include "controller/ctl/ctl_transport.h"

#include <stddef.h>

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

/*
 * Makes a transport (ctl_transport.h) to the API at base_url
 * ("http://host:port", http or https, a trailing '/' allowed) that sends
 * token as "Authorization: Bearer". Both strings are copied. Each operation
 * is one request (a few for none), at most 5 s to connect and 30 s in all;
 * redirects are not followed (the token goes only where it was sent). A 4xx
 * answer is CTL_EXIT_REFUSED with the API's message and field (and a hint
 * on where the token comes from for a 401), anything else that is not 2xx,
 * or no answer, CTL_EXIT_SERVER. Writes report the revision of the answer's
 * ETag. It has no token operations: tokens are made on the database.
 *
 * Returns 0 and *out (free it with ctl_transport_free()), or -EINVAL for a
 * URL that is not http(s) or a token with control characters, or -ENOMEM;
 * err says why.
 */
int ctl_http_open(const char *base_url, const char *token, struct ctl_transport **out, char *err,
		  size_t errlen);

#endif
