/* SnapStart by fork (snapstart.h). The snapshot's stdin is one end of a
 * SOCK_SEQPACKET pair; on it, one message at a time:
 *   runtime -> lamb  "ready"                 init and before-snapshot hooks done
 *   lamb -> runtime  "fork ADDRESS TMP" + fds  stdout, stderr, and the restore's own socket;
 *                                          TMP 1: mount a /tmp of its own
 *   runtime -> lamb  "exit NSPID STATUS"     a restored instance was reaped (wait status)
 * and on each restore's own socket, which lamb reads with SO_PASSCRED (the
 * kernel then gives the sender's pid as lamb's PID namespace sees it):
 *   child -> lamb    "pid NSPID"             forked, in its own session
 *   lamb -> child    "go"                    adopted (its cgroup joined): run the after-restore hooks
 * The restored instance is the snapshot's child, not lamb's: its exit comes
 * from the snapshot's "exit", or, if the snapshot dies, with it (the child
 * has PR_SET_PDEATHSIG). Lambda's documentation: "Improving startup
 * performance with Lambda SnapStart" and "Lambda SnapStart runtime hooks
 * for Python". */
#include "base/util.h"
#include "engine/runtime-api.h"
#include "engine/snapstart.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum snap_state { SNAP_INIT, SNAP_READY, SNAP_ENDED };

struct lamb_restore {
	struct lamb_snap *snap;
	struct lamb_restore *next;
	int ctl;                 /* lamb's end of its own socket, until adopted */
	int out, err;            /* read ends of its stdout and stderr, until adopted */
	struct lamb_watch watch;
	pid_t pid, nspid;        /* once it said "pid" */
	struct lamb_proc *proc;  /* once adopted */
	bool cancelled;
	long memory_mb;
	lamb_proc_line_fn on_line;
	lamb_proc_exit_fn on_exit;
	lamb_restored_fn done;
	void *data;
};

struct lamb_snap {
	struct lamb_loop *loop;
	struct lamb_supervisor *sup;
	struct lamb_proc *proc;   /* the snapshot, until it exits */
	struct lamb_rapi *rapi;   /* its Runtime API, for /init/error, until ready */
	int ctl;
	struct lamb_watch watch;
	struct lamb_timer timer;  /* its init's limit */
	enum snap_state state;
	bool retired;
	bool doomed;              /* its destruction is deferred */
	uint64_t init_ms;
	bool private_tmp;
	const struct lamb_snap_ops *ops;
	void *data;
	char *name;
	struct lamb_buf init_error; /* the /init/error document, if one came */
	struct lamb_restore *restores;
};

bool lamb_snapstart_applies(const struct lamb_function *fn)
{
	return fn->snapstart && fn->runtime && str_starts(fn->runtime, "python");
}

bool lamb_snap_ready(const struct lamb_snap *s)
{
	return s && s->state == SNAP_READY && !s->retired;
}

/* --- the snapshot's Runtime API: only /init/error means anything --- */

static void snap_next(void *owner)
{
	/* a runtime that ignores SnapStart calls /next after its init: it is
	 * not a snapshot, and lamb says so when it exits */
	struct lamb_snap *s = owner;
	if (s->proc)
		lamb_proc_kill(s->proc);
}

static void snap_answer(void *owner, enum lamb_rapi_answer kind, const char *body, size_t len,
			const char *error_type)
{
	(void)owner, (void)kind, (void)body, (void)len, (void)error_type;
}

static void snap_init_error(void *owner, const char *body, size_t len, const char *error_type)
{
	struct lamb_snap *s = owner;
	(void)error_type;
	s->init_error.len = 0;
	lamb_buf_add(&s->init_error, body, len);
}

static bool snap_peer(void *owner, int fd)
{
	struct lamb_snap *s = owner;
	return s->proc && lamb_proc_owns_peer(s->proc, fd);
}

static const struct lamb_rapi_ops snap_rapi_ops = {
	.next = snap_next,
	.answer = snap_answer,
	.init_error = snap_init_error,
	.peer = snap_peer,
};

/* --- restores --- */

