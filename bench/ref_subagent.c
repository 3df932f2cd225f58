/* bench/snmp-walk.sh's ceiling: the least an AgentX subagent does to serve fulcrumRsTable. */
#include <net-snmp/net-snmp-config.h>

#include <net-snmp/net-snmp-includes.h>

#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * R.1.4.1.COL.VSID.RSID under R = enterprises.32473.99: the OIDs are as long as
 * FULCRUM-MIB's (enterprises.32473.1), so the PDUs are the same size, and the
 * root differs so both subagents can sit under one snmpd.
 */
static const oid ref_table[] = {1, 3, 6, 1, 4, 1, 32473, 99, 1, 4, 1};
#define REF_TABLE_LEN (sizeof(ref_table) / sizeof(ref_table[0]))
#define REF_COL_FIRST 2
#define REF_COL_LAST  30
#define REF_OID_LEN   (REF_TABLE_LEN + 3) /* COL.VSID.RSID */

/* One row: the index and the values that differ between rows; the rest are constants. */
struct ref_row {
	uint32_t vs, rs;
	u_char addr[4];
	u_long weight;
};

static struct ref_row *rows;
static size_t nrows;
static volatile sig_atomic_t stopping;

/* Index order: (vs, rs) compared as the OID's two sub-ids. */
static int ref_index_cmp(const struct ref_row *r, uint32_t vs, uint32_t rs)
{
	if (r->vs != vs)
		return r->vs < vs ? -1 : 1;
	return r->rs < rs ? -1 : r->rs > rs;
}

/* The first row whose index is greater than (vs, rs), or equal with inclusive; nrows if none. */
static size_t ref_lower(uint32_t vs, uint32_t rs, bool inclusive)
{
	size_t lo = 0, hi = nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = ref_index_cmp(&rows[mid], vs, rs);

		if (c > 0 || (inclusive && c == 0))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Sets vb's value: column col of row r, in the ASN.1 type FULCRUM-MIB gives that column. */
static void ref_value(netsnmp_variable_list *vb, const struct ref_row *r, unsigned col)
{
	static const u_char date[8] = {0x07, 0xea, 11, 26, 6, 30, 0, 0};
	static const char reason[] = "no IPVS in this kernel";
	struct counter64 c64 = {0, 0};
	long i = 1;
	u_long u = 0;

	switch (col) {
	case 3: /* address */
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, r->addr, sizeof(r->addr));
		return;
	case 12: /* description */
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, "", 0);
		return;
	case 14: /* oper reason, kernel reason */
	case 17:
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, reason, sizeof(reason) - 1);
		return;
	case 15: /* oper last change */
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, date, sizeof(date));
		return;
	case 4: /* port, tunnel port, weight, thresholds */
	case 7:
	case 8:
	case 9:
	case 10:
		u = col == 4 ? 80 : col == 8 ? r->weight : 0;
		snmp_set_var_typed_value(vb, ASN_UNSIGNED, &u, sizeof(u));
		return;
	case 23: /* active, inactive connections */
	case 24:
		snmp_set_var_typed_value(vb, ASN_GAUGE, &u, sizeof(u));
		return;
	}
	if (col >= 18 && col <= 29) { /* counters and rates */
		snmp_set_var_typed_value(vb, ASN_COUNTER64, &c64, sizeof(c64));
		return;
	}
	/* INTEGERs: address type, forwarding, tunnel type, admin, oper, kernel state, RowStatus */
	if (col == 13)
		i = 3;
	else if (col == 16)
		i = 4;
	snmp_set_var_typed_value(vb, ASN_INTEGER, &i, sizeof(i));
}

/* GET: the row name names exactly, or NULL. */
static const struct ref_row *ref_exact(const oid *name, size_t len, unsigned *col)
{
	size_t i;

	if (len != REF_OID_LEN || snmp_oid_compare(name, REF_TABLE_LEN, ref_table, REF_TABLE_LEN))
		return NULL;
	*col = (unsigned)name[REF_TABLE_LEN];
	if (*col < REF_COL_FIRST || *col > REF_COL_LAST || name[REF_TABLE_LEN + 1] > UINT32_MAX ||
	    name[REF_TABLE_LEN + 2] > UINT32_MAX)
		return NULL;
	i = ref_lower((uint32_t)name[REF_TABLE_LEN + 1], (uint32_t)name[REF_TABLE_LEN + 2], true);
	if (i == nrows || ref_index_cmp(&rows[i], (uint32_t)name[REF_TABLE_LEN + 1],
					(uint32_t)name[REF_TABLE_LEN + 2]) != 0)
		return NULL;
	return &rows[i];
}

