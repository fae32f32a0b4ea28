/* The start-api server: requests from http-server.c are routed, answered at
 * once (403, 413, a preflight, a static file) or turned into a proxy event
 * and invoked; the invocation's outcome, or the integration timer, answers
 * them. A call outlives its request when the timer answered first: the
 * outcome still comes, and frees it. */
#include "base/url.h"
#include "base/util.h"
#include "front/apigw-auth.h"
#include "front/apigw-server.h"
#include "front/apigw.h"
#include "http/http-server.h"

#include <limits.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_BODY (6 * 1024 * 1024)

struct lamb_apigw_server {
	struct lamb_loop *loop;
	struct lamb_invoker *iv;
	const struct lamb_model *m;
	struct lamb_router *router;
	struct lamb_apigw_server_opts opts;
	struct lamb_http_server *http;
	struct call *calls; /* invocations in flight */
	int busy;
	bool http_only; /* every API is an HTTP API: no route answers 404, not REST's 403 */
	char *dashboard; /* where GET /_lamb/... goes when no route has it, or NULL */
};

struct call {
	struct lamb_apigw_server *s;
	struct lamb_http_conn *conn; /* NULL once answered */
	const struct lamb_route *route;
	struct lamb_route_match match; /* owned */
	struct lamb_authorizer auth;   /* while authorizing */
	char *method_arn;              /* while authorizing */
	char *origin;
	char *line; /* "METHOD /uri" for the access log */
	char request_id[40];
	uint64_t start_ns;
	struct lamb_timer timeout;
	struct call *next, *prev;
};

static FILE *logf_(const struct lamb_apigw_server *s)
{
	return s->opts.log ? s->opts.log : stderr;
}

static char *put_dec(char *o, uint64_t v)
{
	char num[24], *p = num + sizeof(num);
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	memcpy(o, p, (size_t)(num + sizeof(num) - p));
	return o + (num + sizeof(num) - p);
}

static char *put_str(char *o, const char *s)
{
	size_t n = strlen(s);
	memcpy(o, s, n);
	return o + n;
}

/* The line fprintf would write, composed by hand (fprintf with its %.2f
 * cost 3,600 instructions a request). The milliseconds are rounded from
 * the integer nanoseconds, which matches %.2f of ns / 1e6 but at an exact
 * tie (ns ending in 5000) or past 2^50 ns, where the double's own error
 * decides: those and a line too long for the stack go through fprintf. */
static bool access_fast(FILE *f, const char *when, const char *line, const struct lamb_http_response *r,
			const char *reason, uint64_t ns, const char *arrow, const char *fn)
{
	char buf[512], *o = buf;
	if (ns % 10000 == 5000 || ns >= 1ull << 50 || r->status < 0 ||
	    strlen(when) + strlen(line) + strlen(reason) + strlen(arrow) + strlen(fn) + 96 > sizeof(buf))
		return false;
	uint64_t hundredths = (ns + 5000) / 10000;
	o = put_str(put_str(o, when), " \"");
	o = put_str(put_str(o, line), "\" ");
	o = put_str(put_str(put_dec(o, (uint64_t)r->status), " "), reason);
	o = put_str(put_dec(put_str(o, " "), r->body_len), " ");
	o = put_dec(o, hundredths / 100);
	*o++ = '.';
	*o++ = (char)('0' + hundredths / 10 % 10);
	*o++ = (char)('0' + hundredths % 10);
	o = put_str(put_str(put_str(o, " ms"), arrow), fn);
	*o++ = '\n';
	fwrite(buf, 1, (size_t)(o - buf), f);
	return true;
}

static void access_line(const struct lamb_apigw_server *s, const char *line, uint64_t start_ns,
			const struct lamb_http_response *r, const struct lamb_route *route)
{
	/* formatted once a second: gmtime_r and strftime cost 1,500 instructions */
	static _Thread_local time_t last = -1;
	static _Thread_local char when[64];
	time_t t = time(NULL);
	if (t != last) {
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		last = t;
	}
	uint64_t ns = lamb_loop_now_ns() - start_ns;
	const char *reason = MHD_get_reason_phrase_for((unsigned)r->status);
	reason = reason ? reason : "";
	const char *arrow = route ? " -> " : "", *fn = route ? route->function->logical_id : "";
	if (!access_fast(logf_(s), when, line, r, reason, ns, arrow, fn))
		fprintf(logf_(s), "%s \"%s\" %d %s %zu %.2f ms%s%s\n", when, line, r->status, reason, r->body_len,
			(double)ns / 1e6, arrow, fn);
	lamb_loop_wrote(s->loop, logf_(s));
}

