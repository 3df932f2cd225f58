/* FULCRUM-MIB's notifications, sent through the master agent to its trap sinks. */
#include "controller/core/store.h"
#include "mib/mib-int.h"

#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <string.h>

enum {
	NOTIFY_RS_STATE = 1,
	NOTIFY_VS_AVAILABILITY,
	NOTIFY_CONFIG_CHANGE,
	NOTIFY_ROLE_CHANGE,
	NOTIFY_PEER_STATE,
	NOTIFY_REPL_STATE,
};

static const oid root[] = {FULCRUM_MIB_ROOT_OID};

/* Appends R.1.arc.a.b[.c[.d]] = val to *vars. */
static void add(netsnmp_variable_list **vars, const oid *tail, size_t tlen,
		const struct mib_value *val)
{
	oid name[MIB_OID_MAX];
	u_long u = (u_long)val->i;

	memcpy(name, root, sizeof(root));
	name[MIB_ROOT_LEN] = MIB_OBJECTS_ARC;
	memcpy(name + MIB_ROOT_LEN + 1, tail, tlen * sizeof(*tail));
	if (val->type == ASN_OCTET_STR)
		snmp_varlist_add_variable(vars, name, MIB_ROOT_LEN + 1 + tlen, val->type, val->s,
					  val->len);
	else if (val->type == ASN_COUNTER64)
		snmp_varlist_add_variable(vars, name, MIB_ROOT_LEN + 1 + tlen, val->type, &val->c64,
					  sizeof(val->c64));
	else if (val->type == ASN_INTEGER)
		snmp_varlist_add_variable(vars, name, MIB_ROOT_LEN + 1 + tlen, val->type, &val->i,
					  sizeof(val->i));
	else
		snmp_varlist_add_variable(vars, name, MIB_ROOT_LEN + 1 + tlen, val->type, &u,
					  sizeof(u));
}

/* Reads object R.1.tail through the same code as a GET; false when it is gone. */
static bool add_read(struct mib *m, netsnmp_variable_list **vars, const oid *tail, size_t tlen)
{
	oid name[MIB_OID_MAX], out[MIB_OID_MAX];
	size_t outlen;
	struct mib_value val;

	memcpy(name, root, sizeof(root));
	name[MIB_ROOT_LEN] = MIB_OBJECTS_ARC;
	memcpy(name + MIB_ROOT_LEN + 1, tail, tlen * sizeof(*tail));
	if (mib_read(m, name, MIB_ROOT_LEN + 1 + tlen, false, out, &outlen, &val) != 0)
		return false;
	add(vars, tail, tlen, &val);
	return true;
}

/* Starts a notification's varbinds with snmpTrapOID.0 = R.0.which. */
static netsnmp_variable_list *start(unsigned which)
{
	static const oid trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
	netsnmp_variable_list *vars = NULL;
	oid n[MIB_ROOT_LEN + 2];

	memcpy(n, root, sizeof(root));
	n[MIB_ROOT_LEN] = MIB_NOTIFY_ARC;
	n[MIB_ROOT_LEN + 1] = which;
	snmp_varlist_add_variable(&vars, trap_oid, OID_LENGTH(trap_oid), ASN_OBJECT_ID,
				  (const u_char *)n, sizeof(n));
	return vars;
}

static void notify_send(netsnmp_variable_list *vars)
{
	send_v2trap(vars);
	snmp_free_varbind(vars);
}

