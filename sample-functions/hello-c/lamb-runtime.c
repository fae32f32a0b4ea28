/* Runtime API client: HTTP/1.1 by hand, just enough of it (Content-Length
 * bodies, which is what the Runtime API sends), reconnecting once when the
 * server closed the kept-alive connection. Answers are read from the front
 * of one buffer; bytes after an answer (a pipelined one) stay for the next. */
#include "lamb-runtime.h"

#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define BASE "/2018-06-01/runtime/"

int lamb_runtime_init(struct lamb_runtime *rt)
{
	memset(rt, 0, sizeof(*rt));
	rt->fd = -1;
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	const char *colon = api ? strrchr(api, ':') : NULL;
	if (!colon || (size_t)(colon - api) >= sizeof(rt->host) || strlen(colon + 1) >= sizeof(rt->port))
		return -1;
	memcpy(rt->host, api, (size_t)(colon - api));
	strcpy(rt->port, colon + 1);
	return 0;
}

void lamb_runtime_release(struct lamb_runtime *rt)
{
	if (rt->fd >= 0)
		close(rt->fd);
	free(rt->buf);
	rt->fd = -1;
	rt->buf = NULL;
}

static int connect_api(struct lamb_runtime *rt)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
	if (getaddrinfo(rt->host, rt->port, &hints, &ai) != 0)
		return -1;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rt->fd = fd;
	rt->len = 0;
	return 0;
}

static int send_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int fill(struct lamb_runtime *rt)
{
	if (rt->cap - rt->len < 65536) {
		rt->cap = rt->cap ? rt->cap * 2 : 131072;
		rt->buf = realloc(rt->buf, rt->cap);
		if (!rt->buf)
			abort();
	}
	ssize_t n;
	do
		n = read(rt->fd, rt->buf + rt->len, rt->cap - rt->len - 1);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	rt->len += (size_t)n;
	rt->buf[rt->len] = '\0';
	return 0;
}

/* Finds header name in the head [buf, end); copies its value. */
static int header(const char *buf, const char *end, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	for (const char *p = buf; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			size_t vl = (size_t)(eol - v);
			if (vl && v[vl - 1] == '\r')
				vl--;
			if (vl >= n)
				vl = n - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 0;
		}
		p = eol + 1;
	}
	if (n)
		out[0] = '\0';
	return -1;
}

/* Drops the last answer from the front of the buffer. */
static void consume(struct lamb_runtime *rt)
{
	if (!rt->used)
		return;
	memmove(rt->buf, rt->buf + rt->used, rt->len - rt->used);
	rt->len -= rt->used;
	rt->buf[rt->len] = '\0';
	rt->used = 0;
}

/* Reads one answer to the front of rt->buf: the head, then the body at
 * *body_off. first: fail quietly (-2) when the connection is found closed
 * before any byte, so that the caller may reconnect and send again.
 * Returns the status, or -1. */
static int read_answer(struct lamb_runtime *rt, bool first, size_t *body_off, size_t *body_len)
{
	char *end;
	consume(rt);
	while (!rt->len || !(end = strstr(rt->buf, "\r\n\r\n")))
		if (fill(rt) < 0)
			return first && !rt->len ? -2 : -1;
	size_t off = (size_t)(end + 4 - rt->buf);
	char cl[32];
	size_t want = header(rt->buf, end + 2, "Content-Length", cl, sizeof(cl)) == 0 ? strtoul(cl, NULL, 10) : 0;
	while (rt->len - off < want)
		if (fill(rt) < 0)
			return -1;
	*body_off = off;
	*body_len = want;
	rt->used = off + want;
	rt->status = atoi(rt->buf + 9);
	return rt->status;
}

static int put_head(struct lamb_runtime *rt, char *head, size_t n, const char *method, const char *path,
		    const char *extra, size_t len)
{
	return snprintf(head, n, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n%sContent-Length: %zu\r\n\r\n",
			method, path, rt->host, rt->port, extra ? extra : "", len);
}

/* Sends one request (and, with next, a /next behind it) and reads the
 * answer to the first. Returns the status or -1. */
static int send_request(struct lamb_runtime *rt, const char *method, const char *path, const char *extra,
			const void *body, size_t len, bool next, size_t *body_off, size_t *body_len)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (rt->fd < 0 && connect_api(rt) < 0)
			return -1;
		char head[1024], head2[256];
		int hl = put_head(rt, head, sizeof(head), method, path, extra, len);
		int hl2 = next ? snprintf(head2, sizeof(head2), "GET " BASE "invocation/next HTTP/1.1\r\nHost: %s:%s\r\n\r\n",
					  rt->host, rt->port) : 0;
		struct iovec iov[3] = { { head, (size_t)hl }, { (void *)body, len }, { head2, (size_t)hl2 } };
		int st = -2;
		if (send_all(rt->fd, iov, next ? 3 : len ? 2 : 1) == 0)
			st = read_answer(rt, true, body_off, body_len);
		if (st != -2)
			return st;
		close(rt->fd);
		rt->fd = -1;
		rt->len = rt->used = 0; /* the server closed the kept-alive connection: once more */
	}
	return -1;
}

static int request(struct lamb_runtime *rt, const char *method, const char *path, const char *extra,
		   const void *body, size_t len, size_t *body_off, size_t *body_len)
{
	return send_request(rt, method, path, extra, body, len, false, body_off, body_len);
}

