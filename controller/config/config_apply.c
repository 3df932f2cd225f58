/* Applying a configuration file: match each object with what is stored, write what differs, as one command. */
#include "controller/config/config_apply.h"
#include "controller/config/config-int.h"
#include "controller/model/model.h"
#include "controller/model/model_kind.h"
#include "db/db.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One apply's run inside its command. */
struct run {
	struct config_apply *a;
	struct command_txn *t;
	struct db *db;
	struct idmap keep_vs; /* prune: ids of the stored services the file matches */
	struct idmap names;   /* prune's first pass: the file's service names (config_seen_*) */
	bool failed;          /* a refusal: the rest is read for errors only */
};

void config_apply_clear(struct config_apply *a)
{
	json_decref(a->changes);
	a->changes = NULL;
	config_msgs_clear(&a->errors);
	config_msgs_clear(&a->notes);
}

/* Records one change: op, kind, key, id, and for an update the fields before and after. */
static void change(struct run *r, const char *op, const char *kind, const char *key, int64_t id,
		   json_t *fields)
{
	struct config_apply *a = r->a;
	json_t *c;

	if (op[0] == 'c')
		a->created++;
	else if (op[0] == 'u')
		a->updated++;
	else
		a->deleted++;
	if ((a->changes_max && json_array_size(a->changes) >= a->changes_max) ||
	    (!a->changes && !(a->changes = json_array()))) {
		a->changes_dropped++;
		json_decref(fields);
		return;
	}
	c = json_pack("{s:s, s:s, s:s, s:I}", "op", op, "kind", kind, "key", key, "id",
		      (json_int_t)id);
	if (c && fields)
		json_object_set(c, "fields", fields);
	if (!c || json_array_append_new(a->changes, c) != 0)
		a->changes_dropped++;
	json_decref(fields);
}

/* Each member of want that differs from have's ("check.interval" for nested ones), as [before, after]. */
static void fields_diff(json_t *out, const char *prefix, const json_t *have, const json_t *want)
{
	const char *key;
	json_t *w;

	json_object_foreach((json_t *)want, key, w)
	{
		const json_t *h = json_object_get(have, key);
		char name[96];

		snprintf(name, sizeof(name), "%s%s", prefix, key);
		if (json_is_object(w) && json_is_object(h)) {
			snprintf(name, sizeof(name), "%s%s.", prefix, key);
			fields_diff(out, name, h, w);
			/* an override the file leaves out is removed */
			const char *hk;
			json_t *hv;

			json_object_foreach((json_t *)h, hk, hv) if (!json_object_get(w, hk))
			{
				char n2[96];

				snprintf(n2, sizeof(n2), "%s%s.%s", prefix, key, hk);
				json_object_set_new(out, n2, json_pack("[O,n]", hv));
			}
			continue;
		}
		if (!h || !json_equal(h, w))
			json_object_set_new(out, name, json_pack("[O,O]", h ? h : json_null(), w));
	}
}

/* The fields that differ between two objects of kind; NULL when none (or no memory). */
static json_t *differs(enum fulcrum_kind kind, const void *have, const void *want)
{
	json_t *h, *w, *d = NULL;

	/*
	 * The same bytes are the same object (both come from the model's init and
	 * setters): no JSON needed for what did not change, which is most of a
	 * file. Bytes that differ may still be the same object (a string's tail
	 * past its NUL): the JSON forms decide.
	 */
	if (memcmp(have, want, model_kind(kind)->size) == 0)
		return NULL;
	h = model_kind(kind)->to_json(have);
	w = model_kind(kind)->to_json(want);
	if (h && w && !json_equal(h, w) && (d = json_object()))
		fields_diff(d, "", h, w);
	if (d && json_object_size(d) == 0) {
		json_decref(d);
		d = NULL;
	}
	json_decref(h);
	json_decref(w);
	return d;
}

/* A refusal of the store: the apply fails, the rest is read for the file's errors. */
static int refused(struct run *r, const char *where, int rc)
{
	struct fulcrum_err *err = command_txn_err(r->t);

	r->failed = true;
	if (r->a->status == FULCRUM_ERR_NONE)
		r->a->status = err->status != FULCRUM_ERR_NONE ? err->status : FULCRUM_ERR_INTERNAL;
	config_msgs_add(&r->a->errors, "%s: %s", where,
			err->message[0] ? err->message : strerror(-rc));
	model_err_clear(err);
	return 0;
}

