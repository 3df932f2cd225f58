/* SETs of FULCRUM-MIB: reading each varbind (which object, which row, a value of the right type). */
#include "controller/core/store.h"
#include "controller/model/model.h"
#include "mib/mib-set.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool writable_vs(unsigned col)
{
	return (col >= VS_NAME && col <= VS_DESCRIPTION) || col == VS_STATS_RESET ||
	       col == VS_ROW_STATUS;
}

static bool writable_rs(unsigned col)
{
	return (col >= RS_ADDRESS_TYPE && col <= RS_DESCRIPTION) || col == RS_ROW_STATUS;
}

static bool writable_vip(unsigned col)
{
	return (col >= VIP_ADDRESS_TYPE && col <= VIP_DESCRIPTION) || col == VIP_ROW_STATUS;
}

/* The model's field name of a column, to match the command's errors with varbinds. */
static const char *vs_field(unsigned col)
{
	static const char *const f[] = {
	    [VS_NAME] = "name",
	    [VS_FAMILY] = "family",
	    [VS_ADDRESS_TYPE] = "address",
	    [VS_ADDRESS] = "address",
	    [VS_PORT] = "port",
	    [VS_PROTOCOL] = "protocol",
	    [VS_FWMARK] = "fwmark",
	    [VS_SCHEDULER] = "scheduler",
	    [VS_SCHEDULER_FLAGS] = "scheduler_flags",
	    [VS_PERSISTENCE_TIMEOUT] = "persistence_timeout",
	    [VS_PERSISTENCE_NETMASK] = "persistence_netmask",
	    [VS_ONE_PACKET] = "one_packet",
	    [VS_ADMIN_STATE] = "admin_state",
	    [VS_DESCRIPTION] = "description",
	};
	return col < sizeof(f) / sizeof(f[0]) ? f[col] : NULL;
}

static const char *rs_field(unsigned col)
{
	static const char *const f[] = {
	    [RS_ADDRESS_TYPE] = "address",
	    [RS_ADDRESS] = "address",
	    [RS_PORT] = "port",
	    [RS_FORWARDING] = "forwarding",
	    [RS_TUNNEL_TYPE] = "tunnel_type",
	    [RS_TUNNEL_PORT] = "tunnel_port",
	    [RS_WEIGHT] = "weight",
	    [RS_UPPER_THRESHOLD] = "upper_threshold",
	    [RS_LOWER_THRESHOLD] = "lower_threshold",
	    [RS_ADMIN_STATE] = "admin_state",
	    [RS_DESCRIPTION] = "description",
	};
	return col < sizeof(f) / sizeof(f[0]) ? f[col] : NULL;
}

static const char *vip_field(unsigned col)
{
	static const char *const f[] = {
	    [VIP_ADDRESS_TYPE] = "address",    [VIP_ADDRESS] = "address",
	    [VIP_PREFIX_LENGTH] = "prefix",    [VIP_INTERFACE] = "interface",
	    [VIP_DESCRIPTION] = "description",
	};
	return col < sizeof(f) / sizeof(f[0]) ? f[col] : NULL;
}

enum vtype { V_INT, V_UNS, V_STR };

/* The type, and bounds (lengths for strings), a writable column takes. */
struct coltype {
	enum vtype t;
	long lo, hi;
};

