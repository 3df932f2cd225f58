/* fulcrumctl: manage Fulcrum's services and real servers, over fulcrumd's HTTP API or on its database. */
#include "config.h"
#include "controller/ctl/ctl_http.h"
#include "controller/ctl/ctl_local.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_URL "http://127.0.0.1:8080"
#define TOKEN_MAX   512

/* A session with fulcrumd's API. */
struct remote {
	struct ctl_http *http;
	bool json;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: fulcrumctl [--url URL] [--token TOKEN] [--json] COMMAND [ARG]...\n"
		"       fulcrumctl --db PATH [--json] COMMAND [ARG]...\n"
		"Manage Fulcrum's virtual services and real servers: through fulcrumd's HTTP API,\n"
		"or with --db directly on its database (before the daemon runs, or for recovery).\n"
		"\n"
		"  --url URL      the API (default $FULCRUM_URL, else " DEFAULT_URL ")\n"
		"  --token TOKEN  the API token (default $FULCRUM_TOKEN, else the first line of\n"
		"                 ~/" CTL_HTTP_TOKEN_FILE ", which must be mode 0600); prefer the\n"
		"                 file or the variable: other users can see the command line\n"
		"  --db PATH      work on the database at PATH instead of the API\n"
		"  --json         print JSON (the API's own, over HTTP)\n"
		"\n"
		"Commands (SERVICE is a service's name or id; FIELD=VALUE sets a field):\n"
		"  service list\n"
		"  service show SERVICE\n"
		"  service add NAME FIELD=VALUE...\n"
		"  service set SERVICE FIELD=VALUE...\n"
		"  service enable|disable SERVICE\n"
		"  service delete SERVICE\n"
		"  real list [SERVICE]\n"
		"  real show ID\n"
		"  real add SERVICE FIELD=VALUE...\n"
		"  real set ID FIELD=VALUE...\n"
		"  real enable|drain|disable ID\n"
		"  real delete ID\n"
		"  changes [SINCE_REVISION]\n"
		"  status\n"
		"  token create NAME --role viewer|operator|admin   (--db only; prints the token "
		"once)\n"
		"  token list                                       (--db only)\n"
		"  token delete NAME                                (--db only)\n"
		"\n"
		"Service fields: address port protocol (tcp udp sctp) fwmark family (ipv4 ipv6)\n"
		"  scheduler (rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos)\n"
		"  scheduler_flags (fallback,port) persistence_timeout persistence_netmask\n"
		"  one_packet admin_state (enabled disabled) description min_up\n"
		"  check.type (none tcp http https external) check.path check.host\n"
		"  check.head check.expect_status (200-299,301) check.expect\n"
		"  check.expect_regex check.verify_tls check.command check.interval\n"
		"  check.timeout check.rise check.fall check.check_address check.check_port\n"
		"  check.on_failure (quiesce remove)\n"
		"  fallback.address fallback.port fallback.forwarding (fallback=none: remove)\n"
		"Real server fields: address port forwarding (masq route tunnel)\n"
		"  tunnel_type (ipip gue gre) tunnel_port weight upper_threshold\n"
		"  lower_threshold admin_state (enabled drained disabled) description\n"
		"  and its own check.type check.interval check.timeout check.rise check.fall\n"
		"  check.check_address check.check_port check.on_failure check.verify_tls,\n"
		"  overriding the service's (check.FIELD= removes one, check= all)\n"
		"\n"
		"Every change is validated by the model, committed in one transaction and\n"
		"recorded in the change log (origin http over the API, cli with --db).\n"
		"Exit status: 0 done, 1 refused (the message says which field and why),\n"
		"2 usage, 3 the server, the network or the database failed.\n");
}

/* ---- requests --------------------------------------------------------------- */

/*
 * Sends one request. Returns CTL_EXIT_OK with reply filled for a 2xx answer;
 * otherwise prints the API's error message (or what failed) and returns
 * CTL_EXIT_REFUSED for a 4xx answer, CTL_EXIT_SERVER for anything else.
 */
