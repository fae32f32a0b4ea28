/* The library entry point the invoke path uses: lamb_build_function builds
 * a function (and its layers) and hands back the built tree; the second
 * call finds it up to date. Real files in a temporary directory. */
#include "unit.h"
#include "build/build-run.h"
#include "build/build.h"
#include "build/tree.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

struct counts {
	int built, cached, failed;
};

static void count(const struct lamb_build_report *r, void *data)
{
	struct counts *c = data;
	c->built += r->state == LAMB_BUILD_BUILT;
	c->cached += r->state == LAMB_BUILD_CACHED;
	c->failed += r->state == LAMB_BUILD_FAILED;
}

static void test_build_function(void **state)
{
	(void)state;
	char dir[] = "/tmp/lamb-unit-build-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sub[600];
	snprintf(sub, sizeof(sub), "%s/src", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/lib", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	put(dir, "template.yaml", HEADER "Resources:\n"
	    "  Lib:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: lib\n"
	    "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n"
	    "      Runtime: python3.12\n      CodeUri: src\n      Layers: [!Ref Lib]\n");
	put(dir, "src/app.py", "def handler(e, c):\n    return 1\n");
	put(dir, "lib/x.py", "X = 1\n");
	char tpath[600];
	snprintf(tpath, sizeof(tpath), "%s/template.yaml", dir);
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = lamb_model_load(tpath, NULL, &diags);
	assert_non_null(m);
	assert_int_equal(diags.errors, 0);
	assert_false(lamb_build_needed(lamb_model_function(m, "Fn"))); /* nothing to install */
	put(dir, "src/requirements.txt", "");
	assert_true(lamb_build_needed(lamb_model_function(m, "Fn")));
	snprintf(sub, sizeof(sub), "%s/src/requirements.txt", dir);
	unlink(sub); /* no pip in a unit test */
	struct counts c = { 0 };
	struct lamb_build_opts o = { .progress = count, .data = &c };
	struct lamb_err err;
	char *code = NULL;
	const struct lamb_function *fn = lamb_model_function(m, "Fn");
	if (lamb_build_function(m, fn, &o, &code, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.built, 2); /* the function and its layer */
	char want[700];
	snprintf(want, sizeof(want), "%s/.lamb/build/Fn", dir);
	assert_string_equal(code, want);
	char *lib = lamb_build_tree_dir(m, &o, "Lib");
	snprintf(want, sizeof(want), "%s/.lamb/build/Lib", dir);
	assert_string_equal(lib, want);
	free(lib);
	snprintf(want, sizeof(want), "%s/app.py", code);
	assert_int_equal(access(want, R_OK), 0);
	free(code);
	code = NULL;
	if (lamb_build_function(m, fn, &o, &code, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.cached, 2);
	assert_int_equal(c.failed, 0);
	free(code);
	lamb_model_free(m);
	lamb_diags_release(&diags);
	assert_int_equal(lamb_tree_remove(dir, &err), 0);
}

/* A build tool: found in PATH, run in its folder with the build's variables
 * over lamb's, its stdout and stderr kept for the report. */
static void test_build_run(void **state)
{
	(void)state;
	setenv("LAMB_UNIT_KEEP", "kept", 1);
	setenv("LAMB_UNIT_OVER", "lamb's", 1);
	const char *argv[] = { "sh", "-c", "pwd; echo $LAMB_UNIT_KEEP $LAMB_UNIT_OVER; echo oops >&2; exit 2", NULL };
	const char *env[] = { "LAMB_UNIT_OVER=the build's", NULL };
	struct lamb_run r = { .argv = argv, .cwd = "/", .setenv = env };
	struct lamb_buf out;
	lamb_buf_init(&out);
	struct lamb_err err;
	int status = -1;
	if (lamb_build_run(&r, &out, &status, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(status, 2);
	assert_string_equal(out.data, "/\nkept the build's\noops\n");
	const char *missing[] = { "lamb-no-such-tool", NULL };
	struct lamb_run m = { .argv = missing };
	assert_int_equal(lamb_build_run(&m, &out, &status, &err), -1);
	assert_string_equal(err.msg, "cannot exec 'lamb-no-such-tool': not found in PATH");
	r.cwd = "/lamb-no-such-dir";
	assert_int_equal(lamb_build_run(&r, &out, &status, &err), -1);
	assert_string_equal(err.msg, "cannot exec 'sh' in /lamb-no-such-dir: No such file or directory");
	lamb_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_function),
		cmocka_unit_test(test_build_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
