/* The Invoke API. RequestResponse waits for the outcome and answers 200
 * (a function error is still a 200, marked X-Amz-Function-Error: Unhandled);
 * Event answers 202 at once and lets the function run; DryRun checks and
 * answers 204. Errors of the API itself carry x-amzn-ErrorType, which the
 * SDKs turn into exceptions (ResourceNotFoundException, ...).
 * InvokeWithResponseStream answers in event-stream messages: its head as
 * soon as the function's stream begins, a PayloadChunk for each piece the
 * runtime sends, then InvokeComplete with the error, if any, and the log. */
#include "base/url.h"
#include "base/util.h"
#include "front/event-stream.h"
#include "front/lambda-api.h"
#include "http/http-server.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PREFIX "/2015-03-31/functions/"
#define SUFFIX "/invocations"
#define STREAM_PREFIX "/2021-11-15/functions/"
#define STREAM_SUFFIX "/response-streaming-invocations"
/* The Invoke API takes 6 MB of payload (a little more than the runtime's
 * 6 MiB event limit would say; the event limit decides). */
#define MAX_PAYLOAD (6 * 1024 * 1024)

struct lamb_lambda_api {
	struct lamb_loop *loop;
	struct lamb_invoker *iv;
	const struct lamb_model *m;
	struct lamb_lambda_api_opts opts;
	struct lamb_http_server *http;
	struct call *calls;
	char *dashboard; /* where GET /_lamb/... goes, or NULL */
};

struct call {
	struct lamb_lambda_api *a;
	struct lamb_http_conn *conn; /* NULL for Event invocations */
	const struct lamb_function *fn;
	char *line;
	uint64_t start_ns;
	bool tail;                   /* X-Amz-Log-Type: Tail */
	bool stream;                 /* InvokeWithResponseStream */
	bool started;                /* its head is sent */
	struct call *next, *prev;
};

static FILE *logf_(const struct lamb_lambda_api *a)
{
	return a->opts.log ? a->opts.log : stderr;
}

static void log_line(const struct lamb_lambda_api *a, const char *line, int status, uint64_t start_ns,
		     const char *fn)
{
	double ms = (double)(lamb_loop_now_ns() - start_ns) / 1e6;
	fprintf(logf_(a), "\"%s\" %d %.2f ms%s%s\n", line, status, ms, fn ? " -> " : "", fn ? fn : "");
	lamb_loop_wrote(a->loop, logf_(a));
}

/* An error of the Invoke API itself, as AWS sends it. */
static void api_error(struct lamb_http_response *r, int status, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void api_error(struct lamb_http_response *r, int status, const char *type, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Type", "User");
	cJSON_AddStringToObject(o, "message", msg);
	r->status = status;
	r->body = cJSON_PrintUnformatted(o);
	r->body_len = strlen(r->body);
	cJSON_Delete(o);
	free(msg);
	lamb_http_response_add_header(r, "Content-Type", "application/json");
	lamb_http_response_add_header(r, "x-amzn-ErrorType", type);
}

const struct lamb_function *lamb_lambda_api_find(const struct lamb_model *m, const char *name)
{
	char *copy = xstrdup(name);
	const char *want = copy;
	/* arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] or ACCOUNT:function:NAME */
	char *fn = strstr(copy, ":function:");
	if (fn) {
		want = fn + strlen(":function:");
		char *colon = strchr(want, ':');
		if (colon)
			*colon = '\0';
	}
	const struct lamb_function *found = lamb_model_find_function(m, want);
	free(copy);
	return found;
}

static bool served(const struct lamb_lambda_api *a, const struct lamb_function *fn)
{
	if (!a->opts.only)
		return true;
	for (const char *const *p = a->opts.only; *p; p++)
		if (lamb_model_find_function(a->m, *p) == fn)
			return true;
	return false;
}

static void call_free(struct call *c)
{
	struct lamb_lambda_api *a = c->a;
	if (c->prev)
		c->prev->next = c->next;
	else
		a->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->line);
	free(c);
}

/* --- InvokeWithResponseStream --- */

static void stream_closed(void *data)
{
	struct call *c = data;
	c->conn = NULL; /* the function runs on; its outcome goes nowhere */
}

static void stream_head(struct call *c, const char *content_type, const char *request_id)
{
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	r.status = 200;
	/* the function's own content type: the SDKs give it as ResponseStreamContentType */
	lamb_http_response_add_header(&r, "Content-Type", content_type);
	lamb_http_response_add_header(&r, "X-Amz-Executed-Version", "$LATEST");
	if (request_id)
		lamb_http_response_add_header(&r, "x-amzn-RequestId", request_id);
	lamb_http_stream_start(c->conn, &r, stream_closed, c);
	lamb_http_response_release(&r);
	c->started = true;
}

