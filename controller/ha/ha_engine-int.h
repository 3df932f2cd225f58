/* The failover engine's insides, shared by ha_engine.c (main-thread side), ha_beat.c (the heartbeat thread) and ha_path.c (its sockets). */
#ifndef FULCRUM_HA_ENGINE_INT_H
#define FULCRUM_HA_ENGINE_INT_H

#include "controller/ha/ha_addr.h"
#include "controller/ha/ha_announce.h"
#include "controller/ha/ha_engine.h"
#include "controller/ha/ha_fsm.h"
#include "controller/ha/ha_packet.h"
#include "controller/ha/ha_replay.h"
#include "controller/ha/ha_sync.h"
#include "controller/ha/ha_tiebreaker.h"
#include "controller/ha/ha_timer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

struct event;

#define HA_PATHS_MAX 2

/* One heartbeat path: the peer's address and the socket that reaches it. */
struct ha_path {
	struct sockaddr_storage peer;
	socklen_t peerlen;
	int fd; /* one of ha_beat.fds: two paths with the same local end share one */
	char peer_text[STATUS_HA_ADDR], bind_text[STATUS_HA_ADDR];
	uint64_t sent, send_errors, received;
	uint64_t last_heard; /* monotonic ms */
	char send_error[96];
	int last_errno; /* the last send failure, logged once until it changes */
};

/* What the main thread asks, queued for the heartbeat thread. */
enum ha_cmd_kind {
	HA_CMD_SWITCHOVER = 1,
	HA_CMD_MAINTENANCE,
};

struct ha_cmd {
	enum ha_cmd_kind kind;
	bool flag; /* force, or on */
	ha_engine_done_fn fn;
	void *arg;
};

/* What the heartbeat thread tells, queued for the main loop. */
enum ha_event_kind {
	HA_EV_ROLE = 1,
	HA_EV_PEER,
	HA_EV_DONE,
	HA_EV_STOPPED,
};

struct ha_event {
	enum ha_event_kind kind;
	struct status_role_change role;
	struct status_peer_change peer;
	ha_engine_done_fn fn;
	void *arg;
	int rc;
	char reason[HA_FSM_TEXT_MAX];
};

/* The heartbeat thread's own state: only it touches this. */
struct ha_beat {
	struct ha_fsm fsm;
	struct ha_path paths[HA_PATHS_MAX];
	size_t npaths;
	int fds[HA_PATHS_MAX]; /* the UDP sockets */
	size_t nfds;
	uint64_t seq;
	struct ha_replay replay, stranger; /* the peer's window; one for any other name */
	char replay_node[HA_NAME_MAX + 1], stranger_node[HA_NAME_MAX + 1];
	uint64_t saved_epoch; /* the peer's epoch last saved */
	char peer_addr[STATUS_HA_ADDR];
	struct ha_packet_counters rx;
	uint64_t sent, sent_stepdown, send_errors, role_changes;
	uint64_t next_send_us;
	unsigned health; /* the HA_FLAGS_LOCAL last reported to the machine */
	char health_text[STATUS_HA_TEXT];
	struct ha_tiebreaker *tb;
	bool tb_reached_once;    /* a tie-breaker answered since start: a loss is news */
	struct ha_announce *ann; /* opened at the first announcement */
	struct ha_vip *vips;
	size_t nvips;
	bool holding;          /* the VIPs are wanted on this node */
	uint64_t take_gen;     /* the address thread's generation that adds them */
	bool announce_pending; /* announce once the address thread has added them */
	bool sync_pending;     /* the sync daemon becomes master once they are up */
	unsigned announce_left;
	uint64_t next_announce_us, announcements;
	enum ha_peer_state peer_state;
	uint64_t peer_state_since;
	bool stopping;
	uint64_t stop_gen, stop_deadline_us;
	struct ha_timer_late late;
	uint64_t grace_until_us; /* after a freeze of this node: no tick before this */
	uint64_t freezes;        /* wake-ups more than an interval late */
	bool realtime;
	uint64_t loop_bad_since; /* monotonic ms the main loop was first seen stalled; 0: fine */
	char carrier_down[16];   /* the first link found down, "" when all are up */
	int ifd;                 /* a datagram socket for SIOCGIFFLAGS */
};

struct ha_engine {
	/* set before the threads start, read-only after */
	struct conf conf;
	char node[HA_NAME_MAX + 1];
	bool standalone;
	struct ha_keys *keys;
	uint64_t epoch;
	char peer_path[4200];
	char bind_ifs[HA_PATHS_MAX][16]; /* the links of the heartbeat paths' bind addresses */
	size_t nbind_ifs;
	struct event_base *base;
	struct event *wake_ev, *alive_ev;
	int main_efd; /* heartbeat thread -> main loop */
	int beat_efd; /* main loop, address thread -> heartbeat thread */
	pthread_t thread;
	bool started;
	struct ha_addr *addr;
	struct ha_sync *sync;
	struct ha_beat beat;
	_Atomic uint64_t loop_alive; /* monotonic ms of the main loop's last turn */
	_Atomic int64_t revision;

	struct hook role_hook, peer_hook; /* main thread only */
	ha_engine_stopped_fn stopped_fn;
	void *stopped_arg;

	pthread_mutex_t lock; /* guards what follows: a copy in or out, never held over work */
	bool stop_asked, exit_now;
	struct ha_vip *new_vips; /* a list not yet taken by the heartbeat thread */
	size_t nnew_vips;
	bool vips_changed;
	bool ipvs_usable;
	char ipvs_why[160];
	bool config_complete, config_known;
	char config_why[160];
	char peer_behind[HA_FSM_TEXT_MAX]; /* ha_engine_peer_behind_set() */
	struct ha_cmd cmds[16];
	size_t ncmds;
	struct ha_event *events;
	size_t nevents, capevents;
	struct status_cluster snap;
};

/* Monotonic time. */
uint64_t ha_engine_now_us(void);
int64_t ha_engine_wall_ms(void);

/* Heartbeat thread -> main loop: queues ev and wakes the loop. */
void ha_engine_post(struct ha_engine *e, const struct ha_event *ev);

/* Wakes the heartbeat thread (any thread). */
void ha_engine_kick(struct ha_engine *e);

/* The heartbeat thread's body (ha_beat.c). */
void *ha_beat_main(void *arg);

/* The sockets (ha_path.c): open the paths from the settings; 0 or a negative errno with err. */
int ha_path_open(struct ha_engine *e, char *err, size_t errlen);
void ha_path_close(struct ha_engine *e);

/*
 * Assembles and signs one message: the machine's fields (ha_fsm_msg_fill()),
 * then cluster, epoch, seq, revision and echo (the peer's epoch as this node
 * last accepted it). 0 with *len, or -EINVAL (a bug).
 */
int ha_path_msg(const struct ha_fsm *f, enum ha_msg_type type, const char *cluster, uint64_t epoch,
		uint64_t seq, int64_t revision, uint64_t echo, const struct ha_keys *keys,
		uint8_t *buf, size_t cap, size_t *len);

/* Encodes and sends one message of type on every path; 0 when at least one path sent it. */
int ha_path_send(struct ha_engine *e, enum ha_msg_type type);

/*
 * Reads every datagram waiting on fd, decodes and checks each against the
 * replay windows, counts it, and gives the accepted ones to fn.
 */
typedef void (*ha_path_heard_fn)(struct ha_engine *e, const struct ha_msg *m, uint64_t now_ms);
void ha_path_read(struct ha_engine *e, int fd, uint64_t now_ms, ha_path_heard_fn fn);

#endif
