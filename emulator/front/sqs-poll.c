/* SQS event source mappings as Lambda runs them: up to MaximumConcurrency
 * batches in flight per mapping, each of up to BatchSize visible messages
 * (or fewer once MaximumBatchingWindowInSeconds has passed since the
 * oldest became visible), invoked synchronously; success deletes the
 * batch, or with ReportBatchItemFailures all but the items the function
 * names; a failure leaves the batch to reappear after its visibility
 * timeout, until the queue's RedrivePolicy moves it aside. */
#include "front/sqs-int.h"

#include "base/util.h"
#include "front/event-pattern.h"
#include "front/eventbridge.h"
#include "front/lambda-api.h"
#include "front/sched-expr.h"

#include <stdlib.h>
#include <string.h>

#define MAX_BATCH 10000

struct sqs_mapping {
	struct lamb_sqs *q;
	const struct lamb_function *fn;
	struct sqs_queue *queue;
	char *source;
	long batch_size, window_s, max_concurrency;
	bool report_failures;
	int inflight;
	int64_t wake_ms; /* the batching window's end, or -1 */
	cJSON *filters;  /* FilterCriteria's patterns, or NULL */
};

struct batch {
	struct sqs_mapping *mp;
	size_t n;
	char (*ids)[40];
	char (*receipts)[40];
	size_t token;
};

static bool has_report_failures(const struct lamb_node *types)
{
	for (size_t i = 0; types && types->kind == LAMB_SEQ && i < types->len; i++)
		if (str_eq(lamb_node_str(types->items[i]), "ReportBatchItemFailures"))
			return true;
	return false;
}

static void add_mapping(struct lamb_sqs *q, const struct lamb_function *fn, const struct lamb_node *p,
			const char *queue_ref, const char *source)
{
	struct sqs_queue *x = sqs_find(q, queue_ref);
	bool enabled = true;
	lamb_node_bool(lamb_node_get(p, "Enabled"), &enabled);
	if (!x || !enabled) {
		fprintf(q->log, "lamb: warning: %s -> %s is not run: %s\n", source, fn->logical_id,
			x ? "it is disabled" : "its queue is not one of the template's");
		return;
	}
	long v;
	struct sqs_mapping mp = { .q = q, .fn = fn, .queue = x, .source = xstrdup(source), .batch_size = 10,
				  .max_concurrency = 5, .wake_ms = -1,
				  .report_failures = has_report_failures(lamb_node_get(p, "FunctionResponseTypes")) };
	if (lamb_node_long(lamb_node_get(p, "BatchSize"), &v) && v >= 1 && v <= MAX_BATCH)
		mp.batch_size = v;
	if (lamb_node_long(lamb_node_get(p, "MaximumBatchingWindowInSeconds"), &v) && v >= 0 && v <= 300)
		mp.window_s = v;
	if (lamb_node_long(lamb_node_get(lamb_node_get(p, "ScalingConfig"), "MaximumConcurrency"), &v) && v >= 2)
		mp.max_concurrency = v;
	const struct lamb_node *filters = lamb_node_get(lamb_node_get(p, "FilterCriteria"), "Filters");
	for (size_t i = 0; filters && filters->kind == LAMB_SEQ && i < filters->len; i++) {
		const struct lamb_node *pat = lamb_node_get(filters->items[i], "Pattern");
		cJSON *j = lamb_node_str(pat) ? cJSON_Parse(lamb_node_str(pat)) : pat ? lamb_node_to_json(pat) : NULL;
		if (!j) {
			fprintf(q->log, "lamb: warning: %s: a FilterCriteria pattern is not JSON; it is left out\n", source);
			continue;
		}
		if (!mp.filters)
			mp.filters = cJSON_CreateArray();
		cJSON_AddItemToArray(mp.filters, j);
	}
	q->mappings = xrealloc(q->mappings, (q->nmappings + 1) * sizeof(*q->mappings));
	q->mappings[q->nmappings++] = mp;
}

