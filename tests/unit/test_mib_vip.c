/* Unit tests of mib/'s fulcrumVipTable: values and order, SETs through the model, RowStatus. */
#include "controller/core/store.h"
#include "controller/model/model.h"
#include "mib/mib-set.h"
#include "tests/unit/unit.h"
#include "tests/unit/unit_mib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIP(col, id) (oid[]){MIB_VIP_TABLE, 1, (col), (oid)(id)}, 4
#define VS(col, id)  (oid[]){MIB_VS_TABLE, 1, (col), (oid)(id)}, 4

static const u_char v4_gw[4] = {10, 0, 1, 1}, v4_100[4] = {192, 0, 2, 100};

static void test_vip_values(void)
{
	static const u_char v6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x01}; /* 2001:db8::100 */
	struct unit_mib f;
	struct mib_value v;

	unit_mib_setup(&f);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_ADDRESS_TYPE, f.v4), &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_INTEGER);
	CU_ASSERT_EQUAL(v.i, 1); /* ipv4 */
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_ADDRESS, f.v4), &v), 0);
	CU_ASSERT_TRUE(v.len == 4 && memcmp(v.s, v4_100, 4) == 0);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_PREFIX_LENGTH, f.v4), &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_UNSIGNED);
	CU_ASSERT_EQUAL(v.i, 24);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_INTERFACE, f.v4), &v), 0);
	CU_ASSERT_TRUE(v.len == 4 && memcmp(v.s, "eth0", 4) == 0);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_DESCRIPTION, f.v4), &v), 0);
	CU_ASSERT_EQUAL(v.len, 0);
	/* from the status callback: this director holds v4, not v6 */
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_HELD, f.v4), &v), 0);
	CU_ASSERT_EQUAL(v.i, 1);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_HELD, f.v6), &v), 0);
	CU_ASSERT_EQUAL(v.i, 2);
	f.m.p.vip = NULL; /* nothing says: not held */
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_HELD, f.v4), &v), 0);
	CU_ASSERT_EQUAL(v.i, 2);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_ROW_STATUS, f.v6), &v), 0);
	CU_ASSERT_EQUAL(v.i, ROWSTATUS_ACTIVE);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_ADDRESS_TYPE, f.v6), &v), 0);
	CU_ASSERT_EQUAL(v.i, 2);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_ADDRESS, f.v6), &v), 0);
	CU_ASSERT_EQUAL(v.len, 16);
	CU_ASSERT_EQUAL(memcmp(v.s, v6, 16), 0);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_PREFIX_LENGTH, f.v6), &v), 0);
	CU_ASSERT_EQUAL(v.i, 128);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_DIRECTOR, MIB_VIP_NEXT_ID, 0}, 3, &v), 0);
	CU_ASSERT_EQUAL(v.i, (long)f.v6 + 1);
	/* what is not there */
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_INTERFACE, 999), &v), -ENOENT);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_ID, f.v4), &v), -ENOKEY);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_LAST + 1, f.v4), &v), -ENOKEY);
	CU_ASSERT_EQUAL(unit_mib_get(&f, (oid[]){MIB_VIP_TABLE, 1, VIP_HELD, (oid)f.v4, 1}, 5, &v),
			-ENOENT);
	unit_mib_teardown(&f);
}

