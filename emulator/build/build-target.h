/* What an artifact is built for: the Lambda runtime (its Python version and
 * the glibc of its base image) and the CPU architecture. Chosen from the
 * template, never from the host: a function's Runtime (or a python*
 * BuildMethod) and Architectures; a layer's BuildMethod, CompatibleRuntimes
 * and CompatibleArchitectures, else those of the functions that use it. */
#ifndef LAMB_BUILD_TARGET_H
#define LAMB_BUILD_TARGET_H

#include "model/model.h"

#include <stdbool.h>

struct lamb_build_target {
	const char *runtime; /* "python3.12", "nodejs20.x", ...; NULL when unknown; borrowed */
	bool arm64;          /* else x86_64 */
	int py_minor;        /* python3.N: N; -1 when not a Python 3 runtime */
	int glibc_minor;     /* the base image's glibc: 2.N */
	const char *image;   /* "al2023", "al2" or "al1": the base image's name */
	/* A layer whose CompatibleRuntimes (else whose functions' runtimes) name
	 * two or more Python 3 versions: each N, in order; its packages are installed for each one into
	 * python/lib/python3.N/site-packages, the folder Lambda's python3.N
	 * alone puts on sys.path. npythons is 0 otherwise. */
	int pythons[8];
	size_t npythons;
};

/* For runtime (may be NULL) on arch ("x86_64", "arm64" or NULL). */
void lamb_build_target_init(struct lamb_build_target *t, const char *runtime, const char *arch);
/* A function's: its Runtime (or a python or nodejs BuildMethod) and its first Architectures. */
void lamb_build_target_function(struct lamb_build_target *t, const struct lamb_function *f);
/* A layer's: see above. When its users disagree the first one wins; the
 * doctor checks the layer against every user. */
void lamb_build_target_layer(struct lamb_build_target *t, const struct lamb_model *m, const struct lamb_layer *l);

/* N of "python/lib/python3.N/site-packages/..." (a layer's folder for one
 * Python version), or -1 when path is not under such a folder. */
int lamb_build_target_version_dir(const char *path);

/* "x86_64" or "arm64"; the machine name Linux and pip use: "x86_64" or "aarch64". */
const char *lamb_build_target_arch(const struct lamb_build_target *t);
const char *lamb_build_target_machine(const struct lamb_build_target *t);
/* Whether the host runs t's code natively (same architecture). */
bool lamb_build_target_native(const struct lamb_build_target *t);

#endif
