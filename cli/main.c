/* lamb's entry point: global options, dispatch to a cmd_*() handler, and
 * the final check that stdout really reached its destination. */
#include "cli.h"
#include "base/loop.h"
#include "samconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lamb_global lamb_global;
/* --config-file and --config-env, given before the command or after it */
static struct cli_config_opts config_opts;

static const char main_usage[] =
	"usage: lamb [-C DIR] [--debug] [--config-file FILE] [--config-env ENV] COMMAND [ARGS...]\n"
	"       lamb --version\n"
	"       lamb help [COMMAND]\n";

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "lamb %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'lamb %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int fail(const char *fmt, ...)
{
	va_list ap;
	fputs("lamb: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

const struct lamb_command *lamb_command_find(const char *name)
{
	for (const struct lamb_command *c = lamb_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void print_help(const struct lamb_command *c, FILE *out)
{
	fputs(c->usage, out);
}

static void print_overview(FILE *out)
{
	fputs(main_usage, out);
	fputs("\ncommands:\n", out);
	for (const struct lamb_command *c = lamb_commands; c->name; c++)
		fprintf(out, "  %-22s %s\n", c->name, c->summary);
	fputs("\n'lamb help COMMAND' or 'lamb COMMAND --help' for one command; man lamb for all.\n", out);
}

/* Edit distance between a and b (at most 63 bytes each are compared). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strnlen(a, 63), lb = strnlen(b, 63), row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The command of group (a first word such as "local", with its space)
 * closest to name, if any is close enough to be a typo. */
static const struct lamb_command *closest(const char *group, const char *name)
{
	const struct lamb_command *best = NULL;
	size_t best_d = 4, n = strlen(group);
	for (const struct lamb_command *c = lamb_commands; c->name; c++) {
		if (strncmp(c->name, group, n) != 0)
			continue;
		/* a prefix ("start") is as near as one typo */
		bool prefix = *name && strncmp(c->name + n, name, strlen(name)) == 0;
		size_t d = prefix ? 1 : distance(c->name + n, name);
		if (d < best_d) {
			best = c;
			best_d = d;
		}
	}
	return best;
}

/* "local" names a group of commands ("local invoke", ...) but none itself:
 * lists the group's commands, after "did you mean" for a misspelt one. */
static bool group_help(const char *group, const char *sub, FILE *out)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "%s ", group);
	size_t n = strlen(prefix);
	bool any = false;
	for (const struct lamb_command *c = lamb_commands; c->name && !any; c++)
		any = strncmp(c->name, prefix, n) == 0;
	if (!any)
		return false;
	const struct lamb_command *near = sub ? closest(prefix, sub) : NULL;
	if (sub)
		fprintf(out, "lamb: unknown command '%s %s'\n", group, sub);
	if (near)
		fprintf(out, "did you mean 'lamb %s'?\n", near->name);
	fprintf(out, "%s'lamb %s' takes a subcommand:\n", sub ? "\n" : "", group);
	for (const struct lamb_command *c = lamb_commands; c->name; c++)
		if (strncmp(c->name, prefix, n) == 0)
			fprintf(out, "  %-22s %s\n", c->name, c->summary);
	return true;
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		print_overview(stdout);
		return EXIT_OK;
	}
	char name[64];
	snprintf(name, sizeof(name), "%s%s%s", argv[1], argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
	const struct lamb_command *c = lamb_command_find(name);
	if (!c)
		c = lamb_command_find(argv[1]);
	if (!c && group_help(argv[1], argc > 2 ? argv[2] : NULL, argc > 2 ? stderr : stdout))
		return argc > 2 ? EXIT_USAGE : EXIT_OK;
	if (!c)
		return usage_error("help", "unknown command '%s'", name);
	print_help(c, stdout);
	return EXIT_OK;
}

/* The first error writing stdout: errno is long overwritten (by stopping
 * instances, removing cgroups) by the time finish_stdout runs, so the
 * flush that failed keeps it here. */
static int stdout_errno;

int cli_flush_stdout(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	if (!stdout_errno)
		stdout_errno = errno ? errno : EIO;
	return -1;
}

/* Checks that everything written to stdout was written (git's run_builtin).
 * A closed pipe (lamb local invoke | head -c1) is an error too: the user
 * asked for output that was not delivered, and saying so beats an exit 0
 * that depends on which path stopped the instances. */
static int finish_stdout(int status)
{
	int failed = cli_flush_stdout() < 0;
	if (fclose(stdout) != 0 && !failed) {
		failed = 1;
		stdout_errno = errno ? errno : EIO;
	}
	if (!failed)
		return status;
	fprintf(stderr, "lamb: cannot write to standard output: %s\n", strerror(stdout_errno));
	return status ? status : EXIT_INTERNAL;
}

/* --config-file F or --config-env E before the command: 1 when argv[*i] is
 * one (argv[*i] NULL after a usage error), 0 when not. */
static int config_opt(int argc, char **argv, int *i)
{
	const char *arg = argv[*i];
	const char **slot = cli_opt_is(arg, NULL, "--config-file") ? &config_opts.file
			    : cli_opt_is(arg, NULL, "--config-env") ? &config_opts.env
								     : NULL;
	if (!slot)
		return 0;
	const char *eq = strchr(arg, '=');
	*slot = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
	if (!*slot) {
		fprintf(stderr, "lamb: option '%s' needs a value\n", arg);
		argv[*i] = NULL;
	}
	return 1;
}

/* Runs c over its words (argv[0] its last name word), with the options of
 * the samconfig file in front of them: the one place the file applies. */
static int run(const struct lamb_command *c, int argc, char **argv)
{
	char **owned = NULL;
	bool help = false;
	if (cli_config_take(c->name, &config_opts, &argc, argv) < 0)
		return EXIT_USAGE;
	for (int i = 1; i < argc; i++)
		help |= strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0;
	/* --help needs no file, and should work beside a broken one */
	int r = help ? EXIT_OK : cli_config_apply(c, &config_opts, &argc, &argv, &owned);
	if (r == EXIT_OK)
		r = c->run(argc, argv);
	cli_config_free(owned);
	return r;
}

static int dispatch(int argc, char **argv)
{
	if (strcmp(argv[0], "help") == 0)
		return cmd_help(argc, argv);
	/* two-word commands: "local invoke" */
	if (argc >= 2) {
		char name[64];
		snprintf(name, sizeof(name), "%s %s", argv[0], argv[1]);
		const struct lamb_command *c = lamb_command_find(name);
		if (c)
			return run(c, argc - 1, argv + 1);
	}
	const struct lamb_command *c = lamb_command_find(argv[0]);
	if (c)
		return run(c, argc, argv);
	bool help = argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0);
	if (group_help(argv[0], argc > 1 && !help ? argv[1] : NULL, help ? stdout : stderr))
		return help ? EXIT_OK : EXIT_USAGE;
	fprintf(stderr, "lamb: unknown command '%s'\n", argv[0]);
	fputs(main_usage, stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	int i = 1;
	/* A closed stdout (lamb ... | head) must be an error we report, not a
	 * signal that kills lamb before it stops its instances. Children get
	 * SIGPIPE back (supervisor.c resets it before exec). */
	signal(SIGPIPE, SIG_IGN);
	const char *s = getenv("NO_COLOR");
	lamb_global.color = isatty(2) && !(s && *s);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("lamb %s\n", LAMB_VERSION);
			return finish_stdout(EXIT_OK);
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			print_overview(stdout);
			return finish_stdout(EXIT_OK);
		} else if (strcmp(argv[i], "--debug") == 0) {
			lamb_global.debug = true;
		} else if (config_opt(argc, argv, &i)) {
			if (!argv[i])
				return EXIT_USAGE;
		} else if (strcmp(argv[i], "-C") == 0 && i + 1 < argc) {
			if (chdir(argv[++i]) != 0) {
				fprintf(stderr, "lamb: cannot change to '%s': %s\n", argv[i], strerror(errno));
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "lamb: unknown option '%s'\n", argv[i]);
			fputs(main_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		print_overview(stderr);
		return EXIT_USAGE;
	}
	struct lamb_err err;
	if (lamb_loop_check_env(&err) < 0) {
		fprintf(stderr, "lamb: %s\n", err.msg);
		return EXIT_USAGE;
	}
	return finish_stdout(dispatch(argc - i, argv + i));
}
