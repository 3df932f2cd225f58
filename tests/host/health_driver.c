/* Runs the health-check engine in a libevent loop against real servers and prints what it sees. */
#include "controller/health/health_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/*
 * Usage:
 *   health-driver [--seconds N] [--quiet] TARGET...
 *     TARGET: "id=1;type=http;addr=127.0.0.1;port=8080;path=/;expect=Still alive"
 *     keys: id type addr port path host head status expect regex verify command
 *           interval timeout rise fall check_addr check_port (defaults: interval,
 *           timeout 1 s; rise, fall 2; path /; status 200; verify 1)
 *     prints "change id=N state=S failures=F reason=R" on each state change,
 *     "result id=N state=S failures=F checks=C reason=R" after each result
 *     (unless --quiet), and "final ..." lines and "stats ..." at the end
 *     (after N seconds, or SIGTERM/SIGINT).
 *   health-driver --bench N PORT [--interval S] [--seconds N]
 *     N http checks of 127.0.X.Y:PORT, once per S seconds; prints one "bench"
 *     line per second: checks done, failures, in flight, latency, CPU used.
 *   health-driver --serve PORT
 *     an HTTP server on 0.0.0.0:PORT answering 200 "Still alive" (for --bench).
 */

struct driver {
	struct event_base *base;
	struct health *h;
	struct health_target *t;
	struct fulcrum_check *c; /* the targets' checks: one each, or one for all (--bench) */
	size_t n;
	bool quiet;
	/* bench */
	struct health_totals last;
	struct rusage ru;
	unsigned tick;
};

static const char *const type_names[] = {"none", "tcp", "http", "https", "external"};

static int parse_addr(const char *s, struct fulcrum_addr *a)
{
	a->family = strchr(s, ':') ? AF_INET6 : AF_INET;
	return inet_pton(a->family, s, &a->u) == 1 ? 0 : -EINVAL;
}

static int set_field(struct health_target *t, struct fulcrum_check *c, const char *k, const char *v)
{
#define STR(name, field)                                                                           \
	if (strcmp(k, name) == 0)                                                                  \
		return snprintf(c->field, sizeof(c->field), "%s", v) < (int)sizeof(c->field) ? 0   \
											     : -1;
#define NUM(name, lval)                                                                            \
	if (strcmp(k, name) == 0) {                                                                \
		lval = (__typeof__(lval))strtoul(v, NULL, 10);                                     \
		return 0;                                                                          \
	}
	STR("path", path)
	STR("host", host)
	STR("status", expect_status)
	STR("expect", expect)
	STR("regex", expect_regex)
	STR("command", command)
	NUM("id", t->rs_id)
	NUM("port", t->port)
	NUM("head", c->head)
	NUM("verify", c->verify_tls)
	NUM("interval", c->interval)
	NUM("timeout", c->timeout)
	NUM("rise", c->rise)
	NUM("fall", c->fall)
	NUM("check_port", c->check_port)
#undef STR
#undef NUM
	if (strcmp(k, "addr") == 0)
		return parse_addr(v, &t->addr);
	if (strcmp(k, "check_addr") == 0)
		return parse_addr(v, &c->check_address);
	if (strcmp(k, "type") == 0) {
		for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
			if (strcmp(v, type_names[i]) == 0) {
				c->type = (enum fulcrum_check_type)i;
				return 0;
			}
	}
	return -1;
}

/* Clears t and makes *c (which t then points to) the default check. */
static void target_defaults(struct health_target *t, struct fulcrum_check *c)
{
	memset(t, 0, sizeof(*t));
	memset(c, 0, sizeof(*c));
	t->check = c;
	snprintf(c->path, sizeof(c->path), "/");
	snprintf(c->expect_status, sizeof(c->expect_status), "200");
	c->verify_tls = true;
	c->interval = c->timeout = 1;
	c->rise = c->fall = 2;
}

