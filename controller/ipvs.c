/* The IPVS client: one generic netlink socket to the kernel's IPVS family. */
#include "ipvs.h"

#include <errno.h>
#include <linux/ip_vs.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ipvs {
	struct nl_sock *sk;
	int family; /* generic netlink family id of IPVS */
	struct ipvs_info info;
};

/* libnl's error codes, each with the errno that carries its meaning. */
static const struct {
	int nle;
	int err;
} nle_errno[] = {
    {NLE_SUCCESS, 0},
    {NLE_FAILURE, EIO},
    {NLE_INTR, EINTR},
    {NLE_BAD_SOCK, EBADF},
    {NLE_AGAIN, EAGAIN},
    {NLE_NOMEM, ENOMEM},
    {NLE_EXIST, EEXIST},
    {NLE_INVAL, EINVAL},
    {NLE_RANGE, ERANGE},
    {NLE_MSGSIZE, EMSGSIZE},
    {NLE_OPNOTSUPP, EOPNOTSUPP},
    {NLE_AF_NOSUPPORT, EAFNOSUPPORT},
    {NLE_OBJ_NOTFOUND, ENOENT},
    {NLE_NOATTR, ENODATA},
    {NLE_MISSING_ATTR, ENODATA},
    {NLE_AF_MISMATCH, EAFNOSUPPORT},
    {NLE_SEQ_MISMATCH, EPROTO},
    {NLE_MSG_OVERFLOW, EOVERFLOW},
    {NLE_MSG_TRUNC, EMSGSIZE},
    {NLE_NOADDR, EADDRNOTAVAIL},
    {NLE_SRCRT_NOSUPPORT, EOPNOTSUPP},
    {NLE_MSG_TOOSHORT, EPROTO},
    {NLE_MSGTYPE_NOSUPPORT, EOPNOTSUPP},
    {NLE_OBJ_MISMATCH, EINVAL},
    {NLE_NOCACHE, ENOENT},
    {NLE_BUSY, EBUSY},
    {NLE_PROTO_MISMATCH, EPROTONOSUPPORT},
    {NLE_NOACCESS, EACCES},
    {NLE_PERM, EPERM},
    {NLE_PKTLOC_FILE, ENOENT},
    {NLE_PARSE_ERR, EINVAL},
    {NLE_NODEV, ENODEV},
    {NLE_IMMUTABLE, EPERM},
    {NLE_DUMP_INTR, EINTR},
    {NLE_ATTRSIZE, ERANGE},
};

int ipvs_nl_errno(int nle)
{
	if (nle < 0)
		nle = -nle;
	for (size_t i = 0; i < sizeof(nle_errno) / sizeof(nle_errno[0]); i++)
		if (nle_errno[i].nle == nle)
			return -nle_errno[i].err;
	return -EIO;
}

const char *ipvs_version_format(unsigned version, char *buf, unsigned len)
{
	snprintf(buf, len, "%u.%u.%u", (version >> 16) & 0xff, (version >> 8) & 0xff,
		 version & 0xff);
	return buf;
}

static int ipvs_info_parse(struct nl_msg *msg, void *arg)
{
	struct ipvs_info *info = arg;
	struct nlattr *attrs[IPVS_INFO_ATTR_MAX + 1];
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));

	if (nla_parse(attrs, IPVS_INFO_ATTR_MAX, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
		      NULL) != 0)
		return NL_SKIP;
	if (attrs[IPVS_INFO_ATTR_VERSION])
		info->version = nla_get_u32(attrs[IPVS_INFO_ATTR_VERSION]);
	if (attrs[IPVS_INFO_ATTR_CONN_TAB_SIZE])
		info->conn_table_size = nla_get_u32(attrs[IPVS_INFO_ATTR_CONN_TAB_SIZE]);
	return NL_OK;
}

/* Asks the kernel for IPVS's version: proves the family answers to us. */
static int ipvs_get_info(struct ipvs *ipvs)
{
	struct nl_msg *msg = nlmsg_alloc();
	int rc;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ipvs->family, 0, 0, IPVS_CMD_GET_INFO,
			 IPVS_GENL_VERSION)) {
		rc = -EMSGSIZE;
		goto out;
	}
	rc = nl_send_auto(ipvs->sk, msg);
	if (rc < 0) {
		rc = ipvs_nl_errno(rc);
		goto out;
	}
	nl_socket_modify_cb(ipvs->sk, NL_CB_VALID, NL_CB_CUSTOM, ipvs_info_parse, &ipvs->info);
	rc = nl_recvmsgs_default(ipvs->sk);
	rc = rc < 0 ? ipvs_nl_errno(rc) : 0;
out:
	nlmsg_free(msg);
	return rc;
}

/* Says why IPVS cannot be used; fmt takes one string. */
#define IPVS_UNAVAILABLE(ipvs, fmt, detail)                                                        \
	do {                                                                                       \
		(ipvs)->info.available = false;                                                    \
		snprintf((ipvs)->info.reason, sizeof((ipvs)->info.reason), fmt, detail);           \
	} while (0)

int ipvs_open(struct ipvs **out)
{
	struct ipvs *ipvs = calloc(1, sizeof(*ipvs));
	int rc;

	*out = NULL;
	if (!ipvs)
		return -ENOMEM;
	*out = ipvs;
	ipvs->sk = nl_socket_alloc();
	if (!ipvs->sk)
		return -ENOMEM;
	rc = genl_connect(ipvs->sk);
	if (rc < 0) {
		IPVS_UNAVAILABLE(ipvs, "cannot open a generic netlink socket: %s", nl_geterror(rc));
		return 0;
	}
	ipvs->family = genl_ctrl_resolve(ipvs->sk, IPVS_GENL_NAME);
	if (ipvs->family < 0) {
		IPVS_UNAVAILABLE(
		    ipvs,
		    "the kernel has no IPVS (generic netlink family 'IPVS' %s): "
		    "load the ip_vs module, or run on a kernel built with CONFIG_IP_VS",
		    ipvs->family == -NLE_OBJ_NOTFOUND ? "not found" : nl_geterror(ipvs->family));
		return 0;
	}
	rc = ipvs_get_info(ipvs);
	if (rc == -EPERM || rc == -EACCES) {
		IPVS_UNAVAILABLE(ipvs,
				 "IPVS refused the request (%s): fulcrumd needs CAP_NET_ADMIN",
				 strerror(-rc));
		return 0;
	}
	if (rc < 0) {
		IPVS_UNAVAILABLE(ipvs, "IPVS did not answer GET_INFO: %s", strerror(-rc));
		return 0;
	}
	ipvs->info.available = true;
	ipvs->info.reason[0] = '\0';
	return 0;
}

void ipvs_close(struct ipvs *ipvs)
{
	if (!ipvs)
		return;
	nl_socket_free(ipvs->sk);
	ipvs->sk = NULL;
	free(ipvs);
}

const struct ipvs_info *ipvs_info(const struct ipvs *ipvs)
{
	return &ipvs->info;
}
