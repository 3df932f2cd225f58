/* Fuzz target: snapshot_apply_chunk() on any chunks (one per line); a refused snapshot changes nothing. */
#include "controller/core/snapshot.h"
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One in-memory database for the whole run: what one input commits, the next starts from. */
static struct db *fuzz_db(void)
{
	static struct db *db;
	char err[256];

	if (!db && db_open(":memory:", &db, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_snapshot: %s\n", err);
		abort();
	}
	return db;
}

/* A digest of db, or abort(): the database is this process's own. */
static void fuzz_digest(struct db *db, unsigned char d[SNAPSHOT_DIGEST_SIZE])
{
	char err[256];

	if (snapshot_digest(db, NULL, NULL, d, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_snapshot: %s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char before[SNAPSHOT_DIGEST_SIZE], after[SNAPSHOT_DIGEST_SIZE];
	struct db *db = fuzz_db();
	struct snapshot_apply *s = NULL;
	const char *p = (const char *)data, *end = p + size;
	int64_t rev_before = db_revision(db), rev;
	char err[512] = "";
	int rc;

	fuzz_digest(db, before);
	if (snapshot_apply_begin(db, NULL, &s, err, sizeof(err)) != 0 || !s)
		abort();
	rc = 0;
	while (rc == 0 && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		rc = snapshot_apply_chunk(s, p, len, err, sizeof(err));
		if (rc != 0 && strncmp(err, "snapshot: chunk ", 16) != 0)
			abort(); /* every refusal names its chunk */
		p += len + (nl ? 1 : 0);
	}
	if (rc != 0) {
		snapshot_apply_abort(s);
	} else {
		rc = snapshot_apply_end(s, &rev, err, sizeof(err));
		if (rc != 0 && strncmp(err, "snapshot: ", 10) != 0)
			abort();
	}
	if (db_in_transaction(db))
		abort();
	fuzz_digest(db, after);
	/* refused: exactly as it was; applied: what the header said */
	if (rc != 0 &&
	    (memcmp(before, after, sizeof(before)) != 0 || db_revision(db) != rev_before))
		abort();
	if (rc == 0 && db_revision(db) != rev)
		abort();
	return 0;
}
