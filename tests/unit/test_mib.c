/* Unit tests of mib/: the FULCRUM-MIB handlers on an in-memory model, OID/value pairs and order. */
#include "controller/core/ackwait.h"
#include "controller/core/store.h"
#include "controller/model/model.h"
#include "mib/mib-set.h"
#include "tests/unit/unit.h"
#include "tests/unit/unit_mib.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const oid root[] = {FULCRUM_MIB_ROOT_OID};
static const struct command_actor admin = {"admin", FULCRUM_ORIGIN_HTTP};

/* Every instance once, in strictly increasing order: scalars, then each column of each table. */
static void test_walk_order_and_count(void)
{
	struct unit_mib f;
	/* standalone: the cluster group's scalars are there, the reject table is empty */
	size_t scalars = MIB_DIRECTOR_LAST + COMMAND_NOTIFY_COUNT + MIB_CLUSTER_LAST;

	unit_mib_setup(&f);
	CU_ASSERT_EQUAL(unit_mib_walk(&f, true), scalars + 3 * (VS_LAST - 1) + 3 * (RS_LAST - 1) +
						     3 * 1 + 2 * (VIP_LAST - 1));
	unit_mib_teardown(&f);
}

static void test_values(void)
{
	struct unit_mib f;
	struct mib_value v;

	unit_mib_setup(&f);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_VS_TABLE, 1, VS_NAME, (oid)f.web}, 4, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_OCTET_STR);
	CU_ASSERT_TRUE(v.len == 3 && memcmp(v.s, "web", 3) == 0);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_VS_TABLE, 1, VS_ADDRESS, (oid)f.a}, 4, &v), 0);
	CU_ASSERT_EQUAL(v.len, 16);
	CU_ASSERT_EQUAL(
	    unit_mib_get(&f, (oid[]){MIB_VS_TABLE, 1, VS_ADDRESS_TYPE, (oid)f.a}, 4, &v), 0);
	CU_ASSERT_EQUAL(v.i, 2); /* ipv6 */
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_VS_TABLE, 1, VS_PROTOCOL, (oid)f.web}, 4, &v),
			0);
	CU_ASSERT_EQUAL(v.i, 6); /* tcp, by its IP protocol number */
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_VS_TABLE, 1, VS_SCHEDULER, (oid)f.web}, 4, &v),
			0);
	CU_ASSERT_EQUAL(v.i, 4); /* wlc */
	CU_ASSERT_EQUAL(
	    unit_mib_get(&f, (oid[]){MIB_VS_TABLE, 1, VS_REALS_TOTAL, (oid)f.web}, 4, &v), 0);
	CU_ASSERT_EQUAL(v.i, 2);
	CU_ASSERT_EQUAL(
	    unit_mib_get(&f, (oid[]){MIB_VS_TABLE, 1, VS_ACTIVE_CONNS, (oid)f.web}, 4, &v), 0);
	CU_ASSERT_EQUAL(v.i, 4); /* 2 + 2 from its two real servers */
	CU_ASSERT_EQUAL(
	    unit_mib_get(&f, (oid[]){MIB_RS_TABLE, 1, RS_WEIGHT, (oid)f.web, (oid)f.r1}, 5, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_UNSIGNED);
	CU_ASSERT_EQUAL(v.i, 3);
	CU_ASSERT_EQUAL(
	    unit_mib_get(&f, (oid[]){MIB_RS_TABLE, 1, RS_IN_BYTES, (oid)f.web, (oid)f.r1}, 5, &v),
	    0);
	CU_ASSERT_EQUAL(v.type, ASN_COUNTER64);
	CU_ASSERT_EQUAL(((uint64_t)v.c64.high << 32) | v.c64.low, 5000000000ull);
	CU_ASSERT_EQUAL(
	    unit_mib_get(&f, (oid[]){MIB_RS_TABLE, 1, RS_OPER_STATE, (oid)f.web, (oid)f.r1}, 5, &v),
	    0);
	CU_ASSERT_EQUAL(v.i, 1); /* up: in sync and enabled */
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_DIRECTOR, MIB_VS_NEXT_ID, 0}, 3, &v), 0);
	CU_ASSERT_EQUAL(v.i, (long)f.long_name + 1);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_DIRECTOR, MIB_CONFIG_REVISION, 0}, 3, &v), 0);
	CU_ASSERT_EQUAL(v.c64.low, (u_long)store_revision(f.st));
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_NOTIFYCTL, 3, 0}, 3, &v), 0);
	CU_ASSERT_EQUAL(v.i, 1); /* true: notifications on by default */
	unit_mib_teardown(&f);
}