static void restore_close(struct lamb_restore *r)
{
	if (r->ctl >= 0) {
		lamb_loop_del_fd(r->snap->loop, &r->watch);
		close(r->ctl);
		r->ctl = -1;
	}
	if (r->out >= 0)
		close(r->out);
	if (r->err >= 0)
		close(r->err);
	r->out = r->err = -1;
}

static void restore_unlink(struct lamb_restore *r)
{
	struct lamb_snap *s = r->snap;
	for (struct lamb_restore **pp = &s->restores; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	restore_close(r);
	free(r);
}

static void snap_destroy(struct lamb_snap *s);

/* A retired snapshot goes with its last restored instance. */
static void deferred_destroy(void *data)
{
	snap_destroy(data);
}

static void maybe_gone(struct lamb_snap *s)
{
	if (s->retired && !s->restores && !s->doomed && (s->doomed = true))
		lamb_loop_defer(s->loop, deferred_destroy, s);
}

/* The restored instance has exited: its proc tells its owner. */
static void restore_exited(struct lamb_restore *r, int status)
{
	struct lamb_snap *s = r->snap;
	struct lamb_proc *proc = r->proc;
	restore_unlink(r);
	if (proc)
		lamb_proc_exited(proc, status);
	maybe_gone(s);
}

static void restore_failed(struct lamb_restore *r, const char *why)
{
	struct lamb_snap *s = r->snap;
	lamb_restored_fn done = r->cancelled ? NULL : r->done;
	void *data = r->data;
	if (r->pid > 0)
		kill(-r->pid, SIGKILL);
	restore_unlink(r);
	if (done)
		done(data, NULL, why);
	maybe_gone(s);
}

/* "pid NSPID" with the sender's credentials: adopt it, then "go". */
static void restore_adopt(struct lamb_restore *r, pid_t pid, pid_t nspid)
{
	r->pid = pid;
	r->nspid = nspid;
	if (r->cancelled) { /* its instance is gone: so is it (the snapshot reports the exit) */
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		restore_close(r);
		return;
	}
	r->proc = lamb_supervisor_adopt(r->snap->sup, pid, r->snap->name, r->memory_mb, r->out, r->err,
					r->on_line, r->on_exit, r->data);
	r->out = r->err = -1; /* the proc's now */
	if (send(r->ctl, "go", 2, MSG_NOSIGNAL) != 2) {
		/* it died meanwhile: its exit comes from the snapshot */
	}
	restore_close(r);
	r->done(r->data, r->proc, NULL);
}

static void on_restore_ctl(void *data, uint32_t events)
{
	struct lamb_restore *r = data;
	char buf[64];
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(struct ucred))];
	} c;
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.space, .msg_controllen = sizeof(c.space) };
	(void)events;
	ssize_t n = recvmsg(r->ctl, &m, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	struct cmsghdr *h = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
	int nspid = 0;
	buf[n > 0 ? n : 0] = '\0';
	if (!h || h->cmsg_type != SCM_CREDENTIALS || sscanf(buf, "pid %d", &nspid) != 1) {
		restore_failed(r, n > 0 ? "the restored instance sent a bad message" :
			       "the restored instance exited before it started");
		return;
	}
	struct ucred cred;
	memcpy(&cred, CMSG_DATA(h), sizeof(cred));
	restore_adopt(r, cred.pid, nspid);
}

/* fds[0], fds[1]: the read and write ends of a pipe, CLOEXEC. */
static int make_channels(int out[2], int err[2], int ctl[2])
{
	out[0] = out[1] = err[0] = err[1] = ctl[0] = ctl[1] = -1;
	int on = 1;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0 ||
	    setsockopt(ctl[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0)
		return -1;
	return 0;
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* "fork ADDRESS" with the child's stdout, stderr and socket. */
static int send_fork(struct lamb_snap *s, const char *address, int out, int err, int ctl)
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "fork %s %d", address, s->private_tmp);
	int fds[3] = { out, err, ctl };
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(fds))];
	} c;
	memset(&c, 0, sizeof(c));
	struct iovec iov = { msg, (size_t)n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.space, .msg_controllen = sizeof(c.space) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(h), fds, sizeof(fds));
	return sendmsg(s->ctl, &m, MSG_NOSIGNAL | MSG_DONTWAIT) == n ? 0 : -1;
}

