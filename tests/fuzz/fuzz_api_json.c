/* Fuzz target: the API's JSON bodies into the model (model_*_from_json), as create and as PATCH. */
#include "controller/model/model.h"
#include "controller/model/model_json.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The input: one byte, then a request's body. The byte picks the kind (% 3:
 * service, real server, VIP) and whether the body creates one (POST) or is a
 * PATCH onto a valid stored one ((/ 3) % 2). The body is parsed as web_req_json()
 * parses it; what jansson refuses never reaches the model.
 */
enum fuzz_kind { FUZZ_VS, FUZZ_RS, FUZZ_VIP };

#define FUZZ_VS_ID  7
#define FUZZ_RS_ID  12
#define FUZZ_VIP_ID 3

/* Any object of the three kinds, and what the model does with it. */
union fuzz_obj {
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	struct fulcrum_vip vip;
};

static const char *const fuzz_what[] = {"service", "real server", "VIP"};

static void fuzz_fail(const char *why, const json_t *body, const struct fulcrum_err *err)
{
	char *text = body ? json_dumps(body, JSON_ENCODE_ANY) : NULL;

	fprintf(stderr, "fuzz_api_json: %s\n  body: %s\n", why, text ? text : "(none)");
	if (err)
		fprintf(stderr, "  err: field '%s' message '%s'\n", err->field, err->message);
	free(text);
	abort();
}

/* Sets one field of a fixture, which must take it. */
static void fuzz_vs_set(struct fulcrum_vs *vs, const char *field, const char *value)
{
	if (model_vs_set_field(vs, field, value, NULL) != 0)
		abort();
}

static void fuzz_rs_set(struct fulcrum_rs *rs, const char *field, const char *value)
{
	if (model_rs_set_field(rs, field, value, NULL) != 0)
		abort();
}

/* The stored objects a PATCH lands on: a service with an HTTP check and a fallback, its real
 * server overriding part of that check, a VIP. */
static void fuzz_fixtures(struct fulcrum_vs *vs, struct fulcrum_rs *rs, struct fulcrum_vip *vip)
{
	model_vs_init(vs);
	vs->id = FUZZ_VS_ID;
	fuzz_vs_set(vs, "name", "web");
	fuzz_vs_set(vs, "address", "192.0.2.10");
	fuzz_vs_set(vs, "port", "80");
	fuzz_vs_set(vs, "protocol", "tcp");
	fuzz_vs_set(vs, "scheduler", "wrr");
	fuzz_vs_set(vs, "description", "the web's front");
	fuzz_vs_set(vs, "check.type", "http");
	fuzz_vs_set(vs, "check.path", "/health");
	fuzz_vs_set(vs, "check.expect_status", "200-299,301");
	fuzz_vs_set(vs, "check.expect", "OK");
	fuzz_vs_set(vs, "fallback.address", "192.0.2.99");
	fuzz_vs_set(vs, "fallback.port", "8080");
	fuzz_vs_set(vs, "min_up", "1");
	if (model_vs_validate(vs, NULL) != 0)
		abort();

	model_rs_init(rs);
	rs->id = FUZZ_RS_ID;
	rs->vs_id = FUZZ_VS_ID;
	fuzz_rs_set(rs, "address", "10.0.0.1");
	fuzz_rs_set(rs, "port", "8080");
	fuzz_rs_set(rs, "weight", "5");
	fuzz_rs_set(rs, "check.interval", "10");
	fuzz_rs_set(rs, "check.check_port", "8081");
	if (model_rs_validate(rs, vs, NULL) != 0)
		abort();

	model_vip_init(vip);
	vip->id = FUZZ_VIP_ID;
	if (model_vip_set_field(vip, "address", "192.0.2.10", NULL) != 0 ||
	    model_vip_set_field(vip, "interface", "eth0", NULL) != 0 ||
	    model_vip_validate(vip, NULL) != 0)
		abort();
}

static json_t *fuzz_to_json(enum fuzz_kind k, const union fuzz_obj *o)
{
	json_t *j = k == FUZZ_VS   ? model_vs_to_json(&o->vs)
		    : k == FUZZ_RS ? model_rs_to_json(&o->rs)
				   : model_vip_to_json(&o->vip);

	if (!j)
		abort(); /* every object the setters make has a name for each value */
	return j;
}

static int fuzz_from_json(enum fuzz_kind k, const json_t *body, union fuzz_obj *o,
			  struct fulcrum_err *err)
{
	model_err_clear(err);
	if (k == FUZZ_VS)
		return model_vs_from_json(body, &o->vs, err);
	if (k == FUZZ_RS)
		return model_rs_from_json(body, &o->rs, err);
	return model_vip_from_json(body, &o->vip, err);
}

