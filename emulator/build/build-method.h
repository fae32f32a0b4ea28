/* Build methods, chosen as SAM chooses them: Metadata.BuildMethod, else the
 * function's runtime. python*: the source plus requirements.txt installed
 * with that interpreter's pip; nodejs*: the source plus `npm install
 * --omit=dev` (`npm ci` with a lock file); makefile: `make build-<Id>` with
 * ARTIFACTS_DIR, the default for provided* runtimes with a Makefile; anything
 * else: the source as it is. A layer's python or node build lands under
 * python/ or nodejs/, where the runtime looks for it under /opt. */
#ifndef LAMB_BUILD_METHOD_H
#define LAMB_BUILD_METHOD_H

#include "base/err.h"
#include "base/util.h"
#include "build/build-target.h"
#include "build/tree.h"

#include <stdbool.h>
#include <stdint.h>

/* A growable list of allocated strings. */
struct lamb_strlist {
	char **v;
	size_t len, cap;
};

void lamb_strlist_release(struct lamb_strlist *l);

enum lamb_method_kind {
	LAMB_METHOD_COPY,
	LAMB_METHOD_PYTHON,
	LAMB_METHOD_NODE,
	LAMB_METHOD_MAKE,
};

struct lamb_build_method {
	enum lamb_method_kind kind;
	char *name;     /* "python3.12", "nodejs20.x", "makefile", "copy"; owned */
	char *tool;     /* absolute path of the interpreter, npm or make; NULL when
			 * nothing is run (no requirements.txt, no package.json); owned */
	const char *prefix;  /* folder of the tree the code goes in: "", "python", "nodejs" */
	const char *manifest_file; /* "requirements.txt" or "package.json" that triggered the tool */
	char *warning;  /* owned; NULL when none */
	char *warning_key; /* owned: its subject, said once per run (lamb_warn_first); NULL: its words */
	uint64_t tool_id; /* identity of tool (path, size, mtime); 0 when none */
	char *version;  /* python: the interpreter's sys.version; owned */
	/* set by the caller after choosing: what pip builds for */
	struct lamb_build_target target;
	const char *wheelhouse; /* --wheelhouse, or NULL; borrowed */
	bool on_host;           /* --build-on-host */
};

/* Chooses for source directory src. build_method and runtime may be NULL.
 * A Python method runs $LAMB_PYTHON when set (as lamb invoke does), else
 * pythonX.Y from PATH, else python3 with a warning. cache_dir (may be
 * NULL): where what a compiled interpreter says of itself is remembered. */
int lamb_build_method_choose(struct lamb_build_method *bm, const char *build_method, const char *runtime,
			     bool layer, const char *src, const char *cache_dir, struct lamb_err *err);
void lamb_build_method_release(struct lamb_build_method *bm);

/* Whether the method chosen for these would run a tool (pip with a
 * requirements.txt, npm with a package.json, make), without running
 * anything to find out. */
bool lamb_build_method_has_work(const char *build_method, const char *runtime, bool layer, const char *src);

/* Names left out of the copied source (and of the input hash) for this
 * method: NULL-terminated. */
const char *const *lamb_build_method_skip(const struct lamb_build_method *bm);

/* Each line of src/requirements.txt, its leading blanks skipped, given to
 * fn until fn returns false; nothing when there is no such file. */
void lamb_build_requirements_each(const char *src, bool (*fn)(char *line, void *ctx), void *ctx);
/* Paths outside src that the build reads as well, so that they count as
 * inputs: the targets of file: dependencies in package.json, the paths in
 * requirements.txt (./wheels/x.whl, -e ../pkg, -r ../common.txt). Adds
 * absolute, allocated strings to out (caller releases them). */
void lamb_build_method_inputs(const struct lamb_build_method *bm, const char *src, struct lamb_strlist *out);

/* Builds into out (an empty directory): src_tree is src as filtered. The
 * tool's output goes to log; a failing tool fails with err naming it. */
int lamb_build_method_run(const struct lamb_build_method *bm, const char *id, const char *src,
			  const struct lamb_tree *src_tree, const char *out, struct lamb_buf *log,
			  struct lamb_err *err);

#endif
