/* base/pyversions: the newest CPython 3.N release directory of pyenv or
 * asdf, never a -dev, free-threaded or virtualenv one; real directories in
 * a temporary root. */
#include "unit.h"
#include "base/pyversions.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void python_in(const char *root, const char *version, const char *exe, bool executable)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/versions/%s/bin", root, version);
	char *p = path;
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(path, 0755);
	strcat(path, "/");
	strcat(path, exe);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	chmod(path, executable ? 0755 : 0644);
}

static void test_newest_release(void **state)
{
	(void)state;
	char root[] = "/tmp/lamb-unit-pyenv-XXXXXX";
	assert_non_null(mkdtemp(root));
	setenv("PYENV_ROOT", root, 1);
	setenv("ASDF_DATA_DIR", root, 1); /* no installs/ there */
	assert_null(lamb_python_installed(12));
	python_in(root, "3.12.2", "python3.12", true);
	python_in(root, "3.12.10", "python3.12", true);
	python_in(root, "3.12.11", "python3.12", false); /* not executable */
	python_in(root, "3.12.99t", "python3.12", true);  /* free-threaded: another ABI */
	python_in(root, "3.12-dev", "python3.12", true);
	python_in(root, "3.1.200", "python3.1", true);
	python_in(root, "myenv", "python3.12", true);
	char *want = xasprintf("%s/versions/3.12.10/bin/python3.12", root);
	char *got = lamb_python_installed(12);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(want);
	assert_null(lamb_python_installed(13));
	assert_null(lamb_python_installed(-1));
	char *cmd = xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_minor(void **state)
{
	(void)state;
	assert_int_equal(lamb_python_minor("python3.12"), 12);
	assert_int_equal(lamb_python_minor("python3.9"), 9);
	assert_int_equal(lamb_python_minor("python2.7"), -1);
	assert_int_equal(lamb_python_minor("python3."), -1);
	assert_int_equal(lamb_python_minor("nodejs20.x"), -1);
	assert_int_equal(lamb_python_minor(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newest_release),
		cmocka_unit_test(test_minor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
