/* The IPVS client against a real kernel, ipvsadm as witness: run by scenarios/03-ipvs-client.sh. */
#include "controller/ipvs/ipvs.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static struct ipvs *g;
/* The topology, from the scenario (defaults: tests/vm/lib/topology.sh's). */
static const char *vip, *vip6, *rs1, *rs2, *client_ns, *sync_if;
static long n_services;

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("\n    note: ");
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n    ");
	fflush(stdout);
}

/* Asserts a == b, printing both when they differ. */
#define CHECK_EQ(a, b, what)                                                                       \
	do {                                                                                       \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);     \
		if (a_ != b_)                                                                      \
			note("%s: got %llu, want %llu", (what), a_, b_);                           \
		CU_ASSERT_EQUAL(a_, b_);                                                           \
	} while (0)

/* Asserts rc == want, naming the call and putting rc in words when they differ. */
#define CHECK_RC(rc, want, op)                                                                     \
	do {                                                                                       \
		int r_ = (rc);                                                                     \
		char b_[256];                                                                      \
		if (r_ != (want))                                                                  \
			note("%s: got %d (%s), want %d", #rc, r_,                                  \
			     ipvs_strerror(op, r_, NULL, b_, sizeof(b_)), (want));                 \
		CU_ASSERT_EQUAL(r_, (want));                                                       \
	} while (0)

