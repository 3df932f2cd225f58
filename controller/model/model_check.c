/* Health-check settings, the fallback server and min_up: names, defaults, text fields and rules. */
#include "controller/lib/utf8.h"
#include "controller/model/model-int.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define INTERVAL_MAX  3600u /* seconds */
#define TIMEOUT_MAX   300u
#define RISE_FALL_MAX 100u
#define COMMAND_ARGS  16 /* arguments after the program; the address and port come after them */
#define MIN_UP_MAX    65535u
#define OVERRIDE_ALL  0x1ffu /* every FULCRUM_CHECK_F_* */

static const char *const check_type_names[] = {
    [FULCRUM_CHECK_NONE] = "none",         [FULCRUM_CHECK_TCP] = "tcp",
    [FULCRUM_CHECK_HTTP] = "http",         [FULCRUM_CHECK_HTTPS] = "https",
    [FULCRUM_CHECK_EXTERNAL] = "external",
};

static const char *const on_failure_names[] = {
    [FULCRUM_ON_FAILURE_QUIESCE] = "quiesce",
    [FULCRUM_ON_FAILURE_REMOVE] = "remove",
};

#define CHECK_TYPE_LIST "none tcp http https external"
#define OVERRIDE_LIST                                                                              \
	"type interval timeout rise fall check_address check_port on_failure verify_tls"

/* The fields a real server's check may override, by name. */
static const struct {
	const char *name;
	uint32_t bit;
} override_fields[] = {
    {"type", FULCRUM_CHECK_F_TYPE},
    {"interval", FULCRUM_CHECK_F_INTERVAL},
    {"timeout", FULCRUM_CHECK_F_TIMEOUT},
    {"rise", FULCRUM_CHECK_F_RISE},
    {"fall", FULCRUM_CHECK_F_FALL},
    {"check_address", FULCRUM_CHECK_F_CHECK_ADDRESS},
    {"check_port", FULCRUM_CHECK_F_CHECK_PORT},
    {"on_failure", FULCRUM_CHECK_F_ON_FAILURE},
    {"verify_tls", FULCRUM_CHECK_F_VERIFY_TLS},
};

const char *model_check_type_name(enum fulcrum_check_type type)
{
	return (unsigned)type < COUNT(check_type_names) ? check_type_names[type] : NULL;
}

