/* lamb local bench: is this function a good Lambda citizen? Drives it
 * through lamb_invoke with C callers (emulator/front/bench.c), then prints cold
 * starts, latency percentiles, throughput, peak memory and what a month of
 * traffic would cost at Lambda's prices (emulator/front/bench-prices.c), as a
 * table or JSON; with --memory, one row per MemorySize setting, the
 * cheapest and the fastest near it, and --plot's SVG. The function's own log is discarded unless -l asks. A
 * function that needs pip, npm or make is built first, as local invoke does,
 * so that what is measured is what would be deployed. */
#include "cli-build.h"
#include "cli-run.h"
#include "cli-template.h"
#include "cli.h"

#include "base/loop.h"
#include "base/util.h"
#include "engine/invoke.h"
#include "front/bench.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bench_cli {
	struct template_opts topts;
	struct run_opts run; /* --env-vars, --layer-dir */
	const char *id;
	const char *event_path;
	const char *log_path;
	const char *prices_path;
	long count;        /* 0: unset */
	long concurrency;
	long tenants;      /* --tenants: a PER_TENANT function's tenants; 0: 1 */
	double duration_s;
	long requests_per_month;
	bool json;
	bool no_build;
	long memory[32];   /* --memory settings, in MB */
	size_t nmemory;
	const char *plot_path; /* --plot FILE.svg */
};

static const char cmd[] = "local bench";

static int parse_seconds(int argc, char **argv, int *i, double *out)
{
	const char *v = cli_opt_value(cmd, argc, argv, i);
	char *end;
	if (!v)
		return -1;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || !(d > 0) || d > 86400)
		return usage_error(cmd, "--duration needs a number of seconds above 0, not '%s'", v), -1;
	*out = d;
	return 0;
}

