/* EventBridge's rules and PutEvents. A rule is a pattern, a bus and a
 * target (a function of the template, with its input settings); PutEvents
 * builds each entry's envelope as EventBridge does and hands it to every
 * rule on its bus whose pattern matches. */
#include "front/eventbridge.h"

#include "base/util.h"
#include "front/event-pattern.h"
#include "front/lambda-api.h"
#include "front/sched-expr.h"

#include <stdlib.h>
#include <string.h>

struct rule {
	char *source; /* "rule Fn/Event", "rule Id" */
	char *name, *arn, *bus;
	cJSON *pattern;
	const struct lamb_function *fn;
	const char *input, *input_path;
	const struct lamb_node *transformer;
};

struct lamb_eventbridge {
	const struct lamb_model *m;
	struct lamb_async *async;
	FILE *log;
	struct rule *rules;
	size_t n, cap;
};

cJSON *lamb_node_to_json(const struct lamb_node *n)
{
	if (!n)
		return cJSON_CreateNull();
	if (n->kind == LAMB_SEQ) {
		cJSON *a = cJSON_CreateArray();
		for (size_t i = 0; i < n->len; i++)
			cJSON_AddItemToArray(a, lamb_node_to_json(n->items[i]));
		return a;
	}
	if (n->kind == LAMB_MAP) {
		cJSON *o = cJSON_CreateObject();
		for (size_t i = 0; i < n->len; i++)
			cJSON_AddItemToObject(o, n->pairs[i].key->str, lamb_node_to_json(n->pairs[i].value));
		return o;
	}
	char *end;
	double d = strtod(n->str, &end);
	if (!n->quoted && *n->str && !*end)
		return cJSON_CreateNumber(d);
	bool b;
	if (!n->quoted && lamb_node_bool(n, &b))
		return cJSON_CreateBool(b);
	if (!n->quoted && (strcmp(n->str, "null") == 0 || strcmp(n->str, "~") == 0))
		return cJSON_CreateNull();
	return cJSON_CreateString(n->str);
}

/* A pattern written as a mapping, or as JSON text. */
static cJSON *pattern_of(const struct lamb_node *n)
{
	const char *s = lamb_node_str(n);
	return s ? cJSON_Parse(s) : n ? lamb_node_to_json(n) : NULL;
}

static void add(struct lamb_eventbridge *eb, struct rule r, const struct lamb_node *pattern, const char *bus)
{
	const struct lamb_model *m = eb->m;
	r.pattern = pattern_of(pattern);
	if (!r.pattern) {
		fprintf(eb->log, "lamb: warning: %s is not run: its pattern is not JSON\n", r.source);
		free(r.source);
		free(r.name);
		return;
	}
	r.bus = xstrdup(bus ? (strrchr(bus, '/') ? strrchr(bus, '/') + 1 : bus) : "default");
	r.arn = xasprintf("arn:%s:events:%s:%s:rule/%s%s%s", m->partition, m->region, m->account_id,
			  strcmp(r.bus, "default") ? r.bus : "", strcmp(r.bus, "default") ? "/" : "", r.name);
	eb->rules = xgrow(eb->rules, &eb->cap, eb->n + 1, sizeof(*eb->rules));
	eb->rules[eb->n++] = r;
}

static void read_events(struct lamb_eventbridge *eb)
{
	const struct lamb_model *m = eb->m;
	for (size_t i = 0; i < m->nfunctions; i++)
		for (size_t j = 0; j < m->functions[i].nevents; j++) {
			const struct lamb_event *e = &m->functions[i].events[j];
			const struct lamb_node *p = e->properties;
			if (strcmp(e->type, "EventBridgeRule") != 0 && strcmp(e->type, "CloudWatchEvent") != 0)
				continue;
			const char *name = lamb_node_str(lamb_node_get(p, "RuleName"));
			struct rule r = { .source = xasprintf("rule %s/%s", m->functions[i].logical_id, e->name),
					  .name = name ? xstrdup(name) : xasprintf("%s%s", m->functions[i].logical_id, e->name),
					  .fn = &m->functions[i],
					  .input = lamb_node_str(lamb_node_get(p, "Input")),
					  .input_path = lamb_node_str(lamb_node_get(p, "InputPath")),
					  .transformer = lamb_node_get(p, "InputTransformer") };
			add(eb, r, lamb_node_get(p, "Pattern"), lamb_node_str(lamb_node_get(p, "EventBusName")));
		}
}

