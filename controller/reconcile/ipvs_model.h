/* Model to IPVS kernel types, and the comparisons reconcile makes. */
#ifndef FULCRUM_IPVS_MODEL_H
#define FULCRUM_IPVS_MODEL_H

#include "controller/ipvs/ipvs.h"
#include "controller/model/model-t.h"

#include <stdbool.h>

/*
 * Fills out with the service the kernel should hold for vs (stats zero):
 * - a firewall-mark service keeps af and fwmark, protocol 0 and no address;
 * - the scheduler by its kernel name ("twos" too: a 6.1 kernel refuses it);
 * - flags: PERSISTENT when persistence_timeout > 0, ONEPACKET, and the
 *   scheduler flags fallback as SCHED1 and port as SCHED2;
 * - netmask: for IPv4 the mask of persistence_netmask bits (24 gives
 *   0xffffff00); for IPv6 the prefix length itself, except that a service
 *   without persistence gets 128 for 0, which the kernel refuses whether
 *   it is used or not.
 * Returns 0, or -EINVAL when vs holds a value that has no kernel form (an
 * enum outside its range, an address of another family than vs->family);
 * out is then unspecified. Nothing else of model_vs_validate() is checked.
 */
int ipvs_service_from_vs(const struct fulcrum_vs *vs, struct ipvs_service *out);

/*
 * Fills out with the real server the kernel should hold for rs, a real server
 * of vs (read-only fields zero):
 * - weight rs->weight, or 0 when rs is drained (existing connections finish);
 * - for route and tunnel forwarding a port of 0 becomes vs's port (as
 *   ipvsadm does: those methods cannot change the port);
 * - tunnel type ipip, gue (with tunnel_port) or gre; non-tunnel real servers
 *   get ipip, port 0, as the kernel reports them; tunnel flags are 0 (no
 *   checksum: the model has no field for them);
 * - l_threshold is 0 when upper_threshold is 0: the kernel refuses a lower
 *   threshold above the upper one (ERANGE), and without an upper threshold a
 *   server is never overloaded, so the lower one has nothing to do.
 * A disabled real server is not in the kernel at all: leaving it out is
 * reconcile's choice, and passing one here returns -EINVAL. Also -EINVAL
 * for an enum outside its range.
 */
int ipvs_dest_from_rs(const struct fulcrum_rs *rs, const struct fulcrum_vs *vs,
		      struct ipvs_dest *out);

/* True when a and b name the same kernel service (af + fwmark, or af + protocol + addr + port). */
bool ipvs_service_key_equal(const struct ipvs_service *a, const struct ipvs_service *b);

/* True when a and b name the same real server of one service (af + addr + port). */
bool ipvs_dest_key_equal(const struct ipvs_dest *a, const struct ipvs_dest *b);

/*
 * True when the kernel's service have differs from want in what
 * ipvs_service_edit() sets: scheduler, flags, timeout, netmask. Keys and
 * counters are not compared.
 */
bool ipvs_service_needs_edit(const struct ipvs_service *have, const struct ipvs_service *want);

/*
 * True when the kernel's real server have differs from want in what
 * ipvs_dest_edit() sets: forwarding method, weight, thresholds, and for
 * tunnels the tunnel type, the port (gue) and the flags. Keys, connection
 * counts and counters are not compared.
 */
bool ipvs_dest_needs_edit(const struct ipvs_dest *have, const struct ipvs_dest *want);

#endif
