/* The VIPs a node holds while active: their list, text form, and the differences between two lists. */
#ifndef FULCRUM_HA_VIP_H
#define FULCRUM_HA_VIP_H

#include "controller/model/model-t.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HA_VIP_IFNAME_MAX 15 /* an interface name, without its NUL */

/*
 * One virtual address: what the active adds to an interface and announces.
 * The kernel tells addresses apart by interface, address and prefix, and so
 * does every comparison here.
 */
struct ha_vip {
	struct fulcrum_addr addr;
	uint8_t prefix; /* 0..32 or 0..128 */
	char ifname[HA_VIP_IFNAME_MAX + 1];
};

/* Room for ha_vip_format(): "ffff:...:ffff/128 on " and an interface name. */
#define HA_VIP_STRLEN (46 + 5 + 4 + HA_VIP_IFNAME_MAX + 1)

/* Writes "192.0.2.10/24 on eth0" into buf and returns buf. */
const char *ha_vip_format(const struct ha_vip *v, char *buf, size_t len);

/* Whether a and b are the same kernel address: interface, family, address and prefix. */
bool ha_vip_equal(const struct ha_vip *a, const struct ha_vip *b);

/*
 * Parses "ADDR/PREFIX@IFNAME" (prefix optional: 32 or 128) into *out.
 * Returns 0, or -EINVAL with err saying why.
 */
int ha_vip_parse(const char *s, struct ha_vip *out, char *err, size_t errlen);

/*
 * Parses a list of ha_vip_parse() forms separated by blanks or commas into a
 * malloc'ed array *out (free() it; NULL when the text lists none) of *n. A VIP
 * listed twice is refused. Returns 0, -EINVAL with err naming the bad item, or
 * -ENOMEM.
 */
int ha_vip_list_parse(const char *s, struct ha_vip **out, size_t *n, char *err, size_t errlen);

/* Whether v is in list[0..n). */
bool ha_vip_in(const struct ha_vip *v, const struct ha_vip *list, size_t n);

/*
 * Marks missing[i] for each want[i] not in have[0..nhave) and returns how
 * many are missing: what the kernel should hold and does not.
 */
size_t ha_vip_missing(const struct ha_vip *want, size_t nwant, const struct ha_vip *have,
		      size_t nhave, bool *missing);

/*
 * The change from list old to list new: added[i] is set for each new[i] not
 * in old, removed[j] for each old[j] not in new. Returns the number of
 * changes (added plus removed).
 */
size_t ha_vip_diff(const struct ha_vip *old, size_t nold, const struct ha_vip *new_, size_t nnew,
		   bool *added, bool *removed);

#endif
