/* The heartbeat's sockets: one UDP socket per local end, each message sent on every path, every datagram decoded and checked. */
#include "controller/ha/ha_engine-int.h"

#include "controller/lib/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "192.0.2.1:694", "[2001:db8::1]:694" */
static void ha_path_format(const struct sockaddr_storage *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s->sin_port));
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s->sin6_port));
	}
}

static bool ha_path_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

/* A UDP socket bound to local (port included), marked as network control traffic. */
static int ha_path_socket(const struct sockaddr_storage *local, socklen_t len)
{
	int fd = socket(local->ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1, tos = IPTOS_PREC_INTERNETCONTROL, prio = 6, rc;

	if (fd < 0)
		return -errno;
	if (local->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* DSCP CS6 and a high queueing priority: heartbeats pass a congested link first */
	if (local->ss_family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
	setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio));
	/* a path bound to one address beside another on the wildcard address, same port */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)local, len) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Opens path i from peer and bind (bind "" is any address of the peer's family). */
static int ha_path_add(struct ha_engine *e, const char *peer, const char *bind, char *err,
		       size_t errlen)
{
	struct ha_beat *b = &e->beat;
	struct ha_path *p = &b->paths[b->npaths];
	struct sockaddr_storage local;
	socklen_t llen;
	struct sockaddr_storage bound[HA_PATHS_MAX];
	int rc;

	memset(p, 0, sizeof(*p));
	rc = conf_peer_parse(peer, (unsigned)e->conf.ha_port, &p->peer, &p->peerlen, err, errlen);
	if (rc != 0)
		return rc;
	memset(&local, 0, sizeof(local));
	if (*bind) {
		rc = conf_addr_parse(bind, &local, &llen);
		if (rc != 0) {
			snprintf(err, errlen, "'%s' is not an address", bind);
			return rc;
		}
	} else {
		local.ss_family = p->peer.ss_family;
		llen = local.ss_family == AF_INET ? sizeof(struct sockaddr_in)
						  : sizeof(struct sockaddr_in6);
	}
	if (local.ss_family == AF_INET)
		((struct sockaddr_in *)&local)->sin_port = htons((uint16_t)e->conf.ha_port);
	else
		((struct sockaddr_in6 *)&local)->sin6_port = htons((uint16_t)e->conf.ha_port);
	ha_path_format(&p->peer, p->peer_text, sizeof(p->peer_text));
	if (*bind)
		ha_path_format(&local, p->bind_text, sizeof(p->bind_text));
	/* a local end that an earlier path opened already is shared: one socket per port and address */
	p->fd = -1;
	for (size_t i = 0; i < b->npaths; i++) {
		socklen_t bl = sizeof(bound[i]);

		if (getsockname(b->paths[i].fd, (struct sockaddr *)&bound[i], &bl) == 0 &&
		    ha_path_same_addr(&bound[i], &local))
			p->fd = b->paths[i].fd;
	}
	if (p->fd < 0) {
		p->fd = ha_path_socket(&local, llen);
		if (p->fd < 0) {
			char where[STATUS_HA_ADDR];

			ha_path_format(&local, where, sizeof(where));
			snprintf(err, errlen, "cannot listen for heartbeats on UDP %s: %s", where,
				 strerror(-p->fd));
			return p->fd;
		}
		b->fds[b->nfds++] = p->fd;
	}
	b->npaths++;
	return 0;
}

int ha_path_open(struct ha_engine *e, char *err, size_t errlen)
{
	char why[256];
	int rc = ha_path_add(e, e->conf.ha_peer, e->conf.ha_bind, why, sizeof(why));

	if (rc == 0 && e->conf.ha_peer2[0])
		rc = ha_path_add(e, e->conf.ha_peer2, e->conf.ha_bind2, why, sizeof(why));
	if (rc != 0) {
		snprintf(err, errlen, "heartbeat path %zu: %s", e->beat.npaths + 1, why);
		ha_path_close(e);
	}
	return rc;
}

void ha_path_close(struct ha_engine *e)
{
	for (size_t i = 0; i < e->beat.nfds; i++)
		close(e->beat.fds[i]);
	e->beat.nfds = e->beat.npaths = 0;
}

int ha_path_msg(const struct ha_fsm *f, enum ha_msg_type type, const char *cluster, uint64_t epoch,
		uint64_t seq, int64_t revision, uint64_t echo, const struct ha_keys *keys,
		uint8_t *buf, size_t cap, size_t *len)
{
	struct ha_msg m;

	memset(&m, 0, sizeof(m));
	ha_fsm_msg_fill(f, type, &m);
	snprintf(m.cluster, sizeof(m.cluster), "%s", cluster);
	m.epoch = epoch;
	m.seq = seq;
	m.revision = revision;
	m.echo = echo;
	return ha_packet_encode(&m, keys, buf, cap, len);
}

int ha_path_send(struct ha_engine *e, enum ha_msg_type type)
{
	struct ha_beat *b = &e->beat;
	uint8_t buf[HA_PACKET_MAX];
	size_t len;
	int sent = 0;

	/* the peer's epoch as last accepted (restored at start): proof this message is newer */
	if (ha_path_msg(&b->fsm, type, e->conf.ha_cluster, e->epoch, ++b->seq,
			atomic_load(&e->revision), ha_replay_epoch(&b->replay), e->keys, buf,
			sizeof(buf), &len) != 0) {
		log_warnx("ha", "cannot encode a heartbeat (a bug): role %s, node '%s'",
			  ha_fsm_role_name(b->fsm.role), e->node);
		return -EINVAL;
	}
	/* the same message (one seq) on every path: the receiver counts the second copy a duplicate */
	for (size_t i = 0; i < b->npaths; i++) {
		struct ha_path *p = &b->paths[i];

		if (sendto(p->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&p->peer,
			   p->peerlen) == (ssize_t)len) {
			p->sent++;
			sent++;
			if (p->last_errno) {
				log_notice("ha", "heartbeat path %zu to %s sends again", i + 1,
					   p->peer_text);
				p->last_errno = 0;
			}
			continue;
		}
		p->send_errors++;
		b->send_errors++;
		snprintf(p->send_error, sizeof(p->send_error), "%s", strerror(errno));
		if (p->last_errno != errno) {
			p->last_errno = errno;
			log_warn("ha", "heartbeat path %zu to %s cannot send", i + 1, p->peer_text);
		}
	}
	if (sent) {
		b->sent++;
		if (type == HA_MSG_STEPDOWN)
			b->sent_stepdown++;
	}
	return sent ? 0 : -EIO;
}

/* The replay window for node: the peer's, or (another name) the stranger's, never persisted. */
static struct ha_replay *ha_path_window(struct ha_beat *b, const char *node)
{
	if (!b->replay_node[0])
		snprintf(b->replay_node, sizeof(b->replay_node), "%s", node);
	if (strcmp(node, b->replay_node) == 0)
		return &b->replay;
	if (strcmp(node, b->stranger_node) != 0) {
		snprintf(b->stranger_node, sizeof(b->stranger_node), "%s", node);
		ha_replay_init(&b->stranger, 0, 0);
	}
	return &b->stranger;
}

void ha_path_read(struct ha_engine *e, int fd, uint64_t now_ms, ha_path_heard_fn fn)
{
	struct ha_beat *b = &e->beat;
	uint8_t buf[512];
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;

	for (;;) {
		enum ha_packet_result r;
		struct ha_path *path = NULL;
		struct ha_msg m;

		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		for (size_t i = 0; i < b->npaths; i++)
			if (b->paths[i].fd == fd && ha_path_same_addr(&b->paths[i].peer, &from))
				path = &b->paths[i];
		if (path)
			path->received++;
		r = ha_packet_decode(buf, (size_t)n, e->keys, e->conf.ha_cluster, &m);
		if (r == HA_PACKET_OK)
			r = ha_replay_check(ha_path_window(b, m.node), m.epoch, m.seq);
		if (r == HA_PACKET_OK && strcmp(m.node, b->replay_node) == 0 &&
		    m.epoch > b->saved_epoch) {
			/* the peer restarted (or this node did): its new epoch survives our restart */
			b->saved_epoch = m.epoch;
			ha_sync_peer_save(e->sync, m.node, m.epoch, m.seq);
			/* a heartbeat now: the peer's echo of this node's epoch catches up at once */
			b->next_send_us = ha_engine_now_us();
		}
		if (r == HA_PACKET_OK)
			r = ha_fsm_echo_check(&b->fsm, &m);
		ha_packet_count(&b->rx, r);
		/* authentic copies (the other path's, a late one) show the path works */
		if (path && (r == HA_PACKET_OK || r == HA_PACKET_DUPLICATE || r == HA_PACKET_LATE))
			path->last_heard = now_ms;
		if (r == HA_PACKET_STALE_ECHO)
			log_notice("ha",
				   "dropped a STEPDOWN (%s) of peer %s, epoch %" PRIu64
				   " seq %" PRIu64 ": stale_echo, it echoes epoch %" PRIu64
				   ", not this node's %" PRIu64
				   " (sent before this start: a recording, or the peer had not "
				   "heard this node yet)",
				   ha_packet_stepdown_name(m.reason), m.node, m.epoch, m.seq,
				   m.echo, e->epoch);
		if (r != HA_PACKET_OK)
			continue;
		ha_path_format(&from, b->peer_addr, sizeof(b->peer_addr));
		fn(e, &m, now_ms);
	}
}
