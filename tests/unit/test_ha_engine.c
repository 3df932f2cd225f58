/* Unit tests of the failover engine as a whole (ha_engine.c, ha_beat.c, ha_path.c): two engines in one process on loopback, their threads, sockets and events. */
#include "controller/ha/ha_engine.h"
#include "controller/ha/ha_keys.h"
#include "controller/ha/ha_packet.h"
#include "tests/unit/unit.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * No VIPs, no sync daemon, no tie-breaker, IPVS declared usable: nothing
 * here touches the kernel beyond two UDP sockets on 127.0.0.1 and 127.0.0.2,
 * so the test runs unprivileged. Timers are slow enough for valgrind.
 */

struct node {
	struct ha_engine *e;
	enum status_role role;
	int changes, peer_events, done, stopped, actives;
	int rc;
	char reason[256];
};

static void on_role(void *arg, const struct status_role_change *ev)
{
	struct node *n = arg;

	n->role = ev->role;
	n->changes++;
	if (ev->role == STATUS_ROLE_ACTIVE)
		n->actives++;
}

static void on_peer(void *arg, const struct status_peer_change *ev)
{
	struct node *n = arg;

	(void)ev;
	n->peer_events++;
}

static void on_done(void *arg, int rc, const char *reason)
{
	struct node *n = arg;

	n->rc = rc;
	snprintf(n->reason, sizeof(n->reason), "%s", reason);
	n->done++;
}

