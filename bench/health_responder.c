/* bench/health-5k.sh's real servers: one epoll loop answering HTTP on every 127.x.y.z, and counting. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: health-responder [PORT [BODY]]
 *
 * Listens on 0.0.0.0:PORT (0: any free port) and prints "port N" once it
 * does. Every request (up to its blank line; the request line and headers are
 * not read) gets "200 OK" with BODY ("Still alive\n" by default); the
 * connection stays open until the client closes it, as a keep-alive server
 * would. Connections from outside 127.0.0.0/8 are closed at once.
 *
 * SIGUSR1 starts a measurement window, SIGUSR2 ends it and prints one line:
 *   window seconds=S requests=N rate=R/s per_second_min=A median=B max=C
 *   per_10ms_p50=.. p99=.. max=.. addrs=K conn_ms_p50=.. p99=.. max=..
 *   gap_ms_p50=.. p99=.. max=.. cpu_pct=.. open=.. rejected=..
 * per_second: requests in each whole second of the window; per_10ms: in each
 * 10 ms of it (checks spread evenly over their interval give about rate/100
 * in every one; a high p99 or max means they come in bursts); addrs: the local
 * addresses (127.x.y.z, one per real server) asked in the window; conn_ms:
 * from accept to the client's close, for connections accepted in the window
 * (how long a check held its connection, as this side sees it); gap_ms:
 * between two requests to the same address (one check interval, when the
 * checker keeps its schedule); cpu_pct: this process, of one core.
 * SIGTERM or SIGINT stop it.
 */

#define RESP_FD_MAX   65536
#define RESP_ADDR_MAX 65536 /* addresses told apart by their low 16 bits */

struct conn {
	int64_t accept_ns; /* 0: not open */
	uint32_t addr;     /* index into last_req */
	uint8_t match;     /* how much of "\r\n\r\n" was just seen */
	bool counted;      /* accepted inside the window */
};

struct samples {
	uint32_t *v; /* microseconds */
	size_t n, cap;
};

struct resp {
	int ep, lfd, sfd;
	const char *reply;
	size_t reply_len;
	struct conn *conns;
	int64_t *last_req; /* per address: the last request in the window, ns; 0: none yet */
	bool window;
	int64_t win_start_ns;
	double win_cpu;
	uint64_t requests, rejected;
	uint32_t addrs, open;
	uint32_t *per_second, *per_tick; /* requests in each second, each 10 ms of the window */
	size_t nseconds, cap_seconds, nticks, cap_ticks;
	struct samples conn_us, gap_us;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void sample_add(struct samples *s, int64_t ns)
{
	int64_t us = ns / 1000;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		uint32_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return; /* a sample fewer */
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of v[0..n) (sorted), the nearest rank. */
static double quantile_ms(const uint32_t *v, size_t n, double q)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)(q * (double)n + 0.999999);
	i = i ? i - 1 : 0;
	return (double)v[i < n ? i : n - 1] / 1000.0;
}

/* Counts one in slot s of *v (growing it, new slots 0); *n: slots used. */
static void count_in(uint32_t **v, size_t *n, size_t *cap, size_t s)
{
	if (s >= *cap) {
		size_t ncap = s + s / 2 + 64;
		uint32_t *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return;
		memset(nv + *cap, 0, (ncap - *cap) * sizeof(*nv));
		*v = nv;
		*cap = ncap;
	}
	(*v)[s]++;
	if (s + 1 > *n)
		*n = s + 1;
}

/*
 * Sorts the counts of the first `whole` slots of v (n used; slots never
 * counted are 0) into *out (freed by the caller); NULL if none or no memory.
 */
static uint32_t *sorted_counts(const uint32_t *v, size_t n, size_t whole)
{
	uint32_t *s = whole ? calloc(whole, sizeof(*s)) : NULL;

	if (!s)
		return NULL;
	memcpy(s, v, (n < whole ? n : whole) * sizeof(*s));
	qsort(s, whole, sizeof(*s), cmp_u32);
	return s;
}