static void read_rules(struct lamb_eventbridge *eb)
{
	for (size_t i = 0; i < eb->m->nsources; i++) {
		const struct lamb_source *s = &eb->m->sources[i];
		const struct lamb_node *p = s->properties, *targets = lamb_node_get(p, "Targets");
		if (strcmp(s->type, "AWS::Events::Rule") != 0 || !lamb_node_get(p, "EventPattern"))
			continue;
		const char *name = lamb_node_str(lamb_node_get(p, "Name"));
		for (size_t j = 0; targets && targets->kind == LAMB_SEQ && j < targets->len; j++) {
			const struct lamb_node *t = targets->items[j];
			const char *arn = lamb_node_str(lamb_node_get(t, "Arn"));
			const struct lamb_function *f = arn ? lamb_lambda_api_find(eb->m, arn) : NULL;
			if (!f)
				continue;
			struct rule r = { .source = xasprintf("rule %s", s->logical_id),
					  .name = xstrdup(name ? name : s->logical_id), .fn = f,
					  .input = lamb_node_str(lamb_node_get(t, "Input")),
					  .input_path = lamb_node_str(lamb_node_get(t, "InputPath")),
					  .transformer = lamb_node_get(t, "InputTransformer") };
			add(eb, r, lamb_node_get(p, "EventPattern"), lamb_node_str(lamb_node_get(p, "EventBusName")));
		}
	}
}

struct lamb_eventbridge *lamb_eventbridge_new(const struct lamb_model *m, struct lamb_async *async, FILE *log)
{
	struct lamb_eventbridge *eb = xcalloc(1, sizeof(*eb));
	eb->m = m;
	eb->async = async;
	eb->log = log ? log : stderr;
	read_events(eb);
	read_rules(eb);
	return eb;
}

void lamb_eventbridge_free(struct lamb_eventbridge *eb)
{
	if (!eb)
		return;
	for (size_t i = 0; i < eb->n; i++) {
		free(eb->rules[i].source);
		free(eb->rules[i].name);
		free(eb->rules[i].arn);
		free(eb->rules[i].bus);
		cJSON_Delete(eb->rules[i].pattern);
	}
	free(eb->rules);
	free(eb);
}

void lamb_eventbridge_describe(const struct lamb_eventbridge *eb, FILE *out)
{
	for (size_t i = 0; i < eb->n; i++)
		fprintf(out, "%s -> %s: bus %s, an event pattern\n", eb->rules[i].source, eb->rules[i].fn->logical_id,
			eb->rules[i].bus);
}

int lamb_eventbridge_put(struct lamb_eventbridge *eb, const char *bus, const cJSON *event, const char *trace)
{
	int n = 0;
	char *text = NULL;
	for (size_t i = 0; i < eb->n; i++) {
		const struct rule *r = &eb->rules[i];
		if (strcmp(r->bus, bus) != 0 || !lamb_pattern_match(r->pattern, event))
			continue;
		struct lamb_err err;
		if (!text)
			text = cJSON_PrintUnformatted(event);
		char *input = lamb_sched_target_input(text, r->input, r->input_path, r->transformer, r->arn, r->name, &err);
		if (!input || lamb_async_submit(eb->async, r->fn, input, strlen(input), r->source, trace, NULL, &err) < 0)
			fprintf(eb->log, "lamb: %s is not delivered: %s\n", r->source, err.msg);
		else
			n++;
		free(input);
	}
	free(text);
	return n;
}