static void send_event(struct call *c, const char *type, const char *content_type, const char *p, size_t len)
{
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_event_stream_add(&b, type, content_type, p, len);
	lamb_http_stream_write(c->conn, b.data, b.len);
	lamb_buf_release(&b);
}

static void on_chunk(void *data, const char *content_type, const char *bytes, size_t len)
{
	struct call *c = data;
	if (!c->conn)
		return;
	if (!c->started)
		stream_head(c, content_type && *content_type ? content_type : "application/octet-stream", NULL);
	if (len)
		send_event(c, "PayloadChunk", "application/octet-stream", bytes, len);
}

/* InvokeComplete: ErrorCode and ErrorDetails from the error document. */
static void complete(struct call *c, const struct lamb_outcome *o)
{
	cJSON *done = cJSON_CreateObject();
	if (o->function_error) {
		cJSON *doc = cJSON_ParseWithLength(o->body, o->len);
		cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "errorType");
		cJSON *msg = cJSON_GetObjectItemCaseSensitive(doc, "errorMessage");
		cJSON_AddStringToObject(done, "ErrorCode", cJSON_IsString(type) ? type->valuestring : "Unhandled");
		if (cJSON_IsString(msg))
			cJSON_AddStringToObject(done, "ErrorDetails", msg->valuestring);
		else
			cJSON_AddItemToObject(done, "ErrorDetails", cJSON_CreateString(o->message ? o->message : ""));
		cJSON_Delete(doc);
	}
	if (c->tail) {
		char *b64 = lamb_base64_encode(o->log_tail, o->log_tail_len);
		cJSON_AddStringToObject(done, "LogResult", b64);
		free(b64);
	}
	char *json = cJSON_PrintUnformatted(done);
	send_event(c, "InvokeComplete", "application/json", json, strlen(json));
	free(json);
	cJSON_Delete(done);
}

static void stream_outcome(struct call *c, const struct lamb_outcome *o)
{
	if (!c->started && o->kind == LAMB_OUTCOME_THROTTLED) {
		struct lamb_http_response r;
		lamb_http_response_init(&r);
		api_error(&r, 429, "TooManyRequestsException", "Rate Exceeded.");
		log_line(c->a, c->line, r.status, c->start_ns, c->fn->logical_id);
		lamb_http_reply(c->conn, &r);
		lamb_http_response_release(&r);
		return;
	}
	if (!c->started)
		stream_head(c, o->streamed && *o->content_type ? o->content_type : "application/json", o->request_id);
	if (!o->function_error && o->len) /* a buffered answer (the runtime did not stream) */
		send_event(c, "PayloadChunk", "application/octet-stream", o->body, o->len);
	complete(c, o);
	log_line(c->a, c->line, 200, c->start_ns, c->fn->logical_id);
	lamb_http_stream_end(c->conn);
}

static void on_outcome(void *data, const struct lamb_outcome *o)
{
	struct call *c = data;
	if (!c->conn) { /* an Event invocation (or a stream's client gone): nobody waits */
		call_free(c);
		return;
	}
	if (c->stream) {
		stream_outcome(c, o);
		call_free(c);
		return;
	}
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	if (o->kind == LAMB_OUTCOME_THROTTLED) {
		api_error(&r, 429, "TooManyRequestsException", "Rate Exceeded.");
	} else {
		r.status = 200;
		r.body = xstrndup(o->body, o->len);
		r.body_len = o->len;
		lamb_http_response_add_header(&r, "Content-Type", "application/json");
		if (o->function_error)
			lamb_http_response_add_header(&r, "X-Amz-Function-Error", "Unhandled");
		if (c->tail) {
			char *b64 = lamb_base64_encode(o->log_tail, o->log_tail_len);
			lamb_http_response_add_header(&r, "X-Amz-Log-Result", b64);
			free(b64);
		}
	}
	lamb_http_response_add_header(&r, "X-Amz-Executed-Version", "$LATEST");
	lamb_http_response_add_header(&r, "x-amzn-RequestId", o->request_id);
	log_line(c->a, c->line, r.status, c->start_ns, c->fn->logical_id);
	lamb_http_reply(c->conn, &r);
	lamb_http_response_release(&r);
	call_free(c);
}

/* X-Amz-Client-Context is base64 JSON; the runtime gets the JSON. */
static char *client_context(struct lamb_http_conn *conn)
{
	const char *b64 = lamb_http_header(conn, "X-Amz-Client-Context");
	size_t len;
	if (!b64)
		return NULL;
	char *json = lamb_base64_decode(b64, strlen(b64), &len);
	if (!json)
		return NULL;
	char *s = xstrndup(json, len);
	free(json);
	return s;
}