static void window_start(struct resp *r)
{
	r->window = true;
	r->win_start_ns = now_ns();
	r->win_cpu = cpu_seconds();
	r->requests = r->rejected = 0;
	r->addrs = 0;
	r->nseconds = r->nticks = 0;
	if (r->per_second)
		memset(r->per_second, 0, r->cap_seconds * sizeof(*r->per_second));
	if (r->per_tick)
		memset(r->per_tick, 0, r->cap_ticks * sizeof(*r->per_tick));
	memset(r->last_req, 0, RESP_ADDR_MAX * sizeof(*r->last_req));
	r->conn_us.n = r->gap_us.n = 0;
	for (int fd = 0; fd < RESP_FD_MAX; fd++)
		r->conns[fd].counted = false;
}

static void window_report(struct resp *r)
{
	int64_t end = now_ns();
	double secs = (double)(end - r->win_start_ns) / 1e9, cpu = cpu_seconds() - r->win_cpu;
	size_t whole = (size_t)secs, ticks = (size_t)(secs * 100);
	uint32_t smin = 0, smed = 0, smax = 0, t50 = 0, t99 = 0, tmax = 0, *v;

	if (!r->window) {
		printf("window none\n");
		fflush(stdout);
		return;
	}
	if ((v = sorted_counts(r->per_second, r->nseconds, whole))) {
		smin = v[0];
		smed = v[whole / 2];
		smax = v[whole - 1];
		free(v);
	}
	if ((v = sorted_counts(r->per_tick, r->nticks, ticks))) {
		t50 = v[(ticks - 1) / 2];
		t99 = v[(size_t)((double)ticks * 0.99 + 0.999999) - 1];
		tmax = v[ticks - 1];
		free(v);
	}
	qsort(r->conn_us.v, r->conn_us.n, sizeof(uint32_t), cmp_u32);
	qsort(r->gap_us.v, r->gap_us.n, sizeof(uint32_t), cmp_u32);
	printf("window seconds=%.3f requests=%llu rate=%.1f per_second_min=%u median=%u max=%u "
	       "per_10ms_p50=%u p99=%u max=%u addrs=%u conn_ms_p50=%.3f p99=%.3f max=%.3f "
	       "gap_ms_p50=%.1f p99=%.1f max=%.1f "
	       "cpu_pct=%.1f open=%u rejected=%llu\n",
	       secs, (unsigned long long)r->requests, secs > 0 ? (double)r->requests / secs : 0.0,
	       smin, smed, smax, t50, t99, tmax, r->addrs,
	       quantile_ms(r->conn_us.v, r->conn_us.n, 0.5),
	       quantile_ms(r->conn_us.v, r->conn_us.n, 0.99),
	       quantile_ms(r->conn_us.v, r->conn_us.n, 1.0),
	       quantile_ms(r->gap_us.v, r->gap_us.n, 0.5),
	       quantile_ms(r->gap_us.v, r->gap_us.n, 0.99),
	       quantile_ms(r->gap_us.v, r->gap_us.n, 1.0), secs > 0 ? cpu / secs * 100.0 : 0.0,
	       r->open, (unsigned long long)r->rejected);
	fflush(stdout);
	r->window = false;
}

static void conn_close(struct resp *r, int fd)
{
	struct conn *c = &r->conns[fd];

	if (c->counted && r->window)
		sample_add(&r->conn_us, now_ns() - c->accept_ns);
	c->accept_ns = 0;
	c->counted = false;
	r->open--;
	close(fd);
}

static void on_request(struct resp *r, int fd)
{
	struct conn *c = &r->conns[fd];
	int64_t t = now_ns();

	if (write(fd, r->reply, r->reply_len) != (ssize_t)r->reply_len) {
		conn_close(r, fd); /* a full socket buffer for a few dozen bytes: give up on it */
		return;
	}
	if (!r->window)
		return;
	r->requests++;
	count_in(&r->per_second, &r->nseconds, &r->cap_seconds,
		 (size_t)((t - r->win_start_ns) / 1000000000));
	count_in(&r->per_tick, &r->nticks, &r->cap_ticks,
		 (size_t)((t - r->win_start_ns) / 10000000));
	if (r->last_req[c->addr])
		sample_add(&r->gap_us, t - r->last_req[c->addr]);
	else
		r->addrs++;
	r->last_req[c->addr] = t;
}

