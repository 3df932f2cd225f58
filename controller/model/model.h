/* The model's rules: names of every enum, defaults, text fields, and validation of one object. */
#ifndef FULCRUM_MODEL_H
#define FULCRUM_MODEL_H

#include "controller/model/model-t.h"

#include <arpa/inet.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

/* Room for model_addr_format(): an IPv6 address and its NUL. */
#define MODEL_ADDR_STRLEN INET6_ADDRSTRLEN
/* Room for model_endpoint_format(): "[v6]:65535" and its NUL. */
#define MODEL_ENDPOINT_STRLEN (INET6_ADDRSTRLEN + 8)
/* The longest persistence the model accepts, in seconds (30 days). */
#define MODEL_PERSISTENCE_MAX 2592000u

/*
 * Names of enum values, as the API, the CLI, the database and the change log
 * spell them. Each *_name() returns a static string, or NULL for a value
 * outside the enum. Each *_parse() takes exactly that spelling (lower case,
 * no spaces) and returns 0, or -EINVAL leaving *out unchanged.
 *
 * "none" is the name of FULCRUM_PROTO_NONE and FULCRUM_TUN_NONE; the JSON form
 * writes null for them instead.
 */
const char *model_protocol_name(enum fulcrum_protocol protocol);
int model_protocol_parse(const char *s, enum fulcrum_protocol *out);
const char *model_scheduler_name(enum fulcrum_scheduler scheduler);
int model_scheduler_parse(const char *s, enum fulcrum_scheduler *out);
const char *model_vs_admin_name(enum fulcrum_vs_admin admin);
int model_vs_admin_parse(const char *s, enum fulcrum_vs_admin *out);
const char *model_forwarding_name(enum fulcrum_forwarding forwarding);
int model_forwarding_parse(const char *s, enum fulcrum_forwarding *out);
const char *model_tunnel_name(enum fulcrum_tunnel tunnel);
int model_tunnel_parse(const char *s, enum fulcrum_tunnel *out);
const char *model_rs_admin_name(enum fulcrum_rs_admin admin);
int model_rs_admin_parse(const char *s, enum fulcrum_rs_admin *out);
const char *model_origin_name(enum fulcrum_origin origin);
int model_origin_parse(const char *s, enum fulcrum_origin *out);
/* "none" "tcp" "http" "https" "external"; "quiesce" "remove" (model_check.c). */
const char *model_check_type_name(enum fulcrum_check_type type);
int model_check_type_parse(const char *s, enum fulcrum_check_type *out);
const char *model_check_on_failure_name(enum fulcrum_on_failure on_failure);
int model_check_on_failure_parse(const char *s, enum fulcrum_on_failure *out);

/* Kinds of object: "service", "real", "vip" (FULCRUM_KIND_VS, _RS, _VIP), as the change log names them. */
const char *model_kind_name(enum fulcrum_kind kind);
int model_kind_parse(const char *s, enum fulcrum_kind *out);

/* Address families: "ipv4" is AF_INET, "ipv6" is AF_INET6; anything else has no name. */
const char *model_family_name(int family);
int model_family_parse(const char *s, int *out);

/*
 * Scheduler flags as text: a comma-separated list of "fallback" and "port", in
 * that order, "" for none. model_sched_flags_parse() takes the names in any
 * order, without spaces, and returns 0 or -EINVAL (an empty item, or a name
 * that is not a flag); *out is unchanged on error.
 * model_sched_flags_format() returns 0, -EINVAL for bits that are no flag, or
 * -ENOSPC when buf is too small (14 bytes always suffice).
 */
int model_sched_flags_parse(const char *s, unsigned *out);
int model_sched_flags_format(unsigned flags, char *buf, size_t len);

/*
 * Parses an IPv4 address in dotted-quad form or an IPv6 address in any form
 * inet_pton() takes (no brackets, no zone). Returns 0 or -EINVAL, leaving
 * *out unchanged on error.
 */
int model_addr_parse(const char *s, struct fulcrum_addr *out);

/*
 * Writes the canonical text of a (inet_ntop's form; "" for AF_UNSPEC) into buf
 * and returns buf. buf should hold MODEL_ADDR_STRLEN bytes; the text is
 * truncated to fit otherwise.
 */
const char *model_addr_format(const struct fulcrum_addr *a, char *buf, size_t len);

/* Writes "10.0.0.1:80" or "[fd00::1]:80" into buf (MODEL_ENDPOINT_STRLEN) and returns buf. */
const char *model_endpoint_format(const struct fulcrum_addr *a, uint16_t port, char *buf,
				  size_t len);

