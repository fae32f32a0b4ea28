/* The samconfig TOML reader: a file as sam deploy --guided writes it, each
 * kind of value and escape, and the errors (with their line) for what is
 * malformed or beyond the subset. */
#include "unit.h"

#include "base/toml.h"
#include "base/util.h"

#include <cJSON.h>

static cJSON *parse(const char *text, struct lamb_err *err)
{
	return lamb_toml_parse(text, strlen(text), "samconfig.toml", err);
}

/* The error text for text, which must fail. */
static const char *error_of(const char *text)
{
	static struct lamb_err err;
	cJSON *t = parse(text, &err);
	if (t) {
		char *s = cJSON_PrintUnformatted(t);
		fail_msg("parsed '%s' as %s", text, s);
	}
	return err.msg;
}

static void test_sam_file(void **state)
{
	(void)state;
	static const char text[] = "# More information about the configuration file can be found here:\n"
				   "version = 0.1\n"
				   "\n"
				   "[default]\n"
				   "[default.global.parameters]\n"
				   "stack_name = \"sam-app\"\n"
				   "\n"
				   "[default.deploy.parameters]\n"
				   "capabilities = \"CAPABILITY_IAM\"\n"
				   "confirm_changeset = true\n"
				   "resolve_s3 = false  # a comment\n"
				   "parameter_overrides = \"Stage=\\\"prod\\\" Size=\\\"2\\\"\"\n"
				   "image_repositories = []\n"
				   "\r\n"
				   "[prod.deploy.parameters]\n"
				   "region = 'eu-west-1'\n"
				   "tags = [\"a=1\", 'b=2',\n  # between items\n  \"c=3\",\n]\n"
				   "retries = 3\n";
	struct lamb_err err;
	cJSON *t = parse(text, &err);
	if (!t)
		fail_msg("%s", err.msg);
	assert_true(cJSON_GetObjectItem(t, "version")->valuedouble == 0.1);
	cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "default"), "deploy"), "parameters");
	assert_string_equal(cJSON_GetObjectItem(d, "capabilities")->valuestring, "CAPABILITY_IAM");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "confirm_changeset")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(d, "resolve_s3")));
	assert_string_equal(cJSON_GetObjectItem(d, "parameter_overrides")->valuestring, "Stage=\"prod\" Size=\"2\"");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "image_repositories")), 0);
	cJSON *p = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "prod"), "deploy"), "parameters");
	assert_string_equal(cJSON_GetObjectItem(p, "region")->valuestring, "eu-west-1");
	cJSON *tags = cJSON_GetObjectItem(p, "tags");
	assert_int_equal(cJSON_GetArraySize(tags), 3);
	assert_string_equal(cJSON_GetArrayItem(tags, 2)->valuestring, "c=3");
	assert_int_equal(cJSON_GetObjectItem(p, "retries")->valuedouble, 3);
	cJSON_Delete(t);
}

static void test_values(void **state)
{
	(void)state;
	static const char text[] = "a = \"tab\\there \\u00e9 \\U0001F600 \\\\ \\\" \\b\\f\\n\\r\"\n"
				   "b = 'C:\\path\\no \"escapes\"'\n"
				   "c = -1_000\n"
				   "d = +6.5e-1\n"
				   "\"quoted key\" = 1\n"
				   "'lit.key' = 2\n"
				   "x.y.z = [[1, 2], [\"m\"]]\n"
				   "e = 0\n"
				   "f = false\n";
	struct lamb_err err;
	cJSON *t = parse(text, &err);
	if (!t)
		fail_msg("%s", err.msg);
	assert_string_equal(cJSON_GetObjectItem(t, "a")->valuestring,
			    "tab\there \xc3\xa9 \xf0\x9f\x98\x80 \\ \" \b\f\n\r");
	assert_string_equal(cJSON_GetObjectItem(t, "b")->valuestring, "C:\\path\\no \"escapes\"");
	assert_true(cJSON_GetObjectItem(t, "c")->valuedouble == -1000);
	assert_true(cJSON_GetObjectItem(t, "d")->valuedouble == 0.65);
	assert_non_null(cJSON_GetObjectItem(t, "quoted key"));
	assert_non_null(cJSON_GetObjectItem(t, "lit.key"));
	cJSON *z = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "x"), "y"), "z");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetArrayItem(z, 1), 0)->valuestring, "m");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(t, "f")));
	cJSON_Delete(t);
}

