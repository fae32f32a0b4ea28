/* Every intrinsic function the resolver evaluates, seen through the
 * environment of a function (the simplest place a resolved value shows). */
#include "unit.h"

#include "base/util.h"

static const char *tmpl =
	HEADER
	"Parameters:\n"
	"  Stage: {Type: String, Default: dev}\n"
	"  Names: {Type: CommaDelimitedList, Default: 'a,b,c'}\n"
	"  Size: {Type: Number, Default: 3}\n"
	"Mappings:\n"
	"  Env:\n"
	"    dev: {Level: debug, Hosts: [h1, h2]}\n"
	"Conditions:\n"
	"  IsDev: !Equals [!Ref Stage, dev]\n"
	"  IsProd: !Not [!Condition IsDev]\n"
	"  Both: !And [!Condition IsDev, !Equals [a, a]]\n"
	"  Either: !Or [!Condition IsProd, !Equals [x, y]]\n"
	"Resources:\n"
	"  Other:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties: {Handler: a.b, Runtime: python3.12, FunctionName: other-fn}\n"
	"  Bucket: {Type: AWS::S3::Bucket}\n"
	"  Fn:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      Handler: app.handler\n"
	"      Runtime: python3.12\n"
	"      Environment:\n"
	"        Variables:\n"
	"          REF_PARAM: !Ref Stage\n"
	"          REF_PSEUDO: !Ref AWS::Region\n"
	"          REF_ACCOUNT: !Ref AWS::AccountId\n"
	"          REF_STACK: !Ref AWS::StackName\n"
	"          REF_FN: !Ref Other\n"
	"          REF_SELF: !Ref Fn\n"
	"          REF_BUCKET: !Ref Bucket\n"
	"          ARN: !GetAtt Other.Arn\n"
	"          ARN_LIST: {'Fn::GetAtt': [Fn, Arn]}\n"
	"          ATTR: !GetAtt Bucket.DomainName\n"
	"          SUB: !Sub '${Stage}-${AWS::Region}-${Other}-${Other.Arn}-${!Literal}'\n"
	"          SUB_LIST: !Sub ['${A}/${Stage}', {A: !Ref Size}]\n"
	"          JOIN: !Join ['-', [x, !Ref Stage, z]]\n"
	"          JOIN_LIST: !Join [':', !Ref Names]\n"
	"          SPLIT_SELECT: !Select [1, !Split [',', 'p,q,r']]\n"
	"          SELECT_PARAM: !Select [2, !Ref Names]\n"
	"          B64: !Base64 'hello'\n"
	"          MAP: !FindInMap [Env, !Ref Stage, Level]\n"
	"          MAP_LIST: !Select [1, !FindInMap [Env, dev, Hosts]]\n"
	"          MAP_DEFAULT: !FindInMap [Env, prod, Level, {DefaultValue: info}]\n"
	"          IF: !If [IsDev, yes-dev, no-dev]\n"
	"          IF_PROD: !If [IsProd, yes-prod, no-prod]\n"
	"          IF_NOVALUE: !If [IsProd, x, !Ref AWS::NoValue]\n"
	"          AND: !If [Both, t, f]\n"
	"          OR: !If [Either, t, f]\n"
	"          AZ: !Select [0, !GetAZs '']\n"
	"          LONG: {'Fn::Join': ['', [{'Fn::Sub': '${AWS::Partition}'}, {Ref: AWS::URLSuffix}]]}\n"
	"          JSON: !ToJsonString {n: 1, t: true, q: '1', s: !Ref Size, l: [a, 2.5], j: !Join ['', ['4', '2']]}\n"
	"          LENGTH: !Length [a, !Ref Stage, c]\n";

