/* The importer of what IPVS holds: each kernel service and real server as the model's, for a director moving to Fulcrum. */
#include "controller/config/config_kernel.h"
#include "controller/model/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One object being translated: where its messages say it is. */
struct kern {
	struct config_msgs *notes, *errors;
	char what[96]; /* "TCP 192.0.2.10:80", "FWM 7", then "... -> 10.0.0.1:80" */
	bool bad;
};

static void kern_set(struct kern *k,
		     int (*set)(void *, const char *, const char *, struct fulcrum_err *),
		     void *obj, const char *field, const char *value)
{
	struct fulcrum_err err;

	if (k->bad)
		return;
	if (set(obj, field, value, &err) != 0) {
		config_msgs_add(k->errors, "kernel: %s: %s", k->what, err.message);
		k->bad = true;
	}
}

static int vs_set(void *obj, const char *f, const char *v, struct fulcrum_err *err)
{
	return model_vs_set_field(obj, f, v, err);
}

static int rs_set(void *obj, const char *f, const char *v, struct fulcrum_err *err)
{
	return model_rs_set_field(obj, f, v, err);
}

static void kern_num(struct kern *k,
		     int (*set)(void *, const char *, const char *, struct fulcrum_err *),
		     void *obj, const char *field, unsigned long v)
{
	char text[24];

	snprintf(text, sizeof(text), "%lu", v);
	kern_set(k, set, obj, field, text);
}

/* The text of a kernel address of family af. */
static const char *kern_addr(int af, const union ipvs_addr *a, char *buf, size_t len)
{
	struct fulcrum_addr m = {.family = af};

	if (af == AF_INET6)
		m.u.v6 = a->v6;
	else
		m.u.v4 = a->v4;
	return model_addr_format(&m, buf, len);
}

/* An IPv4 netmask's prefix length, or -1 when its ones are not contiguous. */
static int kern_prefix(uint32_t mask)
{
	int n = 0;

	while (n < 32 && (mask & (0x80000000u >> n)))
		n++;
	return n == 32 || (mask & (0xffffffffu >> n)) == 0 ? n : -1;
}

static const char *kern_proto(uint16_t p)
{
	return p == IPPROTO_TCP    ? "tcp"
	       : p == IPPROTO_UDP  ? "udp"
	       : p == IPPROTO_SCTP ? "sctp"
				   : NULL;
}

int config_kernel_service(const struct ipvs_service *svc, struct fulcrum_vs *vs,
			  struct config_msgs *notes, struct config_msgs *errors)
{
	struct kern k = {.notes = notes, .errors = errors};
	char addr[MODEL_ADDR_STRLEN], name[FULCRUM_NAME_MAX + 1], flags[32] = "";
	int prefix;

