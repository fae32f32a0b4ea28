/* --env-vars, --layer-dir and --cpu-scale for every command that runs functions. The
 * file is read once; each function picks its own variables from it when
 * its bootstrap is built (emulator/engine/env-vars.h), so a server hands the same
 * lamb_env_vars to all of its pools. */
#include "aws/aws-lambda.h"
#include "aws/aws.h"
#include "base/util.h"
#include "cli-run.h"
#include "cli.h"
#include "engine/code.h"
#include "engine/sandbox.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void run_opts_init(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sandbox = LAMB_SANDBOX_AUTO; /* every command runs code where Lambda does */
}

void run_opts_release(struct run_opts *o)
{
	for (size_t i = 0; i < o->layer_dirs.len; i++) {
		free((char *)o->layer_dirs.v[i].key);
		free((char *)o->layer_dirs.v[i].value);
	}
	free(o->layer_dirs.v);
	lamb_env_vars_free(o->env_vars);
	for (char **e = o->user_env; e && *e; e++)
		free(*e);
	free(o->user_env);
}

static void layer_dir_add(struct lamb_kvs *kv, char *arn, const char *dir)
{
	for (size_t i = 0; i < kv->len; i++)
		if (strcmp(kv->v[i].key, arn) == 0) {
			free(arn);
			free((char *)kv->v[i].value);
			kv->v[i].value = xstrdup(dir);
			return;
		}
	kv->v = xrealloc(kv->v, (kv->len + 1) * sizeof(kv->v[0]));
	kv->v[kv->len].key = arn;
	kv->v[kv->len++].value = xstrdup(dir);
}

/* SAM's debugging flags; the debugged instance is the pool's business
 * (engine/pool.c), its argv the bootstrap's. */
static int debug_parse(struct run_opts *o, const char *cmd, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char **slot = cli_opt_is(a, NULL, "--debug-function") ? &o->debug.function :
			    cli_opt_is(a, NULL, "--debugger-path")  ? &o->debug.debugger_path :
			    cli_opt_is(a, NULL, "--debug-args")     ? &o->debug.debug_args :
								      NULL;
	if (slot)
		return (*slot = cli_opt_value(cmd, argc, argv, i)) ? 1 : -1;
	if (!cli_opt_is(a, "-d", "--debug-port"))
		return 0;
	long port;
	if (cli_opt_number(cmd, argc, argv, i, 1, 65535, &port) < 0)
		return -1;
	o->debug.port = (int)port;
	return 1;
}

int run_opts_parse(struct run_opts *o, const char *cmd, bool short_n, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	int d = strcmp(cmd, "local bench") != 0 ? debug_parse(o, cmd, argc, argv, i) : 0;
	if (d)
		return d;
	if (cli_opt_is(a, short_n ? "-n" : NULL, "--env-vars"))
		return (o->env_path = cli_opt_value(cmd, argc, argv, i)) ? 1 : -1;
	if (cli_opt_is(a, NULL, "--profile"))
		return (o->profile = cli_opt_value(cmd, argc, argv, i)) ? 1 : -1;
	if (cli_opt_is(a, NULL, "--cpu-scale")) {
		const char *v = cli_opt_value(cmd, argc, argv, i);
		if (v && strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return usage_error(cmd, "--cpu-scale takes on or off, not '%s'", v), -1;
		/* the supervisor reads it where it makes its groups (LAMB_CPU_SCALE) */
		if (v)
			setenv("LAMB_CPU_SCALE", v, 1);
		return v ? 1 : -1;
	}
	if (cli_opt_is(a, NULL, "--log-retention")) {
		const char *v = cli_opt_value(cmd, argc, argv, i);
		if (v && (run_parse_size(v, &o->log_retention) < 0 || !o->log_retention))
			return usage_error(cmd, "--log-retention takes a size such as 10M, not '%s'", v), -1;
		return v ? 1 : -1;
	}
	if (cli_opt_is(a, NULL, "--sandbox")) {
		const char *v = cli_opt_value(cmd, argc, argv, i);
		if (!v)
			return -1;
		if ((o->sandbox = lamb_sandbox_parse(v)) < 0)
			return usage_error(cmd, "--sandbox takes auto, on or off, not '%s'", v), -1;
		return 1;
	}
	if (!cli_opt_is(a, NULL, "--layer-dir"))
		return 0;
	const char *v = cli_opt_value(cmd, argc, argv, i);
	const char *eq = v ? strrchr(v, '=') : NULL;
	if (!v)
		return -1;
	if (!eq || eq == v || !eq[1])
		return usage_error(cmd, "--layer-dir needs ARN=DIR, not '%s'", v), -1;
	layer_dir_add(&o->layer_dirs, xstrndup(v, (size_t)(eq - v)), eq + 1);
	return 1;
}

/* environ, with name=value in place of any name= it holds. */
static void env_put(char ***envp, size_t *n, const char *name, const char *value)
{
	size_t len = strlen(name), i = 0;
	while (i < *n && !(strncmp((*envp)[i], name, len) == 0 && (*envp)[i][len] == '='))
		i++;
	if (i == *n) {
		*envp = xrealloc(*envp, (*n + 2) * sizeof(**envp));
		(*envp)[++*n] = NULL;
	} else {
		free((*envp)[i]);
	}
	(*envp)[i] = xasprintf("%s=%s", name, value);
}

int run_opts_profile(struct run_opts *o, struct template_opts *t)
{
	struct lamb_aws_config c;
	struct lamb_err err;
	lamb_aws_config_init(&c);
	if (lamb_aws_config_local(&c, o->profile, t->region, &err) < 0) {
		lamb_aws_config_release(&c);
		return fail("%s", err.msg);
	}
	size_t n = 0;
	while (environ[n])
		n++;
	o->user_env = xcalloc(n + 1, sizeof(*o->user_env));
	for (size_t i = 0; i < n; i++)
		o->user_env[i] = xstrdup(environ[i]);
	if (c.access_key && c.secret_key) {
		env_put(&o->user_env, &n, "AWS_ACCESS_KEY_ID", c.access_key);
		env_put(&o->user_env, &n, "AWS_SECRET_ACCESS_KEY", c.secret_key);
		if (c.session_token)
			env_put(&o->user_env, &n, "AWS_SESSION_TOKEN", c.session_token);
	}
	if (!t->region && c.region)
		t->region = t->profile_region = xstrdup(c.region);
	lamb_aws_config_release(&c);
	return EXIT_OK;
}

static void warn_undeclared(const struct lamb_env_vars *ev, const struct lamb_function *fn)
{
	char *names = lamb_env_vars_undeclared(ev, fn);
	if (names)
		fprintf(stderr, "lamb: warning: %s from '%s' %s not declared by function '%s'; setting %s anyway\n",
			names, ev->path, strchr(names, ',') ? "are" : "is", fn->logical_id,
			strchr(names, ',') ? "them" : "it");
	free(names);
}

/* ~/.cache/lamb/layers/<the ARN, ':' and '/' as '_'>: allocated. */
static char *cache_path(const char *arn)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *base = xdg && *xdg ? xasprintf("%s/lamb/layers", xdg) : xasprintf("%s/.cache/lamb/layers", home ? home : "/tmp");
	char *p = xasprintf("%s/%s", base, arn);
	for (char *c = p + strlen(base) + 1; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr(".-_", *c))
			*c = '_';
	free(base);
	return p;
}

