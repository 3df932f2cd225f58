/* Replication's engine: its thread (socket, TLS, the change log), and its half in the main loop (store_replay()). */
#include "controller/ha/repl.h"

#include "controller/core/snapshot.h"
#include "controller/core/store.h"
#include "controller/ha/repl_msg.h"
#include "controller/lib/log.h"
#include "controller/lib/looplag.h"
#include "controller/model/model.h"
#include "db/db.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEY_IDS        256
#define PSK_BYTES      32
#define PING_MS        1000  /* a side that sent nothing this long sends a ping (default) */
#define SILENT_MS      5000  /* a peer heard nothing from this long is gone (default) */
#define RETRY_MS       1000  /* between connection attempts */
#define REFUSED_MS     10000 /* between attempts after a refusal (a wrong key, cluster, schema) */
#define REFUSAL_LOG_MS 60000 /* the same refusal logged again at most this often */
#define HANDSHAKE_MS   3000  /* a TLS handshake and HELLO take at most this */
#define SEND_MS        5000  /* the peer took nothing and said nothing this long: it is gone */
#define READ_AHEAD     (1u << 20) /* bytes read ahead of the frames handled, at most */
#define INFLIGHT_MAX   4096       /* revisions sent and not acknowledged, at most */
#define READ_ROWS      5000       /* change-log rows read at a time */
#define DIGEST_MS      10000      /* a quiet pair compares digests at a new revision after this */
#define DIGEST_AGAIN_MS                                                                            \
	600000             /* the same revision again after this: 1-2 s of CPU at 100,000 objects */
#define SIDE_MS      1000  /* the active looks for new tokens and switches this often */
#define PRUNE_MS     60000 /* the change log is pruned this often, and as it grows: */
#define PRUNE_GROWTH 8     /* when retention / 8 revisions (at least 1) came since the last */
#define RECENT_DENSE 16    /* HELLO: the newest revisions' hashes, then every power of two back */
#define PENDING_MAX  4096  /* commit times kept of revisions the standby has not acknowledged */
#define LAG_SAMPLES  1024  /* acknowledged revisions whose lag the status sums up */
#define TOLD_MAX     16    /* notable state changes waiting for the main loop, at most */
#define PRIORITY     "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-PSK:+DHE-PSK"

/* One revision received, waiting for the main loop to commit it. */
struct repl_item {
	struct command_replay r;
	struct fulcrum_change *rows;
};

struct repl {
	/* set once */
	struct event_base *base;
	struct store *st;
	struct ackwait *aw;
	char db_path[4096], node[65], cluster[65];
	struct sockaddr_storage peer;
	socklen_t peer_len;
	unsigned char *psk; /* KEY_IDS * PSK_BYTES, sodium_malloc'ed; a key id's row */
	bool have[KEY_IDS];
	unsigned send_id;
	gnutls_psk_server_credentials_t scred;
	pthread_t thread;
	bool started;
	int efd;      /* wakes the thread */
	int loop_efd; /* wakes the main loop */
	struct event *loop_ev;

	pthread_mutex_t lock; /* the shared part */
	enum status_role role;
	bool stop;
	bool peer_known, peer_alive; /* as the failover engine last heard the peer */
	enum status_role peer_role;
	int64_t latest;  /* main loop: the newest committed revision here */
	int64_t applied; /* main loop (follower): the newest revision committed from the peer */
	int apply_rc;    /* main loop: the last replay's failure, 0 */
	char apply_err[256];
	struct repl_item *queue;
	size_t nq, capq;
	struct status_repl status;
	enum status_repl_state
	    told; /* the last state published as notable (status_repl_notable()) */
	struct status_repl_change told_q[TOLD_MAX]; /* published by the main loop, oldest first */
	size_t ntold;
	struct hook state_hook; /* main thread only */

	/* the thread's own */
	struct db *db;
	int lfd, fd;
	gnutls_session_t ses;
	bool tls;
	unsigned char *rbuf;
	size_t rlen, rcap;
	int ended; /* the connection ended behind the bytes rbuf holds: 1 closed, or GnuTLS's error */
	int64_t heard_ms, sent_ms, retry_at;
	bool serving;      /* active: a HELLO was accepted on fd */
	bool following;    /* follower: a welcome was taken on fd */
	int64_t sent_rev;  /* active: the newest revision sent */
	int64_t acked;     /* active: the newest the standby acknowledged; follower: sent */
	int64_t queued;    /* follower: the newest revision received */
	int64_t hello_rev; /* follower: the revision its last HELLO said it holds */
	int64_t oldest_unacked_ms;
	/*
	 * active, shared: when each revision not yet acknowledged was committed
	 * (monotonic µs), oldest first, a ring of at most PENDING_MAX; and how
	 * long each of the last LAG_SAMPLES acknowledged revisions took from its
	 * commit to the standby's acknowledgement (µs, a ring)
	 */
	struct repl_pending {
		int64_t rev, us;
	} pending[PENDING_MAX];
	size_t pending_head, pending_n;
	int64_t lag_us[LAG_SAMPLES];
	size_t lag_next, lag_n;
	char peer_name[65];
	char why[256];            /* the server's PSK callback's refusal */
	char refusal_logged[256]; /* refusal_log()'s last words, and when */
	int64_t refusal_logged_ms;
	struct command_replay *revs; /* READ_ROWS of them: what serve_pump() sends */
	unsigned long retention;
	int schema;     /* the database schema spoken in the HELLO */
	size_t rev_max; /* active: a revision whose message is larger goes as a snapshot */
	int ping_ms, silent_ms;
	struct snapshot_tick tick;    /* the long walks' keepalive(): a ping when one is due */
	struct snapshot_tick tick_on; /* the same, never stopping the walk */
	int64_t prune_at, digest_at, side_at;
	int64_t pruned_rev;          /* the newest revision when the change log was last pruned */
	int64_t digest_rev;          /* active: the revision last compared */
	char side_sent[65];          /* active: the hash of the tokens and switches last sent */
	struct snapshot_apply *snap; /* follower: a snapshot being applied */
	size_t snap_chunks;
	bool reload_pending; /* shared: the main loop rereads the store whole */
	bool replay_busy; /* shared: the main loop is committing revisions it took from the queue */
	bool reloading;   /* main loop: its own reread after a snapshot is under way */
	bool replaying;   /* main loop: the peer's revisions are being committed */
	int64_t known_rev;   /* main loop (follower): the newest revision replication put here */
	int64_t outside_rev; /* shared (follower): a revision committed here, not from the peer */
	int64_t timed_out;   /* shared (active): a write's wait for revision timed_out ended */
};

static void follow_export(struct repl *r, int64_t common, bool compared);
static void serve_snapshot(struct repl *r);

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wake(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warnx("repl", "cannot wake a thread: %s", strerror(errno));
}

/* ---- state, under the lock ------------------------------------------------ */

/*
 * A change of state, under the lock: logged (at notice when operators hear
 * of it), and a notable one queued for the main loop, which publishes it
 * (repl_on_loop()); true when the loop must be woken.
 */
static bool state_change_locked(struct repl *r, enum status_repl_state s, const char *error)
{
	bool notable;
	struct status_repl_change *c;

	if (error && *error)
		snprintf(r->status.error, sizeof(r->status.error), "%s", error);
	if (r->status.state == s)
		return false;
	notable = status_repl_notable(r->told, s);
	if (notable)
		log_notice("repl", "replication: %s -> %s%s%s",
			   status_repl_state_name(r->status.state), status_repl_state_name(s),
			   error && *error ? ": " : "", error ? error : "");
	else
		log_info("repl", "replication: %s -> %s%s%s",
			 status_repl_state_name(r->status.state), status_repl_state_name(s),
			 error && *error ? ": " : "", error ? error : "");
	r->status.since = wall_ms();
	if (notable) {
		if (r->ntold == TOLD_MAX) { /* the loop is late: the oldest goes */
			memmove(&r->told_q[0], &r->told_q[1],
				(TOLD_MAX - 1) * sizeof(r->told_q[0]));
			r->ntold--;
		}
		c = &r->told_q[r->ntold++];
		memset(c, 0, sizeof(*c));
		c->state = s;
		c->previous = r->status.state;
		c->at = r->status.since;
		snprintf(c->peer, sizeof(c->peer), "%s", r->status.peer);
		if (s != STATUS_REPL_IN_SYNC)
			snprintf(c->reason, sizeof(c->reason), "%s", error ? error : "");
		c->revision = r->status.revision;
		c->peer_revision = r->status.peer_revision;
		c->lag_revisions = r->status.lag_revisions;
		r->told = s;
	}
	r->status.state = s;
	return notable;
}

static void state_set(struct repl *r, enum status_repl_state s, const char *error)
{
	bool notable;

	pthread_mutex_lock(&r->lock);
	notable = state_change_locked(r, s, error);
	pthread_mutex_unlock(&r->lock);
	if (notable)
		wake(r->loop_efd);
}

/*
 * A refusal, either side's, at warning: when its words change, or once in
 * REFUSAL_LOG_MS while they do not (a misconfigured peer keeps retrying;
 * the status counts each refusal).
 */
static void refusal_log(struct repl *r, const char *what, const char *why)
{
	int64_t now = now_ms();

	if (strcmp(r->refusal_logged, why) == 0 && now - r->refusal_logged_ms < REFUSAL_LOG_MS)
		return;
	snprintf(r->refusal_logged, sizeof(r->refusal_logged), "%s", why);
	r->refusal_logged_ms = now;
	log_warnx("repl", "replication: %s%s", what, why);
}

static enum status_role role_of(struct repl *r, bool *stop)
{
	enum status_role role;

	pthread_mutex_lock(&r->lock);
	role = r->role;
	*stop = r->stop;
	pthread_mutex_unlock(&r->lock);
	return role;
}

/* ---- keys ----------------------------------------------------------------- */

/* The PSK of key id: BLAKE2b keyed with the secret over the purpose and the cluster's name. */
static int psk_derive(struct repl *r, const struct ha_keys *k)
{
	static const char purpose[] = "fulcrum replication psk v1";

	if (!(r->psk = sodium_malloc(KEY_IDS * PSK_BYTES)))
		return -ENOMEM;
	for (unsigned id = 1; id < KEY_IDS; id++) {
		const unsigned char *secret;
		unsigned char key[crypto_generichash_KEYBYTES_MAX];
		crypto_generichash_state h;
		size_t len, klen;

		if (ha_keys_get(k, id, &secret, &len) != 0)
			continue;
		klen = len;
		if (len > sizeof(key)) { /* a long secret is hashed down to a key first */
			crypto_generichash(key, 32, secret, len, NULL, 0);
			klen = 32;
		} else {
			memcpy(key, secret, len);
		}
		crypto_generichash_init(&h, key, klen, PSK_BYTES);
		crypto_generichash_update(&h, (const unsigned char *)purpose, sizeof(purpose));
		crypto_generichash_update(&h, (const unsigned char *)r->cluster,
					  strlen(r->cluster) + 1);
		crypto_generichash_final(&h, r->psk + id * PSK_BYTES, PSK_BYTES);
		sodium_memzero(key, sizeof(key));
		r->have[id] = true;
	}
	r->send_id = ha_keys_send_id(k);
	return 0;
}

