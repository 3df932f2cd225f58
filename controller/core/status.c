/* What fulcrumd reports of itself and of each object: the names its readers print. */
#include "controller/core/status.h"

#include <stdio.h>
#include <string.h>

const char *status_kernel_state_name(enum status_kernel_state state)
{
	switch (state) {
	case STATUS_KERNEL_PENDING:
		return "pending";
	case STATUS_KERNEL_IN_SYNC:
		return "in_sync";
	case STATUS_KERNEL_ERROR:
		return "error";
	case STATUS_KERNEL_UNAVAILABLE:
		return "unavailable";
	}
	return NULL;
}

const char *status_role_name(enum status_role role)
{
	switch (role) {
	case STATUS_ROLE_STARTING:
		return "starting";
	case STATUS_ROLE_ACTIVE:
		return "active";
	case STATUS_ROLE_STANDBY:
		return "standby";
	case STATUS_ROLE_FAULT:
		return "fault";
	case STATUS_ROLE_STANDALONE:
		return "standalone";
	}
	return NULL;
}

enum status_role status_role_parse(const char *name)
{
	for (int r = STATUS_ROLE_STARTING; r <= STATUS_ROLE_STANDALONE; r++)
		if (strcmp(name, status_role_name((enum status_role)r)) == 0)
			return (enum status_role)r;
	return 0;
}

const char *status_peer_state_name(enum status_peer_state state)
{
	switch (state) {
	case STATUS_PEER_UNKNOWN:
		return "unknown";
	case STATUS_PEER_ALIVE:
		return "alive";
	case STATUS_PEER_DEAD:
		return "dead";
	}
	return NULL;
}

const char *status_ha_flag_name(unsigned flag)
{
	switch (flag) {
	case STATUS_HA_IPVS:
		return "ipvs";
	case STATUS_HA_VIPS:
		return "vips";
	case STATUS_HA_TIEBREAKER:
		return "tiebreaker";
	case STATUS_HA_LOOP:
		return "loop";
	case STATUS_HA_CARRIER:
		return "carrier";
	case STATUS_HA_ELIGIBLE:
		return "eligible";
	case STATUS_HA_MAINTENANCE:
		return "maintenance";
	case STATUS_HA_YIELDING:
		return "yielding";
	case STATUS_HA_HEARS_PEER:
		return "hears_peer";
	case STATUS_HA_CONFIG:
		return "config";
	}
	return NULL;
}

const char *status_repl_state_name(enum status_repl_state s)
{
	static const char *const names[] = {
	    [STATUS_REPL_OFF] = "off",
	    [STATUS_REPL_WAITING] = "waiting",
	    [STATUS_REPL_CATCHING_UP] = "catching_up",
	    [STATUS_REPL_SNAPSHOT] = "snapshot",
	    [STATUS_REPL_IN_SYNC] = "in_sync",
	    [STATUS_REPL_ALONE] = "alone",
	    [STATUS_REPL_DIVERGED] = "diverged",
	    [STATUS_REPL_REFUSED] = "refused",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : NULL;
}

/* addr ("192.0.2.1:694", "[2001:db8::1]:694", or a bare address) without its port, into out. */
static void status_addr_host(const char *addr, char *out, size_t len)
{
	const char *end = NULL, *colon = strchr(addr, ':');

	if (addr[0] == '[' && (end = strchr(addr, ']'))) {
		snprintf(out, len, "%.*s", (int)(end - addr - 1), addr + 1);
		return;
	}
	/* one colon: IPv4 with a port; more: a bare IPv6 address */
	if (colon && !strchr(colon + 1, ':')) {
		snprintf(out, len, "%.*s", (int)(colon - addr), addr);
		return;
	}
	snprintf(out, len, "%s", addr);
}

bool status_writes_refused(const struct status_cluster *c, char *why, size_t whylen, char *active,
			   size_t activelen)
{
	bool peer_active = c->peer.state == STATUS_PEER_ALIVE && c->peer.role == STATUS_ROLE_ACTIVE;
	bool refuse;

	why[0] = active[0] = '\0';
	switch (c->enabled ? c->role : STATUS_ROLE_STANDALONE) {
	case STATUS_ROLE_STARTING:
	case STATUS_ROLE_STANDBY:
		refuse = true;
		break;
	case STATUS_ROLE_FAULT:
		refuse = peer_active;
		break;
	default:
		refuse = false;
		break;
	}
	if (!refuse)
		return false;
	snprintf(why, whylen, "this director is %s", status_role_name(c->role));
	if (c->peer.addr[0])
		status_addr_host(c->peer.addr, active, activelen);
	else if (c->npaths > 0)
		status_addr_host(c->paths[0].peer, active, activelen);
	return true;
}

static bool repl_bad(enum status_repl_state s)
{
	return s == STATUS_REPL_ALONE || s == STATUS_REPL_DIVERGED || s == STATUS_REPL_REFUSED;
}

bool status_repl_notable(enum status_repl_state last, enum status_repl_state s)
{
	if (repl_bad(s))
		return s != last;
	return s == STATUS_REPL_IN_SYNC && repl_bad(last);
}

bool status_repl_may_hand_over(const struct status_repl *r, char *why, size_t whylen)
{
	const char *who = *r->peer ? r->peer : "the standby";

	why[0] = '\0';
	if (r->state == STATUS_REPL_OFF ||
	    (r->state == STATUS_REPL_IN_SYNC && r->lag_revisions == 0))
		return true;
	if (r->state == STATUS_REPL_IN_SYNC || r->state == STATUS_REPL_CATCHING_UP ||
	    r->state == STATUS_REPL_ALONE)
		snprintf(
		    why, whylen,
		    "%s is not in sync (%s, %lld revision%s behind): handing over now would lose "
		    "configuration; wait, or force it",
		    who, status_repl_state_name(r->state), (long long)r->lag_revisions,
		    r->lag_revisions == 1 ? "" : "s");
	else
		snprintf(why, whylen,
			 "%s does not hold this node's configuration (replication %s%s%.120s): "
			 "handing over now would lose it; wait, or force it",
			 who,
			 status_repl_state_name(r->state) ? status_repl_state_name(r->state) : "?",
			 *r->error ? ": " : "", r->error);
	return false;
}
