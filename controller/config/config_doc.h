/* The configuration as a document: what a file holds, read, written, compared and applied whole. */
#ifndef FULCRUM_CONFIG_DOC_H
#define FULCRUM_CONFIG_DOC_H

#include "controller/model/model-t.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * What a file says of one service: the service and its real servers, each
 * with the line it was read from (0: not read from a file). vs.id and each
 * rs.id are the ids the file gives, 0 when it gives none; rs.vs_id is
 * vs.id. Every field a file does not name has the model's default
 * (model_vs_init(), model_rs_init()).
 */
struct config_service {
	struct fulcrum_vs vs;
	unsigned line;
	struct fulcrum_rs *reals; /* nreals of them, owned */
	unsigned *real_lines;     /* nreals of them, owned */
	size_t nreals, cap;
};

struct config_vip {
	struct fulcrum_vip vip;
	unsigned line;
};

/*
 * The whole configuration a user sets, as one document: services with their
 * real servers, checks and fallback, VIPs, notification switches. Not API
 * tokens, not node settings (fulcrumd.conf), not state.
 */
struct config_doc {
	int64_t revision; /* the revision it was exported at; 0: unknown (a file made by hand) */
	struct config_service *services;
	size_t nservices, cap_services;
	struct config_vip *vips;
	size_t nvips, cap_vips;
	bool switch_set[COMMAND_NOTIFY_COUNT]; /* the document names this switch */
	bool switch_on[COMMAND_NOTIFY_COUNT];
};

/* Zeroes doc: an empty document. */
void config_doc_init(struct config_doc *doc);

/* Frees what doc holds and zeroes it; accepts an initialised empty doc. */
void config_doc_clear(struct config_doc *doc);

/*
 * Appends a service (a copy of *vs, with no real servers yet) read at line.
 * Returns it (valid until the next append of a service), or NULL when memory
 * runs out.
 */
struct config_service *config_doc_add_service(struct config_doc *doc, const struct fulcrum_vs *vs,
					      unsigned line);

/* Appends a copy of *rs to s, read at line; rs->vs_id is set to s->vs.id. 0 or -ENOMEM. */
int config_service_add_real(struct config_service *s, const struct fulcrum_rs *rs, unsigned line);

/* Appends a copy of *vip, read at line. 0 or -ENOMEM. */
int config_doc_add_vip(struct config_doc *doc, const struct fulcrum_vip *vip, unsigned line);

/* Names a switch's state in doc. */
void config_doc_set_switch(struct config_doc *doc, enum command_notify which, bool on);

/*
 * The name an imported service gets from its key, the source having none:
 * "tcp-192.0.2.10-80", "tcp-2001.db8..10-80" (':' as '.': a name holds only
 * letters, digits, '.', '_' and '-'), "fwmark-7", "fwmark-7-v6". vs's
 * family, address, port, protocol and fwmark must be set. Returns buf.
 */
const char *config_key_name(const struct fulcrum_vs *vs, char *buf, size_t len);

/*
 * Messages about one document: each an error or a remark ("line 12: ..."),
 * in the order found. At most CONFIG_MSGS_MAX are kept; dropped counts the
 * rest, so that a file with 100,000 bad lines does not make 100,000 strings.
 */
#define CONFIG_MSGS_MAX 200
struct config_msgs {
	char **text;
	size_t n, cap;
	size_t dropped;
};

void config_msgs_init(struct config_msgs *m);
void config_msgs_clear(struct config_msgs *m);

/*
 * Adds one message, printf-style; -ENOMEM when memory runs out (the message
 * then counts as dropped). Messages past CONFIG_MSGS_MAX count as dropped.
 */
int config_msgs_add(struct config_msgs *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Every message of m, one per line, then "... and N more" when some were dropped. */
void config_msgs_print(const struct config_msgs *m, FILE *out);

#endif
