/* fulcrumctl's transports: the API's operations, over HTTP or on the database, in its JSON form. */
#ifndef FULCRUM_CTL_TRANSPORT_H
#define FULCRUM_CTL_TRANSPORT_H

#include "controller/config/config_io.h"
#include "controller/model/model-t.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a script can tell apart, the same over HTTP and on the database. */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_REFUSED = 1, /* refused: the message says which field and why */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_SERVER = 3, /* the database, the server or the network failed */
};

/* Why an operation failed, as the API words it, whichever transport ran it. */
struct ctl_transport_err {
	/* CTL_EXIT_REFUSED (invalid, not found, conflict, not allowed) or CTL_EXIT_SERVER */
	enum ctl_exit exit;
	char field[48];    /* the field at fault ("weight"), or "" */
	char message[512]; /* "real server weight: 70000 is outside 0..65535" */
	char hint[160];    /* what to do about it, or "" */
};

struct ctl_transport;

/*
 * The operations of fulcrumd's API, each with the JSON its route takes and
 * answers (web/openapi.json): the HTTP transport (ctl_http.h) sends them to
 * fulcrumd, the local one (ctl_local.h) runs them on the database through
 * the core's write path, so that the model validates both the same way.
 *
 * Every operation returns 0 with its results, or a negative errno with err
 * filled and its results untouched: -EINVAL invalid, -ENOENT not found,
 * -EEXIST conflict, -EACCES not allowed (all CTL_EXIT_REFUSED), -EIO,
 * -EPROTO or the db layer's errno when the server, the network or the
 * storage failed, -ENOMEM (CTL_EXIT_SERVER). err->exit, not the errno,
 * decides the exit status. JSON handed back through out is the caller's
 * (json_decref); bodies stay the caller's. revision receives the revision a
 * write made, or -1 when the transport was not told.
 *
 * Objects carry what the API adds to the model's form: "status" (kernel
 * and operational state, a real server's health, whether this director holds
 * a VIP; with --db each state is "unknown", a VIP's "held" null, and its
 * reason says why, there being no daemon to ask) and, for a service,
 * "reals_total".
 */
struct ctl_transport_ops {
	/* GET services: {"revision", "services": [...]}, ordered by id */
	int (*services_list)(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err);
	/* GET services/{id}/reals: {"revision", "reals": [...]}, ordered by id */
	int (*reals_list)(struct ctl_transport *t, int64_t service_id, json_t **out,
			  struct ctl_transport_err *err);
	/* GET vips: {"revision", "vips": [...]}, ordered by id */
	int (*vips_list)(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err);
	/* GET services/{id}, reals/{id} or vips/{id}: the object of kind */
	int (*get)(struct ctl_transport *t, enum fulcrum_kind kind, int64_t id, json_t **out,
		   struct ctl_transport_err *err);
	/* POST services: body is a service ("name" and its fields); out the service made */
	int (*service_create)(struct ctl_transport *t, const json_t *body, json_t **out,
			      int64_t *revision, struct ctl_transport_err *err);
	/* POST services/{id}/reals */
	int (*real_create)(struct ctl_transport *t, int64_t service_id, const json_t *body,
			   json_t **out, int64_t *revision, struct ctl_transport_err *err);
	/* POST vips: body is a VIP ("address", "interface" and its other fields) */
	int (*vip_create)(struct ctl_transport *t, const json_t *body, json_t **out,
			  int64_t *revision, struct ctl_transport_err *err);
	/* PATCH services/{id}, reals/{id} or vips/{id}: the fields of body change, the rest
	 * stays; out the object as stored */
	int (*patch)(struct ctl_transport *t, enum fulcrum_kind kind, int64_t id,
		     const json_t *body, json_t **out, int64_t *revision,
		     struct ctl_transport_err *err);
	/* DELETE services/{id} (with its real servers), reals/{id} or vips/{id} */
	int (*del)(struct ctl_transport *t, enum fulcrum_kind kind, int64_t id, int64_t *revision,
		   struct ctl_transport_err *err);
	/*
	 * GET changes?since=: a page of the change log after revision since,
	 * {"changes": [...], "next_since", "more", "revision"}; while "more" is
	 * true the next page starts after "next_since".
	 */
	int (*changes_page)(struct ctl_transport *t, int64_t since, json_t **out,
			    struct ctl_transport_err *err);
	/* GET status: the daemon's (with --db: the database's) */
	int (*status)(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err);
	/*
	 * GET cluster: the failover state, {"enabled", "role", "term", "peer",
	 * ..., "history"}. With --db only what the database keeps: {"live":
	 * false, "database", "history"} (the role history, newest first); the
	 * role, the peer and the counters are the running fulcrumd's.
	 */
	int (*cluster_get)(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err);
	/*
	 * POST cluster/switchover {"force"} and cluster/maintenance {"on"}:
	 * {"result", "reason", "cluster"} once the engine did it; a refusal is
	 * CTL_EXIT_REFUSED with the engine's reason. NULL with --db: only the
	 * running fulcrumd's failover engine can.
	 */
	int (*cluster_switchover)(struct ctl_transport *t, bool force, json_t **out,
				  struct ctl_transport_err *err);
	int (*cluster_maintenance)(struct ctl_transport *t, bool on, json_t **out,
				   struct ctl_transport_err *err);
	/*
	 * API tokens exist only on the database, so that only the director's own
	 * administrator makes them: NULL over HTTP. token_create writes the new
	 * token (shown only this once) to buf, len bytes; role is its name
	 * (viewer, operator, admin). token_list: {"tokens": [{"id", "name",
	 * "role", "created"}]}.
	 */
	int (*token_create)(struct ctl_transport *t, const char *name, const char *role, char *buf,
			    size_t len, struct ctl_transport_err *err);
	int (*token_list)(struct ctl_transport *t, json_t **out, struct ctl_transport_err *err);
	int (*token_delete)(struct ctl_transport *t, const char *name,
			    struct ctl_transport_err *err);
	/*
	 * GET config: the whole configuration as one document of fmt (XML or
	 * JSON, config_io.h), *text malloc'ed (the caller frees it), *revision
	 * the revision it is of.
	 */
	int (*config_get)(struct ctl_transport *t, enum config_format fmt, char **text, size_t *len,
			  int64_t *revision, struct ctl_transport_err *err);
	/*
	 * PUT config?dry_run=&prune=: applies text (XML or JSON, by its first
	 * byte) as the desired state, one command (config_apply.h). *out gets
	 * the result (config_apply_json()'s form) when the apply ran, also when
	 * it was refused for the file's errors (then -EINVAL, err the first).
	 */
	int (*config_put)(struct ctl_transport *t, const char *text, size_t len, bool dry_run,
			  bool prune, json_t **out, struct ctl_transport_err *err);
	/* Closes the transport and frees it. */
	void (*free)(struct ctl_transport *t);
};

/* A transport: implementations put it first in their own struct. */
struct ctl_transport {
	const struct ctl_transport_ops *ops;
};

/* Closes and frees t; accepts NULL. */
void ctl_transport_free(struct ctl_transport *t);

/*
 * Fills err (exit, field, which may be NULL, and the message; no hint) and
 * returns rc, a negative errno, so that a failure is one line.
 */
int ctl_transport_err_set(struct ctl_transport_err *err, int rc, enum ctl_exit exit,
			  const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