/* --memory 128,256,...: MemorySize settings Lambda allows. */
static int parse_memory(struct bench_cli *c, int argc, char **argv, int *i)
{
	const char *v = cli_opt_value(cmd, argc, argv, i);
	if (!v)
		return -1;
	for (const char *p = v; *p;) {
		char *end;
		errno = 0;
		long mb = strtol(p, &end, 10);
		if (errno || end == p || (*end && *end != ',') || mb < 128 || mb > 10240)
			return usage_error(cmd, "--memory takes MemorySize settings from 128 to 10240 MB, "
					   "comma-separated, not '%s'", v), -1;
		if (c->nmemory == ARRAY_SIZE(c->memory))
			return usage_error(cmd, "--memory takes at most %zu settings", ARRAY_SIZE(c->memory)), -1;
		c->memory[c->nmemory++] = mb;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* 1 to go on, 0 after --help, -1 on a usage error (printed). */
static int parse(struct bench_cli *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = template_opts_parse(&c->topts, cmd, argc, argv, &i);
		if (r == 0)
			r = run_opts_parse(&c->run, cmd, false, argc, argv, &i);
		if (r != 0) {
			if (r < 0)
				return -1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_help(lamb_command_find(cmd), stdout);
			return 0;
		} else if (cli_opt_is(a, "-e", "--event")) {
			r = (c->event_path = cli_opt_value(cmd, argc, argv, &i)) ? 0 : -1;
		} else if (cli_opt_is(a, "-l", "--log-file")) {
			r = (c->log_path = cli_opt_value(cmd, argc, argv, &i)) ? 0 : -1;
		} else if (cli_opt_is(a, NULL, "--prices")) {
			r = (c->prices_path = cli_opt_value(cmd, argc, argv, &i)) ? 0 : -1;
		} else if (cli_opt_is(a, "-n", "--invocations")) {
			r = cli_opt_number(cmd, argc, argv, &i, 1, 100000000, &c->count);
		} else if (cli_opt_is(a, "-c", "--concurrency")) {
			r = cli_opt_number(cmd, argc, argv, &i, 1, 1000, &c->concurrency);
		} else if (cli_opt_is(a, NULL, "--tenants")) {
			r = cli_opt_number(cmd, argc, argv, &i, 1, LAMB_BENCH_MAX_TENANTS, &c->tenants);
		} else if (cli_opt_is(a, NULL, "--duration")) {
			r = parse_seconds(argc, argv, &i, &c->duration_s);
		} else if (cli_opt_is(a, NULL, "--requests-per-month")) {
			r = cli_opt_number(cmd, argc, argv, &i, 0, 1000000000000000L, &c->requests_per_month);
		} else if (cli_opt_is(a, NULL, "--memory")) {
			r = parse_memory(c, argc, argv, &i);
		} else if (cli_opt_is(a, NULL, "--plot")) {
			r = (c->plot_path = cli_opt_value(cmd, argc, argv, &i)) ? 0 : -1;
		} else if (strcmp(a, "--json") == 0) {
			c->json = true;
		} else if (strcmp(a, "--no-build") == 0) {
			c->no_build = true;
		} else if (a[0] == '-' && a[1]) {
			return usage_error(cmd, "unknown option '%s'", a), -1;
		} else if (!c->id) {
			c->id = a;
		} else {
			return usage_error(cmd, "unexpected argument '%s'", a), -1;
		}
		if (r < 0)
			return -1;
	}
	if (c->plot_path && !c->nmemory)
		return usage_error(cmd, "--plot needs --memory"), -1;
	return 1;
}

static const char *arch_of(const struct lamb_function *fn)
{
	return fn->architectures.len ? fn->architectures.v[0] : "x86_64";
}

/* --- output --- */

struct report {
	const struct bench_cli *c;
	const struct lamb_function *fn;
	const struct lamb_bench_result *r;
	const struct lamb_bench_prices *prices;
	const char *prices_path;
};

/* 1234567 -> "1,234,567" */
static void grouped(char *buf, size_t n, double v)
{
	char digits[64];
	snprintf(digits, sizeof(digits), "%.0f", v);
	size_t len = strlen(digits), j = 0;
	for (size_t i = 0; i < len && j + 2 < n; i++) {
		if (i && (len - i) % 3 == 0 && digits[i - 1] != '-')
			buf[j++] = ',';
		buf[j++] = digits[i];
	}
	buf[j] = '\0';
}

static void print_dist_row(const char *name, const struct lamb_bench_dist *d)
{
	if (d->n)
		printf("    %-12s %10.3f %10.3f %10.3f %10.3f %8ld\n", name, d->p50, d->p90, d->p99, d->max, d->n);
}

/* Small sums keep their cents' fractions: 0.0021 says more than 0.00. */
static void money(char *buf, size_t n, double v)
{
	snprintf(buf, n, v < 100 ? "%.4f" : "%.2f", v);
}

static void print_cost_table(const struct report *rp)
{
	const struct lamb_bench_result *r = rp->r;
	double month_s = 30.0 * 24 * 3600, rate = (double)rp->c->requests_per_month / month_s;
	char req[64];
	grouped(req, sizeof(req), (double)rp->c->requests_per_month);
	printf("\nmonthly cost of %s requests at %.2f ms billed and %ld MB\n", req, r->billed_ms,
	       r->memory_size_mb);
	printf("(Lambda's prices of %s, %s, %s, from '%s'; --prices FILE for others)\n", rp->prices->date,
	       rp->prices->region, rp->prices->currency, rp->prices_path);
	printf("  %-12s %12s %12s %12s %14s\n", "", "requests", "compute", "total", "per million");
	for (size_t i = 0; i < rp->prices->narchs; i++) {
		const struct lamb_bench_arch *a = &rp->prices->archs[i];
		struct lamb_bench_cost cost, one;
		char m[4][32];
		lamb_bench_prices_cost(rp->prices, a, (double)rp->c->requests_per_month, r->billed_ms,
				       r->memory_size_mb, &cost);
		lamb_bench_prices_cost(rp->prices, a, 1e6, r->billed_ms, r->memory_size_mb, &one);
		money(m[0], sizeof(m[0]), cost.requests);
		money(m[1], sizeof(m[1]), cost.compute);
		money(m[2], sizeof(m[2]), cost.total);
		money(m[3], sizeof(m[3]), one.total);
		bool mine = strcmp(a->name, arch_of(rp->fn)) == 0;
		printf("  %-10s %s %12s %12s %12s %14s\n", a->name, mine ? "*" : " ", m[0], m[1], m[2], m[3]);
	}
	printf("  (* the function's architecture; init durations and the free tier are not counted)\n");
	/* Little's law: what that traffic keeps busy, at the latency measured here */
	double busy = rate * (r->warm.n ? r->warm.mean : r->cold.mean) / 1000.0;
	printf("  that traffic is %.3g requests/s on average, keeping %.3g instances busy\n", rate, busy);
}

/* What the figures say about the function as a Lambda citizen: a few
 * plain sentences, for the table and for --json. */
static void add_note(cJSON *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_note(cJSON *notes, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	cJSON_AddItemToArray(notes, cJSON_CreateString(s));
	free(s);
}

static void cost_notes(const struct report *rp, cJSON *notes)
{
	const struct lamb_bench_result *r = rp->r;
	const struct lamb_bench_arch *mine = lamb_bench_prices_arch(rp->prices, arch_of(rp->fn));
	const struct lamb_bench_arch *arm = lamb_bench_prices_arch(rp->prices, "arm64");
	struct lamb_bench_cost c, a;
	if (!mine)
		return;
	lamb_bench_prices_cost(rp->prices, mine, 1e6, r->billed_ms, r->memory_size_mb, &c);
	if (c.total > 0 && c.requests >= c.compute)
		add_note(notes, "the request charge is %.0f%% of the cost: the function is cheap to run, "
			 "and making it faster would save little", 100 * c.requests / c.total);
	if (arm && arm != mine) {
		lamb_bench_prices_cost(rp->prices, arm, 1e6, r->billed_ms, r->memory_size_mb, &a);
		if (c.total > 0 && a.total < 0.95 * c.total)
			add_note(notes, "arm64 would cost %.0f%% less, where the code and its layers run there",
				 100 * (c.total - a.total) / c.total);
	}
}

static cJSON *notes_of(const struct report *rp)
{
	const struct lamb_bench_result *r = rp->r;
	cJSON *notes = cJSON_CreateArray();
	long mem = r->memory_size_mb, peak = r->peak_memory_mb;
	double timeout_ms = (double)(rp->fn->timeout_s > 0 ? rp->fn->timeout_s : 3) * 1000;
	double slowest = r->warm.max > r->cold.max ? r->warm.max : r->cold.max;
	if (r->init.n && r->warm.n && r->warm.p50 > 0)
		add_note(notes, "a cold start adds %.0f ms (Init Duration p50), %.0f times a warm answer: "
			 "traffic sparser than an instance's idle life pays it on most requests",
			 r->init.p50, r->init.p50 / r->warm.p50);
	if (peak && peak * 10 >= mem * 9)
		add_note(notes, "peak memory is %ld of %ld MB: an instance that grows past MemorySize is killed",
			 peak, mem);
	else if (peak && peak * 4 < mem && mem > 128)
		add_note(notes, "peak memory is %ld of %ld MB; a smaller MemorySize costs less per ms, but Lambda "
			 "gives CPU in proportion to memory: measure the duration there first", peak, mem);
	if (slowest > 0.8 * timeout_ms)
		add_note(notes, "the slowest invocation took %.0f ms of its %.0f ms Timeout", slowest, timeout_ms);
	if (rp->prices)
		cost_notes(rp, notes);
	return notes;
}

static void print_notes(const struct report *rp)
{
	cJSON *notes = notes_of(rp), *n;
	if (cJSON_GetArraySize(notes))
		printf("\nnotes\n");
	cJSON_ArrayForEach(n, notes)
		printf("  - %s\n", n->valuestring);
	cJSON_Delete(notes);
}

/* A PER_TENANT function: what each tenant got (its instances are its own). */
static void print_tenants(const struct lamb_bench_result *r)
{
	for (int i = 0; i < r->ntenants; i++) {
		const struct lamb_bench_tenant *t = &r->tenants[i];
		printf("  %-13s %-10s %ld invocation%s, %ld cold start%s, %ld error%s\n", i ? "" : "per tenant", t->id,
		       t->invocations, t->invocations == 1 ? "" : "s", t->cold_starts, t->cold_starts == 1 ? "" : "s",
		       t->errors, t->errors == 1 ? "" : "s");
	}
}

static cJSON *tenants_json(const struct lamb_bench_result *r)
{
	cJSON *o = cJSON_CreateObject();
	for (int i = 0; i < r->ntenants; i++) {
		cJSON *t = cJSON_AddObjectToObject(o, r->tenants[i].id);
		cJSON_AddNumberToObject(t, "invocations", (double)r->tenants[i].invocations);
		cJSON_AddNumberToObject(t, "cold_starts", (double)r->tenants[i].cold_starts);
		cJSON_AddNumberToObject(t, "errors", (double)r->tenants[i].errors);
	}
	return o;
}

static void print_table(const struct report *rp)
{
	const struct lamb_bench_result *r = rp->r;
	const struct lamb_function *fn = rp->fn;
	printf("%s (%s, %ld MB, %s): %ld invocations by %ld caller%s in %.2f s%s\n", fn->logical_id,
	       fn->runtime ? fn->runtime : "image", fn->memory_mb, arch_of(fn), r->invocations,
	       rp->c->concurrency, rp->c->concurrency == 1 ? "" : "s", r->wall_s,
	       r->interrupted ? " (interrupted)" : "");
	printf("  cold starts   %ld", r->cold_starts);
	if (r->init.n)
		printf("        Init Duration p50 %.2f ms, max %.2f ms", r->init.p50, r->init.max);
	printf("\n  latency (ms, as the caller sees it)\n");
	printf("    %-12s %10s %10s %10s %10s %8s\n", "", "p50", "p90", "p99", "max", "count");
	print_dist_row("warm", &r->warm);
	print_dist_row("cold", &r->cold);
	if (r->duration.n)
		printf("  duration      p50 %.3f ms, p99 %.3f ms (REPORT, warm); billed %.2f ms on average%s\n",
		       r->duration.p50, r->duration.p99, r->billed_ms, r->cpu_unscaled ? " (CPU unscaled)" : "");
	printf("  throughput    %.0f invocations/s", r->throughput);
	if (r->warm_throughput > 0)
		printf(" (%.0f/s once warm)", r->warm_throughput);
	printf("\n  memory        peak %ld MB per instance of %ld MB (%.0f%%)\n", r->peak_memory_mb,
	       r->memory_size_mb, r->memory_size_mb ? 100.0 * (double)r->peak_memory_mb / (double)r->memory_size_mb : 0);
	printf("  errors        %ld", r->errors);
	if (r->errors)
		printf(" (first: %s)", r->first_error);
	printf("\n");
	print_tenants(r);
	if (rp->prices)
		print_cost_table(rp);
	print_notes(rp);
}

static cJSON *dist_json(const struct lamb_bench_dist *d)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "count", (double)d->n);
	cJSON_AddNumberToObject(o, "min", d->min);
	cJSON_AddNumberToObject(o, "mean", d->mean);
	cJSON_AddNumberToObject(o, "p50", d->p50);
	cJSON_AddNumberToObject(o, "p90", d->p90);
	cJSON_AddNumberToObject(o, "p99", d->p99);
	cJSON_AddNumberToObject(o, "max", d->max);
	return o;
}

