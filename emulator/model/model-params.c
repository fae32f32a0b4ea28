/* The template's Parameters section: each parameter's value (an override,
 * else its Default) checked against Type, AllowedValues, AllowedPattern and
 * the bounds, and handed to the resolver for Ref. */
#include "base/util.h"
#include "model/model-build.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

static bool is_number(const char *s)
{
	char *end;
	if (!*s)
		return false;
	errno = 0;
	strtod(s, &end);
	return !errno && !*end;
}

static bool valid_type(const char *t)
{
	static const char *const plain[] = { "String", "Number", "CommaDelimitedList", "List<Number>" };
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
		if (strcmp(t, plain[i]) == 0)
			return true;
	return str_starts(t, "AWS::") || str_starts(t, "List<AWS::");
}

static bool is_list_type(const char *t)
{
	return strcmp(t, "CommaDelimitedList") == 0 || str_starts(t, "List<") ||
	       (str_starts(t, "AWS::SSM::Parameter::Value<List<"));
}

static struct lamb_node *split_list(struct builder *b, const char *value, const struct lamb_mark *m)
{
	size_t count = 1;
	for (const char *p = value; *p; p++)
		count += *p == ',';
	if (!*value)
		count = 0;
	struct lamb_node *seq = lamb_node_seq(b->a, count, m);
	const char *s = value;
	for (size_t i = 0; i < count; i++) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		while (len && *s == ' ')
			s++, len--;
		while (len && s[len - 1] == ' ')
			len--;
		seq->items[i] = lamb_node_scalar(b->a, "", m);
		seq->items[i]->str = lamb_arena_strndup(b->a, s, len);
		s = end ? end + 1 : s + len;
	}
	return seq;
}

static void check_allowed_values(struct builder *b, const struct lamb_node *def, const char *name,
				 const char *value, const struct lamb_mark *m)
{
	const struct lamb_node *av = lamb_node_get(def, "AllowedValues");
	if (!av || av->kind != LAMB_SEQ)
		return;
	for (size_t i = 0; i < av->len; i++)
		if (str_eq(lamb_node_str(av->items[i]), value))
			return;
	lamb_error(b->diags, m, "parameter '%s': value '%s' is not one of its AllowedValues", name, value);
}

/* The repetition factor of the quantifier at p (advancing p past it): a
 * bound {m,n} makes glibc's regcomp copy its operand n times (m when there
 * is no n); '+' copies it once more; '*' and '?' loop without copying. */
static double quantifier_factor(const char **p)
{
	char q = **p;
	if (q != '{') {
		(*p)++;
		return q == '+' ? 2 : 1;
	}
	char *end;
	double lo = strtod(*p + 1, &end), hi = lo;
	if (*end == ',')
		hi = end[1] == '}' ? lo + 1 : strtod(end + 1, &end);
	while (*end && *end != '}')
		end++;
	*p = *end ? end + 1 : end;
	return hi > lo ? hi : lo > 1 ? lo : 1;
}

/* Past one character, escape or bracket expression ("[]a-z]", "[^]]"). */
static const char *skip_atom(const char *p)
{
	if (*p == '\\')
		return p[1] ? p + 2 : p + 1;
	if (*p != '[')
		return p + 1;
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']')
		p++;
	return *p ? p + 1 : p;
}

/* glibc's regcomp expands bounded repetitions into copies, so nested or
 * stacked ones ("((a{1,200}){1,200})", "a++++...") take time and memory
 * that multiply: a 100-byte template could make lamb validate grow past
 * 5 GB. This estimates the expanded size of the pattern as compiled and
 * refuses patterns above a few thousand nodes. Repetitions of repetitions
 * ("a+*+", "((a+)*)+") cost more than their size: the epsilon closures of
 * the loops they copy grow exponentially with each level, so more than
 * three levels of them are refused too (no real AllowedPattern needs as
 * many: "((\d{1,3})\.){3}" has two). */
static bool pattern_is_tame(const char *pat)
{
	double size[64] = { 0 }; /* per open group: its expanded size so far */
	double last = 0;         /* size of the last atom or group: what a quantifier copies */
	int nest[64] = { 0 };    /* per open group: the deepest repetition of repetitions in it */
	int last_nest = 0;       /* the same for the last atom or group */
	int depth = 0;
	if (strlen(pat) > 1024)
		return false;
	for (const char *p = pat; *p;) {
		if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
			double f = quantifier_factor(&p);
			size[depth] += last * (f - 1);
			last *= f;
			if (++last_nest > 3)
				return false;
			if (last_nest > nest[depth])
				nest[depth] = last_nest;
		} else if (*p == '(') {
			if (++depth == (int)ARRAY_SIZE(size))
				return false;
			size[depth] = 0;
			nest[depth] = 0;
			p++;
			continue;
		} else if (*p == ')' && depth > 0) {
			last = size[depth];
			last_nest = nest[depth--];
			size[depth] += last;
			if (last_nest > nest[depth])
				nest[depth] = last_nest;
			p++;
		} else {
			p = skip_atom(p);
			last = 1;
			last_nest = 0;
			size[depth] += 1;
		}
		if (size[depth] > 4000 || last > 4000)
			return false;
	}
	return true;
}