/* The name in PREFIX NAME SUFFIX, decoded; or NULL. */
static char *function_name(const char *path, const char *prefix, const char *suffix)
{
	if (!str_starts(path, prefix) || !str_ends(path, suffix))
		return NULL;
	size_t start = strlen(prefix), end = strlen(path) - strlen(suffix);
	if (end <= start)
		return NULL;
	return lamb_url_decode(path + start, end - start, false);
}

/* 0 when the function was started (wait: the answer comes from
 * on_outcome), -1 with r filled when it could not be. */
static int start(struct lamb_lambda_api *a, struct lamb_http_conn *conn, const struct lamb_function *fn,
		 bool wait, bool stream, const char *line, struct lamb_http_response *r)
{
	const struct lamb_http_request *req = lamb_http_request(conn);
	struct call *c = xcalloc(1, sizeof(*c));
	c->a = a;
	c->conn = wait ? conn : NULL;
	c->fn = fn;
	c->line = xstrdup(line);
	c->start_ns = lamb_http_start_ns(conn);
	const char *log_type = lamb_http_header(conn, "X-Amz-Log-Type");
	c->tail = wait && log_type && strcasecmp(log_type, "Tail") == 0;
	c->stream = stream;
	c->next = a->calls;
	if (a->calls)
		a->calls->prev = c;
	a->calls = c;
	char *ctx = client_context(conn);
	struct lamb_invoke_req ir = {
		.event = req->body_len ? req->body : "{}",
		.len = req->body_len ? req->body_len : 2,
		.client_context = ctx,
		.trace_id = lamb_http_header(conn, "X-Amzn-Trace-Id"),
		.tenant_id = lamb_http_header(conn, "X-Amz-Tenant-Id"),
		.log_tail = c->tail,
		.chunk = stream ? on_chunk : NULL,
	};
	struct lamb_err err;
	int rc = lamb_invoke(a->iv, fn, &ir, on_outcome, c, &err);
	free(ctx);
	if (rc < 0) {
		call_free(c);
		api_error(r, 500, "ServiceException", "%s", err.msg);
		return -1;
	}
	return 0;
}

/* One JSON value and nothing after it but blanks: Lambda refuses
 * '{"a":1}garbage', which cJSON alone would take as {"a":1}. */
static bool valid_json(const char *s, size_t len)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(s, len, &end, false);
	cJSON_Delete(j);
	if (!j)
		return false;
	while (end < s + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	return end == s + len;
}

/* X-Amz-Client-Context, when given, must be base64 of a JSON object. */
static bool valid_client_context(struct lamb_http_conn *conn)
{
	const char *b64 = lamb_http_header(conn, "X-Amz-Client-Context");
	size_t len;
	if (!b64)
		return true;
	char *json = lamb_base64_decode(b64, strlen(b64), &len);
	cJSON *j = json ? cJSON_ParseWithLength(json, len) : NULL;
	bool ok = j && cJSON_IsObject(j) && valid_json(json, len);
	cJSON_Delete(j);
	free(json);
	return ok;
}

/* X-Amz-Tenant-Id exactly when fn has tenant isolation (TenancyConfig),
 * refused as Lambda's Invoke refuses it otherwise. */
static bool tenant_ok(const struct lamb_function *fn, struct lamb_http_conn *conn, struct lamb_http_response *r)
{
	const char *tenant = lamb_http_header(conn, "X-Amz-Tenant-Id");
	if (fn->per_tenant && (!tenant || !*tenant))
		api_error(r, 400, "InvalidParameterValueException", "The invoked function is enabled with "
			  "tenancy configuration. Add a valid tenant ID in your request and try again.");
	else if (!fn->per_tenant && tenant)
		api_error(r, 400, "InvalidParameterValueException", "The invoked function is not enabled with "
			  "tenancy configuration. Remove the tenant ID from your request and try again.");
	else if (tenant && strlen(tenant) > 256)
		api_error(r, 400, "InvalidParameterValueException", "tenant ID is longer than 256 characters");
	else
		return true;
	return false;
}

/* Event through the caller's queue (on_event): 202, or 413 above its limit. */
static void queue_event(struct lamb_lambda_api *a, struct lamb_http_conn *conn, const struct lamb_function *fn,
			struct lamb_http_response *r)
{
	const struct lamb_http_request *req = lamb_http_request(conn);
	struct lamb_err err;
	if (a->opts.on_event(a->opts.event_data, fn, req->body_len ? req->body : "{}", req->body_len ? req->body_len : 2,
			     lamb_http_header(conn, "X-Amzn-Trace-Id"), lamb_http_header(conn, "X-Amz-Tenant-Id"),
			     &err) < 0)
		api_error(r, 413, "RequestEntityTooLargeException", "%s", err.msg);
	else
		r->status = 202;
}

