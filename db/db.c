/* The SQLite connection: open, migrate, errors, statements, transactions, revision, next ids. */
#include "db/db-int.h"
#include "db/db_schema.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DB_BUSY_TIMEOUT_MS 5000

int db_schema_version(void)
{
	return (int)db_schema_count;
}

static int rc_errno(struct db *db, int rc)
{
	int sys;

	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	}
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_CONSTRAINT:
		return -EINVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EBADMSG;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		sys = db->conn ? sqlite3_system_errno(db->conn) : 0;
		return sys > 0 ? -sys : -EIO;
	}
	return -EIO;
}

int db_fail(struct db *db, int rc)
{
	snprintf(db->errmsg, sizeof(db->errmsg), "%s",
		 db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc));
	return rc_errno(db, rc);
}

int db_fail_msg(struct db *db, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof(db->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

const char *db_errmsg(struct db *db)
{
	return db ? db->errmsg : "";
}

int db_stmt(struct db *db, enum db_stmt_id id, const char *sql, sqlite3_stmt **out)
{
	int rc;

	assert(id < DB_STMT_COUNT);
	if (!db->stmts[id]) {
		rc = sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT,
					&db->stmts[id], NULL);
		if (rc != SQLITE_OK) {
			*out = NULL;
			return db_fail(db, rc);
		}
	}
	*out = db->stmts[id];
	return 0;
}

void db_stmt_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

int db_step_done(struct db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return db_fail(db, rc);
}

int db_rows_each(struct db *db, sqlite3_stmt *st, size_t size, db_row_fn read_row, db_each_fn each,
		 void *arg)
{
	void *elem = malloc(size);
	int rc;

	if (!elem) {
		db_stmt_done(st);
		return db_fail_msg(db, -ENOMEM, "out of memory reading a row");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = read_row(db, st, elem)) != 0 || (rc = each(elem, arg)) != 0)
			break;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = db_fail(db, rc);
	db_stmt_done(st);
	free(elem);
	return rc;
}

/* What db_rows_collect() grows while db_rows_each() reads. */
struct db_collect {
	struct db *db;
	size_t size;
	const char *what;
	void (*free_elem)(void *elem);
	char *list;
	size_t count, cap;
};

static int db_collect_one(const void *elem, void *arg)
{
	struct db_collect *c = arg;

	if (c->count == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		char *grown = realloc(c->list, ncap * c->size);

		if (!grown) {
			if (c->free_elem) /* what the row owns is not in the list */
				c->free_elem((void *)elem);
			return db_fail_msg(c->db, -ENOMEM, "out of memory listing %s", c->what);
		}
		c->list = grown;
		c->cap = ncap;
	}
	memcpy(c->list + c->count++ * c->size, elem, c->size);
	return 0;
}

int db_rows_collect(struct db *db, sqlite3_stmt *st, size_t size, db_row_fn read_row,
		    void (*free_elem)(void *elem), const char *what, void **out, size_t *n)
{
	struct db_collect c = {.db = db, .size = size, .what = what, .free_elem = free_elem};
	int rc = db_rows_each(db, st, size, read_row, db_collect_one, &c);

	*out = NULL;
	*n = 0;
	if (rc != 0) {
		for (size_t i = 0; free_elem && i < c.count; i++)
			free_elem(c.list + i * size);
		free(c.list);
		return rc;
	}
	*out = c.list;
	*n = c.count;
	return 0;
}

const char *db_col_text(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? s : "";
}

/* Runs one pragma or statement that returns at most one row; its first column as int or text. */
static int run_one(struct db *db, const char *sql, int64_t *num, char *text, size_t textlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (num)
			*num = sqlite3_column_int64(st, 0);
		if (text && sqlite3_column_text(st, 0))
			snprintf(text, textlen, "%s", (const char *)sqlite3_column_text(st, 0));
		rc = SQLITE_DONE;
	}
out:
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, rc);
	sqlite3_finalize(st);
	return rc;
}

/* A newer Fulcrum wrote this file: refusing it is the only safe thing an older one can do. */
static int refuse_newer(const char *path, int64_t version, char *errbuf, size_t errlen)
{
	snprintf(errbuf, errlen,
		 "database %s has schema version %lld, newer than this Fulcrum (knows up to %d): "
		 "upgrade Fulcrum",
		 path, (long long)version, db_schema_version());
	return -ENOTSUP;
}

/*
 * Applies the migrations newer than the file, in one transaction with the new
 * user_version. Another process may have brought the file up to date since
 * db_setup() read its version: the version read again under the write lock
 * is the one that counts.
 */
