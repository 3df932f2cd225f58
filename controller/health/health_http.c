/* The http and https checks: libcurl's multi interface, driven by fulcrumd's libevent loop. */
#include "controller/health/health_int.h"

#include "controller/lib/log.h"
#include "controller/lib/looplag.h"

#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_POOL_MAX 128 /* idle easy handles kept for reuse */

/* An easy handle and the run it carries. */
struct hl_easy {
	CURL *easy;
	struct hl_probe *p;
	struct hl_easy *next_free;
	struct curl_slist *connect_to;
	size_t len;
	bool full; /* HEALTH_BODY_MAX bytes read: the transfer was stopped on purpose */
	char body[HEALTH_BODY_MAX + 1];
	char errbuf[CURL_ERROR_SIZE];
};

/* One socket curl asked the loop to watch. */
struct hl_sock {
	struct hl_http *hh;
	curl_socket_t fd;
	struct event *ev;
};

struct hl_http {
	struct health *h;
	CURLM *multi;
	struct event *timer;
	struct hl_easy *free_list;
	size_t nfree;
};

static void http_easy_release(struct hl_http *hh, struct hl_easy *he)
{
	curl_slist_free_all(he->connect_to);
	he->connect_to = NULL;
	he->p = NULL;
	if (hh->nfree >= HTTP_POOL_MAX) {
		curl_easy_cleanup(he->easy);
		free(he);
		return;
	}
	he->next_free = hh->free_list;
	hh->free_list = he;
	hh->nfree++;
}

static struct hl_easy *http_easy_get(struct hl_http *hh)
{
	struct hl_easy *he = hh->free_list;

	if (he) {
		hh->free_list = he->next_free;
		hh->nfree--;
		curl_easy_reset(he->easy);
		return he;
	}
	he = calloc(1, sizeof(*he));
	if (he && !(he->easy = curl_easy_init())) {
		free(he);
		he = NULL;
	}
	return he;
}

/* The reason a transfer that did not finish gives. */
static void http_failure(const struct hl_probe *p, struct hl_easy *he, CURLcode res, char *why,
			 size_t len)
{
	const char *proto = p->type == FULCRUM_CHECK_HTTPS ? "https" : "http";
	const char *detail = he->errbuf[0] ? he->errbuf : curl_easy_strerror(res);
	long oserr = 0;

	curl_easy_getinfo(he->easy, CURLINFO_OS_ERRNO, &oserr);
	switch (res) {
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(why, len, "%s: timed out after %u s", proto, p->timeout);
		return;
	case CURLE_COULDNT_CONNECT:
		if (oserr == ECONNREFUSED)
			snprintf(why, len, "%s: connection refused", proto);
		else
			snprintf(why, len, "%s: cannot connect: %.120s", proto,
				 oserr ? strerror((int)oserr) : detail);
		return;
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(why, len, "%s: certificate verify failed (%.120s)", proto, detail);
		return;
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(why, len, "%s: TLS handshake failed (%.120s)", proto, detail);
		return;
	case CURLE_GOT_NOTHING:
		snprintf(why, len, "%s: the server closed the connection without replying", proto);
		return;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		if (oserr == ECONNRESET) {
			snprintf(why, len, "%s: connection reset by the server", proto);
			return;
		}
		break;
	default:
		break;
	}
	snprintf(why, len, "%s: %.140s", proto, detail);
}

/* Turns a finished transfer into p's result. */
static void http_done(struct hl_http *hh, struct hl_easy *he, CURLcode res)
{
	struct hl_probe *p = he->p;
	const char *proto = p->type == FULCRUM_CHECK_HTTPS ? "https" : "http";
	char why[sizeof(p->state.reason)], what[sizeof(p->state.reason) - 8];
	long status = 0;
	bool ok = false;

	curl_multi_remove_handle(hh->multi, he->easy);
	p->run.http = NULL;
	if (res == CURLE_OK || (res == CURLE_WRITE_ERROR && he->full)) {
		curl_easy_getinfo(he->easy, CURLINFO_RESPONSE_CODE, &status);
		if (!health_expect_status(&p->expect, status, what, sizeof(what)))
			snprintf(why, sizeof(why), "%s: %s", proto, what);
		else if (!p->head &&
			 !health_expect_body(&p->expect, he->body, he->len, what, sizeof(what)))
			snprintf(why, sizeof(why), "%s: %s", proto, what);
		else
			ok = true;
	} else {
		http_failure(p, he, res, why, sizeof(why));
	}
	if (ok)
		snprintf(why, sizeof(why), "%s: status %ld", proto, status);
	http_easy_release(hh, he);
	health_probe_done(hh->h, p, ok, why);
}

static void http_check_done(struct hl_http *hh)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(hh->multi, &left))) {
		struct hl_easy *he = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&he);
		if (he && he->p)
			http_done(hh, he, msg->data.result);
	}
}

static void http_on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct hl_http *hh = arg;
	int flags =
	    (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;

	looplag_mark();
	curl_multi_socket_action(hh->multi, fd, flags, &running);
	http_check_done(hh);
}

static void http_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct hl_http *hh = arg;
	int running;

	looplag_mark();
	(void)fd;
	(void)what;
	curl_multi_socket_action(hh->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_check_done(hh);
}

