/* Unit tests of web/web_group.c in commit mode sync: the API's real server, a barrier, clients on loopback. */
#include "controller/core/ackwait.h"
#include "controller/core/auth.h"
#include "controller/core/conf.h"
#include "controller/core/store.h"
#include "db/db.h"
#include "tests/unit/unit.h"
#include "web/web.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS 6

/* One HTTP client on its own thread: sends one request, reads the answer to the end. */
struct client {
	int port;
	char req[1024];
	char resp[8192];
	size_t len;
	atomic_bool sent; /* the request is in the server's socket: connected, written */
	atomic_bool done;
	pthread_t t;
};

/* A web on loopback with a barrier, as fulcrumd wires them (a peer named, so answers say more than none). */
struct fixture {
	char dir[512];
	struct db *db;
	struct store *st;
	struct auth *auth;
	struct event_base *base;
	struct ackwait *aw;
	struct web *w;
	struct conf conf;
	char token[AUTH_TOKEN_SIZE];
	int port;
	unsigned alone_calls;
	int64_t alone_rev;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_alone(void *arg, int64_t revision, unsigned waited_ms)
{
	struct fixture *f = arg;

	(void)waited_ms;
	f->alone_calls++;
	f->alone_rev = revision;
}

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static bool fixture_open(struct fixture *f, unsigned timeout_ms)
{
	char path[600], err[512], msg[256];
	struct web_params p = {0};

	memset(f, 0, sizeof(*f));
	unit_tmpdir(f->dir, sizeof(f->dir));
	snprintf(path, sizeof(path), "%s/web.db", f->dir);
	if (db_open(path, &f->db, err, sizeof(err)) != 0 || store_open(f->db, &f->st) != 0 ||
	    auth_token_create(f->db, "admin", FULCRUM_ROLE_ADMIN, f->token, msg, sizeof(msg)) !=
		0 ||
	    auth_open(f->db, &f->auth) != 0 || !(f->base = event_base_new()) ||
	    !(f->aw = ackwait_new(timeout_ms, on_alone, f)))
		return false;
	conf_defaults(&f->conf);
	f->port = free_port();
	snprintf(f->conf.http, sizeof(f->conf.http), "127.0.0.1:%d", f->port);
	snprintf(f->conf.ha_peer, sizeof(f->conf.ha_peer), "127.0.0.1:9");
	p.base = f->base;
	p.store = f->st;
	p.auth = f->auth;
	p.conf = &f->conf;
	p.ackwait = f->aw;
	if (web_open(&p, &f->w, err, sizeof(err)) != 0) {
		fprintf(stderr, "\n  web_open: %s\n", err);
		return false;
	}
	ackwait_mode_set(f->aw, ACKWAIT_SYNC);
	return true;
}

static void fixture_close(struct fixture *f)
{
	web_free(f->w);
	ackwait_free(f->aw); /* after the web, as the daemon does: what still waits is only freed */
	if (f->base)
		event_base_free(f->base);
	auth_free(f->auth);
	store_free(f->st);
	db_close(f->db);
	unit_tmpdir_cleanup(f->dir);
}

static void *client_run(void *arg)
{
	struct client *c = arg;
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)c->port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    write(fd, c->req, strlen(c->req)) == (ssize_t)strlen(c->req) &&
	    (atomic_store(&c->sent, true), true))
		while (c->len < sizeof(c->resp) - 1 &&
		       (n = read(fd, c->resp + c->len, sizeof(c->resp) - 1 - c->len)) > 0)
			c->len += (size_t)n;
	c->resp[c->len] = '\0';
	if (fd >= 0)
		close(fd);
	atomic_store(&c->done, true);
	return NULL;
}

/* Starts a client sending method path with a JSON body (NULL: none). */
static void client_start(struct fixture *f, struct client *c, const char *method, const char *path,
			 const char *body)
{
	memset(c, 0, sizeof(*c));
	c->port = f->port;
	snprintf(
	    c->req, sizeof(c->req),
	    "%s /api/v1/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	    "Connection: close\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    method, path, f->token, body ? strlen(body) : 0, body ? body : "");
	CU_ASSERT_EQUAL_FATAL(pthread_create(&c->t, NULL, client_run, c), 0);
}

static size_t clients_sent(struct client *c, size_t n)
{
	size_t sent = 0;

	for (size_t i = 0; i < n; i++)
		sent += atomic_load(&c[i].sent);
	return sent;
}

static size_t clients_done(struct client *c, size_t n)
{
	size_t done = 0;

	for (size_t i = 0; i < n; i++)
		done += atomic_load(&c[i].done);
	return done;
}

/* Turns the loop for ms, or until n of the clients c have their answer. */
static void turn(struct fixture *f, struct client *c, size_t n, int ms)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end && (!c || clients_done(c, n) < n)) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static void client_join(struct client *c)
{
	pthread_join(c->t, NULL);
}

