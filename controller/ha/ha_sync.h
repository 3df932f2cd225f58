/* The slow-work thread: IPVS's connection sync daemon (master on the active, backup elsewhere) and the peer's epoch file. */
#ifndef FULCRUM_HA_SYNC_H
#define FULCRUM_HA_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Stopping a sync daemon waits for a kernel thread (kthread_stop) and was
 * seen to take over 30 s under load; an fsync can take long too. Neither may
 * hold the heartbeat, so both run here, one at a time, in order. Each start
 * and stop is logged with how long it took.
 */

enum ha_sync_role {
	HA_SYNC_NONE = 0, /* no daemon */
	HA_SYNC_MASTER,   /* the active: sends its connections */
	HA_SYNC_BACKUP,   /* the standby: receives them, so a takeover keeps them */
};

struct ha_sync_report {
	uint64_t done;   /* the last ha_sync_want() generation carried out */
	char state[16];  /* "master", "backup", "none": what the last want asked */
	double last_ms;  /* how long its start and stop took */
	char error[192]; /* the last failure, "" when none */
};

struct ha_sync;

/*
 * Starts the thread. ifname "" means no connection sync: wants change
 * nothing in the kernel. syncid is ha_sync_id. peer_path is the peer's epoch
 * file (ha_epoch.h). Returns 0 or a negative errno with err.
 */
int ha_sync_new(const char *ifname, unsigned syncid, const char *peer_path, struct ha_sync **out,
		char *err, size_t errlen);

/*
 * Stops the thread after the work queued (waiting at most wait_ms for it: a
 * daemon stop stuck in the kernel is left to finish alone, and said) and
 * frees. Accepts NULL.
 */
void ha_sync_free(struct ha_sync *s, unsigned wait_ms);

/* From any thread: the daemon this node should run; returns the generation carried out later. */
uint64_t ha_sync_want(struct ha_sync *s, enum ha_sync_role role, const char *why);

/* From any thread: save the peer's replay window (the latest call wins if several wait). */
void ha_sync_peer_save(struct ha_sync *s, const char *node, uint64_t epoch, uint64_t seq);

/* From any thread: a copy of the report. */
void ha_sync_report(struct ha_sync *s, struct ha_sync_report *out);

/* "none", "master", "backup". */
const char *ha_sync_role_name(enum ha_sync_role role);

#endif
