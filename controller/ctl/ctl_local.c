/* fulcrumctl's local mode: each command run on the database itself (--db PATH). */
#include "controller/ctl/ctl_local.h"
#include "config.h"
#include "controller/core/auth.h"
#include "controller/core/command.h"
#include "controller/model/model.h"
#include "controller/model/model_json.h"
#include "db/db.h"

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ctl {
	struct db *db;
	bool json;
	char actor[65];
};

static int refuse(const struct fulcrum_err *err)
{
	fprintf(stderr, "fulcrumctl: %s\n", err->message);
	return err->status == FULCRUM_ERR_INTERNAL ? CTL_EXIT_SERVER : CTL_EXIT_REFUSED;
}

static int print_json(json_t *j)
{
	char *text;

	if (!j)
		return CTL_EXIT_SERVER;
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text)
		return CTL_EXIT_SERVER;
	puts(text);
	free(text);
	return CTL_EXIT_OK;
}

/* Finds a service by id (all digits) or by name. */
static int find_service(struct ctl *c, const char *ref, struct fulcrum_vs *out)
{
	char *end;
	long long id;
	int rc;

	errno = 0;
	id = strtoll(ref, &end, 10);
	if (*ref && *end == '\0' && errno == 0 && id > 0)
		rc = db_vs_get(c->db, id, out);
	else
		rc = db_vs_find_by_name(c->db, ref, out);
	if (rc == -ENOENT)
		fprintf(stderr, "fulcrumctl: no service '%s'\n", ref);
	else if (rc != 0)
		fprintf(stderr, "fulcrumctl: %s\n", db_errmsg(c->db));
	return rc;
}

static int find_real(struct ctl *c, const char *ref, struct fulcrum_rs *out)
{
	char *end;
	long long id;
	int rc;

	errno = 0;
	id = strtoll(ref, &end, 10);
	if (!*ref || *end != '\0' || errno != 0 || id <= 0) {
		fprintf(stderr, "fulcrumctl: real server id: '%s' is not a positive integer\n",
			ref);
		return -EINVAL;
	}
	rc = db_rs_get(c->db, id, out);
	if (rc == -ENOENT)
		fprintf(stderr, "fulcrumctl: no real server %s\n", ref);
	else if (rc != 0)
		fprintf(stderr, "fulcrumctl: %s\n", db_errmsg(c->db));
	return rc;
}

/* Applies FIELD=VALUE arguments; a service or a real server, whichever is not NULL. */
static int apply_fields(int argc, char **argv, struct fulcrum_vs *vs, struct fulcrum_rs *rs,
			struct fulcrum_err *err)
{
	for (int i = 0; i < argc; i++) {
		char field[64];
		const char *eq = strchr(argv[i], '=');
		size_t flen = eq ? (size_t)(eq - argv[i]) : 0;
		int rc;

		if (!eq || flen == 0 || flen >= sizeof(field)) {
			return model_err_set(err, FULCRUM_ERR_INVALID, NULL,
					     "'%s' is not FIELD=VALUE", argv[i]);
		}
		memcpy(field, argv[i], flen);
		field[flen] = '\0';
		rc = vs ? model_vs_set_field(vs, field, eq + 1, err)
			: model_rs_set_field(rs, field, eq + 1, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void print_vs_row(struct ctl *c, const struct fulcrum_vs *vs)
{
	char where[MODEL_ENDPOINT_STRLEN + 16], flags[16] = "";
	struct fulcrum_rs *rs = NULL;
	size_t n = 0;

	if (vs->fwmark)
		snprintf(where, sizeof(where), "fwmark %" PRIu32 " %s", vs->fwmark,
			 model_family_name(vs->family));
	else
		model_endpoint_format(&vs->addr, vs->port, where, sizeof(where));
	model_sched_flags_format(vs->scheduler_flags, flags, sizeof(flags));
	if (db_rs_list(c->db, vs->id, &rs, &n) != 0)
		n = 0;
	free(rs);
	printf("%-6" PRId64 " %-20s %-26s %-5s %-6s %-9s %-6zu %s\n", vs->id, vs->name, where,
	       vs->fwmark ? "-" : model_protocol_name(vs->protocol),
	       model_scheduler_name(vs->scheduler), model_vs_admin_name(vs->admin_state), n, flags);
}

static void print_rs_row(const struct fulcrum_rs *rs)
{
	char where[MODEL_ENDPOINT_STRLEN];
	char fwd[24];

	model_endpoint_format(&rs->addr, rs->port, where, sizeof(where));
	if (rs->forwarding == FULCRUM_FWD_TUNNEL)
		snprintf(fwd, sizeof(fwd), "tunnel/%s", model_tunnel_name(rs->tunnel_type));
	else
		snprintf(fwd, sizeof(fwd), "%s", model_forwarding_name(rs->forwarding));
	printf("%-6" PRId64 " %-8" PRId64 " %-42s %-12s %-6" PRIu32 " %s\n", rs->id, rs->vs_id,
	       where, fwd, rs->weight, model_rs_admin_name(rs->admin_state));
}

static int cmd_service_list(struct ctl *c)
{
	struct fulcrum_vs *vs = NULL;
	size_t n = 0;

	if (db_vs_list(c->db, &vs, &n) != 0) {
		fprintf(stderr, "fulcrumctl: %s\n", db_errmsg(c->db));
		return CTL_EXIT_SERVER;
	}
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, model_vs_to_json(&vs[i]));
		free(vs);
		return print_json(arr);
	}
	printf("%-6s %-20s %-26s %-5s %-6s %-9s %-6s %s\n", "ID", "NAME", "ADDRESS", "PROTO",
	       "SCHED", "STATE", "REALS", "FLAGS");
	for (size_t i = 0; i < n; i++)
		print_vs_row(c, &vs[i]);
	free(vs);
	return CTL_EXIT_OK;
}

static int cmd_real_list(struct ctl *c, const char *service)
{
	struct fulcrum_vs vs = {0};
	struct fulcrum_rs *rs = NULL;
	size_t n = 0;

	if (service && find_service(c, service, &vs) != 0)
		return CTL_EXIT_REFUSED;
	if (db_rs_list(c->db, service ? vs.id : 0, &rs, &n) != 0) {
		fprintf(stderr, "fulcrumctl: %s\n", db_errmsg(c->db));
		return CTL_EXIT_SERVER;
	}
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, model_rs_to_json(&rs[i]));
		free(rs);
		return print_json(arr);
	}
	printf("%-6s %-8s %-42s %-12s %-6s %s\n", "ID", "SERVICE", "ADDRESS", "FORWARDING",
	       "WEIGHT", "STATE");
	for (size_t i = 0; i < n; i++)
		print_rs_row(&rs[i]);
	free(rs);
	return CTL_EXIT_OK;
}

