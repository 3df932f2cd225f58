/* Which real server is checked how: the health engine's targets, following the store. */
#ifndef FULCRUM_HEALTH_TARGETS_H
#define FULCRUM_HEALTH_TARGETS_H

#include "controller/core/store.h"
#include "controller/health/health.h"

#include <stdbool.h>

/*
 * Every real server in the kernel's view (enabled or drained, in an enabled
 * service) whose check is not none is a target, checked with its service's
 * check and its own override (model_check_effective()). The others are no
 * target: a real server without a check counts as up (daemon_health_of()).
 */

/* True when rs has no check to run: its service's type is none and it does not override it. */
bool health_targets_unchecked(const struct fulcrum_vs *vs, const struct fulcrum_rs_stored *rs);

/*
 * Gives h every real server of st as above (health_set_targets()). Returns
 * 0, or -ENOMEM with h's targets as they were.
 */
int health_targets_rebuild(struct health *h, const struct store *st);

/*
 * Makes h follow what the commit event ev changed: each real server it
 * names, and every real server of each service it names (a service's check
 * applies to all of them), is added, updated or dropped as its state in st
 * says; nothing else is looked at (health_update_targets()). A real server
 * ev names that st no longer holds is dropped. A reload: a rebuild. Returns
 * 0, or -ENOMEM with h's targets as they were: then only a rebuild is sure to
 * catch up.
 */
int health_targets_follow(struct health *h, const struct store *st, const struct store_commit *ev);

#endif
