/* The MIB unit tests' model and SET builder (unit_mib.c), shared by test_mib.c and test_mib_vip.c. */
#ifndef FULCRUM_UNIT_MIB_H
#define FULCRUM_UNIT_MIB_H

#include "mib/mib-set.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The model under test: a store on a scratch database, and a subagent view
 * of it. unit_mib_setup() makes three services (web 192.0.2.1, a
 * 2001:db8::1, zz-long 192.0.2.3), three real servers (r1 and r2 in web, r3
 * in zz-long) and two VIPs (v4 192.0.2.100/24 on eth0, v6 2001:db8::100
 * on eth1), with a kernel that holds everything in sync (each real server
 * with 2 active connections) and a VIP callback that says v4 is held.
 */
struct unit_mib {
	char dir[512];
	struct db *db;
	struct store *st;
	struct mib m;
	int64_t web, a, long_name; /* service ids */
	int64_t r1, r2, r3;        /* real server ids */
	int64_t v4, v6;            /* VIP ids */
};

void unit_mib_setup(struct unit_mib *f);
void unit_mib_teardown(struct unit_mib *f);

/* Creates service name at addr:80/tcp through the store; returns its id. */
int64_t unit_mib_add_vs(struct unit_mib *f, const char *name, const char *addr);

/* Builds R.1.tail into name (MIB_OID_MAX sub-ids); returns its length. */
size_t unit_mib_name(oid *name, const oid *tail, size_t tlen);

/* GET of R.1.tail: mib_read()'s return. */
int unit_mib_get(struct unit_mib *f, const oid *tail, size_t tlen, struct mib_value *v);

/* Walks the whole MIB with GETNEXT from the root; returns the number of instances. */
size_t unit_mib_walk(struct unit_mib *f, bool check_order);

/* A SET PDU built by hand, as the agent hands it to the handler. */
struct unit_mib_pdu {
	netsnmp_variable_list *vars;
	netsnmp_request_info req[16];
	size_t n;
};

/* Adds a varbind R.1.tail of an INTEGER, an Unsigned32, an OCTET STRING. */
void unit_mib_vb_int(struct unit_mib_pdu *p, const oid *tail, size_t tlen, long i);
void unit_mib_vb_uns(struct unit_mib_pdu *p, const oid *tail, size_t tlen, u_long u);
void unit_mib_vb_str(struct unit_mib_pdu *p, const oid *tail, size_t tlen, const void *s,
		     size_t len);

/*
 * Runs the SET phases of p as the agent does, then empties p; returns the
 * status and in *bad_index the failing varbind's index (1 for the first).
 */
int unit_mib_set(struct unit_mib *f, struct unit_mib_pdu *p, int *bad_index);

#endif
