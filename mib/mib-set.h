/* Inside a SET: the varbinds read, the rows they touch, the command they make (mib_set*.c). */
#ifndef FULCRUM_MIB_SET_H
#define FULCRUM_MIB_SET_H

#include "controller/core/command.h"
#include "mib/mib-int.h"

#include <net-snmp/agent/net-snmp-agent-includes.h>

/* One varbind of the SET: where it points and what it carries. */
struct set_vb {
	netsnmp_request_info *req;
	enum set_row_kind kind;
	/*
	 * the row's index: a service's (vs_id), a real server's (vs_id, rs_id),
	 * a VIP's in vs_id (its one index, rs_id 0); notify: rs_id is the switch number
	 */
	int64_t vs_id, rs_id;
	unsigned col;
	struct mib_value v;
};

/* Where a row is before the SET. */
enum row_was { WAS_ABSENT, WAS_STORED, WAS_PENDING };

/* What the SET does to a row. */
enum row_does { DOES_UPDATE, DOES_CREATE, DOES_DELETE, DOES_WAIT, DOES_FORGET, DOES_NOTHING };

struct set_row {
	enum set_row_kind kind;
	int64_t vs_id, rs_id;
	enum row_was was;
	enum row_does does;
	size_t first;          /* its first varbind */
	struct set_vb *status; /* its RowStatus varbind, or NULL */
	struct fulcrum_vs vs, vs_old;
	struct fulcrum_rs rs, rs_old;
	struct fulcrum_vip vip, vip_old;
	bool reset; /* fulcrumVsStatsReset = reset(2) */
};

/* Where one op of the SET's command came from: a row, or a scalar's varbind (a switch). */
struct set_op_from {
	bool scalar;  /* a notification switch: index is the varbind's */
	size_t index; /* into rows, or into vb when scalar */
};

struct mib_set {
	struct set_vb *vb;
	size_t nvb;
	struct set_row *rows;
	size_t nrows;
	struct command_op *ops;
	size_t nops;
	struct set_op_from *op_from; /* where each op came from */
	bool committed;
	uint64_t gen;      /* m->set_gen when it began */
	struct set_vb *ha; /* its failover command (fulcrumHaMaintenance or Switchover), or NULL */
	bool ha_was;       /* maintenance before it */
	bool ha_done;      /* the engine did the command: an undo must put it back */
};

/*
 * Reads one varbind of a SET into out: which row and column, and its value,
 * checked for type, length and range. Returns an SNMP error status.
 */
int mib_setvb_parse(struct mib *m, netsnmp_request_info *req, struct set_vb *out);

/*
 * The value of a service, real server or VIP column's varbind as the text the
 * model's field setters take ("wrr", "ipv6", "drained", "8080", "eth0"), in buf
 * (len bytes, 512 suffice) or a static string. NULL when it has none (an
 * OCTET STRING with a NUL in it). Addresses are the row's, not one
 * varbind's: see mib_set.c.
 */
const char *mib_setvb_text(const struct set_vb *vb, char *buf, size_t len);

/* The model's field name of a column of kind (NULL when none), to match errors with varbinds. */
const char *mib_setvb_field(enum set_row_kind kind, unsigned col);

/* The column of a row of kind that holds its RowStatus (0 for none: a switch). */
unsigned mib_setvb_status_col(enum set_row_kind kind);

/* The createAndWait row of kind held with this index (a VIP's in vs_id), or NULL. */
struct mib_pending *mib_setvb_pending(struct mib *m, enum set_row_kind kind, int64_t vs_id,
				      int64_t rs_id);

/* True when real server rs_id is stored in service vs_id. */
bool mib_setvb_rs_stored(const struct mib *m, int64_t vs_id, int64_t rs_id);

/*
 * mib_ha_set.c: checks the SET's failover command, in the check phase: at
 * most one per PDU, not on a standalone node (inconsistentValue, logged),
 * and keeps it in s->ha. An SNMP error status, with *bad at fault.
 */
int mib_ha_set_check(struct mib *m, struct mib_set *s, netsnmp_request_info **bad);

/* mib_ha_set.c: after an undo of s, maintenance as it was before s (see mib_ha_ask()). */
void mib_ha_undo(struct mib *m, struct mib_set *s);

#endif
