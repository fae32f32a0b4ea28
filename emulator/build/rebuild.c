/* Rebuilds in a child process: fork() gives the child a private copy of
 * the model, which it points back at the sources (built_from) before it
 * calls lamb_build_function, exactly as the first build ran; the parent
 * only reads the child's report from a pipe on the loop. fork without exec,
 * unlike the children that run a program (base/spawn.c, the supervisor):
 * there is no program to run, the child is lamb's own build code, and
 * re-executing lamb would mean passing the model and options over. A
 * thread would share the model and race the supervisor's waitpid(-1) for
 * the build tools' exit statuses. The child leads its own process group,
 * which the tools it spawns stay in, so that stopping lamb kills make and
 * the compiler under it too. It is reaped by whoever reaps the loop's
 * children (the supervisor), or by _free. */
#include "base/util.h"
#include "build/rebuild.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#define NONE ((size_t)-1)

struct lamb_rebuilder {
	struct lamb_loop *loop;
	const struct lamb_model *m;
	struct lamb_build_opts build;
	lamb_rebuild_fn done;
	void *data;
	bool *queued;        /* per function of m */
	size_t current;      /* the function being built, or NONE */
	bool again;          /* it changed again while its build ran */
	pid_t pid;
	int fd;
	struct lamb_watch watch;
	struct lamb_buf report;
	uint64_t start_ns;
};

struct lamb_rebuilder *lamb_rebuild_new(struct lamb_loop *loop, const struct lamb_model *m,
					const struct lamb_build_opts *build, lamb_rebuild_fn done, void *data)
{
	struct lamb_rebuilder *r = xcalloc(1, sizeof(*r));
	r->loop = loop;
	r->m = m;
	if (build)
		r->build = *build;
	r->done = done;
	r->data = data;
	r->queued = xcalloc(m->nfunctions + 1, sizeof(*r->queued));
	r->current = NONE;
	r->fd = -1;
	lamb_buf_init(&r->report);
	return r;
}

static void stop_child(struct lamb_rebuilder *r)
{
	if (r->fd >= 0) {
		lamb_loop_del_fd(r->loop, &r->watch);
		close(r->fd);
		r->fd = -1;
	}
	if (r->pid > 0) {
		kill(-r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0); /* ECHILD when the supervisor reaped it first */
		r->pid = 0;
	}
}

void lamb_rebuild_free(struct lamb_rebuilder *r)
{
	if (!r)
		return;
	stop_child(r);
	lamb_buf_release(&r->report);
	free(r->queued);
	free(r);
}

bool lamb_rebuild_pending(const struct lamb_rebuilder *r, const struct lamb_function *fn)
{
	size_t i = (size_t)(fn - r->m->functions);
	return i < r->m->nfunctions && (r->queued[i] || r->current == i);
}

/* --- the child --- */

static void on_progress(const struct lamb_build_report *rep, void *data)
{
	if (rep->state == LAMB_BUILD_FAILED && rep->output && *rep->output) {
		struct lamb_buf *out = data;
		lamb_buf_addf(out, "%s%s '%s':\n%s", out->len ? "\n" : "", rep->layer ? "layer" : "function",
			      rep->id, rep->output);
	}
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w, n -= (size_t)w;
	}
}

/* Never returns. Writes "O", or "E" error NUL output, to fd. */
static void child(struct lamb_rebuilder *r, size_t i, int fd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* the loop blocked SIGCHLD, SIGINT, SIGTERM */
	setpgid(0, 0);
	struct lamb_model *m = (struct lamb_model *)r->m; /* this process's own copy now */
	for (size_t j = 0; j < m->nfunctions; j++)
		if (m->functions[j].built_from)
			m->functions[j].code = m->functions[j].built_from;
	for (size_t j = 0; j < m->nlayers; j++)
		if (m->layers[j].built_from)
			m->layers[j].content = m->layers[j].built_from;
	struct lamb_buf out;
	lamb_buf_init(&out);
	struct lamb_build_opts o = r->build;
	o.progress = on_progress;
	o.data = &out;
	struct lamb_err err;
	char *dir = NULL;
	if (lamb_build_function(m, &m->functions[i], &o, &dir, &err) == 0) {
		write_all(fd, "O", 1);
	} else {
		write_all(fd, "E", 1);
		write_all(fd, err.msg, strlen(err.msg) + 1);
		write_all(fd, out.data ? out.data : "", out.len);
	}
	_exit(0);
}

