/* lamb local start: the whole template on one loop and one set of pools:
 * its APIs (as start-api), the Invoke API (as start-lambda) and the local
 * services that fire functions by themselves (schedules on a clock that
 * tests can drive), one port each, printed at start; the dashboard on a
 * port of its own, which /_lamb/ on the other two leads to. */
#include "base/loop.h"
#include "base/util.h"
#include "cli-build.h"
#include "cli-run.h"
#include "cli-template.h"
#include "cli.h"
#include "engine/env-vars.h"
#include "engine/invoke.h"
#include "engine/logstore.h"
#include "front/apigw-server.h"
#include "front/dashboard.h"
#include "front/lambda-api.h"
#include "front/local-services.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct local_start {
	struct template_opts topts;
	struct run_opts run; /* --env-vars, --layer-dir */
	struct serve_opts srv; /* -p is the APIs' port */
	long lambda_port, services_port;
	const char *static_dir;
	long integration_timeout_s;
	bool manual_clock;
	bool disable_authorizer;
	bool no_watch;
};

static const char cmd[] = "local start";

static int parse_clock(struct local_start *c, int argc, char **argv, int *i)
{
	const char *v = cli_opt_value(cmd, argc, argv, i);
	if (!v)
		return -1;
	if (strcmp(v, "real") != 0 && strcmp(v, "manual") != 0)
		return usage_error(cmd, "--clock takes real or manual, not '%s'", v), -1;
	c->manual_clock = strcmp(v, "manual") == 0;
	return 1;
}

/* The options of this command only: 1 when argv[*i] was one, 0 when not,
 * -1 after a usage error. */
static int parse_own(struct local_start *c, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (cli_opt_is(a, NULL, "--lambda-port"))
		return cli_opt_number(cmd, argc, argv, i, 0, 65535, &c->lambda_port) < 0 ? -1 : 1;
	if (cli_opt_is(a, NULL, "--services-port"))
		return cli_opt_number(cmd, argc, argv, i, 0, 65535, &c->services_port) < 0 ? -1 : 1;
	if (cli_opt_is(a, NULL, "--clock"))
		return parse_clock(c, argc, argv, i);
	if (cli_opt_is(a, "-s", "--static-dir"))
		return (c->static_dir = cli_opt_value(cmd, argc, argv, i)) ? 1 : -1;
	if (cli_opt_is(a, NULL, "--integration-timeout"))
		return cli_opt_number(cmd, argc, argv, i, 1, 900, &c->integration_timeout_s) < 0 ? -1 : 1;
	if (strcmp(a, "--disable-authorizer") == 0)
		return c->disable_authorizer = true, 1;
	if (strcmp(a, "--no-watch") == 0)
		return c->no_watch = true, 1;
	return 0;
}

/* 1 to go on, 0 after --help, -1 on a usage error (printed). */
static int parse(struct local_start *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = template_opts_parse(&c->topts, cmd, argc, argv, &i);
		if (r == 0)
			r = serve_opts_parse(&c->srv, cmd, argc, argv, &i);
		if (r == 0)
			r = run_opts_parse(&c->run, cmd, true, argc, argv, &i);
		if (r == 0)
			r = parse_own(c, argc, argv, &i);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_help(lamb_command_find(cmd), stdout);
			return 0;
		}
		return usage_error(cmd, "unknown argument '%s'", a), -1;
	}
	return 1;
}

/* What one run holds; everything NULL is simply not served. */
struct servers {
	struct lamb_loop *loop;
	struct lamb_invoker *iv;
	struct lamb_apigw_server *api;
	struct lamb_lambda_api *lambda;
	struct lamb_local_services *services;
	struct cli_reload *reload;
	struct lamb_logstore *logs;
	struct lamb_dashboard *dash; /* the invoker's observe_data points here */
};

