/* The XML reader: libxml2's streaming reader with no DTD, no entities, no network; one service in memory at a time. */
#include "controller/config/config-int.h"
#include "controller/model/model.h"

#include <errno.h>
#include <libxml/xmlreader.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XML_ATTRS_MAX 48 /* more attributes than any element has: refused */

/* Where the reader is in the document's fixed shape. */
enum xml_at {
	AT_TOP = 0, /* before the root */
	AT_ROOT,    /* in <fulcrum> */
	AT_SERVICE, /* in <service> */
	AT_REAL,    /* in <real> */
	AT_LEAF,    /* in <check>, <fallback>, <vip>, <notification>: no children */
};

struct xml_read {
	struct config_read *r;
	xmlTextReaderPtr x;
	enum xml_at at;
	enum xml_at leaf_parent; /* where an AT_LEAF element returns to */
	bool root_seen;
	bool stop; /* a fatal error: the rest is not read */
	struct fulcrum_rs rs;
	unsigned rs_line;
	bool rs_bad;
	bool service_check, service_fallback, real_check; /* each child once */
};

static void xml_syntax(void *arg, xmlErrorPtr e)
{
	struct xml_read *xr = arg;
	char where[48], msg[256];
	size_t len;

	if (!e || e->level < XML_ERR_ERROR)
		return;
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "not well-formed");
	len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	snprintf(where, sizeof(where), "line %d, column %d", e->line, e->int2);
	config_read_error(xr->r, where, "XML: %s", msg);
	xr->stop = true;
}

static unsigned xml_line(struct xml_read *xr)
{
	xmlNodePtr n = xmlTextReaderCurrentNode(xr->x);
	long line = n ? xmlGetLineNo(n) : -1;

	return line > 0 ? (unsigned)line : (unsigned)xmlTextReaderGetParserLineNumber(xr->x);
}

/*
 * Reads the current element's attributes into attrs (the strings are
 * libxml2's, valid until the reader moves; copied into owned here). Returns
 * their count, or -1 after an error (too many, a namespace prefix).
 */
static int xml_attrs(struct xml_read *xr, const char *where, struct config_attr *attrs,
		     char **owned)
{
	int n = 0;

	while (xmlTextReaderMoveToNextAttribute(xr->x) == 1) {
		const char *name = (const char *)xmlTextReaderConstName(xr->x);
		const char *value = (const char *)xmlTextReaderConstValue(xr->x);

		if (xmlTextReaderIsNamespaceDecl(xr->x) == 1)
			continue;
		if (n == XML_ATTRS_MAX) {
			config_read_error(xr->r, where, "more than %d attributes", XML_ATTRS_MAX);
			xmlTextReaderMoveToElement(xr->x);
			return -1;
		}
		owned[2 * n] = strdup(name ? name : "");
		owned[2 * n + 1] = strdup(value ? value : "");
		if (!owned[2 * n] || !owned[2 * n + 1]) {
			xmlTextReaderMoveToElement(xr->x);
			return -1;
		}
		attrs[n] = (struct config_attr){owned[2 * n], owned[2 * n + 1], false};
		n++;
	}
	xmlTextReaderMoveToElement(xr->x);
	return n;
}

/* Each attribute nobody set is an error: the schema has no such attribute there. */
static void xml_unused(struct xml_read *xr, const char *where, const char *element,
		       const struct config_attr *attrs, int n, const char *also)
{
	for (int i = 0; i < n; i++)
		if (!attrs[i].used && !(also && strcmp(attrs[i].name, also) == 0))
			config_read_error(xr->r, where, "<%s> has no attribute '%.40s'", element,
					  attrs[i].name);
}

/* Takes the id attribute, when there is one, into *id. */
static bool xml_id(struct xml_read *xr, const char *where, const char *what,
		   struct config_attr *attrs, int n, int64_t *id)
{
	for (int i = 0; i < n; i++)
		if (strcmp(attrs[i].name, "id") == 0) {
			attrs[i].used = true;
			return config_read_id(xr->r, where, what, attrs[i].value, id) == 0;
		}
	return true;
}

