/* lamb local bench: drive one function through lamb_invoke with C
 * concurrent callers, keep each invocation's figures and summarise them
 * (bench.c); price a monthly traffic shape from a price table, a JSON data
 * file (bench-prices.c). Prints nothing: cli/cmd-local-bench.c does. */
#ifndef LAMB_BENCH_H
#define LAMB_BENCH_H

#include "base/err.h"
#include "base/loop.h"
#include "engine/invoke.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>

struct lamb_bench_opts {
	const char *event;     /* not copied: must outlive lamb_bench_run */
	size_t len;
	long count;            /* invocations; 0: as many as fit in duration_s */
	int concurrency;       /* callers, each with one invocation in flight; >= 1 */
	double duration_s;     /* stop starting invocations after this; 0: none */
	int tenants;           /* a PER_TENANT function's invocations go round-robin to the
				* tenants "tenant-1" ... "tenant-N"; 0: 1 */
};

/* The most tenants a bench spreads over (--tenants). */
#define LAMB_BENCH_MAX_TENANTS 64

/* One tenant's share of a bench of a PER_TENANT function. */
struct lamb_bench_tenant {
	char id[24];           /* "tenant-1" ... */
	long invocations, cold_starts, errors;
};

/* A distribution in ms; all 0 when n == 0. Percentiles by nearest rank. */
struct lamb_bench_dist {
	long n;
	double min, mean, p50, p90, p99, max;
};

struct lamb_bench_result {
	long invocations;      /* answered (whatever the outcome) */
	long errors;           /* function errors, timeouts, crashes, init failures */
	long cold_starts;      /* invocations that waited for an instance's init */
	char first_error[512]; /* errorType: errorMessage of the first failure, or "" */
	double wall_s;         /* first invocation started to last answered */
	double throughput;     /* invocations / wall_s */
	double warm_throughput; /* answered after the last cold start / the time since; 0: too few */
	struct lamb_bench_dist warm, cold; /* latency seen by the caller */
	struct lamb_bench_dist init;       /* Init Duration of the cold starts */
	struct lamb_bench_dist duration;   /* REPORT Duration of warm invocations */
	double billed_ms;      /* mean Billed Duration of warm invocations (all when none) */
	long memory_size_mb;
	long peak_memory_mb;   /* the largest Max Memory Used of any instance */
	bool interrupted;      /* the loop was stopped from outside (Ctrl-C) */
	bool cpu_unscaled;     /* instances had the host's CPU, not MemorySize's share */
	char cpu_missing[256]; /* when unscaled for want of a CPU cgroup: why ("" else) */
	struct lamb_bench_tenant tenants[LAMB_BENCH_MAX_TENANTS]; /* PER_TENANT functions only */
	int ntenants;          /* 0 for a function without tenant isolation */
};

/* Runs the loop until the bench is done (or someone stops the loop: r has
 * what was answered by then, r->interrupted set, and the invoker must be
 * freed before the loop runs again, since its callbacks are gone). iv should allow
 * o->concurrency instances and queue rather than throttle. -1 with err
 * when the function cannot be invoked at all. */
int lamb_bench_run(struct lamb_loop *loop, struct lamb_invoker *iv, const struct lamb_function *fn,
		   const struct lamb_bench_opts *o, struct lamb_bench_result *r, struct lamb_err *err);

/* Sorts v (n values) and fills d. */
void lamb_bench_dist(double *v, long n, struct lamb_bench_dist *d);

/* --- prices --- */

#define LAMB_BENCH_MAX_TIERS 8
#define LAMB_BENCH_MAX_ARCHS 4

struct lamb_bench_tier {
	double up_to_gb_s;     /* monthly GB-seconds this tier ends at; 0: unbounded */
	double per_gb_s;       /* price of one GB-second in it */
};

struct lamb_bench_arch {
	char *name;            /* "x86_64", "arm64" */
	struct lamb_bench_tier tiers[LAMB_BENCH_MAX_TIERS];
	size_t ntiers;
};

struct lamb_bench_prices {
	char *date, *region, *currency, *source;
	double per_million_requests;
	struct lamb_bench_arch archs[LAMB_BENCH_MAX_ARCHS];
	size_t narchs;
};

struct lamb_bench_cost {
	double gb_seconds;
	double requests, compute, total; /* in the table's currency */
};

/* Reads a price table (see data/prices.json); -1 with err naming the
 * file and what is wrong. _release accepts a zeroed struct. */
int lamb_bench_prices_load(struct lamb_bench_prices *p, const char *path, struct lamb_err *err);
void lamb_bench_prices_release(struct lamb_bench_prices *p);
const struct lamb_bench_arch *lamb_bench_prices_arch(const struct lamb_bench_prices *p, const char *name);
/* The monthly cost of `requests` invocations of billed_ms each at
 * memory_mb, on architecture a (tiers applied to the month's GB-seconds). */
void lamb_bench_prices_cost(const struct lamb_bench_prices *p, const struct lamb_bench_arch *a,
			    double requests, double billed_ms, long memory_mb, struct lamb_bench_cost *c);

/* --- memory tuning (--memory) --- */

/* One MemorySize setting's figures: REPORT durations of warm invocations
 * (cold when there were none), and the cost of a million invocations on
 * each architecture of the price table, in its order. */
struct lamb_bench_setting {
	long memory_mb;
	double p50, p99, billed_ms;
	long max_memory_mb;
	long errors;
	double per_million[LAMB_BENCH_MAX_ARCHS];
};

void lamb_bench_tune_row(struct lamb_bench_setting *s, const struct lamb_bench_result *r,
			 const struct lamb_bench_prices *p);
/* The cheapest setting on architecture arch (an index into the price
 * table), and the fastest (p50) of those within 10% of its cost. */
void lamb_bench_tune_pick(const struct lamb_bench_setting *v, size_t n, size_t arch, size_t *cheapest,
			  size_t *fastest);
/* Duration p50 and cost per million against MemorySize, for one
 * architecture, as a self-contained SVG document (allocated). */
char *lamb_bench_tune_svg(const struct lamb_bench_setting *v, size_t n, size_t arch, const char *arch_name,
			  const char *title, const char *currency);

#endif
