/* The build methods. Tools run from the source directory (pip resolves the
 * relative paths of requirements.txt from there, make finds the Makefile)
 * except npm, which must run where node_modules is to be created: the copy.
 * Relative `file:` dependencies are made absolute in the copy's
 * package.json for that reason, and installed as copies (--install-links),
 * not as links back into the source tree. */
#include "base/hash.h"
#include "base/pyversions.h"
#include "build/build-method.h"
#include "build/build-pip.h"
#include "build/build-run.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool exists_in(const char *dir, const char *name)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static bool has_makefile(const char *src)
{
	return exists_in(src, "Makefile") || exists_in(src, "makefile") || exists_in(src, "GNUmakefile");
}

static uint64_t tool_identity(const char *path)
{
	char real[PATH_MAX];
	struct stat st;
	struct lamb_hash h;
	lamb_hash_init(&h);
	lamb_hash_str(&h, realpath(path, real) ? real : path);
	if (stat(path, &st) == 0) {
		lamb_hash_u64(&h, (uint64_t)st.st_size);
		lamb_hash_u64(&h, (uint64_t)st.st_mtim.tv_sec);
		lamb_hash_u64(&h, (uint64_t)st.st_mtim.tv_nsec);
	}
	return lamb_hash_final(&h);
}

/* The answer a compiled interpreter (not a script: a pyenv shim's answer
 * depends on more than the shim) gave before, from <dir>/.interpreters,
 * whose lines are "IDENTITY VERSION" with the newline as a tab. Starting
 * an interpreter costs 30-500 ms, the whole of a no-op rebuild's budget. */
static char *remembered(const char *dir, const char *tool, char id[17])
{
	unsigned char magic[4] = { 0 };
	int fd = open(tool, O_RDONLY | O_CLOEXEC);
	bool elf = fd >= 0 && read(fd, magic, 4) == 4 && memcmp(magic, "\x7f" "ELF", 4) == 0;
	if (fd >= 0)
		close(fd);
	if (!elf || !dir)
		return NULL;
	lamb_hash_hex(tool_identity(tool), id);
	cleanup_free char *path = xasprintf("%s/.interpreters", dir);
	size_t len;
	cleanup_free char *text = lamb_read_file(path, &len);
	for (char *line = text, *next; line && *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = 0;
		if (strncmp(line, id, 16) != 0 || line[16] != ' ')
			continue;
		char *v = xstrdup(line + 17);
		for (char *t = strchr(v, '\t'); t; t = strchr(t, '\t'))
			*t = '\n';
		return v;
	}
	return NULL;
}

static void remember(const char *dir, const char id[17], const char *version)
{
	if (!dir || !id[0] || strchr(version, '\t'))
		return;
	cleanup_free char *line = xasprintf("%s %s", id, version);
	for (char *t = strchr(line, '\n'); t; t = strchr(t, '\n'))
		*t = '\t';
	cleanup_free char *path = xasprintf("%s/.interpreters", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return; /* only a cache */
	cleanup_free char *out = xasprintf("%s\n", line);
	ssize_t ignored = write(fd, out, strlen(out)); /* one write: appends do not interleave */
	(void)ignored;
	close(fd);
}

/* sys.version and sys.executable of the interpreter at tool, or NULL when
 * it does not run (a pyenv shim for a version that is not installed).
 * Asked once per process and tool (builds run on several threads), and
 * once per interpreter binary in dir (see remembered()). */
static char *python_version(const char *tool, const char *dir)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct { char *tool, *version; } cache[16];
	static size_t ncache;
	char *out = NULL;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ncache; i++)
		if (strcmp(cache[i].tool, tool) == 0) {
			out = cache[i].version ? xstrdup(cache[i].version) : NULL;
			pthread_mutex_unlock(&lock);
			return out;
		}
	char id[17] = "";
	out = remembered(dir, tool, id);
	if (!out) {
		const char *argv[] = { tool, "-c", "import sys; print(sys.version); print(sys.executable)", NULL };
		struct lamb_run r = { .argv = argv };
		struct lamb_buf b;
		lamb_buf_init(&b);
		int status;
		if (lamb_build_run(&r, &b, &status, NULL) == 0 && status == 0 && b.len)
			out = lamb_buf_steal(&b);
		lamb_buf_release(&b);
		if (out)
			remember(dir, id, out);
	}
	if (ncache < ARRAY_SIZE(cache)) {
		cache[ncache].tool = xstrdup(tool);
		cache[ncache++].version = out ? xstrdup(out) : NULL;
	}
	pthread_mutex_unlock(&lock);
	return out;
}

