/* A snapshot applied: hostile chunks checked through the model, one transaction, the digest at the end. */
#include "controller/core/snapshot-int.h"
#include "controller/model/model.h"
#include "controller/model/model_json.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct snapshot_apply {
	struct db *db;
	bool header, end, failed;
	int section;    /* the last section a chunk had; -1 before any */
	unsigned chunk; /* chunks taken, the header is 1 */
	int64_t revision;
	struct db_next_ids next;
	unsigned char digest[SNAPSHOT_DIGEST_SIZE];
	int64_t counts[SNAPSHOT_SECTIONS];
	int64_t last_id[SNAPSHOT_SECTIONS]; /* for ids in increasing order */
	int64_t last_seq;                   /* with last_id[CHANGES], the revision */
	int last_switch;                    /* index of the last switch's name, -1 none */
	struct fulcrum_vs owner;            /* the service of the last real server */
	struct snapshot_tick tick;          /* snapshot_apply_begin()'s; fn NULL: none */
	size_t since_tick;                  /* objects taken since the last tick */
	char *err;
	size_t errlen;
};

static int apply_fail(struct snapshot_apply *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records why chunk s->chunk failed ("snapshot: chunk 3: ...") and refuses the rest. */
static int apply_fail(struct snapshot_apply *s, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	s->failed = true;
	if (s->errlen == 0)
		return rc;
	n = snprintf(s->err, s->errlen, "snapshot: chunk %u: ", s->chunk);
	if (n < 0 || (size_t)n >= s->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

/* Whether o has no member but those of keys (NULL-terminated); *bad names the first other. */
static bool members_known(const json_t *o, const char *const *keys, const char **bad)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v)
	{
		size_t i = 0;

		(void)v;
		while (keys[i] && strcmp(keys[i], k) != 0)
			i++;
		if (!keys[i]) {
			*bad = k;
			return false;
		}
	}
	return true;
}

/* Member key of o as an integer within min..max; what names o in the message. */
static int get_int(struct snapshot_apply *s, const json_t *o, const char *what, const char *key,
		   int64_t min, int64_t max, int64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		return apply_fail(s, -EINVAL, "%s: \"%s\" is missing", what, key);
	if (!json_is_integer(v))
		return apply_fail(s, -EINVAL, "%s: \"%s\" must be an integer", what, key);
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return apply_fail(s, -EINVAL, "%s: \"%s\" %lld is outside %lld..%lld", what, key,
				  (long long)json_integer_value(v), (long long)min, (long long)max);
	*out = json_integer_value(v);
	return 0;
}

/* Member key of o as a string of at most max bytes, copied into out (max + 1 bytes). */
static int get_text(struct snapshot_apply *s, const json_t *o, const char *what, const char *key,
		    size_t max, char *out)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		return apply_fail(s, -EINVAL, "%s: \"%s\" is missing", what, key);
	if (!json_is_string(v))
		return apply_fail(s, -EINVAL, "%s: \"%s\" must be a string", what, key);
	if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v))
		return apply_fail(s, -EINVAL, "%s: \"%s\" is longer than %zu bytes or holds a NUL",
				  what, key, max);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int header_take(struct snapshot_apply *s, const json_t *j)
{
	static const char *const keys[] = {"type",     "format", "schema", "revision",
					   "next_ids", "digest", NULL};
	static const char *const id_keys[] = {"service", "real", "vip", "token", NULL};
	const json_t *ids = json_object_get(j, "next_ids");
	int64_t format, schema;
	const char *bad;
	char hex[65];
	size_t bin_len = 0;
	int rc;

	if (!members_known(j, keys, &bad))
		return apply_fail(s, -EINVAL, "header: unknown member \"%s\"", bad);
	rc = get_int(s, j, "header", "format", 0, INT64_MAX, &format);
	if (rc == 0 && format != SNAPSHOT_FORMAT)
		return apply_fail(s, -EINVAL, "header: format %lld, this Fulcrum reads format %d",
				  (long long)format, SNAPSHOT_FORMAT);
	if (rc == 0)
		rc = get_int(s, j, "header", "schema", 0, INT64_MAX, &schema);
	if (rc == 0 && schema != db_schema_version())
		return apply_fail(s, -EINVAL,
				  "header: schema version %lld, this Fulcrum's is %d: run the "
				  "same version on both directors",
				  (long long)schema, db_schema_version());
	if (rc == 0)
		rc = get_int(s, j, "header", "revision", 0, INT64_MAX, &s->revision);
	if (rc != 0)
		return rc;
	if (!json_is_object(ids))
		return apply_fail(s, -EINVAL, "header: \"next_ids\" must be an object");
	if (!members_known(ids, id_keys, &bad))
		return apply_fail(s, -EINVAL, "header: unknown member \"next_ids.%s\"", bad);
	rc = get_int(s, ids, "header next_ids", "service", 1, INT64_MAX, &s->next.vs);
	if (rc == 0)
		rc = get_int(s, ids, "header next_ids", "real", 1, INT64_MAX, &s->next.rs);
	if (rc == 0)
		rc = get_int(s, ids, "header next_ids", "vip", 1, INT64_MAX, &s->next.vip);
	if (rc == 0)
		rc = get_int(s, ids, "header next_ids", "token", 1, INT64_MAX, &s->next.token);
	if (rc == 0)
		rc = get_text(s, j, "header", "digest", 64, hex);
	if (rc != 0)
		return rc;
	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64 ||
	    sodium_hex2bin(s->digest, sizeof(s->digest), hex, 64, NULL, &bin_len, NULL) != 0 ||
	    bin_len != sizeof(s->digest))
		return apply_fail(s, -EINVAL, "header: \"digest\" must be 64 lowercase hex digits");
	s->header = true;
	return 0;
}

