/* CORS as API Gateway does it: a preflight OPTIONS is answered from the
 * API's Cors (REST) or CorsConfiguration (HTTP API) without invoking the
 * function, and other responses get the allow-origin headers. REST values
 * are written quoted ("'*'"); HTTP API values are lists. On HTTP APIs the
 * headers are only added when the request's Origin is allowed. */
#include "base/util.h"
#include "front/apigw.h"

#include <string.h>
#include <strings.h>

/* "'value'" as SAM writes REST CORS values: the quotes go. */
static char *unquote(const char *s)
{
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'')
		return xstrndup(s + 1, n - 2);
	return xstrdup(s);
}

static char *joined(const struct lamb_node *list)
{
	if (!list)
		return NULL;
	if (list->kind == LAMB_SCALAR)
		return xstrdup(list->str);
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_buf_add(&b, "", 0);
	for (size_t i = 0; list->kind == LAMB_SEQ && i < list->len; i++) {
		const char *s = lamb_node_str(list->items[i]);
		if (s)
			lamb_buf_addf(&b, "%s%s", b.len ? "," : "", s);
	}
	return lamb_buf_steal(&b);
}

static bool origin_allowed(const struct lamb_node *origins, const char *origin)
{
	for (size_t i = 0; origins && origins->kind == LAMB_SEQ && i < origins->len; i++) {
		const char *o = lamb_node_str(origins->items[i]);
		if (o && (strcmp(o, "*") == 0 || (origin && strcasecmp(o, origin) == 0)))
			return true;
	}
	return origins && lamb_node_str(origins) && strcmp(origins->str, "*") == 0;
}

static void add(struct lamb_http_response *r, const char *name, char *value)
{
	if (value && *value)
		lamb_http_response_add_header(r, name, value);
	free(value);
}

static void rest_headers(const struct lamb_node *cors, bool preflight, struct lamb_http_response *r)
{
	const char *origin = lamb_node_str(cors);
	if (cors->kind == LAMB_MAP)
		origin = lamb_node_str(lamb_node_get(cors, "AllowOrigin"));
	add(r, "Access-Control-Allow-Origin", unquote(origin ? origin : "'*'"));
	if (cors->kind == LAMB_MAP && str_eq(lamb_node_str(lamb_node_get(cors, "AllowCredentials")), "true"))
		lamb_http_response_add_header(r, "Access-Control-Allow-Credentials", "true");
	if (!preflight)
		return;
	const char *methods = lamb_node_str(lamb_node_get(cors, "AllowMethods"));
	const char *hdrs = lamb_node_str(lamb_node_get(cors, "AllowHeaders"));
	const char *age = lamb_node_str(lamb_node_get(cors, "MaxAge"));
	add(r, "Access-Control-Allow-Methods", unquote(methods ? methods : "'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT'"));
	if (hdrs)
		add(r, "Access-Control-Allow-Headers", unquote(hdrs));
	if (age)
		add(r, "Access-Control-Max-Age", unquote(age));
}

static void http_headers(const struct lamb_node *cors, const char *origin, bool preflight,
			 struct lamb_http_response *r)
{
	const struct lamb_node *origins = lamb_node_get(cors, "AllowOrigins");
	if (!origin_allowed(origins, origin))
		return;
	bool any = false;
	for (size_t i = 0; origins->kind == LAMB_SEQ && i < origins->len; i++)
		any |= str_eq(lamb_node_str(origins->items[i]), "*");
	lamb_http_response_add_header(r, "Access-Control-Allow-Origin", any ? "*" : origin);
	if (str_eq(lamb_node_str(lamb_node_get(cors, "AllowCredentials")), "true"))
		lamb_http_response_add_header(r, "Access-Control-Allow-Credentials", "true");
	if (!preflight) {
		add(r, "Access-Control-Expose-Headers", joined(lamb_node_get(cors, "ExposeHeaders")));
		return;
	}
	add(r, "Access-Control-Allow-Methods", joined(lamb_node_get(cors, "AllowMethods")));
	add(r, "Access-Control-Allow-Headers", joined(lamb_node_get(cors, "AllowHeaders")));
	add(r, "Access-Control-Max-Age", joined(lamb_node_get(cors, "MaxAge")));
}

static bool cors_enabled(const struct lamb_api *api)
{
	const struct lamb_node *c = api->cors;
	if (!c)
		return false;
	if (api->kind == LAMB_API_HTTP)
		return c->kind == LAMB_MAP && lamb_node_get(c, "AllowOrigins");
	return c->kind == LAMB_MAP || (c->kind == LAMB_SCALAR && *c->str);
}

void lamb_apigw_cors_headers(const struct lamb_api *api, const char *origin, bool preflight,
			     struct lamb_http_response *r)
{
	if (!cors_enabled(api))
		return;
	if (api->kind == LAMB_API_REST)
		rest_headers(api->cors, preflight, r);
	else if (origin)
		http_headers(api->cors, origin, preflight, r);
}

const struct lamb_api *lamb_apigw_cors_api(const struct lamb_model *m, const struct lamb_api *preferred)
{
	if (preferred && cors_enabled(preferred))
		return preferred;
	for (size_t i = 0; i < m->napis; i++)
		if (cors_enabled(&m->apis[i]))
			return &m->apis[i];
	return NULL;
}
