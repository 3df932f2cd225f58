/* Unit tests of web/web_metrics.c: samples in their families with their objects' values, label values escaped. */
#include "controller/core/command.h"
#include "controller/core/store.h"
#include "db/db.h"
#include "tests/unit/unit.h"
#include "web/web-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The daemon as the callbacks show it: a node name that needs every escape. */
static void fake_status(void *arg, struct status_daemon *st)
{
	(void)arg;
	st->node_name = "a\"b\\c\nd";
	st->version = "9.9";
	st->ipvs.available = true;
	looplag_add(&st->loop, 0.5);
	looplag_add(&st->loop, 3);
	looplag_add(&st->loop, 1500);
}

/* Each object in the kernel with counters made of its id, so that a mix-up shows. */
static void fake_kernel(void *arg, bool real, int64_t id, struct status_object *out)
{
	(void)arg;
	out->kernel.state = STATUS_KERNEL_IN_SYNC;
	out->kernel.present = true;
	out->kernel.stats.conns = (uint64_t)id * 1000 + (real ? 1 : 0);
	out->kernel.stats.outbps = (uint64_t)id * 1000 + 10;
	out->kernel.active_conns = 7;
	out->oper_state = "degraded";
	out->health_state = real ? "down" : NULL;
}

/* Whether text holds line as a whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* Every line once (the same sample twice is an error to Prometheus), each ended by a newline. */
static bool lines_once(const char *text)
{
	size_t n = 0, cap = 0;
	const char **lines = NULL;
	bool once = text[0] && text[strlen(text) - 1] == '\n';

	for (const char *p = text; once && *p; p = strchr(p, '\n') + 1) {
		size_t len = strcspn(p, "\n");

		for (size_t i = 0; i < n && once; i++)
			once = strncmp(lines[i], p, len + 1) != 0;
		if (n == cap) {
			const char **more = realloc(lines, (cap * 2 + 64) * sizeof(*lines));

			if (!more)
				break;
			lines = more;
			cap = cap * 2 + 64;
		}
		lines[n++] = p;
	}
	free(lines);
	return once && n > 100;
}

/* Every TYPE line once: each family's samples come together, after their HELP and TYPE. */
static bool families_once(const char *text)
{
	const char *p = text;
	char seen[64][96];
	size_t n = 0;

	while ((p = strstr(p, "# TYPE ")) != NULL) {
		char name[96];

		if (sscanf(p, "# TYPE %95s", name) != 1 || n == 64)
			return false;
		for (size_t i = 0; i < n; i++)
			if (strcmp(seen[i], name) == 0)
				return false;
		strcpy(seen[n++], name);
		p++;
	}
	return n > 20;
}

/* A real server's sample: family, service id, real server id, address, value. */
#define RSL                                                                                        \
	"fulcrum_real_server_%s{service_id=\"%lld\",real_server_id=\"%lld\",address=\"%s:80\"} "   \
	"%lld"

