/* Unit tests of controller/ha/ha_replay.c: epochs, sequences, the second path's copies. */
#include "controller/ha/ha_replay.h"
#include "tests/unit/unit.h"

static void test_ha_replay_forward_only(void)
{
	struct ha_replay r;

	ha_replay_init(&r, 0, 0);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 5, 1), HA_PACKET_OK);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 5, 2), HA_PACKET_OK);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 5, 10), HA_PACKET_OK);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 5, 10), HA_PACKET_DUPLICATE);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 5, 2), HA_PACKET_DUPLICATE);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 5, 9), HA_PACKET_LATE);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 5, 9), HA_PACKET_LATE); /* still not accepted */
	CU_ASSERT_EQUAL(ha_replay_check(&r, 4, 1000), HA_PACKET_OLD_EPOCH);
	CU_ASSERT_EQUAL(ha_replay_epoch(&r), 5);
	CU_ASSERT_EQUAL(ha_replay_seq(&r), 10);
	/* The peer restarts: a new epoch, its sequence from the start. */
	CU_ASSERT_EQUAL(ha_replay_check(&r, 6, 1), HA_PACKET_OK);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 5, 11), HA_PACKET_OLD_EPOCH);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 6, 1), HA_PACKET_DUPLICATE);
	CU_ASSERT_EQUAL(ha_replay_epoch(&r), 6);
}

/* Copies seen within the last 64 are duplicates; older ones replays. */
static void test_ha_replay_window(void)
{
	struct ha_replay r;

	ha_replay_init(&r, 0, 0);
	for (uint64_t s = 1; s <= 200; s += 2)
		CU_ASSERT_EQUAL(ha_replay_check(&r, 1, s), HA_PACKET_OK);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 1, 199), HA_PACKET_DUPLICATE);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 1, 199 - 62), HA_PACKET_DUPLICATE);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 1, 199 - 63), HA_PACKET_LATE);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 1, 199 - 64), HA_PACKET_REPLAYED);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 1, 1), HA_PACKET_REPLAYED);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 1, 0), HA_PACKET_REPLAYED);
	/* A jump past the window forgets what it held. */
	CU_ASSERT_EQUAL(ha_replay_check(&r, 1, 1000), HA_PACKET_OK);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 1, 999), HA_PACKET_LATE);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 1, 199), HA_PACKET_REPLAYED);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 1, UINT64_MAX), HA_PACKET_OK);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 1, UINT64_MAX), HA_PACKET_DUPLICATE);
}

/* The receiver restarts with what it saved: old epochs stay refused. */
static void test_ha_replay_restored(void)
{
	struct ha_replay r, saved;

	ha_replay_init(&saved, 0, 0);
	CU_ASSERT_EQUAL(ha_replay_check(&saved, 41, 1), HA_PACKET_OK);
	CU_ASSERT_EQUAL(ha_replay_check(&saved, 42, 7), HA_PACKET_OK);

	ha_replay_init(&r, ha_replay_epoch(&saved), 0);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 41, 1), HA_PACKET_OLD_EPOCH);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 41, 99999), HA_PACKET_OLD_EPOCH);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 42, 8), HA_PACKET_OK); /* the live peer goes on */
	CU_ASSERT_EQUAL(ha_replay_check(&r, 42, 8), HA_PACKET_DUPLICATE);

	/* Saved with its seq: nothing at or below it, not even as a duplicate. */
	ha_replay_init(&r, ha_replay_epoch(&saved), ha_replay_seq(&saved));
	CU_ASSERT_EQUAL(ha_replay_check(&r, 42, 7), HA_PACKET_REPLAYED);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 42, 6), HA_PACKET_REPLAYED);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 42, 8), HA_PACKET_OK);
	CU_ASSERT_EQUAL(ha_replay_check(&r, 43, 1), HA_PACKET_OK);
}

UNIT_SUITE(ha_replay)
{
	CU_pSuite s = CU_add_suite("ha_replay", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "epoch and seq only move forward", test_ha_replay_forward_only);
	CU_add_test(s, "the 64-message window: duplicate, late, replayed", test_ha_replay_window);
	CU_add_test(s, "a restored window refuses old epochs", test_ha_replay_restored);
	return CU_get_error();
}
