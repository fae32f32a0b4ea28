/* pip, driven for the target rather than the host. When the interpreter
 * running pip is the target's (same Python 3.N, same CPU) a plain
 * `pip install -r requirements.txt -t DEST`; otherwise pip downloads for
 * the target (--platform with every manylinux tag its glibc accepts,
 * --implementation cp, --python-version, --abi, --only-binary=:all:), and a
 * requirement that has only an sdist is built here into a wheel, which is
 * taken when it is pure Python and refused, with the fixes, when not.
 * pip's own settings (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS,
 * pip.conf) reach it; lamb probes the indexes first (pip-index.h) and adds
 * --timeout 4 --retries 1, so that when none answers the build fails in
 * seconds, with a message saying what to do; with a wheelhouse (or
 * find-links in PIP_FIND_LINKS or pip.conf) pip is then sent there alone,
 * with --no-index. */
#ifndef LAMB_BUILD_PIP_H
#define LAMB_BUILD_PIP_H

#include "base/err.h"
#include "base/util.h"
#include "build/build-target.h"

#include <stdbool.h>

struct lamb_pip {
	const char *python;       /* the interpreter whose pip runs */
	const char *version;      /* its sys.version ("3.11.7 (main, ...)") */
	const struct lamb_build_target *target;
	const char *wheelhouse;   /* a folder of wheels (--find-links), or NULL */
	bool on_host;             /* --build-on-host: install for the host whatever the target */
	char *offline;            /* internal: the index that did not answer, when pip is
				   * sent to the wheelhouse and PIP_FIND_LINKS alone */
	bool find_links;          /* internal: pip's own settings have find-links */
};

/* Whether p's interpreter is the target's: a plain install then. */
bool lamb_pip_host_matches(const struct lamb_pip *p);

/* Installs src/requirements.txt into dest (pip runs from src). pip's
 * output goes to log; err says what failed and what to do. */
int lamb_pip_install(const struct lamb_pip *p, const char *src, const char *dest, struct lamb_buf *log,
		     struct lamb_err *err);

#endif
