/* Writes the fuzz targets' seed corpora: valid messages, cut and damaged ones, good and bad key files. */
#include "controller/ha/ha_packet.h"
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *seed_dir;

static void seed_write(const char *target, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", seed_dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static struct ha_keys *seed_keys(const char *text)
{
	struct ha_keys *k = NULL;
	char err[256];

	if (ha_keys_parse(text, strlen(text), "seed", &k, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	return k;
}

static size_t seed_encode(const struct ha_msg *m, const struct ha_keys *k, uint8_t *buf)
{
	size_t len;

	if (ha_packet_encode(m, k, buf, HA_PACKET_MAX, &len) != 0) {
		fprintf(stderr, "seed: cannot encode\n");
		exit(1);
	}
	return len;
}

static void seed_packets(void)
{
	struct ha_keys *k1 = seed_keys(FUZZ_HA_KEYS), *k2 = seed_keys(FUZZ_HA_KEYS2);
	struct ha_keys *wrong = seed_keys("auth 1\n1 hmac-sha256 not the fuzzing key at all\n");
	struct ha_msg m = {
	    .type = HA_MSG_HEARTBEAT,
	    .role = HA_ROLE_ACTIVE,
	    .priority = 100,
	    .flags = HA_FLAG_IPVS | HA_FLAG_VIPS | HA_FLAG_LOOP | HA_FLAG_CARRIER |
		     HA_FLAG_ELIGIBLE | HA_FLAG_HEARS_PEER,
	    .epoch = 1733500000,
	    .seq = 88120,
	    .term = 7,
	    .revision = 42,
	    .echo = 1733400000, /* the receiver's epoch, as the sender last heard it */
	};
	uint8_t buf[HA_PACKET_MAX + 1];
	size_t len;
	const char *t = "fuzz_ha_packet";

	strcpy(m.cluster, FUZZ_HA_CLUSTER);
	strcpy(m.node, "ldirector1");
	len = seed_encode(&m, k1, buf);
	seed_write(t, "heartbeat-active", buf, len);
	for (size_t cut = 0; cut < len; cut += 20)
		seed_write(t,
			   cut == 0   ? "cut-0"
			   : cut < 40 ? "cut-20"
			   : cut < 60 ? "cut-40"
				      : "cut-60",
			   buf, cut);
	seed_write(t, "cut-in-echo", buf, 48);
	seed_write(t, "cut-last-byte", buf, len - 1);
	buf[len] = 0;
	seed_write(t, "extra-byte", buf, len + 1);
	buf[4] = 2;
	seed_write(t, "version-2", buf, len);
	buf[4] = 1;
	buf[0] = 'X';
	seed_write(t, "bad-magic", buf, len);
	buf[0] = 'F';
	buf[5] = 9;
	seed_write(t, "unknown-key", buf, len);

	len = seed_encode(&m, wrong, buf);
	seed_write(t, "wrong-key", buf, len);

	strcpy(m.cluster, "another-pair");
	len = seed_encode(&m, k1, buf);
	seed_write(t, "other-cluster", buf, len);

	m.type = HA_MSG_STEPDOWN;
	m.role = HA_ROLE_STANDBY;
	m.reason = HA_STEPDOWN_SWITCHOVER;
	m.flags |= HA_FLAG_YIELDING;
	m.flags &= ~(unsigned)HA_FLAG_VIPS;
	strcpy(m.cluster, FUZZ_HA_CLUSTER);
	len = seed_encode(&m, k2, buf);
	seed_write(t, "stepdown-key2", buf, len);

	m.reason = HA_STEPDOWN_SHUTDOWN;
	m.flags = 0xffff;
	m.revision = -1;
	m.seq = UINT64_MAX;
	m.echo = 0; /* the receiver not heard yet */
	strcpy(m.node, "n");
	strcpy(m.cluster, "c");
	len = seed_encode(&m, k1, buf);
	seed_write(t, "stepdown-shortest", buf, len);

	m.type = HA_MSG_HEARTBEAT;
	m.reason = HA_STEPDOWN_NONE;
	m.role = HA_ROLE_STARTING;
	m.echo = UINT64_MAX;
	memset(m.node, 'n', HA_NAME_MAX);
	memset(m.cluster, 'c', HA_NAME_MAX);
	len = seed_encode(&m, k1, buf);
	seed_write(t, "heartbeat-longest", buf, len);
	ha_keys_free(k1);
	ha_keys_free(k2);
	ha_keys_free(wrong);
}

static void seed_keyfiles(void)
{
	static const struct {
		const char *name, *text;
	} files[] = {
	    {"good-plain", "auth 1\n1 hmac-sha256 some secret text of ours\n"},
	    {"good-rotation",
	     "# keys rotate: receivers take all, senders use auth\r\n"
	     "auth 2\r\n"
	     "1 hmac-sha256 hex:9f2c0a1b2c3d4e5f60718293a4b5c6d7\r\n"
	     "2 hmac-sha256 base64:n8ZWQpYsS7fs1kRRl9Pl1ngm4lwpTxwRLRu5cqZYwUs=\r\n"
	     "   # indented comment\n"
	     "255 HMAC-SHA256 \tpadded secret # with a hash\t\n"},
	    {"weak-sha1", "auth 1\n1 sha1 0123456789abcdef0123\n"},
	    {"weak-md5-crc", "auth 1\n1 md5 0123456789abcdef0123\n2 crc\n"},
	    {"short-secret", "auth 1\n1 hmac-sha256 tooshort\n"},
	    {"duplicate-id",
	     "auth 1\n1 hmac-sha256 0123456789abcdef\n1 hmac-sha256 fedcba9876543210\n"},
	    {"no-auth", "1 hmac-sha256 0123456789abcdef\n"},
	    {"auth-unlisted", "auth 3\n1 hmac-sha256 0123456789abcdef\n"},
	    {"bad-hex", "auth 1\n1 hmac-sha256 hex:0123456789abcdef0123456789abcdefg\n"},
	    {"bad-base64", "auth 1\n1 hmac-sha256 base64:AAECAwQFBgcICQoLDA0ODxA\n"},
	    {"id-range", "auth 256\n0 hmac-sha256 0123456789abcdef\n"},
	    {"empty", ""},
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		seed_write("fuzz_ha_keys", files[i].name, files[i].text, strlen(files[i].text));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr,
			"usage: %s CORPUS-DIR (tests/fuzz/corpus: its fuzz_* folders exist)\n",
			argv[0]);
		return 2;
	}
	seed_dir = argv[1];
	seed_packets();
	seed_keyfiles();
	return 0;
}
