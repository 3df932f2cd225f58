/* The kinds of object, in one table: for code that treats services, real servers and VIPs alike. */
#ifndef FULCRUM_MODEL_KIND_H
#define FULCRUM_MODEL_KIND_H

#include "controller/model/model-t.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What every kind of configuration object can do, so that a write path,
 * a PATCH or a log line needs one body instead of one per kind. Each
 * function takes the kind's own struct (struct fulcrum_vs, struct
 * fulcrum_rs, struct fulcrum_vip) through its void pointer, with the
 * contract of the typed function it stands for.
 */
struct model_kind {
	enum fulcrum_kind kind;
	const char *name; /* "service", "real", "vip": the change log's object_type */
	const char *what; /* "service", "real server", "VIP": how a message names one */
	size_t size;      /* of its struct */
	int64_t (*id_of)(const void *obj);
	json_t *(*to_json)(const void *obj); /* model_vs_to_json() ... */
	/* model_vs_from_json() ...: PATCH semantics, obj unchanged on error */
	int (*from_json)(const json_t *j, void *obj, struct fulcrum_err *err);
	/* model_vs_set_field() ... */
	int (*set_field)(void *obj, const char *field, const char *value, struct fulcrum_err *err);
};

/* The table's row of kind, or NULL for a value outside the enum. */
const struct model_kind *model_kind(enum fulcrum_kind kind);

#endif
