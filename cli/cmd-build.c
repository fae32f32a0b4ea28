/* lamb build [LOGICAL_ID]: the template's functions and layers built,
 * zipped and pointed at by <build dir>/template.yaml. Progress (one line
 * per artifact) and failures with the tool's output go to stderr; stdout
 * stays empty. */
#include "build.h"
#include "cli.h"
#include "cli-template.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct progress {
	bool quiet;
	bool live; /* stderr is a terminal: a line that says what is being built */
	bool line_shown;
	size_t built, cached, failed;
};

static void size_str(char *buf, size_t n, uint64_t v)
{
	if (v >= 1024 * 1024)
		snprintf(buf, n, "%.1f MB", (double)v / (1024.0 * 1024.0));
	else if (v >= 1024)
		snprintf(buf, n, "%.1f KB", (double)v / 1024.0);
	else
		snprintf(buf, n, "%llu B", (unsigned long long)v);
}

static void print_output(const char *out)
{
	if (!out || !*out)
		return;
	for (const char *p = out; *p;) {
		const char *nl = strchrnul(p, '\n');
		fprintf(stderr, "    %.*s\n", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

static void on_progress(const struct lamb_build_report *r, void *data)
{
	struct progress *pr = data;
	const char *what = r->layer ? "layer" : "function";
	if (pr->line_shown) {
		fputs("\r\033[K", stderr);
		pr->line_shown = false;
	}
	if (r->state == LAMB_BUILD_STARTED) {
		if (pr->live && !pr->quiet) {
			fprintf(stderr, "building %s '%s'...", what, r->id);
			pr->line_shown = true;
		}
		return;
	}
	if (r->warning)
		fprintf(stderr, "lamb: warning: %s '%s': %s\n", what, r->id, r->warning);
	if (r->state == LAMB_BUILD_FAILED) {
		pr->failed++;
		fprintf(stderr, "lamb: cannot build %s '%s': %s\n", what, r->id, r->error ? r->error : "failed");
		print_output(r->output);
		return;
	}
	char z[32], u[32];
	size_str(z, sizeof(z), r->zipped);
	size_str(u, sizeof(u), r->unzipped);
	if (r->state == LAMB_BUILD_CACHED)
		pr->cached++;
	else
		pr->built++;
	if (!pr->quiet)
		fprintf(stderr, "%-10s %s '%s' (%s) in %.2f s: %s zipped, %s unzipped\n",
			r->state == LAMB_BUILD_CACHED ? "up to date" : "built", what, r->id, r->method, r->seconds,
			z, u);
}

static int parse(int argc, char **argv, struct template_opts *t, struct lamb_build_opts *o, bool *quiet)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = template_opts_parse(t, "build", argc, argv, &i);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_help(lamb_command_find("build"), stdout);
			return -1;
		} else if (strcmp(a, "-b") == 0 || strcmp(a, "--build-dir") == 0) {
			if (i + 1 >= argc)
				return usage_error("build", "option '%s' needs a value", a);
			o->build_dir = argv[++i];
		} else if (str_starts(a, "--build-dir=")) {
			o->build_dir = a + strlen("--build-dir=");
		} else if (strcmp(a, "--cached") == 0) {
			o->no_cached = false;
		} else if (strcmp(a, "--no-cached") == 0) {
			o->no_cached = true;
		} else if (strcmp(a, "--parallel") == 0 || strcmp(a, "-p") == 0) {
			o->parallel = true;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			*quiet = true;
		} else if (a[0] != '-' && !o->only) {
			o->only = a;
		} else {
			return usage_error("build", "unknown argument '%s'", a);
		}
	}
	return EXIT_OK;
}

static int build(struct template_opts *t, struct lamb_build_opts *o, struct progress *pr)
{
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = template_opts_load(t, &diags);
	lamb_diags_sort(&diags);
	int status = EXIT_OK;
	if (diags.errors || !m) {
		lamb_diags_print(&diags, stderr);
		status = EXIT_FAIL;
	} else {
		struct lamb_err err;
		if (lamb_build(m, o, &err) < 0) {
			if (!pr->failed) /* per-artifact failures are already printed */
				fprintf(stderr, "lamb: %s\n", err.msg);
			else
				fprintf(stderr, "lamb: build failed: %s\n", err.msg);
			status = EXIT_FAIL;
		} else if (!pr->quiet) {
			char *dir = lamb_build_dir(m, o);
			fprintf(stderr, "lamb: %zu built, %zu up to date; template in '%s/template.yaml'\n",
				pr->built, pr->cached, dir);
			free(dir);
		}
	}
	lamb_model_free(m);
	lamb_diags_release(&diags);
	return status;
}

int cmd_build(int argc, char **argv)
{
	struct template_opts t;
	struct progress pr = { 0 };
	struct lamb_build_opts o = { .progress = on_progress, .data = &pr };
	template_opts_init(&t);
	pr.live = isatty(2) && !getenv("NO_COLOR") && getenv("TERM") && strcmp(getenv("TERM"), "dumb") != 0;
	int r = parse(argc, argv, &t, &o, &pr.quiet);
	if (r == EXIT_OK)
		r = build(&t, &o, &pr);
	else if (r < 0)
		r = EXIT_OK;
	template_opts_release(&t);
	return r;
}
