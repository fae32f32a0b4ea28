/* The asynchronous queue. An event waits in a list until due, runs, and on
 * a function error, timeout or crash is retried after one minute, then two
 * (Lambda's waits), up to MaximumRetryAttempts; a throttle is retried with
 * a doubling wait from one second to five minutes, not counted as an
 * attempt. An event older than MaximumEventAgeInSeconds is dropped. What
 * happens last goes to the OnSuccess or OnFailure destination (a function
 * of the template gets the invocation record, asynchronously; a queue or
 * bus gets it through the sink) or, on failure without one, to the
 * dead-letter queue. Pending events live in a journal,
 * .lamb/async/events.jsonl beside the template (a line per event state,
 * written before the event is accepted or its retry waits, and one when it
 * is done), so that a restart or a crash of lamb loses no retry. */
#include "front/async.h"

#include "base/journal.h"
#include "base/util.h"
#include "front/lambda-api.h"
#include "front/sched-expr.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct event {
	struct lamb_async *a;
	const struct lamb_function *fn;
	char *payload;
	size_t len;
	char *source;
	char *trace; /* the sender's, or NULL */
	char *tenant; /* the Invoke's X-Amz-Tenant-Id, or NULL */
	char id[40];
	int attempts;  /* invocations that ran (not throttled) */
	int throttles;
	int64_t enqueued_ms, due_ms;
	bool running;
	size_t token;
	struct event *next;
};

struct lamb_async {
	struct lamb_loop *loop;
	struct lamb_invoker *iv;
	const struct lamb_model *m;
	struct lamb_scheduler *clock;
	FILE *log;
	struct event *events;
	lamb_async_sink sink;
	void *sink_data;
	struct lamb_journal journal; /* .f NULL: in memory only */
};

void lamb_async_set_sink(struct lamb_async *a, lamb_async_sink sink, void *data)
{
	a->sink = sink;
	a->sink_data = data;
}

struct config {
	long max_retries, max_age_s;
	const char *on_success, *on_failure, *dlq; /* ARNs or NULL */
};

static const char *destination(const struct lamb_node *dc, const char *which)
{
	return lamb_node_str(lamb_node_get(lamb_node_get(dc, which), "Destination"));
}

static void read_config_node(const struct lamb_node *n, struct config *c)
{
	long v;
	if (lamb_node_long(lamb_node_get(n, "MaximumRetryAttempts"), &v) && v >= 0 && v <= 2)
		c->max_retries = v;
	if (lamb_node_long(lamb_node_get(n, "MaximumEventAgeInSeconds"), &v) && v >= 60 && v <= 21600)
		c->max_age_s = v;
	const struct lamb_node *dc = lamb_node_get(n, "DestinationConfig");
	if (destination(dc, "OnSuccess"))
		c->on_success = destination(dc, "OnSuccess");
	if (destination(dc, "OnFailure"))
		c->on_failure = destination(dc, "OnFailure");
}

/* The function's EventInvokeConfig (SAM's property, or an
 * AWS::Lambda::EventInvokeConfig naming it) and dead-letter queue. */
static struct config config_of(const struct lamb_async *a, const struct lamb_function *fn)
{
	struct config c = { .max_retries = 2, .max_age_s = 21600 };
	read_config_node(fn->invoke_config, &c);
	for (size_t i = 0; i < a->m->nsources; i++) {
		const struct lamb_source *s = &a->m->sources[i];
		const char *name = lamb_node_str(lamb_node_get(s->properties, "FunctionName"));
		if (strcmp(s->type, "AWS::Lambda::EventInvokeConfig") == 0 && name &&
		    lamb_lambda_api_find(a->m, name) == fn)
			read_config_node(s->properties, &c);
	}
	c.dlq = lamb_node_str(lamb_node_get(fn->dead_letter, "TargetArn"));
	return c;
}

static void run(struct lamb_async *a, struct event *e, int64_t now);

static void journal_state(struct lamb_async *a, const struct event *e);
static void journal_done(struct lamb_async *a, const struct event *e);

static void free_event(struct lamb_async *a, struct event *e)
{
	struct event **p = &a->events;
	while (*p && *p != e)
		p = &(*p)->next;
	if (*p)
		*p = e->next;
	free(e->payload);
	free(e->source);
	free(e->trace);
	free(e->tenant);
	free(e);
}

static bool rewrite_journal(struct lamb_async *a, const char *path);

