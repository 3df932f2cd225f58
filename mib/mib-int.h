/* Inside the subagent: the OID layout of FULCRUM-MIB, values, and the parts the files share. */
#ifndef FULCRUM_MIB_INT_H
#define FULCRUM_MIB_INT_H

#include "controller/model/model-t.h"
#include "mib/mib-root.h"
#include "mib/mib.h"

/* Net-SNMP's headers need its config first: keep these three in this order. */
#include <net-snmp/net-snmp-config.h>

#include <net-snmp/net-snmp-includes.h>

#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The arcs under the root (mib/FULCRUM-MIB.txt). */
#define MIB_ROOT_LEN     FULCRUM_MIB_ROOT_LEN
#define MIB_NOTIFY_ARC   0 /* R.0.N: notifications */
#define MIB_OBJECTS_ARC  1 /* R.1: objects */
#define MIB_DIRECTOR     1 /* R.1.1.N.0 */
#define MIB_NOTIFYCTL    2 /* R.1.2.N.0 */
#define MIB_VS_TABLE     3 /* R.1.3.1.COL.VSID */
#define MIB_RS_TABLE     4 /* R.1.4.1.COL.VSID.RSID */
#define MIB_NAME_TABLE   5 /* R.1.5.1.COL.LEN.CHARS */
#define MIB_VIP_TABLE    6 /* R.1.6.1.COL.VIPID */
#define MIB_CLUSTER      7 /* R.1.7.N.0: failover */
#define MIB_REJECT_TABLE 8 /* R.1.8.1.COL.REASON */
#define MIB_LAST_ARC     MIB_REJECT_TABLE

/* Director scalars. */
enum {
	MIB_NODE_NAME = 1,
	MIB_VERSION,
	MIB_ROLE,
	MIB_PEER_STATE,
	MIB_CONFIG_REVISION,
	MIB_CONFIG_LAST_CHANGE,
	MIB_CONFIG_LAST_ACTOR,
	MIB_CONFIG_LAST_ORIGIN,
	MIB_VS_NEXT_ID,
	MIB_RS_NEXT_ID,
	MIB_VIP_NEXT_ID,
	MIB_DIRECTOR_LAST = MIB_VIP_NEXT_ID,
	/* accessible-for-notify: in fulcrumConfigChange only, never read (above MIB_DIRECTOR_LAST) */
	MIB_CONFIG_CHANGE_REVISION,
};

/* Cluster scalars (fulcrumCluster). */
enum {
	HA_TERM = 1,
	HA_CLUSTER_NAME,
	HA_FLAGS,
	HA_LAST_CHANGE,
	HA_LAST_CHANGE_REASON,
	HA_PREVIOUS_ROLE,
	HA_BLOCKED,
	HA_HEALTH,
	HA_MAINTENANCE,
	HA_SWITCHOVER,
	HA_PEER_NAME,
	HA_PEER_ADDRESS_TYPE,
	HA_PEER_ADDRESS,
	HA_PEER_PORT,
	HA_PEER_ROLE,
	HA_PEER_TERM,
	HA_PEER_FLAGS,
	HA_PEER_LAST_HEARD,
	HA_PEER_SILENCE,
	HA_SENT,
	HA_RECEIVED,
	HA_SEND_ERRORS,
	HA_ROLE_CHANGES,
	HA_VIPS_CONFIGURED,
	HA_VIPS_HELD,
	HA_COUNTERS_SINCE,
	REPL_STATE, /* replication (fulcrumRepl*) */
	REPL_MODE,
	REPL_PEER_NAME,
	REPL_PEER_REVISION,
	REPL_LAG_REVISIONS,
	REPL_LAG_TIME,
	REPL_LAST_CHANGE,
	REPL_REASON,
	REPL_DIGEST,
	REPL_DIGEST_TIME,
	REPL_REVISIONS_SENT,
	REPL_REVISIONS_APPLIED,
	REPL_SNAPSHOTS_SENT,
	REPL_SNAPSHOTS_TAKEN,
	REPL_CONNECTS,
	REPL_REFUSALS,
	REPL_DIVERGENCES,
	MIB_CLUSTER_LAST = REPL_DIVERGENCES,
};

