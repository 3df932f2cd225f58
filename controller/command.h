/* The one write path: validate, check against what is stored, write, bump the revision, log. */
#ifndef FULCRUM_COMMAND_H
#define FULCRUM_COMMAND_H

#include "db.h"
#include "model-t.h"

#include <stddef.h>
#include <stdint.h>

/* Who asks for a change, recorded in the change log. */
struct command_actor {
	const char *name; /* user or peer; NULL is ""; cut to 64 bytes */
	enum fulcrum_origin origin;
};

/*
 * Every command below works the same way:
 *
 *   1. validates each object with the model (model_vs_validate(),
 *      model_rs_validate()); a real server needs its service, so that check
 *      happens once the service is read;
 *   2. opens a write transaction (BEGIN IMMEDIATE);
 *   3. when if_revision is not 0 and not the current revision, fails with
 *      FULCRUM_ERR_STALE (-ESTALE);
 *   4. checks the rules across objects: a duplicate service name,
 *      address:port/protocol or fwmark+family, or a real server twice in one
 *      service, is FULCRUM_ERR_CONFLICT (-EEXIST) naming the field; a missing
 *      service or real server FULCRUM_ERR_NOTFOUND (-ENOENT);
 *   5. writes, adds 1 to the revision once, and appends one change-log row per
 *      object touched (actor, origin, the object's JSON before and after);
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

#endif
