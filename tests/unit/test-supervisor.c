/* The supervisor with real processes and no sockets: exit statuses and
 * their Lambda wording, output forwarded line by line, exec failures
 * reported precisely, a killed group leaves nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/proctree.h"
#include "engine/supervisor.h"

struct result {
	int status;
	bool done;
};

static void on_exit_cb(void *data, struct lamb_proc *p, int status)
{
	struct result *r = data;
	(void)p;
	r->status = status;
	r->done = true;
}

static char *const env[] = { "PATH=/usr/bin:/bin", NULL };

static int run_sh(const char *script, FILE *log, struct result *r)
{
	struct lamb_err err;
	struct lamb_loop *l = lamb_loop_new(&err);
	struct lamb_supervisor *s = lamb_supervisor_new(l, log);
	char *const argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct lamb_proc_spec spec = { .path = "/bin/sh", .name = "sh", .argv = argv, .envp = env, .cwd = "/" };
	memset(r, 0, sizeof(*r));
	struct lamb_proc *p = lamb_supervisor_spawn(s, &spec, on_exit_cb, r, &err);
	assert_non_null(p);
	for (int i = 0; i < 100 && !r->done; i++)
		lamb_loop_run_once(l, 100, NULL);
	lamb_supervisor_free(s);
	lamb_loop_free(l);
	return r->done ? 0 : -1;
}

static void test_exit_status_and_output(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *log = open_memstream(&text, &len);
	struct result r;
	assert_int_equal(run_sh("echo one; printf 'two'; echo three >&2; exit 7", log, &r), 0);
	fclose(log);
	char why[64];
	lamb_proc_describe_status(r.status, why, sizeof(why));
	assert_string_equal(why, "exit status 7");
	assert_non_null(strstr(text, "one\n"));
	assert_non_null(strstr(text, "two\n")); /* the unterminated last line, completed */
	assert_non_null(strstr(text, "three\n"));
	free(text);
}

static void test_signal_names(void **state)
{
	(void)state;
	char why[64];
	lamb_proc_describe_status(SIGKILL, why, sizeof(why)); /* a wait status for a kill */
	assert_string_equal(why, "signal: killed");
	lamb_proc_describe_status(SIGSEGV, why, sizeof(why));
	assert_string_equal(why, "signal: segmentation fault");
}

static void test_environment_is_exact(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *log = open_memstream(&text, &len);
	struct result r;
	setenv("LAMB_UNIT_SECRET", "x", 1);
	assert_int_equal(run_sh("env | grep -c LAMB_UNIT_SECRET; true", log, &r), 0);
	fclose(log);
	assert_string_equal(text, "0\n");
	free(text);
}

/* libarchive sets the process's umask to 0 for an instant while a worker
 * thread unzips code: an instance forked then gets lamb's own umask. */
static void test_umask_is_lambs_own(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *log = open_memstream(&text, &len);
	mode_t old = umask(027);
	struct lamb_err err;
	struct lamb_loop *l = lamb_loop_new(&err);
	struct lamb_supervisor *s = lamb_supervisor_new(l, log);
	umask(0); /* the instant inside archive_write_disk_new */
	char *const argv[] = { "/bin/sh", "-c", "umask", NULL };
	struct lamb_proc_spec spec = { .path = "/bin/sh", .name = "sh", .argv = argv, .envp = env, .cwd = "/" };
	struct result r = { 0 };
	assert_non_null(lamb_supervisor_spawn(s, &spec, on_exit_cb, &r, &err));
	umask(old);
	for (int i = 0; i < 100 && !r.done; i++)
		lamb_loop_run_once(l, 100, NULL);
	lamb_supervisor_free(s);
	lamb_loop_free(l);
	fclose(log);
	assert_true(r.done);
	assert_string_equal(text, "0027\n");
	free(text);
}

