/* Topics and their subscribers. Publish builds the notification once and
 * hands it to each subscriber whose FilterPolicy (EventBridge's pattern
 * syntax over the message attributes, or over the body with
 * FilterPolicyScope MessageBody) matches: a function gets the SNS event
 * asynchronously, a queue gets the notification's JSON (or the bare
 * message with RawMessageDelivery). */
#include "front/sns.h"

#include "base/url.h"
#include "base/util.h"
#include "front/event-pattern.h"
#include "front/eventbridge.h"
#include "front/lambda-api.h"
#include "front/sched-expr.h"

#include <stdlib.h>
#include <string.h>

#define XMLNS "http://sns.amazonaws.com/doc/2010-03-31/"

struct sub {
	char *topic_arn, *source;
	const struct lamb_function *fn; /* or NULL: a queue */
	char *queue;                    /* the queue's reference */
	cJSON *filter;
	bool body_scope, raw;
};

struct topic {
	char *name, *arn;
	const char *logical_id;
};

struct lamb_sns {
	const struct lamb_model *m;
	struct lamb_async *async;
	struct lamb_sqs *sqs;
	struct lamb_scheduler *clock;
	FILE *log;
	struct topic *topics;
	size_t ntopics, tcap;
	struct sub *subs;
	size_t nsubs, scap;
};

static struct topic *add_topic(struct lamb_sns *s, const char *name, const char *logical_id)
{
	s->topics = xgrow(s->topics, &s->tcap, s->ntopics + 1, sizeof(*s->topics));
	struct topic *t = &s->topics[s->ntopics++];
	t->name = xstrdup(name);
	t->logical_id = logical_id;
	t->arn = xasprintf("arn:%s:sns:%s:%s:%s", s->m->partition, s->m->region, s->m->account_id, name);
	return t;
}

/* A topic by ARN, name, or the template's Ref (its logical id). */
static struct topic *find_topic(const struct lamb_sns *s, const char *ref)
{
	const char *colon = ref ? strrchr(ref, ':') : NULL, *tail = colon && str_starts(ref, "arn:") ? colon + 1 : ref;
	for (size_t i = 0; tail && i < s->ntopics; i++)
		if (strcmp(s->topics[i].name, tail) == 0 || str_eq(s->topics[i].logical_id, tail))
			return &s->topics[i];
	return NULL;
}

static void add_sub(struct lamb_sns *s, struct sub sub, const struct lamb_node *props, const char *topic_ref)
{
	struct topic *t = find_topic(s, topic_ref);
	const struct lamb_node *fp = lamb_node_get(props, "FilterPolicy");
	if (!t) {
		fprintf(s->log, "lamb: warning: %s is not run: its topic is not one of the template's\n", sub.source);
		free(sub.source);
		free(sub.queue);
		return;
	}
	sub.topic_arn = xstrdup(t->arn);
	sub.filter = lamb_node_str(fp) ? cJSON_Parse(lamb_node_str(fp)) : fp ? lamb_node_to_json(fp) : NULL;
	sub.body_scope = str_eq(lamb_node_str(lamb_node_get(props, "FilterPolicyScope")), "MessageBody");
	lamb_node_bool(lamb_node_get(props, "RawMessageDelivery"), &sub.raw);
	s->subs = xgrow(s->subs, &s->scap, s->nsubs + 1, sizeof(*s->subs));
	s->subs[s->nsubs++] = sub;
}

