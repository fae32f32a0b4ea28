/* An API's CORS and authorizers as the model reads them when the template
 * loads: plain values ready for start-api, and a problem in them reported
 * at its line:column then, not when a request comes. */
#include "unit.h"

#include "base/regex.h"

#include <stdio.h>

/* Whether a diagnostic of severity sev containing text sits at line:col. */
static int diag_at(const struct loaded *l, enum lamb_severity sev, unsigned line, unsigned col, const char *text)
{
	for (size_t i = 0; i < l->diags.len; i++)
		if (l->diags.v[i].severity == sev && strstr(l->diags.v[i].msg, text) &&
		    l->diags.v[i].line == line && l->diags.v[i].col == col)
			return 1;
	return 0;
}

static const struct lamb_api *api(const struct loaded *l, const char *id)
{
	for (size_t i = 0; i < l->m->napis; i++)
		if (strcmp(l->m->apis[i].logical_id, id) == 0)
			return &l->m->apis[i];
	fail_msg("no API %s", id);
	return NULL;
}

static const struct lamb_route *route(const struct loaded *l, const char *path)
{
	for (size_t i = 0; i < l->m->nroutes; i++)
		if (strcmp(l->m->routes[i].path, path) == 0)
			return &l->m->routes[i];
	fail_msg("no route %s", path);
	return NULL;
}

static void test_cors_read_at_load(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Globals:\n"
				"  Api:\n"
				"    Cors: \"'https://example.com'\"\n"
				"Resources:\n"
				"  Full:\n"
				"    Type: AWS::Serverless::Api\n"
				"    Properties:\n"
				"      StageName: v1\n"
				"      Cors: {AllowOrigin: \"'*'\", AllowHeaders: \"'X-A,X-B'\", MaxAge: \"'600'\",\n"
				"             AllowCredentials: true}\n"
				"  Http:\n"
				"    Type: AWS::Serverless::HttpApi\n"
				"    Properties:\n"
				"      CorsConfiguration:\n"
				"        AllowOrigins: [https://a.example, https://b.example]\n"
				"        AllowMethods: [GET, POST]\n"
				"        AllowHeaders: [x-a]\n"
				"        ExposeHeaders: [x-e, x-f]\n"
				"        MaxAge: 300\n"
				"  Fn:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      Handler: a.b\n"
				"      Runtime: python3.12\n"
				"      Events:\n"
				"        Implicit: {Type: Api, Properties: {Path: /i, Method: get}}\n"
				"        Rest: {Type: Api, Properties: {Path: /r, Method: get, RestApiId: !Ref Full}}\n"
				"        H: {Type: HttpApi, Properties: {Path: /h, Method: get, ApiId: !Ref Http}}\n"
				"        Plain: {Type: HttpApi, Properties: {Path: /p, Method: get}}\n");
	dump_diags(l);
	assert_int_equal(l->diags.len, 0);
	/* the Globals' quoted string: the origin, every method */
	const struct lamb_cors *c = &api(l, "ServerlessRestApi")->cors;
	assert_true(c->enabled);
	assert_string_equal(c->allow_origin, "https://example.com");
	assert_string_equal(c->allow_methods, "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT");
	assert_null(c->allow_headers);
	assert_false(c->allow_credentials);
	assert_int_equal(c->mark.line, 4);
	c = &api(l, "Full")->cors;
	assert_true(c->enabled);
	assert_string_equal(c->allow_origin, "*");
	assert_string_equal(c->allow_headers, "X-A,X-B");
	assert_string_equal(c->max_age, "600");
	assert_true(c->allow_credentials);
	c = &api(l, "Http")->cors;
	assert_true(c->enabled);
	assert_int_equal(c->allow_origins.len, 2);
	assert_string_equal(c->allow_origins.v[1], "https://b.example");
	assert_false(c->any_origin);
	assert_string_equal(c->allow_methods, "GET,POST");
	assert_string_equal(c->allow_headers, "x-a");
	assert_string_equal(c->expose_headers, "x-e,x-f");
	assert_string_equal(c->max_age, "300");
	assert_false(api(l, "ServerlessHttpApi")->cors.enabled);
	unload(l);
}

