/* lamb local start-api's HTTP server: libmicrohttpd in external epoll mode
 * on lamb's loop, one suspended connection per request in flight, requests
 * routed, turned into proxy events, invoked through lamb_invoke, and the
 * results mapped back (apigw.h does the mapping; this file does the I/O). */
#ifndef LAMB_APIGW_SERVER_H
#define LAMB_APIGW_SERVER_H

#include "base/err.h"
#include "base/loop.h"
#include "engine/invoke.h"
#include "front/function-url.h"
#include "model/model.h"

#include <stdio.h>

struct lamb_apigw_server_opts {
	const char *host;          /* NULL: 127.0.0.1 */
	int port;                  /* 0: any free port */
	const char *static_dir;    /* served at / when no route matches; may be NULL */
	uint64_t integration_timeout_ms; /* 0: 29000, API Gateway's limit */
	FILE *log;                 /* one access line per request; NULL: stderr */
	bool disable_authorizers;  /* serve routes as if they had no Lambda authorizer */
	struct lamb_function_urls *urls; /* Function URLs served beside the routes, or NULL */
};

struct lamb_apigw_server;

/* Listens and serves on loop; the model and invoker must outlive it. */
struct lamb_apigw_server *lamb_apigw_server_new(struct lamb_loop *loop, struct lamb_invoker *iv,
						const struct lamb_model *m,
						const struct lamb_apigw_server_opts *opts,
						struct lamb_err *err);
/* Stops listening; requests still waiting are answered 502. Call it after
 * lamb_invoke_free, so that no invocation callback can come later. Accepts
 * NULL. */
void lamb_apigw_server_free(struct lamb_apigw_server *s);
int lamb_apigw_server_port(const struct lamb_apigw_server *s);
/* GET /_lamb/... that no route takes is redirected to base (copied;
 * "http://127.0.0.1:PORT", the dashboard's server); NULL: no more. */
void lamb_apigw_server_set_dashboard(struct lamb_apigw_server *s, const char *base);
/* Requests in flight (waiting for their function). */
int lamb_apigw_server_busy(const struct lamb_apigw_server *s);

#endif
