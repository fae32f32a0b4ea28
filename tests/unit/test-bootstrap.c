/* Choosing the bootstrap and building the environment of an instance from a
 * hand-built function: provided* takes the code's bootstrap, else a layer's;
 * the environment holds the Lambda variables, credentials, declared and
 * --env-vars variables, and nothing else of the user's. */
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

#include "base/util.h"
#include "engine/bootstrap.h"

static char dir[64];
static char code[128], layer[128];

static void touch_exec(const char *path)
{
	FILE *f = fopen(path, "w");
	fputs("#!/bin/sh\n", f);
	fclose(f);
	chmod(path, 0755);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lamb-unit-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(code, sizeof(code), "%s/code", dir);
	snprintf(layer, sizeof(layer), "%s/layer", dir);
	mkdir(code, 0755);
	mkdir(layer, 0755);
	char p[256];
	snprintf(p, sizeof(p), "%s/bin", layer);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/bootstrap", layer);
	touch_exec(p);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int str_starts_(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *get(const struct lamb_bootstrap *b, const char *key)
{
	size_t n = strlen(key);
	for (char **e = b->envp; *e; e++)
		if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* lamb_bootstrap_init on the function's code as lamb_code_init finds it. */
static int boot_init(struct lamb_bootstrap *b, const struct lamb_function *fn,
		     const struct lamb_bootstrap_opts *o, struct lamb_err *err)
{
	struct lamb_code c;
	if (lamb_code_init(&c, fn, o ? o->layer_dirs : NULL, err) < 0)
		return -1;
	int rc = lamb_bootstrap_init(b, fn, &c, o, err);
	lamb_code_release(&c);
	return rc;
}

static struct lamb_kv declared[] = { { "GREETING", "hi" }, { "TZ", "Europe/Paris" } };

static struct lamb_function make_fn(void)
{
	struct lamb_function fn = {
		.logical_id = "Hello",
		.name = "hello-fn",
		.arn = "arn:aws:lambda:eu-west-1:123456789012:function:hello-fn",
		.runtime = "provided.al2023",
		.handler = "main",
		.code = code,
		.memory_mb = 256,
		.timeout_s = 3,
		.env = { declared, 2 },
	};
	return fn;
}

static void test_layer_bootstrap_and_env(void **state)
{
	(void)state;
	static struct lamb_layer l = { .logical_id = "L", .content = layer };
	struct lamb_layer_ref ref = { .layer = &l };
	struct lamb_function fn = make_fn();
	fn.layers = &ref;
	fn.nlayers = 1;
	struct lamb_kv global[] = { { "GREETING", "global" }, { "EXTRA", "1" }, { "OTHER", "g" } };
	struct lamb_kv mine[] = { { "GREETING", "override" } };
	struct lamb_kv theirs[] = { { "OTHER", "not mine" } };
	struct lamb_env_block blocks[] = { { "Other", { theirs, 1 } }, { "hello-fn", { mine, 1 } } };
	struct lamb_env_vars extras = { .global = { global, 3 }, .blocks = blocks, .nblocks = 2 };
	char *user[] = { "PATH=/usr/bin:/bin", "HOME=/root", "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=S",
			 "SECRET=no", NULL };
	struct lamb_bootstrap_opts o = { .runtime_dir = "/rt", .env_vars = &extras, .user_env = user };
	struct lamb_bootstrap b;
	struct lamb_err err;
	assert_int_equal(boot_init(&b, &fn, &o, &err), 0);
	char want[256];
	snprintf(want, sizeof(want), "%s/bootstrap", layer);
	assert_string_equal(b.path, want);
	lamb_bootstrap_set_api(&b, "127.0.0.1:9001");
	assert_string_equal(get(&b, "AWS_LAMBDA_RUNTIME_API"), "127.0.0.1:9001");
	assert_string_equal(get(&b, "AWS_REGION"), "eu-west-1");
	assert_string_equal(get(&b, "AWS_LAMBDA_FUNCTION_NAME"), "hello-fn");
	assert_string_equal(get(&b, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "256");
	assert_string_equal(get(&b, "AWS_LAMBDA_LOG_GROUP_NAME"), "/aws/lambda/hello-fn");
	assert_string_equal(get(&b, "AWS_EXECUTION_ENV"), "AWS_Lambda_provided.al2023");
	assert_string_equal(get(&b, "LAMBDA_TASK_ROOT"), code);
	assert_string_equal(get(&b, "_HANDLER"), "main");
	assert_string_equal(get(&b, "GREETING"), "override");
	assert_string_equal(get(&b, "EXTRA"), "1");
	assert_string_equal(get(&b, "OTHER"), "g");
	assert_string_equal(get(&b, "TZ"), "Europe/Paris");
	assert_string_equal(get(&b, "AWS_ACCESS_KEY_ID"), "AKID");
	assert_string_equal(get(&b, "AWS_SECRET_ACCESS_KEY"), "S");
	assert_null(get(&b, "AWS_SESSION_TOKEN"));
	assert_null(get(&b, "HOME"));
	assert_null(get(&b, "SECRET"));
	/* Lambda's PATH, the layer's bin last (/opt/bin), none of the user's */
	snprintf(want, sizeof(want), "/usr/local/bin:/usr/bin/:/bin:%s/bin", layer);
	assert_string_equal(get(&b, "PATH"), want);
	lamb_bootstrap_release(&b);
}

static void test_code_bootstrap_wins(void **state)
{
	(void)state;
	char p[256];
	snprintf(p, sizeof(p), "%s/bootstrap", code);
	touch_exec(p);
	struct lamb_function fn = make_fn();
	struct lamb_bootstrap b;
	struct lamb_err err;
	assert_int_equal(boot_init(&b, &fn, NULL, &err), 0);
	assert_string_equal(b.path, p);
	assert_string_equal(b.argv[0], p);
	assert_null(b.argv[1]);
	lamb_bootstrap_release(&b);
	unlink(p);
}

static void test_missing_bootstrap(void **state)
{
	(void)state;
	struct lamb_function fn = make_fn();
	struct lamb_bootstrap b;
	struct lamb_err err;
	assert_int_equal(boot_init(&b, &fn, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "no 'bootstrap'"));
	fn.runtime = "java21";
	assert_int_equal(boot_init(&b, &fn, NULL, &err), -1);
	assert_string_equal(err.msg, "runtime 'java21' is not supported locally");
	struct lamb_layer_ref arn = { .arn = "arn:aws:lambda:us-east-1:123456789012:layer:x:1" };
	fn.runtime = "provided.al2";
	fn.layers = &arn;
	fn.nlayers = 1;
	assert_int_equal(boot_init(&b, &fn, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "cannot be fetched offline"));
	assert_non_null(strstr(err.msg, "--layer-dir"));
	struct lamb_kv map[] = { { arn.arn, layer } };
	struct lamb_kvs maps = { map, 1 };
	struct lamb_bootstrap_opts o = { .layer_dirs = &maps };
	assert_int_equal(boot_init(&b, &fn, &o, &err), 0);
	char want[256];
	snprintf(want, sizeof(want), "%s/bootstrap", layer);
	assert_string_equal(b.path, want);
	lamb_bootstrap_release(&b);
}

static void test_python_interpreter_fallback(void **state)
{
	(void)state;
	char rt[256], p[300];
	snprintf(rt, sizeof(rt), "%s/rt", dir);
	snprintf(p, sizeof(p), "%s/python", rt);
	mkdir(rt, 0755);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/python/bootstrap.py", rt);
	touch_exec(p);
	struct lamb_function fn = make_fn();
	fn.runtime = "python3.99";
	fn.handler = "app.handler";
	char *user[] = { "PATH=/usr/bin:/bin", NULL };
	struct lamb_bootstrap_opts o = { .runtime_dir = rt, .user_env = user };
	struct lamb_bootstrap b;
	struct lamb_err err;
	if (access("/usr/bin/python3", X_OK) != 0)
		skip();
	assert_int_equal(boot_init(&b, &fn, &o, &err), 0);
	assert_string_equal(b.path, "/usr/bin/python3");
	assert_string_equal(b.argv[1], "-S"); /* no host site-packages */
	assert_string_equal(b.argv[2], p);
	assert_non_null(b.warning);
	assert_non_null(strstr(b.warning, "python3.99"));
	lamb_bootstrap_release(&b);
}

static void test_interpreter_shim_resolved_once(void **state)
{
	(void)state;
	char bin[256], shim[300], rt[256], p[300], path[300];
	if (access("/usr/bin/python3", X_OK) != 0)
		skip();
	snprintf(rt, sizeof(rt), "%s/rt", dir);
	snprintf(bin, sizeof(bin), "%s/shims", dir);
	mkdir(rt, 0755);
	mkdir(bin, 0755);
	snprintf(p, sizeof(p), "%s/python", rt);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/python/bootstrap.py", rt);
	touch_exec(p);
	snprintf(shim, sizeof(shim), "%s/python3.98", bin);
	FILE *f = fopen(shim, "w");
	fputs("#!/bin/sh\nexec /usr/bin/python3 \"$@\"\n", f);
	fclose(f);
	chmod(shim, 0755);
	snprintf(path, sizeof(path), "PATH=%s:/usr/bin:/bin", bin);
	setenv("XDG_CACHE_HOME", dir, 1); /* the resolution is cached there */
	char *user[] = { path, NULL };
	struct lamb_function fn = make_fn();
	fn.runtime = "python3.98";
	fn.handler = "app.handler";
	struct lamb_bootstrap_opts o = { .runtime_dir = rt, .user_env = user };
	struct lamb_bootstrap b;
	struct lamb_err err;
	assert_int_equal(boot_init(&b, &fn, &o, &err), 0);
	assert_true(str_starts_(b.path, "/usr/bin/python3")); /* the real one, not the shell script */
	assert_null(b.warning);
	lamb_bootstrap_release(&b);
	char cache[300];
	snprintf(cache, sizeof(cache), "%s/lamb/interpreters", dir);
	assert_int_equal(access(cache, R_OK), 0);
	assert_int_equal(boot_init(&b, &fn, &o, &err), 0); /* from the cache this time */
	assert_true(str_starts_(b.path, "/usr/bin/python3"));
	lamb_bootstrap_release(&b);
}

/* A shim that cannot run (pyenv without that version) is asked once: its
 * failure is cached too, so a cold start does not pay seconds for it. */
static void test_broken_shim_asked_once(void **state)
{
	(void)state;
	char bin[256], shim[300], rt[256], p[300], path[300], count[300];
	if (access("/usr/bin/python3", X_OK) != 0)
		skip();
	snprintf(rt, sizeof(rt), "%s/rt", dir);
	snprintf(bin, sizeof(bin), "%s/broken", dir);
	mkdir(rt, 0755);
	mkdir(bin, 0755);
	snprintf(p, sizeof(p), "%s/python", rt);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/python/bootstrap.py", rt);
	touch_exec(p);
	snprintf(count, sizeof(count), "%s/asked", dir);
	snprintf(shim, sizeof(shim), "%s/python3.97", bin);
	FILE *f = fopen(shim, "w");
	fprintf(f, "#!/bin/sh\necho x >> '%s'\nexit 1\n", count);
	fclose(f);
	chmod(shim, 0755);
	snprintf(path, sizeof(path), "PATH=%s:/usr/bin:/bin", bin);
	setenv("XDG_CACHE_HOME", dir, 1);
	char *user[] = { path, NULL };
	struct lamb_function fn = make_fn();
	fn.runtime = "python3.97";
	fn.handler = "app.handler";
	struct lamb_bootstrap_opts o = { .runtime_dir = rt, .user_env = user };
	struct lamb_bootstrap b;
	struct lamb_err err;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(boot_init(&b, &fn, &o, &err), 0);
		assert_true(str_starts_(b.path, "/usr/bin/python3")); /* the fallback */
		assert_non_null(strstr(b.warning, "does not run"));
		lamb_bootstrap_release(&b);
	}
	size_t len;
	char *asked = lamb_read_file(count, &len);
	assert_string_equal(asked, "x\n");
	free(asked);
}

static void test_node_layer_paths(void **state)
{
	(void)state;
	char rt[256], p[300];
	if (access("/usr/bin/node", X_OK) != 0)
		skip();
	snprintf(rt, sizeof(rt), "%s/rt", dir);
	mkdir(rt, 0755);
	snprintf(p, sizeof(p), "%s/node", rt);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/node/bootstrap.js", rt);
	touch_exec(p);
	const char *dirs[] = { "nodejs", "nodejs/node_modules", "nodejs/node20", "nodejs/node20/node_modules" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", layer, dirs[i]);
		mkdir(p, 0755);
	}
	static struct lamb_layer l = { .logical_id = "L" };
	l.content = layer;
	struct lamb_layer_ref ref = { .layer = &l };
	struct lamb_function fn = make_fn();
	fn.runtime = "nodejs20.x";
	fn.handler = "index.handler";
	fn.layers = &ref;
	fn.nlayers = 1;
	char *user[] = { "PATH=/usr/bin:/bin", NULL };
	struct lamb_bootstrap_opts o = { .runtime_dir = rt, .user_env = user };
	struct lamb_bootstrap b;
	struct lamb_err err;
	assert_int_equal(boot_init(&b, &fn, &o, &err), 0);
	char want[1600];
	snprintf(want, sizeof(want), "%s/nodejs/node20/node_modules:%s/nodejs/node_modules:%s/node/node_modules:%s/node:%s",
		 layer, layer, rt, rt, code);
	assert_string_equal(get(&b, "NODE_PATH"), want);
	assert_null(get(&b, "PYTHONPATH"));
	lamb_bootstrap_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layer_bootstrap_and_env),
		cmocka_unit_test(test_code_bootstrap_wins),
		cmocka_unit_test(test_missing_bootstrap),
		cmocka_unit_test(test_python_interpreter_fallback),
		cmocka_unit_test(test_interpreter_shim_resolved_once),
		cmocka_unit_test(test_broken_shim_asked_once),
		cmocka_unit_test(test_node_layer_paths),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