/* GETNEXT through the table: column by column, rows by id, then the cluster group (arc 7). */
static void test_vip_walk(void)
{
	struct unit_mib f;
	oid name[MIB_OID_MAX], out[MIB_OID_MAX];
	size_t len, outlen;
	struct mib_value v;
	unsigned seen = 0;

	unit_mib_setup(&f);
	len = unit_mib_name(name, (oid[]){MIB_VIP_TABLE}, 1);
	while (mib_read(&f.m, name, len, true, out, &outlen, &v) == 0 &&
	       out[MIB_ROOT_LEN + 1] == MIB_VIP_TABLE) {
		unsigned col = seen / 2 + VIP_ADDRESS_TYPE;

		CU_ASSERT_EQUAL(out[MIB_ROOT_LEN + 3], col);
		CU_ASSERT_EQUAL(out[outlen - 1], (oid)(seen % 2 ? f.v6 : f.v4));
		memcpy(name, out, outlen * sizeof(*out));
		len = outlen;
		CU_ASSERT_FATAL(++seen < 100);
	}
	CU_ASSERT_EQUAL(seen, 2 * (VIP_LAST - 1));
	CU_ASSERT_EQUAL(out[MIB_ROOT_LEN + 1], MIB_CLUSTER);
	CU_ASSERT_EQUAL(out[MIB_ROOT_LEN + 2], HA_TERM);
	/* a row deleted and one added while a walk is in the table: it goes on in order */
	len = unit_mib_name(name, VIP(VIP_INTERFACE, f.v4));
	CU_ASSERT_EQUAL(store_vip_delete(f.st, &(struct command_actor){"t", FULCRUM_ORIGIN_HTTP},
					 f.v4, 0, NULL, NULL),
			0);
	CU_ASSERT_EQUAL(mib_read(&f.m, name, len, true, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[MIB_ROOT_LEN + 3], VIP_INTERFACE);
	CU_ASSERT_EQUAL(out[outlen - 1], (oid)f.v6);
	unit_mib_teardown(&f);
}

/* createAndGo of a VIP: stored through the model, one revision, logged as a vip from snmp. */
static void test_vip_set_create(void)
{
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	const struct fulcrum_vip *vip;
	struct fulcrum_change *c = NULL;
	int64_t id, rev;
	size_t n = 0;
	int bad;

	unit_mib_setup(&f);
	id = store_vip_next_id(f.st);
	rev = store_revision(f.st);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, id), ROWSTATUS_CREATE_AND_GO);
	unit_mib_vb_int(&p, VIP(VIP_ADDRESS_TYPE, id), 1);
	unit_mib_vb_str(&p, VIP(VIP_ADDRESS, id), v4_gw, 4);
	unit_mib_vb_str(&p, VIP(VIP_INTERFACE, id), "eth2", 4);
	unit_mib_vb_str(&p, VIP(VIP_DESCRIPTION, id), "gw", 2);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	vip = store_vip_get(f.st, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vip);
	CU_ASSERT_EQUAL(vip->prefix, 32); /* not set: the whole address */
	CU_ASSERT_STRING_EQUAL(vip->interface, "eth2");
	CU_ASSERT_STRING_EQUAL(vip->description, "gw");
	CU_ASSERT_EQUAL(store_revision(f.st), rev + 1);
	CU_ASSERT_EQUAL(store_vip_next_id(f.st), id + 1);
	CU_ASSERT_EQUAL(db_change_list(f.db, rev, 0, &c, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(c[0].object_type, "vip");
	CU_ASSERT_EQUAL(c[0].object_id, id);
	CU_ASSERT_EQUAL(c[0].origin, FULCRUM_ORIGIN_SNMP);
	fulcrum_change_list_free(c, n);

	/* one PDU, a service and the VIP it sits on: one revision */
	id = store_vip_next_id(f.st);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, id), ROWSTATUS_CREATE_AND_GO);
	unit_mib_vb_int(&p, VIP(VIP_ADDRESS_TYPE, id), 1);
	unit_mib_vb_str(&p, VIP(VIP_ADDRESS, id), "\xc0\x00\x02\x65", 4);
	unit_mib_vb_uns(&p, VIP(VIP_PREFIX_LENGTH, id), 24);
	unit_mib_vb_str(&p, VIP(VIP_INTERFACE, id), "eth0", 4);
	unit_mib_vb_int(&p, VS(VS_ROW_STATUS, store_vs_next_id(f.st)), ROWSTATUS_CREATE_AND_GO);
	unit_mib_vb_str(&p, VS(VS_NAME, store_vs_next_id(f.st)), "onvip", 5);
	unit_mib_vb_int(&p, VS(VS_ADDRESS_TYPE, store_vs_next_id(f.st)), 1);
	unit_mib_vb_str(&p, VS(VS_ADDRESS, store_vs_next_id(f.st)), "\xc0\x00\x02\x65", 4);
	unit_mib_vb_uns(&p, VS(VS_PORT, store_vs_next_id(f.st)), 80);
	unit_mib_vb_int(&p, VS(VS_PROTOCOL, store_vs_next_id(f.st)), 6);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(store_revision(f.st), rev + 2);
	CU_ASSERT_PTR_NOT_NULL(store_vip_get(f.st, id));
	CU_ASSERT_PTR_NOT_NULL(store_vs_find_by_name(f.st, "onvip"));
	unit_mib_teardown(&f);
}

