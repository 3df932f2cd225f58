/* The replicated configuration read whole: its digest, a snapshot in chunks, the change log's pruning. */
#include "controller/core/snapshot-int.h"
#include "controller/model/model.h"
#include "controller/model/model_kind.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Both nodes must dump an object to the same bytes: compact, keys sorted. */
#define SNAPSHOT_JSON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)
#define DIGEST_MAGIC        "fulcrum digest 1\n"

const char *const snapshot_section_names[SNAPSHOT_SECTIONS] = {
    [SNAPSHOT_SERVICES] = "services", [SNAPSHOT_REALS] = "reals",   [SNAPSHOT_VIPS] = "vips",
    [SNAPSHOT_SWITCHES] = "switches", [SNAPSHOT_TOKENS] = "tokens", [SNAPSHOT_CHANGES] = "changes",
};

/*
 * One pass over the replicated rows, feeding either the digest (each item's
 * text and a newline into sha) or the chunk being written (buf).
 */
struct walk {
	struct db *db;
	bool writing;
	crypto_hash_sha256_state sha;
	enum snapshot_section section;
	char *buf; /* the chunk: {"type":"...","items":[ ... */
	size_t len, items;
	int64_t counts[SNAPSHOT_SECTIONS];
	snapshot_emit_fn emit;
	void *arg;
	const struct snapshot_tick *tick;
	size_t since_tick; /* objects since the last tick */
	char *err;
	size_t errlen;
};

