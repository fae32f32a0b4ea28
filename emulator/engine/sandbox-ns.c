/* The sandbox made by lamb itself, in the forked child, with the new mount
 * API (open_tree, move_mount, mount_setattr; Linux 5.12): the same view and
 * isolation as the bwrap command line of sandbox.c, without bwrap's exec
 * and without its re-reading of the mount table after every bind (one
 * mount_setattr makes the whole host tree read-only). Runs between fork and
 * exec: syscalls only, on data prepared in the plan. */
#include "engine/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
#define NDEV (sizeof(dev_nodes) / sizeof(dev_nodes[0]))

static int write_text(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Read-only, no set-uid and no devices, with everything mounted below
 * (fd's detached tree, or path): bwrap's --ro-bind. */
static int set_ro(int fd, const char *path)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	return mount_setattr(fd, path, AT_RECURSIVE | (fd >= 0 ? AT_EMPTY_PATH : 0), &a, sizeof(a));
}

static int clone_tree(const char *path, bool recursive, bool ro)
{
	int fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
	if (fd >= 0 && ro && set_ro(fd, "") < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int put(int fd, const char *to)
{
	int rc = move_mount(fd, "", AT_FDCWD, to, MOVE_MOUNT_F_EMPTY_PATH);
	close(fd);
	return rc;
}

static int touch(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	return fd < 0 ? -1 : close(fd);
}

static int mkdir_mode(const char *path, mode_t mode)
{
	return mkdir(path, mode) < 0 && errno != EEXIST ? -1 : chmod(path, mode);
}

/* mkdir -p of an absolute path of at most PATH_MAX bytes. */
static int mkdir_p(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n >= sizeof(buf))
		return errno = ENAMETOOLONG, -1;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++)
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -1;
			buf[i] = c;
		}
	return 0;
}

/* Its own user (uid 993, gid 990 inside, lamb's outside), mount, IPC and,
 * for its children, PID namespaces. */
static int enter_namespaces(const struct lamb_sandbox_plan *pl)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID) < 0 ||
	    write_text("/proc/self/setgroups", "deny") < 0 || write_text("/proc/self/uid_map", pl->uid_map) < 0 ||
	    write_text("/proc/self/gid_map", pl->gid_map) < 0)
		return -1;
	return mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
}

/* bwrap's --dev: a tmpfs with the six harmless devices bound in from the
 * host (cloned in fds before /dev is covered), its own devpts, the links. */
static int make_dev(int *fds)
{
	char path[64];
	static const char *const links[][2] = { { "pts/ptmx", "/dev/ptmx" }, { "/proc/self/fd", "/dev/fd" },
		{ "/proc/self/fd/0", "/dev/stdin" }, { "/proc/self/fd/1", "/dev/stdout" },
		{ "/proc/self/fd/2", "/dev/stderr" }, { "/proc/kcore", "/dev/core" } };
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		return -1;
	for (size_t i = 0; i < NDEV; i++) {
		memcpy(path, "/dev/", 5);
		memcpy(path + 5, dev_nodes[i], strlen(dev_nodes[i]) + 1);
		if (touch(path) < 0 || put(fds[i], path) < 0)
			return -1;
		fds[i] = -1;
	}
	if (mkdir_mode("/dev/shm", 0755) < 0 || mkdir_mode("/dev/pts", 0755) < 0 ||
	    mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i][0], links[i][1]) < 0)
			return -1;
	return 0;
}

/* Lambda's /var (task, tmp and the run and lock links), the code at
 * /var/task and the layers (or an empty tmpfs) at /opt, read-only. */