/* Changes go through the model's setters: the prefix follows the address's family. */
static void test_vip_set_update(void)
{
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	const struct fulcrum_vip *vip;
	int64_t rev;
	int bad;

	unit_mib_setup(&f);
	/* v6 (whole prefix, 128) gets an IPv4 address: its prefix becomes 32 */
	unit_mib_vb_str(&p, VIP(VIP_ADDRESS, f.v6), v4_gw, 4);
	unit_mib_vb_int(&p, VIP(VIP_ADDRESS_TYPE, f.v6), 1);
	unit_mib_vb_str(&p, VIP(VIP_INTERFACE, f.v6), "bond0.100", 9);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	vip = store_vip_get(f.st, f.v6);
	CU_ASSERT_EQUAL(vip->addr.family, AF_INET);
	CU_ASSERT_EQUAL(vip->prefix, 32);
	CU_ASSERT_STRING_EQUAL(vip->interface, "bond0.100");
	/* active on a stored VIP changes nothing: no revision */
	rev = store_revision(f.st);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, f.v4), ROWSTATUS_ACTIVE);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(store_revision(f.st), rev);
	unit_mib_vb_uns(&p, VIP(VIP_PREFIX_LENGTH, f.v4), 16);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, f.v4), ROWSTATUS_ACTIVE);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(store_vip_get(f.st, f.v4)->prefix, 16);
	CU_ASSERT_EQUAL(store_revision(f.st), rev + 1);
	unit_mib_teardown(&f);
}

/* Each refusal: its status, the varbind at fault, and nothing written. */
static void test_vip_set_errors(void)
{
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	int64_t rev, next;
	int bad;

	unit_mib_setup(&f);
	rev = store_revision(f.st);
	unit_mib_vb_uns(&p, VIP(VIP_PREFIX_LENGTH, f.v4), 8);
	unit_mib_vb_str(&p, VIP(VIP_INTERFACE, f.v4), "eth 0", 5);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	CU_ASSERT_EQUAL(bad, 2);
	unit_mib_vb_str(&p, VIP(VIP_INTERFACE, f.v4), "abcdefghijklmnop", 16);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGLENGTH);
	unit_mib_vb_str(&p, VIP(VIP_INTERFACE, f.v4), "", 0);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGLENGTH);
	unit_mib_vb_uns(&p, VIP(VIP_PREFIX_LENGTH, f.v4), 33);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	unit_mib_vb_uns(&p, VIP(VIP_PREFIX_LENGTH, f.v4), 3000);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	unit_mib_vb_int(&p, VIP(VIP_PREFIX_LENGTH, f.v4), 24);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGTYPE);
	unit_mib_vb_int(&p, VIP(VIP_ADDRESS_TYPE, f.v4), 0);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	unit_mib_vb_str(&p, VIP(VIP_ADDRESS, f.v4), "\x7f\x00\x00\x01", 4); /* loopback */
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	unit_mib_vb_str(&p, VIP(VIP_ADDRESS, f.v4), v4_gw, 5);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGLENGTH);
	/* an IPv6 type with 4 octets: the pair disagrees */
	unit_mib_vb_int(&p, VIP(VIP_ADDRESS_TYPE, f.v4), 2);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTVALUE);
	/* v6's address for v4: taken */
	unit_mib_vb_int(&p, VIP(VIP_ADDRESS_TYPE, f.v4), 2);
	unit_mib_vb_str(&p, VIP(VIP_ADDRESS, f.v4), "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\x01\x00",
			16);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTVALUE);
	CU_ASSERT_EQUAL(bad, 1); /* the first varbind of the address: its type, as for services */
	/* a VIP cannot be taken out of service */
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, f.v4), ROWSTATUS_NOT_IN_SERVICE);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_WRONGVALUE);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, f.v4), ROWSTATUS_CREATE_AND_GO);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTVALUE);
	unit_mib_vb_int(&p, VIP(VIP_HELD, f.v4), 1);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOTWRITABLE);
	unit_mib_vb_int(&p, VIP(VIP_HELD, 9999), 1);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOCREATION);
	unit_mib_vb_str(&p, VIP(VIP_INTERFACE, 9999), "eth0", 4); /* no row, no createAnd* */
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTNAME);
	unit_mib_vb_int(&p, (oid[]){MIB_DIRECTOR, MIB_VIP_NEXT_ID, 0}, 3, 99);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOTWRITABLE);
	/* createAndGo without an interface: the row as a whole is inconsistent */
	next = store_vip_next_id(f.st);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, next), ROWSTATUS_CREATE_AND_GO);
	unit_mib_vb_int(&p, VIP(VIP_ADDRESS_TYPE, next), 1);
	unit_mib_vb_str(&p, VIP(VIP_ADDRESS, next), v4_gw, 4);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTVALUE);
	CU_ASSERT_EQUAL(bad, 1);
	CU_ASSERT_EQUAL(store_revision(f.st), rev);
	CU_ASSERT_EQUAL(store_vip_get(f.st, f.v4)->prefix, 24);
	CU_ASSERT_STRING_EQUAL(store_vip_get(f.st, f.v4)->interface, "eth0");
	unit_mib_teardown(&f);
}