static cJSON *cost_json(const struct report *rp)
{
	const struct lamb_bench_prices *p = rp->prices;
	cJSON *o = cJSON_CreateObject(), *archs = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "requests_per_month", (double)rp->c->requests_per_month);
	cJSON_AddNumberToObject(o, "billed_duration_ms", rp->r->billed_ms);
	cJSON_AddNumberToObject(o, "memory_size_mb", (double)rp->r->memory_size_mb);
	cJSON_AddStringToObject(o, "prices_file", rp->prices_path);
	cJSON_AddStringToObject(o, "prices_date", p->date);
	cJSON_AddStringToObject(o, "region", p->region);
	cJSON_AddStringToObject(o, "currency", p->currency);
	double rate = (double)rp->c->requests_per_month / (30.0 * 24 * 3600);
	const struct lamb_bench_dist *lat = rp->r->warm.n ? &rp->r->warm : &rp->r->cold;
	cJSON_AddNumberToObject(o, "average_requests_per_second", rate);
	cJSON_AddNumberToObject(o, "average_busy_instances", rate * lat->mean / 1000.0);
	for (size_t i = 0; i < p->narchs; i++) {
		struct lamb_bench_cost c, one;
		lamb_bench_prices_cost(p, &p->archs[i], (double)rp->c->requests_per_month, rp->r->billed_ms,
				       rp->r->memory_size_mb, &c);
		lamb_bench_prices_cost(p, &p->archs[i], 1e6, rp->r->billed_ms, rp->r->memory_size_mb, &one);
		cJSON *a = cJSON_AddObjectToObject(archs, p->archs[i].name);
		cJSON_AddNumberToObject(a, "gb_seconds", c.gb_seconds);
		cJSON_AddNumberToObject(a, "requests", c.requests);
		cJSON_AddNumberToObject(a, "compute", c.compute);
		cJSON_AddNumberToObject(a, "total", c.total);
		cJSON_AddNumberToObject(a, "per_million_requests", one.total);
	}
	cJSON_AddItemToObject(o, "architectures", archs);
	return o;
}