/* Adds the request id and CORS headers, logs, and sends. */
static void answer(struct lamb_apigw_server *s, struct lamb_http_conn *conn, const char *line,
		   const struct lamb_route *route, const char *origin, const char *request_id,
		   uint64_t start_ns, struct lamb_http_response *r)
{
	lamb_http_response_add_header(r, "Apigw-Requestid", request_id);
	if (route)
		lamb_apigw_cors_headers(route->api, origin, false, r);
	access_line(s, line, start_ns, r, route);
	lamb_http_reply(conn, r);
}

static void call_free(struct call *c)
{
	struct lamb_apigw_server *s = c->s;
	lamb_loop_timer_cancel(s->loop, &c->timeout);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->busy--;
	lamb_route_match_release(&c->match);
	free(c->method_arn);
	free(c->origin);
	free(c->line);
	free(c);
}

static void log_reason(const struct call *c, const char *what, const char *why)
{
	fprintf(logf_(c->s), "lamb: %s %s: %s\n", c->route->function->logical_id, what, why);
}

static void finish(struct call *c, struct lamb_http_response *r)
{
	answer(c->s, c->conn, c->line, c->route, c->origin, c->request_id, c->start_ns, r);
	c->conn = NULL;
	lamb_loop_timer_cancel(c->s->loop, &c->timeout);
}

static void on_outcome(void *data, const struct lamb_outcome *o)
{
	struct call *c = data;
	if (!c->conn) { /* the integration timeout answered already */
		call_free(c);
		return;
	}
	struct lamb_http_response r;
	struct lamb_err err;
	if (o->kind == LAMB_OUTCOME_RESPONSE) {
		if (lamb_apigw_response(c->route, o->body, o->len, &r, &err) < 0)
			log_reason(c, "returned an invalid response", err.msg);
	} else if (o->kind == LAMB_OUTCOME_THROTTLED) {
		/* API Gateway: a rejected invocation is a 500, not a 502 */
		log_reason(c, "was throttled", o->message ? o->message : "concurrency limit");
		lamb_http_response_init(&r);
		lamb_http_response_message(&r, 500, "Internal server error");
	} else {
		log_reason(c, "failed", o->message ? o->message : "function error");
		lamb_http_response_init(&r);
		lamb_http_response_explain(&r, 502, "Internal server error",
					   o->kind == LAMB_OUTCOME_START_FAILED ? o->message : NULL);
	}
	finish(c, &r);
	lamb_http_response_release(&r);
	call_free(c);
}

static void on_integration_timeout(void *data)
{
	struct call *c = data;
	struct lamb_http_response r;
	log_reason(c, "ran past the integration timeout", "answered 504; the function runs on to its Timeout");
	lamb_http_response_init(&r);
	lamb_http_response_message(&r, 504, "Endpoint request timed out");
	finish(c, &r);
	lamb_http_response_release(&r);
}

/* A file under the static directory, never outside it. */
static bool serve_static(const struct lamb_apigw_server *s, const char *path, struct lamb_http_response *r)
{
	const char *dir = s->opts.static_dir;
	if (!dir || strstr(path, ".."))
		return false;
	char full[PATH_MAX], real[PATH_MAX], root[PATH_MAX];
	snprintf(full, sizeof(full), "%s/%s", dir, path[0] == '/' ? path + 1 : path);
	if (!realpath(dir, root) || !realpath(full, real) || !str_starts(real, root) ||
	    (real[strlen(root)] != '/' && real[strlen(root)] != '\0'))
		return false;
	struct stat st;
	size_t len;
	char *data;
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode) || !(data = lamb_read_file(real, &len)))
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
	r->status = 200;
	r->body = data;
	r->body_len = len;
	lamb_http_response_add_header(r, "Content-Type", type);
	return true;
}

/* A preflight (OPTIONS with Access-Control-Request-Method) is answered from
 * the API's CORS. So is a plain OPTIONS to a path of a REST API with Cors:
 * there SAM adds an OPTIONS mock method to every path, which answers any
 * OPTIONS that no OPTIONS method of the user's takes; HTTP APIs pass a plain
 * OPTIONS to its route. */
