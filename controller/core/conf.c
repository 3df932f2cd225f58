/* fulcrumd's settings: defaults, the config file, and command-line overrides. */
#include "controller/core/conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
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
    {"metrics_allow", CONF_ADDR, "", STR(metrics_allow)},
    {"reconcile_interval", CONF_ULONG, "5", ULONG(reconcile_interval, 0, 3600)},
    {"ipvs_own_table", CONF_BOOL, "no", offsetof(struct conf, ipvs_own_table), 0, 0, 0},
    {"agentx", CONF_STRING, "/var/agentx/master", STR(agentx)},
    {"ha_peer", CONF_PEER, "", STR(ha_peer)},
    {"ha_peer2", CONF_PEER, "", STR(ha_peer2)},
    {"ha_bind", CONF_ADDR, "", STR(ha_bind)},
    {"ha_bind2", CONF_ADDR, "", STR(ha_bind2)},
    {"ha_port", CONF_ULONG, "694", ULONG(ha_port, 1, 65535)},
    {"ha_cluster", CONF_NAME, "fulcrum", STR(ha_cluster)},
    {"ha_priority", CONF_ULONG, "100", ULONG(ha_priority, 0, 255)},
    {"ha_keyfile", CONF_STRING, SYSCONFDIR "/fulcrum/authkeys", STR(ha_keyfile)},
    {"ha_interval", CONF_ULONG, "50", ULONG(ha_interval, 10, 60000)},
    {"ha_deadtime", CONF_ULONG, "300", ULONG(ha_deadtime, 30, 600000)},
    {"ha_initdead", CONF_ULONG, "1000", ULONG(ha_initdead, 30, 3600000)},
    {"ha_repair_timeout", CONF_ULONG, "3000", ULONG(ha_repair_timeout, 0, 3600000)},
    {"ha_loop_timeout", CONF_ULONG, "1000", ULONG(ha_loop_timeout, 10, 600000)},
    {"ha_tiebreaker", CONF_ADDRS, "", STR(ha_tiebreaker)},
    {"ha_vip_lifetime", CONF_ULONG, "3", ULONG(ha_vip_lifetime, 0, 86400)},
    {"ha_announce_count", CONF_ULONG, "3", ULONG(ha_announce_count, 0, 100)},
    {"ha_announce_interval", CONF_ULONG, "200", ULONG(ha_announce_interval, 10, 10000)},
    {"ha_sync_interface", CONF_STRING, "", STR(ha_sync_interface)},
    {"ha_sync_id", CONF_ULONG, "0", ULONG(ha_sync_id, 0, 255)},
    {"ha_realtime", CONF_BOOL, "yes", offsetof(struct conf, ha_realtime), 0, 0, 0},
    {"ha_standalone_vips", CONF_BOOL, "yes", offsetof(struct conf, ha_standalone_vips), 0, 0, 0},
    {"repl_mode", CONF_REPL_MODE, "sync", offsetof(struct conf, repl_mode), 0, 0, 0},
    {"repl_sync_timeout", CONF_ULONG, "500", ULONG(repl_sync_timeout, 10, 60000)},
    /* replication: the change log's retention */
    {"repl_log_retention", CONF_ULONG, "10000", ULONG(repl_log_retention, 0, 100000000)},
    {"repl_port", CONF_ULONG, "7694", ULONG(repl_port, 1, 65535)},
    {"repl_peer_port", CONF_ULONG, "0", ULONG(repl_peer_port, 0, 65535)},
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

const struct conf_setting *conf_settings(size_t *n)
{
	*n = NSETTINGS;
	return settings;
}

