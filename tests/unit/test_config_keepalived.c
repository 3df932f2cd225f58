/* Unit tests of controller/config/config_keepalived*.c: keepalived.conf made into a document. */
#include "controller/config/config_io.h"
#include "controller/config/config_keepalived.h"
#include "controller/model/model.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define SAMPLES "/usr/share/doc/keepalived/samples/"

static struct config_doc doc;
static struct config_msgs notes, errors;

/* Imports text as "k.conf" into the file's doc, notes and errors (emptied first). */
static int import(const char *text, size_t len, bool lenient)
{
	config_doc_clear(&doc);
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
	return config_keepalived_read(text, len, "k.conf", lenient, &doc, &notes, &errors);
}

static int import_str(const char *text)
{
	return import(text, strlen(text), false);
}

/* True when one message of m has every one of the (up to two) substrings. */
static bool has(const struct config_msgs *m, const char *a, const char *b)
{
	for (size_t i = 0; i < m->n; i++)
		if (strstr(m->text[i], a) && (!b || strstr(m->text[i], b)))
			return true;
	return false;
}

static const struct config_service *svc(const char *name)
{
	for (size_t i = 0; i < doc.nservices; i++)
		if (strcmp(doc.services[i].vs.name, name) == 0)
			return &doc.services[i];
	return NULL;
}

static const char *addr(const struct fulcrum_addr *a)
{
	static char buf[MODEL_ADDR_STRLEN];

	return model_addr_format(a, buf, sizeof(buf));
}

/* What was imported, written as Fulcrum's XML and read back: the same services, reals, VIPs. */
static void round_trip(void)
{
	struct config_doc back;
	struct config_msgs errs;
	char *xml = NULL;
	size_t len = 0;

	config_doc_init(&back);
	config_msgs_init(&errs);
	CU_ASSERT_EQUAL_FATAL(config_doc_write(&doc, CONFIG_XML, &xml, &len), 0);
	CU_ASSERT_EQUAL(config_read(CONFIG_XML, xml, len, &back, NULL, NULL, &errs), 0);
	config_msgs_print(&errs, stdout);
	CU_ASSERT_EQUAL(back.nservices, doc.nservices);
	CU_ASSERT_EQUAL(back.nvips, doc.nvips);
	for (size_t i = 0; i < back.nservices && i < doc.nservices; i++) {
		CU_ASSERT_STRING_EQUAL(back.services[i].vs.name, doc.services[i].vs.name);
		CU_ASSERT_EQUAL(back.services[i].nreals, doc.services[i].nreals);
		CU_ASSERT_TRUE(
		    unit_check_same(&back.services[i].vs.check, &doc.services[i].vs.check));
	}
	free(xml);
	config_doc_clear(&back);
	config_msgs_clear(&errs);
}

static const char rich[] = "virtual_server 192.0.2.10 53 {\n"           /* 1 */
			   "  delay_loop 10\n"                          /* 2 */
			   "  lb_algo sh\n"                             /* 3 */
			   "  sh-port\n"                                /* 4 */
			   "  lb_kind DR\n"                             /* 5 */
			   "  persistence_timeout 300\n"                /* 6 */
			   "  persistence_granularity 255.255.255.0\n"  /* 7 */
			   "  protocol UDP\n"                           /* 8 */
			   "  ops\n"                                    /* 9 */
			   "  quorum 2\n"                               /* 10 */
			   "  inhibit_on_failure\n"                     /* 11 */
			   "  sorry_server 192.0.2.99 53\n"             /* 12 */
			   "  real_server 192.0.2.21 53 {\n"            /* 13 */
			   "    weight 3\n"                             /* 14 */
			   "    uthreshold 100\n"                       /* 15 */
			   "    HTTP_GET {\n"                           /* 16 */
			   "      url { path /health\n"                 /* 17 */
			   "        status_code 200 204\n"              /* 18 */
			   "        digest abc }\n"                     /* 19 */
			   "      connect_port 8080\n"                  /* 20 */
			   "      connect_timeout 4\n"                  /* 21 */
			   "      retry 2\n"                            /* 22 */
			   "      virtualhost www.example.org\n"        /* 23 */
			   "    }\n"                                    /* 24 */
			   "  }\n"                                      /* 25 */
			   "  real_server 192.0.2.22 53 {\n"            /* 26 */
			   "    weight 0\n"                             /* 27 */
			   "    lvs_method TUN type gue port 6080\n"    /* 28 */
			   "    inhibit_on_failure no\n"                /* 29 */
			   "    HTTP_GET { url { path /other }\n"       /* 30 */
			   "      delay_loop 20 }\n"                    /* 31 */
			   "  }\n"                                      /* 32 */
			   "  real_server 192.0.2.23 53 { weight 1 }\n" /* 33 */
			   "}\n";

