/* base/util's number writers against printf, which they stand in for in
 * the log lines (START, END, REPORT): the same bytes for every value, the
 * halves included. */
#include "unit.h"

#include "base/util.h"

#include <math.h>
#include <stdio.h>

static void check_fixed2(double v)
{
	char want[64], got[64];
	snprintf(want, sizeof(want), "%.2f", v);
	*lamb_put_fixed2(got, v) = '\0';
	if (strcmp(want, got) != 0)
		fail_msg("%.17g: printf %s, lamb_put_fixed2 %s", v, want, got);
}

static void test_fixed2_as_printf(void **state)
{
	(void)state;
	static const double edges[] = { 0, 0.004, 0.005, 0.015, 0.025, 0.125, 0.375, 1.005, 2.675, 9.995,
					99.995, 0.994999, 1234.565, 1e9 - 0.005, 1e9, 1e12, -1.5, -0.0 };
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		check_fixed2(edges[i]);
	check_fixed2(NAN);
	check_fixed2(INFINITY);
	/* durations as lamb makes them: whole nanoseconds / 1e6 */
	for (uint64_t ns = 0; ns < 3000000; ns += 7)
		check_fixed2((double)ns / 1e6);
	for (uint64_t ns = 5000; ns < 100000000000ull; ns = ns * 3 + 10000)
		check_fixed2((double)ns / 1e6);
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 300000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		check_fixed2((double)(x % 1000000000000ull) / 1e6);
		check_fixed2((double)(x % 100000) / 100.0 + 0.005); /* near the halves */
	}
}

static void test_dec_as_printf(void **state)
{
	(void)state;
	static const long long v[] = { 0, 1, 9, 10, 99, 100, 1769, -1, -10, 9223372036854775807ll,
				       -9223372036854775807ll - 1 };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char want[32], got[32];
		snprintf(want, sizeof(want), "%lld", v[i]);
		*lamb_put_dec(got, v[i]) = '\0';
		assert_string_equal(got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed2_as_printf),
		cmocka_unit_test(test_dec_as_printf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