/* Whether id can be asked for on a create: free and not below next (a note when not). */
static bool id_usable(struct run *r, enum fulcrum_kind kind, int64_t id, const char *key)
{
	int64_t next = 0;
	int rc;

	if (!id)
		return true;
	rc = kind == FULCRUM_KIND_VS   ? db_vs_next_id(r->db, &next)
	     : kind == FULCRUM_KIND_RS ? db_rs_next_id(r->db, &next)
				       : db_vip_next_id(r->db, &next);
	if (rc == 0 && id >= next) {
		struct fulcrum_rs rs;

		/* a real server's id may be another service's real server's */
		if (kind != FULCRUM_KIND_RS || db_rs_get(r->db, id, &rs) == -ENOENT)
			return true;
	}
	config_msgs_add(&r->a->notes,
			"%s %s: id %" PRId64 " was given out before on this director (ids are "
			"never reused): created with a new id",
			model_kind(kind)->what, key, id);
	return false;
}

/*
 * Writes want (kind's struct) for the file: with have NULL, creates it, with
 * *id (want's own id field) when id_usable(), else a new one; otherwise
 * where have stands (*id becomes have's id), updating only what differs.
 * Records the change under key. Returns 0: a refusal fails the run
 * (refused()).
 */
static int put(struct run *r, enum fulcrum_kind kind, const void *have, void *want, int64_t *id,
	       const char *key)
{
	const struct model_kind *k = model_kind(kind);
	json_t *d;
	int rc;

	if (!have) {
		if (!id_usable(r, kind, *id, key))
			*id = 0;
		if ((rc = command_txn_create(r->t, kind, want)) != 0)
			return refused(r, key, rc);
		change(r, "create", k->name, key, *id, NULL);
		return 0;
	}
	*id = k->id_of(have);
	if (!(d = differs(kind, have, want))) {
		r->a->unchanged++;
		return 0;
	}
	if ((rc = command_txn_update(r->t, kind, want)) != 0) {
		json_decref(d);
		return refused(r, key, rc);
	}
	change(r, "update", k->name, key, *id, d);
	return 0;
}

static void real_key(const char *service, const struct fulcrum_rs *rs, char *buf, size_t len)
{
	char ep[MODEL_ENDPOINT_STRLEN];

	snprintf(buf, len, "%s/%s", service,
		 model_endpoint_format(&rs->addr, rs->port, ep, sizeof(ep)));
}

/* The real servers of the stored service vs_id against the file's s: deletes, updates, creates. */
static int apply_reals(struct run *r, const struct config_service *s, int64_t vs_id, bool created)
{
	struct fulcrum_rs *have = NULL;
	size_t nhave = 0;
	bool *matched = NULL;
	size_t *match_of = NULL;
	struct idmap by_id = {0}, by_ep = {0};
	char key[FULCRUM_NAME_MAX + MODEL_ENDPOINT_STRLEN + 2], ep[MODEL_ENDPOINT_STRLEN];
	int rc = 0;

	if (!created && (rc = db_rs_list(r->db, vs_id, &have, &nhave)) != 0)
		return refused(r, s->vs.name, rc);
	if ((nhave && !(matched = calloc(nhave, sizeof(*matched)))) ||
	    (s->nreals && !(match_of = calloc(s->nreals, sizeof(*match_of))))) {
		rc = -ENOMEM;
		goto out;
	}
	/* the stored ones by id and by address:port: a service of 100,000 is not 10^10 comparisons */
	for (size_t h = 0; h < nhave && rc == 0; h++) {
		unsigned dup;

		model_endpoint_format(&have[h].addr, have[h].port, ep, sizeof(ep));
		if (idmap_put(&by_id, have[h].id, (void *)(uintptr_t)(h + 1)) != 0 ||
		    config_seen_add(&by_ep, ep, (unsigned)h + 1, &dup) != 0)
			rc = -ENOMEM;
	}
	for (size_t i = 0; i < s->nreals && rc == 0; i++) {
		const struct fulcrum_rs *w = &s->reals[i];
		size_t h = w->id ? (size_t)(uintptr_t)idmap_get(&by_id, w->id) : 0;

		if (!h || matched[h - 1]) {
			model_endpoint_format(&w->addr, w->port, ep, sizeof(ep));
			h = config_seen_line(&by_ep, ep);
		}
		match_of[i] = h && !matched[h - 1] ? h - 1 : SIZE_MAX;
		if (match_of[i] != SIZE_MAX)
			matched[match_of[i]] = true;
	}
	if (rc != 0)
		goto out;
	/* deletes first: a file may give a deleted real server's address to another */
	for (size_t h = 0; r->a->prune && h < nhave && !r->failed; h++) {
		if (matched[h])
			continue;
		real_key(s->vs.name, &have[h], key, sizeof(key));
		if ((rc = command_txn_rs_delete(r->t, have[h].id)) != 0) {
			rc = refused(r, key, rc);
			goto out;
		}
		change(r, "delete", "real", key, have[h].id, NULL);
	}
	for (size_t i = 0; i < s->nreals && !r->failed; i++) {
		struct fulcrum_rs w = s->reals[i];

		real_key(s->vs.name, &w, key, sizeof(key));
		w.vs_id = vs_id;
		put(r, FULCRUM_KIND_RS, match_of[i] == SIZE_MAX ? NULL : &have[match_of[i]], &w,
		    &w.id, key);
	}
	/* not pruned: the stored real servers the file leaves out stay */
	for (size_t h = 0; !r->a->prune && h < nhave; h++)
		if (!matched[h])
			r->a->unchanged++;
out:
	idmap_clear(&by_id);
	config_seen_clear(&by_ep);
	free(have);
	free(matched);
	free(match_of);
	return rc;
}

