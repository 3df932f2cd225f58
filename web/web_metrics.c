/* GET /metrics: fulcrumd's state in Prometheus's text exposition format 0.0.4, from one snapshot, written in pieces. */
#include "web/web-int.h"

#include "controller/model/model.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_BLOCK        32768 /* bytes MHD asks for at a time, at most */
/*
 * Answers being written at once, each holding its snapshot (some 25 MB at
 * 10,000 services of 10 real servers): more are refused (503), so that
 * clients holding tokens cannot make fulcrumd hold one per connection.
 */
#define METRICS_STREAMS_MAX 4

/*
 * What one service or real server shows, read once (the status callbacks
 * are the costly part) and written family by family: the format wants
 * every sample of a metric together.
 */
enum metrics_value {
	MV_CONNS = 0, /* the ten IPVS counters and rates, in struct status_counters' order */
	MV_INPKTS,
	MV_OUTPKTS,
	MV_INBYTES,
	MV_OUTBYTES,
	MV_CPS,
	MV_INPPS,
	MV_OUTPPS,
	MV_INBPS,
	MV_OUTBPS,
	MV_ACTIVE, /* real servers: connections */
	MV_INACTIVE,
	MV_PRESENT,
	MV_KERNEL, /* enum status_kernel_state */
	MV_STATE,  /* services: operational state; real servers: health (codes below) */
	MV_SIZE,   /* services: real servers; real servers: weight */
	MV_N,
};

struct metrics_obj {
	size_t at, len; /* its labels in the label text */
	uint64_t v[MV_N];
};

/* One metric family of the objects: its name after the prefix, type, help and value. */
struct metrics_field {
	const char *name, *type, *help;
	enum metrics_value v;
};

static const struct metrics_field metrics_fields[] = {
    {"connections_total", "counter", "Connections IPVS scheduled", MV_CONNS},
    {"in_packets_total", "counter", "Packets from clients", MV_INPKTS},
    {"out_packets_total", "counter", "Packets to clients (masq only)", MV_OUTPKTS},
    {"in_bytes_total", "counter", "Bytes from clients", MV_INBYTES},
    {"out_bytes_total", "counter", "Bytes to clients (masq only)", MV_OUTBYTES},
    {"connections_per_second", "gauge", "Connections per second, IPVS's estimate", MV_CPS},
    {"in_packets_per_second", "gauge", "Packets per second from clients, IPVS's estimate",
     MV_INPPS},
    {"out_packets_per_second", "gauge", "Packets per second to clients, IPVS's estimate",
     MV_OUTPPS},
    {"in_bytes_per_second", "gauge", "Bytes per second from clients, IPVS's estimate", MV_INBPS},
    {"out_bytes_per_second", "gauge", "Bytes per second to clients, IPVS's estimate", MV_OUTBPS},
    {"kernel_present", "gauge", "1 when the kernel holds it now (the counters are its), else 0",
     MV_PRESENT},
    {"kernel_state", "gauge",
     "Where it stands in the kernel: 0 pending, 1 in_sync, 2 error, 3 unavailable", MV_KERNEL},
};

#define METRICS_NFIELDS (sizeof(metrics_fields) / sizeof(metrics_fields[0]))

static const struct metrics_field metrics_vs_own[] = {
    {"oper_state", "gauge", "Operational state: 0 unknown, 1 up, 2 degraded, 3 down", MV_STATE},
    {"real_servers", "gauge", "Real servers configured", MV_SIZE},
};

static const struct metrics_field metrics_rs_own[] = {
    {"active_connections", "gauge", "Active connections, as IPVS counts them", MV_ACTIVE},
    {"inactive_connections", "gauge", "Inactive connections, as IPVS counts them", MV_INACTIVE},
    {"health_state", "gauge", "What its health check says: 0 unknown, 1 up, 2 down", MV_STATE},
    {"weight", "gauge", "Configured weight", MV_SIZE},
};

/*
 * One answer: the small families written whole at once (head), and a
 * snapshot of every object (labels and values), written family by family
 * as the connection asks for more. At 10,000 services of 10 real servers
 * the text is some 190 MB: built whole, it would hold the loop near a
 * second and the memory twice; in the connection's pieces, a turn writes
 * some 30 KB.
 */
