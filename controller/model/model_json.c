/* JSON form of services, real servers and VIPs, parsed through the model's own field setters. */
#include "controller/model/model_json.h"
#include "controller/model/model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* What JSON a field takes; the text handed to the model's setter follows from it. */
enum json_kind {
	KIND_ID,      /* read-only integer: must equal the object's own */
	KIND_INT,     /* integer 0..max */
	KIND_STRING,  /* string */
	KIND_NSTRING, /* string, or null for none */
	KIND_TEXT,    /* string, "" or null for none */
	KIND_BOOL,    /* true or false */
	KIND_FLAGS,   /* array of flag names */
	KIND_OBJECT,  /* object of the fields of sub, each set as "<name>.<field>" */
	KIND_NOBJECT, /* the same, or null: the text "" set to <name> */
};

struct json_group;

struct json_field {
	const char *name;
	enum json_kind kind;
	uint64_t max;                 /* KIND_INT only */
	const struct json_group *sub; /* KIND_OBJECT and KIND_NOBJECT only */
};

/* The fields of a nested object; null_clears: any of them may be null, set as "". */
struct json_group {
	const struct json_field *fields;
	size_t n;
	bool null_clears;
};

/* A service's check, in the order its fields are applied and written. */
static const struct json_field vs_check_fields[] = {
    {"type", KIND_STRING, 0, NULL},
    {"path", KIND_STRING, 0, NULL},
    {"host", KIND_TEXT, 0, NULL},
    {"head", KIND_BOOL, 0, NULL},
    {"expect_status", KIND_STRING, 0, NULL},
    {"expect", KIND_TEXT, 0, NULL},
    {"expect_regex", KIND_TEXT, 0, NULL},
    {"verify_tls", KIND_BOOL, 0, NULL},
    {"command", KIND_TEXT, 0, NULL},
    {"interval", KIND_INT, UINT32_MAX, NULL},
    {"timeout", KIND_INT, UINT32_MAX, NULL},
    {"rise", KIND_INT, UINT32_MAX, NULL},
    {"fall", KIND_INT, UINT32_MAX, NULL},
    {"check_address", KIND_NSTRING, 0, NULL},
    {"check_port", KIND_INT, UINT16_MAX, NULL},
    {"on_failure", KIND_STRING, 0, NULL},
};
static const struct json_group vs_check = {vs_check_fields, COUNT(vs_check_fields), false};

/* What a real server's own check may override; null removes an override. */
static const struct json_field rs_check_fields[] = {
    {"type", KIND_STRING, 0, NULL},
    {"interval", KIND_INT, UINT32_MAX, NULL},
    {"timeout", KIND_INT, UINT32_MAX, NULL},
    {"rise", KIND_INT, UINT32_MAX, NULL},
    {"fall", KIND_INT, UINT32_MAX, NULL},
    {"check_address", KIND_NSTRING, 0, NULL},
    {"check_port", KIND_INT, UINT16_MAX, NULL},
    {"on_failure", KIND_STRING, 0, NULL},
    {"verify_tls", KIND_BOOL, 0, NULL},
    /* the service's alone: here so that the setter says so */
    {"path", KIND_STRING, 0, NULL},
    {"host", KIND_STRING, 0, NULL},
    {"head", KIND_BOOL, 0, NULL},
    {"expect_status", KIND_STRING, 0, NULL},
    {"expect", KIND_STRING, 0, NULL},
    {"expect_regex", KIND_STRING, 0, NULL},
    {"command", KIND_STRING, 0, NULL},
};
static const struct json_group rs_check = {rs_check_fields, COUNT(rs_check_fields), true};

static const struct json_field fallback_fields[] = {
    {"address", KIND_NSTRING, 0, NULL},
    {"port", KIND_INT, UINT16_MAX, NULL},
    {"forwarding", KIND_STRING, 0, NULL},
};
static const struct json_group fallback = {fallback_fields, COUNT(fallback_fields), false};

