/* What makes reconcile "failing" for the failover engine: objects the kernel keeps refusing after a full pass tried them. */
#ifndef FULCRUM_RECONCILE_STUCK_H
#define FULCRUM_RECONCILE_STUCK_H

#include "controller/core/status.h"

#include <stdbool.h>
#include <stddef.h>

struct reconcile_totals;

/*
 * Whether an object is stuck after a state change: the kernel refused its
 * last write (refused, state to STATUS_KERNEL_ERROR) and a full pass has
 * tried it since it was refused. A refusal outside a full pass (a commit's
 * sync) keeps what it was: a new refusal waits for the next pass's retry, a
 * stuck object stays stuck. Any other state, and any error that is not the
 * kernel's refusal (a configuration IPVS cannot express), clears it.
 */
bool reconcile_stuck_next(bool stuck, enum status_kernel_state to, bool refused, bool in_pass);

/*
 * Whether reconcile's totals let this node serve, and why not in words (at
 * most len bytes, "" when it can): the last full pass read the kernel's
 * services. The failover engine's IPVS flag.
 */
bool reconcile_usable(const struct reconcile_totals *t, char *why, size_t len);

/*
 * Whether the kernel holds all the configuration: a full pass has ended (not
 * known before: a node just started claims nothing) and no object is stuck;
 * what it refuses in words when not ("service 'bad' (TCP 10.0.2.100:81):
 * ...", "3 objects, first ..."). The failover engine's configuration flag: a
 * node without it still serves the rest.
 */
bool reconcile_complete(const struct reconcile_totals *t, char *why, size_t len);

#endif
