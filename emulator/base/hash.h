/* A small 64-bit content hash for build manifests: FNV-1a's idea applied a
 * word at a time, with a final mix. It detects changes; it is not meant to
 * resist anyone crafting collisions, and nothing here needs that. */
#ifndef LAMB_HASH_H
#define LAMB_HASH_H

#include <stddef.h>
#include <stdint.h>

struct lamb_hash {
	uint64_t h;
	uint64_t total;
	unsigned char tail[8];
	size_t ntail;
};

void lamb_hash_init(struct lamb_hash *h);
void lamb_hash_update(struct lamb_hash *h, const void *data, size_t n);
/* A string and its terminating NUL, so "ab","c" and "a","bc" differ. */
void lamb_hash_str(struct lamb_hash *h, const char *s);
void lamb_hash_u64(struct lamb_hash *h, uint64_t v);
uint64_t lamb_hash_final(const struct lamb_hash *h);
/* 16 lower-case hex digits into out (17 bytes). */
void lamb_hash_hex(uint64_t v, char out[17]);

#endif
