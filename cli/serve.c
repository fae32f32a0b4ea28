/* What the long-running commands (start-api, start-lambda) share: the
 * loopback check for --host, running the loop until SIGINT/SIGTERM, and hot
 * reload (a watcher on the code, and a rebuilder for what lamb built). */
#include "base/loop.h"
#include "base/util.h"
#include "base/watch.h"
#include "build/rebuild.h"
#include "cli-build.h"
#include "cli.h"
#include "engine/invoke.h"
#include "front/dashboard.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

void serve_opts_init(struct serve_opts *o, long default_port)
{
	*o = (struct serve_opts){ .host = "127.0.0.1", .port = default_port, .max_concurrency = 10,
				  .idle_timeout_s = 600 };
}

int serve_opts_parse(struct serve_opts *o, const char *cmd, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (cli_opt_is(a, "-p", "--port"))
		return cli_opt_number(cmd, argc, argv, i, 0, 65535, &o->port) < 0 ? -1 : 1;
	if (cli_opt_is(a, NULL, "--max-concurrency"))
		return cli_opt_number(cmd, argc, argv, i, 1, 1000, &o->max_concurrency) < 0 ? -1 : 1;
	if (cli_opt_is(a, NULL, "--idle-timeout"))
		return cli_opt_number(cmd, argc, argv, i, 0, 86400, &o->idle_timeout_s) < 0 ? -1 : 1;
	if (cli_opt_is(a, NULL, "--host"))
		return (o->host = cli_opt_value(cmd, argc, argv, i)) ? 1 : -1;
	if (cli_opt_is(a, "-l", "--log-file"))
		return (o->log_path = cli_opt_value(cmd, argc, argv, i)) ? 1 : -1;
	if (cli_opt_is(a, NULL, "--dashboard-port"))
		return cli_opt_number(cmd, argc, argv, i, 0, 65535, &o->dashboard_port) < 0 ? -1 : 1;
	if (strcmp(a, "--no-dashboard") == 0) {
		o->no_dashboard = true;
		return 1;
	}
	if (strcmp(a, "--no-build") == 0) {
		o->no_build = true;
		return 1;
	}
	if (strcmp(a, "--no-stream-limits") == 0) {
		o->no_stream_limits = true;
		return 1;
	}
	if (cli_opt_is(a, NULL, "--warm-containers")) {
		const char *v = cli_opt_value(cmd, argc, argv, i);
		if (!v)
			return -1;
		if (strcasecmp(v, "EAGER") != 0 && strcasecmp(v, "LAZY") != 0)
			return usage_error(cmd, "--warm-containers takes EAGER or LAZY, not '%s'", v), -1;
		o->eager = strcasecmp(v, "EAGER") == 0;
		return 1;
	}
	return 0;
}

void cli_warn_host(const char *host)
{
	struct in_addr a;
	struct in6_addr a6;
	bool loopback = strcmp(host, "localhost") == 0 ||
			(inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127) ||
			(inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6));
	if (!loopback)
		fprintf(stderr, "lamb: warning: listening on '%s' exposes your functions beyond this machine\n",
			host);
}

struct stop {
	struct lamb_loop *loop;
	int signo;
};

static void on_terminate(void *data, int signo)
{
	struct stop *s = data;
	s->signo = signo;
	lamb_loop_stop(s->loop);
}

int cli_serve(struct lamb_loop *loop)
{
	struct stop s = { loop, 0 };
	struct lamb_err err;
	lamb_loop_on_terminate(loop, on_terminate, &s);
	if (lamb_loop_run(loop, &err) < 0)
		return fail("%s", err.msg);
	if (s.signo)
		fprintf(stderr, "lamb: %s: stopping\n", strsignal(s.signo));
	return EXIT_OK;
}

/* --- hot reload --- */

struct reload_fn {
	struct cli_reload *r;
	const struct lamb_function *fn;
};

struct cli_reload {
	struct lamb_invoker *iv;
	struct lamb_watcher *watcher;
	struct lamb_rebuilder *rebuilder;
	struct reload_fn *fns;
	bool eager;
};

static void on_changed(void *data, const char *root)
{
	struct reload_fn *f = data;
	struct lamb_err err;
	if (f->fn->built_from) {
		fprintf(stderr, "lamb: '%s' changed: rebuilding %s; its requests wait for the build\n", root,
			f->fn->logical_id);
		lamb_invoke_hold(f->r->iv, f->fn);
		if (lamb_rebuild_request(f->r->rebuilder, f->fn, &err) < 0)
			lamb_invoke_resume(f->r->iv, f->fn, err.msg);
		return;
	}
	fprintf(stderr, "lamb: '%s' changed: %s gets new instances\n", root, f->fn->logical_id);
	lamb_invoke_retire(f->r->iv, f->fn);
	if (f->r->eager)
		lamb_invoke_prestart(f->r->iv, f->fn, NULL);
}

