/* Lambda authorizers: the lookup from SAM's Auth properties, the identity
 * source check, the authorizer's event, and the reading of its answer (an
 * IAM policy, or an HTTP API simple response). The answers for the failure
 * cases are API Gateway's defaults (AWS "Call an API with API Gateway Lambda
 * authorizers" and the gateway response types): 401 before invoking when an
 * identity source is missing, 401 when the function raised "Unauthorized",
 * 403 on a deny, 500 on any other error or a malformed answer. */
#include "base/regex.h"
#include "base/url.h"
#include "base/util.h"
#include "front/apigw-auth.h"

#include <cjson/cJSON.h>
#include <string.h>
#include <strings.h>

/* --- which authorizer --- */

/* Reads only what the model resolved at load (model-auth.c): no per-request
 * lookup. m goes unused since then; callers pass it as to every lamb_auth_*. */
enum lamb_auth_lookup lamb_auth_for_route(const struct lamb_model *m, const struct lamb_route *route,
					  struct lamb_authorizer *out, const char **why)
{
	(void)m;
	const char *dummy;
	why = why ? why : &dummy;
	const char *name = route->auth_name;
	const struct lamb_api_authorizer *def = route->authorizer;
	if (!name || strcmp(name, "NONE") == 0)
		return LAMB_AUTH_OPEN;
	if (strcmp(name, "AWS_IAM") == 0)
		return *why = "AWS_IAM authorization is not emulated", LAMB_AUTH_UNSUPPORTED;
	if (!def)
		return *why = "its authorizer is not among the API's Auth.Authorizers", LAMB_AUTH_UNSUPPORTED;
	if (!def->function_arn)
		return *why = "Cognito and JWT authorizers are not emulated", LAMB_AUTH_UNSUPPORTED;
	if (!def->function)
		return *why = "its authorizer's FunctionArn names no function of the template",
		       LAMB_AUTH_UNSUPPORTED;
	*out = (struct lamb_authorizer){
		.name = def->name, .api = route->api, .function = def->function, .token = def->token,
		.payload_format = def->payload_format, .simple_responses = def->simple_responses,
		.validation = def->validation, .sources = def->sources,
		.nsources = def->nsources,
	};
	return LAMB_AUTH_LAMBDA;
}

/* --- identity sources --- */

/* The last value of a query parameter, decoded; caller frees; NULL if absent. */
static char *query_of(const struct lamb_http_request *req, const char *name)
{
	char *found = NULL;
	for (const char *q = req->query; q && *q;) {
		size_t len = strcspn(q, "&");
		const char *eq = memchr(q, '=', len);
		size_t klen = eq ? (size_t)(eq - q) : len;
		char *k = lamb_url_decode(q, klen, true);
		if (k && strcmp(k, name) == 0) {
			free(found);
			found = eq ? lamb_url_decode(eq + 1, len - klen - 1, true) : xstrdup("");
		}
		free(k);
		q += len + (q[len] == '&');
	}
	return found;
}

static const char *stage_var(const struct lamb_api *api, const char *name)
{
	for (size_t i = 0; i < api->stage_variables.len; i++)
		if (strcmp(api->stage_variables.v[i].key, name) == 0)
			return api->stage_variables.v[i].value;
	return NULL;
}

/* The value of one source (caller frees), NULL when missing or empty. */
static char *source_value(const struct lamb_authorizer *a, const struct lamb_auth_source *s,
			  const struct lamb_http_request *req)
{
	const char *v = NULL;
	char *owned = NULL;
	switch (s->kind) {
	case LAMB_AUTH_HEADER:
		v = lamb_http_request_header(req, s->name);
		break;
	case LAMB_AUTH_QUERY:
		v = owned = query_of(req, s->name);
		break;
	case LAMB_AUTH_STAGE_VAR:
		v = stage_var(a->api, s->name);
		break;
	case LAMB_AUTH_CONTEXT:
		v = s->name; /* lamb fills every $context variable it knows */
		break;
	}
	char *r = v && *v ? xstrdup(v) : NULL;
	free(owned);
	return r;
}

