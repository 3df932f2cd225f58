/* What store*.c share: the mirror itself, put and drop of each kind, and the end of a commit. */
#ifndef FULCRUM_STORE_INT_H
#define FULCRUM_STORE_INT_H

#include "controller/core/store.h"
#include "controller/lib/ptrvec.h"

struct store {
	struct db *db;
	int64_t revision;
	int64_t data_version; /* db_data_version() when last read: moves on another's commit */
	int64_t vs_next, rs_next, vip_next; /* the next ids the database gives */
	bool notify[COMMAND_NOTIFY_COUNT];
	struct ptrvec vs;        /* struct fulcrum_vs *, by id */
	struct ptrvec rs_by_id;  /* struct fulcrum_rs_stored *, by id */
	struct ptrvec rs_by_vs;  /* the same objects, by (vs_id, id) */
	struct ptrvec vips;      /* struct fulcrum_vip *, by id (store_vip.c) */
	struct hook commit_hook; /* the commit event's subscribers */
	struct store_last last;  /* who made the last change, and when */
	uint64_t loads;          /* wholesale loads of the mirror so far */
	struct {                 /* the write gate (store_writes_refuse()) */
		bool refuse;
		char why[96];    /* "this director is standby" */
		char active[64]; /* the active's address, "" when not known */
	} gate;
};

/* Orders two ids: -1, 0 or 1. */
int store_cmp_i64(int64_t a, int64_t b);

/*
 * The mirror takes vs / rs as committed (replacing the object with its id,
 * or adding it) and notes its id as given out. 0 or -ENOMEM (then the mirror
 * may lack the object: store_mirror_committed() with that rc reloads it).
 */
int store_mirror_put_vs(struct store *st, const struct fulcrum_vs *vs);
int store_mirror_put_rs(struct store *st, const struct fulcrum_rs *rs);

/* The mirror drops service id (and its real servers) / real server id; absent is fine. */
void store_mirror_drop_vs(struct store *st, int64_t id);
void store_mirror_drop_rs(struct store *st, int64_t id);

/*
 * The VIPs of the mirror (store_vip.c). store_vip_load() reads every VIP of
 * the database into st->vips, which must be empty; store_vip_refresh()
 * rereads VIP id (one the database no longer has leaves the mirror too) and
 * notes its id as given out. store_mirror_put_vip() and _drop_vip() are the
 * group commit's, as for the other kinds. 0 or a negative errno.
 */
int store_vip_load(struct store *st);
int store_vip_refresh(struct store *st, int64_t id);
int store_mirror_put_vip(struct store *st, const struct fulcrum_vip *vip);
void store_mirror_drop_vip(struct store *st, int64_t id);

/*
 * After the mirror took one committed command, whose result is res: rc not 0 (the mirror could not follow), or another process's commit
 * since the mirror last looked, reloads it all from the database. The
 * commit event (a reload event after a reload) is published when the
 * revision moved.
 */
void store_mirror_committed(struct store *st, int rc, const struct command_result *res);

#endif