/* fulcrumHaSwitchover's values. */
enum { HA_SWITCHOVER_IDLE = 1, HA_SWITCHOVER_ASK, HA_SWITCHOVER_FORCE };

/* fulcrumHaRejectTable's columns; its index is the receive result's number (1: truncated). */
enum { REJECT_REASON = 1, REJECT_NAME, REJECT_COUNT, REJECT_LAST = REJECT_COUNT };

/* Service columns. */
enum {
	VS_ID = 1,
	VS_NAME,
	VS_FAMILY,
	VS_ADDRESS_TYPE,
	VS_ADDRESS,
	VS_PORT,
	VS_PROTOCOL,
	VS_FWMARK,
	VS_SCHEDULER,
	VS_SCHEDULER_FLAGS,
	VS_PERSISTENCE_TIMEOUT,
	VS_PERSISTENCE_NETMASK,
	VS_ONE_PACKET,
	VS_ADMIN_STATE,
	VS_DESCRIPTION,
	VS_OPER_STATE,
	VS_OPER_REASON,
	VS_OPER_LAST_CHANGE,
	VS_REALS_UP,
	VS_REALS_TOTAL,
	VS_KERNEL_STATE,
	VS_KERNEL_REASON,
	VS_CONNS,
	VS_IN_PKTS,
	VS_OUT_PKTS,
	VS_IN_BYTES,
	VS_OUT_BYTES,
	VS_ACTIVE_CONNS,
	VS_INACTIVE_CONNS,
	VS_CONN_RATE,
	VS_IN_PKT_RATE,
	VS_OUT_PKT_RATE,
	VS_IN_BYTE_RATE,
	VS_OUT_BYTE_RATE,
	VS_STATS_RESET,
	VS_ROW_STATUS,
	VS_LAST = VS_ROW_STATUS,
};

/* Real server columns. */
enum {
	RS_ID = 1,
	RS_ADDRESS_TYPE,
	RS_ADDRESS,
	RS_PORT,
	RS_FORWARDING,
	RS_TUNNEL_TYPE,
	RS_TUNNEL_PORT,
	RS_WEIGHT,
	RS_UPPER_THRESHOLD,
	RS_LOWER_THRESHOLD,
	RS_ADMIN_STATE,
	RS_DESCRIPTION,
	RS_OPER_STATE,
	RS_OPER_REASON,
	RS_OPER_LAST_CHANGE,
	RS_KERNEL_STATE,
	RS_KERNEL_REASON,
	RS_CONNS,
	RS_IN_PKTS,
	RS_OUT_PKTS,
	RS_IN_BYTES,
	RS_OUT_BYTES,
	RS_ACTIVE_CONNS,
	RS_INACTIVE_CONNS,
	RS_CONN_RATE,
	RS_IN_PKT_RATE,
	RS_OUT_PKT_RATE,
	RS_IN_BYTE_RATE,
	RS_OUT_BYTE_RATE,
	RS_ROW_STATUS,
	RS_LAST = RS_ROW_STATUS,
};

/* Name table columns. */
enum { NAME_KEY = 1, NAME_ID, NAME_LAST = NAME_ID };

/* VIP columns. */
enum {
	VIP_ID = 1,
	VIP_ADDRESS_TYPE,
	VIP_ADDRESS,
	VIP_PREFIX_LENGTH,
	VIP_INTERFACE,
	VIP_DESCRIPTION,
	VIP_HELD,
	VIP_ROW_STATUS,
	VIP_LAST = VIP_ROW_STATUS,
};

/* RowStatus (SNMPv2-TC). */
enum {
	ROWSTATUS_ACTIVE = 1,
	ROWSTATUS_NOT_IN_SERVICE,
	ROWSTATUS_NOT_READY,
	ROWSTATUS_CREATE_AND_GO,
	ROWSTATUS_CREATE_AND_WAIT,
	ROWSTATUS_DESTROY,
};

/* The longest OID the subagent answers: root, 4 arcs, and a 64-byte name with its length. */
#define MIB_OID_MAX (MIB_ROOT_LEN + 4 + 1 + FULCRUM_NAME_MAX)

