/* Unit tests of controller/ha/ha_packet.c: the layout, its MAC, and every reason to drop. */
#include "controller/ha/ha_packet.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static struct ha_keys *keys;  /* 1 (send) and 2 */
static struct ha_keys *keys2; /* 2 (send), same secret as keys' 2 */
static struct ha_keys *other; /* 1 (send) with another secret */

static struct ha_keys *keys_from(const char *text)
{
	struct ha_keys *k = NULL;
	char err[256];

	if (ha_keys_parse(text, strlen(text), "test", &k, err, sizeof(err)) != 0)
		fprintf(stderr, "%s\n", err);
	return k;
}

static struct ha_msg msg_sample(void)
{
	struct ha_msg m = {
	    .type = HA_MSG_HEARTBEAT,
	    .role = HA_ROLE_ACTIVE,
	    .priority = 100,
	    .flags = HA_FLAG_IPVS | HA_FLAG_VIPS | HA_FLAG_ELIGIBLE,
	    .epoch = 0x0102030405060708ull,
	    .seq = 88120,
	    .term = 7,
	    .revision = -2,
	    .echo = 0x1112131415161718ull,
	};

	strcpy(m.cluster, "fulcrum");
	strcpy(m.node, "ldirector1");
	return m;
}

/* Signs buf again with the key its header names, as a peer that sent these bytes would. */
static void resign(uint8_t *buf, size_t len)
{
	const unsigned char *key;
	size_t keylen;

	CU_ASSERT_EQUAL_FATAL(ha_keys_get(keys, buf[5], &key, &keylen), 0);
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, buf, len - HA_PACKET_MAC);
	crypto_auth_hmacsha256_final(&st, buf + len - HA_PACKET_MAC);
}

static size_t encode(const struct ha_msg *m, uint8_t *buf)
{
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(ha_packet_encode(m, keys, buf, HA_PACKET_MAX, &len), 0);
	return len;
}

static void test_ha_packet_round_trip(void)
{
	struct ha_msg m = msg_sample(), d;
	uint8_t buf[HA_PACKET_MAX];
	size_t len = encode(&m, buf);

	CU_ASSERT_EQUAL(len, 52 + 1 + 7 + 1 + 10 + 32);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum", &d), HA_PACKET_OK);
	CU_ASSERT_EQUAL(d.key_id, 1);
	m.key_id = 1;
	CU_ASSERT_EQUAL(memcmp(&m, &d, sizeof(m)), 0);

	m.type = HA_MSG_STEPDOWN;
	m.reason = HA_STEPDOWN_SHUTDOWN;
	m.role = HA_ROLE_STANDBY;
	m.flags = 0xffff; /* bits a later version may add travel unchanged */
	m.revision = INT64_MAX;
	m.echo = 0; /* the receiver's epoch not heard yet */
	len = encode(&m, buf);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, NULL, &d), HA_PACKET_OK);
	CU_ASSERT_EQUAL(memcmp(&m, &d, sizeof(m)), 0);
}

/* The layout docs/ha.md gives, byte for byte. */
static void test_ha_packet_layout(void)
{
	static const uint8_t head[] = {
	    'F',  'U',  'H',  'B',  1,    1,    1,    2,    0,    100,  0x00, 0x23, 1,    2,
	    3,    4,    5,    6,    7,    8,    0,    0,    0,    0,    0,    1,    0x58, 0x38,
	    0,    0,    0,    0,    0,    0,    0,    7,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xfe, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 7};
	struct ha_msg m = msg_sample();
	uint8_t buf[HA_PACKET_MAX], mac[32];
	size_t len = encode(&m, buf);
	const unsigned char *key;
	size_t keylen;

	CU_ASSERT_EQUAL(memcmp(buf, head, sizeof(head)), 0);
	CU_ASSERT_EQUAL(memcmp(buf + 53, "fulcrum", 7), 0);
	CU_ASSERT_EQUAL(buf[60], 10);
	CU_ASSERT_EQUAL(memcmp(buf + 61, "ldirector1", 10), 0);
	CU_ASSERT_EQUAL(ha_keys_get(keys, 1, &key, &keylen), 0);
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, buf, 71);
	crypto_auth_hmacsha256_final(&st, mac);
	CU_ASSERT_EQUAL(memcmp(buf + 71, mac, 32), 0);
	CU_ASSERT_EQUAL(len, 103);
}

