/* What snapshot.c and snapshot_apply.c share: the sections, and the digest inside a transaction. */
#ifndef FULCRUM_SNAPSHOT_INT_H
#define FULCRUM_SNAPSHOT_INT_H

#include "controller/core/snapshot.h"

/* The sections of a snapshot, in the order they come. */
enum snapshot_section {
	SNAPSHOT_SERVICES = 0,
	SNAPSHOT_REALS,
	SNAPSHOT_VIPS,
	SNAPSHOT_SWITCHES,
	SNAPSHOT_TOKENS,
	SNAPSHOT_CHANGES,
	SNAPSHOT_SECTIONS,
};

/* "services", "reals" ...: a chunk's "type" and the end marker's counts. */
extern const char *const snapshot_section_names[SNAPSHOT_SECTIONS];

/* snapshot_digest() in the transaction open on db (read or write); the same contract. */
int snapshot_digest_in(struct db *db, const struct snapshot_tick *tick, int64_t *revision,
		       unsigned char out[SNAPSHOT_DIGEST_SIZE], char *err, size_t errlen);

#endif
