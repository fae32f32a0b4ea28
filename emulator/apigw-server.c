/* The start-api server. A request's life: the URI log callback allocates
 * its state with the raw URI (libmicrohttpd would otherwise hand us the
 * path unescaped and the query parsed); the body is collected up to 6 MB;
 * then it is routed and either answered at once (403, 413, a preflight, a
 * static file) or suspended while its function runs. The invocation's
 * callback, or the 29 s integration timer, resumes it with the answer.
 * A request whose client vanished while suspended is freed by whichever of
 * "completed" and "callback" comes last. */
#include "apigw-server.h"
#include "apigw.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (6 * 1024 * 1024)

struct lamb_apigw_server {
	struct lamb_loop *loop;
	struct lamb_invoker *iv;
	const struct lamb_model *m;
	struct lamb_router *router;
	struct lamb_apigw_server_opts opts;
	struct MHD_Daemon *daemon;
	struct lamb_watch watch;
	struct lamb_timer timer;
	int port;
	struct areq *suspended; /* requests waiting for a function */
	int busy;
};

struct areq {
	struct lamb_apigw_server *s;
	struct MHD_Connection *conn;
	char *uri; /* raw, as received */
	struct lamb_buf body;
	bool too_large;
	bool started;      /* the function was invoked */
	bool answered;     /* response is ready to queue */
	bool in_flight;    /* invocation callback still to come */
	bool completed;    /* libmicrohttpd is done with the connection */
	struct lamb_http_response resp;
	const struct lamb_route *route;
	const char *function; /* for the access line */
	char request_id[40];
	uint64_t start_ns;
	struct lamb_timer timeout;
	struct areq *next, *prev;
};

static void run_daemon(void *data);

/* ---- bookkeeping ---- */

static void link_req(struct lamb_apigw_server *s, struct areq *q)
{
	q->next = s->suspended;
	q->prev = NULL;
	if (s->suspended)
		s->suspended->prev = q;
	s->suspended = q;
	s->busy++;
}

static void unlink_req(struct lamb_apigw_server *s, struct areq *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else if (s->suspended == q)
		s->suspended = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->next = q->prev = NULL;
	s->busy--;
}

static void areq_free(struct areq *q)
{
	lamb_buf_release(&q->body);
	lamb_http_response_release(&q->resp);
	free(q->uri);
	free(q);
}

/* ---- answering ---- */

static const char *reason_phrase(int status)
{
	const char *r = MHD_get_reason_phrase_for((unsigned)status);
	return r && *r ? r : "";
}

static void access_line(struct areq *q, const char *method)
{
	FILE *log = q->s->opts.log ? q->s->opts.log : stderr;
	char when[64];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	double ms = (double)(lamb_loop_now_ns() - q->start_ns) / 1e6;
	fprintf(log, "%s \"%s %s\" %d %s %zu %.2f ms%s%s\n", when, method, q->uri, q->resp.status,
		reason_phrase(q->resp.status), q->resp.body_len, ms, q->function ? " -> " : "",
		q->function ? q->function : "");
	fflush(log);
}

static enum MHD_Result queue(struct areq *q, const char *method)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(q->resp.body_len, q->resp.body,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	for (size_t i = 0; i < q->resp.nheaders; i++)
		MHD_add_response_header(r, q->resp.headers[i].name, q->resp.headers[i].value);
	if (q->request_id[0])
		MHD_add_response_header(r, "Apigw-Requestid", q->request_id);
	if (q->route) {
		const char *origin = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Origin");
		struct lamb_http_response cors;
		lamb_http_response_init(&cors);
		lamb_apigw_cors_headers(q->route->api, origin, false, &cors);
		for (size_t i = 0; i < cors.nheaders; i++)
			MHD_add_response_header(r, cors.headers[i].name, cors.headers[i].value);
		lamb_http_response_release(&cors);
	}
	enum MHD_Result ret = MHD_queue_response(q->conn, (unsigned)q->resp.status, r);
	MHD_destroy_response(r);
	access_line(q, method);
	return ret;
}