struct lamb_restore *lamb_snap_restore(struct lamb_snap *s, const char *address, long memory_mb,
				       lamb_proc_line_fn on_line, lamb_proc_exit_fn on_exit, void *data,
				       lamb_restored_fn done, struct lamb_err *err)
{
	int out[2], errp[2], ctl[2];
	if (!lamb_snap_ready(s)) {
		lamb_err_set(err, "the SnapStart snapshot is not ready");
		return NULL;
	}
	if (make_channels(out, errp, ctl) < 0 || send_fork(s, address, out[1], errp[1], ctl[1]) < 0) {
		lamb_err_set(err, "cannot ask the SnapStart snapshot for an instance: %s", strerror(errno));
		int all[6] = { out[0], out[1], errp[0], errp[1], ctl[0], ctl[1] };
		close_all(all, 6);
		return NULL;
	}
	close(out[1]);
	close(errp[1]);
	close(ctl[1]);
	struct lamb_restore *r = xcalloc(1, sizeof(*r));
	*r = (struct lamb_restore){ .snap = s, .ctl = ctl[0], .out = out[0], .err = errp[0], .memory_mb = memory_mb,
		.on_line = on_line, .on_exit = on_exit, .done = done, .data = data };
	r->watch.fd = -1;
	if (lamb_loop_add_fd(s->loop, &r->watch, r->ctl, EPOLLIN, on_restore_ctl, r, err) < 0) {
		close(r->ctl);
		r->ctl = -1;
		restore_close(r);
		free(r);
		return NULL;
	}
	r->next = s->restores;
	s->restores = r;
	return r;
}

void lamb_restore_cancel(struct lamb_restore *r)
{
	r->cancelled = true;
	r->done = NULL;
}

/* --- the snapshot --- */

static void snap_ended(struct lamb_snap *s, const char *why)
{
	if (s->state == SNAP_ENDED)
		return;
	bool was_ready = s->state == SNAP_READY;
	s->state = SNAP_ENDED;
	lamb_loop_timer_cancel(s->loop, &s->timer);
	/* its restored instances die with it (PR_SET_PDEATHSIG) */
	while (s->restores) {
		struct lamb_restore *r = s->restores;
		if (r->proc)
			kill(-r->pid, SIGKILL);
		if (r->proc || r->cancelled)
			restore_exited(r, SIGKILL);
		else
			restore_failed(r, "the SnapStart snapshot ended");
	}
	if (s->retired) {
		maybe_gone(s);
		return;
	}
	char msg[256];
	snprintf(msg, sizeof(msg), "%s%s", was_ready ? "the SnapStart snapshot ended: " : "", why);
	s->ops->ended(s->data, was_ready, msg, s->init_error.data ? s->init_error.data : "", s->init_error.len);
}

static void on_snap_exit(void *data, struct lamb_proc *p, int status)
{
	struct lamb_snap *s = data;
	char how[128], why[192];
	(void)p;
	s->proc = NULL;
	/* the sandbox's monitor reports a signal N as exit status 128+N */
	if (WIFEXITED(status) && WEXITSTATUS(status) > 128 && WEXITSTATUS(status) < 128 + 65)
		status = WEXITSTATUS(status) - 128;
	lamb_proc_describe_status(status, how, sizeof(how));
	snprintf(why, sizeof(why), "the runtime exited with %s", how);
	snap_ended(s, why);
}

static void on_snap_line(void *data, const char *line, size_t len)
{
	struct lamb_snap *s = data;
	if (s->ops && !s->retired)
		s->ops->line(s->data, line, len);
}

static void free_rapi(void *data)
{
	lamb_rapi_free(data);
}

