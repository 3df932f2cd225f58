/* Reads of FULCRUM-MIB: GET and GETNEXT answered from the in-memory store, in strict OID order. */
#include "controller/model/model.h"
#include "mib/mib-set.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const oid mib_root[] = {FULCRUM_MIB_ROOT_OID};

/* Enumerations: the MIB's numbers start at 1 where the model's start at 0. */
long mib_protocol_to(enum fulcrum_protocol p)
{
	switch (p) {
	case FULCRUM_PROTO_TCP:
		return 6;
	case FULCRUM_PROTO_UDP:
		return 17;
	case FULCRUM_PROTO_SCTP:
		return 132;
	case FULCRUM_PROTO_NONE:
		break;
	}
	return 1;
}

int mib_protocol_from(long v, enum fulcrum_protocol *out)
{
	switch (v) {
	case 1:
		*out = FULCRUM_PROTO_NONE;
		return 0;
	case 6:
		*out = FULCRUM_PROTO_TCP;
		return 0;
	case 17:
		*out = FULCRUM_PROTO_UDP;
		return 0;
	case 132:
		*out = FULCRUM_PROTO_SCTP;
		return 0;
	}
	return -EINVAL;
}

void mib_val_int(struct mib_value *v, long i)
{
	v->type = ASN_INTEGER;
	v->i = i;
}

void mib_val_uns(struct mib_value *v, u_char type, uint64_t u)
{
	v->type = type;
	v->i = (long)(u > 0xffffffffu ? 0xffffffffu : u);
}

void mib_val_c64(struct mib_value *v, u_char type, uint64_t u)
{
	v->type = type;
	v->c64.high = (u_long)(u >> 32);
	v->c64.low = (u_long)(u & 0xffffffffu);
}

void mib_val_str(struct mib_value *v, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(v->s))
		n = sizeof(v->s);
	v->type = ASN_OCTET_STR;
	v->len = n;
	memcpy(v->s, s, n);
}

/* InetAddressType (0 none, 1 ipv4, 2 ipv6) and InetAddress of a. */
static long addr_type(const struct fulcrum_addr *a)
{
	return a->family == AF_INET ? 1 : a->family == AF_INET6 ? 2 : 0;
}

static void val_addr(struct mib_value *v, const struct fulcrum_addr *a)
{
	v->type = ASN_OCTET_STR;
	v->len = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
	memcpy(v->s, &a->u, v->len);
}

void mib_value_time(struct mib_value *val, time_t t)
{
	struct tm tm;

	val->type = ASN_OCTET_STR;
	memset(val->s, 0, 11);
	val->len = 8;
	if (t == 0 || !gmtime_r(&t, &tm))
		return;
	val->s[0] = (u_char)((tm.tm_year + 1900) >> 8);
	val->s[1] = (u_char)((tm.tm_year + 1900) & 0xff);
	val->s[2] = (u_char)(tm.tm_mon + 1);
	val->s[3] = (u_char)tm.tm_mday;
	val->s[4] = (u_char)tm.tm_hour;
	val->s[5] = (u_char)tm.tm_min;
	val->s[6] = (u_char)(tm.tm_sec > 59 ? 59 : tm.tm_sec);
	val->s[7] = 0;
	val->s[8] = '+'; /* UTC */
	val->len = 11;
}

/* FulcrumKernelState: inSync(1), pending(2), error(3), unavailable(4). */
static long kernel_state(enum status_kernel_state s)
{
	switch (s) {
	case STATUS_KERNEL_IN_SYNC:
		return 1;
	case STATUS_KERNEL_ERROR:
		return 3;
	case STATUS_KERNEL_UNAVAILABLE:
		return 4;
	case STATUS_KERNEL_PENDING:
		break;
	}
	return 2;
}

