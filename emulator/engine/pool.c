/* Instance life cycle (runtime-api.md, "Life of an instance"). All state
 * changes happen here, on the loop; the runtime-api and supervisor modules
 * only report what they saw. An instance is freed through the loop's defer
 * list, because it may be discarded from inside one of its own callbacks. */
#include "base/err.h"
#include "base/json.h"
#include "base/util.h"
#include "engine/extensions.h"
#include "engine/platform-log.h"
#include "engine/pool.h"
#include "engine/runtime-api.h"
#include "engine/sandbox.h"
#include "engine/snapstart.h"

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum inst_state { INST_INIT, INST_IDLE, INST_BUSY, INST_DEAD };

struct instance {
	struct lamb_pool *pool;
	struct instance *next;
	struct lamb_rapi *rapi;
	struct lamb_proc *proc;
	enum inst_state state;
	struct lamb_invocation *inv; /* bound during INIT, current during BUSY */
	struct lamb_timer timer;     /* init deadline, invoke deadline, or idle reaping */
	uint64_t spawn_ns;
	uint64_t deadline_ns;        /* of the invocation it runs */
	double init_ms;              /* reported with the first invocation only */
	bool retire;                 /* discard instead of going idle (lamb_pool_retire) */
	bool pending;                /* its process is still to start (start_pending) */
	bool debug;                  /* started under the debugger (-d): no timeouts, kept warm */
	long served;                 /* invocations handed over */
	struct lamb_restore *restore; /* SnapStart: its fork asked for, not yet come */
	bool restored;               /* forked from the snapshot: init_ms is its Restore Duration */
	/* extensions (extensions.h): their API and the launcher's gate, the
	 * runtime's /next held until every extension waits too, an answered
	 * invocation held likewise, the shutdown phase */
	struct lamb_ext_host *ext;
	bool rt_waiting;
	struct lamb_invocation *held;
	bool shutting;
};

struct lamb_pool {
	struct lamb_loop *loop;
	struct lamb_supervisor *sup;
	const struct lamb_function *fn;
	struct lamb_pool_opts opts;
	struct lamb_code code;
	struct lamb_bootstrap boot;
	struct instance *instances;
	int ninstances;
	bool sandboxed;
	bool pidns;                  /* each instance in its own PID namespace */
	struct lamb_invocation *queue, **queue_tail;
	bool ready;                  /* code and boot are prepared */
	struct prep *prep;           /* the preparation under way, or NULL */
	bool prestart;               /* lamb_pool_prestart came while preparing */
	struct lamb_timer starter;   /* starts pending instances, one per loop turn */
	struct lamb_snap *snap;      /* SnapStart's snapshot (snapstart.h), or NULL */
	bool snap_ext_said;          /* SnapStart's "not with extensions" said */
	struct lamb_ext_list exts;   /* its layers' external extensions */
	struct instance *closing;    /* instances in their shutdown phase */
};

static void on_next(void *owner);
static void on_answer(void *owner, enum lamb_rapi_answer kind, const char *body, size_t len,
		      const char *error_type);
static void on_init_error(void *owner, const char *body, size_t len, const char *error_type);
static bool on_peer(void *owner, int fd);
static void on_stream_begin(void *owner, const char *content_type);
static void on_stream_data(void *owner, const char *data, size_t len);
static void on_ext(void *owner, struct lamb_rapi_call *call, const struct lamb_rapi_ext_req *req);
static void on_ext_gone(void *owner, struct lamb_rapi_call *call);

static const struct lamb_rapi_ops rapi_ops = {
	.next = on_next,
	.answer = on_answer,
	.stream_begin = on_stream_begin,
	.stream_data = on_stream_data,
	.init_error = on_init_error,
	.peer = on_peer,
	.ext = on_ext,
	.ext_gone = on_ext_gone,
};

static FILE *logf_(struct lamb_pool *p)
{
	return p->opts.log ? p->opts.log : stderr;
}

/* --- log tails --- */

static void tail_keep(struct lamb_invocation *inv, const char *s, size_t n)
{
	struct lamb_buf *t = &inv->log_tail;
	if (!inv->want_tail)
		return;
	if (n >= LAMB_LOG_TAIL_MAX) {
		s += n - LAMB_LOG_TAIL_MAX;
		n = LAMB_LOG_TAIL_MAX;
	}
	/* trim by halves: a copy per 4 KB of output, not per line */
	if (t->len + n > 2 * LAMB_LOG_TAIL_MAX) {
		size_t keep = LAMB_LOG_TAIL_MAX - n;
		keep = keep < t->len ? keep : t->len;
		memmove(t->data, t->data + t->len - keep, keep);
		t->len = keep;
	}
	lamb_buf_add(t, s, n);
}

void lamb_pool_tail_add(struct lamb_invocation *inv, const char *s, size_t n)
{
	lamb_logstore_add(inv->logs, inv->logs_fn, inv->request_id, s, n);
	tail_keep(inv, s, n);
}

/* A line of the instance's output: part of the log of the invocation it
 * is running or initialising for. */
static void on_line(void *data, const char *line, size_t len)
{
	struct instance *in = data;
	struct lamb_invocation *inv = in->inv;
	/* one record per line; the init phase's, as Lambda's, without request id */
	lamb_logstore_add(in->pool->opts.logs, in->pool->fn->logical_id,
			  inv && in->state != INST_INIT ? inv->request_id : NULL, line, len);
	if (inv && inv->want_tail) {
		tail_keep(inv, line, len);
		tail_keep(inv, "\n", 1);
	}
	if (in->ext)
		lamb_ext_log(in->ext, line, len);
}

static void trace(struct lamb_pool *p, const char *what, const char *request_id, size_t len)
{
	if (p->opts.trace)
		p->opts.trace(p->opts.trace_data, p->fn, what, request_id, len);
}

/* --- finishing invocations --- */

static void call_done(void *data)
{
	struct lamb_invocation *inv = data;
	inv->done(inv);
}

static void ext_report(struct instance *in, struct lamb_invocation *inv);

/* Ends inv with the body it holds; with extensions, once every one of them
 * has called event/next again: the invoke phase ends then
 * (runtimes-extensions-api.md, "Invoke phase"), and Duration counts it. */
static void finish_kept(struct instance *in, struct lamb_invocation *inv, enum lamb_outcome_kind kind)
{
	inv->kind = kind;
	if (in && in->ext && in->state == INST_BUSY && !lamb_ext_ready(in->ext)) {
		in->held = inv;
		inv->end_ns = lamb_loop_now_ns(); /* the runtime's part, for answered */
		if (inv->answered)
			inv->answered(inv);
		return;
	}
	inv->end_ns = lamb_loop_now_ns();
	if (in && in->proc)
		inv->memory_used_mb = lamb_proc_max_memory_mb(in->proc);
	if (in && in->ext)
		ext_report(in, inv);
	inv->done(inv);
}

static void finish(struct lamb_pool *p, struct instance *in, struct lamb_invocation *inv,
		   enum lamb_outcome_kind kind, const char *body, size_t len)
{
	lamb_buf_release(&inv->body);
	lamb_buf_init(&inv->body);
	lamb_buf_add(&inv->body, body, len);
	(void)p;
	finish_kept(in, inv, kind);
}

static void finish_errorf(struct lamb_pool *p, struct instance *in, struct lamb_invocation *inv,
			  enum lamb_outcome_kind kind, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void finish_errorf(struct lamb_pool *p, struct instance *in, struct lamb_invocation *inv,
			  enum lamb_outcome_kind kind, const char *type, const char *fmt, ...)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "RequestId: %s Error: ", inv->request_id);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	char *doc = lamb_json_error(type, msg);
	finish(p, in, inv, kind, doc, strlen(doc));
	free(doc);
}