/* CURLMOPT_SOCKETFUNCTION: watch (or stop watching) one of curl's sockets. */
static int http_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct hl_http *hh = userp;
	struct hl_sock *sk = socketp;
	short kind = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sk) {
			event_free(sk->ev);
			free(sk);
		}
		curl_multi_assign(hh->multi, fd, NULL);
		return 0;
	}
	if (!sk) {
		sk = calloc(1, sizeof(*sk));
		if (!sk)
			return -1;
		sk->hh = hh;
		sk->fd = fd;
		curl_multi_assign(hh->multi, fd, sk);
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (sk->ev)
		event_free(sk->ev);
	sk->ev = event_new(hh->h->base, fd, kind, http_on_socket, hh);
	if (!sk->ev || event_add(sk->ev, NULL) != 0)
		return -1;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: when curl next wants http_on_timer (-1: never). */
static int http_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct hl_http *hh = userp;
	struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};

	(void)multi;
	if (timeout_ms < 0)
		return event_del(hh->timer) == 0 ? 0 : -1;
	return event_add(hh->timer, &tv) == 0 ? 0 : -1;
}

/* Keeps the first HEALTH_BODY_MAX bytes, then stops the transfer. */
static size_t http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct hl_easy *he = arg;
	size_t n = size * nmemb, room = HEALTH_BODY_MAX - he->len;

	memcpy(he->body + he->len, data, n < room ? n : room);
	he->len += n < room ? n : room;
	he->body[he->len] = '\0';
	if (he->len < HEALTH_BODY_MAX)
		return n;
	he->full = true;
	return n == room ? n : 0; /* 0 stops it with CURLE_WRITE_ERROR */
}

/*
 * Sets up he for a run of p. The URL carries check.host as it is configured
 * (a name, with a port or not: it becomes the Host header and the TLS name);
 * CONNECT_TO sends the connection to the real server whatever the URL says.
 * Without a host, the URL names the address and port themselves.
 */
static int http_setup(struct hl_easy *he, struct hl_probe *p)
{
	char addr[64], url[FULCRUM_CHECK_PATH_MAX * 2 + 96], to[96];
	const char *scheme = p->type == FULCRUM_CHECK_HTTPS ? "https" : "http";
	const char *slash = p->path[0] == '/' ? "" : "/";
	bool v6 = p->addr.family == AF_INET6;
	CURL *e = he->easy;

	health_addr_text(p, addr, sizeof(addr));
	if (*p->host) {
		snprintf(url, sizeof(url), "%s://%s%s%s", scheme, p->host, slash, p->path);
		snprintf(to, sizeof(to), "::%s%s%s:%u", v6 ? "[" : "", addr, v6 ? "]" : "",
			 p->port);
		he->connect_to = curl_slist_append(NULL, to);
		if (!he->connect_to)
			return -ENOMEM;
	} else {
		snprintf(url, sizeof(url), "%s://%s%s%s:%u%s%s", scheme, v6 ? "[" : "", addr,
			 v6 ? "]" : "", p->port, slash, p->path);
	}
	he->len = 0;
	he->full = false;
	he->body[0] = '\0';
	he->errbuf[0] = '\0';
	he->p = p;
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_CONNECT_TO, he->connect_to);
	curl_easy_setopt(e, CURLOPT_PRIVATE, he);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, he->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, he);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	/*
	 * No DNS here (the addresses are numeric), yet curl caches each address as
	 * a "host" and walks the whole cache at every connection: with thousands
	 * of real servers that walk was the cost of a check. Timeout 0 keeps the
	 * cache empty.
	 */
	curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)p->timeout * 1000);
	curl_easy_setopt(e, CURLOPT_NOBODY, p->head ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	/* each check opens its own connection: that is part of what is checked */
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, p->verify_tls ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, p->verify_tls ? 2L : 0L);
	/*
	 * The CA bundle alone, without the CA folder some builds add: then curl
	 * keeps the parsed store in the multi handle (CURLOPT_CA_CACHE_TIMEOUT,
	 * 7.87+) rather than reading and parsing it in the loop at every check.
	 */
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "fulcrum-health/" PACKAGE_VERSION);
	return 0;
}

void health_http_start(struct health *h, struct hl_probe *p)
{
	struct hl_http *hh = h->http;
	struct hl_easy *he = http_easy_get(hh);
	const char *proto = p->type == FULCRUM_CHECK_HTTPS ? "https" : "http";
	char why[64];

	p->run.http = NULL;
	if (!he || http_setup(he, p) != 0 ||
	    curl_multi_add_handle(hh->multi, he->easy) != CURLM_OK) {
		if (he)
			http_easy_release(hh, he);
		snprintf(why, sizeof(why), "%s: cannot start the check: out of memory", proto);
		health_probe_done(h, p, false, why);
		return;
	}
	p->run.http = he;
}

void health_http_cancel(struct health *h, struct hl_probe *p)
{
	struct hl_easy *he = p->run.http;

	if (!he)
		return;
	curl_multi_remove_handle(h->http->multi, he->easy);
	http_easy_release(h->http, he);
	p->run.http = NULL;
}

int health_http_new(struct health *h)
{
	struct hl_http *hh = calloc(1, sizeof(*hh));

	if (!hh || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(hh);
		return -ENOMEM;
	}
	hh->h = h;
	h->http = hh;
	hh->multi = curl_multi_init();
	hh->timer = evtimer_new(h->base, http_on_timer, hh);
	if (!hh->multi || !hh->timer) {
		health_http_free(h);
		return -ENOMEM;
	}
	curl_multi_setopt(hh->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(hh->multi, CURLMOPT_SOCKETDATA, hh);
	curl_multi_setopt(hh->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
	curl_multi_setopt(hh->multi, CURLMOPT_TIMERDATA, hh);
	return 0;
}

void health_http_free(struct health *h)
{
	struct hl_http *hh = h->http;

	if (!hh)
		return;
	if (hh->multi)
		curl_multi_cleanup(hh->multi);
	while (hh->free_list) {
		struct hl_easy *he = hh->free_list;

		hh->free_list = he->next_free;
		curl_easy_cleanup(he->easy);
		free(he);
	}
	if (hh->timer)
		event_free(hh->timer);
	free(hh);
	h->http = NULL;
	curl_global_cleanup();
}
