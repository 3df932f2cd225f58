/* Unit tests of FULCRUM-MIB's failover objects (mib/mib_ha.c, mib/mib_ha_set.c): reads from a status, the reject table, the commands' SETs and their answers. */
#include "controller/core/store.h"
#include "controller/ha/ha_packet.h"
#include "tests/unit/unit.h"
#include "tests/unit/unit_mib.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the daemon would say: the engine's status, the role history, and the engine's commands. */
struct fake {
	struct status_cluster c;
	struct status_role_change last;
	bool has_last;
	int cmd_rc; /* what asking returns */
	int asked;
	enum status_cluster_cmd cmd;
	bool flag;
	status_cluster_done_fn done;
	void *done_arg;
};

static void fake_cluster(void *arg, struct status_cluster *out)
{
	*out = ((struct fake *)arg)->c;
}

static int fake_history(void *arg, size_t max, struct status_role_change *out, size_t *n)
{
	struct fake *k = arg;

	*n = k->has_last && max > 0;
	if (*n)
		out[0] = k->last;
	return 0;
}

static int fake_cmd(void *arg, enum status_cluster_cmd cmd, bool flag, status_cluster_done_fn done,
		    void *done_arg)
{
	struct fake *k = arg;

	if (k->cmd_rc != 0)
		return k->cmd_rc;
	k->asked++;
	k->cmd = cmd;
	k->flag = flag;
	k->done = done;
	k->done_arg = done_arg;
	return 0;
}

/* The engine answers the last command asked. */
static void answer(struct fake *k, int rc, const char *reason)
{
	status_cluster_done_fn done = k->done;

	CU_ASSERT_PTR_NOT_NULL_FATAL(done);
	k->done = NULL;
	done(k->done_arg, rc, reason);
}

/* An active node of pair "pair1" whose standby peer lb-b was heard 20 ms ago. */
static void setup(struct unit_mib *f, struct fake *k)
{
	struct status_cluster *c = &k->c;

	unit_mib_setup(f);
	memset(k, 0, sizeof(*k));
	c->enabled = true;
	snprintf(c->node, sizeof(c->node), "lb-a");
	snprintf(c->cluster, sizeof(c->cluster), "pair1");
	c->role = STATUS_ROLE_ACTIVE;
	c->term = 7;
	c->flags = STATUS_HA_IPVS | STATUS_HA_VIPS | STATUS_HA_LOOP | STATUS_HA_CARRIER |
		   STATUS_HA_ELIGIBLE | STATUS_HA_HEARS_PEER;
	c->since = 1765000000123;
	snprintf(c->reason, sizeof(c->reason), "the engine's reason");
	snprintf(c->blocked, sizeof(c->blocked), "nothing much");
	c->peer.state = STATUS_PEER_ALIVE;
	snprintf(c->peer.name, sizeof(c->peer.name), "lb-b");
	snprintf(c->peer.addr, sizeof(c->peer.addr), "192.0.2.2:694");
	c->peer.role = STATUS_ROLE_STANDBY;
	c->peer.term = 7;
	c->peer.flags = STATUS_HA_MAINTENANCE;
	c->peer.last_heard = 1765000009950;
	c->peer.silent_ms = 20;
	c->npaths = 1;
	snprintf(c->paths[0].peer, sizeof(c->paths[0].peer), "192.0.2.2:694");
	c->sent = 5000000000ull; /* beyond 32 bits */
	c->send_errors = 2;
	c->role_changes = 3;
	for (int r = 0; r < HA_PACKET_RESULT_COUNT; r++) {
		c->received[r].name = ha_packet_result_name((enum ha_packet_result)r);
		c->received[r].n = (uint64_t)r * 10 + 1;
	}
	c->vips_held = 2;
	k->has_last = true;
	k->last = (struct status_role_change){.role = STATUS_ROLE_ACTIVE,
					      .previous = STATUS_ROLE_STANDBY,
					      .term = 7,
					      .at = 1765000000123};
	snprintf(k->last.reason, sizeof(k->last.reason),
		 "peer lb-b silent for 306 ms, last heard seq 436: taking the active role, term 7");
	f->m.p.cluster = fake_cluster;
	f->m.p.cluster_arg = k;
	f->m.p.role_history = fake_history;
	f->m.p.role_history_arg = k;
	f->m.p.cluster_cmd = fake_cmd;
	f->m.p.cluster_cmd_arg = k;
}

