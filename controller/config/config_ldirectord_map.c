/* The ldirectord importer's making half: each block read becomes a service as ldirectord ran it. */
#include "controller/config/config_ldirectord-int.h"
#include "controller/model/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/*
 * ldirectord's defaults (its set_defaults() and ld_setup()), used where the
 * file is silent: checkinterval 10 s; checktimeout 5 s (connect, ping and
 * external checks) and negotiatetimeout 30 s (negotiate checks), each the
 * other's default first; failurecount 1; quiescent no (its manual says yes,
 * but the code has defaulted to no since 2.0: the code is what ran); a
 * server comes back after one good check (rise 1).
 */
#define LD_DEFAULT_INTERVAL  10
#define LD_DEFAULT_CHECK     5
#define LD_DEFAULT_NEGOTIATE 30
#define LD_DEFAULT_FALL      1

/* The service ldirectord checks when none is named: its ld_port_to_service(). */
static const char *ld_port_service(unsigned port)
{
	static const struct {
		unsigned port;
		const char *service;
	} map[] = {
	    {21, "ftp"},     {25, "smtp"},        {53, "dns"},      {80, "http"},
	    {110, "pop"},    {119, "nntp"},       {143, "imap"},    {389, "ldap"},
	    {443, "https"},  {587, "submission"}, {636, "ldaps"},   {993, "imaps"},
	    {995, "pops"},   {1521, "oracle"},    {1812, "radius"}, {3128, "http_proxy"},
	    {3306, "mysql"}, {5060, "sip"},       {5432, "pgsql"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].port == port)
			return map[i].service;
	return "none";
}

/* The port ldirectord checks a real server without one on: its ld_service_to_port(). */
static unsigned ld_service_port(const char *service)
{
	static const unsigned ports[] = {21,  25,  53,  80,   110,  119,  143,  389,  443, 587,
					 636, 993, 995, 1521, 1812, 3128, 3306, 5060, 5432};

	for (unsigned p = 0; p < sizeof(ports) / sizeof(ports[0]); p++)
		if (strcmp(ld_port_service(ports[p]), service) == 0)
			return ports[p];
	return 0;
}

/* The first of a, b, c, d the file set, or def from no line. */
static struct ld_opt ld_pick(struct ld_opt a, struct ld_opt b, struct ld_opt c, struct ld_opt d,
			     long def)
{
	if (a.val >= 0)
		return a;
	if (b.val >= 0)
		return b;
	if (c.val >= 0)
		return c;
	if (d.val >= 0)
		return d;
	return (struct ld_opt){def, 0};
}

static void ld_vset_num(struct ld_ctx *c, struct ld_virt *v, const char *field, long n,
			unsigned line)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%ld", n);
	ld_vset(c, v, field, buf, line ? line : v->line);
}

/* "checktimeout=3 at line 12" or "ldirectord's default 5 s". */
static const char *ld_source(const char *name, struct ld_opt o, char *buf, size_t len)
{
	if (o.line)
		snprintf(buf, len, "%s=%ld at line %u", name, o.val, o.line);
	else
		snprintf(buf, len, "%s: ldirectord's default %ld s", name, o.val);
	return buf;
}

/* What the check is: ldirectord's checktype and service as one of Fulcrum's check types. */
struct ld_plan {
	enum fulcrum_check_type type;
	bool negotiate; /* its timeout is negotiatetimeout */
	bool disable;   /* checktype off: no real server goes in */
};

static struct ld_plan ld_plan(struct ld_ctx *c, struct ld_virt *v, const char *svc)
{
	const char *ct = v->checktype_line ? v->checktype : "negotiate";
	unsigned ctl = v->checktype_line ? v->checktype_line : v->line;
	bool udp = v->vs.protocol == FULCRUM_PROTO_UDP, combined = ct[0] >= '0' && ct[0] <= '9';
	struct ld_plan p = {FULCRUM_CHECK_NONE, false, false};

