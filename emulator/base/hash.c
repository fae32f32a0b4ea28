/* lamb_hash over xxHash (libxxhash-dev), compiled in with XXH_INLINE_ALL as
 * xxHash recommends: its fastest form, no library to load at run time, and
 * the state's layout is the one this header was compiled with. */
#include "base/hash.h"

#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

_Static_assert(sizeof(XXH3_state_t) <= sizeof(((struct lamb_hash *)0)->state), "XXH3_state_t does not fit");
_Static_assert(alignof(XXH3_state_t) <= 64, "XXH3_state_t needs more alignment");

static XXH3_state_t *state(struct lamb_hash *h)
{
	return (XXH3_state_t *)(void *)h->state;
}

void lamb_hash_init(struct lamb_hash *h)
{
	XXH3_INITSTATE(state(h));
	XXH3_64bits_reset(state(h));
}

void lamb_hash_update(struct lamb_hash *h, const void *data, size_t n)
{
	if (n)
		XXH3_64bits_update(state(h), data, n);
}

void lamb_hash_str(struct lamb_hash *h, const char *s)
{
	lamb_hash_update(h, s ? s : "", (s ? strlen(s) : 0) + 1);
}

void lamb_hash_u64(struct lamb_hash *h, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++) /* little-endian on every host */
		b[i] = (unsigned char)(v >> (8 * i));
	lamb_hash_update(h, b, 8);
}

uint64_t lamb_hash_final(const struct lamb_hash *h)
{
	return XXH3_64bits_digest((const XXH3_state_t *)(const void *)h->state);
}

uint64_t lamb_hash_bytes(const void *data, size_t n)
{
	return XXH3_64bits(data, n);
}

void lamb_hash_hex(uint64_t v, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)v);
}
