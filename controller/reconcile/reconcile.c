/* Reconcile: makes the kernel's IPVS table match the store, with the fewest netlink operations. */
#include "controller/reconcile/reconcile.h"

#include "controller/lib/idmap.h"
#include "controller/lib/log.h"
#include "controller/model/model.h"
#include "controller/reconcile/ipvs_model.h"
#include "controller/reconcile/reconcile-int.h"
#include "controller/reconcile/reconcile_stuck.h"

#include <assert.h>
#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Sets an object's kernel state and reason. A change is counted for oper's
 * re-evaluation: at once, or, inside a full pass, once when the pass ends.
 */
static void recon_state(struct reconcile *recon, enum status_kernel_state *state, char **reason,
			enum status_kernel_state to, const char *why)
{
	bool same = why && *reason ? strcmp(why, *reason) == 0 : !why && !*reason;

	assert(to >= STATUS_KERNEL_PENDING && to <= STATUS_KERNEL_UNAVAILABLE);
	/* an error always says why; in sync never does */
	assert(to != STATUS_KERNEL_ERROR || why);
	assert(to != STATUS_KERNEL_IN_SYNC || !why);
	if (*state != to || !same) {
		if (recon->repairing)
			recon->pass.changes++;
		else
			recon->totals.changes++;
	}
	*state = to;
	if (same)
		return;
	free(*reason);
	*reason = why ? strdup(why) : NULL;
}

/* totals.stuck_what: stuck object id (a real server when real) and its reason, in words. */
static void recon_stuck_describe(struct reconcile *recon, bool real, int64_t id)
{
	char *out = recon->totals.stuck_what;
	size_t len = sizeof(recon->totals.stuck_what);
	const struct fulcrum_vs *vs;
	const char *reason = "";

	recon->stuck_real = real;
	recon->stuck_id = id;
	if (!real) {
		const struct recon_vs *rec = idmap_get(&recon->vs, id);
		struct ipvs_service svc;
		char what[IPVS_SERVICE_STRLEN];

		vs = store_vs_get(recon->st, id);
		if (rec && rec->reason)
			reason = rec->reason;
		if (vs && ipvs_service_from_vs(vs, &svc) == 0)
			snprintf(out, len, "service '%s' (%s): %s", vs->name,
				 ipvs_service_format(&svc, what, sizeof(what)), reason);
		else
			snprintf(out, len, "service %lld: %s", (long long)id, reason);
	} else {
		const struct recon_rs *rec = idmap_get(&recon->rs, id);
		const struct fulcrum_rs_stored *rs = store_rs_get(recon->st, id);
		struct fulcrum_rs eff;
		struct ipvs_dest dest;
		char what[IPVS_DEST_STRLEN];

		vs = rs ? store_vs_get(recon->st, rs->vs_id) : NULL;
		if (rec && rec->reason)
			reason = rec->reason;
		if (vs)
			model_rs_copy(&eff, rs);
		if (vs && ipvs_dest_from_rs(&eff, vs, &dest) == 0)
			snprintf(out, len, "service '%s': real server %s: %s", vs->name,
				 ipvs_dest_format(&dest, what, sizeof(what)), reason);
		else
			snprintf(out, len, "real server %lld: %s", (long long)id, reason);
	}
}

/* Describes the first stuck object the records hold (services first), after the described one left. */
static void recon_stuck_find(struct reconcile *recon)
{
	size_t pos = 0;
	int64_t id;
	const struct recon_vs *v;
	const struct recon_rs *r;

	while ((v = idmap_next(&recon->vs, &pos, &id)))
		if (v->stuck) {
			recon_stuck_describe(recon, false, id);
			return;
		}
	pos = 0;
	while ((r = idmap_next(&recon->rs, &pos, &id)))
		if (r->stuck) {
			recon_stuck_describe(recon, true, id);
			return;
		}
}

/* Sets a record's stuck flag, keeping totals.stuck and stuck_what true. */
static void recon_stuck_set(struct reconcile *recon, bool *stuck, bool on, bool real, int64_t id)
{
	bool described = recon->totals.stuck && recon->stuck_real == real && recon->stuck_id == id;

	if (*stuck == on) {
		if (on && described)
			recon_stuck_describe(recon, real, id); /* its reason may have changed */
		return;
	}
	*stuck = on;
	if (on) {
		if (recon->totals.stuck++ == 0)
			recon_stuck_describe(recon, real, id);
		return;
	}
	recon->totals.stuck--;
	if (!described)
		return;
	recon->totals.stuck_what[0] = '\0';
	recon->stuck_id = 0;
	if (recon->totals.stuck)
		recon_stuck_find(recon);
}

