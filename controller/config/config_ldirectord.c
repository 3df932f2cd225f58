/* The ldirectord importer's reading half: lines, directives, virtual blocks and real servers. */
#include "controller/config/config_ldirectord.h"
#include "controller/config/config_ldirectord-int.h"
#include "controller/model/model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* How a directive is handled; the name says which of the file's directives. */
enum ld_kind {
	K_IGNORED, /* known, no equivalent: a note with the reason */
	K_VIRTUAL,
	K_REAL,
	K_REQUEST,
	K_RECEIVE,
	K_CHECKTYPE,
	K_COMMAND,
	K_CHECKTIMEOUT,
	K_NEGOTIATETIMEOUT,
	K_CONNECTTIMEOUT,
	K_TIMEOUT,
	K_FAILURECOUNT,
	K_INTERVAL,
	K_CHECKPORT,
	K_SCHEDULER,
	K_PERSISTENT,
	K_SCHEDFLAGS,
	K_NETMASK,
	K_PROTOCOL,
	K_OPS,
	K_SERVICE,
	K_HTTPMETHOD,
	K_VHOST,
	K_FALLBACK,
	K_QUIESCENT,
	K_SERVICENAME,
	K_COMMENT,
	K_FORK,
};

#define IN_GLOBAL 1u
#define IN_VIRT   2u

struct ld_directive {
	const char *name;
	unsigned scope; /* where ldirectord takes it: IN_GLOBAL, IN_VIRT or both */
	enum ld_kind kind;
	bool secret;     /* its value is not repeated in messages */
	const char *why; /* K_IGNORED: why, for the note */
};

static const char NO_MAIL[] =
    "ignored: Fulcrum sends no e-mail; a real server's state change is an "
    "SNMP notification (fulcrumRsStateChange)";
static const char NO_PROTO_CHECK[] =
    "ignored: Fulcrum has no check that logs in or queries (its checks are tcp, http, https, "
    "external)";

