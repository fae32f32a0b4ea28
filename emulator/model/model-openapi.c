/* Routes from an API's OpenAPI (or Swagger 2) definition: DefinitionBody,
 * resolved like every property, or a local DefinitionUri file, read as it
 * is (SAM resolves no intrinsics there without AWS::Include, so its uris
 * hold literal ARNs). Each operation whose x-amazon-apigateway-integration
 * is an aws_proxy integration with a uri naming a function of the template
 * becomes a route; other integrations (mock, http, non-proxy aws) are not
 * served, with a warning. Lambda authorizers among the security schemes
 * (x-amazon-apigateway-authorizer) join the API's authorizers, and an
 * operation's security (or the definition's) picks one. basePath is
 * prepended only when the API says so (api->base_path, set by
 * model-cfnapi.c from the import mode), as API Gateway ignores it by
 * default. Request validators and models are not read. */
#include "base/util.h"
#include "model/model-build.h"
#include "template/template.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#define INTEGRATION "x-amazon-apigateway-integration"
#define ANY_METHOD "x-amazon-apigateway-any-method"
#define AUTHORIZER "x-amazon-apigateway-authorizer"

static const char *const methods[] = { "get", "put", "post", "delete", "patch", "head", "options", ANY_METHOD };

static const struct lamb_node *definition_file(struct builder *b, const struct lamb_node *uri, const char *key,
					      const char *api_id)
{
	const char *s = lamb_node_str(uri);
	if (!s) {
		if (!uri->unknown)
			lamb_warning(b->diags, &uri->mark, "API '%s': %s in S3 is not read; lamb does not serve "
				     "the routes it defines", api_id, key);
		return NULL;
	}
	if (str_starts(s, "s3://")) {
		lamb_warning(b->diags, &uri->mark, "API '%s': %s '%s' is in S3; lamb does not serve the "
			     "routes it defines", api_id, key, s);
		return NULL;
	}
	const char *path = model_path(b, s);
	size_t len;
	cleanup_free char *text = lamb_read_file(path, &len);
	if (!text) {
		lamb_error(b->diags, &uri->mark, "API '%s': cannot read %s '%s': %s", api_id, key, s,
			   strerror(errno));
		return NULL;
	}
	return lamb_template_parse(b->a, path, text, len, b->diags);
}

const struct lamb_node *openapi_read(struct builder *b, const struct lamb_node *body, const struct lamb_node *uri,
				     const char *uri_key, const char *api_id)
{
	const struct lamb_node *def = body ? body : uri ? definition_file(b, uri, uri_key, api_id) : NULL;
	if (def && def->kind != LAMB_MAP) {
		if (!def->unknown)
			lamb_error(b->diags, &def->mark, "API '%s': the OpenAPI definition must be a mapping", api_id);
		return NULL;
	}
	return def;
}

const struct lamb_node *openapi_definition(struct builder *b, const struct lamb_node *props, const char *api_id)
{
	return openapi_read(b, lamb_node_get(props, "DefinitionBody"), lamb_node_get(props, "DefinitionUri"),
			    "DefinitionUri", api_id);
}

static bool is_method(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (strcasecmp(key, methods[i]) == 0)
			return true;
	return false;
}

static const struct lamb_node *paths_of(const struct lamb_api *api)
{
	const struct lamb_node *p = api->definition ? lamb_node_get(api->definition, "paths") : NULL;
	return p && p->kind == LAMB_MAP ? p : NULL;
}

size_t openapi_count(const struct lamb_api *api)
{
	const struct lamb_node *paths = paths_of(api);
	size_t n = 0;
	for (size_t i = 0; paths && i < paths->len; i++) {
		const struct lamb_node *item = paths->pairs[i].value;
		for (size_t j = 0; item && item->kind == LAMB_MAP && j < item->len; j++)
			n += is_method(item->pairs[j].key->str);
	}
	return n;
}

/* The function in ".../functions/<ARN>/invocations", or a bare ARN: by
 * the whole ARN, else by the name after ":function:" (a qualifier such
 * as ":live" or ":$LATEST" ignored). */
