/* Real servers in SQLite: the reals table to and from struct fulcrum_rs. */
#include "controller/model/model.h"
#include "db/db-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What db_rs_update() writes: every column but service_id (a real server stays in its service). */
#define RS_CHANGING                                                                                \
	"address, port, forwarding, tunnel_type, tunnel_port, weight, upper_threshold, "           \
	"lower_threshold, admin_state, description, check_set, check_type, check_interval, "       \
	"check_timeout, check_rise, check_fall, check_address, check_port, check_on_failure, "     \
	"check_verify_tls"
#define RS_COLUMNS  "service_id, " RS_CHANGING
#define RS_NCOLUMNS 21
/* ?2..?21: RS_CHANGING's values; ?1 is service_id, the id is ?22 */
#define RS_CHANGING_VALUES                                                                         \
	"?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "  \
	"?21"
#define RS_SELECT "SELECT id, " RS_COLUMNS " FROM reals"

/* Binds rs's own check to ?12..?21: each field it does not override binds NULL (the service's). */
static int rs_bind_check(sqlite3_stmt *st, const struct fulcrum_check_override *o, char *addr,
			 size_t addrlen)
{
	uint32_t set = o->set;
	int rc = sqlite3_bind_int64(st, 12, set);

	DB_BIND(rc,
		set & FULCRUM_CHECK_F_TYPE
		    ? sqlite3_bind_text(st, 13, model_check_type_name(o->type), -1, SQLITE_STATIC)
		    : sqlite3_bind_null(st, 13));
	DB_BIND(rc, set & FULCRUM_CHECK_F_INTERVAL ? sqlite3_bind_int64(st, 14, o->interval)
						   : sqlite3_bind_null(st, 14));
	DB_BIND(rc, set & FULCRUM_CHECK_F_TIMEOUT ? sqlite3_bind_int64(st, 15, o->timeout)
						  : sqlite3_bind_null(st, 15));
	DB_BIND(rc, set & FULCRUM_CHECK_F_RISE ? sqlite3_bind_int64(st, 16, o->rise)
					       : sqlite3_bind_null(st, 16));
	DB_BIND(rc, set & FULCRUM_CHECK_F_FALL ? sqlite3_bind_int64(st, 17, o->fall)
					       : sqlite3_bind_null(st, 17));
	/* an override's address is never AF_UNSPEC (the model refuses it; the CHECK too) */
	DB_BIND(rc,
		set & FULCRUM_CHECK_F_CHECK_ADDRESS && o->check_address.family != AF_UNSPEC
		    ? sqlite3_bind_text(st, 18, model_addr_format(&o->check_address, addr, addrlen),
					-1, SQLITE_STATIC)
		    : sqlite3_bind_null(st, 18));
	DB_BIND(rc, set & FULCRUM_CHECK_F_CHECK_PORT ? sqlite3_bind_int(st, 19, o->check_port)
						     : sqlite3_bind_null(st, 19));
	DB_BIND(rc, set & FULCRUM_CHECK_F_ON_FAILURE
			? sqlite3_bind_text(st, 20, model_check_on_failure_name(o->on_failure), -1,
					    SQLITE_STATIC)
			: sqlite3_bind_null(st, 20));
	DB_BIND(rc, set & FULCRUM_CHECK_F_VERIFY_TLS ? sqlite3_bind_int(st, 21, o->verify_tls)
						     : sqlite3_bind_null(st, 21));
	return rc;
}

/* Reads columns 12..21 of an RS_SELECT row; the name of a column it cannot read, or NULL. */
static const char *rs_check_from_row(sqlite3_stmt *st, struct fulcrum_check_override *o)
{
	const char *bad = NULL;

	o->set = (uint32_t)sqlite3_column_int64(st, 12);
	if ((o->set & FULCRUM_CHECK_F_TYPE) &&
	    model_check_type_parse(db_col_text(st, 13), &o->type) != 0)
		bad = "check_type";
	o->interval = (uint32_t)sqlite3_column_int64(st, 14);
	o->timeout = (uint32_t)sqlite3_column_int64(st, 15);
	o->rise = (uint32_t)sqlite3_column_int64(st, 16);
	o->fall = (uint32_t)sqlite3_column_int64(st, 17);
	if ((o->set & FULCRUM_CHECK_F_CHECK_ADDRESS) &&
	    model_addr_parse(db_col_text(st, 18), &o->check_address) != 0)
		bad = "check_address";
	o->check_port = (uint16_t)sqlite3_column_int(st, 19);
	if ((o->set & FULCRUM_CHECK_F_ON_FAILURE) &&
	    model_check_on_failure_parse(db_col_text(st, 20), &o->on_failure) != 0)
		bad = "check_on_failure";
	o->verify_tls = sqlite3_column_int(st, 21) != 0;
	return bad;
}

