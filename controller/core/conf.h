/* fulcrumd's settings: defaults, the config file, and command-line overrides. */
#ifndef FULCRUM_CONF_H
#define FULCRUM_CONF_H

#include "controller/lib/log.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define CONF_DEFAULT_PATH SYSCONFDIR "/fulcrum/fulcrumd.conf"

/* When an API write or SNMP SET is answered, on an active director with a standby (docs/ha.md). */
enum conf_repl_mode {
	CONF_REPL_SYNC = 0, /* after the standby committed it too, or the active went on alone */
	CONF_REPL_ASYNC,    /* after the local commit; the standby follows */
};

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
	char metrics_allow[64]; /* the address that may GET /metrics without a token; empty: none */
	unsigned long
	    reconcile_interval; /* seconds between full passes (drift, counters); 0: none */
	bool ipvs_own_table;    /* delete kernel services Fulcrum does not manage */
	char agentx[4096];      /* the SNMP master's AgentX socket; empty: no SNMP subagent */

	/* Active/standby failover (docs/ha.md); times in milliseconds unless named otherwise. */
	char ha_peer[128];         /* the peer: ADDR, ADDR:PORT, [V6]:PORT; empty: standalone */
	char ha_peer2[128];        /* a second path to the same peer; empty: one path */
	char ha_bind[64];          /* local address of path 1; empty: any */
	char ha_bind2[64];         /* local address of path 2; empty: any */
	unsigned long ha_port;     /* the UDP port, when an address names none */
	char ha_cluster[65];       /* heartbeats of another cluster are dropped */
	unsigned long ha_priority; /* 0..255, breaks ties at start only */
	char ha_keyfile[4096];     /* the authkeys file */
	unsigned long ha_interval; /* between heartbeats */
	unsigned long ha_deadtime; /* silence after which the peer is dead */
	unsigned long ha_initdead; /* a starting node listens this long */
	unsigned long ha_repair_timeout;    /* an active's failure lasts this long: step down */
	unsigned long ha_loop_timeout;      /* the main loop stalls this long: a failure */
	char ha_tiebreaker[512];            /* addresses pinged against split brain; empty: none */
	unsigned long ha_vip_lifetime;      /* seconds, the VIPs' valid lifetime; 0: permanent */
	unsigned long ha_announce_count;    /* gratuitous ARPs / unsolicited NAs per takeover */
	unsigned long ha_announce_interval; /* between those */
	char ha_sync_interface[16];         /* IPVS connection sync; empty: none */
	unsigned long ha_sync_id;           /* the sync daemon's syncid, 0..255 */
	bool ha_realtime;                   /* the heartbeat thread asks for SCHED_FIFO */
	bool ha_standalone_vips; /* no ha_peer: fulcrumd adds the configured VIPs itself */

	/* Replication of the configuration to the standby (docs/ha.md, "Replication"). */
	enum conf_repl_mode repl_mode;
	unsigned long repl_sync_timeout; /* ms an answer waits for the standby, then alone */
	/* Replication's change log (docs/ha.md, "Snapshot and digest"). */
	unsigned long repl_log_retention; /* revisions the change log keeps; 0: all */
	unsigned long repl_port;      /* TCP: the active listens here, the standby connects to it */
	unsigned long repl_peer_port; /* the peer's repl_port when it differs (0: the same) */
};

enum conf_type {
	CONF_STRING,
	CONF_LOG_LEVEL,
	CONF_ULONG,  /* decimal digits, within min..max */
	CONF_LISTEN, /* ADDR:PORT, [ADDR]:PORT for IPv6, or empty */
	CONF_BOOL,   /* yes or no (true/false, on/off, 1/0) */
	CONF_PEER,   /* ADDR, ADDR:PORT, [V6]:PORT or a bare IPv6 address, numeric; or empty */
	CONF_ADDR,   /* a numeric IPv4 or IPv6 address, or empty */
	CONF_ADDRS,  /* numeric addresses separated by spaces, or empty */
	CONF_NAME,   /* 1..size-1 characters of printable ASCII without spaces (heartbeat names) */
	CONF_REPL_MODE, /* sync or async */
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

/*
 * Parses a peer's address: "192.0.2.2", "192.0.2.2:694", "2001:db8::2" or
 * "[2001:db8::2]:694", numeric only; port 1..65535, or the given port when s
 * names none. Fills *out and *len and returns 0, or returns -EINVAL with err
 * (may be NULL) saying what is wrong.
 */
int conf_peer_parse(const char *s, unsigned port, struct sockaddr_storage *out, socklen_t *len,
		    char *err, size_t errlen);

/*
 * Parses a numeric IPv4 or IPv6 address (no port, no brackets) into *out
 * (port 0) and *len. Returns 0 or -EINVAL.
 */
int conf_addr_parse(const char *s, struct sockaddr_storage *out, socklen_t *len);

/*
 * Checks the HA settings together, what no single setting can: the timers'
 * relations (ha_deadtime >= 3 * ha_interval, ha_initdead >= ha_deadtime), a
 * second path without a first, a bind address of the other family than its
 * peer, the node name as heartbeats carry it. Returns 0, or -EINVAL with err
 * naming the settings and the fix. Whether the key file is usable is the key
 * loader's to say (controller/ha/ha_keys.h).
 */
int conf_ha_check(const struct conf *c, char *err, size_t errlen);

/* "sync" or "async", as the settings file spells it. */
const char *conf_repl_mode_name(enum conf_repl_mode mode);

/* The table of every setting, for documentation checks; *n gets its length. */
const struct conf_setting *conf_settings(size_t *n);

#endif