static void snap_message(struct lamb_snap *s, const char *msg)
{
	int nspid, status;
	if (str_eq(msg, "ready") && s->state == SNAP_INIT) {
		s->state = SNAP_READY;
		lamb_loop_timer_cancel(s->loop, &s->timer);
		lamb_loop_defer(s->loop, free_rapi, steal_ptr(s->rapi)); /* nobody may use it now */
		if (s->proc)
			lamb_proc_init_done(s->proc);
		if (!s->retired)
			s->ops->ready(s->data);
	} else if (sscanf(msg, "exit %d %d", &nspid, &status) == 2) {
		for (struct lamb_restore *r = s->restores; r; r = r->next)
			if (r->nspid == nspid && r->pid > 0) {
				restore_exited(r, status);
				break;
			}
	}
}

static void on_snap_ctl(void *data, uint32_t events)
{
	struct lamb_snap *s = data;
	char buf[128];
	(void)events;
	ssize_t n = recv(s->ctl, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* the snapshot is going: its exit says how */
		lamb_loop_del_fd(s->loop, &s->watch);
		return;
	}
	buf[n] = '\0';
	snap_message(s, buf);
}

static void on_snap_timer(void *data)
{
	struct lamb_snap *s = data;
	char why[96];
	if (s->proc) {
		lamb_proc_detach(s->proc);
		lamb_proc_kill(s->proc);
		s->proc = NULL;
	}
	snprintf(why, sizeof(why), "its init did not finish within %.2f seconds", (double)s->init_ms / 1000);
	snap_ended(s, why);
}

struct lamb_snap *lamb_snap_new(struct lamb_loop *loop, struct lamb_supervisor *sup, struct lamb_bootstrap *b,
				const struct lamb_proc_spec *spec, uint64_t init_ms, bool private_tmp,
				const struct lamb_snap_ops *ops, void *data, struct lamb_err *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		lamb_err_set(err, "cannot make the SnapStart snapshot's socket: %s", strerror(errno));
		return NULL;
	}
	struct lamb_snap *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->sup = sup;
	s->ops = ops;
	s->data = data;
	s->ctl = sv[0];
	s->watch.fd = -1;
	s->init_ms = init_ms;
	s->private_tmp = private_tmp;
	s->name = xstrdup(spec->name);
	lamb_buf_init(&s->init_error);
	s->rapi = lamb_rapi_new(loop, &snap_rapi_ops, s, err);
	if (s->rapi) {
		lamb_bootstrap_set_api(b, lamb_rapi_address(s->rapi));
		struct lamb_proc_spec sp = *spec;
		sp.stdin_fd = sv[1];
		sp.on_line = on_snap_line;
		s->proc = lamb_supervisor_spawn(sup, &sp, on_snap_exit, s, err);
	}
	close(sv[1]);
	if (!s->proc || lamb_loop_add_fd(loop, &s->watch, s->ctl, EPOLLIN, on_snap_ctl, s, err) < 0) {
		snap_destroy(s);
		return NULL;
	}
	lamb_loop_timer_set(loop, &s->timer, lamb_loop_now_ns() + init_ms * 1000000ull, on_snap_timer, s);
	return s;
}

static void snap_destroy(struct lamb_snap *s)
{
	s->state = SNAP_ENDED;
	while (s->restores) {
		struct lamb_restore *r = s->restores;
		struct lamb_proc *proc = r->proc;
		if (r->pid > 0)
			kill(-r->pid, SIGKILL);
		restore_unlink(r);
		if (proc)
			lamb_proc_exited(proc, SIGKILL);
	}
	if (s->proc) {
		lamb_proc_detach(s->proc);
		lamb_proc_kill(s->proc);
	}
	lamb_loop_timer_cancel(s->loop, &s->timer);
	lamb_loop_del_fd(s->loop, &s->watch);
	close(s->ctl);
	lamb_rapi_free(s->rapi);
	lamb_buf_release(&s->init_error);
	free(s->name);
	free(s);
}

void lamb_snap_free(struct lamb_snap *s)
{
	if (s)
		snap_destroy(s);
}

void lamb_snap_retire(struct lamb_snap *s)
{
	if (!s)
		return;
	s->retired = true;
	if (s->state != SNAP_READY && s->proc) /* an init under way is of no use now */
		lamb_proc_kill(s->proc);
	maybe_gone(s);
}
