/* Small helpers every module uses: allocation that aborts on exhaustion,
 * a growable byte buffer, cleanup attributes for locals, and string tests.
 * Nothing here knows about templates or processes. */
#ifndef LAMB_UTIL_H
#define LAMB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation: never returns NULL; prints and aborts when memory is gone. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* Grows *array (of *cap elements of size elem) so that index need-1 fits. */
void *xgrow(void *array, size_t *cap, size_t need, size_t elem);

/* A growable, always NUL-terminated byte buffer. Embedded: _init/_release. */
struct lamb_buf {
	char *data;
	size_t len;
	size_t cap;
};

void lamb_buf_init(struct lamb_buf *b);
void lamb_buf_release(struct lamb_buf *b);
void lamb_buf_add(struct lamb_buf *b, const void *data, size_t n);
void lamb_buf_addstr(struct lamb_buf *b, const char *s);
void lamb_buf_addch(struct lamb_buf *b, char c);
void lamb_buf_addf(struct lamb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s (n bytes, NULs allowed) as a double-quoted string that JSON and YAML
 * read the same: '"' and '\\' escaped, \b \f \n \r \t as such, other control
 * characters and DEL as \u00XX. The one JSON string escaper: cJSON's
 * printer escapes the same bytes (but DEL). */
void lamb_buf_addquotedn(struct lamb_buf *b, const char *s, size_t n);
/* Bytes a JSON string cannot hold as they are, among the 8 at p: a quote, a
 * backslash, a control character or DEL. Returns the offset of the first
 * (0-7), or 8 when there is none: strings go a word a step. The exact "any
 * byte" tests of Bit Twiddling Hacks; the lowest flag is exact (a borrow
 * only runs upwards). Inline: the event writer and the result scanner call
 * it per word, from two layers. */
static inline size_t lamb_json_plain8(const char *p)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t v, q, b, d, m;
	memcpy(&v, p, 8);
	q = v ^ (ones * '"');
	b = v ^ (ones * '\\');
	d = v ^ (ones * 0x7f);
	m = (((q - ones) & ~q) | ((b - ones) & ~b) | ((d - ones) & ~d) | ((v - ones * 0x20) & ~v)) & highs;
	if (!m)
		return 8;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(m) / 8;
#else
	return (size_t)__builtin_clzll(m) / 8;
#endif
}
void lamb_buf_addquoted(struct lamb_buf *b, const char *s);
/* Hands the contents to the caller (free() it) and leaves b empty. */
char *lamb_buf_steal(struct lamb_buf *b);

/* Numbers as printf's "%lld" and "%.2f" write them, without printf (which
 * costs 1,000-2,500 instructions a call; the log lines of every warm
 * invocation make five). Each returns the end of what it wrote, unended;
 * out needs 21 bytes, or 32 for put_fixed2. */
char *lamb_put_dec(char *out, long long v);
char *lamb_put_fixed2(char *out, double v);

bool str_starts(const char *s, const char *prefix);
bool str_ends(const char *s, const char *suffix);
bool str_eq(const char *a, const char *b); /* NULL-safe */

/* Base64 (RFC 4648, with padding). encode returns a NUL-terminated string;
 * decode returns NULL on malformed input. Both: caller frees. */
char *lamb_base64_encode(const void *data, size_t len);
void *lamb_base64_decode(const char *s, size_t len, size_t *out_len);

/* Whether the bytes are well-formed UTF-8 (no overlongs, no surrogates). */
bool lamb_utf8_valid(const void *data, size_t len);

/* Reads a whole file; NULL with errno set on failure. Caller frees. */
char *lamb_read_file(const char *path, size_t *len);

/* Cleanup helpers for locals (gcc/clang). */
static inline void cleanup_freep(void *p)
{
	void **pp = p;
	free(*pp);
}
#define cleanup_free __attribute__((cleanup(cleanup_freep)))

static inline void *steal_ptr_impl(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}
#define steal_ptr(p) steal_ptr_impl(&(p))

#endif
