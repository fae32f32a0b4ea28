/* lamb_invoke: request ids, trace ids, per-function pools, and the
 * START/END/REPORT lines (START is written by the pool at hand-over, so that
 * it follows the init logs as in Lambda). */
#include "base/json.h"
#include "base/util.h"
#include "engine/code.h"
#include "engine/invoke.h"
#include "engine/platform-log.h"
#include "engine/supervisor.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

struct pool_entry {
	const struct lamb_function *fn;
	char *tenant_id;           /* a PER_TENANT function's pool of that tenant; else NULL */
	struct lamb_pool *pool;
	struct pool_entry *next;
};

struct lamb_invoker {
	struct lamb_loop *loop;
	struct lamb_supervisor *sup;
	struct lamb_invoke_opts opts;
	struct pool_entry *pools;
	struct call *calls; /* in flight: freed by lamb_invoke_free when never done */
	struct hold *holds;
	bool stopping; /* in the extensions' shutdown phase at exit: no new invocation */
};

/* A function being rebuilt, or whose last build failed. */
struct hold {
	const struct lamb_function *fn;
	bool held;
	char *error;               /* the failed build's message, or NULL */
	struct call *first, *last; /* held invocations, through call.held_next */
	struct hold *next;
};

struct call {
	struct lamb_invocation inv; /* first: done() gets it back */
	struct lamb_invoker *iv;
	const struct lamb_function *fn;
	char *event;
	char *client_context, *cognito_identity, *tenant_id;
	lamb_invoke_fn cb;
	void (*chunk)(void *data, const char *content_type, const char *bytes, size_t len);
	void *data;
	struct call *next, *prev;
	struct call *held_next;
};

static bool held(struct lamb_invoker *iv, struct call *c);

static uint64_t rng_state[2];