static void test_ha_packet_longest(void)
{
	struct ha_msg m = msg_sample(), d;
	uint8_t buf[HA_PACKET_MAX + 1];
	size_t len;

	memset(m.cluster, 'c', HA_NAME_MAX);
	memset(m.node, 'n', HA_NAME_MAX);
	CU_ASSERT_EQUAL(ha_packet_encode(&m, keys, buf, HA_PACKET_MAX - 1, &len), -ENOSPC);
	CU_ASSERT_EQUAL(ha_packet_encode(&m, keys, buf, HA_PACKET_MAX, &len), 0);
	CU_ASSERT_EQUAL(len, HA_PACKET_MAX);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, m.cluster, &d), HA_PACKET_OK);
	CU_ASSERT_STRING_EQUAL(d.node, m.node);
	buf[len] = 0;
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len + 1, keys, NULL, &d), HA_PACKET_MALFORMED);
}

static void test_ha_packet_encode_refuses(void)
{
	struct ha_msg m;
	uint8_t buf[HA_PACKET_MAX];
	size_t len;

#define REFUSED(change)                                                                            \
	do {                                                                                       \
		m = msg_sample();                                                                  \
		change;                                                                            \
		CU_ASSERT_EQUAL(ha_packet_encode(&m, keys, buf, sizeof(buf), &len), -EINVAL);      \
	} while (0)
	REFUSED(m.role = 0);
	REFUSED(m.role = HA_ROLE_LAST + 1);
	REFUSED(m.type = 3);
	REFUSED(m.reason = HA_STEPDOWN_SWITCHOVER);
	REFUSED((m.type = HA_MSG_STEPDOWN, m.reason = HA_STEPDOWN_NONE));
	REFUSED((m.type = HA_MSG_STEPDOWN, m.reason = HA_STEPDOWN_LAST + 1));
	REFUSED(m.priority = 256);
	REFUSED(m.flags = 0x10000);
	REFUSED(m.node[0] = '\0');
	REFUSED(strcpy(m.node, "ld 1"));
	REFUSED(strcpy(m.cluster, "caf\xc3\xa9"));
#undef REFUSED
}

static void test_ha_packet_truncated(void)
{
	struct ha_msg m = msg_sample(), d;
	uint8_t buf[HA_PACKET_MAX];
	size_t len = encode(&m, buf);

	for (size_t n = 0; n < len; n++) {
		enum ha_packet_result r = ha_packet_decode(buf, n, keys, "fulcrum", &d);

		/* Short of a message, or cut where the MAC no longer matches. */
		CU_ASSERT_EQUAL(r, n < HA_PACKET_MIN ? HA_PACKET_TRUNCATED : HA_PACKET_FORGED);
	}
	/* A signed message whose name length runs past the end. */
	buf[60] = 11;
	resign(buf, len);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum", &d), HA_PACKET_TRUNCATED);
	buf[60] = 10;
	buf[52] = 60;
	resign(buf, len);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum", &d), HA_PACKET_TRUNCATED);
}

/* A message cut inside the echo, or made without one (the layout before it): never read. */
static void test_ha_packet_echo_missing(void)
{
	struct ha_msg m = msg_sample(), d;
	uint8_t buf[HA_PACKET_MAX], old[HA_PACKET_MAX];
	size_t len = encode(&m, buf);

	for (size_t n = 44; n <= 52; n++)
		CU_ASSERT_EQUAL(ha_packet_decode(buf, n, keys, "fulcrum", &d), HA_PACKET_TRUNCATED);
	/* the same fields without the 8 echo bytes, signed: the names are read 8 bytes off */
	memcpy(old, buf, 44);
	memcpy(old + 44, buf + 52, len - 52);
	resign(old, len - 8);
	CU_ASSERT_EQUAL(ha_packet_decode(old, len - 8, keys, "fulcrum", &d), HA_PACKET_TRUNCATED);
	/* with longer names too: never accepted */
	memset(m.cluster, 'c', 20);
	m.cluster[20] = '\0';
	len = encode(&m, buf);
	memcpy(old, buf, 44);
	memcpy(old + 44, buf + 52, len - 52);
	resign(old, len - 8);
	CU_ASSERT_NOT_EQUAL(ha_packet_decode(old, len - 8, keys, NULL, &d), HA_PACKET_OK);
	CU_ASSERT_EQUAL(d.echo, 0);
}

