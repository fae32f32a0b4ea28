/* The doctor's ELF reader: a hand-made shared object (DT_NEEDED, DT_SONAME,
 * a GLIBC_2.38 version need) read right; every truncation of it and
 * thousands of corrupted copies parsed without a crash or a read past the
 * end (ASan watches); and the build targets' glibc per runtime. */
#include "unit.h"
#include "build/build-target.h"
#include "build/elf.h"

#include <elf.h>

struct image {
	unsigned char b[1024];
	size_t len;
};

static size_t put(struct image *im, const void *p, size_t n)
{
	size_t off = im->len;
	memcpy(im->b + off, p, n);
	im->len += n;
	return off;
}

/* header, .dynstr, .dynamic, .gnu.version_r, then 4 section headers (null, dynstr, dynamic, verneed) */
static void make(struct image *im)
{
	memset(im, 0, sizeof(*im));
	im->len = sizeof(Elf64_Ehdr);
	static const char strs[] = "\0libfoo.so.1\0libme.so\0libc.so.6\0GLIBC_2.38\0GLIBC_2.2.5\0GLIBC_PRIVATE";
	size_t str = put(im, strs, sizeof(strs));
	Elf64_Dyn dyn[] = { { DT_NEEDED, { 1 } }, { DT_SONAME, { 13 } }, { DT_NEEDED, { 22 } }, { DT_NULL, { 0 } } };
	size_t dynoff = put(im, dyn, sizeof(dyn));
	Elf64_Verneed vn = { .vn_version = 1, .vn_cnt = 3, .vn_file = 22, .vn_aux = sizeof(Elf64_Verneed) };
	Elf64_Vernaux aux[3] = {
		{ .vna_name = 32, .vna_next = sizeof(Elf64_Vernaux) },
		{ .vna_name = 43, .vna_next = sizeof(Elf64_Vernaux) },
		{ .vna_name = 55, .vna_next = 0 },
	};
	size_t vnoff = put(im, &vn, sizeof(vn));
	put(im, aux, sizeof(aux));
	Elf64_Shdr sh[4] = { { 0 } };
	sh[1] = (Elf64_Shdr){ .sh_type = SHT_STRTAB, .sh_offset = str, .sh_size = sizeof(strs) };
	sh[2] = (Elf64_Shdr){ .sh_type = SHT_DYNAMIC, .sh_offset = dynoff, .sh_size = sizeof(dyn), .sh_link = 1 };
	sh[3] = (Elf64_Shdr){ .sh_type = SHT_GNU_verneed, .sh_offset = vnoff,
			      .sh_size = sizeof(vn) + sizeof(aux), .sh_link = 1, .sh_info = 1 };
	size_t shoff = put(im, sh, sizeof(sh));
	Elf64_Ehdr h = { .e_type = ET_DYN, .e_machine = EM_AARCH64, .e_version = 1, .e_shoff = shoff,
			 .e_ehsize = sizeof(Elf64_Ehdr), .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = 4 };
	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = ELFCLASS64;
	h.e_ident[EI_DATA] = ELFDATA2LSB;
	h.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(im->b, &h, sizeof(h));
}

static void test_reads_a_shared_object(void **state)
{
	(void)state;
	struct image im;
	make(&im);
	struct lamb_elf e;
	struct lamb_err err;
	assert_int_equal(lamb_elf_parse(im.b, im.len, &e, &err), 0);
	assert_int_equal(e.machine, EM_AARCH64);
	assert_true(e.is64);
	assert_int_equal(e.glibc_minor, 38);
	assert_int_equal(e.nneeded, 2);
	assert_string_equal(e.needed[0], "libfoo.so.1");
	assert_string_equal(e.needed[1], "libc.so.6");
	assert_string_equal(e.soname, "libme.so");
	lamb_elf_release(&e);
}

/* Each piece of parsing happens on a copy of exactly n bytes on the heap, so ASan sees a read past it. */
static void parse_copy(const unsigned char *b, size_t n)
{
	unsigned char *copy = malloc(n ? n : 1);
	memcpy(copy, b, n);
	struct lamb_elf e;
	struct lamb_err err;
	lamb_elf_parse(copy, n, &e, &err);
	lamb_elf_release(&e);
	free(copy);
}

static void test_truncations(void **state)
{
	(void)state;
	struct image im;
	make(&im);
	for (size_t n = 0; n <= im.len; n++)
		parse_copy(im.b, n);
	struct lamb_elf e;
	struct lamb_err err;
	assert_int_equal(lamb_elf_parse(im.b, im.len - 1, &e, &err), -1); /* the section headers cut short */
	lamb_elf_release(&e);
}

static void test_garbage(void **state)
{
	(void)state;
	struct image im;
	make(&im);
	uint32_t seed = 12345;
	for (int i = 0; i < 20000; i++) {
		unsigned char copy[sizeof(im.b)];
		memcpy(copy, im.b, im.len);
		for (int k = 0; k < 1 + i % 8; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % im.len;
			seed = seed * 1103515245u + 12345u;
			copy[at] = (unsigned char)(i % 3 == 0 ? 0xff : seed >> 16);
		}
		parse_copy(copy, im.len);
	}
	unsigned char junk[256];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	memcpy(junk, ELFMAG, SELFMAG);
	parse_copy(junk, sizeof(junk));
}

static void test_own_binary(void **state)
{
	(void)state;
	struct lamb_elf e;
	struct lamb_err err;
	assert_int_equal(lamb_elf_read("/proc/self/exe", &e, &err), 0);
#if defined(__x86_64__)
	assert_int_equal(e.machine, EM_X86_64);
#elif defined(__aarch64__)
	assert_int_equal(e.machine, EM_AARCH64);
#endif
	assert_true(e.glibc_minor >= 2);
	lamb_elf_release(&e);
	assert_int_equal(lamb_elf_read("/dev/null", &e, &err), -1);
	lamb_elf_release(&e);
}

static void test_targets(void **state)
{
	(void)state;
	struct lamb_build_target t;
	lamb_build_target_init(&t, "python3.12", "arm64");
	assert_int_equal(t.py_minor, 12);
	assert_int_equal(t.glibc_minor, 34);
	assert_true(t.arm64);
	assert_string_equal(lamb_build_target_machine(&t), "aarch64");
	lamb_build_target_init(&t, "python3.11", NULL);
	assert_int_equal(t.glibc_minor, 26);
	assert_string_equal(t.image, "al2");
	assert_false(t.arm64);
	lamb_build_target_init(&t, "nodejs20.x", "x86_64");
	assert_int_equal(t.py_minor, -1);
	assert_int_equal(t.glibc_minor, 34);
	lamb_build_target_init(&t, "python3.7", NULL);
	assert_int_equal(t.glibc_minor, 17);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_a_shared_object),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_own_binary),
		cmocka_unit_test(test_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