static int call(struct remote *r, const char *method, const char *path, const json_t *body,
		struct ctl_http_reply *reply)
{
	char err[1024];
	const char *msg;
	int rc;

	rc = ctl_http_request(r->http, method, path, body, reply, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "fulcrumctl: %s\n", err);
		return CTL_EXIT_SERVER;
	}
	if (reply->status >= 200 && reply->status < 300)
		return CTL_EXIT_OK;
	msg = json_string_value(json_object_get(json_object_get(reply->json, "error"), "message"));
	if (msg)
		fprintf(stderr, "fulcrumctl: %s\n", msg);
	else
		fprintf(stderr, "fulcrumctl: %s %s: HTTP %ld\n", method, path, reply->status);
	if (reply->status == 401)
		fprintf(stderr, "fulcrumctl: the token comes from --token, FULCRUM_TOKEN or ~/%s\n",
			CTL_HTTP_TOKEN_FILE);
	rc = reply->status >= 400 && reply->status < 500 ? CTL_EXIT_REFUSED : CTL_EXIT_SERVER;
	ctl_http_reply_clear(reply);
	return rc;
}

static int print_json(const json_t *j)
{
	char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	if (!text)
		return CTL_EXIT_SERVER;
	puts(text);
	free(text);
	return CTL_EXIT_OK;
}

static bool is_id(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) < 19 && strtoll(s, NULL, 10);
}

/* Fills *out with the service SERVICE names (an id or a name); the caller owns it. */
static int find_service(struct remote *r, const char *ref, json_t **out)
{
	struct ctl_http_reply reply;
	char path[64];
	size_t i;
	json_t *s;
	int rc;

	if (is_id(ref)) {
		snprintf(path, sizeof(path), "/api/v1/services/%s", ref);
		if ((rc = call(r, "GET", path, NULL, &reply)) != 0)
			return rc;
		*out = reply.json;
		return *out ? CTL_EXIT_OK : CTL_EXIT_SERVER;
	}
	if ((rc = call(r, "GET", "/api/v1/services", NULL, &reply)) != 0)
		return rc;
	json_array_foreach(json_object_get(reply.json, "services"), i, s)
	{
		if (json_is_string(json_object_get(s, "name")) &&
		    strcmp(json_string_value(json_object_get(s, "name")), ref) == 0) {
			*out = json_incref(s);
			ctl_http_reply_clear(&reply);
			return CTL_EXIT_OK;
		}
	}
	ctl_http_reply_clear(&reply);
	fprintf(stderr, "fulcrumctl: no service '%s'\n", ref);
	return CTL_EXIT_REFUSED;
}

static json_int_t id_of(const json_t *obj)
{
	return json_integer_value(json_object_get(obj, "id"));
}

/* ---- FIELD=VALUE as JSON ------------------------------------------------------ */

static bool field_in(const char *field, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(field, *list) == 0)
			return true;
	return false;
}

/*
 * The JSON the API takes for a field's text: integers, booleans, the flags
 * array, null for none. Text that does not fit its field's type goes as a
 * string, so that the API (the one place that validates) says what is wrong.
 */
