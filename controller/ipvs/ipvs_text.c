/* The IPVS client in words: errors for a person, services and real servers as text. */
#include "controller/ipvs/ipvs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const op_names[IPVS_OP_COUNT] = {
    [IPVS_OP_SERVICE_LIST] = "list services",  [IPVS_OP_SERVICE_GET] = "read service",
    [IPVS_OP_SERVICE_ADD] = "add service",     [IPVS_OP_SERVICE_EDIT] = "edit service",
    [IPVS_OP_SERVICE_DEL] = "delete service",  [IPVS_OP_DEST_LIST] = "list real servers",
    [IPVS_OP_DEST_ADD] = "add real server",    [IPVS_OP_DEST_EDIT] = "edit real server",
    [IPVS_OP_DEST_DEL] = "delete real server", [IPVS_OP_TIMEOUT_GET] = "read timeouts",
    [IPVS_OP_TIMEOUT_SET] = "set timeouts",    [IPVS_OP_ZERO] = "zero counters",
    [IPVS_OP_FLUSH] = "flush services",        [IPVS_OP_SYNC_START] = "start sync daemon",
    [IPVS_OP_SYNC_STOP] = "stop sync daemon",  [IPVS_OP_SYNC_LIST] = "list sync daemons",
};

const char *ipvs_op_name(enum ipvs_op op)
{
	if ((unsigned)op >= IPVS_OP_COUNT || !op_names[op])
		return "?";
	return op_names[op];
}

/* Errors that mean the same whatever was asked. */
static const char *ipvs_strerror_any(int err)
{
	switch (err) {
	case EOPNOTSUPP:
		return "the kernel has no IPVS (load the ip_vs module)";
	case EPERM:
	case EACCES:
		return "permission denied: IPVS needs CAP_NET_ADMIN";
	case ETIMEDOUT:
		return "the kernel did not answer in time";
	case EPROTO:
		return "the kernel's answer could not be read";
	case EAFNOSUPPORT:
		return "address family not supported by this kernel's IPVS (IPv6 disabled?)";
	case ENOMEM:
		return "out of memory (or the kernel dropped part of a long list)";
	default:
		return NULL;
	}
}

/* Errors of adding or editing a service. */
static const char *ipvs_strerror_service(enum ipvs_op op, int err, const char *detail, char *buf,
					 size_t len)
{
	switch (err) {
	case ENOENT:
		if (!detail)
			return "scheduler is not available in this kernel";
		snprintf(buf, len, "scheduler '%s' is not available in this kernel%s", detail,
			 strcmp(detail, "twos") == 0 ? " (twos is newer than Linux 6.1)" : "");
		return buf;
	case EEXIST:
		return op == IPVS_OP_SERVICE_ADD ? "service already exists" : NULL;
	case EINVAL:
		return "the kernel refused the service's settings (an IPv6 persistence netmask "
		       "must be a prefix length of 1..128)";
	default:
		return NULL;
	}
}

/* Errors of adding or editing a real server. */
static const char *ipvs_strerror_dest(enum ipvs_op op, int err)
{
	switch (err) {
	case EEXIST:
		return op == IPVS_OP_DEST_ADD ? "real server already exists in this service" : NULL;
	case ENOENT:
		return op == IPVS_OP_DEST_EDIT ? "no such real server in this service" : NULL;
	case EPFNOSUPPORT:
		return "real server address family differs from the service's (only tunnel "
		       "forwarding may mix IPv4 and IPv6)";
	case EDESTADDRREQ:
		return "tunnel type gue needs a port";
	case ERANGE:
		return "lower threshold is above the upper threshold (set an upper threshold, or "
		       "lower threshold 0)";
	case EINVAL:
		return "the kernel refused the real server: its address must be unicast as this "
		       "director's routing sees it (not 0.0.0.0, multicast, a broadcast or IPv6 "
		       "link-local), and a service cannot mix IPv4 and IPv6 while a sync daemon "
		       "runs";
	default:
		return NULL;
	}
}

