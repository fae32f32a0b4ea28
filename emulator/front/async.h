/* Asynchronous invocation as Lambda runs it, for schedules and for the
 * Invoke API's InvocationType Event: an internal queue, retries of a failed
 * event (MaximumRetryAttempts, 2 by default, one then two minutes apart),
 * throttles retried with backoff until MaximumEventAgeInSeconds, then the
 * OnSuccess / OnFailure destination or the dead-letter queue. Every wait
 * follows the scheduler's clock, so a manual clock drives retries too. */
#ifndef LAMB_ASYNC_H
#define LAMB_ASYNC_H

#include "base/err.h"
#include "base/loop.h"
#include "engine/invoke.h"
#include "front/sched.h"
#include "model/model.h"

#include <stdio.h>

/* Lambda's limit on an asynchronous event (the synchronous one is 6 MB). */
#define LAMB_ASYNC_MAX_EVENT (1024 * 1024)

struct lamb_async;

struct lamb_async *lamb_async_new(struct lamb_loop *loop, struct lamb_invoker *iv, const struct lamb_model *m,
				  struct lamb_scheduler *clock, FILE *log);
/* Delivers a destination record to arn when it is not a function: a local
 * queue, topic or bus; false when arn is none of those. condition: "Success",
 * "RetriesExhausted", "EventAgeExceeded". */
typedef bool (*lamb_async_sink)(void *data, const char *arn, const char *record, const char *condition);
void lamb_async_set_sink(struct lamb_async *a, lamb_async_sink sink, void *data);
/* Call after lamb_invoke_free. NULL ok. */
void lamb_async_free(struct lamb_async *a);
/* Queues event (copied) for fn; source names who sent it in the log and
 * the clock's listing; trace is the sender's trace header (its Lineage
 * counts the chain's hops), or NULL; tenant is the Invoke's tenant id (a
 * PER_TENANT function runs it in that tenant's instances, each retry
 * too), or NULL. -1 with err when it is above LAMB_ASYNC_MAX_EVENT. */
int lamb_async_submit(struct lamb_async *a, const struct lamb_function *fn, const char *event, size_t len,
		      const char *source, const char *trace, const char *tenant, struct lamb_err *err);

#endif