/* The server's lookup: identity "fulcrum-repl/CLUSTER/ID". */
static int psk_lookup(gnutls_session_t ses, const char *identity, gnutls_datum_t *key)
{
	struct repl *r = gnutls_session_get_ptr(ses);
	char cluster[65];
	unsigned id;
	int n = 0;

	if (sscanf(identity, "fulcrum-repl/%64[^/]/%u%n", cluster, &id, &n) != 2 ||
	    identity[n] != '\0') {
		snprintf(r->why, sizeof(r->why), "a TLS identity that is not Fulcrum's");
		return -1;
	}
	if (strcmp(cluster, r->cluster) != 0) {
		snprintf(r->why, sizeof(r->why), "another cluster's name '%.64s' (this is '%s')",
			 cluster, r->cluster);
		return -1;
	}
	if (id >= KEY_IDS || !r->have[id]) {
		snprintf(r->why, sizeof(r->why), "key %u, which this node's key file lacks", id);
		return -1;
	}
	if (!(key->data = gnutls_malloc(PSK_BYTES)))
		return -1;
	memcpy(key->data, r->psk + id * PSK_BYTES, PSK_BYTES);
	key->size = PSK_BYTES;
	return 0;
}

/* ---- the connection ------------------------------------------------------- */

static void conn_close(struct repl *r, const char *why)
{
	if (r->fd < 0)
		return;
	if (why)
		log_notice("repl", "replication: connection with %s closed: %s",
			   *r->peer_name ? r->peer_name : "the peer", why);
	if (r->tls) {
		gnutls_deinit(r->ses);
		r->tls = false;
	}
	close(r->fd);
	r->fd = -1;
	r->rlen = 0;
	if (r->snap) {
		snapshot_apply_abort(r->snap);
		r->snap = NULL;
	}
	if (r->following) { /* what was received and not committed yet is asked for again */
		pthread_mutex_lock(&r->lock);
		for (size_t i = 0; i < r->nq; i++)
			repl_rev_free(r->queue[i].rows, r->queue[i].r.n);
		r->nq = 0;
		pthread_mutex_unlock(&r->lock);
	}
	r->serving = r->following = false;
	r->ended = 0;
	r->retry_at = now_ms() + RETRY_MS;
	if (r->aw && ackwait_mode(r->aw) == ACKWAIT_SYNC) {
		ackwait_mode_set(r->aw, ACKWAIT_ALONE);
		wake(r->loop_efd);
	}
}

/* TLS writes with MSG_NOSIGNAL: a peer gone is an error to handle, never a SIGPIPE. */
static ssize_t tls_push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	return send((int)(intptr_t)p, buf, len, MSG_NOSIGNAL);
}

static ssize_t tls_pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	return recv((int)(intptr_t)p, buf, len, 0);
}

static int tls_errno(gnutls_transport_ptr_t p)
{
	(void)p;
	return errno;
}

/*
 * Waits until fd is ready for events, the deadline passes, or fulcrumd stops
 * (the wake eventfd with the stop flag): 1 ready, 0 timed out or stopping,
 * or a negative errno.
 */
static int wait_fd(struct repl *r, int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = events},
				      {.fd = r->efd, .events = POLLIN}};
		int64_t left = deadline - now_ms();
		bool stop;
		int n;

		pthread_mutex_lock(&r->lock);
		stop = r->stop;
		pthread_mutex_unlock(&r->lock);
		if (left <= 0 || stop)
			return 0;
		n = poll(p, 2, (int)left);
		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		if (p[0].revents)
			return 1;
		if (p[1].revents) { /* a wake: read it, then look at the stop flag again */
			uint64_t v;

			if (read(r->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				return -errno;
		}
	}
}

/*
 * The TLS handshake on r->fd (non-blocking) within HANDSHAKE_MS: 0, -1 with
 * why, or (server) -2 with why when the client went away in the middle (it
 * closed or reset the connection: a connection it gave up on, queued while
 * this side was busy), which is no refusal of anyone's key.
 */
static int tls_start(struct repl *r, bool server, char *why, size_t len)
{
	gnutls_psk_client_credentials_t ccred = NULL;
	int64_t deadline = now_ms() + HANDSHAKE_MS;
	int rc;

	if (gnutls_init(&r->ses, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK) != 0) {
		snprintf(why, len, "cannot start TLS");
		return -1;
	}
	r->tls = true;
	gnutls_session_set_ptr(r->ses, r);
	if (gnutls_priority_set_direct(r->ses, PRIORITY, NULL) != 0) {
		snprintf(why, len, "TLS priorities refused");
		return -1;
	}
	if (server) {
		gnutls_credentials_set(r->ses, GNUTLS_CRD_PSK, r->scred);
	} else {
		char identity[128];
		gnutls_datum_t key = {r->psk + r->send_id * PSK_BYTES, PSK_BYTES};

		snprintf(identity, sizeof(identity), "fulcrum-repl/%s/%u", r->cluster, r->send_id);
		if (gnutls_psk_allocate_client_credentials(&ccred) != 0 ||
		    gnutls_psk_set_client_credentials(ccred, identity, &key, GNUTLS_PSK_KEY_RAW) !=
			0) {
			snprintf(why, len, "cannot set the TLS key");
			if (ccred)
				gnutls_psk_free_client_credentials(ccred);
			return -1;
		}
		gnutls_credentials_set(r->ses, GNUTLS_CRD_PSK, ccred);
	}
	gnutls_transport_set_ptr(r->ses, (gnutls_transport_ptr_t)(intptr_t)r->fd);
	gnutls_transport_set_push_function(r->ses, tls_push);
	gnutls_transport_set_pull_function(r->ses, tls_pull);
	gnutls_transport_set_errno_function(r->ses, tls_errno);
	r->why[0] = '\0';
	do {
		rc = gnutls_handshake(r->ses);
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
			if (wait_fd(r, r->fd,
				    gnutls_record_get_direction(r->ses) ? POLLOUT : POLLIN,
				    deadline) <= 0) {
				snprintf(why, len, "TLS handshake: no answer within %d ms",
					 HANDSHAKE_MS);
				rc = GNUTLS_E_TIMEDOUT;
				break;
			}
	} while (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED);
	if (ccred) /* the session keeps what it needs: the key is copied at the handshake */
		gnutls_psk_free_client_credentials(ccred);
	if (rc == GNUTLS_E_TIMEDOUT)
		return -1;
	if (server && !*r->why &&
	    (rc == GNUTLS_E_PUSH_ERROR || rc == GNUTLS_E_PULL_ERROR ||
	     rc == GNUTLS_E_PREMATURE_TERMINATION)) {
		snprintf(why, len, "the peer went away during the TLS handshake (%.120s)",
			 gnutls_strerror(rc));
		return -2;
	}
	if (rc < 0) {
		snprintf(why, len, "TLS handshake failed: %.160s%s",
			 *r->why ? r->why : gnutls_strerror(rc),
			 *r->why ? "" : " (not the same key as this node's?)");
		return -1;
	}
	return 0;
}

static int recv_some(struct repl *r);

/*
 * Waits until r->fd takes bytes again, reading what the peer sends
 * meanwhile (into rbuf, handled later): a peer slow to take a large message
 * (a standby applying a snapshot's chunks) that still pings is alive. 0 when
 * writable; -1 with *fail when the peer neither took nor sent anything for
 * SEND_MS since progress (or fulcrumd stops); -1 with *fail NULL when
 * recv_some() closed the connection.
 */
static int send_wait(struct repl *r, int64_t progress, const char **fail)
{
	short events = POLLOUT | POLLIN;

	for (;;) {
		int64_t last = progress > r->heard_ms ? progress : r->heard_ms;
		struct pollfd q = {.fd = r->fd, .events = events};
		size_t had = r->rlen;

		if (wait_fd(r, r->fd, events, last + SEND_MS) <= 0) {
			*fail = "the peer took nothing and said nothing (send timed out)";
			return -1;
		}
		if (poll(&q, 1, 0) < 0 || (q.revents & POLLOUT))
			return 0;
		if (recv_some(r) < 0) {
			*fail = NULL;
			return -1;
		}
		if (r->rlen == had && !(q.revents & (POLLHUP | POLLERR)))
			events = POLLOUT; /* read ahead to its bound: only the send now */
	}
}

/* Sends m (taken) as one frame; 0, or -1 after closing the connection. */
static int send_msg(struct repl *r, json_t *m)
{
	char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
	unsigned char hdr[REPL_HEADER];
	int64_t progress = now_ms();
	size_t len = text ? strlen(text) : 0, off = 0;
	const char *fail = NULL;

	json_decref(m);
	if (r->fd < 0) { /* closed meanwhile (a walk's tick): nothing to send on */
		free(text);
		return -1;
	}
	if (!text || len > REPL_FRAME_MAX) {
		free(text);
		conn_close(r, "a message that cannot be sent (out of memory, or too large)");
		return -1;
	}
	repl_frame_hdr(hdr, len);
	gnutls_record_cork(r->ses);
	gnutls_record_send(r->ses, hdr, sizeof(hdr));
	while (off < len && !fail) {
		ssize_t n = gnutls_record_send(r->ses, text + off, len - off);

		if (n > 0) {
			off += (size_t)n;
			progress = now_ms();
		} else if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			if (send_wait(r, progress, &fail) != 0 && !fail) {
				free(text); /* recv_some() closed it */
				return -1;
			}
		} else {
			fail = gnutls_strerror((int)n);
		}
	}
	while (!fail) {
		int rc = gnutls_record_uncork(r->ses, 0);

		if (rc >= 0)
			break;
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED) {
			fail = gnutls_strerror(rc);
		} else if (send_wait(r, progress, &fail) != 0 && !fail) {
			free(text); /* recv_some() closed it */
			return -1;
		}
	}
	free(text);
	if (fail) {
		conn_close(r, fail);
		return -1;
	}
	r->sent_ms = now_ms();
	return 0;
}

/*
 * Sends a ping when this side sent nothing for ping_ms: called between the
 * frames the thread handles and from the long walks (a digest, a snapshot
 * written or applied), so the peer never takes this side's own work for its
 * silence. 0, or -EPIPE when the connection is gone (it stops the walk).
 */
static int keepalive(void *arg)
{
	struct repl *r = arg;

	if (r->fd < 0)
		return -EPIPE;
	if ((r->serving || r->following) && now_ms() - r->sent_ms >= r->ping_ms)
		send_msg(r, json_pack("{s:s}", "t", "ping"));
	return r->fd >= 0 ? 0 : -EPIPE;
}

