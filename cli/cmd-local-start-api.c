/* lamb local start-api: API Gateway in front of warm instances. Parses the
 * flags, prints the routes, and runs the loop until SIGINT or SIGTERM; the
 * serving itself is emulator/front/apigw-server.c over lamb_invoke. */
#include "base/loop.h"
#include "base/util.h"
#include "cli-build.h"
#include "cli-run.h"
#include "cli-template.h"
#include "cli.h"
#include "front/dashboard.h"
#include "engine/invoke.h"
#include "front/apigw-auth.h"
#include "front/apigw-server.h"
#include "front/function-url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct start_api {
	struct template_opts topts;
	struct run_opts run; /* --env-vars, --layer-dir */
	struct serve_opts srv;
	const char *static_dir;
	long integration_timeout_s;
	bool disable_authorizer;
	bool no_watch;
};

static const char cmd[] = "local start-api";

/* 1 to go on, 0 after --help, -1 on a usage error (printed). */
static int parse(struct start_api *c, int argc, char **argv)
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
		} else if (cli_opt_is(a, "-s", "--static-dir")) {
			if (!(c->static_dir = cli_opt_value(cmd, argc, argv, &i)))
				return -1;
		} else if (cli_opt_is(a, NULL, "--integration-timeout")) {
			if (cli_opt_number(cmd, argc, argv, &i, 1, 900, &c->integration_timeout_s) < 0)
				return -1;
		} else if (strcmp(a, "--disable-authorizer") == 0) {
			c->disable_authorizer = true;
		} else if (strcmp(a, "--no-watch") == 0) {
			c->no_watch = true;
		} else if (strcmp(a, "--debug") == 0) {
			lamb_global.debug = true;
		} else {
			return usage_error(cmd, "unknown argument '%s'", a), -1;
		}
	}
	return 1;
}

/* "GET /hello -> Hello (REST, payload 1.0)", and its authorizer. */
static void print_route(const struct lamb_model *m, const struct lamb_route *r, bool no_auth, FILE *out)
{
	struct lamb_authorizer a;
	const char *why = NULL;
	enum lamb_auth_lookup auth = no_auth ? LAMB_AUTH_OPEN : lamb_auth_for_route(m, r, &a, &why);
	fprintf(out, "%s %s -> %s (%s, payload %s", r->method, r->path, r->function->logical_id,
		r->api->kind == LAMB_API_REST ? "REST" : "HTTP API", r->payload_format);
	if (auth == LAMB_AUTH_LAMBDA)
		fprintf(out, ", authorizer %s -> %s", a.name, a.function->logical_id);
	fprintf(out, ")\n");
	if (auth == LAMB_AUTH_UNSUPPORTED)
		fprintf(out, "lamb: warning: %s %s is served without authorization: %s\n", r->method, r->path, why);
}

/* "URL http://127.0.0.1:3000/lambda-url/Echo/ -> Echo (FunctionUrl, NONE, BUFFERED)" */
static void print_urls(const struct lamb_model *m, const char *host, int port, FILE *out)
{
	for (size_t i = 0; i < m->nfunctions; i++) {
		const struct lamb_function *f = &m->functions[i];
		char low[256];
		if (!f->url)
			continue;
		fprintf(out, "URL http://%s:%d/lambda-url/%s/ -> %s (FunctionUrl, %s, %s", host, port, f->logical_id,
			f->logical_id, f->url->iam ? "AWS_IAM" : "NONE", f->url->stream ? "RESPONSE_STREAM" : "BUFFERED");
		if (lamb_function_url_host(f, low, sizeof(low)))
			fprintf(out, "; Host: %s.lambda-url.localhost", low);
		fprintf(out, ")\n");
	}
}

static void print_routes(const struct lamb_model *m, bool no_auth, FILE *out)
{
	for (size_t i = 0; i < m->nroutes; i++)
		print_route(m, &m->routes[i], no_auth, out);
	for (size_t i = 0; i < m->nfunctions; i++)
		if (m->functions[i].local_reason)
			fprintf(out, "lamb: warning: %s cannot run locally: %s\n", m->functions[i].logical_id,
				m->functions[i].local_reason);
}

/* --debug: the Runtime API traffic of every instance, on stderr. */
static void on_trace(void *data, const struct lamb_function *fn, const char *what, const char *request_id,
		     size_t len)
{
	FILE *log = data ? data : stderr;
	const char *dir = strcmp(what, "next") == 0 ? "GET /next ->" : "POST /";
	fprintf(log, "lamb: debug: %s %s%s %s (%zu bytes)\n", fn->logical_id, dir,
		strcmp(what, "next") == 0 ? "" : what, request_id ? request_id : "-", len);
	fflush(log);
}

/* EAGER: one instance of every function a route or an authorizer uses, or
 * that has a URL. */
static void prestart(struct lamb_invoker *iv, const struct lamb_model *m, bool no_auth)
{
	for (size_t i = 0; i < m->nfunctions; i++)
		if (m->functions[i].url && !m->functions[i].local_reason)
			lamb_invoke_prestart(iv, &m->functions[i], NULL);
	for (size_t i = 0; i < m->nroutes; i++) {
		const struct lamb_route *r = &m->routes[i];
		struct lamb_authorizer a;
		struct lamb_err err;
		if (!r->function->local_reason && lamb_invoke_prestart(iv, r->function, &err) < 0)
			fprintf(stderr, "lamb: warning: %s\n", err.msg);
		if (!no_auth && lamb_auth_for_route(m, r, &a, NULL) == LAMB_AUTH_LAMBDA && !a.function->local_reason)
			lamb_invoke_prestart(iv, a.function, NULL);
	}
}

