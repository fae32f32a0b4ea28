/* Parameters: the three --parameter-overrides forms, defaults, and the
 * checks CloudFormation makes on a value. */
#include "unit.h"

#include <stdio.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static const char *tmpl =
	HEADER
	"Parameters:\n"
	"  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}\n"
	"  Size: {Type: Number, Default: 5, MinValue: 1, MaxValue: 10}\n"
	"  Name: {Type: String, Default: abc, AllowedPattern: '[a-z]+', MaxLength: 5}\n"
	"  Ids: {Type: List<Number>, Default: '1,2'}\n"
	"  Required: {Type: String}\n"
	"Resources:\n"
	"  Fn:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      Handler: a.b\n"
	"      Runtime: python3.12\n"
	"      Timeout: !Ref Size\n"
	"      Environment:\n"
	"        Variables:\n"
	"          STAGE: !Ref Stage\n"
	"          NAME: !Ref Name\n"
	"          REQ: !Ref Required\n"
	"          ID: !Select [1, !Ref Ids]\n";

static struct loaded *with(const char *const *words)
{
	struct lamb_overrides ov;
	lamb_overrides_init(&ov);
	for (; *words; words++) {
		struct lamb_err err;
		if (lamb_overrides_add(&ov, *words, &err) < 0)
			fail_msg("%s", err.msg);
	}
	struct loaded *l = load_with(tmpl, &ov);
	lamb_overrides_release(&ov);
	return l;
}

static void test_missing_value_names_parameter(void **state)
{
	(void)state;
	const char *none[] = { NULL };
	struct loaded *l = with(none);
	assert_true(has_diag(l, LAMB_ERROR, 7, "parameter 'Required' has no value"));
	assert_true(has_diag(l, LAMB_ERROR, 7, "--parameter-overrides Required=VALUE"));
	assert_int_equal(l->diags.errors, 1);
	unload(l);
}

static void test_plain_form(void **state)
{
	(void)state;
	const char *w[] = { "Required=r1", "Stage=prod", NULL };
	struct loaded *l = with(w);
	assert_int_equal(l->diags.errors, 0);
	assert_string_equal(env_of(l, "Fn", "REQ"), "r1");
	assert_string_equal(env_of(l, "Fn", "STAGE"), "prod");
	assert_string_equal(env_of(l, "Fn", "ID"), "2");
	assert_int_equal(lamb_model_function(l->m, "Fn")->timeout_s, 5);
	unload(l);
}

static void test_one_word_many_overrides(void **state)
{
	(void)state;
	const char *w[] = { "Required='two words' Size=7", NULL };
	struct loaded *l = with(w);
	assert_int_equal(l->diags.errors, 0);
	assert_string_equal(env_of(l, "Fn", "REQ"), "two words");
	assert_int_equal(lamb_model_function(l->m, "Fn")->timeout_s, 7);
	unload(l);
}

static void test_cloudformation_form(void **state)
{
	(void)state;
	const char *w[] = { "ParameterKey=Required,ParameterValue=a,b", "ParameterKey=Name,ParameterValue=xyz", NULL };
	struct loaded *l = with(w);
	assert_int_equal(l->diags.errors, 0);
	assert_string_equal(env_of(l, "Fn", "REQ"), "a,b");
	assert_string_equal(env_of(l, "Fn", "NAME"), "xyz");
	unload(l);
}

