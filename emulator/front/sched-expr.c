/* rate(), cron() and at() as EventBridge reads them, and the next time each
 * fires. cron() walks days forward from the moment asked (at most the
 * range of years EventBridge takes) and, on a day that matches, its hours
 * and minutes: a day's check is a few bit tests, so even a yearly rule
 * answers in microseconds. */
#include "front/sched-expr.h"

#include "base/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const month_names[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN",
					   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC" };
static const char *const day_names[] = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT" };

struct field {
	const char *name;
	int lo, hi;
	const char *const *names; /* for lo, lo+1, ... or NULL */
	size_t nnames;
	uint64_t bits[4]; /* bit v - lo */
};

static void set_bit(struct field *f, int v)
{
	f->bits[(v - f->lo) / 64] |= UINT64_C(1) << ((v - f->lo) % 64);
}

/* A number or a name of the field; -1 when neither, or out of range. */
static int value_of(const struct field *f, const char *s, size_t len)
{
	for (size_t i = 0; f->names && i < f->nnames; i++)
		if (len == 3 && strncasecmp(s, f->names[i], 3) == 0)
			return f->lo + (int)i;
	if (len == 0 || len > 4)
		return -1;
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= f->lo && v <= f->hi ? v : -1;
}

/* One comma-separated part: *, V, A-B, with an optional /STEP. */
static int parse_part(struct field *f, const char *p, struct lamb_err *err)
{
	const char *slash = strchr(p, '/'), *end = slash ? slash : p + strlen(p);
	int lo = f->lo, hi = f->hi, step = 1;
	if (slash) {
		char *e;
		long s = strtol(slash + 1, &e, 10);
		if (*e || e == slash + 1 || s <= 0 || s > f->hi)
			return lamb_err_set(err, "cron()'s %s has a bad step in '%s'", f->name, p);
		step = (int)s;
	}
	if (!(end - p == 1 && *p == '*')) {
		const char *dash = memchr(p, '-', (size_t)(end - p));
		lo = value_of(f, p, (size_t)((dash ? dash : end) - p));
		hi = dash ? value_of(f, dash + 1, (size_t)(end - dash - 1)) : (slash ? f->hi : lo);
		if (lo < 0 || hi < 0 || hi < lo)
			return lamb_err_set(err, "cron()'s %s does not take '%s'", f->name, p);
	}
	for (int v = lo; v <= hi; v += step)
		set_bit(f, v);
	return 0;
}

static int parse_field(struct field *f, const char *text, struct lamb_err *err)
{
	char *copy = xstrdup(text), *save = NULL;
	int r = 0;
	for (char *p = strtok_r(copy, ",", &save); p && r == 0; p = strtok_r(NULL, ",", &save))
		r = parse_part(f, p, err);
	free(copy);
	return r;
}

static int parse_dom(struct lamb_cron *c, const char *s, struct lamb_err *err)
{
	size_t l = strlen(s);
	if (strcmp(s, "?") == 0)
		return c->dom_any = true, 0;
	if (strcmp(s, "L") == 0 || strcmp(s, "LW") == 0)
		return c->dom_last = true, c->dom_last_weekday = s[1] == 'W', 0;
	if (str_starts(s, "L-")) {
		c->dom_last = true;
		c->dom_last_offset = atoi(s + 2);
		return c->dom_last_offset > 0 && c->dom_last_offset < 31 ? 0 :
		       lamb_err_set(err, "cron()'s day-of-month does not take '%s'", s);
	}
	if (l > 1 && s[l - 1] == 'W') {
		c->dom_weekday = atoi(s);
		return c->dom_weekday >= 1 && c->dom_weekday <= 31 ? 0 :
		       lamb_err_set(err, "cron()'s day-of-month does not take '%s'", s);
	}
	struct field f = { "day-of-month", 1, 31, NULL, 0, { 0 } };
	if (parse_field(&f, s, err) < 0)
		return -1;
	c->dom = (uint32_t)(f.bits[0] << 1);
	return 0;
}

static int parse_dow(struct lamb_cron *c, const char *s, struct lamb_err *err)
{
	struct field f = { "day-of-week", 1, 7, day_names, 7, { 0 } };
	size_t l = strlen(s);
	const char *hash = strchr(s, '#');
	if (strcmp(s, "?") == 0)
		return c->dow_any = true, 0;
	if (strcmp(s, "L") == 0)
		return c->dow = 1 << 7, 0; /* the last day of the week: Saturday */
	if (hash || (l > 1 && s[l - 1] == 'L')) {
		int day = value_of(&f, s, (size_t)((hash ? hash : s + l - 1) - s));
		int nth = hash ? atoi(hash + 1) : 0;
		if (day < 0 || (hash && (nth < 1 || nth > 5)))
			return lamb_err_set(err, "cron()'s day-of-week does not take '%s'", s);
		if (hash)
			c->dow_nth_day = day, c->dow_nth = nth;
		else
			c->dow_last = day;
		return 0;
	}
	if (parse_field(&f, s, err) < 0)
		return -1;
	c->dow = (uint8_t)(f.bits[0] << 1);
	return 0;
}

