/* fulcrumctl cluster: the failover state and its commands, over either transport. */
#ifndef FULCRUM_CTL_CLUSTER_H
#define FULCRUM_CTL_CLUSTER_H

#include "controller/ctl/ctl_transport.h"

#include <stdbool.h>

/* What is said when a failover command is given with --db: only the running fulcrumd can. */
#define CTL_CLUSTER_NEEDS_DAEMON                                                                   \
	"cluster switchover and maintenance are the running fulcrumd's: run fulcrumctl without "   \
	"--db (over its API)"

/*
 * Runs "cluster status", "cluster switchover [--force]" or "cluster
 * maintenance on|off" (argv[0] is status, switchover or maintenance). status
 * prints a summary a person reads (role and why, the peer and its state,
 * what blocks, health, counters, the role history), or with json the API's
 * JSON; with --db only the role history, saying that the live state is the
 * running fulcrumd's. switchover and maintenance print what the engine did
 * (json: the API's answer); a refusal is printed as the engine words it
 * (exit 1); with --db they are refused with exit 2 (only the running
 * fulcrumd can). Returns a ctl_exit status; CTL_EXIT_USAGE for arguments
 * that fit no command (the caller prints the usage).
 */
int ctl_cluster_run(struct ctl_transport *t, bool json, int argc, char **argv);

#endif
