/* The heartbeat's replay window, one per peer node: (epoch, sequence) only ever move forward. */
#ifndef FULCRUM_HA_REPLAY_H
#define FULCRUM_HA_REPLAY_H

#include "controller/ha/ha_packet.h"

#include <stdint.h>

/*
 * The newest (epoch, seq) accepted from one peer, and which of the 64
 * sequence numbers before it were accepted too, so that the copy the second
 * path brings is told apart from a replay. Fields are private.
 */
struct ha_replay {
	uint64_t epoch; /* the highest accepted or restored epoch */
	uint64_t seq;   /* the highest accepted or restored seq within it */
	uint64_t seen;  /* bit i: seq - i was accepted since the last restore */
};

/*
 * Starts a window from what the caller saved (ha_replay_epoch() and
 * ha_replay_seq() of the last run; 0, 0 when there is none): from then on only
 * a later epoch, or epoch with a seq above seq, is accepted. Restoring makes a
 * replay of an old epoch fail after this node restarts too; within the restored
 * epoch, the first message accepted sets the floor.
 */
void ha_replay_init(struct ha_replay *r, uint64_t epoch, uint64_t seq);

/*
 * Checks an authentic message's (epoch, seq) and, when accepted, moves the
 * window to it. Returns HA_PACKET_OK, or why it is dropped:
 * HA_PACKET_OLD_EPOCH (an epoch below the newest), HA_PACKET_DUPLICATE (a seq
 * accepted already, within the last 64: the other path's copy),
 * HA_PACKET_LATE (within the last 64, not accepted, overtaken by a newer one:
 * a reordering, not an attack), HA_PACKET_REPLAYED (any other seq not above
 * the newest). Call it only after ha_packet_decode() returned HA_PACKET_OK.
 */
enum ha_packet_result ha_replay_check(struct ha_replay *r, uint64_t epoch, uint64_t seq);

/* The peer's highest accepted epoch and seq, for the caller to save and restore. */
uint64_t ha_replay_epoch(const struct ha_replay *r);
uint64_t ha_replay_seq(const struct ha_replay *r);

#endif
