/* Unit tests of the HA settings in controller/core/conf.c: values, addresses, and their relations. */
#include "controller/core/conf.h"
#include "tests/unit/unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

static void test_ha_conf_defaults(void)
{
	struct conf c;
	char err[256] = "";

	conf_defaults(&c);
	CU_ASSERT_STRING_EQUAL(c.ha_peer, "");
	CU_ASSERT_STRING_EQUAL(c.ha_peer2, "");
	CU_ASSERT_STRING_EQUAL(c.ha_bind, "");
	CU_ASSERT_EQUAL(c.ha_port, 694);
	CU_ASSERT_STRING_EQUAL(c.ha_cluster, "fulcrum");
	CU_ASSERT_EQUAL(c.ha_priority, 100);
	CU_ASSERT_STRING_EQUAL(c.ha_keyfile, SYSCONFDIR "/fulcrum/authkeys");
	CU_ASSERT_EQUAL(c.ha_interval, 50);
	CU_ASSERT_EQUAL(c.ha_deadtime, 300);
	CU_ASSERT_EQUAL(c.ha_initdead, 1000);
	CU_ASSERT_EQUAL(c.ha_repair_timeout, 3000);
	CU_ASSERT_EQUAL(c.ha_loop_timeout, 1000);
	CU_ASSERT_STRING_EQUAL(c.ha_tiebreaker, "");
	CU_ASSERT_EQUAL(c.ha_vip_lifetime, 3);
	CU_ASSERT_EQUAL(c.ha_announce_count, 3);
	CU_ASSERT_EQUAL(c.ha_announce_interval, 200);
	CU_ASSERT_STRING_EQUAL(c.ha_sync_interface, "");
	CU_ASSERT_EQUAL(c.ha_sync_id, 0);
	CU_ASSERT_TRUE(c.ha_realtime);
	CU_ASSERT_TRUE(c.ha_standalone_vips);
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), 0);
}

static void test_ha_conf_peer(void)
{
	static const char *const good[] = {
	    "192.0.2.2",     "192.0.2.2:694",      "192.0.2.2:1", "2001:db8::2",
	    "[2001:db8::2]", "[2001:db8::2]:7000", "[::1]:65535", ""};
	static const char *const bad[] = {"peer.example:694", "192.0.2.2:",      "192.0.2.2:0",
					  "192.0.2.2:65536",  "192.0.2.2:+1",    "[2001:db8::2",
					  "[2001:db8::2]694", "[192.0.2.2]:694", "[]:694",
					  "192.0.2",          "1.2.3.4:0x50",    " 192.0.2.2"};
	struct sockaddr_storage ss;
	socklen_t len;
	struct conf c;
	char err[256];

	conf_defaults(&c);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CU_ASSERT_EQUAL(conf_set(&c, "ha_peer", good[i], err, sizeof(err)), 0);
		CU_ASSERT_STRING_EQUAL(c.ha_peer, good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(conf_set(&c, "ha_peer2", bad[i], err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "ha_peer2: '"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not ADDR, ADDR:PORT or [V6]:PORT"));
	}
	CU_ASSERT_STRING_EQUAL(c.ha_peer2, "");

	CU_ASSERT_EQUAL(conf_peer_parse("192.0.2.2", 694, &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET);
	CU_ASSERT_EQUAL(len, sizeof(struct sockaddr_in));
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in *)&ss)->sin_port), 694);
	CU_ASSERT_EQUAL(conf_peer_parse("2001:db8::2", 700, &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 700);
	CU_ASSERT_EQUAL(conf_peer_parse("[2001:db8::2]:9", 700, &ss, &len, NULL, 0), 0);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 9);
}