static void test_file_forms(void **state)
{
	(void)state;
	char path[] = "/tmp/lamb-params-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *json = "[{\"ParameterKey\": \"Required\", \"ParameterValue\": \"from-file\"},"
			   " {\"ParameterKey\": \"Size\", \"ParameterValue\": 9}]";
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	char word[64];
	snprintf(word, sizeof(word), "file://%s", path);
	const char *w[] = { word, NULL };
	struct loaded *l = with(w);
	assert_int_equal(l->diags.errors, 0);
	assert_string_equal(env_of(l, "Fn", "REQ"), "from-file");
	assert_int_equal(lamb_model_function(l->m, "Fn")->timeout_s, 9);
	unload(l);

	fd = open(path, O_WRONLY | O_TRUNC);
	json = "{\"Required\": \"obj\"}";
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	l = with(w);
	assert_string_equal(env_of(l, "Fn", "REQ"), "obj");
	unload(l);
	unlink(path);
}

static void test_bad_words(void **state)
{
	(void)state;
	struct lamb_overrides ov;
	struct lamb_err err;
	lamb_overrides_init(&ov);
	assert_int_equal(lamb_overrides_add(&ov, "novalue", &err), -1);
	assert_non_null(strstr(err.msg, "expected NAME=VALUE"));
	assert_int_equal(lamb_overrides_add(&ov, "ParameterKey=X", &err), -1);
	assert_int_equal(lamb_overrides_add(&ov, "file:///nonexistent/p.json", &err), -1);
	assert_non_null(strstr(err.msg, "cannot read parameter file"));
	assert_int_equal(lamb_overrides_add(&ov, "A='open", &err), -1);
	lamb_overrides_release(&ov);
}

static void test_value_checks(void **state)
{
	(void)state;
	const char *w[] = { "Required=x", "Stage=qa", "Size=11", "Name=ABC", NULL };
	struct loaded *l = with(w);
	assert_true(has_diag(l, LAMB_ERROR, 0, "'qa' is not one of its AllowedValues"));
	assert_true(has_diag(l, LAMB_ERROR, 0, "outside MinValue 1 / MaxValue 10"));
	assert_true(has_diag(l, LAMB_ERROR, 0, "does not match AllowedPattern"));
	assert_int_equal(l->diags.errors, 3);
	unload(l);
	const char *w2[] = { "Required=x", "Size=lots", "Ids=1,x", "Name=abcdefg", NULL };
	l = with(w2);
	assert_true(has_diag(l, LAMB_ERROR, 0, "is a Number but its value is 'lots'"));
	assert_true(has_diag(l, LAMB_ERROR, 0, "List<Number> but holds 'x'"));
	assert_true(has_diag(l, LAMB_ERROR, 0, "longer than its MaxLength 5"));
	unload(l);
}

/* Whether a diagnostic of severity sev sits at line:col and contains text. */
static int diag_at(const struct loaded *l, enum lamb_severity sev, unsigned line, unsigned col, const char *text)
{
	for (size_t i = 0; i < l->diags.len; i++)
		if (l->diags.v[i].severity == sev && l->diags.v[i].line == line && l->diags.v[i].col == col &&
		    strstr(l->diags.v[i].msg, text))
			return 1;
	return 0;
}

/* AllowedPattern is Java's syntax (PCRE2's reading of it), matched against
 * the whole value. */
static void test_pattern_java_syntax(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER "Parameters:\n"
				"  Account:\n"
				"    Type: String\n"
				"    Default: '123456789012'\n"
				"    AllowedPattern: '^\\d{12}$'\n"
				"  Name: {Type: String, Default: my_app-1, AllowedPattern: '\\w+-(?=\\d)\\d'}\n"
				"  Part: {Type: String, Default: abc1, AllowedPattern: '[a-z]+'}\n"
				"Resources: {}\n");
	assert_int_equal(l->diags.len, 1);
	assert_true(diag_at(l, LAMB_ERROR, 8, 33, "parameter 'Part': value 'abc1' does not match AllowedPattern '[a-z]+'"));
	unload(l);
}

static void test_pattern_mismatch_names_pattern_and_value(void **state)
{
	(void)state;
	static const char *const text = HEADER "Parameters:\n"
					       "  Env:\n"
					       "    Type: String\n"
					       "    Default: ABC\n"
					       "    AllowedPattern: '^[a-z]+$'\n"
					       "Resources: {}\n";
	struct loaded *l = load(text);
	assert_int_equal(l->diags.errors, 1);
	assert_true(diag_at(l, LAMB_ERROR, 5, 14, "parameter 'Env': value 'ABC' does not match AllowedPattern '^[a-z]+$'"));
	unload(l);
	/* an override is reported at the parameter's name */
	struct lamb_overrides ov;
	struct lamb_err err;
	lamb_overrides_init(&ov);
	assert_int_equal(lamb_overrides_add(&ov, "Env=XYZ", &err), 0);
	l = load_with(text, &ov);
	lamb_overrides_release(&ov);
	assert_true(diag_at(l, LAMB_ERROR, 3, 3, "parameter 'Env': value 'XYZ' does not match AllowedPattern '^[a-z]+$'"));
	unload(l);
}

static void test_invalid_pattern_at_its_mark(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER "Parameters:\n"
				"  Env:\n"
				"    Type: String\n"
				"    Default: abc\n"
				"    AllowedPattern: '[a-z'\n"
				"Resources: {}\n");
	assert_int_equal(l->diags.errors, 0);
	assert_true(diag_at(l, LAMB_WARNING, 6, 21, "parameter 'Env': AllowedPattern '[a-z' is not a pattern lamb can "
			    "check: missing terminating ] for character class at offset 4; the value is not checked"));
	unload(l);
}

