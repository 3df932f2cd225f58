/* The in-memory model: the configuration mirrored from SQLite, and the write path around it. */
#ifndef FULCRUM_STORE_H
#define FULCRUM_STORE_H

#include "controller/core/command.h"
#include "controller/lib/hook.h"
#include "controller/model/model-t.h"
#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Reads (the API, the MIB, reconcile) are answered from here, never from the
 * disk; writes go through store_*() below, which run the command (validate,
 * commit durably) and then update the mirror from what was committed and
 * publish the commit event. The database stays the source of truth.
 */
struct store;

/*
 * The commit event: after each committed revision, once, what it changed.
 * Subscribers (reconcile, the health targets, operational state, the API's
 * event stream, the MIB, replication, failover) take it from here; none
 * reads the change log back to learn what a commit did. Each change names
 * its kind: a subscriber skips the kinds it does not keep (reconcile and
 * the health checks have nothing to do with a VIP). When the store was loaded
 * whole instead (reload: another process's commits, or a commit the mirror
 * could not follow), anything may have changed: changes is empty and each
 * subscriber redoes what it keeps (reading the log to catch up is fine then).
 */
struct store_commit {
	int64_t revision;  /* the revision the mirror now holds */
	int64_t time;      /* Unix seconds of the change (0 on a reload) */
	const char *actor; /* who ("" on a reload) */
	enum fulcrum_origin origin;
	const struct command_change *changes; /* each object written, in the order logged */
	size_t n;
	bool reload;
};

/* Runs on the loop's thread; the mirror already holds ev->revision; ev is valid during the call. */
HOOK_DECLARE(store_commit_hook, struct store_commit)

/*
 * Loads every service, real server and VIP of db into memory. db stays the
 * caller's and must outlive the store. Returns 0 or a negative errno (db.h),
 * *out then NULL.
 */
int store_open(struct db *db, struct store **out);

/* Frees the mirror; accepts NULL. */
void store_free(struct store *st);

/* The database behind the store. */
struct db *store_db(struct store *st);

/* The revision the mirror holds. */
int64_t store_revision(const struct store *st);

/*
 * How many times the mirror was loaded whole so far: store_open(), a
 * store_reload() of another process's commits, a commit after which the
 * mirror could not follow change by change. When it moved, a listener
 * cannot learn what changed from the change log alone: anything may have.
 */
uint64_t store_loads(const struct store *st);

/* Subscribes fn to the commit event; subscribers run in the order added. 0 or -ENOMEM. */
int store_subscribe(struct store *st, store_commit_hook_fn fn, void *arg);

/* Unsubscribes fn with arg (a subscriber that goes away before the store); absent is fine. */
void store_unsubscribe(struct store *st, store_commit_hook_fn fn, void *arg);

/*
 * Who made the last change, and when: the revision's change-log row (read
 * at load, then kept from each commit event). time 0 and actor "" when
 * there is none. The pointer stays valid while st lives.
 */
struct store_last {
	int64_t revision;
	int64_t time;
	char actor[65];
	enum fulcrum_origin origin;
};
const struct store_last *store_last_change(const struct store *st);

/*
 * The change log, for history and for catching up: db_change_list()'s
 * contract (rows after since, oldest first, at most limit, 0: all; free
 * them with fulcrum_change_list_free()). On failure store_errmsg() says why.
 */
int store_changes(struct store *st, int64_t since, size_t limit, struct fulcrum_change **out,
		  size_t *n);

/* The last storage error, in SQLite's words. */
const char *store_errmsg(struct store *st);

/*
 * How long a write waits for another process's lock (fulcrumctl --db)
 * before it fails, in milliseconds: db_busy_timeout()'s contract. Returns
 * the wait it replaces, to put back after.
 */
unsigned store_busy_timeout(struct store *st, unsigned ms);

/*
 * Lookups. Pointers are owned by the store and valid until the next write
 * or reload.
 */
const struct fulcrum_vs *store_vs_get(const struct store *st, int64_t id);
const struct fulcrum_vs *store_vs_find_by_name(const struct store *st, const char *name);
const struct fulcrum_rs_stored *store_rs_get(const struct store *st, int64_t id);

