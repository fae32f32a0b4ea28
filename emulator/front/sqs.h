/* lamb local start's SQS: queues of the template (AWS::SQS::Queue) and
 * those created through the API, kept in memory; the operations behind
 * both wire protocols (sqs-api.c), and the event source mapping that
 * polls a queue for a function as Lambda does. Visibility timeouts, delays
 * and batching windows follow the scheduler's clock. */
#ifndef LAMB_SQS_H
#define LAMB_SQS_H

#include "base/err.h"
#include "base/loop.h"
#include "engine/invoke.h"
#include "front/sched.h"
#include "model/model.h"

#include <cjson/cJSON.h>
#include <stdio.h>

struct lamb_sqs;

/* base_url: "http://127.0.0.1:3002", where queue URLs point. */
struct lamb_sqs *lamb_sqs_new(struct lamb_loop *loop, struct lamb_invoker *iv, const struct lamb_model *m,
			      struct lamb_scheduler *clock, const char *base_url, FILE *log);
/* Call after lamb_invoke_free. NULL ok. */
void lamb_sqs_free(struct lamb_sqs *q);
/* One line per queue and per mapping. */
void lamb_sqs_describe(const struct lamb_sqs *q, FILE *out);

/* Sends body to the queue ref names (URL, name, ARN, "Id.Arn"); false
 * when there is no such queue. */
bool lamb_sqs_send(struct lamb_sqs *q, const char *ref, const char *body);

/* The error an operation answers: its HTTP status, SQS's code
 * ("QueueDoesNotExist") and the query protocol's
 * ("AWS.SimpleQueueService.NonExistentQueue"). */
struct lamb_sqs_error {
	int status;
	const char *code, *query_code;
	char message[256];
};

/* Runs operation op ("SendMessage") with its parameters in the JSON
 * protocol's shape; the result object, or NULL with e filled. */
cJSON *lamb_sqs_call(struct lamb_sqs *q, const char *op, const cJSON *params, struct lamb_sqs_error *e);

#endif
