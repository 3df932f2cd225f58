/* keepalived.conf importer: virtual_server, real_server and checker blocks, made into services. */
#include "controller/config/config_keepalived-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static struct kad_vs *cur_vs(struct kad *k)
{
	return &k->vs[k->nvs - 1];
}

static struct kad_rs *cur_rs(struct kad *k)
{
	struct kad_vs *v = cur_vs(k);

	return &v->rs[v->nrs - 1];
}

static void opt_unset(struct kad_timing *t)
{
	t->delay_loop.val = t->connect_timeout.val = t->retry.val = -1;
	t->inhibit.val = t->misc_timeout.val = -1;
}

/* Replaces *dst with a copy of s. */
static void set_str(struct kad *k, char **dst, const char *s)
{
	free(*dst);
	*dst = kad_strdup(k, s);
}

/* A model refusal while reading: "FILE:LINE: <the model's message>"; marks *bad. */
static void refused(struct kad *k, unsigned line, const struct fulcrum_err *err, bool *bad)
{
	kad_error(k, line, "%s", err->message);
	*bad = true;
}

void kad_lvs_open_vs(struct kad *k, const struct kad_stmt *s)
{
	struct fulcrum_addr a;
	struct kad_vs *v;
	uint64_t mark = 0;
	bool fwmark = s->n == 3 && strcmp(s->w[1], "fwmark") == 0;
	bool group = s->n == 3 && strcmp(s->w[1], "group") == 0;

	if (s->n < 2 || s->n > 3 || (fwmark && (!kad_uint(s->w[2], UINT32_MAX, &mark) || !mark)) ||
	    (!fwmark && !group && model_addr_parse(s->w[1], &a) != 0)) {
		kad_error(k, s->line,
			  "virtual_server: takes 'ADDRESS [PORT]', 'fwmark N' (1..%u) "
			  "or 'group NAME'",
			  UINT32_MAX);
		kad_skip(k, s, NULL);
		return;
	}
	if (kad_full(k, KAD_L_VS, s->line)) {
		kad_skip(k, s, NULL);
		return;
	}
	if (!(v = kad_push(k, (void **)&k->vs, &k->nvs, &k->capvs, sizeof(*v))))
		return;
	model_vs_init(&v->vs);
	opt_unset(&v->t);
	v->line = s->line;
	v->key = fwmark ? KAD_KEY_FWMARK : group ? KAD_KEY_GROUP : KAD_KEY_ADDR;
	v->fwmark = (uint32_t)mark;
	if (group)
		v->group = kad_strdup(k, s->w[2]);
	if (v->key == KAD_KEY_ADDR) {
		v->addr = kad_strdup(k, s->w[1]);
		v->port = kad_strdup(k, s->n == 3 ? s->w[2] : "0");
		model_vs_set_field(&v->vs, "address", s->w[1], NULL); /* the family, for masks */
	}
}

/* NAT|DR|TUN [type ipip|gue|gre] [port N] [csum options] into *f. */
static void parse_fwd(struct kad *k, const struct kad_stmt *s, struct kad_fwd *f, bool *bad)
{
	static const char *const names[][2] = {{"NAT", "masq"}, {"DR", "route"}, {"TUN", "tunnel"}};
	bool ok = s->n >= 2, csum = false;

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; ok && i < 3; i++)
		if (strcasecmp(s->w[1], names[i][0]) == 0)
			snprintf(f->fwd, sizeof(f->fwd), "%s", names[i][1]);
	ok = ok && f->fwd[0];
	for (size_t i = 2; ok && i < s->n; i++) {
		if (strcmp(s->w[i], "type") == 0 && i + 1 < s->n && strlen(s->w[i + 1]) < 8)
			snprintf(f->tun, sizeof(f->tun), "%s", s->w[++i]);
		else if (strcmp(s->w[i], "port") == 0 && i + 1 < s->n && strlen(s->w[i + 1]) < 8)
			snprintf(f->port, sizeof(f->port), "%s", s->w[++i]);
		else if (!strcmp(s->w[i], "nocsum") || !strcmp(s->w[i], "csum") ||
			 !strcmp(s->w[i], "remcsum"))
			csum = true;
		else
			ok = false;
	}
	if (!ok) {
		kad_error(k, s->line, "%s: takes NAT, DR or TUN [type ipip|gue port N|gre]",
			  s->w[0]);
		*bad = true;
		memset(f, 0, sizeof(*f));
		return;
	}
	f->set = true;
	if (csum)
		kad_note(k, s->line,
			 "'%s': the tunnel's checksum option is ignored: Fulcrum sets "
			 "none",
			 s->w[0]);
}

