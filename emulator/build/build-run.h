/* Running a build tool (pip, npm, make) to completion: argv without a
 * shell, in a given directory, with a few variables added to lamb's own
 * environment (the user's PIP_*, npm_config_* and PATH must reach the tool),
 * stdin from /dev/null and stdout+stderr captured for the error report. */
#ifndef LAMB_BUILD_RUN_H
#define LAMB_BUILD_RUN_H

#include "base/err.h"
#include "base/util.h"

struct lamb_run {
	const char *const *argv;   /* argv[0]: a path, or a name looked up in PATH */
	const char *cwd;           /* NULL: lamb's own */
	const char *const *setenv; /* "K=V" added or replaced; NULL-terminated; may be NULL */
};

/* Runs r and waits. Returns 0 when the program ran, with *status its exit
 * code (128+N when killed by signal N) and its output appended to out;
 * -1 with err when it could not be started ("cannot exec 'npm': ..."). */
int lamb_build_run(const struct lamb_run *r, struct lamb_buf *out, int *status, struct lamb_err *err);

/* name searched in $PATH (or name itself when it holds a '/'): an absolute
 * path to an executable, allocated (caller frees), or NULL. */
char *lamb_build_which(const char *name);

#endif
