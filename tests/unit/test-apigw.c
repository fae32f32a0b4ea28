/* API Gateway emulation without sockets: route priority and parameters,
 * the 1.0 and 2.0 events field by field, and result mapping. */
#include "unit.h"

#include "front/apigw.h"
#include "base/util.h"

#include <stdio.h>
#include <strings.h>

#include <cjson/cJSON.h>

static const char *tmpl =
	HEADER
	"Globals:\n"
	"  Api:\n"
	"    BinaryMediaTypes: ['image~1png']\n"
	"    Variables: {sv: one}\n"
	"Resources:\n"
	"  Fn:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      Handler: a.b\n"
	"      Runtime: python3.12\n"
	"      Events:\n"
	"        Exact: {Type: Api, Properties: {Path: /items/special, Method: get}}\n"
	"        Param: {Type: Api, Properties: {Path: '/items/{id}', Method: get}}\n"
	"        AnyParam: {Type: Api, Properties: {Path: '/items/{id}', Method: any}}\n"
	"        Greedy: {Type: Api, Properties: {Path: '/items/{proxy+}', Method: any}}\n"
	"        Root: {Type: Api, Properties: {Path: /, Method: get}}\n"
	"        Http: {Type: HttpApi, Properties: {Path: '/h/{name}', Method: post}}\n"
	"        Http1: {Type: HttpApi, Properties: {Path: /h1, Method: get, PayloadFormatVersion: '1.0'}}\n"
	"        Default: {Type: HttpApi}\n";

static struct loaded *l;
static struct lamb_router *router;

static int setup(void **state)
{
	(void)state;
	l = load(tmpl);
	dump_diags(l);
	router = lamb_router_new(l->m);
	return l->diags.errors != 0;
}

static int teardown(void **state)
{
	(void)state;
	lamb_router_free(router);
	unload(l);
	return 0;
}

static const char *route_of(const char *method, const char *path, struct lamb_route_match *m)
{
	enum lamb_route_result r = lamb_router_match(router, method, path, m);
	if (r == LAMB_ROUTE_NO_PATH)
		return "no-path";
	if (r == LAMB_ROUTE_NO_METHOD)
		return "no-method";
	return m->route->event->name;
}

static void test_priority(void **state)
{
	(void)state;
	struct lamb_route_match m;
	assert_string_equal(route_of("GET", "/items/special", &m), "Exact");
	lamb_route_match_release(&m);
	assert_string_equal(route_of("get", "/items/special/", &m), "Exact");
	lamb_route_match_release(&m);
	assert_string_equal(route_of("GET", "/items/7", &m), "Param");
	assert_int_equal(m.nparams, 1);
	assert_string_equal(m.params[0].name, "id");
	assert_string_equal(m.params[0].value, "7");
	lamb_route_match_release(&m);
	assert_string_equal(route_of("DELETE", "/items/7", &m), "AnyParam");
	lamb_route_match_release(&m);
	assert_string_equal(route_of("GET", "/items/a/b%20c/", &m), "Greedy");
	assert_string_equal(m.params[0].name, "proxy");
	assert_string_equal(m.params[0].value, "a/b c");
	lamb_route_match_release(&m);
	assert_string_equal(route_of("GET", "/", &m), "Root");
	lamb_route_match_release(&m);
	assert_string_equal(route_of("POST", "/h/x", &m), "Http");
	lamb_route_match_release(&m);
	/* everything else falls to the HTTP API's $default route */
	assert_string_equal(route_of("PUT", "/elsewhere", &m), "Default");
	lamb_route_match_release(&m);
}

static void test_no_route(void **state)
{
	(void)state;
	struct lamb_route_match m;
	struct lamb_model *saved = l->m;
	struct loaded *rest = load(HEADER
				   "Resources:\n"
				   "  Fn:\n"
				   "    Type: AWS::Serverless::Function\n"
				   "    Properties:\n"
				   "      Handler: a.b\n"
				   "      Runtime: python3.12\n"
				   "      Events: {G: {Type: Api, Properties: {Path: /only, Method: get}}}\n");
	struct lamb_router *r = lamb_router_new(rest->m);
	assert_int_equal(lamb_router_match(r, "GET", "/nope", &m), LAMB_ROUTE_NO_PATH);
	assert_int_equal(lamb_router_match(r, "POST", "/only", &m), LAMB_ROUTE_NO_METHOD);
	assert_int_equal(lamb_router_match(r, "GET", "/only", &m), LAMB_ROUTE_FOUND);
	lamb_route_match_release(&m);
	lamb_router_free(r);
	unload(rest);
	(void)saved;
}