/* Every directive of rich that maps, checked on the fields it sets. */
static void test_maps(void)
{
	const struct config_service *s;
	const struct fulcrum_rs *r;

	CU_ASSERT_EQUAL(import_str(rich), 0);
	config_msgs_print(&errors, stdout);
	CU_ASSERT_EQUAL_FATAL(doc.nservices, 1);
	s = svc("udp-192.0.2.10-53");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->line, 1);
	CU_ASSERT_STRING_EQUAL(addr(&s->vs.addr), "192.0.2.10");
	CU_ASSERT_EQUAL(s->vs.port, 53);
	CU_ASSERT_EQUAL(s->vs.protocol, FULCRUM_PROTO_UDP);
	CU_ASSERT_EQUAL(s->vs.scheduler, FULCRUM_SCHED_SH);
	CU_ASSERT_EQUAL(s->vs.scheduler_flags, FULCRUM_SCHED_F_PORT);
	CU_ASSERT_EQUAL(s->vs.persistence_timeout, 300);
	CU_ASSERT_EQUAL(s->vs.persistence_netmask, 24);
	CU_ASSERT_TRUE(s->vs.one_packet);
	CU_ASSERT_EQUAL(s->vs.min_up, 2);
	CU_ASSERT_TRUE(has(&notes, "k.conf:10: 'quorum 2'", "degraded"));
	CU_ASSERT_STRING_EQUAL(addr(&s->vs.fallback.addr), "192.0.2.99");
	CU_ASSERT_EQUAL(s->vs.fallback.port, 53);
	CU_ASSERT_EQUAL(s->vs.fallback.forwarding, FULCRUM_FWD_ROUTE);
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_HTTP);
	CU_ASSERT_STRING_EQUAL(s->vs.check.path, "/health");
	CU_ASSERT_STRING_EQUAL(s->vs.check.expect_status, "200,204");
	CU_ASSERT_STRING_EQUAL(s->vs.check.host, "www.example.org");
	CU_ASSERT_EQUAL(s->vs.check.interval, 10);
	CU_ASSERT_EQUAL(s->vs.check.timeout, 4);
	CU_ASSERT_EQUAL(s->vs.check.fall, 3); /* retry 2: the third failure takes it down */
	CU_ASSERT_EQUAL(s->vs.check.rise, 1);
	CU_ASSERT_EQUAL(s->vs.check.check_port, 8080);
	CU_ASSERT_EQUAL(s->vs.check.on_failure, FULCRUM_ON_FAILURE_QUIESCE);
	CU_ASSERT_TRUE(has(&notes, "k.conf:19: 'digest abc'", "MD5"));
	CU_ASSERT_EQUAL_FATAL(s->nreals, 3);
	r = &s->reals[0];
	CU_ASSERT_STRING_EQUAL(addr(&r->addr), "192.0.2.21");
	CU_ASSERT_EQUAL(r->port, 53);
	CU_ASSERT_EQUAL(r->weight, 3);
	CU_ASSERT_EQUAL(r->upper_threshold, 100);
	CU_ASSERT_EQUAL(r->forwarding, FULCRUM_FWD_ROUTE);
	CU_ASSERT_EQUAL(r->check.set, 0);
	r = &s->reals[1];
	CU_ASSERT_EQUAL(s->real_lines[1], 26);
	CU_ASSERT_EQUAL(r->weight, 0);
	CU_ASSERT_EQUAL(r->forwarding, FULCRUM_FWD_TUNNEL);
	CU_ASSERT_EQUAL(r->tunnel_type, FULCRUM_TUN_GUE);
	CU_ASSERT_EQUAL(r->tunnel_port, 6080);
	CU_ASSERT_EQUAL(r->check.set, FULCRUM_CHECK_F_INTERVAL | FULCRUM_CHECK_F_TIMEOUT |
					  FULCRUM_CHECK_F_FALL | FULCRUM_CHECK_F_CHECK_PORT |
					  FULCRUM_CHECK_F_ON_FAILURE);
	CU_ASSERT_EQUAL(r->check.interval, 20);
	CU_ASSERT_EQUAL(r->check.on_failure, FULCRUM_ON_FAILURE_REMOVE);
	CU_ASSERT_TRUE(
	    has(&notes, "k.conf:30: checker differs from the service's (line 16)", NULL));
	r = &s->reals[2];
	CU_ASSERT_EQUAL(s->real_lines[2], 33);
	CU_ASSERT_EQUAL(r->weight, 1);
	/* no checker: always up, as in keepalived */
	CU_ASSERT_EQUAL(r->check.set, FULCRUM_CHECK_F_TYPE);
	CU_ASSERT_EQUAL(r->check.type, FULCRUM_CHECK_NONE);
	round_trip();
}

