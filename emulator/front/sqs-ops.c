/* The SQS operations on parameters in the JSON protocol's shape (the query
 * protocol's form is turned into that shape by sqs-api.c): CreateQueue,
 * GetQueueUrl, ListQueues, SendMessage(Batch), ReceiveMessage,
 * DeleteMessage(Batch), ChangeMessageVisibility, PurgeQueue,
 * GetQueueAttributes. */
#include "front/sqs-int.h"

#include "base/util.h"
#include "front/async.h"

#include <stdlib.h>
#include <string.h>

static struct sqs_queue *queue_of(struct lamb_sqs *q, const cJSON *p, struct lamb_sqs_error *e)
{
	const char *url = sqs_str(p, "QueueUrl");
	struct sqs_queue *x = sqs_find(q, url ? url : sqs_str(p, "QueueName"));
	if (!x)
		sqs_fail(e, 400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
			 "The specified queue does not exist.");
	return x;
}

static void add_num(cJSON *o, const char *key, long long v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", v);
	cJSON_AddStringToObject(o, key, buf);
}

static cJSON *sent(const struct sqs_msg *m, bool fifo)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "MessageId", m->id);
	cJSON_AddStringToObject(r, "MD5OfMessageBody", m->md5);
	if (*m->attrs_md5)
		cJSON_AddStringToObject(r, "MD5OfMessageAttributes", m->attrs_md5);
	if (fifo)
		add_num(r, "SequenceNumber", (long long)m->seq);
	return r;
}

static cJSON *send_message(struct lamb_sqs *q, struct sqs_queue *x, const cJSON *p, struct lamb_sqs_error *e)
{
	struct sqs_msg *m = sqs_send(q, x, p, e);
	cJSON *r = m ? sent(m, x->fifo) : NULL;
	sqs_poll_queue(q, x);
	return r;
}

static cJSON *batch_error(const char *id, const char *code, const char *msg)
{
	cJSON *f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "Id", id ? id : "");
	cJSON_AddBoolToObject(f, "SenderFault", 1);
	cJSON_AddStringToObject(f, "Code", code);
	cJSON_AddStringToObject(f, "Message", msg);
	return f;
}

static cJSON *send_batch(struct lamb_sqs *q, struct sqs_queue *x, const cJSON *p, struct lamb_sqs_error *e)
{
	const cJSON *entries = cJSON_GetObjectItemCaseSensitive(p, "Entries"), *en;
	if (cJSON_GetArraySize(entries) < 1 || cJSON_GetArraySize(entries) > 10)
		return sqs_fail(e, 400, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
				"A batch holds 1 to 10 entries.");
	cJSON *r = cJSON_CreateObject(), *ok = cJSON_AddArrayToObject(r, "Successful"),
	      *bad = cJSON_AddArrayToObject(r, "Failed");
	cJSON_ArrayForEach(en, entries) {
		struct lamb_sqs_error ee;
		struct sqs_msg *m = sqs_send(q, x, en, &ee);
		if (!m) {
			cJSON_AddItemToArray(bad, batch_error(sqs_str(en, "Id"), ee.code, ee.message));
			continue;
		}
		cJSON *s = sent(m, x->fifo);
		cJSON_AddStringToObject(s, "Id", sqs_str(en, "Id") ? sqs_str(en, "Id") : "");
		cJSON_AddItemToArray(ok, s);
	}
	sqs_poll_queue(q, x);
	return r;
}

/* names: the receive's MessageAttributeNames, or NULL. */
static cJSON *message_json(const struct sqs_msg *m, const cJSON *names)
{
	cJSON *o = cJSON_CreateObject(), *a, *attrs = sqs_attrs_select(m->attrs, names);
	cJSON_AddStringToObject(o, "MessageId", m->id);
	cJSON_AddStringToObject(o, "ReceiptHandle", m->receipt);
	cJSON_AddStringToObject(o, "MD5OfBody", m->md5);
	cJSON_AddStringToObject(o, "Body", m->body);
	if (attrs) { /* the MD5 of those returned, as SQS answers it */
		char md5[33];
		sqs_attrs_md5(attrs, md5);
		cJSON_AddStringToObject(o, "MD5OfMessageAttributes", md5);
		cJSON_AddItemToObject(o, "MessageAttributes", attrs);
	}
	a = cJSON_AddObjectToObject(o, "Attributes");
	add_num(a, "ApproximateReceiveCount", m->receive_count);
	add_num(a, "SentTimestamp", m->sent_ms);
	add_num(a, "ApproximateFirstReceiveTimestamp", m->first_receive_ms);
	cJSON_AddStringToObject(a, "SenderId", "AIDAIENQZJOLO23YVJ4VO");
	if (m->group)
		cJSON_AddStringToObject(a, "MessageGroupId", m->group);
	return o;
}