static void test_cors_wildcard_and_globals_http(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Globals:\n"
				"  HttpApi:\n"
				"    CorsConfiguration: {AllowOrigins: ['*'], AllowCredentials: 'TRUE'}\n"
				"Resources:\n"
				"  Fn:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      Handler: a.b\n"
				"      Runtime: python3.12\n"
				"      Events:\n"
				"        H: {Type: HttpApi, Properties: {Path: /h, Method: get}}\n");
	assert_int_equal(l->diags.len, 0);
	const struct lamb_cors *c = &api(l, "ServerlessHttpApi")->cors;
	assert_true(c->enabled);
	assert_true(c->any_origin);
	assert_true(c->allow_credentials);
	assert_string_equal(c->allow_methods, "");
	unload(l);
}

static void test_cors_problems_at_load(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Resources:\n"
				"  List:\n"
				"    Type: AWS::Serverless::Api\n"
				"    Properties: {StageName: v1, Cors: [a]}\n"
				"  Map:\n"
				"    Type: AWS::Serverless::Api\n"
				"    Properties: {StageName: v1, Cors: {AllowOrigin: [x], AllowCredentials: maybe}}\n"
				"  Http:\n"
				"    Type: AWS::Serverless::HttpApi\n"
				"    Properties:\n"
				"      CorsConfiguration: {AllowOrigins: [{a: b}], MaxAge: soon, AllowMethods: {GET: 1}}\n"
				"  Str:\n"
				"    Type: AWS::Serverless::HttpApi\n"
				"    Properties: {CorsConfiguration: '*'}\n");
	dump_diags(l);
	assert_true(diag_at(l, LAMB_ERROR, 5, 39, "Cors must be a string or a mapping, not a list"));
	assert_true(diag_at(l, LAMB_ERROR, 8, 53, "AllowOrigin must be a string, not a list"));
	/* SAM's transform takes any AllowCredentials but a boolean true as false */
	assert_true(diag_at(l, LAMB_WARNING, 8, 76, "AllowCredentials is a string, not true or false"));
	assert_false(api(l, "Map")->cors.allow_credentials);
	assert_true(diag_at(l, LAMB_ERROR, 12, 42, "AllowOrigins must be a list of strings"));
	assert_true(diag_at(l, LAMB_ERROR, 12, 59, "MaxAge must be a whole number, not 'soon'"));
	assert_true(diag_at(l, LAMB_ERROR, 12, 79, "AllowMethods must be a list, not a mapping"));
	assert_true(diag_at(l, LAMB_WARNING, 15, 37, "CorsConfiguration '*' is not read by lamb"));
	assert_int_equal(l->diags.errors, 5);
	assert_false(api(l, "List")->cors.enabled);
	assert_true(api(l, "Map")->cors.enabled);
	assert_string_equal(api(l, "Map")->cors.allow_origin, "*");
	assert_false(api(l, "Str")->cors.enabled);
	unload(l);
}

