/* SETs of FULCRUM-MIB: one PDU is one command, checked in full before it is committed. */
#include "controller/core/ackwait.h"
#include "controller/core/store.h"
#include "controller/lib/log.h"
#include "controller/model/model.h"
#include "mib/mib-set.h"

#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* createAndWait rows older than this are dropped (RFC 2579 suggests a few minutes). */
#define MIB_PENDING_MAX_AGE 300

/*
 * How long a SET waits for another process's database lock. snmpd gives a
 * subagent one second (agentXTimeout) before it retries, and the loop must
 * not stall: a SET that finds the database locked longer is refused
 * (resourceUnavailable, or commitFailed in the commit phase).
 */
#define MIB_DB_BUSY_MS 300

void mib_set_free(struct mib *m)
{
	struct mib_set *s = m->set;

	if (!s)
		return;
	free(s->vb);
	free(s->rows);
	free(s->ops);
	free(s->op_from);
	free(s);
	m->set = NULL;
}

int mib_set_reserve(struct mib *m, netsnmp_request_info *requests, netsnmp_request_info **bad)
{
	struct mib_set *s;
	size_t n = 0;

	mib_set_free(m);
	m->refuse_why[0] = '\0';
	for (netsnmp_request_info *r = requests; r; r = r->next)
		n++;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->vb = calloc(n ? n : 1, sizeof(*s->vb)))) {
		free(s);
		*bad = requests;
		return SNMP_ERR_RESOURCEUNAVAILABLE;
	}
	m->set = s;
	s->gen = ++m->set_gen;
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		struct set_vb *vb = &s->vb[s->nvb++];
		int rc = mib_setvb_parse(m, r, vb);

		if (rc != SNMP_ERR_NOERROR) {
			*bad = r;
			return rc;
		}
	}
	return SNMP_ERR_NOERROR;
}

/* Groups the varbinds into rows (one per table and index). */
static int rows_group(struct mib_set *s)
{
	s->rows = calloc(s->nvb ? s->nvb : 1, sizeof(*s->rows));
	if (!s->rows)
		return -ENOMEM;
	for (size_t i = 0; i < s->nvb; i++) {
		struct set_vb *vb = &s->vb[i];
		struct set_row *row = NULL;

		if (vb->kind == SET_ROW_NOTIFY || vb->kind == SET_ROW_HA)
			continue; /* scalars: no row */
		for (size_t k = 0; k < s->nrows && !row; k++)
			if (s->rows[k].kind == vb->kind && s->rows[k].vs_id == vb->vs_id &&
			    s->rows[k].rs_id == vb->rs_id)
				row = &s->rows[k];
		if (!row) {
			row = &s->rows[s->nrows++];
			row->kind = vb->kind;
			row->vs_id = vb->vs_id;
			row->rs_id = vb->rs_id;
			row->first = i;
		}
		if (vb->col == mib_setvb_status_col(vb->kind))
			row->status = vb;
	}
	return 0;
}

/* Builds an address from an InetAddressType and its octets; false when they disagree. */
static bool addr_build(long type, const u_char *s, size_t len, struct fulcrum_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (type == 0 && len == 0) {
		out->family = AF_UNSPEC;
		return true;
	}
	if (type == 1 && len == 4) {
		out->family = AF_INET;
		memcpy(&out->u.v4, s, 4);
		return true;
	}
	if (type == 2 && len == 16) {
		out->family = AF_INET6;
		memcpy(&out->u.v6, s, 16);
		return true;
	}
	return false;
}

static long addr_type_of(const struct fulcrum_addr *a)
{
	return a->family == AF_INET ? 1 : a->family == AF_INET6 ? 2 : 0;
}

