/* Process supervision for instances (git run-command.c for the spawning
 * discipline, bubblewrap for the reaping loop). Between fork and exec the
 * child only makes async-signal-safe calls on data prepared beforehand.
 * Memory: cgroup v1 (lamb-PID/N under /sys/fs/cgroup/memory) when mkdir
 * works there, with an OOM eventfd so that a kill anywhere in the group
 * takes the instance down; otherwise a 50 ms sampling of the group's RSS
 * from /proc. CPU: an instance group per instance with MemorySize's share
 * of CPU (cgroup.c), v1 beside the memory group or, on v2, one group for
 * both. Every instance is its tree's subreaper, and lamb theirs, so a
 * detached daemon is still found below its instance (or among lamb's
 * orphans) to be counted and killed. Leaves out: namespaces and the
 * /var/task, /opt sandbox (bwrap's). */
#include "base/util.h"
#include "engine/cgroup.h"
#include "engine/peer.h"
#include "engine/proctree.h"
#include "engine/sandbox.h"
#include "engine/supervisor.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CGROUP_ROOT "/sys/fs/cgroup/memory"
#define SAMPLE_NS (50 * 1000000ull)
#define MAX_LINE (256 * 1024)

struct out_pipe {
	struct lamb_watch watch;
	struct lamb_buf line;
	int fd;
};

struct lamb_proc {
	struct lamb_supervisor *sup;
	struct lamb_proc *next;
	pid_t pid;
	lamb_proc_exit_fn fn;
	lamb_proc_line_fn on_line;
	void *data;
	struct out_pipe out[2];
	char *cgroup;            /* its cgroup directory, or NULL */
	char *cpu_cgroup;        /* its v1 CPU group, or NULL (on v2, cgroup is both) */
	int oom_efd;             /* eventfd for cgroup OOM notification */
	int peak_fd;             /* memory.max_usage_in_bytes (v2: memory.peak), kept open: read per invocation */
	int status_fd;           /* /proc/PID/status, for VmHWM where there is no group: opened at the
				  * first read and kept, as peak_fd */
	struct lamb_watch oom_watch;
	long limit_kb;
	long peak_kb;
	long cur_kb;             /* the last sample */
	bool oom;
	bool exited;
	bool pidns;              /* its whole tree dies with it (spec->pid_namespace) */
	bool adopted;            /* lamb_supervisor_adopt's: its cgroup holds only what it wrote since */
	int report_fd;           /* the child's report pipe, until it execs or says why not */
	struct lamb_watch report_watch;
	char *start_err;         /* why it could not exec, once reported */
	char *name;              /* spec->name, for that message */
};

struct lamb_supervisor {
	struct lamb_loop *loop;
	FILE *log;
	struct lamb_proc *procs;
	char *cgroup; /* lamb-PID directory, or NULL when not usable */
	unsigned serial;
	struct lamb_timer sample; /* RSS sampling, without cgroups */
	char **doomed;            /* instance groups to remove once their last task is gone */
	size_t ndoomed, doomed_cap;
	unsigned doomed_tries;
	struct lamb_timer doomed_timer;
	/* lamb's umask when the supervisor was made: libarchive sets the
	 * process's umask to 0 for an instant while a worker thread unzips a
	 * function's code (archive_write_disk_new), and an instance forked in
	 * that instant would keep it; each child sets this one back */
	mode_t umask;
	char *no_cgroup; /* why there is no cgroup, for the one notice */
	struct lamb_cgroup_cpu cpu; /* CPU groups (and v2 memory), when cpu.dir */
	bool cpu_off;               /* LAMB_CPU_SCALE=off (--cpu-scale off) */
};

static void on_sigchld(void *data);
static void reaped(struct lamb_supervisor *s, struct lamb_proc *p, int status);
static void kill_cgroup_procs(const char *dir);
static void cgroup_remove(struct lamb_supervisor *s, char *dir);

/* A lamb killed with SIGKILL cannot clean up: the next one removes the
 * groups of lambs that are gone, killing what is left in them (grandchildren
 * of instances, which the parent-death signal does not reach). */
static void sweep_stale_groups(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int pid;
		if (sscanf(e->d_name, "lamb-%d", &pid) != 1 || pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		char *dir = xasprintf("%s/%s", root, e->d_name);
		DIR *sub = opendir(dir);
		struct dirent *s;
		while (sub && (s = readdir(sub))) {
			if (strcmp(s->d_name, "lamb") == 0) { /* where that lamb itself was: empty now */
				char *g = xasprintf("%s/lamb", dir);
				rmdir(g);
				free(g);
			}
			if (!isdigit((unsigned char)s->d_name[0]))
				continue;
			char *g = xasprintf("%s/%s", dir, s->d_name);
			kill_cgroup_procs(g);
			for (int i = 0; i < 100 && rmdir(g) < 0 && errno == EBUSY; i++)
				usleep(1000);
			free(g);
		}
		if (sub)
			closedir(sub);
		rmdir(dir);
		free(dir);
	}
	if (d)
		closedir(d);
}

