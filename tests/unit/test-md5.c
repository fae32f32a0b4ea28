/* MD5: the test suite of RFC 1321 (appendix A.5), and a message fed in
 * uneven pieces that cross block boundaries. */
#include "unit.h"

#include "base/md5.h"

static const char *vectors[][2] = {
	{ "", "d41d8cd98f00b204e9800998ecf8427e" },
	{ "a", "0cc175b9c0f1b6a831c399e269772661" },
	{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
	{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
	{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f" },
	{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
	  "57edf4a22be3c955ac49da2e2107b67a" },
};

static void test_rfc1321(void **state)
{
	(void)state;
	char hex[33];
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		lamb_md5_hex(vectors[i][0], strlen(vectors[i][0]), hex);
		assert_string_equal(hex, vectors[i][1]);
	}
}

static void test_pieces(void **state)
{
	(void)state;
	const char *msg = vectors[6][0];
	size_t len = strlen(msg), steps[] = { 1, 7, 55, 1, 0, 16 };
	struct lamb_md5 c;
	unsigned char d[16], want[16];
	lamb_md5_init(&c);
	size_t off = 0;
	for (size_t i = 0; off < len; i = (i + 1) % 6) {
		size_t n = steps[i] < len - off ? steps[i] : len - off;
		lamb_md5_update(&c, msg + off, n);
		off += n;
	}
	lamb_md5_final(&c, d);
	lamb_md5_init(&c);
	lamb_md5_update(&c, msg, len);
	lamb_md5_final(&c, want);
	assert_memory_equal(d, want, 16);
}

/* 55, 56 and 64 bytes: the padding edge cases */
static void test_padding_edges(void **state)
{
	(void)state;
	char hex[33], buf[65];
	memset(buf, 'a', sizeof(buf));
	lamb_md5_hex(buf, 55, hex);
	assert_string_equal(hex, "ef1772b6dff9a122358552954ad0df65");
	lamb_md5_hex(buf, 56, hex);
	assert_string_equal(hex, "3b0c8ac703f828b04c6c197006d17218");
	lamb_md5_hex(buf, 64, hex);
	assert_string_equal(hex, "014842d480b571495a4a0363793f7367");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1321),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_padding_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
