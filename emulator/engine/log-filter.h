/* What `lamb logs` selects records by, as `sam logs` takes it: CloudWatch
 * Logs' filter patterns (terms, "quoted phrases", ?either ?or, -exclusions,
 * and JSON patterns such as { $.level = "ERROR" && $.ms > 100 }) and the
 * times of -s/-e ("5mins ago", "2026-12-01 10:00", ISO 8601). */
#ifndef LAMB_LOG_FILTER_H
#define LAMB_LOG_FILTER_H

#include "base/err.h"

#include <stdbool.h>
#include <stdint.h>

struct lamb_log_filter;

/* NULL with err when pattern is not a filter pattern ("unbalanced quote in
 * filter pattern '...'"). An empty pattern matches everything. */
struct lamb_log_filter *lamb_log_filter_new(const char *pattern, struct lamb_err *err);
void lamb_log_filter_free(struct lamb_log_filter *f);
bool lamb_log_filter_match(const struct lamb_log_filter *f, const char *message);

/* A time as -s/-e take it, in ms since the epoch: "now", "5mins ago" (s,
 * sec, m, min, mins, minute(s), h, hour(s), d, day(s), w, week(s)),
 * "2026-12-01", "2026-12-01 10:00[:00]" (local time) or ISO 8601 with a
 * zone ("2026-12-01T10:00:00.5Z", "...+02:00"). now_ms: the current time. */
int lamb_log_time_parse(const char *s, uint64_t now_ms, uint64_t *ms, struct lamb_err *err);

#endif