/* One value, in the ASN.1 type the MIB gives the object. */
struct mib_value {
	u_char type; /* ASN_INTEGER, ASN_UNSIGNED, ASN_GAUGE, ASN_COUNTER64, ASN_OCTET_STR */
	long i;      /* INTEGER, Unsigned32, Gauge32 */
	struct counter64 c64;
	size_t len; /* OCTET STRING */
	u_char s[256];
};

/* The writable tables, as a SET and a held row name them (SET_ROW_HA: a cluster scalar). */
enum set_row_kind { SET_ROW_VS, SET_ROW_RS, SET_ROW_NOTIFY, SET_ROW_VIP, SET_ROW_HA };

/* A row created with createAndWait, held here until it is made active or destroyed. */
struct mib_pending {
	enum set_row_kind kind; /* SET_ROW_VS, SET_ROW_RS or SET_ROW_VIP */
	struct fulcrum_vs vs;   /* the service row (vs.id is its index) */
	struct fulcrum_rs rs;   /* the real server row (rs.vs_id, rs.id) */
	struct fulcrum_vip vip; /* the VIP row (vip.id) */
	unsigned have;          /* bit per column set so far (1u << column) */
	time_t created;
};

struct mib_set;       /* one SET in progress: mib_set.c */
struct mib_ha_ticket; /* a failover command the engine owes an answer: mib_ha_set.c */

/* A refusal logged lately (mib_refuse.c): one line per object and status a second. */
#define MIB_REFUSE_SLOTS 16
struct mib_refuse_seen {
	bool used;
	const char *object; /* its name in mib_names, NULL for none */
	int status;
	int64_t last_ms;     /* when its last line was logged (monotonic) */
	unsigned suppressed; /* refused since, not logged */
};

struct mib {
	struct mib_params p;
	/* services ordered by the name table's index (length, then bytes) */
	const struct fulcrum_vs **by_name;
	size_t nby_name;
	int64_t by_name_rev; /* revision by_name was built for; -1: none */
	struct mib_pending *pending;
	size_t npending;
	struct mib_set *set;
	uint64_t set_gen; /* SETs begun: each mib_set's gen, so a late answer finds its own */
	/* failover (mib_ha.c): the status as one read saw it, the commands waiting */
	struct status_cluster *ha_snap;
	bool ha_fresh; /* ha_snap was read for the read in progress */
	struct mib_ha_ticket *tickets;
	struct {
		int rc, status; /* the engine's last answer, and the SNMP status it made */
		char reason[STATUS_HA_TEXT];
	} ha_answer;
	/* the loop's view of Net-SNMP: mib_agent.c */
	struct mib_loop *loop;
	bool agent_started;
	/* the refusal of the SET in progress: its rule in words (mib_refuse_why()), "" for none */
	char refuse_why[512];
	struct mib_refuse_seen refuse_seen[MIB_REFUSE_SLOTS];
	/* requests handled (mib_counters()); the last one counted, not to count its PDUs again */
	struct status_snmp counters;
	bool counted;
	long counted_transid;
	int counted_kind;
};

/* mib_refuse.c */

/*
 * The name of the FULCRUM-MIB object an OID is under ("fulcrumRsWeight"), or
 * NULL; *arcs (may be NULL) is how many sub-ids the object's OID has.
 */
const char *mib_object_name(const oid *name, size_t len, size_t *arcs);

/* An ASN.1 type by its SMI name ("Unsigned32", "OCTET STRING"). */
const char *mib_type_name(u_char type);

/* An SNMP error status by RFC 3416's name ("wrongType"). */
const char *mib_status_name(int status);

/* A varbind's value as text for a log: strings quoted, their bytes beyond ASCII escaped. */
void mib_value_format(const netsnmp_variable_list *var, char *buf, size_t len);

