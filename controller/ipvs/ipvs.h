/* The IPVS client: one generic netlink socket to the kernel's IPVS family, and what IPVS holds. */
#ifndef FULCRUM_IPVS_H
#define FULCRUM_IPVS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The types below are kernel state: what IPVS holds, as it says it. They are
 * not the model's desired configuration (model-t.h); controller/ipvs_model.h
 * converts one into the other. Numbers are in host byte order.
 *
 * Every function that talks to the kernel returns 0 or a negative errno:
 * the kernel's own (see "Errors" below), -EOPNOTSUPP when the kernel has no
 * IPVS, -ENOMEM, -ETIMEDOUT when the kernel did not answer, -EINTR when a dump
 * stayed interrupted after every retry. ipvs_strerror() puts any of them in
 * words.
 */

struct ipvs;

/* What the kernel said when fulcrumd asked for IPVS. */
struct ipvs_info {
	bool available;
	unsigned version;         /* e.g. 0x010201 for 1.2.1 */
	unsigned conn_table_size; /* connection hash table entries */
	char reason[256];         /* why IPVS is unavailable, in words; empty if available */
};

#define IPVS_SCHED_NAME_MAX 15 /* a scheduler name, without the NUL (the kernel's 16 with it) */
#define IPVS_IFNAME_MAX     15 /* an interface name, without the NUL */

/* Service flags, as the kernel keeps them (its IP_VS_SVC_F_*). */
#define IPVS_SVC_F_PERSISTENT 0x0001u /* persistence: timeout and netmask apply */
#define IPVS_SVC_F_ONEPACKET  0x0004u /* one-packet scheduling (UDP) */
#define IPVS_SVC_F_SCHED1     0x0008u /* sh, mh: "fallback" */
#define IPVS_SVC_F_SCHED2     0x0010u /* sh, mh: "port" */
#define IPVS_SVC_F_SCHED3     0x0020u /* no 6.1 scheduler uses it */

/* Forwarding methods, as the kernel numbers them (IP_VS_CONN_F_*). */
enum ipvs_fwd {
	IPVS_FWD_MASQ = 0,   /* NAT */
	IPVS_FWD_LOCAL = 1,  /* the director itself (the kernel's own choice, never ours) */
	IPVS_FWD_TUNNEL = 2, /* IP-in-IP, GUE or GRE: see tun_type */
	IPVS_FWD_ROUTE = 3,  /* direct routing */
};

/* Tunnel types of a tunnel real server (IP_VS_CONN_F_TUNNEL_TYPE_*). */
enum ipvs_tun {
	IPVS_TUN_IPIP = 0,
	IPVS_TUN_GUE = 1, /* needs tun_port */
	IPVS_TUN_GRE = 2,
};

/* Tunnel encapsulation flags (IP_VS_TUNNEL_ENCAP_FLAG_*): GUE and GRE. 0 is "no checksum". */
#define IPVS_TUN_F_CSUM    0x1u
#define IPVS_TUN_F_REMCSUM 0x2u /* remote checksum offload, GUE only */

/* An IPv4 or IPv6 address; the family is kept beside it. */
union ipvs_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

/* Counters since the last zeroing, and rates (per second, over the kernel's ~2 s estimator). */
struct ipvs_stats {
	uint64_t conns;    /* connections scheduled */
	uint64_t inpkts;   /* packets from clients */
	uint64_t outpkts;  /* packets to clients (masq only: other methods do not see replies) */
	uint64_t inbytes;  /* bytes from clients */
	uint64_t outbytes; /* bytes to clients */
	uint64_t cps;      /* connections per second */
	uint64_t inpps;
	uint64_t outpps;
	uint64_t inbps; /* bytes per second */
	uint64_t outbps;
};

/*
 * A virtual service as the kernel holds it. Its key is af + fwmark for a
 * firewall-mark service (fwmark != 0), else af + protocol + addr + port.
 */
