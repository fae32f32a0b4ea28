/* CloudWatch Logs filter patterns over lamb's local records, and the times
 * of `lamb logs -s/-e`. A term pattern is a list of terms; a JSON pattern is
 * kept as text and evaluated against each message's JSON by a small
 * recursive-descent reader (patterns are a line long; a tree would buy
 * nothing). */
#include "engine/log-filter.h"
#include "base/util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct term {
	char *text;
	char kind; /* ' ' must appear, '?' one of them must, '-' must not */
};

struct lamb_log_filter {
	char *json; /* the expression of a JSON pattern, or NULL */
	struct term *terms;
	size_t n;
};

void lamb_log_filter_free(struct lamb_log_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->terms[i].text);
	free(f->terms);
	free(f->json);
	free(f);
}

/* A term, quoted or not, at *s; NULL at an unbalanced quote. */
static char *read_term(const char **s)
{
	const char *p = *s;
	struct lamb_buf b;
	lamb_buf_init(&b);
	if (*p != '"') {
		while (*p && !isspace((unsigned char)*p))
			lamb_buf_addch(&b, *p++);
	} else {
		for (p++; *p && *p != '"'; p++)
			lamb_buf_addch(&b, *p == '\\' && p[1] ? *++p : *p);
		if (*p++ != '"')
			return lamb_buf_release(&b), NULL;
	}
	*s = p;
	return b.data ? lamb_buf_steal(&b) : xstrdup("");
}

static int parse_terms(struct lamb_log_filter *f, const char *pattern, struct lamb_err *err)
{
	for (const char *p = pattern;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return 0;
		char kind = *p == '?' || *p == '-' ? *p++ : ' ';
		char *t = read_term(&p);
		if (!t)
			return lamb_err_set(err, "unbalanced quote in filter pattern '%s'", pattern);
		f->terms = xrealloc(f->terms, (f->n + 1) * sizeof(*f->terms));
		f->terms[f->n++] = (struct term){ t, kind };
	}
}

/* --- JSON patterns --- */

struct jp {
	const char *s;
	const cJSON *doc;
	bool bad;
};

static bool j_or(struct jp *p);

static void ws(struct jp *p)
{
	while (isspace((unsigned char)*p->s))
		p->s++;
}

static bool eat(struct jp *p, const char *tok)
{
	ws(p);
	size_t n = strlen(tok);
	if (strncmp(p->s, tok, n) != 0)
		return false;
	p->s += n;
	return true;
}

static bool glob(const char *pat, const char *s)
{
	if (*pat == '*')
		return glob(pat + 1, s) || (*s && glob(pat, s + 1));
	if (!*pat)
		return !*s;
	return *pat == *s && glob(pat + 1, s + 1);
}

/* $.a.b[0]: the item it names in doc, or NULL. */
static const cJSON *selector(struct jp *p)
{
	ws(p);
	if (*p->s != '$')
		return p->bad = true, NULL;
	const cJSON *it = p->doc;
	for (p->s++;;) {
		if (*p->s == '.') {
			const char *n = ++p->s;
			while (isalnum((unsigned char)*p->s) || *p->s == '_' || *p->s == '-' || *p->s == '@')
				p->s++;
			char *name = xstrndup(n, (size_t)(p->s - n));
			it = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, name) : NULL;
			free(name);
		} else if (*p->s == '[') {
			char *end;
			long i = strtol(p->s + 1, &end, 10);
			if (*end != ']')
				return p->bad = true, NULL;
			p->s = end + 1;
			it = cJSON_IsArray(it) ? cJSON_GetArrayItem(it, (int)i) : NULL;
		} else {
			return it;
		}
	}
}

/* The value after an operator: quoted, or a bare word. */
static char *value(struct jp *p, bool *quoted)
{
	ws(p);
	*quoted = *p->s == '"';
	char *v = read_term(&p->s);
	if (!v)
		return p->bad = true, NULL;
	if (!*quoted) { /* a bare word ends before ) && || } */
		size_t n = strcspn(v, ")&|}");
		p->s -= strlen(v) - n;
		v[n] = '\0';
		p->bad |= !n;
	}
	return v;
}

static bool compare(const cJSON *it, const char *op, const char *v, bool quoted)
{
	char *end;
	double d = strtod(v, &end);
	bool eq = op[0] == '=', ne = op[0] == '!';
	if (!it)
		return false;
	if (cJSON_IsNumber(it) && !quoted && *v && !*end) {
		double x = it->valuedouble;
		return eq ? x == d : ne ? x != d : op[0] == '<' ? (op[1] ? x <= d : x < d) : (op[1] ? x >= d : x > d);
	}
	if (cJSON_IsString(it) && (eq || ne))
		return glob(v, it->valuestring) == eq;
	if (cJSON_IsBool(it) && (eq || ne) && !quoted)
		return (strcmp(v, cJSON_IsTrue(it) ? "true" : "false") == 0) == eq;
	return ne;
}

static bool j_prim(struct jp *p)
{
	if (eat(p, "(")) {
		bool r = j_or(p);
		if (!eat(p, ")"))
			p->bad = true;
		return r;
	}
	const cJSON *it = selector(p);
	if (eat(p, "NOT EXISTS"))
		return !it;
	if (eat(p, "EXISTS"))
		return it != NULL;
	if (eat(p, "IS")) {
		bool t = eat(p, "TRUE"), f = !t && eat(p, "FALSE"), n = !t && !f && eat(p, "NULL");
		p->bad |= !t && !f && !n;
		return n ? cJSON_IsNull(it) : cJSON_IsBool(it) && cJSON_IsTrue(it) == t;
	}
	static const char *const ops[] = { "!=", "<=", ">=", "=", "<", ">" };
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (eat(p, ops[i])) {
			bool quoted;
			cleanup_free char *v = value(p, &quoted);
			return v && compare(it, ops[i], v, quoted);
		}
	return p->bad = true, false;
}

