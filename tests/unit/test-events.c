/* The event catalogue on a small catalogue written for the test: defaults,
 * values with quotes and newlines, typed values, filters, encodings, and
 * the errors a broken data file or a wrong option gives. */
#include "unit.h"

#include "front/events.h"
#include "base/util.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/lamb-test-events-XXXXXX";

static void put(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	mkdir(path, 0755);
	*slash = '/';
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	put("options.json", "{\"region\": {\"default\": \"us-east-1\", \"help\": \"region\"}}");
	put("svc/manifest.json",
	    "{\"description\": \"a service\", \"events\": {"
	    "\"ev\": {\"description\": \"an event\", \"options\": {"
	    "  \"region\": {}, \"body\": {\"default\": \"hi\"}, \"size\": {\"default\": \"3\", \"type\": \"number\"},"
	    "  \"flag\": {\"default\": \"true\", \"type\": \"boolean\"}, \"detail\": {\"default\": \"{\\\"a\\\": 1}\", \"type\": \"json\"}},"
	    "  \"encode\": {\"packed\": [\"json\", \"gzip\", \"base64\"], \"str\": [\"json\"]}},"
	    "\"bad\": {\"description\": \"names an unknown option\"}}}");
	put("svc/ev.json",
	    "{\"region\": \"{{region}}\", \"arn\": \"arn:aws:x:{{region}}:{{body|upper}}\", \"body\": \"{{body}}\","
	    " \"md5\": \"{{body|md5}}\", \"b64\": \"{{body|base64}}\", \"size\": \"{{size}}\", \"sizeText\": \"n={{size}}\","
	    " \"flag\": \"{{flag}}\", \"detail\": \"{{detail}}\", \"packed\": {\"m\": \"{{body}}\"}, \"str\": {\"k\": [1]}}");
	put("svc/bad.json", "{\"x\": \"{{nope}}\"}");
	put("other/manifest.json", "{\"description\": \"another\", \"events\": {}}");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

static void test_filters(void **state)
{
	(void)state;
	struct {
		const char *filter, *in, *out;
	} cases[] = {
		{ "url", "a b/c+d.jpg", "a+b/c%2Bd.jpg" },
		{ "url", "caf\xc3\xa9", "caf%C3%A9" },
		{ "base64", "hello", "aGVsbG8=" },
		{ "md5", "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "trim-slash", "//x/y", "x/y" },
		{ "lower", "GeT", "get" },
		{ "upper", "GeT", "GET" },
		{ "stage-path", "prod", "/prod" },
		{ "stage-path", "$default", "" },
		{ "stage-path", "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = lamb_events_filter(cases[i].filter, cases[i].in);
		assert_non_null(s);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
	assert_null(lamb_events_filter("rot13", "x"));
}

/* The md5 filter (nettle's MD5, in lower-case hex as real events carry
 * it) on the test suite of RFC 1321 (appendix A.5) and on 55, 56 and 64
 * bytes, MD5's padding edges. */
static void test_md5_filter(void **state)
{
	(void)state;
	static const char *vectors[][2] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f" },
		{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ef1772b6dff9a122358552954ad0df65" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "3b0c8ac703f828b04c6c197006d17218" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "014842d480b571495a4a0363793f7367" },
	};
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		char *s = lamb_events_filter("md5", vectors[i][0]);
		assert_non_null(s);
		assert_string_equal(s, vectors[i][1]);
		free(s);
	}
}

static void test_services(void **state)
{
	(void)state;
	struct lamb_err err;
	cJSON *a = lamb_events_services(dir, &err);
	assert_non_null(a);
	assert_int_equal(cJSON_GetArraySize(a), 2);
	assert_string_equal(cJSON_GetArrayItem(a, 0)->valuestring, "other");
	assert_string_equal(cJSON_GetArrayItem(a, 1)->valuestring, "svc");
	cJSON_Delete(a);
	cJSON *m = lamb_events_manifest(dir, "svc", &err);
	assert_non_null(m);
	/* "region": {} took the shared definition */
	cJSON *r = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "events"), "ev"),
							    "options"), "region");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(r, "default")), "us-east-1");
	cJSON_Delete(m);
	assert_null(lamb_events_manifest(dir, "../svc", &err));
	assert_null(lamb_events_manifest(dir, "none", &err));
	assert_string_equal(err.msg, "unknown service 'none'");
}

static const char *str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

/* base64, then gunzip with zlib, as a CloudWatch Logs subscriber does: the
 * text, or NULL when either is not valid; *gz_len: the gzip's size */
