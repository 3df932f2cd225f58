/* What the two halves of the ldirectord importer share: a virtual block as read, and the globals. */
#ifndef FULCRUM_CONFIG_LDIRECTORD_INT_H
#define FULCRUM_CONFIG_LDIRECTORD_INT_H

#include "controller/config/config_doc.h"
#include "controller/model/model-t.h"

#include <stdbool.h>
#include <stddef.h>

#define LD_VIRT_MAX  4096u   /* virtual blocks in one file */
#define LD_REALS_MAX 100000u /* real servers in one file, ranges expanded */
#define LD_TEXT_MAX  FULCRUM_CHECK_PATH_MAX

/* A number the file may set; val < 0: it does not, line 0 then. */
struct ld_opt {
	long val;
	unsigned line;
};

/* A text the file may set (line 0: it does not). */
struct ld_text {
	char s[LD_TEXT_MAX + 1];
	unsigned line;
};

struct ld_real {
	struct fulcrum_rs rs;
	unsigned line;
};

/* A fallback server (line 0: none); port_given false: the service's port. */
struct ld_fallback {
	struct fulcrum_fallback fb;
	bool port_given;
	unsigned line;
	char text[64]; /* as the file wrote it, for notes */
};

/* Which line set a field of the service, to name it when the model refuses the field. */
struct ld_where {
	const char *field;
	unsigned line;
};
#define LD_WHERE_MAX 40

/* One virtual block as read; the check is made at the end, when every global is known. */
struct ld_virt {
	unsigned line;
	int af;
	bool bad; /* refused: its lines are read, nothing is made of it */
	struct fulcrum_vs vs;
	unsigned proto_line;
	char service[16];
	unsigned service_line;
	char checktype[16];
	unsigned checktype_line;
	struct ld_text command, request, receive, host, servicename, comment, netmask;
	bool head;
	unsigned head_line;
	struct ld_opt checktimeout, negotiatetimeout, checkinterval, failurecount, quiescent,
	    checkport, persistent;
	struct ld_fallback fallback;
	bool disable;        /* checktype off: its real servers go in disabled */
	unsigned check_port; /* the port a real server without one is checked on; 0: its own */
	struct ld_real *reals;
	size_t nreals, cap;
	struct ld_where where[LD_WHERE_MAX];
	size_t nwhere;
};

struct ld_ctx {
	const char *file;
	bool lenient;
	struct config_msgs *notes, *errors;
	struct ld_opt checktimeout, negotiatetimeout, checkinterval, failurecount, quiescent, fork;
	struct ld_fallback fallback4, fallback6;
	struct ld_virt *virts;
	size_t nvirts, cap;
	size_t nreals;
	bool oom;
	unsigned timeout_said[8][2]; /* the timeout and interval lines whose clash was said */
	size_t ntimeout_said;
};

/* An error "FILE:LINE: ..." on c->errors. */
void ld_error(struct ld_ctx *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A note "FILE:LINE: 'name=value': ..." on c->notes; value is shown sanitised and shortened. */
void ld_note(struct ld_ctx *c, unsigned line, const char *name, const char *value, const char *fmt,
	     ...) __attribute__((format(printf, 5, 6)));

/* s made printable (other bytes as '?') and cut to fit buf, for messages. Returns buf. */
const char *ld_show(const char *s, char *buf, size_t len);

/*
 * Sets a field of v's service through the model and remembers line as where
 * it came from; a refusal is an error naming line, and v is refused. 0 or -EINVAL.
 */
int ld_vset(struct ld_ctx *c, struct ld_virt *v, const char *field, const char *value,
	    unsigned line);

/*
 * The port a real or fallback server (forwarding fwd, the model's name) gets
 * in v's service: port as written, -1 when none. A note on line when it changes.
 */
unsigned ld_server_port(struct ld_ctx *c, const struct ld_virt *v, const char *fwd, long port,
			unsigned line, const char *name, const char *value);

/* The line that set field of v, or v's own line. */
unsigned ld_where(const struct ld_virt *v, const char *field);

/* A decimal number of at most 9 digits, or -1 (config_ldirectord_addr.c, as the three below). */
long ld_number(const char *s);

/* A new block from "virtual[6]=VALUE" at line (value is changed); NULL: refused, noted. */
struct ld_virt *ld_virtual(struct ld_ctx *c, const char *name, char *value, unsigned line);

/* The real servers of "real[6]=VALUE" at line, appended to v. */
void ld_real(struct ld_ctx *c, struct ld_virt *v, const char *name, char *value, unsigned line);

/* Parses "fallback[6]=VALUE" of family af into f. 0, -EINVAL (an error said why) or -ENOMEM. */
int ld_fallback(struct ld_ctx *c, struct ld_fallback *f, int af, const char *name, char *value,
		unsigned line);

/* Makes the services of every block read into doc (config_ldirectord_map.c). */
void ld_finish(struct ld_ctx *c, struct config_doc *doc);

#endif