static int open_api(const struct local_start *c, const struct lamb_model *m, FILE *log, struct servers *s)
{
	struct lamb_err err;
	if (m->nroutes == 0) {
		fprintf(stderr, "lamb: the template has no Api or HttpApi events: no API port\n");
		return 0;
	}
	struct lamb_apigw_server_opts so = {
		.host = c->srv.host,
		.port = (int)c->srv.port,
		.static_dir = c->static_dir,
		.integration_timeout_ms = (uint64_t)c->integration_timeout_s * 1000,
		.log = log,
		.disable_authorizers = c->disable_authorizer,
	};
	if (!(s->api = lamb_apigw_server_new(s->loop, s->iv, m, &so, &err)))
		return fail("%s", err.msg), -1;
	for (size_t i = 0; i < m->nroutes; i++) {
		const struct lamb_route *r = &m->routes[i];
		fprintf(stderr, "%s %s -> %s\n", r->method, r->path, r->function->logical_id);
	}
	fprintf(stderr, "lamb: serving the APIs on http://%s:%d\n", c->srv.host, lamb_apigw_server_port(s->api));
	return 0;
}

static int open_lambda(const struct local_start *c, const struct lamb_model *m, FILE *log, struct servers *s)
{
	struct lamb_err err;
	struct lamb_lambda_api_opts ao = { .host = c->srv.host, .port = (int)c->lambda_port, .log = log,
					   .on_event = lamb_local_services_event, .event_data = s->services };
	if (!(s->lambda = lamb_lambda_api_new(s->loop, s->iv, m, &ao, &err)))
		return fail("%s", err.msg), -1;
	fprintf(stderr, "lamb: serving the Lambda Invoke API on http://%s:%d\n", c->srv.host,
		lamb_lambda_api_port(s->lambda));
	return 0;
}

static int open_services(const struct local_start *c, const struct lamb_model *m, FILE *log, struct servers *s)
{
	struct lamb_err err;
	struct lamb_local_services_opts o = {
		.host = c->srv.host,
		.port = (int)c->services_port,
		.manual_clock = c->manual_clock,
		.log = log ? log : stderr,
	};
	if (!(s->services = lamb_local_services_new(s->loop, s->iv, m, &o, &err)))
		return fail("%s", err.msg), -1;
	fprintf(stderr, "lamb: serving the local services and the clock (%s) on http://%s:%d\n",
		c->manual_clock ? "manual" : "real", c->srv.host, lamb_local_services_port(s->services));
	lamb_local_services_describe(s->services, stderr);
	return 0;
}

/* AWS_ENDPOINT_URL_SQS, _SNS, _EVENTBRIDGE, _S3 and _LAMBDA, which current SDKs
 * honour, so that a function reaches the local services: first among
 * --env-vars' global variables, so that the file may still override them. */
static void endpoint_env(struct lamb_env_vars *ev, const char *host, int services, int lambda)
{
	const char *names[] = { "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_EVENTBRIDGE",
				"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_LAMBDA" };
	size_t n = ARRAY_SIZE(names);
	struct lamb_kv *v = xcalloc(n + ev->global.len, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i].key = xstrdup(names[i]);
		v[i].value = xasprintf("http://%s:%d", host, i + 1 == n ? lambda : services);
	}
	if (ev->global.len)
		memcpy(v + n, ev->global.v, ev->global.len * sizeof(*v));
	free(ev->global.v);
	ev->global.v = v;
	ev->global.len += n;
}

static void prestart(const struct lamb_model *m, struct lamb_invoker *iv)
{
	for (size_t i = 0; i < m->nfunctions; i++) {
		struct lamb_err err;
		const struct lamb_function *f = &m->functions[i];
		if (!f->local_reason && lamb_invoke_prestart(iv, f, &err) < 0)
			fprintf(stderr, "lamb: warning: %s\n", err.msg);
	}
}

static void describe(void *data, FILE *out)
{
	lamb_local_services_describe(data, out);
}

/* After the ports, which scripts take in the order said; the APIs' and the
 * Invoke API's /_lamb/ lead there too. */
static void open_dashboard(const struct local_start *c, const struct lamb_model *m, struct servers *s)
{
	char *api = s->api ? xasprintf("http://%s:%d", c->srv.host, lamb_apigw_server_port(s->api)) : NULL;
	if (cli_dashboard_with(&c->srv, s->loop, s->iv, m, api, describe, s->services, &s->dash)) {
		char *url = xasprintf("http://%s:%d", c->srv.host, lamb_dashboard_port(s->dash));
		if (s->api)
			lamb_apigw_server_set_dashboard(s->api, url);
		lamb_lambda_api_set_dashboard(s->lambda, url);
		free(url);
	}
	free(api);
}

