/* What makes reconcile "failing" for the failover engine: objects the kernel keeps refusing after a full pass tried them. */
#include "controller/reconcile/reconcile_stuck.h"

#include "controller/reconcile/reconcile.h"

#include <stdio.h>

bool reconcile_stuck_next(bool stuck, enum status_kernel_state to, bool refused, bool in_pass)
{
	if (to != STATUS_KERNEL_ERROR || !refused)
		return false;
	return stuck || in_pass;
}

bool reconcile_usable(const struct reconcile_totals *t, char *why, size_t len)
{
	if (len)
		why[0] = '\0';
	if (t->dump_failing) {
		snprintf(why, len, "reconcile cannot read the kernel's services: %s",
			 t->dump_error);
		return false;
	}
	return true;
}

bool reconcile_complete(const struct reconcile_totals *t, char *why, size_t len)
{
	if (len)
		why[0] = '\0';
	if (!t->passes) {
		snprintf(why, len, "not known yet: reconcile's first full pass has not ended");
		return false;
	}
	if (!t->stuck)
		return true;
	if (t->stuck == 1)
		snprintf(why, len, "%s", t->stuck_what);
	else
		snprintf(why, len, "%zu objects, first %s", t->stuck, t->stuck_what);
	return false;
}