static json_t *field_json(const char *field, const char *value)
{
	static const char *const ints[] = {
	    "port",        "fwmark",           "persistence_timeout", "persistence_netmask",
	    "tunnel_port", "weight",           "upper_threshold",     "lower_threshold",
	    "min_up",      "check.interval",   "check.timeout",       "check.rise",
	    "check.fall",  "check.check_port", "fallback.port",       NULL};
	static const char *const bools[] = {"one_packet", "check.head", "check.verify_tls", NULL};
	static const char *const nullable[] = {
	    "address",          "protocol", "tunnel_type",         "fallback",
	    "fallback.address", "check",    "check.check_address", NULL};
	size_t len = strlen(value);

	if (field_in(field, ints) && len > 0 && len < 19 && strspn(value, "0123456789") == len)
		return json_integer(strtoll(value, NULL, 10));
	/* check.X= (empty): none, or for a real server no override of X */
	if (strncmp(field, "check.", 6) == 0 && len == 0)
		return json_null();
	if (field_in(field, bools)) {
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
	if (field_in(field, nullable) && (len == 0 || strcmp(value, "none") == 0))
		return json_null();
	return json_string(value);
}

/*
 * Puts v into obj under field; a dotted field ("check.interval") goes into
 * the nested object ({"check": {"interval": v}}), made when absent.
 */
static void field_put(json_t *obj, const char *field, json_t *v)
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

/* Builds the body of FIELD=VALUE arguments into obj. 0 or a ctl_exit status, having said why. */
static int fields_json(int argc, char **argv, json_t *obj)
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
		if (!(v = field_json(field, eq + 1))) {
			fprintf(stderr, "fulcrumctl: %s: the value is not valid UTF-8\n", field);
			return CTL_EXIT_REFUSED;
		}
		field_put(obj, field, v);
	}
	return CTL_EXIT_OK;
}

/* ---- printing ----------------------------------------------------------------- */

/* A scalar as text: strings as they are, null as "-", arrays joined with ','. */
static const char *text_of(const json_t *v, char *buf, size_t len)
{
	size_t i, used = 0;
	json_t *item;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		return buf;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_ARRAY:
		buf[0] = '\0';
		json_array_foreach(v, i, item)
		{
			char one[64];

			if (used >= len)
				break;
			used += snprintf(buf + used, len - used, "%s%s", i ? "," : "",
					 text_of(item, one, sizeof(one)));
		}
		return buf;
	case JSON_OBJECT:
		return "(object)";
	default:
		return "-"; /* null, or absent */
	}
}

static const char *field_text(const json_t *obj, const char *key, char *buf, size_t len)
{
	return text_of(json_object_get(obj, key), buf, len);
}

/* One object as "key  value" lines; nested objects as "key.sub". */
static void print_fields(const char *prefix, const json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		char name[64], buf[256];

		snprintf(name, sizeof(name), "%s%s", prefix, key);
		if (json_is_object(v)) {
			strncat(name, ".", sizeof(name) - strlen(name) - 1);
			print_fields(name, v);
		} else if (!json_is_array(v) || !json_is_object(json_array_get(v, 0))) {
			printf("%-22s %s\n", name, text_of(v, buf, sizeof(buf)));
		}
	}
}

static const char *endpoint(const json_t *obj, char *buf, size_t len)
{
	const char *addr = json_string_value(json_object_get(obj, "address"));
	json_int_t port = json_integer_value(json_object_get(obj, "port"));

	if (!addr)
		snprintf(buf, len, "fwmark %" JSON_INTEGER_FORMAT " %s",
			 json_integer_value(json_object_get(obj, "fwmark")),
			 json_string_value(json_object_get(obj, "family")));
	else
		snprintf(buf, len,
			 strchr(addr, ':') ? "[%s]:%" JSON_INTEGER_FORMAT
					   : "%s:%" JSON_INTEGER_FORMAT,
			 addr, port);
	return buf;
}

/* Each field its own buffer: numbers are written into it, and printf reads them all at once. */
static void print_vs_row(const json_t *s)
{
	char where[80], b[7][64];
	const json_t *st = json_object_get(s, "status");

	printf("%-6s %-20s %-26s %-5s %-6s %-9s %-11s %-6s %s\n", field_text(s, "id", b[0], 64),
	       field_text(s, "name", b[1], 64), endpoint(s, where, sizeof(where)),
	       field_text(s, "protocol", b[2], 64), field_text(s, "scheduler", b[3], 64),
	       field_text(s, "admin_state", b[4], 64), field_text(st, "kernel_state", b[5], 64),
	       field_text(s, "reals_total", b[6], 64), field_text(s, "scheduler_flags", b[1], 64));
}

