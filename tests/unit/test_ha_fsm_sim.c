/* A pair of controller/ha/ha_fsm.c machines over a simulated lossy link, time driven by hand. */
#include "controller/ha/ha_fsm.h"
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#define SERVES (HA_FLAG_IPVS | HA_FLAG_LOOP | HA_FLAG_CARRIER | HA_FLAG_CONFIG)

/* One director: its machine, what the caller would hold around it, and what happened. */
struct sim_node {
	struct ha_fsm f;
	unsigned health;
	uint64_t seq;
	uint64_t offset; /* its ticks come this many ms into each interval */
	bool alive;
	unsigned changes;
	uint64_t became_active; /* ms, the last time it took the active role */
};

struct sim {
	struct sim_node n[2];
	uint64_t rng;
	unsigned loss; /* per 10,000 messages */
	uint64_t sent, lost;
};

/* xorshift64: a fixed seed gives the same losses on every run and machine. */
static bool sim_lose(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng % 10000 < s->loss;
}

static void sim_apply(struct sim *s, int i, const struct ha_fsm_result *res, uint64_t now);

static void sim_send(struct sim *s, int from, enum ha_msg_type type, uint64_t now)
{
	struct sim_node *src = &s->n[from], *dst = &s->n[!from];
	struct ha_fsm_result res;
	struct ha_msg m = {.epoch = 1};

	if (!src->alive)
		return;
	ha_fsm_msg_fill(&src->f, type, &m);
	m.seq = ++src->seq;
	strcpy(m.cluster, "fulcrum");
	s->sent++;
	if (!dst->alive || sim_lose(s)) {
		s->lost++;
		return;
	}
	ha_fsm_heard(&dst->f, &m, now, &res);
	sim_apply(s, !from, &res, now);
}

/* Does what the heartbeat thread would: the VIPs, the messages, a new health report. */
static void sim_apply(struct sim *s, int i, const struct ha_fsm_result *res, uint64_t now)
{
	struct sim_node *me = &s->n[i];
	struct ha_fsm_result again;

	if (res->changed) {
		me->changes++;
		if (res->role == HA_ROLE_ACTIVE)
			me->became_active = now;
	}
	if (res->actions & HA_ACT_RELEASE_VIPS)
		me->health &= ~HA_FLAG_VIPS;
	if (res->actions & HA_ACT_SEND_STEPDOWN)
		sim_send(s, i, HA_MSG_STEPDOWN, now);
	if (res->actions & HA_ACT_TAKE_VIPS)
		me->health |= HA_FLAG_VIPS;
	if (res->actions & (HA_ACT_RELEASE_VIPS | HA_ACT_TAKE_VIPS)) {
		ha_fsm_health(&me->f, me->health, now, &again);
		sim_apply(s, i, &again, now);
	}
	if (res->actions & HA_ACT_SEND_HEARTBEAT_NOW)
		sim_send(s, i, HA_MSG_HEARTBEAT, now);
}

static void sim_init(struct sim *s, unsigned loss)
{
	static const char *const names[2] = {"lb-a", "lb-b"};

	memset(s, 0, sizeof(*s));
	s->rng = 0x9e3779b97f4a7c15ull;
	s->loss = loss;
	for (int i = 0; i < 2; i++) {
		struct ha_fsm_conf c = {
		    .priority = 100,
		    .interval = 50,
		    .deadtime = 300,
		    .initdead = 1000,
		    .repair_timeout = 3000,
		};
		struct ha_fsm_result res;

		snprintf(c.node, sizeof(c.node), "%s", names[i]);
		s->n[i].offset = i ? 17 : 0;
		s->n[i].alive = true;
		s->n[i].health = SERVES;
		ha_fsm_init(&s->n[i].f, &c, s->n[i].offset, &res);
		ha_fsm_health(&s->n[i].f, s->n[i].health, s->n[i].offset, &res);
	}
}

/* Interval k: each live node ticks, then sends its heartbeat, at its own offset. */
static void sim_interval(struct sim *s, uint64_t k)
{
	for (int i = 0; i < 2; i++) {
		uint64_t now = k * 50 + s->n[i].offset;
		struct ha_fsm_result res;

		if (!s->n[i].alive)
			continue;
		ha_fsm_tick(&s->n[i].f, now, &res);
		sim_apply(s, i, &res, now);
		sim_send(s, i, HA_MSG_HEARTBEAT, now);
	}
}

static int sim_actives(const struct sim *s)
{
	return (s->n[0].alive && s->n[0].f.role == HA_ROLE_ACTIVE) +
	       (s->n[1].alive && s->n[1].f.role == HA_ROLE_ACTIVE);
}