static int fuzz_validate(enum fuzz_kind k, const union fuzz_obj *o, const struct fulcrum_vs *owner,
			 struct fulcrum_err *err)
{
	model_err_clear(err);
	if (k == FUZZ_VS)
		return model_vs_validate(&o->vs, err);
	if (k == FUZZ_RS)
		return model_rs_validate(&o->rs, owner, err);
	return model_vip_validate(&o->vip, err);
}

/* A new object of kind k, with the ids a stored one of that kind has (PATCH: its own). */
static void fuzz_new(enum fuzz_kind k, union fuzz_obj *o, int64_t id)
{
	memset(o, 0, sizeof(*o));
	if (k == FUZZ_VS) {
		model_vs_init(&o->vs);
		o->vs.id = id;
	} else if (k == FUZZ_RS) {
		model_rs_init(&o->rs);
		o->rs.id = id;
		o->rs.vs_id = FUZZ_VS_ID;
	} else {
		model_vip_init(&o->vip);
		o->vip.id = id;
	}
}

/* True when err->field begins with one of body's keys, as far as the field holds it. */
static bool fuzz_field_in_body(const char *field, const json_t *body)
{
	size_t room = sizeof(((struct fulcrum_err *)0)->field) - 1;
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)body, key, v)
	{
		size_t n = strlen(key) < room ? strlen(key) : room;

		if (strncmp(field, key, n) == 0 && (field[n] == '\0' || field[n] == '.'))
			return true;
	}
	return false;
}

/* A refusal: the documented code, a message of the right kind, the field named in the body. */
static void fuzz_refused(enum fuzz_kind k, int rc, const json_t *body,
			 const struct fulcrum_err *err)
{
	size_t n = strlen(fuzz_what[k]);

	if (rc != -EINVAL)
		fuzz_fail("from_json returned neither 0 nor -EINVAL", body, err);
	if (err->status != FULCRUM_ERR_INVALID || !err->message[0])
		fuzz_fail("a refusal without its status or message", body, err);
	if (strncmp(err->message, fuzz_what[k], n) != 0 ||
	    (err->message[n] != ' ' && err->message[n] != ':'))
		fuzz_fail("a refusal whose message does not name the kind", body, err);
	if (json_is_object(body) && !fuzz_field_in_body(err->field, body))
		fuzz_fail("a refusal that names no field of the body", body, err);
}

/*
 * Fields a PATCH changes without naming them: each documented coupling
 * (model.h: address sets family, family moves a whole-address netmask or
 * prefix, forwarding and tunnel_type clear what no longer applies, the
 * fallback goes whole).
 */
static bool fuzz_coupled(enum fuzz_kind k, const char *key, const json_t *body)
{
	static const char *const vs_pairs[][2] = {
	    {"family", "address"},
	    {"persistence_netmask", "address"},
	    {"persistence_netmask", "family"},
	};
	static const char *const rs_pairs[][2] = {
	    {"tunnel_type", "forwarding"},
	    {"tunnel_port", "forwarding"},
	    {"tunnel_port", "tunnel_type"},
	};
	static const char *const vip_pairs[][2] = {{"prefix", "address"}};
	const char *const(*pairs)[2] = k == FUZZ_VS   ? vs_pairs
				       : k == FUZZ_RS ? rs_pairs
						      : vip_pairs;
	size_t n = k == FUZZ_VS   ? sizeof(vs_pairs) / sizeof(vs_pairs[0])
		   : k == FUZZ_RS ? sizeof(rs_pairs) / sizeof(rs_pairs[0])
				  : 1;

	for (size_t i = 0; i < n; i++)
		if (strcmp(pairs[i][0], key) == 0 && json_object_get(body, pairs[i][1]))
			return true;
	return false;
}

/* A PATCH taken: what the body does not name, at the top and one level down, is as it was. */
static void fuzz_kept(enum fuzz_kind k, const json_t *body, const json_t *before,
		      const json_t *after)
{
	const char *key;
	json_t *was;

	json_object_foreach((json_t *)before, key, was)
	{
		const json_t *sent = json_object_get(body, key), *now = json_object_get(after, key);
		const char *m;
		json_t *mv;

		if (!sent) {
			if (!json_equal(was, now) && !fuzz_coupled(k, key, body))
				fuzz_fail("a PATCH changed a field it does not name", body, NULL);
			continue;
		}
		if (!json_is_object(sent) || !json_is_object(was) || !json_is_object(now))
			continue;
		json_object_foreach(was, m, mv)
		{
			if (!json_object_get(sent, m) && !json_equal(mv, json_object_get(now, m)))
				fuzz_fail("a PATCH changed a member of an object it does not name",
					  body, NULL);
		}
	}
}

