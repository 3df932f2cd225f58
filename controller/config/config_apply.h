/* A configuration file applied as the desired state: its difference with the store, committed as one command. */
#ifndef FULCRUM_CONFIG_APPLY_H
#define FULCRUM_CONFIG_APPLY_H

#include "controller/config/config_io.h"
#include "controller/core/command.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * One apply: its input (a text of fmt, read as a stream, or a document made
 * by an importer), its options, and what it found. Zero it, set the input
 * and options, run config_apply_txn() as the body of one command
 * (command_group_add() or a store_write), then read the result;
 * config_apply_clear() frees it.
 *
 * Objects match what is stored by id when the file gives one that exists
 * (of the same service, for a real server), else by stable key: a service
 * by name, a real server by address and port within its service, a VIP by
 * address. A match whose fields differ is updated; an object with no match
 * is created, with the file's id when that id is free and not below the
 * next one (ids are never reused; otherwise a new id, and a note says
 * so); with prune, what is stored and matched by nothing in the file is
 * deleted (first: so that a file may give a deleted object's key to a new
 * one). Notification switches the file names are set. Unchanged objects
 * write nothing, so applying the same file twice leaves the revision alone.
 */
struct config_apply {
	/* input: text (fmt) or doc */
	enum config_format fmt;
	const char *text;
	size_t len;
	const struct config_doc *doc;
	bool prune;
	bool dry_run; /* compute and check everything, then undo it: the body returns -ECANCELED */
	size_t changes_max; /* keep at most this many changes in the result (0: every one) */

	/* result */
	size_t created, updated, deleted, unchanged;
	json_t *changes;                /* array of {"op","kind","key","id","fields"}; see below */
	size_t changes_dropped;         /* changes beyond changes_max: counted, not kept */
	struct config_msgs errors;      /* the file's errors and the command's refusal */
	enum fulcrum_err_status status; /* the refusal's kind (FULCRUM_ERR_CONFLICT ...) */
	struct config_msgs notes;       /* what the apply did differently from the file (an id) */
	int64_t revision;               /* the revision the file was exported at (0: none) */
};

/*
 * command_txn_fn: runs the apply a (struct config_apply *) inside the
 * command t. Each change is {"op": "create"|"update"|"delete", "kind":
 * "service"|"real"|"vip"|"notification", "key": "web" | "web/10.0.0.1:80" |
 * "192.0.2.1" | "rs_state", "id": N, "fields": {"weight": [1, 5], ...}
 * (update: each field that changes, before and after; "check.interval" for
 * a nested one)}. Returns 0 when it wrote (or had nothing to write),
 * -ECANCELED after a dry run that found no error, else a negative errno
 * with a->errors saying why (the file's errors, all of them, or the first
 * refusal of the store: a duplicate address, an id); the command's writes
 * are then undone by the caller's savepoint.
 */
int config_apply_txn(struct command_txn *t, void *arg);

/* Frees what a holds (not its input). */
void config_apply_clear(struct config_apply *a);

/*
 * The result as JSON: {"revision": R (set by the caller: the revision after
 * the commit), "dry_run", "created", "updated", "deleted", "unchanged",
 * "changes": [...], "changes_dropped", "errors": [...], "notes": [...]}.
 * NULL when memory runs out.
 */
json_t *config_apply_json(const struct config_apply *a, int64_t revision);

/*
 * Prints a result (config_apply_json()'s form, from here or from the API)
 * as a readable diff: "+ service web (id 3)", "~ real web/10.0.0.1:80:
 * weight 1 -> 5", "- vip 192.0.2.1", then the counts.
 */
void config_apply_print(const json_t *result, FILE *out);

#endif
