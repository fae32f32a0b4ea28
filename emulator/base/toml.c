/* The samconfig subset of TOML, read into a cJSON tree (toml.h says which
 * subset). A hand-written recursive descent over the bytes: Debian 12 has no
 * C TOML library, and the subset is small. Only arrays nest, and no deeper
 * than MAX_DEPTH, so a hostile file cannot exhaust the stack. What TOML
 * allows and samconfig never holds is refused by name, with its line. */
#include "base/toml.h"
#include "base/util.h"

#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { MAX_DEPTH = 32, MAX_KEY_PARTS = 32 };

struct parser {
	const char *p, *end;
	const char *name;
	int line;
	cJSON *root, *table;   /* the tree, and the table [header] selected */
	cJSON **defined;       /* tables a [header] named: a second one is an error */
	size_t ndefined, defcap;
	struct lamb_err *err;
};

struct key {
	char *part[MAX_KEY_PARTS];
	size_t n;
};

static int perr(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(struct parser *ps, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lamb_err_set(ps->err, "%s:%d: %s", ps->name, ps->line, msg);
}

static void key_release(struct key *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->part[i]);
	k->n = 0;
}

static int peek(const struct parser *ps)
{
	return ps->p < ps->end ? (unsigned char)*ps->p : -1;
}

static bool at(const struct parser *ps, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(ps->end - ps->p) >= n && memcmp(ps->p, s, n) == 0;
}

static void skip_blank(struct parser *ps)
{
	while (peek(ps) == ' ' || peek(ps) == '\t')
		ps->p++;
}

/* Past blanks and a comment, on the newline (or the end). */
static void skip_to_eol(struct parser *ps)
{
	skip_blank(ps);
	if (peek(ps) == '#')
		while (ps->p < ps->end && *ps->p != '\n')
			ps->p++;
}

/* A newline ("\n" or "\r\n"): 1 consumed, 0 none. */
static int newline(struct parser *ps)
{
	if (at(ps, "\r\n"))
		ps->p++;
	if (peek(ps) != '\n')
		return 0;
	ps->p++;
	ps->line++;
	return 1;
}

/* The rest of a line after a value or a header: blanks, a comment. */
static int end_of_line(struct parser *ps)
{
	skip_to_eol(ps);
	if (ps->p == ps->end || newline(ps))
		return 0;
	int c = peek(ps);
	if (c == '\r')
		return perr(ps, "a carriage return without a newline");
	return perr(ps, isprint(c) ? "unexpected '%c' after the value" : "unexpected byte 0x%02x after the value", c);
}

/* Blank lines, comments and newlines, as between array items. */
static void skip_space(struct parser *ps)
{
	do
		skip_to_eol(ps);
	while (newline(ps));
}

static void add_utf8(struct lamb_buf *b, uint32_t c)
{
	if (c < 0x80) {
		lamb_buf_addch(b, (char)c);
	} else if (c < 0x800) {
		lamb_buf_addch(b, (char)(0xc0 | c >> 6));
		lamb_buf_addch(b, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		lamb_buf_addch(b, (char)(0xe0 | c >> 12));
		lamb_buf_addch(b, (char)(0x80 | ((c >> 6) & 0x3f)));
		lamb_buf_addch(b, (char)(0x80 | (c & 0x3f)));
	} else {
		lamb_buf_addch(b, (char)(0xf0 | c >> 18));
		lamb_buf_addch(b, (char)(0x80 | ((c >> 12) & 0x3f)));
		lamb_buf_addch(b, (char)(0x80 | ((c >> 6) & 0x3f)));
		lamb_buf_addch(b, (char)(0x80 | (c & 0x3f)));
	}
}

/* \uXXXX or \UXXXXXXXX, ps->p on the 'u': a Unicode scalar value but NUL. */
static int unicode_escape(struct parser *ps, struct lamb_buf *b)
{
	int n = *ps->p == 'u' ? 4 : 8;
	uint32_t c = 0;
	ps->p++;
	for (int i = 0; i < n; i++, ps->p++) {
		if (ps->p == ps->end || !isxdigit((unsigned char)*ps->p))
			return perr(ps, "\\%c needs %d hexadecimal digits", n == 4 ? 'u' : 'U', n);
		c = c << 4 | (uint32_t)(isdigit((unsigned char)*ps->p) ? *ps->p - '0' : (tolower(*ps->p) - 'a' + 10));
	}
	if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return perr(ps, "\\%c%0*X is not a character a string may hold", n == 4 ? 'u' : 'U', n, c);
	add_utf8(b, c);
	return 0;
}

static int escape(struct parser *ps, struct lamb_buf *b)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	ps->p++; /* the backslash */
	int c = peek(ps);
	if (c == 'u' || c == 'U')
		return unicode_escape(ps, b);
	const char *e = c > 0 ? strchr(from, c) : NULL;
	if (!e && c > 0 && isprint(c))
		return perr(ps, "unknown escape '\\%c' in a string", c);
	if (!e)
		return perr(ps, "a backslash without an escape after it");
	lamb_buf_addch(b, to[e - from]);
	ps->p++;
	return 0;
}

