/* The queues: messages in send order, each with its visibility time, its
 * receive count and its current receipt handle; a receive hands out what
 * is visible (for a FIFO queue, never a message whose group has one in
 * flight) and hides it for the visibility timeout; a message received
 * maxReceiveCount times moves to the RedrivePolicy's dead-letter queue
 * instead of being handed out again. The mappings (sqs-poll.c) read the
 * same queues. */
#include "front/sqs-int.h"

#include "base/util.h"
#include "front/sched-expr.h"

#include <nettle/base16.h>
#include <nettle/md5.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

cJSON *sqs_fail(struct lamb_sqs_error *e, int status, const char *code, const char *query_code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	e->status = status;
	e->code = code;
	e->query_code = query_code;
	return NULL;
}

const char *sqs_str(const cJSON *p, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, key));
}

long sqs_long(const cJSON *p, const char *key, long def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);
	if (cJSON_IsNumber(v))
		return (long)v->valuedouble;
	if (cJSON_IsString(v) && *v->valuestring)
		return strtol(v->valuestring, NULL, 10);
	return def;
}

static void md5_hex(const char *s, size_t len, char *out)
{
	struct md5_ctx c;
	uint8_t d[MD5_DIGEST_SIZE];
	md5_init(&c);
	md5_update(&c, len, (const uint8_t *)s);
	md5_digest(&c, sizeof(d), d);
	base16_encode_update(out, sizeof(d), d);
	out[2 * MD5_DIGEST_SIZE] = '\0';
}

struct sqs_queue *sqs_add_queue(struct lamb_sqs *q, const char *name, const char *logical_id)
{
	struct sqs_queue *x = xcalloc(1, sizeof(*x));
	x->name = xstrdup(name);
	x->logical_id = logical_id;
	x->url = xasprintf("%s/%s/%s", q->base_url, q->m->account_id, name);
	x->arn = xasprintf("arn:%s:sqs:%s:%s:%s", q->m->partition, q->m->region, q->m->account_id, name);
	x->visibility_s = 30;
	x->fifo = str_ends(name, ".fifo");
	x->created_ms = lamb_scheduler_now(q->clock);
	q->queues = xgrow(q->queues, &q->cap, q->n + 1, sizeof(*q->queues));
	q->queues[q->n++] = x;
	return x;
}

/* A queue by URL, name, ARN, or how the template names one ("Id" of a
 * Ref, "Id.Arn" of a GetAtt). */
struct sqs_queue *sqs_find(const struct lamb_sqs *q, const char *ref)
{
	if (!ref)
		return NULL;
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
	const char *tail = str_starts(ref, "http") && slash ? slash + 1 : str_starts(ref, "arn:") && colon ? colon + 1 : ref;
	size_t n = str_ends(tail, ".Arn") ? strlen(tail) - 4 : strlen(tail);
	for (size_t i = 0; i < q->n; i++) {
		const struct sqs_queue *x = q->queues[i];
		if ((strlen(x->name) == n && strncmp(x->name, tail, n) == 0) ||
		    (x->logical_id && strlen(x->logical_id) == n && strncmp(x->logical_id, tail, n) == 0))
			return q->queues[i];
	}
	return NULL;
}

static void set_attributes(struct sqs_queue *x, const cJSON *attrs)
{
	x->visibility_s = sqs_long(attrs, "VisibilityTimeout", x->visibility_s);
	x->delay_s = sqs_long(attrs, "DelaySeconds", x->delay_s);
	x->wait_s = sqs_long(attrs, "ReceiveMessageWaitTimeSeconds", x->wait_s);
	const char *rp = sqs_str(attrs, "RedrivePolicy");
	cJSON *policy = rp ? cJSON_Parse(rp) : NULL;
	if (policy) {
		free(x->dlq);
		x->dlq = sqs_str(policy, "deadLetterTargetArn") ? xstrdup(sqs_str(policy, "deadLetterTargetArn")) : NULL;
		x->max_receive = sqs_long(policy, "maxReceiveCount", 0);
		cJSON_Delete(policy);
	}
}

