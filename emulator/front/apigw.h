/* API Gateway emulation without the HTTP server: matching a request to a
 * route, building the proxy event (payload 1.0 or 2.0) a function receives,
 * and mapping the function's result back to an HTTP response. The server
 * front end (start-api) hands these plain structs in and out; nothing here
 * does I/O. See ../shared/reference/apigw.md. */
#ifndef LAMB_APIGW_H
#define LAMB_APIGW_H

#include "http/http-message.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lamb_router;

/* A route chosen for a request, with its path parameters (owned). */
struct lamb_route_match {
	const struct lamb_route *route;
	const struct lamb_api *path_api; /* LAMB_ROUTE_NO_METHOD: the API of a route with the path */
	struct lamb_header *params; /* name = the template's {name}, value decoded */
	size_t nparams;
};

/* The router keeps pointers into m: m must outlive it. */
struct lamb_router *lamb_router_new(const struct lamb_model *m);
void lamb_router_free(struct lamb_router *r);

enum lamb_route_result {
	LAMB_ROUTE_FOUND,
	LAMB_ROUTE_NO_PATH,   /* no route has this path */
	LAMB_ROUTE_NO_METHOD, /* a route has the path, none the method */
};

/* Picks the most specific route: literal segments beat {param}, {param}
 * beats {greedy+}, a named method beats ANY, $default comes last. A
 * trailing slash does not matter; methods compare case-insensitively. */
enum lamb_route_result lamb_router_match(const struct lamb_router *r, const char *method,
					 const char *path, struct lamb_route_match *out);
void lamb_route_match_release(struct lamb_route_match *m);

/* The proxy event for the matched route (payload format of the route), as
 * JSON text; caller frees. request_id is the API Gateway request id. */
char *lamb_apigw_event(const struct lamb_model *m, const struct lamb_route_match *match,
		       const struct lamb_http_request *req, const char *request_id);
/* The same with requestContext.authorizer set to authorizer, the JSON text
 * of an object (a Lambda authorizer's answer), or without it when NULL. */
char *lamb_apigw_event_auth(const struct lamb_model *m, const struct lamb_route_match *match,
			    const struct lamb_http_request *req, const char *request_id,
			    const char *authorizer);
/* What a payload 2.0 event takes from where its request came: an API's
 * route, or a Function URL (function-url-event.c). */
struct lamb_apigw_v2 {
	const char *route_key, *stage, *account_id, *api_id;
	const char *domain;     /* requestContext.domainName */
	size_t prefix_len;      /* domainPrefix: the domain's first prefix_len bytes */
	const char *path;       /* rawPath and requestContext.http.path */
	const char *authorizer; /* requestContext.authorizer's JSON text, or NULL */
	bool binary;            /* the body goes in base64 */
};
/* A 2.0 event without pathParameters and stageVariables, as JSON text;
 * caller frees. */
char *lamb_apigw_event_v2(const struct lamb_http_request *req, const char *request_id,
			  const struct lamb_apigw_v2 *v);
/* The API's ten-character id, stable across runs (as in requestContext). */
void lamb_apigw_api_id(const char *logical_id, char out[11]);

/* Maps the bytes a function returned to the HTTP response, following the
 * route's payload format. On an invalid result, fills out with API
 * Gateway's 502 and returns -1 with the reason in err (for the log). */
int lamb_apigw_response(const struct lamb_route *route, const char *result, size_t len,
			struct lamb_http_response *out, struct lamb_err *err);

/* CORS: adds the Access-Control-* headers the API's configuration gives
 * for a request from origin (may be NULL); preflight adds the Allow-Methods,
 * Allow-Headers and Max-Age answers too. Nothing when the API has no CORS. */
void lamb_apigw_cors_headers(const struct lamb_api *api, const char *origin, bool preflight,
			     struct lamb_http_response *r);
/* The API whose CORS answers a preflight: preferred (the API of the route
 * the path belongs to) when it has CORS, else the first API that has it,
 * since every API is served on one port; NULL when none has. */
const struct lamb_api *lamb_apigw_cors_api(const struct lamb_model *m, const struct lamb_api *preferred);

#endif
