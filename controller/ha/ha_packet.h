/* The heartbeat's wire codec: one versioned, HMAC-SHA256-signed datagram (docs/ha.md). */
#ifndef FULCRUM_HA_PACKET_H
#define FULCRUM_HA_PACKET_H

#include "controller/ha/ha-t.h"
#include "controller/ha/ha_keys.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HA_PACKET_VERSION 1
#define HA_PACKET_HEADER  6   /* magic, version, key id: all that is read before the MAC */
#define HA_PACKET_MAC     32  /* HMAC-SHA256 */
#define HA_PACKET_MIN     88  /* one-character names */
#define HA_PACKET_MAX     214 /* 64-character names: a buffer this large holds any message */

/* One message, decoded or to encode. */
struct ha_msg {
	enum ha_msg_type type;
	unsigned key_id;         /* decode: the key it was signed with; encode: ignored */
	enum ha_role role;       /* the sender's, as it sends (after stepping down, for STEPDOWN) */
	enum ha_stepdown reason; /* STEPDOWN only; HA_STEPDOWN_NONE in a HEARTBEAT */
	unsigned priority;       /* 0..255 */
	unsigned flags;          /* enum ha_flag bits, 16 of them */
	uint64_t epoch;          /* the sender's boot epoch: greater at each start */
	uint64_t seq;            /* from 1 in each epoch, one more per message */
	uint64_t term;           /* see ha_fsm.h */
	int64_t revision;        /* the configuration revision the sender holds */
	uint64_t echo; /* the receiver's boot epoch as the sender last accepted it, 0: none heard */
	char cluster[HA_NAME_MAX + 1];
	char node[HA_NAME_MAX + 1];
};

/* Why a datagram was accepted or dropped: decode's and the replay window's answers. */
enum ha_packet_result {
	HA_PACKET_OK = 0,
	HA_PACKET_TRUNCATED,     /* shorter than a message, or a length runs past the end */
	HA_PACKET_BAD_MAGIC,     /* not a Fulcrum heartbeat */
	HA_PACKET_BAD_VERSION,   /* a version this node does not speak */
	HA_PACKET_UNKNOWN_KEY,   /* signed with a key id the key file does not list */
	HA_PACKET_FORGED,        /* the MAC does not match */
	HA_PACKET_OTHER_CLUSTER, /* authentic, but of another cluster */
	HA_PACKET_MALFORMED,     /* authentic, but a bad type, role, reason or name, or too long */
	HA_PACKET_OLD_EPOCH,     /* from an epoch before the newest seen: a replay */
	HA_PACKET_REPLAYED,      /* a sequence number already passed, not recently seen: a replay */
	HA_PACKET_DUPLICATE,     /* the same message again, as the second path brings it */
	HA_PACKET_LATE,          /* a recent one that a newer one overtook (paths reorder) */
	HA_PACKET_STALE_ECHO, /* a STEPDOWN whose echo is not this node's epoch: sent before its start */
	HA_PACKET_RESULT_COUNT,
};

/* Datagrams counted by result, for the MIB and the API. */
struct ha_packet_counters {
	uint64_t n[HA_PACKET_RESULT_COUNT];
};

/*
 * Encodes m, signed with the key file's send key (ha_keys_send_id(); m->key_id
 * is not read), into buf. Returns 0 with *len set, -EINVAL when m has a bad
 * type, role, reason, priority or name, -ENOSPC when cap is too small
 * (HA_PACKET_MAX always suffices).
 */
int ha_packet_encode(const struct ha_msg *m, const struct ha_keys *keys, uint8_t *buf, size_t cap,
		     size_t *len);

/*
 * Decodes the datagram buf[0..len) into *out. Only magic, version and key id
 * are read before the MAC is checked with the key the header names; then every
 * field is checked, and the cluster name compared with cluster (NULL: any).
 * Returns HA_PACKET_OK with *out filled, or the reason it was dropped (*out then
 * holds nothing to trust). Never reads past len, never allocates. The replay
 * window (ha_replay.h) is the caller's next step.
 */
enum ha_packet_result ha_packet_decode(const uint8_t *buf, size_t len, const struct ha_keys *keys,
				       const char *cluster, struct ha_msg *out);

/* Adds one to r's counter. */
void ha_packet_count(struct ha_packet_counters *c, enum ha_packet_result r);

/* A result's name for logs, the MIB and the API ("forged", "unknown_key"), NULL if none. */
const char *ha_packet_result_name(enum ha_packet_result r);

/* A step-down reason's name ("switchover", "failure"), NULL if none. */
const char *ha_packet_stepdown_name(enum ha_stepdown r);

/* Whether s is a name heartbeats may carry: 1..HA_NAME_MAX characters of 0x21..0x7e. */
bool ha_packet_name_valid(const char *s);

#endif