static void check_pattern(struct builder *b, const struct lamb_node *def, const char *name,
			  const char *value, const struct lamb_mark *m)
{
	const char *pat = lamb_node_str(lamb_node_get(def, "AllowedPattern"));
	if (!pat)
		return;
	char *anchored = xasprintf("^(%s)$", pat);
	if (!pattern_is_tame(anchored)) {
		free(anchored);
		lamb_warning(b->diags, &lamb_node_get(def, "AllowedPattern")->mark,
			     "parameter '%s': AllowedPattern nests or stacks repetitions too deeply for lamb "
			     "to check; the value is not checked", name);
		return;
	}
	regex_t re;
	if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) != 0) {
		lamb_warning(b->diags, &lamb_node_get(def, "AllowedPattern")->mark,
			     "parameter '%s': AllowedPattern is not a pattern lamb can check", name);
	} else {
		if (regexec(&re, value, 0, NULL, 0) != 0)
			lamb_error(b->diags, m, "parameter '%s': value '%s' does not match AllowedPattern '%s'",
				   name, value, pat);
		regfree(&re);
	}
	free(anchored);
}

static void check_bounds(struct builder *b, const struct lamb_node *def, const char *name,
			 const char *value, const char *type, const struct lamb_mark *m)
{
	const char *lo = lamb_node_str(lamb_node_get(def, "MinValue"));
	const char *hi = lamb_node_str(lamb_node_get(def, "MaxValue"));
	if (strcmp(type, "Number") == 0) {
		if (!is_number(value)) {
			lamb_error(b->diags, m, "parameter '%s' is a Number but its value is '%s'", name, value);
			return;
		}
		double v = strtod(value, NULL);
		if ((lo && is_number(lo) && v < strtod(lo, NULL)) || (hi && is_number(hi) && v > strtod(hi, NULL)))
			lamb_error(b->diags, m, "parameter '%s': %s is outside MinValue %s / MaxValue %s", name,
				   value, lo ? lo : "-", hi ? hi : "-");
	}
	long n;
	size_t len = strlen(value);
	if (lamb_node_long(lamb_node_get(def, "MinLength"), &n) && len < (size_t)n)
		lamb_error(b->diags, m, "parameter '%s' is shorter than its MinLength %ld", name, n);
	if (lamb_node_long(lamb_node_get(def, "MaxLength"), &n) && len > (size_t)n)
		lamb_error(b->diags, m, "parameter '%s' is longer than its MaxLength %ld", name, n);
}

static const char *override_of(const struct lamb_model_opts *o, const char *name)
{
	for (size_t i = 0; o && o->overrides && i < o->overrides->len; i++)
		if (strcmp(o->overrides->v[i].key, name) == 0)
			return o->overrides->v[i].value;
	return NULL;
}

static void build_param(struct builder *b, const struct lamb_pair *p, const struct lamb_model_opts *o,
			struct lamb_param *out, struct lamb_param_value *pv)
{
	const char *name = p->key->str;
	const struct lamb_node *def = p->value;
	out->name = pv->name = name;
	if (def->kind != LAMB_MAP) {
		lamb_error(b->diags, &def->mark, "parameter '%s' must be a mapping with a Type", name);
		return;
	}
	const char *type = lamb_node_str(lamb_node_get(def, "Type"));
	if (!type) {
		lamb_error(b->diags, &p->key->mark, "parameter '%s' has no Type", name);
		type = "String";
	} else if (!valid_type(type)) {
		lamb_error(b->diags, &lamb_node_get(def, "Type")->mark, "parameter '%s' has unknown Type '%s' "
			   "(String, Number, CommaDelimitedList, List<Number>, AWS::...)", name, type);
	}
	out->type = type;
	const struct lamb_node *dflt = lamb_node_get(def, "Default");
	const char *value = override_of(o, name);
	struct lamb_mark m = p->key->mark;
	out->overridden = value != NULL;
	if (!value && dflt) {
		value = lamb_node_str(dflt);
		m = dflt->mark;
		if (!value)
			lamb_error(b->diags, &dflt->mark, "parameter '%s': Default must be a string", name);
	}
	if (!value) {
		lamb_error(b->diags, &p->key->mark, "parameter '%s' has no value: give it a Default or pass "
			   "--parameter-overrides %s=VALUE", name, name);
		return;
	}
	out->value = lamb_arena_strdup(b->a, value);
	if (str_starts(type, "AWS::SSM::Parameter::"))
		lamb_warning(b->diags, &m, "parameter '%s' names an SSM parameter, which cannot be read "
			     "locally; lamb uses '%s' as its value", name, value);
	check_allowed_values(b, def, name, value, &m);
	check_pattern(b, def, name, value, &m);
	if (is_list_type(type)) {
		pv->value = split_list(b, value, &m);
		for (size_t i = 0; strcmp(type, "List<Number>") == 0 && i < pv->value->len; i++)
			if (!is_number(pv->value->items[i]->str))
				lamb_error(b->diags, &m, "parameter '%s' is a List<Number> but holds '%s'", name,
					   pv->value->items[i]->str);
	} else {
		check_bounds(b, def, name, value, type, &m);
		pv->value = lamb_node_scalar(b->a, value, &m);
	}
}

void build_params(struct builder *b, const struct lamb_model_opts *o)
{
	const struct lamb_node *ps = lamb_node_get(b->root, "Parameters");
	if (ps && ps->kind != LAMB_MAP) {
		if (!lamb_node_is_null(ps))
			lamb_error(b->diags, &ps->mark, "Parameters must be a mapping");
		ps = NULL;
	}
	size_t n = ps ? ps->len : 0;
	b->m->params = lamb_arena_alloc(b->a, n * sizeof(*b->m->params));
	b->r.params = lamb_arena_alloc(b->a, n * sizeof(*b->r.params));
	for (size_t i = 0; i < n; i++)
		build_param(b, &ps->pairs[i], o, &b->m->params[i], &b->r.params[i]);
	b->m->nparams = b->r.nparams = n;
	for (size_t i = 0; o && o->overrides && i < o->overrides->len; i++)
		if (!lamb_node_get(ps, o->overrides->v[i].key))
			lamb_warning(b->diags, NULL, "--parameter-overrides names '%s', which the template "
				     "does not declare", o->overrides->v[i].key);
}