static void fill_event(struct lamb_runtime *rt, size_t off, size_t len, struct lamb_runtime_event *ev)
{
	char *end = rt->buf + off;
	char dl[32];
	header(rt->buf, end, "Lambda-Runtime-Aws-Request-Id", ev->request_id, sizeof(ev->request_id));
	header(rt->buf, end, "Lambda-Runtime-Invoked-Function-Arn", ev->function_arn, sizeof(ev->function_arn));
	header(rt->buf, end, "Lambda-Runtime-Trace-Id", ev->trace_id, sizeof(ev->trace_id));
	header(rt->buf, end, "Lambda-Runtime-Deadline-Ms", dl, sizeof(dl));
	ev->deadline_ms = strtoull(dl, NULL, 10);
	ev->body = rt->buf + off;
	ev->len = len;
	ev->body[len] = '\0'; /* nothing follows it: no request is sent behind a /next */
}

int lamb_runtime_next(struct lamb_runtime *rt, struct lamb_runtime_event *ev)
{
	size_t off, len;
	if (request(rt, "GET", BASE "invocation/next", NULL, NULL, 0, &off, &len) != 200)
		return -1;
	fill_event(rt, off, len, ev);
	return 0;
}

int lamb_runtime_respond_next(struct lamb_runtime *rt, const char *request_id, const void *body, size_t len,
			      struct lamb_runtime_event *ev)
{
	char path[160];
	size_t off, blen;
	snprintf(path, sizeof(path), BASE "invocation/%s/response", request_id);
	int st = send_request(rt, "POST", path, NULL, body, len, true, &off, &blen);
	if (st < 0 || read_answer(rt, false, &off, &blen) != 200)
		return -1;
	fill_event(rt, off, blen, ev);
	return st;
}

int lamb_runtime_respond(struct lamb_runtime *rt, const char *request_id, const void *body, size_t len)
{
	char path[160];
	size_t off, blen;
	snprintf(path, sizeof(path), BASE "invocation/%s/response", request_id);
	return request(rt, "POST", path, NULL, body, len, &off, &blen);
}

static int post_error(struct lamb_runtime *rt, const char *path, const char *type, const char *message)
{
	char body[2048], extra[256];
	size_t off, blen;
	int n = snprintf(body, sizeof(body), "{\"errorMessage\":\"%s\",\"errorType\":\"%s\",\"stackTrace\":[]}",
			 message, type);
	snprintf(extra, sizeof(extra), "Lambda-Runtime-Function-Error-Type: %s\r\n", type);
	return request(rt, "POST", path, extra, body, (size_t)n, &off, &blen);
}

int lamb_runtime_error(struct lamb_runtime *rt, const char *request_id, const char *type, const char *message)
{
	char path[160];
	snprintf(path, sizeof(path), BASE "invocation/%s/error", request_id);
	return post_error(rt, path, type, message);
}

int lamb_runtime_init_error(struct lamb_runtime *rt, const char *type, const char *message)
{
	return post_error(rt, BASE "init/error", type, message);
}

/* --- streaming mode --- */

int lamb_runtime_stream_begin(struct lamb_runtime *rt, const char *request_id, const char *content_type)
{
	char head[1024];
	if (rt->fd < 0 && connect_api(rt) < 0)
		return -1;
	int n = snprintf(head, sizeof(head), "POST " BASE "invocation/%s/response HTTP/1.1\r\nHost: %s:%s\r\n"
			 "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n"
			 "Content-Type: %s\r\n"
			 "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n",
			 request_id, rt->host, rt->port, content_type ? content_type : "application/octet-stream");
	struct iovec iov = { head, (size_t)n };
	return send_all(rt->fd, &iov, 1);
}

int lamb_runtime_stream_write(struct lamb_runtime *rt, const void *data, size_t len)
{
	char size[24];
	if (!len)
		return 0; /* a chunk of 0 would end the body */
	int n = snprintf(size, sizeof(size), "%zx\r\n", len);
	struct iovec iov[3] = { { size, (size_t)n }, { (void *)data, len }, { "\r\n", 2 } };
	return send_all(rt->fd, iov, 3);
}

static size_t base64(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

int lamb_runtime_stream_end(struct lamb_runtime *rt, const char *type, const char *message)
{
	char doc[2048], b64[2800], tail[3200];
	int n = snprintf(tail, sizeof(tail), "0\r\n\r\n");
	if (type) {
		int dl = snprintf(doc, sizeof(doc), "{\"errorMessage\":\"%s\",\"errorType\":\"%s\",\"stackTrace\":[]}",
				  message ? message : "", type);
		base64((const unsigned char *)doc, (size_t)dl < sizeof(doc) ? (size_t)dl : sizeof(doc) - 1, b64);
		n = snprintf(tail, sizeof(tail), "0\r\nLambda-Runtime-Function-Error-Type: %s\r\n"
			     "Lambda-Runtime-Function-Error-Body: %s\r\n\r\n", type, b64);
	}
	struct iovec iov = { tail, (size_t)n };
	size_t off, len;
	if (send_all(rt->fd, &iov, 1) < 0)
		return -1;
	return read_answer(rt, false, &off, &len);
}