	model_vs_init(vs);
	if (svc->fwmark)
		snprintf(k.what, sizeof(k.what), "FWM %u (%s)", (unsigned)svc->fwmark,
			 svc->af == AF_INET6 ? "IPv6" : "IPv4");
	else
		snprintf(k.what, sizeof(k.what), "%s %s%s%s:%u",
			 kern_proto(svc->protocol) ? kern_proto(svc->protocol) : "?",
			 svc->af == AF_INET6 ? "[" : "",
			 kern_addr(svc->af, &svc->addr, addr, sizeof(addr)),
			 svc->af == AF_INET6 ? "]" : "", (unsigned)svc->port);
	if (svc->fwmark) {
		kern_num(&k, vs_set, vs, "fwmark", svc->fwmark);
		kern_set(&k, vs_set, vs, "protocol", "none");
		kern_set(&k, vs_set, vs, "family", svc->af == AF_INET6 ? "ipv6" : "ipv4");
	} else if (!kern_proto(svc->protocol)) {
		config_msgs_add(errors, "kernel: %s: protocol %u is not TCP, UDP or SCTP", k.what,
				(unsigned)svc->protocol);
		return -EINVAL;
	} else {
		kern_set(&k, vs_set, vs, "address",
			 kern_addr(svc->af, &svc->addr, addr, sizeof(addr)));
		kern_num(&k, vs_set, vs, "port", svc->port);
		kern_set(&k, vs_set, vs, "protocol", kern_proto(svc->protocol));
	}
	kern_set(&k, vs_set, vs, "scheduler", svc->sched_name);
	if (svc->flags & IPVS_SVC_F_PERSISTENT)
		kern_num(&k, vs_set, vs, "persistence_timeout", svc->timeout);
	/* the granularity as the kernel holds it, so that the model gives it back the same */
	prefix = svc->af == AF_INET6 ? (int)svc->netmask : kern_prefix(svc->netmask);
	if (prefix < 0) {
		config_msgs_add(errors, "kernel: %s: netmask %08x is not a prefix", k.what,
				(unsigned)svc->netmask);
		k.bad = true;
	} else if (!(svc->af == AF_INET6 && prefix == 0)) {
		kern_num(&k, vs_set, vs, "persistence_netmask", (unsigned long)prefix);
	}
	kern_set(&k, vs_set, vs, "one_packet",
		 svc->flags & IPVS_SVC_F_ONEPACKET ? "true" : "false");
	if (svc->flags & IPVS_SVC_F_SCHED1)
		strcat(flags, "fallback");
	if (svc->flags & IPVS_SVC_F_SCHED2)
		strcat(flags, flags[0] ? ",port" : "port");
	kern_set(&k, vs_set, vs, "scheduler_flags", flags);
	if (svc->flags & IPVS_SVC_F_SCHED3)
		config_msgs_add(
		    notes, "kernel: %s: scheduler flag 3 has no meaning Fulcrum knows: left out",
		    k.what);
	if (k.bad)
		return -EINVAL;
	kern_set(&k, vs_set, vs, "name", config_key_name(vs, name, sizeof(name)));
	kern_set(&k, vs_set, vs, "description", "imported from the kernel's IPVS table");
	if (!k.bad) {
		struct fulcrum_err err;

		if (model_vs_validate(vs, &err) != 0) {
			config_msgs_add(errors, "kernel: %s: %s", k.what, err.message);
			k.bad = true;
		}
	}
	return k.bad ? -EINVAL : 0;
}

int config_kernel_dest(const struct ipvs_service *svc, const struct fulcrum_vs *vs,
		       const struct ipvs_dest *d, struct fulcrum_rs *rs, struct config_msgs *notes,
		       struct config_msgs *errors)
{
	struct kern k = {.notes = notes, .errors = errors};
	char addr[MODEL_ADDR_STRLEN];
	static const char *const tun[] = {"ipip", "gue", "gre"};

	model_rs_init(rs);
	snprintf(k.what, sizeof(k.what), "%s -> %s%s%s:%u", vs->name, d->af == AF_INET6 ? "[" : "",
		 kern_addr(d->af, &d->addr, addr, sizeof(addr)), d->af == AF_INET6 ? "]" : "",
		 (unsigned)d->port);
	(void)svc;
	if (d->fwd == IPVS_FWD_LOCAL) {
		config_msgs_add(
		    errors,
		    "kernel: %s: local forwarding (the director itself) is the kernel's "
		    "choice for its own addresses; Fulcrum configures masq, route or tunnel",
		    k.what);
		return -EINVAL;
	}
	kern_set(&k, rs_set, rs, "address", addr);
	kern_num(&k, rs_set, rs, "port", d->port);
	kern_set(&k, rs_set, rs, "forwarding",
		 d->fwd == IPVS_FWD_MASQ    ? "masq"
		 : d->fwd == IPVS_FWD_ROUTE ? "route"
					    : "tunnel");
	if (d->fwd == IPVS_FWD_TUNNEL && (unsigned)d->tun_type < 3) {
		kern_set(&k, rs_set, rs, "tunnel_type", tun[d->tun_type]);
		if (d->tun_type == IPVS_TUN_GUE)
			kern_num(&k, rs_set, rs, "tunnel_port", d->tun_port);
		if (d->tun_flags)
			config_msgs_add(
			    notes,
			    "kernel: %s: tunnel checksum flags 0x%x: Fulcrum sends none "
			    "(its model has no field for them); reconcile will clear them",
			    k.what, (unsigned)d->tun_flags);
	}
	kern_num(&k, rs_set, rs, "weight", d->weight);
	kern_num(&k, rs_set, rs, "upper_threshold", d->u_threshold);
	/* the kernel's lower threshold counts only under an upper one (ipvs_dest_from_rs()) */
	if (d->u_threshold)
		kern_num(&k, rs_set, rs, "lower_threshold", d->l_threshold);
	if (!k.bad) {
		struct fulcrum_err err;

		if (model_rs_validate(rs, vs, &err) != 0) {
			config_msgs_add(errors, "kernel: %s: %s", k.what, err.message);
			k.bad = true;
		}
	}
	return k.bad ? -EINVAL : 0;
}

