/* The group commit of the API's writes: the queue, one group as soon as the loop turns, the answers. */
#include "web/web-int.h"

#include "controller/core/ackwait.h"
#include "controller/lib/log.h"
#include "controller/lib/looplag.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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
 * The committed writes of one group, held until the standby holds the
 * group's highest revision: one wait per group, not per write.
 */
struct web_ackgroup {
	struct web_ackgroup *next, **pprev; /* in w->ack_groups */
	struct web *w; /* NULL once the web closed: the barrier's answer only frees it */
	int64_t revision;
	size_t n;
	struct web_write *writes[WEB_GROUP_MAX];
};

/*
 * What Fulcrum-Replicated says of a write of revision, answered now: no
 * standby to hold it (none), answered after the local commit (async), held
 * by the standby (standby), or answered without it (alone: it did not answer
 * in time, or is gone).
 */
static const char *web_group_replicated(struct web *w, int64_t revision)
{
	if (!w->p.ackwait || !w->p.conf->ha_peer[0])
		return "none";
	if (w->p.conf->repl_mode == CONF_REPL_ASYNC)
		return "async";
	return ackwait_acked_revision(w->p.ackwait) >= revision ? "standby" : "alone";
}

/* Answers the writes of a group that committed revision. */
static void web_group_answer(struct web *w, struct web_write **writes, size_t n, int64_t revision)
{
	const char *replicated = web_group_replicated(w, revision);

	for (size_t i = 0; i < n; i++) {
		writes[i]->replicated = replicated;
		web_group_resume(w, writes[i]);
	}
}

/* Arms the timer at the oldest waiting group's timeout (a millisecond past it). */
static void web_group_ack_arm(struct web *w)
{
	int ms = w->p.ackwait ? ackwait_next_deadline(w->p.ackwait) : -1;
	struct timeval tv;

	if (ms < 0)
		return;
	tv.tv_sec = (ms + 1) / 1000;
	tv.tv_usec = ((ms + 1) % 1000) * 1000;
	evtimer_add(w->ack_timer, &tv);
}

/* The barrier's answer: the standby holds the group's revision, or it went alone. */
static void web_group_on_acked(void *arg)
{
	struct web_ackgroup *g = arg;

	if (g->w) {
		*g->pprev = g->next;
		if (g->next)
			g->next->pprev = g->pprev;
		web_group_answer(g->w, g->writes, g->n, g->revision);
	}
	free(g);
}

/* The oldest group's timeout: the barrier answers what it may, or goes alone. */
static void web_group_on_ack_timer(evutil_socket_t fd, short what, void *arg)
{
	struct web *w = arg;

	looplag_mark();
	(void)fd;
	(void)what;
	ackwait_dispatch(w->p.ackwait);
	web_group_ack_arm(w);
}

struct event *web_group_ack_timer_new(struct web *w)
{
	return evtimer_new(w->p.base, web_group_on_ack_timer, w);
}

/*
 * The n writes of a group that committed revision: answered once the standby
 * holds it (commit mode sync), at once when the barrier says not to wait
 * (no standby, async, alone) or memory runs out.
 */
static void web_group_hold(struct web *w, struct web_write **writes, size_t n, int64_t revision)
{
	struct web_ackgroup *g;

	if (!w->p.ackwait || !(g = calloc(1, sizeof(*g)))) {
		web_group_answer(w, writes, n, revision);
		return;
	}
	g->w = w;
	g->revision = revision;
	g->n = n;
	memcpy(g->writes, writes, n * sizeof(*writes));
	if (ackwait_wait(w->p.ackwait, revision, web_group_on_acked, g) != 0) {
		free(g);
		web_group_answer(w, writes, n, revision);
		return;
	}
	log_debug("http", "%zu write%s wait%s for the standby to hold revision %" PRId64, n,
		  n == 1 ? "" : "s", n == 1 ? "s" : "", revision);
	g->next = w->ack_groups;
	g->pprev = &w->ack_groups;
	if (g->next)
		g->next->pprev = &g->next;
	w->ack_groups = g;
	web_group_ack_arm(w);
}

/*
 * Runs up to WEB_GROUP_MAX queued writes, oldest first, as one group commit
 * (store_group_run(): each in its savepoint, one COMMIT, then the mirror and
 * listeners per write), then resumes each connection: its answer is built
 * when MHD calls the handler again, after the COMMIT returned. The writes
 * that committed a revision resume once the standby holds the group's
 * highest (web_group_hold()); those that failed or changed nothing at once.
 */
static void web_group_on_run(evutil_socket_t fd, short what, void *arg)
{
	struct web *w = arg;
	struct web_write *batch[WEB_GROUP_MAX], *held[WEB_GROUP_MAX];
	struct store_write sw[WEB_GROUP_MAX];
	int64_t before = store_revision(w->p.store), top = 0;
	size_t n = 0, nheld = 0;
	int rc;

	looplag_mark();
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
		if (sw[i].rc == 0 && sw[i].revision > before) {
			held[nheld++] = batch[i];
			top = sw[i].revision > top ? sw[i].revision : top;
		} else {
			web_group_resume(w, batch[i]);
		}
	}
	if (nheld)
		web_group_hold(w, held, nheld, top);
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

	wr->next = NULL;
	if (w->group_tail)
		w->group_tail->next = wr;
	else
		w->group_head = wr;
	w->group_tail = wr;
	web_suspend(r);
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
	/* committed, not yet held by the standby: answered as they stand */
	while (w->ack_groups) {
		struct web_ackgroup *g = w->ack_groups;

		w->ack_groups = g->next;
		if (g->next)
			g->next->pprev = &w->ack_groups;
		g->w = NULL; /* the barrier frees it when it answers */
		web_group_answer(w, g->writes, g->n, g->revision);
	}
}
