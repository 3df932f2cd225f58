/* Unit tests of controller/model/model_vip.c and the VIP's JSON form and kind row. */
#include "controller/model/model.h"
#include "controller/model/model_json.h"
#include "controller/model/model_kind.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A valid VIP: 192.0.2.10/24 on eth0. */
static struct fulcrum_vip gateway(void)
{
	struct fulcrum_vip vip;

	model_vip_init(&vip);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", "192.0.2.10", NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "prefix", "24", NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "interface", "eth0", NULL), 0);
	return vip;
}

/* Sets field to value and expects a refusal naming field, with vip unchanged. */
static void refused(struct fulcrum_vip *vip, const char *field, const char *value,
		    const char *message)
{
	struct fulcrum_vip before = *vip;
	struct fulcrum_err err;

	CU_ASSERT_EQUAL(model_vip_set_field(vip, field, value, &err), -EINVAL);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.field, field);
	CU_ASSERT_STRING_EQUAL(err.message, message);
	CU_ASSERT_EQUAL(memcmp(&before, vip, sizeof(before)), 0);
}

/* Validates vip and expects a refusal on field with message. */
static void invalid(const struct fulcrum_vip *vip, const char *field, const char *message)
{
	struct fulcrum_err err;

	CU_ASSERT_EQUAL(model_vip_validate(vip, &err), -EINVAL);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.field, field);
	CU_ASSERT_STRING_EQUAL(err.message, message);
}

static void test_vip_defaults(void)
{
	struct fulcrum_vip vip;
	struct fulcrum_err err = {0}; /* validate leaves it untouched on success: that is checked */

	memset(&vip, 0x5a, sizeof(vip));
	model_vip_init(&vip);
	CU_ASSERT_EQUAL(vip.id, 0);
	CU_ASSERT_EQUAL(vip.addr.family, AF_UNSPEC);
	CU_ASSERT_EQUAL(vip.prefix, 32);
	CU_ASSERT_STRING_EQUAL(vip.interface, "");
	CU_ASSERT_STRING_EQUAL(vip.description, "");
	/* the first rule a new VIP breaks: it has no address */
	invalid(&vip, "address", "VIP address: required");
	vip = gateway();
	model_err_clear(&err);
	CU_ASSERT_EQUAL(model_vip_validate(&vip, &err), 0);
	CU_ASSERT_EQUAL(err.status, FULCRUM_ERR_NONE); /* untouched on success */
}

/* The prefix is the whole address unless set, and follows the family while it is. */
static void test_vip_prefix_follows_family(void)
{
	struct fulcrum_vip vip;

	model_vip_init(&vip);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", "2001:db8::10", NULL), 0);
	CU_ASSERT_EQUAL(vip.addr.family, AF_INET6);
	CU_ASSERT_EQUAL(vip.prefix, 128);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", "2001:db8::11", NULL), 0);
	CU_ASSERT_EQUAL(vip.prefix, 128);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", "192.0.2.1", NULL), 0);
	CU_ASSERT_EQUAL(vip.prefix, 32);
	/* a prefix that was set stays when the family changes: validation tells if it fits */
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "prefix", "24", NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", "2001:db8::12", NULL), 0);
	CU_ASSERT_EQUAL(vip.prefix, 24);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "prefix", "64", NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "interface", "eth1", NULL), 0);
	CU_ASSERT_EQUAL(model_vip_validate(&vip, NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", "192.0.2.1", NULL), 0);
	CU_ASSERT_EQUAL(vip.prefix, 64);
	invalid(&vip, "prefix", "VIP prefix: 64 is outside 1..32 for IPv4");
}

static void test_vip_fields_refused(void)
{
	struct fulcrum_vip vip = gateway();
	struct fulcrum_err err;

	refused(&vip, "address", "", "VIP address: '' is not an IPv4 or IPv6 address");
	refused(&vip, "address", "none", "VIP address: 'none' is not an IPv4 or IPv6 address");
	refused(&vip, "address", "192.0.2.300",
		"VIP address: '192.0.2.300' is not an IPv4 or IPv6 address");
	refused(&vip, "address", "192.0.2.1/24",
		"VIP address: '192.0.2.1/24' is not an IPv4 or IPv6 address");
	refused(&vip, "prefix", "wide", "VIP prefix: 'wide' is not a number (0..128)");
	refused(&vip, "prefix", "-1", "VIP prefix: '-1' is not a number (0..128)");
	refused(&vip, "prefix", "129", "VIP prefix: 129 is outside 0..128");
	refused(&vip, "interface", "abcdefghijklmnop", "VIP interface: 16 bytes is longer than 15");
	refused(&vip, "weight", "1",
		"VIP: unknown field 'weight' (address prefix interface description)");
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, NULL, "x", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.message, "VIP: no field named");
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "prefix", NULL, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.field, "prefix");
	/* the longest name Linux takes is fine */
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "interface", "abcdefghijklmno", NULL), 0);
	CU_ASSERT_EQUAL(model_vip_validate(&vip, NULL), 0);
}

