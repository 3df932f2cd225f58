/* A refused SET's one log line: the object, the value as received, and the rule, rate-limited. */
#include "controller/lib/log.h"
#include "mib/mib-int.h"
#include "mib/mib-names.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* At most one line per object and status in this many milliseconds; the others are counted. */
#define MIB_REFUSE_QUIET_MS 1000

/* The longest string value shown; the rest is said in a count. */
#define MIB_REFUSE_SHOW 64

const char *mib_object_name(const oid *name, size_t len, size_t *arcs)
{
	static const oid root[] = {FULCRUM_MIB_ROOT_OID};
	const struct mib_name_def *best = NULL;

	if (len <= MIB_ROOT_LEN || snmp_oid_compare(name, MIB_ROOT_LEN, root, MIB_ROOT_LEN) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(mib_names) / sizeof(mib_names[0]); i++) {
		const struct mib_name_def *d = &mib_names[i];
		size_t k;

		if (d->len > len - MIB_ROOT_LEN || (best && d->len <= best->len))
			continue;
		for (k = 0; k < d->len && name[MIB_ROOT_LEN + k] == d->arcs[k]; k++)
			;
		if (k == d->len)
			best = d;
	}
	if (best && arcs)
		*arcs = MIB_ROOT_LEN + best->len;
	return best ? best->name : NULL;
}

const char *mib_type_name(u_char type)
{
	switch (type) {
	case ASN_INTEGER:
		return "INTEGER";
	case ASN_OCTET_STR:
		return "OCTET STRING";
	case ASN_NULL:
		return "NULL";
	case ASN_OBJECT_ID:
		return "OBJECT IDENTIFIER";
	case ASN_IPADDRESS:
		return "IpAddress";
	case ASN_COUNTER:
		return "Counter32";
	case ASN_UNSIGNED:
		return "Unsigned32";
	case ASN_TIMETICKS:
		return "TimeTicks";
	case ASN_OPAQUE:
		return "Opaque";
	case ASN_COUNTER64:
		return "Counter64";
	}
	return "an unknown type";
}

const char *mib_status_name(int status)
{
	static const char *const n[] = {
	    "noError",
	    "tooBig",
	    "noSuchName",
	    "badValue",
	    "readOnly",
	    "genErr",
	    "noAccess",
	    "wrongType",
	    "wrongLength",
	    "wrongEncoding",
	    "wrongValue",
	    "noCreation",
	    "inconsistentValue",
	    "resourceUnavailable",
	    "commitFailed",
	    "undoFailed",
	    "authorizationError",
	    "notWritable",
	    "inconsistentName",
	};
	return status >= 0 && (size_t)status < sizeof(n) / sizeof(n[0]) ? n[status] : "error";
}

/* Appends to buf (len bytes, used *at) what fmt says, as far as it fits. */
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at = *at + (size_t)n < len ? *at + (size_t)n : len - 1;
}

/* The varbind's name as the MIB's object and its index ("fulcrumRsWeight.3.5"), or dotted. */
static void name_format(const netsnmp_variable_list *var, char *buf, size_t len)
{
	size_t at = 0, arcs = 0;
	const char *obj = mib_object_name(var->name, var->name_length, &arcs);

	buf[0] = '\0';
	if (obj)
		put(buf, len, &at, "%s", obj);
	for (size_t i = obj ? arcs : 0; i < var->name_length; i++)
		put(buf, len, &at, i || obj ? ".%" PRIu64 : "%" PRIu64, (uint64_t)var->name[i]);
}

