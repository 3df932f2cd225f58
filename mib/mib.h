/* The FULCRUM-MIB AgentX subagent, run inside fulcrumd's event loop. */
#ifndef FULCRUM_MIB_H
#define FULCRUM_MIB_H

#include "controller/core/oper.h"
#include "controller/core/status.h"

#include <stddef.h>

struct ackwait;
struct mib;
struct event_base;

/* What the subagent serves from and writes to; each must outlive it. */
struct mib_params {
	struct event_base *base;
	struct store *store;
	struct oper *oper;         /* operational state and when it last changed */
	struct oper_kernel kernel; /* kernel states and counters */
	/* zeroes service id's counters: 0, -ESRCH (not in the kernel) or a negative errno */
	int (*reset)(void *arg, int64_t id); /* NULL: none to reset */
	/*
	 * whether reset can zero service id's counters now (the kernel holds it),
	 * asked in a SET's check phase; NULL: whenever reset is set
	 */
	bool (*resettable)(void *arg, int64_t id);
	void *reset_arg;
	status_daemon_fn status;
	void *status_arg;
	status_vip_fn vip; /* whether this director holds a VIP (fulcrumVipHeld); NULL: not held */
	void *vip_arg;
	status_cluster_fn cluster; /* the failover status (fulcrumCluster); NULL: standalone */
	void *cluster_arg;
	status_role_history_fn role_history; /* the last role change, previous role; NULL: none */
	void *role_history_arg;
	status_cluster_cmd_fn cluster_cmd; /* switchover, maintenance SETs; NULL: refused */
	void *cluster_cmd_arg;
	const char *agentx; /* the master's AgentX socket: a path, or tcp:ADDR:PORT */
	/*
	 * Commit mode sync (controller/core/ackwait.h): a SET that committed is
	 * answered once the standby holds its revision, or the barrier's timeout
	 * passed (it waits inside the AgentX handler, holding the loop). NULL:
	 * answered at once (no replication).
	 */
	struct ackwait *ackwait;
};

/*
 * Starts the subagent: registers FULCRUM-MIB and connects to the master
 * agent at p->agentx, retrying every few seconds while it is away (snmpd not
 * started yet, restarted), without blocking the loop. Returns 0, or a negative
 * errno with err saying why; *out is then NULL. One subagent per process.
 */
int mib_open(const struct mib_params *p, struct mib **out, char *err, size_t errlen);

/* Disconnects from the master and frees; accepts NULL. */
void mib_free(struct mib *m);

/*
 * The requests the subagent handled since mib_open(), by type, and the SETs
 * it answered with an error. m may be NULL: nothing runs, all zero.
 */
void mib_counters(const struct mib *m, struct status_snmp *out);

/*
 * A role change (fulcrumRoleChange, with the previous role, the term, the
 * reason and the peer's name appended) and a change of the peer's state
 * (fulcrumPeerStateChange), each sent while its switch is on, never by a
 * standalone node. mib is a struct mib: the signatures are the daemon's
 * hooks' (controller/daemon.h), so fulcrumd subscribes them as they are.
 */
void mib_role_event(void *mib, const struct status_role_change *ev);
void mib_peer_event(void *mib, const struct status_peer_change *ev);

/*
 * A notable change of replication's state (status_repl_notable()):
 * fulcrumReplStateChange, with the state, the reason, the partner's name,
 * the revisions not acknowledged and this node's role, each as of the
 * change; sent while its switch is on, never by a standalone node. The
 * signature is the daemon's hook's (daemon_repl_subscribe()).
 */
void mib_repl_event(void *mib, const struct status_repl_change *ev);

#endif
