/* SAM's Globals rules, one test each. */
#include "unit.h"

static const char *tmpl =
	HEADER
	"Globals:\n"
	"  Function:\n"
	"    Runtime: python3.12\n"
	"    Handler: app.handler\n"
	"    Timeout: 10\n"
	"    MemorySize: !Ref Mem\n"
	"    Layers: [arn:aws:lambda:us-east-1:1:layer:global:1]\n"
	"    Environment:\n"
	"      Variables: {SHARED: g, OVERRIDDEN: g}\n"
	"    Architectures: [arm64]\n"
	"  Api:\n"
	"    Variables: {stagevar: v1}\n"
	"    BinaryMediaTypes: ['image~1png']\n"
	"Parameters:\n"
	"  Mem: {Type: Number, Default: 256}\n"
	"Resources:\n"
	"  Plain:\n"
	"    Type: AWS::Serverless::Function\n"
	"  Own:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      Timeout: 20\n"
	"      MemorySize: 512\n"
	"      Layers: [arn:aws:lambda:us-east-1:1:layer:own:1]\n"
	"      Environment:\n"
	"        Variables: {OVERRIDDEN: mine, OWN: o}\n"
	"  Intrinsic:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      Environment: !If [Never, {Variables: {X: y}}, !Ref AWS::NoValue]\n"
	"  Ignoring:\n"
	"    Type: AWS::Serverless::Function\n"
	"    IgnoreGlobals: [Timeout, Layers]\n"
	"    Properties: {}\n"
	"  IgnoringAll:\n"
	"    Type: AWS::Serverless::Function\n"
	"    IgnoreGlobals: '*'\n"
	"    Properties: {Runtime: nodejs20.x, Handler: index.handler}\n"
	"  Classic:\n"
	"    Type: AWS::Lambda::Function\n"
	"    Properties: {Runtime: nodejs20.x, Handler: index.handler}\n"
	"  Events:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      Events: {E: {Type: Api, Properties: {Path: /x, Method: get}}}\n"
	"Conditions:\n"
	"  Never: !Equals [a, b]\n";

static struct loaded *l;

static int setup(void **state)
{
	(void)state;
	l = load(tmpl);
	dump_diags(l);
	return l->diags.errors != 0;
}

static int teardown(void **state)
{
	(void)state;
	unload(l);
	return 0;
}

static const struct lamb_function *fn(const char *id)
{
	const struct lamb_function *f = lamb_model_function(l->m, id);
	assert_non_null(f);
	return f;
}

static void test_missing_property_comes_from_globals(void **state)
{
	(void)state;
	assert_string_equal(fn("Plain")->runtime, "python3.12");
	assert_int_equal(fn("Plain")->timeout_s, 10);
	assert_int_equal(fn("Plain")->memory_mb, 256); /* an intrinsic in Globals */
	assert_string_equal(fn("Plain")->architectures.v[0], "arm64");
}

static void test_own_scalar_wins(void **state)
{
	(void)state;
	assert_int_equal(fn("Own")->timeout_s, 20);
	assert_int_equal(fn("Own")->memory_mb, 512);
}

static void test_lists_concatenate_globals_first(void **state)
{
	(void)state;
	const struct lamb_function *f = fn("Own");
	assert_int_equal(f->nlayers, 2);
	assert_string_equal(f->layers[0].arn, "arn:aws:lambda:us-east-1:1:layer:global:1");
	assert_string_equal(f->layers[1].arn, "arn:aws:lambda:us-east-1:1:layer:own:1");
}

static void test_maps_merge_key_by_key(void **state)
{
	(void)state;
	assert_string_equal(env_of(l, "Own", "SHARED"), "g");
	assert_string_equal(env_of(l, "Own", "OVERRIDDEN"), "mine");
	assert_string_equal(env_of(l, "Own", "OWN"), "o");
	assert_int_equal(fn("Own")->env.len, 3);
}

static void test_intrinsic_counts_as_scalar(void **state)
{
	(void)state;
	/* the function's Environment is an Fn::If: it replaces the global map
	 * whole instead of merging, and resolves to nothing */
	assert_null(env_of(l, "Intrinsic", "SHARED"));
	assert_int_equal(fn("Intrinsic")->env.len, 0);
}

static void test_ignore_globals(void **state)
{
	(void)state;
	assert_int_equal(fn("Ignoring")->timeout_s, 3);
	assert_int_equal(fn("Ignoring")->nlayers, 0);
	assert_string_equal(fn("Ignoring")->runtime, "python3.12");
	assert_int_equal(fn("IgnoringAll")->memory_mb, 128);
	assert_null(env_of(l, "IgnoringAll", "SHARED"));
}

static void test_lambda_function_takes_no_globals(void **state)
{
	(void)state;
	assert_int_equal(fn("Classic")->timeout_s, 3);
	assert_int_equal(fn("Classic")->nlayers, 0);
}

static void test_api_globals_reach_implicit_api(void **state)
{
	(void)state;
	assert_int_equal(l->m->napis, 1);
	const struct lamb_api *api = &l->m->apis[0];
	assert_string_equal(api->logical_id, "ServerlessRestApi");
	assert_true(api->implicit);
	assert_string_equal(api->stage, "Prod");
	assert_int_equal(api->stage_variables.len, 1);
	assert_string_equal(api->stage_variables.v[0].value, "v1");
	assert_string_equal(api->binary_media_types.v[0], "image/png");
}

static void test_disallowed_globals(void **state)
{
	(void)state;
	struct loaded *bad = load(HEADER
				  "Globals:\n"
				  "  Function:\n"
				  "    Role: arn:aws:iam::1:role/x\n"
				  "    Timeout: 5\n"
				  "  Queue:\n"
				  "    X: 1\n"
				  "Resources:\n"
				  "  B: {Type: AWS::S3::Bucket}\n");
	assert_true(has_diag(bad, LAMB_ERROR, 4, "'Role' is not allowed in Globals.Function"));
	assert_true(has_diag(bad, LAMB_ERROR, 6, "unknown Globals section 'Queue'"));
	assert_int_equal(bad->diags.errors, 2);
	assert_int_equal(bad->diags.v[0].col, 5);
	unload(bad);
}

/* A deprecated Runtime in Globals is one warning, not one per function. */
static void test_globals_warning_said_once(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Globals:\n"
				"  Function: {Runtime: python3.8, Handler: app.handler}\n"
				"Resources:\n"
				"  A: {Type: AWS::Serverless::Function, Properties: {CodeUri: a}}\n"
				"  B: {Type: AWS::Serverless::Function, Properties: {CodeUri: a}}\n"
				"  C: {Type: AWS::Serverless::Function, Properties: {CodeUri: a}}\n");
	size_t n = 0;
	for (size_t i = 0; i < l->diags.len; i++)
		n += strstr(l->diags.v[i].msg, "Runtime 'python3.8' is deprecated") != NULL;
	assert_int_equal(n, 1);
	unload(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_property_comes_from_globals),
		cmocka_unit_test(test_own_scalar_wins),
		cmocka_unit_test(test_lists_concatenate_globals_first),
		cmocka_unit_test(test_maps_merge_key_by_key),
		cmocka_unit_test(test_intrinsic_counts_as_scalar),
		cmocka_unit_test(test_ignore_globals),
		cmocka_unit_test(test_lambda_function_takes_no_globals),
		cmocka_unit_test(test_api_globals_reach_implicit_api),
		cmocka_unit_test(test_disallowed_globals),
		cmocka_unit_test(test_globals_warning_said_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
