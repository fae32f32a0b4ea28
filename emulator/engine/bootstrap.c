/* Choosing the bootstrap of a function and building its environment. The
 * user's shell environment is deliberately not passed on: only the Lambda
 * variables, PATH, credentials and the function's own variables. */
#include "base/hash.h"
#include "base/pyversions.h"
#include "base/util.h"
#include "engine/bootstrap.h"
#include "engine/snapstart.h"
#include "engine/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	char exe[4096]; /* not static: pools prepare on worker threads */
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

/* --- interpreters behind version managers' shims ---
 * pyenv, nodenv and asdf put a shell script in front of the real
 * interpreter, costing hundreds of ms per start. When the interpreter is a
 * script, ask it once for the real executable, in the code directory (where
 * a .python-version applies), and remember the answer in
 * ~/.cache/lamb/interpreters, keyed on everything the choice depends on:
 * the script, PATH, the managers' variables, and the version files of the
 * code directory and its parents and of the managers' roots. */

static void hash_stat(struct lamb_hash *h, const char *path)
{
	struct stat st;
	lamb_hash_str(h, path);
	if (stat(path, &st) == 0) {
		lamb_hash_update(h, &st.st_mtim, sizeof(st.st_mtim));
		lamb_hash_update(h, &st.st_ino, sizeof(st.st_ino));
	}
}

static uint64_t interp_key(const char *interp, const char *cwd)
{
	static const char *const files[] = { ".python-version", ".node-version", ".nvmrc", ".tool-versions" };
	static const char *const roots[] = { "PYENV_ROOT", "NODENV_ROOT", "ASDF_DIR" };
	struct lamb_hash h;
	lamb_hash_init(&h);
	hash_stat(&h, interp);
	lamb_hash_str(&h, cwd);
	for (char **e = environ; *e; e++)
		if (str_starts(*e, "PATH=") || str_starts(*e, "PYENV") || str_starts(*e, "NODENV") ||
		    str_starts(*e, "ASDF") || str_starts(*e, "VIRTUAL_ENV=") || str_starts(*e, "CONDA_PREFIX="))
			lamb_hash_str(&h, *e);
	char *dir = xstrdup(cwd);
	for (;;) {
		for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
			char *f = xasprintf("%s/%s", dir, files[i]);
			hash_stat(&h, f);
			free(f);
		}
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
	}
	free(dir);
	const char *home = getenv("HOME");
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		const char *r = getenv(roots[i]);
		char *v = r ? xasprintf("%s/version", r) : home ? xasprintf("%s/.pyenv/version", home) : NULL;
		if (v)
			hash_stat(&h, v);
		free(v);
	}
	if (home) {
		char *t = xasprintf("%s/.tool-versions", home);
		hash_stat(&h, t);
		free(t);
	}
	return lamb_hash_final(&h);
}

static char *cache_path(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		return xasprintf("%s/lamb/interpreters", xdg);
	return home && *home ? xasprintf("%s/.cache/lamb/interpreters", home) : NULL;
}

static bool usable(const char *path)
{
	return path[0] == '/' && is_file(path) && access(path, X_OK) == 0;
}

static char *cache_get(uint64_t key)
{
	char *path = cache_path();
	FILE *f = path ? fopen(path, "re") : NULL;
	char line[4200], *found = NULL;
	unsigned long long k;
	int off;
	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %n", &k, &off) == 1 && k == key) {
			line[strcspn(line, "\n")] = '\0';
			/* "-": asked before, and it could not answer; a version; a path still there */
			if (line[off] != '/' || usable(line + off))
				found = xstrdup(line + off);
		}
	if (f)
		fclose(f);
	free(path);
	return found;
}

static void cache_put(uint64_t key, const char *real)
{
	char *path = cache_path();
	if (!path)
		return;
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	char *parent = xstrdup(dir);
	*strrchr(parent, '/') = '\0';
	mkdir(parent, 0755);
	mkdir(dir, 0755);
	FILE *f = fopen(path, "ae"); /* one short line: appends do not interleave */
	if (f) {
		fprintf(f, "%016llx %s\n", (unsigned long long)key, real);
		fclose(f);
	}
	free(parent);
	free(dir);
	free(path);
}