static void test_errors_name_the_line(void **state)
{
	(void)state;
	assert_string_equal(error_of("a = 1\n\nb = \n"), "samconfig.toml:3: a value is missing");
	assert_string_equal(error_of("a = 1\na = 2\n"), "samconfig.toml:2: key 'a' is defined twice");
	assert_string_equal(error_of("[t]\n[t]\n"), "samconfig.toml:2: table [t] is defined twice");
	assert_string_equal(error_of("a = 1\n[a.b]\n"), "samconfig.toml:2: 'a' is a value already, not a table");
	assert_string_equal(error_of("x = [1,\n2\n"), "samconfig.toml:3: unterminated array");
	assert_string_equal(error_of("s = \"open\n"),
			    "samconfig.toml:1: unterminated string (a samconfig string ends on its line)");
	assert_string_equal(error_of("s = \"\\q\"\n"), "samconfig.toml:1: unknown escape '\\q' in a string");
	assert_string_equal(error_of("s = \"\\u00\"\n"), "samconfig.toml:1: \\u needs 4 hexadecimal digits");
	assert_string_equal(error_of("s = \"\\uD800\"\n"),
			    "samconfig.toml:1: \\uD800 is not a character a string may hold");
	assert_string_equal(error_of("a = 1 2\n"), "samconfig.toml:1: unexpected '2' after the value");
	assert_string_equal(error_of("a = bare\n"),
			    "samconfig.toml:1: unexpected 'b' where a value should be (strings take quotes)");
	assert_string_equal(error_of("a 1\n"), "samconfig.toml:1: expected '=' after the key 'a'");
	assert_string_equal(error_of("= 1\n"), "samconfig.toml:1: unexpected '=' where a key should be");
	assert_string_equal(error_of("a = 012\n"), "samconfig.toml:1: '012' is not a number");
	assert_string_equal(error_of("a = 1__0\n"), "samconfig.toml:1: '1__0' is not a number");
	assert_string_equal(error_of("a = 99999999999999999999\n"),
			    "samconfig.toml:1: number '99999999999999999999' is out of range");
	assert_string_equal(error_of("a = 1\nb = \"\x01\"\n"),
			    "samconfig.toml:2: control character 0x01 in a string: write it as an escape");
	assert_string_equal(error_of("a = 1\nb = \"\xff\"\n"), "samconfig.toml:2: not UTF-8");
}

static void test_beyond_the_subset(void **state)
{
	(void)state;
	assert_string_equal(error_of("[[a]]\n"),
			    "samconfig.toml:1: arrays of tables ([[...]]) are not supported in samconfig files");
	assert_string_equal(error_of("a = {b = 1}\n"),
			    "samconfig.toml:1: inline tables ({...}) are not supported in samconfig files");
	assert_string_equal(error_of("a = \"\"\"x\"\"\"\n"),
			    "samconfig.toml:1: multi-line strings (\"\"\") are not supported in samconfig files");
	assert_string_equal(error_of("a = 1979-05-27\n"),
			    "samconfig.toml:1: dates and times are not supported in samconfig files ('1979-05-27')");
	assert_string_equal(error_of("a = 0xff\n"), "samconfig.toml:1: hexadecimal, octal and binary numbers "
						     "are not supported in samconfig files ('0xff')");
	assert_string_equal(error_of("a = inf\n"), "samconfig.toml:1: inf and nan are not supported in samconfig files");
}

static void test_deep_arrays_refused(void **state)
{
	(void)state;
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_buf_addstr(&b, "a = ");
	for (int i = 0; i < 10000; i++)
		lamb_buf_addch(&b, '[');
	struct lamb_err err;
	assert_null(lamb_toml_parse(b.data, b.len, "f", &err));
	assert_string_equal(err.msg, "f:1: arrays nested more than 32 deep");
	lamb_buf_release(&b);
	/* an embedded NUL is refused, not read as the end */
	assert_null(lamb_toml_parse("a = 1\n\0b = 2\n", 13, "f", &err));
	assert_string_equal(err.msg, "f:2: a NUL byte");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sam_file),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_beyond_the_subset),
		cmocka_unit_test(test_deep_arrays_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