static struct coltype vs_type(unsigned col)
{
	switch (col) {
	case VS_NAME:
		return (struct coltype){V_STR, 1, FULCRUM_NAME_MAX};
	case VS_FAMILY:
		return (struct coltype){V_INT, 1, 2};
	case VS_ADDRESS_TYPE:
		return (struct coltype){V_INT, 0, 2};
	case VS_ADDRESS:
		return (struct coltype){V_STR, 0, 16};
	case VS_PORT:
		return (struct coltype){V_UNS, 0, 65535};
	case VS_PROTOCOL:
		return (struct coltype){V_INT, 1, 132};
	case VS_SCHEDULER:
		return (struct coltype){V_INT, 1, FULCRUM_SCHED_COUNT};
	case VS_SCHEDULER_FLAGS:
		return (struct coltype){V_STR, 0, 1};
	case VS_ONE_PACKET:
	case VS_ADMIN_STATE:
	case VS_STATS_RESET:
		return (struct coltype){V_INT, 1, 2};
	case VS_DESCRIPTION:
		return (struct coltype){V_STR, 0, FULCRUM_DESC_MAX};
	case VS_ROW_STATUS:
		return (struct coltype){V_INT, 1, 6};
	}
	return (struct coltype){V_UNS, 0, 0xffffffffL}; /* fwmark, persistence */
}

static struct coltype rs_type(unsigned col)
{
	switch (col) {
	case RS_ADDRESS_TYPE:
		return (struct coltype){V_INT, 1, 2};
	case RS_ADDRESS:
		return (struct coltype){V_STR, 4, 16};
	case RS_PORT:
	case RS_TUNNEL_PORT:
		return (struct coltype){V_UNS, 0, 65535};
	case RS_FORWARDING:
		return (struct coltype){V_INT, 1, 3};
	case RS_TUNNEL_TYPE:
		return (struct coltype){V_INT, 1, 4};
	case RS_ADMIN_STATE:
		return (struct coltype){V_INT, 1, 3};
	case RS_DESCRIPTION:
		return (struct coltype){V_STR, 0, FULCRUM_DESC_MAX};
	case RS_ROW_STATUS:
		return (struct coltype){V_INT, 1, 6};
	}
	return (struct coltype){V_UNS, 0, 0xffffffffL}; /* weight, thresholds */
}

static struct coltype vip_type(unsigned col)
{
	switch (col) {
	case VIP_ADDRESS_TYPE:
		return (struct coltype){V_INT, 1, 2};
	case VIP_ADDRESS:
		return (struct coltype){V_STR, 4, 16};
	case VIP_INTERFACE:
		return (struct coltype){V_STR, 1, FULCRUM_IFNAME_MAX};
	case VIP_DESCRIPTION:
		return (struct coltype){V_STR, 0, FULCRUM_DESC_MAX};
	case VIP_ROW_STATUS:
		return (struct coltype){V_INT, 1, 6};
	}
	return (struct coltype){V_UNS, 0, 2040}; /* prefix: InetAddressPrefixLength */
}

static const char *vtype_name(enum vtype t)
{
	return t == V_STR ? "OCTET STRING" : t == V_INT ? "INTEGER" : "Unsigned32";
}

/* The object's MIB name of a varbind, for a refusal's reason. */
static const char *vb_object(const netsnmp_variable_list *var)
{
	const char *obj = mib_object_name(var->name, var->name_length, NULL);

	return obj ? obj : "the object";
}

/* Checks a varbind's type, length and range: wrongType, wrongLength or wrongValue, said why. */
static int vb_verify(struct mib *m, const netsnmp_variable_list *var, struct coltype ct,
		     struct mib_value *out)
{
	const char *obj = vb_object(var);

	memset(out, 0, offsetof(struct mib_value, s));
	out->type = var->type;
	if (ct.t == V_STR) {
		if (var->type != ASN_OCTET_STR) {
			mib_refuse_why(m, "%s is OCTET STRING, got %s", obj,
				       mib_type_name(var->type));
			return SNMP_ERR_WRONGTYPE;
		}
		if ((long)var->val_len < ct.lo || (long)var->val_len > ct.hi) {
			mib_refuse_why(m, "%s takes %ld..%ld octets, got %zu", obj, ct.lo, ct.hi,
				       var->val_len);
			return SNMP_ERR_WRONGLENGTH;
		}
		out->len = var->val_len;
		memcpy(out->s, var->val.string, var->val_len);
		return SNMP_ERR_NOERROR;
	}
	if (var->type != (ct.t == V_INT ? ASN_INTEGER : ASN_UNSIGNED) || !var->val.integer) {
		mib_refuse_why(m, "%s is %s, got %s", obj, vtype_name(ct.t),
			       mib_type_name(var->type));
		return SNMP_ERR_WRONGTYPE;
	}
	out->i = *var->val.integer;
	if (ct.t == V_UNS)
		out->i = (long)(unsigned long)(uint32_t)*var->val.integer;
	if (out->i < ct.lo || out->i > ct.hi) {
		mib_refuse_why(m, "%s takes %ld..%ld, got %ld", obj, ct.lo, ct.hi, out->i);
		return SNMP_ERR_WRONGVALUE;
	}
	return SNMP_ERR_NOERROR;
}