/* The interpreter lamb invoke would run, as it would choose it: LAMB_PYTHON,
 * else the runtime's own pythonX.Y from PATH, else from pyenv's or asdf's
 * versions (base/pyversions.h), else python3 with a warning. */
static char *python_for(const struct lamb_build_method *bm, const char *dir, char **version, bool *fell_back)
{
	const char *override = getenv("LAMB_PYTHON");
	*fell_back = false;
	char *tool = override && *override ? lamb_build_which(override) : lamb_build_which(bm->name);
	*version = tool ? python_version(tool, dir) : NULL;
	if (*version || (override && *override))
		return tool;
	free(tool);
	tool = lamb_python_installed(lamb_python_minor(bm->name));
	*version = tool ? python_version(tool, dir) : NULL;
	if (*version)
		return tool;
	free(tool);
	*fell_back = true;
	tool = lamb_build_which("python3");
	*version = tool ? python_version(tool, dir) : NULL;
	return tool;
}

static int choose_python(struct lamb_build_method *bm, const char *src, const char *cache_dir,
			 struct lamb_err *err)
{
	if (!exists_in(src, "requirements.txt"))
		return 0;
	bm->manifest_file = "requirements.txt";
	bool fell_back;
	bm->tool = python_for(bm, cache_dir, &bm->version, &fell_back);
	if (!bm->version) {
		const char *override = getenv("LAMB_PYTHON");
		if (override && *override)
			return lamb_err_set(err, "LAMB_PYTHON '%s' does not run", override);
		return lamb_err_set(err, "neither '%s' nor 'python3' runs from PATH to install "
				    "requirements.txt", bm->name);
	}
	if (fell_back) { /* said once per run, with lamb local's own words on it (engine/bootstrap.c) */
		bm->warning = xasprintf("'%s' is not in PATH (or does not run), nor installed by pyenv or asdf: "
					"'%s', Python %.*s, installs requirements.txt for %s functions and runs them "
					"here (LAMB_PYTHON chooses)", bm->name, bm->tool,
					(int)strcspn(bm->version, " \n"), bm->version, bm->name);
		bm->warning_key = lamb_python_fallback_key(bm->name);
	}
	struct lamb_hash h;
	lamb_hash_init(&h);
	lamb_hash_u64(&h, tool_identity(bm->tool));
	lamb_hash_str(&h, bm->version);
	bm->tool_id = lamb_hash_final(&h);
	return 0;
}

static int choose_tool(struct lamb_build_method *bm, const char *tool, struct lamb_err *err)
{
	bm->tool = lamb_build_which(tool);
	if (!bm->tool)
		return lamb_err_set(err, "build method '%s' needs '%s', which is not in PATH", bm->name, tool);
	bm->tool_id = tool_identity(bm->tool);
	return 0;
}

