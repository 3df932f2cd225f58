/* The heartbeat's wire codec: one versioned, HMAC-SHA256-signed datagram (docs/ha.md). */
#include "controller/ha/ha_packet.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

static const uint8_t ha_packet_magic[4] = {'F', 'U', 'H', 'B'};

/* Offsets of the fixed part; the two names and the MAC follow (docs/ha.md has the table). */
enum {
	HA_OFF_MAGIC = 0,
	HA_OFF_VERSION = 4,
	HA_OFF_KEY = 5,
	HA_OFF_TYPE = 6,
	HA_OFF_ROLE = 7,
	HA_OFF_REASON = 8,
	HA_OFF_PRIORITY = 9,
	HA_OFF_FLAGS = 10,
	HA_OFF_EPOCH = 12,
	HA_OFF_SEQ = 20,
	HA_OFF_TERM = 28,
	HA_OFF_REVISION = 36,
	HA_OFF_ECHO = 44,
	HA_OFF_NAMES = 52,
};

static const char *const ha_packet_result_names[HA_PACKET_RESULT_COUNT] = {
    [HA_PACKET_OK] = "ok",
    [HA_PACKET_TRUNCATED] = "truncated",
    [HA_PACKET_BAD_MAGIC] = "bad_magic",
    [HA_PACKET_BAD_VERSION] = "bad_version",
    [HA_PACKET_UNKNOWN_KEY] = "unknown_key",
    [HA_PACKET_FORGED] = "forged",
    [HA_PACKET_OTHER_CLUSTER] = "other_cluster",
    [HA_PACKET_MALFORMED] = "malformed",
    [HA_PACKET_OLD_EPOCH] = "old_epoch",
    [HA_PACKET_REPLAYED] = "replayed",
    [HA_PACKET_DUPLICATE] = "duplicate",
    [HA_PACKET_LATE] = "late",
    [HA_PACKET_STALE_ECHO] = "stale_echo",
};

static const char *const ha_packet_stepdown_names[HA_STEPDOWN_LAST + 1] = {
    [HA_STEPDOWN_NONE] = "none",
    [HA_STEPDOWN_SWITCHOVER] = "switchover",
    [HA_STEPDOWN_FAILURE] = "failure",
    [HA_STEPDOWN_TIEBREAKER] = "tiebreaker",
    [HA_STEPDOWN_MAINTENANCE] = "maintenance",
    [HA_STEPDOWN_SHUTDOWN] = "shutdown",
};

const char *ha_packet_result_name(enum ha_packet_result r)
{
	return (unsigned)r < HA_PACKET_RESULT_COUNT ? ha_packet_result_names[r] : NULL;
}

const char *ha_packet_stepdown_name(enum ha_stepdown r)
{
	return (unsigned)r <= HA_STEPDOWN_LAST ? ha_packet_stepdown_names[r] : NULL;
}

void ha_packet_count(struct ha_packet_counters *c, enum ha_packet_result r)
{
	if ((unsigned)r < HA_PACKET_RESULT_COUNT)
		c->n[r]++;
}

static bool ha_packet_name_bytes(const uint8_t *p, size_t n)
{
	if (n < 1 || n > HA_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	return true;
}

bool ha_packet_name_valid(const char *s)
{
	return ha_packet_name_bytes((const uint8_t *)s, strnlen(s, HA_NAME_MAX + 1));
}

/* Whether type, role and reason go together: a reason in a STEPDOWN only, and always there. */
static bool ha_packet_kind_valid(unsigned type, unsigned role, unsigned reason)
{
	if (role < HA_ROLE_STARTING || role > HA_ROLE_LAST)
		return false;
	if (type == HA_MSG_HEARTBEAT)
		return reason == HA_STEPDOWN_NONE;
	return type == HA_MSG_STEPDOWN && reason >= 1 && reason <= HA_STEPDOWN_LAST;
}

static void ha_packet_put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t ha_packet_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void ha_packet_mac(const unsigned char *key, size_t keylen, const uint8_t *buf, size_t n,
			  uint8_t mac[HA_PACKET_MAC])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, buf, n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st)); /* the state holds the key's pads */
}

