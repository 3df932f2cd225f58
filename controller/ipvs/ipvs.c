/* The IPVS client's socket: open, the family, errno mapping, and the one request engine. */
#include "controller/ipvs/ipvs.h"
#include "controller/ipvs/ipvs_int.h"

#include <errno.h>
#include <linux/ip_vs.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

/* Our numbers are the kernel's: callers need not include linux/ip_vs.h. */
_Static_assert(IPVS_SVC_F_PERSISTENT == IP_VS_SVC_F_PERSISTENT, "flag");
_Static_assert(IPVS_SVC_F_ONEPACKET == IP_VS_SVC_F_ONEPACKET, "flag");
_Static_assert(IPVS_SVC_F_SCHED1 == IP_VS_SVC_F_SCHED1, "flag");
_Static_assert(IPVS_SVC_F_SCHED2 == IP_VS_SVC_F_SCHED2, "flag");
_Static_assert(IPVS_SVC_F_SCHED3 == IP_VS_SVC_F_SCHED3, "flag");
_Static_assert(IPVS_FWD_MASQ == IP_VS_CONN_F_MASQ, "fwd");
_Static_assert(IPVS_FWD_LOCAL == IP_VS_CONN_F_LOCALNODE, "fwd");
_Static_assert(IPVS_FWD_TUNNEL == IP_VS_CONN_F_TUNNEL, "fwd");
_Static_assert(IPVS_FWD_ROUTE == IP_VS_CONN_F_DROUTE, "fwd");
_Static_assert((int)IPVS_TUN_IPIP == (int)IP_VS_CONN_F_TUNNEL_TYPE_IPIP, "tun");
_Static_assert((int)IPVS_TUN_GUE == (int)IP_VS_CONN_F_TUNNEL_TYPE_GUE, "tun");
_Static_assert((int)IPVS_TUN_GRE == (int)IP_VS_CONN_F_TUNNEL_TYPE_GRE, "tun");
_Static_assert(IPVS_TUN_F_CSUM == IP_VS_TUNNEL_ENCAP_FLAG_CSUM, "tun flag");
_Static_assert(IPVS_TUN_F_REMCSUM == IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM, "tun flag");
_Static_assert(IPVS_SYNC_MASTER == IP_VS_STATE_MASTER, "sync");
_Static_assert(IPVS_SYNC_BACKUP == IP_VS_STATE_BACKUP, "sync");
_Static_assert(IPVS_SCHED_NAME_MAX + 1 == IP_VS_SCHEDNAME_MAXLEN, "sched name");
_Static_assert(IPVS_IFNAME_MAX + 1 == IP_VS_IFNAME_MAXLEN, "ifname");

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

/*
 * Opens the socket of ipvs: connects, and sets a receive buffer large enough
 * that no dump part is lost (SO_RCVBUFFORCE needs CAP_NET_ADMIN, which IPVS
 * needs anyway; without it the kernel's rmem_max caps SO_RCVBUF), a receive
 * timeout, and one fixed read buffer (no MSG_PEEK: that is two reads a message).
 * Returns 0 or a negative errno, leaving ipvs->sk NULL.
 */
static int ipvs_socket_open(struct ipvs *ipvs)
{
	struct timeval tv = {.tv_sec = IPVS_RECV_TIMEOUT_S};
	int size = IPVS_RCVBUF_BYTES;
	int rc, fd;

	ipvs->sk = nl_socket_alloc();
	if (!ipvs->sk)
		return -ENOMEM;
	rc = genl_connect(ipvs->sk);
	if (rc < 0) {
		rc = ipvs_nl_errno(rc);
		goto fail;
	}
	fd = nl_socket_get_fd(ipvs->sk);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ipvs->wait_ms = IPVS_RECV_TIMEOUT_S * 1000;
	/* One read per message, into a buffer no part can outgrow: see IPVS_MSG_BUF_BYTES. */
	nl_socket_disable_msg_peek(ipvs->sk);
	rc = nl_socket_set_msg_buf_size(ipvs->sk, IPVS_MSG_BUF_BYTES);
	if (rc < 0) {
		rc = ipvs_nl_errno(rc);
		goto fail;
	}
	return 0;
fail:
	nl_socket_free(ipvs->sk);
	ipvs->sk = NULL;
	return rc;
}

static void ipvs_socket_close(struct ipvs *ipvs)
{
	nl_socket_free(ipvs->sk);
	ipvs->sk = NULL;
}