static char *unpack(const char *b64, size_t *gz_len)
{
	size_t n;
	unsigned char *gz = lamb_base64_decode(b64, strlen(b64), &n);
	assert_non_null(gz);
	assert_true(n > 18 && gz[0] == 0x1f && gz[1] == 0x8b && gz[2] == 8); /* gzip, deflate */
	*gz_len = n;
	struct lamb_buf text;
	lamb_buf_init(&text);
	z_stream z = { .next_in = gz, .avail_in = (uInt)n };
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK); /* gzip only, not zlib */
	int rc = Z_OK;
	while (rc == Z_OK) {
		unsigned char chunk[4096];
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = inflate(&z, Z_NO_FLUSH);
		lamb_buf_add(&text, chunk, sizeof(chunk) - z.avail_out);
	}
	bool whole = rc == Z_STREAM_END && z.avail_in == 0; /* CRC and size checked */
	inflateEnd(&z);
	free(gz);
	if (!whole)
		lamb_buf_release(&text);
	return whole ? lamb_buf_steal(&text) : NULL;
}

static void test_defaults(void **state)
{
	(void)state;
	struct lamb_err err;
	cJSON *e = lamb_events_generate(dir, "svc", "ev", NULL, 0, &err);
	if (!e)
		print_error("%s\n", err.msg);
	assert_non_null(e);
	assert_string_equal(str(e, "region"), "us-east-1");
	assert_string_equal(str(e, "arn"), "arn:aws:x:us-east-1:HI");
	assert_string_equal(str(e, "md5"), "49f68a5c8493ec2c0bf489821c21fc3b");
	assert_string_equal(str(e, "b64"), "aGk=");
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(e, "size")));
	assert_int_equal(cJSON_GetObjectItem(e, "size")->valueint, 3);
	assert_string_equal(str(e, "sizeText"), "n=3");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "flag")));
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "detail"), "a")->valueint, 1);
	assert_string_equal(str(e, "str"), "{\"k\":[1]}");
	/* json, gzip, then base64 */
	size_t n;
	char *text = unpack(str(e, "packed"), &n);
	assert_non_null(text);
	assert_string_equal(text, "{\"m\":\"hi\"}");
	free(text);
	cJSON_Delete(e);
}

/* a body larger than deflate's window and than one output chunk comes
 * back whole, and gzip compresses it (real events carry it compressed) */
static void test_gzip_large(void **state)
{
	(void)state;
	struct lamb_buf body;
	lamb_buf_init(&body);
	unsigned x = 1;
	for (int i = 0; i < 300000; i++) { /* printable, not too repetitive */
		x = x * 1103515245 + 12345;
		lamb_buf_addch(&body, (char)('a' + (x >> 16) % 16));
	}
	struct lamb_err err;
	struct lamb_event_value v[] = { { "body", body.data } };
	cJSON *e = lamb_events_generate(dir, "svc", "ev", v, 1, &err);
	assert_non_null(e);
	size_t n;
	char *text = unpack(str(e, "packed"), &n);
	assert_non_null(text);
	cJSON *j = cJSON_Parse(text);
	assert_string_equal(str(j, "m"), body.data);
	assert_true(n < body.len * 2 / 3);
	cJSON_Delete(j);
	free(text);
	cJSON_Delete(e);
	lamb_buf_release(&body);
}

static void test_values(void **state)
{
	(void)state;
	struct lamb_err err;
	const char *nasty = "say \"hi\"\n\t\\ {{region}} caf\xc3\xa9";
	struct lamb_event_value v[] = { { "body", nasty }, { "size", "2.5" }, { "region", "eu-west-1" } };
	cJSON *e = lamb_events_generate(dir, "svc", "ev", v, 3, &err);
	assert_non_null(e);
	/* a value is text: braces in it are not placeholders */
	assert_string_equal(str(e, "body"), nasty);
	assert_string_equal(str(e, "region"), "eu-west-1");
	assert_true(cJSON_GetObjectItem(e, "size")->valuedouble == 2.5);
	cJSON_Delete(e);
}

static void test_errors(void **state)
{
	(void)state;
	struct lamb_err err;
	struct lamb_event_value num[] = { { "size", "many" } };
	assert_null(lamb_events_generate(dir, "svc", "ev", num, 1, &err));
	assert_string_equal(err.msg, "--size: 'many' is not a number");
	struct lamb_event_value js[] = { { "detail", "{oops" } };
	assert_null(lamb_events_generate(dir, "svc", "ev", js, 1, &err));
	assert_string_equal(err.msg, "--detail: '{oops' is not a json");
	struct lamb_event_value unknown[] = { { "bucket", "b" } };
	assert_null(lamb_events_generate(dir, "svc", "ev", unknown, 1, &err));
	assert_string_equal(err.msg, "event 'svc ev' has no option '--bucket'");
	struct lamb_event_value bad8[] = { { "body", "\xff" } };
	assert_null(lamb_events_generate(dir, "svc", "ev", bad8, 1, &err));
	assert_null(lamb_events_generate(dir, "svc", "bad", NULL, 0, &err));
	assert_string_equal(err.msg, "event 'svc bad': placeholder '{{nope}}' names no option");
	assert_null(lamb_events_generate(dir, "svc", "none", NULL, 0, &err));
	assert_string_equal(err.msg, "service 'svc' has no event 'none'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_md5_filter),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_gzip_large),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
