/* fulcrumctl: manage Fulcrum's services, real servers and VIPs, over fulcrumd's API or on its database. */
#include "config.h"
#include "controller/ctl/ctl_cluster.h"
#include "controller/ctl/ctl_cmd.h"
#include "controller/ctl/ctl_http.h"
#include "controller/ctl/ctl_local.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_URL "http://127.0.0.1:8080"
#define TOKEN_MAX   512

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: fulcrumctl [--url URL] [--token TOKEN] [--json] COMMAND [ARG]...\n"
	    "       fulcrumctl --db PATH [--force] [--json] COMMAND [ARG]...\n"
	    "Manage Fulcrum's virtual services, real servers and VIPs: through fulcrumd's\n"
	    "HTTP API, or with --db directly on its database (before the daemon runs, or for\n"
	    "recovery).\n"
	    "\n"
	    "  --url URL      the API (default $FULCRUM_URL, else " DEFAULT_URL ")\n"
	    "  --token TOKEN  the API token (default $FULCRUM_TOKEN, else the first line of\n"
	    "                 ~/" CTL_HTTP_TOKEN_FILE ", which must be mode 0600); prefer the\n"
	    "                 file or the variable: other users can see the command line\n"
	    "  --db PATH      work on the database at PATH instead of the API\n"
	    "  --force        with --db: write even when the database is a standby's (its\n"
	    "                 role history says its fulcrumd was last standby or starting;\n"
	    "                 writes belong on the active director, so this is refused\n"
	    "                 without it)\n"
	    "  --json         print the API's JSON (with --db too)\n"
	    "\n"
	    "Commands (SERVICE is a service's name or id; FIELD=VALUE sets a field):\n"
	    "  service list\n"
	    "  service show SERVICE\n"
	    "  service add NAME FIELD=VALUE...\n"
	    "  service set SERVICE FIELD=VALUE...\n"
	    "  service enable|disable SERVICE\n"
	    "  service delete SERVICE\n"
	    "  real list [SERVICE]\n"
	    "  real show ID\n"
	    "  real add SERVICE FIELD=VALUE...\n"
	    "  real set ID FIELD=VALUE...\n"
	    "  real enable|drain|disable ID\n"
	    "  real delete ID\n"
	    "  vip list\n"
	    "  vip show VIP                                     (VIP: its id or its address)\n"
	    "  vip add ADDRESS[/PREFIX] interface=NAME [FIELD=VALUE]...\n"
	    "  vip set VIP FIELD=VALUE...\n"
	    "  vip delete VIP\n"
	    "  changes [SINCE_REVISION]\n"
	    "  status\n"
	    "  cluster status                                   (failover: role, peer, why;\n"
	    "                                                    --db: the role history only)\n"
	    "  cluster switchover [--force]                     (on the active; not --db)\n"
	    "  cluster maintenance on|off                       (not --db)\n"
	    "  token create NAME --role viewer|operator|admin   (--db only; prints the token "
	    "once)\n"
	    "  token list                                       (--db only)\n"
	    "  token delete NAME                                (--db only)\n"
	    "  export [--format xml|json]                       (the whole configuration, one\n"
	    "                                                    revision, to stdout)\n"
	    "  apply FILE [--dry-run] [--prune]                 (FILE, XML or JSON, \"-\": stdin,\n"
	    "                                                    is the desired state: shows the\n"
	    "                                                    difference and commits it as one\n"
	    "                                                    change; --prune deletes what\n"
	    "                                                    FILE lacks)\n"
	    "  import --from ldirectord|keepalived FILE [--lenient] [--format xml|json]\n"
	    "         [--apply [--dry-run] [--prune]]           (FILE translated into Fulcrum's\n"
	    "                                                    document, to stdout for review;\n"
	    "                                                    every directive that does not\n"
	    "                                                    map is said, with its line;\n"
	    "                                                    --apply applies it as apply "
	    "does)\n"
	    "  import --from kernel [--format xml|json] [--apply [--dry-run]]\n"
	    "                                                   (what this director's IPVS holds\n"
	    "                                                    and Fulcrum does not manage yet,\n"
	    "                                                    taken as it is: no connection\n"
	    "                                                    is touched; needs root)\n"
	    "\n"
	    "Service fields: address port protocol (tcp udp sctp) fwmark family (ipv4 ipv6)\n"
	    "  scheduler (rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos)\n"
	    "  scheduler_flags (fallback,port) persistence_timeout persistence_netmask\n"
	    "  one_packet admin_state (enabled disabled) description min_up\n"
	    "  check.type (none tcp http https external) check.path check.host\n"
	    "  check.head check.expect_status (200-299,301) check.expect\n"
	    "  check.expect_regex check.verify_tls check.command check.interval\n"
	    "  check.timeout check.rise check.fall check.check_address check.check_port\n"
	    "  check.on_failure (quiesce remove)\n"
	    "  fallback.address fallback.port fallback.forwarding (fallback=none: remove)\n"
	    "Real server fields: address port forwarding (masq route tunnel)\n"
	    "  tunnel_type (ipip gue gre) tunnel_port weight upper_threshold\n"
	    "  lower_threshold admin_state (enabled drained disabled) description\n"
	    "  and its own check.type check.interval check.timeout check.rise check.fall\n"
	    "  check.check_address check.check_port check.on_failure check.verify_tls,\n"
	    "  overriding the service's (check.FIELD= removes one, check= all)\n"
	    "VIP fields: address prefix (1..32, 1..128; the whole address unless given)\n"
	    "  interface (eth0, bond0.100) description\n"
	    "\n"
	    "Both ways run the same commands and print the same tables, \"key value\" lines\n"
	    "and messages. With --db what only fulcrumd knows (the kernel state, the\n"
	    "operational state, health, whether a VIP is held here) is shown as unknown.\n"
	    "Every change is validated by the model, committed in one transaction and\n"
	    "recorded in the change log (origin http over the API, cli with --db).\n"
	    "Exit status: 0 done, 1 refused (the message says which field and why),\n"
	    "2 usage, 3 the server, the network or the database failed.\n");
}

