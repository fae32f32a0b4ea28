/* The Lambda Runtime API (2018-06-01) served to one instance: its own
 * small HTTP/1.1 server on its own listening socket on 127.0.0.1 (which is
 * how a call is attributed to an instance), its sockets watched by the loop.
 * /next long-polls by leaving the connection unanswered, so a waiting
 * runtime costs no thread. Request-id and state checks, 6 MiB limits and
 * the exact answers of runtime-api.md live here; what an answer means for
 * the invocation is the owner's business (pool.c). */
#ifndef LAMB_RUNTIME_API_H
#define LAMB_RUNTIME_API_H

#include "base/err.h"
#include "base/loop.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest response or error body a runtime may post: 6 MiB + 100 bytes. */
#define LAMB_RAPI_MAX_RESPONSE (6 * 1024 * 1024 + 100)

struct lamb_rapi;
/* An Extensions API request waiting for its reply (lamb_rapi_reply). */
struct lamb_rapi_call;

/* A request to the Extensions API (2020-01-01) or the Telemetry API
 * (2022-07-01), which share the Runtime API's address. Strings are valid
 * during the call only; missing headers are "". */
struct lamb_rapi_ext_req {
	const char *method;     /* "GET", "POST", "PUT" */
	const char *path;       /* "/2020-01-01/extension/register" */
	const char *name;       /* Lambda-Extension-Name */
	const char *id;         /* Lambda-Extension-Identifier */
	const char *error_type; /* Lambda-Extension-Function-Error-Type */
	const char *body;
	size_t len;
};

enum lamb_rapi_answer {
	LAMB_RAPI_RESPONSE,  /* /response: body is the result */
	LAMB_RAPI_ERROR,     /* /error: body is the error document */
	LAMB_RAPI_TOO_LARGE, /* /response or /error above the limit: 413 was sent */
	LAMB_RAPI_STREAMED,  /* a streamed /response ended: its bytes went to stream_data;
			      * body and error_type are the error trailers, when it failed */
};

struct lamb_rapi_ops {
	/* The runtime called /next and nothing is pending: it is idle now. The
	 * owner may call lamb_rapi_deliver from here. */
	void (*next)(void *owner);
	/* A valid answer to the current request id. body is valid during the
	 * call only; error_type is the Lambda-Runtime-Function-Error-Type header
	 * or NULL. */
	void (*answer)(void *owner, enum lamb_rapi_answer kind, const char *body, size_t len,
		       const char *error_type);
	/* /init/error before the first /next. */
	void (*init_error)(void *owner, const char *body, size_t len, const char *error_type);
	/* Optional: whether the peer of the new connection fd may use this
	 * Runtime API. A connection it refuses is closed before anything is
	 * read or sent. */
	bool (*peer)(void *owner, int fd);
	/* A /response in streaming mode (Lambda-Runtime-Function-Response-Mode:
	 * streaming) began: content_type is its Content-Type, or NULL. Its body
	 * then comes to stream_data piece by piece as it is read, and its end
	 * to answer (LAMB_RAPI_STREAMED). Without stream_begin, streamed
	 * responses are read whole like any other. */
	void (*stream_begin)(void *owner, const char *content_type);
	void (*stream_data)(void *owner, const char *data, size_t len);
	/* Optional: an Extensions or Telemetry API request, to be answered
	 * with lamb_rapi_reply, now or later (event/next long-polls); without
	 * it they get 404. */
	void (*ext)(void *owner, struct lamb_rapi_call *call, const struct lamb_rapi_ext_req *req);
	/* The connection of a call not yet replied to closed: call is gone. */
	void (*ext_gone)(void *owner, struct lamb_rapi_call *call);
};

/* What /next hands over. Strings are copied; body must stay valid until the
 * request is answered, lamb_rapi_deliver is called again, or the rapi is
 * freed. */
struct lamb_rapi_event {
	const char *request_id;
	uint64_t deadline_ms; /* epoch ms */
	const char *function_arn;
	const char *trace_id;
	const char *client_context;   /* NULL: no header */
	const char *cognito_identity; /* NULL: no header */
	const char *tenant_id;        /* TenancyConfig's tenant; NULL: no header */
	const char *body;
	size_t len;
};

/* Largest streamed response: 200 MiB; the stream is cut there. */
#define LAMB_RAPI_MAX_STREAM (200 * 1024 * 1024)
/* Streamed bytes read at full speed; past them, at most LAMB_RAPI_STREAM_RATE
 * bytes a second (Lambda's 2 MiB/s), unless lamb_rapi_unshaped. */
#define LAMB_RAPI_STREAM_BURST (6 * 1024 * 1024)
#define LAMB_RAPI_STREAM_RATE (2 * 1024 * 1024)

/* Listens on 127.0.0.1 on a free port. NULL with err on failure. */
struct lamb_rapi *lamb_rapi_new(struct lamb_loop *loop, const struct lamb_rapi_ops *ops, void *owner,
				struct lamb_err *err);
/* Stops the daemon and closes its sockets. Never call it from inside one of
 * its own callbacks: defer it (lamb_loop_defer). Accepts NULL. */
void lamb_rapi_free(struct lamb_rapi *r);
/* The value of AWS_LAMBDA_RUNTIME_API: "127.0.0.1:PORT". */
const char *lamb_rapi_address(const struct lamb_rapi *r);

/* Makes ev the current event: answers a waiting /next now, or the next one. */
void lamb_rapi_deliver(struct lamb_rapi *r, const struct lamb_rapi_event *ev);
/* Answers a call of ops->ext; headers: more header lines, each ending in
 * CRLF, or NULL. The body is copied. */
void lamb_rapi_reply(struct lamb_rapi_call *call, int status, const char *headers, const char *body, size_t len);
/* Streams are read at full speed to the end (--no-stream-limits). */
void lamb_rapi_unshaped(struct lamb_rapi *r);
/* True after the first /next. */
int lamb_rapi_initialized(const struct lamb_rapi *r);

#endif