/* An item's id: an integer above the section's last and below its next id. */
static int item_id(struct snapshot_apply *s, const json_t *item, enum snapshot_section sec,
		   int64_t next, int64_t *id)
{
	char what[48];
	int rc;

	snprintf(what, sizeof(what), "%s item %lld", snapshot_section_names[sec],
		 (long long)s->counts[sec] + 1);
	rc = get_int(s, item, what, "id", 1, INT64_MAX, id);
	if (rc != 0)
		return rc;
	if (*id <= s->last_id[sec])
		return apply_fail(s, -EINVAL,
				  "%s: id %lld does not follow id %lld (ids must increase)", what,
				  (long long)*id, (long long)s->last_id[sec]);
	if (*id >= next)
		return apply_fail(s, -EINVAL, "%s: id %lld is not below the header's next id %lld",
				  what, (long long)*id, (long long)next);
	s->last_id[sec] = *id;
	return 0;
}

static int db_refused(struct snapshot_apply *s, int rc, const char *what, int64_t id)
{
	return apply_fail(s, rc, "%s %lld: the database refuses it: %s", what, (long long)id,
			  db_errmsg(s->db));
}

static int service_take(struct snapshot_apply *s, const json_t *item)
{
	struct fulcrum_err e;
	struct fulcrum_vs vs;
	int64_t id;
	int rc = item_id(s, item, SNAPSHOT_SERVICES, s->next.vs, &id);

	if (rc != 0)
		return rc;
	model_vs_init(&vs);
	vs.id = id;
	if (model_vs_from_json(item, &vs, &e) != 0 || model_vs_validate(&vs, &e) != 0)
		return apply_fail(s, -EINVAL, "service %lld: %s", (long long)id, e.message);
	rc = db_vs_insert(s->db, &vs);
	return rc ? db_refused(s, rc, "service", id) : 0;
}

