/* fulcrumctl's commands: arguments to the API's JSON, one transport's answer to the same output. */
#include "controller/ctl/ctl_cmd.h"
#include "controller/ctl/ctl_cluster.h"
#include "controller/ctl/ctl_config.h"
#include "controller/ctl/ctl_print.h"
#include "controller/model/model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One command being run. */
struct cmd {
	struct ctl_transport *t;
	const struct ctl_transport_ops *ops;
	bool json;
	struct ctl_transport_err err; /* the last operation's failure */
};

static bool cmd_in(const char *word, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(word, *list) == 0)
			return true;
	return false;
}

bool ctl_cmd_exists(const char *name)
{
	static const char *const commands[] = {"service", "real",  "vip",     "changes",
					       "status",  "token", "cluster", NULL};

	return cmd_in(name, commands) || ctl_config_is(name);
}

/* Says why the last operation failed; returns its exit status. */
static int cmd_failed(struct cmd *c)
{
	fprintf(stderr, "fulcrumctl: %s\n", c->err.message);
	if (c->err.hint[0])
		fprintf(stderr, "fulcrumctl: %s\n", c->err.hint);
	/* an operation that failed without saying how is the transport's fault */
	return c->err.exit != CTL_EXIT_OK ? (int)c->err.exit : CTL_EXIT_SERVER;
}

static int cmd_print_json(const json_t *j)
{
	return ctl_print_json(j) == 0 ? CTL_EXIT_OK : CTL_EXIT_SERVER;
}

static bool cmd_is_id(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) < 19 && strtoll(s, NULL, 10);
}

static int64_t cmd_id_of(const json_t *obj)
{
	return (int64_t)json_integer_value(json_object_get(obj, "id"));
}

/* Fills *out with the service ref names (an id or a name); the caller owns it. */
static int cmd_service_find(struct cmd *c, const char *ref, json_t **out)
{
	json_t *list, *s;
	size_t i;

	if (cmd_is_id(ref))
		return c->ops->get(c->t, FULCRUM_KIND_VS, strtoll(ref, NULL, 10), out, &c->err) == 0
			   ? CTL_EXIT_OK
			   : cmd_failed(c);
	if (c->ops->services_list(c->t, &list, &c->err) != 0)
		return cmd_failed(c);
	json_array_foreach(json_object_get(list, "services"), i, s)
	{
		const char *name = json_string_value(json_object_get(s, "name"));

		if (name && strcmp(name, ref) == 0) {
			*out = json_incref(s);
			json_decref(list);
			return CTL_EXIT_OK;
		}
	}
	json_decref(list);
	fprintf(stderr, "fulcrumctl: no service '%s'\n", ref);
	return CTL_EXIT_REFUSED;
}

/* ---- FIELD=VALUE as JSON ------------------------------------------------------ */

/*
 * The JSON the API takes for a field's text: integers, booleans, the flags
 * array, null for none. Text that does not fit its field's type goes as a
 * string, so that the model (the one place that validates) says what is
 * wrong. NULL when value is not UTF-8.
 */
static json_t *cmd_field_json(const char *field, const char *value)
{
	static const char *const ints[] = {
	    "port",        "fwmark",           "persistence_timeout", "persistence_netmask",
	    "tunnel_port", "weight",           "upper_threshold",     "lower_threshold",
	    "min_up",      "check.interval",   "check.timeout",       "check.rise",
	    "check.fall",  "check.check_port", "fallback.port",       "prefix",
	    NULL};
	static const char *const bools[] = {"one_packet", "check.head", "check.verify_tls", NULL};
	static const char *const nullable[] = {
	    "address",          "protocol", "tunnel_type",         "fallback",
	    "fallback.address", "check",    "check.check_address", NULL};
	size_t len = strlen(value);

	if (cmd_in(field, ints) && len > 0 && len < 19 && strspn(value, "0123456789") == len)
		return json_integer(strtoll(value, NULL, 10));
	/* check.X= (empty): none, or for a real server no override of X */
	if (strncmp(field, "check.", 6) == 0 && len == 0)
		return json_null();
	if (cmd_in(field, bools)) {
		if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
			return json_true();
		if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
			return json_false();
	}
	if (strcmp(field, "scheduler_flags") == 0) {
		json_t *arr = json_array();
		const char *p = value;

		while (arr && *p) {
			size_t n = strcspn(p, ",");

			json_array_append_new(arr, json_stringn(p, n));
			p += n + (p[n] == ',');
		}
		return arr;
	}
	if (cmd_in(field, nullable) && (len == 0 || strcmp(value, "none") == 0))
		return json_null();
	return json_string(value);
}

