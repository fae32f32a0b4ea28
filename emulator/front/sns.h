/* lamb local start's SNS: the template's AWS::SNS::Topic resources, and
 * Publish (query protocol, as the SDKs send it) fanned out to the topic's
 * subscribers: SNS events of functions (invoked asynchronously with the SNS
 * event, FilterPolicy applied) and AWS::SNS::Subscription resources to a
 * function or a local queue. */
#ifndef LAMB_SNS_H
#define LAMB_SNS_H

#include "front/async.h"
#include "front/sqs.h"
#include "http/http-message.h"
#include "model/model.h"

#include <stdio.h>

struct lamb_sns;

struct lamb_sns *lamb_sns_new(const struct lamb_model *m, struct lamb_async *async, struct lamb_sqs *sqs,
			      struct lamb_scheduler *clock, FILE *log);
void lamb_sns_free(struct lamb_sns *s);
void lamb_sns_describe(const struct lamb_sns *s, FILE *out);
/* Answers req into r when it is an SNS action (Publish, CreateTopic,
 * ListTopics); false otherwise. trace: its X-Amzn-Trace-Id, or NULL. */
bool lamb_sns_handle(struct lamb_sns *s, const struct lamb_http_request *req, const char *trace,
		     struct lamb_http_response *r);

/* Publishes message to the topic ref names (ARN, name, logical id), as
 * Publish does; false when there is no such topic. */
bool lamb_sns_publish(struct lamb_sns *s, const char *ref, const char *message, const char *trace);

#endif
