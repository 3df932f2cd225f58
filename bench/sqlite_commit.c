/* The baseline for bench/api.sh's writes: SQLite's durable commits per second as db/ opens it. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COMMIT_LAT_MAX 1000000 /* commits whose latency is kept for p99 */

static double commit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int commit_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int commit_exec(sqlite3 *conn, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(conn, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		fprintf(stderr, "sqlite-commit: %s: %s\n", sql, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc;
}

/* One cached statement run to its end; SQLITE_OK or the error. */
static int commit_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

int main(int argc, char **argv)
{
	sqlite3 *conn = NULL;
	sqlite3_stmt *begin = NULL, *update = NULL, *commit = NULL;
	double seconds, start, t, *lat = NULL;
	char mode[16] = "";
	long n = 0;
	size_t kept;
	int rc;

	if (argc != 3 || (seconds = strtod(argv[2], NULL)) <= 0) {
		fprintf(stderr,
			"Usage: sqlite-commit FILE SECONDS\n"
			"Commits one-row UPDATE transactions to FILE (WAL, synchronous=FULL, "
			"as db/db.c opens it) for SECONDS; prints commits/s and p99 in ms.\n");
		return 2;
	}
	lat = malloc(COMMIT_LAT_MAX * sizeof(*lat));
	rc = lat ? sqlite3_open_v2(argv[1], &conn,
				   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				   NULL)
		 : SQLITE_NOMEM;
	if (rc != SQLITE_OK) {
		fprintf(stderr, "sqlite-commit: %s: %s\n", argv[1], sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_busy_timeout(conn, 5000);
	{
		sqlite3_stmt *st = NULL;

		/* journal_mode answers with the mode it got: a tmpfs or odd VFS may refuse WAL. */
		rc = sqlite3_prepare_v2(conn, "PRAGMA journal_mode = WAL", -1, &st, NULL);
		if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			snprintf(mode, sizeof(mode), "%s",
				 (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		if (strcmp(mode, "wal") != 0) {
			fprintf(stderr, "sqlite-commit: journal mode is '%s', not 'wal'\n", mode);
			rc = SQLITE_ERROR;
			goto out;
		}
	}
	if ((rc = commit_exec(conn, "PRAGMA synchronous = FULL")) != SQLITE_OK ||
	    (rc = commit_exec(conn, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, "
				    "weight INTEGER NOT NULL)")) != SQLITE_OK ||
	    (rc = commit_exec(conn, "INSERT OR IGNORE INTO t VALUES (1, 1)")) != SQLITE_OK)
		goto out;
	/* Prepared once, like db/'s statement cache: the loop measures commits, not parsing. */
	if ((rc = sqlite3_prepare_v2(conn, "BEGIN IMMEDIATE", -1, &begin, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(conn, "UPDATE t SET weight = ? WHERE id = 1", -1, &update,
				     NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(conn, "COMMIT", -1, &commit, NULL)) != SQLITE_OK) {
		fprintf(stderr, "sqlite-commit: %s\n", sqlite3_errmsg(conn));
		goto out;
	}
	start = t = commit_now();
	while (t - start < seconds) {
		double t0 = t;

		sqlite3_bind_int64(update, 1, (sqlite3_int64)(n % 65535) + 1); /* always a change */
		if ((rc = commit_step(begin)) != SQLITE_OK ||
		    (rc = commit_step(update)) != SQLITE_OK ||
		    (rc = commit_step(commit)) != SQLITE_OK) {
			fprintf(stderr, "sqlite-commit: %s\n", sqlite3_errmsg(conn));
			goto out;
		}
		t = commit_now();
		if (n < COMMIT_LAT_MAX)
			lat[n] = t - t0;
		n++;
	}
	kept = (size_t)(n < COMMIT_LAT_MAX ? n : COMMIT_LAT_MAX);
	qsort(lat, kept, sizeof(*lat), commit_cmp);
	printf("commits %ld seconds %.3f commits/s %.1f p50_ms %.3f p99_ms %.3f\n", n, t - start,
	       (double)n / (t - start), kept ? lat[kept / 2] * 1e3 : 0,
	       kept ? lat[(size_t)((double)kept * 0.99)] * 1e3 : 0);
	rc = SQLITE_OK;
out:
	sqlite3_finalize(begin);
	sqlite3_finalize(update);
	sqlite3_finalize(commit);
	sqlite3_close(conn);
	free(lat);
	return rc == SQLITE_OK ? 0 : 1;
}