void sqs_read_mappings(struct lamb_sqs *q)
{
	const struct lamb_model *m = q->m;
	for (size_t i = 0; i < m->nfunctions; i++)
		for (size_t j = 0; j < m->functions[i].nevents; j++) {
			const struct lamb_event *e = &m->functions[i].events[j];
			if (strcmp(e->type, "SQS") != 0)
				continue;
			char *source = xasprintf("sqs %s/%s", m->functions[i].logical_id, e->name);
			add_mapping(q, &m->functions[i], e->properties,
				    lamb_node_str(lamb_node_get(e->properties, "Queue")), source);
			free(source);
		}
	for (size_t i = 0; i < m->nsources; i++) {
		const struct lamb_source *s = &m->sources[i];
		const char *fn = lamb_node_str(lamb_node_get(s->properties, "FunctionName"));
		const struct lamb_function *f = fn ? lamb_lambda_api_find(m, fn) : NULL;
		const char *arn = lamb_node_str(lamb_node_get(s->properties, "EventSourceArn"));
		if (strcmp(s->type, "AWS::Lambda::EventSourceMapping") != 0 || !f || !sqs_find(q, arn))
			continue;
		char *source = xasprintf("sqs %s", s->logical_id);
		add_mapping(q, f, s->properties, arn, source);
		free(source);
	}
}

void sqs_free_mappings(struct lamb_sqs *q)
{
	for (size_t i = 0; i < q->nmappings; i++) {
		free(q->mappings[i].source);
		cJSON_Delete(q->mappings[i].filters);
	}
	free(q->mappings);
}

static cJSON *record_of(const struct sqs_mapping *mp, const struct sqs_msg *m)
{
	char buf[32];
	cJSON *r = cJSON_CreateObject(), *a;
	cJSON_AddStringToObject(r, "messageId", m->id);
	cJSON_AddStringToObject(r, "receiptHandle", m->receipt);
	cJSON_AddStringToObject(r, "body", m->body);
	a = cJSON_AddObjectToObject(r, "attributes");
	snprintf(buf, sizeof(buf), "%d", m->receive_count);
	cJSON_AddStringToObject(a, "ApproximateReceiveCount", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)m->sent_ms);
	cJSON_AddStringToObject(a, "SentTimestamp", buf);
	cJSON_AddStringToObject(a, "SenderId", "AIDAIENQZJOLO23YVJ4VO");
	snprintf(buf, sizeof(buf), "%lld", (long long)m->first_receive_ms);
	cJSON_AddStringToObject(a, "ApproximateFirstReceiveTimestamp", buf);
	if (m->group) {
		cJSON_AddStringToObject(a, "MessageGroupId", m->group);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)m->seq);
		cJSON_AddStringToObject(a, "SequenceNumber", buf);
	}
	cJSON_AddItemToObject(r, "messageAttributes", sqs_attrs_event(m->attrs));
	cJSON_AddStringToObject(r, "md5OfBody", m->md5);
	cJSON_AddStringToObject(r, "eventSource", "aws:sqs");
	cJSON_AddStringToObject(r, "eventSourceARN", mp->queue->arn);
	cJSON_AddStringToObject(r, "awsRegion", mp->q->m->region);
	return r;
}

/* FilterCriteria: a record passes when any filter matches it, its body
 * read as JSON when it is a JSON object (as Lambda filters). */
static bool passes(const struct sqs_mapping *mp, const struct sqs_msg *m)
{
	if (!mp->filters)
		return true;
	cJSON *r = record_of(mp, m), *body = cJSON_Parse(m->body), *f;
	if (cJSON_IsObject(body))
		cJSON_ReplaceItemInObjectCaseSensitive(r, "body", body);
	else
		cJSON_Delete(body);
	bool ok = false;
	cJSON_ArrayForEach(f, mp->filters)
		ok = ok || lamb_pattern_match(f, r);
	cJSON_Delete(r);
	return ok;
}

static char *event_of(const struct sqs_mapping *mp, struct sqs_msg **msgs, size_t n)
{
	cJSON *root = cJSON_CreateObject(), *records = cJSON_AddArrayToObject(root, "Records");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(records, record_of(mp, msgs[i]));
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

/* The ids the function reported failed; NULL when its answer says the
 * whole batch failed (not the documented shape, or an empty identifier). */
static cJSON *failed_items(const struct lamb_outcome *o, bool *whole)
{
	cJSON *r = cJSON_ParseWithLength(o->body, o->len);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(r, "batchItemFailures"), *it;
	*whole = false;
	cJSON_ArrayForEach(it, list) {
		const char *id = sqs_str(it, "itemIdentifier");
		if (!id || !*id)
			*whole = true;
	}
	return r;
}

static bool reported(const cJSON *r, const char *id)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r, "batchItemFailures"))
		if (str_eq(sqs_str(it, "itemIdentifier"), id))
			return true;
	return false;
}