static void test_intrinsics(void **state)
{
	(void)state;
	struct loaded *l = load(tmpl);
	dump_diags(l);
	assert_int_equal(l->diags.errors, 0);
	static const char *const want[][2] = {
		{ "REF_PARAM", "dev" },
		{ "REF_PSEUDO", "eu-west-1" },
		{ "REF_ACCOUNT", "123456789012" },
		{ "REF_STACK", "local" },
		{ "REF_FN", "other-fn" },
		{ "REF_SELF", "Fn" },
		{ "REF_BUCKET", "Bucket" },
		{ "ARN", "arn:aws:lambda:eu-west-1:123456789012:function:other-fn" },
		{ "ARN_LIST", "arn:aws:lambda:eu-west-1:123456789012:function:Fn" },
		{ "ATTR", "Bucket.DomainName" },
		{ "SUB", "dev-eu-west-1-other-fn-arn:aws:lambda:eu-west-1:123456789012:function:other-fn-${Literal}" },
		{ "SUB_LIST", "3/dev" },
		{ "JOIN", "x-dev-z" },
		{ "JOIN_LIST", "a:b:c" },
		{ "SPLIT_SELECT", "q" },
		{ "SELECT_PARAM", "c" },
		{ "B64", "aGVsbG8=" },
		{ "MAP", "debug" },
		{ "MAP_LIST", "h2" },
		{ "MAP_DEFAULT", "info" },
		{ "IF", "yes-dev" },
		{ "IF_PROD", "no-prod" },
		{ "AND", "t" },
		{ "OR", "f" },
		{ "AZ", "eu-west-1a" },
		{ "LONG", "awsamazonaws.com" },
		/* numbers and booleans written plain stay typed; computed values are strings */
		{ "JSON", "{\"n\":1,\"t\":true,\"q\":\"1\",\"s\":\"3\",\"l\":[\"a\",2.5],\"j\":\"42\"}" },
		{ "LENGTH", "3" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *v = env_of(l, "Fn", want[i][0]);
		if (!v || strcmp(v, want[i][1]) != 0)
			fail_msg("%s: want '%s', got '%s'", want[i][0], want[i][1], v ? v : "(none)");
	}
	assert_null(env_of(l, "Fn", "IF_NOVALUE"));
	unload(l);
}

static void test_undefined_references(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Resources:\n"
				"  Fn:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      Handler: a.b\n"
				"      Runtime: python3.12\n"
				"      Role: !GetAtt Missing.Arn\n"
				"      Environment:\n"
				"        Variables:\n"
				"          A: !Ref Nope\n"
				"          B: !Sub '${AlsoNope}'\n"
				"          C: !If [NoSuchCondition, a, b]\n"
				"          D: !ImportValue shared-export\n"
				"          E: !Select [5, [a, b]]\n"
				"          F: !FindInMap [NoMap, a, b]\n");
	assert_true(has_diag(l, LAMB_ERROR, 8, "GetAtt of undefined resource 'Missing'"));
	assert_true(has_diag(l, LAMB_ERROR, 11, "Ref to undefined parameter or resource 'Nope'"));
	assert_true(has_diag(l, LAMB_ERROR, 12, "'AlsoNope'"));
	assert_true(has_diag(l, LAMB_ERROR, 13, "undefined condition 'NoSuchCondition'"));
	assert_true(has_diag(l, LAMB_WARNING, 14, "cannot be resolved locally"));
	assert_string_equal(env_of(l, "Fn", "D"), "shared-export");
	assert_true(has_diag(l, LAMB_ERROR, 15, "out of range"));
	assert_true(has_diag(l, LAMB_ERROR, 16, "no mapping 'NoMap'"));
	assert_int_equal(l->diags.errors, 6);
	unload(l);
}

static void test_sam_generated_ids(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Resources:\n"
				"  Fn:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      Handler: a.b\n"
				"      Runtime: python3.12\n"
				"      Events: {E: {Type: Api, Properties: {Path: /x, Method: get}}}\n"
				"Outputs:\n"
				"  Url: {Value: !Sub 'https://${ServerlessRestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/Prod'}\n"
				"  Role: {Value: !GetAtt FnRole.Arn}\n");
	dump_diags(l);
	assert_int_equal(l->diags.errors, 0);
	unload(l);
}

