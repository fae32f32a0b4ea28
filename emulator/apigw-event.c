/* The proxy integration event, payload formats 1.0 and 2.0, field by field
 * as ../shared/reference/apigw.md lists them. Built with cJSON: events are
 * small and built once per request. */
#include "apigw.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct query_pair {
	char *key, *value;
};

static size_t parse_query(const char *q, struct query_pair **out)
{
	size_t n = 0, cap = 0;
	*out = NULL;
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		if (len) {
			const char *eq = memchr(q, '=', len);
			size_t klen = eq ? (size_t)(eq - q) : len;
			*out = xgrow(*out, &cap, n + 1, sizeof(**out));
			char *k = lamb_url_decode(q, klen, true);
			char *v = eq ? lamb_url_decode(eq + 1, len - klen - 1, true) : xstrdup("");
			(*out)[n].key = k ? k : xstrndup(q, klen);
			(*out)[n].value = v ? v : xstrndup(eq + 1, len - klen - 1);
			n++;
		}
		q += len + (amp ? 1 : 0);
	}
	return n;
}

static void free_query(struct query_pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].key);
		free(p[i].value);
	}
	free(p);
}

static const char *header(const struct lamb_http_request *req, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			v = req->headers[i].value;
	return v;
}

/* A stable ten-character id for an API, like API Gateway's. */
void lamb_apigw_api_id(const char *logical_id, char out[11])
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = logical_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	for (int i = 0; i < 10; i++, h /= 36)
		out[i] = alnum[h % 36];
	out[10] = '\0';
}

static void format_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%d/%b/%Y:%H:%M:%S +0000", &tm);
}

static bool is_binary(const struct lamb_route *route, const struct lamb_http_request *req)
{
	if (!lamb_utf8_valid(req->body, req->body_len))
		return true;
	const struct lamb_strs *types = &route->api->binary_media_types;
	if (!types->len)
		return false;
	const char *ct = header(req, "Content-Type");
	size_t ctlen = ct ? strcspn(ct, ";") : 0;
	while (ctlen && ct[ctlen - 1] == ' ')
		ctlen--;
	for (size_t i = 0; i < types->len; i++) {
		const char *t = types->v[i];
		if (strcmp(t, "*/*") == 0)
			return true;
		if (!ct)
			continue;
		size_t tl = strlen(t);
		if (tl == ctlen && strncasecmp(t, ct, ctlen) == 0)
			return true;
		/* a type ending in slash-star matches its whole family */
		if (tl >= 2 && strcmp(t + tl - 2, "/*") == 0 && ctlen > tl - 1 &&
		    strncasecmp(t, ct, tl - 1) == 0)
			return true;
	}
	return false;
}

static void add_body(cJSON *ev, const struct lamb_route *route, const struct lamb_http_request *req, bool v2)
{
	if (!req->body_len) {
		if (!v2)
			cJSON_AddNullToObject(ev, "body");
		cJSON_AddBoolToObject(ev, "isBase64Encoded", false);
		return;
	}
	if (is_binary(route, req)) {
		char *b = lamb_base64_encode(req->body, req->body_len);
		cJSON_AddStringToObject(ev, "body", b);
		free(b);
		cJSON_AddBoolToObject(ev, "isBase64Encoded", true);
	} else {
		char *b = xstrndup(req->body, req->body_len);
		cJSON_AddStringToObject(ev, "body", b);
		free(b);
		cJSON_AddBoolToObject(ev, "isBase64Encoded", false);
	}
}

static cJSON *path_params(const struct lamb_route_match *m)
{
	if (!m->nparams)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < m->nparams; i++)
		cJSON_AddStringToObject(o, m->params[i].name, m->params[i].value);
	return o;
}

static cJSON *stage_vars(const struct lamb_api *api)
{
	if (!api->stage_variables.len)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < api->stage_variables.len; i++)
		cJSON_AddStringToObject(o, api->stage_variables.v[i].key, api->stage_variables.v[i].value);
	return o;
}

static cJSON *or_null(cJSON *v)
{
	return v ? v : cJSON_CreateNull();
}

static void v1_headers(cJSON *ev, const struct lamb_http_request *req)
{
	cJSON *single = cJSON_AddObjectToObject(ev, "headers");
	cJSON *multi = cJSON_AddObjectToObject(ev, "multiValueHeaders");
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct lamb_header *h = &req->headers[i];
		cJSON_DeleteItemFromObjectCaseSensitive(single, h->name);
		cJSON_AddStringToObject(single, h->name, h->value);
		cJSON *list = cJSON_GetObjectItemCaseSensitive(multi, h->name);
		if (!list)
			list = cJSON_AddArrayToObject(multi, h->name);
		cJSON_AddItemToArray(list, cJSON_CreateString(h->value));
	}
}

