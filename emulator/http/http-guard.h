/* What the front ends' HTTP server refuses or sheds before a request
 * reaches a handler: request heads that libmicrohttpd 0.9.75 parses
 * leniently (request smuggling, folded or CR-broken headers), and
 * connections that hold a slot without sending a request (slowloris).
 * Internal to the http layer. */
#ifndef LAMB_HTTP_GUARD_H
#define LAMB_HTTP_GUARD_H

#include "base/loop.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct lamb_http_sock;

struct lamb_http_guard {
	struct lamb_loop *loop;
	size_t limit;  /* connections kept; the oldest idle one goes beyond */
	size_t nconns;
	struct lamb_http_sock *idle, *idle_tail; /* waiting for a request head, oldest first */
	struct lamb_timer sweep;
};

/* A request head's check, fed header by header (as libmicrohttpd parsed
 * them, in order: one pass serves the check and the request's copy). */
struct lamb_http_head_check {
	const char *why;    /* set once the head is refused */
	const char *length; /* Content-Length */
	bool chunked;       /* Transfer-Encoding: chunked */
};

/* One header; false once the head is refused. value is never NULL. */
bool lamb_http_guard_header(struct lamb_http_head_check *h, const char *name, const char *value);
/* After the last header: why the head (with its raw URI) must be refused
 * with 400, or NULL when it is fine. */
const char *lamb_http_guard_head_end(struct lamb_http_head_check *h, const char *uri);

/* limit 0: a default that leaves file descriptors for the instances. */
void lamb_http_guard_init(struct lamb_http_guard *g, struct lamb_loop *loop, size_t limit);
/* Cancels the sweep; the daemon frees the connections. Accepts NULL. */
void lamb_http_guard_release(struct lamb_http_guard *g);
/* The daemon's connection limit: above the guard's, so that the guard
 * sees the connection that must evict another. */
unsigned lamb_http_guard_daemon_limit(const struct lamb_http_guard *g);

/* MHD_OPTION_EXTERNAL_LOGGER (with MHD_USE_ERROR_LOG) with the guard as
 * its closure: answers a malformed Content-Length in libmicrohttpd's
 * place, whose own page carries its headers twice; prints nothing. */
void lamb_http_guard_log(void *cls, const char *fmt, va_list ap);
/* MHD_OPTION_NOTIFY_CONNECTION with the guard as its closure. */
void lamb_http_guard_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
			    enum MHD_ConnectionNotificationCode toe);
/* The request line arrived: the rest of the head is due soon. */
void lamb_http_guard_line(struct MHD_Connection *mc);
/* The head is complete: the connection is working, not idle. */
void lamb_http_guard_busy(struct MHD_Connection *mc);
/* The request ended; the connection (kept alive) waits for the next. */
void lamb_http_guard_idle(struct MHD_Connection *mc);

#endif
