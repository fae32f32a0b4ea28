/* The services port of lamb local start. Today it holds the clock: its
 * time, and advancing it (manual clock), which answers once everything
 * that fell due has fired and finished, listing time, source, function and
 * outcome of each, so that a test or `lamb local clock advance` sees what
 * its step of time did. */
#include "front/local-services.h"

#include "base/url.h"
#include "base/util.h"
#include "front/async.h"
#include "front/eventbridge.h"
#include "front/s3.h"
#include "front/sns.h"
#include "front/sched-expr.h"
#include "front/sched.h"
#include "front/sqs-api.h"
#include "http/http-server.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct lamb_local_services {
	struct lamb_http_server *http;
	struct lamb_scheduler *sched;
	struct lamb_async *async;
	struct lamb_sqs *sqs;
	struct lamb_eventbridge *eb;
	struct lamb_sns *sns;
	struct lamb_s3 *s3;
	struct lamb_http_conn *advancing; /* the request an advance answers */
};

int64_t lamb_duration_ms(const char *s)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 } };
	int64_t total = 0;
	if (!s || !*s)
		return -1;
	while (*s) {
		char *end;
		if (!isdigit((unsigned char)*s))
			return -1;
		long long n = strtoll(s, &end, 10);
		size_t i = 0, len = strspn(end, "abcdefghijklmnopqrstuvwxyz");
		while (i < ARRAY_SIZE(units) && (len != strlen(units[i].unit) || strncmp(end, units[i].unit, len) != 0))
			i++;
		if (len == 0 && !*end && total == 0)
			return n * 1000;
		if (i == ARRAY_SIZE(units) || n > INT64_MAX / units[i].ms / 2)
			return -1;
		total += n * units[i].ms;
		s = end + len;
	}
	return total;
}

static void reply_json(struct lamb_http_conn *c, int status, cJSON *body)
{
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	r.status = status;
	r.body = cJSON_PrintUnformatted(body);
	r.body_len = strlen(r.body);
	lamb_http_response_add_header(&r, "Content-Type", "application/json");
	lamb_http_reply(c, &r);
	lamb_http_response_release(&r);
	cJSON_Delete(body);
}

static cJSON *clock_json(const struct lamb_local_services *s, int64_t now)
{
	char when[32];
	lamb_sched_iso(now, when);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "mode", lamb_scheduler_manual(s->sched) ? "manual" : "real");
	cJSON_AddStringToObject(o, "now", when);
	cJSON_AddNumberToObject(o, "nowMs", (double)now);
	return o;
}

static void on_advanced(void *data, const struct lamb_fired *fired, size_t n, int64_t now)
{
	struct lamb_local_services *s = data;
	cJSON *o = clock_json(s, now), *list = cJSON_AddArrayToObject(o, "fired");
	for (size_t i = 0; i < n; i++) {
		char when[32];
		lamb_sched_iso(fired[i].time_ms, when);
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "time", when);
		cJSON_AddStringToObject(f, "source", fired[i].source);
		cJSON_AddStringToObject(f, "function", fired[i].function);
		cJSON_AddStringToObject(f, "outcome", fired[i].outcome);
		cJSON_AddItemToArray(list, f);
	}
	struct lamb_http_conn *c = s->advancing;
	s->advancing = NULL;
	reply_json(c, 200, o);
}

static void error_reply(struct lamb_http_conn *c, int status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "message", msg);
	reply_json(c, status, o);
}

