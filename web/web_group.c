/* The group commit of the API's writes: the queue, one group as soon as the loop turns, the answers. */
#include "web/web-int.h"

#include "controller/lib/log.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>

/*
 * Writes in one group commit, at most: a write waits behind the others of
 * its group (their statements, one fsync for all), so this bounds its wait.
 * More waiting writes make the next group, in the same loop turn.
 */
#define WEB_GROUP_MAX 64

/* The write is done (or will never run): r's connection goes on, to its answer. */
static void web_group_resume(struct web *w, struct web_write *wr)
{
	wr->done = true;
	MHD_resume_connection(wr->r->conn);
	web_wake(w);
}

/*
 * Runs up to WEB_GROUP_MAX queued writes, oldest first, as one group commit
 * (store_group_run(): each in its savepoint, one COMMIT, then the mirror and
 * listeners per write), then resumes each connection: its answer is built
 * when MHD calls the handler again, after the COMMIT returned.
 */
static void web_group_on_run(evutil_socket_t fd, short what, void *arg)
{
	struct web *w = arg;
	struct web_write *batch[WEB_GROUP_MAX];
	struct store_write sw[WEB_GROUP_MAX];
	size_t n = 0;
	int rc;

	(void)fd;
	(void)what;
	while (w->group_head && n < WEB_GROUP_MAX) {
		struct web_write *wr = w->group_head;

		w->group_head = wr->next;
		wr->next = NULL;
		batch[n] = wr;
		sw[n++] = wr->sw;
	}
	if (!w->group_head)
		w->group_tail = NULL;
	rc = store_group_run(w->p.store, sw, n);
	log_debug("http", "group commit of %zu write%s: %s", n, n == 1 ? "" : "s",
		  rc == 0 ? "committed" : sw[0].err.message);
	for (size_t i = 0; i < n; i++) {
		batch[i]->sw = sw[i];
		web_group_resume(w, batch[i]);
	}
	web_group_schedule(w);
}

struct event *web_group_event_new(struct web *w)
{
	return event_new(w->p.base, -1, 0, web_group_on_run, w);
}

void web_group_schedule(struct web *w)
{
	if (w->group_head && w->group_ev)
		event_active(w->group_ev, EV_TIMEOUT, 1);
}

enum MHD_Result web_group_add(struct web_req *r)
{
	struct web *w = r->w;
	struct web_write *wr = r->write;

	web_conn_clear(r->wc); /* the request is whole: no deadline while it waits */
	wr->next = NULL;
	if (w->group_tail)
		w->group_tail->next = wr;
	else
		w->group_head = wr;
	w->group_tail = wr;
	MHD_suspend_connection(r->conn);
	web_group_schedule(w);
	return MHD_YES;
}

void web_group_close(struct web *w)
{
	while (w->group_head) {
		struct web_write *wr = w->group_head;

		w->group_head = wr->next;
		wr->next = NULL;
		wr->sw.rc = -ECANCELED; /* never run: nothing of it written */
		web_group_resume(w, wr);
	}
	w->group_tail = NULL;
}
