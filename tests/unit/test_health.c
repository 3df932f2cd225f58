/* Unit tests of controller/health*.c: the rise/fall rule, what HTTP checks expect, shared checks. */
#include "controller/health/health_int.h"
#include "tests/unit/unit.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_health_first_result_decides(void)
{
	struct health_state st = {0};
	uint32_t ok_run = 0;

	CU_ASSERT_TRUE(health_state_step(&st, &ok_run, true, "tcp: connected", 3, 3, 100));
	CU_ASSERT_EQUAL(st.state, HEALTH_UP);
	CU_ASSERT_EQUAL(st.last_check, 100);
	CU_ASSERT_EQUAL(st.last_change, 100);
	CU_ASSERT_STRING_EQUAL(st.reason, "tcp: connected");

	memset(&st, 0, sizeof(st));
	ok_run = 0;
	CU_ASSERT_TRUE(health_state_step(&st, &ok_run, false, "tcp: connection refused", 3, 3, 7));
	CU_ASSERT_EQUAL(st.state, HEALTH_DOWN);
	CU_ASSERT_EQUAL(st.failures, 1);
	CU_ASSERT_STRING_EQUAL(st.reason, "tcp: connection refused");
}

static void test_health_rise_fall(void)
{
	struct health_state st = {0};
	uint32_t ok_run = 0;

	health_state_step(&st, &ok_run, true, "http: status 200", 2, 3, 1);
	/* fall 3: two failures keep it up, and say so */
	CU_ASSERT_FALSE(
	    health_state_step(&st, &ok_run, false, "http: status 503, expected 200", 2, 3, 2));
	CU_ASSERT_FALSE(
	    health_state_step(&st, &ok_run, false, "http: status 503, expected 200", 2, 3, 3));
	CU_ASSERT_EQUAL(st.state, HEALTH_UP);
	CU_ASSERT_EQUAL(st.failures, 2);
	CU_ASSERT_STRING_EQUAL(st.reason,
			       "http: status 503, expected 200 (2 of 3 failures to go down)");
	CU_ASSERT_EQUAL(st.last_change, 1);
	CU_ASSERT_TRUE(
	    health_state_step(&st, &ok_run, false, "http: status 503, expected 200", 2, 3, 4));
	CU_ASSERT_EQUAL(st.state, HEALTH_DOWN);
	CU_ASSERT_EQUAL(st.failures, 3);
	CU_ASSERT_EQUAL(st.last_change, 4);
	CU_ASSERT_STRING_EQUAL(st.reason, "http: status 503, expected 200");
	/* rise 2: one success is not enough, a failure in between starts over */
	CU_ASSERT_FALSE(health_state_step(&st, &ok_run, true, "http: status 200", 2, 3, 5));
	CU_ASSERT_EQUAL(st.failures, 0);
	CU_ASSERT_STRING_EQUAL(st.reason, "http: status 200 (1 of 2 successes to come up)");
	CU_ASSERT_FALSE(
	    health_state_step(&st, &ok_run, false, "http: timed out after 3 s", 2, 3, 6));
	CU_ASSERT_EQUAL(st.state, HEALTH_DOWN);
	CU_ASSERT_FALSE(health_state_step(&st, &ok_run, true, "http: status 200", 2, 3, 7));
	CU_ASSERT_TRUE(health_state_step(&st, &ok_run, true, "http: status 200", 2, 3, 8));
	CU_ASSERT_EQUAL(st.state, HEALTH_UP);
	CU_ASSERT_EQUAL(st.last_change, 8);
	CU_ASSERT_EQUAL(st.last_check, 8);
	/* a failure after coming up counts from zero again */
	CU_ASSERT_FALSE(health_state_step(&st, &ok_run, false, "x", 2, 3, 9));
	CU_ASSERT_EQUAL(st.failures, 1);
	/* rise 1 and fall 1 follow every result */
	CU_ASSERT_TRUE(health_state_step(&st, &ok_run, false, "x", 1, 1, 10));
	CU_ASSERT_TRUE(health_state_step(&st, &ok_run, true, "y", 1, 1, 11));
	CU_ASSERT_STRING_EQUAL(st.reason, "y");
}