static void test_ha_packet_header(void)
{
	struct ha_msg m = msg_sample(), d;
	uint8_t buf[HA_PACKET_MAX];
	size_t len = encode(&m, buf);

	buf[0] = 'X';
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum", &d), HA_PACKET_BAD_MAGIC);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, 4, keys, "fulcrum", &d), HA_PACKET_TRUNCATED);
	buf[0] = 'F';
	buf[4] = 2;
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum", &d), HA_PACKET_BAD_VERSION);
	buf[4] = 1;
	buf[5] = 9;
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum", &d), HA_PACKET_UNKNOWN_KEY);
	buf[5] = 2; /* a key the receiver has, but not the one that signed */
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum", &d), HA_PACKET_FORGED);
	buf[5] = 1;
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum", &d), HA_PACKET_OK);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys2, "fulcrum", &d), HA_PACKET_UNKNOWN_KEY);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, other, "fulcrum", &d), HA_PACKET_FORGED);
}

/* Any bit flipped anywhere: never accepted. */
static void test_ha_packet_every_bit_flipped(void)
{
	struct ha_msg m = msg_sample(), d;
	uint8_t buf[HA_PACKET_MAX];
	size_t len = encode(&m, buf);

	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			enum ha_packet_result r, want = HA_PACKET_FORGED;

			buf[i] ^= (uint8_t)(1u << bit);
			r = ha_packet_decode(buf, len, keys, "fulcrum", &d);
			if (i < 4)
				want = HA_PACKET_BAD_MAGIC;
			else if (i == 4)
				want = HA_PACKET_BAD_VERSION;
			else if (i == 5)
				want = buf[5] == 2 ? HA_PACKET_FORGED : HA_PACKET_UNKNOWN_KEY;
			CU_ASSERT_EQUAL(r, want);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum", &d), HA_PACKET_OK);
}

static void test_ha_packet_other_cluster(void)
{
	struct ha_msg m = msg_sample(), d;
	uint8_t buf[HA_PACKET_MAX];
	size_t len = encode(&m, buf);

	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum2", &d), HA_PACKET_OTHER_CLUSTER);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcru", &d), HA_PACKET_OTHER_CLUSTER);
	CU_ASSERT_STRING_EQUAL(d.node, ""); /* nothing of a dropped message is left to trust */
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, NULL, &d), HA_PACKET_OK);
}

/* Authentic but not this version's: each field checked once the MAC matched. */
static void test_ha_packet_malformed(void)
{
	static const struct {
		size_t off;
		uint8_t v;
	} edits[] = {
	    {6, 0},     {6, 3},                          /* type */
	    {7, 0},     {7, 6},                          /* role */
	    {8, 1},                                      /* a reason in a heartbeat */
	    {52, 0},                                     /* an empty cluster name */
	    {53, ' '},  {53, 0x7f}, {53, 0x80}, {53, 0}, /* not printable ASCII */
	    {61, '\n'},
	};
	struct ha_msg m = msg_sample(), d;
	uint8_t buf[HA_PACKET_MAX + 8], orig[HA_PACKET_MAX];
	size_t len = encode(&m, orig);

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		memcpy(buf, orig, len);
		buf[edits[i].off] = edits[i].v;
		resign(buf, len);
		CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum", &d),
				HA_PACKET_MALFORMED);
	}
	/* A STEPDOWN without a reason, or with one unknown. */
	m.type = HA_MSG_STEPDOWN;
	m.reason = HA_STEPDOWN_FAILURE;
	len = encode(&m, orig);
	for (int v = 0; v < 256; v += 255 - HA_STEPDOWN_LAST) {
		memcpy(buf, orig, len);
		buf[8] = (uint8_t)(v == 0 ? 0 : HA_STEPDOWN_LAST + 1);
		resign(buf, len);
		CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum", &d),
				HA_PACKET_MALFORMED);
	}
	/* A byte between the names and the MAC. */
	memcpy(buf, orig, len - HA_PACKET_MAC);
	buf[len - HA_PACKET_MAC] = 'x';
	resign(buf, len + 1);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len + 1, keys, "fulcrum", &d), HA_PACKET_MALFORMED);
	/* A 65-character name. */
	m = msg_sample();
	memset(m.node, 'n', HA_NAME_MAX); /* room for a 65-byte cluster name */
	len = encode(&m, orig);
	memcpy(buf, orig, len);
	buf[52] = 65;
	resign(buf, len);
	CU_ASSERT_EQUAL(ha_packet_decode(buf, len, keys, "fulcrum", &d), HA_PACKET_MALFORMED);
}

