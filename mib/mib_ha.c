/* Reads of FULCRUM-MIB's failover objects: fulcrumCluster's scalars and fulcrumHaRejectTable, from the engine's status. */
#include "controller/core/store.h"
#include "mib/mib-int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct status_cluster *mib_ha_status(struct mib *m)
{
	static struct status_cluster standalone = {.role = STATUS_ROLE_STANDALONE};

	if (!m->ha_snap && !(m->ha_snap = malloc(sizeof(*m->ha_snap))))
		return &standalone; /* out of memory: what a node without failover says */
	if (!m->ha_fresh) {
		memset(m->ha_snap, 0, sizeof(*m->ha_snap));
		m->ha_snap->role = STATUS_ROLE_STANDALONE;
		if (m->p.cluster)
			m->p.cluster(m->p.cluster_arg, m->ha_snap);
		m->ha_fresh = true;
	}
	return m->ha_snap;
}

void mib_ha_forget(struct mib *m)
{
	m->ha_fresh = false;
}

long mib_ha_role(enum status_role role)
{
	switch (role) {
	case STATUS_ROLE_STANDALONE:
		return 1;
	case STATUS_ROLE_ACTIVE:
		return 2;
	case STATUS_ROLE_STANDBY:
		return 3;
	case STATUS_ROLE_STARTING:
		return 4;
	case STATUS_ROLE_FAULT:
		return 5;
	}
	return 6; /* unknown */
}

long mib_ha_peer_state(const struct status_cluster *c)
{
	if (!c->enabled)
		return 1; /* none */
	switch (c->peer.state) {
	case STATUS_PEER_ALIVE:
		return 2;
	case STATUS_PEER_DEAD:
		return 3;
	case STATUS_PEER_UNKNOWN:
		break;
	}
	return 4;
}

long mib_repl_state(enum status_repl_state s)
{
	switch (s) {
	case STATUS_REPL_OFF:
		return 1;
	case STATUS_REPL_WAITING:
		return 2;
	case STATUS_REPL_CATCHING_UP:
		return 3;
	case STATUS_REPL_SNAPSHOT:
		return 4;
	case STATUS_REPL_IN_SYNC:
		return 5;
	case STATUS_REPL_ALONE:
		return 6;
	case STATUS_REPL_DIVERGED:
		return 7;
	case STATUS_REPL_REFUSED:
		return 8;
	}
	return 1;
}

/*
 * FulcrumHaFlags: BITS, bit n of STATUS_HA_* is named bit n (bit 0 is the
 * first octet's top bit). Always the two octets its ten named bits need,
 * so the length does not vary with the value.
 */
static void ha_bits(struct mib_value *v, unsigned flags)
{
	v->type = ASN_OCTET_STR;
	v->len = 2;
	v->s[0] = v->s[1] = 0;
	for (unsigned bit = 0; bit < 16; bit++)
		if (flags & (1u << bit))
			v->s[bit / 8] |= (u_char)(0x80 >> (bit % 8));
}

/* DateAndTime of Unix milliseconds. */
static void ha_time(struct mib_value *v, int64_t ms)
{
	mib_value_time(v, (time_t)(ms / 1000));
	if (v->len == 11)
		v->s[7] = (u_char)((ms % 1000) / 100); /* deci-seconds */
}

/*
 * The peer's address and port from "ADDR:PORT" or "[V6]:PORT" (where its
 * last message came from, else the path's configured peer). false when
 * there is none.
 */
static bool ha_peer_addr(const struct status_cluster *c, int *family, u_char *bytes, unsigned *port)
{
	const char *text = c->peer.addr[0] ? c->peer.addr : c->npaths ? c->paths[0].peer : "";
	char host[STATUS_HA_ADDR];
	const char *colon;
	size_t len;

	if (text[0] == '[') {
		const char *end = strstr(text, "]:");

		if (!end || (size_t)(end - text - 1) >= sizeof(host))
			return false;
		len = (size_t)(end - text - 1);
		memcpy(host, text + 1, len);
		colon = end + 1;
		*family = AF_INET6;
	} else {
		if (!(colon = strrchr(text, ':')) || (size_t)(colon - text) >= sizeof(host))
			return false;
		len = (size_t)(colon - text);
		memcpy(host, text, len);
		*family = AF_INET;
	}
	host[len] = '\0';
	*port = (unsigned)strtoul(colon + 1, NULL, 10);
	return inet_pton(*family, host, bytes) == 1 && *port <= 65535;
}