static bool status_ok(const char *spec, long status)
{
	struct health_expect e;
	char err[160], why[160];
	bool ok;

	if (health_expect_init(&e, spec, "", "", err, sizeof(err)) != 0)
		return false;
	ok = health_expect_status(&e, status, why, sizeof(why));
	health_expect_fini(&e);
	return ok;
}

static void test_health_expect_status(void)
{
	struct health_expect e;
	char err[160], why[160];

	CU_ASSERT_TRUE(status_ok("200", 200));
	CU_ASSERT_FALSE(status_ok("200", 201));
	CU_ASSERT_TRUE(status_ok("", 200)); /* none configured: 200 */
	CU_ASSERT_TRUE(status_ok("200-299,301", 250));
	CU_ASSERT_TRUE(status_ok("200-299,301", 299));
	CU_ASSERT_TRUE(status_ok("200-299,301", 301));
	CU_ASSERT_FALSE(status_ok("200-299,301", 300));
	CU_ASSERT_FALSE(status_ok("200-299,301", 302));
	CU_ASSERT_TRUE(status_ok("200, 302 ,404", 404));

	const char *bad[] = {"2xx",  "99",   "600",     "300-200",  "200,",    "200-",
			     "2000", ",200", "200;301", "200--300", "1,2,3,4", "abc"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(health_expect_init(&e, bad[i], "", "", err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "expect_status 'abc' is not a list"));
	/* 16 ranges fit, 17 do not */
	CU_ASSERT_EQUAL(health_expect_init(&e,
					   "200,201,202,203,204,205,206,207,208,209,210,211,"
					   "212,213,214,215",
					   "", "", err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(health_expect_init(&e,
					   "200,201,202,203,204,205,206,207,208,209,210,211,"
					   "212,213,214,215,216",
					   "", "", err, sizeof(err)),
			-EINVAL);

	CU_ASSERT_EQUAL_FATAL(health_expect_init(&e, "200-299,301", "", "", err, sizeof(err)), 0);
	CU_ASSERT_FALSE(health_expect_status(&e, 503, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "status 503, expected 200-299,301");
	health_expect_fini(&e);
	CU_ASSERT_EQUAL_FATAL(health_expect_init(&e, "", "", "", err, sizeof(err)), 0);
	health_expect_status(&e, 404, why, sizeof(why));
	CU_ASSERT_STRING_EQUAL(why, "status 404, expected 200");
	health_expect_fini(&e);
}

static void test_health_expect_body(void)
{
	struct health_expect e;
	char body[1024], err[160], why[160];

	memset(body, 'x', sizeof(body));
	memcpy(body + 10, "Still alive", 11);
	memcpy(body + 509, "MARKER", 6); /* bytes 509..514: straddles the limit */
	memcpy(body + 600, "LATE", 4);

	CU_ASSERT_EQUAL_FATAL(health_expect_init(&e, "200", "Still alive", "", err, sizeof(err)),
			      0);
	CU_ASSERT_TRUE(health_expect_body(&e, body, sizeof(body), why, sizeof(why)));
	CU_ASSERT_FALSE(health_expect_body(&e, body, 15, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "'Still alive' not in the first 512 bytes of the reply");
	health_expect_fini(&e);

	CU_ASSERT_EQUAL(health_expect_init(&e, "200", "MARKER", "", err, sizeof(err)), 0);
	CU_ASSERT_FALSE(health_expect_body(&e, body, sizeof(body), why, sizeof(why)));
	health_expect_fini(&e);
	CU_ASSERT_EQUAL(health_expect_init(&e, "200", "LATE", "", err, sizeof(err)), 0);
	CU_ASSERT_FALSE(health_expect_body(&e, body, sizeof(body), why, sizeof(why)));
	health_expect_fini(&e);
	/* the body is bytes: text after a NUL is still found */
	body[5] = '\0';
	CU_ASSERT_EQUAL(health_expect_init(&e, "200", "Still", "", err, sizeof(err)), 0);
	CU_ASSERT_TRUE(health_expect_body(&e, body, sizeof(body), why, sizeof(why)));
	health_expect_fini(&e);
	body[5] = 'x';

	CU_ASSERT_EQUAL_FATAL(
	    health_expect_init(&e, "200", "", "^x+Still (alive|dead)", err, sizeof(err)), 0);
	CU_ASSERT_TRUE(health_expect_body(&e, body, sizeof(body), why, sizeof(why)));
	health_expect_fini(&e);
	CU_ASSERT_EQUAL_FATAL(health_expect_init(&e, "200", "", "MARKER|LATE", err, sizeof(err)),
			      0);
	CU_ASSERT_FALSE(health_expect_body(&e, body, sizeof(body), why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why,
			       "no match for /MARKER|LATE/ in the first 512 bytes of the reply");
	health_expect_fini(&e);
	/* nothing expected: any body, even none, will do */
	CU_ASSERT_EQUAL(health_expect_init(&e, "200", "", "", err, sizeof(err)), 0);
	CU_ASSERT_TRUE(health_expect_body(&e, "", 0, why, sizeof(why)));
	health_expect_fini(&e);

	CU_ASSERT_EQUAL(health_expect_init(&e, "200", "", "(unclosed", err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "expect_regex '(unclosed' does not compile"));
}

struct heard {
	int64_t id[16];
	enum health_status state[16];
	size_t n;
};

static void on_change(void *arg, const struct health_change *ch)
{
	struct heard *h = arg;

	if (h->n < 16) {
		h->id[h->n] = ch->rs_id;
		h->state[h->n++] = ch->state->state;
	}
}

/* A target whose check is *c, filled here: c must outlive each health_set_targets() call. */
static struct health_target target(int64_t id, const char *addr, uint16_t port,
				   enum fulcrum_check_type type, struct fulcrum_check *c)
{
	struct health_target t;

	memset(&t, 0, sizeof(t));
	memset(c, 0, sizeof(*c));
	t.rs_id = id;
	t.addr.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	inet_pton(t.addr.family, addr, &t.addr.u);
	t.port = port;
	t.check = c;
	c->type = type;
	snprintf(c->path, sizeof(c->path), "/");
	snprintf(c->expect_status, sizeof(c->expect_status), "200");
	snprintf(c->command, sizeof(c->command), "/bin/true");
	c->verify_tls = true;
	c->interval = 5;
	c->timeout = 3;
	c->rise = 2;
	c->fall = 3;
	return t;
}

/* Gives the shared check of rs_id one result, as a finished run would. */
static void feed(struct health *h, int64_t rs_id, bool ok)
{
	struct hl_probe *p = health_probe_of(h, rs_id);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p->running = true;
	h->totals.in_flight++;
	health_probe_done(h, p, ok, ok ? "tcp: connected" : "tcp: connection refused");
}

static void test_health_shared_checks(void)
{
	struct event_base *base = event_base_new();
	struct health *h = NULL;
	struct health_totals tot;
	struct health_state st;
	struct heard heard = {0};
	struct health_target t[6];
	struct fulcrum_check c[6];

	CU_ASSERT_EQUAL_FATAL(health_new(base, &h), 0);
	CU_ASSERT_EQUAL(health_subscribe(h, on_change, &heard), 0);
	t[0] = target(1, "192.0.2.1", 80, FULCRUM_CHECK_HTTP, &c[0]);
	t[1] = target(2, "192.0.2.1", 80, FULCRUM_CHECK_HTTP, &c[1]);
	c[1].on_failure = FULCRUM_ON_FAILURE_REMOVE; /* what a failure does: not the check */
	snprintf(c[1].command, sizeof(c[1].command), "/bin/false"); /* unused by http */
	t[2] = target(3, "192.0.2.1", 8080, FULCRUM_CHECK_HTTP, &c[2]);
	t[3] = target(4, "192.0.2.9", 80, FULCRUM_CHECK_HTTP, &c[3]);
	c[3].check_address = t[0].addr; /* checked at .1: the same check as 1's */
	t[4] = target(5, "2001:db8::1", 80, FULCRUM_CHECK_NONE, &c[4]);
	t[5] = target(6, "192.0.2.1", 80, FULCRUM_CHECK_TCP, &c[5]);
	CU_ASSERT_EQUAL_FATAL(health_set_targets(h, t, 6), 0);
	health_stats(h, &tot);
	CU_ASSERT_EQUAL(tot.targets, 6);
	CU_ASSERT_EQUAL(tot.probes, 3);
	CU_ASSERT_PTR_EQUAL(health_probe_of(h, 1), health_probe_of(h, 2));
	CU_ASSERT_PTR_EQUAL(health_probe_of(h, 1), health_probe_of(h, 4));
	CU_ASSERT_PTR_NOT_EQUAL(health_probe_of(h, 1), health_probe_of(h, 3));
	CU_ASSERT_PTR_NOT_EQUAL(health_probe_of(h, 1), health_probe_of(h, 6));

	/* only the type-none one changed (from unknown): it is up at once */
	CU_ASSERT_EQUAL(heard.n, 1);
	CU_ASSERT_EQUAL(heard.id[0], 5);
	health_get(h, 5, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_UP);
	CU_ASSERT_STRING_EQUAL(st.reason, "no check configured");
	health_get(h, 1, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(st.reason, "not checked yet");
	health_get(h, 77, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(st.reason, "not checked yet");

	/* one result of the shared check: every server that shares it hears of it */
	heard.n = 0;
	feed(h, 1, true);
	CU_ASSERT_EQUAL(heard.n, 3);
	health_get(h, 4, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_UP);
	CU_ASSERT_NOT_EQUAL(st.last_check, 0);

	/* the same set again keeps every state; a changed check starts over */
	heard.n = 0;
	c[1].on_failure = FULCRUM_ON_FAILURE_QUIESCE;
	c[3].interval = 10;
	CU_ASSERT_EQUAL(health_set_targets(h, t, 6), 0);
	health_get(h, 1, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_UP);
	health_get(h, 2, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_UP);
	health_get(h, 4, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_UNKNOWN);
	CU_ASSERT_EQUAL(heard.n, 1);
	CU_ASSERT_EQUAL(heard.id[0], 4);
	CU_ASSERT_EQUAL(heard.state[0], HEALTH_UNKNOWN);
	health_stats(h, &tot);
	CU_ASSERT_EQUAL(tot.probes, 4);

	/* dropped targets are forgotten, their checks too */
	CU_ASSERT_EQUAL(health_set_targets(h, t, 2), 0);
	health_stats(h, &tot);
	CU_ASSERT_EQUAL(tot.targets, 2);
	CU_ASSERT_EQUAL(tot.probes, 1);
	health_get(h, 6, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_UNKNOWN);
	CU_ASSERT_PTR_NULL(health_probe_of(h, 6));

	/* a server moved onto a check that already has a result takes it */
	heard.n = 0;
	c[2].check_port = 80;
	CU_ASSERT_EQUAL(health_set_targets(h, t, 3), 0);
	health_get(h, 3, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_UP);
	CU_ASSERT_EQUAL(heard.n, 1);
	CU_ASSERT_EQUAL(heard.id[0], 3);

	CU_ASSERT_EQUAL(health_set_targets(h, NULL, 0), 0);
	health_stats(h, &tot);
	CU_ASSERT_EQUAL(tot.probes, 0);
	health_free(h);
	event_base_free(base);
}

static void test_health_bad_check_is_down(void)
{
	struct event_base *base = event_base_new();
	struct health *h = NULL;
	struct health_state st;
	struct heard heard = {0};
	struct health_target t[2];
	struct fulcrum_check c[2];

	CU_ASSERT_EQUAL_FATAL(health_new(base, &h), 0);
	health_subscribe(h, on_change, &heard);
	t[0] = target(1, "192.0.2.1", 80, FULCRUM_CHECK_HTTPS, &c[0]);
	snprintf(c[0].expect_regex, sizeof(c[0].expect_regex), "a[");
	t[1] = target(2, "192.0.2.1", 80, FULCRUM_CHECK_EXTERNAL, &c[1]);
	c[1].command[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(health_set_targets(h, t, 2), 0);
	health_get(h, 1, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_DOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(st.reason, "https: expect_regex 'a[' does not compile"));
	health_get(h, 2, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_DOWN);
	CU_ASSERT_STRING_EQUAL(st.reason, "external: no command configured");
	CU_ASSERT_EQUAL(heard.n, 2);
	health_free(h);
	event_base_free(base);
}

/* rise and fall through the engine: the same rule as health_state_step(), counted per check */
static void test_health_engine_rise_fall(void)
{
	struct event_base *base = event_base_new();
	struct health *h = NULL;
	struct health_state st;
	struct heard heard = {0};
	struct fulcrum_check *c = malloc(sizeof(*c));
	struct health_target t;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	t = target(9, "198.51.100.7", 443, FULCRUM_CHECK_TCP, c);
	CU_ASSERT_EQUAL_FATAL(health_new(base, &h), 0);
	health_subscribe(h, on_change, &heard);
	rc = health_set_targets(h, &t, 1);
	free(c); /* the engine keeps none of it: valgrind would see a read of it below */
	t.check = NULL;
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	feed(h, 9, false);
	health_get(h, 9, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_DOWN);
	feed(h, 9, true);
	health_get(h, 9, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_DOWN);
	feed(h, 9, true);
	health_get(h, 9, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_UP);
	for (int i = 0; i < 3; i++)
		feed(h, 9, false);
	health_get(h, 9, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_DOWN);
	CU_ASSERT_EQUAL(st.failures, 3);
	CU_ASSERT_EQUAL(heard.n, 3);
	health_free(h);
	event_base_free(base);
}

/* One struct fulcrum_check pointed to by many targets (a service's, unchanged by its servers); NULL: none. */
static void test_health_check_pointer_shared(void)
{
	struct event_base *base = event_base_new();
	struct health *h = NULL;
	struct health_totals tot;
	struct health_state st;
	struct fulcrum_check c;
	struct health_target t[4];

	CU_ASSERT_EQUAL_FATAL(health_new(base, &h), 0);
	t[0] = target(1, "192.0.2.1", 80, FULCRUM_CHECK_TCP, &c);
	t[1] = target(2, "192.0.2.2", 80, FULCRUM_CHECK_TCP, &c);
	t[2] = target(3, "192.0.2.1", 80, FULCRUM_CHECK_TCP, &c);
	t[3] = t[0];
	t[3].rs_id = 4;
	t[3].check = NULL;
	CU_ASSERT_EQUAL_FATAL(health_set_targets(h, t, 4), 0);
	health_stats(h, &tot);
	CU_ASSERT_EQUAL(tot.targets, 4);
	CU_ASSERT_EQUAL(tot.probes, 2); /* one check, two places it goes */
	CU_ASSERT_PTR_EQUAL(health_probe_of(h, 1), health_probe_of(h, 3));
	CU_ASSERT_PTR_NOT_EQUAL(health_probe_of(h, 1), health_probe_of(h, 2));
	health_get(h, 4, &st);
	CU_ASSERT_EQUAL(st.state, HEALTH_UP);
	CU_ASSERT_STRING_EQUAL(st.reason, "no check configured");

	/* the shared check changed between commits: every server's check starts over */
	feed(h, 1, true);
	feed(h, 2, true);
	c.interval = 7;
	CU_ASSERT_EQUAL(health_set_targets(h, t, 4), 0);
	for (int64_t id = 1; id <= 3; id++) {
		health_get(h, id, &st);
		CU_ASSERT_EQUAL(st.state, HEALTH_UNKNOWN);
	}
	health_stats(h, &tot);
	CU_ASSERT_EQUAL(tot.probes, 2);
	health_free(h);
	event_base_free(base);
}

UNIT_SUITE(health)
{
	CU_pSuite s = CU_add_suite("health", NULL, NULL);

	if (!s || !CU_add_test(s, "first result decides", test_health_first_result_decides) ||
	    !CU_add_test(s, "rise and fall", test_health_rise_fall) ||
	    !CU_add_test(s, "expect_status", test_health_expect_status) ||
	    !CU_add_test(s, "expect and expect_regex", test_health_expect_body) ||
	    !CU_add_test(s, "identical checks shared", test_health_shared_checks) ||
	    !CU_add_test(s, "a check that cannot run is down", test_health_bad_check_is_down) ||
	    !CU_add_test(s, "rise and fall in the engine", test_health_engine_rise_fall) ||
	    !CU_add_test(s, "one check for many targets", test_health_check_pointer_shared))
		return CU_get_error();
	return CUE_SUCCESS;
}