/* An invocation that gets no instance: the outcome carries why (for the
 * log), the body Lambda's Runtime.InvalidEntrypoint document with what the
 * caller may see. Reported from the loop, never from inside
 * lamb_pool_submit. */
static void start_failed(struct lamb_pool *p, struct lamb_invocation *inv, const char *why, const char *shown)
{
	snprintf(inv->message, sizeof(inv->message), "%s", why);
	inv->kind = LAMB_OUTCOME_START_FAILED;
	inv->end_ns = lamb_loop_now_ns();
	char *msg = xasprintf("RequestId: %s Error: %s", inv->request_id, shown);
	char *doc = lamb_json_error("Runtime.InvalidEntrypoint", msg);
	lamb_buf_init(&inv->body);
	lamb_buf_addstr(&inv->body, doc);
	free(doc);
	free(msg);
	lamb_loop_defer(p->loop, call_done, inv);
}

/* --- instances --- */

static void instance_free(void *data)
{
	struct instance *in = data;
	lamb_rapi_free(in->rapi); /* its held calls' connections first: they tell in->ext */
	lamb_ext_free(in->ext);
	free(in);
}

static void spawn_for_queue(struct lamb_pool *p);

/* When a pool's last instance has gone, the memory a burst of requests used
 * (event and answer buffers, the Runtime API's connections) is free but
 * glibc keeps it in its arenas, the preparing threads' among them; give it
 * back, so an idle server is as small as before the burst. Rare (a pool
 * empties after its idle timeout) and well under a millisecond. */
static void trim_heap(void *data)
{
	(void)data;
	malloc_trim(0);
}

/* Takes the instance out of the pool; its process is left as it is. */
static void leave_pool(struct instance *in)
{
	struct lamb_pool *p = in->pool;
	in->state = INST_DEAD;
	lamb_loop_timer_cancel(p->loop, &in->timer);
	if (in->restore)
		lamb_restore_cancel(steal_ptr(in->restore));
	for (struct instance **pp = &p->instances; *pp; pp = &(*pp)->next)
		if (*pp == in) {
			*pp = in->next;
			break;
		}
	p->ninstances--;
	if (p->ninstances == 0)
		lamb_loop_defer(p->loop, trim_heap, NULL);
}

/* Takes the instance out of the pool, kills what is left of it and frees it
 * after the current batch of events. */
static void discard(struct instance *in)
{
	if (in->state == INST_DEAD)
		return;
	leave_pool(in);
	if (in->proc) {
		lamb_proc_detach(in->proc);
		lamb_proc_kill(in->proc);
		in->proc = NULL;
	}
	lamb_loop_defer(in->pool->loop, instance_free, in);
}

static void on_timer(void *data);

/* START as LogFormat: JSON writes it: platform.start, unless the
 * function's SystemLogLevel drops it. */
static void json_start(struct lamb_pool *p, struct lamb_invocation *inv)
{
	struct lamb_buf rec;
	lamb_buf_init(&rec);
	lamb_platform_start(&rec, p->fn, inv->request_id, inv->tenant_id);
	if (rec.len) {
		fwrite(rec.data, 1, rec.len, logf_(p));
		lamb_loop_wrote(p->loop, logf_(p));
		lamb_pool_tail_add(inv, rec.data, rec.len);
	}
	lamb_buf_release(&rec);
}

static void ext_invoke(struct instance *in, struct lamb_invocation *inv, uint64_t deadline_ms);

static void hand_over(struct instance *in, struct lamb_invocation *inv)
{
	struct lamb_pool *p = in->pool;
	in->state = INST_BUSY;
	in->inv = inv;
	in->served++;
	inv->init_ms = in->init_ms;
	inv->restored = in->restored;
	in->init_ms = -1;
	inv->start_ns = lamb_loop_now_ns();
	uint64_t timeout_ms = (uint64_t)(p->fn->timeout_s > 0 ? p->fn->timeout_s : 3) * 1000;
	/* a debugger may hold it at a breakpoint for as long as it likes */
	in->deadline_ns = in->debug ? UINT64_MAX : inv->start_ns + timeout_ms * 1000000ull;
	if (!in->debug)
		lamb_loop_timer_set(p->loop, &in->timer, in->deadline_ns, on_timer, in);
	if (p->fn->logging.json) {
		json_start(p, inv);
	} else {
		/* without snprintf: ~1,000 instructions a request */
		static const char head[] = "START RequestId: ", tail[] = " Version: $LATEST\n";
		char start[sizeof(head) + sizeof(inv->request_id) + sizeof(tail)];
		size_t rl = strnlen(inv->request_id, sizeof(inv->request_id)), n = sizeof(head) - 1;
		memcpy(start, head, n);
		memcpy(start + n, inv->request_id, rl);
		memcpy(start + n + rl, tail, sizeof(tail) - 1);
		n += rl + sizeof(tail) - 1;
		fwrite(start, 1, n, logf_(p));
		lamb_loop_wrote(p->loop, logf_(p));
		lamb_pool_tail_add(inv, start, n);
	}
	struct lamb_rapi_event ev = {
		.request_id = inv->request_id,
		.deadline_ms = lamb_loop_wall_ms() + timeout_ms,
		.function_arn = p->fn->arn,
		.trace_id = inv->trace_id,
		.client_context = inv->client_context,
		.cognito_identity = inv->cognito_identity,
		.tenant_id = inv->tenant_id,
		.body = inv->event,
		.len = inv->len,
	};
	trace(p, "next", inv->request_id, inv->len);
	lamb_rapi_deliver(in->rapi, &ev);
	if (in->ext)
		ext_invoke(in, inv, ev.deadline_ms);
}

static struct lamb_invocation *dequeue(struct lamb_pool *p)
{
	struct lamb_invocation *inv = p->queue;
	if (inv) {
		p->queue = inv->next;
		if (!p->queue)
			p->queue_tail = &p->queue;
		inv->next = NULL;
	}
	return inv;
}

static void become_idle(struct instance *in)
{
	struct lamb_pool *p = in->pool;
	if (in->retire) {
		/* its code changed on disk: queued work goes to a fresh instance */
		discard(in);
		spawn_for_queue(p);
		return;
	}
	struct lamb_invocation *inv = dequeue(p);
	in->state = INST_IDLE;
	in->inv = NULL;
	if (inv) {
		hand_over(in, inv);
		return;
	}
	if (p->opts.idle_ms && !in->debug) /* the debugger's stays warm, attached */
		lamb_loop_timer_set(p->loop, &in->timer, lamb_loop_now_ns() + p->opts.idle_ms * 1000000ull,
				    on_timer, in);
	else
		lamb_loop_timer_cancel(p->loop, &in->timer);
}

static void ext_init_done(struct instance *in);

/* The runtime is in /next, and so is every extension. */
static void runtime_next(struct instance *in)
{
	if (in->state == INST_INIT) {
		in->init_ms = (double)(lamb_loop_now_ns() - in->spawn_ns) / 1e6;
		lamb_proc_init_done(in->proc);
		if (in->ext)
			ext_init_done(in);
		struct lamb_invocation *bound = in->inv;
		if (bound) {
			hand_over(in, bound);
			return;
		}
	} else if (in->state == INST_BUSY && in->inv) {
		/* /next without an answer: Lambda reports the invocation as failed */
		struct lamb_invocation *inv = in->inv;
		in->inv = NULL;
		lamb_loop_timer_cancel(in->pool->loop, &in->timer);
		finish_errorf(in->pool, in, inv, LAMB_OUTCOME_FUNCTION_ERROR, "Runtime.InvalidState",
			      "Runtime called next without answering the invocation");
	}
	become_idle(in);
}

