/* lamb local start-lambda: the Lambda Invoke API
 * (POST /2015-03-31/functions/{name}/invocations) over lamb_invoke, so the
 * AWS CLI and SDKs can call local functions with --endpoint-url. */
#ifndef LAMB_LAMBDA_API_H
#define LAMB_LAMBDA_API_H

#include "base/err.h"
#include "base/loop.h"
#include "engine/invoke.h"
#include "model/model.h"

#include <stdio.h>

struct lamb_lambda_api_opts {
	const char *host; /* NULL: 127.0.0.1 */
	int port;         /* 0: any free port */
	const char *const *only; /* logical ids served (NULL-terminated), NULL: all */
	FILE *log;        /* one access line per call; NULL: stderr */
	/* InvocationType Event goes here instead of straight to lamb_invoke
	 * (lamb local start's asynchronous queue): 0 for 202, -1 with err
	 * for 413 (above the asynchronous limit). NULL: invoked at once. */
	int (*on_event)(void *data, const struct lamb_function *fn, const char *event, size_t len,
			const char *trace, const char *tenant, struct lamb_err *err);
	/* trace: X-Amzn-Trace-Id, tenant: X-Amz-Tenant-Id (checked), or NULL */
	void *event_data;
};

struct lamb_lambda_api;

struct lamb_lambda_api *lamb_lambda_api_new(struct lamb_loop *loop, struct lamb_invoker *iv,
					    const struct lamb_model *m, const struct lamb_lambda_api_opts *o,
					    struct lamb_err *err);
/* Call after lamb_invoke_free, as for the API Gateway server. Accepts NULL. */
void lamb_lambda_api_free(struct lamb_lambda_api *a);
int lamb_lambda_api_port(const struct lamb_lambda_api *a);
/* GET /_lamb/... redirects to base (the dashboard's server,
 * "http://127.0.0.1:PORT"); NULL: no more. */
void lamb_lambda_api_set_dashboard(struct lamb_lambda_api *a, const char *base);

/* The function a name of the Invoke API means: a logical id, a
 * FunctionName, or an ARN (with or without a qualifier). NULL when none. */
const struct lamb_function *lamb_lambda_api_find(const struct lamb_model *m, const char *name);

#endif
