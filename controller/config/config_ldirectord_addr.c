/* The ldirectord importer's addresses: virtual=, real= (ranges too) and fallback= lines. */
#include "controller/config/config_ldirectord-int.h"
#include "controller/model/model.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Port names a file may use; Fulcrum reads no /etc/services, so these are the ones it knows. */
static const struct {
	const char *name;
	unsigned port;
} ld_ports[] = {
    {"ftp", 21},         {"ssh", 22},     {"telnet", 23},  {"smtp", 25},   {"domain", 53},
    {"http", 80},        {"www", 80},     {"pop3", 110},   {"nntp", 119},  {"ntp", 123},
    {"imap", 143},       {"imap2", 143},  {"snmp", 161},   {"ldap", 389},  {"https", 443},
    {"submission", 587}, {"ldaps", 636},  {"imaps", 993},  {"pop3s", 995}, {"ms-sql-s", 1433},
    {"radius", 1812},    {"squid", 3128}, {"mysql", 3306}, {"sip", 5060},  {"postgresql", 5432},
    {"http-alt", 8080},
};

/* A decimal number of at most 9 digits (ldirectord's values are all small), or -1. */
long ld_number(const char *s)
{
	long n = 0;

	if (!*s || strlen(s) > 9)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (*s - '0');
	}
	return n;
}

/* A port as a number or a name the table knows; -1 when it is neither, -2 beyond 65535. */
static long ld_port(const char *s)
{
	long n = ld_number(s);

	if (n >= 0)
		return n > 65535 ? -2 : n;
	for (size_t i = 0; i < sizeof(ld_ports) / sizeof(ld_ports[0]); i++)
		if (strcmp(s, ld_ports[i].name) == 0)
			return (long)ld_ports[i].port;
	return -1;
}

/* Reports a port ld_port() refused; returns -EINVAL. */
static int ld_port_refused(struct ld_ctx *c, unsigned line, const char *what, const char *s,
			   long why)
{
	char shown[72];

	ld_error(c, line,
		 why == -2 ? "%s port '%s' is outside 0..65535"
			   : "%s port '%s' is neither a number nor a port name Fulcrum knows "
			     "(write the number: /etc/services is not read)",
		 what, ld_show(s, shown, sizeof(shown)));
	return -EINVAL;
}

/* The forwarding method of ldirectord's word, as the model names it, or NULL. */
static const char *ld_forwarding(const char *word)
{
	if (strcmp(word, "gate") == 0)
		return "route";
	if (strcmp(word, "masq") == 0)
		return "masq";
	if (strcmp(word, "ipip") == 0)
		return "tunnel";
	return NULL;
}

/*
 * The port a real or fallback server gets: ipvsadm gives one written without
 * a port the service's, and gate and ipip cannot change the port, so ipvsadm
 * sets the service's there (a firewall-mark service has none: 0).
 */
unsigned ld_server_port(struct ld_ctx *c, const struct ld_virt *v, const char *fwd, long port,
			unsigned line, const char *name, const char *value)
{
	unsigned want = v->vs.port;

	if (strcmp(fwd, "masq") == 0)
		return port > 0 || v->vs.fwmark ? (unsigned)(port < 0 ? 0 : port) : want;
	if (port > 0 && (unsigned)port != want && v->vs.fwmark)
		ld_note(c, line, name, value,
			"a firewall-mark service has no port and gate and ipip forwarding cannot "
			"change it: port 0");
	else if (port > 0 && (unsigned)port != want)
		ld_note(c, line, name, value,
			"gate and ipip forwarding cannot change the port: port %u, the "
			"service's, as ipvsadm sets it",
			want);
	return want;
}

