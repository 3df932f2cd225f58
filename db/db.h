/* The SQLite data layer: open and migrate, transactions, revision, CRUD, change log. */
#ifndef FULCRUM_DB_H
#define FULCRUM_DB_H

#include "controller/model/model-t.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An open database. One connection, used from one thread; it caches its
 * prepared statements.
 *
 * Errors are negative errno values mapped from SQLite's result codes:
 *   UNIQUE or PRIMARY KEY constraint -> -EEXIST   (a duplicate)
 *   FOREIGN KEY constraint           -> -ENOENT   (the service is gone)
 *   CHECK or NOT NULL constraint     -> -EINVAL   (a value the schema refuses)
 *   BUSY, LOCKED                     -> -EBUSY    (another writer holds the file)
 *   NOMEM                            -> -ENOMEM
 *   READONLY                         -> -EROFS
 *   FULL                             -> -ENOSPC
 *   NOTADB, CORRUPT, or a row the model cannot read -> -EBADMSG
 *   CANTOPEN, IOERR                  -> the system errno when SQLite has one, else -EIO
 *   TOOBIG                           -> -E2BIG
 *   PERM, AUTH                       -> -EACCES
 *   anything else                    -> -EIO
 * A lookup that finds nothing is -ENOENT. After any error db_errmsg() tells
 * SQLite's own words.
 */
struct db;

/* The schema version this build creates and understands (the newest migration). */
int db_schema_version(void);

/*
 * Opens the database at path, creating it when missing: WAL journal,
 * synchronous=FULL, foreign keys on, a 5 s busy timeout. Then applies, in one
 * transaction, every migration newer than the file's schema version
 * (PRAGMA user_version) and records the new version. Processes that open or
 * create the same file at once wait for each other within that timeout (the
 * switch to WAL included): one creates the schema, the others find it.
 *
 * A file whose version is newer than db_schema_version() is refused untouched
 * (-ENOTSUP); so is a file that is not a SQLite database (-EBADMSG). On
 * success *out owns the connection (db_close() it) and returns 0; on error
 * *out is NULL, errbuf (errlen bytes, may be 0) says what failed naming
 * path, and a negative errno is returned.
 */
int db_open(const char *path, struct db **out, char *errbuf, size_t errlen);

/* Finalizes every statement and closes the connection; db may be NULL. */
void db_close(struct db *db);

/*
 * SQLite's message for the last error on db (or "" when none); valid until the
 * next call on db.
 */
const char *db_errmsg(struct db *db);

/*
 * Transactions. db_begin() starts a write transaction (BEGIN IMMEDIATE, so
 * the write lock is taken now and the busy timeout applies here, not in the
 * middle). db_commit() makes it durable; db_rollback() undoes it and is a
 * no-op when no transaction is open. Each returns 0 or a negative errno.
 */
int db_begin(struct db *db);

/*
 * Sets how long a statement waits for another process's lock before it fails
 * with -EBUSY (5000 ms when opened), and returns the previous wait. The SNMP
 * subagent waits less: its master gives up on it after a second.
 */
unsigned db_busy_timeout(struct db *db, unsigned ms);
int db_commit(struct db *db);
int db_rollback(struct db *db);

/*
 * One savepoint inside the open write transaction, for a group commit: each
 * command of the group runs between db_savepoint() and either db_release()
 * (its writes join the transaction) or db_rollback_to() (its writes are
 * undone and the savepoint is gone; what came before it stays). Savepoints
 * do not nest here: one is open at a time. Each returns 0 or a negative
 * errno. Some failures (a full disk, I/O errors, out of memory) make SQLite
 * roll back the whole transaction: db_in_transaction() tells.
 */
int db_savepoint(struct db *db);
int db_release(struct db *db);
int db_rollback_to(struct db *db);

/* Whether a transaction is open on db (SQLite has not rolled it back). */
bool db_in_transaction(struct db *db);

/* The current revision (0 for a new database), or a negative errno. */
int64_t db_revision(struct db *db);

/*
 * Adds 1 to the revision and stores the new value in *newrev. Call it inside
 * the transaction whose changes it numbers. Returns 0 or a negative errno.
 */
int db_revision_bump(struct db *db, int64_t *newrev);

