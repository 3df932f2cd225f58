/* What reconcile.c (per-object syncs) and reconcile_pass.c (the sliced full pass) share. */
#ifndef FULCRUM_RECONCILE_INT_H
#define FULCRUM_RECONCILE_INT_H

#include "controller/lib/idmap.h"
#include "controller/reconcile/reconcile.h"
#include "controller/reconcile/reconcile_slice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event;

/* What reconcile knows of one service in the kernel. */
struct recon_vs {
	bool installed;          /* the kernel holds svc's key for this service */
	struct ipvs_service svc; /* as last read or written, with counters */
	enum status_kernel_state state;
	char *reason;  /* malloc'ed; NULL when none */
	uint64_t sync; /* recon->syncs when it was last synced */
	bool stuck;    /* the kernel keeps refusing it (reconcile_stuck_next()) */
};

/* What reconcile knows of one real server in the kernel. */
struct recon_rs {
	int64_t vs_id;
	bool present;
	struct ipvs_dest dest;
	enum status_kernel_state state;
	char *reason;
	bool stuck;
};

/* Where a full pass stands. */
enum recon_phase {
	RECON_PASS_IDLE = 0,
	RECON_PASS_DUMP,     /* asked for: the first slice dumps the kernel's services */
	RECON_PASS_SERVICES, /* the store's services, in id order from the cursor */
	RECON_PASS_SWEEP_VS, /* records of services gone from the store */
	RECON_PASS_SWEEP_RS, /* records of real servers gone from the store */
	RECON_PASS_FOREIGN,  /* own_table: the kernel's services no store service wants */
	RECON_PASS_DONE,
};

/*
 * A full pass in progress. The kernel's service list is dumped once at its
 * start (ks, sorted by key); the services are then done a slice at a time,
 * with the loop free in between, so ks grows stale: a service synced after
 * the dump (sync above syncs_at_dump) is left alone, and what ks says is
 * checked against the kernel again before it is acted on.
 */
struct recon_pass {
	enum recon_phase phase;
	bool first; /* the pass at start: it logs "reconcile: started" */
	bool again; /* a pass was asked for while this one ran: another follows at once */
	struct ipvs_service *ks;
	size_t nks;
	size_t pos;     /* RECON_PASS_SWEEP_*: where in the records' map */
	size_t foreign; /* RECON_PASS_FOREIGN: the next index into ks */
	bool *claimed;  /* RECON_PASS_FOREIGN: ks[k] is a store service's key */
	uint64_t syncs_at_dump;
	uint64_t changes; /* kernel states this pass changed: told to oper at its end */
	double start_ms;
	double dump_ms;  /* how long the dump took: one step that cannot be sliced */
	double first_ms; /* the first slice, the dump's */
	struct reconcile_slice slice;
};

struct reconcile {
	struct event_base *base;
	struct store *st;
	struct ipvs *ipvs;
	struct reconcile_conf conf;
	struct event *timer, *slice_ev;
	struct idmap vs, rs;
	int64_t revision; /* the last revision reconciled */
	struct reconcile_totals totals;
	uint64_t syncs;   /* service syncs so far, passes' and commits' alike */
	bool repairing;   /* inside a slice of a full pass: writes are drift repairs */
	char notes[1024]; /* what a full pass changed, logged once */
	size_t notes_len;
	unsigned pass_writes;
	struct recon_pass pass;
	bool first_started, first_done; /* the first pass (reconcile_first_get()) */
	/* the stuck object totals.stuck_what describes: a real server's id (real) or a service's */
	bool stuck_real;
	int64_t stuck_id;
};

/* Milliseconds on the monotonic clock. */
double recon_now_ms(void);

/* Compares two services by key (af, fwmark, protocol, port, address): for qsort and bsearch. */
int recon_svc_key_cmp(const void *a, const void *b);

/*
 * Brings service id (and its real servers) in line with the store. With
 * known false the kernel is asked what it holds under the wanted key. With
 * known true, kernel is what a full pass's dump said it holds there (NULL:
 * absent); the dump may be stale, so when it says the service needs an edit,
 * or the kernel's answer to a write contradicts it, the kernel is asked again.
 */
void recon_sync_vs(struct reconcile *recon, int64_t id, const struct ipvs_service *kernel,
		   bool known);

/* Removes rec's service from the kernel if Fulcrum put it there; name is for the log. */
void recon_vs_remove(struct reconcile *recon, struct recon_vs *rec, const char *name);

/* Forgets real server id's record. */
void recon_rs_drop(struct reconcile *recon, int64_t id);

/*
 * Starts a full pass (its slices run from the loop, the first at once), or,
 * while one runs, makes another follow it. Returns 0 or -ENOMEM.
 */
int recon_pass_start(struct reconcile *recon, bool first);

/* Stops a pass in progress without finishing it, and frees what it holds. */
void recon_pass_stop(struct reconcile *recon);

#endif
