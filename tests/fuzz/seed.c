/* Writes the fuzz targets' seed corpora: valid messages, cut and damaged ones, good and bad key files. */
#include "controller/core/snapshot.h"
#include "controller/ha/ha_packet.h"
#include "controller/ha/repl_msg.h"
#include "controller/model/model.h"
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A snapshot's chunks, one per line: what fuzz_snapshot reads. */
struct seed_text {
	char *buf;
	size_t len, cap, lines;
	size_t line_end[16]; /* where each of the first 16 lines ends */
};

static int seed_emit(const char *json, size_t len, void *arg)
{
	struct seed_text *t = arg;

	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
		if (!t->buf)
			return -12; /* ENOMEM */
	}
	memcpy(t->buf + t->len, json, len);
	t->len += len;
	t->buf[t->len++] = '\n';
	if (t->lines < 16)
		t->line_end[t->lines] = t->len;
	t->lines++;
	return 0;
}

static void seed_check(int rc, struct db *db, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "seed: %s: %s\n", what, db_errmsg(db));
		exit(1);
	}
}

/*
 * A small configuration with every kind of row (a fwmark service, an IPv6
 * one with a check, real servers with overrides and a tunnel, VIPs, a switch
 * off, a token, the change log), written as a snapshot: whole, cut after each
 * chunk, and with its header alone.
 */
static void seed_snapshot(void)
{
	static const char *const vs_fields[][2] = {
	    {"name", "web"},           {"address", "192.0.2.10"}, {"port", "443"},
	    {"protocol", "tcp"},       {"scheduler", "wlc"},      {"check.type", "http"},
	    {"check.path", "/health"},
	};
	struct seed_text t = {0};
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	struct fulcrum_vip vip;
	struct db_token tok = {0};
	struct db *db = NULL;
	char path[] = "/tmp/fulcrum-seed-XXXXXX", err[512];
	int64_t rev;
	int fd = mkstemp(path);

	if (fd < 0 || close(fd) != 0 || unlink(path) != 0 ||
	    db_open(path, &db, err, sizeof(err)) != 0) {
		fprintf(stderr, "seed: %s: %s\n", path, err);
		exit(1);
	}
	seed_check(db_begin(db), db, "begin");
	model_vs_init(&vs);
	for (size_t i = 0; i < sizeof(vs_fields) / sizeof(vs_fields[0]); i++)
		if (model_vs_set_field(&vs, vs_fields[i][0], vs_fields[i][1], NULL) != 0)
			exit(1);
	seed_check(db_vs_insert(db, &vs), db, "service");
	model_rs_init(&rs);
	rs.vs_id = vs.id;
	if (model_rs_set_field(&rs, "address", "10.0.0.1", NULL) != 0 ||
	    model_rs_set_field(&rs, "check.interval", "10", NULL) != 0)
		exit(1);
	rs.port = 443;
	seed_check(db_rs_insert(db, &rs), db, "real");
	model_rs_init(&rs);
	rs.vs_id = vs.id;
	if (model_rs_set_field(&rs, "address", "10.0.0.2", NULL) != 0 ||
	    model_rs_set_field(&rs, "forwarding", "tunnel", NULL) != 0 ||
	    model_rs_set_field(&rs, "tunnel_type", "ipip", NULL) != 0)
		exit(1);
	rs.port = 443;
	seed_check(db_rs_insert(db, &rs), db, "real");
	model_vs_init(&vs);
	if (model_vs_set_field(&vs, "name", "mark7", NULL) != 0 ||
	    model_vs_set_field(&vs, "fwmark", "7", NULL) != 0 ||
	    model_vs_set_field(&vs, "family", "ipv6", NULL) != 0)
		exit(1);
	seed_check(db_vs_insert(db, &vs), db, "service");
	model_vip_init(&vip);
	if (model_vip_set_field(&vip, "address", "192.0.2.10", NULL) != 0 ||
	    model_vip_set_field(&vip, "prefix", "24", NULL) != 0 ||
	    model_vip_set_field(&vip, "interface", "eth0", NULL) != 0)
		exit(1);
	seed_check(db_vip_insert(db, &vip), db, "vip");
	seed_check(db_notify_set(db, COMMAND_NOTIFY_RS_STATE, false), db, "switch");
	snprintf(tok.name, sizeof(tok.name), "ops");
	snprintf(tok.role, sizeof(tok.role), "admin");
	memset(tok.hash, 'a', 64);
	tok.created = 1765000000;
	seed_check(db_token_insert(db, &tok), db, "token");
	seed_check(db_revision_bump(db, &rev), db, "revision");
	seed_check(db_change_add(db, rev, 1765000000, "alice", FULCRUM_ORIGIN_HTTP, "service", 1,
				 NULL, "{\"id\":1,\"name\":\"web\"}"),
		   db, "change");
	seed_check(db_change_add(db, rev, 1765000000, "alice", FULCRUM_ORIGIN_HTTP, "vip", 1,
				 "{\"id\":1}", NULL),
		   db, "change");
	seed_check(db_commit(db), db, "commit");
	if (snapshot_write(db, seed_emit, &t, NULL, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "seed: %s\n", err);
		exit(1);
	}
	db_close(db);
	unlink(path);
	seed_write("fuzz_snapshot", "whole", t.buf, t.len);
	for (size_t i = 0; i + 1 < t.lines && i < 16; i++) {
		char name[32];

		snprintf(name, sizeof(name), "cut-after-%zu", i + 1);
		seed_write("fuzz_snapshot", name, t.buf, t.line_end[i]);
	}
	free(t.buf);
}

