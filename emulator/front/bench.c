/* The measuring half of lamb local bench: C callers, each with one
 * invocation in flight through lamb_invoke, as a load generator would keep
 * C connections busy. Latency is what the caller sees (queueing and init
 * included); Duration and Billed Duration are the REPORT figures. Leaves
 * out: pacing to a request rate (the callers go as fast as answers come). */
#include "base/util.h"
#include "engine/supervisor.h"
#include "front/bench.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct sample {
	double latency_ms, duration_ms, init_ms;
	long billed_ms;
	uint64_t end_ns;
};

struct bench {
	struct lamb_loop *loop;
	struct lamb_invoker *iv;
	const struct lamb_function *fn;
	const struct lamb_bench_opts *o;
	struct lamb_bench_result *r;
	struct sample *samples;
	size_t nsamples, cap;
	long started, inflight;
	uint64_t t0, deadline_ns;
	bool failed;
	struct lamb_err err;
};

struct caller {
	struct bench *b;
	uint64_t start_ns;
	int tenant;            /* index into r->tenants of its invocation in flight */
};

static void on_outcome(void *data, const struct lamb_outcome *o);

static bool more(const struct bench *b)
{
	if (b->failed || (b->o->count && b->started >= b->o->count))
		return false;
	return !b->deadline_ns || lamb_loop_now_ns() < b->deadline_ns;
}

static void start(struct caller *c)
{
	struct bench *b = c->b;
	/* whole: the duration and billing with the extensions' part, as REPORT */
	struct lamb_invoke_req req = { .event = b->o->event, .len = b->o->len, .whole = true };
	if (b->r->ntenants) { /* round-robin: each tenant gets its own instances */
		c->tenant = (int)(b->started % b->r->ntenants);
		req.tenant_id = b->r->tenants[c->tenant].id;
	}
	c->start_ns = lamb_loop_now_ns();
	if (lamb_invoke(b->iv, b->fn, &req, on_outcome, c, &b->err) < 0) {
		b->failed = true;
		if (!b->inflight)
			lamb_loop_stop(b->loop);
		return;
	}
	b->started++;
	b->inflight++;
}

/* "errorType: errorMessage" from an error document, or its first bytes. */
static void describe_error(const struct lamb_outcome *o, char *buf, size_t n)
{
	cJSON *j = cJSON_ParseWithLength(o->body, o->len);
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "errorType");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "errorMessage");
	if (cJSON_IsString(type) && cJSON_IsString(msg))
		snprintf(buf, n, "%s: %s", type->valuestring, msg->valuestring);
	else if (o->message)
		snprintf(buf, n, "%s", o->message);
	else
		snprintf(buf, n, "%.*s", (int)(o->len < 200 ? o->len : 200), o->body);
	cJSON_Delete(j);
}

