/* Inside the web module: the server, one request, and what route handlers share. */
#ifndef FULCRUM_WEB_INT_H
#define FULCRUM_WEB_INT_H

#include "web/web.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define WEB_API_PREFIX "/api/v1/"

/* Prometheus's path (web_metrics.c), outside the API's prefix as scrapers expect it. */
#define WEB_METRICS_PATH "/metrics"

/* Methods the request counters tell apart: enum web_method's five, and the rest. */
#define WEB_METHODS_COUNTED 6

/* Says whether a committed write's answer waited for the standby (docs/ha.md, "Commit modes"). */
#define WEB_REPLICATED_HEADER "Fulcrum-Replicated"

struct event;
struct web_ackgroup;
struct web_cluster_cmd;
struct web_conn;
struct web_events;
struct web_write;

/* The running server. */
struct web {
	struct web_params p;
	struct MHD_Daemon *mhd;
	struct event *mhd_ev;    /* MHD's epoll fd is readable: run it */
	struct event *mhd_timer; /* MHD's next timeout */
	struct event *sweep;     /* closes connections past their deadline */
	struct web_conn *conns;  /* every open connection */
	struct web_events *events;
	struct web_write *group_head, *group_tail; /* writes waiting for the next group commit */
	struct web_cluster_cmd *cluster_cmds;      /* failover commands the engine owes an answer */
	struct event *group_ev;                    /* runs them, as soon as the loop turns */
	struct web_ackgroup *ack_groups; /* committed groups waiting for the standby (sync) */
	struct event *ack_timer;         /* the oldest's timeout: ackwait_dispatch() */
	char *tls_cert, *tls_key;        /* PEM text, kept while MHD runs */
	char web_root[4096];
	struct {
		int64_t revision; /* GET services' answer as built for this revision... */
		char key[300];    /* ... and this IPVS and kernel state (the objects' status) */
		char *text;
		size_t len;
	} services_cache;
	size_t max_body;
	unsigned timeout; /* seconds */
	/* answers queued, by method (enum web_method, then any other) and class 2xx..5xx */
	uint64_t requests[WEB_METHODS_COUNTED][4];
	/* metrics_allow: the one address that may GET /metrics without a token */
	struct sockaddr_storage metrics_allow;
	bool metrics_allow_set;
	unsigned metrics_streams; /* answers of GET /metrics being written (web_metrics.c) */
	bool run_failed;          /* MHD_run failed last time (logged once) */
	bool woken;               /* web_wake() was called since MHD last ran */
};

enum web_method {
	WEB_GET = 0,
	WEB_POST,
	WEB_PATCH,
	WEB_DELETE,
	WEB_PUT,
};

/* The methods' names, in enum web_method's order, then "other" (the request counters' last row). */
extern const char *const web_method_names[WEB_METHODS_COUNTED];

struct web_req;

/* Answers a request whose body, if any, has arrived whole; returns what MHD_queue_response did. */
typedef enum MHD_Result (*web_handler_fn)(struct web_req *r);

/* One request being answered. */
struct web_req {
	struct web *w;
	struct MHD_Connection *conn;
	struct web_conn *wc; /* its connection's deadline; NULL if untracked */
	const char *method_name, *url;
	enum web_method method;
	web_handler_fn fn;
	int64_t id;               /* the {id} in the path; 0 when none */
	struct auth_identity who; /* the token's owner, for API routes but openapi.json */
	bool replied;             /* a response is queued */
	bool held;                /* suspended by web_suspend(), not yet called again */
	const char *gone;         /* why the answer cannot be sent (MHD ended the request) */
	bool has_if_match;        /* If-Match was sent ... */
	bool if_match_any;        /* ... as "*" */
	int64_t if_revision;      /* ... naming this revision (-1: none we could ever have) */
	char *body;               /* NUL-terminated, body_len bytes; NULL without one */
	size_t body_len, body_cap;
	struct web_write *write; /* a write of the model: queued, then done; freed with r */
	struct web_cluster_cmd
	    *cluster;     /* a failover command waiting for the engine (web_cluster.c) */
	int64_t etag_rev; /* the ETag's revision when not the store's (a write's own) */
};

