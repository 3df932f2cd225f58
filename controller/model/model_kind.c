/* The kinds of object, in one table: each row points at the typed functions of its kind. */
#include "controller/model/model_kind.h"
#include "controller/model/model.h"
#include "controller/model/model_json.h"

static int64_t vs_id_of(const void *obj)
{
	return ((const struct fulcrum_vs *)obj)->id;
}

static json_t *vs_to_json(const void *obj)
{
	return model_vs_to_json(obj);
}

static int vs_from_json(const json_t *j, void *obj, struct fulcrum_err *err)
{
	return model_vs_from_json(j, obj, err);
}

static int vs_set_field(void *obj, const char *field, const char *value, struct fulcrum_err *err)
{
	return model_vs_set_field(obj, field, value, err);
}

static int64_t rs_id_of(const void *obj)
{
	return ((const struct fulcrum_rs *)obj)->id;
}

static json_t *rs_to_json(const void *obj)
{
	return model_rs_to_json(obj);
}

static int rs_from_json(const json_t *j, void *obj, struct fulcrum_err *err)
{
	return model_rs_from_json(j, obj, err);
}

static int rs_set_field(void *obj, const char *field, const char *value, struct fulcrum_err *err)
{
	return model_rs_set_field(obj, field, value, err);
}

static int64_t vip_id_of(const void *obj)
{
	return ((const struct fulcrum_vip *)obj)->id;
}

static json_t *vip_to_json(const void *obj)
{
	return model_vip_to_json(obj);
}

static int vip_from_json(const json_t *j, void *obj, struct fulcrum_err *err)
{
	return model_vip_from_json(j, obj, err);
}

static int vip_set_field(void *obj, const char *field, const char *value, struct fulcrum_err *err)
{
	return model_vip_set_field(obj, field, value, err);
}

static const struct model_kind kinds[] = {
    [FULCRUM_KIND_VS] = {FULCRUM_KIND_VS, "service", "service", sizeof(struct fulcrum_vs), vs_id_of,
			 vs_to_json, vs_from_json, vs_set_field},
    [FULCRUM_KIND_RS] = {FULCRUM_KIND_RS, "real", "real server", sizeof(struct fulcrum_rs),
			 rs_id_of, rs_to_json, rs_from_json, rs_set_field},
    [FULCRUM_KIND_VIP] = {FULCRUM_KIND_VIP, "vip", "VIP", sizeof(struct fulcrum_vip), vip_id_of,
			  vip_to_json, vip_from_json, vip_set_field},
};

const struct model_kind *model_kind(enum fulcrum_kind kind)
{
	return (unsigned)kind < sizeof(kinds) / sizeof(kinds[0]) ? &kinds[kind] : NULL;
}