void mib_notify_config_change(struct mib *m)
{
	netsnmp_variable_list *vars;
	bool ok = true;

	if (!store_notify_enabled(m->p.store, COMMAND_NOTIFY_CONFIG_CHANGE))
		return;
	vars = start(NOTIFY_CONFIG_CHANGE);
	/*
	 * The revision as fulcrumConfigChangeRevision (Unsigned32), not the
	 * Counter64 fulcrumConfigRevision: net-snmp's snmpd makes an SNMPv1 form
	 * of every notification, whatever its sinks, and a Counter64 varbind
	 * makes it log two warnings per change (RFC 3584 drops such a
	 * notification for a v1 sink).
	 */
	{
		const oid tail[] = {MIB_DIRECTOR, MIB_CONFIG_CHANGE_REVISION, 0};
		const struct mib_value rev = {
		    .type = ASN_UNSIGNED,
		    .i = (long)((uint64_t)store_revision(m->p.store) & 0xffffffffu)};

		add(&vars, tail, 3, &rev);
	}
	for (unsigned s = MIB_CONFIG_LAST_CHANGE; s <= MIB_CONFIG_LAST_ORIGIN && ok; s++) {
		const oid tail[] = {MIB_DIRECTOR, s, 0};

		ok = add_read(m, &vars, tail, 3);
	}
	if (ok)
		notify_send(vars);
	else
		snmp_free_varbind(vars);
}

void mib_notify_oper(void *arg, const struct oper_change *ch)
{
	struct mib *m = arg;
	bool real = ch->real;
	int64_t id = ch->id;
	enum oper_state old = ch->old;
	const struct oper_view *view = ch->view;
	netsnmp_variable_list *vars;
	const struct fulcrum_rs_stored *rs = real ? store_rs_get(m->p.store, id) : NULL;
	int64_t vs_id = real ? (rs ? rs->vs_id : 0) : id;
	bool ok = true;

	/*
	 * An object's first known state being up is no news: at a start every
	 * object leaves unknown, and 100,000 real servers would send as many
	 * notifications. Down, degraded, and up after a known state are sent.
	 */
	if (old == OPER_UNKNOWN && view->state == OPER_UP)
		return;
	if (!m->agent_started || vs_id == 0 ||
	    !store_notify_enabled(m->p.store,
				  real ? COMMAND_NOTIFY_RS_STATE : COMMAND_NOTIFY_VS_AVAILABILITY))
		return;
	vars = start(real ? NOTIFY_RS_STATE : NOTIFY_VS_AVAILABILITY);
	if (real) {
		static const unsigned cols[] = {RS_OPER_STATE, RS_OPER_REASON, RS_ADDRESS_TYPE,
						RS_ADDRESS, RS_PORT};

		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]) && ok; i++) {
			const oid tail[] = {MIB_RS_TABLE, 1, cols[i], (oid)vs_id, (oid)id};

			ok = add_read(m, &vars, tail, 5);
		}
	} else {
		static const unsigned cols[] = {VS_OPER_STATE, VS_OPER_REASON, VS_REALS_UP,
						VS_REALS_TOTAL};

		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]) && ok; i++) {
			const oid tail[] = {MIB_VS_TABLE, 1, cols[i], (oid)vs_id};

			ok = add_read(m, &vars, tail, 4);
		}
	}
	if (ok) {
		const oid tail[] = {MIB_VS_TABLE, 1, VS_NAME, (oid)vs_id};

		ok = add_read(m, &vars, tail, 4);
	}
	if (ok)
		notify_send(vars);
	else
		snmp_free_varbind(vars);
}

/* Appends R.1.arc.sub.0 = val. */
static void add_scalar(netsnmp_variable_list **vars, unsigned arc, unsigned sub,
		       const struct mib_value *val)
{
	const oid tail[] = {arc, sub, 0};

	add(vars, tail, 3, val);
}

/*
 * fulcrumRoleChange: the role and the peer's state (its OBJECTS), then the
 * previous role, the term, the reason and the peer's name, each as of this
 * change (the event's, not what a read would say a moment later).
 */
