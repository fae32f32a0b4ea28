/* The shared JSON documents: Lambda's error document, its key order and
 * messages that need escaping; and cJSON allocating through xmalloc. */
#include "unit.h"

#include "base/json.h"
#include "base/util.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_error_document(void **state)
{
	(void)state;
	char *doc = lamb_json_error("Sandbox.Timedout", "RequestId: 1 Error: Task timed out after 3.00 seconds");
	assert_string_equal(doc, "{\"errorType\":\"Sandbox.Timedout\","
				 "\"errorMessage\":\"RequestId: 1 Error: Task timed out after 3.00 seconds\"}");
	free(doc);
}

static void test_error_message_escaped(void **state)
{
	(void)state;
	static const char msg[] = "cannot build: 'a\"b\\c'\n\tline 2 \x01 \xc3\xa9";
	char *doc = lamb_json_error("Lamb.BuildFailed", msg);
	cJSON *j = cJSON_Parse(doc);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "errorType")->valuestring, "Lamb.BuildFailed");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "errorMessage")->valuestring, msg);
	cJSON_Delete(j);
	free(doc);
}

/* What cJSON cannot allocate aborts, as xmalloc does, instead of coming
 * back as a NULL that callers do not check. Not under ASan, whose own
 * allocator reports a huge request before any hook could. */
static void test_hooks_abort_on_oom(void **state)
{
	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip();
#endif
	/* the hooks come with util.c's xmalloc, which every other module of
	 * liblamb calls; this file calls nothing else of it */
	free(xmalloc(1));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		void *p = cJSON_malloc((size_t)-1 / 2);
		_exit(p ? 1 : 2);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_document),
		cmocka_unit_test(test_error_message_escaped),
		cmocka_unit_test(test_hooks_abort_on_oom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
