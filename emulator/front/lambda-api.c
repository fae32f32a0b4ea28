/* The Invoke API. RequestResponse waits for the outcome and answers 200
 * (a function error is still a 200, marked X-Amz-Function-Error: Unhandled);
 * Event answers 202 at once and lets the function run; DryRun checks and
 * answers 204. Errors of the API itself carry x-amzn-ErrorType, which the
 * SDKs turn into exceptions (ResourceNotFoundException, ...). */
#include "base/url.h"
#include "base/util.h"
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
};

struct call {
	struct lamb_lambda_api *a;
	struct lamb_http_conn *conn; /* NULL for Event invocations */
	const struct lamb_function *fn;
	char *line;
	uint64_t start_ns;
	bool tail;                   /* X-Amz-Log-Type: Tail */
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

static void on_outcome(void *data, const struct lamb_outcome *o)
{
	struct call *c = data;
	if (!c->conn) { /* an Event invocation: nobody waits */
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

/* The name in /2015-03-31/functions/NAME/invocations, decoded; or NULL. */
static char *function_name(const char *path)
{
	if (!str_starts(path, PREFIX) || !str_ends(path, SUFFIX))
		return NULL;
	size_t start = strlen(PREFIX), end = strlen(path) - strlen(SUFFIX);
	if (end <= start)
		return NULL;
	return lamb_url_decode(path + start, end - start, false);
}

/* 0 when the function was started (wait: the answer comes from
 * on_outcome), -1 with r filled when it could not be. */
static int start(struct lamb_lambda_api *a, struct lamb_http_conn *conn, const struct lamb_function *fn,
		 bool wait, const char *line, struct lamb_http_response *r)
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
		.log_tail = c->tail,
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

/* Event through the caller's queue (on_event): 202, or 413 above its limit. */
static void queue_event(struct lamb_lambda_api *a, struct lamb_http_conn *conn, const struct lamb_function *fn,
			struct lamb_http_response *r)
{
	const struct lamb_http_request *req = lamb_http_request(conn);
	struct lamb_err err;
	if (a->opts.on_event(a->opts.event_data, fn, req->body_len ? req->body : "{}", req->body_len ? req->body_len : 2,
			     lamb_http_header(conn, "X-Amzn-Trace-Id"), &err) < 0)
		api_error(r, 413, "RequestEntityTooLargeException", "%s", err.msg);
	else
		r->status = 202;
}

static void on_request(void *data, struct lamb_http_conn *conn)
{
	struct lamb_lambda_api *a = data;
	const struct lamb_http_request *req = lamb_http_request(conn);
	char *line = xasprintf("%s %s", req->method, lamb_http_uri(conn));
	char *name = function_name(req->path);
	const struct lamb_function *fn = name ? lamb_lambda_api_find(a->m, name) : NULL;
	const char *type = lamb_http_header(conn, "X-Amz-Invocation-Type");
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	if (!name || strcmp(req->method, "POST") != 0) {
		api_error(&r, 404, "UnknownOperationException", "Unknown operation %s", line);
	} else if (!fn || !served(a, fn)) {
		api_error(&r, 404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:%s:%s:function:%s",
			  a->m->region, a->m->account_id, name);
	} else if (lamb_http_too_large(conn) || req->body_len > MAX_PAYLOAD) {
		api_error(&r, 413, "RequestEntityTooLargeException",
			  "Request must be smaller than %d bytes for the InvokeFunction operation", MAX_PAYLOAD);
	} else if (type && strcmp(type, "RequestResponse") != 0 && strcmp(type, "Event") != 0 &&
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
	} else if (type && strcmp(type, "DryRun") == 0) {
		r.status = 204;
	} else if (type && strcmp(type, "Event") == 0 && a->opts.on_event) {
		queue_event(a, conn, fn, &r);
	} else if (type && strcmp(type, "Event") == 0) {
		if (start(a, conn, fn, false, line, &r) == 0)
			r.status = 202; /* the function runs on in the background */
	} else if (start(a, conn, fn, true, line, &r) == 0) {
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
	while (a->calls)
		call_free(a->calls);
	lamb_http_server_free(a->http);
	free(a);
}

int lamb_lambda_api_port(const struct lamb_lambda_api *a)
{
	return lamb_http_server_port(a->http);
}
