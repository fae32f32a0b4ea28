/* lamb build: which artifacts a model has, building them (layers first, so
 * that a function's size limit can count its layers; with --parallel on a
 * small pool of threads), then the manifest and the built template. */
#include "build/build-artifact.h"
#include "build/build-template.h"
#include "build/build.h"
#include "build/manifest.h"
#include "build/tree.h"
#include "build/zip.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct plan {
	struct lamb_artifact *v;
	size_t len;
	struct lamb_artifact_ctx ctx;
	struct lamb_manifest manifest;
	char *build_dir, *artifacts_dir, *manifest_path;
	const struct lamb_build_opts *o;
	pthread_mutex_t lock; /* the progress callback, the next index */
	size_t next;
	int phase_layer, phase_follower;
};

char *lamb_build_dir(const struct lamb_model *m, const struct lamb_build_opts *o)
{
	if (!o || !o->build_dir)
		return xasprintf("%s/.lamb/build", m->dir);
	if (o->build_dir[0] == '/')
		return xstrdup(o->build_dir);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return xstrdup(o->build_dir);
	return xasprintf("%s/%s", cwd, o->build_dir);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *lamb_build_tree_dir(const struct lamb_model *m, const struct lamb_build_opts *o, const char *id)
{
	cleanup_free char *dir = lamb_build_dir(m, o);
	return xasprintf("%s/%s", dir, id);
}

bool lamb_build_needed(const struct lamb_function *fn)
{
	if (fn->code_kind != LAMB_CODE_LOCAL || !fn->code || !is_dir(fn->code) ||
	    strcmp(fn->package_type, "Zip") != 0)
		return false;
	if (lamb_build_method_has_work(fn->build_method, fn->runtime, false, fn->code))
		return true;
	for (size_t i = 0; i < fn->nlayers; i++) {
		const struct lamb_layer *l = fn->layers[i].layer;
		if (l && l->code_kind == LAMB_CODE_LOCAL && l->content && is_dir(l->content) &&
		    lamb_build_method_has_work(l->build_method, NULL, true, l->content))
			return true;
	}
	return false;
}

static void add_function(struct plan *p, const struct lamb_function *f)
{
	struct lamb_artifact *a = &p->v[p->len++];
	memset(a, 0, sizeof(*a));
	a->id = f->logical_id;
	a->src = f->code;
	a->build_method = f->build_method;
	a->runtime = f->runtime;
	a->fn = f;
	lamb_build_target_function(&a->target, f);
	lamb_buf_init(&a->output);
}

static void add_layer(struct plan *p, const struct lamb_model *m, const struct lamb_layer *l)
{
	struct lamb_artifact *a = &p->v[p->len++];
	memset(a, 0, sizeof(*a));
	a->id = l->logical_id;
	a->layer = true;
	a->src = l->content;
	a->build_method = l->build_method;
	lamb_build_target_layer(&a->target, m, l);
	lamb_buf_init(&a->output);
}

/* Local code that is a directory (a .zip CodeUri is used as it is). */
static bool buildable(enum lamb_code_kind kind, const char *path)
{
	return kind == LAMB_CODE_LOCAL && path && (is_dir(path) || access(path, F_OK) != 0);
}

static struct lamb_artifact *find(struct plan *p, const char *id)
{
	for (size_t i = 0; i < p->len; i++)
		if (strcmp(p->v[i].id, id) == 0)
			return &p->v[i];
	return NULL;
}

/* A nested stack's functions and layers are left out: their template is
 * the child's, which lamb build does not rewrite. */
static void make_plan(struct plan *p, const struct lamb_model *m)
{
	p->v = xcalloc(m->nfunctions + m->nlayers + 1, sizeof(*p->v));
	for (size_t i = 0; i < m->nlayers; i++)
		if (!m->layers[i].stack && buildable(m->layers[i].code_kind, m->layers[i].content))
			add_layer(p, m, &m->layers[i]);
	for (size_t i = 0; i < m->nfunctions; i++)
		if (!m->functions[i].stack && strcmp(m->functions[i].package_type, "Zip") == 0 &&
		    buildable(m->functions[i].code_kind, m->functions[i].code))
			add_function(p, &m->functions[i]);
}

/* Whether a and b are built the same way from the same directory, which
 * is not so for make (the target names the resource). */
static bool same_build(const struct lamb_artifact *a, const struct lamb_artifact *b)
{
	if (a->layer != b->layer || strcmp(a->src, b->src) != 0 || !str_eq(a->build_method, b->build_method) ||
	    !str_eq(a->runtime, b->runtime))
		return false;
	if (str_eq(a->build_method, "makefile"))
		return false;
	return a->build_method || !a->runtime || !str_starts(a->runtime, "provided");
}

static void find_shared_builds(struct plan *p)
{
	for (size_t i = 0; i < p->len; i++)
		for (size_t j = 0; j < i && p->v[i].selected; j++)
			if (p->v[j].selected && !p->v[j].same_as && same_build(&p->v[i], &p->v[j])) {
				p->v[i].same_as = &p->v[j];
				break;
			}
}

static int select_artifacts(struct plan *p, const struct lamb_model *m, const char *only, struct lamb_err *err)
{
	if (!only) {
		for (size_t i = 0; i < p->len; i++)
			p->v[i].selected = true;
		return 0;
	}
	struct lamb_artifact *a = find(p, only);
	if (!a) {
		bool known = lamb_model_function(m, only) != NULL;
		for (size_t i = 0; i < m->nlayers && !known; i++)
			known = strcmp(m->layers[i].logical_id, only) == 0;
		if (known)
			return lamb_err_set(err, "'%s' has no local code directory to build", only);
		return lamb_err_set(err, "no function or layer '%s' in the template", only);
	}
	a->selected = true;
	for (size_t i = 0; a->fn && i < a->fn->nlayers; i++) {
		const struct lamb_layer *l = a->fn->layers[i].layer;
		struct lamb_artifact *la = l ? find(p, l->logical_id) : NULL;
		if (la)
			la->selected = true;
	}
	return 0;
}

/* The pid in a leftover's name ".tmp-ID-PID-XXXXXX" or ".ID.zip.PID.XXXXXX":
 * the number before the last separator. */
static long leftover_pid(const char *name)
{
	const char *end = name + strlen(name) - 7; /* "-XXXXXX" or ".XXXXXX" */
	if (end <= name)
		return 0;
	const char *p = end;
	while (p > name && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return p < end ? strtol(p, NULL, 10) : 0;
}

/* Leftovers of a build that was killed: staging folders, temporary zips.
 * Those of a build still running (another lamb on the same folder) stay. */
static void remove_leftovers(const char *dir, const char *prefix, const char *middle)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!str_starts(de->d_name, prefix) || !strstr(de->d_name, middle))
			continue;
		long pid = leftover_pid(de->d_name);
		if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			continue;
		cleanup_free char *p = xasprintf("%s/%s", dir, de->d_name);
		lamb_tree_remove(p, NULL);
	}
	closedir(d);
}

