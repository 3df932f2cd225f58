/* What replication needs of SQLite: read transactions, the id sequences, the revision, a wipe. */
#include "db/db-int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * The statements here run once per snapshot or digest, not per row: they are
 * prepared on each call, and the cache's table of statements stays db-int.h's.
 */
static int repl_exec(struct db *db, const char *sql)
{
	int rc = sqlite3_exec(db->conn, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_fail(db, rc);
}

int db_read_begin(struct db *db)
{
	int64_t rev;
	int rc;

	if (db_in_transaction(db))
		return db_fail_msg(db, -EBUSY, "a transaction is already open on this connection");
	rc = repl_exec(db, "BEGIN DEFERRED");
	if (rc != 0)
		return rc;
	/* a deferred transaction takes its snapshot at its first read: take it now */
	rev = db_revision(db);
	if (rev < 0) {
		db_rollback(db);
		return (int)rev;
	}
	return 0;
}

int db_read_end(struct db *db)
{
	return db_rollback(db);
}

/* The sequence of table: one more than its seq, 1 when it has no row. */
static int seq_get(struct db *db, const char *table, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->conn, "SELECT seq FROM sqlite_sequence WHERE name = ?1", -1,
				    &st, NULL);

	*out = 1;
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0) + 1;
		rc = SQLITE_DONE;
	}
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, rc);
	sqlite3_finalize(st);
	return rc;
}

static int seq_set(struct db *db, const char *table, int64_t next)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (next < 1)
		return db_fail_msg(db, -EINVAL, "the next id of %s must be at least 1", table);
	rc = sqlite3_prepare_v2(db->conn, "DELETE FROM sqlite_sequence WHERE name = ?1", -1, &st,
				NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		return db_fail(db, rc);
	rc = sqlite3_prepare_v2(db->conn, "INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)",
				-1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, next - 1);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, rc);
	sqlite3_finalize(st);
	return rc;
}

int db_next_ids_get(struct db *db, struct db_next_ids *out)
{
	struct db_next_ids ids;
	int rc = seq_get(db, "services", &ids.vs);

	if (rc == 0)
		rc = seq_get(db, "reals", &ids.rs);
	if (rc == 0)
		rc = seq_get(db, "vips", &ids.vip);
	if (rc == 0)
		rc = seq_get(db, "tokens", &ids.token);
	if (rc == 0)
		*out = ids;
	return rc;
}

/* The highest id of table, 0 when it is empty. */
static int max_id(struct db *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, rc);
	sqlite3_finalize(st);
	return rc;
}

int db_next_ids_set(struct db *db, const struct db_next_ids *ids)
{
	static const struct {
		const char *table, *max_sql;
	} tables[] = {
	    {"services", "SELECT COALESCE(MAX(id), 0) FROM services"},
	    {"reals", "SELECT COALESCE(MAX(id), 0) FROM reals"},
	    {"vips", "SELECT COALESCE(MAX(id), 0) FROM vips"},
	    {"tokens", "SELECT COALESCE(MAX(id), 0) FROM tokens"},
	};
	const int64_t next[] = {ids->vs, ids->rs, ids->vip, ids->token};
	int64_t top = 0;
	int rc = 0;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]) && rc == 0; i++) {
		rc = max_id(db, tables[i].max_sql, &top);
		if (rc == 0 && next[i] <= top)
			rc = db_fail_msg(
			    db, -EINVAL,
			    "the next id of %s (%lld) is not above its highest id (%lld)",
			    tables[i].table, (long long)next[i], (long long)top);
		if (rc == 0)
			rc = seq_set(db, tables[i].table, next[i]);
	}
	return rc;
}

int db_revision_set(struct db *db, int64_t rev)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (rev < 0)
		return db_fail_msg(db, -EINVAL, "revision %lld is negative", (long long)rev);
	rc = sqlite3_prepare_v2(db->conn, "UPDATE meta SET revision = ?1 WHERE id = 1", -1, &st,
				NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, rev);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, rc);
	sqlite3_finalize(st);
	if (rc == 0 && sqlite3_changes(db->conn) != 1)
		rc = db_fail_msg(db, -EBADMSG, "the meta table has no revision row");
	return rc;
}

int db_replicated_clear(struct db *db)
{
	if (!db_in_transaction(db))
		return db_fail_msg(db, -EINVAL, "clearing the configuration needs a transaction");
	/* reals before services: their foreign key; role_history stays */
	return repl_exec(db, "DELETE FROM reals; DELETE FROM services; DELETE FROM vips; "
			     "DELETE FROM tokens; DELETE FROM change_log; "
			     "DELETE FROM notify_switches;");
}
