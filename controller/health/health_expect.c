/* What an HTTP check expects back (statuses, body text), and the rise/fall rule. */
#include "controller/health/health_int.h"
#include "controller/model/model.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a status (100..599) at *s; advances *s. */
static int expect_number(const char **s, uint16_t *out)
{
	unsigned v = 0, digits = 0;

	while (isdigit((unsigned char)**s) && digits < 4) {
		v = v * 10 + (unsigned)(**s - '0');
		(*s)++;
		digits++;
	}
	if (digits != 3 || v < 100 || v > 599)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

static int expect_status_parse(struct health_expect *e, const char *text)
{
	const char *s = text;

	e->nstatus = 0;
	if (!*s) {
		e->lo[0] = e->hi[0] = 200;
		e->nstatus = 1;
		return 0;
	}
	for (;;) {
		uint16_t lo, hi;

		while (*s == ' ')
			s++;
		if (expect_number(&s, &lo) != 0)
			return -EINVAL;
		hi = lo;
		if (*s == '-') {
			s++;
			if (expect_number(&s, &hi) != 0 || hi < lo)
				return -EINVAL;
		}
		if (e->nstatus == HEALTH_STATUS_MAX)
			return -EINVAL;
		e->lo[e->nstatus] = lo;
		e->hi[e->nstatus] = hi;
		e->nstatus++;
		while (*s == ' ')
			s++;
		if (!*s)
			return 0;
		if (*s++ != ',')
			return -EINVAL;
	}
}

int health_expect_init(struct health_expect *e, const char *status, const char *substring,
		       const char *regex, char *err, size_t errlen)
{
	char msg[160];
	int rc;

	memset(e, 0, sizeof(*e));
	e->status_text = *status ? status : "200";
	e->substring = substring;
	e->regex_text = regex;
	if (expect_status_parse(e, status) != 0) {
		snprintf(err, errlen,
			 "expect_status '%s' is not a list of statuses and ranges like "
			 "200-299,301",
			 status);
		return -EINVAL;
	}
	if (!*regex)
		return 0;
	/* the model's compiler, with its bound: a row written before that bound is refused here */
	rc = model_regex_compile(&e->regex, regex, msg, sizeof(msg));
	if (rc != 0) {
		snprintf(err, errlen, "expect_regex '%s' %s%s", regex,
			 rc == -E2BIG ? "" : "does not compile: ", msg);
		return -EINVAL;
	}
	e->has_regex = true;
	return 0;
}

void health_expect_fini(struct health_expect *e)
{
	if (e->has_regex)
		regfree(&e->regex);
	e->has_regex = false;
}

bool health_expect_status(const struct health_expect *e, long status, char *why, size_t whylen)
{
	for (unsigned i = 0; i < e->nstatus; i++)
		if (status >= e->lo[i] && status <= e->hi[i])
			return true;
	snprintf(why, whylen, "status %ld, expected %s", status, e->status_text);
	return false;
}

bool health_expect_body(const struct health_expect *e, const char *body, size_t len, char *why,
			size_t whylen)
{
	char text[HEALTH_BODY_MAX + 1];

	if (len > HEALTH_BODY_MAX)
		len = HEALTH_BODY_MAX;
	if (*e->substring && !memmem(body, len, e->substring, strlen(e->substring))) {
		snprintf(why, whylen, "'%s' not in the first %d bytes of the reply", e->substring,
			 HEALTH_BODY_MAX);
		return false;
	}
	if (!e->has_regex)
		return true;
	/* regexec reads a C string: a NUL in the body ends what it sees */
	memcpy(text, body, len);
	text[len] = '\0';
	if (regexec(&e->regex, text, 0, NULL, 0) != 0) {
		snprintf(why, whylen, "no match for /%s/ in the first %d bytes of the reply",
			 e->regex_text, HEALTH_BODY_MAX);
		return false;
	}
	return true;
}

bool health_state_step(struct health_state *st, uint32_t *successes, bool ok, const char *reason,
		       uint32_t rise, uint32_t fall, time_t now)
{
	enum health_status to = st->state;

	st->last_check = now;
	st->checks++;
	if (ok) {
		st->failures = 0;
		if (*successes < UINT32_MAX)
			(*successes)++;
		if (st->state == HEALTH_UNKNOWN || *successes >= rise)
			to = HEALTH_UP;
	} else {
		*successes = 0;
		if (st->failures < UINT32_MAX)
			st->failures++;
		if (st->state == HEALTH_UNKNOWN || st->failures >= fall)
			to = HEALTH_DOWN;
	}
	/* a result that does not move the state yet says how far it is from doing so */
	if (ok && to == HEALTH_DOWN)
		snprintf(st->reason, sizeof(st->reason), "%s (%u of %u successes to come up)",
			 reason, *successes, rise);
	else if (!ok && to == HEALTH_UP)
		snprintf(st->reason, sizeof(st->reason), "%s (%u of %u failures to go down)",
			 reason, st->failures, fall);
	else
		snprintf(st->reason, sizeof(st->reason), "%s", reason);
	if (to == st->state)
		return false;
	st->state = to;
	st->last_change = now;
	return true;
}
