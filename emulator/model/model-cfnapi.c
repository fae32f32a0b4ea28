/* APIs written as plain CloudFormation, read into the same lamb_api and
 * lamb_route as SAM's so that start-api serves them with no code of its
 * own: AWS::ApiGateway::RestApi (a Body, a local BodyS3Location, or a tree
 * of AWS::ApiGateway::Resource and Method), AWS::ApiGatewayV2::Api (a Body,
 * Route and Integration resources, or quick-create Target and RouteKey),
 * their Stage or Deployment (the stage name and variables), and their
 * Lambda authorizers (model-cfnauth.c). A resource of these that lamb
 * cannot serve (another integration type, a WebSocket API, a dangling id)
 * is warned about and left out. */
#include "base/util.h"
#include "model/model-build.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define REST_API "AWS::ApiGateway::RestApi"
#define HTTP_API "AWS::ApiGatewayV2::Api"
#define REST_RESOURCE "AWS::ApiGateway::Resource"
#define REST_METHOD "AWS::ApiGateway::Method"
#define HTTP_ROUTE "AWS::ApiGatewayV2::Route"
#define HTTP_INTEGRATION "AWS::ApiGatewayV2::Integration"
#define MAX_DEPTH 64 /* Resource parents followed before calling the chain circular */

static const struct {
	const char *type, *note;
} notes[] = {
	{ REST_API, "served by lamb local start-api" },
	{ HTTP_API, "served by lamb local start-api" },
	{ REST_RESOURCE, "a path of its RestApi, served by lamb local start-api" },
	{ REST_METHOD, "a route of its RestApi, served by lamb local start-api" },
	{ HTTP_ROUTE, "a route of its Api, served by lamb local start-api" },
	{ HTTP_INTEGRATION, "the function of its Api's routes" },
	{ "AWS::ApiGateway::Authorizer", "run by lamb local start-api (Lambda authorizers)" },
	{ "AWS::ApiGatewayV2::Authorizer", "run by lamb local start-api (Lambda authorizers)" },
	{ "AWS::ApiGateway::Stage", "its StageName and Variables reach the events" },
	{ "AWS::ApiGatewayV2::Stage", "its StageName and StageVariables reach the events" },
	{ "AWS::ApiGateway::Deployment", "its StageName reaches the events when no Stage names one" },
	{ "AWS::ApiGatewayV2::Deployment", "its StageName reaches the events when no Stage names one" },
};

const char *cfnapi_note(const char *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(notes); i++)
		if (strcmp(notes[i].type, type) == 0)
			return notes[i].note;
	return NULL;
}

static bool is_type(const struct builder *b, size_t i, const char *type)
{
	return strcmp(b->r.resources[i].type, type) == 0;
}

const struct lamb_node *cfnapi_props(struct builder *b, size_t i)
{
	if (!b->cfn_props)
		b->cfn_props = lamb_arena_alloc(b->a, b->r.nresources * sizeof(*b->cfn_props));
	if (!b->cfn_props[i])
		b->cfn_props[i] = resolved_props(b, &b->r.resources[i], NULL);
	return b->cfn_props[i];
}

/* A resource named by a property: a !Ref (the resolver marks it) or its
 * logical id written as a string; "Api.RootResourceId" gives "Api". */
static const char *id_of(struct builder *b, const struct lamb_node *props, const char *key)
{
	const struct lamb_node *v = lamb_node_get(props, key);
	if (!v || v->unknown)
		return NULL;
	if (v->ref)
		return v->ref;
	const char *s = lamb_node_str(v);
	const char *dot = s ? strchr(s, '.') : NULL;
	return dot ? lamb_arena_strndup(b->a, s, (size_t)(dot - s)) : s;
}

/* The index of the live resource id of type, or -1. */
static long resource_index(const struct builder *b, const char *id, const char *type)
{
	const struct lamb_res_entry *e = id ? lamb_resolve_resource(&b->r, id) : NULL;
	if (!e)
		return -1;
	size_t i = (size_t)(e - b->r.resources);
	return b->skip[i] || (type && strcmp(e->type, type) != 0) ? -1 : (long)i;
}

static struct lamb_api *cfn_api(struct lamb_model *m, const char *id, enum lamb_api_kind kind)
{
	for (size_t i = 0; id && i < m->napis; i++)
		if (m->apis[i].kind == kind && !m->apis[i].implicit && strcmp(m->apis[i].logical_id, id) == 0)
			return &m->apis[i];
	return NULL;
}

