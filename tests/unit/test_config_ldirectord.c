/* Unit tests of controller/config/config_ldirectord*.c: ldirectord.cf into a configuration document. */
#include "controller/config/config_ldirectord.h"
#include "controller/model/model.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Debian's example, from the ldirectord package (scripts/install-deps installs it). */
#define LD_EXAMPLE "/usr/share/doc/ldirectord/examples/ldirectord.cf"

static struct config_doc doc;
static struct config_msgs notes, errors;

/* Imports text as "t.cf" into the suite's document, emptied first; returns the result. */
static int import(const char *text, bool lenient)
{
	config_doc_clear(&doc);
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
	return config_ldirectord_read(text, strlen(text), "t.cf", lenient, &doc, &notes, &errors);
}

/* Whether m holds a message starting with "t.cf:LINE: " that contains part. */
static bool has(const struct config_msgs *m, unsigned line, const char *part)
{
	char head[32];

	snprintf(head, sizeof(head), "t.cf:%u: ", line);
	for (size_t i = 0; i < m->n; i++)
		if (strncmp(m->text[i], head, strlen(head)) == 0 && strstr(m->text[i], part))
			return true;
	return false;
}

static struct config_service *service(const char *name)
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

/* Prints the messages when a test's import did not go as expected. */
static void show(void)
{
	config_msgs_print(&notes, stdout);
	config_msgs_print(&errors, stdout);
}

static void test_virtual_and_reals(void)
{
	struct config_service *s;

	CU_ASSERT_EQUAL(import("virtual=192.0.2.10:443\n"
			       "\treal=10.0.0.1:443 gate 5\n"
			       "\treal=10.0.0.2->10.0.0.4:8443 masq 2 l:10 u:100\n"
			       "    real=10.0.0.9 ipip\n"
			       "\treal=10.0.0.8:8080 gate\n"
			       "\tchecktype=connect\n"
			       "\tscheduler=sh\n"
			       "\tschedflags=sh-fallback,sh-port\n"
			       "\tpersistent=300\n"
			       "\tnetmask=255.255.255.0\n"
			       "\tservicename=Shop\n"
			       "\tcomment=the shop, on TLS\n",
			       false),
			0);
	show();
	CU_ASSERT_EQUAL_FATAL(doc.nservices, 1);
	s = service("tcp-192.0.2.10-443");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->line, 1);
	CU_ASSERT_EQUAL(s->vs.id, 0);
	CU_ASSERT_STRING_EQUAL(addr(&s->vs.addr), "192.0.2.10");
	CU_ASSERT_EQUAL(s->vs.port, 443);
	CU_ASSERT_EQUAL(s->vs.protocol, FULCRUM_PROTO_TCP);
	CU_ASSERT_EQUAL(s->vs.scheduler, FULCRUM_SCHED_SH);
	CU_ASSERT_EQUAL(s->vs.scheduler_flags, FULCRUM_SCHED_F_FALLBACK | FULCRUM_SCHED_F_PORT);
	CU_ASSERT_EQUAL(s->vs.persistence_timeout, 300);
	CU_ASSERT_EQUAL(s->vs.persistence_netmask, 24);
	CU_ASSERT_STRING_EQUAL(s->vs.description, "Shop: the shop, on TLS");
	CU_ASSERT_EQUAL_FATAL(s->nreals, 6);
	CU_ASSERT_STRING_EQUAL(addr(&s->reals[0].addr), "10.0.0.1");
	CU_ASSERT_EQUAL(s->reals[0].forwarding, FULCRUM_FWD_ROUTE);
	CU_ASSERT_EQUAL(s->reals[0].weight, 5);
	CU_ASSERT_EQUAL(s->real_lines[0], 2);
	for (size_t i = 1; i <= 3; i++) {
		char want[16];

		snprintf(want, sizeof(want), "10.0.0.%zu", i + 1);
		CU_ASSERT_STRING_EQUAL(addr(&s->reals[i].addr), want);
		CU_ASSERT_EQUAL(s->reals[i].port, 8443);
		CU_ASSERT_EQUAL(s->reals[i].forwarding, FULCRUM_FWD_MASQ);
		CU_ASSERT_EQUAL(s->reals[i].weight, 2);
		CU_ASSERT_EQUAL(s->reals[i].lower_threshold, 10);
		CU_ASSERT_EQUAL(s->reals[i].upper_threshold, 100);
		CU_ASSERT_EQUAL(s->real_lines[i], 3);
	}
	/* no port: the service's; ipip is a tunnel of type ipip; weight 1 by default */
	CU_ASSERT_EQUAL(s->reals[4].port, 443);
	CU_ASSERT_EQUAL(s->reals[4].forwarding, FULCRUM_FWD_TUNNEL);
	CU_ASSERT_EQUAL(s->reals[4].tunnel_type, FULCRUM_TUN_IPIP);
	CU_ASSERT_EQUAL(s->reals[4].weight, 1);
	/* gate cannot change the port: ipvsadm gave it the service's, and a note says so */
	CU_ASSERT_EQUAL(s->reals[5].port, 443);
	CU_ASSERT_TRUE(has(&notes, 5, "'real=10.0.0.8:8080 gate': gate and ipip"));
}

