/* fulcrumd's settings: defaults, the config file, and command-line overrides. */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define STR(field) offsetof(struct conf, field), sizeof(((struct conf *)0)->field)

static const struct conf_setting settings[] = {
    {"db", CONF_STRING, LOCALSTATEDIR "/lib/fulcrum/fulcrum.db", STR(db_path)},
    {"log_level", CONF_LOG_LEVEL, "info", offsetof(struct conf, log_level), 0},
    {"log_file", CONF_STRING, "", STR(log_file)},
    {"node_name", CONF_STRING, "", STR(node_name)},
    {"pid_file", CONF_STRING, RUNSTATEDIR "/fulcrumd.pid", STR(pid_file)},
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

const struct conf_setting *conf_settings(size_t *n)
{
	*n = NSETTINGS;
	return settings;
}

static const struct conf_setting *conf_find(const char *name)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

int conf_set(struct conf *c, const char *name, const char *value, char *err, size_t errlen)
{
	const struct conf_setting *s = conf_find(name);
	char *field;

	if (!s) {
		snprintf(err, errlen, "unknown setting '%s'", name);
		return -ENOENT;
	}
	field = (char *)c + s->offset;
	switch (s->type) {
	case CONF_STRING:
		if (strlen(value) >= s->size) {
			snprintf(err, errlen, "%s: longer than %zu characters", name, s->size - 1);
			return -EINVAL;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case CONF_LOG_LEVEL:
		if (log_level_parse(value, (enum log_level *)(void *)field) != 0) {
			snprintf(err, errlen,
				 "%s: '%s' is not one of error, warning, notice, info, debug", name,
				 value);
			return -EINVAL;
		}
		return 0;
	}
	snprintf(err, errlen, "%s: unknown type", name);
	return -EINVAL;
}

void conf_defaults(struct conf *c)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NSETTINGS; i++) {
		int rc = conf_set(c, settings[i].name, settings[i].def, err, sizeof(err));

		(void)rc;
	}
}

static char *conf_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	char line[8192], why[512];
	unsigned lineno = 0;
	int rc = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		char *name, *value, *eq, *hash;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line longer than %zu characters", path,
				 lineno, sizeof(line) - 2);
			rc = -EINVAL;
			goto out;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		name = conf_trim(line);
		if (*name == '\0')
			continue;
		eq = strchr(name, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'name = value', got '%s'", path,
				 lineno, name);
			rc = -EINVAL;
			goto out;
		}
		*eq = '\0';
		value = conf_trim(eq + 1);
		name = conf_trim(name);
		rc = conf_set(c, name, value, why, sizeof(why));
		if (rc != 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			rc = -EINVAL;
			goto out;
		}
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
out:
	fclose(f);
	return rc;
}