static size_t live(void *data)
{
	size_t n = 0;
	for (const struct event *e = ((struct lamb_async *)data)->events; e; e = e->next)
		n++;
	return n;
}

/* e is done with: out of the journal too, which is written afresh when it
 * holds mostly events that are over. */
static void unlink_event(struct lamb_async *a, struct event *e)
{
	journal_done(a, e);
	free_event(a, e);
	if (lamb_journal_wants_rewrite(&a->journal, live, a))
		rewrite_journal(a, NULL);
}

static struct event *queue(struct lamb_async *a, const struct lamb_function *fn, const char *event, size_t len,
			   const char *source, const char *trace, const char *tenant)
{
	struct event *e = xcalloc(1, sizeof(*e));
	e->trace = trace ? xstrdup(trace) : NULL;
	e->tenant = tenant ? xstrdup(tenant) : NULL;
	e->a = a;
	e->fn = fn;
	e->payload = xstrndup(event, len);
	e->len = len;
	e->source = xstrdup(source);
	lamb_invoke_request_id(e->id);
	e->enqueued_ms = e->due_ms = lamb_scheduler_now(a->clock);
	struct event **p = &a->events; /* at the end: first come, first run */
	while (*p)
		p = &(*p)->next;
	*p = e;
	return e;
}

/* The record a destination gets, as Lambda writes it. */
static char *record(const struct lamb_async *a, const struct event *e, const char *condition,
		    const struct lamb_outcome *o)
{
	char when[32];
	lamb_sched_iso(lamb_scheduler_now(a->clock), when);
	cJSON *r = cJSON_CreateObject(), *ctx = cJSON_AddObjectToObject(r, "requestContext");
	cJSON_AddStringToObject(r, "version", "1.0");
	cJSON_AddStringToObject(r, "timestamp", when);
	cJSON_AddStringToObject(ctx, "requestId", e->id);
	char *arn = xasprintf("%s:$LATEST", e->fn->arn);
	cJSON_AddStringToObject(ctx, "functionArn", arn);
	free(arn);
	cJSON_AddStringToObject(ctx, "condition", condition);
	cJSON_AddNumberToObject(ctx, "approximateInvokeCount", e->attempts);
	cJSON *payload = cJSON_Parse(e->payload);
	cJSON_AddItemToObject(r, "requestPayload", payload ? payload : cJSON_CreateString(e->payload));
	if (o) {
		cJSON *rc = cJSON_AddObjectToObject(r, "responseContext");
		cJSON_AddNumberToObject(rc, "statusCode", 200);
		cJSON_AddStringToObject(rc, "executedVersion", "$LATEST");
		if (o->kind != LAMB_OUTCOME_RESPONSE)
			cJSON_AddStringToObject(rc, "functionError", "Unhandled");
		cJSON *resp = o->len ? cJSON_ParseWithLength(o->body, o->len) : NULL;
		cJSON_AddItemToObject(r, "responsePayload", resp ? resp : cJSON_CreateNull());
	}
	char *s = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	return s;
}

/* The record to arn: a function of the template gets it asynchronously;
 * queues, topics and buses are not run locally yet, which the log says. */
static void deliver(struct lamb_async *a, const struct event *e, const char *what, const char *arn,
		    const char *condition, const struct lamb_outcome *o)
{
	const struct lamb_function *to = lamb_lambda_api_find(a->m, arn);
	struct lamb_err err;
	char *rec = record(a, e, condition, o);
	char *source = xasprintf("%s of %s", what, e->fn->logical_id), trace[96];
	lamb_lineage_trace(trace, lamb_lineage_hops(e->trace) + 1); /* the destination is the next hop */
	if (!to && a->sink && a->sink(a->sink_data, arn, rec, condition))
		fprintf(a->log, "lamb: %s delivered to %s\n", source, arn);
	else if (!to)
		fprintf(a->log, "lamb: %s (%s) is not delivered: it is not a function, queue, topic or bus of the template\n",
			source, arn);
	else if (lamb_async_submit(a, to, rec, strlen(rec), source, trace, NULL, &err) < 0)
		fprintf(a->log, "lamb: %s is not delivered: %s\n", source, err.msg);
	free(source);
	free(rec);
}

