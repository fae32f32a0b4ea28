/* Instance groups for CPU bandwidth (v1 cpu.cfs_quota_us, v2 cpu.max) and,
 * on cgroup v2, memory.max and memory.peak. Finding where lamb may make
 * groups is the whole difficulty on v2: a process may only move between
 * groups below one it can write (systemd's delegated user@UID.service for
 * a desktop user; the root for root), and a group with controllers enabled
 * for its children may hold no process itself, hence lamb-PID beside our
 * own group, never above it. */
#include "base/util.h"
#include "engine/cgroup.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PERIOD_US 100000L

long lamb_cgroup_cpu_quota(long memory_mb, long period_us)
{
	/* Lambda: 1,769 MB is one vCPU, linearly below; 10,240 MB is 6 vCPUs,
	 * linearly between */
	double vcpus = memory_mb <= 1769 ? (double)memory_mb / 1769.0
					 : 1.0 + (double)(memory_mb - 1769) * 5.0 / (10240.0 - 1769.0);
	if (vcpus > 6.0)
		vcpus = 6.0;
	long q = (long)(vcpus * (double)period_us + 0.5);
	return q < 1000 ? 1000 : q;
}

static int put(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	/* O_CREAT: a fake tree's files may not be there yet; cgroupfs ignores it */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	free(path);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static bool exists(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	bool ok = access(path, F_OK) == 0;
	free(path);
	return ok;
}

/* Whether the space-separated list in dir/name holds word. */
static bool lists(const char *dir, const char *name, const char *word)
{
	char *path = xasprintf("%s/%s", dir, name);
	size_t len;
	char *text = lamb_read_file(path, &len);
	free(path);
	bool found = false;
	char *save = NULL;
	for (char *w = text ? strtok_r(text, " \t\n", &save) : NULL; w && !found; w = strtok_r(NULL, " \t\n", &save))
		found = strcmp(w, word) == 0;
	free(text);
	return found;
}

static bool writable(const char *dir)
{
	char *procs = xasprintf("%s/cgroup.procs", dir);
	bool ok = access(dir, W_OK) == 0 && access(procs, W_OK) == 0;
	free(procs);
	return ok;
}

/* Our own v2 group, "0::/PATH" in self_cgroup; allocated, or NULL. */
static char *own_v2_path(const char *self_cgroup)
{
	size_t len;
	char *text = lamb_read_file(self_cgroup, &len);
	char *found = NULL, *save = NULL;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l && !found; l = strtok_r(NULL, "\n", &save))
		if (str_starts(l, "0::"))
			found = xstrdup(l + 3);
	free(text);
	return found;
}

/* The highest group from own up to mount that we may write. */
static char *delegated_top(const char *mount, const char *own)
{
	char *dir = xasprintf("%s%s", mount, strcmp(own, "/") == 0 ? "" : own);
	char *top = NULL;
	size_t root = strlen(mount);
	for (;;) {
		if (!writable(dir))
			break;
		free(top);
		top = xstrdup(dir);
		char *slash = strrchr(dir, '/');
		if (strlen(dir) <= root || !slash || (size_t)(slash - dir) < root)
			break;
		*slash = '\0';
	}
	free(dir);
	return top;
}

/* A group's scheduling weight, as many default processes' (v1 cpu.shares
 * 1024 each, v2 cpu.weight 100 each). lamb-PID weighs two: lamb and the
 * instance it talks to. A group weighs what one process does at the
 * default, split among the CPUs its
 * tasks ran on lately, so lamb on one core and the instance on the other
 * each weighed half a process against the rest of the host, where they
 * were two processes before the CPU groups. Under load (load average 18
 * on 2 cores), same run: a warm C invocation 86.6 us of wall at the
 * default, 35.7 us at two; Python 176.5 and 110.0 us; CPU unchanged
 * (bench/README). The price: a group whose one busy task sits on one core
 * (a cold start, a CPU-bound handler) weighs two processes there, twice a
 * process's share under load, and more than two busy instances at once
 * still share two. Quotas are left as they are. */
static void weigh(const char *dir, bool v2, int processes)
{
	char v[16];
	snprintf(v, sizeof(v), "%d", processes * (v2 ? 100 : 1024));
	put(dir, v2 ? "cpu.weight" : "cpu.shares", v);
}

