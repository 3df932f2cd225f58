/* Replication's messages: one JSON object per frame, each frame a 4-byte length then the text. */
#ifndef FULCRUM_REPL_MSG_H
#define FULCRUM_REPL_MSG_H

#include "controller/core/command.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The protocol version a HELLO carries; another is refused by name. */
#define REPL_PROTO 1

/* The largest frame read or written (a revision of a large batch, a snapshot chunk). */
#define REPL_FRAME_MAX (16u << 20)

/* A frame's header: the length of the JSON text that follows, big-endian. */
#define REPL_HEADER 4

/*
 * The length in a frame's header, or -1 when it is 0 or larger than
 * REPL_FRAME_MAX (a peer that sends one is dropped).
 */
long repl_frame_len(const unsigned char hdr[REPL_HEADER]);

/* Writes len into a frame's header. */
void repl_frame_hdr(unsigned char hdr[REPL_HEADER], size_t len);

/*
 * Parses one frame's text (len bytes, no NUL needed) into a JSON object with
 * a string "t" (its type): the object (the caller's, json_decref()) or NULL
 * with err saying why. Duplicate keys are refused.
 */
json_t *repl_msg_parse(const char *text, size_t len, char *err, size_t errlen);

/* The type of a parsed message ("hello", "rev", ...). */
const char *repl_msg_type(const json_t *m);

/*
 * A revision as a "rev" message: {"t": "rev", "revision", "time", "actor",
 * "origin", "changes": [{"type", "id", "before", "after"}]} where before and
 * after are the change log's JSON texts carried as strings (null for none),
 * so the standby compares them byte for byte. NULL when out of memory.
 */
json_t *repl_rev_encode(const struct command_replay *r);

/*
 * A "rev" message back into r, with its rows in a malloc'ed array the caller
 * frees with repl_rev_free() (also on failure). Every field is checked: a
 * revision and time above 0, an actor of at most 64 bytes, an origin Fulcrum
 * knows, 1 to 1,000,000 rows, each an object type of at most 15 bytes, an id
 * above 0 and a before or an after (strings). Returns 0, or -EBADMSG with err
 * naming the field.
 */
int repl_rev_decode(const json_t *m, struct command_replay *r, struct fulcrum_change **rows,
		    char *err, size_t errlen);
void repl_rev_free(struct fulcrum_change *rows, size_t n);

/*
 * An integer member key of m in [min, max] into *out: 0, or -EBADMSG with err
 * naming key. A string member into buf (size bytes, NUL included): the same.
 */
int repl_msg_int(const json_t *m, const char *key, int64_t min, int64_t max, int64_t *out,
		 char *err, size_t errlen);
int repl_msg_str(const json_t *m, const char *key, char *buf, size_t size, char *err,
		 size_t errlen);

/*
 * The history hash: SHA-256 over the change-log rows of consecutive
 * revisions, fed in order (repl_chain_add() once per batch of rows), read at
 * any point (repl_chain_hex(): the hash of every row added so far, in hex,
 * 65 bytes with the NUL; the state goes on). Two directors that fed the
 * same rows from the same starting revision read the same hash: what they
 * compare to know they share a history. Each row's revision, time, actor,
 * origin, object type, id, before and after count, each with its length.
 */
struct repl_chain {
	_Alignas(16) unsigned char state[512]; /* crypto_hash_sha256_state, opaque here */
};
void repl_chain_init(struct repl_chain *c);
void repl_chain_add(struct repl_chain *c, const struct fulcrum_change *rows, size_t n);
void repl_chain_hex(const struct repl_chain *c, char out[65]);

#endif