static int open_plan(struct plan *p, const struct lamb_model *m, const struct lamb_build_opts *o,
		     struct lamb_err *err)
{
	p->o = o;
	p->build_dir = lamb_build_dir(m, o);
	p->artifacts_dir = xasprintf("%s/artifacts", p->build_dir);
	p->manifest_path = xasprintf("%s/manifest.json", p->build_dir);
	lamb_manifest_init(&p->manifest);
	pthread_mutex_init(&p->lock, NULL);
	if (lamb_tree_mkdirs(p->artifacts_dir, err) < 0)
		return -1;
	remove_leftovers(p->build_dir, ".tmp-", "-");
	remove_leftovers(p->artifacts_dir, ".", ".zip.");
	if (lamb_manifest_load(&p->manifest, p->manifest_path, err) < 0)
		return -1;
	p->ctx = (struct lamb_artifact_ctx){
		.build_dir = p->build_dir, .artifacts_dir = p->artifacts_dir, .manifest = &p->manifest,
		.no_cached = o->no_cached, .wheelhouse = o->wheelhouse, .on_host = o->on_host, .mtime = lamb_zip_default_mtime(),
	};
	make_plan(p, m);
	if (select_artifacts(p, m, o->only, err) < 0)
		return -1;
	find_shared_builds(p);
	return 0;
}