static long get_int(struct unit_mib *f, unsigned arc, unsigned sub)
{
	struct mib_value v;

	CU_ASSERT_EQUAL_FATAL(unit_mib_get(f, (oid[]){arc, sub, 0}, 3, &v), 0);
	return v.i;
}

static uint64_t get_c64(struct unit_mib *f, const oid *tail, size_t tlen)
{
	struct mib_value v;

	CU_ASSERT_EQUAL_FATAL(unit_mib_get(f, tail, tlen, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_COUNTER64);
	return ((uint64_t)v.c64.high << 32) | v.c64.low;
}

/* A string (or octets) as the MIB answers it, NUL-terminated in buf. */
static const char *get_str(struct unit_mib *f, const oid *tail, size_t tlen, char *buf)
{
	struct mib_value v;

	CU_ASSERT_EQUAL_FATAL(unit_mib_get(f, tail, tlen, &v), 0);
	CU_ASSERT_EQUAL_FATAL(v.type, ASN_OCTET_STR);
	memcpy(buf, v.s, v.len);
	buf[v.len] = '\0';
	return buf;
}

#define HA(sub) (oid[]){MIB_CLUSTER, (sub), 0}, 3

static void test_ha_reads(void)
{
	struct unit_mib f;
	struct fake k;
	struct mib_value v;
	char buf[300];

	setup(&f, &k);
	CU_ASSERT_EQUAL(get_int(&f, MIB_DIRECTOR, MIB_ROLE), 2);       /* active */
	CU_ASSERT_EQUAL(get_int(&f, MIB_DIRECTOR, MIB_PEER_STATE), 2); /* up */
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_TERM), 7);
	CU_ASSERT_STRING_EQUAL(get_str(&f, HA(HA_CLUSTER_NAME), buf), "pair1");
	/* BITS: ipvs(0) vips(1) loop(3) carrier(4) eligible(5), hearsPeer(8) */
	get_str(&f, HA(HA_FLAGS), buf);
	CU_ASSERT_EQUAL(memcmp(buf, "\xdc\x80", 2), 0);
	CU_ASSERT_EQUAL(unit_mib_get(&f, HA(HA_PEER_FLAGS), &v), 0);
	CU_ASSERT_EQUAL(v.len, 2);
	CU_ASSERT_EQUAL(v.s[0], 0x02); /* maintenance(6) */
	CU_ASSERT_EQUAL(v.s[1], 0);
	/* the last change from the role history: 2025-12-06 05:46:40.1 UTC */
	CU_ASSERT_EQUAL(unit_mib_get(&f, HA(HA_LAST_CHANGE), &v), 0);
	CU_ASSERT_EQUAL(v.len, 11);
	CU_ASSERT_EQUAL(memcmp(v.s, "\x07\xe9\x0c\x06\x05\x2e\x28\x01+", 9), 0);
	CU_ASSERT_STRING_EQUAL(get_str(&f, HA(HA_LAST_CHANGE_REASON), buf), k.last.reason);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PREVIOUS_ROLE), 3); /* standby */
	CU_ASSERT_STRING_EQUAL(get_str(&f, HA(HA_BLOCKED), buf), "nothing much");
	CU_ASSERT_STRING_EQUAL(get_str(&f, HA(HA_HEALTH), buf), "");
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_MAINTENANCE), 2); /* false */
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_SWITCHOVER), 1);  /* idle */
	CU_ASSERT_STRING_EQUAL(get_str(&f, HA(HA_PEER_NAME), buf), "lb-b");
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_ADDRESS_TYPE), 1);
	get_str(&f, HA(HA_PEER_ADDRESS), buf);
	CU_ASSERT_EQUAL(memcmp(buf, "\xc0\x00\x02\x02", 4), 0);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_PORT), 694);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_ROLE), 3);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_TERM), 7);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_SILENCE), 20);
	CU_ASSERT_EQUAL(unit_mib_get(&f, HA(HA_PEER_LAST_HEARD), &v), 0);
	CU_ASSERT_EQUAL(v.len, 11);
	CU_ASSERT_EQUAL(get_c64(&f, HA(HA_SENT)), 5000000000ull);
	CU_ASSERT_EQUAL(get_c64(&f, HA(HA_RECEIVED)), 1); /* "ok" */
	CU_ASSERT_EQUAL(get_c64(&f, HA(HA_SEND_ERRORS)), 2);
	CU_ASSERT_EQUAL(get_c64(&f, HA(HA_ROLE_CHANGES)), 3);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_VIPS_CONFIGURED), 2); /* the store's */
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_VIPS_HELD), 2);
	CU_ASSERT_EQUAL(unit_mib_get(&f, HA(HA_COUNTERS_SINCE), &v), 0);
	/* instances other than .0, and subs beyond the group */
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_CLUSTER, HA_TERM, 1}, 3, &v), -ENOENT);
	CU_ASSERT_EQUAL(unit_mib_get(&f, HA(MIB_CLUSTER_LAST + 1), &v), -ENOKEY);
	/* a term beyond Unsigned32 saturates */
	k.c.term = 1ull << 40;
	CU_ASSERT_EQUAL((unsigned long)get_int(&f, MIB_CLUSTER, HA_TERM), 0xffffffffUL);
	/* with no role history, the engine's own view of the last change */
	k.has_last = false;
	CU_ASSERT_STRING_EQUAL(get_str(&f, HA(HA_LAST_CHANGE_REASON), buf), "the engine's reason");
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PREVIOUS_ROLE), 6); /* unknown */
	unit_mib_teardown(&f);
}

