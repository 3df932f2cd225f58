/* Unit tests of controller/config/: the document both ways, its schema, hostile files, the apply on a real database. */
#include "controller/config/config_apply.h"
#include "controller/config/config_export.h"
#include "controller/config/config_io.h"
#include "controller/config/config_keepalived.h"
#include "controller/config/config_ldirectord.h"
#include "controller/model/model.h"
#include "tests/unit/unit.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];
static const struct command_actor ops = {"ops", FULCRUM_ORIGIN_IMPORT};

/* ---- random configurations ----------------------------------------------------------- */

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void set_vs(struct fulcrum_vs *vs, const char *f, const char *v)
{
	struct fulcrum_err err;

	if (model_vs_set_field(vs, f, v, &err) != 0) {
		printf("%s\n", err.message);
		CU_FAIL_FATAL(err.message);
	}
}

static void set_rs(struct fulcrum_rs *rs, const char *f, const char *v)
{
	struct fulcrum_err err;

	if (model_rs_set_field(rs, f, v, &err) != 0)
		CU_FAIL_FATAL(err.message);
}

/* A service i of a random shape: every kind of field, texts that need escaping. */
static void random_service(struct config_doc *doc, unsigned i)
{
	static const char *const sched[] = {"rr", "wrr", "wlc", "sh", "mh", "lblcr", "fo"};
	static const char *const desc[] = {"", "web <front> & \"api\"", "caf\xc3\xa9 \xe2\x9c\x93",
					   "it's 'quoted'"};
	struct fulcrum_vs vs;
	struct fulcrum_rs rs;
	struct config_service *s;
	char text[128];
	bool v6 = rnd(3) == 0, fwmark = rnd(5) == 0;
	unsigned nreals = rnd(5);

	model_vs_init(&vs);
	vs.id = (int64_t)i * 3 + 1;
	snprintf(text, sizeof(text), "svc-%u.x_%u", i, rnd(1000));
	set_vs(&vs, "name", text);
	if (fwmark) {
		snprintf(text, sizeof(text), "%u", 1 + i);
		set_vs(&vs, "fwmark", text);
		set_vs(&vs, "protocol", "none");
		set_vs(&vs, "port", "0");
		set_vs(&vs, "family", v6 ? "ipv6" : "ipv4");
	} else {
		snprintf(text, sizeof(text), v6 ? "2001:db8::%x" : "192.0.%u.%u",
			 v6 ? i + 1 : i / 250, i % 250 + 1);
		set_vs(&vs, "address", text);
		snprintf(text, sizeof(text), "%u", 1 + rnd(65535));
		set_vs(&vs, "port", text);
		set_vs(&vs, "protocol", rnd(2) ? "tcp" : (rnd(2) ? "udp" : "sctp"));
	}
	set_vs(&vs, "scheduler", sched[rnd(sizeof(sched) / sizeof(sched[0]))]);
	if (vs.scheduler == FULCRUM_SCHED_SH || vs.scheduler == FULCRUM_SCHED_MH)
		set_vs(&vs, "scheduler_flags", rnd(2) ? "fallback,port" : "port");
	if (rnd(2)) {
		snprintf(text, sizeof(text), "%u", 1 + rnd(3600));
		set_vs(&vs, "persistence_timeout", text);
		snprintf(text, sizeof(text), "%u", v6 ? 64 : 24);
		set_vs(&vs, "persistence_netmask", text);
	}
	set_vs(&vs, "description", desc[rnd(4)]);
	set_vs(&vs, "admin_state", rnd(4) ? "enabled" : "disabled");
	if (!fwmark && rnd(2)) {
		set_vs(&vs, "check.type", rnd(2) ? "http" : "https");
		set_vs(&vs, "check.path", "/health?x=1&y=<2>");
		set_vs(&vs, "check.expect", rnd(2) ? "OK \"fine\"" : "");
		set_vs(&vs, "check.expect_status", "200-299,301");
		set_vs(&vs, "check.host", rnd(2) ? "www.example.org" : "");
		set_vs(&vs, "check.interval", "10");
		set_vs(&vs, "check.timeout", "4");
	} else if (!fwmark && rnd(2)) {
		set_vs(&vs, "check.type", "tcp");
	}
	if (!fwmark && !v6 && rnd(3) == 0) {
		set_vs(&vs, "fallback.address", "127.0.0.1");
		set_vs(&vs, "fallback.port", "8080");
	}
	snprintf(text, sizeof(text), "%u", rnd(nreals + 1));
	set_vs(&vs, "min_up", text);
	{
		struct fulcrum_err err;

		if (model_vs_validate(&vs, &err) != 0) {
			printf("%s\n", err.message);
			CU_FAIL_FATAL(err.message);
		}
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL((s = config_doc_add_service(doc, &vs, 0)));
	for (unsigned r = 0; r < nreals; r++) {
		model_rs_init(&rs);
		rs.id = (int64_t)i * 10 + r + 1;
		snprintf(text, sizeof(text), v6 ? "2001:db8:1::%x" : "10.%u.%u.%u",
			 v6 ? r + 1 : i / 250, i % 250, r + 1);
		set_rs(&rs, "address", text);
		if (!fwmark) {
			snprintf(text, sizeof(text), "%u", vs.port);
			set_rs(&rs, "port", text);
		}
		if (rnd(3) == 0) {
			set_rs(&rs, "forwarding", rnd(2) ? "route" : "tunnel");
			if (rs.forwarding == FULCRUM_FWD_TUNNEL && rnd(2)) {
				set_rs(&rs, "tunnel_type", "gue");
				set_rs(&rs, "tunnel_port", "6080");
			}
			if (rs.forwarding != FULCRUM_FWD_MASQ && !fwmark) {
				snprintf(text, sizeof(text), "%u", vs.port);
				set_rs(&rs, "port", text);
			}
		}
		snprintf(text, sizeof(text), "%u", rnd(65536));
		set_rs(&rs, "weight", text);
		set_rs(&rs, "admin_state", rnd(3) == 0 ? "drained" : "enabled");
		set_rs(&rs, "description", desc[rnd(4)]);
		if (rnd(3) == 0) {
			set_rs(&rs, "check.interval", "30");
			set_rs(&rs, "check.fall", "5");
		}
		if (model_rs_validate(&rs, &vs, NULL) != 0)
			continue; /* a shape this model refuses: not this test's subject */
		CU_ASSERT_EQUAL_FATAL(config_service_add_real(s, &rs, 0), 0);
	}
}

static void random_doc(struct config_doc *doc, unsigned n)
{
	struct fulcrum_vip vip;
	char addr[64];

	config_doc_init(doc);
	doc->revision = 1000 + n;
	for (unsigned i = 0; i < n; i++)
		random_service(doc, i);
	for (unsigned i = 0; i < n % 4; i++) {
		model_vip_init(&vip);
		vip.id = i + 1;
		snprintf(addr, sizeof(addr), "198.51.100.%u", i + 1);
		CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", addr, NULL), 0);
		CU_ASSERT_EQUAL(model_vip_set_field(&vip, "interface", "eth0", NULL), 0);
		CU_ASSERT_EQUAL(model_vip_set_field(&vip, "prefix", "24", NULL), 0);
		CU_ASSERT_EQUAL(config_doc_add_vip(doc, &vip, 0), 0);
	}
	config_doc_set_switch(doc, COMMAND_NOTIFY_RS_STATE, rnd(2));
	config_doc_set_switch(doc, COMMAND_NOTIFY_CONFIG_CHANGE, rnd(2));
}

/* ---- the schema ------------------------------------------------------------------------- */

static xmlSchemaPtr schema;

/* Whether text validates against schema/fulcrum-config.xsd; prints libxml2's words when not. */
static bool validates(const char *text, size_t len)
{
	xmlDocPtr d = xmlReadMemory(text, (int)len, NULL, NULL, XML_PARSE_NONET);
	xmlSchemaValidCtxtPtr v;
	int rc;

	if (!d || !schema)
		return false;
	v = xmlSchemaNewValidCtxt(schema);
	rc = v ? xmlSchemaValidateDoc(v, d) : -1;
	xmlSchemaFreeValidCtxt(v);
	xmlFreeDoc(d);
	return rc == 0;
}

/* ---- round trips --------------------------------------------------------------------------- */

static void test_round_trips(void)
{
	for (unsigned round = 0; round < 30; round++) {
		struct config_doc doc, back, back2;
		struct config_msgs errors;
		char *xml, *json, *xml2, *json2;
		size_t xl, jl, xl2, jl2;

		random_doc(&doc, round * 3);
		CU_ASSERT_EQUAL_FATAL(config_doc_write(&doc, CONFIG_XML, &xml, &xl), 0);
		CU_ASSERT_EQUAL_FATAL(config_doc_write(&doc, CONFIG_JSON, &json, &jl), 0);
		CU_ASSERT_TRUE(validates(xml, xl));
		/* XML read back writes the same bytes, in both forms */
		config_doc_init(&back);
		config_msgs_init(&errors);
		CU_ASSERT_EQUAL(config_read(CONFIG_XML, xml, xl, &back, NULL, NULL, &errors), 0);
		config_msgs_print(&errors, stdout);
		CU_ASSERT_EQUAL(back.nservices, doc.nservices);
		CU_ASSERT_EQUAL(back.revision, doc.revision);
		CU_ASSERT_EQUAL_FATAL(config_doc_write(&back, CONFIG_XML, &xml2, &xl2), 0);
		CU_ASSERT_EQUAL_FATAL(config_doc_write(&back, CONFIG_JSON, &json2, &jl2), 0);
		CU_ASSERT_TRUE(xl == xl2 && memcmp(xml, xml2, xl) == 0);
		CU_ASSERT_TRUE(jl == jl2 && memcmp(json, json2, jl) == 0);
		free(xml2);
		free(json2);
		/* JSON read back too */
		config_doc_init(&back2);
		CU_ASSERT_EQUAL(config_read(CONFIG_JSON, json, jl, &back2, NULL, NULL, &errors), 0);
		config_msgs_print(&errors, stdout);
		CU_ASSERT_EQUAL_FATAL(config_doc_write(&back2, CONFIG_XML, &xml2, &xl2), 0);
		CU_ASSERT_TRUE(xl == xl2 && memcmp(xml, xml2, xl) == 0);
		free(xml2);
		config_msgs_clear(&errors);
		config_doc_clear(&back);
		config_doc_clear(&back2);
		config_doc_clear(&doc);
		free(xml);
		free(json);
	}
}

/* ---- errors ---------------------------------------------------------------------------------- */

/* Reads text, expecting it refused with each of want (substrings of the messages, in order). */
static void refused_with(enum config_format fmt, const char *text, const char *const *want)
{
	struct config_doc doc;
	struct config_msgs errors;
	size_t at = 0;

	config_doc_init(&doc);
	config_msgs_init(&errors);
	CU_ASSERT_EQUAL(config_read(fmt, text, strlen(text), &doc, NULL, NULL, &errors), -EINVAL);
	for (size_t i = 0; i < errors.n && want[at]; i++)
		if (strstr(errors.text[i], want[at]))
			at++;
	if (want[at]) {
		printf("\nexpected '%s' among:\n", want[at]);
		config_msgs_print(&errors, stdout);
	}
	CU_ASSERT_PTR_NULL(want[at]);
	config_msgs_clear(&errors);
	config_doc_clear(&doc);
}

static void test_every_error_in_one_pass(void)
{
	static const char xml[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<fulcrum xmlns=\"urn:fulcrum:config:1\">\n"
	    "  <service name=\"web\" address=\"192.0.2.1\" port=\"80\" protocol=\"tcp\">\n"
	    "    <real address=\"10.0.0.1\" port=\"80\" weight=\"70000\"/>\n"
	    "    <real address=\"10.0.0.2\" port=\"80\" colour=\"red\"/>\n"
	    "  </service>\n"
	    "  <service name=\"api\" address=\"192.0.2.2\" port=\"99999\" protocol=\"tcp\"/>\n"
	    "  <service name=\"web\" address=\"192.0.2.3\" port=\"80\" protocol=\"tcp\"/>\n"
	    "  <vip address=\"192.0.2.1\"/>\n"
	    "  <notification name=\"nope\" enabled=\"true\"/>\n"
	    "</fulcrum>\n";
	static const char *const want[] = {
	    "line 4: real server weight: 70000 is outside 0..65535",
	    "line 5: <real> has no attribute 'colour'",
	    "line 7: service port: 99999 is outside 0..65535",
	    "line 8: service name: 'web' is also the name of the service at line 3",
	    "line 9: VIP interface",
	    "line 10: notification name: 'nope' is not a switch",
	    NULL};
	static const char json[] = "{\"services\": [{\"name\": \"a\", \"address\": \"192.0.2.1\", "
				   "\"port\": 80, \"protocol\": \"tcp\", \"reals\": [{\"address\": "
				   "\"10.0.0.1\", \"port\": 80, \"weight\": 70000}]}, {\"name\": "
				   "\"b\", \"scheduler\": \"fast\"}]}";
	static const char *const want_json[] = {
	    "services[0].reals[0]: real server weight: 70000 is outside 0..65535",
	    "services[1]: service scheduler: 'fast' is not an IPVS scheduler", NULL};

	refused_with(CONFIG_XML, xml, want);
	refused_with(CONFIG_JSON, json, want_json);
}

static void test_hostile_files(void)
{
	static const char xxe[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE fulcrum [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
	    "<fulcrum xmlns=\"urn:fulcrum:config:1\"><service name=\"&x;\"/></fulcrum>";
	static const char laughs[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE fulcrum [<!ENTITY a \"aaaaaaaaaa\">"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c "
	    "\"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
	    "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>\n"
	    "<fulcrum xmlns=\"urn:fulcrum:config:1\"><service name=\"&d;\"/></fulcrum>";
	static const char *const want_doctype[] = {"line 2: a DOCTYPE is refused", NULL};
	static const char *const want_ns[] = {"this is not a Fulcrum configuration", NULL};
	static const char *const want_deep[] = {"<service> is not expected here", NULL};
	static const char *const want_syntax[] = {"line 1, column", NULL};
	static const char *const want_big[] = {"more than a configuration file may hold", NULL};
	struct config_doc doc;
	struct config_msgs errors;
	size_t n = 100000, len;
	char *deep, *big;

	refused_with(CONFIG_XML, xxe, want_doctype);
	refused_with(CONFIG_XML, laughs, want_doctype);
	refused_with(CONFIG_XML, "<fulcrum><service name=\"a\"/></fulcrum>", want_ns);
	refused_with(CONFIG_XML, "<fulcrum xmlns=\"urn:fulcrum:config:1\"><service", want_syntax);
	/* 100,000 nested elements: refused at the first one out of place, no recursion */
	deep = malloc(n * 9 + 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(deep);
	len = (size_t)sprintf(deep, "<fulcrum xmlns=\"urn:fulcrum:config:1\">");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(deep + len, "<service>");
	refused_with(CONFIG_XML, deep, want_deep);
	free(deep);
	/* 100 MB: refused before it is parsed */
	big = malloc(100u << 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, ' ', 100u << 20);
	config_doc_init(&doc);
	config_msgs_init(&errors);
	CU_ASSERT_EQUAL(config_read(CONFIG_XML, big, 100u << 20, &doc, NULL, NULL, &errors),
			-EINVAL);
	CU_ASSERT_TRUE(errors.n == 1 && strstr(errors.text[0], want_big[0]));
	config_msgs_clear(&errors);
	free(big);
}

/* ---- apply, on a real database ---------------------------------------------------------------- */

static struct db *open_db(const char *name)
{
	char path[1024], err[512] = "";
	struct db *db = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CU_ASSERT_EQUAL_FATAL(db_open(path, &db, err, sizeof(err)), 0);
	return db;
}

/* Applies text to db as one command; returns the body's rc and fills a. */
static int apply(struct db *db, const char *text, bool prune, bool dry_run, struct config_apply *a)
{
	struct command_result res = {0};
	struct fulcrum_err err;
	int rc;

	memset(a, 0, sizeof(*a));
	a->fmt = config_format_sniff(text, strlen(text));
	a->text = text;
	a->len = strlen(text);
	a->prune = prune;
	a->dry_run = dry_run;
	CU_ASSERT_EQUAL_FATAL(command_group_begin(db, &err), 0);
	rc = command_group_add(db, &ops, 0, config_apply_txn, a, &res, &err);
	if (rc == 0) {
		CU_ASSERT_EQUAL(command_group_commit(db, &err), 0);
	} else {
		command_group_rollback(db);
	}
	command_result_clear(&res);
	return rc;
}

static char *export(struct db *db, enum config_format fmt)
{
	int64_t rev;
	size_t len;
	char *text = NULL;

	CU_ASSERT_EQUAL(config_export_db(db, fmt, &text, &len, &rev), 0);
	return text;
}

static const char base[] =
    "<fulcrum xmlns=\"urn:fulcrum:config:1\">\n"
    " <service name=\"web\" address=\"192.0.2.1\" port=\"80\" protocol=\"tcp\">\n"
    "  <check type=\"http\" expect=\"OK\"/>\n"
    "  <real address=\"10.0.0.1\" port=\"80\" weight=\"5\"/>\n"
    "  <real address=\"10.0.0.2\" port=\"80\"/>\n"
    " </service>\n"
    " <service name=\"dns\" address=\"192.0.2.53\" port=\"53\" protocol=\"udp\">\n"
    "  <real address=\"10.0.1.1\" port=\"53\"/>\n"
    " </service>\n"
    " <vip address=\"192.0.2.1\" prefix=\"24\" interface=\"eth0\"/>\n"
    " <notification name=\"rs_state\" enabled=\"false\"/>\n"
    "</fulcrum>\n";

static void test_apply_is_the_desired_state(void)
{
	struct db *db = open_db("apply.db");
	struct config_apply a;
	struct fulcrum_rs rs;
	bool on[COMMAND_NOTIFY_COUNT];
	char *text, *again;
	int64_t rev;

	CU_ASSERT_EQUAL(apply(db, base, false, false, &a), 0);
	CU_ASSERT_EQUAL(a.created, 6); /* 2 services, 3 real servers, 1 VIP */
	CU_ASSERT_EQUAL(db_revision(db), 1);
	CU_ASSERT_EQUAL(db_notify_get(db, on), 0);
	CU_ASSERT_FALSE(on[COMMAND_NOTIFY_RS_STATE]);
	config_apply_clear(&a);
	/* the same file again: nothing changes, not even the revision */
	CU_ASSERT_EQUAL(apply(db, base, false, false, &a), 0);
	CU_ASSERT_EQUAL(a.created + a.updated + a.deleted, 0);
	CU_ASSERT_EQUAL(a.unchanged, 6);
	CU_ASSERT_EQUAL(db_revision(db), 1);
	config_apply_clear(&a);
	/* its export, applied again, changes nothing; exported again it is the same */
	text = export(db, CONFIG_XML);
	CU_ASSERT_TRUE(validates(text, strlen(text)));
	CU_ASSERT_EQUAL(apply(db, text, true, false, &a), 0);
	CU_ASSERT_EQUAL(a.created + a.updated + a.deleted, 0);
	again = export(db, CONFIG_XML);
	CU_ASSERT_STRING_EQUAL(text, again);
	free(again);
	config_apply_clear(&a);
	/* one weight changed: one update, one revision, one change-log row */
	{
		char *one = strdup(text), *w = strstr(one, "weight=\"5\"");

		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		w[8] = '7';
		CU_ASSERT_EQUAL(apply(db, one, false, false, &a), 0);
		CU_ASSERT_EQUAL(a.updated, 1);
		CU_ASSERT_EQUAL(a.created + a.deleted, 0);
		CU_ASSERT_EQUAL(db_revision(db), 2);
		CU_ASSERT_EQUAL(db_rs_get(db, 1, &rs), 0);
		CU_ASSERT_EQUAL(rs.weight, 7);
		CU_ASSERT_STRING_EQUAL(
		    json_string_value(json_object_get(json_array_get(a.changes, 0), "key")),
		    "web/10.0.0.1:80");
		config_apply_clear(&a);
		free(one);
	}
	/* a dry run of a prune: says what it would delete, deletes nothing */
	rev = db_revision(db);
	CU_ASSERT_EQUAL(apply(db,
			      "<fulcrum xmlns=\"urn:fulcrum:config:1\"><service name=\"web\" "
			      "address=\"192.0.2.1\" port=\"80\" protocol=\"tcp\"><check "
			      "type=\"http\" expect=\"OK\"/><real address=\"10.0.0.1\" port=\"80\" "
			      "weight=\"7\"/></service></fulcrum>",
			      true, true, &a),
			-ECANCELED);
	CU_ASSERT_EQUAL(a.deleted,
			3); /* dns (and its real server is deleted with it), 10.0.0.2, the VIP */
	CU_ASSERT_EQUAL(db_revision(db), rev);
	CU_ASSERT_EQUAL(db_rs_get(db, 2, &rs), 0);
	config_apply_clear(&a);
	free(text);
	db_close(db);
}

static void test_apply_refused_changes_nothing(void)
{
	struct db *db = open_db("refused.db");
	struct config_apply a;
	char *before, *after;

	CU_ASSERT_EQUAL(apply(db, base, false, false, &a), 0);
	config_apply_clear(&a);
	before = export(db, CONFIG_JSON);
	/* a new service at dns's address: the store refuses it; the weight before it is undone */
	CU_ASSERT_EQUAL(
	    apply(db,
		  "<fulcrum xmlns=\"urn:fulcrum:config:1\"><service name=\"web\" "
		  "address=\"192.0.2.1\" port=\"80\" protocol=\"tcp\"><check "
		  "type=\"http\" expect=\"OK\"/><real address=\"10.0.0.1\" port=\"80\" "
		  "weight=\"9\"/></service><service name=\"dns2\" address=\"192.0.2.53\" "
		  "port=\"53\" protocol=\"udp\"/></fulcrum>",
		  false, false, &a),
	    -EINVAL);
	CU_ASSERT_TRUE(a.errors.n == 1 && strstr(a.errors.text[0], "dns2"));
	config_apply_clear(&a);
	/* a file with errors: every one reported, nothing written */
	CU_ASSERT_EQUAL(apply(db,
			      "<fulcrum xmlns=\"urn:fulcrum:config:1\"><service name=\"web\" "
			      "address=\"192.0.2.1\" port=\"80\" protocol=\"tcp\" scheduler=\"x\"/>"
			      "<service name=\"new\" address=\"192.0.2.9\" port=\"80\" "
			      "protocol=\"tcp\"><real address=\"10.0.0.9\" port=\"80\" "
			      "weight=\"-1\"/></service></fulcrum>",
			      false, false, &a),
			-EINVAL);
	CU_ASSERT_EQUAL(a.errors.n, 2);
	config_apply_clear(&a);
	after = export(db, CONFIG_JSON);
	CU_ASSERT_STRING_EQUAL(before, after);
	CU_ASSERT_EQUAL(db_revision(db), 1);
	free(before);
	free(after);
	db_close(db);
}

static void test_apply_keeps_ids(void)
{
	struct db *from = open_db("from.db"), *to = open_db("to.db");
	struct config_doc doc;
	struct config_apply a;
	char *xml, *text, *copy;
	size_t len;

	/* a random configuration, its ids spaced out: an empty director takes them as given */
	random_doc(&doc, 40);
	CU_ASSERT_EQUAL_FATAL(config_doc_write(&doc, CONFIG_XML, &xml, &len), 0);
	CU_ASSERT_EQUAL(apply(from, xml, false, false, &a), 0);
	config_apply_clear(&a);
	CU_ASSERT_EQUAL(a.notes.n, 0);
	text = export(from, CONFIG_XML);
	CU_ASSERT_EQUAL(apply(to, text, false, false, &a), 0);
	config_apply_clear(&a);
	copy = export(to, CONFIG_XML);
	CU_ASSERT_STRING_EQUAL(text, copy); /* both directors at revision 1: byte for byte */
	free(xml);
	free(text);
	free(copy);
	config_doc_clear(&doc);
	db_close(from);
	db_close(to);
}

/* Reads path whole into a malloc'ed text; NULL when it cannot. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long size;

	if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1)) &&
	    fread(text, 1, (size_t)size, f) == (size_t)size) {
		text[size] = '\0';
		*len = (size_t)size;
	} else {
		free(text);
		text = NULL;
	}
	if (f)
		fclose(f);
	return text;
}

/* path imported (keepalived's format or ldirectord's) is a document the schema takes, and reads back. */
static bool import_valid(const char *path, bool keepalived)
{
	struct config_msgs notes, errors;
	struct config_doc doc, back;
	char *text, *xml = NULL;
	size_t len, xl;
	bool ok;

	if (!(text = slurp(path, &len)))
		return false;
	config_doc_init(&doc);
	config_doc_init(&back);
	config_msgs_init(&notes);
	config_msgs_init(&errors);
	if (keepalived)
		config_keepalived_read(text, len, path, true, &doc, &notes, &errors);
	else
		config_ldirectord_read(text, len, path, true, &doc, &notes, &errors);
	ok = config_doc_write(&doc, CONFIG_XML, &xml, &xl) == 0 && validates(xml, xl) &&
	     config_read(CONFIG_XML, xml, xl, &back, NULL, NULL, &errors) == 0 &&
	     back.nservices == doc.nservices && back.nvips == doc.nvips;
	if (!ok)
		printf("\n%s: its import does not validate or read back:\n%s\n", path,
		       xml ? xml : "");
	free(xml);
	free(text);
	config_doc_clear(&doc);
	config_doc_clear(&back);
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
	return ok;
}

/* What the importers make of Debian's files nobody here wrote. */
static void test_imports_are_schema_valid(void)
{
	static const char samples[] = "/usr/share/doc/keepalived/samples";
	struct dirent *e;
	size_t checked = 0;
	DIR *d = opendir(samples);
	char path[512];

	CU_ASSERT_TRUE(import_valid("/usr/share/doc/ldirectord/examples/ldirectord.cf", false));
	CU_ASSERT_PTR_NOT_NULL_FATAL(d); /* scripts/install-deps installs keepalived for them */
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "keepalived.conf", 15) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", samples, e->d_name);
		CU_ASSERT_TRUE(import_valid(path, true));
		checked++;
	}
	closedir(d);
	CU_ASSERT_TRUE(checked >= 20); /* Debian ships 25 keepalived samples */
}

static int config_setup(void)
{
	char path[1024];
	xmlSchemaParserCtxtPtr p;

	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/schema/fulcrum-config.xsd", FULCRUM_SRCDIR);
	if ((p = xmlSchemaNewParserCtxt(path))) {
		schema = xmlSchemaParse(p);
		xmlSchemaFreeParserCtxt(p);
	}
	return schema ? 0 : -1;
}

static int config_teardown(void)
{
	xmlSchemaFree(schema);
	schema = NULL;
	unit_tmpdir_cleanup(dir);
	return 0;
}

UNIT_SUITE(config)
{
	CU_pSuite s = CU_add_suite("config", config_setup, config_teardown);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "random configurations: XML and JSON both ways, byte for byte, schema-valid",
		    test_round_trips);
	CU_add_test(s, "every error of a file, with its line, in one pass",
		    test_every_error_in_one_pass);
	CU_add_test(s, "hostile files: XXE, billion laughs, 100 MB, deep nesting",
		    test_hostile_files);
	CU_add_test(s, "apply: the file is the desired state, twice changes nothing",
		    test_apply_is_the_desired_state);
	CU_add_test(s, "apply: a refused file changes nothing", test_apply_refused_changes_nothing);
	CU_add_test(s, "apply: an export applied on an empty director keeps every id",
		    test_apply_keeps_ids);
	CU_add_test(
	    s, "the imports of Debian's keepalived samples and ldirectord example: schema-valid",
	    test_imports_are_schema_valid);
	return CU_get_error();
}
