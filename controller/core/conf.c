/* fulcrumd's settings: defaults, the config file, and command-line overrides. */
#include "controller/core/conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR(field)             offsetof(struct conf, field), sizeof(((struct conf *)0)->field), 0, 0
#define ULONG(field, min, max) offsetof(struct conf, field), 0, min, max

static const struct conf_setting settings[] = {
    {"db", CONF_STRING, LOCALSTATEDIR "/lib/fulcrum/fulcrum.db", STR(db_path)},
    {"log_level", CONF_LOG_LEVEL, "info", offsetof(struct conf, log_level), 0, 0, 0},
    {"log_file", CONF_STRING, "", STR(log_file)},
    {"node_name", CONF_STRING, "", STR(node_name)},
    {"pid_file", CONF_STRING, RUNSTATEDIR "/fulcrumd.pid", STR(pid_file)},
    {"http", CONF_LISTEN, "127.0.0.1:8080", STR(http)},
    {"http_tls_cert", CONF_STRING, "", STR(http_tls_cert)},
    {"http_tls_key", CONF_STRING, "", STR(http_tls_key)},
    {"http_max_body", CONF_ULONG, "65536", ULONG(http_max_body, 1024, 16777216)},
    {"http_timeout", CONF_ULONG, "10", ULONG(http_timeout, 1, 3600)},
    {"web_root", CONF_STRING, "", STR(web_root)},
    {"reconcile_interval", CONF_ULONG, "5", ULONG(reconcile_interval, 0, 3600)},
    {"ipvs_own_table", CONF_BOOL, "no", offsetof(struct conf, ipvs_own_table), 0, 0, 0},
    {"agentx", CONF_STRING, "/var/agentx/master", STR(agentx)},
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

const struct conf_setting *conf_settings(size_t *n)
{
	*n = NSETTINGS;
	return settings;
}

static const struct conf_setting *conf_find(const char *name)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

int conf_listen_parse(const char *s, struct sockaddr_storage *out, socklen_t *len, char *err,
		      size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *port, *h = s;
	size_t hlen;
	unsigned long p;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			goto bad;
		h = s + 1;
		hlen = (size_t)(close - h);
		port = close + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			goto bad; /* none, or a bare IPv6 address */
		hlen = (size_t)(colon - s);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host) || !*port ||
	    strspn(port, "0123456789") != strlen(port) || strlen(port) > 5)
		goto bad;
	p = strtoul(port, NULL, 10);
	if (p > 65535)
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(out, 0, sizeof(*out));
	if (s[0] != '[') {
		struct sockaddr_in *in4 = (struct sockaddr_in *)out;

		if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
			goto bad;
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		*len = sizeof(*in4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			goto bad;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*in6);
	}
	return 0;
bad:
	if (err)
		snprintf(err, errlen, "'%s' is not ADDR:PORT (numeric: 127.0.0.1:8080, [::1]:8080)",
			 s);
	return -EINVAL;
}

int conf_set(struct conf *c, const char *name, const char *value, char *err, size_t errlen)
{
	const struct conf_setting *s = conf_find(name);
	char *field;

	if (!s) {
		snprintf(err, errlen, "unknown setting '%s'", name);
		return -ENOENT;
	}
	field = (char *)c + s->offset;
	switch (s->type) {
	case CONF_STRING:
		if (strlen(value) >= s->size) {
			snprintf(err, errlen, "%s: longer than %zu characters", name, s->size - 1);
			return -EINVAL;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case CONF_LOG_LEVEL:
		if (log_level_parse(value, (enum log_level *)(void *)field) != 0) {
			snprintf(err, errlen,
				 "%s: '%s' is not one of error, warning, notice, info, debug", name,
				 value);
			return -EINVAL;
		}
		return 0;
	case CONF_ULONG: {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(value, &end, 10);
		if (!*value || strspn(value, "0123456789") != strlen(value) || errno != 0 ||
		    v < s->min || v > s->max) {
			snprintf(err, errlen, "%s: '%s' is not a number in %lu..%lu", name, value,
				 s->min, s->max);
			return -EINVAL;
		}
		*(unsigned long *)(void *)field = v;
		return 0;
	}
	case CONF_BOOL: {
		static const char *const yes[] = {"yes", "true", "on", "1"};
		static const char *const no[] = {"no", "false", "off", "0"};

		for (size_t i = 0; i < 4; i++) {
			if (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0) {
				*(bool *)(void *)field = strcmp(value, yes[i]) == 0;
				return 0;
			}
		}
		snprintf(err, errlen, "%s: '%s' is not yes or no", name, value);
		return -EINVAL;
	}
	case CONF_LISTEN: {
		struct sockaddr_storage ss;
		socklen_t len;
		char why[200];

		if (strlen(value) >= s->size) {
			snprintf(err, errlen, "%s: longer than %zu characters", name, s->size - 1);
			return -EINVAL;
		}
		if (*value && conf_listen_parse(value, &ss, &len, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s: %s", name, why);
			return -EINVAL;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	}
	}
	snprintf(err, errlen, "%s: unknown type", name);
	return -EINVAL;
}

void conf_defaults(struct conf *c)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NSETTINGS; i++) {
		int rc = conf_set(c, settings[i].name, settings[i].def, err, sizeof(err));

		(void)rc;
	}
}

static char *conf_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	char line[8192], why[512];
	unsigned lineno = 0;
	int rc = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		char *name, *value, *eq, *hash;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line longer than %zu characters", path,
				 lineno, sizeof(line) - 2);
			rc = -EINVAL;
			goto out;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		name = conf_trim(line);
		if (*name == '\0')
			continue;
		eq = strchr(name, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'name = value', got '%s'", path,
				 lineno, name);
			rc = -EINVAL;
			goto out;
		}
		*eq = '\0';
		value = conf_trim(eq + 1);
		name = conf_trim(name);
		rc = conf_set(c, name, value, why, sizeof(why));
		if (rc != 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			rc = -EINVAL;
			goto out;
		}
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
out:
	fclose(f);
	return rc;
}
