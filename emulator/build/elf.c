/* The ELF reader of the doctor. Everything is read through in() and get(),
 * which check an offset and a size against the buffer with no overflow,
 * so a hostile file can only make parsing fail. Section headers are used,
 * not program headers: every shared object a linker writes has them, and
 * they name .dynamic's and .gnu.version_r's string tables directly. Loops
 * are bounded by the counts in the file and by the buffer. */
#include "base/util.h"
#include "build/elf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct buf {
	const unsigned char *p;
	size_t len;
};

static bool in(const struct buf *b, uint64_t off, uint64_t n)
{
	return off <= b->len && n <= b->len - off;
}

static bool get(const struct buf *b, uint64_t off, void *out, size_t n)
{
	if (!in(b, off, n))
		return false;
	memcpy(out, b->p + off, n);
	return true;
}

/* The NUL-terminated string at off of the string table sh; NULL when it runs out of it. */
static const char *str_at(const struct buf *b, const Elf64_Shdr *sh, uint64_t off)
{
	if (!in(b, sh->sh_offset, sh->sh_size) || off >= sh->sh_size)
		return NULL;
	const char *s = (const char *)b->p + sh->sh_offset + off;
	return memchr(s, 0, sh->sh_size - off) ? s : NULL;
}

bool lamb_elf_magic(const void *buf, size_t len)
{
	return len >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

static bool section(const struct buf *b, const Elf64_Ehdr *h, uint64_t i, Elf64_Shdr *sh)
{
	if (i >= h->e_shnum || h->e_shentsize < sizeof(*sh))
		return false;
	return get(b, h->e_shoff + i * h->e_shentsize, sh, sizeof(*sh));
}

static void add_needed(struct lamb_elf *e, const char *name)
{
	if (e->nneeded < LAMB_ELF_MAX_NEEDED)
		e->needed[e->nneeded++] = xstrdup(name);
}

static int read_dynamic(const struct buf *b, const Elf64_Ehdr *h, const Elf64_Shdr *dyn, struct lamb_elf *e,
			struct lamb_err *err)
{
	Elf64_Shdr strtab;
	if (!section(b, h, dyn->sh_link, &strtab))
		return lamb_err_set(err, "its .dynamic section names no string table");
	if (!in(b, dyn->sh_offset, dyn->sh_size))
		return lamb_err_set(err, "its .dynamic section runs past the end of the file");
	for (uint64_t off = 0; off + sizeof(Elf64_Dyn) <= dyn->sh_size; off += sizeof(Elf64_Dyn)) {
		Elf64_Dyn d;
		get(b, dyn->sh_offset + off, &d, sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag != DT_NEEDED && d.d_tag != DT_SONAME)
			continue;
		const char *s = str_at(b, &strtab, d.d_un.d_val);
		if (!s)
			return lamb_err_set(err, "a .dynamic entry points outside its string table");
		if (d.d_tag == DT_NEEDED)
			add_needed(e, s);
		else if (!e->soname)
			e->soname = xstrdup(s);
	}
	return 0;
}

/* "GLIBC_2.N" (not GLIBC_PRIVATE) into *minor. */
static void glibc_version(const char *name, int *minor)
{
	if (!str_starts(name, "GLIBC_2.") || name[8] < '0' || name[8] > '9')
		return;
	int n = atoi(name + 8);
	if (n > *minor)
		*minor = n;
}

/* The aux entries of one Verneed record starting at off. */
static int read_vernaux(const struct buf *b, const Elf64_Shdr *strtab, uint64_t off, unsigned cnt,
			struct lamb_elf *e, struct lamb_err *err)
{
	for (unsigned i = 0; i < cnt; i++) {
		Elf64_Vernaux a;
		if (!get(b, off, &a, sizeof(a)))
			return lamb_err_set(err, "its .gnu.version_r section runs past the end of the file");
		const char *s = str_at(b, strtab, a.vna_name);
		if (!s)
			return lamb_err_set(err, "a version it needs is named outside its string table");
		glibc_version(s, &e->glibc_minor);
		if (!a.vna_next)
			break;
		off += a.vna_next;
	}
	return 0;
}

static int read_verneed(const struct buf *b, const Elf64_Ehdr *h, const Elf64_Shdr *vn, struct lamb_elf *e,
			struct lamb_err *err)
{
	Elf64_Shdr strtab;
	if (!section(b, h, vn->sh_link, &strtab))
		return lamb_err_set(err, "its .gnu.version_r section names no string table");
	uint64_t off = vn->sh_offset;
	/* sh_info counts the records; 1024 bounds a file that lies about it */
	for (uint64_t i = 0; i < vn->sh_info && i < 1024; i++) {
		Elf64_Verneed v;
		if (!get(b, off, &v, sizeof(v)))
			return lamb_err_set(err, "its .gnu.version_r section runs past the end of the file");
		if (v.vn_aux && read_vernaux(b, &strtab, off + v.vn_aux, v.vn_cnt < 1024 ? v.vn_cnt : 1024, e,
					     err) < 0)
			return -1;
		if (!v.vn_next)
			break;
		off += v.vn_next;
	}
	return 0;
}

static int read_sections(const struct buf *b, const Elf64_Ehdr *h, struct lamb_elf *e, struct lamb_err *err)
{
	for (uint64_t i = 0; i < h->e_shnum; i++) {
		Elf64_Shdr sh;
		if (!section(b, h, i, &sh))
			return lamb_err_set(err, "its section headers run past the end of the file");
		if (sh.sh_type == SHT_DYNAMIC && read_dynamic(b, h, &sh, e, err) < 0)
			return -1;
		if (sh.sh_type == SHT_GNU_verneed && read_verneed(b, h, &sh, e, err) < 0)
			return -1;
	}
	return 0;
}

int lamb_elf_parse(const void *buf, size_t len, struct lamb_elf *e, struct lamb_err *err)
{
	memset(e, 0, sizeof(*e));
	e->glibc_minor = -1;
	struct buf b = { buf, len };
	if (!lamb_elf_magic(buf, len) || len < EI_NIDENT + 4)
		return lamb_err_set(err, "not an ELF file");
	const unsigned char *id = buf;
	uint16_t machine;
	memcpy(&machine, b.p + EI_NIDENT + 2, sizeof(machine)); /* the same place in ELF32 and ELF64 */
	bool le = id[EI_DATA] == ELFDATA2LSB;
	e->machine = le ? machine : (uint16_t)(machine >> 8 | machine << 8);
	e->is64 = id[EI_CLASS] == ELFCLASS64;
	if (!e->is64 || !le)
		return 0; /* the machine is what matters about those */
	Elf64_Ehdr h;
	if (!get(&b, 0, &h, sizeof(h)))
		return lamb_err_set(err, "its ELF header is cut short");
	return read_sections(&b, &h, e, err);
}

int lamb_elf_read(const char *path, struct lamb_elf *e, struct lamb_err *err)
{
	memset(e, 0, sizeof(*e));
	e->glibc_minor = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		return lamb_err_set(err, "cannot read '%s': %s", path, strerror(saved));
	}
	if (st.st_size == 0) {
		close(fd);
		return lamb_err_set(err, "not an ELF file");
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return lamb_err_set(err, "cannot map '%s': %s", path, strerror(errno));
	int r = lamb_elf_parse(p, (size_t)st.st_size, e, err);
	munmap(p, (size_t)st.st_size);
	return r;
}

void lamb_elf_release(struct lamb_elf *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nneeded; i++)
		free(e->needed[i]);
	free(e->soname);
	e->nneeded = 0;
	e->soname = NULL;
}

const char *lamb_elf_machine_name(uint16_t machine, char buf[32])
{
	if (machine == EM_X86_64)
		return "x86_64";
	if (machine == EM_AARCH64)
		return "arm64";
	if (machine == EM_386)
		return "i386";
	if (machine == EM_ARM)
		return "arm (32-bit)";
	snprintf(buf, 32, "machine %u", machine);
	return buf;
}