static void failed_for_good(struct lamb_async *a, struct event *e, const char *condition,
			    const struct lamb_outcome *o)
{
	struct config c = config_of(a, e->fn);
	fprintf(a->log, "lamb: %s -> %s: dropped after %d attempt%s (%s)\n", e->source, e->fn->logical_id,
		e->attempts, e->attempts == 1 ? "" : "s", condition);
	if (c.on_failure)
		deliver(a, e, "OnFailure", c.on_failure, condition, o);
	else if (c.dlq)
		deliver(a, e, "DeadLetterQueue", c.dlq, condition, o);
}

static void on_outcome(void *data, const struct lamb_outcome *o)
{
	struct event *e = data;
	struct lamb_async *a = e->a;
	int64_t now = lamb_scheduler_now(a->clock);
	struct config c = config_of(a, e->fn);
	e->running = false;
	size_t token = e->token;
	if (o->kind == LAMB_OUTCOME_THROTTLED) {
		int64_t wait = (int64_t)1000 << (e->throttles < 9 ? e->throttles : 9);
		e->throttles++;
		e->due_ms = now + (wait < 300000 ? wait : 300000);
	} else {
		e->attempts++;
		if (o->kind == LAMB_OUTCOME_RESPONSE) {
			if (c.on_success)
				deliver(a, e, "OnSuccess", c.on_success, "Success", o);
			e->due_ms = -1;
		} else if (e->attempts > c.max_retries) {
			failed_for_good(a, e, "RetriesExhausted", o);
			e->due_ms = -1;
		} else {
			e->due_ms = now + (e->attempts == 1 ? 60000 : 120000);
		}
	}
	if (e->due_ms < 0)
		unlink_event(a, e);
	else
		journal_state(a, e); /* the retry's due time, kept across a restart */
	lamb_scheduler_poke(a->clock);
	lamb_scheduler_end(a->clock, token, lamb_outcome_name(o->kind));
}

static void run(struct lamb_async *a, struct event *e, int64_t now)
{
	struct config c = config_of(a, e->fn);
	if (now - e->enqueued_ms > c.max_age_s * 1000) {
		failed_for_good(a, e, "EventAgeExceeded", NULL);
		unlink_event(a, e);
		return;
	}
	struct lamb_err err;
	char trace[96];
	int hops = lamb_lineage_hops(e->trace) + 1;
	if (!lamb_lineage_allowed(e->fn, hops, e->source, a->log)) {
		unlink_event(a, e);
		return;
	}
	lamb_lineage_trace(trace, hops);
	struct lamb_invoke_req req = { .event = e->payload, .len = e->len, .trace_id = trace, .tenant_id = e->tenant };
	e->running = true;
	e->token = lamb_scheduler_begin(a->clock, now, e->source, e->fn->logical_id);
	if (lamb_invoke(a->iv, e->fn, &req, on_outcome, e, &err) < 0) {
		fprintf(a->log, "lamb: %s -> %s: %s\n", e->source, e->fn->logical_id, err.msg);
		size_t token = e->token;
		unlink_event(a, e);
		lamb_scheduler_end(a->clock, token, "not invoked");
	}
}

static int64_t next_due(void *data)
{
	struct lamb_async *a = data;
	int64_t min = -1;
	for (struct event *e = a->events; e; e = e->next)
		if (!e->running && (min < 0 || e->due_ms < min))
			min = e->due_ms;
	return min;
}

static void run_due(void *data, int64_t now)
{
	struct lamb_async *a = data;
	for (struct event *e = a->events, *next; e; e = next) {
		next = e->next;
		if (!e->running && e->due_ms <= now)
			run(a, e, now);
	}
}

/* The journal: one line per event state, {"done": id} once it is over. */
static void journal_line(struct lamb_async *a, cJSON *o)
{
	lamb_journal_add(&a->journal, o);
}

static void journal_state(struct lamb_async *a, const struct event *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", e->id);
	cJSON_AddStringToObject(o, "function", e->fn->logical_id);
	cJSON_AddStringToObject(o, "source", e->source);
	if (e->trace)
		cJSON_AddStringToObject(o, "trace", e->trace);
	if (e->tenant)
		cJSON_AddStringToObject(o, "tenant", e->tenant);
	cJSON_AddStringToObject(o, "payload", e->payload);
	cJSON_AddNumberToObject(o, "attempts", e->attempts);
	cJSON_AddNumberToObject(o, "throttles", e->throttles);
	cJSON_AddNumberToObject(o, "enqueued", (double)e->enqueued_ms);
	cJSON_AddNumberToObject(o, "due", (double)e->due_ms);
	journal_line(a, o);
}

