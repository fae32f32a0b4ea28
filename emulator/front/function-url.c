/* Function URLs: which function a request is for (its path under
 * /lambda-url/<LogicalId>, or its Host), CORS preflights answered from the
 * URL's Cors, AWS_IAM checked, then one lamb_invoke. BUFFERED answers the
 * result mapped as payload 2.0 (start-api's mapping of an HTTP API's);
 * RESPONSE_STREAM answers chunked as the runtime streams, its head once the
 * stream begins, or, for an HttpResponseStream, once its prelude (JSON
 * metadata, then 8 NUL bytes) has come. */
#include "base/util.h"
#include "front/apigw.h"
#include "front/function-url.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <microhttpd.h>
#include <string.h>
#include <strings.h>

#define PATH_PREFIX "/lambda-url/"
#define HOST_SUFFIX ".lambda-url.localhost"
#define PRELUDE_TYPE "application/vnd.awslambda.http-integration-response"
#define MAX_PRELUDE (64 * 1024)

struct lamb_function_urls {
	struct lamb_loop *loop;
	struct lamb_invoker *iv;
	const struct lamb_model *m;
	struct lamb_function_url_opts opts;
	struct lamb_api api;     /* the HTTP API whose 2.0 mapping answers BUFFERED results */
	struct ucall *calls;
};

struct ucall {
	struct lamb_function_urls *u;
	struct lamb_http_conn *conn; /* NULL once answered or gone */
	const struct lamb_function *fn;
	char *line, *origin;
	char request_id[40];
	uint64_t start_ns;
	bool started;                /* a streamed head is sent */
	bool prelude;                /* an HttpResponseStream: metadata first */
	struct lamb_buf head;        /* its prelude so far */
	struct ucall *next, *prev;
};

static FILE *logf_(const struct lamb_function_urls *u)
{
	return u->opts.log ? u->opts.log : stderr;
}

bool lamb_function_url_host(const struct lamb_function *fn, char *out, size_t n)
{
	if (strchr(fn->logical_id, '/') || strlen(fn->logical_id) >= n)
		return false;
	size_t i = 0;
	for (; fn->logical_id[i]; i++)
		out[i] = (char)tolower((unsigned char)fn->logical_id[i]);
	out[i] = '\0';
	return true;
}

/* The function the request is for, and its path below the URL. */
static const struct lamb_function *find(const struct lamb_function_urls *u, struct lamb_http_conn *conn,
					const char **path)
{
	const struct lamb_http_request *req = lamb_http_request(conn);
	const char *host = lamb_http_header(conn, "Host");
	size_t hl = host ? strcspn(host, ":") : 0, sl = strlen(HOST_SUFFIX);
	bool by_host = hl > sl && strncasecmp(host + hl - sl, HOST_SUFFIX, sl) == 0;
	bool by_path = str_starts(req->path, PATH_PREFIX);
	for (size_t i = 0; (by_host || by_path) && i < u->m->nfunctions; i++) {
		const struct lamb_function *fn = &u->m->functions[i];
		char low[256];
		if (!fn->url)
			continue;
		if (by_host && lamb_function_url_host(fn, low, sizeof(low)) && hl - sl == strlen(low) &&
		    strncasecmp(host, low, hl - sl) == 0) {
			*path = req->path;
			return fn;
		}
		size_t n = strlen(fn->logical_id);
		const char *rest = req->path + strlen(PATH_PREFIX);
		if (by_path && strncmp(rest, fn->logical_id, n) == 0 && (rest[n] == '/' || !rest[n])) {
			*path = rest[n] ? rest + n : "/";
			return fn;
		}
	}
	return NULL;
}

static void access_line(const struct ucall *c, int status)
{
	double ms = (double)(lamb_loop_now_ns() - c->start_ns) / 1e6;
	fprintf(logf_(c->u), "\"%s\" %d %.2f ms -> %s (FunctionUrl)\n", c->line, status, ms, c->fn->logical_id);
	lamb_loop_wrote(c->u->loop, logf_(c->u));
}

static void cors(const struct ucall *c, bool preflight, struct lamb_http_response *r)
{
	struct lamb_api api = { .kind = LAMB_API_HTTP, .cors = c->fn->url->cors };
	lamb_apigw_cors_headers(&api, c->origin, preflight, r);
}

/* Sends r whole: the call's request is answered. */
static void reply(struct ucall *c, struct lamb_http_response *r)
{
	lamb_http_response_add_header(r, "x-amzn-RequestId", c->request_id);
	cors(c, false, r);
	access_line(c, r->status);
	lamb_http_reply(c->conn, r);
	c->conn = NULL;
}

static void reply_message(struct ucall *c, int status, const char *message)
{
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	r.status = status;
	r.body = xasprintf("{\"Message\":\"%s\"}", message);
	r.body_len = strlen(r.body);
	lamb_http_response_add_header(&r, "Content-Type", "application/json");
	reply(c, &r);
	lamb_http_response_release(&r);
}