/* What interp prints to stdout running argv in cwd (allocated), or NULL
 * when it fails. */
static char *ask(const char *interp, char *const argv[], const char *cwd)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	/* a shim that cannot run explains itself at length: not to our user */
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addchdir_np(&fa, cwd);
	pid_t pid;
	int rc = posix_spawn(&pid, interp, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	char out[4096];
	size_t len = 0;
	ssize_t n;
	while (rc == 0 && len < sizeof(out) - 1 && (n = read(pfd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	close(pfd[0]);
	/* On a pool's worker thread, the supervisor's waitpid(-1) on the loop
	 * may reap the child first: then its answer alone says that it ran
	 * (pids are handed out in turn, so none is reused this soon). */
	int status = -1;
	while (rc == 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && status == -1 && errno == ECHILD)
		status = len ? 0 : -1;
	out[len] = '\0';
	return status == 0 ? xstrdup(out) : NULL;
}

static char *ask_interpreter(const char *interp, bool python, const char *cwd)
{
	char *const pyargv[] = { (char *)interp, "-c", "import sys; sys.stdout.write(sys.executable)", NULL };
	char *const nodeargv[] = { (char *)interp, "-e", "process.stdout.write(process.execPath)", NULL };
	char *out = ask(interp, python ? pyargv : nodeargv, cwd);
	if (out && !usable(out)) {
		free(out);
		out = NULL;
	}
	return out;
}

/* The version of a real interpreter ("3.12.1", "20.11.0"), asked once per
 * executable (its path, inode and mtime) and remembered in the same cache;
 * NULL when it does not answer. */
static char *interp_version(const char *interp, bool python)
{
	struct lamb_hash h;
	lamb_hash_init(&h);
	lamb_hash_str(&h, "version");
	hash_stat(&h, interp);
	uint64_t key = lamb_hash_final(&h);
	char *v = cache_get(key);
	if (v)
		return strcmp(v, "-") == 0 ? (free(v), NULL) : v;
	char *const pyargv[] = { (char *)interp, "-c", "import sys; sys.stdout.write('%d.%d.%d' % sys.version_info[:3])",
				 NULL };
	char *const nodeargv[] = { (char *)interp, "-e", "process.stdout.write(process.versions.node)", NULL };
	v = ask(interp, python ? pyargv : nodeargv, "/");
	if (v && (!*v || strchr(v, '\n') || strchr(v, ' '))) {
		free(v);
		v = NULL;
	}
	cache_put(key, v ? v : "-");
	return v;
}

/* The real executable behind interp when interp is a script (caller frees),
 * or NULL to keep interp. *broken is set when interp is a script that could
 * not run (a pyenv shim for a version pyenv has not selected). */
static char *resolve_script(const char *interp, bool python, const char *cwd, bool *broken)
{
	char head[2];
	int fd = open(interp, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, head, 2) : -1;
	if (fd >= 0)
		close(fd);
	*broken = false;
	if (n != 2 || head[0] != '#' || head[1] != '!')
		return NULL;
	/* a broken shim costs seconds to find out (pyenv tries its versions):
	 * remember that too, as "-" */
	uint64_t key = interp_key(interp, cwd);
	char *real = cache_get(key);
	if (!real) {
		real = ask_interpreter(interp, python, cwd);
		cache_put(key, real ? real : "-");
	} else if (strcmp(real, "-") == 0) {
		free(real);
		real = NULL;
	}
	*broken = !real;
	return real;
}

/* --- the Python shim's bytecode ---
 * bootstrap.py imports the shim, lamb_runtime.py, so that Python loads its
 * bytecode from __pycache__ instead of compiling its 32 KB on every start
 * (47 million instructions, ~10 ms: callgrind of python3.11 -S). Python
 * writes that cache itself where the instance may write; a sandboxed
 * instance sees this directory read-only and as another user, so lamb
 * compiles it there first: once per interpreter and shim (their stat in the
 * key, "-" when it cannot be compiled), then each cold start checks that
 * the .pyc still matches the source as Python checks it (the source's mtime
 * in seconds and size, in its 16-byte header). */

static bool pyc_fresh(const char *pyc, const struct stat *src)
{
	unsigned char h[16];
	int fd = open(pyc, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, h, sizeof(h)) : -1;
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(h))
		return false;
	uint32_t flags = h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
	uint32_t mtime = h[8] | (uint32_t)h[9] << 8 | (uint32_t)h[10] << 16 | (uint32_t)h[11] << 24;
	uint32_t size = h[12] | (uint32_t)h[13] << 8 | (uint32_t)h[14] << 16 | (uint32_t)h[15] << 24;
	return flags == 0 && mtime == (uint32_t)src->st_mtim.tv_sec && size == (uint32_t)src->st_size;
}

static bool pycache_writable(const char *module)
{
	char *dir = xstrdup(module);
	*strrchr(dir, '/') = '\0';
	char *cache = xasprintf("%s/__pycache__", dir);
	bool ok = access(cache, W_OK) == 0 || (errno == ENOENT && access(dir, W_OK) == 0);
	free(cache);
	free(dir);
	return ok;
}

/* the .pyc's name in __pycache__ ("lamb_runtime.cpython-311.pyc"),
 * compiled by interp; NULL when it cannot be */
static char *compile_shim(const char *interp, const char *module)
{
	/* -E: a PYTHONPYCACHEPREFIX of the user's would put it where the
	 * instance, which has no such variable, never looks */
	char *const argv[] = { (char *)interp, "-E", "-S", "-c",
			       "import os, py_compile as c, sys; sys.stdout.write(os.path.basename(c.compile("
			       "sys.argv[1], doraise=True, invalidation_mode=c.PycInvalidationMode.TIMESTAMP)))",
			       (char *)module, NULL };
	char *name = ask(interp, argv, "/");
	if (name && (!*name || strchr(name, '/') || strchr(name, '\n'))) {
		free(name);
		name = NULL;
	}
	return name;
}

static void shim_bytecode(const char *interp, const char *shim)
{
	char *dir = xstrdup(shim);
	*strrchr(dir, '/') = '\0';
	char *module = xasprintf("%s/lamb_runtime.py", dir);
	struct stat st;
	if (module[0] != '/' || stat(module, &st) < 0)
		goto out;
	struct lamb_hash h;
	lamb_hash_init(&h);
	lamb_hash_str(&h, "shim bytecode");
	hash_stat(&h, interp);
	hash_stat(&h, module);
	lamb_hash_update(&h, &st.st_size, sizeof(st.st_size));
	uint64_t key = lamb_hash_final(&h);
	char *name = cache_get(key);
	if (name && strcmp(name, "-") == 0)
		goto done;
	char *pyc = name ? xasprintf("%s/__pycache__/%s", dir, name) : NULL;
	bool fresh = pyc && pyc_fresh(pyc, &st);
	free(pyc);
	if (fresh || !pycache_writable(module))
		goto done;
	bool known = name != NULL;
	free(name);
	name = compile_shim(interp, module);
	if (!known)
		cache_put(key, name ? name : "-");
done:
	free(name);
out:
	free(module);
	free(dir);
}

static void set_argv(struct lamb_bootstrap *b, const char *a0, const char *a1)
{
	b->argv = xcalloc(3, sizeof(char *));
	b->argv[0] = xstrdup(a0);
	b->argv[1] = a1 ? xstrdup(a1) : NULL;
}

/* The last layer wins, as at /opt. */
static char *layer_bootstrap(const struct lamb_code *code)
{
	for (size_t i = code->nlayers; i-- > 0;) {
		char *p = xasprintf("%s/bootstrap", code->layers[i]);
		if (is_file(p))
			return p;
		free(p);
	}
	return NULL;
}

static int choose_provided(struct lamb_bootstrap *b, const struct lamb_code *code, struct lamb_err *err)
{
	char *p = xasprintf("%s/bootstrap", code->dir);
	if (!is_file(p)) {
		free(p);
		p = layer_bootstrap(code);
	}
	if (!p)
		return lamb_err_set(err, "no 'bootstrap' in '%s' nor in a layer", code->dir);
	b->path = p;
	b->name = xstrdup("bootstrap");
	set_argv(b, p, NULL);
	return 0;
}

/* Python: -S (no site: no host site-packages, no user site, no .pth file
 * run), and the layers after the shim, later ones first: the shim builds
 * sys.path from them (the sandbox maps each to /opt). Node: the shim. */
static void interp_argv(struct lamb_bootstrap *b, bool python, const char *interp, const char *shim,
			const struct lamb_code *code)
{
	size_t n = 0;
	b->argv = xcalloc(code->nlayers + 4, sizeof(char *));
	b->argv[n++] = xstrdup(interp);
	if (python)
		b->argv[n++] = xstrdup("-S");
	b->argv[n++] = xstrdup(shim);
	for (size_t i = code->nlayers; python && i-- > 0;)
		b->argv[n++] = xstrdup(code->layers[i]);
}

/* nodejsNN.x on a host whose node is another major version: said, as a
 * missing pythonX.Y is (the pool says it once) */
static void node_mismatch(struct lamb_bootstrap *b, const char *runtime, const char *interp)
{
	char *v = interp_version(interp, false);
	int want = atoi(runtime + strlen("nodejs"));
	if (v && want > 0 && atoi(v) != want)
		b->warning = xasprintf("no Node.js %d here: %s functions run with Node.js %s at %s (LAMB_NODE chooses)",
				       want, runtime, v, interp);
	free(v);
}

static int choose_interpreted(struct lamb_bootstrap *b, const struct lamb_function *fn, const struct lamb_code *code,
			      const char *rtdir, const char *user_path, struct lamb_err *err)
{
	bool python = str_starts(fn->runtime, "python");
	const char *code_dir = code->dir;
	const char *override = getenv(python ? "LAMB_PYTHON" : "LAMB_NODE");
	const char *fallback = python ? "python3" : "node";
	char *shim = xasprintf("%s/%s", rtdir, python ? "python/bootstrap.py" : "node/bootstrap.js");
	char *interp = NULL;
	bool broken = false, fell_back = false, shim_broken = false;
	char *real = NULL;
	if (override && *override) {
		interp = strchr(override, '/') ? xstrdup(override) : which(override, user_path);
	} else if (python && (interp = which(fn->runtime, user_path))) {
		/* pythonX.Y may be a shim that cannot run that version here */
		real = resolve_script(interp, python, code_dir, &broken);
		if (broken) {
			free(interp);
			interp = NULL;
		}
	}
	if (!interp && python && !(override && *override)) /* pyenv's or asdf's, not selected */
		interp = lamb_python_installed(lamb_python_minor(fn->runtime));
	if (!interp && !(override && *override)) {
		interp = which(fallback, user_path);
		fell_back = python;
		shim_broken = broken;
	}
	if (!interp) {
		free(shim);
		return lamb_err_set(err, "cannot find '%s' on PATH for runtime %s",
				    override && *override ? override : fallback, fn->runtime);
	}
	if (!real)
		real = resolve_script(interp, python, code_dir, &broken);
	if (real) {
		free(interp);
		interp = real;
	}
	if (!python && !(override && *override))
		node_mismatch(b, fn->runtime, interp);
	if (fell_back && shim_broken) /* the same words for every function: the pool says them once */
		b->warning = xasprintf("'%s' on PATH does not run (a pyenv shim for a version not selected?): "
				       "%s functions run with %s (LAMB_PYTHON chooses)", fn->runtime, fn->runtime, interp);
	else if (fell_back)
		b->warning = xasprintf("no '%s' on PATH: %s functions run with %s (LAMB_PYTHON chooses)",
				       fn->runtime, fn->runtime, interp);
	if (fell_back) /* lamb build's words on it may have come first (build-method.c) */
		b->warning_key = lamb_python_fallback_key(fn->runtime);
	if (!is_file(shim)) {
		lamb_err_set(err, "runtime shim '%s' is missing (set LAMB_RUNTIME_DIR)", shim);
		free(shim);
		free(interp);
		return -1;
	}
	if (python)
		shim_bytecode(interp, shim);
	b->path = interp;
	b->name = xstrdup(strrchr(interp, '/') + 1);
	interp_argv(b, python, interp, shim, code);
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

/* dir/sub of every layer, later layers first (they win at /opt), each
 * after a ':' */
static void add_layers(struct lamb_buf *l, const struct lamb_code *code, const char *sub)
{
	for (size_t i = code->nlayers; i-- > 0;)
		lamb_buf_addf(l, ":%s/%s", code->layers[i], sub);
}

/* Lambda's search paths, with the interpreter's directory for /var/lang/bin,
 * lamb's runtime dir for /var/runtime, the code for /var/task and the layers
 * for /opt (the sandbox maps both back): PATH
 * /var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin; LD_LIBRARY_PATH
 * /var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib;
 * NODE_PATH /opt/nodejs/nodeNN/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task;
 * PYTHONPATH /var/runtime. Nothing of the user's PATH: a function finds
 * what Lambda's image has, not the host's tools. /opt entries only with
 * layers: without the sandbox, /opt is the host's. */
static void search_paths(struct lamb_bootstrap *b, const struct lamb_function *fn, const struct lamb_code *code,
			 const char *rtdir)
{
	bool python = str_starts(fn->runtime, "python"), node = str_starts(fn->runtime, "nodejs");
	struct lamb_buf l;
	lamb_buf_init(&l);
	if (python || node)
		lamb_buf_addf(&l, "%.*s:", (int)(strrchr(b->path, '/') - b->path), b->path);
	lamb_buf_addstr(&l, "/usr/local/bin:/usr/bin/:/bin");
	add_layers(&l, code, "bin");
	env_set(b, "PATH", l.data);
	l.len = 0;
	char *rt = xasprintf("%s/%s", rtdir, python ? "python" : node ? "node" : "c");
	lamb_buf_addf(&l, "/lib64:/usr/lib64:%s:%s/lib:%s:%s/lib", rt, rt, code->dir, code->dir);
	add_layers(&l, code, "lib");
	env_set(b, "LD_LIBRARY_PATH", l.data);
	l.len = 0;
	if (node) {
		char *major = xasprintf("nodejs/node%d/node_modules", atoi(fn->runtime + strlen("nodejs")));
		add_layers(&l, code, major);
		add_layers(&l, code, "nodejs/node_modules");
		lamb_buf_addf(&l, ":%s/node_modules:%s:%s", rt, rt, code->dir);
		env_set(b, "NODE_PATH", l.data + 1);
		free(major);
	}
	if (python)
		env_set(b, "PYTHONPATH", rt);
	free(rt);
	lamb_buf_release(&l);
}

/* The caller's AWS credentials, as SAM CLI passes them: the one place
 * where credentials enter an instance's environment. Without any, SAM CLI
 * gives the placeholders "defaultkey" and "defaultsecret" (its
 * EnvironmentVariables._DEFAULT_AWS_CREDS), so that an SDK client still
 * builds, as on Lambda where credentials are always there, and can call a
 * local endpoint; a session token only when there is one. */
static void caller_credentials(struct lamb_bootstrap *b, char *const *uenv)
{
	const char *key = getenv_in(uenv, "AWS_ACCESS_KEY_ID"), *secret = getenv_in(uenv, "AWS_SECRET_ACCESS_KEY");
	const char *token = getenv_in(uenv, "AWS_SESSION_TOKEN");
	if (!key || !*key || !secret || !*secret) {
		key = "defaultkey";
		secret = "defaultsecret";
		token = NULL;
	}
	env_set(b, "AWS_ACCESS_KEY_ID", key);
	env_set(b, "AWS_SECRET_ACCESS_KEY", secret);
	if (token && *token)
		env_set(b, "AWS_SESSION_TOKEN", token);
}

/* LoggingConfig as Lambda passes it to the runtime: the format, and with
 * JSON the application log level the runtime's logger filters by. */
static void logging_env(struct lamb_bootstrap *b, const struct lamb_logging *l)
{
	if (l->set)
		env_set(b, "AWS_LAMBDA_LOG_FORMAT", l->json ? "JSON" : "Text");
	if (l->json)
		env_set(b, "AWS_LAMBDA_LOG_LEVEL", lamb_log_level_name(l->app));
}

static void lambda_env(struct lamb_bootstrap *b, const struct lamb_function *fn, const char *code_dir,
		       const char *region, const char *rtdir)
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
	env_set(b, "LAMBDA_TASK_ROOT", code_dir);
	env_set(b, "LAMBDA_RUNTIME_DIR", rtdir);
	env_set(b, "AWS_LAMBDA_FUNCTION_NAME", fn->name);
	env_set(b, "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
	snprintf(buf, sizeof(buf), "%ld", fn->memory_mb);
	env_set(b, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", buf);
	char *group = xasprintf("/aws/lambda/%s", fn->name);
	env_set(b, "AWS_LAMBDA_LOG_GROUP_NAME", fn->logging.log_group ? fn->logging.log_group : group);
	free(group);
	env_set(b, "AWS_LAMBDA_LOG_STREAM_NAME", stream);
	logging_env(b, &fn->logging);
	env_set(b, "AWS_REGION", region);
	env_set(b, "AWS_DEFAULT_REGION", region);
	char *exec = xasprintf("AWS_Lambda_%s", fn->runtime ? fn->runtime : "provided");
	env_set(b, "AWS_EXECUTION_ENV", exec);
	free(exec);
	/* "on-demand", "provisioned-concurrency" or "snap-start" (AWS docs,
	 * "Defined runtime environment variables") */
	env_set(b, "AWS_LAMBDA_INITIALIZATION_TYPE", lamb_snapstart_applies(fn) ? "snap-start" : "on-demand");
	env_set(b, "TZ", ":UTC");
	env_set(b, "LANG", "en_US.UTF-8");
}

static void set_var(void *data, const char *key, const char *value)
{
	env_set(data, key, value);
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

int lamb_bootstrap_check(const struct lamb_function *fn, struct lamb_err *err)
{
	const char *rt = fn->runtime ? fn->runtime : "";
	if (fn->local_reason)
		return lamb_err_set(err, "%s", fn->local_reason);
	if (!str_starts(rt, "provided") && !str_starts(rt, "python3.") && !str_starts(rt, "nodejs"))
		return lamb_err_set(err, "runtime '%s' is not supported locally", rt);
	return 0;
}

/* Where Debian's python3-debugpy (or $LAMB_DEBUGPY's) debugpy package is. */
static char *debugpy_dir(void)
{
	const char *env = getenv("LAMB_DEBUGPY");
	static const char *const dirs[] = { "/usr/lib/python3/dist-packages", "/usr/local/lib/python3/dist-packages" };
	if (env && *env)
		return xstrdup(env);
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		cleanup_free char *init = xasprintf("%s/debugpy/__init__.py", dirs[i]);
		if (is_file(init))
			return xstrdup(dirs[i]);
	}
	return NULL;
}

static char **argv_new(size_t n)
{
	return xcalloc(n + 1, sizeof(char *));
}

/* The argv of the debugged instance: the normal one, wrapped. */
static int debug_argv(struct lamb_bootstrap *b, const struct lamb_function *fn, const char *rtdir,
		      const struct lamb_debug_opts *d, struct lamb_err *err)
{
	size_t n = 0, k = 0, len = 0;
	while (b->argv[len])
		len++;
	if (str_starts(fn->runtime, "python")) {
		cleanup_free char *dir = debugpy_dir();
		if (!dir)
			return lamb_err_set(err, "cannot debug '%s': no debugpy (apt-get install python3-debugpy, "
					    "or set LAMB_DEBUGPY to the folder holding debugpy/)", fn->logical_id);
		b->debug_argv = argv_new(len + 5);
		b->debug_argv[n++] = xstrdup(b->argv[k++]);
		b->debug_argv[n++] = xstrdup(b->argv[k++]); /* -S */
		b->debug_argv[n++] = xstrdup("-Xfrozen_modules=off"); /* else pydevd may miss breakpoints */
		b->debug_argv[n++] = xasprintf("%s/python/debug.py", rtdir);
		b->debug_argv[n++] = xstrdup(dir);
		b->debug_argv[n++] = xasprintf("%d", d->port);
	} else if (str_starts(fn->runtime, "nodejs")) {
		b->debug_argv = argv_new(len + 1);
		b->debug_argv[n++] = xstrdup(b->argv[k++]);
		b->debug_argv[n++] = xasprintf("--inspect-brk=127.0.0.1:%d", d->port);
	} else if (d->debugger_path) {
		cleanup_free char *args = xstrdup(d->debug_args ? d->debug_args : "");
		b->debug_argv = argv_new(len + 1 + strlen(args) / 2 + 1);
		b->debug_argv[n++] = xstrdup(d->debugger_path);
		for (char *save, *t = strtok_r(args, " ", &save); t; t = strtok_r(NULL, " ", &save))
			b->debug_argv[n++] = xstrdup(t);
	} else {
		return lamb_err_set(err, "cannot debug '%s': a %s function needs --debugger-path", fn->logical_id,
				    fn->runtime);
	}
	while (k < len)
		b->debug_argv[n++] = xstrdup(b->argv[k++]);
	if (b->debug_argv[0][0] != '/')
		return lamb_err_set(err, "--debugger-path '%s' is not an absolute path", b->debug_argv[0]);
	b->debug_path = xstrdup(b->debug_argv[0]);
	return 0;
}

int lamb_bootstrap_init(struct lamb_bootstrap *b, const struct lamb_function *fn, const struct lamb_code *code,
			const struct lamb_bootstrap_opts *opts, struct lamb_err *err)
{
	memset(b, 0, sizeof(*b));
	char *const *uenv = opts && opts->user_env ? opts->user_env : environ;
	const char *rtdir = opts && opts->runtime_dir ? opts->runtime_dir : lamb_bootstrap_runtime_dir();
	const char *user_path = getenv_in(uenv, "PATH");
	if (lamb_bootstrap_check(fn, err) < 0)
		return -1;
	int rc = str_starts(fn->runtime, "provided") ? choose_provided(b, code, err) :
		 choose_interpreted(b, fn, code, rtdir, user_path, err);
	if (rc < 0) {
		lamb_bootstrap_release(b);
		return -1;
	}
	char *region = opts && opts->region ? xstrdup(opts->region) : arn_region(fn->arn);
	lambda_env(b, fn, code->dir, region ? region : "us-east-1", rtdir);
	free(region);
	search_paths(b, fn, code, rtdir);
	caller_credentials(b, uenv);
	for (size_t i = 0; i < fn->env.len; i++)
		env_set(b, fn->env.v[i].key, fn->env.v[i].value);
	lamb_env_vars_each(opts ? opts->env_vars : NULL, fn, set_var, b);
	const struct lamb_debug_opts *d = opts ? opts->debug : NULL;
	if (d && d->port && (!d->function || strcmp(d->function, fn->logical_id) == 0) &&
	    debug_argv(b, fn, rtdir, d, err) < 0) {
		lamb_bootstrap_release(b);
		return -1;
	}
	return 0;
}

char *lamb_bootstrap_describe(const char *runtime, const char *cwd)
{
	struct lamb_function fn = { .runtime = runtime, .name = "f", .logical_id = "f", .handler = "a.b" };
	struct lamb_code code = { .dir = (char *)cwd };
	struct lamb_bootstrap b;
	struct lamb_err err;
	memset(&b, 0, sizeof(b));
	const char *user_path = getenv("PATH");
	if (choose_interpreted(&b, &fn, &code, lamb_bootstrap_runtime_dir(), user_path, &err) < 0)
		return xasprintf("%-12s none: %s", runtime, err.msg);
	char *v = interp_version(b.path, str_starts(runtime, "python"));
	char *line = xasprintf("%-12s %s (%s)%s%s", runtime, b.path, v ? v : "version unknown",
			       b.warning ? ": " : "", b.warning ? b.warning : "");
	free(v);
	lamb_bootstrap_release(&b);
	return line;
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
	for (char **a = b->debug_argv; a && *a; a++)
		free(*a);
	free(b->debug_argv);
	free(b->debug_path);
	free(b->envp);
	free(b->path);
	free(b->name);
	free(b->warning);
	free(b->warning_key);
	lamb_sandbox_plan_free(b->sandbox);
	memset(b, 0, sizeof(*b));
}