static int parse_cron(const char *inner, struct lamb_cron *c, struct lamb_err *err)
{
	char *copy = xstrdup(inner), *save = NULL, *w[7];
	size_t n = 0;
	for (char *p = strtok_r(copy, " \t", &save); p && n < 7; p = strtok_r(NULL, " \t", &save))
		w[n++] = p;
	struct field mi = { "minutes", 0, 59, NULL, 0, { 0 } }, h = { "hours", 0, 23, NULL, 0, { 0 } };
	struct field mo = { "month", 1, 12, month_names, 12, { 0 } };
	struct field y = { "year", LAMB_CRON_YEAR0, LAMB_CRON_YEAR0 + LAMB_CRON_YEARS - 1, NULL, 0, { 0 } };
	int r = -1;
	if (n != 6)
		lamb_err_set(err, "cron() takes six fields (minutes hours day-of-month month day-of-week year), "
				  "not %zu", n);
	else if ((strcmp(w[2], "?") == 0) == (strcmp(w[4], "?") == 0))
		lamb_err_set(err, "cron() needs '?' in exactly one of day-of-month and day-of-week");
	else if (parse_field(&mi, w[0], err) == 0 && parse_field(&h, w[1], err) == 0 && parse_dom(c, w[2], err) == 0 &&
		 parse_field(&mo, w[3], err) == 0 && parse_dow(c, w[4], err) == 0 && parse_field(&y, w[5], err) == 0)
		r = 0;
	c->minutes = mi.bits[0];
	c->hours = (uint32_t)h.bits[0];
	c->months = (uint16_t)(mo.bits[0] << 1);
	memcpy(c->years, y.bits, sizeof(c->years));
	free(copy);
	return r;
}

static int parse_rate(const char *inner, int64_t *ms, struct lamb_err *err)
{
	char *end;
	long n = strtol(inner, &end, 10);
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = { { "minute", 60000 }, { "hour", 3600000 }, { "day", 86400000 } };
	while (*end == ' ')
		end++;
	for (size_t i = 0; n > 0 && i < ARRAY_SIZE(units); i++) {
		size_t l = strlen(units[i].unit);
		if (strncmp(end, units[i].unit, l) == 0 && (!end[l] || strcmp(end + l, "s") == 0))
			return *ms = n * units[i].ms, 0;
	}
	return lamb_err_set(err, "rate() takes a positive whole number and minute(s), hour(s) or day(s), "
				 "not '%s'", inner);
}

int lamb_sched_parse(const char *text, bool at_ok, struct lamb_sched_expr *e, struct lamb_err *err)
{
	*e = (struct lamb_sched_expr){ 0 };
	size_t l = strlen(text);
	if (l < 2 || text[l - 1] != ')')
		return lamb_err_set(err, "a schedule expression is rate(...) or cron(...), not '%s'", text);
	char *inner = xstrndup(text, l - 1);
	int r;
	if (str_starts(inner, "rate(")) {
		e->kind = LAMB_SCHED_RATE;
		r = parse_rate(inner + 5, &e->rate_ms, err);
	} else if (str_starts(inner, "cron(")) {
		e->kind = LAMB_SCHED_CRON;
		r = parse_cron(inner + 5, &e->cron, err);
	} else if (at_ok && str_starts(inner, "at(")) {
		e->kind = LAMB_SCHED_AT;
		e->at_ms = lamb_sched_parse_iso(inner + 3, "UTC");
		r = e->at_ms < 0 ? lamb_err_set(err, "at() takes yyyy-mm-ddThh:mm:ss, not '%s'", inner + 3) : 0;
	} else {
		r = lamb_err_set(err, "a schedule expression is rate(...) or cron(...)%s, not '%s'",
				 at_ok ? " or at(...)" : "", text);
	}
	free(inner);
	return r < 0 ? lamb_err_prefix(err, "schedule '%s'", text) : 0;
}

/* --- time zones --- */

/* Broken-down local time of tz into epoch seconds, and back. The C library
 * reads zones only through TZ, so it is set for the call and put back; the
 * loop's thread alone calls these (pool workers never read local time). */
static char *tz_enter(const char *tz)
{
	const char *old = getenv("TZ");
	char *saved = old ? xstrdup(old) : NULL;
	setenv("TZ", tz, 1);
	tzset();
	return saved;
}

static void tz_leave(char *saved)
{
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

static bool is_utc(const char *tz)
{
	return !tz || !*tz || strcasecmp(tz, "UTC") == 0 || strcasecmp(tz, "Etc/UTC") == 0;
}

static int64_t to_epoch(struct tm *tm, const char *tz)
{
	if (is_utc(tz))
		return (int64_t)timegm(tm);
	char *saved = tz_enter(tz);
	tm->tm_isdst = -1;
	int64_t t = (int64_t)mktime(tm);
	tz_leave(saved);
	return t;
}

static void to_local(int64_t t, const char *tz, struct tm *tm)
{
	time_t tt = (time_t)t;
	if (is_utc(tz)) {
		gmtime_r(&tt, tm);
		return;
	}
	char *saved = tz_enter(tz);
	localtime_r(&tt, tm);
	tz_leave(saved);
}

/* --- cron() --- */

static int days_in_month(int year, int month)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : d[month - 1];
}

