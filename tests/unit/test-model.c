/* The model's functions, layers, APIs and routes, and the checks that
 * lamb validate reports with their positions. */
#include "unit.h"

#include "model/runtimes.h"

static void test_routes_and_implicit_apis(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Resources:\n"
				"  MyApi:\n"
				"    Type: AWS::Serverless::Api\n"
				"    Properties: {StageName: v1, Variables: {k: v}}\n"
				"  MyHttp:\n"
				"    Type: AWS::Serverless::HttpApi\n"
				"    Properties: {StageName: beta}\n"
				"  Fn:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      Handler: a.b\n"
				"      Runtime: python3.12\n"
				"      Events:\n"
				"        Rest: {Type: Api, Properties: {Path: '/items/{id}', Method: get}}\n"
				"        RestAny: {Type: Api, Properties: {Path: '/{proxy+}', Method: any, RestApiId: !Ref MyApi}}\n"
				"        Http: {Type: HttpApi, Properties: {Path: /h, Method: POST, PayloadFormatVersion: '1.0'}}\n"
				"        HttpExplicit: {Type: HttpApi, Properties: {Path: /e, Method: get, ApiId: !Ref MyHttp}}\n"
				"        Default: {Type: HttpApi}\n"
				"        Queue: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:1:q}}\n");
	dump_diags(l);
	assert_int_equal(l->diags.errors, 0);
	assert_int_equal(l->m->napis, 4);
	assert_int_equal(l->m->nroutes, 5);
	const struct lamb_route *r = l->m->routes;
	assert_string_equal(r[0].method, "GET");
	assert_string_equal(r[0].path, "/items/{id}");
	assert_string_equal(r[0].api->logical_id, "ServerlessRestApi");
	assert_string_equal(r[0].api->stage, "Prod");
	assert_string_equal(r[0].payload_format, "1.0");
	assert_string_equal(r[1].method, "ANY");
	assert_string_equal(r[1].api->logical_id, "MyApi");
	assert_string_equal(r[1].api->stage, "v1");
	assert_string_equal(r[2].api->logical_id, "ServerlessHttpApi");
	assert_string_equal(r[2].api->stage, "$default");
	assert_string_equal(r[2].payload_format, "1.0");
	assert_string_equal(r[3].api->logical_id, "MyHttp");
	assert_string_equal(r[3].payload_format, "2.0");
	assert_true(r[4].is_default);
	assert_string_equal(r[4].path, "$default");
	assert_int_equal(lamb_model_function(l->m, "Fn")->nevents, 6);
	unload(l);
}