/* In the order fields are applied: address before family, forwarding before tunnel_type. */
static const struct json_field vs_fields[] = {
    {"id", KIND_ID, 0, NULL},
    {"name", KIND_STRING, 0, NULL},
    {"address", KIND_NSTRING, 0, NULL},
    {"port", KIND_INT, UINT16_MAX, NULL},
    {"protocol", KIND_NSTRING, 0, NULL},
    {"fwmark", KIND_INT, UINT32_MAX, NULL},
    {"family", KIND_STRING, 0, NULL},
    {"scheduler", KIND_STRING, 0, NULL},
    {"scheduler_flags", KIND_FLAGS, 0, NULL},
    {"persistence_timeout", KIND_INT, MODEL_PERSISTENCE_MAX, NULL},
    {"persistence_netmask", KIND_INT, 128, NULL},
    {"one_packet", KIND_BOOL, 0, NULL},
    {"admin_state", KIND_STRING, 0, NULL},
    {"description", KIND_STRING, 0, NULL},
    {"check", KIND_OBJECT, 0, &vs_check},
    {"fallback", KIND_NOBJECT, 0, &fallback},
    {"min_up", KIND_INT, UINT16_MAX, NULL},
};

static const struct json_field rs_fields[] = {
    {"id", KIND_ID, 0, NULL},
    {"service_id", KIND_ID, 0, NULL},
    {"address", KIND_NSTRING, 0, NULL},
    {"port", KIND_INT, UINT16_MAX, NULL},
    {"forwarding", KIND_STRING, 0, NULL},
    {"tunnel_type", KIND_NSTRING, 0, NULL},
    {"tunnel_port", KIND_INT, UINT16_MAX, NULL},
    {"weight", KIND_INT, UINT16_MAX, NULL},
    {"upper_threshold", KIND_INT, UINT32_MAX, NULL},
    {"lower_threshold", KIND_INT, UINT32_MAX, NULL},
    {"admin_state", KIND_STRING, 0, NULL},
    {"description", KIND_STRING, 0, NULL},
    {"check", KIND_NOBJECT, 0, &rs_check},
};

/* Address before prefix: an address of the other family moves a whole-address prefix. */
static const struct json_field vip_fields[] = {
    {"id", KIND_ID, 0, NULL},
    {"address", KIND_STRING, 0, NULL},
    {"prefix", KIND_INT, 128, NULL},
    {"interface", KIND_STRING, 0, NULL},
    {"description", KIND_STRING, 0, NULL},
};

/* Sets field to its value in obj (void *: a service, a real server or a VIP). */
struct json_target {
	const char *what; /* "service", "real server" or "VIP" */
	const struct json_field *fields;
	size_t nfields;
	int (*set)(void *obj, const char *field, const char *value, struct fulcrum_err *err);
	int64_t (*id)(const void *obj, const char *field);
};

static json_t *address_json(const struct fulcrum_addr *a)
{
	char text[MODEL_ADDR_STRLEN];

	if (a->family == AF_UNSPEC)
		return json_null();
	return json_string(model_addr_format(a, text, sizeof(text)));
}

/* Sets obj[key] = val, stealing val; NULL val or a failure counts in *failed. */
static void put(json_t *obj, const char *key, json_t *val, int *failed)
{
	if (json_object_set_new(obj, key, val) != 0)
		*failed = 1;
}