static void print_rs_header(void)
{
	printf("%-6s %-8s %-42s %-12s %-6s %-9s %s\n", "ID", "SERVICE", "ADDRESS", "FORWARDING",
	       "WEIGHT", "STATE", "KERNEL");
}

static void print_rs_row(const json_t *rs)
{
	char where[80], fwd[40], b[5][32];
	const char *f = json_string_value(json_object_get(rs, "forwarding"));
	const json_t *st = json_object_get(rs, "status");

	if (f && strcmp(f, "tunnel") == 0)
		snprintf(fwd, sizeof(fwd), "tunnel/%s", field_text(rs, "tunnel_type", b[0], 32));
	else
		snprintf(fwd, sizeof(fwd), "%s", f ? f : "-");
	printf("%-6s %-8s %-42s %-12s %-6s %-9s %s\n", field_text(rs, "id", b[0], 32),
	       field_text(rs, "service_id", b[1], 32), endpoint(rs, where, sizeof(where)), fwd,
	       field_text(rs, "weight", b[2], 32), field_text(rs, "admin_state", b[3], 32),
	       field_text(st, "kernel_state", b[4], 32));
}

/* After a change: the API's JSON, or one line saying what was done. */
static int done(struct remote *r, struct ctl_http_reply *reply, const char *what)
{
	int rc = CTL_EXIT_OK;

	if (r->json && reply->json) {
		rc = print_json(reply->json);
	} else if (r->json) {
		json_t *j = json_pack("{s:s, s:I}", "result", what, "revision",
				      (json_int_t)reply->revision);

		rc = print_json(j);
		json_decref(j);
	} else if (reply->revision >= 0)
		printf("%s (revision %" PRId64 ")\n", what, reply->revision);
	else
		printf("%s\n", what);
	ctl_http_reply_clear(reply);
	return rc;
}

/* ---- commands ----------------------------------------------------------------- */

static int cmd_service_list(struct remote *r)
{
	struct ctl_http_reply reply;
	size_t i;
	json_t *s;
	int rc;

	if ((rc = call(r, "GET", "/api/v1/services", NULL, &reply)) != 0)
		return rc;
	if (r->json) {
		rc = print_json(reply.json);
	} else {
		printf("%-6s %-20s %-26s %-5s %-6s %-9s %-11s %-6s %s\n", "ID", "NAME", "ADDRESS",
		       "PROTO", "SCHED", "STATE", "KERNEL", "REALS", "FLAGS");
		json_array_foreach(json_object_get(reply.json, "services"), i, s)
		{
			print_vs_row(s);
		}
	}
	ctl_http_reply_clear(&reply);
	return rc;
}

static int cmd_service_show(struct remote *r, json_t *vs)
{
	struct ctl_http_reply reply;
	char path[64];
	size_t i;
	json_t *rs;
	int rc;

	snprintf(path, sizeof(path), "/api/v1/services/%" JSON_INTEGER_FORMAT "/reals", id_of(vs));
	if ((rc = call(r, "GET", path, NULL, &reply)) != 0)
		return rc;
	if (r->json) {
		json_object_set(vs, "reals", json_object_get(reply.json, "reals"));
		rc = print_json(vs);
	} else {
		print_fields("", vs);
		printf("\n");
		print_rs_header();
		json_array_foreach(json_object_get(reply.json, "reals"), i, rs)
		{
			print_rs_row(rs);
		}
	}
	ctl_http_reply_clear(&reply);
	return rc;
}

/* service set takes fields; show, delete, enable and disable only the service. */
static bool service_verb_ok(int argc, char **argv)
{
	static const char *const verbs[] = {"show", "delete", "enable", "disable", NULL};

	if (strcmp(argv[0], "set") == 0)
		return argc >= 3;
	return argc == 2 && field_in(argv[0], verbs);
}

