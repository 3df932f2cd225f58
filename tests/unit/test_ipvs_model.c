/* Unit tests of controller/reconcile/ipvs_model.c (model to kernel, comparisons) and ipvs_text.c (words). */
#include "controller/ipvs/ipvs.h"
#include "controller/model/model.h"
#include "controller/reconcile/ipvs_model.h"
#include "tests/unit/unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A service from "field=value" pairs on top of model_vs_init(); name "s". */
static struct fulcrum_vs vs_of(const char *const *fields)
{
	struct fulcrum_vs vs;
	struct fulcrum_err err;
	char f[64];

	model_vs_init(&vs);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "name", "s", NULL), 0);
	for (; *fields; fields++) {
		const char *eq = strchr(*fields, '=');

		snprintf(f, sizeof(f), "%.*s", (int)(eq - *fields), *fields);
		if (model_vs_set_field(&vs, f, eq + 1, &err) != 0)
			CU_FAIL_FATAL(err.message);
	}
	return vs;
}

/* A real server from "field=value" pairs on top of model_rs_init(). */
static struct fulcrum_rs rs_of(const char *const *fields)
{
	struct fulcrum_rs rs;
	struct fulcrum_err err;
	char f[64];

	model_rs_init(&rs);
	for (; *fields; fields++) {
		const char *eq = strchr(*fields, '=');

		snprintf(f, sizeof(f), "%.*s", (int)(eq - *fields), *fields);
		if (model_rs_set_field(&rs, f, eq + 1, &err) != 0)
			CU_FAIL_FATAL(err.message);
	}
	return rs;
}

#define VS(...) vs_of((const char *const[]){__VA_ARGS__, NULL})
#define RS(...) rs_of((const char *const[]){__VA_ARGS__, NULL})

static struct fulcrum_vs web(void)
{
	return VS("address=10.0.2.100", "port=80", "protocol=tcp");
}