/* The decoded value of name in a query string, or NULL. */
static char *query_get(const char *q, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = q; p && *p; p = strchr(p, '&'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return lamb_url_decode(p + n + 1, strcspn(p + n + 1, "&"), true);
	return NULL;
}

/* ?by=1h, or the body "1h". */
static int64_t advance_by(const struct lamb_http_request *req)
{
	char *v = req->query ? query_get(req->query, "by") : NULL;
	if (!v && req->body_len)
		v = xstrndup(req->body, req->body_len);
	int64_t ms = lamb_duration_ms(v);
	free(v);
	return ms;
}

static void on_request(void *data, struct lamb_http_conn *c)
{
	struct lamb_local_services *s = data;
	const struct lamb_http_request *req = lamb_http_request(c);
	struct lamb_err err;
	if (strcmp(req->path, "/_lamb/clock") == 0 && strcmp(req->method, "GET") == 0) {
		reply_json(c, 200, clock_json(s, lamb_scheduler_now(s->sched)));
	} else if (strcmp(req->path, "/_lamb/clock/advance") == 0 && strcmp(req->method, "POST") == 0) {
		int64_t by = advance_by(req);
		if (by < 0)
			return error_reply(c, 400, "advance takes a duration: ?by=90s, 15m, 1h30m or 1d");
		s->advancing = c;
		if (lamb_scheduler_advance(s->sched, by, on_advanced, s, &err) < 0) {
			s->advancing = NULL;
			error_reply(c, 409, err.msg);
		}
	} else {
		struct lamb_http_response r;
		lamb_http_response_init(&r);
		const char *target = lamb_http_header(c, "X-Amz-Target");
		const char *trace = lamb_http_header(c, "X-Amzn-Trace-Id");
		if (lamb_eventbridge_handle_traced(s->eb, req, target, trace, &r) || lamb_sns_handle(s->sns, req, trace, &r) ||
		    lamb_s3_handle(s->s3, req, lamb_http_header(c, "x-amz-copy-source"), trace, &r))
			lamb_http_reply(c, &r);
		else if (!lamb_sqs_api_handle(s->sqs, c, target, trace))
			error_reply(c, 404, "no such local service");
		lamb_http_response_release(&r);
	}
}

/* A destination that is a queue or a bus of the template. */
static bool sink(void *data, const char *arn, const char *record, const char *condition)
{
	struct lamb_local_services *s = data;
	if (strstr(arn, ":events:") || str_starts(arn, "default") || strstr(arn, "event-bus")) {
		char id[40], when[32];
		lamb_invoke_request_id(id);
		lamb_sched_iso(lamb_scheduler_now(s->sched), when);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "version", "0");
		cJSON_AddStringToObject(e, "id", id);
		cJSON_AddStringToObject(e, "detail-type", strcmp(condition, "Success") == 0 ?
							  "Lambda Function Invocation Result - Success" :
							  "Lambda Function Invocation Result - Failure");
		cJSON_AddStringToObject(e, "source", "lambda");
		cJSON_AddStringToObject(e, "time", when);
		cJSON_AddItemToObject(e, "detail", cJSON_Parse(record));
		const char *slash = strrchr(arn, '/');
		lamb_eventbridge_put(s->eb, slash ? slash + 1 : "default", e, NULL);
		cJSON_Delete(e);
		return true;
	}
	/* a topic or a queue by ARN, or by the template's Ref (its logical id) */
	return lamb_sns_publish(s->sns, arn, record, NULL) || lamb_sqs_send(s->sqs, arn, record);
}

struct lamb_local_services *lamb_local_services_new(struct lamb_loop *loop, struct lamb_invoker *iv,
						    const struct lamb_model *m,
						    const struct lamb_local_services_opts *o, struct lamb_err *err)
{
	struct lamb_local_services *s = xcalloc(1, sizeof(*s));
	struct lamb_http_server_opts ho = { .host = o->host, .port = o->port, .max_body = 64 << 20,
					    .handler = on_request, .data = s };
	if (!(s->http = lamb_http_server_new(loop, &ho, err))) {
		free(s);
		return NULL;
	}
	s->sched = lamb_scheduler_new(loop, iv, m, o->manual_clock, o->log);
	s->async = lamb_async_new(loop, iv, m, s->sched, o->log);
	char *base = xasprintf("http://%s:%d", o->host ? o->host : "127.0.0.1", lamb_http_server_port(s->http));
	s->sqs = lamb_sqs_new(loop, iv, m, s->sched, base, o->log);
	free(base);
	s->eb = lamb_eventbridge_new(m, s->async, o->log);
	s->sns = lamb_sns_new(m, s->async, s->sqs, s->sched, o->log);
	s->s3 = lamb_s3_new(loop, m, s->async, s->sched, o->log);
	lamb_async_set_sink(s->async, sink, s);
	return s;
}

void lamb_local_services_free(struct lamb_local_services *s)
{
	if (!s)
		return;
	lamb_http_server_free(s->http);
	lamb_s3_free(s->s3);
	lamb_sns_free(s->sns);
	lamb_eventbridge_free(s->eb);
	lamb_sqs_free(s->sqs);
	lamb_async_free(s->async);
	lamb_scheduler_free(s->sched);
	free(s);
}

int lamb_local_services_port(const struct lamb_local_services *s)
{
	return lamb_http_server_port(s->http);
}

void lamb_local_services_describe(const struct lamb_local_services *s, FILE *out)
{
	lamb_scheduler_describe(s->sched, out);
	lamb_sqs_describe(s->sqs, out);
	lamb_eventbridge_describe(s->eb, out);
	lamb_sns_describe(s->sns, out);
	lamb_s3_describe(s->s3, out);
}

int lamb_local_services_event(void *services, const struct lamb_function *fn, const char *event, size_t len,
			      const char *trace, const char *tenant, struct lamb_err *err)
{
	struct lamb_local_services *s = services;
	return lamb_async_submit(s->async, fn, event, len, "invoke", trace, tenant, err);
}