static void close_plan(struct plan *p)
{
	for (size_t i = 0; i < p->len; i++)
		lamb_artifact_release(&p->v[i]);
	free(p->v);
	lamb_manifest_release(&p->manifest);
	free(p->build_dir);
	free(p->artifacts_dir);
	free(p->manifest_path);
	pthread_mutex_destroy(&p->lock);
}

static void report(struct plan *p, struct lamb_artifact *a)
{
	if (!p->o->progress)
		return;
	struct lamb_build_report r = {
		.id = a->id, .layer = a->layer, .method = a->bm.name ? a->bm.name : "-", .state = a->state,
		.seconds = a->seconds, .zipped = a->zipped, .unzipped = a->unzipped, .error = a->error,
		.output = a->output.data ? a->output.data : "", .warning = a->bm.warning,
		.warning_key = a->bm.warning_key,
	};
	p->o->progress(&r, p->o->data);
}

/* What a function's template layers add to its unzipped size. */
static void count_layers(struct plan *p, struct lamb_artifact *a)
{
	a->layers_unzipped = 0;
	for (size_t i = 0; i < a->fn->nlayers; i++) {
		const struct lamb_layer *l = a->fn->layers[i].layer;
		struct lamb_artifact *la = l ? find(p, l->logical_id) : NULL;
		const struct lamb_manifest_entry *e = l ? lamb_manifest_get(&p->manifest, l->logical_id) : NULL;
		if (la && la->selected)
			a->layers_unzipped += la->unzipped;
		else if (e)
			a->layers_unzipped += e->unzipped;
	}
}

static void build_one(struct plan *p, struct lamb_artifact *a)
{
	pthread_mutex_lock(&p->lock);
	a->state = LAMB_BUILD_STARTED;
	report(p, a);
	pthread_mutex_unlock(&p->lock);
	if (a->fn && a->fn->nlayers > LAMB_BUILD_MAX_LAYERS) {
		a->state = LAMB_BUILD_FAILED;
		a->error = xasprintf("it has %zu layers; Lambda allows %d", a->fn->nlayers, LAMB_BUILD_MAX_LAYERS);
	} else {
		if (a->fn)
			count_layers(p, a);
		lamb_artifact_build(&p->ctx, a);
	}
	pthread_mutex_lock(&p->lock);
	report(p, a);
	pthread_mutex_unlock(&p->lock);
}

static bool in_phase(const struct plan *p, const struct lamb_artifact *a)
{
	return a->selected && a->layer == (p->phase_layer != 0) && (a->same_as != NULL) == (p->phase_follower != 0);
}

static void *worker(void *arg)
{
	struct plan *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->next < p->len && !in_phase(p, &p->v[p->next]))
			p->next++;
		struct lamb_artifact *a = p->next < p->len ? &p->v[p->next++] : NULL;
		pthread_mutex_unlock(&p->lock);
		if (!a)
			return NULL;
		build_one(p, a);
	}
}

static int jobs(const struct lamb_build_opts *o)
{
	if (!o->parallel)
		return 1;
	if (o->jobs > 0)
		return o->jobs;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)(n > 64 ? 64 : n) : 1;
}

static void run_phase(struct plan *p, int layer, int follower)
{
	p->phase_layer = layer;
	p->phase_follower = follower;
	p->next = 0;
	int n = jobs(p->o);
	if (n <= 1) {
		worker(p);
		return;
	}
	pthread_t t[64];
	int started = 0;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[started], NULL, worker, p) == 0)
			started++;
	if (started == 0)
		worker(p);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
}

