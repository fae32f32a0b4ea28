/* What lamb knows about Lambda runtime identifiers. */
#ifndef LAMB_RUNTIMES_H
#define LAMB_RUNTIMES_H

#include <stdbool.h>

enum lamb_runtime_family {
	LAMB_RT_UNKNOWN,
	LAMB_RT_PYTHON,
	LAMB_RT_NODE,
	LAMB_RT_PROVIDED,
	LAMB_RT_OTHER, /* java, dotnet, ruby, go1.x: known to Lambda, no shim in lamb */
};

struct lamb_runtime_info {
	const char *name;
	enum lamb_runtime_family family;
	/* YYYY-MM-DD: the day AWS deprecates it (no more patches, new
	 * functions refused soon after; invocations go on); NULL: none set */
	const char *deprecation;
};

/* The entry for a runtime identifier, or NULL when Lambda has no such one. */
const struct lamb_runtime_info *lamb_runtime_find(const char *name);
/* Whether functions of this runtime need a Handler. */
bool lamb_runtime_needs_handler(const struct lamb_runtime_info *rt);
/* Whether rt is deprecated on today (YYYY-MM-DD). */
bool lamb_runtime_deprecated(const struct lamb_runtime_info *rt, const char *today);
/* Today's date in UTC, YYYY-MM-DD. */
void lamb_runtime_today(char out[11]);

#endif