/* GETNEXT: the first instance after name (column by column, rows in index order), or NULL. */
static const struct ref_row *ref_next(const oid *name, size_t len, unsigned *col)
{
	size_t i = 0;
	int c = snmp_oid_compare(name, len < REF_TABLE_LEN ? len : REF_TABLE_LEN, ref_table,
				 REF_TABLE_LEN);

	*col = REF_COL_FIRST;
	if (c > 0)
		return NULL;
	if (c == 0 && len > REF_TABLE_LEN && name[REF_TABLE_LEN] >= REF_COL_FIRST) {
		oid vs = len > REF_TABLE_LEN + 1 ? name[REF_TABLE_LEN + 1] : 0;
		oid rs = len > REF_TABLE_LEN + 2 ? name[REF_TABLE_LEN + 2] : 0;

		if (name[REF_TABLE_LEN] > REF_COL_LAST)
			return NULL;
		*col = (unsigned)name[REF_TABLE_LEN];
		if (len == REF_TABLE_LEN + 1) /* T.COL: its first row */
			i = 0;
		else if (vs > UINT32_MAX)
			i = nrows;
		else if (len == REF_TABLE_LEN + 2) /* T.COL.VS: every row of VS is after it */
			i = ref_lower((uint32_t)vs, 0, true);
		else if (rs > UINT32_MAX)
			i = ref_lower((uint32_t)vs, UINT32_MAX, false);
		else /* T.COL.VS.RS, or longer: the rows after (VS, RS) */
			i = ref_lower((uint32_t)vs, (uint32_t)rs, false);
	}
	if (i == nrows) {
		if (*col == REF_COL_LAST || nrows == 0)
			return NULL;
		(*col)++;
		i = 0;
	}
	return &rows[i];
}

static int ref_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reg,
		       netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	bool next = reqinfo->mode == MODE_GETNEXT;

	(void)handler;
	(void)reg;
	if (reqinfo->mode != MODE_GET && !next)
		return SNMP_ERR_NOERROR; /* read-only: the master answers notWritable */
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		netsnmp_variable_list *vb = r->requestvb;
		const struct ref_row *row;
		unsigned col;

		if (r->processed)
			continue;
		row = next ? ref_next(vb->name, vb->name_length, &col)
			   : ref_exact(vb->name, vb->name_length, &col);
		if (!row) {
			if (!next) /* GETNEXT: unanswered, the agent moves to the next subtree */
				netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHINSTANCE);
			continue;
		}
		if (next) {
			oid out[REF_OID_LEN];

			memcpy(out, ref_table, sizeof(ref_table));
			out[REF_TABLE_LEN] = col;
			out[REF_TABLE_LEN + 1] = row->vs;
			out[REF_TABLE_LEN + 2] = row->rs;
			snmp_set_var_objid(vb, out, REF_OID_LEN);
		}
		ref_value(vb, row, col);
	}
	return SNMP_ERR_NOERROR;
}

static void ref_on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* The rows bench/snmp-walk.sh creates in fulcrumd: service s (1..n) has real servers
 * (s-1)*m+1 .. s*m, at 10.1.j.(s%250+1). */
static int ref_rows_fill(unsigned long nvs, unsigned long nrs)
{
	nrows = nvs * nrs;
	rows = calloc(nrows ? nrows : 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (size_t k = 0; k < nrows; k++) {
		size_t s = k / nrs, j = k % nrs;

		rows[k].vs = (uint32_t)(s + 1);
		rows[k].rs = (uint32_t)(k + 1);
		rows[k].addr[0] = 10;
		rows[k].addr[1] = 1;
		rows[k].addr[2] = (u_char)j;
		rows[k].addr[3] = (u_char)(s % 250 + 1);
		rows[k].weight = 1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: ref-subagent --agentx SOCKET [--services N] [--reals M]\n"
		   "Serves N x M rows shaped like fulcrumRsTable at enterprises.32473.99.1.4.1\n"
		   "(defaults 10000 x 10), from memory, until SIGTERM or SIGINT.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"agentx", required_argument, NULL, 'x'},
					     {"services", required_argument, NULL, 's'},
					     {"reals", required_argument, NULL, 'r'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *sock = NULL;
	unsigned long nvs = 10000, nrs = 10;
	netsnmp_handler_registration *reg;
	struct sigaction sa = {.sa_handler = ref_on_signal}; /* no SA_RESTART: select returns */
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end = NULL;

		switch (c) {
		case 'x':
			sock = optarg;
			break;
		case 's':
		case 'r':
			errno = 0;
			*(c == 's' ? &nvs : &nrs) = strtoul(optarg, &end, 10);
			if (errno || !end || *end || end == optarg) {
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!sock || optind != argc || nvs > UINT32_MAX || nrs == 0 || nvs * nrs > UINT32_MAX) {
		usage(stderr);
		return 2;
	}
	if (ref_rows_fill(nvs, nrs) != 0) {
		fprintf(stderr, "ref-subagent: out of memory\n");
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	/* the same agent settings as mib/mib_agent.c */
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, sock);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	setenv("MIBS", "", 1);
	snmp_enable_stderrlog();
	init_agent("ref-subagent");
	reg = netsnmp_create_handler_registration("ref", ref_handler, ref_table, REF_TABLE_LEN,
						  HANDLER_CAN_RONLY);
	if (!reg || netsnmp_register_handler(reg) != MIB_REGISTERED_OK) {
		fprintf(stderr, "ref-subagent: cannot register the table\n");
		return 1;
	}
	init_snmp("ref-subagent");
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 2);
	fprintf(stderr, "ref-subagent: %zu rows (%lu x %lu), master at %s\n", nrows, nvs, nrs,
		sock);

	/* select, snmp_read or snmp_timeout, run_alarms, and the agent's delegated requests */
	while (!stopping)
		agent_check_and_process(1);
	snmp_shutdown("ref-subagent");
	free(rows);
	rows = NULL;
	return 0;
}
