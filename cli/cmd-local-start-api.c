/* lamb local start-api: API Gateway in front of warm instances. Parses the
 * flags, prints the routes, and runs the loop until SIGINT or SIGTERM; the
 * serving itself is emulator/apigw-server.c over lamb_invoke. */
#include "apigw-server.h"
#include "cli.h"
#include "cli-template.h"
#include "invoke.h"
#include "loop.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct start_api {
	struct template_opts topts;
	const char *host;
	long port;
	const char *static_dir;
	const char *log_path;
	long max_concurrency;
	long idle_timeout_s;
	long integration_timeout_s;
};

static const char cmd[] = "local start-api";

/* 1 to go on, 0 after --help, -1 on a usage error (printed). */
static int parse(struct start_api *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = template_opts_parse(&c->topts, cmd, argc, argv, &i);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_help(lamb_command_find(cmd), stdout);
			return 0;
		} else if (cli_opt_is(a, "-p", "--port")) {
			if (cli_opt_number(cmd, argc, argv, &i, 0, 65535, &c->port) < 0)
				return -1;
		} else if (cli_opt_is(a, NULL, "--host")) {
			if (!(c->host = cli_opt_value(cmd, argc, argv, &i)))
				return -1;
		} else if (cli_opt_is(a, "-s", "--static-dir")) {
			if (!(c->static_dir = cli_opt_value(cmd, argc, argv, &i)))
				return -1;
		} else if (cli_opt_is(a, "-l", "--log-file")) {
			if (!(c->log_path = cli_opt_value(cmd, argc, argv, &i)))
				return -1;
		} else if (cli_opt_is(a, NULL, "--max-concurrency")) {
			if (cli_opt_number(cmd, argc, argv, &i, 1, 1000, &c->max_concurrency) < 0)
				return -1;
		} else if (cli_opt_is(a, NULL, "--idle-timeout")) {
			if (cli_opt_number(cmd, argc, argv, &i, 0, 86400, &c->idle_timeout_s) < 0)
				return -1;
		} else if (cli_opt_is(a, NULL, "--integration-timeout")) {
			if (cli_opt_number(cmd, argc, argv, &i, 1, 900, &c->integration_timeout_s) < 0)
				return -1;
		} else {
			return usage_error(cmd, "unknown argument '%s'", a), -1;
		}
	}
	return 1;
}

static void print_routes(const struct lamb_model *m, FILE *out)
{
	for (size_t i = 0; i < m->nroutes; i++) {
		const struct lamb_route *r = &m->routes[i];
		fprintf(out, "%s %s -> %s (%s, payload %s)\n", r->method, r->path, r->function->logical_id,
			r->api->kind == LAMB_API_REST ? "REST" : "HTTP API", r->payload_format);
	}
	for (size_t i = 0; i < m->nfunctions; i++)
		if (m->functions[i].local_reason)
			fprintf(out, "lamb: warning: %s cannot run locally: %s\n", m->functions[i].logical_id,
				m->functions[i].local_reason);
}

static int serve(const struct start_api *c, const struct lamb_model *m, FILE *log)
{
	struct lamb_err err;
	struct lamb_loop *loop = lamb_loop_new(&err);
	if (!loop)
		return fail("%s", err.msg), EXIT_INTERNAL;
	struct lamb_invoke_opts io = {
		.log = log,
		.max_instances = (int)c->max_concurrency,
		.throttle = true,
		.idle_ms = (uint64_t)c->idle_timeout_s * 1000,
		.boot = { .region = m->region },
	};
	struct lamb_invoker *iv = lamb_invoke_new(loop, &io);
	struct lamb_apigw_server_opts so = {
		.host = c->host,
		.port = (int)c->port,
		.static_dir = c->static_dir,
		.integration_timeout_ms = (uint64_t)c->integration_timeout_s * 1000,
		.log = log,
	};
	struct lamb_apigw_server *s = lamb_apigw_server_new(loop, iv, m, &so, &err);
	int status = EXIT_OK;
	if (!s) {
		status = fail("%s", err.msg);
	} else {
		print_routes(m, stderr);
		fprintf(stderr, "lamb: serving http://%s:%d (Ctrl-C to stop)\n", c->host, lamb_apigw_server_port(s));
		status = cli_serve(loop);
	}
	lamb_invoke_free(iv); /* kills and reaps every instance */
	lamb_apigw_server_free(s);
	lamb_loop_free(loop);
	return status;
}

int cmd_local_start_api(int argc, char **argv)
{
	struct start_api c = { .host = "127.0.0.1", .port = 3000, .max_concurrency = 10,
			       .idle_timeout_s = 600 };
	template_opts_init(&c.topts);
	int p = parse(&c, argc, argv);
	if (p <= 0) {
		template_opts_release(&c.topts);
		return p < 0 ? EXIT_USAGE : EXIT_OK;
	}
	struct stat st;
	if (!c.static_dir && stat("public", &st) == 0 && S_ISDIR(st.st_mode))
		c.static_dir = "public";
	cli_warn_host(c.host);
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = template_opts_load(&c.topts, &diags);
	lamb_diags_sort(&diags);
	int status = EXIT_FAIL;
	FILE *log = NULL;
	if (diags.errors || !m) {
		lamb_diags_print(&diags, stderr);
	} else if (m->nroutes == 0) {
		fail("'%s' has no Api or HttpApi events: nothing to serve", m->path);
	} else if (c.log_path && !(log = fopen(c.log_path, "ae"))) {
		fail("cannot open log file '%s': %s", c.log_path, strerror(errno));
	} else {
		status = serve(&c, m, log);
	}
	if (log)
		fclose(log);
	lamb_model_free(m);
	lamb_diags_release(&diags);
	template_opts_release(&c.topts);
	return status;
}
