/* Fuzz target: config_read() of XML and JSON on any bytes; what it accepts writes and reads back the same. */
#include "controller/config/config_io.h"
#include "controller/model/model.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_msgs(const struct config_msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (!m->text[i] || !m->text[i][0])
			abort();
}

/* Counts the services handed to it: the streaming reader gives exactly those it keeps otherwise. */
static int fuzz_count(const struct config_service *s, void *arg)
{
	if (model_vs_validate(&s->vs, NULL) != 0)
		abort();
	(*(size_t *)arg)++;
	return 0;
}

/* A document read whole is written, read back and written again: the two texts are the same. */
static void fuzz_round_trip(const struct config_doc *doc, enum config_format fmt)
{
	struct config_msgs errors;
	struct config_doc back;
	char *one, *two;
	size_t l1, l2;

	if (config_doc_write(doc, fmt, &one, &l1) != 0)
		return; /* out of memory */
	config_doc_init(&back);
	config_msgs_init(&errors);
	if (config_read(fmt, one, l1, &back, NULL, NULL, &errors) != 0) {
		fprintf(stderr, "fuzz: a document Fulcrum wrote is refused:\n");
		config_msgs_print(&errors, stderr);
		abort();
	}
	if (config_doc_write(&back, fmt, &two, &l2) == 0) {
		if (l1 != l2 || memcmp(one, two, l1) != 0) {
			fprintf(stderr, "fuzz: a round trip changed the document\n");
			abort();
		}
		free(two);
	}
	free(one);
	config_doc_clear(&back);
	config_msgs_clear(&errors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int f = 0; f < 2; f++) {
		enum config_format fmt = f ? CONFIG_JSON : CONFIG_XML;
		struct config_msgs errors, errors2;
		struct config_doc doc, doc2;
		size_t streamed = 0;
		int rc, rc2;

		config_doc_init(&doc);
		config_doc_init(&doc2);
		config_msgs_init(&errors);
		config_msgs_init(&errors2);
		rc = config_read(fmt, (const char *)data, size, &doc, NULL, NULL, &errors);
		if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
			abort();
		if (rc != -ENOMEM && (rc == 0) != (errors.n == 0))
			abort();
		fuzz_msgs(&errors);
		rc2 = config_read(fmt, (const char *)data, size, &doc2, fuzz_count, &streamed,
				  &errors2);
		if (rc2 != rc || (rc == 0 && (streamed != doc.nservices || doc2.nservices != 0)))
			abort();
		if (rc == 0) {
			fuzz_round_trip(&doc, CONFIG_XML);
			fuzz_round_trip(&doc, CONFIG_JSON);
		}
		config_doc_clear(&doc);
		config_doc_clear(&doc2);
		config_msgs_clear(&errors);
		config_msgs_clear(&errors2);
	}
	return 0;
}
