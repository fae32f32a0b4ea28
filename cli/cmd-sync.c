/* lamb sync: the fast loop after the first deploy, as sam sync. A template
 * that changed since the last sync (or a stack never synced) goes through
 * a change set, as lamb deploy does; otherwise only code moves: each
 * function whose built zip differs from what Lambda runs (CodeSha256) gets
 * UpdateFunctionCode, each changed layer a new version (PublishLayerVersion)
 * that its functions are pointed at (UpdateFunctionConfiguration). Nothing
 * unchanged is sent, so the diff is Lambda's, not a local guess. --watch
 * does it again on every save, through lamb's watcher and the incremental
 * build. One line per update, with its time, on stderr. */
#include "aws/aws-cfn.h"
#include "aws/aws-lambda.h"
#include "aws/deploy.h"
#include "base/loop.h"
#include "base/util.h"
#include "base/watch.h"
#include "cli-aws.h"
#include "cli-build.h"
#include "cli-template.h"
#include "cli.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sync_ctx {
	struct template_opts t;
	struct cli_aws_opts aws;
	struct lamb_aws_config cfg;
	const char *stack, *bucket, *build_dir;
	bool code, watch;
	char *managed_bucket;
	struct lamb_cfn_resource *rs; /* the stack's, for the code sync under way */
	size_t nrs;
};

/* "[HH:MM:SS] " before a line, so that a watch session reads as a log. */
static void stamp(void)
{
	time_t now = time(NULL);
	struct tm tm;
	char buf[16];
	localtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(stderr, "[%s] ", buf);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse(struct sync_ctx *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], **slot = NULL;
		int r = template_opts_parse(&c->t, "sync", argc, argv, &i);
		if (r == 0)
			r = cli_aws_opts_parse(&c->aws, "sync", argc, argv, &i);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (cli_opt_is(arg, NULL, "--stack-name"))
			slot = &c->stack;
		else if (cli_opt_is(arg, NULL, "--s3-bucket"))
			slot = &c->bucket;
		else if (cli_opt_is(arg, "-b", "--build-dir"))
			slot = &c->build_dir;
		if (slot && !(*slot = cli_opt_value("sync", argc, argv, &i)))
			return EXIT_USAGE;
		if (slot)
			continue;
		if (strcmp(arg, "--code") == 0)
			c->code = true;
		else if (strcmp(arg, "--watch") == 0)
			c->watch = true;
		else if (strcmp(arg, "--no-watch") == 0)
			c->watch = false;
		else if (strcmp(arg, "--resolve-s3") == 0)
			; /* the managed bucket is the default anyway */
		else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
			return print_help(lamb_command_find("sync"), stdout), -1;
		else
			return usage_error("sync", "unknown argument '%s'", arg);
	}
	if (!c->stack)
		return usage_error("sync", "--stack-name is required");
	return EXIT_OK;
}

/* <build dir>/sync-STACK.sha: the template's hash at the last sync. */
static char *state_path(const struct sync_ctx *c, const struct lamb_model *m)
{
	struct lamb_build_opts bo = { .build_dir = c->build_dir };
	char *dir = lamb_build_dir(m, &bo);
	char *p = xasprintf("%s/sync-%s.sha", dir, c->stack);
	free(dir);
	return p;
}

/* Whether the template differs from the last synced one; *sha: its hash. */
static bool template_changed(const struct sync_ctx *c, const struct lamb_model *m, char sha[48])
{
	struct lamb_err err;
	if (lamb_lambda_file_sha(m->path, sha, &err) < 0)
		return true;
	char *path = state_path(c, m);
	char *old = lamb_read_file(path, NULL);
	bool changed = !old || strcmp(old, sha) != 0;
	free(old);
	free(path);
	return changed;
}

static void save_state(const struct sync_ctx *c, const struct lamb_model *m, const char *sha)
{
	char *path = state_path(c, m);
	FILE *f = fopen(path, "we");
	if (f) {
		fputs(sha, f);
		fclose(f);
	}
	free(path);
}

/* The template through a change set, as lamb deploy (managed bucket unless
 * --s3-bucket, SAM sync's capabilities). */