static void v1_query(cJSON *ev, const struct lamb_http_request *req)
{
	struct query_pair *q;
	size_t n = parse_query(req->query, &q);
	if (!n) {
		cJSON_AddNullToObject(ev, "queryStringParameters");
		cJSON_AddNullToObject(ev, "multiValueQueryStringParameters");
		return;
	}
	cJSON *single = cJSON_AddObjectToObject(ev, "queryStringParameters");
	cJSON *multi = cJSON_AddObjectToObject(ev, "multiValueQueryStringParameters");
	for (size_t i = 0; i < n; i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(single, q[i].key);
		cJSON_AddStringToObject(single, q[i].key, q[i].value);
		cJSON *list = cJSON_GetObjectItemCaseSensitive(multi, q[i].key);
		if (!list)
			list = cJSON_AddArrayToObject(multi, q[i].key);
		cJSON_AddItemToArray(list, cJSON_CreateString(q[i].value));
	}
	free_query(q, n);
}

static char *stage_path(const struct lamb_api *api, const char *path)
{
	if (strcmp(api->stage, "$default") == 0)
		return xstrdup(path);
	return xasprintf("/%s%s", api->stage, path);
}

static cJSON *v1_context(const struct lamb_model *m, const struct lamb_route *route,
			 const struct lamb_http_request *req, const char *request_id, const char *method)
{
	char id[11], when[64];
	lamb_apigw_api_id(route->api->logical_id, id);
	format_time(req->time_ms, when, sizeof(when));
	const char *host = header(req, "Host");
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "accountId", m->account_id);
	cJSON_AddStringToObject(c, "apiId", id);
	cJSON_AddStringToObject(c, "resourceId", id + 4);
	cJSON_AddStringToObject(c, "resourcePath", route->path);
	cJSON_AddStringToObject(c, "httpMethod", method);
	char *sp = stage_path(route->api, req->path);
	cJSON_AddStringToObject(c, "path", sp);
	free(sp);
	cJSON_AddStringToObject(c, "stage", route->api->stage);
	cJSON_AddStringToObject(c, "protocol", req->protocol ? req->protocol : "HTTP/1.1");
	cJSON_AddStringToObject(c, "requestId", request_id);
	cJSON_AddStringToObject(c, "extendedRequestId", request_id);
	cJSON_AddStringToObject(c, "requestTime", when);
	cJSON_AddNumberToObject(c, "requestTimeEpoch", (double)req->time_ms);
	cJSON_AddStringToObject(c, "domainName", host ? host : "localhost");
	cJSON *ident = cJSON_AddObjectToObject(c, "identity");
	cJSON_AddStringToObject(ident, "sourceIp", req->source_ip ? req->source_ip : "127.0.0.1");
	const char *ua = header(req, "User-Agent");
	cJSON_AddItemToObject(ident, "userAgent", ua ? cJSON_CreateString(ua) : cJSON_CreateNull());
	return c;
}

static void add_authorizer(cJSON *ctx, const char *authorizer)
{
	cJSON *a = authorizer ? cJSON_Parse(authorizer) : NULL;
	if (a)
		cJSON_AddItemToObject(ctx, "authorizer", a);
}

static char *event_v1(const struct lamb_model *m, const struct lamb_route_match *match,
		      const struct lamb_http_request *req, const char *request_id, const char *authorizer)
{
	const struct lamb_route *route = match->route;
	cJSON *ev = cJSON_CreateObject();
	if (route->api->kind == LAMB_API_HTTP)
		cJSON_AddStringToObject(ev, "version", "1.0");
	cJSON_AddStringToObject(ev, "resource", route->path);
	cJSON_AddStringToObject(ev, "path", req->path);
	cJSON_AddStringToObject(ev, "httpMethod", req->method);
	v1_headers(ev, req);
	v1_query(ev, req);
	cJSON_AddItemToObject(ev, "pathParameters", or_null(path_params(match)));
	cJSON_AddItemToObject(ev, "stageVariables", or_null(stage_vars(route->api)));
	cJSON *ctx = v1_context(m, route, req, request_id, req->method);
	add_authorizer(ctx, authorizer);
	cJSON_AddItemToObject(ev, "requestContext", ctx);
	add_body(ev, route, req, false);
	char *s = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	return s;
}

/* Headers of 2.0: names lower-cased, repeats joined with commas, and the
 * Cookie header moved to "cookies". */