/* The new address of a row from its AddressType and Address varbinds; NULL vb when fine. */
static struct set_vb *row_addr(struct mib_set *s, struct set_row *row, unsigned type_col,
			       unsigned addr_col, struct fulcrum_addr *addr, bool *changed)
{
	struct set_vb *tvb = NULL, *avb = NULL;
	long type = addr_type_of(addr);
	u_char bytes[16];
	size_t len = type == 1 ? 4 : type == 2 ? 16 : 0;

	memcpy(bytes, &addr->u, len);
	for (size_t i = row->first; i < s->nvb; i++) {
		struct set_vb *vb = &s->vb[i];

		if (vb->kind != row->kind || vb->vs_id != row->vs_id || vb->rs_id != row->rs_id)
			continue;
		if (vb->col == type_col)
			tvb = vb;
		else if (vb->col == addr_col)
			avb = vb;
	}
	*changed = tvb || avb;
	if (!*changed)
		return NULL;
	if (tvb)
		type = tvb->v.i;
	if (avb) {
		len = avb->v.len;
		memcpy(bytes, avb->v.s, len);
	}
	if (!addr_build(type, bytes, len, addr))
		return avb ? avb : tvb;
	return NULL;
}

/* The row's varbind of column col, or NULL. */
static struct set_vb *row_vb(struct mib_set *s, const struct set_row *row, unsigned col)
{
	for (size_t i = row->first; i < s->nvb; i++) {
		struct set_vb *vb = &s->vb[i];

		if (vb->kind == row->kind && vb->vs_id == row->vs_id && vb->rs_id == row->rs_id &&
		    vb->col == col)
			return vb;
	}
	return NULL;
}

/* Sets field f of the row's object to text through the model's setter; err says why not. */
static int row_set(struct set_row *row, const char *f, const char *text, struct fulcrum_err *err)
{
	switch (row->kind) {
	case SET_ROW_VS:
		return model_vs_set_field(&row->vs, f, text, err);
	case SET_ROW_RS:
		return model_rs_set_field(&row->rs, f, text, err);
	case SET_ROW_VIP:
		return model_vip_set_field(&row->vip, f, text, err);
	case SET_ROW_NOTIFY:
	case SET_ROW_HA:
		break;
	}
	return model_err_set(err, FULCRUM_ERR_INVALID, f, "a switch has no fields");
}

/* Where a row's object keeps what row_apply() needs: its address's columns and its last field. */
struct row_layout {
	unsigned tcol, acol, last, admin; /* admin: 0 when it has no admin state */
	struct fulcrum_addr *addr;
	const char *what;
};

static struct row_layout row_layout(struct set_row *row)
{
	switch (row->kind) {
	case SET_ROW_VS:
		return (struct row_layout){VS_ADDRESS_TYPE, VS_ADDRESS,    VS_DESCRIPTION,
					   VS_ADMIN_STATE,  &row->vs.addr, "service"};
	case SET_ROW_RS:
		return (struct row_layout){RS_ADDRESS_TYPE, RS_ADDRESS,    RS_DESCRIPTION,
					   RS_ADMIN_STATE,  &row->rs.addr, "real server"};
	case SET_ROW_VIP:
	case SET_ROW_NOTIFY:
	case SET_ROW_HA:
		break;
	}
	return (struct row_layout){VIP_ADDRESS_TYPE, VIP_ADDRESS, VIP_DESCRIPTION, 0,
				   &row->vip.addr,   "VIP"};
}

/*
 * Sets the row's varbinds on its object through the model's field setters,
 * the ones the API and fulcrumctl use, so that each rule coupling fields (an
 * address sets the family, a family moves a whole-address persistence
 * netmask, forwarding decides the tunnel fields) is written once, in the
 * model. The address first (its type and octets make one value), then the
 * columns in the MIB's order, which is the model's: forwarding before the
 * tunnel fields. Returns NULL, or the varbind at fault with *status
 * (inconsistentValue: an address and its type disagree; wrongValue: the
 * model refused the value) and err saying why.
 */
static struct set_vb *row_apply(struct mib_set *s, struct set_row *row, int *status,
				struct fulcrum_err *err)
{
	struct row_layout l = row_layout(row);
	bool vs = row->kind == SET_ROW_VS, addr_changed, admin_set = false;
	unsigned tcol = l.tcol, acol = l.acol, last = l.last;
	struct fulcrum_addr addr = *l.addr;
	char text[512], a[MODEL_ADDR_STRLEN];
	struct set_vb *bad = row_addr(s, row, tcol, acol, &addr, &addr_changed);
	const char *what = l.what;

