/* Walking, copying and removing directory trees for the builder (and for
 * lamb init, which copies its templates with them). Walks sort at the end
 * rather than per directory: one qsort, and the order is the byte order of
 * whole paths, which is what the zip's order must be. */
#include "base/util.h"
#include "build/tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void lamb_tree_init(struct lamb_tree *t)
{
	memset(t, 0, sizeof(*t));
}

void lamb_tree_release(struct lamb_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->len; i++) {
		free(t->v[i].path);
		free(t->v[i].src);
		free(t->v[i].link);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

struct walk {
	struct lamb_tree *t;
	const struct lamb_tree_filter *f;
	struct stat skip;
	bool have_skip;
	struct { dev_t dev; ino_t ino; } stack[64]; /* directories being walked: loops */
	int depth;
};

static const char *const builtin_names[] = { ".git", ".lamb", ".aws-sam", "__pycache__", ".lambignore", NULL };

static bool in_list(const char *const *names, const char *name)
{
	for (; names && *names; names++)
		if (strcmp(*names, name) == 0)
			return true;
	return false;
}

static bool left_out(struct walk *w, const char *rel, const char *name, bool is_dir)
{
	if (w->f->builtin && in_list(builtin_names, name))
		return true;
	if (in_list(w->f->names, name))
		return true;
	return lamb_ignore_match(w->f->ignore, rel, is_dir);
}

static void add(struct walk *w, const char *rel, const char *src, const char *link, mode_t mode,
		uint64_t size, const struct stat *st)
{
	struct lamb_tree *t = w->t;
	t->v = xgrow(t->v, &t->cap, t->len + 1, sizeof(*t->v));
	struct lamb_tree_entry *e = &t->v[t->len++];
	e->path = xstrdup(rel);
	e->src = xstrdup(src);
	e->link = link ? xstrdup(link) : NULL;
	e->mode = mode;
	e->size = size;
	e->st = *st;
	if (!S_ISDIR(mode)) {
		t->bytes += size;
		t->files++;
	}
}

/* Whether link target (relative) from the directory of rel stays inside. */
static bool link_inside(const char *rel, const char *target)
{
	if (target[0] == '/')
		return false;
	int depth = 0;
	for (const char *p = rel; *p; p++)
		depth += *p == '/';
	for (const char *p = target; *p;) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return false;
		} else if (n && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p = *end ? end + 1 : end;
	}
	return true;
}

static int walk_dir(struct walk *w, const char *src, const char *rel, struct lamb_err *err);

static mode_t normal_mode(mode_t type, mode_t perm)
{
	if (type == S_IFDIR)
		return S_IFDIR | 0755;
	return type | ((perm & 0111) ? 0755 : 0644);
}

static int visit(struct walk *w, const char *src, const char *rel, const char *name, struct lamb_err *err)
{
	struct stat st;
	if (lstat(src, &st) != 0)
		return lamb_err_set(err, "cannot stat '%s': %s", src, strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return lamb_err_set(err, "cannot read link '%s': %s", src, strerror(errno));
		target[n] = 0;
		if (left_out(w, rel, name, false))
			return 0;
		if (w->f->no_follow || link_inside(rel, target)) {
			add(w, rel, src, target, S_IFLNK | 0777, (uint64_t)n, &st);
			return 0;
		}
		if (stat(src, &st) != 0)
			return lamb_err_set(err, "symlink '%s' points outside the code to '%s', which cannot be "
					    "read: %s", rel, target, strerror(errno));
	}
	bool is_dir = S_ISDIR(st.st_mode);
	if (!is_dir && !S_ISREG(st.st_mode))
		return 0; /* sockets, fifos, devices: nothing Lambda could use */
	if (left_out(w, rel, name, is_dir))
		return 0;
	if (!is_dir) {
		add(w, rel, src, NULL, normal_mode(S_IFREG, st.st_mode), (uint64_t)st.st_size, &st);
		return 0;
	}
	if (w->have_skip && st.st_dev == w->skip.st_dev && st.st_ino == w->skip.st_ino)
		return 0;
	for (int i = 0; i < w->depth; i++)
		if (w->stack[i].dev == st.st_dev && w->stack[i].ino == st.st_ino)
			return lamb_err_set(err, "symlink loop at '%s'", rel);
	if (w->depth == (int)ARRAY_SIZE(w->stack))
		return lamb_err_set(err, "directories nested too deep at '%s'", rel);
	add(w, rel, src, NULL, S_IFDIR | 0755, 0, &st);
	w->stack[w->depth].dev = st.st_dev;
	w->stack[w->depth].ino = st.st_ino;
	w->depth++;
	int r = walk_dir(w, src, rel, err);
	w->depth--;
	return r;
}

static int walk_dir(struct walk *w, const char *src, const char *rel, struct lamb_err *err)
{
	DIR *d = opendir(src);
	if (!d)
		return lamb_err_set(err, "cannot open directory '%s': %s", src, strerror(errno));
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		cleanup_free char *s = xasprintf("%s/%s", src, de->d_name);
		cleanup_free char *p = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		r = visit(w, s, p, de->d_name, err);
	}
	closedir(d);
	return r;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct lamb_tree_entry *)a)->path, ((const struct lamb_tree_entry *)b)->path);
}