/* A real server whose check differs: where and how often become its override; what it asks, a note. */
static void test_per_server_check(void)
{
	const char *text = "virtual_server 192.0.2.10 80 {\n"
			   "  delay_loop 10\n"
			   "  real_server 192.0.2.21 80 { TCP_CHECK { connect_timeout 2 } }\n"
			   "  real_server 192.0.2.22 80 {\n"
			   "    lb_kind TUN type gue port 6080\n"
			   "    inhibit_on_failure\n"
			   "    HTTP_GET {\n"
			   "      url { path /other }\n"
			   "      delay_loop 20\n"
			   "      connect_timeout 4\n"
			   "      retry 5\n"
			   "      connect_port 81\n"
			   "    }\n"
			   "  }\n"
			   "}\n";
	const struct fulcrum_rs *r;
	const struct config_service *s;

	CU_ASSERT_EQUAL(import_str(text), 0);
	config_msgs_print(&errors, stdout);
	s = svc("tcp-192.0.2.10-80");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_TCP);
	CU_ASSERT_EQUAL(s->vs.check.on_failure,
			FULCRUM_ON_FAILURE_REMOVE); /* keepalived's default */
	CU_ASSERT_EQUAL(s->vs.check.fall, 2);
	CU_ASSERT_EQUAL_FATAL(s->nreals, 2);
	r = &s->reals[1];
	CU_ASSERT_EQUAL(r->forwarding, FULCRUM_FWD_TUNNEL);
	CU_ASSERT_EQUAL(r->tunnel_type, FULCRUM_TUN_GUE);
	CU_ASSERT_EQUAL(r->tunnel_port, 6080);
	CU_ASSERT_EQUAL(r->check.set, FULCRUM_CHECK_F_TYPE | FULCRUM_CHECK_F_INTERVAL |
					  FULCRUM_CHECK_F_TIMEOUT | FULCRUM_CHECK_F_FALL |
					  FULCRUM_CHECK_F_CHECK_PORT | FULCRUM_CHECK_F_ON_FAILURE);
	CU_ASSERT_EQUAL(r->check.type, FULCRUM_CHECK_HTTP);
	CU_ASSERT_EQUAL(r->check.interval, 20);
	CU_ASSERT_EQUAL(r->check.timeout, 4);
	CU_ASSERT_EQUAL(r->check.fall, 6);
	CU_ASSERT_EQUAL(r->check.check_port, 81);
	CU_ASSERT_EQUAL(r->check.on_failure, FULCRUM_ON_FAILURE_QUIESCE);
	round_trip();
	CU_ASSERT_TRUE(has(&notes, "k.conf:7: checker differs from the service's (line 3)", NULL));
}

static void test_misc_fwmark_v6(void)
{
	const char *text =
	    "virtual_server fwmark 7 {\n"
	    "  ip_family inet6\n"
	    "  persistence_timeout\n"
	    "  real_server 2001:db8::21 { MISC_CHECK { misc_path \"/bin/check one\"\n"
	    "    misc_timeout 2\n"
	    "    misc_dynamic } }\n"
	    "}\n"
	    "virtual_server 2001:db8::10 443 {\n"
	    "  protocol SCTP\n"
	    "  real_server 2001:db8::21 443 { SSL_GET { url { path / } } }\n"
	    "}\n";
	const struct config_service *s;

	CU_ASSERT_EQUAL(import_str(text), 0);
	config_msgs_print(&errors, stdout);
	s = svc("fwmark-7-v6");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->vs.fwmark, 7);
	CU_ASSERT_EQUAL(s->vs.family, AF_INET6);
	CU_ASSERT_EQUAL(s->vs.protocol, FULCRUM_PROTO_NONE);
	CU_ASSERT_EQUAL(s->vs.persistence_timeout, 360);
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_EXTERNAL);
	CU_ASSERT_STRING_EQUAL(s->vs.check.command, "/bin/check one");
	CU_ASSERT_EQUAL(s->vs.check.timeout, 2);
	CU_ASSERT_EQUAL(s->vs.check.interval, 60); /* keepalived's default delay_loop */
	CU_ASSERT_EQUAL(s->vs.check.fall, 1);
	CU_ASSERT_TRUE(has(&notes, "k.conf:6: 'misc_dynamic'", "weights"));
	s = svc("sctp-2001.db8..10-443");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_HTTPS);
	CU_ASSERT_STRING_EQUAL(s->vs.check.expect_status, "200-299");
	CU_ASSERT_FALSE(s->vs.check.verify_tls);
	CU_ASSERT_TRUE(has(&notes, "k.conf:10: 'SSL_GET'", "verify_tls"));
}