void mib_role_event(void *arg, const struct status_role_change *ev)
{
	struct mib *m = arg;
	const struct status_cluster *c;
	netsnmp_variable_list *vars;
	struct mib_value v;

	if (!m->agent_started || ev->role == STATUS_ROLE_STANDALONE ||
	    !store_notify_enabled(m->p.store, COMMAND_NOTIFY_ROLE_CHANGE))
		return;
	mib_ha_forget(m);
	c = mib_ha_status(m);
	vars = start(NOTIFY_ROLE_CHANGE);
	mib_val_int(&v, mib_ha_role(ev->role));
	add_scalar(&vars, MIB_DIRECTOR, MIB_ROLE, &v);
	mib_val_int(&v, mib_ha_peer_state(c));
	add_scalar(&vars, MIB_DIRECTOR, MIB_PEER_STATE, &v);
	mib_val_int(&v, mib_ha_role(ev->previous));
	add_scalar(&vars, MIB_CLUSTER, HA_PREVIOUS_ROLE, &v);
	mib_val_uns(&v, ASN_UNSIGNED, ev->term);
	add_scalar(&vars, MIB_CLUSTER, HA_TERM, &v);
	mib_val_str(&v, ev->reason);
	add_scalar(&vars, MIB_CLUSTER, HA_LAST_CHANGE_REASON, &v);
	mib_val_str(&v, ev->peer);
	add_scalar(&vars, MIB_CLUSTER, HA_PEER_NAME, &v);
	notify_send(vars);
}

/* fulcrumPeerStateChange: the peer's new state, its name, its silence, this node's role. */
void mib_peer_event(void *arg, const struct status_peer_change *ev)
{
	struct mib *m = arg;
	const struct status_cluster *c;
	netsnmp_variable_list *vars;
	struct mib_value v;

	if (!m->agent_started || !store_notify_enabled(m->p.store, COMMAND_NOTIFY_PEER_STATE))
		return;
	mib_ha_forget(m);
	c = mib_ha_status(m);
	if (!c->enabled)
		return;
	vars = start(NOTIFY_PEER_STATE);
	mib_val_int(&v, ev->state == STATUS_PEER_ALIVE ? 2 : ev->state == STATUS_PEER_DEAD ? 3 : 4);
	add_scalar(&vars, MIB_DIRECTOR, MIB_PEER_STATE, &v);
	mib_val_str(&v, ev->peer);
	add_scalar(&vars, MIB_CLUSTER, HA_PEER_NAME, &v);
	mib_val_uns(&v, ASN_UNSIGNED, ev->silent_ms);
	add_scalar(&vars, MIB_CLUSTER, HA_PEER_SILENCE, &v);
	mib_val_int(&v, mib_ha_role(c->role));
	add_scalar(&vars, MIB_DIRECTOR, MIB_ROLE, &v);
	notify_send(vars);
}

/*
 * fulcrumReplStateChange: the state, why, the partner, the revisions not
 * acknowledged, all as the change had them, and this node's role now.
 */
void mib_repl_event(void *arg, const struct status_repl_change *ev)
{
	struct mib *m = arg;
	const struct status_cluster *c;
	netsnmp_variable_list *vars;
	struct mib_value v;

	if (!m->agent_started || !store_notify_enabled(m->p.store, COMMAND_NOTIFY_REPL_STATE))
		return;
	mib_ha_forget(m);
	c = mib_ha_status(m);
	if (!c->enabled)
		return;
	vars = start(NOTIFY_REPL_STATE);
	mib_val_int(&v, mib_repl_state(ev->state));
	add_scalar(&vars, MIB_CLUSTER, REPL_STATE, &v);
	mib_val_str(&v, ev->reason);
	add_scalar(&vars, MIB_CLUSTER, REPL_REASON, &v);
	mib_val_str(&v, ev->peer);
	add_scalar(&vars, MIB_CLUSTER, REPL_PEER_NAME, &v);
	mib_val_uns(&v, ASN_GAUGE, ev->lag_revisions > 0 ? (uint64_t)ev->lag_revisions : 0);
	add_scalar(&vars, MIB_CLUSTER, REPL_LAG_REVISIONS, &v);
	mib_val_int(&v, mib_ha_role(c->role));
	add_scalar(&vars, MIB_DIRECTOR, MIB_ROLE, &v);
	notify_send(vars);
}