static bool j_and(struct jp *p)
{
	bool r = j_prim(p);
	while (!p->bad && eat(p, "&&"))
		r = j_prim(p) && r; /* both read: the text must be walked past */
	return r;
}

static bool j_or(struct jp *p)
{
	bool r = j_and(p);
	while (!p->bad && eat(p, "||"))
		r = j_and(p) || r;
	return r;
}

static bool json_match(const char *expr, const cJSON *doc, bool *bad)
{
	struct jp p = { .s = expr, .doc = doc };
	bool r = j_or(&p);
	ws(&p);
	*bad = p.bad || *p.s;
	return r && !*bad;
}

struct lamb_log_filter *lamb_log_filter_new(const char *pattern, struct lamb_err *err)
{
	struct lamb_log_filter *f = xcalloc(1, sizeof(*f));
	const char *s = pattern;
	size_t n = strlen(s);
	while (isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	bool bad = false;
	if (n && s[0] == '{') {
		f->json = xstrndup(s + 1, n - 1);
		char *close = strrchr(f->json, '}');
		if (close)
			*close = '\0';
		cJSON *empty = cJSON_CreateObject();
		json_match(f->json, empty, &bad);
		cJSON_Delete(empty);
		if (!close || bad)
			lamb_err_set(err, "cannot read JSON filter pattern '%s'", pattern);
	} else if (n && s[0] == '[') {
		bad = true;
		lamb_err_set(err, "space-delimited filter patterns are not supported here: '%s'", pattern);
	} else {
		bad = parse_terms(f, pattern, err) < 0;
	}
	if (bad || (f->json && !strrchr(pattern, '}')))
		return lamb_log_filter_free(f), NULL;
	return f;
}

static bool terms_match(const struct lamb_log_filter *f, const char *m)
{
	bool any = false, some = false;
	for (size_t i = 0; i < f->n; i++) {
		bool in = strstr(m, f->terms[i].text) != NULL;
		if ((f->terms[i].kind == ' ' && !in) || (f->terms[i].kind == '-' && in))
			return false;
		some |= f->terms[i].kind == '?';
		any |= f->terms[i].kind == '?' && in;
	}
	return !some || any;
}

bool lamb_log_filter_match(const struct lamb_log_filter *f, const char *message)
{
	if (!f->json)
		return terms_match(f, message);
	cJSON *doc = cJSON_Parse(message);
	bool bad, r = (cJSON_IsObject(doc) || cJSON_IsArray(doc)) && json_match(f->json, doc, &bad);
	cJSON_Delete(doc);
	return r;
}

/* --- times --- */

static int relative(const char *s, uint64_t now_ms, uint64_t *ms)
{
	static const struct { const char *unit; uint64_t ms; } units[] = {
		{ "s", 1000 }, { "sec", 1000 }, { "secs", 1000 }, { "second", 1000 }, { "seconds", 1000 },
		{ "m", 60000 }, { "min", 60000 }, { "mins", 60000 }, { "minute", 60000 }, { "minutes", 60000 },
		{ "h", 3600000 }, { "hour", 3600000 }, { "hours", 3600000 }, { "hr", 3600000 }, { "hrs", 3600000 },
		{ "d", 86400000 }, { "day", 86400000 }, { "days", 86400000 },
		{ "w", 604800000 }, { "week", 604800000 }, { "weeks", 604800000 },
	};
	char *end, unit[16];
	unsigned long n = strtoul(s, &end, 10);
	int used = 0;
	if (end == s || sscanf(end, " %15[a-z] ago%n", unit, &used) != 1 || !used || end[used])
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (strcmp(unit, units[i].unit) == 0) {
			*ms = now_ms - (uint64_t)n * units[i].ms;
			return 0;
		}
	return -1;
}

/* YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|+HH[:MM]|-HH[:MM]] */
static int absolute(const char *s, uint64_t *ms)
{
	struct tm tm = { 0 };
	int used = 0, frac_used = 0, zh = 0, zm = 0;
	double frac = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &used) != 3)
		return -1;
	const char *p = s + used;
	if ((*p == ' ' || *p == 'T') && sscanf(p + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &used) == 2) {
		p += 1 + used;
		if (*p == ':' && sscanf(p + 1, "%2d%n", &tm.tm_sec, &used) == 1)
			p += 1 + used;
		if (*p == '.' && sscanf(p, "%lf%n", &frac, &frac_used) == 1)
			p += frac_used;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	time_t t;
	if (*p == 'Z' && !p[1]) {
		t = timegm(&tm);
	} else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d%n", &zh, &used) == 1) {
		const char *q = p + 1 + used;
		if (*q == ':')
			q++;
		if (*q && sscanf(q, "%2d%n", &zm, &used) == 1)
			q += used;
		if (*q)
			return -1;
		t = timegm(&tm) - (*p == '-' ? -1 : 1) * (zh * 3600 + zm * 60);
	} else if (!*p) {
		t = mktime(&tm);
	} else {
		return -1;
	}
	*ms = (uint64_t)t * 1000 + (uint64_t)(frac * 1000 + 0.5);
	return 0;
}

int lamb_log_time_parse(const char *s, uint64_t now_ms, uint64_t *ms, struct lamb_err *err)
{
	while (isspace((unsigned char)*s))
		s++;
	if (strcmp(s, "now") == 0)
		return *ms = now_ms, 0;
	if (relative(s, now_ms, ms) == 0 || absolute(s, ms) == 0)
		return 0;
	return lamb_err_set(err, "cannot read time '%s' (as '5mins ago', '2026-12-01 10:00' or ISO 8601)", s);
}
