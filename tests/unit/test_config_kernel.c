/* Unit tests of controller/config/config_kernel.c: the kernel's IPVS objects back into the model, reconcile's inverse. */
#include "controller/config/config_kernel.h"
#include "controller/model/model.h"
#include "controller/reconcile/ipvs_model.h"
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

static void set(struct fulcrum_vs *vs, const char *f, const char *v)
{
	CU_ASSERT_EQUAL_FATAL(model_vs_set_field(vs, f, v, NULL), 0);
}

/*
 * vs through reconcile's translation into the kernel's service, back
 * through the importer, and into the kernel's form again: the same service
 * (key, scheduler, flags, timeout, netmask), so that applying an import
 * edits nothing in the kernel.
 */
static void service_round_trip(const struct fulcrum_vs *vs)
{
	struct ipvs_service k1, k2;
	struct config_msgs notes, errors;
	struct fulcrum_vs back;

	config_msgs_init(&notes);
	config_msgs_init(&errors);
	CU_ASSERT_EQUAL_FATAL(ipvs_service_from_vs(vs, &k1), 0);
	CU_ASSERT_EQUAL(config_kernel_service(&k1, &back, &notes, &errors), 0);
	config_msgs_print(&errors, stdout);
	CU_ASSERT_EQUAL_FATAL(ipvs_service_from_vs(&back, &k2), 0);
	CU_ASSERT_TRUE(ipvs_service_key_equal(&k1, &k2));
	CU_ASSERT_FALSE(ipvs_service_needs_edit(&k1, &k2));
	CU_ASSERT_EQUAL(back.scheduler, vs->scheduler);
	CU_ASSERT_EQUAL(back.persistence_timeout, vs->persistence_timeout);
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
}

static void test_services_come_back_the_same(void)
{
	static const char *const sched[] = {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh",
					    "sh", "sed", "nq", "fo",  "ovf",  "mh"};
	struct fulcrum_vs vs;
	char name[FULCRUM_NAME_MAX + 1];

	for (size_t i = 0; i < sizeof(sched) / sizeof(sched[0]); i++) {
		vs = unit_vs("x", i % 2 ? "2001:db8::10" : "192.0.2.10");
		set(&vs, "scheduler", sched[i]);
		if (i % 3 == 0) {
			set(&vs, "persistence_timeout", "300");
			set(&vs, "persistence_netmask", i % 2 ? "64" : "24");
		}
		if (!strcmp(sched[i], "sh") || !strcmp(sched[i], "mh"))
			set(&vs, "scheduler_flags", "fallback,port");
		if (i == 4) {
			set(&vs, "protocol", "udp");
			set(&vs, "one_packet", "true");
		}
		service_round_trip(&vs);
	}
	vs = unit_vs("x", "192.0.2.10");
	set(&vs, "address", "none");
	set(&vs, "protocol", "none");
	set(&vs, "port", "0");
	set(&vs, "fwmark", "7");
	set(&vs, "family", "ipv6");
	service_round_trip(&vs);
	/* named after its key, as the other importers name theirs */
	{
		struct ipvs_service k;
		struct fulcrum_vs back;
		struct config_msgs n, e;

		config_msgs_init(&n);
		config_msgs_init(&e);
		CU_ASSERT_EQUAL(ipvs_service_from_vs(&vs, &k), 0);
		CU_ASSERT_EQUAL(config_kernel_service(&k, &back, &n, &e), 0);
		CU_ASSERT_STRING_EQUAL(back.name, "fwmark-7-v6");
		CU_ASSERT_STRING_EQUAL(config_key_name(&back, name, sizeof(name)), "fwmark-7-v6");
		config_msgs_clear(&n);
		config_msgs_clear(&e);
	}
}