/* IdentityValidationExpression is a Java regular expression the whole
 * token must match (base/regex.h). One lamb cannot compile, or one too
 * complex for this token, does not lock everyone out. */
/* A token lamb cannot decide on (too complex, not UTF-8) goes through. */
static bool token_valid(const struct lamb_regex *re, const char *token)
{
	return !re || lamb_regex_match(re, token, NULL) != 0;
}

bool lamb_auth_identity_ok(const struct lamb_authorizer *a, const struct lamb_http_request *req)
{
	for (size_t i = 0; i < a->nsources; i++) {
		char *v = source_value(a, &a->sources[i], req);
		bool ok = v && (!a->token || token_valid(a->validation, v));
		free(v);
		if (!ok)
			return false;
	}
	return true;
}

/* --- the event --- */

char *lamb_auth_method_arn(const struct lamb_model *m, const struct lamb_route *route,
			   const struct lamb_http_request *req)
{
	char id[11];
	lamb_apigw_api_id(route->api->logical_id, id);
	return xasprintf("arn:%s:execute-api:%s:%s:%s/%s/%s%s", m->partition ? m->partition : "aws", m->region,
			 m->account_id, id, route->api->stage, req->method, req->path);
}

static char *token_event(const struct lamb_authorizer *a, const struct lamb_http_request *req, const char *arn)
{
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "type", "TOKEN");
	const char *token = lamb_http_request_header(req, a->sources[0].name);
	cJSON_AddStringToObject(ev, "authorizationToken", token ? token : "");
	cJSON_AddStringToObject(ev, "methodArn", arn);
	char *s = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	return s;
}

/* REQUEST: the proxy event of the authorizer's payload format, without the
 * body, plus type, the ARN and the identity source values. */
static char *request_event(const struct lamb_model *m, const struct lamb_authorizer *a,
			   const struct lamb_route_match *match, const struct lamb_http_request *req,
			   const char *request_id, const char *arn)
{
	struct lamb_route r = *match->route;
	r.payload_format = a->payload_format;
	struct lamb_route_match mm = *match;
	mm.route = &r;
	char *text = lamb_apigw_event(m, &mm, req, request_id);
	cJSON *ev = cJSON_Parse(text);
	free(text);
	if (!ev)
		return NULL;
	bool v2 = strcmp(a->payload_format, "2.0") == 0;
	cJSON_DeleteItemFromObjectCaseSensitive(ev, "body");
	cJSON_DeleteItemFromObjectCaseSensitive(ev, "isBase64Encoded");
	cJSON_AddStringToObject(ev, "type", "REQUEST");
	cJSON_AddStringToObject(ev, v2 ? "routeArn" : "methodArn", arn);
	if (a->api->kind == LAMB_API_HTTP) {
		cJSON *ids = cJSON_CreateArray();
		struct lamb_buf joined;
		lamb_buf_init(&joined);
		for (size_t i = 0; i < a->nsources; i++) {
			char *v = source_value(a, &a->sources[i], req);
			if (v) {
				cJSON_AddItemToArray(ids, cJSON_CreateString(v));
				lamb_buf_addf(&joined, "%s%s", joined.len ? "," : "", v);
			}
			free(v);
		}
		if (v2) {
			cJSON_AddItemToObject(ev, "identitySource", ids);
		} else {
			/* 1.0 gives the values joined, twice over, as API Gateway does */
			cJSON_Delete(ids);
			cJSON_AddStringToObject(ev, "identitySource", joined.data ? joined.data : "");
			cJSON_AddStringToObject(ev, "authorizationToken", joined.data ? joined.data : "");
		}
		lamb_buf_release(&joined);
	}
	char *s = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	return s;
}

char *lamb_auth_event(const struct lamb_model *m, const struct lamb_authorizer *a,
		      const struct lamb_route_match *match, const struct lamb_http_request *req,
		      const char *request_id)
{
	char *arn = lamb_auth_method_arn(m, match->route, req);
	char *ev = a->token ? token_event(a, req, arn) : request_event(m, a, match, req, request_id, arn);
	free(arn);
	return ev;
}

/* --- the answer --- */

/* IAM's wildcards: '*' any run of characters, '?' one. */
static bool glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == '?' || *pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

