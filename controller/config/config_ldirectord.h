/* The importer of ldirectord's configuration file (ldirectord.cf) into a configuration document. */
#ifndef FULCRUM_CONFIG_LDIRECTORD_H
#define FULCRUM_CONFIG_LDIRECTORD_H

#include "controller/config/config_doc.h"

#include <stdbool.h>
#include <stddef.h>

/* The largest file config_ldirectord_read() takes. */
#define CONFIG_LDIRECTORD_MAX_BYTES (16u << 20)

/*
 * Reads text (len bytes, any bytes, no NUL needed) as an ldirectord.cf named
 * file (in messages only: no file is opened, includes are not followed) and
 * appends what it describes to doc: one service per virtual block, named
 * "<protocol>-<address>-<port>" or "fwmark-<N>[-v6]", with its real servers,
 * check and fallback as ldirectord would have run them (its defaults where the
 * file is silent). Every object is set through the model and validated; a
 * refused one is not added.
 *
 * Each line either maps, or gets a message "FILE:LINE: ...": on notes when
 * it maps approximately or is a known directive with no equivalent; on errors
 * when it cannot be translated. A directive ldirectord does not know is an
 * error, or a note when lenient. Every error of the file is reported in one
 * pass.
 *
 * Returns 0 when no error was added, -EINVAL when some were (doc then holds
 * what did translate), -ENOMEM when memory ran out (doc and the messages hold
 * what was done). The caller owns doc, notes and errors (initialised).
 */
int config_ldirectord_read(const char *text, size_t len, const char *file, bool lenient,
			   struct config_doc *doc, struct config_msgs *notes,
			   struct config_msgs *errors);

#endif
