/* Reconcile's full pass: drift repair and counters for every service, in slices that leave the loop free between them. */
#include "controller/core/store.h"
#include "controller/lib/log.h"
#include "controller/lib/looplag.h"
#include "controller/reconcile/ipvs_model.h"
#include "controller/reconcile/reconcile-int.h"

#include <assert.h>
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * How long one slice may hold the loop, which also serves the API, the AgentX
 * subagent and the health checks. A time budget, not a count of services:
 * one service costs one dest dump (about 0.5 ms under TCG, tens of
 * microseconds on hardware) plus its writes, and a service may have many
 * real servers, so a count would be too small on one machine and too large
 * on another. 10 ms is below what a person or an SNMP manager notices, and
 * each slice ends with one turn of the loop (microseconds), so slicing
 * barely lengthens a pass's own work.
 */
#define RECON_SLICE_MS 10.0

double recon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int recon_svc_key_cmp(const void *a, const void *b)
{
	const struct ipvs_service *x = a, *y = b;

	if (x->af != y->af)
		return x->af < y->af ? -1 : 1;
	if (x->fwmark != y->fwmark)
		return x->fwmark < y->fwmark ? -1 : 1;
	if (x->protocol != y->protocol)
		return x->protocol < y->protocol ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return memcmp(&x->addr, &y->addr, x->af == AF_INET6 ? 16 : 4);
}

static void recon_on_slice(evutil_socket_t fd, short what, void *arg);
static void recon_on_timer(evutil_socket_t fd, short what, void *arg);

/* Makes *ev (created on first use) run fn after ms milliseconds; 0: at the loop's next turn. */
static int recon_arm(struct reconcile *recon, struct event **ev, event_callback_fn fn, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (!*ev)
		*ev = evtimer_new(recon->base, fn, recon);
	if (!*ev || evtimer_add(*ev, &tv) != 0)
		return -ENOMEM;
	return 0;
}

int recon_pass_start(struct reconcile *recon, bool first)
{
	struct recon_pass *p = &recon->pass;

	if (p->phase == RECON_PASS_DUMP)
		return 0;
	if (p->phase != RECON_PASS_IDLE) {
		/* what the running pass did before its cursor may already be out of date */
		p->again = true;
		return 0;
	}
	/* passes never overlap: nothing of an earlier one is left */
	assert(!p->ks && !p->claimed);
	memset(p, 0, sizeof(*p));
	p->first = first;
	p->phase = RECON_PASS_DUMP;
	if (recon->timer)
		evtimer_del(recon->timer);
	return recon_arm(recon, &recon->slice_ev, recon_on_slice, 0);
}

void recon_pass_stop(struct reconcile *recon)
{
	free(recon->pass.ks);
	recon->pass.ks = NULL;
	free(recon->pass.claimed);
	recon->pass.claimed = NULL;
	recon->pass.phase = RECON_PASS_IDLE;
}

/* The pass's first step: the kernel's services, sorted by key. False when they cannot be read. */
static bool recon_pass_dump(struct reconcile *recon)
{
	struct recon_pass *p = &recon->pass;
	char why[256];
	int err;

	reconcile_slice_init(&p->slice, RECON_SLICE_MS);
	p->start_ms = recon_now_ms();
	recon->notes_len = 0;
	recon->notes[0] = '\0';
	recon->pass_writes = 0;
	err = ipvs_service_list(recon->ipvs, &p->ks, &p->nks);
	/* the failover engine hears this: a director that cannot read IPVS cannot serve */
	recon->totals.dump_failing = err != 0;
	if (err != 0) {
		ipvs_strerror(IPVS_OP_SERVICE_LIST, err, NULL, recon->totals.dump_error,
			      sizeof(recon->totals.dump_error));
		log_warnx("reconcile", "cannot read the kernel's services: %s",
			  ipvs_strerror(IPVS_OP_SERVICE_LIST, err, NULL, why, sizeof(why)));
		return false;
	}
	qsort(p->ks, p->nks, sizeof(*p->ks), recon_svc_key_cmp);
	p->dump_ms = recon_now_ms() - p->start_ms;
	p->syncs_at_dump = recon->syncs;
	p->phase = RECON_PASS_SERVICES;
	return true;
}

