/* A recursive-descent reader for the XML AWS answers with: elements and
 * their text, nothing more. Attributes are read past (AWS puts only xmlns
 * there), DOCTYPE is refused rather than half-understood. Bounded depth and
 * input size keep any input safe; the fuzz target leans on that. */
#include "aws/xml.h"

#include "base/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_INPUT (64u * 1024 * 1024)

struct parser {
	const char *p, *end, *start;
	int depth;
	struct lamb_err *err;
};

static int fail(struct parser *ps, const char *what)
{
	unsigned line = 1;
	for (const char *q = ps->start; q < ps->p && q < ps->end; q++)
		line += *q == '\n';
	return lamb_err_set(ps->err, "line %u: %s", line, what);
}

static bool at(struct parser *ps, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(ps->end - ps->p) >= n && memcmp(ps->p, s, n) == 0;
}

/* Moves past the next occurrence of s; -1 when there is none. */
static int skip_past(struct parser *ps, const char *s, const char *what)
{
	size_t n = strlen(s);
	for (; (size_t)(ps->end - ps->p) >= n; ps->p++)
		if (memcmp(ps->p, s, n) == 0) {
			ps->p += n;
			return 0;
		}
	ps->p = ps->end;
	return fail(ps, what);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_name_char(char c)
{
	return !is_space(c) && c != '>' && c != '/' && c != '=' && c != '<' && c != '"' && c != '\'';
}

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end && is_space(*ps->p))
		ps->p++;
}

/* Comments, processing instructions and the XML declaration. */
static int skip_misc(struct parser *ps)
{
	for (;;) {
		skip_space(ps);
		if (at(ps, "<?")) {
			if (skip_past(ps, "?>", "unterminated processing instruction") < 0)
				return -1;
		} else if (at(ps, "<!--")) {
			if (skip_past(ps, "-->", "unterminated comment") < 0)
				return -1;
		} else if (at(ps, "<!")) {
			return fail(ps, "DOCTYPE and other declarations are not supported");
		} else {
			return 0;
		}
	}
}

static void add_utf8(struct lamb_buf *b, uint32_t c)
{
	if (c < 0x80) {
		lamb_buf_addch(b, (char)c);
	} else if (c < 0x800) {
		lamb_buf_addch(b, (char)(0xc0 | (c >> 6)));
		lamb_buf_addch(b, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		lamb_buf_addch(b, (char)(0xe0 | (c >> 12)));
		lamb_buf_addch(b, (char)(0x80 | ((c >> 6) & 0x3f)));
		lamb_buf_addch(b, (char)(0x80 | (c & 0x3f)));
	} else {
		lamb_buf_addch(b, (char)(0xf0 | (c >> 18)));
		lamb_buf_addch(b, (char)(0x80 | ((c >> 12) & 0x3f)));
		lamb_buf_addch(b, (char)(0x80 | ((c >> 6) & 0x3f)));
		lamb_buf_addch(b, (char)(0x80 | (c & 0x3f)));
	}
}

static int char_ref(struct parser *ps, const char *s, size_t n, struct lamb_buf *b)
{
	uint32_t c = 0;
	bool hex = n > 1 && s[1] == 'x';
	size_t i = hex ? 2 : 1;
	if (i >= n)
		return fail(ps, "empty character reference");
	for (; i < n; i++) {
		char d = s[i];
		int v = d >= '0' && d <= '9' ? d - '0'
			: hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
			: hex && d >= 'A' && d <= 'F' ? d - 'A' + 10 : -1;
		if (v < 0)
			return fail(ps, "bad character reference");
		c = c * (hex ? 16 : 10) + (uint32_t)v;
		if (c > 0x10ffff)
			return fail(ps, "character reference out of range");
	}
	if (c == 0 || (c >= 0xd800 && c <= 0xdfff))
		return fail(ps, "character reference out of range");
	add_utf8(b, c);
	return 0;
}

/* At '&': one entity or character reference into b. */
static int entity(struct parser *ps, struct lamb_buf *b)
{
	static const char *names[][2] = {
		{ "lt", "<" }, { "gt", ">" }, { "amp", "&" }, { "quot", "\"" }, { "apos", "'" },
	};
	const char *s = ps->p + 1;
	const char *semi = memchr(s, ';', (size_t)(ps->end - s) < 12 ? (size_t)(ps->end - s) : 12);
	if (!semi)
		return fail(ps, "unterminated entity");
	size_t n = (size_t)(semi - s);
	ps->p = semi + 1;
	if (n > 0 && s[0] == '#')
		return char_ref(ps, s, n, b);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i][0]) == n && memcmp(s, names[i][0], n) == 0) {
			lamb_buf_addstr(b, names[i][1]);
			return 0;
		}
	return fail(ps, "unknown entity");
}

/* Reads past the attributes to '>' or "/>"; *empty tells which. */
static int skip_attributes(struct parser *ps, bool *empty)
{
	while (ps->p < ps->end) {
		char c = *ps->p;
		if (c == '>' || (c == '/' && ps->p + 1 < ps->end && ps->p[1] == '>')) {
			*empty = c == '/';
			ps->p += *empty ? 2 : 1;
			return 0;
		}
		if (c == '"' || c == '\'') {
			const char *q = memchr(ps->p + 1, c, (size_t)(ps->end - ps->p - 1));
			if (!q)
				break;
			ps->p = q + 1;
		} else if (c == '<') {
			return fail(ps, "'<' inside a tag");
		} else {
			ps->p++;
		}
	}
	ps->p = ps->end;
	return fail(ps, "unterminated tag");
}