/* A one-line string after its opening quote, up to the closing one:
 * basic (escapes) when quote is '"', literal when '\''. */
static char *string_body(struct parser *ps, char quote)
{
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_buf_add(&b, "", 0);
	for (;;) {
		int c = peek(ps);
		if (c == quote) {
			ps->p++;
			return lamb_buf_steal(&b);
		}
		if (c < 0 || c == '\n' || c == '\r') {
			perr(ps, "unterminated string (a samconfig string ends on its line)");
			break;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			perr(ps, "control character 0x%02x in a string: write it as an escape", c);
			break;
		}
		if (c == '\\' && quote == '"') {
			if (escape(ps, &b) < 0)
				break;
			continue;
		}
		lamb_buf_addch(&b, (char)c);
		ps->p++;
	}
	lamb_buf_release(&b);
	return NULL;
}

static char *string(struct parser *ps)
{
	char quote = *ps->p;
	if (at(ps, quote == '"' ? "\"\"\"" : "'''")) {
		perr(ps, "multi-line strings (%c%c%c) are not supported in samconfig files", quote, quote, quote);
		return NULL;
	}
	ps->p++;
	return string_body(ps, quote);
}

static bool bare_key_char(int c)
{
	return c > 0 && (isalnum(c) || c == '_' || c == '-');
}

/* One part of a key: bare, "basic" or 'literal'. Allocated; NULL on error. */
static char *simple_key(struct parser *ps)
{
	int c = peek(ps);
	if (c == '"' || c == '\'')
		return string(ps);
	const char *start = ps->p;
	while (bare_key_char(peek(ps)))
		ps->p++;
	if (ps->p > start)
		return xstrndup(start, (size_t)(ps->p - start));
	if (c < 0 || c == '\n' || c == '\r' || c == '#')
		perr(ps, "a key is missing");
	else
		perr(ps, isprint(c) ? "unexpected '%c' where a key should be" : "unexpected byte 0x%02x where a key should be", c);
	return NULL;
}

/* a, a.b, "a b".'c': the parts into k. */
static int dotted_key(struct parser *ps, struct key *k)
{
	for (;;) {
		skip_blank(ps);
		if (k->n == MAX_KEY_PARTS)
			return perr(ps, "a key of more than %d parts", MAX_KEY_PARTS);
		char *part = simple_key(ps);
		if (!part)
			return -1;
		k->part[k->n++] = part;
		skip_blank(ps);
		if (peek(ps) != '.')
			return 0;
		ps->p++;
	}
}

static int array(struct parser *ps, int depth, cJSON **out);

/* [+-]digits[_digits]... with no leading zero: whether s..e is one. */
static bool decimal_digits(const char *s, const char *e)
{
	if (s < e && (*s == '+' || *s == '-'))
		s++;
	if (s == e || (*s == '0' && e - s > 1))
		return false;
	for (const char *q = s; q < e; q++)
		if (!isdigit((unsigned char)*q) && !(*q == '_' && q > s && q + 1 < e && isdigit((unsigned char)q[1]) &&
						     isdigit((unsigned char)q[-1])))
			return false;
	return true;
}

/* digits[_digits]..., after a sign when sign allows one */
static bool digits_only(const char *s, const char *e, bool sign)
{
	if (sign && s < e && (*s == '+' || *s == '-'))
		s++;
	if (s == e)
		return false;
	for (const char *q = s; q < e; q++)
		if (!isdigit((unsigned char)*q) && !(*q == '_' && q > s && q + 1 < e && isdigit((unsigned char)q[1]) &&
						     isdigit((unsigned char)q[-1])))
			return false;
	return true;
}

