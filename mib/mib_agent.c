/* The AgentX subagent: Net-SNMP's agent library driven by fulcrumd's libevent loop. */
#include "controller/core/store.h"
#include "controller/lib/log.h"
#include "controller/lib/looplag.h"
#include "mib/mib-set.h"

#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

/* Seconds between pings of the master; a lost master is reconnected at this pace. */
#define MIB_AGENTX_PING_S 2

/* The loop's events for Net-SNMP's sockets and its next timeout. */
struct mib_loop {
	struct event_base *base;
	struct event *timer;
	struct event *expire; /* drops stale createAndWait rows */
	struct event **ev;    /* one per socket Net-SNMP wants read */
	size_t nev;
};

static struct mib *the_mib; /* Net-SNMP's agent is a singleton: one subagent per process */

static void loop_update(struct mib_loop *l);

static void loop_after(struct mib_loop *l)
{
	netsnmp_check_outstanding_agent_requests();
	loop_update(l);
}

void mib_agent_wake(struct mib *m)
{
	if (m->loop && m->agent_started)
		loop_after(m->loop);
}

/*
 * The ACTION phase of a SET with a failover command: the rest has committed;
 * the command's request is delegated to the engine, whose answer completes it
 * (mib_ha_set.c). Returns an SNMP error status with *bad when it cannot even
 * be asked.
 */
static int set_ask_engine(struct mib *m, netsnmp_mib_handler *handler,
			  netsnmp_handler_registration *reg, netsnmp_agent_request_info *reqinfo,
			  netsnmp_request_info **bad)
{
	netsnmp_request_info *req = m->set->ha->req;
	netsnmp_delegated_cache *cache =
	    netsnmp_create_delegated_cache(handler, reg, reqinfo, req, NULL);
	int rc = cache ? mib_ha_ask(m, cache) : SNMP_ERR_RESOURCEUNAVAILABLE;

	if (rc == SNMP_ERR_NOERROR) {
		req->delegated = 1; /* the agent holds the answer until the engine's */
		return rc;
	}
	netsnmp_free_delegated_cache(cache);
	*bad = req;
	return rc;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	netsnmp_large_fd_set set;

	looplag_mark();
	(void)what;
	netsnmp_large_fd_set_init(&set, fd + 1);
	NETSNMP_LARGE_FD_SET(fd, &set);
	snmp_read2(&set);
	netsnmp_large_fd_set_cleanup(&set);
	loop_after(arg);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	looplag_mark();
	(void)fd;
	(void)what;
	snmp_timeout();
	run_alarms();
	loop_after(arg);
}

/* Makes the loop watch exactly the sockets Net-SNMP wants, and its next timeout. */
static void loop_update(struct mib_loop *l)
{
	netsnmp_large_fd_set set;
	struct timeval tv = {0, 0};
	int maxfd = 0, block = 1;
	size_t keep = 0;

	netsnmp_large_fd_set_init(&set, FD_SETSIZE);
	snmp_select_info2(&maxfd, &set, &tv, &block);
	/* drop the events of sockets Net-SNMP closed, keep the others */
	for (size_t i = 0; i < l->nev; i++) {
		int fd = (int)event_get_fd(l->ev[i]);

		if (fd < maxfd && NETSNMP_LARGE_FD_ISSET(fd, &set)) {
			NETSNMP_LARGE_FD_CLR(fd, &set); /* already watched */
			l->ev[keep++] = l->ev[i];
		} else {
			event_free(l->ev[i]);
		}
	}
	l->nev = keep;
	for (int fd = 0; fd < maxfd; fd++) {
		struct event **ev;

		if (!NETSNMP_LARGE_FD_ISSET(fd, &set))
			continue;
		ev = realloc(l->ev, (l->nev + 1) * sizeof(*ev));
		if (!ev)
			break; /* retried at the next update */
		l->ev = ev;
		ev[l->nev] = event_new(l->base, fd, EV_READ | EV_PERSIST, on_readable, l);
		if (ev[l->nev] && event_add(ev[l->nev], NULL) == 0)
			l->nev++;
		else if (ev[l->nev])
			event_free(ev[l->nev]);
	}
	netsnmp_large_fd_set_cleanup(&set);
	if (block)
		evtimer_del(l->timer);
	else
		evtimer_add(l->timer, &tv);
}

/* Seconds during which a line Net-SNMP repeats is not logged again (a master away: every 2 s). */
#define MIB_LOG_QUIET_S 60

/* True when line was logged less than MIB_LOG_QUIET_S ago; remembers it otherwise. */
static bool log_recent(const char *line)
{
	static struct {
		char line[256];
		time_t at;
	} seen[8];
	time_t now = time(NULL);
	size_t oldest = 0;

	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++) {
		if (strcmp(seen[i].line, line) == 0 && now - seen[i].at < MIB_LOG_QUIET_S)
			return true;
		if (seen[i].at < seen[oldest].at)
			oldest = i;
	}
	snprintf(seen[oldest].line, sizeof(seen[oldest].line), "%s", line);
	seen[oldest].at = now;
	return false;
}

