/* Function URLs, served by start-api beside its routes: every function with
 * FunctionUrlConfig answers at http://HOST:PORT/lambda-url/<LogicalId>/...
 * and at any path of Host: <logicalid-lowercase>.lambda-url.localhost. The
 * request becomes the Function URL event (payload 2.0), the answer is mapped
 * back as the Function URL service maps it, whole (BUFFERED) or streamed
 * (RESPONSE_STREAM); Cors and AuthType AWS_IAM (SigV4) apply. */
#ifndef LAMB_FUNCTION_URL_H
#define LAMB_FUNCTION_URL_H

#include "base/loop.h"
#include "engine/invoke.h"
#include "http/http-server.h"
#include "model/model.h"

#include <stdbool.h>
#include <stdio.h>

struct lamb_function_url_opts {
	FILE *log;              /* one access line per request; NULL: stderr */
	/* The credentials an AWS_IAM URL accepts (found as the AWS CLI finds
	 * them); NULL: every request to such a URL is refused. Copied. */
	const char *access_key;
	const char *secret_key;
};

struct lamb_function_urls;

/* NULL when no function of m has a URL. m and iv must outlive it. */
struct lamb_function_urls *lamb_function_urls_new(struct lamb_loop *loop, struct lamb_invoker *iv,
						  const struct lamb_model *m,
						  const struct lamb_function_url_opts *o);
/* Call after lamb_invoke_free, before the HTTP server goes. Accepts NULL. */
void lamb_function_urls_free(struct lamb_function_urls *u);
/* Takes conn when its request is for a Function URL: true, and conn is
 * answered now or later; false when it is not one. u may be NULL. */
bool lamb_function_urls_serve(struct lamb_function_urls *u, struct lamb_http_conn *conn);

/* The lower-case logical id a URL's host starts with, into out; false when
 * the function has no host form (a nested stack's "Child/Id"). */
bool lamb_function_url_host(const struct lamb_function *fn, char *out, size_t n);

/* function-url-event.c: the Function URL event for req, whose path below
 * the function's URL is path (from '/'); JSON text, caller frees. iam is the
 * requestContext.authorizer.iam object's JSON text, or NULL. */
char *lamb_function_url_event(const struct lamb_model *m, const struct lamb_function *fn,
			      const struct lamb_http_request *req, const char *path, const char *request_id,
			      const char *iam);

/* function-url-auth.c: whether req carries a valid SigV4 signature (service
 * "lambda") by access_key/secret_key, in its Authorization header or its
 * query (X-Amz-Signature). On success, *iam is the requestContext
 * authorizer's iam object as JSON text (caller frees). */
bool lamb_function_url_signed(const struct lamb_http_request *req, const char *host, const char *access_key,
			      const char *secret_key, const char *account_id, char **iam);

#endif