static void test_service_address_v4(void)
{
	struct fulcrum_vs vs = web();
	struct ipvs_service s;
	struct in_addr a;

	CU_ASSERT_EQUAL_FATAL(model_vs_validate(&vs, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ipvs_service_from_vs(&vs, &s), 0);
	inet_pton(AF_INET, "10.0.2.100", &a);
	CU_ASSERT_EQUAL(s.af, AF_INET);
	CU_ASSERT_EQUAL(s.protocol, IPPROTO_TCP);
	CU_ASSERT_EQUAL(s.addr.v4.s_addr, a.s_addr);
	CU_ASSERT_EQUAL(s.port, 80);
	CU_ASSERT_EQUAL(s.fwmark, 0);
	CU_ASSERT_STRING_EQUAL(s.sched_name, "wlc");
	CU_ASSERT_EQUAL(s.flags, 0);
	CU_ASSERT_EQUAL(s.timeout, 0);
	CU_ASSERT_EQUAL(s.netmask, 0xffffffffu); /* the default /32, as a mask */
	CU_ASSERT_EQUAL(s.stats.conns, 0);
}

static void test_service_protocols(void)
{
	struct fulcrum_vs vs = VS("address=10.0.2.100", "port=53", "protocol=udp");
	struct ipvs_service s;

	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_EQUAL(s.protocol, IPPROTO_UDP);
	vs = VS("address=10.0.2.100", "port=9", "protocol=sctp");
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_EQUAL(s.protocol, IPPROTO_SCTP);
}

static void test_service_persistence_netmask(void)
{
	struct fulcrum_vs vs = VS("address=10.0.2.100", "port=80", "protocol=tcp",
				  "persistence_timeout=300", "persistence_netmask=24");
	struct ipvs_service s;

	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_EQUAL(s.flags, IPVS_SVC_F_PERSISTENT);
	CU_ASSERT_EQUAL(s.timeout, 300);
	CU_ASSERT_EQUAL(s.netmask, 0xffffff00u);
	vs.persistence_netmask = 0;
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_EQUAL(s.netmask, 0);
	vs.persistence_netmask = 1;
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_EQUAL(s.netmask, 0x80000000u);
	vs.persistence_netmask = 31;
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_EQUAL(s.netmask, 0xfffffffeu);
}

static void test_service_v6_netmask_is_a_prefix(void)
{
	struct fulcrum_vs vs = VS("address=fd00:2::100", "port=80", "protocol=tcp",
				  "persistence_timeout=60", "persistence_netmask=64");
	struct ipvs_service s;
	struct in6_addr a;

	CU_ASSERT_EQUAL_FATAL(model_vs_validate(&vs, NULL), 0);
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	inet_pton(AF_INET6, "fd00:2::100", &a);
	CU_ASSERT_EQUAL(s.af, AF_INET6);
	CU_ASSERT_EQUAL(memcmp(&s.addr.v6, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(s.netmask, 64);
	/* The default for a v6 service is the whole address. */
	vs = VS("address=fd00:2::100", "port=80", "protocol=tcp");
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_EQUAL(s.netmask, 128);
	/* The kernel refuses 0 even unused: without persistence it becomes 128 ... */
	vs.persistence_netmask = 0;
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_EQUAL(s.netmask, 128);
	/* ... with persistence it is passed on, for the kernel to refuse in words. */
	vs.persistence_timeout = 10;
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_EQUAL(s.netmask, 0);
}

static void test_service_fwmark(void)
{
	struct fulcrum_vs vs = VS("fwmark=7", "scheduler=lc");
	struct ipvs_service s;
	static const union ipvs_addr zero;

	CU_ASSERT_EQUAL_FATAL(model_vs_validate(&vs, NULL), 0);
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_EQUAL(s.af, AF_INET);
	CU_ASSERT_EQUAL(s.fwmark, 7);
	CU_ASSERT_EQUAL(s.protocol, 0);
	CU_ASSERT_EQUAL(s.port, 0);
	CU_ASSERT_EQUAL(memcmp(&s.addr, &zero, sizeof(zero)), 0);
	CU_ASSERT_STRING_EQUAL(s.sched_name, "lc");
	vs = VS("fwmark=8", "family=ipv6");
	CU_ASSERT_EQUAL_FATAL(model_vs_validate(&vs, NULL), 0);
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_EQUAL(s.af, AF_INET6);
	CU_ASSERT_EQUAL(s.fwmark, 8);
	CU_ASSERT_EQUAL(s.netmask, 128);
}

static void test_service_every_scheduler(void)
{
	struct fulcrum_vs vs = web();
	struct ipvs_service s;

	for (int i = 0; i < FULCRUM_SCHED_COUNT; i++) {
		vs.scheduler = (enum fulcrum_scheduler)i;
		CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
		CU_ASSERT_STRING_EQUAL(s.sched_name, model_scheduler_name(vs.scheduler));
	}
	vs.scheduler = FULCRUM_SCHED_TWOS;
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_STRING_EQUAL(s.sched_name, "twos");
	vs.scheduler = FULCRUM_SCHED_COUNT;
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), -EINVAL);
}

static void test_service_flags(void)
{
	struct fulcrum_vs vs = VS("address=10.0.2.100", "port=53", "protocol=udp", "scheduler=sh",
				  "scheduler_flags=fallback,port", "one_packet=true");
	struct ipvs_service s;

	CU_ASSERT_EQUAL_FATAL(model_vs_validate(&vs, NULL), 0);
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_EQUAL(s.flags, IPVS_SVC_F_SCHED1 | IPVS_SVC_F_SCHED2 | IPVS_SVC_F_ONEPACKET);
	vs.scheduler = FULCRUM_SCHED_MH;
	vs.scheduler_flags = FULCRUM_SCHED_F_PORT;
	vs.one_packet = false;
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), 0);
	CU_ASSERT_STRING_EQUAL(s.sched_name, "mh");
	CU_ASSERT_EQUAL(s.flags, IPVS_SVC_F_SCHED2);
}

static void test_service_refuses_what_has_no_kernel_form(void)
{
	struct fulcrum_vs vs = web();
	struct ipvs_service s;

	vs.protocol = (enum fulcrum_protocol)42;
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), -EINVAL);
	vs = web();
	vs.protocol = FULCRUM_PROTO_NONE; /* an address service needs one */
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), -EINVAL);
	vs = web();
	vs.family = AF_INET6; /* the address is IPv4 */
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), -EINVAL);
	vs = web();
	vs.family = AF_UNSPEC;
	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &s), -EINVAL);
}

