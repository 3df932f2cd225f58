/* IPVS settings over generic netlink: connection timeouts and connection-sync daemons. */
#include "controller/ipvs/ipvs.h"
#include "controller/ipvs/ipvs_int.h"

#include <errno.h>
#include <linux/ip_vs.h>
#include <netlink/genl/genl.h>
#include <string.h>

static const struct nla_policy daemon_policy[IPVS_DAEMON_ATTR_MAX + 1] = {
    [IPVS_DAEMON_ATTR_STATE] = {.type = NLA_U32},
    [IPVS_DAEMON_ATTR_MCAST_IFN] = {.type = NLA_STRING, .maxlen = IP_VS_IFNAME_MAXLEN},
    [IPVS_DAEMON_ATTR_SYNC_ID] = {.type = NLA_U32},
    [IPVS_DAEMON_ATTR_SYNC_MAXLEN] = {.type = NLA_U16},
    [IPVS_DAEMON_ATTR_MCAST_GROUP] = {.type = NLA_U32},
    [IPVS_DAEMON_ATTR_MCAST_GROUP6] = {.type = NLA_UNSPEC, .minlen = 16},
    [IPVS_DAEMON_ATTR_MCAST_PORT] = {.type = NLA_U16},
    [IPVS_DAEMON_ATTR_MCAST_TTL] = {.type = NLA_U8},
};

static int ipvs_timeout_answer(struct nl_msg *msg, void *arg)
{
	struct ipvs_timeouts *out = arg;
	struct nlattr *a[IPVS_CMD_ATTR_MAX + 1];

	if (ipvs_msg_parse(msg, a, IPVS_CMD_ATTR_MAX, ipvs_cmd_policy) < 0)
		return -EPROTO;
	if (a[IPVS_CMD_ATTR_TIMEOUT_TCP])
		out->tcp = nla_get_u32(a[IPVS_CMD_ATTR_TIMEOUT_TCP]);
	if (a[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN])
		out->tcp_fin = nla_get_u32(a[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]);
	if (a[IPVS_CMD_ATTR_TIMEOUT_UDP])
		out->udp = nla_get_u32(a[IPVS_CMD_ATTR_TIMEOUT_UDP]);
	return 0;
}

int ipvs_timeout_get(struct ipvs *ipvs, struct ipvs_timeouts *out)
{
	struct nl_msg *msg;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ipvs_ready(ipvs)) < 0)
		return rc;
	msg = ipvs_msg_new(ipvs, IPVS_CMD_GET_CONFIG, 0);
	if (!msg)
		return -ENOMEM;
	return ipvs_request(ipvs, msg, ipvs_timeout_answer, out);
}

int ipvs_timeout_set(struct ipvs *ipvs, const struct ipvs_timeouts *t)
{
	struct nl_msg *msg;
	int rc;

	if ((rc = ipvs_ready(ipvs)) < 0)
		return rc;
	msg = ipvs_msg_new(ipvs, IPVS_CMD_SET_CONFIG, 0);
	if (!msg)
		return -ENOMEM;
	/* An absent attribute keeps the kernel's value, as 0 would. */
	if ((t->tcp && nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP, t->tcp) < 0) ||
	    (t->tcp_fin && nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t->tcp_fin) < 0) ||
	    (t->udp && nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_UDP, t->udp) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ipvs_request(ipvs, msg, NULL, NULL);
}

