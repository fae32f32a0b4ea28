/* lamb local start-lambda: the Lambda Invoke API for the AWS CLI and SDKs
 * (--endpoint-url http://127.0.0.1:3001), over warm instances. */
#include "base/loop.h"
#include "base/util.h"
#include "cli-build.h"
#include "cli-run.h"
#include "cli-template.h"
#include "cli.h"
#include "front/dashboard.h"
#include "engine/invoke.h"
#include "front/lambda-api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct start_lambda {
	struct template_opts topts;
	struct run_opts run; /* --env-vars, --layer-dir */
	struct serve_opts srv;
	const char **only; /* NULL-terminated, or NULL */
	size_t nonly;
	bool no_watch;
};

static const char cmd[] = "local start-lambda";

/* 1 to go on, 0 after --help, -1 on a usage error (printed). */
static int parse(struct start_lambda *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = template_opts_parse(&c->topts, cmd, argc, argv, &i);
		if (r == 0)
			r = serve_opts_parse(&c->srv, cmd, argc, argv, &i);
		if (r == 0)
			r = run_opts_parse(&c->run, cmd, true, argc, argv, &i);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_help(lamb_command_find(cmd), stdout);
			return 0;
		} else if (strcmp(a, "--no-watch") == 0) {
			c->no_watch = true;
		} else if (a[0] == '-') {
			return usage_error(cmd, "unknown option '%s'", a), -1;
		} else {
			c->only = xrealloc(c->only, (c->nonly + 2) * sizeof(*c->only));
			c->only[c->nonly++] = a;
			c->only[c->nonly] = NULL;
		}
	}
	return 1;
}

static int serve(const struct start_lambda *c, const struct lamb_model *m, FILE *log)
{
	struct lamb_err err;
	struct lamb_loop *loop = lamb_loop_new(&err);
	if (!loop)
		return fail("%s", err.msg), EXIT_INTERNAL;
	struct lamb_logstore *logs = run_logs_open(&c->run, loop, m);
	struct lamb_dashboard *dash = NULL;
	struct lamb_invoke_opts io = {
		.observe = lamb_dashboard_observe,
		.observe_data = &dash,
		.log = log,
		.logs = logs,
		.max_instances = (int)c->srv.max_concurrency,
		.throttle = true,
		.idle_ms = (uint64_t)c->srv.idle_timeout_s * 1000,
		.no_stream_limits = c->srv.no_stream_limits,
		.boot = { .region = m->region, .user_env = c->run.user_env, .env_vars = c->run.env_vars,
			  .layer_dirs = &c->run.layer_dirs, .sandbox = c->run.sandbox,
			  .debug = &c->run.debug },
	};
	struct lamb_invoker *iv = lamb_invoke_new(loop, &io);
	struct lamb_lambda_api_opts ao = { .host = c->srv.host, .port = (int)c->srv.port, .only = c->only, .log = log };
	struct lamb_lambda_api *a = lamb_lambda_api_new(loop, iv, m, &ao, &err);
	int status;
	struct cli_reload *reload = NULL;
	if (!a) {
		status = fail("%s", err.msg);
	} else {
		for (size_t i = 0; i < m->nfunctions; i++) {
			const struct lamb_function *f = &m->functions[i];
			bool listed = !c->only;
			for (size_t j = 0; j < c->nonly; j++)
				listed |= lamb_model_find_function(m, c->only[j]) == f;
			if (listed)
				fprintf(stderr, "%s (%s)%s%s\n", f->logical_id, f->name,
					f->local_reason ? ": cannot run locally: " : "",
					f->local_reason ? f->local_reason : "");
			if (listed && c->srv.eager && !f->local_reason && lamb_invoke_prestart(iv, f, &err) < 0)
				fprintf(stderr, "lamb: warning: %s\n", err.msg);
		}
		if (!c->no_watch)
			reload = cli_reload_new(loop, iv, m, c->srv.eager);
		fprintf(stderr, "lamb: serving the Lambda Invoke API on http://%s:%d (Ctrl-C to stop)\n",
			c->srv.host, lamb_lambda_api_port(a));
		/* after the API's address, which scripts take as the first one said */
		if (cli_dashboard_new(&c->srv, loop, iv, m, NULL, &dash)) {
			char *url = xasprintf("http://%s:%d", c->srv.host, lamb_dashboard_port(dash));
			lamb_lambda_api_set_dashboard(a, url); /* PORT/_lamb/ leads there too */
			free(url);
		}
		fflush(stderr);
		status = cli_serve(loop);
	}
	cli_reload_free(reload);
	lamb_dashboard_free(dash);
	dash = NULL;
	lamb_invoke_free(iv); /* kills and reaps every instance */
	lamb_lambda_api_free(a);
	lamb_logstore_free(logs);
	lamb_loop_free(loop);
	return status;
}

int cmd_local_start_lambda(int argc, char **argv)
{
	struct start_lambda c = { 0 };
	serve_opts_init(&c.srv, 3001);
	template_opts_init(&c.topts);
	c.topts.lenient = true; /* as SAM CLI: what the template lacks fails only what uses it */
	run_opts_init(&c.run);
	int p = parse(&c, argc, argv);
	int status = p < 0 ? EXIT_USAGE : EXIT_OK;
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = NULL;
	FILE *log = NULL;
	if (p <= 0)
		goto out;
	cli_warn_host(c.srv.host);
	status = EXIT_FAIL;
	m = run_opts_profile(&c.run, &c.topts) == EXIT_OK ? template_opts_load(&c.topts, &diags) : NULL;
	lamb_diags_sort(&diags);
	lamb_diags_print(&diags, stderr); /* warnings too: what lenient loading left unresolved */
	if (diags.errors || !m)
		goto out;
	for (size_t i = 0; i < c.nonly; i++)
		if (!lamb_model_find_function(m, c.only[i])) {
			fail("no function '%s' in '%s'", c.only[i], m->path);
			goto out;
		}
	if (run_opts_load(&c.run, m, NULL) != EXIT_OK)
		goto out;
	if (c.srv.log_path && !(log = fopen(c.srv.log_path, "ae"))) {
		fail("cannot open log file '%s': %s", c.srv.log_path, strerror(errno));
		goto out;
	}
	if (!c.srv.no_build && cli_build_for_run(m, NULL) != EXIT_OK)
		goto out;
	status = serve(&c, m, log);
out:
	if (log)
		fclose(log);
	free(c.only);
	lamb_model_free(m);
	lamb_diags_release(&diags);
	template_opts_release(&c.topts);
	run_opts_release(&c.run);
	return status;
}
