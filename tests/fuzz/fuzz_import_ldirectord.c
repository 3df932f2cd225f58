/* Fuzz target: config_ldirectord_read() on any bytes, strict and lenient; what it returns holds. */
#include "controller/config/config_ldirectord.h"
#include "controller/model/model.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts unless every message is there and names something. */
static void fuzz_msgs(const struct config_msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (!m->text[i] || !m->text[i][0])
			abort();
}

/* Every service and real server of doc passes the model's validation. */
static void fuzz_valid(const struct config_doc *doc)
{
	for (size_t i = 0; i < doc->nservices; i++) {
		const struct config_service *s = &doc->services[i];

		if (model_vs_validate(&s->vs, NULL) != 0 || s->line == 0) {
			fprintf(stderr, "fuzz: service %s refused by the model\n", s->vs.name);
			abort();
		}
		for (size_t j = 0; j < s->nreals; j++)
			if (model_rs_validate(&s->reals[j], &s->vs, NULL) != 0) {
				fprintf(stderr, "fuzz: a real server of %s refused\n", s->vs.name);
				abort();
			}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int lenient = 0; lenient < 2; lenient++) {
		struct config_doc doc;
		struct config_msgs notes, errors;
		int rc;

		config_doc_init(&doc);
		config_msgs_init(&notes);
		config_msgs_init(&errors);
		rc = config_ldirectord_read((const char *)data, size, "fuzz.cf", lenient, &doc,
					    &notes, &errors);
		if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
			abort();
		if ((rc == 0) != (errors.n == 0 && errors.dropped == 0) && rc != -ENOMEM)
			abort();
		fuzz_msgs(&notes);
		fuzz_msgs(&errors);
		/* every service is validated before it is added, whatever the result */
		fuzz_valid(&doc);
		config_doc_clear(&doc);
		config_msgs_clear(&notes);
		config_msgs_clear(&errors);
	}
	return 0;
}
