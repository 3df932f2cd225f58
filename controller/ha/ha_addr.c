/* The address thread: adds, refreshes, watches and removes the VIPs with libnl-route, off the heartbeat's thread. */
#include "controller/ha/ha_addr.h"

#include "controller/ha/ha_timer.h"
#include "controller/ipvs/ipvs.h"
#include "controller/lib/log.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define HA_ADDR_CHECK_MS 1000 /* a check when no event came: events can be lost (ENOBUFS) */

struct ha_addr {
	ha_addr_wake_fn wake;
	void *arg;
	struct nl_sock *nl; /* requests and dumps; this thread's only */
	int events;         /* NETLINK_ROUTE subscribed to address changes */
	int efd;            /* wakes the thread: a new want, or stop */
	pthread_t thread;
	bool started;

	pthread_mutex_t lock; /* guards what follows */
	bool stop;
	uint64_t gen; /* of the last want */
	bool hold;
	unsigned lifetime;
	struct ha_vip *vips; /* the want not yet taken by the thread, or NULL */
	size_t n;
	char why[64];
	struct ha_addr_report report;
	struct ha_vip *held; /* the VIPs seen on their interfaces, with the report */
	size_t nheld;
};

static uint64_t ha_addr_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double ha_addr_ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The rtnl_addr for v (caller puts it); NULL with *rc when the interface is gone or no memory. */
static struct rtnl_addr *ha_addr_build(const struct ha_vip *v, unsigned lifetime, int *rc)
{
	unsigned ifindex = if_nametoindex(v->ifname);
	struct rtnl_addr *ra;
	struct nl_addr *local;

