/* engine/cgroup against fake cgroup trees (plain files in a temp dir):
 * Lambda's CPU share by MemorySize, v1's cpu.cfs_quota_us, v2's cpu.max
 * and memory.max in the subtree we may write, and the reasons given when
 * there is no controller. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "engine/cgroup.h"

static void put(const char *root, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", root, rel);
	char *dir = xstrdup(path);
	for (char *s = dir + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(dir, 0755);
		*s = '/';
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(dir);
	free(path);
}

static char *get(const char *root, const char *rel)
{
	char *path = xasprintf("%s/%s", root, rel);
	size_t len;
	char *text = lamb_read_file(path, &len);
	free(path);
	return text;
}

static char *tree(void)
{
	char tmpl[] = "/tmp/lamb-cgroup-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void cleanup(char *root)
{
	char *cmd = xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(root);
}

static void test_quota(void **state)
{
	(void)state;
	assert_int_equal(lamb_cgroup_cpu_quota(1769, 100000), 100000);
	assert_int_equal(lamb_cgroup_cpu_quota(128, 100000), 7236); /* 128/1769 of a CPU */
	assert_int_equal(lamb_cgroup_cpu_quota(3538, 100000), 204415); /* 1 + 1769 * 5 / 8471 */
	assert_int_equal(lamb_cgroup_cpu_quota(10240, 100000), 600000);
	assert_int_equal(lamb_cgroup_cpu_quota(20000, 100000), 600000);
	assert_int_equal(lamb_cgroup_cpu_quota(1, 100000), 1000); /* never below 1 ms */
}

static void test_v1(void **state)
{
	(void)state;
	char *root = tree();
	put(root, "cpu/cpu.cfs_quota_us", "-1\n");
	char *self = xasprintf("%s/self", root);
	put(root, "self", "1:cpu:/\n");
	struct lamb_cgroup_cpu c;
	lamb_cgroup_cpu_open(&c, root, self, 42);
	assert_null(c.why);
	assert_false(c.v2);
	char *want = xasprintf("%s/cpu/lamb-42", root);
	assert_string_equal(c.dir, want);
	char *shares = get(c.dir, "cpu.shares"); /* lamb and an instance: two processes' weight */
	assert_string_equal(shares, "2048");
	free(shares);
	char *dir = NULL;
	int fd = lamb_cgroup_cpu_make(&c, "1", 128, &dir);
	assert_true(fd >= 0);
	close(fd);
	char *q = get(dir, "cpu.cfs_quota_us");
	assert_string_equal(q, "-1"); /* init: the whole CPU */
	free(q);
	assert_int_equal(lamb_cgroup_cpu_limit(&c, dir, 128), 0);
	q = get(dir, "cpu.cfs_quota_us");
	assert_string_equal(q, "7236");
	free(q);
	q = get(dir, "cpu.cfs_period_us");
	assert_string_equal(q, "100000");
	free(q);
	/* lamb itself beside its instances, and back home at the end */
	put(root, "self", "2:cpuacct:/\n1:cpu,cpuacct:/box\n");
	put(root, "cpu/box/tasks", "");
	assert_int_equal(lamb_cgroup_cpu_join_self(&c, self), 0);
	char *home = xasprintf("%s/cpu/box/tasks", root);
	assert_string_equal(c.home, home);
	char *t = get(c.dir, "lamb/tasks");
	assert_string_equal(t, "0");
	char *loop = get(c.dir, "lamb/cpu.shares"); /* the loop weighs four instances */
	assert_string_equal(loop, "4096");
	free(loop);
	free(t);
	free(home);
	free(dir);
	free(want);
	free(self);
	lamb_cgroup_cpu_close(&c);
	t = get(root, "cpu/box/tasks");
	assert_string_equal(t, "0");
	free(t);
	cleanup(root);
}

/* A desktop user: our group is a scope under user@1000.service, which is
 * ours; user-1000.slice above it is not. Checked as a user (nobody, in a
 * child, when the test runs as root, who may write anything); returns what
 * went wrong, or NULL. */
#define CHECK(cond) \
	do { \
		if (!(cond)) \
			return #cond; \
	} while (0)

static bool same(char *text, const char *want)
{
	bool ok = text && strcmp(text, want) == 0;
	free(text);
	return ok;
}