int model_check_type_parse(const char *s, enum fulcrum_check_type *out)
{
	for (size_t i = 0; s && i < COUNT(check_type_names); i++) {
		if (strcmp(s, check_type_names[i]) == 0) {
			*out = (enum fulcrum_check_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *model_check_on_failure_name(enum fulcrum_on_failure on_failure)
{
	return (unsigned)on_failure < COUNT(on_failure_names) ? on_failure_names[on_failure] : NULL;
}

int model_check_on_failure_parse(const char *s, enum fulcrum_on_failure *out)
{
	for (size_t i = 0; s && i < COUNT(on_failure_names); i++) {
		if (strcmp(s, on_failure_names[i]) == 0) {
			*out = (enum fulcrum_on_failure)i;
			return 0;
		}
	}
	return -EINVAL;
}

void model_check_init(struct fulcrum_check *check)
{
	memset(check, 0, sizeof(*check));
	check->type = FULCRUM_CHECK_NONE;
	strcpy(check->path, "/");
	strcpy(check->expect_status, "200");
	check->verify_tls = true;
	check->interval = 5;
	check->timeout = 3;
	check->rise = 2;
	check->fall = 3;
	check->check_address.family = AF_UNSPEC;
	check->on_failure = FULCRUM_ON_FAILURE_QUIESCE;
}

void model_check_effective(const struct fulcrum_check *svc, const struct fulcrum_check_override *ov,
			   struct fulcrum_check *out)
{
	uint32_t set = ov ? ov->set : 0;

	if (out != svc)
		*out = *svc;
	if (set & FULCRUM_CHECK_F_TYPE)
		out->type = ov->type;
	if (set & FULCRUM_CHECK_F_INTERVAL)
		out->interval = ov->interval;
	if (set & FULCRUM_CHECK_F_TIMEOUT)
		out->timeout = ov->timeout;
	if (set & FULCRUM_CHECK_F_RISE)
		out->rise = ov->rise;
	if (set & FULCRUM_CHECK_F_FALL)
		out->fall = ov->fall;
	if (set & FULCRUM_CHECK_F_CHECK_ADDRESS)
		out->check_address = ov->check_address;
	if (set & FULCRUM_CHECK_F_CHECK_PORT)
		out->check_port = ov->check_port;
	if (set & FULCRUM_CHECK_F_ON_FAILURE)
		out->on_failure = ov->on_failure;
	if (set & FULCRUM_CHECK_F_VERIFY_TLS)
		out->verify_tls = ov->verify_tls;
}

/* ---- the rules ------------------------------------------------------------- */

int model_text_validate(const char *what, const char *field, const char *s, size_t size,
			struct fulcrum_err *err)
{
	size_t len = strnlen(s, size);

	if (len == size)
		return model_invalid(err, what, field, "longer than %zu bytes", size - 1);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode((const unsigned char *)s + i, len - i, &cp);

		if (n == 0)
			return model_invalid(err, what, field, "not valid UTF-8 (byte %zu)", i + 1);
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return model_invalid(err, what, field,
					     "holds a control character (U+%04X at byte %zu)",
					     (unsigned)cp, i + 1);
		i += n;
	}
	return 0;
}

/* Reads three digits at *p into *code and moves *p past them; -EINVAL when they are not there. */
static int status_code(const char **p, unsigned *code)
{
	const char *s = *p;

	for (int i = 0; i < 3; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	*code = (unsigned)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
	*p = s + 3;
	return 0;
}

/*
 * Walks an expect_status list ("200", "200-299,301"): 0 with *match telling
 * whether status is in it, or -EINVAL with why (room: len bytes) filled.
 */
static int status_walk(const char *s, unsigned status, bool *match, char *why, size_t len)
{
	const char *start = s;

	*match = false;
	for (;;) {
		unsigned lo, hi;

		if (status_code(&s, &lo) != 0)
			break;
		hi = lo;
		if (*s == '-' && (++s, status_code(&s, &hi) != 0))
			break;
		if (lo < 100 || lo > 599 || hi < 100 || hi > 599) {
			snprintf(why, len, "%u is outside 100..599",
				 lo < 100 || lo > 599 ? lo : hi);
			return -EINVAL;
		}
		if (lo > hi) {
			snprintf(why, len, "the range %u-%u runs backwards", lo, hi);
			return -EINVAL;
		}
		if (status >= lo && status <= hi)
			*match = true;
		if (*s == '\0')
			return 0;
		if (*s++ != ',')
			break;
	}
	snprintf(why, len,
		 "'%.63s' is not a comma-separated list of status codes and ranges "
		 "(200 or 200-299,301)",
		 start);
	return -EINVAL;
}

bool model_check_status_match(const char *expect_status, unsigned status)
{
	char why[160];
	bool match;

	return status_walk(expect_status, status, &match, why, sizeof(why)) == 0 && match;
}

/* A port as text: 1..65535, digits only. */
static bool port_text_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");
	unsigned v = 0;

	if (n == 0 || n > 5 || s[n] != '\0')
		return false;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v >= 1 && v <= 65535;
}

/* A DNS name of len bytes: labels of letters, digits, '-' and '_', 1..63 bytes each. */
static bool hostname_ok(const char *s, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/*
 * A Host header: a name or an IPv4 address with an optional ":port", an
 * IPv6 address bare or in brackets (then with an optional ":port").
 */
static bool host_ok(const char *h)
{
	struct fulcrum_addr a;
	const char *colon;

	if (model_addr_parse(h, &a) == 0)
		return true;
	if (h[0] == '[') {
		const char *end = strchr(h, ']');
		char v6[MODEL_ADDR_STRLEN];
		size_t n = end ? (size_t)(end - h - 1) : 0;

		if (n == 0 || n >= sizeof(v6))
			return false;
		memcpy(v6, h + 1, n);
		v6[n] = '\0';
		if (model_addr_parse(v6, &a) != 0 || a.family != AF_INET6)
			return false;
		return end[1] == '\0' || (end[1] == ':' && port_text_ok(end + 2));
	}
	colon = strchr(h, ':');
	if (colon && !port_text_ok(colon + 1))
		return false;
	return hostname_ok(h, colon ? (size_t)(colon - h) : strlen(h));
}

/* The command of an external check: an absolute program path and at most COMMAND_ARGS arguments. */
static int check_command(const char *what, const char *cmd, struct fulcrum_err *err)
{
	static const char *const field = "check.command";
	unsigned words = 0;
	int rc;

	if ((rc = model_text_validate(what, field, cmd, FULCRUM_CHECK_COMMAND_MAX + 1, err)) != 0)
		return rc;
	if (!*cmd)
		return 0;
	if (cmd[0] != '/')
		return model_invalid(err, what, field,
				     "'%.64s' does not start with the program's absolute path",
				     cmd);
	for (const char *p = cmd; *p;) {
		size_t n = strcspn(p, " ");

		if (n == 0 || (p[n] == ' ' && p[n + 1] == '\0'))
			return model_invalid(err, what, field,
					     "holds an empty argument (no shell runs it: "
					     "arguments are separated by one space)");
		words++;
		p += n + (p[n] == ' ');
	}
	if (words - 1 > COMMAND_ARGS)
		return model_invalid(err, what, field, "%u arguments is more than %d", words - 1,
				     COMMAND_ARGS);
	return 0;
}

static int check_regex(const char *what, const char *re_text, struct fulcrum_err *err)
{
	static const char *const field = "check.expect_regex";
	char why[160];
	regex_t re;
	int rc;

	if ((rc = model_text_validate(what, field, re_text, FULCRUM_CHECK_PATH_MAX + 1, err)) != 0)
		return rc;
	if (!*re_text)
		return 0;
	if ((rc = model_regex_compile(&re, re_text, why, sizeof(why))) == 0) {
		regfree(&re);
		return 0;
	}
	if (rc == -E2BIG)
		return model_invalid(err, what, field, "'%.64s' %s", re_text, why);
	return model_invalid(err, what, field, "'%.64s' is not a POSIX extended regex: %s", re_text,
			     why);
}

/* The rules on what is asked: path, host, the answer expected, the command. */
static int check_request(const char *what, const struct fulcrum_check *c, struct fulcrum_err *err)
{
	char why[160];
	bool match;
	int rc;

	if ((rc = model_text_validate(what, "check.path", c->path, sizeof(c->path), err)) != 0)
		return rc;
	if (c->path[0] != '/')
		return model_invalid(err, what, "check.path", "'%.64s' does not start with '/'",
				     c->path);
	if (strchr(c->path, ' '))
		return model_invalid(err, what, "check.path",
				     "holds a space (write it %%20 in a URL path)");
	if ((rc = model_text_validate(what, "check.host", c->host, sizeof(c->host), err)) != 0)
		return rc;
	if (c->host[0] && !host_ok(c->host))
		return model_invalid(
		    err, what, "check.host",
		    "'%.64s' is not a host name or address (with an optional :port)", c->host);
	if (strnlen(c->expect_status, sizeof(c->expect_status)) == sizeof(c->expect_status))
		return model_invalid(err, what, "check.expect_status", "longer than %d bytes",
				     FULCRUM_CHECK_STATUS_MAX);
	if (status_walk(c->expect_status, 0, &match, why, sizeof(why)) != 0)
		return model_invalid(err, what, "check.expect_status", "%s", why);
	if ((rc = model_text_validate(what, "check.expect", c->expect, sizeof(c->expect), err)) !=
		0 ||
	    (rc = check_regex(what, c->expect_regex, err)) != 0)
		return rc;
	if (c->expect[0] && c->expect_regex[0])
		return model_invalid(err, what, "check.expect_regex",
				     "set check.expect or check.expect_regex, not both");
	if (c->head && (c->expect[0] || c->expect_regex[0]))
		return model_invalid(err, what, "check.head",
				     "the answer to HEAD has no body to match check.%s against",
				     c->expect[0] ? "expect" : "expect_regex");
	if ((rc = check_command(what, c->command, err)) != 0)
		return rc;
	if (c->type == FULCRUM_CHECK_EXTERNAL && !c->command[0])
		return model_invalid(err, what, "check.command", "required for an external check");
	return 0;
}

/* check_address must be of the family of what is checked (family: the real servers'). */
static int validate_addr_family(const char *what, const struct fulcrum_addr *a, int family,
				struct fulcrum_err *err)
{
	char text[MODEL_ADDR_STRLEN];

	if (a->family != AF_INET && a->family != AF_INET6)
		return model_invalid(err, what, "check.check_address",
				     "not an IPv4 or IPv6 address");
	if (a->family != family)
		return model_invalid(err, what, "check.check_address",
				     "%s is %s but the real servers are %s",
				     model_addr_format(a, text, sizeof(text)),
				     model_family_prose(a->family), model_family_prose(family));
	return 0;
}

/* The rules on when and how often, each alone; shared by services and real servers' overrides. */
static int validate_check_type(const char *what, enum fulcrum_check_type type,
			       struct fulcrum_err *err)
{
	if (!model_check_type_name(type))
		return model_invalid(err, what, "check.type",
				     "%d is not a check type (" CHECK_TYPE_LIST ")", (int)type);
	return 0;
}

static int validate_range(const char *what, const char *field, uint32_t v, uint32_t max,
			  struct fulcrum_err *err)
{
	if (v < 1 || v > max)
		return model_invalid(err, what, field, "%u is outside 1..%u", v, max);
	return 0;
}

static int validate_on_failure(const char *what, enum fulcrum_on_failure f, struct fulcrum_err *err)
{
	if (!model_check_on_failure_name(f))
		return model_invalid(err, what, "check.on_failure",
				     "%d is not an on_failure action (quiesce remove)", (int)f);
	return 0;
}

/* A service's whole check; family is the service's. */
static int check_validate(const struct fulcrum_check *c, int family, struct fulcrum_err *err)
{
	static const char *const what = "service";
	int rc;

	if ((rc = validate_check_type(what, c->type, err)) != 0 ||
	    (rc = validate_range(what, "check.interval", c->interval, INTERVAL_MAX, err)) != 0 ||
	    (rc = validate_range(what, "check.timeout", c->timeout, TIMEOUT_MAX, err)) != 0)
		return rc;
	if (c->timeout > c->interval)
		return model_invalid(err, what, "check.timeout",
				     "%u s is longer than check.interval (%u s)", c->timeout,
				     c->interval);
	if ((rc = validate_range(what, "check.rise", c->rise, RISE_FALL_MAX, err)) != 0 ||
	    (rc = validate_range(what, "check.fall", c->fall, RISE_FALL_MAX, err)) != 0 ||
	    (rc = validate_on_failure(what, c->on_failure, err)) != 0)
		return rc;
	if (c->check_address.family != AF_UNSPEC &&
	    (rc = validate_addr_family(what, &c->check_address, family, err)) != 0)
		return rc;
	return check_request(what, c, err);
}

/*
 * The fallback server obeys a real server's rules (address family, port by
 * forwarding method); a tunnel to it is ipip. Errors name "fallback.<field>".
 */
static int fallback_validate(const struct fulcrum_vs *vs, struct fulcrum_err *err)
{
	const struct fulcrum_fallback *fb = &vs->fallback;
	struct fulcrum_err why;
	struct fulcrum_rs rs;
	char field[sizeof(why.field) + 16];
	size_t skip;

	if (fb->addr.family == AF_UNSPEC) {
		if (fb->port || fb->forwarding != FULCRUM_FWD_MASQ)
			return model_invalid(err, "service", "fallback.address",
					     "required with fallback.port or fallback.forwarding");
		return 0;
	}
	model_rs_init(&rs);
	rs.addr = fb->addr;
	rs.port = fb->port;
	rs.forwarding = fb->forwarding;
	rs.tunnel_type = fb->forwarding == FULCRUM_FWD_TUNNEL ? FULCRUM_TUN_IPIP : FULCRUM_TUN_NONE;
	model_err_clear(&why);
	if (model_rs_validate_base(&rs, vs, &why) == 0)
		return 0;
	/* "real server port: why" becomes "service fallback.port: why" */
	snprintf(field, sizeof(field), "fallback.%s", why.field);
	skip = strlen("real server ") + strlen(why.field) + 2;
	if (strncmp(why.message, "real server ", 12) != 0 || strlen(why.message) < skip)
		skip = 0;
	return model_invalid(err, "service", field, "%s", why.message + skip);
}

int model_check_vs_validate(const struct fulcrum_vs *vs, struct fulcrum_err *err)
{
	int rc;

	if ((rc = check_validate(&vs->check, vs->family, err)) != 0 ||
	    (rc = fallback_validate(vs, err)) != 0)
		return rc;
	if (vs->min_up > MIN_UP_MAX)
		return model_invalid(err, "service", "min_up", "%u is outside 0..%u", vs->min_up,
				     MIN_UP_MAX);
	return 0;
}

/* Each override alone. */
static int override_validate(const struct fulcrum_rs *rs, struct fulcrum_err *err)
{
	static const char *const what = "real server";
	const struct fulcrum_check_override *o = &rs->check;
	int rc = 0;

	if (o->set & ~OVERRIDE_ALL)
		return model_invalid(err, what, "check", "0x%x holds bits that are no field",
				     o->set);
	if ((o->set & FULCRUM_CHECK_F_TYPE) && (rc = validate_check_type(what, o->type, err)) != 0)
		return rc;
	if ((o->set & FULCRUM_CHECK_F_INTERVAL) &&
	    (rc = validate_range(what, "check.interval", o->interval, INTERVAL_MAX, err)) != 0)
		return rc;
	if ((o->set & FULCRUM_CHECK_F_TIMEOUT) &&
	    (rc = validate_range(what, "check.timeout", o->timeout, TIMEOUT_MAX, err)) != 0)
		return rc;
	if ((o->set & FULCRUM_CHECK_F_RISE) &&
	    (rc = validate_range(what, "check.rise", o->rise, RISE_FALL_MAX, err)) != 0)
		return rc;
	if ((o->set & FULCRUM_CHECK_F_FALL) &&
	    (rc = validate_range(what, "check.fall", o->fall, RISE_FALL_MAX, err)) != 0)
		return rc;
	if ((o->set & FULCRUM_CHECK_F_ON_FAILURE) &&
	    (rc = validate_on_failure(what, o->on_failure, err)) != 0)
		return rc;
	if (o->set & FULCRUM_CHECK_F_CHECK_ADDRESS)
		rc = validate_addr_family(what, &o->check_address, rs->addr.family, err);
	return rc;
}

int model_check_rs_validate(const struct fulcrum_rs *rs, const struct fulcrum_vs *owner,
			    struct fulcrum_err *err)
{
	static const char *const what = "real server";
	const struct fulcrum_check_override *o = &rs->check;
	struct fulcrum_check eff;
	int rc;

	if ((rc = override_validate(rs, err)) != 0)
		return rc;
	model_check_effective(&owner->check, o, &eff);
	if (eff.timeout > eff.interval)
		return model_invalid(err, what,
				     o->set & FULCRUM_CHECK_F_TIMEOUT ? "check.timeout"
								      : "check.interval",
				     "the timeout (%u s) is longer than the interval (%u s)",
				     eff.timeout, eff.interval);
	if (eff.type == FULCRUM_CHECK_EXTERNAL && !owner->check.command[0])
		return model_invalid(err, what, "check.type",
				     "external needs a check.command, and service '%s' has none",
				     owner->name);
	if ((eff.type == FULCRUM_CHECK_TCP || eff.type == FULCRUM_CHECK_HTTP ||
	     eff.type == FULCRUM_CHECK_HTTPS) &&
	    !eff.check_port && !rs->port && !owner->port)
		return model_invalid(err, what, "check.check_port",
				     "required for a %s check: neither the real server nor "
				     "service '%s' has a port",
				     model_check_type_name(eff.type), owner->name);
	return 0;
}

/* ---- fields from text ------------------------------------------------------- */

/* Sets one field of a service's check from text; field is "check.<name>". */
static int check_set(struct fulcrum_check *c, const char *what, const char *field, const char *v,
		     struct fulcrum_err *err)
{
	const char *f = field + strlen("check.");
	uint64_t n;
	int rc = 0;

	if (strcmp(f, "type") == 0) {
		if (model_check_type_parse(v, &c->type) != 0)
			rc = model_invalid(err, what, field,
					   "'%.32s' is not a check type (" CHECK_TYPE_LIST ")", v);
	} else if (strcmp(f, "path") == 0) {
		rc = model_field_text(what, field, v, c->path, sizeof(c->path), err);
	} else if (strcmp(f, "host") == 0) {
		rc = model_field_text(what, field, v, c->host, sizeof(c->host), err);
	} else if (strcmp(f, "head") == 0) {
		rc = model_field_bool(what, field, v, &c->head, err);
	} else if (strcmp(f, "expect_status") == 0) {
		rc = model_field_text(what, field, v, c->expect_status, sizeof(c->expect_status),
				      err);
	} else if (strcmp(f, "expect") == 0) {
		rc = model_field_text(what, field, v, c->expect, sizeof(c->expect), err);
	} else if (strcmp(f, "expect_regex") == 0) {
		rc =
		    model_field_text(what, field, v, c->expect_regex, sizeof(c->expect_regex), err);
	} else if (strcmp(f, "verify_tls") == 0) {
		rc = model_field_bool(what, field, v, &c->verify_tls, err);
	} else if (strcmp(f, "command") == 0) {
		rc = model_field_text(what, field, v, c->command, sizeof(c->command), err);
	} else if (strcmp(f, "interval") == 0 || strcmp(f, "timeout") == 0 ||
		   strcmp(f, "rise") == 0 || strcmp(f, "fall") == 0) {
		uint32_t *dst = f[0] == 'i'   ? &c->interval
				: f[0] == 't' ? &c->timeout
				: f[0] == 'r' ? &c->rise
					      : &c->fall;

		if ((rc = model_field_uint(what, field, v, UINT32_MAX, &n, err)) == 0)
			*dst = (uint32_t)n;
	} else if (strcmp(f, "check_address") == 0) {
		if (model_is_none(v)) {
			memset(&c->check_address, 0, sizeof(c->check_address));
			c->check_address.family = AF_UNSPEC;
		} else if (model_addr_parse(v, &c->check_address) != 0) {
			rc = model_invalid(err, what, field,
					   "'%.64s' is not an IPv4 or IPv6 address", v);
		}
	} else if (strcmp(f, "check_port") == 0) {
		if ((rc = model_field_uint(what, field, v, UINT16_MAX, &n, err)) == 0)
			c->check_port = (uint16_t)n;
	} else if (strcmp(f, "on_failure") == 0) {
		if (model_check_on_failure_parse(v, &c->on_failure) != 0)
			rc = model_invalid(err, what, field,
					   "'%.32s' is not an on_failure action (quiesce remove)",
					   v);
	} else {
		rc = model_err_set(err, FULCRUM_ERR_INVALID, field, "%s: unknown field '%.48s'",
				   what, field);
	}
	return rc;
}

int model_check_vs_set_field(struct fulcrum_vs *vs, const char *f, const char *v,
			     struct fulcrum_err *err)
{
	static const char *const what = "service";
	struct fulcrum_fallback *fb = &vs->fallback;
	uint64_t n;
	int rc = 0;

	if (strncmp(f, "check.", 6) == 0)
		return check_set(&vs->check, what, f, v, err);
	if (strcmp(f, "min_up") == 0) {
		if ((rc = model_field_uint(what, f, v, MIN_UP_MAX, &n, err)) == 0)
			vs->min_up = (uint32_t)n;
	} else if (strcmp(f, "fallback") == 0 || strcmp(f, "fallback.address") == 0) {
		if (model_is_none(v)) {
			memset(fb, 0, sizeof(*fb));
			fb->addr.family = AF_UNSPEC;
			fb->forwarding = FULCRUM_FWD_MASQ;
		} else if (strcmp(f, "fallback") == 0) {
			rc = model_invalid(err, what, f,
					   "'%.32s': only none removes it (set fallback.address, "
					   "fallback.port, fallback.forwarding)",
					   v);
		} else if (model_addr_parse(v, &fb->addr) != 0) {
			rc = model_invalid(err, what, f, "'%.64s' is not an IPv4 or IPv6 address",
					   v);
		}
	} else if (strcmp(f, "fallback.port") == 0) {
		if ((rc = model_field_uint(what, f, v, UINT16_MAX, &n, err)) == 0)
			fb->port = (uint16_t)n;
	} else if (strcmp(f, "fallback.forwarding") == 0) {
		if (model_forwarding_parse(v, &fb->forwarding) != 0)
			rc = model_invalid(err, what, f,
					   "'%.32s' is not a forwarding method (masq route tunnel)",
					   v);
	} else {
		rc =
		    model_err_set(err, FULCRUM_ERR_INVALID, f, "service: unknown field '%.48s'", f);
	}
	return rc;
}

/* Copies the field bit names from c into o (set) or clears it in o (c NULL). */
static void override_put(struct fulcrum_check_override *o, uint32_t bit,
			 const struct fulcrum_check *c)
{
	struct fulcrum_check zero;

	if (!c) {
		memset(&zero, 0, sizeof(zero));
		zero.check_address.family = AF_UNSPEC;
		c = &zero;
	}
	if (bit == FULCRUM_CHECK_F_TYPE)
		o->type = c->type;
	else if (bit == FULCRUM_CHECK_F_INTERVAL)
		o->interval = c->interval;
	else if (bit == FULCRUM_CHECK_F_TIMEOUT)
		o->timeout = c->timeout;
	else if (bit == FULCRUM_CHECK_F_RISE)
		o->rise = c->rise;
	else if (bit == FULCRUM_CHECK_F_FALL)
		o->fall = c->fall;
	else if (bit == FULCRUM_CHECK_F_CHECK_ADDRESS)
		o->check_address = c->check_address;
	else if (bit == FULCRUM_CHECK_F_CHECK_PORT)
		o->check_port = c->check_port;
	else if (bit == FULCRUM_CHECK_F_ON_FAILURE)
		o->on_failure = c->on_failure;
	else if (bit == FULCRUM_CHECK_F_VERIFY_TLS)
		o->verify_tls = c->verify_tls;
	o->set = c == &zero ? o->set & ~bit : o->set | bit;
}

int model_check_rs_set_field(struct fulcrum_rs *rs, const char *f, const char *v,
			     struct fulcrum_err *err)
{
	static const char *const what = "real server";
	static const char *const service_only[] = {
	    "path", "host", "head", "expect_status", "expect", "expect_regex", "command",
	};
	struct fulcrum_check_override *o = &rs->check;
	struct fulcrum_check c;
	uint32_t bit = 0;
	int rc;

	if (strcmp(f, "check") == 0) {
		if (*v)
			return model_invalid(err, what, f,
					     "'%.32s': only \"\" clears every override (set "
					     "check.FIELD=VALUE)",
					     v);
		memset(o, 0, sizeof(*o));
		o->check_address.family = AF_UNSPEC;
		return 0;
	}
	for (size_t i = 0; strncmp(f, "check.", 6) == 0 && i < COUNT(override_fields); i++)
		if (strcmp(f + 6, override_fields[i].name) == 0)
			bit = override_fields[i].bit;
	for (size_t i = 0; !bit && strncmp(f, "check.", 6) == 0 && i < COUNT(service_only); i++)
		if (strcmp(f + 6, service_only[i]) == 0)
			return model_invalid(err, what, f,
					     "is the service's; a real server overrides "
					     "only " OVERRIDE_LIST);
	if (!bit)
		return model_err_set(err, FULCRUM_ERR_INVALID, f,
				     "real server: unknown field '%.48s'", f);
	if (!*v || (bit == FULCRUM_CHECK_F_CHECK_ADDRESS && model_is_none(v))) {
		override_put(o, bit, NULL);
		return 0;
	}
	model_check_init(&c);
	if ((rc = check_set(&c, what, f, v, err)) == 0)
		override_put(o, bit, &c);
	return rc;
}