/* ldirectord's directives (its read_config()), where it takes each, and what Fulcrum does. */
static const struct ld_directive ld_directives[] = {
    {"virtual", IN_GLOBAL, K_VIRTUAL, false, NULL},
    {"virtual6", IN_GLOBAL, K_VIRTUAL, false, NULL},
    {"real", IN_VIRT, K_REAL, false, NULL},
    {"real6", IN_VIRT, K_REAL, false, NULL},
    {"request", IN_VIRT, K_REQUEST, false, NULL},
    {"receive", IN_VIRT, K_RECEIVE, false, NULL},
    {"checktype", IN_VIRT, K_CHECKTYPE, false, NULL},
    {"checkcommand", IN_VIRT, K_COMMAND, false, NULL},
    {"checktimeout", IN_GLOBAL | IN_VIRT, K_CHECKTIMEOUT, false, NULL},
    {"negotiatetimeout", IN_GLOBAL | IN_VIRT, K_NEGOTIATETIMEOUT, false, NULL},
    {"connecttimeout", IN_GLOBAL | IN_VIRT, K_CONNECTTIMEOUT, false, NULL},
    {"timeout", IN_GLOBAL, K_TIMEOUT, false, NULL},
    {"failurecount", IN_GLOBAL | IN_VIRT, K_FAILURECOUNT, false, NULL},
    {"checkinterval", IN_GLOBAL | IN_VIRT, K_INTERVAL, false, NULL},
    {"checkport", IN_VIRT, K_CHECKPORT, false, NULL},
    {"scheduler", IN_VIRT, K_SCHEDULER, false, NULL},
    {"persistent", IN_VIRT, K_PERSISTENT, false, NULL},
    {"schedflags", IN_VIRT, K_SCHEDFLAGS, false, NULL},
    {"netmask", IN_VIRT, K_NETMASK, false, NULL},
    {"protocol", IN_VIRT, K_PROTOCOL, false, NULL},
    {"ops", IN_VIRT, K_OPS, false, NULL},
    {"service", IN_VIRT, K_SERVICE, false, NULL},
    {"httpmethod", IN_VIRT, K_HTTPMETHOD, false, NULL},
    {"virtualhost", IN_VIRT, K_VHOST, false, NULL},
    {"fallback", IN_GLOBAL | IN_VIRT, K_FALLBACK, false, NULL},
    {"fallback6", IN_GLOBAL | IN_VIRT, K_FALLBACK, false, NULL},
    {"quiescent", IN_GLOBAL | IN_VIRT, K_QUIESCENT, false, NULL},
    {"servicename", IN_VIRT, K_SERVICENAME, false, NULL},
    {"comment", IN_VIRT, K_COMMENT, false, NULL},
    {"fork", IN_GLOBAL, K_FORK, false, NULL},
    {"checkcount", IN_GLOBAL | IN_VIRT, K_IGNORED, false,
     "ignored: deprecated in ldirectord and used by its ping check only; Fulcrum counts failed "
     "checks with failurecount (check.fall)"},
    {"autoreload", IN_GLOBAL, K_IGNORED, false,
     "ignored: Fulcrum's configuration changes through its API and applies at once; there is no "
     "file to watch"},
    {"callback", IN_GLOBAL, K_IGNORED, false, "ignored: there is no file to watch, so no call"},
    {"logfile", IN_GLOBAL, K_IGNORED, false,
     "ignored: where fulcrumd logs is the daemon's setting, not the configuration's"},
    {"execute", IN_GLOBAL, K_IGNORED, false,
     "not followed: the configuration it starts is not read (import it on its own)"},
    {"supervised", IN_GLOBAL, K_IGNORED, false,
     "ignored: how fulcrumd runs is its service manager's setting"},
    {"readdquiescent", IN_GLOBAL, K_IGNORED, false,
     "ignored: Fulcrum keeps a quiesced real server in the kernel at weight 0"},
    {"maintenancedir", IN_GLOBAL, K_IGNORED, false,
     "ignored: Fulcrum takes a real server out for maintenance with its admin_state (drained, "
     "disabled)"},
    {"cleanstop", IN_GLOBAL | IN_VIRT, K_IGNORED, false,
     "ignored: what fulcrumd leaves in the kernel when it stops is the daemon's, not the "
     "configuration's"},
    {"fallbackcommand", IN_GLOBAL | IN_VIRT, K_IGNORED, false,
     "ignored: Fulcrum runs no command when a service has no real server up (it puts the "
     "fallback server in)"},
    {"emailalert", IN_GLOBAL | IN_VIRT, K_IGNORED, false, NO_MAIL},
    {"emailalertfreq", IN_GLOBAL | IN_VIRT, K_IGNORED, false, NO_MAIL},
    {"emailalertstatus", IN_GLOBAL | IN_VIRT, K_IGNORED, false, NO_MAIL},
    {"emailalertfrom", IN_GLOBAL, K_IGNORED, false, NO_MAIL},
    {"smtp", IN_GLOBAL | IN_VIRT, K_IGNORED, false, NO_MAIL},
    {"monitorfile", IN_VIRT, K_IGNORED, false,
     "ignored: Fulcrum's check results are in its status and its log, not a file"},
    {"login", IN_VIRT, K_IGNORED, false, NO_PROTO_CHECK},
    {"passwd", IN_VIRT, K_IGNORED, true, NO_PROTO_CHECK},
    {"database", IN_VIRT, K_IGNORED, false, NO_PROTO_CHECK},
    {"secret", IN_VIRT, K_IGNORED, true, NO_PROTO_CHECK},
    {"load", IN_VIRT, K_IGNORED, false, NO_PROTO_CHECK},
};