/* A refusal of the varbind's name: status, and why in words. */
static int vb_refuse(struct mib *m, const netsnmp_variable_list *var, int status, const char *why)
{
	const char *obj = mib_object_name(var->name, var->name_length, NULL);

	if (status == SNMP_ERR_NOTWRITABLE)
		mib_refuse_why(m, "%s is read-only%s", obj ? obj : "the object", why);
	else if (obj)
		mib_refuse_why(m, "%s: %s", obj, why);
	else
		mib_refuse_why(m, "%s", why);
	return status;
}

/* A writable address column's length: none (0, services only), IPv4 (4) or IPv6 (16). */
static int vb_addr_len(struct mib *m, const struct set_vb *vb, bool none)
{
	size_t len = vb->v.len;

	if ((none && len == 0) || len == 4 || len == 16)
		return SNMP_ERR_NOERROR;
	mib_refuse_why(m, "%s takes %s4 or 16 octets (an IPv4 or IPv6 address), got %zu",
		       vb_object(vb->req->requestvb), none ? "0 (none), " : "", len);
	return SNMP_ERR_WRONGLENGTH;
}

unsigned mib_setvb_status_col(enum set_row_kind kind)
{
	switch (kind) {
	case SET_ROW_VS:
		return VS_ROW_STATUS;
	case SET_ROW_RS:
		return RS_ROW_STATUS;
	case SET_ROW_VIP:
		return VIP_ROW_STATUS;
	case SET_ROW_NOTIFY:
	case SET_ROW_HA:
		break;
	}
	return 0;
}

struct mib_pending *mib_setvb_pending(struct mib *m, enum set_row_kind kind, int64_t vs_id,
				      int64_t rs_id)
{
	for (size_t i = 0; i < m->npending; i++) {
		struct mib_pending *p = &m->pending[i];

		if (p->kind != kind)
			continue;
		if (kind == SET_ROW_RS    ? p->rs.vs_id == vs_id && p->rs.id == rs_id
		    : kind == SET_ROW_VIP ? p->vip.id == vs_id
					  : p->vs.id == vs_id)
			return p;
	}
	return NULL;
}

bool mib_setvb_rs_stored(const struct mib *m, int64_t vs_id, int64_t rs_id)
{
	const struct fulcrum_rs_stored *rs = store_rs_get(m->p.store, rs_id);

	return rs && rs->vs_id == vs_id;
}

/* Reasons of noCreation. */
#define SCALAR_ONLY      "a scalar has one instance, .0, and nothing else can be created"
#define NO_COLUMN        "no column of the table with an index of 1..4294967295 (each part)"
#define READ_ONLY_NO_ROW "a read-only column, of a row that does not exist"

