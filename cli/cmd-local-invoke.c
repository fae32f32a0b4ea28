/* lamb local invoke: one function, one event (or --repeat N of them on the
 * same warm instance), the response on stdout, everything else on stderr.
 * The function runs through lamb_invoke like every other front end. */
#include "cli-build.h"
#include "cli-run.h"
#include "cli-template.h"
#include "cli.h"

#include "base/loop.h"
#include "base/util.h"
#include "engine/invoke.h"
#include "engine/sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct invoke_cli {
	struct template_opts topts;
	const char *id;
	const char *event_path;
	const char *log_path;
	const char *tenant_id; /* --tenant-id, for a PER_TENANT function */
	long repeat;
	struct run_opts run; /* --env-vars, --layer-dir */
	bool no_build;
	bool no_event; /* --no-event: SAM's flag for the {} event, which is lamb's default */
	bool list_interpreters;
};

struct run {
	struct lamb_loop *loop;
	struct lamb_invoker *iv;
	const struct lamb_function *fn;
	struct lamb_invoke_req req;
	long left;
	int status;
	bool interrupted;
};

/* 1 to go on, 0 after --help, -1 on a usage error (printed). */
static int parse(struct invoke_cli *c, int argc, char **argv)
{
	static const char cmd[] = "local invoke";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = template_opts_parse(&c->topts, cmd, argc, argv, &i);
		if (r == 0)
			r = run_opts_parse(&c->run, cmd, true, argc, argv, &i);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		const char **dst = NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_help(lamb_command_find(cmd), stdout);
			return 0;
		} else if (cli_opt_is(a, "-e", "--event")) {
			dst = &c->event_path;
		} else if (cli_opt_is(a, "-l", "--log-file")) {
			dst = &c->log_path;
		} else if (cli_opt_is(a, NULL, "--tenant-id")) {
			dst = &c->tenant_id;
		} else if (cli_opt_is(a, NULL, "--repeat")) {
			if (cli_opt_number(cmd, argc, argv, &i, 1, 1000000, &c->repeat) < 0)
				return -1;
			continue;
		} else if (strcmp(a, "--no-build") == 0) {
			c->no_build = true;
			continue;
		} else if (strcmp(a, "--no-event") == 0) {
			c->no_event = true;
			continue;
		} else if (strcmp(a, "--list-interpreters") == 0) {
			c->list_interpreters = true;
			continue;
		} else if (a[0] == '-' && a[1]) {
			return usage_error(cmd, "unknown option '%s'", a), -1;
		} else if (!c->id) {
			c->id = a;
			continue;
		} else {
			return usage_error(cmd, "unexpected argument '%s'", a), -1;
		}
		*dst = cli_opt_value(cmd, argc, argv, &i);
		if (!*dst)
			return -1;
	}
	if (c->no_event && c->event_path)
		return usage_error(cmd, "--no-event and -e cannot be used together; give one"), -1;
	return 1;
}

static void on_outcome(void *data, const struct lamb_outcome *o);

static void start_one(struct run *r)
{
	struct lamb_err err;
	if (lamb_invoke(r->iv, r->fn, &r->req, on_outcome, r, &err) < 0) {
		fail("%s", err.msg);
		r->status = EXIT_FAIL;
		lamb_loop_stop(r->loop);
	}
}

static void on_outcome(void *data, const struct lamb_outcome *o)
{
	struct run *r = data;
	fwrite(o->body, 1, o->len, stdout);
	fputc('\n', stdout);
	bool written = cli_flush_stdout() == 0; /* else main() reports it */
	if (o->function_error)
		r->status = EXIT_FAIL;
	if (--r->left > 0 && !r->interrupted && written)
		start_one(r);
	else
		lamb_loop_stop(r->loop);
}

static void on_terminate(void *data, int signo)
{
	struct run *r = data;
	fprintf(stderr, "lamb: %s: stopping\n", strsignal(signo));
	r->interrupted = true;
	r->status = 128 + signo;
	lamb_loop_stop(r->loop);
}