int lamb_build_method_choose(struct lamb_build_method *bm, const char *build_method, const char *runtime,
			     bool layer, const char *src, const char *cache_dir, struct lamb_err *err)
{
	memset(bm, 0, sizeof(*bm));
	bm->prefix = "";
	const char *name = build_method ? build_method : layer ? NULL : runtime;
	if (name && strcmp(name, "makefile") == 0) {
		bm->kind = LAMB_METHOD_MAKE;
		bm->name = xstrdup("makefile");
		return choose_tool(bm, "make", err);
	}
	if (name && str_starts(name, "python")) {
		bm->kind = LAMB_METHOD_PYTHON;
		bm->name = xstrdup(name);
		bm->prefix = layer ? "python" : "";
		return choose_python(bm, src, cache_dir, err);
	}
	if (name && str_starts(name, "nodejs")) {
		bm->kind = LAMB_METHOD_NODE;
		bm->name = xstrdup(name);
		bm->prefix = layer ? "nodejs" : "";
		if (!exists_in(src, "package.json"))
			return 0;
		bm->manifest_file = "package.json";
		return choose_tool(bm, "npm", err);
	}
	if (!build_method && name && str_starts(name, "provided") && has_makefile(src)) {
		bm->kind = LAMB_METHOD_MAKE;
		bm->name = xstrdup("makefile");
		return choose_tool(bm, "make", err);
	}
	bm->kind = LAMB_METHOD_COPY;
	bm->name = xstrdup("copy");
	if (build_method)
		bm->warning = xasprintf("lamb has no build method '%s' (it has python*, nodejs*, makefile); "
					"the source is zipped as it is", build_method);
	else if (name && !str_starts(name, "provided"))
		bm->warning = xasprintf("lamb does not build runtime '%s'; the source is zipped as it is", name);
	return 0;
}

bool lamb_build_method_has_work(const char *build_method, const char *runtime, bool layer, const char *src)
{
	const char *name = build_method ? build_method : layer ? NULL : runtime;
	if (!name || !src)
		return false;
	if (strcmp(name, "makefile") == 0)
		return true;
	if (str_starts(name, "python"))
		return exists_in(src, "requirements.txt");
	if (str_starts(name, "nodejs"))
		return exists_in(src, "package.json");
	return !build_method && str_starts(name, "provided") && has_makefile(src);
}

void lamb_build_method_release(struct lamb_build_method *bm)
{
	if (!bm)
		return;
	free(bm->name);
	free(bm->tool);
	free(bm->warning);
	free(bm->warning_key);
	free(bm->version);
	memset(bm, 0, sizeof(*bm));
}

const char *const *lamb_build_method_skip(const struct lamb_build_method *bm)
{
	static const char *const node[] = { "node_modules", NULL };
	return bm->kind == LAMB_METHOD_NODE && bm->tool ? node : NULL;
}

void lamb_strlist_release(struct lamb_strlist *l)
{
	for (size_t i = 0; l && i < l->len; i++)
		free(l->v[i]);
	if (l)
		free(l->v);
}

/* path (relative to src, or absolute) when it lies outside src. */
static void add_outside(struct lamb_strlist *out, const char *src, const char *path, size_t n)
{
	if (n == 0)
		return;
	char *abs = path[0] == '/' ? xstrndup(path, n) : xasprintf("%s/%.*s", src, (int)n, path);
	char real[PATH_MAX], realsrc[PATH_MAX];
	if (realpath(abs, real) && realpath(src, realsrc) && str_starts(real, realsrc) &&
	    (real[strlen(realsrc)] == '/' || !real[strlen(realsrc)])) {
		free(abs);
		return;
	}
	out->v = xgrow(out->v, &out->cap, out->len + 1, sizeof(*out->v));
	out->v[out->len++] = abs;
}

void lamb_build_requirements_each(const char *src, bool (*fn)(char *line, void *ctx), void *ctx)
{
	cleanup_free char *path = xasprintf("%s/requirements.txt", src);
	size_t len;
	cleanup_free char *text = lamb_read_file(path, &len);
	for (char *line = text, *next; line && *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = 0;
		if (!fn(line + strspn(line, " \t\r"), ctx))
			return;
	}
}

struct req_inputs {
	const char *src;
	struct lamb_strlist *out;
};

/* A line's local path (after -e, -r or -c), as an input outside src. */
static bool requirement_input(char *line, void *ctx)
{
	struct req_inputs *r = ctx;
	static const char *const opts[] = { "-e", "--editable", "-r", "--requirement", "-c", "--constraint" };
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		size_t n = strlen(opts[i]);
		if (strncmp(line, opts[i], n) == 0 && (line[n] == ' ' || line[n] == '=' || line[n] == '\t')) {
			line += n + 1;
			line += strspn(line, " \t=");
			break;
		}
	}
	if (line[0] == '.' || line[0] == '/')
		add_outside(r->out, r->src, line, strcspn(line, " \t;#\r"));
	return true;
}

