/* An HTTP check's expect_regex: compiled in one place, after a bound on what compiling it costs. */
#include "controller/model/model.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define REGEX_DEPTH 256 /* nested groups; a stored regex holds at most 255 bytes */

/* One group being read: the states of what it holds so far, and of its last piece. */
struct regex_frame {
	uint64_t total, last;
};

/* n times the last piece of f, in place of it; false when the group grows past the bound. */
static bool regex_repeat(struct regex_frame *f, uint64_t n)
{
	uint64_t grown;

	if (n == 0)
		n = 1;       /* x{0} is still compiled once */
	grown = f->last * n; /* both at most MODEL_REGEX_STATES and 32768: no overflow */
	f->total = f->total - f->last + grown;
	f->last = grown;
	return f->total <= MODEL_REGEX_STATES;
}

/* Reads an interval "{m}", "{m,}" or "{m,n}" at s; its factor in *n, its length returned (0: none). */
static size_t regex_interval(const char *s, uint64_t *n)
{
	uint64_t m = 0, hi = 0;
	size_t i = 1, digits = 0;
	bool comma = false, has_hi = false;

	for (; s[i] >= '0' && s[i] <= '9' && digits < 6; i++, digits++)
		m = m * 10 + (uint64_t)(s[i] - '0');
	if (digits == 0)
		return 0;
	if (s[i] == ',') {
		comma = true;
		for (i++, digits = 0; s[i] >= '0' && s[i] <= '9' && digits < 6; i++, digits++) {
			hi = hi * 10 + (uint64_t)(s[i] - '0');
			has_hi = true;
		}
	}
	if (s[i] != '}')
		return 0;
	/* glibc writes x{m,n} as n copies of x, x{m,} as m copies and a star */
	*n = has_hi ? (hi > m ? hi : m) : comma ? m + 1 : m;
	if (*n > 32768)
		*n = 32768;
	return i + 1;
}

/* The length of the bracket expression at s ("[...]"), classes like [:alpha:] inside it. */
static size_t regex_bracket(const char *s)
{
	size_t i = 1;

	if (s[i] == '^')
		i++;
	if (s[i] == ']')
		i++;
	while (s[i] && s[i] != ']') {
		if (s[i] == '[' && s[i + 1] && strchr(":.=", s[i + 1])) {
			const char *end = s + i + 2;
			char close[3] = {s[i + 1], ']', '\0'};

			end = strstr(end, close);
			i = end ? (size_t)(end - s) + 2 : i + 1;
		} else {
			i++;
		}
	}
	return s[i] ? i + 1 : i;
}

/*
 * Bounds the states the regex library builds for text: each atom and each
 * '*' or '?' one, a group what it holds, a '+' twice its piece (x+ is x x*),
 * an interval n times. Returns false when that passes MODEL_REGEX_STATES or groups nest
 * deeper than REGEX_DEPTH. What is not a regex is counted loosely: regcomp()
 * refuses it after.
 */
static bool regex_bounded(const char *s)
{
	struct regex_frame stack[REGEX_DEPTH + 1];
	size_t depth = 0, len;
	uint64_t n;

	memset(&stack[0], 0, sizeof(stack[0]));
	while (*s) {
		struct regex_frame *f = &stack[depth];

		switch (*s) {
		case '(':
			if (depth == REGEX_DEPTH)
				return false;
			memset(&stack[++depth], 0, sizeof(stack[0]));
			s++;
			continue;
		case ')':
			if (depth == 0)
				break; /* a lone ')' is a character */
			n = stack[depth].total ? stack[depth].total : 1;
			f = &stack[--depth];
			f->total += n;
			f->last = n;
			s++;
			if (f->total > MODEL_REGEX_STATES)
				return false;
			continue;
		case '|':
			f->last = 0;
			s++;
			continue;
		case '*':
		case '?':
			/* a node of its own, which a '+' or an interval around it copies too */
			f->total++;
			f->last++;
			s++;
			if (f->total > MODEL_REGEX_STATES)
				return false;
			continue;
		case '+':
			if (!regex_repeat(f, 2))
				return false;
			s++;
			continue;
		case '{':
			if ((len = regex_interval(s, &n)) == 0)
				break;
			if (!regex_repeat(f, n))
				return false;
			s += len;
			continue;
		case '[':
			f->total++;
			f->last = 1;
			s += regex_bracket(s);
			continue;
		case '\\':
			if (s[1])
				s++;
			break;
		default:
			break;
		}
		f->total++;
		f->last = 1;
		s++;
		if (f->total > MODEL_REGEX_STATES)
			return false;
	}
	/* groups left open are regcomp()'s to refuse; their states count all the same */
	for (n = 0; depth > 0; depth--)
		n += stack[depth].total;
	return stack[0].total + n <= MODEL_REGEX_STATES;
}

int model_regex_compile(regex_t *re, const char *text, char *why, size_t len)
{
	int rc;

	if (!regex_bounded(text)) {
		snprintf(why, len,
			 "repeats too much: compiling it would take more than %d states "
			 "(nested or stacked repeats multiply)",
			 MODEL_REGEX_STATES);
		return -E2BIG;
	}
	rc = regcomp(re, text, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, re, why, len);
		return -EINVAL;
	}
	return 0;
}
