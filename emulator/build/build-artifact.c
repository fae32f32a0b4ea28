/* Building one artifact: staging folder, build method, pruning what
 * .lambignore leaves out, limits, zip into a temporary file, then the swap:
 * the tree with renameat2(RENAME_EXCHANGE), the zip with rename(). The
 * manifest is written by the caller only after both, so an interrupted
 * build is rebuilt next time rather than trusted. */
#include "base/hash.h"
#include "build/build-artifact.h"
#include "build/build-cache.h"
#include "build/build-pip.h"
#include "build/ignore.h"
#include "build/tree.h"
#include "build/zip.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Bumped whenever the same inputs would give different output bytes, so
 * that artifacts of an older lamb are rebuilt, not trusted. */
#define BUILD_FORMAT "lamb-build-4"

void lamb_artifact_release(struct lamb_artifact *a)
{
	if (!a)
		return;
	lamb_build_method_release(&a->bm);
	free(a->error);
	a->error = NULL;
	lamb_buf_release(&a->output);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int hash_file(struct lamb_hash *h, const char *path, struct lamb_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lamb_err_set(err, "cannot open '%s': %s", path, strerror(errno));
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		lamb_hash_update(h, buf, (size_t)n);
	int e = errno;
	close(fd);
	return n < 0 ? lamb_err_set(err, "cannot read '%s': %s", path, strerror(e)) : 0;
}

/* A directory or file outside the source that the build reads. */
static int hash_input(struct lamb_hash *h, const char *path, struct lamb_err *err)
{
	static const char *const skip[] = { "node_modules", NULL };
	struct stat st;
	lamb_hash_str(h, path);
	if (stat(path, &st) != 0) {
		lamb_hash_str(h, "(missing)");
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return hash_file(h, path, err);
	struct lamb_tree t;
	lamb_tree_init(&t);
	struct lamb_tree_filter f = { .builtin = true, .names = skip };
	int r = lamb_tree_scan(&t, path, &f, err);
	for (size_t i = 0; r == 0 && i < t.len; i++) {
		lamb_hash_str(h, t.v[i].path);
		lamb_hash_u64(h, t.v[i].mode);
		if (S_ISREG(t.v[i].mode))
			r = hash_file(h, t.v[i].src, err);
	}
	lamb_tree_release(&t);
	return r;
}

/* Whether --build-on-host changes what pip does: not when the interpreter
 * is the target's anyway, so that lamb local (which builds for this
 * machine) and lamb build share a tree whenever they can. */
static bool for_host(const struct lamb_artifact_ctx *c, const struct lamb_artifact *a)
{
	if (!c->on_host || !a->bm.tool || a->bm.kind == LAMB_METHOD_MAKE || a->bm.kind == LAMB_METHOD_COPY)
		return false;
	if (a->bm.kind == LAMB_METHOD_NODE)
		return !lamb_build_target_native(&a->target);
	if (a->target.npythons)
		return true; /* one install for here, not one per Python version (build-method.c) */
	struct lamb_pip p = { .python = a->bm.tool, .version = a->bm.version, .target = &a->target };
	return !lamb_pip_host_matches(&p);
}

/* The names and sizes of the wheels in a wheelhouse: a wheel added or
 * replaced may change what pip picks. */
static void hash_wheelhouse(struct lamb_hash *h, const char *dir)
{
	struct lamb_tree t;
	lamb_tree_init(&t);
	lamb_hash_str(h, dir);
	if (lamb_tree_scan(&t, dir, NULL, NULL) == 0)
		for (size_t i = 0; i < t.len; i++) {
			lamb_hash_str(h, t.v[i].path);
			lamb_hash_u64(h, t.v[i].size);
		}
	lamb_tree_release(&t);
}

/* Everything the build reads: the filtered source tree (paths, modes,
 * sizes, contents, link targets), local dependencies outside it,
 * .lambignore, the method and its tool, the target, the wheelhouse,
 * the zip time. Not the files' times: touching a file changes nothing
 * (file contents come through the hash cache, see build-cache.h). */
static int compute_key(const struct lamb_artifact_ctx *c, struct lamb_artifact *a,
		       const struct lamb_tree *t, struct lamb_err *err)
{
	struct lamb_hash h;
	lamb_hash_init(&h);
	lamb_hash_str(&h, BUILD_FORMAT);
	lamb_hash_str(&h, LAMB_VERSION);
	lamb_hash_str(&h, a->id);
	lamb_hash_str(&h, a->layer ? "layer" : "function");
	lamb_hash_str(&h, a->bm.name);
	lamb_hash_str(&h, a->bm.prefix);
	lamb_hash_u64(&h, a->bm.tool_id);
	lamb_hash_u64(&h, (uint64_t)c->mtime);
	/* the target: changing Architectures or the runtime rebuilds */
	lamb_hash_str(&h, a->target.runtime ? a->target.runtime : "-");
	lamb_hash_str(&h, lamb_build_target_arch(&a->target));
	for (size_t i = 0; i < a->target.npythons; i++)
		lamb_hash_u64(&h, (uint64_t)a->target.pythons[i]);
	lamb_hash_str(&h, for_host(c, a) ? "on-host" : "for-target");
	if (a->bm.tool && c->wheelhouse)
		hash_wheelhouse(&h, c->wheelhouse);
	cleanup_free char *ignore = xasprintf("%s/.lambignore", a->src);
	if (access(ignore, F_OK) == 0 && hash_file(&h, ignore, err) < 0)
		return -1;
	struct lamb_strlist extra = { 0 };
	lamb_build_method_inputs(&a->bm, a->src, &extra);
	int r = 0;
	for (size_t i = 0; r == 0 && i < extra.len; i++)
		r = hash_input(&h, extra.v[i], err);
	lamb_strlist_release(&extra);
	if (r < 0)
		return -1;
	struct lamb_build_cache cache;
	lamb_build_cache_init(&cache);
	cleanup_free char *cache_path = xasprintf("%s/.cache-%s", c->build_dir, a->id);
	lamb_build_cache_load(&cache, cache_path);
	for (size_t i = 0; r == 0 && i < t->len; i++) {
		const struct lamb_tree_entry *e = &t->v[i];
		uint64_t content;
		lamb_hash_str(&h, e->path);
		lamb_hash_u64(&h, e->mode);
		lamb_hash_u64(&h, e->size);
		if (e->link)
			lamb_hash_str(&h, e->link);
		else if (S_ISREG(e->mode) && (r = lamb_build_cache_hash(&cache, e, &content, err)) == 0)
			lamb_hash_u64(&h, content);
	}
	if (r == 0)
		lamb_build_cache_save(&cache, cache_path, NULL); /* only a cache: a failure costs time */
	lamb_build_cache_release(&cache);
	if (r < 0)
		return -1;
	lamb_hash_hex(lamb_hash_final(&h), a->key);
	return 0;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The source as it goes into the build: filtered, sorted. */
static int scan_source(const struct lamb_artifact_ctx *c, struct lamb_artifact *a, struct lamb_tree *t,
		       struct lamb_ignore *ig, struct lamb_err *err)
{
	cleanup_free char *ignore = xasprintf("%s/.lambignore", a->src);
	if (lamb_ignore_load(ig, ignore, err) < 0)
		return -1;
	struct lamb_tree_filter f = { .ignore = ig, .builtin = true, .names = lamb_build_method_skip(&a->bm),
				      .skip_dir = c->build_dir };
	return lamb_tree_scan(t, a->src, &f, err);
}

static int check(const struct lamb_artifact_ctx *c, struct lamb_artifact *a, struct lamb_tree *src,
		 struct lamb_ignore *ig, struct lamb_err *err)
{
	lamb_build_method_release(&a->bm);
	if (lamb_build_method_choose(&a->bm, a->build_method, a->runtime, a->layer, a->src, c->build_dir, err) < 0)
		return -1;
	a->bm.target = a->target;
	a->bm.wheelhouse = c->wheelhouse;
	a->bm.on_host = c->on_host;
	if (scan_source(c, a, src, ig, err) < 0 || compute_key(c, a, src, err) < 0)
		return -1;
	const struct lamb_manifest_entry *e = lamb_manifest_get(c->manifest, a->id);
	cleanup_free char *zip = xasprintf("%s/%s.zip", c->artifacts_dir, a->id);
	cleanup_free char *dir = xasprintf("%s/%s", c->build_dir, a->id);
	a->up_to_date = e && strcmp(e->key, a->key) == 0 && exists(zip) && exists(dir);
	if (a->up_to_date) {
		a->zipped = e->zipped;
		a->unzipped = e->unzipped;
		a->files = e->files;
	}
	return 0;
}

int lamb_artifact_check(const struct lamb_artifact_ctx *c, struct lamb_artifact *a, struct lamb_err *err)
{
	struct lamb_tree src;
	struct lamb_ignore ig;
	lamb_tree_init(&src);
	lamb_ignore_init(&ig);
	int r = check(c, a, &src, &ig, err);
	lamb_tree_release(&src);
	lamb_ignore_release(&ig);
	return r;
}

/* Removes from the built tree what the filter leaves out, so that the
 * folder and the zip hold the same files. Links are not followed here: a
 * tool's link to /somewhere must not get /somewhere's files deleted. */
static int prune(const char *root, const struct lamb_tree_filter *f, struct lamb_err *err)
{
	struct lamb_tree all, kept;
	lamb_tree_init(&all);
	lamb_tree_init(&kept);
	struct lamb_tree_filter none = { .no_follow = true };
	int r = lamb_tree_scan(&all, root, &none, err);
	if (r == 0)
		r = lamb_tree_scan(&kept, root, f, err);
	const char *removed = NULL;
	for (size_t i = 0, k = 0; r == 0 && i < all.len; i++) {
		const char *p = all.v[i].path;
		if (k < kept.len && strcmp(kept.v[k].path, p) == 0) {
			k++;
			continue;
		}
		size_t rl = removed ? strlen(removed) : 0;
		if (removed && strncmp(p, removed, rl) == 0 && p[rl] == '/')
			continue;
		cleanup_free char *full = xasprintf("%s/%s", root, p);
		r = lamb_tree_remove(full, err);
		removed = p;
	}
	lamb_tree_release(&all);
	lamb_tree_release(&kept);
	return r;
}

static char *human(uint64_t n)
{
	return n >= 1024 * 1024 ? xasprintf("%.1f MB", (double)n / (1024.0 * 1024.0))
				: xasprintf("%.1f KB", (double)n / 1024.0);
}

static int check_unzipped(const struct lamb_artifact *a, uint64_t own, struct lamb_err *err)
{
	uint64_t total = own + a->layers_unzipped;
	if (total <= LAMB_BUILD_MAX_UNZIPPED)
		return 0;
	cleanup_free char *h = human(total);
	if (a->layers_unzipped)
		return lamb_err_set(err, "unzipped, the function and its layers come to %s; Lambda allows "
				    "250 MB", h);
	return lamb_err_set(err, "unzipped it comes to %s; Lambda allows 250 MB", h);
}

static int commit(const struct lamb_artifact_ctx *c, const struct lamb_artifact *a, const char *stage,
		  const char *tmpzip, struct lamb_err *err)
{
	cleanup_free char *dir = xasprintf("%s/%s", c->build_dir, a->id);
	cleanup_free char *zip = xasprintf("%s/%s.zip", c->artifacts_dir, a->id);
	if (renameat2(AT_FDCWD, stage, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
		lamb_tree_remove(stage, NULL); /* now the previous tree */
	} else {
		if (exists(dir) && lamb_tree_remove(dir, err) < 0)
			return -1;
		if (rename(stage, dir) != 0)
			return lamb_err_set(err, "cannot rename '%s' to '%s': %s", stage, dir, strerror(errno));
	}
	if (rename(tmpzip, zip) != 0)
		return lamb_err_set(err, "cannot rename '%s' to '%s': %s", tmpzip, zip, strerror(errno));
	return 0;
}

static int build_staged(const struct lamb_artifact_ctx *c, struct lamb_artifact *a, const struct lamb_tree *src,
			const struct lamb_ignore *ig, const char *stage, char **tmpzip, struct lamb_err *err)
{
	if (lamb_build_method_run(&a->bm, a->id, a->src, src, stage, &a->output, err) < 0)
		return -1;
	cleanup_free char *root = *a->bm.prefix ? xasprintf("%s/%s", stage, a->bm.prefix) : xstrdup(stage);
	struct lamb_tree_filter f = { .ignore = ig, .builtin = true, .no_follow = true };
	if (exists(root) && prune(root, &f, err) < 0)
		return -1;
	struct lamb_tree out;
	lamb_tree_init(&out);
	int r = lamb_tree_scan(&out, stage, NULL, err);
	a->unzipped = out.bytes;
	a->files = out.files;
	if (r == 0)
		r = check_unzipped(a, out.bytes, err);
	cleanup_free char *zip = xasprintf("%s/%s.zip", c->artifacts_dir, a->id);
	struct lamb_zip_opts zo = { .mtime = c->mtime };
	if (r == 0)
		r = lamb_zip_write_temp(&out, zip, &zo, tmpzip, &a->zipped, err);
	lamb_tree_release(&out);
	if (r == 0 && a->zipped > LAMB_BUILD_MAX_ZIPPED) {
		cleanup_free char *h = human(a->zipped);
		r = lamb_err_set(err, "the zip is %s; Lambda takes at most 50 MB zipped", h);
	}
	return r;
}

/* The tree and zip of a->same_as, which was built from the same inputs. */
static int build_copied(const struct lamb_artifact_ctx *c, struct lamb_artifact *a, const char *stage,
			char **tmpzip, struct lamb_err *err)
{
	const struct lamb_artifact *s = a->same_as;
	cleanup_free char *from = xasprintf("%s/%s", c->build_dir, s->id);
	cleanup_free char *zip = xasprintf("%s/%s.zip", c->artifacts_dir, s->id);
	struct lamb_tree t;
	lamb_tree_init(&t);
	struct lamb_tree_filter f = { .no_follow = true };
	int r = lamb_tree_scan(&t, from, &f, err);
	if (r == 0)
		r = lamb_tree_copy(&t, stage, err);
	lamb_tree_release(&t);
	a->unzipped = s->unzipped;
	a->zipped = s->zipped;
	a->files = s->files;
	if (r == 0)
		r = check_unzipped(a, a->unzipped, err);
	if (r < 0)
		return -1;
	*tmpzip = xasprintf("%s/.%s.zip.%ld.copied", c->artifacts_dir, a->id, (long)getpid());
	if (lamb_tree_copy_file(zip, *tmpzip, 0644, err) < 0)
		return -1;
	int fd = open(*tmpzip, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		r = lamb_err_set(err, "cannot write '%s': %s", *tmpzip, strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

static int rebuild(const struct lamb_artifact_ctx *c, struct lamb_artifact *a, const struct lamb_tree *src,
		   const struct lamb_ignore *ig, struct lamb_err *err)
{
	a->up_to_date = false;
	cleanup_free char *stage = xasprintf("%s/.tmp-%s-%ld-XXXXXX", c->build_dir, a->id, (long)getpid());
	cleanup_free char *tmpzip = NULL;
	if (!mkdtemp(stage) || chmod(stage, 0755) != 0)
		return lamb_err_set(err, "cannot create '%s': %s", stage, strerror(errno));
	int r = a->same_as && a->same_as->up_to_date ? build_copied(c, a, stage, &tmpzip, err)
						      : build_staged(c, a, src, ig, stage, &tmpzip, err);
	if (r == 0)
		r = commit(c, a, stage, tmpzip, err);
	if (r < 0) {
		if (tmpzip)
			unlink(tmpzip);
		lamb_tree_remove(stage, NULL);
		return -1;
	}
	a->state = LAMB_BUILD_BUILT;
	a->up_to_date = true;
	return 0;
}

static int build(const struct lamb_artifact_ctx *c, struct lamb_artifact *a, struct lamb_err *err)
{
	struct lamb_tree src;
	struct lamb_ignore ig;
	lamb_tree_init(&src);
	lamb_ignore_init(&ig);
	int r = check(c, a, &src, &ig, err);
	if (r == 0 && a->up_to_date && !c->no_cached)
		a->state = LAMB_BUILD_CACHED;
	else if (r == 0)
		r = rebuild(c, a, &src, &ig, err);
	lamb_tree_release(&src);
	lamb_ignore_release(&ig);
	return r;
}

void lamb_artifact_build(const struct lamb_artifact_ctx *c, struct lamb_artifact *a)
{
	double t0 = now();
	struct lamb_err err;
	if (build(c, a, &err) < 0) {
		a->state = LAMB_BUILD_FAILED;
		a->error = xstrdup(err.msg);
	}
	a->seconds = now() - t0;
}
