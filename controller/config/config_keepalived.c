/* keepalived.conf importer: the statement reader, the block stack, the VRRP and top-level blocks. */
#include "controller/config/config_keepalived-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void kad_vmsg(struct kad *k, struct config_msgs *m, unsigned line, const char *fmt,
		     va_list ap) __attribute__((format(printf, 4, 0)));

static void kad_vmsg(struct kad *k, struct config_msgs *m, unsigned line, const char *fmt,
		     va_list ap)
{
	char *text;

	if (vasprintf(&text, fmt, ap) < 0) {
		k->rc = -ENOMEM;
		return;
	}
	for (char *p = text; *p; p++) /* what a file says, quoted: printable ASCII only */
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	if (config_msgs_add(m, "%s:%u: %s", k->file, line, text) != 0)
		k->rc = -ENOMEM;
	free(text);
}

void kad_note(struct kad *k, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kad_vmsg(k, k->notes, line, fmt, ap);
	va_end(ap);
}

void kad_error(struct kad *k, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kad_vmsg(k, k->errors, line, fmt, ap);
	va_end(ap);
}

const char *kad_text(const struct kad_stmt *s, char *buf, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < s->n && o + 1 < size; i++) {
		if (i > 0)
			buf[o++] = ' ';
		for (const char *p = s->w[i]; *p && o + 1 < size; p++)
			buf[o++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	}
	if (o + 1 >= size && size > 4)
		memcpy(buf + size - 4, "...", 3), o = size - 1;
	buf[o] = '\0';
	return buf;
}

bool kad_full(struct kad *k, enum kad_limit l, unsigned line)
{
	static const struct {
		const char *what;
		size_t max;
	} limit[KAD_L_COUNT] = {
	    [KAD_L_VS] = {"virtual_server blocks", 10000},
	    [KAD_L_GROUPS] = {"virtual_server_group blocks", 1000},
	    [KAD_L_MEMBERS] = {"virtual_server_group members", 100000},
	    [KAD_L_RS_READ] = {"real_server blocks", 100000},
	    [KAD_L_VIPS] = {"virtual addresses", 10000},
	    [KAD_L_SERVICES] = {"services", 10000},
	    [KAD_L_REALS] = {"real servers of all services", 200000},
	};

	if (k->count[l] < limit[l].max) {
		k->count[l]++;
		return false;
	}
	if (!k->limit_said[l])
		kad_error(k, line, "more than %zu %s: the rest is not imported", limit[l].max,
			  limit[l].what);
	k->limit_said[l] = true;
	return true;
}

void kad_unknown(struct kad *k, const struct kad_stmt *s, const char *where)
{
	char t[96];

	if (k->lenient)
		kad_note(k, s->line, "'%s': ignored: not a keepalived directive %s",
			 kad_text(s, t, 96), where);
	else
		kad_error(k, s->line, "'%s': unknown directive %s", kad_text(s, t, 96), where);
}

void kad_ignored(struct kad *k, const struct kad_stmt *s, const char *why)
{
	char t[96];

	kad_note(k, s->line, "'%s': ignored: %s", kad_text(s, t, sizeof(t)), why);
}

bool kad_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

char *kad_strdup(struct kad *k, const char *s)
{
	char *d = strdup(s);

	if (!d)
		k->rc = -ENOMEM;
	return d;
}

void *kad_push(struct kad *k, void **arr, size_t *n, size_t *cap, size_t size)
{
	char *p;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;

		if (!(p = realloc(*arr, ncap * size))) {
			k->rc = -ENOMEM;
			return NULL;
		}
		*arr = p;
		*cap = ncap;
	}
	p = (char *)*arr + (*n)++ * size;
	memset(p, 0, size);
	return p;
}

void kad_skip(struct kad *k, const struct kad_stmt *s, const char *why)
{
	k->skip = 1;
	k->skip_line = s->line;
	kad_text(s, k->skip_what, sizeof(k->skip_what));
	snprintf(k->skip_why, sizeof(k->skip_why), "%s", why ? why : "");
}

