/* A small client for the Lambda Runtime API, for bootstraps written in C:
 * one persistent keep-alive HTTP/1.1 connection to $AWS_LAMBDA_RUNTIME_API
 * over plain sockets (no libcurl), blocking calls, no threads. Used by the
 * test fixture and the hello-c sample; it has no dependency on lamb. */
#ifndef LAMB_RUNTIME_CLIENT_H
#define LAMB_RUNTIME_CLIENT_H

#include <stddef.h>
#include <stdint.h>

struct lamb_runtime {
	int fd;
	char host[64];
	char port[16];
	char *buf;       /* received bytes */
	size_t len, cap;
	size_t used;     /* bytes of buf the last answer took */
	int status;      /* status code of the last answer */
};

/* One event from /next. body is NUL-terminated and valid until the next
 * call to lamb_runtime_next. */
struct lamb_runtime_event {
	char request_id[64];
	char function_arn[256];
	char trace_id[256];
	uint64_t deadline_ms;
	char *body;
	size_t len;
};

/* Reads AWS_LAMBDA_RUNTIME_API; -1 when it is missing or malformed. */
int lamb_runtime_init(struct lamb_runtime *rt);
void lamb_runtime_release(struct lamb_runtime *rt);
/* Blocks until the next event; -1 on a transport failure. */
int lamb_runtime_next(struct lamb_runtime *rt, struct lamb_runtime_event *ev);
/* Each returns the HTTP status (202, 400, 403, 413), or -1. */
int lamb_runtime_respond(struct lamb_runtime *rt, const char *request_id, const void *body, size_t len);
/* lamb_runtime_respond and lamb_runtime_next in one write (HTTP/1.1
 * pipelining), the loop of a bootstrap that answers and waits again at
 * once: one syscall and one wake-up less per invocation on both sides.
 * body may point into the last event. Returns the status of the answer
 * with ev filled by the next event, or -1 (ev is not filled). */
int lamb_runtime_respond_next(struct lamb_runtime *rt, const char *request_id, const void *body, size_t len,
			      struct lamb_runtime_event *ev);
int lamb_runtime_error(struct lamb_runtime *rt, const char *request_id, const char *type, const char *message);
int lamb_runtime_init_error(struct lamb_runtime *rt, const char *type, const char *message);

/* A response in the Runtime API's streaming mode (what InvokeWithResponseStream
 * and Function URLs pass on as it is written): begin sends the head
 * (content_type NULL: application/octet-stream), each write one chunk at
 * once, end the last chunk. With type, end reports an error after what was
 * written, in the error trailers (message is a plain string). The
 * connection is the stream's until end. begin and write return 0 or -1,
 * end the status of the answer (202) or -1. */
int lamb_runtime_stream_begin(struct lamb_runtime *rt, const char *request_id, const char *content_type);
int lamb_runtime_stream_write(struct lamb_runtime *rt, const void *data, size_t len);
int lamb_runtime_stream_end(struct lamb_runtime *rt, const char *type, const char *message);

#endif