/* Puts d as IPVS_CMD_ATTR_DAEMON: with full everything start takes, else its role only. */
static int ipvs_daemon_put(struct nl_msg *msg, const struct ipvs_sync_daemon *d, bool full)
{
	struct nlattr *nest = nla_nest_start(msg, IPVS_CMD_ATTR_DAEMON);

	if (!nest || nla_put_u32(msg, IPVS_DAEMON_ATTR_STATE, d->state) < 0)
		return -EMSGSIZE;
	if (full &&
	    (nla_put_string(msg, IPVS_DAEMON_ATTR_MCAST_IFN, d->ifname) < 0 ||
	     nla_put_u32(msg, IPVS_DAEMON_ATTR_SYNC_ID, d->syncid) < 0 ||
	     (d->maxlen && nla_put_u16(msg, IPVS_DAEMON_ATTR_SYNC_MAXLEN, d->maxlen) < 0) ||
	     (d->mcast_port && nla_put_u16(msg, IPVS_DAEMON_ATTR_MCAST_PORT, d->mcast_port) < 0) ||
	     (d->mcast_ttl && nla_put_u8(msg, IPVS_DAEMON_ATTR_MCAST_TTL, d->mcast_ttl) < 0) ||
	     (d->mcast_af == AF_INET &&
	      ipvs_addr_put(msg, IPVS_DAEMON_ATTR_MCAST_GROUP, AF_INET, &d->mcast_group) < 0) ||
	     (d->mcast_af == AF_INET6 &&
	      ipvs_addr_put(msg, IPVS_DAEMON_ATTR_MCAST_GROUP6, AF_INET6, &d->mcast_group) < 0)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Sends cmd (NEW_DAEMON or DEL_DAEMON) for d, waiting wait_ms for the answer. */
static int ipvs_daemon_cmd(struct ipvs *ipvs, uint8_t cmd, const struct ipvs_sync_daemon *d,
			   unsigned wait_ms)
{
	bool full = cmd == IPVS_CMD_NEW_DAEMON;
	struct nl_msg *msg;
	int rc;

	if ((rc = ipvs_ready(ipvs)) < 0)
		return rc;
	if (d->state != IPVS_SYNC_MASTER && d->state != IPVS_SYNC_BACKUP)
		return -EINVAL;
	if (full && (strnlen(d->ifname, sizeof(d->ifname)) == sizeof(d->ifname) ||
		     (d->mcast_af != 0 && d->mcast_af != AF_INET && d->mcast_af != AF_INET6)))
		return -EINVAL;
	msg = ipvs_msg_new(ipvs, cmd, 0);
	if (!msg)
		return -ENOMEM;
	if ((rc = ipvs_daemon_put(msg, d, full)) < 0) {
		nlmsg_free(msg);
		return rc;
	}
	return ipvs_request_wait(ipvs, msg, NULL, NULL, wait_ms);
}

int ipvs_sync_daemon_start(struct ipvs *ipvs, const struct ipvs_sync_daemon *d)
{
	return ipvs_daemon_cmd(ipvs, IPVS_CMD_NEW_DAEMON, d, IPVS_RECV_TIMEOUT_S * 1000);
}

/*
 * The kernel may stop a daemon and not say so: stop_sync_thread() passes on
 * kthread_stop()'s -EINTR when the daemon's thread has not run yet (a stop
 * right after a start), and netlink_rcv_skb() sends no answer at all for
 * -EINTR. The rig saw it in 2 to 50 stops in 100 under TCG, each a 30 s
 * wait before. The kernel runs the stop within our send, so an answer is
 * queued before we wait for it: a stop that has none after
 * IPVS_SYNC_STOP_WAIT_MS got none, and the list says whether the daemon is
 * gone.
 */
int ipvs_sync_daemon_stop(struct ipvs *ipvs, unsigned state)
{
	struct ipvs_sync_daemon d = {.state = state}, run[2];
	size_t n;
	int rc = ipvs_daemon_cmd(ipvs, IPVS_CMD_DEL_DAEMON, &d, IPVS_SYNC_STOP_WAIT_MS);

	if (rc != -ETIMEDOUT)
		return rc;
	if (ipvs_sync_daemon_list(ipvs, run, &n) != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (run[i].state == state)
			return rc; /* still running: the stop really failed */
	return 0;
}

/* What a daemon dump has collected so far: at most a master and a backup. */
struct ipvs_daemon_acc {
	struct ipvs_sync_daemon *v;
	size_t n;
};

static int ipvs_daemon_parse(struct nlattr *nest, struct ipvs_sync_daemon *out)
{
	struct nlattr *a[IPVS_DAEMON_ATTR_MAX + 1];

	memset(out, 0, sizeof(*out));
	if (nla_parse_nested(a, IPVS_DAEMON_ATTR_MAX, nest, daemon_policy) < 0 ||
	    !a[IPVS_DAEMON_ATTR_STATE])
		return -EPROTO;
	out->state = nla_get_u32(a[IPVS_DAEMON_ATTR_STATE]);
	if (a[IPVS_DAEMON_ATTR_MCAST_IFN])
		nla_strlcpy(out->ifname, a[IPVS_DAEMON_ATTR_MCAST_IFN], sizeof(out->ifname));
	if (a[IPVS_DAEMON_ATTR_SYNC_ID])
		out->syncid = (uint8_t)nla_get_u32(a[IPVS_DAEMON_ATTR_SYNC_ID]);
	if (a[IPVS_DAEMON_ATTR_SYNC_MAXLEN])
		out->maxlen = nla_get_u16(a[IPVS_DAEMON_ATTR_SYNC_MAXLEN]);
	if (a[IPVS_DAEMON_ATTR_MCAST_PORT])
		out->mcast_port = nla_get_u16(a[IPVS_DAEMON_ATTR_MCAST_PORT]);
	if (a[IPVS_DAEMON_ATTR_MCAST_TTL])
		out->mcast_ttl = nla_get_u8(a[IPVS_DAEMON_ATTR_MCAST_TTL]);
	if (a[IPVS_DAEMON_ATTR_MCAST_GROUP6]) {
		out->mcast_af = AF_INET6;
		return ipvs_addr_get(a[IPVS_DAEMON_ATTR_MCAST_GROUP6], AF_INET6, &out->mcast_group);
	}
	if (a[IPVS_DAEMON_ATTR_MCAST_GROUP]) {
		out->mcast_af = AF_INET;
		return ipvs_addr_get(a[IPVS_DAEMON_ATTR_MCAST_GROUP], AF_INET, &out->mcast_group);
	}
	return 0;
}

static int ipvs_daemon_answer(struct nl_msg *msg, void *arg)
{
	struct ipvs_daemon_acc *acc = arg;
	struct nlattr *a[IPVS_CMD_ATTR_MAX + 1];
	int rc;

	if (ipvs_msg_parse(msg, a, IPVS_CMD_ATTR_MAX, ipvs_cmd_policy) < 0 ||
	    !a[IPVS_CMD_ATTR_DAEMON])
		return -EPROTO;
	if (acc->n == 2)
		return -EPROTO;
	rc = ipvs_daemon_parse(a[IPVS_CMD_ATTR_DAEMON], &acc->v[acc->n]);
	if (rc == 0)
		acc->n++;
	return rc;
}

static void ipvs_daemon_restart(void *arg)
{
	((struct ipvs_daemon_acc *)arg)->n = 0;
}

int ipvs_sync_daemon_list(struct ipvs *ipvs, struct ipvs_sync_daemon out[2], size_t *count)
{
	struct ipvs_daemon_acc acc = {.v = out};
	int rc;

	*count = 0;
	memset(out, 0, 2 * sizeof(*out));
	if ((rc = ipvs_ready(ipvs)) < 0)
		return rc;
	rc = ipvs_dump(ipvs, IPVS_CMD_GET_DAEMON, NULL, NULL, ipvs_daemon_answer,
		       ipvs_daemon_restart, &acc);
	if (rc == 0)
		*count = acc.n;
	return rc;
}
