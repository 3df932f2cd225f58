/* What the fuzz targets share: libFuzzer's entry point and the key set packets are signed with. */
#ifndef FULCRUM_FUZZ_H
#define FULCRUM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Each tests/fuzz/fuzz_*.c defines it; libFuzzer or tests/fuzz/replay.c calls it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The keys fuzz_ha_packet decodes with and tests/fuzz/seed.c signs the corpus with. */
#define FUZZ_HA_KEYS                                                                               \
	"auth 1\n"                                                                                 \
	"1 hmac-sha256 the fuzzing key number one\n"                                               \
	"2 hmac-sha256 hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
/* The same keys, sending with key 2: to encode again what key 2 signed. */
#define FUZZ_HA_KEYS2                                                                              \
	"auth 2\n"                                                                                 \
	"1 hmac-sha256 the fuzzing key number one\n"                                               \
	"2 hmac-sha256 hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
#define FUZZ_HA_CLUSTER "fulcrum"

#endif