static void kad_push_frame(struct kad *k, enum kad_frame f, unsigned line)
{
	/* Only the fixed shapes below push, never more than 4 deep. */
	k->frame[k->nframes] = f;
	k->frame_line[k->nframes++] = line;
}

bool kad_in_list(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(w, *list) == 0)
			return true;
	return false;
}

static const char *const vrrp_words[] = {"accept",
					 "advert_int",
					 "auth_pass",
					 "auth_type",
					 "authentication",
					 "check_unicast_src",
					 "debug",
					 "dont_track_primary",
					 "down_timer_adverts",
					 "garp_extra_if",
					 "garp_lower_prio_delay",
					 "garp_lower_prio_repeat",
					 "garp_master_delay",
					 "garp_master_refresh",
					 "garp_master_refresh_repeat",
					 "garp_master_repeat",
					 "higher_prio_send_advert",
					 "kernel_rx_buf_size",
					 "linkbeat_use_polling",
					 "lower_prio_no_advert",
					 "mcast_dst_ip",
					 "mcast_src_ip",
					 "native_ipv6",
					 "no_accept",
					 "nopreempt",
					 "notify",
					 "notify_backup",
					 "notify_fault",
					 "notify_master",
					 "notify_master_rx_lower_pri",
					 "notify_priority_changes",
					 "notify_stop",
					 "old_unicast_checksum",
					 "preempt",
					 "preempt_delay",
					 "priority",
					 "promote_secondaries",
					 "skip_check_adv_addr",
					 "smtp_alert",
					 "state",
					 "strict_mode",
					 "track_bfd",
					 "track_file",
					 "track_interface",
					 "track_process",
					 "track_script",
					 "track_src_ip",
					 "unicast_fault_no_peer",
					 "unicast_peer",
					 "unicast_src_ip",
					 "unicast_ttl",
					 "use_ipvlan",
					 "use_vmac",
					 "use_vmac_addr",
					 "version",
					 "virtual_router_id",
					 "virtual_routes",
					 "virtual_rules",
					 "vmac_xmit_base",
					 "vrf",
					 "dont_track_primary",
					 "sync_group_tracking_weight",
					 NULL};

#define VRRP_WHY                                                                                   \
	"VRRP setting; Fulcrum's failover (peers, priority, keys) is configured in fulcrumd.conf"

