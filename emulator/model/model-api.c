/* APIs and routes: explicit AWS::Serverless::Api / HttpApi resources, the
 * implicit ServerlessRestApi / ServerlessHttpApi that SAM creates for events
 * naming no API, and one route per Api or HttpApi event, then those of the
 * APIs' OpenAPI definitions (model-openapi.c). Each API's CORS and
 * authorizers are read here too (model-cors.c, model-auth.c). APIs written
 * as plain CloudFormation join them here (model-cfnapi.c). */
#include "base/util.h"
#include "model/model-build.h"

#include <ctype.h>
#include <string.h>

#define IMPLICIT_REST "ServerlessRestApi"
#define IMPLICIT_HTTP "ServerlessHttpApi"

static bool is_api_type(const char *type, enum lamb_api_kind *kind)
{
	if (strcmp(type, "AWS::Serverless::Api") == 0) {
		*kind = LAMB_API_REST;
		return true;
	}
	if (strcmp(type, "AWS::Serverless::HttpApi") == 0) {
		*kind = LAMB_API_HTTP;
		return true;
	}
	return false;
}

/* BinaryMediaTypes are written with '/' as "~1" (and '~' as "~0"). */
struct lamb_strs api_media_types(struct builder *b, const struct lamb_node *props)
{
	struct lamb_strs t = prop_strs(b, props, "BinaryMediaTypes");
	for (size_t i = 0; i < t.len; i++) {
		char *s = lamb_arena_strdup(b->a, t.v[i]);
		char *o = s;
		for (const char *p = t.v[i]; *p; p++) {
			if (p[0] == '~' && (p[1] == '1' || p[1] == '0')) {
				*o++ = p[1] == '1' ? '/' : '~';
				p++;
			} else {
				*o++ = *p;
			}
		}
		*o = '\0';
		t.v[i] = s;
	}
	return t;
}

static void read_api_props(struct builder *b, struct lamb_api *api, const struct lamb_node *props)
{
	if (api->kind == LAMB_API_REST) {
		api->stage_variables = prop_kvs(b, props, "Variables");
		api->binary_media_types = api_media_types(b, props);
	} else {
		api->stage_variables = prop_kvs(b, props, "StageVariables");
	}
	api_cors(b, api, props);
	api_auth(b, api, props);
}

static void read_api(struct builder *b, const struct lamb_res_entry *e, struct lamb_api *api)
{
	const struct lamb_node *props = resolved_props(b, e, api->kind == LAMB_API_REST ? "Api" : "HttpApi");
	api->logical_id = e->id;
	api->mark = lamb_node_get(e->node, "Type")->mark;
	api->stage = prop_str(b, props, "StageName");
	if (!api->stage && api->kind == LAMB_API_REST)
		lamb_error(b->diags, &api->mark, "AWS::Serverless::Api '%s' needs a StageName", e->id);
	if (!api->stage)
		api->stage = api->kind == LAMB_API_REST ? "Prod" : "$default";
	read_api_props(b, api, props);
	api->definition = openapi_definition(b, props, e->id);
	openapi_authorizers(b, api);
	if (api->kind == LAMB_API_HTTP)
		api_cors_openapi(b, api, lamb_node_get(api->definition, "x-amazon-apigateway-cors"));
}

/* The implicit API takes the Globals block of its kind, like SAM's. */
static void make_implicit(struct builder *b, struct lamb_api *api, enum lamb_api_kind kind)
{
	api->kind = kind;
	api->implicit = true;
	api->logical_id = kind == LAMB_API_REST ? IMPLICIT_REST : IMPLICIT_HTTP;
	api->stage = kind == LAMB_API_REST ? "Prod" : "$default";
	const struct lamb_node *g = lamb_node_get(b->globals, kind == LAMB_API_REST ? "Api" : "HttpApi");
	struct lamb_node *props = g ? lamb_resolve(&b->r, g) : NULL;
	if (props && props->kind == LAMB_MAP) {
		api->mark = props->mark;
		const char *stage = lamb_node_str(lamb_node_get(props, "StageName"));
		if (stage)
			api->stage = stage;
		read_api_props(b, api, props);
	}
}

static struct lamb_api *find_api(struct lamb_model *m, const char *id)
{
	for (size_t i = 0; id && i < m->napis; i++)
		if (strcmp(m->apis[i].logical_id, id) == 0)
			return &m->apis[i];
	return NULL;
}

/* RestApiId / ApiId: a !Ref (the resolver marks it) or a plain logical id. */
static struct lamb_api *event_api(struct builder *b, const struct lamb_event *ev, const char *key,
				  enum lamb_api_kind kind)
{
	const struct lamb_node *id = lamb_node_get(ev->properties, key);
	const char *implicit = kind == LAMB_API_REST ? IMPLICIT_REST : IMPLICIT_HTTP;
	if (!id)
		return find_api(b->m, implicit);
	const char *name = id->ref ? id->ref : lamb_node_str(id);
	struct lamb_api *api = find_api(b->m, name);
	if (!api || api->implicit || api->kind != kind) {
		lamb_warning(b->diags, &id->mark, "event '%s': %s '%s' is not an AWS::Serverless::%s of this "
			     "template; lamb does not serve its route", ev->name, key, name ? name : "?",
			     kind == LAMB_API_REST ? "Api" : "HttpApi");
		return NULL;
	}
	return api;
}