static const char *auth_tmpl =
	HEADER
	"Resources:\n"
	"  Rest:\n"
	"    Type: AWS::Serverless::Api\n"
	"    Properties:\n"
	"      StageName: v1\n"
	"      Auth:\n"
	"        DefaultAuthorizer: Tok\n"
	"        Authorizers:\n"
	"          Tok:\n"
	"            FunctionArn: !GetAtt Authz.Arn\n"
	"            Identity: {Header: X-Tok, ValidationExpression: '^Bearer [a-z]+$', ReauthorizeEvery: 300}\n"
	"          Req:\n"
	"            FunctionPayloadType: request\n"
	"            FunctionArn: arn:aws:lambda:eu-west-1:123456789012:function:authz-fn:live\n"
	"            Identity: {Headers: [X-A, X-B], QueryStrings: [q], StageVariables: [s], Context: [requestId],\n"
	"                       ReauthorizeEvery: 0}\n"
	"          Pool: {UserPoolArn: arn:aws:cognito-idp:eu-west-1:1:userpool/x}\n"
	"  Http:\n"
	"    Type: AWS::Serverless::HttpApi\n"
	"    Properties:\n"
	"      Auth:\n"
	"        Authorizers:\n"
	"          Simple: {FunctionArn: !GetAtt Authz.Arn, AuthorizerPayloadFormatVersion: '2.0',\n"
	"                   EnableSimpleResponses: true}\n"
	"          Old: {FunctionArn: !GetAtt Authz.Arn, AuthorizerPayloadFormatVersion: '1.0',\n"
	"                EnableSimpleResponses: true, Identity: {Headers: [Authorization, X-Id]}}\n"
	"  Fn:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      Handler: a.b\n"
	"      Runtime: python3.12\n"
	"      Events:\n"
	"        T: {Type: Api, Properties: {Path: /t, Method: get, RestApiId: !Ref Rest}}\n"
	"        R: {Type: Api, Properties: {Path: /r, Method: get, RestApiId: !Ref Rest, Auth: {Authorizer: Req}}}\n"
	"        N: {Type: Api, Properties: {Path: /n, Method: get, RestApiId: !Ref Rest, Auth: {Authorizer: NONE}}}\n"
	"        H: {Type: HttpApi, Properties: {Path: /h, Method: get, ApiId: !Ref Http, Auth: {Authorizer: Simple}}}\n"
	"        O: {Type: HttpApi, Properties: {Path: /o, Method: get, ApiId: !Ref Http, Auth: {Authorizer: Old}}}\n"
	"        U: {Type: HttpApi, Properties: {Path: /u, Method: get, ApiId: !Ref Http}}\n"
	"  Authz:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties: {Handler: a.auth, Runtime: python3.12, FunctionName: authz-fn}\n";

static void test_authorizers_read_at_load(void **state)
{
	(void)state;
	struct loaded *l = load(auth_tmpl);
	dump_diags(l);
	assert_int_equal(l->diags.len, 0);
	const struct lamb_api *rest = api(l, "Rest");
	assert_string_equal(rest->default_authorizer, "Tok");
	assert_int_equal(rest->nauthorizers, 3);
	const struct lamb_api_authorizer *tok = &rest->authorizers[0];
	assert_string_equal(tok->name, "Tok");
	assert_string_equal(tok->function->logical_id, "Authz");
	assert_true(tok->token);
	assert_string_equal(tok->payload_format, "1.0");
	assert_string_equal(tok->validation_expression, "^Bearer [a-z]+$");
	assert_int_equal(tok->reauthorize_every, 300);
	assert_int_equal(tok->nsources, 1);
	assert_int_equal(tok->sources[0].kind, LAMB_AUTH_HEADER);
	assert_string_equal(tok->sources[0].name, "X-Tok");
	assert_int_equal(tok->mark.line, 11);

	const struct lamb_api_authorizer *req = &rest->authorizers[1];
	assert_false(req->token);
	assert_string_equal(req->function->logical_id, "Authz"); /* by the name in a written ARN */
	assert_null(req->validation_expression);
	assert_int_equal(req->reauthorize_every, 0);
	assert_int_equal(req->nsources, 5);
	const enum lamb_auth_source_kind kinds[] = { LAMB_AUTH_HEADER, LAMB_AUTH_HEADER, LAMB_AUTH_QUERY,
						     LAMB_AUTH_STAGE_VAR, LAMB_AUTH_CONTEXT };
	const char *names[] = { "X-A", "X-B", "q", "s", "requestId" };
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(req->sources[i].kind, kinds[i]);
		assert_string_equal(req->sources[i].name, names[i]);
	}
	const struct lamb_api_authorizer *pool = &rest->authorizers[2];
	assert_null(pool->function_arn);
	assert_null(pool->function);
	assert_int_equal(pool->reauthorize_every, -1);

	const struct lamb_api *http = api(l, "Http");
	assert_null(http->default_authorizer);
	assert_true(http->authorizers[0].simple_responses);
	assert_string_equal(http->authorizers[0].payload_format, "2.0");
	assert_int_equal(http->authorizers[0].nsources, 1); /* SAM's Authorization */
	assert_string_equal(http->authorizers[0].sources[0].name, "Authorization");
	assert_false(http->authorizers[1].simple_responses); /* only with payload 2.0 */
	assert_string_equal(http->authorizers[1].payload_format, "1.0");
	assert_int_equal(http->authorizers[1].nsources, 2);
	assert_string_equal(http->authorizers[1].sources[1].name, "X-Id");
	unload(l);
}

