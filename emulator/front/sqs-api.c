/* SQS's two wire protocols over the same operations: the JSON protocol of
 * current SDKs (X-Amz-Target: AmazonSQS.SendMessage, a JSON body) and the
 * query protocol of older ones (Action=SendMessage&... as a form, answered
 * in XML). The form's numbered keys (SendMessageBatchRequestEntry.1.Id,
 * Attribute.1.Name, AttributeName.1) become the JSON shape first. A
 * ReceiveMessage with WaitTimeSeconds (or on a queue with
 * ReceiveMessageWaitTimeSeconds) that finds nothing long-polls: its request
 * waits, off the loop, until a message can be taken or the wait ends on the
 * scheduler's clock. */
#include "front/sqs-api.h"

#include "base/url.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

#define XMLNS "http://queue.amazonaws.com/doc/2012-11-05/"

static bool handle(struct lamb_sqs *q, struct lamb_http_conn *c, const char *target);

struct sqs_waiter {
	struct lamb_http_conn *c;
	struct sqs_queue *x;
	cJSON *params;
	char *op; /* NULL: the JSON protocol; else the query protocol's action */
	int64_t until_ms;
	bool woken;
	struct sqs_waiter *next;
};

static cJSON *entry(cJSON *o, const char *list, long n)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, list);
	if (!arr)
		arr = cJSON_AddArrayToObject(o, list);
	while (cJSON_GetArraySize(arr) < n)
		cJSON_AddItemToArray(arr, cJSON_CreateObject());
	return cJSON_GetArrayItem(arr, (int)n - 1);
}

/* One key=value of the form into o (attrs: the numbered Attribute.N pairs). */
static void form_pair(cJSON *o, cJSON *attrs, const char *key, const char *value)
{
	char *end;
	const char *dot = strchr(key, '.');
	if (!dot) {
		cJSON_AddStringToObject(o, key, value);
		return;
	}
	long n = strtol(dot + 1, &end, 10);
	if (n < 1 || n > 100)
		return;
	bool msg_names = str_starts(key, "MessageAttributeName.");
	if (msg_names || str_starts(key, "AttributeName.") || str_starts(key, "MessageSystemAttributeName.")) {
		const char *list = msg_names ? "MessageAttributeNames" : "AttributeNames";
		cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, list);
		if (!arr)
			arr = cJSON_AddArrayToObject(o, list);
		cJSON_AddItemToArray(arr, cJSON_CreateString(value));
	} else if (str_starts(key, "MessageAttribute.") && *end == '.') {
		/* N.Name, N.Value.DataType, N.Value.StringValue: gathered, mapped by form_attrs */
		const char *field = str_starts(end + 1, "Value.") ? end + 1 + strlen("Value.") : end + 1;
		cJSON_AddStringToObject(entry(o, "MessageAttribute", n), field, value);
	} else if (strstr(key, "BatchRequestEntry.") && *end == '.' && str_starts(end + 1, "MessageAttribute")) {
		form_pair(entry(o, "Entries", n), attrs, end + 1, value);
	} else if (str_starts(key, "Attribute.") && *end == '.') {
		cJSON_AddStringToObject(entry(attrs, "v", n), end + 1, value);
	} else if (strstr(key, "BatchRequestEntry.") && *end == '.' && !strchr(end + 1, '.')) {
		cJSON_AddStringToObject(entry(o, "Entries", n), end + 1, value);
	}
}

/* The gathered MessageAttribute.N entries of o as the JSON protocol's
 * MessageAttributes map. */
static void form_attrs(cJSON *o)
{
	cJSON *list = cJSON_DetachItemFromObjectCaseSensitive(o, "MessageAttribute"), *a;
	if (!list)
		return;
	cJSON *map = cJSON_AddObjectToObject(o, "MessageAttributes");
	cJSON_ArrayForEach(a, list) {
		char *name = sqs_str_of(a, "Name") ? xstrdup(sqs_str_of(a, "Name")) : NULL;
		cJSON_DeleteItemFromObjectCaseSensitive(a, "Name");
		if (name)
			cJSON_AddItemToObject(map, name, cJSON_Duplicate(a, 1));
		free(name);
	}
	cJSON_Delete(list);
}

