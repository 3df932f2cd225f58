/* Tie-breakers: ICMP echo to the gateways (as Pacemaker's ping resource), so a cut-off node does not take over. */
#ifndef FULCRUM_HA_TIEBREAKER_H
#define FULCRUM_HA_TIEBREAKER_H

#include "controller/core/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Each target gets an echo request every probe period; the node reaches a
 * tie-breaker when any target answered within the last N probe periods. To
 * take the active role the answer must be fresh (HA_TIEBREAKER_WINDOW
 * probes, all within ha_deadtime); to give it up, every target must have
 * been silent for HA_TIEBREAKER_HOLD probes, so ordinary echo loss never
 * moves the role (docs/ha.md, "Tie-breakers"). Raw ICMP sockets (one per
 * family in use, CAP_NET_RAW), read by the caller's poll loop. All times are
 * the caller's monotonic milliseconds.
 */
#define HA_TIEBREAKER_WINDOW 3
#define HA_TIEBREAKER_HOLD   10
#define HA_TIEBREAKER_MAX    STATUS_HA_TARGETS

struct ha_tiebreaker;

/*
 * Parses targets (numeric addresses separated by blanks; "" for none: then
 * *out is NULL and 0 is returned) and opens the sockets. probe_ms is the
 * period. Returns 0, -EINVAL (err names the bad address), -E2BIG for more
 * than HA_TIEBREAKER_MAX targets, or the errno of socket().
 */
int ha_tiebreaker_new(const char *targets, uint64_t probe_ms, struct ha_tiebreaker **out, char *err,
		      size_t errlen);

/* Closes the sockets and frees; accepts NULL. */
void ha_tiebreaker_free(struct ha_tiebreaker *t);

/* The sockets to poll for reading (at most 2): fills fds, returns how many. */
size_t ha_tiebreaker_fds(const struct ha_tiebreaker *t, int fds[2]);

/* Sends the probes when their time has come (now >= ha_tiebreaker_next()). */
void ha_tiebreaker_probe(struct ha_tiebreaker *t, uint64_t now);

/* When the next probes are due. */
uint64_t ha_tiebreaker_next(const struct ha_tiebreaker *t);

/* Reads what fd holds (non-blocking) and notes the answers of our targets. */
void ha_tiebreaker_read(struct ha_tiebreaker *t, int fd, uint64_t now);

/* Whether a target answered within the last window probe periods. */
bool ha_tiebreaker_reached(const struct ha_tiebreaker *t, uint64_t now, unsigned window);

/* Fills st's targets, ntargets and tiebreaker_reached (fresh); wall_now - now converts times. */
void ha_tiebreaker_status(const struct ha_tiebreaker *t, uint64_t now, int64_t wall_now,
			  struct status_cluster *st);

/*
 * The pure parts, for the tests. ha_tiebreaker_echo_build() writes an echo
 * request (ICMP type 8, or ICMPv6 type 128 when v6) with id and seq and an
 * 8-byte payload into buf; the IPv4 one carries its checksum, the ICMPv6 one
 * 0 (the kernel fills it). Returns its length, 0 when cap is too small.
 * ha_tiebreaker_reply_parse() reads an echo reply as the raw socket gives it
 * (IPv4: with its IP header; ICMPv6: without) and returns 0 with *id and *seq,
 * or -EINVAL for anything else.
 */
size_t ha_tiebreaker_echo_build(uint8_t *buf, size_t cap, bool v6, uint16_t id, uint16_t seq);
int ha_tiebreaker_reply_parse(const uint8_t *buf, size_t len, bool v6, uint16_t *id, uint16_t *seq);
uint16_t ha_tiebreaker_csum(const uint8_t *buf, size_t len);

#endif
