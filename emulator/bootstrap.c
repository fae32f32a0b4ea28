/* Choosing the bootstrap of a function and building its environment. The
 * user's shell environment is deliberately not passed on: only the Lambda
 * variables, PATH, credentials and the function's own variables. */
#include "bootstrap.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#ifndef LAMB_RUNTIME_SRCDIR
#define LAMB_RUNTIME_SRCDIR ""
#endif
#ifndef LAMB_BUILD_ROOT
#define LAMB_BUILD_ROOT ""
#endif
#ifndef LAMB_RUNTIME_INSTDIR
#define LAMB_RUNTIME_INSTDIR "/usr/local/share/lamb/runtime"
#endif

const char *lamb_bootstrap_runtime_dir(void)
{
	static char exe[4096];
	const char *env = getenv("LAMB_RUNTIME_DIR");
	if (env && *env)
		return env;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0 && LAMB_BUILD_ROOT[0]) {
		exe[n] = '\0';
		size_t root = strlen(LAMB_BUILD_ROOT);
		if (strncmp(exe, LAMB_BUILD_ROOT, root) == 0 && exe[root] == '/')
			return LAMB_RUNTIME_SRCDIR;
	}
	return LAMB_RUNTIME_INSTDIR;
}

static const char *getenv_in(char *const *env, const char *key)
{
	size_t n = strlen(key);
	for (; env && *env; env++)
		if (strncmp(*env, key, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static void env_set(struct lamb_bootstrap *b, const char *key, const char *value)
{
	size_t n = strlen(key);
	char *kv = xasprintf("%s=%s", key, value ? value : "");
	for (size_t i = 0; i < b->nenv; i++)
		if (strncmp(b->envp[i], key, n) == 0 && b->envp[i][n] == '=') {
			free(b->envp[i]);
			b->envp[i] = kv;
			return;
		}
	b->envp = xgrow(b->envp, &b->capenv, b->nenv + 2, sizeof(char *));
	b->envp[b->nenv++] = kv;
	b->envp[b->nenv] = NULL;
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Finds name on the colon-separated search path; caller frees. */
static char *which(const char *name, const char *path)
{
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *colon = strchrnul(path, ':');
		char *cand = xasprintf("%.*s/%s", (int)(colon - path), path, name);
		if (colon > path && is_file(cand) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		path = *colon ? colon + 1 : colon;
	}
	return NULL;
}

/* Prepends dir to a colon list in *list when dir exists. */
static void path_prepend(char **list, const char *dir)
{
	if (!is_dir(dir))
		return;
	char *n = *list && **list ? xasprintf("%s:%s", dir, *list) : xstrdup(dir);
	free(*list);
	*list = n;
}

static void set_argv(struct lamb_bootstrap *b, const char *a0, const char *a1)
{
	b->argv = xcalloc(3, sizeof(char *));
	b->argv[0] = xstrdup(a0);
	b->argv[1] = a1 ? xstrdup(a1) : NULL;
}

/* The last layer wins, as at /opt. */
static char *layer_bootstrap(const struct lamb_function *fn)
{
	for (size_t i = fn->nlayers; i-- > 0;) {
		const struct lamb_layer *l = fn->layers[i].layer;
		if (!l || !l->content)
			continue;
		char *p = xasprintf("%s/bootstrap", l->content);
		if (is_file(p))
			return p;
		free(p);
	}
	return NULL;
}

static int choose_provided(struct lamb_bootstrap *b, const struct lamb_function *fn, struct lamb_err *err)
{
	char *p = xasprintf("%s/bootstrap", fn->code);
	if (!is_file(p)) {
		free(p);
		p = layer_bootstrap(fn);
	}
	if (!p)
		return lamb_err_set(err, "no 'bootstrap' in '%s' nor in a layer", fn->code);
	b->path = p;
	b->name = xstrdup("bootstrap");
	set_argv(b, p, NULL);
	return 0;
}

static int choose_interpreted(struct lamb_bootstrap *b, const struct lamb_function *fn,
			      const char *rtdir, const char *user_path, struct lamb_err *err)
{
	bool python = str_starts(fn->runtime, "python");
	const char *override = getenv(python ? "LAMB_PYTHON" : "LAMB_NODE");
	const char *fallback = python ? "python3" : "node";
	char *shim = xasprintf("%s/%s", rtdir, python ? "python/bootstrap.py" : "node/bootstrap.js");
	char *interp = NULL;
	if (override && *override)
		interp = strchr(override, '/') ? xstrdup(override) : which(override, user_path);
	else if (python)
		interp = which(fn->runtime, user_path);
	if (!interp && !(override && *override)) {
		interp = which(fallback, user_path);
		if (interp && python)
			b->warning = xasprintf("%s not found on PATH; running '%s' with %s", fn->runtime,
					       fn->logical_id, interp);
	}
	if (!interp) {
		free(shim);
		return lamb_err_set(err, "cannot find '%s' on PATH for runtime %s",
				    override && *override ? override : fallback, fn->runtime);
	}
	if (!is_file(shim)) {
		lamb_err_set(err, "runtime shim '%s' is missing (set LAMB_RUNTIME_DIR)", shim);
		free(shim);
		free(interp);
		return -1;
	}
	b->path = interp;
	b->name = xstrdup(strrchr(interp, '/') + 1);
	set_argv(b, interp, shim);
	free(shim);
	return 0;
}

static void random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	FILE *f = fopen("/dev/urandom", "re");
	if (!f || fread(raw, 1, n / 2, f) != n / 2)
		for (size_t i = 0; i < n / 2; i++)
			raw[i] = (unsigned char)rand();
	if (f)
		fclose(f);
	for (size_t i = 0; i < n / 2; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[n] = '\0';
}

static void search_paths(struct lamb_bootstrap *b, const struct lamb_function *fn, const char *user_path)
{
	char *path = xstrdup(user_path ? user_path : "/usr/local/bin:/usr/bin:/bin");
	char *ld = NULL, *py = NULL, *node = NULL;
	char *codelib = xasprintf("%s/lib", fn->code);
	path_prepend(&ld, codelib);
	free(codelib);
	path_prepend(&node, fn->code);
	/* later layers win: they go in front */
	for (size_t i = 0; i < fn->nlayers; i++) {
		const struct lamb_layer *l = fn->layers[i].layer;
		if (!l || !l->content)
			continue;
		char *d;
		d = xasprintf("%s/bin", l->content), path_prepend(&path, d), free(d);
		d = xasprintf("%s/lib", l->content), path_prepend(&ld, d), free(d);
		d = xasprintf("%s/nodejs/node_modules", l->content), path_prepend(&node, d), free(d);
		if (fn->runtime && str_starts(fn->runtime, "python")) {
			d = xasprintf("%s/python/lib/%s/site-packages", l->content, fn->runtime);
			path_prepend(&py, d), free(d);
		}
		d = xasprintf("%s/python", l->content), path_prepend(&py, d), free(d);
	}
	env_set(b, "PATH", path);
	if (ld)
		env_set(b, "LD_LIBRARY_PATH", ld);
	if (py && fn->runtime && str_starts(fn->runtime, "python"))
		env_set(b, "PYTHONPATH", py);
	if (node && fn->runtime && str_starts(fn->runtime, "nodejs"))
		env_set(b, "NODE_PATH", node);
	free(path);
	free(ld);
	free(py);
	free(node);
}

static void lambda_env(struct lamb_bootstrap *b, const struct lamb_function *fn, const char *region,
		       const char *rtdir)
{
	char buf[64], stream[128], hex[33];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	random_hex(hex, 32);
	strftime(buf, sizeof(buf), "%Y/%m/%d", &tm);
	snprintf(stream, sizeof(stream), "%s/[$LATEST]%s", buf, hex);
	env_set(b, "AWS_LAMBDA_RUNTIME_API", "");
	b->api_slot = b->nenv - 1;
	if (fn->handler)
		env_set(b, "_HANDLER", fn->handler);
	env_set(b, "LAMBDA_TASK_ROOT", fn->code);
	env_set(b, "LAMBDA_RUNTIME_DIR", rtdir);
	env_set(b, "AWS_LAMBDA_FUNCTION_NAME", fn->name);
	env_set(b, "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
	snprintf(buf, sizeof(buf), "%ld", fn->memory_mb);
	env_set(b, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", buf);
	char *group = xasprintf("/aws/lambda/%s", fn->name);
	env_set(b, "AWS_LAMBDA_LOG_GROUP_NAME", group);
	free(group);
	env_set(b, "AWS_LAMBDA_LOG_STREAM_NAME", stream);
	env_set(b, "AWS_REGION", region);
	env_set(b, "AWS_DEFAULT_REGION", region);
	char *exec = xasprintf("AWS_Lambda_%s", fn->runtime ? fn->runtime : "provided");
	env_set(b, "AWS_EXECUTION_ENV", exec);
	free(exec);
	env_set(b, "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
	env_set(b, "TZ", ":UTC");
	env_set(b, "LANG", "en_US.UTF-8");
}

/* The region in arn:aws:lambda:REGION:... */
static char *arn_region(const char *arn)
{
	if (!arn || !str_starts(arn, "arn:"))
		return NULL;
	const char *p = arn;
	for (int i = 0; i < 3 && p; i++)
		p = strchr(p, ':'), p = p ? p + 1 : NULL;
	const char *e = p ? strchr(p, ':') : NULL;
	return e && e > p ? xstrndup(p, (size_t)(e - p)) : NULL;
}

int lamb_bootstrap_init(struct lamb_bootstrap *b, const struct lamb_function *fn,
			const struct lamb_bootstrap_opts *opts, struct lamb_err *err)
{
	memset(b, 0, sizeof(*b));
	char *const *uenv = opts && opts->user_env ? opts->user_env : environ;
	const char *rtdir = opts && opts->runtime_dir ? opts->runtime_dir : lamb_bootstrap_runtime_dir();
	const char *user_path = getenv_in(uenv, "PATH");
	const char *rt = fn->runtime ? fn->runtime : "";
	int rc;
	if (fn->local_reason)
		return lamb_err_set(err, "%s", fn->local_reason);
	if (!fn->code)
		return lamb_err_set(err, "it has no local code");
	if (str_starts(rt, "provided"))
		rc = choose_provided(b, fn, err);
	else if (str_starts(rt, "python3.") || str_starts(rt, "nodejs"))
		rc = choose_interpreted(b, fn, rtdir, user_path, err);
	else
		return lamb_err_set(err, "runtime '%s' is not supported locally", rt);
	if (rc < 0) {
		lamb_bootstrap_release(b);
		return -1;
	}
	char *region = opts && opts->region ? xstrdup(opts->region) : arn_region(fn->arn);
	lambda_env(b, fn, region ? region : "us-east-1", rtdir);
	free(region);
	search_paths(b, fn, user_path);
	static const char *const creds[] = { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN" };
	for (size_t i = 0; i < ARRAY_SIZE(creds); i++) {
		const char *v = getenv_in(uenv, creds[i]);
		if (v)
			env_set(b, creds[i], v);
	}
	for (size_t i = 0; i < fn->env.len; i++)
		env_set(b, fn->env.v[i].key, fn->env.v[i].value);
	for (size_t i = 0; opts && opts->env && i < opts->env->len; i++)
		env_set(b, opts->env->v[i].key, opts->env->v[i].value);
	return 0;
}

void lamb_bootstrap_set_api(struct lamb_bootstrap *b, const char *address)
{
	free(b->envp[b->api_slot]);
	b->envp[b->api_slot] = xasprintf("AWS_LAMBDA_RUNTIME_API=%s", address);
}

void lamb_bootstrap_release(struct lamb_bootstrap *b)
{
	if (!b)
		return;
	for (char **a = b->argv; a && *a; a++)
		free(*a);
	for (size_t i = 0; i < b->nenv; i++)
		free(b->envp[i]);
	free(b->argv);
	free(b->envp);
	free(b->path);
	free(b->name);
	free(b->warning);
	memset(b, 0, sizeof(*b));
}