static const char *local_name(const char *name)
{
	const char *colon = strrchr(name, ':');
	return colon ? colon + 1 : name;
}

static struct lamb_xml *element(struct parser *ps);

/* Text, CDATA, comments and child elements up to the end tag of x. */
static int content(struct parser *ps, struct lamb_xml *x, const char *qname)
{
	struct lamb_buf text;
	lamb_buf_init(&text);
	struct lamb_xml **tail = &x->first_child;
	while (ps->p < ps->end) {
		char c = *ps->p;
		if (c == '&') {
			if (entity(ps, &text) < 0)
				goto fail;
		} else if (c != '<') {
			lamb_buf_addch(&text, c);
			ps->p++;
		} else if (at(ps, "<![CDATA[")) {
			const char *s = ps->p + 9;
			if (skip_past(ps, "]]>", "unterminated CDATA") < 0)
				goto fail;
			lamb_buf_add(&text, s, (size_t)(ps->p - 3 - s));
		} else if (at(ps, "<!--")) {
			if (skip_past(ps, "-->", "unterminated comment") < 0)
				goto fail;
		} else if (at(ps, "<?")) {
			if (skip_past(ps, "?>", "unterminated processing instruction") < 0)
				goto fail;
		} else if (at(ps, "</")) {
			size_t n = strlen(qname);
			ps->p += 2;
			if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, qname, n) != 0 ||
			    (ps->p + n < ps->end && is_name_char(ps->p[n]))) {
				fail(ps, "mismatched end tag");
				goto fail;
			}
			ps->p += n;
			skip_space(ps);
			if (ps->p >= ps->end || *ps->p != '>') {
				fail(ps, "malformed end tag");
				goto fail;
			}
			ps->p++;
			x->text = lamb_buf_steal(&text);
			return 0;
		} else {
			struct lamb_xml *child = element(ps);
			if (!child)
				goto fail;
			*tail = child;
			tail = &child->next;
		}
	}
	fail(ps, "unexpected end of input: element not closed");
fail:
	lamb_buf_release(&text);
	return -1;
}

/* At '<' of a start tag. */
static struct lamb_xml *element(struct parser *ps)
{
	if (++ps->depth > MAX_DEPTH) {
		fail(ps, "elements nested too deeply");
		return NULL;
	}
	ps->p++;
	const char *s = ps->p;
	while (ps->p < ps->end && is_name_char(*ps->p))
		ps->p++;
	if (ps->p == s) {
		fail(ps, "expected an element name");
		return NULL;
	}
	cleanup_free char *qname = xstrndup(s, (size_t)(ps->p - s));
	bool empty = false;
	if (skip_attributes(ps, &empty) < 0)
		return NULL;
	struct lamb_xml *x = xcalloc(1, sizeof(*x));
	x->name = xstrdup(local_name(qname));
	if (empty)
		x->text = xstrdup("");
	else if (content(ps, x, qname) < 0) {
		lamb_xml_free(x);
		return NULL;
	}
	ps->depth--;
	return x;
}

struct lamb_xml *lamb_xml_parse(const char *data, size_t len, struct lamb_err *err)
{
	struct parser ps = { .p = data, .end = data + len, .start = data, .err = err };
	if (len > MAX_INPUT) {
		lamb_err_set(err, "XML answer too large (%zu bytes)", len);
		return NULL;
	}
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		ps.p += 3;
	if (skip_misc(&ps) < 0)
		return NULL;
	if (ps.p >= ps.end || *ps.p != '<') {
		fail(&ps, "expected an XML element");
		return NULL;
	}
	struct lamb_xml *root = element(&ps);
	if (!root)
		return NULL;
	if (skip_misc(&ps) < 0 || ps.p < ps.end) {
		if (ps.p < ps.end)
			fail(&ps, "content after the root element");
		lamb_xml_free(root);
		return NULL;
	}
	return root;
}

void lamb_xml_free(struct lamb_xml *x)
{
	/* siblings iteratively, children recursively: depth is bounded */
	while (x) {
		struct lamb_xml *next = x->next;
		lamb_xml_free(x->first_child);
		free(x->name);
		free(x->text);
		free(x);
		x = next;
	}
}

const struct lamb_xml *lamb_xml_child(const struct lamb_xml *x, const char *name)
{
	for (const struct lamb_xml *c = x ? x->first_child : NULL; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct lamb_xml *lamb_xml_find(const struct lamb_xml *x, const char *path)
{
	while (x && *path) {
		const char *slash = strchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : strlen(path);
		cleanup_free char *name = xstrndup(path, n);
		x = lamb_xml_child(x, name);
		path += n + (slash ? 1 : 0);
	}
	return x;
}

const char *lamb_xml_text(const struct lamb_xml *x, const char *path)
{
	const struct lamb_xml *e = lamb_xml_find(x, path);
	return e ? e->text : NULL;
}

const struct lamb_xml *lamb_xml_next(const struct lamb_xml *x)
{
	for (const struct lamb_xml *s = x ? x->next : NULL; s; s = s->next)
		if (strcmp(s->name, x->name) == 0)
			return s;
	return NULL;
}
