/* The MIB unit tests' model under test and their SET builder (unit_mib.h). */
#include "tests/unit/unit_mib.h"
#include "controller/core/store.h"
#include "controller/model/model.h"
#include "tests/unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const oid root[] = {FULCRUM_MIB_ROOT_OID};
static const struct command_actor admin = {"admin", FULCRUM_ORIGIN_HTTP};

/* A kernel that holds everything in sync, each real server with 7 connections. */
static void kernel(void *arg, bool real, int64_t id, struct status_kernel *out)
{
	(void)arg;
	(void)id;
	out->state = STATUS_KERNEL_IN_SYNC;
	out->present = true;
	if (real) {
		out->stats.conns = 7;
		out->stats.inbytes = 5000000000ull; /* beyond 32 bits */
		out->active_conns = 2;
	}
}

int64_t unit_mib_add_vs(struct unit_mib *f, const char *name, const char *addr)
{
	struct fulcrum_vs vs = unit_vs(name, addr);

	CU_ASSERT_EQUAL_FATAL(store_vs_create(f->st, &admin, &vs, NULL, 0, 0, NULL, NULL), 0);
	return vs.id;
}

static int64_t add_rs(struct unit_mib *f, int64_t vs_id, const char *addr, const char *weight)
{
	struct fulcrum_rs rs;

	model_rs_init(&rs);
	rs.vs_id = vs_id;
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "address", addr, NULL), 0);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "port", "8080", NULL), 0);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "weight", weight, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_rs_create(f->st, &admin, &rs, 0, NULL, NULL), 0);
	return rs.id;
}

static int64_t add_vip(struct unit_mib *f, const char *addr, const char *prefix, const char *ifname)
{
	struct fulcrum_vip vip;

	model_vip_init(&vip);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", addr, NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "prefix", prefix, NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "interface", ifname, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_vip_create(f->st, &admin, &vip, 0, NULL, NULL), 0);
	return vip.id;
}

/* What a failover engine would say: this director holds v4, not v6. */
static void vip_held(void *arg, int64_t id, struct status_vip *out)
{
	const struct unit_mib *f = arg;

	out->held = id == f->v4;
	out->reason = out->held ? "held" : "the peer holds it";
}

void unit_mib_setup(struct unit_mib *f)
{
	char path[1024], err[512];

	memset(f, 0, sizeof(*f));
	unit_tmpdir(f->dir, sizeof(f->dir));
	snprintf(path, sizeof(path), "%s/mib.db", f->dir);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &f->db, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(store_open(f->db, &f->st), 0);
	f->web = unit_mib_add_vs(f, "web", "192.0.2.1");
	f->a = unit_mib_add_vs(f, "a", "2001:db8::1");
	f->long_name = unit_mib_add_vs(f, "zz-long", "192.0.2.3");
	f->r1 = add_rs(f, f->web, "10.0.0.1", "3");
	f->r2 = add_rs(f, f->web, "10.0.0.2", "1");
	f->r3 = add_rs(f, f->long_name, "10.0.0.3", "5");
	f->v4 = add_vip(f, "192.0.2.100", "24", "eth0");
	f->v6 = add_vip(f, "2001:db8::100", "128", "eth1");
	f->m.p.store = f->st;
	f->m.p.kernel.fn = kernel;
	f->m.p.vip = vip_held;
	f->m.p.vip_arg = f;
	f->m.by_name_rev = -1;
}

void unit_mib_teardown(struct unit_mib *f)
{
	mib_ha_close(&f->m);
	free(f->m.ha_snap);
	mib_set_free(&f->m);
	free(f->m.by_name);
	free(f->m.pending);
	store_free(f->st);
	db_close(f->db);
	unit_tmpdir_cleanup(f->dir);
}

size_t unit_mib_name(oid *name, const oid *tail, size_t tlen)
{
	memcpy(name, root, sizeof(root));
	name[MIB_ROOT_LEN] = MIB_OBJECTS_ARC;
	memcpy(name + MIB_ROOT_LEN + 1, tail, tlen * sizeof(*tail));
	return MIB_ROOT_LEN + 1 + tlen;
}

int unit_mib_get(struct unit_mib *f, const oid *tail, size_t tlen, struct mib_value *v)
{
	oid name[MIB_OID_MAX], out[MIB_OID_MAX];
	size_t outlen;

	return mib_read(&f->m, name, unit_mib_name(name, tail, tlen), false, out, &outlen, v);
}

size_t unit_mib_walk(struct unit_mib *f, bool check_order)
{
	oid cur[MIB_OID_MAX], out[MIB_OID_MAX];
	size_t len = MIB_ROOT_LEN, outlen, n = 0;
	struct mib_value v;

	memcpy(cur, root, sizeof(root));
	while (mib_read(&f->m, cur, len, true, out, &outlen, &v) == 0) {
		if (check_order)
			CU_ASSERT_TRUE_FATAL(snmp_oid_compare(out, outlen, cur, len) > 0);
		CU_ASSERT_TRUE(snmp_oid_compare(out, outlen, root, MIB_ROOT_LEN) > 0);
		memcpy(cur, out, outlen * sizeof(*out));
		len = outlen;
		n++;
		CU_ASSERT_TRUE_FATAL(n < 100000);
	}
	return n;
}

static void vb(struct unit_mib_pdu *p, const oid *tail, size_t tlen, u_char type, const void *val,
	       size_t len)
{
	oid name[MIB_OID_MAX];
	netsnmp_variable_list *v = snmp_varlist_add_variable(
	    &p->vars, name, unit_mib_name(name, tail, tlen), type, val, len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	p->req[p->n].requestvb = v;
	p->req[p->n].index = (int)p->n + 1;
	if (p->n)
		p->req[p->n - 1].next = &p->req[p->n];
	p->n++;
}

void unit_mib_vb_int(struct unit_mib_pdu *p, const oid *tail, size_t tlen, long i)
{
	vb(p, tail, tlen, ASN_INTEGER, &i, sizeof(i));
}

void unit_mib_vb_uns(struct unit_mib_pdu *p, const oid *tail, size_t tlen, u_long u)
{
	vb(p, tail, tlen, ASN_UNSIGNED, &u, sizeof(u));
}

void unit_mib_vb_str(struct unit_mib_pdu *p, const oid *tail, size_t tlen, const void *s,
		     size_t len)
{
	vb(p, tail, tlen, ASN_OCTET_STR, s, len);
}

int unit_mib_set(struct unit_mib *f, struct unit_mib_pdu *p, int *bad_index)
{
	netsnmp_request_info *bad = NULL;
	int rc = mib_set_reserve(&f->m, p->req, &bad);

	if (rc == SNMP_ERR_NOERROR)
		rc = mib_set_check(&f->m, &bad);
	if (rc == SNMP_ERR_NOERROR)
		rc = mib_set_action(&f->m, &bad);
	mib_set_free(&f->m);
	*bad_index = rc == SNMP_ERR_NOERROR ? 0 : bad ? bad->index : -1;
	snmp_free_varbind(p->vars);
	memset(p, 0, sizeof(*p));
	return rc;
}
