/* The front ends' HTTP server. A request's life: the URI log callback
 * allocates its state with the raw URI (libmicrohttpd would otherwise hand
 * us the path unescaped and the query parsed); the body is collected up to
 * the limit; the handler runs once; an answer given later resumes the
 * suspended connection and schedules a daemon run, because libmicrohttpd
 * only serves a resumed connection on its next MHD_run. A streamed answer
 * is a callback response whose reader suspends the connection when it has
 * nothing to send, and each write resumes it. */
#include "base/util.h"
#include "http/http-guard.h"
#include "http/http-server.h"
#include "http/mhd-loop.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct lamb_http_server {
	struct lamb_loop *loop;
	struct lamb_http_server_opts opts;
	struct MHD_Daemon *daemon;
	struct lamb_mhd mhd;
	struct lamb_http_guard guard;
	int port;
	struct lamb_http_conn *suspended;
	int pending;
};

struct lamb_http_conn {
	struct lamb_http_server *s;
	struct MHD_Connection *conn;
	char *uri;
	char *path;
	struct lamb_buf body;
	bool too_large;
	bool dispatched;
	bool suspended;
	struct MHD_Response *answer; /* ready to queue */
	unsigned status;
	struct lamb_header *headers;
	size_t nheaders, cap;
	struct lamb_http_head_check check;
	char ip[64];
	struct lamb_http_request req;
	uint64_t start_ns;
	struct lamb_http_conn *next, *prev;
	/* a streamed answer */
	struct lamb_buf out;
	size_t out_off;
	bool streaming, ended, starved;
	void (*closed)(void *data);
	void *closed_data;
};

static void unlink_conn(struct lamb_http_conn *c)
{
	struct lamb_http_server *s = c->s;
	if (!c->suspended)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->suspended = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	c->suspended = false;
	s->pending--;
}

static void conn_free(struct lamb_http_conn *c)
{
	if (c->answer)
		MHD_destroy_response(c->answer);
	lamb_buf_release(&c->body);
	lamb_buf_release(&c->out);
	free(c->headers);
	free(c->uri);
	free(c->path);
	free(c);
}

void lamb_http_reply(struct lamb_http_conn *c, const struct lamb_http_response *r)
{
	struct MHD_Response *m = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_COPY);
	for (size_t i = 0; m && i < r->nheaders; i++)
		MHD_add_response_header(m, r->headers[i].name, r->headers[i].value);
	c->answer = m;
	c->status = (unsigned)r->status;
	if (c->suspended) {
		struct lamb_http_server *s = c->s;
		unlink_conn(c);
		MHD_resume_connection(c->conn);
		lamb_mhd_run_soon(&s->mhd);
	}
}

/* --- streamed answers --- */

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct lamb_http_conn *c = cls;
	(void)pos;
	size_t n = c->out.len - c->out_off;
	if (n) {
		n = n < max ? n : max;
		memcpy(buf, c->out.data + c->out_off, n);
		c->out_off += n;
		if (c->out_off == c->out.len)
			c->out.len = c->out_off = 0;
		return (ssize_t)n;
	}
	if (c->ended)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* nothing to send: off the loop until the next write */
	c->starved = true;
	MHD_suspend_connection(c->conn);
	return 0;
}

static void wake(struct lamb_http_conn *c)
{
	if (!c->starved)
		return;
	c->starved = false;
	MHD_resume_connection(c->conn);
	lamb_mhd_run_soon(&c->s->mhd);
}

void lamb_http_stream_start(struct lamb_http_conn *c, const struct lamb_http_response *r,
			    void (*closed)(void *data), void *data)
{
	struct MHD_Response *m = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read_stream, c, NULL);
	for (size_t i = 0; m && i < r->nheaders; i++)
		MHD_add_response_header(m, r->headers[i].name, r->headers[i].value);
	c->streaming = true;
	c->closed = closed;
	c->closed_data = data;
	c->answer = m;
	c->status = (unsigned)r->status;
	if (c->suspended) {
		unlink_conn(c);
		MHD_resume_connection(c->conn);
		lamb_mhd_run_soon(&c->s->mhd);
	}
}