/* Counters and rates, in the order both tables list them from first. */
static int stats_value(const struct status_kernel *k, unsigned i, struct mib_value *v)
{
	const struct status_counters *s = &k->stats;
	const uint64_t c[] = {s->conns, s->inpkts, s->outpkts, s->inbytes, s->outbytes, 0,
			      0,        s->cps,    s->inpps,   s->outpps,  s->inbps,    s->outbps};

	if (i >= sizeof(c) / sizeof(c[0]))
		return -ENOKEY;
	if (i == 5)
		mib_val_uns(v, ASN_GAUGE, k->active_conns);
	else if (i == 6)
		mib_val_uns(v, ASN_GAUGE, k->inactive_conns);
	else
		mib_val_c64(v, ASN_COUNTER64, c[i]);
	return 0;
}

/* oper state numbers: services up(1) degraded(2) down(3) unknown(4); reals up(1) down(2) unknown(3). */
static long oper_vs_num(enum oper_state s)
{
	return s == OPER_UP ? 1 : s == OPER_DEGRADED ? 2 : s == OPER_DOWN ? 3 : 4;
}

static long oper_rs_num(enum oper_state s)
{
	return s == OPER_UP ? 1 : s == OPER_DOWN ? 2 : 3;
}

static int vs_value(struct mib *m, const struct fulcrum_vs *vs, unsigned col, struct mib_value *v)
{
	struct status_kernel k;
	struct oper_view ov;

	switch (col) {
	case VS_NAME:
		mib_val_str(v, vs->name);
		return 0;
	case VS_FAMILY:
		mib_val_int(v, vs->family == AF_INET6 ? 2 : 1);
		return 0;
	case VS_ADDRESS_TYPE:
		mib_val_int(v, addr_type(&vs->addr));
		return 0;
	case VS_ADDRESS:
		val_addr(v, &vs->addr);
		return 0;
	case VS_PORT:
		mib_val_uns(v, ASN_UNSIGNED, vs->port);
		return 0;
	case VS_PROTOCOL:
		mib_val_int(v, mib_protocol_to(vs->protocol));
		return 0;
	case VS_FWMARK:
		mib_val_uns(v, ASN_UNSIGNED, vs->fwmark);
		return 0;
	case VS_SCHEDULER:
		mib_val_int(v, (long)vs->scheduler + 1);
		return 0;
	case VS_SCHEDULER_FLAGS: /* BITS: fallback(0) is the first octet's top bit */
		v->type = ASN_OCTET_STR;
		v->len = 1;
		v->s[0] = (u_char)(((vs->scheduler_flags & FULCRUM_SCHED_F_FALLBACK) ? 0x80 : 0) |
				   ((vs->scheduler_flags & FULCRUM_SCHED_F_PORT) ? 0x40 : 0));
		return 0;
	case VS_PERSISTENCE_TIMEOUT:
		mib_val_uns(v, ASN_UNSIGNED, vs->persistence_timeout);
		return 0;
	case VS_PERSISTENCE_NETMASK:
		mib_val_uns(v, ASN_UNSIGNED, vs->persistence_netmask);
		return 0;
	case VS_ONE_PACKET:
		mib_val_int(v, vs->one_packet ? 1 : 2);
		return 0;
	case VS_ADMIN_STATE:
		mib_val_int(v, vs->admin_state == FULCRUM_VS_DISABLED ? 2 : 1);
		return 0;
	case VS_DESCRIPTION:
		mib_val_str(v, vs->description);
		return 0;
	case VS_OPER_STATE:
	case VS_OPER_REASON:
	case VS_REALS_UP:
	case VS_REALS_TOTAL:
		oper_vs_eval(&m->p.kernel, m->p.store, vs, &ov);
		if (col == VS_OPER_STATE)
			mib_val_int(v, oper_vs_num(ov.state));
		else if (col == VS_OPER_REASON)
			mib_val_str(v, ov.reason);
		else
			mib_val_uns(v, ASN_GAUGE, col == VS_REALS_UP ? ov.up : ov.total);
		return 0;
	case VS_OPER_LAST_CHANGE:
		mib_value_time(v, m->p.oper ? oper_since(m->p.oper, false, vs->id) : 0);
		return 0;
	case VS_STATS_RESET:
		mib_val_int(v, 1);
		return 0;
	case VS_ROW_STATUS:
		mib_val_int(v, vs->admin_state == FULCRUM_VS_DISABLED ? ROWSTATUS_NOT_IN_SERVICE
								      : ROWSTATUS_ACTIVE);
		return 0;
	}
	if (col < VS_KERNEL_STATE || col > VS_OUT_BYTE_RATE)
		return -ENOKEY;
	oper_kernel_read(&m->p.kernel, false, vs->id, &k);
	if (col == VS_KERNEL_STATE)
		mib_val_int(v, kernel_state(k.state));
	else if (col == VS_KERNEL_REASON)
		mib_val_str(v, k.reason ? k.reason : "");
	else if (col == VS_ACTIVE_CONNS || col == VS_INACTIVE_CONNS) {
		/* IPVS counts connections per real server: the service's are their sum */
		size_t n;
		const struct fulcrum_rs_stored *const *rs = store_rs_all(m->p.store, vs->id, &n);
		uint64_t sum = 0;

		for (size_t i = 0; i < n; i++) {
			struct status_kernel rk;

			oper_kernel_read(&m->p.kernel, true, rs[i]->id, &rk);
			sum += col == VS_ACTIVE_CONNS ? rk.active_conns : rk.inactive_conns;
		}
		mib_val_uns(v, ASN_GAUGE, sum);
	} else
		return stats_value(&k, col - VS_CONNS, v);
	return 0;
}