static void test_web_metrics_render(void)
{
	static const struct command_actor who = {"test", FULCRUM_ORIGIN_CLI};
	char dir[512], path[600], err[512], want[256];
	struct fulcrum_vs vs = unit_vs("web", "192.0.2.10");
	struct fulcrum_rs rs[2] = {unit_rs("10.0.0.1"), unit_rs("10.0.0.2")};
	struct fulcrum_err ferr;
	struct db *db = NULL;
	struct store *st = NULL;
	struct web *w = calloc(1, sizeof(*w));
	char *text = NULL;
	size_t len = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/metrics.db", dir);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &db, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(store_open(db, &st), 0);
	rs[0].weight = 3;
	rs[1].weight = 0;
	CU_ASSERT_EQUAL_FATAL(command_vs_create(db, &who, &vs, rs, 2, 0, NULL, &ferr), 0);
	CU_ASSERT_EQUAL_FATAL(store_reload(st), 0);
	w->p.store = st;
	w->p.status = fake_status;
	w->p.kernel = fake_kernel;
	w->requests[0][0] = 5; /* GET 2xx */
	w->requests[5][2] = 2; /* another method, 4xx */

	CU_ASSERT_EQUAL_FATAL(web_metrics_render(w, &text, &len), 0);
	CU_ASSERT_EQUAL(strlen(text), len);
	CU_ASSERT_TRUE(families_once(text));
	CU_ASSERT_TRUE(lines_once(text));
	CU_ASSERT_TRUE(
	    has_line(text, "fulcrum_build_info{version=\"9.9\",node=\"a\\\"b\\\\c\\nd\"} 1"));
	snprintf(want, sizeof(want), "fulcrum_config_revision %lld", (long long)store_revision(st));
	CU_ASSERT_TRUE(has_line(text, want));
	/* the service's and each real server's own values, under their own labels */
	snprintf(want, sizeof(want),
		 "fulcrum_service_connections_total{service_id=\"%lld\",service=\"web\","
		 "protocol=\"tcp\",address=\"192.0.2.10:80\"} %lld",
		 (long long)vs.id, (long long)vs.id * 1000);
	CU_ASSERT_TRUE(has_line(text, want));
	snprintf(want, sizeof(want),
		 "fulcrum_service_oper_state{service_id=\"%lld\",service=\"web\","
		 "protocol=\"tcp\",address=\"192.0.2.10:80\"} 2",
		 (long long)vs.id);
	CU_ASSERT_TRUE(has_line(text, want));
	snprintf(want, sizeof(want),
		 "fulcrum_service_real_servers{service_id=\"%lld\",service=\"web\","
		 "protocol=\"tcp\",address=\"192.0.2.10:80\"} 2",
		 (long long)vs.id);
	CU_ASSERT_TRUE(has_line(text, want));
	for (int i = 0; i < 2; i++) {
		const char *addr = i ? "10.0.0.2" : "10.0.0.1";

		snprintf(want, sizeof(want), RSL, "connections_total", (long long)vs.id,
			 (long long)rs[i].id, addr, (long long)rs[i].id * 1000 + 1);
		CU_ASSERT_TRUE(has_line(text, want));
		snprintf(want, sizeof(want), RSL, "out_bytes_per_second", (long long)vs.id,
			 (long long)rs[i].id, addr, (long long)rs[i].id * 1000 + 10);
		CU_ASSERT_TRUE(has_line(text, want));
		snprintf(want, sizeof(want), RSL, "weight", (long long)vs.id, (long long)rs[i].id,
			 addr, (long long)rs[i].weight);
		CU_ASSERT_TRUE(has_line(text, want));
		snprintf(want, sizeof(want), RSL, "health_state", (long long)vs.id,
			 (long long)rs[i].id, addr, 2LL);
		CU_ASSERT_TRUE(has_line(text, want));
		snprintf(want, sizeof(want), RSL, "active_connections", (long long)vs.id,
			 (long long)rs[i].id, addr, 7LL);
		CU_ASSERT_TRUE(has_line(text, want));
	}
	/* the loop's histogram: cumulative, in seconds */
	CU_ASSERT_TRUE(has_line(text, "fulcrum_loop_turn_seconds_bucket{le=\"0.001\"} 1"));
	CU_ASSERT_TRUE(has_line(text, "fulcrum_loop_turn_seconds_bucket{le=\"0.002\"} 1"));
	CU_ASSERT_TRUE(has_line(text, "fulcrum_loop_turn_seconds_bucket{le=\"0.005\"} 2"));
	CU_ASSERT_TRUE(has_line(text, "fulcrum_loop_turn_seconds_bucket{le=\"1\"} 2"));
	CU_ASSERT_TRUE(has_line(text, "fulcrum_loop_turn_seconds_bucket{le=\"+Inf\"} 3"));
	CU_ASSERT_TRUE(has_line(text, "fulcrum_loop_turn_seconds_count 3"));
	CU_ASSERT_TRUE(has_line(text, "fulcrum_loop_turn_seconds_sum 1.503500000"));
	CU_ASSERT_TRUE(
	    has_line(text, "fulcrum_http_requests_total{method=\"GET\",code=\"2xx\"} 5"));
	CU_ASSERT_TRUE(
	    has_line(text, "fulcrum_http_requests_total{method=\"other\",code=\"4xx\"} 2"));
	CU_ASSERT_TRUE(has_line(text, "fulcrum_role{role=\"standalone\"} 1"));
	/* no subagent: no SNMP families; standalone: no heartbeat or replication */
	CU_ASSERT_PTR_NULL(strstr(text, "fulcrum_snmp_"));
	CU_ASSERT_PTR_NULL(strstr(text, "fulcrum_ha_"));
	CU_ASSERT_PTR_NULL(strstr(text, "fulcrum_replication_"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nprocess_open_fds "));
	free(text);
	free(w);
	store_free(st);
	db_close(db);
	unit_tmpdir_cleanup(dir);
}

UNIT_SUITE(web_metrics)
{
	CU_pSuite s = CU_add_suite("web_metrics", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "samples in their families, with their objects' values; labels escaped",
		    test_web_metrics_render);
	return CU_get_error();
}