struct ipvs_service {
	int af;            /* AF_INET or AF_INET6 */
	uint16_t protocol; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP; 0 for a fwmark service */
	union ipvs_addr addr;
	uint16_t port;
	uint32_t fwmark; /* 0: an address service */
	char sched_name[IPVS_SCHED_NAME_MAX + 1];
	uint32_t flags;   /* IPVS_SVC_F_* */
	uint32_t timeout; /* persistence timeout, seconds */
	/*
	 * Persistence granularity: for IPv4 a netmask (0xffffff00 for /24), for
	 * IPv6 a prefix length (1..128; the kernel refuses 0).
	 */
	uint32_t netmask;
	struct ipvs_stats stats; /* filled by list and get; writes ignore it */
};

/* A real server of one service, as the kernel holds it. Its key is af + addr + port. */
struct ipvs_dest {
	int af; /* may differ from the service's only for tunnel forwarding */
	union ipvs_addr addr;
	uint16_t port;
	enum ipvs_fwd fwd;
	uint32_t weight;      /* 0: no new connections (drained) */
	uint32_t u_threshold; /* 0: no upper limit of connections */
	uint32_t l_threshold; /* must be <= u_threshold, also when that is 0 */
	enum ipvs_tun tun_type;
	uint16_t tun_port;  /* GUE's UDP port; 0 otherwise */
	uint16_t tun_flags; /* IPVS_TUN_F_* */
	/* Read-only: filled by ipvs_dest_list(), ignored by writes. */
	uint32_t active_conns;
	uint32_t inactive_conns;
	uint32_t persistent_conns;
	struct ipvs_stats stats;
};

/* Connection timeouts, seconds. Writing 0 leaves that timeout as it is (the kernel's rule). */
struct ipvs_timeouts {
	uint32_t tcp;
	uint32_t tcp_fin;
	uint32_t udp;
};

/* Sync daemon roles (IP_VS_STATE_*). */
#define IPVS_SYNC_MASTER 1u
#define IPVS_SYNC_BACKUP 2u

/*
 * A connection-sync daemon. Start needs state, ifname and syncid; the rest
 * may be 0 for the kernel's defaults (group 224.0.0.81, port 8848, TTL 1,
 * payload sized to the interface's MTU), and list reports what is in force.
 */
struct ipvs_sync_daemon {
	unsigned state; /* IPVS_SYNC_MASTER or IPVS_SYNC_BACKUP */
	char ifname[IPVS_IFNAME_MAX + 1];
	uint8_t syncid;      /* 0..255; 0 on a backup accepts every sync id */
	uint16_t maxlen;     /* UDP payload size */
	uint16_t mcast_port; /* first port */
	uint8_t mcast_ttl;
	int mcast_af; /* AF_INET, AF_INET6, or 0 for the default group */
	union ipvs_addr mcast_group;
};

/* Write flags. */
#define IPVS_F_IDEMPOTENT 0x1u /* add: "already exists" is success; delete: "no such" is success */

/* What was asked of IPVS, so an error can be put in words (ipvs_strerror()). */
enum ipvs_op {
	IPVS_OP_SERVICE_LIST = 0,
	IPVS_OP_SERVICE_GET,
	IPVS_OP_SERVICE_ADD,
	IPVS_OP_SERVICE_EDIT,
	IPVS_OP_SERVICE_DEL,
	IPVS_OP_DEST_LIST,
	IPVS_OP_DEST_ADD,
	IPVS_OP_DEST_EDIT,
	IPVS_OP_DEST_DEL,
	IPVS_OP_TIMEOUT_GET,
	IPVS_OP_TIMEOUT_SET,
	IPVS_OP_ZERO,
	IPVS_OP_FLUSH,
	IPVS_OP_SYNC_START,
	IPVS_OP_SYNC_STOP,
	IPVS_OP_SYNC_LIST,
	IPVS_OP_COUNT,
};

/*
 * Opens a generic netlink socket and resolves the IPVS family once. Always
 * returns a handle in *out (or -ENOMEM): when the kernel has no IPVS, the
 * handle says so through ipvs_info() and every kernel operation returns
 * -EOPNOTSUPP. The socket stays open for the handle's life (reopened after a
 * transport error), with an 8 MiB receive buffer when the process has
 * CAP_NET_ADMIN (else as much as net.core.rmem_max allows). Free it with
 * ipvs_close(). One handle serves one thread.
 */
int ipvs_open(struct ipvs **out);

