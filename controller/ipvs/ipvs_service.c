/* IPVS virtual services over generic netlink: dump, get, add, edit, delete, zero, flush. */
#include "controller/ipvs/ipvs.h"
#include "controller/ipvs/ipvs_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ip_vs.h>
#include <netlink/genl/genl.h>
#include <stdlib.h>
#include <string.h>

static const struct nla_policy svc_policy[IPVS_SVC_ATTR_MAX + 1] = {
    [IPVS_SVC_ATTR_AF] = {.type = NLA_U16},
    [IPVS_SVC_ATTR_PROTOCOL] = {.type = NLA_U16},
    [IPVS_SVC_ATTR_ADDR] = {.type = NLA_UNSPEC, .minlen = 4, .maxlen = 16},
    [IPVS_SVC_ATTR_PORT] = {.type = NLA_U16},
    [IPVS_SVC_ATTR_FWMARK] = {.type = NLA_U32},
    [IPVS_SVC_ATTR_SCHED_NAME] = {.type = NLA_STRING, .maxlen = IP_VS_SCHEDNAME_MAXLEN},
    [IPVS_SVC_ATTR_FLAGS] = {.type = NLA_UNSPEC, .minlen = sizeof(struct ip_vs_flags)},
    [IPVS_SVC_ATTR_TIMEOUT] = {.type = NLA_U32},
    [IPVS_SVC_ATTR_NETMASK] = {.type = NLA_U32},
    [IPVS_SVC_ATTR_STATS] = {.type = NLA_NESTED},
    [IPVS_SVC_ATTR_PE_NAME] = {.type = NLA_STRING, .maxlen = IP_VS_PENAME_MAXLEN},
    [IPVS_SVC_ATTR_STATS64] = {.type = NLA_NESTED},
};

/* The netmask attribute: IPv4 sends the mask itself, IPv6 the prefix length as a number. */
static uint32_t netmask_to_wire(int af, uint32_t netmask)
{
	return af == AF_INET6 ? netmask : htonl(netmask);
}

static uint32_t netmask_from_wire(int af, uint32_t wire)
{
	return af == AF_INET6 ? wire : ntohl(wire);
}

/* Refuses, before the kernel does, what could not even be put in a message. */
static int ipvs_service_validate(const struct ipvs_service *svc, bool full)
{
	if (svc->af != AF_INET && svc->af != AF_INET6)
		return -EAFNOSUPPORT;
	if (full && strnlen(svc->sched_name, sizeof(svc->sched_name)) == sizeof(svc->sched_name))
		return -EINVAL;
	return 0;
}