/* One service of the pass: synced against the dump, unless synced since the dump. */
static void recon_pass_vs(struct reconcile *recon, const struct fulcrum_vs *vs)
{
	struct recon_pass *p = &recon->pass;
	const struct recon_vs *rec = idmap_get(&recon->vs, vs->id);
	const struct ipvs_service *k = NULL;
	struct ipvs_service want;

	/* a commit or a health change synced it after the dump: that is fresher than ks */
	if (rec && rec->sync > p->syncs_at_dump)
		return;
	if (vs->admin_state == FULCRUM_VS_ENABLED && ipvs_service_from_vs(vs, &want) == 0)
		k = bsearch(&want, p->ks, p->nks, sizeof(*p->ks), recon_svc_key_cmp);
	recon_sync_vs(recon, vs->id, k, true);
}

/* Does services from the cursor on; returns true when the slice is over. */
static bool recon_pass_services(struct reconcile *recon)
{
	struct recon_pass *p = &recon->pass;
	size_t n;
	const struct fulcrum_vs *const *vs = store_vs_all(recon->st, &n);

	/* syncs do not change the store: vs stays valid through this loop */
	for (size_t i = reconcile_slice_seek(&p->slice, vs, n); i < n; i++) {
		recon_pass_vs(recon, vs[i]);
		if (reconcile_slice_step(&p->slice, vs[i]->id, recon_now_ms()))
			return true;
	}
	p->phase = RECON_PASS_SWEEP_VS;
	p->pos = 0;
	return false;
}

/*
 * Drops the records of objects gone from the store (a commit's sync
 * normally has, this is the safety net), 512 records a step: 100,000 of them
 * are too many for one slice. The maps may change between slices; the
 * iteration then still ends, and a record it misses waits for the next pass.
 * Returns true when the slice is over.
 */
static bool recon_pass_sweep(struct reconcile *recon)
{
	struct recon_pass *p = &recon->pass;
	bool real = p->phase == RECON_PASS_SWEEP_RS;
	int64_t id;

	for (;;) {
		for (unsigned i = 0; i < 512; i++) {
			if (!idmap_next(real ? &recon->rs : &recon->vs, &p->pos, &id)) {
				p->phase = real ? RECON_PASS_FOREIGN : RECON_PASS_SWEEP_RS;
				p->pos = 0;
				return false;
			}
			if (real && !store_rs_get(recon->st, id))
				recon_rs_drop(recon, id);
			else if (!real && !store_vs_get(recon->st, id))
				recon_sync_vs(recon, id, NULL, true);
		}
		if (reconcile_slice_step(&p->slice, 0, recon_now_ms()))
			return true;
	}
}

/* own_table: which of the dump's services a store service wants now (not at the dump: keys move). */
static void recon_pass_claim(struct reconcile *recon)
{
	struct recon_pass *p = &recon->pass;
	const struct fulcrum_vs *const *vs;
	size_t n;

	p->claimed = calloc(p->nks, sizeof(*p->claimed));
	if (!p->claimed) {
		p->foreign = p->nks; /* out of memory: nothing is removed this time */
		return;
	}
	vs = store_vs_all(recon->st, &n);
	for (size_t i = 0; i < n; i++) {
		struct ipvs_service want;
		const struct ipvs_service *k;

		if (vs[i]->admin_state != FULCRUM_VS_ENABLED ||
		    ipvs_service_from_vs(vs[i], &want) != 0)
			continue;
		k = bsearch(&want, p->ks, p->nks, sizeof(*p->ks), recon_svc_key_cmp);
		if (k)
			p->claimed[k - p->ks] = true;
	}
}

/*
 * own_table: removes the dump's services that no store service wants, one
 * a step; each removal is idempotent. Returns true when the slice is over.
 */
static bool recon_pass_foreign(struct reconcile *recon)
{
	struct recon_pass *p = &recon->pass;

	if (!recon->conf.own_table || p->nks == 0) {
		p->phase = RECON_PASS_DONE;
		return false;
	}
	if (!p->claimed)
		recon_pass_claim(recon);
	while (p->foreign < p->nks) {
		struct recon_vs gone = {.installed = true, .svc = p->ks[p->foreign]};

		if (p->claimed[p->foreign++])
			continue;
		recon_vs_remove(recon, &gone, "(not Fulcrum's)");
		if (reconcile_slice_step(&p->slice, 0, recon_now_ms()))
			return true;
	}
	p->phase = RECON_PASS_DONE;
	return false;
}