static int xml_root(struct xml_read *xr, const char *where, struct config_attr *attrs, int n)
{
	const char *ns = (const char *)xmlTextReaderConstNamespaceUri(xr->x);

	if (!ns || strcmp(ns, CONFIG_XML_NS) != 0) {
		config_read_error(
		    xr->r, where,
		    "the root element is <fulcrum xmlns=\"%s\">: this is not a Fulcrum "
		    "configuration",
		    CONFIG_XML_NS);
		xr->stop = true;
		return 0;
	}
	for (int i = 0; i < n; i++)
		if (strcmp(attrs[i].name, "revision") == 0) {
			size_t len = strlen(attrs[i].value);

			attrs[i].used = true;
			if (len == 0 || len > 18 || strspn(attrs[i].value, "0123456789") != len)
				config_read_error(xr->r, where,
						  "revision: '%.40s' is not a revision",
						  attrs[i].value);
			else
				xr->r->doc->revision = strtoll(attrs[i].value, NULL, 10);
		}
	xml_unused(xr, where, "fulcrum", attrs, n, NULL);
	xr->at = AT_ROOT;
	return 0;
}

static int xml_vip(struct xml_read *xr, const char *where, unsigned line, struct config_attr *attrs,
		   int n)
{
	struct fulcrum_vip vip;
	size_t bad;
	bool ok;

	model_vip_init(&vip);
	ok = xml_id(xr, where, "VIP", attrs, n, &vip.id);
	bad = config_read_fields(xr->r, where, FULCRUM_KIND_VIP, &vip, CONFIG_F_VIP, "", attrs, n);
	xml_unused(xr, where, "vip", attrs, n, NULL);
	return ok && bad == 0 ? config_read_vip(xr->r, &vip, line, where) : 0;
}

static int xml_switch(struct xml_read *xr, const char *where, struct config_attr *attrs, int n)
{
	const char *name = NULL, *enabled = NULL;
	enum command_notify which;
	bool on = false;

	for (int i = 0; i < n; i++) {
		if (strcmp(attrs[i].name, "name") == 0)
			name = attrs[i].value, attrs[i].used = true;
		else if (strcmp(attrs[i].name, "enabled") == 0)
			enabled = attrs[i].value, attrs[i].used = true;
	}
	xml_unused(xr, where, "notification", attrs, n, NULL);
	if (!name || db_notify_parse(name, &which) != 0) {
		config_read_error(
		    xr->r, where,
		    "notification name: '%.40s' is not a switch (rs_state "
		    "vs_availability config_change role_change peer_state repl_state)",
		    name ? name : "");
		return 0;
	}
	if (!enabled || (strcmp(enabled, "true") != 0 && strcmp(enabled, "false") != 0 &&
			 strcmp(enabled, "1") != 0 && strcmp(enabled, "0") != 0)) {
		config_read_error(xr->r, where,
				  "notification enabled: '%.40s' is not true or false",
				  enabled ? enabled : "");
		return 0;
	}
	on = enabled[0] == 't' || enabled[0] == '1';
	config_doc_set_switch(xr->r->doc, which, on);
	return 0;
}

/* An element opened where the shape allows it: reads it, moves xr->at into it. */
static int xml_element(struct xml_read *xr, const char *name, unsigned line,
		       struct config_attr *attrs, int n)
{
	struct config_read *r = xr->r;
	char where[32];
	size_t bad;