/* --- the parent --- */

static void start_next(struct lamb_rebuilder *r);

static void finished(struct lamb_rebuilder *r)
{
	const struct lamb_buf *b = &r->report;
	const char *error = NULL, *output = "";
	if (b->len == 0 || (b->data[0] != 'O' && b->data[0] != 'E'))
		error = "the build process died before it reported";
	else if (b->data[0] == 'E' && memchr(b->data + 1, '\0', b->len - 1))
		error = b->data + 1, output = error + strlen(error) + 1;
	else if (b->data[0] == 'E')
		error = "the build process reported nothing";
	struct lamb_rebuild_result res = {
		.fn = &r->m->functions[r->current], .error = error, .output = output,
		.seconds = (double)(lamb_loop_now_ns() - r->start_ns) / 1e9,
	};
	if (r->again)
		r->queued[r->current] = true; /* its result is already stale */
	else
		r->done(r->data, &res);
}

static void on_readable(void *data, uint32_t events)
{
	struct lamb_rebuilder *r = data;
	char buf[8192];
	(void)events;
	for (;;) {
		ssize_t n = read(r->fd, buf, sizeof(buf));
		if (n > 0) {
			lamb_buf_add(&r->report, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		break; /* EOF (or an error): the child is done */
	}
	lamb_buf_add(&r->report, "", 1); /* NUL-terminated output */
	r->report.len--;
	lamb_loop_del_fd(r->loop, &r->watch);
	close(r->fd);
	r->fd = -1;
	r->pid = 0; /* exited, or about to: the supervisor's waitpid(-1) reaps it */
	finished(r);
	r->current = NONE;
	start_next(r);
}

static void report_failure(struct lamb_rebuilder *r, size_t i, const char *why)
{
	struct lamb_rebuild_result res = { .fn = &r->m->functions[i], .error = why, .output = "" };
	r->done(r->data, &res);
}

static void start_next(struct lamb_rebuilder *r)
{
	size_t i = 0;
	while (i < r->m->nfunctions && !r->queued[i])
		i++;
	if (r->current != NONE || i == r->m->nfunctions)
		return;
	int p[2];
	struct lamb_err err;
	r->queued[i] = false;
	if (pipe2(p, O_CLOEXEC) < 0)
		return report_failure(r, i, strerror(errno));
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		child(r, i, p[1]);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return report_failure(r, i, strerror(errno));
	}
	setpgid(pid, pid); /* also here: no race with kill(-pid) in stop_child */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	if (lamb_loop_add_fd(r->loop, &r->watch, p[0], EPOLLIN, on_readable, r, &err) < 0) {
		close(p[0]);
		kill(-pid, SIGKILL);
		return report_failure(r, i, err.msg);
	}
	r->fd = p[0];
	r->pid = pid;
	r->current = i;
	r->again = false;
	r->start_ns = lamb_loop_now_ns();
	r->report.len = 0;
}

int lamb_rebuild_request(struct lamb_rebuilder *r, const struct lamb_function *fn, struct lamb_err *err)
{
	size_t i = (size_t)(fn - r->m->functions);
	if (i >= r->m->nfunctions || !fn->built_from)
		return lamb_err_set(err, "function '%s' was not built from a source directory", fn->logical_id);
	if (r->current == i)
		r->again = true;
	else
		r->queued[i] = true;
	start_next(r);
	return 0;
}