static void journal_done(struct lamb_async *a, const struct event *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "done", e->id);
	journal_line(a, o);
}

static struct event *find_id(struct lamb_async *a, const char *id)
{
	for (struct event *e = a->events; e; e = e->next)
		if (strcmp(e->id, id) == 0)
			return e;
	return NULL;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* One line of an earlier run: a state replaces the event's last one. */
static void replay(struct lamb_async *a, const cJSON *o)
{
	const char *done = str(o, "done"), *id = str(o, "id"), *fname = str(o, "function");
	const char *payload = str(o, "payload"), *source = str(o, "source");
	struct event *old = find_id(a, done ? done : id ? id : "");
	if (old)
		free_event(a, old);
	if (done || !id || !fname || !payload || !source)
		return;
	const struct lamb_function *fn = lamb_lambda_api_find(a->m, fname);
	if (!fn) {
		fprintf(a->log, "lamb: warning: pending event %s of '%s' is dropped: the template has no such function\n",
			id, fname);
		return;
	}
	struct event *e = queue(a, fn, payload, strlen(payload), source, str(o, "trace"), str(o, "tenant"));
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->attempts = (int)num(o, "attempts");
	e->throttles = (int)num(o, "throttles");
	e->enqueued_ms = (int64_t)num(o, "enqueued");
	e->due_ms = (int64_t)num(o, "due");
}

static void replay_line(const cJSON *o, void *a)
{
	replay(a, o);
}

/* Writes the journal afresh with the pending events. */
static bool rewrite_journal(struct lamb_async *a, const char *path)
{
	if (!lamb_journal_begin(&a->journal, path))
		return a->journal.f != NULL;
	for (struct event *e = a->events; e; e = e->next)
		journal_state(a, e);
	return lamb_journal_commit(&a->journal);
}

static int count(const struct lamb_async *a)
{
	int n = 0;
	for (const struct event *e = a->events; e; e = e->next)
		n++;
	return n;
}

/* Reloads the events an earlier run left pending, with their due times
 * (an event that was running when lamb stopped runs again: Lambda's
 * at-least-once), then rewrites the journal with them and keeps it open. */
static void load(struct lamb_async *a)
{
	char *dir = xasprintf("%s/.lamb", a->m->dir), *sub = xasprintf("%s/async", dir);
	char *path = xasprintf("%s/events.jsonl", sub);
	mkdir(dir, 0755);
	mkdir(sub, 0755);
	lamb_journal_replay(path, replay_line, a);
	if (!rewrite_journal(a, path))
		fprintf(a->log, "lamb: warning: cannot keep pending events in '%s': they live in memory only\n", path);
	else if (a->events)
		fprintf(a->log, "lamb: %d pending asynchronous event%s reloaded\n", count(a), count(a) == 1 ? "" : "s");
	free(path);
	free(sub);
	free(dir);
}

int lamb_async_submit(struct lamb_async *a, const struct lamb_function *fn, const char *event, size_t len,
		      const char *source, const char *trace, const char *tenant, struct lamb_err *err)
{
	if (len > LAMB_ASYNC_MAX_EVENT)
		return lamb_err_set(err, "event of %zu bytes is above the %d bytes of an asynchronous invocation", len,
				    LAMB_ASYNC_MAX_EVENT);
	struct event *e = queue(a, fn, event, len, source, trace, tenant);
	journal_state(a, e); /* on disk before the caller answers */
	run(a, e, lamb_scheduler_now(a->clock)); /* due now, whatever the clock */
	return 0;
}

struct lamb_async *lamb_async_new(struct lamb_loop *loop, struct lamb_invoker *iv, const struct lamb_model *m,
				  struct lamb_scheduler *clock, FILE *log)
{
	struct lamb_async *a = xcalloc(1, sizeof(*a));
	*a = (struct lamb_async){ .loop = loop, .iv = iv, .m = m, .clock = clock, .log = log ? log : stderr };
	struct lamb_clocked c = { next_due, run_due, a };
	lamb_scheduler_add_clocked(clock, &c);
	lamb_scheduler_use_async(clock, a);
	load(a);
	lamb_scheduler_poke(clock);
	return a;
}

void lamb_async_free(struct lamb_async *a)
{
	if (!a)
		return;
	while (a->events)
		free_event(a, a->events); /* still pending: they stay in the journal */
	lamb_journal_close(&a->journal);
	free(a);
}
