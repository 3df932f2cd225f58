/* The change log over HTTP: GET changes (paged history) and GET events (server-sent events). */
#include "web/web-int.h"
#include "web/web_parse.h"

#include "controller/lib/log.h"
#include "controller/lib/looplag.h"
#include "controller/model/model.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define EVENTS_CLIENTS_MAX 64    /* streams at once; more get 503 */
#define EVENTS_HEARTBEAT   15    /* seconds between comment lines on an idle stream */
#define EVENTS_RING        64    /* recent revisions kept formatted for every stream */
#define EVENTS_PAGE        256   /* change-log rows read at once while a stream catches up */
#define EVENTS_FILL        65536 /* bytes queued for one stream at once (one event may be more) */
#define EVENTS_ROWS_MAX    (1 << 20) /* rows of one revision, at most */
#define CHANGES_DEFAULT    100
#define CHANGES_MAX        1000

/* One revision, formatted as an event. */
struct events_item {
	int64_t rev;
	char *text;
	size_t len;
};

/* One stream. */
struct events_client {
	struct events_client *prev, *next;
	struct web_events *ev;
	struct MHD_Connection *conn;
	struct event *hangup; /* the socket, watched while the stream is suspended */
	int64_t next_rev;     /* the first revision the client has not been sent */
	char *buf;            /* text queued for it: buf[off..len) */
	size_t len, off, cap;
	bool suspended, closing, heartbeat;
};

struct web_events {
	struct web *w;
	struct events_client *clients;
	size_t nclients;
	struct event *heartbeat;
	struct events_item ring[EVENTS_RING]; /* oldest at ring_head */
	size_t ring_head, ring_n;
	int64_t ring_from, ring_to; /* the ring holds every revision in (ring_from, ring_to] */
};

/* ---- change rows as JSON -------------------------------------------------------- */

static json_t *events_object_json(const char *text)
{
	json_t *j;

	if (!text)
		return json_null();
	j = json_loads(text, JSON_DECODE_ANY, NULL);
	return j ? j : json_string(text);
}