static void on_request(void *data, struct lamb_http_conn *conn)
{
	struct lamb_lambda_api *a = data;
	const struct lamb_http_request *req = lamb_http_request(conn);
	char *line = xasprintf("%s %s", req->method, lamb_http_uri(conn));
	char *name = function_name(req->path, PREFIX, SUFFIX);
	bool stream = false;
	if (!name && (name = function_name(req->path, STREAM_PREFIX, STREAM_SUFFIX)))
		stream = true;
	const struct lamb_function *fn = name ? lamb_lambda_api_find(a->m, name) : NULL;
	const char *type = lamb_http_header(conn, "X-Amz-Invocation-Type");
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	if (!name && a->dashboard && strcmp(req->method, "GET") == 0 && strncmp(req->path, "/_lamb", 6) == 0) {
		char *to = xasprintf("%s%s", a->dashboard, req->path); /* the dashboard's own port */
		lamb_http_response_message(&r, 302, "Found");
		lamb_http_response_add_header(&r, "Location", to);
		free(to);
	} else if (!name || strcmp(req->method, "POST") != 0) {
		api_error(&r, 404, "UnknownOperationException", "Unknown operation %s", line);
	} else if (!fn || !served(a, fn)) {
		api_error(&r, 404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:%s:%s:function:%s",
			  a->m->region, a->m->account_id, name);
	} else if (lamb_http_too_large(conn) || req->body_len > MAX_PAYLOAD) {
		api_error(&r, 413, "RequestEntityTooLargeException",
			  "Request must be smaller than %d bytes for the InvokeFunction operation", MAX_PAYLOAD);
	} else if (type && strcmp(type, "RequestResponse") != 0 && (stream || strcmp(type, "Event") != 0) &&
		   strcmp(type, "DryRun") != 0) {
		api_error(&r, 400, "InvalidParameterValueException", "Unsupported invocation type '%s'", type);
	} else if (req->body_len && !valid_json(req->body, req->body_len)) {
		api_error(&r, 400, "InvalidRequestContentException", "Could not parse request body into json");
	} else if (!valid_client_context(conn)) {
		api_error(&r, 400, "InvalidRequestContentException",
			  "Client context must be a valid Base64-encoded JSON object.");
	} else if (fn->local_reason) {
		api_error(&r, 400, "InvalidParameterValueException", "function '%s' cannot run locally: %s",
			  fn->logical_id, fn->local_reason);
	} else if (!tenant_ok(fn, conn, &r)) {
		/* answered: 400 as Lambda's */
	} else if (type && strcmp(type, "DryRun") == 0) {
		r.status = 204;
	} else if (type && strcmp(type, "Event") == 0 && a->opts.on_event) {
		queue_event(a, conn, fn, &r);
	} else if (type && strcmp(type, "Event") == 0) {
		if (start(a, conn, fn, false, false, line, &r) == 0)
			r.status = 202; /* the function runs on in the background */
	} else if (start(a, conn, fn, true, stream, line, &r) == 0) {
		goto out; /* answered by on_outcome */
	}
	log_line(a, line, r.status, lamb_http_start_ns(conn), fn ? fn->logical_id : NULL);
	lamb_http_reply(conn, &r);
out:
	lamb_http_response_release(&r);
	free(name);
	free(line);
}

struct lamb_lambda_api *lamb_lambda_api_new(struct lamb_loop *loop, struct lamb_invoker *iv,
					    const struct lamb_model *m, const struct lamb_lambda_api_opts *o,
					    struct lamb_err *err)
{
	struct lamb_lambda_api *a = xcalloc(1, sizeof(*a));
	a->loop = loop;
	a->iv = iv;
	a->m = m;
	if (o)
		a->opts = *o;
	struct lamb_http_server_opts ho = {
		.host = a->opts.host, .port = a->opts.port, .max_body = MAX_PAYLOAD,
		.handler = on_request, .data = a,
	};
	a->http = lamb_http_server_new(loop, &ho, err);
	if (!a->http) {
		free(a);
		return NULL;
	}
	lamb_loop_batch_output(loop, logf_(a)); /* an invocation logs three lines: one write */
	return a;
}

void lamb_lambda_api_free(struct lamb_lambda_api *a)
{
	if (!a)
		return;
	while (a->calls) {
		if (a->calls->conn && a->calls->started)
			lamb_http_stream_end(a->calls->conn); /* its closed call would find the call gone */
		call_free(a->calls);
	}
	lamb_http_server_free(a->http);
	free(a->dashboard);
	free(a);
}

int lamb_lambda_api_port(const struct lamb_lambda_api *a)
{
	return lamb_http_server_port(a->http);
}

void lamb_lambda_api_set_dashboard(struct lamb_lambda_api *a, const char *base)
{
	free(a->dashboard);
	a->dashboard = base ? xstrdup(base) : NULL;
}