/*
 * Puts v into obj under field; a dotted field ("check.interval") goes into
 * the nested object ({"check": {"interval": v}}), made when absent.
 */
static void cmd_field_put(json_t *obj, const char *field, json_t *v)
{
	const char *dot = strchr(field, '.');
	char head[64];
	json_t *sub;

	if (!dot || (size_t)(dot - field) >= sizeof(head)) {
		json_object_set_new(obj, field, v);
		return;
	}
	memcpy(head, field, dot - field);
	head[dot - field] = '\0';
	sub = json_object_get(obj, head);
	if (!json_is_object(sub)) {
		sub = json_object();
		json_object_set_new(obj, head, sub);
	}
	json_object_set_new(sub, dot + 1, v);
}

/* Adds FIELD=VALUE arguments to the body obj. A ctl_exit status, having said why. */
static int cmd_fields(int argc, char **argv, json_t *obj)
{
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char field[64];
		json_t *v;

		if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(field)) {
			fprintf(stderr, "fulcrumctl: '%s' is not FIELD=VALUE\n", argv[i]);
			return CTL_EXIT_REFUSED;
		}
		memcpy(field, argv[i], eq - argv[i]);
		field[eq - argv[i]] = '\0';
		if (!(v = cmd_field_json(field, eq + 1))) {
			fprintf(stderr, "fulcrumctl: %s: the value is not valid UTF-8\n", field);
			return CTL_EXIT_REFUSED;
		}
		cmd_field_put(obj, field, v);
	}
	return CTL_EXIT_OK;
}

/* ---- commands ----------------------------------------------------------------- */

/* After a change: the object as the API has it now, or one line saying what was done. */
static int cmd_done(struct cmd *c, json_t *obj, int64_t revision, const char *what)
{
	int rc = CTL_EXIT_OK;

	if (c->json && obj) {
		rc = cmd_print_json(obj);
	} else if (c->json) {
		json_t *j =
		    json_pack("{s:s, s:I}", "result", what, "revision", (json_int_t)revision);

		rc = cmd_print_json(j);
		json_decref(j);
	} else if (revision >= 0) {
		printf("%s (revision %" PRId64 ")\n", what, revision);
	} else {
		printf("%s\n", what);
	}
	json_decref(obj);
	return rc;
}

static int cmd_service_list(struct cmd *c)
{
	json_t *list;
	int rc = CTL_EXIT_OK;

	if (c->ops->services_list(c->t, &list, &c->err) != 0)
		return cmd_failed(c);
	if (c->json)
		rc = cmd_print_json(list);
	else
		ctl_print_services(json_object_get(list, "services"));
	json_decref(list);
	return rc;
}

static int cmd_service_show(struct cmd *c, json_t *vs)
{
	json_t *reals;
	int rc = CTL_EXIT_OK;

	if (c->ops->reals_list(c->t, cmd_id_of(vs), &reals, &c->err) != 0)
		return cmd_failed(c);
	if (c->json) {
		json_object_set(vs, "reals", json_object_get(reals, "reals"));
		rc = cmd_print_json(vs);
	} else {
		ctl_print_fields(vs);
		printf("\n");
		ctl_print_reals(json_object_get(reals, "reals"));
	}
	json_decref(reals);
	return rc;
}

static int cmd_service_add(struct cmd *c, int argc, char **argv)
{
	json_t *body = json_pack("{s:s}", "name", argv[0]), *out = NULL;
	int64_t revision = -1;
	char what[160];
	int rc;

	if (!body) {
		fprintf(stderr, "fulcrumctl: %s: the name is not valid UTF-8\n", argv[0]);
		return CTL_EXIT_REFUSED;
	}
	if ((rc = cmd_fields(argc - 1, argv + 1, body)) == CTL_EXIT_OK) {
		if (c->ops->service_create(c->t, body, &out, &revision, &c->err) != 0) {
			rc = cmd_failed(c);
		} else {
			snprintf(what, sizeof(what), "service %s created with id %" PRId64, argv[0],
				 cmd_id_of(out));
			rc = cmd_done(c, out, revision, what);
		}
	}
	json_decref(body);
	return rc;
}