static void test_openapi_definition_routes(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Globals: {Function: {Runtime: python3.12, Handler: a.b}}\n"
				"Resources:\n"
				"  Hello: {Type: AWS::Serverless::Function}\n"
				"  HelloWorld: {Type: AWS::Serverless::Function, Properties: {FunctionName: hw}}\n"
				"  Api:\n"
				"    Type: AWS::Serverless::Api\n"
				"    Properties:\n"
				"      StageName: dev\n"
				"      DefinitionBody:\n"
				"        swagger: '2.0'\n"
				"        paths:\n"
				"          /hello/{name}:\n"
				"            parameters: []\n"
				"            get:\n"
				"              x-amazon-apigateway-integration:\n"
				"                type: aws_proxy\n"
				"                uri: !Sub 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Hello.Arn}/invocations'\n"
				"            x-amazon-apigateway-any-method:\n"
				"              x-amazon-apigateway-integration: {type: AWS_PROXY, uri: !GetAtt HelloWorld.Arn}\n"
				"          /named:\n"
				"            post:\n"
				"              x-amazon-apigateway-integration:\n"
				"                type: aws_proxy\n"
				"                uri: arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:1:function:hw:live/invocations\n"
				"          /mock: {get: {x-amazon-apigateway-integration: {type: mock}}}\n"
				"          /elsewhere: {get: {x-amazon-apigateway-integration: {type: aws_proxy, uri: 'arn:aws:lambda:eu-west-1:1:function:Gone'}}}\n"
				"  Http:\n"
				"    Type: AWS::Serverless::HttpApi\n"
				"    Properties:\n"
				"      DefinitionBody:\n"
				"        paths:\n"
				"          $default:\n"
				"            x-amazon-apigateway-any-method:\n"
				"              x-amazon-apigateway-integration: {type: aws_proxy, payloadFormatVersion: '2.0', uri: !GetAtt Hello.Arn}\n"
				"          /v1: {get: {x-amazon-apigateway-integration: {type: aws_proxy, uri: !GetAtt Hello.Arn}}}\n");
	dump_diags(l);
	assert_int_equal(l->diags.errors, 0);
	assert_int_equal(l->m->nroutes, 5);
	const struct lamb_route *r = l->m->routes;
	assert_string_equal(r[0].method, "GET");
	assert_string_equal(r[0].path, "/hello/{name}");
	assert_string_equal(r[0].function->logical_id, "Hello"); /* not HelloWorld */
	assert_string_equal(r[0].api->logical_id, "Api");
	assert_string_equal(r[0].payload_format, "1.0");
	assert_null(r[0].event);
	assert_string_equal(r[1].method, "ANY");
	assert_string_equal(r[1].function->logical_id, "HelloWorld");
	assert_string_equal(r[2].method, "POST");
	assert_string_equal(r[2].function->logical_id, "HelloWorld"); /* by FunctionName, qualifier ignored */
	assert_true(r[3].is_default);
	assert_string_equal(r[3].api->logical_id, "Http");
	assert_string_equal(r[3].payload_format, "2.0");
	assert_string_equal(r[4].payload_format, "1.0");
	assert_true(has_diag(l, LAMB_WARNING, 0, "GET /mock: integration type 'mock' is not served"));
	assert_true(has_diag(l, LAMB_WARNING, 0, "GET /elsewhere: the integration's uri"));
	unload(l);

	l = load(HEADER
		 "Resources:\n"
		 "  Api:\n"
		 "    Type: AWS::Serverless::Api\n"
		 "    Properties: {StageName: dev, DefinitionUri: missing-openapi.yaml}\n");
	assert_int_equal(l->diags.errors, 1);
	assert_true(has_diag(l, LAMB_ERROR, 0, "API 'Api': cannot read DefinitionUri 'missing-openapi.yaml': No such file"));
	unload(l);
}

static void test_function_values(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Resources:\n"
				"  Layer:\n"
				"    Type: AWS::Serverless::LayerVersion\n"
				"    Properties: {ContentUri: layer/, CompatibleRuntimes: [python3.12], LayerName: deps}\n"
				"    Metadata: {BuildMethod: python3.12}\n"
				"  Local:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      CodeUri: src/\n"
				"      Handler: app.handler\n"
				"      Runtime: python3.12\n"
				"      FunctionName: my-fn\n"
				"      ReservedConcurrentExecutions: 4\n"
				"      Layers: [!Ref Layer, arn:aws:lambda:us-east-1:1:layer:x:2]\n"
				"  InS3:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties: {CodeUri: {Bucket: b, Key: k.zip}, Handler: a.b, Runtime: nodejs22.x}\n"
				"  Inline:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties: {InlineCode: 'def h(e, c): pass', Handler: index.h, Runtime: python3.12}\n"
				"  Java:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties: {CodeUri: j/, Handler: a::b, Runtime: java21}\n"
				"  Classic:\n"
				"    Type: AWS::Lambda::Function\n"
				"    Properties: {Code: {S3Bucket: b, S3Key: k}, Handler: a.b, Runtime: python3.12}\n");
	const struct lamb_function *f = lamb_model_function(l->m, "Local");
	assert_string_equal(f->code, "/tmp/src");
	assert_int_equal(f->code_kind, LAMB_CODE_LOCAL);
	assert_string_equal(f->name, "my-fn");
	assert_string_equal(f->arn, "arn:aws:lambda:eu-west-1:123456789012:function:my-fn");
	assert_int_equal(f->reserved_concurrency, 4);
	assert_int_equal(f->memory_mb, 128);
	assert_int_equal(f->timeout_s, 3);
	assert_string_equal(f->architectures.v[0], "x86_64");
	assert_int_equal(f->nlayers, 2);
	assert_non_null(f->layers[0].layer);
	assert_string_equal(f->layers[0].layer->logical_id, "Layer");
	assert_string_equal(f->layers[0].layer->build_method, "python3.12");
	assert_string_equal(f->layers[0].layer->name, "deps");
	assert_null(f->layers[1].layer);
	assert_null(f->local_reason);
	f = lamb_model_function(l->m, "InS3");
	assert_string_equal(f->code, "s3://b/k.zip");
	assert_non_null(strstr(f->local_reason, "S3"));
	f = lamb_model_function(l->m, "Inline");
	assert_int_equal(f->code_kind, LAMB_CODE_INLINE);
	assert_null(f->local_reason);
	assert_non_null(strstr(lamb_model_function(l->m, "Java")->local_reason, "java21"));
	assert_string_equal(lamb_model_function(l->m, "Classic")->code, "s3://b/k");
	assert_true(has_diag(l, LAMB_WARNING, 10, "code of 'Local' does not exist (yet)"));
	assert_int_equal(l->diags.errors, 0);
	assert_int_equal(l->m->nresources, 6);
	unload(l);
}