/* The template's AWS::SQS::Queue resources. */
void sqs_template_queues(struct lamb_sqs *q)
{
	for (size_t i = 0; i < q->m->nsources; i++) {
		const struct lamb_source *s = &q->m->sources[i];
		if (strcmp(s->type, "AWS::SQS::Queue") != 0)
			continue;
		const struct lamb_node *p = s->properties, *rp = lamb_node_get(p, "RedrivePolicy");
		const char *name = lamb_node_str(lamb_node_get(p, "QueueName"));
		bool fifo = false;
		lamb_node_bool(lamb_node_get(p, "FifoQueue"), &fifo);
		char *fallback = xasprintf("%s%s", s->logical_id, fifo ? ".fifo" : "");
		struct sqs_queue *x = sqs_add_queue(q, name ? name : fallback, s->logical_id);
		free(fallback);
		long v;
		if (lamb_node_long(lamb_node_get(p, "VisibilityTimeout"), &v))
			x->visibility_s = v;
		if (lamb_node_long(lamb_node_get(p, "DelaySeconds"), &v))
			x->delay_s = v;
		if (lamb_node_long(lamb_node_get(p, "ReceiveMessageWaitTimeSeconds"), &v))
			x->wait_s = v;
		const char *dlq = lamb_node_str(lamb_node_get(rp, "deadLetterTargetArn"));
		x->dlq = dlq ? xstrdup(dlq) : NULL;
		if (lamb_node_long(lamb_node_get(rp, "maxReceiveCount"), &v))
			x->max_receive = v;
	}
}

struct sqs_msg *sqs_push(struct lamb_sqs *q, struct sqs_queue *x, const char *body, int64_t visible_ms)
{
	struct sqs_msg *msg = xcalloc(1, sizeof(*msg));
	lamb_invoke_request_id(msg->id);
	msg->body = xstrdup(body);
	md5_hex(body, strlen(body), msg->md5);
	msg->sent_ms = lamb_scheduler_now(q->clock);
	msg->visible_ms = visible_ms;
	msg->seq = ++q->seq;
	if (x->tail)
		x->tail->next = msg;
	else
		x->head = msg;
	x->tail = msg;
	return msg;
}

void sqs_msg_set_attrs(struct sqs_msg *m, const cJSON *attrs)
{
	cJSON_Delete(m->attrs);
	m->attrs = cJSON_GetArraySize(attrs) ? cJSON_Duplicate(attrs, 1) : NULL;
	sqs_attrs_md5(m->attrs, m->attrs_md5);
}

void sqs_msg_free(struct sqs_msg *m)
{
	free(m->body);
	free(m->group);
	free(m->dedup);
	free(m->trace);
	cJSON_Delete(m->attrs);
	free(m);
}

void sqs_remove(struct sqs_queue *x, struct sqs_msg *m)
{
	sqs_store_deleted(x, m);
	sqs_unlink(x, m);
	sqs_store_tidy(x);
}

void sqs_unlink(struct sqs_queue *x, struct sqs_msg *m)
{
	struct sqs_msg **p = &x->head, *prev = NULL;
	while (*p && *p != m)
		prev = *p, p = &(*p)->next;
	if (!*p)
		return;
	*p = m->next;
	if (x->tail == m)
		x->tail = prev;
	sqs_msg_free(m);
}

/* Sends one message; NULL with e filled when the queue refuses it. */
struct sqs_msg *sqs_send(struct lamb_sqs *q, struct sqs_queue *x, const cJSON *p, struct lamb_sqs_error *e)
{
	const char *body = sqs_str(p, "MessageBody"), *group = sqs_str(p, "MessageGroupId");
	const char *dedup = sqs_str(p, "MessageDeduplicationId");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(p, "MessageAttributes");
	if (attrs && !sqs_attrs_check(attrs, e))
		return NULL;
	if (!body || !*body)
		return sqs_fail(e, 400, "MissingParameter", "MissingParameter", "The request must contain the parameter MessageBody."), NULL;
	if (strlen(body) > 1024 * 1024)
		return sqs_fail(e, 400, "InvalidParameterValue", "InvalidParameterValue", "message is longer than 1 MiB"), NULL;
	if (x->fifo && !group)
		return sqs_fail(e, 400, "MissingParameter", "MissingParameter", "The request must contain the parameter MessageGroupId."), NULL;
	for (struct sqs_msg *m = x->head; x->fifo && dedup && m; m = m->next)
		if (m->dedup && strcmp(m->dedup, dedup) == 0)
			return m; /* deduplicated: the same message id again */
	long delay = sqs_long(p, "DelaySeconds", x->delay_s);
	struct sqs_msg *m = sqs_push(q, x, body, lamb_scheduler_now(q->clock) + delay * 1000);
	m->group = group ? xstrdup(group) : NULL;
	m->dedup = dedup ? xstrdup(dedup) : NULL;
	m->trace = q->trace ? xstrdup(q->trace) : NULL;
	sqs_msg_set_attrs(m, attrs);
	sqs_store_sent(x, m);
	return m; /* the caller polls once it is done with m: a poll may delete it */
}

