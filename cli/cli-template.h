/* Options every template-reading command shares (-t, --parameter-overrides,
 * --region) and the template lookup of the CLI contract. */
#ifndef LAMB_CLI_TEMPLATE_H
#define LAMB_CLI_TEMPLATE_H

#include "model/model.h"

struct template_opts {
	const char *path; /* -t, or the one found in the current directory */
	struct lamb_overrides overrides;
	const char *region;
	bool lenient; /* set by the local commands: lamb_model_opts.lenient */
	char *profile_region; /* owned: the region run_opts_profile found */
};

void template_opts_init(struct template_opts *o);
void template_opts_release(struct template_opts *o);
/* Consumes argv[*i] (and its value) when it is a template option: returns 1.
 * Returns 0 when it is not one, -1 (message printed) when it is malformed. */
int template_opts_parse(struct template_opts *o, const char *cmd, int argc, char **argv, int *i);
/* Finds the template (-t, else $SAM_TEMPLATE_FILE as SAM CLI reads it,
 * else template.yaml|yml|json here) and loads the model; problems go to
 * diags. */
struct lamb_model *template_opts_load(struct template_opts *o, struct lamb_diags *diags);

#endif
