/* bench/snapshot.sh's driver: builds a configuration, writes a snapshot to a file, applies one, digests. */
#include "controller/core/snapshot.h"
#include "controller/model/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct db *open_or_die(const char *path)
{
	struct db *db = NULL;
	char err[512];

	if (db_open(path, &db, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	return db;
}

static void die_db(struct db *db, const char *what)
{
	fprintf(stderr, "%s: %s\n", what, db_errmsg(db));
	exit(1);
}

/* n services of r real servers each, in one transaction: what the 10k benchmarks use. */
static void build(const char *path, int n, int r)
{
	struct db *db = open_or_die(path);
	int64_t rev;

	if (db_begin(db) != 0)
		die_db(db, "begin");
	for (int i = 0; i < n; i++) {
		struct fulcrum_vs vs;
		char addr[32];

		model_vs_init(&vs);
		snprintf(vs.name, sizeof(vs.name), "svc%d", i);
		snprintf(addr, sizeof(addr), "10.%d.%d.1", i / 256, i % 256);
		if (model_addr_parse(addr, &vs.addr) != 0)
			exit(1);
		vs.family = vs.addr.family;
		vs.port = 80;
		vs.protocol = FULCRUM_PROTO_TCP;
		if (db_vs_insert(db, &vs) != 0)
			die_db(db, "service");
		for (int k = 0; k < r; k++) {
			struct fulcrum_rs rs;

			model_rs_init(&rs);
			snprintf(addr, sizeof(addr), "172.%d.%d.%d", 16 + i / 4096, (i / 16) % 256,
				 (i % 16) * 10 + k + 1);
			if (model_addr_parse(addr, &rs.addr) != 0)
				exit(1);
			rs.port = 80;
			rs.vs_id = vs.id;
			if (db_rs_insert(db, &rs) != 0)
				die_db(db, "real server");
		}
	}
	if (db_revision_bump(db, &rev) != 0 || db_commit(db) != 0)
		die_db(db, "commit");
	db_close(db);
}

static int file_emit(const char *json, size_t len, void *arg)
{
	if (fwrite(json, 1, len, arg) != len || fputc('\n', arg) == EOF)
		return -EIO;
	return 0;
}

static void write_to(const char *path, const char *out)
{
	struct db *db = open_or_die(path);
	FILE *f = fopen(out, "w");
	char err[512];
	double t0 = now_s();

	if (!f || snapshot_write(db, file_emit, f, NULL, NULL, err, sizeof(err)) != 0 ||
	    fclose(f) != 0) {
		fprintf(stderr, "write: %s\n", err);
		exit(1);
	}
	printf("write %.2f s\n", now_s() - t0);
	db_close(db);
}

/* Applies the chunks of file in, one line at a time: memory is one chunk. */
static void apply_from(const char *path, const char *in)
{
	struct db *db = open_or_die(path);
	struct snapshot_apply *s;
	FILE *f = fopen(in, "r");
	char *line = NULL, err[512];
	size_t cap = 0;
	ssize_t len;
	double t0 = now_s();

	if (!f || snapshot_apply_begin(db, NULL, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "apply: %s\n", f ? err : in);
		exit(1);
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (snapshot_apply_chunk(s, line, (size_t)len, err, sizeof(err)) != 0) {
			fprintf(stderr, "apply: %s\n", err);
			snapshot_apply_abort(s);
			exit(1);
		}
	}
	free(line);
	fclose(f);
	if (snapshot_apply_end(s, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "apply: %s\n", err);
		exit(1);
	}
	printf("apply %.2f s\n", now_s() - t0);
	db_close(db);
}

static void digest(const char *path)
{
	unsigned char d[SNAPSHOT_DIGEST_SIZE];
	struct db *db = open_or_die(path);
	char err[512], hex[65];
	int64_t rev;
	double t0 = now_s();

	if (snapshot_digest(db, NULL, &rev, d, err, sizeof(err)) != 0) {
		fprintf(stderr, "digest: %s\n", err);
		exit(1);
	}
	snapshot_digest_hex(d, hex);
	printf("digest %s revision %lld %.2f s\n", hex, (long long)rev, now_s() - t0);
	db_close(db);
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "build") == 0)
		build(argv[2], atoi(argv[3]), atoi(argv[4]));
	else if (argc == 4 && strcmp(argv[1], "write") == 0)
		write_to(argv[2], argv[3]);
	else if (argc == 4 && strcmp(argv[1], "apply") == 0)
		apply_from(argv[2], argv[3]);
	else if (argc == 3 && strcmp(argv[1], "digest") == 0)
		digest(argv[2]);
	else {
		fprintf(stderr,
			"usage: %s build DB SERVICES REALS | write DB FILE | apply DB FILE | "
			"digest DB\n",
			argv[0]);
		return 2;
	}
	return 0;
}