static void v2_headers(cJSON *ev, const struct lamb_http_request *req)
{
	cJSON *hs = cJSON_AddObjectToObject(ev, "headers");
	cJSON *cookies = NULL;
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct lamb_header *h = &req->headers[i];
		if (strcasecmp(h->name, "Cookie") == 0) {
			if (!cookies)
				cookies = cJSON_CreateArray();
			char *copy = xstrdup(h->value), *save = NULL;
			for (char *c = strtok_r(copy, ";", &save); c; c = strtok_r(NULL, ";", &save)) {
				while (*c == ' ')
					c++;
				if (*c)
					cJSON_AddItemToArray(cookies, cJSON_CreateString(c));
			}
			free(copy);
			continue;
		}
		char *name = xstrdup(h->name);
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		cJSON *old = cJSON_GetObjectItemCaseSensitive(hs, name);
		if (old) {
			char *joined = xasprintf("%s,%s", old->valuestring, h->value);
			cJSON_ReplaceItemInObjectCaseSensitive(hs, name, cJSON_CreateString(joined));
			free(joined);
		} else {
			cJSON_AddStringToObject(hs, name, h->value);
		}
		free(name);
	}
	if (cookies)
		cJSON_AddItemToObject(ev, "cookies", cookies);
}

static void v2_query(cJSON *ev, const struct lamb_http_request *req)
{
	struct query_pair *q;
	size_t n = parse_query(req->query, &q);
	if (!n)
		return;
	cJSON *qs = cJSON_AddObjectToObject(ev, "queryStringParameters");
	for (size_t i = 0; i < n; i++) {
		cJSON *old = cJSON_GetObjectItemCaseSensitive(qs, q[i].key);
		if (old) {
			char *joined = xasprintf("%s,%s", old->valuestring, q[i].value);
			cJSON_ReplaceItemInObjectCaseSensitive(qs, q[i].key, cJSON_CreateString(joined));
			free(joined);
		} else {
			cJSON_AddStringToObject(qs, q[i].key, q[i].value);
		}
	}
	free_query(q, n);
}

static char *route_key(const struct lamb_route *route)
{
	if (route->is_default)
		return xstrdup("$default");
	return xasprintf("%s %s", route->method, route->path);
}

static char *event_v2(const struct lamb_model *m, const struct lamb_route_match *match,
		      const struct lamb_http_request *req, const char *request_id, const char *authorizer)
{
	const struct lamb_route *route = match->route;
	char *key = route_key(route);
	char id[11], when[64];
	lamb_apigw_api_id(route->api->logical_id, id);
	format_time(req->time_ms, when, sizeof(when));
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "version", "2.0");
	cJSON_AddStringToObject(ev, "routeKey", key);
	cJSON_AddStringToObject(ev, "rawPath", req->path);
	cJSON_AddStringToObject(ev, "rawQueryString", req->query ? req->query : "");
	v2_headers(ev, req);
	v2_query(ev, req);
	cJSON *pp = path_params(match), *sv = stage_vars(route->api);
	if (pp)
		cJSON_AddItemToObject(ev, "pathParameters", pp);
	if (sv)
		cJSON_AddItemToObject(ev, "stageVariables", sv);
	cJSON *c = cJSON_AddObjectToObject(ev, "requestContext");
	const char *host = header(req, "Host");
	cJSON_AddStringToObject(c, "accountId", m->account_id);
	cJSON_AddStringToObject(c, "apiId", id);
	cJSON_AddStringToObject(c, "domainName", host ? host : "localhost");
	char *prefix = xstrndup(host ? host : "localhost", strcspn(host ? host : "localhost", ".:"));
	cJSON_AddStringToObject(c, "domainPrefix", prefix);
	free(prefix);
	cJSON *http = cJSON_AddObjectToObject(c, "http");
	cJSON_AddStringToObject(http, "method", req->method);
	cJSON_AddStringToObject(http, "path", req->path);
	cJSON_AddStringToObject(http, "protocol", req->protocol ? req->protocol : "HTTP/1.1");
	cJSON_AddStringToObject(http, "sourceIp", req->source_ip ? req->source_ip : "127.0.0.1");
	const char *ua = header(req, "User-Agent");
	cJSON_AddStringToObject(http, "userAgent", ua ? ua : "");
	cJSON_AddStringToObject(c, "requestId", request_id);
	cJSON_AddStringToObject(c, "routeKey", key);
	cJSON_AddStringToObject(c, "stage", route->api->stage);
	cJSON_AddStringToObject(c, "time", when);
	cJSON_AddNumberToObject(c, "timeEpoch", (double)req->time_ms);
	add_authorizer(c, authorizer);
	add_body(ev, route, req, true);
	free(key);
	char *s = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	return s;
}

char *lamb_apigw_event_auth(const struct lamb_model *m, const struct lamb_route_match *match,
			    const struct lamb_http_request *req, const char *request_id,
			    const char *authorizer)
{
	if (strcmp(match->route->payload_format, "2.0") == 0)
		return event_v2(m, match, req, request_id, authorizer);
	return event_v1(m, match, req, request_id, authorizer);
}

char *lamb_apigw_event(const struct lamb_model *m, const struct lamb_route_match *match,
		       const struct lamb_http_request *req, const char *request_id)
{
	return lamb_apigw_event_auth(m, match, req, request_id, NULL);
}
