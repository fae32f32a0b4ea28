/* fork/exec for build tools. Everything the child needs (argv, envp, the
 * resolved program path, the /dev/null fd) is prepared before fork(), so
 * between fork and exec there are only async-signal-safe calls; an exec
 * failure comes back through a close-on-exec pipe as an errno. */
#include "build/build-run.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

char *lamb_build_which(const char *name)
{
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		const char *end = strchrnul(p, ':');
		char *cand = end == p ? xasprintf("./%s", name) : xasprintf("%.*s/%s", (int)(end - p), p, name);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!*end)
			return NULL;
		p = end + 1;
	}
}

/* environ with the "K=V" strings of add replacing their keys. */
static char **make_envp(const char *const *add)
{
	size_t n = 0, nadd = 0;
	while (environ[n])
		n++;
	while (add && add[nadd])
		nadd++;
	char **envp = xcalloc(n + nadd + 1, sizeof(*envp));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;
		for (size_t j = 0; j < nadd && !replaced; j++) {
			size_t klen = strcspn(add[j], "=") + 1;
			replaced = strncmp(environ[i], add[j], klen) == 0;
		}
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (size_t j = 0; j < nadd; j++)
		envp[k++] = (char *)add[j];
	return envp;
}

static void child(const char *prog, char *const *argv, char *const *envp, const char *cwd, int devnull,
		  int out, int report)
{
	if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 || (cwd && chdir(cwd) != 0)) {
		int e = errno;
		(void)!write(report, &e, sizeof(e));
		_exit(127);
	}
	execve(prog, argv, envp);
	int e = errno;
	(void)!write(report, &e, sizeof(e));
	_exit(127);
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
		lamb_buf_add(out, buf, (size_t)n);
	}
}

int lamb_build_run(const struct lamb_run *r, struct lamb_buf *out, int *status, struct lamb_err *err)
{
	cleanup_free char *prog = lamb_build_which(r->argv[0]);
	if (!prog)
		return lamb_err_set(err, "cannot exec '%s': not found in PATH", r->argv[0]);
	cleanup_free char **envp = make_envp(r->setenv);
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int outp[2], rep[2];
	if (devnull < 0 || pipe2(outp, O_CLOEXEC) != 0) {
		if (devnull >= 0)
			close(devnull);
		return lamb_err_set(err, "cannot run '%s': %s", r->argv[0], strerror(errno));
	}
	if (pipe2(rep, O_CLOEXEC) != 0) {
		close(devnull), close(outp[0]), close(outp[1]);
		return lamb_err_set(err, "cannot run '%s': %s", r->argv[0], strerror(errno));
	}
	pid_t pid = fork();
	if (pid == 0)
		child(prog, (char *const *)r->argv, envp, r->cwd, devnull, outp[1], rep[1]);
	int fork_errno = errno;
	close(devnull), close(outp[1]), close(rep[1]);
	if (pid < 0) {
		close(outp[0]), close(rep[0]);
		return lamb_err_set(err, "cannot fork for '%s': %s", r->argv[0], strerror(fork_errno));
	}
	read_all(outp[0], out);
	close(outp[0]);
	int child_errno = 0;
	ssize_t n = read(rep[0], &child_errno, sizeof(child_errno));
	close(rep[0]);
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(child_errno))
		return lamb_err_set(err, "cannot exec '%s'%s%s: %s", r->argv[0], r->cwd ? " in " : "",
				    r->cwd ? r->cwd : "", strerror(child_errno));
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 255;
	return 0;
}