/* Whether doc's services hold one with vs's key (family + fwmark, or address + port + protocol). */
static const struct config_service *kern_managed(const struct config_doc *managed,
						 const struct fulcrum_vs *vs)
{
	for (size_t i = 0; managed && i < managed->nservices; i++) {
		const struct fulcrum_vs *m = &managed->services[i].vs;

		if (vs->fwmark ? m->fwmark == vs->fwmark && m->family == vs->family
			       : !m->fwmark && m->port == vs->port && m->protocol == vs->protocol &&
				     model_addr_equal(&m->addr, &vs->addr))
			return &managed->services[i];
	}
	return NULL;
}

int config_kernel_read(struct ipvs *ipvs, const struct config_doc *managed, struct config_doc *doc,
		       struct config_msgs *notes, struct config_msgs *errors)
{
	struct ipvs_service *svcs = NULL;
	size_t n = 0;
	int rc = ipvs_service_list(ipvs, &svcs, &n), bad = 0;

	if (rc != 0) {
		char why[256];

		config_msgs_add(errors, "kernel: %s",
				ipvs_strerror(IPVS_OP_SERVICE_LIST, rc, NULL, why, sizeof(why)));
		return rc;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct config_service *m;
		struct config_service *s;
		struct ipvs_dest *dests = NULL;
		struct fulcrum_vs vs;
		size_t nd = 0;

		if (config_kernel_service(&svcs[i], &vs, notes, errors) != 0) {
			bad++;
			continue;
		}
		if ((m = kern_managed(managed, &vs))) {
			config_msgs_add(notes,
					"kernel: %s is Fulcrum's already (service '%s'): left out",
					vs.name, m->vs.name);
			continue;
		}
		if ((rc = ipvs_dest_list(ipvs, &svcs[i], &dests, &nd)) != 0) {
			char why[256];

			config_msgs_add(
			    errors, "kernel: %s: %s", vs.name,
			    ipvs_strerror(IPVS_OP_DEST_LIST, rc, NULL, why, sizeof(why)));
			break;
		}
		if (!(s = config_doc_add_service(doc, &vs, (unsigned)i + 1)))
			rc = -ENOMEM;
		for (size_t d = 0; rc == 0 && d < nd; d++) {
			struct fulcrum_rs rs;

			if (config_kernel_dest(&svcs[i], &vs, &dests[d], &rs, notes, errors) != 0)
				bad++;
			else if (config_service_add_real(s, &rs, (unsigned)d + 1) != 0)
				rc = -ENOMEM;
		}
		free(dests);
	}
	free(svcs);
	if (rc == 0 && bad)
		rc = -EINVAL;
	return rc;
}

int config_kernel_import(const struct config_doc *managed, struct config_doc *doc,
			 struct config_msgs *notes, struct config_msgs *errors)
{
	struct ipvs *ipvs = NULL;
	int rc = ipvs_open(&ipvs);

	if (rc != 0) {
		config_msgs_add(errors, "kernel: cannot open IPVS: %s", strerror(-rc));
		return rc;
	}
	if (!ipvs_info(ipvs)->available) {
		config_msgs_add(errors, "kernel: no IPVS here: %s", ipvs_info(ipvs)->reason);
		ipvs_close(ipvs);
		return -EOPNOTSUPP;
	}
	rc = config_kernel_read(ipvs, managed, doc, notes, errors);
	ipvs_close(ipvs);
	return rc;
}