static int make_var_opt(int task, int opt)
{
	if (mount("tmpfs", "/var", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0 ||
	    mkdir_mode("/var/tmp", 01777) < 0 || mkdir_mode("/var/task", 0755) < 0 ||
	    symlink("/run", "/var/run") < 0 || symlink("/run/lock", "/var/lock") < 0 || put(task, "/var/task") < 0)
		return -1;
	if (opt >= 0)
		return put(opt, "/opt");
	if (mount("tmpfs", "/opt", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		return -1;
	return set_ro(-1, "/opt");
}

/* /tmp: a tmpfs of the instance's, holding read-only the host directories
 * under /tmp that its interpreter or shim need (cloned in fds before). */
static int make_tmp(const struct lamb_sandbox_plan *pl, int *fds)
{
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return -1;
	for (size_t i = 0; i < pl->nextra; i++) {
		if (mkdir_p(pl->extra[i]) < 0 || put(fds[i], pl->extra[i]) < 0)
			return -1;
		fds[i] = -1;
	}
	return 0;
}

/* What the mount namespace needs of the host, cloned while it is still in
 * sight: fds[0..NDEV) the devices, then the code, the layers, the extras. */
static int clone_sources(const struct lamb_sandbox_plan *pl, int *dev, int *task, int *opt, int *extra)
{
	for (size_t i = 0; i < NDEV; i++) {
		char path[64];
		memcpy(path, "/dev/", 5);
		memcpy(path + 5, dev_nodes[i], strlen(dev_nodes[i]) + 1);
		if ((dev[i] = clone_tree(path, false, false)) < 0)
			return -1;
	}
	if ((*task = clone_tree(pl->task, true, true)) < 0 || (pl->opt && (*opt = clone_tree(pl->opt, true, true)) < 0))
		return -1;
	for (size_t i = 0; i < pl->nextra; i++)
		if ((extra[i] = clone_tree(pl->extra[i], true, true)) < 0)
			return -1;
	return 0;
}

static int make_view(const struct lamb_sandbox_plan *pl)
{
	int dev[NDEV], task = -1, opt = -1, extra[LAMB_SANDBOX_MAX_EXTRA];
	if (clone_sources(pl, dev, &task, &opt, extra) < 0 || set_ro(-1, "/") < 0)
		return -1;
	/* the descriptors left open on failure die with this process */
	if (make_dev(dev) < 0 || make_tmp(pl, extra) < 0 || make_var_opt(task, opt) < 0)
		return -1;
	return 0;
}

/* In the PID namespace's init: its own /proc, with what would let a
 * function reach the host's kernel settings read-only (the function is
 * lamb's user outside: /proc/sys would take its writes). */
static int make_proc(void)
{
	static const char *const cover[] = { "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus" };
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(cover) / sizeof(cover[0]); i++) {
		if (access(cover[i], F_OK) < 0)
			continue;
		if (mount(cover[i], cover[i], NULL, MS_BIND | MS_REC, NULL) < 0 || set_ro(-1, cover[i]) < 0)
			return -1;
	}
	return 0;
}

static int drop_privileges(void)
{
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* Waits for pid and leaves as it did: its exit status, or 128+N for
 * signal N (bwrap's convention, which the pool reads). */
static void __attribute__((noreturn)) follow(pid_t pid)
{
	int status, code = 127;
	pid_t w;
	while ((w = waitpid(-1, &status, 0)) != pid)
		if (w < 0 && errno != EINTR)
			_exit(code);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	_exit(code);
}

/* All but 0-2 and the report pipe, closed now: the monitor and the init
 * never exec, and a copy of lamb's sockets held there would keep every
 * connection lamb closes open (its clients would wait for an end that
 * never comes) and fill the instance's fd table that the Runtime API's
 * peer check reads. */
static int close_inherited(int report_fd)
{
	if (report_fd > 3 && close_range(3, (unsigned)report_fd - 1, 0) < 0)
		return -1;
	return close_range((unsigned)report_fd + 1, ~0U, 0);
}

int lamb_sandbox_enter(const struct lamb_sandbox_plan *pl, int report_fd)
{
	if (close_inherited(report_fd) < 0 || enter_namespaces(pl) < 0 || make_view(pl) < 0)
		return -1;
	pid_t init = fork(); /* the first process of the new PID namespace */
	if (init < 0)
		return -1;
	if (init > 0) {
		close(report_fd); /* its children report; EOF when the bootstrap execs */
		follow(init);
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || make_proc() < 0 || drop_privileges() < 0)
		return -1;
	pid_t boot = fork();
	if (boot < 0)
		return -1;
	if (boot > 0) {
		close(report_fd);
		follow(boot); /* and, as PID 1, reap the orphans meanwhile */
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || chdir("/var/task") < 0)
		return -1;
	return 0;
}
