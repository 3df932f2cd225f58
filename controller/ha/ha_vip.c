/* The VIPs a node holds while active: their list, text form, and the differences between two lists. */
#include "controller/ha/ha_vip.h"

#include "controller/model/model.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ha_vip_format(const struct ha_vip *v, char *buf, size_t len)
{
	char a[MODEL_ADDR_STRLEN];

	snprintf(buf, len, "%s/%u on %s", model_addr_format(&v->addr, a, sizeof(a)),
		 (unsigned)v->prefix, v->ifname);
	return buf;
}

bool ha_vip_equal(const struct ha_vip *a, const struct ha_vip *b)
{
	return a->prefix == b->prefix && strcmp(a->ifname, b->ifname) == 0 &&
	       model_addr_equal(&a->addr, &b->addr);
}

static bool ha_vip_ifname_valid(const char *s, size_t len)
{
	if (len == 0 || len > HA_VIP_IFNAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] == '/' || s[i] == ':' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

int ha_vip_parse(const char *s, struct ha_vip *out, char *err, size_t errlen)
{
	const char *at = strchr(s, '@'), *slash;
	char addr[64];
	size_t alen;
	unsigned long prefix;
	char *end;

	memset(out, 0, sizeof(*out));
	if (!at || !ha_vip_ifname_valid(at + 1, strlen(at + 1))) {
		snprintf(err, errlen, "'%s' is not ADDRESS/PREFIX@INTERFACE", s);
		return -EINVAL;
	}
	slash = memchr(s, '/', (size_t)(at - s));
	alen = (size_t)((slash ? slash : at) - s);
	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "'%s': no address before '@'", s);
		return -EINVAL;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (model_addr_parse(addr, &out->addr) != 0) {
		snprintf(err, errlen, "'%s': '%s' is not an IPv4 or IPv6 address", s, addr);
		return -EINVAL;
	}
	prefix = out->addr.family == AF_INET ? 32 : 128;
	if (slash) {
		errno = 0;
		unsigned long p = strtoul(slash + 1, &end, 10);

		if (end == slash + 1 || end != at || errno || p > prefix) {
			snprintf(err, errlen, "'%s': the prefix must be 0..%lu", s, prefix);
			return -EINVAL;
		}
		prefix = p;
	}
	out->prefix = (uint8_t)prefix;
	memcpy(out->ifname, at + 1, strlen(at + 1) + 1);
	return 0;
}

int ha_vip_list_parse(const char *s, struct ha_vip **out, size_t *n, char *err, size_t errlen)
{
	struct ha_vip *list = NULL, *grown;
	size_t count = 0;
	char item[128];
	int rc = 0;

	*out = NULL;
	*n = 0;
	while (*s) {
		size_t len;

		s += strspn(s, " \t,");
		len = strcspn(s, " \t,");
		if (len == 0)
			break;
		if (len >= sizeof(item)) {
			snprintf(err, errlen, "'%.32s...' is too long for a VIP", s);
			rc = -EINVAL;
			goto fail;
		}
		memcpy(item, s, len);
		item[len] = '\0';
		s += len;
		grown = realloc(list, (count + 1) * sizeof(*list));
		if (!grown) {
			rc = -ENOMEM;
			goto fail;
		}
		list = grown;
		rc = ha_vip_parse(item, &list[count], err, errlen);
		if (rc != 0)
			goto fail;
		if (ha_vip_in(&list[count], list, count)) {
			snprintf(err, errlen, "'%s' is listed twice", item);
			rc = -EINVAL;
			goto fail;
		}
		count++;
	}
	*out = list;
	*n = count;
	return 0;
fail:
	free(list);
	return rc;
}

bool ha_vip_in(const struct ha_vip *v, const struct ha_vip *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ha_vip_equal(v, &list[i]))
			return true;
	return false;
}

size_t ha_vip_missing(const struct ha_vip *want, size_t nwant, const struct ha_vip *have,
		      size_t nhave, bool *missing)
{
	size_t count = 0;

	for (size_t i = 0; i < nwant; i++) {
		missing[i] = !ha_vip_in(&want[i], have, nhave);
		count += missing[i];
	}
	return count;
}

size_t ha_vip_diff(const struct ha_vip *old, size_t nold, const struct ha_vip *new_, size_t nnew,
		   bool *added, bool *removed)
{
	return ha_vip_missing(new_, nnew, old, nold, added) +
	       ha_vip_missing(old, nold, new_, nnew, removed);
}