	if (!ifindex) {
		*rc = -ENODEV;
		return NULL;
	}
	ra = rtnl_addr_alloc();
	local = nl_addr_build(v->addr.family, &v->addr.u,
			      v->addr.family == AF_INET ? sizeof(struct in_addr)
							: sizeof(struct in6_addr));
	if (!ra || !local) {
		rtnl_addr_put(ra);
		nl_addr_put(local);
		*rc = -ENOMEM;
		return NULL;
	}
	nl_addr_set_prefixlen(local, v->prefix);
	rtnl_addr_set_ifindex(ra, (int)ifindex);
	rtnl_addr_set_family(ra, v->addr.family);
	rtnl_addr_set_local(ra, local);
	rtnl_addr_set_prefixlen(ra, v->prefix);
	nl_addr_put(local);
	if (lifetime) {
		rtnl_addr_set_valid_lifetime(ra, lifetime);
		rtnl_addr_set_preferred_lifetime(ra, lifetime);
	}
	/* a VIP moves between nodes: duplicate address detection would hold it tentative */
	if (v->addr.family == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	*rc = 0;
	return ra;
}

/* Adds v, or refreshes its lifetime when present (NLM_F_REPLACE). 0 or a negative errno. */
static int ha_addr_add(struct ha_addr *a, const struct ha_vip *v, unsigned lifetime)
{
	int rc;
	struct rtnl_addr *ra = ha_addr_build(v, lifetime, &rc);

	if (!ra)
		return rc;
	rc = rtnl_addr_add(a->nl, ra, NLM_F_REPLACE);
	rtnl_addr_put(ra);
	return rc < 0 ? ipvs_nl_errno(rc) : 0;
}

/* Removes v: 1 when it was there, 0 when absent (or its interface gone), or a negative errno. */
static int ha_addr_del(struct ha_addr *a, const struct ha_vip *v)
{
	int rc;
	struct rtnl_addr *ra = ha_addr_build(v, 0, &rc);

	if (!ra)
		return rc == -ENODEV ? 0 : rc;
	rc = rtnl_addr_delete(a->nl, ra, 0);
	rtnl_addr_put(ra);
	if (rc >= 0)
		return 1;
	rc = ipvs_nl_errno(rc);
	return rc == -EADDRNOTAVAIL || rc == -ENOENT || rc == -ENODEV ? 0 : rc;
}

/* Whether the address ra is v. */
static bool ha_addr_is(struct rtnl_addr *ra, const struct ha_vip *v, int ifindex)
{
	struct nl_addr *local = rtnl_addr_get_local(ra);
	size_t len = v->addr.family == AF_INET ? 4 : 16;

	return local && rtnl_addr_get_ifindex(ra) == ifindex &&
	       rtnl_addr_get_family(ra) == v->addr.family &&
	       rtnl_addr_get_prefixlen(ra) == v->prefix && nl_addr_get_len(local) == len &&
	       memcmp(nl_addr_get_binary_addr(local), &v->addr.u, len) == 0;
}

/* Marks present[i] for each of vips[0..n) the kernel holds; returns how many, or a negative errno. */
static int ha_addr_present(struct ha_addr *a, const struct ha_vip *vips, size_t n, bool *present)
{
	struct nl_cache *cache = NULL;
	int rc = rtnl_addr_alloc_cache(a->nl, &cache), count = 0;

	if (rc < 0)
		return ipvs_nl_errno(rc);
	for (size_t i = 0; i < n; i++) {
		int ifindex = (int)if_nametoindex(vips[i].ifname);

		present[i] = false;
		for (struct nl_object *o = nl_cache_get_first(cache); o && ifindex;
		     o = nl_cache_get_next(o)) {
			if (ha_addr_is((struct rtnl_addr *)o, &vips[i], ifindex)) {
				present[i] = true;
				count++;
				break;
			}
		}
	}
	nl_cache_free(cache);
	return count;
}

/*
 * Publishes a report change, with the VIPs of vips[0..n) that present marks
 * (present NULL: none), and wakes the heartbeat thread.
 */
static void ha_addr_publish(struct ha_addr *a, const struct ha_addr_report *r,
			    const struct ha_vip *vips, size_t n, const bool *present)
{
	struct ha_vip *held = malloc((n + 1) * sizeof(*held));
	size_t nheld = 0;

	for (size_t i = 0; held && present && i < n; i++)
		if (present[i])
			held[nheld++] = vips[i];
	pthread_mutex_lock(&a->lock);
	a->report = *r;
	if (held) { /* out of memory: the last list stays */
		free(a->held);
		a->held = held;
		a->nheld = nheld;
	}
	pthread_mutex_unlock(&a->lock);
	if (a->wake)
		a->wake(a->arg);
}

/* The thread's own copy of a want. */
struct ha_addr_job {
	uint64_t gen;
	bool hold;
	unsigned lifetime;
	struct ha_vip *vips, *old;
	size_t n, nold;
	char why[64];
};

/*
 * Carries out a new want: adds all (hold), or removes the old and the new
 * lists' VIPs. present[i] (present may be NULL) says whether j->vips[i] is on
 * its interface after.
 */
static void ha_addr_apply(struct ha_addr *a, const struct ha_addr_job *j, struct ha_addr_report *r,
			  bool *present)
{
	char text[HA_VIP_STRLEN];
	struct timespec t0;
	size_t ok = 0, failed = 0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r->error[0] = '\0';
	if (j->hold) {
		for (size_t i = 0; i < j->nold; i++)
			if (!ha_vip_in(&j->old[i], j->vips, j->n) && ha_addr_del(a, &j->old[i]) > 0)
				log_notice("ha", "VIP %s is no longer configured: removed",
					   ha_vip_format(&j->old[i], text, sizeof(text)));
		for (size_t i = 0; i < j->n; i++) {
			rc = ha_addr_add(a, &j->vips[i], j->lifetime);
			if (present)
				present[i] = rc == 0;
			if (rc == 0) {
				ok++;
				continue;
			}
			failed++;
			snprintf(r->error, sizeof(r->error), "cannot add VIP %s: %s",
				 ha_vip_format(&j->vips[i], text, sizeof(text)), strerror(-rc));
			log_warnx("ha", "%s", r->error);
		}
		r->took_ms = ha_addr_ms_since(&t0);
		if (j->n)
			log_notice("ha", "VIPs added: %zu of %zu in %.1f ms (%s)%s", ok, j->n,
				   r->took_ms, j->why, failed ? "; see the errors above" : "");
	} else {
		/* at start, what is found was left by a fulcrumd that did not stop cleanly */
		bool start = strcmp(j->why, "start") == 0;

		for (size_t i = 0; i < j->n + j->nold; i++) {
			const struct ha_vip *v = i < j->n ? &j->vips[i] : &j->old[i - j->n];

			if (i >= j->n && ha_vip_in(v, j->vips, j->n))
				continue;
			rc = ha_addr_del(a, v);
			if (rc == 0)
				continue;
			if (rc > 0) {
				ok++;
				if (start)
					log_notice("ha",
						   "VIP %s found at start while this node is not "
						   "active (left by a fulcrumd that was killed?): "
						   "removed",
						   ha_vip_format(v, text, sizeof(text)));
				continue;
			}
			failed++;
			snprintf(r->error, sizeof(r->error), "cannot remove VIP %s: %s",
				 ha_vip_format(v, text, sizeof(text)), strerror(-rc));
			log_warnx("ha", "%s", r->error);
		}
		r->took_ms = ha_addr_ms_since(&t0);
		if (!start && ok)
			log_notice("ha", "VIPs removed: %zu in %.1f ms (%s)", ok, r->took_ms,
				   j->why);
	}
	r->done = j->gen;
	r->holding = j->hold;
	r->wanted = j->n;
	r->held = j->hold ? ok : 0;
	r->done_mono = ha_addr_now();
}

/*
 * While holding: the VIPs that vanished are put back (each logged once per
 * disappearance), and every VIP is refreshed when refresh is true.
 */
static void ha_addr_keep(struct ha_addr *a, const struct ha_addr_job *j, bool refresh,
			 bool *missing_before, struct ha_addr_report *r, bool *present)
{
	char text[HA_VIP_STRLEN];
	int count = ha_addr_present(a, j->vips, j->n, present);

	if (count < 0) {
		snprintf(r->error, sizeof(r->error), "cannot read the addresses: %s",
			 strerror(-count));
		return;
	}
	r->held = (size_t)count;
	for (size_t i = 0; i < j->n; i++) {
		int rc;

		if (present[i] && !refresh) {
			missing_before[i] = false;
			continue;
		}
		rc = ha_addr_add(a, &j->vips[i], j->lifetime);
		if (present[i])
			continue; /* a refresh */
		if (rc == 0) {
			present[i] = true;
			r->held++;
			r->put_back++;
			log_warnx("ha", "VIP %s was deleted behind our back: put back",
				  ha_vip_format(&j->vips[i], text, sizeof(text)));
			missing_before[i] = false;
		} else if (!missing_before[i]) {
			snprintf(r->error, sizeof(r->error),
				 "VIP %s was deleted behind our back and cannot be put back: %s",
				 ha_vip_format(&j->vips[i], text, sizeof(text)), strerror(-rc));
			log_warnx("ha", "%s", r->error);
			missing_before[i] = true;
		}
	}
}

/* Drains the address events; true when an address was deleted. */
static bool ha_addr_events(struct ha_addr *a)
{
	char buf[8192];
	bool deleted = false;
	ssize_t n;

	while ((n = recv(a->events, buf, sizeof(buf), MSG_DONTWAIT)) > 0 ||
	       (n < 0 && errno == ENOBUFS)) {
		if (n < 0) {
			deleted = true; /* events were lost: check */
			continue;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n);
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == RTM_DELADDR)
				deleted = true;
	}
	return deleted;
}

