/* Shared helpers of the CUnit unit tests: suite registration and scratch files. */
#ifndef FULCRUM_UNIT_H
#define FULCRUM_UNIT_H

#include "controller/model/model-t.h"

#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stddef.h>

/* Each tests/unit/test_X.c defines test_X_register(), listed once in run.c. */
#define UNIT_SUITE(name) CU_ErrorCode test_##name##_register(void)

#define USE(name) UNIT_SUITE(name);
#include "tests/unit/suites.h"
#undef USE

/*
 * Makes a fresh scratch folder for one test and returns its path in buf.
 * The folder is under $TMPDIR (or /tmp) and removed by unit_tmpdir_cleanup().
 */
const char *unit_tmpdir(char *buf, size_t len);
void unit_tmpdir_cleanup(const char *dir);

/*
 * Asserts that st's mirror holds exactly what its database holds: the same
 * revision, every service, real server and VIP field for field, real servers
 * in the (service, id) order the MIB walks (test_store.c); the VIPs alone,
 * in id order, and the next VIP id (test_store_vip.c).
 */
struct store;
void unit_assert_mirror_vips_match(struct store *st);

/*
 * Objects most tests start from: a tcp service name at addr:80, and a real
 * server at addr:80 (masq, weight 1); every other field the model's default.
 */
struct fulcrum_vs unit_vs(const char *name, const char *addr);
struct fulcrum_rs unit_rs(const char *addr);

struct db;
/* Inserts n services (n <= 65,536) of 10 real servers each into db, in its open transaction. */
void unit_db_services(struct db *db, int n);

/* Whether two check settings are equal field by field (not bytewise: text tails may differ). */
bool unit_check_same(const struct fulcrum_check *a, const struct fulcrum_check *b);
void unit_assert_mirror_matches(struct store *st);

#endif
