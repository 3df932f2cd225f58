/* The heartbeat's replay window, one per peer node: (epoch, sequence) only ever move forward. */
#include "controller/ha/ha_replay.h"

#include <string.h>

#define HA_REPLAY_WINDOW 64 /* the bits of seen */

void ha_replay_init(struct ha_replay *r, uint64_t epoch, uint64_t seq)
{
	memset(r, 0, sizeof(*r));
	r->epoch = epoch;
	r->seq = seq;
}

enum ha_packet_result ha_replay_check(struct ha_replay *r, uint64_t epoch, uint64_t seq)
{
	uint64_t back;

	if (epoch < r->epoch)
		return HA_PACKET_OLD_EPOCH;
	if (epoch > r->epoch) {
		/* The peer restarted: its sequence starts again. */
		r->epoch = epoch;
		r->seq = seq;
		r->seen = 1;
		return HA_PACKET_OK;
	}
	if (seq > r->seq) {
		uint64_t ahead = seq - r->seq;

		r->seen = ahead >= HA_REPLAY_WINDOW ? 1 : r->seen << ahead | 1;
		r->seq = seq;
		return HA_PACKET_OK;
	}
	back = r->seq - seq;
	if (back >= HA_REPLAY_WINDOW || !r->seen)
		return HA_PACKET_REPLAYED; /* too old to know, or from before a restore */
	return r->seen >> back & 1 ? HA_PACKET_DUPLICATE : HA_PACKET_LATE;
}

uint64_t ha_replay_epoch(const struct ha_replay *r)
{
	return r->epoch;
}

uint64_t ha_replay_seq(const struct ha_replay *r)
{
	return r->seq;
}
