/* The tcp check: a non-blocking connect that must complete within the timeout. */
#include "controller/health/health_int.h"
#include "controller/lib/looplag.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void tcp_close(struct hl_probe *p)
{
	if (p->run.tcp.ev)
		event_free(p->run.tcp.ev);
	p->run.tcp.ev = NULL;
	if (p->run.tcp.fd >= 0)
		close(p->run.tcp.fd);
	p->run.tcp.fd = -1;
}

static void tcp_fail(struct health *h, struct hl_probe *p, int err)
{
	char why[128];

	tcp_close(p);
	if (err == ECONNREFUSED)
		snprintf(why, sizeof(why), "tcp: connection refused");
	else
		snprintf(why, sizeof(why), "tcp: cannot connect: %s", strerror(err));
	health_probe_done(h, p, false, why);
}

static void tcp_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct hl_probe *p = arg;
	struct health *h = p->owner;
	socklen_t len = sizeof(int);
	int err = 0;
	char why[64];

	looplag_mark();
	if (what & EV_TIMEOUT) {
		tcp_close(p);
		snprintf(why, sizeof(why), "tcp: timed out after %u s", p->timeout);
		health_probe_done(h, p, false, why);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		tcp_fail(h, p, err);
		return;
	}
	tcp_close(p);
	health_probe_done(h, p, true, "tcp: connected");
}

/* Fills ss with p's address and port; returns its length. */
static socklen_t tcp_sockaddr(const struct hl_probe *p, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (p->addr.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = p->addr.u.v6;
		s6->sin6_port = htons(p->port);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_addr = p->addr.u.v4;
	s4->sin_port = htons(p->port);
	return sizeof(*s4);
}

void health_tcp_start(struct health *h, struct hl_probe *p)
{
	struct sockaddr_storage ss;
	socklen_t sslen = tcp_sockaddr(p, &ss);
	struct timeval tv = {(time_t)p->timeout, 0};

	p->run.tcp.ev = NULL;
	p->run.tcp.fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->run.tcp.fd < 0) {
		tcp_fail(h, p, errno);
		return;
	}
	if (connect(p->run.tcp.fd, (struct sockaddr *)&ss, sslen) == 0) {
		tcp_close(p);
		health_probe_done(h, p, true, "tcp: connected");
		return;
	}
	if (errno != EINPROGRESS) {
		tcp_fail(h, p, errno);
		return;
	}
	p->run.tcp.ev = event_new(h->base, p->run.tcp.fd, EV_WRITE, tcp_on_event, p);
	if (!p->run.tcp.ev || event_add(p->run.tcp.ev, &tv) != 0)
		tcp_fail(h, p, ENOMEM);
}

void health_tcp_cancel(struct hl_probe *p)
{
	tcp_close(p);
}