/* Binds rs's fields to ?1..?21 in RS_COLUMNS order; addrs holds the address texts. */
static int rs_bind(sqlite3_stmt *st, const struct fulcrum_rs *rs, char (*addrs)[MODEL_ADDR_STRLEN])
{
	const char *tunnel =
	    rs->tunnel_type == FULCRUM_TUN_NONE ? NULL : model_tunnel_name(rs->tunnel_type);
	int rc = SQLITE_OK;

	/* A name that does not exist binds NULL, and the NOT NULL and CHECK constraints refuse it. */
	DB_BIND(rc, sqlite3_bind_int64(st, 1, rs->vs_id));
	DB_BIND(rc,
		sqlite3_bind_text(st, 2,
				  rs->addr.family == AF_UNSPEC
				      ? NULL
				      : model_addr_format(&rs->addr, addrs[0], sizeof(addrs[0])),
				  -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 3, rs->port));
	DB_BIND(rc,
		sqlite3_bind_text(st, 4, model_forwarding_name(rs->forwarding), -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 5, tunnel, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 6, rs->tunnel_port));
	DB_BIND(rc, sqlite3_bind_int64(st, 7, rs->weight));
	DB_BIND(rc, sqlite3_bind_int64(st, 8, rs->upper_threshold));
	DB_BIND(rc, sqlite3_bind_int64(st, 9, rs->lower_threshold));
	DB_BIND(rc,
		sqlite3_bind_text(st, 10, model_rs_admin_name(rs->admin_state), -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 11, rs->description, -1, SQLITE_STATIC));
	DB_BIND(rc, rs_bind_check(st, &rs->check, addrs[1], sizeof(addrs[1])));
	return rc;
}

/* Reads an RS_SELECT row into *rs; -EBADMSG naming the column when the model cannot read it. */
static int rs_from_row(struct db *db, sqlite3_stmt *st, struct fulcrum_rs *rs)
{
	const char *bad = NULL;

	model_rs_init(rs);
	rs->id = sqlite3_column_int64(st, 0);
	rs->vs_id = sqlite3_column_int64(st, 1);
	if (model_addr_parse(db_col_text(st, 2), &rs->addr) != 0)
		bad = "address";
	rs->port = (uint16_t)sqlite3_column_int(st, 3);
	if (model_forwarding_parse(db_col_text(st, 4), &rs->forwarding) != 0)
		bad = "forwarding";
	if (sqlite3_column_type(st, 5) != SQLITE_NULL &&
	    model_tunnel_parse(db_col_text(st, 5), &rs->tunnel_type) != 0)
		bad = "tunnel_type";
	rs->tunnel_port = (uint16_t)sqlite3_column_int(st, 6);
	rs->weight = (uint32_t)sqlite3_column_int64(st, 7);
	rs->upper_threshold = (uint32_t)sqlite3_column_int64(st, 8);
	rs->lower_threshold = (uint32_t)sqlite3_column_int64(st, 9);
	if (model_rs_admin_parse(db_col_text(st, 10), &rs->admin_state) != 0)
		bad = "admin_state";
	if (strlen(db_col_text(st, 11)) > FULCRUM_DESC_MAX)
		bad = "description";
	else
		strcpy(rs->description, db_col_text(st, 11));
	if (!bad)
		bad = rs_check_from_row(st, &rs->check);
	if (bad)
		return db_fail_msg(db, -EBADMSG,
				   "real server %lld: column %s holds a value Fulcrum cannot read",
				   (long long)rs->id, bad);
	return 0;
}

/* Steps st, which selects at most one RS_SELECT row, into *out: 0, -ENOENT or an error. */
static int rs_step_one(struct db *db, sqlite3_stmt *st, struct fulcrum_rs *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = rs_from_row(db, st, out);
	else if (rc == SQLITE_DONE)
		rc = db_fail_msg(db, -ENOENT, "no such real server");
	else
		rc = db_fail(db, rc);
	db_stmt_done(st);
	return rc;
}

int db_rs_insert(struct db *db, struct fulcrum_rs *rs)
{
	char addrs[2][MODEL_ADDR_STRLEN];
	sqlite3_stmt *st;
	/* id NULL is what gives AUTOINCREMENT its say */
	int rc = db_stmt(
	    db, DB_STMT_RS_INSERT,
	    "INSERT INTO reals (id, " RS_COLUMNS ") VALUES (?22, ?1, " RS_CHANGING_VALUES ")", &st);

	if (rc != 0)
		return rc;
	rc = rs_bind(st, rs, addrs);
	DB_BIND(rc, rs->id ? sqlite3_bind_int64(st, RS_NCOLUMNS + 1, rs->id)
			   : sqlite3_bind_null(st, RS_NCOLUMNS + 1));
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	if (rc == 0)
		rs->id = sqlite3_last_insert_rowid(db->conn);
	db_stmt_done(st);
	return rc;
}

