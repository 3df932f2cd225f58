/* The unit test runner: every suite registered from one table, failures set the exit status. */
#include "tests/unit/unit.h"

#include "controller/model/model.h"
#include "db/db.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *unit_tmpdir(char *buf, size_t len)
{
	const char *base = getenv("TMPDIR");

	snprintf(buf, len, "%s/fulcrum-unit-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(buf)) {
		fprintf(stderr, "mkdtemp %s: %s\n", buf, strerror(errno));
		abort();
	}
	return buf;
}

static int unit_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void unit_tmpdir_cleanup(const char *dir)
{
	if (!dir || !strstr(dir, "/fulcrum-unit-"))
		return;
	if (nftw(dir, unit_rm, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "could not remove %s: %s\n", dir, strerror(errno));
}

struct fulcrum_vs unit_vs(const char *name, const char *addr)
{
	struct fulcrum_vs vs;

	model_vs_init(&vs);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "name", name, NULL), 0);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "address", addr, NULL), 0);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "port", "80", NULL), 0);
	CU_ASSERT_EQUAL(model_vs_set_field(&vs, "protocol", "tcp", NULL), 0);
	return vs;
}

bool unit_check_same(const struct fulcrum_check *a, const struct fulcrum_check *b)
{
	return a->type == b->type && strcmp(a->path, b->path) == 0 &&
	       strcmp(a->host, b->host) == 0 && a->head == b->head &&
	       strcmp(a->expect_status, b->expect_status) == 0 &&
	       strcmp(a->expect, b->expect) == 0 && strcmp(a->expect_regex, b->expect_regex) == 0 &&
	       a->verify_tls == b->verify_tls && strcmp(a->command, b->command) == 0 &&
	       a->interval == b->interval && a->timeout == b->timeout && a->rise == b->rise &&
	       a->fall == b->fall && model_addr_equal(&a->check_address, &b->check_address) &&
	       a->check_port == b->check_port && a->on_failure == b->on_failure;
}

struct fulcrum_rs unit_rs(const char *addr)
{
	struct fulcrum_rs rs;

	model_rs_init(&rs);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "address", addr, NULL), 0);
	CU_ASSERT_EQUAL(model_rs_set_field(&rs, "port", "80", NULL), 0);
	return rs;
}

/* With names on the command line, only those suites run (fulcrum-unit repl replay). */
static void only_suites(int argc, char **argv)
{
	CU_pTestRegistry reg = CU_get_registry();

	for (CU_pSuite s = reg ? reg->pSuite : NULL; argc > 1 && s; s = s->pNext) {
		bool named = false;

		for (int i = 1; i < argc; i++)
			named = named || strcmp(argv[i], s->pName) == 0;
		CU_set_suite_active(s, named ? CU_TRUE : CU_FALSE);
	}
}

void unit_db_services(struct db *db, int n)
{
	for (int i = 0; i < n; i++) {
		char name[16], addr[32];
		struct fulcrum_vs vs;

		snprintf(name, sizeof(name), "svc%d", i);
		snprintf(addr, sizeof(addr), "10.%d.%d.1", i / 256, i % 256);
		vs = unit_vs(name, addr);
		CU_ASSERT_EQUAL_FATAL(db_vs_insert(db, &vs), 0);
		for (int k = 0; k < 10; k++) {
			struct fulcrum_rs rs;

			snprintf(addr, sizeof(addr), "172.%d.%d.%d", 16 + i / 4096, (i / 16) % 256,
				 (i % 16) * 10 + k + 1);
			rs = unit_rs(addr);
			rs.vs_id = vs.id;
			CU_ASSERT_EQUAL_FATAL(db_rs_insert(db, &rs), 0);
		}
	}
}

int main(int argc, char **argv)
{
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
#define USE(name)                                                                                  \
	if (test_##name##_register() != CUE_SUCCESS) {                                             \
		fprintf(stderr, "cannot register suite %s: %s\n", #name, CU_get_error_msg());      \
		CU_cleanup_registry();                                                             \
		return 2;                                                                          \
	}

#include "tests/unit/suites.h"
#undef USE
	only_suites(argc, argv);
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