static int db_migrate(struct db *db, const char *path, char *errbuf, size_t errlen)
{
	int64_t version = 0;
	char sql[64];
	int rc;

	rc = run_one(db, "BEGIN IMMEDIATE", NULL, NULL, 0);
	if (rc == 0)
		rc = run_one(db, "PRAGMA user_version", &version, NULL, 0); /* a racing fulcrumd? */
	if (rc != 0) {
		snprintf(errbuf, errlen, "database %s: cannot start the schema upgrade: %s", path,
			 db->errmsg);
		goto out;
	}
	if (version > db_schema_version()) {
		rc = refuse_newer(path, version, errbuf, errlen);
		goto out;
	}
	if (version == db_schema_version()) { /* it won: take its schema, write nothing */
		rc = run_one(db, "COMMIT", NULL, NULL, 0);
		if (rc != 0)
			snprintf(errbuf, errlen, "database %s: cannot end the schema check: %s",
				 path, db->errmsg);
		goto out;
	}
	for (size_t i = 0; i < db_schema_count; i++) {
		const struct db_schema_migration *m = &db_schema_migrations[i];
		char *msg = NULL;

		if (m->version <= version)
			continue;
		rc = sqlite3_exec(db->conn, m->sql, NULL, NULL, &msg);
		if (rc != SQLITE_OK) {
			rc = db_fail(db, rc);
			snprintf(errbuf, errlen, "database %s: migration %s failed: %s", path,
				 m->name, msg ? msg : db->errmsg);
			sqlite3_free(msg);
			goto out;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", db_schema_version());
	rc = run_one(db, sql, NULL, NULL, 0);
	if (rc == 0)
		rc = run_one(db, "COMMIT", NULL, NULL, 0);
	if (rc != 0)
		snprintf(errbuf, errlen, "database %s: cannot record the schema version: %s", path,
			 db->errmsg);
out:
	if (rc != 0 && !sqlite3_get_autocommit(db->conn))
		sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Switches the file to WAL (mode gets the journal mode it then has), waiting
 * for other processes as long as the busy timeout. SQLite does not wait here
 * by itself: on a file still in rollback mode the switch reads the header
 * under a shared lock and then asks for the write lock, and a connection that
 * holds a read lock fails at once rather than wait for a writer that may be
 * waiting for it. Two processes opening a new file at once meet exactly there.
 * The failed statement has let its lock go, so trying again is safe; each try
 * is given what is left of the timeout for the locks it does wait for.
 */
static int db_wal_on(struct db *db, char *mode, size_t modelen)
{
	int64_t deadline = now_ms() + db->busy_ms, left;
	int delay = 1, rc;

	for (;;) {
		rc = run_one(db, "PRAGMA journal_mode = WAL", NULL, mode, modelen);
		left = deadline - now_ms();
		if (rc != -EBUSY || left <= 0)
			break;
		sqlite3_sleep(delay < left ? delay : (int)left);
		delay = delay < 32 ? delay * 2 : 50;
		left = deadline - now_ms();
		sqlite3_busy_timeout(db->conn, left > 0 ? (int)left : 0); /* 0: a last try */
	}
	sqlite3_busy_timeout(db->conn, (int)db->busy_ms);
	return rc;
}

/* Sets the connection up and brings the schema up to date; errbuf says what failed. */
static int db_setup(struct db *db, const char *path, char *errbuf, size_t errlen)
{
	char mode[32] = "";
	int64_t version = 0;
	int rc;

	sqlite3_extended_result_codes(db->conn, 1);
	db->busy_ms = DB_BUSY_TIMEOUT_MS;
	sqlite3_busy_timeout(db->conn, DB_BUSY_TIMEOUT_MS);
	/* Read the version before writing anything: a file we must refuse stays untouched. */
	rc = run_one(db, "PRAGMA user_version", &version, NULL, 0);
	if (rc == -EBADMSG) {
		snprintf(errbuf, errlen, "database %s: not a SQLite database, or damaged (%s)",
			 path, db->errmsg);
		return rc;
	}
	if (rc != 0) {
		snprintf(errbuf, errlen, "database %s: cannot read it: %s", path, db->errmsg);
		return rc;
	}
	if (version > db_schema_version()) {
		return refuse_newer(path, version, errbuf, errlen);
	}
	if (sqlite3_db_readonly(db->conn, "main") == 1) {
		snprintf(errbuf, errlen, "database %s: read-only, Fulcrum needs to write it", path);
		return -EROFS;
	}
	rc = db_wal_on(db, mode, sizeof(mode));
	if (rc == 0 && strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)
		rc = db_fail_msg(db, -ENOTSUP, "journal mode is '%s', not 'wal'", mode);
	if (rc == 0)
		rc = run_one(db, "PRAGMA synchronous = FULL", NULL, NULL, 0);
	if (rc == 0)
		rc = run_one(db, "PRAGMA foreign_keys = ON", NULL, NULL, 0);
	if (rc != 0) {
		snprintf(errbuf, errlen, "database %s: cannot set it up: %s", path, db->errmsg);
		return rc;
	}
	if (version < db_schema_version())
		return db_migrate(db, path, errbuf, errlen);
	return 0;
}

int db_open(const char *path, struct db **out, char *errbuf, size_t errlen)
{
	char dummy[1];
	struct db *db;
	int rc;

	*out = NULL;
	if (!errbuf || errlen == 0) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	errbuf[0] = '\0';
	db = calloc(1, sizeof(*db));
	if (!db) {
		snprintf(errbuf, errlen, "database %s: out of memory", path);
		return -ENOMEM;
	}
	/*
	 * A new database is created owner-only: it holds token hashes and the
	 * change log. SQLite gives its -wal and -shm files the same mode.
	 */
	if (strcmp(path, ":memory:") != 0) {
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		if (fd >= 0)
			close(fd);
	}
	rc =
	    sqlite3_open_v2(path, &db->conn,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = db_fail(db, rc);
		snprintf(errbuf, errlen, "database %s: cannot open it: %s", path, db->errmsg);
		goto fail;
	}
	rc = db_setup(db, path, errbuf, errlen);
	if (rc != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	db_close(db);
	return rc;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < DB_STMT_COUNT; i++) {
		sqlite3_finalize(db->stmts[i]);
		db->stmts[i] = NULL;
	}
	sqlite3_close(db->conn); /* NULL is a no-op; every statement is finalized */
	db->conn = NULL;
	free(db);
}

static int run_cached(struct db *db, enum db_stmt_id id, const char *sql)
{
	sqlite3_stmt *st;
	int rc = db_stmt(db, id, sql, &st);

	if (rc == 0)
		rc = db_step_done(db, st);
	db_stmt_done(st);
	return rc;
}

unsigned db_busy_timeout(struct db *db, unsigned ms)
{
	unsigned old = db->busy_ms;

	db->busy_ms = ms;
	sqlite3_busy_timeout(db->conn, (int)ms);
	return old;
}

int db_begin(struct db *db)
{
	return run_cached(db, DB_STMT_BEGIN, "BEGIN IMMEDIATE");
}

int db_commit(struct db *db)
{
	return run_cached(db, DB_STMT_COMMIT, "COMMIT");
}

int db_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->conn))
		return 0; /* nothing open, or SQLite already rolled back after an error */
	return run_cached(db, DB_STMT_ROLLBACK, "ROLLBACK");
}