/* After a full build: what the template no longer builds (a resource
 * removed or renamed, code moved to S3) leaves the build folder and the
 * manifest, so the folder never offers a stale artifact. */
static void forget_removed(struct plan *p)
{
	for (size_t i = p->manifest.len; i-- > 0;) {
		const char *id = p->manifest.v[i].id;
		if (find(p, id))
			continue;
		cleanup_free char *dir = xasprintf("%s/%s", p->build_dir, id);
		cleanup_free char *zip = xasprintf("%s/%s.zip", p->artifacts_dir, id);
		cleanup_free char *cache = xasprintf("%s/.cache-%s", p->build_dir, id);
		cleanup_free char *doctor = xasprintf("%s/.doctor-%s", p->build_dir, id);
		lamb_tree_remove(dir, NULL);
		unlink(zip);
		unlink(cache);
		unlink(doctor);
		lamb_manifest_remove(&p->manifest, id);
	}
}

static int save_manifest(struct plan *p, struct lamb_err *err)
{
	if (!p->o->only)
		forget_removed(p);
	for (size_t i = 0; i < p->len; i++) {
		const struct lamb_artifact *a = &p->v[i];
		if (a->state != LAMB_BUILD_BUILT || !a->selected)
			continue;
		struct lamb_manifest_entry e = { .id = (char *)a->id, .key = (char *)a->key, .method = a->bm.name,
						 .zipped = a->zipped, .unzipped = a->unzipped, .files = a->files };
		lamb_manifest_set(&p->manifest, &e);
	}
	return lamb_manifest_save(&p->manifest, p->manifest_path, err);
}

static int run(struct plan *p, struct lamb_err *err)
{
	run_phase(p, 1, 0);
	run_phase(p, 1, 1);
	run_phase(p, 0, 0);
	run_phase(p, 0, 1);
	if (save_manifest(p, err) < 0)
		return -1;
	size_t failed = 0, selected = 0;
	for (size_t i = 0; i < p->len; i++) {
		selected += p->v[i].selected;
		failed += p->v[i].selected && p->v[i].state == LAMB_BUILD_FAILED;
	}
	if (failed)
		return lamb_err_set(err, "%zu of %zu artifacts failed to build", failed, selected);
	return 0;
}

/* Lexically: "." and ".." segments folded away. In place. */
static void normalise(char *path)
{
	char *out = path, *p = path;
	bool abs = *p == '/';
	if (abs)
		out++, p++;
	char *start = out;
	for (bool last = !*p; !last;) {
		char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		last = !*end; /* read before the '/' written below may land on *end */
		char *next = end + 1;
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.' && out > start) {
			out--;
			while (out > start && out[-1] != '/')
				out--;
		} else {
			memmove(out, p, n);
			out += n;
			*out++ = '/';
		}
		p = next;
	}
	if (out > start)
		out--;
	*out = 0;
	if (!*path)
		strcpy(path, ".");
}

/* to (absolute) relative to the directory from (absolute). */
static char *relative(const char *from, const char *to)
{
	cleanup_free char *f = xstrdup(from), *t = xstrdup(to);
	normalise(f);
	normalise(t);
	size_t common = 0;
	for (size_t i = 0; f[i] && f[i] == t[i]; i++)
		if (f[i] == '/')
			common = i;
	size_t fl = strlen(f), tl = strlen(t);
	if (strncmp(f, t, fl) == 0 && (t[fl] == '/' || !t[fl]))
		common = fl;
	else if (strncmp(f, t, tl) == 0 && f[tl] == '/')
		common = tl;
	struct lamb_buf b;
	lamb_buf_init(&b);
	for (const char *s = f + common; *s; s++)
		if (*s == '/')
			lamb_buf_addstr(&b, "../");
	const char *rest = t + common + (t[common] == '/');
	lamb_buf_addstr(&b, *rest ? rest : ".");
	return lamb_buf_steal(&b);
}