/* Errors of starting or stopping a sync daemon. */
static const char *ipvs_strerror_sync(enum ipvs_op op, int err, const char *detail, char *buf,
				      size_t len)
{
	if (op == IPVS_OP_SYNC_STOP && err == ESRCH) {
		snprintf(buf, len, "no %s sync daemon is running", detail ? detail : "such");
		return buf;
	}
	if (op != IPVS_OP_SYNC_START)
		return NULL;
	switch (err) {
	case EEXIST:
		return "a sync daemon of that role is already running";
	case ENODEV:
		if (!detail)
			return "no such interface";
		snprintf(buf, len, "no such interface '%s'", detail);
		return buf;
	case EINVAL:
		return "the kernel refused the sync daemon: a service mixes IPv4 and IPv6 real "
		       "servers (the sync protocol cannot carry them), or the multicast group is "
		       "not a multicast address";
	default:
		return NULL;
	}
}

const char *ipvs_strerror(enum ipvs_op op, int err, const char *detail, char *buf, size_t len)
{
	const char *s = NULL;
	char tmp[128];

	if (len == 0)
		return buf;
	if (detail && !*detail)
		detail = NULL;
	err = err < 0 ? -err : err;
	if (err == 0) {
		snprintf(buf, len, "success");
		return buf;
	}
	switch (op) {
	case IPVS_OP_SERVICE_ADD:
	case IPVS_OP_SERVICE_EDIT:
		s = ipvs_strerror_service(op, err, detail, buf, len);
		break;
	case IPVS_OP_DEST_ADD:
	case IPVS_OP_DEST_EDIT:
	case IPVS_OP_DEST_DEL:
		s = ipvs_strerror_dest(op, err);
		break;
	case IPVS_OP_SYNC_START:
	case IPVS_OP_SYNC_STOP:
		s = ipvs_strerror_sync(op, err, detail, buf, len);
		break;
	case IPVS_OP_SERVICE_LIST:
	case IPVS_OP_DEST_LIST:
	case IPVS_OP_SYNC_LIST:
		if (err == EINTR)
			s = "the kernel's list kept changing while it was read; try again";
		break;
	case IPVS_OP_TIMEOUT_SET:
		if (err == EINVAL)
			s = "a timeout is too large for the kernel";
		break;
	default:
		break;
	}
	/* ESRCH is the kernel's "no such service" for every command that names one. */
	if (!s && err == ESRCH && op != IPVS_OP_SYNC_STOP)
		s = "no such service";
	if (!s && err == ENOENT && op == IPVS_OP_DEST_DEL)
		s = "no such real server in this service";
	if (!s)
		s = ipvs_strerror_any(err);
	if (!s) {
		snprintf(buf, len, "%s failed: %s", ipvs_op_name(op),
			 strerror_r(err, tmp, sizeof(tmp)));
		return buf;
	}
	if (s != buf)
		snprintf(buf, len, "%s", s);
	return buf;
}

static const char *ipvs_protocol_name(uint16_t protocol, char *buf, size_t len)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_SCTP:
		return "SCTP";
	default:
		snprintf(buf, len, "PROTO%u", (unsigned)protocol);
		return buf;
	}
}

/* Writes "a:port" or "[a]:port" into buf. */
static const char *ipvs_endpoint_format(int af, const union ipvs_addr *addr, uint16_t port,
					char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(af, addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (af == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, (unsigned)port);
	else
		snprintf(buf, len, "%s:%u", a, (unsigned)port);
	return buf;
}

const char *ipvs_service_format(const struct ipvs_service *svc, char *buf, size_t len)
{
	char proto[16], ep[IPVS_DEST_STRLEN];

	if (svc->fwmark)
		snprintf(buf, len, "FWM %u%s", svc->fwmark, svc->af == AF_INET6 ? " IPv6" : "");
	else
		snprintf(buf, len, "%s %s", ipvs_protocol_name(svc->protocol, proto, sizeof(proto)),
			 ipvs_endpoint_format(svc->af, &svc->addr, svc->port, ep, sizeof(ep)));
	return buf;
}

const char *ipvs_dest_format(const struct ipvs_dest *dest, char *buf, size_t len)
{
	return ipvs_endpoint_format(dest->af, &dest->addr, dest->port, buf, len);
}