static cJSON *receive(struct lamb_sqs *q, struct sqs_queue *x, const cJSON *p, struct lamb_sqs_error *e)
{
	long max = sqs_long(p, "MaxNumberOfMessages", 1), vis = sqs_long(p, "VisibilityTimeout", x->visibility_s);
	if (max < 1 || max > 10)
		return sqs_fail(e, 400, "InvalidParameterValue", "InvalidParameterValue",
				"Value %ld for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", max);
	struct sqs_msg *got[10];
	size_t n = sqs_receive(q, x, (size_t)max, vis, got);
	cJSON *r = cJSON_CreateObject();
	if (n) {
		cJSON *list = cJSON_AddArrayToObject(r, "Messages");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(list, message_json(got[i], cJSON_GetObjectItemCaseSensitive(p, "MessageAttributeNames")));
	}
	return r;
}

static cJSON *delete_message(struct lamb_sqs *q, struct sqs_queue *x, const cJSON *p, struct lamb_sqs_error *e)
{
	(void)q;
	const char *receipt = sqs_str(p, "ReceiptHandle");
	struct sqs_msg *m = sqs_by_receipt(x, receipt);
	if (!receipt || (!m && strlen(receipt) != 36))
		return sqs_fail(e, 400, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid",
				"The input receipt handle \"%s\" is not a valid receipt handle.", receipt ? receipt : "");
	if (m)
		sqs_remove(x, m); /* an old receipt of a gone message: SQS answers success too */
	return cJSON_CreateObject();
}

static cJSON *delete_batch(struct lamb_sqs *q, struct sqs_queue *x, const cJSON *p, struct lamb_sqs_error *e)
{
	const cJSON *entries = cJSON_GetObjectItemCaseSensitive(p, "Entries"), *en;
	if (cJSON_GetArraySize(entries) < 1 || cJSON_GetArraySize(entries) > 10)
		return sqs_fail(e, 400, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
				"A batch holds 1 to 10 entries.");
	cJSON *r = cJSON_CreateObject(), *ok = cJSON_AddArrayToObject(r, "Successful"),
	      *bad = cJSON_AddArrayToObject(r, "Failed");
	cJSON_ArrayForEach(en, entries) {
		struct lamb_sqs_error ee;
		cJSON *d = delete_message(q, x, en, &ee);
		if (!d) {
			cJSON_AddItemToArray(bad, batch_error(sqs_str(en, "Id"), ee.code, ee.message));
			continue;
		}
		cJSON_AddStringToObject(d, "Id", sqs_str(en, "Id") ? sqs_str(en, "Id") : "");
		cJSON_AddItemToArray(ok, d);
	}
	return r;
}

static cJSON *change_visibility(struct lamb_sqs *q, struct sqs_queue *x, const cJSON *p, struct lamb_sqs_error *e)
{
	struct sqs_msg *m = sqs_by_receipt(x, sqs_str(p, "ReceiptHandle"));
	if (!m)
		return sqs_fail(e, 400, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "The receipt handle is not valid.");
	m->visible_ms = lamb_scheduler_now(q->clock) + sqs_long(p, "VisibilityTimeout", 0) * 1000;
	sqs_poll_queue(q, x);
	return cJSON_CreateObject();
}

static cJSON *purge(struct lamb_sqs *q, struct sqs_queue *x, const cJSON *p, struct lamb_sqs_error *e)
{
	(void)q, (void)p, (void)e;
	while (x->head)
		sqs_remove(x, x->head);
	return cJSON_CreateObject();
}

static bool wanted(const cJSON *names, const char *name)
{
	const cJSON *n;
	cJSON_ArrayForEach(n, names) {
		const char *s = cJSON_GetStringValue(n);
		if (s && (strcmp(s, "All") == 0 || strcmp(s, name) == 0))
			return true;
	}
	return false;
}