/*
 * Services. db_vs_insert() stores vs and sets vs->id: vs->id 0 takes the
 * next id (AUTOINCREMENT), any other id is stored as given (-EEXIST when
 * taken; refusing an id below the next one, a reuse, is the caller's job);
 * -EEXIST also for a duplicate name, address:port/protocol or fwmark.
 * db_vs_update() writes every field of the row vs->id (-ENOENT when none).
 * db_vs_delete() deletes the service and its real servers (-ENOENT when none).
 * The lookups fill *out and return 0, or -ENOENT.
 * db_vs_find_by_key() finds the service with key's address, port and
 * protocol in key's family, or for a fwmark service (key->fwmark != 0) the
 * one with key's fwmark and family.
 * db_vs_list() returns every service ordered by id in *out, a malloc'ed array
 * of *n the caller free()s (NULL when none).
 */
int db_vs_insert(struct db *db, struct fulcrum_vs *vs);
int db_vs_update(struct db *db, const struct fulcrum_vs *vs);
int db_vs_delete(struct db *db, int64_t id);
int db_vs_get(struct db *db, int64_t id, struct fulcrum_vs *out);
int db_vs_find_by_name(struct db *db, const char *name, struct fulcrum_vs *out);
int db_vs_find_by_key(struct db *db, const struct fulcrum_vs *key, struct fulcrum_vs *out);
int db_vs_list(struct db *db, struct fulcrum_vs **out, size_t *n);

/*
 * Hands every service, ordered by id, to fn(vs, arg) one at a time without
 * holding the list: vs lives until fn returns (fn copies what it keeps). A
 * negative errno from fn stops the walk and is returned; 0 when all were read.
 */
typedef int (*db_vs_each_fn)(const struct fulcrum_vs *vs, void *arg);
int db_vs_each(struct db *db, db_vs_each_fn fn, void *arg);

/*
 * The id the next service stored with id 0 would get: one more than the
 * highest id ever given out (SQLite's AUTOINCREMENT sequence, which a delete
 * or a rollback does not lower past what was committed), 1 when none was.
 * Inside a transaction it counts that transaction's inserts. Returns 0 or a
 * negative errno; *out is untouched on error.
 */
int db_vs_next_id(struct db *db, int64_t *out);

/*
 * Real servers, with the same contracts (rs->id 0 on insert: the next id;
 * another id: that one). db_rs_insert() needs rs->vs_id to
 * name a stored service (-ENOENT otherwise) and returns -EEXIST when that
 * service has a real server with rs's address and port already.
 * db_rs_update() cannot move a real server to another service: vs_id is
 * not written. db_rs_list() lists the real servers of vs_id, or of every
 * service when vs_id is 0, ordered by id.
 */
int db_rs_insert(struct db *db, struct fulcrum_rs *rs);
int db_rs_update(struct db *db, const struct fulcrum_rs *rs);
int db_rs_delete(struct db *db, int64_t id);
int db_rs_get(struct db *db, int64_t id, struct fulcrum_rs *out);
int db_rs_find_by_addr(struct db *db, int64_t vs_id, const struct fulcrum_addr *addr, uint16_t port,
		       struct fulcrum_rs *out);
int db_rs_list(struct db *db, int64_t vs_id, struct fulcrum_rs **out, size_t *n);

/* Real servers of vs_id (0: all) one at a time, ordered by id; as db_vs_each(). */
typedef int (*db_rs_each_fn)(const struct fulcrum_rs *rs, void *arg);
int db_rs_each(struct db *db, int64_t vs_id, db_rs_each_fn fn, void *arg);

/* The id the next real server stored with id 0 would get; as db_vs_next_id(). */
int db_rs_next_id(struct db *db, int64_t *out);

/*
 * VIPs (schema 5), with the services' contracts: db_vip_insert() stores vip
 * and sets vip->id (0: the next id; another: that one, -EEXIST when taken),
 * -EEXIST also for an address another VIP has; db_vip_update() writes every
 * field of the row vip->id, db_vip_delete() removes it (-ENOENT when none).
 * The lookups fill *out and return 0, or -ENOENT; db_vip_find_by_addr()
 * finds the VIP with addr. db_vip_list() returns every VIP ordered by id in
 * *out, malloc'ed, *n of them (NULL when none); db_vip_each() hands them
 * to fn one at a time, as db_vs_each() does. db_vip_next_id() is
 * db_vs_next_id() for VIPs: ids are never reused.
 */