static void test_dest_masq(void)
{
	struct fulcrum_vs vs = web();
	struct fulcrum_rs rs = RS("address=10.0.1.11", "port=8080", "weight=3");
	struct ipvs_dest d;
	struct in_addr a;

	CU_ASSERT_EQUAL_FATAL(model_rs_validate(&rs, &vs, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ipvs_dest_from_rs(&rs, &vs, &d), 0);
	inet_pton(AF_INET, "10.0.1.11", &a);
	CU_ASSERT_EQUAL(d.af, AF_INET);
	CU_ASSERT_EQUAL(d.addr.v4.s_addr, a.s_addr);
	CU_ASSERT_EQUAL(d.port, 8080);
	CU_ASSERT_EQUAL(d.fwd, IPVS_FWD_MASQ);
	CU_ASSERT_EQUAL(d.weight, 3);
	CU_ASSERT_EQUAL(d.u_threshold, 0);
	CU_ASSERT_EQUAL(d.l_threshold, 0);
	CU_ASSERT_EQUAL(d.tun_type, IPVS_TUN_IPIP);
	CU_ASSERT_EQUAL(d.tun_port, 0);
	CU_ASSERT_EQUAL(d.tun_flags, 0);
}

static void test_dest_route_takes_the_service_port(void)
{
	struct fulcrum_vs vs = web();
	struct fulcrum_rs rs = RS("address=10.0.1.12", "forwarding=route");
	struct fulcrum_vs fwm = VS("fwmark=7");
	struct ipvs_dest d;

	CU_ASSERT_EQUAL_FATAL(model_rs_validate(&rs, &vs, NULL), 0);
	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &d), 0);
	CU_ASSERT_EQUAL(d.fwd, IPVS_FWD_ROUTE);
	CU_ASSERT_EQUAL(d.port, 80);
	/* A firewall-mark service has no port: the kernel keeps 0. */
	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &fwm, &d), 0);
	CU_ASSERT_EQUAL(d.port, 0);
	/* masq keeps its own, 0 included. */
	rs = RS("address=10.0.1.12");
	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &fwm, &d), 0);
	CU_ASSERT_EQUAL(d.port, 0);
}

static void test_dest_tunnels(void)
{
	struct fulcrum_vs vs = web();
	struct fulcrum_rs rs = RS("address=10.0.1.13", "forwarding=tunnel");
	struct ipvs_dest d;

	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &d), 0);
	CU_ASSERT_EQUAL(d.fwd, IPVS_FWD_TUNNEL);
	CU_ASSERT_EQUAL(d.tun_type, IPVS_TUN_IPIP);
	CU_ASSERT_EQUAL(d.port, 80);
	rs = RS("address=10.0.1.14", "forwarding=tunnel", "tunnel_type=gue", "tunnel_port=6080");
	CU_ASSERT_EQUAL_FATAL(model_rs_validate(&rs, &vs, NULL), 0);
	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &d), 0);
	CU_ASSERT_EQUAL(d.tun_type, IPVS_TUN_GUE);
	CU_ASSERT_EQUAL(d.tun_port, 6080);
	CU_ASSERT_EQUAL(d.tun_flags, 0);
	rs = RS("address=10.0.1.15", "forwarding=tunnel", "tunnel_type=gre");
	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &d), 0);
	CU_ASSERT_EQUAL(d.tun_type, IPVS_TUN_GRE);
	CU_ASSERT_EQUAL(d.tun_port, 0);
	rs.tunnel_type = (enum fulcrum_tunnel)9;
	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &d), -EINVAL);
}

static void test_dest_admin_states(void)
{
	struct fulcrum_vs vs = web();
	struct fulcrum_rs rs =
	    RS("address=10.0.1.11", "port=80", "weight=5", "admin_state=drained");
	struct ipvs_dest d;

	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &d), 0);
	CU_ASSERT_EQUAL(d.weight, 0);
	rs.admin_state = FULCRUM_RS_ENABLED;
	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &d), 0);
	CU_ASSERT_EQUAL(d.weight, 5);
	rs.admin_state = FULCRUM_RS_DISABLED; /* reconcile leaves these out */
	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &d), -EINVAL);
}

