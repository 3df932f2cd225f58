/* The JSON reader: the document config_writer writes, each object through the model's from_json. */
#include "controller/config/config-int.h"
#include "controller/model/model.h"
#include "controller/model/model_json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* Reads the id member of obj (absent: 0); an error at where when it is not a positive integer. */
static bool cfg_json_id(struct config_read *r, const char *where, const char *what,
			const json_t *obj, int64_t *id)
{
	const json_t *v = json_object_get(obj, "id");

	*id = 0;
	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		config_read_error(r, where, "%s id: not an id (an integer, 1 or more)", what);
		return false;
	}
	*id = json_integer_value(v);
	return true;
}

/* One real server of the service r->s; index is its place in "reals". */
static int cfg_json_real(struct config_read *r, const json_t *j, const char *where_s, size_t index)
{
	struct fulcrum_err err;
	struct fulcrum_rs rs;
	char where[64];

	snprintf(where, sizeof(where), "%s.reals[%zu]", where_s, index);
	if (!json_is_object(j)) {
		config_read_error(r, where, "a real server is an object");
		r->s_bad = true;
		return 0;
	}
	model_rs_init(&rs);
	if (!cfg_json_id(r, where, "real server", j, &rs.id)) {
		r->s_bad = true;
		return 0;
	}
	rs.vs_id = r->s.vs.id;
	model_err_clear(&err);
	if (model_rs_from_json(j, &rs, &err) != 0) {
		config_read_error(r, where, "%s", err.message);
		r->s_bad = true;
		return 0;
	}
	/* lines stand for places: a real server's is its index + 1 */
	return config_service_add_real(&r->s, &rs, (unsigned)index + 1);
}

static int cfg_json_service(struct config_read *r, const json_t *j, size_t index)
{
	const json_t *reals, *item;
	struct fulcrum_err err;
	json_t *fields;
	char where[32];
	size_t i;
	int rc;

	snprintf(where, sizeof(where), "services[%zu]", index);
	config_read_service_begin(r, (unsigned)index + 1);
	if (!json_is_object(j)) {
		config_read_error(r, where, "a service is an object");
		return 0;
	}
	if (!cfg_json_id(r, where, "service", j, &r->s.vs.id))
		r->s_bad = true;
	reals = json_object_get(j, "reals");
	if (reals && !json_is_array(reals)) {
		config_read_error(r, where, "reals: a list of real servers");
		r->s_bad = true;
	}
	if (!(fields = json_copy((json_t *)j)))
		return -ENOMEM;
	json_object_del(fields, "reals");
	model_err_clear(&err);
	if (!r->s_bad && model_vs_from_json(fields, &r->s.vs, &err) != 0) {
		config_read_error(r, where, "%s", err.message);
		r->s_bad = true;
	}
	json_decref(fields);
	json_array_foreach(reals, i,
			   item) if ((rc = cfg_json_real(r, item, where, i)) != 0) return rc;
	return config_read_service_end(r);
}

static int cfg_json_vips(struct config_read *r, const json_t *vips)
{
	const json_t *j;
	size_t i;
	int rc;

	json_array_foreach(vips, i, j)
	{
		struct fulcrum_vip vip;
		struct fulcrum_err err;
		char where[32];

		snprintf(where, sizeof(where), "vips[%zu]", i);
		model_vip_init(&vip);
		if (!json_is_object(j)) {
			config_read_error(r, where, "a VIP is an object");
			continue;
		}
		if (!cfg_json_id(r, where, "VIP", j, &vip.id))
			continue;
		model_err_clear(&err);
		if (model_vip_from_json(j, &vip, &err) != 0) {
			config_read_error(r, where, "%s", err.message);
			continue;
		}
		if ((rc = config_read_vip(r, &vip, (unsigned)i + 1, where)) != 0)
			return rc;
	}
	return 0;
}

static void cfg_json_switches(struct config_read *r, const json_t *sw)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)sw, key, v)
	{
		enum command_notify which;

		if (db_notify_parse(key, &which) != 0)
			config_read_error(r, "notifications",
					  "'%.40s' is not a switch (rs_state vs_availability "
					  "config_change role_change peer_state repl_state)",
					  key);
		else if (!json_is_boolean(v))
			config_read_error(r, "notifications", "%s: true or false", key);
		else
			config_doc_set_switch(r->doc, which, json_is_true(v));
	}
}

int config_read_json(struct config_read *r, const char *text, size_t len)
{
	const json_t *services, *vips, *sw, *rev, *item;
	json_error_t jerr;
	const char *key;
	json_t *root, *v;
	size_t i;
	int rc = 0;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		char where[48];

		snprintf(where, sizeof(where), "line %d, column %d", jerr.line, jerr.column);
		config_read_error(r, where, "JSON: %s", jerr.text);
		return 0;
	}
	if (!json_is_object(root)) {
		config_read_error(r, "file", "a configuration is a JSON object");
		json_decref(root);
		return 0;
	}
	json_object_foreach(root, key, v) if (strcmp(key, "revision") && strcmp(key, "services") &&
					      strcmp(key, "vips") && strcmp(key, "notifications"))
	    config_read_error(r, "file",
			      "'%.40s' is not a member of a configuration (revision services vips "
			      "notifications)",
			      key);
	rev = json_object_get(root, "revision");
	if (rev && (!json_is_integer(rev) || json_integer_value(rev) < 0))
		config_read_error(r, "revision", "not a revision (an integer, 0 or more)");
	else if (rev)
		r->doc->revision = json_integer_value(rev);
	services = json_object_get(root, "services");
	vips = json_object_get(root, "vips");
	sw = json_object_get(root, "notifications");
	if (services && !json_is_array(services))
		config_read_error(r, "services", "a list of services");
	if (vips && !json_is_array(vips))
		config_read_error(r, "vips", "a list of VIPs");
	if (sw && !json_is_object(sw))
		config_read_error(r, "notifications", "an object of switches");
	json_array_foreach(services, i, item) if (rc == 0) rc = cfg_json_service(r, item, i);
	if (rc == 0 && json_is_array(vips))
		rc = cfg_json_vips(r, vips);
	if (rc == 0 && json_is_object(sw))
		cfg_json_switches(r, sw);
	json_decref(root);
	return rc;
}
