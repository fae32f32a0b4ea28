/* The .lambignore matcher: globs, anchoring, directories, negation and the
 * rule that nothing under an ignored directory comes back. */
#include "unit.h"
#include "build/ignore.h"

static bool ignored(const char *rules, const char *path, bool is_dir)
{
	struct lamb_ignore ig;
	lamb_ignore_init(&ig);
	lamb_ignore_parse(&ig, rules, strlen(rules));
	bool r = lamb_ignore_match(&ig, path, is_dir);
	lamb_ignore_release(&ig);
	return r;
}

static void test_glob(void **state)
{
	(void)state;
	assert_true(lamb_ignore_glob("*.pyc", "a.pyc"));
	assert_false(lamb_ignore_glob("*.pyc", "d/a.pyc"));
	assert_true(lamb_ignore_glob("a?c", "abc"));
	assert_false(lamb_ignore_glob("a?c", "a/c"));
	assert_true(lamb_ignore_glob("[ab]x", "bx"));
	assert_false(lamb_ignore_glob("[!ab]x", "bx"));
	assert_true(lamb_ignore_glob("[^ab]x", "cx"));
	assert_true(lamb_ignore_glob("**/x", "x"));
	assert_true(lamb_ignore_glob("**/x", "a/b/x"));
	assert_true(lamb_ignore_glob("a/**", "a/b/c"));
	assert_true(lamb_ignore_glob("a/**/b", "a/b"));
	assert_true(lamb_ignore_glob("a/**/b", "a/x/y/b"));
	assert_false(lamb_ignore_glob("a/**/b", "a/x/y/c"));
	assert_true(lamb_ignore_glob("\\*x", "*x"));
	assert_false(lamb_ignore_glob("\\*x", "ax"));
	assert_true(lamb_ignore_glob("[z", "[z")); /* unclosed: literal */
	assert_false(lamb_ignore_glob("abc", "ab"));
	assert_true(lamb_ignore_glob("a*b*c", "axxbyyc"));
}

static void test_basename_patterns(void **state)
{
	(void)state;
	assert_true(ignored("*.pyc\n", "a.pyc", false));
	assert_true(ignored("*.pyc\n", "deep/er/a.pyc", false));
	assert_false(ignored("*.pyc\n", "a.py", false));
	assert_true(ignored("secret.txt\n", "x/secret.txt", false));
}

static void test_anchored(void **state)
{
	(void)state;
	assert_true(ignored("/top.txt\n", "top.txt", false));
	assert_false(ignored("/top.txt\n", "sub/top.txt", false));
	assert_true(ignored("docs/*.md\n", "docs/a.md", false));
	assert_false(ignored("docs/*.md\n", "x/docs/a.md", false));
	assert_true(ignored("**/build\n", "a/b/build", true));
}

static void test_directories(void **state)
{
	(void)state;
	assert_true(ignored("data/\n", "data", true));
	assert_false(ignored("data/\n", "data", false)); /* a file named data stays */
	assert_true(ignored("data/\n", "x/data/file", false)); /* through its parent */
	assert_true(ignored("/data/\n", "data/a/b", false));
	assert_false(ignored("/data/\n", "x/data/b", false));
}

static void test_negation_and_order(void **state)
{
	(void)state;
	assert_false(ignored("*.pyc\n!keep.pyc\n", "keep.pyc", false));
	assert_true(ignored("*.pyc\n!keep.pyc\n", "other.pyc", false));
	assert_true(ignored("!keep.pyc\n*.pyc\n", "keep.pyc", false)); /* last match wins */
	assert_true(ignored("data/\n!data/keep\n", "data/keep", false)); /* parent excluded: stays out */
	assert_false(ignored("\\!bang\n", "bang", false));
	assert_true(ignored("\\!bang\n", "!bang", false));
}

static void test_comments_blanks_spaces(void **state)
{
	(void)state;
	assert_false(ignored("# a.txt\n\n   \n", "# a.txt", false));
	assert_true(ignored("\\#a.txt\n", "#a.txt", false));
	assert_true(ignored("a.txt   \r\n", "a.txt", false));
	assert_true(ignored("a.txt\\ \n", "a.txt ", false));
	assert_false(ignored("", "a", false));
	assert_false(ignored("/\n", "a", false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_basename_patterns),
		cmocka_unit_test(test_anchored),
		cmocka_unit_test(test_directories),
		cmocka_unit_test(test_negation_and_order),
		cmocka_unit_test(test_comments_blanks_spaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
