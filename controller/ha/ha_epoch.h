/* The boot epoch and the peer's highest epoch, kept in small files beside the database. */
#ifndef FULCRUM_HA_EPOCH_H
#define FULCRUM_HA_EPOCH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Two files, each one line, written whole to a temporary file (mode 0600),
 * fsynced, renamed over the old one, and the folder fsynced: a crash leaves
 * either the old or the new value, never a mix.
 *
 *   DB.ha-epoch   this node's epoch:        "EPOCH\n"
 *   DB.ha-peer    the peer's highest epoch: "NODE EPOCH SEQ\n"
 */

/* Writes "<db_path>.<suffix>" into buf; -ENAMETOOLONG when it does not fit. */
int ha_epoch_path(const char *db_path, const char *suffix, char *buf, size_t len);

/*
 * This start's epoch: one more than the file holds, or wall_ms (the Unix time
 * in ms) when that is greater, so a lost file still gives an epoch above any
 * the peer saw (unless the clock also went back), and a clock that went back
 * still gives one above the file's. Writes it back durably before returning 0
 * with *out. A missing file counts as 0. Returns -EBADMSG for a file that is
 * not one number (err says to delete it), or the errno of a failed read or
 * write, with err naming path.
 */
int ha_epoch_next(const char *path, uint64_t wall_ms, uint64_t *out, char *err, size_t errlen);

/*
 * The peer's saved window: node name (nodelen bytes with its NUL), epoch and
 * seq. A missing file gives 0, 0 and "" and returns 0; -EBADMSG for one that
 * does not parse.
 */
int ha_epoch_peer_load(const char *path, char *node, size_t nodelen, uint64_t *epoch, uint64_t *seq,
		       char *err, size_t errlen);

/* Saves the peer's window durably. 0 or a negative errno with err saying what failed. */
int ha_epoch_peer_save(const char *path, const char *node, uint64_t epoch, uint64_t seq, char *err,
		       size_t errlen);

#endif