/* The value of header name in c's answer, in out; false when absent. */
static bool client_header(const struct client *c, const char *name, char *out, size_t len)
{
	char pat[64];
	const char *h, *end;

	snprintf(pat, sizeof(pat), "\r\n%s: ", name);
	h = strstr(c->resp, pat);
	if (!h)
		return false;
	h += strlen(pat);
	end = strstr(h, "\r\n");
	snprintf(out, len, "%.*s", end ? (int)(end - h) : 0, h);
	return true;
}

static int client_status(const struct client *c)
{
	int status = 0;

	return sscanf(c->resp, "HTTP/1.1 %d", &status) == 1 ? status : 0;
}

static void service_body(char *buf, size_t len, int i)
{
	snprintf(buf, len,
		 "{\"name\":\"w%d\",\"address\":\"192.0.2.%d\",\"port\":80,\"protocol\":\"tcp\"}",
		 i, 10 + i);
}

/* Replication's thread: acknowledges a revision. */
struct acker {
	struct ackwait *aw;
	int64_t revision;
	pthread_t t;
};

static void *acker_run(void *arg)
{
	struct acker *a = arg;

	usleep(20 * 1000);
	ackwait_acked(a->aw, a->revision);
	return NULL;
}

/*
 * Writes sent together commit in one group, yet none is answered while the
 * standby has not acknowledged; the group waits once, for its highest
 * revision: the standby holding all but the last answers none of them (a
 * wait per write would answer five). The acknowledgement of the highest
 * (from another thread, as replication's) answers every one, saying standby.
 */
static void test_web_group_waits_for_the_standby(void)
{
	struct fixture f;
	struct client c[CLIENTS];
	struct acker a;
	char body[128], v[32];
	int64_t before;

	CU_ASSERT_FATAL(fixture_open(&f, 10000));
	before = store_revision(f.st);
	for (int i = 0; i < CLIENTS; i++) {
		service_body(body, sizeof(body), i);
		client_start(&f, &c[i], "POST", "services", body);
	}
	/* all six wait in the server's sockets before the loop turns: they make one group */
	for (int64_t end = now_ms() + 5000; clients_sent(c, CLIENTS) < CLIENTS && now_ms() < end;)
		usleep(1000);
	CU_ASSERT_EQUAL_FATAL(clients_sent(c, CLIENTS), CLIENTS);
	/* every write reaches the store: committed, durable, and not answered */
	for (int64_t end = now_ms() + 5000;
	     store_revision(f.st) < before + CLIENTS && now_ms() < end;)
		turn(&f, NULL, 0, 5);
	CU_ASSERT_EQUAL_FATAL(store_revision(f.st), before + CLIENTS);
	turn(&f, NULL, 0, 300);
	CU_ASSERT_EQUAL(clients_done(c, CLIENTS), 0);
	CU_ASSERT(ackwait_next_deadline(f.aw) > 0); /* they wait, with a deadline ahead */

	/* the standby holds all but the last: the group waits for its highest, all of it */
	ackwait_acked(f.aw, before + CLIENTS - 1);
	ackwait_dispatch(f.aw);
	turn(&f, c, CLIENTS, 300);
	CU_ASSERT_EQUAL(clients_done(c, CLIENTS), 0);

	/* replication's thread acknowledges the last; its handler dispatches on the loop */
	a.aw = f.aw;
	a.revision = before + CLIENTS;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&a.t, NULL, acker_run, &a), 0);
	pthread_join(a.t, NULL);
	ackwait_dispatch(f.aw);
	turn(&f, c, CLIENTS, 3000);
	CU_ASSERT_EQUAL(clients_done(c, CLIENTS), CLIENTS);
	for (int i = 0; i < CLIENTS; i++) {
		client_join(&c[i]);
		CU_ASSERT_EQUAL(client_status(&c[i]), 201);
		CU_ASSERT_TRUE(client_header(&c[i], "Fulcrum-Replicated", v, sizeof(v)));
		CU_ASSERT_STRING_EQUAL(v, "standby");
	}
	CU_ASSERT_EQUAL(f.alone_calls, 0);
	CU_ASSERT_EQUAL(ackwait_mode(f.aw), ACKWAIT_SYNC);
	CU_ASSERT_EQUAL(ackwait_next_deadline(f.aw), -1);
	fixture_close(&f);
}

/*
 * No acknowledgement: the web's own timer ends the wait at repl_sync_timeout,
 * the director goes alone (on_alone once, with the write's revision), the
 * answer says alone, and the next write is answered at once.
 */