static void test_condition_cycle_and_alias_bomb(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Conditions:\n"
				"  A: !Condition B\n"
				"  B: !Condition A\n"
				"Resources:\n"
				"  X: {Type: AWS::S3::Bucket, Condition: A}\n");
	assert_true(has_diag(l, LAMB_ERROR, 0, "depends on itself"));
	unload(l);
	/* nine levels of ten aliases each: a billion nodes if expanded */
	char text[4096] = HEADER "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
				 "    Metadata:\n      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
	for (int i = 1; i < 9; i++) {
		char line[256];
		snprintf(line, sizeof(line), "      a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
			 i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
		strcat(text, line);
	}
	l = load(text);
	assert_non_null(l->m);
	assert_true(has_diag(l, LAMB_ERROR, 0, "too many values"));
	unload(l);
}

/* Every pseudo parameter follows the region lamb is given (--region):
 * StackId is an ARN of that region, and the partition and URL suffix are
 * those AWS gives the region's partition. */
static void test_pseudo_parameters_follow_the_region(void **state)
{
	(void)state;
	static const char *pseudo_tmpl =
		HEADER
		"Resources:\n"
		"  Fn:\n"
		"    Type: AWS::Serverless::Function\n"
		"    Properties:\n"
		"      Handler: app.handler\n"
		"      Runtime: python3.12\n"
		"      Environment:\n"
		"        Variables:\n"
		"          STACK_ID: !Ref AWS::StackId\n"
		"          SUB_ID: !Sub '${AWS::StackId}'\n"
		"          REGION: !Ref AWS::Region\n"
		"          PARTITION: !Ref AWS::Partition\n"
		"          SUFFIX: !Ref AWS::URLSuffix\n"
		"          ACCOUNT: !Ref AWS::AccountId\n"
		"          STACK: !Ref AWS::StackName\n"
		"          FN_ARN: !GetAtt Fn.Arn\n";
	static const struct { const char *region, *partition, *suffix; } cases[] = {
		{ "eu-west-1", "aws", "amazonaws.com" },
		{ "ap-southeast-2", "aws", "amazonaws.com" },
		{ "cn-north-1", "aws-cn", "amazonaws.com.cn" },
		{ "cn-northwest-1", "aws-cn", "amazonaws.com.cn" },
		{ "us-gov-west-1", "aws-us-gov", "amazonaws.com" },
		{ "us-iso-east-1", "aws-iso", "c2s.ic.gov" },
		{ "us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct loaded *l = calloc(1, sizeof(*l));
		struct lamb_model_opts o = { .region = cases[i].region, .account_id = "210987654321",
					     .stack_name = "shop" };
		lamb_diags_init(&l->diags);
		l->m = lamb_model_parse("t.yaml", "/tmp", pseudo_tmpl, strlen(pseudo_tmpl), &o, &l->diags);
		dump_diags(l);
		assert_int_equal(l->diags.errors, 0);
		char *id = xasprintf("arn:%s:cloudformation:%s:210987654321:stack/shop/"
				     "00000000-0000-0000-0000-000000000000", cases[i].partition, cases[i].region);
		char *fn = xasprintf("arn:%s:lambda:%s:210987654321:function:Fn", cases[i].partition,
				     cases[i].region);
		assert_string_equal(env_of(l, "Fn", "STACK_ID"), id);
		assert_string_equal(env_of(l, "Fn", "SUB_ID"), id);
		assert_string_equal(env_of(l, "Fn", "REGION"), cases[i].region);
		assert_string_equal(env_of(l, "Fn", "PARTITION"), cases[i].partition);
		assert_string_equal(env_of(l, "Fn", "SUFFIX"), cases[i].suffix);
		assert_string_equal(env_of(l, "Fn", "ACCOUNT"), "210987654321");
		assert_string_equal(env_of(l, "Fn", "STACK"), "shop");
		assert_string_equal(env_of(l, "Fn", "FN_ARN"), fn);
		free(id);
		free(fn);
		unload(l);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intrinsics),
		cmocka_unit_test(test_pseudo_parameters_follow_the_region),
		cmocka_unit_test(test_undefined_references),
		cmocka_unit_test(test_sam_generated_ids),
		cmocka_unit_test(test_condition_cycle_and_alias_bomb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
