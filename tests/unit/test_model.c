/* Unit tests of controller/model/model.c and model_json.c: names, fields from text, rules, JSON. */
#include "controller/model/model.h"
#include "controller/model/model_json.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A valid service: web, 10.0.0.1:80/tcp. */
static struct fulcrum_vs web(void)
{
	return unit_vs("web", "10.0.0.1");
}

/* A valid real server of web: 10.0.1.1:8080, masq. */
static struct fulcrum_rs backend(void)
{
	struct fulcrum_rs rs;

	model_rs_init(&rs);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "address", "10.0.1.1", NULL), 0);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "port", "8080", NULL), 0);
	return rs;
}

static void test_enum_names_round_trip(void)
{
	enum fulcrum_scheduler sched;
	enum fulcrum_protocol proto;
	enum fulcrum_forwarding fwd;
	enum fulcrum_tunnel tun;
	enum fulcrum_vs_admin va;
	enum fulcrum_rs_admin ra;
	enum fulcrum_origin origin;
	int family;

	for (int i = 0; i < FULCRUM_SCHED_COUNT; i++) {
		CU_ASSERT_EQUAL(model_scheduler_parse(model_scheduler_name(i), &sched), 0);
		CU_ASSERT_EQUAL(sched, (enum fulcrum_scheduler)i);
	}
	CU_ASSERT_STRING_EQUAL(model_scheduler_name(FULCRUM_SCHED_TWOS), "twos");
	CU_ASSERT_STRING_EQUAL(model_scheduler_name(FULCRUM_SCHED_WLC), "wlc");
	for (int i = FULCRUM_PROTO_NONE; i <= FULCRUM_PROTO_SCTP; i++) {
		CU_ASSERT_EQUAL(model_protocol_parse(model_protocol_name(i), &proto), 0);
		CU_ASSERT_EQUAL(proto, (enum fulcrum_protocol)i);
	}
	for (int i = FULCRUM_FWD_MASQ; i <= FULCRUM_FWD_TUNNEL; i++) {
		CU_ASSERT_EQUAL(model_forwarding_parse(model_forwarding_name(i), &fwd), 0);
		CU_ASSERT_EQUAL(fwd, (enum fulcrum_forwarding)i);
	}
	for (int i = FULCRUM_TUN_NONE; i <= FULCRUM_TUN_GRE; i++) {
		CU_ASSERT_EQUAL(model_tunnel_parse(model_tunnel_name(i), &tun), 0);
		CU_ASSERT_EQUAL(tun, (enum fulcrum_tunnel)i);
	}
	for (int i = FULCRUM_VS_ENABLED; i <= FULCRUM_VS_DISABLED; i++) {
		CU_ASSERT_EQUAL(model_vs_admin_parse(model_vs_admin_name(i), &va), 0);
		CU_ASSERT_EQUAL(va, (enum fulcrum_vs_admin)i);
	}
	for (int i = FULCRUM_RS_ENABLED; i <= FULCRUM_RS_DISABLED; i++) {
		CU_ASSERT_EQUAL(model_rs_admin_parse(model_rs_admin_name(i), &ra), 0);
		CU_ASSERT_EQUAL(ra, (enum fulcrum_rs_admin)i);
	}
	for (int i = FULCRUM_ORIGIN_HTTP; i <= FULCRUM_ORIGIN_CLI; i++) {
		CU_ASSERT_EQUAL(model_origin_parse(model_origin_name(i), &origin), 0);
		CU_ASSERT_EQUAL(origin, (enum fulcrum_origin)i);
	}
	CU_ASSERT_STRING_EQUAL(model_rs_admin_name(FULCRUM_RS_DRAINED), "drained");
	CU_ASSERT_STRING_EQUAL(model_origin_name(FULCRUM_ORIGIN_SNMP), "snmp");
	CU_ASSERT_EQUAL(model_family_parse("ipv6", &family), 0);
	CU_ASSERT_EQUAL(family, AF_INET6);
	CU_ASSERT_STRING_EQUAL(model_family_name(AF_INET), "ipv4");
}

static void test_enum_parse_refuses_near_misses(void)
{
	enum fulcrum_scheduler sched = FULCRUM_SCHED_RR;
	enum fulcrum_protocol proto = FULCRUM_PROTO_TCP;
	int family = AF_INET;

	CU_ASSERT_EQUAL(model_scheduler_parse("WLC", &sched), -EINVAL);
	CU_ASSERT_EQUAL(model_scheduler_parse("wlc ", &sched), -EINVAL);
	CU_ASSERT_EQUAL(model_scheduler_parse("", &sched), -EINVAL);
	CU_ASSERT_EQUAL(model_scheduler_parse(NULL, &sched), -EINVAL);
	CU_ASSERT_EQUAL(sched, FULCRUM_SCHED_RR);
	CU_ASSERT_EQUAL(model_protocol_parse("icmp", &proto), -EINVAL);
	CU_ASSERT_EQUAL(proto, FULCRUM_PROTO_TCP);
	CU_ASSERT_EQUAL(model_family_parse("inet", &family), -EINVAL);
	CU_ASSERT_PTR_NULL(model_scheduler_name(FULCRUM_SCHED_COUNT));
	CU_ASSERT_PTR_NULL(model_forwarding_name((enum fulcrum_forwarding)7));
	CU_ASSERT_PTR_NULL(model_family_name(AF_UNSPEC));
}