static void resume(struct areq *q)
{
	struct lamb_apigw_server *s = q->s;
	lamb_loop_timer_cancel(s->loop, &q->timeout);
	unlink_req(s, q);
	q->answered = true;
	MHD_resume_connection(q->conn);
	/* run the daemon after this callback returns: it may free q */
	lamb_loop_timer_set(s->loop, &s->timer, lamb_loop_now_ns(), run_daemon, s);
}

static void log_reason(struct areq *q, const char *what, const char *why)
{
	FILE *log = q->s->opts.log ? q->s->opts.log : stderr;
	fprintf(log, "lamb: %s %s: %s\n", q->function ? q->function : "request", what, why);
}

static void on_outcome(void *data, const struct lamb_outcome *o)
{
	struct areq *q = data;
	q->in_flight = false;
	if (q->completed) { /* the client went away; nobody to answer */
		areq_free(q);
		return;
	}
	if (q->answered) /* the integration timeout answered already */
		return;
	struct lamb_err err;
	if (o->kind == LAMB_OUTCOME_RESPONSE) {
		lamb_http_response_release(&q->resp);
		if (lamb_apigw_response(q->route, o->body, o->len, &q->resp, &err) < 0)
			log_reason(q, "returned an invalid response", err.msg);
	} else if (o->kind == LAMB_OUTCOME_THROTTLED) {
		/* API Gateway: a rejected invocation is a 500, not a 502 */
		log_reason(q, "was throttled", o->message ? o->message : "concurrency limit");
		lamb_http_response_message(&q->resp, 500, "Internal server error");
	} else {
		log_reason(q, "failed", o->message ? o->message : "function error");
		lamb_http_response_message(&q->resp, 502, "Internal server error");
	}
	resume(q);
}

static void on_integration_timeout(void *data)
{
	struct areq *q = data;
	log_reason(q, "ran past the integration timeout", "answered 504; the function runs on to its Timeout");
	lamb_http_response_message(&q->resp, 504, "Endpoint request timed out");
	resume(q);
}

/* ---- requests ---- */

struct collect {
	struct lamb_header *v;
	size_t len, cap;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct collect *c = cls;
	(void)kind;
	c->v = xgrow(c->v, &c->cap, c->len + 1, sizeof(*c->v));
	c->v[c->len].name = (char *)key;
	c->v[c->len].value = (char *)(value ? value : "");
	c->len++;
	return MHD_YES;
}

static const char *source_ip(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return "127.0.0.1";
	const struct sockaddr *sa = ci->client_addr;
	socklen_t sl = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (getnameinfo(sa, sl, buf, (socklen_t)len, NULL, 0, NI_NUMERICHOST) != 0)
		return "127.0.0.1";
	return buf;
}

/* A file under the static directory, never outside it. */
static bool serve_static(struct areq *q, const char *path)
{
	const char *dir = q->s->opts.static_dir;
	if (!dir || strstr(path, "..") || strchr(path, '\0') != path + strlen(path))
		return false;
	char full[PATH_MAX], real[PATH_MAX], root[PATH_MAX];
	snprintf(full, sizeof(full), "%s/%s", dir, path[0] == '/' ? path + 1 : path);
	if (!realpath(dir, root) || !realpath(full, real) || !str_starts(real, root) ||
	    (real[strlen(root)] != '/' && real[strlen(root)] != '\0'))
		return false;
	struct stat st;
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	size_t len;
	char *data = lamb_read_file(real, &len);
	if (!data)
		return false;
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html" }, { ".css", "text/css" }, { ".js", "application/javascript" },
		{ ".json", "application/json" }, { ".png", "image/png" }, { ".jpg", "image/jpeg" },
		{ ".svg", "image/svg+xml" }, { ".txt", "text/plain" }, { ".ico", "image/x-icon" },
	};
	const char *type = "application/octet-stream";
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (str_ends(real, types[i].ext))
			type = types[i].type;
	q->resp.status = 200;
	q->resp.body = data;
	q->resp.body_len = len;
	lamb_http_response_add_header(&q->resp, "Content-Type", type);
	return true;
}

