/* What fulcrumctl's transports share: freeing one, and filling the error they report. */
#include "controller/ctl/ctl_transport.h"

#include <stdarg.h>
#include <stdio.h>

void ctl_transport_free(struct ctl_transport *t)
{
	if (t)
		t->ops->free(t);
}

int ctl_transport_err_set(struct ctl_transport_err *err, int rc, enum ctl_exit exit,
			  const char *field, const char *fmt, ...)
{
	va_list ap;

	err->exit = exit;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	err->hint[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return rc;
}
