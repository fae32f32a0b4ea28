/* lamb local start's EventBridge: PutEvents on the services port
 * (X-Amz-Target: AWSEvents.PutEvents), matched against the template's
 * rules (EventBridgeRule and CloudWatchEvent events, AWS::Events::Rule with
 * an EventPattern), each matching target invoked asynchronously with the
 * event or its Input, InputPath or InputTransformer. */
#ifndef LAMB_EVENTBRIDGE_H
#define LAMB_EVENTBRIDGE_H

#include "front/async.h"
#include "http/http-message.h"
#include "model/model.h"

#include <cjson/cJSON.h>
#include <stdio.h>

struct lamb_eventbridge;

struct lamb_eventbridge *lamb_eventbridge_new(const struct lamb_model *m, struct lamb_async *async, FILE *log);
void lamb_eventbridge_free(struct lamb_eventbridge *eb);
void lamb_eventbridge_describe(const struct lamb_eventbridge *eb, FILE *out);
/* Delivers one event (the envelope, parsed) on bus to every rule it
 * matches (trace: the sender's trace header, or NULL); the number of
 * targets it went to. */
int lamb_eventbridge_put(struct lamb_eventbridge *eb, const char *bus, const cJSON *event, const char *trace);
/* Answers req into r when target is AWSEvents.*; false otherwise. trace:
 * its X-Amzn-Trace-Id, or NULL. */
bool lamb_eventbridge_handle_traced(struct lamb_eventbridge *eb, const struct lamb_http_request *req,
				    const char *target, const char *trace, struct lamb_http_response *r);
/* A template value (a resolved node) as JSON: unquoted scalars that read as
 * numbers, booleans or null become those. Caller deletes. */
cJSON *lamb_node_to_json(const struct lamb_node *n);

#endif