static void on_stopped(void *arg)
{
	struct node *n = arg;

	n->stopped++;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the loop until cond(a, b) holds or max_s pass; whether it did. */
static bool run_until(struct event_base *base, bool (*cond)(struct node *, struct node *),
		      struct node *a, struct node *b, double max_s)
{
	struct timeval tick = {0, 20000};
	double end = now_s() + max_s;

	while (!cond(a, b)) {
		if (now_s() > end)
			return false;
		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
	return true;
}

static bool one_active(struct node *a, struct node *b)
{
	return a->role == STATUS_ROLE_ACTIVE && b->role == STATUS_ROLE_STANDBY;
}

/* one_active, and lb-a heard lb-b's standby heartbeat (its role event may come first) */
static bool one_active_heard(struct node *a, struct node *b)
{
	struct status_cluster st;

	if (!one_active(a, b))
		return false;
	ha_engine_status(a->e, &st);
	return st.peer.role == STATUS_ROLE_STANDBY;
}

static bool b_active(struct node *a, struct node *b)
{
	return b->role == STATUS_ROLE_ACTIVE && a->role == STATUS_ROLE_STANDBY;
}

static bool a_done(struct node *a, struct node *b)
{
	(void)b;
	return a->done > 0;
}

static bool b_stopped(struct node *a, struct node *b)
{
	return b->stopped > 0 && a->role == STATUS_ROLE_ACTIVE;
}

static void conf_for(struct conf *c, const char *self, const char *peer, unsigned port,
		     unsigned priority, const char *keyfile)
{
	conf_defaults(c);
	snprintf(c->ha_bind, sizeof(c->ha_bind), "%s", self);
	snprintf(c->ha_peer, sizeof(c->ha_peer), "%s", peer);
	snprintf(c->ha_keyfile, sizeof(c->ha_keyfile), "%s", keyfile);
	c->ha_port = port;
	c->ha_priority = priority;
	c->ha_interval = 100;
	c->ha_deadtime = 1500;
	c->ha_initdead = 1500;
	c->ha_realtime = false;
}

static struct ha_engine *start(struct event_base *base, const struct conf *c, const char *node,
			       const char *dir, struct node *n)
{
	struct ha_engine_params p = {
	    .base = base, .conf = c, .node = node, .ipvs_usable = true, .ipvs_why = ""};
	struct ha_keys *keys = NULL;
	struct ha_engine *e = NULL;
	char db[512], err[512];

	CU_ASSERT_EQUAL_FATAL(ha_keys_load(c->ha_keyfile, &keys, err, sizeof(err)), 0);
	snprintf(db, sizeof(db), "%s/%s.db", dir, node);
	p.keys = keys;
	p.db_path = db;
	if (ha_engine_new(&p, &e, err, sizeof(err)) != 0) {
		fprintf(stderr, "\n  %s: %s", node, err);
		ha_keys_free(keys);
		CU_FAIL_FATAL("engine did not start");
	}
	CU_ASSERT_EQUAL(ha_engine_role_subscribe(e, on_role, n), 0);
	CU_ASSERT_EQUAL(ha_engine_peer_subscribe(e, on_peer, n), 0);
	n->e = e;
	return e;
}

/*
 * A pair on loopback: a fresh dir (dir, 256 bytes) holding one key file
 * (keyfile, 512 bytes); lb-a on 127.0.0.1 with priority 110, lb-b on
 * 127.0.0.2 with 100, both started.
 */
static void pair_start(struct event_base *base, unsigned port, char dir[256], char keyfile[512],
		       struct conf *ca, struct conf *cb, struct node *a, struct node *b)
{
	FILE *f;

	unit_tmpdir(dir, 256);
	snprintf(keyfile, 512, "%s/authkeys", dir);
	f = fopen(keyfile, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("auth 1\n1 hmac-sha256 a-test-secret-of-enough-length\n", f);
	fclose(f);
	chmod(keyfile, 0600);
	conf_for(ca, "127.0.0.1", "127.0.0.2", port, 110, keyfile);
	conf_for(cb, "127.0.0.2", "127.0.0.1", port, 100, keyfile);
	start(base, ca, "lb-a", dir, a);
	start(base, cb, "lb-b", dir, b);
}

/* a hears b's heartbeats without the configuration flag */
static bool peer_partial(struct node *a, struct node *b)
{
	struct status_cluster st;

	(void)b;
	ha_engine_status(a->e, &st);
	return st.peer.state == STATUS_PEER_ALIVE && !(st.peer.flags & STATUS_HA_CONFIG);
}

static bool peer_whole(struct node *a, struct node *b)
{
	struct status_cluster st;

	(void)b;
	ha_engine_status(a->e, &st);
	return st.peer.state == STATUS_PEER_ALIVE && (st.peer.flags & STATUS_HA_CONFIG);
}

/* a's snapshot shows b as a standby, and b's shows a active (the heartbeats crossed) */
static bool seen_pair(struct node *a, struct node *b)
{
	struct status_cluster sa, sb;

	ha_engine_status(a->e, &sa);
	ha_engine_status(b->e, &sb);
	return sa.peer.role == STATUS_ROLE_STANDBY && sb.peer.role == STATUS_ROLE_ACTIVE;
}

/* a's snapshot shows b gone */
static bool peer_dead(struct node *a, struct node *b)
{
	struct status_cluster st;

	(void)b;
	ha_engine_status(a->e, &st);
	return st.peer.state == STATUS_PEER_DEAD;
}

static void test_ha_engine_pair(void)
{
	struct event_base *base = event_base_new();
	struct node a = {0}, b = {0};
	struct conf ca, cb;
	struct status_cluster st;
	char dir[256], keyfile[512];
	unsigned port = 20000 + (unsigned)getpid() % 20000;

	CU_ASSERT_PTR_NOT_NULL_FATAL(base);
	pair_start(base, port, dir, keyfile, &ca, &cb, &a, &b);

	/* both start together: the higher priority takes the role, the other stands by */
	CU_ASSERT_TRUE(run_until(base, one_active, &a, &b, 20));
	/* each snapshot is the heartbeat thread's: under valgrind it may lag the role callbacks */
	CU_ASSERT_TRUE(run_until(base, seen_pair, &a, &b, 5));
	ha_engine_status(a.e, &st);
	CU_ASSERT_TRUE(st.enabled);
	CU_ASSERT_EQUAL(st.role, STATUS_ROLE_ACTIVE);
	CU_ASSERT_STRING_EQUAL(st.peer.name, "lb-b");
	CU_ASSERT_EQUAL(st.peer.state, STATUS_PEER_ALIVE);
	CU_ASSERT_EQUAL(st.peer.role, STATUS_ROLE_STANDBY);
	CU_ASSERT(st.sent > 0);
	CU_ASSERT_STRING_EQUAL(st.received[0].name, "ok");
	CU_ASSERT(st.received[0].n > 0);
	CU_ASSERT(a.peer_events > 0);

	/* a switchover on the standby is refused with the machine's reason */
	CU_ASSERT_EQUAL(ha_engine_switchover(b.e, false, on_done, &b), 0);
	CU_ASSERT_TRUE(run_until(base, a_done, &b, &a, 5));
	CU_ASSERT_EQUAL(b.rc, -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.reason, "ask the active node"));

	/* the standby's kernel refuses a service: its flag goes down, it stays eligible, and
	   the active refuses to hand over to it */
	ha_engine_config_set(b.e, false, true, "service 'bad' (TCP 10.0.2.100:81): refused");
	CU_ASSERT_TRUE(run_until(base, peer_partial, &a, &b, 5));
	ha_engine_status(b.e, &st);
	CU_ASSERT_EQUAL(st.flags & (STATUS_HA_CONFIG | STATUS_HA_ELIGIBLE), STATUS_HA_ELIGIBLE);
	CU_ASSERT_STRING_EQUAL(st.health,
			       "configuration refused: service 'bad' (TCP 10.0.2.100:81): refused");
	CU_ASSERT_EQUAL(st.role, STATUS_ROLE_STANDBY);
	a.done = 0;
	CU_ASSERT_EQUAL(ha_engine_switchover(a.e, false, on_done, &a), 0);
	CU_ASSERT_TRUE(run_until(base, a_done, &a, &b, 5));
	CU_ASSERT_EQUAL(a.rc, -EAGAIN);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(a.reason, "peer lb-b's kernel refuses part of its configuration"));
	ha_engine_config_set(b.e, true, true, "");
	CU_ASSERT_TRUE(run_until(base, peer_whole, &a, &b, 5));

	/* on the active it hands over: STEPDOWN, the peer takes the role at once */
	a.done = 0;
	CU_ASSERT_EQUAL(ha_engine_switchover(a.e, false, on_done, &a), 0);
	CU_ASSERT_TRUE(run_until(base, a_done, &a, &b, 5));
	CU_ASSERT_EQUAL(a.rc, 0);
	CU_ASSERT_TRUE(run_until(base, b_active, &a, &b, 5));
	ha_engine_status(b.e, &st);
	CU_ASSERT_EQUAL(st.term, 2);

	/* a graceful stop of the active: the standby takes over, the stop is announced */
	ha_engine_stop(b.e, on_stopped, &b);
	CU_ASSERT_TRUE(run_until(base, b_stopped, &a, &b, 5));
	CU_ASSERT_TRUE(run_until(base, peer_dead, &a, &b, 5));
	ha_engine_status(a.e, &st);
	CU_ASSERT_EQUAL(st.peer.state, STATUS_PEER_DEAD);
	CU_ASSERT_EQUAL(ha_engine_switchover(b.e, false, on_done, &b), -ECANCELED);

	ha_engine_free(a.e);
	ha_engine_free(b.e);
	event_base_free(base);
	unit_tmpdir_cleanup(dir);
}

static bool a_stopped(struct node *a, struct node *b)
{
	(void)b;
	return a->stopped > 0;
}

static bool a_stopped_b(struct node *a, struct node *b)
{
	(void)a;
	return b->stopped > 0;
}

static bool never(struct node *a, struct node *b)
{
	(void)a;
	(void)b;
	return false;
}

/* What lb-b's counters say of stale echoes (received[] by name). */
static uint64_t received_as(struct ha_engine *e, const char *name)
{
	struct status_cluster st;

	ha_engine_status(e, &st);
	for (int i = 0; i < STATUS_HA_RESULTS && st.received[i].name; i++)
		if (strcmp(st.received[i].name, name) == 0)
			return st.received[i].n;
	return UINT64_MAX;
}

static bool b_dropped_once(struct node *a, struct node *b)
{
	(void)a;
	return received_as(b->e, "stale_echo") == 1;
}

/*
 * lb-b restarts (a new epoch) while lb-a is active; a STEPDOWN of lb-a's
 * current epoch, with a seq lb-b saw before its restart and the echo of lb-b's
 * old epoch (what a recording of lb-a's switchover would hold), reaches lb-b
 * first: its replay window takes it (the first message of the restored epoch),
 * the echo does not: dropped as stale_echo, lb-b never active. Then, lb-b
 * restarted where lb-a hears it, a real switchover of lb-a moves the role at
 * once: lb-a's echo caught up.
 */
static void test_ha_engine_restart_replay(void)
{
	struct event_base *base = event_base_new();
	struct node a = {0}, b = {0};
	struct conf ca, cb, cb3;
	struct status_cluster st;
	struct ha_keys *keys = NULL;
	struct ha_msg m = {.type = HA_MSG_STEPDOWN,
			   .role = HA_ROLE_STANDBY,
			   .reason = HA_STEPDOWN_SWITCHOVER,
			   .priority = 110,
			   .flags = HA_FLAG_IPVS | HA_FLAG_LOOP | HA_FLAG_CARRIER |
				    HA_FLAG_ELIGIBLE | HA_FLAG_YIELDING | HA_FLAG_HEARS_PEER,
			   .term = 1};
	struct sockaddr_in to = {.sin_family = AF_INET}, from = {.sin_family = AF_INET};
	char dir[256], keyfile[512], err[256];
	unsigned port = 20000 + ((unsigned)getpid() + 7) % 20000;
	uint64_t b_epoch, a_epoch, a_seq;
	uint8_t buf[HA_PACKET_MAX];
	size_t len;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(base);
	pair_start(base, port, dir, keyfile, &ca, &cb, &a, &b);
	CU_ASSERT_TRUE_FATAL(run_until(base, one_active, &a, &b, 20));

	/* what lb-b knew before its restart: its epoch, lb-a's epoch and a seq of it */
	ha_engine_status(b.e, &st);
	b_epoch = st.epoch;
	a_epoch = st.peer.epoch;
	a_seq = st.peer.seq;
	CU_ASSERT_TRUE(b_epoch > 0 && a_epoch > 0 && a_seq > 1);
	ha_engine_stop(b.e, on_stopped, &b);
	CU_ASSERT_TRUE(run_until(base, a_stopped_b, &a, &b, 5));
	ha_engine_free(b.e);

	/* the recording, signed with lb-a's key: lb-a's epoch, an old seq, lb-b's old epoch echoed */
	CU_ASSERT_EQUAL_FATAL(ha_keys_load(keyfile, &keys, err, sizeof(err)), 0);
	snprintf(m.cluster, sizeof(m.cluster), "%s", ca.ha_cluster);
	snprintf(m.node, sizeof(m.node), "lb-a");
	m.epoch = a_epoch;
	m.seq = a_seq;
	m.echo = b_epoch;
	CU_ASSERT_EQUAL_FATAL(ha_packet_encode(&m, keys, buf, sizeof(buf), &len), 0);
	ha_keys_free(keys);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(fd >= 0);
	inet_pton(AF_INET, "127.0.0.1", &from.sin_addr);
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	inet_pton(AF_INET, "127.0.0.3", &to.sin_addr);
	to.sin_port = htons((uint16_t)port);

	/*
	 * lb-b again, a new epoch, on 127.0.0.3 where lb-a's heartbeats do not go:
	 * the recording is the first message of lb-a's epoch it gets, as when it
	 * comes before lb-a's next heartbeat (a race on the rig, none here).
	 */
	memset(&b, 0, sizeof(b));
	conf_for(&cb3, "127.0.0.3", "127.0.0.1", port, 100, keyfile);
	start(base, &cb3, "lb-b", dir, &b);
	CU_ASSERT_EQUAL(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
	CU_ASSERT_TRUE(run_until(base, b_dropped_once, &a, &b, 5));
	ha_engine_status(b.e, &st);
	CU_ASSERT(st.epoch > b_epoch);
	CU_ASSERT_EQUAL(st.peer.epoch, a_epoch); /* the window took it: the echo dropped it */
	CU_ASSERT_EQUAL(st.role, STATUS_ROLE_STARTING);
	CU_ASSERT_EQUAL(received_as(b.e, "ok"), 0);
	CU_ASSERT_EQUAL(b.actives, 0); /* never took the role, not even for one input */
	/* sent again: the replay window refuses it now */
	CU_ASSERT_EQUAL(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
	run_until(base, never, &a, &b, 0.3);
	CU_ASSERT_EQUAL(received_as(b.e, "stale_echo"), 1);
	CU_ASSERT_EQUAL(received_as(b.e, "duplicate"), 1); /* the same seq, accepted once already */
	ha_engine_status(b.e, &st);
	CU_ASSERT_EQUAL(st.role, STATUS_ROLE_STARTING); /* initdead is 1500 ms */
	CU_ASSERT_EQUAL(b.actives, 0);
	close(fd);
	ha_engine_stop(b.e, on_stopped, &b);
	CU_ASSERT_TRUE(run_until(base, a_stopped_b, &a, &b, 5));
	ha_engine_free(b.e);

	/* lb-b back where lb-a hears it: standby; lb-a's switchover echoes its epoch, taken at once */
	memset(&b, 0, sizeof(b));
	start(base, &cb, "lb-b", dir, &b);
	CU_ASSERT_TRUE(run_until(base, one_active_heard, &a, &b, 10));
	CU_ASSERT_EQUAL(ha_engine_switchover(a.e, false, on_done, &a), 0);
	CU_ASSERT_TRUE(run_until(base, a_done, &a, &b, 5));
	CU_ASSERT_EQUAL(a.rc, 0);
	CU_ASSERT_TRUE(run_until(base, b_active, &a, &b, 1));
	CU_ASSERT_EQUAL(b.actives, 1);
	CU_ASSERT_EQUAL(received_as(b.e, "stale_echo"), 0);

	ha_engine_free(a.e);
	ha_engine_free(b.e);
	event_base_free(base);
	unit_tmpdir_cleanup(dir);
}

static void test_ha_engine_standalone(void)
{
	struct event_base *base = event_base_new();
	struct node a = {0};
	struct conf c;
	struct status_cluster st;
	struct ha_engine_params p = {.base = base, .conf = &c, .node = "solo", .ipvs_usable = true};
	struct ha_vip v = {.prefix = 32};
	const char *reason = NULL;
	char err[256];

	conf_defaults(&c);
	c.ha_standalone_vips = false; /* no address on this machine's interfaces */
	CU_ASSERT_EQUAL_FATAL(ha_engine_new(&p, &a.e, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ha_engine_switchover(a.e, true, on_done, &a), 0);
	CU_ASSERT_TRUE(run_until(base, a_done, &a, &a, 5));
	CU_ASSERT_EQUAL(a.rc, -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(a.reason, "standalone"));
	ha_engine_status(a.e, &st);
	CU_ASSERT_FALSE(st.enabled);
	CU_ASSERT_EQUAL(st.role, STATUS_ROLE_STANDALONE);
	v.addr.family = AF_INET;
	snprintf(v.ifname, sizeof(v.ifname), "lo");
	CU_ASSERT_FALSE(ha_engine_vip_held(a.e, &v, &reason));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "ha_standalone_vips = no"));
	ha_engine_stop(a.e, on_stopped, &a);
	CU_ASSERT_TRUE(run_until(base, a_stopped, &a, &a, 5));
	ha_engine_free(a.e);
	event_base_free(base);
}

/*
 * A command asked just before the engine is freed is answered once all the
 * same: with the engine's answer if it took it, else -ECANCELED. Its caller
 * (the web, the MIB) frees what it waited with there.
 */
static void test_ha_engine_free_answers(void)
{
	struct event_base *base = event_base_new();
	struct node a = {0};
	struct conf c;
	struct ha_engine_params p = {.base = base, .conf = &c, .node = "solo", .ipvs_usable = true};
	char err[256];

	conf_defaults(&c);
	c.ha_standalone_vips = false;
	CU_ASSERT_EQUAL_FATAL(ha_engine_new(&p, &a.e, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ha_engine_maintenance(a.e, true, on_done, &a), 0);
	CU_ASSERT_EQUAL(ha_engine_switchover(a.e, false, on_done, &a), 0);
	CU_ASSERT_EQUAL(a.done, 0); /* never from inside the call */
	ha_engine_free(a.e);
	CU_ASSERT_EQUAL(a.done, 2);
	CU_ASSERT(a.rc == -EPERM || a.rc == -ECANCELED);
	CU_ASSERT(a.reason[0] != '\0');
	event_base_free(base);
}

UNIT_SUITE(ha_engine)
{
	CU_pSuite s = CU_add_suite("ha_engine", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "standalone: no peer, commands refused, stop", test_ha_engine_standalone);
	CU_add_test(s, "a pair on loopback: roles, switchover, graceful stop", test_ha_engine_pair);
	CU_add_test(s, "a restart under a recorded STEPDOWN: dropped as stale_echo, no role change",
		    test_ha_engine_restart_replay);
	CU_add_test(s, "freed with commands waiting: each answered once",
		    test_ha_engine_free_answers);
	return CU_get_error();
}
