/* Virtual services in SQLite: the services table to and from struct fulcrum_vs. */
#include "controller/model/model.h"
#include "db/db-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VS_COLUMNS                                                                                 \
	"name, family, address, port, protocol, fwmark, scheduler, scheduler_flags, "              \
	"persistence_timeout, persistence_netmask, one_packet, admin_state, description, "         \
	"check_type, check_path, check_host, check_head, check_expect_status, check_expect, "      \
	"check_expect_regex, check_verify_tls, check_command, check_interval, check_timeout, "     \
	"check_rise, check_fall, check_address, check_port, check_on_failure, fallback_address, "  \
	"fallback_port, fallback_forwarding, min_up"
#define VS_NCOLUMNS 33
/* ?1..?33, in VS_COLUMNS order; the id is ?34 */
#define VS_VALUES                                                                                  \
	"?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "   \
	"?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33"
#define VS_SELECT "SELECT id, " VS_COLUMNS " FROM services"

/* Binds an address as its text in buf, or NULL for none (AF_UNSPEC). */
static int bind_addr(sqlite3_stmt *st, int i, const struct fulcrum_addr *a, char *buf, size_t len)
{
	return sqlite3_bind_text(st, i,
				 a->family == AF_UNSPEC ? NULL : model_addr_format(a, buf, len), -1,
				 SQLITE_STATIC);
}