static bool preflight(struct areq *q, const char *method, const struct lamb_http_request *req,
		      const struct lamb_api *route_api)
{
	const char *origin = NULL, *want = NULL;
	for (size_t i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, "Origin") == 0)
			origin = req->headers[i].value;
		if (strcasecmp(req->headers[i].name, "Access-Control-Request-Method") == 0)
			want = req->headers[i].value;
	}
	if (strcasecmp(method, "OPTIONS") != 0 || !want)
		return false;
	const struct lamb_api *api = lamb_apigw_cors_api(q->s->m, route_api);
	if (!api)
		return false;
	q->resp.status = api->kind == LAMB_API_HTTP ? 204 : 200;
	lamb_apigw_cors_headers(api, origin, true, &q->resp);
	return true;
}

static void invoke_route(struct areq *q, struct lamb_route_match *match, const struct lamb_http_request *req)
{
	struct lamb_apigw_server *s = q->s;
	struct lamb_err err;
	q->route = match->route;
	q->function = match->route->function->logical_id;
	char *event = lamb_apigw_event(s->m, match, req, q->request_id);
	struct lamb_invoke_req ir = { .event = event, .len = strlen(event) };
	const char *trace = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "X-Amzn-Trace-Id");
	ir.trace_id = trace;
	if (lamb_invoke(s->iv, match->route->function, &ir, on_outcome, q, &err) < 0) {
		log_reason(q, "cannot run", err.msg);
		lamb_http_response_message(&q->resp, 502, "Internal server error");
		q->answered = true;
	} else {
		q->in_flight = true;
		q->started = true;
		link_req(s, q);
		uint64_t ms = s->opts.integration_timeout_ms ? s->opts.integration_timeout_ms : 29000;
		lamb_loop_timer_set(s->loop, &q->timeout, lamb_loop_now_ns() + ms * 1000000ull,
				    on_integration_timeout, q);
		MHD_suspend_connection(q->conn);
	}
	free(event);
}

