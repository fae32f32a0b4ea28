/* The hash cache: a recorded hash is used only while the file's stat
 * matches and the file is older than the cache; anything else is read. */
#include "unit.h"
#include "build/build-cache.h"
#include "build/tree.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/lamb-unit-cache-XXXXXX";

static void put(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The hash of the single file "a" with the cache at cache_path. */
static uint64_t hash_a(const char *cache_path, bool *dirty)
{
	struct lamb_tree t;
	struct lamb_err err;
	struct lamb_build_cache c;
	lamb_tree_init(&t);
	lamb_build_cache_init(&c);
	static const char *const skip[] = { "cache", NULL };
	struct lamb_tree_filter f = { .names = skip };
	assert_int_equal(lamb_tree_scan(&t, dir, &f, &err), 0);
	assert_int_equal(t.len, 1);
	lamb_build_cache_load(&c, cache_path);
	uint64_t h = 0;
	assert_int_equal(lamb_build_cache_hash(&c, &t.v[0], &h, &err), 0);
	*dirty = c.dirty;
	assert_int_equal(lamb_build_cache_save(&c, cache_path, &err), 0);
	lamb_build_cache_release(&c);
	lamb_tree_release(&t);
	return h;
}

static void age(const char *path, long delta)
{
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += delta;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void test_cache(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	char cache[256], a[256];
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	snprintf(a, sizeof(a), "%s/a", dir);
	put("a", "one\n");
	bool dirty;
	uint64_t h1 = hash_a(cache, &dirty);
	assert_true(dirty); /* nothing cached yet */
	/* written in the same second as the file changed: not trusted yet */
	hash_a(cache, &dirty);
	assert_true(dirty);
	/* an older cache line with a forged hash but the file's stat: used */
	age(cache, 10);
	FILE *f = fopen(cache, "r");
	char line[512];
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	memcpy(line, "00000000000000aa", 16);
	f = fopen(cache, "w");
	fputs(line, f);
	fclose(f);
	age(cache, 10);
	assert_int_equal(hash_a(cache, &dirty), 0xaa);
	assert_false(dirty);
	/* same size, mtime put back: the ctime differs, the file is read */
	struct stat st;
	assert_int_equal(stat(a, &st), 0);
	put("a", "two\n");
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	assert_int_equal(utimensat(AT_FDCWD, a, ts, 0), 0);
	age(cache, 10);
	uint64_t h2 = hash_a(cache, &dirty);
	assert_true(dirty);
	assert_int_not_equal(h2, 0xaa);
	assert_int_not_equal(h2, h1);
	struct lamb_err err;
	assert_int_equal(lamb_tree_remove(dir, &err), 0);
}

static void test_garbage_is_ignored(void **state)
{
	(void)state;
	struct lamb_build_cache c;
	lamb_build_cache_init(&c);
	char path[] = "/tmp/lamb-unit-cache-file-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "zz not a line\n0a 1 2 3 4.5 6.7 b\n0b 1 2 3 4.5 6.7 a\n\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	lamb_build_cache_load(&c, path);
	assert_int_equal(c.nold, 1); /* the out-of-order line is dropped */
	assert_string_equal(c.old[0].path, "b");
	lamb_build_cache_release(&c);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_garbage_is_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