const struct lamb_function *uri_function(const struct lamb_model *m, const char *uri)
{
	for (size_t i = 0; i < m->nfunctions; i++) {
		const char *p = m->functions[i].arn ? strstr(uri, m->functions[i].arn) : NULL;
		if (p && strchr("/:", p[strlen(m->functions[i].arn)]))
			return &m->functions[i];
	}
	const char *name = strstr(uri, ":function:");
	size_t n;
	if (name) {
		name += strlen(":function:");
		n = strcspn(name, ":/");
	} else if ((name = strstr(uri, "/functions/"))) {
		/* ".../functions/Fn.Arn/invocations": a definition file's
		 * ${Fn.Arn} left unresolved, Fn a function's name or logical id,
		 * as SAM CLI reads it */
		name += strlen("/functions/");
		n = strcspn(name, ":/");
		if (n < 5 || strncmp(name + n - 4, ".Arn", 4) != 0)
			return NULL;
		n -= 4;
	} else {
		return NULL;
	}
	for (size_t i = 0; i < m->nfunctions; i++) {
		const struct lamb_function *f = &m->functions[i];
		if ((strlen(f->name) == n && strncmp(f->name, name, n) == 0) ||
		    (strlen(f->logical_id) == n && strncmp(f->logical_id, name, n) == 0))
			return f;
	}
	return NULL;
}

/* The function an operation's integration invokes; NULL after a warning. */
static const struct lamb_function *integration_function(struct builder *b, const struct lamb_node *op,
							const char *method, const char *path)
{
	const struct lamb_node *in = lamb_node_get(op, INTEGRATION);
	const char *type = lamb_node_str(lamb_node_get(in, "type"));
	const struct lamb_node *un = lamb_node_get(in, "uri");
	/* A definition file is not resolved (API Gateway imports it as it is);
	 * SAM CLI's local commands read an Fn::Sub uri in one all the same. */
	if (un && un->kind == LAMB_MAP && b->r.lenient)
		un = lamb_resolve(&b->r, un);
	const char *uri = lamb_node_str(un);
	const struct lamb_mark *at = in ? &in->mark : &op->mark;
	if (!in || (in->unknown))
		return NULL;
	if (!type || strcasecmp(type, "aws_proxy") != 0) {
		lamb_warning(b->diags, at, "%s %s: integration type '%s' is not served by lamb (only aws_proxy "
			     "to a function of the template)", method, path, type ? type : "?");
		return NULL;
	}
	const struct lamb_function *f = uri ? uri_function(b->m, uri) : NULL;
	if (!f)
		lamb_warning(b->diags, at, "%s %s: the integration's uri '%s' names no function of this template; "
			     "lamb does not serve the route", method, path, uri ? uri : "?");
	return f;
}

static const char *payload_format(struct builder *b, const struct lamb_api *api, const struct lamb_node *op)
{
	const struct lamb_node *n = lamb_node_get(lamb_node_get(op, INTEGRATION), "payloadFormatVersion");
	const char *pf = lamb_node_str(n);
	if (api->kind == LAMB_API_REST || !pf)
		return "1.0"; /* API Gateway's default when the definition names none */
	if (strcmp(pf, "1.0") != 0 && strcmp(pf, "2.0") != 0) {
		lamb_error(b->diags, &n->mark, "payloadFormatVersion must be \"1.0\" or \"2.0\"");
		return "1.0";
	}
	return pf;
}

/* base (as "/v1", no trailing slash) before path; "/" alone is base. */
static const char *prefixed(struct builder *b, const char *base, const char *path)
{
	size_t bl = strlen(base), pl = strcmp(path, "/") == 0 ? 0 : strlen(path);
	char *s = lamb_arena_alloc(b->a, bl + pl + 1);
	memcpy(s, base, bl);
	memcpy(s + bl, path, pl);
	return s;
}

/* The authorizer an operation's security names (the definition's when it
 * has none): the first requirement's scheme, when it is one of the API's
 * authorizers; "NONE" for an empty list; else NULL (the API's default). */