/*
 * Copies object id of kind into out, the whole struct of its kind (a real
 * server through model_rs_copy()): for code that treats every kind alike.
 * Returns 0, or -ENOENT when the store has none (out untouched).
 */
int store_copy(const struct store *st, enum fulcrum_kind kind, int64_t id, void *out);

/*
 * The id the database gives the next service / real server created with id 0
 * (db_vs_next_id()); an explicit id in a batch must not be below it.
 */
int64_t store_vs_next_id(const struct store *st);
int64_t store_rs_next_id(const struct store *st);

/*
 * VIPs: store_vip_get() finds VIP id (NULL when none); store_vip_all()
 * gives every VIP in id order, *n of them; store_vip_next_id() is the id
 * the next VIP created with id 0 gets (db_vip_next_id()). Pointers are the
 * store's, valid until the next write or reload, as for the other kinds.
 */
const struct fulcrum_vip *store_vip_get(const struct store *st, int64_t id);
const struct fulcrum_vip *const *store_vip_all(const struct store *st, size_t *n);
int64_t store_vip_next_id(const struct store *st);

/* Whether notification switch which is on; false for a which outside the enum. */
bool store_notify_enabled(const struct store *st, enum command_notify which);

/* Every service in id order: *n of them. */
const struct fulcrum_vs *const *store_vs_all(const struct store *st, size_t *n);

/*
 * Every real server ordered by (service id, id): *n of them. With vs_id not
 * 0, only that service's, still in id order.
 */
const struct fulcrum_rs_stored *const *store_rs_all(const struct store *st, int64_t vs_id,
						    size_t *n);

/*
 * The write gate (docs/ha.md, "Writes on the standby"): only the director
 * that accepts writes takes them, so that the pair never holds two
 * histories. The daemon closes it on every role change that leaves this
 * node unfit to take writes (refuse true) and opens it again (refuse false).
 * While it is closed every write below (the typed calls, store_batch(),
 * store_batch_rehearse(), each write of store_group_run()) fails before it
 * touches anything: -EROFS, err FULCRUM_ERR_UNAVAILABLE with the message
 * "<why>: writes go to the active, <active>" (or "... the active director"
 * when active is "" or NULL). A write whose actor's origin is
 * FULCRUM_ORIGIN_SYNC (replication from the active) always passes. why and
 * active are copied, cut to fit. Open at store_open().
 */
void store_writes_refuse(struct store *st, bool refuse, const char *why, const char *active);

/*
 * Whether the gate is closed; when it is, *why and *active (either may be
 * NULL) point at what store_writes_refuse() was given ("" for none), valid
 * until the next call of it.
 */
bool store_writes_refused(const struct store *st, const char **why, const char **active);

/*
 * The gate's answer for a write by actor, before anything is asked of it
 * (SNMP refuses a whole SET with it in its first check): 0 when it may go
 * on (the gate is open, or the actor's origin is sync), else -EROFS with err
 * filled as above. err may be NULL.
 */
int store_writes_check(const struct store *st, const struct command_actor *actor,
		       struct fulcrum_err *err);

/*
 * The write path: the same contracts as command.h, then the mirror follows
 * the commit and the commit event is published. On failure nothing
 * changes, here or on disk; the write gate above comes first. The six typed calls read better at their
 * callers than an op would; each is store_batch() with one op.
 */
int store_vs_create(struct store *st, const struct command_actor *actor, struct fulcrum_vs *vs,
		    struct fulcrum_rs *reals, size_t nreals, int64_t if_revision,
		    int64_t *revision_out, struct fulcrum_err *err);
int store_vs_update(struct store *st, const struct command_actor *actor,
		    const struct fulcrum_vs *vs, int64_t if_revision, int64_t *revision_out,
		    struct fulcrum_err *err);
int store_vs_delete(struct store *st, const struct command_actor *actor, int64_t id,
		    int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);
int store_rs_create(struct store *st, const struct command_actor *actor, struct fulcrum_rs *rs,
		    int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);