/* Defaults keepalived fills in, and a known directive given wrong arguments. */
static void test_defaults_and_arguments(void)
{
	const char *text = "virtual_server 192.0.2.10 80 {\n"
			   "  real_server 192.0.2.21 { MISC_CHECK { misc_path /bin/chk -v 2 } }\n"
			   "  real_server 192.0.2.22 80 { MISC_CHECK { misc_path /bin/chk -v 2\n"
			   "    connect_ip 192.0.2.99 } }\n"
			   "}\n"
			   "virtual_server 192.0.2.11 80 {\n"
			   "  protocol TCP UDP\n"
			   "  real_server 192.0.2.21 80 { HTTP_GET { url { path } } }\n"
			   "}\n"
			   "vrrp_instance VI_2\n"
			   "virtual_server 192.0.2.12 80 { delay_loop 1\n"
			   "  real_server 192.0.2.21 80 { TCP_CHECK { } } }\n";
	const struct config_service *s;

	CU_ASSERT_EQUAL(import_str(text), -EINVAL);
	config_msgs_print(&errors, stdout);
	s = svc("tcp-192.0.2.10-80");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s->vs.check.command, "/bin/chk -v 2");
	CU_ASSERT_EQUAL(s->vs.check.check_address.family, AF_UNSPEC);
	CU_ASSERT_EQUAL_FATAL(s->nreals, 2);
	CU_ASSERT_EQUAL(s->reals[0].port, 80); /* masq needs a port: the service's */
	CU_ASSERT_TRUE(
	    has(&notes, "k.conf:2: real server without a port: the service's (80)", NULL));
	CU_ASSERT_EQUAL(s->reals[1].check.set, FULCRUM_CHECK_F_CHECK_ADDRESS);
	CU_ASSERT_STRING_EQUAL(addr(&s->reals[1].check.check_address), "192.0.2.99");
	CU_ASSERT_TRUE(
	    has(&errors, "k.conf:7: 'protocol TCP UDP': not the arguments it takes", NULL));
	CU_ASSERT_TRUE(has(&errors, "k.conf:8: 'path': not the arguments it takes", NULL));
	CU_ASSERT_TRUE(has(&errors, "k.conf:10: 'vrrp_instance': needs its block", NULL));
	/* no connect_timeout: keepalived's 5 s is cut to the delay_loop of 1 s, said */
	CU_ASSERT_TRUE(has(&notes,
			   "k.conf:11: keepalived's default connect_timeout (5 s) is longer than "
			   "delay_loop 1 s",
			   NULL));
	CU_ASSERT_EQUAL(errors.n, 3);
	CU_ASSERT_EQUAL_FATAL(doc.nservices, 2);
	s = svc("tcp-192.0.2.12-80");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->vs.check.interval, 1);
	CU_ASSERT_EQUAL(s->vs.check.timeout, 1);
	/* the service checks another address and port: the second server checks its own */
	CU_ASSERT_EQUAL(
	    import_str("virtual_server 192.0.2.10 80 {\n"
		       " real_server 192.0.2.21 80 { TCP_CHECK { connect_ip 192.0.2.99\n"
		       "   connect_port 81 } }\n"
		       " real_server 192.0.2.22 80 { TCP_CHECK { } }\n"
		       "}\n"),
	    0);
	s = svc("tcp-192.0.2.10-80");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(addr(&s->vs.check.check_address), "192.0.2.99");
	CU_ASSERT_EQUAL(s->vs.check.check_port, 81);
	CU_ASSERT_EQUAL_FATAL(s->nreals, 2);
	CU_ASSERT_EQUAL(s->reals[1].check.set,
			FULCRUM_CHECK_F_CHECK_ADDRESS | FULCRUM_CHECK_F_CHECK_PORT);
	CU_ASSERT_STRING_EQUAL(addr(&s->reals[1].check.check_address), "192.0.2.22");
	CU_ASSERT_EQUAL(s->reals[1].check.check_port, 0);
	round_trip();
}

