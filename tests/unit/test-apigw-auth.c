/* Lambda authorizers without sockets: which authorizer guards a route,
 * identity sources, the events, and reading policies and simple answers
 * into API Gateway's allow, 401, 403 and 500. */
#include "unit.h"

#include "front/apigw-auth.h"
#include "base/util.h"

#include <cjson/cJSON.h>

static const char *tmpl =
	HEADER
	"Resources:\n"
	"  Rest:\n"
	"    Type: AWS::Serverless::Api\n"
	"    Properties:\n"
	"      StageName: v1\n"
	"      Variables: {tenant: t1}\n"
	"      Auth:\n"
	"        DefaultAuthorizer: Tok\n"
	"        Authorizers:\n"
	"          Tok: {FunctionArn: !GetAtt Authz.Arn, Identity: {Header: X-Tok, ValidationExpression: 'ab+c'}}\n"
	"          Req: {FunctionPayloadType: REQUEST, FunctionArn: !GetAtt Authz.Arn,\n"
	"                Identity: {Headers: [X-A], QueryStrings: [q], StageVariables: [tenant]}}\n"
	"          Pool: {UserPoolArn: arn:aws:cognito-idp:eu-west-1:1:userpool/x}\n"
	"  Http:\n"
	"    Type: AWS::Serverless::HttpApi\n"
	"    Properties:\n"
	"      Auth:\n"
	"        Authorizers:\n"
	"          Simple: {FunctionArn: !GetAtt Authz.Arn, AuthorizerPayloadFormatVersion: '2.0',\n"
	"                   EnableSimpleResponses: true}\n"
	"  Fn:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      Handler: a.b\n"
	"      Runtime: python3.12\n"
	"      Events:\n"
	"        T: {Type: Api, Properties: {Path: /t, Method: get, RestApiId: !Ref Rest}}\n"
	"        R: {Type: Api, Properties: {Path: '/r/{id}', Method: get, RestApiId: !Ref Rest, Auth: {Authorizer: Req}}}\n"
	"        N: {Type: Api, Properties: {Path: /n, Method: get, RestApiId: !Ref Rest, Auth: {Authorizer: NONE}}}\n"
	"        C: {Type: Api, Properties: {Path: /c, Method: get, RestApiId: !Ref Rest, Auth: {Authorizer: Pool}}}\n"
	"        H: {Type: HttpApi, Properties: {Path: /h, Method: get, ApiId: !Ref Http, Auth: {Authorizer: Simple}}}\n"
	"        O: {Type: HttpApi, Properties: {Path: /o, Method: get, ApiId: !Ref Http}}\n"
	"  Authz:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties: {Handler: a.auth, Runtime: python3.12}\n";

static struct loaded *l;

static int setup(void **state)
{
	(void)state;
	l = load(tmpl);
	return l->diags.errors != 0;
}

static int teardown(void **state)
{
	(void)state;
	unload(l);
	return 0;
}

static const struct lamb_route *route(const char *path)
{
	for (size_t i = 0; i < l->m->nroutes; i++)
		if (strcmp(l->m->routes[i].path, path) == 0)
			return &l->m->routes[i];
	fail_msg("no route %s", path);
	return NULL;
}

static void test_lookup(void **state)
{
	(void)state;
	struct lamb_authorizer a;
	const char *why = NULL;
	assert_int_equal(lamb_auth_for_route(l->m, route("/t"), &a, &why), LAMB_AUTH_LAMBDA);
	assert_string_equal(a.name, "Tok");
	assert_string_equal(a.function->logical_id, "Authz");
	assert_true(a.token);
	assert_int_equal(a.nsources, 1);
	assert_string_equal(a.sources[0].name, "X-Tok");
	assert_int_equal(lamb_auth_for_route(l->m, route("/r/{id}"), &a, &why), LAMB_AUTH_LAMBDA);
	assert_false(a.token);
	assert_int_equal(a.nsources, 3);
	assert_int_equal(lamb_auth_for_route(l->m, route("/n"), &a, &why), LAMB_AUTH_OPEN);
	assert_int_equal(lamb_auth_for_route(l->m, route("/c"), &a, &why), LAMB_AUTH_UNSUPPORTED);
	assert_non_null(strstr(why, "Cognito"));
	assert_int_equal(lamb_auth_for_route(l->m, route("/h"), &a, &why), LAMB_AUTH_LAMBDA);
	assert_true(a.simple_responses);
	assert_string_equal(a.payload_format, "2.0");
	assert_string_equal(a.sources[0].name, "Authorization");
	assert_int_equal(lamb_auth_for_route(l->m, route("/o"), &a, &why), LAMB_AUTH_OPEN);
}