static void test_dest_thresholds(void)
{
	struct fulcrum_vs vs = web();
	struct fulcrum_rs rs =
	    RS("address=10.0.1.11", "port=80", "upper_threshold=100", "lower_threshold=10");
	struct ipvs_dest d;

	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &d), 0);
	CU_ASSERT_EQUAL(d.u_threshold, 100);
	CU_ASSERT_EQUAL(d.l_threshold, 10);
	/* The model takes a lower threshold alone; the kernel would answer ERANGE. */
	rs = RS("address=10.0.1.11", "port=80", "lower_threshold=5");
	CU_ASSERT_EQUAL_FATAL(model_rs_validate(&rs, &vs, NULL), 0);
	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &d), 0);
	CU_ASSERT_EQUAL(d.u_threshold, 0);
	CU_ASSERT_EQUAL(d.l_threshold, 0);
}

static void test_dest_v6(void)
{
	struct fulcrum_vs vs = VS("address=fd00:2::100", "port=80", "protocol=tcp");
	struct fulcrum_rs rs = RS("address=fd00:1::11", "port=80");
	struct ipvs_dest d;
	struct in6_addr a;

	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &d), 0);
	inet_pton(AF_INET6, "fd00:1::11", &a);
	CU_ASSERT_EQUAL(d.af, AF_INET6);
	CU_ASSERT_EQUAL(memcmp(&d.addr.v6, &a, sizeof(a)), 0);
}

static void test_service_key_equal(void)
{
	struct fulcrum_vs vs = web();
	struct ipvs_service a, b;

	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &a), 0);
	b = a;
	CU_ASSERT_TRUE(ipvs_service_key_equal(&a, &b));
	b.stats.conns = 9;
	strcpy(b.sched_name, "rr");
	b.timeout = 5;
	CU_ASSERT_TRUE(ipvs_service_key_equal(&a, &b)); /* settings are no key */
	/* Bytes past an IPv4 address are no part of it. */
	memset((char *)&b.addr + 4, 0xab, sizeof(b.addr) - 4);
	CU_ASSERT_TRUE(ipvs_service_key_equal(&a, &b));
	b = a;
	b.port = 81;
	CU_ASSERT_FALSE(ipvs_service_key_equal(&a, &b));
	b = a;
	b.protocol = IPPROTO_UDP;
	CU_ASSERT_FALSE(ipvs_service_key_equal(&a, &b));
	b = a;
	b.addr.v4.s_addr ^= htonl(1);
	CU_ASSERT_FALSE(ipvs_service_key_equal(&a, &b));
	b = a;
	b.af = AF_INET6;
	CU_ASSERT_FALSE(ipvs_service_key_equal(&a, &b));
	/* Firewall marks: mark and family, nothing else. */
	memset(&a, 0, sizeof(a));
	a.af = AF_INET;
	a.fwmark = 7;
	b = a;
	b.port = 99;
	CU_ASSERT_TRUE(ipvs_service_key_equal(&a, &b));
	b.af = AF_INET6;
	CU_ASSERT_FALSE(ipvs_service_key_equal(&a, &b));
	b = a;
	b.fwmark = 8;
	CU_ASSERT_FALSE(ipvs_service_key_equal(&a, &b));
}

static void test_dest_key_equal(void)
{
	struct fulcrum_vs vs = web();
	struct fulcrum_rs rs = RS("address=10.0.1.11", "port=80");
	struct ipvs_dest a, b;

	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &a), 0);
	b = a;
	b.weight = 50;
	b.active_conns = 3;
	CU_ASSERT_TRUE(ipvs_dest_key_equal(&a, &b));
	b.port = 8080;
	CU_ASSERT_FALSE(ipvs_dest_key_equal(&a, &b));
	b = a;
	b.addr.v4.s_addr ^= htonl(1);
	CU_ASSERT_FALSE(ipvs_dest_key_equal(&a, &b));
}

static void test_service_needs_edit(void)
{
	struct fulcrum_vs vs = VS("address=10.0.2.100", "port=80", "protocol=tcp", "scheduler=sh",
				  "scheduler_flags=fallback", "persistence_timeout=60");
	struct ipvs_service want, have;

	CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &want), 0);
	have = want;
	have.stats.conns = 1000; /* counters never call for an edit */
	have.flags |= 0x0002;    /* nor the kernel's own "hashed" flag */
	CU_ASSERT_FALSE(ipvs_service_needs_edit(&have, &want));
	have = want;
	strcpy(have.sched_name, "rr");
	CU_ASSERT_TRUE(ipvs_service_needs_edit(&have, &want));
	have = want;
	have.flags &= ~IPVS_SVC_F_SCHED1;
	CU_ASSERT_TRUE(ipvs_service_needs_edit(&have, &want));
	have = want;
	have.timeout = 61;
	CU_ASSERT_TRUE(ipvs_service_needs_edit(&have, &want));
	have = want;
	have.netmask = 0xffffff00u;
	CU_ASSERT_TRUE(ipvs_service_needs_edit(&have, &want));
}