static void on_rebuilt(void *data, const struct lamb_rebuild_result *res)
{
	struct cli_reload *r = data;
	const char *id = res->fn->logical_id;
	if (!res->error) {
		fprintf(stderr, "lamb: rebuilt %s in %.2f s: it gets new instances\n", id, res->seconds);
		lamb_invoke_resume(r->iv, res->fn, NULL);
		if (r->eager)
			lamb_invoke_prestart(r->iv, res->fn, NULL);
		return;
	}
	char *msg = xasprintf("cannot build function '%s': %s", id, res->error);
	fprintf(stderr, "lamb: %s\n", msg);
	cli_build_print_output(res->output);
	fprintf(stderr, "lamb: requests to %s fail until an edit builds\n", id);
	lamb_invoke_resume(r->iv, res->fn, msg);
	free(msg);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void watch(struct lamb_watcher *w, const char *dir, struct reload_fn *f)
{
	struct lamb_err err;
	if (is_dir(dir) && lamb_watch_add(w, dir, on_changed, f, &err) < 0)
		fprintf(stderr, "lamb: warning: %s\n", err.msg);
}

struct cli_reload *cli_reload_new(struct lamb_loop *loop, struct lamb_invoker *iv, const struct lamb_model *m,
				  bool eager)
{
	struct lamb_err err;
	struct lamb_watcher *w = lamb_watch_new(loop, 100, &err);
	if (!w) {
		fprintf(stderr, "lamb: warning: %s; code changes need a restart\n", err.msg);
		return NULL;
	}
	struct cli_reload *r = xcalloc(1, sizeof(*r));
	r->iv = iv;
	r->watcher = w;
	r->eager = eager;
	r->rebuilder = lamb_rebuild_new(loop, m, NULL, on_rebuilt, r);
	r->fns = xcalloc(m->nfunctions + 1, sizeof(*r->fns));
	for (size_t i = 0; i < m->nfunctions; i++) {
		const struct lamb_function *fn = &m->functions[i];
		r->fns[i] = (struct reload_fn){ r, fn };
		if (fn->code_kind == LAMB_CODE_LOCAL)
			watch(w, fn->built_from ? fn->built_from : fn->code, &r->fns[i]);
		for (size_t j = 0; j < fn->nlayers; j++) {
			const struct lamb_layer *l = fn->layers[j].layer;
			if (l && l->code_kind == LAMB_CODE_LOCAL)
				watch(w, l->built_from ? l->built_from : l->content, &r->fns[i]);
		}
	}
	return r;
}

void cli_reload_free(struct cli_reload *r)
{
	if (!r)
		return;
	lamb_watch_free(r->watcher);
	lamb_rebuild_free(r->rebuilder);
	free(r->fns);
	free(r);
}

struct lamb_dashboard *cli_dashboard_with(const struct serve_opts *o, struct lamb_loop *loop,
					  struct lamb_invoker *iv, const struct lamb_model *m, const char *api_url,
					  void (*describe)(void *data, FILE *out), void *describe_data,
					  struct lamb_dashboard **slot)
{
	struct lamb_err err;
	if (o->no_dashboard)
		return NULL;
	cleanup_free char *files = cli_data_path("data/dashboard");
	cleanup_free char *logs = xasprintf("%s/.lamb/logs", m->dir ? m->dir : ".");
	struct lamb_dashboard_opts d = { .host = o->host, .port = (int)o->dashboard_port, .files_dir = files,
					 .logs_dir = logs, .api_url = api_url, .describe = describe,
					 .describe_data = describe_data };
	*slot = lamb_dashboard_new(loop, iv, m, &d, &err);
	if (!*slot)
		fprintf(stderr, "lamb: warning: %s; no dashboard\n", err.msg);
	else
		fprintf(stderr, "lamb: dashboard on http://%s:%d/_lamb/\n", o->host, lamb_dashboard_port(*slot));
	return *slot;
}

struct lamb_dashboard *cli_dashboard_new(const struct serve_opts *o, struct lamb_loop *loop,
					 struct lamb_invoker *iv, const struct lamb_model *m, const char *api_url,
					 struct lamb_dashboard **slot)
{
	return cli_dashboard_with(o, loop, iv, m, api_url, NULL, NULL, slot);
}