static void on_next(void *owner)
{
	struct instance *in = owner;
	if (in->shutting)
		return; /* its /next waits until it is killed */
	/* with extensions, init and each invoke end when they wait in
	 * event/next too: the runtime's /next waits for them */
	if (in->ext && !(in->state == INST_BUSY && in->inv) && !lamb_ext_ready(in->ext)) {
		in->rt_waiting = true;
		return;
	}
	runtime_next(in);
}

/* An instance that answered but has not called /next again within this
 * time no longer holds back queued invocations: they get new instances. */
#define RETURN_GRACE_MS 100


/* Queued invocations stop waiting for the instance; the instance itself
 * gets the function's Timeout to come back to /next, then it is discarded
 * (on_timer, busy without an invocation) so it cannot hold a slot forever. */
static void on_return_late(void *data)
{
	struct instance *in = data;
	struct lamb_pool *p = in->pool;
	uint64_t timeout_ms = (uint64_t)(p->fn->timeout_s > 0 ? p->fn->timeout_s : 3) * 1000;
	if (!in->debug) /* a debugger may hold it on its way back to /next too */
		lamb_loop_timer_set(p->loop, &in->timer, lamb_loop_now_ns() + timeout_ms * 1000000ull, on_timer, in);
	spawn_for_queue(p);
}

/* --- streamed responses --- */

static void on_stream_begin(void *owner, const char *content_type)
{
	struct instance *in = owner;
	struct lamb_invocation *inv = in->inv;
	if (!inv)
		return;
	inv->streamed = true;
	snprintf(inv->content_type, sizeof(inv->content_type), "%s", content_type ? content_type : "");
	trace(in->pool, "response (stream)", inv->request_id, 0);
	if (inv->chunk)
		inv->chunk(inv, "", 0);
}

static void on_stream_data(void *owner, const char *data, size_t len)
{
	struct instance *in = owner;
	struct lamb_invocation *inv = in->inv;
	if (!inv || lamb_loop_now_ns() >= in->deadline_ns)
		return; /* the timer's turn ends it */
	inv->streamed_len += len;
	if (inv->streamed_len > LAMB_RAPI_MAX_STREAM && !in->pool->opts.no_stream_limits) {
		/* Lambda cuts the stream: the instance goes, as after a timeout */
		in->inv = NULL;
		finish_errorf(in->pool, in, inv, LAMB_OUTCOME_TOO_LARGE, "Function.ResponseSizeTooLarge",
			      "Response payload size exceeded maximum allowed payload size (%d bytes).",
			      LAMB_RAPI_MAX_STREAM);
		discard(in);
		spawn_for_queue(in->pool);
		return;
	}
	if (inv->chunk)
		inv->chunk(inv, data, len);
	else if (inv->streamed_len <= LAMB_RAPI_MAX_RESPONSE)
		lamb_buf_add(&inv->body, data, len);
}

/* The end of a streamed response: an error in its trailers, or success. */
static void stream_end(struct instance *in, struct lamb_invocation *inv, const char *body, size_t len,
		       const char *error_type)
{
	if (error_type || len) {
		if (len)
			finish(in->pool, in, inv, LAMB_OUTCOME_FUNCTION_ERROR, body, len);
		else
			finish_errorf(in->pool, in, inv, LAMB_OUTCOME_FUNCTION_ERROR, error_type, "stream failed");
	} else if (!inv->chunk && inv->streamed_len > LAMB_RAPI_MAX_RESPONSE) {
		static const char big[] = "{\"errorMessage\":\"Response payload size exceeded maximum allowed "
					  "payload size (6291556 bytes).\",\"errorType\":\"Function.ResponseSizeTooLarge\"}";
		finish(in->pool, in, inv, LAMB_OUTCOME_TOO_LARGE, big, sizeof(big) - 1);
	} else {
		finish_kept(in, inv, LAMB_OUTCOME_RESPONSE);
	}
}

static void ext_runtime_done(struct instance *in, struct lamb_invocation *inv, enum lamb_rapi_answer kind,
			     size_t len);

static void on_answer(void *owner, enum lamb_rapi_answer kind, const char *body, size_t len,
		      const char *error_type)
{
	struct instance *in = owner;
	struct lamb_invocation *inv = in->inv;
	(void)error_type;
	if (!inv)
		return;
	/* an answer read in the same turn of the loop as its deadline passed
	 * (before the timer's turn came) is late: a timeout, never a success */
	if (lamb_loop_now_ns() >= in->deadline_ns) {
		on_timer(in);
		return;
	}
	if (in->proc)
		lamb_proc_drain(in->proc); /* its output before its END line */
	trace(in->pool, kind == LAMB_RAPI_RESPONSE ? "response" : kind == LAMB_RAPI_ERROR ? "error"
	      : kind == LAMB_RAPI_STREAMED ? "response (end of stream)" : "response (too large)",
	      inv->request_id, len);
	in->inv = NULL;
	if (in->ext)
		ext_runtime_done(in, inv, kind, len);
	if (!in->ext || lamb_ext_ready(in->ext)) /* else the invoke's deadline holds for them */
		lamb_loop_timer_set(in->pool->loop, &in->timer, lamb_loop_now_ns() + RETURN_GRACE_MS * 1000000ull,
				    on_return_late, in);
	if (kind == LAMB_RAPI_STREAMED) {
		stream_end(in, inv, body, len, error_type);
	} else if (kind == LAMB_RAPI_TOO_LARGE) {
		static const char big[] = "{\"errorMessage\":\"Response payload size exceeded maximum allowed "
					  "payload size (6291556 bytes).\",\"errorType\":\"Function.ResponseSizeTooLarge\"}";
		finish(in->pool, in, inv, LAMB_OUTCOME_TOO_LARGE, big, sizeof(big) - 1);
	} else if (kind == LAMB_RAPI_ERROR && len == 0) {
		finish_errorf(in->pool, in, inv, LAMB_OUTCOME_FUNCTION_ERROR, "Unhandled", "empty error");
	} else {
		finish(in->pool, in, inv, kind == LAMB_RAPI_RESPONSE ? LAMB_OUTCOME_RESPONSE
			: LAMB_OUTCOME_FUNCTION_ERROR, body, len);
	}
}

static void on_init_error(void *owner, const char *body, size_t len, const char *error_type)
{
	struct instance *in = owner;
	struct lamb_invocation *inv = in->inv;
	struct lamb_pool *p = in->pool;
	(void)error_type;
	trace(p, "init/error", inv ? inv->request_id : NULL, len);
	in->inv = NULL;
	/* the runtime exits after /init/error; we do not wait for it */
	struct lamb_buf copy;
	lamb_buf_init(&copy);
	lamb_buf_add(&copy, body, len);
	if (inv)
		inv->memory_used_mb = lamb_proc_max_memory_mb(in->proc);
	discard(in);
	if (inv) {
		inv->init_ms = (double)(lamb_loop_now_ns() - in->spawn_ns) / 1e6;
		if (copy.len)
			finish(p, NULL, inv, LAMB_OUTCOME_INIT_ERROR, copy.data, copy.len);
		else
			finish_errorf(p, NULL, inv, LAMB_OUTCOME_INIT_ERROR, "Runtime.Unknown", "init error");
	}
	lamb_buf_release(&copy);
	spawn_for_queue(p);
}

/* Only the instance's own processes may use its Runtime API (issue 19:
 * a function could take another's events and answer for it). */
static bool on_peer(void *owner, int fd)
{
	struct instance *in = owner;
	return in->proc && lamb_proc_owns_peer(in->proc, fd);
}

static bool shutdown_begin(struct instance *in, const char *reason);

