/* fulcrumctl cluster: the failover state as a person reads it, and the switchover and maintenance commands. */
#include "controller/ctl/ctl_cluster.h"
#include "controller/ctl/ctl_print.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *cluster_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s && *s ? s : "-";
}

static json_int_t cluster_int(const json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

/* Unix milliseconds as "2026-12-07 01:58:52 UTC"; "-" for null. */
static const char *cluster_time(const json_t *ms, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (!json_is_integer(ms))
		return "-";
	t = (time_t)(json_integer_value(ms) / 1000);
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		return "-";
	return buf;
}

/* A list of names (flags) joined with spaces; "none" when empty. */
static const char *cluster_words(const json_t *list, char *buf, size_t len)
{
	size_t i, used = 0;
	json_t *w;

	buf[0] = '\0';
	json_array_foreach(list, i, w)
	{
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "",
						 json_string_value(w) ? json_string_value(w) : "?");
	}
	return buf[0] ? buf : "none";
}

/* The datagrams dropped, by reason, those above zero: "forged 1, bad_magic 2", or "none". */
static const char *cluster_dropped(const json_t *received, char *buf, size_t len)
{
	const char *key;
	json_t *v;
	size_t used = 0;

	buf[0] = '\0';
	json_object_foreach((json_t *)received, key, v)
	{
		if (strcmp(key, "ok") == 0 || json_integer_value(v) == 0 || used >= len)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s %" JSON_INTEGER_FORMAT,
					 used ? ", " : "", key, json_integer_value(v));
	}
	return buf[0] ? buf : "none";
}

/* The role history as a table, newest first. */
static void cluster_history(const json_t *history)
{
	size_t i;
	json_t *c;
	char when[40];

	printf("\nrole history, newest first:\n");
	if (json_array_size(history) == 0) {
		printf("  (none)\n");
		return;
	}
	printf("%-24s %-10s %-10s %-5s %s\n", "TIME", "ROLE", "PREVIOUS", "TERM", "REASON");
	json_array_foreach(history, i, c)
	{
		printf("%-24s %-10s %-10s %-5" JSON_INTEGER_FORMAT " %s\n",
		       cluster_time(json_object_get(c, "at"), when, sizeof(when)),
		       cluster_str(c, "role"), cluster_str(c, "previous"), cluster_int(c, "term"),
		       cluster_str(c, "reason"));
	}
}

/* The peer's lines. */
static void cluster_peer(const json_t *p)
{
	char words[256], when[40];

	if (!json_is_object(p))
		return;
	if (strcmp(cluster_str(p, "state"), "unknown") == 0) {
		printf("%-13s never heard since fulcrumd started\n", "peer");
		return;
	}
	printf("%-13s %s %s: %s, term %" JSON_INTEGER_FORMAT ", at %s\n", "peer",
	       cluster_str(p, "name"), cluster_str(p, "state"), cluster_str(p, "role"),
	       cluster_int(p, "term"), cluster_str(p, "address"));
	printf("%-13s %s, %" JSON_INTEGER_FORMAT " ms ago\n", "last heard",
	       cluster_time(json_object_get(p, "last_heard"), when, sizeof(when)),
	       cluster_int(p, "silent_ms"));
	printf("%-13s %s\n", "peer flags",
	       cluster_words(json_object_get(p, "flags"), words, sizeof(words)));
}

/* The last digest comparison: "equal at revision 12, 2026-12-07 01:58:52 UTC", or "never compared". */
static const char *cluster_digest(const json_t *d, char *buf, size_t len)
{
	char when[40];

	if (!json_is_object(d))
		return "not compared since fulcrumd started";
	snprintf(buf, len, "%s at revision %" JSON_INTEGER_FORMAT ", %s",
		 json_is_true(json_object_get(d, "equal")) ? "equal" : "MISMATCH",
		 cluster_int(d, "revision"),
		 cluster_time(json_object_get(d, "at"), when, sizeof(when)));
	return buf;
}

