/* fulcrumctl's local transport: the API's operations run on the database itself (--db PATH). */
#ifndef FULCRUM_CTL_LOCAL_H
#define FULCRUM_CTL_LOCAL_H

#include "controller/ctl/ctl_transport.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Opens the database at db_path (created and migrated when needed) as a
 * transport (ctl_transport.h). Its writes go through the core's write path
 * (controller/core/command.h), one command each, recorded in the change log
 * with origin cli and the user's name (SUDO_USER first) as the actor; a
 * PATCH reads the object and changes it in one transaction. Bodies are read
 * by the model's JSON form exactly as fulcrumd's API reads them, so a
 * refusal is worded as the API words it. Objects carry the API's "status"
 * block with every state "unknown": the database holds no kernel state.
 * Tokens can be made and deleted only here.
 *
 * Every write (tokens too) is refused, -EROFS and CTL_EXIT_REFUSED, when
 * the database's role history says the fulcrumd that used it last was
 * standby or starting (writes go to the active: docs/ha.md), unless force
 * (--force). Reads work on any database.
 *
 * Returns 0 and *out (ctl_transport_free() it: that closes the database),
 * or a negative errno from db_open() with err (errlen bytes) saying why.
 */
int ctl_local_open(const char *db_path, bool force, struct ctl_transport **out, char *err,
		   size_t errlen);

#endif
