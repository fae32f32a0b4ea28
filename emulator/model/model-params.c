/* The template's Parameters section: each parameter's value (an override,
 * else its Default) checked against Type, AllowedValues, AllowedPattern and
 * the bounds, and handed to the resolver for Ref. */
#include "base/regex.h"
#include "base/util.h"
#include "model/model-build.h"

#include <errno.h>
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

/* AllowedPattern is a Java regular expression that the whole value must
 * match (base/regex.h). A pattern PCRE2 cannot read, or one too complex to
 * match within PCRE2's limits, leaves the value unchecked with a warning:
 * Java may read it where PCRE2 does not, so it is not the template's error. */
static void check_pattern(struct builder *b, const struct lamb_node *def, const char *name,
			  const char *value, const struct lamb_mark *m)
{
	const struct lamb_node *node = lamb_node_get(def, "AllowedPattern");
	const char *pat = lamb_node_str(node);
	if (!pat)
		return;
	struct lamb_err err;
	struct lamb_regex *re = lamb_regex_new(pat, &err);
	if (!re) {
		lamb_warning(b->diags, &node->mark, "parameter '%s': AllowedPattern '%s' is not a pattern lamb "
			     "can check: %s; the value is not checked", name, pat, err.msg);
		return;
	}
	int rc = lamb_regex_match(re, value, &err);
	if (rc == 0)
		lamb_error(b->diags, m, "parameter '%s': value '%s' does not match AllowedPattern '%s'",
			   name, value, pat);
	else if (rc < 0)
		lamb_warning(b->diags, m, "parameter '%s': cannot check value '%s' against AllowedPattern '%s': %s",
			     name, value, pat, err.msg);
	lamb_regex_free(re);
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
	if (!value && b->r.lenient) {
		/* as SAM CLI: a local command goes on; what uses it goes without */
		lamb_warning(b->diags, &p->key->mark, "parameter '%s' has no value (no Default, no "
			     "--parameter-overrides %s=VALUE): lamb leaves a Ref to it unresolved, as '%s'",
			     name, name, name);
		pv->value = lamb_node_scalar(b->a, name, &p->key->mark);
		pv->value->unknown = true;
		return;
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
