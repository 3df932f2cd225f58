/* The one write path: validate, check against what is stored, write, bump the revision, log. */
#ifndef FULCRUM_COMMAND_H
#define FULCRUM_COMMAND_H

#include "controller/model/model-t.h"
#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Who asks for a change, recorded in the change log. */
struct command_actor {
	const char *name; /* user or peer; NULL is ""; cut to 64 bytes */
	enum fulcrum_origin origin;
};

/* How a committed command changed one object. */
enum command_change_op {
	COMMAND_CHANGE_CREATE = 0,
	COMMAND_CHANGE_UPDATE,
	COMMAND_CHANGE_DELETE,
};

/* One object a command wrote: what its change-log row says. */
struct command_change {
	enum fulcrum_kind kind;
	int64_t id;
	enum command_change_op op;
	char *before; /* its JSON before (NULL for a creation); malloc'ed, the result's */
	char *after;  /* its JSON after (NULL for a deletion) */
};

/*
 * What a command did, filled when it succeeds: its revision, and each object
 * it wrote in the order logged (a service's deletion lists its real servers
 * first). The store publishes it as the commit event; replication will send
 * it. Zero-initialise it; command_result_clear() frees what it holds.
 */
struct command_result {
	int64_t revision; /* its revision; the current one when it changed nothing */
	int64_t time;     /* Unix seconds of the change; 0 when it changed nothing */
	char actor[65];   /* who, as the change log has it (cut to 64 bytes) */
	enum fulcrum_origin origin;
	struct command_change *changes;
	size_t n, cap;
};

/* Frees what r holds and zeroes it; accepts an already cleared r. */
void command_result_clear(struct command_result *r);

/*
 * Every command below works the same way:
 *
 *   1. validates each object with the model (model_vs_validate(),
 *      model_rs_validate(), model_vip_validate()); a real server needs its
 *      service, so that check happens once the service is read;
 *   2. opens a write transaction (BEGIN IMMEDIATE);
 *   3. when if_revision is not 0 and not the current revision, fails with
 *      FULCRUM_ERR_STALE (-ESTALE);
 *   4. checks the rules across objects: a duplicate service name,
 *      address:port/protocol or fwmark+family, a real server twice in one
 *      service, or a VIP's address another VIP has, is FULCRUM_ERR_CONFLICT
 *      (-EEXIST) naming the field; a missing service, real server or VIP
 *      FULCRUM_ERR_NOTFOUND (-ENOENT);
 *   5. writes, adds 1 to the revision once, and appends one change-log row per
 *      object written (actor, origin, the object's JSON before and after);
 *   6. commits, durably, and stores the new revision in *revision_out.
 *
 * On any failure the transaction is rolled back: nothing is written, the
 * revision and the change log stay as they were, and err (which may be NULL)
 * says why with the field at fault; storage failures are
 * FULCRUM_ERR_INTERNAL with SQLite's words. The return value is 0 or a
 * negative errno: -EINVAL, -EEXIST, -ENOENT, -ESTALE for the statuses above,
 * the db layer's errno (db.h) for storage failures. revision_out may be NULL.
 *
 * An update that changes nothing writes nothing and stores the current
 * revision in *revision_out.
 *
 * actor must not be NULL. db must have no transaction open; commands are not
 * reentrant.
 */

/*
 * Creates vs with its nreals real servers (reals may be NULL when nreals is
 * 0) in one change. vs->id and the reals' id and vs_id are ignored on input;
 * on success they hold the stored ids, on failure they are as they were.
 */
int command_vs_create(struct db *db, const struct command_actor *actor, struct fulcrum_vs *vs,
		      struct fulcrum_rs *reals, size_t nreals, int64_t if_revision,
		      int64_t *revision_out, struct fulcrum_err *err);

/*
 * Replaces every field of the stored service vs->id with vs's. A change of
 * family, port or fwmark is refused (FULCRUM_ERR_INVALID, on that field) when
 * it would make one of the service's real servers invalid.
 */
int command_vs_update(struct db *db, const struct command_actor *actor, const struct fulcrum_vs *vs,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);

/* Deletes service id and its real servers (one change-log row for each). */
int command_vs_delete(struct db *db, const struct command_actor *actor, int64_t id,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);