/* Puts svc as IPVS_CMD_ATTR_SERVICE: its key, and with full its settings too. */
static int ipvs_service_put(struct nl_msg *msg, const struct ipvs_service *svc, bool full)
{
	struct nlattr *nest = nla_nest_start(msg, IPVS_CMD_ATTR_SERVICE);
	struct ip_vs_flags flags = {.flags = svc->flags, .mask = ~0u};

	if (!nest || nla_put_u16(msg, IPVS_SVC_ATTR_AF, (uint16_t)svc->af) < 0)
		return -EMSGSIZE;
	if (svc->fwmark) {
		if (nla_put_u32(msg, IPVS_SVC_ATTR_FWMARK, svc->fwmark) < 0)
			return -EMSGSIZE;
	} else if (nla_put_u16(msg, IPVS_SVC_ATTR_PROTOCOL, svc->protocol) < 0 ||
		   ipvs_addr_put(msg, IPVS_SVC_ATTR_ADDR, svc->af, &svc->addr) < 0 ||
		   nla_put_u16(msg, IPVS_SVC_ATTR_PORT, htons(svc->port)) < 0) {
		return -EMSGSIZE;
	}
	if (full &&
	    (nla_put_string(msg, IPVS_SVC_ATTR_SCHED_NAME, svc->sched_name) < 0 ||
	     nla_put(msg, IPVS_SVC_ATTR_FLAGS, sizeof(flags), &flags) < 0 ||
	     nla_put_u32(msg, IPVS_SVC_ATTR_TIMEOUT, svc->timeout) < 0 ||
	     nla_put_u32(msg, IPVS_SVC_ATTR_NETMASK, netmask_to_wire(svc->af, svc->netmask)) < 0))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

int ipvs_service_key_put(struct nl_msg *msg, const struct ipvs_service *svc)
{
	return ipvs_service_put(msg, svc, false);
}

/* Reads one IPVS_CMD_ATTR_SERVICE into out. Returns 0 or -EPROTO. */
static int ipvs_service_parse(struct nlattr *nest, struct ipvs_service *out)
{
	struct nlattr *a[IPVS_SVC_ATTR_MAX + 1];
	struct ip_vs_flags flags;

	memset(out, 0, sizeof(*out));
	if (nla_parse_nested(a, IPVS_SVC_ATTR_MAX, nest, svc_policy) < 0 || !a[IPVS_SVC_ATTR_AF])
		return -EPROTO;
	out->af = nla_get_u16(a[IPVS_SVC_ATTR_AF]);
	if (a[IPVS_SVC_ATTR_FWMARK]) {
		out->fwmark = nla_get_u32(a[IPVS_SVC_ATTR_FWMARK]);
	} else {
		if (!a[IPVS_SVC_ATTR_PROTOCOL] || !a[IPVS_SVC_ATTR_ADDR] || !a[IPVS_SVC_ATTR_PORT])
			return -EPROTO;
		out->protocol = nla_get_u16(a[IPVS_SVC_ATTR_PROTOCOL]);
		if (ipvs_addr_get(a[IPVS_SVC_ATTR_ADDR], out->af, &out->addr) < 0)
			return -EPROTO;
		out->port = ntohs(nla_get_u16(a[IPVS_SVC_ATTR_PORT]));
	}
	if (a[IPVS_SVC_ATTR_SCHED_NAME])
		nla_strlcpy(out->sched_name, a[IPVS_SVC_ATTR_SCHED_NAME], sizeof(out->sched_name));
	if (a[IPVS_SVC_ATTR_FLAGS]) {
		memcpy(&flags, nla_data(a[IPVS_SVC_ATTR_FLAGS]), sizeof(flags));
		out->flags = flags.flags & ~(uint32_t)IP_VS_SVC_F_HASHED; /* the kernel's own */
	}
	if (a[IPVS_SVC_ATTR_TIMEOUT])
		out->timeout = nla_get_u32(a[IPVS_SVC_ATTR_TIMEOUT]);
	if (a[IPVS_SVC_ATTR_NETMASK])
		out->netmask = netmask_from_wire(out->af, nla_get_u32(a[IPVS_SVC_ATTR_NETMASK]));
	return ipvs_stats_parse(a[IPVS_SVC_ATTR_STATS64], a[IPVS_SVC_ATTR_STATS], &out->stats);
}

/* Reads the service of an answer into arg (a struct ipvs_service). */
static int ipvs_service_answer(struct nl_msg *msg, void *arg)
{
	struct nlattr *attrs[IPVS_CMD_ATTR_MAX + 1];

	if (ipvs_msg_parse(msg, attrs, IPVS_CMD_ATTR_MAX, ipvs_cmd_policy) < 0 ||
	    !attrs[IPVS_CMD_ATTR_SERVICE])
		return -EPROTO;
	return ipvs_service_parse(attrs[IPVS_CMD_ATTR_SERVICE], arg);
}

/* What a service dump has collected so far. */
struct ipvs_service_acc {
	struct ipvs_service *v;
	size_t n, cap;
};

static int ipvs_service_list_answer(struct nl_msg *msg, void *arg)
{
	struct ipvs_service_acc *acc = arg;
	struct ipvs_service *grown;
	int rc;

	if (acc->n == acc->cap) {
		size_t cap = acc->cap ? acc->cap * 2 : 64;

		grown = realloc(acc->v, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		acc->v = grown;
		acc->cap = cap;
	}
	rc = ipvs_service_answer(msg, &acc->v[acc->n]);
	if (rc == 0)
		acc->n++;
	return rc;
}

static void ipvs_service_list_restart(void *arg)
{
	((struct ipvs_service_acc *)arg)->n = 0;
}

int ipvs_service_list(struct ipvs *ipvs, struct ipvs_service **out, size_t *count)
{
	struct ipvs_service_acc acc = {0};
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = ipvs_ready(ipvs)) < 0)
		return rc;
	rc = ipvs_dump(ipvs, IPVS_CMD_GET_SERVICE, NULL, NULL, ipvs_service_list_answer,
		       ipvs_service_list_restart, &acc);
	if (rc < 0 || acc.n == 0) {
		free(acc.v);
		return rc;
	}
	*out = acc.v;
	*count = acc.n;
	return 0;
}

/*
 * Sends cmd with svc (full: its settings too), reading an answer into answer
 * when not NULL. Returns what ipvs_request() does.
 */
static int ipvs_service_cmd(struct ipvs *ipvs, uint8_t cmd, const struct ipvs_service *svc,
			    bool full, struct ipvs_service *answer)
{
	struct nl_msg *msg;
	int rc;

	if ((rc = ipvs_ready(ipvs)) < 0)
		return rc;
	if (svc && (rc = ipvs_service_validate(svc, full)) < 0)
		return rc;
	msg = ipvs_msg_new(ipvs, cmd, 0);
	if (!msg)
		return -ENOMEM;
	if (svc && (rc = ipvs_service_put(msg, svc, full)) < 0) {
		nlmsg_free(msg);
		return rc;
	}
	return ipvs_request(ipvs, msg, answer ? ipvs_service_answer : NULL, answer);
}

int ipvs_service_get(struct ipvs *ipvs, const struct ipvs_service *svc, struct ipvs_service *out)
{
	memset(out, 0, sizeof(*out));
	return ipvs_service_cmd(ipvs, IPVS_CMD_GET_SERVICE, svc, false, out);
}

int ipvs_service_add(struct ipvs *ipvs, const struct ipvs_service *svc, unsigned flags)
{
	int rc = ipvs_service_cmd(ipvs, IPVS_CMD_NEW_SERVICE, svc, true, NULL);

	return rc == -EEXIST && (flags & IPVS_F_IDEMPOTENT) ? 0 : rc;
}

int ipvs_service_edit(struct ipvs *ipvs, const struct ipvs_service *svc)
{
	return ipvs_service_cmd(ipvs, IPVS_CMD_SET_SERVICE, svc, true, NULL);
}

int ipvs_service_del(struct ipvs *ipvs, const struct ipvs_service *svc, unsigned flags)
{
	int rc = ipvs_service_cmd(ipvs, IPVS_CMD_DEL_SERVICE, svc, false, NULL);

	return (rc == -ESRCH || rc == -ENOENT) && (flags & IPVS_F_IDEMPOTENT) ? 0 : rc;
}

int ipvs_zero(struct ipvs *ipvs, const struct ipvs_service *svc)
{
	return ipvs_service_cmd(ipvs, IPVS_CMD_ZERO, svc, false, NULL);
}

int ipvs_flush(struct ipvs *ipvs)
{
	return ipvs_service_cmd(ipvs, IPVS_CMD_FLUSH, NULL, false, NULL);
}
