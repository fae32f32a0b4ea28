/* lamb build [LOGICAL_ID]: the template's functions and layers built for
 * their targets, zipped and pointed at by <build dir>/template.yaml, then
 * checked by the native-code doctor; --check runs the doctor alone.
 * Progress (one line per artifact), failures with the tool's output and the
 * doctor's findings go to stderr; stdout stays empty. */
#include "base/util.h"
#include "build/build.h"
#include "build/doctor.h"
#include "cli-build.h"
#include "cli-template.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct build_cli {
	bool quiet;
	bool check; /* --check: the doctor only, on what is built */
};

static int parse(int argc, char **argv, struct template_opts *t, struct lamb_build_opts *o, struct build_cli *c)
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
		} else if (strcmp(a, "--wheelhouse") == 0 || str_starts(a, "--wheelhouse=")) {
			const char *v = a[strlen("--wheelhouse")] == '=' ? a + strlen("--wheelhouse=")
				: i + 1 < argc ? argv[++i] : NULL;
			if (!v)
				return usage_error("build", "option '%s' needs a value", a);
			o->wheelhouse = v;
		} else if (strcmp(a, "--build-on-host") == 0) {
			o->on_host = true;
		} else if (strcmp(a, "--cached") == 0) {
			o->no_cached = false;
		} else if (strcmp(a, "--no-cached") == 0) {
			o->no_cached = true;
		} else if (strcmp(a, "--parallel") == 0 || strcmp(a, "-p") == 0) {
			o->parallel = true;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			c->quiet = true;
		} else if (strcmp(a, "--check") == 0) {
			c->check = true;
		} else if (a[0] != '-' && !o->only) {
			o->only = a;
		} else {
			return usage_error("build", "unknown argument '%s'", a);
		}
	}
	return EXIT_OK;
}

/* The native-code doctor over what is built: EXIT_OK when it finds nothing. */
static int doctor(const struct lamb_model *m, const struct lamb_build_opts *o, struct cli_build_progress *pr,
		  bool check)
{
	size_t problems, checked;
	struct lamb_err err;
	if (lamb_doctor_check(m, o, &problems, &checked, &err) < 0) {
		fprintf(stderr, "lamb: cannot check the artifacts: %s\n", err.msg);
		return EXIT_FAIL;
	}
	if (check && !checked) {
		fprintf(stderr, "lamb: nothing built to check: run lamb build first\n");
		return EXIT_FAIL;
	}
	if (problems) {
		fprintf(stderr, "lamb: %zu problem%s: Lambda would not load %s; lamb package and lamb deploy refuse "
			"to upload until they are fixed (or --no-verify)\n", problems, problems == 1 ? "" : "s",
			problems == 1 ? "it" : "them");
		return EXIT_FAIL;
	}
	if (check && !pr->quiet)
		fprintf(stderr, "lamb: %zu artifact%s checked: every native file fits its runtime and architecture\n",
			checked, checked == 1 ? "" : "s");
	return EXIT_OK;
}

static int build(struct template_opts *t, struct lamb_build_opts *o, struct cli_build_progress *pr, bool check)
{
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = template_opts_load(t, &diags);
	lamb_diags_sort(&diags);
	int status = EXIT_OK;
	if (diags.errors || !m) {
		lamb_diags_print(&diags, stderr);
		status = EXIT_FAIL;
	} else if (check) {
		o->doctor_reads_all = true; /* what is checked is what is there, edited by hand or not */
		status = doctor(m, o, pr, true);
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
		if (status == EXIT_OK)
			status = doctor(m, o, pr, false);
	}
	lamb_model_free(m);
	lamb_diags_release(&diags);
	return status;
}

int cmd_build(int argc, char **argv)
{
	struct template_opts t;
	struct cli_build_progress pr = { 0 };
	struct lamb_build_opts o = { .progress = cli_build_on_progress, .data = &pr };
	struct build_cli c = { 0 };
	template_opts_init(&t);
	cli_build_doctor_opts(&o);
	pr.live = isatty(2) && !getenv("NO_COLOR") && getenv("TERM") && strcmp(getenv("TERM"), "dumb") != 0;
	int r = parse(argc, argv, &t, &o, &c);
	pr.quiet = c.quiet;
	if (r == EXIT_OK)
		r = build(&t, &o, &pr, c.check);
	else if (r < 0)
		r = EXIT_OK;
	template_opts_release(&t);
	return r;
}
