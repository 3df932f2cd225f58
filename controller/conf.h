/* fulcrumd's settings: defaults, the config file, and command-line overrides. */
#ifndef FULCRUM_CONF_H
#define FULCRUM_CONF_H

#include "log.h"

#include <stddef.h>

#define CONF_DEFAULT_PATH SYSCONFDIR "/fulcrum/fulcrumd.conf"

struct conf {
	char db_path[4096];
	enum log_level log_level;
	char log_file[4096]; /* empty: stderr in the foreground, syslog as a daemon */
	char node_name[65];  /* empty: the host name */
	char pid_file[4096]; /* written only when running as a daemon */
};

enum conf_type {
	CONF_STRING,
	CONF_LOG_LEVEL,
};

/* One setting: its name in the file, its type, its default, where it goes. */
struct conf_setting {
	const char *name;
	enum conf_type type;
	const char *def; /* default, in the file's syntax ("" for empty) */
	size_t offset;   /* into struct conf */
	size_t size;     /* of the field, for strings */
};

/* Fills c with every setting's default. */
void conf_defaults(struct conf *c);

/*
 * Sets one setting from text, as the file or a flag gives it. Returns 0, or
 * -ENOENT (no such setting) / -EINVAL (bad value) with err naming the setting
 * and the reason. c is unchanged on error.
 */
int conf_set(struct conf *c, const char *name, const char *value, char *err, size_t errlen);

/*
 * Reads the config file at path into c, over what c holds. Lines are
 * "name = value", '#' starts a comment. Returns 0; -ENOENT when the file does
 * not exist; or another negative errno with err saying "path:line: reason".
 * On error c may hold the settings read before the bad line.
 */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);

/* The table of every setting, for documentation checks; *n gets its length. */
const struct conf_setting *conf_settings(size_t *n);

#endif