static bool preflight(const struct lamb_apigw_server *s, struct lamb_http_conn *conn, const char *method,
		      enum lamb_route_result found, const struct lamb_route *route, const struct lamb_api *path_api,
		      struct lamb_http_response *r)
{
	if (strcasecmp(method, "OPTIONS") != 0)
		return false;
	const struct lamb_api *api = lamb_apigw_cors_api(s->m, route ? route->api : path_api);
	if (!api)
		return false;
	if (!lamb_http_header(conn, "Access-Control-Request-Method")) {
		/* only the path's own API has that mock method */
		const struct lamb_api *owner = route ? route->api : path_api;
		bool own_options = route && strcasecmp(route->method, "OPTIONS") == 0;
		if (api != owner || api->kind != LAMB_API_REST || found == LAMB_ROUTE_NO_PATH || own_options)
			return false;
	}
	r->status = api->kind == LAMB_API_HTTP ? 204 : 200;
	lamb_apigw_cors_headers(api, lamb_http_header(conn, "Origin"), true, r);
	return true;
}

static struct call *call_new(struct lamb_apigw_server *s, struct lamb_http_conn *conn,
			     struct lamb_route_match *match, const char *request_id, const char *line)
{
	struct call *c = xcalloc(1, sizeof(*c));
	c->s = s;
	c->conn = conn;
	c->match = *match; /* the call owns the parameters now */
	memset(match, 0, sizeof(*match));
	c->route = c->match.route;
	c->origin = lamb_http_header(conn, "Origin") ? xstrdup(lamb_http_header(conn, "Origin")) : NULL;
	c->line = xstrdup(line);
	c->start_ns = lamb_http_start_ns(conn);
	size_t idlen = strnlen(request_id, sizeof(c->request_id) - 1); /* not snprintf: 570 instructions */
	memcpy(c->request_id, request_id, idlen);
	c->request_id[idlen] = '\0';
	c->next = s->calls;
	if (s->calls)
		s->calls->prev = c;
	s->calls = c;
	s->busy++;
	return c;
}

/* Invokes the route's function, with the authorizer's context when there
 * was one; false (r filled) when it cannot run. */
/* The value of a query string parameter (decoded), or NULL. */
static char *query_param(const char *query, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = query; p && *p;) {
		const char *amp = strchrnul(p, '&'), *eq = memchr(p, '=', (size_t)(amp - p));
		char *key = lamb_url_decode(p, (size_t)((eq ? eq : amp) - p), true);
		bool hit = key && strlen(key) == n && memcmp(key, name, n) == 0;
		free(key);
		if (hit)
			return eq ? lamb_url_decode(eq + 1, (size_t)(amp - eq - 1), true) : xstrdup("");
		p = *amp ? amp + 1 : amp;
	}
	return NULL;
}

/* The tenant id a REST integration maps to X-Amz-Tenant-Id from the
 * client's request (model_tenant_source), or NULL. */
static char *route_tenant(const struct call *c, const struct lamb_http_request *req)
{
	const char *from = c->route->tenant_from;
	static const char head[] = "method.request.header.", query[] = "method.request.querystring.",
			  path[] = "method.request.path.";
	if (!from)
		return NULL;
	if (str_starts(from, head)) {
		const char *v = lamb_http_request_header(req, from + strlen(head));
		return v ? xstrdup(v) : NULL;
	}
	if (str_starts(from, query))
		return query_param(req->query, from + strlen(query));
	if (str_starts(from, path)) {
		const char *v = lamb_header_find(c->match.params, c->match.nparams, from + strlen(path));
		return v ? xstrdup(v) : NULL;
	}
	return NULL;
}

