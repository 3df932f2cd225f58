/* fulcrumctl's output: tables and "key value" lines made from the API's JSON, whichever transport. */
#ifndef FULCRUM_CTL_PRINT_H
#define FULCRUM_CTL_PRINT_H

#include <jansson.h>

/*
 * Each prints to stdout what it is given in the API's JSON form (web/openapi.json);
 * a member missing or null prints as "-", so that a column is never left out.
 */

/* j indented, in its own order (--json). Returns 0, or -ENOMEM when it cannot be written out. */
int ctl_print_json(const json_t *j);

/* An object as "key  value" lines, a nested object's members as "key.member". */
void ctl_print_fields(const json_t *obj);

/* Services as a table: ID NAME ADDRESS PROTO SCHED STATE KERNEL REALS FLAGS. */
void ctl_print_services(const json_t *services);

/* Real servers as a table: ID SERVICE ADDRESS FORWARDING WEIGHT STATE KERNEL. */
void ctl_print_reals(const json_t *reals);

/*
 * VIPs as a table: ID ADDRESS (address/prefix) INTERFACE HELD (yes, no, or
 * unknown when nothing says: with --db) DESCRIPTION.
 */
void ctl_print_vips(const json_t *vips);

/* Change-log rows as a table: REVISION TIME ACTOR ORIGIN OBJECT CHANGE (times in UTC). */
void ctl_print_changes(const json_t *changes);

/* API tokens as a table: ID NAME ROLE CREATED. */
void ctl_print_tokens(const json_t *tokens);

#endif