static void call_free(struct ucall *c)
{
	struct lamb_function_urls *u = c->u;
	if (c->prev)
		c->prev->next = c->next;
	else
		u->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	lamb_buf_release(&c->head);
	free(c->line);
	free(c->origin);
	free(c);
}

/* --- RESPONSE_STREAM --- */

static void stream_closed(void *data)
{
	struct ucall *c = data;
	c->conn = NULL; /* the client went: the function runs on, unheard */
}

static void stream_head(struct ucall *c, struct lamb_http_response *r)
{
	lamb_http_response_add_header(r, "x-amzn-RequestId", c->request_id);
	cors(c, false, r);
	lamb_http_stream_start(c->conn, r, stream_closed, c);
	c->started = true;
}

/* The prelude's statusCode, headers and cookies as the head. */
static void prelude_head(struct ucall *c, const char *json, size_t len)
{
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	r.status = 200;
	cJSON *p = cJSON_ParseWithLength(json, len);
	cJSON *status = cJSON_GetObjectItemCaseSensitive(p, "statusCode");
	if (cJSON_IsNumber(status) && status->valueint >= 100 && status->valueint <= 599)
		r.status = status->valueint;
	cJSON *h;
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(p, "headers"))
		if (cJSON_IsString(h) && h->string)
			lamb_http_response_add_header(&r, h->string, h->valuestring);
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(p, "cookies"))
		if (cJSON_IsString(h))
			lamb_http_response_add_header(&r, "Set-Cookie", h->valuestring);
	cJSON_Delete(p);
	stream_head(c, &r);
	lamb_http_response_release(&r);
}

/* Collects an HttpResponseStream's prelude; the bytes after it go on. */
static void take_prelude(struct ucall *c, const char *bytes, size_t len)
{
	static const char nul8[8] = { 0 };
	size_t had = c->head.len;
	lamb_buf_add(&c->head, bytes, len);
	const char *end = memmem(c->head.data, c->head.len, nul8, 8);
	if (!end && c->head.len <= MAX_PRELUDE)
		return;
	size_t meta = end ? (size_t)(end - c->head.data) : 0;
	prelude_head(c, c->head.data, meta);
	size_t from = end ? meta + 8 : 0; /* no prelude after all: every byte is body */
	if (from < c->head.len)
		lamb_http_stream_write(c->conn, c->head.data + from, c->head.len - from);
	(void)had;
	lamb_buf_release(&c->head);
}

static void on_chunk(void *data, const char *content_type, const char *bytes, size_t len)
{
	struct ucall *c = data;
	if (!c->conn)
		return;
	if (!c->started && !c->prelude && strcasecmp(content_type, PRELUDE_TYPE) == 0) {
		c->prelude = true;
	} else if (!c->started && !c->prelude) {
		struct lamb_http_response r;
		lamb_http_response_init(&r);
		r.status = 200;
		lamb_http_response_add_header(&r, "Content-Type", *content_type ? content_type
									: "application/octet-stream");
		stream_head(c, &r);
		lamb_http_response_release(&r);
	}
	if (len && !c->started)
		take_prelude(c, bytes, len);
	else if (len)
		lamb_http_stream_write(c->conn, bytes, len);
}

/* --- outcomes --- */

static void buffered(struct ucall *c, const struct lamb_outcome *o)
{
	struct lamb_route route = { .path = "$default", .is_default = true, .function = c->fn,
				    .api = &c->u->api, .payload_format = "2.0" };
	struct lamb_http_response r;
	struct lamb_err err;
	if (lamb_apigw_response(&route, o->body, o->len, &r, &err) < 0) {
		fprintf(logf_(c->u), "lamb: %s (FunctionUrl): %s\n", c->fn->logical_id, err.msg);
		lamb_http_response_release(&r);
		reply_message(c, 502, "Internal Server Error");
		return;
	}
	reply(c, &r);
	lamb_http_response_release(&r);
}

static void on_outcome(void *data, const struct lamb_outcome *o)
{
	struct ucall *c = data;
	if (c->conn && c->prelude && !c->started)
		take_prelude(c, "", 0); /* the stream ended inside its prelude */
	if (!c->conn) {
		/* the client went */
	} else if (c->started) {
		access_line(c, 200);
		lamb_http_stream_end(c->conn); /* an error mid-stream just ends it, as on AWS */
	} else if (o->kind == LAMB_OUTCOME_THROTTLED) {
		reply_message(c, 429, "Rate Exceeded.");
	} else if (o->function_error) {
		reply_message(c, 502, "Internal Server Error");
	} else if (o->streamed) {
		struct lamb_http_response r; /* a stream of no bytes */
		lamb_http_response_init(&r);
		r.status = 200;
		reply(c, &r);
		lamb_http_response_release(&r);
	} else {
		buffered(c, o);
	}
	call_free(c);
}

/* --- requests --- */