static int done(struct ctl *c, int64_t rev, const char *what)
{
	if (c->json)
		return print_json(
		    json_pack("{s:s, s:I}", "result", what, "revision", (json_int_t)rev));
	printf("%s (revision %" PRId64 ")\n", what, rev);
	return CTL_EXIT_OK;
}

static int cmd_service(struct ctl *c, int argc, char **argv)
{
	const struct command_actor actor = {c->actor, FULCRUM_ORIGIN_CLI};
	struct fulcrum_err err = {0};
	struct fulcrum_vs vs;
	int64_t rev = 0;
	char what[128];

	if (argc < 1)
		return CTL_EXIT_USAGE;
	if (strcmp(argv[0], "list") == 0 && argc == 1)
		return cmd_service_list(c);
	if (argc < 2)
		return CTL_EXIT_USAGE;
	if (strcmp(argv[0], "add") == 0) {
		model_vs_init(&vs);
		if (model_vs_set_field(&vs, "name", argv[1], &err) != 0 ||
		    apply_fields(argc - 2, argv + 2, &vs, NULL, &err) != 0 ||
		    command_vs_create(c->db, &actor, &vs, NULL, 0, 0, &rev, &err) != 0)
			return refuse(&err);
		snprintf(what, sizeof(what), "service %s created with id %" PRId64, vs.name, vs.id);
		return done(c, rev, what);
	}
	if (find_service(c, argv[1], &vs) != 0)
		return CTL_EXIT_REFUSED;
	if (strcmp(argv[0], "show") == 0 && argc == 2) {
		json_t *j = model_vs_to_json(&vs);
		struct fulcrum_rs *rs = NULL;
		size_t n = 0;
		json_t *reals = json_array();

		if (db_rs_list(c->db, vs.id, &rs, &n) == 0)
			for (size_t i = 0; i < n; i++)
				json_array_append_new(reals, model_rs_to_json(&rs[i]));
		free(rs);
		json_object_set_new(j, "reals", reals);
		return print_json(j);
	}
	if (strcmp(argv[0], "delete") == 0 && argc == 2) {
		if (command_vs_delete(c->db, &actor, vs.id, 0, &rev, &err) != 0)
			return refuse(&err);
		snprintf(what, sizeof(what), "service %s deleted", vs.name);
		return done(c, rev, what);
	}
	if (strcmp(argv[0], "set") == 0 && argc >= 3) {
		if (apply_fields(argc - 2, argv + 2, &vs, NULL, &err) != 0)
			return refuse(&err);
	} else if ((strcmp(argv[0], "enable") == 0 || strcmp(argv[0], "disable") == 0) &&
		   argc == 2) {
		if (model_vs_set_field(&vs, "admin_state",
				       argv[0][0] == 'e' ? "enabled" : "disabled", &err) != 0)
			return refuse(&err);
	} else {
		return CTL_EXIT_USAGE;
	}
	if (command_vs_update(c->db, &actor, &vs, 0, &rev, &err) != 0)
		return refuse(&err);
	snprintf(what, sizeof(what), "service %s updated", vs.name);
	return done(c, rev, what);
}