static cJSON *event_for(const char *method, const char *path, const char *query,
			const struct lamb_header *hs, size_t nh, const char *body, size_t blen)
{
	struct lamb_route_match m;
	assert_int_equal(lamb_router_match(router, method, path, &m), LAMB_ROUTE_FOUND);
	struct lamb_http_request req = {
		.method = method, .path = path, .query = query, .headers = hs, .nheaders = nh,
		.body = body, .body_len = blen, .source_ip = "127.0.0.1", .protocol = "HTTP/1.1",
		.time_ms = 1795687200123,
	};
	char *s = lamb_apigw_event(l->m, &m, &req, "req-1");
	lamb_route_match_release(&m);
	cJSON *j = cJSON_Parse(s);
	free(s);
	assert_non_null(j);
	return j;
}

#define STR(j, k) cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive((j), (k)))
#define OBJ(j, k) cJSON_GetObjectItemCaseSensitive((j), (k))

static void test_event_v1(void **state)
{
	(void)state;
	struct lamb_header hs[] = { { "Host", "localhost:3000" }, { "X-Multi", "a" }, { "X-Multi", "b" },
				    { "User-Agent", "curl/8" } };
	cJSON *ev = event_for("GET", "/items/7", "a=1&a=2&b=x%20y&c", hs, 4, NULL, 0);
	assert_string_equal(STR(ev, "resource"), "/items/{id}");
	assert_string_equal(STR(ev, "path"), "/items/7");
	assert_string_equal(STR(ev, "httpMethod"), "GET");
	assert_null(OBJ(ev, "version"));
	assert_string_equal(STR(OBJ(ev, "headers"), "X-Multi"), "b");
	assert_int_equal(cJSON_GetArraySize(OBJ(OBJ(ev, "multiValueHeaders"), "X-Multi")), 2);
	/* the headers a REST API's front door adds */
	assert_string_equal(STR(OBJ(ev, "headers"), "X-Forwarded-Proto"), "http");
	assert_string_equal(STR(OBJ(ev, "headers"), "X-Forwarded-Port"), "3000");
	assert_string_equal(cJSON_GetArrayItem(OBJ(OBJ(ev, "multiValueHeaders"), "X-Forwarded-Port"), 0)->valuestring,
			    "3000");
	assert_string_equal(STR(OBJ(ev, "queryStringParameters"), "a"), "2");
	assert_string_equal(STR(OBJ(ev, "queryStringParameters"), "b"), "x y");
	assert_string_equal(STR(OBJ(ev, "queryStringParameters"), "c"), "");
	assert_int_equal(cJSON_GetArraySize(OBJ(OBJ(ev, "multiValueQueryStringParameters"), "a")), 2);
	assert_string_equal(STR(OBJ(ev, "pathParameters"), "id"), "7");
	assert_string_equal(STR(OBJ(ev, "stageVariables"), "sv"), "one");
	assert_true(cJSON_IsNull(OBJ(ev, "body")));
	assert_true(cJSON_IsFalse(OBJ(ev, "isBase64Encoded")));
	cJSON *c = OBJ(ev, "requestContext");
	assert_string_equal(STR(c, "path"), "/Prod/items/7");
	assert_string_equal(STR(c, "stage"), "Prod");
	assert_string_equal(STR(c, "resourcePath"), "/items/{id}");
	assert_string_equal(STR(c, "requestId"), "req-1");
	assert_string_equal(STR(c, "accountId"), "123456789012");
	assert_string_equal(STR(c, "requestTime"), "26/Nov/2026:10:00:00 +0000");
	assert_true(OBJ(c, "requestTimeEpoch")->valuedouble == 1795687200123.0);
	assert_string_equal(STR(c, "domainName"), "localhost:3000");
	assert_string_equal(STR(OBJ(c, "identity"), "sourceIp"), "127.0.0.1");
	assert_string_equal(STR(OBJ(c, "identity"), "userAgent"), "curl/8");
	assert_int_equal(strlen(STR(c, "apiId")), 10);
	/* users may have written an api id down: it must never change */
	char id[11];
	lamb_apigw_api_id("ServerlessRestApi", id);
	assert_string_equal(id, "3l2z03sn50");
	lamb_apigw_api_id("ServerlessHttpApi", id);
	assert_string_equal(id, "p3so4zxtea");
	cJSON_Delete(ev);

	ev = event_for("GET", "/", NULL, NULL, 0, NULL, 0);
	assert_true(cJSON_IsNull(OBJ(ev, "queryStringParameters")));
	assert_true(cJSON_IsNull(OBJ(ev, "multiValueQueryStringParameters")));
	assert_true(cJSON_IsNull(OBJ(ev, "pathParameters")));
	/* no Host: HTTP's port */
	assert_string_equal(STR(OBJ(ev, "headers"), "X-Forwarded-Port"), "80");
	cJSON_Delete(ev);

	/* a client's own X-Forwarded-* are kept, once */
	struct lamb_header fwd[] = { { "X-Forwarded-Proto", "https" }, { "X-Forwarded-Port", "443" },
				     { "Host", "[::1]:8080" } };
	ev = event_for("GET", "/", NULL, fwd, 3, NULL, 0);
	assert_string_equal(STR(OBJ(ev, "headers"), "X-Forwarded-Proto"), "https");
	assert_int_equal(cJSON_GetArraySize(OBJ(OBJ(ev, "multiValueHeaders"), "X-Forwarded-Port")), 1);
	assert_int_equal(cJSON_GetArraySize(OBJ(ev, "headers")), 3);
	cJSON_Delete(ev);
	ev = event_for("GET", "/", NULL, fwd + 2, 1, NULL, 0);
	assert_string_equal(STR(OBJ(ev, "headers"), "X-Forwarded-Port"), "8080");
	cJSON_Delete(ev);
}