static void print_json(const struct report *rp)
{
	const struct lamb_bench_result *r = rp->r;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "function", rp->fn->logical_id);
	if (rp->fn->runtime)
		cJSON_AddStringToObject(o, "runtime", rp->fn->runtime);
	cJSON_AddStringToObject(o, "architecture", arch_of(rp->fn));
	cJSON_AddNumberToObject(o, "memory_size_mb", (double)r->memory_size_mb);
	cJSON_AddNumberToObject(o, "concurrency", (double)rp->c->concurrency);
	cJSON_AddNumberToObject(o, "invocations", (double)r->invocations);
	cJSON_AddNumberToObject(o, "errors", (double)r->errors);
	if (r->errors)
		cJSON_AddStringToObject(o, "first_error", r->first_error);
	cJSON_AddBoolToObject(o, "interrupted", r->interrupted);
	cJSON_AddNumberToObject(o, "cold_starts", (double)r->cold_starts);
	cJSON_AddNumberToObject(o, "wall_seconds", r->wall_s);
	cJSON_AddNumberToObject(o, "throughput_per_second", r->throughput);
	cJSON_AddNumberToObject(o, "warm_throughput_per_second", r->warm_throughput);
	cJSON *lat = cJSON_AddObjectToObject(o, "latency_ms");
	cJSON_AddItemToObject(lat, "warm", dist_json(&r->warm));
	cJSON_AddItemToObject(lat, "cold", dist_json(&r->cold));
	cJSON_AddItemToObject(o, "init_duration_ms", dist_json(&r->init));
	cJSON_AddItemToObject(o, "duration_ms", dist_json(&r->duration));
	cJSON_AddNumberToObject(o, "billed_duration_ms", r->billed_ms);
	cJSON_AddBoolToObject(o, "cpu_scaled", !r->cpu_unscaled);
	cJSON_AddNumberToObject(o, "peak_memory_mb", (double)r->peak_memory_mb);
	if (r->ntenants)
		cJSON_AddItemToObject(o, "tenants", tenants_json(r));
	if (rp->prices)
		cJSON_AddItemToObject(o, "cost", cost_json(rp));
	cJSON_AddItemToObject(o, "notes", notes_of(rp));
	char *s = cJSON_Print(o);
	printf("%s\n", s);
	free(s);
	cJSON_Delete(o);
}