static int rs_value(struct mib *m, const struct fulcrum_rs_stored *rs, unsigned col,
		    struct mib_value *v)
{
	struct status_kernel k;
	struct oper_view ov;

	switch (col) {
	case RS_ADDRESS_TYPE:
		mib_val_int(v, addr_type(&rs->addr));
		return 0;
	case RS_ADDRESS:
		val_addr(v, &rs->addr);
		return 0;
	case RS_PORT:
		mib_val_uns(v, ASN_UNSIGNED, rs->port);
		return 0;
	case RS_FORWARDING:
		mib_val_int(v, (long)rs->forwarding + 1);
		return 0;
	case RS_TUNNEL_TYPE:
		mib_val_int(v, (long)rs->tunnel_type + 1);
		return 0;
	case RS_TUNNEL_PORT:
		mib_val_uns(v, ASN_UNSIGNED, rs->tunnel_port);
		return 0;
	case RS_WEIGHT:
		mib_val_uns(v, ASN_UNSIGNED, rs->weight);
		return 0;
	case RS_UPPER_THRESHOLD:
		mib_val_uns(v, ASN_UNSIGNED, rs->upper_threshold);
		return 0;
	case RS_LOWER_THRESHOLD:
		mib_val_uns(v, ASN_UNSIGNED, rs->lower_threshold);
		return 0;
	case RS_ADMIN_STATE:
		mib_val_int(v, (long)rs->admin_state + 1);
		return 0;
	case RS_DESCRIPTION:
		mib_val_str(v, rs->description);
		return 0;
	case RS_OPER_STATE:
	case RS_OPER_REASON:
		oper_rs_eval(&m->p.kernel, rs, &ov);
		if (col == RS_OPER_STATE)
			mib_val_int(v, oper_rs_num(ov.state));
		else
			mib_val_str(v, ov.reason);
		return 0;
	case RS_OPER_LAST_CHANGE:
		mib_value_time(v, m->p.oper ? oper_since(m->p.oper, true, rs->id) : 0);
		return 0;
	case RS_ROW_STATUS:
		mib_val_int(v, rs->admin_state == FULCRUM_RS_DISABLED ? ROWSTATUS_NOT_IN_SERVICE
								      : ROWSTATUS_ACTIVE);
		return 0;
	}
	if (col < RS_KERNEL_STATE || col > RS_OUT_BYTE_RATE)
		return -ENOKEY;
	oper_kernel_read(&m->p.kernel, true, rs->id, &k);
	if (col == RS_KERNEL_STATE)
		mib_val_int(v, kernel_state(k.state));
	else if (col == RS_KERNEL_REASON)
		mib_val_str(v, k.reason ? k.reason : "");
	else
		return stats_value(&k, col - RS_CONNS, v);
	return 0;
}

