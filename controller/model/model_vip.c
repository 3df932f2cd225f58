/* The model's rules for VIPs: defaults, fields set from text, and validation of one VIP. */
#include "controller/model/model-int.h"
#include "controller/model/model.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define WHAT "VIP"

/* The whole length of an address of family; no address counts as IPv4, the default. */
static uint8_t whole_prefix(int family)
{
	return family == AF_INET6 ? 128 : 32;
}

void model_vip_init(struct fulcrum_vip *vip)
{
	memset(vip, 0, sizeof(*vip));
	vip->addr.family = AF_UNSPEC;
	vip->prefix = whole_prefix(AF_UNSPEC);
}

static int vip_field_apply(struct fulcrum_vip *vip, const char *f, const char *v,
			   struct fulcrum_err *err)
{
	struct fulcrum_addr addr;
	uint64_t n;
	int rc = 0;

	if (strcmp(f, "address") == 0) {
		if (model_addr_parse(v, &addr) != 0)
			return model_invalid(err, WHAT, f, "'%.64s' is not an IPv4 or IPv6 address",
					     v);
		if (vip->prefix == whole_prefix(vip->addr.family))
			vip->prefix = whole_prefix(addr.family);
		vip->addr = addr;
	} else if (strcmp(f, "prefix") == 0) {
		if ((rc = model_field_uint(WHAT, f, v, 128, &n, err)) == 0)
			vip->prefix = (uint8_t)n;
	} else if (strcmp(f, "interface") == 0) {
		rc = model_field_text(WHAT, f, v, vip->interface, sizeof(vip->interface), err);
	} else if (strcmp(f, "description") == 0) {
		rc = model_field_text(WHAT, f, v, vip->description, sizeof(vip->description), err);
	} else {
		rc = model_err_set(err, FULCRUM_ERR_INVALID, f,
				   WHAT ": unknown field '%.48s' (address prefix interface "
					"description)",
				   f);
	}
	return rc;
}

int model_vip_set_field(struct fulcrum_vip *vip, const char *field, const char *value,
			struct fulcrum_err *err)
{
	struct fulcrum_vip tmp = *vip;
	int rc;

	if (!field)
		return model_err_set(err, FULCRUM_ERR_INVALID, NULL, WHAT ": no field named");
	if (!value)
		return model_invalid(err, WHAT, field, "no value");
	rc = vip_field_apply(&tmp, field, value, err);
	if (rc == 0)
		*vip = tmp;
	return rc;
}

/* What kind of address a cannot be for a VIP, or NULL when it can be one. */
static const char *addr_unfit(const struct fulcrum_addr *a)
{
	const struct in6_addr *v6 = &a->u.v6;
	uint32_t v4 = ntohl(a->u.v4.s_addr);

	if (a->family == AF_INET) {
		if (v4 == 0)
			return "the unspecified address";
		if ((v4 >> 24) == 127)
			return "a loopback address";
		if ((v4 >> 28) == 0xe)
			return "a multicast address";
		return NULL;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(v6))
		return "the unspecified address";
	if (IN6_IS_ADDR_LOOPBACK(v6))
		return "a loopback address";
	if (IN6_IS_ADDR_MULTICAST(v6))
		return "a multicast address";
	return NULL;
}

static bool ifname_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == ':' || c == '-';
}

/* Linux's rules for a name it takes (dev_valid_name()), within what an ip(8) user types. */
static int check_interface(const char *name, struct fulcrum_err *err)
{
	size_t len = strnlen(name, FULCRUM_IFNAME_MAX + 1);

	if (len == 0)
		return model_invalid(err, WHAT, "interface", "required (the interface it is on)");
	if (len > FULCRUM_IFNAME_MAX)
		return model_invalid(err, WHAT, "interface", "longer than %d characters",
				     FULCRUM_IFNAME_MAX);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return model_invalid(err, WHAT, "interface", "'%s' is not an interface name", name);
	for (size_t i = 0; i < len; i++)
		if (!ifname_char_ok(name[i]))
			return model_invalid(err, WHAT, "interface",
					     "'%s' may hold only letters, digits, '_', '.', ':' "
					     "and '-'",
					     name);
	return 0;
}

int model_vip_validate(const struct fulcrum_vip *vip, struct fulcrum_err *err)
{
	char text[MODEL_ADDR_STRLEN];
	const char *unfit;
	int rc;

	if (vip->addr.family == AF_UNSPEC)
		return model_invalid(err, WHAT, "address", "required");
	if (vip->addr.family != AF_INET && vip->addr.family != AF_INET6)
		return model_invalid(err, WHAT, "address", "not an IPv4 or IPv6 address");
	if ((unfit = addr_unfit(&vip->addr)) != NULL)
		return model_invalid(err, WHAT, "address", "%s is %s: no director can hold it",
				     model_addr_format(&vip->addr, text, sizeof(text)), unfit);
	if (vip->prefix < 1 || vip->prefix > whole_prefix(vip->addr.family))
		return model_invalid(
		    err, WHAT, "prefix", "%u is outside 1..%u for %s", (unsigned)vip->prefix,
		    (unsigned)whole_prefix(vip->addr.family), model_family_prose(vip->addr.family));
	if ((rc = check_interface(vip->interface, err)) != 0)
		return rc;
	return model_text_validate(WHAT, "description", vip->description, sizeof(vip->description),
				   err);
}