/* --- running --- */

struct stop {
	struct lamb_loop *loop;
	int signo;
};

static void on_terminate(void *data, int signo)
{
	struct stop *s = data;
	s->signo = signo;
	lamb_loop_stop(s->loop);
}

/* The engine says why there is no CPU cgroup on the function's log, which
 * bench discards unless -l: said here once instead, on stderr (so --json's
 * stdout stays JSON), beside the figures' "CPU unscaled" mark. */
static void say_no_cpu(const struct lamb_bench_result *r)
{
	static bool said;
	if (said || !r->cpu_missing[0])
		return;
	said = true;
	fprintf(stderr, "lamb: note: no CPU cgroup (%s): every instance gets the host's whole CPU at any "
		"MemorySize, so durations are not Lambda's (marked CPU unscaled)\n", r->cpu_missing);
}

static int run(const struct bench_cli *c, const struct lamb_model *m, const struct lamb_function *fn,
	       FILE *log, const char *event, size_t len, struct lamb_bench_result *r)
{
	struct lamb_err err;
	struct lamb_loop *loop = lamb_loop_new(&err);
	if (!loop)
		return fail("%s", err.msg), EXIT_INTERNAL;
	struct lamb_invoke_opts io = {
		.log = log,
		.max_instances = (int)c->concurrency,
		.boot = { .region = m->region, .user_env = c->run.user_env, .env_vars = c->run.env_vars,
			  .layer_dirs = &c->run.layer_dirs, .sandbox = c->run.sandbox },
	};
	struct lamb_invoker *iv = lamb_invoke_new(loop, &io);
	struct stop s = { loop, 0 };
	lamb_loop_on_terminate(loop, on_terminate, &s);
	struct lamb_bench_opts bo = {
		.event = event, .len = len, .count = c->count, .concurrency = (int)c->concurrency,
		.duration_s = c->duration_s, .tenants = (int)c->tenants,
	};
	int status = EXIT_OK;
	if (lamb_bench_run(loop, iv, fn, &bo, r, &err) < 0)
		status = fail("%s", err.msg);
	say_no_cpu(r);
	lamb_invoke_free(iv); /* kills and reaps every instance */
	lamb_loop_free(loop);
	if (s.signo) {
		fprintf(stderr, "lamb: %s: stopping\n", strsignal(s.signo));
		status = 128 + s.signo;
	}
	return status;
}