static cJSON *form_params(const char *form, size_t len, char **action)
{
	cJSON *o = cJSON_CreateObject(), *attrs = cJSON_CreateObject(), *a;
	char *copy = xstrndup(form, len), *save = NULL;
	*action = NULL;
	for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		char *k = lamb_url_decode(kv, eq ? (size_t)(eq - kv) : strlen(kv), true);
		char *v = eq ? lamb_url_decode(eq + 1, strlen(eq + 1), true) : xstrdup("");
		if (k && v && strcmp(k, "Action") == 0 && !*action)
			*action = xstrdup(v);
		else if (k && v)
			form_pair(o, attrs, k, v);
		free(k);
		free(v);
	}
	free(copy);
	form_attrs(o);
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(o, "Entries"))
		form_attrs(a);
	cJSON *map = cJSON_AddObjectToObject(o, "Attributes");
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(attrs, "v"))
		if (sqs_str_of(a, "Name") && sqs_str_of(a, "Value"))
			cJSON_AddStringToObject(map, sqs_str_of(a, "Name"), sqs_str_of(a, "Value"));
	cJSON_Delete(attrs);
	return o;
}

const char *sqs_str_of(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void xml_text(struct lamb_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': lamb_buf_addstr(b, "&amp;"); break;
		case '<': lamb_buf_addstr(b, "&lt;"); break;
		case '>': lamb_buf_addstr(b, "&gt;"); break;
		case '"': lamb_buf_addstr(b, "&quot;"); break;
		case '\r': lamb_buf_addstr(b, "&#13;"); break;
		default: lamb_buf_addch(b, *s);
		}
	}
}

static void xml_value(struct lamb_buf *b, const char *name, const cJSON *v, const char *op);

static void xml_object(struct lamb_buf *b, const cJSON *o, const char *op)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, o) {
		const char *k = v->string;
		if (strcmp(k, "Attributes") == 0 && cJSON_IsObject(v)) {
			const cJSON *a;
			cJSON_ArrayForEach(a, v) {
				lamb_buf_addstr(b, "<Attribute><Name>");
				xml_text(b, a->string);
				lamb_buf_addstr(b, "</Name><Value>");
				xml_text(b, cJSON_IsString(a) ? a->valuestring : "");
				lamb_buf_addstr(b, "</Value></Attribute>");
			}
		} else if (strcmp(k, "MessageAttributes") == 0 && cJSON_IsObject(v)) {
			const cJSON *a;
			cJSON_ArrayForEach(a, v) {
				lamb_buf_addstr(b, "<MessageAttribute><Name>");
				xml_text(b, a->string);
				lamb_buf_addstr(b, "</Name>");
				xml_value(b, "Value", a, op);
				lamb_buf_addstr(b, "</MessageAttribute>");
			}
		} else if (cJSON_IsArray(v)) {
			char *item = strcmp(k, "Messages") == 0	 ? xstrdup("Message")
				     : strcmp(k, "QueueUrls") == 0 ? xstrdup("QueueUrl")
				     : strcmp(k, "Failed") == 0	   ? xstrdup("BatchResultErrorEntry")
								   : xasprintf("%sResultEntry", op);
			const cJSON *it;
			cJSON_ArrayForEach(it, v)
				xml_value(b, item, it, op);
			free(item);
		} else {
			xml_value(b, k, v, op);
		}
	}
}

static void xml_value(struct lamb_buf *b, const char *name, const cJSON *v, const char *op)
{
	lamb_buf_addf(b, "<%s>", name);
	if (cJSON_IsObject(v))
		xml_object(b, v, op);
	else if (cJSON_IsString(v))
		xml_text(b, v->valuestring);
	else if (cJSON_IsBool(v))
		lamb_buf_addstr(b, cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNumber(v))
		lamb_buf_addf(b, "%lld", (long long)v->valuedouble);
	lamb_buf_addf(b, "</%s>", name);
}

static void reply_xml(struct lamb_http_response *r, const char *op, const cJSON *result)
{
	char id[40];
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_invoke_request_id(id);
	lamb_buf_addf(&b, "<?xml version=\"1.0\"?><%sResponse xmlns=\"" XMLNS "\">", op);
	if (cJSON_GetArraySize(result) > 0) {
		lamb_buf_addf(&b, "<%sResult>", op);
		xml_object(&b, result, op);
		lamb_buf_addf(&b, "</%sResult>", op);
	}
	lamb_buf_addf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", id, op);
	r->status = 200;
	r->body_len = b.len;
	r->body = lamb_buf_steal(&b);
	lamb_http_response_add_header(r, "Content-Type", "text/xml");
}