/* Moves m to its queue's dead-letter queue; false when it has none. */
bool sqs_redrive(struct lamb_sqs *q, struct sqs_queue *x, struct sqs_msg *m)
{
	struct sqs_queue *dlq = x->max_receive > 0 ? sqs_find(q, x->dlq) : NULL;
	if (!dlq)
		return false;
	struct sqs_msg *moved = sqs_push(q, dlq, m->body, lamb_scheduler_now(q->clock));
	memcpy(moved->id, m->id, sizeof(moved->id));
	moved->group = m->group ? xstrdup(m->group) : NULL;
	moved->trace = m->trace ? xstrdup(m->trace) : NULL;
	sqs_msg_set_attrs(moved, m->attrs);
	sqs_store_sent(dlq, moved);
	sqs_wake_waiters(q, dlq); /* a receive long-polling the dead-letter queue */
	fprintf(q->log, "lamb: sqs: message %s moved from %s to %s after %d receives\n", m->id, x->name, dlq->name,
		m->receive_count);
	lamb_loop_wrote(q->loop, q->log);
	sqs_remove(x, m);
	return true;
}

static bool group_busy(const struct sqs_queue *x, const struct sqs_msg *upto, int64_t now)
{
	for (const struct sqs_msg *m = x->head; m && m != upto; m = m->next)
		if (m->group && upto->group && strcmp(m->group, upto->group) == 0 && m->visible_ms > now && !m->taken)
			return true;
	return false;
}

/* Up to max visible messages, hidden for vis_s seconds from now on. */
size_t sqs_receive(struct lamb_sqs *q, struct sqs_queue *x, size_t max, long vis_s, struct sqs_msg **out)
{
	int64_t now = lamb_scheduler_now(q->clock);
	size_t n = 0;
	for (struct sqs_msg *m = x->head, *next; m && n < max; m = next) {
		next = m->next;
		if (m->visible_ms > now || (x->fifo && group_busy(x, m, now)))
			continue;
		if (x->max_receive > 0 && m->receive_count >= x->max_receive && sqs_redrive(q, x, m))
			continue;
		m->receive_count++;
		if (!m->first_receive_ms)
			m->first_receive_ms = now;
		lamb_invoke_request_id(m->receipt);
		m->visible_ms = now + vis_s * 1000;
		m->taken = true;
		out[n++] = m;
	}
	for (size_t i = 0; i < n; i++)
		out[i]->taken = false;
	return n;
}

struct sqs_msg *sqs_by_receipt(const struct sqs_queue *x, const char *receipt)
{
	for (struct sqs_msg *m = x->head; receipt && m; m = m->next)
		if (strcmp(m->receipt, receipt) == 0)
			return m;
	return NULL;
}

cJSON *sqs_create_queue(struct lamb_sqs *q, const cJSON *p, struct lamb_sqs_error *e)
{
	const char *name = sqs_str(p, "QueueName");
	if (!name || !*name || strlen(name) > 80 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(name))
		return sqs_fail(e, 400, "InvalidParameterValue", "InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
	struct sqs_queue *x = sqs_find(q, name);
	if (!x) {
		x = sqs_add_queue(q, name, NULL);
		set_attributes(x, cJSON_GetObjectItemCaseSensitive(p, "Attributes"));
		sqs_store_open(q, x);
	}
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "QueueUrl", x->url);
	return r;
}

void sqs_free_queues(struct lamb_sqs *q)
{
	for (size_t i = 0; i < q->n; i++) {
		struct sqs_queue *x = q->queues[i];
		while (x->head)
			sqs_unlink(x, x->head); /* stays in the journal for the next run */
		lamb_journal_close(&x->journal);
		free(x->name);
		free(x->url);
		free(x->arn);
		free(x->dlq);
		free(x);
	}
	free(q->queues);
}