static uint64_t rng_next(void)
{
	/* xorshift128+: request ids need uniqueness, not secrecy */
	if (!rng_state[0] && !rng_state[1]) {
		if (getrandom(rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
			rng_state[0] = (uint64_t)time(NULL) | 1;
	}
	uint64_t s1 = rng_state[0];
	const uint64_t s0 = rng_state[1];
	rng_state[0] = s0;
	s1 ^= s1 << 23;
	rng_state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return rng_state[1] + s0;
}

/* digits lowest last: a request id costs 40 instructions here, 2,700
 * through snprintf, and every request makes two */
static char *hex(char *out, uint64_t v, int digits)
{
	static const char xd[] = "0123456789abcdef";
	for (int i = digits - 1; i >= 0; i--, v >>= 4)
		out[i] = xd[v & 15];
	return out + digits;
}

void lamb_invoke_request_id(char *buf)
{
	uint64_t a = rng_next(), b = rng_next();
	a = (a & 0xffffffffffff0fffull) | 0x4000ull;          /* version 4 */
	b = (b & 0x3fffffffffffffffull) | 0x8000000000000000ull; /* variant */
	char *p = hex(buf, a >> 32, 8);
	*p++ = '-';
	p = hex(p, a >> 16, 4);
	*p++ = '-';
	p = hex(p, a, 4);
	*p++ = '-';
	p = hex(p, b >> 48, 4);
	*p++ = '-';
	p = hex(p, b, 12);
	*p = '\0';
}

/* Root=1-<8 hex: epoch seconds>-<24 hex>;Parent=<16 hex>;Sampled=0 */
static void trace_id(char *buf, size_t n)
{
	char t[96], *p = t;
	memcpy(p, "Root=1-", 7);
	p = hex(p + 7, (uint64_t)time(NULL), 8);
	*p++ = '-';
	p = hex(p, rng_next(), 12);
	p = hex(p, rng_next(), 12);
	memcpy(p, ";Parent=", 8);
	p = hex(p + 8, rng_next(), 16);
	memcpy(p, ";Sampled=0", 11);
	size_t len = (size_t)(p - t) + 10;
	len = len < n ? len : n - 1;
	memcpy(buf, t, len);
	buf[len] = '\0';
}

struct lamb_invoker *lamb_invoke_new(struct lamb_loop *loop, const struct lamb_invoke_opts *opts)
{
	struct lamb_invoker *iv = xcalloc(1, sizeof(*iv));
	iv->loop = loop;
	if (opts)
		iv->opts = *opts;
	iv->sup = lamb_supervisor_new(loop, iv->opts.log);
	lamb_code_sweep_stale();
	return iv;
}

static void call_release(struct call *c)
{
	lamb_buf_release(&c->inv.body);
	lamb_buf_release(&c->inv.log_tail);
	free(c->event);
	free(c->client_context);
	free(c->cognito_identity);
	free(c->tenant_id);
	free(c);
}

static void call_free(struct call *c)
{
	struct lamb_invoker *iv = c->iv;
	if (c->prev)
		c->prev->next = c->next;
	else
		iv->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	call_release(c);
}

static void dropped_done(struct lamb_invocation *inv)
{
	(void)inv; /* its invoker is gone: nobody to tell */
}

static void dropped_free(void *data)
{
	call_release(data);
}

/* lamb exits: the extensions of idle instances get SHUTDOWN and up to its
 * 2 s (and a little, for their last words) before everything is killed. */
static void invoke_shutdown(struct lamb_invoker *iv)
{
	bool waiting = false;
	iv->stopping = true; /* the front ends still listen while the loop turns */
	for (struct pool_entry *e = iv->pools; e; e = e->next) {
		lamb_pool_shutdown(e->pool);
		waiting |= !lamb_pool_shut(e->pool);
	}
	uint64_t until = lamb_loop_now_ns() + 2100000000ull;
	while (waiting && lamb_loop_now_ns() < until) {
		struct lamb_err err;
		if (lamb_loop_run_once(iv->loop, 20, &err) < 0)
			break;
		waiting = false;
		for (struct pool_entry *e = iv->pools; e; e = e->next)
			waiting |= !lamb_pool_shut(e->pool);
	}
}

void lamb_invoke_free(struct lamb_invoker *iv)
{
	if (!iv)
		return;
	invoke_shutdown(iv);
	while (iv->pools) {
		struct pool_entry *e = iv->pools;
		iv->pools = e->next;
		lamb_pool_free(e->pool);
		free(e->tenant_id);
		free(e);
	}
	/* Invocations the pools dropped without a done call. A throttled one
	 * may still have its done deferred on the loop: it finds dropped_done,
	 * and the memory goes after it, through the same FIFO. */
	for (struct call *c = iv->calls, *next; c; c = next) {
		next = c->next;
		c->inv.done = dropped_done;
		c->inv.answered = NULL;
		lamb_loop_defer(iv->loop, dropped_free, c);
	}
	iv->calls = NULL;
	while (iv->holds) {
		struct hold *h = iv->holds;
		iv->holds = h->next;
		free(h->error);
		free(h);
	}
	lamb_supervisor_free(iv->sup);
	free(iv);
}

struct lamb_supervisor *lamb_invoke_supervisor(struct lamb_invoker *iv)
{
	return iv->sup;
}

/* fn's pool, or (PER_TENANT) fn's pool for tenant: instances are never
 * shared between tenants because pools are not. */
static struct lamb_pool *pool_for(struct lamb_invoker *iv, const struct lamb_function *fn,
				  const char *tenant, struct lamb_err *err)
{
	for (struct pool_entry *e = iv->pools; e; e = e->next)
		if (e->fn == fn && str_eq(e->tenant_id, tenant))
			return e->pool;
	struct lamb_pool_opts po = {
		.max_instances = fn->reserved_concurrency > 0 ? (int)fn->reserved_concurrency :
				 fn->reserved_concurrency == 0 ? -1 : iv->opts.max_instances,
		.throttle = iv->opts.throttle || fn->reserved_concurrency == 0,
		.idle_ms = iv->opts.idle_ms,
		.init_timeout_ms = iv->opts.init_timeout_ms,
		.no_stream_limits = iv->opts.no_stream_limits,
		.log = iv->opts.log,
		.boot = &iv->opts.boot,
		.trace = iv->opts.trace,
		.trace_data = iv->opts.trace_data,
		.logs = iv->opts.logs,
	};
	struct lamb_pool *p = lamb_pool_new(iv->loop, iv->sup, fn, &po, err);
	if (!p)
		return NULL;
	struct pool_entry *e = xcalloc(1, sizeof(*e));
	e->fn = fn;
	e->tenant_id = tenant ? xstrdup(tenant) : NULL;
	e->pool = p;
	e->next = iv->pools;
	iv->pools = e;
	return p;
}

void lamb_invoke_each_instance(struct lamb_invoker *iv, lamb_instance_fn cb, void *data)
{
	for (struct pool_entry *e = iv->pools; e; e = e->next)
		lamb_pool_each_instance(e->pool, cb, data);
}

int lamb_invoke_prestart(struct lamb_invoker *iv, const struct lamb_function *fn, struct lamb_err *err)
{
	if (fn->per_tenant) /* its instances are made for a tenant: none ahead of one */
		return 0;
	struct lamb_pool *p = pool_for(iv, fn, NULL, err);
	if (!p)
		return lamb_err_prefix(err, "function '%s'", fn->logical_id);
	lamb_pool_prestart(p);
	return 0;
}

void lamb_invoke_retire(struct lamb_invoker *iv, const struct lamb_function *fn)
{
	for (struct pool_entry *e = iv->pools; e; e = e->next)
		if (e->fn == fn)
			lamb_pool_retire(e->pool);
}

/* platform.report's status and errorType for an outcome */
static const char *report_status(enum lamb_outcome_kind kind, const char **error_type)
{
	*error_type = kind == LAMB_OUTCOME_TIMEOUT ? "Sandbox.Timedout" :
		      kind == LAMB_OUTCOME_CRASH ? "Runtime.ExitError" :
		      kind == LAMB_OUTCOME_TOO_LARGE ? "Function.ResponseSizeTooLarge" : NULL;
	return kind == LAMB_OUTCOME_RESPONSE ? "success" : kind == LAMB_OUTCOME_TIMEOUT ? "timeout" : "error";
}

/* END and REPORT as LogFormat: JSON writes them (platform-log.h). */
static void json_report(struct call *c, const struct lamb_outcome *o)
{
	FILE *log = c->iv->opts.log ? c->iv->opts.log : stderr;
	struct lamb_platform_report r = {
		.request_id = o->request_id,
		.tenant_id = o->tenant_id,
		.duration_ms = o->duration_ms,
		.billed_ms = o->billed_ms,
		.memory_mb = o->memory_mb,
		.max_memory_used_mb = o->max_memory_used_mb,
		.init_ms = o->init_ms,
		.restored = o->restored,
		.produced_bytes = o->len,
	};
	r.status = report_status(o->kind, &r.error_type);
	struct lamb_buf rec;
	lamb_buf_init(&rec);
	lamb_platform_report(&rec, c->fn, &r);
	if (rec.len) {
		fwrite(rec.data, 1, rec.len, log);
		lamb_pool_tail_add(&c->inv, rec.data, rec.len);
	}
	lamb_buf_release(&rec);
	lamb_loop_wrote(c->iv->loop, log);
}

static char *put_mem(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}
#define put_lit(o, s) put_mem(o, s, sizeof(s) - 1)

static void report(struct call *c, const struct lamb_outcome *o)
{
	FILE *log = c->iv->opts.log ? c->iv->opts.log : stderr;
	if (o->message) {
		fprintf(log, "lamb: %s\n", o->message);
		char *m = xasprintf("lamb: %s\n", o->message);
		lamb_pool_tail_add(&c->inv, m, strlen(m));
		free(m);
	}
	if (!c->inv.start_ns) {
		lamb_loop_wrote(c->iv->loop, log);
		return; /* never handed over: no START, so no END/REPORT */
	}
	if (c->fn->logging.json) {
		json_report(c, o);
		return;
	}
	/* one write for both lines when the log is unbuffered; no printf (its
	 * %.2f and %ld cost ~3,500 instructions a request) */
	char line[512], *e = line;
	size_t rl = strnlen(o->request_id, 64);
	e = put_lit(e, "END RequestId: ");
	e = put_mem(e, o->request_id, rl);
	e = put_lit(e, "\nREPORT RequestId: ");
	e = put_mem(e, o->request_id, rl);
	e = put_lit(e, "\tDuration: ");
	e = lamb_put_fixed2(e, o->duration_ms);
	e = put_lit(e, " ms\tBilled Duration: ");
	e = lamb_put_dec(e, o->billed_ms);
	e = put_lit(e, " ms\tMemory Size: ");
	e = lamb_put_dec(e, o->memory_mb);
	e = put_lit(e, " MB\tMax Memory Used: ");
	e = lamb_put_dec(e, o->max_memory_used_mb);
	e = put_lit(e, " MB");
	/* SnapStart's REPORT has "Restore Duration: 323.69 ms	Billed Restore
	 * Duration: 183 ms" where a cold start has Init Duration (AWS docs,
	 * "Monitoring for Lambda SnapStart"); lamb bills the restore whole */
	if (o->init_ms >= 0 && o->restored) {
		e = put_lit(e, "\tRestore Duration: ");
		e = lamb_put_fixed2(e, o->init_ms);
		e = put_lit(e, " ms\tBilled Restore Duration: ");
		e = lamb_put_dec(e, (long)o->init_ms + ((double)(long)o->init_ms < o->init_ms));
		e = put_lit(e, " ms");
	} else if (o->init_ms >= 0) {
		e = put_lit(e, "\tInit Duration: ");
		e = lamb_put_fixed2(e, o->init_ms);
		e = put_lit(e, " ms");
	}
	/* without Lambda's CPU share the figures above are the host's */
	if (!lamb_supervisor_cpu_scaled(c->iv->sup))
		e = put_lit(e, "\tCPU: unscaled");
	*e++ = '\n';
	fwrite(line, 1, (size_t)(e - line), log);
	lamb_pool_tail_add(&c->inv, line, (size_t)(e - line));
	lamb_loop_wrote(c->iv->loop, log);
}

static void chunk(struct lamb_invocation *inv, const char *data, size_t len)
{
	struct call *c = (struct call *)inv;
	c->chunk(c->data, inv->content_type, data, len);
}

static struct lamb_outcome outcome_of(struct call *c)
{
	struct lamb_invocation *inv = &c->inv;
	double ms = inv->start_ns && inv->end_ns > inv->start_ns ? (double)(inv->end_ns - inv->start_ns) / 1e6 : 0;
	struct lamb_outcome o = {
		.kind = inv->kind,
		.request_id = inv->request_id,
		.body = inv->body.data ? inv->body.data : "",
		.len = inv->body.len,
		.function_error = inv->kind != LAMB_OUTCOME_RESPONSE,
		.streamed = inv->streamed,
		.content_type = inv->content_type,
		.message = inv->message[0] ? inv->message : NULL,
		.duration_ms = ms,
		.billed_ms = (long)ms + ((double)(long)ms < ms ? 1 : 0),
		.memory_mb = c->fn->memory_mb,
		.max_memory_used_mb = inv->memory_used_mb,
		.init_ms = inv->init_ms,
		.restored = inv->restored,
		.tenant_id = inv->tenant_id,
	};
	if (o.billed_ms < 1)
		o.billed_ms = 1;
	return o;
}

/* The runtime answered and the function's extensions are still at work:
 * Lambda returns the response now and ends the invoke phase later
 * (runtimes-extensions-api.md, "Invoke phase"; the time after is the
 * PostRuntimeExtensionsDuration metric), so the caller has it now. */
static void answered(struct lamb_invocation *inv)
{
	struct call *c = (struct call *)inv;
	struct lamb_outcome o = outcome_of(c);
	lamb_invoke_fn cb = c->cb;
	c->cb = NULL;
	cb(c->data, &o);
}

static void done(struct lamb_invocation *inv)
{
	struct call *c = (struct call *)inv;
	struct lamb_outcome o = outcome_of(c);
	report(c, &o);
	if (c->iv->opts.observe)
		c->iv->opts.observe(c->iv->opts.observe_data, c->fn, &o);
	const struct lamb_buf *t = &inv->log_tail;
	size_t tail = t->len < LAMB_LOG_TAIL_MAX ? t->len : LAMB_LOG_TAIL_MAX;
	o.log_tail = t->data ? t->data + t->len - tail : "";
	o.log_tail_len = tail;
	if (c->cb)
		c->cb(c->data, &o);
	call_free(c);
}

/* As Lambda's Invoke: a tenant id exactly when the function has tenant
 * isolation, of 1 to 256 printable characters. */
static int check_tenant(const struct lamb_function *fn, const char *tenant, struct lamb_err *err)
{
	if (fn->per_tenant && !tenant)
		return lamb_err_set(err, "function '%s' has tenant isolation (TenancyConfig PER_TENANT): "
				    "the invocation needs a tenant id (InvalidParameterValueException)",
				    fn->logical_id);
	if (!fn->per_tenant && tenant)
		return lamb_err_set(err, "function '%s' has no tenant isolation (TenancyConfig): "
				    "the invocation must not carry a tenant id (InvalidParameterValueException)",
				    fn->logical_id);
	size_t n = tenant ? strlen(tenant) : 1;
	for (size_t i = 0; tenant && i < n; i++)
		if ((unsigned char)tenant[i] < 0x20 || tenant[i] == 0x7f)
			n = 0;
	if (n < 1 || n > 256)
		return lamb_err_set(err, "tenant id must be 1 to 256 printable characters "
				    "(InvalidParameterValueException)");
	return 0;
}

int lamb_invoke(struct lamb_invoker *iv, const struct lamb_function *fn, const struct lamb_invoke_req *req,
		lamb_invoke_fn cb, void *data, struct lamb_err *err)
{
	if (iv->stopping)
		return lamb_err_set(err, "lamb is stopping: no new invocation (ServiceException)");
	if (req->len > LAMB_INVOKE_MAX_EVENT)
		return lamb_err_set(err, "event is %zu bytes, above the limit of %d bytes "
				    "(RequestTooLargeException)", req->len, LAMB_INVOKE_MAX_EVENT);
	if (check_tenant(fn, req->tenant_id, err) < 0)
		return -1;
	struct lamb_pool *p = pool_for(iv, fn, req->tenant_id, err);
	if (!p)
		return lamb_err_prefix(err, "function '%s'", fn->logical_id);
	struct call *c = xcalloc(1, sizeof(*c));
	c->iv = iv;
	c->fn = fn;
	c->cb = cb;
	c->data = data;
	c->event = xmalloc(req->len + 1);
	memcpy(c->event, req->event, req->len);
	c->event[req->len] = '\0';
	c->client_context = req->client_context ? xstrdup(req->client_context) : NULL;
	c->cognito_identity = req->cognito_identity ? xstrdup(req->cognito_identity) : NULL;
	c->tenant_id = req->tenant_id ? xstrdup(req->tenant_id) : NULL;
	lamb_invoke_request_id(c->inv.request_id);
	if (req->trace_id)
		snprintf(c->inv.trace_id, sizeof(c->inv.trace_id), "%s", req->trace_id);
	else
		trace_id(c->inv.trace_id, sizeof(c->inv.trace_id));
	c->inv.event = c->event;
	c->inv.len = req->len;
	c->inv.client_context = c->client_context;
	c->inv.cognito_identity = c->cognito_identity;
	c->inv.tenant_id = c->tenant_id;
	c->inv.want_tail = req->log_tail;
	c->inv.done = done;
	c->inv.answered = req->whole || req->log_tail ? NULL : answered;
	c->chunk = req->chunk;
	c->inv.chunk = req->chunk ? chunk : NULL;
	c->next = iv->calls;
	if (iv->calls)
		iv->calls->prev = c;
	iv->calls = c;
	if (!held(iv, c))
		lamb_pool_submit(p, &c->inv);
	return 0;
}

static struct hold *hold_of(struct lamb_invoker *iv, const struct lamb_function *fn, bool create)
{
	for (struct hold *h = iv->holds; h; h = h->next)
		if (h->fn == fn)
			return h;
	if (!create)
		return NULL;
	struct hold *h = xcalloc(1, sizeof(*h));
	h->fn = fn;
	h->next = iv->holds;
	iv->holds = h;
	return h;
}

static void deferred_done(void *data)
{
	struct call *c = data;
	c->inv.done(&c->inv); /* dropped_done when the invoker went away meanwhile */
}

/* Answers c from the loop with the failed build's error. */
static void fail_build(struct lamb_invoker *iv, struct call *c, const char *error)
{
	char *doc = lamb_json_error("Lamb.BuildFailed", error);
	c->inv.kind = LAMB_OUTCOME_START_FAILED;
	snprintf(c->inv.message, sizeof(c->inv.message), "%s", error);
	lamb_buf_add(&c->inv.body, doc, strlen(doc));
	free(doc);
	lamb_loop_defer(iv->loop, deferred_done, c);
}

/* true when c is held back (or failed) by a hold on its function */
static bool held(struct lamb_invoker *iv, struct call *c)
{
	struct hold *h = iv->holds ? hold_of(iv, c->fn, false) : NULL;
	if (!h || (!h->held && !h->error))
		return false;
	if (h->held) {
		if (h->last)
			h->last->held_next = c;
		else
			h->first = c;
		h->last = c;
	} else {
		fail_build(iv, c, h->error);
	}
	return true;
}

void lamb_invoke_hold(struct lamb_invoker *iv, const struct lamb_function *fn)
{
	hold_of(iv, fn, true)->held = true;
}

void lamb_invoke_resume(struct lamb_invoker *iv, const struct lamb_function *fn, const char *error)
{
	struct hold *h = hold_of(iv, fn, true);
	struct call *c = h->first;
	h->held = false;
	h->first = h->last = NULL;
	free(h->error);
	h->error = error ? xstrdup(error) : NULL;
	if (!error)
		lamb_invoke_retire(iv, fn);
	for (struct call *next; c; c = next) {
		next = c->held_next;
		c->held_next = NULL;
		struct lamb_err err;
		struct lamb_pool *p = error ? NULL : pool_for(iv, fn, c->tenant_id, &err);
		if (p)
			lamb_pool_submit(p, &c->inv);
		else
			fail_build(iv, c, error ? error : err.msg);
	}
}