/* Addresses no director can hold, each refused with what it is. */
static void test_vip_address_rules(void)
{
	static const struct {
		const char *addr, *message;
	} bad[] = {
	    {"0.0.0.0", "VIP address: 0.0.0.0 is the unspecified address: no director can hold it"},
	    {"::", "VIP address: :: is the unspecified address: no director can hold it"},
	    {"127.0.0.5", "VIP address: 127.0.0.5 is a loopback address: no director can hold it"},
	    {"::1", "VIP address: ::1 is a loopback address: no director can hold it"},
	    {"224.0.0.18", "VIP address: 224.0.0.18 is a multicast address: no director can hold "
			   "it"},
	    {"239.255.255.255", "VIP address: 239.255.255.255 is a multicast address: no director "
				"can hold it"},
	    {"ff02::12", "VIP address: ff02::12 is a multicast address: no director can hold it"},
	};
	static const char *const good[] = {"10.0.0.1",        "192.0.2.10",  "223.255.255.254",
					   "240.0.0.1",       "2001:db8::1", "fe80::1",
					   "::ffff:192.0.2.1"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fulcrum_vip vip = gateway();

		CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", bad[i].addr, NULL), 0);
		CU_ASSERT_EQUAL(model_vip_set_field(&vip, "prefix", "8", NULL), 0);
		invalid(&vip, "address", bad[i].message);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct fulcrum_vip vip = gateway();
		struct fulcrum_err err;

		CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", good[i], NULL), 0);
		CU_ASSERT_EQUAL(model_vip_set_field(&vip, "prefix", "8", NULL), 0);
		model_err_clear(&err);
		CU_ASSERT_EQUAL(model_vip_validate(&vip, &err), 0);
		if (err.status != FULCRUM_ERR_NONE)
			fprintf(stderr, "%s: %s\n", good[i], err.message);
	}
}

static void test_vip_prefix_and_interface_rules(void)
{
	struct fulcrum_vip vip = gateway();
	static const char *const good_names[] = {"eth0",  "bond0.100", "eth0:1", "br-lan",
						 "wan_1", "a",         "..a",    "a.."};
	static const char *const bad_names[] = {"eth 0", "eth0/1", "é", "eth0\t", "*"};
	char message[160];

	vip.prefix = 0;
	invalid(&vip, "prefix", "VIP prefix: 0 is outside 1..32 for IPv4");
	vip.prefix = 33;
	invalid(&vip, "prefix", "VIP prefix: 33 is outside 1..32 for IPv4");
	vip.prefix = 32;
	CU_ASSERT_EQUAL(model_vip_validate(&vip, NULL), 0);
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "address", "2001:db8::1", NULL), 0);
	vip.prefix = 129;
	invalid(&vip, "prefix", "VIP prefix: 129 is outside 1..128 for IPv6");
	vip.prefix = 128;
	CU_ASSERT_EQUAL(model_vip_validate(&vip, NULL), 0);

	vip.interface[0] = '\0';
	invalid(&vip, "interface", "VIP interface: required (the interface it is on)");
	strcpy(vip.interface, ".");
	invalid(&vip, "interface", "VIP interface: '.' is not an interface name");
	strcpy(vip.interface, "..");
	invalid(&vip, "interface", "VIP interface: '..' is not an interface name");
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		snprintf(vip.interface, sizeof(vip.interface), "%s", bad_names[i]);
		snprintf(message, sizeof(message),
			 "VIP interface: '%s' may hold only letters, digits, '_', '.', ':' and '-'",
			 bad_names[i]);
		invalid(&vip, "interface", message);
	}
	for (size_t i = 0; i < sizeof(good_names) / sizeof(good_names[0]); i++) {
		snprintf(vip.interface, sizeof(vip.interface), "%s", good_names[i]);
		CU_ASSERT_EQUAL(model_vip_validate(&vip, NULL), 0);
	}
	/* an unterminated name (a bug, not input) is refused, not read past */
	memset(vip.interface, 'a', sizeof(vip.interface));
	invalid(&vip, "interface", "VIP interface: longer than 15 characters");
	strcpy(vip.interface, "eth0");
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "description", "gw\x01", NULL), 0);
	invalid(&vip, "description",
		"VIP description: holds a control character (U+0001 at byte 3)");
}