static int vip_value(struct mib *m, const struct fulcrum_vip *vip, unsigned col,
		     struct mib_value *v)
{
	struct status_vip held = {.held = false, .reason = ""};

	switch (col) {
	case VIP_ADDRESS_TYPE:
		mib_val_int(v, addr_type(&vip->addr));
		return 0;
	case VIP_ADDRESS:
		val_addr(v, &vip->addr);
		return 0;
	case VIP_PREFIX_LENGTH:
		mib_val_uns(v, ASN_UNSIGNED, vip->prefix);
		return 0;
	case VIP_INTERFACE:
		mib_val_str(v, vip->interface);
		return 0;
	case VIP_DESCRIPTION:
		mib_val_str(v, vip->description);
		return 0;
	case VIP_HELD: /* TruthValue */
		if (m->p.vip)
			m->p.vip(m->p.vip_arg, vip->id, &held);
		mib_val_int(v, held.held ? 1 : 2);
		return 0;
	case VIP_ROW_STATUS:
		mib_val_int(v, ROWSTATUS_ACTIVE);
		return 0;
	}
	return -ENOKEY;
}

static int director_value(struct mib *m, unsigned sub, struct mib_value *v)
{
	struct status_daemon st = {.node_name = "", .version = ""};
	const struct store_last *last = store_last_change(m->p.store);

	if (m->p.status)
		m->p.status(m->p.status_arg, &st);
	switch (sub) {
	case MIB_NODE_NAME:
		mib_val_str(v, st.node_name ? st.node_name : "");
		return 0;
	case MIB_VERSION:
		mib_val_str(v, st.version ? st.version : "");
		return 0;
	case MIB_ROLE:
		mib_val_int(v, mib_ha_role(mib_ha_status(m)->role));
		return 0;
	case MIB_PEER_STATE:
		mib_val_int(v, mib_ha_peer_state(mib_ha_status(m)));
		return 0;
	case MIB_CONFIG_REVISION:
		mib_val_c64(v, ASN_COUNTER64, (uint64_t)store_revision(m->p.store));
		return 0;
	case MIB_CONFIG_LAST_CHANGE:
		mib_value_time(v, (time_t)last->time);
		return 0;
	case MIB_CONFIG_LAST_ACTOR:
		mib_val_str(v, last->actor);
		return 0;
	case MIB_CONFIG_LAST_ORIGIN: /* none(1) while nothing was ever changed */
		mib_val_int(v, last->time == 0 ? 1 : (long)last->origin + 2);
		return 0;
	case MIB_VS_NEXT_ID:
		mib_val_uns(v, ASN_UNSIGNED, (uint64_t)store_vs_next_id(m->p.store));
		return 0;
	case MIB_RS_NEXT_ID:
		mib_val_uns(v, ASN_UNSIGNED, (uint64_t)store_rs_next_id(m->p.store));
		return 0;
	case MIB_VIP_NEXT_ID:
		mib_val_uns(v, ASN_UNSIGNED, (uint64_t)store_vip_next_id(m->p.store));
		return 0;
	}
	return -ENOKEY;
}

static int notifyctl_value(struct mib *m, unsigned sub, struct mib_value *v)
{
	if (sub < 1 || sub > COMMAND_NOTIFY_COUNT)
		return -ENOKEY;
	mib_val_int(v, store_notify_enabled(m->p.store, (enum command_notify)(sub - 1)) ? 1 : 2);
	return 0;
}