static int keepalive_go_on(void *arg)
{
	keepalive(arg);
	return 0;
}

/*
 * Says why, then half-closes and waits (500 ms at most) for the peer to
 * close: closed at once with the peer's bytes unread, the kernel would reset
 * the connection, and the peer would lose the reason with them. The caller
 * closes it.
 */
static int send_refuse(struct repl *r, const char *reason)
{
	int rc = send_msg(r, json_pack("{s:s, s:s}", "t", "refuse", "reason", reason));
	int64_t deadline = now_ms() + 500;
	char buf[4096];

	if (rc != 0 || r->fd < 0)
		return rc;
	gnutls_bye(r->ses, GNUTLS_SHUT_WR);
	shutdown(r->fd, SHUT_WR);
	while (wait_fd(r, r->fd, POLLIN, deadline) > 0 && recv(r->fd, buf, sizeof(buf), 0) > 0)
		;
	return 0;
}

/*
 * Reads what TLS has (non-blocking). Returns 1 when bytes came, 0 when none,
 * -1 after closing the connection (end, error).
 */
static int recv_some(struct repl *r)
{
	bool got = false;

	if (r->ended) { /* the end came behind bytes, which were taken first */
		conn_close(r, r->ended == 1 ? "the peer closed it" : gnutls_strerror(r->ended));
		return -1;
	}
	for (;;) {
		ssize_t n;

		if (r->rcap - r->rlen < 65536) {
			size_t cap = r->rcap ? r->rcap * 2 : 131072;
			unsigned char *b;
			long flen = r->rlen >= REPL_HEADER ? repl_frame_len(r->rbuf) : -1;

			/*
			 * Read ahead READ_AHEAD at most past a whole frame: the rest
			 * waits in the socket (the peer's send waits, and reads this
			 * side's pings) while the frames are handled. Not listening
			 * meanwhile, this side hears no silence.
			 */
			if (r->rlen >= READ_AHEAD && flen >= 0 &&
			    r->rlen >= REPL_HEADER + (size_t)flen) {
				r->heard_ms = now_ms();
				return 1;
			}
			if (cap > REPL_FRAME_MAX + REPL_HEADER + 131072 ||
			    !(b = realloc(r->rbuf, cap))) {
				conn_close(r, "out of memory for a frame");
				return -1;
			}
			r->rbuf = b;
			r->rcap = cap;
		}
		n = gnutls_record_recv(r->ses, r->rbuf + r->rlen, r->rcap - r->rlen);
		if (n > 0) {
			r->rlen += (size_t)n;
			got = true;
			r->heard_ms = now_ms();
			if (r->rlen > REPL_HEADER + REPL_FRAME_MAX)
				return 1;
			continue;
		}
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return got;
		if (got) { /* a last frame (a refusal's reason) before the end: read it first */
			r->ended = n == 0 ? 1 : (int)n;
			return 1;
		}
		conn_close(r, n == 0 ? "the peer closed it" : gnutls_strerror((int)n));
		return -1;
	}
}

/* Takes the next whole frame: 1 with *m, 0 when none yet, -1 after closing. */
static int next_frame(struct repl *r, json_t **m)
{
	char err[256];
	long len;

	*m = NULL;
	if (r->rlen < REPL_HEADER)
		return 0;
	if ((len = repl_frame_len(r->rbuf)) < 0) {
		conn_close(r, "a frame of length 0 or over the limit");
		return -1;
	}
	if (r->rlen < REPL_HEADER + (size_t)len)
		return 0;
	*m = repl_msg_parse((const char *)r->rbuf + REPL_HEADER, (size_t)len, err, sizeof(err));
	memmove(r->rbuf, r->rbuf + REPL_HEADER + len, r->rlen - REPL_HEADER - (size_t)len);
	r->rlen -= REPL_HEADER + (size_t)len;
	if (!*m) {
		conn_close(r, err);
		return -1;
	}
	return 1;
}

/* Waits for one whole frame within deadline: 1 with *m, or -1 after closing. */
static int recv_frame(struct repl *r, json_t **m, int64_t deadline)
{
	for (;;) {
		int rc = next_frame(r, m);

		if (rc != 0)
			return rc;
		if (gnutls_record_check_pending(r->ses) == 0 &&
		    wait_fd(r, r->fd, POLLIN, deadline) <= 0) {
			conn_close(r, "no answer in time");
			return -1;
		}
		if (recv_some(r) < 0)
			return -1;
	}
}

/* ---- history: the hashes of the change log ----------------------------------- */

/* The oldest revision the change log here holds; 0 when it is empty or cannot be read. */
static int64_t log_oldest(struct repl *r)
{
	struct fulcrum_change *rows = NULL;
	size_t n = 0;
	int64_t oldest = 0;

	if (db_change_list(r->db, 0, 1, &rows, &n) == 0 && n == 1)
		oldest = rows[0].revision;
	fulcrum_change_list_free(rows, n);
	return oldest;
}

/*
 * The history hash of the rows of revisions base+1 .. at[i] for each of the
 * n ascending checkpoints at[] into out[i]. Returns how many it could make:
 * fewer when the log here lacks a revision of the range.
 */
static size_t chain_walk(struct repl *r, int64_t base, const int64_t *at, size_t n, char (*out)[65])
{
	struct repl_chain c;
	size_t k = 0;

	repl_chain_init(&c);
	for (int64_t rev = base + 1; k < n && rev <= at[n - 1]; rev++) {
		struct fulcrum_change *rows = NULL;
		size_t nrows = 0;

		if (db_change_rev(r->db, rev, &rows, &nrows) != 0 || nrows == 0) {
			fulcrum_change_list_free(rows, nrows);
			break;
		}
		repl_chain_add(&c, rows, nrows);
		fulcrum_change_list_free(rows, nrows);
		while (k < n && at[k] == rev)
			repl_chain_hex(&c, out[k++]);
	}
	return k;
}

/* Which side of replication a role is on: 1 serves (active), 2 follows, 0 neither (standalone). */
static int role_side(enum status_role role)
{
	return role == STATUS_ROLE_ACTIVE ? 1 : role == STATUS_ROLE_STANDALONE ? 0 : 2;
}

/* The hash of revision rev's rows alone into out; false when the log here lacks it. */
static bool rev_hash(struct repl *r, int64_t rev, char out[65])
{
	struct fulcrum_change *rows = NULL;
	size_t nrows = 0;
	struct repl_chain c;
	bool held = db_change_rev(r->db, rev, &rows, &nrows) == 0 && nrows > 0;

	if (held) {
		repl_chain_init(&c);
		repl_chain_add(&c, rows, nrows);
		repl_chain_hex(&c, out);
	}
	fulcrum_change_list_free(rows, nrows);
	return held;
}

/* ---- the active's side ------------------------------------------------------ */

/*
 * When this node's log does not reach back to the follower's oldest revision
 * (this node pruned more, or later), the chain from the follower's base cannot
 * be walked here: the follower's checkpoints are compared one revision at a
 * time instead (each's rows alone, pairs [revision, hash] ascending), from the
 * oldest this node holds. A revision's rows (times, actors, before and after)
 * equal on both means the follower took it from this history: the newest one
 * equal is the common revision; -1 when none this node holds is.
 */
static int64_t common_by_revision(struct repl *r, const json_t *each, int64_t base, int64_t mine,
				  int64_t oldest)
{
	int64_t common = -1, prev = base;
	char h[65];

	for (size_t i = 0; i < json_array_size(each) && i < 256; i++) {
		const json_t *pair = json_array_get(each, i);
		const json_t *rv = json_array_get(pair, 0), *hv = json_array_get(pair, 1);
		int64_t rev;

		if (!json_is_integer(rv) || !json_is_string(hv))
			break;
		rev = json_integer_value(rv);
		if (rev <= prev || rev > mine)
			break;
		prev = rev;
		if (rev < oldest)
			continue;
		if (!rev_hash(r, rev, h) || strcmp(h, json_string_value(hv)) != 0)
			break;
		common = rev;
	}
	return common;
}

/*
 * The newest revision of the follower's checkpoints (ascending pairs
 * [revision, hash] from base) that this node's log reaches with the same
 * history; -1 when none does (or the list is not one). When this node's log
 * begins after base, by the checkpoints' own revisions (common_by_revision()).
 */
static int64_t common_revision(struct repl *r, int64_t base, const json_t *recent,
			       const json_t *each, int64_t mine)
{
	size_t n = json_array_size(recent), k, made;
	int64_t *at = calloc(n ? n : 1, sizeof(*at)), common = -1, oldest = log_oldest(r);
	char(*h)[65] = calloc(n ? n : 1, sizeof(*h));

	for (k = 0; at && h && k < n; k++) {
		const json_t *pair = json_array_get(recent, k);
		const json_t *rv = json_array_get(pair, 0), *hv = json_array_get(pair, 1);

		if (!json_is_integer(rv) || !json_is_string(hv) || json_integer_value(rv) <= base ||
		    json_integer_value(rv) > mine || (k && json_integer_value(rv) <= at[k - 1]))
			break;
		at[k] = json_integer_value(rv);
	}
	if (at && h && k > 0 && (base == 0 || oldest <= base + 1)) {
		made = chain_walk(r, base, at, k, h);
		for (size_t i = 0; i < made; i++) {
			if (strcmp(h[i],
				   json_string_value(json_array_get(json_array_get(recent, i), 1))))
				break;
			common = at[i];
		}
	}
	if (common < 0 && k > 0 && oldest > base + 1 && json_is_array(each))
		common = common_by_revision(r, each, base, mine, oldest);
	free(at);
	free(h);
	return common;
}