/* Splits "addr[:port]" or "[v6][:port]" at its port; *port -1 when none. Returns the address. */
static char *ld_split_port(struct ld_ctx *c, char *s, long *port, unsigned line, bool *bad)
{
	char *colon;

	*port = -1;
	if (s[0] == '[') {
		char *end = strchr(s, ']');

		if (!end || (end[1] && end[1] != ':')) {
			*bad = true;
			return s;
		}
		*end = '\0';
		colon = end[1] == ':' ? end + 1 : NULL;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (colon)
			*colon = '\0';
	}
	if (colon && (*port = ld_port(colon + 1)) < 0) {
		ld_port_refused(c, line, "the", colon + 1, *port);
		*bad = true;
	}
	return s;
}

/* Parses address text of family af into a; an error naming what when it is not one. */
static int ld_addr(struct ld_ctx *c, const char *text, int af, struct fulcrum_addr *a,
		   unsigned line, const char *what)
{
	char shown[72];

	if (model_addr_parse(text, a) == 0 && a->family == af)
		return 0;
	if (model_addr_parse(text, a) == 0)
		ld_error(c, line, "%s '%s' is %s: write it in a %s block", what,
			 ld_show(text, shown, sizeof(shown)),
			 a->family == AF_INET6 ? "IPv6" : "IPv4",
			 a->family == AF_INET6 ? "virtual6 (real6, fallback6, in brackets)"
					       : "virtual (real, fallback)");
	else if (strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
		     strlen(text) &&
		 *text)
		ld_error(c, line,
			 "%s '%s' is a host name: Fulcrum takes addresses (ldirectord resolved "
			 "names when it started)",
			 what, ld_show(text, shown, sizeof(shown)));
	else
		ld_error(c, line, "%s '%s' is not an %s address", what,
			 ld_show(text, shown, sizeof(shown)), af == AF_INET6 ? "IPv6" : "IPv4");
	return -EINVAL;
}

/* "virtual=ADDR:PORT", "virtual6=[ADDR]:PORT" or a firewall mark: a new block. */
struct ld_virt *ld_virtual(struct ld_ctx *c, const char *name, char *value, unsigned line)
{
	struct fulcrum_addr a;
	struct ld_virt *v;
	bool bad = false;
	char *addr, buf[24];
	long port;

	if (c->nvirts >= LD_VIRT_MAX) {
		ld_error(c, line,
			 "more than %u virtual services: this one and the rest are refused",
			 LD_VIRT_MAX);
		return NULL;
	}
	if (c->nvirts == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 8;
		void *p = realloc(c->virts, ncap * sizeof(*c->virts));

		if (!p) {
			c->oom = true;
			return NULL;
		}
		c->virts = p;
		c->cap = ncap;
	}
	v = &c->virts[c->nvirts++];
	memset(v, 0, sizeof(*v));
	v->line = line;
	v->af = strcmp(name, "virtual6") == 0 ? AF_INET6 : AF_INET;
	model_vs_init(&v->vs);
	/* ldirectord's default scheduler is wrr (the model's is wlc) */
	ld_vset(c, v, "scheduler", "wrr", line);
	v->checktimeout = v->negotiatetimeout = v->checkinterval = v->failurecount = v->quiescent =
	    v->checkport = v->persistent = (struct ld_opt){-1, 0};
	if (ld_number(value) >= 0) {
		/* ldirectord: a firewall-mark service's protocol is fwm, its service none */
		if (ld_number(value) == 0) {
			ld_error(c, line, "firewall mark 0: a mark is greater than zero");
			v->bad = true;
		} else if (ld_vset(c, v, "fwmark", value, line) == 0)
			ld_vset(c, v, "family", v->af == AF_INET6 ? "ipv6" : "ipv4", line);
		snprintf(v->service, sizeof(v->service), "none");
		return v;
	}
	addr = ld_split_port(c, value, &port, line, &bad);
	if (!bad && port < 0) {
		ld_error(c, line,
			 "virtual service without a port (ADDRESS:PORT or a firewall mark)");
		bad = true;
	}
	if (bad || ld_addr(c, addr, v->af, &a, line, "virtual service address") != 0) {
		v->bad = true;
		return v;
	}
	snprintf(buf, sizeof(buf), "%ld", port);
	if (ld_vset(c, v, "address", addr, line) != 0 || ld_vset(c, v, "port", buf, line) != 0)
		return v;
	/* ldirectord's default protocol: udp on port 53, tcp otherwise */
	ld_vset(c, v, "protocol", port == 53 ? "udp" : "tcp", line);
	return v;
}