/* destroy deletes; the index is never given again; one PDU can move an address to a new row. */
static void test_vip_set_destroy(void)
{
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	int64_t next, rev;
	int bad;

	unit_mib_setup(&f);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, f.v6), ROWSTATUS_DESTROY);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_PTR_NULL(store_vip_get(f.st, f.v6));
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, f.v6), ROWSTATUS_DESTROY); /* gone: done */
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	rev = store_revision(f.st);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, f.v6), ROWSTATUS_CREATE_AND_GO);
	unit_mib_vb_int(&p, VIP(VIP_ADDRESS_TYPE, f.v6), 1);
	unit_mib_vb_str(&p, VIP(VIP_ADDRESS, f.v6), v4_gw, 4);
	unit_mib_vb_str(&p, VIP(VIP_INTERFACE, f.v6), "eth0", 4);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTNAME);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, f.v6), ROWSTATUS_CREATE_AND_WAIT);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTNAME);
	CU_ASSERT_EQUAL(store_revision(f.st), rev);
	/* v4's address to a new row, v4 destroyed, in one PDU: the destroy goes first */
	next = store_vip_next_id(f.st);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, next), ROWSTATUS_CREATE_AND_GO);
	unit_mib_vb_int(&p, VIP(VIP_ADDRESS_TYPE, next), 1);
	unit_mib_vb_str(&p, VIP(VIP_ADDRESS, next), v4_100, 4);
	unit_mib_vb_str(&p, VIP(VIP_INTERFACE, next), "eth3", 4);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, f.v4), ROWSTATUS_DESTROY);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_PTR_NULL(store_vip_get(f.st, f.v4));
	CU_ASSERT_PTR_NOT_NULL_FATAL(store_vip_get(f.st, next));
	CU_ASSERT_STRING_EQUAL(store_vip_get(f.st, next)->interface, "eth3");
	CU_ASSERT_EQUAL(store_revision(f.st), rev + 1);
	unit_mib_teardown(&f);
}

