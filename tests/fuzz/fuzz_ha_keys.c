/* Fuzz target: ha_keys_parse() on any text; what it accepts keeps every promise of ha_keys.h. */
#include "controller/ha/ha_keys.h"
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ha_keys *k = (struct ha_keys *)&k; /* must be NULLed on error */
	const unsigned char *secret;
	unsigned found = 0;
	char err[512] = "";
	size_t len;
	int rc = ha_keys_parse((const char *)data, size, "fuzz", &k, err, sizeof(err));

	if (rc != 0) {
		if (k || strncmp(err, "fuzz", 4) != 0)
			abort();
		return 0;
	}
	if (!k || ha_keys_get(k, ha_keys_send_id(k), &secret, &len) != 0)
		abort();
	for (unsigned id = 0; id < 300; id++) {
		if (ha_keys_get(k, id, &secret, &len) != 0)
			continue;
		if (id < 1 || id > 255 || len < HA_KEYS_SECRET_MIN || len > size)
			abort();
		found++;
	}
	if (found != ha_keys_count(k) || found < 1)
		abort();
	ha_keys_free(k);
	return 0;
}