	if (strcmp(ct, "negotiate") == 0 || combined) {
		unsigned sl = v->service_line ? v->service_line : ctl;

		p.negotiate = true;
		if (strcmp(svc, "http") == 0 || strcmp(svc, "https") == 0) {
			p.type = svc[4] ? FULCRUM_CHECK_HTTPS : FULCRUM_CHECK_HTTP;
			if (combined)
				ld_note(c, ctl, "checktype", ct,
					"Fulcrum makes the %s check every time (ldirectord made "
					"connect checks between them)",
					svc);
		} else if (strcmp(svc, "none") != 0) {
			/* ldirectord's negotiate check of service none brings servers up unchecked */
			p.type = udp ? FULCRUM_CHECK_NONE : FULCRUM_CHECK_TCP;
			ld_note(c, sl, "service", svc, "%s%sFulcrum has no %s check: %s",
				v->service_line ? "" : "ldirectord's service for the port",
				v->service_line ? "" : "; ", svc,
				udp ? "no check, the real servers are always up"
				    : "a TCP connect check to the check port instead");
		}
	} else if (strcmp(ct, "connect") == 0) {
		p.type = udp ? FULCRUM_CHECK_NONE : FULCRUM_CHECK_TCP;
		if (udp)
			ld_note(
			    c, ctl, "checktype", ct,
			    "ldirectord pings UDP real servers and Fulcrum has no ping: no check, "
			    "the real servers are always up");
	} else if (strcmp(ct, "ping") == 0) {
		ld_note(c, ctl, "checktype", ct,
			"Fulcrum has no ping check: no check, the real servers are always up");
	} else if (strcmp(ct, "external") == 0 || strcmp(ct, "external-perl") == 0) {
		if (v->command.line) {
			p.type = FULCRUM_CHECK_EXTERNAL;
			ld_note(
			    c, ctl, "checktype", ct,
			    "an external check running checkcommand%s; it gets the real server's "
			    "address and port only (ldirectord passed the virtual's first)",
			    ct[8] ? " run as a program, not evaluated by Perl" : "");
		} else {
			ld_note(c, ctl, "checktype", ct,
				"no checkcommand: ldirectord ran /bin/true, so no check, the real "
				"servers are always up");
		}
	} else if (strcmp(ct, "on") == 0) {
		ld_note(c, ctl, "checktype", ct, "no check: the real servers are always up");
	} else {
		p.disable = true;
		ld_note(
		    c, ctl, "checktype", ct,
		    "ldirectord puts neither real nor fallback servers in: the real servers are "
		    "disabled, no fallback, no check");
	}
	return p;
}

/* The HTTP(S) check's question and answer: request, receive, virtualhost, httpmethod. */
static void ld_http(struct ld_ctx *c, struct ld_virt *v, enum fulcrum_check_type type)
{
	unsigned ctl = v->checktype_line ? v->checktype_line : v->line;

	if (v->request.line)
		ld_vset(c, v, "check.path", v->request.s, v->request.line);
	/* ldirectord's receive is a regular expression; a plain text is the same as a substring */
	if (v->receive.line && strpbrk(v->receive.s, ".[]()*+?{}|^$\\")) {
		if (strchr(v->receive.s, '\\') || strstr(v->receive.s, "(?"))
			ld_note(c, v->receive.line, "receive", v->receive.s,
				"read as a POSIX extended regular expression (ldirectord's was "
				"Perl's: its \\d, \\s, \\w and (?...) differ)");
		ld_vset(c, v, "check.expect_regex", v->receive.s, v->receive.line);
	} else if (v->receive.line) {
		ld_vset(c, v, "check.expect", v->receive.s, v->receive.line);
	}
	if (v->host.line)
		ld_vset(c, v, "check.host", v->host.s, v->host.line);
	if (v->head)
		ld_vset(c, v, "check.head", "true", v->head_line);
	/* ldirectord (LWP's is_success) takes any 2xx answer, and does not verify certificates */
	ld_vset(c, v, "check.expect_status", "200-299", ctl);
	if (type == FULCRUM_CHECK_HTTPS)
		ld_vset(c, v, "check.verify_tls", "false", ctl);
}

/* Notes the HTTP settings a check of another type does not use. */
static void ld_unused(struct ld_ctx *c, struct ld_virt *v, const char *type)
{
	const struct ld_text *t[] = {&v->request, &v->receive, &v->host};
	static const char *const names[] = {"request", "receive", "virtualhost"};

	for (size_t i = 0; i < 3; i++)
		if (t[i]->line)
			ld_note(c, t[i]->line, names[i], t[i]->s, "not used by a %s check: ignored",
				type);
	if (v->head_line)
		ld_note(c, v->head_line, "httpmethod", v->head ? "HEAD" : "GET",
			"not used by a %s check: ignored", type);
}