/* Checks a HELLO and answers it: 0 serving, -1 refused (closed). */
static int serve_hello(struct repl *r, const json_t *m)
{
	char err[512], cluster[65], node[65];
	int64_t proto, schema, rev, base, common, oldest, mine = db_revision(r->db);
	const char *mode = "log";
	bool compared;
	const json_t *recent = json_object_get(m, "recent");

	if (strcmp(repl_msg_type(m), "hello") != 0) {
		conn_close(r, "the first message was not a HELLO");
		return -1;
	}
	if (repl_msg_int(m, "proto", 0, INT32_MAX, &proto, err, sizeof(err)) != 0 ||
	    repl_msg_int(m, "schema", 0, INT32_MAX, &schema, err, sizeof(err)) != 0 ||
	    repl_msg_int(m, "revision", 0, INT64_MAX, &rev, err, sizeof(err)) != 0 ||
	    repl_msg_str(m, "cluster", cluster, sizeof(cluster), err, sizeof(err)) != 0 ||
	    repl_msg_str(m, "node", node, sizeof(node), err, sizeof(err)) != 0 ||
	    !json_is_array(recent) || json_array_size(recent) > 256) {
		if (!*err)
			snprintf(err, sizeof(err), "hello recent: not a list of at most 256");
		send_refuse(r, err);
		conn_close(r, err);
		return -1;
	}
	snprintf(r->peer_name, sizeof(r->peer_name), "%s", node);
	if (proto != REPL_PROTO || schema != r->schema || strcmp(cluster, r->cluster) != 0) {
		snprintf(err, sizeof(err),
			 "refused %s: protocol %" PRId64 " schema %" PRId64
			 " cluster '%s', this node speaks protocol %d schema %d cluster '%s'",
			 node, proto, schema, cluster, REPL_PROTO, r->schema, r->cluster);
		refusal_log(r, "", err);
		pthread_mutex_lock(&r->lock);
		r->status.refusals++;
		pthread_mutex_unlock(&r->lock);
		state_set(r, STATUS_REPL_REFUSED, err);
		send_refuse(r, err);
		conn_close(r, NULL);
		return -1;
	}
	if (mine < 0) {
		conn_close(r, "cannot read this node's revision");
		return -1;
	}
	if (repl_msg_int(m, "base", 0, rev, &base, err, sizeof(err)) != 0) {
		send_refuse(r, err);
		conn_close(r, err);
		return -1;
	}
	common = rev == 0 ? 0 : common_revision(r, base, recent, json_object_get(m, "each"), mine);
	oldest = log_oldest(r);
	/*
	 * This node's log begins after the follower's newest revision (or holds
	 * nothing): no revision of the follower's can be compared here. That is a
	 * log pruned while the follower was away, not a divergence: a snapshot,
	 * and the follower keeps its own changes aside in case some were its own.
	 */
	compared = !(rev > 0 && common < 0 && (oldest == 0 || oldest > rev));
	if (common != rev && compared) {
		mode = "diverged";
		snprintf(err, sizeof(err),
			 "%s holds revision %" PRId64 " with a history this node does not share "
			 "(newest common revision: %" PRId64 "): it takes a snapshot",
			 node, rev, common);
		log_warnx("repl", "replication: %s", err);
		pthread_mutex_lock(&r->lock);
		r->status.divergences++;
		pthread_mutex_unlock(&r->lock);
	} else if (!compared || (mine > rev && (oldest == 0 || oldest > rev + 1))) {
		mode = "snapshot"; /* the log no longer reaches back to the standby's revision */
	}
	if (send_msg(r, json_pack("{s:s, s:s, s:I, s:I, s:s, s:b}", "t", "welcome", "node", r->node,
				  "revision", (json_int_t)mine, "common",
				  (json_int_t)(common < 0 ? 0 : common), "mode", mode, "compared",
				  compared)) != 0)
		return -1;
	r->serving = true;
	r->sent_rev = r->acked = strcmp(mode, "log") == 0 ? rev : -1;
	r->oldest_unacked_ms = 0;
	r->side_sent[0] = '\0';
	r->digest_at =
	    now_ms() - DIGEST_MS + 2000; /* the first comparison 2 s after the catch-up */
	r->digest_rev = -1;
	pthread_mutex_lock(&r->lock);
	r->status.connects++;
	snprintf(r->status.peer, sizeof(r->status.peer), "%s", node);
	r->status.peer_revision = rev;
	pthread_mutex_unlock(&r->lock);
	if (compared)
		log_notice("repl",
			   "replication: %s connected at revision %" PRId64 " (this node: %" PRId64
			   "): %s",
			   node, rev, mine,
			   strcmp(mode, "log") == 0 ? "streaming from the change log"
						    : "sending a snapshot");
	else
		log_notice(
		    "repl",
		    "replication: %s connected at revision %" PRId64 " (this node: %" PRId64
		    "): sending a snapshot (this node's change log begins at revision %" PRId64
		    ", after %s's: the histories cannot be compared)",
		    node, rev, mine, oldest, node);
	if (strcmp(mode, "log") != 0) {
		serve_snapshot(r);
		return r->fd >= 0 ? 0 : -1;
	}
	if (rev == mine && r->aw) {
		/* it holds every revision already: writes wait for it from now on, as after an ack */
		ackwait_acked(r->aw, rev);
		if (ackwait_mode(r->aw) != ACKWAIT_SYNC) {
			ackwait_mode_set(r->aw, ACKWAIT_SYNC);
			log_notice("repl",
				   "replication: %s holds revision %" PRId64
				   ": in sync, writes wait for it again",
				   node, rev);
		}
		wake(r->loop_efd);
	}
	state_set(r, rev == mine ? STATUS_REPL_IN_SYNC : STATUS_REPL_CATCHING_UP, NULL);
	return 0;
}

/* Accepts a connection on the listening socket and takes its HELLO. */
static void serve_accept(struct repl *r, enum status_role role)
{
	char why[256];
	json_t *m = NULL;
	int fd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), rc;

	if (fd < 0)
		return;
	if (r->fd >= 0)
		conn_close(r, "the peer connected again");
	r->fd = fd;
	r->peer_name[0] = '\0';
	r->heard_ms = r->sent_ms = now_ms();
	if ((rc = tls_start(r, true, why, sizeof(why))) == -2) {
		conn_close(r, why);
		return;
	}
	if (rc != 0) {
		refusal_log(r, "a connection refused: ", why);
		pthread_mutex_lock(&r->lock);
		r->status.refusals++;
		pthread_mutex_unlock(&r->lock);
		state_set(r, STATUS_REPL_REFUSED, why);
		conn_close(r, NULL);
		return;
	}
	if (recv_frame(r, &m, now_ms() + HANDSHAKE_MS) != 1)
		return;
	if (role != STATUS_ROLE_ACTIVE) {
		send_refuse(r, "this node is not the active one");
		conn_close(r, NULL);
	} else {
		serve_hello(r, m);
	}
	json_decref(m);
}

/* Groups rows (one revision after another) into replays; returns how many. */
static size_t group_revs(struct fulcrum_change *rows, size_t n, struct command_replay *out,
			 size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (k == 0 || out[k - 1].revision != rows[i].revision) {
			if (k == max)
				break;
			out[k++] = (struct command_replay){.revision = rows[i].revision,
							   .time = rows[i].time,
							   .actor = rows[i].actor,
							   .origin = rows[i].origin,
							   .changes = &rows[i]};
		}
		out[k - 1].n++;
	}
	return k;
}

/* Sends the revisions after sent_rev that this node has, up to INFLIGHT_MAX unacknowledged. */
static void serve_pump(struct repl *r, int64_t latest)
{
	struct command_replay *revs = r->revs;

	while (r->fd >= 0 && r->serving && r->sent_rev < latest &&
	       r->sent_rev - r->acked < INFLIGHT_MAX) {
		struct fulcrum_change *rows = NULL;
		size_t n = 0, k;
		int rc = db_change_list(r->db, r->sent_rev, READ_ROWS, &rows, &n);

		if (rc != 0 || n == 0 || rows[0].revision != r->sent_rev + 1) {
			char err[256];

			snprintf(err, sizeof(err),
				 "the change log lacks revision %" PRId64
				 " (pruned, or unreadable): the standby needs a snapshot",
				 r->sent_rev + 1);
			fulcrum_change_list_free(rows, n);
			state_set(r, STATUS_REPL_DIVERGED, err);
			send_refuse(r, err);
			conn_close(r, err);
			return;
		}
		k = group_revs(rows, n, revs, READ_ROWS);
		if (n == READ_ROWS && k > 1)
			k--; /* the last revision may go on past what was read */
		else if (n == READ_ROWS) {
			/* one revision larger than a read: read it whole */
			fulcrum_change_list_free(rows, n);
			if (db_change_rev(r->db, r->sent_rev + 1, &rows, &n) != 0 || n == 0) {
				fulcrum_change_list_free(rows, n);
				conn_close(r, "cannot read the change log");
				return;
			}
			k = group_revs(rows, n, revs, 1);
		}
		for (size_t i = 0; i < k && r->fd >= 0; i++) {
			json_t *m = repl_rev_encode(&revs[i]);
			size_t size = m ? json_dumpb(m, NULL, 0, JSON_COMPACT) : 0;

			if (size > r->rev_max) {
				/*
				 * One revision larger than a message may be (an apply of a
				 * large configuration file is one revision): the standby
				 * takes a snapshot of this node instead (it takes one at any
				 * time, as after a digest mismatch), and the stream goes on
				 * from the snapshot's revision.
				 */
				json_decref(m);
				log_notice("repl",
					   "replication: revision %" PRId64
					   " is %zu bytes, more than a "
					   "message may hold (%zu): %s takes a snapshot instead",
					   revs[i].revision, size, r->rev_max, r->peer_name);
				fulcrum_change_list_free(rows, n);
				serve_snapshot(r);
				return;
			}
			if (send_msg(r, m) != 0)
				break;
			if (r->oldest_unacked_ms == 0)
				r->oldest_unacked_ms = now_ms();
			r->sent_rev = revs[i].revision;
			pthread_mutex_lock(&r->lock);
			r->status.revisions_sent++;
			pthread_mutex_unlock(&r->lock);
		}
		fulcrum_change_list_free(rows, n);
	}
}

/* Each pending revision up to rev is acknowledged at us: its lag into the ring (lock held). */
static void lag_record(struct repl *r, int64_t rev, int64_t us)
{
	while (r->pending_n && r->pending[r->pending_head].rev <= rev) {
		r->lag_us[r->lag_next] = us - r->pending[r->pending_head].us;
		r->lag_next = (r->lag_next + 1) % LAG_SAMPLES;
		if (r->lag_n < LAG_SAMPLES)
			r->lag_n++;
		r->pending_head = (r->pending_head + 1) % PENDING_MAX;
		r->pending_n--;
	}
}

static void serve_ack(struct repl *r, const json_t *m, int64_t latest)
{
	char err[256];
	int64_t rev;

	if (repl_msg_int(m, "revision", 0, r->sent_rev, &rev, err, sizeof(err)) != 0) {
		conn_close(r, err);
		return;
	}
	if (rev <= r->acked)
		return;
	r->acked = rev;
	r->oldest_unacked_ms = rev < r->sent_rev ? now_ms() : 0;
	pthread_mutex_lock(&r->lock);
	lag_record(r, rev, now_us());
	r->status.acks++;
	r->status.peer_revision = rev;
	pthread_mutex_unlock(&r->lock);
	if (r->aw) {
		ackwait_acked(r->aw, rev);
		if (rev >= latest && ackwait_mode(r->aw) != ACKWAIT_SYNC) {
			ackwait_mode_set(r->aw, ACKWAIT_SYNC);
			log_notice("repl",
				   "replication: %s holds revision %" PRId64
				   ": in sync, writes wait for it again",
				   r->peer_name, rev);
		}
		wake(r->loop_efd);
	}
	if (rev >= latest)
		state_set(r, STATUS_REPL_IN_SYNC, NULL);
}

/* ---- the follower's side ----------------------------------------------------- */