int ipvs_ready(const struct ipvs *ipvs)
{
	return ipvs->info.available ? 0 : -EOPNOTSUPP;
}

struct nl_msg *ipvs_msg_new(const struct ipvs *ipvs, uint8_t cmd, int nlm_flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ipvs->family, 0, nlm_flags, cmd,
			 IPVS_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int ipvs_msg_parse(struct nl_msg *msg, struct nlattr **attrs, int maxattr,
		   const struct nla_policy *policy)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (!genlmsg_valid_hdr(nlh, 0))
		return -EPROTO;
	return genlmsg_parse(nlh, 0, attrs, maxattr, policy) < 0 ? -EPROTO : 0;
}

/* The state of one request while its answers are read. */
struct ipvs_req {
	uint32_t seq;
	bool done;
	int kernel_err; /* the kernel's errno, negated; 0 if it sent none */
	int answer_err; /* the first error of fn */
	ipvs_answer_fn fn;
	void *arg;
};

/* Answers to an earlier, abandoned request are dropped rather than taken for ours. */
static int ipvs_on_seq(struct nl_msg *msg, void *arg)
{
	struct ipvs_req *req = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == req->seq ? NL_OK : NL_SKIP;
}

static int ipvs_on_valid(struct nl_msg *msg, void *arg)
{
	struct ipvs_req *req = arg;
	int rc;

	if (!req->fn || req->answer_err)
		return NL_SKIP;
	rc = req->fn(msg, req->arg);
	if (rc < 0)
		req->answer_err = rc;
	return NL_SKIP;
}

static int ipvs_on_done(struct nl_msg *msg, void *arg)
{
	struct ipvs_req *req = arg;

	(void)msg;
	req->done = true;
	return NL_STOP;
}

/* Keeps the kernel's errno: libnl would fold ESRCH and ENOENT into one code. */
static int ipvs_on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct ipvs_req *req = arg;

	(void)who;
	req->done = true;
	req->kernel_err = e->error < 0 ? e->error : -e->error;
	return NL_STOP;
}