/* LOOP_WEIGHT: lamb's own group inside lamb-PID, beside its instances'
 * groups, weighs four instances (v1 cpu.shares 4096, v2 cpu.weight 400).
 * At the default it weighed one instance, and when 32 interpreters started at
 * once the loop got a thirty-third of the CPU: a Timeout due then fired
 * 27 ms late at the median and 75 ms at worst in 10 runs of
 * test_isolation's timer test; at four, 4 and 12 ms in 8 runs (at sixteen
 * 3 and 8, but Python at 8 connections lost ~8% of its requests/s to the
 * loop). The loop does nothing but serve its instances (a build runs in a
 * child, preparing a function on a worker thread), and does not poll while
 * tasks wait for a CPU (base/loop.c), so the weight buys it its turn. */
#define LOOP_WEIGHT 4

static void open_v1(struct lamb_cgroup_cpu *c, const char *v1, int pid)
{
	char *dir = xasprintf("%s/lamb-%d", v1, pid);
	if (mkdir(dir, 0755) == 0 || errno == EEXIST) {
		weigh(dir, false, 2);
		c->dir = dir;
		c->root = xstrdup(v1);
		return;
	}
	c->why = xasprintf("cannot create '%s': %s", dir, strerror(errno));
	free(dir);
}

static void enable(struct lamb_cgroup_cpu *c, const char *top, const char *dir)
{
	bool mem = lists(top, "cgroup.controllers", "memory");
	if (!lists(top, "cgroup.subtree_control", "cpu") && put(top, "cgroup.subtree_control", "+cpu") < 0) {
		c->why = xasprintf("cannot enable cpu in '%s/cgroup.subtree_control': %s", top, strerror(errno));
		return;
	}
	if (mem && !lists(top, "cgroup.subtree_control", "memory"))
		mem = put(top, "cgroup.subtree_control", "+memory") == 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		c->why = xasprintf("cannot create '%s': %s", dir, strerror(errno));
		return;
	}
	if (put(dir, "cgroup.subtree_control", "+cpu") < 0) {
		c->why = xasprintf("cannot enable cpu in '%s/cgroup.subtree_control': %s", dir, strerror(errno));
		rmdir(dir);
		return;
	}
	c->v2_memory = mem && put(dir, "cgroup.subtree_control", "+memory") == 0;
	weigh(dir, true, 2);
	c->dir = xstrdup(dir);
	c->v2 = true;
}

static void open_v2(struct lamb_cgroup_cpu *c, const char *mount, const char *self_cgroup, int pid)
{
	char *own = own_v2_path(self_cgroup);
	char *top = own ? delegated_top(mount, own) : NULL;
	if (!own)
		c->why = xasprintf("no cgroup v2 group in '%s'", self_cgroup);
	else if (!top)
		c->why = xasprintf("cgroup v2 group '%s' is not ours to write (no systemd delegation)", own);
	else if (!lists(top, "cgroup.controllers", "cpu"))
		c->why = xasprintf("cgroup v2 '%s' offers no cpu controller", top);
	if (!c->why) {
		char *dir = xasprintf("%s/lamb-%d", top, pid);
		enable(c, top, dir);
		free(dir);
		if (c->dir)
			c->root = xstrdup(mount);
	}
	free(own);
	free(top);
}

void lamb_cgroup_cpu_open(struct lamb_cgroup_cpu *c, const char *fsroot, const char *self_cgroup, int pid)
{
	memset(c, 0, sizeof(*c));
	char *v1 = xasprintf("%s/cpu", fsroot), *v1b = xasprintf("%s/cpu,cpuacct", fsroot);
	char *unified = xasprintf("%s/unified", fsroot);
	if (exists(v1, "cpu.cfs_quota_us"))
		open_v1(c, v1, pid);
	else if (exists(v1b, "cpu.cfs_quota_us"))
		open_v1(c, v1b, pid);
	else if (exists(fsroot, "cgroup.controllers"))
		open_v2(c, fsroot, self_cgroup, pid);
	else if (exists(unified, "cgroup.controllers"))
		open_v2(c, unified, self_cgroup, pid);
	else
		c->why = xasprintf("no cgroup cpu controller under %s", fsroot);
	free(v1);
	free(v1b);
	free(unified);
}

/* Our own group in the v1 cpu hierarchy, from a "N:cpu,cpuacct:/PATH"
 * line of self_cgroup; allocated, or NULL. */
static char *own_v1_path(const char *self_cgroup)
{
	size_t len;
	char *text = lamb_read_file(self_cgroup, &len);
	char *found = NULL, *save = NULL;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l && !found; l = strtok_r(NULL, "\n", &save)) {
		char *ctl = strchr(l, ':'), *path = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!path)
			continue;
		*path = '\0';
		char *save2 = NULL;
		for (char *w = strtok_r(ctl + 1, ",", &save2); w && !found; w = strtok_r(NULL, ",", &save2))
			if (strcmp(w, "cpu") == 0)
				found = xstrdup(path + 1);
	}
	free(text);
	return found;
}

