/* URL coding: what SigV4 and S3 events want of the encoder, every byte
 * through encode and back, and the malformed escapes the decoder refuses. */
#include "unit.h"

#include "base/url.h"
#include "base/util.h"

static void test_encode(void **state)
{
	(void)state;
	char *s = lamb_url_encode("a b/c~d-e_f.g+h=\xc3\xa9", LAMB_URL_KEEP_SLASH);
	assert_string_equal(s, "a%20b/c~d-e_f.g%2Bh%3D%C3%A9");
	free(s);
	s = lamb_url_encode("a/b", 0);
	assert_string_equal(s, "a%2Fb");
	free(s);
	/* as S3 writes a key into an event */
	s = lamb_url_encode("my dir/r\xc3\xa9sum\xc3\xa9+1.txt", LAMB_URL_KEEP_SLASH | LAMB_URL_PLUS_SPACE);
	assert_string_equal(s, "my+dir/r%C3%A9sum%C3%A9%2B1.txt");
	free(s);
	s = lamb_url_encode("", 0);
	assert_string_equal(s, "");
	free(s);
}

static void test_encode_into_appends(void **state)
{
	(void)state;
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_buf_addstr(&b, "k=");
	lamb_url_encode_into(&b, "x&y", 0);
	assert_string_equal(b.data, "k=x%26y");
	lamb_buf_release(&b);
}

static void test_decode(void **state)
{
	(void)state;
	char *s = lamb_url_decode("a%20b+c%2fd%2F", 14, false);
	assert_string_equal(s, "a b+c/d/");
	free(s);
	s = lamb_url_decode("a%20b+c", 7, true);
	assert_string_equal(s, "a b c");
	free(s);
	/* only len bytes are read */
	s = lamb_url_decode("ab%41zzz", 5, false);
	assert_string_equal(s, "abA");
	free(s);
}

static void test_round_trip(void **state)
{
	(void)state;
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%";
	char all[256];
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	for (int flags = 0; flags < 4; flags++) {
		char *enc = lamb_url_encode(all, flags);
		/* nothing but unreserved characters and escapes, and what flags keep */
		for (const char *p = enc; *p; p++)
			assert_true(strchr(safe, *p) || (*p == '/' && (flags & LAMB_URL_KEEP_SLASH)) ||
				    (*p == '+' && (flags & LAMB_URL_PLUS_SPACE)));
		char *dec = lamb_url_decode(enc, strlen(enc), flags & LAMB_URL_PLUS_SPACE);
		assert_non_null(dec);
		assert_string_equal(dec, all);
		free(dec);
		free(enc);
	}
}

static void test_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = { "%", "a%", "%4", "a%4", "%zz", "%4g", "%g4", "%%41", "%-1", "%+1", "% 1" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_null(lamb_url_decode(bad[i], strlen(bad[i]), true));
	/* an escape cut by len is malformed too, though the bytes go on */
	assert_null(lamb_url_decode("a%41", 3, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_into_appends),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
