/* Turning a function's code and layers into directories. Zips are
 * extracted with libarchive's secure flags (no "..", no absolute paths, no
 * writing through symlinks), so a hostile archive stays in its directory. */
#include "base/util.h"
#include "engine/code.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int lamb_code_unzip(const char *path, const char *dir, struct lamb_err *err)
{
	struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	struct archive_entry *e;
	int rc = 0, r;
	archive_read_support_format_zip(in);
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
					    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	if (archive_read_open_filename(in, path, 65536) != ARCHIVE_OK) {
		rc = lamb_err_set(err, "cannot open '%s': %s", path, archive_error_string(in));
		goto out;
	}
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		/* we prefix dir ourselves, so libarchive's NOABSOLUTEPATHS cannot be used */
		if (archive_entry_pathname(e)[0] == '/') {
			rc = lamb_err_set(err, "'%s' holds an absolute path '%s'", path, archive_entry_pathname(e));
			goto out;
		}
		char *dest = xasprintf("%s/%s", dir, archive_entry_pathname(e));
		archive_entry_set_pathname(e, dest);
		free(dest);
		if (archive_write_header(out, e) != ARCHIVE_OK) {
			rc = lamb_err_set(err, "cannot extract '%s': %s", path, archive_error_string(out));
			goto out;
		}
		const void *buf;
		size_t size;
		la_int64_t off;
		while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(out, buf, size, off) != ARCHIVE_OK)
				break;
		if (r != ARCHIVE_EOF || archive_write_finish_entry(out) != ARCHIVE_OK) {
			rc = lamb_err_set(err, "cannot extract '%s': %s", path,
					  archive_error_string(r != ARCHIVE_EOF ? in : out));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		rc = lamb_err_set(err, "cannot read '%s': %s", path, archive_error_string(in));
out:
	archive_read_free(in);
	archive_write_free(out);
	return rc;
}

const char *lamb_code_tmpdir(struct lamb_code *c, struct lamb_err *err)
{
	if (c->tmp)
		return c->tmp;
	const char *base = getenv("TMPDIR");
	/* lamb's pid in the name: a lamb killed by SIGKILL cannot remove its
	 * directories, and the next one removes those whose owner is gone */
	char *t = xasprintf("%s/lamb-code-%d-XXXXXX", base && *base ? base : "/tmp", (int)getpid());
	if (!mkdtemp(t)) {
		lamb_err_set(err, "cannot create a temporary directory: %s", strerror(errno));
		free(t);
		return NULL;
	}
	c->tmp = t;
	return t;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw);

void lamb_code_sweep_stale(void)
{
	const char *base = getenv("TMPDIR");
	base = base && *base ? base : "/tmp";
	DIR *d = opendir(base);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int pid;
		char rest[32];
		struct stat st;
		if (sscanf(e->d_name, "lamb-code-%d-%31s", &pid, rest) != 2 || pid <= 0 || pid == getpid() ||
		    kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		char *dir = xasprintf("%s/%s", base, e->d_name);
		/* only our own: another user's is theirs to remove */
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid())
			nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(dir);
	}
	if (d)
		closedir(d);
}

/* Whether path can be a code directory: a directory, or a zip to extract. */
static int source_ok(const char *path, struct lamb_err *err)
{
	if (is_dir(path) || str_ends(path, ".zip") || str_ends(path, ".jar"))
		return 0;
	return lamb_err_set(err, "'%s' is neither a directory nor a .zip", path);
}