/* Reads one varbind's name: which row and column. Returns an SNMP error status. */
static int vb_read(struct mib *m, netsnmp_request_info *req, struct set_vb *out)
{
	static const oid root[] = {FULCRUM_MIB_ROOT_OID};
	const netsnmp_variable_list *var = req->requestvb;
	const oid *n = var->name;
	size_t len = var->name_length, r = MIB_ROOT_LEN;
	bool exists;
	int rc;

	memset(out, 0, sizeof(*out));
	out->req = req;
	if (len < r + 4 || snmp_oid_compare(n, r, root, r) != 0 || n[r] != MIB_OBJECTS_ARC)
		return vb_refuse(m, var, SNMP_ERR_NOCREATION, "no object of FULCRUM-MIB");
	switch (n[r + 1]) {
	case MIB_DIRECTOR: /* read-only scalars */
		return len == r + 4 && n[r + 3] == 0 && n[r + 2] >= 1 &&
			       n[r + 2] <= MIB_DIRECTOR_LAST
			   ? vb_refuse(m, var, SNMP_ERR_NOTWRITABLE, "")
			   : vb_refuse(m, var, SNMP_ERR_NOCREATION, SCALAR_ONLY);
	case MIB_NOTIFYCTL:
		if (len != r + 4 || n[r + 3] != 0 || n[r + 2] < 1 ||
		    n[r + 2] > COMMAND_NOTIFY_COUNT)
			return vb_refuse(m, var, SNMP_ERR_NOCREATION, SCALAR_ONLY);
		out->kind = SET_ROW_NOTIFY;
		out->rs_id = (int64_t)n[r + 2];
		return vb_verify(m, var, (struct coltype){V_INT, 1, 2}, &out->v);
	case MIB_VS_TABLE:
		if (len != r + 5 || n[r + 2] != 1 || n[r + 4] == 0 || n[r + 4] > 0xffffffffu)
			return vb_refuse(m, var, SNMP_ERR_NOCREATION, NO_COLUMN);
		out->kind = SET_ROW_VS;
		out->col = (unsigned)n[r + 3];
		out->vs_id = (int64_t)n[r + 4];
		exists = store_vs_get(m->p.store, out->vs_id) != NULL;
		if (out->col < 2 || out->col > VS_LAST)
			return vb_refuse(m, var, SNMP_ERR_NOCREATION, NO_COLUMN);
		if (!writable_vs(out->col))
			return vb_refuse(m, var,
					 exists ? SNMP_ERR_NOTWRITABLE : SNMP_ERR_NOCREATION,
					 exists ? "" : READ_ONLY_NO_ROW);
		rc = vb_verify(m, var, vs_type(out->col), &out->v);
		if (rc == SNMP_ERR_NOERROR && out->col == VS_ADDRESS)
			rc = vb_addr_len(m, out, true);
		return rc;
	case MIB_RS_TABLE:
		if (len != r + 6 || n[r + 2] != 1 || n[r + 4] == 0 || n[r + 5] == 0 ||
		    n[r + 4] > 0xffffffffu || n[r + 5] > 0xffffffffu)
			return vb_refuse(m, var, SNMP_ERR_NOCREATION, NO_COLUMN);
		out->kind = SET_ROW_RS;
		out->col = (unsigned)n[r + 3];
		out->vs_id = (int64_t)n[r + 4];
		out->rs_id = (int64_t)n[r + 5];
		exists = mib_setvb_rs_stored(m, out->vs_id, out->rs_id);
		if (out->col < 2 || out->col > RS_LAST)
			return vb_refuse(m, var, SNMP_ERR_NOCREATION, NO_COLUMN);
		if (!writable_rs(out->col))
			return vb_refuse(m, var,
					 exists ? SNMP_ERR_NOTWRITABLE : SNMP_ERR_NOCREATION,
					 exists ? "" : READ_ONLY_NO_ROW);
		rc = vb_verify(m, var, rs_type(out->col), &out->v);
		if (rc == SNMP_ERR_NOERROR && out->col == RS_ADDRESS)
			rc = vb_addr_len(m, out, false);
		return rc;
	case MIB_NAME_TABLE:
	case MIB_REJECT_TABLE:
		return vb_refuse(m, var, SNMP_ERR_NOTWRITABLE, " (a table of read-only columns)");
	case MIB_CLUSTER: /* two commands among read-only scalars */
		if (len != r + 4 || n[r + 3] != 0 || n[r + 2] < 1 || n[r + 2] > MIB_CLUSTER_LAST)
			return vb_refuse(m, var, SNMP_ERR_NOCREATION, SCALAR_ONLY);
		if (n[r + 2] != HA_MAINTENANCE && n[r + 2] != HA_SWITCHOVER)
			return vb_refuse(m, var, SNMP_ERR_NOTWRITABLE, "");
		out->kind = SET_ROW_HA;
		out->col = (unsigned)n[r + 2];
		rc = vb_verify(
		    m, var,
		    (struct coltype){V_INT, out->col == HA_SWITCHOVER ? HA_SWITCHOVER_ASK : 1,
				     out->col == HA_SWITCHOVER ? HA_SWITCHOVER_FORCE : 2},
		    &out->v);
		return rc;
	case MIB_VIP_TABLE:
		if (len != r + 5 || n[r + 2] != 1 || n[r + 4] == 0 || n[r + 4] > 0xffffffffu)
			return vb_refuse(m, var, SNMP_ERR_NOCREATION, NO_COLUMN);
		out->kind = SET_ROW_VIP;
		out->col = (unsigned)n[r + 3];
		out->vs_id = (int64_t)n[r + 4]; /* the VIP's id */
		exists = store_vip_get(m->p.store, out->vs_id) != NULL;
		if (out->col < 2 || out->col > VIP_LAST)
			return vb_refuse(m, var, SNMP_ERR_NOCREATION, NO_COLUMN);
		if (!writable_vip(out->col))
			return vb_refuse(m, var,
					 exists ? SNMP_ERR_NOTWRITABLE : SNMP_ERR_NOCREATION,
					 exists ? "" : READ_ONLY_NO_ROW);
		rc = vb_verify(m, var, vip_type(out->col), &out->v);
		if (rc == SNMP_ERR_NOERROR && out->col == VIP_ADDRESS)
			rc = vb_addr_len(m, out, false);
		return rc;
	}
	return vb_refuse(m, var, SNMP_ERR_NOCREATION, "no object of FULCRUM-MIB that can be set");
}

