/* The event a Function URL sends its function: payload format 2.0 with the
 * Function URL service's sentinels (routeKey and stage "$default", account
 * "anonymous" without IAM), header names lower-cased and repeated values
 * joined with ',', the Cookie header split into cookies, the query decoded
 * into queryStringParameters, a body that is not text in base64. Built with
 * cJSON: a Function URL request is not on start-api's hot path. */
#include "base/url.h"
#include "base/util.h"
#include "front/function-url.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char *lower(const char *s)
{
	char *o = xstrdup(s);
	for (char *p = o; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return o;
}

/* Adds value to o[key], joined with ',' to what is there. */
static void add_joined(cJSON *o, const char *key, const char *value)
{
	cJSON *had = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!had) {
		cJSON_AddStringToObject(o, key, value);
		return;
	}
	char *both = xasprintf("%s,%s", had->valuestring, value);
	cJSON_ReplaceItemInObjectCaseSensitive(o, key, cJSON_CreateString(both));
	free(both);
}

static void add_cookies(cJSON *list, const char *value)
{
	char *copy = xstrdup(value), *save = NULL;
	for (char *c = strtok_r(copy, ";", &save); c; c = strtok_r(NULL, ";", &save)) {
		c += strspn(c, " ");
		if (*c)
			cJSON_AddItemToArray(list, cJSON_CreateString(c));
	}
	free(copy);
}

static void add_headers(cJSON *ev, const struct lamb_http_request *req)
{
	cJSON *h = cJSON_AddObjectToObject(ev, "headers");
	cJSON *cookies = cJSON_CreateArray();
	for (size_t i = 0; i < req->nheaders; i++) {
		char *name = lower(req->headers[i].name);
		if (strcmp(name, "cookie") == 0)
			add_cookies(cookies, req->headers[i].value);
		else
			add_joined(h, name, req->headers[i].value);
		free(name);
	}
	if (cJSON_GetArraySize(cookies))
		cJSON_AddItemToObject(ev, "cookies", cookies);
	else
		cJSON_Delete(cookies);
}

static void add_query(cJSON *ev, const char *query)
{
	cJSON_AddStringToObject(ev, "rawQueryString", query ? query : "");
	if (!query || !*query)
		return;
	cJSON *q = cJSON_AddObjectToObject(ev, "queryStringParameters");
	char *copy = xstrdup(query), *save = NULL;
	for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		char *k = lamb_url_decode(kv, eq ? (size_t)(eq - kv) : strlen(kv), true);
		char *v = eq ? lamb_url_decode(eq + 1, strlen(eq + 1), true) : xstrdup("");
		if (k && v)
			add_joined(q, k, v);
		free(k);
		free(v);
	}
	free(copy);
}

/* Text as the Function URL service tells it from the Content-Type; any
 * other body goes base64. */
static bool is_text(const char *type)
{
	static const char *const kinds[] = { "json", "xml", "javascript", "x-www-form-urlencoded", "yaml", NULL };
	if (!type)
		return false;
	if (strncasecmp(type, "text/", 5) == 0)
		return true;
	for (const char *const *k = kinds; *k; k++)
		if (strcasestr(type, *k))
			return true;
	return false;
}

static const char *header(const struct lamb_http_request *req, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			v = req->headers[i].value;
	return v;
}

static void add_body(cJSON *ev, const struct lamb_http_request *req)
{
	bool text = is_text(header(req, "Content-Type"));
	if (req->body_len && text) {
		char *s = xstrndup(req->body, req->body_len);
		cJSON_AddStringToObject(ev, "body", s);
		free(s);
	} else if (req->body_len) {
		char *b64 = lamb_base64_encode(req->body, req->body_len);
		cJSON_AddStringToObject(ev, "body", b64);
		free(b64);
	}
	cJSON_AddBoolToObject(ev, "isBase64Encoded", req->body_len && !text);
}

static void add_context(cJSON *ev, const struct lamb_model *m, const struct lamb_function *fn,
			const struct lamb_http_request *req, const char *path, const char *request_id,
			const char *iam)
{
	char prefix[256], domain[320], when[64];
	if (!lamb_function_url_host(fn, prefix, sizeof(prefix)))
		snprintf(prefix, sizeof(prefix), "%s", fn->name);
	snprintf(domain, sizeof(domain), "%s.lambda-url.localhost", prefix);
	time_t t = (time_t)(req->time_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	cJSON *c = cJSON_AddObjectToObject(ev, "requestContext");
	cJSON_AddStringToObject(c, "accountId", iam ? m->account_id : "anonymous");
	cJSON_AddStringToObject(c, "apiId", prefix);
	if (iam)
		cJSON_AddItemToObject(cJSON_AddObjectToObject(c, "authorizer"), "iam", cJSON_Parse(iam));
	cJSON_AddStringToObject(c, "domainName", domain);
	cJSON_AddStringToObject(c, "domainPrefix", prefix);
	cJSON *h = cJSON_AddObjectToObject(c, "http");
	cJSON_AddStringToObject(h, "method", req->method);
	cJSON_AddStringToObject(h, "path", path);
	cJSON_AddStringToObject(h, "protocol", req->protocol ? req->protocol : "HTTP/1.1");
	cJSON_AddStringToObject(h, "sourceIp", req->source_ip ? req->source_ip : "127.0.0.1");
	const char *ua = header(req, "User-Agent");
	cJSON_AddStringToObject(h, "userAgent", ua ? ua : "");
	cJSON_AddStringToObject(c, "requestId", request_id);
	cJSON_AddStringToObject(c, "routeKey", "$default");
	cJSON_AddStringToObject(c, "stage", "$default");
	cJSON_AddStringToObject(c, "time", when);
	cJSON_AddNumberToObject(c, "timeEpoch", (double)req->time_ms);
}

char *lamb_function_url_event(const struct lamb_model *m, const struct lamb_function *fn,
			      const struct lamb_http_request *req, const char *path, const char *request_id,
			      const char *iam)
{
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "version", "2.0");
	cJSON_AddStringToObject(ev, "routeKey", "$default");
	cJSON_AddStringToObject(ev, "rawPath", path);
	add_query(ev, req->query);
	add_headers(ev, req);
	add_context(ev, m, fn, req, path, request_id, iam);
	add_body(ev, req);
	char *s = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	return s;
}