static int mkdir_p(const char *dir, struct lamb_err *err)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = lamb_err_set(err, "cannot create '%s': %s", p, strerror(errno));
		if (!s || rc)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

/* GetLayerVersionByArn, the content URL, unzipped beside dir and renamed
 * into place, so that a half-done download is never taken for the layer. */
static int download_layer(const struct lamb_aws_config *c, const char *arn, const char *dir, struct lamb_err *err)
{
	char *tmp = xasprintf("%s.tmp-%d", dir, (int)getpid()), *zip = xasprintf("%s.zip", tmp), *url = NULL;
	char *parent = xstrndup(dir, (size_t)(strrchr(dir, '/') - dir));
	int rc = mkdir_p(parent, err);
	if (rc == 0)
		rc = lamb_lambda_layer_location(c, arn, &url, err);
	if (rc == 0)
		rc = lamb_aws_download(c, url, zip, err);
	if (rc == 0 && mkdir(tmp, 0755) < 0)
		rc = lamb_err_set(err, "cannot create '%s': %s", tmp, strerror(errno));
	if (rc == 0)
		rc = lamb_code_unzip(zip, tmp, err);
	if (rc == 0 && rename(tmp, dir) < 0 && errno != ENOTEMPTY && errno != EEXIST)
		rc = lamb_err_set(err, "cannot rename '%s': %s", tmp, strerror(errno));
	nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS); /* what is left when another lamb won */
	unlink(zip);
	free(parent);
	free(url);
	free(zip);
	free(tmp);
	return rc;
}

/* A layer given by ARN that no --layer-dir maps: from the cache, else
 * downloaded into it (credentials loaded once, on the first need). A
 * server (must false) only warns: the functions that do not use the layer
 * still run, and one that does fails when invoked, saying the same fix. */
static int fetch_layer(struct run_opts *o, const char *arn, struct lamb_aws_config *c, bool *loaded, bool must)
{
	struct lamb_err err;
	char *dir = cache_path(arn);
	struct stat st;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		layer_dir_add(&o->layer_dirs, xstrdup(arn), dir);
		free(dir);
		return EXIT_OK;
	}
	char region[64];
	struct lamb_aws_opts ao = { .profile = o->profile, .region = lamb_lambda_arn_region(arn, region, sizeof(region)) };
	int rc = *loaded ? 0 : lamb_aws_config_load(c, &ao, &err);
	*loaded = rc == 0;
	if (rc == 0) {
		fprintf(stderr, "lamb: downloading layer '%s' into %s\n", arn, dir);
		rc = download_layer(c, arn, dir, &err);
	}
	if (rc == 0)
		layer_dir_add(&o->layer_dirs, xstrdup(arn), dir);
	free(dir);
	if (rc < 0 && !must) {
		fprintf(stderr, "lamb: warning: layer '%s' is not in the cache and cannot be downloaded: %s; "
			"give its content with --layer-dir '%s=DIR' (a directory or a .zip)\n", arn, err.msg, arn);
		return EXIT_OK;
	}
	if (rc < 0)
		return fail("layer '%s' is not in the cache and cannot be downloaded: %s; give its content with "
			    "--layer-dir '%s=DIR' (a directory or a .zip)", arn, err.msg, arn);
	return EXIT_OK;
}