const char *ld_show(const char *s, char *buf, size_t len)
{
	size_t i = 0, max = len - 1;

	for (; *s && i < max; s++)
		buf[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (*s && max > 3)
		memcpy(buf + max - 3, "...", 3);
	buf[i] = '\0';
	return buf;
}

static void ld_vmsg(struct ld_ctx *c, struct config_msgs *m, unsigned line, const char *head,
		    const char *fmt, va_list ap)
{
	char *body;

	if (vasprintf(&body, fmt, ap) < 0) {
		c->oom = true;
		return;
	}
	if (config_msgs_add(m, "%s:%u: %s%s", c->file, line, head, body) != 0)
		c->oom = true;
	free(body);
}

void ld_error(struct ld_ctx *c, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vmsg(c, c->errors, line, "", fmt, ap);
	va_end(ap);
}

void ld_note(struct ld_ctx *c, unsigned line, const char *name, const char *value, const char *fmt,
	     ...)
{
	char shown[72], head[sizeof(shown) + 72];
	va_list ap;

	snprintf(head, sizeof(head), "'%.32s=%s': ", name, ld_show(value, shown, sizeof(shown)));
	va_start(ap, fmt);
	ld_vmsg(c, c->notes, line, head, fmt, ap);
	va_end(ap);
}

unsigned ld_where(const struct ld_virt *v, const char *field)
{
	for (size_t i = v->nwhere; i-- > 0;)
		if (strcmp(v->where[i].field, field) == 0)
			return v->where[i].line;
	return v->line;
}

int ld_vset(struct ld_ctx *c, struct ld_virt *v, const char *field, const char *value,
	    unsigned line)
{
	struct fulcrum_err err;

	size_t i;

	if (model_vs_set_field(&v->vs, field, value, &err) != 0) {
		ld_error(c, line, "%s", err.message);
		v->bad = true;
		return -EINVAL;
	}
	for (i = 0; i < v->nwhere; i++)
		if (strcmp(v->where[i].field, field) == 0) {
			v->where[i].line = line;
			return 0;
		}
	if (v->nwhere < LD_WHERE_MAX)
		v->where[v->nwhere++] = (struct ld_where){field, line};
	return 0;
}

/* Copies value into t (set at line); longer than the model keeps is an error. 0 or -EINVAL. */
static int ld_text_set(struct ld_ctx *c, struct ld_text *t, const char *name, const char *value,
		       unsigned line)
{
	size_t n = strlen(value);

	if (n > LD_TEXT_MAX) {
		ld_error(c, line, "%s: %zu bytes is longer than %d", name, n, LD_TEXT_MAX);
		return -EINVAL;
	}
	memcpy(t->s, value, n + 1);
	t->line = line;
	return 0;
}

/* The text between the double quotes that value must be, or NULL (value is changed). */
static char *ld_quoted(char *value)
{
	size_t n = strlen(value);

	if (n < 2 || value[0] != '"' || value[n - 1] != '"')
		return NULL;
	value[n - 1] = '\0';
	return value + 1;
}

/* value with a surrounding pair of double quotes removed, if it has one. */
static char *ld_unquote(char *value)
{
	char *q = ld_quoted(value);

	return q ? q : value;
}

/* A number for a global or block setting; ldirectord refuses 0 for all of them but persistent. */
static void ld_opt_set(struct ld_ctx *c, struct ld_opt *o, const char *name, const char *value,
		       unsigned line, bool zero_ok)
{
	char shown[72];
	long n = ld_number(value);

	if (n < 0 || (n == 0 && !zero_ok)) {
		ld_error(c, line, "%s '%s' is not a number %s", name,
			 ld_show(value, shown, sizeof(shown)),
			 zero_ok ? "(0..999999999)" : "above 0");
		return;
	}
	*o = (struct ld_opt){n, line};
}

static void ld_yesno(struct ld_ctx *c, struct ld_opt *o, const char *name, const char *value,
		     unsigned line)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0)
		*o = (struct ld_opt){strcmp(value, "yes") == 0, line};
	else
		ld_error(c, line, "%s must be 'yes' or 'no'", name);
}