/* createAndWait: held in the agent, notReady until valid, stored by active. */
static void test_vip_create_and_wait(void)
{
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	struct mib_value v;
	int64_t id, rev;
	int bad;

	unit_mib_setup(&f);
	id = store_vip_next_id(f.st);
	rev = store_revision(f.st);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, id), ROWSTATUS_CREATE_AND_WAIT);
	unit_mib_vb_int(&p, VIP(VIP_ADDRESS_TYPE, id), 1);
	unit_mib_vb_str(&p, VIP(VIP_ADDRESS, id), v4_gw, 4);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_PTR_NULL(store_vip_get(f.st, id));
	CU_ASSERT_EQUAL(f.m.npending, 1);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_ROW_STATUS, id), &v), 0);
	CU_ASSERT_EQUAL(v.i, ROWSTATUS_NOT_READY); /* no interface yet */
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_PREFIX_LENGTH, id), &v), 0);
	CU_ASSERT_EQUAL(v.i, 32);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, id), ROWSTATUS_ACTIVE);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_INCONSISTENTVALUE);
	unit_mib_vb_str(&p, VIP(VIP_INTERFACE, id), "eth1", 4);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(unit_mib_get(&f, VIP(VIP_ROW_STATUS, id), &v), 0);
	CU_ASSERT_EQUAL(v.i, ROWSTATUS_NOT_IN_SERVICE);
	CU_ASSERT_EQUAL(store_revision(f.st), rev); /* nothing stored while held */
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, id), ROWSTATUS_ACTIVE);
	CU_ASSERT_EQUAL(unit_mib_set(&f, &p, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(store_vip_get(f.st, id));
	CU_ASSERT_STRING_EQUAL(store_vip_get(f.st, id)->interface, "eth1");
	CU_ASSERT_EQUAL(f.m.npending, 0);
	CU_ASSERT_EQUAL(store_revision(f.st), rev + 1);
	unit_mib_teardown(&f);
}

/* Another part of the PDU failed after this one committed: the VIP made is taken back. */
static void test_vip_set_undo(void)
{
	struct unit_mib f;
	struct unit_mib_pdu p = {0};
	netsnmp_request_info *bad = NULL;
	int64_t id;

	unit_mib_setup(&f);
	id = store_vip_next_id(f.st);
	unit_mib_vb_int(&p, VIP(VIP_ROW_STATUS, id), ROWSTATUS_CREATE_AND_GO);
	unit_mib_vb_int(&p, VIP(VIP_ADDRESS_TYPE, id), 1);
	unit_mib_vb_str(&p, VIP(VIP_ADDRESS, id), v4_gw, 4);
	unit_mib_vb_str(&p, VIP(VIP_INTERFACE, id), "eth1", 4);
	unit_mib_vb_uns(&p, VIP(VIP_PREFIX_LENGTH, f.v4), 20);
	CU_ASSERT_EQUAL(mib_set_reserve(&f.m, p.req, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(mib_set_check(&f.m, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(mib_set_action(&f.m, &bad), SNMP_ERR_NOERROR);
	CU_ASSERT_PTR_NOT_NULL(store_vip_get(f.st, id));
	CU_ASSERT_EQUAL(store_vip_get(f.st, f.v4)->prefix, 20);
	mib_set_undo(&f.m);
	CU_ASSERT_PTR_NULL(store_vip_get(f.st, id));
	CU_ASSERT_EQUAL(store_vip_get(f.st, f.v4)->prefix, 24);
	mib_set_free(&f.m);
	snmp_free_varbind(p.vars);
	unit_mib_teardown(&f);
}

UNIT_SUITE(mib_vip)
{
	CU_pSuite s = CU_add_suite("mib_vip", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "values of the VIP table and fulcrumVipNextId", test_vip_values);
	CU_add_test(s, "a walk of the VIP table", test_vip_walk);
	CU_add_test(s, "SET createAndGo of a VIP", test_vip_set_create);
	CU_add_test(s, "SET through the model's setters", test_vip_set_update);
	CU_add_test(s, "SET error statuses", test_vip_set_errors);
	CU_add_test(s, "SET destroy; ids never reused", test_vip_set_destroy);
	CU_add_test(s, "SET createAndWait, then active", test_vip_create_and_wait);
	CU_add_test(s, "a SET undone", test_vip_set_undo);
	return CU_get_error();
}
