/* fulcrumctl's output, made only from the API's JSON so that both transports print the same. */
#include "controller/ctl/ctl_print.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int ctl_print_json(const json_t *j)
{
	char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	if (!text)
		return -ENOMEM;
	puts(text);
	free(text);
	return 0;
}

/* A scalar as text: strings as they are, null as "-", arrays joined with ','. */
static const char *print_text(const json_t *v, char *buf, size_t len)
{
	size_t i, used = 0;
	json_t *item;

	if (!v)
		return "-"; /* absent: json_typeof() would read through NULL */
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		return buf;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_ARRAY:
		buf[0] = '\0';
		json_array_foreach(v, i, item)
		{
			char one[64];

			if (used >= len)
				break;
			used += snprintf(buf + used, len - used, "%s%s", i ? "," : "",
					 print_text(item, one, sizeof(one)));
		}
		return buf;
	case JSON_OBJECT:
		return "(object)";
	default:
		return "-"; /* null */
	}
}

static const char *print_member(const json_t *obj, const char *key, char *buf, size_t len)
{
	return print_text(json_object_get(obj, key), buf, len);
}

static void print_fields_under(const char *prefix, const json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		char name[64], buf[256];

		snprintf(name, sizeof(name), "%s%s", prefix, key);
		if (json_is_object(v)) {
			strncat(name, ".", sizeof(name) - strlen(name) - 1);
			print_fields_under(name, v);
		} else if (!json_is_array(v) || !json_is_object(json_array_get(v, 0))) {
			printf("%-22s %s\n", name, print_text(v, buf, sizeof(buf)));
		}
	}
}

void ctl_print_fields(const json_t *obj)
{
	print_fields_under("", obj);
}

/* address:port ([v6]:port), or "fwmark N FAMILY" for a firewall-mark service. */
static const char *print_endpoint(const json_t *obj, char *buf, size_t len)
{
	const char *addr = json_string_value(json_object_get(obj, "address"));
	json_int_t port = json_integer_value(json_object_get(obj, "port"));
	char fam[16];

	if (!addr)
		snprintf(buf, len, "fwmark %" JSON_INTEGER_FORMAT " %s",
			 json_integer_value(json_object_get(obj, "fwmark")),
			 print_member(obj, "family", fam, sizeof(fam)));
	else
		snprintf(buf, len,
			 strchr(addr, ':') ? "[%s]:%" JSON_INTEGER_FORMAT
					   : "%s:%" JSON_INTEGER_FORMAT,
			 addr, port);
	return buf;
}

/* Each field has its own buffer: numbers are written into it, and printf reads them all at once. */
void ctl_print_services(const json_t *services)
{
	size_t i;
	json_t *s;

	printf("%-6s %-20s %-26s %-5s %-6s %-9s %-11s %-6s %s\n", "ID", "NAME", "ADDRESS", "PROTO",
	       "SCHED", "STATE", "KERNEL", "REALS", "FLAGS");
	json_array_foreach(services, i, s)
	{
		const json_t *st = json_object_get(s, "status");
		char where[80], b[8][64];

		printf("%-6s %-20s %-26s %-5s %-6s %-9s %-11s %-6s %s\n",
		       print_member(s, "id", b[0], 64), print_member(s, "name", b[1], 64),
		       print_endpoint(s, where, sizeof(where)),
		       print_member(s, "protocol", b[2], 64),
		       print_member(s, "scheduler", b[3], 64),
		       print_member(s, "admin_state", b[4], 64),
		       print_member(st, "kernel_state", b[5], 64),
		       print_member(s, "reals_total", b[6], 64),
		       print_member(s, "scheduler_flags", b[7], 64));
	}
}