/* The top level's blocks Fulcrum has no use for, and why. */
static const char *top_block_why(const char *w)
{
	static const struct {
		const char *word, *why;
	} t[] = {
	    {"global_defs", "daemon settings (router id, e-mail, SMTP, SNMP); Fulcrum's node "
			    "settings are in fulcrumd.conf"},
	    {"vrrp_script",
	     "VRRP tracking script; Fulcrum's failover does not run tracking scripts"},
	    {"vrrp_track_process", "VRRP process tracking; Fulcrum's failover has none"},
	    {"track_file", "VRRP file tracking; Fulcrum's failover has none"},
	    {"vrrp_track_file", "VRRP file tracking; Fulcrum's failover has none"},
	    {"vrrp_sync_group", "VRRP sync group; Fulcrum's failover moves every VIP together "
				"(fulcrumd.conf)"},
	    {"static_ipaddress", "static addresses are the system's network setup, not Fulcrum's"},
	    {"static_routes", "static routes are the system's network setup, not Fulcrum's"},
	    {"static_rules", "static rules are the system's network setup, not Fulcrum's"},
	    {"linkbeat_interfaces",
	     "VRRP interface setting; failover is configured in fulcrumd.conf"},
	    {"garp_group", "VRRP gratuitous ARP setting; failover is configured in fulcrumd.conf"},
	    {"bfd_instance", "BFD; Fulcrum has no BFD"},
	    {"SSL", "SSL_GET's client certificate; Fulcrum's https check presents none"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(w, t[i].word) == 0)
			return t[i].why;
	return NULL;
}

static void top_open(struct kad *k, const struct kad_stmt *s)
{
	const char *w = s->w[0], *why;

	if (strcmp(w, "virtual_server") == 0) {
		kad_lvs_open_vs(k, s);
		if (k->rc == 0 && !k->skip)
			kad_push_frame(k, KAD_F_VS, s->line);
	} else if (strcmp(w, "virtual_server_group") == 0) {
		struct kad_group *g;

		if (s->n != 2) {
			kad_error(k, s->line, "virtual_server_group: takes one name");
			kad_skip(k, s, NULL);
			return;
		}
		if (kad_full(k, KAD_L_GROUPS, s->line)) {
			kad_skip(k, s, NULL);
			return;
		}
		g = kad_push(k, (void **)&k->groups, &k->ngroups, &k->capgroups, sizeof(*g));
		if (!g || !(g->name = kad_strdup(k, s->w[1])))
			return;
		g->line = s->line;
		kad_push_frame(k, KAD_F_GROUP, s->line);
	} else if (strcmp(w, "vrrp_instance") == 0) {
		free(k->vrrp_if);
		k->vrrp_if = NULL;
		k->npv = 0;
		kad_push_frame(k, KAD_F_VRRP, s->line);
	} else if ((why = top_block_why(w))) {
		kad_skip(k, s, why);
	} else if (w[0] == '@' || w[0] == '$') {
		kad_skip(k, s, "conditional configuration and parameters are not evaluated");
	} else {
		kad_unknown(k, s, "at the top level");
		kad_skip(k, s, NULL);
	}
}

static void top_stmt(struct kad *k, const struct kad_stmt *s)
{
	static const char *const daemon[] = {"net_namespace", "net_namespace_ipvs",   "instance",
					     "use_pid_dir",   "linkbeat_use_polling", NULL};
	const char *w = s->w[0];

	if (strcmp(w, "include") == 0)
		kad_ignored(k, s,
			    "not followed: the importer reads one file (import the included "
			    "files too)");
	else if (kad_in_list(w, daemon))
		kad_ignored(k, s, "a keepalived daemon setting; Fulcrum's are in fulcrumd.conf");
	else if (w[0] == '@' || w[0] == '$')
		kad_ignored(k, s, "conditional configuration and parameters are not evaluated");
	else if (!strcmp(w, "virtual_server") || !strcmp(w, "virtual_server_group") ||
		 !strcmp(w, "vrrp_instance") || top_block_why(w))
		kad_error(k, s->line, "'%s': needs its block ({ ... })", w);
	else
		kad_unknown(k, s, "at the top level");
}

/* One line of virtual_ipaddress: ADDR[/PREFIX] [dev IF] [other options]. */
static void vip_stmt(struct kad *k, const struct kad_stmt *s)
{
	struct kad_pending_vip *p;
	struct fulcrum_err err;
	char *addr, *slash;
	bool others = false;

	if (kad_full(k, KAD_L_VIPS, s->line))
		return;
	p = kad_push(k, (void **)&k->pv, &k->npv, &k->cappv, sizeof(*p));
	if (!p || !(addr = kad_strdup(k, s->w[0])))
		return;
	p->line = s->line;
	model_vip_init(&p->vip);
	if ((slash = strchr(addr, '/')))
		*slash++ = '\0';
	if (model_vip_set_field(&p->vip, "address", addr, &err) != 0 ||
	    (slash && model_vip_set_field(&p->vip, "prefix", slash, &err) != 0)) {
		kad_error(k, s->line, "%s", err.message);
		p->bad = true;
	}
	free(addr);
	for (size_t i = 1; i < s->n; i++) {
		if (strcmp(s->w[i], "dev") == 0 && i + 1 < s->n) {
			if (model_vip_set_field(&p->vip, "interface", s->w[++i], &err) != 0) {
				kad_error(k, s->line, "%s", err.message);
				p->bad = true;
			}
			p->has_dev = true;
		} else {
			others = true;
		}
	}
	if (others)
		kad_ignored(k, s,
			    "address options but dev (label, brd, scope...); Fulcrum adds the "
			    "address with its prefix on its interface");
}

/* The end of a vrrp_instance: its addresses become VIPs, on its interface unless dev named one. */
static void vrrp_close(struct kad *k)
{
	struct fulcrum_err err;

	for (size_t i = 0; i < k->npv && k->rc == 0; i++) {
		struct kad_pending_vip *p = &k->pv[i];
		bool dup = false;

		if (p->bad)
			continue;
		if (!p->has_dev && k->vrrp_if &&
		    model_vip_set_field(&p->vip, "interface", k->vrrp_if, &err) != 0) {
			kad_error(k, p->line, "%s", err.message);
			continue;
		}
		if (model_vip_validate(&p->vip, &err) != 0) {
			kad_error(k, p->line, "%s", err.message);
			continue;
		}
		for (size_t j = 0; j < k->doc->nvips && !dup; j++) {
			if (model_addr_equal(&k->doc->vips[j].vip.addr, &p->vip.addr)) {
				kad_note(k, p->line,
					 "address already a VIP (line %u): ignored; one VIP per "
					 "address",
					 k->doc->vips[j].line);
				dup = true;
			}
		}
		if (!dup && config_doc_add_vip(k->doc, &p->vip, p->line) != 0)
			k->rc = -ENOMEM;
	}
	k->npv = 0;
}

static void vrrp_stmt(struct kad *k, const struct kad_stmt *s)
{
	if (strcmp(s->w[0], "interface") == 0 && s->n == 2) {
		free(k->vrrp_if);
		k->vrrp_if = kad_strdup(k, s->w[1]);
	} else if (kad_in_list(s->w[0], vrrp_words)) {
		kad_ignored(k, s, VRRP_WHY);
	} else {
		kad_unknown(k, s, "in vrrp_instance");
	}
}

/* One line of a virtual_server_group: ADDR|RANGE [PORT], or fwmark N [inet|inet6]. */
static void group_stmt(struct kad *k, const struct kad_stmt *s)
{
	struct kad_group *g = &k->groups[k->ngroups - 1];
	struct kad_member *m;
	uint64_t v = 0;

	if (strcmp(s->w[0], "fwmark") == 0) {
		if (s->n < 2 || s->n > 3 || !kad_uint(s->w[1], UINT32_MAX, &v) || v == 0 ||
		    (s->n == 3 && strcmp(s->w[2], "inet") != 0 && strcmp(s->w[2], "inet6") != 0)) {
			kad_error(k, s->line,
				  "virtual_server_group: 'fwmark N [inet|inet6]' "
				  "with N in 1..4294967295");
			return;
		}
	} else if (s->n > 2) {
		kad_error(k, s->line, "virtual_server_group: a member is 'ADDRESS [PORT]'");
		return;
	}
	if (kad_full(k, KAD_L_MEMBERS, s->line))
		return;
	m = kad_push(k, (void **)&g->m, &g->n, &g->cap, sizeof(*m));
	if (!m)
		return;
	m->line = s->line;
	if (strcmp(s->w[0], "fwmark") == 0) {
		m->fwmark = (uint32_t)v;
		m->v6 = s->n == 3 && strcmp(s->w[2], "inet6") == 0;
	} else {
		m->addr = kad_strdup(k, s->w[0]);
		if (s->n == 2)
			m->port = kad_strdup(k, s->w[1]);
	}
}

static void kad_open(struct kad *k, const struct kad_stmt *s)
{
	enum kad_frame f, child;

	if (k->nframes == 0) {
		top_open(k, s);
		return;
	}
	f = k->frame[k->nframes - 1];
	if (f == KAD_F_VRRP && (strcmp(s->w[0], "virtual_ipaddress") == 0 ||
				strcmp(s->w[0], "virtual_ipaddress_excluded") == 0)) {
		kad_push_frame(k, KAD_F_VIPS, s->line);
	} else if (f == KAD_F_VRRP && kad_in_list(s->w[0], vrrp_words)) {
		kad_skip(k, s, VRRP_WHY);
	} else if (f == KAD_F_VRRP || f == KAD_F_VIPS || f == KAD_F_GROUP) {
		kad_unknown(k, s, "here (a block)");
		kad_skip(k, s, NULL);
	} else if (kad_lvs_open(k, f, s, &child)) {
		kad_push_frame(k, child, s->line);
	}
}

static void kad_plain(struct kad *k, const struct kad_stmt *s)
{
	enum kad_frame f;

	if (k->nframes == 0) {
		top_stmt(k, s);
		return;
	}
	f = k->frame[k->nframes - 1];
	if (f == KAD_F_VRRP)
		vrrp_stmt(k, s);
	else if (f == KAD_F_VIPS)
		vip_stmt(k, s);
	else if (f == KAD_F_GROUP)
		group_stmt(k, s);
	else
		kad_lvs_stmt(k, f, s);
}

static void kad_close(struct kad *k, unsigned line)
{
	if (k->skip) {
		if (--k->skip == 0 && k->skip_why[0])
			kad_note(k, k->skip_line, "'%s { ... }' (to line %u): ignored: %s",
				 k->skip_what, line, k->skip_why);
		return;
	}
	if (k->nframes == 0) {
		kad_error(k, line, "'}' closes no block");
		return;
	}
	if (k->frame[--k->nframes] == KAD_F_VRRP)
		vrrp_close(k);
}

/* One statement: a directive, or a block's header. Frees nothing: the reader owns s. */
static void kad_stmt(struct kad *k, const struct kad_stmt *s)
{
	if (k->skip) {
		if (s->open && ++k->skip == KAD_DEPTH_MAX + 1)
			kad_error(k, s->line, "blocks nested deeper than %d", KAD_DEPTH_MAX);
		return;
	}
	if (s->open)
		kad_open(k, s);
	else
		kad_plain(k, s);
}

/* The statement reader: words, quotes, comments, braces; calls kad_stmt() and kad_close(). */
struct kad_reader {
	struct kad_stmt s;
	char *word;
	size_t wlen, wcap;
	bool in_word, too_many;
};

static void reader_end_word(struct kad *k, struct kad_reader *r)
{
	char *w;

	if (!r->in_word)
		return;
	r->in_word = false;
	if (r->s.n == KAD_WORDS_MAX) {
		if (!r->too_many)
			kad_error(k, r->s.line, "more than %d words in one statement",
				  KAD_WORDS_MAX);
		r->too_many = true;
		return;
	}
	if (!(w = malloc(r->wlen + 1))) {
		k->rc = -ENOMEM;
		return;
	}
	memcpy(w, r->word, r->wlen);
	w[r->wlen] = '\0';
	r->s.w[r->s.n++] = w;
}

static void reader_add(struct kad *k, struct kad_reader *r, char c)
{
	if (r->wlen + 1 >= r->wcap) {
		size_t ncap = r->wcap ? r->wcap * 2 : 64;
		char *p = realloc(r->word, ncap);

		if (!p) {
			k->rc = -ENOMEM;
			return;
		}
		r->word = p;
		r->wcap = ncap;
	}
	if (!r->in_word)
		r->wlen = 0;
	r->in_word = true;
	r->word[r->wlen++] = c;
}

/* Hands the statement read so far on (when it has words, or opens a block) and empties it. */
static void reader_flush(struct kad *k, struct kad_reader *r, bool open, unsigned line)
{
	reader_end_word(k, r);
	r->s.open = open;
	if (r->s.n > 0 && !r->too_many && k->rc == 0) {
		kad_stmt(k, &r->s);
	} else if (open && k->skip) { /* inside a skipped block: one level deeper */
		if (++k->skip == KAD_DEPTH_MAX + 1)
			kad_error(k, line, "blocks nested deeper than %d", KAD_DEPTH_MAX);
	} else if (open) {
		if (r->s.n == 0)
			kad_error(k, line, "'{' without a directive");
		k->skip = 1; /* skip the block it opens: nothing reported at its end */
		k->skip_line = line;
		snprintf(k->skip_what, sizeof(k->skip_what), "{");
		k->skip_why[0] = '\0';
	}
	for (size_t i = 0; i < r->s.n; i++)
		free(r->s.w[i]);
	r->s.n = 0;
	r->too_many = false;
}

static void kad_read(struct kad *k, const char *text, size_t len)
{
	struct kad_reader r = {0};
	unsigned line = 1, nul_line = 0;
	char quote = 0;

	for (size_t i = 0; i < len && k->rc == 0; i++) {
		char c = text[i];

		if (r.s.n == 0 && !r.in_word)
			r.s.line = line;
		if (c == '\0') {
			if (nul_line != line)
				kad_error(k, line, "NUL byte in the file");
			nul_line = line;
			c = ' ';
		}
		if (c == '\n') {
			quote = 0;
			reader_flush(k, &r, false, line);
			line++;
		} else if (quote) {
			if (c == quote)
				quote = 0;
			else if (c == '\\' && i + 1 < len && text[i + 1] != '\n' && text[i + 1])
				reader_add(k, &r, text[++i]);
			else
				reader_add(k, &r, c);
		} else if (c == '"' || c == '\'') {
			quote = c;
			if (!r.in_word)
				reader_add(k, &r, c), r.wlen = 0; /* an empty word still counts */
		} else if ((c == '!' || c == '#') && !r.in_word) {
			while (i + 1 < len && text[i + 1] != '\n')
				i++;
		} else if (c == '{') {
			reader_flush(k, &r, true, line);
		} else if (c == '}') {
			reader_flush(k, &r, false, line);
			kad_close(k, line);
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
			reader_end_word(k, &r);
		} else {
			reader_add(k, &r, c);
		}
	}
	if (k->rc == 0)
		reader_flush(k, &r, false, line);
	for (size_t i = 0; i < r.s.n; i++)
		free(r.s.w[i]);
	free(r.word);
	if (k->skip)
		kad_error(k, k->skip_line, "'%s {': block not closed", k->skip_what);
	while (k->nframes > 0) {
		enum kad_frame f = k->frame[--k->nframes];

		kad_error(k, k->frame_line[k->nframes],
			  "block not closed: what it holds is not "
			  "imported");
		if (f == KAD_F_VS && k->nvs > 0)
			k->vs[k->nvs - 1].bad = true;
	}
}

int config_keepalived_read(const char *text, size_t len, const char *file, bool lenient,
			   struct config_doc *doc, struct config_msgs *notes,
			   struct config_msgs *errors)
{
	struct kad k = {.file = file ? file : "-",
			.lenient = lenient,
			.doc = doc,
			.notes = notes,
			.errors = errors};

	if (len > CONFIG_KEEPALIVED_MAX) {
		config_msgs_add(errors,
				"%s: %zu bytes is more than the %u a keepalived.conf may "
				"have",
				k.file, len, CONFIG_KEEPALIVED_MAX);
		return -EINVAL;
	}
	kad_read(&k, text, len);
	if (k.rc == 0)
		kad_lvs_finish(&k);
	kad_lvs_free(&k);
	free(k.vrrp_if);
	free(k.pv);
	for (size_t i = 0; i < k.ngroups; i++) {
		for (size_t j = 0; j < k.groups[i].n; j++) {
			free(k.groups[i].m[j].addr);
			free(k.groups[i].m[j].port);
		}
		free(k.groups[i].m);
		free(k.groups[i].name);
	}
	free(k.groups);
	if (k.rc != 0)
		return k.rc;
	return errors->n || errors->dropped ? -EINVAL : 0;
}