int lamb_cgroup_cpu_join_self(struct lamb_cgroup_cpu *c, const char *self_cgroup)
{
	if (!c->dir || c->home)
		return -1;
	char *own = c->v2 ? own_v2_path(self_cgroup) : own_v1_path(self_cgroup);
	char *self = NULL;
	int fd = own ? lamb_cgroup_cpu_make(c, "lamb", 0, &self) : -1;
	int rc = -1;
	if (fd >= 0) {
		weigh(self, c->v2, LOOP_WEIGHT);
		rc = write(fd, "0", 1) == 1 ? 0 : -1;
		close(fd);
	}
	if (rc == 0)
		c->home = xasprintf("%s%s/%s", c->root, strcmp(own, "/") == 0 ? "" : own,
				    c->v2 ? "cgroup.procs" : "tasks");
	else if (self)
		rmdir(self);
	free(self);
	free(own);
	return rc;
}

void lamb_cgroup_cpu_close(struct lamb_cgroup_cpu *c)
{
	if (c->home) {
		int fd = open(c->home, O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && write(fd, "0", 1) == 1) {
			char *self = xasprintf("%s/lamb", c->dir);
			rmdir(self);
			free(self);
		}
		if (fd >= 0)
			close(fd);
		free(c->home);
	}
	if (c->dir)
		rmdir(c->dir);
	free(c->root);
	free(c->dir);
	free(c->why);
	memset(c, 0, sizeof(*c));
}

/* cpu_mb's share of CPU, or none (the whole host) for 0 */
static int cpu_set(const struct lamb_cgroup_cpu *c, const char *dir, long cpu_mb)
{
	long q = cpu_mb > 0 ? lamb_cgroup_cpu_quota(cpu_mb, PERIOD_US) : -1;
	char v[64];
	if (!c->v2) {
		snprintf(v, sizeof(v), "%ld", PERIOD_US);
		if (put(dir, "cpu.cfs_period_us", v) < 0)
			return -1;
		snprintf(v, sizeof(v), "%ld", q);
		return put(dir, "cpu.cfs_quota_us", v);
	}
	if (q < 0)
		snprintf(v, sizeof(v), "max %ld", PERIOD_US);
	else
		snprintf(v, sizeof(v), "%ld %ld", q, PERIOD_US);
	return put(dir, "cpu.max", v);
}

int lamb_cgroup_cpu_limit(const struct lamb_cgroup_cpu *c, const char *dir, long memory_mb)
{
	return cpu_set(c, dir, memory_mb > 0 ? memory_mb : 128);
}

static bool limit(const struct lamb_cgroup_cpu *c, const char *dir, long memory_mb)
{
	char v[64];
	if (cpu_set(c, dir, 0) < 0)
		return false;
	if (c->v2_memory && memory_mb > 0) {
		snprintf(v, sizeof(v), "%lld", (long long)memory_mb * 1024 * 1024);
		if (put(dir, "memory.max", v) < 0)
			return false;
		put(dir, "memory.swap.max", "0"); /* no swap, where it is accounted */
	}
	return true;
}

int lamb_cgroup_cpu_make(const struct lamb_cgroup_cpu *c, const char *name, long memory_mb, char **dir_out)
{
	if (!c->dir)
		return -1;
	char *dir = xasprintf("%s/%s", c->dir, name);
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || !limit(c, dir, memory_mb)) {
		rmdir(dir);
		free(dir);
		return -1;
	}
	/* v1: "tasks", whose "0" moves one thread without the global lock
	 * (see supervisor.c); v2 has only cgroup.procs */
	char *join = xasprintf("%s/%s", dir, c->v2 ? "cgroup.procs" : "tasks");
	int fd = open(join, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	free(join);
	if (fd < 0) {
		rmdir(dir);
		free(dir);
		return -1;
	}
	*dir_out = dir;
	return fd;
}

long long lamb_cgroup_read_number(int fd)
{
	char buf[32];
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

bool lamb_cgroup_oom_killed(const char *dir)
{
	char *path = xasprintf("%s/memory.events", dir);
	size_t len;
	char *text = lamb_read_file(path, &len);
	free(path);
	const char *k = text ? strstr(text, "oom_kill ") : NULL;
	bool killed = k && atol(k + 9) > 0;
	free(text);
	return killed;
}
