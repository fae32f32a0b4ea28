/* CPU for an instance as Lambda allocates it (in proportion to MemorySize:
 * one vCPU at 1,769 MB, up to 6 at 10,240 MB) through cgroup CPU bandwidth:
 * cgroup v1's cpu.cfs_quota_us, or cgroup v2's cpu.max, where v2 also gives
 * memory.max and memory.peak. As non-root on v2, the subtree systemd
 * delegates to the user. The file-system root is a parameter so that unit
 * tests run against a fake tree of plain files. */
#ifndef LAMB_CGROUP_H
#define LAMB_CGROUP_H

#include <stdbool.h>

/* Lambda's CPU for memory_mb: the quota, in microseconds, of a period of
 * period_us (both > 0), at least 1 ms. */
long lamb_cgroup_cpu_quota(long memory_mb, long period_us);

/* Where lamb-PID groups for CPU go. */
struct lamb_cgroup_cpu {
	char *dir;      /* .../lamb-PID, or NULL when there is none */
	bool v2;        /* cgroup v2: the group also takes memory.max */
	bool v2_memory; /* the v2 group has the memory controller */
	char *why;      /* when dir is NULL: why, for the one notice */
	char *root;     /* the hierarchy's mount, with dir */
	char *home;     /* after _join_self: the file that moves us back to our own group */
};

/* Finds a CPU controller under fsroot ("/sys/fs/cgroup"): v1's fsroot/cpu
 * (or cpu,cpuacct), else the v2 hierarchy (fsroot or fsroot/unified) at the
 * highest ancestor of our own group (from self_cgroup, "/proc/self/cgroup")
 * that we may write, with cpu (and memory when it can) enabled below it.
 * Makes dir, named lamb-pid. Never fails: c->why says what is missing. */
void lamb_cgroup_cpu_open(struct lamb_cgroup_cpu *c, const char *fsroot, const char *self_cgroup, int pid);
/* Moves the calling thread (v1; the process on v2) into dir/lamb, beside
 * the instances: a wake-up between lamb and an instance in another group
 * goes through the scheduler's group entities, and measured twice the warm
 * invocation's wall time on a loaded machine; siblings cost what the same
 * group does. Threads made afterwards follow. -1 when it cannot (nothing
 * changed). */
int lamb_cgroup_cpu_join_self(struct lamb_cgroup_cpu *c, const char *self_cgroup);
/* Moves back home (after _join_self), removes dir (if empty) and frees. */
void lamb_cgroup_cpu_close(struct lamb_cgroup_cpu *c);

/* Makes the instance group c->dir/NAME, its CPU not limited yet (and, on
 * v2 with memory and when memory_mb > 0, with memory.max). Returns an fd on the
 * file a child writes "0" to to join it, with *dir_out the group
 * (allocated), or -1 (nothing made). */
int lamb_cgroup_cpu_make(const struct lamb_cgroup_cpu *c, const char *name, long memory_mb, char **dir_out);

/* Gives the group dir memory_mb's share of CPU: 0, or -1 with errno. */
int lamb_cgroup_cpu_limit(const struct lamb_cgroup_cpu *c, const char *dir, long memory_mb);

/* A group's peak memory in bytes (v2 memory.peak, v1
 * memory.max_usage_in_bytes), through an fd kept open on it: read from
 * offset 0 each time; -1 when unreadable. */
long long lamb_cgroup_read_number(int fd);
/* Whether a v2 group's memory.events counts an OOM kill. */
bool lamb_cgroup_oom_killed(const char *dir);

#endif