static void ha_addr_job_clear(struct ha_addr_job *j)
{
	free(j->vips);
	free(j->old);
	memset(j, 0, sizeof(*j));
}

static void *ha_addr_main(void *arg)
{
	struct ha_addr *a = arg;
	struct ha_addr_job job = {0};
	struct ha_addr_report r = {0};
	bool *missing = NULL, *present = NULL;
	uint64_t next_check = 0, next_refresh = 0;

	for (;;) {
		struct pollfd pfd[2] = {{.fd = a->efd, .events = POLLIN},
					{.fd = a->events, .events = POLLIN}};
		uint64_t now = ha_addr_now(), until = job.hold ? next_check : UINT64_MAX;
		bool check = false, refresh = false;
		uint64_t v;

		if (job.hold && job.lifetime && next_refresh < until)
			until = next_refresh;
		poll(pfd, 2, until == UINT64_MAX ? -1 : until <= now ? 0 : (int)(until - now));
		if (pfd[0].revents & POLLIN && read(a->efd, &v, sizeof(v)) < 0)
			continue;
		if ((pfd[1].revents & POLLIN) && ha_addr_events(a))
			check = true;
		pthread_mutex_lock(&a->lock);
		if (a->stop) {
			pthread_mutex_unlock(&a->lock);
			break;
		}
		if (a->gen != job.gen) {
			/* the thread owns the new list now, and keeps the last one to remove what left it */
			struct ha_addr_job next = {.gen = a->gen,
						   .hold = a->hold,
						   .lifetime = a->lifetime,
						   .vips = a->vips,
						   .n = a->n,
						   .old = job.vips,
						   .nold = job.n};

			snprintf(next.why, sizeof(next.why), "%s", a->why);
			a->vips = NULL;
			a->n = 0;
			pthread_mutex_unlock(&a->lock);
			free(job.old);
			job = next;
			free(missing);
			free(present);
			missing = calloc(job.n + 1, sizeof(bool));
			present = calloc(job.n + 1, sizeof(bool));
			if (!missing || !present) {
				log_warnx("ha", "out of memory: the VIPs are not looked after");
				free(missing);
				missing = NULL;
			}
			ha_addr_apply(a, &job, &r, present);
			ha_addr_publish(a, &r, job.vips, job.n, job.hold ? present : NULL);
			now = ha_addr_now();
			next_check = now + HA_ADDR_CHECK_MS;
			next_refresh = now + ha_timer_refresh_ms(job.lifetime);
			continue;
		}
		pthread_mutex_unlock(&a->lock);
		now = ha_addr_now();
		if (!job.hold || !missing || !present)
			continue;
		if (now >= next_check)
			check = true;
		if (job.lifetime && now >= next_refresh) {
			refresh = check = true;
			next_refresh = now + ha_timer_refresh_ms(job.lifetime);
		}
		if (!check)
			continue;
		size_t held = r.held;
		uint64_t put_back = r.put_back;
		char error[sizeof(r.error)];

		memcpy(error, r.error, sizeof(error));
		ha_addr_keep(a, &job, refresh, missing, &r, present);
		next_check = now + HA_ADDR_CHECK_MS;
		if (r.held != held || r.put_back != put_back || strcmp(error, r.error) != 0)
			ha_addr_publish(a, &r, job.vips, job.n, present);
	}
	ha_addr_job_clear(&job);
	free(missing);
	free(present);
	return NULL;
}

