/* Unit tests of controller/ha/ha_fsm.c: every rule, time driven by hand, and a lossy pair. */
#include "controller/ha/ha_fsm.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SERVES    (HA_FLAG_IPVS | HA_FLAG_LOOP | HA_FLAG_CARRIER | HA_FLAG_CONFIG)
#define PARTIAL   (SERVES & ~(unsigned)HA_FLAG_CONFIG) /* the kernel refuses an object */
#define ACTIVE_OK (SERVES | HA_FLAG_VIPS)
#define PEER_OK   (SERVES | HA_FLAG_ELIGIBLE | HA_FLAG_HEARS_PEER)

static struct ha_fsm_conf conf_of(const char *node, unsigned priority, bool tiebreakers)
{
	struct ha_fsm_conf c = {
	    .priority = priority,
	    .interval = 50,
	    .deadtime = 300,
	    .initdead = 1000,
	    .repair_timeout = 3000,
	    .tiebreakers = tiebreakers,
	};

	snprintf(c.node, sizeof(c.node), "%s", node);
	return c;
}

static uint64_t peer_seq;

/* A message from peer lb-b (priority 100), as ha_packet_decode() would give it. */
static struct ha_msg from_b(enum ha_msg_type type, enum ha_role role, uint64_t term, unsigned flags)
{
	struct ha_msg m = {.type = type, .role = role, .term = term, .flags = flags};

	m.priority = 100;
	m.epoch = 1;
	m.seq = ++peer_seq;
	m.reason = type == HA_MSG_STEPDOWN ? HA_STEPDOWN_SWITCHOVER : HA_STEPDOWN_NONE;
	strcpy(m.cluster, "fulcrum");
	strcpy(m.node, "lb-b");
	return m;
}

static void hear(struct ha_fsm *f, struct ha_msg m, uint64_t now, struct ha_fsm_result *res)
{
	ha_fsm_heard(f, &m, now, res);
}

static bool has(const struct ha_fsm_result *res, const char *text)
{
	if (strstr(res->reason, text))
		return true;
	fprintf(stderr, "\n  reason '%s' lacks '%s'", res->reason, text);
	return false;
}

/* lb-a started at 0, healthy, the peer silent: active at 1000, term 1. */
static void start_active(struct ha_fsm *f, const struct ha_fsm_conf *c)
{
	struct ha_fsm_result res;

	ha_fsm_init(f, c, 0, &res);
	ha_fsm_health(f, SERVES | (c->tiebreakers ? HA_FLAG_TIEBREAKER : 0), 0, &res);
	ha_fsm_tick(f, 1000, &res);
	CU_ASSERT_EQUAL_FATAL(res.role, HA_ROLE_ACTIVE);
	ha_fsm_health(f, SERVES | HA_FLAG_VIPS | (c->tiebreakers ? HA_FLAG_TIEBREAKER : 0), 1000,
		      &res);
}

/* lb-a started at 0, healthy, lb-b active (term 4) heard at 100: standby. */
static void start_standby(struct ha_fsm *f, const struct ha_fsm_conf *c)
{
	struct ha_fsm_result res;

	ha_fsm_init(f, c, 0, &res);
	ha_fsm_health(f, SERVES | (c->tiebreakers ? HA_FLAG_TIEBREAKER : 0), 0, &res);
	hear(f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 4, PEER_OK | HA_FLAG_VIPS), 100, &res);
	CU_ASSERT_EQUAL_FATAL(res.role, HA_ROLE_STANDBY);
}

static void test_ha_fsm_standalone(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm f;

	c.standalone = true;
	ha_fsm_init(&f, &c, 0, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDALONE);
	ha_fsm_health(&f, SERVES, 0, &res);
	ha_fsm_tick(&f, 100000, &res);
	hear(&f, from_b(HA_MSG_STEPDOWN, HA_ROLE_STANDBY, 1, PEER_OK), 100001, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDALONE);
	CU_ASSERT_EQUAL(res.actions, 0);
	CU_ASSERT_EQUAL(ha_fsm_deadline(&f), UINT64_MAX);
	CU_ASSERT_EQUAL(ha_fsm_switchover(&f, true, 100002, &res), -EPERM);
}

