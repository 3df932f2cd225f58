/* Exporting the configuration: what the store holds, or what a database holds, as one document. */
#include "controller/config/config_export.h"
#include "controller/model/model.h"

#include <errno.h>
#include <stdlib.h>

int config_export_store(const struct store *st, enum config_format fmt, char **out, size_t *len)
{
	struct config_writer *w = config_writer_new(fmt, store_revision(st));
	const struct fulcrum_vs *const *vs;
	const struct fulcrum_vip *const *vips;
	bool on[COMMAND_NOTIFY_COUNT];
	struct fulcrum_rs *rs = malloc(sizeof(*rs));
	size_t n, nv;

	if (!rs) {
		config_writer_free(w);
		return -ENOMEM;
	}
	vs = store_vs_all(st, &n);
	for (size_t i = 0; w && i < n; i++) {
		const struct fulcrum_rs_stored *const *reals = store_rs_all(st, vs[i]->id, &nv);

		config_writer_service(w, vs[i]);
		for (size_t r = 0; r < nv; r++) {
			model_rs_copy(rs, reals[r]);
			config_writer_real(w, rs);
		}
		config_writer_service_end(w);
	}
	vips = store_vip_all(st, &n);
	for (size_t i = 0; w && i < n; i++)
		config_writer_vip(w, vips[i]);
	for (unsigned i = 0; i < COMMAND_NOTIFY_COUNT; i++)
		on[i] = store_notify_enabled(st, (enum command_notify)i);
	if (w)
		config_writer_switches(w, NULL, on);
	free(rs);
	return config_writer_finish(w, out, len);
}

struct export_walk {
	struct db *db;
	struct config_writer *w;
};

static int export_real(const struct fulcrum_rs *rs, void *arg)
{
	return config_writer_real(arg, rs);
}

static int export_service(const struct fulcrum_vs *vs, void *arg)
{
	struct export_walk *e = arg;
	int rc = config_writer_service(e->w, vs);

	/* the walk of services holds a statement: the real servers' is another */
	if (rc == 0)
		rc = db_rs_each(e->db, vs->id, export_real, e->w);
	return rc ? rc : config_writer_service_end(e->w);
}

static int export_vip(const struct fulcrum_vip *vip, void *arg)
{
	return config_writer_vip(arg, vip);
}

int config_export_db(struct db *db, enum config_format fmt, char **out, size_t *len,
		     int64_t *revision)
{
	struct export_walk e = {.db = db};
	bool on[COMMAND_NOTIFY_COUNT];
	int rc;

	*out = NULL;
	if ((rc = db_read_begin(db)) != 0)
		return rc;
	*revision = db_revision(db);
	if (!(e.w = config_writer_new(fmt, *revision))) {
		db_read_end(db);
		return -ENOMEM;
	}
	rc = db_vs_each(db, export_service, &e);
	if (rc == 0)
		rc = db_vip_each(db, export_vip, e.w);
	if (rc == 0)
		rc = db_notify_get(db, on);
	if (rc == 0)
		rc = config_writer_switches(e.w, NULL, on);
	db_read_end(db);
	if (rc != 0) {
		config_writer_free(e.w);
		return rc;
	}
	return config_writer_finish(e.w, out, len);
}