static void test_group_and_vips(void)
{
	const char *text = "virtual_server_group web {\n"
			   "  192.0.2.1-3 80\n"
			   "  fwmark 5\n"
			   "  192.0.2.0/24 80\n"
			   "  192.0.2.250-192.0.3.1 80\n"
			   "  2001:db8::1-ffff 80\n"
			   "}\n"
			   "virtual_server group web { real_server 192.0.2.50 80 { } }\n"
			   "vrrp_instance VI_1 {\n"
			   "  virtual_ipaddress {\n"
			   "    192.0.2.1/24\n"
			   "    192.0.2.2 dev eth1\n"
			   "    2001:db8::1/64 label x\n"
			   "    192.0.2.1\n"
			   "  }\n"
			   "  interface bond0\n"
			   "  priority 100\n"
			   "  authentication { auth_type PASS\n"
			   "    auth_pass secret }\n"
			   "}\n";

	CU_ASSERT_EQUAL(import_str(text), 0);
	config_msgs_print(&errors, stdout);
	CU_ASSERT_EQUAL(doc.nservices, 4);
	CU_ASSERT_PTR_NOT_NULL(svc("tcp-192.0.2.1-80"));
	CU_ASSERT_PTR_NOT_NULL(svc("tcp-192.0.2.3-80"));
	CU_ASSERT_PTR_NOT_NULL(svc("fwmark-5"));
	CU_ASSERT_EQUAL(svc("tcp-192.0.2.2-80")->line, 2);
	CU_ASSERT_EQUAL(svc("fwmark-5")->nreals, 1);
	CU_ASSERT_TRUE(has(&notes, "k.conf:4: '192.0.2.0/24'", "not imported"));
	CU_ASSERT_TRUE(has(&notes, "k.conf:5: '192.0.2.250-192.0.3.1'", "not imported"));
	CU_ASSERT_TRUE(has(&notes, "k.conf:6: '2001:db8::1-ffff'", "not imported"));
	CU_ASSERT_EQUAL_FATAL(doc.nvips, 3);
	CU_ASSERT_STRING_EQUAL(addr(&doc.vips[0].vip.addr), "192.0.2.1");
	CU_ASSERT_EQUAL(doc.vips[0].vip.prefix, 24);
	CU_ASSERT_STRING_EQUAL(doc.vips[0].vip.interface, "bond0");
	CU_ASSERT_STRING_EQUAL(doc.vips[1].vip.interface, "eth1");
	CU_ASSERT_EQUAL(doc.vips[1].vip.prefix, 32);
	CU_ASSERT_EQUAL(doc.vips[2].vip.prefix, 64);
	CU_ASSERT_EQUAL(doc.vips[2].line, 13);
	CU_ASSERT_TRUE(has(&notes, "k.conf:13: '2001:db8::1/64 label x'", "ignored"));
	CU_ASSERT_TRUE(has(&notes, "k.conf:14: address already a VIP (line 11)", NULL));
	CU_ASSERT_TRUE(has(&notes, "k.conf:17: 'priority 100'", "fulcrumd.conf"));
	CU_ASSERT_TRUE(
	    has(&notes, "k.conf:18: 'authentication { ... }' (to line 19)", "fulcrumd.conf"));
	CU_ASSERT_FALSE(has(&notes, "secret", NULL));
	round_trip();
}

/* A typo is an error, or a note when lenient; a known directive without equivalent is a note. */
static void test_unknown_and_lenient(void)
{
	const char *text = "global_defs { router_id x }\n"
			   "include /etc/keepalived/more.conf\n"
			   "virtual_server 192.0.2.10 80 {\n"
			   "  lb_algoo rr\n"
			   "  ha_suspend\n"
			   "  real_server 192.0.2.21 80 { wieght 2 }\n"
			   "}\n"
			   "vrrp_instanse X { }\n";

	CU_ASSERT_EQUAL(import_str(text), -EINVAL);
	CU_ASSERT_EQUAL(errors.n, 3);
	CU_ASSERT_TRUE(has(&errors, "k.conf:4: 'lb_algoo rr': unknown directive", NULL));
	CU_ASSERT_TRUE(has(&errors, "k.conf:6: 'wieght 2'", NULL));
	CU_ASSERT_TRUE(has(&errors, "k.conf:8: 'vrrp_instanse X'", NULL));
	CU_ASSERT_TRUE(has(&notes, "k.conf:1: 'global_defs { ... }'", "fulcrumd.conf"));
	CU_ASSERT_TRUE(has(&notes, "k.conf:2: 'include", "not followed"));
	CU_ASSERT_TRUE(has(&notes, "k.conf:5: 'ha_suspend'", "ignored"));
	CU_ASSERT_EQUAL(import(text, strlen(text), true), 0);
	CU_ASSERT_EQUAL(errors.n, 0);
	CU_ASSERT_TRUE(has(&notes, "k.conf:4: 'lb_algoo rr': ignored", NULL));
	CU_ASSERT_TRUE(has(&notes, "k.conf:6: 'wieght 2': ignored", NULL));
	CU_ASSERT_EQUAL(doc.nservices, 1);
}