static void error_xml(struct lamb_http_response *r, const struct lamb_sqs_error *e)
{
	char id[40];
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_invoke_request_id(id);
	lamb_buf_addf(&b, "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"" XMLNS "\"><Error><Type>Sender</Type>"
			  "<Code>%s</Code><Message>", e->query_code);
	xml_text(&b, e->message);
	lamb_buf_addf(&b, "</Message><Detail/></Error><RequestId>%s</RequestId></ErrorResponse>", id);
	r->status = e->status;
	r->body_len = b.len;
	r->body = lamb_buf_steal(&b);
	lamb_http_response_add_header(r, "Content-Type", "text/xml");
}

static void reply_json(struct lamb_http_response *r, const cJSON *result, const struct lamb_sqs_error *e)
{
	cJSON *err = NULL;
	if (!result) {
		err = cJSON_CreateObject();
		char *type = xasprintf("com.amazonaws.sqs#%s", e->code);
		cJSON_AddStringToObject(err, "__type", type);
		cJSON_AddStringToObject(err, "message", e->message);
		free(type);
		char *qe = xasprintf("%s;Sender", e->query_code);
		lamb_http_response_add_header(r, "x-amzn-query-error", qe);
		free(qe);
	}
	r->status = result ? 200 : e->status;
	r->body = cJSON_PrintUnformatted(result ? result : err);
	r->body_len = strlen(r->body);
	lamb_http_response_add_header(r, "Content-Type", "application/x-amz-json-1.0");
	cJSON_Delete(err);
}

/* The answer to c in the protocol it spoke: op NULL for JSON. */
static void answer(struct lamb_http_conn *c, const char *op, const cJSON *result, const struct lamb_sqs_error *e)
{
	struct lamb_http_response r;
	lamb_http_response_init(&r);
	if (!op)
		reply_json(&r, result, e);
	else if (result)
		reply_xml(&r, op, result);
	else
		error_xml(&r, e);
	lamb_http_reply(c, &r);
	lamb_http_response_release(&r);
}

static void waiter_free(struct lamb_sqs *q, struct sqs_waiter *w)
{
	struct sqs_waiter **p = &q->waiters;
	while (*p != w)
		p = &(*p)->next;
	*p = w->next;
	cJSON_Delete(w->params);
	free(w->op);
	free(w);
}

/* Receives for w; answers and frees it when that took a message or its
 * wait is over. */
static void try_waiter(struct lamb_sqs *q, struct sqs_waiter *w, int64_t now)
{
	struct lamb_sqs_error e = { 0 };
	cJSON *result = lamb_sqs_call(q, "ReceiveMessage", w->params, &e);
	if (!result || cJSON_GetObjectItemCaseSensitive(result, "Messages") || now >= w->until_ms) {
		answer(w->c, w->op, result, &e);
		waiter_free(q, w);
	}
	cJSON_Delete(result);
}

static void wake_now(void *data)
{
	struct lamb_sqs *q = data;
	int64_t now = lamb_scheduler_now(q->clock);
	for (struct sqs_waiter *w = q->waiters, *next; w; w = next) {
		next = w->next;
		if (w->woken)
			try_waiter(q, w, now);
	}
	for (struct sqs_waiter *w = q->waiters; w; w = w->next)
		w->woken = false;
	lamb_scheduler_poke(q->clock); /* the real clock's timer, for those still waiting */
}

/* The waiters are tried on the loop's next turn, out of the request or
 * the clock's step that woke them: resuming a request from inside
 * another's handler can leave it unanswered in libmicrohttpd. */
void sqs_wake_waiters(struct lamb_sqs *q, struct sqs_queue *x)
{
	bool any = false;
	for (struct sqs_waiter *w = q->waiters; w; w = w->next)
		if (!x || w->x == x)
			any = w->woken = true;
	if (any)
		lamb_loop_timer_set(q->loop, &q->wake, lamb_loop_now_ns(), wake_now, q);
}

void sqs_free_waiters(struct lamb_sqs *q)
{
	lamb_loop_timer_cancel(q->loop, &q->wake);
	while (q->waiters) /* the HTTP server, freed first, answered their requests */
		waiter_free(q, q->waiters);
}

/* The clock wakes a waiter at the end of its wait or when a message of its
 * queue turns visible. */
