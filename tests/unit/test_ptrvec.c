/* Unit tests of controller/lib/ptrvec.c: order kept through inserts and removals, lookups. */
#include "controller/lib/ptrvec.h"
#include "tests/unit/unit.h"

#include <stdint.h>
#include <stdlib.h>

static int int_cmp(const void *key, const void *elem)
{
	int a = *(const int *)key, b = *(const int *)elem;

	return a < b ? -1 : a > b;
}

static bool sorted(const struct ptrvec *pv)
{
	for (size_t i = 1; i < pv->n; i++)
		if (int_cmp(pv->v[i - 1], pv->v[i]) >= 0)
			return false;
	return true;
}

/* 1000 values inserted out of order come out sorted; removals keep the order. */
static void test_ptrvec_order(void)
{
	enum { N = 1000 };
	static int vals[N];
	struct ptrvec pv = {0};
	int key;

	for (int i = 0; i < N; i++) {
		vals[i] = (i * 389) % N; /* 389 is prime to 1000: every value once */
		CU_ASSERT_EQUAL_FATAL(ptrvec_insert(&pv, &vals[i], int_cmp), 0);
	}
	CU_ASSERT_EQUAL(pv.n, N);
	CU_ASSERT_TRUE(sorted(&pv));
	for (key = 0; key < N; key += 2)
		ptrvec_remove(&pv, &key, int_cmp);
	CU_ASSERT_EQUAL(pv.n, N / 2);
	CU_ASSERT_TRUE(sorted(&pv));
	key = 4;
	CU_ASSERT_PTR_NULL(ptrvec_find(&pv, &key, int_cmp));
	ptrvec_remove(&pv, &key, int_cmp); /* absent: nothing happens */
	CU_ASSERT_EQUAL(pv.n, N / 2);
	key = 5;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ptrvec_find(&pv, &key, int_cmp));
	CU_ASSERT_EQUAL(*(int *)ptrvec_find(&pv, &key, int_cmp), 5);
	/* the first element not less than 4 is 5, at index 2 (1, 3, 5, ...) */
	key = 4;
	CU_ASSERT_EQUAL(ptrvec_lower(&pv, &key, int_cmp), 2);
	key = N;
	CU_ASSERT_EQUAL(ptrvec_lower(&pv, &key, int_cmp), pv.n);
	ptrvec_clear(&pv, false);
	CU_ASSERT_EQUAL(pv.n, 0);
	CU_ASSERT_PTR_NULL(pv.v);
}

/* An empty array answers every lookup; clear frees the elements when asked. */
static void test_ptrvec_empty_and_owned(void)
{
	struct ptrvec pv = {0};
	int key = 1, *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));

	CU_ASSERT_PTR_NULL(ptrvec_find(&pv, &key, int_cmp));
	CU_ASSERT_EQUAL(ptrvec_lower(&pv, &key, int_cmp), 0);
	ptrvec_remove(&pv, &key, int_cmp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	*a = 2;
	*b = 1;
	CU_ASSERT_EQUAL(ptrvec_insert(&pv, a, int_cmp), 0);
	CU_ASSERT_EQUAL(ptrvec_insert(&pv, b, int_cmp), 0);
	CU_ASSERT_PTR_EQUAL(pv.v[0], b);
	ptrvec_clear(&pv, true); /* valgrind tells if they leaked */
	CU_ASSERT_EQUAL(pv.cap, 0);
}

UNIT_SUITE(ptrvec)
{
	CU_pSuite s = CU_add_suite("ptrvec", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "inserts out of order stay sorted, removals too", test_ptrvec_order);
	CU_add_test(s, "an empty array; clear frees the elements", test_ptrvec_empty_and_owned);
	return CU_get_error();
}