/* service set, enable, disable, delete: on the service vs, found already. */
static int cmd_service_change(struct cmd *c, json_t *vs, int argc, char **argv)
{
	const char *name = json_string_value(json_object_get(vs, "name"));
	bool del = strcmp(argv[0], "delete") == 0;
	json_t *body = json_object(), *out = NULL;
	int64_t revision = -1;
	char what[160];
	int rc = CTL_EXIT_OK, op;

	if (strcmp(argv[0], "set") == 0)
		rc = cmd_fields(argc - 2, argv + 2, body);
	else if (!del)
		json_object_set_new(body, "admin_state",
				    json_string(argv[0][0] == 'e' ? "enabled" : "disabled"));
	if (rc == CTL_EXIT_OK) {
		op = del ? c->ops->del(c->t, FULCRUM_KIND_VS, cmd_id_of(vs), &revision, &c->err)
			 : c->ops->patch(c->t, FULCRUM_KIND_VS, cmd_id_of(vs), body, &out,
					 &revision, &c->err);
		if (op != 0) {
			rc = cmd_failed(c);
		} else {
			snprintf(what, sizeof(what), "service %s %s", name ? name : argv[1],
				 del ? "deleted" : "updated");
			rc = cmd_done(c, out, revision, what);
		}
	}
	json_decref(body);
	return rc;
}

static int cmd_service(struct cmd *c, int argc, char **argv)
{
	static const char *const one[] = {"show", "delete", "enable", "disable", NULL};
	json_t *vs = NULL;
	int rc;

	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return cmd_service_list(c);
	if (argc >= 2 && strcmp(argv[0], "add") == 0)
		return cmd_service_add(c, argc - 1, argv + 1);
	/* set takes fields; show, delete, enable and disable only the service */
	if (!(strcmp(argv[0], "set") == 0 ? argc >= 3 : argc == 2 && cmd_in(argv[0], one)))
		return CTL_EXIT_USAGE;
	if ((rc = cmd_service_find(c, argv[1], &vs)) != CTL_EXIT_OK)
		return rc;
	if (strcmp(argv[0], "show") == 0)
		rc = cmd_service_show(c, vs);
	else
		rc = cmd_service_change(c, vs, argc, argv);
	json_decref(vs);
	return rc;
}

/* Every real server: of one service, or of all of them in the order of the services. */
static int cmd_real_list(struct cmd *c, const char *service)
{
	json_t *services = NULL, *all = json_array(), *vs = NULL, *s, *one, *rs;
	json_int_t revision = -1;
	size_t i, j;
	int rc = CTL_EXIT_OK;

	if (service) {
		if ((rc = cmd_service_find(c, service, &vs)) != CTL_EXIT_OK)
			goto out;
		services = json_pack("{s:[O]}", "services", vs);
	} else if (c->ops->services_list(c->t, &services, &c->err) != 0) {
		rc = cmd_failed(c);
		goto out;
	} else {
		revision = json_integer_value(json_object_get(services, "revision"));
	}
	json_array_foreach(json_object_get(services, "services"), i, s)
	{
		if (c->ops->reals_list(c->t, cmd_id_of(s), &one, &c->err) != 0) {
			rc = cmd_failed(c);
			goto out;
		}
		json_array_foreach(json_object_get(one, "reals"), j, rs)
		{
			json_array_append(all, rs);
		}
		revision = json_integer_value(json_object_get(one, "revision"));
		json_decref(one);
	}
	if (c->json) {
		json_t *obj = json_pack("{s:I, s:O}", "revision", revision, "reals", all);

		rc = cmd_print_json(obj);
		json_decref(obj);
	} else {
		ctl_print_reals(all);
	}
out:
	json_decref(services);
	json_decref(vs);
	json_decref(all);
	return rc;
}

static int cmd_real_add(struct cmd *c, int argc, char **argv)
{
	json_t *vs = NULL, *body = json_object(), *out = NULL;
	int64_t revision = -1;
	char what[160];
	int rc;

	if ((rc = cmd_service_find(c, argv[0], &vs)) == CTL_EXIT_OK &&
	    (rc = cmd_fields(argc - 1, argv + 1, body)) == CTL_EXIT_OK) {
		if (c->ops->real_create(c->t, cmd_id_of(vs), body, &out, &revision, &c->err) != 0) {
			rc = cmd_failed(c);
		} else {
			snprintf(what, sizeof(what), "real server created with id %" PRId64,
				 cmd_id_of(out));
			rc = cmd_done(c, out, revision, what);
		}
	}
	json_decref(vs);
	json_decref(body);
	return rc;
}

