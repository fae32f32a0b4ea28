/* The machine's processes as a tree, read from /proc: which processes
 * descend from an instance's first one, whatever process group or session
 * they moved to. Used where no cgroup holds an instance (counting and
 * killing its whole tree) and to tell an instance's own processes from
 * others at its Runtime API. */
#ifndef LAMB_PROCTREE_H
#define LAMB_PROCTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct lamb_ptask {
	pid_t pid, ppid;
	long rss_kb;
};

/* One snapshot, sorted by pid. */
struct lamb_proctree {
	struct lamb_ptask *v;
	size_t len;
};

void lamb_proctree_load(struct lamb_proctree *t);
void lamb_proctree_release(struct lamb_proctree *t);
/* The first of pid's ancestors (pid itself included) for which is_root
 * says true, or 0. */
pid_t lamb_proctree_root(const struct lamb_proctree *t, pid_t pid, bool (*is_root)(void *, pid_t), void *data);
/* SIGKILL to every descendant of root (not root itself); how many. */
int lamb_proctree_kill_below(const struct lamb_proctree *t, pid_t root);
/* Whether pid is ancestor or descends from it, reading only the /proc
 * entries on the way up (a few µs each). */
bool lamb_proctree_descends(pid_t pid, pid_t ancestor);
/* The parent of pid, or -1 when it is gone. */
pid_t lamb_proctree_parent(pid_t pid);

#endif