static void on_timer(void *data)
{
	struct instance *in = data;
	struct lamb_pool *p = in->pool;
	struct lamb_invocation *inv = in->inv ? in->inv : in->held;
	enum inst_state state = in->state;
	in->held = NULL;
	if (state == INST_IDLE && shutdown_begin(in, "spindown"))
		return; /* reaped: its extensions get SHUTDOWN first */
	if (inv) {
		lamb_proc_drain(in->proc);
		inv->memory_used_mb = lamb_proc_max_memory_mb(in->proc);
	}
	in->inv = NULL;
	/* a timed-out instance is reset: its extensions get SHUTDOWN (timeout) */
	if (!(state == INST_BUSY && shutdown_begin(in, "timeout")))
		discard(in);
	if (state == INST_BUSY && inv) {
		double secs = (double)(p->fn->timeout_s > 0 ? p->fn->timeout_s : 3);
		char line[128];
		int n = snprintf(line, sizeof(line), "%s Task timed out after %.2f seconds\n", inv->request_id, secs);
		fwrite(line, 1, (size_t)n, logf_(p));
		lamb_pool_tail_add(inv, line, (size_t)n);
		inv->kind = LAMB_OUTCOME_TIMEOUT;
		finish_errorf(p, NULL, inv, LAMB_OUTCOME_TIMEOUT, "Sandbox.Timedout",
			      "Task timed out after %.2f seconds", secs);
	} else if (state == INST_INIT && inv) {
		double secs = (double)(p->opts.init_timeout_ms ? p->opts.init_timeout_ms : 10000) / 1000;
		inv->init_ms = secs * 1000;
		snprintf(inv->message, sizeof(inv->message), "init did not finish within %.2f seconds", secs);
		finish_errorf(p, NULL, inv, LAMB_OUTCOME_INIT_ERROR, "Sandbox.Timedout",
			      "Init phase timed out after %.2f seconds", secs);
	}
	spawn_for_queue(p);
}

static void shutdown_end(struct instance *in);

static void on_exit_(void *data, struct lamb_proc *proc, int status)
{
	struct instance *in = data;
	if (in->shutting) { /* it ended its shutdown phase itself */
		in->proc = NULL;
		shutdown_end(in);
		return;
	}
	struct lamb_pool *p = in->pool;
	struct lamb_invocation *inv = in->inv;
	enum inst_state state = in->state;
	char why[128];
	/* bwrap reports a signal that killed the bootstrap as exit status 128+N */
	if (p->sandboxed && WIFEXITED(status) && WEXITSTATUS(status) > 128 && WEXITSTATUS(status) < 128 + 65)
		status = WEXITSTATUS(status) - 128;
	lamb_proc_describe_status(status, why, sizeof(why));
	if (inv) {
		inv->memory_used_mb = lamb_proc_max_memory_mb(proc);
		if (lamb_proc_oom(proc))
			snprintf(inv->message, sizeof(inv->message), "the instance went past its memory limit "
				 "(%ld MB) and was killed", p->fn->memory_mb);
		else /* the log line says how it ended, not just that it failed */
			snprintf(inv->message, sizeof(inv->message), "the runtime exited with %s", why);
	}
	in->proc = NULL; /* freed by the supervisor after we return */
	in->inv = NULL;
	discard(in);
	if (inv && lamb_proc_start_error(proc)) { /* it never reached exec */
		start_failed(p, inv, lamb_proc_start_error(proc), "could not start the runtime");
	} else if (inv) {
		if (state == INST_INIT)
			inv->init_ms = (double)(lamb_loop_now_ns() - in->spawn_ns) / 1e6;
		finish_errorf(p, NULL, inv, state == INST_INIT ? LAMB_OUTCOME_INIT_ERROR : LAMB_OUTCOME_CRASH,
			      "Runtime.ExitError", "Runtime exited with error: %s", why);
	}
	spawn_for_queue(p);
}

/* Whether an instance started under the debugger is alive: one at a time
 * can listen on its port. */
static bool debug_held(const struct lamb_pool *p)
{
	for (const struct instance *in = p->instances; in; in = in->next)
		if (in->debug && in->state != INST_DEAD)
			return true;
	return false;
}

/* --debug-function names this function: its one instance (alive, or
 * still to start) is the debugger's, and the requests it is not free for
 * wait for it. */
static bool debug_one(const struct lamb_pool *p)
{
	const struct lamb_debug_opts *d = p->opts.boot ? p->opts.boot->debug : NULL;
	if (!p->boot.debug_argv || !d || !d->function)
		return false;
	for (const struct instance *in = p->instances; in; in = in->next)
		if (in->state != INST_DEAD)
			return true;
	return false;
}

static const struct lamb_ext_ops ext_ops;
static void ext_init_start(struct instance *in);

/* The platform event CloudWatch has at each cold start (and at a
 * SnapStart snapshot's init). */
static void init_started(struct lamb_pool *p)
{
	char ev[128];
	int n = snprintf(ev, sizeof(ev), "INIT_START Runtime: %s", p->fn->runtime ? p->fn->runtime : "image");
	lamb_logstore_add(p->opts.logs, p->fn->logical_id, NULL, ev, (size_t)n);
}

/* An instance whose process could not be had: discarded, and its
 * invocation, if any, told why. */
static void start_abandoned(struct lamb_pool *p, struct instance *in, const char *why)
{
	struct lamb_invocation *inv = in->inv;
	in->inv = NULL;
	discard(in);
	if (inv)
		start_failed(p, inv, why, "could not start the runtime");
}

/* Forks and execs the instance's bootstrap; false when it cannot (the
 * instance is then discarded and its invocation told why). */
static bool start_proc(struct lamb_pool *p, struct instance *in)
{
	struct lamb_err err;
	lamb_bootstrap_set_api(&p->boot, lamb_rapi_address(in->rapi));
	in->debug = p->boot.debug_argv && !debug_held(p);
	if (in->debug) /* its init waits for the debugger to attach */
		lamb_loop_timer_cancel(p->loop, &in->timer);
	struct lamb_proc_spec spec = {
		.path = in->debug ? p->boot.debug_path : p->boot.path,
		.name = p->boot.name,
		.argv = in->debug ? p->boot.debug_argv : p->boot.argv,
		.envp = p->boot.envp,
		.cwd = p->code.dir,
		.memory_mb = p->fn->memory_mb,
		.on_line = on_line,
		.pid_namespace = p->pidns,
		.sandbox = p->boot.sandbox,
	};
	in->pending = false;
	int gate[2] = { -1, -1 };
	if (p->exts.n && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gate) == 0) {
		in->ext = lamb_ext_new(p->loop, p->fn, &p->exts, &ext_ops, in);
		spec.stdin_fd = gate[0];
		lamb_ext_gate(in->ext, gate[1]);
	}
	in->proc = lamb_supervisor_spawn(p->sup, &spec, on_exit_, in, &err);
	if (gate[0] >= 0)
		close(gate[0]);
	if (in->proc) {
		if (in->ext)
			ext_init_start(in);
		init_started(p);
		return true;
	}
	start_abandoned(p, in, err.msg);
	return false;
}

/* --- SnapStart: instances forked from a snapshot (snapstart.h) --- */

static void start_pending(void *data);

static void snap_ready(void *data)
{
	struct lamb_pool *p = data;
	lamb_loop_timer_set(p->loop, &p->starter, lamb_loop_now_ns(), start_pending, p);
}

static void snap_free_deferred(void *data)
{
	lamb_snap_free(data);
}

/* Instances waiting for the snapshot get its init's outcome, as each
 * would have had its own cold start's. One that ended after it was ready
 * (killed) is made again for the next instance. */
