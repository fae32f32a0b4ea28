/* EventBridge schedule expressions: rate(5 minutes), the six-field cron()
 * with its ? L W # wildcards, and Scheduler's at(); parsed once, then asked
 * for the next fire time after a moment, in UTC or a named time zone. */
#ifndef LAMB_SCHED_EXPR_H
#define LAMB_SCHED_EXPR_H

#include "base/err.h"

#include <stdbool.h>
#include <stdint.h>

#define LAMB_CRON_YEAR0 1970
#define LAMB_CRON_YEARS 230 /* 1970-2199, as EventBridge */

enum lamb_sched_kind { LAMB_SCHED_RATE, LAMB_SCHED_CRON, LAMB_SCHED_AT };

struct lamb_cron {
	uint64_t minutes;    /* bit n: minute n */
	uint32_t hours;
	uint32_t dom;        /* bit n: day n of the month (1-31) */
	bool dom_any;        /* ? : the day of the week decides */
	bool dom_last;       /* L */
	int dom_last_offset; /* L-3: three days before the last */
	bool dom_last_weekday; /* LW */
	int dom_weekday;     /* 15W: the weekday nearest the 15th; 0: none */
	uint16_t months;     /* bit n: month n (1-12) */
	uint8_t dow;         /* bit n: day n of the week (1 = SUN ... 7 = SAT) */
	bool dow_any;        /* ? : the day of the month decides */
	int dow_last;        /* 6L: the last Friday of the month; 0: none */
	int dow_nth_day, dow_nth; /* 3#2: the second Tuesday; 0: none */
	uint64_t years[4];   /* bit n: year LAMB_CRON_YEAR0 + n */
};

struct lamb_sched_expr {
	enum lamb_sched_kind kind;
	int64_t rate_ms;     /* rate() */
	struct lamb_cron cron;
	int64_t at_ms;       /* at(): local time of tz, read as UTC ms, converted by next */
};

/* -1 with err for an expression EventBridge would refuse (the message says
 * which part). at_ok: at() is accepted (EventBridge Scheduler). */
int lamb_sched_parse(const char *text, bool at_ok, struct lamb_sched_expr *e, struct lamb_err *err);

/* The first fire time strictly after after_ms (epoch ms), or -1 when there
 * is none. A rate counts from origin_ms (when the rule was created: when
 * lamb started); cron and at read their fields in tz (NULL or "": UTC). */
int64_t lamb_sched_next(const struct lamb_sched_expr *e, int64_t after_ms, int64_t origin_ms, const char *tz);

/* "2026-12-03T02:00:00Z" into buf (at least 32 bytes). */
void lamb_sched_iso(int64_t ms, char *buf);
/* An ISO 8601 date-time ("2026-12-03T02:00:00Z", "...+01:00", no zone:
 * read in tz) as epoch ms; -1 when it is not one. */
int64_t lamb_sched_parse_iso(const char *s, const char *tz);

#endif