static void requirement_inputs(const char *src, struct lamb_strlist *out)
{
	struct req_inputs r = { src, out };
	lamb_build_requirements_each(src, requirement_input, &r);
}

static void package_inputs(const char *src, struct lamb_strlist *out)
{
	cleanup_free char *path = xasprintf("%s/package.json", src);
	size_t len;
	cleanup_free char *text = lamb_read_file(path, &len);
	cJSON *pkg = text ? cJSON_ParseWithLength(text, len) : NULL;
	static const char *const groups[] = { "dependencies", "optionalDependencies" };
	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		cJSON *d;
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(pkg, groups[g])) {
			const char *v = cJSON_GetStringValue(d);
			if (v && str_starts(v, "file:"))
				add_outside(out, src, v + 5, strlen(v + 5));
		}
	}
	cJSON_Delete(pkg);
}

void lamb_build_method_inputs(const struct lamb_build_method *bm, const char *src, struct lamb_strlist *out)
{
	if (bm->kind == LAMB_METHOD_PYTHON && bm->tool)
		requirement_inputs(src, out);
	else if (bm->kind == LAMB_METHOD_NODE && bm->tool)
		package_inputs(src, out);
}

static int run_tool(const struct lamb_run *r, const char *what, struct lamb_buf *log, struct lamb_err *err)
{
	int status;
	if (lamb_build_run(r, log, &status, err) < 0)
		return -1;
	if (status != 0)
		return lamb_err_set(err, "%s failed (exit status %d)", what, status);
	return 0;
}

static int run_pip(const struct lamb_build_method *bm, const char *src, const char *dest,
		   struct lamb_buf *log, struct lamb_err *err)
{
	struct lamb_pip p = { .python = bm->tool, .version = bm->version, .target = &bm->target,
			      .wheelhouse = bm->wheelhouse, .on_host = bm->on_host };
	if (bm->on_host || bm->target.npythons == 0)
		return lamb_pip_install(&p, src, dest, log, err);
	/* a layer for several Python versions: each its own site-packages */
	for (size_t i = 0; i < bm->target.npythons; i++) {
		char runtime[24];
		snprintf(runtime, sizeof(runtime), "python3.%d", bm->target.pythons[i]);
		struct lamb_build_target t;
		lamb_build_target_init(&t, runtime, lamb_build_target_arch(&bm->target));
		p.target = &t;
		cleanup_free char *site = xasprintf("%s/lib/%s/site-packages", dest, runtime);
		if (lamb_tree_mkdirs(site, err) < 0 || lamb_pip_install(&p, src, site, log, err) < 0)
			return lamb_err_prefix(err, "for %s", runtime);
	}
	return 0;
}

/* Relative file: specs of package.json made absolute; true when any was. */
static bool absolute_file_deps(cJSON *pkg, const char *src)
{
	static const char *const groups[] = { "dependencies", "optionalDependencies" };
	bool changed = false;
	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		cJSON *deps = cJSON_GetObjectItemCaseSensitive(pkg, groups[g]), *d;
		cJSON_ArrayForEach(d, deps) {
			const char *v = cJSON_GetStringValue(d);
			if (!v || !str_starts(v, "file:") || v[5] == '/')
				continue;
			cleanup_free char *abs = xasprintf("file:%s/%s", src, v + 5);
			cJSON_SetValuestring(d, abs);
			changed = true;
		}
	}
	return changed;
}

