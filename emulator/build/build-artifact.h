/* One artifact of a build (a function's code or a layer's content): its
 * inputs' hash, and building it into the build folder without disturbing
 * the previous result until the new one is complete. Internal to build.c;
 * safe to run for different artifacts on different threads. */
#ifndef LAMB_BUILD_ARTIFACT_H
#define LAMB_BUILD_ARTIFACT_H

#include "base/util.h"
#include "build/build-method.h"
#include "build/build.h"
#include "build/manifest.h"

struct lamb_artifact {
	const char *id;
	bool layer;
	const char *src;          /* absolute source directory */
	const char *build_method; /* Metadata.BuildMethod, or NULL */
	const char *runtime;      /* NULL for a layer */
	const struct lamb_function *fn; /* NULL for a layer */
	struct lamb_build_target target; /* what it is built for */
	bool selected;            /* to be built in this run */
	uint64_t layers_unzipped; /* a function: what its layers add (set before building) */
	/* Built from the same directory the same way as this earlier artifact
	 * (many functions with one CodeUri): its result is copied rather than
	 * built again, once it is up to date. */
	const struct lamb_artifact *same_as;
	/* results */
	struct lamb_build_method bm;
	char key[17];
	enum lamb_build_state state;
	bool up_to_date;          /* the zip matches the sources (built, or cached) */
	double seconds;
	uint64_t zipped, unzipped, files;
	char *error;              /* owned */
	struct lamb_buf output;   /* the tool's output */
};

struct lamb_artifact_ctx {
	const char *build_dir;     /* absolute */
	const char *artifacts_dir; /* absolute */
	const struct lamb_manifest *manifest; /* read only while building */
	bool no_cached;
	const char *wheelhouse;    /* --wheelhouse, or NULL */
	bool on_host;              /* --build-on-host */
	int64_t mtime;             /* for the zips: see zip.h */
};

void lamb_artifact_release(struct lamb_artifact *a);
/* Chooses the method and hashes the inputs into a->key; sets up_to_date
 * when the manifest, the zip and the tree all agree with them. */
int lamb_artifact_check(const struct lamb_artifact_ctx *c, struct lamb_artifact *a, struct lamb_err *err);
/* Checks, then builds unless up to date (or forced): fills state, sizes,
 * seconds, and error/output on failure. Never leaves a half-written file. */
void lamb_artifact_build(const struct lamb_artifact_ctx *c, struct lamb_artifact *a);

#endif