static void test_web_group_timeout_goes_alone(void)
{
	struct fixture f;
	struct client c[2];
	char body[128], v[32];
	int64_t t0, took, rev;

	CU_ASSERT_FATAL(fixture_open(&f, 300));
	service_body(body, sizeof(body), 1);
	t0 = now_ms();
	client_start(&f, &c[0], "POST", "services", body);
	turn(&f, c, 1, 5000);
	took = now_ms() - t0;
	client_join(&c[0]);
	rev = store_revision(f.st);
	CU_ASSERT(took >= 300 && took < 3000);
	CU_ASSERT_EQUAL(client_status(&c[0]), 201);
	CU_ASSERT_TRUE(client_header(&c[0], "Fulcrum-Replicated", v, sizeof(v)));
	CU_ASSERT_STRING_EQUAL(v, "alone");
	CU_ASSERT_EQUAL(f.alone_calls, 1);
	CU_ASSERT_EQUAL(f.alone_rev, rev);
	CU_ASSERT_EQUAL(ackwait_mode(f.aw), ACKWAIT_ALONE);

	service_body(body, sizeof(body), 2);
	t0 = now_ms();
	client_start(&f, &c[1], "POST", "services", body);
	turn(&f, &c[1], 1, 5000);
	client_join(&c[1]);
	CU_ASSERT(now_ms() - t0 < 250);
	CU_ASSERT_EQUAL(client_status(&c[1]), 201);
	CU_ASSERT_TRUE(client_header(&c[1], "Fulcrum-Replicated", v, sizeof(v)));
	CU_ASSERT_STRING_EQUAL(v, "alone");
	CU_ASSERT_EQUAL(f.alone_calls, 1);
	fixture_close(&f);
}

/* A write that failed or changed nothing has nothing to replicate: answered at once, no header. */
static void test_web_group_failed_and_unchanged_answer_at_once(void)
{
	struct fixture f;
	struct client c[3];
	char body[128], v[32], path[64];
	int64_t t0, rev;

	CU_ASSERT_FATAL(fixture_open(&f, 10000));
	service_body(body, sizeof(body), 3);
	client_start(&f, &c[0], "POST", "services", body);
	for (int64_t end = now_ms() + 5000; store_revision(f.st) == 0 && now_ms() < end;)
		turn(&f, NULL, 0, 5);
	rev = store_revision(f.st);
	CU_ASSERT_FATAL(rev > 0);
	ackwait_acked(f.aw, rev);
	ackwait_dispatch(f.aw);
	turn(&f, c, 1, 3000);
	client_join(&c[0]);
	CU_ASSERT_EQUAL(client_status(&c[0]), 201);

	t0 = now_ms();
	client_start(
	    &f, &c[1], "POST", "services",
	    "{\"name\":\"bad\",\"address\":\"192.0.2.99\",\"port\":0,\"protocol\":\"tcp\"}");
	snprintf(path, sizeof(path), "services/%lld", (long long)1);
	client_start(&f, &c[2], "PATCH", path, "{\"name\":\"w3\"}");
	turn(&f, &c[1], 1, 3000);
	turn(&f, &c[2], 1, 3000);
	client_join(&c[1]);
	client_join(&c[2]);
	CU_ASSERT(now_ms() - t0 < 2000);
	CU_ASSERT_EQUAL(client_status(&c[1]), 422);
	CU_ASSERT_FALSE(client_header(&c[1], "Fulcrum-Replicated", v, sizeof(v)));
	CU_ASSERT_EQUAL(client_status(&c[2]), 200);
	CU_ASSERT_FALSE(client_header(&c[2], "Fulcrum-Replicated", v, sizeof(v)));
	CU_ASSERT_EQUAL(store_revision(f.st), rev);
	CU_ASSERT_EQUAL(f.alone_calls, 0);
	fixture_close(&f);
}

/*
 * fulcrumd stops while a committed write waits: web_free() answers it (its
 * connection may not stay suspended), and the barrier freed after the web
 * only frees what it held.
 */
static void test_web_group_free_while_waiting(void)
{
	struct fixture f;
	struct client c;
	char body[128];

	CU_ASSERT_FATAL(fixture_open(&f, 10000));
	service_body(body, sizeof(body), 4);
	client_start(&f, &c, "POST", "services", body);
	for (int64_t end = now_ms() + 5000; store_revision(f.st) == 0 && now_ms() < end;)
		turn(&f, NULL, 0, 5);
	CU_ASSERT_FATAL(store_revision(f.st) > 0);
	turn(&f, NULL, 0, 100);
	CU_ASSERT_FALSE(atomic_load(&c.done));
	fixture_close(&f); /* the client's connection ends, answered or closed */
	client_join(&c);
	CU_ASSERT_TRUE(atomic_load(&c.done));
}

UNIT_SUITE(web_group)
{
	CU_pSuite s = CU_add_suite("web_group", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "sync: committed writes answer once the standby holds them",
		    test_web_group_waits_for_the_standby);
	CU_add_test(s, "sync: no acknowledgement, the timeout answers alone",
		    test_web_group_timeout_goes_alone);
	CU_add_test(s, "failed and unchanged writes answer at once, no header",
		    test_web_group_failed_and_unchanged_answer_at_once);
	CU_add_test(s, "stopping while a write waits", test_web_group_free_while_waiting);
	return CU_get_error();
}
