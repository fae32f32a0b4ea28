/* The platform records of Lambda's JSON log format, as its docs show them:
 * {"time":"2024-01-25T15:48:14.436Z","type":"platform.start","record":{...}}.
 * Strings are escaped here (request ids are ours, tenant ids the caller's);
 * numbers keep Lambda's precision: durations with 2 decimals, the rest whole. */
#include "engine/platform-log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void lamb_platform_time(char out[LAMB_PLATFORM_TIME_LEN])
{
	struct timespec ts;
	struct tm tm;
	char t[40];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, LAMB_PLATFORM_TIME_LEN, "%.32s.%03dZ", t, (int)(ts.tv_nsec / 1000000) % 1000);
}

static void add_time(struct lamb_buf *out)
{
	char t[LAMB_PLATFORM_TIME_LEN];
	lamb_platform_time(t);
	lamb_buf_addf(out, "{\"time\":\"%s\"", t);
}

static void add_json_str(struct lamb_buf *out, const char *s)
{
	lamb_buf_add(out, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			lamb_buf_addf(out, "\\%c", c);
		else if (c < 0x20)
			lamb_buf_addf(out, "\\u%04x", c);
		else
			lamb_buf_add(out, s, 1);
	}
	lamb_buf_add(out, "\"", 1);
}

/* ,"type":"TYPE","record":{"requestId":"ID" */
static void open_record(struct lamb_buf *out, const char *type, const char *request_id)
{
	add_time(out);
	lamb_buf_addf(out, ",\"type\":\"%s\",\"record\":{\"requestId\":", type);
	add_json_str(out, request_id);
}

static void add_tenant(struct lamb_buf *out, const char *tenant_id)
{
	if (!tenant_id)
		return;
	lamb_buf_addstr(out, ",\"tenantId\":");
	add_json_str(out, tenant_id);
}

static bool shown(const struct lamb_function *fn, enum lamb_log_level level)
{
	return level >= fn->logging.system;
}

void lamb_platform_start(struct lamb_buf *out, const struct lamb_function *fn, const char *request_id,
			 const char *tenant_id)
{
	if (!shown(fn, LAMB_LOG_INFO))
		return;
	open_record(out, "platform.start", request_id);
	add_tenant(out, tenant_id);
	lamb_buf_addstr(out, ",\"version\":\"$LATEST\"}}\n");
}

static void add_status(struct lamb_buf *out, const struct lamb_platform_report *r)
{
	lamb_buf_addf(out, ",\"status\":\"%s\"", r->status);
	if (r->error_type) {
		lamb_buf_addstr(out, ",\"errorType\":");
		add_json_str(out, r->error_type);
	}
}

static void runtime_done(struct lamb_buf *out, const struct lamb_platform_report *r)
{
	open_record(out, "platform.runtimeDone", r->request_id);
	add_tenant(out, r->tenant_id);
	add_status(out, r);
	lamb_buf_addf(out, ",\"metrics\":{\"durationMs\":%.2f,\"producedBytes\":%zu}}}\n", r->duration_ms,
		      r->produced_bytes);
}

void lamb_platform_report(struct lamb_buf *out, const struct lamb_function *fn,
			  const struct lamb_platform_report *r)
{
	if (shown(fn, LAMB_LOG_DEBUG))
		runtime_done(out, r);
	if (!shown(fn, LAMB_LOG_INFO))
		return;
	open_record(out, "platform.report", r->request_id);
	add_tenant(out, r->tenant_id);
	lamb_buf_addf(out, ",\"metrics\":{\"durationMs\":%.2f,\"billedDurationMs\":%ld,\"memorySizeMB\":%ld,"
		      "\"maxMemoryUsedMB\":%ld", r->duration_ms, r->billed_ms, r->memory_mb, r->max_memory_used_mb);
	if (r->init_ms >= 0 && r->restored) /* SnapStart's, as the Telemetry API's schema names it */
		lamb_buf_addf(out, ",\"restoreDurationMs\":%.2f,\"billedRestoreDurationMs\":%ld", r->init_ms,
			      (long)r->init_ms + ((double)(long)r->init_ms < r->init_ms));
	else if (r->init_ms >= 0)
		lamb_buf_addf(out, ",\"initDurationMs\":%.2f", r->init_ms);
	lamb_buf_add(out, "}", 1);
	add_status(out, r);
	lamb_buf_addstr(out, "}}\n");
}
