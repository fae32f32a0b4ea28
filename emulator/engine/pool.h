/* The instances of one function: warm reuse of instances blocked in /next,
 * cold starts up to a concurrency limit, a queue beyond it, the init phase
 * (until the first /next, 10 s, /init/error, early exit), the invoke phase
 * with the function's Timeout from hand-over, idle reaping. An instance that
 * crashed, timed out or failed init is discarded; the next invocation gets
 * a fresh one. Front ends do not call this directly: see invoke.h. */
#ifndef LAMB_POOL_H
#define LAMB_POOL_H

#include "base/err.h"
#include "base/loop.h"
#include "base/util.h"
#include "engine/bootstrap.h"
#include "engine/logstore.h"
#include "engine/supervisor.h"
#include "model/model.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum lamb_outcome_kind {
	LAMB_OUTCOME_RESPONSE,       /* the runtime posted /response */
	LAMB_OUTCOME_FUNCTION_ERROR, /* /error */
	LAMB_OUTCOME_TOO_LARGE,      /* the response was above 6 MiB: Function.ResponseSizeTooLarge */
	LAMB_OUTCOME_TIMEOUT,        /* Sandbox.Timedout; the instance was killed */
	LAMB_OUTCOME_CRASH,          /* the instance exited mid-invoke: Runtime.ExitError */
	LAMB_OUTCOME_INIT_ERROR,     /* /init/error, exit during init, init timeout */
	LAMB_OUTCOME_START_FAILED,   /* lamb could not start the instance (exec failed...) */
	LAMB_OUTCOME_THROTTLED,      /* every instance busy at the concurrency limit */
};

struct lamb_invocation;
typedef void (*lamb_invocation_fn)(struct lamb_invocation *inv);

/* One event on its way through a pool. The pool fills the result part and
 * calls done exactly once (never from inside lamb_pool_submit). */
struct lamb_invocation {
	/* request */
	char request_id[40];
	char trace_id[128];
	const char *event;
	size_t len;
	const char *client_context;
	const char *cognito_identity;
	const char *tenant_id; /* TenancyConfig's tenant, or NULL */
	bool want_tail;        /* keep the end of its log in log_tail */
	/* A streamed response (the runtime's streaming mode) goes to chunk as
	 * it is read: a first call with len 0 when it begins (content_type
	 * set), then its bytes, then done. Without chunk it is collected into
	 * body, 6 MiB at most, as a buffered invoke gets it. */
	void (*chunk)(struct lamb_invocation *inv, const char *data, size_t len);
	struct lamb_logstore *logs; /* set by lamb_pool_submit: where its records are kept */
	const char *logs_fn;
	lamb_invocation_fn done;
	/* Optional: called once the runtime has answered when the invocation
	 * ends only later (its extensions still at work); done follows. */
	lamb_invocation_fn answered;
	void *data;
	/* result */
	enum lamb_outcome_kind kind;
	bool streamed;         /* the runtime streamed its response */
	size_t streamed_len;
	char content_type[128]; /* a streamed response's, or empty */
	struct lamb_buf body;  /* response or error document */
	char message[1024];    /* lamb's own explanation, for the log; may be empty */
	uint64_t start_ns, end_ns; /* hand-over to answer; 0 when never handed over */
	double init_ms;        /* < 0: warm */
	bool restored;         /* init_ms is a SnapStart restore's (engine/snapstart.h) */
	long memory_used_mb;
	struct lamb_buf log_tail; /* with want_tail: its START line, output, ...; at least
				   * the last LAMB_LOG_TAIL_MAX bytes */
	/* pool's */
	struct lamb_invocation *next;
};

/* Runtime API traffic, for --debug: what is "next" (an event handed over
 * on /next), "response", "error" or "init/error"; len the body's bytes;
 * request_id NULL for init/error before any invocation. */
typedef void (*lamb_pool_trace_fn)(void *data, const struct lamb_function *fn, const char *what,
				   const char *request_id, size_t len);