static void test_ha_fsm_start_peer_silent(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm f;

	ha_fsm_init(&f, &c, 0, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STARTING);
	CU_ASSERT_EQUAL(ha_fsm_deadline(&f), 1000);
	ha_fsm_health(&f, SERVES, 5, &res);
	ha_fsm_tick(&f, 999, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STARTING);
	CU_ASSERT_EQUAL(res.actions & HA_ACT_TAKE_VIPS, 0);
	ha_fsm_tick(&f, 1000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT(res.changed);
	CU_ASSERT_EQUAL(res.term, 1);
	CU_ASSERT_EQUAL(res.actions, HA_ACT_TAKE_VIPS | HA_ACT_SEND_HEARTBEAT_NOW);
	CU_ASSERT(has(&res, "the peer silent through initdead (1000 ms): taking the active role, "
			    "term 1"));
}

static void test_ha_fsm_start_not_eligible(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm f;

	ha_fsm_init(&f, &c, 0, &res); /* no health reported: not able to serve */
	ha_fsm_tick(&f, 1000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_FAULT);
	CU_ASSERT(has(&res, "initdead over, this node cannot serve: IPVS unusable"));
	ha_fsm_health(&f, SERVES, 1100, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE); /* FAULT, STANDBY, then the silent peer */
	CU_ASSERT(has(&res, "the peer not heard since start (1100 ms)"));

	ha_fsm_init(&f, &c, 0, &res);
	ha_fsm_health(&f, SERVES, 0, &res);
	ha_fsm_maintenance(&f, true, 10, &res);
	ha_fsm_tick(&f, 1000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT(has(&res, "but this node is in maintenance"));
	ha_fsm_maintenance(&f, false, 2000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
}

static void test_ha_fsm_start_hears_active(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 200, false);
	struct ha_fsm_result res;
	struct ha_fsm f;

	start_standby(&f, &c);
	CU_ASSERT_EQUAL(f.term, 4); /* adopted */
	/* Stickiness: a higher priority never takes the role from a working active. */
	for (uint64_t t = 150; t < 60000; t += 50) {
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 4, PEER_OK | HA_FLAG_VIPS), t,
		     &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
		ha_fsm_tick(&f, t + 25, &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	}
}

static void test_ha_fsm_standby_takes_over(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm f;
	uint64_t last = peer_seq + 1;

	start_standby(&f, &c);
	last = peer_seq;
	CU_ASSERT_EQUAL(ha_fsm_deadline(&f), 400);
	ha_fsm_tick(&f, 399, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	ha_fsm_tick(&f, 412, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT_EQUAL(res.term, 5);
	CU_ASSERT_EQUAL(res.actions, HA_ACT_TAKE_VIPS | HA_ACT_SEND_HEARTBEAT_NOW);
	{
		char want[128];

		snprintf(want, sizeof(want),
			 "peer lb-b silent for 312 ms, last heard seq %llu: taking the active "
			 "role, term 5",
			 (unsigned long long)last);
		CU_ASSERT(has(&res, want));
	}
}

static void test_ha_fsm_standby_needs_tiebreaker(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, true);
	struct ha_fsm_result res;
	struct ha_fsm f;

	start_standby(&f, &c);
	ha_fsm_health(&f, SERVES, 200, &res); /* every tie-breaker lost */
	ha_fsm_tick(&f, 400, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT(has(&res, "peer lb-b silent for 300 ms"));
	CU_ASSERT(has(&res, "but this node reaches no tie-breaker: staying standby"));
	ha_fsm_tick(&f, 450, &res);
	CU_ASSERT_STRING_EQUAL(res.reason, ""); /* said once */
	ha_fsm_health(&f, SERVES | HA_FLAG_TIEBREAKER, 500, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);

	/* Nor does a node in maintenance take over. */
	start_standby(&f, &c);
	ha_fsm_maintenance(&f, true, 150, &res);
	ha_fsm_tick(&f, 1000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT(has(&res, "this node is in maintenance: staying standby"));
}

/* At start with no active: only the winner of one deterministic rule becomes active. */
static void test_ha_fsm_start_tiebreak(void)
{
	static const struct {
		const char *node;
		unsigned prio, peer_flags;
		enum ha_role want;
		const char *why;
	} cases[] = {
	    {"lb-a", 100, PEER_OK, HA_ROLE_ACTIVE, "name lb-a sorts before lb-b"},
	    {"lb-c", 100, PEER_OK, HA_ROLE_STANDBY, "name lb-c sorts after lb-b"},
	    {"lb-c", 101, PEER_OK, HA_ROLE_ACTIVE, "priority 101, peer lb-b 100"},
	    {"lb-a", 99, PEER_OK, HA_ROLE_STANDBY, "priority 99, peer lb-b 100"},
	    {"lb-c", 0, SERVES | HA_FLAG_MAINTENANCE, HA_ROLE_ACTIVE, "peer lb-b is in maint"},
	    {"lb-c", 0, PEER_OK | HA_FLAG_YIELDING, HA_ROLE_ACTIVE, "peer lb-b stepped down"},
	    {"lb-c", 0, HA_FLAG_LOOP | HA_FLAG_CARRIER, HA_ROLE_ACTIVE, "(IPVS unusable)"},
	};
	struct ha_fsm_result res;
	struct ha_fsm f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ha_fsm_conf c = conf_of(cases[i].node, cases[i].prio, false);

		ha_fsm_init(&f, &c, 0, &res);
		ha_fsm_health(&f, SERVES, 0, &res);
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STARTING, 0, cases[i].peer_flags), 900,
		     &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_STARTING);
		ha_fsm_tick(&f, 1000, &res);
		CU_ASSERT_EQUAL(res.role, cases[i].want);
		CU_ASSERT(has(&res, "initdead over, no active node"));
		CU_ASSERT(has(&res, cases[i].why));
	}

	/* A standby that wins does not wait for anything more. */
	{
		struct ha_fsm_conf c = conf_of("lb-a", 100, false);

		ha_fsm_init(&f, &c, 0, &res);
		ha_fsm_health(&f, SERVES, 0, &res);
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 3, SERVES | HA_FLAG_MAINTENANCE),
		     900, &res);
		ha_fsm_tick(&f, 1000, &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
		CU_ASSERT_EQUAL(res.term, 4);
	}
}

static void test_ha_fsm_stepdown_heard(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, true);
	struct ha_fsm_result res;
	struct ha_fsm f;

	start_standby(&f, &c);
	ha_fsm_health(&f, SERVES, 150, &res); /* a request needs no tie-breaker */
	hear(&f, from_b(HA_MSG_STEPDOWN, HA_ROLE_STANDBY, 4, PEER_OK | HA_FLAG_YIELDING), 200,
	     &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT_EQUAL(res.term, 5);
	CU_ASSERT(has(&res, "peer lb-b stepped down (switchover): taking the active role"));

	start_standby(&f, &c);
	ha_fsm_maintenance(&f, true, 150, &res);
	hear(&f, from_b(HA_MSG_STEPDOWN, HA_ROLE_STANDBY, 4, PEER_OK | HA_FLAG_YIELDING), 200,
	     &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT(has(&res, "but this node is in maintenance: not taking over"));
}

/* A stopping active says goodbye twice (before and after releasing the VIPs): the second is no return. */
static void test_ha_fsm_goodbye_twice(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm_status st;
	struct ha_fsm f;
	struct ha_msg bye = from_b(HA_MSG_STEPDOWN, HA_ROLE_STANDBY, 4, PEER_OK | HA_FLAG_YIELDING);

	start_standby(&f, &c);
	bye.reason = HA_STEPDOWN_SHUTDOWN;
	hear(&f, bye, 200, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	ha_fsm_status(&f, &st);
	CU_ASSERT_EQUAL(st.peer.state, HA_PEER_DEAD);
	bye.seq = ++peer_seq;
	hear(&f, bye, 210, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT_PTR_NULL(strstr(res.reason, "heard again"));
	ha_fsm_status(&f, &st);
	CU_ASSERT_EQUAL(st.peer.state, HA_PEER_DEAD);
}

static void test_ha_fsm_switchover(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, true);
	struct ha_fsm_result res;
	struct ha_msg m;
	struct ha_fsm f;

	start_standby(&f, &c);
	CU_ASSERT_EQUAL(ha_fsm_switchover(&f, false, 200, &res), -EPERM);
	CU_ASSERT(has(&res, "switchover refused: this node is standby, ask the active node"));

	start_active(&f, &c);
	CU_ASSERT_EQUAL(ha_fsm_switchover(&f, false, 1100, &res), -EAGAIN);
	CU_ASSERT(has(&res, "switchover refused: the peer was never heard"));
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, SERVES | HA_FLAG_MAINTENANCE), 1200,
	     &res);
	CU_ASSERT_EQUAL(ha_fsm_switchover(&f, false, 1200, &res), -EAGAIN);
	CU_ASSERT(has(&res, "peer lb-b is in maintenance"));
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 1250, &res);
	CU_ASSERT_EQUAL(ha_fsm_switchover(&f, false, 1250, &res), -EAGAIN);
	CU_ASSERT(has(&res, "peer lb-b reaches no tie-breaker"));
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, HA_FLAG_LOOP | HA_FLAG_CARRIER), 1300,
	     &res);
	CU_ASSERT_EQUAL(ha_fsm_switchover(&f, false, 1300, &res), -EAGAIN);
	CU_ASSERT(has(&res, "peer lb-b cannot serve (IPVS unusable)"));
	ha_fsm_tick(&f, 1600, &res);
	CU_ASSERT_EQUAL(ha_fsm_switchover(&f, false, 1700, &res), -EAGAIN);
	CU_ASSERT(has(&res, "peer lb-b is silent (last heard 400 ms ago)"));
	CU_ASSERT_EQUAL(f.role, HA_ROLE_ACTIVE);

	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK | HA_FLAG_TIEBREAKER), 1750,
	     &res);
	CU_ASSERT_EQUAL(ha_fsm_switchover(&f, false, 1760, &res), 0);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT_EQUAL(res.actions,
			HA_ACT_SEND_STEPDOWN | HA_ACT_RELEASE_VIPS | HA_ACT_SEND_HEARTBEAT_NOW);
	CU_ASSERT_EQUAL(res.stepdown, HA_STEPDOWN_SWITCHOVER);
	CU_ASSERT(has(&res, "switchover requested by admin"));
	ha_fsm_msg_fill(&f, HA_MSG_STEPDOWN, &m);
	CU_ASSERT_EQUAL(m.type, HA_MSG_STEPDOWN);
	CU_ASSERT_EQUAL(m.reason, HA_STEPDOWN_SWITCHOVER);
	CU_ASSERT_EQUAL(m.role, HA_ROLE_STANDBY);
	CU_ASSERT(m.flags & HA_FLAG_YIELDING);
	CU_ASSERT_STRING_EQUAL(m.node, "lb-a");

	/* The peer's heartbeat sent before it took over: no active, yet this node waits. */
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK | HA_FLAG_TIEBREAKER), 1770,
	     &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 2, PEER_OK | HA_FLAG_TIEBREAKER), 1780,
	     &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	{
		struct ha_fsm_status st;

		ha_fsm_status(&f, &st);
		CU_ASSERT_EQUAL(st.flags & HA_FLAG_YIELDING, 0);
	}

	/* Forced, to a silent peer: allowed; this node waits ha_deadtime, then comes back. */
	start_active(&f, &c);
	CU_ASSERT_EQUAL(ha_fsm_switchover(&f, true, 1100, &res), 0);
	CU_ASSERT(has(&res, "(forced)"));
	ha_fsm_tick(&f, 1399, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	ha_fsm_tick(&f, 1400, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
}

/* The active's own failure: repaired in time it changes nothing, else it hands over. */
static void test_ha_fsm_service_failure(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm f;

	start_active(&f, &c);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 1010, &res);
	ha_fsm_health(&f, HA_FLAG_LOOP | HA_FLAG_CARRIER | HA_FLAG_VIPS, 2000, &res);
	CU_ASSERT_EQUAL(ha_fsm_deadline(&f), 5000); /* the peer is dead by now: the repair's */
	for (uint64_t t = 2000; t < 4990; t += 50) {
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), t, &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	}
	ha_fsm_health(&f, ACTIVE_OK, 4990, &res); /* repaired in time */
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 5000, &res);
	ha_fsm_tick(&f, 5010, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);

	ha_fsm_health(&f, SERVES, 6000, &res); /* the VIPs are gone */
	for (uint64_t t = 6000; t < 9000; t += 50)
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), t, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	ha_fsm_tick(&f, 9000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_FAULT);
	CU_ASSERT_EQUAL(res.actions,
			HA_ACT_SEND_STEPDOWN | HA_ACT_RELEASE_VIPS | HA_ACT_SEND_HEARTBEAT_NOW);
	CU_ASSERT_EQUAL(res.stepdown, HA_STEPDOWN_FAILURE);
	CU_ASSERT(has(&res, "VIPs not held for 3000 ms, not repaired: peer lb-b takes over"));
	/* FAULT for ha_repair_timeout again, then STANDBY (the peer being active). */
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 2, PEER_OK | HA_FLAG_VIPS), 9010, &res);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 2, PEER_OK | HA_FLAG_VIPS), 11990, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_FAULT);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 2, PEER_OK | HA_FLAG_VIPS), 12000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT_EQUAL(res.term, 2);
}

