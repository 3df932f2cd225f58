/* fulcrumd's main: reads flags and settings, wires the modules, runs the loop. */
#include "config.h"
#include "controller/core/conf.h"
#include "controller/core/oper.h"
#include "controller/core/store.h"
#include "controller/daemon.h"
#include "controller/health/health.h"
#include "controller/lib/log.h"
#include "controller/reconcile/reconcile.h"
#include "mib/mib.h"
#include "web/web.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: fulcrumd [OPTION]...\n"
		"Fulcrum's daemon: keeps IPVS virtual services and real servers as configured.\n"
		"\n"
		"  -c, --config FILE      settings file (default %s)\n"
		"      --db PATH          SQLite database (overrides the 'db' setting)\n"
		"      --http ADDR:PORT   the HTTP API (overrides 'http'; '' for none)\n"
		"      --agentx SOCKET    the SNMP master's AgentX socket (overrides\n"
		"                         'agentx'; '' for no SNMP subagent)\n"
		"  -f, --foreground       stay in the foreground and log to stderr\n"
		"      --log-level LEVEL  error, warning, notice, info or debug\n"
		"  -h, --help             show this help and exit\n"
		"  -V, --version          show the version and exit\n"
		"\n"
		"Signals: TERM and INT stop fulcrumd and leave IPVS as it is; HUP reopens the\n"
		"log file; USR1 logs a status line.\n",
		CONF_DEFAULT_PATH);
}

/* Writes our pid to path, refusing to run twice; the file stays open (locked) for our life. */
static int pidfile_write(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (lockf(fd, F_TLOCK, 0) != 0) {
		int rc = errno == EACCES || errno == EAGAIN ? -EEXIST : -errno;

		close(fd);
		return rc;
	}
	if (ftruncate(fd, 0) != 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, strlen(buf)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return 0;
}

/* The API's view of fulcrumd's status. */
static void status_get(void *arg, struct status_daemon *st)
{
	daemon_status_get(arg, st);
}

/* The API's view of an object: reconcile's kernel state, and its operational state. */
static void kernel_get(void *arg, bool real, int64_t id, struct status_object *out)
{
	struct daemon *d = arg;
	struct oper_view ov = {.state = OPER_UNKNOWN};
	const struct oper_kernel *ok = daemon_oper_kernel(d);

	oper_kernel_read(ok, real, id, &out->kernel);
	if (real && store_rs_get(daemon_store(d), id))
		oper_rs_eval(ok, store_rs_get(daemon_store(d), id), &ov);
	else if (!real && store_vs_get(daemon_store(d), id))
		oper_vs_eval(ok, daemon_store(d), store_vs_get(daemon_store(d), id), &ov);
	out->oper_state = oper_state_name(ov.state);
	snprintf(out->oper_reason, sizeof(out->oper_reason), "%s", ov.reason);
	if (real && daemon_health(d)) {
		struct health_state hs;

		daemon_health_of(d, id, &hs);
		out->health_state = health_status_name(hs.state);
		snprintf(out->health_reason, sizeof(out->health_reason), "%s", hs.reason);
		out->health_last_check = (int64_t)hs.last_check;
		out->health_last_change = (int64_t)hs.last_change;
		out->health_failures = hs.failures;
	}
}

/* Kernel states change only in reconcile's passes and syncs. */
static uint64_t kernel_generation(void *arg)
{
	return daemon_generation(arg);
}

/* Whether this director holds a VIP: the daemon's answer (the failover engine's, once it exists). */
static void vip_status(void *arg, int64_t id, struct status_vip *out)
{
	daemon_vip_status(arg, id, out);
}

/* The failover status: the engine's snapshot (a standalone node's before it starts). */
static void cluster_get(void *arg, struct status_cluster *out)
{
	daemon_cluster_get(arg, out);
}

/* The role history's newest changes, from the daemon's copy in memory. */
static int role_history(void *arg, size_t max, struct status_role_change *out, size_t *n)
{
	return daemon_role_history(arg, max, out, n);
}

/* A switchover or maintenance command, answered by the engine in the loop. */
static int cluster_cmd(void *arg, enum status_cluster_cmd cmd, bool flag,
		       status_cluster_done_fn done, void *done_arg)
{
	return daemon_cluster_command(arg, cmd, flag, done, done_arg);
}

/* The API's counter reset: reconcile's. */
static int counters_reset(void *arg, int64_t id)
{
	return reconcile_vs_zero(arg, id);
}

static bool counters_resettable(void *arg, int64_t id)
{
	return reconcile_vs_held(arg, id);
}

/* A change of operational state goes to the API's event streams. */
static void state_to_events(void *arg, const struct oper_change *ch)
{
	json_t *o;
	char *text;

	if (!web_state_events_wanted(arg))
		return;
	o = json_pack("{s:s,s:I,s:s,s:s,s:s,s:I}", "object", ch->real ? "real" : "service", "id",
		      (json_int_t)ch->id, "oper_state", oper_state_name(ch->view->state),
		      "previous", oper_state_name(ch->old), "oper_reason", ch->view->reason,
		      "since", (json_int_t)ch->view->since);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text)
		web_state_event(arg, text);
	free(text);
	json_decref(o);
}

