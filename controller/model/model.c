/* The model's rules: enum names, defaults, fields set from text, and single-object validation. */
#include "controller/model/model.h"
#include "controller/model/model-int.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const protocol_names[] = {
    [FULCRUM_PROTO_NONE] = "none",
    [FULCRUM_PROTO_TCP] = "tcp",
    [FULCRUM_PROTO_UDP] = "udp",
    [FULCRUM_PROTO_SCTP] = "sctp",
};

static const char *const scheduler_names[] = {
    [FULCRUM_SCHED_RR] = "rr",   [FULCRUM_SCHED_WRR] = "wrr",   [FULCRUM_SCHED_LC] = "lc",
    [FULCRUM_SCHED_WLC] = "wlc", [FULCRUM_SCHED_LBLC] = "lblc", [FULCRUM_SCHED_LBLCR] = "lblcr",
    [FULCRUM_SCHED_DH] = "dh",   [FULCRUM_SCHED_SH] = "sh",     [FULCRUM_SCHED_SED] = "sed",
    [FULCRUM_SCHED_NQ] = "nq",   [FULCRUM_SCHED_FO] = "fo",     [FULCRUM_SCHED_OVF] = "ovf",
    [FULCRUM_SCHED_MH] = "mh",   [FULCRUM_SCHED_TWOS] = "twos",
};
static_assert(COUNT(scheduler_names) == FULCRUM_SCHED_COUNT, "a scheduler has no name");

static const char *const vs_admin_names[] = {
    [FULCRUM_VS_ENABLED] = "enabled",
    [FULCRUM_VS_DISABLED] = "disabled",
};

static const char *const forwarding_names[] = {
    [FULCRUM_FWD_MASQ] = "masq",
    [FULCRUM_FWD_ROUTE] = "route",
    [FULCRUM_FWD_TUNNEL] = "tunnel",
};

static const char *const tunnel_names[] = {
    [FULCRUM_TUN_NONE] = "none",
    [FULCRUM_TUN_IPIP] = "ipip",
    [FULCRUM_TUN_GUE] = "gue",
    [FULCRUM_TUN_GRE] = "gre",
};

static const char *const rs_admin_names[] = {
    [FULCRUM_RS_ENABLED] = "enabled",
    [FULCRUM_RS_DRAINED] = "drained",
    [FULCRUM_RS_DISABLED] = "disabled",
};

static const char *const origin_names[] = {
    [FULCRUM_ORIGIN_HTTP] = "http",     [FULCRUM_ORIGIN_SNMP] = "snmp",
    [FULCRUM_ORIGIN_IMPORT] = "import", [FULCRUM_ORIGIN_SYNC] = "sync",
    [FULCRUM_ORIGIN_CLI] = "cli",
};

static const char *const kind_names[] = {
    [FULCRUM_KIND_VS] = "service",
    [FULCRUM_KIND_RS] = "real",
    [FULCRUM_KIND_VIP] = "vip",
};

/* The names listed in error messages, so a person sees what would have worked. */
#define SCHEDULER_LIST "rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos"
#define PROTOCOL_LIST  "tcp udp sctp"
#define TUNNEL_LIST    "ipip gue gre"

static const char *name_of(const char *const *names, size_t n, unsigned value)
{
	return value < n ? names[value] : NULL;
}

