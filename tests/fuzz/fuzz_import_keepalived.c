/* Fuzz target: config_keepalived_read() on any bytes, strict and lenient; what it keeps is valid. */
#include "controller/config/config_keepalived.h"
#include "controller/model/model.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <stdlib.h>

/* Aborts unless rc is one the contract allows, every message says something, and a clean
 * import holds only objects the model accepts. */
static void fuzz_one(const uint8_t *data, size_t size, bool lenient)
{
	struct config_doc doc;
	struct config_msgs notes, errors;
	int rc;

	config_doc_init(&doc);
	config_msgs_init(&notes);
	config_msgs_init(&errors);
	rc = config_keepalived_read((const char *)data, size, "fuzz.conf", lenient, &doc, &notes,
				    &errors);
	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
		abort();
	if (rc == 0 && (errors.n || errors.dropped))
		abort();
	if (rc == -EINVAL && !errors.n && !errors.dropped)
		abort();
	for (size_t i = 0; i < notes.n; i++)
		if (!notes.text[i][0])
			abort();
	for (size_t i = 0; i < errors.n; i++)
		if (!errors.text[i][0])
			abort();
	/* every service and real server added passed validation, errors or not */
	for (size_t i = 0; i < doc.nservices; i++) {
		const struct config_service *s = &doc.services[i];

		if (model_vs_validate(&s->vs, NULL) != 0)
			abort();
		for (size_t j = 0; j < s->nreals; j++)
			if (model_rs_validate(&s->reals[j], &s->vs, NULL) != 0)
				abort();
	}
	for (size_t i = 0; i < doc.nvips; i++)
		if (model_vip_validate(&doc.vips[i].vip, NULL) != 0)
			abort();
	config_doc_clear(&doc);
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size, false);
	fuzz_one(data, size, true);
	return 0;
}
