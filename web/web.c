/* The HTTP server: libmicrohttpd inside fulcrumd's libevent loop, connections, routes, tokens. */
#include "web/web-int.h"

#include "controller/lib/log.h"
#include "controller/lib/looplag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define WEB_CONN_MAX       256     /* connections at once */
#define WEB_CONN_PER_IP    128     /* of them from one address */
#define WEB_CONN_MEMORY    32768   /* per connection: request line, headers, buffers */
#define WEB_TLS_FILE_MAX   1048576 /* bytes of a PEM file */
#define WEB_DEFAULT_ROOT   DATADIR "/fulcrum/web"
#define WEB_SWEEP_INTERVAL 1 /* seconds between deadline checks */

/* An open connection and the time by which its current request must have arrived. */
struct web_conn {
	struct web_conn *prev, *next;
	int fd;
	time_t deadline; /* monotonic seconds; 0: none (a reply or a stream is under way) */
};

static time_t web_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- connections and their deadlines ---------------------------------------- */

static void web_conn_arm(struct web *w, struct web_conn *wc)
{
	if (wc)
		wc->deadline = web_now() + (time_t)w->timeout;
}

void web_conn_clear(struct web_conn *wc)
{
	if (wc)
		wc->deadline = 0;
}

static void web_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct web *w = cls;
	struct web_conn *wc = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		wc = calloc(1, sizeof(*wc));
		if (!wc || !ci) {
			free(wc); /* untracked: MHD's idle timeout still applies */
			return;
		}
		wc->fd = ci->connect_fd;
		web_conn_arm(w, wc);
		wc->next = w->conns;
		if (w->conns)
			w->conns->prev = wc;
		w->conns = wc;
		*socket_context = wc;
		return;
	}
	if (!wc)
		return;
	if (wc->prev)
		wc->prev->next = wc->next;
	else
		w->conns = wc->next;
	if (wc->next)
		wc->next->prev = wc->prev;
	free(wc);
	*socket_context = NULL;
}

/*
 * MHD's timeout is for idleness: a client sending one header byte a second
 * would never meet it. Past its deadline, a connection's socket is shut down;
 * MHD then sees the end of the stream and closes it in its next run.
 */
static void web_on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct web *w = arg;
	time_t now = web_now();
	unsigned cut = 0;

	looplag_mark();
	(void)fd;
	(void)what;
	for (struct web_conn *wc = w->conns; wc; wc = wc->next) {
		if (wc->deadline && now >= wc->deadline) {
			shutdown(wc->fd, SHUT_RDWR);
			wc->deadline = 0;
			cut++;
		}
	}
	if (cut) /* one line a second at most, however many clients stall */
		log_info("http", "closed %u connection%s that sent no whole request in %us", cut,
			 cut == 1 ? "" : "s", w->timeout);
}

/* ---- MHD in the libevent loop ------------------------------------------------- */

static void web_run(struct web *w)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;

	w->woken = false;
	if (MHD_run(w->mhd) != MHD_YES) {
		if (!w->run_failed) /* once: the loop comes back here at once */
			log_warnx("http", "libmicrohttpd failed to run (epoll_wait)");
		w->run_failed = true;
	} else {
		w->run_failed = false;
	}
	/* A stream resumed during the run (by a commit) needs another run now. */
	if (w->woken || MHD_get_timeout(w->mhd, &ms) == MHD_YES) {
		struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
				     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

		if (w->woken)
			tv.tv_sec = tv.tv_usec = 0;
		evtimer_add(w->mhd_timer, &tv);
	} else {
		evtimer_del(w->mhd_timer);
	}
}

/*
 * libmicrohttpd 0.9.75 in epoll mode, on resuming a connection, reads its
 * socket before it calls the handler again when the connection last wanted
 * to read, which a request suspended by its final call did (the state is not
 * updated while suspended). A client that shut its sending side down after a
 * whole request has an end of stream waiting there, on which MHD closes the
 * connection (MHD_REQUEST_TERMINATED_WITH_ERROR) without asking for the
 * answer: the write committed, unanswered and unlogged. MHD_epoll() calls
 * the handler first (MHD_connection_handle_idle()) for every connection with
 * a timeout of its own, but for those on the daemon's timeout only for the
 * one idle the longest, which the resumed connection is only when it is
 * alone. So a held request has a timeout of its own (none: it is suspended,
 * and its answer is coming) until the handler is called again.
 */