/* Binds vs's check, fallback and min_up to ?14..?33; addrs holds their two address texts. */
static int vs_bind_check(sqlite3_stmt *st, const struct fulcrum_vs *vs,
			 char (*addrs)[MODEL_ADDR_STRLEN])
{
	const struct fulcrum_check *c = &vs->check;
	int rc = SQLITE_OK;

	DB_BIND(rc, sqlite3_bind_text(st, 14, model_check_type_name(c->type), -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 15, c->path, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 16, c->host, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 17, c->head));
	DB_BIND(rc, sqlite3_bind_text(st, 18, c->expect_status, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 19, c->expect, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 20, c->expect_regex, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 21, c->verify_tls));
	DB_BIND(rc, sqlite3_bind_text(st, 22, c->command, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 23, c->interval));
	DB_BIND(rc, sqlite3_bind_int64(st, 24, c->timeout));
	DB_BIND(rc, sqlite3_bind_int64(st, 25, c->rise));
	DB_BIND(rc, sqlite3_bind_int64(st, 26, c->fall));
	DB_BIND(rc, bind_addr(st, 27, &c->check_address, addrs[0], sizeof(addrs[0])));
	DB_BIND(rc, sqlite3_bind_int(st, 28, c->check_port));
	DB_BIND(rc, sqlite3_bind_text(st, 29, model_check_on_failure_name(c->on_failure), -1,
				      SQLITE_STATIC));
	DB_BIND(rc, bind_addr(st, 30, &vs->fallback.addr, addrs[1], sizeof(addrs[1])));
	DB_BIND(rc, sqlite3_bind_int(st, 31, vs->fallback.port));
	DB_BIND(rc, sqlite3_bind_text(st, 32, model_forwarding_name(vs->fallback.forwarding), -1,
				      SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 33, vs->min_up));
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

/* Reads columns 14..33 of a VS_SELECT row; the name of a column it cannot read, or NULL. */
static const char *vs_check_from_row(sqlite3_stmt *st, struct fulcrum_vs *vs)
{
	struct fulcrum_check *c = &vs->check;
	const char *bad = NULL;

	if (model_check_type_parse(db_col_text(st, 14), &c->type) != 0)
		bad = "check_type";
	if (!col_copy(st, 15, c->path, sizeof(c->path)))
		bad = "check_path";
	if (!col_copy(st, 16, c->host, sizeof(c->host)))
		bad = "check_host";
	c->head = sqlite3_column_int(st, 17) != 0;
	if (!col_copy(st, 18, c->expect_status, sizeof(c->expect_status)))
		bad = "check_expect_status";
	if (!col_copy(st, 19, c->expect, sizeof(c->expect)))
		bad = "check_expect";
	if (!col_copy(st, 20, c->expect_regex, sizeof(c->expect_regex)))
		bad = "check_expect_regex";
	c->verify_tls = sqlite3_column_int(st, 21) != 0;
	if (!col_copy(st, 22, c->command, sizeof(c->command)))
		bad = "check_command";
	c->interval = (uint32_t)sqlite3_column_int64(st, 23);
	c->timeout = (uint32_t)sqlite3_column_int64(st, 24);
	c->rise = (uint32_t)sqlite3_column_int64(st, 25);
	c->fall = (uint32_t)sqlite3_column_int64(st, 26);
	if (sqlite3_column_type(st, 27) != SQLITE_NULL &&
	    model_addr_parse(db_col_text(st, 27), &c->check_address) != 0)
		bad = "check_address";
	c->check_port = (uint16_t)sqlite3_column_int(st, 28);
	if (model_check_on_failure_parse(db_col_text(st, 29), &c->on_failure) != 0)
		bad = "check_on_failure";
	if (sqlite3_column_type(st, 30) != SQLITE_NULL &&
	    model_addr_parse(db_col_text(st, 30), &vs->fallback.addr) != 0)
		bad = "fallback_address";
	vs->fallback.port = (uint16_t)sqlite3_column_int(st, 31);
	if (model_forwarding_parse(db_col_text(st, 32), &vs->fallback.forwarding) != 0)
		bad = "fallback_forwarding";
	vs->min_up = (uint32_t)sqlite3_column_int64(st, 33);
	return bad;
}

/* Binds vs's fields to ?1..?33 in VS_COLUMNS order; addrs holds the address texts. */
static int vs_bind(sqlite3_stmt *st, const struct fulcrum_vs *vs, char (*addrs)[MODEL_ADDR_STRLEN])
{
	const char *proto =
	    vs->protocol == FULCRUM_PROTO_NONE ? NULL : model_protocol_name(vs->protocol);
	int rc = SQLITE_OK;

	/* A name that does not exist binds NULL, and the NOT NULL and CHECK constraints refuse it. */
	DB_BIND(rc, sqlite3_bind_text(st, 1, vs->name, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 2, model_family_name(vs->family), -1, SQLITE_STATIC));
	/* binding a NULL text binds SQL NULL: the address of a fwmark service */
	DB_BIND(rc, bind_addr(st, 3, &vs->addr, addrs[0], sizeof(addrs[0])));
	DB_BIND(rc, sqlite3_bind_int(st, 4, vs->port));
	DB_BIND(rc, sqlite3_bind_text(st, 5, proto, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 6, vs->fwmark));
	DB_BIND(rc,
		sqlite3_bind_text(st, 7, model_scheduler_name(vs->scheduler), -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 8, vs->scheduler_flags));
	DB_BIND(rc, sqlite3_bind_int64(st, 9, vs->persistence_timeout));
	DB_BIND(rc, sqlite3_bind_int(st, 10, vs->persistence_netmask));
	DB_BIND(rc, sqlite3_bind_int(st, 11, vs->one_packet));
	DB_BIND(rc,
		sqlite3_bind_text(st, 12, model_vs_admin_name(vs->admin_state), -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 13, vs->description, -1, SQLITE_STATIC));
	DB_BIND(rc, vs_bind_check(st, vs, addrs + 1));
	return rc;
}

/* Reads a VS_SELECT row into *vs; -EBADMSG naming the column when the model cannot read it. */
static int vs_from_row(struct db *db, sqlite3_stmt *st, struct fulcrum_vs *vs)
{
	const char *bad = NULL;
	int64_t flags;

	model_vs_init(vs);
	vs->id = sqlite3_column_int64(st, 0);
	if (strlen(db_col_text(st, 1)) > FULCRUM_NAME_MAX)
		bad = "name";
	else
		strcpy(vs->name, db_col_text(st, 1));
	if (model_family_parse(db_col_text(st, 2), &vs->family) != 0)
		bad = "family";
	if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
	    model_addr_parse(db_col_text(st, 3), &vs->addr) != 0)
		bad = "address";
	vs->port = (uint16_t)sqlite3_column_int(st, 4);
	if (sqlite3_column_type(st, 5) != SQLITE_NULL &&
	    model_protocol_parse(db_col_text(st, 5), &vs->protocol) != 0)
		bad = "protocol";
	vs->fwmark = (uint32_t)sqlite3_column_int64(st, 6);
	if (model_scheduler_parse(db_col_text(st, 7), &vs->scheduler) != 0)
		bad = "scheduler";
	flags = sqlite3_column_int64(st, 8);
	vs->scheduler_flags = (unsigned)flags;
	vs->persistence_timeout = (uint32_t)sqlite3_column_int64(st, 9);
	vs->persistence_netmask = (uint8_t)sqlite3_column_int(st, 10);
	vs->one_packet = sqlite3_column_int(st, 11) != 0;
	if (model_vs_admin_parse(db_col_text(st, 12), &vs->admin_state) != 0)
		bad = "admin_state";
	if (strlen(db_col_text(st, 13)) > FULCRUM_DESC_MAX)
		bad = "description";
	else
		strcpy(vs->description, db_col_text(st, 13));
	if (!bad)
		bad = vs_check_from_row(st, vs);
	if (bad)
		return db_fail_msg(db, -EBADMSG,
				   "service %lld: column %s holds a value Fulcrum "
				   "cannot read",
				   (long long)vs->id, bad);
	return 0;
}