int db_vip_insert(struct db *db, struct fulcrum_vip *vip);
int db_vip_update(struct db *db, const struct fulcrum_vip *vip);
int db_vip_delete(struct db *db, int64_t id);
int db_vip_get(struct db *db, int64_t id, struct fulcrum_vip *out);
int db_vip_find_by_addr(struct db *db, const struct fulcrum_addr *addr, struct fulcrum_vip *out);
int db_vip_list(struct db *db, struct fulcrum_vip **out, size_t *n);
typedef int (*db_vip_each_fn)(const struct fulcrum_vip *vip, void *arg);
int db_vip_each(struct db *db, db_vip_each_fn fn, void *arg);
int db_vip_next_id(struct db *db, int64_t *out);

/*
 * The notification switches (schema 3). db_notify_get() fills enabled[i] for
 * every switch i; a switch with no row reads as on, its default. Returns 0
 * or a negative errno, enabled then untouched.
 */
int db_notify_get(struct db *db, bool enabled[COMMAND_NOTIFY_COUNT]);

/*
 * Stores switch which as enabled, in the caller's transaction when one is
 * open. -EINVAL when which is not a switch. Returns 0 or a negative errno.
 */
int db_notify_set(struct db *db, enum command_notify which, bool enabled);

/* The stored name of switch which ("rs_state"), or NULL for a value outside the enum. */
const char *db_notify_name(enum command_notify which);

/* The switch called name in *out: 0, or -EINVAL for a name Fulcrum does not know. */
int db_notify_parse(const char *name, enum command_notify *out);

/*
 * Appends one row to the change log of revision rev, after the rows that
 * revision has: who (actor, at most 64 bytes; longer is -EINVAL), from where
 * (origin), which object (object_type "service", "real" or "vip", object_id), and
 * its JSON before and after (NULL when created / deleted; not both NULL).
 * Returns 0 or a negative errno.
 */
int db_change_add(struct db *db, int64_t rev, int64_t time, const char *actor,
		  enum fulcrum_origin origin, const char *object_type, int64_t object_id,
		  const char *before, const char *after);

/*
 * Returns in *out the change-log rows of revisions after since_rev, oldest
 * first, at most limit of them (0: all), and their count in *n. The caller
 * frees them with fulcrum_change_list_free(*out, *n). On error *out is NULL
 * and *n 0.
 */
int db_change_list(struct db *db, int64_t since_rev, size_t limit, struct fulcrum_change **out,
		   size_t *n);

/*
 * The same rows as db_change_list() (no limit), with only their revision,
 * object_type and object_id filled: what changed, for those that need no
 * more (reconcile, health targets), without copying each row's JSON.
 */
int db_change_objects(struct db *db, int64_t since_rev, struct fulcrum_change **out, size_t *n);

/*
 * The change-log rows of revision rev alone, in the order logged (none when
 * the log no longer has it, or never had): db_change_list()'s contract.
 */
int db_change_rev(struct db *db, int64_t rev, struct fulcrum_change **out, size_t *n);

/*
 * Hands every change-log row, ordered by revision then seq, to fn(c, seq,
 * arg) one at a time: c and its JSON texts live until fn returns. A negative
 * errno from fn stops the walk and is returned; 0 when all were read.
 */
typedef int (*db_change_each_fn)(const struct fulcrum_change *c, int64_t seq, void *arg);
int db_change_each(struct db *db, db_change_each_fn fn, void *arg);

/*
 * Stores c as the row (c->revision, seq) of the change log, as given (a
 * snapshot's copy of another node's log). -EEXIST when that row exists,
 * -EINVAL for a value the schema refuses. Returns 0 or a negative errno.
 */
int db_change_insert(struct db *db, const struct fulcrum_change *c, int64_t seq);

/*
 * Deletes the change-log rows of revisions below below_revision (their count
 * in *deleted, which may be NULL). In the caller's transaction when one is
 * open. Returns 0 or a negative errno.
 */