/* A peer never heard, configured on IPv6: the configured address, unknown role, no silence. */
static void test_ha_reads_unheard_v6(void)
{
	struct unit_mib f;
	struct fake k;
	struct mib_value v;
	char buf[300];

	setup(&f, &k);
	memset(&k.c.peer, 0, sizeof(k.c.peer));
	k.c.role = STATUS_ROLE_FAULT;
	snprintf(k.c.health, sizeof(k.c.health), "IPVS unusable");
	snprintf(k.c.paths[0].peer, sizeof(k.c.paths[0].peer), "[2001:db8::2]:7694");
	CU_ASSERT_EQUAL(get_int(&f, MIB_DIRECTOR, MIB_ROLE), 5);       /* fault */
	CU_ASSERT_EQUAL(get_int(&f, MIB_DIRECTOR, MIB_PEER_STATE), 4); /* unknown */
	CU_ASSERT_STRING_EQUAL(get_str(&f, HA(HA_HEALTH), buf), "IPVS unusable");
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_ADDRESS_TYPE), 2);
	CU_ASSERT_EQUAL(unit_mib_get(&f, HA(HA_PEER_ADDRESS), &v), 0);
	CU_ASSERT_EQUAL(v.len, 16);
	CU_ASSERT_EQUAL(memcmp(v.s, "\x20\x01\x0d\xb8", 4), 0);
	CU_ASSERT_EQUAL(v.s[15], 2);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_PORT), 7694);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_ROLE), 6);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_SILENCE), 0);
	CU_ASSERT_EQUAL(unit_mib_get(&f, HA(HA_PEER_LAST_HEARD), &v), 0);
	CU_ASSERT_EQUAL(v.len, 8); /* never: zeros */
	CU_ASSERT_STRING_EQUAL(get_str(&f, HA(HA_PEER_NAME), buf), "");
	/* a peer address that does not parse reads as none */
	snprintf(k.c.paths[0].peer, sizeof(k.c.paths[0].peer), "nonsense");
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_ADDRESS_TYPE), 0);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_PORT), 0);
	unit_mib_teardown(&f);
}