/* real show, set, enable, drain, disable, delete ID; state is the admin_state a verb sets. */
static int cmd_real_one(struct cmd *c, int argc, char **argv, const char *state)
{
	json_t *body = json_object(), *out = NULL;
	bool del = strcmp(argv[0], "delete") == 0;
	int64_t id, revision = -1;
	char what[160];
	int rc = CTL_EXIT_OK, op;

	if (!cmd_is_id(argv[1])) {
		fprintf(stderr, "fulcrumctl: real server id: '%s' is not a positive integer\n",
			argv[1]);
		json_decref(body);
		return CTL_EXIT_REFUSED;
	}
	id = strtoll(argv[1], NULL, 10);
	if (strcmp(argv[0], "show") == 0) {
		if (c->ops->get(c->t, FULCRUM_KIND_RS, id, &out, &c->err) != 0)
			rc = cmd_failed(c);
		else if (c->json)
			rc = cmd_print_json(out);
		else
			ctl_print_fields(out);
		json_decref(out);
		json_decref(body);
		return rc;
	}
	if (state)
		json_object_set_new(body, "admin_state", json_string(state));
	else if (!del)
		rc = cmd_fields(argc - 2, argv + 2, body);
	if (rc == CTL_EXIT_OK) {
		op = del ? c->ops->del(c->t, FULCRUM_KIND_RS, id, &revision, &c->err)
			 : c->ops->patch(c->t, FULCRUM_KIND_RS, id, body, &out, &revision, &c->err);
		if (op != 0) {
			rc = cmd_failed(c);
		} else {
			snprintf(what, sizeof(what), "real server %" PRId64 " %s", id,
				 del ? "deleted" : "updated");
			rc = cmd_done(c, out, revision, what);
		}
	}
	json_decref(body);
	return rc;
}

static int cmd_real(struct cmd *c, int argc, char **argv)
{
	static const char *const states[][2] = {
	    {"enable", "enabled"}, {"drain", "drained"}, {"disable", "disabled"}};
	const char *state = NULL;

	for (size_t i = 0; argc == 2 && i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(argv[0], states[i][0]) == 0)
			state = states[i][1];
	if (argc <= 2 && strcmp(argv[0], "list") == 0)
		return cmd_real_list(c, argc == 2 ? argv[1] : NULL);
	if (argc >= 2 && strcmp(argv[0], "add") == 0)
		return cmd_real_add(c, argc - 1, argv + 1);
	if (state || (strcmp(argv[0], "set") == 0 && argc >= 3) ||
	    ((strcmp(argv[0], "show") == 0 || strcmp(argv[0], "delete") == 0) && argc == 2))
		return cmd_real_one(c, argc, argv, state);
	return CTL_EXIT_USAGE;
}

/* ---- VIPs --------------------------------------------------------------------- */

/*
 * Fills *out with the VIP ref names: an id, or an address in any spelling
 * (2001:db8::1 is 2001:0db8::1); the caller owns it. A ctl_exit status.
 */
static int cmd_vip_find(struct cmd *c, const char *ref, json_t **out)
{
	struct fulcrum_addr want, have;
	json_t *list, *v;
	size_t i;

	if (cmd_is_id(ref))
		return c->ops->get(c->t, FULCRUM_KIND_VIP, strtoll(ref, NULL, 10), out, &c->err) ==
			       0
			   ? CTL_EXIT_OK
			   : cmd_failed(c);
	if (model_addr_parse(ref, &want) != 0) {
		fprintf(stderr,
			"fulcrumctl: VIP: '%s' is neither an id nor an IPv4 or IPv6 address\n",
			ref);
		return CTL_EXIT_REFUSED;
	}
	if (c->ops->vips_list(c->t, &list, &c->err) != 0)
		return cmd_failed(c);
	json_array_foreach(json_object_get(list, "vips"), i, v)
	{
		const char *addr = json_string_value(json_object_get(v, "address"));

		if (addr && model_addr_parse(addr, &have) == 0 && model_addr_equal(&have, &want)) {
			*out = json_incref(v);
			json_decref(list);
			return CTL_EXIT_OK;
		}
	}
	json_decref(list);
	fprintf(stderr, "fulcrumctl: no VIP '%s'\n", ref);
	return CTL_EXIT_REFUSED;
}