/* True when a and b are the same address of the same family (two AF_UNSPEC are equal). */
bool model_addr_equal(const struct fulcrum_addr *a, const struct fulcrum_addr *b);

/*
 * Fills vs with the defaults of a new service: every field zero, except
 * family AF_INET, scheduler wlc, persistence_netmask 32, admin enabled, the
 * check model_check_init()'s, no fallback (address AF_UNSPEC), min_up 0.
 */
void model_vs_init(struct fulcrum_vs *vs);

/*
 * Fills rs with the defaults of a new real server: masq, weight 1, enabled,
 * the rest zero (its check overrides nothing: check.set 0).
 */
void model_rs_init(struct fulcrum_rs *rs);

/*
 * A stored real server (struct fulcrum_rs_stored) ends at its description's
 * NUL. model_rs_stored_new() makes one from rs: malloc'ed, exactly as long
 * as it needs (the caller frees it with free()); NULL when memory runs out.
 * model_rs_stored_size() is that length. model_rs_copy() makes the whole
 * real server dst from a stored one (the rest of dst's description zeroed).
 */
struct fulcrum_rs_stored *model_rs_stored_new(const struct fulcrum_rs *rs);
size_t model_rs_stored_size(const struct fulcrum_rs *rs);
void model_rs_copy(struct fulcrum_rs *dst, const struct fulcrum_rs_stored *src);

/*
 * Fills check with the defaults of a service's check: type none, path "/",
 * expect_status "200", verify_tls true, interval 5, timeout 3, rise 2, fall 3,
 * no check_address (AF_UNSPEC), check_port 0, on_failure quiesce, the rest
 * empty or false.
 */
void model_check_init(struct fulcrum_check *check);

/*
 * Fills out with the check a real server gets: its service's (svc) with the
 * fields whose FULCRUM_CHECK_F_* bit is in ov->set replaced by ov's. ov may
 * be NULL (svc's as it is). out may not overlap ov.
 */
void model_check_effective(const struct fulcrum_check *svc, const struct fulcrum_check_override *ov,
			   struct fulcrum_check *out);

/*
 * True when the HTTP status is one expect_status lists ("200",
 * "200-299,301"); false when it is not, or when expect_status does not
 * follow model_vs_validate()'s rules.
 */
bool model_check_status_match(const char *expect_status, unsigned status);

/*
 * Sets one field of vs from text, by its API name: name address port protocol
 * fwmark family scheduler scheduler_flags persistence_timeout
 * persistence_netmask one_packet admin_state description min_up; the check's
 * as check.type check.path check.host check.head check.expect_status
 * check.expect check.expect_regex check.verify_tls check.command
 * check.interval check.timeout check.rise check.fall check.check_address
 * check.check_port check.on_failure; the fallback server's as
 * fallback.address fallback.port fallback.forwarding.
 *
 * Numbers are decimal digits only: no sign, no spaces, no empty string, and a
 * value beyond the field's range is refused. Booleans are true/false (also
 * yes/no, 1/0). address, protocol take "" or "none" to clear them (a
 * firewall-mark service); scheduler_flags takes "" for none;
 * check.check_address takes "" or "none" for none (each real server's own
 * address); fallback.address and fallback take "" or "none" to remove the
 * fallback server (its port and forwarding too). check.host, check.expect,
 * check.expect_regex and check.command take "" for none.
 *
 * Setting address also sets family to the address's; changing family moves a
 * persistence_netmask that was the whole old address (32 or 128) to the whole
 * new one. Cross-field rules are not checked here: see model_vs_validate().
 *
 * Returns 0, or -EINVAL with err filled (status FULCRUM_ERR_INVALID, field
 * named, message "service <field>: <reason>"); vs is unchanged on error. An
 * unknown field is an error naming it. err may be NULL.
 */
int model_vs_set_field(struct fulcrum_vs *vs, const char *field, const char *value,
		       struct fulcrum_err *err);

/*
 * Sets one field of rs from text: address port forwarding tunnel_type
 * tunnel_port weight upper_threshold lower_threshold admin_state description,
 * and the fields of its own check that override its service's: check.type
 * check.interval check.timeout check.rise check.fall check.check_address
 * check.check_port check.on_failure check.verify_tls. A value sets the
 * override (its FULCRUM_CHECK_F_* bit); "" clears it, and "check" = ""
 * clears them all. The rest of a check (path, host, what to expect, the
 * command) is the service's: naming it here is an error that says so.
 * The same parsing and error contract as model_vs_set_field().
 *
 * Setting forwarding to tunnel picks the ipip tunnel when none is set; setting
 * it to masq or route clears tunnel_type and tunnel_port. Setting tunnel_type
 * to anything but gue clears tunnel_port. (Set tunnel_type after forwarding.)
 */
