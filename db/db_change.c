/* The change log in SQLite: one row per object a committed change wrote. */
#include "controller/model/model.h"
#include "db/db-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ACTOR_MAX (sizeof(((struct fulcrum_change *)0)->actor) - 1)

int db_change_add(struct db *db, int64_t rev, int64_t time, const char *actor,
		  enum fulcrum_origin origin, const char *object_type, int64_t object_id,
		  const char *before, const char *after)
{
	sqlite3_stmt *st;
	int rc;

	if (!actor || strlen(actor) > ACTOR_MAX)
		return db_fail_msg(db, -EINVAL, "change log: actor longer than %zu bytes",
				   ACTOR_MAX);
	rc = db_stmt(db, DB_STMT_CHANGE_ADD,
		     "INSERT INTO change_log (revision, seq, time, actor, origin, object_type, "
		     "object_id, before, after) "
		     "SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 "
		     "FROM change_log WHERE revision = ?1",
		     &st);
	if (rc != 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_int64(st, 1, rev));
	DB_BIND(rc, sqlite3_bind_int64(st, 2, time));
	DB_BIND(rc, sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 4, model_origin_name(origin), -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 5, object_type, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 6, object_id));
	DB_BIND(rc, sqlite3_bind_text(st, 7, before, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 8, after, -1, SQLITE_STATIC));
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	db_stmt_done(st);
	return rc;
}

/* Copies column col into a malloc'ed string in *out (NULL for SQL NULL); -ENOMEM on failure. */
static int dup_column(sqlite3_stmt *st, int col, char **out)
{
	*out = NULL;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 0;
	*out = strdup(db_col_text(st, col));
	return *out ? 0 : -ENOMEM;
}

static int change_unreadable(struct db *db, const struct fulcrum_change *c)
{
	return db_fail_msg(db, -EBADMSG,
			   "change log: a row of revision %lld holds a value Fulcrum cannot read",
			   (long long)c->revision);
}

/* c's object_type and object_id from columns col and col + 1. */
static int change_object_from(struct db *db, sqlite3_stmt *st, int col, struct fulcrum_change *c)
{
	if (strlen(db_col_text(st, col)) >= sizeof(c->object_type))
		return change_unreadable(db, c);
	strcpy(c->object_type, db_col_text(st, col));
	c->object_id = sqlite3_column_int64(st, col + 1);
	return 0;
}

static int change_from_row(struct db *db, sqlite3_stmt *st, struct fulcrum_change *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->revision = sqlite3_column_int64(st, 0);
	c->time = sqlite3_column_int64(st, 1);
	if (strlen(db_col_text(st, 2)) > ACTOR_MAX ||
	    model_origin_parse(db_col_text(st, 3), &c->origin) != 0)
		return change_unreadable(db, c);
	strcpy(c->actor, db_col_text(st, 2));
	rc = change_object_from(db, st, 4, c);
	if (rc != 0)
		return rc;
	if (dup_column(st, 6, &c->before) != 0 || dup_column(st, 7, &c->after) != 0) {
		free(c->before);
		c->before = NULL;
		return db_fail_msg(db, -ENOMEM, "out of memory reading the change log");
	}
	return 0;
}

static int change_row(struct db *db, sqlite3_stmt *st, void *elem)
{
	return change_from_row(db, st, elem);
}

/* Frees one change's JSON texts. */
static void change_clear(void *elem)
{
	struct fulcrum_change *c = elem;

	free(c->before);
	c->before = NULL;
	free(c->after);
	c->after = NULL;
}

/* Rows of revisions after since_rev, at most limit (0: all), read by read_row. */
static int change_select(struct db *db, enum db_stmt_id id, const char *sql, int64_t since_rev,
			 size_t limit, db_row_fn read_row, struct fulcrum_change **out, size_t *n)
{
	void *list = NULL;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	rc = db_stmt(db, id, sql, &st);
	if (rc != 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_int64(st, 1, since_rev));
	/* a negative LIMIT is no limit */
	DB_BIND(rc,
		sqlite3_bind_int64(st, 2, limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit));
	if (rc != SQLITE_OK) {
		rc = db_fail(db, rc);
		db_stmt_done(st);
		return rc;
	}
	rc = db_rows_collect(db, st, sizeof(struct fulcrum_change), read_row, change_clear,
			     "the change log", &list, n);
	*out = list;
	return rc;
}

int db_change_list(struct db *db, int64_t since_rev, size_t limit, struct fulcrum_change **out,
		   size_t *n)
{
	return change_select(
	    db, DB_STMT_CHANGE_LIST,
	    "SELECT revision, time, actor, origin, object_type, object_id, before, after "
	    "FROM change_log WHERE revision > ?1 ORDER BY revision, seq LIMIT ?2",
	    since_rev, limit, change_row, out, n);
}