/* A float: int part, then .digits and/or e[+-]digits. */
static bool float_form(const char *s, const char *e)
{
	const char *dot = memchr(s, '.', (size_t)(e - s));
	const char *x = s;
	while (x < e && *x != 'e' && *x != 'E')
		x++;
	if (!dot && x == e)
		return false;
	const char *int_end = dot ? dot : x;
	if (!decimal_digits(s, int_end))
		return false;
	if (dot && (dot > x || !digits_only(dot + 1, x, false)))
		return false;
	return x == e || digits_only(x + 1, e, true);
}

static int number(struct parser *ps, cJSON **out)
{
	const char *s = ps->p;
	while (ps->p < ps->end && (isalnum((unsigned char)*ps->p) || strchr("+-._:", *ps->p)))
		ps->p++;
	char *tok = xstrndup(s, (size_t)(ps->p - s)), *w = tok;
	const char *e = s + (ps->p - s);
	int rc = 0;
	if (strpbrk(tok, ":") || (e - s >= 10 && isdigit((unsigned char)s[0]) && s[4] == '-'))
		rc = perr(ps, "dates and times are not supported in samconfig files ('%s')", tok);
	else if (strstr(tok, "inf") || strstr(tok, "nan"))
		rc = perr(ps, "inf and nan are not supported in samconfig files");
	else if (strlen(tok) > 2 && tok[0] == '0' && strchr("xob", tok[1]))
		rc = perr(ps, "hexadecimal, octal and binary numbers are not supported in samconfig files ('%s')", tok);
	else if (!decimal_digits(s, e) && !float_form(s, e))
		rc = perr(ps, "'%s' is not a number", tok);
	if (rc == 0) {
		for (char *r = tok; *r; r++) /* drop the underscores */
			if (*r != '_')
				*w++ = *r;
		*w = '\0';
		errno = 0;
		double d = strtod(tok, NULL);
		if (errno || !isfinite(d) || (decimal_digits(s, e) && fabs(d) > 9007199254740992.0))
			rc = perr(ps, "number '%.*s' is out of range", (int)(e - s), s);
		else
			*out = cJSON_CreateNumber(d);
	}
	free(tok);
	return rc;
}

static int word(struct parser *ps, cJSON **out)
{
	if (at(ps, "true") && !bare_key_char(ps->p + 4 < ps->end ? ps->p[4] : 0)) {
		ps->p += 4;
		*out = cJSON_CreateTrue();
		return 0;
	}
	if (at(ps, "false") && !bare_key_char(ps->p + 5 < ps->end ? ps->p[5] : 0)) {
		ps->p += 5;
		*out = cJSON_CreateFalse();
		return 0;
	}
	int c = peek(ps);
	if (c < 0 || c == '\n' || c == '\r' || c == '#')
		return perr(ps, "a value is missing");
	if (c == 'i' || c == 'n')
		return number(ps, out);
	return perr(ps, isprint(c) ? "unexpected '%c' where a value should be (strings take quotes)"
				   : "unexpected byte 0x%02x where a value should be", c);
}

static int value(struct parser *ps, int depth, cJSON **out)
{
	int c = peek(ps);
	*out = NULL;
	if (c == '"' || c == '\'') {
		char *s = string(ps);
		if (!s)
			return -1;
		*out = cJSON_CreateString(s);
		free(s);
		return 0;
	}
	if (c == '[')
		return array(ps, depth + 1, out);
	if (c == '{')
		return perr(ps, "inline tables ({...}) are not supported in samconfig files");
	if (c > 0 && (isdigit(c) || c == '+' || c == '-' || c == '.'))
		return number(ps, out);
	return word(ps, out);
}

/* [ value, value, ] over any lines, with comments. */
static int array(struct parser *ps, int depth, cJSON **out)
{
	if (depth > MAX_DEPTH)
		return perr(ps, "arrays nested more than %d deep", MAX_DEPTH);
	ps->p++; /* [ */
	cJSON *a = cJSON_CreateArray();
	for (;;) {
		skip_space(ps);
		if (peek(ps) == ']')
			break;
		cJSON *item;
		if (value(ps, depth, &item) < 0)
			goto fail;
		cJSON_AddItemToArray(a, item);
		skip_space(ps);
		if (peek(ps) == ',') {
			ps->p++;
			continue;
		}
		if (peek(ps) != ']') {
			perr(ps, peek(ps) < 0 ? "unterminated array" : "expected ',' or ']' in an array");
			goto fail;
		}
		break;
	}
	ps->p++; /* ] */
	*out = a;
	return 0;
fail:
	cJSON_Delete(a);
	return -1;
}