static void open_cpu(struct lamb_supervisor *s)
{
	if (s->cpu_off)
		return;
	lamb_cgroup_cpu_open(&s->cpu, "/sys/fs/cgroup", "/proc/self/cgroup", (int)getpid());
	lamb_cgroup_cpu_join_self(&s->cpu, "/proc/self/cgroup");
	if (s->cpu.dir) {
		char *parent = xstrdup(s->cpu.dir);
		*strrchr(parent, '/') = '\0';
		sweep_stale_groups(parent);
		free(parent);
	}
}

struct lamb_supervisor *lamb_supervisor_new(struct lamb_loop *loop, FILE *log)
{
	struct lamb_supervisor *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->log = log ? log : stderr;
	s->umask = umask(022); /* read it: there is no call that only reads */
	umask(s->umask);
	const char *no = getenv("LAMB_NO_CGROUP"), *scale = getenv("LAMB_CPU_SCALE");
	s->cpu_off = scale && strcmp(scale, "off") == 0;
	if (no && *no) {
		s->no_cgroup = xstrdup("LAMB_NO_CGROUP is set");
		s->cpu.why = xstrdup("LAMB_NO_CGROUP is set");
	} else {
		open_cpu(s);
		sweep_stale_groups(CGROUP_ROOT);
		char *dir = xasprintf(CGROUP_ROOT "/lamb-%d", (int)getpid());
		if (mkdir(dir, 0755) == 0 || errno == EEXIST) {
			s->cgroup = dir;
		} else {
			s->no_cgroup = errno == ENOENT ? xstrdup("no cgroup v1 memory controller at " CGROUP_ROOT)
						       : xasprintf("cannot create '%s': %s", dir, strerror(errno));
			free(dir);
		}
	}
	if (!s->cgroup && s->cpu.v2_memory) { /* v2 memory.max in the CPU group instead */
		free(s->no_cgroup);
		s->no_cgroup = NULL;
	}
	/* orphans of an instance that is gone come to lamb, not to init, where
	 * kill_orphans finds them */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	lamb_loop_on_sigchld(loop, on_sigchld, s);
	return s;
}

/* Once per lamb run, at the first instance (so that --log-file gets it
 * and commands that start none say nothing): what running without a
 * cgroup loses. Never silent, never repeated per instance or reload. */
static void say_no_cgroup(struct lamb_supervisor *s)
{
	static bool said;
	if (!s->no_cgroup || said)
		return;
	said = true;
	fprintf(s->log, "lamb: note: no memory cgroup (%s): MemorySize is checked by sampling each "
		"instance's memory every 50 ms, not enforced at allocation, so a burst between two samples "
		"goes unseen; a process that leaves its instance's process group is not stopped with it\n",
		s->no_cgroup);
	lamb_loop_wrote(s->loop, s->log);
}

/* The same once for CPU: durations measured without Lambda's CPU share. */
static void say_no_cpu(struct lamb_supervisor *s)
{
	static bool said;
	if (s->cpu_off || s->cpu.dir || said)
		return;
	said = true;
	fprintf(s->log, "lamb: note: no CPU cgroup (%s): every instance gets the host's whole CPU at any "
		"MemorySize, so durations are not Lambda's (REPORT says 'CPU: unscaled')\n",
		s->cpu.why ? s->cpu.why : "none found");
	lamb_loop_wrote(s->loop, s->log);
}

bool lamb_supervisor_cpu_scaled(const struct lamb_supervisor *s)
{
	return !s->cpu_off && s->cpu.dir;
}

const char *lamb_supervisor_cpu_missing(const struct lamb_supervisor *s)
{
	if (s->cpu_off || s->cpu.dir)
		return NULL;
	return s->cpu.why ? s->cpu.why : "none found";
}

void lamb_supervisor_set_log(struct lamb_supervisor *s, FILE *log)
{
	s->log = log ? log : stderr;
}

const char *lamb_supervisor_memory_method(const struct lamb_supervisor *s)
{
	return s->cgroup || s->cpu.v2_memory ? "cgroup" : "sampling";
}

/* --- output forwarding --- */

