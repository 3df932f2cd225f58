/* The heartbeat keys: Heartbeat's authkeys file, HMAC-SHA256 only, secrets in locked memory. */
#ifndef FULCRUM_HA_KEYS_H
#define FULCRUM_HA_KEYS_H

#include <stddef.h>

/* The shortest secret accepted, in bytes after decoding. */
#define HA_KEYS_SECRET_MIN 16

/* The largest key file read, in bytes: a key file is a few lines. */
#define HA_KEYS_FILE_MAX 65536

struct ha_keys;

/*
 * Parses the text of a key file (len bytes, need not end in NUL):
 *
 *     # a comment: a line whose first non-blank character is '#'
 *     auth 2
 *     1 hmac-sha256 some secret text
 *     2 hmac-sha256 hex:9f2c...        (or base64:..., standard alphabet, padded)
 *
 * "auth N" names the key heartbeats are sent with; every "N hmac-sha256 SECRET"
 * is a key received heartbeats may use. N is 1..255, each once; auth must name
 * a listed key. A plain SECRET is the rest of the line without its surrounding
 * blanks ('#' included); every secret is at least HA_KEYS_SECRET_MIN bytes.
 * Other methods (sha1, md5, crc) are refused with the line to write instead.
 *
 * On success returns 0 and *out, which the caller frees with ha_keys_free();
 * the secrets live in memory that is locked and wiped on free. On error
 * returns -EINVAL (-ENOMEM, -EIO when libsodium cannot start) with err holding
 * "name:line: reason" (or "name: reason" for the file as a whole), and *out is
 * NULL. No message ever quotes a secret. name is only used in messages.
 */
int ha_keys_parse(const char *text, size_t len, const char *name, struct ha_keys **out, char *err,
		  size_t errlen);

/*
 * Loads the key file at path: refuses a symbolic link (-ELOOP), anything but a
 * regular file (-EINVAL), a file not owned by the effective user (-EPERM), one
 * that group or others may read or write (-EACCES, err saying the chmod that
 * fixes it), one larger than HA_KEYS_FILE_MAX (-EFBIG); then parses it as
 * ha_keys_parse() does. The checks are made on the opened file, so they hold
 * for the bytes read. Returns 0 with *out (the caller's, ha_keys_free()), or a
 * negative errno with err saying "path: reason" or "path:line: reason".
 */
int ha_keys_load(const char *path, struct ha_keys **out, char *err, size_t errlen);

/* Wipes and frees the keys; accepts NULL. */
void ha_keys_free(struct ha_keys *k);

/*
 * Finds key id: returns 0 with *secret and *len pointing into k (valid until
 * ha_keys_free()), or -ENOENT when the file lists no key id.
 */
int ha_keys_get(const struct ha_keys *k, unsigned id, const unsigned char **secret, size_t *len);

/* The id of the key heartbeats are sent with (the file's "auth N"). */
unsigned ha_keys_send_id(const struct ha_keys *k);

/* How many keys the file lists. */
unsigned ha_keys_count(const struct ha_keys *k);

#endif
