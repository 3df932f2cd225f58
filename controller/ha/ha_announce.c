/* Announcing a taken VIP: gratuitous ARP (IPv4) and unsolicited neighbour advertisement (IPv6). */
#include "controller/ha/ha_announce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct ha_announce {
	int packet; /* AF_PACKET, SOCK_RAW: whole Ethernet frames */
	int icmp6;  /* raw ICMPv6: the kernel adds the IPv6 header and the checksum */
	int ioctl;  /* a datagram socket for SIOCGIFHWADDR */
};

static void ha_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

size_t ha_announce_arp_build(uint8_t *buf, size_t cap, const uint8_t mac[6], struct in_addr ip)
{
	uint8_t *arp = buf + 14;

	if (cap < HA_ARP_FRAME_LEN)
		return 0;
	memset(buf, 0xff, 6); /* broadcast */
	memcpy(buf + 6, mac, 6);
	ha_put16(buf + 12, ETHERTYPE_ARP);
	ha_put16(arp, 1);                /* hardware: Ethernet */
	ha_put16(arp + 2, ETHERTYPE_IP); /* protocol: IPv4 */
	arp[4] = 6;
	arp[5] = 4;
	ha_put16(arp + 6, 1); /* request */
	memcpy(arp + 8, mac, 6);
	memcpy(arp + 14, &ip, 4);
	memset(arp + 18, 0, 6); /* target hardware: unknown */
	memcpy(arp + 24, &ip, 4);
	return HA_ARP_FRAME_LEN;
}

size_t ha_announce_na_build(uint8_t *buf, size_t cap, const uint8_t mac[6],
			    const struct in6_addr *target)
{
	if (cap < HA_NA_LEN)
		return 0;
	memset(buf, 0, HA_NA_LEN);
	buf[0] = ND_NEIGHBOR_ADVERT; /* 136 */
	buf[4] = 0x20;               /* R=0, S=0, O=1 */
	memcpy(buf + 8, target, 16);
	buf[24] = ND_OPT_TARGET_LINKADDR; /* 2 */
	buf[25] = 1;                      /* in units of 8 bytes */
	memcpy(buf + 26, mac, 6);
	return HA_NA_LEN;
}

int ha_announce_open(struct ha_announce **out)
{
	struct ha_announce *a = calloc(1, sizeof(*a));
	struct icmp6_filter none;
	int hops = 255, rc;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->packet =
	    socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: receives nothing */
	a->icmp6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	a->ioctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (a->packet < 0 || a->icmp6 < 0 || a->ioctl < 0)
		goto fail;
	/* a send-only socket: let no ICMPv6 queue up in it */
	ICMP6_FILTER_SETBLOCKALL(&none);
	if (setsockopt(a->icmp6, IPPROTO_ICMPV6, ICMP6_FILTER, &none, sizeof(none)) != 0 ||
	    setsockopt(a->icmp6, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) != 0 ||
	    setsockopt(a->icmp6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) != 0)
		goto fail;
	*out = a;
	return 0;
fail:
	rc = -errno;
	ha_announce_close(a);
	return rc;
}

void ha_announce_close(struct ha_announce *a)
{
	if (!a)
		return;
	if (a->packet >= 0)
		close(a->packet);
	if (a->icmp6 >= 0)
		close(a->icmp6);
	if (a->ioctl >= 0)
		close(a->ioctl);
	free(a);
}

/* The interface's index and MAC; -ENODEV when it has none (not Ethernet-like). */
static int ha_announce_link(struct ha_announce *a, const char *ifname, int *ifindex, uint8_t mac[6])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(a->ioctl, SIOCGIFINDEX, &ifr) != 0)
		return -errno;
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(a->ioctl, SIOCGIFHWADDR, &ifr) != 0)
		return -errno;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return -ENODEV;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

int ha_announce_send(struct ha_announce *a, const struct ha_vip *v, char *err, size_t errlen)
{
	uint8_t buf[64], mac[6];
	int ifindex = 0, rc = ha_announce_link(a, v->ifname, &ifindex, mac);
	size_t len;
	ssize_t n;

	if (rc != 0) {
		snprintf(err, errlen, "interface %s: %s", v->ifname,
			 rc == -ENODEV ? "no Ethernet address" : strerror(-rc));
		return rc;
	}
	if (v->addr.family == AF_INET) {
		struct sockaddr_ll to = {
		    .sll_family = AF_PACKET,
		    .sll_protocol = htons(ETHERTYPE_ARP),
		    .sll_ifindex = ifindex,
		    .sll_halen = 6,
		};

		memset(to.sll_addr, 0xff, 6);
		len = ha_announce_arp_build(buf, sizeof(buf), mac, v->addr.u.v4);
		n = sendto(a->packet, buf, len, 0, (struct sockaddr *)&to, sizeof(to));
	} else {
		struct sockaddr_in6 to = {.sin6_family = AF_INET6,
					  .sin6_scope_id = (uint32_t)ifindex};
		char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct iovec iov = {.iov_base = buf};
		struct msghdr msg = {
		    .msg_name = &to,
		    .msg_namelen = sizeof(to),
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = cbuf,
		    .msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *c;
		struct in6_pktinfo pi;

		inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
		iov.iov_len = len = ha_announce_na_build(buf, sizeof(buf), mac, &v->addr.u.v6);
		memset(cbuf, 0, sizeof(cbuf));
		memset(&pi, 0, sizeof(pi));
		pi.ipi6_ifindex =
		    (unsigned)ifindex; /* the source: the kernel's choice on that link */
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		n = sendmsg(a->icmp6, &msg, 0);
	}
	if (n != (ssize_t)len) {
		rc = n < 0 ? -errno : -EIO;
		snprintf(err, errlen, "%s on %s: %s",
			 v->addr.family == AF_INET ? "gratuitous ARP" : "neighbour advertisement",
			 v->ifname, strerror(-rc));
		return rc;
	}
	return 0;
}