static void on_readable(struct resp *r, int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_close(r, fd);
			return;
		}
		if (n < 0)
			return;
		for (ssize_t i = 0; i < n; i++) {
			struct conn *c = &r->conns[fd];
			char want = c->match % 2 ? '\n' : '\r';

			if (buf[i] == want)
				c->match++;
			else
				c->match = buf[i] == '\r';
			if (c->match == 4) {
				c->match = 0;
				on_request(r, fd);
				if (!r->conns[fd].accept_ns)
					return; /* closed */
			}
		}
		if ((size_t)n < sizeof(buf))
			return;
	}
}

static void on_accept(struct resp *r)
{
	for (;;) {
		struct sockaddr_in peer, local;
		socklen_t plen = sizeof(peer), llen = sizeof(local);
		int fd =
		    accept4(r->lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = {.events = EPOLLIN};

		if (fd < 0)
			return; /* EAGAIN, or out of descriptors: try again at the next event */
		if (fd >= RESP_FD_MAX || peer.sin_family != AF_INET ||
		    (ntohl(peer.sin_addr.s_addr) >> 24) != 127 ||
		    getsockname(fd, (struct sockaddr *)&local, &llen) != 0) {
			r->rejected++;
			close(fd);
			continue;
		}
		ev.data.fd = fd;
		if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			continue;
		}
		r->conns[fd].accept_ns = now_ns();
		r->conns[fd].addr = ntohl(local.sin_addr.s_addr) & (RESP_ADDR_MAX - 1);
		r->conns[fd].match = 0;
		r->conns[fd].counted = r->window;
		r->open++;
	}
}

/* 1: stop. */
static int on_signal(struct resp *r)
{
	struct signalfd_siginfo si;

	while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			window_start(r);
		else if (si.ssi_signo == SIGUSR2)
			window_report(r);
		else
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct resp r;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t slen = sizeof(sin);
	const char *body = argc > 2 ? argv[2] : "Still alive\n";
	char *reply;
	sigset_t mask;
	int one = 1;
	struct epoll_event ev = {.events = EPOLLIN};

	if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: health-responder [PORT [BODY]]\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)(argc > 1 ? atoi(argv[1]) : 0));
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (asprintf(&reply,
		     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
		     strlen(body), body) < 0)
		return 1;
	r.reply = reply;
	r.reply_len = strlen(reply);
	r.conns = calloc(RESP_FD_MAX, sizeof(*r.conns));
	r.last_req = calloc(RESP_ADDR_MAX, sizeof(*r.last_req));
	r.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	r.ep = epoll_create1(EPOLL_CLOEXEC);
	r.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (!r.conns || !r.last_req || r.lfd < 0 || r.ep < 0 || r.sfd < 0) {
		perror("health-responder");
		return 1;
	}
	setsockopt(r.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* a long accept queue: a hiccup here must not drop the checker's connections */
	if (bind(r.lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(r.lfd, 8192) != 0 ||
	    getsockname(r.lfd, (struct sockaddr *)&sin, &slen) != 0) {
		perror("health-responder: listen");
		return 1;
	}
	ev.data.fd = r.lfd;
	epoll_ctl(r.ep, EPOLL_CTL_ADD, r.lfd, &ev);
	ev.data.fd = r.sfd;
	epoll_ctl(r.ep, EPOLL_CTL_ADD, r.sfd, &ev);
	printf("port %u\n", ntohs(sin.sin_port));
	fflush(stdout);
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(r.ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == r.lfd)
				on_accept(&r);
			else if (fd == r.sfd) {
				if (on_signal(&r))
					goto out;
			} else if (r.conns[fd].accept_ns)
				on_readable(&r, fd);
		}
	}
out:
	free(reply);
	return 0;
}
