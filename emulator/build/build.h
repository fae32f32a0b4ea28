/* lamb build: every function and layer of a model (or the one named) built
 * into <build dir>/<LogicalId>/, zipped into <build dir>/artifacts/, and
 * <build dir>/template.yaml pointing at the zips. Incremental through
 * <build dir>/manifest.json; a failed build leaves the previous artifact
 * as it was. See build-method.h for what each method does, tree.h for what
 * is left out and how symlinks are stored, zip.h for reproducibility. */
#ifndef LAMB_BUILD_H
#define LAMB_BUILD_H

#include "base/err.h"
#include "model/model.h"

#include <stdbool.h>
#include <stdint.h>

/* Lambda's limits. */
#define LAMB_BUILD_MAX_ZIPPED (50ULL * 1024 * 1024)
#define LAMB_BUILD_MAX_UNZIPPED (250ULL * 1024 * 1024)
#define LAMB_BUILD_MAX_LAYERS 5

enum lamb_build_state {
	LAMB_BUILD_STARTED, /* about to check and maybe build: for a live line */
	LAMB_BUILD_BUILT,
	LAMB_BUILD_CACHED, /* up to date: nothing was rewritten */
	LAMB_BUILD_FAILED,
};

/* What happened to one artifact; strings borrowed for the callback only. */
struct lamb_build_report {
	const char *id;
	bool layer;
	const char *method;  /* "python3.12", "nodejs20.x", "makefile", "copy" */
	enum lamb_build_state state;
	double seconds;
	uint64_t zipped, unzipped;
	const char *error;   /* FAILED: what went wrong */
	const char *output;  /* FAILED: the tool's own output ("" when none) */
	const char *warning; /* NULL, or something the user should know */
	const char *warning_key; /* its subject (lamb_warn_first), or NULL for its words */
};

typedef void (*lamb_build_progress_fn)(const struct lamb_build_report *r, void *data);
/* One problem the native-code doctor found (doctor.h): a whole line, borrowed. */
typedef void (*lamb_build_problem_fn)(const char *line, void *data);

struct lamb_build_opts {
	const char *build_dir; /* NULL: <template dir>/.lamb/build */
	const char *only;      /* a function (with its layers) or a layer; NULL: all */
	bool no_cached;        /* rebuild what is up to date too */
	bool parallel;         /* build independent artifacts at once */
	int jobs;              /* with parallel; 0: one per CPU */
	lamb_build_progress_fn progress; /* per artifact: STARTED, then the outcome; may be NULL */
	void *data;
	const char *wheelhouse; /* a folder of wheels pip looks in first (--find-links); NULL: none */
	bool on_host;          /* --build-on-host: pip installs for this machine, not the target */
	lamb_build_problem_fn problem; /* the doctor's findings, with data; may be NULL */
	const char *base_libs; /* the doctor's list of Lambda's base-image libraries (a data
				* file, see doctor.h); NULL: libraries are not checked */
	bool doctor_reads_all;  /* the doctor opens every file again rather than replay the
				 * findings it kept for unchanged trees (--check: a tree
				 * edited by hand in the build folder is checked too) */
};

/* Builds and writes the manifest and template.yaml. Returns 0 when every
 * artifact built or was up to date; -1 with err otherwise (each failure has
 * been reported through progress first). */
int lamb_build(const struct lamb_model *m, const struct lamb_build_opts *o, struct lamb_err *err);

/* For the invoke path: builds fn and its layers (incrementally) and sets
 * *code_dir to the built tree <build dir>/<LogicalId> (allocated, caller
 * frees). fn's code must be a local directory. */
int lamb_build_function(const struct lamb_model *m, const struct lamb_function *fn,
			const struct lamb_build_opts *o, char **code_dir, struct lamb_err *err);

/* Whether fn needs building before it runs: its code is a local directory
 * and its method, or that of one of its template layers, runs a tool (pip
 * with requirements.txt, npm with package.json, make). Runs nothing. A
 * function that does not can run straight from its source. */
bool lamb_build_needed(const struct lamb_function *fn);

/* <build dir>/<id>: the built tree of function or layer id (what
 * lamb_build_function leaves there for fn's layers). Allocated. */
char *lamb_build_tree_dir(const struct lamb_model *m, const struct lamb_build_opts *o, const char *id);

/* The build folder o (or the default) names for m: allocated, absolute. */
char *lamb_build_dir(const struct lamb_model *m, const struct lamb_build_opts *o);

#endif
