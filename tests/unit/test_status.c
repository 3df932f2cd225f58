/* Unit tests of controller/core/status.c: which roles refuse writes, and the active's address they name. */
#include "controller/core/status.h"
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

static struct status_cluster pair(enum status_role role, enum status_peer_state peer_state,
				  enum status_role peer_role, const char *peer_addr)
{
	struct status_cluster c;

	memset(&c, 0, sizeof(c));
	c.enabled = true;
	c.role = role;
	c.peer.state = peer_state;
	c.peer.role = peer_role;
	snprintf(c.peer.addr, sizeof(c.peer.addr), "%s", peer_addr);
	c.npaths = 1;
	snprintf(c.paths[0].peer, sizeof(c.paths[0].peer), "%s", "192.0.2.20:694");
	return c;
}

static void test_status_writes_by_role(void)
{
	char why[96], active[64];
	struct status_cluster c;

	/* the active and a standalone node take writes, whatever they hear */
	c = pair(STATUS_ROLE_ACTIVE, STATUS_PEER_ALIVE, STATUS_ROLE_STANDBY, "192.0.2.2:694");
	CU_ASSERT_FALSE(status_writes_refused(&c, why, sizeof(why), active, sizeof(active)));
	CU_ASSERT_STRING_EQUAL(why, "");
	CU_ASSERT_STRING_EQUAL(active, "");
	memset(&c, 0, sizeof(c));
	c.role = STATUS_ROLE_STANDALONE;
	CU_ASSERT_FALSE(status_writes_refused(&c, why, sizeof(why), active, sizeof(active)));
	/* the standby refuses and names the active as its heartbeats come from, without the port */
	c = pair(STATUS_ROLE_STANDBY, STATUS_PEER_ALIVE, STATUS_ROLE_ACTIVE, "192.0.2.2:694");
	CU_ASSERT_TRUE(status_writes_refused(&c, why, sizeof(why), active, sizeof(active)));
	CU_ASSERT_STRING_EQUAL(why, "this director is standby");
	CU_ASSERT_STRING_EQUAL(active, "192.0.2.2");
	c = pair(STATUS_ROLE_STANDBY, STATUS_PEER_ALIVE, STATUS_ROLE_ACTIVE, "[2001:db8::2]:694");
	CU_ASSERT_TRUE(status_writes_refused(&c, why, sizeof(why), active, sizeof(active)));
	CU_ASSERT_STRING_EQUAL(active, "2001:db8::2");
	/* starting, the peer never heard: the configured ha_peer */
	c = pair(STATUS_ROLE_STARTING, STATUS_PEER_UNKNOWN, 0, "");
	CU_ASSERT_TRUE(status_writes_refused(&c, why, sizeof(why), active, sizeof(active)));
	CU_ASSERT_STRING_EQUAL(why, "this director is starting");
	CU_ASSERT_STRING_EQUAL(active, "192.0.2.20");
	c.npaths = 0;
	CU_ASSERT_TRUE(status_writes_refused(&c, why, sizeof(why), active, sizeof(active)));
	CU_ASSERT_STRING_EQUAL(active, "");
	/* fault: refused only while an alive peer is active */
	c = pair(STATUS_ROLE_FAULT, STATUS_PEER_ALIVE, STATUS_ROLE_ACTIVE, "192.0.2.2:694");
	CU_ASSERT_TRUE(status_writes_refused(&c, why, sizeof(why), active, sizeof(active)));
	CU_ASSERT_STRING_EQUAL(why, "this director is fault");
	CU_ASSERT_STRING_EQUAL(active, "192.0.2.2");
	c = pair(STATUS_ROLE_FAULT, STATUS_PEER_ALIVE, STATUS_ROLE_FAULT, "192.0.2.2:694");
	CU_ASSERT_FALSE(status_writes_refused(&c, why, sizeof(why), active, sizeof(active)));
	c = pair(STATUS_ROLE_FAULT, STATUS_PEER_ALIVE, STATUS_ROLE_STANDBY, "192.0.2.2:694");
	CU_ASSERT_FALSE(status_writes_refused(&c, why, sizeof(why), active, sizeof(active)));
	c = pair(STATUS_ROLE_FAULT, STATUS_PEER_DEAD, STATUS_ROLE_ACTIVE, "192.0.2.2:694");
	CU_ASSERT_FALSE(status_writes_refused(&c, why, sizeof(why), active, sizeof(active)));
}