/*
 * A <TIMER> or <INTEGER> setting: whole seconds up to max. A fraction is
 * rounded (a note); beyond max is an error naming Fulcrum's limit.
 */
static void parse_opt(struct kad *k, const struct kad_stmt *s, struct kad_opt *o, uint64_t max,
		      bool *bad)
{
	const char *t = s->n == 2 ? s->w[1] : "", *p = t;
	bool frac = false, up = false;
	uint64_t v = 0;

	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.' && p > t) {
		frac = true;
		up = p[1] >= '5' && p[1] <= '9';
		for (p++; *p >= '0' && *p <= '9';)
			p++;
	}
	if (s->n != 2 || p == t || *p) {
		kad_error(k, s->line, "%s: takes a number of seconds", s->w[0]);
		*bad = true;
		return;
	}
	for (p = t; *p >= '0' && *p <= '9' && v <= max; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	v += up;
	if (v > max) {
		kad_error(k, s->line, "'%s %.24s': Fulcrum takes 0..%llu", s->w[0], t,
			  (unsigned long long)max);
		*bad = true;
		return;
	}
	if (frac)
		kad_note(k, s->line, "'%s %.24s': rounded to %llu: Fulcrum counts whole seconds",
			 s->w[0], t, (unsigned long long)v);
	o->val = (int64_t)v;
	o->line = s->line;
}

/* The settings every LVS level may hold; true when s was one of them. */
static bool timing_stmt(struct kad *k, const struct kad_stmt *s, struct kad_timing *t, bool *bad)
{
	const char *w = s->w[0];

	if (strcmp(w, "delay_loop") == 0) {
		parse_opt(k, s, &t->delay_loop, 3600, bad);
	} else if (strcmp(w, "connect_timeout") == 0) {
		parse_opt(k, s, &t->connect_timeout, 300, bad);
	} else if (strcmp(w, "retry") == 0 || strcmp(w, "nb_get_retry") == 0) {
		parse_opt(k, s, &t->retry, 99, bad);
	} else if (strcmp(w, "misc_timeout") == 0) {
		parse_opt(k, s, &t->misc_timeout, 300, bad);
	} else if (strcmp(w, "inhibit_on_failure") == 0) {
		bool on = true;

		if (s->n == 2 &&
		    !strcmp(s->w[1], "false") + !strcmp(s->w[1], "no") + !strcmp(s->w[1], "off"))
			on = false;
		t->inhibit.val = on;
		t->inhibit.line = s->line;
	} else if (strcmp(w, "virtualhost") == 0 && s->n == 2) {
		set_str(k, &t->virtualhost, s->w[1]);
		t->virtualhost_line = s->line;
	} else if (strcmp(w, "delay_before_retry") == 0) {
		kad_ignored(k, s,
			    "Fulcrum checks again at check.interval and marks a server "
			    "down after check.fall failures");
	} else if (strcmp(w, "warmup") == 0) {
		kad_ignored(k, s, "Fulcrum spreads its first checks itself");
	} else if (strcmp(w, "alpha") == 0) {
		kad_ignored(k, s,
			    "Fulcrum brings a server up after check.rise passed checks (set "
			    "to 1, as keepalived) and down after check.fall failed ones");
	} else if (strcmp(w, "smtp_alert") == 0) {
		kad_ignored(k, s, "Fulcrum sends SNMP notifications, not e-mail");
	} else {
		return false;
	}
	return true;
}

/* A directive s names right but with arguments it does not take, or unknown in where. */
static void bad_args(struct kad *k, const struct kad_stmt *s, const char *const *known,
		     const char *where, bool *bad)
{
	char t[96];

	if (!kad_in_list(s->w[0], known)) {
		kad_unknown(k, s, where);
		return;
	}
	kad_error(k, s->line, "'%s': not the arguments it takes (see keepalived.conf(5))",
		  kad_text(s, t, sizeof(t)));
	*bad = true;
}

static const char *const vs_words[] = {"protocol",    "persistence_granularity",
				       "ip_family",   "sorry_server",
				       "virtualhost", "real_server",
				       NULL};
static const char *const rs_words[] = {"virtualhost", "HTTP_GET",   "SSL_GET",
				       "TCP_CHECK",   "MISC_CHECK", NULL};
static const char *const check_words[] = {"connect_port", "connect_ip",  "misc_path",
					  "url",          "virtualhost", NULL};
static const char *const url_words[] = {"path", "status_code", "virtualhost", "regex", NULL};