/* Net-SNMP's log lines go to fulcrumd's log, each at most once a minute. */
static int on_log(int major, int minor, void *server, void *client)
{
	const struct snmp_log_message *msg = server;
	int priority;
	char line[256];
	size_t n;

	(void)major;
	(void)minor;
	(void)client;
	if (!msg || !msg->msg)
		return 0;
	snprintf(line, sizeof(line), "%s", msg->msg);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' ' || line[n - 1] == ':'))
		line[--n] = '\0';
	if (n == 0 || log_recent(line))
		return 0;
	priority = msg->priority;
	/* no error of fulcrumd's: net-snmp tries a v1 form of every notification (none of
	 * FULCRUM-MIB's carries a Counter64, so none should fail; a debug line if one does) */
	if (strncmp(line, "send_trap: ", 11) == 0 && strstr(line, "v1"))
		priority = LOG_DEBUG;
	if (priority <= LOG_ERR)
		log_errx("snmp", "%s", line);
	else if (priority == LOG_WARNING)
		log_warnx("snmp", "%s", line);
	else if (priority <= LOG_INFO)
		log_info("snmp", "%s", line);
	else
		log_debug("snmp", "%s", line);
	return 0;
}

/* GET and GETNEXT: each varbind answered from memory. */
static void handle_read(struct mib *m, netsnmp_agent_request_info *reqinfo,
			netsnmp_request_info *requests, bool next)
{
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		netsnmp_variable_list *vb = r->requestvb;
		oid out[MIB_OID_MAX];
		size_t outlen = 0;
		struct mib_value v;
		int rc;

		if (r->processed)
			continue;
		rc = mib_read(m, vb->name, vb->name_length, next, out, &outlen, &v);
		if (rc != 0) {
			/* GETNEXT: left unanswered, the agent tries the next subtree */
			if (!next)
				netsnmp_set_request_error(reqinfo, r,
							  rc == -ENOENT ? SNMP_NOSUCHINSTANCE
									: SNMP_NOSUCHOBJECT);
			continue;
		}
		if (next)
			snmp_set_var_objid(vb, out, outlen);
		if (v.type == ASN_OCTET_STR)
			snmp_set_var_typed_value(vb, v.type, v.s, v.len);
		else if (v.type == ASN_COUNTER64)
			snmp_set_var_typed_value(vb, v.type, &v.c64, sizeof(v.c64));
		else if (v.type == ASN_INTEGER)
			snmp_set_var_typed_value(vb, v.type, &v.i, sizeof(v.i));
		else {
			u_long u = (u_long)v.i;

			snmp_set_var_typed_value(vb, v.type, &u, sizeof(u));
		}
	}
}

/*
 * Counts the SNMP request reqinfo belongs to, once. snmpd hands a request
 * to the subagent in several AgentX PDUs that share the request's
 * transaction id: a SET's test, commit and cleanup phases, each repetition
 * of a GETBULK (as a GETNEXT: the subagent cannot tell, so a GETBULK counts
 * as one getnext).
 */
static void count_request(struct mib *m, const netsnmp_agent_request_info *reqinfo)
{
	const netsnmp_agent_session *asp = reqinfo->asp;
	const netsnmp_pdu *pdu = asp ? asp->pdu : NULL;
	int kind = MODE_IS_SET(reqinfo->mode) ? (int)SNMP_MSG_SET : reqinfo->mode;

	if (!pdu || (m->counted && pdu->transid == m->counted_transid && kind == m->counted_kind))
		return;
	m->counted = true;
	m->counted_transid = pdu->transid;
	m->counted_kind = kind;
	if (kind == MODE_GET)
		m->counters.get++;
	else if (kind == MODE_GETNEXT || kind == MODE_GETBULK)
		m->counters.getnext++;
	else if (kind == (int)SNMP_MSG_SET)
		m->counters.set++;
}

void mib_counters(const struct mib *m, struct status_snmp *out)
{
	memset(out, 0, sizeof(*out));
	if (!m)
		return;
	*out = m->counters;
	out->running = true;
}

