/* Allocation wrappers (cJSON's too) and the byte buffer. Out of memory is
 * not a recoverable condition for lamb: we say so and abort. */
#include "base/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "lamb: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

/* cJSON allocates through xmalloc, so that out of memory aborts there as
 * everywhere else in lamb: cJSON_Create*, cJSON_Add*, cJSON_Print* and
 * cJSON_PrintUnformatted then never return NULL for a valid argument,
 * and no caller checks them (a parse still returns NULL, for bad JSON
 * only). A constructor, not a call in main(): this file is linked into
 * every program that uses liblamb (lamb, the unit tests, the fuzzers, the
 * benchmarks), since every module but json.c allocates through it, and
 * the hooks are in place before any of them runs a line or starts a
 * thread. The cost:
 * with its allocator replaced, cJSON no longer uses realloc, so a print
 * ends with one malloc and copy of the text where realloc shrank the
 * buffer in place (and a print past 256 bytes copies as it grows);
 * parsing is unchanged. */
__attribute__((constructor)) static void cjson_hooks(void)
{
	cJSON_Hooks hooks = { .malloc_fn = xmalloc, .free_fn = free };
	cJSON_InitHooks(&hooks);
}

void *xcalloc(size_t count, size_t n)
{
	void *p = calloc(count ? count : 1, n ? n : 1);
	if (!p)
		oom(count * n);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		oom(strlen(fmt));
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void *xgrow(void *array, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return array;
	size_t n = *cap ? *cap * 2 : 8;
	while (n < need)
		n *= 2;
	*cap = n;
	return xrealloc(array, n * elem);
}

void lamb_buf_init(struct lamb_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void lamb_buf_release(struct lamb_buf *b)
{
	if (!b)
		return;
	free(b->data);
	lamb_buf_init(b);
}

void lamb_buf_add(struct lamb_buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap)
		b->data = xgrow(b->data, &b->cap, b->len + n + 1, 1);
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void lamb_buf_addstr(struct lamb_buf *b, const char *s)
{
	lamb_buf_add(b, s, strlen(s));
}

void lamb_buf_addch(struct lamb_buf *b, char c)
{
	if (b->len + 2 > b->cap)
		b->data = xgrow(b->data, &b->cap, b->len + 2, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void lamb_buf_addf(struct lamb_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	lamb_buf_addstr(b, s);
	free(s);
}

/* The escape for byte c, or 0 when it goes out as it is. DEL is escaped
 * (JSON would take it raw, YAML would not); bytes from 0x80 go raw, as
 * both read UTF-8. */
static size_t escape(unsigned char c, char esc[6])
{
	static const char hex[] = "0123456789abcdef";
	if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
		return 0;
	esc[0] = '\\';
	switch (c) {
	case '"': esc[1] = '"'; return 2;
	case '\\': esc[1] = '\\'; return 2;
	case '\b': esc[1] = 'b'; return 2;
	case '\f': esc[1] = 'f'; return 2;
	case '\n': esc[1] = 'n'; return 2;
	case '\r': esc[1] = 'r'; return 2;
	case '\t': esc[1] = 't'; return 2;
	}
	memcpy(esc + 1, "u00", 3);
	esc[4] = hex[c >> 4];
	esc[5] = hex[c & 15];
	return 6;
}

/* Room for the plain case is made once and bytes are stored one by one:
 * this writes every string of every API Gateway event, mostly short ones,
 * for which a call per run (to grow and copy) cost three times as much. */
void lamb_buf_addquotedn(struct lamb_buf *b, const char *s, size_t n)
{
	b->data = xgrow(b->data, &b->cap, b->len + n + 3, 1);
	char *o = b->data + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		size_t k;
		while (n - i >= 8 && (k = lamb_json_plain8(s + i)) > 0) { /* a word's plain bytes */
			memcpy(o, s + i, 8); /* the room is there: n - i >= 8 */
			o += k;
			i += k;
		}
		if (i == n)
			break;
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) { /* escape()'s test, inline */
			*o++ = (char)c;
			continue;
		}
		char esc[6];
		size_t len = escape(c, esc);
		b->len = (size_t)(o - b->data);
		b->data = xgrow(b->data, &b->cap, b->len + len + (n - i - 1) + 3, 1);
		o = b->data + b->len;
		memcpy(o, esc, len);
		o += len;
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->data);
}

void lamb_buf_addquoted(struct lamb_buf *b, const char *s)
{
	lamb_buf_addquotedn(b, s, strlen(s));
}

char *lamb_buf_steal(struct lamb_buf *b)
{
	if (!b->data)
		lamb_buf_add(b, "", 0);
	char *s = b->data;
	lamb_buf_init(b);
	return s;
}

char *lamb_put_dec(char *out, long long v)
{
	char digits[24];
	int k = 0;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	if (v < 0)
		*out++ = '-';
	do
		digits[k++] = (char)('0' + u % 10);
	while ((u /= 10));
	while (k)
		*out++ = digits[--k];
	return out;
}

/* Rounded as printf rounds: by the double's exact value, halves to even.
 * v * 100 is off by at most 2^-53 of itself (1.2e-5 below 1e9 ms, 11
 * days); only where that could decide the rounding, within 1e-4 of a
 * half, and for what is negative, huge or not a number, printf decides. */
static char *printf_fixed2(char *out, double v)
{
	int n = snprintf(out, 32, "%.2f", v);
	return out + (n < 0 ? 0 : n < 32 ? n : 31);
}

char *lamb_put_fixed2(char *out, double v)
{
	if (!(v > 0 && v < 1e9)) /* -0.0 too */
		return printf_fixed2(out, v);
	double t = v * 100.0;
	unsigned long long c = (unsigned long long)t; /* t > 0: its floor */
	double frac = t - (double)c;
	if (fabs(frac - 0.5) < 1e-4)
		return printf_fixed2(out, v);
	c += frac > 0.5;
	out = lamb_put_dec(out, (long long)(c / 100));
	*out++ = '.';
	*out++ = (char)('0' + c / 10 % 10);
	*out++ = (char)('0' + c % 10);
	return out;
}

bool str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

char *lamb_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct lamb_buf b;
	lamb_buf_init(&b);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		lamb_buf_add(&b, chunk, n);
	int failed = ferror(f);
	int saved = errno;
	fclose(f);
	if (failed) {
		lamb_buf_release(&b);
		errno = saved ? saved : EIO;
		return NULL;
	}
	if (len)
		*len = b.len;
	return lamb_buf_steal(&b);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *lamb_base64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < len ? p[i + 2] : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

void *lamb_base64_decode(const char *s, size_t len, size_t *out_len)
{
	unsigned char *out = xmalloc(len / 4 * 3 + 3);
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0;
	size_t i = 0;
	for (; i < len && s[i] != '='; i++) {
		if (s[i] == '\n' || s[i] == '\r')
			continue;
		int v = b64_value(s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	for (; i < len; i++) {
		if (s[i] != '=' && s[i] != '\n' && s[i] != '\r') {
			free(out);
			return NULL;
		}
	}
	*out_len = n;
	return out;
}

bool lamb_utf8_valid(const void *data, size_t len)
{
	const unsigned char *p = data, *end = p + len;
	while (p < end) {
		unsigned c = *p++;
		int more;
		unsigned min;
		if (c < 0x80)
			continue;
		if ((c & 0xE0) == 0xC0) {
			more = 1, min = 0x80, c &= 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			more = 2, min = 0x800, c &= 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			more = 3, min = 0x10000, c &= 0x07;
		} else {
			return false;
		}
		if (end - p < more)
			return false;
		for (int i = 0; i < more; i++) {
			if ((*p & 0xC0) != 0x80)
				return false;
			c = c << 6 | (*p++ & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return false;
	}
	return true;
}