static void settle(struct batch *b, const struct lamb_outcome *o)
{
	bool whole = o->kind != LAMB_OUTCOME_RESPONSE;
	cJSON *report = !whole && b->mp->report_failures ? failed_items(o, &whole) : NULL;
	for (size_t i = 0; !whole && i < b->n; i++) {
		struct sqs_msg *m = sqs_by_receipt(b->mp->queue, b->receipts[i]);
		if (m && !reported(report, b->ids[i]))
			sqs_remove(b->mp->queue, m);
	}
	cJSON_Delete(report);
}

static void batch_free(struct batch *b)
{
	free(b->ids);
	free(b->receipts);
	free(b);
}

static void on_outcome(void *data, const struct lamb_outcome *o)
{
	struct batch *b = data;
	struct sqs_mapping *mp = b->mp;
	settle(b, o);
	mp->inflight--;
	size_t token = b->token;
	batch_free(b);
	sqs_poll_queue(mp->q, mp->queue);
	lamb_scheduler_poke(mp->q->clock);
	lamb_scheduler_end(mp->q->clock, token, lamb_outcome_name(o->kind));
}

/* The oldest time a visible message became visible, or -1 when none is. */
static int64_t visible_since(const struct sqs_queue *x, int64_t now, size_t *count)
{
	int64_t oldest = -1;
	*count = 0;
	for (const struct sqs_msg *m = x->head; m; m = m->next)
		if (m->visible_ms <= now) {
			(*count)++;
			if (oldest < 0 || m->visible_ms < oldest)
				oldest = m->visible_ms;
		}
	return oldest;
}

/* One batch for mp when there is one to take now; false when not. */
/* Whether a batch is due now: visible messages, and a full batch or the
 * batching window passed (else the window's end is when to look again). */
static bool due(struct sqs_mapping *mp, int64_t now)
{
	size_t count;
	int64_t oldest = visible_since(mp->queue, now, &count);
	if (!count)
		return false;
	if ((long)count < mp->batch_size && mp->window_s && now < oldest + mp->window_s * 1000) {
		mp->wake_ms = oldest + mp->window_s * 1000;
		return false;
	}
	mp->wake_ms = -1;
	return true;
}

/* Receives up to BatchSize messages into msgs and keeps those the filters
 * pass; *got: how many were received. */
static size_t take(struct sqs_mapping *mp, struct sqs_msg **msgs, size_t *got)
{
	size_t n = 0;
	*got = sqs_receive(mp->q, mp->queue, (size_t)mp->batch_size, mp->queue->visibility_s, msgs);
	for (size_t i = 0; i < *got; i++) {
		if (passes(mp, msgs[i]))
			msgs[n++] = msgs[i];
		else
			sqs_remove(mp->queue, msgs[i]); /* Lambda deletes what its filters drop */
	}
	return n;
}

/* The chain's hop this batch would be; past the limit the batch goes to
 * the dead-letter queue, else is dropped (as Lambda does): 0 then. */
static int hop_of(struct sqs_mapping *mp, struct sqs_msg **msgs, size_t n)
{
	int hops = 0;
	for (size_t i = 0; i < n; i++)
		if (lamb_lineage_hops(msgs[i]->trace) > hops)
			hops = lamb_lineage_hops(msgs[i]->trace);
	if (lamb_lineage_allowed(mp->fn, ++hops, mp->source, mp->q->log))
		return hops;
	for (size_t i = 0; i < n; i++)
		if (!sqs_redrive(mp->q, mp->queue, msgs[i]))
			sqs_remove(mp->queue, msgs[i]);
	return 0;
}

static struct batch *batch_new(struct sqs_mapping *mp, struct sqs_msg **msgs, size_t n)
{
	struct batch *b = xcalloc(1, sizeof(*b));
	b->mp = mp;
	b->n = n;
	b->ids = xcalloc(n, sizeof(*b->ids));
	b->receipts = xcalloc(n, sizeof(*b->receipts));
	for (size_t i = 0; i < n; i++) {
		memcpy(b->ids[i], msgs[i]->id, sizeof(b->ids[i]));
		memcpy(b->receipts[i], msgs[i]->receipt, sizeof(b->receipts[i]));
	}
	return b;
}

