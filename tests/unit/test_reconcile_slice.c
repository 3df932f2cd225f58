/* Unit tests of controller/reconcile/reconcile_slice.c: the cursor survives store changes, slices keep their budget. */
#include "controller/reconcile/reconcile_slice.h"
#include "tests/unit/unit.h"

#include <stdint.h>
#include <string.h>

enum { MAXV = 64 };

/* A store's service list in id order, as store_vs_all() gives it. */
struct fake_store {
	struct fulcrum_vs vs[MAXV];
	const struct fulcrum_vs *ptr[MAXV];
	size_t n;
};

static void fake_set(struct fake_store *f, const int64_t *ids, size_t n)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < n; i++) {
		f->vs[i].id = ids[i];
		f->ptr[i] = &f->vs[i];
	}
	f->n = n;
}

static void test_slice_seek(void)
{
	static const int64_t ids[] = {1, 2, 5, 9};
	struct reconcile_slice s;
	struct fake_store f;

	reconcile_slice_init(&s, 10);
	CU_ASSERT_EQUAL(reconcile_slice_seek(&s, NULL, 0), 0);
	fake_set(&f, ids, 4);
	CU_ASSERT_EQUAL(reconcile_slice_seek(&s, f.ptr, f.n), 0);
	s.after = 2;
	CU_ASSERT_EQUAL(reconcile_slice_seek(&s, f.ptr, f.n), 2);
	s.after = 3; /* service 3 was deleted after it was done: go on with 5 */
	CU_ASSERT_EQUAL(reconcile_slice_seek(&s, f.ptr, f.n), 2);
	s.after = 9;
	CU_ASSERT_EQUAL(reconcile_slice_seek(&s, f.ptr, f.n), 4);
	s.after = 100;
	CU_ASSERT_EQUAL(reconcile_slice_seek(&s, f.ptr, f.n), 4);
}

/*
 * A pass over services 1..10 in slices of 10 ms, 3 ms a service, while the
 * store changes between slices: each service that lives through the pass is
 * done exactly once, a deleted one is never reached again, and a new one
 * (a higher id) is done too.
 */
static void test_slice_pass_with_store_changes(void)
{
	static const int64_t before[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	static const int64_t after[] = {1, 2, 4, 6, 7, 8, 9, 10, 11};
	unsigned done[16] = {0};
	struct reconcile_slice s;
	struct fake_store f;
	double now = 1000;
	unsigned slices = 0;

	reconcile_slice_init(&s, 10);
	fake_set(&f, before, 10);
	for (;;) {
		size_t i = reconcile_slice_seek(&s, f.ptr, f.n);
		unsigned steps = 0;

		if (i == f.n)
			break;
		reconcile_slice_begin(&s, now);
		for (; i < f.n; i++) {
			now += 3;
			done[f.ptr[i]->id]++;
			steps++;
			if (reconcile_slice_step(&s, f.ptr[i]->id, now))
				break;
		}
		reconcile_slice_end(&s, now);
		slices++;
		CU_ASSERT(steps <= 4); /* 4 x 3 ms reaches the 10 ms budget */
		/* between the first and second slice: 3 and 5 deleted, 11 created */
		if (slices == 1)
			fake_set(&f, after, 9);
	}
	CU_ASSERT_EQUAL(done[3], 1); /* done before it was deleted */
	CU_ASSERT_EQUAL(done[5], 0); /* deleted before the pass reached it */
	for (int64_t id = 1; id <= 11; id++)
		if (id != 3 && id != 5)
			CU_ASSERT_EQUAL(done[id], 1);
	CU_ASSERT_EQUAL(s.slices, slices);
	CU_ASSERT_EQUAL(slices, 3); /* 4 + 4 + 2 services */
	CU_ASSERT_DOUBLE_EQUAL(s.longest_ms, 12, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(s.busy_ms, 30, 1e-9);
	CU_ASSERT_EQUAL(s.after, 11);
}

/* A slice always makes progress: one step even when that step alone overruns the budget. */
static void test_slice_progress(void)
{
	struct reconcile_slice s;

	reconcile_slice_init(&s, 10);
	reconcile_slice_begin(&s, 0);
	CU_ASSERT_FALSE(reconcile_slice_step(&s, 7, 9.9));
	CU_ASSERT_TRUE(reconcile_slice_step(&s, 8, 10));
	CU_ASSERT_EQUAL(s.after, 8);
	CU_ASSERT_EQUAL(s.steps, 2);
	reconcile_slice_end(&s, 10);
	reconcile_slice_begin(&s, 20);
	CU_ASSERT_EQUAL(s.steps, 0);
	/* a step that is not a service (0) does not move the cursor */
	CU_ASSERT_TRUE(reconcile_slice_step(&s, 0, 95));
	CU_ASSERT_EQUAL(s.after, 8);
	reconcile_slice_end(&s, 95);
	CU_ASSERT_EQUAL(s.slices, 2);
	CU_ASSERT_DOUBLE_EQUAL(s.longest_ms, 75, 1e-9);
	/* a clock that went backwards counts as no time, not as negative time */
	reconcile_slice_begin(&s, 100);
	reconcile_slice_end(&s, 99);
	CU_ASSERT_DOUBLE_EQUAL(s.busy_ms, 85, 1e-9);
}

UNIT_SUITE(reconcile_slice)
{
	CU_pSuite s = CU_add_suite("reconcile_slice", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "the cursor finds the next service by id", test_slice_seek);
	CU_add_test(s, "a pass in slices while services come and go",
		    test_slice_pass_with_store_changes);
	CU_add_test(s, "every slice makes progress; slice times add up", test_slice_progress);
	return CU_get_error();
}