/* Opens the transport the options name: the database at db_path, else the API at url. */
static int transport_open(const char *db_path, bool force, const char *url, const char *token_opt,
			  struct ctl_transport **out)
{
	char token[TOKEN_MAX], err[1024];
	int rc;

	if (db_path) {
		if (ctl_local_open(db_path, force, out, err, sizeof(err)) == 0)
			return CTL_EXIT_OK;
		fprintf(stderr, "fulcrumctl: %s\n", err);
		return CTL_EXIT_SERVER;
	}
	rc = ctl_http_token_find(token_opt, token, sizeof(token), err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "fulcrumctl: %s\n", err);
		return rc == -ENOENT ? CTL_EXIT_USAGE : CTL_EXIT_REFUSED;
	}
	rc = ctl_http_open(url, token, out, err, sizeof(err));
	memset(token, 0, sizeof(token));
	if (rc != 0) {
		fprintf(stderr, "fulcrumctl: %s\n", err);
		return rc == -EINVAL ? CTL_EXIT_USAGE : CTL_EXIT_SERVER;
	}
	return CTL_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},    {"url", required_argument, NULL, 'u'},
	    {"token", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
	    {"force", no_argument, NULL, 'f'},       {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},     {NULL, 0, NULL, 0},
	};
	const char *db_path = NULL, *url = NULL, *token = NULL;
	struct ctl_transport *t = NULL;
	bool json = false, force = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+d:u:t:jfhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			db_path = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 't':
			token = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("fulcrumctl %s\n", PACKAGE_VERSION);
			return CTL_EXIT_OK;
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		fprintf(stderr, "fulcrumctl: no command\n");
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (db_path && (url || token)) {
		fprintf(stderr, "fulcrumctl: --db works on the database; --url and --token are "
				"for the API: give one or the other\n");
		return CTL_EXIT_USAGE;
	}
	if (force && !db_path) {
		fprintf(stderr, "fulcrumctl: --force is for --db (a standby's database); over the "
				"API, send writes to the active director\n");
		return CTL_EXIT_USAGE;
	}
	if (!url)
		url = getenv("FULCRUM_URL");
	if (!url || !*url)
		url = DEFAULT_URL;
	if (!db_path && strcmp(argv[0], "token") == 0) {
		fprintf(stderr, "fulcrumctl: %s\n", CTL_CMD_TOKEN_NEEDS_DB);
		return CTL_EXIT_USAGE;
	}
	if (db_path && strcmp(argv[0], "cluster") == 0 && argc >= 2 &&
	    (strcmp(argv[1], "switchover") == 0 || strcmp(argv[1], "maintenance") == 0)) {
		fprintf(stderr, "fulcrumctl: %s\n", CTL_CLUSTER_NEEDS_DAEMON);
		return CTL_EXIT_USAGE;
	}
	if (!ctl_cmd_exists(argv[0])) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if ((rc = transport_open(db_path, force, url, token, &t)) != CTL_EXIT_OK)
		return rc;
	rc = ctl_cmd_run(t, json, argc, argv);
	ctl_transport_free(t);
	if (rc == CTL_EXIT_USAGE)
		usage(stderr);
	return rc;
}