/* What ldirectord refuses as unknown: an error, or a note that it was ignored when lenient. */
static void ld_unknown(struct ld_ctx *c, unsigned line, const char *text, const char *why)
{
	char shown[72];

	if (c->lenient) {
		if (config_msgs_add(c->notes, "%s:%u: '%s': ignored: %s", c->file, line,
				    ld_show(text, shown, sizeof(shown)), why) != 0)
			c->oom = true;
	} else {
		ld_error(c, line, "'%s': %s", ld_show(text, shown, sizeof(shown)), why);
	}
}

static const struct ld_directive *ld_directive(const char *name)
{
	for (size_t i = 0; i < sizeof(ld_directives) / sizeof(ld_directives[0]); i++)
		if (strcmp(ld_directives[i].name, name) == 0)
			return &ld_directives[i];
	return NULL;
}

/* The directives both a block and the globals take; o is the block's or the global one. */
static bool ld_timing(struct ld_ctx *c, struct ld_opt *check, struct ld_opt *negotiate,
		      struct ld_opt *fall, struct ld_opt *interval, struct ld_opt *quiescent,
		      enum ld_kind kind, const char *name, char *value, unsigned line)
{
	switch (kind) {
	case K_CHECKTIMEOUT:
		ld_opt_set(c, check, name, value, line, false);
		return true;
	case K_CONNECTTIMEOUT:
		ld_note(c, line, name, value,
			"deprecated, and refused by current ldirectord: read as "
			"negotiatetimeout, which replaced it");
		/* fall through */
	case K_NEGOTIATETIMEOUT:
		ld_opt_set(c, negotiate, name, value, line, false);
		return true;
	case K_FAILURECOUNT:
		ld_opt_set(c, fall, name, value, line, false);
		return true;
	case K_INTERVAL:
		ld_opt_set(c, interval, name, value, line, false);
		return true;
	case K_QUIESCENT:
		ld_yesno(c, quiescent, name, value, line);
		return true;
	default:
		return false;
	}
}

static const char *const ld_services[] = {
    "dns",  "ftp",    "http",  "https", "http_proxy", "imap",       "imaps",
    "ldap", "ldaps",  "nntp",  "mysql", "none",       "oracle",     "pop",
    "pops", "radius", "pgsql", "sip",   "smtp",       "submission", "simpletcp",
};
static const char *const ld_checktypes[] = {"connect", "negotiate", "ping",         "off",
					    "on",      "external",  "external-perl"};