/* The check's timing and what a failure does. */
static void ld_check_timing(struct ld_ctx *c, struct ld_virt *v, const struct ld_plan *p)
{
	struct ld_opt interval =
	    c->checkinterval.val >= 0 ? c->checkinterval : (struct ld_opt){LD_DEFAULT_INTERVAL, 0};
	struct ld_opt timeout, fall;
	char b[96];

	if (v->checkinterval.val >= 0 && c->fork.val == 1) {
		interval = v->checkinterval;
	} else if (v->checkinterval.val >= 0) {
		char shown[24];

		snprintf(shown, sizeof(shown), "%ld", v->checkinterval.val);
		ld_note(
		    c, v->checkinterval.line, "checkinterval", shown,
		    "ignored, as ldirectord does when fork is not yes: the global %ld s applies",
		    interval.val);
	}
	if (p->negotiate)
		timeout = ld_pick(v->negotiatetimeout, v->checktimeout, c->negotiatetimeout,
				  c->checktimeout, LD_DEFAULT_NEGOTIATE);
	else
		timeout = ld_pick(v->checktimeout, v->negotiatetimeout, c->checktimeout,
				  c->negotiatetimeout, LD_DEFAULT_CHECK);
	fall = ld_pick(v->failurecount, c->failurecount, (struct ld_opt){-1, 0},
		       (struct ld_opt){-1, 0}, LD_DEFAULT_FALL);
	if (timeout.val > interval.val && !timeout.line) {
		char shown[24];

		/* the file chose neither: the closest Fulcrum takes, said */
		snprintf(shown, sizeof(shown), "%ld", timeout.val);
		ld_note(c, interval.line ? interval.line : v->line,
			p->negotiate ? "negotiatetimeout" : "checktimeout", shown,
			"ldirectord's default is longer than the check interval (%ld s), which "
			"Fulcrum does not take: the timeout is %ld s",
			interval.val, interval.val);
		timeout.val = interval.val;
	}
	if (timeout.val > interval.val) {
		char shown[24];

		/*
		 * The file chose a timeout longer than the interval. ldirectord
		 * ran it (a check could then take longer than the interval, so
		 * one started at most every timeout); Fulcrum's timeout stays
		 * within its interval: the interval grows to the timeout, said
		 * once per pair of lines.
		 */
		bool said = false;

		for (size_t i = 0; i < c->ntimeout_said; i++)
			said |= c->timeout_said[i][0] == timeout.line &&
				c->timeout_said[i][1] == interval.line;
		if (!said &&
		    c->ntimeout_said < sizeof(c->timeout_said) / sizeof(c->timeout_said[0])) {
			c->timeout_said[c->ntimeout_said][0] = timeout.line;
			c->timeout_said[c->ntimeout_said++][1] = interval.line;
		}
		snprintf(shown, sizeof(shown), "%ld", timeout.val);
		if (!said)
			ld_note(
			    c, timeout.line,
			    timeout.line == v->negotiatetimeout.line ||
				    timeout.line == c->negotiatetimeout.line
				? "negotiatetimeout"
				: "checktimeout",
			    shown,
			    "longer than the check interval (%s): ldirectord let a check run past "
			    "it, Fulcrum's timeout stays within its interval: the interval is %ld "
			    "s",
			    ld_source("checkinterval", interval, b, sizeof(b)), timeout.val);
		interval.val = timeout.val;
	}
	ld_vset_num(c, v, "check.interval", interval.val, interval.line);
	ld_vset_num(c, v, "check.timeout", timeout.val, timeout.line);
	ld_vset_num(c, v, "check.fall", fall.val, fall.line);
	ld_vset(c, v, "check.rise", "1", v->line);
}

/* A dotted IPv4 netmask's prefix length, or -1 when its ones are not contiguous. */
static int ld_prefix(const char *mask)
{
	struct fulcrum_addr a;
	uint32_t m;
	int n = 0;

	if (model_addr_parse(mask, &a) != 0 || a.family != AF_INET)
		return -1;
	m = ntohl(a.u.v4.s_addr);
	while (m & 0x80000000u) {
		m <<= 1;
		n++;
	}
	return m ? -1 : n;
}

static void ld_netmask(struct ld_ctx *c, struct ld_virt *v)
{
	const struct ld_text *t = &v->netmask;
	int prefix;

	if (!t->line)
		return;
	if (v->persistent.val <= 0) {
		ld_note(
		    c, t->line, "netmask", t->s,
		    "ignored without persistent, as ldirectord does (it passes -M only with -p)");
		return;
	}
	prefix = v->af == AF_INET ? ld_prefix(t->s) : -1;
	if (v->af == AF_INET6) {
		ld_vset(c, v, "persistence_netmask", t->s, t->line);
		return;
	}
	if (prefix < 0) {
		ld_error(c, t->line,
			 "netmask '%.64s' is not a dotted IPv4 netmask (ones, then zeros)", t->s);
		v->bad = true;
		return;
	}
	ld_vset_num(c, v, "persistence_netmask", prefix, t->line);
}

