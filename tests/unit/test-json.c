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

/* The escaper's rules byte by byte, to check the word-a-step one against. */
static void quote_slowly(struct lamb_buf *b, const unsigned char *s, size_t n)
{
	lamb_buf_addch(b, '"');
	for (size_t i = 0; i < n; i++) {
		const char *named = s[i] == '"' ? "\\\"" : s[i] == '\\' ? "\\\\" : s[i] == '\b' ? "\\b"
				  : s[i] == '\f' ? "\\f" : s[i] == '\n' ? "\\n" : s[i] == '\r' ? "\\r"
				  : s[i] == '\t' ? "\\t" : NULL;
		if (named)
			lamb_buf_addstr(b, named);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			lamb_buf_addf(b, "\\u%04x", s[i]);
		else
			lamb_buf_addch(b, (char)s[i]);
	}
	lamb_buf_addch(b, '"');
}

/* Every length to 40 with each kind of byte at each offset, appended to
 * a buffer that already holds text (the word copies write ahead). */
static void test_quoting_words(void **state)
{
	(void)state;
	static const unsigned char odd[] = { '"', '\\', 0, 1, '\n', 0x1f, 0x7f, 0x80, 0xff, ' ', '~' };
	unsigned char s[40];
	for (size_t n = 0; n <= sizeof(s); n++)
		for (size_t at = 0; at < (n ? n : 1); at++)
			for (size_t k = 0; k < sizeof(odd); k++) {
				for (size_t i = 0; i < n; i++)
					s[i] = (unsigned char)('a' + i % 26);
				if (n)
					s[at] = odd[k];
				if (n > 20)
					s[n - 1 - at / 2] = odd[(k + 3) % sizeof(odd)];
				struct lamb_buf got, want;
				lamb_buf_init(&got);
				lamb_buf_init(&want);
				lamb_buf_addstr(&got, "x:");
				lamb_buf_addstr(&want, "x:");
				lamb_buf_addquotedn(&got, (const char *)s, n);
				quote_slowly(&want, s, n);
				assert_int_equal(got.len, want.len);
				assert_memory_equal(got.data, want.data, want.len + 1);
				lamb_buf_release(&got);
				lamb_buf_release(&want);
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_document),
		cmocka_unit_test(test_error_message_escaped),
		cmocka_unit_test(test_quoting_words),
		cmocka_unit_test(test_hooks_abort_on_oom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