/* The name table: the index is the name (length first), the value the service's id. */
static void test_name_table(void)
{
	struct unit_mib f;
	oid name[MIB_OID_MAX], out[MIB_OID_MAX];
	size_t len, outlen;
	struct mib_value v;

	unit_mib_setup(&f);
	CU_ASSERT_EQUAL(
	    unit_mib_get(&f, (oid[]){MIB_NAME_TABLE, 1, NAME_ID, 3, 'w', 'e', 'b'}, 7, &v), 0);
	CU_ASSERT_EQUAL(v.i, (long)f.web);
	CU_ASSERT_EQUAL(
	    unit_mib_get(&f, (oid[]){MIB_NAME_TABLE, 1, NAME_ID, 3, 'w', 'e', 'x'}, 7, &v),
	    -ENOENT);
	/* order: "a" (1), "web" (3), "zz-long" (7) */
	len = unit_mib_name(name, (oid[]){MIB_NAME_TABLE, 1, NAME_ID}, 3);
	CU_ASSERT_EQUAL(mib_read(&f.m, name, len, true, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.i, (long)f.a);
	CU_ASSERT_EQUAL(mib_read(&f.m, out, outlen, true, name, &len, &v), 0);
	CU_ASSERT_EQUAL(v.i, (long)f.web);
	CU_ASSERT_EQUAL(mib_read(&f.m, name, len, true, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.i, (long)f.long_name);
	/* after the last name: the next table's (the VIPs') first instance */
	CU_ASSERT_EQUAL(mib_read(&f.m, out, outlen, true, name, &len, &v), 0);
	CU_ASSERT_EQUAL(name[MIB_ROOT_LEN + 1], MIB_VIP_TABLE);
	CU_ASSERT_EQUAL(name[MIB_ROOT_LEN + 3], VIP_ADDRESS_TYPE);
	CU_ASSERT_EQUAL(name[len - 1], (oid)f.v4);
	unit_mib_teardown(&f);
}

/* noSuchObject for what the MIB lacks, noSuchInstance for what it has but not there. */
static void test_missing(void)
{
	struct unit_mib f;
	struct mib_value v;

	unit_mib_setup(&f);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_VS_TABLE, 1, VS_NAME, 999}, 4, &v), -ENOENT);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_VS_TABLE, 1, 99, (oid)f.web}, 4, &v), -ENOKEY);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_VS_TABLE, 1, VS_ID, (oid)f.web}, 4, &v),
			-ENOKEY);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_DIRECTOR, MIB_NODE_NAME, 1}, 3, &v), -ENOENT);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_DIRECTOR, 99, 0}, 3, &v), -ENOKEY);
	CU_ASSERT_EQUAL(
	    unit_mib_get(&f, (oid[]){MIB_RS_TABLE, 1, RS_WEIGHT, (oid)f.a, (oid)f.r1}, 5, &v),
	    -ENOENT); /* r1 is not in service a */
	unit_mib_teardown(&f);
}

