/* Percent-encoding and -decoding (RFC 3986) of URL parts, in one place for
 * every layer: the front ends decode paths and query strings, AWS requests
 * encode keys and forms as SigV4 signs them, and event templates encode S3
 * keys the way S3 writes them into events. */
#ifndef LAMB_URL_H
#define LAMB_URL_H

#include <stdbool.h>
#include <stddef.h>

struct lamb_buf;

enum {
	LAMB_URL_KEEP_SLASH = 1, /* '/' stays as it is (a path, an S3 key) */
	LAMB_URL_PLUS_SPACE = 2, /* ' ' becomes '+' (form encoding) */
};

/* Appends s to b with every byte but the unreserved characters (A-Z a-z
 * 0-9 - . _ ~) as %XX, upper-case hex as SigV4 requires; flags as above. */
void lamb_url_encode_into(struct lamb_buf *b, const char *s, int flags);
/* The same as a new string; caller frees. */
char *lamb_url_encode(const char *s, int flags);

/* Decodes len bytes of s (plus_space: '+' means ' ', as in query
 * strings). Returns NULL on a malformed escape ('%' not followed by two
 * hex digits); caller frees. A %00 ends the returned string early. */
char *lamb_url_decode(const char *s, size_t len, bool plus_space);

#endif