/* Replication's lines (the API's "replication"); one line when it is off. */
static void cluster_repl(const json_t *r)
{
	const json_t *n = json_object_get(r, "counters");
	char when[40], buf[160];

	if (!json_is_object(r))
		return;
	if (strcmp(cluster_str(r, "state"), "off") == 0) {
		printf("%-13s off (standalone: nothing to replicate)\n", "replication");
		return;
	}
	printf("%-13s %s since %s, %s side, commit mode %s, peer %s\n", "replication",
	       cluster_str(r, "state"),
	       cluster_time(json_object_get(r, "since"), when, sizeof(when)),
	       cluster_str(r, "side"), cluster_str(r, "mode"), cluster_str(r, "peer"));
	printf("%-13s this node %" JSON_INTEGER_FORMAT ", peer %" JSON_INTEGER_FORMAT
	       ", lag %" JSON_INTEGER_FORMAT " revisions (%.0f ms)\n",
	       "revisions", cluster_int(r, "revision"), cluster_int(r, "peer_revision"),
	       cluster_int(r, "lag_revisions"), json_number_value(json_object_get(r, "lag_ms")));
	if (json_is_object(json_object_get(r, "ack_lag_ms"))) {
		const json_t *l = json_object_get(r, "ack_lag_ms");

		printf("%-13s commit to the standby's acknowledgement: median %.1f ms, 99th "
		       "percentile %.1f ms, largest %.1f ms (last %" JSON_INTEGER_FORMAT
		       " revisions)\n",
		       "repl lag", json_number_value(json_object_get(l, "p50")),
		       json_number_value(json_object_get(l, "p99")),
		       json_number_value(json_object_get(l, "max")), cluster_int(l, "revisions"));
	}
	printf("%-13s %s\n", "repl reason", cluster_str(r, "error"));
	printf("%-13s %s\n", "digest",
	       cluster_digest(json_object_get(r, "digest"), buf, sizeof(buf)));
	if (json_is_string(json_object_get(r, "export_file")))
		printf("%-13s %s\n", "diverged file", cluster_str(r, "export_file"));
	printf("%-13s %" JSON_INTEGER_FORMAT " sent, %" JSON_INTEGER_FORMAT
	       " applied, snapshots %" JSON_INTEGER_FORMAT " sent %" JSON_INTEGER_FORMAT
	       " taken, %" JSON_INTEGER_FORMAT " connects, %" JSON_INTEGER_FORMAT
	       " refusals, %" JSON_INTEGER_FORMAT " divergences\n",
	       "repl counts", cluster_int(n, "revisions_sent"), cluster_int(n, "revisions_applied"),
	       cluster_int(n, "snapshots_sent"), cluster_int(n, "snapshots_taken"),
	       cluster_int(n, "connects"), cluster_int(n, "refusals"),
	       cluster_int(n, "divergences"));
}

/* GET cluster as a person reads it. */
static void cluster_print(const json_t *c)
{
	const json_t *counters = json_object_get(c, "counters");
	const json_t *vips = json_object_get(c, "vips");
	const json_t *timing = json_object_get(c, "timing");
	char when[40], words[512];

	if (json_is_false(json_object_get(c, "live"))) {
		printf("%-13s %s\n", "live state",
		       "unknown with --db: the role, the peer and the counters are the running "
		       "fulcrumd's (fulcrumctl cluster status without --db)");
		printf("%-13s %s\n", "database", cluster_str(c, "database"));
		cluster_history(json_object_get(c, "history"));
		return;
	}
	if (!json_is_true(json_object_get(c, "enabled"))) {
		printf("%-13s standalone (no ha_peer: no failover)\n", "role");
		printf("%-13s %s\n", "node", cluster_str(c, "node"));
	} else {
		printf("%-13s %s since %s, term %" JSON_INTEGER_FORMAT "\n", "role",
		       cluster_str(c, "role"),
		       cluster_time(json_object_get(c, "since"), when, sizeof(when)),
		       cluster_int(c, "term"));
		printf("%-13s %s\n", "why", cluster_str(c, "reason"));
		printf("%-13s %s\n", "blocked", cluster_str(c, "blocked"));
		printf("%-13s %s\n", "health", cluster_str(c, "health"));
		printf("%-13s %s in cluster %s, priority %" JSON_INTEGER_FORMAT
		       ", maintenance %s\n",
		       "node", cluster_str(c, "node"), cluster_str(c, "cluster"),
		       cluster_int(c, "priority"),
		       json_is_true(json_object_get(c, "maintenance")) ? "on" : "off");
		printf("%-13s %s\n", "flags",
		       cluster_words(json_object_get(c, "flags"), words, sizeof(words)));
		cluster_peer(json_object_get(c, "peer"));
		printf("%-13s sent %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
		       " step-downs, %" JSON_INTEGER_FORMAT
		       " send errors), accepted %" JSON_INTEGER_FORMAT "\n",
		       "heartbeats", cluster_int(counters, "sent"),
		       cluster_int(counters, "sent_stepdown"), cluster_int(counters, "send_errors"),
		       cluster_int(json_object_get(counters, "received"), "ok"));
		printf(
		    "%-13s %s\n", "dropped",
		    cluster_dropped(json_object_get(counters, "received"), words, sizeof(words)));
		printf("%-13s %" JSON_INTEGER_FORMAT " since fulcrumd started\n", "role changes",
		       cluster_int(counters, "role_changes"));
		printf("%-13s sends late by %.1f ms at most, %" JSON_INTEGER_FORMAT
		       " freezes, %s\n",
		       "timing", json_number_value(json_object_get(timing, "late_max_ms")),
		       cluster_int(timing, "freezes"),
		       json_is_true(json_object_get(timing, "realtime")) ? "SCHED_FIFO"
									 : "normal priority");
	}
	printf("%-13s %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
	       " held, %" JSON_INTEGER_FORMAT " put back, %" JSON_INTEGER_FORMAT " announcements\n",
	       "VIPs", cluster_int(vips, "held"), cluster_int(vips, "configured"),
	       cluster_int(vips, "put_back"), cluster_int(vips, "announcements"));
	cluster_repl(json_object_get(c, "replication"));
	cluster_history(json_object_get(c, "history"));
}