static bool ld_in(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* "sh-fallback,sh-port" (ipvsadm -b) as the model's "fallback,port". */
static void ld_schedflags(struct ld_ctx *c, struct ld_virt *v, const char *value, unsigned line)
{
	bool fallback = false, port = false;
	char shown[72];

	for (const char *p = value; *p;) {
		size_t n = strcspn(p, ",");

		if ((n == 11 && (!strncmp(p, "sh-fallback", n) || !strncmp(p, "mh-fallback", n))) ||
		    (n == 6 && !strncmp(p, "flag-1", n)))
			fallback = true;
		else if ((n == 7 && (!strncmp(p, "sh-port", n) || !strncmp(p, "mh-port", n))) ||
			 (n == 6 && !strncmp(p, "flag-2", n)))
			port = true;
		else {
			ld_error(
			    c, line,
			    "schedflags '%s': Fulcrum knows sh-fallback, sh-port, mh-fallback, "
			    "mh-port (flag-1, flag-2)",
			    ld_show(value, shown, sizeof(shown)));
			v->bad = true;
			return;
		}
		p += n + (p[n] == ',');
	}
	ld_vset(c, v, "scheduler_flags",
		fallback && port ? "fallback,port"
		: fallback       ? "fallback"
		: port           ? "port"
				 : "",
		line);
}

/* One directive of a virtual block. */
static void ld_block(struct ld_ctx *c, struct ld_virt *v, const struct ld_directive *d,
		     const char *name, char *value, unsigned line)
{
	char buf[LD_TEXT_MAX + 2], *q;

	if (ld_timing(c, &v->checktimeout, &v->negotiatetimeout, &v->failurecount,
		      &v->checkinterval, &v->quiescent, d->kind, name, value, line))
		return;
	switch (d->kind) {
	case K_REAL:
		ld_real(c, v, name, value, line);
		break;
	case K_REQUEST:
	case K_RECEIVE:
		if (!(q = ld_quoted(value)) || !*q) {
			ld_error(c, line, "%s must be a non-empty string in double quotes", name);
			break;
		}
		if (d->kind == K_RECEIVE) {
			ld_text_set(c, &v->receive, name, q, line);
			break;
		}
		/* ldirectord puts a '/' before a request that has none */
		snprintf(buf, sizeof(buf), "%s%.*s", q[0] == '/' ? "" : "/", LD_TEXT_MAX, q);
		if (strlen(q) + (q[0] != '/') > LD_TEXT_MAX)
			ld_error(c, line, "request: longer than %d bytes", LD_TEXT_MAX);
		else
			ld_text_set(c, &v->request, name, buf, line);
		break;
	case K_CHECKTYPE:
		if (ld_number(value) >= 0 || ld_in(value, ld_checktypes, 7)) {
			snprintf(v->checktype, sizeof(v->checktype), "%s", value);
			v->checktype_line = line;
		} else {
			ld_error(c, line,
				 "checktype must be connect, negotiate, on, off, ping, external, "
				 "external-perl or a number");
		}
		break;
	case K_COMMAND:
		value = ld_unquote(value);
		if (!*value)
			ld_error(c, line, "checkcommand: no command");
		else
			ld_text_set(c, &v->command, name, value, line);
		break;
	case K_CHECKPORT:
		ld_opt_set(c, &v->checkport, name, value, line, false);
		if (v->checkport.val > 65535) {
			ld_error(c, line, "checkport %ld is outside 1..65535", v->checkport.val);
			v->checkport = (struct ld_opt){-1, 0};
		}
		break;
	case K_SCHEDULER:
		ld_vset(c, v, "scheduler", value, line);
		break;
	case K_PERSISTENT:
		ld_opt_set(c, &v->persistent, name, value, line, true);
		if (v->persistent.val >= 0)
			ld_vset(c, v, "persistence_timeout", value, line);
		break;
	case K_SCHEDFLAGS:
		ld_schedflags(c, v, value, line);
		break;
	case K_NETMASK:
		ld_text_set(c, &v->netmask, name, value, line);
		break;
	case K_PROTOCOL:
		if (v->vs.fwmark) {
			if (strcmp(value, "fwm") != 0)
				ld_error(c, line,
					 "protocol must be fwm for a firewall-mark service");
		} else if (strcmp(value, "tcp") == 0 || strcmp(value, "udp") == 0 ||
			   strcmp(value, "sctp") == 0) {
			ld_vset(c, v, "protocol", value, line);
			v->proto_line = line;
		} else {
			ld_error(c, line,
				 "protocol must be tcp, udp or sctp for an address service (fwm is "
				 "for a firewall mark)");
		}
		break;
	case K_OPS:
		if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0)
			ld_vset(c, v, "one_packet", value, line);
		else
			ld_error(c, line, "ops must be 'yes' or 'no'");
		break;
	case K_SERVICE:
		if (!ld_in(value, ld_services, sizeof(ld_services) / sizeof(ld_services[0]))) {
			ld_error(c, line,
				 "service: not one of ldirectord's (dns ftp http https "
				 "http_proxy imap imaps ldap ldaps mysql nntp none oracle "
				 "pgsql pop pops radius simpletcp sip smtp submission)");
			break;
		}
		snprintf(v->service, sizeof(v->service), "%s", value);
		v->service_line = line;
		break;
	case K_HTTPMETHOD:
		if (strcasecmp(value, "GET") == 0 || strcasecmp(value, "HEAD") == 0) {
			v->head = strcasecmp(value, "HEAD") == 0;
			v->head_line = line;
		} else {
			ld_error(c, line, "httpmethod must be GET or HEAD");
		}
		break;
	case K_VHOST:
		ld_text_set(c, &v->host, name, ld_unquote(value), line);
		break;
	case K_FALLBACK:
		if ((strcmp(name, "fallback6") == 0) != (v->af == AF_INET6))
			ld_error(c, line, "%s in a %s block: use %s", name,
				 v->af == AF_INET6 ? "virtual6" : "virtual",
				 v->af == AF_INET6 ? "fallback6" : "fallback");
		else
			ld_fallback(c, &v->fallback, v->af, name, value, line);
		break;
	case K_SERVICENAME:
		ld_text_set(c, &v->servicename, name, value, line);
		break;
	case K_COMMENT:
		ld_text_set(c, &v->comment, name, value, line);
		break;
	default:
		ld_note(c, line, name, d->secret ? "..." : value, "%s", d->why);
		break;
	}
}

