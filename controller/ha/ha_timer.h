/* The engine's timer arithmetic, pure: send cadence, lateness, refresh and probe periods, loop stalls. */
#ifndef FULCRUM_HA_TIMER_H
#define FULCRUM_HA_TIMER_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The next heartbeat after the one due at due_us went out at now_us: one
 * interval after due, keeping the cadence when a wake-up was a little late;
 * one interval after now when the loop fell a whole interval behind (no burst
 * to catch up: the peer needs a recent message, not many).
 */
uint64_t ha_timer_next_send(uint64_t due_us, uint64_t now_us, uint64_t interval_ms);

/* How late the heartbeat thread woke for a send, worst and how often by more than half an interval. */
struct ha_timer_late {
	double max_ms;
	uint64_t over_half;
	uint64_t sends;
};

void ha_timer_late_note(struct ha_timer_late *l, uint64_t due_us, uint64_t now_us,
			uint64_t interval_ms);

/*
 * Whether a wake-up at now_us for a deadline at deadline_us means this node
 * was frozen: more than one interval late. Its own silence then says nothing
 * of the peer's (ha_beat.c gives the peer one more interval).
 */
bool ha_timer_frozen(uint64_t deadline_us, uint64_t now_us, uint64_t interval_ms);

/* The lifetime refresh period of the VIPs: a third of ha_vip_lifetime; 0 when permanent. */
uint64_t ha_timer_refresh_ms(unsigned lifetime_s);

/*
 * The tie-breaker probe period: window probes fit in ha_deadtime, so when a
 * peer has been silent for the dead time, this node has asked every target
 * window times in that time. At least 10 ms.
 */
uint64_t ha_timer_probe_ms(uint64_t deadtime_ms, unsigned window);

/* Whether the main loop turned (alive_ms) within timeout_ms of now_ms. */
bool ha_timer_loop_alive(uint64_t now_ms, uint64_t alive_ms, uint64_t timeout_ms);

/*
 * The probability, in a model of independent losses at rate loss per
 * message and path, that a given run of the dead time is silent: every
 * heartbeat sent in it lost on every path. (deadtime / interval messages, each
 * lost on all paths with loss^paths.) docs/ha.md gives the numbers.
 */
double ha_timer_false_dead(double loss, unsigned paths, uint64_t interval_ms, uint64_t deadtime_ms);

#endif
