/* Fuzz target: fulcrumd.conf through conf_load() and each of its lines through conf_set(). */
#include "controller/core/conf.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void fuzz_fail(const char *why, const char *err)
{
	fprintf(stderr, "fuzz_conf: %s\n  err: '%s'\n", why, err ? err : "");
	abort();
}

/* Settings that load: together they pass conf_ha_check() or it says why not. */
static void fuzz_ha(const struct conf *c)
{
	char err[512] = "";
	int rc = conf_ha_check(c, err, sizeof(err));

	if (rc != 0 && rc != -EINVAL)
		fuzz_fail("conf_ha_check returned neither 0 nor -EINVAL", err);
	if (rc != 0 && !err[0])
		fuzz_fail("conf_ha_check refused without a word", err);
}

/*
 * The file whole: 0, or -EINVAL with "PATH:LINE: reason" (the line one the
 * file has), whose reason is true of that line when it says the line is long.
 */
static void fuzz_load(const uint8_t *data, size_t size)
{
	char path[64], err[1024] = "", *end;
	struct conf c;
	unsigned long line, lines = 1;
	int fd = memfd_create("fuzz-conf", MFD_CLOEXEC), rc;

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	conf_defaults(&c);
	rc = conf_load(&c, path, err, sizeof(err));
	close(fd);
	if (rc == 0) {
		fuzz_ha(&c);
		return;
	}
	if (rc != -EINVAL)
		fuzz_fail("conf_load returned neither 0 nor -EINVAL", err);
	if (strncmp(err, path, strlen(path)) != 0 || err[strlen(path)] != ':')
		fuzz_fail("a refusal that does not start with the file's name", err);
	line = strtoul(err + strlen(path) + 1, &end, 10);
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (line < 1 || line > lines || strncmp(end, ": ", 2) != 0 || !end[2])
		fuzz_fail("a refusal that names no line of the file, or no reason", err);
	if (strncmp(end, ": line longer than ", 19) == 0) {
		/* the line's length as the file has it, its newline aside */
		const uint8_t *p = data, *stop = data + size, *nl;
		size_t len;

		for (unsigned long l = 1; l < line; l++)
			p = memchr(p, '\n', (size_t)(stop - p)) + 1;
		nl = memchr(p, '\n', (size_t)(stop - p));
		len = (size_t)((nl ? nl : stop) - p);
		if (len < 8190)
			fuzz_fail("a line called too long that is not", err);
	}
}

/*
 * One "name=value" pair, as they are (no trimming): 0 or -ENOENT/-EINVAL
 * with a message naming the setting; on error the settings are as they were.
 */
static void fuzz_set(const struct conf *defaults, const char *name, const char *value)
{
	struct conf c, was;
	char err[512] = "";
	int rc;

	memcpy(&c, defaults, sizeof(c));
	memcpy(&was, defaults, sizeof(c));
	rc = conf_set(&c, name, value, err, sizeof(err));
	if (rc == 0) {
		fuzz_ha(&c);
		return;
	}
	if (rc != -EINVAL && rc != -ENOENT)
		fuzz_fail("conf_set returned neither 0, -ENOENT nor -EINVAL", err);
	if (memcmp(&was, &c, sizeof(c)) != 0)
		fuzz_fail("a refused setting changed the settings", err);
	if (rc == -ENOENT ? strncmp(err, "unknown setting '", 17) != 0
			  : strncmp(err, name, strlen(name)) != 0 || err[strlen(name)] != ':')
		fuzz_fail("a refusal that does not name the setting", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf defaults;
	static bool ready;
	char *copy = malloc(size + 1), *save = NULL;

	if (!copy)
		return 0;
	if (!ready) {
		conf_defaults(&defaults);
		ready = true;
	}
	fuzz_load(data, size);
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');

		if (!eq)
			continue;
		*eq = '\0';
		fuzz_set(&defaults, l, eq + 1);
	}
	free(copy);
	return 0;
}