	snprintf(where, sizeof(where), "line %u", line);
	if (xr->at == AT_TOP) {
		if (strcmp(name, "fulcrum") != 0) {
			config_read_error(r, where, "the root element is <fulcrum>, not <%.40s>",
					  name);
			xr->stop = true;
			return 0;
		}
		return xml_root(xr, where, attrs, n);
	}
	if (xr->at == AT_ROOT && strcmp(name, "service") == 0) {
		config_read_service_begin(r, line);
		xr->service_check = xr->service_fallback = false;
		if (!xml_id(xr, where, "service", attrs, n, &r->s.vs.id))
			r->s_bad = true;
		if (config_read_fields(r, where, FULCRUM_KIND_VS, &r->s.vs, CONFIG_F_SERVICE, "",
				       attrs, n))
			r->s_bad = true;
		xml_unused(xr, where, "service", attrs, n, NULL);
		xr->at = AT_SERVICE;
		return 0;
	}
	if (xr->at == AT_ROOT && strcmp(name, "vip") == 0) {
		xr->at = AT_LEAF;
		return xml_vip(xr, where, line, attrs, n);
	}
	if (xr->at == AT_ROOT && strcmp(name, "notification") == 0) {
		xr->at = AT_LEAF;
		return xml_switch(xr, where, attrs, n);
	}
	if (xr->at == AT_SERVICE && (strcmp(name, "check") == 0 || strcmp(name, "fallback") == 0)) {
		bool check = name[0] == 'c';
		bool *once = check ? &xr->service_check : &xr->service_fallback;

		if (*once || r->s.nreals) {
			config_read_error(r, where,
					  "<%s> comes once in a service, before its <real>s", name);
			r->s_bad = true;
		}
		*once = true;
		bad = config_read_fields(r, where, FULCRUM_KIND_VS, &r->s.vs,
					 check ? CONFIG_F_CHECK : CONFIG_F_FALLBACK,
					 check ? "check." : "fallback.", attrs, n);
		if (bad)
			r->s_bad = true;
		xml_unused(xr, where, name, attrs, n, NULL);
		xr->at = AT_LEAF;
		return 0;
	}
	if (xr->at == AT_SERVICE && strcmp(name, "real") == 0) {
		model_rs_init(&xr->rs);
		xr->rs_line = line;
		xr->real_check = false;
		xr->rs_bad = !xml_id(xr, where, "real server", attrs, n, &xr->rs.id);
		if (config_read_fields(r, where, FULCRUM_KIND_RS, &xr->rs, CONFIG_F_REAL, "", attrs,
				       n))
			xr->rs_bad = true;
		xml_unused(xr, where, "real", attrs, n, NULL);
		xr->at = AT_REAL;
		return 0;
	}
	if (xr->at == AT_REAL && strcmp(name, "check") == 0 && !xr->real_check) {
		xr->real_check = true;
		if (config_read_fields(r, where, FULCRUM_KIND_RS, &xr->rs, CONFIG_F_REAL_CHECK,
				       "check.", attrs, n))
			xr->rs_bad = true;
		xml_unused(xr, where, "check", attrs, n, NULL);
		xr->at = AT_LEAF;
		return 0;
	}
	config_read_error(r, where, "<%.40s> is not expected here (%s)", name,
			  xr->at == AT_ROOT ? "<fulcrum> holds <service>, <vip> and <notification>"
			  : xr->at == AT_SERVICE
			      ? "<service> holds one <check>, one <fallback>, <real>s"
			  : xr->at == AT_REAL ? "<real> holds one <check>"
					      : "this element holds nothing");
	xr->stop = true; /* an unknown shape: what is inside it cannot be read as configuration */
	return 0;
}

/* An element closes (or was empty): the object it held is complete. */
static int xml_end(struct xml_read *xr)
{
	struct config_read *r = xr->r;
	int rc = 0;

	switch (xr->at) {
	case AT_LEAF:
		xr->at = xr->leaf_parent;
		break;
	case AT_REAL:
		if (xr->rs_bad)
			r->s_bad = true;
		else if (config_service_add_real(&r->s, &xr->rs, xr->rs_line) != 0)
			rc = -ENOMEM;
		xr->rs_line = 0;
		xr->real_check = false;
		xr->at = AT_SERVICE;
		break;
	case AT_SERVICE:
		rc = config_read_service_end(r);
		r->s.line = 0;
		xr->at = AT_ROOT;
		break;
	case AT_ROOT:
		xr->at = AT_TOP;
		xr->root_seen = true;
		break;
	case AT_TOP:
		break;
	}
	return rc;
}