/* Closes the socket and frees the handle; accepts NULL. */
void ipvs_close(struct ipvs *ipvs);

/* Availability, version and the reason when unavailable; never NULL. */
const struct ipvs_info *ipvs_info(const struct ipvs *ipvs);

/* Formats an IPVS version number as "1.2.1" into buf. */
const char *ipvs_version_format(unsigned version, char *buf, unsigned len);

/* Maps a libnl error code (NLE_*, positive or negative) to a negative errno. */
int ipvs_nl_errno(int nle);

/*
 * Services (controller/ipvs_service.c).
 *
 * ipvs_service_list() dumps every service of this network namespace, in the
 * kernel's hash order, into a malloc'ed array in *out (free it with free();
 * NULL when there are none) and its length in *count. An interrupted dump is
 * retried whole. On error *out is NULL and *count 0.
 *
 * ipvs_service_get() reads the one service whose key svc gives into *out.
 *
 * ipvs_service_add() adds svc: key, sched_name, flags, timeout and netmask.
 * ipvs_service_edit() sets the scheduler, flags, timeout and netmask of the
 * service with svc's key (a key cannot change: delete and add). Editing keeps
 * the service's real servers, counters and connections.
 * ipvs_service_del() deletes the service with svc's key and its real servers.
 *
 * With IPVS_F_IDEMPOTENT, add returns 0 when the service exists (whatever its
 * settings: edit it to be sure of them) and del returns 0 when it does not.
 *
 * Errors, as the kernel (6.1) gives them:
 *   -EEXIST   add: the service exists
 *   -ESRCH    get, edit, del: no such service
 *   -ENOENT   add, edit: no scheduler module of that name ("twos" in 6.1)
 *   -EINVAL   add, edit: a field the kernel refuses (an IPv6 netmask outside 1..128)
 *   -EAFNOSUPPORT  af is neither AF_INET nor AF_INET6, or the kernel has no IPv6
 */
int ipvs_service_list(struct ipvs *ipvs, struct ipvs_service **out, size_t *count);
int ipvs_service_get(struct ipvs *ipvs, const struct ipvs_service *svc, struct ipvs_service *out);
int ipvs_service_add(struct ipvs *ipvs, const struct ipvs_service *svc, unsigned flags);
int ipvs_service_edit(struct ipvs *ipvs, const struct ipvs_service *svc);
int ipvs_service_del(struct ipvs *ipvs, const struct ipvs_service *svc, unsigned flags);

/*
 * Real servers (controller/ipvs_dest.c). svc names the service by its key.
 *
 * ipvs_dest_list() dumps svc's real servers into a malloc'ed array in *out
 * (free() it; NULL when there are none) and *count. The kernel answers a
 * dump for a service that does not exist with nothing, so that gives 0 and an
 * empty list, not -ESRCH.
 *
 * ipvs_dest_add() adds dest to svc; ipvs_dest_edit() sets the forwarding
 * method, weight, thresholds and tunnel of the real server with dest's key;
 * ipvs_dest_del() removes it (its connections finish or expire). With
 * IPVS_F_IDEMPOTENT, add returns 0 when the real server exists, and del
 * returns 0 when it or its service does not.
 *
 * Two rules the kernel answers with a bare -EINVAL are checked here first, so
 * that each has an errno of its own:
 *   -EPFNOSUPPORT  add, edit: dest's family differs from svc's and forwarding
 *                  is not tunnel (only tunnels may carry IPv6 for IPv4 and back)
 *   -EDESTADDRREQ  add, edit: tunnel type gue with tun_port 0
 * Errors, as the kernel (6.1) gives them:
 *   -ESRCH    no such service
 *   -EEXIST   add: the real server exists in svc
 *   -ENOENT   edit, del: no such real server in svc
 *   -ERANGE   add, edit: l_threshold above u_threshold, or a weight above INT_MAX
 *   -EINVAL   add, edit: the address is not unicast (0.0.0.0, multicast,
 *             broadcast, IPv6 link-local), or families are mixed while a
 *             sync daemon runs
 */
int ipvs_dest_list(struct ipvs *ipvs, const struct ipvs_service *svc, struct ipvs_dest **out,
		   size_t *count);
