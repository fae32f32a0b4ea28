/* The runtime table: every identifier Lambda has accepted, which of them
 * lamb can run (Python and Node through its shims, provided through the
 * function's bootstrap), and which are deprecated. */
#include "runtimes.h"
#include "util.h"

#include <string.h>

static const struct lamb_runtime_info runtimes[] = {
	{ "python2.7", LAMB_RT_PYTHON, true },
	{ "python3.6", LAMB_RT_PYTHON, true },
	{ "python3.7", LAMB_RT_PYTHON, true },
	{ "python3.8", LAMB_RT_PYTHON, true },
	{ "python3.9", LAMB_RT_PYTHON, false },
	{ "python3.10", LAMB_RT_PYTHON, false },
	{ "python3.11", LAMB_RT_PYTHON, false },
	{ "python3.12", LAMB_RT_PYTHON, false },
	{ "python3.13", LAMB_RT_PYTHON, false },
	{ "python3.14", LAMB_RT_PYTHON, false },
	{ "nodejs", LAMB_RT_NODE, true },
	{ "nodejs4.3", LAMB_RT_NODE, true },
	{ "nodejs6.10", LAMB_RT_NODE, true },
	{ "nodejs8.10", LAMB_RT_NODE, true },
	{ "nodejs10.x", LAMB_RT_NODE, true },
	{ "nodejs12.x", LAMB_RT_NODE, true },
	{ "nodejs14.x", LAMB_RT_NODE, true },
	{ "nodejs16.x", LAMB_RT_NODE, true },
	{ "nodejs18.x", LAMB_RT_NODE, false },
	{ "nodejs20.x", LAMB_RT_NODE, false },
	{ "nodejs22.x", LAMB_RT_NODE, false },
	{ "nodejs24.x", LAMB_RT_NODE, false },
	{ "provided", LAMB_RT_PROVIDED, true },
	{ "provided.al2", LAMB_RT_PROVIDED, false },
	{ "provided.al2023", LAMB_RT_PROVIDED, false },
	{ "java8", LAMB_RT_OTHER, true },
	{ "java8.al2", LAMB_RT_OTHER, false },
	{ "java11", LAMB_RT_OTHER, false },
	{ "java17", LAMB_RT_OTHER, false },
	{ "java21", LAMB_RT_OTHER, false },
	{ "java25", LAMB_RT_OTHER, false },
	{ "dotnetcore1.0", LAMB_RT_OTHER, true },
	{ "dotnetcore2.0", LAMB_RT_OTHER, true },
	{ "dotnetcore2.1", LAMB_RT_OTHER, true },
	{ "dotnetcore3.1", LAMB_RT_OTHER, true },
	{ "dotnet6", LAMB_RT_OTHER, true },
	{ "dotnet8", LAMB_RT_OTHER, false },
	{ "dotnet10", LAMB_RT_OTHER, false },
	{ "ruby2.5", LAMB_RT_OTHER, true },
	{ "ruby2.7", LAMB_RT_OTHER, true },
	{ "ruby3.2", LAMB_RT_OTHER, false },
	{ "ruby3.3", LAMB_RT_OTHER, false },
	{ "ruby3.4", LAMB_RT_OTHER, false },
	{ "go1.x", LAMB_RT_OTHER, true },
};

const struct lamb_runtime_info *lamb_runtime_find(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(runtimes); i++)
		if (strcmp(runtimes[i].name, name) == 0)
			return &runtimes[i];
	return NULL;
}

bool lamb_runtime_needs_handler(const struct lamb_runtime_info *rt)
{
	return rt && rt->family != LAMB_RT_PROVIDED;
}
