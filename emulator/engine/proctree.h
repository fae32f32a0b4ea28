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
	int threads;
	long rss_kb;
};

/* One snapshot: of the machine (lamb_proctree_load), or of
 * one tree (lamb_proctree_below). */
struct lamb_proctree {
	struct lamb_ptask *v;
	size_t len;
};

void lamb_proctree_load(struct lamb_proctree *t);
void lamb_proctree_release(struct lamb_proctree *t);
/* root and its descendants, root first, then breadth first, found through
 * /proc/PID/task/TID/children: a cost that grows with the tree, not with
 * the machine. Only ppid and pid are filled in. */
void lamb_proctree_below(struct lamb_proctree *t, pid_t root);
/* The resident memory of root and its descendants. */
long lamb_proctree_rss_kb(pid_t root);
/* SIGKILL to every descendant of root (not root itself); how many. */
int lamb_proctree_kill_below(pid_t root);

#endif