static int infra_sync(struct sync_ctx *c, const struct lamb_model *m, const char *sha)
{
	static const char *const caps[] = { "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND" };
	struct cli_build_progress pr = { .quiet_cached = true };
	struct lamb_deploy_opts o = { .stack_name = c->stack, .capabilities = caps, .ncapabilities = 2 };
	struct lamb_deploy_result res;
	struct lamb_err err;
	o.wait = cli_aws_wait(&c->aws);
	o.package.bucket = c->bucket;
	o.package.build = (struct lamb_build_opts){ .build_dir = c->build_dir, .progress = cli_build_on_progress,
						    .data = &pr };
	cli_build_doctor_opts(&o.package.build);
	if (!o.package.bucket && !c->managed_bucket) {
		struct lamb_deploy_hooks quiet = { 0 };
		if (lamb_deploy_managed_bucket(&c->cfg, &o.wait, &quiet, &c->managed_bucket, &err) < 0)
			return fail("%s", err.msg);
	}
	if (!o.package.bucket)
		o.package.bucket = c->managed_bucket;
	o.hooks = cli_aws_hooks(c->stack, false);
	stamp();
	fprintf(stderr, "the template changed: deploying stack '%s' through a change set\n", c->stack);
	lamb_deploy_result_init(&res);
	int r = lamb_deploy(m, &c->cfg, &o, &res, &err) < 0 ? fail("%s", err.msg) : EXIT_OK;
	if (r == EXIT_OK && res.outcome != LAMB_DEPLOY_DONE && res.outcome != LAMB_DEPLOY_NO_CHANGES)
		r = fail("stack '%s' did not update: %s%s%s", c->stack, res.stack.status ? res.stack.status : "no change",
			 res.reason ? ": " : "", res.reason ? res.reason : "");
	if (r == EXIT_OK) {
		save_state(c, m, sha);
		stamp();
		fprintf(stderr, "stack '%s' is %s\n", c->stack,
			res.outcome == LAMB_DEPLOY_DONE ? "up to date with the template" : "unchanged");
	}
	lamb_deploy_result_release(&res);
	return r;
}

/* The physical id of lid (a layer: lid, or SAM's lid + hash) of type. */
static const char *physical(const struct sync_ctx *c, const char *lid, const char *type)
{
	size_t n = strlen(lid);
	for (size_t i = 0; i < c->nrs; i++)
		if (str_eq(c->rs[i].type, type) && c->rs[i].logical_id && strncmp(c->rs[i].logical_id, lid, n) == 0 &&
		    (c->rs[i].logical_id[n] == '\0' || strcmp(type, "AWS::Lambda::LayerVersion") == 0))
			return c->rs[i].physical_id;
	return NULL;
}

