/* The shared JSON documents: Lambda's error document, its key order and
 * messages that need escaping. */
#include "unit.h"

#include "base/json.h"

#include <cjson/cJSON.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_document),
		cmocka_unit_test(test_error_message_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