struct lamb_pool_opts {
	int max_instances;          /* concurrency limit; 0: 10; < 0: none may run */
	bool throttle;              /* beyond the limit: THROTTLED, as Lambda; else queue */
	uint64_t idle_ms;           /* idle instances are reaped after this; 0: never */
	uint64_t init_timeout_ms;   /* 0: 10000 */
	bool no_stream_limits;      /* streams unpaced and unbounded (else 200 MiB, 2 MiB/s past 6 MiB) */
	FILE *log;                  /* START lines and lamb's notes; NULL: stderr */
	const struct lamb_bootstrap_opts *boot;
	lamb_pool_trace_fn trace;   /* may be NULL */
	void *trace_data;
	struct lamb_logstore *logs; /* every record also kept here (lamb logs); may be NULL */
};

/* What X-Amz-Log-Type: Tail returns: the last 4 KB of an invocation's log. */
#define LAMB_LOG_TAIL_MAX 4096

/* Records s in the log store (inv->logs) and appends it to inv's log tail
 * (when it wants one), dropping what is older than the last
 * LAMB_LOG_TAIL_MAX bytes now and then. */
void lamb_pool_tail_add(struct lamb_invocation *inv, const char *s, size_t n);

struct lamb_pool;

/* Fails at once when fn cannot run here for a reason that needs no disk
 * work (lamb_bootstrap_check, lamb_code_check). The code and bootstrap are
 * prepared at the first submit or prestart on a worker thread, so that
 * unzipping a large CodeUri or asking an interpreter shim never holds up
 * the loop; invocations wait in the queue meanwhile, as behind a cold
 * start. A preparation that fails answers them LAMB_OUTCOME_START_FAILED
 * with the reason, and the next submit prepares again. */
struct lamb_pool *lamb_pool_new(struct lamb_loop *loop, struct lamb_supervisor *sup,
				const struct lamb_function *fn, const struct lamb_pool_opts *opts,
				struct lamb_err *err);
/* Kills the instances; queued and running invocations are dropped without
 * their done call. Waits for a preparation under way. Accepts NULL. */
void lamb_pool_free(struct lamb_pool *p);
/* Takes inv (not owned) to an idle instance, one that has just answered
 * and is on its way back to /next, a new one, or (at the limit) the queue
 * or a THROTTLED outcome. */
void lamb_pool_submit(struct lamb_pool *p, struct lamb_invocation *inv);
const struct lamb_function *lamb_pool_function(const struct lamb_pool *p);
/* Starts one instance ahead of any invocation (warm containers EAGER),
 * unless one is already starting or idle; the next invocation takes it. */
void lamb_pool_prestart(struct lamb_pool *p);
/* For new code on disk: idle instances are discarded now, starting and
 * busy ones when they finish their current invocation (instead of going
 * idle); the next invocation starts a fresh instance. */
void lamb_pool_retire(struct lamb_pool *p);
/* The shutdown phase of every idle instance with extensions: SHUTDOWN
 * (spindown) to its extensions, and its process killed once they are
 * done, have exited, or 2 s have passed. lamb_pool_shut says when none is
 * left; lamb_pool_free kills what is. */
void lamb_pool_shutdown(struct lamb_pool *p);
bool lamb_pool_shut(const struct lamb_pool *p);
/* Live instances (starting, idle or busy). */
int lamb_pool_instances(const struct lamb_pool *p);

/* One live instance as the dashboard shows it. */
struct lamb_instance_info {
	const char *state;      /* "initialising", "idle", "busy" */
	int pid;
	double age_s;
	long invocations;       /* served so far */
	long max_memory_mb;     /* peak resident memory so far */
	bool debug;             /* started under the debugger (-d) */
};
typedef void (*lamb_instance_fn)(void *data, const struct lamb_function *fn, const struct lamb_instance_info *i);
/* Calls cb for each live instance of p. */
void lamb_pool_each_instance(struct lamb_pool *p, lamb_instance_fn cb, void *data);

#endif