static void test_event_bodies(void **state)
{
	(void)state;
	struct lamb_header png[] = { { "Content-Type", "image/png" } };
	struct lamb_header text[] = { { "Content-Type", "text/plain; charset=utf-8" } };
	cJSON *ev = event_for("POST", "/items/1", NULL, text, 1, "héllo", strlen("héllo"));
	assert_string_equal(STR(ev, "body"), "héllo");
	assert_true(cJSON_IsFalse(OBJ(ev, "isBase64Encoded")));
	cJSON_Delete(ev);
	ev = event_for("POST", "/items/1", NULL, png, 1, "abc", 3);
	assert_string_equal(STR(ev, "body"), "YWJj");
	assert_true(cJSON_IsTrue(OBJ(ev, "isBase64Encoded")));
	cJSON_Delete(ev);
	ev = event_for("POST", "/items/1", NULL, text, 1, "\xff\xfe", 2);
	assert_string_equal(STR(ev, "body"), "//4=");
	assert_true(cJSON_IsTrue(OBJ(ev, "isBase64Encoded")));
	cJSON_Delete(ev);
}

static void test_event_v2(void **state)
{
	(void)state;
	struct lamb_header hs[] = { { "Host", "localhost:3000" }, { "X-Multi", "a" }, { "x-multi", "b" },
				    { "Cookie", "s=1; t=2" }, { "User-Agent", "ua" } };
	cJSON *ev = event_for("POST", "/h/bob", "q=1&q=2&r=%2F", hs, 5, "{}", 2);
	assert_string_equal(STR(ev, "version"), "2.0");
	assert_string_equal(STR(ev, "routeKey"), "POST /h/{name}");
	assert_string_equal(STR(ev, "rawPath"), "/h/bob");
	assert_string_equal(STR(ev, "rawQueryString"), "q=1&q=2&r=%2F");
	assert_string_equal(STR(OBJ(ev, "headers"), "x-multi"), "a,b");
	assert_null(OBJ(OBJ(ev, "headers"), "cookie"));
	assert_int_equal(cJSON_GetArraySize(OBJ(ev, "cookies")), 2);
	assert_string_equal(cJSON_GetArrayItem(OBJ(ev, "cookies"), 1)->valuestring, "t=2");
	assert_string_equal(STR(OBJ(ev, "queryStringParameters"), "q"), "1,2");
	assert_string_equal(STR(OBJ(ev, "queryStringParameters"), "r"), "/");
	assert_string_equal(STR(OBJ(ev, "pathParameters"), "name"), "bob");
	assert_null(OBJ(ev, "stageVariables"));
	assert_string_equal(STR(ev, "body"), "{}");
	cJSON *c = OBJ(ev, "requestContext");
	assert_string_equal(STR(c, "routeKey"), "POST /h/{name}");
	assert_string_equal(STR(c, "stage"), "$default");
	assert_string_equal(STR(c, "domainPrefix"), "localhost");
	assert_string_equal(STR(OBJ(c, "http"), "method"), "POST");
	assert_string_equal(STR(OBJ(c, "http"), "sourceIp"), "127.0.0.1");
	assert_string_equal(STR(OBJ(c, "http"), "userAgent"), "ua");
	assert_string_equal(STR(c, "time"), "26/Nov/2026:10:00:00 +0000");
	cJSON_Delete(ev);

	ev = event_for("GET", "/anything/else", NULL, NULL, 0, NULL, 0);
	assert_string_equal(STR(ev, "routeKey"), "$default");
	assert_null(OBJ(ev, "queryStringParameters"));
	assert_null(OBJ(ev, "pathParameters"));
	assert_null(OBJ(ev, "body"));
	assert_null(OBJ(ev, "cookies"));
	cJSON_Delete(ev);
}

