/* What command.c and command_batch.c share: one command in progress and the bodies of each kind. */
#ifndef FULCRUM_COMMAND_INT_H
#define FULCRUM_COMMAND_INT_H

#include "controller/core/command.h"

#include <stdbool.h>

/* One command in progress: a single command or a whole batch. */
struct cmd {
	struct db *db;
	char actor[sizeof(((struct fulcrum_change *)0)->actor)];
	enum fulcrum_origin origin;
	int64_t rev;  /* current revision; the new one once bumped */
	int64_t time; /* of the change, Unix seconds; set by the bump */
	bool bumped;  /* the revision moved: every later write shares it */
	struct fulcrum_err *err;
	struct fulcrum_err scratch; /* err when the caller gave none */
	/* where each object it logs is recorded (NULL: nowhere), for the commit event */
	struct command_result *res;
};

/* One command of a group in progress (command_group_add()): a command in a savepoint. */
struct command_txn {
	struct cmd c;
};

/* Sets c up for actor (not NULL) on db; err may be NULL. Clears *err. */
void cmd_init(struct cmd *c, struct db *db, const struct command_actor *actor,
	      struct fulcrum_err *err);

/*
 * Opens the write transaction and checks the caller's idea of the revision
 * (if_revision 0: any). Returns 0 or a negative errno with c->err filled;
 * cmd_end() must follow either way.
 */
int cmd_begin(struct cmd *c, int64_t if_revision);

/*
 * Reads the current revision into c->rev and checks the caller's idea of it
 * (if_revision 0: any), inside the open transaction. Returns 0 or a negative
 * errno with c->err filled (FULCRUM_ERR_STALE: -ESTALE).
 */
int cmd_revision_verify(struct cmd *c, int64_t if_revision);

/*
 * Commits when rc is 0 (then c->res, when set, gets the revision and time),
 * rolls back otherwise (then c->res is cleared). Returns rc, or the
 * commit's failure.
 */
int cmd_end(struct cmd *c, int rc);

/* After a command's writes succeeded: its revision and time go to c->res, when set. */
void cmd_result_done(struct cmd *c);

/* Fills c->err for a failure rc (a negative errno) of the db layer while doing what; returns rc. */
int cmd_storage(struct cmd *c, int rc, const char *what);

/*
 * The bodies: each runs inside the transaction cmd_begin() opened, after the
 * checks that need no database (below), and returns 0 or a negative errno
 * with c->err filled. What they write stays uncommitted until cmd_end(). The
 * first one that changes something bumps the revision; the rest share it.
 */

/*
 * The checks that come before the transaction for a new service: the model's
 * rules for vs and each of its n reals, and no address:port given twice.
 */
int cmd_vs_create_verify(struct cmd *c, const struct fulcrum_vs *vs, const struct fulcrum_rs *reals,
			 size_t n);

/*
 * Stores vs (checked) with its n reals. vs->id 0 takes the next id; another
 * id must be free and not below the next id (ids are never reused). On
 * success vs->id and ids[0..n-1] (may be NULL when n is 0) hold the new ids.
 */
int cmd_vs_create(struct cmd *c, struct fulcrum_vs *vs, const struct fulcrum_rs *reals, size_t n,
		  int64_t *ids);

/* Gives the caller's vs and its n reals the ids cmd_vs_create() gave them (id, ids). */
void cmd_vs_created(struct fulcrum_vs *vs, int64_t id, struct fulcrum_rs *reals, const int64_t *ids,
		    size_t n);

/* Replaces the service vs->id with vs (checked with model_vs_validate()). */
int cmd_vs_update(struct cmd *c, const struct fulcrum_vs *vs);

/* Deletes service id and its real servers. */
int cmd_vs_delete(struct cmd *c, int64_t id);

/* Read service / real server id into *old; a missing one is NOTFOUND on "id". */
int cmd_vs_get(struct cmd *c, int64_t id, struct fulcrum_vs *old);
int cmd_rs_get(struct cmd *c, int64_t id, struct fulcrum_rs *old);

/* Stores rs in service rs->vs_id; rs->id 0 or an explicit id as cmd_vs_create(). */
int cmd_rs_create(struct cmd *c, struct fulcrum_rs *rs);

/* Replaces the real server rs->id with rs. */
int cmd_rs_update(struct cmd *c, const struct fulcrum_rs *rs);

/* Deletes real server id. */
int cmd_rs_delete(struct cmd *c, int64_t id);

#endif