static char *artifact(const struct sync_ctx *c, const struct lamb_model *m, const char *id)
{
	struct lamb_build_opts bo = { .build_dir = c->build_dir };
	char *dir = lamb_build_dir(m, &bo);
	char *p = xasprintf("%s/artifacts/%s.zip", dir, id);
	free(dir);
	return p;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* UpdateFunctionCode when the zip differs from what Lambda runs: 1 sent, 0 not. */
static int sync_function(struct sync_ctx *c, const struct lamb_model *m, const struct lamb_function *fn)
{
	const char *name = physical(c, fn->logical_id, "AWS::Lambda::Function");
	if (!name)
		return fail("function '%s' is not in stack '%s': sync without --code to deploy it", fn->logical_id,
			    c->stack), -1;
	char *zip = artifact(c, m, fn->logical_id), *remote = NULL, **layers = NULL, local[48];
	struct lamb_err err;
	double t0 = now_s();
	int r = lamb_lambda_file_sha(zip, local, &err);
	if (r == 0)
		r = lamb_lambda_function_config(&c->cfg, name, &remote, &layers, &err);
	bool send = r == 0 && strcmp(remote, local) != 0;
	if (send)
		r = lamb_lambda_update_code(&c->cfg, name, zip, &err);
	if (r == 0 && send) {
		stamp();
		fprintf(stderr, "updated the code of function '%s' (%s) in %.2f s\n", fn->logical_id, name, now_s() - t0);
	}
	free_strv(layers);
	free(remote);
	free(zip);
	return r < 0 ? (fail("%s", err.msg), -1) : send;
}

/* Whether arn (arn:...:layer:NAME:VERSION) is a version of layer name. */
static bool same_layer(const char *arn, const char *name)
{
	const char *p = arn ? strstr(arn, ":layer:") : NULL;
	size_t n = strlen(name);
	return p && strncmp(p + 7, name, n) == 0 && p[7 + n] == ':';
}

/* Points fn's configuration at new_arn in place of layer name's version. */
static int repoint(struct sync_ctx *c, const struct lamb_function *fn, const char *name, const char *new_arn,
		   struct lamb_err *err)
{
	const char *phys = physical(c, fn->logical_id, "AWS::Lambda::Function");
	char *sha = NULL, **layers = NULL;
	int r = phys ? lamb_lambda_function_config(&c->cfg, phys, &sha, &layers, err)
		     : lamb_err_set(err, "function '%s' is not in stack '%s'", fn->logical_id, c->stack);
	size_t n = 0;
	while (r == 0 && layers[n])
		n++;
	if (r == 0) {
		bool found = false;
		layers = xrealloc(layers, (n + 2) * sizeof(*layers));
		for (size_t i = 0; i < n; i++)
			if (same_layer(layers[i], name) && (found = true)) {
				free(layers[i]);
				layers[i] = xstrdup(new_arn);
			}
		if (!found)
			layers[n++] = xstrdup(new_arn);
		layers[n] = NULL;
		r = lamb_lambda_set_layers(&c->cfg, phys, (const char *const *)layers, err);
	}
	free_strv(layers);
	free(sha);
	return r;
}

static bool uses(const struct lamb_function *fn, const struct lamb_layer *l)
{
	for (size_t j = 0; j < fn->nlayers; j++)
		if (fn->layers[j].layer == l)
			return true;
	return false;
}

/* The version of l that its first user runs, and whether zip differs. */
static int layer_differs(struct sync_ctx *c, const struct lamb_function *user, const char *name,
			 const char *stack_arn, const char *zip, struct lamb_err *err)
{
	char *sha = NULL, **layers = NULL, *remote = NULL, local[48];
	const char *phys = physical(c, user->logical_id, "AWS::Lambda::Function");
	int r = lamb_lambda_file_sha(zip, local, err);
	if (r == 0 && phys)
		r = lamb_lambda_function_config(&c->cfg, phys, &sha, &layers, err);
	const char *current = stack_arn;
	for (size_t i = 0; r == 0 && layers && layers[i]; i++)
		if (same_layer(layers[i], name))
			current = layers[i];
	if (r == 0)
		r = lamb_lambda_layer_sha(&c->cfg, current, &remote, err);
	int differs = r == 0 ? strcmp(remote, local) != 0 : -1;
	free(remote);
	free_strv(layers);
	free(sha);
	return differs;
}

/* PublishLayerVersion and the users repointed when l's zip changed. */
static int sync_layer(struct sync_ctx *c, const struct lamb_model *m, const struct lamb_layer *l)
{
	const char *stack_arn = physical(c, l->logical_id, "AWS::Lambda::LayerVersion");
	const struct lamb_function *user = NULL;
	for (size_t i = 0; i < m->nfunctions && !user; i++)
		user = uses(&m->functions[i], l) ? &m->functions[i] : NULL;
	if (!stack_arn || !user || !strstr(stack_arn, ":layer:"))
		return stack_arn ? 0 : (fail("layer '%s' is not in stack '%s'", l->logical_id, c->stack), -1);
	const char *p = strstr(stack_arn, ":layer:") + 7;
	char *name = xstrndup(p, strcspn(p, ":")), *zip = artifact(c, m, l->logical_id), *new_arn = NULL;
	struct lamb_err err;
	double t0 = now_s();
	int r = layer_differs(c, user, name, stack_arn, zip, &err);
	const char **rts = xcalloc(l->compatible_runtimes.len + 1, sizeof(*rts));
	for (size_t i = 0; i < l->compatible_runtimes.len; i++)
		rts[i] = l->compatible_runtimes.v[i];
	int sent = r;
	if (r == 1)
		r = lamb_lambda_publish_layer(&c->cfg, name, zip, rts, &new_arn, &err);
	for (size_t i = 0; sent == 1 && r >= 0 && i < m->nfunctions; i++)
		if (uses(&m->functions[i], l))
			r = repoint(c, &m->functions[i], name, new_arn, &err);
	if (sent == 1 && r >= 0) {
		stamp();
		fprintf(stderr, "published layer '%s' as %s and pointed its functions at it in %.2f s\n",
			l->logical_id, new_arn, now_s() - t0);
	}
	free(rts);
	free(new_arn);
	free(zip);
	free(name);
	return r < 0 ? (fail("%s", err.msg), -1) : sent;
}

/* Builds what is stale, then sends what differs from what Lambda runs. */
static int code_sync(struct sync_ctx *c, const struct lamb_model *m)
{
	struct cli_build_progress pr = { .quiet_cached = true };
	struct lamb_build_opts bo = { .build_dir = c->build_dir, .progress = cli_build_on_progress, .data = &pr };
	struct lamb_err err;
	cli_build_doctor_opts(&bo);
	if (lamb_build(m, &bo, &err) < 0)
		return fail("%s", err.msg);
	if (lamb_cfn_list_stack_resources(&c->cfg, c->stack, &c->rs, &c->nrs, &err) < 0)
		return fail("%s", err.msg);
	int r = 0, sent = 0;
	for (size_t i = 0; r >= 0 && i < m->nlayers; i++)
		if (!m->layers[i].stack && m->layers[i].code_kind == LAMB_CODE_LOCAL && (r = sync_layer(c, m, &m->layers[i])) > 0)
			sent += r;
	for (size_t i = 0; r >= 0 && i < m->nfunctions; i++)
		if (!m->functions[i].stack && m->functions[i].code_kind == LAMB_CODE_LOCAL &&
		    (r = sync_function(c, m, &m->functions[i])) > 0)
			sent += r;
	lamb_cfn_resources_free(c->rs, c->nrs);
	c->rs = NULL;
	c->nrs = 0;
	if (r >= 0 && !sent) {
		stamp();
		fprintf(stderr, "stack '%s': the code is up to date\n", c->stack);
	}
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

/* One sync: the template through a change set when it changed (not with
 * --code), else the code. */
static int sync_once(struct sync_ctx *c)
{
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = template_opts_load(&c->t, &diags);
	lamb_diags_sort(&diags);
	lamb_diags_print(&diags, stderr);
	int r = m && !diags.errors ? EXIT_OK : EXIT_FAIL;
	char sha[48];
	if (r == EXIT_OK && !c->code && template_changed(c, m, sha))
		r = infra_sync(c, m, sha);
	else if (r == EXIT_OK)
		r = code_sync(c, m);
	lamb_model_free(m);
	lamb_diags_release(&diags);
	return r;
}

static void on_change(void *data, const char *root)
{
	(void)root;
	sync_once(data); /* a failure is printed; the next save tries again */
}

/* --watch: a sync on every save under the template's folder (the build
 * output, .lamb, is not watched). */
static int watch(struct sync_ctx *c)
{
	struct lamb_err err;
	struct lamb_loop *loop = lamb_loop_new(&err);
	struct lamb_watcher *w = loop ? lamb_watch_new(loop, 200, &err) : NULL;
	char *copy = xstrdup(c->t.path ? c->t.path : "template.yaml");
	int r = w && lamb_watch_add(w, dirname(copy), on_change, c, &err) == 0 ? EXIT_OK : fail("%s", err.msg);
	if (r == EXIT_OK) {
		stamp();
		fprintf(stderr, "watching for changes (Ctrl-C stops)\n");
		r = cli_serve(loop);
	}
	free(copy);
	lamb_watch_free(w);
	lamb_loop_free(loop);
	return r;
}

int cmd_sync(int argc, char **argv)
{
	struct sync_ctx c = { .stack = NULL };
	template_opts_init(&c.t);
	cli_aws_opts_init(&c.aws);
	lamb_aws_config_init(&c.cfg);
	int r = parse(&c, argc, argv);
	if (r == EXIT_OK) {
		c.aws.aws.region = c.t.region;
		r = cli_aws_config_load(&c.cfg, &c.aws);
	}
	if (r == EXIT_OK)
		r = sync_once(&c);
	if (r == EXIT_OK && c.watch)
		r = watch(&c);
	free(c.managed_bucket);
	lamb_aws_config_release(&c.cfg);
	template_opts_release(&c.t);
	return r < 0 ? EXIT_OK : r;
}