static void test_ha_fsm_failure_peer_unfit(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm f;

	start_active(&f, &c);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 1010, &res);
	ha_fsm_health(&f, HA_FLAG_LOOP | HA_FLAG_CARRIER | HA_FLAG_VIPS, 1020, &res);
	ha_fsm_tick(&f, 5000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT(has(&res, "IPVS unusable for 3980 ms, but peer lb-b is silent (last heard 3990 "
			    "ms ago): staying active"));
	ha_fsm_tick(&f, 5050, &res);
	CU_ASSERT_STRING_EQUAL(res.reason, "");
	/* The peer comes back healthy: now it can take over. */
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 5100, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_FAULT);
	CU_ASSERT_EQUAL(res.stepdown, HA_STEPDOWN_FAILURE);
}

/*
 * A failing active does not hand over to a peer that lacks its revisions
 * (replication mid-snapshot, behind, alone): the rig's standby, empty and
 * taking a snapshot of 110,000 objects, took the role from an active whose
 * loop stalled, then sent it its empty configuration. It stays, as with no
 * healthy peer, and hands over once the peer holds everything.
 */
static void test_ha_fsm_failure_peer_behind(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm f;

	start_active(&f, &c);
	ha_fsm_peer_behind(&f, "lb-b does not hold every revision of this node (replication "
			       "snapshot, 1 behind)");
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 1010, &res);
	ha_fsm_health(&f, SERVES, 2000, &res); /* the VIPs are gone */
	for (uint64_t t = 2000; t <= 8000; t += 50) {
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), t, &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
		CU_ASSERT_EQUAL(res.actions & HA_ACT_SEND_STEPDOWN, 0);
	}
	{
		struct ha_fsm_status st;

		ha_fsm_status(&f, &st);
		CU_ASSERT_PTR_NOT_NULL(strstr(st.blocked,
					      "but lb-b does not hold every revision of "
					      "this node (replication snapshot, 1 "
					      "behind): staying active"));
	}
	/* maintenance neither */
	ha_fsm_maintenance(&f, true, 8100, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	ha_fsm_maintenance(&f, false, 8150, &res);
	/* the peer took the snapshot: the next input hands over */
	ha_fsm_peer_behind(&f, "");
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 8200, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_FAULT);
	CU_ASSERT_EQUAL(res.stepdown, HA_STEPDOWN_FAILURE);
}

#define BAD "service 'bad' (TCP 10.0.2.100:81): scheduler 'fo' is not available in this kernel"

/*
 * Rules 1 and 5 of the configuration flag: an active whose kernel refuses an
 * object hands over to a peer that has all of it after ha_repair_timeout, as
 * STANDBY (it can still serve: eligible); the new active losing the flag too
 * stays, and the old one getting it back takes nothing back.
 */