const char *conf_repl_mode_name(enum conf_repl_mode mode)
{
	return mode == CONF_REPL_ASYNC ? "async" : "sync";
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

int conf_addr_parse(const char *s, struct sockaddr_storage *out, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		*len = sizeof(*in4);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

int conf_peer_parse(const char *s, unsigned port, struct sockaddr_storage *out, socklen_t *len,
		    char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *h = s, *p = NULL, *colon = strchr(s, ':');
	size_t hlen = strlen(s);
	unsigned long v = port;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] != '\0' && close[1] != ':'))
			goto bad;
		h = s + 1;
		hlen = (size_t)(close - h);
		p = close[1] ? close + 2 : NULL;
	} else if (colon && !strchr(colon + 1, ':')) {
		hlen = (size_t)(colon - s); /* one colon: IPv4:PORT; more: a bare IPv6 address */
		p = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	if (p) {
		if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 5)
			goto bad;
		v = strtoul(p, NULL, 10);
	}
	if (v < 1 || v > 65535)
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (conf_addr_parse(host, out, len) != 0 || (s[0] == '[' && out->ss_family != AF_INET6))
		goto bad;
	if (out->ss_family == AF_INET)
		((struct sockaddr_in *)out)->sin_port = htons((uint16_t)v);
	else
		((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)v);
	return 0;
bad:
	if (err)
		snprintf(err, errlen,
			 "'%s' is not ADDR, ADDR:PORT or [V6]:PORT (numeric: 192.0.2.2, "
			 "192.0.2.2:694, 2001:db8::2, [2001:db8::2]:694; port 1..65535)",
			 s);
	return -EINVAL;
}

/* Heartbeats carry names as printable ASCII without spaces, so logs and the MIB show them as is. */
static bool conf_name_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/* The typed values of the HA settings: validated whole, so the field never holds half a list. */
static int conf_set_ha(const struct conf_setting *s, char *field, const char *value, char *err,
		       size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char why[256];

	if (strlen(value) >= s->size) {
		snprintf(err, errlen, "%s: longer than %zu characters", s->name, s->size - 1);
		return -EINVAL;
	}
	if (s->type == CONF_PEER && *value &&
	    conf_peer_parse(value, 694, &ss, &len, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", s->name, why);
		return -EINVAL;
	}
	if (s->type == CONF_ADDR && *value && conf_addr_parse(value, &ss, &len) != 0) {
		snprintf(err, errlen, "%s: '%s' is not a numeric IPv4 or IPv6 address", s->name,
			 value);
		return -EINVAL;
	}
	if (s->type == CONF_ADDRS) {
		char copy[512], *save = NULL;

		snprintf(copy, sizeof(copy), "%s", value);
		for (char *a = strtok_r(copy, " \t", &save); a; a = strtok_r(NULL, " \t", &save)) {
			if (conf_addr_parse(a, &ss, &len) != 0) {
				snprintf(
				    err, errlen,
				    "%s: '%s' is not a numeric IPv4 or IPv6 address (list them "
				    "separated by spaces)",
				    s->name, a);
				return -EINVAL;
			}
		}
	}
	if (s->type == CONF_NAME && !conf_name_valid(value)) {
		snprintf(err, errlen,
			 "%s: '%s' must be 1 to %zu characters of printable ASCII without spaces",
			 s->name, value, s->size - 1);
		return -EINVAL;
	}
	memcpy(field, value, strlen(value) + 1);
	return 0;
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
	case CONF_REPL_MODE:
		if (strcmp(value, "sync") != 0 && strcmp(value, "async") != 0) {
			snprintf(err, errlen,
				 "%s: '%s' is not sync (answer after the standby committed) or "
				 "async (answer after the local commit)",
				 name, value);
			return -EINVAL;
		}
		*(enum conf_repl_mode *)(void *)field =
		    strcmp(value, "async") == 0 ? CONF_REPL_ASYNC : CONF_REPL_SYNC;
		return 0;
	case CONF_PEER:
	case CONF_ADDR:
	case CONF_ADDRS:
	case CONF_NAME:
		return conf_set_ha(s, field, value, err, errlen);
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

#define CONF_LINE_MAX 8190 /* characters of one line, its newline aside */

int conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	char *line = NULL, why[512];
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	int rc = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		char *name, *value, *eq, *hash;

		lineno++;
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if ((size_t)n > CONF_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line longer than %d characters", path, lineno,
				 CONF_LINE_MAX);
			rc = -EINVAL;
			goto out;
		}
		/* a NUL would end the line early: what follows it would be dropped unseen */
		if (strlen(line) != (size_t)n) {
			snprintf(err, errlen, "%s:%u: holds a NUL byte", path, lineno);
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
	/* getline() stops on an error as at the end: only the end is the end */
	if (!feof(f)) {
		rc = errno == ENOMEM ? -ENOMEM : -EIO;
		snprintf(err, errlen, "%s: %s", path,
			 rc == -ENOMEM ? "out of memory" : "read error");
	}
out:
	free(line);
	fclose(f);
	return rc;
}

/* Whether name is one Linux accepts for an interface (dev_valid_name()). */
static bool conf_ifname_valid(const char *name)
{
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) ||
		    !isprint((unsigned char)*p))
			return false;
	return true;
}

