/* The SQL migrations built into Fulcrum: db/schema-sql.c, generated from schema/NNN-*.sql. */
#ifndef FULCRUM_DB_SCHEMA_H
#define FULCRUM_DB_SCHEMA_H

#include <stddef.h>

/* Migration number version turns a version-1 database into a version one. */
struct db_schema_migration {
	int version;
	const char *name; /* the file it came from, e.g. "001-initial.sql" */
	const char *sql;
};

/* Every migration, numbered 1..db_schema_count in order (embed.awk checks it). */
extern const struct db_schema_migration db_schema_migrations[];
extern const size_t db_schema_count;

#endif