/* GETNEXT from names between instances, before the root, and after the end. */
static void test_next_between(void)
{
	struct unit_mib f;
	oid name[MIB_OID_MAX], out[MIB_OID_MAX];
	size_t len, outlen;
	struct mib_value v;

	unit_mib_setup(&f);
	len = unit_mib_name(name, (oid[]){MIB_VS_TABLE, 1, VS_NAME, (oid)f.web, 5, 6}, 6);
	CU_ASSERT_EQUAL(mib_read(&f.m, name, len, true, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[outlen - 1], (oid)f.a);
	CU_ASSERT_EQUAL(out[outlen - 2], VS_NAME);
	/* past the last row of a column: the first row of the next one */
	len = unit_mib_name(name, (oid[]){MIB_VS_TABLE, 1, VS_NAME, 4000000000u}, 4);
	CU_ASSERT_EQUAL(mib_read(&f.m, name, len, true, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[outlen - 2], VS_FAMILY);
	CU_ASSERT_EQUAL(out[outlen - 1], (oid)f.web);
	/* before the MIB: its first scalar */
	CU_ASSERT_EQUAL(mib_read(&f.m, (oid[]){1, 3}, 2, true, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(outlen, MIB_ROOT_LEN + 4);
	CU_ASSERT_EQUAL(out[MIB_ROOT_LEN + 2], MIB_NODE_NAME);
	/* from a scalar: the next scalar of its group */
	len = unit_mib_name(name, (oid[]){MIB_DIRECTOR, MIB_CONFIG_REVISION, 0}, 3);
	CU_ASSERT_EQUAL(mib_read(&f.m, name, len, true, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[MIB_ROOT_LEN + 2], MIB_CONFIG_LAST_CHANGE);
	/* past a table's entry (R.1.3.2): the next table's first instance */
	len = unit_mib_name(name, (oid[]){MIB_VS_TABLE, 2}, 2);
	CU_ASSERT_EQUAL(mib_read(&f.m, name, len, true, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[MIB_ROOT_LEN + 1], MIB_RS_TABLE);
	CU_ASSERT_EQUAL(out[MIB_ROOT_LEN + 3], RS_ADDRESS_TYPE);
	CU_ASSERT_EQUAL(out[outlen - 1], (oid)f.r1);
	/* after everything */
	len = unit_mib_name(name, (oid[]){MIB_LAST_ARC + 1}, 1);
	CU_ASSERT_EQUAL(mib_read(&f.m, name, len, true, out, &outlen, &v), -ENOENT);
	unit_mib_teardown(&f);
}

/* Rows added and removed during a walk: it never repeats or goes back, and it ends. */
static void test_walk_while_changing(void)
{
	struct unit_mib f;
	oid cur[MIB_OID_MAX], out[MIB_OID_MAX];
	size_t len = MIB_ROOT_LEN, outlen, n = 0;
	struct mib_value v;
	char name[32];

	unit_mib_setup(&f);
	memcpy(cur, root, sizeof(root));
	while (mib_read(&f.m, cur, len, true, out, &outlen, &v) == 0) {
		CU_ASSERT_TRUE_FATAL(snmp_oid_compare(out, outlen, cur, len) > 0);
		memcpy(cur, out, outlen * sizeof(*out));
		len = outlen;
		if (++n % 7 == 0) {
			char addr[32];

			snprintf(name, sizeof(name), "s%zu", n);
			snprintf(addr, sizeof(addr), "198.51.100.%zu", (n / 7) % 250 + 1);
			unit_mib_add_vs(&f, name, addr);
			if (n % 14 == 0)
				CU_ASSERT_EQUAL(store_vs_delete(f.st, &admin,
								store_vs_all(f.st, &outlen)[1]->id,
								0, NULL, NULL),
						0);
		}
		CU_ASSERT_TRUE_FATAL(n < 100000);
	}
	unit_mib_teardown(&f);
}

#define VS(col, id)     (oid[]){MIB_VS_TABLE, 1, (col), (oid)(id)}, 4
#define RS(col, vs, id) (oid[]){MIB_RS_TABLE, 1, (col), (oid)(vs), (oid)(id)}, 5

/* createAndGo of a service and a real server in one PDU: one revision, origin snmp. */
static void test_set_create(void)
{
	static const u_char ip[4] = {192, 0, 2, 9}, rip[4] = {10, 0, 0, 9};
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	int64_t vs_id, rs_id, rev;
	const struct fulcrum_rs_stored *rs;
	struct fulcrum_change *c = NULL;
	size_t n = 0;
	int bad;

	unit_mib_setup(&f);
	vs_id = store_vs_next_id(f.st);
	rs_id = store_rs_next_id(f.st);
	rev = store_revision(f.st);
	unit_mib_vb_int(&p, VS(VS_ROW_STATUS, vs_id), ROWSTATUS_CREATE_AND_GO);
	unit_mib_vb_str(&p, VS(VS_NAME, vs_id), "mail", 4);
	unit_mib_vb_int(&p, VS(VS_ADDRESS_TYPE, vs_id), 1);
	unit_mib_vb_str(&p, VS(VS_ADDRESS, vs_id), ip, 4);
	unit_mib_vb_uns(&p, VS(VS_PORT, vs_id), 25);
	unit_mib_vb_int(&p, VS(VS_PROTOCOL, vs_id), 6);
	unit_mib_vb_int(&p, RS(RS_ROW_STATUS, vs_id, rs_id), ROWSTATUS_CREATE_AND_GO);
	unit_mib_vb_int(&p, RS(RS_ADDRESS_TYPE, vs_id, rs_id), 1);
	unit_mib_vb_str(&p, RS(RS_ADDRESS, vs_id, rs_id), rip, 4);
	unit_mib_vb_uns(&p, RS(RS_PORT, vs_id, rs_id), 25);
	unit_mib_vb_uns(&p, RS(RS_WEIGHT, vs_id, rs_id), 9);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(store_vs_get(f.st, vs_id));
	CU_ASSERT_STRING_EQUAL(store_vs_get(f.st, vs_id)->name, "mail");
	CU_ASSERT_EQUAL(store_vs_get(f.st, vs_id)->port, 25);
	rs = store_rs_get(f.st, rs_id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	CU_ASSERT_EQUAL(rs->vs_id, vs_id);
	CU_ASSERT_EQUAL(rs->weight, 9);
	CU_ASSERT_EQUAL(store_revision(f.st), rev + 1);
	CU_ASSERT_EQUAL(db_change_list(f.db, rev, 0, &c, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(c[i].origin, FULCRUM_ORIGIN_SNMP);
	fulcrum_change_list_free(c, n);
	unit_mib_teardown(&f);
}

/* A PDU whose last varbind is refused changes nothing, and names that varbind. */
static void test_set_all_or_nothing(void)
{
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	int64_t rev;
	int bad;

	unit_mib_setup(&f);
	rev = store_revision(f.st);
	unit_mib_vb_uns(&p, RS(RS_WEIGHT, f.web, f.r1), 40);
	unit_mib_vb_str(&p, VS(VS_DESCRIPTION, f.web), "front", 5);
	unit_mib_vb_uns(&p, RS(RS_WEIGHT, f.web, f.r2), 70000);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	CU_ASSERT_EQUAL(bad, 3);
	CU_ASSERT_EQUAL(store_revision(f.st), rev);
	CU_ASSERT_EQUAL(store_rs_get(f.st, f.r1)->weight, 3);
	CU_ASSERT_STRING_EQUAL(store_vs_get(f.st, f.web)->description, "");
	/* and the same without the bad one commits both */
	unit_mib_vb_uns(&p, RS(RS_WEIGHT, f.web, f.r1), 40);
	unit_mib_vb_str(&p, VS(VS_DESCRIPTION, f.web), "front", 5);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(store_revision(f.st), rev + 1);
	CU_ASSERT_EQUAL(store_rs_get(f.st, f.r1)->weight, 40);
	unit_mib_teardown(&f);
}

/*
 * A SET goes through the model's field setters, as the API does: the rules
 * that couple fields hold whatever the order of the varbinds.
 */
static void test_set_coupled_fields(void)
{
	static const u_char v4[4] = {192, 0, 2, 77};
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	const struct fulcrum_rs_stored *rs;
	const struct fulcrum_vs *vs;
	int64_t rev;
	int bad;

	unit_mib_setup(&f);
	/* the tunnel's port before its forwarding: forwarding tunnel, GUE, port kept */
	unit_mib_vb_uns(&p, RS(RS_TUNNEL_PORT, f.web, f.r1), 6080);
	unit_mib_vb_int(&p, RS(RS_TUNNEL_TYPE, f.web, f.r1), 3); /* gue */
	unit_mib_vb_int(&p, RS(RS_FORWARDING, f.web, f.r1), 3);  /* tunnel */
	unit_mib_vb_uns(&p, RS(RS_PORT, f.web, f.r1), 0); /* a tunnel keeps the service's port */
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	rs = store_rs_get(f.st, f.r1);
	CU_ASSERT_EQUAL(rs->forwarding, FULCRUM_FWD_TUNNEL);
	CU_ASSERT_EQUAL(rs->tunnel_type, FULCRUM_TUN_GUE);
	CU_ASSERT_EQUAL(rs->tunnel_port, 6080);
	/* back to masq: the tunnel's fields go with it, as model_rs_set_field() says */
	unit_mib_vb_int(&p, RS(RS_FORWARDING, f.web, f.r1), 1);
	unit_mib_vb_uns(&p, RS(RS_PORT, f.web, f.r1), 8080);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	rs = store_rs_get(f.st, f.r1);
	CU_ASSERT_EQUAL(rs->tunnel_type, FULCRUM_TUN_NONE);
	CU_ASSERT_EQUAL(rs->tunnel_port, 0);

	/* an IPv4 address for the IPv6 service: the family follows, and its whole netmask */
	CU_ASSERT_EQUAL(store_vs_get(f.st, f.a)->persistence_netmask, 128);
	unit_mib_vb_str(&p, VS(VS_ADDRESS, f.a), v4, 4);
	unit_mib_vb_int(&p, VS(VS_ADDRESS_TYPE, f.a), 1);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	vs = store_vs_get(f.st, f.a);
	CU_ASSERT_EQUAL(vs->family, AF_INET);
	CU_ASSERT_EQUAL(vs->persistence_netmask, 32);

	/* a NUL inside a name is no text: wrongValue on that varbind, nothing changes */
	rev = store_revision(f.st);
	unit_mib_vb_str(&p, VS(VS_DESCRIPTION, f.web), "ok", 2);
	unit_mib_vb_str(&p, VS(VS_NAME, f.web), "w\0b", 3);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	CU_ASSERT_EQUAL(bad, 2);
	CU_ASSERT_EQUAL(store_revision(f.st), rev);
	CU_ASSERT_STRING_EQUAL(store_vs_get(f.st, f.web)->name, "web");
	unit_mib_teardown(&f);
}

/* Each error status of RFC 3416 a SET can get, with the index of the varbind at fault. */
static void test_set_errors(void)
{
	static const u_char five[5] = {1, 2, 3, 4, 5};
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	int64_t rev;
	int bad;

	unit_mib_setup(&f);
	rev = store_revision(f.st);
	unit_mib_vb_str(&p, RS(RS_WEIGHT, f.web, f.r1), "7", 1);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGTYPE);
	CU_ASSERT_EQUAL(bad, 1);
	unit_mib_vb_uns(&p, RS(RS_WEIGHT, f.web, f.r1), 2);
	unit_mib_vb_str(&p, RS(RS_ADDRESS, f.web, f.r1), five, 5);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGLENGTH);
	CU_ASSERT_EQUAL(bad, 2);
	unit_mib_vb_int(&p, VS(VS_SCHEDULER, f.web), 99);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	unit_mib_vb_str(&p, VS(VS_NAME, f.web), "a", 1); /* service a has it */
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTVALUE);
	unit_mib_vb_int(&p, VS(VS_ROW_STATUS, f.web), ROWSTATUS_CREATE_AND_GO); /* exists */
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTVALUE);
	unit_mib_vb_int(&p, VS(VS_OPER_STATE, f.web), 1);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOTWRITABLE);
	unit_mib_vb_int(&p, VS(VS_OPER_STATE, 9999), 1);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOCREATION);
	unit_mib_vb_str(&p, (oid[]){MIB_DIRECTOR, MIB_NODE_NAME, 1}, 3, "x", 1);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOCREATION);
	unit_mib_vb_str(&p, (oid[]){MIB_DIRECTOR, MIB_NODE_NAME, 0}, 3, "x", 1);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOTWRITABLE);
	unit_mib_vb_str(&p, VS(VS_NAME, 9999), "new",
			3); /* a column of no row, without createAnd* */
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTNAME);
	/* an index used before: ids are never reused */
	CU_ASSERT_EQUAL(store_vs_delete(f.st, &admin, f.a, 0, NULL, NULL), 0);
	rev = store_revision(f.st);
	unit_mib_vb_int(&p, VS(VS_ROW_STATUS, f.a), ROWSTATUS_CREATE_AND_GO);
	unit_mib_vb_str(&p, VS(VS_NAME, f.a), "again", 5);
	unit_mib_vb_int(&p, VS(VS_ADDRESS_TYPE, f.a), 1);
	unit_mib_vb_str(&p, VS(VS_ADDRESS, f.a), "\xc0\x00\x02\x63", 4);
	unit_mib_vb_uns(&p, VS(VS_PORT, f.a), 80);
	unit_mib_vb_int(&p, VS(VS_PROTOCOL, f.a), 6);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTNAME);
	unit_mib_vb_int(&p, VS(VS_ROW_STATUS, f.a), ROWSTATUS_CREATE_AND_WAIT);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTNAME);
	CU_ASSERT_EQUAL(store_revision(f.st), rev);
	unit_mib_teardown(&f);
}

