/* The one entry point of every front end (local invoke, start-api,
 * start-lambda, bench): hand a function an event, get one outcome back, with
 * its REPORT figures. Owns a pool per function, lazily, and writes the
 * START/END/REPORT lines of each invocation to the log. */
#ifndef LAMB_INVOKE_H
#define LAMB_INVOKE_H

#include "base/err.h"
#include "base/loop.h"
#include "engine/bootstrap.h"
#include "engine/pool.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Largest event accepted: 6 MiB (RequestTooLargeException above). */
#define LAMB_INVOKE_MAX_EVENT (6 * 1024 * 1024)

struct lamb_outcome;

struct lamb_invoke_opts {
	FILE *log;                 /* function output and START/END/REPORT; NULL: stderr */
	int max_instances;         /* per function unless it has ReservedConcurrentExecutions; 0: 10 */
	bool throttle;             /* beyond the limit: LAMB_OUTCOME_THROTTLED; else queue */
	uint64_t idle_ms;          /* idle reaping; 0: never */
	uint64_t init_timeout_ms;  /* 0: 10 s */
	bool no_stream_limits;     /* streamed responses unbounded and unpaced */
	struct lamb_bootstrap_opts boot;
	lamb_pool_trace_fn trace;  /* Runtime API traffic (--debug); may be NULL */
	void *trace_data;
	struct lamb_logstore *logs; /* the local log store (lamb logs); may be NULL */
	/* Told of every outcome after its REPORT (the dashboard); may be NULL. */
	void (*observe)(void *data, const struct lamb_function *fn, const struct lamb_outcome *o);
	void *observe_data;
};

/* What the caller gets: valid during the callback only. */
struct lamb_outcome {
	enum lamb_outcome_kind kind;
	const char *request_id;
	const char *body;          /* response bytes or the error document; a
				    * response that went to lamb_invoke_req.chunk is not here */
	bool streamed;             /* the runtime streamed its response */
	const char *content_type;  /* a streamed response's Content-Type, or "" */
	size_t len;
	bool function_error;       /* X-Amz-Function-Error: Unhandled */
	const char *message;       /* lamb's explanation for the user, or NULL */
	double duration_ms;
	long billed_ms;
	long memory_mb;            /* Memory Size */
	long max_memory_used_mb;
	double init_ms;            /* < 0: warm start */
	bool restored;             /* init_ms is SnapStart's Restore Duration */
	const char *tenant_id;     /* the request's, or NULL */
	/* With req->log_tail: the last LAMB_LOG_TAIL_MAX bytes of the
	 * invocation's log (START, its output, END, REPORT), else empty. */
	const char *log_tail;
	size_t log_tail_len;
};

struct lamb_invoke_req {
	const char *event;            /* copied */
	size_t len;
	const char *client_context;   /* base64 JSON, or NULL */
	const char *cognito_identity; /* or NULL */
	const char *trace_id;         /* the caller's X-Amzn-Trace-Id, or NULL: a new one */
	const char *tenant_id;        /* X-Amz-Tenant-Id: required by a PER_TENANT function,
				       * refused by any other; copied */
	bool log_tail;                /* fill lamb_outcome.log_tail (X-Amz-Log-Type: Tail) */
	/* The outcome only once the invocation is over. Otherwise, where the
	 * function's extensions are still at work after the runtime answered,
	 * the outcome comes then, as Lambda returns the response before the
	 * invoke phase ends (its duration is the runtime's; REPORT, written
	 * later, counts the extensions too). bench wants the whole figures;
	 * log_tail implies it (the tail ends with REPORT). */
	bool whole;
	/* With chunk, a response the runtime streams goes to it as it is read:
	 * a call with len 0 when the stream begins, then one per piece, then
	 * the outcome (whose body is then empty, or the error document of a
	 * stream that failed). Without it the stream is collected, 6 MiB at
	 * most, and comes whole in the outcome. */
	void (*chunk)(void *data, const char *content_type, const char *bytes, size_t len);
};

typedef void (*lamb_invoke_fn)(void *data, const struct lamb_outcome *o);

struct lamb_invoker;

struct lamb_invoker *lamb_invoke_new(struct lamb_loop *loop, const struct lamb_invoke_opts *opts);
/* Kills every instance; pending invocations are dropped without callback.
 * Idle instances with extensions first get their shutdown phase
 * (lamb_pool_shutdown): the loop turns for up to 2 s, and lamb_invoke
 * refuses new invocations meanwhile. */
void lamb_invoke_free(struct lamb_invoker *iv);
/* The supervisor of the invoker's instances (for its memory method). */
struct lamb_supervisor *lamb_invoke_supervisor(struct lamb_invoker *iv);

/* Starts an invocation; cb is called once from the loop, never from inside
 * this call. -1 with err (and no callback) when the function cannot run
 * here (as lamb_pool_new checks), the event is too large, or the tenant id
 * is missing or not wanted (the message names InvalidParameterValueException,
 * as Lambda's). A PER_TENANT function has a pool per tenant: an instance
 * serves one tenant only, and the function's concurrency limit applies to
 * each tenant's pool. */
int lamb_invoke(struct lamb_invoker *iv, const struct lamb_function *fn, const struct lamb_invoke_req *req,
		lamb_invoke_fn cb, void *data, struct lamb_err *err);

/* Starts an instance of fn ahead of its first invocation (warm
 * containers EAGER); -1 with err when fn cannot run here. */
int lamb_invoke_prestart(struct lamb_invoker *iv, const struct lamb_function *fn, struct lamb_err *err);

/* fn's code or a layer changed on disk: its instances are replaced as they
 * become free (lamb_pool_retire); nothing when fn has no pool yet. */
void lamb_invoke_retire(struct lamb_invoker *iv, const struct lamb_function *fn);

/* fn is being rebuilt: its new invocations wait in the invoker (they are
 * not submitted to its pool) until lamb_invoke_resume. */
void lamb_invoke_hold(struct lamb_invoker *iv, const struct lamb_function *fn);
/* Ends a hold. error NULL: fn's instances are retired (lamb_invoke_retire)
 * and the held invocations run on new ones. Otherwise (copied) the held
 * invocations, and every later one until the next hold, fail as
 * LAMB_OUTCOME_START_FAILED with error as their message and a
 * Lamb.BuildFailed error document. */
void lamb_invoke_resume(struct lamb_invoker *iv, const struct lamb_function *fn, const char *error);

/* Calls cb for every live instance of every function. */
void lamb_invoke_each_instance(struct lamb_invoker *iv, lamb_instance_fn cb, void *data);

/* A random v4 UUID into buf (at least 37 bytes). */
void lamb_invoke_request_id(char *buf);

#endif