/*
 * Creates rs as a real server of service rs->vs_id (FULCRUM_ERR_NOTFOUND on
 * "service_id" when there is none). rs->id is ignored on input and holds the
 * stored id on success.
 */
int command_rs_create(struct db *db, const struct command_actor *actor, struct fulcrum_rs *rs,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);

/*
 * Replaces every field of the stored real server rs->id with rs's. rs->vs_id
 * is 0 or the service it is in: a real server does not move between services
 * (FULCRUM_ERR_INVALID on "service_id").
 */
int command_rs_update(struct db *db, const struct command_actor *actor, const struct fulcrum_rs *rs,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);

/* Deletes real server id. */
int command_rs_delete(struct db *db, const struct command_actor *actor, int64_t id,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);

/*
 * Creates vip (FULCRUM_ERR_CONFLICT on "address" when another VIP has its
 * address). vip->id is ignored on input and holds the stored id on success.
 */
int command_vip_create(struct db *db, const struct command_actor *actor, struct fulcrum_vip *vip,
		       int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);

/* Replaces every field of the stored VIP vip->id with vip's. */
int command_vip_update(struct db *db, const struct command_actor *actor,
		       const struct fulcrum_vip *vip, int64_t if_revision, int64_t *revision_out,
		       struct fulcrum_err *err);

/* Deletes VIP id. */
int command_vip_delete(struct db *db, const struct command_actor *actor, int64_t id,
		       int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);

/* The kinds of change a batch is made of. */
enum command_op_kind {
	COMMAND_VS_CREATE,
	COMMAND_VS_UPDATE,
	COMMAND_VS_DELETE,
	COMMAND_RS_CREATE,
	COMMAND_RS_UPDATE,
	COMMAND_RS_DELETE,
	COMMAND_NOTIFY_SET,
	COMMAND_VIP_CREATE,
	COMMAND_VIP_UPDATE,
	COMMAND_VIP_DELETE,
};

/* One change of a batch; which fields count depends on kind. */
struct command_op {
	enum command_op_kind kind;
	struct fulcrum_vs vs; /* VS_CREATE, VS_UPDATE (whole object); vs.id alone for VS_DELETE */
	/* VS_CREATE: the new service's real servers (their ids and vs_id are ignored, then set) */
	struct fulcrum_rs *reals;
	size_t nreals;
	struct fulcrum_rs rs;       /* RS_CREATE, RS_UPDATE; rs.id alone for RS_DELETE */
	struct fulcrum_vip vip;     /* VIP_CREATE, VIP_UPDATE; vip.id alone for VIP_DELETE */
	enum command_notify notify; /* NOTIFY_SET (the enum is in model-t.h: db/ stores it) */
	bool enabled;               /* NOTIFY_SET */
};

/*
 * Runs the n changes of ops in order, as one command: one transaction, one
 * if_revision check, and the revision bumped once for them all, or not at
 * all when nothing changed (updates that change nothing write nothing).
 * Each change gets exactly the checks, error and change-log rows its single
 * command above would give, and sees what the changes before it wrote: an
 * RS_CREATE may name a service created earlier in the batch, and a real
 * server of a service deleted earlier is not found.
 *
 * Creates differ from the single commands in one way: vs.id / rs.id not 0
 * asks for that id (a VS_CREATE's reals always take the next ids); so does
 * vip.id of a VIP_CREATE. It must be free (else FULCRUM_ERR_CONFLICT on
 * "id") and not below the next id of its kind (db_vs_next_id(),
 * db_rs_next_id(), db_vip_next_id()): ids are never reused (else
 * FULCRUM_ERR_INVALID on "id"). An id above the next one moves the next one
 * past it. 0 takes the next id, as the single commands do.
 *
 * NOTIFY_SET stores switch notify as enabled, in the same transaction. The
 * switches are not configuration: they bump no revision and write no
 * change-log row, so a batch of only NOTIFY_SET leaves the revision alone.
 * A notify outside the enum is FULCRUM_ERR_INVALID on "notify"; so is a
 * kind outside the enum, on "kind".
 *
 * On success creates hold their stored ids (vs.id and the reals' id and
 * vs_id; rs.id and rs.vs_id; vip.id), the rest of ops is as given, and res (may be
 * NULL) says what the batch did: its revision and every object it wrote
 * (the caller clears it). On failure everything is rolled back, ops is
 * untouched, res is empty, err says why as above, and *failed (failed may
 * be NULL) holds the index of the change at fault, or n when none is (a
 * stale revision, a failed commit; also n on success). ops may be NULL when
 * n is 0.
 */