void ctl_print_reals(const json_t *reals)
{
	size_t i;
	json_t *rs;

	printf("%-6s %-8s %-42s %-12s %-6s %-9s %s\n", "ID", "SERVICE", "ADDRESS", "FORWARDING",
	       "WEIGHT", "STATE", "KERNEL");
	json_array_foreach(reals, i, rs)
	{
		const char *f = json_string_value(json_object_get(rs, "forwarding"));
		const json_t *st = json_object_get(rs, "status");
		char where[80], fwd[40], b[6][32];

		if (f && strcmp(f, "tunnel") == 0)
			snprintf(fwd, sizeof(fwd), "tunnel/%s",
				 print_member(rs, "tunnel_type", b[0], 32));
		else
			snprintf(fwd, sizeof(fwd), "%s", f ? f : "-");
		printf("%-6s %-8s %-42s %-12s %-6s %-9s %s\n", print_member(rs, "id", b[1], 32),
		       print_member(rs, "service_id", b[2], 32),
		       print_endpoint(rs, where, sizeof(where)), fwd,
		       print_member(rs, "weight", b[3], 32),
		       print_member(rs, "admin_state", b[4], 32),
		       print_member(st, "kernel_state", b[5], 32));
	}
}

void ctl_print_vips(const json_t *vips)
{
	size_t i;
	json_t *v;

	printf("%-6s %-44s %-16s %-7s %s\n", "ID", "ADDRESS", "INTERFACE", "HELD", "DESCRIPTION");
	json_array_foreach(vips, i, v)
	{
		const json_t *held = json_object_get(json_object_get(v, "status"), "held");
		char where[80], b[4][64];

		snprintf(where, sizeof(where), "%s/%s", print_member(v, "address", b[0], 64),
			 print_member(v, "prefix", b[1], 64));
		printf("%-6s %-44s %-16s %-7s %s\n", print_member(v, "id", b[2], 64), where,
		       print_member(v, "interface", b[3], 64),
		       json_is_true(held)    ? "yes"
		       : json_is_false(held) ? "no"
					     : "unknown",
		       json_string_value(json_object_get(v, "description"))
			   ? json_string_value(json_object_get(v, "description"))
			   : "-");
	}
}

/* A time, Unix seconds or already text, as UTC. */
static const char *print_time(const json_t *v, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (!json_is_integer(v))
		return print_text(v, buf, len);
	t = (time_t)json_integer_value(v);
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

void ctl_print_changes(const json_t *changes)
{
	size_t i;
	json_t *ch;

	printf("%-8s %-20s %-12s %-6s %-14s %s\n", "REVISION", "TIME", "ACTOR", "ORIGIN", "OBJECT",
	       "CHANGE");
	json_array_foreach(changes, i, ch)
	{
		const json_t *before = json_object_get(ch, "before");
		const json_t *after = json_object_get(ch, "after");
		char b[5][80], obj[168], t[32];

		snprintf(obj, sizeof(obj), "%s %s", print_member(ch, "object_type", b[0], 80),
			 print_member(ch, "object_id", b[1], 80));
		printf("%-8s %-20s %-12s %-6s %-14s %s\n", print_member(ch, "revision", b[2], 80),
		       print_time(json_object_get(ch, "time"), t, sizeof(t)),
		       print_member(ch, "actor", b[3], 80), print_member(ch, "origin", b[4], 80),
		       obj,
		       !before || json_is_null(before) ? "created"
		       : !after || json_is_null(after) ? "deleted"
						       : "updated");
	}
}

void ctl_print_tokens(const json_t *tokens)
{
	size_t i;
	json_t *tok;

	printf("%-6s %-24s %-9s %s\n", "ID", "NAME", "ROLE", "CREATED");
	json_array_foreach(tokens, i, tok)
	{
		char b[3][80], t[32];

		printf("%-6s %-24s %-9s %s\n", print_member(tok, "id", b[0], 80),
		       print_member(tok, "name", b[1], 80), print_member(tok, "role", b[2], 80),
		       print_time(json_object_get(tok, "created"), t, sizeof(t)));
	}
}
