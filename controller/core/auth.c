/* API tokens: creating them, and checking a presented token from memory. */
#include "controller/core/auth.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AUTH_PREFIX       "ful_"
#define AUTH_RANDOM_BYTES 32

static const char *const role_names[] = {"viewer", "operator", "admin"};

struct auth_entry {
	unsigned char hash[crypto_generichash_BYTES];
	struct auth_identity who;
};

struct auth {
	struct db *db;
	int64_t data_version;
	struct auth_entry *entries;
	size_t n;
};

const char *auth_role_name(enum fulcrum_role role)
{
	return (unsigned)role < 3 ? role_names[role] : NULL;
}

int auth_role_parse(const char *s, enum fulcrum_role *out)
{
	for (unsigned i = 0; i < 3; i++) {
		if (s && strcmp(s, role_names[i]) == 0) {
			*out = (enum fulcrum_role)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int auth_sodium(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

static void auth_hash(const char *token, unsigned char hash[crypto_generichash_BYTES])
{
	crypto_generichash(hash, crypto_generichash_BYTES, (const unsigned char *)token,
			   strlen(token), NULL, 0);
}

static bool auth_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len < 1 || len > 64)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-") ==
	       len;
}

int auth_token_create(struct db *db, const char *name, enum fulcrum_role role, char *out, char *msg,
		      size_t msglen)
{
	unsigned char rnd[AUTH_RANDOM_BYTES], hash[crypto_generichash_BYTES];
	struct db_token t = {0};
	int rc = auth_sodium();

	if (rc != 0) {
		snprintf(msg, msglen, "libsodium failed to start");
		return rc;
	}
	if (!name || !auth_name_valid(name)) {
		snprintf(msg, msglen, "token name: must be 1 to 64 of A-Z a-z 0-9 . _ @ -");
		return -EINVAL;
	}
	if (!auth_role_name(role)) {
		snprintf(msg, msglen, "token role: must be viewer, operator or admin");
		return -EINVAL;
	}
	randombytes_buf(rnd, sizeof(rnd));
	memcpy(out, AUTH_PREFIX, sizeof(AUTH_PREFIX) - 1);
	sodium_bin2base64(out + sizeof(AUTH_PREFIX) - 1,
			  AUTH_TOKEN_SIZE - (sizeof(AUTH_PREFIX) - 1), rnd, sizeof(rnd),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(rnd, sizeof(rnd));
	auth_hash(out, hash);
	sodium_bin2hex(t.hash, sizeof(t.hash), hash, sizeof(hash));
	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.role, sizeof(t.role), "%s", auth_role_name(role));
	t.created = (int64_t)time(NULL);
	rc = db_token_insert(db, &t);
	if (rc == -EEXIST)
		snprintf(msg, msglen, "token name: '%s' is taken", name);
	else if (rc != 0)
		snprintf(msg, msglen, "cannot store the token: %s", db_errmsg(db));
	if (rc != 0)
		sodium_memzero(out, AUTH_TOKEN_SIZE);
	return rc;
}

/* Reads every token from the database; the old set stays if that fails. */
static int auth_load(struct auth *a)
{
	struct db_token *list = NULL;
	struct auth_entry *entries = NULL;
	size_t n = 0, good = 0;
	int64_t version = 0;
	int rc = db_data_version(a->db, &version);

	if (rc == 0)
		rc = db_token_list(a->db, &list, &n);
	if (rc != 0)
		return rc;
	if (n) {
		entries = calloc(n, sizeof(*entries));
		if (!entries) {
			free(list);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct auth_entry *e = &entries[good];
		size_t hlen = 0;

		if (auth_role_parse(list[i].role, &e->who.role) != 0 ||
		    sodium_hex2bin(e->hash, sizeof(e->hash), list[i].hash, strlen(list[i].hash),
				   NULL, &hlen, NULL) != 0 ||
		    hlen != sizeof(e->hash))
			continue; /* the schema's CHECKs make this unreachable */
		snprintf(e->who.name, sizeof(e->who.name), "%s", list[i].name);
		good++;
	}
	free(list);
	free(a->entries);
	a->entries = entries;
	a->n = good;
	a->data_version = version;
	return 0;
}

int auth_open(struct db *db, struct auth **out)
{
	struct auth *a = calloc(1, sizeof(*a));
	int rc = auth_sodium();

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->db = db;
	if (rc == 0)
		rc = auth_load(a);
	if (rc != 0) {
		auth_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	free(a->entries);
	a->entries = NULL;
	free(a);
}

static int auth_find(const struct auth *a, const unsigned char *hash, struct auth_identity *who)
{
	int found = -EACCES;

	/* Constant time per entry, and every entry is compared. */
	for (size_t i = 0; i < a->n; i++) {
		if (sodium_memcmp(a->entries[i].hash, hash, crypto_generichash_BYTES) == 0) {
			*who = a->entries[i].who;
			found = 0;
		}
	}
	return found;
}

int auth_verify(struct auth *a, const char *token, struct auth_identity *who)
{
	unsigned char hash[crypto_generichash_BYTES];
	int64_t version = 0;

	if (!token || strlen(token) != AUTH_TOKEN_SIZE - 1 ||
	    strncmp(token, AUTH_PREFIX, sizeof(AUTH_PREFIX) - 1) != 0)
		return -EACCES;
	/*
	 * data_version reads SQLite's shared-memory WAL index, not the file: a
	 * token another process created or deleted counts from the next request.
	 */
	if (db_data_version(a->db, &version) == 0 && version != a->data_version)
		auth_load(a);
	auth_hash(token, hash);
	return auth_find(a, hash, who);
}