static void test_every_error_reported(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Resources:\n"
				"  NoType:\n"
				"    Properties: {}\n"
				"  Fn:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      Runtime: python9.9\n"
				"      Timeout: 901\n"
				"      MemorySize: 64\n"
				"      Environment: [not, a, map]\n"
				"      Layers: [a, b, c, d, e, f]\n"
				"      Events:\n"
				"        E1: {Type: Api, Properties: {Path: /x}}\n"
				"        E2: {Type: S3, Properties: {Bucket: b}}\n"
				"        E3: {Type: Carrier}\n"
				"  NoHandler:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties: {Runtime: nodejs20.x, Timeout: soon}\n"
				"  Old:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties: {Runtime: python2.7, Handler: a.b}\n"
				"  Custom:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties: {Runtime: provided.al2023}\n");
	dump_diags(l);
	assert_true(has_diag(l, LAMB_ERROR, 3, "resource 'NoType' has no Type"));
	assert_true(has_diag(l, LAMB_ERROR, 8, "unknown Runtime 'python9.9'"));
	assert_true(has_diag(l, LAMB_ERROR, 9, "Timeout 901 is out of range (1 to 900)"));
	assert_true(has_diag(l, LAMB_ERROR, 10, "MemorySize 64 is out of range (128 to 10240)"));
	assert_true(has_diag(l, LAMB_ERROR, 11, "Environment must be a mapping, not a list"));
	assert_true(has_diag(l, LAMB_ERROR, 12, "has 6 layers; Lambda allows at most 5"));
	assert_true(has_diag(l, LAMB_ERROR, 14, "event 'E1' (Api) needs the property Method"));
	assert_true(has_diag(l, LAMB_ERROR, 15, "event 'E2' (S3) needs the property Events"));
	assert_true(has_diag(l, LAMB_ERROR, 16, "unknown Type 'Carrier'"));
	assert_true(has_diag(l, LAMB_ERROR, 18, "'NoHandler' has no Handler"));
	assert_true(has_diag(l, LAMB_ERROR, 19, "Timeout must be a whole number, not 'soon'"));
	assert_true(has_diag(l, LAMB_WARNING, 22, "'python2.7' is deprecated"));
	assert_int_equal(l->diags.errors, 11); /* provided needs no Handler */
	unload(l);
}

/* LoggingConfig (Globals merged under the function's) and TenancyConfig,
 * with the values Lambda's API refuses reported. */
