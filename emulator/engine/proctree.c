/* /proc read as a tree. One pass over /proc/<pid>/stat gives each task's
 * parent and RSS; a tree is read downward from its root through each
 * task's children list. */
#include "base/util.h"
#include "engine/proctree.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BELOW 4096

/* Parses /proc/<pid>/stat: false when the process is gone. */
static bool read_stat(pid_t pid, struct lamb_ptask *t)
{
	static long page_kb;
	char path[64], buf[1024];
	if (!page_kb)
		page_kb = sysconf(_SC_PAGESIZE) / 1024;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *rp = strrchr(buf, ')'); /* the command name may hold spaces */
	int ppid = 0, threads = 0;
	long rss = 0;
	if (!rp || sscanf(rp + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
				  "%*d %*d %d %*d %*u %*u %ld", &ppid, &threads, &rss) != 3)
		return false;
	t->pid = pid;
	t->ppid = ppid;
	t->threads = threads;
	t->rss_kb = rss * page_kb;
	return true;
}

void lamb_proctree_load(struct lamb_proctree *t)
{
	size_t cap = 0;
	t->v = NULL;
	t->len = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct lamb_ptask task;
		if (!isdigit((unsigned char)e->d_name[0]) || !read_stat((pid_t)atoi(e->d_name), &task))
			continue;
		t->v = xgrow(t->v, &cap, t->len + 1, sizeof(*t->v));
		t->v[t->len++] = task;
	}
	if (d)
		closedir(d);
}

void lamb_proctree_release(struct lamb_proctree *t)
{
	free(t->v);
	t->v = NULL;
	t->len = 0;
}

int lamb_proctree_kill_below(pid_t root)
{
	struct lamb_proctree t;
	lamb_proctree_below(&t, root);
	int n = (int)t.len - 1;
	for (size_t i = 1; i < t.len; i++)
		kill(t.v[i].pid, SIGKILL);
	lamb_proctree_release(&t);
	return n;
}

/* Appends the children listed in one thread's children file. */
static void read_children(struct lamb_proctree *t, size_t *cap, int dir, const char *file, pid_t pid)
{
	char buf[4096];
	int fd = openat(dir, file, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (char *p = buf, *end; t->len < MAX_BELOW; p = end) {
		long c = strtol(p, &end, 10);
		if (end == p)
			break;
		t->v = xgrow(t->v, cap, t->len + 1, sizeof(*t->v));
		t->v[t->len++] = (struct lamb_ptask){ .pid = (pid_t)c, .ppid = pid };
	}
}

/* Appends the children of every thread of pid. */
static void add_children(struct lamb_proctree *t, size_t *cap, pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char file[300];
		snprintf(file, sizeof(file), "%.32s/children", e->d_name);
		read_children(t, cap, dirfd(d), file, pid);
	}
	if (d)
		closedir(d);
}

void lamb_proctree_below(struct lamb_proctree *t, pid_t root)
{
	size_t cap = 1;
	t->v = xmalloc(sizeof(*t->v));
	t->v[0] = (struct lamb_ptask){ .pid = root };
	t->len = 1;
	for (size_t i = 0; i < t->len; i++)
		add_children(t, &cap, t->v[i].pid);
}

/* One pass: each task's stat gives its RSS and its thread count, and a
 * single-threaded task's children are read from its one children file,
 * without listing its task directory (half the reads of /proc a task). */
long lamb_proctree_rss_kb(pid_t root)
{
	size_t cap = 1;
	struct lamb_proctree t = { .v = xmalloc(sizeof(*t.v)), .len = 1 };
	long kb = 0;
	t.v[0] = (struct lamb_ptask){ .pid = root };
	for (size_t i = 0; i < t.len; i++) {
		struct lamb_ptask task;
		pid_t pid = t.v[i].pid;
		if (!read_stat(pid, &task))
			continue;
		kb += task.rss_kb;
		if (task.threads == 1) {
			char file[64];
			snprintf(file, sizeof(file), "/proc/%d/task/%d/children", (int)pid, (int)pid);
			read_children(&t, &cap, AT_FDCWD, file, pid);
		} else {
			add_children(&t, &cap, pid);
		}
	}
	lamb_proctree_release(&t);
	return kb;
}