static void test_ha_fsm_config_refused_active(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_status st;
	struct ha_fsm_result res;
	struct ha_fsm f;

	start_active(&f, &c);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 1010, &res);
	ha_fsm_config_why(&f, BAD);
	ha_fsm_health(&f, PARTIAL | HA_FLAG_VIPS, 2000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT_EQUAL(ha_fsm_deadline(&f), 5000); /* the peer is dead by now: the repair's */
	for (uint64_t t = 2000; t < 5000; t += 50) {
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), t, &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	}
	ha_fsm_tick(&f, 5000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT_EQUAL(res.actions,
			HA_ACT_SEND_STEPDOWN | HA_ACT_RELEASE_VIPS | HA_ACT_SEND_HEARTBEAT_NOW);
	CU_ASSERT_EQUAL(res.stepdown, HA_STEPDOWN_FAILURE);
	CU_ASSERT(has(&res, "configuration refused for 3000 ms, not repaired, peer lb-b has all of "
			    "it: stepping down; " BAD));
	ha_fsm_status(&f, &st);
	CU_ASSERT(st.flags & HA_FLAG_ELIGIBLE); /* it can serve: it may take over again */
	CU_ASSERT_EQUAL(st.flags & HA_FLAG_CONFIG, 0);

	/* The peer takes over, then its kernel refuses the same: it stays, this one too. */
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 2, PEER_OK | HA_FLAG_VIPS), 5010, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	for (uint64_t t = 5050; t < 20000; t += 50) {
		hear(&f,
		     from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 2,
			    (PEER_OK & ~(unsigned)HA_FLAG_CONFIG) | HA_FLAG_VIPS),
		     t, &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	}
	/* This node's refused object deleted: the flag back, the role stays where it is. */
	ha_fsm_health(&f, SERVES, 20000, &res);
	for (uint64_t t = 20000; t < 30000; t += 50) {
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 2, PEER_OK | HA_FLAG_VIPS), t,
		     &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	}

	/* Not known yet (a first check running): claimed by nobody, no step-down for it. */
	start_active(&f, &c);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 1010, &res);
	ha_fsm_health(&f, PARTIAL | HA_FLAG_VIPS | HA_FLAG_CONFIG_PENDING, 2000, &res);
	for (uint64_t t = 2000; t < 8000; t += 50) {
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), t, &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	}
	ha_fsm_status(&f, &st);
	CU_ASSERT_EQUAL(st.flags & (HA_FLAG_CONFIG | HA_FLAG_CONFIG_PENDING), 0); /* not sent */
	/* known refused from then: ha_repair_timeout counts from now */
	ha_fsm_health(&f, PARTIAL | HA_FLAG_VIPS, 8000, &res);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 10950, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 11000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);

	/* A refusal repaired within ha_repair_timeout changes nothing. */
	start_active(&f, &c);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 1010, &res);
	ha_fsm_health(&f, PARTIAL | HA_FLAG_VIPS, 2000, &res);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 4900, &res);
	ha_fsm_health(&f, ACTIVE_OK, 4950, &res);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 5000, &res);
	ha_fsm_tick(&f, 8000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
}

/* Rule 1's other side: the same object refused by both kernels, the active stays. */
static void test_ha_fsm_config_refused_both(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_status st;
	struct ha_fsm_result res;
	struct ha_fsm f;
	const unsigned partial_peer = PEER_OK & ~(unsigned)HA_FLAG_CONFIG;

	start_active(&f, &c);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, partial_peer), 1010, &res);
	ha_fsm_config_why(&f, BAD);
	ha_fsm_health(&f, PARTIAL | HA_FLAG_VIPS, 2000, &res);
	for (uint64_t t = 2000; t < 5000; t += 50)
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, partial_peer), t, &res);
	ha_fsm_tick(&f, 5000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT(has(&res,
		      "configuration refused for 3000 ms, but peer lb-b's kernel refuses part "
		      "of its own too: staying active"));
	ha_fsm_status(&f, &st);
	CU_ASSERT_STRING_EQUAL(st.blocked, "configuration refused for 3000 ms, but peer lb-b's "
					   "kernel refuses part of its own too: staying active");
	ha_fsm_tick(&f, 5050, &res);
	CU_ASSERT_STRING_EQUAL(res.reason, ""); /* said once */
	/* Nor to a peer that cannot take over at all. */
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK | HA_FLAG_MAINTENANCE), 5100,
	     &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT(has(&res, "configuration refused for 3100 ms, but peer lb-b is in maintenance"));
	/* The peer's refused object deleted: it has all of it now, this node hands over. */
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 5150, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT_EQUAL(res.stepdown, HA_STEPDOWN_FAILURE);

	/* Rule 2: the active dies; this standby without the flag takes over, saying so. */
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 2, partial_peer | HA_FLAG_VIPS), 5200,
	     &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	ha_fsm_tick(&f, 5500, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT_EQUAL(res.term, 3);
	CU_ASSERT(has(&res, "peer lb-b silent for 300 ms"));
	/* (cut at the reason's room: the object's name comes first) */
	CU_ASSERT(has(&res,
		      "taking the active role, term 3, though this node's kernel refuses part "
		      "of its configuration: service 'bad' (TCP 10.0.2.100:81)"));
	/* and, alone, it keeps the role past ha_repair_timeout */
	ha_fsm_health(&f, PARTIAL | HA_FLAG_VIPS, 5510, &res);
	ha_fsm_tick(&f, 9000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT(has(&res, "configuration refused for 3500 ms, but peer lb-b is silent"));
}

/* Rule 3: with no active node, a node with the flag wins over one without, before priority. */
static void test_ha_fsm_config_tiebreak(void)
{
	const unsigned partial_peer = PEER_OK & ~(unsigned)HA_FLAG_CONFIG;
	static const struct {
		unsigned prio, mine, peer_flags;
		enum ha_role want;
		const char *why;
	} cases[] = {
	    {200, PARTIAL, PEER_OK, HA_ROLE_STANDBY,
	     "peer lb-b's kernel holds all its configuration, this node's does not"},
	    {50, SERVES, PEER_OK & ~(unsigned)HA_FLAG_CONFIG, HA_ROLE_ACTIVE,
	     "this node's kernel holds all its configuration, peer lb-b's does not"},
	    {50, PARTIAL, PEER_OK & ~(unsigned)HA_FLAG_CONFIG, HA_ROLE_STANDBY,
	     "priority 50, peer lb-b 100"},
	    {200, PARTIAL, PEER_OK & ~(unsigned)HA_FLAG_CONFIG, HA_ROLE_ACTIVE,
	     "priority 200, peer lb-b 100"},
	    {200, PARTIAL, HA_FLAG_LOOP | HA_FLAG_CARRIER | HA_FLAG_CONFIG, HA_ROLE_ACTIVE,
	     "(IPVS unusable)"},
	};
	struct ha_fsm_result res;
	struct ha_fsm f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ha_fsm_conf c = conf_of("lb-a", cases[i].prio, false);

		ha_fsm_init(&f, &c, 0, &res);
		ha_fsm_health(&f, cases[i].mine, 0, &res);
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STARTING, 0, cases[i].peer_flags), 900,
		     &res);
		ha_fsm_tick(&f, 1000, &res);
		CU_ASSERT_EQUAL(res.role, cases[i].want);
		CU_ASSERT(has(&res, cases[i].why));
	}

	/* Two standbys: the one without the flag waits, and takes over when the other dies. */
	{
		struct ha_fsm_conf c = conf_of("lb-a", 200, false);

		ha_fsm_init(&f, &c, 0, &res);
		ha_fsm_health(&f, PARTIAL, 0, &res);
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 3, PEER_OK), 900, &res);
		ha_fsm_tick(&f, 1000, &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 3, PEER_OK), 1050, &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
		/* the peer loses it too: priority decides */
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 3, partial_peer), 1100, &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
		CU_ASSERT(has(&res, "priority 200, peer lb-b 100"));
	}
	{
		struct ha_fsm_conf c = conf_of("lb-a", 200, false);

		ha_fsm_init(&f, &c, 0, &res);
		ha_fsm_health(&f, PARTIAL, 0, &res);
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STARTING, 0, PEER_OK), 900, &res);
		ha_fsm_tick(&f, 1000, &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
		ha_fsm_tick(&f, 1200, &res);
		CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE); /* peer silent for 300 ms */
		CU_ASSERT(has(&res, "though this node's kernel refuses part of its configuration"));
	}
}

