/* Zip writing. libarchive computes each entry's DOS time with localtime(),
 * which is why "no time" (mtime unset, clamped to 1980 by the writer) is the
 * default rather than a chosen date. Data is streamed in 256 KiB reads; the
 * archive goes straight to the fd without block padding. */
#include "base/util.h"
#include "build/zip.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int64_t lamb_zip_default_mtime(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	if (!s || !*s)
		return -1;
	char *end;
	long long v = strtoll(s, &end, 10);
	return *end || v < 0 ? -1 : (int64_t)v;
}

static int add_data(struct archive *a, const struct lamb_tree_entry *e, char *buf, size_t bufsz,
		    struct lamb_err *err)
{
	int fd = open(e->src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lamb_err_set(err, "cannot open '%s': %s", e->src, strerror(errno));
	uint64_t left = e->size;
	int r = 0;
	while (left > 0) {
		ssize_t n = read(fd, buf, left < bufsz ? (size_t)left : bufsz);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = lamb_err_set(err, "cannot read '%s': %s", e->src,
					 n == 0 ? "file shrank while zipping" : strerror(errno));
			break;
		}
		if (archive_write_data(a, buf, (size_t)n) != n) {
			r = lamb_err_set(err, "cannot zip '%s': %s", e->src, archive_error_string(a));
			break;
		}
		left -= (uint64_t)n;
	}
	close(fd);
	return r;
}

/* Data that is compressed already is stored: deflate would spend time to
 * make it a little larger. Decided by name, so the choice costs nothing and
 * is the same on every run. */
static bool stored(const char *path)
{
	static const char *const suffixes[] = {
		".zip", ".whl", ".jar", ".egg", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".br",
		".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp3", ".mp4", ".woff", ".woff2",
	};
	const char *dot = strrchr(path, '.');
	if (!dot || strchr(dot, '/'))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++)
		if (strcasecmp(dot, suffixes[i]) == 0)
			return true;
	return false;
}

static int add_entry(struct archive *a, struct archive_entry *ae, const struct lamb_tree_entry *e,
		     const struct lamb_zip_opts *o, char *buf, size_t bufsz, struct lamb_err *err)
{
	archive_entry_clear(ae);
	if (S_ISDIR(e->mode)) {
		cleanup_free char *p = xasprintf("%s/", e->path);
		archive_entry_set_pathname(ae, p);
	} else {
		archive_entry_set_pathname(ae, e->path);
	}
	archive_entry_set_mode(ae, e->mode);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	if (o->mtime >= 0)
		archive_entry_set_mtime(ae, (time_t)o->mtime, 0);
	if (S_ISLNK(e->mode))
		archive_entry_set_symlink(ae, e->link);
	archive_entry_set_size(ae, S_ISREG(e->mode) ? (la_int64_t)e->size : 0);
	if (S_ISREG(e->mode) && stored(e->path))
		archive_write_zip_set_compression_store(a);
	else
		archive_write_zip_set_compression_deflate(a);
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		return lamb_err_set(err, "cannot zip '%s': %s", e->path, archive_error_string(a));
	if (S_ISREG(e->mode) && e->size && add_data(a, e, buf, bufsz, err) < 0)
		return -1;
	return 0;
}

int lamb_zip_write_fd(const struct lamb_tree *t, int fd, const struct lamb_zip_opts *o,
		      uint64_t *zipped, struct lamb_err *err)
{
	static const struct lamb_zip_opts defaults = { .mtime = -1 };
	if (!o)
		o = &defaults;
	struct archive *a = archive_write_new();
	archive_write_set_format_zip(a);
	archive_write_zip_set_compression_deflate(a);
	archive_write_set_bytes_per_block(a, 0);
	int r = 0;
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
		r = lamb_err_set(err, "cannot start zip: %s", archive_error_string(a));
	struct archive_entry *ae = archive_entry_new();
	size_t bufsz = 256 * 1024;
	cleanup_free char *buf = xmalloc(bufsz);
	for (size_t i = 0; r == 0 && i < t->len; i++)
		r = add_entry(a, ae, &t->v[i], o, buf, bufsz, err);
	archive_entry_free(ae);
	if (archive_write_close(a) != ARCHIVE_OK && r == 0)
		r = lamb_err_set(err, "cannot finish zip: %s", archive_error_string(a));
	if (zipped)
		*zipped = (uint64_t)archive_filter_bytes(a, -1);
	archive_write_free(a);
	return r;
}

int lamb_zip_write_temp(const struct lamb_tree *t, const char *dest, const struct lamb_zip_opts *o,
			char **tmp, uint64_t *zipped, struct lamb_err *err)
{
	const char *slash = strrchr(dest, '/');
	long pid = (long)getpid();
	char *path = slash ? xasprintf("%.*s/.%s.%ld.XXXXXX", (int)(slash - dest), dest, slash + 1, pid)
			   : xasprintf(".%s.%ld.XXXXXX", dest, pid);
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		lamb_err_set(err, "cannot create a file beside '%s': %s", dest, strerror(errno));
		free(path);
		return -1;
	}
	int r = lamb_zip_write_fd(t, fd, o, zipped, err);
	if (r == 0 && fchmod(fd, 0644) != 0)
		r = lamb_err_set(err, "cannot chmod '%s': %s", path, strerror(errno));
	if (r == 0 && fsync(fd) != 0)
		r = lamb_err_set(err, "cannot write '%s': %s", path, strerror(errno));
	if (close(fd) != 0 && r == 0)
		r = lamb_err_set(err, "cannot write '%s': %s", path, strerror(errno));
	if (r < 0) {
		unlink(path);
		free(path);
		return -1;
	}
	*tmp = path;
	return 0;
}

int lamb_zip_write(const struct lamb_tree *t, const char *dest, const struct lamb_zip_opts *o,
		   uint64_t *zipped, struct lamb_err *err)
{
	cleanup_free char *tmp = NULL;
	if (lamb_zip_write_temp(t, dest, o, &tmp, zipped, err) < 0)
		return -1;
	if (rename(tmp, dest) != 0) {
		int e = errno;
		unlink(tmp);
		return lamb_err_set(err, "cannot rename '%s' to '%s': %s", tmp, dest, strerror(e));
	}
	return 0;
}
