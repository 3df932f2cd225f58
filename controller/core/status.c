/* What fulcrumd reports of itself and of each object: the names its readers print. */
#include "controller/core/status.h"

const char *status_kernel_state_name(enum status_kernel_state state)
{
	switch (state) {
	case STATUS_KERNEL_PENDING:
		return "pending";
	case STATUS_KERNEL_IN_SYNC:
		return "in_sync";
	case STATUS_KERNEL_ERROR:
		return "error";
	case STATUS_KERNEL_UNAVAILABLE:
		return "unavailable";
	}
	return NULL;
}
