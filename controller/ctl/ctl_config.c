/* fulcrumctl export, apply and import: the configuration as a file, over either transport. */
#include "controller/ctl/ctl_config.h"
#include "controller/config/config_apply.h"
#include "controller/config/config_io.h"
#include "controller/config/config_keepalived.h"
#include "controller/config/config_kernel.h"
#include "controller/config/config_ldirectord.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ctl_config_is(const char *name)
{
	return strcmp(name, "export") == 0 || strcmp(name, "apply") == 0 ||
	       strcmp(name, "import") == 0;
}

static int config_failed(const struct ctl_transport_err *err)
{
	fprintf(stderr, "fulcrumctl: %s\n", err->message);
	if (err->hint[0])
		fprintf(stderr, "fulcrumctl: %s\n", err->hint);
	return err->exit != CTL_EXIT_OK ? (int)err->exit : CTL_EXIT_SERVER;
}

/* Reads path ("-": stdin) whole, at most CONFIG_FILE_MAX bytes: 0, or an exit status after saying why. */
static int config_slurp(const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 65536, n = 0, got;
	char *buf = NULL, *p;

	*out = NULL;
	if (!f) {
		fprintf(stderr, "fulcrumctl: %s: %s\n", path, strerror(errno));
		return CTL_EXIT_REFUSED;
	}
	do {
		if (n + 1 >= cap || !buf) {
			cap = buf ? cap * 2 : cap;
			if (!(p = realloc(buf, cap))) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = p;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0 && n <= CONFIG_FILE_MAX);
	if (f != stdin)
		fclose(f);
	if (!buf) {
		fprintf(stderr, "fulcrumctl: out of memory\n");
		return CTL_EXIT_SERVER;
	}
	if (n > CONFIG_FILE_MAX) {
		fprintf(stderr, "fulcrumctl: %s: more than %u MiB: not a configuration file\n",
			path, CONFIG_FILE_MAX >> 20);
		free(buf);
		return CTL_EXIT_REFUSED;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return CTL_EXIT_OK;
}

static int config_export(struct ctl_transport *t, int argc, char **argv)
{
	struct ctl_transport_err err = {0};
	enum config_format fmt = CONFIG_XML;
	int64_t revision;
	size_t len;
	char *text;

	if (argc == 3 && strcmp(argv[1], "--format") == 0) {
		if (config_format_parse(argv[2], &fmt) != 0) {
			fprintf(stderr, "fulcrumctl: --format: '%s' is not xml or json\n", argv[2]);
			return CTL_EXIT_USAGE;
		}
	} else if (argc != 1) {
		return CTL_EXIT_USAGE;
	}
	if (t->ops->config_get(t, fmt, &text, &len, &revision, &err) != 0)
		return config_failed(&err);
	fwrite(text, 1, len, stdout);
	free(text);
	return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_SERVER;
}

/* Sends text as the desired state and prints what it did or why not. */
static int config_put(struct ctl_transport *t, bool json, const char *text, size_t len,
		      bool dry_run, bool prune)
{
	struct ctl_transport_err err = {0};
	json_t *result = NULL, *e;
	int rc = t->ops->config_put(t, text, len, dry_run, prune, &result, &err);
	size_t i;

	if (json && result) {
		char *d = json_dumps(result, JSON_INDENT(2));

		if (d)
			puts(d);
		free(d);
	} else if (rc == 0 && result) {
		config_apply_print(result, stdout);
	}
	if (rc != 0 && !json) {
		if (json_array_size(json_object_get(result, "errors")) == 0)
			fprintf(stderr, "fulcrumctl: %s\n", err.message);
		json_array_foreach(json_object_get(result, "errors"), i, e)
		    fprintf(stderr, "fulcrumctl: %s\n", json_string_value(e));
		if (result)
			fprintf(stderr, "fulcrumctl: nothing was changed\n");
	}
	json_decref(result);
	if (rc != 0)
		return err.exit != CTL_EXIT_OK ? (int)err.exit : CTL_EXIT_SERVER;
	return CTL_EXIT_OK;
}

static int config_apply(struct ctl_transport *t, bool json, int argc, char **argv)
{
	bool dry_run = false, prune = false;
	const char *path = NULL;
	size_t len;
	char *text;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = true;
		else if (strcmp(argv[i], "--prune") == 0)
			prune = true;
		else if (!path && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
			path = argv[i];
		else
			return CTL_EXIT_USAGE;
	}
	if (!path)
		return CTL_EXIT_USAGE;
	if ((rc = config_slurp(path, &text, &len)) != CTL_EXIT_OK)
		return rc;
	rc = config_put(t, json, text, len, dry_run, prune);
	free(text);
	return rc;
}

/* The formats users run today, each translated into a document by its importer. */
typedef int (*import_fn)(const char *text, size_t len, const char *file, bool lenient,
			 struct config_doc *doc, struct config_msgs *notes,
			 struct config_msgs *errors);
static const struct {
	const char *name;
	import_fn fn;
} importers[] = {
    {"ldirectord", config_ldirectord_read},
    {"keepalived", config_keepalived_read},
};

/*
 * --from kernel: what this namespace's IPVS holds and Fulcrum (the
 * director's, over the transport) does not manage yet.
 */
static int import_kernel(struct ctl_transport *t, struct config_doc *doc, struct config_msgs *notes,
			 struct config_msgs *errors)
{
	struct ctl_transport_err err = {0};
	struct config_msgs scratch;
	struct config_doc managed;
	int64_t revision;
	char *text;
	size_t len;
	int rc;

	if (t->ops->config_get(t, CONFIG_JSON, &text, &len, &revision, &err) != 0) {
		config_msgs_add(errors, "what Fulcrum manages: %s", err.message);
		return -EIO;
	}
	config_doc_init(&managed);
	config_msgs_init(&scratch);
	rc = config_read(CONFIG_JSON, text, len, &managed, NULL, NULL, &scratch);
	free(text);
	if (rc == 0)
		rc = config_kernel_import(&managed, doc, notes, errors);
	else
		config_msgs_add(errors, "what Fulcrum manages could not be read back");
	config_doc_clear(&managed);
	config_msgs_clear(&scratch);
	return rc;
}

/*
 * import --from FORMAT FILE: the file translated into Fulcrum's document,
 * every note and error on stderr; printed (XML, or JSON with --format json)
 * for review, or with --apply sent as the desired state (config_put()).
 */
static int config_import(struct ctl_transport *t, bool json, int argc, char **argv)
{
	bool lenient = false, do_apply = false, dry_run = false, prune = false;
	enum config_format fmt = CONFIG_XML;
	const char *from = NULL, *path = NULL;
	struct config_msgs notes, errors;
	struct config_doc doc;
	import_fn fn = NULL;
	char *text, *out;
	size_t len, olen;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if (config_format_parse(argv[++i], &fmt) != 0) {
				fprintf(stderr, "fulcrumctl: --format: '%s' is not xml or json\n",
					argv[i]);
				return CTL_EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--lenient") == 0)
			lenient = true;
		else if (strcmp(argv[i], "--apply") == 0)
			do_apply = true;
		else if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = true;
		else if (strcmp(argv[i], "--prune") == 0)
			prune = true;
		else if (!path && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
			path = argv[i];
		else
			return CTL_EXIT_USAGE;
	}
	for (size_t i = 0; from && i < sizeof(importers) / sizeof(importers[0]); i++)
		if (strcmp(from, importers[i].name) == 0)
			fn = importers[i].fn;
	if (from && strcmp(from, "kernel") == 0) {
		if (path)
			return CTL_EXIT_USAGE;
		if (prune) {
			fprintf(stderr,
				"fulcrumctl: --prune with --from kernel would delete what Fulcrum "
				"manages and the kernel lacks: not with this import\n");
			return CTL_EXIT_USAGE;
		}
		path = "kernel";
	}
	if (!from || !path || ((dry_run || prune) && !do_apply))
		return CTL_EXIT_USAGE;
	if (!fn && strcmp(from, "kernel") != 0) {
		fprintf(stderr, "fulcrumctl: --from: '%s' is not a format Fulcrum imports (", from);
		for (size_t i = 0; i < sizeof(importers) / sizeof(importers[0]); i++)
			fprintf(stderr, "%s ", importers[i].name);
		fprintf(stderr, "kernel)\n");
		return CTL_EXIT_USAGE;
	}
	config_doc_init(&doc);
	config_msgs_init(&notes);
	config_msgs_init(&errors);
	if (!fn) {
		rc = import_kernel(t, &doc, &notes, &errors);
	} else {
		if ((rc = config_slurp(path, &text, &len)) != CTL_EXIT_OK)
			return rc;
		rc = fn(text, len, strcmp(path, "-") == 0 ? "stdin" : path, lenient, &doc, &notes,
			&errors);
		free(text);
	}
	for (size_t i = 0; i < notes.n; i++)
		fprintf(stderr, "fulcrumctl: note: %s\n", notes.text[i]);
	if (notes.dropped)
		fprintf(stderr, "fulcrumctl: note: ... and %zu more\n", notes.dropped);
	for (size_t i = 0; i < errors.n; i++)
		fprintf(stderr, "fulcrumctl: %s\n", errors.text[i]);
	if (errors.dropped)
		fprintf(stderr, "fulcrumctl: ... and %zu more errors\n", errors.dropped);
	if (rc != 0) {
		fprintf(stderr, "fulcrumctl: %s: not imported (%zu errors)%s\n", path,
			errors.n + errors.dropped,
			lenient || !fn ? ""
				       : "; --lenient takes directives it does not know as notes");
		rc = rc == -EINVAL ? CTL_EXIT_REFUSED : CTL_EXIT_SERVER;
	} else if (config_doc_write(&doc, do_apply ? CONFIG_XML : fmt, &out, &olen) != 0) {
		fprintf(stderr, "fulcrumctl: out of memory\n");
		rc = CTL_EXIT_SERVER;
	} else {
		fprintf(stderr, "fulcrumctl: %s: %zu services, %zu notes\n", path, doc.nservices,
			notes.n + notes.dropped);
		if (do_apply)
			rc = config_put(t, json, out, olen, dry_run, prune);
		else
			rc = fwrite(out, 1, olen, stdout) == olen && fflush(stdout) == 0
				 ? CTL_EXIT_OK
				 : CTL_EXIT_SERVER;
		free(out);
	}
	config_doc_clear(&doc);
	config_msgs_clear(&notes);
	config_msgs_clear(&errors);
	return rc;
}

int ctl_config_run(struct ctl_transport *t, bool json, int argc, char **argv)
{
	if (strcmp(argv[0], "export") == 0)
		return config_export(t, argc, argv);
	if (strcmp(argv[0], "apply") == 0)
		return config_apply(t, json, argc, argv);
	if (strcmp(argv[0], "import") == 0)
		return config_import(t, json, argc, argv);
	return CTL_EXIT_USAGE;
}
