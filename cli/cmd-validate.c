/* lamb validate: load and resolve the template, check it against the
 * resource schemas (emulator/model/validate.c), print every diagnostic. */
#include "cli-template.h"
#include "cli.h"

#include "base/util.h"
#include "model/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The schema checks on top of loading; without the schema file the rest
 * still runs, and a warning says what was skipped. */
static void check(const struct lamb_model *m, struct lamb_diags *diags)
{
	cleanup_free char *path = cli_data_path("data/schemas.txt");
	struct lamb_err err;
	struct lamb_schemas *s = lamb_schemas_open(path, &err);
	if (!s)
		lamb_diags_add_rule(diags, LAMB_WARNING, NULL, "schemas", NULL,
				    "%s: resource types and properties are not checked", err.msg);
	lamb_validate(m, s, diags);
	lamb_schemas_close(s);
}

/* -q: the warnings go. */
static void drop_warnings(struct lamb_diags *d)
{
	size_t out = 0;
	for (size_t i = 0; i < d->len; i++) {
		if (d->v[i].severity == LAMB_ERROR) {
			d->v[out++] = d->v[i];
			continue;
		}
		free(d->v[i].file);
		free(d->v[i].msg);
		free(d->v[i].suggestion);
	}
	d->len = out;
}

int cmd_validate(int argc, char **argv)
{
	struct template_opts o;
	bool json = false, quiet = false;
	template_opts_init(&o);
	for (int i = 1; i < argc; i++) {
		int r = template_opts_parse(&o, "validate", argc, argv, &i);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			quiet = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			print_help(lamb_command_find("validate"), stdout);
			return EXIT_OK;
		} else
			return usage_error("validate", "unknown argument '%s'", argv[i]);
	}
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = template_opts_load(&o, &diags);
	if (m)
		check(m, &diags);
	lamb_diags_sort(&diags);
	if (quiet)
		drop_warnings(&diags);
	if (json) {
		char *s = lamb_diags_json(&diags);
		puts(s);
		free(s);
	} else {
		lamb_diags_print(&diags, stderr);
	}
	int status = diags.errors ? EXIT_FAIL : EXIT_OK;
	if (!json && !quiet && !diags.errors && m)
		fprintf(stderr, "%s is a valid SAM template%s\n", o.path,
			diags.len ? " (with warnings)" : "");
	lamb_model_free(m);
	lamb_diags_release(&diags);
	template_opts_release(&o);
	return status;
}
