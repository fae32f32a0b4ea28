/* Just enough of an ELF file for the native-code doctor: its machine, the
 * highest GLIBC_x.y symbol version it needs (.gnu.version_r), and the
 * libraries it names (DT_NEEDED) and is (DT_SONAME). Read from a bounded
 * buffer: a truncated or garbage file is an error, never a crash or a read
 * past the end. 64-bit little-endian files in full (x86_64, aarch64); of a
 * 32-bit or big-endian one only the machine. */
#ifndef LAMB_ELF_H
#define LAMB_ELF_H

#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAMB_ELF_MAX_NEEDED 64

struct lamb_elf {
	uint16_t machine;     /* e_machine: EM_X86_64, EM_AARCH64, ... */
	bool is64;
	int glibc_minor;      /* highest GLIBC_2.N needed; -1 when none */
	char *needed[LAMB_ELF_MAX_NEEDED]; /* DT_NEEDED, owned; the rest is dropped */
	size_t nneeded;
	char *soname;         /* DT_SONAME, owned, or NULL */
};

/* Whether buf (len bytes) starts like an ELF file. */
bool lamb_elf_magic(const void *buf, size_t len);
/* Parses buf; 0, or -1 with err for what is not a well-formed ELF file.
 * e is filled as far as it could be read either way; release it. */
int lamb_elf_parse(const void *buf, size_t len, struct lamb_elf *e, struct lamb_err *err);
/* The same for the file at path (mapped, not read). */
int lamb_elf_read(const char *path, struct lamb_elf *e, struct lamb_err *err);
void lamb_elf_release(struct lamb_elf *e);
/* "x86_64", "arm64", or "machine N" into buf. */
const char *lamb_elf_machine_name(uint16_t machine, char buf[32]);

#endif
