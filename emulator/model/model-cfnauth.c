/* Lambda authorizers written for API Gateway itself rather than in SAM's
 * Auth: AWS::ApiGateway::Authorizer, AWS::ApiGatewayV2::Authorizer and an
 * OpenAPI security scheme's x-amazon-apigateway-authorizer, read into the
 * same struct lamb_api_authorizer as model-auth.c fills, so that start-api
 * runs them the same way. Cognito and JWT authorizers keep no function
 * (routes they guard are served open, as for SAM's). */
#include "base/util.h"
#include "model/model-build.h"

#include <string.h>
#include <strings.h>

/* API Gateway's identity source spellings: REST (method.request...) and
 * HTTP API ($request...). */
static const struct {
	const char *prefix;
	enum lamb_auth_source_kind kind;
} source_prefixes[] = {
	{ "method.request.header.", LAMB_AUTH_HEADER }, { "method.request.querystring.", LAMB_AUTH_QUERY },
	{ "stageVariables.", LAMB_AUTH_STAGE_VAR },    { "context.", LAMB_AUTH_CONTEXT },
	{ "$request.header.", LAMB_AUTH_HEADER },      { "$request.querystring.", LAMB_AUTH_QUERY },
	{ "$stageVariables.", LAMB_AUTH_STAGE_VAR },   { "$context.", LAMB_AUTH_CONTEXT },
};

/* One source, s[0..n) trimmed; one lamb cannot read is warned about and left out. */
static void add_source(struct builder *b, struct lamb_api_authorizer *a, const char *s, size_t n,
		       const struct lamb_mark *mark)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(source_prefixes); i++) {
		size_t pl = strlen(source_prefixes[i].prefix);
		if (n > pl && strncmp(s, source_prefixes[i].prefix, pl) == 0) {
			a->sources[a->nsources++] = (struct lamb_auth_source){
				source_prefixes[i].kind, lamb_arena_strndup(b->a, s + pl, n - pl) };
			return;
		}
	}
	lamb_warning(b->diags, mark, "authorizer '%s': identity source '%.*s' is not one lamb reads "
		     "(a header, query string, stage variable or context variable); it is not checked",
		     a->name, (int)n, s);
}

/* IdentitySource: a comma-separated string (REST, OpenAPI) or a list (HTTP API). */
static void read_sources(struct builder *b, struct lamb_api_authorizer *a, const struct lamb_node *v)
{
	if (!v || v->unknown)
		return;
	size_t max = 1;
	const char *p;
	if (v->kind == LAMB_SCALAR)
		for (p = v->str; *p; p++)
			max += *p == ',';
	else if (v->kind == LAMB_SEQ)
		max = v->len + 1;
	a->sources = lamb_arena_alloc(b->a, max * sizeof(*a->sources));
	if (v->kind == LAMB_SCALAR) {
		for (p = v->str;; p++) {
			size_t n = strcspn(p, ",");
			add_source(b, a, p, n, &v->mark);
			p += n;
			if (!*p)
				break;
		}
	} else if (v->kind == LAMB_SEQ) {
		for (size_t i = 0; i < v->len; i++)
			if (lamb_node_str(v->items[i]))
				add_source(b, a, v->items[i]->str, strlen(v->items[i]->str), &v->items[i]->mark);
	} else {
		lamb_error(b->diags, &v->mark, "authorizer '%s': IdentitySource must be a string or a list",
			   a->name);
	}
}

/* The function an AuthorizerUri names; function_arn keeps the uri so that
 * a route names what it could not find. */
static void read_uri(struct builder *b, struct lamb_api_authorizer *a, const struct lamb_node *uri)
{
	const char *s = lamb_node_str(uri);
	if (!s)
		return;
	a->function_arn = s;
	a->function = uri_function(b->m, s);
	if (!a->function && !uri->unknown)
		lamb_warning(b->diags, &uri->mark, "authorizer '%s': '%s' names no function of this template; "
			     "routes it guards are served without authorization", a->name, s);
}

