/* The native-code doctor: every ELF file in a built artifact (a function
 * with its layers, or a layer alone) checked against what Lambda will load
 * it with: the CPU (EM_X86_64 or EM_AARCH64 against Architectures), the
 * highest GLIBC_2.N it needs against the runtime's glibc, the CPython ABI
 * in an extension's name against the runtime's Python, and each DT_NEEDED
 * library against the artifact, its layers and the base image's list.
 * Each problem is one line naming the artifact, the file in it, what it
 * was built for, what the runtime loads, and the fix. Reads the built
 * trees only: it builds nothing and needs no network.
 *
 * The base image list (o->base_libs) is a text file: '#' comments, then
 * "[section]" lines (all, al2023, al2, al1, python) each followed by one
 * library name or fnmatch(3) pattern per line. */
#ifndef LAMB_DOCTOR_H
#define LAMB_DOCTOR_H

#include "base/err.h"
#include "build/build.h"
#include "model/model.h"

#include <stddef.h>

/* Checks the built trees of m's artifacts: those o->only selects (a
 * function with its layers, or a layer), else all. Each problem goes to
 * o->problem once (a layer shared by several functions is not reported
 * again for the same problem). *problems: how many; *checked: how many
 * artifacts had a built tree to check. -1 with err only when the check
 * itself could not run (an unreadable tree). */
int lamb_doctor_check(const struct lamb_model *m, const struct lamb_build_opts *o, size_t *problems,
		      size_t *checked, struct lamb_err *err);

#endif