/* No failover: standalone, no peer, an empty reject table; commands refused. */
static void test_ha_standalone(void)
{
	struct unit_mib f;
	struct mib_value v;
	struct unit_mib_pdu p = {0};
	int bad;

	unit_mib_setup(&f);
	CU_ASSERT_EQUAL(get_int(&f, MIB_DIRECTOR, MIB_ROLE), 1);
	CU_ASSERT_EQUAL(get_int(&f, MIB_DIRECTOR, MIB_PEER_STATE), 1);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_ROLE), 6);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, HA_PEER_ADDRESS_TYPE), 0);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_REJECT_TABLE, 1, REJECT_COUNT, 5}, 4, &v),
			-ENOENT);
	unit_mib_vb_int(&p, HA(HA_MAINTENANCE), 1);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTVALUE);
	CU_ASSERT_EQUAL(bad, 1);
	unit_mib_vb_int(&p, HA(HA_SWITCHOVER), HA_SWITCHOVER_FORCE);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTVALUE);
	unit_mib_teardown(&f);
}

/* fulcrumHaRejectTable: one row per dropped result, in the codec's order, walked in order. */
static void test_ha_reject_table(void)
{
	struct unit_mib f;
	struct fake k;
	oid name[MIB_OID_MAX], out[MIB_OID_MAX];
	size_t len, outlen, seen = 0;
	struct mib_value v;
	char buf[300];

	setup(&f, &k);
	CU_ASSERT_STRING_EQUAL(get_str(&f, (oid[]){MIB_REJECT_TABLE, 1, REJECT_NAME, 2}, 4, buf),
			       "bad_magic");
	CU_ASSERT_STRING_EQUAL(get_str(&f, (oid[]){MIB_REJECT_TABLE, 1, REJECT_NAME, 5}, 4, buf),
			       "forged");
	CU_ASSERT_EQUAL(get_c64(&f, (oid[]){MIB_REJECT_TABLE, 1, REJECT_COUNT, 5}, 4),
			HA_PACKET_FORGED * 10 + 1);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_REJECT_TABLE, 1, REJECT_COUNT, 0}, 4, &v),
			-ENOENT);
	CU_ASSERT_EQUAL(
	    unit_mib_get(&f, (oid[]){MIB_REJECT_TABLE, 1, REJECT_COUNT, HA_PACKET_RESULT_COUNT}, 4,
			 &v),
	    -ENOENT);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_REJECT_TABLE, 1, REJECT_REASON, 1}, 4, &v),
			-ENOKEY); /* the index is not-accessible */
	len = unit_mib_name(name, (oid[]){MIB_REJECT_TABLE}, 1);
	while (mib_read(&f.m, name, len, true, out, &outlen, &v) == 0) {
		size_t row = seen % (HA_PACKET_RESULT_COUNT - 1);

		CU_ASSERT_TRUE_FATAL(snmp_oid_compare(out, outlen, name, len) > 0);
		CU_ASSERT_EQUAL_FATAL(out[MIB_ROOT_LEN + 1], MIB_REJECT_TABLE);
		CU_ASSERT_EQUAL(out[MIB_ROOT_LEN + 3],
				seen < HA_PACKET_RESULT_COUNT - 1 ? REJECT_NAME : REJECT_COUNT);
		CU_ASSERT_EQUAL(out[outlen - 1], row + 1);
		memcpy(name, out, outlen * sizeof(*out));
		len = outlen;
		CU_ASSERT_FATAL(++seen < 100);
	}
	CU_ASSERT_EQUAL(seen, 2 * (HA_PACKET_RESULT_COUNT - 1)); /* the end of the MIB */
	CU_ASSERT_TRUE(unit_mib_walk(&f, true) > seen);
	unit_mib_teardown(&f);
}

/* "bad_magic" as the MIB spells its labels: "badMagic". */
static void camel(const char *in, char *out)
{
	for (; *in; in++)
		*out++ = *in == '_' ? (char)toupper((unsigned char)*++in) : *in;
	*out = '\0';
}

/* The labels of the enumeration or BITS after "name ::= TEXTUAL-CONVENTION" in the MIB text. */
static size_t mib_labels(const char *text, const char *name, char labels[][32], size_t max)
{
	char head[96];
	const char *p, *end;
	size_t n = 0;

	snprintf(head, sizeof(head), "%s ::= TEXTUAL-CONVENTION", name);
	p = strstr(text, head);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p = strchr(strstr(p, "SYNTAX"), '{');
	end = strchr(p, '}');
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	while (p < end && n < max) {
		char label[32];
		unsigned num;
		int used = 0;

		p += strspn(p, "{, \n");
		if (p >= end || sscanf(p, "%31[a-zA-Z](%u)%n", label, &num, &used) != 2)
			break;
		CU_ASSERT_EQUAL(num, (unsigned)n + (strcmp(name, "FulcrumHaFlags") ? 1 : 0));
		snprintf(labels[n++], sizeof(labels[0]), "%s", label);
		p += used;
	}
	return n;
}

