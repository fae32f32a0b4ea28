/* lamb logs' filter patterns and times (engine/log-filter.h), and the log
 * store written, rotated and read back (engine/logstore.h) without a loop. */
#include "unit.h"
#include "base/util.h"
#include "engine/log-filter.h"
#include "engine/logstore.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static bool m(const char *pattern, const char *message)
{
	struct lamb_err err;
	struct lamb_log_filter *f = lamb_log_filter_new(pattern, &err);
	assert_non_null(f);
	bool r = lamb_log_filter_match(f, message);
	lamb_log_filter_free(f);
	return r;
}

static void test_terms(void **state)
{
	(void)state;
	assert_true(m("", "anything"));
	assert_true(m("ERROR Exception", "ERROR: an Exception here"));
	assert_false(m("ERROR Exception", "ERROR only"));
	assert_false(m("error", "ERROR"));
	assert_true(m("\"a phrase\"", "this is a phrase"));
	assert_false(m("\"a phrase\"", "a  phrase"));
	assert_true(m("?ERROR ?WARN", "WARN: x"));
	assert_false(m("?ERROR ?WARN", "INFO: x"));
	assert_true(m("ERROR -Exiting", "ERROR: broken"));
	assert_false(m("ERROR -Exiting", "ERROR: Exiting"));
	assert_true(m("-\"was fine\"", "it is fine"));
}

static void test_json(void **state)
{
	(void)state;
	const char *ev = "{\"level\":\"ERROR\",\"ms\":120,\"ok\":false,\"user\":{\"id\":\"u-42\"},"
			 "\"tags\":[\"a\",\"b\"],\"none\":null}";
	assert_true(m("{ $.level = \"ERROR\" }", ev));
	assert_false(m("{ $.level = \"INFO\" }", ev));
	assert_true(m("{ $.level != INFO }", ev));
	assert_true(m("{ $.ms > 100 && $.ms <= 120 }", ev));
	assert_false(m("{ $.ms < 100 }", ev));
	assert_true(m("{ ($.ms < 100) || ($.user.id = u-*) }", ev));
	assert_true(m("{ $.tags[1] = \"b\" }", ev));
	assert_true(m("{ $.ok IS FALSE }", ev));
	assert_true(m("{ $.none IS NULL }", ev));
	assert_true(m("{ $.missing NOT EXISTS && $.level EXISTS }", ev));
	assert_false(m("{ $.level = \"ERROR\" }", "ERROR but not JSON"));
	struct lamb_err err;
	assert_null(lamb_log_filter_new("{ $.a = }", &err));
	assert_null(lamb_log_filter_new("{ $.a = 1", &err));
	assert_null(lamb_log_filter_new("\"open", &err));
	assert_null(lamb_log_filter_new("[ip, user]", &err));
	assert_non_null(strstr(err.msg, "space-delimited"));
}

static void test_times(void **state)
{
	(void)state;
	struct lamb_err err;
	uint64_t now = 1800000000000ull, t;
	assert_int_equal(lamb_log_time_parse("5mins ago", now, &t, &err), 0);
	assert_true(t == now - 300000);
	assert_int_equal(lamb_log_time_parse("2 hours ago", now, &t, &err), 0);
	assert_true(t == now - 7200000);
	assert_int_equal(lamb_log_time_parse("now", now, &t, &err), 0);
	assert_true(t == now);
	assert_int_equal(lamb_log_time_parse("2026-12-01T10:00:00Z", now, &t, &err), 0);
	assert_true(t == 1796119200000ull);
	assert_int_equal(lamb_log_time_parse("2026-12-01T12:00:00.5+02:00", now, &t, &err), 0);
	assert_true(t == 1796119200500ull);
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(lamb_log_time_parse("2026-12-01 10:00", now, &t, &err), 0);
	assert_true(t == 1796119200000ull);
	assert_int_equal(lamb_log_time_parse("2026-12-01", now, &t, &err), 0);
	assert_true(t == 1796083200000ull);
	assert_int_equal(lamb_log_time_parse("last tuesday", now, &t, &err), -1);
	assert_int_equal(lamb_log_time_parse("5 fortnights ago", now, &t, &err), -1);
}

static int count, outside;

static void on_record(void *data, const struct lamb_log_record *r)
{
	(void)data;
	count++;
	outside += !*r->request_id;
	assert_string_equal(r->function, "Child/Fn");
	assert_true(!*r->request_id || strcmp(r->request_id, "rid-1") == 0);
	assert_true(strstr(r->message, "line") || strstr(r->message, "second"));
}

/* Ten invocations' worth of records, and the init line first. */
static int write_and_read(const char *dir, uint64_t max)
{
	struct lamb_err err;
	struct lamb_logstore *s = lamb_logstore_new(NULL, dir, max, &err);
	assert_non_null(s);
	lamb_logstore_add(s, "Child/Fn", NULL, "init line", 9);
	for (int i = 0; i < 10; i++)
		lamb_logstore_add(s, "Child/Fn", "rid-1", "a line of the invocation\nand a second\n", 38);
	lamb_logstore_free(s); /* no loop: everything is written here */
	struct lamb_log_reader *r = lamb_log_reader_new(dir, NULL);
	count = outside = 0;
	int n = lamb_log_reader_poll(r, on_record, NULL, &err);
	assert_int_equal(n, count);
	assert_int_equal(lamb_log_reader_poll(r, on_record, NULL, &err), 0);
	lamb_log_reader_free(r);
	return n;
}

static void test_store_rotates_and_reads_back(void **state)
{
	(void)state;
	char dir[] = "/tmp/lamb-logstore-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *cur = xasprintf("%s/Child+Fn.log", dir), *old = xasprintf("%s/Child+Fn.log.1", dir);
	assert_int_equal(write_and_read(dir, 0), 21);
	assert_int_equal(outside, 1);
	assert_int_equal(access(old, F_OK), -1);
	unlink(cur);
	int n = write_and_read(dir, 200);
	assert_true(n > 0 && n < 21); /* what was rotated away twice is gone */
	assert_int_equal(access(cur, F_OK), 0);
	assert_int_equal(access(old, F_OK), 0);
	unlink(cur);
	unlink(old);
	rmdir(dir);
	free(cur);
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_store_rotates_and_reads_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
