/* What a request's path and headers say, parsed without libmicrohttpd: ids, routes, If-Match, tokens. */
#ifndef FULCRUM_WEB_PARSE_H
#define FULCRUM_WEB_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses a positive decimal id: digits only, no leading zero, at most INT64_MAX. 0 or -EINVAL. */
int web_parse_id(const char *s, int64_t *out);

/*
 * Matches path (after /api/v1/) against a route's pattern, segment by
 * segment, "{id}" taking one id segment (web_parse_id()'s). True with *id
 * that id (0 when the pattern has none).
 */
bool web_parse_route(const char *pattern, const char *path, int64_t *id);

/*
 * Parses an If-Match header h: "*" (sets *any), or a list of entity tags
 * "N" (N also bare, 0 or an id), separated by commas and spaces; a weak tag
 * (W/"N") never matches. *rev gets cur when a strong tag names it, else the
 * first strong tag (for the 412's message), else -1. Returns 0, or -EINVAL
 * when h is not such a list (*any and *rev then as far as it was read).
 */
int web_parse_if_match(const char *h, int64_t cur, bool *any, int64_t *rev);

/*
 * Takes the token of an Authorization header h: "Bearer" (any case), spaces,
 * the token, spaces only after it. Returns 0 with the token in token (size
 * bytes); -ENOENT when h is no Bearer header; -EINVAL when it is one with no
 * token, a space inside it, or one too long for size.
 */
int web_parse_bearer(const char *h, char *token, size_t size);

/* Whether Content-Type ct (may be NULL) is type, any case, parameters after ';' aside. */
bool web_parse_is_type(const char *ct, const char *type);

#endif