static int cmd_service(struct remote *r, int argc, char **argv)
{
	struct ctl_http_reply reply;
	json_t *vs = NULL, *body = json_object();
	char path[64], what[160];
	int rc;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		rc = cmd_service_list(r);
	} else if (argc >= 2 && strcmp(argv[0], "add") == 0) {
		json_object_set_new(body, "name", json_string(argv[1]));
		if ((rc = fields_json(argc - 2, argv + 2, body)) == 0 &&
		    (rc = call(r, "POST", "/api/v1/services", body, &reply)) == 0) {
			snprintf(what, sizeof(what),
				 "service %s created with id %" JSON_INTEGER_FORMAT, argv[1],
				 id_of(reply.json));
			rc = done(r, &reply, what);
		}
	} else if (!service_verb_ok(argc, argv)) {
		rc = CTL_EXIT_USAGE;
	} else if ((rc = find_service(r, argv[1], &vs)) != 0) {
		/* said why */
	} else if (strcmp(argv[0], "show") == 0) {
		rc = cmd_service_show(r, vs);
	} else {
		const char *name = json_string_value(json_object_get(vs, "name"));
		bool del = strcmp(argv[0], "delete") == 0;

		snprintf(path, sizeof(path), "/api/v1/services/%" JSON_INTEGER_FORMAT, id_of(vs));
		if (strcmp(argv[0], "set") == 0)
			rc = fields_json(argc - 2, argv + 2, body);
		else if (!del)
			json_object_set_new(
			    body, "admin_state",
			    json_string(argv[0][0] == 'e' ? "enabled" : "disabled"));
		if (rc == 0 && (rc = call(r, del ? "DELETE" : "PATCH", path, del ? NULL : body,
					  &reply)) == 0) {
			snprintf(what, sizeof(what), "service %s %s", name ? name : argv[1],
				 del ? "deleted" : "updated");
			rc = done(r, &reply, what);
		}
	}
	json_decref(vs);
	json_decref(body);
	return rc;
}

/* Every real server: of one service, or of all of them in the order of the services. */
static int cmd_real_list(struct remote *r, const char *service)
{
	struct ctl_http_reply reply, one;
	json_t *all = json_array(), *vs = NULL, *s, *rs;
	json_int_t revision = 0;
	char path[64];
	size_t i, j;
	int rc;

	if (service) {
		if ((rc = find_service(r, service, &vs)) != 0)
			goto out;
		reply.json = json_pack("{s:[O]}", "services", vs);
	} else if ((rc = call(r, "GET", "/api/v1/services", NULL, &reply)) != 0) {
		goto out;
	}
	json_array_foreach(json_object_get(reply.json, "services"), i, s)
	{
		snprintf(path, sizeof(path), "/api/v1/services/%" JSON_INTEGER_FORMAT "/reals",
			 id_of(s));
		if ((rc = call(r, "GET", path, NULL, &one)) != 0)
			break;
		json_array_foreach(json_object_get(one.json, "reals"), j, rs)
		{
			json_array_append(all, rs);
		}
		revision = json_integer_value(json_object_get(one.json, "revision"));
		ctl_http_reply_clear(&one);
	}
	json_decref(reply.json);
	if (rc != 0)
		goto out;
	if (r->json) {
		json_t *obj = json_pack("{s:I, s:O}", "revision", revision, "reals", all);

		rc = print_json(obj);
		json_decref(obj);
	} else {
		print_rs_header();
		json_array_foreach(all, i, rs)
		{
			print_rs_row(rs);
		}
	}
out:
	json_decref(vs);
	json_decref(all);
	return rc;
}