size_t cfnapi_count(const struct builder *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->r.nresources; i++)
		n += is_type(b, i, REST_API) || is_type(b, i, HTTP_API);
	return n;
}

size_t cfnapi_route_count(const struct builder *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->r.nresources; i++)
		n += is_type(b, i, REST_METHOD) || is_type(b, i, HTTP_ROUTE) || is_type(b, i, HTTP_API);
	return n;
}

/* ---- APIs ---- */

/* The first Stage of the API, else a Deployment's StageName; API Gateway
 * serves each stage at its own URL, lamb one at the root. */
static void read_stage(struct builder *b, struct lamb_api *api)
{
	bool rest = api->kind == LAMB_API_REST;
	const char *key = rest ? "RestApiId" : "ApiId";
	const char *stage = rest ? "AWS::ApiGateway::Stage" : "AWS::ApiGatewayV2::Stage";
	const char *deployment = rest ? "AWS::ApiGateway::Deployment" : "AWS::ApiGatewayV2::Deployment";
	api->stage = rest ? "Prod" : "$default";
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < b->r.nresources; i++) {
			if (b->skip[i] || !is_type(b, i, pass == 0 ? stage : deployment))
				continue;
			const struct lamb_node *props = cfnapi_props(b, i);
			const char *name = prop_text(b, props, "StageName");
			const char *api_id = id_of(b, props, key);
			if (!api_id || strcmp(api_id, api->logical_id) != 0 || !name || !*name)
				continue;
			api->stage = name;
			if (pass == 0)
				api->stage_variables = prop_kvs(b, props, rest ? "Variables" : "StageVariables");
			return;
		}
	}
}

/* AWS::ApiGateway::Authorizer / AWS::ApiGatewayV2::Authorizer resources of
 * this API. */
static void read_authorizers(struct builder *b, struct lamb_api *api)
{
	bool rest = api->kind == LAMB_API_REST;
	const char *type = rest ? "AWS::ApiGateway::Authorizer" : "AWS::ApiGatewayV2::Authorizer";
	size_t n = 0;
	for (size_t i = 0; i < b->r.nresources; i++)
		n += is_type(b, i, type) && !b->skip[i];
	if (!n)
		return;
	api->authorizers = lamb_arena_alloc(b->a, n * sizeof(*api->authorizers));
	for (size_t i = 0; i < b->r.nresources; i++) {
		if (!is_type(b, i, type) || b->skip[i])
			continue;
		const struct lamb_node *props = cfnapi_props(b, i);
		const char *api_id = id_of(b, props, rest ? "RestApiId" : "ApiId");
		if (api_id && strcmp(api_id, api->logical_id) == 0)
			cfnauth_resource(b, api, b->r.resources[i].id, props, &api->authorizers[api->nauthorizers++]);
	}
}

/* basePath as API Gateway imports it: ignored unless the import mode
 * (RestApi Parameters.basepath, Api BasePath) is prepend (the whole of it)
 * or split (all but its first segment). Swagger's basePath, or OpenAPI 3's
 * servers[0].variables.basePath.default. */
static void read_base_path(struct builder *b, struct lamb_api *api, const struct lamb_node *props)
{
	const char *mode = api->kind == LAMB_API_REST ?
		lamb_node_str(lamb_node_get(lamb_node_get(props, "Parameters"), "basepath")) :
		prop_text(b, props, "BasePath");
	const struct lamb_node *servers = lamb_node_get(api->definition, "servers");
	const char *base = lamb_node_str(lamb_node_get(api->definition, "basePath"));
	if (!base && servers && servers->kind == LAMB_SEQ && servers->len)
		base = lamb_node_str(lamb_node_get(lamb_node_get(lamb_node_get(servers->items[0], "variables"),
								 "basePath"), "default"));
	if (!mode || !base || (strcasecmp(mode, "prepend") != 0 && strcasecmp(mode, "split") != 0))
		return;
	while (*base == '/')
		base++;
	if (strcasecmp(mode, "split") == 0)
		base += strcspn(base, "/");
	while (*base == '/')
		base++;
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	if (!n)
		return;
	char *p = lamb_arena_alloc(b->a, n + 2);
	p[0] = '/';
	memcpy(p + 1, base, n);
	api->base_path = p;
}

/* x-amazon-apigateway-binary-media-types of a Body, when the resource
 * itself lists none. */