/* The MIB text's enumerations are the engine's: drop reasons by number, flag bits by bit. */
static void test_ha_mib_text_matches(void)
{
	char path[1024], labels[32][32], want[32];
	FILE *fp;
	char *text;
	long len;
	size_t n;

	snprintf(path, sizeof(path), "%s/mib/FULCRUM-MIB.txt", FULCRUM_SRCDIR);
	fp = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)len + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(fread(text, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	n = mib_labels(text, "FulcrumHaDropReason", labels, 32);
	CU_ASSERT_EQUAL(n, HA_PACKET_RESULT_COUNT - 1);
	for (size_t i = 0; i < n; i++) {
		camel(ha_packet_result_name((enum ha_packet_result)(i + 1)), want);
		CU_ASSERT_STRING_EQUAL(labels[i], want);
	}
	n = mib_labels(text, "FulcrumReplicationState", labels, 32);
	CU_ASSERT_EQUAL(n, STATUS_REPL_REFUSED + 1);
	for (size_t i = 0; i < n; i++) {
		camel(status_repl_state_name((enum status_repl_state)i), want);
		CU_ASSERT_STRING_EQUAL(labels[i], want);
		CU_ASSERT_EQUAL(mib_repl_state((enum status_repl_state)i), (long)i + 1);
	}
	CU_ASSERT_EQUAL(mib_repl_state((enum status_repl_state)99), 1); /* off */
	n = mib_labels(text, "FulcrumHaFlags", labels, 32);
	CU_ASSERT_EQUAL(n, 10);
	for (size_t i = 0; i < n; i++) {
		camel(status_ha_flag_name(1u << i), want);
		CU_ASSERT_STRING_EQUAL(labels[i], want);
	}
	free(text);
}

/* The replication objects: an active whose standby lb-b is 3 revisions behind, after a mismatch. */
static void test_repl_reads(void)
{
	struct unit_mib f;
	struct fake k;
	struct mib_value v;
	struct status_repl *r = &k.c.repl;
	char buf[300];

	setup(&f, &k);
	r->state = STATUS_REPL_ALONE;
	snprintf(r->mode, sizeof(r->mode), "sync");
	snprintf(r->peer, sizeof(r->peer), "lb-b");
	r->revision = 12;
	r->peer_revision = 9;
	r->lag_revisions = 3;
	r->lag_ms = 1234.6;
	r->since = 1765000000123;
	snprintf(r->error, sizeof(r->error),
		 "the standby did not acknowledge within "
		 "repl_sync_timeout");
	r->digest_revision = 9;
	r->digest_equal = false;
	r->digest_at = 1765000009950;
	r->revisions_sent = 5000000000ull;
	r->revisions_applied = 4;
	r->snapshots_sent = 5;
	r->snapshots_taken = 6;
	r->connects = 7;
	r->refusals = 8;
	r->divergences = 9;
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, REPL_STATE), 6); /* alone */
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, REPL_MODE), 1);  /* sync */
	CU_ASSERT_STRING_EQUAL(get_str(&f, HA(REPL_PEER_NAME), buf), "lb-b");
	CU_ASSERT_EQUAL(get_c64(&f, HA(REPL_PEER_REVISION)), 9);
	CU_ASSERT_EQUAL(unit_mib_get(&f, HA(REPL_LAG_REVISIONS), &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_GAUGE);
	CU_ASSERT_EQUAL(v.i, 3);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, REPL_LAG_TIME), 1234);
	CU_ASSERT_EQUAL(unit_mib_get(&f, HA(REPL_LAST_CHANGE), &v), 0);
	CU_ASSERT_EQUAL(v.len, 11);
	CU_ASSERT_EQUAL(memcmp(v.s, "\x07\xe9\x0c\x06\x05\x2e\x28\x01+", 9), 0);
	CU_ASSERT_STRING_EQUAL(get_str(&f, HA(REPL_REASON), buf), r->error);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, REPL_DIGEST), 3); /* mismatch */
	CU_ASSERT_EQUAL(unit_mib_get(&f, HA(REPL_DIGEST_TIME), &v), 0);
	CU_ASSERT_EQUAL(v.len, 11);
	CU_ASSERT_EQUAL(get_c64(&f, HA(REPL_REVISIONS_SENT)), 5000000000ull);
	CU_ASSERT_EQUAL(get_c64(&f, HA(REPL_REVISIONS_APPLIED)), 4);
	CU_ASSERT_EQUAL(get_c64(&f, HA(REPL_SNAPSHOTS_SENT)), 5);
	CU_ASSERT_EQUAL(get_c64(&f, HA(REPL_SNAPSHOTS_TAKEN)), 6);
	CU_ASSERT_EQUAL(get_c64(&f, HA(REPL_CONNECTS)), 7);
	CU_ASSERT_EQUAL(get_c64(&f, HA(REPL_REFUSALS)), 8);
	CU_ASSERT_EQUAL(get_c64(&f, HA(REPL_DIVERGENCES)), 9);
	/* equal digests, async, a lag that went negative (a reconnect) reads 0 */
	r->digest_equal = true;
	snprintf(r->mode, sizeof(r->mode), "async");
	r->lag_revisions = -2;
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, REPL_DIGEST), 2);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, REPL_MODE), 2);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, REPL_LAG_REVISIONS), 0);
	/* never compared, never changed */
	r->digest_at = 0;
	r->since = 0;
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, REPL_DIGEST), 1); /* unknown */
	CU_ASSERT_EQUAL(unit_mib_get(&f, HA(REPL_LAST_CHANGE), &v), 0);
	CU_ASSERT_EQUAL(v.len, 8);
	unit_mib_teardown(&f);

	/* standalone: off, the last object of the group there, nothing after it in the group */
	unit_mib_setup(&f);
	CU_ASSERT_EQUAL(get_int(&f, MIB_CLUSTER, REPL_STATE), 1);
	CU_ASSERT_EQUAL(get_c64(&f, HA(REPL_DIVERGENCES)), 0);
	CU_ASSERT_EQUAL(unit_mib_get(&f, HA(REPL_DIVERGENCES + 1), &v), -ENOKEY);
	unit_mib_teardown(&f);
}

