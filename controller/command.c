/* The one write path: every change, whatever its origin, is validated, stored and logged here. */
#include "command.h"
#include "model.h"
#include "model_json.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One command in progress. */
struct cmd {
	struct db *db;
	char actor[sizeof(((struct fulcrum_change *)0)->actor)];
	enum fulcrum_origin origin;
	int64_t rev;  /* current revision; the new one once bumped */
	int64_t time; /* of the change, Unix seconds */
	struct fulcrum_err *err;
	struct fulcrum_err scratch; /* err when the caller gave none */
};

static void cmd_init(struct cmd *c, struct db *db, const struct command_actor *actor,
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

/* Fills err for a failure of the db layer (rc, a negative errno) while doing what; returns rc. */
static int cmd_storage(struct cmd *c, int rc, const char *what)
{
	if (rc == -EEXIST) /* a UNIQUE index caught what the checks missed */
		model_err_set(c->err, FULCRUM_ERR_CONFLICT, NULL,
			      "%s: conflicts with a stored object (%s)", what, db_errmsg(c->db));
	else
		model_err_set(c->err, FULCRUM_ERR_INTERNAL, NULL, "storage: cannot %s: %s", what,
			      db_errmsg(c->db));
	return rc;
}

/* Opens the transaction and checks the caller's idea of the revision. */
static int cmd_begin(struct cmd *c, int64_t if_revision)
{
	int rc = db_begin(c->db);

	if (rc != 0)
		return cmd_storage(c, rc, "start a transaction");
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

static int cmd_bump(struct cmd *c)
{
	int rc = db_revision_bump(c->db, &c->rev);

	c->time = (int64_t)time(NULL);
	return rc ? cmd_storage(c, rc, "bump the revision") : 0;
}

/*
 * Appends one change-log row; takes the references before and after (NULL for
 * none: a creation has no before, a deletion no after; both NULL means making
 * the JSON failed).
 */
static int cmd_log(struct cmd *c, const char *type, int64_t id, json_t *before, json_t *after)
{
	char *b = before ? json_dumps(before, JSON_COMPACT) : NULL;
	char *a = after ? json_dumps(after, JSON_COMPACT) : NULL;
	int rc;

	if (!before && !after) { /* *_json_or_fail() failed and said so */
		rc = -ENOMEM;
	} else if ((before && !b) || (after && !a)) {
		model_err_set(c->err, FULCRUM_ERR_INTERNAL, NULL,
			      "storage: cannot write the change log: out of memory");
		rc = -ENOMEM;
	} else {
		rc = db_change_add(c->db, c->rev, c->time, c->actor, c->origin, type, id, b, a);
		if (rc != 0)
			cmd_storage(c, rc, "write the change log");
	}
	free(b);
	free(a);
	json_decref(before);
	json_decref(after);
	return rc;
}

/* Commits when rc is 0, rolls back otherwise; returns the command's result. */
static int cmd_end(struct cmd *c, int rc, int64_t *revision_out)
{
	if (rc == 0 && (rc = db_commit(c->db)) != 0)
		cmd_storage(c, rc, "commit");
	if (rc != 0) {
		db_rollback(c->db);
		return rc;
	}
	if (revision_out)
		*revision_out = c->rev;
	return 0;
}

static json_t *vs_json_or_fail(struct cmd *c, const struct fulcrum_vs *vs)
{
	json_t *j = model_vs_to_json(vs);

	if (!j)
		model_err_set(c->err, FULCRUM_ERR_INTERNAL, NULL,
			      "cannot write service %lld as JSON: out of memory",
			      (long long)vs->id);
	return j;
}

static json_t *rs_json_or_fail(struct cmd *c, const struct fulcrum_rs *rs)
{
	json_t *j = model_rs_to_json(rs);

	if (!j)
		model_err_set(c->err, FULCRUM_ERR_INTERNAL, NULL,
			      "cannot write real server %lld as JSON: out of memory",
			      (long long)rs->id);
	return j;
}

/* Checks that no other stored service has vs's name or key (address:port/protocol or fwmark). */
static int check_vs_unique(struct cmd *c, const struct fulcrum_vs *vs)
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
static int check_rs_unique(struct cmd *c, const struct fulcrum_rs *rs,
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
static int check_new_reals(struct cmd *c, const struct fulcrum_vs *vs,
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

int command_vs_create(struct db *db, const struct command_actor *actor, struct fulcrum_vs *vs,
		      struct fulcrum_rs *reals, size_t nreals, int64_t if_revision,
		      int64_t *revision_out, struct fulcrum_err *err)
{
	struct fulcrum_vs nvs = *vs;
	int64_t *ids = NULL;
	struct cmd c;
	int rc;

	cmd_init(&c, db, actor, err);
	nvs.id = 0;
	if ((rc = model_vs_validate(&nvs, c.err)) != 0 ||
	    (rc = check_new_reals(&c, &nvs, reals, nreals)) != 0)
		return rc;
	if (nreals && !(ids = calloc(nreals, sizeof(*ids))))
		return model_err_set(c.err, FULCRUM_ERR_INTERNAL, NULL, "out of memory");
	if ((rc = cmd_begin(&c, if_revision)) != 0 || (rc = check_vs_unique(&c, &nvs)) != 0)
		goto out;
	if ((rc = db_vs_insert(db, &nvs)) != 0) {
		cmd_storage(&c, rc, "store the service");
		goto out;
	}
	if ((rc = cmd_bump(&c)) != 0 ||
	    (rc = cmd_log(&c, "service", nvs.id, NULL, vs_json_or_fail(&c, &nvs))) != 0)
		goto out;
	for (size_t i = 0; i < nreals; i++) {
		struct fulcrum_rs rs = reals[i];

		rs.id = 0;
		rs.vs_id = nvs.id;
		if ((rc = db_rs_insert(db, &rs)) != 0) {
			cmd_storage(&c, rc, "store a real server");
			goto out;
		}
		ids[i] = rs.id;
		if ((rc = cmd_log(&c, "real", rs.id, NULL, rs_json_or_fail(&c, &rs))) != 0)
			goto out;
	}
out:
	rc = cmd_end(&c, rc, revision_out);
	if (rc == 0) {
		vs->id = nvs.id;
		for (size_t i = 0; i < nreals; i++) {
			reals[i].id = ids[i];
			reals[i].vs_id = nvs.id;
		}
	}
	free(ids);
	return rc;
}

/* Refuses a change of vs's family, port or fwmark that one of its real servers would not survive. */
static int check_reals_survive(struct cmd *c, const struct fulcrum_vs *old,
			       const struct fulcrum_vs *vs)
{
	const char *field = vs->family != old->family   ? "family"
			    : vs->fwmark != old->fwmark ? "fwmark"
			    : vs->port != old->port     ? "port"
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

int command_vs_update(struct db *db, const struct command_actor *actor, const struct fulcrum_vs *vs,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	json_t *before = NULL, *after = NULL;
	struct fulcrum_vs old;
	struct cmd c;
	int rc;

	cmd_init(&c, db, actor, err);
	if ((rc = model_vs_validate(vs, c.err)) != 0)
		return rc;
	if ((rc = cmd_begin(&c, if_revision)) != 0)
		goto out;
	rc = db_vs_get(db, vs->id, &old);
	if (rc == -ENOENT)
		rc = model_err_set(c.err, FULCRUM_ERR_NOTFOUND, "id", "service %lld does not exist",
				   (long long)vs->id);
	else if (rc != 0)
		cmd_storage(&c, rc, "read the service");
	if (rc != 0 || (rc = check_vs_unique(&c, vs)) != 0 ||
	    (rc = check_reals_survive(&c, &old, vs)) != 0)
		goto out;
	before = vs_json_or_fail(&c, &old);
	after = vs_json_or_fail(&c, vs);
	if (!before || !after) {
		rc = -ENOMEM;
		goto out;
	}
	if (json_equal(before, after))
		goto out; /* nothing changes: no write, no revision */
	if ((rc = db_vs_update(db, vs)) != 0) {
		cmd_storage(&c, rc, "store the service");
		goto out;
	}
	if ((rc = cmd_bump(&c)) != 0)
		goto out;
	rc = cmd_log(&c, "service", vs->id, before, after);
	before = after = NULL; /* cmd_log took them */
out:
	json_decref(before);
	json_decref(after);
	return cmd_end(&c, rc, revision_out);
}

int command_vs_delete(struct db *db, const struct command_actor *actor, int64_t id,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct fulcrum_rs *reals = NULL;
	struct fulcrum_vs old;
	struct cmd c;
	size_t n = 0;
	int rc;

	cmd_init(&c, db, actor, err);
	if ((rc = cmd_begin(&c, if_revision)) != 0)
		goto out;
	rc = db_vs_get(db, id, &old);
	if (rc == -ENOENT)
		rc = model_err_set(c.err, FULCRUM_ERR_NOTFOUND, "id", "service %lld does not exist",
				   (long long)id);
	else if (rc != 0)
		cmd_storage(&c, rc, "read the service");
	if (rc != 0)
		goto out;
	if ((rc = db_rs_list(db, id, &reals, &n)) != 0) {
		cmd_storage(&c, rc, "list the real servers");
		goto out;
	}
	if ((rc = cmd_bump(&c)) != 0)
		goto out;
	/* the real servers go first, so replaying the log never sees an orphan */
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = cmd_log(&c, "real", reals[i].id, rs_json_or_fail(&c, &reals[i]), NULL);
	if (rc == 0 && (rc = db_vs_delete(db, id)) != 0)
		cmd_storage(&c, rc, "delete the service");
	if (rc == 0)
		rc = cmd_log(&c, "service", id, vs_json_or_fail(&c, &old), NULL);
out:
	free(reals);
	return cmd_end(&c, rc, revision_out);
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

int command_rs_create(struct db *db, const struct command_actor *actor, struct fulcrum_rs *rs,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct fulcrum_rs nrs = *rs;
	struct fulcrum_vs owner;
	struct cmd c;
	int rc;

	cmd_init(&c, db, actor, err);
	nrs.id = 0;
	if ((rc = cmd_begin(&c, if_revision)) != 0 ||
	    (rc = cmd_owner(&c, nrs.vs_id, &owner)) != 0 ||
	    (rc = model_rs_validate(&nrs, &owner, c.err)) != 0 ||
	    (rc = check_rs_unique(&c, &nrs, &owner)) != 0)
		goto out;
	if ((rc = db_rs_insert(db, &nrs)) != 0) {
		cmd_storage(&c, rc, "store the real server");
		goto out;
	}
	if ((rc = cmd_bump(&c)) == 0)
		rc = cmd_log(&c, "real", nrs.id, NULL, rs_json_or_fail(&c, &nrs));
out:
	rc = cmd_end(&c, rc, revision_out);
	if (rc == 0)
		rs->id = nrs.id;
	return rc;
}

int command_rs_update(struct db *db, const struct command_actor *actor, const struct fulcrum_rs *rs,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	json_t *before = NULL, *after = NULL;
	struct fulcrum_rs old, nrs = *rs;
	struct fulcrum_vs owner;
	struct cmd c;
	int rc;

	cmd_init(&c, db, actor, err);
	if ((rc = cmd_begin(&c, if_revision)) != 0)
		goto out;
	rc = db_rs_get(db, rs->id, &old);
	if (rc == -ENOENT)
		rc = model_err_set(c.err, FULCRUM_ERR_NOTFOUND, "id",
				   "real server %lld does not exist", (long long)rs->id);
	else if (rc != 0)
		cmd_storage(&c, rc, "read the real server");
	if (rc != 0 || (rc = cmd_owner(&c, old.vs_id, &owner)) != 0)
		goto out;
	if (nrs.vs_id != 0 && nrs.vs_id != old.vs_id) {
		rc = model_err_set(c.err, FULCRUM_ERR_INVALID, "service_id",
				   "real server service_id: a real server stays in its service "
				   "('%s', %lld); delete it and create it in the other",
				   owner.name, (long long)owner.id);
		goto out;
	}
	nrs.vs_id = old.vs_id;
	if ((rc = model_rs_validate(&nrs, &owner, c.err)) != 0 ||
	    (rc = check_rs_unique(&c, &nrs, &owner)) != 0)
		goto out;
	before = rs_json_or_fail(&c, &old);
	after = rs_json_or_fail(&c, &nrs);
	if (!before || !after) {
		rc = -ENOMEM;
		goto out;
	}
	if (json_equal(before, after))
		goto out; /* nothing changes: no write, no revision */
	if ((rc = db_rs_update(db, &nrs)) != 0) {
		cmd_storage(&c, rc, "store the real server");
		goto out;
	}
	if ((rc = cmd_bump(&c)) != 0)
		goto out;
	rc = cmd_log(&c, "real", nrs.id, before, after);
	before = after = NULL; /* cmd_log took them */
out:
	json_decref(before);
	json_decref(after);
	return cmd_end(&c, rc, revision_out);
}

int command_rs_delete(struct db *db, const struct command_actor *actor, int64_t id,
		      int64_t if_revision, int64_t *revision_out, struct fulcrum_err *err)
{
	struct fulcrum_rs old;
	struct cmd c;
	int rc;

	cmd_init(&c, db, actor, err);
	if ((rc = cmd_begin(&c, if_revision)) != 0)
		goto out;
	rc = db_rs_get(db, id, &old);
	if (rc == -ENOENT)
		rc = model_err_set(c.err, FULCRUM_ERR_NOTFOUND, "id",
				   "real server %lld does not exist", (long long)id);
	else if (rc != 0)
		cmd_storage(&c, rc, "read the real server");
	if (rc != 0)
		goto out;
	if ((rc = db_rs_delete(db, id)) != 0) {
		cmd_storage(&c, rc, "delete the real server");
		goto out;
	}
	if ((rc = cmd_bump(&c)) == 0)
		rc = cmd_log(&c, "real", id, rs_json_or_fail(&c, &old), NULL);
out:
	return cmd_end(&c, rc, revision_out);
}
