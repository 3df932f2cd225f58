/* Exporting the configuration as one document at one revision: from the store (fulcrumd) or a database (fulcrumctl --db). */
#ifndef FULCRUM_CONFIG_EXPORT_H
#define FULCRUM_CONFIG_EXPORT_H

#include "controller/config/config_io.h"
#include "controller/core/store.h"
#include "db/db.h"

/*
 * Writes what the store holds, at store_revision(), in fmt
 * (config_writer's forms): *out malloc'ed, the caller frees it. Returns 0
 * or a negative errno.
 */
int config_export_store(const struct store *st, enum config_format fmt, char **out, size_t *len);

/*
 * The same from db, inside one read transaction (no transaction may be
 * open on db), so that the document is one revision's, *revision.
 */
int config_export_db(struct db *db, enum config_format fmt, char **out, size_t *len,
		     int64_t *revision);

#endif