static void test_routes_know_their_authorizer(void **state)
{
	(void)state;
	struct loaded *l = load(auth_tmpl);
	const struct lamb_api *rest = api(l, "Rest"), *http = api(l, "Http");
	assert_string_equal(route(l, "/t")->auth_name, "Tok"); /* the default */
	assert_ptr_equal(route(l, "/t")->authorizer, &rest->authorizers[0]);
	assert_ptr_equal(route(l, "/r")->authorizer, &rest->authorizers[1]);
	assert_string_equal(route(l, "/n")->auth_name, "NONE");
	assert_null(route(l, "/n")->authorizer);
	assert_ptr_equal(route(l, "/h")->authorizer, &http->authorizers[0]);
	assert_ptr_equal(route(l, "/o")->authorizer, &http->authorizers[1]);
	assert_null(route(l, "/u")->auth_name);
	unload(l);
}

static void test_authorizer_problems_at_load(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Resources:\n"
				"  Rest:\n"
				"    Type: AWS::Serverless::Api\n"
				"    Properties:\n"
				"      StageName: v1\n"
				"      Auth:\n"
				"        DefaultAuthorizer: Missing\n"
				"        Authorizers:\n"
				"          Bad: {FunctionArn: x, FunctionPayloadType: COOKIE, Identity: {ReauthorizeEvery: 9999}}\n"
				"          Scalar: 5\n"
				"          Hdr: {FunctionArn: x, Identity: {Header: [a], ValidationExpression: {a: b}}}\n"
				"  Http:\n"
				"    Type: AWS::Serverless::HttpApi\n"
				"    Properties:\n"
				"      Auth:\n"
				"        Authorizers:\n"
				"          H: {FunctionArn: x, AuthorizerPayloadFormatVersion: '3.0', EnableSimpleResponses: yes,\n"
				"              Identity: [Authorization]}\n"
				"  Fn:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      Handler: a.b\n"
				"      Runtime: python3.12\n"
				"      Events:\n"
				"        E: {Type: HttpApi, Properties: {Path: /e, Method: get, ApiId: !Ref Http, Auth: {Authorizer: Nope}}}\n"
				"        A: {Type: Api, Properties: {Path: /a, Method: get, RestApiId: !Ref Rest, Auth: [x]}}\n");
	dump_diags(l);
	assert_true(diag_at(l, LAMB_WARNING, 8, 28, "DefaultAuthorizer 'Missing' is not among the Auth.Authorizers of API 'Rest'"));
	assert_true(diag_at(l, LAMB_ERROR, 10, 54, "authorizer 'Bad': FunctionPayloadType must be TOKEN or REQUEST, not 'COOKIE'"));
	assert_true(diag_at(l, LAMB_ERROR, 10, 91, "ReauthorizeEvery 9999 is out of range (0 to 3600)"));
	assert_true(diag_at(l, LAMB_ERROR, 11, 19, "authorizer 'Scalar' must be a mapping, not a string"));
	assert_true(diag_at(l, LAMB_ERROR, 12, 52, "Header must be a string, not a list"));
	assert_true(diag_at(l, LAMB_ERROR, 12, 79, "ValidationExpression must be a string, not a mapping"));
	assert_true(diag_at(l, LAMB_ERROR, 18, 63, "AuthorizerPayloadFormatVersion must be 1.0 or 2.0, not '3.0'"));
	assert_true(diag_at(l, LAMB_ERROR, 18, 93, "EnableSimpleResponses must be true or false, not 'yes'"));
	assert_true(diag_at(l, LAMB_ERROR, 19, 25, "Identity must be a mapping, not a list"));
	assert_true(diag_at(l, LAMB_WARNING, 26, 101, "Authorizer 'Nope' is not among the Auth.Authorizers of API 'Http'"));
	assert_true(diag_at(l, LAMB_ERROR, 27, 88, "Auth must be a mapping, not a list"));
	assert_int_equal(l->diags.errors, 9);
	unload(l);
}

/* A ValidationExpression is compiled once when the template loads: one
 * lamb can read is ready for every request, one it cannot is said at its
 * mark (tokens then go unchecked). */