static void body_media_types(struct builder *b, struct lamb_api *api)
{
	const struct lamb_node *v = lamb_node_get(api->definition, "x-amazon-apigateway-binary-media-types");
	if (api->binary_media_types.len || !v || v->kind != LAMB_SEQ)
		return;
	struct lamb_node props = { .kind = LAMB_MAP, .len = 1,
				   .pairs = &(struct lamb_pair){ lamb_node_scalar(b->a, "BinaryMediaTypes", &v->mark),
								 (struct lamb_node *)v } };
	api->binary_media_types = api_media_types(b, &props);
}

static void read_cfn_api(struct builder *b, size_t i, struct lamb_api *api)
{
	const struct lamb_res_entry *e = &b->r.resources[i];
	const struct lamb_node *props = cfnapi_props(b, i);
	api->logical_id = e->id;
	api->kind = is_type(b, i, REST_API) ? LAMB_API_REST : LAMB_API_HTTP;
	api->cloudformation = true;
	api->mark = lamb_node_get(e->node, "Type")->mark;
	read_stage(b, api);
	if (api->kind == LAMB_API_REST)
		api->binary_media_types = api_media_types(b, props);
	else
		api_cors(b, api, props);
	/* CDK's SpecRestApi from an asset: aws:asset:path names the definition
	 * file in place of BodyS3Location, as SAM CLI's metadata normalizer
	 * puts it there */
	const struct lamb_node *meta = lamb_resolve(&b->r, lamb_node_get(e->node, "Metadata"));
	bool asset = str_eq(prop_str(b, meta, "aws:asset:property"), "BodyS3Location") &&
		     prop_str(b, meta, "aws:asset:path");
	if (asset)
		api->definition = openapi_read(b, NULL, lamb_node_get(meta, "aws:asset:path"), "aws:asset:path", e->id);
	else
		api->definition = openapi_read(b, lamb_node_get(props, "Body"), lamb_node_get(props, "BodyS3Location"),
					       "BodyS3Location", e->id);
	read_base_path(b, api, props);
	body_media_types(b, api);
	if (api->kind == LAMB_API_HTTP)
		api_cors_openapi(b, api, lamb_node_get(api->definition, "x-amazon-apigateway-cors"));
	read_authorizers(b, api);
	openapi_authorizers(b, api);
}

void cfnapi_apis(struct builder *b)
{
	for (size_t i = 0; i < b->r.nresources; i++) {
		if (b->skip[i] || !(is_type(b, i, REST_API) || is_type(b, i, HTTP_API)))
			continue;
		const char *proto = is_type(b, i, HTTP_API) ? prop_text(b, cfnapi_props(b, i), "ProtocolType") : NULL;
		if (proto && *proto && strcasecmp(proto, "HTTP") != 0) {
			lamb_warning(b->diags, &lamb_node_get(b->r.resources[i].node, "Type")->mark,
				     "API '%s': ProtocolType %s is not served by lamb (HTTP APIs only)",
				     b->r.resources[i].id, proto);
			continue;
		}
		read_cfn_api(b, i, &b->m->apis[b->m->napis++]);
	}
}

/* ---- routes ---- */