/* The table at k's parts [0, n) below t, made when missing. */
static cJSON *walk(struct parser *ps, cJSON *t, const struct key *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cJSON *next = cJSON_GetObjectItemCaseSensitive(t, k->part[i]);
		if (!next) {
			next = cJSON_CreateObject();
			cJSON_AddItemToObject(t, k->part[i], next);
		} else if (!cJSON_IsObject(next)) {
			perr(ps, "'%s' is a value already, not a table", k->part[i]);
			return NULL;
		}
		t = next;
	}
	return t;
}

/* [a.b] */
static int header(struct parser *ps)
{
	if (at(ps, "[["))
		return perr(ps, "arrays of tables ([[...]]) are not supported in samconfig files");
	ps->p++;
	struct key k = { .n = 0 };
	int rc = dotted_key(ps, &k);
	if (rc == 0 && peek(ps) != ']')
		rc = perr(ps, "expected ']' to end the table header");
	cJSON *t = rc == 0 ? walk(ps, ps->root, &k, k.n) : NULL;
	for (size_t i = 0; t && i < ps->ndefined; i++)
		if (ps->defined[i] == t)
			rc = perr(ps, "table [%s] is defined twice", k.part[k.n - 1]);
	if (t && rc == 0) {
		ps->p++;
		ps->defined = xgrow(ps->defined, &ps->defcap, ps->ndefined + 1, sizeof(*ps->defined));
		ps->defined[ps->ndefined++] = t;
		ps->table = t;
		rc = end_of_line(ps);
	}
	key_release(&k);
	return t ? rc : -1;
}

/* key = value */
static int key_value(struct parser *ps)
{
	struct key k = { .n = 0 };
	int rc = dotted_key(ps, &k);
	if (rc == 0 && peek(ps) != '=')
		rc = perr(ps, "expected '=' after the key '%s'", k.part[k.n - 1]);
	cJSON *t = rc == 0 ? walk(ps, ps->table, &k, k.n - 1) : NULL;
	cJSON *v = NULL;
	if (t && cJSON_GetObjectItemCaseSensitive(t, k.part[k.n - 1]))
		rc = perr(ps, "key '%s' is defined twice", k.part[k.n - 1]);
	else if (t) {
		ps->p++;
		skip_blank(ps);
		rc = value(ps, 0, &v);
	}
	if (t && rc == 0) {
		cJSON_AddItemToObject(t, k.part[k.n - 1], v);
		rc = end_of_line(ps);
	}
	key_release(&k);
	return t ? rc : -1;
}

/* The line of the first NUL or malformed UTF-8 byte. */
static int check_bytes(struct parser *ps)
{
	const char *s = ps->p;
	while (s < ps->end) {
		const char *nl = memchr(s, '\n', (size_t)(ps->end - s));
		const char *e = nl ? nl : ps->end;
		if (memchr(s, '\0', (size_t)(e - s)))
			return perr(ps, "a NUL byte");
		if (!lamb_utf8_valid(s, (size_t)(e - s)))
			return perr(ps, "not UTF-8");
		ps->line++;
		s = e + 1;
	}
	ps->line = 1;
	return 0;
}

cJSON *lamb_toml_parse(const char *text, size_t len, const char *name, struct lamb_err *err)
{
	struct parser ps = { .p = text, .end = text + len, .name = name, .line = 1, .err = err };
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) /* a byte order mark */
		ps.p += 3;
	if (check_bytes(&ps) < 0)
		return NULL;
	ps.root = ps.table = cJSON_CreateObject();
	int rc = 0;
	while (rc == 0) {
		skip_space(&ps);
		if (ps.p == ps.end)
			break;
		rc = peek(&ps) == '[' ? header(&ps) : key_value(&ps);
	}
	free(ps.defined);
	if (rc == 0)
		return ps.root;
	cJSON_Delete(ps.root);
	return NULL;
}