/* The SNMP subagent's request counters: arg is main's struct mib * (NULL while none runs). */
static void snmp_counters(void *arg, struct status_snmp *out)
{
	mib_counters(*(struct mib **)arg, out);
}

/*
 * A start refused before logging starts: says why on stderr as "fulcrumd:
 * ...", tells systemd, and returns status, main's exit status.
 */
static int start_refused(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int start_refused(int status, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fulcrumd: %s\n", why);
	daemon_notify_failed(why);
	return status;
}

/*
 * A start that cannot go on once logging started: logs why and, when the log
 * is a file (echo), says it on stderr too, where whoever started fulcrumd
 * looks (systemd's journal keeps it); tells systemd; exits 1.
 */
static noreturn void start_failed(bool echo, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static noreturn void start_failed(bool echo, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_errx("main", "%s", why);
	if (echo)
		fprintf(stderr, "fulcrumd: %s\n", why);
	daemon_notify_failed(why);
	exit(1);
}

/*
 * Starts the HTTP API in d's loop (*out NULL when conf->http is empty).
 * *mib, the subagent started after it, must outlive it. 0, or a negative
 * errno with err saying why.
 */
static int http_start(struct daemon *d, const struct conf *conf, struct mib **mib, struct web **out,
		      char *err, size_t errlen)
{
	struct web_params p = {
	    .base = daemon_base(d),
	    .store = daemon_store(d),
	    .auth = daemon_auth(d),
	    .conf = conf,
	    .status = status_get,
	    .status_arg = d,
	    .kernel = daemon_reconcile(d) ? kernel_get : NULL,
	    .kernel_generation = daemon_reconcile(d) ? kernel_generation : NULL,
	    .kernel_arg = d,
	    .reset = counters_reset,
	    .reset_arg = daemon_reconcile(d),
	    .vip = vip_status,
	    .vip_arg = d,
	    .cluster = cluster_get,
	    .cluster_arg = d,
	    .role_history = role_history,
	    .role_history_arg = d,
	    .cluster_cmd = cluster_cmd,
	    .cluster_cmd_arg = d,
	    .snmp = snmp_counters,
	    .snmp_arg = mib,
	    .ackwait = daemon_ackwait(d),
	};
	struct web *w = NULL;
	int rc = web_open(&p, &w, err, errlen);

	*out = w;
	if (rc != 0)
		return rc;
	/* role, peer and replication changes reach the event streams (the page's badge) */
	if (w && (oper_subscribe(daemon_oper(d), state_to_events, w) != 0 ||
		  daemon_role_subscribe(d, web_role_event, w) != 0 ||
		  daemon_peer_subscribe(d, web_peer_event, w) != 0 ||
		  daemon_repl_subscribe(d, web_repl_event, w) != 0)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/*
 * Starts the SNMP subagent in d's loop (*out NULL when conf->agentx is
 * empty). 0, or a negative errno with err saying why.
 */
static int snmp_start(struct daemon *d, const struct conf *conf, struct mib **out, char *err,
		      size_t errlen)
{
	struct mib_params p = {
	    .base = daemon_base(d),
	    .store = daemon_store(d),
	    .oper = daemon_oper(d),
	    .kernel = *daemon_oper_kernel(d),
	    .reset = counters_reset,
	    .resettable = counters_resettable,
	    .reset_arg = daemon_reconcile(d),
	    .status = status_get,
	    .status_arg = d,
	    .vip = vip_status,
	    .vip_arg = d,
	    .cluster = cluster_get,
	    .cluster_arg = d,
	    .role_history = role_history,
	    .role_history_arg = d,
	    .cluster_cmd = cluster_cmd,
	    .cluster_cmd_arg = d,
	    .agentx = conf->agentx,
	    .ackwait = daemon_ackwait(d),
	};
	struct mib *m = NULL;
	int rc;

	*out = NULL;
	if (!conf->agentx[0])
		return 0;
	rc = mib_open(&p, &m, err, errlen);
	*out = m;
	if (rc != 0)
		return rc;
	/* role, peer and replication changes: fulcrumRoleChange, ...PeerStateChange, ...ReplStateChange */
	if (daemon_role_subscribe(d, mib_role_event, m) != 0 ||
	    daemon_peer_subscribe(d, mib_peer_event, m) != 0 ||
	    daemon_repl_subscribe(d, mib_repl_event, m) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* True when a live process holds the lock of the pid file at path. */
static bool pidfile_held(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = lockf(fd, F_TEST, 0) != 0 && (errno == EACCES || errno == EAGAIN);
	close(fd);
	return held;
}

int main(int argc, char **argv)
{
	enum { OPT_DB = 256, OPT_LOG_LEVEL, OPT_HTTP, OPT_AGENTX };
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"db", required_argument, NULL, OPT_DB},
	    {"foreground", no_argument, NULL, 'f'},
	    {"http", required_argument, NULL, OPT_HTTP},
	    {"agentx", required_argument, NULL, OPT_AGENTX},
	    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *db_path = NULL, *level = NULL, *http = NULL;
	const char *agentx = NULL;
	bool foreground = false, echo = false;
	struct conf conf;
	struct daemon *d = NULL;
	struct web *web = NULL;
	struct mib *mib = NULL;
	char err[1024];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:fhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case OPT_DB:
			db_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case OPT_LOG_LEVEL:
			level = optarg;
			break;
		case OPT_HTTP:
			http = optarg;
			break;
		case OPT_AGENTX:
			agentx = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("fulcrumd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fulcrumd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	conf_defaults(&conf);
	rc = conf_load(&conf, config_path ? config_path : CONF_DEFAULT_PATH, err, sizeof(err));
	/* The default file may be absent; a file named with -c must exist. */
	if (rc != 0 && !(rc == -ENOENT && !config_path))
		return start_refused(1, "config: %s", err);
	if (db_path && conf_set(&conf, "db", db_path, err, sizeof(err)) != 0)
		return start_refused(2, "--db: %s", err);
	if (level && conf_set(&conf, "log_level", level, err, sizeof(err)) != 0)
		return start_refused(2, "--log-level: %s", err);
	if (http && conf_set(&conf, "http", http, err, sizeof(err)) != 0)
		return start_refused(2, "--http: %s", err);
	if (agentx && conf_set(&conf, "agentx", agentx, err, sizeof(err)) != 0)
		return start_refused(2, "--agentx: %s", err);
	if (web_conf_validate(&conf, err, sizeof(err)) != 0)
		return start_refused(1, "%s", err);

	log_init("fulcrumd", LOG_TARGET_STDERR, NULL, conf.log_level);
	rc = 0;
	if (!foreground) {
		/* SQLite connections must not cross a fork: check the database, then daemonize. */
		rc = daemon_new(&conf, &d, err, sizeof(err));
		if (rc != 0)
			return start_refused(1, "%s", err);
		daemon_free(d);
		d = NULL;
		if (conf.pid_file[0] && pidfile_held(conf.pid_file))
			return start_refused(1, "another fulcrumd holds %s", conf.pid_file);
		if (daemon(0, 0) != 0)
			return start_refused(1, "cannot become a daemon: %s", strerror(errno));
	}
	if (conf.log_file[0]) {
		rc = log_init("fulcrumd", LOG_TARGET_FILE, conf.log_file, conf.log_level);
		/* a daemon's stderr is /dev/null: only the foreground's gets the reason twice */
		echo = rc == 0 && foreground;
	} else if (!foreground) {
		rc = log_init("fulcrumd", LOG_TARGET_SYSLOG, NULL, conf.log_level);
	}
	if (rc != 0)
		log_warnx("main", "logging to stderr instead");
	if (!foreground && conf.pid_file[0]) {
		rc = pidfile_write(conf.pid_file);
		if (rc == -EEXIST)
			start_failed(echo, "another fulcrumd holds %s", conf.pid_file);
		if (rc != 0)
			start_failed(echo, "cannot write pid file %s: %s", conf.pid_file,
				     strerror(-rc));
	}
	rc = daemon_new(&conf, &d, err, sizeof(err));
	if (rc == 0)
		rc = http_start(d, &conf, &mib, &web, err, sizeof(err));
	if (rc == 0)
		rc = snmp_start(d, &conf, &mib, err, sizeof(err));
	if (rc != 0)
		start_failed(echo, "%s", err);
	rc = daemon_run(d);
	if (web) {
		daemon_role_unsubscribe(d, web_role_event, web);
		daemon_peer_unsubscribe(d, web_peer_event, web);
		daemon_repl_unsubscribe(d, web_repl_event, web);
	}
	if (mib) {
		daemon_role_unsubscribe(d, mib_role_event, mib);
		daemon_peer_unsubscribe(d, mib_peer_event, mib);
		daemon_repl_unsubscribe(d, mib_repl_event, mib);
	}
	mib_free(mib); /* before the store it listens to */
	mib = NULL;    /* the web's snmp_counters() reads it */
	web_free(web);
	daemon_free(d);
	log_close();
	return rc == 0 ? 0 : 1;
}
