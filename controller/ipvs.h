/* The IPVS client: one generic netlink socket to the kernel's IPVS family. */
#ifndef FULCRUM_IPVS_H
#define FULCRUM_IPVS_H

#include <stdbool.h>

struct ipvs;

/* What the kernel said when fulcrumd asked for IPVS. */
struct ipvs_info {
	bool available;
	unsigned version;         /* e.g. 0x010201 for 1.2.1 */
	unsigned conn_table_size; /* connection hash table entries */
	char reason[256];         /* why IPVS is unavailable, in words; empty if available */
};

/*
 * Opens a generic netlink socket and resolves the IPVS family once. Always
 * returns a handle in *out (or -ENOMEM): when the kernel has no IPVS, the
 * handle says so through ipvs_info() and every kernel operation returns
 * -EOPNOTSUPP. Free it with ipvs_close().
 */
int ipvs_open(struct ipvs **out);

/* Closes the socket and frees the handle; accepts NULL. */
void ipvs_close(struct ipvs *ipvs);

/* Availability, version and the reason when unavailable; never NULL. */
const struct ipvs_info *ipvs_info(const struct ipvs *ipvs);

/* Formats an IPVS version number as "1.2.1" into buf. */
const char *ipvs_version_format(unsigned version, char *buf, unsigned len);

/* Maps a libnl error code (NLE_*, positive or negative) to a negative errno. */
int ipvs_nl_errno(int nle);

#endif