/* Tables: rows by position, their index OIDs increasing with the position. */
static int name_cmp(const void *a, const void *b)
{
	const struct fulcrum_vs *x = *(const struct fulcrum_vs *const *)a;
	const struct fulcrum_vs *y = *(const struct fulcrum_vs *const *)b;
	size_t lx = strlen(x->name), ly = strlen(y->name);

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return memcmp(x->name, y->name, lx);
}

/* The services sorted as the name table's index sorts them; rebuilt when the store changed. */
static void names_sync(struct mib *m)
{
	const struct fulcrum_vs *const *vs;
	const struct fulcrum_vs **a;
	size_t n;

	if (m->by_name_rev == store_revision(m->p.store) && m->by_name_rev >= 0)
		return;
	vs = store_vs_all(m->p.store, &n);
	a = realloc(m->by_name, (n ? n : 1) * sizeof(*a));
	if (!a) {
		m->nby_name = 0; /* out of memory: an empty table until the next try */
		return;
	}
	memcpy(a, vs, n * sizeof(*a));
	qsort(a, n, sizeof(*a), name_cmp);
	m->by_name = a;
	m->nby_name = n;
	m->by_name_rev = store_revision(m->p.store);
}

struct table {
	unsigned arc, last_col;
};

/* In the order of their arcs, which is the order of a walk. */
static const struct table tables[] = {
    {MIB_VS_TABLE, VS_LAST},   {MIB_RS_TABLE, RS_LAST},         {MIB_NAME_TABLE, NAME_LAST},
    {MIB_VIP_TABLE, VIP_LAST}, {MIB_REJECT_TABLE, REJECT_LAST},
};

static size_t table_rows(struct mib *m, const struct table *t)
{
	size_t n;

	if (t->arc == MIB_VS_TABLE)
		store_vs_all(m->p.store, &n);
	else if (t->arc == MIB_RS_TABLE)
		store_rs_all(m->p.store, 0, &n);
	else if (t->arc == MIB_VIP_TABLE)
		store_vip_all(m->p.store, &n);
	else if (t->arc == MIB_REJECT_TABLE)
		n = mib_ha_reject_rows(m);
	else {
		names_sync(m);
		n = m->nby_name;
	}
	return n;
}

/* Writes row i's index into idx; returns its length (0 when it has no OID form). */
static size_t table_index(struct mib *m, const struct table *t, size_t i, oid *idx)
{
	size_t n;

	if (t->arc == MIB_VS_TABLE) {
		const struct fulcrum_vs *vs = store_vs_all(m->p.store, &n)[i];

		idx[0] = (oid)vs->id;
		return 1;
	}
	if (t->arc == MIB_RS_TABLE) {
		const struct fulcrum_rs_stored *rs = store_rs_all(m->p.store, 0, &n)[i];

		idx[0] = (oid)rs->vs_id;
		idx[1] = (oid)rs->id;
		return 2;
	}
	if (t->arc == MIB_VIP_TABLE) {
		idx[0] = (oid)store_vip_all(m->p.store, &n)[i]->id;
		return 1;
	}
	if (t->arc == MIB_REJECT_TABLE) {
		idx[0] = (oid)(i + 1); /* FulcrumHaDropReason: the receive result's number */
		return 1;
	}
	n = strlen(m->by_name[i]->name);
	idx[0] = (oid)n;
	for (size_t k = 0; k < n; k++)
		idx[k + 1] = (u_char)m->by_name[i]->name[k];
	return n + 1;
}