/*
 * The HELLO: this node's revision, and the history hash of its change log
 * from the oldest revision it holds (base + 1) to its newest revisions and to
 * a few older ones, every power of two back (ascending).
 */
static json_t *hello_of(struct repl *r, int64_t rev)
{
	int64_t at[RECENT_DENSE + 64], base = rev > 0 ? log_oldest(r) - 1 : 0;
	char h[RECENT_DENSE + 64][65];
	json_t *recent = json_array(), *each = json_array();
	size_t n = 0, made;

	if (base < 0)
		base = rev; /* an empty log: nothing to compare */
	for (int64_t back = 0, step = 1; rev - back > base && n < RECENT_DENSE + 64; back += step) {
		at[n++] = rev - back;
		if (back >= RECENT_DENSE)
			step *= 2;
	}
	for (size_t i = 0; i < n / 2; i++) { /* ascending */
		int64_t t = at[i];

		at[i] = at[n - 1 - i];
		at[n - 1 - i] = t;
	}
	made = n ? chain_walk(r, base, at, n, h) : 0;
	for (size_t i = 0; recent && i < made; i++)
		json_array_append_new(recent, json_pack("[I, s]", (json_int_t)at[i], h[i]));
	/* the same checkpoints one revision at a time, for an active whose log is shorter */
	for (size_t i = 0; each && i < made; i++)
		if (rev_hash(r, at[i], h[i]))
			json_array_append_new(each, json_pack("[I, s]", (json_int_t)at[i], h[i]));
	return json_pack("{s:s, s:i, s:i, s:s, s:s, s:I, s:I, s:o, s:o}", "t", "hello", "proto",
			 REPL_PROTO, "schema", r->schema, "cluster", r->cluster, "node", r->node,
			 "revision", (json_int_t)rev, "base", (json_int_t)base, "recent",
			 recent ? recent : json_array(), "each", each ? each : json_array());
}

/* Connects to the peer, says HELLO, takes the welcome. */
static void follow_connect(struct repl *r)
{
	char why[256], err[256];
	json_t *m = NULL;
	int64_t rev;
	int fd, rc;

	/*
	 * The main loop may be committing what an earlier connection brought: the
	 * HELLO says the revision after that, or the stream would start below it.
	 * Waited for before connecting: the peer gives a HELLO HANDSHAKE_MS.
	 */
	for (int i = 0; i < 500; i++) {
		bool busy, stop;

		pthread_mutex_lock(&r->lock);
		busy = r->replay_busy;
		stop = r->stop;
		pthread_mutex_unlock(&r->lock);
		if (!busy || stop)
			break;
		usleep(10000);
	}
	r->retry_at = now_ms() + RETRY_MS;
	fd = socket(r->peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	rc = connect(fd, (struct sockaddr *)&r->peer, r->peer_len);
	if (rc != 0 && errno == EINPROGRESS && wait_fd(r, fd, POLLOUT, now_ms() + RETRY_MS) > 0) {
		socklen_t l = sizeof(rc);
		int so = 0;

		rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &l) == 0 && so == 0 ? 0 : -1;
	}
	if (rc != 0) {
		close(fd);
		state_set(r, STATUS_REPL_WAITING, NULL);
		return;
	}
	r->fd = fd;
	r->heard_ms = r->sent_ms = now_ms();
	if (tls_start(r, false, why, sizeof(why)) != 0) {
		refusal_log(r, "the peer refused this node: ", why);
		state_set(r, STATUS_REPL_REFUSED, why);
		conn_close(r, NULL);
		r->retry_at = now_ms() + REFUSED_MS;
		return;
	}
	rev = db_revision(r->db); /* what is durable here, whatever the main loop still holds */
	if (rev < 0) {
		conn_close(r, "cannot read this node's revision");
		return;
	}
	r->hello_rev = rev;
	if (send_msg(r, hello_of(r, rev)) != 0 || recv_frame(r, &m, now_ms() + HANDSHAKE_MS) != 1)
		return;
	if (strcmp(repl_msg_type(m), "refuse") == 0) {
		snprintf(err, sizeof(err), "the peer refused: %.200s",
			 json_string_value(json_object_get(m, "reason"))
			     ? json_string_value(json_object_get(m, "reason"))
			     : "(no reason)");
		if (!strstr(err, "not the active"))
			refusal_log(r, "", err);
		state_set(r,
			  strstr(err, "not the active") ? STATUS_REPL_WAITING : STATUS_REPL_REFUSED,
			  err);
		conn_close(r, NULL);
		r->retry_at = now_ms() + (strstr(err, "not the active") ? RETRY_MS : REFUSED_MS);
	} else if (strcmp(repl_msg_type(m), "welcome") == 0 &&
		   repl_msg_str(m, "node", r->peer_name, sizeof(r->peer_name), err, sizeof(err)) ==
		       0) {
		const char *mode = json_string_value(json_object_get(m, "mode"));
		int64_t theirs = 0;

		repl_msg_int(m, "revision", 0, INT64_MAX, &theirs, err, sizeof(err));
		pthread_mutex_lock(&r->lock);
		snprintf(r->status.peer, sizeof(r->status.peer), "%s", r->peer_name);
		r->status.peer_revision = theirs;
		r->status.connects++;
		pthread_mutex_unlock(&r->lock);
		if (mode && strcmp(mode, "log") == 0) {
			r->following = true;
			r->queued = r->acked = rev;
			log_notice("repl",
				   "replication: following %s from revision %" PRId64
				   " (it holds %" PRId64 ")",
				   r->peer_name, rev, theirs);
			state_set(r, theirs == rev ? STATUS_REPL_IN_SYNC : STATUS_REPL_CATCHING_UP,
				  NULL);
		} else if (mode &&
			   (strcmp(mode, "snapshot") == 0 || strcmp(mode, "diverged") == 0)) {
			int64_t common = json_integer_value(json_object_get(m, "common"));

			if (strcmp(mode, "diverged") == 0) {
				snprintf(
				    err, sizeof(err),
				    "this node's history differs from %s's after revision %" PRId64
				    ": taking its snapshot",
				    r->peer_name, common);
				log_warnx("repl", "replication: %s", err);
				pthread_mutex_lock(&r->lock);
				r->status.divergences++;
				pthread_mutex_unlock(&r->lock);
				state_set(r, STATUS_REPL_DIVERGED, err);
				follow_export(r, common, true);
			} else if (json_is_false(json_object_get(m, "compared"))) {
				follow_export(r, -1, false);
			}
			r->following = true;
			r->queued = -1; /* a snapshot first: then its revision */
			r->acked = -1;
			pthread_mutex_lock(&r->lock);
			r->applied = -1;
			pthread_mutex_unlock(&r->lock);
			log_notice(
			    "repl",
			    "replication: following %s, which sends a snapshot of revision %" PRId64
			    " (this node held %" PRId64 ")",
			    r->peer_name, theirs, rev);
		} else {
			conn_close(r, "the peer's welcome names no mode Fulcrum knows");
		}
	} else {
		conn_close(r, "the peer's answer was neither a welcome nor a refusal");
	}
	json_decref(m);
}

/* A revision received: queued for the main loop, in order. */
static void follow_rev(struct repl *r, const json_t *m)
{
	struct repl_item it;
	char err[256];

	if (repl_rev_decode(m, &it.r, &it.rows, err, sizeof(err)) != 0) {
		conn_close(r, err);
		return;
	}
	if (it.r.revision != r->queued + 1) {
		snprintf(err, sizeof(err), "revision %" PRId64 " came after %" PRId64,
			 it.r.revision, r->queued);
		repl_rev_free(it.rows, it.r.n);
		conn_close(r, err);
		return;
	}
	pthread_mutex_lock(&r->lock);
	if (r->nq == r->capq) {
		size_t cap = r->capq ? r->capq * 2 : 64;
		struct repl_item *q = realloc(r->queue, cap * sizeof(*q));

		if (!q) {
			pthread_mutex_unlock(&r->lock);
			repl_rev_free(it.rows, it.r.n);
			conn_close(r, "out of memory");
			return;
		}
		r->queue = q;
		r->capq = cap;
	}
	r->queue[r->nq++] = it;
	pthread_mutex_unlock(&r->lock);
	r->queued = it.r.revision;
	wake(r->loop_efd);
}

/* ---- snapshots, digests, tokens and switches ---------------------------------- */

static int snap_emit(const char *json, size_t len, void *arg)
{
	struct repl *r = arg;

	return send_msg(r, json_pack("{s:s, s:s%}", "t", "snap", "chunk", json, len)) == 0 ? 0
											   : -EPIPE;
}

/* Active: the whole configuration at one revision, then the stream goes on from it. */
static void serve_snapshot(struct repl *r)
{
	char err[256] = "";
	int64_t rev = 0, t0 = now_ms();

	state_set(r, STATUS_REPL_SNAPSHOT, NULL);
	if (snapshot_write(r->db, snap_emit, r, &r->tick, &rev, err, sizeof(err)) != 0) {
		if (r->fd >= 0)
			conn_close(r, *err ? err : "the snapshot could not be written");
		return;
	}
	if (send_msg(r, json_pack("{s:s, s:I}", "t", "snap_done", "revision", (json_int_t)rev)) !=
	    0)
		return;
	r->sent_rev = rev;
	r->oldest_unacked_ms = now_ms();
	r->digest_rev = -1; /* compared again soon after the standby took it */
	r->digest_at = now_ms() - DIGEST_MS + 2000;
	pthread_mutex_lock(&r->lock);
	r->status.snapshots_sent++;
	pthread_mutex_unlock(&r->lock);
	log_notice("repl",
		   "replication: a snapshot of revision %" PRId64 " sent to %s in %" PRId64 " ms",
		   rev, r->peer_name, now_ms() - t0);
}

