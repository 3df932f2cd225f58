/* The failover role history in SQLite: this node's role changes, newest kept, never replicated. */
#include "db/db-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_role_history_add(struct db *db, struct db_role_change *c)
{
	sqlite3_stmt *st;
	int rc = db_begin(db);

	if (rc != 0)
		return rc;
	rc = db_stmt(db, DB_STMT_ROLE_ADD,
		     "INSERT INTO role_history (at, role, previous, term, reason, peer) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		     &st);
	if (rc != 0)
		goto fail;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_int64(st, 1, c->at));
	DB_BIND(rc, sqlite3_bind_text(st, 2, c->role, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 3, c->previous, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 4, (sqlite3_int64)c->term));
	DB_BIND(rc, sqlite3_bind_text(st, 5, c->reason, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 6, c->peer, -1, SQLITE_STATIC));
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	if (rc == 0)
		c->id = sqlite3_last_insert_rowid(db->conn);
	db_stmt_done(st);
	if (rc != 0)
		goto fail;
	rc = db_stmt(db, DB_STMT_ROLE_TRIM,
		     "DELETE FROM role_history WHERE id <= "
		     "(SELECT id FROM role_history ORDER BY id DESC LIMIT 1 OFFSET ?1)",
		     &st);
	if (rc != 0)
		goto fail;
	rc = sqlite3_bind_int(st, 1, DB_ROLE_HISTORY_MAX);
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	db_stmt_done(st);
	if (rc != 0)
		goto fail;
	return db_commit(db);
fail:
	db_rollback(db);
	return rc;
}

static int role_row(struct db *db, sqlite3_stmt *st, void *elem)
{
	struct db_role_change *c = elem;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	if (strlen(db_col_text(st, 2)) >= sizeof(c->role) ||
	    strlen(db_col_text(st, 3)) >= sizeof(c->previous) ||
	    strlen(db_col_text(st, 5)) >= sizeof(c->reason) ||
	    strlen(db_col_text(st, 6)) >= sizeof(c->peer))
		return db_fail_msg(db, -EBADMSG, "role history %lld: a column is too long",
				   (long long)c->id);
	c->at = sqlite3_column_int64(st, 1);
	strcpy(c->role, db_col_text(st, 2));
	strcpy(c->previous, db_col_text(st, 3));
	c->term = (uint64_t)sqlite3_column_int64(st, 4);
	strcpy(c->reason, db_col_text(st, 5));
	strcpy(c->peer, db_col_text(st, 6));
	return 0;
}

int db_role_history_list(struct db *db, size_t max, struct db_role_change **out, size_t *n)
{
	void *list = NULL;
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_ROLE_LIST,
			 "SELECT id, at, role, previous, term, reason, peer FROM role_history "
			 "ORDER BY id DESC LIMIT ?1",
			 &st);

	*out = NULL;
	*n = 0;
	if (rc != 0)
		return rc;
	rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
	if (rc != SQLITE_OK) {
		db_stmt_done(st);
		return db_fail(db, rc);
	}
	rc = db_rows_collect(db, st, sizeof(struct db_role_change), role_row, NULL, "role history",
			     &list, n);
	*out = list;
	return rc;
}