static struct lamb_http_request req_of(const char *path, const char *query, struct lamb_header *h, size_t n)
{
	return (struct lamb_http_request){ .method = "GET", .path = path, .query = query, .headers = h,
					   .nheaders = n, .time_ms = 1764151200000 };
}

static void test_identity(void **state)
{
	(void)state;
	struct lamb_authorizer a;
	lamb_auth_for_route(l->m, route("/t"), &a, NULL);
	struct lamb_header good[] = { { "x-tok", "abbbc" } }, bad[] = { { "X-Tok", "abd" } }, empty[] = { { "X-Tok", "" } };
	struct lamb_http_request r = req_of("/t", NULL, good, 1);
	assert_true(lamb_auth_identity_ok(&a, &r));
	r = req_of("/t", NULL, bad, 1);
	assert_false(lamb_auth_identity_ok(&a, &r));
	r = req_of("/t", NULL, empty, 1);
	assert_false(lamb_auth_identity_ok(&a, &r));
	r = req_of("/t", NULL, NULL, 0);
	assert_false(lamb_auth_identity_ok(&a, &r));

	lamb_auth_for_route(l->m, route("/r/{id}"), &a, NULL);
	struct lamb_header xa[] = { { "X-A", "1" } };
	r = req_of("/r/7", "z=1&q=%20x", xa, 1);
	assert_true(lamb_auth_identity_ok(&a, &r));
	r = req_of("/r/7", "q=", xa, 1);
	assert_false(lamb_auth_identity_ok(&a, &r));
	r = req_of("/r/7", "q=1", NULL, 0);
	assert_false(lamb_auth_identity_ok(&a, &r));
}

/* ValidationExpression is a Java regular expression that the whole token
 * must match: \d and lookahead work as in API Gateway. */
static void test_identity_expression_is_java(void **state)
{
	(void)state;
	struct loaded *t = load(HEADER "Resources:\n"
				"  Rest:\n"
				"    Type: AWS::Serverless::Api\n"
				"    Properties:\n"
				"      StageName: v1\n"
				"      Auth:\n"
				"        DefaultAuthorizer: Tok\n"
				"        Authorizers:\n"
				"          Tok: {FunctionArn: !GetAtt Fn.Arn,\n"
				"                Identity: {Header: X-Tok, ValidationExpression: '(?!0000)\\d{4}'}}\n"
				"  Fn:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      Handler: a.b\n"
				"      Runtime: python3.12\n"
				"      Events: {T: {Type: Api, Properties: {Path: /t, Method: get, RestApiId: !Ref Rest}}}\n");
	assert_int_equal(t->diags.errors, 0);
	assert_int_equal(t->m->nroutes, 1);
	struct lamb_authorizer a;
	assert_int_equal(lamb_auth_for_route(t->m, &t->m->routes[0], &a, NULL), LAMB_AUTH_LAMBDA);
	static struct { char *token; bool ok; } cases[] = {
		{ "1234", true }, { "12345", false }, { "x1234", false }, { "abcd", false }, { "0000", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lamb_header h[] = { { "X-Tok", cases[i].token } };
		struct lamb_http_request r = req_of("/t", NULL, h, 1);
		if (lamb_auth_identity_ok(&a, &r) != cases[i].ok)
			fail_msg("token '%s': want %s", cases[i].token, cases[i].ok ? "valid" : "invalid");
	}
	unload(t);
}

static void test_events(void **state)
{
	(void)state;
	struct lamb_authorizer a;
	struct lamb_header h[] = { { "X-Tok", "abc" }, { "X-A", "1" }, { "Authorization", "secret" } };
	struct lamb_route_match m = { .route = route("/t") };
	struct lamb_http_request r = req_of("/t", NULL, h, 3);
	lamb_auth_for_route(l->m, m.route, &a, NULL);
	char *ev = lamb_auth_event(l->m, &a, &m, &r, "rid");
	cJSON *j = cJSON_Parse(ev);
	assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, "TOKEN");
	assert_string_equal(cJSON_GetObjectItem(j, "authorizationToken")->valuestring, "abc");
	const char *arn = cJSON_GetObjectItem(j, "methodArn")->valuestring;
	assert_true(str_starts(arn, "arn:aws:execute-api:eu-west-1:123456789012:"));
	assert_non_null(strstr(arn, "/v1/GET/t"));
	cJSON_Delete(j);
	free(ev);

	m.route = route("/h");
	r = req_of("/h", "a=1", h, 3);
	lamb_auth_for_route(l->m, m.route, &a, NULL);
	ev = lamb_auth_event(l->m, &a, &m, &r, "rid");
	j = cJSON_Parse(ev);
	assert_string_equal(cJSON_GetObjectItem(j, "version")->valuestring, "2.0");
	assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, "REQUEST");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "identitySource"), 0)->valuestring, "secret");
	assert_non_null(strstr(cJSON_GetObjectItem(j, "routeArn")->valuestring, "/$default/GET/h"));
	assert_null(cJSON_GetObjectItem(j, "body"));
	cJSON_Delete(j);
	free(ev);
}