/* --- memory tuning --- */

static size_t arch_index(const struct lamb_bench_prices *p, const struct lamb_function *fn)
{
	for (size_t i = 0; i < p->narchs; i++)
		if (strcmp(p->archs[i].name, arch_of(fn)) == 0)
			return i;
	return 0;
}

static void print_tune_table(const struct bench_cli *c, const struct lamb_function *fn,
			     const struct lamb_bench_setting *v, size_t n, const struct lamb_bench_prices *p,
			     bool unscaled)
{
	size_t cheapest, fastest, a = arch_index(p, fn);
	printf("%s (%s, %s): %ld invocation%s per MemorySize setting by %ld caller%s\n", fn->logical_id,
	       fn->runtime ? fn->runtime : "image", arch_of(fn), c->count, c->count == 1 ? "" : "s",
	       c->concurrency, c->concurrency == 1 ? "" : "s");
	printf("  %8s %10s %10s %10s %12s", "memory", "p50 ms", "p99 ms", "billed ms", "max mem MB");
	for (size_t i = 0; i < p->narchs; i++)
		printf(" %*s", 14, p->archs[i].name);
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		printf("  %5ld MB %10.3f %10.3f %10.2f %12ld", v[i].memory_mb, v[i].p50, v[i].p99, v[i].billed_ms,
		       v[i].max_memory_mb);
		for (size_t j = 0; j < p->narchs; j++)
			printf(" %14.4f", v[i].per_million[j]);
		printf("%s\n", v[i].errors ? "  (errors)" : "");
	}
	printf("  (cost of a million invocations in %s, at Lambda's prices of %s, %s)\n", p->currency, p->date,
	       p->region);
	lamb_bench_tune_pick(v, n, a, &cheapest, &fastest);
	printf("cheapest: %ld MB (%.4f %s per million on %s)\n", v[cheapest].memory_mb, v[cheapest].per_million[a],
	       p->currency, p->archs[a].name);
	printf("fastest within 10%% of that cost: %ld MB (p50 %.3f ms, %.4f %s per million)\n",
	       v[fastest].memory_mb, v[fastest].p50, v[fastest].per_million[a], p->currency);
	if (unscaled)
		printf("note: CPU unscaled: every setting ran with the host's whole CPU, not Lambda's share of "
		       "it, so the durations above do not follow MemorySize as on Lambda\n");
}

