/* Unit tests of the frames the engine builds: gratuitous ARP, unsolicited NA (ha_announce.c), ICMP echo (ha_tiebreaker.c). */
#include "controller/ha/ha_announce.h"
#include "controller/ha/ha_tiebreaker.h"
#include "tests/unit/unit.h"

#include <arpa/inet.h>
#include <string.h>

static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};

static void test_ha_announce_arp(void)
{
	uint8_t buf[64];
	struct in_addr ip;
	static const uint8_t want[HA_ARP_FRAME_LEN] = {
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,
	    0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x01, /* Ethernet, IPv4, request */
	    0x02, 0x00, 0x5e, 0x10, 0x20, 0x30, 192,  0,    2,    10,   /* sender: us, the VIP */
	    0,    0,    0,    0,    0,    0,    192,  0,    2,    10,   /* target: the VIP */
	};

	inet_pton(AF_INET, "192.0.2.10", &ip);
	CU_ASSERT_EQUAL(ha_announce_arp_build(buf, sizeof(buf), mac, ip), HA_ARP_FRAME_LEN);
	CU_ASSERT_EQUAL(memcmp(buf, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(ha_announce_arp_build(buf, HA_ARP_FRAME_LEN - 1, mac, ip), 0);
}

static void test_ha_announce_na(void)
{
	uint8_t buf[64];
	struct in6_addr target;

	inet_pton(AF_INET6, "2001:db8::10", &target);
	CU_ASSERT_EQUAL(ha_announce_na_build(buf, sizeof(buf), mac, &target), HA_NA_LEN);
	CU_ASSERT_EQUAL(buf[0], 136); /* neighbour advertisement */
	CU_ASSERT_EQUAL(buf[1], 0);
	CU_ASSERT_EQUAL(buf[2] | buf[3], 0); /* the kernel fills the checksum */
	CU_ASSERT_EQUAL(buf[4], 0x20);       /* override; not solicited, not a router */
	CU_ASSERT_EQUAL(buf[5] | buf[6] | buf[7], 0);
	CU_ASSERT_EQUAL(memcmp(buf + 8, &target, 16), 0);
	CU_ASSERT_EQUAL(buf[24], 2); /* target link-layer address */
	CU_ASSERT_EQUAL(buf[25], 1); /* 8 bytes */
	CU_ASSERT_EQUAL(memcmp(buf + 26, mac, 6), 0);
	CU_ASSERT_EQUAL(ha_announce_na_build(buf, HA_NA_LEN - 1, mac, &target), 0);
}

static void test_ha_tiebreaker_echo(void)
{
	uint8_t buf[64], reply[64];
	uint16_t id = 0, seq = 0;
	size_t len = ha_tiebreaker_echo_build(buf, sizeof(buf), false, 0xbeef, 7);

	CU_ASSERT_EQUAL(len, 16);
	CU_ASSERT_EQUAL(buf[0], 8); /* echo request */
	/* a correct checksum sums to zero */
	CU_ASSERT_EQUAL(ha_tiebreaker_csum(buf, len), 0);
	CU_ASSERT_EQUAL(buf[4], 0xbe);
	CU_ASSERT_EQUAL(buf[7], 7);
	/* RFC 1071's example: 0001 f203 f4f5 f6f7 sums to ddf2, complemented 220d */
	static const uint8_t rfc[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	CU_ASSERT_EQUAL(ha_tiebreaker_csum(rfc, sizeof(rfc)), 0x220d);

	/* the reply as a raw IPv4 socket gives it: a 20-byte header, then ICMP type 0 */
	memset(reply, 0, sizeof(reply));
	reply[0] = 0x45;
	memcpy(reply + 20, buf, len);
	reply[20] = 0;
	CU_ASSERT_EQUAL(ha_tiebreaker_reply_parse(reply, 20 + len, false, &id, &seq), 0);
	CU_ASSERT_EQUAL(id, 0xbeef);
	CU_ASSERT_EQUAL(seq, 7);
	reply[20] = 8; /* a request is not an answer */
	CU_ASSERT_EQUAL(ha_tiebreaker_reply_parse(reply, 20 + len, false, &id, &seq), -EINVAL);
	CU_ASSERT_EQUAL(ha_tiebreaker_reply_parse(reply, 24, false, &id, &seq), -EINVAL);
	reply[0] = 0x4f; /* options run past the datagram */
	CU_ASSERT_EQUAL(ha_tiebreaker_reply_parse(reply, 40, false, &id, &seq), -EINVAL);

	len = ha_tiebreaker_echo_build(buf, sizeof(buf), true, 0x1234, 65535);
	CU_ASSERT_EQUAL(buf[0], 128);
	CU_ASSERT_EQUAL(buf[2] | buf[3], 0);
	buf[0] = 129;
	CU_ASSERT_EQUAL(ha_tiebreaker_reply_parse(buf, len, true, &id, &seq), 0);
	CU_ASSERT_EQUAL(id, 0x1234);
	CU_ASSERT_EQUAL(seq, 65535);
	CU_ASSERT_EQUAL(ha_tiebreaker_echo_build(buf, 8, true, 1, 1), 0);
}

UNIT_SUITE(ha_announce)
{
	CU_pSuite s = CU_add_suite("ha_announce", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "gratuitous ARP, byte by byte", test_ha_announce_arp);
	CU_add_test(s, "unsolicited neighbour advertisement", test_ha_announce_na);
	CU_add_test(s, "tie-breaker echo: request, checksum, reply", test_ha_tiebreaker_echo);
	return CU_get_error();
}
