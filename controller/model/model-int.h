/* What model.c, model_check.c and model_vip.c share: the text-field parsers and the error helper. */
#ifndef FULCRUM_MODEL_INT_H
#define FULCRUM_MODEL_INT_H

#include "controller/model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fills err with "<what> <field>: <reason>" (what: "service", "real server", "VIP"); returns -EINVAL. */
int model_invalid(struct fulcrum_err *err, const char *what, const char *field, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));

/*
 * The text setters' parsers: each sets *out, or returns -EINVAL with err
 * filled ("<what> <field>: <reason>") leaving *out unchanged.
 * model_field_uint() takes decimal digits only, up to max;
 * model_field_bool() true/false, yes/no, 1/0; model_field_enum() one of
 * names[0..n) (its index), listing every name but "none" on error, kind
 * naming what it is ("a protocol"); model_field_text() copies s into dst of
 * size bytes when it fits.
 */
int model_field_uint(const char *what, const char *field, const char *s, uint64_t max,
		     uint64_t *out, struct fulcrum_err *err);
int model_field_bool(const char *what, const char *field, const char *s, bool *out,
		     struct fulcrum_err *err);
int model_field_enum(const char *what, const char *field, const char *v, const char *const *names,
		     size_t n, const char *kind, unsigned *out, struct fulcrum_err *err);
int model_field_text(const char *what, const char *field, const char *s, char *dst, size_t size,
		     struct fulcrum_err *err);

/* True for "" and "none", the text for "no value" of addresses and optional enums. */
bool model_is_none(const char *s);

/* "IPv4" / "IPv6" as prose writes them ("of no family" otherwise). */
const char *model_family_prose(int family);

/*
 * Checks text held in a field of size bytes: NUL-terminated within size,
 * well-formed UTF-8, no control characters (C0, DEL, C1). 0 or -EINVAL with
 * err filled.
 */
int model_text_validate(const char *what, const char *field, const char *s, size_t size,
			struct fulcrum_err *err);

/*
 * The check, fallback and min_up part of the text setters: the fields
 * model_vs_set_field() and model_rs_set_field() do not know themselves.
 * Same contract; an unknown field is an error naming it.
 */
int model_check_vs_set_field(struct fulcrum_vs *vs, const char *f, const char *v,
			     struct fulcrum_err *err);
int model_check_rs_set_field(struct fulcrum_rs *rs, const char *f, const char *v,
			     struct fulcrum_err *err);

/* model_rs_validate() without the check's rules: what a fallback server must obey too. */
int model_rs_validate_base(const struct fulcrum_rs *rs, const struct fulcrum_vs *owner,
			   struct fulcrum_err *err);

/* The check, fallback and min_up rules of model_vs_validate() and model_rs_validate(). */
int model_check_vs_validate(const struct fulcrum_vs *vs, struct fulcrum_err *err);
int model_check_rs_validate(const struct fulcrum_rs *rs, const struct fulcrum_vs *owner,
			    struct fulcrum_err *err);

#endif