/* A string or a list of strings of which one matches. */
static bool any_matches(const cJSON *v, const char *s, bool actions)
{
	if (!v)
		return actions; /* a statement without Action: read as every action */
	if (cJSON_IsString(v)) {
		if (actions)
			return strcasecmp(v->valuestring, "*") == 0 || strcasecmp(v->valuestring, "execute-api:*") == 0 ||
			       strcasecmp(v->valuestring, "execute-api:Invoke") == 0;
		return glob_match(v->valuestring, s);
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, v)
		if (cJSON_IsString(it) && any_matches(it, s, actions))
			return true;
	return false;
}

enum verdict { V_ALLOW, V_IMPLICIT_DENY, V_EXPLICIT_DENY, V_INVALID };

/* One statement: V_ALLOW or V_EXPLICIT_DENY when it covers arn. */
static enum verdict statement(const cJSON *st, const char *arn)
{
	const cJSON *effect = cJSON_GetObjectItemCaseSensitive(st, "Effect");
	if (!cJSON_IsString(effect))
		return V_INVALID;
	if (!any_matches(cJSON_GetObjectItemCaseSensitive(st, "Action"), NULL, true) ||
	    !any_matches(cJSON_GetObjectItemCaseSensitive(st, "Resource"), arn, false))
		return V_IMPLICIT_DENY;
	if (strcasecmp(effect->valuestring, "Deny") == 0)
		return V_EXPLICIT_DENY;
	return strcasecmp(effect->valuestring, "Allow") == 0 ? V_ALLOW : V_IMPLICIT_DENY;
}

/* A deny anywhere wins over any allow, as in IAM. */
static enum verdict evaluate(const cJSON *policy, const char *arn)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(policy, "Statement");
	if (!cJSON_IsObject(policy) || !(cJSON_IsArray(st) || cJSON_IsObject(st)))
		return V_INVALID;
	if (cJSON_IsObject(st))
		return statement(st, arn);
	enum verdict best = V_IMPLICIT_DENY;
	const cJSON *it;
	cJSON_ArrayForEach(it, st) {
		enum verdict v = statement(it, arn);
		if (v == V_EXPLICIT_DENY || v == V_INVALID)
			return v;
		if (v == V_ALLOW)
			best = V_ALLOW;
	}
	return best;
}

void lamb_auth_reject(const struct lamb_authorizer *a, int status, struct lamb_http_response *out)
{
	bool rest = a->api->kind == LAMB_API_REST;
	if (status == 401) {
		lamb_http_response_message(out, 401, "Unauthorized");
		if (rest)
			lamb_http_response_add_header(out, "x-amzn-ErrorType", "UnauthorizedException");
	} else if (status == 403 && rest) {
		lamb_http_response_message(out, 403, "User is not authorized to access this resource with an explicit deny");
		lamb_http_response_add_header(out, "x-amzn-ErrorType", "AccessDeniedException");
	} else if (status == 4030 && rest) { /* implicit deny */
		lamb_http_response_message(out, 403, "User is not authorized to access this resource");
		lamb_http_response_add_header(out, "x-amzn-ErrorType", "AccessDeniedException");
	} else if (status == 403 || status == 4030) {
		lamb_http_response_message(out, 403, "Forbidden");
	} else if (rest) {
		/* AUTHORIZER_CONFIGURATION_ERROR: the message is null */
		lamb_http_response_message(out, 500, "");
		free(out->body);
		out->body = xstrdup("{\"message\":null}");
		out->body_len = strlen(out->body);
		lamb_http_response_add_header(out, "x-amzn-ErrorType", "AuthorizerConfigurationException");
	} else {
		lamb_http_response_message(out, 500, "Internal Server Error");
	}
}

/* requestContext.authorizer of a REST API: principalId, the context with
 * its values as strings, integrationLatency. NULL when context is invalid. */
