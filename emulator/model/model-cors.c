/* An API's CORS read once, when the model is built: REST Cors (a quoted
 * origin, or a mapping of quoted values) and HTTP API CorsConfiguration (a
 * mapping of lists) into struct lamb_cors, every value already in the form
 * its header takes, so that start-api answers a request without reading
 * the template. */
#include "base/util.h"
#include "model/model-build.h"

#include <ctype.h>
#include <string.h>

/* SAM's own default: every method API Gateway has. */
#define REST_METHODS "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"

/* "'value'" as SAM writes REST CORS values: the quotes go. */
static const char *unquote(struct builder *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'')
		return lamb_arena_strndup(b->a, s + 1, n - 2);
	return s;
}

/* SAM's transform sends Access-Control-Allow-Credentials only for a
 * boolean true: anything else (a quoted "'true'", as in SAM CLI's own test
 * templates) deploys as false, so it is a warning, not an error. */
static bool rest_credentials(struct builder *b, const struct lamb_node *v)
{
	bool on = false;
	if (!v || v->unknown || lamb_node_is_null(v) || (!v->quoted && lamb_node_bool(v, &on)))
		return on;
	lamb_warning(b->diags, &v->mark, "Cors AllowCredentials is %s, not true or false: SAM's transform "
		     "takes it as false (no Access-Control-Allow-Credentials)",
		     v->kind == LAMB_SCALAR ? "a string" : lamb_node_kind_name(v));
	return false;
}

static void rest_cors(struct builder *b, struct lamb_cors *c, const struct lamb_node *v)
{
	c->allow_methods = REST_METHODS;
	if (v->kind == LAMB_SCALAR) { /* Cors: "'https://origin'" */
		c->enabled = *v->str != '\0';
		c->allow_origin = unquote(b, v->str);
		return;
	}
	if (v->kind != LAMB_MAP) {
		lamb_error(b->diags, &v->mark, "Cors must be a string or a mapping, not %s", lamb_node_kind_name(v));
		return;
	}
	c->enabled = true;
	const char *origin = prop_text(b, v, "AllowOrigin");
	const char *methods = prop_text(b, v, "AllowMethods");
	c->allow_origin = origin ? unquote(b, origin) : "*";
	if (methods)
		c->allow_methods = unquote(b, methods);
	c->allow_headers = unquote(b, prop_text(b, v, "AllowHeaders"));
	c->max_age = unquote(b, prop_text(b, v, "MaxAge"));
	c->allow_credentials = rest_credentials(b, lamb_node_get(v, "AllowCredentials"));
}

/* A list as its header takes it: the values joined with ','. */
static const char *joined(struct builder *b, struct lamb_strs l)
{
	size_t n = 1;
	for (size_t i = 0; i < l.len; i++)
		n += strlen(l.v[i]) + 1;
	char *s = lamb_arena_alloc(b->a, n), *o = s;
	for (size_t i = 0; i < l.len; i++) {
		size_t len = strlen(l.v[i]);
		if (o > s)
			*o++ = ',';
		memcpy(o, l.v[i], len);
		o += len;
	}
	*o = '\0';
	return s;
}

static void http_cors(struct builder *b, struct lamb_cors *c, const struct lamb_node *v)
{
	if (v->kind == LAMB_SCALAR) {
		lamb_warning(b->diags, &v->mark, "CorsConfiguration '%s' is not read by lamb, which answers CORS "
			     "only from a mapping with AllowOrigins", v->str);
		return;
	}
	if (v->kind != LAMB_MAP) {
		lamb_error(b->diags, &v->mark, "CorsConfiguration must be a mapping, not %s", lamb_node_kind_name(v));
		return;
	}
	c->enabled = lamb_node_get(v, "AllowOrigins") != NULL;
	c->allow_origins = prop_strs(b, v, "AllowOrigins");
	for (size_t i = 0; i < c->allow_origins.len; i++)
		c->any_origin |= strcmp(c->allow_origins.v[i], "*") == 0;
	c->allow_credentials = prop_bool(b, v, "AllowCredentials", false);
	c->allow_methods = joined(b, prop_strs(b, v, "AllowMethods"));
	c->allow_headers = joined(b, prop_strs(b, v, "AllowHeaders"));
	c->expose_headers = joined(b, prop_strs(b, v, "ExposeHeaders"));
	c->max_age = prop_text(b, v, "MaxAge");
	if (c->max_age && *c->max_age) /* API Gateway's range */
		prop_long(b, v, "MaxAge", 0, -1, 86400);
}