/* The fallback server: the block's, or the global one of its family (tcp and udp only). */
static void ld_fallback_set(struct ld_ctx *c, struct ld_virt *v, const struct ld_plan *p)
{
	const struct ld_fallback *f = &v->fallback;
	char addr[MODEL_ADDR_STRLEN];
	const char *fwd;
	unsigned port;

	if (!f->line &&
	    (v->vs.protocol == FULCRUM_PROTO_TCP || v->vs.protocol == FULCRUM_PROTO_UDP))
		f = v->af == AF_INET6 ? &c->fallback6 : &c->fallback4;
	if (!f->line)
		return;
	if (p->disable)
		return; /* noted with checktype off */
	fwd = model_forwarding_name(f->fb.forwarding);
	port = ld_server_port(c, v, fwd, f->port_given ? f->fb.port : -1, f->line,
			      v->af == AF_INET6 ? "fallback6" : "fallback", f->text);
	ld_vset(c, v, "fallback.address", model_addr_format(&f->fb.addr, addr, sizeof(addr)),
		f->line);
	ld_vset_num(c, v, "fallback.port", port, f->line);
	ld_vset(c, v, "fallback.forwarding", fwd, f->line);
}

/* The name, description, persistence, check and fallback of one block's service. */
static void ld_complete(struct ld_ctx *c, struct ld_virt *v)
{
	const char *svc = v->service[0] ? v->service : ld_port_service(v->vs.port);
	char name[FULCRUM_NAME_MAX + 1], desc[2 * LD_TEXT_MAX + 3];
	struct fulcrum_err err;
	struct ld_plan p;

	ld_vset(c, v, "name", config_key_name(&v->vs, name, sizeof(name)), v->line);
	if (v->servicename.line || v->comment.line) {
		snprintf(desc, sizeof(desc), "%s%s%s", v->servicename.s,
			 v->servicename.line && v->comment.line ? ": " : "", v->comment.s);
		ld_vset(c, v, "description", desc,
			v->servicename.line ? v->servicename.line : v->comment.line);
	}
	ld_netmask(c, v);
	p = ld_plan(c, v, svc);
	v->disable = p.disable;
	ld_vset(c, v, "check.type", model_check_type_name(p.type),
		v->checktype_line ? v->checktype_line : v->line);
	if (p.type == FULCRUM_CHECK_HTTP || p.type == FULCRUM_CHECK_HTTPS)
		ld_http(c, v, p.type);
	else
		ld_unused(c, v, model_check_type_name(p.type));
	if (p.type == FULCRUM_CHECK_EXTERNAL)
		ld_vset(c, v, "check.command", v->command.s, v->command.line);
	else if (v->command.line)
		ld_note(c, v->command.line, "checkcommand", v->command.s,
			"not used by a %s check: ignored", model_check_type_name(p.type));
	if (v->checkport.val >= 0)
		ld_vset_num(c, v, "check.check_port", v->checkport.val, v->checkport.line);
	/* a real server without a port (a firewall mark's) is checked on the service's port */
	v->check_port = v->checkport.val < 0 ? ld_service_port(svc) : 0;
	if (p.type != FULCRUM_CHECK_NONE)
		ld_check_timing(c, v, &p);
	{
		struct ld_opt q = ld_pick(v->quiescent, c->quiescent, (struct ld_opt){-1, 0},
					  (struct ld_opt){-1, 0}, 0);

		ld_vset(c, v, "check.on_failure", q.val ? "quiesce" : "remove",
			q.line ? q.line : v->line);
	}
	ld_fallback_set(c, v, &p);
	if (!v->bad && model_vs_validate(&v->vs, &err) != 0) {
		ld_error(c, ld_where(v, err.field), "%s", err.message);
		v->bad = true;
	}
}

static int ld_by_name(const void *a, const void *b)
{
	const struct ld_virt *x = *(const struct ld_virt *const *)a;
	const struct ld_virt *y = *(const struct ld_virt *const *)b;
	int d = strcmp(x->vs.name, y->vs.name);

	return d ? d : (x->line > y->line) - (x->line < y->line);
}

