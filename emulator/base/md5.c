/* MD5 as RFC 1321 describes it: 64-byte blocks, four rounds of sixteen
 * steps, little-endian words. Compact rather than fast; events are small. */
#include "base/md5.h"

#include <string.h>

/* T[i] = floor(abs(sin(i + 1)) * 2^32), RFC 1321 section 3.4 */
static const uint32_t T[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* shift amounts per round and step within the round */
static const unsigned char S[4][4] = { { 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 } };

static uint32_t rotl(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void transform(uint32_t state[4], const unsigned char block[64])
{
	uint32_t x[16], a = state[0], b = state[1], c = state[2], d = state[3];
	for (int i = 0; i < 16; i++)
		x[i] = (uint32_t)block[4 * i] | (uint32_t)block[4 * i + 1] << 8 |
		       (uint32_t)block[4 * i + 2] << 16 | (uint32_t)block[4 * i + 3] << 24;
	for (int i = 0; i < 64; i++) {
		int round = i / 16;
		uint32_t f;
		int k;
		switch (round) {
		case 0: f = (b & c) | (~b & d), k = i; break;
		case 1: f = (b & d) | (c & ~d), k = (5 * i + 1) % 16; break;
		case 2: f = b ^ c ^ d, k = (3 * i + 5) % 16; break;
		default: f = c ^ (b | ~d), k = (7 * i) % 16; break;
		}
		uint32_t tmp = d;
		d = c;
		c = b;
		b = b + rotl(a + f + x[k] + T[i], S[round][i % 4]);
		a = tmp;
	}
	state[0] += a;
	state[1] += b;
	state[2] += c;
	state[3] += d;
}

void lamb_md5_init(struct lamb_md5 *c)
{
	static const uint32_t init[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	memcpy(c->state, init, sizeof(init));
	c->bytes = 0;
	c->used = 0;
}

void lamb_md5_update(struct lamb_md5 *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	c->bytes += len;
	while (len > 0) {
		size_t n = 64 - c->used < len ? 64 - c->used : len;
		memcpy(c->block + c->used, p, n);
		c->used += n, p += n, len -= n;
		if (c->used == 64) {
			transform(c->state, c->block);
			c->used = 0;
		}
	}
}

void lamb_md5_final(struct lamb_md5 *c, unsigned char digest[16])
{
	/* a 1 bit, zeros up to 56 mod 64, then the length in bits, little-endian */
	unsigned char pad[72] = { 0x80 };
	uint64_t bits = c->bytes * 8;
	size_t npad = c->used < 56 ? 56 - c->used : 120 - c->used;
	for (int i = 0; i < 8; i++)
		pad[npad + i] = (unsigned char)(bits >> (8 * i));
	lamb_md5_update(c, pad, npad + 8);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			digest[4 * i + j] = (unsigned char)(c->state[i] >> (8 * j));
}

void lamb_md5_hex(const void *data, size_t len, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	struct lamb_md5 c;
	unsigned char d[16];
	lamb_md5_init(&c);
	lamb_md5_update(&c, data, len);
	lamb_md5_final(&c, d);
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[32] = '\0';
}
