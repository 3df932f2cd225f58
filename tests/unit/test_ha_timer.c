/* Unit tests of controller/ha/ha_timer.c and the heartbeat's assembly (ha_path_msg()): cadence, periods, the defaults' arithmetic. */
#include "controller/ha/ha_engine-int.h"
#include "controller/ha/ha_timer.h"
#include "tests/unit/unit.h"

#include <string.h>

static void test_ha_timer_cadence(void)
{
	struct ha_timer_late l = {0};

	/* on time, a little late (cadence kept), a whole interval behind (no burst) */
	CU_ASSERT_EQUAL(ha_timer_next_send(1000000, 1000000, 50), 1050000);
	CU_ASSERT_EQUAL(ha_timer_next_send(1000000, 1003000, 50), 1050000);
	CU_ASSERT_EQUAL(ha_timer_next_send(1000000, 1200000, 50), 1250000);
	ha_timer_late_note(&l, 1000000, 1000400, 50);
	ha_timer_late_note(&l, 1050000, 1080000, 50); /* 30 ms: over half of 50 */
	ha_timer_late_note(&l, 1100000, 1100000, 50);
	CU_ASSERT_EQUAL(l.sends, 3);
	CU_ASSERT_EQUAL(l.over_half, 1);
	CU_ASSERT_DOUBLE_EQUAL(l.max_ms, 30.0, 1e-9);
}

static void test_ha_timer_periods(void)
{
	CU_ASSERT_EQUAL(ha_timer_refresh_ms(3), 1000);
	CU_ASSERT_EQUAL(ha_timer_refresh_ms(0), 0);
	CU_ASSERT_EQUAL(ha_timer_refresh_ms(86400), 28800000);
	/* the default dead time: three probes in 300 ms */
	CU_ASSERT_EQUAL(ha_timer_probe_ms(300, 3), 100);
	CU_ASSERT_EQUAL(ha_timer_probe_ms(30, 3), 10);
	CU_ASSERT_EQUAL(ha_timer_probe_ms(12, 3), 10);
	CU_ASSERT_TRUE(ha_timer_loop_alive(5000, 4000, 1000));
	CU_ASSERT_FALSE(ha_timer_loop_alive(5001, 4000, 1000));
	CU_ASSERT_TRUE(
	    ha_timer_loop_alive(3000, 4000, 1000)); /* bumped after the engine read now */
	/* a wake-up more than an interval late: this node was frozen */
	CU_ASSERT_FALSE(ha_timer_frozen(1000000, 1040000, 50));
	CU_ASSERT_FALSE(ha_timer_frozen(1000000, 1050000, 50));
	CU_ASSERT_TRUE(ha_timer_frozen(1000000, 1050001, 50));
	CU_ASSERT_FALSE(ha_timer_frozen(1000000, 900000, 50)); /* woken early by a datagram */
}

/*
 * The defaults (interval 50 ms, dead time 300 ms): a false failover needs the
 * 6 heartbeats of one dead time lost. docs/ha.md quotes these numbers.
 */
static void test_ha_timer_false_dead(void)
{
	double one_path_1 = ha_timer_false_dead(0.01, 1, 50, 300);
	double one_path_5 = ha_timer_false_dead(0.05, 1, 50, 300);
	double two_paths_5 = ha_timer_false_dead(0.05, 2, 50, 300);

	CU_ASSERT_DOUBLE_EQUAL(one_path_1, 1e-12, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(one_path_5, 1.5625e-8, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(two_paths_5, 2.44140625e-16, 1e-19);
	CU_ASSERT_DOUBLE_EQUAL(ha_timer_false_dead(0.5, 1, 100, 300), 0.125, 1e-12);
}

/* A heartbeat as ha_path_send() assembles it decodes to the machine's fields and the caller's. */
static void test_ha_timer_msg(void)
{
	static const char text[] = "auth 1\n1 hmac-sha256 0123456789abcdef0123\n";
	struct ha_keys *keys = NULL;
	struct ha_fsm f;
	struct ha_fsm_conf fc = {.node = "ldirector1",
				 .priority = 120,
				 .interval = 50,
				 .deadtime = 300,
				 .initdead = 1000,
				 .repair_timeout = 3000};
	struct ha_fsm_result res;
	struct ha_msg m;
	uint8_t buf[HA_PACKET_MAX];
	size_t len = 0;
	char err[128];

	CU_ASSERT_EQUAL_FATAL(ha_keys_parse(text, strlen(text), "t", &keys, err, sizeof(err)), 0);
	ha_fsm_init(&f, &fc, 0, &res);
	ha_fsm_health(&f, HA_FLAG_IPVS | HA_FLAG_LOOP | HA_FLAG_CARRIER, 0, &res);
	CU_ASSERT_EQUAL(ha_path_msg(&f, HA_MSG_HEARTBEAT, "pair", 1765000000000ull, 88120, -3,
				    1765000000123ull, keys, buf, sizeof(buf), &len),
			0);
	CU_ASSERT_EQUAL(len, HA_PACKET_MIN - 2 + 4 + 10);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "pair", &m), HA_PACKET_OK);
	CU_ASSERT_EQUAL(m.type, HA_MSG_HEARTBEAT);
	CU_ASSERT_EQUAL(m.role, HA_ROLE_STARTING);
	CU_ASSERT_EQUAL(m.priority, 120);
	CU_ASSERT_EQUAL(m.epoch, 1765000000000ull);
	CU_ASSERT_EQUAL(m.seq, 88120);
	CU_ASSERT_EQUAL(m.revision, -3);
	CU_ASSERT_EQUAL(m.echo, 1765000000123ull);
	CU_ASSERT_STRING_EQUAL(m.node, "ldirector1");
	CU_ASSERT_TRUE(m.flags & HA_FLAG_ELIGIBLE);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "other", &m), HA_PACKET_OTHER_CLUSTER);
	/* after stopping: a STEPDOWN that says why */
	ha_fsm_stop(&f, 10, &res);
	CU_ASSERT_EQUAL(
	    ha_path_msg(&f, HA_MSG_STEPDOWN, "pair", 1, 2, 0, 0, keys, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, NULL, &m), HA_PACKET_OK);
	CU_ASSERT_EQUAL(m.type, HA_MSG_STEPDOWN);
	CU_ASSERT_EQUAL(m.reason, HA_STEPDOWN_SHUTDOWN);
	ha_keys_free(keys);
}

UNIT_SUITE(ha_timer)
{
	CU_pSuite s = CU_add_suite("ha_timer", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "send cadence and lateness", test_ha_timer_cadence);
	CU_add_test(s, "refresh, probe and loop periods", test_ha_timer_periods);
	CU_add_test(s, "false failovers at the defaults", test_ha_timer_false_dead);
	CU_add_test(s, "a heartbeat assembled and decoded", test_ha_timer_msg);
	return CU_get_error();
}
