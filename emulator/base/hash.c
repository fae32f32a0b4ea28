/* The manifest hash: 8 bytes per multiply rather than FNV-1a's one, so
 * hashing a 100 MB tree costs a fraction of zipping it. */
#include "base/hash.h"

#include <stdio.h>
#include <string.h>

#define PRIME 0x100000001b3ULL
#define BASIS 0xcbf29ce484222325ULL

static uint64_t mix_word(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= PRIME;
	return h ^ (h >> 29);
}

void lamb_hash_init(struct lamb_hash *h)
{
	memset(h, 0, sizeof(*h));
	h->h = BASIS;
}

static uint64_t load64(const unsigned char *p)
{
	uint64_t w = 0;
	for (int i = 7; i >= 0; i--) /* little-endian on every host */
		w = w << 8 | p[i];
	return w;
}

void lamb_hash_update(struct lamb_hash *h, const void *data, size_t n)
{
	const unsigned char *p = data;
	h->total += n;
	if (h->ntail) {
		size_t take = 8 - h->ntail < n ? 8 - h->ntail : n;
		memcpy(h->tail + h->ntail, p, take);
		h->ntail += take;
		p += take;
		n -= take;
		if (h->ntail < 8)
			return;
		h->h = mix_word(h->h, load64(h->tail));
		h->ntail = 0;
	}
	for (; n >= 8; p += 8, n -= 8)
		h->h = mix_word(h->h, load64(p));
	memcpy(h->tail + h->ntail, p, n);
	h->ntail += n;
}

void lamb_hash_str(struct lamb_hash *h, const char *s)
{
	lamb_hash_update(h, s ? s : "", (s ? strlen(s) : 0) + 1);
}

void lamb_hash_u64(struct lamb_hash *h, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	lamb_hash_update(h, b, 8);
}

uint64_t lamb_hash_final(const struct lamb_hash *h)
{
	uint64_t x = h->h;
	for (size_t i = 0; i < h->ntail; i++)
		x = (x ^ h->tail[i]) * PRIME;
	x = mix_word(x, h->total);
	/* final avalanche (a murmur-style finaliser) */
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

void lamb_hash_hex(uint64_t v, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)v);
}