static void snap_ended(void *data, bool ready, const char *why, const char *body, size_t len)
{
	struct lamb_pool *p = data;
	lamb_loop_defer(p->loop, snap_free_deferred, steal_ptr(p->snap));
	if (ready) {
		lamb_loop_timer_set(p->loop, &p->starter, lamb_loop_now_ns(), start_pending, p);
		return;
	}
	struct instance *next;
	for (struct instance *in = p->instances; in; in = next) {
		next = in->next;
		if (!in->pending)
			continue;
		struct lamb_invocation *inv = in->inv;
		in->inv = NULL;
		discard(in);
		if (!inv)
			continue;
		inv->init_ms = (double)(lamb_loop_now_ns() - in->spawn_ns) / 1e6;
		snprintf(inv->message, sizeof(inv->message), "SnapStart: %s", why);
		if (len)
			finish(p, NULL, inv, LAMB_OUTCOME_INIT_ERROR, body, len);
		else
			finish_errorf(p, NULL, inv, LAMB_OUTCOME_INIT_ERROR, "Runtime.ExitError",
				      "SnapStart snapshot: %s", why);
	}
}

static void snap_line(void *data, const char *line, size_t len)
{
	struct lamb_pool *p = data;
	lamb_logstore_add(p->opts.logs, p->fn->logical_id, NULL, line, len);
}

static const struct lamb_snap_ops snap_ops = { .ready = snap_ready, .ended = snap_ended, .line = snap_line };

/* The snapshot's init may take "130 seconds or the configured function
 * timeout (maximum 900 seconds), whichever is higher" (AWS docs, "Lambda
 * SnapStart runtime hooks for Python"). */
static bool snap_make(struct lamb_pool *p, struct instance *in)
{
	struct lamb_err err;
	struct lamb_proc_spec spec = {
		.path = p->boot.path,
		.name = p->boot.name,
		.argv = p->boot.argv,
		.envp = p->boot.envp,
		.cwd = p->code.dir,
		.memory_mb = p->fn->memory_mb,
		.pid_namespace = p->pidns,
		.sandbox = p->boot.sandbox,
	};
	uint64_t limit_ms = p->fn->timeout_s > 130 ? (uint64_t)p->fn->timeout_s * 1000 : 130000;
	p->snap = lamb_snap_new(p->loop, p->sup, &p->boot, &spec, limit_ms, p->pidns, &snap_ops, p, &err);
	if (p->snap) {
		init_started(p);
		return true;
	}
	start_abandoned(p, in, err.msg);
	return false;
}

static void on_restored(void *data, struct lamb_proc *proc, const char *why)
{
	struct instance *in = data;
	struct lamb_pool *p = in->pool;
	in->restore = NULL;
	if (proc) {
		in->proc = proc;
		in->restored = true;
		char ev[128];
		int n = snprintf(ev, sizeof(ev), "RESTORE_START Runtime: %s", p->fn->runtime);
		lamb_logstore_add(p->opts.logs, p->fn->logical_id, NULL, ev, (size_t)n);
		return;
	}
	struct lamb_invocation *inv = in->inv;
	in->inv = NULL;
	discard(in);
	if (inv)
		start_failed(p, inv, why, "could not restore the runtime");
	spawn_for_queue(p);
}

/* Forks in from the snapshot, made first if need be: false while the
 * snapshot is not ready. Its Restore Duration counts from here, and
 * restoring, with the after-restore hooks, has the init limit (Lambda's
 * 10 s). */
static bool snap_start_restore(struct lamb_pool *p, struct instance *in)
{
	struct lamb_err err;
	if (!p->snap && !snap_make(p, in))
		return true;
	if (!lamb_snap_ready(p->snap)) {
		/* the snapshot's init has its own limit; theirs starts at the restore */
		for (struct instance *w = p->instances; w; w = w->next)
			if (w->pending)
				lamb_loop_timer_cancel(p->loop, &w->timer);
		return false;
	}
	in->pending = false;
	in->spawn_ns = lamb_loop_now_ns();
	uint64_t init_ms = p->opts.init_timeout_ms ? p->opts.init_timeout_ms : 10000;
	lamb_loop_timer_set(p->loop, &in->timer, in->spawn_ns + init_ms * 1000000ull, on_timer, in);
	in->restore = lamb_snap_restore(p->snap, lamb_rapi_address(in->rapi), p->fn->memory_mb, on_line, on_exit_,
					in, on_restored, &err);
	if (!in->restore) {
		struct lamb_invocation *inv = in->inv;
		in->inv = NULL;
		discard(in);
		if (inv)
			start_failed(p, inv, err.msg, "could not restore the runtime");
	}
	return true;
}

/* Starts the oldest instance waiting for its process, one per turn of the
 * loop: the starter is a timer due at once, and a timer set while timers
 * fire waits for the next turn, after the events and any deadline that is
 * due by then. A burst of 32 cold starts thus holds a timeout for one fork
 * at most, not for 32 (issue 19: under load, each fork waits for a CPU). */
/* A function whose layers bring extensions is not snapshot: they start
 * with the runtime through the launcher's gate, which a fork of the
 * snapshot has no place for. Said once per pool. */
static bool snap_without_extensions(struct lamb_pool *p)
{
	if (!p->exts.n)
		return false;
	if (!p->snap_ext_said) {
		fprintf(logf_(p), "lamb: SnapStart: not applied to %s: its layers have extensions, "
			"which lamb does not snapshot; each instance runs its init (see lamb-template(5))\n",
			p->fn->logical_id);
		lamb_loop_wrote(p->loop, logf_(p));
		p->snap_ext_said = true;
	}
	return true;
}

static void start_pending(void *data)
{
	struct lamb_pool *p = data;
	struct instance *oldest = NULL;
	int left = 0;
	for (struct instance *in = p->instances; in; in = in->next)
		if (in->pending) {
			oldest = in; /* instances are pushed at the head */
			left++;
		}
	if (oldest && lamb_snapstart_applies(p->fn) && !p->boot.debug_argv && !snap_without_extensions(p)) {
		if (!snap_start_restore(p, oldest))
			return; /* the snapshot's ready callback starts the starter again */
	} else if (oldest) {
		start_proc(p, oldest);
	}
	if (left > 1)
		lamb_loop_timer_set(p->loop, &p->starter, lamb_loop_now_ns(), start_pending, p);
	spawn_for_queue(p);
}

static struct instance *spawn(struct lamb_pool *p, struct lamb_invocation *inv)
{
	struct lamb_err err;
	struct instance *in = xcalloc(1, sizeof(*in));
	in->pool = p;
	in->state = INST_INIT;
	in->init_ms = -1;
	in->inv = inv;
	in->spawn_ns = lamb_loop_now_ns();
	in->rapi = lamb_rapi_new(p->loop, &rapi_ops, in, &err);
	if (in->rapi && p->opts.no_stream_limits)
		lamb_rapi_unshaped(in->rapi);
	if (!in->rapi) {
		free(in);
		if (inv)
			start_failed(p, inv, err.msg, "could not start the runtime");
		return NULL;
	}
	uint64_t init_ms = p->opts.init_timeout_ms ? p->opts.init_timeout_ms : 10000;
	lamb_loop_timer_set(p->loop, &in->timer, in->spawn_ns + init_ms * 1000000ull, on_timer, in);
	in->next = p->instances;
	p->instances = in;
	p->ninstances++;
	in->pending = true;
	if (!p->starter.armed)
		lamb_loop_timer_set(p->loop, &p->starter, in->spawn_ns, start_pending, p);
	return in;
}

static int max_instances(const struct lamb_pool *p)
{
	if (p->opts.max_instances < 0)
		return 0;
	return p->opts.max_instances > 0 ? p->opts.max_instances : 10;
}

/* Instances that answered and are on their way back to /next, less the
 * invocations already queued for them. */