static void print_tune_json(const struct lamb_function *fn, const struct lamb_bench_setting *v, size_t n,
			    const struct lamb_bench_prices *p, bool unscaled)
{
	size_t cheapest, fastest, a = arch_index(p, fn);
	lamb_bench_tune_pick(v, n, a, &cheapest, &fastest);
	cJSON *o = cJSON_CreateObject(), *rows = cJSON_CreateArray();
	cJSON_AddStringToObject(o, "function", fn->logical_id);
	cJSON_AddStringToObject(o, "architecture", arch_of(fn));
	cJSON_AddBoolToObject(o, "cpu_scaled", !unscaled);
	cJSON_AddStringToObject(o, "currency", p->currency);
	for (size_t i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject(), *cost = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "memory_mb", (double)v[i].memory_mb);
		cJSON_AddNumberToObject(r, "duration_p50_ms", v[i].p50);
		cJSON_AddNumberToObject(r, "duration_p99_ms", v[i].p99);
		cJSON_AddNumberToObject(r, "billed_duration_ms", v[i].billed_ms);
		cJSON_AddNumberToObject(r, "max_memory_used_mb", (double)v[i].max_memory_mb);
		cJSON_AddNumberToObject(r, "errors", (double)v[i].errors);
		for (size_t j = 0; j < p->narchs; j++)
			cJSON_AddNumberToObject(cost, p->archs[j].name, v[i].per_million[j]);
		cJSON_AddItemToObject(r, "cost_per_million", cost);
		cJSON_AddItemToArray(rows, r);
	}
	cJSON_AddItemToObject(o, "settings", rows);
	cJSON_AddNumberToObject(o, "cheapest_mb", (double)v[cheapest].memory_mb);
	cJSON_AddNumberToObject(o, "fastest_within_10_percent_mb", (double)v[fastest].memory_mb);
	char *s = cJSON_Print(o);
	printf("%s\n", s);
	free(s);
	cJSON_Delete(o);
}

static int write_plot(const char *path, const struct lamb_function *fn, const struct lamb_bench_setting *v,
		      size_t n, const struct lamb_bench_prices *p)
{
	size_t a = arch_index(p, fn);
	char *title = xasprintf("%s: duration and cost against MemorySize", fn->logical_id);
	char *svg = lamb_bench_tune_svg(v, n, a, p->archs[a].name, title, p->currency);
	FILE *f = fopen(path, "we");
	int status = EXIT_OK;
	if (!f || fputs(svg, f) < 0)
		status = fail("cannot write '%s': %s", path, strerror(errno));
	if (f && fclose(f) != 0 && status == EXIT_OK)
		status = fail("cannot write '%s': %s", path, strerror(errno));
	free(title);
	free(svg);
	return status;
}

/* Runs the events at each --memory setting, each on fresh instances with
 * that MemorySize (and its CPU share), then prints one row per setting. */
