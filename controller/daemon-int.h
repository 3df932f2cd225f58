/* Inside the daemon: its state, shared by daemon.c (the loop and the core modules) and daemon_ha.c (failover). */
#ifndef FULCRUM_DAEMON_INT_H
#define FULCRUM_DAEMON_INT_H

#include "controller/core/oper.h"
#include "controller/daemon.h"
#include "controller/lib/hook.h"
#include "controller/lib/idmap.h"
#include "controller/lib/looplag.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ackwait;
struct repl;
struct daemon_refusal;
struct event;
struct ha_engine;
struct ha_keys;
struct ipvs;

/*
 * What fulcrumd told systemd (daemon_notify.c), and the events that tell it:
 * READY=1 on the loop's first turn after reconcile's first pass started,
 * WATCHDOG=1 from then on at half of systemd's interval.
 */
struct daemon_notify {
	struct event *ready;    /* each turn of the loop until READY=1 is sent */
	struct event *watchdog; /* every half of watchdog_usec, from READY=1 on */
	uint64_t watchdog_usec; /* systemd's WatchdogSec=; 0: no watchdog */
	bool ready_sent, stopping;
	char status[160]; /* the last STATUS= sent: an unchanged one is not sent again */
};

/* The newest role changes kept in memory, so that the API and the MIB read no disk per request. */
#define DAEMON_ROLE_RING 32

struct daemon {
	struct conf conf;
	char node_name[65];
	time_t started;
	struct event_base *base;
	struct event *sig_term, *sig_int, *sig_hup, *sig_usr1, *reload;
	struct db *db;
	struct store *store;
	struct auth *auth;
	struct ipvs *ipvs;
	struct reconcile *reconcile;
	struct oper *oper;
	struct health *health;
	uint64_t health_changes;   /* health states changed so far */
	struct idmap health_down;  /* real servers the checks found down (value: the daemon) */
	struct oper_kernel kernel; /* kernel states and health, as oper reads them */
	bool targets_behind;       /* an update of the health targets failed: rebuild */
	struct ha_keys
	    *ha_keys;         /* loaded by daemon_new() when ha_peer is set; the engine's after */
	struct ha_engine *ha; /* started by daemon_run(); standalone too (it holds the VIPs) */
	struct event *ha_stop_timer;
	bool stopping;
	/* the role history's newest rows, newest first (the database's, then each change) */
	struct status_role_change roles[DAEMON_ROLE_RING];
	size_t nroles;
	struct hook role_hook, peer_hook; /* the engine's events, passed on (daemon.h) */
	struct hook repl_hook;            /* replication's notable changes, passed on */
	/* commit mode sync: answers wait for the standby (replication sets its mode) */
	struct ackwait *ackwait;
	struct repl *repl; /* replication (a pair only): started with the failover engine */
	struct daemon_refusal *refusals; /* switchovers refused here, answered on the next turn */
	/* the loop's turns (daemon_run()); turns over a second logged at most once a minute */
	struct looplag loop;
	struct looplag_slow slow;
	struct daemon_notify notify; /* systemd's notification socket (daemon_notify.c) */
};

/*
 * daemon_ha.c: the failover engine's side of the daemon. daemon_ha_start()
 * starts it (standalone too: it holds the VIPs); 0 or a negative errno,
 * logged. daemon_ha_vips() gives it the store's VIPs again (after a commit
 * or a reload that may have changed them), daemon_ha_tick() what it reads of
 * the daemon every second (IPVS, the revision). daemon_ha_roles_load() fills
 * the role history's copy in memory from the database, at start.
 */
int daemon_ha_start(struct daemon *d);
void daemon_ha_vips(struct daemon *d);
void daemon_ha_tick(struct daemon *d);
void daemon_ha_roles_load(struct daemon *d);

/*
 * daemon_notify.c: fulcrumd under systemd (sd_notify(3), Type=notify); each
 * does nothing when systemd gave no notification socket. daemon_notify_start()
 * (daemon_run(), once the engine runs) arms READY=1 for the loop's first turn
 * after reconcile's first pass started, then the watchdog's pings; 0 or
 * -ENOMEM. daemon_notify_tick() (every second) and role changes send the
 * status line again when it changed. daemon_notify_stopping() sends
 * STOPPING=1 at the first SIGTERM or SIGINT. daemon_notify_free() frees the
 * events (daemon_free()).
 */
int daemon_notify_start(struct daemon *d);
void daemon_notify_tick(struct daemon *d);
void daemon_notify_stopping(struct daemon *d);
void daemon_notify_free(struct daemon *d);

/* Answers the refusals still waiting with -ECANCELED and frees them (daemon_free()). */
void daemon_refusals_cancel(struct daemon *d);

#endif
