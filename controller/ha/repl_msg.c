/* Replication's messages: framing, the revision message both ways, the history hash. */
#include "controller/ha/repl_msg.h"

#include "controller/model/model.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS_MAX 1000000

long repl_frame_len(const unsigned char hdr[REPL_HEADER])
{
	uint32_t len =
	    (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];

	return len == 0 || len > REPL_FRAME_MAX ? -1 : (long)len;
}

void repl_frame_hdr(unsigned char hdr[REPL_HEADER], size_t len)
{
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
}

json_t *repl_msg_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

	if (!m) {
		snprintf(err, errlen, "a message that is not JSON (%s at byte %d)", je.text,
			 je.position);
		return NULL;
	}
	if (!json_is_object(m) || !json_is_string(json_object_get(m, "t"))) {
		snprintf(err, errlen, "a message that is not an object with a type \"t\"");
		json_decref(m);
		return NULL;
	}
	return m;
}

const char *repl_msg_type(const json_t *m)
{
	return json_string_value(json_object_get(m, "t"));
}

int repl_msg_int(const json_t *m, const char *key, int64_t min, int64_t max, int64_t *out,
		 char *err, size_t errlen)
{
	const json_t *v = json_object_get(m, key);

	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, errlen, "%s %s: not an integer in %" PRId64 "..%" PRId64,
			 repl_msg_type(m) ? repl_msg_type(m) : "message", key, min, max);
		return -EBADMSG;
	}
	*out = json_integer_value(v);
	return 0;
}

int repl_msg_str(const json_t *m, const char *key, char *buf, size_t size, char *err, size_t errlen)
{
	const json_t *v = json_object_get(m, key);

	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(err, errlen, "%s %s: not a string of at most %zu bytes",
			 repl_msg_type(m) ? repl_msg_type(m) : "message", key, size - 1);
		return -EBADMSG;
	}
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* A change-log text as a JSON value: a string, or null for none. */
static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *repl_rev_encode(const struct command_replay *r)
{
	json_t *m, *rows = json_array();

	if (!rows)
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		const struct fulcrum_change *c = &r->changes[i];

		if (json_array_append_new(
			rows, json_pack("{s:s, s:I, s:o, s:o}", "type", c->object_type, "id",
					(json_int_t)c->object_id, "before", text_or_null(c->before),
					"after", text_or_null(c->after))) != 0) {
			json_decref(rows);
			return NULL;
		}
	}
	m = json_pack("{s:s, s:I, s:I, s:s, s:s, s:o}", "t", "rev", "revision",
		      (json_int_t)r->revision, "time", (json_int_t)r->time, "actor", r->actor,
		      "origin", model_origin_name(r->origin), "changes", rows);
	return m;
}

void repl_rev_free(struct fulcrum_change *rows, size_t n)
{
	fulcrum_change_list_free(rows, n);
}

/* A before or after: a string (copied into *out) or null (NULL); anything else is refused. */
static int text_of(const json_t *v, char **out)
{
	*out = NULL;
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return -EBADMSG;
	*out = strdup(json_string_value(v));
	return *out ? 0 : -ENOMEM;
}

static int row_decode(const json_t *j, const struct command_replay *r, struct fulcrum_change *c,
		      size_t i, char *err, size_t errlen)
{
	const json_t *type = json_object_get(j, "type"), *id = json_object_get(j, "id");

	if (!json_is_object(j) || !json_is_string(type) ||
	    json_string_length(type) >= sizeof(c->object_type) || json_string_length(type) == 0 ||
	    !json_is_integer(id) || json_integer_value(id) <= 0) {
		snprintf(err, errlen, "rev %" PRId64 " change %zu: a type and an id above 0 needed",
			 r->revision, i + 1);
		return -EBADMSG;
	}
	memcpy(c->object_type, json_string_value(type), json_string_length(type) + 1);
	c->object_id = json_integer_value(id);
	c->revision = r->revision;
	c->time = r->time;
	c->origin = r->origin;
	snprintf(c->actor, sizeof(c->actor), "%s", r->actor);
	if (text_of(json_object_get(j, "before"), &c->before) != 0 ||
	    text_of(json_object_get(j, "after"), &c->after) != 0 || (!c->before && !c->after)) {
		snprintf(err, errlen,
			 "rev %" PRId64 " change %zu: before and after are strings or null, "
			 "not both null",
			 r->revision, i + 1);
		return -EBADMSG;
	}
	return 0;
}

