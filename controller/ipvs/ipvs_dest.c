/* IPVS real servers (destinations) over generic netlink: dump, add, edit, delete. */
#include "controller/ipvs/ipvs.h"
#include "controller/ipvs/ipvs_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ip_vs.h>
#include <netlink/genl/genl.h>
#include <stdlib.h>
#include <string.h>

static const struct nla_policy dest_policy[IPVS_DEST_ATTR_MAX + 1] = {
    [IPVS_DEST_ATTR_ADDR] = {.type = NLA_UNSPEC, .minlen = 4, .maxlen = 16},
    [IPVS_DEST_ATTR_PORT] = {.type = NLA_U16},
    [IPVS_DEST_ATTR_FWD_METHOD] = {.type = NLA_U32},
    [IPVS_DEST_ATTR_WEIGHT] = {.type = NLA_U32},
    [IPVS_DEST_ATTR_U_THRESH] = {.type = NLA_U32},
    [IPVS_DEST_ATTR_L_THRESH] = {.type = NLA_U32},
    [IPVS_DEST_ATTR_ACTIVE_CONNS] = {.type = NLA_U32},
    [IPVS_DEST_ATTR_INACT_CONNS] = {.type = NLA_U32},
    [IPVS_DEST_ATTR_PERSIST_CONNS] = {.type = NLA_U32},
    [IPVS_DEST_ATTR_STATS] = {.type = NLA_NESTED},
    [IPVS_DEST_ATTR_ADDR_FAMILY] = {.type = NLA_U16},
    [IPVS_DEST_ATTR_STATS64] = {.type = NLA_NESTED},
    [IPVS_DEST_ATTR_TUN_TYPE] = {.type = NLA_U8},
    [IPVS_DEST_ATTR_TUN_PORT] = {.type = NLA_U16},
    [IPVS_DEST_ATTR_TUN_FLAGS] = {.type = NLA_U16},
};

/*
 * The rules the kernel answers with a bare EINVAL, checked here so each has an
 * errno of its own (see ipvs.h).
 */
static int ipvs_dest_validate(const struct ipvs_service *svc, const struct ipvs_dest *dest,
			      bool full)
{
	if (dest->af != AF_INET && dest->af != AF_INET6)
		return -EAFNOSUPPORT;
	if (!full)
		return 0;
	if (dest->af != svc->af && dest->fwd != IPVS_FWD_TUNNEL)
		return -EPFNOSUPPORT;
	if (dest->tun_type == IPVS_TUN_GUE && dest->tun_port == 0)
		return -EDESTADDRREQ;
	return 0;
}

