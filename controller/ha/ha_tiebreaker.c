/* Tie-breakers: ICMP echo to the gateways (as Pacemaker's ping resource), so a cut-off node does not take over. */
#include "controller/ha/ha_tiebreaker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define HA_TB_ECHO_LEN 16 /* 8 bytes of header, 8 of payload */

struct ha_tb_target {
	struct sockaddr_storage sa;
	socklen_t salen;
	char text[STATUS_HA_ADDR];
	uint64_t last_answer; /* monotonic ms; 0: never */
	uint64_t sent, answered;
};

struct ha_tiebreaker {
	struct ha_tb_target t[HA_TIEBREAKER_MAX];
	size_t n;
	int fd4, fd6;
	uint16_t id, seq;
	uint64_t period, next;
};

uint16_t ha_tiebreaker_csum(const uint8_t *buf, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(buf[i] << 8 | buf[i + 1]);
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t ha_tiebreaker_echo_build(uint8_t *buf, size_t cap, bool v6, uint16_t id, uint16_t seq)
{
	uint16_t sum;

	if (cap < HA_TB_ECHO_LEN)
		return 0;
	memset(buf, 0, HA_TB_ECHO_LEN);
	buf[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	buf[4] = (uint8_t)(id >> 8);
	buf[5] = (uint8_t)id;
	buf[6] = (uint8_t)(seq >> 8);
	buf[7] = (uint8_t)seq;
	memcpy(buf + 8, "fulcrum!", 8);
	if (!v6) {
		sum = ha_tiebreaker_csum(buf, HA_TB_ECHO_LEN);
		buf[2] = (uint8_t)(sum >> 8);
		buf[3] = (uint8_t)sum;
	}
	return HA_TB_ECHO_LEN;
}

int ha_tiebreaker_reply_parse(const uint8_t *buf, size_t len, bool v6, uint16_t *id, uint16_t *seq)
{
	if (!v6) {
		size_t ihl;

		if (len < 20 || (buf[0] >> 4) != 4)
			return -EINVAL;
		ihl = (size_t)(buf[0] & 0x0f) * 4;
		if (ihl < 20 || len < ihl + 8)
			return -EINVAL;
		buf += ihl;
		len -= ihl;
		if (buf[0] != ICMP_ECHOREPLY)
			return -EINVAL;
	} else if (len < 8 || buf[0] != ICMP6_ECHO_REPLY) {
		return -EINVAL;
	}
	*id = (uint16_t)(buf[4] << 8 | buf[5]);
	*seq = (uint16_t)(buf[6] << 8 | buf[7]);
	return 0;
}

static int ha_tb_socket(bool v6)
{
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);

	if (fd < 0)
		return -errno;
	/* only echo replies reach this socket: the rest of the host's ICMP stays out */
	if (v6) {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	} else {
		struct icmp_filter f = {.data = ~(1u << ICMP_ECHOREPLY)};

		setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	}
	return fd;
}

static int ha_tb_add(struct ha_tiebreaker *t, const char *addr, char *err, size_t errlen)
{
	struct ha_tb_target *x = &t->t[t->n];
	struct sockaddr_in *s4 = (struct sockaddr_in *)&x->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&x->sa;

	if (t->n == HA_TIEBREAKER_MAX) {
		snprintf(err, errlen, "ha_tiebreaker: more than %d addresses", HA_TIEBREAKER_MAX);
		return -E2BIG;
	}
	memset(x, 0, sizeof(*x));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		x->salen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		x->salen = sizeof(*s6);
	} else {
		snprintf(err, errlen, "ha_tiebreaker: '%s' is not a numeric address", addr);
		return -EINVAL;
	}
	snprintf(x->text, sizeof(x->text), "%s", addr);
	t->n++;
	return 0;
}

