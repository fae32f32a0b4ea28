/* libFuzzer target for the doctor's ELF reader (build/elf.c): the input is
 * a file found in an artifact, which may be anything. A crash, a sanitizer
 * report or a leak is a finding; a parse error is what garbage should give.
 * What was read is used, the way the doctor uses it. */
#include "build/elf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: reading past len is a bug ASan should see */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct lamb_elf e;
	struct lamb_err err;
	lamb_elf_parse(copy, size, &e, &err);
	size_t n = e.soname ? strlen(e.soname) : 0;
	for (size_t i = 0; i < e.nneeded; i++)
		n += strlen(e.needed[i]);
	char buf[32];
	n += strlen(lamb_elf_machine_name(e.machine, buf));
	lamb_elf_release(&e);
	free(copy);
	return n == SIZE_MAX;
}