/* One replication frame (header, then the message's compact text) as seed name of fuzz_repl. */
static void seed_frame(const char *name, json_t *m)
{
	char *text = json_dumps(m, JSON_COMPACT);
	size_t len = strlen(text);
	unsigned char *buf = malloc(REPL_HEADER + len);

	if (!buf)
		exit(1);
	repl_frame_hdr(buf, len);
	memcpy(buf + REPL_HEADER, text, len);
	seed_write("fuzz_repl", name, buf, REPL_HEADER + len);
	free(buf);
	free(text);
	json_decref(m);
}

/*
 * fuzz_repl's seeds: the revisions of a few writes of every kind, as the
 * active sends them (the first two are the database fuzz_repl starts from,
 * service 1 "web" and its real server 1, so revision 3 applies there), and
 * one of each other message.
 */
static void seed_repl(void)
{
	static const struct command_actor a = {"seed", FULCRUM_ORIGIN_HTTP};
	struct fulcrum_change *rows = NULL;
	struct fulcrum_vs vs, mail;
	struct fulcrum_rs rs, rs2;
	struct fulcrum_vip vip;
	struct db *db = NULL;
	char err[256], name[32];
	size_t n = 0;

	if (db_open(":memory:", &db, err, sizeof(err)) != 0)
		exit(1);
	model_vs_init(&vs);
	model_vs_set_field(&vs, "name", "web", NULL);
	model_vs_set_field(&vs, "address", "192.0.2.1", NULL);
	model_vs_set_field(&vs, "port", "80", NULL);
	model_vs_set_field(&vs, "protocol", "tcp", NULL);
	seed_check(command_vs_create(db, &a, &vs, NULL, 0, 0, NULL, NULL), db, "service");
	model_rs_init(&rs);
	rs.vs_id = vs.id;
	model_rs_set_field(&rs, "address", "10.0.0.1", NULL);
	model_rs_set_field(&rs, "port", "80", NULL);
	seed_check(command_rs_create(db, &a, &rs, 0, NULL, NULL), db, "real");
	rs.weight = 7;
	seed_check(command_rs_update(db, &a, &rs, 0, NULL, NULL), db, "weight");
	rs2 = rs;
	model_rs_set_field(&rs2, "address", "10.0.0.2", NULL);
	seed_check(command_rs_create(db, &a, &rs2, 0, NULL, NULL), db, "real 2");
	model_vip_init(&vip);
	model_vip_set_field(&vip, "address", "192.0.2.100", NULL);
	model_vip_set_field(&vip, "interface", "eth0", NULL);
	seed_check(command_vip_create(db, &a, &vip, 0, NULL, NULL), db, "vip");
	model_vs_init(&mail);
	model_vs_set_field(&mail, "name", "mail", NULL);
	model_vs_set_field(&mail, "address", "192.0.2.25", NULL);
	model_vs_set_field(&mail, "port", "25", NULL);
	model_vs_set_field(&mail, "protocol", "tcp", NULL);
	seed_check(command_vs_create(db, &a, &mail, &rs2, 1, 0, NULL, NULL), db, "mail");
	seed_check(command_rs_delete(db, &a, rs.id, 0, NULL, NULL), db, "delete");
	seed_check(command_vs_delete(db, &a, mail.id, 0, NULL, NULL), db, "delete mail");
	seed_check(db_change_list(db, 0, 0, &rows, &n), db, "the change log");
	for (size_t i = 0; i < n;) {
		struct command_replay r = {.revision = rows[i].revision,
					   .time = rows[i].time,
					   .actor = rows[i].actor,
					   .origin = rows[i].origin,
					   .changes = &rows[i]};

		while (i + r.n < n && rows[i + r.n].revision == r.revision)
			r.n++;
		snprintf(name, sizeof(name), "rev-%lld", (long long)r.revision);
		seed_frame(name, repl_rev_encode(&r));
		i += r.n;
	}
	fulcrum_change_list_free(rows, n);
	db_close(db);
	seed_frame("hello",
		   json_pack("{s:s,s:i,s:i,s:s,s:s,s:i,s:i,s:[[i,s]]}", "t", "hello", "proto", 1,
			     "schema", db_schema_version(), "cluster", "fulcrum", "node", "lb-b",
			     "revision", 2, "base", 0, "recent", 2, "00ff"));
	seed_frame("welcome", json_pack("{s:s,s:s,s:i,s:i,s:s}", "t", "welcome", "node", "lb-a",
					"revision", 9, "common", 2, "mode", "log"));
	seed_frame("ack", json_pack("{s:s,s:i}", "t", "ack", "revision", 3));
	seed_frame("digest",
		   json_pack("{s:s,s:i,s:s}", "t", "digest", "revision", 3, "digest",
			     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	seed_frame("side",
		   json_pack("{s:s,s:[{s:i,s:s,s:s,s:s,s:i}],s:{s:b}}", "t", "side", "tokens", "id",
			     1, "name", "noc", "role", "viewer", "hash",
			     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			     "created", 1700000000, "switches", "rs_state", 0));
	seed_frame("refuse", json_pack("{s:s,s:s}", "t", "refuse", "reason", "not the active one"));
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
	seed_snapshot();
	seed_repl();
	return 0;
}