static void test_vip_json(void)
{
	struct fulcrum_vip vip = gateway(), back;
	struct fulcrum_err err;
	json_t *j, *patch;
	char *text;

	vip.id = 7;
	CU_ASSERT_EQUAL(model_vip_set_field(&vip, "description", "masq gateway", NULL), 0);
	j = model_vip_to_json(&vip);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	CU_ASSERT_STRING_EQUAL(text, "{\"id\":7,\"address\":\"192.0.2.10\",\"prefix\":24,"
				     "\"interface\":\"eth0\",\"description\":\"masq gateway\"}");
	free(text);
	/* a GET's body sent back changes nothing */
	model_vip_init(&back);
	back.id = 7;
	CU_ASSERT_EQUAL(model_vip_from_json(j, &back, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&back, &vip, sizeof(vip)), 0);
	json_decref(j);

	/* PATCH: only what is sent changes; address before prefix, whatever the order sent */
	patch = json_pack("{s:i,s:s}", "prefix", 64, "address", "2001:db8::10");
	CU_ASSERT_EQUAL(model_vip_from_json(patch, &back, &err), 0);
	CU_ASSERT_EQUAL(back.addr.family, AF_INET6);
	CU_ASSERT_EQUAL(back.prefix, 64);
	CU_ASSERT_STRING_EQUAL(back.interface, "eth0");
	json_decref(patch);
	patch = json_pack("{s:s}", "address", "2001:db8::11");
	vip = back;
	vip.prefix = 128;
	CU_ASSERT_EQUAL(model_vip_from_json(patch, &vip, &err), 0);
	CU_ASSERT_EQUAL(vip.prefix, 128);
	json_decref(patch);
}

/* Each refusal names its field, and the VIP stays as it was. */
static void test_vip_json_refused(void)
{
	static const struct {
		const char *body, *field, *message;
	} bad[] = {
	    {"{\"id\": 8}", "id", "VIP id: is read-only (7)"},
	    {"{\"address\": null}", "address", "VIP address: expected a string, got null"},
	    {"{\"address\": \"nowhere\"}", "address",
	     "VIP address: 'nowhere' is not an IPv4 or IPv6 address"},
	    {"{\"prefix\": \"24\"}", "prefix", "VIP prefix: expected an integer, got a string"},
	    {"{\"prefix\": 200}", "prefix", "VIP prefix: 200 is outside 0..128"},
	    {"{\"interface\": 0}", "interface", "VIP interface: expected a string, got an integer"},
	    {"{\"prefix\": 24, \"weight\": 1}", "weight", "VIP: unknown field 'weight'"},
	    {"[]", "", "VIP: expected an object, got an array"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fulcrum_vip vip = gateway(), before;
		struct fulcrum_err err;
		json_t *j = json_loads(bad[i].body, JSON_DECODE_ANY, NULL);

		vip.id = 7;
		before = vip;
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		CU_ASSERT_EQUAL(model_vip_from_json(j, &vip, &err), -EINVAL);
		CU_ASSERT_STRING_EQUAL(err.field, bad[i].field);
		CU_ASSERT_STRING_EQUAL(err.message, bad[i].message);
		CU_ASSERT_EQUAL(memcmp(&before, &vip, sizeof(vip)), 0);
		json_decref(j);
	}
}

/* The third row of the kind table: the generic write path and PATCH reach the VIP's functions. */
static void test_vip_kind_row(void)
{
	const struct model_kind *k = model_kind(FULCRUM_KIND_VIP);
	struct fulcrum_vip vip = gateway();
	enum fulcrum_kind kind;
	json_t *j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_EQUAL(k->kind, FULCRUM_KIND_VIP);
	CU_ASSERT_STRING_EQUAL(k->name, "vip");
	CU_ASSERT_STRING_EQUAL(k->what, "VIP");
	CU_ASSERT_EQUAL(k->size, sizeof(struct fulcrum_vip));
	CU_ASSERT_STRING_EQUAL(model_kind_name(FULCRUM_KIND_VIP), "vip");
	CU_ASSERT_EQUAL(model_kind_parse("vip", &kind), 0);
	CU_ASSERT_EQUAL(kind, FULCRUM_KIND_VIP);
	vip.id = 3;
	CU_ASSERT_EQUAL(k->id_of(&vip), 3);
	CU_ASSERT_EQUAL(k->set_field(&vip, "interface", "eth1", NULL), 0);
	CU_ASSERT_STRING_EQUAL(vip.interface, "eth1");
	j = k->to_json(&vip);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "interface")), "eth1");
	CU_ASSERT_EQUAL(json_object_set_new(j, "prefix", json_integer(16)), 0);
	CU_ASSERT_EQUAL(k->from_json(j, &vip, NULL), 0);
	CU_ASSERT_EQUAL(vip.prefix, 16);
	json_decref(j);
	CU_ASSERT_PTR_NULL(model_kind((enum fulcrum_kind)(FULCRUM_KIND_VIP + 1)));
}

UNIT_SUITE(model_vip)
{
	CU_pSuite s = CU_add_suite("model_vip", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "defaults", test_vip_defaults);
	CU_add_test(s, "the prefix follows the family while it is whole",
		    test_vip_prefix_follows_family);
	CU_add_test(s, "fields refused, the VIP unchanged", test_vip_fields_refused);
	CU_add_test(s, "addresses no director can hold", test_vip_address_rules);
	CU_add_test(s, "prefix and interface rules", test_vip_prefix_and_interface_rules);
	CU_add_test(s, "JSON form and PATCH semantics", test_vip_json);
	CU_add_test(s, "JSON refusals name the field", test_vip_json_refused);
	CU_add_test(s, "the kind table's VIP row", test_vip_kind_row);
	return CU_get_error();
}
