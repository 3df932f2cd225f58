/* The slow-work thread: IPVS's connection sync daemon (master on the active, backup elsewhere) and the peer's epoch file. */
#include "controller/ha/ha_sync.h"

#include "controller/ha/ha-t.h"
#include "controller/ha/ha_epoch.h"
#include "controller/ipvs/ipvs.h"
#include "controller/lib/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ha_sync {
	char ifname[IPVS_IFNAME_MAX + 1];
	unsigned syncid;
	char peer_path[4200];
	struct ipvs *ipvs; /* this thread's own handle */
	pthread_t thread;
	bool started;

	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t cond;
	bool stop, done_all;
	uint64_t gen, taken;
	enum ha_sync_role role;
	char why[64];
	bool peer_dirty;
	char peer_node[HA_NAME_MAX + 1];
	uint64_t peer_epoch, peer_seq;
	struct ha_sync_report report;
};

static const char *const ha_sync_names[] = {"none", "master", "backup"};

const char *ha_sync_role_name(enum ha_sync_role role)
{
	return (unsigned)role <= HA_SYNC_BACKUP ? ha_sync_names[role] : "?";
}

static double ha_sync_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Starts (start true) or stops the daemon of state; logs it with its time. 0 or a negative errno. */
static int ha_sync_one(struct ha_sync *s, unsigned state, bool start, const char *why,
		       struct ha_sync_report *r)
{
	const char *name = state == IPVS_SYNC_MASTER ? "master" : "backup";
	struct ipvs_sync_daemon d = {.state = state, .syncid = (uint8_t)s->syncid};
	struct timespec t0;
	char text[96];
	double ms;
	int rc;

	snprintf(d.ifname, sizeof(d.ifname), "%s", s->ifname);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = start ? ipvs_sync_daemon_start(s->ipvs, &d) : ipvs_sync_daemon_stop(s->ipvs, state);
	ms = ha_sync_ms(&t0);
	r->last_ms += ms;
	if (rc == (start ? -EEXIST : -ESRCH))
		rc = 0; /* already so: a restart after a kill finds the kernel's daemons running */
	if (rc != 0) {
		ipvs_strerror(start ? IPVS_OP_SYNC_START : IPVS_OP_SYNC_STOP, rc,
			      start ? s->ifname : name, text, sizeof(text));
		snprintf(r->error, sizeof(r->error), "sync daemon: %s %s failed after %.1f ms: %s",
			 start ? "starting the" : "stopping the", name, ms, text);
		log_warnx("ha", "%s", r->error);
		return rc;
	}
	log_notice("ha", "sync daemon: %s %s %s in %.1f ms (%s)", name,
		   start ? "started on" : "stopped", start ? s->ifname : "", ms, why);
	return 0;
}

/* Brings the kernel to role: the wanted daemon first, so a slow stop delays nothing else. */
static void ha_sync_apply(struct ha_sync *s, enum ha_sync_role role, const char *why,
			  struct ha_sync_report *r)
{
	struct ipvs_sync_daemon run[2];
	size_t n = 0;
	bool master = false, backup = false;

	r->last_ms = 0;
	r->error[0] = '\0';
	snprintf(r->state, sizeof(r->state), "%s", ha_sync_role_name(role));
	if (!s->ifname[0])
		return;
	if (ipvs_sync_daemon_list(s->ipvs, run, &n) == 0)
		for (size_t i = 0; i < n; i++) {
			master |= run[i].state == IPVS_SYNC_MASTER;
			backup |= run[i].state == IPVS_SYNC_BACKUP;
		}
	else
		master = backup = true; /* unknown: make sure */
	if (role == HA_SYNC_MASTER && !master)
		ha_sync_one(s, IPVS_SYNC_MASTER, true, why, r);
	if (role == HA_SYNC_BACKUP && !backup)
		ha_sync_one(s, IPVS_SYNC_BACKUP, true, why, r);
	if (role != HA_SYNC_MASTER && master)
		ha_sync_one(s, IPVS_SYNC_MASTER, false, why, r);
	if (role != HA_SYNC_BACKUP && backup)
		ha_sync_one(s, IPVS_SYNC_BACKUP, false, why, r);
}

static void *ha_sync_main(void *arg)
{
	struct ha_sync *s = arg;
	struct ha_sync_report r = {0};

	snprintf(r.state, sizeof(r.state), "none");
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->stop && s->gen == s->taken && !s->peer_dirty)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->gen != s->taken) {
			enum ha_sync_role role = s->role;
			uint64_t gen = s->gen;
			char why[64];

			memcpy(why, s->why, sizeof(why));
			s->taken = gen;
			pthread_mutex_unlock(&s->lock);
			ha_sync_apply(s, role, why, &r);
			r.done = gen;
			pthread_mutex_lock(&s->lock);
			s->report = r;
			continue;
		}
		if (s->peer_dirty) {
			char node[HA_NAME_MAX + 1], err[256];
			uint64_t epoch = s->peer_epoch, seq = s->peer_seq;

			memcpy(node, s->peer_node, sizeof(node));
			s->peer_dirty = false;
			pthread_mutex_unlock(&s->lock);
			if (ha_epoch_peer_save(s->peer_path, node, epoch, seq, err, sizeof(err)) !=
			    0)
				log_warnx("ha", "peer %s's epoch not saved: %s", node, err);
			pthread_mutex_lock(&s->lock);
			continue;
		}
		if (s->stop)
			break;
	}
	s->done_all = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int ha_sync_new(const char *ifname, unsigned syncid, const char *peer_path, struct ha_sync **out,
		char *err, size_t errlen)
{
	struct ha_sync *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	snprintf(s->peer_path, sizeof(s->peer_path), "%s", peer_path);
	s->syncid = syncid;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	rc = ipvs_open(&s->ipvs);
	if (rc == 0)
		rc = -pthread_create(&s->thread, NULL, ha_sync_main, s);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the sync daemon thread: %s", strerror(-rc));
		ha_sync_free(s, 0);
		return rc;
	}
	s->started = true;
	*out = s;
	return 0;
}

void ha_sync_free(struct ha_sync *s, unsigned wait_ms)
{
	struct timespec until;
	bool stuck = false;

	if (!s)
		return;
	if (s->started) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait_ms / 1000;
		until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_broadcast(&s->cond);
		while (!s->done_all)
			if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT) {
				stuck = !s->done_all;
				break;
			}
		pthread_mutex_unlock(&s->lock);
		if (stuck) {
			/* the kernel still works on a stop; the process exit waits for it anyway */
			log_warnx("ha",
				  "sync daemon: the last change takes longer than %u ms; not "
				  "waiting for it",
				  wait_ms);
			pthread_detach(s->thread);
			return; /* s stays allocated: the thread still uses it */
		}
		pthread_join(s->thread, NULL);
	}
	ipvs_close(s->ipvs);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

uint64_t ha_sync_want(struct ha_sync *s, enum ha_sync_role role, const char *why)
{
	uint64_t gen;

	pthread_mutex_lock(&s->lock);
	s->role = role;
	snprintf(s->why, sizeof(s->why), "%s", why ? why : "");
	gen = ++s->gen;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return gen;
}

void ha_sync_peer_save(struct ha_sync *s, const char *node, uint64_t epoch, uint64_t seq)
{
	pthread_mutex_lock(&s->lock);
	snprintf(s->peer_node, sizeof(s->peer_node), "%s", node);
	s->peer_epoch = epoch;
	s->peer_seq = seq;
	s->peer_dirty = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void ha_sync_report(struct ha_sync *s, struct ha_sync_report *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->report;
	pthread_mutex_unlock(&s->lock);
}