static void test_exec_failure(void **state)
{
	(void)state;
	char dir[] = "/tmp/lamb-unit-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/bootstrap", dir);
	FILE *f = fopen(path, "w");
	fputs("#!/bin/sh\n", f);
	fclose(f);
	chmod(path, 0644);
	struct lamb_err err;
	struct lamb_loop *l = lamb_loop_new(&err);
	struct lamb_supervisor *s = lamb_supervisor_new(l, NULL);
	char *const argv[] = { path, NULL };
	struct lamb_proc_spec spec = { .path = path, .name = "bootstrap", .argv = argv, .envp = env, .cwd = dir };
	struct result r;
	assert_null(lamb_supervisor_spawn(s, &spec, on_exit_cb, &r, &err));
	assert_string_equal(err.msg, "cannot exec 'bootstrap': Permission denied");
	spec.cwd = "/nonexistent-dir";
	chmod(path, 0755);
	assert_null(lamb_supervisor_spawn(s, &spec, on_exit_cb, &r, &err));
	assert_string_equal(err.msg, "cannot change to '/nonexistent-dir': No such file or directory");
	lamb_supervisor_free(s);
	lamb_loop_free(l);
	unlink(path);
	rmdir(dir);
}

/* Processes of group pgid that are not zombies (a container's pid 1 may be
 * slow to reap orphans). */
static int live_in_group(pid_t pgid)
{
	int n = 0;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "ps -e -o pgid=,stat= | awk '$1 == %d && $2 !~ /^Z/' | wc -l", (int)pgid);
	FILE *f = popen(cmd, "r");
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

static void test_kill_takes_the_group(void **state)
{
	(void)state;
	struct lamb_err err;
	struct lamb_loop *l = lamb_loop_new(&err);
	struct lamb_supervisor *s = lamb_supervisor_new(l, NULL);
	char *const argv[] = { "/bin/sh", "-c", "sleep 30 & echo $! ; wait", NULL };
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	struct lamb_proc_spec spec = { .path = "/bin/sh", .name = "sh", .argv = argv, .envp = env, .cwd = "/" };
	struct result r = { 0 };
	struct lamb_proc *p = lamb_supervisor_spawn(s, &spec, on_exit_cb, &r, &err);
	assert_non_null(p);
	pid_t pid = lamb_proc_pid(p);
	usleep(100000);
	lamb_proc_kill(p);
	for (int i = 0; i < 50 && !r.done; i++)
		lamb_loop_run_once(l, 100, NULL);
	assert_true(r.done);
	assert_true(WIFSIGNALED(r.status));
	usleep(50000);
	assert_int_equal(live_in_group(pid), 0);
	lamb_supervisor_free(s);
	lamb_loop_free(l);
	close(fds[0]);
	close(fds[1]);
}

/* A tree read through children lists holds a setsid'd grandchild, and is
 * killed whole below its root. */
static void test_proctree_below(void **state)
{
	(void)state;
	pid_t root = fork();
	if (root == 0) {
		execl("/bin/sh", "sh", "-c", "setsid sleep 30 & sleep 30 & wait", (char *)NULL);
		_exit(127);
	}
	struct lamb_proctree t = { 0 };
	for (int i = 0; i < 200 && t.len < 3; i++) {
		lamb_proctree_release(&t);
		usleep(10000);
		lamb_proctree_below(&t, root);
	}
	assert_int_equal(t.len, 3);
	assert_int_equal(t.v[0].pid, root);
	/* the whole tree is counted: the root's RSS and both children's */
	long children = lamb_proctree_rss_kb(t.v[1].pid) + lamb_proctree_rss_kb(t.v[2].pid);
	assert_true(children > 0);
	assert_true(lamb_proctree_rss_kb(root) > children);
	lamb_proctree_release(&t);
	assert_int_equal(lamb_proctree_kill_below(root), 2);
	int status;
	assert_int_equal(waitpid(root, &status, 0), root); /* its wait returns: both are gone */
	assert_true(WIFEXITED(status));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status_and_output),
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_environment_is_exact),
		cmocka_unit_test(test_umask_is_lambs_own),
		cmocka_unit_test(test_exec_failure),
		cmocka_unit_test(test_kill_takes_the_group),
		cmocka_unit_test(test_proctree_below),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
