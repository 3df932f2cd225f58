/* keepalived.conf importer: each virtual_server read, and its group's members, made into services. */
#include "controller/config/config_keepalived-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The check a real server gets in keepalived, settings inherited from its real and virtual server. */
struct kad_eff {
	enum fulcrum_check_type type;
	unsigned line; /* the checker's; 0: none */
	int64_t interval, timeout, fall, port;
	unsigned iline, tline; /* where interval and timeout were set (the checker's line if not) */
	bool tdefault;         /* the timeout is keepalived's default: the file sets none */
	bool remove;
	const char *ip, *path, *status, *regex, *host, *command;
};

static const struct kad_opt *pick(const struct kad_opt *a, const struct kad_opt *b,
				  const struct kad_opt *c)
{
	return a->val >= 0 ? a : b->val >= 0 ? b : c;
}

static void eff_of(const struct kad_vs *v, const struct kad_rs *r, struct kad_eff *e)
{
	const struct kad_check *c = &r->chk;
	const struct kad_opt *o;
	bool http = c->type == FULCRUM_CHECK_HTTP || c->type == FULCRUM_CHECK_HTTPS;

	memset(e, 0, sizeof(*e));
	e->type = c->line ? c->type : FULCRUM_CHECK_NONE;
	e->line = c->line;
	o = pick(&c->t.delay_loop, &r->t.delay_loop, &v->t.delay_loop);
	e->interval = o->val >= 0 ? o->val : 60; /* keepalived's default */
	e->iline = o->val >= 0 ? o->line : c->line;
	o = pick(&c->t.misc_timeout, &r->t.misc_timeout, &v->t.misc_timeout);
	if (o->val < 0 || c->type != FULCRUM_CHECK_EXTERNAL)
		o = pick(&c->t.connect_timeout, &r->t.connect_timeout, &v->t.connect_timeout);
	e->timeout = o->val >= 0 ? o->val : 5; /* keepalived's connect_timeout default */
	e->tdefault = o->val < 0;
	e->tline = o->val >= 0 ? o->line : e->iline;
	o = pick(&c->t.retry, &r->t.retry, &v->t.retry);
	/* keepalived tries retry more times after a failure: retry + 1 failures take it down */
	e->fall = (o->val >= 0 ? o->val : c->type == FULCRUM_CHECK_EXTERNAL ? 0 : 1) + 1;
	o = pick(&c->t.inhibit, &r->t.inhibit, &v->t.inhibit);
	e->remove = o->val != 1; /* keepalived removes a failed server unless inhibit_on_failure */
	e->port = c->connect_port.val;
	e->ip = c->connect_ip;
	e->command = c->command;
	if (http) {
		e->path = c->path ? c->path : "/";
		e->status = c->status ? c->status : "200-299"; /* keepalived's default */
		e->regex = c->regex_no_match ? NULL : c->regex;
		e->host = c->host            ? c->host
			  : r->t.virtualhost ? r->t.virtualhost
					     : v->t.virtualhost;
	}
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * Fulcrum's check timeout stays within its interval; keepalived's did not
 * have to (it scheduled the next check delay_loop after one ended). A
 * timeout the file sets above the interval grows the interval to it; the
 * default timeout (5 s) above a shorter delay_loop is cut to it. Either is
 * said when talk. A timeout of 0 is an error (false).
 */
static bool timing_ok(struct kad *k, struct kad_eff *e, bool talk)
{
	if (e->type == FULCRUM_CHECK_NONE || (e->timeout <= e->interval && e->timeout > 0))
		return true;
	if (e->timeout == 0) {
		kad_error(k, e->tline,
			  "check timeout 0 s: Fulcrum's is 1 s or more, at most the interval "
			  "(delay_loop %lld s, line %u)",
			  (long long)e->interval, e->iline);
		return false;
	}
	if (e->tdefault) {
		if (talk)
			kad_note(k, e->iline,
				 "keepalived's default connect_timeout (5 s) is longer than "
				 "delay_loop %lld s: Fulcrum's timeout stays within its interval: "
				 "the timeout is %lld s",
				 (long long)e->interval, (long long)e->interval);
		e->timeout = e->interval;
		return true;
	}
	if (talk)
		kad_note(k, e->tline,
			 "check timeout %lld s is longer than its interval %lld s (delay_loop, "
			 "line %u): keepalived started the next check delay_loop after one "
			 "ended; Fulcrum's timeout stays within its interval: the interval is "
			 "%lld s",
			 (long long)e->timeout, (long long)e->interval, e->iline,
			 (long long)e->timeout);
	e->interval = e->timeout;
	return true;
}

/* Sets field to value (or the number n when value is NULL); an error at line when refused. */
static bool vs_set(struct kad *k, struct fulcrum_vs *vs, const char *field, const char *value,
		   int64_t n, unsigned line)
{
	struct fulcrum_err err;
	char num[24];

	if (!value)
		snprintf(num, sizeof(num), "%lld", (long long)n), value = num;
	if (model_vs_set_field(vs, field, value, &err) == 0)
		return true;
	kad_error(k, line, "%s", err.message);
	return false;
}

static bool rs_set(struct kad *k, struct fulcrum_rs *rs, const char *field, const char *value,
		   int64_t n, unsigned line)
{
	struct fulcrum_err err;
	char num[24];

	if (!value)
		snprintf(num, sizeof(num), "%lld", (long long)n), value = num;
	if (model_rs_set_field(rs, field, value, &err) == 0)
		return true;
	kad_error(k, line, "%s", err.message);
	return false;
}

/* The service's check from e (the first checked real server's); false on a refusal. */
static bool set_check(struct kad *k, struct fulcrum_vs *vs, const struct kad_eff *e, bool talk)
{
	bool ok = true;
	unsigned l = e->line;

	ok = ok && vs_set(k, vs, "check.on_failure", e->remove ? "remove" : "quiesce", 0, l);
	if (e->type == FULCRUM_CHECK_NONE)
		return ok;
	ok = ok && vs_set(k, vs, "check.type", model_check_type_name(e->type), 0, l);
	if (e->path) {
		ok = ok && vs_set(k, vs, "check.path", e->path, 0, l);
		ok = ok && vs_set(k, vs, "check.expect_status", e->status, 0, l);
	}
	if (e->host)
		ok = ok && vs_set(k, vs, "check.host", e->host, 0, l);
	if (e->regex)
		ok = ok && vs_set(k, vs, "check.expect_regex", e->regex, 0, l);
	if (e->type == FULCRUM_CHECK_HTTPS) {
		ok = ok && vs_set(k, vs, "check.verify_tls", "false", 0, l);
		if (talk)
			kad_note(k, l,
				 "'SSL_GET': check.verify_tls false: keepalived does not verify "
				 "the server's certificate (set it true if a CA you trust signs "
				 "them)");
	}
	if (e->type == FULCRUM_CHECK_EXTERNAL && !e->command) {
		kad_error(k, l, "MISC_CHECK: misc_path is required");
		return false;
	}
	if (e->command)
		ok = ok && vs_set(k, vs, "check.command", e->command, 0, l);
	ok = ok && vs_set(k, vs, "check.interval", NULL, e->interval, e->iline);
	ok = ok && e->timeout > 0 && vs_set(k, vs, "check.timeout", NULL, e->timeout, e->tline);
	ok = ok && vs_set(k, vs, "check.rise", "1", 0, l);
	ok = ok && vs_set(k, vs, "check.fall", NULL, e->fall > 100 ? 100 : e->fall, l);
	if (e->port >= 0)
		ok = ok && vs_set(k, vs, "check.check_port", NULL, e->port, l);
	if (e->ip)
		ok = ok && vs_set(k, vs, "check.check_address", e->ip, 0, l);
	return ok;
}

/* r's own check where it differs from the service's (svc); false on a refusal. */
static bool set_override(struct kad *k, struct fulcrum_rs *rs, const struct kad_eff *svc,
			 const struct kad_eff *e, unsigned rline, bool talk)
{
	unsigned l = e->line ? e->line : rline;
	bool ok = true;

	if (svc->type == FULCRUM_CHECK_NONE)
		return true;
	if (e->type != svc->type)
		ok = rs_set(k, rs, "check.type", model_check_type_name(e->type), 0, l);
	if (e->type == FULCRUM_CHECK_NONE)
		return ok;
	if (talk && (!same(e->path, svc->path) || !same(e->status, svc->status) ||
		     !same(e->regex, svc->regex) || !same(e->host, svc->host) ||
		     !same(e->command, svc->command)))
		kad_note(k, l,
			 "checker differs from the service's (line %u) in what it asks: "
			 "Fulcrum asks every real server of a service the same, the service's "
			 "is kept",
			 svc->line);
	if (e->interval != svc->interval)
		ok = ok && rs_set(k, rs, "check.interval", NULL, e->interval, e->iline);
	if (e->timeout != svc->timeout)
		ok = ok && e->timeout > 0 &&
		     rs_set(k, rs, "check.timeout", NULL, e->timeout, e->tline);
	if (e->fall != svc->fall)
		ok = ok && rs_set(k, rs, "check.fall", NULL, e->fall > 100 ? 100 : e->fall, l);
	/* where it checks: its own port (0) when the service's names another */
	if (e->port != svc->port)
		ok = ok && rs_set(k, rs, "check.check_port", NULL, e->port < 0 ? 0 : e->port, l);
	if (!same(e->ip, svc->ip)) { /* its own address, named: the model has no "unset" here */
		char a[MODEL_ADDR_STRLEN];

		ok = ok && rs_set(k, rs, "check.check_address",
				  e->ip ? e->ip : model_addr_format(&rs->addr, a, sizeof(a)), 0, l);
	}
	if (e->remove != svc->remove)
		ok =
		    ok && rs_set(k, rs, "check.on_failure", e->remove ? "remove" : "quiesce", 0, l);
	return ok;
}

static void make_name(struct fulcrum_vs *vs)
{
	char name[FULCRUM_NAME_MAX + 1];

	snprintf(vs->name, sizeof(vs->name), "%s", config_key_name(vs, name, sizeof(name)));
}

/*
 * The slot of the name table (service index + 1, 0: free) that holds name or
 * would: open addressing over KAD_NAMES slots, more than twice the services
 * made, so that a file of 10,000 services is not 50 million comparisons.
 */
static uint32_t *name_slot(struct kad *k, const char *name)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	for (uint32_t i = 0;; i++) {
		uint32_t *slot = &k->names[(h + i) & (KAD_NAMES - 1)];

		if (!*slot || strcmp(k->doc->services[*slot - 1].vs.name, name) == 0)
			return slot;
	}
}