/* config_service_fn: one service of the file against what is stored. */
static int apply_service(const struct config_service *s, void *arg)
{
	struct run *r = arg;
	struct fulcrum_vs have, w = s->vs;
	bool found = false;
	int rc;

	if (r->failed)
		return 0;
	if (w.id && command_txn_vs_get(r->t, w.id, &have) == 0)
		found = true;
	model_err_clear(command_txn_err(r->t));
	if (!found && db_vs_find_by_name(r->db, w.name, &have) == 0) {
		found = true;
		if (w.id)
			config_msgs_add(&r->a->notes,
					"service %s: id %" PRId64 " in the file, %" PRId64
					" here: matched by name, the id stays %" PRId64,
					w.name, w.id, have.id, have.id);
	}
	if ((rc = put(r, FULCRUM_KIND_VS, found ? &have : NULL, &w, &w.id, w.name)) != 0 ||
	    r->failed)
		return rc;
	return apply_reals(r, s, w.id, !found);
}

/* ---- prune ------------------------------------------------------------------------ */

/* First pass: the ids and names the file has. */
static int collect_service(const struct config_service *s, void *arg)
{
	struct run *r = arg;
	unsigned first;

	if (s->vs.id && idmap_put(&r->keep_vs, s->vs.id, (void *)1) != 0)
		return -ENOMEM;
	return config_seen_add(&r->names, s->vs.name, s->line, &first);
}

struct prune_walk {
	struct run *r;
	int64_t *ids;
	char (*names)[FULCRUM_NAME_MAX + 1];
	size_t n, cap;
};

static int prune_pick(const struct fulcrum_vs *vs, void *arg)
{
	struct prune_walk *p = arg;

	if (idmap_get(&p->r->keep_vs, vs->id) || config_seen_line(&p->r->names, vs->name))
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		int64_t *ids = realloc(p->ids, cap * sizeof(*ids));
		char(*names)[FULCRUM_NAME_MAX + 1];

		if (!ids)
			return -ENOMEM;
		p->ids = ids;
		if (!(names = realloc(p->names, cap * sizeof(*names))))
			return -ENOMEM;
		p->names = names;
		p->cap = cap;
	}
	p->ids[p->n] = vs->id;
	snprintf(p->names[p->n++], FULCRUM_NAME_MAX + 1, "%s", vs->name);
	return 0;
}

/* Deletes the stored services the file has neither the id nor the name of. */
static int prune_services(struct run *r)
{
	struct prune_walk p = {.r = r};
	int rc = db_vs_each(r->db, prune_pick, &p);

	for (size_t i = 0; rc == 0 && i < p.n && !r->failed; i++) {
		if ((rc = command_txn_vs_delete(r->t, p.ids[i])) != 0) {
			rc = refused(r, p.names[i], rc);
			break;
		}
		change(r, "delete", "service", p.names[i], p.ids[i], NULL);
	}
	free(p.ids);
	free(p.names);
	idmap_clear(&r->keep_vs);
	return rc;
}

/* ---- VIPs and switches --------------------------------------------------------------- */