static bool layer_mapped(const struct lamb_kvs *kv, const char *arn)
{
	for (size_t i = 0; i < kv->len; i++)
		if (strcmp(kv->v[i].key, arn) == 0)
			return true;
	return false;
}

static int fetch_layers(struct run_opts *o, const struct lamb_model *m, const struct lamb_function *only)
{
	struct lamb_aws_config c;
	bool loaded = false;
	int r = EXIT_OK;
	lamb_aws_config_init(&c);
	for (size_t i = 0; i < m->nfunctions && r == EXIT_OK; i++) {
		const struct lamb_function *f = &m->functions[i];
		for (size_t j = 0; (!only || f == only) && j < f->nlayers && r == EXIT_OK; j++)
			if (!f->layers[j].layer && f->layers[j].arn && !layer_mapped(&o->layer_dirs, f->layers[j].arn))
				r = fetch_layer(o, f->layers[j].arn, &c, &loaded, only != NULL);
	}
	lamb_aws_config_release(&c);
	return r;
}

int run_opts_load(struct run_opts *o, const struct lamb_model *m, const struct lamb_function *only)
{
	struct lamb_err err;
	/* the local file is checked before any layer is fetched: its
	 * mistake is the one to fix first, and needs no network */
	if (!o->env_path)
		return fetch_layers(o, m, only);
	if (!(o->env_vars = lamb_env_vars_load(o->env_path, &err)))
		return fail("%s", err.msg);
	const char *unknown = lamb_env_vars_unknown(o->env_vars, m);
	if (unknown)
		fprintf(stderr, "lamb: warning: '%s' in '%s' names no function of '%s'\n", unknown, o->env_path,
			m->path);
	for (size_t i = 0; i < m->nfunctions; i++)
		if (!only || &m->functions[i] == only)
			warn_undeclared(o->env_vars, &m->functions[i]);
	return fetch_layers(o, m, only);
}

int run_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	int shift = !*end ? 0 : strchr("kK", *end) ? 10 : strchr("mM", *end) ? 20 : strchr("gG", *end) ? 30 : -1;
	if (end == s || errno || shift < 0 || (*end && end[1] && strcmp(end + 1, "B") != 0 && strcmp(end + 1, "iB") != 0))
		return -1;
	*bytes = (uint64_t)n << shift;
	return 0;
}

struct lamb_logstore *run_logs_open(const struct run_opts *o, struct lamb_loop *loop, const struct lamb_model *m)
{
	struct lamb_err err;
	cleanup_free char *dir = xasprintf("%s/.lamb/logs", m->dir ? m->dir : ".");
	struct lamb_logstore *s = lamb_logstore_new(loop, dir, o->log_retention, &err);
	if (!s)
		fprintf(stderr, "lamb: warning: %s; invocations are not kept for lamb logs\n", err.msg);
	return s;
}

static char *read_stream(FILE *f, size_t *len)
{
	struct lamb_buf b;
	char chunk[65536];
	size_t n;
	lamb_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		lamb_buf_add(&b, chunk, n);
	if (ferror(f)) {
		lamb_buf_release(&b);
		return NULL;
	}
	*len = b.len;
	return b.data ? lamb_buf_steal(&b) : xstrdup("");
}

char *run_read_event(const char *path, size_t *len)
{
	if (!path) {
		*len = 2;
		return xstrdup("{}");
	}
	if (strcmp(path, "-") == 0) {
		char *s = read_stream(stdin, len);
		if (!s)
			fail("cannot read the event from standard input: %s", strerror(errno));
		return s;
	}
	char *s = lamb_read_file(path, len);
	if (!s)
		fail("cannot read event '%s': %s", path, strerror(errno));
	return s;
}

const struct lamb_function *run_pick_function(const struct lamb_model *m, const char *id)
{
	if (id) {
		const struct lamb_function *fn = lamb_model_find_function(m, id);
		if (!fn)
			fail("no function '%s' in '%s'", id, m->path);
		return fn;
	}
	if (m->nfunctions == 1)
		return &m->functions[0];
	if (m->nfunctions == 0) {
		fail("'%s' defines no function", m->path);
		return NULL;
	}
	struct lamb_buf b;
	lamb_buf_init(&b);
	for (size_t i = 0; i < m->nfunctions; i++)
		lamb_buf_addf(&b, "%s%s", i ? ", " : "", m->functions[i].logical_id);
	fail("'%s' defines %zu functions; name one: %s", m->path, m->nfunctions, b.data);
	lamb_buf_release(&b);
	return NULL;
}