/* Says why the SET in progress is refused (the first reason given stays), for mib_refuse_log(). */
void mib_refuse_why(struct mib *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Logs one line (notice) for a refused SET: the reason given by
 * mib_refuse_why() or the status's, the status, the object and index of var
 * and its value as received. The same object and status at most once a
 * second; the refusals not logged are counted in its next line.
 */
void mib_refuse_log(struct mib *m, const netsnmp_variable_list *var, int status);

/* mib_read.c */

/*
 * Finds the object instance name (len sub-ids, any OID) names exactly, or
 * with next the first instance after it in FULCRUM-MIB. Fills out/outlen
 * (MIB_OID_MAX sub-ids) and val. Returns 0, -ENOENT when there is none
 * (for an exact name whose object exists but whose instance does not),
 * -ENOKEY when not even the object exists.
 */
int mib_read(struct mib *m, const oid *name, size_t len, bool next, oid *out, size_t *outlen,
	     struct mib_value *val);

/* Fills the date-and-time of t (UTC, 11 octets; 8 zero octets for 0) into val. */
void mib_value_time(struct mib_value *val, time_t t);

/* Values of the MIB's types: INTEGER, Unsigned32/Gauge32 (saturated), Counter64, a string. */
void mib_val_int(struct mib_value *v, long i);
void mib_val_uns(struct mib_value *v, u_char type, uint64_t u);
void mib_val_c64(struct mib_value *v, u_char type, uint64_t u);
void mib_val_str(struct mib_value *v, const char *s);

/* The MIB's enumerations, to and from the model's. */
long mib_protocol_to(enum fulcrum_protocol p);
int mib_protocol_from(long v, enum fulcrum_protocol *out);

/* mib_set.c: the SET phases; each returns an SNMP error status (SNMP_ERR_NOERROR). */
int mib_set_reserve(struct mib *m, netsnmp_request_info *requests, netsnmp_request_info **bad);
int mib_set_check(struct mib *m, netsnmp_request_info **bad);
int mib_set_action(struct mib *m, netsnmp_request_info **bad);
void mib_set_undo(struct mib *m);
void mib_set_free(struct mib *m);
/* Drops createAndWait rows older than 5 minutes. */
void mib_pending_expire(struct mib *m, time_t now);

/* mib_notify.c */
void mib_notify_config_change(struct mib *m);
void mib_notify_oper(void *arg, const struct oper_change *ch);

/* mib_agent.c: answers the SETs whose delegated requests are done (after a command's answer). */
void mib_agent_wake(struct mib *m);

/*
 * mib_ha.c: the failover objects' values. mib_ha_status() is the failover
 * status as the read in progress sees it: read once per mib_read() (whose
 * start calls mib_ha_forget()), a standalone node's when nothing says.
 * mib_ha_role() is fulcrumRole's (and FulcrumHaRole's) number of a role,
 * unknown(6) for none; mib_ha_peer_state() fulcrumPeerState's of the status.
 * mib_ha_value() fills R.1.7.sub.0 (-ENOKEY when no such scalar);
 * mib_ha_reject_rows() counts fulcrumHaRejectTable's rows, whose index is
 * the row's position plus one, and mib_ha_reject_value() fills a column.
 */
const struct status_cluster *mib_ha_status(struct mib *m);
void mib_ha_forget(struct mib *m);
long mib_ha_role(enum status_role role);
long mib_ha_peer_state(const struct status_cluster *c);
/* FulcrumReplicationState's number of a replication state (off(1) .. refused(8)); off(1) outside. */
long mib_repl_state(enum status_repl_state s);
int mib_ha_value(struct mib *m, unsigned sub, struct mib_value *v);
size_t mib_ha_reject_rows(struct mib *m);
int mib_ha_reject_value(struct mib *m, size_t row, unsigned col, struct mib_value *v);

/*
 * mib_ha_set.c: the failover commands of a SET (fulcrumHaMaintenance,
 * fulcrumHaSwitchover). mib_ha_ask() asks the engine for the SET's command
 * (after the rest of the SET committed, in the ACTION phase): it returns
 * SNMP_ERR_NOERROR when the engine will answer (cache, when not NULL, is the
 * delegated request the answer completes: its error set as
 * mib_ha_answer_status() maps the engine's rc, then released, and the agent
 * woken), or resourceUnavailable when the engine cannot take it now (cache
 * is then still the caller's). mib_ha_undo() puts maintenance back when
 * the SET is undone after the engine did it (a switchover cannot be undone:
 * logged). mib_ha_close() lets go of the commands still waiting, before the
 * subagent is freed: their answers are then only logged.
 */
int mib_ha_ask(struct mib *m, netsnmp_delegated_cache *cache);
int mib_ha_answer_status(int rc);
void mib_ha_close(struct mib *m);

#endif
