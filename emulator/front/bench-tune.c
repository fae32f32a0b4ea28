/* Memory tuning for lamb local bench --memory, like AWS Lambda Power
 * Tuning but before deploying: one row per MemorySize setting, the
 * cheapest setting, the fastest within 10% of its cost, and a plot of
 * duration and cost against memory as a self-contained SVG (no script, no
 * external font or style: readable in any browser or image viewer). */
#include "base/util.h"
#include "front/bench.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void lamb_bench_tune_row(struct lamb_bench_setting *s, const struct lamb_bench_result *r,
			 const struct lamb_bench_prices *p)
{
	memset(s, 0, sizeof(*s));
	s->memory_mb = r->memory_size_mb;
	s->p50 = r->duration.n ? r->duration.p50 : r->cold.p50;
	s->p99 = r->duration.n ? r->duration.p99 : r->cold.p99;
	s->billed_ms = r->billed_ms;
	s->max_memory_mb = r->peak_memory_mb;
	s->errors = r->errors;
	for (size_t i = 0; i < p->narchs && i < LAMB_BENCH_MAX_ARCHS; i++) {
		struct lamb_bench_cost c;
		lamb_bench_prices_cost(p, &p->archs[i], 1e6, r->billed_ms, r->memory_size_mb, &c);
		s->per_million[i] = c.total;
	}
}

void lamb_bench_tune_pick(const struct lamb_bench_setting *v, size_t n, size_t arch, size_t *cheapest,
			  size_t *fastest)
{
	*cheapest = *fastest = 0;
	for (size_t i = 1; i < n; i++)
		if (v[i].per_million[arch] < v[*cheapest].per_million[arch])
			*cheapest = i;
	double budget = v[*cheapest].per_million[arch] * 1.10;
	*fastest = *cheapest;
	for (size_t i = 0; i < n; i++)
		if (v[i].per_million[arch] <= budget && v[i].p50 < v[*fastest].p50)
			*fastest = i;
}

/* --- the plot --- */

#define W 760
#define H 440
#define LEFT 70
#define RIGHT 80
#define TOP 50
#define BOTTOM 70

static double nice_max(double v)
{
	if (!(v > 0))
		return 1;
	double p = pow(10, floor(log10(v)));
	for (double m = 1; m <= 10; m += m < 2 ? 1 : m < 5 ? 3 : 5)
		if (m * p >= v)
			return m * p;
	return 10 * p;
}

static double x_of(size_t i, size_t n)
{
	double span = W - LEFT - RIGHT;
	return n <= 1 ? LEFT + span / 2 : LEFT + span * (double)i / (double)(n - 1);
}

static double y_of(double v, double max)
{
	return TOP + (H - TOP - BOTTOM) * (1 - v / max);
}

static void axes(struct lamb_buf *b, double dmax, double cmax, const char *currency)
{
	lamb_buf_addf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n",
		      LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
	for (int k = 0; k <= 4; k++) {
		double y = y_of(dmax * k / 4, dmax);
		lamb_buf_addf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>\n", LEFT, y,
			      W - RIGHT, y);
		lamb_buf_addf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#1f77b4\">%.4g</text>\n",
			      LEFT - 6, y + 4, dmax * k / 4);
		lamb_buf_addf(b, "<text x=\"%d\" y=\"%.1f\" fill=\"#d62728\">%.4g</text>\n", W - RIGHT + 6, y + 4,
			      cmax * k / 4);
	}
	lamb_buf_addf(b, "<text x=\"18\" y=\"%d\" transform=\"rotate(-90 18 %d)\" text-anchor=\"middle\" "
		      "fill=\"#1f77b4\">duration p50 (ms)</text>\n", (H - BOTTOM + TOP) / 2, (H - BOTTOM + TOP) / 2);
	lamb_buf_addf(b, "<text x=\"%d\" y=\"%d\" transform=\"rotate(90 %d %d)\" text-anchor=\"middle\" "
		      "fill=\"#d62728\">cost per million invocations (%s)</text>\n", W - 18, (H - BOTTOM + TOP) / 2,
		      W - 18, (H - BOTTOM + TOP) / 2, currency);
	lamb_buf_addf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">MemorySize (MB)</text>\n",
		      (LEFT + W - RIGHT) / 2, H - 20);
}

static void series(struct lamb_buf *b, const struct lamb_bench_setting *v, size_t n, size_t arch, bool cost,
		   double max, const char *color)
{
	lamb_buf_addf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
	for (size_t i = 0; i < n; i++)
		lamb_buf_addf(b, "%s%.1f,%.1f", i ? " " : "", x_of(i, n),
			      y_of(cost ? v[i].per_million[arch] : v[i].p50, max));
	lamb_buf_addstr(b, "\"/>\n");
	for (size_t i = 0; i < n; i++)
		lamb_buf_addf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x_of(i, n),
			      y_of(cost ? v[i].per_million[arch] : v[i].p50, max), color);
}

char *lamb_bench_tune_svg(const struct lamb_bench_setting *v, size_t n, size_t arch, const char *arch_name,
			  const char *title, const char *currency)
{
	struct lamb_buf b;
	lamb_buf_init(&b);
	double dmax = 0, cmax = 0;
	size_t cheapest, fastest;
	lamb_bench_tune_pick(v, n, arch, &cheapest, &fastest);
	for (size_t i = 0; i < n; i++) {
		dmax = fmax(dmax, v[i].p50);
		cmax = fmax(cmax, v[i].per_million[arch]);
	}
	dmax = nice_max(dmax);
	cmax = nice_max(cmax);
	lamb_buf_addf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		      W, H, W, H);
	lamb_buf_addf(&b, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">", W / 2);
	for (const char *c = title; *c; c++)
		lamb_buf_addstr(&b, *c == '<' ? "&lt;" : *c == '>' ? "&gt;" : *c == '&' ? "&amp;" : (char[]){ *c, 0 });
	lamb_buf_addf(&b, " (%s)</text>\n", arch_name);
	axes(&b, dmax, cmax, currency);
	for (size_t i = 0; i < n; i++)
		lamb_buf_addf(&b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%ld</text>\n", x_of(i, n),
			      H - BOTTOM + 16, v[i].memory_mb);
	series(&b, v, n, arch, false, dmax, "#1f77b4");
	series(&b, v, n, arch, true, cmax, "#d62728");
	lamb_buf_addf(&b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#2ca02c\">cheapest</text>\n",
		      x_of(cheapest, n), H - BOTTOM + 32);
	if (fastest != cheapest)
		lamb_buf_addf(&b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#2ca02c\">"
			      "fastest within 10%%</text>\n", x_of(fastest, n), H - BOTTOM + 46);
	lamb_buf_addstr(&b, "</svg>\n");
	return lamb_buf_steal(&b);
}