static void emit_lines(struct lamb_proc *p, struct out_pipe *o, bool all)
{
	struct lamb_supervisor *s = p->sup;
	if (!o->line.len || !o->line.data)
		return;
	char *start = o->line.data;
	char *end = start + o->line.len;
	char *last = memrchr(start, '\n', o->line.len);
	/* every complete line in one write: whole lines never interleave with
	 * another instance's, and a chatty function costs one syscall a read */
	if (last) {
		fwrite(start, 1, (size_t)(last - start + 1), s->log);
		for (char *l = start, *nl; p->on_line && l <= last; l = nl + 1) {
			nl = memchr(l, '\n', (size_t)(last - l + 1));
			p->on_line(p->data, l, (size_t)(nl - l));
		}
		start = last + 1;
	}
	if ((all || end - start > MAX_LINE) && end > start) {
		fwrite(start, 1, (size_t)(end - start), s->log);
		fputc('\n', s->log);
		if (p->on_line)
			p->on_line(p->data, start, (size_t)(end - start));
		start = end;
	}
	size_t rest = (size_t)(end - start);
	memmove(o->line.data, start, rest);
	o->line.len = rest;
	o->line.data[rest] = '\0';
	lamb_loop_wrote(s->loop, s->log);
}

static void close_pipe(struct lamb_proc *p, struct out_pipe *o)
{
	if (o->fd < 0)
		return;
	emit_lines(p, o, true);
	lamb_loop_del_fd(p->sup->loop, &o->watch);
	close(o->fd);
	o->fd = -1;
	lamb_buf_release(&o->line);
}

/* Reads what is there; returns false at EOF or error. */
static bool read_pipe(struct lamb_proc *p, struct out_pipe *o)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(o->fd, chunk, sizeof(chunk));
		if (n > 0) {
			lamb_buf_add(&o->line, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		bool open = n < 0 && errno == EAGAIN;
		emit_lines(p, o, false);
		return open;
	}
}

static void on_output0(void *data, uint32_t events)
{
	struct lamb_proc *p = data;
	(void)events;
	if (!read_pipe(p, &p->out[0]))
		close_pipe(p, &p->out[0]);
}

static void on_output1(void *data, uint32_t events)
{
	struct lamb_proc *p = data;
	(void)events;
	if (!read_pipe(p, &p->out[1]))
		close_pipe(p, &p->out[1]);
}

/* --- memory --- */

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static bool sampled(const struct lamb_proc *p)
{
	return !p->cgroup && !p->exited;
}

/* The RSS of every instance that has no cgroup, over its whole tree: a
 * bootstrap is its tree's subreaper, so a daemon that left its process
 * group and session is still below it. Walking each tree (its processes'
 * children lists) costs what the instances hold, not a pass over the
 * machine's /proc. Every SAMPLE_NS, and only when cgroups are not
 * available. */
static void sample_all(struct lamb_supervisor *s)
{
	for (struct lamb_proc *p = s->procs; p; p = p->next)
		p->cur_kb = sampled(p) ? lamb_proctree_rss_kb(p->pid) : 0;
}

static void on_sample(void *data)
{
	struct lamb_supervisor *s = data;
	bool any = false;
	sample_all(s);
	for (struct lamb_proc *p = s->procs; p; p = p->next) {
		if (!sampled(p))
			continue;
		any = true;
		if (p->cur_kb > p->peak_kb)
			p->peak_kb = p->cur_kb;
		if (p->limit_kb && p->cur_kb > p->limit_kb && !p->oom) {
			p->oom = true;
			lamb_proc_kill(p);
		}
	}
	if (any)
		lamb_loop_timer_set(s->loop, &s->sample, lamb_loop_now_ns() + SAMPLE_NS, on_sample, s);
}

/* VmHWM of p's process: its own peak, which sampling may have missed. Read
 * at the end of every invocation without a group, so the file stays open:
 * a pread costs 6.3 us here, open, read and close 10.2 (the kernel writes
 * the whole status either way). The fd is the process's, not the pid's: a
 * pid reused after it ended reads nothing. */