static const struct lamb_route *route_named(const char *event)
{
	for (size_t i = 0; i < l->m->nroutes; i++)
		if (strcmp(l->m->routes[i].event->name, event) == 0)
			return &l->m->routes[i];
	fail();
	return NULL;
}

static int map(const char *event, const char *result, struct lamb_http_response *out)
{
	struct lamb_err err;
	int rc = lamb_apigw_response(route_named(event), result, strlen(result), out, &err);
	if (rc < 0)
		fprintf(stderr, "502 because: %s\n", err.msg);
	return rc;
}

static const char *hdr(const struct lamb_http_response *r, const char *name, int nth)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0 && nth-- == 0)
			return r->headers[i].value;
	return NULL;
}

/* The event is written as text by hand: every byte a header, a query or a
 * body may hold must come back out of a JSON parser as it went in. */
static void test_event_escapes(void **state)
{
	(void)state;
	static const char odd[] = "q\"b\\s/n\nr\rt\tc\x01\x1f del\x7f \xc3\xa9";
	struct lamb_header hs[] = { { "X-Odd", (char *)odd }, { "X-\"Name\"", "v" } };
	const char *body = "{\"k\": \"\\u00e9\\n\"}\n\x02";
	cJSON *ev = event_for("GET", "/items/7", "a=%22%5C%0A&b", hs, 2, body, strlen(body));
	assert_string_equal(STR(OBJ(ev, "headers"), "X-Odd"), odd);
	assert_string_equal(STR(OBJ(ev, "headers"), "X-\"Name\""), "v");
	assert_string_equal(cJSON_GetArrayItem(OBJ(OBJ(ev, "multiValueHeaders"), "X-Odd"), 0)->valuestring, odd);
	assert_string_equal(STR(OBJ(ev, "queryStringParameters"), "a"), "\"\\\n");
	assert_string_equal(STR(OBJ(ev, "queryStringParameters"), "b"), "");
	assert_string_equal(STR(ev, "body"), body);
	cJSON_Delete(ev);
}

