/* base/regex: Java's syntax where POSIX differs (\d, \w, lookahead, \x{h..}),
 * whole-string matching, PCRE2's message and offset for a bad pattern, and
 * a catastrophic pattern failing fast as too complex instead of hanging. */
#include "unit.h"

#include "base/regex.h"

#include <time.h>

/* lamb_regex_match's answer for pattern against s; -2 when it does not compile */
static int match(const char *pattern, const char *s)
{
	struct lamb_err err;
	struct lamb_regex *re = lamb_regex_new(pattern, &err);
	if (!re)
		return -2;
	int rc = lamb_regex_match(re, s, &err);
	lamb_regex_free(re);
	return rc;
}

static void test_java_syntax(void **state)
{
	(void)state;
	assert_int_equal(match("^\\d{12}$", "123456789012"), 1);
	assert_int_equal(match("\\d{12}", "12345678901a"), 0);
	assert_int_equal(match("\\w+-\\s?\\S", "ab_1- x"), 1);
	assert_int_equal(match("(?=.*[A-Z])(?=.*\\d)[A-Za-z\\d]{8,}", "Passw0rdX"), 1);
	assert_int_equal(match("(?=.*[A-Z])(?=.*\\d)[A-Za-z\\d]{8,}", "password1"), 0);
	assert_int_equal(match("(?!prod$)[a-z]+", "prod"), 0);
	assert_int_equal(match("\\x{e9}t\\x41", "\xc3\xa9tA"), 1);
	assert_int_equal(match("\\u00e9", "\xc3\xa9"), -2); /* see regex.c */
	assert_int_equal(match("(?i)abc", "ABC"), 1);
	/* one character is one code point, as in Java */
	assert_int_equal(match("caf.", "caf\xc3\xa9"), 1);
	/* \d is ASCII, as Java's without (?U): not the Arabic-Indic digit one */
	assert_int_equal(match("\\d", "\xd9\xa1"), 0);
}

static void test_whole_string(void **state)
{
	(void)state;
	assert_int_equal(match("[a-z]+", "abc"), 1);
	assert_int_equal(match("[a-z]+", "abc1"), 0);
	assert_int_equal(match("[a-z]+", "1abc"), 0);
	assert_int_equal(match("a|b", "ab"), 0);
	assert_int_equal(match("a|ab", "ab"), 1);
	/* the pattern is not wrapped in a group: \1 is still its first group */
	assert_int_equal(match("(a)(b)\\2\\1", "abba"), 1);
	/* '$' may precede a final newline, but String.matches needs it all */
	assert_int_equal(match("abc$", "abc\n"), 0);
	assert_int_equal(match("abc$\\n", "abc\n"), 1);
	assert_int_equal(match("", ""), 1);
	/* a value that is not UTF-8 is not a string Java could match */
	struct lamb_err err;
	struct lamb_regex *re = lamb_regex_new("[a-z]+", &err);
	assert_int_equal(lamb_regex_match(re, "abc\xff", &err), -1);
	assert_string_equal(err.msg, "UTF-8 error: illegal byte (0xfe or 0xff)");
	lamb_regex_free(re);
	assert_int_equal(match("a\\C", "a\xff"), -2); /* no \C, which would split a character */
}

static void test_bad_pattern(void **state)
{
	(void)state;
	struct lamb_err err;
	assert_null(lamb_regex_new("[a-z", &err));
	assert_string_equal(err.msg, "missing terminating ] for character class at offset 4");
	assert_null(lamb_regex_new("ab)", &err));
	assert_string_equal(err.msg, "unmatched closing parenthesis at offset 2");
	/* what once made regcomp grow to gigabytes is refused at once */
	assert_null(lamb_regex_new("((a{1,200}){1,200}){1,200}", &err));
	assert_non_null(strstr(err.msg, "too large"));
	assert_null(lamb_regex_new("[a-z]++++++++++++++++++++++++++++++", &err));
	assert_non_null(strstr(err.msg, "at offset 7"));
	lamb_regex_free(NULL);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void test_catastrophic_pattern_fails_fast(void **state)
{
	(void)state;
	char value[64];
	memset(value, 'a', sizeof(value) - 2);
	value[sizeof(value) - 2] = 'b';
	value[sizeof(value) - 1] = '\0';
	static const char *const patterns[] = { "(a+)+$", "(a|a)*", "(a*)*a", "(a|aa)+", "(?:a?){40}a{40}" };
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		struct lamb_err err;
		struct lamb_regex *re = lamb_regex_new(patterns[i], &err);
		assert_non_null(re);
		double t0 = now();
		assert_int_equal(lamb_regex_match(re, value, &err), -1);
		/* 2^62 steps without the limit; ~20 ms with it (ASan: a little more) */
		assert_true(now() - t0 < 2);
		assert_non_null(strstr(err.msg, "too complex"));
		lamb_regex_free(re);
	}
	/* a long value through a plain pattern stays within the limits */
	size_t n = 20000;
	char *big = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		big[i] = "ab,"[i % 3];
	big[n] = '\0';
	assert_int_equal(match("([ab]+,)*[ab]*", big), 1);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_java_syntax),
		cmocka_unit_test(test_whole_string),
		cmocka_unit_test(test_bad_pattern),
		cmocka_unit_test(test_catastrophic_pattern_fails_fast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
