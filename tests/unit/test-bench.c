/* lamb local bench's arithmetic: nearest-rank percentiles, the price
 * table's reading and its errors, tiered GB-second pricing. No process, no
 * port: the measuring loop is tested end to end in test_local_bench.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front/bench.h"

static void test_dist(void **state)
{
	(void)state;
	double v[100];
	for (int i = 0; i < 100; i++)
		v[i] = 100 - i; /* 100 .. 1, unsorted on purpose */
	struct lamb_bench_dist d;
	lamb_bench_dist(v, 100, &d);
	assert_int_equal(d.n, 100);
	assert_true(d.min == 1 && d.max == 100);
	assert_true(d.p50 == 50 && d.p90 == 90 && d.p99 == 99);
	assert_true(d.mean == 50.5);
	double one = 7;
	lamb_bench_dist(&one, 1, &d);
	assert_true(d.p50 == 7 && d.p99 == 7 && d.min == 7 && d.max == 7);
	lamb_bench_dist(NULL, 0, &d);
	assert_int_equal(d.n, 0);
	assert_true(d.p99 == 0);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/lamb-test-prices-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static const char table[] =
	"{\"date\": \"2001-02-03\", \"region\": \"r\", \"currency\": \"XTS\","
	" \"requests\": {\"per_million\": 0.5},"
	" \"architectures\": {"
	"  \"x86_64\": {\"tiers\": [{\"up_to_gb_seconds\": 100, \"per_gb_second\": 1},"
	"                          {\"up_to_gb_seconds\": 300, \"per_gb_second\": 0.5},"
	"                          {\"per_gb_second\": 0.25}]},"
	"  \"arm64\": {\"tiers\": [{\"per_gb_second\": 0.1}]}}}";

static void test_prices_and_tiers(void **state)
{
	(void)state;
	char *path = write_tmp(table);
	struct lamb_bench_prices p;
	struct lamb_err err;
	assert_int_equal(lamb_bench_prices_load(&p, path, &err), 0);
	assert_string_equal(p.date, "2001-02-03");
	assert_string_equal(p.currency, "XTS");
	assert_int_equal(p.narchs, 2);
	const struct lamb_bench_arch *x86 = lamb_bench_prices_arch(&p, "x86_64");
	const struct lamb_bench_arch *arm = lamb_bench_prices_arch(&p, "arm64");
	assert_non_null(x86);
	assert_non_null(arm);
	assert_null(lamb_bench_prices_arch(&p, "sparc"));
	struct lamb_bench_cost c;
	/* 1000 requests x 1000 ms x 1 GB = 1000 GB-s: 100 at 1, 200 at 0.5, 700 at 0.25 */
	lamb_bench_prices_cost(&p, x86, 1000, 1000, 1024, &c);
	assert_true(c.gb_seconds == 1000);
	assert_true(c.compute == 100 + 100 + 175);
	assert_true(c.requests == 0.0005);
	assert_true(c.total == c.compute + c.requests);
	/* inside the first tier */
	lamb_bench_prices_cost(&p, x86, 100, 500, 512, &c);
	assert_true(c.gb_seconds == 25 && c.compute == 25);
	lamb_bench_prices_cost(&p, arm, 1000, 1000, 1024, &c);
	assert_true(c.compute > 99.99 && c.compute < 100.01);
	lamb_bench_prices_cost(&p, x86, 0, 1, 128, &c);
	assert_true(c.total == 0);
	lamb_bench_prices_release(&p);
	lamb_bench_prices_release(&p); /* twice is fine */
	unlink(path);
	free(path);
}

static void test_price_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "{", "not valid JSON" },
		{ "[]", "not a JSON object" },
		{ "{\"architectures\": {\"x\": {\"tiers\": [{\"per_gb_second\": 1}]}}}", "per_million" },
		{ "{\"requests\": {\"per_million\": 1}}", "\"architectures\"" },
		{ "{\"requests\": {\"per_million\": 1}, \"architectures\": {\"x\": {}}}", "architecture 'x' has no" },
		{ "{\"requests\": {\"per_million\": 1}, \"architectures\": {\"x\": {\"tiers\": [{}]}}}",
		  "per_gb_second" },
		{ "{\"requests\": {\"per_million\": 1}, \"architectures\": {\"x\": {\"tiers\": "
		  "[{\"per_gb_second\": 1, \"up_to_gb_seconds\": -5}]}}}", "up_to_gb_seconds" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = write_tmp(cases[i].text);
		struct lamb_bench_prices p;
		struct lamb_err err;
		assert_int_equal(lamb_bench_prices_load(&p, path, &err), -1);
		if (!strstr(err.msg, cases[i].want) || !strstr(err.msg, path))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
		lamb_bench_prices_release(&p);
		unlink(path);
		free(path);
	}
	struct lamb_bench_prices p;
	struct lamb_err err;
	assert_int_equal(lamb_bench_prices_load(&p, "/nonexistent/prices.json", &err), -1);
	assert_non_null(strstr(err.msg, "cannot read price table '/nonexistent/prices.json'"));
}

/* The cheapest setting, then the fastest of those within 10% of its cost. */
static void test_tune_pick_and_svg(void **state)
{
	(void)state;
	struct lamb_bench_setting v[] = {
		{ .memory_mb = 128, .p50 = 400, .per_million = { 1.00 } },
		{ .memory_mb = 256, .p50 = 190, .per_million = { 0.95 } }, /* cheapest */
		{ .memory_mb = 512, .p50 = 90, .per_million = { 1.04 } },  /* within 10%, fastest */
		{ .memory_mb = 1024, .p50 = 50, .per_million = { 1.20 } }, /* fastest, too dear */
	};
	size_t cheapest, fastest;
	lamb_bench_tune_pick(v, 4, 0, &cheapest, &fastest);
	assert_int_equal(cheapest, 1);
	assert_int_equal(fastest, 2);
	char *svg = lamb_bench_tune_svg(v, 4, 0, "x86_64", "F <&> G", "USD");
	assert_true(strncmp(svg, "<svg ", 5) == 0);
	assert_non_null(strstr(svg, "F &lt;&amp;&gt; G"));
	assert_non_null(strstr(svg, ">1024</text>"));
	assert_non_null(strstr(svg, ">fastest within 10%</text>"));
	assert_non_null(strstr(svg, "</svg>\n"));
	free(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dist),
		cmocka_unit_test(test_prices_and_tiers),
		cmocka_unit_test(test_price_errors),
		cmocka_unit_test(test_tune_pick_and_svg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