int db_savepoint(struct db *db)
{
	return run_cached(db, DB_STMT_SAVEPOINT, "SAVEPOINT command");
}

int db_release(struct db *db)
{
	return run_cached(db, DB_STMT_RELEASE, "RELEASE command");
}

int db_rollback_to(struct db *db)
{
	int rc = run_cached(db, DB_STMT_ROLLBACK_TO, "ROLLBACK TO command");

	/* ROLLBACK TO keeps the savepoint open: release it, with nothing left in it */
	return rc ? rc : db_release(db);
}

bool db_in_transaction(struct db *db)
{
	return !sqlite3_get_autocommit(db->conn);
}

int64_t db_revision(struct db *db)
{
	sqlite3_stmt *st;
	int64_t rev;
	int rc = db_stmt(db, DB_STMT_REVISION_GET, "SELECT revision FROM meta WHERE id = 1", &st);

	if (rc != 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rev = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		rev = db_fail_msg(db, -EBADMSG, "the meta table has no revision row");
	else
		rev = db_fail(db, rc);
	db_stmt_done(st);
	return rev;
}

int db_revision_bump(struct db *db, int64_t *newrev)
{
	int rc = run_cached(db, DB_STMT_REVISION_BUMP,
			    "UPDATE meta SET revision = revision + 1 WHERE id = 1");
	int64_t rev;

	if (rc != 0)
		return rc;
	rev = db_revision(db);
	if (rev < 0)
		return (int)rev;
	*newrev = rev;
	return 0;
}

/*
 * One more than the highest id table's AUTOINCREMENT ever gave out. Not a
 * cached statement: it runs once per explicit-id create and at the store's
 * loads, and the cache's table of statements belongs to db-int.h.
 */
static int next_id(struct db *db, const char *sql, int64_t *out)
{
	int64_t seq = 0; /* no row yet: nothing was ever stored */
	int rc = run_one(db, sql, &seq, NULL, 0);

	if (rc == 0)
		*out = seq + 1;
	return rc;
}

int db_vs_next_id(struct db *db, int64_t *out)
{
	return next_id(db, "SELECT seq FROM sqlite_sequence WHERE name = 'services'", out);
}

int db_rs_next_id(struct db *db, int64_t *out)
{
	return next_id(db, "SELECT seq FROM sqlite_sequence WHERE name = 'reals'", out);
}

int db_vip_next_id(struct db *db, int64_t *out)
{
	return next_id(db, "SELECT seq FROM sqlite_sequence WHERE name = 'vips'", out);
}