/* The last role change: the role history's newest row, or the engine's view when none. */
static void ha_last_change(struct mib *m, const struct status_cluster *c,
			   struct status_role_change *out)
{
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (m->p.role_history && m->p.role_history(m->p.role_history_arg, 1, out, &n) == 0 &&
	    n == 1)
		return;
	memset(out, 0, sizeof(*out));
	out->at = c->since;
	out->role = c->role;
	snprintf(out->reason, sizeof(out->reason), "%s", c->reason);
}

/* The peer's part of the group. */
static int ha_peer_value(const struct status_cluster *c, unsigned sub, struct mib_value *v)
{
	u_char bytes[16];
	unsigned port = 0;
	int family = 0;
	bool addr = c->enabled && ha_peer_addr(c, &family, bytes, &port);

	switch (sub) {
	case HA_PEER_NAME:
		mib_val_str(v, c->peer.name);
		return 0;
	case HA_PEER_ADDRESS_TYPE:
		mib_val_int(v, !addr ? 0 : family == AF_INET ? 1 : 2);
		return 0;
	case HA_PEER_ADDRESS:
		v->type = ASN_OCTET_STR;
		v->len = !addr ? 0 : family == AF_INET ? 4 : 16;
		memcpy(v->s, bytes, v->len);
		return 0;
	case HA_PEER_PORT:
		mib_val_uns(v, ASN_UNSIGNED, addr ? port : 0);
		return 0;
	case HA_PEER_ROLE:
		mib_val_int(v, c->enabled ? mib_ha_role(c->peer.role) : 6);
		return 0;
	case HA_PEER_TERM:
		mib_val_uns(v, ASN_UNSIGNED, c->peer.term);
		return 0;
	case HA_PEER_FLAGS:
		ha_bits(v, c->peer.flags);
		return 0;
	case HA_PEER_LAST_HEARD:
		ha_time(v, c->peer.last_heard);
		return 0;
	case HA_PEER_SILENCE:
		mib_val_uns(v, ASN_UNSIGNED, c->peer.last_heard ? c->peer.silent_ms : 0);
		return 0;
	}
	return -ENOKEY;
}

/* Gauge32 of a count that may be negative or beyond 32 bits: clamped to 0 .. 4294967295. */
static uint64_t repl_gauge(double x)
{
	return x <= 0 ? 0 : x >= 4294967295.0 ? 4294967295u : (uint64_t)x;
}

/* The replication part of the group (fulcrumRepl*): status_repl as the API shows it. */
static int repl_value(const struct status_repl *r, unsigned sub, struct mib_value *v)
{
	switch (sub) {
	case REPL_STATE:
		mib_val_int(v, mib_repl_state(r->state));
		return 0;
	case REPL_MODE:
		mib_val_int(v, strcmp(r->mode, "async") == 0 ? 2 : 1);
		return 0;
	case REPL_PEER_NAME:
		mib_val_str(v, r->peer);
		return 0;
	case REPL_PEER_REVISION:
		mib_val_c64(v, ASN_COUNTER64,
			    r->peer_revision > 0 ? (uint64_t)r->peer_revision : 0);
		return 0;
	case REPL_LAG_REVISIONS:
		mib_val_uns(v, ASN_GAUGE, repl_gauge((double)r->lag_revisions));
		return 0;
	case REPL_LAG_TIME:
		mib_val_uns(v, ASN_GAUGE, repl_gauge(r->lag_ms));
		return 0;
	case REPL_LAST_CHANGE:
		ha_time(v, r->since);
		return 0;
	case REPL_REASON:
		mib_val_str(v, r->error);
		return 0;
	case REPL_DIGEST:
		mib_val_int(v, !r->digest_at ? 1 : r->digest_equal ? 2 : 3);
		return 0;
	case REPL_DIGEST_TIME:
		ha_time(v, r->digest_at);
		return 0;
	case REPL_REVISIONS_SENT:
		mib_val_c64(v, ASN_COUNTER64, r->revisions_sent);
		return 0;
	case REPL_REVISIONS_APPLIED:
		mib_val_c64(v, ASN_COUNTER64, r->revisions_applied);
		return 0;
	case REPL_SNAPSHOTS_SENT:
		mib_val_c64(v, ASN_COUNTER64, r->snapshots_sent);
		return 0;
	case REPL_SNAPSHOTS_TAKEN:
		mib_val_c64(v, ASN_COUNTER64, r->snapshots_taken);
		return 0;
	case REPL_CONNECTS:
		mib_val_c64(v, ASN_COUNTER64, r->connects);
		return 0;
	case REPL_REFUSALS:
		mib_val_c64(v, ASN_COUNTER64, r->refusals);
		return 0;
	case REPL_DIVERGENCES:
		mib_val_c64(v, ASN_COUNTER64, r->divergences);
		return 0;
	}
	return -ENOKEY;
}