static int tune(const struct bench_cli *c, const struct lamb_model *m, const struct lamb_function *fn, FILE *log,
		const char *event, size_t len, const struct lamb_bench_prices *p)
{
	struct lamb_bench_setting v[ARRAY_SIZE(c->memory)];
	bool unscaled = false;
	int status = EXIT_OK;
	size_t n = 0;
	for (; n < c->nmemory && status == EXIT_OK; n++) {
		struct lamb_function at = *fn; /* a pool of its own: new instances */
		struct lamb_bench_result r;
		at.memory_mb = c->memory[n];
		if (!c->json)
			fprintf(stderr, "lamb: benching '%s' at %ld MB\n", fn->logical_id, at.memory_mb);
		status = run(c, m, &at, log, event, len, &r);
		lamb_bench_tune_row(&v[n], &r, p);
		unscaled |= r.cpu_unscaled;
	}
	if (status != EXIT_OK)
		return status;
	if (c->json)
		print_tune_json(fn, v, n, p, unscaled);
	else
		print_tune_table(c, fn, v, n, p, unscaled);
	return c->plot_path ? write_plot(c->plot_path, fn, v, n, p) : EXIT_OK;
}

static int bench(struct bench_cli *c, const struct lamb_model *m, const struct lamb_function *fn)
{
	struct lamb_err err;
	struct lamb_bench_prices prices = { 0 };
	struct lamb_bench_result r;
	cleanup_free char *default_prices = c->prices_path ? NULL : cli_data_path("data/prices.json");
	const char *prices_path = c->prices_path ? c->prices_path : default_prices;
	size_t len;
	cleanup_free char *event = NULL;
	FILE *log = NULL;
	int status = EXIT_FAIL;
	if (lamb_bench_prices_load(&prices, prices_path, &err) < 0)
		return fail("%s", err.msg);
	if (!(event = run_read_event(c->event_path, &len)))
		goto out;
	if (!(log = fopen(c->log_path ? c->log_path : "/dev/null", c->log_path ? "ae" : "we"))) {
		fail("cannot open log file '%s': %s", c->log_path, strerror(errno));
		goto out;
	}
	if (c->nmemory) {
		status = tune(c, m, fn, log, event, len, &prices);
		goto out;
	}
	if (!c->json)
		fprintf(stderr, "lamb: benching '%s' with %ld caller%s\n", fn->logical_id, c->concurrency,
			c->concurrency == 1 ? "" : "s");
	status = run(c, m, fn, log, event, len, &r);
	if (status == EXIT_OK || status > 128) {
		struct report rp = { c, fn, &r, &prices, prices_path };
		if (c->json)
			print_json(&rp);
		else
			print_table(&rp);
		if (status == EXIT_OK && r.errors)
			status = EXIT_FAIL;
	}
out:
	if (log)
		fclose(log);
	lamb_bench_prices_release(&prices);
	return status;
}

int cmd_local_bench(int argc, char **argv)
{
	struct bench_cli c = { .concurrency = 1, .requests_per_month = 1000000 };
	template_opts_init(&c.topts);
	c.topts.lenient = true; /* as SAM CLI: what the template lacks fails only what uses it */
	run_opts_init(&c.run);
	int p = parse(&c, argc, argv);
	if (p <= 0) {
		template_opts_release(&c.topts);
		run_opts_release(&c.run);
		return p < 0 ? EXIT_USAGE : EXIT_OK;
	}
	if (!c.count && !c.duration_s)
		c.count = 100;
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = run_opts_profile(&c.run, &c.topts) == EXIT_OK ?
				      template_opts_load(&c.topts, &diags) : NULL;
	lamb_diags_sort(&diags);
	lamb_diags_print(&diags, stderr);
	const struct lamb_function *fn = m && !diags.errors ? run_pick_function(m, c.id) : NULL;
	int status = EXIT_FAIL;
	if (fn && fn->local_reason)
		fail("function '%s' cannot run locally: %s", fn->logical_id, fn->local_reason);
	else if (fn && run_opts_load(&c.run, m, fn) == EXIT_OK &&
		 (c.no_build || cli_build_for_run(m, fn) == EXIT_OK))
		status = bench(&c, m, fn);
	lamb_model_free(m);
	lamb_diags_release(&diags);
	template_opts_release(&c.topts);
	run_opts_release(&c.run);
	return status;
}