int command_batch(struct db *db, const struct command_actor *actor, struct command_op *ops,
		  size_t n, int64_t if_revision, struct command_result *res,
		  struct fulcrum_err *err, size_t *failed);

/*
 * Rehearses command_batch(): runs the n changes of ops in a transaction with
 * every check and write, then rolls it back, whatever happened. Returns, and
 * fills err and *failed, as command_batch() would have at this moment (with
 * no if_revision); ops, the database and the revision stay as they were. An
 * SNMP SET checks with it before it commits; a commit by another process in
 * between can still make the real batch fail.
 */
int command_batch_rehearse(struct db *db, const struct command_actor *actor,
			   const struct command_op *ops, size_t n, struct fulcrum_err *err,
			   size_t *failed);

/*
 * Group commit: several commands, each whole or not at all, made durable by
 * one COMMIT (one fsync) for them all. The HTTP API runs the writes that wait
 * at the same moment this way.
 *
 *   command_group_begin()    BEGIN IMMEDIATE
 *   command_group_add() ...  per command: SAVEPOINT, its revision check, its
 *                            writes, RELEASE; or ROLLBACK TO on any failure
 *   command_group_commit()   COMMIT (or command_group_rollback())
 *
 * Each command keeps what a single command above has: its own if_revision
 * check against the revision as it stands inside the group (the commands
 * before it included), its own revision, its own change-log rows with its
 * own actor, its own error. A command that fails leaves no trace and does not
 * touch the others. None of it is durable, or may be reported as done, before
 * command_group_commit() returned 0; if that fails, nothing of the group was
 * written.
 */

/* One command of a group in progress; valid only inside its command_txn_fn. */
struct command_txn;

/*
 * The body of one command of a group: runs inside its savepoint and writes
 * through the command_txn_*() calls below, which check what the single
 * commands check. Returns 0 to keep its writes, or a negative errno to undo
 * them; a caller's own refusal (not a model error) may return any negative
 * errno and leave the err alone.
 */
typedef int (*command_txn_fn)(struct command_txn *t, void *arg);

/*
 * Opens the group's write transaction (BEGIN IMMEDIATE). db must have no
 * transaction open. Returns 0, or a negative errno with err (may be NULL)
 * saying why (FULCRUM_ERR_INTERNAL); then nothing is open.
 */
int command_group_begin(struct db *db, struct fulcrum_err *err);

/*
 * Runs one command of the open group for actor (not NULL): a savepoint, the
 * if_revision check (0: any; else FULCRUM_ERR_STALE unless it is the current
 * revision inside the group), then fn(t, arg). On success its writes join
 * the group and res (not NULL) says what it did: its revision (the current
 * one when it changed nothing) and the objects it wrote (the caller clears
 * it). On failure its writes are undone, err (may be NULL) says why, res is
 * empty, and a negative errno is returned. After a storage failure the
 * whole group may be gone: db_in_transaction() says whether the group can
 * go on.
 */
int command_group_add(struct db *db, const struct command_actor *actor, int64_t if_revision,
		      command_txn_fn fn, void *arg, struct command_result *res,
		      struct fulcrum_err *err);

/*
 * Commits the group durably. Returns 0, or a negative errno with err (may be
 * NULL) saying why (FULCRUM_ERR_INTERNAL); then the group is rolled back and
 * none of its commands happened.
 */
int command_group_commit(struct db *db, struct fulcrum_err *err);

/* Rolls the group back, if it is open: none of its commands happened. */
void command_group_rollback(struct db *db);

/*
 * The writes of a command of a group, with the contracts of the single
 * commands above (command_txn_vs_create() is command_vs_create(), and so
 * on), minus the transaction and the revision check, which the group makes.
 * Each returns 0 or a negative errno with the command's err filled.
 */
int command_txn_vs_create(struct command_txn *t, struct fulcrum_vs *vs, struct fulcrum_rs *reals,
			  size_t nreals);