static json_t *events_change_json(const struct fulcrum_change *c)
{
	json_t *o = json_pack("{s:I,s:I,s:s,s:s?,s:s,s:I}", "revision", (json_int_t)c->revision,
			      "time", (json_int_t)c->time, "actor", c->actor, "origin",
			      model_origin_name(c->origin), "object_type", c->object_type,
			      "object_id", (json_int_t)c->object_id);

	if (o && (json_object_set_new(o, "before", events_object_json(c->before)) != 0 ||
		  json_object_set_new(o, "after", events_object_json(c->after)) != 0)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static json_t *events_rows_json(const struct fulcrum_change *rows, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		if (json_array_append_new(a, events_change_json(&rows[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

/*
 * Reads the change-log rows after revision since, whole revisions only: at
 * most limit rows, unless one revision alone has more (then all of its rows).
 * *more says whether rows were left behind. The caller frees *out with
 * fulcrum_change_list_free(*out, *n).
 */
static int events_read(struct store *st, int64_t since, size_t limit, struct fulcrum_change **out,
		       size_t *n, bool *more)
{
	size_t want = limit;
	bool big = false; /* the first revision alone has more than limit rows */

	for (;;) {
		struct fulcrum_change *list = NULL;
		size_t cnt = 0, keep;
		int rc = store_changes(st, since, want + 1, &list, &cnt);

		if (rc != 0)
			return rc;
		if (!big && cnt <= want) {
			keep = cnt;
		} else if (!big) {
			/* row[want] is beyond the page: the rows of its revision before it go too */
			for (keep = want;
			     keep > 0 && list[keep - 1].revision == list[want].revision;)
				keep--;
		} else {
			for (keep = 1; keep < cnt && list[keep].revision == list[0].revision;)
				keep++;
			if (keep == cnt && cnt > want)
				keep = 0; /* it may go on past what was read */
		}
		if (keep > 0 || cnt == 0) {
			for (size_t i = keep; i < cnt; i++) {
				free(list[i].before);
				free(list[i].after);
				list[i].before = list[i].after = NULL;
			}
			*out = list;
			*n = keep;
			*more = keep < cnt;
			return 0;
		}
		fulcrum_change_list_free(list, cnt);
		if (want >= EVENTS_ROWS_MAX)
			return -E2BIG;
		big = true;
		want *= 2;
	}
}

/* ---- GET changes ---------------------------------------------------------------- */

/* A query number: digits only. -ERANGE when it is too long for 64 bits. */
static int events_query_number(const char *s, int64_t *out)
{
	int64_t v = 0;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	for (; *s; s++) {
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

enum MHD_Result web_events_changes(struct web_req *r)
{
	const char *since_s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "since");
	const char *limit_s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "limit");
	struct fulcrum_change *rows = NULL;
	int64_t since = 0, limit = CHANGES_DEFAULT, next;
	size_t n = 0;
	bool more = false;
	json_t *o;
	int rc;

	if (since_s && events_query_number(since_s, &since) != 0)
		return web_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", "since",
				       "since: expected a revision (digits), got '%.32s'", since_s);
	if (limit_s) {
		rc = events_query_number(limit_s, &limit);
		if (rc == -ERANGE || (rc == 0 && limit > CHANGES_MAX))
			limit = CHANGES_MAX;
		else if (rc != 0 || limit == 0)
			return web_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", "limit",
					       "limit: expected 1..%d, got '%.32s'", CHANGES_MAX,
					       limit_s);
	}
	rc = events_read(r->w->p.store, since, (size_t)limit, &rows, &n, &more);
	if (rc != 0)
		return web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
				       "cannot read the change log: %s",
				       store_errmsg(r->w->p.store));
	next = n ? rows[n - 1].revision : since;
	o = json_pack("{s:o,s:I,s:b,s:I}", "changes", events_rows_json(rows, n), "next_since",
		      (json_int_t)next, "more", more, "revision",
		      (json_int_t)store_revision(r->w->p.store));
	fulcrum_change_list_free(rows, n);
	return web_reply_json(r, MHD_HTTP_OK, o);
}

/* ---- formatting events ---------------------------------------------------------- */

/* "event: change / id: REV / data: [rows]" and a blank line; NULL when memory runs out. */
static char *events_format(const struct fulcrum_change *rows, size_t n, size_t *len)
{
	json_t *a = events_rows_json(rows, n);
	char *data = a ? json_dumps(a, JSON_COMPACT) : NULL, *text = NULL;
	int k;

	json_decref(a);
	if (!data)
		return NULL;
	k = asprintf(&text, "event: change\nid: %" PRId64 "\ndata: %s\n\n", rows[0].revision, data);
	free(data);
	if (k < 0)
		return NULL;
	*len = (size_t)k;
	return text;
}

/* Calls fn for each revision of rows (oldest first) with its rows. */
static int events_each_revision(const struct fulcrum_change *rows, size_t n,
				int (*fn)(void *arg, const struct fulcrum_change *rows, size_t n),
				void *arg)
{
	for (size_t a = 0, b; a < n; a = b) {
		int rc;

		for (b = a + 1; b < n && rows[b].revision == rows[a].revision; b++)
			;
		rc = fn(arg, rows + a, b - a);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- the ring of recent revisions ----------------------------------------------- */

static void events_ring_reset(struct web_events *ev, int64_t rev)
{
	for (size_t i = 0; i < ev->ring_n; i++) {
		free(ev->ring[(ev->ring_head + i) % EVENTS_RING].text);
		ev->ring[(ev->ring_head + i) % EVENTS_RING].text = NULL;
	}
	ev->ring_head = ev->ring_n = 0;
	ev->ring_from = ev->ring_to = rev;
}

static int events_ring_push(void *arg, const struct fulcrum_change *rows, size_t n)
{
	struct web_events *ev = arg;
	struct events_item *it;
	size_t len = 0;
	char *text = events_format(rows, n, &len);

	if (!text)
		return -ENOMEM;
	if (ev->ring_n == EVENTS_RING) {
		it = &ev->ring[ev->ring_head];
		ev->ring_from = it->rev;
		free(it->text);
		ev->ring_head = (ev->ring_head + 1) % EVENTS_RING;
		ev->ring_n--;
	}
	it = &ev->ring[(ev->ring_head + ev->ring_n) % EVENTS_RING];
	it->rev = rows[0].revision;
	it->text = text;
	it->len = len;
	ev->ring_n++;
	ev->ring_to = rows[0].revision;
	return 0;
}

/* ---- one stream --------------------------------------------------------------- */

static int events_append(struct events_client *c, const char *text, size_t len)
{
	if (c->len + len > c->cap) {
		size_t cap = c->len + len + 4096;
		char *buf = realloc(c->buf, cap);

		if (!buf)
			return -ENOMEM;
		c->buf = buf;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, text, len);
	c->len += len;
	return 0;
}

static int events_append_rows(void *arg, const struct fulcrum_change *rows, size_t n)
{
	struct events_client *c = arg;
	size_t len = 0;
	char *text = events_format(rows, n, &len);
	int rc = text ? events_append(c, text, len) : -ENOMEM;

	free(text);
	if (rc == 0)
		c->next_rev = rows[0].revision + 1;
	return rc;
}

/* Queues for c what it has not been sent: from the ring, else from the change log. */
static int events_fill(struct events_client *c)
{
	struct web_events *ev = c->ev;
	int64_t cur = store_revision(ev->w->p.store);
	int rc = 0;

	if (c->heartbeat) {
		c->heartbeat = false;
		rc = events_append(c, ": heartbeat\n\n", 13);
	}
	while (rc == 0 && c->len < EVENTS_FILL && c->next_rev <= cur) {
		struct fulcrum_change *rows = NULL;
		size_t n = 0;
		bool more;

		if (c->next_rev > ev->ring_from && c->next_rev <= ev->ring_to) {
			struct events_item *it = NULL;

			for (size_t i = 0; i < ev->ring_n && !it; i++) {
				struct events_item *cand =
				    &ev->ring[(ev->ring_head + i) % EVENTS_RING];

				if (cand->rev >= c->next_rev)
					it = cand;
			}
			if (!it) {
				c->next_rev = ev->ring_to + 1;
				continue;
			}
			rc = events_append(c, it->text, it->len);
			c->next_rev = it->rev + 1;
			continue;
		}
		rc = events_read(ev->w->p.store, c->next_rev - 1, EVENTS_PAGE, &rows, &n, &more);
		if (rc == 0 && n == 0)
			c->next_rev = cur + 1; /* nothing logged up to cur */
		if (rc == 0)
			rc = events_each_revision(rows, n, events_append_rows, c);
		fulcrum_change_list_free(rows, n);
	}
	return rc;
}

static void events_resume(struct events_client *c)
{
	if (!c->suspended)
		return;
	c->suspended = false;
	if (c->hangup)
		event_del(c->hangup);
	MHD_resume_connection(c->conn);
	web_wake(c->ev->w);
}

/* The client closed (or sent something, which a stream's client never does): end it. */
static void events_on_hangup(evutil_socket_t fd, short what, void *arg)
{
	struct events_client *c = arg;

	looplag_mark();
	(void)fd;
	(void)what;
	c->closing = true;
	events_resume(c);
}

static ssize_t events_on_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct events_client *c = cls;
	size_t n;

	(void)pos;
	if (c->closing)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (c->off == c->len) {
		c->off = c->len = 0;
		if (events_fill(c) != 0) {
			log_warnx("http", "event stream: cannot read the change log: %s",
				  store_errmsg(c->ev->w->p.store));
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
	if (c->off < c->len) {
		n = c->len - c->off < max ? c->len - c->off : max;
		memcpy(buf, c->buf + c->off, n);
		c->off += n;
		return (ssize_t)n;
	}
	/* Nothing to send: sleep until a commit, a heartbeat, or the client goes. */
	MHD_suspend_connection(c->conn);
	c->suspended = true;
	if (c->hangup)
		event_add(c->hangup, NULL);
	return 0;
}

static void events_on_free(void *cls)
{
	struct events_client *c = cls;
	struct web_events *ev = c->ev;

	if (c->prev)
		c->prev->next = c->next;
	else
		ev->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ev->nclients--;
	if (c->hangup)
		event_free(c->hangup);
	c->hangup = NULL;
	free(c->buf);
	c->buf = NULL;
	free(c);
}

enum MHD_Result web_events_stream(struct web_req *r)
{
	struct web_events *ev = r->w->events;
	const char *last =
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_LAST_EVENT_ID);
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	int64_t cur = store_revision(r->w->p.store), id;
	struct events_client *c;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char hello[96];

	if (ev->nclients >= EVENTS_CLIENTS_MAX) {
		resp = web_reply_error_response("unavailable",
						"%d event streams are open already; try later",
						EVENTS_CLIENTS_MAX);
		if (!resp)
			return MHD_NO;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
		ret = web_reply_queue(r, MHD_HTTP_SERVICE_UNAVAILABLE, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return web_reply_json(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	c->ev = ev;
	c->conn = r->conn;
	c->next = ev->clients; /* linked at once: events_on_free() unlinks it */
	if (ev->clients)
		ev->clients->prev = c;
	ev->clients = c;
	ev->nclients++;
	c->next_rev = cur + 1;
	if (last && strcmp(last, "0") == 0)
		c->next_rev = 1;
	else if (last && web_parse_id(last, &id) == 0 && id < cur)
		c->next_rev = id + 1; /* replayed from the change log */
	if (ci)
		c->hangup = event_new(r->w->p.base, ci->connect_fd, EV_READ, events_on_hangup, c);
	snprintf(hello, sizeof(hello),
		 ": fulcrum events from revision %" PRId64 "\nretry: 2000\n\n", c->next_rev);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, events_on_read, c,
						 events_on_free);
	if (!resp || !c->hangup || events_append(c, hello, strlen(hello)) != 0) {
		if (resp)
			MHD_destroy_response(resp); /* frees c through events_on_free */
		else
			events_on_free(c);
		return web_reply_json(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	ret = web_reply_queue(r, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- the subscription ------------------------------------------------------------ */

/*
 * The commit event: the revision is formatted once, from the event itself,
 * into the ring every stream reads from; then every stream wakes. With no
 * stream open, after a reload, or when the ring missed a revision, the ring
 * starts over at the new revision and a stream behind it reads the log.
 */
static void events_on_commit(void *arg, const struct store_commit *c)
{
	struct web_events *ev = arg;
	struct fulcrum_change *rows;

	if (!ev->clients || c->reload || c->n == 0 || c->revision != ev->ring_to + 1) {
		events_ring_reset(ev, c->revision);
	} else if ((rows = calloc(c->n, sizeof(*rows))) != NULL) {
		for (size_t i = 0; i < c->n; i++) {
			rows[i].revision = c->revision;
			rows[i].time = c->time;
			snprintf(rows[i].actor, sizeof(rows[i].actor), "%s", c->actor);
			rows[i].origin = c->origin;
			snprintf(rows[i].object_type, sizeof(rows[i].object_type), "%s",
				 model_kind_name(c->changes[i].kind));
			rows[i].object_id = c->changes[i].id;
			/* borrowed for the formatting only: the event keeps them */
			rows[i].before = c->changes[i].before;
			rows[i].after = c->changes[i].after;
		}
		if (events_ring_push(ev, rows, c->n) != 0)
			events_ring_reset(ev, c->revision);
		free(rows);
	} else {
		events_ring_reset(ev, c->revision);
	}
	for (struct events_client *cl = ev->clients; cl; cl = cl->next)
		events_resume(cl);
}

void web_events_send(struct web_events *ev, const char *type, const char *json)
{
	char *text = NULL;
	int len = asprintf(&text, "event: %s\ndata: %s\n\n", type, json);

	if (len < 0)
		return;
	/* a whole event at once, between whole change events: streams stay well formed */
	for (struct events_client *c = ev->clients; c; c = c->next)
		if (!c->closing && events_append(c, text, (size_t)len) == 0)
			events_resume(c);
	free(text);
}

bool web_events_listening(const struct web_events *ev)
{
	for (const struct events_client *c = ev->clients; c; c = c->next)
		if (!c->closing)
			return true;
	return false;
}

static void events_on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct web_events *ev = arg;

	looplag_mark();
	(void)fd;
	(void)what;
	for (struct events_client *c = ev->clients; c; c = c->next) {
		c->heartbeat = true;
		events_resume(c);
	}
}

int web_events_new(struct web *w, struct web_events **out)
{
	struct web_events *ev = calloc(1, sizeof(*ev));
	struct timeval tv = {.tv_sec = EVENTS_HEARTBEAT};

	*out = NULL;
	if (!ev)
		return -ENOMEM;
	ev->w = w;
	events_ring_reset(ev, store_revision(w->p.store));
	ev->heartbeat = event_new(w->p.base, -1, EV_PERSIST, events_on_heartbeat, ev);
	if (!ev->heartbeat || event_add(ev->heartbeat, &tv) != 0 ||
	    store_subscribe(w->p.store, events_on_commit, ev) != 0) {
		web_events_free(ev);
		return -ENOMEM;
	}
	*out = ev;
	return 0;
}

void web_events_close(struct web_events *ev)
{
	if (!ev)
		return;
	for (struct events_client *c = ev->clients; c; c = c->next) {
		c->closing = true;
		events_resume(c);
	}
}

void web_events_free(struct web_events *ev)
{
	if (!ev)
		return;
	store_unsubscribe(ev->w->p.store, events_on_commit, ev);
	events_ring_reset(ev, 0);
	if (ev->heartbeat)
		event_free(ev->heartbeat);
	ev->heartbeat = NULL;
	free(ev);
}
