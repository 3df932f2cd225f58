/* Health checks: the set of distinct checks, their schedule, and the states they give real servers. */
#include "controller/health/health_int.h"

#include "controller/lib/log.h"
#include "controller/lib/looplag.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The fixed part of a check's key; the strings that matter for its type follow. */
struct hl_keyhead {
	uint8_t type, head, verify_tls, family;
	uint8_t addr[16];
	uint16_t port, pad;
	uint32_t interval, timeout, rise, fall;
};

#define HL_KEY_MAX (sizeof(struct hl_keyhead) + 5 * (FULCRUM_CHECK_PATH_MAX + 1) + 64)

/* One real server whose state health_set_targets() changed. */
struct hl_change {
	int64_t id;
	const struct hl_probe *p;
};

const char *health_status_name(enum health_status s)
{
	switch (s) {
	case HEALTH_UP:
		return "up";
	case HEALTH_DOWN:
		return "down";
	case HEALTH_UNKNOWN:
		break;
	}
	return "unknown";
}

static int64_t hl_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct timeval hl_tv_ms(int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	return tv;
}

static uint32_t hl_at_least_1(uint32_t v)
{
	return v ? v : 1;
}

static size_t hl_key_str(unsigned char *buf, size_t at, const char *s, size_t max)
{
	size_t len = strnlen(s, max);

	memcpy(buf + at, s, len);
	buf[at + len] = '\0';
	return at + len + 1;
}

/*
 * Writes into buf (HL_KEY_MAX bytes) what makes t's check the same as
 * another's: where it goes, what it asks, how often, and the rise/fall
 * counts; not what a failure does (on_failure). Returns the length.
 */
static size_t hl_key_build(const struct health_target *t, unsigned char *buf)
{
	const struct fulcrum_check *c = t->check;
	const struct fulcrum_addr *a =
	    c->check_address.family != AF_UNSPEC ? &c->check_address : &t->addr;
	struct hl_keyhead head;
	bool http = c->type == FULCRUM_CHECK_HTTP || c->type == FULCRUM_CHECK_HTTPS;
	size_t at = sizeof(head);

	memset(&head, 0, sizeof(head));
	head.type = (uint8_t)c->type;
	head.family = a->family == AF_INET6 ? 6 : a->family == AF_INET ? 4 : 0;
	if (a->family == AF_INET6)
		memcpy(head.addr, &a->u.v6, 16);
	else if (a->family == AF_INET)
		memcpy(head.addr, &a->u.v4, 4);
	head.port = c->check_port ? c->check_port : t->port;
	head.interval = hl_at_least_1(c->interval);
	head.timeout = hl_at_least_1(c->timeout);
	head.rise = hl_at_least_1(c->rise);
	head.fall = hl_at_least_1(c->fall);
	if (http) {
		head.head = c->head;
		head.verify_tls = c->type == FULCRUM_CHECK_HTTPS && c->verify_tls;
		at = hl_key_str(buf, at, c->path, FULCRUM_CHECK_PATH_MAX);
		at = hl_key_str(buf, at, c->host, FULCRUM_CHECK_PATH_MAX);
		at = hl_key_str(buf, at, c->expect_status, FULCRUM_CHECK_STATUS_MAX);
		at = hl_key_str(buf, at, c->expect, FULCRUM_CHECK_PATH_MAX);
		at = hl_key_str(buf, at, c->expect_regex, FULCRUM_CHECK_PATH_MAX);
	} else if (c->type == FULCRUM_CHECK_EXTERNAL) {
		at = hl_key_str(buf, at, c->command, FULCRUM_CHECK_COMMAND_MAX);
	}
	memcpy(buf, &head, sizeof(head));
	return at;
}

static uint64_t hl_hash(const unsigned char *key, size_t len)
{
	uint64_t x = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		x = (x ^ key[i]) * 0x100000001b3ull;
	return x ^ (x >> 29);
}

static const char *hl_next_str(const char **at)
{
	const char *s = *at;

	*at += strlen(s) + 1;
	return s;
}

