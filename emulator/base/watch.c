/* inotify over directory trees. inotify is not recursive: every directory
 * gets its own watch descriptor, kept in a small table (wd -> path); a
 * directory created or moved in is walked and watched. Subscribers are
 * matched by path prefix, so nested and shared roots (several functions
 * with one CodeUri) all hear of a change. The table is a linear array: a
 * project has tens of directories, not thousands. */
#include "base/util.h"
#include "base/watch.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | \
	      IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct dir_watch {
	int wd;
	char *path;
};

struct subscriber {
	char *root;
	lamb_watch_fn fn;
	void *data;
	bool pending;
};

struct lamb_watcher {
	struct lamb_loop *loop;
	int fd;
	struct lamb_watch io;
	struct lamb_timer settle;
	uint64_t debounce_ns;
	struct dir_watch *dirs;
	size_t ndirs, capdirs;
	struct subscriber *subs;
	size_t nsubs, capsubs;
};

static bool skipped(const char *name)
{
	return strcmp(name, "__pycache__") == 0 || strcmp(name, ".git") == 0 || strcmp(name, ".aws-sam") == 0 ||
	       strcmp(name, ".lamb") == 0;
}

static struct dir_watch *dir_of(struct lamb_watcher *w, int wd)
{
	for (size_t i = 0; i < w->ndirs; i++)
		if (w->dirs[i].wd == wd)
			return &w->dirs[i];
	return NULL;
}

static bool dir_of_path(const struct lamb_watcher *w, const char *path)
{
	for (size_t i = 0; i < w->ndirs; i++)
		if (strcmp(w->dirs[i].path, path) == 0)
			return true;
	return false;
}

static void forget(struct lamb_watcher *w, int wd)
{
	struct dir_watch *d = dir_of(w, wd);
	if (!d)
		return;
	free(d->path);
	*d = w->dirs[--w->ndirs];
}

/* Watches path and every directory under it; -1 with errno when path or
 * one of them failed (the rest are watched all the same). */
static int watch_tree(struct lamb_watcher *w, const char *path)
{
	int wd = inotify_add_watch(w->fd, path, MASK);
	if (wd < 0)
		return -1;
	int rc = 0, saved = 0;
	struct dir_watch *d = dir_of(w, wd);
	if (!d) { /* inotify hands out one wd per inode: seen already otherwise */
		w->dirs = xgrow(w->dirs, &w->capdirs, w->ndirs + 1, sizeof(*w->dirs));
		w->dirs[w->ndirs++] = (struct dir_watch){ wd, xstrdup(path) };
	}
	DIR *dir = opendir(path);
	if (!dir)
		return 0;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (skipped(e->d_name))
			continue;
		char sub[PATH_MAX];
		struct stat st;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= (int)sizeof(sub))
			continue;
		/* lstat: a symlinked directory is not followed (no loops) */
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode) && watch_tree(w, sub) < 0 && !saved) {
			saved = errno; /* ENOSPC: fs.inotify.max_user_watches */
			rc = -1;
		}
	}
	closedir(dir);
	errno = saved;
	return rc;
}

static bool under(const char *path, const char *root)
{
	size_t n = strlen(root);
	return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static void on_settled(void *data)
{
	struct lamb_watcher *w = data;
	for (size_t i = 0; i < w->nsubs; i++) {
		struct subscriber *s = &w->subs[i];
		if (s->pending) {
			s->pending = false;
			s->fn(s->data, s->root);
		}
	}
}

static void changed(struct lamb_watcher *w, const char *path)
{
	bool any = false;
	for (size_t i = 0; i < w->nsubs; i++)
		if (under(path, w->subs[i].root))
			any = w->subs[i].pending = true;
	if (any) /* trailing debounce: each change pushes the report back */
		lamb_loop_timer_set(w->loop, &w->settle, lamb_loop_now_ns() + w->debounce_ns, on_settled, w);
}

static void on_event(struct lamb_watcher *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_IGNORED) {
		forget(w, ev->wd);
		return;
	}
	struct dir_watch *d = dir_of(w, ev->wd);
	if (!d)
		return;
	if (ev->len && skipped(ev->name))
		return;
	char *path = ev->len ? xasprintf("%s/%s", d->path, ev->name) : xstrdup(d->path);
	if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)))
		watch_tree(w, path);
	changed(w, path);
	free(path);
}

static void on_readable(void *data, uint32_t events)
{
	struct lamb_watcher *w = data;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	(void)events;
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n <= 0)
			return; /* EAGAIN: drained */
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			on_event(w, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
}

struct lamb_watcher *lamb_watch_new(struct lamb_loop *loop, uint64_t debounce_ms, struct lamb_err *err)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return lamb_err_set(err, "cannot watch files: inotify: %s", strerror(errno)), NULL;
	struct lamb_watcher *w = xcalloc(1, sizeof(*w));
	w->loop = loop;
	w->fd = fd;
	w->debounce_ns = (debounce_ms ? debounce_ms : 100) * 1000000ull;
	if (lamb_loop_add_fd(loop, &w->io, fd, EPOLLIN, on_readable, w, err) < 0) {
		close(fd);
		free(w);
		return NULL;
	}
	return w;
}

void lamb_watch_free(struct lamb_watcher *w)
{
	if (!w)
		return;
	lamb_loop_timer_cancel(w->loop, &w->settle);
	lamb_loop_del_fd(w->loop, &w->io);
	close(w->fd);
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i].path);
	for (size_t i = 0; i < w->nsubs; i++)
		free(w->subs[i].root);
	free(w->dirs);
	free(w->subs);
	free(w);
}

int lamb_watch_add(struct lamb_watcher *w, const char *dir, lamb_watch_fn fn, void *data, struct lamb_err *err)
{
	char real[PATH_MAX];
	if (!realpath(dir, real))
		return lamb_err_set(err, "cannot watch '%s': %s", dir, strerror(errno));
	size_t before = w->ndirs;
	int rc = watch_tree(w, real);
	int saved = errno;
	if (rc < 0 && w->ndirs == before && !dir_of_path(w, real))
		return lamb_err_set(err, "cannot watch '%s': %s", dir, strerror(saved));
	w->subs = xgrow(w->subs, &w->capsubs, w->nsubs + 1, sizeof(*w->subs));
	w->subs[w->nsubs++] = (struct subscriber){ xstrdup(real), fn, data, false };
	if (rc < 0)
		return lamb_err_set(err, "cannot watch every directory under '%s': %s%s", dir, strerror(saved),
				    saved == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "");
	return 0;
}