static int apply_vips(struct run *r, const struct config_doc *doc)
{
	struct fulcrum_vip *have = NULL;
	size_t nhave = 0, *match_of = NULL;
	bool *matched = NULL;
	char key[MODEL_ADDR_STRLEN];
	int rc;

	if ((rc = db_vip_list(r->db, &have, &nhave)) != 0)
		return refused(r, "vips", rc);
	if ((nhave && !(matched = calloc(nhave, sizeof(*matched)))) ||
	    (doc->nvips && !(match_of = calloc(doc->nvips, sizeof(*match_of))))) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < doc->nvips; i++) {
		const struct fulcrum_vip *w = &doc->vips[i].vip;

		match_of[i] = SIZE_MAX;
		for (size_t h = 0; w->id && h < nhave && match_of[i] == SIZE_MAX; h++)
			if (have[h].id == w->id)
				match_of[i] = h;
		for (size_t h = 0; h < nhave && match_of[i] == SIZE_MAX; h++)
			if (model_addr_equal(&have[h].addr, &w->addr))
				match_of[i] = h;
		if (match_of[i] != SIZE_MAX)
			matched[match_of[i]] = true;
	}
	/* deletes first, so that an address can move to a new VIP */
	for (size_t h = 0; r->a->prune && h < nhave && !r->failed; h++) {
		if (matched[h])
			continue;
		model_addr_format(&have[h].addr, key, sizeof(key));
		if ((rc = command_txn_vip_delete(r->t, have[h].id)) != 0)
			rc = refused(r, key, rc);
		else
			change(r, "delete", "vip", key, have[h].id, NULL);
	}
	for (size_t i = 0; i < doc->nvips && !r->failed; i++) {
		struct fulcrum_vip w = doc->vips[i].vip;

		model_addr_format(&w.addr, key, sizeof(key));
		put(r, FULCRUM_KIND_VIP, match_of[i] == SIZE_MAX ? NULL : &have[match_of[i]], &w,
		    &w.id, key);
	}
	rc = 0;
out:
	free(have);
	free(matched);
	free(match_of);
	return rc;
}

static int apply_switches(struct run *r, const struct config_doc *doc)
{
	bool on[COMMAND_NOTIFY_COUNT];
	int rc = db_notify_get(r->db, on);

	if (rc != 0)
		return refused(r, "notifications", rc);
	for (unsigned i = 0; i < COMMAND_NOTIFY_COUNT && !r->failed; i++) {
		json_t *d;

		if (!doc->switch_set[i] || doc->switch_on[i] == on[i])
			continue;
		if ((rc = command_txn_notify_set(r->t, (enum command_notify)i,
						 doc->switch_on[i])) != 0)
			return refused(r, db_notify_name((enum command_notify)i), rc);
		d = json_pack("{s:[b,b]}", "enabled", on[i], doc->switch_on[i]);
		change(r, "update", "notification", db_notify_name((enum command_notify)i), 0, d);
	}
	return 0;
}

/* ---- the command ----------------------------------------------------------------------- */

/* Runs the file's services through fn: read from the text as a stream, or from the document. */
static int each_service(struct run *r, config_service_fn fn, struct config_doc *into,
			struct config_msgs *errors)
{
	const struct config_apply *a = r->a;
	int rc = 0;

	if (!a->doc)
		return config_read(a->fmt, a->text, a->len, into, fn, r, errors);
	for (size_t i = 0; rc == 0 && i < a->doc->nservices; i++)
		rc = fn(&a->doc->services[i], r);
	return rc;
}

int config_apply_txn(struct command_txn *t, void *arg)
{
	struct config_apply *a = arg;
	struct run r = {.a = a, .t = t, .db = command_txn_db(t)};
	struct config_doc small; /* VIPs and switches, read from the text */
	const struct config_doc *doc;
	struct config_msgs scratch;
	int rc = 0;

	config_doc_init(&small);
	config_msgs_init(&scratch);
	a->created = a->updated = a->deleted = a->unchanged = a->changes_dropped = 0;
	a->status = FULCRUM_ERR_NONE;
	if (a->prune) {
		/* first pass: what the file keeps, so that deletes come before creates */
		rc = each_service(&r, collect_service, &small, &scratch);
		config_doc_clear(&small);
		if (rc == -EINVAL)
			rc = 0; /* the second pass reports the errors */
		if (rc == 0)
			rc = prune_services(&r);
	}
	if (rc == 0) {
		rc = each_service(&r, apply_service, &small, &a->errors);
		if (rc == -EINVAL) {
			r.failed = true;
			rc = 0;
		}
	}
	doc = a->doc ? a->doc : &small;
	a->revision = doc->revision;
	if (rc == 0 && !r.failed)
		rc = apply_vips(&r, doc);
	if (rc == 0 && !r.failed)
		rc = apply_switches(&r, doc);
	config_doc_clear(&small);
	config_msgs_clear(&scratch);
	idmap_clear(&r.keep_vs);
	config_seen_clear(&r.names);
	if (rc == 0 && r.failed) {
		if (a->status == FULCRUM_ERR_NONE)
			a->status = FULCRUM_ERR_INVALID; /* the file's own errors */
		rc = -EINVAL;
	}
	if (rc == 0 && a->dry_run)
		rc = -ECANCELED;
	if (rc == -ENOMEM)
		config_msgs_add(&a->errors, "out of memory");
	return rc;
}