static int returning(const struct lamb_pool *p)
{
	int n = 0;
	for (const struct instance *in = p->instances; in; in = in->next)
		n += in->state == INST_BUSY && !in->inv && !in->held && !in->retire;
	for (const struct lamb_invocation *q = p->queue; q; q = q->next)
		n--;
	return n;
}

static void throttled(struct lamb_pool *p, struct lamb_invocation *inv)
{
	inv->kind = LAMB_OUTCOME_THROTTLED;
	inv->end_ns = lamb_loop_now_ns();
	snprintf(inv->message, sizeof(inv->message), "%d of %d instances busy",
		 p->ninstances, max_instances(p));
	lamb_buf_addf(&inv->body, "{\"Reason\":\"ReservedFunctionConcurrentInvocationLimitExceeded\","
		      "\"Type\":\"User\",\"message\":\"Rate Exceeded.\"}");
	/* report from the loop, never from inside lamb_pool_submit */
	lamb_loop_defer(p->loop, call_done, inv);
}

static void spawn_for_queue(struct lamb_pool *p)
{
	while (p->queue && p->ninstances < max_instances(p) && !debug_one(p))
		spawn(p, dequeue(p));
}

static void prep_start(struct lamb_pool *p);

/* Takes inv to an instance, a new one, the queue, or throttles it. */
static void route(struct lamb_pool *p, struct lamb_invocation *inv)
{
	/* the debugger's instance first: the next request stops at its breakpoints */
	for (struct instance *in = p->boot.debug_argv ? p->instances : NULL; in; in = in->next)
		if (in->state == INST_IDLE && in->debug) {
			hand_over(in, inv);
			return;
		}
	for (struct instance *in = p->instances; in; in = in->next)
		if (in->state == INST_IDLE) {
			hand_over(in, inv);
			return;
		}
	/* one started ahead (lamb_pool_prestart) is nearer than a new one */
	for (struct instance *in = p->instances; in; in = in->next)
		if (in->state == INST_INIT && !in->inv && !in->retire) {
			in->inv = inv;
			return;
		}
	if (debug_one(p)) { /* not throttled: a debugger holds it for as long as it likes */
		*p->queue_tail = inv;
		p->queue_tail = &inv->next;
		return;
	}
	/* An instance that has just answered is back in /next within
	 * microseconds: waiting for it beats a cold start. */
	if (returning(p) <= 0 && p->ninstances < max_instances(p)) {
		spawn(p, inv);
		return;
	}
	if (returning(p) <= 0 && p->opts.throttle) {
		throttled(p, inv);
		return;
	}
	*p->queue_tail = inv;
	p->queue_tail = &inv->next;
}

void lamb_pool_submit(struct lamb_pool *p, struct lamb_invocation *inv)
{
	lamb_buf_init(&inv->body);
	lamb_buf_init(&inv->log_tail);
	inv->logs = p->opts.logs;
	inv->logs_fn = p->fn->logical_id;
	inv->message[0] = '\0';
	inv->start_ns = inv->end_ns = 0;
	inv->init_ms = -1;
	inv->memory_used_mb = 0;
	inv->next = NULL;
	if (p->ready || !max_instances(p)) { /* none may run: throttled or queued at once */
		route(p, inv);
		return;
	}
	/* waits in the queue, as behind a cold start, until prep_finish */
	*p->queue_tail = inv;
	p->queue_tail = &inv->next;
	if (!p->prep)
		prep_start(p);
}

/* --- preparing the code and the bootstrap, off the loop --- */

/* One preparation. The worker thread reads fn and opts (which nobody
 * changes while it runs), fills the rest and writes efd; the loop takes the
 * result after joining it. The worker touches nothing of the pool's: every
 * state change stays on the loop. */
struct prep {
	const struct lamb_function *fn;
	const struct lamb_bootstrap_opts *opts;
	pthread_t thread;
	bool threaded;
	int efd;
	struct lamb_watch watch;
	int rc;                    /* < 0: failed (err); else lamb_sandbox_apply's */
	struct lamb_code code;
	struct lamb_bootstrap boot;
	struct lamb_ext_list exts;
	char *note;
	struct lamb_err err;
};

/* lamb_sandbox_apply says its note in static storage: one worker at a time. */
static pthread_mutex_t sandbox_lock = PTHREAD_MUTEX_INITIALIZER;

static int apply_sandbox(struct prep *w)
{
	const char *note = NULL;
	pthread_mutex_lock(&sandbox_lock);
	/* a debugged function runs on the host: the debugger's argv is not bwrap's */
	int mode = w->opts && !w->boot.debug_argv ? w->opts->sandbox : LAMB_SANDBOX_OFF;
	int rc = lamb_sandbox_apply(&w->boot, &w->code, mode, &note, &w->err);
	w->note = note ? xstrdup(note) : NULL;
	pthread_mutex_unlock(&sandbox_lock);
	return rc;
}

/* The slow part, on the worker thread: unzipping the code and layers,
 * asking a version manager's shim for its interpreter. */
static void *prepare(void *data)
{
	struct prep *w = data;
	const struct lamb_bootstrap_opts *bo = w->opts;
	w->rc = -1;
	if (lamb_code_init(&w->code, w->fn, bo ? bo->layer_dirs : NULL, &w->err) == 0 &&
	    lamb_bootstrap_init(&w->boot, w->fn, &w->code, bo, &w->err) == 0) {
		lamb_ext_list_find(&w->exts, &w->code);
		lamb_ext_wrap(&w->boot, &w->exts);
		w->rc = apply_sandbox(w);
	}
	if (w->rc < 0) {
		lamb_ext_list_release(&w->exts);
		lamb_bootstrap_release(&w->boot);
		lamb_code_release(&w->code); /* removes what was extracted */
	}
	uint64_t one = 1;
	if (w->efd >= 0 && write(w->efd, &one, sizeof(one)) != sizeof(one))
		abort(); /* an eventfd below its limit takes 8 bytes */
	return NULL;
}

/* Joins the worker (it has written efd, or never ran) and gives back the
 * fd; for lamb_pool_free, waits for it to finish its unzip. */
static struct prep *prep_end(struct lamb_pool *p)
{
	struct prep *w = p->prep;
	p->prep = NULL;
	if (w->threaded)
		pthread_join(w->thread, NULL);
	if (w->efd >= 0) {
		lamb_loop_del_fd(p->loop, &w->watch);
		close(w->efd);
	}
	return w;
}

static void prep_free(void *data)
{
	struct prep *w = data;
	free(w->note);
	free(w);
}

/* The queued invocations fail with the reason; the next submit prepares
 * again (the user may have fixed the zip meanwhile), as a pool that could
 * not be made was tried again at the next invocation. */
static void prep_failed(struct lamb_pool *p, struct prep *w)
{
	lamb_err_prefix(&w->err, "function '%s'", p->fn->logical_id);
	if (!p->queue) /* a prestart's: nobody else would say it */
		fprintf(logf_(p), "lamb: warning: %s\n", w->err.msg);
	lamb_loop_wrote(p->loop, logf_(p));
	p->prestart = false;
	for (struct lamb_invocation *inv; (inv = dequeue(p));)
		start_failed(p, inv, w->err.msg, w->err.msg);
}

/* The pool takes the worker's code and bootstrap and says its notes. */
static void install(struct lamb_pool *p, struct prep *w)
{
	p->code = w->code;
	p->boot = w->boot;
	p->exts = w->exts;
	p->sandboxed = w->rc > 0;
	p->pidns = w->rc > 1;
	p->ready = true;
	/* an interpreter fallback concerns every function of a runtime, and a
	 * pool whose preparation failed prepares again: said once per run */
	if (p->boot.warning && lamb_warn_first(p->boot.warning_key ? p->boot.warning_key : p->boot.warning))
		fprintf(logf_(p), "lamb: warning: %s\n", p->boot.warning);
	static bool noted; /* said once per lamb, not per function */
	if (w->note && !noted) {
		fprintf(logf_(p), "lamb: note: %s\n", w->note);
		noted = true;
	}
	lamb_loop_wrote(p->loop, logf_(p));
}