/*
 * A switchover that is not forced hands over only to a standby holding every
 * revision; the refusal says how far behind it is, or what replication says.
 */
static void test_status_repl_hand_over(void)
{
	struct status_repl r = {.state = STATUS_REPL_IN_SYNC};
	char why[256];

	snprintf(r.peer, sizeof(r.peer), "lb-b");
	CU_ASSERT_TRUE(status_repl_may_hand_over(&r, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "");
	r.lag_revisions = 3; /* in sync a moment ago, three revisions unacknowledged now */
	CU_ASSERT_FALSE(status_repl_may_hand_over(&r, why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "lb-b is not in sync (in_sync, 3 revisions behind)"));
	r.state = STATUS_REPL_CATCHING_UP;
	r.lag_revisions = 1;
	CU_ASSERT_FALSE(status_repl_may_hand_over(&r, why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "(catching_up, 1 revision behind)"));
	r.state = STATUS_REPL_WAITING;
	snprintf(r.error, sizeof(r.error), "the peer is silent");
	CU_ASSERT_FALSE(status_repl_may_hand_over(&r, why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "(replication waiting: the peer is silent)"));
	r.state = STATUS_REPL_OFF; /* standalone: not this rule's to refuse */
	CU_ASSERT_TRUE(status_repl_may_hand_over(&r, why, sizeof(why)));
}

/* Which replication changes operators hear of: into alone, diverged, refused once each, and back to in_sync. */
static void test_status_repl_notable(void)
{
	/* an active's write: in_sync -> catching_up -> in_sync, none told */
	CU_ASSERT_FALSE(status_repl_notable(STATUS_REPL_OFF, STATUS_REPL_WAITING));
	CU_ASSERT_FALSE(status_repl_notable(STATUS_REPL_OFF, STATUS_REPL_CATCHING_UP));
	CU_ASSERT_FALSE(status_repl_notable(STATUS_REPL_OFF, STATUS_REPL_IN_SYNC));
	CU_ASSERT_FALSE(status_repl_notable(STATUS_REPL_IN_SYNC, STATUS_REPL_SNAPSHOT));
	CU_ASSERT_FALSE(status_repl_notable(STATUS_REPL_IN_SYNC, STATUS_REPL_IN_SYNC));
	/* trouble, told once */
	CU_ASSERT_TRUE(status_repl_notable(STATUS_REPL_OFF, STATUS_REPL_ALONE));
	CU_ASSERT_TRUE(status_repl_notable(STATUS_REPL_IN_SYNC, STATUS_REPL_DIVERGED));
	CU_ASSERT_TRUE(status_repl_notable(STATUS_REPL_IN_SYNC, STATUS_REPL_REFUSED));
	CU_ASSERT_FALSE(status_repl_notable(STATUS_REPL_REFUSED, STATUS_REPL_REFUSED));
	CU_ASSERT_TRUE(status_repl_notable(STATUS_REPL_ALONE, STATUS_REPL_DIVERGED));
	/* the steps after it are not, the all-clear is, whatever came between */
	CU_ASSERT_FALSE(status_repl_notable(STATUS_REPL_ALONE, STATUS_REPL_WAITING));
	CU_ASSERT_FALSE(status_repl_notable(STATUS_REPL_DIVERGED, STATUS_REPL_SNAPSHOT));
	CU_ASSERT_TRUE(status_repl_notable(STATUS_REPL_ALONE, STATUS_REPL_IN_SYNC));
	CU_ASSERT_TRUE(status_repl_notable(STATUS_REPL_DIVERGED, STATUS_REPL_IN_SYNC));
	CU_ASSERT_TRUE(status_repl_notable(STATUS_REPL_REFUSED, STATUS_REPL_IN_SYNC));
	CU_ASSERT_FALSE(status_repl_notable(STATUS_REPL_ALONE, STATUS_REPL_OFF));
}

UNIT_SUITE(status)
{
	CU_pSuite s = CU_add_suite("status", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "writes refused by role, the active named", test_status_writes_by_role);
	CU_add_test(s, "a switchover hands over only to a standby in sync",
		    test_status_repl_hand_over);
	CU_add_test(s, "replication changes told to operators", test_status_repl_notable);
	return CU_get_error();
}