static void on_outcome(void *data, const struct lamb_outcome *o)
{
	struct caller *c = data;
	struct bench *b = c->b;
	uint64_t now = lamb_loop_now_ns();
	b->inflight--;
	b->samples = xgrow(b->samples, &b->cap, b->nsamples + 1, sizeof(*b->samples));
	b->samples[b->nsamples++] = (struct sample){
		.latency_ms = (double)(now - c->start_ns) / 1e6,
		.duration_ms = o->duration_ms,
		.init_ms = o->init_ms,
		.billed_ms = o->billed_ms,
		.end_ns = now,
	};
	struct lamb_bench_result *r = b->r;
	if (o->max_memory_used_mb > r->peak_memory_mb)
		r->peak_memory_mb = o->max_memory_used_mb;
	bool failed = o->function_error || o->kind != LAMB_OUTCOME_RESPONSE;
	if (failed && !r->errors++)
		describe_error(o, r->first_error, sizeof(r->first_error));
	if (r->ntenants) {
		struct lamb_bench_tenant *t = &r->tenants[c->tenant];
		t->invocations++;
		t->cold_starts += o->init_ms >= 0;
		t->errors += failed;
	}
	if (more(b))
		start(c);
	else if (!b->inflight)
		lamb_loop_stop(b->loop);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double rank(const double *v, long n, double pct)
{
	long i = (long)ceil(pct / 100.0 * (double)n) - 1;
	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

void lamb_bench_dist(double *v, long n, struct lamb_bench_dist *d)
{
	memset(d, 0, sizeof(*d));
	if (n <= 0)
		return;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	double sum = 0;
	for (long i = 0; i < n; i++)
		sum += v[i];
	d->n = n;
	d->min = v[0];
	d->max = v[n - 1];
	d->mean = sum / (double)n;
	d->p50 = rank(v, n, 50);
	d->p90 = rank(v, n, 90);
	d->p99 = rank(v, n, 99);
}

static void summarise(struct bench *b)
{
	struct lamb_bench_result *r = b->r;
	size_t n = b->nsamples;
	double *warm = xcalloc(n + 1, sizeof(double)), *cold = xcalloc(n + 1, sizeof(double));
	double *init = xcalloc(n + 1, sizeof(double)), *dur = xcalloc(n + 1, sizeof(double));
	long nw = 0, nc = 0;
	double billed_warm = 0, billed_all = 0;
	uint64_t last_cold = 0, end = b->t0;
	for (size_t i = 0; i < n; i++) {
		const struct sample *s = &b->samples[i];
		billed_all += (double)s->billed_ms;
		if (s->end_ns > end)
			end = s->end_ns;
		if (s->init_ms >= 0) {
			cold[nc] = s->latency_ms;
			init[nc++] = s->init_ms;
			if (s->end_ns > last_cold)
				last_cold = s->end_ns;
		} else {
			warm[nw] = s->latency_ms;
			dur[nw++] = s->duration_ms;
			billed_warm += (double)s->billed_ms;
		}
	}
	long after = 0;
	for (size_t i = 0; i < n; i++)
		after += b->samples[i].init_ms < 0 && b->samples[i].end_ns > last_cold;
	r->invocations = (long)n;
	r->cold_starts = nc;
	r->wall_s = (double)(end - b->t0) / 1e9;
	r->throughput = r->wall_s > 0 ? (double)n / r->wall_s : 0;
	if (after >= 10 && end > last_cold)
		r->warm_throughput = (double)after / ((double)(end - last_cold) / 1e9);
	r->billed_ms = nw ? billed_warm / (double)nw : n ? billed_all / (double)n : 0;
	lamb_bench_dist(warm, nw, &r->warm);
	lamb_bench_dist(cold, nc, &r->cold);
	lamb_bench_dist(init, nc, &r->init);
	lamb_bench_dist(dur, nw, &r->duration);
	free(warm);
	free(cold);
	free(init);
	free(dur);
}

static void name_tenants(const struct lamb_function *fn, const struct lamb_bench_opts *o,
			 struct lamb_bench_result *r)
{
	if (!fn->per_tenant)
		return;
	r->ntenants = o->tenants < 1 ? 1 : o->tenants > LAMB_BENCH_MAX_TENANTS ? LAMB_BENCH_MAX_TENANTS : o->tenants;
	for (int i = 0; i < r->ntenants; i++)
		snprintf(r->tenants[i].id, sizeof(r->tenants[i].id), "tenant-%d", i + 1);
}

int lamb_bench_run(struct lamb_loop *loop, struct lamb_invoker *iv, const struct lamb_function *fn,
		   const struct lamb_bench_opts *o, struct lamb_bench_result *r, struct lamb_err *err)
{
	struct bench b = { .loop = loop, .iv = iv, .fn = fn, .o = o, .r = r };
	int ncallers = o->concurrency > 0 ? o->concurrency : 1;
	struct caller *callers = xcalloc((size_t)ncallers, sizeof(*callers));
	memset(r, 0, sizeof(*r));
	r->memory_size_mb = fn->memory_mb;
	name_tenants(fn, o, r);
	b.t0 = lamb_loop_now_ns();
	if (o->duration_s > 0)
		b.deadline_ns = b.t0 + (uint64_t)(o->duration_s * 1e9);
	for (int i = 0; i < ncallers && more(&b); i++) {
		callers[i].b = &b;
		start(&callers[i]);
	}
	int rc = 0;
	if (b.inflight && lamb_loop_run(loop, err) < 0)
		rc = -1;
	else if (b.failed)
		rc = lamb_err_set(err, "%s", b.err.msg);
	/* the loop stopped with invocations in flight: stopped from outside */
	r->interrupted = b.inflight > 0 && !b.failed;
	r->cpu_unscaled = !lamb_supervisor_cpu_scaled(lamb_invoke_supervisor(iv));
	const char *missing = lamb_supervisor_cpu_missing(lamb_invoke_supervisor(iv));
	snprintf(r->cpu_missing, sizeof(r->cpu_missing), "%s", missing ? missing : "");
	summarise(&b);
	free(b.samples);
	free(callers);
	return rc;
}