/* Runs the SET phases as the agent does, the engine asked in ACTION; 0 or the status. */
static int set_ha(struct unit_mib *f, struct unit_mib_pdu *p, int *bad_index)
{
	netsnmp_request_info *bad = NULL;
	int rc = mib_set_reserve(&f->m, p->req, &bad);

	if (rc == SNMP_ERR_NOERROR)
		rc = mib_set_check(&f->m, &bad);
	if (rc == SNMP_ERR_NOERROR)
		rc = mib_set_action(&f->m, &bad);
	if (rc == SNMP_ERR_NOERROR && f->m.set->ha) {
		rc = mib_ha_ask(&f->m, NULL);
		bad = f->m.set->ha->req;
	}
	mib_set_free(&f->m);
	*bad_index = rc == SNMP_ERR_NOERROR ? 0 : bad ? bad->index : -1;
	snmp_free_varbind(p->vars);
	memset(p, 0, sizeof(*p));
	return rc;
}

static void test_ha_set_refusals(void)
{
	struct unit_mib f;
	struct fake k;
	struct unit_mib_pdu p = {0};
	int bad;

	setup(&f, &k);
	unit_mib_vb_int(&p, HA(HA_SWITCHOVER), HA_SWITCHOVER_IDLE);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	unit_mib_vb_int(&p, HA(HA_SWITCHOVER), 4);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	unit_mib_vb_uns(&p, HA(HA_SWITCHOVER), 2);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_WRONGTYPE);
	unit_mib_vb_int(&p, HA(HA_MAINTENANCE), 3);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	unit_mib_vb_int(&p, HA(HA_TERM), 8);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_NOTWRITABLE);
	unit_mib_vb_int(&p, HA(REPL_STATE), 5);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_NOTWRITABLE);
	unit_mib_vb_int(&p, HA(MIB_CLUSTER_LAST + 1), 1);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_NOCREATION);
	unit_mib_vb_int(&p, (oid[]){MIB_CLUSTER, HA_MAINTENANCE, 1}, 3, 1);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_NOCREATION);
	unit_mib_vb_uns(&p, (oid[]){MIB_REJECT_TABLE, 1, REJECT_COUNT, 5}, 4, 0);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_NOTWRITABLE);
	/* one command per PDU: the second is at fault */
	unit_mib_vb_int(&p, HA(HA_MAINTENANCE), 1);
	unit_mib_vb_int(&p, HA(HA_SWITCHOVER), HA_SWITCHOVER_ASK);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_INCONSISTENTVALUE);
	CU_ASSERT_EQUAL(bad, 2);
	CU_ASSERT_EQUAL(k.asked, 0); /* none of them reached the engine */
	/* the engine cannot take it now (stopping): resourceUnavailable */
	k.cmd_rc = -ECANCELED;
	unit_mib_vb_int(&p, HA(HA_SWITCHOVER), HA_SWITCHOVER_ASK);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_RESOURCEUNAVAILABLE);
	CU_ASSERT_EQUAL(bad, 1);
	CU_ASSERT_PTR_NULL(f.m.tickets);
	unit_mib_teardown(&f);
}