/* ---- the result ------------------------------------------------------------------------ */

static json_t *msgs_json(const struct config_msgs *m)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < m->n; i++)
		json_array_append_new(arr, json_string(m->text[i]));
	if (arr && m->dropped) {
		char more[64];

		snprintf(more, sizeof(more), "... and %zu more", m->dropped);
		json_array_append_new(arr, json_string(more));
	}
	return arr;
}

json_t *config_apply_json(const struct config_apply *a, int64_t revision)
{
	return json_pack("{s:I, s:b, s:I, s:I, s:I, s:I, s:O, s:I, s:o, s:o}", "revision",
			 (json_int_t)revision, "dry_run", a->dry_run, "created",
			 (json_int_t)a->created, "updated", (json_int_t)a->updated, "deleted",
			 (json_int_t)a->deleted, "unchanged", (json_int_t)a->unchanged, "changes",
			 a->changes ? a->changes : json_array(), "changes_dropped",
			 (json_int_t)a->changes_dropped, "errors", msgs_json(&a->errors), "notes",
			 msgs_json(&a->notes));
}

/* A JSON value as the diff shows it: strings bare, null as "none". */
static void print_value(const json_t *v, FILE *out)
{
	char *s;

	if (json_is_string(v)) {
		fprintf(out, "%s", json_string_value(v)[0] ? json_string_value(v) : "\"\"");
	} else if (json_is_null(v) || !v) {
		fputs("none", out);
	} else if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY))) {
		fputs(s, out);
		free(s);
	}
}

void config_apply_print(const json_t *result, FILE *out)
{
	const json_t *c, *m;
	size_t i;

	json_array_foreach(json_object_get(result, "changes"), i, c)
	{
		const char *op = json_string_value(json_object_get(c, "op"));
		const json_t *fields = json_object_get(c, "fields");
		const char *key, *sign = !op ? "?" : op[0] == 'c' ? "+" : op[0] == 'u' ? "~" : "-";
		json_t *f;
		bool first = true;

		fprintf(out, "%s %s %s", sign, json_string_value(json_object_get(c, "kind")),
			json_string_value(json_object_get(c, "key")));
		if (json_integer_value(json_object_get(c, "id")))
			fprintf(out, " (id %" JSON_INTEGER_FORMAT ")",
				json_integer_value(json_object_get(c, "id")));
		json_object_foreach((json_t *)fields, key, f)
		{
			fprintf(out, "%s%s ", first ? ": " : ", ", key);
			print_value(json_array_get(f, 0), out);
			fputs(" -> ", out);
			print_value(json_array_get(f, 1), out);
			first = false;
		}
		fputc('\n', out);
	}
	if (json_integer_value(json_object_get(result, "changes_dropped")))
		fprintf(out, "... and %" JSON_INTEGER_FORMAT " more changes\n",
			json_integer_value(json_object_get(result, "changes_dropped")));
	json_array_foreach(json_object_get(result, "notes"), i, m)
	    fprintf(out, "note: %s\n", json_string_value(m));
	fprintf(
	    out,
	    "%" JSON_INTEGER_FORMAT " created, %" JSON_INTEGER_FORMAT
	    " changed, %" JSON_INTEGER_FORMAT " deleted, %" JSON_INTEGER_FORMAT " unchanged%s\n",
	    json_integer_value(json_object_get(result, "created")),
	    json_integer_value(json_object_get(result, "updated")),
	    json_integer_value(json_object_get(result, "deleted")),
	    json_integer_value(json_object_get(result, "unchanged")),
	    json_is_true(json_object_get(result, "dry_run")) ? " (dry run: nothing written)" : "");
}
