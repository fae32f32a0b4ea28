/* What an instance of a function runs: the executable and argv chosen from
 * the runtime (the function's own bootstrap for provided*, else
 * /opt/bootstrap of a layer; lamb's Python and Node shims run by their
 * interpreter), and exactly the environment of runtime-api.md. Built once
 * per function, before any fork. Layers are reached through search paths
 * (PATH, LD_LIBRARY_PATH, PYTHONPATH, NODE_PATH) at their host location; no
 * /opt mount yet. */
#ifndef LAMB_BOOTSTRAP_H
#define LAMB_BOOTSTRAP_H

#include "base/err.h"
#include "engine/code.h"
#include "engine/env-vars.h"
#include "model/model.h"

#include <stddef.h>

/* -d PORT: which functions start under a debugger, and how. */
struct lamb_debug_opts {
	int port;                  /* 127.0.0.1:port; 0: no debugging */
	const char *function;      /* --debug-function: only this logical id; NULL: every function */
	const char *debugger_path; /* provided runtimes: the debugger that wraps the bootstrap */
	const char *debug_args;    /* its arguments, split at spaces, before the bootstrap */
};

struct lamb_bootstrap_opts {
	const char *runtime_dir;        /* lamb's runtime/ folder; NULL: lamb_bootstrap_runtime_dir() */
	const char *region;             /* NULL: from the function's ARN, else us-east-1 */
	const struct lamb_env_vars *env_vars; /* --env-vars: win over the template's (env-vars.h); may be NULL */
	char *const *user_env;          /* for PATH, credentials; NULL: environ */
	const struct lamb_kvs *layer_dirs; /* ARN=DIR for layers given by ARN */
	int sandbox;                    /* enum lamb_sandbox_mode (sandbox.h); 0: off */
	const struct lamb_debug_opts *debug; /* may be NULL */
};

/* Everything owned by the struct; _init/_release. */
struct lamb_sandbox_plan;

struct lamb_bootstrap {
	char *path;     /* absolute path of the executable */
	char *name;     /* for messages: "bootstrap", "python3.12" */
	char **argv;
	char **envp;    /* holds an AWS_LAMBDA_RUNTIME_API slot, see _set_api */
	char *warning;  /* a note for the user (interpreter fallback), or NULL */
	char *warning_key; /* its subject, said once per run (lamb_warn_first); NULL: its words */
	struct lamb_sandbox_plan *sandbox; /* lamb_sandbox_apply's, or NULL */
	/* Under a debugger (-d PORT), for the one instance a debugger holds:
	 * Python under debugpy, Node with --inspect-brk, provided through
	 * --debugger-path; NULL when this function is not debugged. */
	char *debug_path;
	char **debug_argv;
	size_t api_slot;
	size_t nenv, capenv;
};

/* The errors of lamb_bootstrap_init known without looking at the disk: a
 * function that cannot run locally, a runtime lamb does not run. */
int lamb_bootstrap_check(const struct lamb_function *fn, struct lamb_err *err);
/* Fails for a function that cannot run here, with the reason. code is
 * where its code and layers are (lamb_code_init); not kept. Slow when the
 * interpreter is a version manager's shim not yet asked for its real
 * executable (a child runs; the answer is cached on disk): pools run it on
 * a worker thread, never on the loop. */
int lamb_bootstrap_init(struct lamb_bootstrap *b, const struct lamb_function *fn, const struct lamb_code *code,
			const struct lamb_bootstrap_opts *opts, struct lamb_err *err);
void lamb_bootstrap_release(struct lamb_bootstrap *b);
/* Which host interpreter runs functions of runtime (python*, nodejs*)
 * from cwd, its version, and what lamb says about the choice, on one line
 * (allocated). Runs the interpreter once per executable (cached). */
char *lamb_bootstrap_describe(const char *runtime, const char *cwd);
/* Sets AWS_LAMBDA_RUNTIME_API=address in envp (one instance's value). */
void lamb_bootstrap_set_api(struct lamb_bootstrap *b, const char *address);

/* $LAMB_RUNTIME_DIR, else the source tree's runtime/ when lamb runs from its
 * build tree, else the installed DATADIR/runtime. Static storage. */
const char *lamb_bootstrap_runtime_dir(void);

#endif
