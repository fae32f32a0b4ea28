/* The /var/task + /opt view of Lambda, made by lamb itself in the forked
 * child (sandbox-ns.c) or through bubblewrap: each instance
 * sees its code read-only at /var/task, its layers (merged, later ones
 * winning) at /opt, a private /tmp and /var/tmp, and the host's other
 * directories read-only, so code that hard-codes Lambda's paths runs
 * unchanged. Where the kernel allows, also its own user namespace (uid 993,
 * no capabilities) and PID namespace with its own /proc. The network (the
 * Runtime API on 127.0.0.1, guarded by a peer check) stays shared, and the
 * forked child (or bwrap) stays in lamb's process group and cgroup, so the
 * supervisor's kills and reaping apply unchanged. */
#ifndef LAMB_SANDBOX_H
#define LAMB_SANDBOX_H

#include "base/err.h"
#include "engine/bootstrap.h"
#include "engine/code.h"

#include <stdbool.h>
#include <stddef.h>

/* OFF is 0, so that a front end that says nothing gets no sandbox (its
 * functions then share the host's /tmp); lamb local invoke asks for AUTO. */
enum lamb_sandbox_mode {
	LAMB_SANDBOX_OFF,
	LAMB_SANDBOX_AUTO, /* when bwrap works here; otherwise host paths, said once */
	LAMB_SANDBOX_ON,   /* fail when it cannot be had */
};

/* lamb's own sandbox (sandbox-ns.c), where the kernel has the new mount
 * API: what the child needs to build it, prepared before the fork. */
#define LAMB_SANDBOX_MAX_EXTRA 8
struct lamb_sandbox_plan {
	char uid_map[32], gid_map[32]; /* "993 UID 1" */
	char *task;                    /* the code directory, for /var/task */
	char *opt;                     /* the layer directory for /opt, or NULL */
	char *extra[LAMB_SANDBOX_MAX_EXTRA]; /* host directories under /tmp, bound as they are */
	size_t nextra;
	char *exec_path;               /* the bootstrap's path inside */
};

void lamb_sandbox_plan_free(struct lamb_sandbox_plan *pl);
/* In a forked child, async-signal-safe: enters the plan's namespaces and
 * view. Returns 0 in the process that is to exec the bootstrap (in /var/task,
 * with no capability to gain), -1 with errno; the two processes above it
 * (a monitor, and the PID namespace's init) never return: they leave with
 * the bootstrap's exit status, or 128+N for signal N, as bwrap does.
 * Every fd but 0-2 and report_fd is closed at once, report_fd in those two. */
int lamb_sandbox_enter(const struct lamb_sandbox_plan *pl, int report_fd);

/* Parses "auto", "on", "off"; -1 for anything else. */
int lamb_sandbox_parse(const char *s);

/* Whether bwrap can build a sandbox here (tried once per process); why
 * not in why. */
bool lamb_sandbox_available(char *why, size_t n);

/* Rewrites b (built with host paths for code) to run inside the sandbox:
 * b->sandbox gets lamb's own plan where the kernel allows it (and
 * LAMB_SANDBOX_BWRAP is not set), else b->path becomes bwrap and argv
 * gains its options; in both, paths under the code
 * and layer directories become /var/task and /opt in argv and envp. A merged
 * /opt of several layers is made under code->tmp. Returns 2 when sandboxed
 * in its own user and PID namespaces, 1 when sandboxed without them (*note
 * says so), 0 when not (mode off, or auto without bwrap; *note set to a
 * message to show once, or NULL), -1 with err when mode on cannot be
 * honoured. */
int lamb_sandbox_apply(struct lamb_bootstrap *b, struct lamb_code *code, enum lamb_sandbox_mode mode,
		       const char **note, struct lamb_err *err);

#endif
