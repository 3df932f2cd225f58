/* Fuzz target: what the API reads from a request's path and headers (web/web_parse.c). */
#include "tests/fuzz/fuzz.h"
#include "web/web_parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * The input, as text (NUL-terminated, a NUL inside ends it as a header's
 * would), is each parser's: an id, a path after /api/v1/, If-Match,
 * Authorization, Content-Type. Its bytes also build headers the parsers
 * must read as written.
 */

/* The API's routes (web_req.c's table), as the paths they match. */
static const char *const fuzz_routes[] = {
    "services",
    "services/{id}",
    "services/{id}/reals",
    "services/{id}/reset-counters",
    "reals/{id}",
    "vips",
    "vips/{id}",
    "status",
    "cluster",
    "cluster/switchover",
    "cluster/maintenance",
    "changes",
    "config",
    "events",
    "openapi.json",
};

static const int64_t fuzz_revisions[] = {0, 1, 7, 42, INT64_MAX};

static void fuzz_fail(const char *why, const char *text)
{
	fprintf(stderr, "fuzz_web_req: %s\n  input: '%s'\n", why, text);
	abort();
}

/* Whether s is an id as the API writes one: 1..INT64_MAX in decimal, no leading zero. */
static bool fuzz_canonical_id(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || s[n] || s[0] == '0' || n > 19)
		return false;
	return n < 19 || strcmp(s, "9223372036854775807") <= 0;
}

static void fuzz_id(const char *s)
{
	char back[24];
	int64_t id = -1;
	int rc = web_parse_id(s, &id);

	if (rc != 0 && rc != -EINVAL)
		fuzz_fail("web_parse_id returned neither 0 nor -EINVAL", s);
	if ((rc == 0) != fuzz_canonical_id(s))
		fuzz_fail("web_parse_id takes what is no id, or refuses one", s);
	snprintf(back, sizeof(back), "%" PRId64, id);
	if (rc == 0 && strcmp(back, s) != 0)
		fuzz_fail("web_parse_id read another number", s);
}

/* pattern with "{id}" written as id, in buf. */
static void fuzz_route_path(const char *pattern, int64_t id, char *buf, size_t len)
{
	const char *at = strstr(pattern, "{id}");

	if (!at)
		snprintf(buf, len, "%s", pattern);
	else
		snprintf(buf, len, "%.*s%" PRId64 "%s", (int)(at - pattern), pattern, id, at + 4);
}

static void fuzz_route(const char *path, int64_t built_id)
{
	for (size_t i = 0; i < sizeof(fuzz_routes) / sizeof(fuzz_routes[0]); i++) {
		char again[128];
		int64_t id = -1;

		if (web_parse_route(fuzz_routes[i], path, &id)) {
			fuzz_route_path(fuzz_routes[i], id, again, sizeof(again));
			if (strcmp(again, path) != 0 ||
			    (id == 0) != !strstr(fuzz_routes[i], "{id}"))
				fuzz_fail("a route matched a path it does not name", path);
		}
		/* and the path the route names with an id matches, with that id */
		fuzz_route_path(fuzz_routes[i], built_id, again, sizeof(again));
		if (!web_parse_route(fuzz_routes[i], again, &id) ||
		    (strstr(fuzz_routes[i], "{id}") && id != built_id))
			fuzz_fail("a route does not match its own path", again);
	}
}

static void fuzz_if_match(const char *h)
{
	for (size_t i = 0; i < sizeof(fuzz_revisions) / sizeof(fuzz_revisions[0]); i++) {
		char text[24];
		int64_t rev = -2;
		bool any = true;
		int rc = web_parse_if_match(h, fuzz_revisions[i], &any, &rev);

		if (rc != 0 && rc != -EINVAL)
			fuzz_fail("web_parse_if_match returned neither 0 nor -EINVAL", h);
		if (rc == 0 && any && (strcmp(h + strspn(h, " "), "*") != 0 || rev != -1))
			fuzz_fail("If-Match taken as * when it is not", h);
		snprintf(text, sizeof(text), "%" PRId64, rev);
		if (rc == 0 && rev != -1 && (rev < 0 || !strstr(h, text)))
			fuzz_fail("If-Match gave a revision it does not hold", h);
	}
}