static void test_sched_flags_text(void)
{
	unsigned flags = 99;
	char buf[32];

	CU_ASSERT_EQUAL(model_sched_flags_parse("", &flags), 0);
	CU_ASSERT_EQUAL(flags, 0);
	CU_ASSERT_EQUAL(model_sched_flags_parse("port,fallback", &flags), 0);
	CU_ASSERT_EQUAL(flags, FULCRUM_SCHED_F_FALLBACK | FULCRUM_SCHED_F_PORT);
	CU_ASSERT_EQUAL(model_sched_flags_parse("port", &flags), 0);
	CU_ASSERT_EQUAL(flags, FULCRUM_SCHED_F_PORT);
	CU_ASSERT_EQUAL(model_sched_flags_parse(",port", &flags), -EINVAL);
	CU_ASSERT_EQUAL(model_sched_flags_parse("port,", &flags), -EINVAL);
	CU_ASSERT_EQUAL(model_sched_flags_parse("fallback,,port", &flags), -EINVAL);
	CU_ASSERT_EQUAL(model_sched_flags_parse("fallback, port", &flags), -EINVAL);
	CU_ASSERT_EQUAL(model_sched_flags_parse("sh-port", &flags), -EINVAL);
	CU_ASSERT_EQUAL(flags, FULCRUM_SCHED_F_PORT);
	CU_ASSERT_EQUAL(model_sched_flags_format(3, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "fallback,port");
	CU_ASSERT_EQUAL(model_sched_flags_format(0, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(model_sched_flags_format(4, buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(model_sched_flags_format(3, buf, 8), -ENOSPC);
}

static void test_addr_text(void)
{
	static const char *const bad[] = {"",          "10.0.0",      "10.0.0.1 ", " 10.0.0.1",
					  "256.1.1.1", "10.0.0.1/32", "[fd00::1]", "fe80::1%eth0",
					  "fd00:::1",  "localhost",   "0x0a000001"};
	struct fulcrum_addr a, b;
	char buf[MODEL_ENDPOINT_STRLEN];

	CU_ASSERT_EQUAL(model_addr_parse("10.0.0.1", &a), 0);
	CU_ASSERT_EQUAL(a.family, AF_INET);
	CU_ASSERT_STRING_EQUAL(model_addr_format(&a, buf, sizeof(buf)), "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(model_endpoint_format(&a, 80, buf, sizeof(buf)), "10.0.0.1:80");
	CU_ASSERT_EQUAL(model_addr_parse("FD00:0:0:0::1", &b), 0);
	CU_ASSERT_EQUAL(b.family, AF_INET6);
	CU_ASSERT_STRING_EQUAL(model_addr_format(&b, buf, sizeof(buf)), "fd00::1");
	CU_ASSERT_STRING_EQUAL(model_endpoint_format(&b, 443, buf, sizeof(buf)), "[fd00::1]:443");
	CU_ASSERT_FALSE(model_addr_equal(&a, &b));
	CU_ASSERT_EQUAL(model_addr_parse("fd00::1", &a), 0);
	CU_ASSERT_TRUE(model_addr_equal(&a, &b));
	CU_ASSERT_EQUAL(model_addr_parse("::ffff:10.0.0.1", &a), 0);
	CU_ASSERT_EQUAL(a.family, AF_INET6); /* a v4-mapped address is IPv6 to IPVS */
	for (size_t i = 0; i < COUNT(bad); i++) {
		b.family = AF_INET6;
		CU_ASSERT_EQUAL(model_addr_parse(bad[i], &b), -EINVAL);
		CU_ASSERT_EQUAL(b.family, AF_INET6);
	}
}

static void test_defaults(void)
{
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;

	memset(&vs, 0x5a, sizeof(vs));
	model_vs_init(&vs);
	CU_ASSERT_EQUAL(vs.id, 0);
	CU_ASSERT_EQUAL(vs.family, AF_INET);
	CU_ASSERT_EQUAL(vs.addr.family, AF_UNSPEC);
	CU_ASSERT_EQUAL(vs.scheduler, FULCRUM_SCHED_WLC);
	CU_ASSERT_EQUAL(vs.persistence_netmask, 32);
	CU_ASSERT_EQUAL(vs.persistence_timeout, 0);
	CU_ASSERT_EQUAL(vs.admin_state, FULCRUM_VS_ENABLED);
	CU_ASSERT_STRING_EQUAL(vs.name, "");
	memset(&rs, 0x5a, sizeof(rs));
	model_rs_init(&rs);
	CU_ASSERT_EQUAL(rs.forwarding, FULCRUM_FWD_MASQ);
	CU_ASSERT_EQUAL(rs.tunnel_type, FULCRUM_TUN_NONE);
	CU_ASSERT_EQUAL(rs.weight, 1);
	CU_ASSERT_EQUAL(rs.admin_state, FULCRUM_RS_ENABLED);
	CU_ASSERT_EQUAL(rs.upper_threshold, 0);
	CU_ASSERT_STRING_EQUAL(rs.description, "");
}

static void test_set_field_numbers_are_strict(void)
{
	static const char *const junk[] = {"",     "+80", "-1",   " 80", "80 ",
					   "0x50", "8O",  "80.0", "1e2", "８０"};
	struct fulcrum_vs vs = web(), before;
	struct fulcrum_err err;

	for (size_t i = 0; i < COUNT(junk); i++) {
		before = vs;
		CU_ASSERT_EQUAL(model_vs_set_field(&vs, "port", junk[i], &err), -EINVAL);
		CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_INVALID);
		CU_ASSERT_STRING_EQUAL(err.field, "port");
		CU_ASSERT_EQUAL(memcmp(&vs, &before, sizeof(vs)), 0);
	}
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "port", "80x", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "service port: '80x' is not a number (0..65535)");
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "port", "65536", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "service port: 65536 is outside 0..65535");
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "port", "99999999999999999999999", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "service port: 99999999999999999999999 is outside 0..65535");
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "port", "65535", &err), 0);
	CU_ASSERT_EQUAL(vs.port, 65535);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "port", "00443", &err), 0);
	CU_ASSERT_EQUAL(vs.port, 443);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "fwmark", "4294967295", &err), 0);
	CU_ASSERT_EQUAL(vs.fwmark, UINT32_MAX);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "fwmark", "4294967296", &err), -EINVAL);
	CU_ASSERT_EQUAL(vs.fwmark, UINT32_MAX);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "persistence_timeout", "2592001", &err), -EINVAL);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "persistence_netmask", "129", &err), -EINVAL);
}

