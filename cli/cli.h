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

/* Flushes stdout; on failure remembers the first error, which main()
 * reports as "cannot write to standard output" when the command ends, and
 * returns -1 so that a command can stop early. */
int cli_flush_stdout(void);

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
/* "-x", "--long" or "--long=..." */
bool cli_opt_is(const char *arg, const char *short_name, const char *long_name);
/* The option's value (after '=' or the next word); NULL after printing a
 * usage error when there is none. Advances *i past what it used. */
const char *cli_opt_value(const char *cmd, int argc, char **argv, int *i);
/* The option's value as a number in [min, max]; -1 after a usage error. */
int cli_opt_number(const char *cmd, int argc, char **argv, int *i, long min, long max, long *out);

/* The options every long-running server command takes. */
struct serve_opts {
	const char *host;       /* --host (127.0.0.1) */
	long port;              /* -p/--port */
	const char *log_path;   /* -l/--log-file */
	long max_concurrency;   /* --max-concurrency (10) */
	long idle_timeout_s;    /* --idle-timeout (600) */
	bool no_build;          /* --no-build */
	bool eager;             /* --warm-containers EAGER: an instance of each function at start */
	bool no_stream_limits;  /* --no-stream-limits: streamed responses unbounded and unpaced */
	long dashboard_port;    /* --dashboard-port (0: any free port) */
	bool no_dashboard;      /* --no-dashboard */
};

void serve_opts_init(struct serve_opts *o, long default_port);
/* Consumes argv[*i] (and its value) when it is one of the shared options:
 * 1; 0 when it is not; -1 after printing a usage error. */
int serve_opts_parse(struct serve_opts *o, const char *cmd, int argc, char **argv, int *i);

struct lamb_loop;
/* Warns on stderr when host is not a loopback address. */
void cli_warn_host(const char *host);
struct lamb_invoker;
struct lamb_model;
struct cli_reload;
/* Hot reload: watches each function's code directory and its local layers
 * (the sources, for a function lamb built before running it). A change
 * retires the function's instances; one that needs a build is rebuilt
 * first, in a child process, while its requests wait, and a failed build
 * fails them until the next change. eager: start an instance again after
 * a reload. NULL (after a warning) when inotify is unavailable. */
struct cli_reload *cli_reload_new(struct lamb_loop *loop, struct lamb_invoker *iv, const struct lamb_model *m,
				  bool eager);
void cli_reload_free(struct cli_reload *r);
struct lamb_dashboard;
/* The dashboard (front/dashboard.h) on --dashboard-port, said on stderr,
 * its invocations fed through *slot (lamb_invoke_opts.observe_data); NULL
 * with --no-dashboard or after a warning. api_url: where routes are served,
 * or NULL. */
struct lamb_dashboard *cli_dashboard_new(const struct serve_opts *o, struct lamb_loop *loop,
					 struct lamb_invoker *iv, const struct lamb_model *m, const char *api_url,
					 struct lamb_dashboard **slot);
/* The same, with lamb local start's queues, buckets and schedules
 * (lamb_dashboard_opts.describe). */
struct lamb_dashboard *cli_dashboard_with(const struct serve_opts *o, struct lamb_loop *loop,
					  struct lamb_invoker *iv, const struct lamb_model *m, const char *api_url,
					  void (*describe)(void *data, FILE *out), void *describe_data,
					  struct lamb_dashboard **slot);

/* Runs loop until SIGINT or SIGTERM; EXIT_OK, or EXIT_FAIL when the loop
 * failed (printed). */
int cli_serve(struct lamb_loop *loop);

int cmd_validate(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_package(int argc, char **argv);
int cmd_generate_event(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_local_invoke(int argc, char **argv);
int cmd_local_start(int argc, char **argv);
int cmd_local_clock(int argc, char **argv);
int cmd_local_reset(int argc, char **argv);
int cmd_local_start_api(int argc, char **argv);
int cmd_local_start_lambda(int argc, char **argv);
int cmd_local_bench(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_remote_invoke(int argc, char **argv);
int cmd_sync(int argc, char **argv);
/* lamb list stack-outputs, and lamb list endpoints --stack-name (list-stack.c) */
bool list_stack_wanted(int argc, char **argv);
int cmd_list_stack(int argc, char **argv);
int cmd_logs(int argc, char **argv);

#endif
