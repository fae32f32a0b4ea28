/* Schedule expressions as EventBridge reads them (rate, the six-field cron
 * with ? L W #, at, time zones), durations for the clock, and the input a
 * target gets (Input, InputPath, InputTransformer). */
#include "unit.h"

#include "base/util.h"
#include "front/local-services.h"
#include "front/sched-expr.h"
#include "front/sched.h"

static int64_t at(const char *iso)
{
	int64_t ms = lamb_sched_parse_iso(iso, NULL);
	assert_true(ms >= 0);
	return ms;
}

/* The next fire time of text after after, as ISO text. */
static void expect_next(const char *text, const char *tz, const char *after, const char *want)
{
	struct lamb_sched_expr e;
	struct lamb_err err;
	assert_int_equal(lamb_sched_parse(text, true, &e, &err), 0);
	char got[32] = "never";
	int64_t n = lamb_sched_next(&e, at(after), at("2026-01-01T00:00:00Z"), tz);
	if (n >= 0)
		lamb_sched_iso(n, got);
	assert_string_equal(got, want);
}

static void test_rate(void **state)
{
	(void)state;
	expect_next("rate(5 minutes)", NULL, "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z");
	expect_next("rate(5 minutes)", NULL, "2026-01-01T00:07:00Z", "2026-01-01T00:10:00Z");
	expect_next("rate(1 day)", NULL, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
	expect_next("rate(2 hours)", NULL, "2026-01-01T03:59:59Z", "2026-01-01T04:00:00Z");
}

static void test_cron(void **state)
{
	(void)state;
	expect_next("cron(0 2 * * ? *)", NULL, "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z");
	expect_next("cron(0/15 * * * ? *)", NULL, "2026-01-01T00:07:00Z", "2026-01-01T00:15:00Z");
	expect_next("cron(30 9 ? * MON-FRI *)", NULL, "2026-01-02T10:00:00Z", "2026-01-05T09:30:00Z");
	expect_next("cron(0 12 ? * 2,4 *)", NULL, "2026-01-01T00:00:00Z", "2026-01-05T12:00:00Z");
	expect_next("cron(0 0 1 JAN,JUL ? 2027)", NULL, "2026-03-01T00:00:00Z", "2027-01-01T00:00:00Z");
	expect_next("cron(0 0 29 2 ? *)", NULL, "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z");
	expect_next("cron(0 0 1 1 ? 2020)", NULL, "2026-01-01T00:00:00Z", "never");
}

static void test_cron_wildcards(void **state)
{
	(void)state;
	/* L: the last day; L-2: two before it */
	expect_next("cron(0 0 L * ? *)", NULL, "2026-02-01T00:00:00Z", "2026-02-28T00:00:00Z");
	expect_next("cron(0 0 L-2 * ? *)", NULL, "2026-02-01T00:00:00Z", "2026-02-26T00:00:00Z");
	/* W: 2026-03-15 is a Sunday, its nearest weekday Monday the 16th;
	 * 2026-08-01 is a Saturday: 1W stays in August, on Monday the 3rd */
	expect_next("cron(0 0 15W * ? *)", NULL, "2026-03-01T00:00:00Z", "2026-03-16T00:00:00Z");
	expect_next("cron(0 0 1W * ? *)", NULL, "2026-07-02T00:00:00Z", "2026-08-03T00:00:00Z");
	/* LW: the last weekday; 2026-05-31 is a Sunday */
	expect_next("cron(0 0 LW * ? *)", NULL, "2026-05-01T00:00:00Z", "2026-05-29T00:00:00Z");
	/* #: the second Tuesday; L: the last Friday */
	expect_next("cron(0 0 ? * 3#2 *)", NULL, "2026-01-01T00:00:00Z", "2026-01-13T00:00:00Z");
	expect_next("cron(0 0 ? * TUE#2 *)", NULL, "2026-01-14T00:00:00Z", "2026-02-10T00:00:00Z");
	expect_next("cron(0 0 ? * 6L *)", NULL, "2026-01-01T00:00:00Z", "2026-01-30T00:00:00Z");
}

static void test_time_zones_and_at(void **state)
{
	(void)state;
	/* 02:00 in New York is 07:00 UTC in winter, 06:00 in summer */
	expect_next("cron(0 2 * * ? *)", "America/New_York", "2026-01-10T00:00:00Z", "2026-01-10T07:00:00Z");
	expect_next("cron(0 2 * * ? *)", "America/New_York", "2026-07-10T00:00:00Z", "2026-07-10T06:00:00Z");
	expect_next("at(2026-06-01T10:00:00)", NULL, "2026-01-01T00:00:00Z", "2026-06-01T10:00:00Z");
	expect_next("at(2026-06-01T10:00:00)", "Europe/Paris", "2026-01-01T00:00:00Z", "2026-06-01T08:00:00Z");
	expect_next("at(2026-06-01T10:00:00)", NULL, "2026-07-01T00:00:00Z", "never");
	assert_int_equal(at("2026-01-01T01:00:00+01:00"), at("2026-01-01T00:00:00Z"));
	assert_int_equal(lamb_sched_parse_iso("yesterday", NULL), -1);
}

static void test_refused(void **state)
{
	(void)state;
	const char *bad[] = { "rate(0 minutes)", "rate(5 weeks)", "cron(0 2 * * *)", "cron(0 2 * * * *)",
			      "cron(0 2 ? * ? *)", "cron(61 * * * ? *)", "cron(0 0 ? * 9#2 *)", "every day",
			      "at(2026-01-01T00:00:00)" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct lamb_sched_expr e;
		struct lamb_err err;
		bool at_ok = i + 1 < ARRAY_SIZE(bad); /* the last: at() outside Scheduler */
		assert_int_equal(lamb_sched_parse(bad[i], at_ok, &e, &err), -1);
		assert_non_null(strstr(err.msg, bad[i]));
	}
}

static void test_durations(void **state)
{
	(void)state;
	assert_int_equal(lamb_duration_ms("90s"), 90000);
	assert_int_equal(lamb_duration_ms("1h30m"), 5400000);
	assert_int_equal(lamb_duration_ms("1d"), 86400000);
	assert_int_equal(lamb_duration_ms("500ms"), 500);
	assert_int_equal(lamb_duration_ms("7"), 7000);
	assert_int_equal(lamb_duration_ms("1y"), -1);
	assert_int_equal(lamb_duration_ms("-1h"), -1);
	assert_int_equal(lamb_duration_ms(""), -1);
}

static void test_target_input(void **state)
{
	(void)state;
	const char *ev = "{\"time\":\"T\",\"detail\":{\"n\":[1,{\"k\":true}]}}";
	struct lamb_err err;
	char *s = lamb_sched_target_input(ev, "{\"fixed\":1}", NULL, NULL, "arn", "r", &err);
	assert_string_equal(s, "{\"fixed\":1}");
	free(s);
	s = lamb_sched_target_input(ev, NULL, "$.detail.n[1]", NULL, "arn", "r", &err);
	assert_string_equal(s, "{\"k\":true}");
	free(s);
	assert_null(lamb_sched_target_input(ev, NULL, "$.nothing", NULL, "arn", "r", &err));
	struct loaded *l = load("Resources:\n  T:\n    Type: AWS::Events::Rule\n    Properties:\n"
				"      InputPathsMap: {t: $.time, n: $.detail.n}\n"
				"      InputTemplate: '{\"at\": \"<t>\", \"n\": <n>, \"by\": \"<aws.events.rule-name>\"}'\n");
	assert_int_equal(l->m->nsources, 1);
	s = lamb_sched_target_input(ev, NULL, NULL, l->m->sources[0].properties, "arn", "r", &err);
	assert_string_equal(s, "{\"at\": \"T\", \"n\": [1,{\"k\":true}], \"by\": \"r\"}");
	free(s);
	unload(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_cron),
		cmocka_unit_test(test_cron_wildcards),
		cmocka_unit_test(test_time_zones_and_at),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_target_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