static void close_servers(struct servers *s)
{
	cli_reload_free(s->reload);
	lamb_dashboard_free(s->dash);
	s->dash = NULL;
	lamb_invoke_free(s->iv); /* kills and reaps every instance; no callback comes after */
	lamb_local_services_free(s->services);
	lamb_apigw_server_free(s->api);
	lamb_lambda_api_free(s->lambda);
	lamb_logstore_free(s->logs);
	lamb_loop_free(s->loop);
}

static int serve(struct local_start *c, const struct lamb_model *m, FILE *log)
{
	struct lamb_err err;
	struct servers s = { 0 };
	if (!c->run.env_vars) { /* read by each instance as it starts: filled once the ports are known */
		c->run.env_vars = xcalloc(1, sizeof(*c->run.env_vars));
		c->run.env_vars->path = xstrdup("lamb local start");
	}
	if (!(s.loop = lamb_loop_new(&err)))
		return fail("%s", err.msg), EXIT_INTERNAL;
	s.logs = run_logs_open(&c->run, s.loop, m);
	struct lamb_invoke_opts io = {
		.observe = lamb_dashboard_observe,
		.observe_data = &s.dash,
		.log = log,
		.logs = s.logs,
		.max_instances = (int)c->srv.max_concurrency,
		.throttle = true,
		.idle_ms = (uint64_t)c->srv.idle_timeout_s * 1000,
		.boot = { .region = m->region, .user_env = c->run.user_env, .env_vars = c->run.env_vars,
			  .layer_dirs = &c->run.layer_dirs, .sandbox = c->run.sandbox,
			  .debug = &c->run.debug },
	};
	s.iv = lamb_invoke_new(s.loop, &io);
	int status = EXIT_FAIL;
	for (size_t i = 0; i < m->nfunctions; i++)
		if (m->functions[i].local_reason)
			fprintf(stderr, "lamb: warning: %s cannot run locally: %s\n", m->functions[i].logical_id,
				m->functions[i].local_reason);
	if (open_services(c, m, log, &s) == 0 && open_api(c, m, log, &s) == 0 && open_lambda(c, m, log, &s) == 0) {
		endpoint_env(c->run.env_vars, c->srv.host, lamb_local_services_port(s.services),
			     lamb_lambda_api_port(s.lambda));
		if (!c->no_watch)
			s.reload = cli_reload_new(s.loop, s.iv, m, c->srv.eager);
		if (c->srv.eager)
			prestart(m, s.iv);
		open_dashboard(c, m, &s);
		fprintf(stderr, "lamb: ready (Ctrl-C to stop)\n");
		fflush(stderr);
		status = cli_serve(s.loop);
	}
	close_servers(&s);
	return status;
}

int cmd_local_start(int argc, char **argv)
{
	struct local_start c = { .lambda_port = 3001, .services_port = 3002 };
	serve_opts_init(&c.srv, 3000);
	template_opts_init(&c.topts);
	c.topts.lenient = true; /* as SAM CLI: what the template lacks fails only what uses it */
	run_opts_init(&c.run);
	int p = parse(&c, argc, argv);
	int status = p < 0 ? EXIT_USAGE : EXIT_OK;
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = NULL;
	FILE *log = NULL;
	struct stat st;
	if (p <= 0)
		goto out;
	if (!c.static_dir && stat("public", &st) == 0 && S_ISDIR(st.st_mode))
		c.static_dir = "public";
	cli_warn_host(c.srv.host);
	status = EXIT_FAIL;
	m = run_opts_profile(&c.run, &c.topts) == EXIT_OK ? template_opts_load(&c.topts, &diags) : NULL;
	lamb_diags_sort(&diags);
	lamb_diags_print(&diags, stderr);
	if (diags.errors || !m || run_opts_load(&c.run, m, NULL) != EXIT_OK)
		goto out;
	if (c.srv.log_path && !(log = fopen(c.srv.log_path, "ae"))) {
		fail("cannot open log file '%s': %s", c.srv.log_path, strerror(errno));
		goto out;
	}
	if (c.srv.no_build || cli_build_for_run(m, NULL) == EXIT_OK)
		status = serve(&c, m, log);
out:
	if (log)
		fclose(log);
	lamb_model_free(m);
	lamb_diags_release(&diags);
	template_opts_release(&c.topts);
	run_opts_release(&c.run);
	return status;
}