/* The first row whose index is greater than idx (or equal, with inclusive); rows when none. */
static size_t table_lower(struct mib *m, const struct table *t, const oid *idx, size_t ilen,
			  bool inclusive)
{
	size_t lo = 0, hi = table_rows(m, t);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		oid row[1 + FULCRUM_NAME_MAX];
		size_t rlen = table_index(m, t, mid, row);
		int c = snmp_oid_compare(row, rlen, idx, ilen);

		if (c > 0 || (inclusive && c == 0))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int table_value(struct mib *m, const struct table *t, size_t i, unsigned col,
		       struct mib_value *v)
{
	size_t n;

	if (t->arc == MIB_VS_TABLE)
		return vs_value(m, store_vs_all(m->p.store, &n)[i], col, v);
	if (t->arc == MIB_RS_TABLE)
		return rs_value(m, store_rs_all(m->p.store, 0, &n)[i], col, v);
	if (t->arc == MIB_VIP_TABLE)
		return vip_value(m, store_vip_all(m->p.store, &n)[i], col, v);
	if (t->arc == MIB_REJECT_TABLE)
		return mib_ha_reject_value(m, i, col, v);
	if (col != NAME_ID)
		return -ENOKEY;
	mib_val_uns(v, ASN_UNSIGNED, (uint64_t)m->by_name[i]->id);
	return 0;
}

/* Builds R.1.a.b (len MIB_ROOT_LEN + 3) into out. */
static size_t prefix3(oid *out, unsigned a, unsigned b, unsigned c)
{
	memcpy(out, mib_root, sizeof(mib_root));
	out[MIB_ROOT_LEN] = MIB_OBJECTS_ARC;
	out[MIB_ROOT_LEN + 1] = a;
	out[MIB_ROOT_LEN + 2] = b;
	out[MIB_ROOT_LEN + 3] = c;
	return MIB_ROOT_LEN + 4;
}

/* True when name starts with prefix (plen sub-ids). */
static bool has_prefix(const oid *name, size_t len, const oid *prefix, size_t plen)
{
	return len >= plen && snmp_oid_compare(name, plen, prefix, plen) == 0;
}

/* GETNEXT within one table column: the first instance after name, or -ENOENT. */
static int column_next(struct mib *m, const struct table *t, unsigned col, const oid *name,
		       size_t len, oid *out, size_t *outlen, struct mib_value *val)
{
	size_t plen = prefix3(out, t->arc, 1, col), i;

	if (has_prefix(name, len, out, plen))
		i = table_lower(m, t, name + plen, len - plen, false);
	else if (snmp_oid_compare(name, len, out, plen) < 0)
		i = 0;
	else
		return -ENOENT;
	for (; i < table_rows(m, t); i++) {
		size_t ilen = table_index(m, t, i, out + plen);

		if (ilen == 0 || table_value(m, t, i, col, val) != 0)
			continue;
		*outlen = plen + ilen;
		return 0;
	}
	return -ENOENT;
}

/* Scalars of group arc: sub 1..last, instance .0. */
static int scalar_value(struct mib *m, unsigned arc, unsigned sub, struct mib_value *v)
{
	if (arc == MIB_CLUSTER)
		return mib_ha_value(m, sub, v);
	return arc == MIB_DIRECTOR ? director_value(m, sub, v) : notifyctl_value(m, sub, v);
}

/* The arcs of scalar groups, and their last sub-identifier; 0 for a table's arc. */
static unsigned scalar_last(unsigned arc)
{
	switch (arc) {
	case MIB_DIRECTOR:
		return MIB_DIRECTOR_LAST;
	case MIB_NOTIFYCTL:
		return COMMAND_NOTIFY_COUNT;
	case MIB_CLUSTER:
		return MIB_CLUSTER_LAST;
	}
	return 0;
}

/*
 * Where a GETNEXT of name can start: every object arc below *arc, and every
 * column of table *arc below *col, sorts before name (0: no shortcut). A walk
 * asks for the next of the last instance, so this skips the scan of what came
 * before it.
 */
static void next_start(const oid *name, size_t len, unsigned *arc, unsigned *col)
{
	oid pre[MIB_ROOT_LEN + 4];

	*arc = *col = 0;
	prefix3(pre, 0, 0, 0);
	if (len < MIB_ROOT_LEN + 2 ||
	    snmp_oid_compare(name, MIB_ROOT_LEN + 1, pre, MIB_ROOT_LEN + 1) != 0)
		return;
	if (name[MIB_ROOT_LEN + 1] > MIB_LAST_ARC) {
		*arc = MIB_LAST_ARC + 1; /* after everything */
		return;
	}
	*arc = (unsigned)name[MIB_ROOT_LEN + 1];
	if (scalar_last(*arc))
		return; /* scalars: R.1.arc.sub.0, compared one by one */
	if (len >= MIB_ROOT_LEN + 4 && name[MIB_ROOT_LEN + 2] == 1 &&
	    name[MIB_ROOT_LEN + 3] <= VS_LAST)
		*col = (unsigned)name[MIB_ROOT_LEN + 3];
	else if (len >= MIB_ROOT_LEN + 3 && name[MIB_ROOT_LEN + 2] > 1)
		*arc += 1; /* past this table's entry: the next arc */
}

/* GETNEXT within a scalar group: its first instance after name, or -ENOENT. */
static int scalar_next(struct mib *m, unsigned arc, const oid *name, size_t len, oid *out,
		       size_t *outlen, struct mib_value *val)
{
	for (unsigned s = 1; s <= scalar_last(arc); s++) {
		size_t olen = prefix3(out, arc, s, 0);

		if (snmp_oid_compare(out, olen, name, len) > 0 &&
		    scalar_value(m, arc, s, val) == 0) {
			*outlen = olen;
			return 0;
		}
	}
	return -ENOENT;
}

/* Walks the arcs in order, scalar groups and tables alike, from the first that can follow name. */
static int mib_next(struct mib *m, const oid *name, size_t len, oid *out, size_t *outlen,
		    struct mib_value *val)
{
	unsigned arc, first_col;

	next_start(name, len, &arc, &first_col);
	for (unsigned a = arc ? arc : 1; a <= MIB_LAST_ARC; a++) {
		if (scalar_last(a)) {
			if (scalar_next(m, a, name, len, out, outlen, val) == 0)
				return 0;
			continue;
		}
		for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
			unsigned col = tables[t].arc == arc && first_col > 2 ? first_col : 2;

			if (tables[t].arc != a)
				continue;
			for (; col <= tables[t].last_col; col++)
				if (column_next(m, &tables[t], col, name, len, out, outlen, val) ==
				    0)
					return 0;
		}
	}
	return -ENOENT;
}

