/* SETs of FULCRUM-MIB's failover commands: fulcrumHaMaintenance and fulcrumHaSwitchover, answered when the engine answers. */
#include "controller/lib/log.h"
#include "mib/mib-set.h"

#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * How a SET waits for the failover engine without blocking the loop: the
 * command is asked in the ACTION phase (AgentX CommitSet), once every varbind
 * of the PDU passed its checks and the rest of the SET committed; its
 * request is marked delegated (Net-SNMP's delegated requests), so the
 * handler returns and the agent holds the PDU's answer; the engine's answer
 * (one heartbeat turn later, in the main loop) sets the varbind's error
 * status, clears the delegation and lets the agent send the response. snmpd
 * waits for it as for any subagent answer (agentXTimeout, 1 s by default;
 * the engine answers within one ha_interval). A refusal there makes
 * Net-SNMP run UNDO: what else the PDU committed is put back.
 */

/* A command the engine owes an answer; freed when it answers (ha_engine's promise). */
struct mib_ha_ticket {
	struct mib_ha_ticket *prev, *next; /* in m->tickets */
	struct mib *m;                     /* NULL once the subagent is freed */
	netsnmp_delegated_cache *cache;    /* the SET waiting, or NULL (an undo) */
	uint64_t gen;                      /* its SET's mib_set gen */
	unsigned col;                      /* HA_MAINTENANCE or HA_SWITCHOVER */
	long value;
};

/* The object and value of a command, for the log: "fulcrumHaSwitchover = forceSwitchover(3)". */
static const char *ha_what(unsigned col, long value)
{
	if (col == HA_MAINTENANCE)
		return value == 1 ? "fulcrumHaMaintenance = true(1)"
				  : "fulcrumHaMaintenance = false(2)";
	return value == HA_SWITCHOVER_FORCE ? "fulcrumHaSwitchover = forceSwitchover(3)"
					    : "fulcrumHaSwitchover = switchover(2)";
}

int mib_ha_answer_status(int rc)
{
	switch (rc) {
	case 0:
		return SNMP_ERR_NOERROR;
	case -EPERM:  /* not active, or standalone */
	case -EAGAIN: /* the peer cannot take over, not forced */
		return SNMP_ERR_INCONSISTENTVALUE;
	}
	return SNMP_ERR_RESOURCEUNAVAILABLE; /* -ECANCELED: stopping; -ENOMEM */
}

int mib_ha_set_check(struct mib *m, struct mib_set *s, netsnmp_request_info **bad)
{
	const struct status_cluster *c;

	s->ha = NULL;
	for (size_t i = 0; i < s->nvb; i++) {
		if (s->vb[i].kind != SET_ROW_HA)
			continue;
		if (s->ha) {
			*bad = s->vb[i].req;
			mib_refuse_why(m, "%s: one failover command per SET",
				       ha_what(s->vb[i].col, s->vb[i].v.i));
			return SNMP_ERR_INCONSISTENTVALUE;
		}
		s->ha = &s->vb[i];
	}
	if (!s->ha)
		return SNMP_ERR_NOERROR;
	mib_ha_forget(m);
	c = mib_ha_status(m);
	if (!c->enabled || !m->p.cluster_cmd) {
		*bad = s->ha->req;
		mib_refuse_why(m, "%s: this node is standalone (no ha_peer)",
			       ha_what(s->ha->col, s->ha->v.i));
		return SNMP_ERR_INCONSISTENTVALUE;
	}
	s->ha_was = c->maintenance;
	return SNMP_ERR_NOERROR;
}

static void ha_unlink(struct mib_ha_ticket *t)
{
	if (!t->m)
		return;
	if (t->prev)
		t->prev->next = t->next;
	else
		t->m->tickets = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
}

/* The engine's answer, in the main loop: logged, and the SET waiting for it answered. */
static void ha_on_done(void *arg, int rc, const char *reason)
{
	struct mib_ha_ticket *t = arg;
	struct mib *m = t->m;
	int status = mib_ha_answer_status(rc);
	netsnmp_delegated_cache *cache;

	ha_unlink(t);
	if (rc == 0)
		log_notice("snmp", "SET %s%s: %s", t->cache ? "" : "(undo) ",
			   ha_what(t->col, t->value), reason);
	else
		log_notice("snmp", "SET %s%s refused: %s", t->cache ? "" : "(undo) ",
			   ha_what(t->col, t->value), reason);
	if (m) {
		m->ha_answer.rc = rc;
		m->ha_answer.status = status;
		snprintf(m->ha_answer.reason, sizeof(m->ha_answer.reason), "%s", reason);
		if (m->set && m->set->gen == t->gen)
			m->set->ha_done = rc == 0;
	}
	if (t->cache && m) {
		cache = netsnmp_handler_check_cache(t->cache);
		if (cache) {
			if (status != SNMP_ERR_NOERROR) {
				m->counters.set_refused++;
				netsnmp_set_request_error(cache->reqinfo, cache->requests, status);
			}
			cache->requests->delegated = 0;
		} else {
			log_warnx("snmp",
				  "the SET of %s is gone (snmpd stopped waiting): its answer "
				  "is only logged",
				  ha_what(t->col, t->value));
		}
		mib_agent_wake(m);
	}
	netsnmp_free_delegated_cache(t->cache);
	free(t);
}

/* Asks the engine for col = value; t's cache set by the caller. 0 or the callback's errno. */
static int ha_send(struct mib *m, struct mib_ha_ticket *t)
{
	bool flag = t->col == HA_SWITCHOVER ? t->value == HA_SWITCHOVER_FORCE : t->value == 1;
	int rc = m->p.cluster_cmd(m->p.cluster_cmd_arg,
				  t->col == HA_SWITCHOVER ? STATUS_CLUSTER_SWITCHOVER
							  : STATUS_CLUSTER_MAINTENANCE,
				  flag, ha_on_done, t);

	if (rc != 0)
		return rc;
	t->m = m;
	t->next = m->tickets;
	if (t->next)
		t->next->prev = t;
	m->tickets = t;
	return 0;
}

int mib_ha_ask(struct mib *m, netsnmp_delegated_cache *cache)
{
	struct mib_set *s = m->set;
	struct mib_ha_ticket *t;
	int rc;

	if (!s || !s->ha || !m->p.cluster_cmd)
		return SNMP_ERR_GENERR;
	t = calloc(1, sizeof(*t));
	if (!t)
		return SNMP_ERR_RESOURCEUNAVAILABLE;
	t->gen = s->gen;
	t->col = s->ha->col;
	t->value = s->ha->v.i;
	rc = ha_send(m, t);
	if (rc != 0) {
		mib_refuse_why(m, "%s: the failover engine cannot take it now: %s",
			       ha_what(t->col, t->value),
			       rc == -ECANCELED  ? "fulcrumd is stopping"
			       : rc == -ENOTCONN ? "it is not running yet"
			       : rc == -ENOMEM   ? "too many commands are waiting"
						 : strerror(-rc));
		free(t);
		return SNMP_ERR_RESOURCEUNAVAILABLE;
	}
	t->cache = cache; /* after the call: the answer never comes from inside it */
	return SNMP_ERR_NOERROR;
}

void mib_ha_undo(struct mib *m, struct mib_set *s)
{
	struct mib_ha_ticket *t;

	if (!s->ha || !s->ha_done)
		return;
	s->ha_done = false;
	if (s->ha->col == HA_SWITCHOVER) {
		log_errx("snmp", "cannot undo %s: this node stepped down already",
			 ha_what(s->ha->col, s->ha->v.i));
		return;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		log_errx("snmp", "cannot undo %s: out of memory", ha_what(s->ha->col, s->ha->v.i));
		return;
	}
	t->col = HA_MAINTENANCE;
	t->value = s->ha_was ? 1 : 2;
	if (ha_send(m, t) != 0) {
		log_errx("snmp", "cannot undo %s: the failover engine cannot take it now",
			 ha_what(s->ha->col, s->ha->v.i));
		free(t);
	}
}

void mib_ha_close(struct mib *m)
{
	struct mib_ha_ticket *t = m->tickets;

	m->tickets = NULL;
	while (t) {
		struct mib_ha_ticket *next = t->next;

		t->prev = t->next = NULL;
		t->m = NULL; /* the engine's answer frees it, and touches nothing else */
		t = next;
	}
}