/* The API tokens (their hashes) and notification switches here as a "side" message, and its hash. */
static json_t *side_of(struct repl *r, char hash[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	bool on[COMMAND_NOTIFY_COUNT];
	struct db_token *t = NULL;
	json_t *tokens, *sw, *m;
	size_t n = 0;
	char *text;

	if (db_token_list(r->db, &t, &n) != 0 || db_notify_get(r->db, on) != 0) {
		free(t);
		return NULL;
	}
	tokens = json_array();
	sw = json_object();
	for (size_t i = 0; tokens && i < n; i++)
		json_array_append_new(tokens, json_pack("{s:I, s:s, s:s, s:s, s:I}", "id",
							(json_int_t)t[i].id, "name", t[i].name,
							"role", t[i].role, "hash", t[i].hash,
							"created", (json_int_t)t[i].created));
	for (int w = 0; sw && w < COMMAND_NOTIFY_COUNT; w++)
		json_object_set_new(sw, db_notify_name((enum command_notify)w),
				    json_boolean(on[w]));
	free(t);
	m = json_pack("{s:s, s:o, s:o}", "t", "side", "tokens", tokens, "switches", sw);
	if (!m || !(text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS))) {
		json_decref(m);
		return NULL;
	}
	crypto_hash_sha256(d, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(hash, 65, d, sizeof(d));
	free(text);
	return m;
}

/* Active: the tokens and switches, when they changed since last sent. */
static void serve_side(struct repl *r)
{
	char h[65];
	json_t *m = side_of(r, h);

	r->side_at = now_ms();
	if (!m)
		return;
	if (strcmp(h, r->side_sent) == 0) {
		json_decref(m);
		return;
	}
	if (send_msg(r, m) == 0)
		memcpy(r->side_sent, h, sizeof(h));
}

/* Follower: the active's tokens and switches replace this node's, in one transaction. */
static void follow_side(struct repl *r, const json_t *m)
{
	const json_t *tokens = json_object_get(m, "tokens"), *sw = json_object_get(m, "switches");
	struct db_token *old = NULL;
	size_t nold = 0, i;
	const char *key;
	json_t *v;
	char err[256] = "";
	int rc;

	if (!json_is_array(tokens) || json_array_size(tokens) > 100000 || !json_is_object(sw)) {
		conn_close(r, "side: tokens and switches expected");
		return;
	}
	if ((rc = db_begin(r->db)) != 0 || (rc = db_token_list(r->db, &old, &nold)) != 0) {
		snprintf(err, sizeof(err), "%s", db_errmsg(r->db));
		goto out;
	}
	for (i = 0; rc == 0 && i < nold; i++)
		rc = db_token_delete(r->db, old[i].name);
	json_array_foreach(tokens, i, v)
	{
		struct db_token t = {0};
		int64_t id = 0, created = 0;

		if (rc != 0)
			break;
		if (repl_msg_int(v, "id", 1, INT64_MAX, &id, err, sizeof(err)) != 0 ||
		    repl_msg_int(v, "created", 0, INT64_MAX, &created, err, sizeof(err)) != 0 ||
		    repl_msg_str(v, "name", t.name, sizeof(t.name), err, sizeof(err)) != 0 ||
		    repl_msg_str(v, "role", t.role, sizeof(t.role), err, sizeof(err)) != 0 ||
		    repl_msg_str(v, "hash", t.hash, sizeof(t.hash), err, sizeof(err)) != 0) {
			rc = -EBADMSG;
			break;
		}
		t.id = id;
		t.created = created;
		if ((rc = db_token_insert(r->db, &t)) != 0)
			snprintf(err, sizeof(err), "side: token '%s': %s", t.name,
				 db_errmsg(r->db));
	}
	json_object_foreach((json_t *)sw, key, v)
	{
		enum command_notify w;

		if (rc != 0)
			break;
		if (db_notify_parse(key, &w) != 0 || !json_is_boolean(v)) {
			snprintf(err, sizeof(err), "side: switch '%.32s' unknown or not a boolean",
				 key);
			rc = -EBADMSG;
		} else {
			rc = db_notify_set(r->db, w, json_is_true(v));
		}
	}
	if (rc == 0 && (rc = db_commit(r->db)) != 0)
		snprintf(err, sizeof(err), "%s", db_errmsg(r->db));
out:
	free(old);
	if (rc != 0) {
		db_rollback(r->db);
		log_warnx("repl", "replication: the active's tokens and switches not taken: %s",
			  err);
		conn_close(r, err);
	}
}

/* Active: this node's digest at the revision the standby acknowledged, for it to compare. */
static void serve_digest(struct repl *r)
{
	unsigned char d[SNAPSHOT_DIGEST_SIZE];
	char hex[65], err[256];
	int64_t rev = -1;

	r->digest_at = now_ms();
	if (snapshot_digest(r->db, &r->tick, &rev, d, err, sizeof(err)) != 0) {
		if (r->fd < 0)
			return; /* the connection went during the walk: conn_close() said why */
		log_warnx("repl", "replication: no digest: %s", err);
		return;
	}
	if (rev != r->acked)
		return; /* moved on since: next time */
	r->digest_rev = rev;
	snapshot_digest_hex(d, hex);
	send_msg(r, json_pack("{s:s, s:I, s:s}", "t", "digest", "revision", (json_int_t)rev,
			      "digest", hex));
}

static void digest_note(struct repl *r, int64_t rev, bool equal)
{
	pthread_mutex_lock(&r->lock);
	r->status.digest_revision = rev;
	r->status.digest_equal = equal;
	r->status.digest_at = wall_ms();
	if (!equal)
		r->status.divergences++;
	pthread_mutex_unlock(&r->lock);
}

/* Follower: compares the active's digest with its own at the same revision; a mismatch asks for a snapshot. */
static void follow_digest(struct repl *r, const json_t *m)
{
	unsigned char d[SNAPSHOT_DIGEST_SIZE];
	char theirs[65], mine[65], err[256];
	int64_t rev, myrev = -1;
	bool equal;

	if (repl_msg_int(m, "revision", 0, INT64_MAX, &rev, err, sizeof(err)) != 0 ||
	    repl_msg_str(m, "digest", theirs, sizeof(theirs), err, sizeof(err)) != 0) {
		conn_close(r, err);
		return;
	}
	if (snapshot_digest(r->db, &r->tick, &myrev, d, err, sizeof(err)) != 0 || myrev != rev)
		return;
	snapshot_digest_hex(d, mine);
	equal = strcmp(mine, theirs) == 0;
	digest_note(r, rev, equal);
	if (send_msg(r, json_pack("{s:s, s:I, s:b}", "t", "digest_result", "revision",
				  (json_int_t)rev, "equal", equal)) != 0 ||
	    equal)
		return;
	snprintf(err, sizeof(err),
		 "the configuration here differs from %s's at revision %" PRId64
		 " (digest %.12s against %.12s): taking its snapshot",
		 r->peer_name, rev, mine, theirs);
	log_warnx("repl", "replication: %s", err);
	state_set(r, STATUS_REPL_DIVERGED, err);
	r->acked = -1;
	pthread_mutex_lock(&r->lock);
	r->applied = -1;
	pthread_mutex_unlock(&r->lock);
	send_msg(r, json_pack("{s:s}", "t", "resync"));
}

static void serve_digest_result(struct repl *r, const json_t *m)
{
	int64_t rev;
	char err[256];

	if (repl_msg_int(m, "revision", 0, INT64_MAX, &rev, err, sizeof(err)) != 0 ||
	    !json_is_boolean(json_object_get(m, "equal"))) {
		conn_close(r, "digest_result: a revision and a boolean expected");
		return;
	}
	digest_note(r, rev, json_is_true(json_object_get(m, "equal")));
	if (!json_is_true(json_object_get(m, "equal"))) {
		snprintf(err, sizeof(err),
			 "%s's configuration differs from this node's at revision %" PRId64
			 ": resyncing it with a snapshot",
			 r->peer_name, rev);
		log_warnx("repl", "replication: %s", err);
		state_set(r, STATUS_REPL_DIVERGED, err);
	}
}

/*
 * Follower: the revisions this node committed that the active does not have
 * (after common) go to a file beside the database, for the operator to read
 * and apply again; nothing is dropped silently.
 */
static void follow_export(struct repl *r, int64_t common, bool compared)
{
	struct fulcrum_change *rows = NULL;
	size_t n = 0;
	char path[4200];
	json_t *list;
	char *text = NULL;
	int fd;

	if (db_change_list(r->db, common, 0, &rows, &n) != 0 || n == 0) {
		fulcrum_change_list_free(rows, n);
		return;
	}
	list = json_array();
	for (size_t i = 0; list && i < n; i++)
		json_array_append_new(
		    list, json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:s?, s:s?}", "revision",
				    (json_int_t)rows[i].revision, "time", (json_int_t)rows[i].time,
				    "actor", rows[i].actor, "origin",
				    model_origin_name(rows[i].origin), "object_type",
				    rows[i].object_type, "object_id", (json_int_t)rows[i].object_id,
				    "before", rows[i].before, "after", rows[i].after));
	snprintf(path, sizeof(path), "%s.%s-%" PRId64 ".json", r->db_path,
		 compared ? "diverged" : "unverified", wall_ms());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || !list || !(text = json_dumps(list, JSON_INDENT(1))) ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		log_errx("repl",
			 "replication: revisions %" PRId64 "..%" PRId64
			 " of this node are not %s's and could not be written to %s: %s",
			 rows[0].revision, rows[n - 1].revision, r->peer_name, path,
			 strerror(errno));
	} else if (!compared) {
		log_notice(
		    "repl",
		    "replication: %s's change log begins after this node's revision %" PRId64
		    " (pruned while this node was away): the histories cannot be compared; "
		    "this node's revisions %" PRId64 "..%" PRId64
		    " (%zu changes) are kept in %s in case some were only its own; this node "
		    "takes %s's configuration",
		    r->peer_name, rows[n - 1].revision, rows[0].revision, rows[n - 1].revision, n,
		    path, r->peer_name);
		pthread_mutex_lock(&r->lock);
		snprintf(r->status.export_file, sizeof(r->status.export_file), "%.255s", path);
		pthread_mutex_unlock(&r->lock);
	} else {
		log_warnx(
		    "repl",
		    "replication: revisions %" PRId64 "..%" PRId64
		    " were committed on this node and not on %s: their %zu changes are in %s; "
		    "this node takes %s's configuration",
		    rows[0].revision, rows[n - 1].revision, r->peer_name, n, path, r->peer_name);
		pthread_mutex_lock(&r->lock);
		snprintf(r->status.export_file, sizeof(r->status.export_file), "%.255s", path);
		pthread_mutex_unlock(&r->lock);
	}
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(list);
	fulcrum_change_list_free(rows, n);
}

/* Follower: one chunk of the active's snapshot, applied in this node's own transaction. */
static void follow_snap(struct repl *r, const json_t *m)
{
	const json_t *c = json_object_get(m, "chunk");
	struct snapshot_apply *s;
	char err[256];
	int rc;

	if (!json_is_string(c)) {
		conn_close(r, "snap: a chunk that is not a string");
		return;
	}
	if (!r->snap) {
		/* the main loop first commits what it was given before */
		for (int i = 0; i < 300; i++) {
			size_t nq;

			pthread_mutex_lock(&r->lock);
			nq = r->nq;
			pthread_mutex_unlock(&r->lock);
			if (!nq || keepalive(r) != 0)
				break;
			usleep(10000);
		}
		if (r->fd < 0)
			return;
		/* a chunk whose connection goes is finished; the next frame is not read */
		if (snapshot_apply_begin(r->db, &r->tick_on, &r->snap, err, sizeof(err)) != 0) {
			conn_close(r, err);
			return;
		}
		r->snap_chunks = 0;
		state_set(r, STATUS_REPL_SNAPSHOT, NULL);
	}
	/* off r->snap meanwhile: a tick that closes the connection must not abort it under the chunk */
	s = r->snap;
	r->snap = NULL;
	rc = snapshot_apply_chunk(s, json_string_value(c), json_string_length(c), err, sizeof(err));
	if (r->fd < 0) { /* closed by a tick: conn_close() said why */
		snapshot_apply_abort(s);
		return;
	}
	r->snap = s;
	if (rc != 0) {
		log_warnx("repl", "replication: %s's snapshot refused: %s", r->peer_name, err);
		state_set(r, STATUS_REPL_DIVERGED, err);
		conn_close(r, err);
		return;
	}
	r->snap_chunks++;
}