static void test_logging_and_tenancy(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Globals:\n"
				"  Function: {Runtime: python3.12, Handler: a.b, LoggingConfig: {LogFormat: JSON}}\n"
				"Resources:\n"
				"  Json:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      LoggingConfig: {ApplicationLogLevel: debug, SystemLogLevel: WARN, LogGroup: /g}\n"
				"      TenancyConfig: {TenantIsolationMode: PER_TENANT}\n"
				"  Text:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties: {LoggingConfig: {LogFormat: Text, ApplicationLogLevel: INFO}}\n"
				"  Bad:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      LoggingConfig: {LogFormat: XML, SystemLogLevel: TRACE}\n"
				"      TenancyConfig: {TenantIsolationMode: SHARED}\n");
	dump_diags(l);
	const struct lamb_function *f = lamb_model_function(l->m, "Json");
	assert_true(f->logging.json && f->per_tenant);
	assert_int_equal(f->logging.app, LAMB_LOG_DEBUG);
	assert_int_equal(f->logging.system, LAMB_LOG_WARN);
	assert_string_equal(f->logging.log_group, "/g");
	f = lamb_model_function(l->m, "Text");
	assert_true(f->logging.set && !f->logging.json && !f->per_tenant);
	assert_true(has_diag(l, LAMB_WARNING, 12, "ApplicationLogLevel needs LogFormat: JSON"));
	assert_true(has_diag(l, LAMB_ERROR, 16, "LogFormat must be JSON or Text, not 'XML'"));
	assert_true(has_diag(l, LAMB_ERROR, 16, "SystemLogLevel must be one of DEBUG ... WARN, not 'TRACE'"));
	assert_true(has_diag(l, LAMB_ERROR, 17, "TenantIsolationMode must be PER_TENANT, not 'SHARED'"));
	assert_int_equal(l->diags.len, 4); /* no level warning where LogFormat is wrong */
	assert_string_equal(lamb_log_level_name(LAMB_LOG_FATAL), "FATAL");
	unload(l);
}

/* FunctionUrlConfig read once into fn->url, from Globals too. */
static void test_function_url_config(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Globals:\n"
				"  Function: {Runtime: python3.12, Handler: a.b}\n"
				"Resources:\n"
				"  Open:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      FunctionUrlConfig:\n"
				"        AuthType: NONE\n"
				"        Cors: {AllowOrigins: ['*'], AllowMethods: [GET, POST], MaxAge: 60}\n"
				"  Private:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      FunctionUrlConfig: {AuthType: AWS_IAM, InvokeMode: RESPONSE_STREAM}\n"
				"  Plain:\n"
				"    Type: AWS::Serverless::Function\n"
				"  Bad:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      FunctionUrlConfig: {AuthType: OPEN, InvokeMode: FAST}\n"
				"  Missing:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      FunctionUrlConfig: {InvokeMode: BUFFERED}\n");
	dump_diags(l);
	const struct lamb_function *open = lamb_model_find_function(l->m, "Open");
	const struct lamb_function *priv = lamb_model_find_function(l->m, "Private");
	assert_non_null(open->url);
	assert_false(open->url->iam);
	assert_false(open->url->stream);
	assert_true(open->url->cors.enabled && open->url->cors.any_origin);
	assert_string_equal(open->url->cors.allow_methods, "GET,POST");
	assert_string_equal(open->url->cors.max_age, "60");
	assert_true(priv->url->iam && priv->url->stream);
	assert_false(priv->url->cors.enabled);
	assert_null(lamb_model_find_function(l->m, "Plain")->url);
	assert_true(has_diag(l, LAMB_ERROR, 20, "AuthType must be AWS_IAM or NONE, not 'OPEN'"));
	assert_true(has_diag(l, LAMB_ERROR, 20, "InvokeMode must be BUFFERED or RESPONSE_STREAM, not 'FAST'"));
	assert_true(has_diag(l, LAMB_ERROR, 24, "FunctionUrlConfig needs AuthType"));
	unload(l);
}