static void vs_stmt(struct kad *k, struct kad_vs *v, const struct kad_stmt *s)
{
	const char *w = s->w[0], *field = NULL, *value = s->n == 2 ? s->w[1] : NULL;
	char lower[8], mask[8];
	struct fulcrum_err err;
	struct fulcrum_addr m;

	if (timing_stmt(k, s, &v->t, &v->bad))
		return;
	if (!strcmp(w, "lb_algo") || !strcmp(w, "lvs_sched")) {
		field = "scheduler";
	} else if (!strcmp(w, "lb_kind") || !strcmp(w, "lvs_method")) {
		parse_fwd(k, s, &v->fwd, &v->bad);
	} else if (!strcmp(w, "sorry_server_lvs_method")) {
		parse_fwd(k, s, &v->sorry_fwd, &v->bad);
	} else if (!strcmp(w, "persistence_timeout")) {
		field = "persistence_timeout";
		value = s->n == 1 ? "360" : value; /* keepalived's default: 6 minutes */
	} else if (!strcmp(w, "persistence_granularity") && s->n == 2) {
		unsigned bits = 0;
		bool hole = false;

		field = "persistence_netmask";
		if (model_addr_parse(s->w[1], &m) == 0 && m.family == AF_INET) {
			uint32_t x = ntohl(m.u.v4.s_addr);

			for (; x & 0x80000000u; x <<= 1)
				bits++;
			hole = x != 0;
			snprintf(mask, sizeof(mask), "%u", bits);
			value = mask;
		}
		if (hole) {
			kad_error(k, s->line,
				  "'persistence_granularity %.40s': not a contiguous mask",
				  s->w[1]);
			v->bad = true;
			return;
		}
	} else if (!strcmp(w, "protocol") && s->n == 2 && strlen(s->w[1]) < sizeof(lower)) {
		for (size_t i = 0; i <= strlen(s->w[1]); i++)
			lower[i] =
			    (char)(s->w[1][i] | (s->w[1][i] >= 'A' && s->w[1][i] <= 'Z' ? 32 : 0));
		field = "protocol";
		value = lower;
		v->proto_set = true;
		v->proto_line = s->line;
	} else if (!strcmp(w, "snmp_name")) {
		field = "description";
	} else if (!strcmp(w, "quorum")) {
		field = "min_up";
		kad_note(k, s->line,
			 "'quorum %.24s': min_up: Fulcrum counts real servers up, not their "
			 "weights, and marks the service degraded below it (keepalived "
			 "takes the service down)",
			 value ? value : "");
	} else if (!strcmp(w, "ip_family") && s->n == 2 &&
		   (!strcmp(s->w[1], "inet") || !strcmp(s->w[1], "inet6"))) {
		v->family6 = !strcmp(s->w[1], "inet6");
	} else if (!strcmp(w, "sorry_server") && (s->n == 2 || s->n == 3)) {
		set_str(k, &v->sorry_addr, s->w[1]);
		set_str(k, &v->sorry_port, s->n == 3 ? s->w[2] : "0");
	} else if (!strcmp(w, "flag-1") || !strcmp(w, "sh-fallback") || !strcmp(w, "mh-fallback")) {
		v->vs.scheduler_flags |= FULCRUM_SCHED_F_FALLBACK;
	} else if (!strcmp(w, "flag-2") || !strcmp(w, "sh-port") || !strcmp(w, "mh-port")) {
		v->vs.scheduler_flags |= FULCRUM_SCHED_F_PORT;
	} else if (!strcmp(w, "ops")) {
		field = "one_packet";
		value = "true";
	} else if (!strcmp(w, "flag-3") || !strcmp(w, "persistence_engine")) {
		kad_ignored(k, s, "Fulcrum does not set it");
	} else if (!strcmp(w, "ha_suspend")) {
		kad_ignored(k, s,
			    "Fulcrum checks real servers whether or not this director holds "
			    "the address");
	} else if (!strcmp(w, "omega") || !strcmp(w, "quorum_up") || !strcmp(w, "quorum_down")) {
		kad_ignored(k, s,
			    "Fulcrum runs no scripts; it sends an SNMP notification when a "
			    "service's availability changes");
	} else if (!strcmp(w, "hysteresis")) {
		kad_ignored(k, s,
			    "Fulcrum damps flapping per real server with check.rise and "
			    "check.fall");
	} else if (!strcmp(w, "sorry_server_inhibit")) {
		kad_ignored(k, s,
			    "Fulcrum's fallback server is in the kernel only while no real "
			    "server is up");
	} else {
		bad_args(k, s, vs_words, "in virtual_server", &v->bad);
	}
	if (field && (!value || model_vs_set_field(&v->vs, field, value, &err) != 0)) {
		if (!value)
			kad_error(k, s->line, "%s: takes one value", w);
		else
			refused(k, s->line, &err, &v->bad);
		v->bad = true;
	}
}