static void test_keys_and_names(void)
{
	struct config_service *s;

	CU_ASSERT_EQUAL(import("virtual=192.0.2.20:53\n"
			       "\treal=10.0.0.1:53 masq\n"
			       "\tops=yes\n"
			       "\tchecktype=on\n"
			       "virtual6=[2001:db8::10]:http\n"
			       "\treal6=[2001:db8::1] gate\n"
			       "\tprotocol=sctp\n"
			       "\tchecktype=on\n"
			       "virtual=7\n"
			       "\treal=10.0.1.1 gate\n"
			       "\tprotocol=fwm\n"
			       "\tchecktype=on\n"
			       "virtual6=8\n"
			       "\treal6=[2001:db8::2] gate\n"
			       "\tchecktype=on\n",
			       false),
			0);
	show();
	CU_ASSERT_EQUAL(doc.nservices, 4);
	/* ldirectord's default protocol is udp on port 53 */
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("udp-192.0.2.20-53"));
	CU_ASSERT_EQUAL(s->vs.protocol, FULCRUM_PROTO_UDP);
	CU_ASSERT_TRUE(s->vs.one_packet);
	/* ldirectord's default scheduler is wrr */
	CU_ASSERT_EQUAL(s->vs.scheduler, FULCRUM_SCHED_WRR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("sctp-2001.db8..10-80"));
	CU_ASSERT_EQUAL(s->vs.family, AF_INET6);
	CU_ASSERT_EQUAL(s->vs.protocol, FULCRUM_PROTO_SCTP);
	CU_ASSERT_EQUAL(s->vs.persistence_netmask, 128);
	CU_ASSERT_EQUAL_FATAL(s->nreals, 1);
	CU_ASSERT_STRING_EQUAL(addr(&s->reals[0].addr), "2001:db8::1");
	CU_ASSERT_EQUAL(s->reals[0].port, 80);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("fwmark-7"));
	CU_ASSERT_EQUAL(s->vs.fwmark, 7);
	CU_ASSERT_EQUAL(s->vs.family, AF_INET);
	CU_ASSERT_EQUAL(s->vs.protocol, FULCRUM_PROTO_NONE);
	CU_ASSERT_EQUAL(s->reals[0].port, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("fwmark-8-v6"));
	CU_ASSERT_EQUAL(s->vs.family, AF_INET6);
}

static void test_http_check(void)
{
	struct config_service *s;
	const struct fulcrum_check *k;

	CU_ASSERT_EQUAL(import("checkinterval=20\n"
			       "checktimeout=4\n"
			       "negotiatetimeout=6\n"
			       "failurecount=2\n"
			       "quiescent=yes\n"
			       "virtual=192.0.2.10:80\n"
			       "\treal=10.0.0.1:80 gate\n"
			       "\tservice=http\n"
			       "\tcheckport=8080\n"
			       "\trequest=\"health\"\n"
			       "\treceive=\"I am up\"\n"
			       "\tvirtualhost=www.example.org\n"
			       "\tfailurecount=3\n"
			       "\tquiescent=no\n"
			       "virtual=192.0.2.11:443\n"
			       "\treal=10.0.0.2:443 gate\n"
			       "\trequest=\"/ping\"\n"
			       "\treceive=\"^OK.*$\"\n"
			       "\tnegotiatetimeout=9\n"
			       "virtual=192.0.2.12:80\n"
			       "\treal=10.0.0.3:80 gate\n"
			       "\thttpmethod=HEAD\n",
			       false),
			0);
	show();
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.10-80"));
	k = &s->vs.check;
	CU_ASSERT_EQUAL(k->type, FULCRUM_CHECK_HTTP);
	CU_ASSERT_STRING_EQUAL(k->path, "/health"); /* ldirectord adds the '/' */
	CU_ASSERT_STRING_EQUAL(k->expect, "I am up");
	CU_ASSERT_STRING_EQUAL(k->expect_regex, "");
	CU_ASSERT_STRING_EQUAL(k->host, "www.example.org");
	CU_ASSERT_STRING_EQUAL(k->expect_status, "200-299");
	CU_ASSERT_EQUAL(k->check_port, 8080);
	CU_ASSERT_EQUAL(k->interval, 20);
	CU_ASSERT_EQUAL(k->timeout, 6); /* a negotiate check: the global negotiatetimeout */
	CU_ASSERT_EQUAL(k->fall, 3);
	CU_ASSERT_EQUAL(k->rise, 1);
	CU_ASSERT_EQUAL(k->on_failure, FULCRUM_ON_FAILURE_REMOVE);
	CU_ASSERT_FALSE(k->head);
	/* port 443: ldirectord's service https; a receive with regex characters; defaults */
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.11-443"));
	k = &s->vs.check;
	CU_ASSERT_EQUAL(k->type, FULCRUM_CHECK_HTTPS);
	CU_ASSERT_FALSE(k->verify_tls);
	CU_ASSERT_STRING_EQUAL(k->path, "/ping");
	CU_ASSERT_STRING_EQUAL(k->expect_regex, "^OK.*$");
	CU_ASSERT_STRING_EQUAL(k->expect, "");
	CU_ASSERT_EQUAL(k->timeout, 9);
	CU_ASSERT_EQUAL(k->fall, 2);
	CU_ASSERT_EQUAL(k->on_failure, FULCRUM_ON_FAILURE_QUIESCE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.12-80"));
	CU_ASSERT_TRUE(s->vs.check.head);
	CU_ASSERT_STRING_EQUAL(s->vs.check.path, "/");
	CU_ASSERT_EQUAL(notes.n, 0);
}

/* Where the file is silent, ldirectord's defaults: interval 10, timeouts 5 and 30, quiescent no. */
static void test_defaults(void)
{
	struct config_service *s;

	CU_ASSERT_EQUAL(import("virtual=192.0.2.10:80\n"
			       "\treal=10.0.0.1:80 masq\n"
			       "virtual=192.0.2.10:81\n"
			       "\treal=10.0.0.1:81 masq\n"
			       "\tchecktype=connect\n"
			       "virtual=192.0.2.10:82\n"
			       "\treal=10.0.0.1:82 masq\n",
			       false),
			0);
	show();
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.10-80"));
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_HTTP);
	CU_ASSERT_EQUAL(s->vs.check.interval, 10);
	/* ldirectord's 30 s negotiate timeout is above its 10 s interval: the interval, noted */
	CU_ASSERT_EQUAL(s->vs.check.timeout, 10);
	CU_ASSERT_TRUE(has(&notes, 1, "'negotiatetimeout=30': ldirectord's default"));
	CU_ASSERT_EQUAL(s->vs.check.fall, 1);
	CU_ASSERT_EQUAL(s->vs.check.on_failure, FULCRUM_ON_FAILURE_REMOVE);
	CU_ASSERT_EQUAL(s->vs.scheduler, FULCRUM_SCHED_WRR);
	CU_ASSERT_EQUAL(s->vs.fallback.addr.family, AF_UNSPEC);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.10-81"));
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_TCP);
	CU_ASSERT_EQUAL(s->vs.check.timeout, 5);
	/* port 82 has no ldirectord service: its negotiate check of none brings servers up */
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.10-82"));
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_NONE);
	CU_ASSERT_EQUAL(notes.n, 1);
}