/*
 * The slot of table (size: a power of 2, more than the real servers of svc)
 * that holds the index + 1 of svc's real server at rs's address and port, or
 * would (0): a service of 100,000 real servers is not 5 billion comparisons.
 */
static size_t *real_slot(size_t *table, size_t size, const struct config_service *svc,
			 const struct fulcrum_rs *rs)
{
	const uint8_t *b = (const uint8_t *)&rs->addr.u;
	size_t n = rs->addr.family == AF_INET6 ? 16 : 4;
	uint32_t h = 2166136261u ^ rs->port;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	for (size_t i = 0;; i++) {
		size_t *slot = &table[(h + i) & (size - 1)];
		const struct fulcrum_rs *o = *slot ? &svc->reals[*slot - 1] : NULL;

		if (!o || (o->port == rs->port && model_addr_equal(&o->addr, &rs->addr)))
			return slot;
	}
}

static void add_reals(struct kad *k, const struct kad_vs *v, struct config_service *svc,
		      const struct kad_eff *se, bool talk)
{
	struct fulcrum_err err;
	size_t size = 8, *table, *slot;

	if (k->limit_said[KAD_L_REALS])
		return;
	while (size <= 2 * v->nrs)
		size *= 2;
	if (!(table = calloc(size, sizeof(*table)))) {
		k->rc = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < v->nrs && k->rc == 0; i++) {
		const struct kad_rs *r = &v->rs[i];
		const struct kad_fwd *f = r->fwd.set ? &r->fwd : &v->fwd;
		struct fulcrum_rs rs = r->rs;
		struct kad_eff e;
		bool ok = !r->bad;

		if (kad_full(k, KAD_L_REALS,
			     r->line)) /* each one tried counts: work stays bounded */
			break;
		if (!ok)
			continue;
		eff_of(v, r, &e);
		if (f->set) {
			ok = rs_set(k, &rs, "forwarding", f->fwd, 0, r->line);
			if (ok && f->tun[0])
				ok = rs_set(k, &rs, "tunnel_type", f->tun, 0, r->line);
			if (ok && f->port[0])
				ok = rs_set(k, &rs, "tunnel_port", f->port, 0, r->line);
		}
		if (ok && !r->port_given && !svc->vs.fwmark && rs.forwarding == FULCRUM_FWD_MASQ &&
		    svc->vs.port) {
			ok = rs_set(k, &rs, "port", NULL, svc->vs.port, r->line);
			if (talk)
				kad_note(k, r->line,
					 "real server without a port: the service's (%u), "
					 "as masq forwarding needs one",
					 (unsigned)svc->vs.port);
		}
		ok = ok && timing_ok(k, &e, talk) && set_override(k, &rs, se, &e, r->line, talk);
		if (ok && model_rs_validate(&rs, &svc->vs, &err) != 0) {
			if (talk)
				kad_error(k, r->line, "%s", err.message);
			ok = false;
		}
		if (ok && *(slot = real_slot(table, size, svc, &rs))) {
			if (talk) /* ipvsadm refuses the second: so does the store */
				kad_error(k, r->line, "real server again: also at line %u",
					  svc->real_lines[*slot - 1]);
			ok = false;
		}
		if (ok && config_service_add_real(svc, &rs, r->line) != 0)
			k->rc = -ENOMEM;
		else if (ok)
			*slot = svc->nreals;
	}
	free(table);
}