static int walk_fail(struct walk *w, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int walk_fail(struct walk *w, int rc, const char *fmt, ...)
{
	va_list ap;

	if (w->errlen == 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(w->err, w->errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static int walk_db_fail(struct walk *w, int rc, const char *what)
{
	return walk_fail(w, rc, "snapshot: reading %s: %s", what, db_errmsg(w->db));
}

/* Hands the chunk in buf (when it holds items) to emit and starts an empty one. */
static int chunk_flush(struct walk *w)
{
	int rc;

	if (w->items == 0)
		return 0;
	memcpy(w->buf + w->len, "]}", 3);
	w->len += 2;
	rc = w->emit(w->buf, w->len, w->arg);
	w->len = 0;
	w->items = 0;
	return rc < 0 ? walk_fail(w, rc, "snapshot: the chunk was not sent (%s)", strerror(-rc))
		      : 0;
}

static int chunk_add(struct walk *w, const char *text, size_t len)
{
	int rc;

	/* room for the item, its comma and the closing "]}" and NUL */
	if (w->items > 0 &&
	    (w->items == SNAPSHOT_CHUNK_ITEMS || w->len + len + 4 > SNAPSHOT_CHUNK_MAX)) {
		rc = chunk_flush(w);
		if (rc != 0)
			return rc;
	}
	if (w->items == 0)
		w->len =
		    (size_t)snprintf(w->buf, SNAPSHOT_CHUNK_MAX, "{\"type\":\"%s\",\"items\":[",
				     snapshot_section_names[w->section]);
	if (w->len + len + 4 > SNAPSHOT_CHUNK_MAX)
		return walk_fail(w, -E2BIG, "snapshot: one of the %s is larger than a chunk",
				 snapshot_section_names[w->section]);
	if (w->items > 0)
		w->buf[w->len++] = ',';
	memcpy(w->buf + w->len, text, len);
	w->len += len;
	w->items++;
	return 0;
}

/* Takes one item's JSON (the reference too) into the digest or the chunk. */
static int walk_item(struct walk *w, json_t *j)
{
	char *text = j ? json_dumps(j, SNAPSHOT_JSON_FLAGS) : NULL;
	size_t len;
	int rc = 0;

	json_decref(j);
	if (!text)
		return walk_fail(w, -ENOMEM, "snapshot: one of the %s has no JSON form",
				 snapshot_section_names[w->section]);
	len = strlen(text);
	if (w->writing)
		rc = chunk_add(w, text, len);
	else {
		crypto_hash_sha256_update(&w->sha, (const unsigned char *)text, len);
		crypto_hash_sha256_update(&w->sha, (const unsigned char *)"\n", 1);
	}
	free(text);
	if (rc != 0)
		return rc;
	w->counts[w->section]++;
	if (w->tick && w->tick->fn && ++w->since_tick >= SNAPSHOT_TICK_ITEMS) {
		w->since_tick = 0;
		if ((rc = w->tick->fn(w->tick->arg)) < 0)
			return walk_fail(w, rc, "snapshot: stopped (%s)", strerror(-rc));
	}
	return 0;
}

static void walk_section(struct walk *w, enum snapshot_section section)
{
	char line[32];
	int n;

	w->section = section;
	if (w->writing)
		return;
	n = snprintf(line, sizeof(line), "section %s\n", snapshot_section_names[section]);
	crypto_hash_sha256_update(&w->sha, (const unsigned char *)line, (size_t)n);
}

static int vs_item(const struct fulcrum_vs *vs, void *arg)
{
	return walk_item(arg, model_kind(FULCRUM_KIND_VS)->to_json(vs));
}

static int rs_item(const struct fulcrum_rs *rs, void *arg)
{
	return walk_item(arg, model_kind(FULCRUM_KIND_RS)->to_json(rs));
}

static int vip_item(const struct fulcrum_vip *vip, void *arg)
{
	return walk_item(arg, model_kind(FULCRUM_KIND_VIP)->to_json(vip));
}

static int token_item(const struct db_token *t, void *arg)
{
	return walk_item(arg, json_pack("{sI ss ss ss sI}", "id", (json_int_t)t->id, "name",
					t->name, "role", t->role, "hash", t->hash, "created",
					(json_int_t)t->created));
}

static int change_item(const struct fulcrum_change *c, int64_t seq, void *arg)
{
	return walk_item(arg, json_pack("{sI sI sI ss ss ss sI so? so?}", "revision",
					(json_int_t)c->revision, "seq", (json_int_t)seq, "time",
					(json_int_t)c->time, "actor", c->actor, "origin",
					model_origin_name(c->origin), "object_type", c->object_type,
					"object_id", (json_int_t)c->object_id, "before",
					c->before ? json_string(c->before) : NULL, "after",
					c->after ? json_string(c->after) : NULL));
}

/* The switches in name order: the same on every node whatever the enum's order. */
static int switches_walk(struct walk *w)
{
	bool on[COMMAND_NOTIFY_COUNT];
	bool done[COMMAND_NOTIFY_COUNT] = {false};
	int rc = db_notify_get(w->db, on);

	if (rc != 0)
		return walk_db_fail(w, rc, "the notification switches");
	for (size_t k = 0; k < COMMAND_NOTIFY_COUNT && rc == 0; k++) {
		size_t best = COMMAND_NOTIFY_COUNT;

		for (size_t i = 0; i < COMMAND_NOTIFY_COUNT; i++)
			if (!done[i] && (best == COMMAND_NOTIFY_COUNT ||
					 strcmp(db_notify_name(i), db_notify_name(best)) < 0))
				best = i;
		done[best] = true;
		rc = walk_item(
		    w, json_pack("{ss sb}", "name", db_notify_name(best), "enabled", on[best]));
	}
	return rc;
}

/* Ends the section being walked (a chunk it left goes out) and starts next. */
static int walk_next(struct walk *w, enum snapshot_section next)
{
	int rc = w->writing ? chunk_flush(w) : 0;

	if (rc == 0)
		walk_section(w, next);
	return rc;
}

/* Every section but the change log, then the change log when with_changes. */
static int walk_rows(struct walk *w, bool with_changes)
{
	int rc;

	walk_section(w, SNAPSHOT_SERVICES);
	rc = db_vs_each(w->db, vs_item, w);
	if (rc == 0 && (rc = walk_next(w, SNAPSHOT_REALS)) == 0)
		rc = db_rs_each(w->db, 0, rs_item, w);
	if (rc == 0 && (rc = walk_next(w, SNAPSHOT_VIPS)) == 0)
		rc = db_vip_each(w->db, vip_item, w);
	if (rc == 0 && (rc = walk_next(w, SNAPSHOT_SWITCHES)) == 0)
		rc = switches_walk(w);
	if (rc == 0 && (rc = walk_next(w, SNAPSHOT_TOKENS)) == 0)
		rc = db_token_each(w->db, token_item, w);
	if (rc == 0 && with_changes && (rc = walk_next(w, SNAPSHOT_CHANGES)) == 0)
		rc = db_change_each(w->db, change_item, w);
	if (rc == 0 && w->writing)
		rc = chunk_flush(w);
	/* an error of a callback has its message already; one of SQLite's has not */
	if (rc != 0 && w->errlen && !*w->err)
		walk_db_fail(w, rc, snapshot_section_names[w->section]);
	return rc;
}

int snapshot_digest_in(struct db *db, const struct snapshot_tick *tick, int64_t *revision,
		       unsigned char out[SNAPSHOT_DIGEST_SIZE], char *err, size_t errlen)
{
	struct walk w = {.db = db, .tick = tick, .err = err, .errlen = errlen};
	struct db_next_ids ids;
	char line[160];
	int64_t rev = db_revision(db);
	int rc = rev < 0 ? (int)rev : db_next_ids_get(db, &ids);
	int n;

	if (errlen)
		*err = '\0';
	if (rc != 0)
		return walk_db_fail(&w, rc, "the revision and the next ids");
	crypto_hash_sha256_init(&w.sha);
	crypto_hash_sha256_update(&w.sha, (const unsigned char *)DIGEST_MAGIC,
				  sizeof(DIGEST_MAGIC) - 1);
	n = snprintf(line, sizeof(line), "revision %lld\nnext %lld %lld %lld %lld\n",
		     (long long)rev, (long long)ids.vs, (long long)ids.rs, (long long)ids.vip,
		     (long long)ids.token);
	crypto_hash_sha256_update(&w.sha, (const unsigned char *)line, (size_t)n);
	rc = walk_rows(&w, false);
	if (rc != 0)
		return rc;
	crypto_hash_sha256_final(&w.sha, out);
	if (revision)
		*revision = rev;
	return 0;
}

int snapshot_digest(struct db *db, const struct snapshot_tick *tick, int64_t *revision,
		    unsigned char out[SNAPSHOT_DIGEST_SIZE], char *err, size_t errlen)
{
	int rc = db_read_begin(db);

	if (rc != 0) {
		snprintf(err, errlen, "snapshot: cannot open a read transaction: %s",
			 db_errmsg(db));
		return rc;
	}
	rc = snapshot_digest_in(db, tick, revision, out, err, errlen);
	db_read_end(db);
	return rc;
}

void snapshot_digest_hex(const unsigned char d[SNAPSHOT_DIGEST_SIZE], char out[65])
{
	sodium_bin2hex(out, 65, d, SNAPSHOT_DIGEST_SIZE);
}

/* The header chunk: what the standby checks first and the digest it checks last. */
static int header_emit(struct walk *w, int64_t rev, const unsigned char d[SNAPSHOT_DIGEST_SIZE])
{
	struct db_next_ids ids;
	char hex[65], *text;
	json_t *j;
	int rc = db_next_ids_get(w->db, &ids);

	if (rc != 0)
		return walk_db_fail(w, rc, "the next ids");
	snapshot_digest_hex(d, hex);
	j = json_pack("{ss si si sI s{sI sI sI sI} ss}", "type", "header", "format",
		      SNAPSHOT_FORMAT, "schema", db_schema_version(), "revision", (json_int_t)rev,
		      "next_ids", "service", (json_int_t)ids.vs, "real", (json_int_t)ids.rs, "vip",
		      (json_int_t)ids.vip, "token", (json_int_t)ids.token, "digest", hex);
	text = j ? json_dumps(j, SNAPSHOT_JSON_FLAGS) : NULL;
	json_decref(j);
	if (!text)
		return walk_fail(w, -ENOMEM, "snapshot: out of memory writing the header");
	rc = w->emit(text, strlen(text), w->arg);
	free(text);
	return rc < 0 ? walk_fail(w, rc, "snapshot: the header was not sent (%s)", strerror(-rc))
		      : 0;
}

static int end_emit(struct walk *w)
{
	json_t *counts = json_object(), *j;
	char *text;
	int rc;

	for (size_t i = 0; counts && i < SNAPSHOT_SECTIONS; i++)
		json_object_set_new(counts, snapshot_section_names[i],
				    json_integer((json_int_t)w->counts[i]));
	j = json_pack("{ss so}", "type", "end", "counts", counts);
	text = j ? json_dumps(j, SNAPSHOT_JSON_FLAGS) : NULL;
	json_decref(j);
	if (!text)
		return walk_fail(w, -ENOMEM, "snapshot: out of memory writing the end");
	rc = w->emit(text, strlen(text), w->arg);
	free(text);
	return rc < 0 ? walk_fail(w, rc, "snapshot: the end was not sent (%s)", strerror(-rc)) : 0;
}

int snapshot_write(struct db *db, snapshot_emit_fn emit, void *arg,
		   const struct snapshot_tick *tick, int64_t *revision, char *err, size_t errlen)
{
	struct walk w = {.db = db,
			 .writing = true,
			 .emit = emit,
			 .arg = arg,
			 .tick = tick,
			 .err = err,
			 .errlen = errlen};
	unsigned char d[SNAPSHOT_DIGEST_SIZE];
	int64_t rev = 0;
	int rc;

	if (errlen)
		*err = '\0';
	w.buf = malloc(SNAPSHOT_CHUNK_MAX);
	if (!w.buf)
		return walk_fail(&w, -ENOMEM, "snapshot: out of memory for a chunk");
	rc = db_read_begin(db);
	if (rc != 0) {
		walk_db_fail(&w, rc, "the database (no read transaction)");
		goto out;
	}
	rc = snapshot_digest_in(db, tick, &rev, d, err, errlen);
	if (rc == 0)
		rc = header_emit(&w, rev, d);
	if (rc == 0)
		rc = walk_rows(&w, true);
	if (rc == 0)
		rc = end_emit(&w);
	db_read_end(db);
	if (rc == 0 && revision)
		*revision = rev;
out:
	free(w.buf);
	w.buf = NULL;
	return rc;
}

int snapshot_log_covers(struct db *db, int64_t from, bool *covers, int64_t *revision, char *err,
			size_t errlen)
{
	int64_t rev, oldest = 0;
	int rc = db_read_begin(db);

	if (rc == 0) {
		rev = db_revision(db);
		rc = rev < 0 ? (int)rev : db_change_oldest(db, &oldest);
		db_read_end(db);
	}
	if (rc != 0) {
		snprintf(err, errlen, "change log: cannot read it: %s", db_errmsg(db));
		return rc;
	}
	*covers = from == rev || (from >= 0 && from < rev && oldest > 0 && oldest <= from + 1);
	if (revision)
		*revision = rev;
	return 0;
}

int snapshot_prune(struct db *db, unsigned long retention, int64_t *deleted, char *err,
		   size_t errlen)
{
	int64_t rev;
	int rc;

	if (deleted)
		*deleted = 0;
	if (retention == 0)
		return 0;
	rev = db_revision(db);
	if (rev < 0) {
		snprintf(err, errlen, "change log: cannot read the revision: %s", db_errmsg(db));
		return (int)rev;
	}
	if ((uint64_t)rev <= retention)
		return 0;
	rc = db_change_prune(db, rev - (int64_t)retention + 1, deleted);
	if (rc != 0)
		snprintf(err, errlen, "change log: cannot prune below revision %lld: %s",
			 (long long)(rev - (int64_t)retention + 1), db_errmsg(db));
	return rc;
}
