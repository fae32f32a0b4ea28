/* The matcher. A pattern is an object whose leaves are arrays of
 * matchers; a field matches when any matcher matches its value (any
 * element, when the event's value is an array), a pattern when all its
 * fields do, and $or when any of its patterns does. */
#include "front/event-pattern.h"

#include "base/util.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool match_object(const cJSON *pattern, const cJSON *event);

/* '*' matches any run of characters, and nothing else is special. */
static bool wildcard(const char *pat, const char *s)
{
	if (!*pat)
		return !*s;
	if (*pat == '*')
		return wildcard(pat + 1, s) || (*s && wildcard(pat, s + 1));
	if (*pat == '\\' && pat[1] == '*')
		return *s == '*' && wildcard(pat + 2, s + 1);
	return *s == *pat && wildcard(pat + 1, s + 1);
}

static bool prefix_suffix(const cJSON *arg, const char *s, bool prefix)
{
	const cJSON *ic = cJSON_GetObjectItemCaseSensitive(arg, "equals-ignore-case");
	const char *p = cJSON_IsString(arg) ? arg->valuestring : cJSON_GetStringValue(ic);
	if (!p)
		return false;
	size_t lp = strlen(p), ls = strlen(s);
	if (lp > ls)
		return false;
	const char *at = prefix ? s : s + ls - lp;
	return ic ? strncasecmp(at, p, lp) == 0 : strncmp(at, p, lp) == 0;
}

static bool numeric(const cJSON *ops, double v)
{
	for (const cJSON *op = ops ? ops->child : NULL; op && op->next; op = op->next->next) {
		double n = op->next->valuedouble;
		const char *o = cJSON_GetStringValue(op);
		bool ok = !o ? false : strcmp(o, "=") == 0 ? v == n : strcmp(o, "<") == 0 ? v < n :
			  strcmp(o, "<=") == 0 ? v <= n : strcmp(o, ">") == 0 ? v > n : strcmp(o, ">=") == 0 ? v >= n : false;
		if (!ok)
			return false;
	}
	return true;
}

static bool cidr(const char *net, const char *ip)
{
	char *copy = xstrdup(net), *slash = strchr(copy, '/');
	struct in_addr a, b;
	bool ok = false;
	if (slash) {
		*slash = '\0';
		int bits = atoi(slash + 1);
		if (inet_pton(AF_INET, copy, &a) == 1 && inet_pton(AF_INET, ip, &b) == 1 && bits >= 0 && bits <= 32) {
			uint32_t mask = bits ? htonl(~0u << (32 - bits)) : 0;
			ok = (a.s_addr & mask) == (b.s_addr & mask);
		}
	}
	free(copy);
	return ok;
}

static bool scalar_equal(const cJSON *p, const cJSON *v)
{
	if (cJSON_IsNumber(p) && cJSON_IsNumber(v))
		return p->valuedouble == v->valuedouble;
	if (cJSON_IsString(p) && cJSON_IsString(v))
		return strcmp(p->valuestring, v->valuestring) == 0;
	if (cJSON_IsNull(p))
		return cJSON_IsNull(v);
	if (cJSON_IsBool(p))
		return cJSON_IsBool(v) && cJSON_IsTrue(p) == cJSON_IsTrue(v);
	return false;
}

static bool ignore_case(const cJSON *arg, const char *s)
{
	const cJSON *it;
	if (cJSON_IsString(arg))
		return strcasecmp(arg->valuestring, s) == 0;
	cJSON_ArrayForEach(it, arg)
		if (cJSON_IsString(it) && strcasecmp(it->valuestring, s) == 0)
			return true;
	return false;
}

static bool matcher(const cJSON *m, const cJSON *v);

/* anything-but: a value, a list, or a prefix/suffix/equals-ignore-case/wildcard. */
static bool anything_but(const cJSON *arg, const cJSON *v)
{
	if (cJSON_IsObject(arg))
		return !matcher(arg, v);
	if (cJSON_IsArray(arg)) {
		const cJSON *it;
		cJSON_ArrayForEach(it, arg)
			if (scalar_equal(it, v))
				return false;
		return true;
	}
	return !scalar_equal(arg, v);
}

/* One matcher against one (non-array) value. */
static bool matcher(const cJSON *m, const cJSON *v)
{
	if (!cJSON_IsObject(m))
		return scalar_equal(m, v);
	const cJSON *op = m->child;
	if (!op)
		return false;
	const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
	if (strcmp(op->string, "prefix") == 0)
		return s && prefix_suffix(op, s, true);
	if (strcmp(op->string, "suffix") == 0)
		return s && prefix_suffix(op, s, false);
	if (strcmp(op->string, "equals-ignore-case") == 0)
		return s && ignore_case(op, s);
	if (strcmp(op->string, "wildcard") == 0)
		return s && cJSON_IsString(op) && wildcard(op->valuestring, s);
	if (strcmp(op->string, "anything-but") == 0)
		return anything_but(op, v);
	if (strcmp(op->string, "numeric") == 0)
		return cJSON_IsNumber(v) && numeric(op, v->valuedouble);
	if (strcmp(op->string, "cidr") == 0)
		return s && cJSON_IsString(op) && cidr(op->valuestring, s);
	return false;
}

static bool exists_matcher(const cJSON *list, bool *want)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, list) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, "exists");
		if (cJSON_IsBool(e)) {
			*want = cJSON_IsTrue(e);
			return true;
		}
	}
	return false;
}

/* A field's list of matchers against its value (NULL: absent). */
static bool match_field(const cJSON *list, const cJSON *v)
{
	bool want;
	if (exists_matcher(list, &want) && want == (v && !cJSON_IsObject(v)))
		return true;
	if (!v)
		return false;
	const cJSON *m, *el;
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(el, v)
			cJSON_ArrayForEach(m, list)
				if (!cJSON_GetObjectItemCaseSensitive(m, "exists") && matcher(m, el))
					return true;
		return false;
	}
	cJSON_ArrayForEach(m, list)
		if (!cJSON_GetObjectItemCaseSensitive(m, "exists") && matcher(m, v))
			return true;
	return false;
}

static bool match_or(const cJSON *alts, const cJSON *event)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, alts)
		if (match_object(p, event))
			return true;
	return false;
}

static bool match_object(const cJSON *pattern, const cJSON *event)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, pattern) {
		const cJSON *v = cJSON_IsObject(event) ? cJSON_GetObjectItemCaseSensitive(event, p->string) : NULL;
		bool ok = strcmp(p->string, "$or") == 0 ? match_or(p, event)
			  : cJSON_IsObject(p)		? match_object(p, cJSON_IsObject(v) ? v : NULL)
			  : cJSON_IsArray(p)		? match_field(p, v)
							: false;
		if (!ok)
			return false;
	}
	return true;
}

bool lamb_pattern_match(const cJSON *pattern, const cJSON *event)
{
	return cJSON_IsObject(pattern) && match_object(pattern, event);
}

bool lamb_pattern_match_text(const char *pattern, const cJSON *event)
{
	cJSON *p = pattern ? cJSON_Parse(pattern) : NULL;
	bool ok = lamb_pattern_match(p, event);
	cJSON_Delete(p);
	return ok;
}