/* Steps st, which selects at most one VS_SELECT row, into *out: 0, -ENOENT or an error. */
static int vs_step_one(struct db *db, sqlite3_stmt *st, struct fulcrum_vs *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = vs_from_row(db, st, out);
	else if (rc == SQLITE_DONE)
		rc = db_fail_msg(db, -ENOENT, "no such service");
	else
		rc = db_fail(db, rc);
	db_stmt_done(st);
	return rc;
}

int db_vs_insert(struct db *db, struct fulcrum_vs *vs)
{
	char addrs[3][MODEL_ADDR_STRLEN];
	sqlite3_stmt *st;
	/* id NULL is what gives AUTOINCREMENT its say */
	int rc =
	    db_stmt(db, DB_STMT_VS_INSERT,
		    "INSERT INTO services (id, " VS_COLUMNS ") VALUES (?34, " VS_VALUES ")", &st);

	if (rc != 0)
		return rc;
	rc = vs_bind(st, vs, addrs);
	DB_BIND(rc, vs->id ? sqlite3_bind_int64(st, VS_NCOLUMNS + 1, vs->id)
			   : sqlite3_bind_null(st, VS_NCOLUMNS + 1));
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	if (rc == 0)
		vs->id = sqlite3_last_insert_rowid(db->conn);
	db_stmt_done(st);
	return rc;
}

int db_vs_update(struct db *db, const struct fulcrum_vs *vs)
{
	char addrs[3][MODEL_ADDR_STRLEN];
	sqlite3_stmt *st;
	int rc =
	    db_stmt(db, DB_STMT_VS_UPDATE,
		    "UPDATE services SET (" VS_COLUMNS ") = (" VS_VALUES ") WHERE id = ?34", &st);

	if (rc != 0)
		return rc;
	rc = vs_bind(st, vs, addrs);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, VS_NCOLUMNS + 1, vs->id);
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	if (rc == 0 && sqlite3_changes(db->conn) == 0)
		rc = db_fail_msg(db, -ENOENT, "no service %lld", (long long)vs->id);
	db_stmt_done(st);
	return rc;
}