static int cmd_real(struct ctl *c, int argc, char **argv)
{
	const struct command_actor actor = {c->actor, FULCRUM_ORIGIN_CLI};
	static const char *const states[][2] = {
	    {"enable", "enabled"}, {"drain", "drained"}, {"disable", "disabled"}};
	struct fulcrum_err err = {0};
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	int64_t rev = 0;
	char what[128];

	if (argc < 1)
		return CTL_EXIT_USAGE;
	if (strcmp(argv[0], "list") == 0 && argc <= 2)
		return cmd_real_list(c, argc == 2 ? argv[1] : NULL);
	if (argc < 2)
		return CTL_EXIT_USAGE;
	if (strcmp(argv[0], "add") == 0) {
		if (find_service(c, argv[1], &vs) != 0)
			return CTL_EXIT_REFUSED;
		model_rs_init(&rs);
		rs.vs_id = vs.id;
		if (apply_fields(argc - 2, argv + 2, NULL, &rs, &err) != 0 ||
		    command_rs_create(c->db, &actor, &rs, 0, &rev, &err) != 0)
			return refuse(&err);
		snprintf(what, sizeof(what), "real server created with id %" PRId64, rs.id);
		return done(c, rev, what);
	}
	if (find_real(c, argv[1], &rs) != 0)
		return CTL_EXIT_REFUSED;
	if (strcmp(argv[0], "show") == 0 && argc == 2)
		return print_json(model_rs_to_json(&rs));
	if (strcmp(argv[0], "delete") == 0 && argc == 2) {
		if (command_rs_delete(c->db, &actor, rs.id, 0, &rev, &err) != 0)
			return refuse(&err);
		snprintf(what, sizeof(what), "real server %" PRId64 " deleted", rs.id);
		return done(c, rev, what);
	}
	if (strcmp(argv[0], "set") == 0 && argc >= 3) {
		if (apply_fields(argc - 2, argv + 2, NULL, &rs, &err) != 0)
			return refuse(&err);
	} else {
		size_t i;

		for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
			if (strcmp(argv[0], states[i][0]) == 0 && argc == 2)
				break;
		if (i == sizeof(states) / sizeof(states[0]))
			return CTL_EXIT_USAGE;
		if (model_rs_set_field(&rs, "admin_state", states[i][1], &err) != 0)
			return refuse(&err);
	}
	if (command_rs_update(c->db, &actor, &rs, 0, &rev, &err) != 0)
		return refuse(&err);
	snprintf(what, sizeof(what), "real server %" PRId64 " updated", rs.id);
	return done(c, rev, what);
}

static int cmd_changes(struct ctl *c, int argc, char **argv)
{
	struct fulcrum_change *ch = NULL;
	long long since = 0;
	char *end = NULL;
	size_t n = 0;

	if (argc > 1)
		return CTL_EXIT_USAGE;
	if (argc == 1) {
		errno = 0;
		since = strtoll(argv[0], &end, 10);
		if (!*argv[0] || *end || errno || since < 0) {
			fprintf(stderr, "fulcrumctl: since: '%s' is not a revision\n", argv[0]);
			return CTL_EXIT_USAGE;
		}
	}
	if (db_change_list(c->db, since, 0, &ch, &n) != 0) {
		fprintf(stderr, "fulcrumctl: %s\n", db_errmsg(c->db));
		return CTL_EXIT_SERVER;
	}
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++) {
			json_t *row = json_pack(
			    "{s:I, s:I, s:s, s:s, s:s, s:I}", "revision",
			    (json_int_t)ch[i].revision, "time", (json_int_t)ch[i].time, "actor",
			    ch[i].actor, "origin", model_origin_name(ch[i].origin), "object_type",
			    ch[i].object_type, "object_id", (json_int_t)ch[i].object_id);

			json_object_set_new(row, "before",
					    ch[i].before ? json_loads(ch[i].before, 0, NULL)
							 : json_null());
			json_object_set_new(row, "after",
					    ch[i].after ? json_loads(ch[i].after, 0, NULL)
							: json_null());
			json_array_append_new(arr, row);
		}
		fulcrum_change_list_free(ch, n);
		return print_json(arr);
	}
	printf("%-8s %-20s %-12s %-6s %-8s %s\n", "REVISION", "TIME", "ACTOR", "ORIGIN", "OBJECT",
	       "CHANGE");
	for (size_t i = 0; i < n; i++) {
		char when[32], obj[32];
		time_t t = (time_t)ch[i].time;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(obj, sizeof(obj), "%s %" PRId64, ch[i].object_type, ch[i].object_id);
		printf("%-8" PRId64 " %-20s %-12s %-6s %-14s %s\n", ch[i].revision, when,
		       ch[i].actor, model_origin_name(ch[i].origin), obj,
		       !ch[i].before  ? "created"
		       : !ch[i].after ? "deleted"
				      : "updated");
	}
	fulcrum_change_list_free(ch, n);
	return CTL_EXIT_OK;
}