/* A refusal says its rule in words; its value is logged escaped; a storm of one is counted, not logged. */
static void test_set_refusal_words(void)
{
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	netsnmp_variable_list *v = NULL;
	oid name[MIB_OID_MAX];
	char buf[128];
	unsigned suppressed = 0;
	int64_t rev;
	int bad;

	unit_mib_setup(&f);
	rev = store_revision(f.st);
	unit_mib_vb_str(&p, RS(RS_WEIGHT, f.web, f.r1), "heavy", 5);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGTYPE);
	CU_ASSERT_STRING_EQUAL(f.m.refuse_why, "fulcrumRsWeight is Unsigned32, got OCTET STRING");
	unit_mib_vb_int(&p, VS(VS_OPER_STATE, f.web), 1);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOTWRITABLE);
	CU_ASSERT_STRING_EQUAL(f.m.refuse_why, "fulcrumVsOperState is read-only");
	/* no kernel here holds the service: reset(2) is refused, as the API's 409 */
	unit_mib_vb_int(&p, VS(VS_STATS_RESET, f.web), 2);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTVALUE);
	CU_ASSERT_EQUAL(bad, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.m.refuse_why, "is not in the kernel"));
	unit_mib_vb_int(&p, VS(VS_STATS_RESET, f.web), 1);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(store_revision(f.st), rev);

	/* the value as received, no raw byte: a newline, a quote and a byte beyond ASCII escaped */
	v = snmp_varlist_add_variable(&v, name, unit_mib_name(name, VS(VS_DESCRIPTION, f.web)),
				      ASN_OCTET_STR, "A\nB\"\xff", 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	mib_value_format(v, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "\"A\\x0aB\\\"\\xff\"");
	CU_ASSERT_STRING_EQUAL(mib_object_name(v->name, v->name_length, NULL),
			       "fulcrumVsDescription");
	/* the same object and status again at once: counted, not logged */
	for (int i = 0; i < 3; i++)
		mib_refuse_log(&f.m, v, SNMP_ERR_WRONGLENGTH);
	mib_refuse_log(&f.m, v, SNMP_ERR_WRONGVALUE); /* another status: its own line */
	for (size_t i = 0; i < MIB_REFUSE_SLOTS; i++)
		if (f.m.refuse_seen[i].used && f.m.refuse_seen[i].status == SNMP_ERR_WRONGLENGTH)
			suppressed = f.m.refuse_seen[i].suppressed;
		else if (f.m.refuse_seen[i].used)
			CU_ASSERT_EQUAL(f.m.refuse_seen[i].suppressed, 0);
	CU_ASSERT_EQUAL(suppressed, 2);
	snmp_free_varbind(v);
	unit_mib_teardown(&f);
}