int db_vs_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_VS_DELETE, "DELETE FROM services WHERE id = ?1", &st);

	if (rc != 0)
		return rc;
	rc = sqlite3_bind_int64(st, 1, id);
	rc = rc == SQLITE_OK ? db_step_done(db, st) : db_fail(db, rc);
	if (rc == 0 && sqlite3_changes(db->conn) == 0)
		rc = db_fail_msg(db, -ENOENT, "no service %lld", (long long)id);
	db_stmt_done(st);
	return rc;
}

int db_vs_get(struct db *db, int64_t id, struct fulcrum_vs *out)
{
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_VS_GET, VS_SELECT " WHERE id = ?1", &st);

	if (rc != 0)
		return rc;
	rc = sqlite3_bind_int64(st, 1, id);
	if (rc != SQLITE_OK) {
		db_stmt_done(st);
		return db_fail(db, rc);
	}
	return vs_step_one(db, st, out);
}

int db_vs_find_by_name(struct db *db, const char *name, struct fulcrum_vs *out)
{
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_VS_BY_NAME, VS_SELECT " WHERE name = ?1", &st);

	if (rc != 0)
		return rc;
	rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		db_stmt_done(st);
		return db_fail(db, rc);
	}
	return vs_step_one(db, st, out);
}

int db_vs_find_by_key(struct db *db, const struct fulcrum_vs *key, struct fulcrum_vs *out)
{
	const char *family = model_family_name(key->family);
	char addr[MODEL_ADDR_STRLEN];
	sqlite3_stmt *st;
	int rc;

	if (key->fwmark) {
		rc = db_stmt(db, DB_STMT_VS_BY_FWMARK,
			     VS_SELECT " WHERE family = ?1 AND fwmark = ?2 AND address IS NULL",
			     &st);
		if (rc != 0)
			return rc;
		rc = sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 2, key->fwmark);
	} else {
		rc = db_stmt(db, DB_STMT_VS_BY_ADDR,
			     VS_SELECT " WHERE family = ?1 AND address = ?2 AND port = ?3"
				       " AND protocol = ?4",
			     &st);
		if (rc != 0)
			return rc;
		rc = sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(st, 2,
					       model_addr_format(&key->addr, addr, sizeof(addr)),
					       -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int(st, 3, key->port);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(st, 4, model_protocol_name(key->protocol), -1,
					       SQLITE_STATIC);
	}
	if (rc != SQLITE_OK) {
		db_stmt_done(st);
		return db_fail(db, rc);
	}
	return vs_step_one(db, st, out);
}

static int vs_row(struct db *db, sqlite3_stmt *st, void *elem)
{
	return vs_from_row(db, st, elem);
}

int db_vs_list(struct db *db, struct fulcrum_vs **out, size_t *n)
{
	void *list = NULL;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	rc = db_stmt(db, DB_STMT_VS_LIST, VS_SELECT " ORDER BY id", &st);
	if (rc != 0)
		return rc;
	rc = db_rows_collect(db, st, sizeof(struct fulcrum_vs), vs_row, NULL, "services", &list, n);
	*out = list;
	return rc;
}

/* db_vs_each()'s callback and its argument, behind db_rows_each()'s untyped one. */
struct vs_each {
	db_vs_each_fn fn;
	void *arg;
};

static int vs_each_one(const void *elem, void *arg)
{
	const struct vs_each *e = arg;

	return e->fn(elem, e->arg);
}

int db_vs_each(struct db *db, db_vs_each_fn fn, void *arg)
{
	struct vs_each e = {fn, arg};
	sqlite3_stmt *st;
	int rc = db_stmt(db, DB_STMT_VS_LIST, VS_SELECT " ORDER BY id", &st);

	return rc ? rc : db_rows_each(db, st, sizeof(struct fulcrum_vs), vs_row, vs_each_one, &e);
}
