/* Reading a configuration document: fields through the model, each service checked whole, keys seen once. */
#include "controller/config/config-int.h"
#include "controller/model/model.h"
#include "controller/model/model_kind.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In the order the model applies them (model_json.c): address before family, forwarding before tunnel_type. */
static const char *const service_fields[] = {"name",
					     "address",
					     "port",
					     "protocol",
					     "fwmark",
					     "family",
					     "scheduler",
					     "scheduler_flags",
					     "persistence_timeout",
					     "persistence_netmask",
					     "one_packet",
					     "admin_state",
					     "description",
					     "min_up",
					     NULL};
static const char *const check_fields[] = {
    "type",       "path",       "host",     "head",    "expect_status", "expect", "expect_regex",
    "verify_tls", "command",    "interval", "timeout", "rise",          "fall",   "check_address",
    "check_port", "on_failure", NULL};
static const char *const fallback_fields[] = {"address", "port", "forwarding", NULL};
static const char *const real_fields[] = {"address",
					  "port",
					  "forwarding",
					  "tunnel_type",
					  "tunnel_port",
					  "weight",
					  "upper_threshold",
					  "lower_threshold",
					  "admin_state",
					  "description",
					  NULL};
static const char *const real_check_fields[] = {
    "type",          "interval",   "timeout",    "rise",       "fall",
    "check_address", "check_port", "on_failure", "verify_tls", NULL};
static const char *const vip_fields[] = {"address", "prefix", "interface", "description", NULL};

const char *const *config_fields(enum config_fields list)
{
	static const char *const *const lists[CONFIG_F_COUNT] = {service_fields,    check_fields,
								 fallback_fields,   real_fields,
								 real_check_fields, vip_fields};

	return (unsigned)list < CONFIG_F_COUNT ? lists[list] : NULL;
}

/* A name or address seen, and where. */
struct config_seen {
	unsigned line;
	char key[];
};

void config_read_init(struct config_read *r, struct config_doc *doc, config_service_fn fn,
		      void *arg, struct config_msgs *errors)
{
	memset(r, 0, sizeof(*r));
	r->doc = doc;
	r->fn = fn;
	r->arg = arg;
	r->errors = errors;
}

void config_seen_clear(struct idmap *m)
{
	size_t pos = 0;
	int64_t id;
	void *v;

	while ((v = idmap_next(m, &pos, &id)))
		free(v);
	idmap_clear(m);
}

void config_read_clear(struct config_read *r)
{
	config_seen_clear(&r->names);
	config_seen_clear(&r->vip_addrs);
	idmap_clear(&r->vs_ids);
	idmap_clear(&r->rs_ids);
	idmap_clear(&r->vip_ids);
	free(r->s.reals);
	free(r->s.real_lines);
	memset(&r->s, 0, sizeof(r->s));
}

void config_read_error(struct config_read *r, const char *where, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->nerrors++;
	config_msgs_add(r->errors, "%s: %s", where, text);
}

/* Where key's entry of m is, or would be: its id, and the entry (NULL: none). */
static int64_t seen_slot(const struct idmap *m, const char *key, struct config_seen **found)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	int64_t id;

	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (id = (int64_t)(h & INT64_MAX) | 1;; id = id == INT64_MAX ? 1 : id + 1)
		if (!(*found = idmap_get(m, id)) || strcmp((*found)->key, key) == 0)
			return id;
}

unsigned config_seen_line(const struct idmap *m, const char *key)
{
	struct config_seen *s;

	seen_slot(m, key, &s);
	return s ? s->line : 0;
}

int config_seen_add(struct idmap *m, const char *key, unsigned line, unsigned *line_out)
{
	struct config_seen *s;
	int64_t id = seen_slot(m, key, &s);

	*line_out = s ? s->line : 0;
	if (s)
		return 0;
	if (!(s = malloc(sizeof(*s) + strlen(key) + 1)))
		return -ENOMEM;
	s->line = line ? line : 1;
	strcpy(s->key, key);
	if (idmap_put(m, id, s) != 0) {
		free(s);
		return -ENOMEM;
	}
	return 0;
}

