/* Writing the configuration document, as XML (libxml2's text writer) or JSON, from the model's JSON form. */
#include "controller/config/config-int.h"
#include "controller/model/model.h"
#include "controller/model/model_json.h"
#include "db/db.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int config_format_parse(const char *s, enum config_format *out)
{
	if (strcmp(s, "xml") == 0)
		*out = CONFIG_XML;
	else if (strcmp(s, "json") == 0)
		*out = CONFIG_JSON;
	else
		return -EINVAL;
	return 0;
}

enum config_format config_format_sniff(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')
			continue;
		return text[i] == '<' ? CONFIG_XML : CONFIG_JSON;
	}
	return CONFIG_JSON;
}

struct config_writer {
	enum config_format fmt;
	int rc; /* the first failure; every later call returns it */
	size_t nservices, nvips;
	bool switched; /* JSON: config_writer_switches() closed the lists */
	/* XML */
	xmlBufferPtr buf;
	xmlTextWriterPtr x;
	/* JSON: the text so far, and the open service's JSON while its reals come */
	char *text;
	size_t len, cap;
	json_t *service;
};

/* ---- JSON -------------------------------------------------------------------------- */

static int text_add(struct config_writer *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		char *p;

		while (cap < w->len + n + 1)
			cap *= 2;
		if (!(p = realloc(w->text, cap)))
			return -ENOMEM;
		w->text = p;
		w->cap = cap;
	}
	memcpy(w->text + w->len, s, n);
	w->len += n;
	w->text[w->len] = '\0';
	return 0;
}

static int text_str(struct config_writer *w, const char *s)
{
	return text_add(w, s, strlen(s));
}

/* Appends j dumped with an indent of two spaces, every line after the first shifted by indent. */
static int text_json(struct config_writer *w, const json_t *j, const char *indent)
{
	char *d = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	int rc = 0;

	if (!d)
		return -ENOMEM;
	for (const char *p = d; rc == 0 && *p; p++) {
		rc = text_add(w, p, 1);
		if (rc == 0 && *p == '\n')
			rc = text_str(w, indent);
	}
	free(d);
	return rc;
}

/* ---- XML --------------------------------------------------------------------------- */