static void follow_snap_done(struct repl *r)
{
	struct snapshot_apply *s;
	char err[256];
	int64_t rev = 0;
	int rc;

	if (!r->snap) {
		conn_close(r, "snap_done without a snapshot");
		return;
	}
	s = r->snap;
	r->snap = NULL; /* a tick that closes the connection must not abort it under the walk */
	/* a whole snapshot whose digest checks is committed even if the connection goes meanwhile */
	rc = snapshot_apply_end(s, &rev, err, sizeof(err));
	if (rc != 0) {
		log_warnx("repl", "replication: %s's snapshot not taken: %s", r->peer_name, err);
		state_set(r, STATUS_REPL_DIVERGED, err);
		conn_close(r, err);
		return;
	}
	r->queued = rev;
	r->acked = -1;
	digest_note(r, rev, true); /* snapshot_apply_end() compared the digests */
	pthread_mutex_lock(&r->lock);
	r->reload_pending = true;
	r->status.snapshots_taken++;
	pthread_mutex_unlock(&r->lock);
	wake(r->loop_efd);
	log_notice("repl",
		   "replication: %s's snapshot of revision %" PRId64
		   " committed here (%zu chunks, digest checked)",
		   r->peer_name, rev, r->snap_chunks);
}

/* ---- the thread ------------------------------------------------------------ */

static void handle(struct repl *r, const json_t *m, enum status_role role, int64_t latest)
{
	const char *t = repl_msg_type(m);

	if (strcmp(t, "ping") == 0)
		return;
	if (strcmp(t, "refuse") == 0) {
		char err[256];

		snprintf(err, sizeof(err), "the peer refused: %.200s",
			 json_string_value(json_object_get(m, "reason"))
			     ? json_string_value(json_object_get(m, "reason"))
			     : "(no reason)");
		state_set(r, STATUS_REPL_DIVERGED, err);
		conn_close(r, err);
	} else if (role == STATUS_ROLE_ACTIVE && r->serving && strcmp(t, "ack") == 0) {
		serve_ack(r, m, latest);
	} else if (role == STATUS_ROLE_ACTIVE && r->serving && strcmp(t, "digest_result") == 0) {
		serve_digest_result(r, m);
	} else if (role == STATUS_ROLE_ACTIVE && r->serving && strcmp(t, "resync") == 0) {
		serve_snapshot(r);
	} else if (role != STATUS_ROLE_ACTIVE && r->following && strcmp(t, "rev") == 0) {
		follow_rev(r, m);
	} else if (role != STATUS_ROLE_ACTIVE && r->following && strcmp(t, "snap") == 0) {
		follow_snap(r, m);
	} else if (role != STATUS_ROLE_ACTIVE && r->following && strcmp(t, "snap_done") == 0) {
		follow_snap_done(r);
	} else if (role != STATUS_ROLE_ACTIVE && r->following && strcmp(t, "side") == 0) {
		follow_side(r, m);
	} else if (role != STATUS_ROLE_ACTIVE && r->following && strcmp(t, "digest") == 0) {
		follow_digest(r, m);
	} else {
		char err[96];

		snprintf(err, sizeof(err), "an unexpected message '%.32s'", t);
		conn_close(r, err);
	}
}

