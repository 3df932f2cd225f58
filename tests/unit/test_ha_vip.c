/* Unit tests of controller/ha/ha_vip.c: the text form, equality as the kernel sees it, and list differences. */
#include "controller/ha/ha_vip.h"
#include "tests/unit/unit.h"

#include <stdlib.h>
#include <string.h>

static struct ha_vip vip(const char *text)
{
	struct ha_vip v;
	char err[128];

	CU_ASSERT_EQUAL_FATAL(ha_vip_parse(text, &v, err, sizeof(err)), 0);
	return v;
}

static void test_ha_vip_parse(void)
{
	struct ha_vip v = vip("192.0.2.10/24@eth0");
	char buf[HA_VIP_STRLEN], err[128];

	CU_ASSERT_EQUAL(v.addr.family, AF_INET);
	CU_ASSERT_EQUAL(v.prefix, 24);
	CU_ASSERT_STRING_EQUAL(v.ifname, "eth0");
	CU_ASSERT_STRING_EQUAL(ha_vip_format(&v, buf, sizeof(buf)), "192.0.2.10/24 on eth0");
	v = vip("2001:db8::10@bond0.100");
	CU_ASSERT_EQUAL(v.prefix, 128);
	CU_ASSERT_STRING_EQUAL(ha_vip_format(&v, buf, sizeof(buf)),
			       "2001:db8::10/128 on bond0.100");
	v = vip("192.0.2.10@eth-cl");
	CU_ASSERT_EQUAL(v.prefix, 32);

	CU_ASSERT_EQUAL(ha_vip_parse("192.0.2.10/24", &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(ha_vip_parse("192.0.2.10/33@eth0", &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "0..32"));
	CU_ASSERT_EQUAL(ha_vip_parse("192.0.2.10/@eth0", &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(ha_vip_parse("192.0.2.10/2x@eth0", &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(ha_vip_parse("web/24@eth0", &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(ha_vip_parse("192.0.2.10/24@", &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(ha_vip_parse("192.0.2.10/24@averyveryverylongname", &v, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_EQUAL(ha_vip_parse("2001:db8::1/129@eth0", &v, err, sizeof(err)), -EINVAL);
}

static void test_ha_vip_list(void)
{
	struct ha_vip *list = NULL;
	size_t n = 9;
	char err[128];

	CU_ASSERT_EQUAL(ha_vip_list_parse("", &list, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(list);
	CU_ASSERT_EQUAL(
	    ha_vip_list_parse(" 10.0.2.100/24@eth-cl, 10.0.1.254/24@eth-rs\tfd00:2::100/64@eth-cl ",
			      &list, &n, err, sizeof(err)),
	    0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_STRING_EQUAL(list[1].ifname, "eth-rs");
	CU_ASSERT_EQUAL(list[2].prefix, 64);
	free(list);
	CU_ASSERT_EQUAL(
	    ha_vip_list_parse("10.0.2.100/24@a 10.0.2.100/24@a", &list, &n, err, sizeof(err)),
	    -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "twice"));
	CU_ASSERT_PTR_NULL(list);
	/* the same address with another prefix, or on another link, is another kernel address */
	CU_ASSERT_EQUAL(ha_vip_list_parse("10.0.2.100/24@a 10.0.2.100/32@a 10.0.2.100/24@b", &list,
					  &n, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(n, 3);
	free(list);
	CU_ASSERT_EQUAL(ha_vip_list_parse("10.0.2.100/24@a nonsense", &list, &n, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nonsense"));
}

static void test_ha_vip_diff(void)
{
	struct ha_vip a[3] = {vip("10.0.0.1/24@e0"), vip("10.0.0.2/24@e0"), vip("fd00::1/64@e1")};
	struct ha_vip b[3] = {vip("fd00::1/64@e1"), vip("10.0.0.3/24@e0"), vip("10.0.0.1/32@e0")};
	bool missing[3], added[3], removed[3];

	CU_ASSERT_TRUE(ha_vip_equal(&a[2], &b[0]));
	CU_ASSERT_FALSE(ha_vip_equal(&a[0], &b[2])); /* the prefix counts */
	/* what the kernel holds (b) against what is wanted (a) */
	CU_ASSERT_EQUAL(ha_vip_missing(a, 3, b, 3, missing), 2);
	CU_ASSERT_TRUE(missing[0]);
	CU_ASSERT_TRUE(missing[1]);
	CU_ASSERT_FALSE(missing[2]);
	CU_ASSERT_EQUAL(ha_vip_missing(a, 3, a, 3, missing), 0);
	CU_ASSERT_EQUAL(ha_vip_missing(a, 3, NULL, 0, missing), 3);
	/* a configuration change: a -> b */
	CU_ASSERT_EQUAL(ha_vip_diff(a, 3, b, 3, added, removed), 4);
	CU_ASSERT_FALSE(added[0]);
	CU_ASSERT_TRUE(added[1]);
	CU_ASSERT_TRUE(added[2]);
	CU_ASSERT_TRUE(removed[0]);
	CU_ASSERT_TRUE(removed[1]);
	CU_ASSERT_FALSE(removed[2]);
	CU_ASSERT_EQUAL(ha_vip_diff(a, 3, a, 3, added, removed), 0);
	CU_ASSERT_EQUAL(ha_vip_diff(NULL, 0, a, 2, added, removed), 2);
}

UNIT_SUITE(ha_vip)
{
	CU_pSuite s = CU_add_suite("ha_vip", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "ADDR/PREFIX@IF parsed and formatted", test_ha_vip_parse);
	CU_add_test(s, "lists: blanks and commas, no VIP twice", test_ha_vip_list);
	CU_add_test(s, "missing VIPs and configuration changes", test_ha_vip_diff);
	return CU_get_error();
}
