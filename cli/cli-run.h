/* Options every command that runs functions shares (local invoke,
 * start-api, start-lambda, bench): --env-vars FILE, --layer-dir ARN=DIR,
 * --sandbox, --cpu-scale on|off (LAMB_CPU_SCALE for the supervisor),
 * --log-retention SIZE (the local log store's rotation), -d PORT and the
 * other debugging options (not for bench),
 * and loading the file once for all of the template's functions. */
#ifndef LAMB_CLI_RUN_H
#define LAMB_CLI_RUN_H

#include "cli-template.h"
#include "engine/bootstrap.h"
#include "engine/env-vars.h"
#include "engine/logstore.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct run_opts {
	const char *env_path;          /* --env-vars */
	struct lamb_kvs layer_dirs;    /* --layer-dir ARN=DIR, owned */
	struct lamb_env_vars *env_vars; /* after run_opts_load; NULL without --env-vars */
	const char *profile;           /* --profile */
	char **user_env;               /* after run_opts_profile: the environment with the
					* profile's credentials, for lamb_bootstrap_opts */
	int sandbox;                   /* --sandbox: enum lamb_sandbox_mode, AUTO unless said */
	uint64_t log_retention;        /* --log-retention SIZE: bytes per function's log; 0 default */
	struct lamb_debug_opts debug;  /* -d PORT, --debug-function, --debugger-path, --debug-args */
};

void run_opts_init(struct run_opts *o);
void run_opts_release(struct run_opts *o);
/* Consumes argv[*i] (and its value) when it is --env-vars (or -n, when
 * short_n), --layer-dir, --sandbox or --cpu-scale: 1; 0 when it is not; -1 after a usage error. */
int run_opts_parse(struct run_opts *o, const char *cmd, bool short_n, int argc, char **argv, int *i);
/* The credentials and region of --profile (else AWS_PROFILE, else the
 * default profile), as SAM CLI passes them to a function: credentials into
 * o->user_env, the region into t->region unless --region or AWS_REGION
 * says one. Call before loading the template. EXIT_OK, or EXIT_FAIL after
 * printing why (a profile named but absent). */
int run_opts_profile(struct run_opts *o, struct template_opts *t);
/* Loads --env-vars, and warns about variables the template does not
 * declare (for only, or every function) and blocks that name no function.
 * EXIT_OK, or EXIT_FAIL after printing why. */
int run_opts_load(struct run_opts *o, const struct lamb_model *m, const struct lamb_function *only);
/* The local log store of m (<template dir>/.lamb/logs), for
 * lamb_invoke_opts.logs; NULL after a warning when it cannot be made (the
 * command runs on without). Free it before the loop (lamb_logstore_free). */
struct lamb_logstore *run_logs_open(const struct run_opts *o, struct lamb_loop *loop, const struct lamb_model *m);
/* "10M", "512K", "1G" or bytes; -1 when s is none of those. */
int run_parse_size(const char *s, uint64_t *bytes);
/* The event of -e PATH: the file, standard input for "-", "{}" without
 * one. Allocated, *len its size; NULL after printing why. */
char *run_read_event(const char *path, size_t *len);
/* The function named id, or the template's only one; NULL after printing
 * why (no such function; none; several, listed, when id is NULL). */
const struct lamb_function *run_pick_function(const struct lamb_model *m, const char *id);

#endif