static bool preflight(struct ucall *c, const struct lamb_http_request *req, struct lamb_http_conn *conn)
{
	if (strcmp(req->method, "OPTIONS") != 0 || !c->fn->url->cors.enabled || !c->origin ||
	    !lamb_http_header(conn, "Access-Control-Request-Method"))
		return false;
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	r.status = 200;
	lamb_http_response_add_header(&r, "x-amzn-RequestId", c->request_id);
	cors(c, true, &r);
	access_line(c, 200);
	lamb_http_reply(conn, &r);
	lamb_http_response_release(&r);
	return true;
}

/* AWS_IAM: NULL when refused, else the iam object's JSON ("" without IAM). */
static char *authorize(struct lamb_function_urls *u, const struct ucall *c, struct lamb_http_conn *conn)
{
	char *iam = NULL;
	if (!c->fn->url->iam)
		return xstrdup("");
	if (!u->opts.access_key || !u->opts.secret_key)
		return NULL;
	lamb_function_url_signed(lamb_http_request(conn), lamb_http_header(conn, "Host"), u->opts.access_key,
				 u->opts.secret_key, u->m->account_id, &iam);
	return iam;
}

static void start(struct lamb_function_urls *u, struct ucall *c, const char *path, const char *iam)
{
	const struct lamb_http_request *req = lamb_http_request(c->conn);
	char *event = lamb_function_url_event(u->m, c->fn, req, path, c->request_id, *iam ? iam : NULL);
	struct lamb_invoke_req ir = {
		.event = event, .len = strlen(event),
		.trace_id = lamb_http_header(c->conn, "X-Amzn-Trace-Id"),
		.chunk = c->fn->url->stream ? on_chunk : NULL,
	};
	struct lamb_err err;
	if (lamb_invoke(u->iv, c->fn, &ir, on_outcome, c, &err) < 0) {
		fprintf(logf_(u), "lamb: %s (FunctionUrl): %s\n", c->fn->logical_id, err.msg);
		reply_message(c, 502, "Internal Server Error");
		call_free(c);
	}
	free(event);
}

static struct ucall *call_new(struct lamb_function_urls *u, struct lamb_http_conn *conn,
			      const struct lamb_function *fn)
{
	const struct lamb_http_request *req = lamb_http_request(conn);
	struct ucall *c = xcalloc(1, sizeof(*c));
	const char *origin = lamb_http_header(conn, "Origin");
	c->u = u;
	c->conn = conn;
	c->fn = fn;
	c->line = xasprintf("%s %s", req->method, lamb_http_uri(conn));
	c->origin = origin ? xstrdup(origin) : NULL;
	c->start_ns = lamb_http_start_ns(conn);
	lamb_invoke_request_id(c->request_id);
	c->next = u->calls;
	if (u->calls)
		u->calls->prev = c;
	u->calls = c;
	return c;
}

bool lamb_function_urls_serve(struct lamb_function_urls *u, struct lamb_http_conn *conn)
{
	const char *path = NULL;
	const struct lamb_function *fn = u ? find(u, conn, &path) : NULL;
	if (!fn)
		return false;
	struct ucall *c = call_new(u, conn, fn);
	char *iam = NULL;
	if (lamb_http_too_large(conn)) {
		reply_message(c, 413, "Request must be smaller than 6291456 bytes for the InvokeFunction operation");
	} else if (preflight(c, lamb_http_request(conn), conn)) {
		c->conn = NULL;
	} else if (fn->local_reason) {
		fprintf(logf_(u), "lamb: %s (FunctionUrl): cannot run locally: %s\n", fn->logical_id, fn->local_reason);
		reply_message(c, 502, "Internal Server Error");
	} else if (!(iam = authorize(u, c, conn))) {
		reply_message(c, 403, "Forbidden");
	} else {
		start(u, c, path, iam);
		free(iam);
		return true;
	}
	call_free(c);
	return true;
}

struct lamb_function_urls *lamb_function_urls_new(struct lamb_loop *loop, struct lamb_invoker *iv,
						  const struct lamb_model *m,
						  const struct lamb_function_url_opts *o)
{
	bool any = false;
	for (size_t i = 0; i < m->nfunctions; i++)
		any |= m->functions[i].url != NULL;
	if (!any)
		return NULL;
	struct lamb_function_urls *u = xcalloc(1, sizeof(*u));
	u->loop = loop;
	u->iv = iv;
	u->m = m;
	if (o)
		u->opts = *o;
	u->opts.access_key = u->opts.access_key ? xstrdup(u->opts.access_key) : NULL;
	u->opts.secret_key = u->opts.secret_key ? xstrdup(u->opts.secret_key) : NULL;
	u->api.kind = LAMB_API_HTTP;
	u->api.logical_id = "FunctionUrl";
	return u;
}

void lamb_function_urls_free(struct lamb_function_urls *u)
{
	if (!u)
		return;
	while (u->calls) {
		if (u->calls->conn && u->calls->started)
			lamb_http_stream_end(u->calls->conn); /* its closed call would find it gone */
		call_free(u->calls);
	}
	free((char *)u->opts.access_key);
	free((char *)u->opts.secret_key);
	free(u);
}
