/* Inside the IPVS client (controller/ipvs*.c only): the handle and the one request engine. */
#ifndef FULCRUM_IPVS_INT_H
#define FULCRUM_IPVS_INT_H

#include "controller/ipvs/ipvs.h"

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdint.h>

struct ipvs {
	struct nl_sock *sk; /* NULL after a transport error, until the next request reopens it */
	unsigned wait_ms;   /* the socket's receive timeout as last set */
	struct nl_cb *cb;   /* our callbacks, set afresh for each request */
	int family;         /* generic netlink family id of IPVS */
	struct ipvs_info info;
};

/*
 * Called once for each answer (a reply, or one part of a dump) with the
 * message; returns 0 or a negative errno. After an error, later answers of the
 * same request are read and dropped, and the request returns that error.
 */
typedef int (*ipvs_answer_fn)(struct nl_msg *msg, void *arg);

/* 0 when the kernel has IPVS, -EOPNOTSUPP when it has not (ipvs_info() says why). */
int ipvs_ready(const struct ipvs *ipvs);

/*
 * Starts a request: a generic netlink message for command cmd with nlm_flags
 * (0, or NLM_F_DUMP). Returns NULL when out of memory.
 */
struct nl_msg *ipvs_msg_new(const struct ipvs *ipvs, uint8_t cmd, int nlm_flags);

/*
 * Sends msg (and frees it, whatever happens), then reads every answer until
 * the kernel's acknowledgement, error or end of dump, giving each answer to
 * fn (which may be NULL). Returns 0, the kernel's own errno negated (-ESRCH,
 * -EEXIST, ...: not libnl's translation of it), -EINTR when a dump was
 * interrupted, -ETIMEDOUT when the kernel does not answer within
 * IPVS_RECV_TIMEOUT_S, or another negative errno. After a transport error
 * the socket is closed and the next request opens a fresh one.
 */
int ipvs_request(struct ipvs *ipvs, struct nl_msg *msg, ipvs_answer_fn fn, void *arg);

/*
 * ipvs_request(), waiting wait_ms instead of IPVS_RECV_TIMEOUT_S for each
 * answer: for a request the kernel may leave unanswered (see
 * ipvs_sync_daemon_stop()).
 */
int ipvs_request_wait(struct ipvs *ipvs, struct nl_msg *msg, ipvs_answer_fn fn, void *arg,
		      unsigned wait_ms);

/*
 * Runs a dump of cmd, retrying the whole dump up to IPVS_DUMP_TRIES times when
 * it was interrupted (NLM_F_DUMP_INTR) or lost messages (ENOBUFS: libnl calls
 * it NLE_NOMEM). put (may be NULL) adds the request's attributes from key;
 * restart (may be NULL) forgets what a failed attempt collected in arg.
 */
int ipvs_dump(struct ipvs *ipvs, uint8_t cmd, int (*put)(struct nl_msg *, const void *),
	      const void *key, ipvs_answer_fn fn, void (*restart)(void *), void *arg);

/*
 * Parses the top-level attributes of a generic netlink answer against policy
 * (maxattr + 1 entries). Returns 0 or -EPROTO for a malformed message.
 */
int ipvs_msg_parse(struct nl_msg *msg, struct nlattr **attrs, int maxattr,
		   const struct nla_policy *policy);

/*
 * Reads counters and rates from a nested IPVS_*_ATTR_STATS64 attribute,
 * or from the 32-bit IPVS_*_ATTR_STATS when stats64 is NULL (kernels before
 * 4.11 have only that). Either may be NULL; out is zeroed first. Returns 0 or
 * -EPROTO.
 */
int ipvs_stats_parse(const struct nlattr *stats64, const struct nlattr *stats32,
		     struct ipvs_stats *out);

/* Puts an address attribute: 4 bytes for AF_INET, 16 for AF_INET6. Returns 0 or -EMSGSIZE. */
int ipvs_addr_put(struct nl_msg *msg, int attr, int af, const union ipvs_addr *addr);

/* Copies an address attribute of family af into out. Returns 0 or -EPROTO when too short. */
int ipvs_addr_get(const struct nlattr *nla, int af, union ipvs_addr *out);

/* The top-level attributes of IPVS commands and answers (IPVS_CMD_ATTR_*). */
extern const struct nla_policy ipvs_cmd_policy[];

/* Puts the nested IPVS_CMD_ATTR_SERVICE that names svc (its key only). Returns 0 or -EMSGSIZE. */
int ipvs_service_key_put(struct nl_msg *msg, const struct ipvs_service *svc);

/*
 * Seconds a request waits for the kernel before it gives up with -ETIMEDOUT.
 * The kernel runs a request in the sender's own sendmsg() (generic netlink
 * calls the command there), so its answer is queued before the wait begins;
 * the wait bounds a dump's later parts and an answer that never comes.
 */
#define IPVS_RECV_TIMEOUT_S 30
/*
 * How long a sync daemon stop waits for its answer before it asks whether
 * the daemon still runs (ipvs_sync_daemon_stop()): the answer is queued
 * already when it comes at all.
 */
#define IPVS_SYNC_STOP_WAIT_MS 250
/* How many times a dump is tried before its error is returned. */
#define IPVS_DUMP_TRIES 5
/* The socket receive buffer asked for: a dump part never overruns it. */
#define IPVS_RCVBUF_BYTES (8 * 1024 * 1024)
/*
 * The buffer each message is read into. The kernel builds a dump part no
 * larger than the largest read buffer it has seen or NLMSG_GOODSIZE (at most
 * 8 KiB), whichever is more, and IPVS's other answers fit in NLMSG_GOODSIZE:
 * with every read this size, none is cut. Not larger: the kernel allocates
 * (and zeroes) a part of this size for every dump, even of one dest.
 */
#define IPVS_MSG_BUF_BYTES (16 * 1024)

#endif