void url_cors(struct builder *b, struct lamb_cors *c, const struct lamb_node *v)
{
	http_cors(b, c, v);
}

void api_cors(struct builder *b, struct lamb_api *api, const struct lamb_node *props)
{
	bool rest = api->kind == LAMB_API_REST;
	const struct lamb_node *v = lamb_node_get(props, rest ? "Cors" : "CorsConfiguration");
	if (!v || v->unknown || lamb_node_is_null(v))
		return;
	api->cors.mark = v->mark;
	if (rest)
		rest_cors(b, &api->cors, v);
	else
		http_cors(b, &api->cors, v);
}

/* A REST API written as CloudFormation says its CORS the way CDK writes
 * it: an OPTIONS Method with a MOCK integration whose integration response
 * sets the Access-Control-* headers ("'*'" quoted as in SAM's Cors). Read
 * into api->cors, so that lamb answers OPTIONS as that mock would; false
 * when params set no Access-Control-Allow-Origin. */
bool api_cors_mock(struct builder *b, struct lamb_api *api, const struct lamb_node *params)
{
	static const char prefix[] = "method.response.header.Access-Control-";
	const char *origin = NULL, *methods = NULL, *headers = NULL, *max_age = NULL, *credentials = NULL;
	const char **slot;
	for (size_t i = 0; params && params->kind == LAMB_MAP && i < params->len; i++) {
		const char *k = params->pairs[i].key->str;
		if (!str_starts(k, prefix))
			continue;
		k += strlen(prefix);
		slot = strcmp(k, "Allow-Origin") == 0 ? &origin : strcmp(k, "Allow-Methods") == 0 ? &methods :
		       strcmp(k, "Allow-Headers") == 0 ? &headers : strcmp(k, "Max-Age") == 0 ? &max_age :
		       strcmp(k, "Allow-Credentials") == 0 ? &credentials : NULL;
		if (slot)
			*slot = unquote(b, lamb_node_str(params->pairs[i].value));
	}
	if (!origin || api->cors.enabled)
		return origin != NULL;
	api->cors = (struct lamb_cors){
		.enabled = true, .allow_origin = origin, .allow_methods = methods ? methods : REST_METHODS,
		.allow_headers = headers, .max_age = max_age, .mark = params->mark,
		.allow_credentials = credentials && strcmp(credentials, "true") == 0,
	};
	return true;
}

/* An HTTP API definition's x-amazon-apigateway-cors: CorsConfiguration's
 * keys with a lower-case first letter, read as CorsConfiguration when the
 * API has none. */
void api_cors_openapi(struct builder *b, struct lamb_api *api, const struct lamb_node *x)
{
	if (api->cors.enabled || !x || x->kind != LAMB_MAP)
		return;
	struct lamb_node *map = lamb_node_map(b->a, x->len, &x->mark);
	for (size_t i = 0; i < x->len; i++) {
		char *k = lamb_arena_strdup(b->a, x->pairs[i].key->str);
		k[0] = (char)toupper((unsigned char)k[0]);
		map->pairs[i].key = lamb_node_scalar(b->a, k, &x->pairs[i].key->mark);
		map->pairs[i].value = x->pairs[i].value;
	}
	api->cors.mark = x->mark;
	http_cors(b, &api->cors, map);
}