/* Fills p's settings from its key; a check that cannot run gets config_error. */
static int hl_probe_decode(struct hl_probe *p)
{
	struct hl_keyhead head;
	const char *at = (const char *)p->key + sizeof(head);
	char err[sizeof(p->state.reason)];

	memcpy(&head, p->key, sizeof(head));
	p->type = (enum fulcrum_check_type)head.type;
	p->addr.family = head.family == 6 ? AF_INET6 : head.family == 4 ? AF_INET : AF_UNSPEC;
	memcpy(&p->addr.u, head.addr, head.family == 6 ? 16 : 4);
	p->port = head.port;
	p->interval = head.interval;
	p->timeout = head.timeout;
	p->rise = head.rise;
	p->fall = head.fall;
	p->head = head.head;
	p->verify_tls = head.verify_tls;
	p->path = p->host = p->command = "";
	if (p->type == FULCRUM_CHECK_HTTP || p->type == FULCRUM_CHECK_HTTPS) {
		const char *status, *substring, *regex, *proto;

		proto = p->type == FULCRUM_CHECK_HTTPS ? "https" : "http";
		p->path = hl_next_str(&at);
		p->host = hl_next_str(&at);
		status = hl_next_str(&at);
		substring = hl_next_str(&at);
		regex = hl_next_str(&at);
		if (health_expect_init(&p->expect, status, substring, regex, err, sizeof(err)) == 0)
			p->has_expect = true;
		else if (asprintf(&p->config_error, "%s: %s", proto, err) < 0)
			return -ENOMEM;
	} else if (p->type == FULCRUM_CHECK_EXTERNAL) {
		p->command = hl_next_str(&at);
		if (!*p->command && !(p->config_error = strdup("external: no command configured")))
			return -ENOMEM;
	} else if (p->type != FULCRUM_CHECK_TCP &&
		   asprintf(&p->config_error, "check: unknown type %d", (int)p->type) < 0) {
		return -ENOMEM;
	}
	if (!p->config_error && p->addr.family == AF_UNSPEC &&
	    !(p->config_error = strdup("check: the real server has no address")))
		return -ENOMEM;
	return 0;
}

static void hl_bucket_insert(struct hl_probe **buckets, size_t nbuckets, struct hl_probe *p)
{
	struct hl_probe **b = &buckets[p->hash & (nbuckets - 1)];

	p->hnext = *b;
	*b = p;
}