static int real_take(struct snapshot_apply *s, const json_t *item)
{
	struct fulcrum_err e;
	struct fulcrum_rs rs;
	int64_t id = 0, vs_id;
	char what[48];
	int rc = item_id(s, item, SNAPSHOT_REALS, s->next.rs, &id);

	snprintf(what, sizeof(what), "real server %lld", (long long)id);
	if (rc == 0)
		rc = get_int(s, item, what, "service_id", 1, INT64_MAX, &vs_id);
	if (rc != 0)
		return rc;
	if (s->owner.id != vs_id && db_vs_get(s->db, vs_id, &s->owner) != 0) {
		s->owner.id = 0;
		return apply_fail(s, -ENOENT, "%s: service %lld is not in the snapshot", what,
				  (long long)vs_id);
	}
	model_rs_init(&rs);
	rs.id = id;
	rs.vs_id = vs_id;
	if (model_rs_from_json(item, &rs, &e) != 0 || model_rs_validate(&rs, &s->owner, &e) != 0)
		return apply_fail(s, -EINVAL, "%s: %s", what, e.message);
	rc = db_rs_insert(s->db, &rs);
	return rc ? db_refused(s, rc, "real server", id) : 0;
}

static int vip_take(struct snapshot_apply *s, const json_t *item)
{
	struct fulcrum_vip vip;
	struct fulcrum_err e;
	int64_t id;
	int rc = item_id(s, item, SNAPSHOT_VIPS, s->next.vip, &id);

	if (rc != 0)
		return rc;
	model_vip_init(&vip);
	vip.id = id;
	if (model_vip_from_json(item, &vip, &e) != 0 || model_vip_validate(&vip, &e) != 0)
		return apply_fail(s, -EINVAL, "VIP %lld: %s", (long long)id, e.message);
	rc = db_vip_insert(s->db, &vip);
	return rc ? db_refused(s, rc, "VIP", id) : 0;
}

static int switch_take(struct snapshot_apply *s, const json_t *item)
{
	static const char *const keys[] = {"name", "enabled", NULL};
	const json_t *on = json_object_get(item, "enabled");
	enum command_notify which;
	const char *bad;
	char name[32];
	int rc;

	if (!members_known(item, keys, &bad))
		return apply_fail(s, -EINVAL, "switch: unknown member \"%s\"", bad);
	rc = get_text(s, item, "switch", "name", sizeof(name) - 1, name);
	if (rc != 0)
		return rc;
	if (db_notify_parse(name, &which) != 0)
		return apply_fail(s, -EINVAL, "switch \"%s\": not a notification switch", name);
	if (s->last_switch >= 0 && strcmp(name, db_notify_name(s->last_switch)) <= 0)
		return apply_fail(s, -EINVAL, "switch \"%s\": switches must come in name order",
				  name);
	if (!json_is_boolean(on))
		return apply_fail(s, -EINVAL, "switch \"%s\": \"enabled\" must be true or false",
				  name);
	s->last_switch = (int)which;
	rc = db_notify_set(s->db, which, json_is_true(on));
	return rc ? apply_fail(s, rc, "switch \"%s\": %s", name, db_errmsg(s->db)) : 0;
}