static void read_template(struct lamb_sns *s)
{
	const struct lamb_model *m = s->m;
	for (size_t i = 0; i < m->nsources; i++) {
		const char *name = lamb_node_str(lamb_node_get(m->sources[i].properties, "TopicName"));
		if (strcmp(m->sources[i].type, "AWS::SNS::Topic") == 0)
			add_topic(s, name ? name : m->sources[i].logical_id, m->sources[i].logical_id);
	}
	for (size_t i = 0; i < m->nfunctions; i++)
		for (size_t j = 0; j < m->functions[i].nevents; j++) {
			const struct lamb_event *e = &m->functions[i].events[j];
			if (strcmp(e->type, "SNS") != 0)
				continue;
			struct sub sub = { .fn = &m->functions[i],
					   .source = xasprintf("sns %s/%s", m->functions[i].logical_id, e->name) };
			add_sub(s, sub, e->properties, lamb_node_str(lamb_node_get(e->properties, "Topic")));
		}
	for (size_t i = 0; i < m->nsources; i++) {
		const struct lamb_node *p = m->sources[i].properties;
		const char *proto = lamb_node_str(lamb_node_get(p, "Protocol"));
		const char *endpoint = lamb_node_str(lamb_node_get(p, "Endpoint"));
		if (strcmp(m->sources[i].type, "AWS::SNS::Subscription") != 0 || !proto || !endpoint)
			continue;
		struct sub sub = { .source = xasprintf("sns %s", m->sources[i].logical_id) };
		if (strcmp(proto, "lambda") == 0 && (sub.fn = lamb_lambda_api_find(m, endpoint)))
			add_sub(s, sub, p, lamb_node_str(lamb_node_get(p, "TopicArn")));
		else if (strcmp(proto, "sqs") == 0 && (sub.queue = xstrdup(endpoint)))
			add_sub(s, sub, p, lamb_node_str(lamb_node_get(p, "TopicArn")));
		else
			free(sub.source);
	}
}

struct lamb_sns *lamb_sns_new(const struct lamb_model *m, struct lamb_async *async, struct lamb_sqs *sqs,
			      struct lamb_scheduler *clock, FILE *log)
{
	struct lamb_sns *s = xcalloc(1, sizeof(*s));
	*s = (struct lamb_sns){ .m = m, .async = async, .sqs = sqs, .clock = clock, .log = log ? log : stderr };
	read_template(s);
	return s;
}

void lamb_sns_free(struct lamb_sns *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ntopics; i++) {
		free(s->topics[i].name);
		free(s->topics[i].arn);
	}
	for (size_t i = 0; i < s->nsubs; i++) {
		free(s->subs[i].topic_arn);
		free(s->subs[i].source);
		free(s->subs[i].queue);
		cJSON_Delete(s->subs[i].filter);
	}
	free(s->topics);
	free(s->subs);
	free(s);
}

void lamb_sns_describe(const struct lamb_sns *s, FILE *out)
{
	for (size_t i = 0; i < s->ntopics; i++)
		fprintf(out, "topic %s: %s\n", s->topics[i].name, s->topics[i].arn);
	for (size_t i = 0; i < s->nsubs; i++)
		fprintf(out, "%s -> %s%s\n", s->subs[i].source, s->subs[i].fn ? s->subs[i].fn->logical_id : "queue ",
			s->subs[i].fn ? "" : s->subs[i].queue);
}

/* --- Publish --- */

struct message {
	const char *topic_arn, *subject, *body;
	char id[40], when[32];
	cJSON *attributes; /* {"name": {"Type": "String", "Value": "..."}} */
};

/* The form's MessageAttributes.entry.N.{Name,Value.DataType,Value.StringValue}. */
static void form_attribute(cJSON *entries, const char *key, const char *value)
{
	char *end;
	long n = strtol(key + strlen("MessageAttributes.entry."), &end, 10);
	if (n < 1 || n > 10 || *end != '.')
		return;
	while (cJSON_GetArraySize(entries) < n)
		cJSON_AddItemToArray(entries, cJSON_CreateObject());
	cJSON_AddStringToObject(cJSON_GetArrayItem(entries, (int)n - 1), end + 1, value);
}

static cJSON *form_of(const char *form, size_t len)
{
	cJSON *o = cJSON_CreateObject(), *entries = cJSON_CreateArray(), *en;
	char *copy = xstrndup(form, len), *save = NULL;
	for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		char *k = lamb_url_decode(kv, eq ? (size_t)(eq - kv) : strlen(kv), true);
		char *v = eq ? lamb_url_decode(eq + 1, strlen(eq + 1), true) : xstrdup("");
		if (k && v && str_starts(k, "MessageAttributes.entry."))
			form_attribute(entries, k, v);
		else if (k && v && !cJSON_GetObjectItemCaseSensitive(o, k))
			cJSON_AddStringToObject(o, k, v);
		free(k);
		free(v);
	}
	free(copy);
	cJSON *attrs = cJSON_AddObjectToObject(o, "MessageAttributes");
	cJSON_ArrayForEach(en, entries) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(en, "Name"));
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(en, "Value.DataType"));
		const char *val = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(en, "Value.StringValue"));
		if (!name || !val)
			continue;
		cJSON *a = cJSON_AddObjectToObject(attrs, name);
		cJSON_AddStringToObject(a, "Type", type ? type : "String");
		cJSON_AddStringToObject(a, "Value", val);
	}
	cJSON_Delete(entries);
	return o;
}