static int rewrite_package(const char *dest, const char *src, bool *changed, struct lamb_err *err)
{
	cleanup_free char *path = xasprintf("%s/package.json", dest);
	size_t len;
	cleanup_free char *text = lamb_read_file(path, &len);
	if (!text)
		return lamb_err_set(err, "cannot read '%s': %s", path, strerror(errno));
	cJSON *pkg = cJSON_ParseWithLength(text, len);
	if (!pkg)
		return lamb_err_set(err, "'%s/package.json' is not valid JSON", src);
	*changed = absolute_file_deps(pkg, src);
	int r = 0;
	if (*changed) {
		char *out = cJSON_Print(pkg);
		FILE *f = fopen(path, "w");
		if (!f || fputs(out, f) < 0 || fclose(f) != 0)
			r = lamb_err_set(err, "cannot write '%s': %s", path, strerror(errno));
		cJSON_free(out);
	}
	cJSON_Delete(pkg);
	return r;
}

/* npm's major version, asked once per process: --cpu and --os came with npm 10. */
static int npm_major(const char *npm)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int major = -1;
	pthread_mutex_lock(&lock);
	if (major < 0) {
		const char *argv[] = { npm, "--version", NULL };
		struct lamb_run r = { .argv = argv };
		struct lamb_buf b;
		lamb_buf_init(&b);
		int status;
		major = lamb_build_run(&r, &b, &status, NULL) == 0 && status == 0 && b.len ? atoi(b.data) : 0;
		lamb_buf_release(&b);
	}
	int m = major;
	pthread_mutex_unlock(&lock);
	return m;
}

static int run_npm(const struct lamb_build_method *bm, const char *src, const char *dest,
		   struct lamb_buf *log, struct lamb_err *err)
{
	bool changed = false;
	if (rewrite_package(dest, src, &changed, err) < 0)
		return -1;
	bool lock = exists_in(dest, "package-lock.json") || exists_in(dest, "npm-shrinkwrap.json");
	/* a lock file records the relative paths that the copy no longer has */
	bool ci = lock && !changed;
	/* optional native packages (esbuild, sharp) chosen for Lambda's CPU, not this one's */
	bool flags = !bm->on_host && npm_major(bm->tool) >= 10;
	const char *argv[] = { bm->tool, ci ? "ci" : "install", "--omit=dev", "--no-audit", "--no-fund",
			       "--install-links", "--no-update-notifier",
			       flags ? "--os=linux" : NULL, bm->target.arm64 ? "--cpu=arm64" : "--cpu=x64", NULL };
	const char *env[] = { "NODE_ENV=production", NULL };
	struct lamb_run r = { .argv = argv, .cwd = dest, .setenv = env };
	cleanup_free char *what = xasprintf("npm %s in a copy of '%s'", argv[1], src);
	return run_tool(&r, what, log, err);
}

static int run_make(const struct lamb_build_method *bm, const char *id, const char *src, const char *out,
		    struct lamb_buf *log, struct lamb_err *err)
{
	cleanup_free char *target = xasprintf("build-%s", id);
	cleanup_free char *artifacts = xasprintf("ARTIFACTS_DIR=%s", out);
	const char *argv[] = { bm->tool, target, NULL };
	const char *env[] = { artifacts, NULL };
	struct lamb_run r = { .argv = argv, .cwd = src, .setenv = env };
	cleanup_free char *what = xasprintf("make %s in '%s'", target, src);
	return run_tool(&r, what, log, err);
}

int lamb_build_method_run(const struct lamb_build_method *bm, const char *id, const char *src,
			  const struct lamb_tree *src_tree, const char *out, struct lamb_buf *log,
			  struct lamb_err *err)
{
	if (bm->kind == LAMB_METHOD_MAKE)
		return run_make(bm, id, src, out, log, err);
	cleanup_free char *dest = *bm->prefix ? xasprintf("%s/%s", out, bm->prefix) : xstrdup(out);
	if (lamb_tree_mkdirs(dest, err) < 0 || lamb_tree_copy(src_tree, dest, err) < 0)
		return -1;
	if (!bm->tool)
		return 0;
	if (bm->kind == LAMB_METHOD_PYTHON)
		return run_pip(bm, src, dest, log, err);
	if (bm->kind == LAMB_METHOD_NODE)
		return run_npm(bm, src, dest, log, err);
	return 0;
}