/* Runs cmd with the shell and returns its output (static buffer), "" on failure. */
static const char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *run(const char *fmt, ...)
{
	static char out[1 << 20];
	char cmd[512];
	size_t n = 0, got;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	out[0] = '\0';
	p = popen(cmd, "r");
	if (!p)
		return out;
	while (n < sizeof(out) - 1 && (got = fread(out + n, 1, sizeof(out) - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	pclose(p);
	return out;
}

/*
 * Finds the line of text whose first two words are w0 and w1 and splits it
 * into words (at most max, 64 bytes each). Returns how many, 0 if no line.
 */
static int line_words(const char *text, const char *w0, const char *w1, char words[][64], int max)
{
	char line[512];

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int n = 0;

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		for (char *save, *t = strtok_r(line, " \t", &save); t && n < max;
		     t = strtok_r(NULL, " \t", &save))
			snprintf(words[n++], 64, "%s", t);
		if (n >= 2 && strcmp(words[0], w0) == 0 && strcmp(words[1], w1) == 0)
			return n;
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

/* True when text holds line as one whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static size_t lines_of(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static struct ipvs_service svc_addr(uint16_t protocol, const char *addr, uint16_t port,
				    const char *sched)
{
	struct ipvs_service s = {.protocol = protocol, .port = port};

	s.af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	inet_pton(s.af, addr, &s.addr);
	snprintf(s.sched_name, sizeof(s.sched_name), "%s", sched);
	s.netmask = s.af == AF_INET6 ? 128 : 0xffffffffu;
	return s;
}

static struct ipvs_service svc_fwm(int af, uint32_t mark, const char *sched)
{
	struct ipvs_service s = {.af = af, .fwmark = mark};

	snprintf(s.sched_name, sizeof(s.sched_name), "%s", sched);
	s.netmask = af == AF_INET6 ? 128 : 0xffffffffu;
	return s;
}

static struct ipvs_dest dest_of(const char *addr, uint16_t port, enum ipvs_fwd fwd, uint32_t weight)
{
	struct ipvs_dest d = {.port = port, .fwd = fwd, .weight = weight};

	d.af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	inet_pton(d.af, addr, &d.addr);
	return d;
}

static const char *svc_text(const struct ipvs_service *s)
{
	static char buf[IPVS_SERVICE_STRLEN];

	return ipvs_service_format(s, buf, sizeof(buf));
}

static const char *dest_text(const struct ipvs_dest *d)
{
	static char buf[IPVS_DEST_STRLEN];

	return ipvs_dest_format(d, buf, sizeof(buf));
}

/* Every field a write sets, compared. */
static void check_service(const struct ipvs_service *got, const struct ipvs_service *want)
{
	char what[128];

	snprintf(what, sizeof(what), "%s", svc_text(want));
	if (strcmp(svc_text(got), what) != 0)
		note("service %s read back as %s", what, svc_text(got));
	CU_ASSERT_EQUAL(got->af, want->af);
	CU_ASSERT_EQUAL(got->protocol, want->protocol);
	CU_ASSERT_EQUAL(got->port, want->port);
	CU_ASSERT_EQUAL(got->fwmark, want->fwmark);
	CU_ASSERT_EQUAL(memcmp(&got->addr, &want->addr, sizeof(got->addr)), 0);
	if (strcmp(got->sched_name, want->sched_name) != 0)
		note("%s: scheduler %s, want %s", what, got->sched_name, want->sched_name);
	CU_ASSERT_STRING_EQUAL(got->sched_name, want->sched_name);
	CHECK_EQ(got->flags, want->flags, what);
	CHECK_EQ(got->timeout, want->timeout, what);
	CHECK_EQ(got->netmask, want->netmask, what);
}

static void check_dest(const struct ipvs_dest *got, const struct ipvs_dest *want)
{
	char what[128];

	snprintf(what, sizeof(what), "real server %s", dest_text(want));
	CU_ASSERT_EQUAL(got->af, want->af);
	CU_ASSERT_EQUAL(memcmp(&got->addr, &want->addr, sizeof(got->addr)), 0);
	CHECK_EQ(got->port, want->port, what);
	CHECK_EQ(got->fwd, want->fwd, what);
	CHECK_EQ(got->weight, want->weight, what);
	CHECK_EQ(got->u_threshold, want->u_threshold, what);
	CHECK_EQ(got->l_threshold, want->l_threshold, what);
	CHECK_EQ(got->tun_type, want->tun_type, what);
	CHECK_EQ(got->tun_port, want->tun_port, what);
	CHECK_EQ(got->tun_flags, want->tun_flags, what);
}

/* The service of list[0..n-1] with want's key, or NULL. */
static const struct ipvs_service *find_service(const struct ipvs_service *list, size_t n,
					       const struct ipvs_service *want)
{
	char w[IPVS_SERVICE_STRLEN], o[IPVS_SERVICE_STRLEN];

	ipvs_service_format(want, w, sizeof(w));
	for (size_t i = 0; i < n; i++)
		if (strcmp(ipvs_service_format(&list[i], o, sizeof(o)), w) == 0)
			return &list[i];
	return NULL;
}

static const struct ipvs_dest *find_dest(const struct ipvs_dest *list, size_t n,
					 const struct ipvs_dest *want)
{
	char w[IPVS_DEST_STRLEN], o[IPVS_DEST_STRLEN];

	ipvs_dest_format(want, w, sizeof(w));
	for (size_t i = 0; i < n; i++)
		if (strcmp(ipvs_dest_format(&list[i], o, sizeof(o)), w) == 0)
			return &list[i];
	return NULL;
}

/* Dumps svc's real servers and checks that they are want[0..n-1], as written. */
static void check_dests(const struct ipvs_service *svc, const struct ipvs_dest *want, size_t n)
{
	struct ipvs_dest *list = NULL;
	size_t got_n = 0;

	CHECK_RC(ipvs_dest_list(g, svc, &list, &got_n), 0, IPVS_OP_DEST_LIST);
	CHECK_EQ(got_n, n, "real servers dumped");
	for (size_t i = 0; i < n; i++) {
		const struct ipvs_dest *d = find_dest(list, got_n, &want[i]);

		if (!d)
			note("real server %s missing from the dump", dest_text(&want[i]));
		CU_ASSERT_PTR_NOT_NULL(d);
		if (d)
			check_dest(d, &want[i]);
	}
	CU_ASSERT_TRUE(n > 0 || list == NULL);
	free(list);
}

/* Dumps the services and checks that each of want[] is there once, as written. */
static void check_dump(const struct ipvs_service *want, size_t n_want)
{
	struct ipvs_service *list = NULL, one;
	size_t n = 0;

	CHECK_RC(ipvs_service_list(g, &list, &n), 0, IPVS_OP_SERVICE_LIST);
	CHECK_EQ(n, n_want, "services dumped");
	for (size_t i = 0; i < n_want; i++) {
		const struct ipvs_service *got = find_service(list, n, &want[i]);

		if (!got) {
			note("service %s missing from the dump", svc_text(&want[i]));
			CU_FAIL("service missing from the dump");
			continue;
		}
		check_service(got, &want[i]);
		CHECK_RC(ipvs_service_get(g, &want[i], &one), 0, IPVS_OP_SERVICE_GET);
		check_service(&one, &want[i]);
	}
	free(list);
}

static int suite_init(void)
{
	vip = env_or("IPVS_TEST_VIP", "10.0.2.100");
	vip6 = env_or("IPVS_TEST_VIP6", "fd00:2::100");
	rs1 = env_or("IPVS_TEST_RS1", "10.0.1.11");
	rs2 = env_or("IPVS_TEST_RS2", "10.0.1.12");
	client_ns = env_or("IPVS_TEST_CLIENT_NS", "client");
	sync_if = env_or("IPVS_TEST_SYNC_IF", "fsync0");
	n_services = strtol(env_or("IPVS_TEST_SERVICES", "10000"), NULL, 10);
	if (ipvs_open(&g) < 0 || !ipvs_info(g)->available) {
		fprintf(stderr, "IPVS is not available: %s\n",
			g ? ipvs_info(g)->reason : "no memory");
		return 1;
	}
	return ipvs_flush(g) == 0 ? 0 : 1;
}

static int suite_clean(void)
{
	if (g)
		ipvs_flush(g);
	ipvs_close(g);
	g = NULL;
	return 0;
}

static void test_info(void)
{
	char ver[16];

	CU_ASSERT_TRUE(ipvs_info(g)->available);
	CU_ASSERT_STRING_EQUAL(ipvs_version_format(ipvs_info(g)->version, ver, sizeof(ver)),
			       "1.2.1");
	CU_ASSERT_TRUE(ipvs_info(g)->conn_table_size > 0);
	CU_ASSERT_TRUE(strstr(run("ipvsadm -Ln"), "IP Virtual Server version 1.2.1") != NULL);
}

/* Services of every kind: add, dump (and get), ipvsadm's view, edit in place, delete. */
static void test_services_every_kind(void)
{
	struct ipvs_service want[10];
	size_t n = 0;
	const char *saved;
	char line[160];

	want[n] = svc_addr(IPPROTO_TCP, vip, 80, "wlc");
	want[n].flags = IPVS_SVC_F_PERSISTENT, want[n].timeout = 300,
	want[n++].netmask = 0xffffff00;
	want[n] = svc_addr(IPPROTO_UDP, vip, 53, "sh");
	want[n++].flags = IPVS_SVC_F_SCHED1 | IPVS_SVC_F_SCHED2 | IPVS_SVC_F_ONEPACKET;
	want[n] = svc_addr(IPPROTO_TCP, vip, 81, "mh");
	want[n++].flags = IPVS_SVC_F_SCHED1 | IPVS_SVC_F_SCHED2;
	want[n++] = svc_addr(IPPROTO_SCTP, vip, 9, "nq");
	want[n] = svc_addr(IPPROTO_TCP, vip, 0, "sed"); /* every port: persistence required */
	want[n].flags = IPVS_SVC_F_PERSISTENT, want[n++].timeout = 10;
	want[n] = svc_addr(IPPROTO_TCP, vip6, 80, "rr");
	want[n].flags = IPVS_SVC_F_PERSISTENT, want[n].timeout = 60, want[n++].netmask = 64;
	want[n++] = svc_addr(IPPROTO_UDP, vip6, 53, "wrr");
	want[n++] = svc_addr(IPPROTO_SCTP, vip6, 9, "lc");
	want[n++] = svc_fwm(AF_INET, 7, "lc");
	want[n++] = svc_fwm(AF_INET6, 8, "dh");

	for (size_t i = 0; i < n; i++)
		CHECK_RC(ipvs_service_add(g, &want[i], 0), 0, IPVS_OP_SERVICE_ADD);
	check_dump(want, n);

	/* ipvsadm, reading the same kernel, sees what we wrote. */
	saved = run("ipvsadm -S -n");
	snprintf(line, sizeof(line), "-A -t %s:80 -s wlc -p 300 -M 255.255.255.0", vip);
	CU_ASSERT_TRUE(has_line(saved, line));
	snprintf(line, sizeof(line), "-A -u %s:53 -s sh -o -b sh-fallback,sh-port", vip);
	CU_ASSERT_TRUE(has_line(saved, line));
	snprintf(line, sizeof(line), "-A -t %s:81 -s mh -b mh-fallback,mh-port", vip);
	CU_ASSERT_TRUE(has_line(saved, line));
	snprintf(line, sizeof(line), "-A --sctp-service %s:9 -s nq", vip);
	CU_ASSERT_TRUE(has_line(saved, line));
	snprintf(line, sizeof(line), "-A -t [%s]:80 -s rr -p 60 -M 64", vip6);
	CU_ASSERT_TRUE(has_line(saved, line));
	CU_ASSERT_TRUE(has_line(saved, "-A -f 7 -s lc"));
	CU_ASSERT_TRUE(has_line(saved, "-A -f 8 -6 -s dh"));
	if (!has_line(saved, "-A -f 8 -6 -s dh"))
		note("ipvsadm -S -n said:\n%s", saved);

	/* Edit in place: scheduler, flags, timeout, netmask. */
	snprintf(want[0].sched_name, sizeof(want[0].sched_name), "lblc");
	want[0].timeout = 900, want[0].netmask = 0xffff0000;
	want[1].flags = IPVS_SVC_F_SCHED1; /* one-packet off, port off */
	want[2].flags = 0;
	snprintf(want[3].sched_name, sizeof(want[3].sched_name), "fo");
	want[5].flags = 0, want[5].timeout = 0, want[5].netmask = 128;
	snprintf(want[6].sched_name, sizeof(want[6].sched_name), "ovf");
	want[7].flags = IPVS_SVC_F_PERSISTENT, want[7].timeout = 30, want[7].netmask = 48;
	snprintf(want[8].sched_name, sizeof(want[8].sched_name), "lblcr");
	want[9].flags = IPVS_SVC_F_ONEPACKET;
	for (size_t i = 0; i < n; i++)
		CHECK_RC(ipvs_service_edit(g, &want[i]), 0, IPVS_OP_SERVICE_EDIT);
	check_dump(want, n);
	saved = run("ipvsadm -S -n");
	snprintf(line, sizeof(line), "-A -t %s:80 -s lblc -p 900 -M 255.255.0.0", vip);
	CU_ASSERT_TRUE(has_line(saved, line));
	snprintf(line, sizeof(line), "-A -u %s:53 -s sh -b sh-fallback", vip);
	CU_ASSERT_TRUE(has_line(saved, line));
	CU_ASSERT_TRUE(has_line(saved, "-A -f 7 -s lblcr"));

	for (size_t i = 0; i < n; i++)
		CHECK_RC(ipvs_service_del(g, &want[i], 0), 0, IPVS_OP_SERVICE_DEL);
	check_dump(NULL, 0);
	CHECK_EQ(lines_of(run("ipvsadm -Ln")), 3, "lines of ipvsadm -Ln (its header only)");
}

/* Errors of service writes, in the kernel's errno and in words; idempotent writes. */
static void test_service_errors(void)
{
	struct ipvs_service s = svc_addr(IPPROTO_TCP, vip, 80, "rr");
	struct ipvs_service v6 = svc_addr(IPPROTO_TCP, vip6, 80, "rr");
	char buf[256];

	CHECK_RC(ipvs_service_add(g, &s, 0), 0, IPVS_OP_SERVICE_ADD);
	CHECK_RC(ipvs_service_add(g, &s, 0), -EEXIST, IPVS_OP_SERVICE_ADD);
	CU_ASSERT_STRING_EQUAL(ipvs_strerror(IPVS_OP_SERVICE_ADD, -EEXIST, NULL, buf, sizeof(buf)),
			       "service already exists");
	CHECK_RC(ipvs_service_add(g, &s, IPVS_F_IDEMPOTENT), 0, IPVS_OP_SERVICE_ADD);
	CHECK_RC(ipvs_service_del(g, &s, 0), 0, IPVS_OP_SERVICE_DEL);
	CHECK_RC(ipvs_service_del(g, &s, 0), -ESRCH, IPVS_OP_SERVICE_DEL);
	CU_ASSERT_STRING_EQUAL(ipvs_strerror(IPVS_OP_SERVICE_DEL, -ESRCH, NULL, buf, sizeof(buf)),
			       "no such service");
	CHECK_RC(ipvs_service_del(g, &s, IPVS_F_IDEMPOTENT), 0, IPVS_OP_SERVICE_DEL);
	CHECK_RC(ipvs_service_edit(g, &s), -ESRCH, IPVS_OP_SERVICE_EDIT);
	CHECK_RC(ipvs_zero(g, &s), -ESRCH, IPVS_OP_ZERO);
	CHECK_RC(ipvs_service_get(g, &s, &v6), -ESRCH, IPVS_OP_SERVICE_GET);
	/* IPv6 persistence granularity is a prefix length of 1..128. */
	v6 = svc_addr(IPPROTO_TCP, vip6, 80, "rr");
	v6.flags = IPVS_SVC_F_PERSISTENT, v6.timeout = 60, v6.netmask = 0;
	CHECK_RC(ipvs_service_add(g, &v6, 0), -EINVAL, IPVS_OP_SERVICE_ADD);
	note("IPv6 netmask 0: %s",
	     ipvs_strerror(IPVS_OP_SERVICE_ADD, -EINVAL, NULL, buf, sizeof(buf)));
	s.af = 99;
	CHECK_RC(ipvs_service_add(g, &s, 0), -EAFNOSUPPORT, IPVS_OP_SERVICE_ADD);
	check_dump(NULL, 0);
}

/* Every scheduler 6.1 has, and the words for one it has not. */
static void test_every_scheduler(void)
{
	static const char *const names[] = {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh",
					    "sh", "sed", "nq", "fo",  "ovf",  "mh",    "twos"};
	char buf[256], key[64], words[8][64];
	const char *listing;
	struct ipvs_service s, got;
	int rc;

	for (size_t i = 0; i < COUNT(names); i++) {
		s = svc_addr(IPPROTO_TCP, vip, (uint16_t)(1000 + i), names[i]);
		rc = ipvs_service_add(g, &s, 0);
		if (rc == -ENOENT && strcmp(names[i], "twos") == 0) {
			CU_ASSERT_STRING_EQUAL(
			    ipvs_strerror(IPVS_OP_SERVICE_ADD, rc, names[i], buf, sizeof(buf)),
			    "scheduler 'twos' is not available in this kernel (twos is newer than "
			    "Linux 6.1)");
			note("skipped twos: Linux 6.1 has no such scheduler; the kernel said "
			     "ENOENT, in words: %s",
			     buf);
			continue;
		}
		CHECK_RC(rc, 0, IPVS_OP_SERVICE_ADD);
		CHECK_RC(ipvs_service_get(g, &s, &got), 0, IPVS_OP_SERVICE_GET);
		CU_ASSERT_STRING_EQUAL(got.sched_name, names[i]);
	}
	listing = run("ipvsadm -Ln");
	for (size_t i = 0; i < COUNT(names) - 1; i++) {
		snprintf(key, sizeof(key), "%s:%zu", vip, 1000 + i);
		CU_ASSERT_TRUE(line_words(listing, "TCP", key, words, 8) >= 3 &&
			       strcmp(words[2], names[i]) == 0);
	}
	/* A scheduler that does not exist: ENOENT on add and on edit, the same words. */
	s = svc_addr(IPPROTO_TCP, vip, 999, "nosuch");
	rc = ipvs_service_add(g, &s, 0);
	CHECK_RC(rc, -ENOENT, IPVS_OP_SERVICE_ADD);
	CU_ASSERT_STRING_EQUAL(
	    ipvs_strerror(IPVS_OP_SERVICE_ADD, rc, s.sched_name, buf, sizeof(buf)),
	    "scheduler 'nosuch' is not available in this kernel");
	s = svc_addr(IPPROTO_TCP, vip, 1000, "nosuch");
	CHECK_RC(ipvs_service_edit(g, &s), -ENOENT, IPVS_OP_SERVICE_EDIT);
	CHECK_RC(ipvs_service_get(g, &s, &got), 0, IPVS_OP_SERVICE_GET);
	CU_ASSERT_STRING_EQUAL(got.sched_name, "rr"); /* a failed edit changes nothing */
	CHECK_RC(ipvs_flush(g), 0, IPVS_OP_FLUSH);
}

/* Real servers of every forwarding method and tunnel type, thresholds; edit; delete. */
static void test_dests_every_kind(void)
{
	struct ipvs_service s = svc_addr(IPPROTO_TCP, vip, 80, "wlc");
	struct ipvs_service fwm = svc_fwm(AF_INET, 7, "rr"), fwm6 = svc_fwm(AF_INET6, 9, "wrr");
	struct ipvs_service s6 = svc_addr(IPPROTO_TCP, vip6, 80, "wlc");
	struct ipvs_dest want[9];
	size_t n = 0;
	char words[10][64], key[64];
	const char *text;

	want[n] = dest_of(rs1, 80, IPVS_FWD_MASQ, 3);
	want[n].u_threshold = 100, want[n++].l_threshold = 10;
	want[n++] = dest_of(rs2, 80, IPVS_FWD_ROUTE, 0);
	want[n++] = dest_of("10.0.1.13", 80, IPVS_FWD_TUNNEL, 1);
	want[n] = dest_of("10.0.1.14", 80, IPVS_FWD_TUNNEL, 1);
	want[n].tun_type = IPVS_TUN_GUE, want[n++].tun_port = 6080;
	want[n] = dest_of("10.0.1.15", 80, IPVS_FWD_TUNNEL, 2);
	want[n].tun_type = IPVS_TUN_GUE, want[n].tun_port = 6081, want[n++].tun_flags = 1;
	want[n] = dest_of("10.0.1.16", 80, IPVS_FWD_TUNNEL, 1);
	want[n].tun_type = IPVS_TUN_GUE, want[n].tun_port = 6082;
	want[n++].tun_flags = IPVS_TUN_F_REMCSUM;
	want[n] = dest_of("10.0.1.17", 80, IPVS_FWD_TUNNEL, 1);
	want[n].tun_type = IPVS_TUN_GRE, want[n++].tun_flags = IPVS_TUN_F_CSUM;
	want[n] = dest_of("10.0.1.18", 80, IPVS_FWD_TUNNEL, 1);
	want[n++].tun_type = IPVS_TUN_GRE;
	want[n++] =
	    dest_of("fd00:1::11", 80, IPVS_FWD_TUNNEL, 1); /* IPv6 behind IPv4: tunnels only */

	CHECK_RC(ipvs_service_add(g, &s, 0), 0, IPVS_OP_SERVICE_ADD);
	for (size_t i = 0; i < n; i++)
		CHECK_RC(ipvs_dest_add(g, &s, &want[i], 0), 0, IPVS_OP_DEST_ADD);
	check_dests(&s, want, n);

	/* ipvsadm's view: thresholds, and tunnels as it spells them. */
	text = run("ipvsadm -Ln --thresholds");
	snprintf(key, sizeof(key), "%s:80", rs1);
	CU_ASSERT_TRUE(line_words(text, "->", key, words, 10) >= 4 &&
		       strcmp(words[2], "100") == 0 && strcmp(words[3], "10") == 0);
	text = run("ipvsadm -Ln --tun-info");
	CU_ASSERT_TRUE(line_words(text, "->", "10.0.1.14:80", words, 10) >= 4 &&
		       strcmp(words[3], "gue:6080:-c") == 0);
	CU_ASSERT_TRUE(line_words(text, "->", "10.0.1.15:80", words, 10) >= 4 &&
		       strcmp(words[3], "gue:6081:+c") == 0);
	CU_ASSERT_TRUE(line_words(text, "->", "10.0.1.17:80", words, 10) >= 4 &&
		       strcmp(words[3], "gre:+c") == 0);
	CU_ASSERT_TRUE(line_words(text, "->", "[fd00:1::11]:80", words, 10) >= 4 &&
		       strcmp(words[2], "Tunnel") == 0 && strcmp(words[3], "ipip") == 0);
	snprintf(key, sizeof(key), "%s:80", rs2);
	CU_ASSERT_TRUE(line_words(text, "->", key, words, 10) >= 5 &&
		       strcmp(words[2], "Route") == 0 && strcmp(words[4], "0") == 0);

	/* Edit in place: weight, thresholds, method, tunnel type and port. */
	want[0].weight = 7, want[0].u_threshold = 50, want[0].l_threshold = 0;
	want[1].fwd = IPVS_FWD_MASQ, want[1].weight = 2;
	want[2].tun_type = IPVS_TUN_GRE;
	want[3].tun_port = 7080, want[3].tun_flags = IPVS_TUN_F_CSUM;
	want[4].fwd = IPVS_FWD_ROUTE, want[4].tun_type = IPVS_TUN_IPIP, want[4].tun_port = 0;
	want[4].tun_flags = 0;
	for (size_t i = 0; i < n; i++)
		CHECK_RC(ipvs_dest_edit(g, &s, &want[i]), 0, IPVS_OP_DEST_EDIT);
	check_dests(&s, want, n);

	/* Delete them all. */
	for (size_t i = 0; i < n; i++)
		CHECK_RC(ipvs_dest_del(g, &s, &want[i], 0), 0, IPVS_OP_DEST_DEL);
	check_dests(&s, NULL, 0);

	/* IPv6: masq and route in an address service, route in a firewall-mark one. */
	want[0] = dest_of("fd00:1::11", 8080, IPVS_FWD_MASQ, 4);
	want[0].u_threshold = 1000, want[0].l_threshold = 900;
	want[1] = dest_of("fd00:1::12", 80, IPVS_FWD_ROUTE, 1);
	CHECK_RC(ipvs_service_add(g, &s6, 0), 0, IPVS_OP_SERVICE_ADD);
	for (size_t i = 0; i < 2; i++)
		CHECK_RC(ipvs_dest_add(g, &s6, &want[i], 0), 0, IPVS_OP_DEST_ADD);
	check_dests(&s6, want, 2);
	CHECK_RC(ipvs_service_add(g, &fwm6, 0), 0, IPVS_OP_SERVICE_ADD);
	want[2] = dest_of("fd00:1::13", 0, IPVS_FWD_ROUTE, 1);
	CHECK_RC(ipvs_dest_add(g, &fwm6, &want[2], 0), 0, IPVS_OP_DEST_ADD);
	check_dests(&fwm6, &want[2], 1);

	/* A firewall-mark service: direct routing keeps port 0. */
	CHECK_RC(ipvs_service_add(g, &fwm, 0), 0, IPVS_OP_SERVICE_ADD);
	want[0] = dest_of(rs1, 0, IPVS_FWD_ROUTE, 1);
	CHECK_RC(ipvs_dest_add(g, &fwm, &want[0], 0), 0, IPVS_OP_DEST_ADD);
	check_dests(&fwm, want, 1);
	text = run("ipvsadm -S -n");
	snprintf(key, sizeof(key), "-a -f 7 -r %s:0 -g -w 1", rs1);
	CU_ASSERT_TRUE(has_line(text, key));
	CU_ASSERT_TRUE(has_line(text, "-a -t [fd00:2::100]:80 -r [fd00:1::11]:8080 -m -w 4") ||
		       strcmp(vip6, "fd00:2::100") != 0);
	CU_ASSERT_TRUE(has_line(text, "-a -f 9 -6 -r [fd00:1::13]:0 -g -w 1"));
	if (!has_line(text, key))
		note("ipvsadm -S -n said:\n%s", text);
	CHECK_RC(ipvs_flush(g), 0, IPVS_OP_FLUSH);
}

/* Errors of real-server writes, in errno and words; idempotent writes. */
static void test_dest_errors(void)
{
	struct ipvs_service s = svc_addr(IPPROTO_TCP, vip, 80, "rr");
	struct ipvs_service none = svc_addr(IPPROTO_TCP, vip, 81, "rr");
	struct ipvs_dest d = dest_of(rs1, 80, IPVS_FWD_MASQ, 1), bad, *list = NULL;
	char buf[256];
	size_t n = 9;

	CHECK_RC(ipvs_service_add(g, &s, 0), 0, IPVS_OP_SERVICE_ADD);
	CHECK_RC(ipvs_dest_add(g, &s, &d, 0), 0, IPVS_OP_DEST_ADD);
	CHECK_RC(ipvs_dest_add(g, &s, &d, 0), -EEXIST, IPVS_OP_DEST_ADD);
	CHECK_RC(ipvs_dest_add(g, &s, &d, IPVS_F_IDEMPOTENT), 0, IPVS_OP_DEST_ADD);
	CHECK_RC(ipvs_dest_add(g, &none, &d, 0), -ESRCH, IPVS_OP_DEST_ADD);
	CU_ASSERT_STRING_EQUAL(ipvs_strerror(IPVS_OP_DEST_ADD, -ESRCH, NULL, buf, sizeof(buf)),
			       "no such service");
	/* The kernel answers a dump for a missing service with nothing. */
	CHECK_RC(ipvs_dest_list(g, &none, &list, &n), 0, IPVS_OP_DEST_LIST);
	CHECK_EQ(n, 0, "real servers of a missing service");

	bad = dest_of("fd00:1::11", 80, IPVS_FWD_MASQ, 1);
	CHECK_RC(ipvs_dest_add(g, &s, &bad, 0), -EPFNOSUPPORT, IPVS_OP_DEST_ADD);
	CU_ASSERT_STRING_EQUAL(
	    ipvs_strerror(IPVS_OP_DEST_ADD, -EPFNOSUPPORT, NULL, buf, sizeof(buf)),
	    "real server address family differs from the service's (only tunnel forwarding may "
	    "mix IPv4 and IPv6)");
	bad = dest_of(rs2, 80, IPVS_FWD_TUNNEL, 1);
	bad.tun_type = IPVS_TUN_GUE;
	CHECK_RC(ipvs_dest_add(g, &s, &bad, 0), -EDESTADDRREQ, IPVS_OP_DEST_ADD);
	CU_ASSERT_STRING_EQUAL(
	    ipvs_strerror(IPVS_OP_DEST_ADD, -EDESTADDRREQ, NULL, buf, sizeof(buf)),
	    "tunnel type gue needs a port");
	bad = dest_of(rs2, 80, IPVS_FWD_MASQ, 1);
	bad.l_threshold = 5; /* and no upper threshold */
	CHECK_RC(ipvs_dest_add(g, &s, &bad, 0), -ERANGE, IPVS_OP_DEST_ADD);
	note("lower threshold alone: %s",
	     ipvs_strerror(IPVS_OP_DEST_ADD, -ERANGE, NULL, buf, sizeof(buf)));
	bad = dest_of("224.0.0.1", 80, IPVS_FWD_MASQ, 1);
	CHECK_RC(ipvs_dest_add(g, &s, &bad, 0), -EINVAL, IPVS_OP_DEST_ADD);

	bad = dest_of(rs2, 80, IPVS_FWD_MASQ, 1);
	CHECK_RC(ipvs_dest_edit(g, &s, &bad), -ENOENT, IPVS_OP_DEST_EDIT);
	CHECK_RC(ipvs_dest_del(g, &s, &bad, 0), -ENOENT, IPVS_OP_DEST_DEL);
	CU_ASSERT_STRING_EQUAL(ipvs_strerror(IPVS_OP_DEST_DEL, -ENOENT, NULL, buf, sizeof(buf)),
			       "no such real server in this service");
	CHECK_RC(ipvs_dest_del(g, &s, &bad, IPVS_F_IDEMPOTENT), 0, IPVS_OP_DEST_DEL);
	CHECK_RC(ipvs_dest_del(g, &none, &bad, IPVS_F_IDEMPOTENT), 0, IPVS_OP_DEST_DEL);
	CHECK_RC(ipvs_dest_del(g, &s, &d, 0), 0, IPVS_OP_DEST_DEL);
	CHECK_RC(ipvs_flush(g), 0, IPVS_OP_FLUSH);
}

/* 10,000 services added, dumped in one list (timed), counted by ipvsadm too. */
static void test_many_services(void)
{
	struct ipvs_service s = svc_addr(IPPROTO_TCP, "10.100.0.1", 80, "rr"), *list = NULL;
	unsigned char *seen = calloc((size_t)n_services, 1);
	size_t n = 0, lines = 0;
	double t0, t_add, t_dump[3];
	const char *text;
	int rc = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
	t0 = now_ms();
	for (long i = 0; i < n_services && rc == 0; i++) {
		s.addr.v4.s_addr = htonl(0x0a640000u + (uint32_t)i); /* 10.100.0.0/16 */
		rc = ipvs_service_add(g, &s, 0);
	}
	CHECK_RC(rc, 0, IPVS_OP_SERVICE_ADD);
	t_add = now_ms() - t0;
	for (int k = 0; k < 3; k++) {
		free(list);
		t0 = now_ms();
		rc = ipvs_service_list(g, &list, &n);
		t_dump[k] = now_ms() - t0;
		CHECK_RC(rc, 0, IPVS_OP_SERVICE_LIST);
	}
	CHECK_EQ(n, n_services, "services in one dump");
	for (size_t i = 0; i < n; i++) {
		uint32_t idx = ntohl(list[i].addr.v4.s_addr) - 0x0a640000u;

		if (idx < (uint32_t)n_services && list[i].port == 80 && !seen[idx]++)
			continue;
		CU_FAIL("a service in the dump that was not added, or twice");
		break;
	}
	free(list);
	free(seen);
	text = run("ipvsadm -Ln");
	for (const char *p = strstr(text, "\nTCP "); p; p = strstr(p + 1, "\nTCP "))
		lines++;
	CHECK_EQ(lines, n_services, "services ipvsadm -Ln shows");
	t0 = now_ms();
	CHECK_RC(ipvs_flush(g), 0, IPVS_OP_FLUSH);
	note("%ld services: added one by one in %.0f ms; dumped in %.0f, %.0f, %.0f ms; flushed "
	     "in %.0f ms",
	     n_services, t_add, t_dump[0], t_dump[1], t_dump[2], now_ms() - t0);
	printf("\nRESULT dump of %ld services: %.0f ms (best of 3: %.0f ms)\n", n_services,
	       t_dump[0],
	       t_dump[0] < t_dump[1] ? (t_dump[0] < t_dump[2] ? t_dump[0] : t_dump[2])
				     : (t_dump[1] < t_dump[2] ? t_dump[1] : t_dump[2]));
}

/* The five counters, in ipvsadm --stats order. */
static void stats5(const struct ipvs_stats *s, uint64_t out[5])
{
	out[0] = s->conns, out[1] = s->inpkts, out[2] = s->outpkts;
	out[3] = s->inbytes, out[4] = s->outbytes;
}

/* The five counters of the ipvsadm --stats line whose first words are w0 w1; false if none. */
static bool ipvsadm_stats(const char *text, const char *w0, const char *w1, uint64_t out[5])
{
	char words[8][64];

	if (line_words(text, w0, w1, words, 8) < 7)
		return false;
	for (int i = 0; i < 5; i++)
		out[i] = strtoull(words[2 + i], NULL, 10);
	return true;
}

/* Sends n requests from the client namespace to http://vip/; returns how many were answered. */
static int client_requests(int n)
{
	char cmd[256];
	int ok = 0;

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s curl -s -o /dev/null --noproxy '*' --max-time 3 http://%s/",
		 client_ns, vip);
	for (int i = 0; i < n; i++)
		if (system(cmd) == 0)
			ok++;
	return ok;
}

/* Connections counted on svc's real servers, all together; -1 on error. */
static long dest_conns(const struct ipvs_service *svc)
{
	struct ipvs_dest *list = NULL;
	size_t n = 0;
	long total = 0;

	if (ipvs_dest_list(g, svc, &list, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		total += (long)list[i].stats.conns;
	free(list);
	return total;
}

/*
 * Waits until svc's real servers count conns connections (6.1 folds per-CPU
 * counters in every 2 s, so up to 8 s), one more estimator round for the last
 * packets, then compares our counters of svc and each real server with
 * ipvsadm -Ln --stats --exact, read between two reads of ours that agree.
 * Returns true when all matched; *dests gets our last list (free() it).
 */
static bool counters_match_ipvsadm(const struct ipvs_service *svc, long conns,
				   struct ipvs_dest **dests, size_t *n)
{
	double deadline = now_ms() + 8000;
	uint64_t ours[5], again[5], theirs[5];
	struct ipvs_service s1, s2;
	struct ipvs_dest *l2 = NULL;
	char key[IPVS_DEST_STRLEN], words[4][64], skey[64];
	bool same = false;
	size_t n2 = 0;

	*dests = NULL;
	while (dest_conns(svc) != conns && now_ms() < deadline)
		usleep(200 * 1000);
	usleep(2200 * 1000);
	sscanf(svc_text(svc), "%63s %63s", words[0], skey);
	for (int tries = 0; tries < 10 && !same; tries++, usleep(300 * 1000)) {
		const char *text;

		free(*dests);
		free(l2);
		if (ipvs_dest_list(g, svc, dests, n) < 0 || ipvs_service_get(g, svc, &s1) < 0)
			return false;
		text = run("ipvsadm -Ln --stats --exact");
		if (ipvs_dest_list(g, svc, &l2, &n2) < 0 || ipvs_service_get(g, svc, &s2) < 0 ||
		    n2 != *n)
			continue;
		stats5(&s1.stats, ours), stats5(&s2.stats, again);
		same = ipvsadm_stats(text, words[0], skey, theirs) &&
		       memcmp(ours, again, sizeof(ours)) == 0 &&
		       memcmp(ours, theirs, sizeof(ours)) == 0;
		for (size_t i = 0; same && i < *n; i++) {
			stats5(&(*dests)[i].stats, ours), stats5(&l2[i].stats, again);
			same = ipvsadm_stats(text, "->",
					     ipvs_dest_format(&(*dests)[i], key, sizeof(key)),
					     theirs) &&
			       memcmp(ours, again, sizeof(ours)) == 0 &&
			       memcmp(ours, theirs, sizeof(ours)) == 0;
		}
		if (!same && tries == 9)
			note("counters never matched ipvsadm; it said:\n%s", text);
	}
	free(l2);
	return same;
}

/* Real traffic through a masq service: counters as ipvsadm shows them; zeroing one and all. */
static void test_counters_after_traffic(void)
{
	struct ipvs_service s = svc_addr(IPPROTO_TCP, vip, 80, "rr"), got;
	struct ipvs_dest d1 = dest_of(rs1, 80, IPVS_FWD_MASQ, 1);
	struct ipvs_dest d2 = dest_of(rs2, 80, IPVS_FWD_MASQ, 1);
	struct ipvs_dest *list = NULL;
	size_t n = 0;

	CHECK_RC(ipvs_service_add(g, &s, 0), 0, IPVS_OP_SERVICE_ADD);
	CHECK_RC(ipvs_dest_add(g, &s, &d1, 0), 0, IPVS_OP_DEST_ADD);
	CHECK_RC(ipvs_dest_add(g, &s, &d2, 0), 0, IPVS_OP_DEST_ADD);
	CHECK_EQ(client_requests(6), 6, "requests answered through the VIP");
	CU_ASSERT_TRUE(counters_match_ipvsadm(&s, 6, &list, &n));
	CHECK_EQ(n, 2, "real servers");
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ(list[i].stats.conns, 3, "connections per real server (rr)");
		CU_ASSERT_TRUE(list[i].stats.inpkts > 0 && list[i].stats.outpkts > 0);
		CU_ASSERT_TRUE(list[i].stats.inbytes > 0 && list[i].stats.outbytes > 0);
		note("%s: conns %llu, in %llu pkts %llu bytes, out %llu pkts %llu bytes, "
		     "rates %llu cps %llu in-Bps",
		     dest_text(&list[i]), (unsigned long long)list[i].stats.conns,
		     (unsigned long long)list[i].stats.inpkts,
		     (unsigned long long)list[i].stats.inbytes,
		     (unsigned long long)list[i].stats.outpkts,
		     (unsigned long long)list[i].stats.outbytes,
		     (unsigned long long)list[i].stats.cps,
		     (unsigned long long)list[i].stats.inbps);
	}
	free(list);
	/* An edit happens in place: real servers and counters stay. */
	snprintf(s.sched_name, sizeof(s.sched_name), "wrr");
	CHECK_RC(ipvs_service_edit(g, &s), 0, IPVS_OP_SERVICE_EDIT);
	CHECK_EQ(dest_conns(&s), 6, "connections after editing the service");

	/* Zero this service: ours and ipvsadm's read 0 at once. */
	CHECK_RC(ipvs_zero(g, &s), 0, IPVS_OP_ZERO);
	CHECK_RC(ipvs_service_get(g, &s, &got), 0, IPVS_OP_SERVICE_GET);
	CHECK_EQ(got.stats.conns + got.stats.inbytes + got.stats.outbytes, 0, "service after zero");
	CHECK_EQ(dest_conns(&s), 0, "real server connections after zero");
	CU_ASSERT_TRUE(counters_match_ipvsadm(&s, 0, &list, &n));
	free(list);

	/* More traffic, then zero everything. */
	CHECK_EQ(client_requests(2), 2, "requests answered through the VIP");
	CU_ASSERT_TRUE(counters_match_ipvsadm(&s, 2, &list, &n));
	free(list);
	CHECK_RC(ipvs_zero(g, NULL), 0, IPVS_OP_ZERO);
	CHECK_RC(ipvs_service_get(g, &s, &got), 0, IPVS_OP_SERVICE_GET);
	CHECK_EQ(got.stats.conns + got.stats.inpkts + got.stats.outbytes, 0, "after zeroing all");
	CHECK_EQ(dest_conns(&s), 0, "real server connections after zeroing all");
	CHECK_RC(ipvs_flush(g), 0, IPVS_OP_FLUSH);
}

static void test_timeouts(void)
{
	struct ipvs_timeouts orig, t = {.tcp = 100, .tcp_fin = 20, .udp = 30}, got;

	CHECK_RC(ipvs_timeout_get(g, &orig), 0, IPVS_OP_TIMEOUT_GET);
	note("timeouts were tcp %u, tcpfin %u, udp %u", orig.tcp, orig.tcp_fin, orig.udp);
	CU_ASSERT_TRUE(orig.tcp > 0 && orig.tcp_fin > 0 && orig.udp > 0);
	CHECK_RC(ipvs_timeout_set(g, &t), 0, IPVS_OP_TIMEOUT_SET);
	CHECK_RC(ipvs_timeout_get(g, &got), 0, IPVS_OP_TIMEOUT_GET);
	CU_ASSERT_EQUAL(memcmp(&got, &t, sizeof(t)), 0);
	CU_ASSERT_TRUE(
	    has_line(run("ipvsadm -Ln --timeout"), "Timeout (tcp tcpfin udp): 100 20 30"));
	/* 0 leaves a timeout as it is. */
	t = (struct ipvs_timeouts){.tcp_fin = 25};
	CHECK_RC(ipvs_timeout_set(g, &t), 0, IPVS_OP_TIMEOUT_SET);
	CHECK_RC(ipvs_timeout_get(g, &got), 0, IPVS_OP_TIMEOUT_GET);
	CU_ASSERT_TRUE(got.tcp == 100 && got.tcp_fin == 25 && got.udp == 30);
	t = (struct ipvs_timeouts){.udp = UINT32_MAX};
	CHECK_RC(ipvs_timeout_set(g, &t), -EINVAL, IPVS_OP_TIMEOUT_SET);
	CHECK_RC(ipvs_timeout_set(g, &orig), 0, IPVS_OP_TIMEOUT_SET);
	CHECK_RC(ipvs_timeout_get(g, &got), 0, IPVS_OP_TIMEOUT_GET);
	CU_ASSERT_EQUAL(memcmp(&got, &orig, sizeof(orig)), 0);
}

static void test_sync_daemons(void)
{
	struct ipvs_sync_daemon m = {.state = IPVS_SYNC_MASTER, .syncid = 5};
	struct ipvs_sync_daemon b = {.state = IPVS_SYNC_BACKUP, .syncid = 6}, list[2];
	struct ipvs_service s = svc_addr(IPPROTO_TCP, vip, 80, "rr");
	struct ipvs_dest d6 = dest_of("fd00:1::11", 80, IPVS_FWD_TUNNEL, 1);
	char buf[256], line[400];
	size_t n = 9;

	snprintf(m.ifname, sizeof(m.ifname), "%s", sync_if);
	snprintf(b.ifname, sizeof(b.ifname), "%s", sync_if);
	CHECK_RC(ipvs_sync_daemon_list(g, list, &n), 0, IPVS_OP_SYNC_LIST);
	CHECK_EQ(n, 0, "sync daemons before");
	CHECK_RC(ipvs_sync_daemon_start(g, &m), 0, IPVS_OP_SYNC_START);
	CHECK_RC(ipvs_sync_daemon_list(g, list, &n), 0, IPVS_OP_SYNC_LIST);
	CHECK_EQ(n, 1, "sync daemons with a master");
	if (n == 1) {
		CHECK_EQ(list[0].state, IPVS_SYNC_MASTER, "role");
		CU_ASSERT_STRING_EQUAL(list[0].ifname, sync_if);
		CHECK_EQ(list[0].syncid, 5, "sync id");
		CHECK_EQ(list[0].mcast_af, AF_INET, "default group family");
	}
	/* ipvsadm shows the kernel's defaults; ours must be the same. */
	inet_ntop(AF_INET, &list[0].mcast_group, buf, sizeof(buf));
	snprintf(line, sizeof(line),
		 "master sync daemon (mcast=%s, syncid=5, maxlen=%u, group=%s, port=%u, ttl=%u)",
		 sync_if, list[0].maxlen, buf, list[0].mcast_port, list[0].mcast_ttl);
	if (!has_line(run("ipvsadm -Ln --daemon"), line))
		note("ipvsadm -Ln --daemon said:\n%s", run("ipvsadm -Ln --daemon"));
	CU_ASSERT_TRUE(has_line(run("ipvsadm -Ln --daemon"), line));
	CHECK_RC(ipvs_sync_daemon_start(g, &m), -EEXIST, IPVS_OP_SYNC_START);
	/* Mixed families cannot be synced: the kernel refuses them while a daemon runs. */
	CHECK_RC(ipvs_service_add(g, &s, 0), 0, IPVS_OP_SERVICE_ADD);
	CHECK_RC(ipvs_dest_add(g, &s, &d6, 0), -EINVAL, IPVS_OP_DEST_ADD);
	CHECK_RC(ipvs_sync_daemon_start(g, &b), 0, IPVS_OP_SYNC_START);
	CHECK_RC(ipvs_sync_daemon_list(g, list, &n), 0, IPVS_OP_SYNC_LIST);
	CHECK_EQ(n, 2, "sync daemons with a master and a backup");
	CHECK_RC(ipvs_sync_daemon_stop(g, IPVS_SYNC_MASTER), 0, IPVS_OP_SYNC_STOP);
	CHECK_RC(ipvs_sync_daemon_list(g, list, &n), 0, IPVS_OP_SYNC_LIST);
	CU_ASSERT_TRUE(n == 1 && list[0].state == IPVS_SYNC_BACKUP && list[0].syncid == 6);
	CHECK_RC(ipvs_sync_daemon_stop(g, IPVS_SYNC_BACKUP), 0, IPVS_OP_SYNC_STOP);
	CHECK_RC(ipvs_sync_daemon_list(g, list, &n), 0, IPVS_OP_SYNC_LIST);
	CHECK_EQ(n, 0, "sync daemons after stop");
	CHECK_RC(ipvs_sync_daemon_stop(g, IPVS_SYNC_MASTER), -ESRCH, IPVS_OP_SYNC_STOP);
	CU_ASSERT_STRING_EQUAL(ipvs_strerror(IPVS_OP_SYNC_STOP, -ESRCH, "master", buf, sizeof(buf)),
			       "no master sync daemon is running");

	/* The other way round: a mixed-family service stops a daemon from starting. */
	CHECK_RC(ipvs_dest_add(g, &s, &d6, 0), 0, IPVS_OP_DEST_ADD);
	CHECK_RC(ipvs_sync_daemon_start(g, &m), -EINVAL, IPVS_OP_SYNC_START);
	note("master with a mixed-family service: %s",
	     ipvs_strerror(IPVS_OP_SYNC_START, -EINVAL, NULL, buf, sizeof(buf)));
	CHECK_RC(ipvs_flush(g), 0, IPVS_OP_FLUSH);
	snprintf(m.ifname, sizeof(m.ifname), "nosuch0");
	CHECK_RC(ipvs_sync_daemon_start(g, &m), -ENODEV, IPVS_OP_SYNC_START);
	CU_ASSERT_STRING_EQUAL(
	    ipvs_strerror(IPVS_OP_SYNC_START, -ENODEV, m.ifname, buf, sizeof(buf)),
	    "no such interface 'nosuch0'");
}

/*
 * A stop right after a start. The kernel's stop_sync_thread() passes on
 * kthread_stop()'s -EINTR when the daemon's thread has not run yet, and
 * netlink_rcv_skb() sends no answer at all for -EINTR: the daemon is stopped,
 * but the caller hears nothing (under TCG 2 to 50 stops in 100). The client
 * must still say 0, soon (it waits 250 ms for an answer, then lists the
 * daemons), and the daemon must be gone.
 */
static void test_sync_stop_after_start(void)
{
	enum { ROUNDS = 30 };
	const unsigned states[2] = {IPVS_SYNC_MASTER, IPVS_SYNC_BACKUP};
	struct ipvs_sync_daemon list[2];
	double worst = 0;
	int unanswered = 0;
	size_t n;

	for (int i = 0; i < 2 * ROUNDS; i++) {
		struct ipvs_sync_daemon d = {.state = states[i % 2], .syncid = 7};
		double t0, dt;
		int rc;

		snprintf(d.ifname, sizeof(d.ifname), "%s", sync_if);
		CHECK_RC(ipvs_sync_daemon_start(g, &d), 0, IPVS_OP_SYNC_START);
		t0 = now_ms();
		rc = ipvs_sync_daemon_stop(g, d.state);
		dt = now_ms() - t0;
		CHECK_RC(rc, 0, IPVS_OP_SYNC_STOP);
		if (dt > worst)
			worst = dt;
		if (dt > 200)
			unanswered++;
		CHECK_RC(ipvs_sync_daemon_list(g, list, &n), 0, IPVS_OP_SYNC_LIST);
		CHECK_EQ(n, 0, "sync daemons after a stop right after a start");
		if (rc != 0 || n != 0)
			break;
	}
	note("%d start-stop pairs: %d stops went unanswered by the kernel (over 200 ms), the "
	     "slowest took %.0f ms",
	     2 * ROUNDS, unanswered, worst);
	CU_ASSERT_TRUE(worst < 5000);
}

int main(void)
{
	CU_pSuite s;
	unsigned failures;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("ipvs client in the kernel", suite_init, suite_clean);
	if (!s)
		return 2;
	CU_add_test(s, "open: family and version", test_info);
	CU_add_test(s, "services of every kind", test_services_every_kind);
	CU_add_test(s, "service errors and idempotent writes", test_service_errors);
	CU_add_test(s, "every scheduler", test_every_scheduler);
	CU_add_test(s, "real servers of every kind", test_dests_every_kind);
	CU_add_test(s, "real server errors and idempotent writes", test_dest_errors);
	CU_add_test(s, "10,000 services in one dump", test_many_services);
	CU_add_test(s, "64-bit counters after traffic, zeroing", test_counters_after_traffic);
	CU_add_test(s, "timeouts", test_timeouts);
	CU_add_test(s, "sync daemons", test_sync_daemons);
	CU_add_test(s, "a sync daemon stopped right after its start", test_sync_stop_after_start);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
		   CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