static const char *upper(struct builder *b, const char *s)
{
	char *u = lamb_arena_strdup(b->a, s);
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

/* Lenient loading: an event whose Path, Method or API stayed unresolved
 * (warned where it is) gives no route; the others are served. */
static bool unresolved_event(struct builder *b, const struct lamb_event *ev)
{
	static const char *const keys[] = { "Path", "Method", "RestApiId", "ApiId" };
	for (size_t i = 0; b->r.lenient && i < ARRAY_SIZE(keys); i++) {
		const struct lamb_node *v = lamb_node_get(ev->properties, keys[i]);
		if (v && v->unknown) {
			lamb_warning(b->diags, &v->mark, "event '%s': its %s '%s' is unresolved; lamb does not "
				     "serve its route", ev->name, keys[i], v->kind == LAMB_SCALAR ? v->str : "...");
			return true;
		}
	}
	return false;
}

static bool add_route(struct builder *b, const struct lamb_function *f, const struct lamb_event *ev)
{
	bool rest = strcmp(ev->type, "Api") == 0;
	if (unresolved_event(b, ev))
		return false;
	struct lamb_api *api = event_api(b, ev, rest ? "RestApiId" : "ApiId", rest ? LAMB_API_REST : LAMB_API_HTTP);
	if (!api)
		return false;
	const char *path = prop_str(b, ev->properties, "Path");
	const char *method = prop_str(b, ev->properties, "Method");
	struct lamb_route *r = &b->m->routes[b->m->nroutes];
	if (!rest && !path && !method) {
		r->is_default = true;
		path = method = "$default";
		r->method = "ANY";
		r->path = path;
	} else if (!path || !method) {
		if (!rest) /* Api events were already reported by the event check */
			lamb_error(b->diags, &ev->mark, "event '%s' (HttpApi) needs both Path and Method, or "
				   "neither for the $default route", ev->name);
		return false;
	} else {
		if (path[0] != '/')
			lamb_error(b->diags, &lamb_node_get(ev->properties, "Path")->mark,
				   "event '%s': Path must start with '/'", ev->name);
		r->method = upper(b, method);
		r->path = path;
	}
	r->function = f;
	r->api = api;
	r->event = ev;
	r->payload_format = rest ? "1.0" : "2.0";
	if (!rest) {
		const char *pf = prop_str(b, ev->properties, "PayloadFormatVersion");
		if (pf && strcmp(pf, "1.0") != 0 && strcmp(pf, "2.0") != 0)
			lamb_error(b->diags, &lamb_node_get(ev->properties, "PayloadFormatVersion")->mark,
				   "PayloadFormatVersion must be \"1.0\" or \"2.0\"");
		else if (pf)
			r->payload_format = pf;
	}
	b->m->nroutes++;
	return true;
}

static bool is_route_event(const struct lamb_event *ev)
{
	return strcmp(ev->type, "Api") == 0 || strcmp(ev->type, "HttpApi") == 0;
}

/* Which implicit APIs exist: those some event joins by naming no API. */
static void needs_implicit(const struct lamb_model *m, bool *rest, bool *http)
{
	*rest = *http = false;
	for (size_t i = 0; i < m->nfunctions; i++) {
		for (size_t j = 0; j < m->functions[i].nevents; j++) {
			const struct lamb_event *ev = &m->functions[i].events[j];
			if (strcmp(ev->type, "Api") == 0 && !lamb_node_get(ev->properties, "RestApiId"))
				*rest = true;
			if (strcmp(ev->type, "HttpApi") == 0 && !lamb_node_get(ev->properties, "ApiId"))
				*http = true;
		}
	}
}

void build_apis(struct builder *b)
{
	struct lamb_model *m = b->m;
	enum lamb_api_kind kind;
	size_t n = 2 + cfnapi_count(b), nevents = cfnapi_route_count(b);
	for (size_t i = 0; i < b->r.nresources; i++)
		n += is_api_type(b->r.resources[i].type, &kind);
	m->apis = lamb_arena_alloc(b->a, n * sizeof(*m->apis));
	for (size_t i = 0; i < b->r.nresources; i++) {
		if (!is_api_type(b->r.resources[i].type, &kind) || b->skip[i])
			continue;
		struct lamb_api *api = &m->apis[m->napis++];
		api->kind = kind;
		read_api(b, &b->r.resources[i], api);
	}
	cfnapi_apis(b);
	bool rest, http;
	needs_implicit(m, &rest, &http);
	if (rest && !find_api(m, IMPLICIT_REST))
		make_implicit(b, &m->apis[m->napis++], LAMB_API_REST);
	if (http && !find_api(m, IMPLICIT_HTTP))
		make_implicit(b, &m->apis[m->napis++], LAMB_API_HTTP);
	for (size_t i = 0; i < m->nfunctions; i++)
		nevents += m->functions[i].nevents;
	for (size_t i = 0; i < m->napis; i++)
		nevents += openapi_count(&m->apis[i]);
	m->routes = lamb_arena_alloc(b->a, (nevents + 1) * sizeof(*m->routes));
	for (size_t i = 0; i < m->nfunctions; i++)
		for (size_t j = 0; j < m->functions[i].nevents; j++)
			if (is_route_event(&m->functions[i].events[j]))
				add_route(b, &m->functions[i], &m->functions[i].events[j]);
	for (size_t i = 0; i < m->napis; i++)
		openapi_routes(b, &m->apis[i]);
	cfnapi_routes(b);
	for (size_t i = 0; i < m->nroutes; i++)
		route_auth(b, &m->routes[i]);
}
