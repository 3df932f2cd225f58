/* JSON form of services and real servers: for the change log, the HTTP API and replication. */
#ifndef FULCRUM_MODEL_JSON_H
#define FULCRUM_MODEL_JSON_H

#include "model-t.h"

#include <jansson.h>

/*
 * Returns a new JSON object holding every field of vs under its API name:
 * id name address port protocol fwmark family scheduler scheduler_flags
 * persistence_timeout persistence_netmask one_packet admin_state description.
 * Enums are their names (model.h), address is text, scheduler_flags an array
 * of flag names; a firewall-mark service has "address": null and
 * "protocol": null. The caller owns the reference (json_decref). Returns NULL
 * when memory runs out or a field holds a value no name exists for.
 */
json_t *model_vs_to_json(const struct fulcrum_vs *vs);

/*
 * The same for rs: id service_id address port forwarding tunnel_type
 * tunnel_port weight upper_threshold lower_threshold admin_state description;
 * "tunnel_type" is null unless forwarding is tunnel.
 */
json_t *model_rs_to_json(const struct fulcrum_rs *rs);

/*
 * Applies the fields present in obj to *inout (PATCH semantics: fields absent
 * keep their value), in the order the list above gives, with the parsing
 * rules of model_vs_set_field(). Integers must be JSON integers within the
 * field's range, booleans JSON booleans, enums and address strings.
 * address and protocol take null for none (and only null: "" and "none" are
 * refused). "id" is read-only: it may appear only with inout's own id, so a
 * body read with GET can be sent back.
 *
 * Returns 0, or -EINVAL with err naming the field (an unknown field, a wrong
 * JSON type, a value out of range or not parsable); *inout is unchanged on
 * error. Cross-field rules are model_vs_validate()'s.
 */
int model_vs_from_json(const json_t *obj, struct fulcrum_vs *inout, struct fulcrum_err *err);

/*
 * The same for a real server; "id" and "service_id" are read-only, and
 * "address" and "tunnel_type" take null (none).
 */
int model_rs_from_json(const json_t *obj, struct fulcrum_rs *inout, struct fulcrum_err *err);

#endif