void web_suspend(struct web_req *r)
{
	web_conn_clear(r->wc); /* the request is whole: no deadline while it waits */
	r->held = true;
	MHD_set_connection_option(r->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
	MHD_suspend_connection(r->conn);
}

void web_wake(struct web *w)
{
	struct timeval now = {0, 0};

	w->woken = true;
	evtimer_add(w->mhd_timer, &now);
}

static void web_on_mhd(evutil_socket_t fd, short what, void *arg)
{
	looplag_mark();
	(void)fd;
	(void)what;
	web_run(arg);
}

static void web_on_log(void *cls, const char *fmt, va_list ap)
{
	struct web *w = cls;
	char msg[512];
	size_t n;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vsnprintf(msg, sizeof(msg), fmt, ap);
#pragma GCC diagnostic pop
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (!w->mhd) /* while starting: why it fails */
		log_warnx("http", "libmicrohttpd: %s", msg);
	else /* about clients: worth no more */
		log_debug("http", "libmicrohttpd: %s", msg);
}

/* ---- requests ------------------------------------------------------------------ */

/* Decodes %XX in paths and arguments; one that decodes to a NUL becomes "" (no route, no value). */
static size_t web_on_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	size_t n = MHD_http_unescape(s);

	(void)cls;
	(void)conn;
	if (strlen(s) != n) {
		s[0] = '\0';
		return 0;
	}
	return n;
}

static enum MHD_Result web_on_request(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct web *w = cls;
	struct web_req *r = *con_cls;

	(void)version;
	if (!r) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*con_cls = r;
		r->w = w;
		r->conn = conn;
		r->url = url;
		r->method_name = method;
		r->wc = ci ? ci->socket_context : NULL;
		web_conn_arm(w, r->wc); /* the body must arrive within the timeout too */
		return web_req_begin(r);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		/* MHD stops at Content-Length; a body without one is refused above */
		if (r->body && !r->replied && r->body_len + n <= r->body_cap) {
			memcpy(r->body + r->body_len, upload_data, n);
			r->body_len += n;
			r->body[r->body_len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->held) { /* called again after web_suspend(): MHD's timeout again */
		r->held = false;
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, w->timeout);
	}
	if (r->replied)
		return MHD_YES;
	if (r->write) /* called again once its group commit resumed it */
		return r->write->done ? r->write->answer(r) : MHD_YES;
	if (r->cluster) /* called again once the failover engine answered */
		return web_cluster_ready(r) ? r->fn(r) : MHD_YES;
	if (!r->fn)
		return MHD_NO;
	return r->fn(r);
}

/*
 * MHD ended a request whose write ran, or whose failover command the engine
 * answered, before it asked for the answer (web_suspend() says why it should
 * not): the answer is built all the same, for its log line, and not sent
 * (web_reply_queue() logs that, and why).
 */
static void web_on_unanswered(struct web_req *r, enum MHD_RequestTerminationCode code)
{
	r->gone = code == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "fulcrumd stopped"
								 : "the client was gone";
	if (r->write)
		r->write->answer(r);
	else
		r->fn(r);
}