/* One global directive (not virtual=, which the caller handles). */
static void ld_global(struct ld_ctx *c, const struct ld_directive *d, const char *name, char *value,
		      unsigned line, const char *text)
{
	if (ld_timing(c, &c->checktimeout, &c->negotiatetimeout, &c->failurecount,
		      &c->checkinterval, &c->quiescent, d->kind, name, value, line))
		return;
	switch (d->kind) {
	case K_FALLBACK:
		if (strcmp(name, "fallback6") == 0)
			ld_fallback(c, &c->fallback6, AF_INET6, name, value, line);
		else
			ld_fallback(c, &c->fallback4, AF_INET, name, value, line);
		break;
	case K_FORK:
		ld_yesno(c, &c->fork, name, value, line);
		ld_note(c, line, name, value,
			"no equivalent (Fulcrum checks each service on its own schedule); it only "
			"decides, as in ldirectord, whether a block's own checkinterval counts");
		break;
	case K_TIMEOUT:
		ld_unknown(c, line, text,
			   "deprecated and refused by ldirectord: write checktimeout and "
			   "negotiatetimeout");
		break;
	default:
		ld_note(c, line, name, d->secret ? "..." : value, "%s", d->why);
		break;
	}
}

/* Cuts a comment: from any '#' in a block (as ldirectord), from " #" in a global line. */
static void ld_cut_comment(char *s, bool block)
{
	for (char *p = s; *p; p++)
		if (*p == '#' && (block || (p > s && (p[-1] == ' ' || p[-1] == '\t')))) {
			*p = '\0';
			return;
		}
}

/* One line (NUL-terminated, no newline); *v is the block it may belong to, NULL outside. */
static void ld_line(struct ld_ctx *c, char *s, unsigned line, struct ld_virt **v, bool *in_block)
{
	const struct ld_directive *d;
	unsigned width = 0;
	char *name, *value, *end;
	size_t n;
	bool block;

	for (; *s == ' ' || *s == '\t'; s++)
		width += *s == '\t' ? 4 : 1;
	if (!*s || strspn(s, " \t\r\v\f") == strlen(s)) {
		*in_block = false; /* ldirectord ends a block at a blank line */
		return;
	}
	if (*s == '#')
		return;
	block = *in_block && width >= 4;
	if (width > 0 && !block) {
		*in_block = false;
		ld_unknown(c, line, s,
			   "an indented line outside a virtual block (a block ends at the first "
			   "line indented less than 4 spaces or a tab, or blank)");
		return;
	}
	if (!block)
		*in_block = false;
	ld_cut_comment(s, block);
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-");
	name = s;
	value = s + n + strspn(s + n, " \t");
	if (*value != '=') {
		if (strcmp(s, "supervised") == 0 && !block) {
			ld_note(c, line, "supervised", "yes", "%s", ld_directive(s)->why);
			return;
		}
		ld_unknown(c, line, s, "not a directive (NAME=VALUE)");
		return;
	}
	value++;
	value += strspn(value, " \t");
	name[n] = '\0';
	d = ld_directive(name);
	if (!d) {
		ld_unknown(c, line, name, "not an ldirectord directive");
		return;
	}
	if (!(d->scope & (block ? IN_VIRT : IN_GLOBAL))) {
		ld_unknown(c, line, name,
			   block ? "ldirectord takes it only outside a virtual block (not indented)"
				 : "ldirectord takes it only inside a virtual block (indented)");
		return;
	}
	if (block) {
		ld_block(c, *v, d, name, value, line);
	} else if (d->kind == K_VIRTUAL) {
		*v = ld_virtual(c, name, value, line);
		*in_block = *v != NULL;
	} else {
		ld_global(c, d, name, value, line, name);
	}
}