static json_t *sched_flags_json(unsigned flags)
{
	char text[32], *item, *save = NULL;
	json_t *arr;

	if (model_sched_flags_format(flags, text, sizeof(text)) != 0)
		return NULL;
	arr = json_array();
	for (item = strtok_r(text, ",", &save); arr && item; item = strtok_r(NULL, ",", &save)) {
		if (json_array_append_new(arr, json_string(item)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return arr;
}

/* Returns o, or NULL (o freed) when a put() failed. */
static json_t *done(json_t *o, int failed)
{
	if (failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *check_json(const struct fulcrum_check *c)
{
	json_t *o = json_object();
	int failed = 0;

	if (!o)
		return NULL;
	put(o, "type", json_string(model_check_type_name(c->type)), &failed);
	put(o, "path", json_string(c->path), &failed);
	put(o, "host", json_string(c->host), &failed);
	put(o, "head", json_boolean(c->head), &failed);
	put(o, "expect_status", json_string(c->expect_status), &failed);
	put(o, "expect", json_string(c->expect), &failed);
	put(o, "expect_regex", json_string(c->expect_regex), &failed);
	put(o, "verify_tls", json_boolean(c->verify_tls), &failed);
	put(o, "command", json_string(c->command), &failed);
	put(o, "interval", json_integer(c->interval), &failed);
	put(o, "timeout", json_integer(c->timeout), &failed);
	put(o, "rise", json_integer(c->rise), &failed);
	put(o, "fall", json_integer(c->fall), &failed);
	put(o, "check_address", address_json(&c->check_address), &failed);
	put(o, "check_port", json_integer(c->check_port), &failed);
	put(o, "on_failure", json_string(model_check_on_failure_name(c->on_failure)), &failed);
	return done(o, failed);
}

/* Only the fields a real server overrides: {} when none. */
static json_t *override_json(const struct fulcrum_check_override *ov)
{
	json_t *o = json_object();
	int failed = 0;

	if (!o)
		return NULL;
	if (ov->set & FULCRUM_CHECK_F_TYPE)
		put(o, "type", json_string(model_check_type_name(ov->type)), &failed);
	if (ov->set & FULCRUM_CHECK_F_INTERVAL)
		put(o, "interval", json_integer(ov->interval), &failed);
	if (ov->set & FULCRUM_CHECK_F_TIMEOUT)
		put(o, "timeout", json_integer(ov->timeout), &failed);
	if (ov->set & FULCRUM_CHECK_F_RISE)
		put(o, "rise", json_integer(ov->rise), &failed);
	if (ov->set & FULCRUM_CHECK_F_FALL)
		put(o, "fall", json_integer(ov->fall), &failed);
	if (ov->set & FULCRUM_CHECK_F_CHECK_ADDRESS)
		put(o, "check_address", address_json(&ov->check_address), &failed);
	if (ov->set & FULCRUM_CHECK_F_CHECK_PORT)
		put(o, "check_port", json_integer(ov->check_port), &failed);
	if (ov->set & FULCRUM_CHECK_F_ON_FAILURE)
		put(o, "on_failure", json_string(model_check_on_failure_name(ov->on_failure)),
		    &failed);
	if (ov->set & FULCRUM_CHECK_F_VERIFY_TLS)
		put(o, "verify_tls", json_boolean(ov->verify_tls), &failed);
	return done(o, failed);
}

static json_t *fallback_json(const struct fulcrum_fallback *fb)
{
	json_t *o;
	int failed = 0;

	if (fb->addr.family == AF_UNSPEC)
		return json_null();
	if (!(o = json_object()))
		return NULL;
	put(o, "address", address_json(&fb->addr), &failed);
	put(o, "port", json_integer(fb->port), &failed);
	put(o, "forwarding", json_string(model_forwarding_name(fb->forwarding)), &failed);
	return done(o, failed);
}

json_t *model_vs_to_json(const struct fulcrum_vs *vs)
{
	json_t *o = json_object();
	int failed = 0;

	if (!o)
		return NULL;
	put(o, "id", json_integer(vs->id), &failed);
	put(o, "name", json_string(vs->name), &failed);
	put(o, "address", address_json(&vs->addr), &failed);
	put(o, "port", json_integer(vs->port), &failed);
	/* json_string(NULL), for a value with no name, fails the whole object */
	put(o, "protocol",
	    vs->protocol == FULCRUM_PROTO_NONE ? json_null()
					       : json_string(model_protocol_name(vs->protocol)),
	    &failed);
	put(o, "fwmark", json_integer(vs->fwmark), &failed);
	put(o, "family", json_string(model_family_name(vs->family)), &failed);
	put(o, "scheduler", json_string(model_scheduler_name(vs->scheduler)), &failed);
	put(o, "scheduler_flags", sched_flags_json(vs->scheduler_flags), &failed);
	put(o, "persistence_timeout", json_integer(vs->persistence_timeout), &failed);
	put(o, "persistence_netmask", json_integer(vs->persistence_netmask), &failed);
	put(o, "one_packet", json_boolean(vs->one_packet), &failed);
	put(o, "admin_state", json_string(model_vs_admin_name(vs->admin_state)), &failed);
	put(o, "description", json_string(vs->description), &failed);
	put(o, "check", check_json(&vs->check), &failed);
	put(o, "fallback", fallback_json(&vs->fallback), &failed);
	put(o, "min_up", json_integer(vs->min_up), &failed);
	return done(o, failed);
}

json_t *model_rs_to_json(const struct fulcrum_rs *rs)
{
	json_t *o = json_object();
	int failed = 0;

	if (!o)
		return NULL;
	put(o, "id", json_integer(rs->id), &failed);
	put(o, "service_id", json_integer(rs->vs_id), &failed);
	put(o, "address", address_json(&rs->addr), &failed);
	put(o, "port", json_integer(rs->port), &failed);
	put(o, "forwarding", json_string(model_forwarding_name(rs->forwarding)), &failed);
	put(o, "tunnel_type",
	    rs->tunnel_type == FULCRUM_TUN_NONE ? json_null()
						: json_string(model_tunnel_name(rs->tunnel_type)),
	    &failed);
	put(o, "tunnel_port", json_integer(rs->tunnel_port), &failed);
	put(o, "weight", json_integer(rs->weight), &failed);
	put(o, "upper_threshold", json_integer(rs->upper_threshold), &failed);
	put(o, "lower_threshold", json_integer(rs->lower_threshold), &failed);
	put(o, "admin_state", json_string(model_rs_admin_name(rs->admin_state)), &failed);
	put(o, "description", json_string(rs->description), &failed);
	put(o, "check", override_json(&rs->check), &failed);
	return done(o, failed);
}

json_t *model_vip_to_json(const struct fulcrum_vip *vip)
{
	json_t *o = json_object();
	int failed = 0;

	if (!o)
		return NULL;
	put(o, "id", json_integer(vip->id), &failed);
	put(o, "address", address_json(&vip->addr), &failed);
	put(o, "prefix", json_integer(vip->prefix), &failed);
	put(o, "interface", json_string(vip->interface), &failed);
	put(o, "description", json_string(vip->description), &failed);
	return done(o, failed);
}

static const char *json_type_prose(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

static int wrong_type(const struct json_target *t, const char *field, const char *expected,
		      const json_t *v, struct fulcrum_err *err)
{
	return model_err_set(err, FULCRUM_ERR_INVALID, field, "%s %s: expected %s, got %s", t->what,
			     field, expected, json_type_prose(v));
}

/* Joins an array of flag names into "a,b" in buf; -EINVAL with err filled otherwise. */
static int flags_text(const struct json_target *t, const char *field, const json_t *v, char *buf,
		      size_t len, struct fulcrum_err *err)
{
	size_t i, used = 0;
	json_t *item;

	if (!json_is_array(v))
		return wrong_type(t, field, "an array of flag names", v, err);
	buf[0] = '\0';
	json_array_foreach(v, i, item)
	{
		const char *s = json_string_value(item);
		int n;

		if (!s || !*s || strchr(s, ','))
			return model_err_set(err, FULCRUM_ERR_INVALID, field,
					     "%s %s: item %zu is not a flag name (fallback port)",
					     t->what, field, i);
		n = snprintf(buf + used, len - used, "%s%s", i ? "," : "", s);
		if (n < 0 || (size_t)n >= len - used)
			return model_err_set(err, FULCRUM_ERR_INVALID, field,
					     "%s %s: too many flags (fallback port)", t->what,
					     field);
		used += (size_t)n;
	}
	return 0;
}

/* Turns the JSON value of one field into the text its setter takes, in buf. */
static int field_text(const struct json_target *t, const void *obj, const struct json_field *f,
		      const json_t *v, char *buf, size_t len, struct fulcrum_err *err)
{
	const char *s;

	switch (f->kind) {
	case KIND_ID:
		if (!json_is_integer(v) || json_integer_value(v) != t->id(obj, f->name))
			return model_err_set(err, FULCRUM_ERR_INVALID, f->name,
					     "%s %s: is read-only (%" PRId64 ")", t->what, f->name,
					     t->id(obj, f->name));
		return 1; /* nothing to set */
	case KIND_INT:
		if (!json_is_integer(v))
			return wrong_type(t, f->name, "an integer", v, err);
		if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > f->max)
			return model_err_set(err, FULCRUM_ERR_INVALID, f->name,
					     "%s %s: %" JSON_INTEGER_FORMAT
					     " is outside 0..%" PRIu64,
					     t->what, f->name, json_integer_value(v), f->max);
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case KIND_BOOL:
		if (!json_is_boolean(v))
			return wrong_type(t, f->name, "true or false", v, err);
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
		return 0;
	case KIND_FLAGS:
		return flags_text(t, f->name, v, buf, len, err);
	case KIND_NSTRING:
	case KIND_TEXT:
		if (json_is_null(v)) {
			buf[0] = '\0';
			return 0;
		}
		/* fall through */
	case KIND_STRING:
		if (!json_is_string(v))
			return wrong_type(t, f->name,
					  f->kind == KIND_STRING ? "a string" : "a string or null",
					  v, err);
		s = json_string_value(v);
		if (strlen(s) != json_string_length(v))
			return model_err_set(err, FULCRUM_ERR_INVALID, f->name,
					     "%s %s: holds a NUL character", t->what, f->name);
		if (f->kind == KIND_NSTRING && (strcmp(s, "") == 0 || strcmp(s, "none") == 0))
			return model_err_set(err, FULCRUM_ERR_INVALID, f->name,
					     "%s %s: write null for none", t->what, f->name);
		if (strlen(s) >= len)
			return model_err_set(err, FULCRUM_ERR_INVALID, f->name,
					     "%s %s: %zu bytes is too long", t->what, f->name,
					     strlen(s));
		memcpy(buf, s, strlen(s) + 1);
		return 0;
	case KIND_OBJECT:
	case KIND_NOBJECT:
		break; /* from_group()'s */
	}
	return -EINVAL;
}

/* The index of key in fields[0..n), or n. */
static size_t field_find(const struct json_field *fields, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n && strcmp(fields[i].name, key) != 0; i++)
		;
	return i;
}

/*
 * Applies the nested object v of field parent: only the members present
 * (PATCH semantics again), each through the setter as "<parent>.<member>".
 */
static int from_group(const struct json_target *t, const struct json_field *parent, const json_t *v,
		      void *tmp, char *text, size_t len, struct fulcrum_err *err)
{
	const struct json_group *g = parent->sub;
	char name[80];
	const char *key;
	json_t *m;
	int rc;

	if (json_is_null(v) && parent->kind == KIND_NOBJECT)
		return t->set(tmp, parent->name, "", err);
	if (!json_is_object(v))
		return wrong_type(t, parent->name,
				  parent->kind == KIND_NOBJECT ? "an object or null" : "an object",
				  v, err);
	json_object_foreach((json_t *)v, key, m)
	{
		if (field_find(g->fields, g->n, key) < g->n)
			continue;
		snprintf(name, sizeof(name), "%s.%.48s", parent->name, key);
		return model_err_set(err, FULCRUM_ERR_INVALID, name, "%s: unknown field '%s'",
				     t->what, name);
	}
	for (size_t i = 0; i < g->n; i++) {
		struct json_field f = g->fields[i];

		if (!(m = json_object_get(v, f.name)))
			continue;
		snprintf(name, sizeof(name), "%s.%s", parent->name, f.name);
		f.name = name;
		if (json_is_null(m) && g->null_clears)
			text[0] = '\0';
		else if ((rc = field_text(t, tmp, &f, m, text, len, err)) != 0)
			return rc;
		if ((rc = t->set(tmp, name, text, err)) != 0)
			return rc;
	}
	return 0;
}

static int from_json(const struct json_target *t, const json_t *obj, void *tmp,
		     struct fulcrum_err *err)
{
	char text[1024]; /* longer than any field, so the setter tells the limit */
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(obj))
		return model_err_set(err, FULCRUM_ERR_INVALID, NULL,
				     "%s: expected an object, got %s", t->what,
				     obj ? json_type_prose(obj) : "nothing");
	json_object_foreach((json_t *)obj, key, v)
	{
		if (field_find(t->fields, t->nfields, key) == t->nfields)
			return model_err_set(err, FULCRUM_ERR_INVALID, key,
					     "%s: unknown field '%.48s'", t->what, key);
	}
	for (size_t i = 0; i < t->nfields; i++) {
		const struct json_field *f = &t->fields[i];

		v = json_object_get(obj, f->name);
		if (!v)
			continue;
		if (f->kind == KIND_OBJECT || f->kind == KIND_NOBJECT)
			rc = from_group(t, f, v, tmp, text, sizeof(text), err);
		else if ((rc = field_text(t, tmp, f, v, text, sizeof(text), err)) == 0)
			rc = t->set(tmp, f->name, text, err);
		if (rc != 0 && rc != 1)
			return rc;
	}
	return 0;
}

static int vs_set(void *obj, const char *field, const char *value, struct fulcrum_err *err)
{
	return model_vs_set_field(obj, field, value, err);
}

static int64_t vs_id(const void *obj, const char *field)
{
	(void)field;
	return ((const struct fulcrum_vs *)obj)->id;
}

static int rs_set(void *obj, const char *field, const char *value, struct fulcrum_err *err)
{
	return model_rs_set_field(obj, field, value, err);
}

static int64_t rs_id(const void *obj, const char *field)
{
	const struct fulcrum_rs *rs = obj;

	return strcmp(field, "service_id") == 0 ? rs->vs_id : rs->id;
}

int model_vs_from_json(const json_t *obj, struct fulcrum_vs *inout, struct fulcrum_err *err)
{
	static const struct json_target t = {"service", vs_fields, COUNT(vs_fields), vs_set, vs_id};
	struct fulcrum_vs tmp = *inout;
	int rc = from_json(&t, obj, &tmp, err);

	if (rc == 0)
		*inout = tmp;
	return rc;
}

int model_rs_from_json(const json_t *obj, struct fulcrum_rs *inout, struct fulcrum_err *err)
{
	static const struct json_target t = {"real server", rs_fields, COUNT(rs_fields), rs_set,
					     rs_id};
	struct fulcrum_rs tmp = *inout;
	int rc = from_json(&t, obj, &tmp, err);

	if (rc == 0)
		*inout = tmp;
	return rc;
}

static int vip_set(void *obj, const char *field, const char *value, struct fulcrum_err *err)
{
	return model_vip_set_field(obj, field, value, err);
}

static int64_t vip_id(const void *obj, const char *field)
{
	(void)field;
	return ((const struct fulcrum_vip *)obj)->id;
}

int model_vip_from_json(const json_t *obj, struct fulcrum_vip *inout, struct fulcrum_err *err)
{
	static const struct json_target t = {"VIP", vip_fields, COUNT(vip_fields), vip_set, vip_id};
	struct fulcrum_vip tmp = *inout;
	int rc = from_json(&t, obj, &tmp, err);

	if (rc == 0)
		*inout = tmp;
	return rc;
}