static void web_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			     enum MHD_RequestTerminationCode code)
{
	struct web *w = cls;
	struct web_req *r = *con_cls;

	(void)conn;
	if (!r)
		return;
	if (!r->replied && ((r->write && r->write->done) || (r->cluster && web_cluster_ready(r))))
		web_on_unanswered(r, code);
	web_conn_arm(w, r->wc); /* the next request on this connection */
	web_write_free(r->write);
	web_cluster_release(r);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

/* ---- settings, TLS and the listening socket ------------------------------------- */

/* Reads a PEM file named by setting into *out (malloc'ed); key files must be owner-only. */
static int web_tls_read(const char *setting, const char *path, bool secret, char **out, char *err,
			size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int rc, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	*out = NULL;
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s: %s", setting, path, strerror(errno));
		goto out;
	}
	rc = -EINVAL;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > WEB_TLS_FILE_MAX) {
		snprintf(err, errlen, "%s: %s: not a PEM file of 1 to %d bytes", setting, path,
			 WEB_TLS_FILE_MAX);
		goto out;
	}
	if (secret && (st.st_mode & (S_IRGRP | S_IROTH))) {
		rc = -EPERM;
		snprintf(err, errlen,
			 "%s: %s is readable by group or others (mode %04o): chmod 600 it", setting,
			 path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", setting);
		goto out;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n != (ssize_t)st.st_size) {
		rc = n < 0 ? -errno : -EIO;
		snprintf(err, errlen, "%s: %s: cannot read it whole", setting, path);
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	if (buf)
		explicit_bzero(buf, (size_t)st.st_size);
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

static void web_secret_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* Loads the TLS files when set (both, or neither); *cert and *key stay NULL without TLS. */
static int web_tls_load(const struct conf *conf, char **cert, char **key, char *err, size_t errlen)
{
	int rc;

	*cert = *key = NULL;
	if (!conf->http_tls_cert[0] && !conf->http_tls_key[0])
		return 0;
	if (!conf->http_tls_cert[0] || !conf->http_tls_key[0]) {
		snprintf(err, errlen, "%s is set but %s is not: TLS needs both",
			 conf->http_tls_cert[0] ? "http_tls_cert" : "http_tls_key",
			 conf->http_tls_cert[0] ? "http_tls_key" : "http_tls_cert");
		return -EINVAL;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "http_tls_cert: this libmicrohttpd was built without TLS");
		return -ENOTSUP;
	}
	rc = web_tls_read("http_tls_key", conf->http_tls_key, true, key, err, errlen);
	if (rc == 0)
		rc = web_tls_read("http_tls_cert", conf->http_tls_cert, false, cert, err, errlen);
	if (rc != 0) {
		web_secret_free(*key);
		*key = NULL;
	}
	return rc;
}

int web_conf_validate(const struct conf *conf, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char *cert, *key, why[256];
	int rc;

	if (!conf->http[0])
		return 0;
	if (conf_listen_parse(conf->http, &ss, &len, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "http: %s", why);
		return -EINVAL;
	}
	rc = web_tls_load(conf, &cert, &key, err, errlen);
	free(cert);
	web_secret_free(key);
	return rc;
}

/* Binds and listens on conf->http; the socket goes to MHD, which closes it. */
static int web_listen(const struct conf *conf, char *where, size_t wlen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char why[256];
	int one = 1, fd, rc;

	if (conf_listen_parse(conf->http, &ss, &len, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "http: %s", why);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "http: cannot open a socket: %s", strerror(errno));
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 128) != 0) {
		rc = -errno;
		snprintf(err, errlen, "http: cannot listen on %s: %s", conf->http, strerror(errno));
		close(fd);
		return rc;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		char host[INET6_ADDRSTRLEN];
		unsigned port;

		if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host,
				  sizeof(host));
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
			snprintf(where, wlen, "[%s]:%u", host, port);
		} else {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host,
				  sizeof(host));
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
			snprintf(where, wlen, "%s:%u", host, port);
		}
	}
	return fd;
}

static int web_start(struct web *w, int fd)
{
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;

	struct MHD_OptionItem opts[] = {
	    {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)web_on_log, w},
	    {MHD_OPTION_LISTEN_SOCKET, fd, NULL},
	    {MHD_OPTION_CONNECTION_LIMIT, WEB_CONN_MAX, NULL},
	    {MHD_OPTION_PER_IP_CONNECTION_LIMIT, WEB_CONN_PER_IP, NULL},
	    {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)w->timeout, NULL},
	    {MHD_OPTION_CONNECTION_MEMORY_LIMIT, WEB_CONN_MEMORY, NULL},
	    {MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL},
	    {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)web_on_unescape, w},
	    {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)web_on_completed, w},
	    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)web_on_connection, w},
	    {w->tls_key ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, w->tls_key},
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, w->tls_cert},
	    {MHD_OPTION_END, 0, NULL},
	};

	if (w->tls_key)
		flags |= MHD_USE_TLS;
	w->mhd = MHD_start_daemon(flags, 0, NULL, NULL, web_on_request, w, MHD_OPTION_ARRAY, opts,
				  MHD_OPTION_END);
	if (!w->mhd) {
		close(fd);
		return -EIO;
	}
	info = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info)
		return -EIO;
	w->mhd_ev = event_new(w->p.base, info->epoll_fd, EV_READ | EV_PERSIST, web_on_mhd, w);
	w->mhd_timer = evtimer_new(w->p.base, web_on_mhd, w);
	w->sweep = event_new(w->p.base, -1, EV_PERSIST, web_on_sweep, w);
	w->group_ev = web_group_event_new(w);
	w->ack_timer = web_group_ack_timer_new(w);
	if (!w->mhd_ev || !w->mhd_timer || !w->sweep || !w->group_ev || !w->ack_timer ||
	    event_add(w->mhd_ev, NULL) != 0)
		return -ENOMEM;
	{
		struct timeval tv = {.tv_sec = WEB_SWEEP_INTERVAL};

		if (event_add(w->sweep, &tv) != 0)
			return -ENOMEM;
	}
	return 0; /* MHD does nothing until web_run() */
}