static void rs_stmt(struct kad *k, struct kad_rs *r, const struct kad_stmt *s)
{
	static const struct {
		const char *word, *field;
	} map[] = {{"weight", "weight"},
		   {"uthreshold", "upper_threshold"},
		   {"lthreshold", "lower_threshold"},
		   {"snmp_name", "description"}};
	struct fulcrum_err err;

	if (timing_stmt(k, s, &r->t, &r->bad))
		return;
	if (!strcmp(s->w[0], "lb_kind") || !strcmp(s->w[0], "lvs_method")) {
		parse_fwd(k, s, &r->fwd, &r->bad);
		return;
	}
	if (!strcmp(s->w[0], "notify_up") || !strcmp(s->w[0], "notify_down")) {
		kad_ignored(k, s,
			    "Fulcrum runs no scripts; it sends an SNMP notification when a "
			    "real server's state changes");
		return;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(s->w[0], map[i].word) != 0)
			continue;
		if (s->n != 2) {
			kad_error(k, s->line, "%s: takes one value", s->w[0]);
			r->bad = true;
		} else if (model_rs_set_field(&r->rs, map[i].field, s->w[1], &err) != 0) {
			refused(k, s->line, &err, &r->bad);
		}
		return;
	}
	bad_args(k, s, rs_words, "in real_server", &r->bad);
}

static void check_stmt(struct kad *k, struct kad_rs *r, const struct kad_stmt *s)
{
	static const char *const unused[] = {
	    "bindto",        "bind_if",       "bind_port",  "fwmark", "log_all_failures",
	    "http_protocol", "fast_recovery", "enable_sni", "user",   NULL};
	struct kad_check *c = &r->chk;
	const char *w = s->w[0];
	bool http = c->type == FULCRUM_CHECK_HTTP || c->type == FULCRUM_CHECK_HTTPS;
	uint64_t v;

	if (timing_stmt(k, s, &c->t, &r->bad)) {
		if (!strcmp(w, "virtualhost"))
			set_str(k, &c->host, s->w[1]);
	} else if (!strcmp(w, "connect_port") && s->n == 2) {
		if (!kad_uint(s->w[1], 65535, &v) || v == 0) {
			kad_error(k, s->line, "connect_port: takes a port (1..65535)");
			r->bad = true;
			return;
		}
		c->connect_port.val = (int64_t)v;
		c->connect_port.line = s->line;
	} else if (!strcmp(w, "connect_ip") && s->n == 2) {
		set_str(k, &c->connect_ip, s->w[1]);
	} else if (c->type == FULCRUM_CHECK_EXTERNAL && !strcmp(w, "misc_path") && s->n >= 2) {
		size_t len = 0;

		for (size_t i = 1; i < s->n; i++)
			len += strlen(s->w[i]) + 1;
		free(c->command);
		if (!(c->command = malloc(len))) {
			k->rc = -ENOMEM;
			return;
		}
		c->command[0] = '\0';
		for (size_t i = 1; i < s->n; i++) /* unquoted spaces separate its arguments */
			strcat(strcat(c->command, i > 1 ? " " : ""), s->w[i]);
		kad_note(k, s->line,
			 "'misc_path': Fulcrum runs it without a shell and adds the real "
			 "server's address and port as arguments");
	} else if (c->type == FULCRUM_CHECK_EXTERNAL && !strcmp(w, "misc_dynamic")) {
		kad_ignored(k, s, "Fulcrum does not set weights from a check's exit status");
	} else if (kad_in_list(w, unused) && (http || strcmp(w, "http_protocol") != 0)) {
		kad_ignored(k, s, "Fulcrum's check has no such setting");
	} else {
		bad_args(k, s, check_words, "in a checker", &r->bad);
	}
}