/* Every error of a file in one pass, each naming its line; what is right still translates. */
static void test_all_errors(void)
{
	const char *text = "virtual_server 192.0.2.10 80 {\n"
			   "  lb_algo fastest\n"
			   "  delay_loop 5\n"
			   "  real_server 192.0.2.21 80 { weight 70000 }\n"
			   "  real_server 192.0.2.22 80 { TCP_CHECK { connect_timeout 5 } }\n"
			   "}\n"
			   "virtual_server 192.0.2.11 80 {\n"
			   "  real_server 192.0.2.21 80 { TCP_CHECK { connect_timeout 7 } }\n"
			   "  delay_loop 6\n"
			   "}\n"
			   "virtual_server 192.0.2.12 80 { real_server 192.0.2.21 80 { } \n"
			   " real_server 192.0.2.21 80 { } }\n"
			   "virtual_server 192.0.2.12 80 { }\n"
			   "virtual_server 300.0.0.1 80 { }\n"
			   "}\n"
			   "virtual_server 192.0.2.13 80 { lb_kind FAST\n";

	CU_ASSERT_EQUAL(import_str(text), -EINVAL);
	config_msgs_print(&errors, stdout);
	CU_ASSERT_TRUE(has(&errors, "k.conf:2: service scheduler:", NULL));
	CU_ASSERT_TRUE(has(&errors, "k.conf:4: real server weight:", NULL));
	/* a timeout above the interval: the interval grows to it, said with both lines */
	CU_ASSERT_TRUE(
	    has(&notes, "k.conf:8: check timeout 7 s is longer than its interval 6 s", "line 9"));
	CU_ASSERT_EQUAL(svc("tcp-192.0.2.11-80")->vs.check.interval, 7);
	CU_ASSERT_TRUE(
	    has(&errors, "k.conf:13: service 'tcp-192.0.2.12-80' again: also at line 11", NULL));
	CU_ASSERT_TRUE(has(&errors, "k.conf:14: virtual_server: takes", NULL));
	CU_ASSERT_TRUE(has(&errors, "k.conf:15: '}' closes no block", NULL));
	CU_ASSERT_TRUE(has(&errors, "k.conf:16: lb_kind: takes NAT, DR or TUN", NULL));
	CU_ASSERT_TRUE(has(&errors, "k.conf:16: block not closed", NULL));
	/* the first service has errors: it is not made, so its line 5 is not checked further */
	CU_ASSERT_TRUE(has(&errors, "k.conf:12: real server again: also at line 11", NULL));
	CU_ASSERT_EQUAL(errors.n, 8);
	CU_ASSERT_EQUAL(doc.nservices, 2);
	CU_ASSERT_PTR_NOT_NULL(svc("tcp-192.0.2.12-80"));
}

/* Any bytes: refused cleanly, with the line, never a crash or a silent drop. */
static void test_hostile(void)
{
	static const char nul[] = "virtual_server 192.0.2.10 80 {\n lb_algo\0rr\n}\n";
	const char *utf = "virtual_server 192.0.2.10 80 {\n snmp_name \xff\xfe\n real_server "
			  "192.0.2.21 80 { weight 99999999999999999999999 }\n}\n";
	size_t big = 1u << 20;
	char *line = malloc(big + 64);
	char *deep = malloc(200000);

	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_PTR_NOT_NULL_FATAL(deep);
	CU_ASSERT_EQUAL(import(nul, sizeof(nul) - 1, false), -EINVAL);
	CU_ASSERT_TRUE(has(&errors, "k.conf:2: NUL byte", NULL));
	CU_ASSERT_EQUAL(import_str(utf), -EINVAL);
	CU_ASSERT_TRUE(has(&errors, "k.conf:1: service description:", "UTF-8"));
	CU_ASSERT_TRUE(has(&errors, "k.conf:3: real server weight:", NULL));
	CU_ASSERT_EQUAL(import_str("virtual_server group \x01\xff { }\n"), -EINVAL);
	CU_ASSERT_TRUE(has(&errors, "k.conf:1: virtual_server group '?\?': no such", NULL));
	for (size_t i = 0; i < errors.n; i++) /* messages quote printable ASCII only */
		for (const char *p = errors.text[i]; *p; p++)
			CU_ASSERT_TRUE(*p >= 0x20 && *p < 0x7f);
	memcpy(line, "virtual_server ", 15);
	memset(line + 15, 'a', big);
	strcpy(line + 15 + big, " 80 {\n}\n");
	CU_ASSERT_EQUAL(import_str(line), -EINVAL);
	CU_ASSERT_TRUE(has(&errors, "k.conf:1: virtual_server: takes", NULL));
	for (size_t i = 0; i < 100000; i++)
		deep[i] = '{', deep[100000 + i] = '}';
	memcpy(deep, "a ", 2);
	deep[199999] = '\0';
	CU_ASSERT_EQUAL(import_str(deep), -EINVAL);
	CU_ASSERT_TRUE(has(&errors, "k.conf:1: blocks nested deeper than 64", NULL));
	CU_ASSERT_EQUAL(import(line, CONFIG_KEEPALIVED_MAX + 1u, false), -EINVAL);
	CU_ASSERT_TRUE(has(&errors, "k.conf: 16777217 bytes is more than", NULL));
	CU_ASSERT_EQUAL(import_str("virtual_server 192.0.2.1 80 { delay_loop 1e99\n"
				   "  persistence_timeout 99999999999999999999 }\n"),
			-EINVAL);
	CU_ASSERT_TRUE(has(&errors, "k.conf:1: delay_loop: takes a number", NULL));
	CU_ASSERT_TRUE(has(&errors, "k.conf:2: service persistence_timeout", NULL));
	/* a group of 41 x 256 addresses: 10,000 services, then one error, quickly */
	strcpy(line, "virtual_server_group g {\n");
	for (int i = 0; i < 41; i++)
		sprintf(line + strlen(line), "10.0.%d.0-255 80\n", i);
	strcat(line, "}\nvirtual_server group g { real_server 192.0.2.1 80 { } }\n");
	CU_ASSERT_EQUAL(import_str(line), -EINVAL);
	CU_ASSERT_EQUAL(doc.nservices, 10000);
	CU_ASSERT_EQUAL(errors.n, 1);
	CU_ASSERT_TRUE(has(&errors, "k.conf:41: more than 10000 services", "not imported"));
	free(line);
	free(deep);
}

