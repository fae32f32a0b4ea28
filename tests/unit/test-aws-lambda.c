/* The pieces of aws-lambda.c that need no server: the region of an ARN
 * (a layer is fetched where it lives) and CodeSha256 as Lambda writes it. */
#include "unit.h"

#include "aws/aws-lambda.h"

#include <stdio.h>
#include <unistd.h>

static void test_arn_region(void **state)
{
	(void)state;
	char buf[32];
	assert_string_equal(lamb_lambda_arn_region("arn:aws:lambda:eu-west-1:123456789012:layer:x:3", buf, sizeof(buf)),
			    "eu-west-1");
	assert_string_equal(lamb_lambda_arn_region("arn:aws-cn:lambda:cn-north-1:1:layer:x:1", buf, sizeof(buf)),
			    "cn-north-1");
	assert_null(lamb_lambda_arn_region("arn:aws:lambda::1:layer:x:1", buf, sizeof(buf)));
	assert_null(lamb_lambda_arn_region("arn:aws:lambda:us-east-1", buf, sizeof(buf)));
	assert_null(lamb_lambda_arn_region("not-an-arn:a:b:c:d", buf, sizeof(buf)));
	assert_null(lamb_lambda_arn_region("arn:aws:lambda:a-region-name-longer-than-the-buffer:1:x", buf, 8));
}

static void test_file_sha(void **state)
{
	(void)state;
	char path[] = "/tmp/lamb-test-sha-XXXXXX", out[48];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	struct lamb_err err;
	assert_int_equal(lamb_lambda_file_sha(path, out, &err), 0);
	/* base64 of SHA-256("abc"), as Lambda's CodeSha256 would say it */
	assert_string_equal(out, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
	unlink(path);
	assert_int_equal(lamb_lambda_file_sha(path, out, &err), -1);
	assert_non_null(strstr(err.msg, "No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arn_region),
		cmocka_unit_test(test_file_sha),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