static int cmd_vip_list(struct cmd *c)
{
	json_t *list;
	int rc = CTL_EXIT_OK;

	if (c->ops->vips_list(c->t, &list, &c->err) != 0)
		return cmd_failed(c);
	if (c->json)
		rc = cmd_print_json(list);
	else
		ctl_print_vips(json_object_get(list, "vips"));
	json_decref(list);
	return rc;
}

/* vip add ADDRESS[/PREFIX] FIELD=VALUE...: the prefix after a '/' is the prefix field. */
static int cmd_vip_add(struct cmd *c, int argc, char **argv)
{
	const char *slash = strchr(argv[0], '/');
	json_t *body = json_object(), *out = NULL, *addr;
	int64_t revision = -1;
	char what[160];
	int rc;

	addr = slash ? json_stringn(argv[0], (size_t)(slash - argv[0])) : json_string(argv[0]);
	if (!addr) {
		fprintf(stderr, "fulcrumctl: %s: the address is not valid UTF-8\n", argv[0]);
		json_decref(body);
		return CTL_EXIT_REFUSED;
	}
	json_object_set_new(body, "address", addr);
	if (slash)
		json_object_set_new(body, "prefix", cmd_field_json("prefix", slash + 1));
	if ((rc = cmd_fields(argc - 1, argv + 1, body)) == CTL_EXIT_OK) {
		if (c->ops->vip_create(c->t, body, &out, &revision, &c->err) != 0) {
			rc = cmd_failed(c);
		} else {
			snprintf(what, sizeof(what), "VIP %s created with id %" PRId64,
				 json_string_value(json_object_get(out, "address")),
				 cmd_id_of(out));
			rc = cmd_done(c, out, revision, what);
		}
	}
	json_decref(body);
	return rc;
}

/* vip show, set, delete: on the VIP v, found already. */
static int cmd_vip_change(struct cmd *c, json_t *v, int argc, char **argv)
{
	bool del = strcmp(argv[0], "delete") == 0;
	json_t *body = json_object(), *out = NULL;
	int64_t revision = -1;
	char what[160];
	int rc = CTL_EXIT_OK, op;

	if (strcmp(argv[0], "show") == 0) {
		json_decref(body);
		if (c->json)
			return cmd_print_json(v);
		ctl_print_fields(v);
		return CTL_EXIT_OK;
	}
	if (!del)
		rc = cmd_fields(argc - 2, argv + 2, body);
	if (rc == CTL_EXIT_OK) {
		op = del ? c->ops->del(c->t, FULCRUM_KIND_VIP, cmd_id_of(v), &revision, &c->err)
			 : c->ops->patch(c->t, FULCRUM_KIND_VIP, cmd_id_of(v), body, &out,
					 &revision, &c->err);
		if (op != 0) {
			rc = cmd_failed(c);
		} else {
			snprintf(what, sizeof(what), "VIP %" PRId64 " %s", cmd_id_of(v),
				 del ? "deleted" : "updated");
			rc = cmd_done(c, out, revision, what);
		}
	}
	json_decref(body);
	return rc;
}

static int cmd_vip(struct cmd *c, int argc, char **argv)
{
	json_t *v = NULL;
	int rc;

	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return cmd_vip_list(c);
	if (argc >= 2 && strcmp(argv[0], "add") == 0)
		return cmd_vip_add(c, argc - 1, argv + 1);
	/* set takes fields; show and delete only the VIP */
	if (!(strcmp(argv[0], "set") == 0
		  ? argc >= 3
		  : argc == 2 && (strcmp(argv[0], "show") == 0 || strcmp(argv[0], "delete") == 0)))
		return CTL_EXIT_USAGE;
	if ((rc = cmd_vip_find(c, argv[1], &v)) != CTL_EXIT_OK)
		return rc;
	rc = cmd_vip_change(c, v, argc, argv);
	json_decref(v);
	return rc;
}