static long hwm_kb(struct lamb_proc *p)
{
	char buf[2048];
	if (p->status_fd < 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
		p->status_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	ssize_t n = p->status_fd >= 0 ? pread(p->status_fd, buf, sizeof(buf) - 1, 0) : -1;
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *v = strstr(buf, "VmHWM:");
	return v ? strtol(v + 6, NULL, 10) : 0;
}

static void on_oom(void *data, uint32_t events)
{
	struct lamb_proc *p = data;
	uint64_t v;
	(void)events;
	if (read(p->oom_efd, &v, sizeof(v)) < 0 && errno == EAGAIN)
		return;
	p->oom = true;
	lamb_proc_kill(p);
}

/* Creates the proc's cgroup with its limit and OOM notification; returns an
 * fd on its "tasks" file for the child to write "0" into, or -1. The child
 * is born single-threaded, so moving its one thread moves the process; and
 * "0" in "tasks" (the current thread) is the one move the kernel makes
 * without taking cgroup_threadgroup_rwsem for writing, which waits for an
 * RCU grace period: cgroup.procs costs 4-20 ms per cold start here (6.18),
 * "tasks" 0.03 ms. A kernel that takes the lock anyway costs what
 * cgroup.procs did. */
static int memory_prepare(struct lamb_proc *p, long memory_mb)
{
	struct lamb_supervisor *s = p->sup;
	if (!s->cgroup)
		return -1;
	p->cgroup = xasprintf("%s/%u", s->cgroup, ++s->serial);
	if (mkdir(p->cgroup, 0755) < 0 && errno != EEXIST)
		goto fail;
	if (memory_mb > 0) {
		char lim[32];
		snprintf(lim, sizeof(lim), "%lld", (long long)memory_mb * 1024 * 1024);
		if (write_file(p->cgroup, "memory.limit_in_bytes", lim) < 0)
			goto fail;
		write_file(p->cgroup, "memory.memsw.limit_in_bytes", lim); /* no swap, when accounted */
		char path[512];
		snprintf(path, sizeof(path), "%s/memory.oom_control", p->cgroup);
		int ocfd = open(path, O_RDONLY | O_CLOEXEC);
		p->oom_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (ocfd >= 0 && p->oom_efd >= 0) {
			char line[64];
			snprintf(line, sizeof(line), "%d %d", p->oom_efd, ocfd);
			if (write_file(p->cgroup, "cgroup.event_control", line) == 0)
				lamb_loop_add_fd(s->loop, &p->oom_watch, p->oom_efd, EPOLLIN, on_oom, p, NULL);
		}
		if (ocfd >= 0)
			close(ocfd);
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/memory.max_usage_in_bytes", p->cgroup);
	p->peak_fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/tasks", p->cgroup);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
fail:
	rmdir(p->cgroup);
	free(p->cgroup);
	p->cgroup = NULL;
	return -1;
}

/* The instance's groups: returns the fd of the one that limits memory (v1
 * memory, or v2's group for both), *cpufd that of a separate v1 CPU group;
 * either -1. */
static int cgroup_prepare(struct lamb_proc *p, long memory_mb, int *cpufd)
{
	struct lamb_supervisor *s = p->sup;
	char name[32];
	*cpufd = -1;
	if (!s->cgroup && s->cpu.v2_memory) {
		snprintf(name, sizeof(name), "%u", ++s->serial);
		int fd = lamb_cgroup_cpu_make(&s->cpu, name, memory_mb, &p->cgroup);
		if (fd >= 0) {
			char *peak = xasprintf("%s/memory.peak", p->cgroup);
			p->peak_fd = open(peak, O_RDONLY | O_CLOEXEC);
			free(peak);
		}
		return fd;
	}
	int fd = memory_prepare(p, memory_mb);
	snprintf(name, sizeof(name), "%u", ++s->serial);
	*cpufd = lamb_cgroup_cpu_make(&s->cpu, name, memory_mb, &p->cpu_cgroup);
	return fd;
}

static void cgroup_kill_all(struct lamb_proc *p)
{
	if (p->cgroup)
		kill_cgroup_procs(p->cgroup);
	if (p->cpu_cgroup)
		kill_cgroup_procs(p->cpu_cgroup);
}

/* Tries the doomed groups once; true when none is left. */
static bool remove_doomed(struct lamb_supervisor *s)
{
	size_t kept = 0;
	for (size_t i = 0; i < s->ndoomed; i++) {
		char *dir = s->doomed[i];
		if (rmdir(dir) == 0 || errno != EBUSY) {
			free(dir);
			continue;
		}
		kill_cgroup_procs(dir); /* anything it forked since */
		s->doomed[kept++] = dir;
	}
	s->ndoomed = kept;
	return kept == 0;
}

/* Retries on the loop, 1 ms after the first try and backing off to 250 ms:
 * a group empties within milliseconds once its tasks are killed, and the
 * loop is never held while it does. */
static void on_doomed(void *data)
{
	struct lamb_supervisor *s = data;
	if (remove_doomed(s)) {
		s->doomed_tries = 0;
		return;
	}
	unsigned shift = s->doomed_tries < 8 ? s->doomed_tries++ : 8;
	lamb_loop_timer_set(s->loop, &s->doomed_timer, lamb_loop_now_ns() + (1000000ull << shift), on_doomed, s);
}

/* Takes dir (owned). */
static void cgroup_remove(struct lamb_supervisor *s, char *dir)
{
	if (rmdir(dir) == 0 || errno != EBUSY) {
		free(dir);
		return;
	}
	kill_cgroup_procs(dir);
	s->doomed = xgrow(s->doomed, &s->doomed_cap, s->ndoomed + 1, sizeof(*s->doomed));
	s->doomed[s->ndoomed++] = dir;
	if (!s->doomed_timer.armed)
		on_doomed(s);
}

static void kill_cgroup_procs(const char *dir)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	int pid;
	while (fscanf(f, "%d", &pid) == 1)
		kill(pid, SIGKILL);
	fclose(f);
}

long lamb_proc_max_memory_mb(struct lamb_proc *p)
{
	long kb = p->peak_kb;
	if (p->cgroup) { /* v1 memory.max_usage_in_bytes or v2 memory.peak */
		long long b = lamb_cgroup_read_number(p->peak_fd);
		if (b / 1024 > kb)
			kb = (long)(b / 1024);
	}
	/* a restored instance's pages from the snapshot stay charged to the
	 * snapshot's group: its own resident set counts them, as Lambda does */
	if ((!p->cgroup || p->adopted) && !p->exited) {
		long hwm = hwm_kb(p);
		if (hwm > kb)
			kb = p->peak_kb = hwm;
	}
	return (kb + 1023) / 1024;
}

/* Init runs at the host's whole CPU: Lambda's Init phase is commonly
 * observed to get more than the memory share, and an interpreter's start
 * at 1/14 of a CPU would make each local cold start ten times slower. */
void lamb_proc_init_done(struct lamb_proc *p)
{
	struct lamb_supervisor *s = p->sup;
	const char *dir = p->cpu_cgroup ? p->cpu_cgroup : s->cpu.v2_memory ? p->cgroup : NULL;
	if (dir && !p->exited)
		lamb_cgroup_cpu_limit(&s->cpu, dir, p->limit_kb / 1024);
}

bool lamb_proc_oom(const struct lamb_proc *p)
{
	return p->oom;
}

pid_t lamb_proc_pid(const struct lamb_proc *p)
{
	return p->pid;
}

/* --- spawning --- */

enum { STAGE_CHDIR = 1, STAGE_EXEC, STAGE_SETUP, STAGE_SANDBOX };

struct child_report {
	int stage;
	int err;
};

/* In the child: only async-signal-safe calls from here to exec. */
static void __attribute__((noreturn))
child(const struct lamb_proc_spec *spec, mode_t mask, pid_t parent, int devnull, int out, int errfd,
      int cgfd, int cpufd, int report)
{
	struct child_report r = { STAGE_SETUP, 0 };
	sigset_t none;
	sigemptyset(&none);
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigaction(SIGPIPE, &dfl, NULL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	umask(mask);
	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		goto fail;
	/* kept across exec: the instance's orphans (a detached daemon) stay
	 * below it, where its tree is counted and killed */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (cgfd >= 0 && write(cgfd, "0", 1) != 1)
		goto fail;
	if (cpufd >= 0 && write(cpufd, "0", 1) != 1) {
		/* CPU unscaled rather than no instance */
	}
	if (dup2(spec->stdin_fd > 0 ? spec->stdin_fd : devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		goto fail;
	/* fds lamb inherited from its own parent are not the instance's: all
	 * but 0-2 close at exec (the report pipe already does) */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (int fd = 3; fd < 4096; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	r.stage = spec->sandbox ? STAGE_SANDBOX : STAGE_CHDIR;
	if (spec->sandbox ? lamb_sandbox_enter(spec->sandbox, report) < 0 : chdir(spec->cwd) < 0)
		goto fail;
	r.stage = STAGE_EXEC;
	execve(spec->sandbox ? spec->sandbox->exec_path : spec->path, spec->argv, spec->envp);
fail:
	r.err = errno;
	if (write(report, &r, sizeof(r)) < 0) {
		/* nothing more we can do */
	}
	_exit(127);
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* What the child could not do, before forking: the usual reasons a
 * bootstrap cannot start are said by lamb_supervisor_spawn itself, and the
 * loop never waits for a child to reach exec (under load that wait held
 * every timer for as long as the child waited for a CPU). */
/* 0, or the errno that a chdir (dir) or an execve (!dir) of path would
 * most likely fail with. */
static int usable(const char *path, bool dir)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno;
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return dir ? ENOTDIR : EACCES;
	return access(path, X_OK) < 0 ? errno : 0;
}

static int precheck(const struct lamb_proc_spec *spec, struct lamb_err *err)
{
	int e = usable(spec->cwd, true);
	if (e)
		return lamb_err_set(err, "cannot change to '%s': %s", spec->cwd, strerror(e));
	if ((e = usable(spec->path, false)))
		return lamb_err_set(err, "cannot exec '%s': %s", spec->name, strerror(e));
	return 0;
}

static void report_close(struct lamb_proc *p)
{
	if (p->report_fd < 0)
		return;
	lamb_loop_del_fd(p->sup->loop, &p->report_watch);
	close(p->report_fd);
	p->report_fd = -1;
}

/* The report pipe: EOF when the child exec'ed, a report when it could not
 * (it then exits 127, and the exit callback can ask why). */
static void read_report(struct lamb_proc *p)
{
	struct child_report r;
	ssize_t n;
	do
		n = read(p->report_fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n == (ssize_t)sizeof(r) && !p->start_err)
		p->start_err = r.stage == STAGE_CHDIR ? xasprintf("cannot change to its directory: %s", strerror(r.err))
			     : r.stage == STAGE_SANDBOX ? xasprintf("cannot set up the sandbox of '%s': %s", p->name,
								   strerror(r.err))
			     : xasprintf("cannot %s '%s': %s", r.stage == STAGE_EXEC ? "exec" : "start", p->name,
					 strerror(r.err));
	report_close(p);
}

static void on_report(void *data, uint32_t events)
{
	(void)events;
	read_report(data);
}

const char *lamb_proc_start_error(const struct lamb_proc *p)
{
	return p->start_err;
}

/* Gives back what the loop knows about: pipes, timer, OOM watch. */
static void proc_release(struct lamb_proc *p)
{
	struct lamb_loop *loop = p->sup->loop;
	report_close(p);
	for (int i = 0; i < 2; i++)
		close_pipe(p, &p->out[i]);
	if (p->oom_efd >= 0) {
		lamb_loop_del_fd(loop, &p->oom_watch);
		close(p->oom_efd);
		p->oom_efd = -1;
	}
}

/* Needs nothing but p: may run after the supervisor is gone. Its cgroup
 * has gone to cgroup_remove before. */
static void proc_free(struct lamb_proc *p)
{
	if (!p)
		return;
	if (p->peak_fd >= 0)
		close(p->peak_fd);
	if (p->status_fd >= 0)
		close(p->status_fd);
	free(p->cgroup);
	free(p->cpu_cgroup);
	free(p->start_err);
	free(p->name);
	free(p);
}

/* The proc's group, if any, is removed now or, while a task of it is still
 * dying (the bootstrap under bwrap outlives bwrap by the milliseconds its
 * memory takes to free), as soon as it can be; then the proc is freed. */
static void proc_discard(struct lamb_supervisor *s, struct lamb_proc *p)
{
	if (p && p->cgroup)
		cgroup_remove(s, steal_ptr(p->cgroup));
	if (p && p->cpu_cgroup)
		cgroup_remove(s, steal_ptr(p->cpu_cgroup));
	proc_free(p);
}

/* The child's stdout, stderr and report pipe become watches of the loop. */
static void watch_child(struct lamb_proc *p, int out, int errfd, int report)
{
	struct lamb_loop *loop = p->sup->loop;
	p->report_fd = report;
	fcntl(report, F_SETFL, O_NONBLOCK);
	if (lamb_loop_add_fd(loop, &p->report_watch, report, EPOLLIN, on_report, p, NULL) < 0) {
		close(report);
		p->report_fd = -1;
	}
	p->out[0].fd = out;
	p->out[1].fd = errfd;
	for (int i = 0; i < 2; i++) {
		fcntl(p->out[i].fd, F_SETFL, O_NONBLOCK);
		lamb_buf_init(&p->out[i].line);
		lamb_loop_add_fd(loop, &p->out[i].watch, p->out[i].fd, EPOLLIN, i ? on_output1 : on_output0, p, NULL);
	}
}

struct lamb_proc *lamb_supervisor_spawn(struct lamb_supervisor *s, const struct lamb_proc_spec *spec,
					lamb_proc_exit_fn fn, void *data, struct lamb_err *err)
{
	say_no_cgroup(s);
	say_no_cpu(s);
	struct lamb_proc *p = xcalloc(1, sizeof(*p));
	int fds[7] = { -1, -1, -1, -1, -1, -1, -1 }; /* out r/w, err r/w, report r/w, devnull */
	p->sup = s;
	p->fn = fn;
	p->on_line = spec->on_line;
	p->data = data;
	p->oom_efd = -1;
	p->peak_fd = p->status_fd = -1;
	p->out[0].fd = p->out[1].fd = -1;
	p->limit_kb = spec->memory_mb * 1024;
	p->pidns = spec->pid_namespace;
	p->report_fd = -1;
	if (precheck(spec, err) < 0) {
		proc_discard(s, p);
		return NULL;
	}
	p->name = xstrdup(spec->name);
	if (pipe2(fds, O_CLOEXEC) < 0 || pipe2(fds + 2, O_CLOEXEC) < 0 || pipe2(fds + 4, O_CLOEXEC) < 0 ||
	    (fds[6] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		lamb_err_set(err, "cannot create pipes: %s", strerror(errno));
		close_fds(fds, 7);
		proc_release(p);
		proc_discard(s, p);
		return NULL;
	}
	int cpufd;
	int cgfd = cgroup_prepare(p, spec->memory_mb, &cpufd);
	pid_t parent = getpid();
	p->pid = fork();
	if (p->pid == 0)
		child(spec, s->umask, parent, fds[6], fds[1], fds[3], cgfd, cpufd, fds[5]);
	int fork_errno = errno;
	if (cgfd >= 0)
		close(cgfd);
	if (cpufd >= 0)
		close(cpufd);
	close(fds[1]);
	close(fds[3]);
	close(fds[5]);
	close(fds[6]);
	if (p->pid < 0) {
		lamb_err_set(err, "cannot fork: %s", strerror(fork_errno));
		close(fds[0]);
		close(fds[2]);
		close(fds[4]);
		proc_release(p);
		proc_discard(s, p);
		return NULL;
	}
	setpgid(p->pid, p->pid); /* also in the child: whichever runs first */
	watch_child(p, fds[0], fds[2], fds[4]);
	if (!p->cgroup && !s->sample.armed)
		lamb_loop_timer_set(s->loop, &s->sample, lamb_loop_now_ns() + SAMPLE_NS, on_sample, s);
	p->next = s->procs;
	s->procs = p;
	return p;
}

/* Moves pid into fd's group (its "tasks" or cgroup.procs): the child
 * writes "0" itself, an adopted process is moved from here. */
static void cgroup_move(int fd, pid_t pid)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%d", (int)pid);
	if (fd >= 0 && write(fd, num, (size_t)n) != n) {
		/* unlimited rather than no instance: memory is then sampled */
	}
	if (fd >= 0)
		close(fd);
}

struct lamb_proc *lamb_supervisor_adopt(struct lamb_supervisor *s, pid_t pid, const char *name, long memory_mb,
					int out, int errfd, lamb_proc_line_fn on_line, lamb_proc_exit_fn fn,
					void *data)
{
	struct lamb_proc *p = xcalloc(1, sizeof(*p));
	p->sup = s;
	p->fn = fn;
	p->on_line = on_line;
	p->data = data;
	p->oom_efd = -1;
	p->peak_fd = p->status_fd = -1;
	p->limit_kb = memory_mb * 1024;
	p->pid = pid;
	p->adopted = true;
	p->name = xstrdup(name);
	int cpufd;
	int cgfd = cgroup_prepare(p, memory_mb, &cpufd);
	cgroup_move(cgfd, pid);
	cgroup_move(cpufd, pid);
	int report[2];
	if (pipe2(report, O_CLOEXEC) == 0) /* no exec to report: EOF at once */
		close(report[1]);
	else
		report[0] = -1;
	watch_child(p, out, errfd, report[0]);
	if (!p->cgroup && !s->sample.armed)
		lamb_loop_timer_set(s->loop, &s->sample, lamb_loop_now_ns() + SAMPLE_NS, on_sample, s);
	p->next = s->procs;
	s->procs = p;
	return p;
}

void lamb_proc_exited(struct lamb_proc *p, int status)
{
	if (!p->exited)
		reaped(p->sup, p, status);
}

/* Without a cgroup or a PID namespace, what left the process group (a
 * setsid daemon) is found in the tree below the bootstrap, its subreaper. */
static void kill_tree(struct lamb_proc *p)
{
	lamb_proctree_kill_below(p->pid);
}

void lamb_proc_kill(struct lamb_proc *p)
{
	if (p->exited)
		return;
	if (!p->cgroup && !p->pidns)
		kill_tree(p);
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL); /* in case it has not reached setpgid */
	cgroup_kill_all(p);
}

bool lamb_proc_owns_peer(const struct lamb_proc *p, int fd)
{
	return !p->exited && lamb_peer_held_by(p->pid, lamb_peer_inode(fd));
}

static bool is_instance_task(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	size_t len;
	char *env = lamb_read_file(path, &len);
	bool found = false;
	/* lamb's own value, if it runs where one is set, is its builds' too */
	const char *own = getenv("AWS_LAMBDA_RUNTIME_API");
	for (size_t i = 0; env && i < len; i += strlen(env + i) + 1)
		found |= strncmp(env + i, "AWS_LAMBDA_RUNTIME_API=", 23) == 0 && !str_eq(env + i + 23, own);
	free(env);
	return found;
}

/* An instance that exited on its own leaves its orphans to lamb (the
 * subreaper above every bootstrap): those are the children of lamb that
 * are no instance's bootstrap yet carry an instance's environment. Only
 * without a cgroup, where nothing else finds them. */
static void kill_orphans(struct lamb_supervisor *s)
{
	struct lamb_proctree t;
	pid_t self = getpid();
	lamb_proctree_load(&t);
	for (size_t i = 0; i < t.len; i++) {
		bool known = false;
		for (struct lamb_proc *p = s->procs; p && !known; p = p->next)
			known = p->pid == t.v[i].pid;
		if (t.v[i].ppid == self && !known && is_instance_task(t.v[i].pid))
			kill(t.v[i].pid, SIGKILL);
	}
	lamb_proctree_release(&t);
}

/* The rest of a line without its newline, ended here: the invocation is
 * over, and AWS's runtimes end a log record where the invocation ends
 * rather than carry it into the next one (or lose it at exit). */
static void end_partial_lines(struct lamb_proc *p)
{
	for (int i = 0; i < 2; i++)
		if (p->out[i].fd >= 0 && p->out[i].line.len)
			emit_lines(p, &p->out[i], true);
}

void lamb_proc_drain(struct lamb_proc *p)
{
	/* one poll for both pipes: most answers come with no output pending,
	 * and a read that finds nothing is a syscall per pipe per answer */
	struct pollfd pf[2];
	int n = 0;
	for (int i = 0; i < 2; i++)
		if (p->out[i].fd >= 0)
			pf[n++] = (struct pollfd){ .fd = p->out[i].fd, .events = POLLIN };
	if (n && poll(pf, (nfds_t)n, 0) > 0) {
		/* an EOF seen here is left for on_output to close */
		for (int i = 0; i < 2; i++)
			for (int j = 0; j < n; j++)
				if (pf[j].fd == p->out[i].fd && (pf[j].revents & (POLLIN | POLLHUP)))
					read_pipe(p, &p->out[i]);
	}
	end_partial_lines(p);
}

void lamb_proc_detach(struct lamb_proc *p)
{
	p->fn = NULL;
	p->on_line = NULL;
	p->data = NULL;
}

void lamb_proc_describe_status(int status, char *buf, size_t n)
{
	if (WIFEXITED(status)) {
		snprintf(buf, n, "exit status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		/* Go's names, as Lambda prints them: "killed", "segmentation fault" */
		const char *name = strsignal(WTERMSIG(status));
		size_t i = 0;
		i += (size_t)snprintf(buf, n, "signal: ");
		for (; name && *name && i + 1 < n; name++)
			buf[i++] = (char)tolower((unsigned char)*name);
		buf[i < n ? i : n - 1] = '\0';
	} else {
		snprintf(buf, n, "status %d", status);
	}
}

static void unlink_proc(struct lamb_supervisor *s, struct lamb_proc *p)
{
	for (struct lamb_proc **pp = &s->procs; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

static void deferred_free(void *data)
{
	proc_free(data);
}

static void reaped(struct lamb_supervisor *s, struct lamb_proc *p, int status)
{
	/* the instance is its whole group: nothing of it outlives the bootstrap */
	kill(-p->pid, SIGKILL);
	cgroup_kill_all(p);
	if (!p->cgroup && !p->cpu_cgroup && !p->pidns)
		kill_orphans(s);
	p->exited = true;
	if (p->cgroup && p->sup->cpu.v2_memory && !p->sup->cgroup && lamb_cgroup_oom_killed(p->cgroup))
		p->oom = true; /* v2: the kernel's OOM kill, counted in memory.events */
	if (p->report_fd >= 0)
		read_report(p); /* it is dead: a report or EOF is there */
	for (int i = 0; i < 2; i++)
		if (p->out[i].fd >= 0)
			read_pipe(p, &p->out[i]);
	proc_release(p);
	unlink_proc(s, p);
	if (p->fn)
		p->fn(p->data, p, status);
	if (p->cgroup) /* nobody asks for its peak any more */
		cgroup_remove(s, steal_ptr(p->cgroup));
	if (p->cpu_cgroup)
		cgroup_remove(s, steal_ptr(p->cpu_cgroup));
	lamb_loop_defer(s->loop, deferred_free, p);
}

static void on_sigchld(void *data)
{
	struct lamb_supervisor *s = data;
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (struct lamb_proc *p = s->procs; p; p = p->next)
			if (p->pid == pid) {
				reaped(s, p, status);
				break;
			}
	}
}

void lamb_supervisor_free(struct lamb_supervisor *s)
{
	if (!s)
		return;
	bool orphans = false;
	for (struct lamb_proc *p = s->procs; p; p = p->next) {
		orphans |= !p->cgroup && !p->pidns;
		lamb_proc_kill(p);
	}
	while (s->procs) {
		struct lamb_proc *p = s->procs;
		s->procs = p->next;
		waitpid(p->pid, NULL, 0);
		p->exited = true;
		proc_release(p);
		proc_discard(s, p);
	}
	if (orphans)
		kill_orphans(s);
	lamb_loop_on_sigchld(s->loop, NULL, NULL);
	lamb_loop_timer_cancel(s->loop, &s->sample);
	lamb_loop_timer_cancel(s->loop, &s->doomed_timer);
	/* lamb is leaving: wait here, up to 2 s, for the last tasks to go
	 * (a killed process frees its memory in a millisecond or so: look
	 * every 0.1 ms); what still holds out is swept by the next lamb */
	for (int i = 0; i < 20000 && !remove_doomed(s); i++)
		usleep(100);
	for (size_t i = 0; i < s->ndoomed; i++)
		free(s->doomed[i]);
	free(s->doomed);
	if (s->cgroup) {
		rmdir(s->cgroup);
		free(s->cgroup);
	}
	free(s->no_cgroup);
	lamb_cgroup_cpu_close(&s->cpu);
	free(s);
}