static void test_response_v1(void **state)
{
	(void)state;
	struct lamb_http_response r;
	assert_int_equal(map("Param", "{\"statusCode\": 201, \"headers\": {\"X-A\": \"1\", \"X-N\": 5},"
				      " \"multiValueHeaders\": {\"X-A\": [\"1\", \"2\"]}, \"body\": \"hi\"}", &r), 0);
	assert_int_equal(r.status, 201);
	assert_string_equal(hdr(&r, "X-A", 0), "1");
	assert_string_equal(hdr(&r, "X-A", 1), "2");
	assert_null(hdr(&r, "X-A", 2));
	assert_string_equal(hdr(&r, "X-N", 0), "5");
	assert_string_equal(hdr(&r, "Content-Type", 0), "application/json");
	assert_int_equal(r.body_len, 2);
	lamb_http_response_release(&r);

	assert_int_equal(map("Param", "{\"body\": \"AAEC\", \"isBase64Encoded\": true,"
				      " \"headers\": {\"Content-Type\": \"image/png\"}}", &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 3);
	assert_memory_equal(r.body, "\0\1\2", 3);
	assert_string_equal(hdr(&r, "Content-Type", 0), "image/png");
	lamb_http_response_release(&r);

	static const char *const bad[] = {
		"not json",
		"[1, 2]",
		"{\"statusCode\": \"abc\"}",
		"{\"statusCode\": 200, \"extra\": 1}",
		"{\"statusCode\": 200, \"body\": {\"a\": 1}}",
		"{\"statusCode\": 200, \"headers\": {\"X\": \"a\\r\\nInjected: 1\"}}",
		"{\"statusCode\": 200, \"headers\": {\"Bad Name\": \"a\"}}",
		"{\"statusCode\": 200, \"body\": \"!!\", \"isBase64Encoded\": true}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(map("Param", bad[i], &r), -1);
		assert_int_equal(r.status, 502);
		assert_string_equal(r.body, "{\"message\":\"Internal server error\"}");
		lamb_http_response_release(&r);
	}
}

static void test_response_v2(void **state)
{
	(void)state;
	struct lamb_http_response r;
	assert_int_equal(map("Http", "{\"statusCode\": 302, \"cookies\": [\"a=1\", \"b=2\"],"
				     " \"headers\": {\"Location\": \"/x\"}, \"extra\": true}", &r), 0);
	assert_int_equal(r.status, 302);
	assert_string_equal(hdr(&r, "Set-Cookie", 0), "a=1");
	assert_string_equal(hdr(&r, "Set-Cookie", 1), "b=2");
	assert_string_equal(hdr(&r, "Location", 0), "/x");
	lamb_http_response_release(&r);

	assert_int_equal(map("Http", "{\"message\": \"no status\"}", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"message\": \"no status\"}");
	assert_string_equal(hdr(&r, "Content-Type", 0), "application/json");
	lamb_http_response_release(&r);

	/* a JSON string is sent as its text, escaped or not */
	assert_int_equal(map("Http", " \"just a string\"\n", &r), 0);
	assert_string_equal(r.body, "just a string");
	assert_string_equal(hdr(&r, "Content-Type", 0), "application/json");
	lamb_http_response_release(&r);
	assert_int_equal(map("Http", "\"say \\\"hi\\\" \\u00e9\"", &r), 0);
	assert_string_equal(r.body, "say \"hi\" \xc3\xa9");
	lamb_http_response_release(&r);
	assert_int_equal(map("Http", "\"\"", &r), 0);
	assert_int_equal(r.body_len, 0);
	lamb_http_response_release(&r);

	/* payload 1.0 of an HTTP API has no default statusCode: API Gateway's 500 */
	assert_int_equal(map("Http1", "{\"body\": \"x\"}", &r), -1);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.body, "{\"message\":\"Internal Server Error\"}");
	lamb_http_response_release(&r);
	assert_int_equal(map("Http1", "{\"statusCode\": 201}", &r), 0);
	assert_int_equal(r.status, 201);
	lamb_http_response_release(&r);

	assert_int_equal(map("Http", "{\"statusCode\": 200, \"cookies\": [\"a=1\\n\"]}", &r), -1);
	assert_int_equal(r.status, 502);
	lamb_http_response_release(&r);
	/* values sent as they are, whether or not the quick scan takes them */
	static const char *const plain[] = {
		"[1, -0.5e+3, true, false, null, {\"a\": [{}, []]}]", "{\"nested\": {\"statusCode\": 500}}",
		"{\"status\\u0043ode\": 1}", " 42 ", "{\"s\": \"tab\\t \\\"q\\\" \\u00e9\"}",
		"1234567890123456789012345678901234567890123456789012345678901234567890",
		/* strings longer than a word, escapes after the first word */
		"{\"a key longer than a word\": \"0123456\\\"89abcdef\\\\ghij\", \"statusCodeX\": \"12345678\"}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		assert_int_equal(map("Http", plain[i], &r), i == 2 ? -1 : 0);
		if (i != 2)
			assert_string_equal(r.body, plain[i]);
		lamb_http_response_release(&r);
	}
	/* and what is no JSON at all is the 502, quick scan or not */
	static const char *const broken[] = { "{\"a\": 1,}", "[1 2]", "{\"a\" 1}", "-", "tru", "\"open", "",
					      "\"0123456789abcdefghij",
					      "{\"0123456789\\x\": 1}" };
	for (size_t i = 0; i < ARRAY_SIZE(broken); i++) {
		assert_int_equal(map("Http", broken[i], &r), -1);
		assert_int_equal(r.status, 502);
		lamb_http_response_release(&r);
	}
}

/* CORS from the values the model read at load: REST's quoted strings,
 * HTTP API lists answered only to an allowed Origin. */
static void test_cors(void **state)
{
	(void)state;
	struct loaded *c = load(HEADER
				"Globals:\n"
				"  Api:\n"
				"    Cors: {AllowOrigin: \"'https://a.example'\", AllowHeaders: \"'X-A'\", MaxAge: \"'60'\"}\n"
				"Resources:\n"
				"  Http:\n"
				"    Type: AWS::Serverless::HttpApi\n"
				"    Properties:\n"
				"      CorsConfiguration: {AllowOrigins: [https://b.example], AllowMethods: [GET, PUT],\n"
				"                          ExposeHeaders: [x-e], AllowCredentials: true}\n"
				"  Fn:\n"
				"    Type: AWS::Serverless::Function\n"
				"    Properties:\n"
				"      Handler: a.b\n"
				"      Runtime: python3.12\n"
				"      Events:\n"
				"        R: {Type: Api, Properties: {Path: /r, Method: get}}\n"
				"        H: {Type: HttpApi, Properties: {Path: /h, Method: get, ApiId: !Ref Http}}\n"
				"        D: {Type: HttpApi, Properties: {Path: /d, Method: get}}\n");
	assert_int_equal(c->diags.errors, 0);
	const struct lamb_api *rest = c->m->routes[0].api, *http = c->m->routes[1].api, *plain = c->m->routes[2].api;
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	lamb_apigw_cors_headers(rest, NULL, true, &r);
	assert_string_equal(hdr(&r, "Access-Control-Allow-Origin", 0), "https://a.example");
	assert_string_equal(hdr(&r, "Access-Control-Allow-Methods", 0), "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT");
	assert_string_equal(hdr(&r, "Access-Control-Allow-Headers", 0), "X-A");
	assert_string_equal(hdr(&r, "Access-Control-Max-Age", 0), "60");
	assert_null(hdr(&r, "Access-Control-Allow-Credentials", 0));
	lamb_http_response_release(&r);

	lamb_http_response_init(&r);
	lamb_apigw_cors_headers(http, "https://evil.example", true, &r);
	assert_int_equal(r.nheaders, 0);
	lamb_apigw_cors_headers(http, "HTTPS://B.example", true, &r);
	assert_string_equal(hdr(&r, "Access-Control-Allow-Origin", 0), "HTTPS://B.example");
	assert_string_equal(hdr(&r, "Access-Control-Allow-Methods", 0), "GET,PUT");
	assert_string_equal(hdr(&r, "Access-Control-Allow-Credentials", 0), "true");
	assert_null(hdr(&r, "Access-Control-Expose-Headers", 0));
	lamb_http_response_release(&r);
	lamb_http_response_init(&r);
	lamb_apigw_cors_headers(http, "https://b.example", false, &r);
	assert_string_equal(hdr(&r, "Access-Control-Expose-Headers", 0), "x-e");
	assert_null(hdr(&r, "Access-Control-Allow-Methods", 0));
	lamb_http_response_release(&r);

	/* a preflight on an API without CORS is answered by the first that has
	 * it (explicit APIs come before the implicit ones) */
	assert_false(plain->cors.enabled);
	assert_ptr_equal(lamb_apigw_cors_api(c->m, plain), http);
	assert_ptr_equal(lamb_apigw_cors_api(c->m, rest), rest);
	unload(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_no_route),
		cmocka_unit_test(test_event_v1),
		cmocka_unit_test(test_event_bodies),
		cmocka_unit_test(test_event_v2),
		cmocka_unit_test(test_event_escapes),
		cmocka_unit_test(test_response_v1),
		cmocka_unit_test(test_response_v2),
		cmocka_unit_test(test_cors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