	*status = SNMP_ERR_WRONGVALUE;
	if (bad) {
		*status = SNMP_ERR_INCONSISTENTVALUE;
		model_err_set(err, FULCRUM_ERR_INVALID, "address",
			      "%s address: the address and its type disagree", what);
		return bad;
	}
	if (addr_changed &&
	    row_set(row, "address",
		    addr.family == AF_UNSPEC ? "none" : model_addr_format(&addr, a, sizeof(a)),
		    err) != 0)
		return row_vb(s, row, acol) ? row_vb(s, row, acol) : row_vb(s, row, tcol);
	for (unsigned col = 1; col <= last; col++) {
		struct set_vb *vb = col == tcol || col == acol ? NULL : row_vb(s, row, col);
		const char *f = vb ? mib_setvb_field(vb->kind, col) : NULL;
		const char *t;

		if (!f)
			continue;
		if (!(t = mib_setvb_text(vb, text, sizeof(text)))) {
			model_err_set(err, FULCRUM_ERR_INVALID, f, "%s %s: a NUL byte is no text",
				      what, f);
			return vb;
		}
		if (row_set(row, f, t, err) != 0)
			return vb;
		admin_set |= l.admin && col == l.admin;
	}
	if (vs && row_vb(s, row, VS_STATS_RESET) && row_vb(s, row, VS_STATS_RESET)->v.i == 2)
		row->reset = true;
	/* RowStatus active / notInService on a stored row is the admin state, unless set too */
	if (row->status && row->was == WAS_STORED && !admin_set && l.admin) {
		bool off = row->status->v.i == ROWSTATUS_NOT_IN_SERVICE;

		if (vs)
			row->vs.admin_state = off ? FULCRUM_VS_DISABLED : FULCRUM_VS_ENABLED;
		else if (off)
			row->rs.admin_state = FULCRUM_RS_DISABLED;
		else if (row->rs.admin_state == FULCRUM_RS_DISABLED)
			row->rs.admin_state = FULCRUM_RS_ENABLED;
	}
	return NULL;
}

/* Where the row stands before the SET, and its object as stored or held. */
static void row_load(struct mib *m, struct set_row *row)
{
	struct mib_pending *p = mib_setvb_pending(m, row->kind, row->vs_id, row->rs_id);

	if (row->kind == SET_ROW_VIP) {
		const struct fulcrum_vip *vip = store_vip_get(m->p.store, row->vs_id);

		row->was = vip ? WAS_STORED : p ? WAS_PENDING : WAS_ABSENT;
		if (vip)
			row->vip = *vip;
		else if (p)
			row->vip = p->vip;
		else {
			model_vip_init(&row->vip);
			row->vip.id = row->vs_id;
		}
		row->vip_old = row->vip;
		return;
	}
	if (row->kind == SET_ROW_VS) {
		const struct fulcrum_vs *vs = store_vs_get(m->p.store, row->vs_id);

		row->was = vs ? WAS_STORED : p ? WAS_PENDING : WAS_ABSENT;
		if (vs)
			row->vs = *vs;
		else if (p)
			row->vs = p->vs;
		else {
			model_vs_init(&row->vs);
			row->vs.id = row->vs_id;
		}
		row->vs_old = row->vs;
		return;
	}
	row->was = mib_setvb_rs_stored(m, row->vs_id, row->rs_id) ? WAS_STORED
		   : p                                            ? WAS_PENDING
								  : WAS_ABSENT;
	if (row->was == WAS_STORED)
		model_rs_copy(&row->rs, store_rs_get(m->p.store, row->rs_id));
	else if (p)
		row->rs = p->rs;
	else {
		model_rs_init(&row->rs);
		row->rs.vs_id = row->vs_id;
		row->rs.id = row->rs_id;
	}
	row->rs_old = row->rs;
}

