/* The configuration file's two forms, XML and JSON: writing a document, reading one as a stream. */
#ifndef FULCRUM_CONFIG_IO_H
#define FULCRUM_CONFIG_IO_H

#include "controller/config/config_doc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The XML document's namespace: schema/fulcrum-config.xsd's targetNamespace. */
#define CONFIG_XML_NS "urn:fulcrum:config:1"

/* The largest file read: a 10,000 x 10 configuration is about 20 MB of XML. */
#define CONFIG_FILE_MAX (64u * 1024 * 1024)

enum config_format {
	CONFIG_XML = 0,
	CONFIG_JSON,
};

/* "xml" or "json" to the enum: 0, or -EINVAL. */
int config_format_parse(const char *s, enum config_format *out);

/*
 * A document being written: services in the order given (each with its
 * real servers), then VIPs, then the notification switches.
 *
 * XML (schema/fulcrum-config.xsd): <fulcrum xmlns=CONFIG_XML_NS
 * revision="R">, each service an element whose attributes are its fields
 * under the API's names (model_vs_to_json(): every field but those that are
 * null or ""), with a <check> child (every field of the check), a
 * <fallback> child when it has one, and one <real> child per real server
 * (its fields, and a <check> child with the fields it overrides, when
 * any); then <vip> elements and one <notification name=".." enabled=".."/>
 * per switch. Lists (scheduler_flags) are comma-separated.
 *
 * JSON: {"revision": R, "services": [service JSON + "reals": [real server
 * JSON without service_id]], "vips": [...], "notifications": {"rs_state":
 * true, ...}}, two-space indented.
 *
 * The same document gives the same bytes: what the diff of two exports
 * shows is what changed.
 */
struct config_writer;

/* A writer of fmt for a document at revision. NULL when memory runs out. */
struct config_writer *config_writer_new(enum config_format fmt, int64_t revision);

/* Starts service vs; its real servers follow (config_writer_real()), then config_writer_service_end(). */
int config_writer_service(struct config_writer *w, const struct fulcrum_vs *vs);
int config_writer_real(struct config_writer *w, const struct fulcrum_rs *rs);
int config_writer_service_end(struct config_writer *w);
int config_writer_vip(struct config_writer *w, const struct fulcrum_vip *vip);
/*
 * The switches: on[i] for enum command_notify i; those whose set[i] is
 * true, or every one when set is NULL (an export names them all).
 */
int config_writer_switches(struct config_writer *w, const bool *set,
			   const bool on[COMMAND_NOTIFY_COUNT]);

/*
 * Ends the document: *out gets its text (malloc'ed, NUL-terminated, the
 * caller frees it), *len its length. Frees w in every case (NULL: -ENOMEM).
 * Every config_writer_*() returns 0 or a negative errno; after a failure the
 * writer keeps failing and finish returns it.
 */
int config_writer_finish(struct config_writer *w, char **out, size_t *len);

/* Frees w without a document (NULL: nothing). */
void config_writer_free(struct config_writer *w);

/* Writes doc whole: services, VIPs, the switches it names; ids and the revision when not 0. */
int config_doc_write(const struct config_doc *doc, enum config_format fmt, char **out, size_t *len);

/*
 * Called by a reader with each service it read, valid until it returns: its
 * fields and its real servers' set through the model's setters and checked
 * with model_vs_validate() and model_rs_validate(), no two of its real
 * servers at one address and port. 0 goes on; a negative errno stops the
 * reading, which returns it.
 */
typedef int (*config_service_fn)(const struct config_service *s, void *arg);

/*
 * Reads a configuration document of fmt (len bytes of text, at most
 * CONFIG_FILE_MAX). With fn, each valid service goes to fn and is then
 * freed, so that memory holds one service at a time (the file's own size
 * aside); without, services are appended to doc. VIPs, switches and the
 * revision always go to doc (an initialised one).
 *
 * The text is outside input. XML: no DTD (a DOCTYPE is refused, so no
 * entity of any kind, internal or external, is expanded), no network, no
 * other file, the root in CONFIG_XML_NS, only the elements and attributes
 * the schema has, nesting as it has it. JSON: the members the writer
 * writes. Every field is set through the model (model_vs_set_field() ...),
 * so a value is refused with the model's words. Every error goes to errors
 * ("line 42: real server weight: 70000 is outside 0..65535"; XML syntax
 * errors with line and column; JSON objects by their path) and the reading
 * goes on past an object's error to find the others; a service with an
 * error is not given to fn. Also refused: two services with one name or
 * one id, two real servers or VIPs with one id, two VIPs at one address.
 *
 * Returns 0 when there was no error, -EINVAL when errors holds at least
 * one, -ENOMEM, or fn's negative errno.
 */
int config_read(enum config_format fmt, const char *text, size_t len, struct config_doc *doc,
		config_service_fn fn, void *arg, struct config_msgs *errors);

/* The format a text is in: XML when its first byte that is not white space is '<'. */
enum config_format config_format_sniff(const char *text, size_t len);

#endif
