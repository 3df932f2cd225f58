/* The address thread: adds, refreshes, watches and removes the VIPs with libnl-route, off the heartbeat's thread. */
#ifndef FULCRUM_HA_ADDR_H
#define FULCRUM_HA_ADDR_H

#include "controller/ha/ha_vip.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Address changes go through the kernel's RTNL lock, which anything on the
 * host may hold for a while (and IPVS's sync daemon start takes it too), so
 * they never run on the heartbeat thread. The heartbeat thread says what it
 * wants (hold these VIPs with this lifetime, or hold none) with
 * ha_addr_want(); this thread carries it out, then keeps it so: while
 * holding, it puts back a VIP deleted behind its back (an RTM_DELADDR event,
 * or a check every second), logged, and refreshes the lifetimes a third of
 * the way through them. Each change of the report calls wake() (from this
 * thread), so the heartbeat thread can announce the VIPs once they are up.
 */

typedef void (*ha_addr_wake_fn)(void *arg);

/* What the address thread last did and saw. */
struct ha_addr_report {
	uint64_t done;       /* the last ha_addr_want() generation carried out */
	bool holding;        /* it holds (keeps adding) the VIPs */
	size_t wanted, held; /* configured VIPs; how many are on their interfaces */
	uint64_t done_mono;  /* monotonic ms when the last want was carried out */
	double took_ms;      /* how long that took */
	uint64_t put_back;   /* VIPs deleted behind our back and added again, since start */
	char error[192];     /* the last failure ("" when none) */
};

struct ha_addr;

/*
 * Opens the netlink sockets (route, and one subscribed to address events)
 * and starts the thread, holding nothing until told. Returns 0 or a negative
 * errno with err saying what failed.
 */
int ha_addr_new(ha_addr_wake_fn wake, void *arg, struct ha_addr **out, char *err, size_t errlen);

/* Stops the thread (the VIPs stay as they are: ha_addr_want() first) and frees; accepts NULL. */
void ha_addr_free(struct ha_addr *a);

/*
 * From any thread: hold vips[0..n) (copied) with valid and preferred
 * lifetime lifetime_s seconds (0: permanent), or, hold false, remove them
 * (and the VIPs of the last list). why says in the log why ("start": VIPs
 * found are leftovers of a killed fulcrumd). Returns the generation that
 * ha_addr_report.done reaches when it is carried out, or 0 (-ENOMEM: nothing
 * changes).
 */
uint64_t ha_addr_want(struct ha_addr *a, bool hold, unsigned lifetime_s, const struct ha_vip *vips,
		      size_t n, const char *why);

/* From any thread: a copy of the report. */
void ha_addr_report(struct ha_addr *a, struct ha_addr_report *out);

/*
 * From any thread: whether v was on its interface when the address thread
 * last added, checked or removed the VIPs (false when it holds none).
 */
bool ha_addr_holds(struct ha_addr *a, const struct ha_vip *v);

#endif