/*
 * A row held by createAndWait: its columns as set so far, and RowStatus
 * notInService when it could be made active, notReady when not yet. Only
 * an exact GET sees it; walks show stored rows.
 */
static int pending_value(struct mib *m, unsigned arc, unsigned col, const oid *idx, size_t ilen,
			 struct mib_value *val)
{
	struct mib_pending *p;
	const struct fulcrum_vs *owner;
	struct fulcrum_rs_stored *row;
	bool ready;
	int rc;

	if (((arc == MIB_VS_TABLE || arc == MIB_VIP_TABLE) && ilen != 1) ||
	    (arc == MIB_RS_TABLE && ilen != 2) || arc == MIB_NAME_TABLE || arc == MIB_REJECT_TABLE)
		return -ENOENT;
	p = mib_setvb_pending(m,
			      arc == MIB_RS_TABLE    ? SET_ROW_RS
			      : arc == MIB_VIP_TABLE ? SET_ROW_VIP
						     : SET_ROW_VS,
			      (int64_t)idx[0], arc == MIB_RS_TABLE ? (int64_t)idx[1] : 0);
	if (!p)
		return -ENOENT;
	if (arc == MIB_VIP_TABLE) {
		if (col == VIP_ROW_STATUS) {
			ready = model_vip_validate(&p->vip, NULL) == 0;
			mib_val_int(val, ready ? ROWSTATUS_NOT_IN_SERVICE : ROWSTATUS_NOT_READY);
			return 0;
		}
		return col <= VIP_DESCRIPTION ? vip_value(m, &p->vip, col, val) : -ENOENT;
	}
	if (arc == MIB_VS_TABLE) {
		if (col == VS_ROW_STATUS) {
			ready = model_vs_validate(&p->vs, NULL) == 0;
			mib_val_int(val, ready ? ROWSTATUS_NOT_IN_SERVICE : ROWSTATUS_NOT_READY);
			return 0;
		}
		return col <= VS_DESCRIPTION ? vs_value(m, &p->vs, col, val) : -ENOENT;
	}
	if (col == RS_ROW_STATUS) {
		owner = store_vs_get(m->p.store, p->rs.vs_id);
		ready = owner && model_rs_validate(&p->rs, owner, NULL) == 0;
		mib_val_int(val, ready ? ROWSTATUS_NOT_IN_SERVICE : ROWSTATUS_NOT_READY);
		return 0;
	}
	if (col > RS_DESCRIPTION)
		return -ENOENT;
	/* a row being made is a whole real server: read it as the store's are read */
	row = model_rs_stored_new(&p->rs);
	rc = row ? rs_value(m, row, col, val) : -ENOMEM;
	free(row);
	return rc;
}

