/* Where lamb's AWS settings come from: the environment, the shared
 * credentials and config files (written to a temp dir, named through
 * AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE and through HOME), the
 * precedence between them, and the errors when something is missing. Also
 * URI encoding, endpoints and AWS error bodies. No request is sent. */
#include "unit.h"

#include "aws/aws.h"
#include "base/util.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static const char *vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_CONFIG_FILE", "AWS_MAX_ATTEMPTS",
};

static void write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/lamb-test-aws-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
		unsetenv(vars[i]);
	setenv("HOME", dir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int r = system(cmd);
	free(cmd);
	return r == 0 ? 0 : -1;
}

/* Loads with o; returns 0/-1 and leaves the message in err. */
static int load_config(struct lamb_aws_config *c, const struct lamb_aws_opts *o, struct lamb_err *err)
{
	static const struct lamb_aws_opts none = { 0 };
	lamb_aws_config_init(c);
	memset(err, 0, sizeof(*err));
	return lamb_aws_config_load(c, o ? o : &none, err);
}

static void test_environment(void **state)
{
	(void)state;
	struct lamb_aws_config c;
	struct lamb_err err;
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	setenv("AWS_SESSION_TOKEN", "tok", 1);
	setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
	assert_int_equal(load_config(&c, NULL, &err), 0);
	assert_string_equal(c.access_key, "AKIDENV");
	assert_string_equal(c.secret_key, "secretenv");
	assert_string_equal(c.session_token, "tok");
	assert_string_equal(c.region, "eu-west-3");
	assert_null(c.endpoint_url);
	assert_int_equal(c.max_attempts, 5);
	lamb_aws_config_release(&c);
	/* AWS_REGION before AWS_DEFAULT_REGION, --region before both */
	setenv("AWS_REGION", "us-east-2", 1);
	assert_int_equal(load_config(&c, NULL, &err), 0);
	assert_string_equal(c.region, "us-east-2");
	lamb_aws_config_release(&c);
	struct lamb_aws_opts o = { .region = "ap-south-1", .endpoint_url = "http://127.0.0.1:9/" };
	assert_int_equal(load_config(&c, &o, &err), 0);
	assert_string_equal(c.region, "ap-south-1");
	assert_string_equal(c.endpoint_url, "http://127.0.0.1:9");
	lamb_aws_config_release(&c);
}

static void test_missing(void **state)
{
	(void)state;
	struct lamb_aws_config c;
	struct lamb_err err;
	assert_int_equal(load_config(&c, NULL, &err), -1);
	assert_string_equal(err.msg, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
			    "or add profile 'default' to ~/.aws/credentials (aws configure)");
	lamb_aws_config_release(&c);
	/* only half of the pair */
	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	assert_int_equal(load_config(&c, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "no AWS credentials"));
	lamb_aws_config_release(&c);
	setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
	assert_int_equal(load_config(&c, NULL, &err), -1);
	assert_string_equal(err.msg, "no AWS region: give --region or set AWS_REGION");
	lamb_aws_config_release(&c);
	setenv("AWS_REGION", "eu-west-1", 1);
	setenv("AWS_ENDPOINT_URL", "ftp://x", 1);
	assert_int_equal(load_config(&c, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "must start with http:// or https://"));
	lamb_aws_config_release(&c);
	setenv("AWS_ENDPOINT_URL", "http://localhost:4566", 1);
	setenv("AWS_MAX_ATTEMPTS", "x", 1);
	assert_int_equal(load_config(&c, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "max_attempts 'x'"));
	lamb_aws_config_release(&c);
	setenv("AWS_MAX_ATTEMPTS", "2", 1);
	assert_int_equal(load_config(&c, NULL, &err), 0);
	assert_int_equal(c.max_attempts, 2);
	assert_string_equal(c.endpoint_url, "http://localhost:4566");
	lamb_aws_config_release(&c);
}

static const char *credentials =
	"# a comment\n"
	"[default]\n"
	"aws_access_key_id = AKIDDEFAULT\n"
	"aws_secret_access_key=secretdefault\n"
	"\n"
	"[dev]\n"
	"  ; indented comment\n"
	"aws_access_key_id = AKIDDEV\n"
	"aws_secret_access_key = secret dev = with equals \n"
	"aws_session_token = devtoken\n"
	"[config-only]\n"
	"region = nowhere\n";

static const char *config =
	"[default]\n"
	"region = eu-central-1\n"
	"[profile dev]\n"
	"region = us-west-2\n"
	"s3 =\n"
	"  region = wrong\n"
	"max_attempts = 3\n"
	"[profile cfg]\n"
	"aws_access_key_id = AKIDCFG\n"
	"aws_secret_access_key = secretcfg\n"
	"region = sa-east-1\n"
	"endpoint_url = http://127.0.0.1:4566\n"
	"[profile sso]\n"
	"sso_session = x\n"
	"[dev]\n"
	"region = not-a-profile-section\n";

