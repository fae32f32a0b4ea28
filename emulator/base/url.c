/* Percent-encoding and -decoding: the one implementation of both, for
 * the HTTP front ends, the AWS client and the event templates alike. */
#include "base/url.h"
#include "base/util.h"

#include <string.h>

static bool unreserved(unsigned char c, int flags)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.' || c == '~' || (c == '/' && (flags & LAMB_URL_KEEP_SLASH));
}

void lamb_url_encode_into(struct lamb_buf *b, const char *s, int flags)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p, flags)) {
			lamb_buf_addch(b, (char)*p);
		} else if (*p == ' ' && (flags & LAMB_URL_PLUS_SPACE)) {
			lamb_buf_addch(b, '+');
		} else {
			char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			lamb_buf_add(b, esc, 3);
		}
	}
}

char *lamb_url_encode(const char *s, int flags)
{
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_url_encode_into(&b, s, flags);
	return lamb_buf_steal(&b);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *lamb_url_decode(const char *s, size_t len, bool plus_space)
{
	char *out = xmalloc(len + 1), *o = out;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			int h = i + 2 < len ? hex_digit(s[i + 1]) : -1;
			int l = h >= 0 ? hex_digit(s[i + 2]) : -1;
			if (l < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(h << 4 | l);
			i += 2;
		} else {
			*o++ = plus_space && s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}