static int parse_target(const char *spec, struct health_target *t, struct fulcrum_check *c)
{
	char buf[2048], *save = NULL;

	target_defaults(t, c);
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq)
			return -1;
		*eq = '\0';
		if (set_field(t, c, kv, eq + 1) != 0) {
			fprintf(stderr, "health-driver: bad field '%s=%s'\n", kv, eq + 1);
			return -1;
		}
	}
	return t->rs_id > 0 ? 0 : -1;
}

static void print_state(const char *what, int64_t id, const struct health_state *st)
{
	printf("%s id=%lld state=%s failures=%u checks=%llu reason=%s\n", what, (long long)id,
	       health_status_name(st->state), st->failures, (unsigned long long)st->checks,
	       st->reason);
	fflush(stdout);
}

static void on_change(void *arg, const struct health_change *ch)
{
	(void)arg;
	print_state("change", ch->rs_id, ch->state);
}

/* Prints every result (a subscriber hears only of state changes) through the engine's test hook. */
static void on_result(void *arg, const struct hl_probe *p)
{
	struct driver *d = arg;

	if (d->quiet)
		return;
	for (size_t i = 0; i < p->nmembers; i++)
		print_state("result", p->members[i], &p->state);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static double cpu_seconds(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

static uint64_t sum(const uint64_t *v)
{
	uint64_t s = 0;

	for (int i = 0; i <= FULCRUM_CHECK_EXTERNAL; i++)
		s += v[i];
	return s;
}

static void on_bench_tick(evutil_socket_t fd, short what, void *arg)
{
	struct driver *d = arg;
	struct health_totals t;
	struct rusage ru;
	uint64_t runs, fails, lat;

	(void)fd;
	(void)what;
	health_stats(d->h, &t);
	getrusage(RUSAGE_SELF, &ru);
	runs = sum(t.runs) - sum(d->last.runs);
	fails = sum(t.failed) - sum(d->last.failed);
	lat = sum(t.latency_us) - sum(d->last.latency_us);
	printf("bench t=%u checks/s=%llu failed=%llu in_flight=%u skipped=%llu avg_latency_ms=%.2f "
	       "max_latency_ms=%.1f cpu=%.1f%%\n",
	       ++d->tick, (unsigned long long)runs, (unsigned long long)fails, t.in_flight,
	       (unsigned long long)(t.skipped - d->last.skipped),
	       runs ? (double)lat / (double)runs / 1000.0 : 0.0, (double)t.latency_max_us / 1000.0,
	       (cpu_seconds(&ru) - cpu_seconds(&d->ru)) * 100.0);
	fflush(stdout);
	d->last = t;
	d->ru = ru;
}

static void serve_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evhttp_request_get_output_buffer(req);

	(void)arg;
	evbuffer_add_printf(b, "Still alive\n");
	evhttp_send_reply(req, 200, "OK", NULL);
}

static int serve(const char *port)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	struct evconnlistener *l;

	/* a long accept queue: a hiccup of this server must not drop the checker's SYNs */
	l = evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
				    4096, (struct sockaddr *)&sin, sizeof(sin));
	if (!http || !l || !evhttp_bind_listener(http, l)) {
		fprintf(stderr, "health-driver: cannot listen on port %s\n", port);
		return 1;
	}
	evhttp_set_gencb(http, serve_cb, NULL);
	event_base_dispatch(base);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}

/*
 * N http targets of 127.0.X.Y:port: every one a distinct check (each goes to
 * its own address), all pointing to one struct fulcrum_check, as a service's.
 */
static int bench_targets(struct driver *d, size_t n, const char *port, unsigned interval)
{
	d->t = calloc(n, sizeof(*d->t));
	d->c = calloc(1, sizeof(*d->c));
	if (!d->t || !d->c)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct health_target *t = &d->t[i];

		target_defaults(t, d->c);
		t->rs_id = (int64_t)i + 1;
		t->addr.family = AF_INET;
		t->addr.u.v4.s_addr =
		    htonl(0x7f000000u | (uint32_t)((i / 250) << 8) | (uint32_t)(i % 250 + 1));
		t->port = (uint16_t)atoi(port);
	}
	d->c->type = FULCRUM_CHECK_HTTP;
	d->c->interval = interval;
	d->c->timeout = interval > 1 ? interval - 1 : 1;
	snprintf(d->c->expect, sizeof(d->c->expect), "Still alive");
	d->n = n;
	return 0;
}