static void test_dest_needs_edit(void)
{
	struct fulcrum_vs vs = web();
	struct fulcrum_rs rs = RS("address=10.0.1.11", "port=80", "weight=2");
	struct ipvs_dest want, have;

	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &want), 0);
	have = want;
	have.active_conns = 7;
	have.stats.inbytes = 123456789012ull;
	CU_ASSERT_FALSE(ipvs_dest_needs_edit(&have, &want));
	have.tun_port = 6080; /* means nothing to masq */
	CU_ASSERT_FALSE(ipvs_dest_needs_edit(&have, &want));
	have = want;
	have.weight = 0;
	CU_ASSERT_TRUE(ipvs_dest_needs_edit(&have, &want));
	have = want;
	have.fwd = IPVS_FWD_ROUTE;
	CU_ASSERT_TRUE(ipvs_dest_needs_edit(&have, &want));
	have = want;
	have.u_threshold = 10;
	CU_ASSERT_TRUE(ipvs_dest_needs_edit(&have, &want));
	have = want;
	have.l_threshold = 1;
	CU_ASSERT_TRUE(ipvs_dest_needs_edit(&have, &want));

	rs = RS("address=10.0.1.14", "forwarding=tunnel", "tunnel_type=gue", "tunnel_port=6080");
	CU_ASSERT_EQUAL(ipvs_dest_from_rs(&rs, &vs, &want), 0);
	have = want;
	CU_ASSERT_FALSE(ipvs_dest_needs_edit(&have, &want));
	have.tun_port = 6081;
	CU_ASSERT_TRUE(ipvs_dest_needs_edit(&have, &want));
	have = want;
	have.tun_type = IPVS_TUN_GRE;
	CU_ASSERT_TRUE(ipvs_dest_needs_edit(&have, &want));
	have = want;
	have.tun_flags = IPVS_TUN_F_CSUM;
	CU_ASSERT_TRUE(ipvs_dest_needs_edit(&have, &want));
}

/* ipvs_strerror(op, err, detail) into a static buffer, for short asserts. */
static const char *say(enum ipvs_op op, int err, const char *detail)
{
	static char buf[256];

	return ipvs_strerror(op, err, detail, buf, sizeof(buf));
}

static void test_strerror_words(void)
{
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_SERVICE_ADD, -ENOENT, "mh"),
			       "scheduler 'mh' is not available in this kernel");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_SERVICE_EDIT, -ENOENT, "twos"),
			       "scheduler 'twos' is not available in this kernel "
			       "(twos is newer than Linux 6.1)");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_SERVICE_ADD, -EEXIST, NULL), "service already exists");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_SERVICE_DEL, -ESRCH, NULL), "no such service");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_SERVICE_EDIT, -ESRCH, NULL), "no such service");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_DEST_ADD, -ESRCH, NULL), "no such service");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_ZERO, -ESRCH, NULL), "no such service");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_DEST_ADD, -EEXIST, NULL),
			       "real server already exists in this service");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_DEST_DEL, -ENOENT, NULL),
			       "no such real server in this service");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_DEST_EDIT, -ENOENT, NULL),
			       "no such real server in this service");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_DEST_ADD, -EPFNOSUPPORT, NULL),
			       "real server address family differs from the service's (only "
			       "tunnel forwarding may mix IPv4 and IPv6)");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_DEST_EDIT, -EDESTADDRREQ, NULL),
			       "tunnel type gue needs a port");
	CU_ASSERT_NSTRING_EQUAL(say(IPVS_OP_DEST_ADD, -ERANGE, NULL),
				"lower threshold is above the upper threshold", 44);
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_SYNC_STOP, -ESRCH, "backup"),
			       "no backup sync daemon is running");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_SYNC_START, -ENODEV, "eth9"),
			       "no such interface 'eth9'");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_SERVICE_LIST, -EOPNOTSUPP, NULL),
			       "the kernel has no IPVS (load the ip_vs module)");
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_FLUSH, 0, NULL), "success");
	/* Positive and negative errno read the same. */
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_SERVICE_ADD, EEXIST, NULL), "service already exists");
	/* Unknown cases still say what was tried and the system's words. */
	CU_ASSERT_STRING_EQUAL(say(IPVS_OP_TIMEOUT_GET, -EBADF, NULL),
			       "read timeouts failed: Bad file descriptor");
	CU_ASSERT_STRING_EQUAL(ipvs_op_name((enum ipvs_op)99), "?");
}