/* Appends rs (read at line) to v; false when the file holds too many or memory ran out. */
static bool ld_real_add(struct ld_ctx *c, struct ld_virt *v, const struct fulcrum_rs *rs,
			unsigned line)
{
	if (c->nreals >= LD_REALS_MAX) {
		ld_error(c, line, "more than %u real servers in the file: the rest are refused",
			 LD_REALS_MAX);
		return false;
	}
	if (v->nreals == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 4;
		void *p = realloc(v->reals, ncap * sizeof(*v->reals));

		if (!p) {
			c->oom = true;
			return false;
		}
		v->reals = p;
		v->cap = ncap;
	}
	v->reals[v->nreals].rs = *rs;
	v->reals[v->nreals++].line = line;
	c->nreals++;
	return true;
}

/* Reads "l:N" or "u:N" (letter) at *p into rs's field, if there; 0 or -EINVAL. */
static int ld_threshold(struct ld_ctx *c, char **p, char letter, struct fulcrum_rs *rs,
			const char *field, unsigned line)
{
	char num[16];
	size_t n;

	if ((*p)[0] != letter || (*p)[1] != ':')
		return 0;
	n = strspn(*p + 2, "0123456789");
	if (n == 0 || n > 9 || ((*p)[2 + n] && !strchr(" \t", (*p)[2 + n]))) {
		ld_error(c, line, "real server: %c: needs a number (%s)", letter, field);
		return -EINVAL;
	}
	snprintf(num, sizeof(num), "%.*s", (int)n, *p + 2);
	model_rs_set_field(rs, field, num, NULL);
	*p += 2 + n;
	*p += strspn(*p, " \t");
	return 0;
}

/* Reads the words after a real server's address: forwarding [weight] ["req", "recv"] [l:N] [u:N]. */
static int ld_real_flags(struct ld_ctx *c, struct ld_virt *v, char *p, struct fulcrum_rs *rs,
			 unsigned line, const char *name, const char *value)
{
	char shown[72], word[16];
	struct fulcrum_err err;
	size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz");
	const char *fwd;

	snprintf(word, sizeof(word), "%.*s", (int)(n < 15 ? n : 15), p);
	if (!(fwd = ld_forwarding(word)) || n >= sizeof(word)) {
		ld_error(c, line, "real server: forwarding must be gate, masq or ipip");
		return -EINVAL;
	}
	model_rs_set_field(rs, "forwarding", fwd, NULL);
	p += n;
	p += strspn(p, " \t");
	if ((n = strspn(p, "0123456789")) > 0) {
		char num[16];

		snprintf(num, sizeof(num), "%.*s", (int)(n < 15 ? n : 15), p);
		if (n > 9 || model_rs_set_field(rs, "weight", num, &err) != 0) {
			ld_error(c, line, "real server weight: %s is outside 0..65535", num);
			return -EINVAL;
		}
		p += n;
		p += strspn(p, " \t");
	}
	if (*p == '"') {
		char *end = strchr(p + 1, '"');

		if (end && (end = strchr(end + 1 + strspn(end + 1, " \t,"), '"')))
			end = strchr(end + 1, '"');
		if (!end) {
			ld_error(c, line,
				 "real server: request and receive must be two quoted strings");
			return -EINVAL;
		}
		ld_note(c, line, name, value,
			"a real server's own request and receive: ignored, Fulcrum asks every real "
			"server of a service the same (the service's request and receive)");
		p = end + 1;
		p += strspn(p, " \t");
	}
	if (ld_threshold(c, &p, 'l', rs, "lower_threshold", line) != 0 ||
	    ld_threshold(c, &p, 'u', rs, "upper_threshold", line) != 0)
		return -EINVAL;
	if (*p) {
		ld_error(c, line, "real server: unexpected '%s'", ld_show(p, shown, sizeof(shown)));
		return -EINVAL;
	}
	(void)v;
	return 0;
}

