/* Build progress lines, and "build before run": a function whose method
 * runs a tool is built incrementally before lamb runs it, and the model is
 * pointed at the built tree (and its layers' built trees), so a stale build
 * never hides a newer source and an unchanged one costs a manifest check.
 * Those builds are for this machine (--build-on-host), since they run here. */
#include "base/err.h"
#include "base/util.h"
#include "cli-build.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_size_str(char *buf, size_t n, uint64_t v)
{
	if (v >= 1024 * 1024)
		snprintf(buf, n, "%.1f MiB", (double)v / (1024.0 * 1024.0));
	else if (v >= 1024)
		snprintf(buf, n, "%.1f KiB", (double)v / 1024.0);
	else
		snprintf(buf, n, "%llu B", (unsigned long long)v);
}

void cli_build_print_output(const char *out)
{
	if (!out || !*out)
		return;
	for (const char *p = out; *p;) {
		const char *nl = strchrnul(p, '\n');
		fprintf(stderr, "    %.*s\n", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

void cli_build_on_progress(const struct lamb_build_report *r, void *data)
{
	struct cli_build_progress *pr = data;
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
	/* every warning once per run, however many functions and commands meet it */
	if (r->warning && lamb_warn_first(r->warning_key ? r->warning_key : r->warning))
		fprintf(stderr, "lamb: warning: %s '%s': %s\n", what, r->id, r->warning);
	if (r->state == LAMB_BUILD_FAILED) {
		pr->failed++;
		fprintf(stderr, "lamb: cannot build %s '%s': %s\n", what, r->id, r->error ? r->error : "failed");
		cli_build_print_output(r->output);
		return;
	}
	char z[32], u[32];
	cli_size_str(z, sizeof(z), r->zipped);
	cli_size_str(u, sizeof(u), r->unzipped);
	if (r->state == LAMB_BUILD_CACHED)
		pr->cached++;
	else
		pr->built++;
	if (!pr->quiet && !(pr->quiet_cached && r->state == LAMB_BUILD_CACHED))
		fprintf(stderr, "%-10s %s '%s' (%s) in %.2f s: %s zipped, %s unzipped\n",
			r->state == LAMB_BUILD_CACHED ? "up to date" : "built", what, r->id, r->method, r->seconds,
			z, u);
}

static void on_problem(const char *line, void *data)
{
	struct cli_build_progress *pr = data;
	pr->problems++;
	fprintf(stderr, "lamb: error: %s\n", line);
}

void cli_build_doctor_opts(struct lamb_build_opts *o)
{
	static char *base_libs; /* one per process; kept to the end */
	if (!base_libs)
		base_libs = cli_data_path("data/lambda-base-libs.txt");
	o->base_libs = base_libs;
	o->problem = on_problem;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The function and its template layers now run from their built trees. */
static void point_at_build(struct lamb_model *m, struct lamb_function *f, const char *code_dir,
			   const struct lamb_build_opts *o)
{
	if (!f->built_from)
		f->built_from = f->code;
	f->code = lamb_arena_strdup(m->arena, code_dir);
	for (size_t i = 0; i < f->nlayers; i++) {
		const struct lamb_layer *l = f->layers[i].layer;
		if (!l || l->code_kind != LAMB_CODE_LOCAL)
			continue;
		char *tree = lamb_build_tree_dir(m, o, l->logical_id);
		struct lamb_layer *ml = &m->layers[l - m->layers];
		if (is_dir(tree) && strcmp(tree, ml->content) != 0) {
			if (!ml->built_from)
				ml->built_from = ml->content;
			ml->content = lamb_arena_strdup(m->arena, tree);
		}
		free(tree);
	}
}

int cli_build_for_run(struct lamb_model *m, const struct lamb_function *only)
{
	struct cli_build_progress pr = { .quiet_cached = true };
	/* what runs here is built for here: a python3.12 arm64 function run by
	 * this machine's Python needs this machine's wheels (lamb build, package
	 * and deploy build for Lambda, and the doctor checks what they upload) */
	struct lamb_build_opts o = { .progress = cli_build_on_progress, .data = &pr, .on_host = true };
	pr.live = isatty(2) && !getenv("NO_COLOR");
	for (size_t i = 0; i < m->nfunctions; i++) {
		struct lamb_function *f = &m->functions[i];
		/* a nested stack's function runs from its source (lamb build leaves it out) */
		if ((only && f != only) || f->local_reason || f->code_kind != LAMB_CODE_LOCAL || f->stack ||
		    !lamb_build_needed(f))
			continue;
		char *dir = NULL;
		struct lamb_err err;
		o.only = f->logical_id;
		if (lamb_build_function(m, f, &o, &dir, &err) < 0) {
			if (!pr.failed)
				fprintf(stderr, "lamb: cannot build function '%s': %s\n", f->logical_id, err.msg);
			fprintf(stderr, "lamb: fix the build, or run the source as it is with --no-build\n");
			return EXIT_FAIL;
		}
		point_at_build(m, f, dir, &o);
		free(dir);
	}
	return EXIT_OK;
}