static bool start_function(struct call *c, const char *authorizer, struct lamb_http_response *r)
{
	struct lamb_apigw_server *s = c->s;
	const struct lamb_http_request *req = lamb_http_request(c->conn);
	char *tenant = c->route->function->per_tenant ? route_tenant(c, req) : NULL;
	if (c->route->function->per_tenant && !tenant) {
		/* Lambda refuses the integration's Invoke (no tenant id): API
		 * Gateway's answer to an integration it cannot call */
		log_reason(c, "cannot run", c->route->tenant_from ?
			   "the request has no value for the integration's X-Amz-Tenant-Id" :
			   "the function has tenant isolation and the integration maps nothing to "
			   "X-Amz-Tenant-Id (requestParameters 'integration.request.header.X-Amz-Tenant-Id')");
		lamb_http_response_message(r, 500, c->route->api && c->route->api->kind == LAMB_API_HTTP ?
						   "Internal Server Error" : "Internal server error");
		return false;
	}
	char *event = lamb_apigw_event_auth(s->m, &c->match, req, c->request_id, authorizer);
	struct lamb_invoke_req ir = { .event = event, .len = strlen(event),
				      .trace_id = lamb_http_header(c->conn, "X-Amzn-Trace-Id"), .tenant_id = tenant };
	struct lamb_err err;
	int rc = lamb_invoke(s->iv, c->route->function, &ir, on_outcome, c, &err);
	free(event);
	free(tenant);
	if (rc < 0) {
		log_reason(c, "cannot run", err.msg);
		lamb_http_response_message(r, 502, "Internal server error");
		return false;
	}
	uint64_t ms = s->opts.integration_timeout_ms ? s->opts.integration_timeout_ms : 29000;
	lamb_loop_timer_set(s->loop, &c->timeout, lamb_loop_now_ns() + ms * 1000000ull, on_integration_timeout, c);
	return true;
}

static void on_auth_outcome(void *data, const struct lamb_outcome *o)
{
	struct call *c = data;
	struct lamb_http_response r;
	char why[256], *authorizer = NULL;
	lamb_http_response_init(&r);
	static const char *const why_failed[] = {
		[LAMB_OUTCOME_TOO_LARGE] = "its answer was too large", [LAMB_OUTCOME_TIMEOUT] = "it timed out",
		[LAMB_OUTCOME_CRASH] = "it crashed", [LAMB_OUTCOME_INIT_ERROR] = "its init failed",
		[LAMB_OUTCOME_START_FAILED] = "it could not start", [LAMB_OUTCOME_THROTTLED] = "it was throttled",
	};
	if (o->kind != LAMB_OUTCOME_RESPONSE && o->kind != LAMB_OUTCOME_FUNCTION_ERROR)
		log_reason(c, "authorizer failed", o->message ? o->message :
			   (size_t)o->kind < ARRAY_SIZE(why_failed) && why_failed[o->kind] ? why_failed[o->kind] :
			   "it failed");
	if (lamb_auth_decide(&c->auth, c->method_arn, o->body, o->len, o->kind != LAMB_OUTCOME_RESPONSE,
			     o->duration_ms, &authorizer, &r, why, sizeof(why))) {
		bool started = start_function(c, authorizer, &r);
		free(authorizer);
		if (started) {
			lamb_http_response_release(&r);
			return; /* answered by on_outcome */
		}
	} else {
		log_reason(c, "was not authorized", why);
	}
	finish(c, &r);
	lamb_http_response_release(&r);
	call_free(c);
}

/* Runs the route's Lambda authorizer first, when it has one; false (r
 * filled) when the request is answered here. */
static bool start_authorizer(struct call *c, struct lamb_http_response *r)
{
	struct lamb_apigw_server *s = c->s;
	const struct lamb_http_request *req = lamb_http_request(c->conn);
	if (!lamb_auth_identity_ok(&c->auth, req)) {
		log_reason(c, "was not authorized", "an identity source is missing or invalid");
		lamb_auth_reject(&c->auth, 401, r);
		return false;
	}
	c->method_arn = lamb_auth_method_arn(s->m, c->route, req);
	char *event = lamb_auth_event(s->m, &c->auth, &c->match, req, c->request_id);
	struct lamb_invoke_req ir = { .event = event ? event : "{}", .len = event ? strlen(event) : 2 };
	struct lamb_err err;
	int rc = lamb_invoke(s->iv, c->auth.function, &ir, on_auth_outcome, c, &err);
	free(event);
	if (rc < 0) {
		log_reason(c, "authorizer cannot run", err.msg);
		lamb_auth_reject(&c->auth, 500, r);
		return false;
	}
	return true;
}

/* Starts the authorizer or the function; false (r filled) when the request
 * is answered at once. */
static bool invoke_route(struct lamb_apigw_server *s, struct lamb_http_conn *conn, struct lamb_route_match *match,
			 const char *request_id, const char *line, struct lamb_http_response *r)
{
	struct call *c = call_new(s, conn, match, request_id, line);
	bool started;
	if (!s->opts.disable_authorizers &&
	    lamb_auth_for_route(s->m, c->route, &c->auth, NULL) == LAMB_AUTH_LAMBDA)
		started = start_authorizer(c, r);
	else
		started = start_function(c, NULL, r);
	if (!started) {
		c->conn = NULL;
		call_free(c);
	}
	return started;
}

