/* Finding a Python 3.N among the versions pyenv and asdf installed: one
 * readdir of each manager's folder, no process started (a pyenv shim
 * costs 100 ms and more to ask). */
#include "base/pyversions.h"
#include "base/util.h"

#include <ctype.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lamb_python_minor(const char *runtime)
{
	if (!runtime || !str_starts(runtime, "python3."))
		return -1;
	const char *p = runtime + strlen("python3.");
	if (!isdigit((unsigned char)*p))
		return -1;
	return atoi(p);
}

/* The patch level of "3.minor.P" (digits only), or -1. */
static long patch_of(const char *name, int minor)
{
	char head[16];
	snprintf(head, sizeof(head), "3.%d.", minor);
	if (!str_starts(name, head))
		return -1;
	const char *p = name + strlen(head);
	if (!*p || strspn(p, "0123456789") != strlen(p))
		return -1;
	return atol(p);
}

/* The newest dir/3.minor.P/bin/python3.minor that can run: allocated, or NULL. */
static char *newest_in(const char *dir, int minor)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char *best = NULL;
	long best_patch = -1;
	struct dirent *de;
	while ((de = readdir(d))) {
		long patch = patch_of(de->d_name, minor);
		if (patch <= best_patch)
			continue;
		char *exe = xasprintf("%s/%s/bin/python3.%d", dir, de->d_name, minor);
		if (access(exe, X_OK) == 0) {
			free(best);
			best = exe;
			best_patch = patch;
		} else {
			free(exe);
		}
	}
	closedir(d);
	return best;
}

char *lamb_python_installed(int minor)
{
	if (minor < 0)
		return NULL;
	const char *home = getenv("HOME"), *pyenv = getenv("PYENV_ROOT"), *asdf = getenv("ASDF_DATA_DIR");
	cleanup_free char *pyenv_dir = pyenv && *pyenv ? xasprintf("%s/versions", pyenv)
				       : home && *home ? xasprintf("%s/.pyenv/versions", home) : NULL;
	cleanup_free char *asdf_dir = asdf && *asdf ? xasprintf("%s/installs/python", asdf)
				      : home && *home ? xasprintf("%s/.asdf/installs/python", home) : NULL;
	char *found = pyenv_dir ? newest_in(pyenv_dir, minor) : NULL;
	return found ? found : asdf_dir ? newest_in(asdf_dir, minor) : NULL;
}

char *lamb_python_fallback_key(const char *runtime)
{
	return xasprintf("interpreter of %s", runtime);
}
