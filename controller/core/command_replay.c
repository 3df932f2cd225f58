/* A revision of the other director committed here as it was there: replication's one way in. */
#include "controller/core/command-int.h"
#include "controller/model/model.h"
#include "controller/model/model_kind.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any kind's struct. */
union replay_obj {
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	struct fulcrum_vip vip;
};

static const struct model_kind *replay_kind(const char *name)
{
	static const enum fulcrum_kind kinds[] = {FULCRUM_KIND_VS, FULCRUM_KIND_RS,
						  FULCRUM_KIND_VIP};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(model_kind(kinds[i])->name, name) == 0)
			return model_kind(kinds[i]);
	return NULL;
}

/* Refuses row i of r for why (a printf format); returns -EINVAL. */
static int replay_bad(struct cmd *c, const struct command_replay *r, size_t i, const char *why)
{
	return model_err_set(c->err, FULCRUM_ERR_INVALID, "changes",
			     "replication: revision %" PRId64 ", change %zu: %s", r->revision,
			     i + 1, why);
}

/* An integer member of j, or -1 when absent or not a positive integer. */
static int64_t replay_int(const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : -1;
}

/* A new object of kind k with id (and its service's id for a real server) from after's JSON. */
static int replay_new(struct cmd *c, const struct command_replay *r, size_t i,
		      const struct model_kind *k, const json_t *after, union replay_obj *o)
{
	int64_t id = replay_int(after, "id");

	if (id != r->changes[i].object_id)
		return replay_bad(c, r, i, "the object's id is not the row's");
	switch (k->kind) {
	case FULCRUM_KIND_VS:
		model_vs_init(&o->vs);
		o->vs.id = id;
		break;
	case FULCRUM_KIND_RS:
		model_rs_init(&o->rs);
		o->rs.id = id;
		if ((o->rs.vs_id = replay_int(after, "service_id")) < 0)
			return replay_bad(c, r, i, "a real server without its service_id");
		break;
	case FULCRUM_KIND_VIP:
		model_vip_init(&o->vip);
		o->vip.id = id;
		break;
	}
	return k->from_json(after, o, c->err);
}

/* Creates the object o of kind k with its own id. */
static int replay_create(struct cmd *c, const struct model_kind *k, union replay_obj *o)
{
	int rc;

	switch (k->kind) {
	case FULCRUM_KIND_VS:
		if ((rc = cmd_vs_create_verify(c, &o->vs, NULL, 0)) != 0)
			return rc;
		return cmd_vs_create(c, &o->vs, NULL, 0, NULL);
	case FULCRUM_KIND_RS:
		return cmd_rs_create(c, &o->rs);
	case FULCRUM_KIND_VIP:
		return cmd_vip_create(c, &o->vip);
	}
	return -EINVAL;
}

/* Applies row i of r. */
static int replay_row(struct command_txn *t, const struct command_replay *r, size_t i)
{
	struct cmd *c = &t->c;
	const struct fulcrum_change *ch = &r->changes[i];
	const struct model_kind *k = replay_kind(ch->object_type);
	union replay_obj o;
	json_t *after = NULL;
	int rc;

	if (!k)
		return replay_bad(c, r, i, "an object type that is not service, real or vip");
	if (ch->revision != r->revision || ch->object_id <= 0)
		return replay_bad(c, r, i, "a row of another revision, or without an id");
	if (!ch->before && !ch->after)
		return replay_bad(c, r, i, "a row with neither a before nor an after");
	if (!ch->after)
		return command_txn_delete(t, k->kind, ch->object_id);
	if (!(after = json_loads(ch->after, JSON_REJECT_DUPLICATES, NULL)) ||
	    !json_is_object(after)) {
		json_decref(after);
		return replay_bad(c, r, i, "its after is not a JSON object");
	}
	if (!ch->before) {
		rc = replay_new(c, r, i, k, after, &o);
		if (rc == 0)
			rc = replay_create(c, k, &o);
	} else {
		rc = command_txn_get(t, k->kind, ch->object_id, &o);
		if (rc == 0)
			rc = k->from_json(after, &o, c->err);
		if (rc == 0)
			rc = command_txn_update(t, k->kind, &o);
	}
	json_decref(after);
	return rc;
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Whether what this director logged is exactly what the other one did. */
static int replay_compare(struct cmd *c, const struct command_replay *r)
{
	const struct command_result *res = c->res;

	if (c->rev != r->revision || !c->bumped) {
		model_err_set(c->err, FULCRUM_ERR_CONFLICT, "revision",
			      "replication: revision %" PRId64
			      " changed nothing here: the two configurations differ",
			      r->revision);
		return -EPROTO;
	}
	if (!res)
		return 0;
	for (size_t i = 0; i < res->n || i < r->n; i++) {
		const struct command_change *mine = i < res->n ? &res->changes[i] : NULL;
		const struct fulcrum_change *theirs = i < r->n ? &r->changes[i] : NULL;

		if (!mine || !theirs || mine->id != theirs->object_id ||
		    strcmp(model_kind(mine->kind)->name, theirs->object_type) != 0 ||
		    !same_text(mine->before, theirs->before) ||
		    !same_text(mine->after, theirs->after)) {
			model_err_set(c->err, FULCRUM_ERR_CONFLICT, "revision",
				      "replication: revision %" PRId64
				      ", change %zu came out differently here: the two "
				      "configurations differ",
				      r->revision, i + 1);
			return -EPROTO;
		}
	}
	return 0;
}

int command_txn_replay(struct command_txn *t, const struct command_replay *r)
{
	struct cmd *c = &t->c;
	size_t len;
	int rc;

	if (r->revision <= 0 || r->time <= 0 || !r->actor || r->n == 0 ||
	    (unsigned)r->origin > FULCRUM_ORIGIN_CLI)
		return model_err_set(c->err, FULCRUM_ERR_INVALID, "revision",
				     "replication: revision %" PRId64
				     " lacks its time, actor, origin or changes",
				     r->revision);
	if (c->rev != r->revision - 1)
		return model_err_set(c->err, FULCRUM_ERR_STALE, "revision",
				     "replication: revision %" PRId64 " follows %" PRId64
				     ", but this director holds %" PRId64,
				     r->revision, r->revision - 1, c->rev);
	len = strlen(r->actor);
	if (len >= sizeof(c->actor))
		return model_err_set(c->err, FULCRUM_ERR_INVALID, "actor",
				     "replication: revision %" PRId64
				     ": actor longer than %zu bytes",
				     r->revision, sizeof(c->actor) - 1);
	memcpy(c->actor, r->actor, len + 1);
	c->origin = r->origin;
	c->replay_time = r->time;
	for (size_t i = 0; i < r->n; i++)
		if ((rc = replay_row(t, r, i)) != 0)
			return rc;
	return replay_compare(c, r);
}