int lamb_tree_scan(struct lamb_tree *t, const char *root, const struct lamb_tree_filter *f,
		   struct lamb_err *err)
{
	static const struct lamb_tree_filter none = { 0 };
	struct walk w = { .t = t, .f = f ? f : &none };
	if (w.f->skip_dir && stat(w.f->skip_dir, &w.skip) == 0)
		w.have_skip = true;
	struct stat st;
	if (stat(root, &st) != 0)
		return lamb_err_set(err, "cannot read '%s': %s", root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return lamb_err_set(err, "'%s' is not a directory", root);
	w.stack[0].dev = st.st_dev;
	w.stack[0].ino = st.st_ino;
	w.depth = 1;
	if (walk_dir(&w, root, "", err) < 0)
		return -1;
	qsort(t->v, t->len, sizeof(*t->v), by_path);
	return 0;
}

static const struct lamb_tree_copy_opts plain = { 0 };

/* in to out as they are, in the kernel when it can. */
static int copy_data(int in, int out, const char *from, struct lamb_err *err)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
			return lamb_err_set(err, "cannot copy '%s': %s", from, strerror(errno));
		char buf[65536];
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				return lamb_err_set(err, "cannot copy '%s': %s", from, strerror(errno));
		return n < 0 ? lamb_err_set(err, "cannot copy '%s': %s", from, strerror(errno)) : 0;
	}
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w, n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, struct lamb_buf *b)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : 0;
		lamb_buf_add(b, buf, (size_t)n);
	}
}

/* in read whole, through o->edit, to out. */
static int copy_edited(int in, int out, const char *from, const char *to, const struct lamb_tree_copy_opts *o,
		       struct lamb_err *err)
{
	struct lamb_buf text, edited;
	lamb_buf_init(&text);
	lamb_buf_init(&edited);
	int r = 0;
	if (read_all(in, &text) < 0) {
		r = lamb_err_set(err, "cannot read '%s': %s", from, strerror(errno));
	} else {
		lamb_buf_add(&text, "", 0); /* NUL-terminated, an empty file too */
		o->edit(text.data, text.len, &edited, o->data);
		if (write_all(out, edited.data, edited.len) < 0)
			r = lamb_err_set(err, "cannot write '%s': %s", to, strerror(errno));
	}
	lamb_buf_release(&text);
	lamb_buf_release(&edited);
	return r;
}

int lamb_tree_copy_file_with(const char *from, const char *to, mode_t mode, const struct lamb_tree_copy_opts *o,
			     struct lamb_err *err)
{
	o = o ? o : &plain;
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return lamb_err_set(err, "cannot open '%s': %s", from, strerror(errno));
	int out = open(to, O_WRONLY | O_CREAT | O_CLOEXEC | (o->no_clobber ? O_EXCL : O_TRUNC), mode & 07777);
	if (out < 0) {
		close(in);
		return lamb_err_set(err, "cannot create '%s': %s", to, strerror(errno));
	}
	int r = o->edit ? copy_edited(in, out, from, to, o, err) : copy_data(in, out, from, err);
	/* in an artifact, the umask must not take the executable bit away */
	if (r == 0 && !o->umask && fchmod(out, mode & 07777) != 0)
		r = lamb_err_set(err, "cannot chmod '%s': %s", to, strerror(errno));
	close(in);
	if (close(out) != 0 && r == 0)
		r = lamb_err_set(err, "cannot write '%s': %s", to, strerror(errno));
	return r;
}

int lamb_tree_copy_file(const char *from, const char *to, mode_t mode, struct lamb_err *err)
{
	return lamb_tree_copy_file_with(from, to, mode, NULL, err);
}

int lamb_tree_copy_with(const struct lamb_tree *t, const char *dest, const struct lamb_tree_copy_opts *o,
			struct lamb_err *err)
{
	for (size_t i = 0; i < t->len; i++) {
		const struct lamb_tree_entry *e = &t->v[i];
		cleanup_free char *to = xasprintf("%s/%s", dest, e->path);
		if (S_ISDIR(e->mode)) {
			if (mkdir(to, 0755) != 0 && errno != EEXIST)
				return lamb_err_set(err, "cannot create '%s': %s", to, strerror(errno));
		} else if (S_ISLNK(e->mode)) {
			if (symlink(e->link, to) != 0)
				return lamb_err_set(err, "cannot create link '%s': %s", to, strerror(errno));
		} else if (lamb_tree_copy_file_with(e->src, to, e->mode, o, err) < 0) {
			return -1;
		}
	}
	return 0;
}

int lamb_tree_copy(const struct lamb_tree *t, const char *dest, struct lamb_err *err)
{
	return lamb_tree_copy_with(t, dest, NULL, err);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	int r = flag == FTW_DP ? rmdir(path) : unlink(path);
	return r != 0 && errno != ENOENT ? -1 : 0;
}

int lamb_tree_remove(const char *path, struct lamb_err *err)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : lamb_err_set(err, "cannot remove '%s': %s", path, strerror(errno));
	if (nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS) != 0)
		return lamb_err_set(err, "cannot remove '%s': %s", path, strerror(errno));
	return 0;
}

int lamb_tree_mkdirs(const char *path, struct lamb_err *err)
{
	cleanup_free char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return lamb_err_set(err, "cannot create '%s': %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		return lamb_err_set(err, "cannot create '%s': %s", p, strerror(errno));
	return 0;
}
