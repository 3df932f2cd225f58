/* The boot epoch and the peer's highest epoch, kept in small files beside the database. */
#include "controller/ha/ha_epoch.h"

#include "controller/ha/ha-t.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HA_EPOCH_FILE_MAX 256

int ha_epoch_path(const char *db_path, const char *suffix, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.%s", db_path, suffix);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Reads the whole (small) file into buf; -ENOENT when absent. */
static int ha_epoch_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

/* Writes text to path durably: temporary file, fsync, rename, fsync of the folder. */
static int ha_epoch_write(const char *path, const char *text)
{
	char tmp[4200], dir[4200];
	size_t len = strlen(text);
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (fchmod(fd, 0600) != 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
		rc = errno ? -errno : -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) != 0)
			rc = -errno;
		close(fd);
	}
	return rc;
}

/* Parses one unsigned decimal number at *s, moving *s past it. */
static int ha_epoch_number(const char **s, uint64_t *out)
{
	char *end;

	if (**s < '0' || **s > '9')
		return -EBADMSG;
	errno = 0;
	*out = strtoull(*s, &end, 10);
	if (errno)
		return -EBADMSG;
	*s = end;
	return 0;
}

int ha_epoch_next(const char *path, uint64_t wall_ms, uint64_t *out, char *err, size_t errlen)
{
	char buf[HA_EPOCH_FILE_MAX], text[32];
	const char *s = buf;
	uint64_t stored = 0, epoch;
	int rc = ha_epoch_read(path, buf, sizeof(buf));

	if (rc == 0) {
		if (ha_epoch_number(&s, &stored) != 0 || strcmp(s, "\n") != 0) {
			snprintf(err, errlen,
				 "%s: not an epoch (one number); delete it and fulcrumd starts "
				 "from the clock",
				 path);
			return -EBADMSG;
		}
	} else if (rc != -ENOENT) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
		return rc;
	}
	epoch = stored + 1 > wall_ms ? stored + 1 : wall_ms;
	snprintf(text, sizeof(text), "%" PRIu64 "\n", epoch);
	rc = ha_epoch_write(path, text);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(-rc));
		return rc;
	}
	*out = epoch;
	return 0;
}

int ha_epoch_peer_load(const char *path, char *node, size_t nodelen, uint64_t *epoch, uint64_t *seq,
		       char *err, size_t errlen)
{
	char buf[HA_EPOCH_FILE_MAX];
	const char *s = buf;
	size_t n;
	int rc = ha_epoch_read(path, buf, sizeof(buf));

	*epoch = *seq = 0;
	node[0] = '\0';
	if (rc == -ENOENT)
		return 0;
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
		return rc;
	}
	n = strcspn(s, " \n");
	if (n == 0 || n > HA_NAME_MAX || n >= nodelen || s[n] != ' ')
		goto bad;
	memcpy(node, s, n);
	node[n] = '\0';
	s += n + 1;
	if (ha_epoch_number(&s, epoch) != 0 || *s++ != ' ' || ha_epoch_number(&s, seq) != 0 ||
	    strcmp(s, "\n") != 0)
		goto bad;
	return 0;
bad:
	node[0] = '\0';
	*epoch = *seq = 0;
	snprintf(err, errlen, "%s: not 'NODE EPOCH SEQ'; delete it to start again", path);
	return -EBADMSG;
}

int ha_epoch_peer_save(const char *path, const char *node, uint64_t epoch, uint64_t seq, char *err,
		       size_t errlen)
{
	char text[HA_NAME_MAX + 64];
	int rc;

	snprintf(text, sizeof(text), "%s %" PRIu64 " %" PRIu64 "\n", node, epoch, seq);
	rc = ha_epoch_write(path, text);
	if (rc != 0)
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(-rc));
	return rc;
}