/* What a filter policy sees: attribute values (numbers as numbers), or
 * the body as JSON. */
static bool passes(const struct sub *sub, const struct message *msg)
{
	if (!sub->filter)
		return true;
	cJSON *subject = NULL, *a;
	if (sub->body_scope) {
		subject = cJSON_Parse(msg->body);
	} else {
		subject = cJSON_CreateObject();
		cJSON_ArrayForEach(a, msg->attributes) {
			const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "Type"));
			const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "Value"));
			cJSON *val = type && str_eq(type, "Number") ? cJSON_CreateNumber(strtod(v, NULL)) :
				     type && str_eq(type, "String.Array") ? cJSON_Parse(v) : cJSON_CreateString(v);
			cJSON_AddItemToObject(subject, a->string, val ? val : cJSON_CreateString(v));
		}
	}
	bool ok = lamb_pattern_match(sub->filter, subject);
	cJSON_Delete(subject);
	return ok;
}

static cJSON *notification(const struct message *msg, bool lambda_shape)
{
	cJSON *n = cJSON_CreateObject();
	cJSON_AddStringToObject(n, "Type", "Notification");
	cJSON_AddStringToObject(n, "MessageId", msg->id);
	cJSON_AddStringToObject(n, "TopicArn", msg->topic_arn);
	if (msg->subject || lambda_shape)
		cJSON_AddItemToObject(n, "Subject", msg->subject ? cJSON_CreateString(msg->subject) : cJSON_CreateNull());
	cJSON_AddStringToObject(n, "Message", msg->body);
	cJSON_AddStringToObject(n, "Timestamp", msg->when);
	cJSON_AddStringToObject(n, "SignatureVersion", "1");
	cJSON_AddStringToObject(n, "Signature", "EXAMPLE");
	cJSON_AddStringToObject(n, lambda_shape ? "SigningCertUrl" : "SigningCertURL", "EXAMPLE");
	cJSON_AddStringToObject(n, lambda_shape ? "UnsubscribeUrl" : "UnsubscribeURL", "EXAMPLE");
	cJSON_AddItemToObject(n, "MessageAttributes", cJSON_Duplicate(msg->attributes, 1));
	return n;
}

static void deliver(struct lamb_sns *s, const struct sub *sub, const struct message *msg, const char *trace)
{
	struct lamb_err err;
	if (!sub->fn) {
		cJSON *n = notification(msg, false);
		char *text = sub->raw ? xstrdup(msg->body) : cJSON_PrintUnformatted(n);
		if (!lamb_sqs_send(s->sqs, sub->queue, text))
			fprintf(s->log, "lamb: %s is not delivered: no queue '%s'\n", sub->source, sub->queue);
		free(text);
		cJSON_Delete(n);
		return;
	}
	cJSON *ev = cJSON_CreateObject(), *recs = cJSON_AddArrayToObject(ev, "Records"), *r = cJSON_CreateObject();
	char *sub_arn = xasprintf("%s:%s", msg->topic_arn, msg->id);
	cJSON_AddStringToObject(r, "EventSource", "aws:sns");
	cJSON_AddStringToObject(r, "EventVersion", "1.0");
	cJSON_AddStringToObject(r, "EventSubscriptionArn", sub_arn);
	cJSON_AddItemToObject(r, "Sns", notification(msg, true));
	cJSON_AddItemToArray(recs, r);
	char *text = cJSON_PrintUnformatted(ev);
	if (lamb_async_submit(s->async, sub->fn, text, strlen(text), sub->source, trace, NULL, &err) < 0)
		fprintf(s->log, "lamb: %s is not delivered: %s\n", sub->source, err.msg);
	free(text);
	free(sub_arn);
	cJSON_Delete(ev);
}