static int mib_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reg,
		       netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	struct mib *m = the_mib;
	netsnmp_request_info *bad = NULL;
	int rc = SNMP_ERR_NOERROR;

	count_request(m, reqinfo);
	switch (reqinfo->mode) {
	case MODE_GET:
		handle_read(m, reqinfo, requests, false);
		return SNMP_ERR_NOERROR;
	case MODE_GETNEXT:
		handle_read(m, reqinfo, requests, true);
		return SNMP_ERR_NOERROR;
	case MODE_SET_RESERVE1:
		rc = mib_set_reserve(m, requests, &bad);
		break;
	case MODE_SET_RESERVE2:
		rc = mib_set_check(m, &bad);
		break;
	case MODE_SET_ACTION:
		rc = mib_set_action(m, &bad);
		if (rc == SNMP_ERR_NOERROR && m->set && m->set->ha)
			rc = set_ask_engine(m, handler, reg, reqinfo, &bad);
		break;
	case MODE_SET_UNDO:
		mib_set_undo(m);
		mib_set_free(m);
		break;
	case MODE_SET_COMMIT:
	case MODE_SET_FREE:
		mib_set_free(m);
		break;
	default:
		break;
	}
	if (rc != SNMP_ERR_NOERROR) {
		netsnmp_request_info *at = bad ? bad : requests;

		m->counters.set_refused++;
		mib_refuse_log(m, at ? at->requestvb : NULL, rc);
		netsnmp_set_request_error(reqinfo, at, rc);
	}
	return SNMP_ERR_NOERROR;
}

static void on_expire(evutil_socket_t fd, short what, void *arg)
{
	looplag_mark();
	(void)fd;
	(void)what;
	mib_pending_expire(arg, time(NULL));
}

/* The commit event: fulcrumConfigChange (the scalars read the store's last change). */
static void on_commit(void *arg, const struct store_commit *ev)
{
	struct mib *m = arg;

	(void)ev;
	if (m->agent_started)
		mib_notify_config_change(m);
}

static void agent_settings(const char *socket)
{
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, socket);
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
			   MIB_AGENTX_PING_S);
	/* no signals, no files: alarms run from the loop, nothing read or written under /var */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	/* the subagent answers with numbers; it needs no MIB files */
	setenv("MIBS", "", 1);
	snmp_disable_log();
	netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, on_log, NULL);
}

static int agent_register(char *err, size_t errlen)
{
	static const oid root[] = {FULCRUM_MIB_ROOT_OID};
	netsnmp_handler_registration *reg = netsnmp_create_handler_registration(
	    "fulcrum", mib_handler, root, OID_LENGTH(root), HANDLER_CAN_RWRITE);

	if (!reg || netsnmp_register_handler(reg) != MIB_REGISTERED_OK) {
		snprintf(err, errlen, "cannot register FULCRUM-MIB with Net-SNMP's agent");
		return -ENOMEM;
	}
	return 0;
}

int mib_open(const struct mib_params *p, struct mib **out, char *err, size_t errlen)
{
	struct mib *m;
	int rc;

	*out = NULL;
	if (the_mib) {
		snprintf(err, errlen, "the SNMP subagent runs already");
		return -EBUSY;
	}
	m = calloc(1, sizeof(*m));
	if (!m || !(m->loop = calloc(1, sizeof(*m->loop)))) {
		free(m);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->p = *p;
	m->by_name_rev = -1;
	m->loop->base = p->base;
	m->loop->timer = evtimer_new(p->base, on_timeout, m->loop);
	m->loop->expire = event_new(p->base, -1, EV_PERSIST, on_expire, m);
	the_mib = m;
	if (!m->loop->timer || !m->loop->expire ||
	    (rc = store_subscribe(p->store, on_commit, m)) != 0 ||
	    (p->oper && (rc = oper_subscribe(p->oper, mib_notify_oper, m)) != 0)) {
		snprintf(err, errlen, "out of memory");
		mib_free(m);
		return -ENOMEM;
	}
	agent_settings(p->agentx);
	init_agent("fulcrumd");
	rc = agent_register(err, errlen);
	if (rc != 0) {
		mib_free(m);
		return rc;
	}
	init_snmp("fulcrumd");
	/* set again: the agent's start puts its default (15 s) back */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
			   MIB_AGENTX_PING_S);
	m->agent_started = true;
	{
		struct timeval half = {30, 0};

		event_add(m->loop->expire, &half);
	}
	loop_update(m->loop);
	log_notice("snmp", "AgentX subagent for FULCRUM-MIB, master at %s", p->agentx);
	*out = m;
	return 0;
}

void mib_free(struct mib *m)
{
	if (!m)
		return;
	store_unsubscribe(m->p.store, on_commit, m);
	if (m->p.oper)
		oper_unsubscribe(m->p.oper, mib_notify_oper, m);
	mib_ha_close(m); /* before the agent goes: a late answer must not reach it */
	if (m->agent_started)
		snmp_shutdown("fulcrumd");
	mib_set_free(m);
	free(m->ha_snap);
	m->ha_snap = NULL;
	if (m->loop) {
		for (size_t i = 0; i < m->loop->nev; i++)
			event_free(m->loop->ev[i]);
		free(m->loop->ev);
		if (m->loop->timer)
			event_free(m->loop->timer);
		if (m->loop->expire)
			event_free(m->loop->expire);
		free(m->loop);
		m->loop = NULL;
	}
	free(m->pending);
	free(m->by_name);
	if (the_mib == m)
		the_mib = NULL;
	free(m);
}
