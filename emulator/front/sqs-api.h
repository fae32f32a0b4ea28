/* The HTTP side of lamb local start's SQS: both wire protocols. */
#ifndef LAMB_SQS_API_H
#define LAMB_SQS_API_H

#include "front/sqs-int.h"
#include "http/http-message.h"

/* Answers req into r when it is an SQS request (target: its X-Amz-Target,
 * or NULL; trace: its X-Amzn-Trace-Id, which messages it sends keep);
 * false, with r untouched, when it is not one. */
bool lamb_sqs_api_handle(struct lamb_sqs *q, const struct lamb_http_request *req, const char *target,
			 const char *trace, struct lamb_http_response *r);
const char *sqs_str_of(const cJSON *o, const char *key);

#endif