/* Says why the operation failed, as the API words it; returns its exit status. */
static int cluster_failed(const struct ctl_transport_err *err)
{
	fprintf(stderr, "fulcrumctl: %s\n", err->message);
	if (err->hint[0])
		fprintf(stderr, "fulcrumctl: %s\n", err->hint);
	return err->exit != CTL_EXIT_OK ? (int)err->exit : CTL_EXIT_SERVER;
}

/* After a command: the API's answer (json), or one line saying what the engine did. */
static int cluster_done(bool json, json_t *answer)
{
	const json_t *c = json_object_get(answer, "cluster");
	int rc = CTL_EXIT_OK;

	if (json)
		rc = ctl_print_json(answer) == 0 ? CTL_EXIT_OK : CTL_EXIT_SERVER;
	else
		printf("%s: %s; this node is %s%s, its peer %s\n", cluster_str(answer, "result"),
		       cluster_str(answer, "reason"), cluster_str(c, "role"),
		       json_is_true(json_object_get(c, "maintenance")) ? " (in maintenance)" : "",
		       json_is_object(json_object_get(c, "peer"))
			   ? cluster_str(json_object_get(c, "peer"), "state")
			   : "none");
	json_decref(answer);
	return rc;
}

int ctl_cluster_run(struct ctl_transport *t, bool json, int argc, char **argv)
{
	const struct ctl_transport_ops *ops = t->ops;
	struct ctl_transport_err err = {0};
	json_t *out = NULL;
	int rc = CTL_EXIT_OK;

	if (argc == 1 && strcmp(argv[0], "status") == 0) {
		if (ops->cluster_get(t, &out, &err) != 0)
			return cluster_failed(&err);
		if (json)
			rc = ctl_print_json(out) == 0 ? CTL_EXIT_OK : CTL_EXIT_SERVER;
		else
			cluster_print(out);
		json_decref(out);
		return rc;
	}
	if (strcmp(argv[0], "switchover") == 0 &&
	    (argc == 1 || (argc == 2 && strcmp(argv[1], "--force") == 0))) {
		if (!ops->cluster_switchover) {
			fprintf(stderr, "fulcrumctl: %s\n", CTL_CLUSTER_NEEDS_DAEMON);
			return CTL_EXIT_USAGE;
		}
		if (ops->cluster_switchover(t, argc == 2, &out, &err) != 0)
			return cluster_failed(&err);
		return cluster_done(json, out);
	}
	if (argc == 2 && strcmp(argv[0], "maintenance") == 0 &&
	    (strcmp(argv[1], "on") == 0 || strcmp(argv[1], "off") == 0)) {
		if (!ops->cluster_maintenance) {
			fprintf(stderr, "fulcrumctl: %s\n", CTL_CLUSTER_NEEDS_DAEMON);
			return CTL_EXIT_USAGE;
		}
		if (ops->cluster_maintenance(t, strcmp(argv[1], "on") == 0, &out, &err) != 0)
			return cluster_failed(&err);
		return cluster_done(json, out);
	}
	return CTL_EXIT_USAGE;
}
