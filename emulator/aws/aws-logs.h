/* CloudWatch Logs for `lamb logs --stack-name`: a deployed function's
 * physical name from its stack (CloudFormation ListStackResources) and its
 * log group's events (FilterLogEvents, every page), through the SigV4
 * client of aws.h. */
#ifndef LAMB_AWS_LOGS_H
#define LAMB_AWS_LOGS_H

#include "aws/aws.h"
#include "base/err.h"

#include <stdint.h>

/* The PhysicalResourceId of logical_id in stack (allocated); NULL with err
 * when the stack has no such resource. */
char *lamb_logs_physical_id(const struct lamb_aws_config *c, const char *stack, const char *logical_id,
			    struct lamb_err *err);

struct lamb_logs_event {
	uint64_t timestamp;     /* ms since the epoch */
	const char *stream;
	const char *message;    /* without its trailing newline */
	const char *event_id;
};
typedef void (*lamb_logs_event_fn)(void *data, const struct lamb_logs_event *e);

/* FilterLogEvents on group from start_ms (0: any) to end_ms (0: now) with
 * pattern (NULL: every event), interleaved, following nextToken; cb per
 * event, oldest first within each page. -1 with AWS's error in err. */
int lamb_logs_filter(const struct lamb_aws_config *c, const char *group, uint64_t start_ms, uint64_t end_ms,
		     const char *pattern, lamb_logs_event_fn cb, void *data, struct lamb_err *err);

#endif