static cJSON *attributes(struct lamb_sqs *q, struct sqs_queue *x, const cJSON *p, struct lamb_sqs_error *e)
{
	(void)e;
	int64_t now = lamb_scheduler_now(q->clock);
	long visible = 0, hidden = 0, delayed = 0;
	for (const struct sqs_msg *m = x->head; m; m = m->next) {
		if (m->visible_ms <= now)
			visible++;
		else if (m->receive_count)
			hidden++;
		else
			delayed++;
	}
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(p, "AttributeNames");
	cJSON *r = cJSON_CreateObject(), *a = cJSON_CreateObject();
	const struct { const char *name; long long v; } nums[] = {
		{ "ApproximateNumberOfMessages", visible }, { "ApproximateNumberOfMessagesNotVisible", hidden },
		{ "ApproximateNumberOfMessagesDelayed", delayed }, { "VisibilityTimeout", x->visibility_s },
		{ "DelaySeconds", x->delay_s }, { "CreatedTimestamp", x->created_ms / 1000 },
		{ "ReceiveMessageWaitTimeSeconds", x->wait_s },
	};
	for (size_t i = 0; i < ARRAY_SIZE(nums); i++)
		if (wanted(names, nums[i].name))
			add_num(a, nums[i].name, nums[i].v);
	if (wanted(names, "QueueArn"))
		cJSON_AddStringToObject(a, "QueueArn", x->arn);
	if (x->fifo && wanted(names, "FifoQueue"))
		cJSON_AddStringToObject(a, "FifoQueue", "true");
	if (x->dlq && x->max_receive && wanted(names, "RedrivePolicy")) {
		struct sqs_queue *d = sqs_find(q, x->dlq);
		char *rp = xasprintf("{\"deadLetterTargetArn\":\"%s\",\"maxReceiveCount\":%ld}", d ? d->arn : x->dlq,
				     x->max_receive);
		cJSON_AddStringToObject(a, "RedrivePolicy", rp);
		free(rp);
	}
	cJSON_AddItemToObject(r, "Attributes", a);
	return r;
}

static cJSON *list_queues(struct lamb_sqs *q, const cJSON *p)
{
	const char *prefix = sqs_str(p, "QueueNamePrefix");
	cJSON *r = cJSON_CreateObject(), *urls = cJSON_CreateArray();
	for (size_t i = 0; i < q->n; i++)
		if (!prefix || str_starts(q->queues[i]->name, prefix))
			cJSON_AddItemToArray(urls, cJSON_CreateString(q->queues[i]->url));
	cJSON_AddItemToObject(r, "QueueUrls", urls);
	return r;
}

typedef cJSON *(*queue_op)(struct lamb_sqs *q, struct sqs_queue *x, const cJSON *p, struct lamb_sqs_error *e);

static const struct {
	const char *name;
	queue_op fn;
} queue_ops[] = {
	{ "SendMessage", send_message },   { "SendMessageBatch", send_batch },
	{ "ReceiveMessage", receive },     { "DeleteMessage", delete_message },
	{ "DeleteMessageBatch", delete_batch }, { "ChangeMessageVisibility", change_visibility },
	{ "PurgeQueue", purge },           { "GetQueueAttributes", attributes },
};

cJSON *lamb_sqs_call(struct lamb_sqs *q, const char *op, const cJSON *params, struct lamb_sqs_error *e)
{
	if (strcmp(op, "CreateQueue") == 0)
		return sqs_create_queue(q, params, e);
	if (strcmp(op, "ListQueues") == 0)
		return list_queues(q, params);
	for (size_t i = 0; i < ARRAY_SIZE(queue_ops); i++) {
		if (strcmp(op, queue_ops[i].name) != 0)
			continue;
		struct sqs_queue *x = queue_of(q, params, e);
		return x ? queue_ops[i].fn(q, x, params, e) : NULL;
	}
	if (strcmp(op, "GetQueueUrl") == 0) {
		struct sqs_queue *x = sqs_find(q, sqs_str(params, "QueueName"));
		if (!x)
			return sqs_fail(e, 400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
					"The specified queue does not exist.");
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "QueueUrl", x->url);
		return r;
	}
	return sqs_fail(e, 400, "InvalidAction", "InvalidAction", "The action %s is not valid for this endpoint.", op);
}

bool lamb_sqs_send(struct lamb_sqs *q, const char *ref, const char *body)
{
	struct sqs_queue *x = sqs_find(q, ref);
	struct lamb_sqs_error e;
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "MessageBody", body);
	if (x && x->fifo)
		cJSON_AddStringToObject(p, "MessageGroupId", "lamb");
	bool ok = x && sqs_send(q, x, p, &e);
	cJSON_Delete(p);
	if (ok)
		sqs_poll_queue(q, x);
	return ok;
}
