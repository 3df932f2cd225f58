/* The replicated configuration as a whole: its digest, a snapshot written in chunks, applied whole. */
#ifndef FULCRUM_SNAPSHOT_H
#define FULCRUM_SNAPSHOT_H

#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_FORMAT      1             /* the chunks' format version ("format") */
#define SNAPSHOT_DIGEST_SIZE 32            /* SHA-256 */
#define SNAPSHOT_CHUNK_MAX   (1024 * 1024) /* bytes of one chunk's text, at most */
#define SNAPSHOT_CHUNK_ITEMS 1000          /* objects in one chunk, at most */
#define SNAPSHOT_TICK_ITEMS  64            /* a walk calls its tick after this many objects */

/*
 * A caller's own work between the objects of a long walk (a digest of
 * 100,000 objects takes seconds): replication keeps its connection alive
 * from it. fn returns 0 to go on, or a negative errno that stops the walk,
 * which returns it. A NULL tick (or fn) is never called.
 */
struct snapshot_tick {
	int (*fn)(void *arg);
	void *arg;
};

/*
 * The digest of the replicated configuration: SHA-256 over a versioned text
 * ("fulcrum digest 1") of, in this order, the revision; the next id of
 * services, real servers, VIPs and tokens; every service, real server and
 * VIP in id order in the model's JSON form (model_kind's to_json, dumped
 * compact with sorted keys: every field and the id); the notification
 * switches in name order (a switch with no row reads as on); the API tokens
 * in id order (id, name, role, hash, created). Not the change log (each node
 * keeps what its retention says), not the role history, not fulcrumd.conf.
 * Two nodes running the same build with the same rows get the same digest.
 *
 * Reads inside one read transaction (db_read_begin()), so it may run on a
 * connection of its own while another writes; no transaction may be open on
 * db. Calls tick (may be NULL) every SNAPSHOT_TICK_ITEMS objects. Fills
 * *revision (may be NULL) with the revision the digest is of, and out.
 * Returns 0, or a negative errno with err (errlen bytes) saying why.
 */
int snapshot_digest(struct db *db, const struct snapshot_tick *tick, int64_t *revision,
		    unsigned char out[SNAPSHOT_DIGEST_SIZE], char *err, size_t errlen);

/* out (65 bytes): d in lowercase hex. */
void snapshot_digest_hex(const unsigned char d[SNAPSHOT_DIGEST_SIZE], char out[65]);

/*
 * Takes one chunk: len bytes of JSON text (json[len] is a NUL), valid until
 * it returns. 0 goes on; a negative errno stops snapshot_write(), which
 * returns it.
 */
typedef int (*snapshot_emit_fn)(const char *json, size_t len, void *arg);

/*
 * Writes a snapshot of db at one revision, in one read transaction (as
 * snapshot_digest(); no transaction may be open on db), as a sequence of
 * chunks handed to emit, each a complete JSON object of at most
 * SNAPSHOT_CHUNK_MAX bytes and SNAPSHOT_CHUNK_ITEMS objects:
 *
 *   {"type":"header","format":1,"schema":S,"revision":R,
 *    "next_ids":{"service":..,"real":..,"vip":..,"token":..},"digest":"<hex>"}
 *   {"type":"services","items":[<service JSON>...]}   (as many as needed, id order)
 *   then "reals", "vips", "switches" ({"name","enabled"}), "tokens"
 *   ({"id","name","role","hash","created"}), "changes" (the change log:
 *   {"revision","seq","time","actor","origin","object_type","object_id",
 *   "before","after"}, before and after JSON texts or null)
 *   {"type":"end","counts":{"services":n,"reals":..,"vips":..,"switches":..,
 *    "tokens":..,"changes":..}}
 *
 * S is db_schema_version(); the digest is snapshot_digest()'s, of the same
 * transaction. Memory is bounded by one chunk. Calls tick (may be NULL)
 * every SNAPSHOT_TICK_ITEMS objects, the digest's walk included: the first
 * chunk goes only after the digest. Fills *revision (may be NULL). Returns 0,
 * emit's or tick's negative errno, or another with err saying why.
 */
int snapshot_write(struct db *db, snapshot_emit_fn emit, void *arg,
		   const struct snapshot_tick *tick, int64_t *revision, char *err, size_t errlen);

/* A snapshot being applied: one write transaction from begin to end. */
struct snapshot_apply;

/*
 * Opens a write transaction on db (no other may be open: -EBUSY) and deletes
 * every replicated row (db_replicated_clear(): the role history stays).
 * *out owns the state: snapshot_apply_end() or snapshot_apply_abort() it.
 * tick (copied; may be NULL) is called every SNAPSHOT_TICK_ITEMS objects the
 * chunks bring and snapshot_apply_end()'s digest reads; its error fails the
 * chunk (or the end) like any other. Returns 0 or a negative errno with err
 * saying why (*out NULL then).
 */
int snapshot_apply_begin(struct db *db, const struct snapshot_tick *tick,
			 struct snapshot_apply **out, char *err, size_t errlen);

/*
 * Applies one chunk, in snapshot_write()'s order. The chunk is outside input:
 * every object goes through the model's from_json and validate, and
 * anything else (an unknown type or member, a wrong JSON type, a value out
 * of range, ids not increasing, a chunk out of order or after the end, a
 * format or schema version other than ours, more than SNAPSHOT_CHUNK_MAX
 * bytes) is -EINVAL (-EEXIST, -ENOENT for what the database refuses) with
 * err naming the chunk, the object and the field. After an error every
 * later call fails: abort. Memory is bounded by one chunk.
 */
int snapshot_apply_chunk(struct snapshot_apply *s, const char *json, size_t len, char *err,
			 size_t errlen);

/*
 * Checks that the end marker came and its counts match, sets the sequences
 * and the revision, computes the digest of what was written inside the
 * transaction, and commits only when it equals the header's: then returns 0
 * and fills *revision (may be NULL). Otherwise rolls back, so db is exactly
 * as it was before snapshot_apply_begin(), and returns a negative errno with
 * err saying why ("snapshot: digest mismatch ..."). Frees s in every case.
 * The digest's walk calls the tick given to snapshot_apply_begin().
 * The caller reloads whatever mirrors db (the store) after a success.
 */
int snapshot_apply_end(struct snapshot_apply *s, int64_t *revision, char *err, size_t errlen);

/* Rolls back and frees s (NULL: nothing). */
void snapshot_apply_abort(struct snapshot_apply *s);

/*
 * Whether the change log can bring a node at revision from up to the
 * current revision: *covers is true when from is the current revision
 * (nothing to send), or when from is below it and the log holds every
 * revision after from (its oldest revision is at most from + 1). False when
 * from is ahead of this node (the two diverged) or the log was pruned past
 * it: then a snapshot must go. *revision (may be NULL) is the current
 * revision. Reads in one read transaction (no transaction may be open on
 * db), so a prune committing meanwhile cannot make the answer wrong.
 * Returns 0 or a negative errno with err.
 */
int snapshot_log_covers(struct db *db, int64_t from, bool *covers, int64_t *revision, char *err,
			size_t errlen);

/*
 * Keeps the change log of the newest retention revisions (those above
 * revision - retention) and deletes the older rows; retention 0 keeps all.
 * In the caller's transaction when one is open. *deleted (may be NULL)
 * counts the rows deleted. Returns 0 or a negative errno with err.
 */
int snapshot_prune(struct db *db, unsigned long retention, int64_t *deleted, char *err,
		   size_t errlen);

#endif