int db_change_prune(struct db *db, int64_t below_revision, int64_t *deleted);

/*
 * The oldest revision the change log still has in *rev, 0 when it is empty.
 * The log can bring a node at revision r up to date when r >= *rev - 1.
 */
int db_change_oldest(struct db *db, int64_t *rev);

/* Frees the n changes of list, with their JSON texts; list may be NULL. */
void fulcrum_change_list_free(struct fulcrum_change *list, size_t n);

/* An API token as stored: never the token itself, only its hash. */
struct db_token {
	int64_t id;
	char name[65];
	char role[16]; /* "viewer", "operator" or "admin" */
	char hash[65]; /* 64 lowercase hex digits */
	int64_t created;
};

/*
 * Stores a token: t->id 0 takes the next id, another id is stored as given
 * (replication); t->id is set on return. -EEXIST when the id, the name or
 * the hash is taken, -EINVAL when the schema refuses a value. Runs in its
 * own transaction unless one is open.
 */
int db_token_insert(struct db *db, struct db_token *t);

/* Every token, ordered by id, one at a time; as db_vs_each(). */
typedef int (*db_token_each_fn)(const struct db_token *t, void *arg);
int db_token_each(struct db *db, db_token_each_fn fn, void *arg);

/* Every token, ordered by id, in a malloc'ed *out of *n (caller frees; NULL when none). */
int db_token_list(struct db *db, struct db_token **out, size_t *n);

/* Deletes the token called name; -ENOENT when there is none. */
int db_token_delete(struct db *db, const char *name);

/*
 * SQLite's data_version of this connection: it changes when another
 * connection (another process) commits to the file. 0 or a negative errno.
 */
int db_data_version(struct db *db, int64_t *out);

/*
 * Replication (db_repl.c). db_read_begin() opens a read transaction that
 * sees one committed state of the file until db_read_end(), while other
 * connections write (WAL): what a digest or a snapshot reads at one
 * revision. -EBUSY when a transaction is open already. db_read_end() is a
 * no-op when none is. Each returns 0 or a negative errno.
 */
int db_read_begin(struct db *db);
int db_read_end(struct db *db);

/* The ids the next insert with id 0 would get, per table: what a standby must give too. */
struct db_next_ids {
	int64_t vs, rs, vip, token;
};

/*
 * db_next_ids_get() reads the four sequences (each 1 when nothing was ever
 * stored). db_next_ids_set() sets them, in the caller's transaction: -EINVAL
 * when a next id is not above the highest id its table holds (an id would
 * be given twice), naming the table.
 */
int db_next_ids_get(struct db *db, struct db_next_ids *out);
int db_next_ids_set(struct db *db, const struct db_next_ids *ids);

/* Sets the revision to rev (>= 0), in the caller's transaction. 0 or a negative errno. */
int db_revision_set(struct db *db, int64_t rev);

/*
 * Deletes every replicated row: services, real servers, VIPs, tokens, the
 * change log and the notification switches (their rows: each reads as on
 * until set). Not the role history, not the revision, not the sequences.
 * Only inside a write transaction (-EINVAL otherwise).
 */
int db_replicated_clear(struct db *db);

/*
 * The failover role history (schema 6): one row per role change of this
 * node, written by the main thread; never replicated, no revision. Roles are
 * status_role_name()'s words ("active"; previous "" for none).
 */
struct db_role_change {
	int64_t id; /* set by db_role_history_add() */
	int64_t at; /* Unix milliseconds */
	char role[16], previous[16];
	uint64_t term;
	char reason[256];
	char peer[65]; /* "" when never heard */
};

/* The newest rows db_role_history_add() keeps. */
#define DB_ROLE_HISTORY_MAX 1000

/*
 * Stores c (sets c->id) and deletes rows beyond the newest
 * DB_ROLE_HISTORY_MAX, in one transaction of its own. -EINVAL for a role or
 * text the schema refuses. Must not be called inside another transaction.
 */
int db_role_history_add(struct db *db, struct db_role_change *c);

/*
 * The newest max rows, newest first, in a malloc'ed *out of *n (free() it;
 * NULL when none).
 */
int db_role_history_list(struct db *db, size_t max, struct db_role_change **out, size_t *n);

#endif