static void test_set_field_rs_numbers(void)
{
	struct fulcrum_rs rs = backend();
	struct fulcrum_err err;

	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "weight", "65536", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "real server weight: 65536 is outside 0..65535");
	CU_ASSERT_STRING_EQUAL(err.field, "weight");
	CU_ASSERT_EQUAL(rs.weight, 1);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "weight", "0", &err), 0);
	CU_ASSERT_EQUAL(rs.weight, 0);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "upper_threshold", "4294967295", &err), 0);
	CU_ASSERT_EQUAL(rs.upper_threshold, UINT32_MAX);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "lower_threshold", "4294967296", &err), -EINVAL);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "tunnel_port", "-0", &err), -EINVAL);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "port", "", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "real server port: '' is not a number (0..65535)");
}

static void test_set_field_text_and_enums(void)
{
	struct fulcrum_vs vs = web();
	struct fulcrum_err err;
	char name[FULCRUM_NAME_MAX + 2], desc[FULCRUM_DESC_MAX + 2];

	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "colour", "red", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "colour");
	CU_ASSERT_STRING_EQUAL(err.message, "service: unknown field 'colour'");
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "port", NULL, &err), -EINVAL);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "scheduler", "foo", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "service scheduler: 'foo' is not an IPVS scheduler (rr "
					    "wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos)");
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "scheduler", "mh", &err), 0);
	CU_ASSERT_EQUAL(vs.scheduler, FULCRUM_SCHED_MH);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "scheduler_flags", "fallback,port", &err), 0);
	CU_ASSERT_EQUAL(vs.scheduler_flags, 3);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "scheduler_flags", "", &err), 0);
	CU_ASSERT_EQUAL(vs.scheduler_flags, 0);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "one_packet", "maybe", &err), -EINVAL);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "one_packet", "yes", &err), 0);
	CU_ASSERT_TRUE(vs.one_packet);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "one_packet", "false", &err), 0);
	CU_ASSERT_FALSE(vs.one_packet);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "admin_state", "drained", &err), -EINVAL);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "admin_state", "disabled", &err), 0);
	CU_ASSERT_EQUAL(vs.admin_state, FULCRUM_VS_DISABLED);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0'; /* 65 characters */
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "name", name, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "service name: 65 bytes is longer than 64");
	CU_ASSERT_STRING_EQUAL(vs.name, "web");
	name[FULCRUM_NAME_MAX] = '\0';
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "name", name, &err), 0);
	memset(desc, 'd', sizeof(desc) - 1);
	desc[sizeof(desc) - 1] = '\0';
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "description", desc, &err), -EINVAL);
	desc[FULCRUM_DESC_MAX] = '\0';
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "description", desc, &err), 0);
	CU_ASSERT_EQUAL(strlen(vs.description), FULCRUM_DESC_MAX);
}

static void test_set_field_address_moves_family(void)
{
	struct fulcrum_vs vs = web();
	struct fulcrum_err err;

	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "address", "fd00::80", &err), 0);
	CU_ASSERT_EQUAL(vs.family, AF_INET6);
	CU_ASSERT_EQUAL(vs.persistence_netmask, 128);
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), 0);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "persistence_netmask", "64", &err), 0);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "address", "10.0.0.1", &err), 0);
	CU_ASSERT_EQUAL(vs.family, AF_INET);
	CU_ASSERT_EQUAL(vs.persistence_netmask, 64); /* chosen, so kept; validation tells */
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "service persistence_netmask: 64 is outside 0..32 for IPv4");
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "address", "10.0.0.300", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "service address: '10.0.0.300' is not an IPv4 or IPv6 address");
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "address", "", &err), 0);
	CU_ASSERT_EQUAL(vs.addr.family, AF_UNSPEC);
	CU_ASSERT_EQUAL(vs.family, AF_INET);
}

