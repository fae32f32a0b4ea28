/* Where lamb's data files are: the event catalogue and the init templates.
 * A lamb run from its build tree reads them from the source tree, so a
 * fresh checkout works without `meson install`; an installed lamb reads
 * DATADIR/lamb. LAMB_DATA_DIR overrides both (tests, packagers). */
#include "base/util.h"
#include "cli.h"

#include <string.h>
#include <unistd.h>

#ifndef LAMB_SOURCE_ROOT
#define LAMB_SOURCE_ROOT ""
#endif
#ifndef LAMB_BUILD_ROOT
#define LAMB_BUILD_ROOT ""
#endif

static bool running_from_build_tree(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t root = strlen(LAMB_BUILD_ROOT);
	if (n <= 0 || !root || !LAMB_SOURCE_ROOT[0])
		return false;
	exe[n] = '\0';
	return strncmp(exe, LAMB_BUILD_ROOT, root) == 0 && exe[root] == '/';
}

char *cli_data_path(const char *sub)
{
	const char *env = getenv("LAMB_DATA_DIR");
	if (env && *env)
		return xasprintf("%s/%s", env, sub);
	if (running_from_build_tree())
		return xasprintf("%s/%s", LAMB_SOURCE_ROOT, sub);
	return xasprintf("%s/%s", LAMB_DATADIR, sub);
}
