/* Unit tests of controller/reconcile/reconcile_stuck.c: when reconcile counts as failing, and how the failover engine is told why. */
#include "controller/reconcile/reconcile.h"
#include "controller/reconcile/reconcile_stuck.h"
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#define ERR STATUS_KERNEL_ERROR
#define OK  STATUS_KERNEL_IN_SYNC

/* One object's story: a refused write a pass then repairs is never stuck; a pass's refusal is. */
static void test_stuck_rule(void)
{
	bool s = false;

	/* a commit's write refused: the next pass retries it first */
	s = reconcile_stuck_next(s, ERR, true, false);
	CU_ASSERT_FALSE(s);
	/* the pass's retry succeeds: it never counted */
	s = reconcile_stuck_next(s, OK, false, true);
	CU_ASSERT_FALSE(s);
	/* refused again after a commit, and the pass's retry refused too: stuck */
	s = reconcile_stuck_next(s, ERR, true, false);
	s = reconcile_stuck_next(s, ERR, true, true);
	CU_ASSERT_TRUE(s);
	/* a later commit refused as well (a health change, an edit): still stuck, no flapping */
	s = reconcile_stuck_next(s, ERR, true, false);
	CU_ASSERT_TRUE(s);
	/* another pass, still refused */
	CU_ASSERT_TRUE(reconcile_stuck_next(s, ERR, true, true));
	/* a commit that fixes it (the service deleted, disabled, or given a scheduler the kernel has) */
	s = reconcile_stuck_next(s, OK, false, false);
	CU_ASSERT_FALSE(s);
	/* errors that are not the kernel's refusal never count: a configuration IPVS cannot
	   express, a real server whose service is not in the kernel (the service counts) */
	CU_ASSERT_FALSE(reconcile_stuck_next(false, ERR, false, true));
	CU_ASSERT_FALSE(reconcile_stuck_next(true, ERR, false, true));
	/* pending or unavailable clears it */
	CU_ASSERT_FALSE(reconcile_stuck_next(true, STATUS_KERNEL_PENDING, false, true));
	CU_ASSERT_FALSE(reconcile_stuck_next(true, STATUS_KERNEL_UNAVAILABLE, true, true));
}

static void test_usable_why(void)
{
	struct reconcile_totals t;
	char why[160], tiny[24];

	memset(&t, 0, sizeof(t));
	CU_ASSERT_TRUE(reconcile_usable(&t, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "");
	/* before the first full pass ends, what the kernel refuses is not known: not claimed */
	CU_ASSERT_FALSE(reconcile_complete(&t, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "not known yet: reconcile's first full pass has not ended");
	t.passes = 1;
	CU_ASSERT_TRUE(reconcile_complete(&t, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "");

	/* a refused object leaves IPVS usable: only the configuration flag goes down */
	t.stuck = 1;
	snprintf(
	    t.stuck_what, sizeof(t.stuck_what), "%s",
	    "service 'bad' (TCP 10.0.2.100:81): scheduler 'fo' is not available in this kernel");
	CU_ASSERT_TRUE(reconcile_usable(&t, why, sizeof(why)));
	CU_ASSERT_FALSE(reconcile_complete(&t, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(
	    why,
	    "service 'bad' (TCP 10.0.2.100:81): scheduler 'fo' is not available in this kernel");
	t.stuck = 3;
	CU_ASSERT_FALSE(reconcile_complete(&t, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "3 objects, first service 'bad' (TCP 10.0.2.100:81): scheduler "
				    "'fo' is not available in this kernel");
	/* a dump that fails is IPVS unusable */
	t.dump_failing = true;
	snprintf(t.dump_error, sizeof(t.dump_error), "permission denied: IPVS needs CAP_NET_ADMIN");
	CU_ASSERT_FALSE(reconcile_usable(&t, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "reconcile cannot read the kernel's services: permission "
				    "denied: IPVS needs CAP_NET_ADMIN");
	/* a short buffer is cut, not overrun */
	CU_ASSERT_FALSE(reconcile_usable(&t, tiny, sizeof(tiny)));
	CU_ASSERT_EQUAL(strlen(tiny), sizeof(tiny) - 1);
	CU_ASSERT_FALSE(reconcile_complete(&t, tiny, sizeof(tiny)));
	CU_ASSERT_EQUAL(strlen(tiny), sizeof(tiny) - 1);
}

UNIT_SUITE(reconcile_stuck)
{
	CU_pSuite s = CU_add_suite("reconcile_stuck", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "stuck only when a full pass could not repair it", test_stuck_rule);
	CU_add_test(s, "IPVS unusable, configuration refused: in words", test_usable_why);
	return CU_get_error();
}
