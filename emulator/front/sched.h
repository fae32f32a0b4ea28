/* lamb local start's schedules: Schedule and ScheduleV2 events,
 * AWS::Events::Rule with a ScheduleExpression and AWS::Scheduler::Schedule,
 * fired at their times with the scheduled-event payload (or their Input,
 * InputPath, InputTransformer). The clock is real (a loop timer) or manual:
 * time moves only when advanced, which fires what fell due in order. */
#ifndef LAMB_SCHED_H
#define LAMB_SCHED_H

#include "base/err.h"
#include "base/loop.h"
#include "engine/invoke.h"
#include "model/model.h"

#include <stdio.h>

struct lamb_scheduler;

/* One firing, as advance reports it. */
struct lamb_fired {
	int64_t time_ms;
	const char *source;   /* "schedule Etl/Nightly" */
	const char *function; /* logical id */
	const char *outcome;  /* "ok", "function error", "timeout", ... */
};

typedef void (*lamb_advance_fn)(void *data, const struct lamb_fired *fired, size_t n, int64_t now_ms);

/* Reads every schedule of m; one it cannot run is warned about on log and
 * left out. manual: the clock starts at the wall clock's time and moves
 * only by lamb_scheduler_advance. */
struct lamb_scheduler *lamb_scheduler_new(struct lamb_loop *loop, struct lamb_invoker *iv,
					  const struct lamb_model *m, bool manual, FILE *log);
/* Pending invocations must be gone: call after lamb_invoke_free. NULL ok. */
void lamb_scheduler_free(struct lamb_scheduler *s);
/* One line per schedule: name, function, expression, next fire time. */
void lamb_scheduler_describe(const struct lamb_scheduler *s, FILE *out);
int64_t lamb_scheduler_now(const struct lamb_scheduler *s);
bool lamb_scheduler_manual(const struct lamb_scheduler *s);
/* Manual clock: moves it by by_ms, firing what falls due in time order,
 * each instant's invocations finished before the clock moves on; done is
 * called from the loop once the clock is there. -1 with err under the real
 * clock or while another advance runs. */
int lamb_scheduler_advance(struct lamb_scheduler *s, int64_t by_ms, lamb_advance_fn done, void *data,
			   struct lamb_err *err);

/* Timed work of another part on the same clock (the asynchronous
 * queue): its next due time (-1: none), and running what is due. */
struct lamb_clocked {
	int64_t (*next)(void *data);
	void (*run_due)(void *data, int64_t now);
	void *data;
};

/* One such part (up to four); it must outlive the scheduler's loop. */
void lamb_scheduler_add_clocked(struct lamb_scheduler *s, const struct lamb_clocked *c);
/* Work started for the clock at at: during an advance it is listed and the
 * clock waits for its lamb_scheduler_end (with the same token). */
size_t lamb_scheduler_begin(struct lamb_scheduler *s, int64_t at, const char *source, const char *function);
void lamb_scheduler_end(struct lamb_scheduler *s, size_t token, const char *outcome);
/* New timed work was queued: the real clock's timer is re-armed. */
void lamb_scheduler_poke(struct lamb_scheduler *s);
struct lamb_async;
/* Schedules deliver through a (asynchronous invocation, as Lambda runs
 * them) rather than invoking directly. */
void lamb_scheduler_use_async(struct lamb_scheduler *s, struct lamb_async *a);
/* The name of an outcome in listings: "ok", "function error", ... */
const char *lamb_outcome_name(enum lamb_outcome_kind k);

/* Recursive loop detection, as Lambda does it through the trace header: a
 * chain of invocations (through SQS, EventBridge, asynchronous invocation)
 * counts its hops in the header's Lineage; past LAMB_MAX_HOPS the next is
 * stopped unless the function sets RecursiveLoop: Allow. */
#define LAMB_MAX_HOPS 16
/* The hops a trace header (X-Amzn-Trace-Id) carries; 0 for NULL or none. */
int lamb_lineage_hops(const char *trace);
/* A new trace header carrying hops, into buf (at least 96 bytes). */
void lamb_lineage_trace(char *buf, int hops);
/* Whether fn may run as hop hops of a chain; false after logging why. */
bool lamb_lineage_allowed(const struct lamb_function *fn, int hops, const char *source, FILE *log);

/* sched-input.c: the event a target gets. event: the scheduled event
 * (JSON); input, input_path, transformer as the target has them (NULL when
 * unset). Caller frees; NULL with err when a path or template is wrong. */
char *lamb_sched_target_input(const char *event, const char *input, const char *input_path,
			      const struct lamb_node *transformer, const char *rule_arn, const char *rule_name,
			      struct lamb_err *err);

#endif
