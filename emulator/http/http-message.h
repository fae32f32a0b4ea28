/* HTTP messages as plain structs: a request as the front ends receive it
 * and a response as they send it, with no server and no API Gateway in
 * them. The HTTP servers fill requests and send responses; API Gateway
 * and the Invoke API translate between these and a function's event.
 * A request's path and query keep their escapes: whoever reads them
 * decodes them with base/url.h. */
#ifndef LAMB_HTTP_MESSAGE_H
#define LAMB_HTTP_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lamb_header {
	char *name;
	char *value;
};

/* A request as received; everything borrowed from the caller. */
struct lamb_http_request {
	const char *method;
	const char *path;  /* as received, without the query; percent-escapes kept */
	const char *query; /* raw query string without '?', or NULL */
	const struct lamb_header *headers; /* in arrival order, names as sent */
	size_t nheaders;
	const void *body;
	size_t body_len;
	const char *source_ip;
	const char *protocol; /* "HTTP/1.1" */
	int64_t time_ms;      /* when it arrived, epoch ms */
};

struct lamb_http_response {
	int status;
	struct lamb_header *headers; /* owned; Set-Cookie may repeat */
	size_t nheaders, cap;
	char *body; /* owned, may hold NUL bytes */
	size_t body_len;
};

/* The value of the last header named name (case-insensitively) among the
 * n of h, or NULL: repeats are rare, and the last one wins as in API
 * Gateway's single-value maps. */
const char *lamb_header_find(const struct lamb_header *h, size_t n, const char *name);
/* The same among req's headers. */
static inline const char *lamb_http_request_header(const struct lamb_http_request *req, const char *name)
{
	return lamb_header_find(req->headers, req->nheaders, name);
}

void lamb_http_response_init(struct lamb_http_response *r);
void lamb_http_response_release(struct lamb_http_response *r);
void lamb_http_response_add_header(struct lamb_http_response *r, const char *name, const char *value);
/* Replaces the response with a JSON message, {"message":"..."}. */
void lamb_http_response_message(struct lamb_http_response *r, int status, const char *message);
/* The same with lamb's own explanation beside it, {"message": ...,
 * "lambError": why}, for failures API Gateway never sees (lamb could not
 * start or build the function); why may be NULL. */
void lamb_http_response_explain(struct lamb_http_response *r, int status, const char *message, const char *why);

#endif