/* The row's kind and index in words, for a refusal's reason ("service 3", "real server 3/5"). */
static const char *row_what(const struct set_row *row, char *buf, size_t len)
{
	if (row->kind == SET_ROW_RS)
		snprintf(buf, len, "real server %" PRId64 "/%" PRId64, row->vs_id, row->rs_id);
	else
		snprintf(buf, len, "%s %" PRId64, row->kind == SET_ROW_VS ? "service" : "VIP",
			 row->vs_id);
	return buf;
}

static const char *rowstatus_name(long st)
{
	static const char *const n[] = {"none",        "active(1)",      "notInService(2)",
					"notReady(3)", "createAndGo(4)", "createAndWait(5)",
					"destroy(6)"};
	return st >= 0 && st <= 6 ? n[st] : "?";
}

/* What RowStatus asks of the row, by RFC 2579's rules; an SNMP error status. */
static int row_decide(struct mib *m, struct set_row *row)
{
	long st = row->status ? row->status->v.i : 0;
	char w[64];

	switch (row->was) {
	case WAS_STORED:
		if (st == ROWSTATUS_CREATE_AND_GO || st == ROWSTATUS_CREATE_AND_WAIT) {
			mib_refuse_why(m,
				       "%s of %s, which exists (RFC 2579: creation only of a "
				       "row that does not)",
				       rowstatus_name(st), row_what(row, w, sizeof(w)));
			return SNMP_ERR_INCONSISTENTVALUE; /* the row exists */
		}
		if (st == ROWSTATUS_NOT_IN_SERVICE && row->kind == SET_ROW_VIP) {
			mib_refuse_why(m,
				       "notInService(2) of %s: a VIP cannot be taken out of "
				       "service, only destroyed",
				       row_what(row, w, sizeof(w)));
			return SNMP_ERR_WRONGVALUE; /* RFC 2579: a row that cannot be taken out */
		}
		row->does = st == ROWSTATUS_DESTROY ? DOES_DELETE : DOES_UPDATE;
		return SNMP_ERR_NOERROR;
	case WAS_PENDING:
		if (st == ROWSTATUS_CREATE_AND_GO || st == ROWSTATUS_CREATE_AND_WAIT) {
			mib_refuse_why(m, "%s of %s, which waits already (createAndWait)",
				       rowstatus_name(st), row_what(row, w, sizeof(w)));
			return SNMP_ERR_INCONSISTENTVALUE;
		}
		row->does = st == ROWSTATUS_ACTIVE    ? DOES_CREATE
			    : st == ROWSTATUS_DESTROY ? DOES_FORGET
						      : DOES_WAIT;
		return SNMP_ERR_NOERROR;
	case WAS_ABSENT:
		break;
	}
	switch (st) {
	case ROWSTATUS_CREATE_AND_GO:
		row->does = DOES_CREATE;
		return SNMP_ERR_NOERROR;
	case ROWSTATUS_CREATE_AND_WAIT:
		row->does = DOES_WAIT;
		/* the command checks the index of a creation; a held row is checked here */
		if (row->kind == SET_ROW_VS    ? row->vs_id < store_vs_next_id(m->p.store)
		    : row->kind == SET_ROW_VIP ? row->vs_id < store_vip_next_id(m->p.store)
					       : row->rs_id < store_rs_next_id(m->p.store)) {
			mib_refuse_why(m,
				       "createAndWait(5) of %s: the index was used before "
				       "(ids are never reused; see the NextId scalars)",
				       row_what(row, w, sizeof(w)));
			return SNMP_ERR_INCONSISTENTNAME;
		}
		return SNMP_ERR_NOERROR;
	case ROWSTATUS_DESTROY:
		row->does = DOES_NOTHING; /* destroying what is not there: done */
		return SNMP_ERR_NOERROR;
	case 0:
		mib_refuse_why(m,
			       "%s does not exist: a column of no row needs createAndGo(4) "
			       "or createAndWait(5) in its RowStatus",
			       row_what(row, w, sizeof(w)));
		return SNMP_ERR_INCONSISTENTNAME; /* a column of no row, without createAnd* */
	}
	mib_refuse_why(m, "%s of %s, which does not exist", rowstatus_name(st),
		       row_what(row, w, sizeof(w)));
	return SNMP_ERR_INCONSISTENTVALUE; /* active / notInService of no row */
}