static void test_set_field_forwarding_defaults(void)
{
	struct fulcrum_rs rs = backend();
	struct fulcrum_err err;

	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "forwarding", "tunnel", &err), 0);
	CU_ASSERT_EQUAL(rs.tunnel_type, FULCRUM_TUN_IPIP);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "tunnel_type", "gue", &err), 0);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "tunnel_port", "6080", &err), 0);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "forwarding", "tunnel", &err), 0);
	CU_ASSERT_EQUAL(rs.tunnel_type, FULCRUM_TUN_GUE); /* kept */
	CU_ASSERT_EQUAL(rs.tunnel_port, 6080);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "tunnel_type", "gre", &err), 0);
	CU_ASSERT_EQUAL(rs.tunnel_port, 0);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "forwarding", "route", &err), 0);
	CU_ASSERT_EQUAL(rs.tunnel_type, FULCRUM_TUN_NONE);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "forwarding", "nat", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "real server forwarding: 'nat' is not a forwarding method (masq "
			       "route tunnel)");
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "admin_state", "drained", &err), 0);
	CU_ASSERT_EQUAL(rs.admin_state, FULCRUM_RS_DRAINED);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "scheduler", "rr", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "real server: unknown field 'scheduler'");
}

/* Up to three field assignments applied in order, then the expected verdict. */
struct vs_case {
	const char *set[3][2];
	const char *field; /* NULL: valid */
};

static void run_vs_cases(const struct vs_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct fulcrum_vs vs = web();
		struct fulcrum_err err;

		for (size_t j = 0; j < 3 && cases[i].set[j][0]; j++)
			CU_ASSERT_EQUAL(
			    model_vs_set_field(&vs, cases[i].set[j][0], cases[i].set[j][1], &err),
			    0);
		memset(&err, 0, sizeof(err));
		if (!cases[i].field) {
			CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), 0);
			if (err.message[0])
				fprintf(stderr, "\ncase %zu: %s\n", i, err.message);
			continue;
		}
		CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
		CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_INVALID);
		CU_ASSERT_STRING_EQUAL(err.field, cases[i].field);
		CU_ASSERT_EQUAL(strncmp(err.message, "service ", 8), 0);
	}
}

static void test_vs_rules_good(void)
{
	static const struct vs_case good[] = {
	    {{{NULL}}, NULL},
	    {{{"port", "0"}, {"persistence_timeout", "300"}}, NULL},
	    {{{"scheduler", "sh"}, {"scheduler_flags", "fallback,port"}}, NULL},
	    {{{"scheduler", "mh"}, {"scheduler_flags", "port"}}, NULL},
	    {{{"protocol", "udp"}, {"one_packet", "true"}}, NULL},
	    {{{"protocol", "sctp"}, {"persistence_timeout", "2592000"}}, NULL},
	    {{{"address", "fd00::1"}, {"persistence_netmask", "128"}}, NULL},
	    {{{"persistence_netmask", "0"}}, NULL},
	    {{{"name", "0web-1.prod_x"}}, NULL},
	    {{{"description", "Café ☕ 日本, \"quoted\""}}, NULL},
	};

	run_vs_cases(good, COUNT(good));
}

static void test_vs_rules_bad(void)
{
	static const struct vs_case bad[] = {
	    {{{"name", ""}}, "name"},
	    {{{"name", "-web"}}, "name"},
	    {{{"name", "we b"}}, "name"},
	    {{{"name", "web/1"}}, "name"},
	    {{{"fwmark", "5"}}, "fwmark"},
	    {{{"address", ""}}, "address"},
	    {{{"protocol", ""}}, "protocol"},
	    {{{"port", "0"}}, "port"},
	    {{{"scheduler_flags", "port"}}, "scheduler_flags"},
	    {{{"scheduler", "sh"}, {"scheduler_flags", "port"}, {"scheduler", "rr"}},
	     "scheduler_flags"},
	    {{{"persistence_netmask", "33"}}, "persistence_netmask"},
	    {{{"one_packet", "true"}}, "one_packet"},
	    {{{"family", "ipv6"}}, "family"},
	    {{{"address", "fd00::1"}, {"family", "ipv4"}}, "family"},
	    {{{"description", "tab\there"}}, "description"},
	    {{{"description", "del\x7f"}}, "description"},
	    {{{"description", "c1 \xc2\x85"}}, "description"},
	    {{{"description", "cut \xc3"}}, "description"},
	    {{{"description", "overlong \xc0\xaf"}}, "description"},
	    {{{"description", "overlong \xe0\x80\xaf"}}, "description"},
	    {{{"description", "surrogate \xed\xa0\x80"}}, "description"},
	    {{{"description", "beyond \xf4\x90\x80\x80"}}, "description"},
	};

	run_vs_cases(bad, COUNT(bad));
}

static void test_vs_rules_fwmark(void)
{
	struct fulcrum_vs vs;
	struct fulcrum_err err;

	model_vs_init(&vs);
	strcpy(vs.name, "fw");
	vs.fwmark = 7;
	vs.family = AF_INET6;
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), 0);
	vs.persistence_netmask = 129;
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "service persistence_netmask: 129 is outside 0..128 for IPv6");
	vs.persistence_netmask = 128;
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), 0);
	vs.one_packet = true; /* fwmark may carry udp */
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), 0);
	vs.port = 80;
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "service port: a firewall-mark service has no port "
					    "(80 given)");
	vs.port = 0;
	vs.protocol = FULCRUM_PROTO_TCP;
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "protocol");
	vs.protocol = FULCRUM_PROTO_NONE;
	vs.family = AF_UNSPEC;
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "family");
}

