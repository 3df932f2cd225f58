/* bench/api.sh's read baseline: libmicrohttpd driven as fulcrumd drives it, and a fixed body. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The same limits as web/web.c, so MHD does the same work per connection. */
#define BARE_CONN_MAX    256
#define BARE_CONN_PER_IP 128
#define BARE_CONN_MEMORY 32768
#define BARE_TIMEOUT     10
#define BARE_BODY_MAX    (64u << 20)

struct bare {
	struct event_base *base;
	struct MHD_Daemon *mhd;
	struct event *mhd_ev, *mhd_timer, *sig_term, *sig_int;
	char *body;
	size_t body_len;
};

/* One MHD run, then its next timeout as a libevent timer: web_run() without the wake-up. */
static void bare_run(struct bare *b)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;

	if (MHD_run(b->mhd) != MHD_YES)
		fprintf(stderr, "bare-mhd: MHD_run failed\n");
	if (MHD_get_timeout(b->mhd, &ms) == MHD_YES) {
		struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
				     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

		evtimer_add(b->mhd_timer, &tv);
	} else {
		evtimer_del(b->mhd_timer);
	}
}

static void bare_on_mhd(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	bare_run(arg);
}

static void bare_on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct bare *b = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(b->base);
}

/* Every GET gets the fixed body; anything else 405. Uploads are not read. */
static enum MHD_Result bare_on_request(void *cls, struct MHD_Connection *conn, const char *url,
				       const char *method, const char *version,
				       const char *upload_data, size_t *upload_data_size,
				       void **con_cls)
{
	struct bare *b = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;

	(void)url;
	(void)version;
	(void)upload_data;
	if (!*con_cls) { /* the first call, with the headers only, as in web.c */
		*con_cls = b;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	resp =
	    MHD_create_response_from_buffer(get ? b->body_len : 0, b->body, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, get ? MHD_HTTP_OK : MHD_HTTP_METHOD_NOT_ALLOWED, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Listens on 127.0.0.1:port (0: any free port); returns the socket or -1. */
static int bare_listen(unsigned port, unsigned *bound)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof(sin);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(sin.sin_port);
	return fd;
}

/* web_start()'s flags and options (web/web.c), without TLS and without its callbacks' work. */
static int bare_start(struct bare *b, int fd)
{
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem opts[] = {
	    {MHD_OPTION_LISTEN_SOCKET, fd, NULL},
	    {MHD_OPTION_CONNECTION_LIMIT, BARE_CONN_MAX, NULL},
	    {MHD_OPTION_PER_IP_CONNECTION_LIMIT, BARE_CONN_PER_IP, NULL},
	    {MHD_OPTION_CONNECTION_TIMEOUT, BARE_TIMEOUT, NULL},
	    {MHD_OPTION_CONNECTION_MEMORY_LIMIT, BARE_CONN_MEMORY, NULL},
	    {MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};

	b->mhd =
	    MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL,
			     NULL, bare_on_request, b, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!b->mhd) {
		close(fd);
		return -1;
	}
	info = MHD_get_daemon_info(b->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info)
		return -1;
	b->mhd_ev = event_new(b->base, info->epoll_fd, EV_READ | EV_PERSIST, bare_on_mhd, b);
	b->mhd_timer = evtimer_new(b->base, bare_on_mhd, b);
	b->sig_term = evsignal_new(b->base, SIGTERM, bare_on_signal, b);
	b->sig_int = evsignal_new(b->base, SIGINT, bare_on_signal, b);
	if (!b->mhd_ev || !b->mhd_timer || !b->sig_term || !b->sig_int ||
	    event_add(b->mhd_ev, NULL) != 0 || event_add(b->sig_term, NULL) != 0 ||
	    event_add(b->sig_int, NULL) != 0)
		return -1;
	bare_run(b);
	return 0;
}

static void bare_free(struct bare *b)
{
	if (b->mhd)
		MHD_stop_daemon(b->mhd);
	b->mhd = NULL;
	if (b->mhd_ev)
		event_free(b->mhd_ev);
	if (b->mhd_timer)
		event_free(b->mhd_timer);
	if (b->sig_term)
		event_free(b->sig_term);
	if (b->sig_int)
		event_free(b->sig_int);
	b->mhd_ev = b->mhd_timer = b->sig_term = b->sig_int = NULL;
	if (b->base)
		event_base_free(b->base);
	b->base = NULL;
	free(b->body);
	b->body = NULL;
}

/* A JSON-looking body of exactly len bytes: {"pad":"xxx...x"}. */
static char *bare_body(size_t len)
{
	static const char head[] = "{\"pad\":\"", tail[] = "\"}";
	char *s = malloc(len + 1);

	if (!s)
		return NULL;
	memset(s, 'x', len);
	if (len >= sizeof(head) + sizeof(tail) - 2) {
		memcpy(s, head, sizeof(head) - 1);
		memcpy(s + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	}
	s[len] = '\0';
	return s;
}

int main(int argc, char **argv)
{
	struct bare b = {0};
	unsigned long port, size;
	unsigned bound = 0;
	char *end;
	int fd, rc = 1;

	if (argc != 3) {
		fprintf(stderr, "Usage: bare-mhd PORT BODY_BYTES\n"
				"Answers every GET on 127.0.0.1:PORT (0: a free one) with a fixed "
				"body; prints the port, runs until SIGTERM or SIGINT.\n");
		return 2;
	}
	errno = 0;
	port = strtoul(argv[1], &end, 10);
	if (errno || *end || port > 65535)
		goto usage;
	size = strtoul(argv[2], &end, 10);
	if (errno || *end || size > BARE_BODY_MAX)
		goto usage;
	b.body_len = size;
	b.body = bare_body(size);
	b.base = event_base_new();
	if (!b.body || !b.base) {
		fprintf(stderr, "bare-mhd: out of memory\n");
		goto out;
	}
	fd = bare_listen((unsigned)port, &bound);
	if (fd < 0) {
		fprintf(stderr, "bare-mhd: cannot listen on 127.0.0.1:%lu: %s\n", port,
			strerror(errno));
		goto out;
	}
	if (bare_start(&b, fd) != 0) {
		fprintf(stderr, "bare-mhd: cannot start libmicrohttpd\n");
		goto out;
	}
	printf("%u\n", bound);
	fflush(stdout);
	rc = event_base_dispatch(b.base) < 0 ? 1 : 0;
out:
	bare_free(&b);
	return rc;
usage:
	fprintf(stderr, "bare-mhd: bad PORT or BODY_BYTES (at most %u)\n", BARE_BODY_MAX);
	return 2;
}
