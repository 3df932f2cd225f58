/* The notification switches in SQLite: the notify_switches table to and from a bool per switch. */
#include "db/db-int.h"

#include <errno.h>
#include <string.h>

/* The stored names, by enum command_notify; the schema's CHECK lists the same. */
static const char *const notify_names[COMMAND_NOTIFY_COUNT] = {
    [COMMAND_NOTIFY_RS_STATE] = "rs_state",
    [COMMAND_NOTIFY_VS_AVAILABILITY] = "vs_availability",
    [COMMAND_NOTIFY_CONFIG_CHANGE] = "config_change",
    [COMMAND_NOTIFY_ROLE_CHANGE] = "role_change",
    [COMMAND_NOTIFY_PEER_STATE] = "peer_state",
    [COMMAND_NOTIFY_REPL_STATE] = "repl_state",
};

/*
 * The statements here are prepared on each call, not cached: the switches are
 * read at the store's loads and written by the odd SET, and the cache's table
 * of statements belongs to db-int.h.
 */
static int notify_prepare(struct db *db, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db->conn, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : db_fail(db, rc);
}

/* Reads one row into got; -EBADMSG for a row the schema should have refused. */
static int notify_row(struct db *db, sqlite3_stmt *st, bool got[COMMAND_NOTIFY_COUNT])
{
	const char *name = db_col_text(st, 0);

	for (size_t i = 0; i < COMMAND_NOTIFY_COUNT; i++) {
		if (strcmp(name, notify_names[i]) == 0) {
			got[i] = sqlite3_column_int(st, 1) != 0;
			return 0;
		}
	}
	return db_fail_msg(db, -EBADMSG, "notification switch '%s' is not one Fulcrum knows", name);
}

int db_notify_get(struct db *db, bool enabled[COMMAND_NOTIFY_COUNT])
{
	bool got[COMMAND_NOTIFY_COUNT];
	sqlite3_stmt *st = NULL;
	int rc;

	for (size_t i = 0; i < COMMAND_NOTIFY_COUNT; i++)
		got[i] = true; /* the default, should a row be missing */
	rc = notify_prepare(db, "SELECT name, enabled FROM notify_switches", &st);
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = notify_row(db, st, got);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = db_fail(db, rc);
	sqlite3_finalize(st);
	if (rc == 0)
		memcpy(enabled, got, sizeof(got));
	return rc;
}

int db_notify_set(struct db *db, enum command_notify which, bool enabled)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((unsigned)which >= COMMAND_NOTIFY_COUNT)
		return db_fail_msg(db, -EINVAL, "notification switch %d does not exist",
				   (int)which);
	/* REPLACE, not UPDATE: a row someone deleted comes back rather than fail */
	rc = notify_prepare(db,
			    "INSERT OR REPLACE INTO notify_switches (name, enabled) "
			    "VALUES (?1, ?2)",
			    &st);
	if (rc != 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_text(st, 1, notify_names[which], -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 2, enabled ? 1 : 0));
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	sqlite3_finalize(st);
	return rc;
}

const char *db_notify_name(enum command_notify which)
{
	return (unsigned)which < COMMAND_NOTIFY_COUNT ? notify_names[which] : NULL;
}

int db_notify_parse(const char *name, enum command_notify *out)
{
	for (size_t i = 0; i < COMMAND_NOTIFY_COUNT; i++) {
		if (strcmp(name, notify_names[i]) == 0) {
			*out = (enum command_notify)i;
			return 0;
		}
	}
	return -EINVAL;
}
