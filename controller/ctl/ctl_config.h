/* fulcrumctl's configuration-file commands: export, apply, import. */
#ifndef FULCRUM_CTL_CONFIG_H
#define FULCRUM_CTL_CONFIG_H

#include "controller/ctl/ctl_transport.h"

#include <stdbool.h>

/* Whether name is one of them. */
bool ctl_config_is(const char *name);

/*
 * Runs argv[0] (export, apply or import) with its arguments over t:
 *   export [--format xml|json]                 the configuration to stdout
 *   apply FILE [--dry-run] [--prune]           FILE ("-": stdin) as the desired state
 *   import --from ldirectord|keepalived FILE [--lenient] [--format xml|json]
 *          [--apply [--dry-run] [--prune]]     translated to stdout, or applied
 *   import --from kernel [--format] [--apply [--dry-run]]
 *                                              what this namespace's IPVS holds and
 *                                              Fulcrum does not manage yet
 * apply prints the difference ("+ service web", "~ real web/10.0.0.1:80:
 * weight 1 -> 5") and the counts, or with json the API's result; a refused
 * file prints every error on stderr. Returns a ctl_exit status
 * (CTL_EXIT_USAGE when the arguments do not fit).
 */
int ctl_config_run(struct ctl_transport *t, bool json, int argc, char **argv);

#endif
