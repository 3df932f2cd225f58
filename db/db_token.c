/* API tokens in SQLite: names, roles and hashes (never the tokens themselves). */
#include "db/db-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_token_insert(struct db *db, struct db_token *t)
{
	sqlite3_stmt *st;
	int rc = db_stmt(
	    db, DB_STMT_TOKEN_INSERT,
	    "INSERT INTO tokens (id, name, role, hash, created) VALUES (?5, ?1, ?2, ?3, ?4)", &st);

	if (rc != 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 2, t->role, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 3, t->hash, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 4, t->created));
	DB_BIND(rc, t->id ? sqlite3_bind_int64(st, 5, t->id) : sqlite3_bind_null(st, 5));
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	if (rc == 0)
		t->id = sqlite3_last_insert_rowid(db->conn);
	db_stmt_done(st);
	return rc;
}

static int token_row(struct db *db, sqlite3_stmt *st, void *elem)
{
	struct db_token *t = elem;

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(st, 0);
	if (strlen(db_col_text(st, 1)) >= sizeof(t->name) ||
	    strlen(db_col_text(st, 2)) >= sizeof(t->role) ||
	    strlen(db_col_text(st, 3)) >= sizeof(t->hash))
		return db_fail_msg(db, -EBADMSG, "token %lld: a column is too long",
				   (long long)t->id);
	strcpy(t->name, db_col_text(st, 1));
	strcpy(t->role, db_col_text(st, 2));
	strcpy(t->hash, db_col_text(st, 3));
	t->created = sqlite3_column_int64(st, 4);
	return 0;
}

int db_token_list(struct db *db, struct db_token **out, size_t *n)
{
	void *list = NULL;
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_TOKEN_LIST,
			 "SELECT id, name, role, hash, created FROM tokens ORDER BY id", &st);

	*out = NULL;
	*n = 0;
	if (rc != 0)
		return rc;
	rc = db_rows_collect(db, st, sizeof(struct db_token), token_row, NULL, "tokens", &list, n);
	*out = list;
	return rc;
}

struct token_each {
	db_token_each_fn fn;
	void *arg;
};

static int token_each_one(const void *elem, void *arg)
{
	const struct token_each *e = arg;

	return e->fn(elem, e->arg);
}

int db_token_each(struct db *db, db_token_each_fn fn, void *arg)
{
	struct token_each e = {fn, arg};
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_TOKEN_LIST,
			 "SELECT id, name, role, hash, created FROM tokens ORDER BY id", &st);

	return rc ? rc
		  : db_rows_each(db, st, sizeof(struct db_token), token_row, token_each_one, &e);
}

int db_token_delete(struct db *db, const char *name)
{
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_TOKEN_DELETE, "DELETE FROM tokens WHERE name = ?1", &st);

	if (rc != 0)
		return rc;
	rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	if (rc == 0 && sqlite3_changes(db->conn) == 0)
		rc = db_fail_msg(db, -ENOENT, "no token called '%s'", name);
	db_stmt_done(st);
	return rc;
}

int db_data_version(struct db *db, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_DATA_VERSION, "PRAGMA data_version", &st);

	if (rc != 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = db_fail(db, rc);
	}
	db_stmt_done(st);
	return rc;
}