int store_rs_update(struct store *st, const struct command_actor *actor,
		    const struct fulcrum_rs *rs, int64_t if_revision, int64_t *revision_out,
		    struct fulcrum_err *err);
int store_rs_delete(struct store *st, const struct command_actor *actor, int64_t id,
		    int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);

/* The same for VIPs (command_vip_create() ...), each store_batch() with one op. */
int store_vip_create(struct store *st, const struct command_actor *actor, struct fulcrum_vip *vip,
		     int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);
int store_vip_update(struct store *st, const struct command_actor *actor,
		     const struct fulcrum_vip *vip, int64_t if_revision, int64_t *revision_out,
		     struct fulcrum_err *err);
int store_vip_delete(struct store *st, const struct command_actor *actor, int64_t id,
		     int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);

/*
 * One command of several changes (command_batch()), then the mirror follows
 * each change (a service deleted takes its real servers along), the switches
 * follow the NOTIFY_SETs, and the commit event is published once if the
 * revision moved.
 */
int store_batch(struct store *st, const struct command_actor *actor, struct command_op *ops,
		size_t n, int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err,
		size_t *failed);

/* command_batch_rehearse() on the store's database: the mirror and subscribers are not touched. */
int store_batch_rehearse(struct store *st, const struct command_actor *actor,
			 const struct command_op *ops, size_t n, struct fulcrum_err *err,
			 size_t *failed);

/* One write of a group commit (store_group_run()). */
struct store_write {
	const struct command_actor *actor; /* who; not NULL */
	int64_t if_revision; /* 0, or the revision it expects, checked in its turn in the group */
	command_txn_fn fn;   /* the write: runs inside its own savepoint (command.h) */
	void *arg;           /* fn's */
	int rc;              /* out: 0 once it is durable, or a negative errno */
	int64_t revision;    /* out: its revision (the current one when it changed nothing) */
	struct fulcrum_err err; /* out: why it failed */
};

/*
 * Runs the n writes of w, in order, as one group commit (command_group_*()):
 * one transaction, each write in its own savepoint with its own revision
 * check, revision, change-log rows and error, and one durable COMMIT for all.
 *
 * Returns 0 when the group committed: then each write's rc says whether it
 * is in it (0) or failed alone and left no trace, and the mirror has taken
 * every write that changed something; after each such write's turn, in
 * order, the mirror holds the objects as that write left them and its
 * commit event is published. Returns a negative errno when the group as a
 * whole failed (BEGIN or COMMIT failed, or a storage failure lost the
 * transaction): then every write has that rc and err (FULCRUM_ERR_INTERNAL),
 * nothing was written, and neither the mirror nor any subscriber moved.
 * n may be 0 (nothing happens); w may be NULL then.
 */
int store_group_run(struct store *st, struct store_write *w, size_t n);

/*
 * Replication's way in: the other director's revisions r[0..n), in order,
 * as one group commit (store_group_run()), each through
 * command_txn_replay() with actor (origin FULCRUM_ORIGIN_SYNC: the peer).
 * The mirror follows and each revision's commit event is published with its
 * own time, actor and origin, as on the other director. A revision that
 * fails leaves nothing, and the ones after it fail too (each must follow the
 * one before). *applied gets how many, from the first, committed. Returns 0
 * when all did, else the first failure's negative errno with err (may be
 * NULL) saying why: -ESTALE (not the next revision), -EPROTO (the
 * configurations differ), a model error, a storage failure.
 */
int store_replay(struct store *st, const struct command_actor *actor,
		 const struct command_replay *r, size_t n, size_t *applied,
		 struct fulcrum_err *err);

/*
 * Rereads everything from the database when another process (fulcrumctl in
 * local mode) committed since the mirror was loaded; a reload event is
 * published when the revision moved. When only something beside the configuration changed (a
 * notification switch), rereads just that, and no listener runs. Returns 0
 * or a negative errno (the mirror is then as it was).
 */
int store_reload(struct store *st);

/*
 * store_reload() that reads the whole mirror again and publishes a reload
 * event even when the revision did not move: after a snapshot replaced the
 * database's configuration (replication), which may hold the same revision
 * with other contents.
 */
int store_reload_whole(struct store *st);

#endif