/*
 * An If-Match of up to four tags built from data: each weak or not, quoted
 * or not, naming cur or another revision; the parser finds what they say.
 */
static void fuzz_if_match_built(const uint8_t *data, size_t size)
{
	const int64_t cur = 42;
	char h[256] = "";
	int64_t want = -1, rev;
	size_t used = 0;
	bool any;

	for (size_t i = 0; i < size && i < 4; i++) {
		bool weak = data[i] & 1, quoted = data[i] & 2;
		int64_t n = (data[i] & 4) ? cur : (int64_t)(data[i] >> 3);
		int w = snprintf(h + used, sizeof(h) - used, "%s%s%s%" PRId64 "%s", i ? ", " : "",
				 weak ? "W/" : "", quoted ? "\"" : "", n, quoted ? "\"" : "");

		used += (size_t)w;
		if (weak && !quoted)
			return; /* W/7 is no entity tag: the parser may refuse it */
		if (!weak && (n == cur || want < 0))
			want = n == cur ? cur : (want < 0 ? n : want);
	}
	if (web_parse_if_match(h, cur, &any, &rev) != 0 || any || rev != want)
		fuzz_fail("a well-formed If-Match read wrong", h);
}

static void fuzz_bearer(const char *h, const uint8_t *data, size_t size)
{
	char token[65], built[256];
	size_t n = 0, start, tlen;
	int rc = web_parse_bearer(h, token, sizeof(token));

	if (rc != 0 && rc != -EINVAL && rc != -ENOENT)
		fuzz_fail("web_parse_bearer returned neither 0, -EINVAL nor -ENOENT", h);
	if (rc != -ENOENT && strncasecmp(h, "Bearer ", 7) != 0)
		fuzz_fail("a header that is no Bearer one taken for one", h);
	if (rc == 0 && (!token[0] || strchr(token, ' ') || !strstr(h, token)))
		fuzz_fail("a token that is not the header's", h);
	/* "bEaReR", spaces, a token of data's bytes that are neither space nor NUL, spaces */
	n = (size_t)snprintf(built, sizeof(built), "bEaReR %.*s", (int)(size % 3), "   ");
	for (size_t i = 0; i < size && n < 64 + 10; i++)
		if (data[i] != ' ' && data[i] != '\0')
			built[n++] = (char)data[i];
	built[n] = '\0';
	start = strlen("bEaReR ") + size % 3;
	if ((tlen = n - start) == 0)
		return; /* no token */
	snprintf(built + n, sizeof(built) - n, "%s", size % 2 ? "  " : "");
	rc = web_parse_bearer(built, token, sizeof(token));
	if (rc == 0 && (strlen(token) != tlen || memcmp(built + start, token, tlen) != 0))
		fuzz_fail("a Bearer header read wrong", built);
	if (rc != 0 && (rc != -EINVAL || tlen < sizeof(token)))
		fuzz_fail("a Bearer token that fits refused", built);
}

static void fuzz_type(const char *ct)
{
	char built[300];

	if (web_parse_is_type(ct, "application/json") &&
	    strncasecmp(ct, "application/json", 16) != 0)
		fuzz_fail("a Content-Type taken for another", ct);
	snprintf(built, sizeof(built), "Application/JSON ;%.200s", ct);
	if (!web_parse_is_type(built, "application/json"))
		fuzz_fail("a Content-Type with parameters refused", built);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	uint64_t seed = 1;
	int64_t id;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size && i < 8; i++)
		seed = seed * 251 + data[i];
	id = (int64_t)(seed & INT64_MAX);
	fuzz_id(text);
	fuzz_route(text, id ? id : 1);
	fuzz_if_match(text);
	fuzz_if_match_built(data, size);
	fuzz_bearer(text, data, size);
	fuzz_type(text);
	free(text);
	return 0;
}