/* Compares a path's peer with its bind address: both given, they must be of one family. */
static int conf_ha_path_check(const char *peer_name, const char *peer, const char *bind_name,
			      const char *bind, unsigned port, char *err, size_t errlen)
{
	struct sockaddr_storage p, b;
	socklen_t plen, blen;

	if (!*peer || !*bind)
		return 0;
	if (conf_peer_parse(peer, port, &p, &plen, NULL, 0) != 0 ||
	    conf_addr_parse(bind, &b, &blen) != 0)
		return 0; /* conf_set refused these already; a struct filled by hand is the caller's */
	if (p.ss_family == b.ss_family)
		return 0;
	snprintf(err, errlen, "%s (%s) is %s but %s (%s) is %s: give both of one family", bind_name,
		 bind, b.ss_family == AF_INET ? "IPv4" : "IPv6", peer_name, peer,
		 p.ss_family == AF_INET ? "IPv4" : "IPv6");
	return -EINVAL;
}

int conf_ha_check(const struct conf *c, char *err, size_t errlen)
{
	struct sockaddr_storage a, b;
	socklen_t alen, blen;
	unsigned port = (unsigned)c->ha_port;

	if (c->ha_deadtime < 3 * c->ha_interval) {
		snprintf(err, errlen,
			 "ha_deadtime (%lu ms) must be at least 3 times ha_interval (%lu ms), or "
			 "one or two lost heartbeats would look like a dead peer",
			 c->ha_deadtime, c->ha_interval);
		return -EINVAL;
	}
	if (c->ha_initdead < c->ha_deadtime) {
		snprintf(err, errlen,
			 "ha_initdead (%lu ms) must be at least ha_deadtime (%lu ms): a starting "
			 "node listens at least as long as a running one waits",
			 c->ha_initdead, c->ha_deadtime);
		return -EINVAL;
	}
	if (*c->ha_peer2 && !*c->ha_peer) {
		snprintf(err, errlen,
			 "ha_peer2 is set but ha_peer is not: ha_peer2 is a second path to the "
			 "peer ha_peer names");
		return -EINVAL;
	}
	if (*c->ha_bind2 && !*c->ha_peer2) {
		snprintf(err, errlen,
			 "ha_bind2 is set but ha_peer2 is not: ha_bind2 is the local end of the "
			 "second path");
		return -EINVAL;
	}
	if (conf_ha_path_check("ha_peer", c->ha_peer, "ha_bind", c->ha_bind, port, err, errlen) !=
		0 ||
	    conf_ha_path_check("ha_peer2", c->ha_peer2, "ha_bind2", c->ha_bind2, port, err,
			       errlen) != 0)
		return -EINVAL;
	if (*c->ha_peer2 && conf_peer_parse(c->ha_peer, port, &a, &alen, NULL, 0) == 0 &&
	    conf_peer_parse(c->ha_peer2, port, &b, &blen, NULL, 0) == 0 && alen == blen &&
	    memcmp(&a, &b, alen) == 0) {
		snprintf(err, errlen,
			 "ha_peer2 (%s) is the same as ha_peer (%s): give the peer's address on "
			 "another link, or leave ha_peer2 empty",
			 c->ha_peer2, c->ha_peer);
		return -EINVAL;
	}
	if (*c->ha_peer && *c->node_name && !conf_name_valid(c->node_name)) {
		snprintf(err, errlen,
			 "node_name: '%s' cannot go in a heartbeat: use 1 to 64 characters of "
			 "printable ASCII without spaces",
			 c->node_name);
		return -EINVAL;
	}
	if (*c->ha_sync_interface && !conf_ifname_valid(c->ha_sync_interface)) {
		snprintf(err, errlen, "ha_sync_interface: '%s' is not an interface name",
			 c->ha_sync_interface);
		return -EINVAL;
	}
	return 0;
}