/* ~/.aws/credentials and ~/.aws/config found through HOME */
static void test_home_files(void **state)
{
	(void)state;
	char *aws = xasprintf("%s/.aws", dir);
	assert_int_equal(mkdir(aws, 0700), 0);
	free(aws);
	write_file(".aws/credentials", credentials);
	write_file(".aws/config", config);
	struct lamb_aws_config c;
	struct lamb_err err;
	assert_int_equal(load_config(&c, NULL, &err), 0);
	assert_string_equal(c.access_key, "AKIDDEFAULT");
	assert_string_equal(c.secret_key, "secretdefault");
	assert_null(c.session_token);
	assert_string_equal(c.region, "eu-central-1");
	assert_string_equal(c.profile, "default");
	lamb_aws_config_release(&c);

	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(load_config(&c, NULL, &err), 0);
	assert_string_equal(c.access_key, "AKIDDEV");
	assert_string_equal(c.secret_key, "secret dev = with equals");
	assert_string_equal(c.session_token, "devtoken");
	assert_string_equal(c.region, "us-west-2");
	assert_int_equal(c.max_attempts, 3);
	lamb_aws_config_release(&c);

	/* --profile beats AWS_PROFILE, and the environment's keys */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	struct lamb_aws_opts o = { .profile = "cfg" };
	assert_int_equal(load_config(&c, &o, &err), 0);
	assert_string_equal(c.access_key, "AKIDCFG");
	assert_string_equal(c.region, "sa-east-1");
	assert_string_equal(c.endpoint_url, "http://127.0.0.1:4566");
	lamb_aws_config_release(&c);
	/* without --profile, the environment's keys beat AWS_PROFILE's */
	assert_int_equal(load_config(&c, NULL, &err), 0);
	assert_string_equal(c.access_key, "AKIDENV");
	assert_string_equal(c.region, "us-west-2");
	lamb_aws_config_release(&c);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");

	o.profile = "nope";
	assert_int_equal(load_config(&c, &o, &err), -1);
	assert_non_null(strstr(err.msg, "AWS profile 'nope' not found in"));
	lamb_aws_config_release(&c);
	o.profile = "sso";
	assert_int_equal(load_config(&c, &o, &err), -1);
	assert_non_null(strstr(err.msg, "profile 'sso' has no aws_access_key_id"));
	lamb_aws_config_release(&c);
	unsetenv("AWS_PROFILE");
}

/* AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE instead of HOME's */
static void test_named_files(void **state)
{
	(void)state;
	write_file("creds", "[p]\naws_access_key_id=A\naws_secret_access_key=B\n");
	write_file("conf", "[profile p]\nregion=me-south-1\n");
	char *creds = xasprintf("%s/creds", dir), *conf = xasprintf("%s/conf", dir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
	struct lamb_aws_config c;
	struct lamb_err err;
	struct lamb_aws_opts o = { .profile = "p" };
	assert_int_equal(load_config(&c, &o, &err), 0);
	assert_string_equal(c.access_key, "A");
	assert_string_equal(c.region, "me-south-1");
	lamb_aws_config_release(&c);
	/* a credentials file that is a directory cannot be read */
	setenv("AWS_SHARED_CREDENTIALS_FILE", dir, 1);
	assert_int_equal(load_config(&c, &o, &err), -1);
	assert_non_null(strstr(err.msg, "cannot read"));
	lamb_aws_config_release(&c);
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");
	free(creds);
	free(conf);
}

static void test_endpoint(void **state)
{
	(void)state;
	struct lamb_aws_config c;
	lamb_aws_config_init(&c);
	c.region = xstrdup("eu-west-1");
	char *e = lamb_aws_endpoint(&c, "s3");
	assert_string_equal(e, "https://s3.eu-west-1.amazonaws.com");
	free(e);
	e = lamb_aws_endpoint(&c, "cloudformation");
	assert_string_equal(e, "https://cloudformation.eu-west-1.amazonaws.com");
	free(e);
	c.endpoint_url = xstrdup("http://127.0.0.1:5000");
	e = lamb_aws_endpoint(&c, "s3");
	assert_string_equal(e, "http://127.0.0.1:5000");
	free(e);
	lamb_aws_config_release(&c);
}

static void expect_error(long status, const char *body, const char *want)
{
	struct lamb_aws_response r;
	lamb_aws_response_init(&r);
	r.status = status;
	free(r.body);
	r.body = xstrdup(body);
	r.body_len = strlen(body);
	struct lamb_err err = { 0 };
	assert_int_equal(lamb_aws_error(&r, "PutObject", &err), -1);
	assert_string_equal(err.msg, want);
	lamb_aws_response_release(&r);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(403, "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>"
		     "<Message>The request signature we calculated does not match</Message></Error>",
		     "PutObject: SignatureDoesNotMatch: The request signature we calculated does not match");
	expect_error(400, "<ErrorResponse xmlns=\"x\"><Error><Type>Sender</Type><Code>ValidationError</Code>"
		     "<Message>Stack with id s does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>",
		     "PutObject: ValidationError: Stack with id s does not exist");
	expect_error(400, "{\"__type\":\"com.amazon#ThrottlingException\",\"message\":\"Rate exceeded\"}",
		     "PutObject: ThrottlingException: Rate exceeded");
	expect_error(404, "", "PutObject: HTTP 404");
	expect_error(500, "<html>oops", "PutObject: HTTP 500");
	expect_error(400, "<Error><Code>X</Code></Error>", "PutObject: X (HTTP 400)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_home_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_files, setup, teardown),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
