/* lamb validate: load and resolve the template, print every diagnostic. */
#include "cli-template.h"
#include "cli.h"

#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_validate(int argc, char **argv)
{
	struct template_opts o;
	bool json = false;
	template_opts_init(&o);
	for (int i = 1; i < argc; i++) {
		int r = template_opts_parse(&o, "validate", argc, argv, &i);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			print_help(lamb_command_find("validate"), stdout);
			return EXIT_OK;
		} else
			return usage_error("validate", "unknown argument '%s'", argv[i]);
	}
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = template_opts_load(&o, &diags);
	lamb_diags_sort(&diags);
	if (json) {
		char *s = lamb_diags_json(&diags);
		puts(s);
		free(s);
	} else {
		lamb_diags_print(&diags, stderr);
	}
	int status = diags.errors ? EXIT_FAIL : EXIT_OK;
	if (!json && !diags.errors && m)
		fprintf(stderr, "%s is a valid SAM template%s\n", o.path,
			diags.len ? " (with warnings)" : "");
	lamb_model_free(m);
	lamb_diags_release(&diags);
	template_opts_release(&o);
	return status;
}