static void test_conditions_drop_resources(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Parameters: {Env: {Type: String, Default: dev}}\n"
				"Conditions: {IsProd: !Equals [!Ref Env, prod]}\n"
				"Resources:\n"
				"  ProdOnly:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Condition: IsProd\n"
				"    Properties: {Handler: a.b, Runtime: python3.12}\n"
				"  Always:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties: {Handler: a.b, Runtime: python3.12}\n");
	assert_int_equal(l->diags.errors, 0);
	assert_int_equal(l->m->nfunctions, 1);
	assert_string_equal(l->m->functions[0].logical_id, "Always");
	unload(l);
}

static void test_not_a_template(void **state)
{
	(void)state;
	struct loaded *l = load("- just\n- a list\n");
	assert_non_null(l->m);
	assert_true(has_diag(l, LAMB_ERROR, 1, "must be a mapping of sections"));
	unload(l);
	l = load(HEADER "Resourcez: {}\n");
	assert_true(has_diag(l, LAMB_ERROR, 2, "unknown top-level section 'Resourcez'"));
	assert_true(has_diag(l, LAMB_ERROR, 0, "no Resources section"));
	unload(l);
}

/* The deprecation dates follow AWS's table of 2026-11-26, checked on
 * either side of a runtime's day; a runtime with a later date warns nothing
 * today (python3.13: 2029-06-30) */