/* RowStatus on stored rows is the admin state; destroy deletes; createAndWait waits for active. */
static void test_set_row_status(void)
{
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	struct mib_value v;
	int64_t id;
	int bad;

	unit_mib_setup(&f);
	unit_mib_vb_int(&p, RS(RS_ROW_STATUS, f.web, f.r2), ROWSTATUS_NOT_IN_SERVICE);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(store_rs_get(f.st, f.r2)->admin_state, FULCRUM_RS_DISABLED);
	CU_ASSERT_EQUAL(unit_mib_get(&f, RS(RS_ROW_STATUS, f.web, f.r2), &v), 0);
	CU_ASSERT_EQUAL(v.i, ROWSTATUS_NOT_IN_SERVICE);
	unit_mib_vb_int(&p, RS(RS_ROW_STATUS, f.web, f.r2), ROWSTATUS_ACTIVE);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(store_rs_get(f.st, f.r2)->admin_state, FULCRUM_RS_ENABLED);
	unit_mib_vb_int(&p, RS(RS_ROW_STATUS, f.web, f.r2), ROWSTATUS_DESTROY);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_PTR_NULL(store_rs_get(f.st, f.r2));
	/* createAndWait: held, not stored, until active; active without a name is inconsistent */
	id = store_vs_next_id(f.st);
	unit_mib_vb_int(&p, VS(VS_ROW_STATUS, id), ROWSTATUS_CREATE_AND_WAIT);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_PTR_NULL(store_vs_get(f.st, id));
	CU_ASSERT_EQUAL(f.m.npending, 1);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VS(VS_ROW_STATUS, id), &v), 0);
	CU_ASSERT_EQUAL(v.i, ROWSTATUS_NOT_READY);
	unit_mib_vb_uns(&p, VS(VS_FWMARK, id), 42);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VS(VS_FWMARK, id), &v), 0);
	CU_ASSERT_EQUAL(v.i, 42);
	unit_mib_vb_int(&p, VS(VS_ROW_STATUS, id), ROWSTATUS_ACTIVE);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTVALUE);
	CU_ASSERT_EQUAL(bad, 1);
	unit_mib_vb_str(&p, VS(VS_NAME, id), "marked", 6);
	unit_mib_vb_int(&p, VS(VS_ROW_STATUS, id), ROWSTATUS_ACTIVE);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(store_vs_get(f.st, id));
	CU_ASSERT_EQUAL(store_vs_get(f.st, id)->fwmark, 42);
	CU_ASSERT_EQUAL(f.m.npending, 0);
	unit_mib_teardown(&f);
}