void lamb_http_stream_write(struct lamb_http_conn *c, const void *bytes, size_t len)
{
	lamb_buf_add(&c->out, bytes, len);
	wake(c);
}

void lamb_http_stream_end(struct lamb_http_conn *c)
{
	c->ended = true;
	c->closed = NULL;
	wake(c);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct lamb_http_conn *c = cls;
	(void)kind;
	value = value ? value : "";
	c->headers = xgrow(c->headers, &c->cap, c->nheaders + 1, sizeof(*c->headers));
	c->headers[c->nheaders].name = (char *)key;
	c->headers[c->nheaders].value = (char *)value;
	c->nheaders++;
	return lamb_http_guard_header(&c->check, key, value) ? MHD_YES : MHD_NO;
}

/* An IPv4 address in dotted decimal, as getnameinfo's NI_NUMERICHOST
 * writes it (which cost 1,800 instructions a request, through sprintf). */
static void ipv4_text(const struct sockaddr_in *sin, char *out)
{
	const unsigned char *a = (const unsigned char *)&sin->sin_addr;
	for (int i = 0; i < 4; i++) {
		if (a[i] >= 100)
			*out++ = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			*out++ = (char)('0' + a[i] / 10 % 10);
		*out++ = (char)('0' + a[i] % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

static void client_ip(struct lamb_http_conn *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(c->ip, sizeof(c->ip), "127.0.0.1");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		ipv4_text((const struct sockaddr_in *)sa, c->ip);
		return;
	}
	socklen_t sl = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (getnameinfo(sa, sl, c->ip, sizeof(c->ip), NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(c->ip, sizeof(c->ip), "127.0.0.1");
}

static void fill_request(struct lamb_http_conn *c, const char *method, const char *version)
{
	const char *q = strchr(c->uri, '?');
	c->path = q ? xstrndup(c->uri, (size_t)(q - c->uri)) : xstrdup(c->uri);
	client_ip(c);
	c->req = (struct lamb_http_request){
		.method = method, .path = c->path, .query = q ? q + 1 : NULL,
		.headers = c->headers, .nheaders = c->nheaders,
		.body = c->body.data ? c->body.data : "", .body_len = c->body.len,
		.source_ip = c->ip, .protocol = version, .time_ms = (int64_t)lamb_loop_wall_ms(),
	};
}

/* 400 and close: what follows a malformed head cannot be trusted to
 * start where the next request does. */
static enum MHD_Result refuse(struct MHD_Connection *mc, const char *why)
{
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	lamb_http_response_explain(&r, 400, "Bad Request", why);
	struct MHD_Response *m = MHD_create_response_from_buffer(r.body_len, r.body, MHD_RESPMEM_MUST_COPY);
	lamb_http_response_release(&r);
	if (!m)
		return MHD_NO;
	MHD_add_response_header(m, "Content-Type", "application/json");
	MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result rc = MHD_queue_response(mc, MHD_HTTP_BAD_REQUEST, m);
	MHD_destroy_response(m);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct lamb_http_server *s = cls;
	struct lamb_http_conn *c = *con_cls;
	(void)url;
	if (!c)
		return MHD_NO;
	if (!c->conn) { /* first call: the headers are in */
		c->conn = mc;
		lamb_http_guard_busy(mc);
		/* headers live as long as the request: collected and checked once */
		MHD_get_connection_values(mc, MHD_HEADER_KIND, collect_header, c);
		const char *why = lamb_http_guard_head_end(&c->check, c->uri);
		return why ? refuse(mc, why) : MHD_YES;
	}
	if (*upload_size) {
		if (c->body.len + *upload_size > s->opts.max_body)
			c->too_large = true;
		else
			lamb_buf_add(&c->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (!c->dispatched) {
		c->dispatched = true;
		fill_request(c, method, version);
		s->opts.handler(s->opts.data, c);
	}
	if (!c->answer) {
		if (!c->suspended) {
			c->suspended = true;
			c->next = s->suspended;
			if (s->suspended)
				s->suspended->prev = c;
			s->suspended = c;
			s->pending++;
			MHD_suspend_connection(mc);
		}
		return MHD_YES;
	}
	/* What was logged for an answer precedes it, whether it was made now
	 * or came after a suspension; flushing here rather than before each
	 * daemon run leaves a new request's START line to go out with the
	 * lines of the answers that follow it (bench/README). */
	lamb_loop_flush(s->mhd.loop);
	return MHD_queue_response(mc, c->status, c->answer);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct lamb_http_conn *c = xcalloc(1, sizeof(*c));
	lamb_http_guard_line(mc);
	c->s = cls;
	c->uri = xstrdup(uri);
	c->start_ns = lamb_loop_now_ns();
	return c;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct lamb_http_conn *c = *con_cls;
	(void)cls;
	(void)code;
	*con_cls = NULL;
	lamb_http_guard_idle(mc);
	if (c) {
		unlink_conn(c);
		if (c->closed)
			c->closed(c->closed_data); /* the client went mid-stream */
		conn_free(c);
	}
}

/* libmicrohttpd would decode %xx in the path; rawPath must stay raw. */
static size_t keep_escapes(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static int listen_on(const char *host, int port, int *bound, struct lamb_err *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char service[16];
	snprintf(service, sizeof(service), "%d", port);
	int rc = getaddrinfo(host, service, &hints, &ai);
	if (rc != 0)
		return lamb_err_set(err, "cannot resolve host '%s': %s", host, gai_strerror(rc));
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 511) < 0) {
		lamb_err_set(err, "cannot listen on %s:%d: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						: ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

struct lamb_http_server *lamb_http_server_new(struct lamb_loop *loop, const struct lamb_http_server_opts *o,
					      struct lamb_err *err)
{
	const char *host = o->host ? o->host : "127.0.0.1";
	int port = 0;
	int fd = listen_on(host, o->port, &port, err);
	if (fd < 0)
		return NULL;
	struct lamb_http_server *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->opts = *o;
	s->port = port;
	lamb_http_guard_init(&s->guard, loop, o->max_conns);
	s->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO | MHD_USE_ERROR_LOG,
				     0, NULL, NULL, on_request, s,
				     MHD_OPTION_EXTERNAL_LOGGER, lamb_http_guard_log, &s->guard, /* first: see its doc */
				     MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				     MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, s,
				     MHD_OPTION_NOTIFY_CONNECTION, lamb_http_guard_notify, &s->guard,
				     MHD_OPTION_CONNECTION_TIMEOUT, 60u,
				     MHD_OPTION_CONNECTION_LIMIT, lamb_http_guard_daemon_limit(&s->guard), MHD_OPTION_END);
	if (!s->daemon) {
		close(fd);
		free(s);
		lamb_err_set(err, "cannot start the HTTP server on %s:%d", host, port);
		return NULL;
	}
	if (lamb_mhd_attach(&s->mhd, loop, s->daemon, err) < 0) {
		lamb_http_server_free(s);
		return NULL;
	}
	return s;
}

void lamb_http_server_free(struct lamb_http_server *s)
{
	if (!s)
		return;
	lamb_mhd_detach(&s->mhd);
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	lamb_http_response_message(&r, 502, "Internal server error");
	while (s->suspended)
		lamb_http_reply(s->suspended, &r);
	lamb_http_response_release(&r);
	if (s->daemon) {
		MHD_run(s->daemon);
		MHD_stop_daemon(s->daemon);
	}
	lamb_mhd_detach(&s->mhd); /* the resumes above armed its timer again */
	lamb_http_guard_release(&s->guard);
	free(s);
}

int lamb_http_server_port(const struct lamb_http_server *s)
{
	return s->port;
}

int lamb_http_server_pending(const struct lamb_http_server *s)
{
	return s->pending;
}

const struct lamb_http_request *lamb_http_request(struct lamb_http_conn *c)
{
	return &c->req;
}

const char *lamb_http_uri(const struct lamb_http_conn *c)
{
	return c->uri;
}

const char *lamb_http_header(const struct lamb_http_conn *c, const char *name)
{
	return lamb_header_find(c->headers, c->nheaders, name);
}

bool lamb_http_too_large(const struct lamb_http_conn *c)
{
	return c->too_large;
}

uint64_t lamb_http_start_ns(const struct lamb_http_conn *c)
{
	return c->start_ns;
}