static void test_vs_rules_struct_values(void)
{
	struct fulcrum_vs vs = web();
	struct fulcrum_err err;

	vs.persistence_timeout = MODEL_PERSISTENCE_MAX + 1;
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "service persistence_timeout: 2592001 is outside "
					    "0..2592000 seconds (30 days)");
	vs = web();
	vs.scheduler = FULCRUM_SCHED_COUNT;
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "scheduler");
	vs = web();
	vs.scheduler = FULCRUM_SCHED_SH;
	vs.scheduler_flags = 4;
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "scheduler_flags");
	vs = web();
	vs.scheduler_flags = FULCRUM_SCHED_F_PORT;
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "service scheduler_flags: only the sh and mh "
					    "schedulers take flags (scheduler is wlc)");
	vs = web();
	vs.admin_state = (enum fulcrum_vs_admin)9;
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "admin_state");
	vs = web();
	memset(vs.name, 'a', sizeof(vs.name)); /* no NUL inside the field */
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "name");
	vs = web();
	memset(vs.description, 'a', sizeof(vs.description));
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "description");
	vs = web();
	vs.one_packet = true;
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "service one_packet: only for udp services (protocol "
					    "is tcp)");
}

struct rs_case {
	const char *set[3][2];
	const char *field; /* NULL: valid */
};

static void run_rs_cases(const struct fulcrum_vs *owner, const struct rs_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct fulcrum_rs rs = backend();
		struct fulcrum_err err;

		if (owner->addr.family == AF_UNSPEC || owner->port == 0)
			rs.port = 0;
		for (size_t j = 0; j < 3 && cases[i].set[j][0]; j++)
			CU_ASSERT_EQUAL(
			    model_rs_set_field(&rs, cases[i].set[j][0], cases[i].set[j][1], &err),
			    0);
		memset(&err, 0, sizeof(err));
		if (!cases[i].field) {
			CU_ASSERT_EQUAL(model_rs_validate(&rs, owner, &err), 0);
			if (err.message[0])
				fprintf(stderr, "\ncase %zu: %s\n", i, err.message);
			continue;
		}
		CU_ASSERT_EQUAL(model_rs_validate(&rs, owner, &err), -EINVAL);
		CU_ASSERT_STRING_EQUAL(err.field, cases[i].field);
		CU_ASSERT_EQUAL(strncmp(err.message, "real server ", 12), 0);
	}
}

static void test_rs_rules_address_service(void)
{
	static const struct rs_case cases[] = {
	    {{{NULL}}, NULL},
	    {{{"forwarding", "route"}, {"port", "0"}}, NULL},
	    {{{"forwarding", "route"}, {"port", "80"}}, NULL},
	    {{{"forwarding", "route"}}, "port"}, /* 8080 on an :80 service */
	    {{{"forwarding", "tunnel"}, {"port", "0"}}, NULL},
	    {{{"forwarding", "tunnel"}, {"port", "81"}}, "port"},
	    {{{"forwarding", "tunnel"}, {"tunnel_type", "gre"}, {"port", "80"}}, NULL},
	    {{{"forwarding", "tunnel"}, {"tunnel_type", "gue"}, {"port", "0"}}, "tunnel_port"},
	    {{{"forwarding", "tunnel"}, {"tunnel_type", "none"}, {"port", "0"}}, "tunnel_type"},
	    {{{"tunnel_type", "ipip"}}, "tunnel_type"},
	    {{{"port", "0"}}, "port"},
	    {{{"address", ""}}, "address"},
	    {{{"weight", "0"}, {"admin_state", "drained"}}, NULL},
	    {{{"weight", "65535"}}, NULL},
	    {{{"upper_threshold", "100"}, {"lower_threshold", "100"}}, NULL},
	    {{{"upper_threshold", "100"}, {"lower_threshold", "101"}}, "lower_threshold"},
	    {{{"upper_threshold", "0"}, {"lower_threshold", "500"}}, NULL},
	    {{{"description", "db-1 \xe2\x80\x94 rack 4"}}, NULL},
	    {{{"description", "bell\a"}}, "description"},
	};
	struct fulcrum_vs owner = web();

	run_rs_cases(&owner, cases, COUNT(cases));
}

static void test_rs_rules_fwmark_and_all_ports(void)
{
	static const struct rs_case cases[] = {
	    {{{NULL}}, NULL},
	    {{{"port", "8080"}}, NULL}, /* masq may still map to one port */
	    {{{"forwarding", "route"}}, NULL},
	    {{{"forwarding", "route"}, {"port", "80"}}, "port"},
	    {{{"forwarding", "tunnel"}, {"tunnel_type", "gue"}, {"tunnel_port", "6080"}}, NULL},
	    {{{"address", "fd00::1"}}, "address"},
	};
	struct fulcrum_vs fw, all = web();
	struct fulcrum_err err;

	model_vs_init(&fw);
	strcpy(fw.name, "fw");
	fw.fwmark = 1;
	CU_ASSERT_EQUAL(model_vs_validate(&fw, &err), 0);
	run_rs_cases(&fw, cases, COUNT(cases));
	all.port = 0;
	all.persistence_timeout = 60;
	CU_ASSERT_EQUAL(model_vs_validate(&all, &err), 0);
	run_rs_cases(&all, cases, COUNT(cases));
}