struct ld_msg {
	char *text;
	unsigned long line;
	size_t at;
};

static int ld_by_line(const void *a, const void *b)
{
	const struct ld_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (x->at > y->at) - (x->at < y->at);
}

/* Puts the messages from index from on in line order: the blocks are made after the file is read. */
static void ld_sort(struct config_msgs *m, size_t from, const char *file)
{
	size_t n = m->n - from, skip = strlen(file) + 1;
	struct ld_msg *all;

	if (m->n <= from + 1 || !(all = malloc(n * sizeof(*all))))
		return; /* unsorted, but whole */
	for (size_t i = 0; i < n; i++) {
		const char *t = m->text[from + i];

		all[i] = (struct ld_msg){m->text[from + i],
					 strlen(t) > skip ? strtoul(t + skip, NULL, 10) : 0, i};
	}
	qsort(all, n, sizeof(*all), ld_by_line);
	for (size_t i = 0; i < n; i++)
		m->text[from + i] = all[i].text;
	free(all);
}

int config_ldirectord_read(const char *text, size_t len, const char *file, bool lenient,
			   struct config_doc *doc, struct config_msgs *notes,
			   struct config_msgs *errors)
{
	struct ld_ctx c = {
	    .file = file ? file : "(input)", .lenient = lenient, .notes = notes, .errors = errors};
	size_t errors_before = errors->n + errors->dropped, notes_at = notes->n,
	       errors_at = errors->n;
	struct ld_virt *v = NULL;
	bool in_block = false;
	unsigned line = 0;
	char *buf;

	c.checktimeout = c.negotiatetimeout = c.checkinterval = c.failurecount = c.quiescent =
	    c.fork = (struct ld_opt){-1, 0};
	if (len > CONFIG_LDIRECTORD_MAX_BYTES) {
		ld_error(&c, 0, "%zu bytes is larger than %u MiB: refused", len,
			 CONFIG_LDIRECTORD_MAX_BYTES >> 20);
		return c.oom ? -ENOMEM : -EINVAL;
	}
	if (!(buf = malloc(len + 1)))
		return -ENOMEM;
	if (len)
		memcpy(buf, text, len);
	buf[len] = '\0';
	for (size_t at = 0; at < len && !c.oom;) {
		char *s = buf + at, *nl = memchr(s, '\n', len - at);
		size_t n = nl ? (size_t)(nl - s) : len - at;

		at += n + 1;
		s[n] = '\0';
		if (++line == 0)
			break;
		if (strlen(s) != n) {
			ld_error(&c, line, "holds a NUL byte: the line is refused");
			continue;
		}
		ld_line(&c, s, line, &v, &in_block);
	}
	free(buf);
	if (!c.oom)
		ld_finish(&c, doc);
	for (size_t i = 0; i < c.nvirts; i++)
		free(c.virts[i].reals);
	free(c.virts);
	ld_sort(notes, notes_at, c.file);
	ld_sort(errors, errors_at, c.file);
	if (c.oom)
		return -ENOMEM;
	return errors->n + errors->dropped > errors_before ? -EINVAL : 0;
}