/* Puts dest as IPVS_CMD_ATTR_DEST: its key, and with full its settings too. */
static int ipvs_dest_put(struct nl_msg *msg, const struct ipvs_dest *dest, bool full)
{
	struct nlattr *nest = nla_nest_start(msg, IPVS_CMD_ATTR_DEST);

	if (!nest || ipvs_addr_put(msg, IPVS_DEST_ATTR_ADDR, dest->af, &dest->addr) < 0 ||
	    nla_put_u16(msg, IPVS_DEST_ATTR_PORT, htons(dest->port)) < 0 ||
	    nla_put_u16(msg, IPVS_DEST_ATTR_ADDR_FAMILY, (uint16_t)dest->af) < 0)
		return -EMSGSIZE;
	if (full && (nla_put_u32(msg, IPVS_DEST_ATTR_FWD_METHOD, (uint32_t)dest->fwd) < 0 ||
		     nla_put_u32(msg, IPVS_DEST_ATTR_WEIGHT, dest->weight) < 0 ||
		     nla_put_u32(msg, IPVS_DEST_ATTR_U_THRESH, dest->u_threshold) < 0 ||
		     nla_put_u32(msg, IPVS_DEST_ATTR_L_THRESH, dest->l_threshold) < 0 ||
		     nla_put_u8(msg, IPVS_DEST_ATTR_TUN_TYPE, (uint8_t)dest->tun_type) < 0 ||
		     nla_put_u16(msg, IPVS_DEST_ATTR_TUN_PORT, htons(dest->tun_port)) < 0 ||
		     nla_put_u16(msg, IPVS_DEST_ATTR_TUN_FLAGS, dest->tun_flags) < 0))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Reads one IPVS_CMD_ATTR_DEST into out; af is the service's, for kernels that omit the dest's. */
static int ipvs_dest_parse(struct nlattr *nest, int af, struct ipvs_dest *out)
{
	struct nlattr *a[IPVS_DEST_ATTR_MAX + 1];

	memset(out, 0, sizeof(*out));
	if (nla_parse_nested(a, IPVS_DEST_ATTR_MAX, nest, dest_policy) < 0 ||
	    !a[IPVS_DEST_ATTR_ADDR] || !a[IPVS_DEST_ATTR_PORT])
		return -EPROTO;
	out->af = a[IPVS_DEST_ATTR_ADDR_FAMILY] ? nla_get_u16(a[IPVS_DEST_ATTR_ADDR_FAMILY]) : af;
	if (ipvs_addr_get(a[IPVS_DEST_ATTR_ADDR], out->af, &out->addr) < 0)
		return -EPROTO;
	out->port = ntohs(nla_get_u16(a[IPVS_DEST_ATTR_PORT]));
	if (a[IPVS_DEST_ATTR_FWD_METHOD])
		out->fwd = (enum ipvs_fwd)(nla_get_u32(a[IPVS_DEST_ATTR_FWD_METHOD]) &
					   IP_VS_CONN_F_FWD_MASK);
	if (a[IPVS_DEST_ATTR_WEIGHT])
		out->weight = nla_get_u32(a[IPVS_DEST_ATTR_WEIGHT]);
	if (a[IPVS_DEST_ATTR_U_THRESH])
		out->u_threshold = nla_get_u32(a[IPVS_DEST_ATTR_U_THRESH]);
	if (a[IPVS_DEST_ATTR_L_THRESH])
		out->l_threshold = nla_get_u32(a[IPVS_DEST_ATTR_L_THRESH]);
	if (a[IPVS_DEST_ATTR_TUN_TYPE])
		out->tun_type = (enum ipvs_tun)nla_get_u8(a[IPVS_DEST_ATTR_TUN_TYPE]);
	if (a[IPVS_DEST_ATTR_TUN_PORT])
		out->tun_port = ntohs(nla_get_u16(a[IPVS_DEST_ATTR_TUN_PORT]));
	if (a[IPVS_DEST_ATTR_TUN_FLAGS])
		out->tun_flags = nla_get_u16(a[IPVS_DEST_ATTR_TUN_FLAGS]);
	if (a[IPVS_DEST_ATTR_ACTIVE_CONNS])
		out->active_conns = nla_get_u32(a[IPVS_DEST_ATTR_ACTIVE_CONNS]);
	if (a[IPVS_DEST_ATTR_INACT_CONNS])
		out->inactive_conns = nla_get_u32(a[IPVS_DEST_ATTR_INACT_CONNS]);
	if (a[IPVS_DEST_ATTR_PERSIST_CONNS])
		out->persistent_conns = nla_get_u32(a[IPVS_DEST_ATTR_PERSIST_CONNS]);
	return ipvs_stats_parse(a[IPVS_DEST_ATTR_STATS64], a[IPVS_DEST_ATTR_STATS], &out->stats);
}

/* What a real-server dump has collected so far. */
struct ipvs_dest_acc {
	int af; /* the service's */
	struct ipvs_dest *v;
	size_t n, cap;
};

static int ipvs_dest_list_answer(struct nl_msg *msg, void *arg)
{
	struct ipvs_dest_acc *acc = arg;
	struct nlattr *attrs[IPVS_CMD_ATTR_MAX + 1];
	struct ipvs_dest *grown;
	int rc;

	if (ipvs_msg_parse(msg, attrs, IPVS_CMD_ATTR_MAX, ipvs_cmd_policy) < 0 ||
	    !attrs[IPVS_CMD_ATTR_DEST])
		return -EPROTO;
	if (acc->n == acc->cap) {
		size_t cap = acc->cap ? acc->cap * 2 : 16;

		grown = realloc(acc->v, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		acc->v = grown;
		acc->cap = cap;
	}
	rc = ipvs_dest_parse(attrs[IPVS_CMD_ATTR_DEST], acc->af, &acc->v[acc->n]);
	if (rc == 0)
		acc->n++;
	return rc;
}

static void ipvs_dest_list_restart(void *arg)
{
	((struct ipvs_dest_acc *)arg)->n = 0;
}

static int ipvs_dest_list_put(struct nl_msg *msg, const void *svc)
{
	return ipvs_service_key_put(msg, svc);
}

int ipvs_dest_list(struct ipvs *ipvs, const struct ipvs_service *svc, struct ipvs_dest **out,
		   size_t *count)
{
	struct ipvs_dest_acc acc = {.af = svc->af};
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = ipvs_ready(ipvs)) < 0)
		return rc;
	if (svc->af != AF_INET && svc->af != AF_INET6)
		return -EAFNOSUPPORT;
	rc = ipvs_dump(ipvs, IPVS_CMD_GET_DEST, ipvs_dest_list_put, svc, ipvs_dest_list_answer,
		       ipvs_dest_list_restart, &acc);
	if (rc < 0 || acc.n == 0) {
		free(acc.v);
		return rc;
	}
	*out = acc.v;
	*count = acc.n;
	return 0;
}