int main(int argc, char **argv)
{
	struct driver d = {0};
	struct event *sig_term, *sig_int, *stop = NULL, *tick = NULL;
	struct timeval second = {1, 0};
	unsigned seconds = 0, interval = 1;
	size_t bench = 0;
	const char *bench_port = NULL;
	int i = 1, rc;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "--serve") == 0)
		return serve(argv[2]);
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc)
			interval = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--quiet") == 0)
			d.quiet = true;
		else if (strcmp(argv[i], "--bench") == 0 && i + 2 < argc) {
			bench = (size_t)atol(argv[++i]);
			bench_port = argv[++i];
		} else {
			fprintf(stderr, "health-driver: bad option %s\n", argv[i]);
			return 2;
		}
	}
	if (bench) {
		if (bench_targets(&d, bench, bench_port, interval) != 0)
			return 2;
		d.quiet = true;
	} else {
		d.n = (size_t)(argc - i);
		d.t = calloc(d.n ? d.n : 1, sizeof(*d.t));
		d.c = calloc(d.n ? d.n : 1, sizeof(*d.c));
		for (size_t k = 0; d.t && d.c && k < d.n; k++)
			if (parse_target(argv[i + (int)k], &d.t[k], &d.c[k]) != 0) {
				fprintf(stderr, "health-driver: bad target '%s'\n",
					argv[i + (int)k]);
				return 2;
			}
	}
	d.base = event_base_new();
	if (!d.t || !d.c || !d.base || health_new(d.base, &d.h) != 0)
		return 2;
	if (!bench)
		health_subscribe(d.h, on_change, &d);
	d.h->result_hook = on_result;
	d.h->result_arg = &d;
	rc = health_set_targets(d.h, d.t, d.n);
	/* the engine keeps nothing of the checks: free them now, valgrind (VALGRIND=1) would see a later read */
	free(d.c);
	d.c = NULL;
	for (size_t k = 0; k < d.n; k++)
		d.t[k].check = NULL;
	if (rc != 0) {
		fprintf(stderr, "health-driver: health_set_targets: %s\n", strerror(-rc));
		return 2;
	}
	sig_term = evsignal_new(d.base, SIGTERM, on_stop, d.base);
	sig_int = evsignal_new(d.base, SIGINT, on_stop, d.base);
	evsignal_add(sig_term, NULL);
	evsignal_add(sig_int, NULL);
	if (seconds) {
		struct timeval tv = {(time_t)seconds, 0};

		stop = evtimer_new(d.base, on_stop, d.base);
		evtimer_add(stop, &tv);
	}
	if (bench) {
		getrusage(RUSAGE_SELF, &d.ru);
		tick = event_new(d.base, -1, EV_PERSIST, on_bench_tick, &d);
		event_add(tick, &second);
	}
	event_base_dispatch(d.base);

	for (size_t k = 0; k < d.n && !bench; k++) {
		struct health_state st;

		health_get(d.h, d.t[k].rs_id, &st);
		print_state("final", d.t[k].rs_id, &st);
	}
	struct health_totals t;

	health_stats(d.h, &t);
	printf("stats targets=%zu probes=%zu runs=%llu failed=%llu changes=%llu in_flight=%u\n",
	       t.targets, t.probes, (unsigned long long)sum(t.runs),
	       (unsigned long long)sum(t.failed), (unsigned long long)t.changes, t.in_flight);
	health_free(d.h);
	event_free(sig_term);
	event_free(sig_int);
	if (stop)
		event_free(stop);
	if (tick)
		event_free(tick);
	event_base_free(d.base);
	free(d.t);
	return 0;
}