/*
 * A write of the model (web_write.c), from the moment its request is whole
 * and checked to its answer: queued, run in a group commit (web_group.c) with
 * the writes waiting beside it, then answered.
 */
struct web_write {
	struct web_write *next; /* in the web's queue */
	struct web_req *r;
	struct store_write sw; /* the write and, once done, its outcome */
	struct command_actor actor;
	web_handler_fn answer; /* replies once done */
	bool done;             /* the group ran (or the server stops): answer may reply */
	/* Fulcrum-Replicated's value: standby, alone, async or none; NULL: no header */
	const char *replicated;
	/* what the route's write needs, and what it leaves for the answer */
	json_t *body; /* a PATCH's fields: applied to the object as it stands in the group */
	enum fulcrum_kind kind; /* what a PATCH changes: vs, rs or vip below */
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	struct fulcrum_vip vip;
	struct fulcrum_rs *reals; /* of a new service, nreals of them */
	size_t nreals;
	const char *const *operator_fields; /* what an operator may change (PATCH) */
	char forbidden[48];                 /* the field an operator may not change: 403 */
	bool unchanged;                     /* a PATCH that left the object as it was */
	void *extra;                        /* a route's own state (web_config.c's apply) ... */
	void (*extra_free)(void *);         /* ... freed with the write */
};

/*
 * Gives r a write that runs fn in its group and is answered by answer
 * (web_write.c). NULL when memory runs out (then it has replied 500).
 */
struct web_write *web_write_new(struct web_req *r, command_txn_fn fn, web_handler_fn answer);

/*
 * Replies. Each queues a response on r's connection with the headers every
 * answer carries (ETag: "REVISION" of the store, or r->etag_rev when set: a
 * write's answer names its own revision; Cache-Control: no-store,
 * X-Content-Type-Options: nosniff) and returns MHD_queue_response's result
 * (MHD_NO closes the connection), and a committed write's answer
 * Fulcrum-Replicated (r->write->replicated). None may be called twice for one
 * request.
 *
 * web_reply_json() steals body (NULL: out of memory, answered as 500).
 * web_reply_error() answers {"error": {"code", "message", "field"}}; field may
 * be NULL. web_reply_err() maps a fulcrum_err's status through the one table
 * (422 invalid, 409 conflict, 404 not_found, 412 stale, 500 internal).
 * web_reply_created() answers 201 with Location and the object made.
 * web_reply_queue() queues resp (not freed: the caller destroys it) with
 * status after adding the common headers. Once MHD ended the request
 * (r->gone) nothing is queued: the log says what was not sent, and why.
 *
 * web_reply_error_response() builds (does not queue) an error answer, for
 * callers that add headers of their own (Allow, WWW-Authenticate); NULL when
 * memory runs out. The caller queues and destroys it.
 */