/* Sends cmd naming svc and dest (full: dest's settings too). */
static int ipvs_dest_cmd(struct ipvs *ipvs, uint8_t cmd, const struct ipvs_service *svc,
			 const struct ipvs_dest *dest, bool full)
{
	struct nl_msg *msg;
	int rc;

	if ((rc = ipvs_ready(ipvs)) < 0)
		return rc;
	if (svc->af != AF_INET && svc->af != AF_INET6)
		return -EAFNOSUPPORT;
	if ((rc = ipvs_dest_validate(svc, dest, full)) < 0)
		return rc;
	msg = ipvs_msg_new(ipvs, cmd, 0);
	if (!msg)
		return -ENOMEM;
	if ((rc = ipvs_service_key_put(msg, svc)) < 0 ||
	    (rc = ipvs_dest_put(msg, dest, full)) < 0) {
		nlmsg_free(msg);
		return rc;
	}
	return ipvs_request(ipvs, msg, NULL, NULL);
}

int ipvs_dest_add(struct ipvs *ipvs, const struct ipvs_service *svc, const struct ipvs_dest *dest,
		  unsigned flags)
{
	int rc = ipvs_dest_cmd(ipvs, IPVS_CMD_NEW_DEST, svc, dest, true);

	return rc == -EEXIST && (flags & IPVS_F_IDEMPOTENT) ? 0 : rc;
}

int ipvs_dest_edit(struct ipvs *ipvs, const struct ipvs_service *svc, const struct ipvs_dest *dest)
{
	return ipvs_dest_cmd(ipvs, IPVS_CMD_SET_DEST, svc, dest, true);
}

int ipvs_dest_del(struct ipvs *ipvs, const struct ipvs_service *svc, const struct ipvs_dest *dest,
		  unsigned flags)
{
	int rc = ipvs_dest_cmd(ipvs, IPVS_CMD_DEL_DEST, svc, dest, false);

	/* A real server whose service is gone is gone too. */
	return (rc == -ENOENT || rc == -ESRCH) && (flags & IPVS_F_IDEMPOTENT) ? 0 : rc;
}
