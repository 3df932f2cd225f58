/* VIPs in SQLite: the vips table to and from struct fulcrum_vip. */
#include "controller/model/model.h"
#include "db/db-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VIP_COLUMNS  "address, prefix, interface, description"
#define VIP_NCOLUMNS 4
/* ?1..?4, in VIP_COLUMNS order; the id is ?5 */
#define VIP_VALUES "?1, ?2, ?3, ?4"
#define VIP_SELECT "SELECT id, " VIP_COLUMNS " FROM vips"

/*
 * Binds vip's fields to ?1..?4; addr holds the address's text. An address of
 * no family binds NULL, which NOT NULL refuses.
 */
static int vip_bind(sqlite3_stmt *st, const struct fulcrum_vip *vip, char *addr, size_t len)
{
	int rc = SQLITE_OK;

	DB_BIND(rc, sqlite3_bind_text(st, 1,
				      vip->addr.family == AF_UNSPEC
					  ? NULL
					  : model_addr_format(&vip->addr, addr, len),
				      -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 2, vip->prefix));
	DB_BIND(rc, sqlite3_bind_text(st, 3, vip->interface, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 4, vip->description, -1, SQLITE_STATIC));
	return rc;
}

/* Copies column col's text into dst of size bytes; false when it does not fit. */
static bool col_copy(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char *s = db_col_text(st, col);
	size_t len = strlen(s);

	if (len >= size)
		return false;
	memcpy(dst, s, len + 1);
	return true;
}

/* Reads a VIP_SELECT row into *vip; -EBADMSG naming the column when the model cannot read it. */
static int vip_from_row(struct db *db, sqlite3_stmt *st, struct fulcrum_vip *vip)
{
	const char *bad = NULL;
	int64_t prefix;

	model_vip_init(vip);
	vip->id = sqlite3_column_int64(st, 0);
	if (model_addr_parse(db_col_text(st, 1), &vip->addr) != 0)
		bad = "address";
	prefix = sqlite3_column_int64(st, 2);
	if (prefix < 0 || prefix > 128)
		bad = "prefix";
	vip->prefix = (uint8_t)prefix;
	if (!col_copy(st, 3, vip->interface, sizeof(vip->interface)))
		bad = "interface";
	if (!col_copy(st, 4, vip->description, sizeof(vip->description)))
		bad = "description";
	if (bad)
		return db_fail_msg(db, -EBADMSG,
				   "VIP %lld: column %s holds a value Fulcrum cannot read",
				   (long long)vip->id, bad);
	return 0;
}

/* Steps st, which selects at most one VIP_SELECT row, into *out: 0, -ENOENT or an error. */
static int vip_step_one(struct db *db, sqlite3_stmt *st, struct fulcrum_vip *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = vip_from_row(db, st, out);
	else if (rc == SQLITE_DONE)
		rc = db_fail_msg(db, -ENOENT, "no such VIP");
	else
		rc = db_fail(db, rc);
	db_stmt_done(st);
	return rc;
}

int db_vip_insert(struct db *db, struct fulcrum_vip *vip)
{
	char addr[MODEL_ADDR_STRLEN];
	sqlite3_stmt *st;
	/* id NULL is what gives AUTOINCREMENT its say */
	int rc = db_stmt(db, DB_STMT_VIP_INSERT,
			 "INSERT INTO vips (id, " VIP_COLUMNS ") VALUES (?5, " VIP_VALUES ")", &st);

	if (rc != 0)
		return rc;
	rc = vip_bind(st, vip, addr, sizeof(addr));
	DB_BIND(rc, vip->id ? sqlite3_bind_int64(st, VIP_NCOLUMNS + 1, vip->id)
			    : sqlite3_bind_null(st, VIP_NCOLUMNS + 1));
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	if (rc == 0)
		vip->id = sqlite3_last_insert_rowid(db->conn);
	db_stmt_done(st);
	return rc;
}

int db_vip_update(struct db *db, const struct fulcrum_vip *vip)
{
	char addr[MODEL_ADDR_STRLEN];
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_VIP_UPDATE,
			 "UPDATE vips SET (" VIP_COLUMNS ") = (" VIP_VALUES ") WHERE id = ?5", &st);

	if (rc != 0)
		return rc;
	rc = vip_bind(st, vip, addr, sizeof(addr));
	DB_BIND(rc, sqlite3_bind_int64(st, VIP_NCOLUMNS + 1, vip->id));
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	if (rc == 0 && sqlite3_changes(db->conn) == 0)
		rc = db_fail_msg(db, -ENOENT, "no VIP %lld", (long long)vip->id);
	db_stmt_done(st);
	return rc;
}

int db_vip_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_VIP_DELETE, "DELETE FROM vips WHERE id = ?1", &st);

	if (rc != 0)
		return rc;
	rc = sqlite3_bind_int64(st, 1, id);
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	if (rc == 0 && sqlite3_changes(db->conn) == 0)
		rc = db_fail_msg(db, -ENOENT, "no VIP %lld", (long long)id);
	db_stmt_done(st);
	return rc;
}

int db_vip_get(struct db *db, int64_t id, struct fulcrum_vip *out)
{
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_VIP_GET, VIP_SELECT " WHERE id = ?1", &st);

	if (rc != 0)
		return rc;
	rc = sqlite3_bind_int64(st, 1, id);
	if (rc != SQLITE_OK) {
		db_stmt_done(st);
		return db_fail(db, rc);
	}
	return vip_step_one(db, st, out);
}

int db_vip_find_by_addr(struct db *db, const struct fulcrum_addr *addr, struct fulcrum_vip *out)
{
	char text[MODEL_ADDR_STRLEN];
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_VIP_BY_ADDR, VIP_SELECT " WHERE address = ?1", &st);

	if (rc != 0)
		return rc;
	rc = sqlite3_bind_text(st, 1, model_addr_format(addr, text, sizeof(text)), -1,
			       SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		db_stmt_done(st);
		return db_fail(db, rc);
	}
	return vip_step_one(db, st, out);
}

static int vip_row(struct db *db, sqlite3_stmt *st, void *elem)
{
	return vip_from_row(db, st, elem);
}

int db_vip_list(struct db *db, struct fulcrum_vip **out, size_t *n)
{
	void *list = NULL;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	rc = db_stmt(db, DB_STMT_VIP_LIST, VIP_SELECT " ORDER BY id", &st);
	if (rc != 0)
		return rc;
	rc = db_rows_collect(db, st, sizeof(struct fulcrum_vip), vip_row, NULL, "VIPs", &list, n);
	*out = list;
	return rc;
}

/* db_vip_each()'s callback and its argument, behind db_rows_each()'s untyped one. */
struct vip_each {
	db_vip_each_fn fn;
	void *arg;
};

static int vip_each_one(const void *elem, void *arg)
{
	const struct vip_each *e = arg;

	return e->fn(elem, e->arg);
}

int db_vip_each(struct db *db, db_vip_each_fn fn, void *arg)
{
	struct vip_each e = {fn, arg};
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_VIP_LIST, VIP_SELECT " ORDER BY id", &st);

	return rc ? rc
		  : db_rows_each(db, st, sizeof(struct fulcrum_vip), vip_row, vip_each_one, &e);
}