/* Enumerations the ranges above let through but that name nothing. */
static int vb_enum_verify(struct mib *m, const struct set_vb *vb)
{
	const char *obj = vb_object(vb->req->requestvb);
	enum fulcrum_protocol p;

	if (vb->kind == SET_ROW_VS && vb->col == VS_PROTOCOL &&
	    mib_protocol_from(vb->v.i, &p) != 0) {
		mib_refuse_why(m, "%s takes none(1), tcp(6), udp(17) or sctp(132), got %ld", obj,
			       vb->v.i);
		return SNMP_ERR_WRONGVALUE;
	}
	if (vb->kind == SET_ROW_VS && vb->col == VS_SCHEDULER_FLAGS && vb->v.len == 1 &&
	    (vb->v.s[0] & 0x3f)) {
		mib_refuse_why(m, "%s has the bits fallback(0) and port(1) only", obj);
		return SNMP_ERR_WRONGVALUE; /* bits beyond fallback(0) and port(1) */
	}
	if (vb->kind != SET_ROW_NOTIFY && vb->kind != SET_ROW_HA &&
	    vb->col == mib_setvb_status_col(vb->kind) && vb->v.i == ROWSTATUS_NOT_READY) {
		mib_refuse_why(m, "%s cannot be set to notReady(3) (RFC 2579)", obj);
		return SNMP_ERR_WRONGVALUE;
	}
	return SNMP_ERR_NOERROR;
}

int mib_setvb_parse(struct mib *m, netsnmp_request_info *req, struct set_vb *out)
{
	int rc = vb_read(m, req, out);

	return rc == SNMP_ERR_NOERROR ? vb_enum_verify(m, out) : rc;
}