int web_open(const struct web_params *p, struct web **out, char *err, size_t errlen)
{
	const struct conf *conf = p->conf;
	struct web *w;
	char where[80] = "";
	int rc, fd;

	*out = NULL;
	if (!conf->http[0])
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "http: out of memory");
		return -ENOMEM;
	}
	w->p = *p;
	w->max_body = conf->http_max_body;
	w->timeout = (unsigned)conf->http_timeout;
	if (conf->metrics_allow[0]) {
		socklen_t len;

		if (conf_addr_parse(conf->metrics_allow, &w->metrics_allow, &len) != 0) {
			snprintf(err, errlen,
				 "metrics_allow: '%s' is not a numeric IPv4 or IPv6 address",
				 conf->metrics_allow);
			rc = -EINVAL;
			goto fail;
		}
		w->metrics_allow_set = true;
	}
	snprintf(w->web_root, sizeof(w->web_root), "%s",
		 conf->web_root[0] ? conf->web_root : WEB_DEFAULT_ROOT);
	rc = web_tls_load(conf, &w->tls_cert, &w->tls_key, err, errlen);
	if (rc != 0)
		goto fail;
	fd = web_listen(conf, where, sizeof(where), err, errlen);
	if (fd < 0) {
		rc = fd;
		goto fail;
	}
	rc = web_start(w, fd);
	if (rc != 0) {
		snprintf(err, errlen, "http: cannot start the HTTP server on %s%s", conf->http,
			 w->tls_key ? " (is the key the certificate's, both PEM?)" : "");
		goto fail;
	}
	/* Last: it subscribes to the store, which has no way to unsubscribe. */
	rc = web_events_new(w, &w->events);
	if (rc != 0) {
		snprintf(err, errlen, "http: out of memory");
		goto fail;
	}
	web_run(w);
	log_notice("http", "API on %s://%s/api/v1/, web page from %s",
		   w->tls_key ? "https" : "http", where, w->web_root);
	*out = w;
	return 0;
fail:
	web_free(w);
	return rc;
}

void web_state_event(struct web *w, const char *json)
{
	if (w && w->events)
		web_events_send(w->events, "state", json);
}

bool web_state_events_wanted(const struct web *w)
{
	return w && w->events && web_events_listening(w->events);
}

void web_free(struct web *w)
{
	if (!w)
		return;
	web_events_close(w->events);
	web_group_close(w);
	web_cluster_close(w);
	if (w->mhd)
		MHD_stop_daemon(w->mhd); /* ends every connection, freeing their requests */
	w->mhd = NULL;
	web_events_free(w->events);
	w->events = NULL;
	if (w->mhd_ev)
		event_free(w->mhd_ev);
	if (w->mhd_timer)
		event_free(w->mhd_timer);
	if (w->sweep)
		event_free(w->sweep);
	if (w->group_ev)
		event_free(w->group_ev);
	if (w->ack_timer)
		event_free(w->ack_timer);
	w->mhd_ev = w->mhd_timer = w->sweep = w->group_ev = w->ack_timer = NULL;
	free(w->services_cache.text);
	w->services_cache.text = NULL;
	free(w->tls_cert);
	web_secret_free(w->tls_key);
	w->tls_cert = w->tls_key = NULL;
	free(w);
}
