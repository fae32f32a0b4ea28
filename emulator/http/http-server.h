/* A small HTTP/1.1 server on lamb's loop for the front ends (start-api,
 * start-lambda): libmicrohttpd in external epoll mode, requests collected
 * whole (raw URI, headers in order, body up to a limit), handed to one
 * handler, and answered either at once or later from the loop, whole or
 * streamed (chunked, piece by piece); a request not answered when the
 * handler returns is suspended until it is. */
#ifndef LAMB_HTTP_SERVER_H
#define LAMB_HTTP_SERVER_H

#include "base/err.h"
#include "base/loop.h"
#include "http/http-message.h"

#include <stdint.h>

struct lamb_http_server;
struct lamb_http_conn; /* one request; valid until it is answered */

typedef void (*lamb_http_handler)(void *data, struct lamb_http_conn *c);

struct lamb_http_server_opts {
	const char *host;    /* NULL: 127.0.0.1 */
	int port;            /* 0: any free port */
	size_t max_body;     /* larger bodies are dropped and flagged (too_large) */
	size_t max_conns;    /* 0: 1,000 (fewer when file descriptors are short);
			      * one more evicts the oldest idle connection */
	lamb_http_handler handler;
	void *data;
};

struct lamb_http_server *lamb_http_server_new(struct lamb_loop *loop, const struct lamb_http_server_opts *o,
					      struct lamb_err *err);
/* Requests not yet answered get 502; call it when nothing can answer them
 * any more. Accepts NULL. */
void lamb_http_server_free(struct lamb_http_server *s);
int lamb_http_server_port(const struct lamb_http_server *s);
/* Requests waiting for an answer. */
int lamb_http_server_pending(const struct lamb_http_server *s);

/* The request: a plain view for the front ends (time_ms set at arrival). The
 * returned struct and its strings live as long as the request. */
const struct lamb_http_request *lamb_http_request(struct lamb_http_conn *c);
/* The raw URI (path and query) as received. */
const char *lamb_http_uri(const struct lamb_http_conn *c);
/* Last value of a header (case-insensitive), or NULL. */
const char *lamb_http_header(const struct lamb_http_conn *c, const char *name);
bool lamb_http_too_large(const struct lamb_http_conn *c);
/* Nanoseconds (CLOCK_MONOTONIC) when the request arrived. */
uint64_t lamb_http_start_ns(const struct lamb_http_conn *c);

/* Sends r (copied) and ends the request; from the handler or, later, from
 * any loop callback. Exactly once per request. */
void lamb_http_reply(struct lamb_http_conn *c, const struct lamb_http_response *r);

/* A streamed answer instead of lamb_http_reply: the head (r's status and
 * headers; its body is ignored) goes out now, chunked, and the body as
 * lamb_http_stream_write brings it, each piece sent on the next turn of the
 * loop. closed(data) is called when the client goes before
 * lamb_http_stream_end; c is gone then. */
void lamb_http_stream_start(struct lamb_http_conn *c, const struct lamb_http_response *r,
			    void (*closed)(void *data), void *data);
void lamb_http_stream_write(struct lamb_http_conn *c, const void *bytes, size_t len);
/* The last piece is written: c is the server's again, not to be used. */
void lamb_http_stream_end(struct lamb_http_conn *c);

#endif