static cJSON *rest_authorizer(const cJSON *answer, double latency_ms)
{
	const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(answer, "context");
	const cJSON *principal = cJSON_GetObjectItemCaseSensitive(answer, "principalId");
	if ((ctx && !cJSON_IsObject(ctx) && !cJSON_IsNull(ctx)) || !cJSON_IsString(principal))
		return NULL;
	cJSON *out = cJSON_CreateObject();
	const cJSON *fields = cJSON_IsObject(ctx) ? ctx : NULL, *it;
	cJSON_ArrayForEach(it, fields) {
		char buf[64];
		if (cJSON_IsString(it)) {
			cJSON_AddStringToObject(out, it->string, it->valuestring);
		} else if (cJSON_IsBool(it)) {
			cJSON_AddStringToObject(out, it->string, cJSON_IsTrue(it) ? "true" : "false");
		} else if (cJSON_IsNumber(it)) {
			char *n = cJSON_PrintUnformatted(it);
			snprintf(buf, sizeof(buf), "%s", n);
			free(n);
			cJSON_AddStringToObject(out, it->string, buf);
		} else {
			cJSON_Delete(out); /* objects and arrays: AuthorizerConfigurationException */
			return NULL;
		}
	}
	cJSON_AddStringToObject(out, "principalId", principal->valuestring);
	cJSON_AddNumberToObject(out, "integrationLatency", (double)(long)latency_ms);
	return out;
}

/* requestContext.authorizer of an HTTP API: the context under "lambda". */
static cJSON *http_authorizer(const cJSON *answer)
{
	const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(answer, "context");
	if (ctx && !cJSON_IsObject(ctx) && !cJSON_IsNull(ctx))
		return NULL;
	cJSON *out = cJSON_CreateObject();
	cJSON_AddItemToObject(out, "lambda", cJSON_IsObject(ctx) ? cJSON_Duplicate(ctx, true) : cJSON_CreateObject());
	return out;
}

static bool raised_unauthorized(const char *body, size_t len)
{
	cJSON *e = cJSON_ParseWithLength(body, len);
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "errorMessage");
	bool r = cJSON_IsString(msg) && strcmp(msg->valuestring, "Unauthorized") == 0;
	cJSON_Delete(e);
	return r;
}

bool lamb_auth_decide(const struct lamb_authorizer *a, const char *method_arn, const char *body,
		      size_t len, bool function_error, double latency_ms, char **authorizer,
		      struct lamb_http_response *out, char *why, size_t whylen)
{
	char dummy[8];
	if (!why)
		why = dummy, whylen = sizeof(dummy);
	*authorizer = NULL;
	if (function_error) {
		bool unauthorized = raised_unauthorized(body, len);
		snprintf(why, whylen, "authorizer %s raised %s", a->name, unauthorized ? "Unauthorized" : "an error");
		lamb_auth_reject(a, unauthorized ? 401 : 500, out);
		return false;
	}
	cJSON *answer = cJSON_ParseWithLength(body, len);
	cJSON *ctx = NULL;
	int status = 500;
	snprintf(why, whylen, "authorizer %s returned an invalid answer", a->name);
	if (!cJSON_IsObject(answer)) {
		/* 500 */
	} else if (a->simple_responses) {
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(answer, "isAuthorized");
		if (cJSON_IsBool(ok) && !cJSON_IsTrue(ok))
			status = 403, snprintf(why, whylen, "authorizer %s said isAuthorized: false", a->name);
		else if (cJSON_IsTrue(ok) && (ctx = http_authorizer(answer)))
			status = 200;
	} else {
		enum verdict v = evaluate(cJSON_GetObjectItemCaseSensitive(answer, "policyDocument"), method_arn);
		if (v == V_EXPLICIT_DENY)
			status = 403, snprintf(why, whylen, "authorizer %s denied %s", a->name, method_arn);
		else if (v == V_IMPLICIT_DENY)
			status = 4030, snprintf(why, whylen, "authorizer %s allowed nothing matching %s", a->name, method_arn);
		else if (v == V_ALLOW &&
			 (ctx = a->api->kind == LAMB_API_REST ? rest_authorizer(answer, latency_ms) : http_authorizer(answer)))
			status = 200;
	}
	cJSON_Delete(answer);
	if (status != 200) {
		lamb_auth_reject(a, status, out);
		return false;
	}
	*authorizer = cJSON_PrintUnformatted(ctx);
	cJSON_Delete(ctx);
	return true;
}
