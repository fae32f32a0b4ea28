/* Template options and lookup: -t FILE, else $SAM_TEMPLATE_FILE (the
 * environment default SAM CLI gives -t), else template.yaml, template.yml,
 * template.json in the current directory. */
#include "base/util.h"
#include "cli-template.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void template_opts_init(struct template_opts *o)
{
	memset(o, 0, sizeof(*o));
	lamb_overrides_init(&o->overrides);
}

void template_opts_release(struct template_opts *o)
{
	lamb_overrides_release(&o->overrides);
	free(o->profile_region);
}

int template_opts_parse(struct template_opts *o, const char *cmd, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];
	if (cli_opt_is(arg, "-t", "--template") || cli_opt_is(arg, NULL, "--template-file")) {
		o->path = cli_opt_value(cmd, argc, argv, i);
		return o->path ? 1 : -1;
	}
	if (cli_opt_is(arg, NULL, "--region")) {
		o->region = cli_opt_value(cmd, argc, argv, i);
		return o->region ? 1 : -1;
	}
	if (cli_opt_is(arg, NULL, "--parameter-overrides")) {
		const char *v = cli_opt_value(cmd, argc, argv, i);
		if (!v)
			return -1;
		/* the value, and every following word that is not an option */
		for (;;) {
			struct lamb_err err;
			if (lamb_overrides_add(&o->overrides, v, &err) < 0) {
				usage_error(cmd, "%s", err.msg);
				return -1;
			}
			if (*i + 1 >= argc || argv[*i + 1][0] == '-')
				break;
			if (!strchr(argv[*i + 1], '=') && !str_starts(argv[*i + 1], "file://"))
				break;
			v = argv[++*i];
		}
		return 1;
	}
	return 0;
}

static const char *find_template(void)
{
	static const char *const names[] = { "template.yaml", "template.yml", "template.json" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (access(names[i], F_OK) == 0)
			return names[i];
	return NULL;
}

struct lamb_model *template_opts_load(struct template_opts *o, struct lamb_diags *diags)
{
	const char *env = getenv("SAM_TEMPLATE_FILE");
	if (!o->path && env && *env)
		o->path = env;
	if (!o->path)
		o->path = find_template();
	if (!o->path) {
		lamb_error(diags, NULL, "no template.yaml, template.yml or template.json here; "
				  "name one with -t FILE");
		return NULL;
	}
	struct lamb_model_opts mo = { .overrides = &o->overrides, .region = o->region, .lenient = o->lenient };
	return lamb_model_load(o->path, &mo, diags);
}