/* The command's op for a row, or false when the row makes none. */
static bool row_op(const struct set_row *row, struct command_op *op)
{
	/* by what the row does: create, update, delete; of a service, real server, VIP */
	static const enum command_op_kind kinds[3][3] = {
	    {COMMAND_VS_CREATE, COMMAND_VS_UPDATE, COMMAND_VS_DELETE},
	    {COMMAND_RS_CREATE, COMMAND_RS_UPDATE, COMMAND_RS_DELETE},
	    {COMMAND_VIP_CREATE, COMMAND_VIP_UPDATE, COMMAND_VIP_DELETE},
	};
	int does = row->does == DOES_CREATE   ? 0
		   : row->does == DOES_UPDATE ? 1
		   : row->does == DOES_DELETE ? 2
					      : -1;
	int kind = row->kind == SET_ROW_VS ? 0 : row->kind == SET_ROW_RS ? 1 : 2;

	memset(op, 0, sizeof(*op));
	if (does < 0 || row->kind == SET_ROW_NOTIFY || row->kind == SET_ROW_HA)
		return false;
	op->kind = kinds[kind][does];
	op->vs = row->vs;
	op->rs = row->rs;
	op->vip = row->vip;
	return true;
}

/*
 * The order of a batch: services made first, real servers next, their
 * deletions last; then VIPs, whose deletions come first, so that one PDU
 * can move an address from one row to another.
 */
#define OP_RANKS 9
static int op_rank(enum command_op_kind k)
{
	switch (k) {
	case COMMAND_VS_CREATE:
		return 0;
	case COMMAND_VS_UPDATE:
		return 1;
	case COMMAND_RS_CREATE:
		return 2;
	case COMMAND_RS_UPDATE:
		return 3;
	case COMMAND_RS_DELETE:
		return 4;
	case COMMAND_VS_DELETE:
		return 5;
	case COMMAND_VIP_DELETE:
		return 6;
	case COMMAND_VIP_UPDATE:
		return 7;
	case COMMAND_VIP_CREATE:
		return 8;
	case COMMAND_NOTIFY_SET:
		break;
	}
	return OP_RANKS;
}

static int ops_build(struct mib_set *s)
{
	size_t cap = s->nrows + COMMAND_NOTIFY_COUNT * s->nvb + 1;

	s->ops = calloc(cap, sizeof(*s->ops));
	s->op_from = calloc(cap, sizeof(*s->op_from));
	if (!s->ops || !s->op_from)
		return -ENOMEM;
	for (int rank = 0; rank < OP_RANKS; rank++)
		for (size_t i = 0; i < s->nrows; i++) {
			struct command_op op;

			if (row_op(&s->rows[i], &op) && op_rank(op.kind) == rank) {
				s->op_from[s->nops] = (struct set_op_from){.index = i};
				s->ops[s->nops++] = op;
			}
		}
	for (size_t i = 0; i < s->nvb; i++) {
		struct command_op *op = &s->ops[s->nops];

		if (s->vb[i].kind != SET_ROW_NOTIFY)
			continue;
		memset(op, 0, sizeof(*op));
		op->kind = COMMAND_NOTIFY_SET;
		op->notify = (enum command_notify)(s->vb[i].rs_id - 1);
		op->enabled = s->vb[i].v.i == 1;
		s->op_from[s->nops++] = (struct set_op_from){.scalar = true, .index = i};
	}
	return 0;
}