static void test_ha_packet_names_and_counters(void)
{
	struct ha_packet_counters c = {{0}};

	for (int i = 0; i < HA_PACKET_RESULT_COUNT; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(ha_packet_result_name((enum ha_packet_result)i));
		for (int j = 0; j < i; j++)
			CU_ASSERT_STRING_NOT_EQUAL(ha_packet_result_name((enum ha_packet_result)i),
						   ha_packet_result_name((enum ha_packet_result)j));
	}
	CU_ASSERT_STRING_EQUAL(ha_packet_result_name(HA_PACKET_FORGED), "forged");
	CU_ASSERT_STRING_EQUAL(ha_packet_result_name(HA_PACKET_UNKNOWN_KEY), "unknown_key");
	CU_ASSERT_PTR_NULL(ha_packet_result_name(HA_PACKET_RESULT_COUNT));
	CU_ASSERT_STRING_EQUAL(ha_packet_stepdown_name(HA_STEPDOWN_SWITCHOVER), "switchover");
	CU_ASSERT_PTR_NULL(ha_packet_stepdown_name(HA_STEPDOWN_LAST + 1));
	ha_packet_count(&c, HA_PACKET_FORGED);
	ha_packet_count(&c, HA_PACKET_FORGED);
	ha_packet_count(&c, HA_PACKET_OK);
	ha_packet_count(&c, HA_PACKET_RESULT_COUNT);
	CU_ASSERT_EQUAL(c.n[HA_PACKET_FORGED], 2);
	CU_ASSERT_EQUAL(c.n[HA_PACKET_OK], 1);
	CU_ASSERT(ha_packet_name_valid("ldirector1"));
	CU_ASSERT(!ha_packet_name_valid(""));
	CU_ASSERT(!ha_packet_name_valid("a b"));
}

static int ha_packet_setup(void)
{
	keys = keys_from("auth 1\n1 hmac-sha256 the first key of the pair\n"
			 "2 hmac-sha256 hex:00112233445566778899aabbccddeeff\n");
	keys2 = keys_from("auth 2\n2 hmac-sha256 hex:00112233445566778899aabbccddeeff\n");
	other = keys_from("auth 1\n1 hmac-sha256 not the first key of the pair\n");
	return keys && keys2 && other ? 0 : 1;
}

static int ha_packet_teardown(void)
{
	ha_keys_free(keys);
	ha_keys_free(keys2);
	ha_keys_free(other);
	return 0;
}

UNIT_SUITE(ha_packet)
{
	CU_pSuite s = CU_add_suite("ha_packet", ha_packet_setup, ha_packet_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "encode then decode gives the message back", test_ha_packet_round_trip);
	CU_add_test(s, "the layout of docs/ha.md, byte for byte", test_ha_packet_layout);
	CU_add_test(s, "64-character names fill HA_PACKET_MAX", test_ha_packet_longest);
	CU_add_test(s, "encode refuses what decode would", test_ha_packet_encode_refuses);
	CU_add_test(s, "a message cut in the echo or without one is dropped",
		    test_ha_packet_echo_missing);
	CU_add_test(s, "truncated: short, or a length past the end", test_ha_packet_truncated);
	CU_add_test(s, "magic, version, unknown key, wrong key", test_ha_packet_header);
	CU_add_test(s, "every bit flipped is refused", test_ha_packet_every_bit_flipped);
	CU_add_test(s, "another cluster's heartbeat is dropped", test_ha_packet_other_cluster);
	CU_add_test(s, "authentic but malformed", test_ha_packet_malformed);
	CU_add_test(s, "result names and counters", test_ha_packet_names_and_counters);
	return CU_get_error();
}