/* Prepared: what waited is routed as if it came now (a prestart first, so
 * that the first invocation takes its instance, as it would have). */
static void prep_finish(struct lamb_pool *p)
{
	struct prep *w = prep_end(p);
	if (w->rc < 0) {
		prep_failed(p, w);
		prep_free(w);
		return;
	}
	install(p, w);
	prep_free(w);
	struct lamb_invocation *q = p->queue;
	p->queue = NULL;
	p->queue_tail = &p->queue;
	if (p->prestart) {
		p->prestart = false;
		lamb_pool_prestart(p);
	}
	for (struct lamb_invocation *next; q; q = next) {
		next = q->next;
		q->next = NULL;
		route(p, q);
	}
}

static void on_prepared(void *data, uint32_t events)
{
	(void)events;
	prep_finish(data);
}

/* Starts the worker, with every signal blocked in it: SIGCHLD, SIGINT and
 * SIGTERM are the loop's signalfd's, and no other may land on it. */
static bool prep_thread(struct prep *w)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	w->threaded = pthread_create(&w->thread, NULL, prepare, w) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return w->threaded;
}

static void prep_start(struct lamb_pool *p)
{
	struct lamb_err err;
	struct prep *w = xcalloc(1, sizeof(*w));
	w->fn = p->fn;
	w->opts = p->opts.boot;
	p->prep = w;
	/* the sandbox's probe waits for its own child: on a worker it could
	 * lose it to the supervisor's waitpid(-1). Done here once per lamb
	 * (0.1 ms) and remembered, the worker never probes. */
	if (w->opts && w->opts->sandbox != LAMB_SANDBOX_OFF)
		lamb_sandbox_available(NULL, 0);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd >= 0 && lamb_loop_add_fd(p->loop, &w->watch, w->efd, EPOLLIN, on_prepared, p, &err) < 0) {
		close(w->efd);
		w->efd = -1;
	}
	if (w->efd >= 0 && prep_thread(w))
		return;
	/* no thread to be had: better prepared on the loop than never */
	prepare(w);
	if (w->efd < 0)
		prep_finish(p); /* else on_prepared, from the loop */
}

struct lamb_pool *lamb_pool_new(struct lamb_loop *loop, struct lamb_supervisor *sup,
				const struct lamb_function *fn, const struct lamb_pool_opts *opts,
				struct lamb_err *err)
{
	const struct lamb_bootstrap_opts *bo = opts ? opts->boot : NULL;
	if (lamb_bootstrap_check(fn, err) < 0 || lamb_code_check(fn, bo ? bo->layer_dirs : NULL, err) < 0)
		return NULL;
	struct lamb_pool *p = xcalloc(1, sizeof(*p));
	p->loop = loop;
	p->sup = sup;
	p->fn = fn;
	if (opts)
		p->opts = *opts;
	p->queue_tail = &p->queue;
	return p;
}

static void shutdown_end(struct instance *in);

void lamb_pool_free(struct lamb_pool *p)
{
	if (!p)
		return;
	if (p->prep) {
		struct prep *w = prep_end(p);
		lamb_bootstrap_release(&w->boot);
		lamb_code_release(&w->code);
		lamb_ext_list_release(&w->exts);
		lamb_loop_defer(p->loop, prep_free, w); /* its watch may have an event pending */
	}
	while (p->instances) {
		struct instance *in = p->instances;
		in->inv = NULL;
		discard(in);
	}
	while (p->closing)
		shutdown_end(p->closing);
	lamb_loop_timer_cancel(p->loop, &p->starter);
	lamb_snap_free(p->snap);
	lamb_ext_list_release(&p->exts);
	lamb_bootstrap_release(&p->boot);
	lamb_code_release(&p->code);
	free(p);
}

const struct lamb_function *lamb_pool_function(const struct lamb_pool *p)
{
	return p->fn;
}

void lamb_pool_prestart(struct lamb_pool *p)
{
	if (!p->ready) {
		p->prestart = true;
		if (!p->prep)
			prep_start(p);
		return;
	}
	for (struct instance *in = p->instances; in; in = in->next)
		if (!in->retire && (in->state == INST_IDLE || (in->state == INST_INIT && !in->inv)))
			return;
	if (p->ninstances < max_instances(p))
		spawn(p, NULL);
}

void lamb_pool_retire(struct lamb_pool *p)
{
	struct instance *next;
	for (struct instance *in = p->instances; in; in = next) {
		next = in->next;
		if (in->state == INST_IDLE)
			discard(in);
		else
			in->retire = true;
	}
	/* the snapshot was made of the old code: the next instance is forked
	 * from a new one (its instances still running finish first) */
	lamb_snap_retire(steal_ptr(p->snap));
}

int lamb_pool_instances(const struct lamb_pool *p)
{
	return p->ninstances;
}

void lamb_pool_each_instance(struct lamb_pool *p, lamb_instance_fn cb, void *data)
{
	static const char *const names[] = { "initialising", "idle", "busy", "reaped" };
	uint64_t now = lamb_loop_now_ns();
	for (struct instance *in = p->instances; in; in = in->next) {
		if (in->state == INST_DEAD)
			continue;
		struct lamb_instance_info i = {
			.state = names[in->state],
			.pid = in->proc ? (int)lamb_proc_pid(in->proc) : 0,
			.age_s = (double)(now - in->spawn_ns) / 1e9,
			.invocations = in->served,
			.max_memory_mb = in->proc ? lamb_proc_max_memory_mb(in->proc) : 0,
			.debug = in->debug,
		};
		cb(data, p->fn, &i);
	}
}

/* --- extensions (extensions.h) and the Telemetry API's platform events --- */

/* Milliseconds since t0 (the loop's clock), for platform events' metrics. */
static double ms_since(uint64_t t0)
{
	return (double)(lamb_loop_now_ns() - t0) / 1e6;
}

static void ext_init_start(struct instance *in)
{
	char rec[160];
	snprintf(rec, sizeof(rec), "{\"initializationType\":\"on-demand\",\"phase\":\"init\",\"runtimeVersion\":\"%s\"}",
		 in->pool->fn->runtime ? in->pool->fn->runtime : "image");
	lamb_ext_platform(in->ext, "platform.initStart", rec);
}

static void ext_init_done(struct instance *in)
{
	char rec[200];
	lamb_ext_init_done(in->ext);
	lamb_ext_platform(in->ext, "platform.initRuntimeDone",
			  "{\"initializationType\":\"on-demand\",\"phase\":\"init\",\"status\":\"success\"}");
	snprintf(rec, sizeof(rec), "{\"initializationType\":\"on-demand\",\"phase\":\"init\",\"metrics\":"
		 "{\"durationMs\":%.2f}}", in->init_ms);
	lamb_ext_platform(in->ext, "platform.initReport", rec);
}

static void ext_invoke(struct instance *in, struct lamb_invocation *inv, uint64_t deadline_ms)
{
	struct lamb_buf r;
	lamb_buf_init(&r);
	lamb_buf_addf(&r, "{\"requestId\":\"%s\",\"version\":\"$LATEST\",\"tracing\":{\"type\":\"X-Amzn-Trace-Id\","
		      "\"value\":", inv->request_id);
	lamb_buf_addquoted(&r, inv->trace_id);
	lamb_buf_addstr(&r, "}}");
	lamb_ext_platform(in->ext, "platform.start", r.data);
	lamb_buf_release(&r);
	lamb_ext_invoke(in->ext, inv->request_id, deadline_ms, in->pool->fn->arn, inv->trace_id);
}