/* The varbind to blame for the command's error on op failed, and the status to answer. */
static int blame(struct mib_set *s, size_t failed, const struct fulcrum_err *e, bool commit,
		 netsnmp_request_info **bad)
{
	int status;
	const struct set_row *row;
	bool found = false;

	switch (e->status) {
	case FULCRUM_ERR_INVALID:
		status =
		    strcmp(e->field, "id") == 0 ? SNMP_ERR_INCONSISTENTNAME : SNMP_ERR_WRONGVALUE;
		break;
	case FULCRUM_ERR_CONFLICT:
		status = SNMP_ERR_INCONSISTENTVALUE;
		break;
	case FULCRUM_ERR_NOTFOUND:
		status = SNMP_ERR_INCONSISTENTNAME;
		break;
	case FULCRUM_ERR_UNAVAILABLE: /* a standby: the whole SET, in the check phase */
		status = commit ? SNMP_ERR_COMMITFAILED : SNMP_ERR_RESOURCEUNAVAILABLE;
		break;
	default:
		status = commit ? SNMP_ERR_COMMITFAILED : SNMP_ERR_RESOURCEUNAVAILABLE;
		break;
	}
	*bad = s->vb[0].req;
	if (failed >= s->nops)
		return status;
	if (s->op_from[failed].scalar) {
		*bad = s->vb[s->op_from[failed].index].req;
		return status;
	}
	row = &s->rows[s->op_from[failed].index];
	*bad = row->status ? row->status->req : s->vb[row->first].req;
	for (size_t i = row->first; i < s->nvb && e->field[0]; i++) {
		const struct set_vb *vb = &s->vb[i];
		const char *f = mib_setvb_field(vb->kind, vb->col);

		if (vb->kind == row->kind && vb->vs_id == row->vs_id && vb->rs_id == row->rs_id &&
		    f && strcmp(f, e->field) == 0) {
			*bad = vb->req;
			found = true;
			break;
		}
	}
	/* a rule broken by values this SET did not give: the row as a whole is inconsistent */
	if (!found && status == SNMP_ERR_WRONGVALUE)
		status = SNMP_ERR_INCONSISTENTVALUE;
	return status;
}

/*
 * fulcrumVsStatsReset = reset(2) of a service the kernel does not hold:
 * inconsistentValue, as the API's reset answers 409 (the same check).
 */
static int row_reset_check(struct mib *m, struct mib_set *s, const struct set_row *row,
			   netsnmp_request_info **bad)
{
	bool can;

	if (!row->reset)
		return SNMP_ERR_NOERROR;
	can = m->p.resettable ? m->p.resettable(m->p.reset_arg, row->vs_id) : m->p.reset != NULL;
	if (can && row->was == WAS_STORED)
		return SNMP_ERR_NOERROR;
	*bad = row_vb(s, row, VS_STATS_RESET)->req;
	mib_refuse_why(m,
		       "service %" PRId64 " is not in the kernel: no counters to reset "
		       "(see fulcrumVsKernelState)",
		       row->vs_id);
	return SNMP_ERR_INCONSISTENTVALUE;
}