static int name_find(const char *const *names, size_t n, const char *s, unsigned *out)
{
	for (size_t i = 0; s && i < n; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = (unsigned)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Defines model_X_name() and model_X_parse() over the table X_names. */
#define MODEL_ENUM_NAMES(x, type)                                                                  \
	const char *model_##x##_name(type value)                                                   \
	{                                                                                          \
		return name_of(x##_names, COUNT(x##_names), (unsigned)value);                      \
	}                                                                                          \
	int model_##x##_parse(const char *s, type *out)                                            \
	{                                                                                          \
		unsigned v;                                                                        \
		if (name_find(x##_names, COUNT(x##_names), s, &v) != 0)                            \
			return -EINVAL;                                                            \
		*out = (type)v;                                                                    \
		return 0;                                                                          \
	}

MODEL_ENUM_NAMES(protocol, enum fulcrum_protocol)
MODEL_ENUM_NAMES(scheduler, enum fulcrum_scheduler)
MODEL_ENUM_NAMES(vs_admin, enum fulcrum_vs_admin)
MODEL_ENUM_NAMES(forwarding, enum fulcrum_forwarding)
MODEL_ENUM_NAMES(tunnel, enum fulcrum_tunnel)
MODEL_ENUM_NAMES(rs_admin, enum fulcrum_rs_admin)
MODEL_ENUM_NAMES(origin, enum fulcrum_origin)
MODEL_ENUM_NAMES(kind, enum fulcrum_kind)

const char *model_family_name(int family)
{
	return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : NULL;
}

int model_family_parse(const char *s, int *out)
{
	if (s && strcmp(s, "ipv4") == 0)
		*out = AF_INET;
	else if (s && strcmp(s, "ipv6") == 0)
		*out = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

const char *model_family_prose(int family)
{
	return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : "of no family";
}

static const struct {
	const char *name;
	unsigned bit;
} sched_flag_names[] = {
    {"fallback", FULCRUM_SCHED_F_FALLBACK},
    {"port", FULCRUM_SCHED_F_PORT},
};
#define SCHED_FLAGS_ALL (FULCRUM_SCHED_F_FALLBACK | FULCRUM_SCHED_F_PORT)

int model_sched_flags_parse(const char *s, unsigned *out)
{
	unsigned flags = 0;

	if (!s)
		return -EINVAL;
	while (*s) {
		size_t len = strcspn(s, ",");
		size_t i;

		for (i = 0; i < COUNT(sched_flag_names); i++) {
			if (strlen(sched_flag_names[i].name) == len &&
			    strncmp(sched_flag_names[i].name, s, len) == 0)
				break;
		}
		if (i == COUNT(sched_flag_names))
			return -EINVAL; /* also an empty item: ",port" or "port," */
		flags |= sched_flag_names[i].bit;
		s += len;
		if (*s == ',' && *++s == '\0')
			return -EINVAL;
	}
	*out = flags;
	return 0;
}

int model_sched_flags_format(unsigned flags, char *buf, size_t len)
{
	size_t used = 0;

	if (flags & ~SCHED_FLAGS_ALL)
		return -EINVAL;
	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t i = 0; i < COUNT(sched_flag_names); i++) {
		int n;

		if (!(flags & sched_flag_names[i].bit))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "",
			     sched_flag_names[i].name);
		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	return 0;
}

int model_addr_parse(const char *s, struct fulcrum_addr *out)
{
	struct fulcrum_addr a;

	memset(&a, 0, sizeof(a));
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &a.u.v4) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, &a.u.v6) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	*out = a;
	return 0;
}

const char *model_addr_format(const struct fulcrum_addr *a, char *buf, size_t len)
{
	char text[MODEL_ADDR_STRLEN] = "";

	if (a->family == AF_INET || a->family == AF_INET6)
		inet_ntop(a->family, &a->u, text, sizeof(text));
	if (len)
		snprintf(buf, len, "%s", text);
	return buf;
}

const char *model_endpoint_format(const struct fulcrum_addr *a, uint16_t port, char *buf,
				  size_t len)
{
	char text[MODEL_ADDR_STRLEN];

	model_addr_format(a, text, sizeof(text));
	if (len)
		snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", text,
			 (unsigned)port);
	return buf;
}

bool model_addr_equal(const struct fulcrum_addr *a, const struct fulcrum_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->u.v4.s_addr == b->u.v4.s_addr;
	if (a->family == AF_INET6)
		return memcmp(&a->u.v6, &b->u.v6, sizeof(a->u.v6)) == 0;
	return true;
}

void model_vs_init(struct fulcrum_vs *vs)
{
	memset(vs, 0, sizeof(*vs));
	vs->family = AF_INET;
	vs->addr.family = AF_UNSPEC;
	vs->protocol = FULCRUM_PROTO_NONE;
	vs->scheduler = FULCRUM_SCHED_WLC;
	vs->persistence_netmask = 32;
	vs->admin_state = FULCRUM_VS_ENABLED;
	model_check_init(&vs->check);
	vs->fallback.addr.family = AF_UNSPEC;
}

void model_rs_init(struct fulcrum_rs *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->addr.family = AF_UNSPEC;
	rs->forwarding = FULCRUM_FWD_MASQ;
	rs->tunnel_type = FULCRUM_TUN_NONE;
	rs->weight = 1;
	rs->admin_state = FULCRUM_RS_ENABLED;
}

/* Both forms declare the same fields in the same order: the bytes before the description match. */
static_assert(offsetof(struct fulcrum_rs, description) ==
		  offsetof(struct fulcrum_rs_stored, description),
	      "the two forms of a real server must lay their fields out alike");
static_assert(offsetof(struct fulcrum_rs, description) + FULCRUM_DESC_MAX + 1 + 8 >
		  sizeof(struct fulcrum_rs),
	      "a real server's description must be its last field");

size_t model_rs_stored_size(const struct fulcrum_rs *rs)
{
	return offsetof(struct fulcrum_rs_stored, description) +
	       strnlen(rs->description, sizeof(rs->description) - 1) + 1;
}

struct fulcrum_rs_stored *model_rs_stored_new(const struct fulcrum_rs *rs)
{
	size_t size = model_rs_stored_size(rs);
	struct fulcrum_rs_stored *s = malloc(size);

	if (!s)
		return NULL;
	memcpy(s, rs, size - 1); /* the fields, then the description without its NUL */
	((char *)s)[size - 1] = '\0';
	return s;
}

void model_rs_copy(struct fulcrum_rs *dst, const struct fulcrum_rs_stored *src)
{
	size_t head = offsetof(struct fulcrum_rs_stored, description);
	size_t len = strnlen(src->description, sizeof(dst->description) - 1);

	memcpy(dst, src, head);
	memcpy(dst->description, src->description, len);
	/* the rest zeroed, padding after the description too: copies compare equal */
	memset(dst->description + len, 0, sizeof(*dst) - head - len);
}

void model_err_clear(struct fulcrum_err *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

static int status_errno(enum fulcrum_err_status status)
{
	static const int codes[] = {
	    [FULCRUM_ERR_NONE] = 0,
	    [FULCRUM_ERR_INVALID] = -EINVAL,
	    [FULCRUM_ERR_CONFLICT] = -EEXIST,
	    [FULCRUM_ERR_NOTFOUND] = -ENOENT,
	    [FULCRUM_ERR_STALE] = -ESTALE,
	    [FULCRUM_ERR_INTERNAL] = -EIO,
	    [FULCRUM_ERR_UNAVAILABLE] = -EROFS,
	};

	return (unsigned)status < COUNT(codes) ? codes[status] : -EIO;
}

static int err_vset(struct fulcrum_err *err, enum fulcrum_err_status status, const char *field,
		    const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static int err_vset(struct fulcrum_err *err, enum fulcrum_err_status status, const char *field,
		    const char *prefix, const char *fmt, va_list ap)
{
	size_t used;

	if (!err)
		return status_errno(status);
	err->status = status;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	snprintf(err->message, sizeof(err->message), "%s", prefix);
	used = strlen(err->message);
	vsnprintf(err->message + used, sizeof(err->message) - used, fmt, ap);
	return status_errno(status);
}

int model_err_set(struct fulcrum_err *err, enum fulcrum_err_status status, const char *field,
		  const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = err_vset(err, status, field, "", fmt, ap);
	va_end(ap);
	return rc;
}

int model_invalid(struct fulcrum_err *err, const char *what, const char *field, const char *fmt,
		  ...)
{
	char prefix[80];
	va_list ap;
	int rc;

	snprintf(prefix, sizeof(prefix), "%s %s: ", what, field);
	va_start(ap, fmt);
	rc = err_vset(err, FULCRUM_ERR_INVALID, field, prefix, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * Parses decimal digits only into *out, refusing "", signs, spaces, junk
 * (-EINVAL) and values above max (-ERANGE), overflow included.
 */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int model_field_uint(const char *what, const char *field, const char *s, uint64_t max,
		     uint64_t *out, struct fulcrum_err *err)
{
	int rc = parse_uint(s, max, out);

	if (rc == -ERANGE)
		return model_invalid(err, what, field, "%.40s is outside 0..%llu", s,
				     (unsigned long long)max);
	if (rc)
		return model_invalid(err, what, field, "'%.40s' is not a number (0..%llu)", s,
				     (unsigned long long)max);
	return 0;
}

int model_field_bool(const char *what, const char *field, const char *s, bool *out,
		     struct fulcrum_err *err)
{
	static const char *const yes[] = {"true", "yes", "1"}, *const no[] = {"false", "no", "0"};
	unsigned i;

	if (name_find(yes, COUNT(yes), s, &i) == 0)
		*out = true;
	else if (name_find(no, COUNT(no), s, &i) == 0)
		*out = false;
	else
		return model_invalid(err, what, field, "'%.40s' is not a boolean (true false)", s);
	return 0;
}

int model_field_enum(const char *what, const char *field, const char *v, const char *const *names,
		     size_t n, const char *kind, unsigned *out, struct fulcrum_err *err)
{
	char list[96] = "";

	if (name_find(names, n, v, out) == 0)
		return 0;
	for (size_t i = 0, used = 0; i < n && used < sizeof(list); i++)
		if (strcmp(names[i], "none") != 0)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 used ? " " : "", names[i]);
	return model_invalid(err, what, field, "'%.32s' is not %s (%s)", v, kind, list);
}

int model_field_text(const char *what, const char *field, const char *s, char *dst, size_t size,
		     struct fulcrum_err *err)
{
	size_t len = strlen(s);

	if (len >= size)
		return model_invalid(err, what, field, "%zu bytes is longer than %zu", len,
				     size - 1);
	memcpy(dst, s, len + 1);
	return 0;
}

bool model_is_none(const char *s)
{
	return strcmp(s, "") == 0 || strcmp(s, "none") == 0;
}

static uint8_t family_bits(int family)
{
	return family == AF_INET6 ? 128 : 32;
}

/* Changes vs's family, moving a whole-address persistence netmask along with it. */
static void vs_family_change(struct fulcrum_vs *vs, int family)
{
	if (vs->family != family && vs->persistence_netmask == family_bits(vs->family))
		vs->persistence_netmask = family_bits(family);
	vs->family = family;
}

static int vs_field_apply(struct fulcrum_vs *vs, const char *f, const char *v,
			  struct fulcrum_err *err)
{
	static const char *const what = "service";
	uint64_t n;
	unsigned u;
	int rc = 0;

	if (strcmp(f, "name") == 0) {
		rc = model_field_text(what, f, v, vs->name, sizeof(vs->name), err);
	} else if (strcmp(f, "address") == 0) {
		if (model_is_none(v)) {
			memset(&vs->addr, 0, sizeof(vs->addr));
			vs->addr.family = AF_UNSPEC;
		} else if (model_addr_parse(v, &vs->addr) == 0) {
			vs_family_change(vs, vs->addr.family);
		} else {
			rc = model_invalid(err, what, f, "'%.64s' is not an IPv4 or IPv6 address",
					   v);
		}
	} else if (strcmp(f, "port") == 0) {
		if ((rc = model_field_uint(what, f, v, UINT16_MAX, &n, err)) == 0)
			vs->port = (uint16_t)n;
	} else if (strcmp(f, "protocol") == 0) {
		if ((rc = model_field_enum(what, f, model_is_none(v) ? "none" : v, protocol_names,
					   COUNT(protocol_names), "a protocol", &u, err)) == 0)
			vs->protocol = (enum fulcrum_protocol)u;
	} else if (strcmp(f, "fwmark") == 0) {
		if ((rc = model_field_uint(what, f, v, UINT32_MAX, &n, err)) == 0)
			vs->fwmark = (uint32_t)n;
	} else if (strcmp(f, "family") == 0) {
		int family;

		if (model_family_parse(v, &family) == 0)
			vs_family_change(vs, family);
		else
			rc = model_invalid(err, what, f,
					   "'%.32s' is not an address family (ipv4 ipv6)", v);
	} else if (strcmp(f, "scheduler") == 0) {
		if ((rc = model_field_enum(what, f, v, scheduler_names, COUNT(scheduler_names),
					   "an IPVS scheduler", &u, err)) == 0)
			vs->scheduler = (enum fulcrum_scheduler)u;
	} else if (strcmp(f, "scheduler_flags") == 0) {
		if (model_sched_flags_parse(v, &u) == 0)
			vs->scheduler_flags = u;
		else
			rc = model_invalid(
			    err, what, f,
			    "'%.40s' is not a comma-separated list of scheduler flags "
			    "(fallback port)",
			    v);
	} else if (strcmp(f, "persistence_timeout") == 0) {
		if ((rc = model_field_uint(what, f, v, MODEL_PERSISTENCE_MAX, &n, err)) == 0)
			vs->persistence_timeout = (uint32_t)n;
	} else if (strcmp(f, "persistence_netmask") == 0) {
		if ((rc = model_field_uint(what, f, v, 128, &n, err)) == 0)
			vs->persistence_netmask = (uint8_t)n;
	} else if (strcmp(f, "one_packet") == 0) {
		rc = model_field_bool(what, f, v, &vs->one_packet, err);
	} else if (strcmp(f, "admin_state") == 0) {
		if ((rc = model_field_enum(what, f, v, vs_admin_names, COUNT(vs_admin_names),
					   "an admin state", &u, err)) == 0)
			vs->admin_state = (enum fulcrum_vs_admin)u;
	} else if (strcmp(f, "description") == 0) {
		rc = model_field_text(what, f, v, vs->description, sizeof(vs->description), err);
	} else {
		rc = model_check_vs_set_field(vs, f, v, err); /* check.*, fallback.*, min_up */
	}
	return rc;
}

int model_vs_set_field(struct fulcrum_vs *vs, const char *field, const char *value,
		       struct fulcrum_err *err)
{
	struct fulcrum_vs tmp = *vs;
	int rc;

	if (!field)
		return model_err_set(err, FULCRUM_ERR_INVALID, NULL, "service: no field named");
	if (!value)
		return model_invalid(err, "service", field, "no value");
	rc = vs_field_apply(&tmp, field, value, err);
	if (rc == 0)
		*vs = tmp;
	return rc;
}

static int rs_field_apply(struct fulcrum_rs *rs, const char *f, const char *v,
			  struct fulcrum_err *err)
{
	static const char *const what = "real server";
	uint64_t n;
	unsigned u;
	int rc = 0;

	if (strcmp(f, "address") == 0) {
		if (model_is_none(v)) {
			memset(&rs->addr, 0, sizeof(rs->addr));
			rs->addr.family = AF_UNSPEC;
		} else if (model_addr_parse(v, &rs->addr) != 0) {
			rc = model_invalid(err, what, f, "'%.64s' is not an IPv4 or IPv6 address",
					   v);
		}
	} else if (strcmp(f, "port") == 0) {
		if ((rc = model_field_uint(what, f, v, UINT16_MAX, &n, err)) == 0)
			rs->port = (uint16_t)n;
	} else if (strcmp(f, "forwarding") == 0) {
		if ((rc = model_field_enum(what, f, v, forwarding_names, COUNT(forwarding_names),
					   "a forwarding method", &u, err)) != 0)
			return rc;
		rs->forwarding = (enum fulcrum_forwarding)u;
		if (rs->forwarding != FULCRUM_FWD_TUNNEL) {
			rs->tunnel_type = FULCRUM_TUN_NONE;
			rs->tunnel_port = 0;
		} else if (rs->tunnel_type == FULCRUM_TUN_NONE) {
			rs->tunnel_type = FULCRUM_TUN_IPIP; /* the kernel's default too */
		}
	} else if (strcmp(f, "tunnel_type") == 0) {
		if ((rc = model_field_enum(what, f, model_is_none(v) ? "none" : v, tunnel_names,
					   COUNT(tunnel_names), "a tunnel type", &u, err)) != 0)
			return rc;
		rs->tunnel_type = (enum fulcrum_tunnel)u;
		if (rs->tunnel_type != FULCRUM_TUN_GUE)
			rs->tunnel_port = 0;
	} else if (strcmp(f, "tunnel_port") == 0) {
		if ((rc = model_field_uint(what, f, v, UINT16_MAX, &n, err)) == 0)
			rs->tunnel_port = (uint16_t)n;
	} else if (strcmp(f, "weight") == 0) {
		if ((rc = model_field_uint(what, f, v, UINT16_MAX, &n, err)) == 0)
			rs->weight = (uint32_t)n;
	} else if (strcmp(f, "upper_threshold") == 0) {
		if ((rc = model_field_uint(what, f, v, UINT32_MAX, &n, err)) == 0)
			rs->upper_threshold = (uint32_t)n;
	} else if (strcmp(f, "lower_threshold") == 0) {
		if ((rc = model_field_uint(what, f, v, UINT32_MAX, &n, err)) == 0)
			rs->lower_threshold = (uint32_t)n;
	} else if (strcmp(f, "admin_state") == 0) {
		if ((rc = model_field_enum(what, f, v, rs_admin_names, COUNT(rs_admin_names),
					   "an admin state", &u, err)) == 0)
			rs->admin_state = (enum fulcrum_rs_admin)u;
	} else if (strcmp(f, "description") == 0) {
		rc = model_field_text(what, f, v, rs->description, sizeof(rs->description), err);
	} else {
		rc = model_check_rs_set_field(rs, f, v, err); /* check.* */
	}
	return rc;
}

int model_rs_set_field(struct fulcrum_rs *rs, const char *field, const char *value,
		       struct fulcrum_err *err)
{
	struct fulcrum_rs tmp = *rs;
	int rc;

	if (!field)
		return model_err_set(err, FULCRUM_ERR_INVALID, NULL, "real server: no field named");
	if (!value)
		return model_invalid(err, "real server", field, "no value");
	rc = rs_field_apply(&tmp, field, value, err);
	if (rc == 0)
		*rs = tmp;
	return rc;
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int check_name(const char *name, struct fulcrum_err *err)
{
	size_t len = strnlen(name, FULCRUM_NAME_MAX + 1);

	if (len == 0)
		return model_invalid(err, "service", "name", "required");
	if (len > FULCRUM_NAME_MAX)
		return model_invalid(err, "service", "name", "longer than %d characters",
				     FULCRUM_NAME_MAX);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (name_char_ok(c) || (i > 0 && (c == '.' || c == '_' || c == '-')))
			continue;
		return model_invalid(err, "service", "name",
				     "'%s' may hold only letters, digits, '.', '_' and '-', "
				     "and starts with a letter or digit",
				     name);
	}
	return 0;
}

/* The rules that depend on whether vs is an address or a firewall-mark service. */
static int validate_vs_key(const struct fulcrum_vs *vs, struct fulcrum_err *err)
{
	char addr[MODEL_ADDR_STRLEN];
	bool has_addr = vs->addr.family != AF_UNSPEC;

	if (has_addr && vs->fwmark)
		return model_invalid(err, "service", "fwmark",
				     "a service has an address or a firewall mark, not both");
	if (!has_addr && !vs->fwmark)
		return model_invalid(err, "service", "address", "required (or a fwmark)");
	if (vs->fwmark) {
		if (vs->port)
			return model_invalid(err, "service", "port",
					     "a firewall-mark service has no port (%u given)",
					     (unsigned)vs->port);
		if (vs->protocol != FULCRUM_PROTO_NONE)
			return model_invalid(err, "service", "protocol",
					     "a firewall-mark service has no protocol");
		return 0;
	}
	if (vs->addr.family != AF_INET && vs->addr.family != AF_INET6)
		return model_invalid(err, "service", "address", "not an IPv4 or IPv6 address");
	if (vs->addr.family != vs->family)
		return model_invalid(err, "service", "family", "%s does not match address %s (%s)",
				     model_family_name(vs->family),
				     model_addr_format(&vs->addr, addr, sizeof(addr)),
				     model_family_prose(vs->addr.family));
	if (vs->protocol == FULCRUM_PROTO_NONE)
		return model_invalid(err, "service", "protocol",
				     "required for an address service (" PROTOCOL_LIST ")");
	if (!model_protocol_name(vs->protocol))
		return model_invalid(err, "service", "protocol",
				     "%d is not a protocol (" PROTOCOL_LIST ")", (int)vs->protocol);
	if (vs->port == 0 && vs->persistence_timeout == 0)
		return model_invalid(err, "service", "port",
				     "0 (all ports) needs persistence (persistence_timeout > 0)");
	return 0;
}

int model_vs_validate(const struct fulcrum_vs *vs, struct fulcrum_err *err)
{
	const char *sched = model_scheduler_name(vs->scheduler);
	int rc;

	if ((rc = check_name(vs->name, err)) != 0)
		return rc;
	if (!model_family_name(vs->family))
		return model_invalid(err, "service", "family",
				     "%d is not an address family (ipv4 ipv6)", vs->family);
	if ((rc = validate_vs_key(vs, err)) != 0)
		return rc;
	if (!sched)
		return model_invalid(err, "service", "scheduler",
				     "%d is not an IPVS scheduler (" SCHEDULER_LIST ")",
				     (int)vs->scheduler);
	if (vs->scheduler_flags & ~SCHED_FLAGS_ALL)
		return model_invalid(err, "service", "scheduler_flags",
				     "0x%x holds bits that are no flag (fallback port)",
				     vs->scheduler_flags);
	if (vs->scheduler_flags && vs->scheduler != FULCRUM_SCHED_SH &&
	    vs->scheduler != FULCRUM_SCHED_MH)
		return model_invalid(err, "service", "scheduler_flags",
				     "only the sh and mh schedulers take flags (scheduler is %s)",
				     sched);
	if (vs->persistence_timeout > MODEL_PERSISTENCE_MAX)
		return model_invalid(err, "service", "persistence_timeout",
				     "%u is outside 0..%u seconds (30 days)",
				     vs->persistence_timeout, MODEL_PERSISTENCE_MAX);
	if (vs->persistence_netmask > family_bits(vs->family))
		return model_invalid(
		    err, "service", "persistence_netmask", "%u is outside 0..%u for %s",
		    (unsigned)vs->persistence_netmask, (unsigned)family_bits(vs->family),
		    model_family_prose(vs->family));
	if (vs->one_packet && !vs->fwmark && vs->protocol != FULCRUM_PROTO_UDP)
		return model_invalid(err, "service", "one_packet",
				     "only for udp services (protocol is %s)",
				     model_protocol_name(vs->protocol));
	if (!model_vs_admin_name(vs->admin_state))
		return model_invalid(err, "service", "admin_state",
				     "%d is not an admin state (enabled disabled)",
				     (int)vs->admin_state);
	if ((rc = model_text_validate("service", "description", vs->description,
				      sizeof(vs->description), err)) != 0)
		return rc;
	return model_check_vs_validate(vs, err);
}

/* The port rules, which depend on the forwarding method and the service's port. */
static int check_rs_port(const struct fulcrum_rs *rs, const struct fulcrum_vs *owner,
			 struct fulcrum_err *err)
{
	const char *fwd = model_forwarding_name(rs->forwarding);

	if (rs->forwarding == FULCRUM_FWD_MASQ) {
		if (rs->port == 0 && !owner->fwmark && owner->port != 0)
			return model_invalid(err, "real server", "port",
					     "required (1..65535) for masq forwarding");
		return 0;
	}
	if (rs->port != 0 && rs->port != owner->port && owner->port == 0)
		return model_invalid(
		    err, "real server", "port",
		    "must be 0: %s forwarding cannot change the port and service '%s' "
		    "has none",
		    fwd, owner->name);
	if (rs->port != 0 && rs->port != owner->port)
		return model_invalid(
		    err, "real server", "port",
		    "%u differs from the service port %u; %s forwarding cannot change "
		    "the port (use 0 or %u)",
		    (unsigned)rs->port, (unsigned)owner->port, fwd, (unsigned)owner->port);
	return 0;
}

static int check_rs_tunnel(const struct fulcrum_rs *rs, struct fulcrum_err *err)
{
	const char *type = model_tunnel_name(rs->tunnel_type);

	if (!type)
		return model_invalid(err, "real server", "tunnel_type",
				     "%d is not a tunnel type (" TUNNEL_LIST ")",
				     (int)rs->tunnel_type);
	if (rs->forwarding == FULCRUM_FWD_TUNNEL && rs->tunnel_type == FULCRUM_TUN_NONE)
		return model_invalid(err, "real server", "tunnel_type",
				     "required for tunnel forwarding (" TUNNEL_LIST ")");
	if (rs->forwarding != FULCRUM_FWD_TUNNEL && rs->tunnel_type != FULCRUM_TUN_NONE)
		return model_invalid(err, "real server", "tunnel_type",
				     "only for tunnel forwarding (forwarding is %s)",
				     model_forwarding_name(rs->forwarding));
	if (rs->tunnel_type == FULCRUM_TUN_GUE && rs->tunnel_port == 0)
		return model_invalid(err, "real server", "tunnel_port",
				     "required (1..65535) for a gue tunnel");
	if (rs->tunnel_type != FULCRUM_TUN_GUE && rs->tunnel_port != 0)
		return model_invalid(err, "real server", "tunnel_port",
				     "only gue tunnels have a port (tunnel_type is %s)", type);
	return 0;
}

int model_rs_validate_base(const struct fulcrum_rs *rs, const struct fulcrum_vs *owner,
			   struct fulcrum_err *err)
{
	char addr[MODEL_ADDR_STRLEN];
	int rc;

	if (rs->addr.family == AF_UNSPEC)
		return model_invalid(err, "real server", "address", "required");
	if (rs->addr.family != AF_INET && rs->addr.family != AF_INET6)
		return model_invalid(err, "real server", "address", "not an IPv4 or IPv6 address");
	if (rs->addr.family != owner->family)
		return model_invalid(err, "real server", "address",
				     "%s is %s but service '%s' is %s",
				     model_addr_format(&rs->addr, addr, sizeof(addr)),
				     model_family_prose(rs->addr.family), owner->name,
				     model_family_prose(owner->family));
	if (!model_forwarding_name(rs->forwarding))
		return model_invalid(err, "real server", "forwarding",
				     "%d is not a forwarding method (masq route tunnel)",
				     (int)rs->forwarding);
	if ((rc = check_rs_port(rs, owner, err)) != 0)
		return rc;
	if ((rc = check_rs_tunnel(rs, err)) != 0)
		return rc;
	if (rs->weight > UINT16_MAX)
		return model_invalid(err, "real server", "weight", "%u is outside 0..65535",
				     rs->weight);
	if (rs->upper_threshold > 0 && rs->lower_threshold > rs->upper_threshold)
		return model_invalid(err, "real server", "lower_threshold",
				     "%u is above upper_threshold %u", rs->lower_threshold,
				     rs->upper_threshold);
	if (!model_rs_admin_name(rs->admin_state))
		return model_invalid(err, "real server", "admin_state",
				     "%d is not an admin state (enabled drained disabled)",
				     (int)rs->admin_state);
	return model_text_validate("real server", "description", rs->description,
				   sizeof(rs->description), err);
}

int model_rs_validate(const struct fulcrum_rs *rs, const struct fulcrum_vs *owner,
		      struct fulcrum_err *err)
{
	int rc = model_rs_validate_base(rs, owner, err);

	return rc ? rc : model_check_rs_validate(rs, owner, err);
}
