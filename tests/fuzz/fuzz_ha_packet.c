/* Fuzz target: ha_packet_decode() on any bytes; what decodes encodes back to the same bytes. */
#include "controller/ha/ha_packet.h"
#include "tests/fuzz/fuzz.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static struct ha_keys *fuzz_keys(const char *text)
{
	struct ha_keys *k = NULL;
	char err[256];

	if (ha_keys_parse(text, strlen(text), "fuzz", &k, err, sizeof(err)) != 0)
		abort();
	return k;
}

static void fuzz_decode(const uint8_t *buf, size_t len, const struct ha_keys *k1,
			const struct ha_keys *k2)
{
	uint8_t again[HA_PACKET_MAX];
	struct ha_msg m;
	size_t n = 0;
	enum ha_packet_result r = ha_packet_decode(buf, len, k1, FUZZ_HA_CLUSTER, &m);

	if ((unsigned)r >= HA_PACKET_RESULT_COUNT || !ha_packet_result_name(r))
		abort();
	r = ha_packet_decode(buf, len, k1, NULL, &m);
	if (r != HA_PACKET_OK)
		return;
	if (ha_packet_encode(&m, m.key_id == 2 ? k2 : k1, again, sizeof(again), &n) != 0)
		abort();
	if (n != len || memcmp(again, buf, len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ha_keys *k1, *k2;
	uint8_t copy[HA_PACKET_MAX + 16];
	const unsigned char *key;
	size_t keylen;

	if (!k1) {
		k1 = fuzz_keys(FUZZ_HA_KEYS);
		k2 = fuzz_keys(FUZZ_HA_KEYS2);
	}
	fuzz_decode(data, size, k1, k2);
	/*
	 * Random bytes almost never carry a matching MAC, which would leave the
	 * body's parser unfuzzed: sign a copy with the key its header names, as
	 * a peer holding the key could, and decode that too.
	 */
	if (size < HA_PACKET_HEADER + HA_PACKET_MAC || size > sizeof(copy))
		return 0;
	memcpy(copy, data, size);
	if (ha_keys_get(k1, copy[5], &key, &keylen) != 0)
		return 0;
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, copy, size - HA_PACKET_MAC);
	crypto_auth_hmacsha256_final(&st, copy + size - HA_PACKET_MAC);
	fuzz_decode(copy, size, k1, k2);
	return 0;
}
