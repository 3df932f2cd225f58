/* fulcrumctl's commands, written once over either transport. */
#ifndef FULCRUM_CTL_CMD_H
#define FULCRUM_CTL_CMD_H

#include "controller/ctl/ctl_transport.h"

#include <stdbool.h>

/* What is said when a token command has no database: only the director's administrator makes tokens. */
#define CTL_CMD_TOKEN_NEEDS_DB                                                                     \
	"token commands work on the database itself: give --db PATH (on the director)"

/* Whether name is a command: service, real, vip, changes, status, token or cluster. */
bool ctl_cmd_exists(const char *name);

/*
 * Runs one command over t: argv[0] is service, real, vip, changes, status,
 * token or cluster (ctl_cluster.h), the rest its arguments (argc is at least 1). FIELD=VALUE arguments
 * become the API's JSON body here, the same for both transports; the
 * transport's model (fulcrumd's, or the database's own) validates it.
 * Results go to stdout: a table, "key value" lines or one line saying what
 * was done, or with json the API's JSON. Errors go to stderr as
 * "fulcrumctl: <message>", worded as the API words them.
 *
 * Returns a ctl_exit status; CTL_EXIT_USAGE when argv is no command or its
 * arguments do not fit it (the caller then prints the usage).
 */
int ctl_cmd_run(struct ctl_transport *t, bool json, int argc, char **argv);

#endif