static void test_rs_rules_messages(void)
{
	struct fulcrum_vs owner = web();
	struct fulcrum_rs rs = backend();
	struct fulcrum_err err;

	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "address", "fd00::1", &err), 0);
	CU_ASSERT_EQUAL(model_rs_validate(&rs, &owner, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "real server address: fd00::1 is IPv6 but service 'web' is IPv4");
	CU_ASSERT_STRING_EQUAL(err.field, "address");
	rs = backend();
	rs.weight = 70000;
	CU_ASSERT_EQUAL(model_rs_validate(&rs, &owner, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "real server weight: 70000 is outside 0..65535");
	rs = backend();
	rs.forwarding = FULCRUM_FWD_ROUTE;
	CU_ASSERT_EQUAL(model_rs_validate(&rs, &owner, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "real server port: 8080 differs from the service port "
					    "80; route forwarding cannot change the port (use 0 "
					    "or 80)");
	rs = backend();
	rs.forwarding = FULCRUM_FWD_TUNNEL;
	rs.tunnel_type = FULCRUM_TUN_IPIP;
	rs.port = 0;
	rs.tunnel_port = 6080;
	CU_ASSERT_EQUAL(model_rs_validate(&rs, &owner, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "tunnel_port");
	rs.tunnel_type = (enum fulcrum_tunnel)8;
	CU_ASSERT_EQUAL(model_rs_validate(&rs, &owner, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "tunnel_type");
	rs = backend();
	rs.admin_state = (enum fulcrum_rs_admin)5;
	CU_ASSERT_EQUAL(model_rs_validate(&rs, &owner, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "admin_state");
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	return j;
}

static void test_json_vs_fields(void)
{
	struct fulcrum_vs vs = web();
	json_t *j;
	char *text;

	vs.id = 12;
	vs.scheduler = FULCRUM_SCHED_SH;
	vs.scheduler_flags = FULCRUM_SCHED_F_FALLBACK | FULCRUM_SCHED_F_PORT;
	vs.persistence_timeout = 300;
	vs.persistence_netmask = 24;
	strcpy(vs.description, "front \"door\"");
	j = model_vs_to_json(&vs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	text = json_dumps(j, JSON_COMPACT);
	CU_ASSERT_STRING_EQUAL(text, "{\"id\":12,\"name\":\"web\",\"address\":\"10.0.0.1\","
				     "\"port\":80,\"protocol\":\"tcp\",\"fwmark\":0,\"family\":"
				     "\"ipv4\",\"scheduler\":\"sh\",\"scheduler_flags\":"
				     "[\"fallback\",\"port\"],\"persistence_timeout\":300,"
				     "\"persistence_netmask\":24,\"one_packet\":false,"
				     "\"admin_state\":\"enabled\",\"description\":\"front "
				     "\\\"door\\\"\",\"check\":{\"type\":\"none\",\"path\":\"/\","
				     "\"host\":\"\",\"head\":false,\"expect_status\":\"200\","
				     "\"expect\":\"\",\"expect_regex\":\"\",\"verify_tls\":true,"
				     "\"command\":\"\",\"interval\":5,\"timeout\":3,\"rise\":2,"
				     "\"fall\":3,\"check_address\":null,\"check_port\":0,"
				     "\"on_failure\":\"quiesce\"},\"fallback\":null,\"min_up\":0}");
	free(text);
	json_decref(j);
	model_vs_init(&vs);
	strcpy(vs.name, "fw");
	vs.fwmark = 4294967295u;
	j = model_vs_to_json(&vs);
	CU_ASSERT_TRUE(json_is_null(json_object_get(j, "address")));
	CU_ASSERT_TRUE(json_is_null(json_object_get(j, "protocol")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "fwmark")), 4294967295LL);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "scheduler_flags")), 0);
	json_decref(j);
}

static void test_json_rs_fields(void)
{
	struct fulcrum_rs rs = backend();
	json_t *j;
	char *text;

	rs.id = 3;
	rs.vs_id = 12;
	rs.port = 0;
	rs.forwarding = FULCRUM_FWD_TUNNEL;
	rs.tunnel_type = FULCRUM_TUN_GUE;
	rs.tunnel_port = 6080;
	rs.weight = 65535;
	rs.upper_threshold = 4294967295u;
	rs.lower_threshold = 10;
	rs.admin_state = FULCRUM_RS_DRAINED;
	j = model_rs_to_json(&rs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	text = json_dumps(j, JSON_COMPACT);
	CU_ASSERT_STRING_EQUAL(text, "{\"id\":3,\"service_id\":12,\"address\":\"10.0.1.1\","
				     "\"port\":0,\"forwarding\":\"tunnel\",\"tunnel_type\":\"gue\","
				     "\"tunnel_port\":6080,\"weight\":65535,\"upper_threshold\":"
				     "4294967295,\"lower_threshold\":10,\"admin_state\":"
				     "\"drained\",\"description\":\"\",\"check\":{}}");
	free(text);
	json_decref(j);
	rs = backend();
	j = model_rs_to_json(&rs);
	CU_ASSERT_TRUE(json_is_null(json_object_get(j, "tunnel_type")));
	json_decref(j);
}

static bool vs_same(const struct fulcrum_vs *a, const struct fulcrum_vs *b)
{
	return a->id == b->id && strcmp(a->name, b->name) == 0 && a->family == b->family &&
	       model_addr_equal(&a->addr, &b->addr) && a->port == b->port &&
	       a->protocol == b->protocol && a->fwmark == b->fwmark &&
	       a->scheduler == b->scheduler && a->scheduler_flags == b->scheduler_flags &&
	       a->persistence_timeout == b->persistence_timeout &&
	       a->persistence_netmask == b->persistence_netmask && a->one_packet == b->one_packet &&
	       a->admin_state == b->admin_state && strcmp(a->description, b->description) == 0;
}

static bool rs_same(const struct fulcrum_rs *a, const struct fulcrum_rs *b)
{
	return a->id == b->id && a->vs_id == b->vs_id && model_addr_equal(&a->addr, &b->addr) &&
	       a->port == b->port && a->forwarding == b->forwarding &&
	       a->tunnel_type == b->tunnel_type && a->tunnel_port == b->tunnel_port &&
	       a->weight == b->weight && a->upper_threshold == b->upper_threshold &&
	       a->lower_threshold == b->lower_threshold && a->admin_state == b->admin_state &&
	       strcmp(a->description, b->description) == 0;
}

static void test_json_round_trip(void)
{
	struct fulcrum_vs vs[3], back;
	struct fulcrum_rs rs[4], rback;
	struct fulcrum_err err;

	vs[0] = web();
	vs[0].id = 1;
	vs[0].scheduler = FULCRUM_SCHED_MH;
	vs[0].scheduler_flags = FULCRUM_SCHED_F_PORT;
	vs[0].persistence_timeout = 600;
	vs[0].persistence_netmask = 16;
	vs[0].admin_state = FULCRUM_VS_DISABLED;
	strcpy(vs[0].description, "ünïcode ☃");
	model_vs_init(&vs[1]);
	vs[1].id = 2;
	CU_ASSERT_EQUAL(model_vs_set_field(&vs[1], "address", "2001:db8::10", NULL), 0);
	strcpy(vs[1].name, "dns6");
	vs[1].port = 53;
	vs[1].protocol = FULCRUM_PROTO_UDP;
	vs[1].one_packet = true;
	vs[1].persistence_netmask = 64;
	model_vs_init(&vs[2]);
	vs[2].id = 3;
	strcpy(vs[2].name, "fw");
	vs[2].fwmark = 77;
	vs[2].scheduler = FULCRUM_SCHED_TWOS;
	for (size_t i = 0; i < COUNT(vs); i++) {
		json_t *j = model_vs_to_json(&vs[i]);

		CU_ASSERT_EQUAL(model_vs_validate(&vs[i], &err), 0);
		model_vs_init(&back);
		back.id = vs[i].id; /* read-only: a body from GET may be sent back to it */
		CU_ASSERT_EQUAL(model_vs_from_json(j, &back, &err), 0);
		CU_ASSERT_TRUE(vs_same(&vs[i], &back));
		json_decref(j);
	}
	for (size_t i = 0; i < COUNT(rs); i++) {
		json_t *j;

		rs[i] = backend();
		rs[i].id = 10 + (int64_t)i;
		rs[i].vs_id = 1;
		rs[i].forwarding = i == 0   ? FULCRUM_FWD_MASQ
				   : i == 1 ? FULCRUM_FWD_ROUTE
					    : FULCRUM_FWD_TUNNEL;
		rs[i].tunnel_type = i == 2 ? FULCRUM_TUN_GUE : i == 3 ? FULCRUM_TUN_GRE : 0;
		rs[i].tunnel_port = i == 2 ? 5555 : 0;
		rs[i].weight = (uint32_t)i * 1000;
		rs[i].upper_threshold = 100 + (uint32_t)i;
		rs[i].lower_threshold = (uint32_t)i;
		rs[i].admin_state = i % 3;
		snprintf(rs[i].description, sizeof(rs[i].description), "rs %zu", i);
		j = model_rs_to_json(&rs[i]);
		model_rs_init(&rback);
		rback.id = rs[i].id;
		rback.vs_id = 1;
		CU_ASSERT_EQUAL(model_rs_from_json(j, &rback, &err), 0);
		CU_ASSERT_TRUE(rs_same(&rs[i], &rback));
		json_decref(j);
	}
}

static void test_json_patch_applies_only_given_fields(void)
{
	struct fulcrum_vs vs = web(), want = web();
	struct fulcrum_rs rs = backend();
	struct fulcrum_err err;
	json_t *j = parse("{\"port\":443,\"description\":\"tls\"}");

	CU_ASSERT_EQUAL(model_vs_from_json(j, &vs, &err), 0);
	want.port = 443;
	strcpy(want.description, "tls");
	CU_ASSERT_TRUE(vs_same(&vs, &want));
	json_decref(j);
	j = parse("{\"address\":null,\"protocol\":null,\"port\":0,\"fwmark\":9}");
	CU_ASSERT_EQUAL(model_vs_from_json(j, &vs, &err), 0);
	CU_ASSERT_EQUAL(model_vs_validate(&vs, &err), 0);
	CU_ASSERT_EQUAL(vs.fwmark, 9);
	json_decref(j);
	j = parse("{\"forwarding\":\"tunnel\",\"tunnel_type\":\"gue\",\"tunnel_port\":6080,"
		  "\"port\":0}");
	CU_ASSERT_EQUAL(model_rs_from_json(j, &rs, &err), 0);
	CU_ASSERT_EQUAL(rs.tunnel_type, FULCRUM_TUN_GUE);
	CU_ASSERT_EQUAL(rs.tunnel_port, 6080);
	json_decref(j);
	j = parse("{}");
	CU_ASSERT_EQUAL(model_rs_from_json(j, &rs, &err), 0);
	json_decref(j);
}

/* One JSON body that must be refused, and the field and message it must name. */
struct json_bad {
	const char *body;
	const char *field;
	const char *message; /* NULL: not checked */
};

static void test_json_rejects(void)
{
	static const struct json_bad vs_bad[] = {
	    {"{\"colour\":\"red\"}", "colour", "service: unknown field 'colour'"},
	    {"{\"port\":\"80\"}", "port", "service port: expected an integer, got a string"},
	    {"{\"port\":80.0}", "port", "service port: expected an integer, got a real number"},
	    {"{\"port\":70000}", "port", "service port: 70000 is outside 0..65535"},
	    {"{\"port\":-1}", "port", "service port: -1 is outside 0..65535"},
	    {"{\"fwmark\":4294967296}", "fwmark",
	     "service fwmark: 4294967296 is outside "
	     "0..4294967295"},
	    {"{\"one_packet\":1}", "one_packet",
	     "service one_packet: expected true or false, "
	     "got an integer"},
	    {"{\"name\":5}", "name", NULL},
	    {"{\"name\":null}", "name", "service name: expected a string, got null"},
	    {"{\"address\":5}", "address",
	     "service address: expected a string or null, got an "
	     "integer"},
	    {"{\"address\":\"\"}", "address", "service address: write null for none"},
	    {"{\"address\":\"10.0.0.1/24\"}", "address", NULL},
	    {"{\"protocol\":\"none\"}", "protocol", NULL},
	    {"{\"scheduler\":\"foo\"}", "scheduler", NULL},
	    {"{\"scheduler_flags\":\"port\"}", "scheduler_flags", NULL},
	    {"{\"scheduler_flags\":[\"port\",7]}", "scheduler_flags", NULL},
	    {"{\"scheduler_flags\":[\"fallback,port\"]}", "scheduler_flags", NULL},
	    {"{\"persistence_timeout\":2592001}", "persistence_timeout", NULL},
	    {"{\"id\":99}", "id", "service id: is read-only (0)"},
	    {"{\"description\":\"a\\u0000b\"}", "description", NULL},
	    {"[1]", "", "service: expected an object, got an array"},
	};
	static const struct json_bad rs_bad[] = {
	    {"{\"weight\":65536}", "weight", "real server weight: 65536 is outside 0..65535"},
	    {"{\"service_id\":4}", "service_id", NULL},
	    {"{\"forwarding\":null}", "forwarding", NULL},
	    {"{\"tunnel_type\":\"vxlan\"}", "tunnel_type", NULL},
	    {"{\"upper_threshold\":true}", "upper_threshold", NULL},
	    {"{\"scheduler\":\"rr\"}", "scheduler", "real server: unknown field 'scheduler'"},
	};

	for (size_t i = 0; i < COUNT(vs_bad) + COUNT(rs_bad); i++) {
		const struct json_bad *b =
		    i < COUNT(vs_bad) ? &vs_bad[i] : &rs_bad[i - COUNT(vs_bad)];
		struct fulcrum_vs vs = web(), vs0 = vs;
		struct fulcrum_rs rs = backend(), rs0 = rs;
		struct fulcrum_err err;
		json_error_t jerr;
		json_t *j = json_loads(b->body, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		int rc;

		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		memset(&err, 0, sizeof(err));
		rc = i < COUNT(vs_bad) ? model_vs_from_json(j, &vs, &err)
				       : model_rs_from_json(j, &rs, &err);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_INVALID);
		CU_ASSERT_STRING_EQUAL(err.field, b->field);
		if (b->message)
			CU_ASSERT_STRING_EQUAL(err.message, b->message);
		if (rc != -EINVAL || strcmp(err.field, b->field) != 0)
			fprintf(stderr, "\n%s: %s\n", b->body, err.message);
		CU_ASSERT_TRUE(vs_same(&vs, &vs0)); /* unchanged on error */
		CU_ASSERT_TRUE(rs_same(&rs, &rs0));
		json_decref(j);
	}
}

UNIT_SUITE(model)
{
	CU_pSuite s = CU_add_suite("model", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "enum names round trip", test_enum_names_round_trip);
	CU_add_test(s, "enum parse refuses near misses", test_enum_parse_refuses_near_misses);
	CU_add_test(s, "scheduler flags as text", test_sched_flags_text);
	CU_add_test(s, "addresses as text", test_addr_text);
	CU_add_test(s, "defaults", test_defaults);
	CU_add_test(s, "set_field numbers are strict", test_set_field_numbers_are_strict);
	CU_add_test(s, "set_field real server numbers", test_set_field_rs_numbers);
	CU_add_test(s, "set_field text and enums", test_set_field_text_and_enums);
	CU_add_test(s, "set_field address moves family", test_set_field_address_moves_family);
	CU_add_test(s, "set_field forwarding defaults", test_set_field_forwarding_defaults);
	CU_add_test(s, "service rules: good", test_vs_rules_good);
	CU_add_test(s, "service rules: bad", test_vs_rules_bad);
	CU_add_test(s, "service rules: fwmark", test_vs_rules_fwmark);
	CU_add_test(s, "service rules: values set in code", test_vs_rules_struct_values);
	CU_add_test(s, "real server rules: address service", test_rs_rules_address_service);
	CU_add_test(s, "real server rules: fwmark, all ports", test_rs_rules_fwmark_and_all_ports);
	CU_add_test(s, "real server rules: messages", test_rs_rules_messages);
	CU_add_test(s, "JSON of a service", test_json_vs_fields);
	CU_add_test(s, "JSON of a real server", test_json_rs_fields);
	CU_add_test(s, "JSON round trip", test_json_round_trip);
	CU_add_test(s, "JSON patch applies only given fields",
		    test_json_patch_applies_only_given_fields);
	CU_add_test(s, "JSON rejects", test_json_rejects);
	return CU_get_error();
}