struct metrics_stream {
	struct web *w; /* counts the answers being written */
	char *head;    /* daemon, cluster, loop, checks, requests, process */
	size_t head_len, head_pos;
	char *labels;                /* every object's labels */
	struct metrics_obj *objs[2]; /* services, real servers */
	size_t nobjs[2];
	size_t family;             /* the next family to write (metrics_family()) */
	size_t obj;                /* its next object; SIZE_MAX: its HELP and TYPE lines first */
	char *line;                /* the line being written ... */
	size_t line_cap;           /* (room for the longest) */
	size_t line_len, line_pos; /* ... and how much of it is out */
};

/* Writes s as a label value: backslash, double quote and newline escaped. */
static void metrics_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			putc(*s, f);
	}
}

static void metrics_head(FILE *f, const char *prefix, const char *name, const char *type,
			 const char *help)
{
	fprintf(f, "# HELP %s%s %s\n# TYPE %s%s %s\n", prefix, name, help, prefix, name, type);
}

/* One family with one sample without labels. */
static void metrics_one(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	metrics_head(f, "", name, type, help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

static void metrics_one_f(FILE *f, const char *name, const char *type, const char *help, double v)
{
	metrics_head(f, "", name, type, help);
	fprintf(f, "%s %.9g\n", name, v);
}

/* ---- services and real servers ---------------------------------------------------------- */

static uint64_t metrics_code(const char *state, const char *const *names, size_t n)
{
	for (size_t i = 0; state && i < n; i++)
		if (strcmp(state, names[i]) == 0)
			return i;
	return 0;
}

/* Reads one object's status as the API shows it (web_api.c's status block). */
static void metrics_status(struct web *w, bool real, int64_t id, const struct status_daemon *st,
			   struct metrics_obj *o)
{
	static const char *const oper[] = {"unknown", "up", "degraded", "down"};
	static const char *const health[] = {"unknown", "up", "down"};
	struct status_object k = {.kernel = {.state = STATUS_KERNEL_PENDING}};
	const struct status_counters *c = &k.kernel.stats;

	if (w->p.kernel)
		w->p.kernel(w->p.kernel_arg, real, id, &k);
	else if (!st->ipvs.available)
		k.kernel.state = STATUS_KERNEL_UNAVAILABLE;
	if (k.kernel.present) {
		const uint64_t v[] = {c->conns, c->inpkts, c->outpkts, c->inbytes, c->outbytes,
				      c->cps,   c->inpps,  c->outpps,  c->inbps,   c->outbps};

		memcpy(o->v, v, sizeof(v));
		o->v[MV_ACTIVE] = k.kernel.active_conns;
		o->v[MV_INACTIVE] = k.kernel.inactive_conns;
	}
	o->v[MV_PRESENT] = k.kernel.present;
	o->v[MV_KERNEL] = (uint64_t)k.kernel.state;
	o->v[MV_STATE] =
	    real ? metrics_code(k.health_state, health, 3) : metrics_code(k.oper_state, oper, 4);
}

/* Family k of the objects' (services', then real servers'): its table row, prefix and objects. */
static const struct metrics_field *metrics_family(size_t k, const char **prefix, int *which)
{
	static const struct {
		const char *prefix;
		const struct metrics_field *table;
		size_t n;
		int which;
	} parts[] = {
	    {"fulcrum_service_", metrics_fields, METRICS_NFIELDS, 0},
	    {"fulcrum_service_", metrics_vs_own, sizeof(metrics_vs_own) / sizeof(metrics_vs_own[0]),
	     0},
	    {"fulcrum_real_server_", metrics_fields, METRICS_NFIELDS, 1},
	    {"fulcrum_real_server_", metrics_rs_own,
	     sizeof(metrics_rs_own) / sizeof(metrics_rs_own[0]), 1},
	};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (k < parts[i].n) {
			*prefix = parts[i].prefix;
			*which = parts[i].which;
			return &parts[i].table[k];
		}
		k -= parts[i].n;
	}
	return NULL;
}

/* Every service and real server, read now: labels from their ids, names and addresses. */
static int metrics_snapshot(struct web *w, struct metrics_stream *s, const struct status_daemon *st)
{
	size_t nvs, nrs, ri = 0, lablen = 0, longest = 0;
	const struct fulcrum_vs *const *vs = store_vs_all(w->p.store, &nvs);
	struct metrics_obj *svc, *rsv;
	char ep[MODEL_ENDPOINT_STRLEN];
	FILE *lf;

	store_rs_all(w->p.store, 0, &nrs);
	svc = s->objs[0] = calloc(nvs ? nvs : 1, sizeof(*svc));
	rsv = s->objs[1] = calloc(nrs ? nrs : 1, sizeof(*rsv));
	lf = open_memstream(&s->labels, &lablen);
	if (!svc || !rsv || !lf)
		goto fail;
	for (size_t i = 0; i < nvs; i++) {
		size_t n;
		const struct fulcrum_rs_stored *const *rs = store_rs_all(w->p.store, vs[i]->id, &n);

		svc[i].at = (size_t)ftell(lf);
		fprintf(lf, "service_id=\"%" PRId64 "\",service=\"", vs[i]->id);
		metrics_escape(lf, vs[i]->name);
		if (vs[i]->fwmark)
			fprintf(lf, "\",protocol=\"fwmark\",address=\"fwmark:%" PRIu32 "\"",
				vs[i]->fwmark);
		else
			fprintf(lf, "\",protocol=\"%s\",address=\"%s\"",
				model_protocol_name(vs[i]->protocol),
				model_endpoint_format(&vs[i]->addr, vs[i]->port, ep, sizeof(ep)));
		svc[i].len = (size_t)ftell(lf) - svc[i].at;
		if (svc[i].len > longest)
			longest = svc[i].len;
		metrics_status(w, false, vs[i]->id, st, &svc[i]);
		svc[i].v[MV_SIZE] = n;
		for (size_t j = 0; j < n && ri < nrs; j++, ri++) {
			rsv[ri].at = (size_t)ftell(lf);
			fprintf(lf,
				"service_id=\"%" PRId64 "\",real_server_id=\"%" PRId64
				"\",address=\"%s\"",
				vs[i]->id, rs[j]->id,
				model_endpoint_format(&rs[j]->addr, rs[j]->port, ep, sizeof(ep)));
			rsv[ri].len = (size_t)ftell(lf) - rsv[ri].at;
			if (rsv[ri].len > longest)
				longest = rsv[ri].len;
			metrics_status(w, true, rs[j]->id, st, &rsv[ri]);
			rsv[ri].v[MV_SIZE] = rs[j]->weight;
		}
	}
	s->nobjs[0] = nvs;
	s->nobjs[1] = ri;
	if (ferror(lf)) {
		fclose(lf);
		return -ENOMEM;
	}
	if (fclose(lf) != 0)
		return -ENOMEM;
	/* a HELP line, or a sample: a name, its labels, a value of at most 20 digits */
	s->line_cap = longest + 512;
	s->line = malloc(s->line_cap);
	return s->line ? 0 : -ENOMEM;
fail:
	if (lf)
		fclose(lf);
	return -ENOMEM;
}

/* ---- fulcrumd itself ----------------------------------------------------------------------- */

static void metrics_daemon(struct web *w, FILE *f, const struct status_daemon *st)
{
	size_t nvips;

	store_vip_all(w->p.store, &nvips);
	metrics_head(f, "", "fulcrum_build_info", "gauge", "fulcrumd's version and node name");
	fputs("fulcrum_build_info{version=\"", f);
	metrics_escape(f, st->version ? st->version : "");
	fputs("\",node=\"", f);
	metrics_escape(f, st->node_name ? st->node_name : "");
	fputs("\"} 1\n", f);
	metrics_one(f, "fulcrum_config_revision", "gauge",
		    "The configuration's revision (the API's ETag)",
		    (uint64_t)store_revision(w->p.store));
	metrics_one(f, "fulcrum_services", "gauge", "Services configured", st->services);
	metrics_one(f, "fulcrum_real_servers", "gauge", "Real servers configured", st->reals);
	metrics_one(f, "fulcrum_vips", "gauge", "VIPs configured", nvips);
	metrics_one(f, "fulcrum_ipvs_available", "gauge", "1 when this kernel has IPVS, else 0",
		    st->ipvs.available);
}

/* The loop's turns as a histogram in seconds (controller/lib/looplag.h). */
static void metrics_loop(FILE *f, const struct looplag *h)
{
	metrics_head(f, "", "fulcrum_loop_turn_seconds", "histogram",
		     "How long each turn of the main loop worked, from its wake-up to its next "
		     "wait (nothing else is answered meanwhile)");
	for (unsigned i = 0; i < LOOPLAG_BOUNDS; i++)
		fprintf(f, "fulcrum_loop_turn_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			looplag_bounds_ms[i] / 1000.0, looplag_cumulative(h, i));
	fprintf(f, "fulcrum_loop_turn_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", h->turns);
	fprintf(f, "fulcrum_loop_turn_seconds_sum %.9f\n", h->sum_ms / 1000.0);
	fprintf(f, "fulcrum_loop_turn_seconds_count %" PRIu64 "\n", h->turns);
	metrics_one_f(f, "fulcrum_loop_turn_max_seconds", "gauge",
		      "The longest turn of the main loop since start", h->max_ms / 1000.0);
}

static void metrics_checks(FILE *f, const struct status_checks *c)
{
	metrics_head(f, "", "fulcrum_health_checks_total", "counter", "Health checks started");
	for (int t = 0; t < STATUS_CHECK_TYPES; t++)
		fprintf(f, "fulcrum_health_checks_total{type=\"%s\"} %" PRIu64 "\n",
			model_check_type_name((enum fulcrum_check_type)t), c->runs[t]);
	metrics_head(f, "", "fulcrum_health_check_failures_total", "counter",
		     "Health checks whose result was a failure");
	for (int t = 0; t < STATUS_CHECK_TYPES; t++)
		fprintf(f, "fulcrum_health_check_failures_total{type=\"%s\"} %" PRIu64 "\n",
			model_check_type_name((enum fulcrum_check_type)t), c->failed[t]);
	metrics_one(f, "fulcrum_health_checks_skipped_total", "counter",
		    "Checks not started because the previous run had not finished", c->skipped);
	metrics_one(f, "fulcrum_health_state_changes_total", "counter",
		    "Health state changes of real servers", c->changes);
	metrics_one(f, "fulcrum_health_checks_in_flight", "gauge", "Checks running now",
		    c->in_flight);
	metrics_one(f, "fulcrum_health_check_targets", "gauge",
		    "Real servers the health checks know", c->targets);
	metrics_one(f, "fulcrum_health_check_probes", "gauge",
		    "Distinct checks run for them (identical ones are shared)", c->probes);
}

static void metrics_requests(struct web *w, FILE *f)
{
	struct status_snmp snmp = {.running = false};

	metrics_head(f, "", "fulcrum_http_requests_total", "counter",
		     "Requests the HTTP server answered, by method and status class");
	for (size_t m = 0; m < WEB_METHODS_COUNTED; m++)
		for (unsigned c = 0; c < 4; c++)
			fprintf(f,
				"fulcrum_http_requests_total{method=\"%s\",code=\"%uxx\"} %" PRIu64
				"\n",
				web_method_names[m], c + 2, w->requests[m][c]);
	if (w->p.snmp)
		w->p.snmp(w->p.snmp_arg, &snmp);
	if (!snmp.running)
		return;
	metrics_head(f, "", "fulcrum_snmp_requests_total", "counter",
		     "SNMP requests the AgentX subagent handled, by type (a GETBULK is a getnext)");
	fprintf(f,
		"fulcrum_snmp_requests_total{type=\"get\"} %" PRIu64 "\n"
		"fulcrum_snmp_requests_total{type=\"getnext\"} %" PRIu64 "\n"
		"fulcrum_snmp_requests_total{type=\"set\"} %" PRIu64 "\n",
		snmp.get, snmp.getnext, snmp.set);
	metrics_one(f, "fulcrum_snmp_set_refusals_total", "counter",
		    "SNMP SETs answered with an error (refused, or failed)", snmp.set_refused);
}

/* The role as a set of states, one of them 1: a bounded number of series. */
static void metrics_cluster(FILE *f, const struct status_cluster *c)
{
	const struct status_repl *r = &c->repl;

	metrics_head(f, "", "fulcrum_role", "gauge",
		     "This director's failover role (1: the current one)");
	for (int role = STATUS_ROLE_STARTING; role <= STATUS_ROLE_STANDALONE; role++)
		fprintf(f, "fulcrum_role{role=\"%s\"} %d\n",
			status_role_name((enum status_role)role),
			c->role == (enum status_role)role);
	metrics_one(f, "fulcrum_vips_held", "gauge", "VIPs on their interfaces on this director",
		    c->vips_held);
	if (!c->enabled)
		return;
	metrics_one(f, "fulcrum_ha_term", "gauge", "The failover term", c->term);
	metrics_one(f, "fulcrum_ha_role_changes_total", "counter", "Role changes since start",
		    c->role_changes);
	metrics_one(f, "fulcrum_ha_heartbeats_sent_total", "counter", "Heartbeats sent", c->sent);
	metrics_one(f, "fulcrum_ha_heartbeat_send_errors_total", "counter",
		    "Heartbeats the kernel refused to send", c->send_errors);
	metrics_head(f, "", "fulcrum_ha_heartbeats_received_total", "counter",
		     "Heartbeats received, by what became of them");
	for (size_t i = 0; i < STATUS_HA_RESULTS && c->received[i].name; i++)
		fprintf(f, "fulcrum_ha_heartbeats_received_total{result=\"%s\"} %" PRIu64 "\n",
			c->received[i].name, c->received[i].n);
	metrics_one(f, "fulcrum_ha_peer_alive", "gauge", "1 while the peer is heard, else 0",
		    c->peer.state == STATUS_PEER_ALIVE);
	metrics_one_f(f, "fulcrum_ha_peer_silent_seconds", "gauge",
		      "Time since the peer's last accepted heartbeat", c->peer.silent_ms / 1000.0);
	metrics_one_f(f, "fulcrum_ha_send_late_max_seconds", "gauge",
		      "The latest a heartbeat send woke, since start", c->late_max_ms / 1000.0);
	metrics_one(f, "fulcrum_ha_freezes_total", "counter",
		    "Heartbeat wake-ups over an interval late (this node was frozen)", c->freezes);
	metrics_head(f, "", "fulcrum_replication_state", "gauge",
		     "Replication of the configuration (1: the current state)");
	for (int s = STATUS_REPL_OFF; s <= STATUS_REPL_REFUSED; s++)
		fprintf(f, "fulcrum_replication_state{state=\"%s\"} %d\n",
			status_repl_state_name((enum status_repl_state)s),
			r->state == (enum status_repl_state)s);
	metrics_one(f, "fulcrum_replication_peer_revision", "gauge",
		    "Active: the revision the standby acknowledged; standby: the active's",
		    (uint64_t)(r->peer_revision > 0 ? r->peer_revision : 0));
	metrics_one(f, "fulcrum_replication_lag_revisions", "gauge",
		    "Active: revisions the standby has not acknowledged",
		    (uint64_t)(r->lag_revisions > 0 ? r->lag_revisions : 0));
	metrics_one_f(f, "fulcrum_replication_lag_seconds", "gauge",
		      "Active: how long the oldest unacknowledged revision waits",
		      r->lag_ms / 1000.0);
	metrics_one(f, "fulcrum_replication_revisions_sent_total", "counter", "Revisions sent",
		    r->revisions_sent);
	metrics_one(f, "fulcrum_replication_revisions_applied_total", "counter",
		    "Revisions applied from the active", r->revisions_applied);
	metrics_one(f, "fulcrum_replication_acks_total", "counter", "Acknowledgements", r->acks);
	metrics_one(f, "fulcrum_replication_snapshots_sent_total", "counter", "Snapshots sent",
		    r->snapshots_sent);
	metrics_one(f, "fulcrum_replication_snapshots_taken_total", "counter", "Snapshots taken",
		    r->snapshots_taken);
	metrics_one(f, "fulcrum_replication_connects_total", "counter", "Connections made",
		    r->connects);
	metrics_one(f, "fulcrum_replication_refusals_total", "counter",
		    "Peers refused, or refusals by the peer", r->refusals);
	metrics_one(f, "fulcrum_replication_divergences_total", "counter",
		    "Times the two histories were found to differ", r->divergences);
}

/* ---- the process, from /proc/self ------------------------------------------------------------ */

/* btime from /proc/stat: the boot's Unix time, which /proc/self/stat's start time counts from. */
static long long metrics_boot_time(void)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[256];
	long long bt = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lld", &bt) == 1)
			break;
	fclose(f);
	return bt;
}

static void metrics_process(FILE *f)
{
	FILE *sf = fopen("/proc/self/stat", "re");
	char buf[1024], *p;
	unsigned long long utime, stime, start, vsize, rss;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	DIR *d;
	uint64_t fds = 0;
	size_t n = 0;

	if (sf) {
		n = fread(buf, 1, sizeof(buf) - 1, sf);
		fclose(sf);
	}
	buf[n] = '\0';
	/* after the command's name, which may hold anything: fields 3 (state) onwards */
	p = strrchr(buf, ')');
	if (p && tck > 0 &&
	    sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d "
		   "%*d %llu %llu %llu",
		   &utime, &stime, &start, &vsize, &rss) == 5) {
		metrics_one_f(f, "process_cpu_seconds_total", "counter",
			      "Total user and system CPU time spent in seconds",
			      (double)(utime + stime) / (double)tck);
		metrics_one(f, "process_resident_memory_bytes", "gauge",
			    "Resident memory size in bytes", rss * (uint64_t)page);
		metrics_one(f, "process_virtual_memory_bytes", "gauge",
			    "Virtual memory size in bytes", vsize);
		metrics_head(f, "", "process_start_time_seconds", "gauge",
			     "Start time of the process since unix epoch in seconds");
		fprintf(f, "process_start_time_seconds %.2f\n",
			(double)metrics_boot_time() + (double)start / (double)tck);
	}
	d = opendir("/proc/self/fd");
	if (d) {
		for (struct dirent *e; (e = readdir(d));)
			if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
				fds++;
		closedir(d);
		metrics_one(f, "process_open_fds", "gauge", "Number of open file descriptors", fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		metrics_one(f, "process_max_fds", "gauge",
			    "Maximum number of open file descriptors",
			    rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur);
}

/* ---- writing it ------------------------------------------------------------------------------ */

static void metrics_stream_free(void *cls)
{
	struct metrics_stream *s = cls;

	if (!s)
		return;
	if (s->w)
		s->w->metrics_streams--;
	free(s->head);
	free(s->labels);
	free(s->objs[0]);
	free(s->objs[1]);
	free(s->line);
	free(s);
}

/* Writes v in decimal at p; returns the digits written. */
static size_t metrics_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* Makes s->line the next line of the objects' families; false when there is none. */
static bool metrics_next_line(struct metrics_stream *s)
{
	const char *prefix = "";
	int which = 0;
	const struct metrics_field *f;
	const struct metrics_obj *o;
	size_t pl, nl, n = 0;

	s->line_pos = s->line_len = 0;
	for (;;) {
		f = metrics_family(s->family, &prefix, &which);
		if (!f)
			return false;
		if (s->obj == SIZE_MAX || s->obj < s->nobjs[which])
			break;
		s->family++; /* this one is written: its HELP and TYPE next */
		s->obj = SIZE_MAX;
	}
	if (s->obj == SIZE_MAX) {
		int len = snprintf(s->line, s->line_cap, "# HELP %s%s %s\n# TYPE %s%s %s\n", prefix,
				   f->name, f->help, prefix, f->name, f->type);

		s->line_len = len < 0                     ? 0
			      : (size_t)len < s->line_cap ? (size_t)len
							  : s->line_cap - 1;
		s->obj = 0;
		return true;
	}
	o = &s->objs[which][s->obj++];
	pl = strlen(prefix);
	nl = strlen(f->name);
	memcpy(s->line, prefix, pl);
	n += pl;
	memcpy(s->line + n, f->name, nl);
	n += nl;
	s->line[n++] = '{';
	memcpy(s->line + n, s->labels + o->at, o->len);
	n += o->len;
	s->line[n++] = '}';
	s->line[n++] = ' ';
	n += metrics_u64(s->line + n, o->v[f->v]);
	s->line[n++] = '\n';
	s->line_len = n;
	return true;
}

/* Fills buf with up to max bytes of what is left; 0 at the end. */
static size_t metrics_stream_fill(struct metrics_stream *s, char *buf, size_t max)
{
	size_t used = 0;

	while (used < max) {
		size_t n;

		if (s->head_pos < s->head_len) {
			n = s->head_len - s->head_pos < max - used ? s->head_len - s->head_pos
								   : max - used;
			memcpy(buf + used, s->head + s->head_pos, n);
			s->head_pos += n;
			used += n;
			continue;
		}
		if (s->line_pos >= s->line_len && !metrics_next_line(s))
			break;
		n = s->line_len - s->line_pos < max - used ? s->line_len - s->line_pos : max - used;
		memcpy(buf + used, s->line + s->line_pos, n);
		s->line_pos += n;
		used += n;
	}
	return used;
}

/* Reads everything the answer shows, now: the small families' text, the objects' snapshot. */
static int metrics_stream_new(struct web *w, struct metrics_stream **out)
{
	struct metrics_stream *s = calloc(1, sizeof(*s));
	struct status_daemon st;
	struct status_cluster cl;
	FILE *f;
	int rc = -ENOMEM;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->obj = SIZE_MAX;
	memset(&st, 0, sizeof(st));
	if (w->p.status)
		w->p.status(w->p.status_arg, &st);
	web_cluster_get_status(w, &cl);
	f = open_memstream(&s->head, &s->head_len);
	if (!f)
		goto fail;
	metrics_daemon(w, f, &st);
	metrics_cluster(f, &cl);
	metrics_loop(f, &st.loop);
	metrics_checks(f, &st.checks);
	metrics_requests(w, f);
	metrics_process(f);
	rc = ferror(f) ? -ENOMEM : 0;
	if (fclose(f) != 0)
		rc = -ENOMEM;
	if (rc == 0)
		rc = metrics_snapshot(w, s, &st);
	if (rc != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	metrics_stream_free(s);
	return rc;
}

int web_metrics_render(struct web *w, char **text, size_t *len)
{
	struct metrics_stream *s;
	char *buf = NULL;
	size_t used = 0, cap = 0, n;
	int rc = metrics_stream_new(w, &s);

	*text = NULL;
	*len = 0;
	if (rc != 0)
		return rc;
	do {
		if (cap - used < 65536) {
			char *more = realloc(buf, cap * 2 + 65536 + 1);

			if (!more) {
				free(buf);
				metrics_stream_free(s);
				return -ENOMEM;
			}
			buf = more;
			cap = cap * 2 + 65536;
		}
		n = metrics_stream_fill(s, buf + used, cap - used);
		used += n;
	} while (n);
	buf[used] = '\0';
	metrics_stream_free(s);
	*text = buf;
	*len = used;
	return 0;
}

/* ---- the route -------------------------------------------------------------------------------- */

/* MHD asks for the next piece: as much as max holds, or the end. */
static ssize_t metrics_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	size_t n = metrics_stream_fill(cls, buf, max);

	(void)pos;
	return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

enum MHD_Result web_metrics_get(struct web_req *r)
{
	struct metrics_stream *s;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->w->metrics_streams >= METRICS_STREAMS_MAX)
		return web_reply_error(
		    r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL,
		    "%d answers of /metrics are being written already: try again "
		    "when one is done",
		    METRICS_STREAMS_MAX);
	if (metrics_stream_new(r->w, &s) != 0)
		return web_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL,
				       "out of memory");
	s->w = r->w;
	r->w->metrics_streams++;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, METRICS_BLOCK, metrics_read, s,
						 metrics_stream_free);
	if (!resp) {
		metrics_stream_free(s);
		return web_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL,
				       "out of memory");
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT_TYPE);
	ret = web_reply_queue(r, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}