static const char *code_key(const char *type, bool layer)
{
	bool sam = str_starts(type, "AWS::Serverless::");
	if (layer)
		return sam ? "ContentUri" : "Content";
	return sam ? "CodeUri" : "Code";
}

static void add_uri(struct lamb_build_uri **v, size_t *n, size_t *cap, const char *id, const char *key,
		    char *value)
{
	*v = xgrow(*v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = (struct lamb_build_uri){ .id = id, .key = key, .value = value };
}

static char *location(struct plan *p, const char *id, const char *path)
{
	struct lamb_artifact *a = find(p, id);
	if (a && !a->selected) {
		struct lamb_err ignored;
		lamb_artifact_check(&p->ctx, a, &ignored);
	}
	if (a && a->up_to_date)
		return xasprintf("artifacts/%s.zip", id);
	return relative(p->build_dir, path);
}

static int write_file(const char *path, const char *text, struct lamb_err *err)
{
	cleanup_free char *tmp = xasprintf("%s.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return lamb_err_set(err, "cannot create '%s': %s", tmp, strerror(errno));
	size_t len = strlen(text);
	int r = write(fd, text, len) == (ssize_t)len && fchmod(fd, 0644) == 0 ? 0 : -1;
	if (close(fd) != 0 || r < 0 || rename(tmp, path) != 0) {
		r = lamb_err_set(err, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
	}
	return r;
}

static int write_template(struct plan *p, const struct lamb_model *m, struct lamb_err *err)
{
	struct lamb_build_uri *uris = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < m->nfunctions; i++) {
		const struct lamb_function *f = &m->functions[i];
		if (!f->stack && f->code_kind == LAMB_CODE_LOCAL && strcmp(f->package_type, "Zip") == 0)
			add_uri(&uris, &n, &cap, f->logical_id, code_key(f->type, false),
				location(p, f->logical_id, f->code));
	}
	for (size_t i = 0; i < m->nlayers; i++) {
		const struct lamb_layer *l = &m->layers[i];
		if (!l->stack && l->code_kind == LAMB_CODE_LOCAL)
			add_uri(&uris, &n, &cap, l->logical_id, code_key(l->type, true),
				location(p, l->logical_id, l->content));
	}
	size_t len;
	cleanup_free char *src = lamb_read_file(m->path, &len);
	int r = 0;
	if (!src)
		r = lamb_err_set(err, "cannot read '%s': %s", m->path, strerror(errno));
	cleanup_free char *out = src ? lamb_build_template_rewrite(m->path, src, len, uris, n, err) : NULL;
	if (r == 0 && !out)
		r = -1;
	cleanup_free char *dest = xasprintf("%s/template.yaml", p->build_dir);
	if (r == 0)
		r = write_file(dest, out, err);
	for (size_t i = 0; i < n; i++)
		free((char *)uris[i].value);
	free(uris);
	return r;
}

int lamb_build(const struct lamb_model *m, const struct lamb_build_opts *o, struct lamb_err *err)
{
	struct plan p = { 0 };
	int r = open_plan(&p, m, o, err);
	if (r == 0) {
		struct lamb_err build_err;
		int br = run(&p, &build_err);
		r = write_template(&p, m, err);
		if (br < 0) {
			*err = build_err;
			r = -1;
		}
	}
	close_plan(&p);
	return r;
}

int lamb_build_function(const struct lamb_model *m, const struct lamb_function *fn,
			const struct lamb_build_opts *o, char **code_dir, struct lamb_err *err)
{
	struct lamb_build_opts fo = *o;
	fo.only = fn->logical_id;
	struct plan p = { 0 };
	int r = open_plan(&p, m, &fo, err);
	if (r == 0)
		r = run(&p, err);
	if (r == 0)
		*code_dir = xasprintf("%s/%s", p.build_dir, fn->logical_id);
	close_plan(&p);
	return r;
}
