/* fulcrumctl's local mode, on the database itself, and the exit statuses both modes share. */
#ifndef FULCRUM_CTL_LOCAL_H
#define FULCRUM_CTL_LOCAL_H

#include <stdbool.h>

/* What a script can tell apart, the same over HTTP and on the database. */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_REFUSED = 1, /* refused: the message says which field and why */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_SERVER = 3, /* the database, the server or the network failed */
};

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
