/* MD5 (RFC 1321), for the digests real events carry (an SQS record's
 * md5OfBody). Not for security: nothing in lamb relies on MD5 resisting
 * collisions. */
#ifndef LAMB_MD5_H
#define LAMB_MD5_H

#include <stddef.h>
#include <stdint.h>

struct lamb_md5 {
	uint32_t state[4];
	uint64_t bytes;      /* total length so far */
	unsigned char block[64];
	size_t used;         /* bytes waiting in block */
};

void lamb_md5_init(struct lamb_md5 *c);
void lamb_md5_update(struct lamb_md5 *c, const void *data, size_t len);
void lamb_md5_final(struct lamb_md5 *c, unsigned char digest[16]);

/* The digest of data as 32 lower-case hex digits and a NUL in out. */
void lamb_md5_hex(const void *data, size_t len, char out[33]);

#endif
