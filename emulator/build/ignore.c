/* The .lambignore matcher. A hand-written glob rather than fnmatch(3)
 * because gitignore's '**' has no fnmatch flag; bracket expressions are
 * still handed to fnmatch, which knows every class syntax. */
#include "base/util.h"
#include "build/ignore.h"

#include <errno.h>
#include <fnmatch.h>
#include <string.h>

void lamb_ignore_init(struct lamb_ignore *ig)
{
	memset(ig, 0, sizeof(*ig));
}

void lamb_ignore_release(struct lamb_ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->len; i++)
		free(ig->v[i].pattern);
	free(ig->v);
	memset(ig, 0, sizeof(*ig));
}

/* Trailing blanks go unless escaped with a backslash, as in git. */
static size_t trimmed_len(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
		if (n >= 2 && s[n - 2] == '\\')
			break;
		n--;
	}
	return n;
}

static void add_n(struct lamb_ignore *ig, const char *line, size_t n)
{
	n = trimmed_len(line, n);
	if (n == 0 || line[0] == '#')
		return;
	struct lamb_ignore_rule r = { 0 };
	if (line[0] == '!') {
		r.negate = true;
		line++, n--;
	} else if (line[0] == '\\' && n > 1 && (line[1] == '!' || line[1] == '#')) {
		line++, n--;
	}
	if (n && line[n - 1] == '/') {
		r.dir_only = true;
		n--;
	}
	if (memchr(line, '/', n))
		r.anchored = true;
	if (n && line[0] == '/')
		line++, n--;
	if (n == 0)
		return;
	r.pattern = xstrndup(line, n);
	ig->v = xgrow(ig->v, &ig->cap, ig->len + 1, sizeof(*ig->v));
	ig->v[ig->len++] = r;
}

void lamb_ignore_add(struct lamb_ignore *ig, const char *line)
{
	add_n(ig, line, strlen(line));
}

void lamb_ignore_parse(struct lamb_ignore *ig, const char *text, size_t len)
{
	const char *end = text + len;
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t n = nl ? (size_t)(nl - text) : (size_t)(end - text);
		add_n(ig, text, n);
		text += n + (nl != NULL);
	}
}

int lamb_ignore_load(struct lamb_ignore *ig, const char *path, struct lamb_err *err)
{
	size_t len;
	cleanup_free char *text = lamb_read_file(path, &len);
	if (!text)
		return errno == ENOENT ? 0 : lamb_err_set(err, "cannot read '%s': %s", path, strerror(errno));
	lamb_ignore_parse(ig, text, len);
	return 0;
}

/* A bracket expression at p: its length (through ']'), or 0 if unclosed. */
static size_t bracket_len(const char *p)
{
	size_t i = 1;
	if (p[i] == '!' || p[i] == '^')
		i++;
	if (p[i] == ']')
		i++;
	for (; p[i] && p[i] != '/'; i++)
		if (p[i] == ']')
			return i + 1;
	return 0;
}

static bool bracket_match(const char *p, size_t n, char c)
{
	char pat[256], s[2] = { c, 0 };
	if (n >= sizeof(pat))
		return false;
	memcpy(pat, p, n);
	pat[n] = 0;
	if (pat[1] == '^')
		pat[1] = '!';
	return fnmatch(pat, s, 0) == 0;
}

static bool glob_at(const char *base, const char *p, const char *s)
{
	while (*p) {
		bool seg_start = p == base || p[-1] == '/';
		if (seg_start && p[0] == '*' && p[1] == '*' && (p[2] == '/' || !p[2])) {
			if (!p[2])
				return true; /* a trailing double star: everything below */
			for (const char *t = s;;) {
				if (glob_at(base, p + 3, t))
					return true;
				t = strchr(t, '/');
				if (!t)
					return false;
				t++;
			}
		}
		if (*p == '*') {
			while (*p == '*')
				p++;
			for (const char *t = s;; t++) {
				if (glob_at(base, p, t))
					return true;
				if (!*t || *t == '/')
					return false;
			}
		}
		if (*p == '?') {
			if (!*s || *s == '/')
				return false;
			p++, s++;
			continue;
		}
		size_t bl = *p == '[' ? bracket_len(p) : 0;
		if (bl) {
			if (!*s || *s == '/' || !bracket_match(p, bl, *s))
				return false;
			p += bl, s++;
			continue;
		}
		if (*p == '\\' && p[1])
			p++;
		if (*p != *s)
			return false;
		p++, s++;
	}
	return !*s;
}

bool lamb_ignore_glob(const char *pattern, const char *s)
{
	return glob_at(pattern, pattern, s);
}

/* The verdict of the rules for path alone: 1 ignored, 0 re-included,
 * -1 no rule matched. */
static int verdict(const struct lamb_ignore *ig, const char *path, bool is_dir)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = ig->len; i-- > 0;) {
		const struct lamb_ignore_rule *r = &ig->v[i];
		if (r->dir_only && !is_dir)
			continue;
		if (lamb_ignore_glob(r->pattern, r->anchored ? path : base))
			return !r->negate;
	}
	return -1;
}

bool lamb_ignore_match(const struct lamb_ignore *ig, const char *path, bool is_dir)
{
	if (!ig || !ig->len)
		return false;
	cleanup_free char *copy = xstrdup(path);
	for (char *slash = strchr(copy, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		bool parent = verdict(ig, copy, true) == 1;
		*slash = '/';
		if (parent)
			return true;
	}
	return verdict(ig, path, is_dir) == 1;
}