static void test_ha_conf_addresses(void)
{
	struct conf c;
	char err[256];

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_bind", "10.0.0.1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_bind2", "fe80::1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_bind", "10.0.0.1:694", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
			       "ha_bind: '10.0.0.1:694' is not a numeric IPv4 or IPv6 address");
	CU_ASSERT_EQUAL(conf_set(&c, "ha_bind", "eth0", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(c.ha_bind, "10.0.0.1");

	CU_ASSERT_EQUAL(
	    conf_set(&c, "ha_tiebreaker", "192.0.2.254  2001:db8::1\t10.0.0.254", err, sizeof(err)),
	    0);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_tiebreaker", "192.0.2.254,10.0.0.254", err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ha_tiebreaker: '192.0.2.254,10.0.0.254' is not"));
	CU_ASSERT_EQUAL(conf_set(&c, "ha_tiebreaker", "192.0.2.254 router", err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ha_tiebreaker: 'router' is not"));
	CU_ASSERT_STRING_EQUAL(c.ha_tiebreaker, "192.0.2.254  2001:db8::1\t10.0.0.254");
	CU_ASSERT_EQUAL(conf_set(&c, "ha_tiebreaker", "", err, sizeof(err)), 0);
}

static void test_ha_conf_names_and_numbers(void)
{
	struct conf c;
	char err[256];

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_cluster", "lb-pair.dc1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_cluster", "lb pair", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(
	    err,
	    "ha_cluster: 'lb pair' must be 1 to 64 characters of printable ASCII without spaces");
	CU_ASSERT_EQUAL(conf_set(&c, "ha_cluster", "", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_cluster", "caf\xc3\xa9", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(c.ha_cluster, "lb-pair.dc1");

	CU_ASSERT_EQUAL(conf_set(&c, "ha_priority", "256", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "ha_priority: '256' is not a number in 0..255");
	CU_ASSERT_EQUAL(conf_set(&c, "ha_interval", "9", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_port", "0", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_sync_id", "255", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_vip_lifetime", "0", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_sync_interface", "eth1.100", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_sync_interface", "a-very-long-ifname", err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "ha_sync_interface: longer than 15 characters");
}

static void test_ha_conf_timer_relations(void)
{
	struct conf c;
	char err[256];

	conf_defaults(&c);
	c.ha_interval = 100;
	c.ha_deadtime = 299;
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ha_deadtime (299 ms) must be at least 3 times "
					   "ha_interval (100 ms)"));
	c.ha_deadtime = 300;
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), 0);
	c.ha_initdead = 299;
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "ha_initdead (299 ms) must be at least ha_deadtime (300 ms)"));
	c.ha_initdead = 300;
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), 0);
}

static void test_ha_conf_paths(void)
{
	struct conf c;
	char err[256];

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_set(&c, "ha_peer2", "10.1.0.2", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ha_peer2 is set but ha_peer is not"));
	CU_ASSERT_EQUAL(conf_set(&c, "ha_peer", "10.0.0.2", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), 0);

	CU_ASSERT_EQUAL(conf_set(&c, "ha_bind", "2001:db8::1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "ha_bind (2001:db8::1) is IPv6 but ha_peer (10.0.0.2) is "
				    "IPv4: give both of one family");
	CU_ASSERT_EQUAL(conf_set(&c, "ha_bind", "10.0.0.1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), 0);

	/* The same address twice is one path, whichever way its port is written. */
	CU_ASSERT_EQUAL(conf_set(&c, "ha_peer2", "10.0.0.2:694", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ha_peer2 (10.0.0.2:694) is the same as ha_peer"));
	CU_ASSERT_EQUAL(conf_set(&c, "ha_peer2", "", err, sizeof(err)), 0);

	CU_ASSERT_EQUAL(conf_set(&c, "ha_bind2", "10.1.0.1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ha_bind2 is set but ha_peer2 is not"));
}

static void test_ha_conf_node_and_interface(void)
{
	struct conf c;
	char err[256];

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_set(&c, "node_name", "lb a", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), 0); /* standalone: not on the wire */
	CU_ASSERT_EQUAL(conf_set(&c, "ha_peer", "10.0.0.2", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "node_name: 'lb a' cannot go in a heartbeat"));
	CU_ASSERT_EQUAL(conf_set(&c, "node_name", "lb-a", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), 0);

	CU_ASSERT_EQUAL(conf_set(&c, "ha_sync_interface", "eth/1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_ha_check(&c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "ha_sync_interface: 'eth/1' is not an interface name");
}

UNIT_SUITE(ha_conf)
{
	CU_pSuite s = CU_add_suite("ha_conf", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "defaults: standalone, valid as a whole", test_ha_conf_defaults);
	CU_add_test(s, "ha_peer: ADDR, ADDR:PORT, V6, [V6]:PORT", test_ha_conf_peer);
	CU_add_test(s, "bind and tie-breaker addresses are numeric", test_ha_conf_addresses);
	CU_add_test(s, "cluster name, numbers within bounds", test_ha_conf_names_and_numbers);
	CU_add_test(s, "deadtime >= 3 intervals, initdead >= deadtime",
		    test_ha_conf_timer_relations);
	CU_add_test(s, "paths: peer2 needs peer, families match, distinct", test_ha_conf_paths);
	CU_add_test(s, "node name and sync interface when HA is on",
		    test_ha_conf_node_and_interface);
	return CU_get_error();
}