static const char *upper(struct builder *b, const char *s, size_t n)
{
	char *u = lamb_arena_strndup(b->a, s, n);
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

static void add_route(struct builder *b, struct lamb_api *api, const char *method, const char *path,
		      const struct lamb_function *f, const char *payload_format, const char *auth_name)
{
	struct lamb_route *r = &b->m->routes[b->m->nroutes++];
	r->is_default = strcmp(path, "$default") == 0;
	r->method = r->is_default ? "ANY" : method;
	r->path = path;
	r->function = f;
	r->api = api;
	r->payload_format = payload_format;
	r->auth_name = auth_name;
}

/* The function an AWS_PROXY integration's uri names; NULL after a warning. */
static const struct lamb_function *proxy_function(struct builder *b, const struct lamb_node *in, const char *type_key,
						  const char *uri_key, const char *id, const struct lamb_mark *at)
{
	const char *type = prop_text(b, in, type_key);
	const struct lamb_node *uri = lamb_node_get(in, uri_key);
	if (type && *type && strcasecmp(type, "AWS_PROXY") != 0) {
		lamb_warning(b->diags, at, "'%s': integration type '%s' is not served by lamb (only AWS_PROXY to a "
			     "function of the template)", id, type);
		return NULL;
	}
	const char *s = lamb_node_str(uri);
	const struct lamb_function *f = s ? uri_function(b->m, s) : NULL;
	if (!f && !(uri && uri->unknown))
		lamb_warning(b->diags, at, "'%s': %s '%s' names no function of this template; lamb does not serve "
			     "the route", id, uri_key, s ? s : "?");
	return f;
}

/* The path of an AWS::ApiGateway::Resource, from its PathPart and its
 * parents'; "/" for the API's root (RootResourceId, or the API itself). */
static const char *resource_path(struct builder *b, const char *id, const char *method_id)
{
	const char *parts[MAX_DEPTH];
	size_t n = 0, len = 1;
	long i;
	while ((i = resource_index(b, id, REST_RESOURCE)) >= 0) {
		if (n == MAX_DEPTH) {
			lamb_error(b->diags, &b->r.resources[i].node->mark, "'%s': its ParentId chain is circular "
				   "or deeper than %d", method_id, MAX_DEPTH);
			return NULL;
		}
		const struct lamb_node *props = cfnapi_props(b, (size_t)i);
		const char *part = prop_text(b, props, "PathPart");
		parts[n++] = part ? part : "";
		len += strlen(parts[n - 1]) + 1;
		id = id_of(b, props, "ParentId");
	}
	char *path = lamb_arena_alloc(b->a, len + 1), *o = path;
	for (size_t k = n; k-- > 0;)
		o += sprintf(o, "/%s", parts[k]);
	if (o == path)
		*o++ = '/';
	*o = '\0';
	return path;
}

/* The RestApi a Method belongs to: its RestApiId, else its Resource's. */
static struct lamb_api *method_api(struct builder *b, const struct lamb_node *props)
{
	const char *api_id = id_of(b, props, "RestApiId");
	long r = resource_index(b, id_of(b, props, "ResourceId"), REST_RESOURCE);
	if (!api_id && r >= 0)
		api_id = id_of(b, cfnapi_props(b, (size_t)r), "RestApiId");
	return cfn_api(b->m, api_id, LAMB_API_REST);
}

/* The authorizer a Method or Route names: AWS_IAM as such, NONE, else its
 * AuthorizerId (CUSTOM, COGNITO_USER_POOLS, JWT). */
static const char *auth_of(struct builder *b, const struct lamb_node *props)
{
	const char *type = prop_text(b, props, "AuthorizationType");
	if (type && strcasecmp(type, "AWS_IAM") == 0)
		return "AWS_IAM";
	if (type && strcasecmp(type, "NONE") == 0)
		return "NONE";
	return id_of(b, props, "AuthorizerId");
}

/* An OPTIONS method with a MOCK integration setting CORS headers (as CDK
 * writes defaultCorsPreflightOptions): the API's CORS, which lamb answers
 * OPTIONS from, rather than a route. */
static bool cors_method(struct builder *b, struct lamb_api *api, const char *method, const struct lamb_node *in)
{
	const char *type = lamb_node_str(lamb_node_get(in, "Type"));
	const struct lamb_node *responses = lamb_node_get(in, "IntegrationResponses");
	if (strcasecmp(method, "OPTIONS") != 0 || !type || strcasecmp(type, "MOCK") != 0 || !responses ||
	    responses->kind != LAMB_SEQ)
		return false;
	bool found = false;
	for (size_t i = 0; i < responses->len; i++)
		found |= api_cors_mock(b, api, lamb_node_get(responses->items[i], "ResponseParameters"));
	return found;
}

static void method_route(struct builder *b, size_t i)
{
	const char *id = b->r.resources[i].id;
	const struct lamb_node *props = cfnapi_props(b, i);
	struct lamb_api *api = method_api(b, props);
	const char *method = prop_text(b, props, "HttpMethod");
	if (!api || !method || !*method) {
		lamb_warning(b->diags, &b->r.resources[i].node->mark, "'%s': %s names no AWS::ApiGateway::RestApi "
			     "of this template; lamb does not serve the route", id, api ? "HttpMethod" : "RestApiId");
		return;
	}
	const struct lamb_node *in = prop_kind(b, props, "Integration", LAMB_MAP);
	if (cors_method(b, api, method, in))
		return;
	const char *path = resource_path(b, id_of(b, props, "ResourceId"), id);
	const struct lamb_function *f = proxy_function(b, in, "Type", "Uri", id, &b->r.resources[i].node->mark);
	if (!path || !f)
		return;
	add_route(b, api, upper(b, method, strlen(method)), path, f, "1.0", auth_of(b, props));
	const char *op = prop_text(b, props, "OperationName");
	b->m->routes[b->m->nroutes - 1].operation_name = op && *op ? op : NULL;
	b->m->routes[b->m->nroutes - 1].tenant_from = model_tenant_source(lamb_node_get(in, "RequestParameters"));
}

/* "GET /path", "ANY /path" or "$default" into method and path. */
static bool route_key(struct builder *b, const char *key, const char **method, const char **path)
{
	if (strcmp(key, "$default") == 0) {
		*method = *path = "$default";
		return true;
	}
	size_t n = strcspn(key, " ");
	const char *p = key + n;
	while (*p == ' ')
		p++;
	if (!n || *p != '/')
		return false;
	*method = upper(b, key, n);
	*path = p;
	return true;
}

static const char *payload_of(struct builder *b, const struct lamb_node *props)
{
	const char *pf = prop_text(b, props, "PayloadFormatVersion");
	if (pf && *pf && strcmp(pf, "1.0") != 0 && strcmp(pf, "2.0") != 0)
		lamb_error(b->diags, &lamb_node_get(props, "PayloadFormatVersion")->mark,
			   "PayloadFormatVersion must be \"1.0\" or \"2.0\"");
	return pf && strcmp(pf, "1.0") == 0 ? "1.0" : "2.0";
}

/* The function behind a Route's Target "integrations/<Integration>", and
 * that integration's payload format; NULL after a warning. */
static const struct lamb_function *target_function(struct builder *b, const char *id, const char *target,
						   const struct lamb_mark *at, const char **payload_format)
{
	if (!target || !str_starts(target, "integrations/")) {
		lamb_warning(b->diags, at, "'%s': Target '%s' names no integration; lamb does not serve the route",
			     id, target ? target : "");
		return NULL;
	}
	const char *in_id = target + strlen("integrations/");
	long in = resource_index(b, in_id, HTTP_INTEGRATION);
	if (in < 0) {
		lamb_warning(b->diags, at, "'%s': Target names '%s', not an AWS::ApiGatewayV2::Integration of this "
			     "template; lamb does not serve the route", id, in_id);
		return NULL;
	}
	const struct lamb_node *props = cfnapi_props(b, (size_t)in);
	*payload_format = payload_of(b, props);
	return proxy_function(b, props, "IntegrationType", "IntegrationUri", in_id,
			      &b->r.resources[in].node->mark);
}

static void http_route(struct builder *b, size_t i)
{
	const char *id = b->r.resources[i].id;
	const struct lamb_node *props = cfnapi_props(b, i);
	struct lamb_api *api = cfn_api(b->m, id_of(b, props, "ApiId"), LAMB_API_HTTP);
	const char *key = prop_text(b, props, "RouteKey"), *method, *path, *pf = "2.0";
	const struct lamb_mark *at = &b->r.resources[i].node->mark;
	const struct lamb_function *f;
	if (!api)
		lamb_warning(b->diags, at, "'%s': ApiId names no HTTP AWS::ApiGatewayV2::Api of this template; "
			     "lamb does not serve the route", id);
	else if (!key || !route_key(b, key, &method, &path))
		lamb_error(b->diags, at, "'%s': RouteKey '%s' is neither \"METHOD /path\" nor \"$default\"", id,
			   key ? key : "");
	else if ((f = target_function(b, id, prop_text(b, props, "Target"), at, &pf)))
		add_route(b, api, method, path, f, pf, auth_of(b, props));
}

/* A quick-create HTTP API: Target is the function, RouteKey "$default"
 * unless given. */
static void quick_route(struct builder *b, size_t i)
{
	const char *id = b->r.resources[i].id;
	const struct lamb_node *props = cfnapi_props(b, i);
	struct lamb_api *api = cfn_api(b->m, id, LAMB_API_HTTP);
	if (!api || !lamb_node_get(props, "Target") || api->definition)
		return;
	const char *key = prop_text(b, props, "RouteKey"), *method, *path;
	if (!key || !*key)
		key = "$default";
	if (!route_key(b, key, &method, &path)) {
		lamb_error(b->diags, &lamb_node_get(props, "RouteKey")->mark, "'%s': RouteKey '%s' is neither "
			   "\"METHOD /path\" nor \"$default\"", id, key);
		return;
	}
	const struct lamb_function *f = proxy_function(b, props, "IntegrationType", "Target", id,
						       &b->r.resources[i].node->mark);
	if (f)
		add_route(b, api, method, path, f, "2.0", NULL);
}

void cfnapi_routes(struct builder *b)
{
	for (size_t i = 0; i < b->r.nresources; i++) {
		if (b->skip[i])
			continue;
		if (is_type(b, i, REST_METHOD))
			method_route(b, i);
		else if (is_type(b, i, HTTP_ROUTE))
			http_route(b, i);
		else if (is_type(b, i, HTTP_API))
			quick_route(b, i);
	}
}