/* The engine is asked for what the SET says, and its answer becomes the SET's status. */
static void test_ha_set_asks_the_engine(void)
{
	struct unit_mib f;
	struct fake k;
	struct unit_mib_pdu p = {0};
	int bad;

	setup(&f, &k);
	unit_mib_vb_int(&p, HA(HA_SWITCHOVER), HA_SWITCHOVER_ASK);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(k.asked, 1);
	CU_ASSERT_EQUAL(k.cmd, STATUS_CLUSTER_SWITCHOVER);
	CU_ASSERT_FALSE(k.flag);
	CU_ASSERT_PTR_NOT_NULL(f.m.tickets);
	answer(&k, -EAGAIN,
	       "switchover refused: peer lb-b is silent (force it to step down anyway)");
	CU_ASSERT_EQUAL(f.m.ha_answer.status, SNMP_ERR_INCONSISTENTVALUE);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.m.ha_answer.reason, "peer lb-b is silent"));
	CU_ASSERT_PTR_NULL(f.m.tickets);

	unit_mib_vb_int(&p, HA(HA_SWITCHOVER), HA_SWITCHOVER_FORCE);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_TRUE(k.flag);
	answer(&k, 0, "switchover requested by admin (forced)");
	CU_ASSERT_EQUAL(f.m.ha_answer.status, SNMP_ERR_NOERROR);

	unit_mib_vb_int(&p, HA(HA_SWITCHOVER), HA_SWITCHOVER_ASK);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_NOERROR);
	answer(&k, -EPERM, "switchover refused: this node is standby, ask the active node");
	CU_ASSERT_EQUAL(f.m.ha_answer.status, SNMP_ERR_INCONSISTENTVALUE);

	/* maintenance with a notification switch in the same PDU: the switch commits first */
	unit_mib_vb_int(&p, (oid[]){MIB_NOTIFYCTL, COMMAND_NOTIFY_PEER_STATE + 1, 0}, 3, 2);
	unit_mib_vb_int(&p, HA(HA_MAINTENANCE), 1);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(k.cmd, STATUS_CLUSTER_MAINTENANCE);
	CU_ASSERT_TRUE(k.flag);
	CU_ASSERT_FALSE(store_notify_enabled(f.st, COMMAND_NOTIFY_PEER_STATE));
	CU_ASSERT_EQUAL(get_int(&f, MIB_NOTIFYCTL, COMMAND_NOTIFY_PEER_STATE + 1), 2);
	answer(&k, 0, "maintenance on");
	CU_ASSERT_EQUAL(f.m.ha_answer.status, SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(k.asked, 4);
	/* fulcrumNotifyReplStateEnable (.6) is set as the others, alone in its PDU */
	CU_ASSERT_EQUAL(get_int(&f, MIB_NOTIFYCTL, COMMAND_NOTIFY_REPL_STATE + 1), 1);
	unit_mib_vb_int(&p, (oid[]){MIB_NOTIFYCTL, COMMAND_NOTIFY_REPL_STATE + 1, 0}, 3, 2);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_FALSE(store_notify_enabled(f.st, COMMAND_NOTIFY_REPL_STATE));
	CU_ASSERT_TRUE(store_notify_enabled(f.st, COMMAND_NOTIFY_RS_STATE));
	CU_ASSERT_EQUAL(get_int(&f, MIB_NOTIFYCTL, COMMAND_NOTIFY_REPL_STATE + 1), 2);
	CU_ASSERT_EQUAL(k.asked, 4); /* no failover command */
	unit_mib_teardown(&f);
}