/* Sets the socket's receive timeout, if it is not so already. */
static void ipvs_socket_wait(struct ipvs *ipvs, unsigned wait_ms)
{
	struct timeval tv = {.tv_sec = wait_ms / 1000, .tv_usec = (wait_ms % 1000) * 1000};

	if (!ipvs->sk || ipvs->wait_ms == wait_ms)
		return;
	if (setsockopt(nl_socket_get_fd(ipvs->sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0)
		ipvs->wait_ms = wait_ms;
}

int ipvs_request(struct ipvs *ipvs, struct nl_msg *msg, ipvs_answer_fn fn, void *arg)
{
	return ipvs_request_wait(ipvs, msg, fn, arg, IPVS_RECV_TIMEOUT_S * 1000);
}

int ipvs_request_wait(struct ipvs *ipvs, struct nl_msg *msg, ipvs_answer_fn fn, void *arg,
		      unsigned wait_ms)
{
	struct ipvs_req req = {.fn = fn, .arg = arg};
	int rc;

	if (!ipvs->sk && (rc = ipvs_socket_open(ipvs)) < 0)
		goto out;
	ipvs_socket_wait(ipvs, wait_ms);
	rc = nl_send_auto(ipvs->sk, msg);
	if (rc < 0) {
		rc = ipvs_nl_errno(rc);
		ipvs_socket_close(ipvs);
		goto out;
	}
	req.seq = nlmsg_hdr(msg)->nlmsg_seq;
	nl_cb_set(ipvs->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, ipvs_on_seq, &req);
	nl_cb_set(ipvs->cb, NL_CB_VALID, NL_CB_CUSTOM, ipvs_on_valid, &req);
	nl_cb_set(ipvs->cb, NL_CB_FINISH, NL_CB_CUSTOM, ipvs_on_done, &req);
	nl_cb_set(ipvs->cb, NL_CB_ACK, NL_CB_CUSTOM, ipvs_on_done, &req);
	nl_cb_err(ipvs->cb, NL_CB_CUSTOM, ipvs_on_error, &req);
	rc = 0;
	while (!req.done) {
		rc = nl_recvmsgs_report(ipvs->sk, ipvs->cb);
		if (rc == 0 && !req.done)
			rc = -NLE_AGAIN; /* nothing arrived within the receive timeout */
		if (rc < 0)
			break;
	}
	if (req.kernel_err) {
		rc = req.kernel_err;
	} else if (rc == -NLE_DUMP_INTR) {
		rc = -EINTR; /* libnl read the dump to its end: the socket is clean */
	} else if (rc < 0) {
		rc = rc == -NLE_AGAIN ? -ETIMEDOUT : ipvs_nl_errno(rc);
		/* A dump may be half read: a fresh socket is simpler than draining it. */
		ipvs_socket_close(ipvs);
	} else {
		rc = req.answer_err;
	}
out:
	nlmsg_free(msg);
	return rc;
}

int ipvs_dump(struct ipvs *ipvs, uint8_t cmd, int (*put)(struct nl_msg *, const void *),
	      const void *key, ipvs_answer_fn fn, void (*restart)(void *), void *arg)
{
	struct nl_msg *msg;
	int rc = -EINTR;

	for (int try = 0; try < IPVS_DUMP_TRIES; try++) {
		if (try > 0 && restart)
			restart(arg);
		msg = ipvs_msg_new(ipvs, cmd, NLM_F_DUMP);
		if (!msg)
			return -ENOMEM;
		if (put && (rc = put(msg, key)) < 0) {
			nlmsg_free(msg);
			return rc;
		}
		rc = ipvs_request(ipvs, msg, fn, arg);
		/* -ENOMEM is how libnl reports ENOBUFS, a lost part of the dump. */
		if (rc != -EINTR && rc != -ENOMEM && rc != -ENOBUFS)
			break;
	}
	return rc;
}

const struct nla_policy ipvs_cmd_policy[IPVS_CMD_ATTR_MAX + 1] = {
    [IPVS_CMD_ATTR_SERVICE] = {.type = NLA_NESTED},
    [IPVS_CMD_ATTR_DEST] = {.type = NLA_NESTED},
    [IPVS_CMD_ATTR_DAEMON] = {.type = NLA_NESTED},
    [IPVS_CMD_ATTR_TIMEOUT_TCP] = {.type = NLA_U32},
    [IPVS_CMD_ATTR_TIMEOUT_TCP_FIN] = {.type = NLA_U32},
    [IPVS_CMD_ATTR_TIMEOUT_UDP] = {.type = NLA_U32},
};

static const struct nla_policy info_policy[IPVS_INFO_ATTR_MAX + 1] = {
    [IPVS_INFO_ATTR_VERSION] = {.type = NLA_U32},
    [IPVS_INFO_ATTR_CONN_TAB_SIZE] = {.type = NLA_U32},
};

static int ipvs_info_parse(struct nl_msg *msg, void *arg)
{
	struct ipvs_info *info = arg;
	struct nlattr *attrs[IPVS_INFO_ATTR_MAX + 1];

	if (ipvs_msg_parse(msg, attrs, IPVS_INFO_ATTR_MAX, info_policy) < 0)
		return -EPROTO;
	if (attrs[IPVS_INFO_ATTR_VERSION])
		info->version = nla_get_u32(attrs[IPVS_INFO_ATTR_VERSION]);
	if (attrs[IPVS_INFO_ATTR_CONN_TAB_SIZE])
		info->conn_table_size = nla_get_u32(attrs[IPVS_INFO_ATTR_CONN_TAB_SIZE]);
	return 0;
}

/* Asks the kernel for IPVS's version: proves the family answers to us. */
static int ipvs_get_info(struct ipvs *ipvs)
{
	struct nl_msg *msg = ipvs_msg_new(ipvs, IPVS_CMD_GET_INFO, 0);

	if (!msg)
		return -ENOMEM;
	return ipvs_request(ipvs, msg, ipvs_info_parse, &ipvs->info);
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
	ipvs->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!ipvs->cb) {
		free(ipvs);
		return -ENOMEM;
	}
	*out = ipvs;
	rc = ipvs_socket_open(ipvs);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		IPVS_UNAVAILABLE(ipvs, "cannot open a generic netlink socket: %s", strerror(-rc));
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
	ipvs_socket_close(ipvs);
	nl_cb_put(ipvs->cb);
	ipvs->cb = NULL;
	free(ipvs);
}

const struct ipvs_info *ipvs_info(const struct ipvs *ipvs)
{
	return &ipvs->info;
}

int ipvs_addr_put(struct nl_msg *msg, int attr, int af, const union ipvs_addr *addr)
{
	size_t len = af == AF_INET6 ? sizeof(addr->v6) : sizeof(addr->v4);

	return nla_put(msg, attr, (int)len, addr) < 0 ? -EMSGSIZE : 0;
}

int ipvs_addr_get(const struct nlattr *nla, int af, union ipvs_addr *out)
{
	size_t len = af == AF_INET6 ? sizeof(out->v6) : sizeof(out->v4);

	memset(out, 0, sizeof(*out));
	if (nla_len(nla) < (int)len)
		return -EPROTO;
	memcpy(out, nla_data(nla), len);
	return 0;
}

/* The 64-bit counters: every attribute a u64 (the kernel pads them to 8 bytes). */
static const struct nla_policy stats64_policy[IPVS_STATS_ATTR_MAX + 1] = {
    [IPVS_STATS_ATTR_CONNS] = {.type = NLA_U64},    [IPVS_STATS_ATTR_INPKTS] = {.type = NLA_U64},
    [IPVS_STATS_ATTR_OUTPKTS] = {.type = NLA_U64},  [IPVS_STATS_ATTR_INBYTES] = {.type = NLA_U64},
    [IPVS_STATS_ATTR_OUTBYTES] = {.type = NLA_U64}, [IPVS_STATS_ATTR_CPS] = {.type = NLA_U64},
    [IPVS_STATS_ATTR_INPPS] = {.type = NLA_U64},    [IPVS_STATS_ATTR_OUTPPS] = {.type = NLA_U64},
    [IPVS_STATS_ATTR_INBPS] = {.type = NLA_U64},    [IPVS_STATS_ATTR_OUTBPS] = {.type = NLA_U64},
};

/* The old counters: u32 but for the byte counts. */
static const struct nla_policy stats32_policy[IPVS_STATS_ATTR_MAX + 1] = {
    [IPVS_STATS_ATTR_CONNS] = {.type = NLA_U32},    [IPVS_STATS_ATTR_INPKTS] = {.type = NLA_U32},
    [IPVS_STATS_ATTR_OUTPKTS] = {.type = NLA_U32},  [IPVS_STATS_ATTR_INBYTES] = {.type = NLA_U64},
    [IPVS_STATS_ATTR_OUTBYTES] = {.type = NLA_U64}, [IPVS_STATS_ATTR_CPS] = {.type = NLA_U32},
    [IPVS_STATS_ATTR_INPPS] = {.type = NLA_U32},    [IPVS_STATS_ATTR_OUTPPS] = {.type = NLA_U32},
    [IPVS_STATS_ATTR_INBPS] = {.type = NLA_U32},    [IPVS_STATS_ATTR_OUTBPS] = {.type = NLA_U32},
};

int ipvs_stats_parse(const struct nlattr *stats64, const struct nlattr *stats32,
		     struct ipvs_stats *out)
{
	const struct nla_policy *policy = stats64 ? stats64_policy : stats32_policy;
	const struct nlattr *nest = stats64 ? stats64 : stats32;
	struct nlattr *a[IPVS_STATS_ATTR_MAX + 1];
	uint64_t *field[IPVS_STATS_ATTR_MAX + 1] = {
	    [IPVS_STATS_ATTR_CONNS] = &out->conns,       [IPVS_STATS_ATTR_INPKTS] = &out->inpkts,
	    [IPVS_STATS_ATTR_OUTPKTS] = &out->outpkts,   [IPVS_STATS_ATTR_INBYTES] = &out->inbytes,
	    [IPVS_STATS_ATTR_OUTBYTES] = &out->outbytes, [IPVS_STATS_ATTR_CPS] = &out->cps,
	    [IPVS_STATS_ATTR_INPPS] = &out->inpps,       [IPVS_STATS_ATTR_OUTPPS] = &out->outpps,
	    [IPVS_STATS_ATTR_INBPS] = &out->inbps,       [IPVS_STATS_ATTR_OUTBPS] = &out->outbps,
	};

	memset(out, 0, sizeof(*out));
	if (!nest)
		return 0;
	if (nla_parse_nested(a, IPVS_STATS_ATTR_MAX, (struct nlattr *)nest, policy) < 0)
		return -EPROTO;
	for (int i = 1; i <= IPVS_STATS_ATTR_MAX; i++) {
		if (!a[i] || !field[i])
			continue;
		*field[i] = policy[i].type == NLA_U64 ? nla_get_u64(a[i]) : nla_get_u32(a[i]);
	}
	return 0;
}