/* One service of v: at addr/port (text), or of fwmark when addr is NULL; line: where its key is. */
static void make_one(struct kad *k, const struct kad_vs *v, const char *addr, const char *port,
		     uint32_t fwmark, bool v6, unsigned line, bool talk)
{
	struct fulcrum_vs vs = v->vs;
	struct config_service *svc;
	struct fulcrum_err err;
	struct kad_eff se = {.type = FULCRUM_CHECK_NONE, .port = -1};
	const struct kad_rs *first = NULL;
	uint32_t *slot;
	bool ok;

	if (kad_full(k, KAD_L_SERVICES, line))
		return; /* each one tried counts: a group of a million addresses stays fast */

	if (addr) {
		ok = vs_set(k, &vs, "address", addr, 0, line) &&
		     vs_set(k, &vs, "port", port, 0, line);
		ok = ok && (v->proto_set || vs_set(k, &vs, "protocol", "tcp", 0, line));
	} else {
		ok = vs_set(k, &vs, "address", "", 0, line) &&
		     vs_set(k, &vs, "protocol", "", 0, line);
		ok = ok && vs_set(k, &vs, "fwmark", NULL, fwmark, line);
		ok = ok && vs_set(k, &vs, "family", v6 || v->family6 ? "ipv6" : "ipv4", 0, line);
		if (talk && v->proto_set)
			kad_note(k, v->proto_line,
				 "'protocol': ignored: a firewall-mark service "
				 "takes packets by their mark alone");
	}
	if (!ok)
		return;
	make_name(&vs);
	for (size_t i = 0; i < v->nrs && !first; i++)
		if (v->rs[i].chk.line && !v->rs[i].bad)
			first = &v->rs[i];
	if (first)
		eff_of(v, first, &se);
	else
		se.remove = v->t.inhibit.val != 1;
	if (!timing_ok(k, &se, talk) || !set_check(k, &vs, &se, talk))
		return;
	if (v->sorry_addr) {
		const struct kad_fwd *f = v->sorry_fwd.set ? &v->sorry_fwd : &v->fwd;

		ok = vs_set(k, &vs, "fallback.address", v->sorry_addr, 0, v->line) &&
		     vs_set(k, &vs, "fallback.port", v->sorry_port, 0, v->line) &&
		     vs_set(k, &vs, "fallback.forwarding", f->set ? f->fwd : "masq", 0, v->line);
		if (!ok)
			return;
	}
	if (model_vs_validate(&vs, &err) != 0) {
		kad_error(k, line, "%s", err.message);
		return;
	}
	if ((slot = name_slot(k, vs.name)) && *slot) {
		kad_error(k, line, "service '%s' again: also at line %u", vs.name,
			  k->doc->services[*slot - 1].line);
		return;
	}
	if (!(svc = config_doc_add_service(k->doc, &vs, line))) {
		k->rc = -ENOMEM;
		return;
	}
	*slot = (uint32_t)k->doc->nservices;
	add_reals(k, v, svc, &se, talk);
}