void mib_value_format(const netsnmp_variable_list *var, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	switch (var->type) {
	case ASN_INTEGER:
		if (var->val.integer)
			put(buf, len, &at, "%ld", *var->val.integer);
		return;
	case ASN_UNSIGNED:
	case ASN_COUNTER:
	case ASN_TIMETICKS:
		if (var->val.integer)
			put(buf, len, &at, "%s: %lu", mib_type_name(var->type),
			    (unsigned long)(uint32_t)*var->val.integer);
		return;
	case ASN_COUNTER64:
		if (var->val.counter64)
			put(buf, len, &at, "Counter64: %" PRIu64,
			    ((uint64_t)var->val.counter64->high << 32) | var->val.counter64->low);
		return;
	case ASN_OBJECT_ID:
		put(buf, len, &at, "OID: ");
		for (size_t i = 0; var->val.objid && i < var->val_len / sizeof(oid); i++)
			put(buf, len, &at, ".%" PRIu64, (uint64_t)var->val.objid[i]);
		return;
	case ASN_NULL:
		put(buf, len, &at, "NULL");
		return;
	case ASN_IPADDRESS:
		if (var->val_len == 4 && var->val.string)
			put(buf, len, &at, "IpAddress: %u.%u.%u.%u", var->val.string[0],
			    var->val.string[1], var->val.string[2], var->val.string[3]);
		return;
	case ASN_OCTET_STR:
	case ASN_OPAQUE:
		break;
	default:
		put(buf, len, &at, "%s (%zu octets)", mib_type_name(var->type), var->val_len);
		return;
	}
	/* a string: printable ASCII as it is, the rest escaped, so no raw byte reaches the log */
	put(buf, len, &at, "%s\"", var->type == ASN_OPAQUE ? "Opaque: " : "");
	for (size_t i = 0; var->val.string && i < var->val_len && i < MIB_REFUSE_SHOW; i++) {
		u_char c = var->val.string[i];

		if (c == '"' || c == '\\')
			put(buf, len, &at, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			put(buf, len, &at, "%c", c);
		else
			put(buf, len, &at, "\\x%02x", c);
	}
	put(buf, len, &at, "\"");
	if (var->val_len > MIB_REFUSE_SHOW)
		put(buf, len, &at, " (%zu octets in all)", var->val_len);
}

void mib_refuse_why(struct mib *m, const char *fmt, ...)
{
	va_list ap;

	if (m->refuse_why[0])
		return; /* the first, deepest reason stays */
	va_start(ap, fmt);
	vsnprintf(m->refuse_why, sizeof(m->refuse_why), fmt, ap);
	va_end(ap);
}

/* A reason when the code that refused gave none: the status in words. */
static const char *why_default(int status)
{
	switch (status) {
	case SNMP_ERR_NOCREATION:
		return "no object of FULCRUM-MIB that can be written or created has this name";
	case SNMP_ERR_NOTWRITABLE:
		return "the object is read-only";
	case SNMP_ERR_WRONGTYPE:
		return "the value's type is not the object's";
	case SNMP_ERR_WRONGLENGTH:
		return "the value's length is not one the object takes";
	case SNMP_ERR_WRONGVALUE:
		return "the object never takes this value";
	case SNMP_ERR_INCONSISTENTVALUE:
		return "the object cannot take this value now";
	case SNMP_ERR_INCONSISTENTNAME:
		return "the row cannot be made with this index now";
	case SNMP_ERR_RESOURCEUNAVAILABLE:
		return "fulcrumd lacks what it needs to do it now";
	}
	return "refused";
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mib_refuse_log(struct mib *m, const netsnmp_variable_list *var, int status)
{
	char name[160], value[MIB_REFUSE_SHOW * 4 + 64], more[80] = "";
	const char *obj = var ? mib_object_name(var->name, var->name_length, NULL) : NULL;
	struct mib_refuse_seen *seen = NULL, *oldest = &m->refuse_seen[0];
	int64_t now = ms_now();

	/* the same object and status inside the quiet time: counted, not logged */
	for (size_t i = 0; i < MIB_REFUSE_SLOTS; i++) {
		struct mib_refuse_seen *r = &m->refuse_seen[i];

		if (r->used && r->object == obj && r->status == status) {
			seen = r;
			break;
		}
		if (!r->used || r->last_ms < oldest->last_ms)
			oldest = r;
	}
	if (seen && now - seen->last_ms < MIB_REFUSE_QUIET_MS) {
		seen->suppressed++;
		m->refuse_why[0] = '\0';
		return;
	}
	if (!seen) {
		seen = oldest;
		memset(seen, 0, sizeof(*seen));
		seen->used = true;
		seen->object = obj;
		seen->status = status;
	}
	if (seen->suppressed)
		snprintf(more, sizeof(more), "; %u more refusals like it not logged",
			 seen->suppressed);
	seen->suppressed = 0;
	seen->last_ms = now;
	if (var) {
		name_format(var, name, sizeof(name));
		mib_value_format(var, value, sizeof(value));
	} else {
		snprintf(name, sizeof(name), "the PDU");
		value[0] = '\0';
	}
	(status == SNMP_ERR_COMMITFAILED ? log_warnx : log_notice)(
	    "snmp", "SET refused: %s [%s, %s = %s%s]",
	    m->refuse_why[0] ? m->refuse_why : why_default(status), mib_status_name(status), name,
	    value[0] ? value : "(no value)", more);
	m->refuse_why[0] = '\0';
}
