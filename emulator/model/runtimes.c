/* The runtime table: every identifier Lambda has accepted, which of them
 * lamb can run (Python and Node through its shims, provided through the
 * function's bootstrap), and when each was or will be deprecated.
 *
 * The dates are the start of deprecation (AWS's "phase 1": no more patches,
 * and soon after no new functions) from the runtime table of AWS's Lambda
 * Developer Guide, "Lambda runtimes", as published on 2026-11-26. A date
 * is compared with today's, so a runtime warns from its day on without a
 * new lamb; a runtime AWS adds or reschedules needs an edit here (and in
 * lamb-template(5), which gives the table's date). */
#include "base/util.h"
#include "model/runtimes.h"

#include <string.h>
#include <time.h>

static const struct lamb_runtime_info runtimes[] = {
	{ "python2.7", LAMB_RT_PYTHON, "2021-07-15" },
	{ "python3.6", LAMB_RT_PYTHON, "2022-07-18" },
	{ "python3.7", LAMB_RT_PYTHON, "2023-12-04" },
	{ "python3.8", LAMB_RT_PYTHON, "2024-10-14" },
	{ "python3.9", LAMB_RT_PYTHON, "2025-12-15" },
	{ "python3.10", LAMB_RT_PYTHON, "2026-06-30" },
	{ "python3.11", LAMB_RT_PYTHON, "2026-06-30" },
	{ "python3.12", LAMB_RT_PYTHON, "2028-10-31" },
	{ "python3.13", LAMB_RT_PYTHON, "2029-06-30" },
	{ "python3.14", LAMB_RT_PYTHON, "2029-06-30" },
	{ "nodejs", LAMB_RT_NODE, "2016-10-31" },
	{ "nodejs4.3", LAMB_RT_NODE, "2020-03-05" },
	{ "nodejs6.10", LAMB_RT_NODE, "2019-08-12" },
	{ "nodejs8.10", LAMB_RT_NODE, "2020-03-06" },
	{ "nodejs10.x", LAMB_RT_NODE, "2021-07-30" },
	{ "nodejs12.x", LAMB_RT_NODE, "2023-03-31" },
	{ "nodejs14.x", LAMB_RT_NODE, "2023-12-04" },
	{ "nodejs16.x", LAMB_RT_NODE, "2024-06-12" },
	{ "nodejs18.x", LAMB_RT_NODE, "2025-09-01" },
	{ "nodejs20.x", LAMB_RT_NODE, "2026-04-30" },
	{ "nodejs22.x", LAMB_RT_NODE, "2027-04-30" },
	{ "nodejs24.x", LAMB_RT_NODE, "2028-04-30" },
	{ "provided", LAMB_RT_PROVIDED, "2024-01-08" },
	{ "provided.al2", LAMB_RT_PROVIDED, "2026-06-30" },
	{ "provided.al2023", LAMB_RT_PROVIDED, "2029-06-30" },
	{ "java8", LAMB_RT_OTHER, "2024-01-08" },
	{ "java8.al2", LAMB_RT_OTHER, "2026-06-30" },
	{ "java11", LAMB_RT_OTHER, "2026-06-30" },
	{ "java17", LAMB_RT_OTHER, "2026-06-30" },
	{ "java21", LAMB_RT_OTHER, "2029-06-30" },
	{ "java25", LAMB_RT_OTHER, "2029-06-30" },
	{ "dotnetcore1.0", LAMB_RT_OTHER, "2019-07-27" },
	{ "dotnetcore2.0", LAMB_RT_OTHER, "2019-05-30" },
	{ "dotnetcore2.1", LAMB_RT_OTHER, "2022-01-05" },
	{ "dotnetcore3.1", LAMB_RT_OTHER, "2023-04-03" },
	{ "dotnet6", LAMB_RT_OTHER, "2024-11-12" },
	{ "dotnet8", LAMB_RT_OTHER, "2026-11-10" },
	{ "dotnet10", LAMB_RT_OTHER, "2028-11-14" },
	{ "ruby2.5", LAMB_RT_OTHER, "2021-07-30" },
	{ "ruby2.7", LAMB_RT_OTHER, "2023-11-27" },
	{ "ruby3.2", LAMB_RT_OTHER, "2026-03-31" },
	{ "ruby3.3", LAMB_RT_OTHER, "2027-03-31" },
	{ "ruby3.4", LAMB_RT_OTHER, "2028-03-31" },
	{ "go1.x", LAMB_RT_OTHER, "2024-01-08" },
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

bool lamb_runtime_deprecated(const struct lamb_runtime_info *rt, const char *today)
{
	/* YYYY-MM-DD strings compare as their dates do */
	return rt && rt->deprecation && strcmp(today, rt->deprecation) >= 0;
}

void lamb_runtime_today(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}
