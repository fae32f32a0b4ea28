/* The event-stream encoder: big-endian lengths, CRC32 (zlib's, the same
 * polynomial as the format's) over the prelude and over the whole message.
 * Decoding is the SDKs' business; the unit test decodes to check. */
#include "front/event-stream.h"

#include <stdint.h>
#include <string.h>
#include <zlib.h>

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* name_len(1) name type(1) = 7 (string) value_len(2) value */
static void header(struct lamb_buf *b, const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);
	unsigned char t[3] = { 7, (unsigned char)(v >> 8), (unsigned char)v };
	unsigned char nl = (unsigned char)n;
	lamb_buf_add(b, (const char *)&nl, 1);
	lamb_buf_add(b, name, n);
	lamb_buf_add(b, (const char *)t, 3);
	lamb_buf_add(b, value, v);
}

void lamb_event_stream_add(struct lamb_buf *out, const char *event_type, const char *content_type,
			   const void *payload, size_t len)
{
	struct lamb_buf h;
	lamb_buf_init(&h);
	header(&h, ":event-type", event_type);
	header(&h, ":content-type", content_type);
	header(&h, ":message-type", "event");
	unsigned char prelude[12];
	be32(prelude, (uint32_t)(12 + h.len + len + 4));
	be32(prelude + 4, (uint32_t)h.len);
	be32(prelude + 8, (uint32_t)crc32(0, prelude, 8));
	size_t start = out->len;
	lamb_buf_add(out, (const char *)prelude, 12);
	lamb_buf_add(out, h.data, h.len);
	lamb_buf_add(out, payload, len);
	unsigned char crc[4];
	be32(crc, (uint32_t)crc32(0, (const unsigned char *)out->data + start, (uInt)(out->len - start)));
	lamb_buf_add(out, (const char *)crc, 4);
	lamb_buf_release(&h);
}