static void *repl_main(void *arg)
{
	struct repl *r = arg;
	enum status_role was = STATUS_ROLE_STARTING;

	for (;;) {
		bool stop, follower;
		enum status_role role = role_of(r, &stop);
		int64_t latest, applied, now, outside, timed_out;
		enum status_repl_state state;
		int apply_rc;
		struct pollfd p[3];
		int np = 0;
		json_t *m;

		if (stop)
			break;
		pthread_mutex_lock(&r->lock);
		latest = r->latest;
		applied = r->applied;
		apply_rc = r->apply_rc;
		r->apply_rc = 0;
		outside = r->outside_rev;
		r->outside_rev = 0;
		timed_out = r->timed_out;
		r->timed_out = 0;
		state = r->status.state;
		pthread_mutex_unlock(&r->lock);
		follower = role != STATUS_ROLE_ACTIVE && role != STATUS_ROLE_STANDALONE;
		if (role != was) {
			/*
			 * Serving and following are two sides; starting, standby
			 * and fault all follow: a change among them keeps the
			 * connection (closing it between a divergence's export and
			 * the snapshot that follows made the follower export again).
			 */
			bool same_side = role_side(role) == role_side(was);

			if (r->fd >= 0 && !same_side)
				conn_close(r, "this node's role changed");
			if (r->fd < 0) {
				r->retry_at = 0;
				state_set(r, STATUS_REPL_WAITING, NULL);
				if (r->aw)
					ackwait_mode_set(r->aw, ACKWAIT_ALONE);
			}
			was = role;
		}
		if (apply_rc && r->fd >= 0 && r->following)
			conn_close(r, "a revision could not be committed here");
		if (outside > r->hello_rev && r->fd >= 0 && r->following) {
			char why[160];

			snprintf(
			    why, sizeof(why),
			    "revision %" PRId64
			    " was committed here, not by replication: comparing histories again",
			    outside);
			conn_close(r, why);
			r->retry_at = 0;
		}
		now = now_ms();
		if (follower && r->fd < 0 && now >= r->retry_at) {
			char wait_why[96] = "";

			pthread_mutex_lock(&r->lock);
			if (r->peer_known && !r->peer_alive)
				snprintf(wait_why, sizeof(wait_why), "the peer is silent");
			else if (r->peer_known && r->peer_role != STATUS_ROLE_ACTIVE)
				snprintf(wait_why, sizeof(wait_why), "the peer is %s, not active",
					 status_role_name(r->peer_role)
					     ? status_role_name(r->peer_role)
					     : "unknown");
			pthread_mutex_unlock(&r->lock);
			if (*wait_why) {
				state_set(r, STATUS_REPL_WAITING, wait_why);
				r->retry_at = now + 200;
			} else {
				follow_connect(r);
			}
		}
		if (r->fd >= 0 && r->following && applied > r->acked) {
			if (send_msg(r, json_pack("{s:s, s:I}", "t", "ack", "revision",
						  (json_int_t)applied)) == 0) {
				r->acked = applied;
				if (applied >= r->queued)
					state_set(r, STATUS_REPL_IN_SYNC, NULL);
			}
		}
		if (r->retention &&
		    (now >= r->prune_at ||
		     latest - r->pruned_rev >= (int64_t)(r->retention / PRUNE_GROWTH) + 1)) {
			char err[256];

			r->prune_at = now + PRUNE_MS;
			r->pruned_rev = latest;
			if (snapshot_prune(r->db, r->retention, NULL, err, sizeof(err)) != 0)
				log_warnx("repl", "replication: the change log not pruned: %s",
					  err);
		}
		if (role == STATUS_ROLE_ACTIVE && r->serving) {
			if (r->sent_rev < latest && r->acked == r->sent_rev)
				state_set(r, STATUS_REPL_CATCHING_UP, NULL);
			serve_pump(r, latest);
			if (r->fd >= 0 && now - r->side_at >= SIDE_MS)
				serve_side(r);
			if (timed_out > r->acked &&
			    (state == STATUS_REPL_IN_SYNC || state == STATUS_REPL_CATCHING_UP)) {
				char why
				    [128]; /* a write's wait timed out (ackwait's on_alone logged it) */

				snprintf(why, sizeof(why),
					 "the standby did not acknowledge revision %" PRId64
					 " within repl_sync_timeout",
					 timed_out);
				state_set(r, STATUS_REPL_ALONE, why);
			}
			if (r->fd >= 0 && r->acked == r->sent_rev && r->acked == latest &&
			    now - r->digest_at >= DIGEST_MS &&
			    (latest != r->digest_rev || now - r->digest_at >= DIGEST_AGAIN_MS))
				serve_digest(r);
		}
		if (r->fd >= 0)
			keepalive(r);
		p[np++] = (struct pollfd){.fd = r->efd, .events = POLLIN};
		if (r->lfd >= 0)
			p[np++] = (struct pollfd){.fd = r->lfd, .events = POLLIN};
		if (r->fd >= 0)
			p[np++] = (struct pollfd){.fd = r->fd, .events = POLLIN};
		if (!(r->fd >= 0 && r->tls && gnutls_record_check_pending(r->ses) > 0))
			poll(p, (nfds_t)np, r->ping_ms < 200 ? r->ping_ms : 200);
		if (p[0].revents & POLLIN) {
			uint64_t v;

			if (read(r->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				log_warnx("repl", "eventfd: %s", strerror(errno));
		}
		if (r->lfd >= 0 && (p[1].revents & POLLIN))
			serve_accept(r, role);
		/*
		 * Silence counts only while this side reads: what the peer sent
		 * while this side was busy (a long walk, a commit) is in the
		 * socket, and recv_some() takes it before the clock is read.
		 */
		if (r->fd >= 0 && recv_some(r) >= 0 && now_ms() - r->heard_ms >= r->silent_ms)
			conn_close(r, "the peer is silent");
		while (r->fd >= 0 && next_frame(r, &m) == 1) {
			handle(r, m, role, latest);
			json_decref(m);
			if (r->fd >= 0)
				keepalive(r);
		}
		pthread_mutex_lock(&r->lock);
		r->status.revision = latest;
		r->status.lag_revisions =
		    role == STATUS_ROLE_ACTIVE && r->serving ? latest - r->acked : 0;
		r->status.lag_ms = role == STATUS_ROLE_ACTIVE && r->oldest_unacked_ms
				       ? (double)(now_ms() - r->oldest_unacked_ms)
				       : 0;
		snprintf(r->status.side, sizeof(r->status.side), "%s",
			 role == STATUS_ROLE_ACTIVE ? "active"
			 : follower                 ? "standby"
						    : "");
		bool alone = role == STATUS_ROLE_ACTIVE && !r->serving &&
			     (r->status.state == STATUS_REPL_IN_SYNC ||
			      r->status.state == STATUS_REPL_CATCHING_UP);
		pthread_mutex_unlock(&r->lock);
		if (alone)
			state_set(r, STATUS_REPL_ALONE, "the standby is not connected");
	}
	conn_close(r, NULL);
	return NULL;
}

/* ---- the main loop's half ---------------------------------------------------- */

/* The notable state changes the thread queued, to the subscribers, outside the lock. */
static void repl_publish(struct repl *r)
{
	struct status_repl_change q[TOLD_MAX];
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->ntold;
	memcpy(q, r->told_q, n * sizeof(q[0]));
	r->ntold = 0;
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < n; i++)
		repl_state_hook_run(&r->state_hook, &q[i]);
}

/* Commits what the thread received, then tells it what to acknowledge. */
static void repl_on_loop(evutil_socket_t fd, short what, void *arg)
{
	static const struct command_actor peer = {"replication", FULCRUM_ORIGIN_SYNC};
	struct repl *r = arg;
	struct repl_item *q;
	struct command_replay *revs;
	struct fulcrum_err err;
	size_t n, applied = 0;
	uint64_t v;
	bool reload;
	int rc = 0;

	looplag_mark();
	(void)what;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warnx("repl", "eventfd: %s", strerror(errno));
	if (r->aw)
		ackwait_dispatch(r->aw);
	repl_publish(r);
	pthread_mutex_lock(&r->lock);
	reload = r->reload_pending;
	r->reload_pending = false;
	pthread_mutex_unlock(&r->lock);
	if (reload) {
		/* a snapshot replaced the configuration: the mirror and every subscriber start over */
		r->reloading = true;
		if (store_reload_whole(r->st) != 0)
			log_errx("repl",
				 "replication: cannot reread the database after a snapshot: %s",
				 store_errmsg(r->st));
		r->reloading = false;
		pthread_mutex_lock(&r->lock);
		r->applied = store_revision(r->st);
		pthread_mutex_unlock(&r->lock);
		wake(r->efd);
	}
	pthread_mutex_lock(&r->lock);
	q = r->queue;
	n = r->nq;
	r->queue = NULL;
	r->nq = r->capq = 0;
	r->replay_busy = n > 0;
	pthread_mutex_unlock(&r->lock);
	if (n == 0)
		return;
	if ((revs = malloc(n * sizeof(*revs)))) {
		for (size_t i = 0; i < n; i++)
			revs[i] = q[i].r;
		r->replaying = true;
		rc = store_replay(r->st, &peer, revs, n, &applied, &err);
		r->replaying = false;
		free(revs);
	} else {
		rc = -ENOMEM;
		snprintf(err.message, sizeof(err.message), "out of memory");
	}
	if (rc != 0)
		log_warnx("repl", "replication: revision %" PRId64 " not committed here: %s",
			  q[applied].r.revision, err.message);
	pthread_mutex_lock(&r->lock);
	r->replay_busy = false;
	r->applied = store_revision(r->st);
	r->latest = r->applied;
	r->status.revisions_applied += applied;
	if (rc != 0) {
		char why[STATUS_HA_TEXT];

		r->apply_rc = rc;
		snprintf(why, sizeof(why), "%.180s", err.message);
		snprintf(r->status.error, sizeof(r->status.error), "%s", why);
		if (rc == -EPROTO)
			state_change_locked(r, STATUS_REPL_DIVERGED, why);
	}
	pthread_mutex_unlock(&r->lock);
	repl_publish(r);
	for (size_t i = 0; i < n; i++)
		repl_rev_free(q[i].rows, q[i].r.n);
	free(q);
	wake(r->efd);
}

/* The commit event: the thread learns of every new revision here. */
static void repl_on_commit(void *arg, const struct store_commit *ev)
{
	struct repl *r = arg;

	pthread_mutex_lock(&r->lock);
	r->latest = ev->revision;
	if (r->role == STATUS_ROLE_ACTIVE) {       /* its lag is measured from now */
		if (r->pending_n == PENDING_MAX) { /* the standby is far behind: the oldest goes */
			r->pending_head = (r->pending_head + 1) % PENDING_MAX;
			r->pending_n--;
		}
		r->pending[(r->pending_head + r->pending_n++) % PENDING_MAX] =
		    (struct repl_pending){ev->revision, now_us()};
	} else {
		r->pending_n = 0;
		/*
		 * What replication committed is acknowledged; anything else (a write
		 * taken in fault, fulcrumctl --db --force and its reload) is not the
		 * peer's: the thread compares histories again rather than acknowledge it.
		 */
		if (r->replaying) {
			r->known_rev = ev->revision; /* acknowledged once the whole batch is in */
		} else if (r->reloading || ev->revision <= r->known_rev) {
			r->applied = ev->revision;
			r->known_rev = ev->revision;
		} else {
			r->outside_rev = ev->revision;
		}
	}
	pthread_mutex_unlock(&r->lock);
	wake(r->efd);
}

void repl_sync_timed_out(struct repl *r, int64_t revision)
{
	pthread_mutex_lock(&r->lock);
	r->timed_out = revision;
	pthread_mutex_unlock(&r->lock);
	wake(r->efd);
}

/* ---- life ----------------------------------------------------------------- */

static int listen_on(const struct sockaddr *sa, socklen_t len, char *err, size_t errlen)
{
	char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
	int one = 1, fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, sa, len) != 0 || listen(fd, 4) != 0) {
		int e = errno;

		snprintf(err, errlen, "replication: cannot listen on %s port %s: %s", host, port,
			 strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

int repl_new(const struct repl_params *p, struct repl **out, char *err, size_t errlen)
{
	struct repl *r = calloc(1, sizeof(*r));
	char dberr[512] = "";
	int rc;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->base = p->base;
	r->st = p->store;
	r->aw = p->aw;
	r->fd = r->lfd = r->efd = r->loop_efd = -1;
	snprintf(r->db_path, sizeof(r->db_path), "%s", p->db_path);
	snprintf(r->node, sizeof(r->node), "%s", p->node);
	snprintf(r->cluster, sizeof(r->cluster), "%s", p->cluster);
	memcpy(&r->peer, p->peer, p->peer_len);
	r->peer_len = p->peer_len;
	r->role = STATUS_ROLE_STARTING;
	r->retention = p->retention;
	r->schema = p->schema ? p->schema : db_schema_version();
	r->rev_max = p->rev_max && p->rev_max < REPL_FRAME_MAX ? p->rev_max : REPL_FRAME_MAX;
	r->ping_ms = p->ping_ms > 0 ? p->ping_ms : PING_MS;
	r->silent_ms = p->silent_ms > 0 ? p->silent_ms : SILENT_MS;
	r->tick = (struct snapshot_tick){keepalive, r};
	r->tick_on = (struct snapshot_tick){keepalive_go_on, r};
	r->latest = r->applied = r->known_rev = store_revision(p->store);
	r->status.revision = r->latest;
	pthread_mutex_init(&r->lock, NULL);
	snprintf(r->status.mode, sizeof(r->status.mode), "%s", p->aw ? "sync" : "async");
	if (!(r->revs = calloc(READ_ROWS, sizeof(*r->revs)))) {
		rc = -ENOMEM;
		snprintf(err, errlen, "replication: out of memory");
		goto fail;
	}
	if ((rc = psk_derive(r, p->keys)) != 0) {
		snprintf(err, errlen, "replication: out of locked memory for the keys");
		goto fail;
	}
	if (gnutls_psk_allocate_server_credentials(&r->scred) != 0) {
		rc = -ENOMEM;
		snprintf(err, errlen, "replication: cannot set up TLS");
		goto fail;
	}
	gnutls_psk_set_server_credentials_function(r->scred, psk_lookup);
	if ((rc = db_open(r->db_path, &r->db, dberr, sizeof(dberr))) != 0) {
		snprintf(err, errlen, "replication: %s", dberr);
		goto fail;
	}
	if ((r->lfd = listen_on(p->listen, p->listen_len, err, errlen)) < 0) {
		rc = r->lfd;
		goto fail;
	}
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->loop_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0 || r->loop_efd < 0 ||
	    !(r->loop_ev =
		  event_new(p->base, r->loop_efd, EV_READ | EV_PERSIST, repl_on_loop, r)) ||
	    event_add(r->loop_ev, NULL) != 0 || store_subscribe(p->store, repl_on_commit, r) != 0) {
		rc = -ENOMEM;
		snprintf(err, errlen, "replication: out of memory or descriptors");
		goto fail;
	}
	if ((rc = -pthread_create(&r->thread, NULL, repl_main, r)) != 0) {
		snprintf(err, errlen, "replication: cannot start its thread: %s", strerror(-rc));
		store_unsubscribe(p->store, repl_on_commit, r);
		goto fail;
	}
	r->started = true;
	*out = r;
	return 0;
fail:
	repl_free(r);
	return rc;
}

void repl_free(struct repl *r)
{
	if (!r)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->lock);
		r->stop = true;
		pthread_mutex_unlock(&r->lock);
		wake(r->efd);
		pthread_join(r->thread, NULL);
		store_unsubscribe(r->st, repl_on_commit, r);
	}
	if (r->loop_ev)
		event_free(r->loop_ev);
	hook_clear(&r->state_hook);
	for (size_t i = 0; i < r->nq; i++)
		repl_rev_free(r->queue[i].rows, r->queue[i].r.n);
	free(r->queue);
	free(r->rbuf);
	free(r->revs);
	if (r->lfd >= 0)
		close(r->lfd);
	if (r->efd >= 0)
		close(r->efd);
	if (r->loop_efd >= 0)
		close(r->loop_efd);
	if (r->scred)
		gnutls_psk_free_server_credentials(r->scred);
	db_close(r->db);
	if (r->psk)
		sodium_free(r->psk);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void repl_role_set(struct repl *r, enum status_role role)
{
	pthread_mutex_lock(&r->lock);
	r->role = role;
	r->latest = r->applied = r->known_rev = store_revision(r->st);
	pthread_mutex_unlock(&r->lock);
	wake(r->efd);
}

void repl_peer_set(struct repl *r, bool alive, enum status_role role)
{
	pthread_mutex_lock(&r->lock);
	r->peer_known = true;
	r->peer_alive = alive;
	r->peer_role = role;
	pthread_mutex_unlock(&r->lock);
}

int repl_state_subscribe(struct repl *r, repl_state_hook_fn fn, void *arg)
{
	return repl_state_hook_add(&r->state_hook, fn, arg);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void repl_status(struct repl *r, struct status_repl *out)
{
	int64_t lag[LAG_SAMPLES];
	size_t n;

	pthread_mutex_lock(&r->lock);
	*out = r->status;
	n = r->lag_n;
	memcpy(lag, r->lag_us, n * sizeof(lag[0]));
	pthread_mutex_unlock(&r->lock);
	out->lag_samples = n;
	if (n) { /* nearest rank */
		qsort(lag, n, sizeof(lag[0]), cmp_i64);
		out->lag_p50_ms = (double)lag[(n * 50 + 99) / 100 - 1] / 1000;
		out->lag_p99_ms = (double)lag[(n * 99 + 99) / 100 - 1] / 1000;
		out->lag_max_ms = (double)lag[n - 1] / 1000;
	}
}