int model_rs_set_field(struct fulcrum_rs *rs, const char *field, const char *value,
		       struct fulcrum_err *err);

/*
 * Checks every rule that concerns vs alone (uniqueness is the command's job),
 * its check's, fallback's and min_up's included (field "check.interval",
 * "fallback.address", "min_up"...).
 * Returns 0, or -EINVAL with err filled for the first rule broken: status
 * FULCRUM_ERR_INVALID, field the API name, message "service <field>: <reason>".
 * err may be NULL.
 */
int model_vs_validate(const struct fulcrum_vs *vs, struct fulcrum_err *err);

/*
 * Checks every rule on rs as a real server of owner (address family, ports by
 * forwarding method, tunnel, weight, thresholds, description, and its check:
 * each override, then the check it gets with owner's, model_check_effective(),
 * whose timeout must stay below its interval, whose external type needs
 * owner's command, and whose TCP or HTTP checks need a port). Returns 0 or
 * -EINVAL with err filled as model_vs_validate() does, message
 * "real server <field>: <reason>". rs->vs_id is not compared with owner->id.
 */
int model_rs_validate(const struct fulcrum_rs *rs, const struct fulcrum_vs *owner,
		      struct fulcrum_err *err);

/*
 * Fills vip with the defaults of a new VIP: every field zero, except no
 * address (AF_UNSPEC) and prefix 32, the whole length of an IPv4 address
 * (setting an IPv6 address moves it to 128, see model_vip_set_field()).
 */
void model_vip_init(struct fulcrum_vip *vip);

/*
 * Sets one field of vip from text, by its API name: address (an IPv4 or
 * IPv6 address, never none), prefix, interface, description. The same
 * parsing and error contract as model_vs_set_field(), the messages "VIP
 * <field>: <reason>".
 *
 * Setting an address of another family than the one vip has (none counts as
 * IPv4) moves a prefix that was the whole old address (32 or 128) to the
 * whole new one, as a service's persistence_netmask follows its family: a
 * VIP's prefix is its address's whole length unless set.
 */
int model_vip_set_field(struct fulcrum_vip *vip, const char *field, const char *value,
			struct fulcrum_err *err);

/*
 * Checks every rule that concerns vip alone (uniqueness of its address is
 * the command's job): an address is required and is neither unspecified
 * (0.0.0.0, ::), multicast nor loopback; prefix 1..32 for IPv4, 1..128 for
 * IPv6; interface 1..15 characters of letters, digits, '_', '.', ':' and '-',
 * and not "." or ".."; description as every description (UTF-8, no control
 * characters). Returns 0, or -EINVAL with err filled as model_vs_validate()
 * does, message "VIP <field>: <reason>".
 */
int model_vip_validate(const struct fulcrum_vip *vip, struct fulcrum_err *err);

/*
 * Compiles an HTTP check's expect_regex (POSIX extended, no subexpressions)
 * into *re: the model's validation and the check engine both compile it so.
 * First bounds what compiling costs: a regex whose repeats would have the
 * library build more than MODEL_REGEX_STATES states is refused without
 * compiling it (each '+' doubles what it repeats and an interval {m,n}
 * multiplies it by n, nested or stacked: glibc took 7 s and 3 GB for 'a'
 * and 22 '+', 10 s for 's', 9 '*' and 10 '+', and its time grows faster
 * than the states where optional pieces are repeated: 1.4 s for 2,000 in
 * '((a*b*)+){1,250}'; 1,000 is far more than an expected reply needs).
 * Returns 0 (the caller regfree()s re); -E2BIG with why (len
 * bytes) "repeats too much: ..."; or -EINVAL, regcomp() refusing it, with
 * why its regerror() text.
 */
#define MODEL_REGEX_STATES 1000
int model_regex_compile(regex_t *re, const char *text, char *why, size_t len);

/* Clears err (status FULCRUM_ERR_NONE, empty field and message); err may be NULL. */
void model_err_clear(struct fulcrum_err *err);

/*
 * Fills err: status, field (truncated to fit, NULL for none) and the message
 * from fmt. Returns the errno that goes with status, negated (-EINVAL,
 * -EEXIST, -ENOENT, -ESTALE, -EIO, -EROFS), so callers can "return model_err_set(...)".
 * err may be NULL.
 */
int model_err_set(struct fulcrum_err *err, enum fulcrum_err_status status, const char *field,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
