/* Lambda authorizers of API Gateway, without I/O: which authorizer guards a
 * route (Auth.Authorizers, DefaultAuthorizer, a route's Auth.Authorizer or
 * NONE), whether a request carries the identity sources, the event the
 * authorizer function receives (REST TOKEN / REQUEST, HTTP API payload 1.0
 * / 2.0), and what its answer means (allow with a context, or API
 * Gateway's 401 / 403 / 500). The invocation itself is the server's, through
 * lamb_invoke like any function. Cognito, JWT and AWS_IAM authorizers are
 * not emulated: routes guarded by them are served open, with a note.
 * No result caching (ReauthorizeEvery): every request asks the function. */
#ifndef LAMB_APIGW_AUTH_H
#define LAMB_APIGW_AUTH_H

#include "front/apigw.h"
#include "model/model.h"

#include <stdbool.h>

/* One Lambda authorizer of an API, as the route uses it; borrowed pointers
 * into the model, which has read the template's Auth (model-auth.c). */
struct lamb_authorizer {
	const char *name;                   /* the key under Auth.Authorizers */
	const struct lamb_api *api;
	const struct lamb_function *function;
	bool token;                         /* REST TOKEN (else REQUEST) */
	const char *payload_format;         /* "1.0" or "2.0" ("1.0" on REST) */
	bool simple_responses;              /* HTTP API EnableSimpleResponses */
	const struct lamb_regex *validation; /* TOKEN: the model's compiled expression, or NULL */
	const struct lamb_auth_source *sources; /* the model's */
	size_t nsources;
};

enum lamb_auth_lookup {
	LAMB_AUTH_OPEN,        /* no authorizer guards the route */
	LAMB_AUTH_LAMBDA,      /* *out is the Lambda authorizer to run */
	LAMB_AUTH_UNSUPPORTED, /* guarded by something lamb does not emulate; why says what */
};

/* The authorizer of route, as API Gateway would pick it. why (may be NULL)
 * gets a short explanation for UNSUPPORTED and for a FunctionArn that
 * names no function of the template (also UNSUPPORTED). */
enum lamb_auth_lookup lamb_auth_for_route(const struct lamb_model *m, const struct lamb_route *route,
					  struct lamb_authorizer *out, const char **why);

/* False when a required identity source is missing or empty, or a TOKEN
 * does not match the validation expression: answer 401 without invoking. */
bool lamb_auth_identity_ok(const struct lamb_authorizer *a, const struct lamb_http_request *req);

/* The arn:aws:execute-api:... of the request (methodArn, routeArn); caller
 * frees. */
char *lamb_auth_method_arn(const struct lamb_model *m, const struct lamb_route *route,
			   const struct lamb_http_request *req);

/* The event the authorizer function receives, as JSON text; caller frees. */
char *lamb_auth_event(const struct lamb_model *m, const struct lamb_authorizer *a,
		      const struct lamb_route_match *match, const struct lamb_http_request *req,
		      const char *request_id);

/* Fills out (initialised by the caller, as everywhere here) with API Gateway's answer: 401 (no or bad
 * identity), 403 (explicit deny), 4030 (REST's implicit deny; 403 on the
 * wire), 500 (the authorizer failed). */
void lamb_auth_reject(const struct lamb_authorizer *a, int status, struct lamb_http_response *out);

/* Reads the authorizer's answer. function_error: the function raised (its
 * errorMessage "Unauthorized" is API Gateway's 401). Returns true when the
 * request may go on, with *authorizer set to the JSON object text for
 * requestContext.authorizer (caller frees); false with out filled with API
 * Gateway's answer and why (may be NULL) with the reason for the log. */
bool lamb_auth_decide(const struct lamb_authorizer *a, const char *method_arn, const char *body,
		      size_t len, bool function_error, double latency_ms, char **authorizer,
		      struct lamb_http_response *out, char *why, size_t whylen);

#endif
