/* The one non-cryptographic hash of lamb: xxHash's XXH3, 64 bits, for
 * build manifests and cache keys, the interpreter cache's keys and the
 * template loader's key set. It detects changes; it is not meant to resist
 * anyone crafting collisions, and nothing here needs that. */
#ifndef LAMB_HASH_H
#define LAMB_HASH_H

#include <stddef.h>
#include <stdint.h>

/* XXH3's streaming state, kept opaque so that xxhash.h stays inside
 * hash.c (which checks at compile time that it fits). */
struct lamb_hash {
	_Alignas(64) unsigned char state[640]; /* 576 bytes in xxHash 0.8 */
};

void lamb_hash_init(struct lamb_hash *h);
void lamb_hash_update(struct lamb_hash *h, const void *data, size_t n);
/* A string and its terminating NUL, so "ab","c" and "a","bc" differ. */
void lamb_hash_str(struct lamb_hash *h, const char *s);
void lamb_hash_u64(struct lamb_hash *h, uint64_t v);
uint64_t lamb_hash_final(const struct lamb_hash *h);
/* The hash of n bytes, in one call. */
uint64_t lamb_hash_bytes(const void *data, size_t n);
/* 16 lower-case hex digits into out (17 bytes). */
void lamb_hash_hex(uint64_t v, char out[17]);

#endif