static int mib_exact(struct mib *m, const oid *name, size_t len, struct mib_value *val)
{
	oid pre[MIB_OID_MAX];
	unsigned arc, col;
	size_t i;

	prefix3(pre, 0, 0, 0);
	if (!has_prefix(name, len, pre, MIB_ROOT_LEN + 1) || len < MIB_ROOT_LEN + 3)
		return -ENOKEY;
	arc = (unsigned)name[MIB_ROOT_LEN + 1];
	if (scalar_last(arc)) {
		if (scalar_value(m, arc, (unsigned)name[MIB_ROOT_LEN + 2], val) != 0)
			return -ENOKEY;
		return len == MIB_ROOT_LEN + 4 && name[MIB_ROOT_LEN + 3] == 0 ? 0 : -ENOENT;
	}
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		if (tables[t].arc != arc)
			continue;
		if (len < MIB_ROOT_LEN + 5 || name[MIB_ROOT_LEN + 2] != 1)
			return -ENOKEY;
		col = (unsigned)name[MIB_ROOT_LEN + 3];
		if (col < 2 || col > tables[t].last_col)
			return -ENOKEY;
		i = table_lower(m, &tables[t], name + MIB_ROOT_LEN + 4, len - MIB_ROOT_LEN - 4,
				true);
		if (i < table_rows(m, &tables[t])) {
			oid idx[1 + FULCRUM_NAME_MAX];
			size_t ilen = table_index(m, &tables[t], i, idx);

			if (snmp_oid_compare(idx, ilen, name + MIB_ROOT_LEN + 4,
					     len - MIB_ROOT_LEN - 4) == 0)
				return table_value(m, &tables[t], i, col, val) == 0 ? 0 : -ENOENT;
		}
		return pending_value(m, arc, col, name + MIB_ROOT_LEN + 4, len - MIB_ROOT_LEN - 4,
				     val);
	}
	return -ENOKEY;
}

int mib_read(struct mib *m, const oid *name, size_t len, bool next, oid *out, size_t *outlen,
	     struct mib_value *val)
{
	memset(val, 0, offsetof(struct mib_value, s));
	mib_ha_forget(m); /* the failover status is read once for this read */
	if (next)
		return mib_next(m, name, len, out, outlen, val);
	if (len > MIB_OID_MAX)
		return -ENOKEY;
	memcpy(out, name, len * sizeof(*name));
	*outlen = len;
	return mib_exact(m, name, len, val);
}
