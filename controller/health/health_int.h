/* The health-check engine's insides, shared by controller/health*.c and its unit tests. */
#ifndef FULCRUM_HEALTH_INT_H
#define FULCRUM_HEALTH_INT_H

#include "controller/health/health.h"
#include "controller/lib/idmap.h"

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HEALTH_BODY_MAX   512 /* bytes of a reply's body that expect and expect_regex see */
#define HEALTH_STATUS_MAX 16  /* ranges in one expect_status */

/* What an HTTP check wants back: statuses, then text in the start of the body. */
struct health_expect {
	uint16_t lo[HEALTH_STATUS_MAX], hi[HEALTH_STATUS_MAX];
	unsigned nstatus;
	const char *status_text; /* as configured, for reasons */
	const char *substring;   /* "": none */
	const char *regex_text;  /* "": none */
	bool has_regex;
	regex_t regex;
};

/*
 * Parses status ("200-299,301"; "" means 200) and compiles regex (POSIX
 * extended, no subexpressions) into e. The strings must outlive e. Returns 0,
 * or -EINVAL with why (e.g. "expect_status '2xx' ...") in err; e then needs
 * no health_expect_fini().
 */
int health_expect_init(struct health_expect *e, const char *status, const char *substring,
		       const char *regex, char *err, size_t errlen);
void health_expect_fini(struct health_expect *e);

/* True when status is one e accepts; otherwise why gets "status 503, expected 200". */
bool health_expect_status(const struct health_expect *e, long status, char *why, size_t whylen);

/*
 * True when the first HEALTH_BODY_MAX bytes of body[0..len) hold e's substring
 * and match its regex (each when set); otherwise why gets what was missing.
 */
bool health_expect_body(const struct health_expect *e, const char *body, size_t len, char *why,
			size_t whylen);

/*
 * The rise/fall rule: applies one result (ok, and its reason) to st at time
 * now. successes counts consecutive successes, st->failures consecutive
 * failures. Returns true when st->state changed.
 */
bool health_state_step(struct health_state *st, uint32_t *successes, bool ok, const char *reason,
		       uint32_t rise, uint32_t fall, time_t now);

struct hl_easy;
struct hl_child;
struct hl_http;

/* One distinct check, shared by every target that asks exactly it. */
struct hl_probe {
	struct health *owner;
	struct hl_probe *hnext;       /* in health.buckets */
	struct hl_probe *prev, *next; /* in health.probes */
	uint64_t hash;
	unsigned char *key; /* everything that makes two checks the same */
	size_t keylen;
	/* the settings, decoded from key (strings point into it) */
	enum fulcrum_check_type type;
	struct fulcrum_addr addr;
	uint16_t port;
	uint32_t interval, timeout, rise, fall; /* seconds; counts */
	bool head, verify_tls;
	const char *path, *host, *command;
	struct health_expect expect;
	bool has_expect;
	char *config_error; /* the check cannot run as set: each run fails with this */
	/* the result */
	struct health_state state;
	uint32_t successes;
	/* the schedule and the run in flight */
	struct event *timer;
	int64_t due_ms; /* monotonic */
	int64_t started_us;
	bool running;
	union {
		struct {
			int fd;
			struct event *ev;
		} tcp;
		struct hl_easy *http;
		struct hl_child *ext;
	} run;
	/* the targets that share it */
	int64_t *members;
	size_t nmembers, cap; /* cap: room in members */
	/* health_set_targets()'s and health_update_targets()'s bookkeeping */
	int64_t *newm;
	size_t nnew, fill;
	bool mark, fresh, listed;
};

struct health {
	struct event_base *base;
	struct idmap rs;           /* rs_id -> struct hl_probe * (&none for type none) */
	struct hl_probe **buckets; /* probes by key hash; nbuckets is a power of two */
	size_t nbuckets;
	struct hl_probe *probes; /* every probe but none */
	struct hl_probe none;
	struct hook change_hook; /* subscribers of state changes */
	struct health_totals totals;
	struct hl_http *http;
	struct hl_child *children; /* external commands running, or killed and not reaped yet */
	/* for tests and tools: told of every result, after the subscribers */
	void (*result_hook)(void *arg, const struct hl_probe *p);
	void *result_arg;
};

/*
 * Reports the end of p's run: applies the result, counts it, tells the
 * subscribers. Each run started calls it exactly once, unless cancelled.
 */
void health_probe_done(struct health *h, struct hl_probe *p, bool ok, const char *reason);

/* Each type starts a run of p (its result comes through health_probe_done), or cancels it. */
void health_tcp_start(struct health *h, struct hl_probe *p);
void health_tcp_cancel(struct hl_probe *p);

int health_http_new(struct health *h); /* 0 or -ENOMEM */
void health_http_free(struct health *h);
void health_http_start(struct health *h, struct hl_probe *p);
void health_http_cancel(struct health *h, struct hl_probe *p);

void health_ext_start(struct health *h, struct hl_probe *p);
void health_ext_cancel(struct health *h, struct hl_probe *p); /* kills it; reaped later */
void health_ext_free(struct health *h);                       /* kills and reaps every child */

/* Formats p's address as text ("192.0.2.1", "2001:db8::1") into buf. */
const char *health_addr_text(const struct hl_probe *p, char *buf, size_t len);

/* Publishes that real server rs_id's state is now state. */
void health_tell(struct health *h, int64_t rs_id, const struct health_state *state);

/* The probe rs_id uses, or NULL: for tests. */
struct hl_probe *health_probe_of(const struct health *h, int64_t rs_id);

#endif
