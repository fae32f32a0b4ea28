/* base/spawn.c: real children (sh, cat) run to completion: what they write
 * is captured or dropped, exit codes and signals become statuses, and a
 * failed exec or chdir comes back as an error naming the program. */
#include "unit.h"

#include "base/spawn.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Runs s; its status, with what it wrote in *text (caller frees). */
static int run(const struct lamb_spawn *s, char **text)
{
	struct lamb_buf b;
	lamb_buf_init(&b);
	struct lamb_err err;
	int status = -1;
	if (lamb_spawn_run(s, &b, &status, &err) < 0)
		fail_msg("%s", err.msg);
	*text = b.data ? lamb_buf_steal(&b) : strdup("");
	lamb_buf_release(&b);
	return status;
}

static void test_output_and_status(void **state)
{
	(void)state;
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	struct lamb_spawn both = { .argv = argv, .capture_out = true, .capture_err = true };
	char *text;
	assert_int_equal(run(&both, &text), 3);
	assert_string_equal(text, "out\nerr\n");
	free(text);
	struct lamb_spawn out = { .argv = argv, .capture_out = true };
	assert_int_equal(run(&out, &text), 3);
	assert_string_equal(text, "out\n");
	free(text);
	struct lamb_spawn none = { .argv = argv };
	int status = -1;
	assert_int_equal(lamb_spawn_run(&none, NULL, &status, NULL), 0);
	assert_int_equal(status, 3);
}

static void test_signal_is_128_plus(void **state)
{
	(void)state;
	const char *argv[] = { "sh", "-c", "kill -KILL $$", NULL };
	struct lamb_spawn s = { .argv = argv };
	char *text;
	assert_int_equal(run(&s, &text), 128 + 9);
	free(text);
}

/* stdin is /dev/null (cat ends at once), cwd and envp are the child's, and
 * it stays in lamb's process group (field 5 of /proc/PID/stat). */
static void test_child_setup(void **state)
{
	(void)state;
	const char *argv[] = { "/bin/sh", "-c", "cat; pwd; echo \"$LAMB_T\"; cut -d' ' -f5 /proc/$$/stat", NULL };
	const char *envp[] = { "LAMB_T=yes", NULL };
	struct lamb_spawn s = { .argv = argv, .envp = envp, .cwd = "/", .capture_out = true };
	char *text;
	assert_int_equal(run(&s, &text), 0);
	char want[64];
	snprintf(want, sizeof(want), "/\nyes\n%d\n", (int)getpgrp());
	assert_string_equal(text, want);
	free(text);
}

static void expect_error(const struct lamb_spawn *s, const char *msg)
{
	struct lamb_buf b;
	lamb_buf_init(&b);
	struct lamb_err err;
	int status = -1;
	assert_int_equal(lamb_spawn_run(s, &b, &status, &err), -1);
	assert_string_equal(err.msg, msg);
	assert_int_equal(status, -1);
	assert_int_equal(b.len, 0);
	lamb_buf_release(&b);
}

static void test_cannot_exec(void **state)
{
	(void)state;
	const char *missing[] = { "lamb-no-such-program", NULL };
	struct lamb_spawn s = { .argv = missing, .capture_out = true };
	expect_error(&s, "cannot exec 'lamb-no-such-program': No such file or directory");
	char path[] = "/tmp/lamb-unit-spawn-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	const char *argv[] = { "tool", NULL };
	struct lamb_spawn noexec = { .file = path, .argv = argv, .capture_err = true };
	expect_error(&noexec, "cannot exec 'tool': Permission denied");
	unlink(path);
	const char *sh[] = { "sh", "-c", "true", NULL };
	struct lamb_spawn nodir = { .argv = sh, .cwd = "/lamb-no-such-dir" };
	expect_error(&nodir, "cannot exec 'sh' in /lamb-no-such-dir: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_and_status),
		cmocka_unit_test(test_signal_is_128_plus),
		cmocka_unit_test(test_child_setup),
		cmocka_unit_test(test_cannot_exec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