static void ext_runtime_done(struct instance *in, struct lamb_invocation *inv, enum lamb_rapi_answer kind,
			     size_t len)
{
	char rec[256];
	snprintf(rec, sizeof(rec), "{\"requestId\":\"%s\",\"status\":\"%s\",\"metrics\":{\"durationMs\":%.2f,"
		 "\"producedBytes\":%zu}}", inv->request_id, kind == LAMB_RAPI_RESPONSE ||
		 kind == LAMB_RAPI_STREAMED ? "success" : "error", ms_since(inv->start_ns),
		 kind == LAMB_RAPI_STREAMED ? inv->streamed_len : len);
	lamb_ext_platform(in->ext, "platform.runtimeDone", rec);
}

/* platform.report: the REPORT line's figures, as invoke.c reckons them. */
static void ext_report(struct instance *in, struct lamb_invocation *inv)
{
	double ms = inv->start_ns && inv->end_ns > inv->start_ns ? (double)(inv->end_ns - inv->start_ns) / 1e6 : 0;
	long billed = (long)ms + ((double)(long)ms < ms ? 1 : 0);
	struct lamb_buf r;
	lamb_buf_init(&r);
	lamb_buf_addf(&r, "{\"requestId\":\"%s\",\"status\":\"%s\",\"metrics\":{\"durationMs\":%.2f,"
		      "\"billedDurationMs\":%ld,\"memorySizeMB\":%ld,\"maxMemoryUsedMB\":%ld", inv->request_id,
		      inv->kind == LAMB_OUTCOME_RESPONSE ? "success" : "error", ms, billed < 1 ? 1 : billed,
		      in->pool->fn->memory_mb, inv->memory_used_mb);
	if (inv->init_ms >= 0)
		lamb_buf_addf(&r, ",\"initDurationMs\":%.2f", inv->init_ms);
	lamb_buf_addstr(&r, "}}");
	lamb_ext_platform(in->ext, "platform.report", r.data);
	lamb_buf_release(&r);
}

static void on_ext(void *owner, struct lamb_rapi_call *call, const struct lamb_rapi_ext_req *req)
{
	struct instance *in = owner;
	/* internal extensions (a runtime's threads) of a function with no
	 * external one: their API is made at their first call, during init */
	if (!in->ext && in->state == INST_INIT)
		in->ext = lamb_ext_new(in->pool->loop, in->pool->fn, &in->pool->exts, &ext_ops, in);
	if (!in->ext) { /* after init, with none registered */
		static const char doc[] = "{\"errorMessage\":\"Unknown path\",\"errorType\":\"InvalidRequest\"}";
		lamb_rapi_reply(call, 404, NULL, doc, sizeof(doc) - 1);
		return;
	}
	lamb_ext_request(in->ext, call, req);
}

static void on_ext_gone(void *owner, struct lamb_rapi_call *call)
{
	struct instance *in = owner;
	if (in->ext)
		lamb_ext_gone(in->ext, call);
}

static void on_ext_ready(void *owner)
{
	struct instance *in = owner;
	if (in->state == INST_DEAD && !in->shutting)
		return; /* discarded: its Runtime API lives to the end of the turn */
	if (in->shutting) {
		if (lamb_ext_shut(in->ext))
			shutdown_end(in);
		return;
	}
	if (in->held) { /* the runtime answered before they were done */
		struct lamb_invocation *inv = in->held;
		in->held = NULL;
		finish_kept(in, inv, inv->kind);
		lamb_loop_timer_set(in->pool->loop, &in->timer, lamb_loop_now_ns() + RETURN_GRACE_MS * 1000000ull,
				    on_return_late, in);
	}
	if (in->rt_waiting) {
		in->rt_waiting = false;
		runtime_next(in);
	}
}

/* init/error or exit/error: Lambda resets the environment. The invocation
 * under way, or the one init was for, fails with the extension's type. */
static void on_ext_failed(void *owner, const char *phase, const char *name, const char *type)
{
	struct instance *in = owner;
	struct lamb_pool *p = in->pool;
	struct lamb_invocation *inv = in->inv ? in->inv : in->held;
	enum inst_state state = in->state;
	char t[128];
	if (in->shutting) {
		shutdown_end(in);
		return;
	}
	if (state == INST_DEAD)
		return;
	snprintf(t, sizeof(t), "%s", type);
	in->inv = in->held = NULL;
	if (inv) {
		inv->memory_used_mb = lamb_proc_max_memory_mb(in->proc);
		if (state == INST_INIT)
			inv->init_ms = ms_since(in->spawn_ns);
		snprintf(inv->message, sizeof(inv->message), "extension '%s' called %s/error (%s)", name, phase, t);
	}
	discard(in);
	if (inv)
		finish_errorf(p, NULL, inv, state == INST_INIT ? LAMB_OUTCOME_INIT_ERROR : LAMB_OUTCOME_CRASH, t,
			      "Extension %s failed: %s", name, t);
	spawn_for_queue(p);
}

/* Kept with the init's records (lamb logs), as INIT_START is. */
static void on_ext_note(void *owner, const char *line)
{
	struct instance *in = owner;
	lamb_logstore_add(in->pool->opts.logs, in->pool->fn->logical_id, NULL, line, strlen(line));
}

static const struct lamb_ext_ops ext_ops = {
	.ready = on_ext_ready,
	.failed = on_ext_failed,
	.note = on_ext_note,
};

/* --- the shutdown phase --- */

/* The shutdown phase may last 2 s with external extensions
 * (runtimes-extensions-api.md, "Shutdown phase"); then SIGKILL. */
#define SHUTDOWN_MS 2000

static void shutdown_end(struct instance *in)
{
	struct lamb_pool *p = in->pool;
	for (struct instance **pp = &p->closing; *pp; pp = &(*pp)->next)
		if (*pp == in) {
			*pp = in->next;
			break;
		}
	in->shutting = false;
	lamb_loop_timer_cancel(p->loop, &in->timer);
	if (in->proc) {
		lamb_proc_detach(in->proc);
		lamb_proc_kill(in->proc);
		in->proc = NULL;
	}
	lamb_loop_defer(p->loop, instance_free, in);
}

static void on_shutdown_over(void *data)
{
	shutdown_end(data);
}

/* SHUTDOWN to the extensions of an instance reaped (idle) or reset (timed
 * out): it leaves the pool now, and is killed when each has called next
 * again or exited (the launcher says so), or after 2 s. false when it has
 * no extension to wait for. */
static bool shutdown_begin(struct instance *in, const char *reason)
{
	struct lamb_pool *p = in->pool;
	if (!in->ext || !in->proc || in->state == INST_DEAD || in->state == INST_INIT || in->shutting)
		return false;
	if (lamb_ext_shutdown(in->ext, reason, lamb_loop_wall_ms() + SHUTDOWN_MS))
		return false;
	leave_pool(in); /* its process and Runtime API stay, for the extensions */
	in->shutting = true;
	in->next = p->closing;
	p->closing = in;
	lamb_loop_timer_set(p->loop, &in->timer, lamb_loop_now_ns() + SHUTDOWN_MS * 1000000ull, on_shutdown_over, in);
	return true;
}

void lamb_pool_shutdown(struct lamb_pool *p)
{
	struct instance *next;
	for (struct instance *in = p->instances; in; in = next) {
		next = in->next;
		shutdown_begin(in, "spindown");
	}
}

bool lamb_pool_shut(const struct lamb_pool *p)
{
	return !p->closing;
}