/* Fields whose "" means none, as their default: left out of an element. */
static bool empty_is_default(const char *key)
{
	static const char *const keys[] = {"description", "host", "expect", "expect_regex",
					   "command"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

/* The text of a JSON scalar as an attribute: NULL for what is left out (null, "", []). */
static char *attr_text(const char *key, const json_t *v)
{
	char *s = NULL;

	switch (json_typeof(v)) {
	case JSON_STRING:
		if (json_string_length(v) == 0 && empty_is_default(key))
			return NULL;
		return strdup(json_string_value(v));
	case JSON_INTEGER:
		return asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) < 0 ? NULL : s;
	case JSON_TRUE:
		return strdup("true");
	case JSON_FALSE:
		return strdup("false");
	case JSON_ARRAY: {
		size_t i, used = 0, size = 1;
		json_t *item;

		if (json_array_size(v) == 0)
			return NULL;
		json_array_foreach(v, i, item) size += json_string_length(item) + 1;
		if (!(s = calloc(1, size)))
			return NULL;
		json_array_foreach(v, i, item)
		{
			used += (size_t)snprintf(s + used, size - used, "%s%s", i ? "," : "",
						 json_string_value(item) ? json_string_value(item)
									 : "");
		}
		return s;
	}
	default:
		return NULL;
	}
}

/*
 * Writes the element name with obj's scalar members as attributes (skip:
 * a member left out), then its object members as child elements of the
 * same name, each with its own scalars. Leaves the element open.
 */
static int xml_open(struct config_writer *w, const char *name, const json_t *obj, const char *skip)
{
	const char *key;
	json_t *v;
	int rc = xmlTextWriterStartElement(w->x, BAD_CAST name) < 0 ? -EIO : 0;

	json_object_foreach((json_t *)obj, key, v)
	{
		char *text;

		if (rc != 0)
			break;
		if (json_is_object(v) || json_is_null(v) || (skip && strcmp(key, skip) == 0))
			continue;
		text = attr_text(key, v);
		if (text && xmlTextWriterWriteAttribute(w->x, BAD_CAST key, BAD_CAST text) < 0)
			rc = -EIO;
		free(text);
	}
	json_object_foreach((json_t *)obj, key, v)
	{
		if (rc != 0 || !json_is_object(v) || json_object_size(v) == 0)
			continue;
		if ((rc = xml_open(w, key, v, NULL)) == 0 && xmlTextWriterEndElement(w->x) < 0)
			rc = -EIO;
	}
	return rc;
}

static int xml_close(struct config_writer *w)
{
	return xmlTextWriterEndElement(w->x) < 0 ? -EIO : 0;
}

/* ---- the writer ---------------------------------------------------------------------- */

/* j (an object's JSON) without an id of 0: not stored yet, an import's; the apply gives one. */
static json_t *no_zero_id(json_t *j)
{
	if (j && json_integer_value(json_object_get(j, "id")) == 0)
		json_object_del(j, "id");
	return j;
}

struct config_writer *config_writer_new(enum config_format fmt, int64_t revision)
{
	struct config_writer *w = calloc(1, sizeof(*w));
	char rev[24];

	if (!w)
		return NULL;
	w->fmt = fmt;
	snprintf(rev, sizeof(rev), "%" PRId64, revision);
	if (fmt == CONFIG_JSON) {
		if (text_str(w, "{\n  \"revision\": ") != 0 || text_str(w, rev) != 0 ||
		    text_str(w, ",\n  \"services\": [") != 0) {
			config_writer_free(w);
			return NULL;
		}
		return w;
	}
	if (!(w->buf = xmlBufferCreate()) || !(w->x = xmlNewTextWriterMemory(w->buf, 0)) ||
	    xmlTextWriterSetIndent(w->x, 1) < 0 ||
	    xmlTextWriterSetIndentString(w->x, BAD_CAST "  ") < 0 ||
	    xmlTextWriterStartDocument(w->x, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w->x, BAD_CAST "fulcrum") < 0 ||
	    xmlTextWriterWriteAttribute(w->x, BAD_CAST "xmlns", BAD_CAST CONFIG_XML_NS) < 0 ||
	    (revision &&
	     xmlTextWriterWriteAttribute(w->x, BAD_CAST "revision", BAD_CAST rev) < 0)) {
		config_writer_free(w);
		return NULL;
	}
	return w;
}

void config_writer_free(struct config_writer *w)
{
	if (!w)
		return;
	if (w->x)
		xmlFreeTextWriter(w->x);
	if (w->buf)
		xmlBufferFree(w->buf);
	json_decref(w->service);
	free(w->text);
	free(w);
}

/* Records the first failure; returns w->rc. */
static int keep(struct config_writer *w, int rc)
{
	if (w->rc == 0)
		w->rc = rc;
	return w->rc;
}

int config_writer_service(struct config_writer *w, const struct fulcrum_vs *vs)
{
	json_t *j;

	if (w->rc)
		return w->rc;
	if (!(j = no_zero_id(model_vs_to_json(vs))))
		return keep(w, -ENOMEM);
	if (w->fmt == CONFIG_XML) {
		int rc = xml_open(w, "service", j, NULL);

		json_decref(j);
		return keep(w, rc);
	}
	json_decref(w->service);
	w->service = j;
	if (json_object_set_new(j, "reals", json_array()) != 0)
		return keep(w, -ENOMEM);
	return keep(w, text_str(w, w->nservices++ ? ",\n    " : "\n    "));
}

int config_writer_real(struct config_writer *w, const struct fulcrum_rs *rs)
{
	json_t *j;
	int rc = 0;

	if (w->rc)
		return w->rc;
	if (!(j = no_zero_id(model_rs_to_json(rs))))
		return keep(w, -ENOMEM);
	if (w->fmt == CONFIG_XML) {
		if ((rc = xml_open(w, "real", j, "service_id")) == 0)
			rc = xml_close(w);
		json_decref(j);
		return keep(w, rc);
	}
	/* JSON: one service's real servers are held until its end (one service at a time) */
	json_object_del(j, "service_id");
	if (!w->service || json_array_append_new(json_object_get(w->service, "reals"), j) != 0)
		rc = -ENOMEM;
	return keep(w, rc);
}

int config_writer_service_end(struct config_writer *w)
{
	int rc;

	if (w->rc)
		return w->rc;
	if (w->fmt == CONFIG_XML)
		return keep(w, xml_close(w));
	if (!w->service)
		return keep(w, -EINVAL);
	rc = text_json(w, w->service, "    ");
	json_decref(w->service);
	w->service = NULL;
	return keep(w, rc);
}

int config_writer_vip(struct config_writer *w, const struct fulcrum_vip *vip)
{
	json_t *j;
	int rc;

	if (w->rc)
		return w->rc;
	if (!(j = no_zero_id(model_vip_to_json(vip))))
		return keep(w, -ENOMEM);
	if (w->fmt == CONFIG_XML) {
		if ((rc = xml_open(w, "vip", j, NULL)) == 0)
			rc = xml_close(w);
	} else {
		rc = text_str(w, w->nvips++ ? ",\n    " : "\n  ],\n  \"vips\": [\n    ");
		if (rc == 0)
			rc = text_json(w, j, "    ");
	}
	json_decref(j);
	return keep(w, rc);
}

int config_writer_switches(struct config_writer *w, const bool *set,
			   const bool on[COMMAND_NOTIFY_COUNT])
{
	bool first = true;
	int rc = 0;

	if (w->rc)
		return w->rc;
	if (w->fmt == CONFIG_JSON) {
		rc = text_str(w, w->nvips ? "\n  ],\n  \"notifications\": {"
					  : "\n  ],\n  \"vips\": [],\n  \"notifications\": {");
		w->switched = true;
		for (unsigned i = 0; rc == 0 && i < COMMAND_NOTIFY_COUNT; i++) {
			char line[80];

			if (set && !set[i])
				continue;
			snprintf(line, sizeof(line), "%s\n    \"%s\": %s", first ? "" : ",",
				 db_notify_name((enum command_notify)i), on[i] ? "true" : "false");
			first = false;
			rc = text_str(w, line);
		}
		return keep(w, rc == 0 ? text_str(w, first ? "}" : "\n  }") : rc);
	}
	for (unsigned i = 0; rc == 0 && i < COMMAND_NOTIFY_COUNT; i++) {
		if (set && !set[i])
			continue;
		if (xmlTextWriterStartElement(w->x, BAD_CAST "notification") < 0 ||
		    xmlTextWriterWriteAttribute(w->x, BAD_CAST "name",
						BAD_CAST db_notify_name((enum command_notify)i)) <
			0 ||
		    xmlTextWriterWriteAttribute(w->x, BAD_CAST "enabled",
						BAD_CAST(on[i] ? "true" : "false")) < 0 ||
		    xmlTextWriterEndElement(w->x) < 0)
			rc = -EIO;
	}
	return keep(w, rc);
}

int config_writer_finish(struct config_writer *w, char **out, size_t *len)
{
	int rc;

	*out = NULL;
	*len = 0;
	if (!w)
		return -ENOMEM;
	if ((rc = w->rc) == 0 && w->fmt == CONFIG_JSON) {
		if (!w->switched) {
			static const bool none[COMMAND_NOTIFY_COUNT];

			rc = config_writer_switches(w, none, none);
		}
		if (rc == 0 && (rc = text_str(w, "\n}\n")) == 0) {
			*out = w->text;
			*len = w->len;
			w->text = NULL;
		}
	} else if (rc == 0) {
		if (xmlTextWriterEndDocument(w->x) < 0)
			rc = -EIO;
		xmlFreeTextWriter(w->x);
		w->x = NULL;
		if (rc == 0) {
			/* taken, not copied: a 10,000 x 10 document is 20 MB */
			*len = (size_t)xmlBufferLength(w->buf);
			if (!(*out = (char *)xmlBufferDetach(w->buf)))
				rc = -ENOMEM;
		}
	}
	config_writer_free(w);
	return rc;
}

int config_doc_write(const struct config_doc *doc, enum config_format fmt, char **out, size_t *len)
{
	struct config_writer *w = config_writer_new(fmt, doc->revision);
	bool on[COMMAND_NOTIFY_COUNT];

	for (size_t i = 0; w && i < doc->nservices; i++) {
		const struct config_service *s = &doc->services[i];

		config_writer_service(w, &s->vs);
		for (size_t r = 0; r < s->nreals; r++)
			config_writer_real(w, &s->reals[r]);
		config_writer_service_end(w);
	}
	for (size_t i = 0; w && i < doc->nvips; i++)
		config_writer_vip(w, &doc->vips[i].vip);
	for (unsigned i = 0; i < COMMAND_NOTIFY_COUNT; i++)
		on[i] = doc->switch_set[i] && doc->switch_on[i];
	if (w)
		config_writer_switches(w, doc->switch_set, on);
	return config_writer_finish(w, out, len);
}