static int cmd_real(struct remote *r, int argc, char **argv)
{
	static const char *const states[][2] = {
	    {"enable", "enabled"}, {"drain", "drained"}, {"disable", "disabled"}};
	struct ctl_http_reply reply;
	json_t *vs = NULL, *body = json_object();
	char path[80], what[160];
	const char *state = NULL;
	int rc = CTL_EXIT_USAGE;

	for (size_t i = 0; argc == 2 && i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(argv[0], states[i][0]) == 0)
			state = states[i][1];
	if (argc >= 1 && argc <= 2 && strcmp(argv[0], "list") == 0) {
		rc = cmd_real_list(r, argc == 2 ? argv[1] : NULL);
	} else if (argc >= 2 && strcmp(argv[0], "add") == 0) {
		if ((rc = find_service(r, argv[1], &vs)) == 0 &&
		    (rc = fields_json(argc - 2, argv + 2, body)) == 0) {
			snprintf(path, sizeof(path),
				 "/api/v1/services/%" JSON_INTEGER_FORMAT "/reals", id_of(vs));
			if ((rc = call(r, "POST", path, body, &reply)) == 0) {
				snprintf(what, sizeof(what),
					 "real server created with id %" JSON_INTEGER_FORMAT,
					 id_of(reply.json));
				rc = done(r, &reply, what);
			}
		}
	} else if (argc >= 2 &&
		   (state || (strcmp(argv[0], "set") == 0 && argc >= 3) ||
		    ((strcmp(argv[0], "show") == 0 || strcmp(argv[0], "delete") == 0) &&
		     argc == 2))) {
		if (!is_id(argv[1])) {
			fprintf(stderr,
				"fulcrumctl: real server id: '%s' is not a positive integer\n",
				argv[1]);
			rc = CTL_EXIT_REFUSED;
			goto out;
		}
		snprintf(path, sizeof(path), "/api/v1/reals/%s", argv[1]);
		snprintf(what, sizeof(what), "real server %s %s", argv[1],
			 strcmp(argv[0], "delete") == 0 ? "deleted" : "updated");
		if (strcmp(argv[0], "show") == 0) {
			if ((rc = call(r, "GET", path, NULL, &reply)) == 0) {
				if (r->json)
					rc = print_json(reply.json);
				else
					print_fields("", reply.json);
				ctl_http_reply_clear(&reply);
			}
		} else if (strcmp(argv[0], "delete") == 0) {
			if ((rc = call(r, "DELETE", path, NULL, &reply)) == 0)
				rc = done(r, &reply, what);
		} else {
			rc = CTL_EXIT_OK;
			if (state)
				json_object_set_new(body, "admin_state", json_string(state));
			else
				rc = fields_json(argc - 2, argv + 2, body);
			if (rc == 0 && (rc = call(r, "PATCH", path, body, &reply)) == 0)
				rc = done(r, &reply, what);
		}
	}
out:
	json_decref(vs);
	json_decref(body);
	return rc;
}

/* A change-log time, Unix seconds or already text, as UTC. */
static const char *when_text(const json_t *v, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (!json_is_integer(v))
		return text_of(v, buf, len);
	t = (time_t)json_integer_value(v);
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void print_change_row(const json_t *ch)
{
	char b[5][80], obj[128], t[32];
	const json_t *before = json_object_get(ch, "before");
	const json_t *after = json_object_get(ch, "after");

	snprintf(obj, sizeof(obj), "%s %s", field_text(ch, "object_type", b[0], 80),
		 field_text(ch, "object_id", b[1], 80));
	printf("%-8s %-20s %-12s %-6s %-14s %s\n", field_text(ch, "revision", b[2], 80),
	       when_text(json_object_get(ch, "time"), t, sizeof(t)),
	       field_text(ch, "actor", b[3], 80), field_text(ch, "origin", b[4], 80), obj,
	       json_is_null(before) || !before ? "created"
	       : json_is_null(after) || !after ? "deleted"
					       : "updated");
}

/* The change log after a revision, all of it: the API answers a page at a time. */
static int cmd_changes(struct remote *r, int argc, char **argv)
{
	struct ctl_http_reply reply;
	json_t *all = NULL, *ch;
	json_int_t since = 0, next;
	bool more = true;
	char path[80];
	size_t i;
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
		snprintf(path, sizeof(path), "/api/v1/changes?since=%" JSON_INTEGER_FORMAT, since);
		if ((rc = call(r, "GET", path, NULL, &reply)) != 0)
			break;
		next = json_integer_value(json_object_get(reply.json, "next_since"));
		more = json_is_true(json_object_get(reply.json, "more")) && next > since;
		since = next;
		if (!all) {
			all = json_incref(reply.json);
		} else {
			json_array_extend(json_object_get(all, "changes"),
					  json_object_get(reply.json, "changes"));
			json_object_set(all, "next_since",
					json_object_get(reply.json, "next_since"));
			json_object_set(all, "more", json_object_get(reply.json, "more"));
		}
		ctl_http_reply_clear(&reply);
	}
	if (rc == 0 && r->json) {
		rc = print_json(all);
	} else if (rc == 0) {
		printf("%-8s %-20s %-12s %-6s %-14s %s\n", "REVISION", "TIME", "ACTOR", "ORIGIN",
		       "OBJECT", "CHANGE");
		json_array_foreach(json_object_get(all, "changes"), i, ch)
		{
			print_change_row(ch);
		}
	}
	json_decref(all);
	return rc;
}