/* "real=ADDR[->ADDR][:PORT] gate|masq|ipip [weight] ..." and real6: one or more real servers. */
void ld_real(struct ld_ctx *c, struct ld_virt *v, const char *name, char *value, unsigned line)
{
	char *copy = strdup(value), *flags, *first, *last = NULL, *arrow;
	struct fulcrum_addr a, b;
	struct fulcrum_rs rs;
	bool bad = false;
	long port;
	uint32_t lo, hi;

	if (!copy) {
		c->oom = true;
		return;
	}
	if ((strcmp(name, "real6") == 0) != (v->af == AF_INET6)) {
		ld_error(c, line, "%s in a %s block: use %s", name,
			 v->af == AF_INET6 ? "virtual6" : "virtual",
			 v->af == AF_INET6 ? "real6" : "real");
		goto out;
	}
	flags = copy + strcspn(copy, " \t");
	if (!*flags) {
		ld_error(c, line, "real server without a forwarding method (gate, masq or ipip)");
		goto out;
	}
	*flags++ = '\0';
	flags += strspn(flags, " \t");
	if ((arrow = strstr(copy, "->"))) {
		*arrow = '\0';
		last = arrow + 2;
	}
	first = last ? copy : ld_split_port(c, copy, &port, line, &bad);
	if (last)
		last = ld_split_port(c, last, &port, line, &bad);
	if (bad)
		goto out;
	model_rs_init(&rs);
	if (ld_real_flags(c, v, flags, &rs, line, name, value) != 0 ||
	    ld_addr(c, first, v->af, &a, line, "real server address") != 0)
		goto out;
	rs.port = (uint16_t)ld_server_port(c, v, model_forwarding_name(rs.forwarding), port, line,
					   name, value);
	if (!last) {
		rs.addr = a;
		ld_real_add(c, v, &rs, line);
		goto out;
	}
	if (v->af == AF_INET6) {
		ld_error(c, line, "an address range of IPv6 real servers (ldirectord has none)");
		goto out;
	}
	if (ld_addr(c, last, v->af, &b, line, "real server range end") != 0)
		goto out;
	lo = ntohl(a.u.v4.s_addr);
	hi = ntohl(b.u.v4.s_addr);
	if (lo > hi) {
		ld_error(c, line, "real server range: the first address is above the last");
		goto out;
	}
	for (uint64_t i = lo; i <= hi; i++) {
		rs.addr.family = AF_INET;
		rs.addr.u.v4.s_addr = htonl((uint32_t)i);
		if (!ld_real_add(c, v, &rs, line))
			break;
	}
out:
	free(copy);
}

/* "fallback=ADDR[:PORT] [gate|masq|ipip]", its forwarding gate when none is written. */
int ld_fallback(struct ld_ctx *c, struct ld_fallback *f, int af, const char *name, char *value,
		unsigned line)
{
	char *copy = strdup(value), *fwd, *addr;
	const char *how = "route";
	bool bad = false;
	long port;
	int rc = -EINVAL;

	if (!copy) {
		c->oom = true;
		return -ENOMEM;
	}
	snprintf(f->text, sizeof(f->text), "%s", value);
	fwd = copy + strcspn(copy, " \t");
	if (*fwd) {
		*fwd++ = '\0';
		fwd += strspn(fwd, " \t");
		if (!(how = ld_forwarding(fwd))) {
			ld_error(c, line, "%s: forwarding must be gate, masq or ipip", name);
			goto out;
		}
	}
	addr = ld_split_port(c, copy, &port, line, &bad);
	if (bad || ld_addr(c, addr, af, &f->fb.addr, line, "fallback address") != 0)
		goto out;
	model_forwarding_parse(how, &f->fb.forwarding);
	f->port_given = port >= 0;
	f->fb.port = port < 0 ? 0 : (uint16_t)port;
	f->line = line;
	rc = 0;
out:
	free(copy);
	return rc;
}
