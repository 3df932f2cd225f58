/* The configuration document's containers: services with their real servers, VIPs, messages. */
#include "controller/config/config_doc.h"
#include "controller/model/model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for one more of size bytes in *arr (n used, *cap allocated). 0 or -ENOMEM. */
static int grow(void **arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > SIZE_MAX / size)
		return -ENOMEM;
	if (!(p = realloc(*arr, ncap * size)))
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

void config_doc_init(struct config_doc *doc)
{
	memset(doc, 0, sizeof(*doc));
}

void config_doc_clear(struct config_doc *doc)
{
	for (size_t i = 0; i < doc->nservices; i++) {
		free(doc->services[i].reals);
		free(doc->services[i].real_lines);
	}
	free(doc->services);
	free(doc->vips);
	config_doc_init(doc);
}

struct config_service *config_doc_add_service(struct config_doc *doc, const struct fulcrum_vs *vs,
					      unsigned line)
{
	struct config_service *s;

	if (grow((void **)&doc->services, doc->nservices, &doc->cap_services, sizeof(*s)) != 0)
		return NULL;
	s = &doc->services[doc->nservices++];
	memset(s, 0, sizeof(*s));
	s->vs = *vs;
	s->line = line;
	return s;
}

int config_service_add_real(struct config_service *s, const struct fulcrum_rs *rs, unsigned line)
{
	size_t cap = s->cap;

	if (grow((void **)&s->reals, s->nreals, &cap, sizeof(*s->reals)) != 0)
		return -ENOMEM;
	if (cap != s->cap) {
		unsigned *lines = realloc(s->real_lines, cap * sizeof(*lines));

		if (!lines)
			return -ENOMEM; /* reals grew: harmless, cap stays the smaller */
		s->real_lines = lines;
		s->cap = cap;
	}
	s->reals[s->nreals] = *rs;
	s->reals[s->nreals].vs_id = s->vs.id;
	s->real_lines[s->nreals++] = line;
	return 0;
}

int config_doc_add_vip(struct config_doc *doc, const struct fulcrum_vip *vip, unsigned line)
{
	if (grow((void **)&doc->vips, doc->nvips, &doc->cap_vips, sizeof(*doc->vips)) != 0)
		return -ENOMEM;
	doc->vips[doc->nvips].vip = *vip;
	doc->vips[doc->nvips++].line = line;
	return 0;
}

void config_doc_set_switch(struct config_doc *doc, enum command_notify which, bool on)
{
	if ((unsigned)which >= COMMAND_NOTIFY_COUNT)
		return;
	doc->switch_set[which] = true;
	doc->switch_on[which] = on;
}

void config_msgs_init(struct config_msgs *m)
{
	memset(m, 0, sizeof(*m));
}

void config_msgs_clear(struct config_msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->text[i]);
	free(m->text);
	config_msgs_init(m);
}

int config_msgs_add(struct config_msgs *m, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int len;

	if (m->n >= CONFIG_MSGS_MAX) {
		m->dropped++;
		return 0;
	}
	if (grow((void **)&m->text, m->n, &m->cap, sizeof(*m->text)) != 0) {
		m->dropped++;
		return -ENOMEM;
	}
	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (len < 0) {
		m->dropped++;
		return -ENOMEM;
	}
	m->text[m->n++] = text;
	return 0;
}

void config_msgs_print(const struct config_msgs *m, FILE *out)
{
	for (size_t i = 0; i < m->n; i++)
		fprintf(out, "%s\n", m->text[i]);
	if (m->dropped)
		fprintf(out, "... and %zu more\n", m->dropped);
}

const char *config_key_name(const struct fulcrum_vs *vs, char *buf, size_t len)
{
	char addr[MODEL_ADDR_STRLEN];

	if (vs->fwmark) {
		snprintf(buf, len, "fwmark-%u%s", (unsigned)vs->fwmark,
			 vs->family == AF_INET6 ? "-v6" : "");
		return buf;
	}
	model_addr_format(&vs->addr, addr, sizeof(addr));
	for (char *s = addr; *s; s++)
		*s = *s == ':' ? '.' : *s;
	snprintf(buf, len, "%s-%s-%u", model_protocol_name(vs->protocol), addr, (unsigned)vs->port);
	return buf;
}
