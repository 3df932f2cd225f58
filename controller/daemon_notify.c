/* fulcrumd under systemd (sd_notify(3), Type=notify): readiness, a status line, stopping, the watchdog's pings. */
#include "controller/daemon-int.h"

#include "controller/core/status.h"
#include "controller/core/store.h"
#include "controller/ha/ha_engine.h"
#include "controller/ipvs/ipvs.h"
#include "controller/lib/log.h"
#include "controller/lib/looplag.h"
#include "controller/reconcile/reconcile.h"

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

/* How long a failed start waits for systemd to have read why, before it exits. */
#define DAEMON_NOTIFY_BARRIER_USEC 1000000

/*
 * Sends state (sd_notify()'s newline-separated assignments). Without
 * NOTIFY_SOCKET sd_notify() does nothing; a socket that refuses is said once,
 * and fulcrumd goes on: systemd's view is not worth stopping the director.
 */
static void daemon_notify_send(const char *state)
{
	static bool told;
	int rc = sd_notify(0, state);

	if (rc < 0 && !told) {
		told = true;
		log_warnx("systemd", "cannot notify systemd (NOTIFY_SOCKET): %s", strerror(-rc));
	}
}

void daemon_notify_starting(const char *fmt, ...)
{
	char state[256] = "STATUS=starting: ";
	size_t used = strlen(state);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(state + used, sizeof(state) - used, fmt, ap);
	va_end(ap);
	daemon_notify_send(state);
}

void daemon_notify_failed(const char *why)
{
	char state[512];

	snprintf(state, sizeof(state), "STATUS=cannot start: %s", why);
	daemon_notify_send(state);
	/* systemd finds a message's unit by its sender's pid: one from a process gone is lost */
	(void)sd_notify_barrier(0, DAEMON_NOTIFY_BARRIER_USEC);
}

/*
 * The status line as systemctl status shows it: the first pass's progress,
 * or what fulcrumd serves, and with failover the role and term.
 */
static void daemon_notify_text(struct daemon *d, char *buf, size_t len)
{
	struct reconcile_first first;
	size_t services, reals;
	int n;

	reconcile_first_get(d->reconcile, &first);
	store_vs_all(d->store, &services);
	store_rs_all(d->store, 0, &reals);
	if (first.started && !first.done)
		n = snprintf(buf, len, "first reconcile pass: %zu of %zu services",
			     first.services_done, first.services);
	else
		n = snprintf(buf, len, "serving %zu services, %zu real servers%s", services, reals,
			     ipvs_info(d->ipvs)->available ? "" : "; IPVS unavailable");
	if (d->conf.ha_peer[0] && n >= 0 && (size_t)n < len) {
		struct status_cluster c = {.role = STATUS_ROLE_STARTING};

		/* the engine's first snapshot comes a moment after it started */
		if (d->ha)
			ha_engine_status(d->ha, &c);
		snprintf(buf + n, len - (size_t)n, "; %s, term %llu",
			 status_role_name(c.enabled ? c.role : STATUS_ROLE_STARTING),
			 (unsigned long long)c.term);
	}
}

/* Sends STATUS= (after head, e.g. "READY=1\n") when it changed, or when head is not empty. */
static void daemon_notify_status(struct daemon *d, const char *head)
{
	char text[sizeof(d->notify.status)], state[sizeof(text) + 32];

	daemon_notify_text(d, text, sizeof(text));
	if (!*head && strcmp(text, d->notify.status) == 0)
		return;
	snprintf(d->notify.status, sizeof(d->notify.status), "%s", text);
	snprintf(state, sizeof(state), "%sSTATUS=%s", head, text);
	daemon_notify_send(state);
}

/* Every half of systemd's interval, from the loop: a loop that does not turn sends none. */
static void daemon_notify_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	looplag_mark();
	(void)fd;
	(void)what;
	(void)arg;
	daemon_notify_send("WATCHDOG=1");
}

/*
 * READY=1: the database is open, the API listens (both before the loop ran),
 * and reconcile's first pass has started (its first slice, the kernel's dump,
 * ran), or cannot run for want of IPVS. From then on the watchdog is pinged.
 */
static void daemon_notify_on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct reconcile_first first;
	struct timeval now = {0, 0};

	looplag_mark();
	(void)fd;
	(void)what;
	if (d->notify.stopping)
		return;
	reconcile_first_get(d->reconcile, &first);
	/* its first slice is due now too: at the latest it runs in this turn, after this event */
	if (!first.started && ipvs_info(d->ipvs)->available &&
	    evtimer_add(d->notify.ready, &now) == 0)
		return;
	d->notify.ready_sent = true;
	daemon_notify_status(d, "READY=1\n");
	if (d->notify.watchdog) {
		struct timeval half = {(time_t)(d->notify.watchdog_usec / 2 / 1000000),
				       (suseconds_t)(d->notify.watchdog_usec / 2 % 1000000)};

		if (evtimer_add(d->notify.watchdog, &half) != 0)
			log_warnx("systemd",
				  "out of memory: no watchdog pings, systemd will restart "
				  "fulcrumd");
	}
}

/* A role change: the status line says the new role at once. */
static void daemon_notify_on_role(void *arg, const struct status_role_change *ev)
{
	struct daemon *d = arg;

	(void)ev;
	if (d->notify.ready_sent && !d->notify.stopping)
		daemon_notify_status(d, "");
}

int daemon_notify_start(struct daemon *d)
{
	struct daemon_notify *n = &d->notify;
	struct timeval now = {0, 0};
	uint64_t usec = 0;

	if (ipvs_info(d->ipvs)->available)
		daemon_notify_starting("first reconcile pass");
	n->ready = evtimer_new(d->base, daemon_notify_on_ready, d);
	if (!n->ready || evtimer_add(n->ready, &now) != 0)
		return -ENOMEM;
	/* only when WATCHDOG_PID, if set, is this process: a forked child is not the unit's */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec / 2 > 0) {
		n->watchdog_usec = usec;
		n->watchdog = event_new(d->base, -1, EV_PERSIST, daemon_notify_on_watchdog, d);
		if (!n->watchdog)
			return -ENOMEM;
		log_info("systemd", "watchdog: pinging every %llu ms",
			 (unsigned long long)(usec / 2000));
	}
	return daemon_role_subscribe(d, daemon_notify_on_role, d);
}

void daemon_notify_tick(struct daemon *d)
{
	if (d->notify.ready_sent && !d->notify.stopping)
		daemon_notify_status(d, "");
}

void daemon_notify_stopping(struct daemon *d)
{
	if (d->notify.stopping)
		return;
	d->notify.stopping = true;
	daemon_notify_send(d->conf.ha_peer[0]
			       ? "STOPPING=1\nSTATUS=stopping: the failover engine steps down first"
			       : "STOPPING=1\nSTATUS=stopping");
}

void daemon_notify_free(struct daemon *d)
{
	if (d->notify.ready)
		event_free(d->notify.ready);
	d->notify.ready = NULL;
	if (d->notify.watchdog)
		event_free(d->notify.watchdog);
	d->notify.watchdog = NULL;
}
