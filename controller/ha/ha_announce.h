/* Announcing a taken VIP: gratuitous ARP (IPv4) and unsolicited neighbour advertisement (IPv6). */
#ifndef FULCRUM_HA_ANNOUNCE_H
#define FULCRUM_HA_ANNOUNCE_H

#include "controller/ha/ha_vip.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define HA_ARP_FRAME_LEN 42 /* Ethernet header and an ARP packet for IPv4 over Ethernet */
#define HA_NA_LEN        32 /* a neighbour advertisement with its target link-layer option */

/*
 * Builds a gratuitous ARP into buf: an Ethernet broadcast frame carrying an
 * ARP request whose sender and target addresses are both ip, from mac (RFC
 * 5227's announcement; neighbours update the entry they hold for ip).
 * Returns HA_ARP_FRAME_LEN, or 0 when cap is too small.
 */
size_t ha_announce_arp_build(uint8_t *buf, size_t cap, const uint8_t mac[6], struct in_addr ip);

/*
 * Builds an unsolicited neighbour advertisement (RFC 4861 4.4) for target into
 * buf: ICMPv6 type 136, override flag set, solicited and router flags clear,
 * the target link-layer address option with mac. The checksum is left 0 for
 * the kernel to fill (raw ICMPv6 sockets do). Returns HA_NA_LEN, or 0 when
 * cap is too small.
 */
size_t ha_announce_na_build(uint8_t *buf, size_t cap, const uint8_t mac[6],
			    const struct in6_addr *target);

/* The sockets announcements are sent on: one AF_PACKET, one raw ICMPv6. */
struct ha_announce;

/* Opens them (needs CAP_NET_RAW). 0 or a negative errno. */
int ha_announce_open(struct ha_announce **out);

/* Closes them; accepts NULL. */
void ha_announce_close(struct ha_announce *a);

/*
 * Announces v once on its interface: a gratuitous ARP, or an unsolicited NA
 * to ff02::1 with hop limit 255. The interface's index and MAC are looked up
 * at each call (cheap ioctls, no RTNL), so a replaced interface is found.
 * Returns 0, or a negative errno with err saying what failed.
 */
int ha_announce_send(struct ha_announce *a, const struct ha_vip *v, char *err, size_t errlen);

#endif
