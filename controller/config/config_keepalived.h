/* The importer of keepalived.conf: its LVS and VRRP blocks turned into a configuration document. */
#ifndef FULCRUM_CONFIG_KEEPALIVED_H
#define FULCRUM_CONFIG_KEEPALIVED_H

#include "controller/config/config_doc.h"

#include <stdbool.h>
#include <stddef.h>

/* The largest file config_keepalived_read() takes: 16 MiB. */
#define CONFIG_KEEPALIVED_MAX (16u << 20)

/*
 * Reads text (len bytes, any bytes, not NUL-terminated) as a keepalived.conf
 * named file (used only in messages, "FILE:LINE: ...") and appends what it
 * says to doc: each virtual_server (and each member of a
 * virtual_server_group it uses) as a service named "<protocol>-<address>-<port>"
 * or "fwmark-<N>[-v6]", with its real servers and the check of its first
 * checked real server; each vrrp_instance's virtual_ipaddress as a VIP.
 * Every service, real server and VIP added passed the model's validation.
 * Include directives are not followed; no other file is read.
 *
 * What maps approximately, and every known directive Fulcrum has no
 * equivalent for, adds a note "FILE:LINE: 'directive value': ..." to notes.
 * An unknown directive is an error, or a note when lenient. Errors (all of
 * the file, in one pass, each naming its line) go to errors; an object with
 * an error is not added, the rest is.
 *
 * Returns 0 when errors is empty, -EINVAL when it is not (doc holds what did
 * translate), -ENOMEM when memory ran out (doc then holds part of it). The
 * caller owns doc, notes and errors (initialised) and clears them.
 */
int config_keepalived_read(const char *text, size_t len, const char *file, bool lenient,
			   struct config_doc *doc, struct config_msgs *notes,
			   struct config_msgs *errors);

#endif