int db_rs_update(struct db *db, const struct fulcrum_rs *rs)
{
	char addrs[2][MODEL_ADDR_STRLEN];
	sqlite3_stmt *st;
	/* ?1 (service_id) is bound but not used: a real server stays in its service. */
	int rc = db_stmt(
	    db, DB_STMT_RS_UPDATE,
	    "UPDATE reals SET (" RS_CHANGING ") = (" RS_CHANGING_VALUES ") WHERE id = ?22", &st);

	if (rc != 0)
		return rc;
	rc = rs_bind(st, rs, addrs);
	DB_BIND(rc, sqlite3_bind_int64(st, RS_NCOLUMNS + 1, rs->id));
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	if (rc == 0 && sqlite3_changes(db->conn) == 0)
		rc = db_fail_msg(db, -ENOENT, "no real server %lld", (long long)rs->id);
	db_stmt_done(st);
	return rc;
}

int db_rs_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_RS_DELETE, "DELETE FROM reals WHERE id = ?1", &st);

	if (rc != 0)
		return rc;
	rc = sqlite3_bind_int64(st, 1, id);
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	if (rc == 0 && sqlite3_changes(db->conn) == 0)
		rc = db_fail_msg(db, -ENOENT, "no real server %lld", (long long)id);
	db_stmt_done(st);
	return rc;
}

int db_rs_get(struct db *db, int64_t id, struct fulcrum_rs *out)
{
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_RS_GET, RS_SELECT " WHERE id = ?1", &st);

	if (rc != 0)
		return rc;
	rc = sqlite3_bind_int64(st, 1, id);
	if (rc != SQLITE_OK) {
		db_stmt_done(st);
		return db_fail(db, rc);
	}
	return rs_step_one(db, st, out);
}

int db_rs_find_by_addr(struct db *db, int64_t vs_id, const struct fulcrum_addr *addr, uint16_t port,
		       struct fulcrum_rs *out)
{
	char text[MODEL_ADDR_STRLEN];
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_RS_BY_ADDR,
			 RS_SELECT " WHERE service_id = ?1 AND address = ?2 AND port = ?3", &st);

	if (rc != 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_int64(st, 1, vs_id));
	DB_BIND(rc, sqlite3_bind_text(st, 2, model_addr_format(addr, text, sizeof(text)), -1,
				      SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 3, port));
	if (rc != SQLITE_OK) {
		db_stmt_done(st);
		return db_fail(db, rc);
	}
	return rs_step_one(db, st, out);
}

static int rs_row(struct db *db, sqlite3_stmt *st, void *elem)
{
	return rs_from_row(db, st, elem);
}

/* Prepares the list of vs_id's real servers (0: every service's), ordered by id. */
static int rs_list_stmt(struct db *db, int64_t vs_id, sqlite3_stmt **out)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	if (vs_id)
		rc = db_stmt(db, DB_STMT_RS_LIST_VS, RS_SELECT " WHERE service_id = ?1 ORDER BY id",
			     &st);
	else
		rc = db_stmt(db, DB_STMT_RS_LIST, RS_SELECT " ORDER BY id", &st);
	if (rc != 0)
		return rc;
	if (vs_id && (rc = sqlite3_bind_int64(st, 1, vs_id)) != SQLITE_OK) {
		rc = db_fail(db, rc);
		db_stmt_done(st);
		return rc;
	}
	*out = st;
	return 0;
}

int db_rs_list(struct db *db, int64_t vs_id, struct fulcrum_rs **out, size_t *n)
{
	void *list = NULL;
	sqlite3_stmt *st;
	int rc = rs_list_stmt(db, vs_id, &st);

	*out = NULL;
	*n = 0;
	if (rc != 0)
		return rc;
	rc = db_rows_collect(db, st, sizeof(struct fulcrum_rs), rs_row, NULL, "real servers", &list,
			     n);
	*out = list;
	return rc;
}

/* db_rs_each()'s callback and its argument, behind db_rows_each()'s untyped one. */
struct rs_each {
	db_rs_each_fn fn;
	void *arg;
};

static int rs_each_one(const void *elem, void *arg)
{
	const struct rs_each *e = arg;

	return e->fn(elem, e->arg);
}

int db_rs_each(struct db *db, int64_t vs_id, db_rs_each_fn fn, void *arg)
{
	struct rs_each e = {fn, arg};
	sqlite3_stmt *st;
	int rc = rs_list_stmt(db, vs_id, &st);

	return rc ? rc : db_rows_each(db, st, sizeof(struct fulcrum_rs), rs_row, rs_each_one, &e);
}