/* Service id's state; refused: the kernel refused a write (stuck if a full pass refused it). */
static void recon_vs_state(struct reconcile *recon, struct recon_vs *rec, int64_t id,
			   enum status_kernel_state to, const char *why, bool refused)
{
	bool stuck = reconcile_stuck_next(rec->stuck, to, refused, recon->repairing);

	recon_state(recon, &rec->state, &rec->reason, to, why);
	recon_stuck_set(recon, &rec->stuck, stuck, false, id);
}

/* Real server id's state, as recon_vs_state(). */
static void recon_rs_state(struct reconcile *recon, struct recon_rs *rec, int64_t id,
			   enum status_kernel_state to, const char *why, bool refused)
{
	bool stuck = reconcile_stuck_next(rec->stuck, to, refused, recon->repairing);

	recon_state(recon, &rec->state, &rec->reason, to, why);
	recon_stuck_set(recon, &rec->stuck, stuck, true, id);
}

/* Says what a write did: logged at once after a commit, gathered into one line in a full pass. */
static void recon_note(struct reconcile *recon, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void recon_note(struct reconcile *recon, const char *fmt, ...)
{
	char line[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	recon->totals.ops++;
	if (!recon->repairing) {
		log_info("reconcile", "%s", line);
		return;
	}
	recon->totals.repairs++;
	recon->pass_writes++;
	if (recon->notes_len + strlen(line) + 3 < sizeof(recon->notes)) {
		recon->notes_len += (size_t)snprintf(recon->notes + recon->notes_len,
						     sizeof(recon->notes) - recon->notes_len,
						     "%s%s", recon->notes_len ? "; " : "", line);
	} else if (recon->notes_len + 5 < sizeof(recon->notes) &&
		   strcmp(recon->notes + recon->notes_len - 3, "...") != 0) {
		recon->notes_len +=
		    (size_t)snprintf(recon->notes + recon->notes_len,
				     sizeof(recon->notes) - recon->notes_len, "; ...");
	}
}

static struct recon_vs *recon_vs_rec(struct reconcile *recon, int64_t id)
{
	struct recon_vs *rec = idmap_get(&recon->vs, id);

	if (rec)
		return rec;
	rec = calloc(1, sizeof(*rec));
	if (rec && idmap_put(&recon->vs, id, rec) != 0) {
		free(rec);
		rec = NULL;
	}
	return rec;
}

static struct recon_rs *recon_rs_rec(struct reconcile *recon, int64_t id, int64_t vs_id)
{
	struct recon_rs *rec = idmap_get(&recon->rs, id);

	if (!rec) {
		rec = calloc(1, sizeof(*rec));
		if (rec && idmap_put(&recon->rs, id, rec) != 0) {
			free(rec);
			return NULL;
		}
	}
	if (rec) {
		assert(vs_id > 0);
		rec->vs_id = vs_id;
	}
	return rec;
}

void recon_rs_drop(struct reconcile *recon, int64_t id)
{
	struct recon_rs *rec = idmap_get(&recon->rs, id);

	if (rec)
		recon_stuck_set(recon, &rec->stuck, false, true, id);
	rec = idmap_del(&recon->rs, id);
	if (rec) {
		free(rec->reason);
		free(rec);
	}
}

/* Gives every real server of service vs_id the same state (its service failed, or is disabled). */
static void recon_reals_state(struct reconcile *recon, int64_t vs_id,
			      enum status_kernel_state state, const char *why)
{
	size_t n;
	const struct fulcrum_rs_stored *const *rs = store_rs_all(recon->st, vs_id, &n);

	for (size_t i = 0; i < n; i++) {
		struct recon_rs *rec = recon_rs_rec(recon, rs[i]->id, vs_id);

		if (!rec)
			continue;
		rec->present = false;
		memset(&rec->dest.stats, 0, sizeof(rec->dest.stats));
		recon_rs_state(recon, rec, rs[i]->id, state, why, false);
	}
}

/* rec's real server was written as want; kd is what the kernel held (its counters), or NULL. */
static void recon_rs_written(struct reconcile *recon, struct recon_rs *rec, int64_t id,
			     const struct ipvs_dest *kd, const struct ipvs_dest *want)
{
	if (kd) {
		rec->dest = *kd;
		rec->dest.fwd = want->fwd;
		rec->dest.weight = want->weight;
		rec->dest.u_threshold = want->u_threshold;
		rec->dest.l_threshold = want->l_threshold;
		rec->dest.tun_type = want->tun_type;
		rec->dest.tun_port = want->tun_port;
	} else {
		rec->dest = *want;
	}
	rec->present = true;
	recon_rs_state(recon, rec, id, STATUS_KERNEL_IN_SYNC, NULL, false);
}

/*
 * Brings one real server's kernel entry in line with rs; kd is the kernel's,
 * or NULL. Returns -ESRCH, having recorded nothing, when recheck is set and
 * the kernel says svc is gone; else 0 (a refusal is recorded in the state).
 */
static int recon_sync_rs(struct reconcile *recon, const struct fulcrum_vs *vs,
			 const struct ipvs_service *svc, const struct fulcrum_rs *rs,
			 const struct ipvs_dest *kd, bool recheck)
{
	struct recon_rs *rec = recon_rs_rec(recon, rs->id, vs->id);
	struct ipvs_dest want;
	char what[IPVS_DEST_STRLEN], why[256];
	int err;

	if (!rec)
		return 0;
	if (ipvs_dest_from_rs(rs, vs, &want) != 0) {
		recon_rs_state(recon, rec, rs->id, STATUS_KERNEL_ERROR,
			       "the configuration cannot be expressed in IPVS", false);
		return 0;
	}
	ipvs_dest_format(&want, what, sizeof(what));
	if (!kd) {
		err = ipvs_dest_add(recon->ipvs, svc, &want, 0);
		if (err == 0)
			recon_note(recon, "service '%s': added real server %s (weight %u)",
				   vs->name, what, want.weight);
	} else if (ipvs_dest_needs_edit(kd, &want)) {
		err = ipvs_dest_edit(recon->ipvs, svc, &want);
		if (err == 0)
			recon_note(recon, "service '%s': real server %s now weight %u", vs->name,
				   what, want.weight);
	} else {
		err = 0;
	}
	if (err == -ESRCH && recheck)
		return err;
	if (err != 0) {
		recon->totals.errors++;
		ipvs_strerror(kd ? IPVS_OP_DEST_EDIT : IPVS_OP_DEST_ADD, err, NULL, why,
			      sizeof(why));
		if (rec->state != STATUS_KERNEL_ERROR || !rec->reason ||
		    strcmp(rec->reason, why) != 0)
			log_warnx("reconcile", "service '%s': real server %s: %s", vs->name, what,
				  why);
		rec->present = kd != NULL;
		recon_rs_state(recon, rec, rs->id, STATUS_KERNEL_ERROR, why, true);
		return 0;
	}
	recon_rs_written(recon, rec, rs->id, kd, &want);
	return 0;
}

/* The kernel dest matching want's key not matched yet (and now matched), or NULL. */
static const struct ipvs_dest *recon_dest_match(const struct ipvs_dest *kd, size_t nk,
						bool *matched, const struct ipvs_dest *want)
{
	for (size_t k = 0; k < nk; k++) {
		if (!matched[k] && ipvs_dest_key_equal(&kd[k], want)) {
			matched[k] = true;
			return &kd[k];
		}
	}
	return NULL;
}

/*
 * What the kernel should hold for rs, in *eff: rs as configured, drained
 * (weight 0) when its health check failed with on_failure quiesce. Returns
 * false when it should not be in the kernel at all: disabled by an admin,
 * or failed with on_failure remove. Counts in *up the real servers that can
 * take new connections.
 */
static bool recon_rs_effective(struct reconcile *recon, const struct fulcrum_vs *vs,
			       const struct fulcrum_rs_stored *rs, struct fulcrum_rs *eff,
			       size_t *up)
{
	bool down =
	    recon->conf.health_down && recon->conf.health_down(recon->conf.health_arg, rs->id);
	struct fulcrum_check check;

	model_rs_copy(eff, rs);
	if (rs->admin_state == FULCRUM_RS_DISABLED)
		return false;
	if (down) {
		model_check_effective(&vs->check, &rs->check, &check);
		if (check.on_failure == FULCRUM_ON_FAILURE_REMOVE)
			return false;
		eff->admin_state = FULCRUM_RS_DRAINED;
	}
	if (eff->admin_state == FULCRUM_RS_ENABLED)
		(*up)++;
	return true;
}

/* With no real server up, the service's fallback ("sorry") server is in the kernel. */
static void recon_sync_fallback(struct reconcile *recon, const struct fulcrum_vs *vs,
				const struct ipvs_service *svc, const struct ipvs_dest *kd,
				size_t nk, bool *matched)
{
	struct fulcrum_rs fb;
	struct ipvs_dest want;
	char what[IPVS_DEST_STRLEN], why[256];
	int err;

	if (vs->fallback.addr.family == AF_UNSPEC)
		return;
	model_rs_init(&fb);
	fb.vs_id = vs->id;
	fb.addr = vs->fallback.addr;
	fb.port = vs->fallback.port;
	fb.forwarding = vs->fallback.forwarding;
	fb.tunnel_type = fb.forwarding == FULCRUM_FWD_TUNNEL ? FULCRUM_TUN_IPIP : FULCRUM_TUN_NONE;
	if (ipvs_dest_from_rs(&fb, vs, &want) != 0 || recon_dest_match(kd, nk, matched, &want))
		return;
	ipvs_dest_format(&want, what, sizeof(what));
	err = ipvs_dest_add(recon->ipvs, svc, &want, IPVS_F_IDEMPOTENT);
	if (err == 0) {
		recon_note(recon, "service '%s': no real server up, fallback %s in", vs->name,
			   what);
		log_notice("reconcile", "service '%s': no real server up: fallback %s in", vs->name,
			   what);
	} else {
		recon->totals.errors++;
		log_warnx("reconcile", "service '%s': cannot add the fallback %s: %s", vs->name,
			  what, ipvs_strerror(IPVS_OP_DEST_ADD, err, NULL, why, sizeof(why)));
	}
}

/*
 * Real servers of vs in the kernel service svc: adds and edits first, then
 * deletes. With recheck (svc's presence came from a dump that may be stale),
 * returns -ESRCH at once when the kernel says svc is gone; else 0.
 */
static int recon_sync_dests(struct reconcile *recon, const struct fulcrum_vs *vs,
			    const struct ipvs_service *svc, bool recheck)
{
	struct ipvs_dest *kd = NULL;
	size_t nk = 0, n, up = 0;
	const struct fulcrum_rs_stored *const *rs;
	bool *matched;
	char why[256];
	int err = ipvs_dest_list(recon->ipvs, svc, &kd, &nk);

	if (err != 0) {
		ipvs_strerror(IPVS_OP_DEST_LIST, err, NULL, why, sizeof(why));
		recon_reals_state(recon, vs->id, STATUS_KERNEL_ERROR, why);
		return 0;
	}
	matched = calloc(nk ? nk : 1, sizeof(*matched));
	if (!matched) {
		free(kd);
		return 0;
	}
	rs = store_rs_all(recon->st, vs->id, &n);
	for (size_t i = 0; i < n; i++) {
		struct ipvs_dest want;
		const struct ipvs_dest *have = NULL;
		struct fulcrum_rs eff;

		if (!recon_rs_effective(recon, vs, rs[i], &eff, &up)) {
			struct recon_rs *rec = recon_rs_rec(recon, rs[i]->id, vs->id);

			if (rec) {
				rec->present = false;
				recon_rs_state(recon, rec, rs[i]->id, STATUS_KERNEL_IN_SYNC, NULL,
					       false);
			}
			continue;
		}
		if (ipvs_dest_from_rs(&eff, vs, &want) == 0)
			have = recon_dest_match(kd, nk, matched, &want);
		err = recon_sync_rs(recon, vs, svc, &eff, have, recheck && nk == 0);
		if (err == -ESRCH)
			goto out;
	}
	if (up == 0)
		recon_sync_fallback(recon, vs, svc, kd, nk, matched);
	for (size_t k = 0; k < nk; k++) {
		char what[IPVS_DEST_STRLEN];

		if (matched[k])
			continue;
		ipvs_dest_format(&kd[k], what, sizeof(what));
		err = ipvs_dest_del(recon->ipvs, svc, &kd[k], IPVS_F_IDEMPOTENT);
		if (err == 0) {
			recon_note(recon, "service '%s': removed real server %s", vs->name, what);
		} else {
			recon->totals.errors++;
			log_warnx("reconcile", "service '%s': cannot remove real server %s: %s",
				  vs->name, what,
				  ipvs_strerror(IPVS_OP_DEST_DEL, err, NULL, why, sizeof(why)));
		}
	}
	err = 0;
out:
	free(matched);
	free(kd);
	return err;
}

void recon_vs_remove(struct reconcile *recon, struct recon_vs *rec, const char *name)
{
	char what[IPVS_SERVICE_STRLEN], why[256];
	int err;

	if (!rec->installed)
		return;
	ipvs_service_format(&rec->svc, what, sizeof(what));
	err = ipvs_service_del(recon->ipvs, &rec->svc, IPVS_F_IDEMPOTENT);
	if (err == 0) {
		recon_note(recon, "service '%s': removed %s from the kernel", name, what);
		rec->installed = false;
	} else {
		recon->totals.errors++;
		log_warnx("reconcile", "service '%s': cannot remove %s: %s", name, what,
			  ipvs_strerror(IPVS_OP_SERVICE_DEL, err, NULL, why, sizeof(why)));
	}
}

/* Drops the records of every real server of service vs_id (the service is gone). */
static void recon_reals_forget(struct reconcile *recon, int64_t vs_id)
{
	size_t pos = 0;
	int64_t id;
	struct recon_rs *rec;

	while ((rec = idmap_next(&recon->rs, &pos, &id)))
		if (rec->vs_id == vs_id)
			recon_rs_drop(recon, id);
}

void recon_sync_vs(struct reconcile *recon, int64_t id, const struct ipvs_service *kernel,
		   bool known)
{
	const struct fulcrum_vs *vs = store_vs_get(recon->st, id);
	struct recon_vs *rec = idmap_get(&recon->vs, id);
	struct ipvs_service want, have, old;
	bool moved, present;
	char what[IPVS_SERVICE_STRLEN], why[256];
	int err;

	recon->totals.syncs++;
	if (!vs || vs->admin_state == FULCRUM_VS_DISABLED) {
		if (rec)
			recon_vs_remove(recon, rec, vs ? vs->name : "(deleted)");
		if (!vs) {
			if (rec)
				recon_stuck_set(recon, &rec->stuck, false, false, id);
			rec = idmap_del(&recon->vs, id);
			if (rec)
				free(rec->reason);
			free(rec);
			recon_reals_forget(recon, id);
		} else if (rec) {
			rec->sync = ++recon->syncs;
			recon_vs_state(recon, rec, id, STATUS_KERNEL_IN_SYNC, NULL, false);
			recon_reals_state(recon, id, STATUS_KERNEL_IN_SYNC, NULL);
		}
		return;
	}
	rec = recon_vs_rec(recon, id);
	if (!rec)
		return;
	rec->sync = ++recon->syncs;
	if (ipvs_service_from_vs(vs, &want) != 0) {
		recon_vs_state(recon, rec, id, STATUS_KERNEL_ERROR,
			       "the configuration cannot be expressed in IPVS", false);
		return;
	}
	ipvs_service_format(&want, what, sizeof(what));
	moved = rec->installed && !ipvs_service_key_equal(&rec->svc, &want);
	old = rec->svc;
	/* A dump's difference may be gone by now: read it again before writing. */
	if (known && kernel && ipvs_service_needs_edit(kernel, &want))
		known = false;
	if (!known) {
		err = ipvs_service_get(recon->ipvs, &want, &have);
		present = err == 0;
		if (err != 0 && err != -ESRCH) {
			ipvs_strerror(IPVS_OP_SERVICE_GET, err, NULL, why, sizeof(why));
			recon_vs_state(recon, rec, id, STATUS_KERNEL_ERROR, why, true);
			return;
		}
	} else {
		present = kernel != NULL;
		if (kernel)
			have = *kernel;
	}
	if (!present) {
		err = ipvs_service_add(recon->ipvs, &want, 0);
		if (err == -EEXIST && known) {
			/* added since the dump: sync with what the kernel holds now */
			recon_sync_vs(recon, id, NULL, false);
			return;
		}
		if (err == 0)
			recon_note(recon, "service '%s': added %s (%s)", vs->name, what,
				   want.sched_name);
		have = want;
	} else if (ipvs_service_needs_edit(&have, &want)) {
		err = ipvs_service_edit(recon->ipvs, &want);
		if (err == 0)
			recon_note(recon,
				   "service '%s': %s now scheduler %s, flags 0x%x, timeout %u",
				   vs->name, what, want.sched_name, want.flags, want.timeout);
	} else {
		err = 0;
	}
	if (err != 0) {
		recon->totals.errors++;
		ipvs_strerror(present ? IPVS_OP_SERVICE_EDIT : IPVS_OP_SERVICE_ADD, err,
			      want.sched_name, why, sizeof(why));
		if (rec->state != STATUS_KERNEL_ERROR || !rec->reason ||
		    strcmp(rec->reason, why) != 0)
			log_warnx("reconcile", "service '%s': %s", vs->name, why);
		recon_vs_state(recon, rec, id, STATUS_KERNEL_ERROR, why, true);
		if (!present) {
			snprintf(why, sizeof(why), "its service is not in the kernel");
			recon_reals_state(recon, id, STATUS_KERNEL_ERROR, why);
			return;
		}
	}
	/* Counters from the kernel, settings as now written. */
	rec->svc = have;
	memcpy(rec->svc.sched_name, want.sched_name, sizeof(want.sched_name));
	rec->svc.flags = want.flags;
	rec->svc.timeout = want.timeout;
	rec->svc.netmask = want.netmask;
	rec->installed = true;
	if (err == 0)
		recon_vs_state(recon, rec, id, STATUS_KERNEL_IN_SYNC, NULL, false);
	if (recon_sync_dests(recon, vs, &want, known && present) == -ESRCH) {
		/* deleted since the dump: the kernel is asked, and it is added again */
		rec->installed = false;
		recon_sync_vs(recon, id, NULL, false);
	}
	if (moved) {
		/* A new key: the new service is filled before the old one goes. */
		struct recon_vs gone = {.installed = true, .svc = old};

		recon_vs_remove(recon, &gone, vs->name);
	}
}

/*
 * A commit changed real server rs, and nothing else of its service. When
 * both were in sync and the kernel keeps rs under the key last synced, one
 * edit brings it in line (none when nothing the kernel holds changed): no
 * question to the kernel first. Returns false when that cannot be told or
 * the edit failed: the caller then syncs the whole service, asking the
 * kernel (which also reports any error).
 */
static bool recon_rs_quick(struct reconcile *recon, const struct fulcrum_vs *vs,
			   const struct fulcrum_rs_stored *rs)
{
	const struct recon_vs *vrec = idmap_get(&recon->vs, vs->id);
	struct recon_rs *rec = idmap_get(&recon->rs, rs->id);
	struct ipvs_service svc;
	struct ipvs_dest want, have;
	struct fulcrum_rs eff;
	size_t up = 0;
	char what[IPVS_DEST_STRLEN];

	/* with a fallback, a real server's change may change who is up: the service decides */
	if (!vrec || !vrec->installed || vrec->state != STATUS_KERNEL_IN_SYNC || !rec ||
	    !rec->present || rec->state != STATUS_KERNEL_IN_SYNC || rec->vs_id != vs->id ||
	    vs->admin_state != FULCRUM_VS_ENABLED || vs->fallback.addr.family != AF_UNSPEC)
		return false;
	if (!recon_rs_effective(recon, vs, rs, &eff, &up) || ipvs_service_from_vs(vs, &svc) != 0 ||
	    !ipvs_service_key_equal(&vrec->svc, &svc) || ipvs_dest_from_rs(&eff, vs, &want) != 0 ||
	    !ipvs_dest_key_equal(&rec->dest, &want))
		return false;
	if (!ipvs_dest_needs_edit(&rec->dest, &want))
		return true;
	if (ipvs_dest_edit(recon->ipvs, &svc, &want) != 0)
		return false;
	ipvs_dest_format(&want, what, sizeof(what));
	recon_note(recon, "service '%s': real server %s now weight %u", vs->name, what,
		   want.weight);
	have = rec->dest;
	recon_rs_written(recon, rec, rs->id, &have, &want);
	return true;
}

/* What a commit changed: a real server (rs_id), or its whole service (rs_id 0). */
struct recon_target {
	int64_t vs_id, rs_id;
};

static int recon_target_cmp(const void *a, const void *b)
{
	const struct recon_target *x = a, *y = b;

	if (x->vs_id != y->vs_id)
		return x->vs_id < y->vs_id ? -1 : 1;
	return x->rs_id < y->rs_id ? -1 : x->rs_id > y->rs_id;
}

/*
 * Syncs service vs_id after a commit that changed t[0..n) of it (sorted):
 * real servers changed in place one by one, anything else the whole service.
 */
static void recon_commit_vs(struct reconcile *recon, int64_t vs_id, const struct recon_target *t,
			    size_t n)
{
	const struct fulcrum_vs *vs = store_vs_get(recon->st, vs_id);
	bool quick = vs != NULL;

	for (size_t i = 0; quick && i < n; i++) {
		const struct fulcrum_rs_stored *rs;

		if (i > 0 && t[i].rs_id == t[i - 1].rs_id)
			continue;
		rs = t[i].rs_id ? store_rs_get(recon->st, t[i].rs_id) : NULL;
		quick = rs && recon_rs_quick(recon, vs, rs);
	}
	if (!quick)
		recon_sync_vs(recon, vs_id, NULL, false);
}

/* The commit event: syncs what the revision changed, service by service; a reload, everything. */
static void recon_on_commit(void *arg, const struct store_commit *ev)
{
	struct reconcile *recon = arg;
	struct recon_target *t;
	size_t nt = 0;

	if (!ipvs_info(recon->ipvs)->available || ev->revision <= recon->revision)
		return;
	recon->revision = ev->revision;
	t = ev->reload ? NULL : calloc(ev->n ? ev->n : 1, sizeof(*t));
	if (!t) {
		recon_pass_start(recon, false);
		return;
	}
	for (size_t i = 0; i < ev->n; i++) {
		const struct command_change *ch = &ev->changes[i];
		struct recon_target one = {0};

		if (ch->kind == FULCRUM_KIND_VS) {
			one.vs_id = ch->id;
		} else if (ch->kind == FULCRUM_KIND_RS) {
			const struct fulcrum_rs_stored *rs = store_rs_get(recon->st, ch->id);
			struct recon_rs *rec = idmap_get(&recon->rs, ch->id);

			one.vs_id = rs ? rs->vs_id : rec ? rec->vs_id : 0;
			/* a deleted one (rs_id 0): its service is synced whole */
			one.rs_id = rs ? rs->id : 0;
			if (!rs)
				recon_rs_drop(recon, ch->id);
		} /* a VIP is none of IPVS's: failover adds and removes it, not reconcile */
		if (one.vs_id > 0)
			t[nt++] = one;
	}
	qsort(t, nt, sizeof(*t), recon_target_cmp);
	for (size_t i = 0, j; i < nt; i = j) {
		for (j = i + 1; j < nt && t[j].vs_id == t[i].vs_id; j++)
			;
		recon_commit_vs(recon, t[i].vs_id, &t[i], j - i);
	}
	free(t);
}

void reconcile_vs_sync(struct reconcile *recon, int64_t vs_id)
{
	if (ipvs_info(recon->ipvs)->available && vs_id > 0)
		recon_sync_vs(recon, vs_id, NULL, false);
}

int reconcile_new(struct event_base *base, struct store *st, struct ipvs *ipvs,
		  const struct reconcile_conf *conf, struct reconcile **out)
{
	struct reconcile *recon = calloc(1, sizeof(*recon));
	int err;

	*out = NULL;
	if (!recon)
		return -ENOMEM;
	recon->base = base;
	recon->st = st;
	recon->ipvs = ipvs;
	recon->conf = *conf;
	recon->revision = store_revision(st);
	err = store_subscribe(st, recon_on_commit, recon);
	if (err != 0)
		goto fail;
	if (ipvs_info(ipvs)->available) {
		err = recon_pass_start(recon, true);
		if (err != 0)
			goto fail;
	}
	*out = recon;
	return 0;
fail:
	reconcile_free(recon);
	return err;
}

void reconcile_free(struct reconcile *recon)
{
	size_t pos = 0;
	int64_t id;
	struct recon_vs *v;
	struct recon_rs *r;

	if (!recon)
		return;
	store_unsubscribe(recon->st, recon_on_commit, recon);
	recon_pass_stop(recon);
	if (recon->timer)
		event_free(recon->timer);
	recon->timer = NULL;
	if (recon->slice_ev)
		event_free(recon->slice_ev);
	recon->slice_ev = NULL;
	while ((v = idmap_next(&recon->vs, &pos, &id))) {
		free(v->reason);
		free(v);
	}
	pos = 0;
	while ((r = idmap_next(&recon->rs, &pos, &id))) {
		free(r->reason);
		free(r);
	}
	idmap_clear(&recon->vs);
	idmap_clear(&recon->rs);
	free(recon);
}

/* IPVS's counters as the API and the MIB read them. */
static void recon_counters(const struct ipvs_stats *s, struct status_counters *out)
{
	*out = (struct status_counters){
	    .conns = s->conns,
	    .inpkts = s->inpkts,
	    .outpkts = s->outpkts,
	    .inbytes = s->inbytes,
	    .outbytes = s->outbytes,
	    .cps = s->cps,
	    .inpps = s->inpps,
	    .outpps = s->outpps,
	    .inbps = s->inbps,
	    .outbps = s->outbps,
	};
}

/* Starts an answer about one object: false when IPVS is unavailable (out then says so). */
static bool recon_kernel_begin(struct reconcile *recon, struct status_kernel *out)
{
	memset(out, 0, sizeof(*out));
	out->reason = "";
	if (ipvs_info(recon->ipvs)->available)
		return true;
	out->state = STATUS_KERNEL_UNAVAILABLE;
	out->reason = ipvs_info(recon->ipvs)->reason;
	return false;
}

void reconcile_vs_kernel(struct reconcile *recon, int64_t id, struct status_kernel *out)
{
	const struct recon_vs *rec = idmap_get(&recon->vs, id);

	if (!recon_kernel_begin(recon, out) || !rec)
		return;
	out->state = rec->state;
	out->reason = rec->reason ? rec->reason : "";
	out->present = rec->installed;
	if (rec->installed)
		recon_counters(&rec->svc.stats, &out->stats);
}

void reconcile_rs_kernel(struct reconcile *recon, int64_t id, struct status_kernel *out)
{
	const struct recon_rs *rec = idmap_get(&recon->rs, id);

	if (!recon_kernel_begin(recon, out) || !rec)
		return;
	out->state = rec->state;
	out->reason = rec->reason ? rec->reason : "";
	out->present = rec->present;
	if (rec->present) {
		recon_counters(&rec->dest.stats, &out->stats);
		out->active_conns = rec->dest.active_conns;
		out->inactive_conns = rec->dest.inactive_conns;
	}
}

void reconcile_totals_get(const struct reconcile *recon, struct reconcile_totals *out)
{
	*out = recon->totals;
}

bool reconcile_vs_held(const struct reconcile *recon, int64_t id)
{
	const struct recon_vs *rec = idmap_get(&recon->vs, id);

	return ipvs_info(recon->ipvs)->available && rec && rec->installed;
}

int reconcile_vs_zero(struct reconcile *recon, int64_t id)
{
	struct recon_vs *rec = idmap_get(&recon->vs, id);
	struct recon_rs *r;
	size_t pos = 0;
	int64_t rid;
	int err;

	if (!reconcile_vs_held(recon, id))
		return -ESRCH;
	err = ipvs_zero(recon->ipvs, &rec->svc);
	if (err != 0)
		return err;
	/* the cache says zero at once rather than at the next pass */
	memset(&rec->svc.stats, 0, sizeof(rec->svc.stats));
	while ((r = idmap_next(&recon->rs, &pos, &rid)) != NULL)
		if (r->vs_id == id)
			memset(&r->dest.stats, 0, sizeof(r->dest.stats));
	log_notice("reconcile", "counters of service %lld zeroed", (long long)id);
	return 0;
}