static void url_stmt(struct kad *k, struct kad_rs *r, const struct kad_stmt *s)
{
	struct kad_check *c = &r->chk;
	const char *w = s->w[0];

	if (!strcmp(w, "path") && s->n == 2) {
		set_str(k, &c->path, s->w[1]);
	} else if (!strcmp(w, "status_code") && s->n >= 2) {
		size_t o = 0, cap = 0;

		for (size_t i = 1; i < s->n; i++)
			cap += strlen(s->w[i]) + 1;
		free(c->status);
		if (!(c->status = malloc(cap))) {
			k->rc = -ENOMEM;
			return;
		}
		for (size_t i = 1; i < s->n; i++)
			o += (size_t)sprintf(c->status + o, "%s%s", i > 1 ? "," : "", s->w[i]);
	} else if (!strcmp(w, "virtualhost") && s->n == 2) {
		set_str(k, &c->host, s->w[1]);
	} else if (!strcmp(w, "regex") && s->n == 2) {
		set_str(k, &c->regex, s->w[1]);
		kad_note(k, s->line,
			 "'regex': check.expect_regex: Fulcrum matches POSIX extended "
			 "regexes, not PCRE");
	} else if (!strcmp(w, "regex_no_match")) {
		c->regex_no_match = true;
		kad_ignored(k, s, "Fulcrum's regex must match: the regex is not imported");
	} else if (!strcmp(w, "digest")) {
		kad_ignored(k, s,
			    "Fulcrum matches a string (check.expect), not an MD5 digest of the "
			    "body");
	} else if (!strcmp(w, "regex_options") || !strcmp(w, "regex_stack") ||
		   !strcmp(w, "regex_min_offset") || !strcmp(w, "regex_max_offset")) {
		kad_ignored(k, s, "PCRE setting; Fulcrum's regex is POSIX extended");
	} else {
		bad_args(k, s, url_words, "in url", &r->bad);
	}
}

void kad_lvs_stmt(struct kad *k, enum kad_frame f, const struct kad_stmt *s)
{
	if (f == KAD_F_VS)
		vs_stmt(k, cur_vs(k), s);
	else if (f == KAD_F_RS)
		rs_stmt(k, cur_rs(k), s);
	else if (f == KAD_F_CHECK)
		check_stmt(k, cur_rs(k), s);
	else
		url_stmt(k, cur_rs(k), s);
}

bool kad_lvs_open(struct kad *k, enum kad_frame f, const struct kad_stmt *s, enum kad_frame *child)
{
	static const struct {
		const char *word;
		enum fulcrum_check_type type;
	} checks[] = {{"HTTP_GET", FULCRUM_CHECK_HTTP},
		      {"SSL_GET", FULCRUM_CHECK_HTTPS},
		      {"TCP_CHECK", FULCRUM_CHECK_TCP},
		      {"MISC_CHECK", FULCRUM_CHECK_EXTERNAL}};
	static const char *const others[] = {"SMTP_CHECK", "DNS_CHECK",  "PING_CHECK", "UDP_CHECK",
					     "BFD_CHECK",  "FILE_CHECK", NULL};
	struct fulcrum_err err;

	if (f == KAD_F_VS && !strcmp(s->w[0], "real_server") && (s->n == 2 || s->n == 3)) {
		struct kad_vs *v = cur_vs(k);
		struct kad_rs *r;

		if (kad_full(k, KAD_L_RS_READ, s->line)) {
			kad_skip(k, s, NULL);
			return false;
		}
		if (!(r = kad_push(k, (void **)&v->rs, &v->nrs, &v->caprs, sizeof(*r))))
			return false;
		model_rs_init(&r->rs);
		opt_unset(&r->t);
		opt_unset(&r->chk.t);
		r->chk.connect_port.val = -1;
		r->line = s->line;
		r->port_given = s->n == 3;
		if (model_rs_set_field(&r->rs, "address", s->w[1], &err) != 0 ||
		    (s->n == 3 && model_rs_set_field(&r->rs, "port", s->w[2], &err) != 0))
			refused(k, s->line, &err, &r->bad);
		*child = KAD_F_RS;
		return true;
	}
	if (f == KAD_F_RS) {
		struct kad_rs *r = cur_rs(k);

		for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
			if (strcmp(s->w[0], checks[i].word) != 0)
				continue;
			if (r->chk.line) {
				kad_skip(k, s,
					 "a second checker: Fulcrum checks a real server one "
					 "way (the first checker is kept)");
				return false;
			}
			r->chk.type = checks[i].type;
			r->chk.line = s->line;
			k->url_done = false;
			*child = KAD_F_CHECK;
			return true;
		}
		if (kad_in_list(s->w[0], others)) {
			kad_skip(k, s,
				 "Fulcrum checks with tcp, http, https or an external command "
				 "only (MISC_CHECK)");
			return false;
		}
	}
	if (f == KAD_F_CHECK && !strcmp(s->w[0], "url") &&
	    (cur_rs(k)->chk.type == FULCRUM_CHECK_HTTP ||
	     cur_rs(k)->chk.type == FULCRUM_CHECK_HTTPS)) {
		if (k->url_done) {
			kad_skip(k, s, "a second url: Fulcrum's check asks one path");
			return false;
		}
		k->url_done = true;
		*child = KAD_F_URL;
		return true;
	}
	kad_unknown(k, s, "here (a block)");
	kad_skip(k, s, NULL);
	return false;
}