/* A second block of the same service: an error naming both lines; the later one is refused. */
static void ld_duplicates(struct ld_ctx *c)
{
	struct ld_virt **by = malloc((c->nvirts ? c->nvirts : 1) * sizeof(*by));
	size_t n = 0;

	if (!by) {
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < c->nvirts; i++)
		if (!c->virts[i].bad)
			by[n++] = &c->virts[i];
	qsort(by, n, sizeof(*by), ld_by_name);
	for (size_t i = 1, keep = 0; i < n; i++) {
		if (strcmp(by[keep]->vs.name, by[i]->vs.name) != 0) {
			keep = i;
			continue;
		}
		ld_error(c, by[i]->line, "service '%s' again: line %u already made it",
			 by[i]->vs.name, by[keep]->line);
		by[i]->bad = true;
	}
	free(by);
}

static int ld_by_endpoint(const void *a, const void *b)
{
	const struct ld_real *x = *(const struct ld_real *const *)a;
	const struct ld_real *y = *(const struct ld_real *const *)b;
	int d = memcmp(&x->rs.addr.u, &y->rs.addr.u, sizeof(x->rs.addr.u));

	if (x->rs.addr.family != y->rs.addr.family)
		return x->rs.addr.family < y->rs.addr.family ? -1 : 1;
	if (d)
		return d;
	if (x->rs.port != y->rs.port)
		return x->rs.port < y->rs.port ? -1 : 1;
	return (x > y) - (x < y);
}

/*
 * The line of an earlier real server of v at the same address and port, for
 * each one (0: none): a second one is refused (ipvsadm refused it too).
 * NULL when memory runs out.
 */
static unsigned *ld_real_twins(struct ld_virt *v)
{
	struct ld_real **by = malloc((v->nreals ? v->nreals : 1) * sizeof(*by));
	unsigned *twin = calloc(v->nreals ? v->nreals : 1, sizeof(*twin));

	if (!by || !twin) {
		free(by);
		free(twin);
		return NULL;
	}
	for (size_t i = 0; i < v->nreals; i++)
		by[i] = &v->reals[i];
	qsort(by, v->nreals, sizeof(*by), ld_by_endpoint);
	for (size_t i = 1, keep = 0; i < v->nreals; i++) {
		if (by[keep]->rs.addr.family != by[i]->rs.addr.family ||
		    memcmp(&by[keep]->rs.addr.u, &by[i]->rs.addr.u, sizeof(by[i]->rs.addr.u)) !=
			0 ||
		    by[keep]->rs.port != by[i]->rs.port) {
			keep = i;
			continue;
		}
		twin[by[i] - v->reals] = by[keep]->line;
	}
	free(by);
	return twin;
}

/* Adds v's service and each of its real servers the model takes to doc. */
static void ld_add(struct ld_ctx *c, struct config_doc *doc, struct ld_virt *v)
{
	struct config_service *s = config_doc_add_service(doc, &v->vs, v->line);
	unsigned *twin = ld_real_twins(v);
	struct fulcrum_err err;

	if (!s || !twin) {
		free(twin);
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < v->nreals && !c->oom; i++) {
		struct fulcrum_rs *rs = &v->reals[i].rs;
		char port[12], ep[MODEL_ENDPOINT_STRLEN];

		if (twin[i]) {
			ld_error(c, v->reals[i].line,
				 "real server %s again in service '%s': line %u has it already",
				 model_endpoint_format(&rs->addr, rs->port, ep, sizeof(ep)),
				 s->vs.name, twin[i]);
			continue;
		}

		if (v->disable)
			rs->admin_state = FULCRUM_RS_DISABLED;
		if (rs->port == 0 && v->check_port && s->vs.check.type != FULCRUM_CHECK_NONE &&
		    s->vs.check.type != FULCRUM_CHECK_EXTERNAL) {
			snprintf(port, sizeof(port), "%u", v->check_port);
			model_rs_set_field(rs, "check.check_port", port, NULL);
		}
		if (model_rs_validate(rs, &s->vs, &err) != 0)
			ld_error(c, v->reals[i].line, "%s", err.message);
		else if (config_service_add_real(s, rs, v->reals[i].line) != 0)
			c->oom = true;
	}
	free(twin);
}

void ld_finish(struct ld_ctx *c, struct config_doc *doc)
{
	/* a refused block whose key was read is made too, for its other errors, but not added */
	for (size_t i = 0; i < c->nvirts; i++)
		if (c->virts[i].vs.fwmark || c->virts[i].vs.addr.family != AF_UNSPEC)
			ld_complete(c, &c->virts[i]);
	ld_duplicates(c);
	for (size_t i = 0; i < c->nvirts && !c->oom; i++)
		if (!c->virts[i].bad)
			ld_add(c, doc, &c->virts[i]);
}