/* Rule 4: no switchover to a peer whose kernel refuses part of its configuration, unless forced. */
static void test_ha_fsm_config_switchover(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm f;

	start_active(&f, &c);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK & ~(unsigned)HA_FLAG_CONFIG),
	     1100, &res);
	CU_ASSERT_EQUAL(ha_fsm_switchover(&f, false, 1150, &res), -EAGAIN);
	CU_ASSERT(has(&res, "switchover refused: peer lb-b's kernel refuses part of its "
			    "configuration (force it to step down anyway)"));
	CU_ASSERT_EQUAL(f.role, HA_ROLE_ACTIVE);
	CU_ASSERT_EQUAL(ha_fsm_switchover(&f, true, 1200, &res), 0);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT(has(&res, "(forced)"));
}

/*
 * The next deadline is always later than the machine's last input, so a
 * caller that sleeps until it never spins. A node in FAULT that still cannot
 * serve when its hold ends, and an active that fails with no healthy peer
 * when its repair time ends, wait for an input (health, the peer), not a time.
 */
static void test_ha_fsm_deadline_after_input(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm f;
	uint64_t t;

	/* FAULT from 5000 (link down), held until 8000, the link still down after */
	start_active(&f, &c);
	ha_fsm_health(&f, HA_FLAG_IPVS | HA_FLAG_LOOP | HA_FLAG_VIPS, 2000, &res);
	for (t = 1010; t <= 5000; t += 50)
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), t, &res);
	ha_fsm_tick(&f, 5000, &res);
	CU_ASSERT_EQUAL_FATAL(res.role, HA_ROLE_FAULT);
	for (t = 5010; t <= 8000; t += 50)
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 2, PEER_OK | HA_FLAG_VIPS), t,
		     &res);
	ha_fsm_tick(&f, 8000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_FAULT);
	CU_ASSERT(ha_fsm_deadline(&f) > 8000);
	for (t = 8040; t <= 8990; t += 50) {
		hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 2, PEER_OK | HA_FLAG_VIPS), t,
		     &res);
		CU_ASSERT(ha_fsm_deadline(&f) > t);
	}
	ha_fsm_health(&f, SERVES, 9000, &res); /* the link is back: out of FAULT at once */
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);

	/* An active failing since 2000 with a silent peer: its repair time ends at 5000 */
	start_active(&f, &c);
	ha_fsm_health(&f, HA_FLAG_IPVS | HA_FLAG_LOOP | HA_FLAG_VIPS, 2000, &res);
	CU_ASSERT_EQUAL(ha_fsm_deadline(&f), 5000);
	ha_fsm_tick(&f, 5000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT(has(&res, "staying active"));
	CU_ASSERT(ha_fsm_deadline(&f) > 5000);
	/* the peer comes back healthy: the input that lets it hand over */
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 6000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_FAULT);
}

static void test_ha_fsm_maintenance_active(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm f;

	start_active(&f, &c);
	ha_fsm_maintenance(&f, true, 1100, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT(has(&res, "in maintenance, but the peer was never heard: staying active"));
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 1200, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT_EQUAL(res.stepdown, HA_STEPDOWN_MAINTENANCE);
	CU_ASSERT(res.actions & HA_ACT_RELEASE_VIPS);
	CU_ASSERT(has(&res, "maintenance: peer lb-b takes over"));
	/* In maintenance it stays standby even when the peer dies. */
	ha_fsm_tick(&f, 5000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
}

static void test_ha_fsm_tiebreaker_lost(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, true);
	struct ha_fsm_result res;
	struct ha_fsm f;

	start_active(&f, &c);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 1010, &res);
	ha_fsm_health(&f, ACTIVE_OK, 1020, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT(has(&res, "this node reaches no tie-breaker, but peer lb-b reaches no "
			    "tie-breaker: staying active"));
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK | HA_FLAG_TIEBREAKER), 1060,
	     &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT_EQUAL(res.stepdown, HA_STEPDOWN_TIEBREAKER);
	CU_ASSERT(has(&res, "this node reaches no tie-breaker and peer lb-b does: stepping down"));
}

/*
 * A STEPDOWN makes a node with no tie-breaker take the role (rule 4), and
 * rule 8 gives it back in the same input: the result must not take the VIPs,
 * or a standby ends up holding them (and the sync master) beside the active.
 * The rig saw it when a recorded STEPDOWN reached a restarting standby.
 */