static void test_strerror_truncates(void)
{
	char buf[8];

	CU_ASSERT_STRING_EQUAL(ipvs_strerror(IPVS_OP_SERVICE_ADD, -EEXIST, NULL, buf, sizeof(buf)),
			       "service");
	CU_ASSERT_STRING_EQUAL(ipvs_strerror(IPVS_OP_SERVICE_ADD, -ENOENT, "mh", buf, sizeof(buf)),
			       "schedul");
}

static void test_format(void)
{
	struct ipvs_service s = {.af = AF_INET, .protocol = IPPROTO_TCP, .port = 80};
	struct ipvs_dest d = {.af = AF_INET6, .port = 8080};
	char buf[IPVS_SERVICE_STRLEN];

	inet_pton(AF_INET, "10.0.2.100", &s.addr.v4);
	CU_ASSERT_STRING_EQUAL(ipvs_service_format(&s, buf, sizeof(buf)), "TCP 10.0.2.100:80");
	s.af = AF_INET6;
	s.protocol = IPPROTO_SCTP;
	inet_pton(AF_INET6, "fd00:2::100", &s.addr.v6);
	CU_ASSERT_STRING_EQUAL(ipvs_service_format(&s, buf, sizeof(buf)), "SCTP [fd00:2::100]:80");
	s.fwmark = 8;
	CU_ASSERT_STRING_EQUAL(ipvs_service_format(&s, buf, sizeof(buf)), "FWM 8 IPv6");
	s.af = AF_INET;
	CU_ASSERT_STRING_EQUAL(ipvs_service_format(&s, buf, sizeof(buf)), "FWM 8");
	inet_pton(AF_INET6, "fd00:1::11", &d.addr.v6);
	CU_ASSERT_STRING_EQUAL(ipvs_dest_format(&d, buf, sizeof(buf)), "[fd00:1::11]:8080");
}

UNIT_SUITE(ipvs_model)
{
	CU_pSuite s = CU_add_suite("ipvs_model", NULL, NULL);
	CU_pSuite t;

	if (!s)
		return CU_get_error();
	CU_add_test(s, "service: IPv4 address", test_service_address_v4);
	CU_add_test(s, "service: protocols", test_service_protocols);
	CU_add_test(s, "service: persistence netmask as a mask", test_service_persistence_netmask);
	CU_add_test(s, "service: IPv6 netmask as a prefix", test_service_v6_netmask_is_a_prefix);
	CU_add_test(s, "service: firewall marks", test_service_fwmark);
	CU_add_test(s, "service: every scheduler", test_service_every_scheduler);
	CU_add_test(s, "service: flags", test_service_flags);
	CU_add_test(s, "service: no kernel form", test_service_refuses_what_has_no_kernel_form);
	CU_add_test(s, "dest: masq", test_dest_masq);
	CU_add_test(s, "dest: route takes the service port",
		    test_dest_route_takes_the_service_port);
	CU_add_test(s, "dest: tunnels", test_dest_tunnels);
	CU_add_test(s, "dest: drained and disabled", test_dest_admin_states);
	CU_add_test(s, "dest: thresholds", test_dest_thresholds);
	CU_add_test(s, "dest: IPv6", test_dest_v6);
	CU_add_test(s, "service key equal", test_service_key_equal);
	CU_add_test(s, "dest key equal", test_dest_key_equal);
	CU_add_test(s, "service needs edit", test_service_needs_edit);
	CU_add_test(s, "dest needs edit", test_dest_needs_edit);
	/* ipvs_text.c is pure logic too; its words are tested here, beside their use. */
	t = CU_add_suite("ipvs_text", NULL, NULL);
	if (!t)
		return CU_get_error();
	CU_add_test(t, "errors in words", test_strerror_words);
	CU_add_test(t, "errors truncate", test_strerror_truncates);
	CU_add_test(t, "services and real servers as text", test_format);
	return CU_get_error();
}
