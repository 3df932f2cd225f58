/* What command*.c share: one command in progress, its steps, and the bodies of each kind. */
#ifndef FULCRUM_COMMAND_INT_H
#define FULCRUM_COMMAND_INT_H

#include "controller/core/command.h"

#include <jansson.h>
#include <stdbool.h>

/* One command in progress: a single command or a whole batch. */
struct cmd {
	struct db *db;
	char actor[sizeof(((struct fulcrum_change *)0)->actor)];
	enum fulcrum_origin origin;
	int64_t rev;         /* current revision; the new one once bumped */
	int64_t time;        /* of the change, Unix seconds; set by the bump */
	bool bumped;         /* the revision moved: every later write shares it */
	int64_t replay_time; /* not 0: the bump takes this time (a replayed revision's) */
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
 * The steps every kind's bodies share (command.c). cmd_bump() moves the
 * revision on, once per command however many objects it writes. cmd_json()
 * is obj's JSON form, of kind: NULL with c->err filled when memory runs
 * out. cmd_log() appends one change-log row and records the change for the
 * commit event; it takes the references before and after (NULL for none: a
 * creation has no before, a deletion no after; both NULL means cmd_json()
 * failed). Each returns 0 or a negative errno with c->err filled.
 */
int cmd_bump(struct cmd *c);
json_t *cmd_json(struct cmd *c, enum fulcrum_kind kind, const void *obj);
int cmd_log(struct cmd *c, enum fulcrum_kind kind, int64_t id, json_t *before, json_t *after);

/*
 * The end of an update of any kind, once its checks passed: the stored
 * object old becomes obj (id), unless their JSON forms are equal (then
 * nothing is written and no revision taken); the revision moves and the
 * change is logged with both forms.
 */
int cmd_update_write(struct cmd *c, enum fulcrum_kind kind, int64_t id, const void *old,
		     const void *obj);

/*
 * Checks an explicit id for a new object of kind what ("service", "real
 * server", "VIP"): found says a row has it, next is the id the sequence gives
 * next. An id below next that no row has belonged to a deleted object:
 * giving it again would make an old SNMP index or API URL mean another
 * object (FULCRUM_ERR_INVALID on "id"); a taken one is FULCRUM_ERR_CONFLICT.
 */
int cmd_verify_new_id(struct cmd *c, const char *what, int64_t id, bool found, int64_t next);

/* Runs one op as a batch of one: the single commands' contract (command.h). */
int cmd_one(struct db *db, const struct command_actor *actor, struct command_op *op,
	    int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err);

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

/*
 * VIPs (command_vip.c). cmd_vip_create() stores vip after the model's rules
 * and a check that no other VIP has its address; vip->id 0 or an explicit id
 * as cmd_vs_create(). cmd_vip_update() replaces VIP vip->id with vip (the
 * same checks); cmd_vip_delete() deletes VIP id; cmd_vip_get() reads it
 * into *old, a missing one NOTFOUND on "id".
 */
int cmd_vip_create(struct cmd *c, struct fulcrum_vip *vip);

/* Stores op's notification switch (NOTIFY_SET), in c's transaction; no revision, no log row. */
int cmd_notify_set(struct cmd *c, const struct command_op *op);
int cmd_vip_update(struct cmd *c, const struct fulcrum_vip *vip);
int cmd_vip_delete(struct cmd *c, int64_t id);
int cmd_vip_get(struct cmd *c, int64_t id, struct fulcrum_vip *old);

#endif