/* Records id in m at line; *line_out gets the line it was first seen at (0: new). */
static int id_add(struct idmap *m, int64_t id, unsigned line, unsigned *line_out)
{
	void *v = idmap_get(m, id);

	*line_out = (unsigned)(uintptr_t)v;
	if (v)
		return 0;
	return idmap_put(m, id, (void *)(uintptr_t)(line ? line : 1));
}

size_t config_read_fields(struct config_read *r, const char *where, enum fulcrum_kind kind,
			  void *obj, enum config_fields list, const char *prefix,
			  struct config_attr *attrs, size_t n)
{
	const struct model_kind *k = model_kind(kind);
	size_t bad = 0;

	for (const char *const *f = config_fields(list); *f; f++) {
		for (size_t i = 0; i < n; i++) {
			struct fulcrum_err err;
			char field[64];

			if (attrs[i].used || strcmp(attrs[i].name, *f) != 0)
				continue;
			attrs[i].used = true;
			snprintf(field, sizeof(field), "%s%s", prefix, *f);
			model_err_clear(&err);
			if (k->set_field(obj, field, attrs[i].value, &err) != 0) {
				config_read_error(r, where, "%s", err.message);
				bad++;
			}
		}
	}
	return bad;
}

int config_read_id(struct config_read *r, const char *where, const char *what, const char *text,
		   int64_t *out)
{
	size_t len = strlen(text);
	long long v;

	if (len == 0 || len > 18 || strspn(text, "0123456789") != len ||
	    (v = strtoll(text, NULL, 10)) < 1) {
		config_read_error(r, where, "%s id: '%.40s' is not an id (1 or more)", what, text);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

const char *config_read_where(const struct config_read *r, char *buf, size_t len, unsigned sline,
			      unsigned rline)
{
	if (!r->json)
		snprintf(buf, len, "line %u", rline ? rline : sline);
	else if (rline)
		snprintf(buf, len, "services[%u].reals[%u]", sline - 1, rline - 1);
	else
		snprintf(buf, len, "services[%u]", sline - 1);
	return buf;
}

void config_read_service_begin(struct config_read *r, unsigned line)
{
	r->s.nreals = 0;
	r->s.line = line;
	r->s_bad = false;
	model_vs_init(&r->s.vs);
}

/* Refuses what is seen twice in one document: names, ids, real server keys. */
static int service_keys(struct config_read *r, char *where, size_t wlen)
{
	const struct config_service *s = &r->s;
	struct idmap endpoints = {0}; /* this service's real servers by address:port */
	unsigned first;
	int rc = 0;

	config_read_where(r, where, wlen, s->line, 0);
	if (s->vs.name[0]) {
		if ((rc = config_seen_add(&r->names, s->vs.name, s->line, &first)) != 0)
			return rc;
		if (first) {
			config_read_error(
			    r, where,
			    "service name: '%s' is also the name of the service at line %u",
			    s->vs.name, first);
			r->s_bad = true;
		}
	}
	if (s->vs.id) {
		if ((rc = id_add(&r->vs_ids, s->vs.id, s->line, &first)) != 0)
			return rc;
		if (first) {
			config_read_error(r, where,
					  "service id: %" PRId64
					  " is also the id of the service at line %u",
					  s->vs.id, first);
			r->s_bad = true;
		}
	}
	for (size_t i = 0; i < s->nreals && rc == 0; i++) {
		const struct fulcrum_rs *rs = &s->reals[i];
		char ep[MODEL_ENDPOINT_STRLEN];

		config_read_where(r, where, wlen, s->line, s->real_lines[i]);
		if (rs->id) {
			if ((rc = id_add(&r->rs_ids, rs->id, s->real_lines[i], &first)) != 0)
				break;
			if (first) {
				config_read_error(r, where,
						  "real server id: %" PRId64
						  " is also the id of the real server at line %u",
						  rs->id, first);
				r->s_bad = true;
			}
		}
		model_endpoint_format(&rs->addr, rs->port, ep, sizeof(ep));
		if ((rc = config_seen_add(&endpoints, ep, s->real_lines[i], &first)) != 0)
			break;
		if (first) {
			config_read_error(
			    r, where,
			    "real server address: %s is also the real server at line %u "
			    "of this service",
			    ep, first);
			r->s_bad = true;
		}
	}
	config_seen_clear(&endpoints);
	return rc;
}

int config_read_service_end(struct config_read *r)
{
	struct config_service *s = &r->s;
	struct fulcrum_err err;
	char where[64];
	int rc;

	config_read_where(r, where, sizeof(where), s->line, 0);
	model_err_clear(&err);
	if (!r->s_bad && model_vs_validate(&s->vs, &err) != 0) {
		config_read_error(r, where, "%s", err.message);
		r->s_bad = true;
	}
	for (size_t i = 0; !r->s_bad && i < s->nreals; i++) {
		s->reals[i].vs_id = s->vs.id;
		model_err_clear(&err);
		if (model_rs_validate(&s->reals[i], &s->vs, &err) != 0) {
			config_read_where(r, where, sizeof(where), s->line, s->real_lines[i]);
			config_read_error(r, where, "%s", err.message);
			r->s_bad = true;
		}
	}
	if ((rc = service_keys(r, where, sizeof(where))) != 0)
		return rc;
	if (r->s_bad)
		return 0;
	if (r->fn)
		return r->fn(s, r->arg);
	{
		struct config_service *kept = config_doc_add_service(r->doc, &s->vs, s->line);

		for (size_t i = 0; kept && i < s->nreals; i++)
			if (config_service_add_real(kept, &s->reals[i], s->real_lines[i]) != 0)
				return -ENOMEM;
		return kept ? 0 : -ENOMEM;
	}
}

int config_read_vip(struct config_read *r, struct fulcrum_vip *vip, unsigned line,
		    const char *where)
{
	char addr[MODEL_ADDR_STRLEN];
	struct fulcrum_err err;
	unsigned first;
	int rc;

	model_err_clear(&err);
	if (model_vip_validate(vip, &err) != 0) {
		config_read_error(r, where, "%s", err.message);
		return 0;
	}
	if (vip->id) {
		if ((rc = id_add(&r->vip_ids, vip->id, line, &first)) != 0)
			return rc;
		if (first) {
			config_read_error(
			    r, where, "VIP id: %" PRId64 " is also the id of the VIP at line %u",
			    vip->id, first);
			return 0;
		}
	}
	model_addr_format(&vip->addr, addr, sizeof(addr));
	if ((rc = config_seen_add(&r->vip_addrs, addr, line, &first)) != 0)
		return rc;
	if (first) {
		config_read_error(r, where, "VIP address: %s is also the VIP at line %u", addr,
				  first);
		return 0;
	}
	return config_doc_add_vip(r->doc, vip, line);
}

int config_read(enum config_format fmt, const char *text, size_t len, struct config_doc *doc,
		config_service_fn fn, void *arg, struct config_msgs *errors)
{
	struct config_read r;
	int rc;

	config_read_init(&r, doc, fn, arg, errors);
	if (len > CONFIG_FILE_MAX) {
		config_read_error(&r, "file",
				  "%zu bytes is more than a configuration file may hold (%u MiB)",
				  len, CONFIG_FILE_MAX / (1024 * 1024));
		rc = 0;
	} else {
		r.json = fmt == CONFIG_JSON;
		rc = r.json ? config_read_json(&r, text, len) : config_read_xml(&r, text, len);
	}
	if (rc == 0 && r.nerrors)
		rc = -EINVAL;
	config_read_clear(&r);
	return rc;
}