int mib_ha_value(struct mib *m, unsigned sub, struct mib_value *v)
{
	const struct status_cluster *c = mib_ha_status(m);
	struct status_role_change last;
	struct status_daemon st = {0};
	size_t nvips = 0;

	switch (sub) {
	case HA_TERM:
		mib_val_uns(v, ASN_UNSIGNED, c->term);
		return 0;
	case HA_CLUSTER_NAME:
		mib_val_str(v, c->enabled ? c->cluster : "");
		return 0;
	case HA_FLAGS:
		ha_bits(v, c->flags);
		return 0;
	case HA_LAST_CHANGE:
		ha_last_change(m, c, &last);
		ha_time(v, last.at);
		return 0;
	case HA_LAST_CHANGE_REASON:
		ha_last_change(m, c, &last);
		mib_val_str(v, last.reason);
		return 0;
	case HA_PREVIOUS_ROLE:
		ha_last_change(m, c, &last);
		mib_val_int(v, mib_ha_role(last.previous));
		return 0;
	case HA_BLOCKED:
		mib_val_str(v, c->blocked);
		return 0;
	case HA_HEALTH:
		mib_val_str(v, c->health);
		return 0;
	case HA_MAINTENANCE: /* TruthValue */
		mib_val_int(v, c->maintenance ? 1 : 2);
		return 0;
	case HA_SWITCHOVER:
		mib_val_int(v, HA_SWITCHOVER_IDLE);
		return 0;
	case HA_SENT:
		mib_val_c64(v, ASN_COUNTER64, c->sent);
		return 0;
	case HA_RECEIVED:
		mib_val_c64(v, ASN_COUNTER64, c->received[0].name ? c->received[0].n : 0);
		return 0;
	case HA_SEND_ERRORS:
		mib_val_c64(v, ASN_COUNTER64, c->send_errors);
		return 0;
	case HA_ROLE_CHANGES:
		mib_val_c64(v, ASN_COUNTER64, c->role_changes);
		return 0;
	case HA_VIPS_CONFIGURED:
		store_vip_all(m->p.store, &nvips);
		mib_val_uns(v, ASN_GAUGE, nvips);
		return 0;
	case HA_VIPS_HELD:
		mib_val_uns(v, ASN_GAUGE, c->vips_held);
		return 0;
	case HA_COUNTERS_SINCE:
		if (m->p.status)
			m->p.status(m->p.status_arg, &st);
		mib_value_time(v, st.started);
		return 0;
	}
	if (sub >= REPL_STATE && sub <= REPL_DIVERGENCES)
		return repl_value(&c->repl, sub, v);
	return ha_peer_value(c, sub, v);
}

/*
 * The reject table's rows: the receive results after "ok" (received[0]),
 * in the codec's order, which is FulcrumHaDropReason's; none when
 * standalone.
 */
size_t mib_ha_reject_rows(struct mib *m)
{
	const struct status_cluster *c = mib_ha_status(m);
	size_t n = 0;

	while (n + 1 < STATUS_HA_RESULTS && c->received[n + 1].name)
		n++;
	return c->enabled && c->received[0].name ? n : 0; /* standalone: no heartbeat port */
}

int mib_ha_reject_value(struct mib *m, size_t row, unsigned col, struct mib_value *v)
{
	const struct status_cluster *c = mib_ha_status(m);

	if (row >= mib_ha_reject_rows(m))
		return -ENOENT;
	switch (col) {
	case REJECT_NAME:
		mib_val_str(v, c->received[row + 1].name);
		return 0;
	case REJECT_COUNT:
		mib_val_c64(v, ASN_COUNTER64, c->received[row + 1].n);
		return 0;
	}
	return -ENOKEY;
}
