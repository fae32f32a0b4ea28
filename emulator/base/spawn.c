/* posix_spawn rather than fork/exec: glibc's child shares lamb's memory
 * until it execs (no page tables to copy from a big parent) and hands back
 * the errno of a failed chdir or exec as posix_spawn's own return value, so
 * the close-on-exec report pipe of a hand-written fork/exec is not needed. */
#include "base/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The child's fd (1 or 2): the pipe's write end, or /dev/null. */
static int add_output(posix_spawn_file_actions_t *fa, int fd, bool capture, int pipe_w)
{
	if (capture)
		return posix_spawn_file_actions_adddup2(fa, pipe_w, fd);
	return posix_spawn_file_actions_addopen(fa, fd, "/dev/null", O_WRONLY, 0);
}

static int set_actions(posix_spawn_file_actions_t *fa, const struct lamb_spawn *s, int pipe_w)
{
	int r = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = add_output(fa, 1, s->capture_out, pipe_w);
	if (r == 0)
		r = add_output(fa, 2, s->capture_err, pipe_w);
	if (r == 0 && s->cwd)
		r = posix_spawn_file_actions_addchdir_np(fa, s->cwd);
	return r;
}

/* Starts s with its captured output going to pipe_w (-1: none); the pid,
 * or -1 with errno. */
static pid_t start(const struct lamb_spawn *s, int pipe_w)
{
	posix_spawn_file_actions_t fa;
	int r = posix_spawn_file_actions_init(&fa);
	pid_t pid = -1;
	if (r == 0 && (r = set_actions(&fa, s, pipe_w)) == 0)
		r = posix_spawnp(&pid, s->file ? s->file : s->argv[0], &fa, NULL, (char *const *)s->argv,
				 s->envp ? (char *const *)s->envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	errno = r;
	return r == 0 ? pid : -1;
}

static void read_all(int fd, struct lamb_buf *out)
{
	char buf[8192];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out)
			lamb_buf_add(out, buf, (size_t)n);
	}
}

static int wait_status(pid_t pid)
{
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return 255;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 255;
}

int lamb_spawn_run(const struct lamb_spawn *s, struct lamb_buf *out, int *status, struct lamb_err *err)
{
	int p[2] = { -1, -1 };
	if ((s->capture_out || s->capture_err) && pipe2(p, O_CLOEXEC) != 0)
		return lamb_err_set(err, "cannot run '%s': %s", s->argv[0], strerror(errno));
	pid_t pid = start(s, p[1]);
	int e = errno;
	if (p[1] >= 0)
		close(p[1]);
	if (pid < 0) {
		if (p[0] >= 0)
			close(p[0]);
		return lamb_err_set(err, "cannot exec '%s'%s%s: %s", s->argv[0], s->cwd ? " in " : "",
				    s->cwd ? s->cwd : "", strerror(e));
	}
	if (p[0] >= 0) {
		read_all(p[0], out);
		close(p[0]);
	}
	*status = wait_status(pid);
	return 0;
}