/* Both start together: exactly one becomes active (lb-a, the lower name), once. */
static void test_ha_fsm_sim_start(void)
{
	struct sim s;

	sim_init(&s, 0);
	for (uint64_t k = 0; k < 100; k++) {
		sim_interval(&s, k);
		CU_ASSERT(sim_actives(&s) <= 1);
	}
	CU_ASSERT_EQUAL(s.n[0].f.role, HA_ROLE_ACTIVE);
	CU_ASSERT_EQUAL(s.n[1].f.role, HA_ROLE_STANDBY);
	CU_ASSERT_EQUAL(s.n[0].changes, 1);
	CU_ASSERT_EQUAL(s.n[1].changes, 1);
	CU_ASSERT_EQUAL(s.n[0].became_active, 1000);
}

/* 1% of heartbeats lost, 100,000 intervals (83 minutes) at the default timers: no change. */
static void test_ha_fsm_sim_loss(void)
{
	struct sim s;

	sim_init(&s, 100);
	for (uint64_t k = 0; k < 100; k++)
		sim_interval(&s, k);
	CU_ASSERT_EQUAL_FATAL(sim_actives(&s), 1);
	s.n[0].changes = s.n[1].changes = 0;
	s.sent = s.lost = 0;
	for (uint64_t k = 100; k < 100100; k++)
		sim_interval(&s, k);
	CU_ASSERT_EQUAL(s.n[0].changes, 0);
	CU_ASSERT_EQUAL(s.n[1].changes, 0);
	CU_ASSERT_EQUAL(s.n[0].f.role, HA_ROLE_ACTIVE);
	CU_ASSERT(s.lost > s.sent / 200 && s.lost < s.sent / 50); /* about 1% indeed */
}

/* The active dies at any moment of an interval: the standby is active within deadtime + 50 ms. */
static void test_ha_fsm_sim_dead_active_replaced(void)
{
	for (uint64_t at = 0; at < 50; at += 7) { /* every 7 ms through the interval */
		struct sim s;
		uint64_t death = 0;

		sim_init(&s, 100);
		for (uint64_t k = 0; k < 400; k++) {
			if (k == 300) {
				/* Killed at ms at after its last heartbeat (k = 299), before the next. */
				s.n[0].alive = false;
				death = 299 * 50 + at;
			}
			sim_interval(&s, k);
		}
		CU_ASSERT_EQUAL(s.n[1].f.role, HA_ROLE_ACTIVE);
		CU_ASSERT(s.n[1].became_active > death);
		if (s.n[1].became_active - death > 300 + 50) {
			fprintf(stderr, "\n  killed at %llu, replaced at %llu",
				(unsigned long long)death,
				(unsigned long long)s.n[1].became_active);
			CU_FAIL("replaced later than deadtime + one interval");
		}
	}
}

/* An admin's switchover across the link: the roles swap once, then hold. */
static void test_ha_fsm_sim_switchover(void)
{
	struct ha_fsm_result res;
	struct sim s;

	sim_init(&s, 0);
	for (uint64_t k = 0; k < 100; k++)
		sim_interval(&s, k);
	CU_ASSERT_EQUAL(ha_fsm_switchover(&s.n[0].f, false, 100 * 50 + 5, &res), 0);
	sim_apply(&s, 0, &res, 100 * 50 + 5);
	CU_ASSERT_EQUAL(s.n[1].f.role, HA_ROLE_ACTIVE);
	for (uint64_t k = 100; k < 1000; k++) {
		sim_interval(&s, k);
		CU_ASSERT_EQUAL(sim_actives(&s), 1);
	}
	CU_ASSERT_EQUAL(s.n[0].f.role, HA_ROLE_STANDBY);
	CU_ASSERT_EQUAL(s.n[1].f.role, HA_ROLE_ACTIVE);
	CU_ASSERT_EQUAL(s.n[0].changes, 2);
	CU_ASSERT_EQUAL(s.n[1].changes, 2);
}

UNIT_SUITE(ha_fsm_sim)
{
	CU_pSuite s = CU_add_suite("ha_fsm_sim", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "both start: exactly one active", test_ha_fsm_sim_start);
	CU_add_test(s, "1% loss over 100,000 intervals: no role change", test_ha_fsm_sim_loss);
	CU_add_test(s, "a dead active is replaced within deadtime + one interval",
		    test_ha_fsm_sim_dead_active_replaced);
	CU_add_test(s, "switchover across the link", test_ha_fsm_sim_switchover);
	return CU_get_error();
}
