/* The built template: only the code locations change, byte for byte
 * everything else stays; insertion where the location came from Globals or
 * the default; JSON (flow) and YAML forms; intrinsic values replaced whole. */
#include "unit.h"
#include "build/build-template.h"
#include "template/template.h"

static char *rewrite(const char *src, const struct lamb_build_uri *u, size_t n)
{
	struct lamb_err err;
	char *out = lamb_build_template_rewrite("t.yaml", src, strlen(src), u, n, &err);
	if (!out)
		fail_msg("%s", err.msg);
	return out;
}

static void test_replace_scalar_keeps_rest(void **state)
{
	(void)state;
	const char *src = "# top\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
			  "      CodeUri: src/   # the code\n      Handler: a.b\n";
	struct lamb_build_uri u = { "Fn", "CodeUri", "artifacts/Fn.zip", false };
	char *out = rewrite(src, &u, 1);
	assert_string_equal(out, "# top\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
				 "      CodeUri: \"artifacts/Fn.zip\"   # the code\n      Handler: a.b\n");
	free(out);
}

static void test_insert_when_missing(void **state)
{
	(void)state;
	const char *src = "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
			  "        Handler: a.b\n";
	struct lamb_build_uri u = { "Fn", "CodeUri", "x.zip", false };
	char *out = rewrite(src, &u, 1);
	assert_string_equal(out, "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
				 "        CodeUri: \"x.zip\"\n        Handler: a.b\n");
	free(out);
}

static void test_intrinsic_and_block_values(void **state)
{
	(void)state;
	const char *src = "Resources:\n  A:\n    Properties:\n      CodeUri: !Sub '${X}/src'\n      H: 1\n"
			  "  B:\n    Properties:\n      Code:\n        Fn::Join: ['', [a, b]]\n      H: 2\n";
	struct lamb_build_uri u[] = { { "A", "CodeUri", "a.zip", false }, { "B", "Code", "b.zip", false } };
	char *out = rewrite(src, u, 2);
	assert_string_equal(out, "Resources:\n  A:\n    Properties:\n      CodeUri: \"a.zip\"\n      H: 1\n"
				 "  B:\n    Properties:\n      Code:\n        \"b.zip\"\n      H: 2\n");
	free(out);
}

static void test_json_flow(void **state)
{
	(void)state;
	const char *src = "{\"Resources\": {\"A\": {\"Properties\": {\"Handler\": \"x\"}},"
			  " \"B\": {\"Properties\": {\"CodeUri\": \"s\\u00e9\"}}}}";
	struct lamb_build_uri u[] = { { "A", "CodeUri", "a.zip", false }, { "B", "CodeUri", "dir \"q\"", false } };
	char *out = rewrite(src, u, 2);
	assert_string_equal(out, "{\"Resources\": {\"A\": {\"Properties\": {\"CodeUri\": \"a.zip\", \"Handler\": \"x\"}},"
				 " \"B\": {\"Properties\": {\"CodeUri\": \"dir \\\"q\\\"\"}}}}");
	free(out);
}

static void test_utf8_before_the_value(void **state)
{
	(void)state;
	const char *src = "\xef\xbb\xbf# h\xc3\xa9llo \xe2\x82\xac\nResources:\n  A:\n    Properties:\n"
			  "      Description: \xc3\xa9\xc3\xa9\n      CodeUri: src\n";
	struct lamb_build_uri u = { "A", "CodeUri", "a.zip", false };
	char *out = rewrite(src, &u, 1);
	assert_string_equal(out, "\xef\xbb\xbf# h\xc3\xa9llo \xe2\x82\xac\nResources:\n  A:\n    Properties:\n"
				 "      Description: \xc3\xa9\xc3\xa9\n      CodeUri: \"a.zip\"\n");
	free(out);
}

