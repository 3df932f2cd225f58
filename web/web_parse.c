/* What a request's path and headers say, parsed without libmicrohttpd: ids, routes, If-Match, tokens. */
#include "web/web_parse.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

int web_parse_id(const char *s, int64_t *out)
{
	int64_t v = 0;

	if (!s || s[0] < '1' || s[0] > '9')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - (*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

bool web_parse_route(const char *pattern, const char *path, int64_t *id)
{
	char seg[32];

	*id = 0;
	while (*pattern && *path) {
		const char *pend = strchrnul(pattern, '/'), *send = strchrnul(path, '/');
		size_t plen = (size_t)(pend - pattern), slen = (size_t)(send - path);

		if (plen == 4 && strncmp(pattern, "{id}", 4) == 0) {
			if (slen >= sizeof(seg))
				return false;
			memcpy(seg, path, slen);
			seg[slen] = '\0';
			if (web_parse_id(seg, id) != 0)
				return false;
		} else if (plen != slen || strncmp(pattern, path, plen) != 0) {
			return false;
		}
		pattern = *pend ? pend + 1 : pend;
		path = *send ? send + 1 : send;
		if (!*pend != !*send)
			return false;
	}
	return !*pattern && !*path;
}

int web_parse_if_match(const char *h, int64_t cur, bool *any, int64_t *rev)
{
	*any = false;
	*rev = -1;
	if (strcmp(h + strspn(h, " "), "*") == 0) {
		*any = true;
		return 0;
	}
	while (*h) {
		char tag[24];
		size_t len;
		int64_t n;
		bool weak = false, quoted = false;

		h += strspn(h, " ,");
		if (!*h)
			break;
		if (strncmp(h, "W/", 2) == 0) {
			weak = true;
			h += 2;
		}
		if (*h == '"') {
			quoted = true;
			h++;
		}
		len = strcspn(h, quoted ? "\"" : " ,");
		if (len == 0 || len >= sizeof(tag) || (quoted && h[len] != '"'))
			return -EINVAL;
		memcpy(tag, h, len);
		tag[len] = '\0';
		h += len + quoted;
		if (*h && *h != ',' && *h != ' ')
			return -EINVAL;
		if (strcmp(tag, "0") == 0)
			n = 0;
		else if (web_parse_id(tag, &n) != 0)
			return -EINVAL;
		if (!weak && n == cur)
			*rev = n;
		else if (!weak && *rev < 0)
			*rev = n; /* remembered for the 412's message */
	}
	return 0;
}

int web_parse_bearer(const char *h, char *token, size_t size)
{
	size_t len;

	if (strncasecmp(h, "Bearer ", 7) != 0)
		return -ENOENT;
	h += 7;
	h += strspn(h, " ");
	len = strcspn(h, " ");
	if (len == 0 || len >= size || h[len + strspn(h + len, " ")] != '\0')
		return -EINVAL;
	memcpy(token, h, len);
	token[len] = '\0';
	return 0;
}

bool web_parse_is_type(const char *ct, const char *type)
{
	size_t n = strlen(type);

	if (!ct || strncasecmp(ct, type, n) != 0)
		return false;
	ct += n;
	ct += strspn(ct, " \t");
	return *ct == '\0' || *ct == ';';
}