static int64_t waiters_due(void *data)
{
	struct lamb_sqs *q = data;
	int64_t now = lamb_scheduler_now(q->clock), min = -1;
	for (const struct sqs_waiter *w = q->waiters; w; w = w->next) {
		if (w->woken)
			continue; /* tried on the loop's next turn */
		if (min < 0 || w->until_ms < min)
			min = w->until_ms;
		for (const struct sqs_msg *m = w->x->head; m; m = m->next)
			if (m->visible_ms > now && m->visible_ms < min)
				min = m->visible_ms;
	}
	return min;
}

static void waiters_run(void *data, int64_t now)
{
	(void)now;
	sqs_wake_waiters(data, NULL);
}

/* The receive's wait in seconds: WaitTimeSeconds, else the queue's
 * ReceiveMessageWaitTimeSeconds; -1 with e when out of 0..20. */
static long wait_of(struct lamb_sqs *q, const cJSON *p, struct lamb_sqs_error *e, struct sqs_queue **x)
{
	const char *url = sqs_str_of(p, "QueueUrl");
	*x = sqs_find(q, url ? url : sqs_str_of(p, "QueueName"));
	long wait = sqs_long(p, "WaitTimeSeconds", *x ? (*x)->wait_s : 0);
	if (wait < 0 || wait > 20)
		return sqs_fail(e, 400, "InvalidParameterValue", "InvalidParameterValue",
				"Value %ld for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
				wait), -1;
	return *x ? wait : 0;
}

/* Runs op; a receive that found nothing and may wait is parked (p is
 * then the waiter's) instead of answered. */
static void serve(struct lamb_sqs *q, struct lamb_http_conn *c, const char *op, const char *action, cJSON **p)
{
	struct lamb_sqs_error e = { 0 };
	struct sqs_queue *x = NULL;
	long wait = strcmp(op, "ReceiveMessage") == 0 ? wait_of(q, *p, &e, &x) : 0;
	cJSON *result = wait < 0 ? NULL : lamb_sqs_call(q, op, *p, &e);
	if (result && wait > 0 && !cJSON_GetObjectItemCaseSensitive(result, "Messages")) {
		struct sqs_waiter *w = xcalloc(1, sizeof(*w));
		*w = (struct sqs_waiter){ .c = c, .x = x, .params = *p, .op = action ? xstrdup(action) : NULL,
					  .until_ms = lamb_scheduler_now(q->clock) + wait * 1000, .next = q->waiters };
		q->waiters = w;
		*p = NULL;
		if (!q->waiting_clocked) {
			struct lamb_clocked ck = { waiters_due, waiters_run, q };
			lamb_scheduler_add_clocked(q->clock, &ck);
			q->waiting_clocked = true;
		}
		lamb_scheduler_poke(q->clock);
	} else {
		answer(c, action, result, &e);
	}
	cJSON_Delete(result);
}

bool lamb_sqs_api_handle(struct lamb_sqs *q, struct lamb_http_conn *c, const char *target, const char *trace)
{
	q->trace = trace;
	bool handled = handle(q, c, target);
	q->trace = NULL;
	return handled;
}

static bool handle(struct lamb_sqs *q, struct lamb_http_conn *c, const char *target)
{
	const struct lamb_http_request *req = lamb_http_request(c);
	if (target && str_starts(target, "AmazonSQS.")) {
		cJSON *p = req->body_len ? cJSON_ParseWithLength(req->body, req->body_len) : cJSON_CreateObject();
		struct lamb_sqs_error e = { 0 };
		if (!p)
			answer(c, NULL, NULL, (sqs_fail(&e, 400, "InvalidParameterValue", "InvalidParameterValue", "the body is not JSON"), &e));
		else
			serve(q, c, target + strlen("AmazonSQS."), NULL, &p);
		cJSON_Delete(p);
		return true;
	}
	const char *form = strcmp(req->method, "POST") == 0 ? req->body : req->query;
	size_t len = strcmp(req->method, "POST") == 0 ? req->body_len : (req->query ? strlen(req->query) : 0);
	char *action = NULL;
	cJSON *p = form ? form_params(form, len, &action) : NULL;
	if (!action) {
		cJSON_Delete(p);
		return false;
	}
	if (!sqs_str_of(p, "QueueUrl") && strcmp(req->path, "/") != 0) /* the queue's URL as the path */
		cJSON_AddStringToObject(p, "QueueUrl", req->path);
	serve(q, c, action, action, &p);
	cJSON_Delete(p);
	free(action);
	return true;
}