int ha_tiebreaker_new(const char *targets, uint64_t probe_ms, struct ha_tiebreaker **out, char *err,
		      size_t errlen)
{
	struct ha_tiebreaker *t;
	char item[64];
	bool need4 = false, need6 = false;
	int rc = 0;

	*out = NULL;
	targets += strspn(targets, " \t");
	if (!*targets)
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd4 = t->fd6 = -1;
	t->period = probe_ms ? probe_ms : 1;
	while (*targets) {
		size_t len = strcspn(targets, " \t");

		snprintf(item, sizeof(item), "%.*s", (int)(len < sizeof(item) ? len : 63), targets);
		rc = ha_tb_add(t, item, err, errlen);
		if (rc != 0)
			goto fail;
		need4 |= t->t[t->n - 1].sa.ss_family == AF_INET;
		need6 |= t->t[t->n - 1].sa.ss_family == AF_INET6;
		targets += len;
		targets += strspn(targets, " \t");
	}
	if (need4 && (t->fd4 = ha_tb_socket(false)) < 0)
		rc = t->fd4;
	if (rc == 0 && need6 && (t->fd6 = ha_tb_socket(true)) < 0)
		rc = t->fd6;
	if (rc != 0) {
		snprintf(err, errlen, "ha_tiebreaker: cannot open a raw ICMP socket: %s",
			 strerror(-rc));
		goto fail;
	}
	if (getrandom(&t->id, sizeof(t->id), GRND_NONBLOCK) != sizeof(t->id))
		t->id = (uint16_t)getpid();
	*out = t;
	return 0;
fail:
	ha_tiebreaker_free(t);
	return rc;
}

void ha_tiebreaker_free(struct ha_tiebreaker *t)
{
	if (!t)
		return;
	if (t->fd4 >= 0)
		close(t->fd4);
	if (t->fd6 >= 0)
		close(t->fd6);
	free(t);
}

size_t ha_tiebreaker_fds(const struct ha_tiebreaker *t, int fds[2])
{
	size_t n = 0;

	if (t->fd4 >= 0)
		fds[n++] = t->fd4;
	if (t->fd6 >= 0)
		fds[n++] = t->fd6;
	return n;
}

uint64_t ha_tiebreaker_next(const struct ha_tiebreaker *t)
{
	return t->next;
}

void ha_tiebreaker_probe(struct ha_tiebreaker *t, uint64_t now)
{
	uint8_t buf[HA_TB_ECHO_LEN];

	if (now < t->next)
		return;
	t->seq++;
	for (size_t i = 0; i < t->n; i++) {
		bool v6 = t->t[i].sa.ss_family == AF_INET6;
		size_t len = ha_tiebreaker_echo_build(buf, sizeof(buf), v6, t->id, t->seq);

		/* a failure (no route: the link is down) is a probe without an answer */
		sendto(v6 ? t->fd6 : t->fd4, buf, len, MSG_DONTWAIT,
		       (const struct sockaddr *)&t->t[i].sa, t->t[i].salen);
		t->t[i].sent++;
	}
	/* a period from now, not from the last due time: a late wake-up sends once, not in a burst */
	t->next = now + t->period;
}

static bool ha_tb_same(const struct ha_tb_target *x, const struct sockaddr_storage *from)
{
	if (x->sa.ss_family != from->ss_family)
		return false;
	if (from->ss_family == AF_INET)
		return ((const struct sockaddr_in *)&x->sa)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)from)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)&x->sa)->sin6_addr,
		      &((const struct sockaddr_in6 *)from)->sin6_addr, 16) == 0;
}

void ha_tiebreaker_read(struct ha_tiebreaker *t, int fd, uint64_t now)
{
	uint8_t buf[1500];
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;
	uint16_t id, seq;

	for (;;) {
		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		if (ha_tiebreaker_reply_parse(buf, (size_t)n, fd == t->fd6, &id, &seq) != 0 ||
		    id != t->id)
			continue;
		/* an answer to one of the last probes; an older one says nothing of now */
		if ((uint16_t)(t->seq - seq) >= HA_TIEBREAKER_WINDOW)
			continue;
		for (size_t i = 0; i < t->n; i++) {
			if (ha_tb_same(&t->t[i], &from)) {
				t->t[i].last_answer = now;
				t->t[i].answered++;
			}
		}
	}
}

bool ha_tiebreaker_reached(const struct ha_tiebreaker *t, uint64_t now, unsigned window)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->t[i].last_answer && now - t->t[i].last_answer <= window * t->period)
			return true;
	return false;
}

void ha_tiebreaker_status(const struct ha_tiebreaker *t, uint64_t now, int64_t wall_now,
			  struct status_cluster *st)
{
	st->ntargets = t->n;
	st->tiebreaker_reached = ha_tiebreaker_reached(t, now, HA_TIEBREAKER_WINDOW);
	for (size_t i = 0; i < t->n; i++) {
		struct status_ha_target *o = &st->targets[i];

		snprintf(o->addr, sizeof(o->addr), "%s", t->t[i].text);
		o->last_answer =
		    t->t[i].last_answer ? wall_now - (int64_t)(now - t->t[i].last_answer) : 0;
		o->sent = t->t[i].sent;
		o->answered = t->t[i].answered;
	}
}