/* A string value as text: refused when it holds a NUL, which no text of the model can. */
static int vb_string(const struct set_vb *vb, char *buf, size_t len)
{
	if (memchr(vb->v.s, '\0', vb->v.len) || vb->v.len >= len)
		return -EINVAL;
	memcpy(buf, vb->v.s, vb->v.len);
	buf[vb->v.len] = '\0';
	return 0;
}

/* A service column's value as the model's text. */
static const char *vs_text(const struct set_vb *vb, char *buf, size_t len)
{
	enum fulcrum_protocol proto;
	unsigned flags = 0;
	long i = vb->v.i;

	switch (vb->col) {
	case VS_NAME:
	case VS_DESCRIPTION:
		return vb_string(vb, buf, len) == 0 ? buf : NULL;
	case VS_FAMILY:
		return model_family_name(i == 2 ? AF_INET6 : AF_INET);
	case VS_PROTOCOL:
		return mib_protocol_from(i, &proto) == 0 ? model_protocol_name(proto) : NULL;
	case VS_SCHEDULER:
		return model_scheduler_name((enum fulcrum_scheduler)(i - 1));
	case VS_SCHEDULER_FLAGS: /* BITS: fallback(0) port(1) */
		if (vb->v.len && (vb->v.s[0] & 0x80))
			flags |= FULCRUM_SCHED_F_FALLBACK;
		if (vb->v.len && (vb->v.s[0] & 0x40))
			flags |= FULCRUM_SCHED_F_PORT;
		return model_sched_flags_format(flags, buf, len) == 0 ? buf : NULL;
	case VS_ONE_PACKET: /* TruthValue */
		return i == 1 ? "true" : "false";
	case VS_ADMIN_STATE:
		return model_vs_admin_name(i == 2 ? FULCRUM_VS_DISABLED : FULCRUM_VS_ENABLED);
	}
	snprintf(buf, len, "%ld", i); /* port, fwmark, persistence */
	return buf;
}

/* A real server column's value as the model's text. */
static const char *rs_text(const struct set_vb *vb, char *buf, size_t len)
{
	long i = vb->v.i;

	switch (vb->col) {
	case RS_DESCRIPTION:
		return vb_string(vb, buf, len) == 0 ? buf : NULL;
	case RS_FORWARDING:
		return model_forwarding_name((enum fulcrum_forwarding)(i - 1));
	case RS_TUNNEL_TYPE:
		return model_tunnel_name((enum fulcrum_tunnel)(i - 1));
	case RS_ADMIN_STATE:
		return model_rs_admin_name((enum fulcrum_rs_admin)(i - 1));
	}
	snprintf(buf, len, "%ld", i); /* port, tunnel port, weight, thresholds */
	return buf;
}

/* A VIP column's value as the model's text. */
static const char *vip_text(const struct set_vb *vb, char *buf, size_t len)
{
	switch (vb->col) {
	case VIP_INTERFACE:
	case VIP_DESCRIPTION:
		return vb_string(vb, buf, len) == 0 ? buf : NULL;
	}
	snprintf(buf, len, "%ld", vb->v.i); /* prefix */
	return buf;
}

const char *mib_setvb_text(const struct set_vb *vb, char *buf, size_t len)
{
	switch (vb->kind) {
	case SET_ROW_VS:
		return vs_text(vb, buf, len);
	case SET_ROW_RS:
		return rs_text(vb, buf, len);
	case SET_ROW_VIP:
		return vip_text(vb, buf, len);
	case SET_ROW_NOTIFY:
	case SET_ROW_HA:
		break;
	}
	return NULL;
}

const char *mib_setvb_field(enum set_row_kind kind, unsigned col)
{
	switch (kind) {
	case SET_ROW_VS:
		return vs_field(col);
	case SET_ROW_RS:
		return rs_field(col);
	case SET_ROW_VIP:
		return vip_field(col);
	case SET_ROW_NOTIFY:
	case SET_ROW_HA:
		break;
	}
	return NULL;
}
