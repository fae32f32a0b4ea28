/* Starting and watching the processes of function instances: fork/exec with
 * argv and envp built beforehand, one process group per instance, stdout and
 * stderr forwarded line by line to a log, reaping through the loop's SIGCHLD,
 * memory limits (a cgroup v1 memory group when the machine lets us create
 * one, cgroup v2's memory.max where v1 has none, else sampling of the
 * group's RSS), CPU in proportion to MemorySize (engine/cgroup.h), and
 * killing whole groups. Never
 * RLIMIT_AS: interpreters such as Node reserve huge address ranges. */
#ifndef LAMB_SUPERVISOR_H
#define LAMB_SUPERVISOR_H

#include "base/err.h"
#include "base/loop.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct lamb_supervisor;
struct lamb_proc;
struct lamb_sandbox_plan;

/* Called with each line of the process's output as it is forwarded to the
 * log (len bytes, no newline; data is the spawn's data). Never after
 * lamb_proc_detach. */
typedef void (*lamb_proc_line_fn)(void *data, const char *line, size_t len);

struct lamb_proc_spec {
	const char *path;          /* absolute path of the executable */
	const char *name;          /* for messages: "bootstrap" */
	char *const *argv;         /* NULL-terminated */
	char *const *envp;         /* NULL-terminated, exactly the child's environment */
	const char *cwd;
	long memory_mb;            /* 0: no limit */
	lamb_proc_line_fn on_line; /* optional */
	bool pid_namespace;        /* it starts a PID namespace's init: all of it dies with it */
	/* lamb's own sandbox to enter between fork and exec (sandbox.h), or
	 * NULL; then path stays the host's (checked before the fork), the
	 * plan's exec_path is exec'ed, and cwd is /var/task */
	const struct lamb_sandbox_plan *sandbox;
	/* > 0: the child's stdin instead of /dev/null (a SnapStart snapshot's
	 * control socket, engine/snapstart.c; the extensions' gate,
	 * engine/extensions.c); not closed */
	int stdin_fd;
};

/* Called once when the process has exited and been reaped (its group has
 * been killed and its output drained by then). status is a wait status.
 * The proc is freed after this returns. */
typedef void (*lamb_proc_exit_fn)(void *data, struct lamb_proc *p, int status);

/* log: where the children's output goes (not owned; stderr by default). */
struct lamb_supervisor *lamb_supervisor_new(struct lamb_loop *loop, FILE *log);
/* Kills every remaining group, reaps the processes, removes cgroups. No
 * exit callbacks run. Accepts NULL. */
void lamb_supervisor_free(struct lamb_supervisor *s);
void lamb_supervisor_set_log(struct lamb_supervisor *s, FILE *log);

/* "cgroup" or "sampling": how memory limits are enforced here. */
const char *lamb_supervisor_memory_method(const struct lamb_supervisor *s);
/* Whether instances get CPU in proportion to their MemorySize (a CPU
 * cgroup, and LAMB_CPU_SCALE is not "off"). */
bool lamb_supervisor_cpu_scaled(const struct lamb_supervisor *s);
/* Why there is no CPU cgroup, when scaling was asked for and none could
 * be had (the reason of the one notice); NULL otherwise. */
const char *lamb_supervisor_cpu_missing(const struct lamb_supervisor *s);

/* Starts a process. On failure (a cwd it cannot enter, "cannot change to
 * 'DIR': REASON"; an executable it cannot run, "cannot exec 'NAME': REASON",
 * both checked before the fork) returns NULL with err; nothing is left
 * running. Never waits for the child to reach exec: a failure there (rare:
 * a race with the checks, a bad executable format) is the exit callback's,
 * with status 127 and lamb_proc_start_error saying why. The proc belongs to
 * the supervisor. */
struct lamb_proc *lamb_supervisor_spawn(struct lamb_supervisor *s, const struct lamb_proc_spec *spec,
					lamb_proc_exit_fn fn, void *data, struct lamb_err *err);

/* A process lamb did not fork, taken in as an instance (a SnapStart
 * restore: the snapshot's child, pid as lamb's PID namespace sees it, the
 * leader of its own process group). It joins a cgroup of its own with
 * memory_mb's limit now, so the caller adopts it before it runs anything of
 * the function's; out and errfd (taken) are the read ends of its stdout and
 * stderr. Its parent reaps it: the exit callback comes from
 * lamb_proc_exited, called by whoever learns the status. */
struct lamb_proc *lamb_supervisor_adopt(struct lamb_supervisor *s, pid_t pid, const char *name, long memory_mb,
					int out, int errfd, lamb_proc_line_fn on_line, lamb_proc_exit_fn fn,
					void *data);
/* An adopted process has exited with status (a wait status): as SIGCHLD
 * for a child. Nothing once it was. */
void lamb_proc_exited(struct lamb_proc *p, int status);

/* SIGKILL to the whole process group (and the cgroup). The exit callback
 * still follows, from the loop. */
void lamb_proc_kill(struct lamb_proc *p);
/* Forwards what the process has written so far, now, so that it precedes
 * what the caller logs next (an answer on the Runtime API can overtake
 * output the runtime wrote before it); a last line without its newline is
 * ended there, as the invocation's. */
void lamb_proc_drain(struct lamb_proc *p);
/* Forget the owner: no exit or line callback will be made. */
void lamb_proc_detach(struct lamb_proc *p);
pid_t lamb_proc_pid(const struct lamb_proc *p);
/* Whether the other end of the connection fd (a loopback TCP socket) is
 * held by the process or one of its descendants (its orphans included: the
 * process is their subreaper). */
bool lamb_proc_owns_peer(const struct lamb_proc *p, int fd);
/* The peak resident memory of the instance so far, in MB (rounded up). */
long lamb_proc_max_memory_mb(struct lamb_proc *p);
/* The instance finished its init: from now on it gets its MemorySize's
 * share of CPU (none before: see supervisor.c). */
void lamb_proc_init_done(struct lamb_proc *p);
/* Why the process could not exec, once it has exited (127); or NULL. */
const char *lamb_proc_start_error(const struct lamb_proc *p);
/* True when the memory limit killed it. */
bool lamb_proc_oom(const struct lamb_proc *p);
/* Writes "exit status 7" or "signal: killed" for a wait status. */
void lamb_proc_describe_status(int status, char *buf, size_t n);

#endif