int ha_packet_encode(const struct ha_msg *m, const struct ha_keys *keys, uint8_t *buf, size_t cap,
		     size_t *len)
{
	size_t clen = strnlen(m->cluster, sizeof(m->cluster)),
	       nlen = strnlen(m->node, sizeof(m->node)), need, pos;
	const unsigned char *key;
	size_t keylen;
	unsigned id = ha_keys_send_id(keys);

	if (!ha_packet_kind_valid(m->type, m->role, m->reason) || m->priority > 255 ||
	    m->flags > 0xffff || !ha_packet_name_valid(m->cluster) ||
	    !ha_packet_name_valid(m->node))
		return -EINVAL;
	if (ha_keys_get(keys, id, &key, &keylen) != 0)
		return -EINVAL;
	need = HA_OFF_NAMES + 1 + clen + 1 + nlen + HA_PACKET_MAC;
	if (cap < need)
		return -ENOSPC;
	memcpy(buf + HA_OFF_MAGIC, ha_packet_magic, sizeof(ha_packet_magic));
	buf[HA_OFF_VERSION] = HA_PACKET_VERSION;
	buf[HA_OFF_KEY] = (uint8_t)id;
	buf[HA_OFF_TYPE] = (uint8_t)m->type;
	buf[HA_OFF_ROLE] = (uint8_t)m->role;
	buf[HA_OFF_REASON] = (uint8_t)m->reason;
	buf[HA_OFF_PRIORITY] = (uint8_t)m->priority;
	buf[HA_OFF_FLAGS] = (uint8_t)(m->flags >> 8);
	buf[HA_OFF_FLAGS + 1] = (uint8_t)m->flags;
	ha_packet_put64(buf + HA_OFF_EPOCH, m->epoch);
	ha_packet_put64(buf + HA_OFF_SEQ, m->seq);
	ha_packet_put64(buf + HA_OFF_TERM, m->term);
	ha_packet_put64(buf + HA_OFF_REVISION, (uint64_t)m->revision);
	ha_packet_put64(buf + HA_OFF_ECHO, m->echo);
	pos = HA_OFF_NAMES;
	buf[pos++] = (uint8_t)clen;
	memcpy(buf + pos, m->cluster, clen);
	pos += clen;
	buf[pos++] = (uint8_t)nlen;
	memcpy(buf + pos, m->node, nlen);
	pos += nlen;
	ha_packet_mac(key, keylen, buf, pos, buf + pos);
	*len = pos + HA_PACKET_MAC;
	return 0;
}

/* Reads one length-prefixed name of the signed body [*pos, end) into dst. */
static enum ha_packet_result ha_packet_name(const uint8_t *buf, size_t *pos, size_t end,
					    char dst[HA_NAME_MAX + 1])
{
	size_t n;

	if (*pos >= end)
		return HA_PACKET_TRUNCATED;
	n = buf[(*pos)++];
	if (n > end - *pos)
		return HA_PACKET_TRUNCATED;
	if (!ha_packet_name_bytes(buf + *pos, n))
		return HA_PACKET_MALFORMED;
	memcpy(dst, buf + *pos, n);
	dst[n] = '\0';
	*pos += n;
	return HA_PACKET_OK;
}

/* The body, once its MAC matched: end is where the MAC starts. */
static enum ha_packet_result ha_packet_body(const uint8_t *buf, size_t end, struct ha_msg *out)
{
	enum ha_packet_result r;
	size_t pos = HA_OFF_NAMES;

	out->type = (enum ha_msg_type)buf[HA_OFF_TYPE];
	out->role = (enum ha_role)buf[HA_OFF_ROLE];
	out->reason = (enum ha_stepdown)buf[HA_OFF_REASON];
	if (!ha_packet_kind_valid(out->type, out->role, out->reason))
		return HA_PACKET_MALFORMED;
	out->priority = buf[HA_OFF_PRIORITY];
	out->flags = (unsigned)buf[HA_OFF_FLAGS] << 8 | buf[HA_OFF_FLAGS + 1];
	out->epoch = ha_packet_get64(buf + HA_OFF_EPOCH);
	out->seq = ha_packet_get64(buf + HA_OFF_SEQ);
	out->term = ha_packet_get64(buf + HA_OFF_TERM);
	out->revision = (int64_t)ha_packet_get64(buf + HA_OFF_REVISION);
	out->echo = ha_packet_get64(buf + HA_OFF_ECHO);
	r = ha_packet_name(buf, &pos, end, out->cluster);
	if (r == HA_PACKET_OK)
		r = ha_packet_name(buf, &pos, end, out->node);
	if (r == HA_PACKET_OK && pos != end)
		r = HA_PACKET_MALFORMED; /* bytes after the names: not this version's */
	return r;
}

enum ha_packet_result ha_packet_decode(const uint8_t *buf, size_t len, const struct ha_keys *keys,
				       const char *cluster, struct ha_msg *out)
{
	uint8_t mac[HA_PACKET_MAC];
	const unsigned char *key;
	size_t keylen, end;
	enum ha_packet_result r;

	memset(out, 0, sizeof(*out));
	if (len < HA_PACKET_HEADER)
		return HA_PACKET_TRUNCATED;
	if (memcmp(buf + HA_OFF_MAGIC, ha_packet_magic, sizeof(ha_packet_magic)) != 0)
		return HA_PACKET_BAD_MAGIC;
	if (buf[HA_OFF_VERSION] != HA_PACKET_VERSION)
		return HA_PACKET_BAD_VERSION;
	if (len < HA_PACKET_MIN)
		return HA_PACKET_TRUNCATED;
	/* Too long to be this version's: refused before an attacker's bytes cost a MAC. */
	if (len > HA_PACKET_MAX)
		return HA_PACKET_MALFORMED;
	if (ha_keys_get(keys, buf[HA_OFF_KEY], &key, &keylen) != 0)
		return HA_PACKET_UNKNOWN_KEY;
	end = len - HA_PACKET_MAC;
	ha_packet_mac(key, keylen, buf, end, mac);
	if (sodium_memcmp(mac, buf + end, HA_PACKET_MAC) != 0)
		return HA_PACKET_FORGED;
	out->key_id = buf[HA_OFF_KEY];
	r = ha_packet_body(buf, end, out);
	if (r == HA_PACKET_OK && cluster && strcmp(out->cluster, cluster) != 0)
		r = HA_PACKET_OTHER_CLUSTER;
	if (r != HA_PACKET_OK)
		memset(out, 0, sizeof(*out));
	return r;
}