/*
 * A valid object o goes out as JSON (as text, as a client sees it) and back in: as a new
 * object it is the same, and sent back onto itself it is taken and changes nothing.
 */
static void fuzz_round_trip(enum fuzz_kind k, const union fuzz_obj *o, const json_t *body)
{
	json_t *out = fuzz_to_json(k, o), *read, *again;
	union fuzz_obj fresh, same = *o;
	struct fulcrum_err err;
	char *text = json_dumps(out, JSON_COMPACT);

	if (!text)
		abort();
	read = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (!read || !json_equal(read, out))
		fuzz_fail("the JSON text of a valid object does not read back equal", body, NULL);
	fuzz_new(k, &fresh, k == FUZZ_VS ? o->vs.id : k == FUZZ_RS ? o->rs.id : o->vip.id);
	if (k == FUZZ_RS)
		fresh.rs.vs_id = o->rs.vs_id;
	if (fuzz_from_json(k, read, &fresh, &err) != 0)
		fuzz_fail("a valid object's JSON is refused as a new object's body", body, &err);
	again = fuzz_to_json(k, &fresh);
	if (!json_equal(again, out))
		fuzz_fail("a valid object's JSON makes another object", body, NULL);
	json_decref(again);
	if (fuzz_from_json(k, read, &same, &err) != 0)
		fuzz_fail("a valid object's JSON sent back as a PATCH is refused", body, &err);
	again = fuzz_to_json(k, &same);
	if (!json_equal(again, out))
		fuzz_fail("a valid object's JSON sent back as a PATCH changes it", body, NULL);
	json_decref(again);
	json_decref(read);
	json_decref(out);
	free(text);
}

/* A service's "reals", as web_write.c reads them: each new, from JSON, valid under vs. */
static void fuzz_reals(const json_t *list, const struct fulcrum_vs *vs)
{
	union fuzz_obj rs;
	struct fulcrum_err err;
	size_t i;
	json_t *item;
	int rc;

	if (!json_is_array(list))
		return;
	json_array_foreach(list, i, item)
	{
		fuzz_new(FUZZ_RS, &rs, 0);
		rs.rs.vs_id = vs->id;
		if ((rc = fuzz_from_json(FUZZ_RS, item, &rs, &err)) != 0) {
			fuzz_refused(FUZZ_RS, rc, item, &err);
			continue;
		}
		if (fuzz_validate(FUZZ_RS, &rs, vs, &err) != 0) {
			if (!err.field[0] || !err.message[0])
				fuzz_fail("an invalid real server without field or message", item,
					  &err);
			continue;
		}
		fuzz_round_trip(FUZZ_RS, &rs, item);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fulcrum_vs owner;
	union fuzz_obj fix[3], obj;
	struct fulcrum_err err;
	enum fuzz_kind k;
	json_t *body, *before, *after, *reals = NULL;
	bool patch;
	int rc;

	if (size < 1)
		return 0;
	k = (enum fuzz_kind)(data[0] % 3);
	patch = (data[0] / 3) % 2;
	fuzz_fixtures(&fix[FUZZ_VS].vs, &fix[FUZZ_RS].rs, &fix[FUZZ_VIP].vip);
	owner = fix[FUZZ_VS].vs;
	body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
			  NULL);
	if (!body)
		return 0;
	/* what web_write.c takes off a body before the model sees it */
	json_object_del(body, "status");
	json_object_del(body, "reals_total");
	if (patch) {
		obj = fix[k];
	} else {
		fuzz_new(k, &obj, 0);
		if (k == FUZZ_VS && json_is_object(body)) {
			reals = json_incref(json_object_get(body, "reals"));
			json_object_del(body, "reals");
		}
	}
	before = fuzz_to_json(k, &obj);
	rc = fuzz_from_json(k, body, &obj, &err);
	after = fuzz_to_json(k, &obj);
	if (rc != 0) {
		fuzz_refused(k, rc, body, &err);
		if (!json_equal(before, after))
			fuzz_fail("a refused body changed the object", body, &err);
	} else {
		if (err.status != FULCRUM_ERR_NONE || !json_is_object(body))
			fuzz_fail("a body taken with an error, or not an object", body, &err);
		if (patch)
			fuzz_kept(k, body, before, after);
		if (fuzz_validate(k, &obj, &owner, &err) != 0) {
			if (!err.field[0] || !err.message[0])
				fuzz_fail("an invalid object without field or message", body, &err);
		} else {
			fuzz_round_trip(k, &obj, body);
			if (k == FUZZ_VS && !patch)
				fuzz_reals(reals, &obj.vs);
		}
	}
	json_decref(before);
	json_decref(after);
	json_decref(reals);
	json_decref(body);
	return 0;
}