/* A SET undone after the engine turned maintenance on: it is turned off again. */
static void test_ha_undo_puts_maintenance_back(void)
{
	struct unit_mib f;
	struct fake k;
	struct unit_mib_pdu p = {0};
	netsnmp_request_info *bad = NULL;

	setup(&f, &k);
	unit_mib_vb_int(&p, HA(HA_MAINTENANCE), 1);
	CU_ASSERT_EQUAL(mib_set_reserve(&f.m, p.req, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(mib_set_check(&f.m, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(mib_set_action(&f.m, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(mib_ha_ask(&f.m, NULL), SNMP_ERR_NOERROR);
	answer(&k, 0, "maintenance on");
	CU_ASSERT_TRUE(f.m.set->ha_done);
	mib_set_undo(&f.m); /* another subagent's part of the PDU failed */
	CU_ASSERT_EQUAL(k.asked, 2);
	CU_ASSERT_EQUAL(k.cmd, STATUS_CLUSTER_MAINTENANCE);
	CU_ASSERT_FALSE(k.flag); /* as it was */
	answer(&k, 0, "maintenance off");
	mib_set_free(&f.m);
	snmp_free_varbind(p.vars);
	memset(&p, 0, sizeof(p));
	/* a switchover cannot be undone: nothing is asked */
	unit_mib_vb_int(&p, HA(HA_SWITCHOVER), HA_SWITCHOVER_ASK);
	CU_ASSERT_EQUAL(mib_set_reserve(&f.m, p.req, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(mib_set_check(&f.m, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(mib_set_action(&f.m, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(mib_ha_ask(&f.m, NULL), SNMP_ERR_NOERROR);
	answer(&k, 0, "switchover requested by admin");
	mib_set_undo(&f.m);
	CU_ASSERT_EQUAL(k.asked, 3);
	mib_set_free(&f.m);
	snmp_free_varbind(p.vars);
	unit_mib_teardown(&f);
}

/* The subagent freed while the engine owes an answer: the answer later touches nothing freed. */
static void test_ha_close_leaves_answers_harmless(void)
{
	struct unit_mib f;
	struct fake k;
	struct unit_mib_pdu p = {0};
	int bad;

	setup(&f, &k);
	unit_mib_vb_int(&p, HA(HA_SWITCHOVER), HA_SWITCHOVER_ASK);
	CU_ASSERT_EQUAL(set_ha(&f, &p, &bad), SNMP_ERR_NOERROR);
	unit_mib_teardown(&f); /* mib_ha_close() */
	answer(&k, -ECANCELED, "fulcrumd stopped before the failover engine took the command");
}

UNIT_SUITE(mib_ha)
{
	CU_pSuite s = CU_add_suite("mib_ha", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "the cluster group's values", test_ha_reads);
	CU_add_test(s, "a peer never heard, on IPv6", test_ha_reads_unheard_v6);
	CU_add_test(s, "the replication objects", test_repl_reads);
	CU_add_test(s, "standalone: values, commands refused", test_ha_standalone);
	CU_add_test(s, "the reject table", test_ha_reject_table);
	CU_add_test(s, "the MIB text's enumerations are the engine's", test_ha_mib_text_matches);
	CU_add_test(s, "SETs refused before the engine", test_ha_set_refusals);
	CU_add_test(s, "SETs ask the engine, its answer is the status",
		    test_ha_set_asks_the_engine);
	CU_add_test(s, "an undo puts maintenance back", test_ha_undo_puts_maintenance_back);
	CU_add_test(s, "answers after the subagent is freed",
		    test_ha_close_leaves_answers_harmless);
	return CU_get_error();
}
