/* JSON form of services, real servers and VIPs: for the change log, the HTTP API and replication. */
#ifndef FULCRUM_MODEL_JSON_H
#define FULCRUM_MODEL_JSON_H

#include "controller/model/model-t.h"

#include <jansson.h>

/*
 * Returns a new JSON object holding every field of vs under its API name:
 * id name address port protocol fwmark family scheduler scheduler_flags
 * persistence_timeout persistence_netmask one_packet admin_state description
 * check fallback min_up. Enums are their names (model.h), address is text,
 * scheduler_flags an array of flag names; a firewall-mark service has
 * "address": null and "protocol": null. "check" is an object of every field
 * of the check: type path host head expect_status expect expect_regex
 * verify_tls command interval timeout rise fall check_address check_port
 * on_failure ("check_address": null when unset; "" for the texts unset).
 * "fallback" is null, or {"address", "port", "forwarding"}. The caller owns
 * the reference (json_decref). Returns NULL when memory runs out or a field
 * holds a value no name exists for.
 */
json_t *model_vs_to_json(const struct fulcrum_vs *vs);

/*
 * The same for rs: id service_id address port forwarding tunnel_type
 * tunnel_port weight upper_threshold lower_threshold admin_state description
 * check; "tunnel_type" is null unless forwarding is tunnel. "check" holds
 * only the fields the real server overrides, in this order: type interval
 * timeout rise fall check_address check_port on_failure verify_tls ({} when
 * none).
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
 * "check" and "fallback" are merged the same way: only the members sent
 * change ({"check": {"interval": 10}} changes the interval alone), set
 * through model_vs_set_field() as "check.interval". In "check",
 * check_address takes null for none, and host, expect, expect_regex and
 * command take "" or null for none; "check": null is refused. "fallback":
 * null (or a "fallback" whose "address" is null) removes the fallback server.
 * An unknown member is an error naming "check.<member>".
 *
 * Returns 0, or -EINVAL with err naming the field (an unknown field, a wrong
 * JSON type, a value out of range or not parsable); *inout is unchanged on
 * error. Cross-field rules are model_vs_validate()'s.
 */
int model_vs_from_json(const json_t *obj, struct fulcrum_vs *inout, struct fulcrum_err *err);

/*
 * The same for a real server; "id" and "service_id" are read-only, and
 * "address" and "tunnel_type" take null (none). In "check" a member sets
 * that override and null removes it; "check": null removes them all; a
 * member the service alone has ("path") is an error that says so.
 */
int model_rs_from_json(const json_t *obj, struct fulcrum_rs *inout, struct fulcrum_err *err);

/*
 * The same for a VIP: id address prefix interface description, "address" its
 * text (null when it has none, which only a VIP not yet valid has).
 */
json_t *model_vip_to_json(const struct fulcrum_vip *vip);

/*
 * Applies the fields present in obj to *inout, in the order above (address
 * before prefix), with model_vip_set_field()'s rules; "id" is read-only as
 * for a service. "address" is a string (a VIP always has one), "prefix" an
 * integer. The same contract as model_vs_from_json().
 */
int model_vip_from_json(const json_t *obj, struct fulcrum_vip *inout, struct fulcrum_err *err);

#endif
