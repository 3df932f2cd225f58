/* Fuzz target: what an HTTP check expects (health_expect_*), and whether it agrees with the model. */
#include "controller/health/health_int.h"
#include "controller/model/model.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The input: two bytes, the status a server answers (big-endian), then
 * expect_status, expect and expect_regex, each ended by a NUL, then the
 * reply's body (any bytes, NULs too). Texts longer than the model lets a
 * check hold never reach the engine, so they are not fed to it either.
 */
static void fuzz_fail(const char *why, const char *status, const char *substring, const char *regex,
		      const char *msg)
{
	fprintf(stderr,
		"fuzz_health_expect: %s\n  expect_status '%s' expect '%s' expect_regex '%s'\n"
		"  message: '%s'\n",
		why, status, substring, regex, msg ? msg : "");
	abort();
}

/* Takes the next NUL-ended text of data[*at..size), or NULL when there is none. */
static const char *fuzz_text(const uint8_t *data, size_t size, size_t *at)
{
	const uint8_t *end = memchr(data + *at, '\0', size - *at);
	const char *s = (const char *)data + *at;

	if (!end)
		return NULL;
	*at = (size_t)(end - data) + 1;
	return s;
}

/* A service with an HTTP check, valid, that the texts are tried in. */
static void fuzz_service(struct fulcrum_vs *vs)
{
	model_vs_init(vs);
	if (model_vs_set_field(vs, "name", "web", NULL) != 0 ||
	    model_vs_set_field(vs, "address", "192.0.2.10", NULL) != 0 ||
	    model_vs_set_field(vs, "port", "80", NULL) != 0 ||
	    model_vs_set_field(vs, "protocol", "tcp", NULL) != 0 ||
	    model_vs_set_field(vs, "check.type", "http", NULL) != 0 ||
	    model_vs_validate(vs, NULL) != 0)
		abort();
}

/* Whether the model takes value for field of an HTTP check: what the engine is then given. */
static bool fuzz_model_takes(const char *field, const char *value)
{
	struct fulcrum_vs vs;

	fuzz_service(&vs);
	return model_vs_set_field(&vs, field, value, NULL) == 0 &&
	       model_vs_validate(&vs, NULL) == 0;
}

/* The engine's answer to status is the model's, and a refusal says why. */
static void fuzz_status(const struct health_expect *e, bool model, long status, const char *st,
			const char *sub, const char *re)
{
	char why[160] = "";
	bool ok = health_expect_status(e, status, why, sizeof(why));

	if (!ok && strncmp(why, "status ", 7) != 0)
		fuzz_fail("a status refused without saying which", st, sub, re, why);
	if (model && status >= 0 && status <= 999 &&
	    ok != model_check_status_match(e->status_text, (unsigned)status))
		fuzz_fail("the engine and the model disagree on a status", st, sub, re, why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *st, *sub, *re, *body;
	char err[512] = "", why[1024] = "", *made;
	struct health_expect e;
	size_t at = 2, len, n;
	long status;
	bool model_status, model_regex;
	int rc;

	if (size < 2 || !(st = fuzz_text(data, size, &at)) || !(sub = fuzz_text(data, size, &at)) ||
	    !(re = fuzz_text(data, size, &at)))
		return 0;
	if (strlen(st) > FULCRUM_CHECK_STATUS_MAX || strlen(sub) > FULCRUM_CHECK_PATH_MAX ||
	    strlen(re) > FULCRUM_CHECK_PATH_MAX)
		return 0;
	status = (long)data[0] << 8 | data[1];
	body = (const char *)data + at;
	len = size - at;
	/* "" is the engine's 200 and no text the model stores; the model checks the rest */
	model_status = *st && fuzz_model_takes("check.expect_status", st);
	model_regex = fuzz_model_takes("check.expect_regex", re);

	rc = health_expect_init(&e, st, sub, re, err, sizeof(err));
	if (rc != 0) {
		if (rc != -EINVAL)
			fuzz_fail("init returned neither 0 nor -EINVAL", st, sub, re, err);
		if (strncmp(err, "expect_status '", 15) != 0 &&
		    strncmp(err, "expect_regex '", 14) != 0)
			fuzz_fail("init refused without naming the setting", st, sub, re, err);
		if (err[7] == 's' ? model_status : model_regex)
			fuzz_fail("init refused what the model takes", st, sub, re, err);
		return 0;
	}
	fuzz_status(&e, model_status, status, st, sub, re);
	for (unsigned i = 0; i < e.nstatus; i++) {
		fuzz_status(&e, model_status, e.lo[i] - 1, st, sub, re);
		fuzz_status(&e, model_status, e.hi[i] + 1, st, sub, re);
	}
	if (!health_expect_body(&e, body, len, why, sizeof(why)) && !why[0])
		fuzz_fail("a body refused without a reason", st, sub, re, why);
	/* the body with the text put in its first HEALTH_BODY_MAX bytes holds it */
	n = strlen(sub);
	if (!e.has_regex && n <= HEALTH_BODY_MAX && (made = malloc(len + n + 1))) {
		size_t cut = len < HEALTH_BODY_MAX - n ? len : HEALTH_BODY_MAX - n;

		memcpy(made, body, cut);
		memcpy(made + cut, sub, n);
		memcpy(made + cut + n, body + cut, len - cut);
		why[0] = '\0';
		if (!health_expect_body(&e, made, len + n, why, sizeof(why)))
			fuzz_fail("a body holding the text is refused", st, sub, re, why);
		free(made);
	}
	health_expect_fini(&e);
	return 0;
}
