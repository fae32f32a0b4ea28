/* The HTTP side of lamb local start's SQS: both wire protocols. */
#ifndef LAMB_SQS_API_H
#define LAMB_SQS_API_H

#include "front/sqs-int.h"
#include "http/http-message.h"

#include "http/http-server.h"

/* Answers c when it is an SQS request (target: its X-Amz-Target, or NULL;
 * trace: its X-Amzn-Trace-Id, which messages it sends keep), at once or,
 * for a ReceiveMessage that long-polls, once a message arrives or its wait
 * ends on the clock; false, with c untouched, when it is not one. */
bool lamb_sqs_api_handle(struct lamb_sqs *q, struct lamb_http_conn *c, const char *target, const char *trace);
const char *sqs_str_of(const cJSON *o, const char *key);

#endif