int repl_rev_decode(const json_t *m, struct command_replay *r, struct fulcrum_change **rows,
		    char *err, size_t errlen)
{
	char origin[16], name[sizeof(((struct fulcrum_change *)0)->actor)];
	const json_t *list = json_object_get(m, "changes");
	int rc;

	memset(r, 0, sizeof(*r));
	*rows = NULL;
	if ((rc = repl_msg_int(m, "revision", 1, INT64_MAX, &r->revision, err, errlen)) != 0 ||
	    (rc = repl_msg_int(m, "time", 1, INT64_MAX, &r->time, err, errlen)) != 0 ||
	    (rc = repl_msg_str(m, "origin", origin, sizeof(origin), err, errlen)) != 0)
		return rc;
	if (model_origin_parse(origin, &r->origin) != 0) {
		snprintf(err, errlen, "rev origin: '%.15s' is not an origin Fulcrum knows", origin);
		return -EBADMSG;
	}
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > ROWS_MAX) {
		snprintf(err, errlen, "rev changes: an array of 1..%d rows needed", ROWS_MAX);
		return -EBADMSG;
	}
	if (!(*rows = calloc(json_array_size(list), sizeof(**rows))))
		return -ENOMEM;
	if ((rc = repl_msg_str(m, "actor", name, sizeof(name), err, errlen)) != 0) {
		free(*rows);
		*rows = NULL;
		return rc;
	}
	r->actor = name; /* only for row_decode: each row copies it */
	r->n = json_array_size(list);
	for (size_t i = 0; i < r->n; i++) {
		if ((rc = row_decode(json_array_get(list, i), r, &(*rows)[i], i, err, errlen)) !=
		    0) {
			repl_rev_free(*rows, r->n);
			*rows = NULL;
			memset(r, 0, sizeof(*r));
			return rc;
		}
	}
	r->actor = (*rows)[0].actor;
	r->changes = *rows;
	return 0;
}

/* Adds one field to the hash: its length, then its bytes (NULL: a length of all ones). */
static void hash_field(crypto_hash_sha256_state *h, const void *p, size_t len)
{
	unsigned char l[8];
	uint64_t v = p ? (uint64_t)len : UINT64_MAX;

	for (int i = 0; i < 8; i++)
		l[i] = (unsigned char)(v >> (56 - 8 * i));
	crypto_hash_sha256_update(h, l, sizeof(l));
	if (p)
		crypto_hash_sha256_update(h, p, len);
}

static void hash_int(crypto_hash_sha256_state *h, int64_t v)
{
	char s[24];

	hash_field(h, s, (size_t)snprintf(s, sizeof(s), "%" PRId64, v));
}

static void hash_str(crypto_hash_sha256_state *h, const char *s)
{
	hash_field(h, s, s ? strlen(s) : 0);
}

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((struct repl_chain *)0)->state),
	       "struct repl_chain holds a SHA-256 state");

void repl_chain_init(struct repl_chain *c)
{
	crypto_hash_sha256_state *h = (crypto_hash_sha256_state *)c->state;

	crypto_hash_sha256_init(h);
	hash_str(h, "fulcrum change-log history v1");
}

void repl_chain_add(struct repl_chain *c, const struct fulcrum_change *rows, size_t n)
{
	crypto_hash_sha256_state *h = (crypto_hash_sha256_state *)c->state;

	for (size_t i = 0; i < n; i++) {
		hash_int(h, rows[i].revision);
		hash_int(h, rows[i].time);
		hash_str(h, rows[i].actor);
		hash_str(h, model_origin_name(rows[i].origin));
		hash_str(h, rows[i].object_type);
		hash_int(h, rows[i].object_id);
		hash_str(h, rows[i].before);
		hash_str(h, rows[i].after);
	}
}

void repl_chain_hex(const struct repl_chain *c, char out[65])
{
	crypto_hash_sha256_state h;
	unsigned char d[crypto_hash_sha256_BYTES];

	memcpy(&h, c->state, sizeof(h));
	crypto_hash_sha256_final(&h, d);
	sodium_bin2hex(out, 65, d, sizeof(d));
}