static void test_validation_expression_compiled_at_load(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Resources:\n"
				"  Rest:\n"
				"    Type: AWS::Serverless::Api\n"
				"    Properties:\n"
				"      StageName: v1\n"
				"      Auth:\n"
				"        Authorizers:\n"
				"          Good: {FunctionArn: x, Identity: {ValidationExpression: '^\\d{4}$'}}\n"
				"          Bad: {FunctionArn: x, Identity: {ValidationExpression: '[a-z'}}\n"
				"          None: {FunctionArn: x}\n");
	dump_diags(l);
	const struct lamb_api *a = api(l, "Rest");
	assert_int_equal(a->nauthorizers, 3);
	assert_non_null(a->authorizers[0].validation);
	assert_int_equal(lamb_regex_match(a->authorizers[0].validation, "1234", NULL), 1);
	assert_int_equal(lamb_regex_match(a->authorizers[0].validation, "12a4", NULL), 0);
	assert_null(a->authorizers[1].validation);
	assert_true(diag_at(l, LAMB_WARNING, 10, 66, "ValidationExpression '[a-z' is not a regular expression lamb can read"));
	assert_null(a->authorizers[2].validation);
	assert_int_equal(l->m->nregexes, 1);
	unload(l);
}

/* APIs written as CloudFormation: the edges model-cfnapi.c decides at load. */
static void test_cloudformation_apis_at_load(void **state)
{
	(void)state;
	struct loaded *l = load(HEADER
				"Resources:\n"
				"  Fn:\n"
				"    Type: AWS::Lambda::Function\n"
				"    Properties: {Code: ., Handler: a.b, Runtime: python3.12}\n"
				"  Rest:\n"
				"    Type: AWS::ApiGateway::RestApi\n"
				"    Properties:\n"
				"      Parameters: {basepath: split}\n"
				"      Body:\n"
				"        openapi: '3.0.1'\n"
				"        servers: [{url: 'https://x/{basePath}', variables: {basePath: {default: /api/v2}}}]\n"
				"        paths:\n"
				"          /doc:\n"
				"            get:\n"
				"              x-amazon-apigateway-integration: {type: aws_proxy, uri: !GetAtt Fn.Arn}\n"
				"  Loop1:\n"
				"    Type: AWS::ApiGateway::Resource\n"
				"    Properties: {RestApiId: !Ref Rest, ParentId: !Ref Loop2, PathPart: a}\n"
				"  Loop2:\n"
				"    Type: AWS::ApiGateway::Resource\n"
				"    Properties: {RestApiId: !Ref Rest, ParentId: !Ref Loop1, PathPart: b}\n"
				"  LoopGet:\n"
				"    Type: AWS::ApiGateway::Method\n"
				"    Properties:\n"
				"      RestApiId: Rest\n"
				"      ResourceId: Loop1\n"
				"      HttpMethod: GET\n"
				"      Integration: {Type: AWS_PROXY, Uri: !GetAtt Fn.Arn}\n"
				"  Http:\n"
				"    Type: AWS::ApiGatewayV2::Api\n"
				"    Properties: {ProtocolType: HTTP}\n"
				"  Jwt:\n"
				"    Type: AWS::ApiGatewayV2::Authorizer\n"
				"    Properties: {ApiId: !Ref Http, AuthorizerType: JWT, IdentitySource: [$request.header.Authorization]}\n"
				"  In:\n"
				"    Type: AWS::ApiGatewayV2::Integration\n"
				"    Properties: {ApiId: !Ref Http, IntegrationType: HTTP_PROXY, IntegrationUri: https://x}\n"
				"  Proxied:\n"
				"    Type: AWS::ApiGatewayV2::Route\n"
				"    Properties: {ApiId: !Ref Http, RouteKey: GET /p, Target: integrations/In}\n"
				"  BadKey:\n"
				"    Type: AWS::ApiGatewayV2::Route\n"
				"    Properties: {ApiId: !Ref Http, RouteKey: GET, Target: integrations/In}\n"
				"  Documented:\n"
				"    Type: AWS::ApiGatewayV2::Api\n"
				"    Properties:\n"
				"      Body: {openapi: '3.0.1', paths: {},\n"
				"             x-amazon-apigateway-cors: {allowOrigins: [https://e.example], maxAge: 600}}\n"
				"  Socket:\n"
				"    Type: AWS::ApiGatewayV2::Api\n"
				"    Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}\n");
	/* split: the base path without its first segment */
	assert_non_null(route(l, "/v2/doc"));
	assert_string_equal(api(l, "Rest")->base_path, "/v2");
	assert_true(api(l, "Rest")->cloudformation);
	assert_true(has_diag(l, LAMB_ERROR, 18, "its ParentId chain is circular"));
	assert_true(has_diag(l, LAMB_WARNING, 37, "integration type 'HTTP_PROXY' is not served"));
	assert_true(has_diag(l, LAMB_ERROR, 43, "RouteKey 'GET' is neither"));
	assert_true(has_diag(l, LAMB_WARNING, 51, "ProtocolType WEBSOCKET is not served"));
	assert_int_equal(l->m->nroutes, 1);
	/* an HTTP API's Body says its CORS */
	const struct lamb_cors *c = &api(l, "Documented")->cors;
	assert_true(c->enabled);
	assert_string_equal(c->allow_origins.v[0], "https://e.example");
	assert_string_equal(c->max_age, "600");
	/* a JWT authorizer is kept, without a function: its routes are served open */
	assert_int_equal(api(l, "Http")->nauthorizers, 1);
	assert_null(api(l, "Http")->authorizers[0].function_arn);
	for (size_t i = 0; i < l->m->napis; i++)
		assert_string_not_equal(l->m->apis[i].logical_id, "Socket");
	unload(l);
}

