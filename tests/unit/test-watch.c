/* Directory watching: a change anywhere in a tree is reported once after
 * the debounce, a directory made later is watched too, a shared root tells
 * every subscriber, and __pycache__ is not a change. No sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/util.h"
#include "base/watch.h"

static int calls[2];

static void on_change(void *data, const char *root)
{
	(void)root;
	calls[*(int *)data]++;
}

static void put(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

/* Runs the loop for ms milliseconds. */
static void run_for(struct lamb_loop *l, int ms)
{
	uint64_t end = lamb_loop_now_ns() + (uint64_t)ms * 1000000u;
	while (lamb_loop_now_ns() < end)
		assert_int_equal(lamb_loop_run_once(l, 10, NULL), 0);
}

static void test_tree(void **state)
{
	(void)state;
	char dir[] = "/tmp/lamb-watch-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *sub = xasprintf("%s/a", dir), *cache = xasprintf("%s/__pycache__", dir),
	     *late = xasprintf("%s/a/late", dir), *cmd = xasprintf("rm -rf %s", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(mkdir(cache, 0755), 0);
	struct lamb_loop *l = lamb_loop_new(NULL);
	struct lamb_watcher *w = lamb_watch_new(l, 50, NULL);
	static int zero = 0, one = 1;
	assert_int_equal(lamb_watch_add(w, dir, on_change, &zero, NULL), 0);
	assert_int_equal(lamb_watch_add(w, sub, on_change, &one, NULL), 0);
	assert_int_equal(lamb_watch_add(w, "/nonexistent/lamb", on_change, &one, NULL), -1);

	put(sub, "x.py", "1");
	put(sub, "y.py", "2"); /* the same burst */
	run_for(l, 150);
	assert_int_equal(calls[0], 1);
	assert_int_equal(calls[1], 1);

	put(cache, "x.pyc", "bytecode");
	run_for(l, 150);
	assert_int_equal(calls[0], 1);

	assert_int_equal(mkdir(late, 0755), 0);
	run_for(l, 150);
	assert_int_equal(calls[0], 2);
	put(late, "z.py", "3");
	run_for(l, 150);
	assert_int_equal(calls[0], 3);
	assert_int_equal(calls[1], 3);

	put(dir, "top.py", "4"); /* outside the second root */
	run_for(l, 150);
	assert_int_equal(calls[0], 4);
	assert_int_equal(calls[1], 3);

	lamb_watch_free(w);
	lamb_watch_free(NULL);
	lamb_loop_free(l);
	assert_int_equal(system(cmd), 0);
	free(sub);
	free(cache);
	free(late);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
