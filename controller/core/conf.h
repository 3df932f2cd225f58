/* fulcrumd's settings: defaults, the config file, and command-line overrides. */
#ifndef FULCRUM_CONF_H
#define FULCRUM_CONF_H

#include "controller/lib/log.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define CONF_DEFAULT_PATH SYSCONFDIR "/fulcrum/fulcrumd.conf"

struct conf {
	char db_path[4096];
	enum log_level log_level;
	char log_file[4096];         /* empty: stderr in the foreground, syslog as a daemon */
	char node_name[65];          /* empty: the host name */
	char pid_file[4096];         /* written only when running as a daemon */
	char http[128];              /* the API's ADDR:PORT ("[v6]:port" for IPv6); empty: no API */
	char http_tls_cert[4096];    /* PEM certificate chain; TLS when both cert and key are set */
	char http_tls_key[4096];     /* PEM private key, readable by its owner only */
	unsigned long http_max_body; /* bytes of a request body, at most */
	unsigned long http_timeout;  /* seconds a client may idle or take to send a request */
	char web_root[4096];         /* the web page's files; empty: those installed with Fulcrum */
	unsigned long
	    reconcile_interval; /* seconds between full passes (drift, counters); 0: none */
	bool ipvs_own_table;    /* delete kernel services Fulcrum does not manage */
	char agentx[4096];      /* the SNMP master's AgentX socket; empty: no SNMP subagent */
};

enum conf_type {
	CONF_STRING,
	CONF_LOG_LEVEL,
	CONF_ULONG,  /* decimal digits, within min..max */
	CONF_LISTEN, /* ADDR:PORT, [ADDR]:PORT for IPv6, or empty */
	CONF_BOOL,   /* yes or no (true/false, on/off, 1/0) */
};

/* One setting: its name in the file, its type, its default, where it goes. */
struct conf_setting {
	const char *name;
	enum conf_type type;
	const char *def;        /* default, in the file's syntax ("" for empty) */
	size_t offset;          /* into struct conf */
	size_t size;            /* of the field, for strings */
	unsigned long min, max; /* CONF_ULONG only */
};

/* Fills c with every setting's default. */
void conf_defaults(struct conf *c);

/*
 * Sets one setting from text, as the file or a flag gives it. Returns 0, or
 * -ENOENT (no such setting) / -EINVAL (bad value) with err naming the setting
 * and the reason. c is unchanged on error.
 */
int conf_set(struct conf *c, const char *name, const char *value, char *err, size_t errlen);

/*
 * Reads the config file at path into c, over what c holds. Lines are
 * "name = value", '#' starts a comment. Returns 0; -ENOENT when the file does
 * not exist; or another negative errno with err saying "path:line: reason".
 * On error c may hold the settings read before the bad line.
 */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);

/*
 * Parses a listening address: "192.0.2.1:8080" or "[2001:db8::1]:8080", numeric
 * only, port 0..65535 (0: any free port). Fills *out and *len and returns 0, or
 * returns -EINVAL with err (may be NULL) saying what is wrong.
 */
int conf_listen_parse(const char *s, struct sockaddr_storage *out, socklen_t *len, char *err,
		      size_t errlen);

/* The table of every setting, for documentation checks; *n gets its length. */
const struct conf_setting *conf_settings(size_t *n);

#endif
