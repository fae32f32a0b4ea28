/* Shared by the cmd-*.c files: the command table entry, option parsing
 * helpers and the global options. Only cli/ prints to stdout or exits. */
#ifndef LAMB_CLI_H
#define LAMB_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct lamb_global {
	bool debug;
	bool color; /* stderr is a terminal and NO_COLOR is unset */
};

extern struct lamb_global lamb_global;

/* Exit codes of the command-line contract. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,  /* function failed, template invalid */
	EXIT_USAGE = 2,
	EXIT_INTERNAL = 3,
};

struct lamb_command {
	const char *name;    /* "validate", "local invoke" */
	const char *summary; /* one line for `lamb help` */
	const char *usage;   /* the --help text */
	int (*run)(int argc, char **argv);
};

const struct lamb_command *lamb_command_find(const char *name);
extern const struct lamb_command lamb_commands[];

/* Prints "lamb: MSG" to stderr. Returns EXIT_USAGE / EXIT_FAIL for brevity. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_help(const struct lamb_command *c, FILE *out);

/* DIR/SUB for lamb's data files ("events", "templates"): $LAMB_DATA_DIR,
 * else the source tree when lamb runs from its build tree, else the
 * installed datadir. Caller frees. */
char *cli_data_path(const char *sub);

int cmd_validate(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_generate_event(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_local_invoke(int argc, char **argv);
int cmd_local_start_api(int argc, char **argv);

#endif
