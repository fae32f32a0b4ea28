/* Running another program to completion with posix_spawn: argv without a
 * shell, stdin from /dev/null, stdout and stderr captured or discarded. For
 * build tools and the probes of lamb init; the supervisor starts instances
 * its own way (it keeps them running, and that path is measured). */
#ifndef LAMB_SPAWN_H
#define LAMB_SPAWN_H

#include "base/err.h"
#include "base/util.h"

#include <stdbool.h>

struct lamb_spawn {
	const char *file;         /* a path, or a name looked up in PATH; NULL: argv[0] */
	const char *const *argv;  /* NULL-terminated; argv[0] names the program in errors */
	const char *const *envp;  /* NULL: lamb's own environment */
	const char *cwd;          /* NULL: lamb's own */
	bool capture_out;         /* stdout into the caller's buffer, else to /dev/null */
	bool capture_err;         /* stderr likewise, interleaved with stdout as written */
};

/* Runs s and waits; the child stays in lamb's process group, so whoever
 * stops that group (^C, a rebuild being cancelled) stops it too. Returns 0
 * when the program ran, with *status its exit code (128+N when killed by
 * signal N) and what it wrote to the captured streams appended to out (may
 * be NULL when nothing is captured); -1 with err when it could not be
 * started ("cannot exec 'npm' in /src: No such file or directory"). */
int lamb_spawn_run(const struct lamb_spawn *s, struct lamb_buf *out, int *status, struct lamb_err *err);

#endif