static void read_validation(struct builder *b, struct lamb_api_authorizer *a, const struct lamb_node *v)
{
	const char *expr = lamb_node_str(v);
	if (!expr || !*expr)
		return;
	a->validation_expression = expr;
	a->validation = auth_validation(b, &v->mark, expr);
}

/* "token", "request", or something lamb does not run (cognito_user_pools,
 * jwt): then the authorizer keeps no function. */
static bool lambda_type(struct lamb_api_authorizer *a, const char *type)
{
	a->token = type && strcasecmp(type, "TOKEN") == 0;
	return !type || a->token || strcasecmp(type, "REQUEST") == 0;
}

/* A TOKEN authorizer reads one header: Authorization when none is named. */
static void token_default(struct builder *b, struct lamb_api_authorizer *a, const char *header)
{
	if (!a->token || a->nsources)
		return;
	a->sources = lamb_arena_alloc(b->a, sizeof(*a->sources));
	a->sources[a->nsources++] = (struct lamb_auth_source){ LAMB_AUTH_HEADER, header ? header : "Authorization" };
}

void cfnauth_resource(struct builder *b, const struct lamb_api *api, const char *id,
		      const struct lamb_node *props, struct lamb_api_authorizer *a)
{
	bool http = api->kind == LAMB_API_HTTP;
	a->name = id;
	a->mark = props->mark;
	a->reauthorize_every = prop_long(b, props, "AuthorizerResultTtlInSeconds", -1, 0, 3600);
	a->payload_format = "1.0";
	if (!lambda_type(a, prop_text(b, props, http ? "AuthorizerType" : "Type")))
		return;
	read_uri(b, a, lamb_node_get(props, "AuthorizerUri"));
	read_sources(b, a, lamb_node_get(props, "IdentitySource"));
	token_default(b, a, NULL);
	if (a->token)
		read_validation(b, a, lamb_node_get(props, "IdentityValidationExpression"));
	if (http) {
		const char *pf = prop_text(b, props, "AuthorizerPayloadFormatVersion");
		a->payload_format = pf && strcmp(pf, "1.0") == 0 ? "1.0" : "2.0";
		a->simple_responses = prop_bool(b, props, "EnableSimpleResponses", false) &&
				      strcmp(a->payload_format, "2.0") == 0;
	}
}

void cfnauth_openapi(struct builder *b, const struct lamb_api *api, const char *name,
		     const struct lamb_node *scheme, struct lamb_api_authorizer *a)
{
	const struct lamb_node *x = lamb_node_get(scheme, "x-amazon-apigateway-authorizer");
	bool http = api->kind == LAMB_API_HTTP;
	a->name = name;
	a->mark = x->mark;
	a->reauthorize_every = -1;
	a->payload_format = "1.0";
	if (x->kind != LAMB_MAP) {
		if (!x->unknown)
			lamb_error(b->diags, &x->mark, "security scheme '%s': x-amazon-apigateway-authorizer must be "
				   "a mapping", name);
		return;
	}
	if (!lambda_type(a, prop_text(b, x, "type")))
		return;
	read_uri(b, a, lamb_node_get(x, "authorizerUri"));
	read_sources(b, a, lamb_node_get(x, "identitySource"));
	/* Swagger's apiKey scheme names the token's header when identitySource does not */
	const char *in = lamb_node_str(lamb_node_get(scheme, "in"));
	token_default(b, a, in && strcasecmp(in, "header") == 0 ? lamb_node_str(lamb_node_get(scheme, "name")) : NULL);
	if (a->token)
		read_validation(b, a, lamb_node_get(x, "identityValidationExpression"));
	if (http) {
		const char *pf = lamb_node_str(lamb_node_get(x, "authorizerPayloadFormatVersion"));
		a->payload_format = pf && strcmp(pf, "1.0") == 0 ? "1.0" : "2.0";
		a->simple_responses = prop_bool(b, x, "enableSimpleResponses", false) &&
				      strcmp(a->payload_format, "2.0") == 0;
	}
}
