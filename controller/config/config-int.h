/* What the configuration file's two readers share: the fields of each element, one service's checks, the sets of keys. */
#ifndef FULCRUM_CONFIG_INT_H
#define FULCRUM_CONFIG_INT_H

#include "controller/config/config_io.h"
#include "controller/lib/idmap.h"
#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>

/* The switches are named in a document as they are stored: db_notify_name(), db_notify_parse(). */

/*
 * Sets of keys (service names, addresses) a document holds, each with the
 * line it was first seen at: an idmap of FNV-1a hashes to entries.
 * config_seen_add() records key at line (taken as 1 when 0) and fills
 * *line_out with the line it was first seen at, 0 when it is new: 0 or
 * -ENOMEM. config_seen_line() is that line, 0 for a key not there.
 * config_seen_clear() frees every entry.
 */
int config_seen_add(struct idmap *m, const char *key, unsigned line, unsigned *line_out);
unsigned config_seen_line(const struct idmap *m, const char *key);
void config_seen_clear(struct idmap *m);

/* What a field list belongs to; each list is in the order the model applies fields. */
enum config_fields {
	CONFIG_F_SERVICE = 0, /* a service's own fields, not id */
	CONFIG_F_CHECK,       /* a service's check, set as "check.<f>" */
	CONFIG_F_FALLBACK,    /* its fallback server, set as "fallback.<f>" */
	CONFIG_F_REAL,        /* a real server's own fields, not id */
	CONFIG_F_REAL_CHECK,  /* what a real server's check overrides, as "check.<f>" */
	CONFIG_F_VIP,         /* a VIP's fields, not id */
	CONFIG_F_COUNT,
};

/* The names of list, NULL-terminated. */
const char *const *config_fields(enum config_fields list);

/* One name="value" of an element, as read. */
struct config_attr {
	const char *name, *value;
	bool used;
};

/* Everything one read keeps besides the document: where it reports, the keys seen so far. */
struct config_read {
	struct config_doc *doc;
	config_service_fn fn;
	void *arg;
	struct config_msgs *errors;
	size_t nerrors;          /* errors found (errors may keep fewer) */
	struct idmap names;      /* service names seen: hash -> struct config_seen */
	struct idmap vs_ids;     /* service id -> its line (as a pointer) */
	struct idmap rs_ids;     /* real server id -> its line */
	struct idmap vip_ids;    /* VIP id -> its line */
	struct idmap vip_addrs;  /* VIP address hash -> struct config_seen */
	struct config_service s; /* the service being read; its vs.name "" until set */
	bool s_bad;              /* it has an error: not handed on */
	bool json;               /* places are indexes + 1, not lines */
};

/*
 * Where an object of the service at place sline is: "line 12", or in JSON
 * "services[3]"; with rline not 0, its real server at rline ("line 14",
 * "services[3].reals[0]"). Returns buf.
 */
const char *config_read_where(const struct config_read *r, char *buf, size_t len, unsigned sline,
			      unsigned rline);

void config_read_init(struct config_read *r, struct config_doc *doc, config_service_fn fn,
		      void *arg, struct config_msgs *errors);
void config_read_clear(struct config_read *r);

/* Adds an error at where ("line 12", "services[3]"): printf-style. */
void config_read_error(struct config_read *r, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Sets obj's fields (kind's struct) from attrs in list's order, each through
 * the kind's set_field() under prefix ("check.", "fallback.", ""). Each
 * refusal is an error at where; returns the count of refusals. Marks each
 * attribute it set as used.
 */
size_t config_read_fields(struct config_read *r, const char *where, enum fulcrum_kind kind,
			  void *obj, enum config_fields list, const char *prefix,
			  struct config_attr *attrs, size_t n);

/* Parses a positive id from text; 0 on success, else an error at where naming what. */
int config_read_id(struct config_read *r, const char *where, const char *what, const char *text,
		   int64_t *out);

/* Starts a service, line (or index + 1) its place: r->s is a fresh model_vs_init()'ed one. */
void config_read_service_begin(struct config_read *r, unsigned line);

/*
 * Ends the service in r->s: validates it and its real servers (r->s.real_lines
 * say where each is), refuses a name, an id or a real server's key seen
 * before, then hands it to fn (or keeps it in doc). where_fmt formats where
 * an object is: "line %u". Returns 0, or a negative errno that stops reading
 * (fn's, or -ENOMEM).
 */
int config_read_service_end(struct config_read *r);

/* Ends a VIP read at line: validates it, refuses an id or address seen before, keeps it. */
int config_read_vip(struct config_read *r, struct fulcrum_vip *vip, unsigned line,
		    const char *where);

/* The JSON reader (config_read_json.c); the same contract as config_read(). */
int config_read_json(struct config_read *r, const char *text, size_t len);

/* The XML reader (config_read_xml.c). */
int config_read_xml(struct config_read *r, const char *text, size_t len);

#endif