/* AWS::Lambda::Function Code packaged: a mapping, in YAML and in JSON */
static void test_raw_mapping(void **state)
{
	(void)state;
	const char *src = "Resources:\n  A:\n    Type: AWS::Lambda::Function\n    Properties:\n      Code: src # c\n"
			  "      Handler: x\n";
	struct lamb_build_uri u = { "A", "Code", "{\"S3Bucket\": \"b\", \"S3Key\": \"k\"}", true };
	char *out = rewrite(src, &u, 1);
	assert_string_equal(out, "Resources:\n  A:\n    Type: AWS::Lambda::Function\n    Properties:\n"
				 "      Code: {\"S3Bucket\": \"b\", \"S3Key\": \"k\"} # c\n      Handler: x\n");
	free(out);
	const char *json = "{\"Resources\": {\"A\": {\"Properties\": {\"Code\": \"src\"}}}}";
	out = rewrite(json, &u, 1);
	assert_string_equal(out, "{\"Resources\": {\"A\": {\"Properties\": {\"Code\": {\"S3Bucket\": \"b\", \"S3Key\": \"k\"}}}}}");
	free(out);
}

static void test_odd_characters_quoted(void **state)
{
	(void)state;
	const char *src = "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
			  "      CodeUri: src\n";
	struct lamb_build_uri u = { "Fn", "CodeUri", "a\"b\\c\nd\te\x7f", false };
	char *out = rewrite(src, &u, 1);
	assert_string_equal(out, "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
				 "      CodeUri: \"a\\\"b\\\\c\\nd\\te\\u007f\"\n");
	/* and the YAML loader reads back the value as it was */
	struct lamb_arena *a = lamb_arena_new();
	struct lamb_diags d;
	lamb_diags_init(&d);
	struct lamb_node *root = lamb_template_parse(a, "t.yaml", out, strlen(out), &d);
	assert_non_null(root);
	const struct lamb_node *fn = lamb_node_get(lamb_node_get(root, "Resources"), "Fn");
	assert_string_equal(lamb_node_str(lamb_node_get(lamb_node_get(fn, "Properties"), "CodeUri")), u.value);
	lamb_diags_release(&d);
	lamb_arena_free(a);
	free(out);
}

static void test_errors(void **state)
{
	(void)state;
	struct lamb_err err;
	struct lamb_build_uri u = { "A", "CodeUri", "a.zip", false };
	const char *bad = "Resources: [\n";
	assert_null(lamb_build_template_rewrite("t.yaml", bad, strlen(bad), &u, 1, &err));
	assert_non_null(strstr(err.msg, "t.yaml:"));
	const char *empty = "Resources:\n  A:\n    Type: X\n    Properties: {}\n";
	assert_null(lamb_build_template_rewrite("t.yaml", empty, strlen(empty), &u, 1, &err));
	assert_non_null(strstr(err.msg, "'A'"));
}

/* A function that takes everything from Globals has no Properties: the
 * rewrite adds them (issue 19), in block and flow style. */
static void test_properties_added(void **state)
{
	(void)state;
	struct lamb_build_uri u[] = { { "A", "CodeUri", "a.zip", false }, { "A", "Layers", "x", false } };
	char *out = rewrite("Resources:\n  A:\n    Type: X\n  B:\n    Type: Y\n", u, 1);
	assert_string_equal(out, "Resources:\n  A:\n    Properties:\n      CodeUri: \"a.zip\"\n    Type: X\n"
				 "  B:\n    Type: Y\n");
	free(out);
	out = rewrite("Resources:\n  A:\n    Type: X\n", u, 2);
	assert_string_equal(out, "Resources:\n  A:\n    Properties:\n      CodeUri: \"a.zip\"\n"
				 "      Layers: \"x\"\n    Type: X\n");
	free(out);
	out = rewrite("{\"Resources\": {\"A\": {\"Type\": \"X\"}}}", u, 1);
	assert_string_equal(out, "{\"Resources\": {\"A\": {\"Properties\": {\"CodeUri\": \"a.zip\"}, \"Type\": \"X\"}}}");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_scalar_keeps_rest),
		cmocka_unit_test(test_insert_when_missing),
		cmocka_unit_test(test_intrinsic_and_block_values),
		cmocka_unit_test(test_json_flow),
		cmocka_unit_test(test_utf8_before_the_value),
		cmocka_unit_test(test_raw_mapping),
		cmocka_unit_test(test_odd_characters_quoted),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_properties_added),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