/* A commit that fails after the test phase passed (another writer came between): commitFailed. */
static void test_set_commit_failed(void)
{
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	netsnmp_request_info *bad = NULL;
	struct fulcrum_vs vs;
	int64_t rev;

	unit_mib_setup(&f);
	unit_mib_vb_str(&p, VS(VS_NAME, f.web), "renamed", 7);
	CU_ASSERT_EQUAL(mib_set_reserve(&f.m, p.req, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(mib_set_check(&f.m, &bad), SNMP_ERR_NOERROR);
	/* between snmpd's TestSet and CommitSet, the API takes the name */
	vs = *store_vs_get(f.st, f.a);
	strcpy(vs.name, "renamed");
	CU_ASSERT_EQUAL_FATAL(store_vs_update(f.st, &admin, &vs, 0, NULL, NULL), 0);
	rev = store_revision(f.st);
	CU_ASSERT_EQUAL(mib_set_action(&f.m, &bad), SNMP_ERR_COMMITFAILED);
	CU_ASSERT_PTR_EQUAL(bad, &p.req[0]);
	CU_ASSERT_STRING_EQUAL(store_vs_get(f.st, f.web)->name, "web");
	CU_ASSERT_EQUAL(store_revision(f.st), rev);
	mib_set_free(&f.m);
	snmp_free_varbind(p.vars);
	unit_mib_teardown(&f);
}

/* A notification switch is written at once and is no configuration change. */
static void test_set_notify_switch(void)
{
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	int64_t rev;
	int bad;

	unit_mib_setup(&f);
	rev = store_revision(f.st);
	unit_mib_vb_int(&p, (oid[]){MIB_NOTIFYCTL, 3, 0}, 3, 2);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_FALSE(store_notify_enabled(f.st, COMMAND_NOTIFY_CONFIG_CHANGE));
	CU_ASSERT_EQUAL(store_revision(f.st), rev);
	unit_mib_vb_int(&p, (oid[]){MIB_NOTIFYCTL, 3, 0}, 3, 3);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	unit_mib_teardown(&f);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the barrier told the daemon: how often it went alone, for which revision. */
struct alone_seen {
	unsigned calls;
	int64_t revision;
};

static void on_alone(void *arg, int64_t revision, unsigned waited_ms)
{
	struct alone_seen *a = arg;

	(void)waited_ms;
	a->calls++;
	a->revision = revision;
}

/* Replication's thread: acknowledges revision after 50 ms. */
struct acker {
	struct ackwait *aw;
	int64_t revision;
};

static void *acker_run(void *arg)
{
	struct acker *a = arg;

	usleep(50 * 1000);
	ackwait_acked(a->aw, a->revision);
	return NULL;
}

/* A weight SET on r1, timed in ms; its status in *status. */
static int64_t timed_weight_set(struct unit_mib *f, u_long weight, int *status)
{
	struct unit_mib_pdu p = {0};
	int64_t t0 = now_ms();
	int bad;

	unit_mib_vb_uns(&p, RS(RS_WEIGHT, f->web, f->r1), weight);
	*status = unit_mib_set(f, &p, &bad);
	return now_ms() - t0;
}

/*
 * Commit mode sync: a SET that committed is answered once the standby holds
 * its revision (acknowledged from another thread), or after the timeout,
 * alone; a refused SET and one in mode off never wait.
 */
static void test_set_sync_waits_for_the_standby(void)
{
	struct unit_mib f;
	struct alone_seen seen = {0};
	struct ackwait *aw;
	struct acker a;
	pthread_t t;
	int64_t took, rev;
	int status;

	unit_mib_setup(&f);
	aw = ackwait_new(200, on_alone, &seen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(aw);
	f.m.p.ackwait = aw;

	/* off (standalone, async): at once */
	took = timed_weight_set(&f, 11, &status);
	CU_ASSERT_EQUAL(status, SNMP_ERR_NOERROR);
	CU_ASSERT(took < 150);

	/* sync, the standby acknowledges after 50 ms: answered then, held */
	ackwait_mode_set(aw, ACKWAIT_SYNC);
	rev = store_revision(f.st);
	a.aw = aw;
	a.revision = rev + 1;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, acker_run, &a), 0);
	took = timed_weight_set(&f, 12, &status);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(status, SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(store_revision(f.st), rev + 1);
	CU_ASSERT(took >= 40 && took < 200);
	CU_ASSERT_EQUAL(seen.calls, 0);

	/* a refused SET commits nothing and waits for nothing */
	took = timed_weight_set(&f, 70000, &status);
	CU_ASSERT_EQUAL(status, SNMP_ERR_WRONGVALUE);
	CU_ASSERT(took < 150);

	/* nobody acknowledges: the timeout answers it, alone, and says so once */
	took = timed_weight_set(&f, 13, &status);
	CU_ASSERT_EQUAL(status, SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(store_rs_get(f.st, f.r1)->weight, 13);
	CU_ASSERT(took >= 200 && took < 2000);
	CU_ASSERT_EQUAL(seen.calls, 1);
	CU_ASSERT_EQUAL(seen.revision, rev + 2);
	CU_ASSERT_EQUAL(ackwait_mode(aw), ACKWAIT_ALONE);
	took = timed_weight_set(&f, 14, &status);
	CU_ASSERT_EQUAL(status, SNMP_ERR_NOERROR);
	CU_ASSERT(took < 150);
	CU_ASSERT_EQUAL(seen.calls, 1);

	f.m.p.ackwait = NULL;
	ackwait_free(aw);
	unit_mib_teardown(&f);
}

UNIT_SUITE(mib)
{
	CU_pSuite s = CU_add_suite("mib", NULL, NULL);

	if (!s ||
	    !CU_add_test(s, "a walk gives every instance once, in order",
			 test_walk_order_and_count) ||
	    !CU_add_test(s, "values of scalars and columns", test_values) ||
	    !CU_add_test(s, "the name table finds a service by name", test_name_table) ||
	    !CU_add_test(s, "missing objects and instances", test_missing) ||
	    !CU_add_test(s, "GETNEXT from between instances", test_next_between) ||
	    !CU_add_test(s, "a walk while rows come and go", test_walk_while_changing) ||
	    !CU_add_test(s, "SET createAndGo of a service and a real server", test_set_create) ||
	    !CU_add_test(s, "a SET commits whole or not at all", test_set_all_or_nothing) ||
	    !CU_add_test(s, "SET error statuses", test_set_errors) ||
	    !CU_add_test(s, "a refused SET says why, escaped, once a second",
			 test_set_refusal_words) ||
	    !CU_add_test(s, "SET coupled fields through the model", test_set_coupled_fields) ||
	    !CU_add_test(s, "SET RowStatus", test_set_row_status) ||
	    !CU_add_test(s, "SET commitFailed", test_set_commit_failed) ||
	    !CU_add_test(s, "SET a notification switch", test_set_notify_switch) ||
	    !CU_add_test(s, "SET in commit mode sync waits for the standby",
			 test_set_sync_waits_for_the_standby))
		return CU_get_error();
	return CUE_SUCCESS;
}
