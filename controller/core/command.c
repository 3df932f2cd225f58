/* The one write path: every change, whatever its origin, is validated, stored and logged here. */
#include "controller/core/command-int.h"
#include "controller/model/model.h"
#include "controller/model/model_json.h"
#include "controller/model/model_kind.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cmd_init(struct cmd *c, struct db *db, const struct command_actor *actor,
	      struct fulcrum_err *err)
{
	const char *name;
	size_t len;

	assert(db && actor);
	memset(c, 0, sizeof(*c));
	c->db = db;
	c->err = err ? err : &c->scratch;
	model_err_clear(c->err);
	c->origin = actor->origin;
	name = actor->name ? actor->name : "";
	len = strnlen(name, sizeof(c->actor));
	if (len == sizeof(c->actor)) {
		/* too long: cut it, and not inside a UTF-8 sequence */
		len = sizeof(c->actor) - 1;
		while (len > 0 && ((unsigned char)name[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(c->actor, name, len);
	c->actor[len] = '\0';
}

int cmd_storage(struct cmd *c, int rc, const char *what)
{
	if (rc == -EEXIST) /* a UNIQUE index caught what the checks missed */
		model_err_set(c->err, FULCRUM_ERR_CONFLICT, NULL,
			      "%s: conflicts with a stored object (%s)", what, db_errmsg(c->db));
	else
		model_err_set(c->err, FULCRUM_ERR_INTERNAL, NULL, "storage: cannot %s: %s", what,
			      db_errmsg(c->db));
	return rc;
}

int cmd_begin(struct cmd *c, int64_t if_revision)
{
	int rc = db_begin(c->db);

	if (rc != 0)
		return cmd_storage(c, rc, "start a transaction");
	return cmd_revision_verify(c, if_revision);
}

int cmd_revision_verify(struct cmd *c, int64_t if_revision)
{
	c->rev = db_revision(c->db);
	if (c->rev < 0)
		return cmd_storage(c, (int)c->rev, "read the revision");
	if (if_revision != 0 && if_revision != c->rev)
		return model_err_set(c->err, FULCRUM_ERR_STALE, NULL,
				     "revision %lld is not the current one (%lld): read again and "
				     "retry",
				     (long long)if_revision, (long long)c->rev);
	return 0;
}

int cmd_bump(struct cmd *c)
{
	int rc;

	if (c->bumped)
		return 0;
	rc = db_revision_bump(c->db, &c->rev);
	c->time = c->replay_time ? c->replay_time : (int64_t)time(NULL);
	if (rc != 0)
		return cmd_storage(c, rc, "bump the revision");
	c->bumped = true;
	return 0;
}

void command_result_clear(struct command_result *r)
{
	for (size_t i = 0; r->changes && i < r->n; i++) {
		free(r->changes[i].before);
		free(r->changes[i].after);
	}
	free(r->changes);
	memset(r, 0, sizeof(*r));
}

/*
 * Records that the command wrote object id of kind, with its JSON before and
 * after (taken: the result owns them from here, or they are freed).
 */
static int cmd_record(struct cmd *c, enum fulcrum_kind kind, int64_t id, char *before, char *after)
{
	struct command_result *r = c->res;
	struct command_change *ch;

	if (!r) {
		free(before);
		free(after);
		return 0;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;

		ch = realloc(r->changes, cap * sizeof(*ch));
		if (!ch) {
			free(before);
			free(after);
			return model_err_set(c->err, FULCRUM_ERR_INTERNAL, NULL,
					     "storage: cannot follow the change: out of memory");
		}
		r->changes = ch;
		r->cap = cap;
	}
	ch = &r->changes[r->n++];
	ch->kind = kind;
	ch->id = id;
	ch->op = !before  ? COMMAND_CHANGE_CREATE
		 : !after ? COMMAND_CHANGE_DELETE
			  : COMMAND_CHANGE_UPDATE;
	ch->before = before;
	ch->after = after;
	return 0;
}

int cmd_log(struct cmd *c, enum fulcrum_kind kind, int64_t id, json_t *before, json_t *after)
{
	char *b = before ? json_dumps(before, JSON_COMPACT) : NULL;
	char *a = after ? json_dumps(after, JSON_COMPACT) : NULL;
	int rc;

	json_decref(before);
	json_decref(after);
	if (!before && !after) { /* *_cmd_json() failed and said so */
		rc = -ENOMEM;
	} else if ((before && !b) || (after && !a)) {
		model_err_set(c->err, FULCRUM_ERR_INTERNAL, NULL,
			      "storage: cannot write the change log: out of memory");
		rc = -ENOMEM;
	} else {
		rc = db_change_add(c->db, c->rev, c->time, c->actor, c->origin,
				   model_kind_name(kind), id, b, a);
		if (rc != 0)
			cmd_storage(c, rc, "write the change log");
		else
			return cmd_record(c, kind, id, b, a);
	}
	free(b);
	free(a);
	return rc;
}

void cmd_result_done(struct cmd *c)
{
	if (!c->res)
		return;
	c->res->revision = c->rev;
	c->res->time = c->bumped ? c->time : 0;
	memcpy(c->res->actor, c->actor, sizeof(c->res->actor));
	c->res->origin = c->origin;
}

int cmd_end(struct cmd *c, int rc)
{
	if (rc == 0 && (rc = db_commit(c->db)) != 0)
		cmd_storage(c, rc, "commit");
	if (rc != 0) {
		db_rollback(c->db);
		if (c->res)
			command_result_clear(c->res);
		return rc;
	}
	cmd_result_done(c);
	return 0;
}

json_t *cmd_json(struct cmd *c, enum fulcrum_kind kind, const void *obj)
{
	const struct model_kind *k = model_kind(kind);
	json_t *j = k->to_json(obj);

	if (!j)
		model_err_set(c->err, FULCRUM_ERR_INTERNAL, NULL,
			      "cannot write %s %lld as JSON: out of memory", k->what,
			      (long long)k->id_of(obj));
	return j;
}

/* Checks that no other stored service has vs's name or key (address:port/protocol or fwmark). */
static int verify_vs_unique(struct cmd *c, const struct fulcrum_vs *vs)
{
	char ep[MODEL_ENDPOINT_STRLEN];
	struct fulcrum_vs other;
	int rc;

	rc = db_vs_find_by_name(c->db, vs->name, &other);
	if (rc == 0 && other.id != vs->id)
		return model_err_set(c->err, FULCRUM_ERR_CONFLICT, "name",
				     "service name: '%s' is taken by service %lld", vs->name,
				     (long long)other.id);
	if (rc != 0 && rc != -ENOENT)
		return cmd_storage(c, rc, "look up a service by name");
	rc = db_vs_find_by_key(c->db, vs, &other);
	if (rc == 0 && other.id != vs->id && vs->fwmark)
		return model_err_set(c->err, FULCRUM_ERR_CONFLICT, "fwmark",
				     "service fwmark: %u (%s) is already service '%s'", vs->fwmark,
				     model_family_name(vs->family), other.name);
	if (rc == 0 && other.id != vs->id)
		return model_err_set(c->err, FULCRUM_ERR_CONFLICT, "address",
				     "service address: %s/%s is already service '%s'",
				     model_endpoint_format(&vs->addr, vs->port, ep, sizeof(ep)),
				     model_protocol_name(vs->protocol), other.name);
	if (rc != 0 && rc != -ENOENT)
		return cmd_storage(c, rc, "look up a service by address");
	return 0;
}

/* Checks that no other real server of owner has rs's address and port. */
static int verify_rs_unique(struct cmd *c, const struct fulcrum_rs *rs,
			    const struct fulcrum_vs *owner)
{
	char ep[MODEL_ENDPOINT_STRLEN];
	struct fulcrum_rs other;
	int rc = db_rs_find_by_addr(c->db, owner->id, &rs->addr, rs->port, &other);

	if (rc == 0 && other.id != rs->id)
		return model_err_set(c->err, FULCRUM_ERR_CONFLICT, "address",
				     "real server address: %s is already in service '%s' (real "
				     "server %lld)",
				     model_endpoint_format(&rs->addr, rs->port, ep, sizeof(ep)),
				     owner->name, (long long)other.id);
	if (rc != 0 && rc != -ENOENT)
		return cmd_storage(c, rc, "look up a real server");
	return 0;
}

static int rs_key_cmp(const void *a, const void *b)
{
	const struct fulcrum_rs *x = *(const struct fulcrum_rs *const *)a;
	const struct fulcrum_rs *y = *(const struct fulcrum_rs *const *)b;
	int d;

	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	d = x->addr.family == AF_INET ? memcmp(&x->addr.u.v4, &y->addr.u.v4, sizeof(x->addr.u.v4))
				      : memcmp(&x->addr.u.v6, &y->addr.u.v6, sizeof(x->addr.u.v6));
	if (d != 0)
		return d;
	return (int)x->port - (int)y->port;
}

/* Validates the reals of a new service and refuses one address:port given twice. */
static int verify_new_reals(struct cmd *c, const struct fulcrum_vs *vs,
			    const struct fulcrum_rs *reals, size_t n)
{
	const struct fulcrum_rs **sorted;
	char ep[MODEL_ENDPOINT_STRLEN];
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if ((rc = model_rs_validate(&reals[i], vs, c->err)) != 0) {
			size_t len = strlen(c->err->message);

			snprintf(c->err->message + len, sizeof(c->err->message) - len,
				 " (real server %zu of %zu)", i + 1, n);
			return rc;
		}
	}
	if (n < 2)
		return 0;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return model_err_set(c->err, FULCRUM_ERR_INTERNAL, NULL, "out of memory");
	for (size_t i = 0; i < n; i++)
		sorted[i] = &reals[i];
	qsort(sorted, n, sizeof(*sorted), rs_key_cmp);
	for (size_t i = 1; i < n && rc == 0; i++) {
		const struct fulcrum_rs *first = sorted[i - 1], *second = sorted[i];

		if (rs_key_cmp(&first, &second) != 0)
			continue;
		if (first > second) {
			const struct fulcrum_rs *t = first;

			first = second;
			second = t;
		}
		rc = model_err_set(c->err, FULCRUM_ERR_CONFLICT, "address",
				   "real server address: %s is given twice for service '%s' (real "
				   "servers %zu and %zu)",
				   model_endpoint_format(&first->addr, first->port, ep, sizeof(ep)),
				   vs->name, (size_t)(first - reals) + 1,
				   (size_t)(second - reals) + 1);
	}
	free(sorted);
	return rc;
}

int cmd_verify_new_id(struct cmd *c, const char *what, int64_t id, bool found, int64_t next)
{
	if (found)
		return model_err_set(c->err, FULCRUM_ERR_CONFLICT, "id", "%s id %lld exists", what,
				     (long long)id);
	if (id < 1)
		return model_err_set(c->err, FULCRUM_ERR_INVALID, "id",
				     "%s id: %lld is not an id (ids start at 1)", what,
				     (long long)id);
	if (id < next)
		return model_err_set(c->err, FULCRUM_ERR_INVALID, "id",
				     "%s id %lld was used before and ids are never reused: the "
				     "next free id is %lld",
				     what, (long long)id, (long long)next);
	return 0;
}

static int verify_vs_id(struct cmd *c, int64_t id)
{
	struct fulcrum_vs old;
	int64_t next = 0;
	int rc = db_vs_get(c->db, id, &old);
	bool found = rc == 0;

	if (rc != 0 && rc != -ENOENT)
		return cmd_storage(c, rc, "read the service");
	if ((rc = db_vs_next_id(c->db, &next)) != 0)
		return cmd_storage(c, rc, "read the next service id");
	return cmd_verify_new_id(c, "service", id, found, next);
}

static int verify_rs_id(struct cmd *c, int64_t id)
{
	struct fulcrum_rs old;
	int64_t next = 0;
	int rc = db_rs_get(c->db, id, &old);
	bool found = rc == 0;

	if (rc != 0 && rc != -ENOENT)
		return cmd_storage(c, rc, "read the real server");
	if ((rc = db_rs_next_id(c->db, &next)) != 0)
		return cmd_storage(c, rc, "read the next real server id");
	return cmd_verify_new_id(c, "real server", id, found, next);
}

int cmd_vs_create_verify(struct cmd *c, const struct fulcrum_vs *vs, const struct fulcrum_rs *reals,
			 size_t n)
{
	int rc = model_vs_validate(vs, c->err);

	return rc ? rc : verify_new_reals(c, vs, reals, n);
}

int cmd_vs_create(struct cmd *c, struct fulcrum_vs *vs, const struct fulcrum_rs *reals, size_t n,
		  int64_t *ids)
{
	int rc;

	if ((vs->id != 0 && (rc = verify_vs_id(c, vs->id)) != 0) ||
	    (rc = verify_vs_unique(c, vs)) != 0)
		return rc;
	if ((rc = db_vs_insert(c->db, vs)) != 0)
		return cmd_storage(c, rc, "store the service");
	if ((rc = cmd_bump(c)) != 0 ||
	    (rc = cmd_log(c, FULCRUM_KIND_VS, vs->id, NULL, cmd_json(c, FULCRUM_KIND_VS, vs))) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct fulcrum_rs rs = reals[i];

		rs.id = 0;
		rs.vs_id = vs->id;
		if ((rc = db_rs_insert(c->db, &rs)) != 0)
			return cmd_storage(c, rc, "store a real server");
		ids[i] = rs.id;
		if ((rc = cmd_log(c, FULCRUM_KIND_RS, rs.id, NULL,
				  cmd_json(c, FULCRUM_KIND_RS, &rs))) != 0)
			return rc;
	}
	return 0;
}

void cmd_vs_created(struct fulcrum_vs *vs, int64_t id, struct fulcrum_rs *reals, const int64_t *ids,
		    size_t n)
{
	vs->id = id;
	for (size_t i = 0; i < n; i++) {
		reals[i].id = ids[i];
		reals[i].vs_id = id;
	}
}

/* Refuses a change of vs's family, port or fwmark that one of its real servers would not survive. */
static int verify_reals_survive(struct cmd *c, const struct fulcrum_vs *old,
				const struct fulcrum_vs *vs)
{
	/* a real server's own check is valid against its service's (timeouts, command) */
	const char *field = vs->family != old->family                                 ? "family"
			    : vs->fwmark != old->fwmark                               ? "fwmark"
			    : vs->port != old->port                                   ? "port"
			    : memcmp(&vs->check, &old->check, sizeof(vs->check)) != 0 ? "check"
										      : NULL;
	char ep[MODEL_ENDPOINT_STRLEN];
	struct fulcrum_rs *reals;
	struct fulcrum_err why;
	size_t n;
	int rc;

	if (!field)
		return 0;
	if ((rc = db_rs_list(c->db, vs->id, &reals, &n)) != 0)
		return cmd_storage(c, rc, "list the real servers");
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (model_rs_validate(&reals[i], vs, &why) == 0)
			continue;
		rc = model_err_set(
		    c->err, FULCRUM_ERR_INVALID, field,
		    "service %s: real server %s would become invalid (%.150s)", field,
		    model_endpoint_format(&reals[i].addr, reals[i].port, ep, sizeof(ep)),
		    why.message);
	}
	free(reals);
	return rc;
}

int cmd_vs_get(struct cmd *c, int64_t id, struct fulcrum_vs *old)
{
	int rc = db_vs_get(c->db, id, old);

	if (rc == -ENOENT)
		return model_err_set(c->err, FULCRUM_ERR_NOTFOUND, "id",
				     "service %lld does not exist", (long long)id);
	return rc ? cmd_storage(c, rc, "read the service") : 0;
}

/* Writes every field of the stored object obj of kind over the row with its id. */
static int cmd_db_update(struct cmd *c, enum fulcrum_kind kind, const void *obj)
{
	switch (kind) {
	case FULCRUM_KIND_VS:
		return db_vs_update(c->db, obj);
	case FULCRUM_KIND_RS:
		return db_rs_update(c->db, obj);
	case FULCRUM_KIND_VIP:
		return db_vip_update(c->db, obj);
	}
	return -EINVAL;
}

int cmd_update_write(struct cmd *c, enum fulcrum_kind kind, int64_t id, const void *old,
		     const void *obj)
{
	json_t *before = cmd_json(c, kind, old), *after = cmd_json(c, kind, obj);
	char what[48];
	int rc;

	if (!before || !after) {
		rc = -ENOMEM;
	} else if (json_equal(before, after)) {
		rc = 0; /* nothing changes: no write, no revision */
	} else if ((rc = cmd_db_update(c, kind, obj)) != 0) {
		snprintf(what, sizeof(what), "store the %s", model_kind(kind)->what);
		cmd_storage(c, rc, what);
	} else if ((rc = cmd_bump(c)) == 0) {
		rc = cmd_log(c, kind, id, before, after);
		before = after = NULL; /* cmd_log took them */
	}
	json_decref(before);
	json_decref(after);
	return rc;
}

int cmd_vs_update(struct cmd *c, const struct fulcrum_vs *vs)
{
	struct fulcrum_vs old;
	int rc;

	if ((rc = cmd_vs_get(c, vs->id, &old)) != 0 || (rc = verify_vs_unique(c, vs)) != 0 ||
	    (rc = verify_reals_survive(c, &old, vs)) != 0)
		return rc;
	return cmd_update_write(c, FULCRUM_KIND_VS, vs->id, &old, vs);
}

int cmd_vs_delete(struct cmd *c, int64_t id)
{
	struct fulcrum_rs *reals = NULL;
	struct fulcrum_vs old;
	size_t n = 0;
	int rc;

	if ((rc = cmd_vs_get(c, id, &old)) != 0)
		return rc;
	if ((rc = db_rs_list(c->db, id, &reals, &n)) != 0)
		return cmd_storage(c, rc, "list the real servers");
	rc = cmd_bump(c);
	/* the real servers go first, so replaying the log never sees an orphan */
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = cmd_log(c, FULCRUM_KIND_RS, reals[i].id,
			     cmd_json(c, FULCRUM_KIND_RS, &reals[i]), NULL);
	if (rc == 0 && (rc = db_vs_delete(c->db, id)) != 0)
		cmd_storage(c, rc, "delete the service");
	if (rc == 0)
		rc = cmd_log(c, FULCRUM_KIND_VS, id, cmd_json(c, FULCRUM_KIND_VS, &old), NULL);
	free(reals);
	return rc;
}

/* Reads the service a real server belongs to; service_id is the field to blame when missing. */
static int cmd_owner(struct cmd *c, int64_t vs_id, struct fulcrum_vs *owner)
{
	int rc = db_vs_get(c->db, vs_id, owner);

	if (rc == -ENOENT)
		return model_err_set(c->err, FULCRUM_ERR_NOTFOUND, "service_id",
				     "real server service_id: service %lld does not exist",
				     (long long)vs_id);
	return rc ? cmd_storage(c, rc, "read the service") : 0;
}

int cmd_rs_create(struct cmd *c, struct fulcrum_rs *rs)
{
	struct fulcrum_vs owner;
	int rc;

	if ((rc = cmd_owner(c, rs->vs_id, &owner)) != 0 ||
	    (rc = model_rs_validate(rs, &owner, c->err)) != 0 ||
	    (rs->id != 0 && (rc = verify_rs_id(c, rs->id)) != 0) ||
	    (rc = verify_rs_unique(c, rs, &owner)) != 0)
		return rc;
	if ((rc = db_rs_insert(c->db, rs)) != 0)
		return cmd_storage(c, rc, "store the real server");
	if ((rc = cmd_bump(c)) == 0)
		rc = cmd_log(c, FULCRUM_KIND_RS, rs->id, NULL, cmd_json(c, FULCRUM_KIND_RS, rs));
	return rc;
}

int cmd_rs_get(struct cmd *c, int64_t id, struct fulcrum_rs *old)
{
	int rc = db_rs_get(c->db, id, old);

	if (rc == -ENOENT)
		return model_err_set(c->err, FULCRUM_ERR_NOTFOUND, "id",
				     "real server %lld does not exist", (long long)id);
	return rc ? cmd_storage(c, rc, "read the real server") : 0;
}

/* Checks rs against the stored old and its owner; nrs gets rs with old's service. */
static int verify_rs_update(struct cmd *c, const struct fulcrum_rs *rs,
			    const struct fulcrum_rs *old, struct fulcrum_rs *nrs)
{
	struct fulcrum_vs owner;
	int rc = cmd_owner(c, old->vs_id, &owner);

	if (rc != 0)
		return rc;
	if (rs->vs_id != 0 && rs->vs_id != old->vs_id)
		return model_err_set(c->err, FULCRUM_ERR_INVALID, "service_id",
				     "real server service_id: a real server stays in its service "
				     "('%s', %lld); delete it and create it in the other",
				     owner.name, (long long)owner.id);
	*nrs = *rs;
	nrs->vs_id = old->vs_id;
	if ((rc = model_rs_validate(nrs, &owner, c->err)) != 0)
		return rc;
	return verify_rs_unique(c, nrs, &owner);
}

int cmd_rs_update(struct cmd *c, const struct fulcrum_rs *rs)
{
	struct fulcrum_rs old, nrs;
	int rc;

	if ((rc = cmd_rs_get(c, rs->id, &old)) != 0 ||
	    (rc = verify_rs_update(c, rs, &old, &nrs)) != 0)
		return rc;
	return cmd_update_write(c, FULCRUM_KIND_RS, nrs.id, &old, &nrs);
}

int cmd_rs_delete(struct cmd *c, int64_t id)
{
	struct fulcrum_rs old;
	int rc;

	if ((rc = cmd_rs_get(c, id, &old)) != 0)
		return rc;
	if ((rc = db_rs_delete(c->db, id)) != 0)
		return cmd_storage(c, rc, "delete the real server");
	if ((rc = cmd_bump(c)) == 0)
		rc = cmd_log(c, FULCRUM_KIND_RS, id, cmd_json(c, FULCRUM_KIND_RS, &old), NULL);
	return rc;
}
