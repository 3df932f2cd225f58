/* Model to IPVS kernel types, and the comparisons reconcile makes. */
#include "controller/reconcile/ipvs_model.h"
#include "controller/model/model.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* The bytes of an address of family af that the kernel compares. */
static size_t addr_len(int af)
{
	return af == AF_INET6 ? sizeof(struct in6_addr) : sizeof(struct in_addr);
}

/* Copies a model address into a kernel one; -EINVAL unless it is of family af. */
static int addr_from_model(const struct fulcrum_addr *a, int af, union ipvs_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (a->family != af)
		return -EINVAL;
	if (af == AF_INET)
		out->v4 = a->u.v4;
	else if (af == AF_INET6)
		out->v6 = a->u.v6;
	else
		return -EINVAL;
	return 0;
}

/* An IPv4 netmask of plen leading one bits, in host order. */
static uint32_t mask_from_prefix(unsigned plen)
{
	return plen == 0 ? 0 : plen >= 32 ? 0xffffffffu : 0xffffffffu << (32 - plen);
}

static int protocol_from_model(enum fulcrum_protocol p, uint16_t *out)
{
	switch (p) {
	case FULCRUM_PROTO_TCP:
		*out = IPPROTO_TCP;
		return 0;
	case FULCRUM_PROTO_UDP:
		*out = IPPROTO_UDP;
		return 0;
	case FULCRUM_PROTO_SCTP:
		*out = IPPROTO_SCTP;
		return 0;
	default:
		return -EINVAL;
	}
}

int ipvs_service_from_vs(const struct fulcrum_vs *vs, struct ipvs_service *out)
{
	const char *sched = model_scheduler_name(vs->scheduler);
	int rc;

	memset(out, 0, sizeof(*out));
	if ((vs->family != AF_INET && vs->family != AF_INET6) || !sched ||
	    strlen(sched) > IPVS_SCHED_NAME_MAX)
		return -EINVAL;
	out->af = vs->family;
	if (vs->fwmark) {
		out->fwmark = vs->fwmark;
	} else {
		if ((rc = protocol_from_model(vs->protocol, &out->protocol)) < 0 ||
		    (rc = addr_from_model(&vs->addr, vs->family, &out->addr)) < 0)
			return rc;
		out->port = vs->port;
	}
	strcpy(out->sched_name, sched);
	if (vs->persistence_timeout)
		out->flags |= IPVS_SVC_F_PERSISTENT;
	if (vs->one_packet)
		out->flags |= IPVS_SVC_F_ONEPACKET;
	if (vs->scheduler_flags & FULCRUM_SCHED_F_FALLBACK)
		out->flags |= IPVS_SVC_F_SCHED1;
	if (vs->scheduler_flags & FULCRUM_SCHED_F_PORT)
		out->flags |= IPVS_SVC_F_SCHED2;
	out->timeout = vs->persistence_timeout;
	if (vs->family == AF_INET)
		out->netmask = mask_from_prefix(vs->persistence_netmask);
	else if (vs->persistence_netmask == 0 && !vs->persistence_timeout)
		out->netmask = 128;
	else
		out->netmask = vs->persistence_netmask;
	return 0;
}

static int fwd_from_model(enum fulcrum_forwarding f, enum ipvs_fwd *out)
{
	switch (f) {
	case FULCRUM_FWD_MASQ:
		*out = IPVS_FWD_MASQ;
		return 0;
	case FULCRUM_FWD_ROUTE:
		*out = IPVS_FWD_ROUTE;
		return 0;
	case FULCRUM_FWD_TUNNEL:
		*out = IPVS_FWD_TUNNEL;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The tunnel fields of out from rs; a real server that is no tunnel keeps them zero. */
static int tunnel_from_model(const struct fulcrum_rs *rs, struct ipvs_dest *out)
{
	if (rs->forwarding != FULCRUM_FWD_TUNNEL)
		return 0;
	switch (rs->tunnel_type) {
	case FULCRUM_TUN_NONE: /* the model refuses it; the kernel's default is ipip */
	case FULCRUM_TUN_IPIP:
		out->tun_type = IPVS_TUN_IPIP;
		return 0;
	case FULCRUM_TUN_GUE:
		out->tun_type = IPVS_TUN_GUE;
		out->tun_port = rs->tunnel_port;
		return 0;
	case FULCRUM_TUN_GRE:
		out->tun_type = IPVS_TUN_GRE;
		return 0;
	default:
		return -EINVAL;
	}
}

int ipvs_dest_from_rs(const struct fulcrum_rs *rs, const struct fulcrum_vs *vs,
		      struct ipvs_dest *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (rs->admin_state != FULCRUM_RS_ENABLED && rs->admin_state != FULCRUM_RS_DRAINED)
		return -EINVAL;
	out->af = rs->addr.family;
	if ((rc = addr_from_model(&rs->addr, rs->addr.family, &out->addr)) < 0 ||
	    (rc = fwd_from_model(rs->forwarding, &out->fwd)) < 0 ||
	    (rc = tunnel_from_model(rs, out)) < 0)
		return rc;
	out->port = rs->port;
	if (out->port == 0 && out->fwd != IPVS_FWD_MASQ)
		out->port = vs->port;
	out->weight = rs->admin_state == FULCRUM_RS_DRAINED ? 0 : rs->weight;
	out->u_threshold = rs->upper_threshold;
	out->l_threshold = rs->upper_threshold ? rs->lower_threshold : 0;
	return 0;
}

bool ipvs_service_key_equal(const struct ipvs_service *a, const struct ipvs_service *b)
{
	if (a->af != b->af || a->fwmark != b->fwmark)
		return false;
	if (a->fwmark)
		return true;
	return a->protocol == b->protocol && a->port == b->port &&
	       memcmp(&a->addr, &b->addr, addr_len(a->af)) == 0;
}

bool ipvs_dest_key_equal(const struct ipvs_dest *a, const struct ipvs_dest *b)
{
	return a->af == b->af && a->port == b->port &&
	       memcmp(&a->addr, &b->addr, addr_len(a->af)) == 0;
}

/* The service flags an edit sets (the kernel adds its own, such as "hashed"). */
#define SVC_FLAGS_OURS                                                                             \
	(IPVS_SVC_F_PERSISTENT | IPVS_SVC_F_ONEPACKET | IPVS_SVC_F_SCHED1 | IPVS_SVC_F_SCHED2 |    \
	 IPVS_SVC_F_SCHED3)

bool ipvs_service_needs_edit(const struct ipvs_service *have, const struct ipvs_service *want)
{
	return strncmp(have->sched_name, want->sched_name, sizeof(have->sched_name)) != 0 ||
	       (have->flags & SVC_FLAGS_OURS) != (want->flags & SVC_FLAGS_OURS) ||
	       have->timeout != want->timeout || have->netmask != want->netmask;
}

bool ipvs_dest_needs_edit(const struct ipvs_dest *have, const struct ipvs_dest *want)
{
	if (have->fwd != want->fwd || have->weight != want->weight ||
	    have->u_threshold != want->u_threshold || have->l_threshold != want->l_threshold)
		return true;
	if (want->fwd != IPVS_FWD_TUNNEL)
		return false; /* tunnel fields mean nothing to other methods */
	if (have->tun_type != want->tun_type || have->tun_flags != want->tun_flags)
		return true;
	return want->tun_type == IPVS_TUN_GUE && have->tun_port != want->tun_port;
}