/* A directory for path: itself, or its zip extracted under tmp/name. */
static char *as_dir(struct lamb_code *c, const char *path, const char *name, struct lamb_err *err)
{
	if (is_dir(path)) {
		char *abs = realpath(path, NULL);
		return abs ? abs : xstrdup(path);
	}
	if (source_ok(path, err) < 0)
		return NULL;
	const char *t = lamb_code_tmpdir(c, err);
	if (!t)
		return NULL;
	char *dir = xasprintf("%s/%s", t, name);
	if (mkdir(dir, 0755) < 0) {
		lamb_err_set(err, "cannot create '%s': %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	if (lamb_code_unzip(path, dir, err) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

static char *inline_code(struct lamb_code *c, const struct lamb_function *fn, struct lamb_err *err)
{
	const char *t = lamb_code_tmpdir(c, err);
	if (!t)
		return NULL;
	bool py = fn->runtime && str_starts(fn->runtime, "python");
	char *dir = xasprintf("%s/code", t);
	char *file = xasprintf("%s/%s", dir, py ? "index.py" : "index.js");
	FILE *f = mkdir(dir, 0755) == 0 ? fopen(file, "we") : NULL;
	bool ok = f && fputs(fn->code, f) >= 0;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok) {
		lamb_err_set(err, "cannot write '%s': %s", file, strerror(errno));
		free(dir);
		dir = NULL;
	}
	free(file);
	return dir;
}

static const char *mapped(const struct lamb_kvs *map, const char *arn)
{
	for (size_t i = 0; map && i < map->len; i++)
		if (strcmp(map->v[i].key, arn) == 0)
			return map->v[i].value;
	return NULL;
}

/* Where the layer's content is on this machine; NULL with err when it is
 * not here. */
static const char *layer_path(const struct lamb_layer_ref *ref, const struct lamb_kvs *map, struct lamb_err *err)
{
	const char *path = ref->layer && ref->layer->code_kind == LAMB_CODE_LOCAL ? ref->layer->content : NULL;
	const char *what = ref->layer ? ref->layer->logical_id : ref->arn;
	if (!path && ref->arn)
		path = mapped(map, ref->arn);
	if (!path && ref->layer)
		return lamb_err_set(err, "layer '%s' is in S3 ('%s'); point its ContentUri at a local directory",
				    what, ref->layer->content), NULL;
	if (!path)
		return lamb_err_set(err, "layer '%s' cannot be fetched offline; give its content with "
				    "--layer-dir '%s=DIR' (a directory or a .zip)", what, what), NULL;
	return path;
}

static int layer_dir(struct lamb_code *c, const struct lamb_layer_ref *ref, size_t i,
		     const struct lamb_kvs *map, struct lamb_err *err)
{
	char name[32];
	const char *path = layer_path(ref, map, err);
	if (!path)
		return -1;
	snprintf(name, sizeof(name), "layer%zu", i);
	c->layers[i] = as_dir(c, path, name, err);
	return c->layers[i] ? 0 : lamb_err_prefix(err, "layer '%s'", ref->layer ? ref->layer->logical_id : ref->arn);
}

int lamb_code_check(const struct lamb_function *fn, const struct lamb_kvs *layer_dirs, struct lamb_err *err)
{
	if (fn->code_kind == LAMB_CODE_LOCAL && fn->code) {
		if (source_ok(fn->code, err) < 0)
			return -1;
	} else if (fn->code_kind != LAMB_CODE_INLINE) {
		return lamb_err_set(err, "it has no local code");
	}
	for (size_t i = 0; i < fn->nlayers; i++) {
		const struct lamb_layer_ref *ref = &fn->layers[i];
		const char *path = layer_path(ref, layer_dirs, err);
		if (!path)
			return -1;
		if (source_ok(path, err) < 0)
			return lamb_err_prefix(err, "layer '%s'", ref->layer ? ref->layer->logical_id : ref->arn);
	}
	return 0;
}

int lamb_code_init(struct lamb_code *c, const struct lamb_function *fn, const struct lamb_kvs *layer_dirs,
		   struct lamb_err *err)
{
	memset(c, 0, sizeof(*c));
	if (fn->code_kind == LAMB_CODE_INLINE)
		c->dir = inline_code(c, fn, err);
	else if (fn->code_kind == LAMB_CODE_LOCAL && fn->code)
		c->dir = as_dir(c, fn->code, "code", err);
	else
		lamb_err_set(err, "it has no local code");
	if (!c->dir)
		goto fail;
	c->layers = xcalloc(fn->nlayers + 1, sizeof(char *));
	c->nlayers = fn->nlayers;
	for (size_t i = 0; i < fn->nlayers; i++)
		if (layer_dir(c, &fn->layers[i], i, layer_dirs, err) < 0)
			goto fail;
	return 0;
fail:
	lamb_code_release(c);
	return -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path); /* best effort: what cannot go stays in $TMPDIR */
	return 0;
}

void lamb_code_release(struct lamb_code *c)
{
	if (!c)
		return;
	if (c->tmp)
		nftw(c->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; c->layers && i < c->nlayers; i++)
		free(c->layers[i]);
	free(c->layers);
	free(c->dir);
	free(c->merged);
	free(c->tmp);
	memset(c, 0, sizeof(*c));
}

/* --- merging layers (nftw has no user pointer: one merge at a time,
 * under merge_lock, as pools prepare on worker threads) --- */

static pthread_mutex_t merge_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *merge_src, *merge_dst;
static int merge_errno;

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int out = in >= 0 ? open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 07777) : -1;
	char buf[65536];
	ssize_t n = 0;
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	int rc = in >= 0 && out >= 0 && n == 0 ? 0 : -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	return rc;
}

static int merge_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	char *dst = xasprintf("%s%s", merge_dst, path + strlen(merge_src));
	int rc = 0;
	if (flag == FTW_D) {
		if (mkdir(dst, 0755) < 0 && errno != EEXIST)
			rc = -1;
	} else if (flag == FTW_SL) {
		char target[4096];
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		unlink(dst);
		if (n < 0 || (target[n] = '\0', symlink(target, dst) < 0))
			rc = -1;
	} else if (flag == FTW_F) {
		unlink(dst); /* a later layer wins */
		if (link(path, dst) < 0 && copy_file(path, dst, st->st_mode) < 0)
			rc = -1;
	}
	if (rc < 0)
		merge_errno = errno;
	free(dst);
	return rc;
}

/* Merges the layers into dst; 0, or -1 with errno. Under merge_lock. */
static int merge_into(const struct lamb_code *c, const char *dst, const char **failed)
{
	int e = 0;
	pthread_mutex_lock(&merge_lock);
	for (size_t i = 0; i < c->nlayers && !e; i++) {
		merge_src = c->layers[i];
		merge_dst = dst;
		merge_errno = 0;
		if (nftw(c->layers[i], merge_entry, 16, FTW_PHYS) != 0) {
			*failed = c->layers[i];
			e = merge_errno ? merge_errno : errno ? errno : EIO;
		}
	}
	pthread_mutex_unlock(&merge_lock);
	errno = e;
	return e ? -1 : 0;
}

const char *lamb_code_merge_layers(struct lamb_code *c, struct lamb_err *err)
{
	if (c->merged)
		return c->merged;
	const char *t = lamb_code_tmpdir(c, err);
	if (!t)
		return NULL;
	char *dst = xasprintf("%s/opt", t);
	const char *failed = NULL;
	if (merge_into(c, dst, &failed) < 0) {
		lamb_err_set(err, "cannot merge layer '%s' into '%s': %s", failed, dst, strerror(errno));
		free(dst);
		return NULL;
	}
	c->merged = dst;
	return dst;
}