static int cmd_status(struct ctl *c)
{
	struct fulcrum_vs *vs = NULL;
	struct fulcrum_rs *rs = NULL;
	size_t nvs = 0, nrs = 0;

	if (db_vs_list(c->db, &vs, &nvs) != 0 || db_rs_list(c->db, 0, &rs, &nrs) != 0) {
		fprintf(stderr, "fulcrumctl: %s\n", db_errmsg(c->db));
		free(vs);
		return CTL_EXIT_SERVER;
	}
	free(vs);
	free(rs);
	if (c->json)
		return print_json(json_pack("{s:s, s:I, s:i, s:I, s:I}", "version", PACKAGE_VERSION,
					    "revision", (json_int_t)db_revision(c->db),
					    "schema_version", db_schema_version(), "services",
					    (json_int_t)nvs, "reals", (json_int_t)nrs));
	printf("version %s, revision %" PRId64 ", schema %d, %zu services, %zu real servers\n",
	       PACKAGE_VERSION, db_revision(c->db), db_schema_version(), nvs, nrs);
	return CTL_EXIT_OK;
}

/* Tokens are made only here, on the database itself: how the first admin gets in. */
static int cmd_token(struct ctl *c, int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[0], "create") == 0 && strcmp(argv[2], "--role") == 0) {
		enum fulcrum_role role;
		char token[AUTH_TOKEN_SIZE], msg[256];

		if (auth_role_parse(argv[3], &role) != 0) {
			fprintf(stderr,
				"fulcrumctl: token role: '%s' is not viewer, operator or admin\n",
				argv[3]);
			return CTL_EXIT_REFUSED;
		}
		if (auth_token_create(c->db, argv[1], role, token, msg, sizeof(msg)) != 0) {
			fprintf(stderr, "fulcrumctl: %s\n", msg);
			return CTL_EXIT_REFUSED;
		}
		puts(token);
		fprintf(stderr, "fulcrumctl: token '%s' (%s) created; it is shown only this once\n",
			argv[1], argv[3]);
		return CTL_EXIT_OK;
	}
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		struct db_token *t = NULL;
		size_t n = 0;

		if (db_token_list(c->db, &t, &n) != 0) {
			fprintf(stderr, "fulcrumctl: %s\n", db_errmsg(c->db));
			return CTL_EXIT_SERVER;
		}
		printf("%-6s %-24s %-9s %s\n", "ID", "NAME", "ROLE", "CREATED");
		for (size_t i = 0; i < n; i++) {
			char when[32];
			time_t tt = (time_t)t[i].created;
			struct tm tm;

			gmtime_r(&tt, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			printf("%-6" PRId64 " %-24s %-9s %s\n", t[i].id, t[i].name, t[i].role,
			       when);
		}
		free(t);
		return CTL_EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[0], "delete") == 0) {
		int rc = db_token_delete(c->db, argv[1]);

		if (rc != 0) {
			fprintf(stderr, "fulcrumctl: %s\n", db_errmsg(c->db));
			return rc == -ENOENT ? CTL_EXIT_REFUSED : CTL_EXIT_SERVER;
		}
		printf("token %s deleted\n", argv[1]);
		return CTL_EXIT_OK;
	}
	return CTL_EXIT_USAGE;
}

static void actor_name(char *buf, size_t len)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());

	if (sudo && *sudo)
		snprintf(buf, len, "%s", sudo);
	else if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid%ld", (long)getuid());
}

int ctl_local_run(const char *db_path, bool json, int argc, char **argv)
{
	struct ctl c = {.json = json};
	char err[1024];
	int rc;

	if (db_open(db_path, &c.db, err, sizeof(err)) != 0) {
		fprintf(stderr, "fulcrumctl: %s\n", err);
		return CTL_EXIT_SERVER;
	}
	actor_name(c.actor, sizeof(c.actor));
	if (strcmp(argv[0], "service") == 0)
		rc = cmd_service(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "real") == 0)
		rc = cmd_real(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "changes") == 0)
		rc = cmd_changes(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "token") == 0)
		rc = cmd_token(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "status") == 0 && argc == 1)
		rc = cmd_status(&c);
	else
		rc = CTL_EXIT_USAGE;
	db_close(c.db);
	return rc;
}