static int xml_node(struct xml_read *xr)
{
	int type = xmlTextReaderNodeType(xr->x);
	unsigned line = xml_line(xr);
	char where[32];

	snprintf(where, sizeof(where), "line %u", line);
	switch (type) {
	case XML_READER_TYPE_ELEMENT: {
		const char *name = (const char *)xmlTextReaderConstLocalName(xr->x);
		const char *ns = (const char *)xmlTextReaderConstNamespaceUri(xr->x);
		bool empty = xmlTextReaderIsEmptyElement(xr->x) == 1;
		struct config_attr attrs[XML_ATTRS_MAX];
		char *owned[2 * XML_ATTRS_MAX] = {0};
		int n, rc = 0;

		if (xr->root_seen) {
			config_read_error(xr->r, where, "a second root element <%.40s>", name);
			xr->stop = true;
			return 0;
		}
		if (xr->at != AT_TOP && (!ns || strcmp(ns, CONFIG_XML_NS) != 0)) {
			config_read_error(xr->r, where,
					  "<%.40s> is not in Fulcrum's namespace (%s)", name,
					  CONFIG_XML_NS);
			xr->stop = true;
			return 0;
		}
		if ((n = xml_attrs(xr, where, attrs, owned)) < 0)
			xr->stop = true;
		else {
			enum xml_at parent = xr->at;

			rc = xml_element(xr, name ? name : "", line, attrs, n);
			if (xr->at == AT_LEAF)
				xr->leaf_parent = parent;
		}
		for (int i = 0; i < 2 * XML_ATTRS_MAX; i++)
			free(owned[i]);
		if (rc == 0 && empty && !xr->stop)
			rc = xml_end(xr);
		return rc;
	}
	case XML_READER_TYPE_END_ELEMENT:
		return xml_end(xr);
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
		config_read_error(xr->r, where,
				  "text is not expected: Fulcrum's elements hold "
				  "attributes and elements only");
		return 0;
	case XML_READER_TYPE_DOCUMENT_TYPE:
		config_read_error(
		    xr->r, where,
		    "a DOCTYPE is refused: a configuration has no DTD and no entities");
		xr->stop = true;
		return 0;
	case XML_READER_TYPE_ENTITY_REFERENCE:
	case XML_READER_TYPE_ENTITY:
		config_read_error(xr->r, where, "entities are refused");
		xr->stop = true;
		return 0;
	default: /* comments, white space, processing instructions */
		return 0;
	}
}

int config_read_xml(struct config_read *r, const char *text, size_t len)
{
	/* no NOENT (entities stay references), no DTDLOAD/DTDATTR, no network; long lines counted */
	int options =
	    XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES | XML_PARSE_NOWARNING;
	struct xml_read xr = {.r = r};
	int rc = 0, got;

	if (len > (size_t)INT32_MAX)
		return -EINVAL;
	/*
	 * No DTD at all: refused before libxml2 sees it, so that no entity,
	 * internal or external, is ever declared (the reader would meet an
	 * entity's use before it hands the DOCTYPE node over).
	 */
	{
		const char *d = memmem(text, len, "<!DOCTYPE", 9);

		if (d) {
			char where[32];
			unsigned line = 1;

			for (const char *p = text; p < d; p++)
				line += *p == '\n';
			snprintf(where, sizeof(where), "line %u", line);
			config_read_error(r, where,
					  "a DOCTYPE is refused: a configuration has no DTD and no "
					  "entities");
			return 0;
		}
	}
	xr.x = xmlReaderForMemory(text, (int)len, NULL, NULL, options);
	if (!xr.x)
		return -ENOMEM;
	xmlTextReaderSetStructuredErrorHandler(xr.x, xml_syntax, &xr);
	while (rc == 0 && !xr.stop && (got = xmlTextReaderRead(xr.x)) == 1)
		rc = xml_node(&xr);
	if (rc == 0 && !xr.stop && !xr.root_seen && r->nerrors == 0)
		config_read_error(r, "file",
				  "no <fulcrum> document (the file is empty or cut short)");
	xmlFreeTextReader(xr.x);
	return rc;
}