static void reply(struct lamb_http_response *r, int status, const char *op, const char *inner)
{
	char id[40];
	lamb_invoke_request_id(id);
	r->status = status;
	r->body = status == 200 ?
		xasprintf("<?xml version=\"1.0\"?><%sResponse xmlns=\"" XMLNS "\"><%sResult>%s</%sResult>"
			  "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>",
			  op, op, inner, op, id, op) :
		xasprintf("<?xml version=\"1.0\"?><ErrorResponse xmlns=\"" XMLNS "\"><Error><Type>Sender</Type>%s"
			  "</Error><RequestId>%s</RequestId></ErrorResponse>", inner, id);
	r->body_len = strlen(r->body);
	lamb_http_response_add_header(r, "Content-Type", "text/xml");
}

static void fan_out(struct lamb_sns *s, struct message *msg, const struct topic *t, const char *trace)
{
	msg->topic_arn = t->arn;
	lamb_invoke_request_id(msg->id);
	lamb_sched_iso(lamb_scheduler_now(s->clock), msg->when);
	for (size_t i = 0; i < s->nsubs; i++)
		if (strcmp(s->subs[i].topic_arn, t->arn) == 0 && passes(&s->subs[i], msg))
			deliver(s, &s->subs[i], msg, trace);
}

bool lamb_sns_publish(struct lamb_sns *s, const char *ref, const char *message, const char *trace)
{
	struct topic *t = find_topic(s, ref);
	cJSON *attrs = cJSON_CreateObject();
	struct message msg = { .body = message, .attributes = attrs };
	if (t)
		fan_out(s, &msg, t, trace);
	cJSON_Delete(attrs);
	return t != NULL;
}

static void publish(struct lamb_sns *s, const cJSON *p, const char *trace, struct lamb_http_response *r)
{
	const char *arn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "TopicArn"));
	struct topic *t = find_topic(s, arn ? arn : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "TargetArn")));
	struct message msg = { .subject = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "Subject")),
			       .body = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "Message")),
			       .attributes = cJSON_GetObjectItemCaseSensitive(p, "MessageAttributes") };
	if (!t)
		return reply(r, 404, "Publish", "<Code>NotFound</Code><Message>Topic does not exist</Message>");
	if (!msg.body)
		return reply(r, 400, "Publish", "<Code>InvalidParameter</Code><Message>Message is required</Message>");
	fan_out(s, &msg, t, trace);
	char *inner = xasprintf("<MessageId>%s</MessageId>", msg.id);
	reply(r, 200, "Publish", inner);
	free(inner);
}

static void topics(struct lamb_sns *s, const char *op, const cJSON *p, struct lamb_http_response *r)
{
	struct lamb_buf b;
	lamb_buf_init(&b);
	if (strcmp(op, "CreateTopic") == 0) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "Name"));
		struct topic *t = name ? find_topic(s, name) : NULL;
		if (!t && name)
			t = add_topic(s, name, NULL);
		if (!t)
			return lamb_buf_release(&b), reply(r, 400, op, "<Code>InvalidParameter</Code><Message>Name is required</Message>");
		lamb_buf_addf(&b, "<TopicArn>%s</TopicArn>", t->arn);
	} else {
		lamb_buf_addstr(&b, "<Topics>");
		for (size_t i = 0; i < s->ntopics; i++)
			lamb_buf_addf(&b, "<member><TopicArn>%s</TopicArn></member>", s->topics[i].arn);
		lamb_buf_addstr(&b, "</Topics>");
	}
	reply(r, 200, op, b.data ? b.data : "");
	lamb_buf_release(&b);
}

bool lamb_sns_handle(struct lamb_sns *s, const struct lamb_http_request *req, const char *trace,
		     struct lamb_http_response *r)
{
	if (strcmp(req->method, "POST") != 0 || !req->body_len)
		return false;
	cJSON *p = form_of(req->body, req->body_len);
	const char *op = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "Action"));
	bool mine = op && (strcmp(op, "Publish") == 0 || strcmp(op, "CreateTopic") == 0 || strcmp(op, "ListTopics") == 0);
	if (mine && strcmp(op, "Publish") == 0)
		publish(s, p, trace, r);
	else if (mine)
		topics(s, op, p, r);
	cJSON_Delete(p);
	return mine;
}
