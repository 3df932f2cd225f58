/* The engine's timer arithmetic, pure: send cadence, lateness, refresh and probe periods, loop stalls. */
#include "controller/ha/ha_timer.h"

uint64_t ha_timer_next_send(uint64_t due_us, uint64_t now_us, uint64_t interval_ms)
{
	uint64_t next = due_us + interval_ms * 1000;

	return next > now_us ? next : now_us + interval_ms * 1000;
}

void ha_timer_late_note(struct ha_timer_late *l, uint64_t due_us, uint64_t now_us,
			uint64_t interval_ms)
{
	double late = now_us > due_us ? (double)(now_us - due_us) / 1000.0 : 0;

	l->sends++;
	if (late > l->max_ms)
		l->max_ms = late;
	if (late * 2 > (double)interval_ms)
		l->over_half++;
}

bool ha_timer_frozen(uint64_t deadline_us, uint64_t now_us, uint64_t interval_ms)
{
	return now_us > deadline_us + interval_ms * 1000;
}

uint64_t ha_timer_refresh_ms(unsigned lifetime_s)
{
	return (uint64_t)lifetime_s * 1000 / 3;
}

uint64_t ha_timer_probe_ms(uint64_t deadtime_ms, unsigned window)
{
	uint64_t p = window ? deadtime_ms / window : deadtime_ms;

	return p < 10 ? 10 : p;
}

bool ha_timer_loop_alive(uint64_t now_ms, uint64_t alive_ms, uint64_t timeout_ms)
{
	return now_ms <= alive_ms || now_ms - alive_ms <= timeout_ms;
}

double ha_timer_false_dead(double loss, unsigned paths, uint64_t interval_ms, uint64_t deadtime_ms)
{
	double per_message = 1, p = 1;
	uint64_t n = interval_ms ? deadtime_ms / interval_ms : 0;

	for (unsigned i = 0; i < paths; i++)
		per_message *= loss;
	for (uint64_t i = 0; i < n; i++)
		p *= per_message;
	return p;
}