static void test_ha_fsm_take_then_step_down(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, true);
	struct ha_fsm_result res;
	struct ha_fsm f;

	/* a standby that lost its tie-breakers */
	start_standby(&f, &c);
	ha_fsm_health(&f, SERVES, 200, &res);
	hear(&f, from_b(HA_MSG_STEPDOWN, HA_ROLE_STANDBY, 4, PEER_OK | HA_FLAG_TIEBREAKER), 300,
	     &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT(has(&res, "this node reaches no tie-breaker and peer lb-b does: stepping down"));
	CU_ASSERT_EQUAL(res.actions & (HA_ACT_TAKE_VIPS | HA_ACT_ANNOUNCE_AGAIN), 0);
	CU_ASSERT(res.actions & HA_ACT_RELEASE_VIPS);
	CU_ASSERT(res.actions & HA_ACT_SEND_STEPDOWN);
	CU_ASSERT_EQUAL(res.stepdown, HA_STEPDOWN_TIEBREAKER);

	/* a starting node, whose tie-breakers have not answered yet */
	ha_fsm_init(&f, &c, 0, &res);
	ha_fsm_health(&f, SERVES, 0, &res);
	hear(&f, from_b(HA_MSG_STEPDOWN, HA_ROLE_STANDBY, 4, PEER_OK | HA_FLAG_TIEBREAKER), 20,
	     &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT_EQUAL(res.actions & (HA_ACT_TAKE_VIPS | HA_ACT_ANNOUNCE_AGAIN), 0);
}

/* Two actives after a partition: one rule, applied by both sides, keeps exactly one. */
static void test_ha_fsm_two_actives(void)
{
	static const struct {
		unsigned a_tb, b_tb, a_prio, b_prio;
		uint64_t a_term, b_term;
		const char *b_name;
		bool a_stays;
		const char *why;
	} cases[] = {
	    {1, 0, 100, 100, 1, 9, "lb-b", true, "this node reaches a tie-breaker and peer none"},
	    {0, 1, 100, 100, 9, 1, "lb-b", false, "peer reaches a tie-breaker and this node none"},
	    {1, 1, 100, 100, 6, 7, "lb-b", false,
	     "two actives: peer has term 7 > 6, stepping down"},
	    {0, 0, 100, 100, 8, 7, "lb-b", true, "peer has term 7 < 8"},
	    {1, 1, 100, 200, 7, 7, "lb-b", false, "equal terms 7, peer has priority 200 > 100"},
	    {1, 1, 100, 100, 7, 7, "lb-b", true, "name lb-a sorts before lb-b"},
	    {1, 1, 100, 100, 7, 7, "lb-0", false, "name lb-a sorts after lb-0"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ha_fsm_conf ca = conf_of("lb-a", cases[i].a_prio, true);
		struct ha_fsm_conf cb = conf_of(cases[i].b_name, cases[i].b_prio, true);
		struct ha_fsm_result ra, rb;
		struct ha_fsm a, b;
		struct ha_msg ma, mb;

		start_active(&a, &ca);
		start_active(&b, &cb);
		a.term = cases[i].a_term;
		b.term = cases[i].b_term;
		ha_fsm_health(&a, ACTIVE_OK | (cases[i].a_tb ? HA_FLAG_TIEBREAKER : 0), 2000, &ra);
		ha_fsm_health(&b, ACTIVE_OK | (cases[i].b_tb ? HA_FLAG_TIEBREAKER : 0), 2000, &rb);
		ha_fsm_msg_fill(&a, HA_MSG_HEARTBEAT, &ma);
		ha_fsm_msg_fill(&b, HA_MSG_HEARTBEAT, &mb);
		ma.seq = mb.seq = 1;
		ha_fsm_heard(&a, &mb, 2010, &ra);
		ha_fsm_heard(&b, &ma, 2010, &rb);
		CU_ASSERT_EQUAL(ra.role, cases[i].a_stays ? HA_ROLE_ACTIVE : HA_ROLE_STANDBY);
		CU_ASSERT_EQUAL(rb.role, cases[i].a_stays ? HA_ROLE_STANDBY : HA_ROLE_ACTIVE);
		CU_ASSERT(has(&ra, cases[i].why));
		if (cases[i].a_stays) {
			CU_ASSERT_EQUAL(ra.actions & ~HA_ACT_SEND_HEARTBEAT_NOW,
					HA_ACT_ANNOUNCE_AGAIN);
			CU_ASSERT(rb.actions & HA_ACT_RELEASE_VIPS);
		} else {
			CU_ASSERT(ra.actions & HA_ACT_RELEASE_VIPS);
			CU_ASSERT_EQUAL(rb.actions & ~HA_ACT_SEND_HEARTBEAT_NOW,
					HA_ACT_ANNOUNCE_AGAIN);
		}
		CU_ASSERT_EQUAL((ra.actions | rb.actions) & HA_ACT_SEND_STEPDOWN, 0);
	}
}

static void test_ha_fsm_announce_when_peer_releases(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm f;

	start_active(&f, &c);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK | HA_FLAG_VIPS), 1010, &res);
	CU_ASSERT_EQUAL(res.actions & HA_ACT_ANNOUNCE_AGAIN, 0);
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 1060, &res);
	CU_ASSERT(res.actions & HA_ACT_ANNOUNCE_AGAIN);
	CU_ASSERT(has(&res, "peer lb-b released the VIPs: announcing them again"));
	hear(&f, from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 1, PEER_OK), 1110, &res);
	CU_ASSERT_EQUAL(res.actions & HA_ACT_ANNOUNCE_AGAIN, 0);
}

