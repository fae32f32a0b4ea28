/* CORS as API Gateway does it: a preflight OPTIONS is answered from the
 * API's Cors (REST) or CorsConfiguration (HTTP API) without invoking the
 * function, and other responses get the allow-origin headers. The model
 * has read those settings into header values once (model-cors.c); on HTTP
 * APIs the headers are only added when the request's Origin is allowed. */
#include "front/apigw.h"

#include <string.h>
#include <strings.h>

static void add(struct lamb_http_response *r, const char *name, const char *value)
{
	if (value && *value)
		lamb_http_response_add_header(r, name, value);
}

static void rest_headers(const struct lamb_cors *c, bool preflight, struct lamb_http_response *r)
{
	add(r, "Access-Control-Allow-Origin", c->allow_origin);
	if (c->allow_credentials)
		lamb_http_response_add_header(r, "Access-Control-Allow-Credentials", "true");
	if (!preflight)
		return;
	add(r, "Access-Control-Allow-Methods", c->allow_methods);
	add(r, "Access-Control-Allow-Headers", c->allow_headers);
	add(r, "Access-Control-Max-Age", c->max_age);
}

static bool origin_allowed(const struct lamb_cors *c, const char *origin)
{
	if (c->any_origin)
		return true;
	for (size_t i = 0; i < c->allow_origins.len; i++)
		if (strcasecmp(c->allow_origins.v[i], origin) == 0)
			return true;
	return false;
}

static void http_headers(const struct lamb_cors *c, const char *origin, bool preflight,
			 struct lamb_http_response *r)
{
	if (!origin_allowed(c, origin))
		return;
	lamb_http_response_add_header(r, "Access-Control-Allow-Origin", c->any_origin ? "*" : origin);
	if (c->allow_credentials)
		lamb_http_response_add_header(r, "Access-Control-Allow-Credentials", "true");
	if (!preflight) {
		add(r, "Access-Control-Expose-Headers", c->expose_headers);
		return;
	}
	add(r, "Access-Control-Allow-Methods", c->allow_methods);
	add(r, "Access-Control-Allow-Headers", c->allow_headers);
	add(r, "Access-Control-Max-Age", c->max_age);
}

void lamb_apigw_cors_headers(const struct lamb_api *api, const char *origin, bool preflight,
			     struct lamb_http_response *r)
{
	if (!api->cors.enabled)
		return;
	if (api->kind == LAMB_API_REST)
		rest_headers(&api->cors, preflight, r);
	else if (origin)
		http_headers(&api->cors, origin, preflight, r);
}

const struct lamb_api *lamb_apigw_cors_api(const struct lamb_model *m, const struct lamb_api *preferred)
{
	if (preferred && preferred->cors.enabled)
		return preferred;
	for (size_t i = 0; i < m->napis; i++)
		if (m->apis[i].cors.enabled)
			return &m->apis[i];
	return NULL;
}