/* One batch for mp when there is one to take now; false when not. */
static bool start_batch(struct sqs_mapping *mp, int64_t now)
{
	if (!due(mp, now))
		return false;
	struct sqs_msg **msgs = xcalloc((size_t)mp->batch_size, sizeof(*msgs));
	size_t got, n = take(mp, msgs, &got);
	int hops = n ? hop_of(mp, msgs, n) : 0;
	if (!hops) {
		free(msgs);
		return got > 0; /* all filtered out or stopped: more may be visible */
	}
	struct batch *b = batch_new(mp, msgs, n);
	char *event = event_of(mp, msgs, n), trace[96];
	free(msgs);
	lamb_lineage_trace(trace, hops);
	struct lamb_invoke_req req = { .event = event, .len = strlen(event), .trace_id = trace };
	struct lamb_err err;
	mp->inflight++;
	b->token = lamb_scheduler_begin(mp->q->clock, now, mp->source, mp->fn->logical_id);
	int rc = lamb_invoke(mp->q->iv, mp->fn, &req, on_outcome, b, &err);
	free(event);
	if (rc < 0) {
		fprintf(mp->q->log, "lamb: %s -> %s: %s\n", mp->source, mp->fn->logical_id, err.msg);
		mp->inflight--;
		lamb_scheduler_end(mp->q->clock, b->token, "not invoked");
		batch_free(b);
		return false;
	}
	return true;
}

void sqs_poll_queue(struct lamb_sqs *q, struct sqs_queue *x)
{
	sqs_wake_waiters(q, x); /* a receiver waiting on x takes it before the mappings */
	int64_t now = lamb_scheduler_now(q->clock);
	for (size_t i = 0; i < q->nmappings; i++) {
		struct sqs_mapping *mp = &q->mappings[i];
		if (x && mp->queue != x)
			continue;
		while (mp->inflight < mp->max_concurrency && start_batch(mp, now))
			;
	}
}

/* --- on the clock --- */

static int64_t next_due(void *data)
{
	struct lamb_sqs *q = data;
	int64_t now = lamb_scheduler_now(q->clock), min = -1;
	for (size_t i = 0; i < q->nmappings; i++) {
		const struct sqs_mapping *mp = &q->mappings[i];
		if (mp->wake_ms > now && (min < 0 || mp->wake_ms < min))
			min = mp->wake_ms;
		for (const struct sqs_msg *m = mp->queue->head; m; m = m->next)
			if (m->visible_ms > now && (min < 0 || m->visible_ms < min))
				min = m->visible_ms;
	}
	return min;
}

static void run_due(void *data, int64_t now)
{
	(void)now;
	sqs_poll_queue(data, NULL);
}

/* Messages kept from an earlier run are polled once the loop runs. */
static void poll_all(void *data)
{
	sqs_poll_queue(data, NULL);
}

struct lamb_sqs *lamb_sqs_new(struct lamb_loop *loop, struct lamb_invoker *iv, const struct lamb_model *m,
			      struct lamb_scheduler *clock, const char *base_url, FILE *log)
{
	struct lamb_sqs *q = xcalloc(1, sizeof(*q));
	*q = (struct lamb_sqs){ .loop = loop, .iv = iv, .m = m, .clock = clock, .log = log ? log : stderr,
				.base_url = xstrdup(base_url) };
	sqs_template_queues(q);
	sqs_store_queues(q);
	for (size_t i = 0; i < q->n; i++)
		sqs_store_open(q, q->queues[i]);
	sqs_read_mappings(q);
	struct lamb_clocked c = { next_due, run_due, q };
	lamb_scheduler_add_clocked(clock, &c);
	lamb_loop_defer(loop, poll_all, q);
	return q;
}

void lamb_sqs_free(struct lamb_sqs *q)
{
	if (!q)
		return;
	sqs_free_waiters(q);
	sqs_free_mappings(q);
	sqs_free_queues(q);
	free(q->base_url);
	free(q);
}

void lamb_sqs_describe(const struct lamb_sqs *q, FILE *out)
{
	for (size_t i = 0; i < q->n; i++)
		fprintf(out, "queue %s: %s\n", q->queues[i]->name, q->queues[i]->url);
	for (size_t i = 0; i < q->nmappings; i++) {
		const struct sqs_mapping *mp = &q->mappings[i];
		fprintf(out, "%s -> %s: queue %s, batch %ld%s\n", mp->source, mp->fn->logical_id, mp->queue->name,
			mp->batch_size, mp->report_failures ? ", ReportBatchItemFailures" : "");
	}
}