/* A group member's addresses: one, or a range "A-N" of the last byte (IPv4) or group (IPv6). */
static void make_member(struct kad *k, const struct kad_vs *v, const struct kad_member *m,
			bool *talk)
{
	char a[MODEL_ADDR_STRLEN + 8], *dash;
	const char *port = m->port ? m->port : "0";
	struct fulcrum_addr lo;
	uint64_t end;

	if (!m->addr) {
		make_one(k, v, NULL, NULL, m->fwmark, m->v6, m->line, *talk);
		*talk = false;
		return;
	}
	if (strlen(m->addr) >= sizeof(a) || strchr(m->addr, '/')) {
		kad_note(k, m->line, "'%.64s': not imported: list a network's addresses one by one",
			 m->addr);
		return;
	}
	strcpy(a, m->addr);
	if (!(dash = strchr(a, '-'))) {
		make_one(k, v, a, port, 0, false, m->line, *talk);
		*talk = false;
		return;
	}
	*dash++ = '\0';
	if (model_addr_parse(a, &lo) != 0) {
		kad_error(k, m->line, "'%.64s': not an address range A-N", m->addr);
		return;
	}
	if (strchr(dash, '.') || strchr(dash, ':')) {
		kad_note(k, m->line,
			 "'%.64s': not imported: only ranges of the last byte or group (A-N) "
			 "are expanded; list the addresses",
			 m->addr);
		return;
	}
	if (lo.family == AF_INET) {
		unsigned first = ntohl(lo.u.v4.s_addr) & 0xff;

		if (!kad_uint(dash, 255, &end) || end < first) {
			kad_error(k, m->line,
				  "'%.64s': the range's end is below its start or past 255",
				  m->addr);
			return;
		}
		for (unsigned b = first; b <= end && k->rc == 0; b++) {
			lo.u.v4.s_addr = htonl((ntohl(lo.u.v4.s_addr) & ~0xffu) | b);
			model_addr_format(&lo, a, sizeof(a));
			make_one(k, v, a, port, 0, false, m->line, *talk);
			*talk = false;
		}
		return;
	}
	end = strtoull(dash, &dash, 16);
	{
		unsigned first = (unsigned)lo.u.v6.s6_addr[14] << 8 | lo.u.v6.s6_addr[15];

		if (*dash || end > 0xffff || end < first) {
			kad_error(k, m->line, "'%.64s': not an address range A-N", m->addr);
			return;
		}
		if (end - first >= 256) {
			kad_note(k, m->line,
				 "'%.64s': not imported: more than 256 services; list "
				 "the addresses in use",
				 m->addr);
			return;
		}
		for (unsigned g = first; g <= end && k->rc == 0; g++) {
			lo.u.v6.s6_addr[14] = (uint8_t)(g >> 8);
			lo.u.v6.s6_addr[15] = (uint8_t)g;
			model_addr_format(&lo, a, sizeof(a));
			make_one(k, v, a, port, 0, false, m->line, *talk);
			*talk = false;
		}
	}
}

