/* lamb local start's own port: the clock (GET /_lamb/clock, POST
 * /_lamb/clock/advance?by=1h under the manual clock) over the schedules
 * that fire functions by themselves, and the asynchronous queue they and
 * the Invoke API's Event invocations go through. */
#ifndef LAMB_LOCAL_SERVICES_H
#define LAMB_LOCAL_SERVICES_H

#include "base/err.h"
#include "base/loop.h"
#include "engine/invoke.h"
#include "model/model.h"

#include <stdio.h>

struct lamb_local_services_opts {
	const char *host; /* NULL: 127.0.0.1 */
	int port;         /* 0: any free port */
	bool manual_clock;
	FILE *log;        /* firings and warnings; NULL: stderr */
};

struct lamb_local_services;

struct lamb_local_services *lamb_local_services_new(struct lamb_loop *loop, struct lamb_invoker *iv,
						    const struct lamb_model *m,
						    const struct lamb_local_services_opts *o, struct lamb_err *err);
/* Call after lamb_invoke_free (invocations in flight point into it). NULL ok. */
void lamb_local_services_free(struct lamb_local_services *s);
int lamb_local_services_port(const struct lamb_local_services *s);
/* What runs by itself: one line per schedule with its next fire time. */
void lamb_local_services_describe(const struct lamb_local_services *s, FILE *out);

/* Queues an asynchronous invocation (the Invoke API's InvocationType
 * Event, as lamb_lambda_api_opts.on_event), for tenant when the function
 * isolates tenants: -1 with err above 1 MB. */
int lamb_local_services_event(void *services, const struct lamb_function *fn, const char *event, size_t len,
			      const char *trace, const char *tenant, struct lamb_err *err);

/* "90s", "15m", "1h30m", "1d", "500ms", a bare number of seconds: ms, or -1. */
int64_t lamb_duration_ms(const char *s);

#endif