/* A Debian sample: imports with rc 0; every note printed and naming a line of it. */
static void sample(const char *name, size_t nservices, size_t nvips)
{
	char path[256], *text;
	FILE *f;
	long size;

	snprintf(path, sizeof(path), SAMPLES "%s", name);
	if (!(f = fopen(path, "rb"))) {
		fprintf(stderr, "\n%s is missing: run scripts/install-deps (package keepalived)\n",
			path);
		CU_FAIL_FATAL("keepalived's samples are not installed: run scripts/install-deps");
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = malloc((size_t)size + 1);
	CU_ASSERT_FATAL(text && fread(text, 1, (size_t)size, f) == (size_t)size);
	fclose(f);
	config_doc_clear(&doc);
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
	CU_ASSERT_EQUAL(
	    config_keepalived_read(text, (size_t)size, name, false, &doc, &notes, &errors), 0);
	config_msgs_print(&errors, stdout);
	CU_ASSERT_EQUAL(doc.nservices, nservices);
	CU_ASSERT_EQUAL(doc.nvips, nvips);
	printf("\n  %s: %zu services, %zu VIPs, %zu notes\n", name, doc.nservices, doc.nvips,
	       notes.n);
	round_trip();
	for (size_t i = 0; i < notes.n; i++) {
		unsigned line = 0;
		int off = 0;

		printf("    %s\n", notes.text[i]);
		CU_ASSERT_EQUAL(strncmp(notes.text[i], name, strlen(name)), 0);
		CU_ASSERT_EQUAL(sscanf(notes.text[i] + strlen(name), ":%u: %n", &line, &off), 1);
		CU_ASSERT_TRUE(line > 0 && off > 0);
	}
	free(text);
}

/* The service's name, its real servers "addr:port", and its check type. */
static void assert_service(const char *name, const char *reals, enum fulcrum_check_type type)
{
	const struct config_service *s = svc(name);
	char got[512] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (size_t i = 0; i < s->nreals; i++) {
		char ep[MODEL_ENDPOINT_STRLEN];

		snprintf(
		    got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "",
		    model_endpoint_format(&s->reals[i].addr, s->reals[i].port, ep, sizeof(ep)));
	}
	CU_ASSERT_STRING_EQUAL(got, reals);
	CU_ASSERT_EQUAL(s->vs.check.type, type);
}

static void test_samples(void)
{
	sample("keepalived.conf.sample", 1, 3);
	assert_service("tcp-10.10.10.2-1358", "192.168.200.2:1358", FULCRUM_CHECK_HTTP);
	CU_ASSERT_STRING_EQUAL(addr(&svc("tcp-10.10.10.2-1358")->vs.fallback.addr),
			       "192.168.200.200");
	sample("keepalived.conf.HTTP_GET.port", 1, 0);
	assert_service("tcp-192.168.200.100-443", "192.168.201.100:443", FULCRUM_CHECK_HTTPS);
	CU_ASSERT_EQUAL(svc("tcp-192.168.200.100-443")->vs.check.check_port, 444);
	sample("keepalived.conf.SSL_GET", 2, 3);
	assert_service("tcp-192.168.200.100-443", "192.168.201.100:443", FULCRUM_CHECK_HTTPS);
	assert_service("tcp-192.168.200.100-80", "192.168.201.100:80", FULCRUM_CHECK_HTTP);
	sample("keepalived.conf.fwmark", 1, 0);
	assert_service("fwmark-1", "192.168.201.100:0 192.168.201.101:0", FULCRUM_CHECK_TCP);
	sample("keepalived.conf.inhibit", 1, 0);
	assert_service("tcp-10.10.10.2-1358", "192.168.200.2:1358", FULCRUM_CHECK_HTTP);
	CU_ASSERT_EQUAL(svc("tcp-10.10.10.2-1358")->vs.check.on_failure,
			FULCRUM_ON_FAILURE_QUIESCE);
	sample("keepalived.conf.misc_check", 1, 0);
	assert_service("tcp-10.10.10.2-1358", "192.168.200.6:1358", FULCRUM_CHECK_EXTERNAL);
	sample("keepalived.conf.quorum", 1, 0);
	assert_service("tcp-10.0.1.1-80",
		       "10.0.0.1:8080 10.0.0.2:8080 10.0.0.3:8080 10.0.0.4:8080 10.0.0.5:8080 "
		       "10.0.0.6:8080 10.0.0.7:8080 10.0.0.8:8080 10.0.0.9:8080 10.0.0.10:8080",
		       FULCRUM_CHECK_TCP);
	CU_ASSERT_EQUAL(svc("tcp-10.0.1.1-80")->vs.min_up, 7);
	/* SMTP_CHECK has no equivalent: the real server is imported unchecked (a note) */
	sample("keepalived.conf.IPv6", 1, 0);
	assert_service("tcp-ae00..1-80", "[ae00::10]:25", FULCRUM_CHECK_NONE);
	/* the group's 4 addresses, the range 192.168.200.3-10 (8) and 2 marks */
	sample("keepalived.conf.virtual_server_group", 13, 0);
	for (int i = 0; i < 13; i++) {
		static const char *const keys[] = {"tcp-10.0.0.1-8080", "tcp-10.0.0.2-80",
						   "tcp-192.168.200.1-1358", "fwmark-1"};
		char name[64];

		if (i < 3 || i == 11)
			snprintf(name, sizeof(name), "%s", keys[i < 3 ? i : 3]);
		else if (i == 12)
			snprintf(name, sizeof(name), "fwmark-2");
		else
			snprintf(name, sizeof(name), "tcp-192.168.200.%d-80", i);
		CU_ASSERT_STRING_EQUAL(doc.services[i].vs.name, name);
		assert_service(name, "192.168.200.1:1358 192.168.200.2:1358", FULCRUM_CHECK_HTTP);
	}
	assert_service("fwmark-2", "192.168.200.1:1358 192.168.200.2:1358", FULCRUM_CHECK_HTTP);
	/* 192.168.200.18 is listed twice: one VIP, and a note */
	sample("keepalived.conf.vrrp", 0, 12);
	{
		char got[512] = "";

		for (size_t i = 0; i < doc.nvips; i++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s/%u@%s",
				 i ? " " : "", addr(&doc.vips[i].vip.addr),
				 (unsigned)doc.vips[i].vip.prefix, doc.vips[i].vip.interface);
		CU_ASSERT_STRING_EQUAL(
		    got, "192.168.200.16/32@eth0 192.168.200.17/32@eth0 192.168.200.18/32@eth0 "
			 "192.168.200.13/32@eth0 192.168.200.14/32@eth0 192.168.200.15/32@eth0 "
			 "192.168.201.13/32@eth1 192.168.201.14/32@eth1 192.168.201.15/32@eth1 "
			 "192.168.201.16/32@eth1 192.168.201.17/32@eth1 192.168.201.18/32@eth1");
	}
	sample("keepalived.conf.status_code", 1, 0);
	CU_ASSERT_STRING_EQUAL(svc("tcp-192.168.200.100-443")->vs.check.expect_status,
			       "200-299,400-499,503,505");
}

static int suite_clean(void)
{
	config_doc_clear(&doc);
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
	return 0;
}

UNIT_SUITE(config_keepalived)
{
	CU_pSuite s = CU_add_suite("config_keepalived", NULL, suite_clean);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "directives that map, on the fields they set", test_maps);
	CU_add_test(s, "a real server's own check: override or note", test_per_server_check);
	CU_add_test(s, "MISC_CHECK, SSL_GET, fwmark and IPv6 names", test_misc_fwmark_v6);
	CU_add_test(s, "keepalived's defaults; wrong arguments", test_defaults_and_arguments);
	CU_add_test(s, "virtual_server_group members and vrrp addresses", test_group_and_vips);
	CU_add_test(s, "unknown directives: errors, or notes when lenient",
		    test_unknown_and_lenient);
	CU_add_test(s, "every error of a file in one pass", test_all_errors);
	CU_add_test(s, "hostile input refused cleanly", test_hostile);
	CU_add_test(s, "Debian's sample files import", test_samples);
	return CU_get_error();
}