static const char *v2_delegated(const char *root, const char *svc)
{
	char *self = xasprintf("%s/self", root);
	struct lamb_cgroup_cpu c;
	lamb_cgroup_cpu_open(&c, root, self, 7);
	if (c.why)
		return c.why;
	CHECK(c.v2 && c.v2_memory);
	char *want = xasprintf("%s/%s/lamb-7", root, svc);
	CHECK(strcmp(c.dir, want) == 0);
	char *sub = xasprintf("%s/%s", root, svc);
	CHECK(same(get(sub, "cgroup.subtree_control"), "+memory")); /* after +cpu */
	char *dir = NULL;
	int fd = lamb_cgroup_cpu_make(&c, "3", 256, &dir);
	CHECK(fd >= 0);
	close(fd);
	CHECK(same(get(dir, "cpu.max"), "max 100000"));
	CHECK(same(get(dir, "memory.max"), "268435456"));
	CHECK(lamb_cgroup_cpu_limit(&c, dir, 256) == 0);
	CHECK(same(get(dir, "cpu.max"), "14471 100000"));
	/* Max Memory Used: memory.peak, read again through the same fd */
	put(dir, "memory.peak", "52428800\n");
	char *peak = xasprintf("%s/memory.peak", dir);
	int pfd = open(peak, O_RDONLY | O_CLOEXEC);
	free(peak);
	CHECK(lamb_cgroup_read_number(pfd) == 52428800);
	put(dir, "memory.peak", "104857600\n");
	CHECK(lamb_cgroup_read_number(pfd) == 104857600);
	close(pfd);
	CHECK(lamb_cgroup_read_number(-1) == -1);
	put(dir, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
	CHECK(lamb_cgroup_oom_killed(dir));
	free(sub);
	free(dir);
	free(want);
	free(self);
	lamb_cgroup_cpu_close(&c);
	return NULL;
}

static void test_v2_delegated(void **state)
{
	(void)state;
	char *root = tree();
	const char *svc = "user.slice/user-1000.slice/user@1000.service";
	put(root, "cgroup.controllers", "cpu memory pids\n");
	char *rel = xasprintf("%s/cgroup.controllers", svc);
	put(root, rel, "cpu memory pids\n");
	free(rel);
	rel = xasprintf("%s/cgroup.procs", svc);
	put(root, rel, "");
	free(rel);
	rel = xasprintf("%s/app.slice/cgroup.procs", svc);
	put(root, rel, "");
	free(rel);
	rel = xasprintf("%s/app.slice/term.scope/cgroup.procs", svc);
	put(root, rel, "4242\n");
	free(rel);
	put(root, "self", "0::/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope\n");
	char *slice = xasprintf("%s/user.slice/user-1000.slice", root);
	const char *why;
	if (geteuid() == 0) {
		char *cmd = xasprintf("chown -R 65534:65534 '%s' && chown 0:0 '%s' '%s/user.slice' '%s/cgroup.procs' 2>/dev/null; "
				      "chmod 0555 '%s'", root, slice, root, root, slice);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		pid_t pid = fork();
		if (pid == 0) {
			if (setgid(65534) < 0 || setuid(65534) < 0)
				_exit(2);
			why = v2_delegated(root, svc);
			if (why)
				fprintf(stderr, "failed: %s\n", why);
			_exit(why ? 1 : 0);
		}
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	} else {
		assert_int_equal(chmod(slice, 0555), 0);
		why = v2_delegated(root, svc);
		if (why)
			fail_msg("%s", why);
	}
	chmod(slice, 0755);
	free(slice);
	cleanup(root);
}

static void test_v2_hybrid_root(void **state)
{
	(void)state;
	char *root = tree();
	put(root, "unified/cgroup.controllers", "cpu io\n");
	put(root, "unified/cgroup.procs", "1\n");
	char *self = xasprintf("%s/self", root);
	put(root, "self", "0::/\n");
	struct lamb_cgroup_cpu c;
	lamb_cgroup_cpu_open(&c, root, self, 9);
	assert_null(c.why);
	assert_true(c.v2);
	assert_false(c.v2_memory); /* not offered */
	char *want = xasprintf("%s/unified/lamb-9", root);
	assert_string_equal(c.dir, want);
	char *weight = get(c.dir, "cpu.weight");
	assert_string_equal(weight, "200");
	free(weight);
	char *dir = NULL;
	int fd = lamb_cgroup_cpu_make(&c, "1", 128, &dir);
	assert_true(fd >= 0);
	close(fd);
	char *t = get(dir, "memory.max");
	assert_null(t);
	free(dir);
	free(want);
	free(self);
	lamb_cgroup_cpu_close(&c);
	cleanup(root);
}

static void test_none(void **state)
{
	(void)state;
	char *root = tree();
	put(root, "memory/memory.limit_in_bytes", "0\n");
	put(root, "unified/cgroup.controllers", "\n");
	put(root, "unified/cgroup.procs", "");
	char *self = xasprintf("%s/self", root);
	put(root, "self", "0::/\n");
	struct lamb_cgroup_cpu c;
	lamb_cgroup_cpu_open(&c, root, self, 9);
	assert_null(c.dir);
	assert_non_null(strstr(c.why, "offers no cpu controller"));
	lamb_cgroup_cpu_close(&c);
	char *empty = tree();
	lamb_cgroup_cpu_open(&c, empty, self, 9);
	assert_null(c.dir);
	assert_non_null(strstr(c.why, "no cgroup cpu controller under"));
	char *dir = NULL;
	assert_int_equal(lamb_cgroup_cpu_make(&c, "1", 128, &dir), -1);
	lamb_cgroup_cpu_close(&c);
	free(self);
	cleanup(root);
	cleanup(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_v2_delegated),
		cmocka_unit_test(test_v2_hybrid_root),
		cmocka_unit_test(test_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
