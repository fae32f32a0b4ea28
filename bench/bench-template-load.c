/* Times lamb_model_load (read, parse, Globals, intrinsics, checks) on each
 * template given, many times over, and prints one line per template:
 * the median, fastest and 90th-percentile load in milliseconds; with -s,
 * what lamb validate does after the load is timed with it (the schema file
 * opened, the template checked against it). The bench/template-load script
 * drives it; this program only measures. */
#include "model/model.h"
#include "model/validate.h"
#include "template/diag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char usage[] =
	"usage: bench-template-load [-n REPS] [-w WARMUP] [-p NAME=VALUE]... [-s SCHEMAS] FILE...\n"
	"prints: FILE BYTES FUNCTIONS ERRORS MEDIAN_MS MIN_MS P90_MS (tab-separated)\n";

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static const char *schemas_path; /* -s: validate after each load */

static void validate(const struct lamb_model *m, struct lamb_diags *diags)
{
	struct lamb_err err;
	struct lamb_schemas *s = lamb_schemas_open(schemas_path, &err);
	if (!s) {
		fprintf(stderr, "bench-template-load: %s\n", err.msg);
		exit(1);
	}
	lamb_validate(m, s, diags);
	lamb_schemas_close(s);
}

/* One load; returns its duration and, through the pointers, what it found. */
static double load_once(const char *path, const struct lamb_overrides *overrides,
			size_t *nfunctions, size_t *errors)
{
	struct lamb_model_opts opts = { .overrides = overrides, .region = "us-east-1" };
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	double t0 = now_ms();
	struct lamb_model *m = lamb_model_load(path, &opts, &diags);
	if (m && schemas_path)
		validate(m, &diags);
	double t = now_ms() - t0;
	*nfunctions = m ? m->nfunctions : 0;
	*errors = diags.errors;
	lamb_model_free(m);
	lamb_diags_release(&diags);
	return t;
}

static int bench_file(const char *path, const struct lamb_overrides *overrides, long reps,
		      long warmup)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "bench-template-load: cannot stat '%s': %s\n", path, strerror(errno));
		return -1;
	}
	size_t nfunctions = 0, errors = 0;
	for (long i = 0; i < warmup; i++)
		load_once(path, overrides, &nfunctions, &errors);
	double *t = malloc((size_t)reps * sizeof(*t));
	if (!t)
		abort();
	for (long i = 0; i < reps; i++)
		t[i] = load_once(path, overrides, &nfunctions, &errors);
	qsort(t, (size_t)reps, sizeof(*t), cmp_double);
	double median = reps % 2 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
	printf("%s\t%lld\t%zu\t%zu\t%.4f\t%.4f\t%.4f\n", path, (long long)st.st_size, nfunctions,
	       errors, median, t[0], t[(size_t)((double)(reps - 1) * 0.9)]);
	free(t);
	return 0;
}

static long number_arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	return (*s && !*end && v >= 0) ? v : -1;
}

int main(int argc, char **argv)
{
	long reps = 200, warmup = 10;
	struct lamb_overrides overrides;
	lamb_overrides_init(&overrides);
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		struct lamb_err err;
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			reps = number_arg(argv[++i]);
		} else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc) {
			warmup = number_arg(argv[++i]);
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			schemas_path = argv[++i];
		} else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
			if (lamb_overrides_add(&overrides, argv[++i], &err) < 0) {
				fprintf(stderr, "bench-template-load: %s\n", err.msg);
				reps = -1;
			}
		} else {
			reps = -1;
		}
		if (reps < 1 || warmup < 0)
			break;
	}
	if (reps < 1 || warmup < 0 || i >= argc) {
		fputs(usage, stderr);
		lamb_overrides_release(&overrides);
		return 2;
	}
	int status = 0;
	for (; i < argc; i++)
		if (bench_file(argv[i], &overrides, reps, warmup) < 0)
			status = 1;
	if (fflush(stdout) != 0 || ferror(stdout))
		status = 1;
	lamb_overrides_release(&overrides);
	return status;
}