static void test_fallback(void)
{
	struct config_service *s;

	CU_ASSERT_EQUAL(import("fallback=127.0.0.1 masq\n"
			       "fallback6=[::1]:8080\n"
			       "checktype=on\n"
			       "virtual=192.0.2.10:80\n"
			       "\treal=10.0.0.1:80 masq\n"
			       "\tchecktype=on\n"
			       "virtual=192.0.2.10:81\n"
			       "\treal=10.0.0.1:81 masq\n"
			       "\tfallback=10.0.0.99:81 gate\n"
			       "\tchecktype=on\n"
			       "virtual6=[2001:db8::1]:8080\n"
			       "\treal6=[2001:db8::2]:8080 masq\n"
			       "\tchecktype=on\n"
			       "virtual=5\n"
			       "\treal=10.0.0.1 gate\n"
			       "\tchecktype=on\n",
			       false),
			-EINVAL);
	/* checktype is a block's directive: at the top it is refused */
	CU_ASSERT_TRUE(has(&errors, 3, "'checktype': ldirectord takes it only inside a virtual"));
	CU_ASSERT_EQUAL(errors.n, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.10-80"));
	/* the global one, the service's port (none written), masq as written */
	CU_ASSERT_STRING_EQUAL(addr(&s->vs.fallback.addr), "127.0.0.1");
	CU_ASSERT_EQUAL(s->vs.fallback.port, 80);
	CU_ASSERT_EQUAL(s->vs.fallback.forwarding, FULCRUM_FWD_MASQ);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.10-81"));
	CU_ASSERT_STRING_EQUAL(addr(&s->vs.fallback.addr), "10.0.0.99");
	CU_ASSERT_EQUAL(s->vs.fallback.forwarding, FULCRUM_FWD_ROUTE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-2001.db8..1-8080"));
	CU_ASSERT_STRING_EQUAL(addr(&s->vs.fallback.addr), "::1");
	CU_ASSERT_EQUAL(s->vs.fallback.port, 8080);
	CU_ASSERT_EQUAL(s->vs.fallback.forwarding, FULCRUM_FWD_ROUTE); /* gate by default */
	/* ldirectord's global fallback is for tcp and udp services, not firewall marks */
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("fwmark-5"));
	CU_ASSERT_EQUAL(s->vs.fallback.addr.family, AF_UNSPEC);
}

/* Each check ldirectord has that Fulcrum has not: a note on its line, and what Fulcrum does. */
static void test_checks_approximated(void)
{
	struct config_service *s;

	CU_ASSERT_EQUAL(import("checkinterval=10\n"
			       "checktimeout=3\n"
			       "virtual=192.0.2.1:21\n"
			       "\treal=10.0.0.1:21 masq \"/x\", \"ok\"\n"
			       "\tlogin=\"anonymous\"\n"
			       "\tpasswd=\"hunter2\"\n"
			       "\trequest=\"welcome.msg\"\n"
			       "virtual=192.0.2.2:53\n"
			       "\treal=10.0.0.2:53 masq\n"
			       "\tchecktype=connect\n"
			       "virtual=192.0.2.3:80\n"
			       "\treal=10.0.0.3:80 masq\n"
			       "\tchecktype=ping\n"
			       "virtual=192.0.2.4:80\n"
			       "\treal=10.0.0.4:80 masq\n"
			       "\tchecktype=external\n"
			       "\tcheckcommand=\"/usr/local/bin/check --fast\"\n"
			       "virtual=192.0.2.5:80\n"
			       "\treal=10.0.0.5:80 masq\n"
			       "\tchecktype=external-perl\n"
			       "virtual=192.0.2.6:80\n"
			       "\treal=10.0.0.6:80 masq\n"
			       "\tfallback=127.0.0.1:80\n"
			       "\tchecktype=off\n"
			       "virtual=192.0.2.7:80\n"
			       "\treal=10.0.0.7:80 masq\n"
			       "\tchecktype=5\n"
			       "\tconnecttimeout=4\n"
			       "\tcheckinterval=2\n",
			       false),
			0);
	show();
	CU_ASSERT_EQUAL(doc.nservices, 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.1-21"));
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_TCP);
	CU_ASSERT_EQUAL(s->vs.check.timeout, 3);
	CU_ASSERT_TRUE(has(&notes, 3, "'service=ftp': ldirectord's service for the port"));
	CU_ASSERT_TRUE(has(&notes, 4, "a real server's own request and receive: ignored"));
	CU_ASSERT_TRUE(has(&notes, 5, "'login=\"anonymous\"': ignored"));
	/* a password is not repeated */
	CU_ASSERT_TRUE(has(&notes, 6, "'passwd=...': ignored"));
	CU_ASSERT_TRUE(has(&notes, 7, "'request=/welcome.msg': not used by a tcp check"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("udp-192.0.2.2-53"));
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_NONE);
	CU_ASSERT_TRUE(has(&notes, 10, "ldirectord pings UDP real servers"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.3-80"));
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_NONE);
	CU_ASSERT_TRUE(has(&notes, 13, "'checktype=ping': Fulcrum has no ping check"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.4-80"));
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_EXTERNAL);
	CU_ASSERT_STRING_EQUAL(s->vs.check.command, "/usr/local/bin/check --fast");
	CU_ASSERT_TRUE(has(&notes, 16, "address and port only"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.5-80"));
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_NONE);
	CU_ASSERT_TRUE(has(&notes, 20, "ldirectord ran /bin/true"));
	/* off: ldirectord puts no server in: the real servers disabled, no fallback */
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.6-80"));
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_NONE);
	CU_ASSERT_EQUAL(s->reals[0].admin_state, FULCRUM_RS_DISABLED);
	CU_ASSERT_EQUAL(s->vs.fallback.addr.family, AF_UNSPEC);
	CU_ASSERT_TRUE(has(&notes, 24, "'checktype=off'"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = service("tcp-192.0.2.7-80"));
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_HTTP);
	CU_ASSERT_EQUAL(s->vs.check.timeout, 4);
	CU_ASSERT_EQUAL(s->vs.check.interval, 10); /* a block's checkinterval needs fork=yes */
	CU_ASSERT_TRUE(has(&notes, 27, "'checktype=5': Fulcrum makes the http check every time"));
	CU_ASSERT_TRUE(has(&notes, 28, "'connecttimeout=4': deprecated"));
	CU_ASSERT_TRUE(has(&notes, 29, "'checkinterval=2': ignored, as ldirectord does when fork"));
	CU_ASSERT_EQUAL(errors.n, 0);
}

/* Known directives with no equivalent are always notes; unknown ones errors unless lenient. */
static void test_unknown_and_ignored(void)
{
	static const char text[] = "autoreload=yes\n"
				   "logfile=\"local0\"\n"
				   "emailalert=\"admin@example.org\"\n"
				   "execute=\"other.cf\"\n"
				   "frobnicate=yes\n"
				   "virtual=192.0.2.1:80\n"
				   "\treal=10.0.0.1:80 masq\n"
				   "\tchecktype=on\n"
				   "\tcheckintervall=5\n"
				   "\tautoreload=yes\n";

	CU_ASSERT_EQUAL(import(text, false), -EINVAL);
	CU_ASSERT_EQUAL(doc.nservices, 1);
	CU_ASSERT_TRUE(has(&notes, 1, "'autoreload=yes': ignored"));
	CU_ASSERT_TRUE(has(&notes, 2, "'logfile=\"local0\"': ignored"));
	CU_ASSERT_TRUE(has(&notes, 3, "sends no e-mail"));
	CU_ASSERT_TRUE(has(&notes, 4, "not followed"));
	CU_ASSERT_TRUE(has(&errors, 5, "'frobnicate': not an ldirectord directive"));
	CU_ASSERT_TRUE(has(&errors, 9, "'checkintervall': not an ldirectord directive"));
	CU_ASSERT_TRUE(has(&errors, 10, "'autoreload': ldirectord takes it only outside"));
	CU_ASSERT_EQUAL(errors.n, 3);
	CU_ASSERT_EQUAL(import(text, true), 0);
	CU_ASSERT_EQUAL(doc.nservices, 1);
	CU_ASSERT_TRUE(has(&notes, 5, "'frobnicate': ignored: not an ldirectord directive"));
	CU_ASSERT_TRUE(has(&notes, 9, "'checkintervall': ignored"));
	CU_ASSERT_TRUE(has(&notes, 10, "'autoreload': ignored"));
	CU_ASSERT_EQUAL(errors.n, 0);
}

/* Every error of a file in one pass, each naming its line; what is right is still made. */
static void test_all_errors(void)
{
	CU_ASSERT_EQUAL(import("checkinterval=0\n"
			       "quiescent=maybe\n"
			       "  indented=1\n"
			       "virtual=192.0.2.1:80\n"
			       "\treal=10.0.0.1:80 gate 70000\n"
			       "\treal=host.example:80 gate\n"
			       "\treal=10.0.0.5->10.0.0.2:80 gate\n"
			       "\treal=10.0.0.1:80 route\n"
			       "\treal=[2001:db8::1]:80 masq\n"
			       "\tscheduler=fancy\n"
			       "\tnetmask=255.0.255.0\n"
			       "\tpersistent=10\n"
			       "\trequest=index.html\n"
			       "virtual=www.example.com:80\n"
			       "virtual=192.0.2.2:99999\n"
			       "virtual=0\n"
			       "virtual=192.0.2.3:80\n"
			       "\treal=10.0.0.3:80 masq\n"
			       "\tchecktype=on\n",
			       false),
			-EINVAL);
	CU_ASSERT_TRUE(has(&errors, 1, "checkinterval '0' is not a number above 0"));
	CU_ASSERT_TRUE(has(&errors, 2, "quiescent must be 'yes' or 'no'"));
	CU_ASSERT_TRUE(has(&errors, 3, "indented line outside a virtual block"));
	CU_ASSERT_TRUE(has(&errors, 5, "real server weight: 70000 is outside 0..65535"));
	CU_ASSERT_TRUE(has(&errors, 6, "is a host name"));
	CU_ASSERT_TRUE(has(&errors, 7, "the first address is above the last"));
	CU_ASSERT_TRUE(has(&errors, 8, "forwarding must be gate, masq or ipip"));
	CU_ASSERT_TRUE(has(&errors, 9, "is IPv6"));
	CU_ASSERT_TRUE(has(&errors, 10, "service scheduler: 'fancy' is not an IPVS scheduler"));
	CU_ASSERT_TRUE(has(&errors, 11, "not a dotted IPv4 netmask"));
	CU_ASSERT_TRUE(has(&errors, 13, "request must be a non-empty string in double quotes"));
	CU_ASSERT_TRUE(has(&errors, 14, "'www.example.com' is a host name"));
	CU_ASSERT_TRUE(has(&errors, 15, "'99999' is outside 0..65535"));
	CU_ASSERT_TRUE(has(&errors, 16, "firewall mark 0"));
	CU_ASSERT_EQUAL(errors.n, 14);
	/* in line order */
	for (size_t i = 1; i < errors.n; i++)
		CU_ASSERT_TRUE(strtoul(errors.text[i - 1] + 5, NULL, 10) <=
			       strtoul(errors.text[i] + 5, NULL, 10));
	CU_ASSERT_EQUAL(doc.nservices, 1);
	CU_ASSERT_PTR_NOT_NULL(service("tcp-192.0.2.3-80"));
}

/*
 * The file's own timeout above its own interval: ldirectord let a check run
 * past the interval; Fulcrum's interval grows to the timeout, said with both
 * lines.
 */
static void test_timeout_above_interval(void)
{
	CU_ASSERT_EQUAL(import("checkinterval=5\n"
			       "virtual=192.0.2.1:80\n"
			       "\treal=10.0.0.1:80 masq\n"
			       "\tnegotiatetimeout=8\n",
			       false),
			0);
	CU_ASSERT_TRUE(
	    has(&notes, 4,
		"'negotiatetimeout=8': longer than the check interval (checkinterval=5 at "
		"line 1): ldirectord let a check run past it, Fulcrum's timeout stays "
		"within its interval: the interval is 8 s"));
	CU_ASSERT_EQUAL(errors.n, 0);
	CU_ASSERT_EQUAL_FATAL(doc.nservices, 1);
	CU_ASSERT_EQUAL(doc.services[0].vs.check.interval, 8);
	CU_ASSERT_EQUAL(doc.services[0].vs.check.timeout, 8);
}

static void test_duplicate_service(void)
{
	CU_ASSERT_EQUAL(import("virtual=192.0.2.1:80\n"
			       "\treal=10.0.0.1:80 masq\n"
			       "\tchecktype=on\n"
			       "virtual=192.0.2.1:www\n"
			       "\treal=10.0.0.2:80 masq\n"
			       "\tchecktype=on\n",
			       false),
			-EINVAL);
	CU_ASSERT_TRUE(has(&errors, 4, "service 'tcp-192.0.2.1-80' again: line 1 already made it"));
	CU_ASSERT_EQUAL(doc.nservices, 1);
	CU_ASSERT_EQUAL(doc.services[0].nreals, 1);
	CU_ASSERT_STRING_EQUAL(addr(&doc.services[0].reals[0].addr), "10.0.0.1");
	/* a real server twice in a service, by a range too: the later refused */
	CU_ASSERT_EQUAL(import("virtual=192.0.2.1:80\n"
			       "\treal=10.0.0.2:80 masq\n"
			       "\treal=10.0.0.1->10.0.0.3:80 masq\n"
			       "\treal=10.0.0.2:81 masq\n"
			       "\tchecktype=on\n",
			       false),
			-EINVAL);
	CU_ASSERT_TRUE(
	    has(&errors, 3,
		"real server 10.0.0.2:80 again in service 'tcp-192.0.2.1-80': line 2 has "
		"it already"));
	CU_ASSERT_EQUAL(errors.n, 1);
	CU_ASSERT_EQUAL(doc.services[0].nreals, 4);
}

/* With fork=yes, ldirectord takes a block's own checkinterval. */
static void test_fork_interval(void)
{
	CU_ASSERT_EQUAL(import("fork=yes\n"
			       "checkinterval=30\n"
			       "virtual=192.0.2.1:80\n"
			       "\treal=10.0.0.1:80 masq\n"
			       "\tcheckinterval=8\n"
			       "\tchecktimeout=2\n"
			       "\tchecktype=connect\n"
			       "virtual=192.0.2.2:80\n"
			       "\treal=10.0.0.1:80 masq\n"
			       "\tchecktype=connect\n",
			       false),
			0);
	CU_ASSERT_EQUAL_FATAL(doc.nservices, 2);
	CU_ASSERT_EQUAL(doc.services[0].vs.check.interval, 8);
	CU_ASSERT_EQUAL(doc.services[0].vs.check.timeout, 2);
	CU_ASSERT_EQUAL(doc.services[1].vs.check.interval, 30);
	CU_ASSERT_EQUAL(doc.services[1].vs.check.timeout,
			5); /* ldirectord's default checktimeout */
	CU_ASSERT_TRUE(has(&notes, 1, "'fork=yes': no equivalent"));
	CU_ASSERT_EQUAL(notes.n, 1);
}

static int suite_clean(void);

/* NUL bytes, a 1 MB line, invalid UTF-8, huge numbers and ranges, too big a file: refused cleanly. */
static void test_hostile(void)
{
	static const char nul[] =
	    "virtual=192.0.2.1:80\n\treal=10.0.0.1\0:80 masq\n\tchecktype=on\n";
	size_t big = 1u << 20;
	char *line = malloc(big + 64);
	int rc;

	suite_clean();
	CU_ASSERT_EQUAL(
	    config_ldirectord_read(nul, sizeof(nul) - 1, "t.cf", false, &doc, &notes, &errors),
	    -EINVAL);
	CU_ASSERT_TRUE(has(&errors, 2, "holds a NUL byte"));
	CU_ASSERT_EQUAL(doc.nservices, 1); /* the block goes on after the refused line */
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	memcpy(line, "checktimeout=", 13);
	memset(line + 13, '9', big);
	strcpy(line + 13 + big, "\n");
	CU_ASSERT_EQUAL(import(line, false), -EINVAL);
	CU_ASSERT_TRUE(has(&errors, 1, "checktimeout '9999999999999999999"));
	CU_ASSERT_TRUE(strlen(errors.text[0]) < 200);
	memset(line, 'x', big);
	strcpy(line + big, "=1\n");
	CU_ASSERT_EQUAL(import(line, true), 0);
	CU_ASSERT_TRUE(notes.n == 1 && strlen(notes.text[0]) < 200);
	free(line);
	CU_ASSERT_EQUAL(import("virtual=192.0.2.1:80\n"
			       "\treal=10.0.0.1:80 masq\n"
			       "\tchecktype=on\n"
			       "\tservicename=caf\xc3\x28 \xff\n"
			       "\tpersistent=99999999999999999999\n"
			       "\tchecktimeout=4294967297\n",
			       false),
			-EINVAL);
	CU_ASSERT_TRUE(has(&errors, 4, "service description: not valid UTF-8"));
	CU_ASSERT_TRUE(has(&errors, 5, "persistent '9999999999999999"));
	CU_ASSERT_TRUE(has(&errors, 6, "checktimeout '4294967297'"));
	CU_ASSERT_EQUAL(doc.nservices, 0);
	/* a range of 16 million addresses stops at the file's limit of real servers */
	rc = import(
	    "virtual=192.0.2.1:80\n\treal=10.0.0.0->10.255.255.255:80 masq\n\tchecktype=on\n",
	    false);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_TRUE(has(&errors, 2, "more than 100000 real servers"));
	CU_ASSERT_EQUAL(config_ldirectord_read("", CONFIG_LDIRECTORD_MAX_BYTES + 1, "t.cf", false,
					       &doc, &notes, &errors),
			-EINVAL);
	CU_ASSERT_TRUE(strstr(errors.text[errors.n - 1], "larger than 16 MiB") != NULL);
	CU_ASSERT_EQUAL(import("", false), 0);
	CU_ASSERT_EQUAL(doc.nservices, 0);
}

/* Reads Debian's example whole into a malloc'ed string, or fails the test saying what to do. */
static char *example(size_t *len)
{
	FILE *f = fopen(LD_EXAMPLE, "rb");
	char *text;
	long n;

	if (!f) {
		CU_FAIL(LD_EXAMPLE " is missing: run scripts/install-deps (package ldirectord)");
		fprintf(stderr, "\n%s is missing: run scripts/install-deps (package ldirectord)\n",
			LD_EXAMPLE);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 64);
	if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
		free(text);
		text = NULL;
	}
	fclose(f);
	*len = text ? (size_t)n : 0;
	return text;
}

/*
 * Debian's example as it is: its checktimeout=3 (line 12) is above its
 * checkinterval=1 (line 13), which ldirectord ran: the interval becomes 3 s,
 * said; and its one service with its three real servers.
 */
static void test_debian_example(void)
{
	size_t len;
	char *text = example(&len);
	struct config_service *s;
	static const char *const reals[] = {"192.168.6.2", "192.168.6.3", "192.168.6.6"};

	if (!text)
		return;
	config_doc_clear(&doc);
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
	CU_ASSERT_EQUAL(config_ldirectord_read(text, len, "t.cf", false, &doc, &notes, &errors), 0);
	free(text);
	printf("\n");
	config_msgs_print(&notes, stdout);
	config_msgs_print(&errors, stdout);
	CU_ASSERT_EQUAL(errors.n, 0);
	CU_ASSERT_TRUE(has(&notes, 12,
			   "'checktimeout=3': longer than the check interval "
			   "(checkinterval=1 at line 13)"));
	for (size_t i = 0; i < notes.n; i++)
		CU_ASSERT_TRUE(strncmp(notes.text[i], "t.cf:", 5) == 0 &&
			       strtoul(notes.text[i] + 5, NULL, 10) > 0);
	CU_ASSERT_TRUE(has(&notes, 16, "'autoreload=yes': ignored"));
	CU_ASSERT_EQUAL(notes.n, 2);
	CU_ASSERT_EQUAL_FATAL(doc.nservices, 1);
	s = &doc.services[0];
	CU_ASSERT_STRING_EQUAL(s->vs.name, "tcp-192.168.6.240-80");
	CU_ASSERT_EQUAL(s->line, 25);
	CU_ASSERT_STRING_EQUAL(s->vs.description, "Web Site: Test load balanced web site");
	CU_ASSERT_EQUAL(s->vs.scheduler, FULCRUM_SCHED_RR);
	CU_ASSERT_EQUAL(s->vs.check.type, FULCRUM_CHECK_HTTP);
	CU_ASSERT_STRING_EQUAL(s->vs.check.path, "/index.html");
	CU_ASSERT_STRING_EQUAL(s->vs.check.expect, "Test Page");
	CU_ASSERT_STRING_EQUAL(s->vs.check.host, "www.x.y.z");
	CU_ASSERT_EQUAL(s->vs.check.check_port, 80);
	CU_ASSERT_EQUAL(s->vs.check.interval, 3);
	CU_ASSERT_EQUAL(s->vs.check.timeout, 3);
	CU_ASSERT_EQUAL(s->vs.check.on_failure, FULCRUM_ON_FAILURE_REMOVE); /* quiescent=no */
	CU_ASSERT_STRING_EQUAL(addr(&s->vs.fallback.addr), "127.0.0.1");
	CU_ASSERT_EQUAL(s->vs.fallback.port, 80);
	CU_ASSERT_EQUAL(s->vs.fallback.forwarding, FULCRUM_FWD_ROUTE);
	CU_ASSERT_EQUAL_FATAL(s->nreals, 3);
	for (size_t i = 0; i < 3; i++) {
		CU_ASSERT_STRING_EQUAL(addr(&s->reals[i].addr), reals[i]);
		CU_ASSERT_EQUAL(s->reals[i].port, 80);
		CU_ASSERT_EQUAL(s->reals[i].forwarding, FULCRUM_FWD_ROUTE);
		CU_ASSERT_EQUAL(s->reals[i].weight, 1);
		CU_ASSERT_EQUAL(s->real_lines[i], 28 + i);
	}
}

/*
 * Every sample block of Debian's example, uncommented ("#virtual", "#\t"),
 * with checkinterval=3 added: what Fulcrum makes of each, and exactly the
 * errors ldirectord would have had too (a duplicate service, host names
 * sql01->sql03 that Fulcrum does not resolve, and the SIP sample's
 * "192.168.6.2::5060").
 */
static void test_debian_example_blocks(void)
{
	static const struct {
		const char *name;
		size_t nreals;
	} want[] = {
	    {"tcp-192.168.6.240-80", 3},   {"fwmark-1", 3},
	    {"tcp-192.168.6.240-443", 2},  {"tcp-192.168.6.240-21", 2},
	    {"tcp-192.168.6.240-25", 2},   {"tcp-192.168.6.240-587", 2},
	    {"tcp-192.168.6.240-110", 2},  {"tcp-192.168.6.240-143", 3},
	    {"tcp-192.168.84.5-389", 2},   {"tcp-192.168.84.5-119", 2},
	    {"udp-192.168.84.5-53", 2},    {"tcp-192.168.10.74-3306", 0},
	    {"tcp-192.168.10.74-5432", 0}, {"tcp-192.168.10.74-1521", 0},
	    {"tcp-192.168.6.240-23", 2},   {"udp-192.168.6.240-53", 3},
	    {"udp-192.168.6.240-1812", 3}, {"udp-192.168.6.240-5060", 0},
	    {"tcp-2001.db8..5-119", 2},
	};
	static const unsigned error_lines[] = {63, 225, 240, 255, 319, 320, 321};
	size_t len, n = 0;
	char *text = example(&len), *out;

	if (!text)
		return;
	out = malloc(len + 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	for (size_t i = 0; i < len; i++) {
		bool line_start = i == 0 || text[i - 1] == '\n';

		if (line_start && text[i] == '#' &&
		    (strncmp(text + i + 1, "virtual", 7) == 0 || text[i + 1] == '\t'))
			continue;
		out[n++] = text[i];
	}
	strcpy(out + n, "checkinterval=3\n");
	free(text);
	config_doc_clear(&doc);
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
	CU_ASSERT_EQUAL(
	    config_ldirectord_read(out, strlen(out), "t.cf", false, &doc, &notes, &errors),
	    -EINVAL);
	free(out);
	config_msgs_print(&errors, stdout);
	CU_ASSERT_EQUAL(errors.n, sizeof(error_lines) / sizeof(error_lines[0]));
	for (size_t i = 0; i < sizeof(error_lines) / sizeof(error_lines[0]); i++)
		CU_ASSERT_TRUE(has(&errors, error_lines[i], ""));
	CU_ASSERT_TRUE(has(&errors, 63, "service 'tcp-192.168.6.240-80' again: line 25"));
	CU_ASSERT_TRUE(has(&errors, 225, "'sql01' is a host name"));
	for (size_t i = 0; i < notes.n; i++)
		CU_ASSERT_TRUE(strtoul(notes.text[i] + 5, NULL, 10) > 0);
	CU_ASSERT_TRUE(has(&notes, 101, "'service=ftp': Fulcrum has no ftp check"));
	CU_ASSERT_TRUE(has(&notes, 110, "'passwd=...'"));
	CU_ASSERT_EQUAL_FATAL(doc.nservices, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < doc.nservices; i++) {
		CU_ASSERT_STRING_EQUAL(doc.services[i].vs.name, want[i].name);
		CU_ASSERT_EQUAL(doc.services[i].nreals, want[i].nreals);
	}
	/* a few of them field by field */
	CU_ASSERT_EQUAL(doc.services[1].vs.check.type, FULCRUM_CHECK_HTTP);
	CU_ASSERT_EQUAL(doc.services[1].vs.check.check_port, 80);
	CU_ASSERT_EQUAL(doc.services[1].reals[0].port, 0);
	CU_ASSERT_EQUAL(doc.services[2].vs.check.type, FULCRUM_CHECK_HTTPS);
	CU_ASSERT_EQUAL(doc.services[2].reals[0].forwarding, FULCRUM_FWD_MASQ);
	CU_ASSERT_EQUAL(doc.services[3].vs.check.type, FULCRUM_CHECK_TCP);
	CU_ASSERT_EQUAL(doc.services[4].vs.persistence_timeout, 600);
	CU_ASSERT_EQUAL(doc.services[14].vs.check.type, FULCRUM_CHECK_NONE); /* checktype=on */
	CU_ASSERT_EQUAL(doc.services[18].vs.family, AF_INET6);
	CU_ASSERT_STRING_EQUAL(addr(&doc.services[18].vs.fallback.addr), "::1");
}

static int suite_clean(void)
{
	config_doc_clear(&doc);
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
	return 0;
}

UNIT_SUITE(config_ldirectord)
{
	CU_pSuite s = CU_add_suite("config_ldirectord", NULL, suite_clean);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "virtual blocks and their real servers", test_virtual_and_reals);
	CU_add_test(s, "protocols, families, firewall marks and names", test_keys_and_names);
	CU_add_test(s, "negotiate checks of http and https", test_http_check);
	CU_add_test(s, "ldirectord's defaults where the file is silent", test_defaults);
	CU_add_test(s, "fallback servers, the block's and the global ones", test_fallback);
	CU_add_test(s, "checks Fulcrum has not: notes and the nearest", test_checks_approximated);
	CU_add_test(s, "known directives noted, unknown refused unless lenient",
		    test_unknown_and_ignored);
	CU_add_test(s, "every error of a file in one pass", test_all_errors);
	CU_add_test(s, "a timeout above the interval names both lines",
		    test_timeout_above_interval);
	CU_add_test(s, "the same service or real server twice", test_duplicate_service);
	CU_add_test(s, "fork=yes lets a block's checkinterval count", test_fork_interval);
	CU_add_test(s, "hostile input refused cleanly", test_hostile);
	CU_add_test(s, "Debian's example file", test_debian_example);
	CU_add_test(s, "every sample block of Debian's example", test_debian_example_blocks);
	return CU_get_error();
}