static int token_take(struct snapshot_apply *s, const json_t *item)
{
	static const char *const keys[] = {"id", "name", "role", "hash", "created", NULL};
	struct db_token t = {0};
	const char *bad;
	char what[32];
	int rc = item_id(s, item, SNAPSHOT_TOKENS, s->next.token, &t.id);

	if (rc != 0)
		return rc;
	snprintf(what, sizeof(what), "token %lld", (long long)t.id);
	if (!members_known(item, keys, &bad))
		return apply_fail(s, -EINVAL, "%s: unknown member \"%s\"", what, bad);
	rc = get_text(s, item, what, "name", sizeof(t.name) - 1, t.name);
	if (rc == 0)
		rc = get_text(s, item, what, "role", sizeof(t.role) - 1, t.role);
	if (rc == 0)
		rc = get_text(s, item, what, "hash", sizeof(t.hash) - 1, t.hash);
	if (rc == 0)
		rc = get_int(s, item, what, "created", INT64_MIN, INT64_MAX, &t.created);
	if (rc != 0)
		return rc;
	if (!*t.name || strspn(t.name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789._@-") != strlen(t.name))
		return apply_fail(s, -EINVAL, "%s: \"name\" must be 1 to 64 of A-Z a-z 0-9 . _ @ -",
				  what);
	if (strcmp(t.role, "viewer") != 0 && strcmp(t.role, "operator") != 0 &&
	    strcmp(t.role, "admin") != 0)
		return apply_fail(s, -EINVAL, "%s: \"role\" must be viewer, operator or admin",
				  what);
	if (strlen(t.hash) != 64 || strspn(t.hash, "0123456789abcdef") != 64)
		return apply_fail(s, -EINVAL, "%s: \"hash\" must be 64 lowercase hex digits", what);
	rc = db_token_insert(s->db, &t);
	return rc ? db_refused(s, rc, "token", t.id) : 0;
}

/* A change's before or after: null, or the text of a JSON object. */
static int change_json(struct snapshot_apply *s, const json_t *item, const char *what,
		       const char *key, const char **out)
{
	const json_t *v = json_object_get(item, key);
	json_t *parsed;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return apply_fail(s, -EINVAL, "%s: \"%s\" must be JSON text or null", what, key);
	parsed =
	    json_loadb(json_string_value(v), json_string_length(v), JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(parsed)) {
		json_decref(parsed);
		return apply_fail(s, -EINVAL, "%s: \"%s\" is not a JSON object", what, key);
	}
	json_decref(parsed);
	*out = json_string_value(v);
	return 0;
}

static int change_take(struct snapshot_apply *s, const json_t *item)
{
	static const char *const keys[] = {"revision",    "seq",       "time",   "actor", "origin",
					   "object_type", "object_id", "before", "after", NULL};
	struct fulcrum_change c = {0};
	enum fulcrum_kind kind;
	const char *bad, *before, *after;
	int64_t seq;
	char what[64];
	int rc;

	snprintf(what, sizeof(what), "change %lld", (long long)s->counts[SNAPSHOT_CHANGES] + 1);
	if (!members_known(item, keys, &bad))
		return apply_fail(s, -EINVAL, "%s: unknown member \"%s\"", what, bad);
	rc = get_int(s, item, what, "revision", 1, s->revision, &c.revision);
	if (rc == 0)
		rc = get_int(s, item, what, "seq", 1, INT64_MAX, &seq);
	if (rc != 0)
		return rc;
	if (c.revision < s->last_id[SNAPSHOT_CHANGES] ||
	    (c.revision == s->last_id[SNAPSHOT_CHANGES] && seq <= s->last_seq))
		return apply_fail(s, -EINVAL, "%s: revision %lld seq %lld is out of order", what,
				  (long long)c.revision, (long long)seq);
	s->last_id[SNAPSHOT_CHANGES] = c.revision;
	s->last_seq = seq;
	rc = get_int(s, item, what, "time", INT64_MIN, INT64_MAX, &c.time);
	if (rc == 0)
		rc = get_text(s, item, what, "actor", sizeof(c.actor) - 1, c.actor);
	if (rc == 0)
		rc = get_text(s, item, what, "object_type", sizeof(c.object_type) - 1,
			      c.object_type);
	if (rc == 0)
		rc = get_int(s, item, what, "object_id", 1, INT64_MAX, &c.object_id);
	if (rc != 0)
		return rc;
	if (!json_is_string(json_object_get(item, "origin")) ||
	    model_origin_parse(json_string_value(json_object_get(item, "origin")), &c.origin) != 0)
		return apply_fail(s, -EINVAL, "%s: \"origin\" is not an origin", what);
	if (model_kind_parse(c.object_type, &kind) != 0)
		return apply_fail(s, -EINVAL, "%s: \"object_type\" \"%s\" is not a kind of object",
				  what, c.object_type);
	rc = change_json(s, item, what, "before", &before);
	if (rc == 0)
		rc = change_json(s, item, what, "after", &after);
	if (rc != 0)
		return rc;
	if (!before && !after)
		return apply_fail(s, -EINVAL, "%s: \"before\" and \"after\" are both null", what);
	c.before = (char *)before; /* read only: db_change_insert() binds them */
	c.after = (char *)after;
	rc = db_change_insert(s->db, &c, seq);
	return rc ? apply_fail(s, rc, "%s: the database refuses it: %s", what, db_errmsg(s->db))
		  : 0;
}

static int (*const takers[SNAPSHOT_SECTIONS])(struct snapshot_apply *, const json_t *) = {
    [SNAPSHOT_SERVICES] = service_take, [SNAPSHOT_REALS] = real_take,
    [SNAPSHOT_VIPS] = vip_take,         [SNAPSHOT_SWITCHES] = switch_take,
    [SNAPSHOT_TOKENS] = token_take,     [SNAPSHOT_CHANGES] = change_take,
};

static int section_take(struct snapshot_apply *s, int sec, const json_t *j)
{
	static const char *const keys[] = {"type", "items", NULL};
	const json_t *items = json_object_get(j, "items");
	const char *bad;
	size_t i;
	json_t *item;

	if (!members_known(j, keys, &bad))
		return apply_fail(s, -EINVAL, "%s: unknown member \"%s\"",
				  snapshot_section_names[sec], bad);
	if (sec < s->section)
		return apply_fail(s, -EINVAL, "%s after %s: sections out of order",
				  snapshot_section_names[sec], snapshot_section_names[s->section]);
	if (!json_is_array(items) || json_array_size(items) == 0 ||
	    json_array_size(items) > SNAPSHOT_CHUNK_ITEMS)
		return apply_fail(s, -EINVAL, "%s: \"items\" must be an array of 1 to %d objects",
				  snapshot_section_names[sec], SNAPSHOT_CHUNK_ITEMS);
	s->section = sec;
	json_array_foreach(items, i, item)
	{
		int rc;

		if (!json_is_object(item))
			return apply_fail(s, -EINVAL, "%s item %lld: not an object",
					  snapshot_section_names[sec],
					  (long long)s->counts[sec] + 1);
		rc = takers[sec](s, item);
		if (rc != 0)
			return rc;
		s->counts[sec]++;
		if (s->tick.fn && ++s->since_tick >= SNAPSHOT_TICK_ITEMS) {
			s->since_tick = 0;
			if ((rc = s->tick.fn(s->tick.arg)) < 0)
				return apply_fail(s, rc, "stopped (%s)", strerror(-rc));
		}
	}
	return 0;
}

static int end_take(struct snapshot_apply *s, const json_t *j)
{
	static const char *const keys[] = {"type", "counts", NULL};
	static const char *const count_keys[] = {"services", "reals",   "vips", "switches",
						 "tokens",   "changes", NULL};
	const json_t *counts = json_object_get(j, "counts");
	const char *bad;

	if (!members_known(j, keys, &bad))
		return apply_fail(s, -EINVAL, "end: unknown member \"%s\"", bad);
	if (!json_is_object(counts) || !members_known(counts, count_keys, &bad))
		return apply_fail(s, -EINVAL, "end: \"counts\" must be an object of the sections");
	for (int i = 0; i < SNAPSHOT_SECTIONS; i++) {
		int64_t n;
		int rc =
		    get_int(s, counts, "end counts", snapshot_section_names[i], 0, INT64_MAX, &n);

		if (rc != 0)
			return rc;
		if (n != s->counts[i])
			return apply_fail(s, -EINVAL,
					  "end: the snapshot had %lld %s, %lld arrived (a chunk "
					  "is missing)",
					  (long long)n, snapshot_section_names[i],
					  (long long)s->counts[i]);
	}
	s->end = true;
	return 0;
}

int snapshot_apply_chunk(struct snapshot_apply *s, const char *json, size_t len, char *err,
			 size_t errlen)
{
	json_error_t jerr;
	const char *type;
	json_t *j;
	int rc;

	s->err = err;
	s->errlen = errlen;
	if (errlen)
		*err = '\0';
	s->chunk++;
	if (s->failed)
		return apply_fail(s, -EINVAL, "an earlier chunk failed: abort the snapshot");
	if (s->end)
		return apply_fail(s, -EINVAL, "a chunk after the end");
	if (len > SNAPSHOT_CHUNK_MAX)
		return apply_fail(s, -E2BIG, "%zu bytes, more than a chunk's %d", len,
				  SNAPSHOT_CHUNK_MAX);
	j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return apply_fail(s, -EINVAL, "not JSON: %s at byte %d", jerr.text, jerr.position);
	type = json_string_value(json_object_get(j, "type"));
	if (!json_is_object(j) || !type) {
		rc = apply_fail(s, -EINVAL, "not an object with a \"type\"");
	} else if (strcmp(type, "header") == 0) {
		rc = s->header ? apply_fail(s, -EINVAL, "a second header") : header_take(s, j);
	} else if (!s->header) {
		rc = apply_fail(s, -EINVAL, "\"%.32s\" before the header", type);
	} else if (strcmp(type, "end") == 0) {
		rc = end_take(s, j);
	} else {
		int sec = 0;

		while (sec < SNAPSHOT_SECTIONS && strcmp(type, snapshot_section_names[sec]) != 0)
			sec++;
		rc = sec < SNAPSHOT_SECTIONS
			 ? section_take(s, sec, j)
			 : apply_fail(s, -EINVAL, "unknown type \"%.32s\"", type);
	}
	json_decref(j);
	return rc;
}

int snapshot_apply_begin(struct db *db, const struct snapshot_tick *tick,
			 struct snapshot_apply **out, char *err, size_t errlen)
{
	struct snapshot_apply *s;
	int rc;

	*out = NULL;
	if (db_in_transaction(db)) {
		snprintf(err, errlen, "snapshot: a transaction is already open");
		return -EBUSY;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "snapshot: out of memory");
		return -ENOMEM;
	}
	s->db = db;
	if (tick)
		s->tick = *tick;
	s->section = -1;
	s->last_switch = -1;
	rc = db_begin(db);
	if (rc == 0)
		rc = db_replicated_clear(db);
	if (rc != 0) {
		snprintf(err, errlen, "snapshot: cannot clear the configuration: %s",
			 db_errmsg(db));
		snapshot_apply_abort(s);
		return rc;
	}
	*out = s;
	return 0;
}

int snapshot_apply_end(struct snapshot_apply *s, int64_t *revision, char *err, size_t errlen)
{
	unsigned char d[SNAPSHOT_DIGEST_SIZE];
	char want[65], got[65];
	int rc;

	s->err = err;
	s->errlen = errlen;
	if (s->failed) {
		rc = -EINVAL;
		snprintf(err, errlen, "snapshot: a chunk failed: nothing was changed");
	} else if (!s->end) {
		rc = -EINVAL;
		snprintf(err, errlen,
			 "snapshot: no end marker after %u chunks (truncated): "
			 "nothing was changed",
			 s->chunk);
	} else if ((rc = db_next_ids_set(s->db, &s->next)) != 0 ||
		   (rc = db_revision_set(s->db, s->revision)) != 0) {
		snprintf(err, errlen, "snapshot: header: %s", db_errmsg(s->db));
	} else if ((rc = snapshot_digest_in(s->db, s->tick.fn ? &s->tick : NULL, NULL, d, err,
					    errlen)) != 0) {
		/* err says why */
	} else if (sodium_memcmp(d, s->digest, sizeof(d)) != 0) {
		snapshot_digest_hex(s->digest, want);
		snapshot_digest_hex(d, got);
		snprintf(err, errlen,
			 "snapshot: digest mismatch: the header says %s, what was written has %s: "
			 "nothing was changed",
			 want, got);
		rc = -EBADMSG;
	} else if ((rc = db_commit(s->db)) != 0) {
		snprintf(err, errlen, "snapshot: cannot commit: %s", db_errmsg(s->db));
	}
	if (rc == 0 && revision)
		*revision = s->revision;
	snapshot_apply_abort(s); /* after a commit the rollback is a no-op */
	return rc;
}

void snapshot_apply_abort(struct snapshot_apply *s)
{
	if (!s)
		return;
	db_rollback(s->db);
	free(s);
}
