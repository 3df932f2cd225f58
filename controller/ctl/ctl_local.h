/* fulcrumctl's local mode, on the database itself. */
#ifndef FULCRUM_CTL_LOCAL_H
#define FULCRUM_CTL_LOCAL_H

#include "controller/ctl/ctl_transport.h"

#include <stdbool.h>

/*
 * Runs one command on the database at db_path (created and migrated when
 * needed, closed before returning): argv[0] is service, real, changes, status
 * or token, the rest its arguments. Results go to stdout (JSON when json is
 * true), errors to stderr as "fulcrumctl: <message>". Changes are recorded
 * with origin cli and the user's name (SUDO_USER first) as the actor.
 *
 * Returns a ctl_exit status; CTL_EXIT_USAGE when argv is no command (the
 * caller then prints the usage). argc is at least 1.
 */
int ctl_local_run(const char *db_path, bool json, int argc, char **argv);

#endif