/* "METHOD URI" for the access line; not xasprintf (1,000 instructions). */
static char *request_line(const char *method, const char *uri)
{
	size_t ml = strlen(method), ul = strlen(uri);
	char *line = xmalloc(ml + 1 + ul + 1);
	memcpy(line, method, ml);
	line[ml] = ' ';
	memcpy(line + ml + 1, uri, ul + 1);
	return line;
}

static void on_request(void *data, struct lamb_http_conn *conn)
{
	struct lamb_apigw_server *s = data;
	if (s->opts.urls && lamb_function_urls_serve(s->opts.urls, conn))
		return; /* a Function URL's */
	const struct lamb_http_request *req = lamb_http_request(conn);
	char request_id[40];
	lamb_invoke_request_id(request_id);
	char *line = request_line(req->method, lamb_http_uri(conn));
	struct lamb_route_match match;
	enum lamb_route_result found = lamb_router_match(s->router, req->method, req->path, &match);
	bool is_get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	bool catch_all = found != LAMB_ROUTE_FOUND || match.route->is_default;
	const struct lamb_route *route = NULL;
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	if (lamb_http_too_large(conn)) {
		lamb_http_response_message(&r, 413, "Request Too Long");
	} else if (preflight(s, conn, req->method, found, found == LAMB_ROUTE_FOUND ? match.route : NULL,
			     match.path_api, &r)) {
		/* answered by lamb, as API Gateway does */
	} else if (catch_all && is_get && s->dashboard && strncmp(req->path, "/_lamb", 6) == 0) {
		char *to = xasprintf("%s%s", s->dashboard, req->path); /* the dashboard's own port */
		lamb_http_response_message(&r, 302, "Found");
		lamb_http_response_add_header(&r, "Location", to);
		free(to);
	} else if (catch_all && is_get && serve_static(s, req->path, &r)) {
		/* a static file wins over no route and over $default only */
	} else if (found == LAMB_ROUTE_FOUND) {
		route = match.route;
		if (invoke_route(s, conn, &match, request_id, line, &r))
			goto out; /* answered by on_outcome */
	} else if (s->http_only) {
		lamb_http_response_message(&r, 404, "Not Found"); /* an HTTP API's answer */
	} else {
		lamb_http_response_message(&r, 403, "Missing Authentication Token");
	}
	answer(s, conn, line, route, lamb_http_header(conn, "Origin"), request_id, lamb_http_start_ns(conn), &r);
out:
	lamb_http_response_release(&r);
	lamb_route_match_release(&match);
	free(line);
}

struct lamb_apigw_server *lamb_apigw_server_new(struct lamb_loop *loop, struct lamb_invoker *iv,
						const struct lamb_model *m,
						const struct lamb_apigw_server_opts *opts,
						struct lamb_err *err)
{
	struct lamb_apigw_server *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->iv = iv;
	s->m = m;
	if (opts)
		s->opts = *opts;
	struct lamb_http_server_opts ho = {
		.host = s->opts.host, .port = s->opts.port, .max_body = MAX_BODY,
		.handler = on_request, .data = s,
	};
	s->http = lamb_http_server_new(loop, &ho, err);
	if (!s->http) {
		free(s);
		return NULL;
	}
	lamb_loop_batch_output(loop, logf_(s)); /* a request logs three lines: one write */
	s->router = lamb_router_new(m);
	s->http_only = m->napis > 0;
	for (size_t i = 0; i < m->napis; i++)
		s->http_only &= m->apis[i].kind == LAMB_API_HTTP;
	return s;
}

void lamb_apigw_server_free(struct lamb_apigw_server *s)
{
	if (!s)
		return;
	/* the invoker is gone: no outcome will come for these */
	while (s->calls)
		call_free(s->calls);
	lamb_http_server_free(s->http); /* answers what is still waiting with 502 */
	lamb_router_free(s->router);
	free(s->dashboard);
	free(s);
}

void lamb_apigw_server_set_dashboard(struct lamb_apigw_server *s, const char *base)
{
	free(s->dashboard);
	s->dashboard = base ? xstrdup(base) : NULL;
}

int lamb_apigw_server_port(const struct lamb_apigw_server *s)
{
	return lamb_http_server_port(s->http);
}

int lamb_apigw_server_busy(const struct lamb_apigw_server *s)
{
	return s->busy;
}