/* Keeps at most one probe per bucket on average. 0 or -ENOMEM (nothing changed). */
static int hl_buckets_grow(struct health *h)
{
	size_t cap = h->nbuckets ? h->nbuckets * 2 : 64;
	struct hl_probe **b;

	if (h->totals.probes < h->nbuckets)
		return 0;
	b = calloc(cap, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (struct hl_probe *p = h->probes; p; p = p->next)
		hl_bucket_insert(b, cap, p);
	free(h->buckets);
	h->buckets = b;
	h->nbuckets = cap;
	return 0;
}

static struct hl_probe *hl_probe_find(const struct health *h, const unsigned char *key, size_t len,
				      uint64_t hash)
{
	if (!h->nbuckets)
		return NULL;
	for (struct hl_probe *p = h->buckets[hash & (h->nbuckets - 1)]; p; p = p->hnext)
		if (p->hash == hash && p->keylen == len && memcmp(p->key, key, len) == 0)
			return p;
	return NULL;
}

static void hl_probe_fire(evutil_socket_t fd, short what, void *arg);

static void hl_probe_free(struct health *h, struct hl_probe *p)
{
	if (!p)
		return;
	if (p->running) {
		if (p->type == FULCRUM_CHECK_TCP)
			health_tcp_cancel(p);
		else if (p->type == FULCRUM_CHECK_EXTERNAL)
			health_ext_cancel(h, p);
		else
			health_http_cancel(h, p);
		p->running = false;
		h->totals.in_flight--;
	}
	if (h->nbuckets) {
		struct hl_probe **b = &h->buckets[p->hash & (h->nbuckets - 1)];

		while (*b && *b != p)
			b = &(*b)->hnext;
		if (*b)
			*b = p->hnext;
	}
	if (p->prev)
		p->prev->next = p->next;
	else if (h->probes == p)
		h->probes = p->next;
	if (p->next)
		p->next->prev = p->prev;
	h->totals.probes--;
	if (p->timer)
		event_free(p->timer);
	p->timer = NULL;
	if (p->has_expect)
		health_expect_fini(&p->expect);
	free(p->config_error);
	free(p->key);
	free(p->members);
	free(p->newm);
	free(p);
}

/* Makes the probe for key and links it in; NULL when out of memory. */
static struct hl_probe *hl_probe_new(struct health *h, const unsigned char *key, size_t len,
				     uint64_t hash)
{
	struct hl_probe *p;

	if (hl_buckets_grow(h) != 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->owner = h;
	p->hash = hash;
	p->keylen = len;
	p->key = malloc(len);
	p->timer = evtimer_new(h->base, hl_probe_fire, p);
	p->next = h->probes;
	if (h->probes)
		h->probes->prev = p;
	h->probes = p;
	hl_bucket_insert(h->buckets, h->nbuckets, p);
	h->totals.probes++;
	if (!p->key || !p->timer) {
		hl_probe_free(h, p);
		return NULL;
	}
	memcpy(p->key, key, len);
	if (hl_probe_decode(p) != 0) {
		hl_probe_free(h, p);
		return NULL;
	}
	if (p->config_error) {
		/* nothing to run: down from the start, with the reason */
		p->state.state = HEALTH_DOWN;
		p->state.last_change = time(NULL);
		snprintf(p->state.reason, sizeof(p->state.reason), "%s", p->config_error);
	} else {
		snprintf(p->state.reason, sizeof(p->state.reason), "not checked yet");
	}
	return p;
}

static void hl_probe_run(struct health *h, struct hl_probe *p)
{
	p->running = true;
	p->started_us = hl_now_us();
	h->totals.runs[p->type]++;
	h->totals.in_flight++;
	switch (p->type) {
	case FULCRUM_CHECK_TCP:
		health_tcp_start(h, p);
		break;
	case FULCRUM_CHECK_HTTP:
	case FULCRUM_CHECK_HTTPS:
		health_http_start(h, p);
		break;
	case FULCRUM_CHECK_EXTERNAL:
		health_ext_start(h, p);
		break;
	case FULCRUM_CHECK_NONE:
		health_probe_done(h, p, true, "no check configured");
		break;
	}
}

/* Runs p now and again one interval after it was due: the phase set at its start stays. */
static void hl_probe_fire(evutil_socket_t fd, short what, void *arg)
{
	struct hl_probe *p = arg;
	struct health *h = p->owner;
	int64_t now = hl_now_us() / 1000, step = (int64_t)p->interval * 1000;
	struct timeval tv;

	looplag_mark();
	(void)fd;
	(void)what;
	p->due_ms += step;
	/*
	 * The loop was held up: skip the runs missed, do not catch up, and keep
	 * the phase. Rescheduling at now + step would give every check that fell
	 * due during the stall the same phase, and the bunch would never spread
	 * again (bench/health-5k.sh --stall).
	 */
	if (p->due_ms <= now)
		p->due_ms += step * ((now - p->due_ms) / step + 1);
	tv = hl_tv_ms(p->due_ms - now);
	event_add(p->timer, &tv);
	if (p->running) {
		h->totals.skipped++;
		return;
	}
	hl_probe_run(h, p);
}

/* The first run of a new probe: at a phase within its interval taken from its key, so
 * that a thousand checks made by one commit spread over the interval. */
static void hl_probe_start(struct hl_probe *p)
{
	int64_t now = hl_now_us() / 1000,
		phase = (int64_t)(p->hash % ((uint64_t)p->interval * 1000));
	struct timeval tv = hl_tv_ms(phase);

	if (p->config_error)
		return;
	p->due_ms = now + phase;
	if (event_add(p->timer, &tv) != 0)
		log_warnx("health", "cannot schedule a check");
}

void health_probe_done(struct health *h, struct hl_probe *p, bool ok, const char *reason)
{
	int64_t took;

	if (!p->running)
		return;
	p->running = false;
	took = hl_now_us() - p->started_us;
	h->totals.in_flight--;
	h->totals.latency_us[p->type] += (uint64_t)took;
	if ((uint64_t)took > h->totals.latency_max_us)
		h->totals.latency_max_us = (uint64_t)took;
	if (!ok)
		h->totals.failed[p->type]++;
	if (health_state_step(&p->state, &p->successes, ok, reason, p->rise, p->fall, time(NULL))) {
		h->totals.changes += p->nmembers;
		for (size_t i = 0; i < p->nmembers; i++)
			health_tell(h, p->members[i], &p->state);
	}
	if (h->result_hook)
		h->result_hook(h->result_arg, p);
}

const char *health_addr_text(const struct hl_probe *p, char *buf, size_t len)
{
	if (!inet_ntop(p->addr.family, &p->addr.u, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

int health_new(struct event_base *base, struct health **out)
{
	struct health *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->base = base;
	h->none.owner = h;
	h->none.state.state = HEALTH_UP;
	snprintf(h->none.state.reason, sizeof(h->none.state.reason), "no check configured");
	if (health_http_new(h) != 0) {
		free(h);
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

void health_free(struct health *h)
{
	if (!h)
		return;
	while (h->probes)
		hl_probe_free(h, h->probes);
	health_http_free(h);
	health_ext_free(h);
	idmap_clear(&h->rs);
	free(h->buckets);
	h->buckets = NULL;
	hook_clear(&h->change_hook);
	free(h);
}

/* Undoes pass one of health_set_targets(): the old probes as they were, the new ones gone. */
static void hl_set_rollback(struct health *h)
{
	struct hl_probe *p = h->probes, *next;

	for (; p; p = next) {
		next = p->next;
		free(p->newm);
		p->newm = NULL;
		p->nnew = p->fill = 0;
		p->mark = false;
		if (p->fresh)
			hl_probe_free(h, p);
	}
}

/*
 * The probe target t is checked by: &h->none for no check, the probe of the
 * same check when there is one (targets with the same check share it), or a
 * new one, marked fresh (*made true). NULL when memory runs out.
 */
static struct hl_probe *hl_probe_for(struct health *h, const struct health_target *t, bool *made)
{
	unsigned char key[HL_KEY_MAX];
	struct hl_probe *p;
	size_t len;
	uint64_t hash;

	*made = false;
	if (!t->check || t->check->type == FULCRUM_CHECK_NONE)
		return &h->none;
	len = hl_key_build(t, key);
	hash = hl_hash(key, len);
	p = hl_probe_find(h, key, len, hash);
	if (!p && (p = hl_probe_new(h, key, len, hash)) != NULL) {
		p->fresh = true;
		*made = true;
	}
	return p;
}

/* Pass one: finds or makes the probe of each target (NULL: a target to skip). */
static int hl_set_probes(struct health *h, const struct health_target *t, size_t n,
			 struct hl_probe **tp)
{
	for (size_t i = 0; i < n; i++) {
		struct hl_probe *p;
		bool made;

		tp[i] = NULL;
		if (t[i].rs_id <= 0)
			continue;
		if (!(p = hl_probe_for(h, &t[i], &made)))
			return -ENOMEM;
		tp[i] = p;
		if (p == &h->none)
			continue;
		p->mark = true;
		p->nnew++;
	}
	for (struct hl_probe *p = h->probes; p; p = p->next)
		if (p->mark && !(p->newm = malloc(p->nnew * sizeof(*p->newm))))
			return -ENOMEM;
	return 0;
}

/* Pass two: the new id map, each probe's new members, and who changed state. */
static int hl_set_map(struct health *h, const struct health_target *t, size_t n,
		      struct hl_probe **tp, struct idmap *map, struct hl_change *ch, size_t *nch)
{
	*nch = 0;
	for (size_t i = 0; i < n; i++) {
		const struct hl_probe *old;
		struct hl_probe *p = tp[i];
		int64_t id = t[i].rs_id;

		if (!p || idmap_get(map, id))
			continue; /* not a valid id, or its second mention */
		if (idmap_put(map, id, p) != 0)
			return -ENOMEM;
		if (p != &h->none) {
			assert(p->fill < p->nnew); /* pass one counted every member */
			p->newm[p->fill++] = id;
		}
		old = idmap_get(&h->rs, id);
		if ((old ? old->state.state : HEALTH_UNKNOWN) != p->state.state) {
			ch[*nch].id = id;
			ch[(*nch)++].p = p;
		}
	}
	return 0;
}

int health_set_targets(struct health *h, const struct health_target *t, size_t n)
{
	struct hl_probe **tp = calloc(n ? n : 1, sizeof(*tp)), *p, *next;
	struct hl_change *ch = calloc(n ? n : 1, sizeof(*ch));
	struct idmap map = {0};
	size_t nch = 0;
	int rc = -ENOMEM;

	if (!tp || !ch)
		goto out;
	rc = hl_set_probes(h, t, n, tp);
	if (rc == 0)
		rc = hl_set_map(h, t, n, tp, &map, ch, &nch);
	if (rc != 0) {
		hl_set_rollback(h);
		idmap_clear(&map);
		goto out;
	}
	/* nothing fails from here on */
	idmap_clear(&h->rs);
	h->rs = map;
	for (p = h->probes; p; p = next) {
		next = p->next;
		if (!p->mark) {
			hl_probe_free(h, p);
			continue;
		}
		free(p->members);
		p->members = p->newm;
		p->nmembers = p->fill;
		p->cap = p->nnew;
		p->newm = NULL;
		p->nnew = p->fill = 0;
		p->mark = false;
		if (p->fresh)
			hl_probe_start(p);
		p->fresh = false;
	}
	h->totals.targets = h->rs.n;
	h->totals.changes += nch;
	for (size_t i = 0; i < nch; i++)
		health_tell(h, ch[i].id, &ch[i].p->state);
out:
	free(tp);
	free(ch);
	return rc;
}

/* health_update_targets()'s work: what pass one found or made, for pass two. */
struct hl_update {
	struct hl_probe **tp;    /* each target's probe; NULL: skipped (a bad or repeated id) */
	struct hl_probe **fresh; /* probes made by pass one, undone on failure */
	size_t nfresh;
	struct hl_probe **old; /* probes that lost members: freed when left with none */
	size_t nold;
	struct hl_change *ch;
	size_t nch;
	struct idmap ids; /* the ids of t, for repeats and for gone */
};

/* Undoes pass one of health_update_targets(): the probes as they were, the new ones gone. */
static void hl_update_rollback(struct health *h, struct hl_update *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (u->tp[i]) {
			u->tp[i]->nnew = 0;
			u->tp[i]->mark = false;
		}
	}
	for (size_t i = 0; i < u->nfresh; i++)
		hl_probe_free(h, u->fresh[i]);
	u->nfresh = 0;
}

/* Makes room in p's members for its nnew more. */
static int hl_members_reserve(struct hl_probe *p)
{
	size_t need = p->nmembers + p->nnew, cap = p->cap * 2 > need ? p->cap * 2 : need;
	int64_t *m;

	if (need <= p->cap)
		return 0;
	m = realloc(p->members, cap * sizeof(*m));
	if (!m)
		return -ENOMEM;
	p->members = m;
	p->cap = cap;
	return 0;
}

/*
 * Pass one: finds or makes the probe of each target and makes room for every
 * change pass two will make, so that pass two cannot fail.
 */
static int hl_update_probes(struct health *h, struct hl_update *u, const struct health_target *t,
			    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct hl_probe *p;
		bool made;

		if (t[i].rs_id <= 0 || idmap_get(&u->ids, t[i].rs_id))
			continue;
		if (idmap_put(&u->ids, t[i].rs_id, h) != 0 || !(p = hl_probe_for(h, &t[i], &made)))
			return -ENOMEM;
		if (made)
			u->fresh[u->nfresh++] = p;
		u->tp[i] = p;
		if (p != &h->none)
			p->nnew++;
	}
	for (size_t i = 0; i < n; i++) {
		struct hl_probe *p = u->tp[i];

		if (p && p != &h->none && !p->mark) {
			p->mark = true;
			if (hl_members_reserve(p) != 0)
				return -ENOMEM;
		}
	}
	return idmap_reserve(&h->rs, n);
}

/* Takes id off p's members; p goes on the list of probes that may be left with none. */
static void hl_member_drop(struct health *h, struct hl_update *u, struct hl_probe *p, int64_t id)
{
	if (!p || p == &h->none)
		return;
	for (size_t i = 0; i < p->nmembers; i++) {
		if (p->members[i] == id) {
			p->members[i] = p->members[--p->nmembers];
			break;
		}
	}
	if (!p->listed) {
		p->listed = true;
		u->old[u->nold++] = p;
	}
}

/* Pass two: moves each target onto its probe, drops gone, notes who changed state. */
static void hl_update_apply(struct health *h, struct hl_update *u, const struct health_target *t,
			    size_t n, const int64_t *gone, size_t ngone)
{
	for (size_t i = 0; i < ngone; i++)
		if (!idmap_get(&u->ids, gone[i]))
			hl_member_drop(h, u, idmap_del(&h->rs, gone[i]), gone[i]);
	for (size_t i = 0; i < n; i++) {
		struct hl_probe *p = u->tp[i], *old;
		int64_t id = t[i].rs_id;

		if (!p)
			continue;
		old = idmap_get(&h->rs, id);
		if (old == p)
			continue; /* the same check: its state and schedule stay */
		hl_member_drop(h, u, old, id);
		(void)idmap_put(&h->rs, id, p); /* pass one made room */
		if (p != &h->none) {
			assert(p->nmembers < p->cap); /* pass one reserved it */
			p->members[p->nmembers++] = id;
		}
		if ((old ? old->state.state : HEALTH_UNKNOWN) != p->state.state) {
			u->ch[u->nch].id = id;
			u->ch[u->nch++].p = p;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct hl_probe *p = u->tp[i];

		if (p && p != &h->none && p->mark) {
			p->mark = false;
			p->nnew = 0;
			if (p->fresh)
				hl_probe_start(p);
			p->fresh = false;
		}
	}
	for (size_t i = 0; i < u->nold; i++) {
		u->old[i]->listed = false;
		if (u->old[i]->nmembers == 0)
			hl_probe_free(h, u->old[i]);
	}
}

int health_update_targets(struct health *h, const struct health_target *t, size_t n,
			  const int64_t *gone, size_t ngone)
{
	size_t nt = n ? n : 1;
	struct hl_update u = {
	    .tp = calloc(nt, sizeof(*u.tp)),
	    .fresh = calloc(nt, sizeof(*u.fresh)),
	    .old = calloc(n + ngone + 1, sizeof(*u.old)),
	    .ch = calloc(nt, sizeof(*u.ch)),
	};
	int rc = -ENOMEM;

	if (u.tp && u.fresh && u.old && u.ch)
		rc = hl_update_probes(h, &u, t, n);
	if (rc != 0) {
		if (u.tp)
			hl_update_rollback(h, &u, n);
		goto out;
	}
	/* nothing fails from here on */
	hl_update_apply(h, &u, t, n, gone, ngone);
	h->totals.targets = h->rs.n;
	h->totals.changes += u.nch;
	for (size_t i = 0; i < u.nch; i++)
		health_tell(h, u.ch[i].id, &u.ch[i].p->state);
out:
	idmap_clear(&u.ids);
	free(u.tp);
	free(u.fresh);
	free(u.old);
	free(u.ch);
	return rc;
}

void health_get(const struct health *h, int64_t rs_id, struct health_state *out)
{
	const struct hl_probe *p = rs_id > 0 ? idmap_get(&h->rs, rs_id) : NULL;

	if (p) {
		*out = p->state;
		return;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->reason, sizeof(out->reason), "not checked yet");
}

struct hl_probe *health_probe_of(const struct health *h, int64_t rs_id)
{
	return rs_id > 0 ? idmap_get(&h->rs, rs_id) : NULL;
}

void health_tell(struct health *h, int64_t rs_id, const struct health_state *state)
{
	struct health_change ch = {.rs_id = rs_id, .state = state};

	health_change_hook_run(&h->change_hook, &ch);
}

int health_subscribe(struct health *h, health_change_hook_fn fn, void *arg)
{
	return health_change_hook_add(&h->change_hook, fn, arg);
}

void health_stats(const struct health *h, struct health_totals *out)
{
	*out = h->totals;
}