/* Decides on answer; returns the status (200 when allowed) and the
 * authorizer JSON in *ctx (caller frees). */
static int decide(const char *path, const char *answer, bool error, char **ctx)
{
	struct lamb_authorizer a;
	lamb_auth_for_route(l->m, route(path), &a, NULL);
	struct lamb_http_response out;
	lamb_http_response_init(&out);
	const char *arn = "arn:aws:execute-api:eu-west-1:123456789012:abc/v1/GET/t";
	char *auth = NULL;
	int status = lamb_auth_decide(&a, arn, answer, strlen(answer), error, 3, &auth, &out, NULL, 0) ? 200 :
		     out.status;
	if (status != 200 && ctx) {
		*ctx = xstrndup(out.body, out.body_len);
	} else if (ctx) {
		*ctx = auth;
		auth = NULL;
	}
	free(auth);
	lamb_http_response_release(&out);
	return status;
}

#define POLICY(effect, resource) \
	"{\"principalId\":\"me\",\"context\":{\"s\":\"x\",\"n\":2,\"b\":false},\"policyDocument\":" \
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Action\":\"execute-api:Invoke\",\"Effect\":\"" effect \
	"\",\"Resource\":\"" resource "\"}]}}"

static void test_policies(void **state)
{
	(void)state;
	char *ctx;
	assert_int_equal(decide("/t", POLICY("Allow", "arn:aws:execute-api:*:*:abc/*/GET/*"), false, &ctx), 200);
	cJSON *j = cJSON_Parse(ctx);
	assert_string_equal(cJSON_GetObjectItem(j, "principalId")->valuestring, "me");
	assert_string_equal(cJSON_GetObjectItem(j, "n")->valuestring, "2");
	assert_string_equal(cJSON_GetObjectItem(j, "b")->valuestring, "false");
	cJSON_Delete(j);
	free(ctx);
	assert_int_equal(decide("/t", POLICY("Allow", "arn:aws:execute-api:eu-west-1:123456789012:abc/v1/G?T/t"), false, NULL), 200);
	assert_int_equal(decide("/t", POLICY("Deny", "*"), false, &ctx), 403);
	assert_non_null(strstr(ctx, "explicit deny"));
	free(ctx);
	assert_int_equal(decide("/t", POLICY("Allow", "arn:aws:execute-api:*:*:abc/*/POST/*"), false, &ctx), 403);
	assert_null(strstr(ctx, "explicit"));
	free(ctx);
	/* a deny anywhere wins */
	assert_int_equal(decide("/t", "{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":["
				      "{\"Action\":\"*\",\"Effect\":\"Allow\",\"Resource\":\"*\"},"
				      "{\"Action\":[\"execute-api:Invoke\"],\"Effect\":\"Deny\",\"Resource\":[\"x\",\"*/t\"]}]}}",
			 false, NULL), 403);
	assert_int_equal(decide("/t", "\"nope\"", false, &ctx), 500);
	assert_string_equal(ctx, "{\"message\":null}");
	free(ctx);
	assert_int_equal(decide("/t", "{\"policyDocument\":{\"Statement\":[]}}", false, NULL), 403);
	assert_int_equal(decide("/t", "{\"principalId\":\"me\",\"context\":{\"o\":{}},\"policyDocument\":"
				      "{\"Statement\":{\"Action\":\"*\",\"Effect\":\"Allow\",\"Resource\":\"*\"}}}",
			 false, NULL), 500);
	assert_int_equal(decide("/t", "{\"errorMessage\":\"Unauthorized\",\"errorType\":\"Exception\"}", true, NULL), 401);
	assert_int_equal(decide("/t", "{\"errorMessage\":\"boom\"}", true, NULL), 500);
}

static void test_simple(void **state)
{
	(void)state;
	char *ctx;
	assert_int_equal(decide("/h", "{\"isAuthorized\":true,\"context\":{\"o\":{\"deep\":1}}}", false, &ctx), 200);
	assert_string_equal(ctx, "{\"lambda\":{\"o\":{\"deep\":1}}}");
	free(ctx);
	assert_int_equal(decide("/h", "{\"isAuthorized\":false}", false, &ctx), 403);
	assert_string_equal(ctx, "{\"message\":\"Forbidden\"}");
	free(ctx);
	assert_int_equal(decide("/h", "{\"isAuthorized\":\"yes\"}", false, &ctx), 500);
	assert_string_equal(ctx, "{\"message\":\"Internal Server Error\"}");
	free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_identity_expression_is_java),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_simple),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