/* 0 = Sunday, for a day of the proleptic Gregorian calendar. */
static int weekday(int year, int month, int day)
{
	static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };
	if (month < 3)
		year--;
	return (year + year / 4 - year / 100 + year / 400 + t[month - 1] + day) % 7;
}

/* The weekday nearest day in its month (W), never crossing into another. */
static int nearest_weekday(int year, int month, int day)
{
	int last = days_in_month(year, month);
	if (day > last)
		day = last;
	int wd = weekday(year, month, day);
	if (wd == 6)
		return day == 1 ? 3 : day - 1;
	if (wd == 0)
		return day == last ? day - 2 : day + 1;
	return day;
}

static bool dom_matches(const struct lamb_cron *c, int y, int m, int d)
{
	int last = days_in_month(y, m);
	if (c->dom_last && c->dom_last_weekday)
		return d == nearest_weekday(y, m, last);
	if (c->dom_last)
		return d == last - c->dom_last_offset;
	if (c->dom_weekday)
		return d == nearest_weekday(y, m, c->dom_weekday);
	return c->dom >> d & 1;
}

static bool dow_matches(const struct lamb_cron *c, int y, int m, int d)
{
	int wd = weekday(y, m, d) + 1; /* 1 = SUN, as cron() counts */
	if (c->dow_last)
		return wd == c->dow_last && d + 7 > days_in_month(y, m);
	if (c->dow_nth)
		return wd == c->dow_nth_day && (d - 1) / 7 + 1 == c->dow_nth;
	return c->dow >> wd & 1;
}

static bool day_matches(const struct lamb_cron *c, int y, int m, int d)
{
	int yi = y - LAMB_CRON_YEAR0;
	if (yi < 0 || yi >= LAMB_CRON_YEARS || !(c->years[yi / 64] >> (yi % 64) & 1) || !(c->months >> m & 1))
		return false;
	return c->dom_any ? dow_matches(c, y, m, d) : dom_matches(c, y, m, d);
}

/* The first minute of the day y-m-d in tz later than after (seconds); -1. */
static int64_t first_in_day(const struct lamb_cron *c, int y, int m, int d, int64_t after, const char *tz)
{
	for (int h = 0; h < 24; h++) {
		if (!(c->hours >> h & 1))
			continue;
		for (int mi = 0; mi < 60; mi++) {
			if (!(c->minutes >> mi & 1))
				continue;
			struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
			int64_t t = to_epoch(&tm, tz);
			if (t > after)
				return t;
		}
	}
	return -1;
}

static int64_t cron_next(const struct lamb_cron *c, int64_t after_ms, const char *tz)
{
	int64_t after = after_ms >= 0 ? after_ms / 1000 : -1;
	struct tm tm;
	to_local(after < 0 ? 0 : after, tz, &tm);
	int y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday;
	while (y < LAMB_CRON_YEAR0 + LAMB_CRON_YEARS) {
		if (day_matches(c, y, m, d)) {
			int64_t t = first_in_day(c, y, m, d, after, tz);
			if (t >= 0)
				return t * 1000;
		}
		if (++d > days_in_month(y, m)) {
			d = 1;
			if (++m > 12)
				m = 1, y++;
		}
	}
	return -1;
}

int64_t lamb_sched_next(const struct lamb_sched_expr *e, int64_t after_ms, int64_t origin_ms, const char *tz)
{
	switch (e->kind) {
	case LAMB_SCHED_RATE:
		if (after_ms < origin_ms)
			return origin_ms + e->rate_ms;
		return origin_ms + ((after_ms - origin_ms) / e->rate_ms + 1) * e->rate_ms;
	case LAMB_SCHED_AT: {
		struct tm tm;
		time_t t = (time_t)(e->at_ms / 1000);
		gmtime_r(&t, &tm);
		int64_t at = to_epoch(&tm, tz) * 1000;
		return at > after_ms ? at : -1;
	}
	case LAMB_SCHED_CRON:
		break;
	}
	return cron_next(&e->cron, after_ms, tz);
}

void lamb_sched_iso(int64_t ms, char *buf)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t lamb_sched_parse_iso(const char *s, const char *tz)
{
	struct tm tm = { 0 };
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, &n) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	const char *rest = s + n;
	if (*rest == '.')
		while (isdigit((unsigned char)*++rest))
			;
	if (*rest == 'Z' && !rest[1])
		return (int64_t)timegm(&tm) * 1000;
	int oh, om;
	if ((*rest == '+' || *rest == '-') && sscanf(rest + 1, "%2d:%2d", &oh, &om) == 2)
		return ((int64_t)timegm(&tm) - (*rest == '-' ? -1 : 1) * (oh * 3600 + om * 60)) * 1000;
	if (*rest && !(*rest == ')' && !rest[1]))
		return -1;
	return to_epoch(&tm, tz) * 1000;
}