static const char *security_auth(const struct lamb_api *api, const struct lamb_node *op)
{
	const struct lamb_node *sec = lamb_node_get(op, "security");
	if (!sec)
		sec = lamb_node_get(api->definition, "security");
	if (!sec || sec->kind != LAMB_SEQ)
		return NULL;
	if (sec->len == 0)
		return "NONE";
	const struct lamb_node *req = sec->items[0];
	if (req->kind != LAMB_MAP || req->len == 0)
		return NULL;
	const char *name = req->pairs[0].key->str;
	for (size_t i = 0; i < api->nauthorizers; i++)
		if (strcmp(api->authorizers[i].name, name) == 0)
			return name;
	return NULL;
}

static void add_operation(struct builder *b, struct lamb_api *api, const char *path, const struct lamb_pair *op)
{
	const char *key = op->key->str;
	bool any = strcasecmp(key, ANY_METHOD) == 0;
	char *method = lamb_arena_strdup(b->a, any ? "ANY" : key);
	for (char *p = method; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	const struct lamb_function *f = integration_function(b, op->value, method, path);
	if (!f)
		return;
	struct lamb_route *r = &b->m->routes[b->m->nroutes++];
	r->is_default = strcmp(path, "$default") == 0;
	r->method = r->is_default ? "ANY" : method;
	r->path = r->is_default || !api->base_path ? path : prefixed(b, api->base_path, path);
	r->function = f;
	r->api = api;
	r->payload_format = payload_format(b, api, op->value);
	r->auth_name = security_auth(api, op->value);
	/* API Gateway imports a REST API's operationId as the method's
	 * operationName; an HTTP API keeps none (SAM CLI's tests check both) */
	const char *id = lamb_node_str(lamb_node_get(op->value, "operationId"));
	r->operation_name = api->kind == LAMB_API_REST && id && *id ? id : NULL;
	/* an HTTP API cannot set X-Amz-Tenant-Id: only a REST API's mapping counts */
	if (api->kind == LAMB_API_REST)
		r->tenant_from = model_tenant_source(lamb_node_get(lamb_node_get(op->value, INTEGRATION),
								   "requestParameters"));
}

void openapi_routes(struct builder *b, struct lamb_api *api)
{
	const struct lamb_node *paths = paths_of(api);
	for (size_t i = 0; paths && i < paths->len; i++) {
		const char *path = paths->pairs[i].key->str;
		const struct lamb_node *item = paths->pairs[i].value;
		if (path[0] != '/' && !(api->kind == LAMB_API_HTTP && strcmp(path, "$default") == 0)) {
			lamb_error(b->diags, &paths->pairs[i].key->mark, "API '%s': path '%s' must start with '/'",
				   api->logical_id, path);
			continue;
		}
		for (size_t j = 0; item && item->kind == LAMB_MAP && j < item->len; j++)
			if (is_method(item->pairs[j].key->str))
				add_operation(b, api, path, &item->pairs[j]);
	}
}

/* securitySchemes (OpenAPI 3) or securityDefinitions (Swagger 2). */
static const struct lamb_node *schemes_of(const struct lamb_node *def)
{
	const struct lamb_node *s = lamb_node_get(lamb_node_get(def, "components"), "securitySchemes");
	if (!s)
		s = lamb_node_get(def, "securityDefinitions");
	return s && s->kind == LAMB_MAP ? s : NULL;
}

void openapi_authorizers(struct builder *b, struct lamb_api *api)
{
	const struct lamb_node *schemes = schemes_of(api->definition);
	size_t n = 0;
	for (size_t i = 0; schemes && i < schemes->len; i++)
		n += lamb_node_get(schemes->pairs[i].value, AUTHORIZER) != NULL;
	if (!n)
		return;
	struct lamb_api_authorizer *all = lamb_arena_alloc(b->a, (api->nauthorizers + n) * sizeof(*all));
	if (api->nauthorizers)
		memcpy(all, api->authorizers, api->nauthorizers * sizeof(*all));
	api->authorizers = all;
	for (size_t i = 0; i < schemes->len; i++)
		if (lamb_node_get(schemes->pairs[i].value, AUTHORIZER))
			cfnauth_openapi(b, api, schemes->pairs[i].key->str, schemes->pairs[i].value,
					&api->authorizers[api->nauthorizers++]);
}
