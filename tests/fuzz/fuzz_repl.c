/*
 * Fuzz target: what a follower does with a frame from the network. The
 * frame's header and text (repl_frame_len(), repl_msg_parse()); a "rev"
 * message decoded (repl_rev_decode()), encoded again and decoded again to
 * the same revision, then committed on a database that holds one service
 * and one real server, through the group command the follower uses
 * (command_txn_replay()): accepted or refused, never a crash, and a refused
 * revision leaves the database's revision and change log as they were.
 */
#include "controller/core/command.h"
#include "controller/ha/repl_msg.h"
#include "controller/model/model.h"
#include "db/db.h"
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

static int replay_fn(struct command_txn *t, void *arg)
{
	return command_txn_replay(t, arg);
}

/* A fresh database at revision 2: service 1 ("web", 192.0.2.1:80) with real server 1. */
static struct db *fuzz_db(void)
{
	static const struct command_actor a = {"fuzz", FULCRUM_ORIGIN_HTTP};
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	struct db *db = NULL;
	char err[256];

	if (db_open(":memory:", &db, err, sizeof(err)) != 0)
		abort();
	model_vs_init(&vs);
	if (model_vs_set_field(&vs, "name", "web", NULL) != 0 ||
	    model_vs_set_field(&vs, "address", "192.0.2.1", NULL) != 0 ||
	    model_vs_set_field(&vs, "port", "80", NULL) != 0 ||
	    model_vs_set_field(&vs, "protocol", "tcp", NULL) != 0 ||
	    command_vs_create(db, &a, &vs, NULL, 0, 0, NULL, NULL) != 0)
		abort();
	model_rs_init(&rs);
	rs.vs_id = vs.id;
	if (model_rs_set_field(&rs, "address", "10.0.0.1", NULL) != 0 ||
	    model_rs_set_field(&rs, "port", "80", NULL) != 0 ||
	    command_rs_create(db, &a, &rs, 0, NULL, NULL) != 0)
		abort();
	return db;
}

/* The two decodings of one revision agree. */
static void same_rev(const struct command_replay *x, const struct command_replay *y)
{
	if (x->revision != y->revision || x->time != y->time || x->origin != y->origin ||
	    strcmp(x->actor, y->actor) != 0 || x->n != y->n)
		abort();
	for (size_t i = 0; i < x->n; i++) {
		const struct fulcrum_change *a = &x->changes[i], *b = &y->changes[i];

		if (a->object_id != b->object_id || strcmp(a->object_type, b->object_type) != 0 ||
		    (!a->before != !b->before) || (!a->after != !b->after) ||
		    (a->before && strcmp(a->before, b->before) != 0) ||
		    (a->after && strcmp(a->after, b->after) != 0))
			abort();
	}
}

static void fuzz_rev(const json_t *m)
{
	static const struct command_actor peer = {"replication", FULCRUM_ORIGIN_SYNC};
	static struct db *db;
	struct fulcrum_change *rows = NULL, *rows2 = NULL, *log = NULL;
	struct command_replay r, r2;
	struct command_result res = {0};
	struct fulcrum_err err;
	char e[256], chain[65];
	struct repl_chain c;
	json_t *again;
	int64_t rev;
	size_t nlog = 0;

	if (repl_rev_decode(m, &r, &rows, e, sizeof(e)) != 0)
		return;
	again = repl_rev_encode(&r);
	if (!again || repl_rev_decode(again, &r2, &rows2, e, sizeof(e)) != 0)
		abort();
	same_rev(&r, &r2);
	repl_chain_init(&c);
	repl_chain_add(&c, rows, r.n);
	repl_chain_hex(&c, chain);
	if (!db)
		db = fuzz_db();
	rev = db_revision(db);
	if (command_group_begin(db, &err) != 0)
		abort();
	if (command_group_add(db, &peer, 0, replay_fn, &r, &res, &err) != 0 &&
	    db_in_transaction(db)) {
		/* refused: inside the still open group, no trace of it */
		if (db_revision(db) != rev || db_change_list(db, rev, 0, &log, &nlog) != 0 ||
		    nlog != 0)
			abort();
	}
	command_group_rollback(db); /* the next input starts from the same database */
	command_result_clear(&res);
	fulcrum_change_list_free(log, nlog);
	json_decref(again);
	repl_rev_free(rows, r.n);
	repl_rev_free(rows2, r2.n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], text[72];
	json_t *m;
	long len;
	int64_t v;

	if (size < REPL_HEADER)
		return 0;
	len = repl_frame_len(data);
	if (len < 0 || (size_t)len != size - REPL_HEADER)
		return 0;
	m = repl_msg_parse((const char *)data + REPL_HEADER, (size_t)len, err, sizeof(err));
	if (!m)
		return 0;
	if (strcmp(repl_msg_type(m), "rev") == 0) {
		fuzz_rev(m);
	} else {
		/* what the other messages' handlers read first */
		static const char *const ints[] = {"revision", "proto", "schema", "base",
						   "common",   "id",    "created"};
		static const char *const strs[] = {"cluster", "node", "mode", "digest",
						   "reason",  "name", "role", "hash"};

		for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
			repl_msg_int(m, ints[i], 0, INT64_MAX, &v, err, sizeof(err));
		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			repl_msg_str(m, strs[i], text, sizeof(text), err, sizeof(err));
	}
	json_decref(m);
	return 0;
}