static int change_object_row(struct db *db, sqlite3_stmt *st, void *elem)
{
	struct fulcrum_change *c = elem;

	memset(c, 0, sizeof(*c));
	c->revision = sqlite3_column_int64(st, 0);
	return change_object_from(db, st, 1, c);
}

int db_change_objects(struct db *db, int64_t since_rev, struct fulcrum_change **out, size_t *n)
{
	return change_select(db, DB_STMT_CHANGE_OBJECTS,
			     "SELECT revision, object_type, object_id "
			     "FROM change_log WHERE revision > ?1 ORDER BY revision, seq LIMIT ?2",
			     since_rev, 0, change_object_row, out, n);
}

void fulcrum_change_list_free(struct fulcrum_change *list, size_t n)
{
	if (!list)
		return;
	for (size_t i = 0; i < n; i++)
		change_clear(&list[i]);
	free(list);
}

int db_change_rev(struct db *db, int64_t rev, struct fulcrum_change **out, size_t *n)
{
	void *list = NULL;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	rc = db_stmt(db, DB_STMT_CHANGE_REV,
		     "SELECT revision, time, actor, origin, object_type, object_id, before, after "
		     "FROM change_log WHERE revision = ?1 ORDER BY seq",
		     &st);
	if (rc != 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_int64(st, 1, rev));
	if (rc != SQLITE_OK) {
		rc = db_fail(db, rc);
		db_stmt_done(st);
		return rc;
	}
	rc = db_rows_collect(db, st, sizeof(struct fulcrum_change), change_row, change_clear,
			     "the change log", &list, n);
	*out = list;
	return rc;
}

/* One row of db_change_each()'s walk: the change and its place in its revision. */
struct change_seq {
	struct fulcrum_change c;
	int64_t seq;
};

static int change_seq_row(struct db *db, sqlite3_stmt *st, void *elem)
{
	struct change_seq *r = elem;
	int rc = change_from_row(db, st, &r->c);

	r->seq = sqlite3_column_int64(st, 8);
	return rc;
}

struct change_each {
	db_change_each_fn fn;
	void *arg;
};

static int change_each_one(const void *elem, void *arg)
{
	struct change_seq *r = (struct change_seq *)elem;
	const struct change_each *e = arg;
	int rc = e->fn(&r->c, r->seq, e->arg);

	change_clear(&r->c); /* read_row gave it copies; the next row reuses the element */
	return rc;
}

int db_change_each(struct db *db, db_change_each_fn fn, void *arg)
{
	struct change_each e = {fn, arg};
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(
	    db->conn,
	    "SELECT revision, time, actor, origin, object_type, object_id, before, after, seq "
	    "FROM change_log ORDER BY revision, seq",
	    -1, &st, NULL);

	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return db_fail(db, rc);
	}
	rc = db_rows_each(db, st, sizeof(struct change_seq), change_seq_row, change_each_one, &e);
	sqlite3_finalize(st);
	return rc;
}

int db_change_insert(struct db *db, const struct fulcrum_change *c, int64_t seq)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (strlen(c->actor) > ACTOR_MAX)
		return db_fail_msg(db, -EINVAL, "change log: actor longer than %zu bytes",
				   ACTOR_MAX);
	rc = sqlite3_prepare_v2(db->conn,
				"INSERT INTO change_log (revision, seq, time, actor, origin, "
				"object_type, object_id, before, after) "
				"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
				-1, &st, NULL);
	DB_BIND(rc, sqlite3_bind_int64(st, 1, c->revision));
	DB_BIND(rc, sqlite3_bind_int64(st, 2, seq));
	DB_BIND(rc, sqlite3_bind_int64(st, 3, c->time));
	DB_BIND(rc, sqlite3_bind_text(st, 4, c->actor, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 5, model_origin_name(c->origin), -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 6, c->object_type, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 7, c->object_id));
	DB_BIND(rc, sqlite3_bind_text(st, 8, c->before, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 9, c->after, -1, SQLITE_STATIC));
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	sqlite3_finalize(st);
	return rc;
}

int db_change_prune(struct db *db, int64_t below_revision, int64_t *deleted)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->conn, "DELETE FROM change_log WHERE revision < ?1", -1, &st,
				    NULL);

	DB_BIND(rc, sqlite3_bind_int64(st, 1, below_revision));
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	sqlite3_finalize(st);
	if (rc == 0 && deleted)
		*deleted = sqlite3_changes(db->conn);
	return rc;
}

int db_change_oldest(struct db *db, int64_t *rev)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->conn, "SELECT COALESCE(MIN(revision), 0) FROM change_log",
				    -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*rev = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, rc);
	sqlite3_finalize(st);
	return rc;
}
