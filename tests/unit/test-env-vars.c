/* --env-vars files: the JSON form (Parameters, blocks by logical id or
 * FunctionName), the .env form, precedence, and the errors. */
#include "unit.h"
#include "engine/env-vars.h"
#include "base/util.h"

#include <stdio.h>
#include <unistd.h>

static char *write_tmp(const char *text)
{
	char *path = xstrdup("/tmp/lamb-env-vars-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static struct lamb_env_vars *load_text(const char *text, struct lamb_err *err)
{
	char *path = write_tmp(text);
	struct lamb_env_vars *ev = lamb_env_vars_load(path, err);
	unlink(path);
	free(path);
	return ev;
}

static void set(void *data, const char *key, const char *value)
{
	lamb_buf_addf(data, "%s=%s;", key, value);
}

static char *vars_of(const struct lamb_env_vars *ev, const struct lamb_function *fn)
{
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_buf_add(&b, "", 0);
	lamb_env_vars_each(ev, fn, set, &b);
	return lamb_buf_steal(&b);
}

static void test_json_precedence(void **state)
{
	(void)state;
	struct lamb_err err;
	struct lamb_env_vars *ev = load_text("{\"Hello\": {\"A\": \"hello\", \"N\": 3},"
					     " \"Parameters\": {\"A\": \"global\", \"B\": true},"
					     " \"other-name\": {\"A\": \"other\"}}", &err);
	assert_non_null(ev);
	struct lamb_kv decl[] = { { "A", "template" } };
	struct lamb_function hello = { .logical_id = "Hello", .name = "Hello", .env = { decl, 1 } };
	struct lamb_function other = { .logical_id = "Other", .name = "other-name", .env = { decl, 1 } };
	struct lamb_function third = { .logical_id = "Third", .name = "Third", .env = { decl, 1 } };
	char *s = vars_of(ev, &hello);
	assert_string_equal(s, "A=global;B=true;A=hello;N=3;"); /* later wins */
	free(s);
	s = vars_of(ev, &other); /* found by FunctionName */
	assert_string_equal(s, "A=global;B=true;A=other;");
	free(s);
	s = vars_of(ev, &third);
	assert_string_equal(s, "A=global;B=true;");
	free(s);
	s = lamb_env_vars_undeclared(ev, &hello);
	assert_string_equal(s, "'B', 'N'");
	free(s);
	struct lamb_function fns[] = { hello, other };
	struct lamb_model m = { .functions = fns, .nfunctions = 2 };
	assert_null(lamb_env_vars_unknown(ev, &m));
	m.nfunctions = 1;
	assert_string_equal(lamb_env_vars_unknown(ev, &m), "other-name");
	lamb_env_vars_free(ev);
}

static void test_dotenv(void **state)
{
	(void)state;
	struct lamb_err err;
	struct lamb_env_vars *ev = load_text("# comment\nexport A=\"quoted value\"\r\n  B='x=y'\nnot a pair\n=v\nC=\n",
					     &err);
	assert_non_null(ev);
	struct lamb_function fn = { .logical_id = "F" };
	char *s = vars_of(ev, &fn);
	assert_string_equal(s, "A=quoted value;B=x=y;C=;");
	free(s);
	lamb_env_vars_free(ev);
}

static void test_errors(void **state)
{
	(void)state;
	struct lamb_err err;
	assert_null(load_text("{\"Hello\": \"x\"}", &err));
	assert_non_null(strstr(err.msg, "'Hello' must be an object of variables"));
	assert_null(load_text("{\"Hello\": {\"A\": null}}", &err));
	assert_non_null(strstr(err.msg, "'A' of 'Hello' must be a string, a number or a boolean"));
	assert_null(load_text("{\"Hello\": {", &err));
	assert_non_null(strstr(err.msg, "is not a JSON object of variables"));
	assert_null(load_text("[1]", &err));
	assert_non_null(strstr(err.msg, "is not a JSON object"));
	assert_null(lamb_env_vars_load("/nonexistent/env.json", &err));
	assert_string_equal(err.msg, "cannot read '/nonexistent/env.json': No such file or directory");
	lamb_env_vars_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_precedence),
		cmocka_unit_test(test_dotenv),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
