/* The heartbeat keys: Heartbeat's authkeys file, HMAC-SHA256 only, secrets in locked memory. */
#include "controller/ha/ha_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define HA_KEYS_IDS 256 /* ids are 1..255; slot 0 stays empty */

struct ha_keys_slot {
	size_t off, len; /* into pool; len 0: no such key */
	unsigned line;   /* where the file lists it, for messages */
};

/*
 * One sodium_malloc()ed block: guarded, locked, wiped by sodium_free(). The
 * pool is as large as the text, which bounds the decoded secrets together.
 */
struct ha_keys {
	unsigned send_id, count;
	size_t used, cap;
	struct ha_keys_slot slot[HA_KEYS_IDS];
	unsigned char pool[];
};

/* A piece of the text: never NUL-terminated, never copied out of text or pool. */
struct ha_keys_span {
	const char *p;
	size_t n;
};

static bool ha_keys_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static struct ha_keys_span ha_keys_trim(struct ha_keys_span s)
{
	while (s.n && ha_keys_blank(*s.p)) {
		s.p++;
		s.n--;
	}
	while (s.n && ha_keys_blank(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* Cuts the first blank-separated word off *rest and returns it. */
static struct ha_keys_span ha_keys_word(struct ha_keys_span *rest)
{
	struct ha_keys_span w = ha_keys_trim(*rest);
	size_t i = 0;

	while (i < w.n && !ha_keys_blank(w.p[i]))
		i++;
	rest->p = w.p + i;
	rest->n = w.n - i;
	w.n = i;
	return w;
}

static bool ha_keys_is(struct ha_keys_span w, const char *word)
{
	return w.n == strlen(word) && strncasecmp(w.p, word, w.n) == 0;
}

/* A key number: 1 to 3 decimal digits, 1..255; 0 when w is anything else. */
static unsigned ha_keys_id(struct ha_keys_span w)
{
	unsigned v = 0;

	if (w.n < 1 || w.n > 3)
		return 0;
	for (size_t i = 0; i < w.n; i++) {
		if (w.p[i] < '0' || w.p[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(w.p[i] - '0');
	}
	return v <= 255 ? v : 0;
}

static bool ha_keys_prefix(struct ha_keys_span *s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (s->n < n || strncmp(s->p, prefix, n) != 0)
		return false;
	s->p += n;
	s->n -= n;
	return true;
}

/* Decodes one secret into the pool; its text is s. Returns 0 or -EINVAL with why filled. */
static int ha_keys_secret(struct ha_keys *k, unsigned id, struct ha_keys_span s, char *why,
			  size_t whylen)
{
	unsigned char *dst = k->pool + k->used;
	size_t room = k->cap - k->used, len = 0;

	if (ha_keys_prefix(&s, "hex:")) {
		if (sodium_hex2bin(dst, room, s.p, s.n, NULL, &len, NULL) != 0) {
			snprintf(why, whylen,
				 "key %u: the hex: secret is not pairs of hexadecimal digits", id);
			return -EINVAL;
		}
	} else if (ha_keys_prefix(&s, "base64:")) {
		if (sodium_base642bin(dst, room, s.p, s.n, NULL, &len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0) {
			snprintf(why, whylen,
				 "key %u: the base64: secret is not base64 (A-Z a-z 0-9 + /, "
				 "padded with =)",
				 id);
			return -EINVAL;
		}
	} else {
		memcpy(dst, s.p, s.n);
		len = s.n;
	}
	if (len < HA_KEYS_SECRET_MIN) {
		sodium_memzero(dst, len);
		snprintf(why, whylen,
			 "key %u: the secret is %zu bytes, at least %d are needed (openssl rand "
			 "-hex 32 makes one: write '%u hmac-sha256 hex:' and its output)",
			 id, len, HA_KEYS_SECRET_MIN, id);
		return -EINVAL;
	}
	k->slot[id].off = k->used;
	k->slot[id].len = len;
	k->used += len;
	k->count++;
	return 0;
}

/* One "N METHOD SECRET" line, after its number. */
static int ha_keys_key_line(struct ha_keys *k, unsigned id, struct ha_keys_span rest, unsigned line,
			    char *why, size_t whylen)
{
	static const char *const weak[] = {"sha1", "md5", "crc"};
	struct ha_keys_span method = ha_keys_word(&rest);

	if (k->slot[id].len) {
		snprintf(why, whylen, "key %u is listed twice (first on line %u)", id,
			 k->slot[id].line);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		if (ha_keys_is(method, weak[i])) {
			snprintf(
			    why, whylen,
			    "key %u: method '%s' is too weak: write '%u hmac-sha256 SECRET' (a "
			    "secret of at least %d bytes)",
			    id, weak[i], id, HA_KEYS_SECRET_MIN);
			return -EINVAL;
		}
	}
	/* An unknown word is not quoted: it may be a secret written without its method. */
	if (!ha_keys_is(method, "hmac-sha256")) {
		snprintf(why, whylen,
			 "key %u: %s method: write '%u hmac-sha256 SECRET' (a secret of "
			 "at least %d bytes)",
			 id, method.n ? "unknown" : "no", id, HA_KEYS_SECRET_MIN);
		return -EINVAL;
	}
	rest = ha_keys_trim(rest);
	if (!rest.n) {
		snprintf(why, whylen,
			 "key %u: no secret after hmac-sha256: write '%u hmac-sha256 SECRET' (a "
			 "secret of at least %d bytes)",
			 id, id, HA_KEYS_SECRET_MIN);
		return -EINVAL;
	}
	k->slot[id].line = line;
	return ha_keys_secret(k, id, rest, why, whylen);
}

/* Parses every line into k; on error fills why and *line. */
static int ha_keys_lines(struct ha_keys *k, const char *text, size_t len, unsigned *line,
			 unsigned *auth_line, char *why, size_t whylen)
{
	size_t pos = 0;

	for (*line = 1; pos < len; (*line)++) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		struct ha_keys_span rest = {text + pos,
					    nl ? (size_t)(nl - (text + pos)) : len - pos};
		struct ha_keys_span first;
		unsigned id;
		int rc;

		pos += rest.n + 1;
		if (memchr(rest.p, '\0', rest.n)) {
			snprintf(why, whylen, "a NUL byte: a key file is text");
			return -EINVAL;
		}
		rest = ha_keys_trim(rest);
		if (!rest.n || rest.p[0] == '#')
			continue;
		first = ha_keys_word(&rest);
		if (ha_keys_is(first, "auth")) {
			struct ha_keys_span n = ha_keys_word(&rest);

			if (*auth_line) {
				snprintf(why, whylen, "a second 'auth' line (the first is line %u)",
					 *auth_line);
				return -EINVAL;
			}
			k->send_id = ha_keys_id(n);
			if (!k->send_id || ha_keys_trim(rest).n) {
				snprintf(why, whylen,
					 "expected 'auth N', N the key to send with (1..255)");
				return -EINVAL;
			}
			*auth_line = *line;
			continue;
		}
		id = ha_keys_id(first);
		if (!id) {
			/* Not quoted either: a line of its own may be a pasted secret. */
			snprintf(why, whylen,
				 "expected 'auth N' or 'N hmac-sha256 SECRET' (N in 1..255)");
			return -EINVAL;
		}
		rc = ha_keys_key_line(k, id, rest, *line, why, whylen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int ha_keys_parse(const char *text, size_t len, const char *name, struct ha_keys **out, char *err,
		  size_t errlen)
{
	struct ha_keys *k;
	char why[256];
	unsigned line = 0, auth_line = 0;
	size_t size;
	int rc;

	*out = NULL;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "%s: libsodium failed to start", name);
		return -EIO;
	}
	/*
	 * sodium_malloc() puts the block's end against its guard page, so its
	 * start is aligned only for a size that is a multiple of the alignment.
	 */
	size = (sizeof(*k) + len + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	k = sodium_malloc(size);
	if (!k) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	memset(k, 0, sizeof(*k));
	k->cap = len;
	rc = ha_keys_lines(k, text, len, &line, &auth_line, why, sizeof(why));
	if (rc != 0) {
		snprintf(err, errlen, "%s:%u: %s", name, line, why);
		goto fail;
	}
	rc = -EINVAL;
	if (!k->count) {
		snprintf(err, errlen, "%s: no keys: add a line '1 hmac-sha256 SECRET' and 'auth 1'",
			 name);
		goto fail;
	}
	if (!auth_line) {
		snprintf(err, errlen,
			 "%s: no 'auth N' line to say which key heartbeats are sent with", name);
		goto fail;
	}
	if (!k->slot[k->send_id].len) {
		snprintf(err, errlen, "%s:%u: auth %u names no key the file lists", name, auth_line,
			 k->send_id);
		goto fail;
	}
	*out = k;
	return 0;
fail:
	sodium_free(k);
	return rc;
}

/* Whether the opened file may hold keys: the checks of ha_keys_load(), on the descriptor. */
static int ha_keys_file_check(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;
	unsigned mode;

	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	mode = (unsigned)(st.st_mode & 07777);
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not by fulcrumd's uid %u: chown %u %s",
			 path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
		return -EPERM;
	}
	if (mode & 077) {
		snprintf(err, errlen, "%s: mode %04o lets others %s the keys: chmod 600 %s", path,
			 mode, mode & 044 ? "read" : "change", path);
		return -EACCES;
	}
	if (st.st_size > HA_KEYS_FILE_MAX) {
		snprintf(err, errlen, "%s: %lld bytes, a key file is at most %d", path,
			 (long long)st.st_size, HA_KEYS_FILE_MAX);
		return -EFBIG;
	}
	return 0;
}

int ha_keys_load(const char *path, struct ha_keys **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int rc, fd;

	*out = NULL;
	/* O_NONBLOCK: a FIFO put in the file's place must not hang the open before fstat refuses it. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP)
			snprintf(err, errlen,
				 "%s: a symbolic link: name the key file itself, fulcrumd does "
				 "not follow links to it",
				 path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = ha_keys_file_check(fd, path, err, errlen);
	if (rc != 0)
		goto out;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "%s: libsodium failed to start", path);
		rc = -EIO;
		goto out;
	}
	/* Read into locked memory too: the text holds the secrets in the clear. */
	buf = sodium_malloc(HA_KEYS_FILE_MAX + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, HA_KEYS_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > HA_KEYS_FILE_MAX) {
			snprintf(err, errlen, "%s: grew past %d bytes while read", path,
				 HA_KEYS_FILE_MAX);
			rc = -EFBIG;
			goto out;
		}
	}
	rc = ha_keys_parse(buf, len, path, out, err, errlen);
out:
	if (buf)
		sodium_free(buf); /* wipes it */
	close(fd);
	return rc;
}

void ha_keys_free(struct ha_keys *k)
{
	if (k)
		sodium_free(k);
}

int ha_keys_get(const struct ha_keys *k, unsigned id, const unsigned char **secret, size_t *len)
{
	if (id < 1 || id >= HA_KEYS_IDS || !k->slot[id].len)
		return -ENOENT;
	*secret = k->pool + k->slot[id].off;
	*len = k->slot[id].len;
	return 0;
}

unsigned ha_keys_send_id(const struct ha_keys *k)
{
	return k->send_id;
}

unsigned ha_keys_count(const struct ha_keys *k)
{
	return k->count;
}