static void test_real_servers_come_back_the_same(void)
{
	static const char *const shapes[][4] = {
	    /* forwarding, tunnel_type, tunnel_port, weight */
	    {"masq", "", "", "0"},       {"masq", "", "", "65535"},      {"route", "", "", "3"},
	    {"tunnel", "ipip", "", "1"}, {"tunnel", "gue", "6080", "2"}, {"tunnel", "gre", "", "9"},
	};
	struct fulcrum_vs vs = unit_vs("web", "192.0.2.10");
	struct config_msgs notes, errors;

	config_msgs_init(&notes);
	config_msgs_init(&errors);
	CU_ASSERT_EQUAL_FATAL(model_vs_set_field(&vs, "name", "web", NULL), 0);
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct fulcrum_rs rs = unit_rs("10.0.0.1"), back;
		struct ipvs_service k;
		struct ipvs_dest d1, d2;

		CU_ASSERT_EQUAL(model_rs_set_field(&rs, "forwarding", shapes[i][0], NULL), 0);
		if (shapes[i][1][0])
			CU_ASSERT_EQUAL(model_rs_set_field(&rs, "tunnel_type", shapes[i][1], NULL),
					0);
		if (shapes[i][2][0])
			CU_ASSERT_EQUAL(model_rs_set_field(&rs, "tunnel_port", shapes[i][2], NULL),
					0);
		CU_ASSERT_EQUAL(model_rs_set_field(&rs, "weight", shapes[i][3], NULL), 0);
		if (i == 1) {
			CU_ASSERT_EQUAL(model_rs_set_field(&rs, "upper_threshold", "100", NULL), 0);
			CU_ASSERT_EQUAL(model_rs_set_field(&rs, "lower_threshold", "50", NULL), 0);
		}
		CU_ASSERT_EQUAL_FATAL(ipvs_service_from_vs(&vs, &k), 0);
		CU_ASSERT_EQUAL_FATAL(ipvs_dest_from_rs(&rs, &vs, &d1), 0);
		CU_ASSERT_EQUAL(config_kernel_dest(&k, &vs, &d1, &back, &notes, &errors), 0);
		config_msgs_print(&errors, stdout);
		CU_ASSERT_EQUAL_FATAL(ipvs_dest_from_rs(&back, &vs, &d2), 0);
		CU_ASSERT_TRUE(ipvs_dest_key_equal(&d1, &d2));
		CU_ASSERT_FALSE(ipvs_dest_needs_edit(&d1, &d2));
	}
	CU_ASSERT_EQUAL(errors.n, 0);
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
}

static void test_what_does_not_map_is_said(void)
{
	struct ipvs_service k = {.af = AF_INET, .protocol = 47, .port = 80};
	struct ipvs_dest d = {.af = AF_INET, .port = 80, .fwd = IPVS_FWD_LOCAL, .weight = 1};
	struct config_msgs notes, errors;
	struct fulcrum_vs vs = unit_vs("web", "192.0.2.10"), back;
	struct fulcrum_rs rs;

	config_msgs_init(&notes);
	config_msgs_init(&errors);
	strcpy(k.sched_name, "wlc");
	k.addr.v4.s_addr = htonl(0xc000020a);
	CU_ASSERT_EQUAL(config_kernel_service(&k, &back, &notes, &errors), -EINVAL);
	CU_ASSERT_TRUE(errors.n == 1 &&
		       strstr(errors.text[0], "protocol 47 is not TCP, UDP or SCTP"));
	k.protocol = IPPROTO_TCP;
	k.flags = 0;
	k.netmask = 0xff00ff00u;
	CU_ASSERT_EQUAL(config_kernel_service(&k, &back, &notes, &errors), -EINVAL);
	CU_ASSERT_TRUE(errors.n == 2 && strstr(errors.text[1], "netmask ff00ff00 is not a prefix"));
	d.addr.v4.s_addr = htonl(0x0a000001);
	CU_ASSERT_EQUAL(config_kernel_dest(&k, &vs, &d, &rs, &notes, &errors), -EINVAL);
	CU_ASSERT_TRUE(errors.n == 3 && strstr(errors.text[2], "local forwarding"));
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
}

UNIT_SUITE(config_kernel)
{
	CU_pSuite s = CU_add_suite("config_kernel", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "every scheduler, persistence, flags, fwmark: back as the kernel held them",
		    test_services_come_back_the_same);
	CU_add_test(s, "every forwarding method, weights, thresholds: back as the kernel held them",
		    test_real_servers_come_back_the_same);
	CU_add_test(s, "what has no Fulcrum form is an error naming the object",
		    test_what_does_not_map_is_said);
	return CU_get_error();
}