int ha_addr_new(ha_addr_wake_fn wake, void *arg, struct ha_addr **out, char *err, size_t errlen)
{
	struct ha_addr *a = calloc(1, sizeof(*a));
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
				 .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR};
	int rc;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->wake = wake;
	a->arg = arg;
	a->events = a->efd = -1;
	pthread_mutex_init(&a->lock, NULL);
	a->nl = nl_socket_alloc();
	if (!a->nl) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = nl_connect(a->nl, NETLINK_ROUTE);
	if (rc < 0) {
		rc = ipvs_nl_errno(rc);
		snprintf(err, errlen, "cannot open a route netlink socket: %s", strerror(-rc));
		goto fail;
	}
	a->events = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	a->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->events < 0 || a->efd < 0 ||
	    bind(a->events, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot watch address changes: %s", strerror(-rc));
		goto fail;
	}
	rc = -pthread_create(&a->thread, NULL, ha_addr_main, a);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the address thread: %s", strerror(-rc));
		goto fail;
	}
	a->started = true;
	*out = a;
	return 0;
fail:
	ha_addr_free(a);
	return rc;
}

static void ha_addr_kick(struct ha_addr *a)
{
	uint64_t one = 1;

	if (write(a->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("ha", "cannot wake the address thread");
}

void ha_addr_free(struct ha_addr *a)
{
	if (!a)
		return;
	if (a->started) {
		pthread_mutex_lock(&a->lock);
		a->stop = true;
		pthread_mutex_unlock(&a->lock);
		ha_addr_kick(a);
		pthread_join(a->thread, NULL);
	}
	if (a->nl)
		nl_socket_free(a->nl);
	if (a->events >= 0)
		close(a->events);
	if (a->efd >= 0)
		close(a->efd);
	free(a->vips);
	free(a->held);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

uint64_t ha_addr_want(struct ha_addr *a, bool hold, unsigned lifetime_s, const struct ha_vip *vips,
		      size_t n, const char *why)
{
	struct ha_vip *copy = malloc((n + 1) * sizeof(*copy));
	uint64_t gen;

	if (!copy)
		return 0;
	if (n)
		memcpy(copy, vips, n * sizeof(*copy));
	pthread_mutex_lock(&a->lock);
	free(a->vips); /* a want the thread has not taken yet is overtaken by this one */
	a->vips = copy;
	a->n = n;
	a->hold = hold;
	a->lifetime = lifetime_s;
	snprintf(a->why, sizeof(a->why), "%s", why ? why : "");
	gen = ++a->gen;
	pthread_mutex_unlock(&a->lock);
	ha_addr_kick(a);
	return gen;
}

void ha_addr_report(struct ha_addr *a, struct ha_addr_report *out)
{
	pthread_mutex_lock(&a->lock);
	*out = a->report;
	pthread_mutex_unlock(&a->lock);
}

bool ha_addr_holds(struct ha_addr *a, const struct ha_vip *v)
{
	bool held;

	pthread_mutex_lock(&a->lock);
	held = ha_vip_in(v, a->held, a->nheld);
	pthread_mutex_unlock(&a->lock);
	return held;
}