/* The pass is over (done, or the dump failed when ok is false): says so, and plans the next. */
static void recon_pass_finish(struct reconcile *recon, bool ok)
{
	struct recon_pass *p = &recon->pass;
	bool again = p->again;

	if (p->changes)
		recon->totals.changes++;
	if (ok) {
		recon->totals.passes++;
		recon->totals.last_pass_ms = recon_now_ms() - p->start_ms;
		if (recon->pass_writes)
			log_notice("reconcile", "repaired %u difference%s from the store: %s",
				   recon->pass_writes, recon->pass_writes == 1 ? "" : "s",
				   recon->notes);
		log_debug("reconcile",
			  "pass done: %zu services, %u writes in %.1f ms: %u slices, %.1f ms in "
			  "them, longest slice %.1f ms; the first %.1f ms, %.1f ms of it the dump "
			  "of %zu kernel services",
			  recon->vs.n, recon->pass_writes, recon->totals.last_pass_ms,
			  p->slice.slices, p->slice.busy_ms, p->slice.longest_ms, p->first_ms,
			  p->dump_ms, p->nks);
	}
	if (p->first) {
		recon->first_done = true;
		log_notice("reconcile",
			   "started: %zu services and %zu real servers adopted or added with %u "
			   "writes in %.1f ms",
			   recon->vs.n, recon->rs.n, recon->pass_writes,
			   recon->totals.last_pass_ms);
	}
	recon_pass_stop(recon);
	if (again)
		recon_pass_start(recon, false);
	else if (recon->conf.interval_ms &&
		 recon_arm(recon, &recon->timer, recon_on_timer, recon->conf.interval_ms) != 0)
		log_warnx("reconcile", "out of memory: no more periodic passes");
}

/* One slice of the pass: from where the last one stopped, for at most RECON_SLICE_MS. */
static void recon_on_slice(evutil_socket_t fd, short what, void *arg)
{
	struct reconcile *recon = arg;
	struct recon_pass *p = &recon->pass;
	bool over = false;

	looplag_mark();
	(void)fd;
	(void)what;
	if (p->first)
		recon->first_started = true;
	if (p->phase == RECON_PASS_DUMP) {
		if (!recon_pass_dump(recon)) {
			recon_pass_finish(recon, false);
			return;
		}
		/* the dump is the first slice's first step */
		reconcile_slice_begin(&p->slice, p->start_ms);
		over = reconcile_slice_step(&p->slice, 0, recon_now_ms());
	} else {
		reconcile_slice_begin(&p->slice, recon_now_ms());
	}
	recon->repairing = true;
	while (!over && p->phase != RECON_PASS_DONE) {
		if (p->phase == RECON_PASS_SERVICES)
			over = recon_pass_services(recon);
		else if (p->phase == RECON_PASS_FOREIGN)
			over = recon_pass_foreign(recon);
		else
			over = recon_pass_sweep(recon);
	}
	recon->repairing = false;
	reconcile_slice_end(&p->slice, recon_now_ms());
	if (p->slice.slices == 1)
		p->first_ms = p->slice.busy_ms;
	if (over) {
		if (recon_arm(recon, &recon->slice_ev, recon_on_slice, 0) == 0)
			return;
		log_warnx("reconcile", "out of memory: a full pass stops before its end");
	}
	recon_pass_finish(recon, !over);
}

static void recon_on_timer(evutil_socket_t fd, short what, void *arg)
{
	looplag_mark();
	(void)fd;
	(void)what;
	recon_pass_start(arg, false);
}

void reconcile_first_get(const struct reconcile *recon, struct reconcile_first *out)
{
	const struct recon_pass *p = &recon->pass;

	memset(out, 0, sizeof(*out));
	out->started = recon->first_started;
	out->done = recon->first_done;
	if (!out->started || out->done)
		return;
	const struct fulcrum_vs *const *vs = store_vs_all(recon->st, &out->services);

	if (p->phase == RECON_PASS_SERVICES)
		out->services_done = reconcile_slice_seek(&p->slice, vs, out->services);
	else if (p->phase > RECON_PASS_SERVICES)
		out->services_done = out->services;
}
