/* Replication: the active streams every committed revision to the standby over TLS, the standby commits and acknowledges. */
#ifndef FULCRUM_REPL_H
#define FULCRUM_REPL_H

#include "controller/core/ackwait.h"
#include "controller/core/status.h"
#include "controller/ha/ha_keys.h"
#include "controller/lib/hook.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * docs/ha.md, "Replication". One thread per director owns the TCP socket,
 * the TLS session (GnuTLS, pre-shared keys derived from the cluster's key
 * file) and a database connection of its own (reads of the change log, the
 * history hashes). The main loop keeps the store: the standby's revisions
 * are committed there (store_replay()), and the commit event tells the
 * thread when the active has a new revision to send.
 *
 * The active listens; every other role of a pair connects to the peer. The
 * connecting side says which revision it holds and the hashes of its newest
 * revisions' rows (HELLO); the active answers from the newest revision both
 * share: the revisions after it, in order, each acknowledged once the standby
 * committed it durably. Commit mode sync: while the standby is in sync the
 * API's and SNMP's answers wait for its acknowledgement (ackwait.h).
 */
struct event_base;
struct store;
struct repl;

/*
 * The changes of state an operator hears of (status_repl_notable(): to
 * alone, diverged, refused, and back to in_sync), made on the thread and
 * published on the main loop, in order.
 */
HOOK_DECLARE(repl_state_hook, struct status_repl_change)

struct repl_params {
	struct event_base *base;       /* the main loop */
	struct store *store;           /* the main loop's */
	struct ackwait *aw;            /* commit mode sync's barrier; NULL: async */
	const char *db_path;           /* the thread opens its own connection */
	const char *node;              /* this node's name */
	const char *cluster;           /* ha_cluster: in the TLS identity and the HELLO */
	const struct ha_keys *keys;    /* the PSKs are derived at once; keys may go after */
	const struct sockaddr *listen; /* where the active listens (port set) */
	socklen_t listen_len;
	const struct sockaddr *peer; /* where the peer listens (port set) */
	socklen_t peer_len;
	unsigned long retention; /* the change log keeps this many revisions; 0: all */
	int schema; /* the database schema this node speaks; 0: db_schema_version() (tests: another) */
	/*
	 * A revision whose message would be larger goes to the standby as a
	 * snapshot instead; 0: REPL_FRAME_MAX, the largest message (tests: less).
	 */
	size_t rev_max;
	/*
	 * A side that sent nothing for ping_ms sends a ping; a peer that sent
	 * nothing for silent_ms while this side was reading is gone. 0: 1,000
	 * and 5,000 ms (tests: less).
	 */
	int ping_ms, silent_ms;
};

/*
 * Derives the keys, opens the database connection and the listening socket,
 * starts the thread (role STARTING: it neither serves nor connects until
 * repl_role_set()). Returns 0 and *out, or a negative errno with err saying
 * what failed (a port in use names the port).
 */
int repl_new(const struct repl_params *p, struct repl **out, char *err, size_t errlen);

/* Stops the thread, closes, wipes the keys. Accepts NULL. */
void repl_free(struct repl *r);

/* The failover role now (main thread): ACTIVE serves, any other role of a pair follows. */
void repl_role_set(struct repl *r, enum status_role role);

/*
 * What the failover engine last heard of the peer (main thread, every
 * second): a follower connects only to a peer that is alive and active, so
 * two followers never wait on each other; until told, it tries.
 */
void repl_peer_set(struct repl *r, bool alive, enum status_role role);

/* Subscribes to the notable state changes (main thread); 0 or -ENOMEM. */
int repl_state_subscribe(struct repl *r, repl_state_hook_fn fn, void *arg);

/* A copy of the state (any thread). */
void repl_status(struct repl *r, struct status_repl *out);

/*
 * A write's wait for the standby to acknowledge revision ended with
 * repl_sync_timeout (ackwait's on_alone, on the loop's thread): the active's
 * state says alone, with that revision, until the standby acknowledges again.
 */
void repl_sync_timed_out(struct repl *r, int64_t revision);

#endif
