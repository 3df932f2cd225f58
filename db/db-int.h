/* What the db/ files share and nothing else sees: the connection, its statements, its errors. */
#ifndef FULCRUM_DB_INT_H
#define FULCRUM_DB_INT_H

#include "db/db.h"

#include <sqlite3.h>

/* Every statement db/ runs more than once, prepared on first use and kept. */
enum db_stmt_id {
	DB_STMT_BEGIN = 0,
	DB_STMT_COMMIT,
	DB_STMT_ROLLBACK,
	DB_STMT_REVISION_GET,
	DB_STMT_REVISION_BUMP,
	DB_STMT_VS_INSERT,
	DB_STMT_VS_UPDATE,
	DB_STMT_VS_DELETE,
	DB_STMT_VS_GET,
	DB_STMT_VS_BY_NAME,
	DB_STMT_VS_BY_ADDR,
	DB_STMT_VS_BY_FWMARK,
	DB_STMT_VS_LIST,
	DB_STMT_RS_INSERT,
	DB_STMT_RS_UPDATE,
	DB_STMT_RS_DELETE,
	DB_STMT_RS_GET,
	DB_STMT_RS_BY_ADDR,
	DB_STMT_RS_LIST,
	DB_STMT_RS_LIST_VS,
	DB_STMT_CHANGE_ADD,
	DB_STMT_CHANGE_LIST,
	DB_STMT_CHANGE_OBJECTS,
	DB_STMT_CHANGE_REV,
	DB_STMT_TOKEN_INSERT,
	DB_STMT_TOKEN_LIST,
	DB_STMT_TOKEN_DELETE,
	DB_STMT_DATA_VERSION,
	DB_STMT_SAVEPOINT,
	DB_STMT_RELEASE,
	DB_STMT_ROLLBACK_TO,
	DB_STMT_VIP_INSERT,
	DB_STMT_VIP_UPDATE,
	DB_STMT_VIP_DELETE,
	DB_STMT_VIP_GET,
	DB_STMT_VIP_BY_ADDR,
	DB_STMT_VIP_LIST,
	DB_STMT_ROLE_ADD,
	DB_STMT_ROLE_TRIM,
	DB_STMT_ROLE_LIST,
	DB_STMT_COUNT,
};

struct db {
	sqlite3 *conn;
	sqlite3_stmt *stmts[DB_STMT_COUNT];
	char errmsg[512];
	unsigned busy_ms; /* sqlite3_busy_timeout() in force */
};

/*
 * Returns in *out the cached statement id, preparing sql the first time.
 * The statement is reset and has no bindings. Returns 0 or a negative errno
 * (db_errmsg() tells why). Call db_stmt_done() when finished with it.
 */
int db_stmt(struct db *db, enum db_stmt_id id, const char *sql, sqlite3_stmt **out);

/* Resets st and clears its bindings, so it holds no lock and no caller memory. */
void db_stmt_done(sqlite3_stmt *st);

/* Records SQLite's message for rc and returns rc mapped to a negative errno (see db.h). */
int db_fail(struct db *db, int rc);

/* Records a message of db/'s own and returns err (a negative errno). */
int db_fail_msg(struct db *db, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Column col of st's current row as text; "" for NULL. */
const char *db_col_text(sqlite3_stmt *st, int col);

/* Runs one sqlite3_bind_*() call unless an earlier one of the sequence failed (rc holds that). */
#define DB_BIND(rc, call)                                                                          \
	do {                                                                                       \
		if ((rc) == SQLITE_OK)                                                             \
			(rc) = (call);                                                             \
	} while (0)

/* Steps a statement that writes and returns no row: 0 or db_fail(). */
int db_step_done(struct db *db, sqlite3_stmt *st);

/* Reads the current row of st into elem; 0 or a negative errno (db_fail_msg() says why). */
typedef int (*db_row_fn)(struct db *db, sqlite3_stmt *st, void *elem);

/* Takes one row read by db_rows_each(); 0 goes on, a negative errno stops the walk. */
typedef int (*db_each_fn)(const void *elem, void *arg);

/*
 * Steps st to its end, reading each row with read_row into one element of
 * size bytes (reused: each() copies what it keeps) and handing it to
 * each(elem, arg). Calls db_stmt_done(st) in every case. Returns 0, or the
 * first negative errno of read_row, each() or SQLite.
 */
int db_rows_each(struct db *db, sqlite3_stmt *st, size_t size, db_row_fn read_row, db_each_fn each,
		 void *arg);

/*
 * Steps st to its end, reading each row with read_row into a malloc'ed array
 * of elements of size bytes: *out (NULL when no row) and *n. Calls
 * db_stmt_done(st) in every case. On error *out is NULL and *n 0, and
 * free_elem (NULL: nothing to free) has run on each element read. what names
 * the list in an out-of-memory message ("services").
 */
int db_rows_collect(struct db *db, sqlite3_stmt *st, size_t size, db_row_fn read_row,
		    void (*free_elem)(void *elem), const char *what, void **out, size_t *n);

#endif