static void test_ha_fsm_strangers_ignored(void)
{
	struct ha_fsm_conf c = conf_of("lb-b", 100, false);
	struct ha_fsm_result res;
	struct ha_msg m = from_b(HA_MSG_STEPDOWN, HA_ROLE_STANDBY, 1, PEER_OK);
	struct ha_fsm f;

	ha_fsm_init(&f, &c, 0, &res);
	ha_fsm_health(&f, SERVES, 0, &res);
	ha_fsm_heard(&f, &m, 10, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STARTING);
	CU_ASSERT(has(&res, "ignoring heartbeats of node lb-b: this node's own name"));
	m.seq++;
	ha_fsm_heard(&f, &m, 20, &res);
	CU_ASSERT_STRING_EQUAL(res.reason, "");

	c = conf_of("lb-a", 100, false);
	start_standby(&f, &c);
	strcpy(m.node, "lb-x");
	ha_fsm_heard(&f, &m, 150, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT(has(&res, "ignoring heartbeats of node lb-x: the peer is another node, alive"));
}

static void test_ha_fsm_stop(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_msg m;
	struct ha_fsm f, g;

	start_active(&f, &c);
	ha_fsm_stop(&f, 2000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT(res.actions & HA_ACT_RELEASE_VIPS);
	CU_ASSERT(res.actions & HA_ACT_SEND_STEPDOWN);
	CU_ASSERT_EQUAL(res.stepdown, HA_STEPDOWN_SHUTDOWN);
	ha_fsm_tick(&f, 100000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT_EQUAL(ha_fsm_deadline(&f), UINT64_MAX);

	/* The standby hears the goodbye: takes over at once, the peer counts as gone. */
	c = conf_of("lb-b", 100, false);
	ha_fsm_init(&g, &c, 0, &res);
	ha_fsm_health(&g, SERVES, 0, &res);
	ha_fsm_msg_fill(&f, HA_MSG_HEARTBEAT, &m);
	m.role = HA_ROLE_ACTIVE;
	ha_fsm_heard(&g, &m, 500, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	ha_fsm_msg_fill(&f, HA_MSG_STEPDOWN, &m);
	CU_ASSERT_EQUAL(m.reason, HA_STEPDOWN_SHUTDOWN);
	m.seq = 2;
	ha_fsm_heard(&g, &m, 600, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT(has(&res, "peer lb-a stepped down (shutdown)"));
	{
		struct ha_fsm_status st;

		ha_fsm_status(&g, &st);
		CU_ASSERT_EQUAL(st.peer.state, HA_PEER_DEAD);
		CU_ASSERT_STRING_EQUAL(ha_fsm_peer_state_name(st.peer.state), "dead");
	}
}

/* A message of lb-b that echoes epoch echo (this node's, conf.epoch 5, or an older one). */
static struct ha_msg echoing(struct ha_msg m, uint64_t echo)
{
	m.echo = echo;
	return m;
}

/* A STEPDOWN whose echo is not this node's epoch: refused, ignored if given; the current one is taken. */
static void test_ha_fsm_stale_echo_stepdown(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_msg sd = from_b(HA_MSG_STEPDOWN, HA_ROLE_STANDBY, 4, PEER_OK | HA_FLAG_YIELDING);
	struct ha_fsm_result res;
	struct ha_fsm f;

	c.epoch = 5;
	CU_ASSERT_EQUAL(ha_fsm_echo_check(&(struct ha_fsm){.conf = c}, &(struct ha_msg){0}),
			HA_PACKET_OK);
	ha_fsm_init(&f, &c, 0, &res);
	ha_fsm_health(&f, SERVES, 0, &res);
	hear(&f, echoing(from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 4, PEER_OK | HA_FLAG_VIPS), 5),
	     100, &res);
	CU_ASSERT_EQUAL_FATAL(res.role, HA_ROLE_STANDBY);
	/* a heartbeat with a stale echo is given to the machine: it proves the peer alive */
	CU_ASSERT_EQUAL(
	    ha_fsm_echo_check(&f, &(struct ha_msg){.type = HA_MSG_HEARTBEAT, .echo = 4}),
	    HA_PACKET_OK);
	CU_ASSERT_EQUAL(ha_fsm_echo_check(&f, &(struct ha_msg){.type = HA_MSG_STEPDOWN, .echo = 4}),
			HA_PACKET_STALE_ECHO);
	CU_ASSERT_EQUAL(ha_fsm_echo_check(&f, &(struct ha_msg){.type = HA_MSG_STEPDOWN, .echo = 0}),
			HA_PACKET_STALE_ECHO);
	CU_ASSERT_EQUAL(ha_fsm_echo_check(&f, &(struct ha_msg){.type = HA_MSG_STEPDOWN, .echo = 6}),
			HA_PACKET_STALE_ECHO);
	CU_ASSERT_EQUAL(ha_fsm_echo_check(&f, &(struct ha_msg){.type = HA_MSG_STEPDOWN, .echo = 5}),
			HA_PACKET_OK);
	CU_ASSERT_STRING_EQUAL(ha_packet_result_name(HA_PACKET_STALE_ECHO), "stale_echo");

	/* given anyway: ignored, no role change, the peer's state untouched */
	hear(&f, echoing(sd, 4), 150, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT_FALSE(res.changed);
	CU_ASSERT_EQUAL(res.actions & (HA_ACT_TAKE_VIPS | HA_ACT_SEND_STEPDOWN), 0);
	CU_ASSERT(has(&res, "ignoring a STEPDOWN of peer lb-b"));
	CU_ASSERT(has(&res, "it echoes epoch 4, not this node's 5"));
	CU_ASSERT_EQUAL(f.peer.role, HA_ROLE_ACTIVE);

	/* the same STEPDOWN with the current echo: taken over at once */
	sd.seq = ++peer_seq;
	hear(&f, echoing(sd, 5), 160, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT(res.actions & HA_ACT_TAKE_VIPS);
	CU_ASSERT(has(&res, "peer lb-b stepped down (switchover)"));
}

/*
 * After this node's restart (epoch 5), the peer's heartbeats still echo 4:
 * being told it is active makes this node STANDBY at once; its word that no
 * node is active moves nothing until it echoes 5 or ha_deadtime passed.
 */
static void test_ha_fsm_stale_echo_heartbeats(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 200, false);
	struct ha_fsm_result res;
	struct ha_fsm f;

	c.epoch = 5;
	/* active peer, stale echo: standby at once (nothing given up) */
	ha_fsm_init(&f, &c, 0, &res);
	ha_fsm_health(&f, SERVES, 0, &res);
	hear(&f, echoing(from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 4, PEER_OK | HA_FLAG_VIPS), 4),
	     100, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);

	/* the peer says it stepped down (standby, yielding), echo still stale: no takeover yet */
	hear(&f,
	     echoing(from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 4, PEER_OK | HA_FLAG_YIELDING), 4),
	     200, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT(has(&res, "peer lb-b has not echoed this node's epoch 5 for 100 ms"));
	CU_ASSERT_EQUAL(ha_fsm_deadline(&f), 100 + 300); /* the stale run began at 100 */
	hear(&f,
	     echoing(from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 4, PEER_OK | HA_FLAG_YIELDING), 4),
	     250, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT_STRING_EQUAL(res.reason, ""); /* said once */
	/* the fallback: stale for ha_deadtime, believed (a peer that cannot hear this node) */
	hear(&f,
	     echoing(from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 4, PEER_OK | HA_FLAG_YIELDING), 4),
	     350, &res);
	ha_fsm_tick(&f, 400, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT(has(&res, "no active node, peer lb-b is standby"));

	/* the same, but the peer hears this node's start: its first echo of 5 decides at once */
	ha_fsm_init(&f, &c, 0, &res);
	ha_fsm_health(&f, SERVES, 0, &res);
	hear(&f, echoing(from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 4, PEER_OK | HA_FLAG_VIPS), 4),
	     100, &res);
	hear(&f,
	     echoing(from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 4, PEER_OK | HA_FLAG_YIELDING), 4),
	     200, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	hear(&f,
	     echoing(from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 4, PEER_OK | HA_FLAG_YIELDING), 5),
	     210, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);

	/* starting, initdead over, a peer standby whose echo is stale: still starting */
	ha_fsm_init(&f, &c, 0, &res);
	ha_fsm_health(&f, SERVES, 0, &res);
	hear(&f, echoing(from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 4, PEER_OK), 4), 950, &res);
	ha_fsm_tick(&f, 1000, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STARTING);
	CU_ASSERT(has(&res, "initdead over, but peer lb-b has not echoed this node's epoch 5"));
	hear(&f, echoing(from_b(HA_MSG_HEARTBEAT, HA_ROLE_STANDBY, 4, PEER_OK), 5), 1010, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE); /* priority 200 > 100 */
}

/* Two actives, the peer's echo stale: no duel until it echoes this node's epoch. */
static void test_ha_fsm_stale_echo_two_actives(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_result res;
	struct ha_fsm f;

	c.epoch = 5;
	start_active(&f, &c); /* term 1 */
	hear(&f, echoing(from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 9, PEER_OK | HA_FLAG_VIPS), 4),
	     1100, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_ACTIVE);
	CU_ASSERT_EQUAL(res.actions & HA_ACT_RELEASE_VIPS, 0);
	CU_ASSERT(has(&res, "two actives, but peer lb-b has not echoed this node's epoch 5"));
	hear(&f, echoing(from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 9, PEER_OK | HA_FLAG_VIPS), 5),
	     1150, &res);
	CU_ASSERT_EQUAL(res.role, HA_ROLE_STANDBY);
	CU_ASSERT(has(&res, "two actives: peer has term 9 > 1, stepping down"));
}