int mib_set_check(struct mib *m, netsnmp_request_info **bad)
{
	struct mib_set *s = m->set;
	unsigned busy;
	struct command_actor actor = {.name = "snmp", .origin = FULCRUM_ORIGIN_SNMP};
	struct fulcrum_err e;
	size_t failed = 0;
	int rc;

	if (!s)
		return SNMP_ERR_GENERR;
	if (rows_group(s) != 0) {
		*bad = s->vb[0].req;
		return SNMP_ERR_RESOURCEUNAVAILABLE;
	}
	/* a director that takes no writes refuses the whole SET first (a failover command alone goes on) */
	for (size_t i = 0; i < s->nvb; i++)
		if (s->vb[i].kind != SET_ROW_HA &&
		    store_writes_check(m->p.store, &actor, &e) != 0) {
			*bad = s->vb[i].req;
			mib_refuse_why(m, "%s", e.message);
			return SNMP_ERR_RESOURCEUNAVAILABLE;
		}
	for (size_t i = 0; i < s->nrows; i++) {
		struct set_row *row = &s->rows[i];
		struct set_vb *wrong;

		row_load(m, row);
		rc = row_decide(m, row);
		if (rc != SNMP_ERR_NOERROR) {
			*bad = row->status ? row->status->req : s->vb[row->first].req;
			return rc;
		}
		if (row->does == DOES_DELETE || row->does == DOES_NOTHING ||
		    row->does == DOES_FORGET)
			continue;
		wrong = row_apply(s, row, &rc, &e);
		if (wrong) {
			*bad = wrong->req;
			mib_refuse_why(m, "%s", e.message);
			return rc;
		}
		rc = row_reset_check(m, s, row, bad);
		if (rc != SNMP_ERR_NOERROR)
			return rc;
	}
	if (ops_build(s) != 0) {
		*bad = s->vb[0].req;
		return SNMP_ERR_RESOURCEUNAVAILABLE;
	}
	rc = mib_ha_set_check(m, s, bad);
	if (rc != SNMP_ERR_NOERROR || s->nops == 0)
		return rc;
	busy = store_busy_timeout(m->p.store, MIB_DB_BUSY_MS);
	rc = store_batch_rehearse(m->p.store, &actor, s->ops, s->nops, &e, &failed);
	store_busy_timeout(m->p.store, busy);
	if (rc == 0)
		return SNMP_ERR_NOERROR;
	rc = blame(s, failed, &e, false, bad);
	mib_refuse_why(m, "%s", e.message);
	return rc;
}

/* After the commit: the rows held for createAndWait follow the SET. */
static void pending_apply(struct mib *m, struct mib_set *s)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < s->nrows; i++) {
		struct set_row *row = &s->rows[i];
		struct mib_pending *p = mib_setvb_pending(m, row->kind, row->vs_id, row->rs_id);

		if (row->does == DOES_WAIT) {
			if (!p) {
				struct mib_pending *a =
				    realloc(m->pending, (m->npending + 1) * sizeof(*a));

				if (!a) {
					log_warnx("snmp", "out of memory: a createAndWait row "
							  "is lost");
					continue;
				}
				m->pending = a;
				p = &a[m->npending++];
				memset(p, 0, sizeof(*p));
				p->created = now;
				p->kind = row->kind;
			}
			p->vs = row->vs;
			p->rs = row->rs;
			p->vip = row->vip;
		} else if (p && (row->does == DOES_CREATE || row->does == DOES_FORGET)) {
			*p = m->pending[--m->npending];
		}
	}
}

/*
 * Commit mode sync: the SET's answer waits until the standby holds revision,
 * or the barrier's timeout (repl_sync_timeout) passes and the active goes on
 * alone. The subagent must answer inside its handler, so this blocks the
 * loop; the API's groups that were waiting are answered right after.
 */
