/* The build manifest: set/get/remove, a round trip through the file, and
 * the files it refuses to trust (other versions, not JSON) read as empty;
 * and the hash (base/hash.h) its keys are made of. */
#include "unit.h"
#include "base/hash.h"
#include "build/manifest.h"

#include <stdio.h>
#include <unistd.h>

static char *temp_path(void)
{
	char *p = strdup("/tmp/lamb-manifest-XXXXXX");
	int fd = mkstemp(p);
	assert_true(fd >= 0);
	close(fd);
	return p;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_set_get_remove(void **state)
{
	(void)state;
	struct lamb_manifest m;
	lamb_manifest_init(&m);
	struct lamb_manifest_entry b = { .id = "B", .key = "k1", .method = "copy", .zipped = 10 };
	struct lamb_manifest_entry a = { .id = "A", .key = "k2", .method = "python3.12", .unzipped = 20 };
	lamb_manifest_set(&m, &b);
	lamb_manifest_set(&m, &a);
	assert_int_equal(m.len, 2);
	assert_string_equal(m.v[0].id, "A"); /* sorted */
	assert_string_equal(lamb_manifest_get(&m, "B")->key, "k1");
	b.key = "k3";
	lamb_manifest_set(&m, &b);
	assert_int_equal(m.len, 2);
	assert_string_equal(lamb_manifest_get(&m, "B")->key, "k3");
	assert_null(lamb_manifest_get(&m, "C"));
	lamb_manifest_remove(&m, "A");
	lamb_manifest_remove(&m, "nope");
	assert_int_equal(m.len, 1);
	assert_null(lamb_manifest_get(&m, "A"));
	lamb_manifest_release(&m);
	lamb_manifest_release(NULL);
}

static void test_round_trip(void **state)
{
	(void)state;
	char *path = temp_path();
	struct lamb_manifest m, back;
	struct lamb_err err;
	lamb_manifest_init(&m);
	lamb_manifest_init(&back);
	struct lamb_manifest_entry e = { .id = "Fn", .key = "00ff00ff00ff00ff", .method = "nodejs20.x",
					 .zipped = 52428800, .unzipped = 262144000, .files = 10000 };
	lamb_manifest_set(&m, &e);
	assert_int_equal(lamb_manifest_save(&m, path, &err), 0);
	assert_int_equal(lamb_manifest_load(&back, path, &err), 0);
	const struct lamb_manifest_entry *b = lamb_manifest_get(&back, "Fn");
	assert_non_null(b);
	assert_string_equal(b->key, e.key);
	assert_string_equal(b->method, e.method);
	assert_int_equal(b->zipped, e.zipped);
	assert_int_equal(b->unzipped, e.unzipped);
	assert_int_equal(b->files, e.files);
	lamb_manifest_release(&m);
	lamb_manifest_release(&back);
	unlink(path);
	free(path);
}

static void test_untrusted_files_read_empty(void **state)
{
	(void)state;
	char *path = temp_path();
	static const char *const texts[] = {
		"not json", "{\"version\": 99, \"artifacts\": {\"A\": {\"key\": \"x\"}}}", "[]",
		"{\"version\": 1, \"artifacts\": {\"A\": {\"nokey\": 1}}}",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct lamb_manifest m;
		struct lamb_err err;
		lamb_manifest_init(&m);
		write_text(path, texts[i]);
		assert_int_equal(lamb_manifest_load(&m, path, &err), 0);
		assert_int_equal(m.len, 0);
		lamb_manifest_release(&m);
	}
	unlink(path);
	struct lamb_manifest m;
	struct lamb_err err;
	lamb_manifest_init(&m);
	assert_int_equal(lamb_manifest_load(&m, path, &err), 0); /* missing: empty */
	assert_int_equal(m.len, 0);
	free(path);
}

static void test_hash(void **state)
{
	(void)state;
	struct lamb_hash a, b;
	lamb_hash_init(&a);
	lamb_hash_init(&b);
	/* the same bytes in different pieces hash the same */
	lamb_hash_update(&a, "hello, world of lamb", 20);
	lamb_hash_update(&b, "hel", 3);
	lamb_hash_update(&b, "lo, world", 9);
	lamb_hash_update(&b, " of lamb", 8);
	assert_int_equal(lamb_hash_final(&a), lamb_hash_final(&b));
	/* strings keep their boundaries */
	lamb_hash_init(&a);
	lamb_hash_init(&b);
	lamb_hash_str(&a, "ab");
	lamb_hash_str(&a, "c");
	lamb_hash_str(&b, "a");
	lamb_hash_str(&b, "bc");
	assert_int_not_equal(lamb_hash_final(&a), lamb_hash_final(&b));
	/* length matters, even for zeros */
	lamb_hash_init(&a);
	lamb_hash_init(&b);
	lamb_hash_update(&a, "\0\0\0", 3);
	lamb_hash_update(&b, "\0\0\0\0", 4);
	assert_int_not_equal(lamb_hash_final(&a), lamb_hash_final(&b));
	char hex[17];
	lamb_hash_hex(0x0123456789abcdefULL, hex);
	assert_string_equal(hex, "0123456789abcdef");
}

/* lamb_hash is XXH3-64 (seed 0): xxHash's own value for no input, and
 * streaming in uneven pieces across XXH3's 256-byte buffer and 1 KB
 * blocks gives what one call gives */
static void test_hash_is_xxh3(void **state)
{
	(void)state;
	struct lamb_hash h;
	lamb_hash_init(&h);
	assert_true(lamb_hash_final(&h) == 0x2d06800538d394c2ULL);
	assert_true(lamb_hash_bytes("", 0) == 0x2d06800538d394c2ULL);
	static unsigned char big[5000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 131 + (i >> 8));
	lamb_hash_init(&h);
	for (size_t off = 0, n = 1; off < sizeof(big); off += n, n = n * 3 % 997 + 1)
		lamb_hash_update(&h, big + off, n < sizeof(big) - off ? n : sizeof(big) - off);
	assert_true(lamb_hash_final(&h) == lamb_hash_bytes(big, sizeof(big)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_get_remove),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_untrusted_files_read_empty),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_hash_is_xxh3),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
