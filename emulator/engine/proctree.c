/* /proc read as a tree. One pass over /proc/<pid>/stat gives each task's
 * parent and RSS; the tree is walked upward only (a depth limit guards
 * against a snapshot whose parents changed mid-read into a cycle). */
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

#define MAX_DEPTH 256

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
	int ppid = 0;
	long rss = 0;
	if (!rp || sscanf(rp + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
				  "%*d %*d %*d %*d %*u %*u %ld", &ppid, &rss) != 2)
		return false;
	t->pid = pid;
	t->ppid = ppid;
	t->rss_kb = rss * page_kb;
	return true;
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = ((const struct lamb_ptask *)a)->pid, y = ((const struct lamb_ptask *)b)->pid;
	return (x > y) - (x < y);
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
	if (t->len)
		qsort(t->v, t->len, sizeof(*t->v), by_pid);
}

void lamb_proctree_release(struct lamb_proctree *t)
{
	free(t->v);
	t->v = NULL;
	t->len = 0;
}

static const struct lamb_ptask *find(const struct lamb_proctree *t, pid_t pid)
{
	struct lamb_ptask key = { .pid = pid };
	return t->len ? bsearch(&key, t->v, t->len, sizeof(*t->v), by_pid) : NULL;
}

pid_t lamb_proctree_root(const struct lamb_proctree *t, pid_t pid, bool (*is_root)(void *, pid_t), void *data)
{
	for (int depth = 0; pid > 1 && depth < MAX_DEPTH; depth++) {
		if (is_root(data, pid))
			return pid;
		const struct lamb_ptask *task = find(t, pid);
		if (!task)
			return 0;
		pid = task->ppid;
	}
	return 0;
}

static bool is_pid(void *data, pid_t pid)
{
	return *(pid_t *)data == pid;
}

int lamb_proctree_kill_below(const struct lamb_proctree *t, pid_t root)
{
	int n = 0;
	for (size_t i = 0; i < t->len; i++) {
		const struct lamb_ptask *task = &t->v[i];
		if (task->pid != root && lamb_proctree_root(t, task->ppid, is_pid, &root) == root) {
			kill(task->pid, SIGKILL);
			n++;
		}
	}
	return n;
}

pid_t lamb_proctree_parent(pid_t pid)
{
	struct lamb_ptask t;
	return read_stat(pid, &t) ? t.ppid : -1;
}

bool lamb_proctree_descends(pid_t pid, pid_t ancestor)
{
	for (int depth = 0; pid > 1 && depth < MAX_DEPTH; depth++) {
		if (pid == ancestor)
			return true;
		pid = lamb_proctree_parent(pid);
	}
	return false;
}