int command_txn_vs_update(struct command_txn *t, const struct fulcrum_vs *vs);
int command_txn_vs_delete(struct command_txn *t, int64_t id);
int command_txn_rs_create(struct command_txn *t, struct fulcrum_rs *rs);
int command_txn_rs_update(struct command_txn *t, const struct fulcrum_rs *rs);
int command_txn_rs_delete(struct command_txn *t, int64_t id);
int command_txn_vip_create(struct command_txn *t, struct fulcrum_vip *vip);
int command_txn_vip_update(struct command_txn *t, const struct fulcrum_vip *vip);
int command_txn_vip_delete(struct command_txn *t, int64_t id);

/*
 * Read service / real server / VIP id as it stands inside the group, into
 * *out: 0, or FULCRUM_ERR_NOTFOUND on "id" (-ENOENT), or a storage failure.
 */
int command_txn_vs_get(struct command_txn *t, int64_t id, struct fulcrum_vs *out);
int command_txn_rs_get(struct command_txn *t, int64_t id, struct fulcrum_rs *out);
int command_txn_vip_get(struct command_txn *t, int64_t id, struct fulcrum_vip *out);

/*
 * The same by kind (controller/model/model_kind.h), for code that treats
 * every kind alike: read object id of kind into out, its kind's struct, as
 * command_txn_vs_get(), command_txn_rs_get() and command_txn_vip_get() do;
 * replace the object with obj as command_txn_*_update() do. A kind outside
 * the enum is FULCRUM_ERR_INVALID on "kind".
 */
int command_txn_get(struct command_txn *t, enum fulcrum_kind kind, int64_t id, void *out);
int command_txn_update(struct command_txn *t, enum fulcrum_kind kind, const void *obj);
int command_txn_delete(struct command_txn *t, enum fulcrum_kind kind, int64_t id);

/*
 * Creates obj, of kind's struct, with the id it names, as a batch's create
 * does (command_batch()): an id not 0 asks for that id, which must be free
 * and not below the next id of its kind; 0 takes the next. A service is
 * created without real servers. On success obj holds its stored id (and a
 * real server its vs_id). The configuration file's apply keeps the file's
 * ids this way (controller/config/config_apply.c).
 */
int command_txn_create(struct command_txn *t, enum fulcrum_kind kind, void *obj);

/*
 * Stores notification switch which as enabled inside the command, as a
 * batch's NOTIFY_SET: no revision, no change-log row. The store rereads the
 * switches after each group commit.
 */
int command_txn_notify_set(struct command_txn *t, enum command_notify which, bool enabled);

/*
 * The database the command runs on, to read what stands inside its
 * transaction (db_vs_find_by_name(), db_rs_list() ...). Never to write:
 * writes go through the command_txn_*() calls, which check and log them.
 */
struct db *command_txn_db(struct command_txn *t);

/* The command's error, for a body that refuses on a model rule of its own. */
struct fulcrum_err *command_txn_err(struct command_txn *t);

/*
 * One revision of another director, as its change log has it (replication:
 * docs/ha.md, "Replication"): its number, time, actor and origin, and every
 * row it logged, in order (changes[i].revision is revision).
 */
struct command_replay {
	int64_t revision;
	int64_t time;
	const char *actor;
	enum fulcrum_origin origin;
	const struct fulcrum_change *changes;
	size_t n;
};

/*
 * The body of a group command (command_txn_fn's contract) that commits r
 * here as the other director committed it: the same objects with the same
 * ids, the same revision, time, actor and origin in the change log. Each row
 * is applied through the command's own writes (the model's rules, the rules
 * across objects); a create's object comes from its JSON after, an update's
 * from the stored object with its JSON after applied, a deletion by id. It
 * refuses, writing nothing:
 *   - a revision that does not follow the current one (FULCRUM_ERR_STALE,
 *     -ESTALE);
 *   - a row that cannot be read or applied (FULCRUM_ERR_INVALID, or the
 *     command's own error, naming the row);
 *   - rows that come out differently here than there (each row's JSON
 *     before and after is compared with what this director logs):
 *     FULCRUM_ERR_CONFLICT on "revision", -EPROTO: the two configurations
 *     differ and only a snapshot can make them one.
 */
int command_txn_replay(struct command_txn *t, const struct command_replay *r);

#endif