static const char *env_of(char **envp, const char *name)
{
	size_t n = strlen(name);
	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static bool any_url(const struct lamb_model *m)
{
	for (size_t i = 0; i < m->nfunctions; i++)
		if (m->functions[i].url)
			return true;
	return false;
}

static int serve(const struct start_api *c, const struct lamb_model *m, FILE *log)
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
		.trace = lamb_global.debug ? on_trace : NULL,
		.trace_data = log,
	};
	struct lamb_invoker *iv = lamb_invoke_new(loop, &io);
	/* AWS_IAM URLs check signatures against the credentials a function gets */
	struct lamb_function_url_opts uo = { .log = log, .access_key = env_of(c->run.user_env, "AWS_ACCESS_KEY_ID"),
					     .secret_key = env_of(c->run.user_env, "AWS_SECRET_ACCESS_KEY") };
	struct lamb_function_urls *urls = lamb_function_urls_new(loop, iv, m, &uo);
	struct lamb_apigw_server_opts so = {
		.urls = urls,
		.host = c->srv.host,
		.port = (int)c->srv.port,
		.static_dir = c->static_dir,
		.integration_timeout_ms = (uint64_t)c->integration_timeout_s * 1000,
		.log = log,
		.disable_authorizers = c->disable_authorizer,
	};
	struct lamb_apigw_server *s = lamb_apigw_server_new(loop, iv, m, &so, &err);
	int status = EXIT_OK;
	struct cli_reload *reload = NULL;
	if (!s) {
		status = fail("%s", err.msg);
	} else {
		if (!c->no_watch)
			reload = cli_reload_new(loop, iv, m, c->srv.eager);
		if (c->srv.eager)
			prestart(iv, m, c->disable_authorizer);
		print_routes(m, c->disable_authorizer, stderr);
		print_urls(m, c->srv.host, lamb_apigw_server_port(s), stderr);
		fprintf(stderr, "lamb: serving http://%s:%d (Ctrl-C to stop)\n", c->srv.host, lamb_apigw_server_port(s));
		/* after the API's address, which scripts take as the first one said */
		char *url = xasprintf("http://%s:%d", c->srv.host, lamb_apigw_server_port(s));
		if (cli_dashboard_new(&c->srv, loop, iv, m, url, &dash)) {
			free(url);
			url = xasprintf("http://%s:%d", c->srv.host, lamb_dashboard_port(dash));
			lamb_apigw_server_set_dashboard(s, url); /* PORT/_lamb/ leads there too */
		}
		free(url);
		status = cli_serve(loop);
	}
	cli_reload_free(reload);
	lamb_dashboard_free(dash);
	dash = NULL;
	lamb_invoke_free(iv); /* kills and reaps every instance */
	lamb_function_urls_free(urls);
	lamb_apigw_server_free(s);
	lamb_logstore_free(logs);
	lamb_loop_free(loop);
	return status;
}

int cmd_local_start_api(int argc, char **argv)
{
	struct start_api c = { 0 };
	serve_opts_init(&c.srv, 3000);
	template_opts_init(&c.topts);
	c.topts.lenient = true; /* as SAM CLI: what the template lacks fails only what uses it */
	run_opts_init(&c.run);
	int p = parse(&c, argc, argv);
	if (p <= 0) {
		template_opts_release(&c.topts);
	run_opts_release(&c.run);
		return p < 0 ? EXIT_USAGE : EXIT_OK;
	}
	struct stat st;
	if (!c.static_dir && stat("public", &st) == 0 && S_ISDIR(st.st_mode))
		c.static_dir = "public";
	cli_warn_host(c.srv.host);
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = run_opts_profile(&c.run, &c.topts) == EXIT_OK ?
				      template_opts_load(&c.topts, &diags) : NULL;
	lamb_diags_sort(&diags);
	int status = EXIT_FAIL;
	FILE *log = NULL;
	lamb_diags_print(&diags, stderr); /* warnings too: a route lamb does not serve says why */
	if (diags.errors || !m) {
		/* printed */
	} else if (m->nroutes == 0 && !any_url(m)) {
		fail("'%s' has no Api or HttpApi events and no FunctionUrlConfig: nothing to serve", m->path);
	} else if (run_opts_load(&c.run, m, NULL) != EXIT_OK) {
		/* printed */
	} else if (c.srv.log_path && !(log = fopen(c.srv.log_path, "ae"))) {
		fail("cannot open log file '%s': %s", c.srv.log_path, strerror(errno));
	} else if (c.srv.no_build || cli_build_for_run(m, NULL) == EXIT_OK) {
		status = serve(&c, m, log);
	}
	if (log)
		fclose(log);
	lamb_model_free(m);
	lamb_diags_release(&diags);
	template_opts_release(&c.topts);
	run_opts_release(&c.run);
	return status;
}