enum MHD_Result web_reply_json(struct web_req *r, unsigned status, json_t *body);
enum MHD_Result web_reply_error(struct web_req *r, unsigned status, const char *code,
				const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
enum MHD_Result web_reply_err(struct web_req *r, const struct fulcrum_err *err);
enum MHD_Result web_reply_created(struct web_req *r, const char *location, json_t *body);
enum MHD_Result web_reply_empty(struct web_req *r, unsigned status);
struct MHD_Response *web_reply_error_response(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
enum MHD_Result web_reply_queue(struct web_req *r, unsigned status, struct MHD_Response *resp);

/*
 * Ends a connection's deadline for sending its request (a reply or a stream is
 * under way: MHD's idle timeout governs from here). Accepts NULL (untracked).
 */
void web_conn_clear(struct web_conn *wc);

/*
 * Suspends r's connection, whose request is whole, until its answer is ready:
 * the caller resumes it (MHD_resume_connection(), web_wake()) and MHD calls
 * the handler again, before it reads the socket (a client may have shut its
 * sending side down). No deadline applies meanwhile.
 */
void web_suspend(struct web_req *r);

/*
 * Makes MHD run in the loop's next turn: after MHD_resume_connection(), which
 * wakes nothing by itself (libmicrohttpd drops its wake-up channel when the
 * application runs the polling).
 */
void web_wake(struct web *w);

/*
 * Queues r's write (r->write, filled by its route) for the next group commit
 * and suspends r's connection until it is done; the group runs as soon as the
 * loop turns, never after a timer. Returns MHD_YES.
 */
enum MHD_Result web_group_add(struct web_req *r);

/* The event that runs the queued writes (freed with event_free()); NULL when memory runs out. */
struct event *web_group_event_new(struct web *w);

/* Makes the queued writes run as soon as the loop turns, when there are any. */
void web_group_schedule(struct web *w);

/* The timer of the groups waiting for the standby (freed with event_free()); NULL: no memory. */
struct event *web_group_ack_timer_new(struct web *w);

/*
 * Answers every queued write with 503 (nothing of it written), and every
 * committed group still waiting for the standby as it stands (without the
 * standby's acknowledgement), and resumes their connections: before MHD
 * stops, none may stay suspended.
 */
void web_group_close(struct web *w);

/* Frees a write and what it holds; accepts NULL. */
void web_write_free(struct web_write *wr);

/*
 * The first call for a request, with its headers: finds the handler of its
 * method and path (r->fn), checks the token and its role, the headers about
 * the body (allocating r->body) and If-Match. Anything wrong is answered at
 * once (404, 405, 401, 403, 411, 413, 414, 415, 400), before any body is read.
 * Returns what queueing did (MHD_NO closes the connection).
 */
enum MHD_Result web_req_begin(struct web_req *r);

/*
 * The If-Match precondition of a write: true when there is none, it is "*",
 * or it names the store's current revision. Otherwise it replies 412 (stale)
 * and returns false.
 */
bool web_req_precondition(struct web_req *r);

/*
 * Parses r's body as a JSON object into *out (the caller decrefs it). On
 * failure it replies (400 malformed or missing, 422 naming the field for a
 * number beyond 64 bits) and returns false.
 */
bool web_req_json(struct web_req *r, json_t **out);

/* The route handlers of the model that read (web_api.c). */
enum MHD_Result web_api_services_list(struct web_req *r);
enum MHD_Result web_api_service_get(struct web_req *r);
enum MHD_Result web_api_service_reset(struct web_req *r);
enum MHD_Result web_api_reals_list(struct web_req *r);
enum MHD_Result web_api_real_get(struct web_req *r);
enum MHD_Result web_api_status(struct web_req *r);
enum MHD_Result web_api_vips_list(struct web_req *r);
enum MHD_Result web_api_vip_get(struct web_req *r);

/*
 * An object as the API shows it: its fields, and the status block from
 * reconcile, health and st (web_api_status_get()). NULL when memory runs out.
 */
json_t *web_api_vs_json(struct web_req *r, const struct fulcrum_vs *vs,
			const struct status_daemon *st);
json_t *web_api_rs_json(struct web_req *r, const struct fulcrum_rs *rs,
			const struct status_daemon *st);
/* The same for a real server as the store keeps it. */
json_t *web_api_stored_rs_json(struct web_req *r, const struct fulcrum_rs_stored *rs,
			       const struct status_daemon *st);
void web_api_status_get(struct web_req *r, struct status_daemon *st);
/* A VIP: its fields and "status": {"held", "reason"} from the VIP callback. */
json_t *web_api_vip_json(struct web_req *r, const struct fulcrum_vip *vip);

/*
 * The route handlers of the model that write (web_write.c). Each is called
 * twice: once the request is whole, to check it and queue its write
 * (web_group_add()), and after the group commit, to answer.
 */
enum MHD_Result web_write_services_create(struct web_req *r);
enum MHD_Result web_write_service_patch(struct web_req *r);
enum MHD_Result web_write_service_delete(struct web_req *r);
enum MHD_Result web_write_reals_create(struct web_req *r);
enum MHD_Result web_write_real_patch(struct web_req *r);
enum MHD_Result web_write_real_delete(struct web_req *r);
enum MHD_Result web_write_vips_create(struct web_req *r);
enum MHD_Result web_write_vip_patch(struct web_req *r);
enum MHD_Result web_write_vip_delete(struct web_req *r);

/* GET and PUT /api/v1/config: the configuration as one document (web_config.c). */
enum MHD_Result web_config_get(struct web_req *r);
enum MHD_Result web_config_put(struct web_req *r);

/*
 * The change log and the event stream (web_events.c). web_events_new()
 * subscribes to the store: returns 0 or -ENOMEM. web_events_close() ends every
 * stream (before MHD stops: none may stay suspended); web_events_free() frees
 * what is left, after MHD stopped; both accept NULL.
 */
int web_events_new(struct web *w, struct web_events **out);
void web_events_close(struct web_events *ev);
void web_events_free(struct web_events *ev);
enum MHD_Result web_events_changes(struct web_req *r);
enum MHD_Result web_events_stream(struct web_req *r);
/* Sends "event: TYPE" with json (one line), no id, to every open stream. */
void web_events_send(struct web_events *ev, const char *type, const char *json);
/* Whether any stream is open. */
bool web_events_listening(const struct web_events *ev);

/*
 * Failover (web_cluster.c). GET cluster; POST cluster/switchover ({"force"})
 * and cluster/maintenance ({"on"}), each called twice: first to check the
 * body and ask the engine (the connection is suspended until it answers),
 * then to answer (r->cluster set). web_cluster_ready() says whether r's
 * answer may be built; web_cluster_release() lets go of r's command when r
 * completes (it is freed then, or when the engine answers);
 * web_cluster_close() resumes every request still waiting, to be answered
 * 503, before MHD stops (none may stay suspended).
 */
enum MHD_Result web_cluster_get(struct web_req *r);
enum MHD_Result web_cluster_switchover(struct web_req *r);
enum MHD_Result web_cluster_maintenance(struct web_req *r);
bool web_cluster_ready(const struct web_req *r);
void web_cluster_release(struct web_req *r);
void web_cluster_close(struct web *w);
/* The failover status (a standalone node's when no callback says), and as the API shows it. */
void web_cluster_get_status(struct web *w, struct status_cluster *c);
json_t *web_cluster_json(struct web *w, const struct status_cluster *c);
/* A role change and a peer state change as the API shows them (history, events). */
json_t *web_cluster_change_json(const struct status_role_change *c);
json_t *web_cluster_peer_change_json(const struct status_peer_change *c);

/*
 * GET /metrics (web_metrics.c): the Prometheus text format of fulcrumd's
 * state. web_metrics_render() builds it into *text (malloc'ed, the caller
 * frees it; *len bytes, no NUL counted): 0, or -ENOMEM with *text NULL.
 */
enum MHD_Result web_metrics_get(struct web_req *r);
int web_metrics_render(struct web *w, char **text, size_t *len);

/* GET /api/v1/openapi.json, GET / and GET /static/FILE (web_static.c). */
enum MHD_Result web_static_openapi(struct web_req *r);
enum MHD_Result web_static_index(struct web_req *r);
enum MHD_Result web_static_file(struct web_req *r);

/* The OpenAPI document, embedded from web/openapi.json by web/embed.awk. */
extern const char web_openapi_json[];
extern const size_t web_openapi_json_len;

#endif
