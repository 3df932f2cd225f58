/* The importer of what the kernel's IPVS table holds, for a director moving to Fulcrum. */
#ifndef FULCRUM_CONFIG_KERNEL_H
#define FULCRUM_CONFIG_KERNEL_H

#include "controller/config/config_doc.h"
#include "controller/ipvs/ipvs.h"

/*
 * Translates one kernel service into *vs (model_vs_init()'ed, then every
 * field the kernel has set through model_vs_set_field(); named by its key,
 * config_key_name()), so that reconcile's ipvs_service_from_vs() gives the
 * kernel's service back: the scheduler, persistence (timeout and the
 * granularity the kernel holds), one-packet and the scheduler flags. A
 * protocol other than TCP, UDP and SCTP, a netmask that is no prefix, or a
 * value the model refuses is an error on errors ("kernel: TCP 192.0.2.1:80:
 * ..."); what the model has no field for is a note. Returns 0 or -EINVAL.
 */
int config_kernel_service(const struct ipvs_service *svc, struct fulcrum_vs *vs,
			  struct config_msgs *notes, struct config_msgs *errors);

/*
 * The same for real server d of svc (translated as vs): address, port,
 * forwarding (masq, route, tunnel with its type and GUE port), weight and
 * thresholds. Local forwarding (the kernel's for its own addresses) is an
 * error; tunnel checksum flags, which the model has no field for, a note.
 */
int config_kernel_dest(const struct ipvs_service *svc, const struct fulcrum_vs *vs,
		       const struct ipvs_dest *d, struct fulcrum_rs *rs, struct config_msgs *notes,
		       struct config_msgs *errors);

/*
 * Appends to doc every service the kernel's IPVS table holds (ipvs, of this
 * network namespace) with its real servers, but those with the key of a
 * service of managed (what Fulcrum manages already; may be NULL): a note
 * names each one left out. Reads only: the kernel's services, real servers
 * and connections are untouched, and applying the document adopts them in
 * place (reconcile finds each under its key and edits nothing the model
 * gives back the same). Returns 0, -EINVAL when an object could not be
 * translated (errors says which; doc holds the rest), or the kernel's
 * negative errno (-EOPNOTSUPP: no IPVS here).
 */
int config_kernel_read(struct ipvs *ipvs, const struct config_doc *managed, struct config_doc *doc,
		       struct config_msgs *notes, struct config_msgs *errors);

/*
 * config_kernel_read() on this network namespace's IPVS, opened and closed
 * here (the caller needs CAP_NET_ADMIN, as ipvsadm does). -EOPNOTSUPP with
 * an error saying why when the kernel has no IPVS.
 */
int config_kernel_import(const struct config_doc *managed, struct config_doc *doc,
			 struct config_msgs *notes, struct config_msgs *errors);

#endif
