/* API tokens: creating them, and checking a presented token from memory. */
#ifndef FULCRUM_AUTH_H
#define FULCRUM_AUTH_H

#include "db/db.h"

#include <stddef.h>

/* What a token may do; each role may do all the roles below it may. */
enum fulcrum_role {
	FULCRUM_ROLE_VIEWER = 0, /* read */
	FULCRUM_ROLE_OPERATOR,   /* also change weights and admin state (drain, enable, disable) */
	FULCRUM_ROLE_ADMIN,      /* also create and delete services and real servers */
};

/* "ful_" and 43 base64url characters (256 random bits), and the NUL. */
#define AUTH_TOKEN_SIZE 48

struct auth;

/* Who a token belongs to. */
struct auth_identity {
	char name[65]; /* the actor recorded in the change log */
	enum fulcrum_role role;
};

const char *auth_role_name(enum fulcrum_role role);

/* Parses "viewer", "operator" or "admin": 0 or -EINVAL. */
int auth_role_parse(const char *s, enum fulcrum_role *out);

/*
 * Creates a token called name with role: 256 random bits from libsodium,
 * stored in db only as their BLAKE2b-256 hash. The token is written to out
 * (AUTH_TOKEN_SIZE bytes) and exists nowhere else: show it once. Returns 0,
 * -EINVAL for a name that is not 1..64 of [A-Za-z0-9._@-] (msg says so),
 * -EEXIST when the name is taken, or another negative errno from db.
 */
int auth_token_create(struct db *db, const char *name, enum fulcrum_role role, char *out, char *msg,
		      size_t msglen);

/*
 * Loads every token's hash and role from db into memory. db stays the
 * caller's and must outlive the auth. Returns 0 or a negative errno.
 */
int auth_open(struct db *db, struct auth **out);

/* Frees it; accepts NULL. */
void auth_free(struct auth *a);

/*
 * Checks a presented token (NUL-terminated, from the network: any bytes).
 * Returns 0 with who filled, or -EACCES. Answers from memory; the tokens are
 * reloaded when another process has written to the database since the last
 * load (fulcrumctl token create or delete), so a deleted token stops at once.
 */
int auth_verify(struct auth *a, const char *token, struct auth_identity *who);

#endif