static void test_ha_fsm_status(void)
{
	struct ha_fsm_conf c = conf_of("lb-a", 100, false);
	struct ha_fsm_status st;
	struct ha_fsm_result res;
	struct ha_msg m = from_b(HA_MSG_HEARTBEAT, HA_ROLE_ACTIVE, 4, PEER_OK | HA_FLAG_VIPS);
	struct ha_fsm f;

	m.revision = 42;
	ha_fsm_init(&f, &c, 0, &res);
	ha_fsm_health(&f, SERVES, 0, &res);
	ha_fsm_status(&f, &st);
	CU_ASSERT_EQUAL(st.peer.state, HA_PEER_UNKNOWN);
	ha_fsm_heard(&f, &m, 120, &res);
	ha_fsm_status(&f, &st);
	CU_ASSERT_EQUAL(st.role, HA_ROLE_STANDBY);
	CU_ASSERT_STRING_EQUAL(ha_fsm_role_name(st.role), "standby");
	CU_ASSERT_EQUAL(st.term, 4);
	CU_ASSERT_EQUAL(st.since, 120);
	CU_ASSERT_STRING_EQUAL(st.reason, "peer lb-b is active (term 4)");
	CU_ASSERT_EQUAL(st.flags, SERVES | HA_FLAG_ELIGIBLE | HA_FLAG_HEARS_PEER);
	CU_ASSERT_EQUAL(st.peer.state, HA_PEER_ALIVE);
	CU_ASSERT_STRING_EQUAL(st.peer.node, "lb-b");
	CU_ASSERT_EQUAL(st.peer.role, HA_ROLE_ACTIVE);
	CU_ASSERT_EQUAL(st.peer.term, 4);
	CU_ASSERT_EQUAL(st.peer.revision, 42);
	CU_ASSERT_EQUAL(st.peer.last_heard, 120);
	CU_ASSERT_EQUAL(st.peer.flags, PEER_OK | HA_FLAG_VIPS);
	CU_ASSERT_PTR_NULL(ha_fsm_role_name(0));
	CU_ASSERT_PTR_NULL(ha_fsm_role_name(HA_ROLE_LAST + 1));
}

UNIT_SUITE(ha_fsm)
{
	CU_pSuite s = CU_add_suite("ha_fsm", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "standalone does nothing", test_ha_fsm_standalone);
	CU_add_test(s, "start: peer silent through initdead: active",
		    test_ha_fsm_start_peer_silent);
	CU_add_test(s, "start: not eligible: fault or standby", test_ha_fsm_start_not_eligible);
	CU_add_test(s, "start: an active peer: standby, and it stays so",
		    test_ha_fsm_start_hears_active);
	CU_add_test(s, "start: no active: priority, then name", test_ha_fsm_start_tiebreak);
	CU_add_test(s, "standby: peer silent for deadtime: take over",
		    test_ha_fsm_standby_takes_over);
	CU_add_test(s, "standby: no tie-breaker or maintenance: stay",
		    test_ha_fsm_standby_needs_tiebreaker);
	CU_add_test(s, "STEPDOWN heard: take over if eligible", test_ha_fsm_stepdown_heard);
	CU_add_test(s, "a second goodbye is not the peer coming back", test_ha_fsm_goodbye_twice);
	CU_add_test(s, "switchover: active only, healthy peer unless forced",
		    test_ha_fsm_switchover);
	CU_add_test(s, "a failing active keeps the role from a peer without its revisions",
		    test_ha_fsm_failure_peer_behind);
	CU_add_test(s, "service failure: repair timeout, then hand over",
		    test_ha_fsm_service_failure);
	CU_add_test(s, "service failure: no healthy peer, stay active",
		    test_ha_fsm_failure_peer_unfit);
	CU_add_test(s, "configuration refused on the active: standby, no ping-pong",
		    test_ha_fsm_config_refused_active);
	CU_add_test(s, "configuration refused on both: the active stays, a standby takes over",
		    test_ha_fsm_config_refused_both);
	CU_add_test(s, "no active: the configuration flag before priority",
		    test_ha_fsm_config_tiebreak);
	CU_add_test(s, "switchover: refused to a peer lacking the configuration flag",
		    test_ha_fsm_config_switchover);
	CU_add_test(s, "the deadline is later than the last input",
		    test_ha_fsm_deadline_after_input);
	CU_add_test(s, "maintenance on the active", test_ha_fsm_maintenance_active);
	CU_add_test(s, "split brain: lost every tie-breaker", test_ha_fsm_tiebreaker_lost);
	CU_add_test(s, "taken and given back in one input: no VIPs",
		    test_ha_fsm_take_then_step_down);
	CU_add_test(s, "two actives: one rule on both sides", test_ha_fsm_two_actives);
	CU_add_test(s, "the peer releases the VIPs: announce again",
		    test_ha_fsm_announce_when_peer_releases);
	CU_add_test(s, "own name and strangers ignored", test_ha_fsm_strangers_ignored);
	CU_add_test(s, "stop: step down, the peer takes over at once", test_ha_fsm_stop);
	CU_add_test(s, "status for the pages", test_ha_fsm_status);
	CU_add_test(s, "a STEPDOWN with a stale echo is ignored, the current one taken",
		    test_ha_fsm_stale_echo_stepdown);
	CU_add_test(s, "stale echoes: standby at once, a takeover waits (ha_deadtime at most)",
		    test_ha_fsm_stale_echo_heartbeats);
	CU_add_test(s, "two actives: no duel on a stale echo", test_ha_fsm_stale_echo_two_actives);
	return CU_get_error();
}