static void test_runtime_deprecation_dates(void **state)
{
	(void)state;
	static const struct { const char *rt, *day; } cases[] = {
		{ "python3.8", "2024-10-14" }, { "python3.9", "2025-12-15" }, { "python3.10", "2026-06-30" },
		{ "python3.11", "2026-06-30" }, { "nodejs18.x", "2025-09-01" }, { "nodejs20.x", "2026-04-30" },
		{ "provided.al2", "2026-06-30" }, { "dotnet8", "2026-11-10" }, { "nodejs22.x", "2027-04-30" },
		{ "python3.12", "2028-10-31" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct lamb_runtime_info *rt = lamb_runtime_find(cases[i].rt);
		assert_non_null(rt);
		assert_string_equal(rt->deprecation, cases[i].day);
		assert_true(lamb_runtime_deprecated(rt, cases[i].day));
		assert_true(lamb_runtime_deprecated(rt, "2099-01-01"));
		assert_false(lamb_runtime_deprecated(rt, "2024-01-01"));
	}
	assert_false(lamb_runtime_deprecated(lamb_runtime_find("nodejs20.x"), "2026-04-29"));
	assert_true(lamb_runtime_deprecated(lamb_runtime_find("nodejs20.x"), "2026-11-26"));
	assert_false(lamb_runtime_deprecated(lamb_runtime_find("nodejs22.x"), "2026-11-26"));
	assert_false(lamb_runtime_deprecated(NULL, "2026-11-26"));
	char today[11];
	lamb_runtime_today(today);
	assert_int_equal(strlen(today), 10);
	assert_true(strcmp(today, "2026-11-26") >= 0);

	struct loaded *l = load(HEADER "Resources:\n"
				"  Old:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties: {Runtime: python3.9, Handler: a.b}\n"
				"  New:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties: {Runtime: python3.13, Handler: a.b}\n");
	assert_true(has_diag(l, LAMB_WARNING, 5, "Runtime 'python3.9' is deprecated since 2025-12-15"));
	assert_int_equal(l->diags.len, 1);
	assert_int_equal(l->diags.errors, 0);
	unload(l);
}

static struct loaded *load_lenient(const char *text)
{
	struct loaded *l = calloc(1, sizeof(*l));
	struct lamb_model_opts o = { .region = "eu-west-1", .lenient = true };
	lamb_diags_init(&l->diags);
	l->m = lamb_model_parse("t.yaml", "/tmp", text, strlen(text), &o, &l->diags);
	return l;
}

static const char lenient_template[] = HEADER
	"Parameters:\n"
	"  Stage: {Type: String}\n"
	"  Key: {Type: String}\n"
	"Resources:\n"
	"  Good:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      Handler: a.b\n"
	"      Runtime: python3.12\n"
	"      Environment:\n"
	"        Variables:\n"
	"          STAGE: !Ref Stage\n"
	"          OTHER: !GetAtt Missing.Arn\n"
	"          PART: !Select [1, !Split ['||', !Ref Key]]\n"
	"      Events:\n"
	"        Ok: {Type: Api, Properties: {Path: /ok, Method: get}}\n"
	"        Bad: {Type: Api, Properties: {Path: !Sub '/${Nope}', Method: get}}\n"
	"  NoCode:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties: {Handler: a.b, Runtime: python3.12, CodeUri: !Ref Gone}\n";

/* validate's loading: every unresolved name is an error, as before. */
static void test_strict_loading(void **state)
{
	(void)state;
	struct loaded *l = load(lenient_template);
	assert_true(has_diag(l, LAMB_ERROR, 3, "parameter 'Stage' has no value"));
	assert_true(has_diag(l, LAMB_ERROR, 14, "GetAtt of undefined resource 'Missing'"));
	assert_true(has_diag(l, LAMB_ERROR, 18, "Ref to undefined parameter or resource 'Nope'"));
	assert_true(has_diag(l, LAMB_ERROR, 21, "Ref to undefined parameter or resource 'Gone'"));
	unload(l);
}

/* The local commands': warnings, and only what uses the name goes without. */
static void test_lenient_loading(void **state)
{
	(void)state;
	struct loaded *l = load_lenient(lenient_template);
	dump_diags(l);
	assert_int_equal(l->diags.errors, 0);
	assert_true(has_diag(l, LAMB_WARNING, 3, "lamb leaves a Ref to it unresolved, as 'Stage'"));
	assert_true(has_diag(l, LAMB_WARNING, 14, "unresolved ('Missing.Arn')"));
	assert_true(has_diag(l, LAMB_WARNING, 18, "its Path '/Nope' is unresolved"));
	assert_string_equal(env_of(l, "Good", "STAGE"), "Stage");
	assert_string_equal(env_of(l, "Good", "OTHER"), "Missing.Arn");
	assert_string_equal(env_of(l, "Good", "PART"), "Key");
	assert_int_equal(l->m->nroutes, 1);
	assert_string_equal(l->m->routes[0].path, "/ok");
	assert_null(lamb_model_function(l->m, "Good")->local_reason);
	assert_non_null(strstr(lamb_model_function(l->m, "NoCode")->local_reason, "CodeUri 'Gone' is unresolved"));
	unload(l);
}

/* A function over an unresolved value gives an unresolved value, not an
 * error that would stop the whole template. */
static void test_lenient_functions_of_unknowns(void **state)
{
	(void)state;
	struct loaded *l = load_lenient(HEADER
					"Parameters:\n"
					"  Names: {Type: CommaDelimitedList}\n"
					"  Env: {Type: String}\n"
					"Mappings:\n"
					"  M: {dev: {size: '256'}}\n"
					"Resources:\n"
					"  Fn:\n"
					"    Type: AWS::Serverless::Function\n"
					"    Properties:\n"
					"      Handler: a.b\n"
					"      Runtime: python3.12\n"
					"      MemorySize: !FindInMap [M, !Ref Env, size]\n"
					"      Timeout: 0\n"
					"      Environment:\n"
					"        Variables:\n"
					"          LEN: !Length {Ref: Names}\n"
					"          PICK: !Select [!Ref Env, [a, b]]\n"
					"          JOIN: !Join ['-', [x, !Ref Missing]]\n"
					"          JSON: !ToJsonString {a: !Ref Env}\n"
					"      Events:\n"
					"        Joined: {Type: Api, Properties: {Path: !Join ['', [/, !Ref Env]], Method: get}}\n"
					"        Fine: {Type: Api, Properties: {Path: /fine, Method: get}}\n");
	dump_diags(l);
	assert_int_equal(l->diags.errors, 0);
	assert_string_equal(env_of(l, "Fn", "LEN"), "Names");
	assert_string_equal(env_of(l, "Fn", "PICK"), "Env");
	assert_string_equal(env_of(l, "Fn", "JOIN"), "x-Missing");
	assert_string_equal(env_of(l, "Fn", "JSON"), "{\"a\":\"Env\"}");
	assert_int_equal(lamb_model_function(l->m, "Fn")->memory_mb, 128);
	assert_true(has_diag(l, LAMB_WARNING, 22, "its Path '/Env' is unresolved"));
	assert_true(has_diag(l, LAMB_WARNING, 14, "Timeout 0 is out of range (1 to 900); lamb takes the default"));
	assert_int_equal(lamb_model_function(l->m, "Fn")->timeout_s, 3);
	assert_int_equal(l->m->nroutes, 1);
	assert_string_equal(l->m->routes[0].path, "/fine");
	unload(l);
}

static void test_foreach_and_policies(void **state)
{
	(void)state;
	struct loaded *l = load("Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]\n"
				"Parameters:\n"
				"  Names: {Type: CommaDelimitedList, Default: 'a-1,b'}\n"
				"Resources:\n"
				"  Fn::ForEach::Outer:\n"
				"    - Name\n"
				"    - !Ref Names\n"
				"    - Fn::ForEach::Inner:\n"
				"        - Size\n"
				"        - [S, L]\n"
				"        - 'F&{Name}${Size}':\n"
				"            Type: AWS::Serverless::Function\n"
				"            DeletionPolicy: !If [Never, Delete, Keep]\n"
				"            Properties:\n"
				"              Handler: a.b\n"
				"              Runtime: python3.12\n"
				"              Environment: {Variables: {N: !Ref Name, S: !Sub '${Name}-${Size}'}}\n"
				"Conditions:\n"
				"  Never: !Equals [a, b]\n");
	dump_diags(l);
	assert_int_equal(l->m->nfunctions, 4);
	assert_string_equal(l->m->functions[0].logical_id, "Fa1S");
	assert_string_equal(l->m->functions[3].logical_id, "FbL");
	assert_string_equal(env_of(l, "Fa1L", "N"), "a-1");
	assert_string_equal(env_of(l, "Fa1L", "S"), "a-1-L");
	assert_true(has_diag(l, LAMB_ERROR, 13, "DeletionPolicy must be Delete, Retain"));
	unload(l);
}

static void test_cdk_function_ids(void **state)
{
	(void)state;
	struct loaded *l = load_lenient("Resources:\n"
					"  HelloHandler2E4FBA4D:\n"
					"    Type: AWS::Lambda::Function\n"
					"    Properties:\n"
					"      FunctionName: hello-fn\n"
					"      Handler: app.handler\n"
					"      Runtime: python3.12\n"
					"      Code: {S3Bucket: !Ref AssetBucket, S3Key: x.zip}\n"
					"    Metadata:\n"
					"      aws:cdk:path: Stack/HelloHandler/Resource\n"
					"      aws:asset:path: asset.abc\n"
					"      aws:asset:property: Code\n");
	assert_int_equal(l->diags.errors, 0);
	const struct lamb_function *f = lamb_model_find_function(l->m, "HelloHandler");
	assert_non_null(f);
	assert_ptr_equal(f, lamb_model_find_function(l->m, "HelloHandler2E4FBA4D"));
	assert_ptr_equal(f, lamb_model_find_function(l->m, "hello-fn"));
	assert_null(lamb_model_find_function(l->m, "Stack"));
	assert_int_equal(f->code_kind, LAMB_CODE_LOCAL);
	assert_string_equal(f->code, "/tmp/asset.abc");
	assert_null(f->local_reason);
	unload(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_and_implicit_apis),
		cmocka_unit_test(test_openapi_definition_routes),
		cmocka_unit_test(test_function_values),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_logging_and_tenancy),
		cmocka_unit_test(test_function_url_config),
		cmocka_unit_test(test_conditions_drop_resources),
		cmocka_unit_test(test_not_a_template),
		cmocka_unit_test(test_runtime_deprecation_dates),
		cmocka_unit_test(test_strict_loading),
		cmocka_unit_test(test_lenient_loading),
		cmocka_unit_test(test_lenient_functions_of_unknowns),
		cmocka_unit_test(test_foreach_and_policies),
		cmocka_unit_test(test_cdk_function_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
