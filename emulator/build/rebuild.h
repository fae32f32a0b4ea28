/* Hot reload for functions that need a build: when the source of such a
 * function (or of one of its layers) changes, it is built again,
 * incrementally (lamb_build_function), in a child process, so the loop
 * keeps serving meanwhile. One build runs at a time (functions may share a
 * layer's build tree); others wait their turn. The caller decides what
 * happens to requests during a build (start-api and start-lambda hold them:
 * lamb_invoke_hold). The child runs with the model as it was loaded,
 * before cli_build_for_run pointed it at the built trees (built_from). */
#ifndef LAMB_REBUILD_H
#define LAMB_REBUILD_H

#include "base/err.h"
#include "base/loop.h"
#include "build/build.h"
#include "model/model.h"

/* What a build of fn gave: error NULL when it built (or was up to date);
 * else the error and the tool's output ("" when none). Strings valid
 * during the call only. */
struct lamb_rebuild_result {
	const struct lamb_function *fn;
	const char *error;
	const char *output;
	double seconds;
};

typedef void (*lamb_rebuild_fn)(void *data, const struct lamb_rebuild_result *r);

struct lamb_rebuilder;

/* m must outlive the rebuilder; build (may be NULL) says where the builds
 * go, as for lamb_build_function. done is called from the loop once per
 * finished build; a function changed again while its build ran is built
 * again, and only the last build is reported. */
struct lamb_rebuilder *lamb_rebuild_new(struct lamb_loop *loop, const struct lamb_model *m,
					const struct lamb_build_opts *build, lamb_rebuild_fn done, void *data);
/* Kills a build under way (its whole process group) and reaps it; queued
 * builds are dropped without a report. Accepts NULL. */
void lamb_rebuild_free(struct lamb_rebuilder *r);
/* Queues a build of fn (once, however often it is asked for). -1 with err
 * when fn is not a function that was built from a source directory. */
int lamb_rebuild_request(struct lamb_rebuilder *r, const struct lamb_function *fn, struct lamb_err *err);
/* Whether a build of fn is queued or under way. */
bool lamb_rebuild_pending(const struct lamb_rebuilder *r, const struct lamb_function *fn);

#endif