/* One PutEvents entry as the event a rule sees. */
static cJSON *envelope(const struct lamb_eventbridge *eb, const cJSON *en, const char *id)
{
	char when[32];
	lamb_sched_iso((int64_t)lamb_loop_wall_ms(), when);
	const char *detail = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(en, "Detail"));
	const cJSON *resources = cJSON_GetObjectItemCaseSensitive(en, "Resources");
	const char *time = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(en, "Time"));
	cJSON *e = cJSON_CreateObject(), *d = detail ? cJSON_Parse(detail) : NULL;
	cJSON_AddStringToObject(e, "version", "0");
	cJSON_AddStringToObject(e, "id", id);
	cJSON_AddStringToObject(e, "detail-type", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(en, "DetailType")));
	cJSON_AddStringToObject(e, "source", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(en, "Source")));
	cJSON_AddStringToObject(e, "account", eb->m->account_id);
	cJSON_AddStringToObject(e, "time", time ? time : when);
	cJSON_AddStringToObject(e, "region", eb->m->region);
	cJSON_AddItemToObject(e, "resources", resources ? cJSON_Duplicate(resources, 1) : cJSON_CreateArray());
	cJSON_AddItemToObject(e, "detail", d ? d : cJSON_CreateObject());
	return e;
}

static cJSON *put_events(struct lamb_eventbridge *eb, const cJSON *body, const char *trace)
{
	cJSON *r = cJSON_CreateObject(), *out = cJSON_CreateArray();
	const cJSON *en;
	int failed = 0;
	cJSON_ArrayForEach(en, cJSON_GetObjectItemCaseSensitive(body, "Entries")) {
		const char *detail = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(en, "Detail"));
		cJSON *d = detail ? cJSON_Parse(detail) : NULL, *o = cJSON_CreateObject();
		if (!cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(en, "Source")) ||
		    !cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(en, "DetailType")) || !cJSON_IsObject(d)) {
			cJSON_AddStringToObject(o, "ErrorCode", "MalformedDetail");
			cJSON_AddStringToObject(o, "ErrorMessage", "Source, DetailType and a JSON object Detail are required");
			failed++;
		} else {
			char id[40];
			lamb_invoke_request_id(id);
			const char *bus = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(en, "EventBusName"));
			cJSON *e = envelope(eb, en, id);
			lamb_eventbridge_put(eb, bus ? (strrchr(bus, '/') ? strrchr(bus, '/') + 1 : bus) : "default", e, trace);
			cJSON_Delete(e);
			cJSON_AddStringToObject(o, "EventId", id);
		}
		cJSON_Delete(d);
		cJSON_AddItemToArray(out, o);
	}
	cJSON_AddNumberToObject(r, "FailedEntryCount", failed);
	cJSON_AddItemToObject(r, "Entries", out);
	return r;
}

bool lamb_eventbridge_handle_traced(struct lamb_eventbridge *eb, const struct lamb_http_request *req,
				    const char *target, const char *trace, struct lamb_http_response *r)
{
	if (!target || !str_starts(target, "AWSEvents."))
		return false;
	cJSON *body = cJSON_ParseWithLength(req->body ? req->body : "", req->body_len), *out;
	if (strcmp(target, "AWSEvents.PutEvents") == 0 && body) {
		out = put_events(eb, body, trace);
		r->status = 200;
	} else {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "__type", "UnknownOperationException");
		cJSON_AddStringToObject(out, "message", "lamb's EventBridge answers PutEvents only");
		r->status = 400;
	}
	r->body = cJSON_PrintUnformatted(out);
	r->body_len = strlen(r->body);
	lamb_http_response_add_header(r, "Content-Type", "application/x-amz-json-1.1");
	cJSON_Delete(out);
	cJSON_Delete(body);
	return true;
}