static void set_replicate(struct mib *m, int64_t revision)
{
	struct timespec t0, t1;
	bool held;

	if (!m->p.ackwait || ackwait_mode(m->p.ackwait) != ACKWAIT_SYNC)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	held = ackwait_wait_blocking(m->p.ackwait, revision);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("snmp", "SET of revision %" PRId64 ": %s after %ld ms", revision,
		  held ? "held by the standby" : "not held by the standby, answered alone",
		  (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	ackwait_dispatch(m->p.ackwait);
}

int mib_set_action(struct mib *m, netsnmp_request_info **bad)
{
	struct mib_set *s = m->set;
	struct command_actor actor = {.name = "snmp", .origin = FULCRUM_ORIGIN_SNMP};
	struct fulcrum_err e;
	size_t failed = 0;
	int rc;

	if (!s)
		return SNMP_ERR_GENERR;
	if (s->nops > 0) {
		unsigned busy = store_busy_timeout(m->p.store, MIB_DB_BUSY_MS);
		int64_t before = store_revision(m->p.store), revision = 0;

		rc = store_batch(m->p.store, &actor, s->ops, s->nops, 0, &revision, &e, &failed);
		store_busy_timeout(m->p.store, busy);
		if (rc != 0) {
			mib_refuse_why(m, "failed at commit: %s", e.message);
			blame(s, failed, &e, true, bad);
			return SNMP_ERR_COMMITFAILED;
		}
		s->committed = true;
		if (revision > before)
			set_replicate(m, revision);
	}
	pending_apply(m, s);
	for (size_t i = 0; i < s->nrows; i++) {
		int err = s->rows[i].reset && m->p.reset
			      ? m->p.reset(m->p.reset_arg, s->rows[i].vs_id)
			      : 0;

		/* checked before: only a kernel that changed since says no here */
		if (err != 0)
			log_warnx("snmp",
				  "fulcrumVsStatsReset.%" PRId64 ": the counters were not "
				  "reset: %s",
				  s->rows[i].vs_id,
				  err == -ESRCH ? "the service left the kernel" : strerror(-err));
	}
	return SNMP_ERR_NOERROR;
}

/* Another part of the PDU failed after this one committed: put back what can be put back. */
void mib_set_undo(struct mib *m)
{
	struct mib_set *s = m->set;
	struct command_actor actor = {.name = "snmp undo", .origin = FULCRUM_ORIGIN_SNMP};
	struct command_op *undo;
	struct fulcrum_err e;
	size_t n = 0;

	if (s)
		mib_ha_undo(m, s);
	if (!s || !s->committed)
		return;
	undo = calloc(s->nops, sizeof(*undo));
	if (!undo) {
		log_errx("snmp", "cannot undo a SET: out of memory");
		return;
	}
	for (size_t i = s->nops; i-- > 0;) {
		struct command_op *op = &s->ops[i], *u = &undo[n];
		const struct set_row *row =
		    s->op_from[i].scalar ? NULL : &s->rows[s->op_from[i].index];

		memset(u, 0, sizeof(*u));
		u->vs = op->vs;
		u->rs = op->rs;
		u->vip = op->vip;
		if (op->kind == COMMAND_VS_CREATE)
			u->kind = COMMAND_VS_DELETE;
		else if (op->kind == COMMAND_RS_CREATE)
			u->kind = COMMAND_RS_DELETE;
		else if (op->kind == COMMAND_VIP_CREATE)
			u->kind = COMMAND_VIP_DELETE;
		else if (op->kind == COMMAND_VIP_UPDATE && row) {
			u->kind = COMMAND_VIP_UPDATE;
			u->vip = row->vip_old;
		} else if (op->kind == COMMAND_VS_UPDATE && row) {
			u->kind = COMMAND_VS_UPDATE;
			u->vs = row->vs_old;
		} else if (op->kind == COMMAND_RS_UPDATE && row) {
			u->kind = COMMAND_RS_UPDATE;
			u->rs = row->rs_old;
		} else if (op->kind == COMMAND_NOTIFY_SET) {
			u->kind = COMMAND_NOTIFY_SET;
			u->notify = op->notify;
			u->enabled = !op->enabled;
		} else {
			log_errx("snmp",
				 "cannot undo the deletion of %s %lld: ids are never reused",
				 op->kind == COMMAND_VS_DELETE    ? "service"
				 : op->kind == COMMAND_VIP_DELETE ? "VIP"
								  : "real server",
				 (long long)(op->kind == COMMAND_VS_DELETE    ? op->vs.id
					     : op->kind == COMMAND_VIP_DELETE ? op->vip.id
									      : op->rs.id));
			continue;
		}
		n++;
	}
	if (n && store_batch(m->p.store, &actor, undo, n, 0, NULL, &e, NULL) != 0)
		log_errx("snmp", "cannot undo a SET: %s", e.message);
	free(undo);
}

void mib_pending_expire(struct mib *m, time_t now)
{
	for (size_t i = 0; i < m->npending;) {
		if (now - m->pending[i].created > MIB_PENDING_MAX_AGE) {
			log_info("snmp", "dropped a createAndWait row left waiting over %d s",
				 MIB_PENDING_MAX_AGE);
			m->pending[i] = m->pending[--m->npending];
		} else {
			i++;
		}
	}
}