static int invoke_run(const struct invoke_cli *c, const struct lamb_function *fn, const struct lamb_model *m,
		      FILE *log, char *event, size_t len)
{
	struct lamb_err err;
	struct run r = { .fn = fn, .left = c->repeat, .status = EXIT_OK };
	r.loop = lamb_loop_new(&err);
	if (!r.loop)
		return fail("%s", err.msg), EXIT_INTERNAL;
	struct lamb_logstore *logs = run_logs_open(&c->run, r.loop, m);
	struct lamb_invoke_opts io = {
		.log = log,
		.logs = logs,
		.max_instances = 1, /* --repeat reuses the one warm instance */
		.boot = { .region = m->region, .user_env = c->run.user_env, .env_vars = c->run.env_vars,
			  .layer_dirs = &c->run.layer_dirs, .sandbox = c->run.sandbox,
			  .debug = &c->run.debug },
	};
	r.iv = lamb_invoke_new(r.loop, &io);
	lamb_loop_on_terminate(r.loop, on_terminate, &r);
	r.req.event = event;
	r.req.len = len;
	r.req.tenant_id = c->tenant_id;
	r.req.whole = true; /* one run to its REPORT, extensions' part too, before the next or the exit */
	start_one(&r);
	if (!lamb_loop_stopped(r.loop) && lamb_loop_run(r.loop, &err) < 0)
		r.status = fail("%s", err.msg);
	lamb_invoke_free(r.iv); /* kills and reaps every instance */
	lamb_logstore_free(logs);
	lamb_loop_free(r.loop);
	return r.status;
}

/* --list-interpreters: the host interpreter each runtime lamb runs would
 * use here (the current directory's .python-version and the like apply). */
static int list_interpreters(void)
{
	static const char *const runtimes[] = { "python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
						"python3.14", "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x" };
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		return fail("cannot read the current directory: %s", strerror(errno)), EXIT_FAIL;
	for (size_t i = 0; i < ARRAY_SIZE(runtimes); i++) {
		char *line = lamb_bootstrap_describe(runtimes[i], cwd);
		printf("%s\n", line);
		free(line);
	}
	return cli_flush_stdout() == 0 ? EXIT_OK : EXIT_FAIL;
}

int cmd_local_invoke(int argc, char **argv)
{
	struct invoke_cli c = { .repeat = 1 };
	run_opts_init(&c.run);
	int status = EXIT_FAIL;
	template_opts_init(&c.topts);
	c.topts.lenient = true; /* as SAM CLI: what the template lacks fails only what uses it */
	int p = parse(&c, argc, argv);
	if (p <= 0) {
		run_opts_release(&c.run);
		template_opts_release(&c.topts);
		return p < 0 ? EXIT_USAGE : EXIT_OK;
	}
	if (c.list_interpreters) {
		run_opts_release(&c.run);
		template_opts_release(&c.topts);
		return list_interpreters();
	}
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = run_opts_profile(&c.run, &c.topts) == EXIT_OK ?
				      template_opts_load(&c.topts, &diags) : NULL;
	lamb_diags_sort(&diags);
	lamb_diags_print(&diags, stderr);
	const struct lamb_function *fn = m && !diags.errors ? run_pick_function(m, c.id) : NULL;
	size_t len = 0;
	char *event = NULL;
	FILE *log = NULL;
	if (!fn || run_opts_load(&c.run, m, fn) != EXIT_OK)
		goto out;
	if (!c.no_build && cli_build_for_run(m, fn) != EXIT_OK)
		goto out;
	if (!(event = run_read_event(c.event_path, &len)))
		goto out;
	if (c.log_path && !(log = fopen(c.log_path, "ae"))) {
		fail("cannot open log file '%s': %s", c.log_path, strerror(errno));
		goto out;
	}
	status = invoke_run(&c, fn, m, log, event, len);
out:
	if (log)
		fclose(log);
	free(event);
	run_opts_release(&c.run);
	lamb_model_free(m);
	lamb_diags_release(&diags);
	template_opts_release(&c.topts);
	return status;
}
