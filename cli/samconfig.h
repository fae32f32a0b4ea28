/* samconfig.toml / samconfig.yaml, as SAM CLI reads them: version = 0.1,
 * then [ENV.COMMAND.parameters] (COMMAND as SAM spells it: deploy,
 * local_invoke, local_start_api, global...) whose keys are options with
 * '_' for '-'. Applied in one place (main.c's dispatch) by turning the keys
 * into options in front of the command's own: a flag on the command line
 * wins over the file, the file over the defaults. */
#ifndef LAMB_SAMCONFIG_H
#define LAMB_SAMCONFIG_H

#include "cli.h"

struct cJSON;

/* --config-file and --config-env: NULL when not given. */
struct cli_config_opts {
	const char *file;
	const char *env;
};

/* Takes --config-file F and --config-env E (either form) out of argv[1..]
 * into o, compacting argv; *argc shrinks. -1 after a usage error. */
int cli_config_take(const char *cmd, struct cli_config_opts *o, int *argc, char **argv);

/* Reads path (TOML, or YAML when it ends in .yaml/.yml) into a tree;
 * NULL after printing why. */
struct cJSON *cli_config_read(const char *path);

/* The SAM section name of c ("local start-api" -> "local_start_api";
 * "list" with its first word: "list_endpoints"). Caller frees. */
char *cli_config_section(const struct lamb_command *c, int argc, char **argv);

/* The file o names, else samconfig.toml, .yaml or .yml here when one is:
 * *argv (argc words, argv[0] the command) gets the options of its ENV's
 * global and command sections that c takes and argv lacks, after argv[0].
 * The new argv is allocated (*owned holds it, to free with the strings);
 * EXIT_OK, or an exit code after printing why. */
int cli_config_apply(const struct lamb_command *c, const struct cli_config_opts *o, int *argc, char ***argv,
		     char ***owned);
void cli_config_free(char **owned);

/* Sets params' keys in [env.section.parameters] of the TOML file path
 * (made, with version = 0.1, when missing; its other keys and sections
 * kept, its comments not) and writes it back whole. EXIT_OK, or EXIT_FAIL
 * printed. */
int cli_config_save(const char *path, const char *env, const char *section, const struct cJSON *params);

#endif