static void dispatch(struct areq *q, const char *method, const char *version)
{
	struct lamb_apigw_server *s = q->s;
	char *qmark = strchr(q->uri, '?');
	char *path = qmark ? xstrndup(q->uri, (size_t)(qmark - q->uri)) : xstrdup(q->uri);
	struct collect hs = { 0 };
	char ip[64];
	MHD_get_connection_values(q->conn, MHD_HEADER_KIND, collect_header, &hs);
	struct lamb_http_request req = {
		.method = method, .path = path, .query = qmark ? qmark + 1 : NULL,
		.headers = hs.v, .nheaders = hs.len, .body = q->body.data, .body_len = q->body.len,
		.source_ip = source_ip(q->conn, ip, sizeof(ip)), .protocol = version,
		.time_ms = (int64_t)lamb_loop_wall_ms(),
	};
	lamb_invoke_request_id(q->request_id);
	struct lamb_route_match match;
	enum lamb_route_result r = lamb_router_match(s->router, method, path, &match);
	bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	if (q->too_large) {
		lamb_http_response_message(&q->resp, 413, "Request Too Long");
		q->answered = true;
	} else if (preflight(q, method, &req, r == LAMB_ROUTE_FOUND ? match.route->api : NULL)) {
		q->answered = true;
	} else if ((r != LAMB_ROUTE_FOUND || match.route->is_default) && is_get && serve_static(q, path)) {
		q->answered = true; /* a static file wins over no route and over $default only */
	} else if (r == LAMB_ROUTE_FOUND) {
		invoke_route(q, &match, &req);
	} else {
		lamb_http_response_message(&q->resp, 403, "Missing Authentication Token");
		q->answered = true;
	}
	lamb_route_match_release(&match);
	free(hs.v);
	free(path);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct areq *q = *con_cls;
	(void)cls;
	(void)url;
	if (!q)
		return MHD_NO;
	if (!q->conn) { /* first call: headers are in */
		q->conn = c;
		return MHD_YES;
	}
	if (*upload_size) {
		if (q->body.len + *upload_size > MAX_BODY)
			q->too_large = true;
		else
			lamb_buf_add(&q->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (!q->answered && !q->started)
		dispatch(q, method, version);
	if (!q->answered)
		return MHD_YES; /* suspended until the function answers */
	return queue(q, method);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct areq *q = xcalloc(1, sizeof(*q));
	(void)c;
	q->s = cls;
	q->uri = xstrdup(uri);
	q->start_ns = lamb_loop_now_ns();
	lamb_http_response_init(&q->resp);
	return q;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct areq *q = *con_cls;
	(void)cls;
	(void)c;
	(void)code;
	*con_cls = NULL;
	if (!q)
		return;
	if (q->in_flight) {
		q->completed = true; /* freed by on_outcome */
		return;
	}
	areq_free(q);
}

/* libmicrohttpd would decode %xx in the path; rawPath must stay raw. */
static size_t keep_escapes(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

/* ---- the daemon on the loop ---- */

static void arm_timer(struct lamb_apigw_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(s->daemon, &ms) == MHD_YES)
		lamb_loop_timer_set(s->loop, &s->timer, lamb_loop_now_ns() + ms * 1000000ull, run_daemon, s);
	else
		lamb_loop_timer_cancel(s->loop, &s->timer);
}

static void run_daemon(void *data)
{
	struct lamb_apigw_server *s = data;
	MHD_run(s->daemon);
	arm_timer(s);
}

static void on_readable(void *data, uint32_t events)
{
	(void)events;
	run_daemon(data);
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

struct lamb_apigw_server *lamb_apigw_server_new(struct lamb_loop *loop, struct lamb_invoker *iv,
						const struct lamb_model *m,
						const struct lamb_apigw_server_opts *opts,
						struct lamb_err *err)
{
	const char *host = opts && opts->host ? opts->host : "127.0.0.1";
	int port = 0;
	int fd = listen_on(host, opts ? opts->port : 0, &port, err);
	if (fd < 0)
		return NULL;
	struct lamb_apigw_server *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->iv = iv;
	s->m = m;
	s->port = port;
	if (opts)
		s->opts = *opts;
	s->watch.fd = -1;
	s->router = lamb_router_new(m);
	s->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO, 0, NULL, NULL,
				     on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				     MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, s,
				     MHD_OPTION_CONNECTION_TIMEOUT, 60u,
				     MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_END);
	if (!s->daemon) {
		close(fd);
		lamb_router_free(s->router);
		free(s);
		lamb_err_set(err, "cannot start the HTTP server on %s:%d", host, port);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || lamb_loop_add_fd(loop, &s->watch, info->epoll_fd, EPOLLIN, on_readable, s, err) < 0) {
		lamb_apigw_server_free(s);
		return NULL;
	}
	return s;
}

void lamb_apigw_server_free(struct lamb_apigw_server *s)
{
	if (!s)
		return;
	lamb_loop_del_fd(s->loop, &s->watch);
	lamb_loop_timer_cancel(s->loop, &s->timer);
	while (s->suspended) {
		struct areq *q = s->suspended;
		q->in_flight = false; /* the invoker is gone: no callback will come */
		lamb_http_response_message(&q->resp, 502, "Internal server error");
		lamb_loop_timer_cancel(s->loop, &q->timeout);
		unlink_req(s, q);
		q->answered = true;
		MHD_resume_connection(q->conn);
	}
	if (s->daemon) {
		MHD_run(s->daemon);
		MHD_stop_daemon(s->daemon);
	}
	lamb_router_free(s->router);
	free(s);
}

int lamb_apigw_server_port(const struct lamb_apigw_server *s)
{
	return s->port;
}

int lamb_apigw_server_busy(const struct lamb_apigw_server *s)
{
	return s->busy;
}
