/* Lambda's system log records with LoggingConfig LogFormat: JSON: START and
 * REPORT become the platform.start and platform.report records (and, at
 * SystemLogLevel DEBUG, END becomes platform.runtimeDone), one JSON object
 * a line, dropped below the function's SystemLogLevel. The Text lines stay
 * where they were written (pool.c, invoke.c); this only formats JSON. */
#ifndef LAMB_PLATFORM_LOG_H
#define LAMB_PLATFORM_LOG_H

#include "base/util.h"
#include "model/model.h"

#include <stdbool.h>

/* What platform.report says of one invocation. */
struct lamb_platform_report {
	const char *request_id;
	const char *tenant_id;   /* or NULL */
	const char *status;      /* "success", "error", "timeout", "failure" */
	const char *error_type;  /* or NULL */
	double duration_ms;
	long billed_ms, memory_mb, max_memory_used_mb;
	double init_ms;          /* < 0: warm, no initDurationMs */
	bool restored;           /* init_ms is restoreDurationMs (SnapStart) */
	size_t produced_bytes;   /* platform.runtimeDone's producedBytes */
};

/* Appends fn's platform.start record (and its newline) to out, unless
 * fn's SystemLogLevel drops it. */
/* Now as a platform record's "time": 2022-10-12T00:00:15.064Z. */
#define LAMB_PLATFORM_TIME_LEN 48
void lamb_platform_time(char out[LAMB_PLATFORM_TIME_LEN]);

void lamb_platform_start(struct lamb_buf *out, const struct lamb_function *fn, const char *request_id,
			 const char *tenant_id);
/* Appends platform.runtimeDone (DEBUG only) and platform.report. */
void lamb_platform_report(struct lamb_buf *out, const struct lamb_function *fn,
			  const struct lamb_platform_report *r);

#endif