static int cmd_status(struct remote *r)
{
	struct ctl_http_reply reply;
	int rc;

	if ((rc = call(r, "GET", "/api/v1/status", NULL, &reply)) != 0)
		return rc;
	if (r->json)
		rc = print_json(reply.json);
	else
		print_fields("", reply.json);
	ctl_http_reply_clear(&reply);
	return rc;
}

static int run_remote(const char *url, const char *token_opt, bool json, int argc, char **argv)
{
	struct remote r = {.json = json};
	static const char *const commands[] = {"service", "real", "changes", "status", NULL};
	char token[TOKEN_MAX], err[512];
	int rc;

	if (!field_in(argv[0], commands)) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	rc = ctl_http_token_find(token_opt, token, sizeof(token), err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "fulcrumctl: %s\n", err);
		return rc == -ENOENT ? CTL_EXIT_USAGE : CTL_EXIT_REFUSED;
	}
	rc = ctl_http_open(url, token, &r.http, err, sizeof(err));
	memset(token, 0, sizeof(token));
	if (rc != 0) {
		fprintf(stderr, "fulcrumctl: %s\n", err);
		return rc == -EINVAL ? CTL_EXIT_USAGE : CTL_EXIT_SERVER;
	}
	if (strcmp(argv[0], "service") == 0 && argc >= 2)
		rc = cmd_service(&r, argc - 1, argv + 1);
	else if (strcmp(argv[0], "real") == 0 && argc >= 2)
		rc = cmd_real(&r, argc - 1, argv + 1);
	else if (strcmp(argv[0], "changes") == 0)
		rc = cmd_changes(&r, argc - 1, argv + 1);
	else if (strcmp(argv[0], "status") == 0 && argc == 1)
		rc = cmd_status(&r);
	else
		rc = CTL_EXIT_USAGE;
	ctl_http_free(r.http);
	if (rc == CTL_EXIT_USAGE)
		usage(stderr);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"url", required_argument, NULL, 'u'},
	    {"token", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *db_path = NULL, *url = NULL, *token = NULL;
	bool json = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+d:u:t:jhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			db_path = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 't':
			token = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("fulcrumctl %s\n", PACKAGE_VERSION);
			return CTL_EXIT_OK;
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		fprintf(stderr, "fulcrumctl: no command\n");
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (db_path && (url || token)) {
		fprintf(stderr, "fulcrumctl: --db works on the database; --url and --token are "
				"for the API: give one or the other\n");
		return CTL_EXIT_USAGE;
	}
	if (!url)
		url = getenv("FULCRUM_URL");
	if (!url || !*url)
		url = DEFAULT_URL;
	if (!db_path && strcmp(argv[0], "token") == 0) {
		fprintf(stderr, "fulcrumctl: token commands work on the database itself: give "
				"--db PATH (on the director)\n");
		return CTL_EXIT_USAGE;
	}
	if (!db_path)
		return run_remote(url, token, json, argc, argv);
	rc = ctl_local_run(db_path, json, argc, argv);
	if (rc == CTL_EXIT_USAGE)
		usage(stderr);
	return rc;
}
