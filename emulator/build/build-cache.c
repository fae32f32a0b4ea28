/* The hash cache file: one line per file, in the tree's (sorted) order,
 * "HASH SIZE DEV INO MTIME CTIME PATH", so loading is a split per line and
 * lookups a binary search; no JSON for ten thousand entries. Paths with a
 * line break are never cached. */
#include "base/hash.h"
#include "base/util.h"
#include "build/build-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void lamb_build_cache_init(struct lamb_build_cache *c)
{
	memset(c, 0, sizeof(*c));
}

static void free_entries(struct lamb_build_cache_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

void lamb_build_cache_release(struct lamb_build_cache *c)
{
	if (!c)
		return;
	free_entries(c->old, c->nold);
	free_entries(c->next, c->nnext);
	memset(c, 0, sizeof(*c));
}

static bool parse_line(char *line, struct lamb_build_cache_entry *e)
{
	unsigned long long h, size, dev, ino;
	long long ms, cs;
	long mns, cns;
	int used = 0;
	if (sscanf(line, "%llx %llu %llu %llu %lld.%ld %lld.%ld %n", &h, &size, &dev, &ino, &ms, &mns, &cs, &cns,
		   &used) != 8 || !used || !line[used])
		return false;
	*e = (struct lamb_build_cache_entry){
		.path = xstrdup(line + used), .hash = h, .size = size, .dev = dev, .ino = ino,
		.mtime = { .tv_sec = (time_t)ms, .tv_nsec = mns }, .ctime = { .tv_sec = (time_t)cs, .tv_nsec = cns },
	};
	return true;
}

void lamb_build_cache_load(struct lamb_build_cache *c, const char *path)
{
	struct stat st;
	size_t len, cap = 0;
	cleanup_free char *text = lamb_read_file(path, &len);
	if (!text || stat(path, &st) != 0)
		return;
	c->written = st.st_mtim.tv_sec;
	for (char *line = text, *nl; *line; line = nl) {
		nl = strchrnul(line, '\n');
		if (*nl)
			*nl++ = 0;
		struct lamb_build_cache_entry e;
		if (!parse_line(line, &e))
			continue;
		if (c->nold && strcmp(c->old[c->nold - 1].path, e.path) >= 0) {
			free(e.path); /* out of order: not ours */
			continue;
		}
		c->old = xgrow(c->old, &cap, c->nold + 1, sizeof(*c->old));
		c->old[c->nold++] = e;
	}
}

static const struct lamb_build_cache_entry *find(const struct lamb_build_cache *c, const char *path)
{
	size_t lo = 0, hi = c->nold;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(c->old[mid].path, path);
		if (r == 0)
			return &c->old[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* The recorded hash, when e is the file that was hashed and was not
 * changing around the time the cache was written. */
static bool trusted(const struct lamb_build_cache *c, const struct lamb_build_cache_entry *old,
		    const struct lamb_build_cache_entry *now)
{
	return old && old->size == now->size && old->dev == now->dev && old->ino == now->ino &&
	       same_time(old->mtime, now->mtime) && same_time(old->ctime, now->ctime) &&
	       now->mtime.tv_sec < c->written && now->ctime.tv_sec < c->written;
}

static int hash_file(const char *path, uint64_t *out, struct lamb_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lamb_err_set(err, "cannot open '%s': %s", path, strerror(errno));
	struct lamb_hash h;
	lamb_hash_init(&h);
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		lamb_hash_update(&h, buf, (size_t)n);
	int e = errno;
	close(fd);
	if (n < 0)
		return lamb_err_set(err, "cannot read '%s': %s", path, strerror(e));
	*out = lamb_hash_final(&h);
	return 0;
}

int lamb_build_cache_hash(struct lamb_build_cache *c, const struct lamb_tree_entry *e, uint64_t *out,
			  struct lamb_err *err)
{
	struct lamb_build_cache_entry now = {
		.size = (uint64_t)e->st.st_size, .dev = (uint64_t)e->st.st_dev, .ino = (uint64_t)e->st.st_ino,
		.mtime = e->st.st_mtim, .ctime = e->st.st_ctim,
	};
	const struct lamb_build_cache_entry *old = find(c, e->path);
	if (trusted(c, old, &now)) {
		now.hash = old->hash;
	} else {
		if (hash_file(e->src, &now.hash, err) < 0)
			return -1;
		c->dirty = true;
	}
	*out = now.hash;
	if (strchr(e->path, '\n'))
		return 0;
	now.path = xstrdup(e->path);
	c->next = xgrow(c->next, &c->capnext, c->nnext + 1, sizeof(*c->next));
	c->next[c->nnext++] = now;
	return 0;
}

int lamb_build_cache_save(struct lamb_build_cache *c, const char *path, struct lamb_err *err)
{
	if (!c->dirty && c->nnext == c->nold)
		return 0;
	const char *slash = strrchr(path, '/');
	cleanup_free char *tmp = xasprintf("%.*s/.tmp-cache-%ld-XXXXXX", (int)(slash ? slash - path : 1),
					   slash ? path : ".", (long)getpid());
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return lamb_err_set(err, "cannot create '%s': %s", tmp, strerror(errno));
	FILE *f = fdopen(fd, "w");
	for (size_t i = 0; f && i < c->nnext; i++) {
		const struct lamb_build_cache_entry *e = &c->next[i];
		fprintf(f, "%016" PRIx64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %lld.%09ld %lld.%09ld %s\n", e->hash,
			e->size, e->dev, e->ino, (long long)e->mtime.tv_sec, e->mtime.tv_nsec,
			(long long)e->ctime.tv_sec, e->ctime.tv_nsec, e->path);
	}
	int r = f && !ferror(f) ? 0 : -1;
	if ((f ? fclose(f) : close(fd)) != 0)
		r = -1;
	if (r == 0 && rename(tmp, path) != 0)
		r = -1;
	if (r < 0) {
		lamb_err_set(err, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
	}
	return r;
}