int ipvs_dest_add(struct ipvs *ipvs, const struct ipvs_service *svc, const struct ipvs_dest *dest,
		  unsigned flags);
int ipvs_dest_edit(struct ipvs *ipvs, const struct ipvs_service *svc, const struct ipvs_dest *dest);
int ipvs_dest_del(struct ipvs *ipvs, const struct ipvs_service *svc, const struct ipvs_dest *dest,
		  unsigned flags);

/*
 * Counters (controller/ipvs_service.c). ipvs_zero() zeroes the counters and
 * rates of svc and its real servers, or of every service when svc is NULL.
 * -ESRCH: no such service. ipvs_flush() deletes every service (and real
 * server) of this network namespace.
 */
int ipvs_zero(struct ipvs *ipvs, const struct ipvs_service *svc);
int ipvs_flush(struct ipvs *ipvs);

/*
 * Connection timeouts and sync daemons (controller/ipvs_config.c).
 *
 * ipvs_timeout_set() sets the non-zero fields of t. -EINVAL: a value above
 * INT_MAX / HZ.
 *
 * ipvs_sync_daemon_start() starts a master or backup daemon. -EEXIST: one of
 * that role runs already; -ENODEV: no such interface; -EINVAL: a real server's
 * family differs from its service's (the sync protocol cannot carry that), or
 * mcast_group is not a multicast address. ipvs_sync_daemon_stop() stops the
 * daemon of role state (IPVS_SYNC_MASTER or IPVS_SYNC_BACKUP); -ESRCH: none
 * runs; a stop the kernel leaves unanswered (it does, right after a start) is
 * 0 if the daemon is gone. ipvs_sync_daemon_list() fills out[0..*count-1] with the daemons that
 * run, at most two (a master and a backup).
 */
int ipvs_timeout_get(struct ipvs *ipvs, struct ipvs_timeouts *out);
int ipvs_timeout_set(struct ipvs *ipvs, const struct ipvs_timeouts *t);
int ipvs_sync_daemon_start(struct ipvs *ipvs, const struct ipvs_sync_daemon *d);
int ipvs_sync_daemon_stop(struct ipvs *ipvs, unsigned state);
int ipvs_sync_daemon_list(struct ipvs *ipvs, struct ipvs_sync_daemon out[2], size_t *count);

/*
 * Words (controller/ipvs_text.c).
 *
 * ipvs_strerror() writes what error err (negative, as returned) of op means,
 * for a person, into buf and returns buf: "scheduler 'mh' is not available in
 * this kernel", "service already exists", "no such service", "tunnel type gue
 * needs a port". detail names what the words cannot know (NULL: not given):
 * the scheduler for SERVICE_ADD/EDIT, the interface for SYNC_START, "master"
 * or "backup" for SYNC_STOP. No prefix and no full stop, so callers can say
 * "service web: " before it. err 0 gives "success"; an error no case knows
 * gives "<op> failed: <strerror>".
 */
const char *ipvs_strerror(enum ipvs_op op, int err, const char *detail, char *buf, size_t len);

/* The name of op ("add service", ...), or "?" for a value outside the enum. */
const char *ipvs_op_name(enum ipvs_op op);

/* Room for ipvs_service_format(): "SCTP [v6]:65535" or "FWM 4294967295 IPv6", and the NUL. */
#define IPVS_SERVICE_STRLEN (INET6_ADDRSTRLEN + 16)
/* Room for ipvs_dest_format(): "[v6]:65535" and the NUL. */
#define IPVS_DEST_STRLEN (INET6_ADDRSTRLEN + 8)

/*
 * Writes svc's key as ipvsadm -Ln shows it ("TCP 10.0.2.100:80",
 * "UDP [fd00::1]:53", "FWM 7", "FWM 8 IPv6") into buf and returns buf.
 */
const char *ipvs_service_format(const struct ipvs_service *svc, char *buf, size_t len);

/* Writes dest's key ("10.0.1.11:80", "[fd00:1::11]:80") into buf and returns buf. */
const char *ipvs_dest_format(const struct ipvs_dest *dest, char *buf, size_t len);

#endif