void kad_lvs_finish(struct kad *k)
{
	if (k->doc->nservices >= KAD_NAMES / 2) {
		kad_error(k, 0, "the document already holds %zu services", k->doc->nservices);
		return;
	}
	if (!(k->names = calloc(KAD_NAMES, sizeof(*k->names)))) {
		k->rc = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < k->doc->nservices; i++) /* what doc held before: names taken */
		*name_slot(k, k->doc->services[i].vs.name) = (uint32_t)i + 1;
	for (size_t i = 0; i < k->nvs && k->rc == 0; i++) {
		const struct kad_vs *v = &k->vs[i];
		struct kad_group *g = NULL;
		bool talk = true;

		if (v->bad)
			continue;
		if (v->key == KAD_KEY_ADDR) {
			make_one(k, v, v->addr, v->port, 0, false, v->line, true);
			continue;
		}
		if (v->key == KAD_KEY_FWMARK) {
			make_one(k, v, NULL, NULL, v->fwmark, false, v->line, true);
			continue;
		}
		for (size_t j = 0; j < k->ngroups && !g; j++)
			if (v->group && strcmp(k->groups[j].name, v->group) == 0)
				g = &k->groups[j];
		if (!g) {
			kad_error(k, v->line,
				  "virtual_server group '%.64s': no such "
				  "virtual_server_group",
				  v->group ? v->group : "");
			continue;
		}
		g->used = true;
		for (size_t j = 0; j < g->n && k->rc == 0; j++)
			make_member(k, v, &g->m[j], &talk);
	}
	for (size_t j = 0; j < k->ngroups; j++)
		if (!k->groups[j].used)
			kad_note(k, k->groups[j].line,
				 "virtual_server_group '%.64s': used by no virtual_server: not "
				 "imported",
				 k->groups[j].name);
}

static void timing_free(struct kad_timing *t)
{
	free(t->virtualhost);
}

void kad_lvs_free(struct kad *k)
{
	for (size_t i = 0; i < k->nvs; i++) {
		struct kad_vs *v = &k->vs[i];

		for (size_t j = 0; j < v->nrs; j++) {
			struct kad_check *c = &v->rs[j].chk;

			timing_free(&v->rs[j].t);
			timing_free(&c->t);
			free(c->path), free(c->status), free(c->regex), free(c->host);
			free(c->command), free(c->connect_ip);
		}
		timing_free(&v->t);
		free(v->rs), free(v->addr), free(v->port), free(v->group);
		free(v->sorry_addr), free(v->sorry_port);
	}
	free(k->vs);
	k->vs = NULL;
	free(k->names);
	k->names = NULL;
	k->nvs = 0;
}
