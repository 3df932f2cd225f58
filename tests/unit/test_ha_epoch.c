/* Unit tests of controller/ha/ha_epoch.c: the epoch grows at every start, files are private and durable. */
#include "controller/ha/ha_epoch.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void test_ha_epoch_grows(void)
{
	char dir[256], path[512], err[512];
	uint64_t e1 = 0, e2 = 0, e3 = 0;
	struct stat st;

	unit_tmpdir(dir, sizeof(dir));
	CU_ASSERT_EQUAL(ha_epoch_path(dir, "ha-epoch", path, sizeof(path)), 0);
	/* no file: the clock's value */
	CU_ASSERT_EQUAL(ha_epoch_next(path, 1000, &e1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(e1, 1000);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	/* the clock went back: one more than the file */
	CU_ASSERT_EQUAL(ha_epoch_next(path, 5, &e2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(e2, 1001);
	/* the clock is ahead: the clock */
	CU_ASSERT_EQUAL(ha_epoch_next(path, 2000, &e3, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(e3, 2000);
	write_text(path, "12x\n");
	CU_ASSERT_EQUAL(ha_epoch_next(path, 1, &e3, err, sizeof(err)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "delete it"));
	write_text(path, "");
	CU_ASSERT_EQUAL(ha_epoch_next(path, 1, &e3, err, sizeof(err)), -EBADMSG);
	unit_tmpdir_cleanup(dir);
}

static void test_ha_epoch_peer(void)
{
	char dir[256], path[512], err[512], node[65];
	uint64_t epoch = 9, seq = 9;

	unit_tmpdir(dir, sizeof(dir));
	CU_ASSERT_EQUAL(ha_epoch_path(dir, "ha-peer", path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(
	    ha_epoch_peer_load(path, node, sizeof(node), &epoch, &seq, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(epoch, 0);
	CU_ASSERT_EQUAL(seq, 0);
	CU_ASSERT_STRING_EQUAL(node, "");
	CU_ASSERT_EQUAL(
	    ha_epoch_peer_save(path, "ldirector2", 1765000000123ull, 7, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(
	    ha_epoch_peer_load(path, node, sizeof(node), &epoch, &seq, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(node, "ldirector2");
	CU_ASSERT_EQUAL(epoch, 1765000000123ull);
	CU_ASSERT_EQUAL(seq, 7);
	write_text(path, "ldirector2 12\n");
	CU_ASSERT_EQUAL(
	    ha_epoch_peer_load(path, node, sizeof(node), &epoch, &seq, err, sizeof(err)), -EBADMSG);
	CU_ASSERT_EQUAL(epoch, 0);
	CU_ASSERT_STRING_EQUAL(node, "");
	CU_ASSERT_EQUAL(ha_epoch_path("/x", "y", path, 3), -ENAMETOOLONG);
	unit_tmpdir_cleanup(dir);
}

UNIT_SUITE(ha_epoch)
{
	CU_pSuite s = CU_add_suite("ha_epoch", NULL, NULL);

	if (!s)
		return CU_get_error();
	CU_add_test(s, "the epoch grows at every start, clock or not", test_ha_epoch_grows);
	CU_add_test(s, "the peer's window saved and restored", test_ha_epoch_peer);
	return CU_get_error();
}
