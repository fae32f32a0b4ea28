/* SnapStart by fork: a function with SnapStart {ApplyOn: PublishedVersions}
 * runs its init once, in the snapshot (an instance like any other, with a
 * control socket as its stdin); the runtime then runs its before-snapshot
 * hooks and waits. Each new instance is forked from it on request, joins
 * its own cgroup, gets its own stdout, stderr and Runtime API, runs the
 * after-restore hooks and calls /next: the time to that /next is its
 * Restore Duration. The pool (pool.c) drives it; this file owns the
 * snapshot's process and the protocol on its socket. */
#ifndef LAMB_SNAPSTART_H
#define LAMB_SNAPSTART_H

#include "base/err.h"
#include "base/loop.h"
#include "engine/bootstrap.h"
#include "engine/supervisor.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>

/* Whether lamb restores fn's instances from a snapshot: SnapStart on a
 * Python runtime (runtime/python is the one lamb runtime that forks
 * safely; see lamb-template(5)). */
bool lamb_snapstart_applies(const struct lamb_function *fn);

struct lamb_snap;

struct lamb_snap_ops {
	/* The snapshot is made: restores may begin. */
	void (*ready)(void *data);
	/* It ended: before it was ready (init failed: body is the /init/error
	 * document, or empty, and why says how), or after (ready: killed,
	 * crashed). The owner frees it, deferred. */
	void (*ended)(void *data, bool ready, const char *why, const char *body, size_t len);
	/* A line of the snapshot's output (its init's log). */
	void (*line)(void *data, const char *line, size_t len);
};

/* Starts the snapshot's init: spec is the instance's (its envp carries
 * AWS_LAMBDA_INITIALIZATION_TYPE=snap-start), b the bootstrap whose
 * AWS_LAMBDA_RUNTIME_API slot is set for it. init_ms: how long its init may
 * take. private_tmp: each restored instance mounts a /tmp of its own (it
 * runs in lamb's sandbox, in a user namespace of its own). NULL with err
 * when it cannot start. */
struct lamb_snap *lamb_snap_new(struct lamb_loop *loop, struct lamb_supervisor *sup, struct lamb_bootstrap *b,
				const struct lamb_proc_spec *spec, uint64_t init_ms, bool private_tmp,
				const struct lamb_snap_ops *ops, void *data, struct lamb_err *err);
/* Kills the snapshot and every instance restored from it. Accepts NULL. */
void lamb_snap_free(struct lamb_snap *s);
/* For new code: no more restores; the snapshot lives on until the last
 * instance restored from it has exited (they finish their invocation), then
 * it is freed. No callback after this. */
void lamb_snap_retire(struct lamb_snap *s);
bool lamb_snap_ready(const struct lamb_snap *s);

struct lamb_restore;
/* The restore's end: proc (adopted, with on_line and on_exit as a spawned
 * instance's) or NULL and why. */
typedef void (*lamb_restored_fn)(void *data, struct lamb_proc *proc, const char *why);

/* Asks the snapshot for a new instance whose Runtime API is at address;
 * done comes from the loop once it is forked and adopted. NULL with err
 * when the snapshot is not ready or cannot be asked. */
struct lamb_restore *lamb_snap_restore(struct lamb_snap *s, const char *address, long memory_mb,
				       lamb_proc_line_fn on_line, lamb_proc_exit_fn on_exit, void *data,
				       lamb_restored_fn done, struct lamb_err *err);
/* The instance is gone before done: no done call; a process that comes is
 * killed. */
void lamb_restore_cancel(struct lamb_restore *r);

#endif