/* Without an AWS::ApiGateway::Stage, a Deployment's StageName is the
 * stage; without either, API Gateway's console default (Prod, $default). */
static void test_stage_from_deployment(void **state)
{
	(void)state;
	struct loaded *l = load("Resources:\n"
				"  Fn:\n"
				"    Type: AWS::Lambda::Function\n"
				"    Properties: {Code: ., Handler: a.b, Runtime: python3.12}\n"
				"  Rest:\n"
				"    Type: AWS::ApiGateway::RestApi\n"
				"  Get:\n"
				"    Type: AWS::ApiGateway::Method\n"
				"    Properties:\n"
				"      RestApiId: !Ref Rest\n"
				"      ResourceId: !GetAtt Rest.RootResourceId\n"
				"      HttpMethod: GET\n"
				"      Integration: {Type: AWS_PROXY, Uri: !GetAtt Fn.Arn}\n"
				"  Deploy:\n"
				"    Type: AWS::ApiGateway::Deployment\n"
				"    Properties: {RestApiId: !Ref Rest, StageName: beta}\n"
				"  Bare:\n"
				"    Type: AWS::ApiGateway::RestApi\n"
				"    Properties: {Body: {swagger: '2.0', paths: {/b: {get: {x-amazon-apigateway-integration:\n"
				"      {type: aws_proxy, uri: !GetAtt Fn.Arn}}}}}}\n"
				"  Quick:\n"
				"    Type: AWS::ApiGatewayV2::Api\n"
				"    Properties: {ProtocolType: HTTP, Target: !GetAtt Fn.Arn}\n"
				"  QuickDeploy:\n"
				"    Type: AWS::ApiGatewayV2::Deployment\n"
				"    Properties: {ApiId: !Ref Quick, StageName: gamma}\n");
	dump_diags(l);
	assert_int_equal(l->diags.errors, 0);
	assert_string_equal(api(l, "Rest")->stage, "beta");
	assert_string_equal(route(l, "/")->api->stage, "beta");
	assert_string_equal(api(l, "Bare")->stage, "Prod");
	assert_string_equal(api(l, "Quick")->stage, "gamma");
	unload(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cors_read_at_load),
		cmocka_unit_test(test_cors_wildcard_and_globals_http),
		cmocka_unit_test(test_cors_problems_at_load),
		cmocka_unit_test(test_authorizers_read_at_load),
		cmocka_unit_test(test_routes_know_their_authorizer),
		cmocka_unit_test(test_authorizer_problems_at_load),
		cmocka_unit_test(test_validation_expression_compiled_at_load),
		cmocka_unit_test(test_cloudformation_apis_at_load),
		cmocka_unit_test(test_stage_from_deployment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