static void test_catastrophic_pattern_is_not_checked(void **state)
{
	(void)state;
	char value[80], text[256];
	memset(value, 'a', sizeof(value) - 2);
	value[sizeof(value) - 2] = 'b';
	value[sizeof(value) - 1] = '\0';
	snprintf(text, sizeof(text), HEADER "Parameters:\n  P: {Type: String, Default: %s, AllowedPattern: '(a+)+$'}\n"
		 "Resources: {}\n", value);
	time_t t0 = time(NULL);
	struct loaded *l = load(text); /* 2^78 steps without PCRE2's match limit */
	assert_true(time(NULL) - t0 < 3);
	assert_int_equal(l->diags.errors, 0);
	char want[256];
	snprintf(want, sizeof(want), "parameter 'P': cannot check value '%s' against AllowedPattern '(a+)+$': "
		 "pattern too complex for this value (match limit exceeded)", value);
	assert_true(diag_at(l, LAMB_WARNING, 3, 30, want));
	unload(l);
}

/* The patterns that made glibc's regcomp() hang or grow to gigabytes (the
 * fuzzer's finds, tests/fuzz/crashes/) compile at once or are refused with
 * PCRE2's reason, and the values are checked against the ones it reads. */
static void test_patterns_that_exploded_regcomp(void **state)
{
	(void)state;
	static const char *const wild[][2] = {
		{ "[a-z]++++++++++++++++++++++", "quantifier does not follow a repeatable item at offset 7" },
		{ "((a{1,200}){1,200}){1,200}", "regular expression is too large" },
		{ "(a{0,200}){1,200}", "value 'x' does not match" },
		{ "a{1,99999}", "number too big in {} quantifier" },
		/* nested once lamb wrapped it in ^( )$, which it no longer does */
		{ "(Runtime:}){0,200}){1,200}", "unmatched closing parenthesis at offset 18" },
		{ "[a-z]+++*+++++x", "quantifier does not follow a repeatable item" },
		{ "a+*+*+*+*+*+*", "quantifier does not follow a repeatable item" },
		{ "((((((((a+)*)+)*)+)*)+)*)+", "value 'x' does not match" },
	};
	for (size_t i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), HEADER "Parameters:\n  P: {Type: String, Default: x, AllowedPattern: '%s'}\n"
			 "Resources: {}\n", wild[i][0]);
		struct loaded *l = load(text);
		assert_int_equal(l->diags.len, 1);
		bool refused = strstr(wild[i][1], "does not match") == NULL;
		if (!has_diag(l, refused ? LAMB_WARNING : LAMB_ERROR, 3, wild[i][1]))
			fail_msg("AllowedPattern '%s': want '%s', got '%s'", wild[i][0], wild[i][1], l->diags.v[0].msg);
		unload(l);
	}
	/* tame ones are still checked */
	struct loaded *l = load(HEADER "Parameters:\n  P: {Type: String, Default: ab1, AllowedPattern: '(ab){1,3}[0-9]+'}\n"
				"  Q: {Type: String, Default: 'x-y', AllowedPattern: '[a-z]+'}\n"
				"  R: {Type: String, Default: 'my-app-1', AllowedPattern: '[a-z0-9]+(-[a-z0-9]+)*'}\n"
				"  S: {Type: String, Default: '10.0.0.1', AllowedPattern: '(([0-9]{1,3})\\.){3}[0-9]{1,3}'}\n"
				"  T: {Type: String, Default: '10.0.0', AllowedPattern: '(([0-9]{1,3})\\.){3}[0-9]{1,3}'}\n"
				"Resources: {}\n");
	assert_int_equal(l->diags.errors, 2);
	assert_true(has_diag(l, LAMB_ERROR, 0, "parameter 'Q': value 'x-y' does not match"));
	assert_true(has_diag(l, LAMB_ERROR, 0, "parameter 'T': value '10.0.0' does not match"));
	unload(l);
}

static void test_unknown_override_warns(void **state)
{
	(void)state;
	const char *w[] = { "Required=x", "Typo=1", NULL };
	struct loaded *l = with(w);
	assert_int_equal(l->diags.errors, 0);
	assert_true(has_diag(l, LAMB_WARNING, 0, "'Typo', which the template does not declare"));
	unload(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_value_names_parameter),
		cmocka_unit_test(test_plain_form),
		cmocka_unit_test(test_one_word_many_overrides),
		cmocka_unit_test(test_cloudformation_form),
		cmocka_unit_test(test_file_forms),
		cmocka_unit_test(test_bad_words),
		cmocka_unit_test(test_value_checks),
		cmocka_unit_test(test_unknown_override_warns),
		cmocka_unit_test(test_pattern_java_syntax),
		cmocka_unit_test(test_pattern_mismatch_names_pattern_and_value),
		cmocka_unit_test(test_invalid_pattern_at_its_mark),
		cmocka_unit_test(test_catastrophic_pattern_is_not_checked),
		cmocka_unit_test(test_patterns_that_exploded_regcomp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
