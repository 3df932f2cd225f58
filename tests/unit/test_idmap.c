/* Unit tests of controller/lib/idmap.c: every id found again, through growth and deletion. */
#include "controller/lib/idmap.h"
#include "tests/unit/unit.h"

#include <stdint.h>
#include <stdlib.h>

static void test_idmap_many(void)
{
	struct idmap m = {0};
	enum { N = 50000 };
	static int vals[N + 1];
	size_t pos = 0, seen = 0;
	int64_t id;
	int *v;

	for (int64_t i = 1; i <= N; i++)
		CU_ASSERT_EQUAL_FATAL(idmap_put(&m, i * 7, &vals[i]), 0);
	CU_ASSERT_EQUAL(m.n, N);
	for (int64_t i = 1; i <= N; i++)
		CU_ASSERT_PTR_EQUAL(idmap_get(&m, i * 7), &vals[i]);
	CU_ASSERT_PTR_NULL(idmap_get(&m, 8));
	/* Delete every other one while iterating. */
	while ((v = idmap_next(&m, &pos, &id))) {
		CU_ASSERT_PTR_EQUAL(v, &vals[id / 7]);
		seen++;
		if ((id / 7) % 2 == 0)
			CU_ASSERT_PTR_EQUAL(idmap_del(&m, id), v);
	}
	CU_ASSERT_EQUAL(seen, N);
	CU_ASSERT_EQUAL(m.n, N / 2);
	for (int64_t i = 1; i <= N; i++)
		CU_ASSERT_PTR_EQUAL(idmap_get(&m, i * 7), i % 2 ? &vals[i] : NULL);
	/* Slots freed by deletion are reused, and replacing keeps the count. */
	CU_ASSERT_EQUAL(idmap_put(&m, 14, &vals[0]), 0);
	CU_ASSERT_EQUAL(idmap_put(&m, 14, &vals[1]), 0);
	CU_ASSERT_PTR_EQUAL(idmap_get(&m, 14), &vals[1]);
	CU_ASSERT_EQUAL(m.n, N / 2 + 1);
	CU_ASSERT_PTR_NULL(idmap_del(&m, 16));
	idmap_clear(&m);
}

static void test_idmap_refuses_bad_keys(void)
{
	struct idmap m = {0};
	int x;

	CU_ASSERT_EQUAL(idmap_put(&m, 0, &x), -22);
	CU_ASSERT_EQUAL(idmap_put(&m, -5, &x), -22);
	CU_ASSERT_EQUAL(idmap_put(&m, 5, NULL), -22);
	CU_ASSERT_PTR_NULL(idmap_get(&m, 5));
	CU_ASSERT_EQUAL(m.n, 0);
	idmap_clear(&m);
}

/* Churn: many puts and deletes keep the table bounded and correct. */
static void test_idmap_churn(void)
{
	struct idmap m = {0};
	int x;

	for (int64_t i = 1; i <= 100000; i++) {
		CU_ASSERT_EQUAL_FATAL(idmap_put(&m, i, &x), 0);
		if (i > 10)
			CU_ASSERT_PTR_EQUAL_FATAL(idmap_del(&m, i - 10), &x);
	}
	CU_ASSERT_EQUAL(m.n, 10);
	CU_ASSERT(m.cap <= 1024);
	for (int64_t i = 99991; i <= 100000; i++)
		CU_ASSERT_PTR_EQUAL(idmap_get(&m, i), &x);
	idmap_clear(&m);
}

/* An iteration resumed after the map grew (a sweep in slices) ends, returning only live entries. */
static void test_idmap_resume_after_growth(void)
{
	struct idmap m = {0};
	static int vals[2001];
	size_t pos = 0, seen = 0;
	int64_t id;
	int *v;

	for (int64_t i = 1; i <= 100; i++)
		CU_ASSERT_EQUAL_FATAL(idmap_put(&m, i, &vals[i]), 0);
	for (int k = 0; k < 50; k++)
		CU_ASSERT_PTR_NOT_NULL(idmap_next(&m, &pos, &id));
	for (int64_t i = 101; i <= 2000; i++)
		CU_ASSERT_EQUAL_FATAL(idmap_put(&m, i, &vals[i]), 0);
	CU_ASSERT_PTR_EQUAL(idmap_del(&m, 1), &vals[1]);
	while ((v = idmap_next(&m, &pos, &id)) != NULL) {
		CU_ASSERT(id >= 2 && id <= 2000);
		CU_ASSERT_PTR_EQUAL(v, &vals[id]);
		CU_ASSERT_FATAL(++seen <= 2000);
	}
	idmap_clear(&m);
}

UNIT_SUITE(idmap)
{
	CU_pSuite s = CU_add_suite("idmap", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "50,000 ids found, deleted while iterating", test_idmap_many);
	CU_add_test(s, "ids <= 0 and NULL values refused", test_idmap_refuses_bad_keys);
	CU_add_test(s, "churn keeps the table small", test_idmap_churn);
	CU_add_test(s, "an iteration resumed after growth ends", test_idmap_resume_after_growth);
	return CU_get_error();
}