/* The change log after a revision, all of it: the API answers a page at a time. */
static int cmd_changes(struct cmd *c, int argc, char **argv)
{
	json_t *all = NULL, *page;
	json_int_t since = 0, next;
	bool more = true;
	int rc = CTL_EXIT_OK;

	if (argc > 1)
		return CTL_EXIT_USAGE;
	if (argc == 1 && (strspn(argv[0], "0123456789") != strlen(argv[0]) || !*argv[0] ||
			  strlen(argv[0]) > 18)) {
		fprintf(stderr, "fulcrumctl: since: '%s' is not a revision\n", argv[0]);
		return CTL_EXIT_USAGE;
	}
	if (argc == 1)
		since = strtoll(argv[0], NULL, 10);
	while (more) {
		if (c->ops->changes_page(c->t, since, &page, &c->err) != 0) {
			rc = cmd_failed(c);
			break;
		}
		next = json_integer_value(json_object_get(page, "next_since"));
		more = json_is_true(json_object_get(page, "more")) && next > since;
		since = next;
		if (!all) {
			all = page;
			continue;
		}
		json_array_extend(json_object_get(all, "changes"),
				  json_object_get(page, "changes"));
		json_object_set(all, "next_since", json_object_get(page, "next_since"));
		json_object_set(all, "more", json_object_get(page, "more"));
		json_decref(page);
	}
	if (rc == CTL_EXIT_OK && c->json)
		rc = cmd_print_json(all);
	else if (rc == CTL_EXIT_OK)
		ctl_print_changes(json_object_get(all, "changes"));
	json_decref(all);
	return rc;
}

static int cmd_status(struct cmd *c)
{
	json_t *st;
	int rc = CTL_EXIT_OK;

	if (c->ops->status(c->t, &st, &c->err) != 0)
		return cmd_failed(c);
	if (c->json)
		rc = cmd_print_json(st);
	else
		ctl_print_fields(st);
	json_decref(st);
	return rc;
}

/* Tokens are made only on the database itself: how the first admin gets in. */
static int cmd_token(struct cmd *c, int argc, char **argv)
{
	char token[128];
	json_t *list;
	int rc = CTL_EXIT_OK;

	if (!c->ops->token_create) {
		fprintf(stderr, "fulcrumctl: %s\n", CTL_CMD_TOKEN_NEEDS_DB);
		return CTL_EXIT_USAGE;
	}
	if (argc == 4 && strcmp(argv[0], "create") == 0 && strcmp(argv[2], "--role") == 0) {
		if (c->ops->token_create(c->t, argv[1], argv[3], token, sizeof(token), &c->err) !=
		    0)
			return cmd_failed(c);
		puts(token);
		memset(token, 0, sizeof(token));
		fprintf(stderr, "fulcrumctl: token '%s' (%s) created; it is shown only this once\n",
			argv[1], argv[3]);
		return CTL_EXIT_OK;
	}
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		if (c->ops->token_list(c->t, &list, &c->err) != 0)
			return cmd_failed(c);
		if (c->json)
			rc = cmd_print_json(list);
		else
			ctl_print_tokens(json_object_get(list, "tokens"));
		json_decref(list);
		return rc;
	}
	if (argc == 2 && strcmp(argv[0], "delete") == 0) {
		if (c->ops->token_delete(c->t, argv[1], &c->err) != 0)
			return cmd_failed(c);
		printf("token %s deleted\n", argv[1]);
		return CTL_EXIT_OK;
	}
	return CTL_EXIT_USAGE;
}

int ctl_cmd_run(struct ctl_transport *t, bool json, int argc, char **argv)
{
	struct cmd c = {.t = t, .ops = t->ops, .json = json};

	if (strcmp(argv[0], "service") == 0 && argc >= 2)
		return cmd_service(&c, argc - 1, argv + 1);
	if (strcmp(argv[0], "real") == 0 && argc >= 2)
		return cmd_real(&c, argc - 1, argv + 1);
	if (strcmp(argv[0], "vip") == 0 && argc >= 2)
		return cmd_vip(&c, argc - 1, argv + 1);
	if (strcmp(argv[0], "changes") == 0)
		return cmd_changes(&c, argc - 1, argv + 1);
	if (strcmp(argv[0], "status") == 0 && argc == 1)
		return cmd_status(&c);
	if (strcmp(argv[0], "token") == 0 && argc >= 2)
		return cmd_token(&c, argc - 1, argv + 1);
	if (strcmp(argv[0], "cluster") == 0 && argc >= 2)
		return ctl_cluster_run(t, json, argc - 1, argv + 1);
	if (ctl_config_is(argv[0]))
		return ctl_config_run(t, json, argc, argv);
	return CTL_EXIT_USAGE;
}
